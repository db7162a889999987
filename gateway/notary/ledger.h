/*
 * notary/ledger.h: the SQLite ledger: entries, tree hashes, checkpoints.
 *
 * Schema (one file, DATA/ledger.db, WAL, synchronous=FULL):
 *   entries(idx INTEGER PRIMARY KEY, time, party, cert, kind, filename, ref,
 *           size, sha256 BLOB, type, verdict, entry TEXT, receipt TEXT,
 *           findings TEXT (JSON array), manifest TEXT)
 *   tree(level INTEGER, idx INTEGER, hash BLOB, PRIMARY KEY(level, idx))
 *   checkpoints(size INTEGER PRIMARY KEY, note TEXT)
 * Writes happen only in the notary (ledger_open(.., 0, ..)); the front and
 * the CLI open it read-only and read consistent snapshots: every read
 * function below runs in one read transaction, so a proof always matches the
 * checkpoint it names. All SQL is prepared with bound parameters.
 */
#ifndef INTAKE_LEDGER_H
#define INTAKE_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include <intake/merkle.h>

#include "common/config.h"

struct ledger;

struct ledger_entry {
	uint64_t index;
	char     time[32];
	char     party[PARTY_ID_MAX];
	char     kind[KIND_NAME_MAX];
	char     filename[256];
	char     ref[129];
	uint64_t size;
	uint8_t  sha256[32];
	char     type[MIME_MAX];
	int      accepted;
	char    *entry;       /* malloc'd, the leaf text */
	char    *receipt;     /* malloc'd, signed note */
	char    *findings;    /* malloc'd JSON array text, "[]" when none */
};

struct ledger_filter {
	const char *party;    /* NULL: any */
	const char *kind;     /* NULL: any */
	int         verdict;  /* -1 any, 1 accepted, 0 rejected */
	const char *since;    /* RFC 3339, NULL: any */
	uint64_t    after;    /* only idx > after when has_after */
	int         has_after;
	unsigned    limit;    /* at most this many, >0 */
};

/* Opens (creating, when writable) DIR/ledger.db. NULL and ERR on failure. */
struct ledger *ledger_open(const char *dir, int writable, char *err, size_t errlen);
void ledger_close(struct ledger *l);

/* The latest signed checkpoint note (malloc'd) and its size; 1 if none yet. */
int ledger_checkpoint(struct ledger *l, char **note, uint64_t *size);
/* Entry INDEX: 0 found, 1 not found, -1 error. Clear with ledger_entry_clear. */
int ledger_get(struct ledger *l, uint64_t index, struct ledger_entry *e);
void ledger_entry_clear(struct ledger_entry *e);
/* A fresh c2sp tlog-proof (malloc'd) of INDEX against the latest checkpoint. */
int ledger_proof(struct ledger *l, uint64_t index, char **proof);
/* Consistency proof between two tree sizes (0 < OLD <= NEW <= current). */
int ledger_consistency(struct ledger *l, uint64_t old, uint64_t new_size,
    intake_hash proof[INTAKE_PROOF_MAX], size_t *n);
/* Calls CB for each entry matching F in index order; CB returns non-zero to stop. */
int ledger_list(struct ledger *l, const struct ledger_filter *f,
    int (*cb)(const struct ledger_entry *e, void *arg), void *arg);
/* Stored complete-subtree hash at (level, index): for tiles and audits. 0/1/-1. */
int ledger_hash(struct ledger *l, unsigned level, uint64_t index, uint8_t out[32]);

#endif
