/*
 * notary/notary.h: the sequencer. The only writer of the ledger and the only
 * holder of the Ed25519 log key.
 *
 * Runs in its own thread of the notary process, whose monitor
 * (notary/monitor.c) receives the jobs from the front and re-validates
 * them. It is handed finished jobs (metadata, the quarantined file, the
 * inspector's verdict); it groups every job waiting at that moment into one
 * commit: accepted blobs are moved into the content-addressed store
 * (fsync file, rename, fsync directory), rejected blobs are deleted, the
 * entries and the new tree hashes are appended and a new checkpoint signed
 * in one SQLite transaction (WAL, synchronous=FULL). Only after COMMIT does
 * it fill each job's receipt and proof and call job->done, from its thread.
 * Nothing is answered before it is on disk (DESIGN §6).
 *
 * A job that cannot be recorded (disk full, I/O error) comes back with
 * status -1 and err set; nothing of it is kept in the ledger. Its blob, if
 * the batch had promoted it, is removed at once when the store is the
 * node's own (DATA/store, no [store] path). When [store] path is given the
 * store is taken as shared with other nodes, and a failed commit never
 * removes a blob: another node may have promoted (or found) the same
 * content, same SHA-256, for an entry it is about to commit. Such a blob
 * is an orphan until a start-up sweep finds it older than
 * STORE_SWEEP_GRACE (store.h) and unreferenced. A failure that could leave
 * the ledger inconsistent with what was answered is fatal.
 */
#ifndef INTAKE_NOTARY_H
#define INTAKE_NOTARY_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "common/clamd.h"
#include "common/config.h"
#include "inspect/findings.h"

#define NOTARY_STASH_MAX   (64 * 1024)  /* an upload up to this is stashed (notary.c) */
#define FILENAME_MAX_BYTES 255
#define REF_MAX            128

struct notary_job {
	/* in: from the front */
	char     party[PARTY_ID_MAX];
	char     cert_sha256[65];          /* hex */
	char     kind[KIND_NAME_MAX];
	char     filename[FILENAME_MAX_BYTES + 1];
	char     ref[REF_MAX + 1];         /* "" = none */
	uint64_t size;
	uint8_t  sha256[32];               /* with has_sha256; the notary's own in the answer */
	int      has_sha256;               /* 0: the front left the hash to the notary (prehash) */
	char     quarantine[PATH_MAX];     /* the quarantined file; the notary removes or promotes it */
	uint64_t prehash;                  /* the front's pre-hash of it (prehash.h); 0 = none */
	char     client_digest[513];       /* "sha-256=:…:" as claimed, "" = none */
	char     agent[PARTY_ID_MAX];      /* the provider that sent it for party, "" = none */
	uint64_t plan;                     /* with has_plan: the remediation plan it closes */
	int      has_plan;
	char     fact[32];                 /* a fact (DESIGN §8) instead of an upload, "" = none */
	char     fact_date[11];            /* its date, YYYY-MM-DD */
	char     recorded_by[PARTY_ID_MAX];/* the SECAS identity that recorded it */
	char     scan[CLAMD_VERSION_MAX];  /* clamd's VERSION answer when scanned, "" = not scanned */
	struct inspect_result result;      /* in: the inspector's verdict (moved in, freed by notary_job_clear) */
	uint8_t *content;                  /* in: the upload's bytes when it is at most
	                                    * NOTARY_STASH_MAX (read as it was re-hashed), else
	                                    * NULL; malloc'd, freed by notary_job_clear */
	/* extra finding lines the front adds (e.g. digest mismatch) go in result too */

	/* out: filled by the notary before done() */
	int      status;                   /* 0 recorded, -1 not recorded */
	int      err;                      /* errno when status is -1 (ENOSPC -> 507) */
	uint64_t index;
	char     time[32];                 /* RFC 3339 UTC */
	char    *entry;                    /* the entry text (leaf), malloc'd */
	char    *receipt;                  /* the entry as a signed note, malloc'd */
	char    *proof;                    /* c2sp tlog-proof against the new checkpoint, malloc'd */

	/* completion: called once, from the notary thread */
	void   (*done)(struct notary_job *job, void *arg);
	void    *arg;
	struct notary_job *next;           /* queue link, the notary's */
};

struct notary;

/* Opens the ledger under CFG->data, loads the log key, runs start-up
 * recovery (empty this node's quarantine, check the last checkpoint against
 * the entries, drop store blobs no entry names: in a shared store only
 * those older than STORE_SWEEP_GRACE), and starts the notary thread.
 * NULL with a reason in ERR on failure. */
struct notary *notary_open(const struct config *cfg, char *err, size_t errlen);
/* notary_open in two steps, so that a process can give up its privileges
 * in between: notary_new loads the log key and creates the data directory,
 * the store and the quarantine (what may need root); notary_start opens the
 * ledger, recovers and starts the thread (what the data directory's owner
 * does). On notary_start's failure the caller notary_closes. */
struct notary *notary_new(const struct config *cfg, char *err, size_t errlen);
int notary_start(struct notary *n, char *err, size_t errlen);
/* Queues JOB; its done() will be called exactly once. JOB's out fields must
 * be zero (a calloc'd job, or one after notary_job_clear), and JOB must stay
 * valid until done() runs. */
void notary_submit(struct notary *n, struct notary_job *job);
/* Finishes every queued job, stops the thread, wipes the key, frees. */
void notary_close(struct notary *n);
/* The verifier key string of the log key (owned by the notary). */
const char *notary_vkey(const struct notary *n);
/* The committed tree size, right after notary_start (before any job). */
uint64_t notary_size(const struct notary *n);
/* The data directory. */
const char *notary_data(const struct notary *n);
/* The store and this node's quarantine. */
struct store;
const struct store *notary_store(const struct notary *n);
/* Frees what the job owns (entry, receipt, proof, content, inspect result). */
void notary_job_clear(struct notary_job *job);

#endif
