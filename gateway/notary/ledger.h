/*
 * notary/ledger.h: the ledger: entries, tree hashes, checkpoints.
 *
 * Stored through notary/db.h: SQLite (the default: one file, DATA/ledger.db,
 * WAL, synchronous=FULL) or PostgreSQL ([ledger] backend = postgresql, the
 * same tables with BIGINT/BYTEA, shared by several nodes: ledger_begin then
 * serialises appenders across nodes). Schema:
 *   entries(idx INTEGER PRIMARY KEY, time, party, cert, kind, filename, ref,
 *           size, sha256 BLOB, type, verdict, entry TEXT, receipt TEXT,
 *           findings TEXT (JSON array), manifest TEXT)
 *   tree(level INTEGER, idx INTEGER, hash BLOB, PRIMARY KEY(level, idx))
 *   checkpoints(size INTEGER PRIMARY KEY, note TEXT)
 * Writes happen only in the notary (ledger_open(.., 1, ..)) of each node; the front and
 * the CLI open it read-only and read consistent snapshots: every read
 * function below runs in one read transaction, so a proof always matches the
 * checkpoint it names. All SQL is prepared with bound parameters.
 */
#ifndef INTAKE_LEDGER_H
#define INTAKE_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include <intake/merkle.h>
#include <intake/note.h>

#include "common/config.h"

struct ledger;
struct workbook_refs;

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
	const char *actor;    /* not NULL: only entries of this Party or that it
	                       * uploaded for another as its agent (DESIGN §6) */
	const char *kind;     /* NULL: any */
	int         verdict;  /* -1 any, 1 accepted, 0 rejected */
	const char *since;    /* RFC 3339, NULL: any */
	uint64_t    after;    /* only idx > after when has_after */
	int         has_after;
	unsigned    limit;    /* at most this many, >0 */
};

/* Opens (creating, when writable) DIR/ledger.db. NULL and ERR on failure. */
struct ledger *ledger_open(const char *dir, int writable, char *err, size_t errlen);
/* The same, or with DSN not NULL the PostgreSQL ledger there (DIR unused);
 * callers pass the configuration's ledger_dsn. */
struct ledger *ledger_open_dsn(const char *dir, const char *dsn, int writable, char *err,
    size_t errlen);
void ledger_close(struct ledger *l);

/* The latest signed checkpoint note (malloc'd) and its size; 1 if none yet. */
int ledger_checkpoint(struct ledger *l, char **note, uint64_t *size);
/* Entry INDEX: 0 found, 1 not found, -1 error. Clear with ledger_entry_clear. */
int ledger_get(struct ledger *l, uint64_t index, struct ledger_entry *e);
void ledger_entry_clear(struct ledger_entry *e);
/* The rule of ?plan=N (DESIGN §5): whether entry PLAN is an accepted
 * remediation-plan receipt (not a fact) of PARTY. The front checks it
 * before the body, the notary again before it signs. 1 yes, 0 no, -1 error. */
int ledger_plan_ok(struct ledger *l, uint64_t plan, const char *party);
/* A fresh c2sp tlog-proof (malloc'd) of INDEX against the latest checkpoint.
 * 0, 1 if INDEX is not in that checkpoint's tree, -1 on error. */
int ledger_proof(struct ledger *l, uint64_t index, char **proof);
/* Calls CB, in one read transaction, for every accepted entry the obligations
 * register reads (facts and the kinds of DESIGN §8) of PARTY (NULL: all),
 * by Party then index; CB returns non-zero to stop. 0/-1. */
int ledger_obligation_rows(struct ledger *l, const char *party,
    int (*cb)(const struct ledger_entry *e, void *arg), void *arg);
/* Consistency proof between two tree sizes (0 < OLD <= NEW <= current). */
int ledger_consistency(struct ledger *l, uint64_t old, uint64_t new_size,
    intake_hash proof[INTAKE_PROOF_MAX], size_t *n);
/* Calls CB for each entry matching F in index order; CB returns non-zero to stop.
 * CB runs inside the read transaction and must not call into L. */
int ledger_list(struct ledger *l, const struct ledger_filter *f,
    int (*cb)(const struct ledger_entry *e, void *arg), void *arg);
/* Stored complete-subtree hash at (level, index): for tiles and audits. 0/1/-1. */
int ledger_hash(struct ledger *l, unsigned level, uint64_t index, uint8_t out[32]);

/* Number of entries (= tree size); outside a write transaction. 0/-1. */
int ledger_tree_size(struct ledger *l, uint64_t *size);
/* Whether an accepted entry names blob SHA256: 1 yes, 0 no, -1 error. */
int ledger_blob_referenced(struct ledger *l, const uint8_t sha256[32]);
/*
 * Checks the whole stored log (start-up recovery, offline audits): the latest
 * checkpoint is signed by V (when not NULL) for ORIGIN (when not NULL), there
 * are exactly as many entries as it covers, every leaf is the hash of its
 * entry, every stored node the hash of its children, and the root of the
 * stored tree is the checkpoint's root. 0 (*SIZE = checkpoint size), 1 if the
 * ledger is empty and has no checkpoint yet, -1 with the reason in ERR.
 */
int ledger_verify(struct ledger *l, const struct intake_verifier *v,
    const char *origin, uint64_t *size, char *err, size_t errlen);

/*
 * Writer API (the notary only; the ledger must be open writable). A batch is
 * ledger_begin, ledger_append for each entry, ledger_add_checkpoint for the
 * new size, then ledger_commit (or ledger_rollback). The handle is locked
 * from begin to commit/rollback: only the calling thread may use it between.
 * The in-transaction reads (ledger_tx_*) see the batch's own rows.
 */
struct ledger_record {
	uint64_t       index;        /* must equal the tree size */
	const char    *time;
	const char    *party;
	const char    *cert;         /* hex */
	const char    *kind;
	const char    *filename;
	const char    *ref;          /* "" none */
	uint64_t       size;
	const uint8_t *sha256;       /* 32 bytes */
	const char    *type;
	int            accepted;
	const char    *entry;        /* the leaf text, exactly as signed */
	size_t         entry_len;
	const char    *receipt;      /* signed note of entry */
	const char    *findings;     /* JSON array text */
	const char    *manifest;     /* archive member manifest, NULL none */
	size_t         manifest_len;
	const struct workbook_refs *workbook; /* accepted validation workbooks: its
	                                      * evidence references (links.h), else NULL */
};

/* Opens the write transaction (SQLite BEGIN IMMEDIATE; PostgreSQL: READ
 * COMMITTED and the appenders' lock, which other nodes wait for until this
 * batch commits or rolls back); *SIZE is the tree size then, which with
 * PostgreSQL may have grown since this handle's last batch (other nodes).
 * 0/-1 (errno). */
int ledger_begin(struct ledger *l, uint64_t *size);
/* Appends R: the entry row, its leaf and the completed subtree hashes. 0/-1. */
int ledger_append(struct ledger *l, const struct ledger_record *r);
/* Root of the first SIZE leaves, in the transaction. 0/-1. */
int ledger_tx_root(struct ledger *l, uint64_t size, uint8_t root[32]);
/* Audit path of INDEX in the tree of SIZE leaves, in the transaction. 0/-1. */
int ledger_tx_inclusion(struct ledger *l, uint64_t index, uint64_t size,
    intake_hash proof[INTAKE_PROOF_MAX], size_t *n);
/* Records the signed checkpoint NOTE of SIZE (must be the current size). 0/-1. */
int ledger_add_checkpoint(struct ledger *l, uint64_t size, const char *note);
/* COMMIT (durable on return: WAL, synchronous=FULL; PostgreSQL
 * synchronous_commit = on). On failure the batch is
 * rolled back and -1 returned with errno ENOSPC, EIO, ... */
int ledger_commit(struct ledger *l);
/* Abandons the batch. */
void ledger_rollback(struct ledger *l);

/*
 * The stash: the bytes of small uploads whose store files are not known to
 * be durable yet (notary.c). Not part of the log: its rows go in the batch's
 * transaction with the entries that name them, so that one commit makes
 * both durable, and are deleted once a syncfs of the store has made the
 * files durable in their own right. After a power loss, start-up recovery
 * puts back any stashed file that is missing or not its bytes.
 */
/* In the write transaction: stashes DATA, the LEN bytes of blob SHA256. 0/-1. */
int ledger_stash(struct ledger *l, const uint8_t sha256[32], const void *data, size_t len);
/* Outside a write transaction: the id of the last stash row, 0 none. 0/-1. */
int ledger_stash_top(struct ledger *l, int64_t *top);
/* In the write transaction: deletes the stash rows up to id UPTO. 0/-1. */
int ledger_stash_forget(struct ledger *l, int64_t upto);
/* Calls CB for each stash row, oldest first, in one read transaction (CB must
 * not call into L); CB returns non-zero to stop, which is returned. A ledger
 * without the table (older, read-only) has an empty stash. 0/-1. */
int ledger_stash_each(struct ledger *l, int (*cb)(const uint8_t sha256[32],
    const void *data, size_t len, void *arg), void *arg);

/* The link report of Validation Workbook INDEX (DESIGN §5) as JSON (*out,
 * a new reference). PARTY not NULL: the workbook must be that Party's.
 * 0 found, 1 not found (or not a workbook), -1 error. */
struct json_t;
int ledger_links(struct ledger *l, uint64_t index, const char *party, struct json_t **out);

/* Witnessed logs (issue 16): from now on, "the latest checkpoint" of this
 * handle (ledger_checkpoint, ledger_proof, ledger_consistency's bound) is the
 * latest published one, the signed note with its witnesses' cosignatures
 * (table published, notary/witness.h). The table must exist. 0/-1. */
int ledger_set_witnessed(struct ledger *l);
/* The database handle, for notary/witness.c's own tables (as links.c). Its
 * user must not use it while another thread uses the ledger handle. */
struct db;
struct db *ledger_dbh(struct ledger *l);
/* The tree size witness NAME last cosigned (notary/witness.c's
 * witness_state), 0 when it has cosigned nothing yet. 0/-1. */
int ledger_witness_size(struct ledger *l, const char *name, uint64_t *size);

#endif
