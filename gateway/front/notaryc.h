/*
 * front/notaryc.h: the front's end of the notary process's socket.
 *
 * Runs in the front (intaked-front). notaryc_submit keeps the semantics of
 * an in-process notary_submit: the job goes to the notary (MSG_RECORD with
 * the quarantined file's descriptor, then the inspection's messages,
 * common/verdict.h) and its done() is called exactly once, from the
 * front's loop, when the notary has answered (after its commit is
 * durable). Any thread may submit; a job's messages go out contiguously.
 *
 * Trusts the notary's answers as far as the allowlist (msg_from_notary)
 * and the lengths it announced: an answer to no job, a text longer than
 * announced, or the notary's end of the socket is fatal for the front
 * (the parent brings the daemon down; nothing half-answered is sent).
 *
 * API: notaryc_open, notaryc_start, notaryc_submit, notaryc_close.
 */
#ifndef INTAKE_NOTARYC_H
#define INTAKE_NOTARYC_H

#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"
#include "notary/notary.h"

struct notaryc;
struct event_base;

/* Waits on SOCK (the front's end) for the notary's MSG_READY: recovery is
 * done and the ledger may be read. NULL with a reason in ERR when the
 * notary ended instead (it logged why). The verifier key and the tree size
 * it announced go to VKEY and SIZE. */
struct notaryc *notaryc_open(int sock, char vkey[MSG_VKEY_MAX], uint64_t *size,
    char *err, size_t errlen);
/* Reads the notary's answers on BASE's loop from now on. 0/-1 (ERR). */
int notaryc_start(struct notaryc *nc, struct event_base *base, char *err, size_t errlen);
/* Sends JOB with the quarantined file FD (the caller closes its copy). */
void notaryc_submit(struct notaryc *nc, struct notary_job *job, int fd);
/* Pre-hashes (notary/prehash.h): the notary starts hashing the spooled
 * file FD (read-only; the caller closes its copy) while it is written.
 * Returns the token for notary_job.prehash, 0 when the notary could not be
 * asked (the record is then hashed whole). Any thread. */
uint64_t notaryc_prehash_open(struct notaryc *nc, int fd);
/* The file of TOKEN is written up to UPTO bytes. Any thread. */
void notaryc_prehash_more(struct notaryc *nc, uint64_t token, uint64_t upto);
/* TOKEN's upload will not be recorded. Any thread. */
void notaryc_prehash_drop(struct notaryc *nc, uint64_t token);
/* After the loop: closes the socket once the notary has finished and
 * exited (answers it still sends are dropped: their jobs are gone). */
void notaryc_close(struct notaryc *nc);

#endif
