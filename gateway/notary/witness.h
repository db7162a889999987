/*
 * notary/witness.h: getting the log's checkpoints cosigned by its witnesses
 * (C2SP tlog-witness add-checkpoint) and publishing those with the quorum.
 *
 * Runs in the notary process, one thread per [witness NAME], so that group
 * commit never waits on the network and a slow witness never holds up the
 * others. Each thread submits the latest signed checkpoint to its witness
 * over one keep-alive HTTP/1.1 connection: "old N", the RFC 6962 consistency
 * proof from N (what that witness last cosigned, 0 at first), a blank line,
 * the checkpoint. It trusts nothing the witness answers: a 200's cosignature
 * is verified against the configured vkey before it is stored; a 409's size
 * is a resync point only if this log signed a checkpoint of that size (else
 * it is logged as evidence of a split view); anything else is logged and
 * retried with backoff.
 *
 * Tables (in the ledger, written by these threads only):
 *   cosignatures(size, witness, line)  a verified cosignature line per checkpoint
 *   witness_state(witness, size)       the size the witness last cosigned (restarts)
 *   published(size, note)              checkpoints with the quorum, cosignatures appended
 *
 * API: witness_open, witness_kick, witness_published, witness_close.
 */
#ifndef INTAKE_WITNESS_H
#define INTAKE_WITNESS_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

struct witnesses;

/* Called (from a witness thread) when the checkpoint of SIZE is published. */
typedef void (*witness_published_cb)(uint64_t size, void *arg);

/* Creates the tables, reads each witness's state and starts the threads.
 * With no [witness] sections it returns a handle that does nothing. NULL
 * with ERR on failure. */
struct witnesses *witness_open(const struct config *cfg, witness_published_cb cb, void *arg,
    char *err, size_t errlen);
/* A new checkpoint was committed: every witness behind it gets it. */
void witness_kick(struct witnesses *w);
/* The size of the latest published checkpoint (0: none yet). */
uint64_t witness_published(struct witnesses *w);
/* Stops the threads (an HTTP exchange in progress ends by its time-out). */
void witness_close(struct witnesses *w);

#endif
