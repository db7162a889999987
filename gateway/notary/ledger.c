/*
 * notary/ledger.c: the ledger (ledger.h), on SQLite or PostgreSQL through
 * notary/db.h: one code for both, the dialect differences (schema, one list
 * query) spelled out below.
 *
 * One connection per handle, guarded by a mutex: a reader function holds it
 * for its whole read transaction (a snapshot: SQLite BEGIN, PostgreSQL
 * REPEATABLE READ READ ONLY), the writer from ledger_begin to
 * ledger_commit/ledger_rollback. Every statement is a constant string
 * prepared once at open with bound parameters; the schema is append-only
 * (triggers refuse UPDATE and DELETE, and TRUNCATE in PostgreSQL), which
 * guards against our own bugs, not against someone with write access to the
 * file or the database: ledger_verify is for that. With PostgreSQL, other
 * nodes' notaries append to the same tables; ledger_begin serialises them.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include <intake/receipt.h>

#include "common/errbuf.h"
#include "common/log.h"
#include "notary/db.h"
#include "notary/ledger.h"
#include "notary/links.h"

#define LEDGER_FILE           "ledger.db"
#define LEDGER_SCHEMA_VERSION 1

enum {
	ST_HASH, ST_CP_LATEST, ST_GET, ST_LIST_ANY, ST_LIST_PARTY, ST_LIST_ACTOR, ST_SIZE, ST_REF,
	ST_OBLIGATIONS,
	ST_INS_ENTRY, ST_INS_TREE, ST_INS_CP, ST_STASH_ADD, ST_STASH_FORGET,
	ST_STASH_TOP,                           /* writers only: keep last */
	ST_COUNT
};

#define ENTRY_COLS "idx, time, party, kind, filename, ref, size, sha256, type, " \
	"verdict, entry, receipt, findings"
/* "CAST(?N AS TEXT) IS NULL": PostgreSQL must know a parameter's type
 * where it first meets it; SQLite reads the same text. */
#define LIST_FILTER "AND (CAST(?2 AS TEXT) IS NULL OR kind = ?2) " \
	"AND (CAST(?3 AS TEXT) IS NULL OR verdict = ?3) " \
	"AND (CAST(?4 AS TEXT) IS NULL OR time >= ?4) ORDER BY idx LIMIT ?5"

static const char *ledger_sql[ST_COUNT] = {
	[ST_HASH] = "SELECT hash FROM tree WHERE level = ?1 AND idx = ?2",
	[ST_CP_LATEST] = "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1",
	[ST_GET] = "SELECT " ENTRY_COLS " FROM entries WHERE idx = ?1",
	[ST_LIST_ANY] = "SELECT " ENTRY_COLS " FROM entries WHERE idx > ?1 " LIST_FILTER,
	[ST_LIST_PARTY] = "SELECT " ENTRY_COLS " FROM entries WHERE party = ?6 AND idx > ?1 "
	    LIST_FILTER,
	/* a Party's own entries and those it uploaded as an agent: only a
	 * shared-resource-return has an agent (DESIGN §5 ?for=, re-checked by the
	 * notary), and its line is exactly "\nagent: ID\n" (no value holds a
	 * newline); entries_party and entries_kind serve it */
	[ST_LIST_ACTOR] = "SELECT " ENTRY_COLS " FROM entries WHERE (party = ?6 OR "
	    "(kind = '" KIND_SHARED_RESOURCE "' AND "
	    "instr(entry, char(10) || 'agent: ' || ?6 || char(10)) > 0)) "
	    "AND (CAST(?7 AS TEXT) IS NULL OR party = ?7) AND idx > ?1 " LIST_FILTER,
	[ST_SIZE] = "SELECT coalesce(max(idx) + 1, 0) FROM entries",
	[ST_REF] = "SELECT 1 FROM entries WHERE sha256 = ?1 AND verdict = 'accepted' LIMIT 1",
	[ST_INS_ENTRY] = "INSERT INTO entries(idx, time, party, cert, kind, filename, ref, "
	    "size, sha256, type, verdict, entry, receipt, findings, manifest) "
	    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	[ST_INS_TREE] = "INSERT INTO tree(level, idx, hash) VALUES(?1, ?2, ?3)",
	[ST_INS_CP] = "INSERT INTO checkpoints(size, note) VALUES(?1, ?2)",
	[ST_STASH_ADD] = "INSERT INTO stash(sha256, data) VALUES(?1, ?2)",
	[ST_STASH_FORGET] = "DELETE FROM stash WHERE id <= ?1",
	[ST_STASH_TOP] = "SELECT coalesce(max(id), 0) FROM stash",
	/* what the obligations register reads (DESIGN §8); entries_kind serves it */
	[ST_OBLIGATIONS] = "SELECT " ENTRY_COLS " FROM entries WHERE kind IN ('intake-fact', "
	    "'ssa-workbook', 'notification-agreement', 'remediation-plan', 'director-letter', "
	    "'shared-resource-return') AND verdict = 'accepted' "
	    "AND (CAST(?1 AS TEXT) IS NULL OR party = ?1) "
	    "ORDER BY party, idx",
};

/* ST_LIST_ACTOR in PostgreSQL: strpos and chr for instr and char. */
static const char ledger_sql_actor_pg[] = "SELECT " ENTRY_COLS " FROM entries WHERE "
    "(party = ?6 OR (kind = '" KIND_SHARED_RESOURCE "' AND "
    "strpos(entry, chr(10) || 'agent: ' || ?6 || chr(10)) > 0)) "
    "AND (CAST(?7 AS TEXT) IS NULL OR party = ?7) AND idx > ?1 " LIST_FILTER;

static const char ledger_schema[] =
	"CREATE TABLE entries("
	" idx INTEGER PRIMARY KEY, time TEXT NOT NULL, party TEXT NOT NULL,"
	" cert TEXT NOT NULL, kind TEXT NOT NULL, filename TEXT NOT NULL,"
	" ref TEXT NOT NULL, size INTEGER NOT NULL, sha256 BLOB NOT NULL,"
	" type TEXT NOT NULL,"
	" verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'rejected')),"
	" entry TEXT NOT NULL, receipt TEXT NOT NULL, findings TEXT NOT NULL,"
	" manifest TEXT);"
	"CREATE INDEX entries_party ON entries(party, idx);"
	"CREATE INDEX entries_sha256 ON entries(sha256);"
	"CREATE TABLE tree(level INTEGER NOT NULL, idx INTEGER NOT NULL,"
	" hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;"
	"CREATE TABLE checkpoints(size INTEGER PRIMARY KEY, note TEXT NOT NULL);"
	"CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries"
	" BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
	"CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries"
	" BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
	"CREATE TRIGGER tree_no_update BEFORE UPDATE ON tree"
	" BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
	"CREATE TRIGGER tree_no_delete BEFORE DELETE ON tree"
	" BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
	"CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints"
	" BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
	"CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints"
	" BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
	"PRAGMA user_version = 1;";

/* The same schema in PostgreSQL: BIGINT and BYTEA; the append-only rule is
 * a PL/pgSQL trigger (rows and TRUNCATE); the version is a row of
 * ledger_meta (there is no user_version). */
static const char ledger_schema_pg[] =
	"CREATE TABLE entries("
	" idx BIGINT PRIMARY KEY, time TEXT NOT NULL, party TEXT NOT NULL,"
	" cert TEXT NOT NULL, kind TEXT NOT NULL, filename TEXT NOT NULL,"
	" ref TEXT NOT NULL, size BIGINT NOT NULL, sha256 BYTEA NOT NULL,"
	" type TEXT NOT NULL,"
	" verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'rejected')),"
	" entry TEXT NOT NULL, receipt TEXT NOT NULL, findings TEXT NOT NULL,"
	" manifest TEXT);"
	"CREATE INDEX entries_party ON entries(party, idx);"
	"CREATE INDEX entries_sha256 ON entries(sha256);"
	"CREATE TABLE tree(level BIGINT NOT NULL, idx BIGINT NOT NULL,"
	" hash BYTEA NOT NULL, PRIMARY KEY (level, idx));"
	"CREATE TABLE checkpoints(size BIGINT PRIMARY KEY, note TEXT NOT NULL);"
	"CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS"
	" $$BEGIN RAISE EXCEPTION 'the ledger is append-only'; END$$;"
	"CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries"
	" FOR EACH ROW EXECUTE FUNCTION ledger_append_only();"
	"CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries"
	" FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();"
	"CREATE TRIGGER tree_append_only BEFORE UPDATE OR DELETE ON tree"
	" FOR EACH ROW EXECUTE FUNCTION ledger_append_only();"
	"CREATE TRIGGER tree_no_truncate BEFORE TRUNCATE ON tree"
	" FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();"
	"CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints"
	" FOR EACH ROW EXECUTE FUNCTION ledger_append_only();"
	"CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints"
	" FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();"
	"CREATE TABLE ledger_meta(version BIGINT NOT NULL);"
	"INSERT INTO ledger_meta(version) VALUES (1);";

/* The lock that serialises appenders across nodes (PostgreSQL), held until
 * the appending transaction ends; any fixed 64-bit key of our own. */
#define LEDGER_PG_LOCK "SELECT pg_advisory_xact_lock(7390182233917042529)"

/*
 * The writer's tree hashes at hand: a batch reads the same nodes for each
 * of its appends and proofs (the left siblings, the roots of the complete
 * subtrees), one query each. A node at (level, index) never changes once
 * committed (append-only), so what the writer reads or appends is kept
 * here, direct-mapped; a transaction that does not commit takes its own
 * with it (the whole table is forgotten). Only the writer's own appends,
 * roots and inclusion proofs use it: verification, and every reader,
 * read the database.
 */
#define LEDGER_HASHES 1024   /* a power of two */

struct ledger_hash_slot {
	uint64_t index;
	uint8_t  level;      /* the level + 1; 0: empty */
	uint8_t  hash[INTAKE_HASH_LEN];
};

struct ledger {
	struct db       *db;
	struct db_stmt  *st[ST_COUNT];
	int              writable;
	pthread_mutex_t  mu;
	int              in_tx;      /* a write transaction is open */
	uint64_t         tx_size;    /* tree size inside it */
	struct ledger_hash_slot *hashes;   /* the writer's; NULL: none */
};

static int	ledger_exec(struct ledger *l, const char *sql);
static int	ledger_read_hash(void *arg, unsigned level, uint64_t index,
		    uint8_t out[INTAKE_HASH_LEN]);
static int	ledger_tx_hash(void *arg, unsigned level, uint64_t index,
		    uint8_t out[INTAKE_HASH_LEN]);

/* A constant statement without parameters (transactions, pragmas, schema). */
static int
ledger_exec(struct ledger *l, const char *sql)
{
	if (db_exec(l->db, sql) == -1) {
		log_warnx("ledger: %s", db_errmsg(l->db));
		return -1;
	}
	return 0;
}

static int
ledger_step_err(struct ledger *l, struct db_stmt *st, int rc)
{
	int saved = errno;

	(void)rc;
	log_warnx("ledger: %s: %s", db_sql(st), db_errmsg(l->db));
	errno = saved;
	return -1;
}

/* Integer column that must be >= 0. */
static uint64_t
ledger_col_u64(struct db_stmt *st, int col)
{
	int64_t v = db_column_int64(st, col);

	return v < 0 ? 0 : (uint64_t)v;
}

/* Bind a uint64 as a signed 64-bit integer; -1 above INT64_MAX. */
static int
ledger_bind_u64(struct db_stmt *st, int i, uint64_t v)
{
	if (v > INT64_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	return db_bind_int64(st, i, (int64_t)v);
}

static int
ledger_bind_text(struct db_stmt *st, int i, const char *s)
{
	return db_bind_text(st, i, s, -1);
}

/* The schema version: 0 none yet, -1 error. */
static int
ledger_version(struct ledger *l)
{
	struct db_stmt *st;
	int v = -1;

	if (db_backend(l->db) == DB_SQLITE)
		st = db_prepare(l->db, "PRAGMA user_version");
	else if ((st = db_prepare(l->db, "SELECT max(version) FROM ledger_meta")) == NULL &&
	    errno == ENOENT)
		return 0;
	if (st == NULL)
		return -1;
	if (db_step(st) == DB_ROW)
		v = (int)db_column_int64(st, 0);
	db_finalize(st);
	return v;
}

/* Creates the schema in a new ledger, checks its version in an old one. */
static int
ledger_schema_check(struct ledger *l, char *err, size_t errlen)
{
	int pg = db_backend(l->db) == DB_POSTGRESQL, version;

	if (l->writable && db_begin_write(l->db) == -1)
		goto fail;
	/* two nodes starting on an empty database: one creates, one waits */
	if (l->writable && pg && db_exec(l->db, LEDGER_PG_LOCK) == -1)
		goto fail;
	if (pg && l->writable) {
		/* a missing table aborts a PostgreSQL transaction: ask the catalog */
		struct db_stmt *st = db_prepare(l->db,
		    "SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = 'ledger_meta' "
		    "AND schemaname = current_schema()");
		int64_t n = -1;

		if (st == NULL)
			goto fail;
		if (db_step(st) == DB_ROW)
			n = db_column_int64(st, 0);
		db_finalize(st);
		if (n == -1)
			goto fail;
		version = n == 0 ? 0 : ledger_version(l);
	} else
		version = ledger_version(l);
	if (version == 0 && l->writable) {
		if (ledger_exec(l, pg ? ledger_schema_pg : ledger_schema) == -1)
			goto fail;
		version = LEDGER_SCHEMA_VERSION;
	}
	if (version != LEDGER_SCHEMA_VERSION) {
		if (version == 0)
			errset(err, errlen, "ledger: no ledger in this database");
		else
			errset(err, errlen, "ledger: unknown schema version %d", version);
		if (l->writable)
			db_rollback(l->db);
		return -1;
	}
	/* The workbook link tables live beside the entries (links.h). */
	if (l->writable && links_schema(l->db) == -1)
		goto fail;
	/* The stash (ledger.h): not part of the log, and the one table whose
	 * rows are deleted; added to older ledgers as they open. */
	if (l->writable && ledger_exec(l, pg ?
	    "CREATE TABLE IF NOT EXISTS stash(id BIGSERIAL PRIMARY KEY, "
	    "sha256 BYTEA NOT NULL, data BYTEA NOT NULL)" :
	    "CREATE TABLE IF NOT EXISTS stash(id INTEGER PRIMARY KEY, "
	    "sha256 BLOB NOT NULL, data BLOB NOT NULL)") == -1)
		goto fail;
	/* The obligations register's index; added to older ledgers as they open. */
	if (l->writable && ledger_exec(l, "CREATE INDEX IF NOT EXISTS entries_kind "
	    "ON entries(kind, party, idx)") == -1)
		goto fail;
	if (l->writable && db_commit(l->db) == -1)
		goto fail;
	return 0;
fail:
	errset(err, errlen, "ledger: schema: %s", db_errmsg(l->db));
	if (l->writable)
		db_rollback(l->db);
	return -1;
}

struct ledger *
ledger_open(const char *dir, int writable, char *err, size_t errlen)
{
	return ledger_open_dsn(dir, NULL, writable, err, errlen);
}

struct ledger *
ledger_open_dsn(const char *dir, const char *dsn, int writable, char *err, size_t errlen)
{
	struct ledger *l;
	char path[PATH_MAX];
	const char *sql;
	int i, n;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		errset(err, errlen, "ledger: out of memory");
		return NULL;
	}
	pthread_mutex_init(&l->mu, NULL);
	l->writable = writable;
	/* none is no harm: every hash is then read from the database */
	if (writable)
		l->hashes = calloc(LEDGER_HASHES, sizeof(*l->hashes));
	if (dsn != NULL)
		l->db = db_open_pg(dsn, writable, err, errlen);
	else {
		n = snprintf(path, sizeof(path), "%s/%s", dir, LEDGER_FILE);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			errset(err, errlen, "ledger: path too long");
			goto fail;
		}
		l->db = db_open_sqlite(path, writable, err, errlen);
	}
	if (l->db == NULL)
		goto fail;
	if (ledger_schema_check(l, err, errlen) == -1)
		goto fail;
	for (i = 0; i < ST_COUNT; i++) {
		if (!writable && i >= ST_INS_ENTRY)
			continue;
		sql = ledger_sql[i];
		if (i == ST_LIST_ACTOR && db_backend(l->db) == DB_POSTGRESQL)
			sql = ledger_sql_actor_pg;
		if ((l->st[i] = db_prepare(l->db, sql)) == NULL) {
			errset(err, errlen, "ledger: prepare: %s", db_errmsg(l->db));
			goto fail;
		}
	}
	return l;
fail:
	ledger_close(l);
	return NULL;
}

void
ledger_close(struct ledger *l)
{
	int i;

	if (l == NULL)
		return;
	if (l->in_tx)
		ledger_rollback(l);
	for (i = 0; i < ST_COUNT; i++)
		db_finalize(l->st[i]);
	db_close(l->db);
	pthread_mutex_destroy(&l->mu);
	free(l->hashes);
	free(l);
}

/* Read transaction around a reader function. */
static int
ledger_rbegin(struct ledger *l)
{
	pthread_mutex_lock(&l->mu);
	if (db_begin_read(l->db) == -1) {
		log_warnx("ledger: %s", db_errmsg(l->db));
		pthread_mutex_unlock(&l->mu);
		return -1;
	}
	return 0;
}

static void
ledger_rend(struct ledger *l)
{
	int i;

	for (i = 0; i < ST_COUNT; i++)
		if (l->st[i] != NULL)
			db_reset(l->st[i]);
	if (db_commit(l->db) == -1)
		log_warnx("ledger: %s", db_errmsg(l->db));
	pthread_mutex_unlock(&l->mu);
}

static int
ledger_read_hash(void *arg, unsigned level, uint64_t index, uint8_t out[INTAKE_HASH_LEN])
{
	struct ledger *l = arg;
	struct db_stmt *st = l->st[ST_HASH];
	int rc, ret = -1;

	db_reset(st);
	if (db_bind_int64(st, 1, level) != 0 ||
	    ledger_bind_u64(st, 2, index) == -1)
		goto out;
	if ((rc = db_step(st)) == DB_ROW) {
		if (db_column_bytes(st, 0) == INTAKE_HASH_LEN) {
			memcpy(out, db_column_blob(st, 0), INTAKE_HASH_LEN);
			ret = 0;
		} else
			log_warnx("ledger: tree(%u, %" PRIu64 ") is not a hash", level, index);
	} else if (rc != DB_DONE)
		ledger_step_err(l, st, rc);
out:
	db_reset(st);
	return ret;
}

static struct ledger_hash_slot *
ledger_hash_slot(struct ledger *l, unsigned level, uint64_t index)
{
	uint64_t h = (index ^ ((uint64_t)level << 56)) * 0x9e3779b97f4a7c15ULL;

	return &l->hashes[h >> 54 & (LEDGER_HASHES - 1)];
}

static void
ledger_hash_keep(struct ledger *l, unsigned level, uint64_t index,
    const uint8_t hash[INTAKE_HASH_LEN])
{
	struct ledger_hash_slot *slot;

	if (l->hashes == NULL || level >= 64)
		return;
	slot = ledger_hash_slot(l, level, index);
	slot->index = index;
	slot->level = (uint8_t)(level + 1);
	memcpy(slot->hash, hash, INTAKE_HASH_LEN);
}

/* The writer's transaction did not commit: what it appended is gone. */
static void
ledger_hash_forget(struct ledger *l)
{
	if (l->hashes != NULL)
		memset(l->hashes, 0, LEDGER_HASHES * sizeof(*l->hashes));
}

/* ledger_read_hash for the writer: from its table when there. */
static int
ledger_tx_hash(void *arg, unsigned level, uint64_t index, uint8_t out[INTAKE_HASH_LEN])
{
	struct ledger *l = arg;
	struct ledger_hash_slot *slot;

	if (l->hashes != NULL && level < 64) {
		slot = ledger_hash_slot(l, level, index);
		if (slot->level == level + 1 && slot->index == index) {
			memcpy(out, slot->hash, INTAKE_HASH_LEN);
			return 0;
		}
	}
	if (ledger_read_hash(l, level, index, out) == -1)
		return -1;
	ledger_hash_keep(l, level, index, out);
	return 0;
}

/* Latest checkpoint inside a transaction: 0, 1 none, -1 error. NOTE may be NULL. */
static int
ledger_cp_latest(struct ledger *l, char **note, uint64_t *size)
{
	struct db_stmt *st = l->st[ST_CP_LATEST];
	const char *t;
	int rc, ret = -1;

	db_reset(st);
	rc = db_step(st);
	if (rc == DB_DONE) {
		ret = 1;
		goto out;
	}
	if (rc != DB_ROW) {
		ledger_step_err(l, st, rc);
		goto out;
	}
	*size = ledger_col_u64(st, 0);
	if (note != NULL) {
		if ((t = db_column_text(st, 1)) == NULL ||
		    (*note = strdup((const char *)t)) == NULL)
			goto out;
	}
	ret = 0;
out:
	db_reset(st);
	return ret;
}

static int
ledger_size_locked(struct ledger *l, uint64_t *size)
{
	struct db_stmt *st = l->st[ST_SIZE];
	int rc, ret = -1;

	db_reset(st);
	if ((rc = db_step(st)) == DB_ROW) {
		*size = ledger_col_u64(st, 0);
		ret = 0;
	} else
		ledger_step_err(l, st, rc);
	db_reset(st);
	return ret;
}

int
ledger_checkpoint(struct ledger *l, char **note, uint64_t *size)
{
	int ret;

	if (ledger_rbegin(l) == -1)
		return -1;
	ret = ledger_cp_latest(l, note, size);
	ledger_rend(l);
	return ret;
}

int
ledger_tree_size(struct ledger *l, uint64_t *size)
{
	int ret;

	if (ledger_rbegin(l) == -1)
		return -1;
	ret = ledger_size_locked(l, size);
	ledger_rend(l);
	return ret;
}

/* Copies text column COL into a fixed field; -1 if absent or too long. */
static int
ledger_col_copy(struct db_stmt *st, int col, char *out, size_t outlen)
{
	const char *t = db_column_text(st, col);
	int n = db_column_bytes(st, col);

	if (t == NULL || n < 0 || (size_t)n >= outlen)
		return -1;
	memcpy(out, t, n);
	out[n] = '\0';
	return 0;
}

static char *
ledger_col_dup(struct db_stmt *st, int col)
{
	const char *t = db_column_text(st, col);

	return t == NULL ? NULL : strdup((const char *)t);
}

/* Fills E from a row of ENTRY_COLS. 0/-1. */
static int
ledger_row_entry(struct db_stmt *st, struct ledger_entry *e)
{
	const char *verdict;

	memset(e, 0, sizeof(*e));
	e->index = ledger_col_u64(st, 0);
	if (ledger_col_copy(st, 1, e->time, sizeof(e->time)) == -1 ||
	    ledger_col_copy(st, 2, e->party, sizeof(e->party)) == -1 ||
	    ledger_col_copy(st, 3, e->kind, sizeof(e->kind)) == -1 ||
	    ledger_col_copy(st, 4, e->filename, sizeof(e->filename)) == -1 ||
	    ledger_col_copy(st, 5, e->ref, sizeof(e->ref)) == -1 ||
	    ledger_col_copy(st, 8, e->type, sizeof(e->type)) == -1)
		goto bad;
	e->size = ledger_col_u64(st, 6);
	if (db_column_bytes(st, 7) != 32)
		goto bad;
	memcpy(e->sha256, db_column_blob(st, 7), 32);
	verdict = db_column_text(st, 9);
	e->accepted = verdict != NULL && strcmp((const char *)verdict, "accepted") == 0;
	if ((e->entry = ledger_col_dup(st, 10)) == NULL ||
	    (e->receipt = ledger_col_dup(st, 11)) == NULL ||
	    (e->findings = ledger_col_dup(st, 12)) == NULL)
		goto bad;
	return 0;
bad:
	log_warnx("ledger: entry %" PRIu64 " is malformed", e->index);
	ledger_entry_clear(e);
	errno = EIO;
	return -1;
}

int
ledger_get(struct ledger *l, uint64_t index, struct ledger_entry *e)
{
	struct db_stmt *st = l->st[ST_GET];
	int rc, ret = -1;

	memset(e, 0, sizeof(*e));
	if (index > INT64_MAX)
		return 1;
	if (ledger_rbegin(l) == -1)
		return -1;
	if (ledger_bind_u64(st, 1, index) == -1)
		goto out;
	rc = db_step(st);
	if (rc == DB_DONE)
		ret = 1;
	else if (rc == DB_ROW)
		ret = ledger_row_entry(st, e);
	else
		ledger_step_err(l, st, rc);
out:
	ledger_rend(l);
	return ret;
}

int
ledger_plan_ok(struct ledger *l, uint64_t plan, const char *party)
{
	static const char magic[] = "intake-receipt/v1\n";
	struct ledger_entry e;
	int r;

	if ((r = ledger_get(l, plan, &e)) != 0)
		return r == 1 ? 0 : -1;
	r = strcmp(e.party, party) == 0 && e.accepted &&
	    strcmp(e.kind, KIND_REMEDIATION_PLAN) == 0 && e.entry != NULL &&
	    strncmp(e.entry, magic, sizeof(magic) - 1) == 0;
	ledger_entry_clear(&e);
	return r;
}

void
ledger_entry_clear(struct ledger_entry *e)
{
	free(e->entry);
	free(e->receipt);
	free(e->findings);
	e->entry = e->receipt = e->findings = NULL;
}

int
ledger_proof(struct ledger *l, uint64_t index, char **proof)
{
	intake_hash path[INTAKE_PROOF_MAX];
	char *note = NULL;
	uint64_t size;
	size_t n;
	int ret = -1, r;

	*proof = NULL;
	if (ledger_rbegin(l) == -1)
		return -1;
	if ((r = ledger_cp_latest(l, &note, &size)) != 0) {
		ret = r;
		goto out;
	}
	if (index >= size) {
		ret = 1;
		goto out;
	}
	if (intake_merkle_inclusion_proof(index, size, ledger_read_hash, l, path, &n) == -1)
		goto out;
	if ((*proof = intake_tlog_proof_format(index, path, n, note)) == NULL)
		goto out;
	ret = 0;
out:
	ledger_rend(l);
	free(note);
	return ret;
}

int
ledger_consistency(struct ledger *l, uint64_t old, uint64_t new_size,
    intake_hash proof[INTAKE_PROOF_MAX], size_t *n)
{
	uint64_t size;
	int ret = -1;

	*n = 0;
	if (old == 0 || old > new_size) {
		errno = EINVAL;
		return -1;
	}
	if (ledger_rbegin(l) == -1)
		return -1;
	if (ledger_cp_latest(l, NULL, &size) != 0 || new_size > size) {
		errno = EINVAL;
		goto out;
	}
	if (old == new_size) {
		ret = 0;
		goto out;
	}
	ret = intake_merkle_consistency_proof(old, new_size, ledger_read_hash, l, proof, n);
out:
	ledger_rend(l);
	return ret;
}

/* Steps ST (bound, in a read transaction) and hands each row to CB until
 * it returns non-zero or the rows end. 0/-1. */
static int
ledger_rows(struct ledger *l, struct db_stmt *st,
    int (*cb)(const struct ledger_entry *e, void *arg), void *arg)
{
	struct ledger_entry e;
	int rc = DB_DONE, stop = 0;

	while (!stop && (rc = db_step(st)) == DB_ROW) {
		if (ledger_row_entry(st, &e) == -1)
			return -1;
		stop = cb(&e, arg);
		ledger_entry_clear(&e);
	}
	if (!stop && rc != DB_DONE) {
		ledger_step_err(l, st, rc);
		return -1;
	}
	return 0;
}

int
ledger_list(struct ledger *l, const struct ledger_filter *f,
    int (*cb)(const struct ledger_entry *e, void *arg), void *arg)
{
	struct db_stmt *st;
	int ret = -1;

	if (f->limit == 0 || (f->has_after && f->after >= INT64_MAX)) {
		errno = EINVAL;
		return -1;
	}
	st = l->st[f->actor != NULL ? ST_LIST_ACTOR : f->party != NULL ? ST_LIST_PARTY :
	    ST_LIST_ANY];
	if (ledger_rbegin(l) == -1)
		return -1;
	if (db_bind_int64(st, 1, f->has_after ? (int64_t)f->after : -1) != 0 ||
	    ledger_bind_text(st, 2, f->kind) == -1 ||
	    ledger_bind_text(st, 3, f->verdict == -1 ? NULL :
	    f->verdict ? "accepted" : "rejected") == -1 ||
	    ledger_bind_text(st, 4, f->since) == -1 ||
	    db_bind_int64(st, 5, f->limit) != 0 ||
	    (f->actor == NULL && f->party != NULL && ledger_bind_text(st, 6, f->party) == -1) ||
	    (f->actor != NULL && (ledger_bind_text(st, 6, f->actor) == -1 ||
	    ledger_bind_text(st, 7, f->party) == -1)))
		goto out;
	ret = ledger_rows(l, st, cb, arg);
out:
	db_clear(st);
	ledger_rend(l);
	return ret;
}

int
ledger_obligation_rows(struct ledger *l, const char *party,
    int (*cb)(const struct ledger_entry *e, void *arg), void *arg)
{
	struct db_stmt *st = l->st[ST_OBLIGATIONS];
	int ret = -1;

	if (ledger_rbegin(l) == -1)
		return -1;
	if (ledger_bind_text(st, 1, party) == -1)
		goto out;
	ret = ledger_rows(l, st, cb, arg);
out:
	db_clear(st);
	ledger_rend(l);
	return ret;
}

int
ledger_hash(struct ledger *l, unsigned level, uint64_t index, uint8_t out[32])
{
	struct db_stmt *st = l->st[ST_HASH];
	int rc, ret = -1;

	if (index > INT64_MAX || level > 63)
		return 1;
	if (ledger_rbegin(l) == -1)
		return -1;
	if (db_bind_int64(st, 1, level) != 0 ||
	    ledger_bind_u64(st, 2, index) == -1)
		goto out;
	rc = db_step(st);
	if (rc == DB_DONE)
		ret = 1;
	else if (rc == DB_ROW && db_column_bytes(st, 0) == 32) {
		memcpy(out, db_column_blob(st, 0), 32);
		ret = 0;
	} else if (rc == DB_ROW)
		errno = EIO;
	else
		ledger_step_err(l, st, rc);
out:
	ledger_rend(l);
	return ret;
}

int
ledger_links(struct ledger *l, uint64_t index, const char *party_or_null,
    json_t **out)
{
	int ret;

	*out = NULL;
	if (ledger_rbegin(l) == -1)
		return -1;
	ret = links_report(l->db, index, party_or_null, out);
	ledger_rend(l);
	return ret;
}

int
ledger_blob_referenced(struct ledger *l, const uint8_t sha256[32])
{
	struct db_stmt *st = l->st[ST_REF];
	int rc, ret = -1;

	if (ledger_rbegin(l) == -1)
		return -1;
	if (db_bind_blob(st, 1, sha256, 32) != 0)
		goto out;
	rc = db_step(st);
	if (rc == DB_ROW)
		ret = 1;
	else if (rc == DB_DONE)
		ret = 0;
	else
		ledger_step_err(l, st, rc);
out:
	db_clear(st);
	ledger_rend(l);
	return ret;
}

int
ledger_stash_each(struct ledger *l, int (*cb)(const uint8_t sha256[32], const void *data,
    size_t len, void *arg), void *arg)
{
	struct db_stmt *st;
	int rc, ret = 0;

	if (db_backend(l->db) != DB_SQLITE)
		return 0;	/* never stashed to (notary.c) */
	if (ledger_rbegin(l) == -1)
		return -1;
	/* a ledger from before the stash, opened read-only, has no table */
	if ((st = db_prepare(l->db, "SELECT name FROM sqlite_master WHERE type = 'table' "
	    "AND name = 'stash'")) == NULL) {
		ledger_rend(l);
		return -1;
	}
	rc = db_step(st);
	db_finalize(st);
	if (rc != DB_ROW) {
		ledger_rend(l);
		return rc == DB_DONE ? 0 : -1;
	}
	if ((st = db_prepare(l->db, "SELECT sha256, data FROM stash ORDER BY id")) == NULL) {
		ledger_rend(l);
		return -1;
	}
	while ((rc = db_step(st)) == DB_ROW) {
		if (db_column_bytes(st, 0) != 32) {
			log_warnx("ledger: a stash row without a SHA-256");
			ret = -1;
			break;
		}
		if ((ret = cb(db_column_blob(st, 0), db_column_blob(st, 1),
		    (size_t)db_column_bytes(st, 1), arg)) != 0)
			break;
	}
	if (rc != DB_ROW && rc != DB_DONE) {
		ledger_step_err(l, st, rc);
		ret = -1;
	}
	db_finalize(st);
	ledger_rend(l);
	return ret;
}

int
ledger_stash(struct ledger *l, const uint8_t sha256[32], const void *data, size_t len)
{
	struct db_stmt *st = l->st[ST_STASH_ADD];
	int rc;

	if (!l->in_tx || len > INT32_MAX) {
		errno = EINVAL;
		return -1;
	}
	db_reset(st);
	if (db_bind_blob(st, 1, sha256, 32) != 0 || db_bind_blob(st, 2, data, len) != 0)
		return -1;
	if ((rc = db_step(st)) != DB_DONE)
		return ledger_step_err(l, st, rc);
	db_reset(st);
	return 0;
}

int
ledger_stash_top(struct ledger *l, int64_t *top)
{
	struct db_stmt *st = l->st[ST_STASH_TOP];
	int rc, ret = -1;

	if (st == NULL) {
		errno = EROFS;
		return -1;
	}
	if (ledger_rbegin(l) == -1)
		return -1;
	if ((rc = db_step(st)) == DB_ROW) {
		*top = db_column_int64(st, 0);
		ret = 0;
	} else
		ledger_step_err(l, st, rc);
	ledger_rend(l);
	return ret;
}

int
ledger_stash_forget(struct ledger *l, int64_t upto)
{
	struct db_stmt *st = l->st[ST_STASH_FORGET];
	int rc;

	if (!l->in_tx) {
		errno = EINVAL;
		return -1;
	}
	db_reset(st);
	if (db_bind_int64(st, 1, upto) != 0)
		return -1;
	if ((rc = db_step(st)) != DB_DONE)
		return ledger_step_err(l, st, rc);
	db_reset(st);
	return 0;
}

/*
 * ledger_verify reads the log in windows of this many indices (all in its one
 * read snapshot): a PostgreSQL result is held whole in memory, and a log of
 * millions of entries must not be.
 */
#define LEDGER_VERIFY_WINDOW 4096

/* Resets ST and binds ?1 = LO, ?2 = HI (an idx range). 0/-1. */
static int
ledger_bind_window(struct db_stmt *st, uint64_t lo, uint64_t hi)
{
	db_reset(st);
	return ledger_bind_u64(st, 1, lo) == 0 && ledger_bind_u64(st, 2, hi) == 0 ? 0 : -1;
}

/*
 * ledger_verify, level 0: entries 0..SIZE-1 exist, contiguous, each receipt
 * starts with its entry, and tree(0, i) = leaf(entry i). Windows up to SIZE,
 * then one to the end, where any row is an error.
 */
static int
ledger_verify_leaves(struct ledger *l, uint64_t size, char *err, size_t errlen)
{
	struct db_stmt *se = NULL, *st = NULL;
	uint8_t leaf[INTAKE_HASH_LEN];
	const void *text, *rcpt;
	uint64_t i = 0, lo, hi;
	int rc, rt, n, rn, last, ret = -1;

	if ((se = db_prepare(l->db, "SELECT idx, entry, receipt FROM entries "
	    "WHERE idx >= ?1 AND idx < ?2 ORDER BY idx")) == NULL ||
	    (st = db_prepare(l->db, "SELECT idx, hash FROM tree WHERE level = 0 "
	    "AND idx >= ?1 AND idx < ?2 ORDER BY idx")) == NULL) {
		errset(err, errlen, "ledger: %s", db_errmsg(l->db));
		goto out;
	}
	for (lo = 0, last = 0; !last; lo = hi) {
		last = lo >= size;
		hi = last ? INT64_MAX : lo + LEDGER_VERIFY_WINDOW;
		if (ledger_bind_window(se, lo, hi) == -1 || ledger_bind_window(st, lo, hi) == -1) {
			errset(err, errlen, "ledger: %s", db_errmsg(l->db));
			goto out;
		}
		for (;;) {
			rc = db_step(se);
			rt = db_step(st);
			if (rc == DB_DONE && rt == DB_DONE)
				break;
			if ((rc != DB_ROW && rc != DB_DONE) ||
			    (rt != DB_ROW && rt != DB_DONE)) {
				errset(err, errlen, "ledger: %s", db_errmsg(l->db));
				goto out;
			}
			if (rc != DB_ROW || rt != DB_ROW) {
				errset(err, errlen, "ledger: %s at index %" PRIu64 " without %s",
				    rc == DB_ROW ? "entry" : "leaf hash", i,
				    rc == DB_ROW ? "a leaf hash" : "an entry");
				goto out;
			}
			if (ledger_col_u64(se, 0) != i || ledger_col_u64(st, 0) != i) {
				errset(err, errlen, "ledger: entries or leaves not contiguous "
				    "at %" PRIu64, i);
				goto out;
			}
			if (i >= size) {
				errset(err, errlen, "ledger: entry %" PRIu64 " is beyond the "
				    "last checkpoint (size %" PRIu64 ")", i, size);
				goto out;
			}
			text = db_column_text(se, 1);
			n = db_column_bytes(se, 1);
			rcpt = db_column_text(se, 2);
			rn = db_column_bytes(se, 2);
			if (text == NULL || rcpt == NULL || rn < n || memcmp(text, rcpt, n) != 0) {
				errset(err, errlen, "ledger: receipt %" PRIu64 " is not its "
				    "entry", i);
				goto out;
			}
			intake_merkle_leaf(text, n, leaf);
			if (db_column_bytes(st, 1) != INTAKE_HASH_LEN ||
			    memcmp(db_column_blob(st, 1), leaf, INTAKE_HASH_LEN) != 0) {
				errset(err, errlen, "ledger: leaf hash %" PRIu64 " does not "
				    "match its entry", i);
				goto out;
			}
			i++;
		}
	}
	if (i != size) {
		errset(err, errlen, "ledger: %" PRIu64 " entries but the last checkpoint "
		    "has size %" PRIu64, i, size);
		goto out;
	}
	ret = 0;
out:
	db_finalize(se);
	db_finalize(st);
	return ret;
}

/* Level LEVEL >= 1: exactly SIZE >> LEVEL nodes, each the hash of its children. */
static int
ledger_verify_level(struct ledger *l, unsigned level, uint64_t size, char *err,
    size_t errlen)
{
	static const char sql[] = "SELECT idx, hash FROM tree WHERE idx >= ?1 AND idx < ?2 "
	    "AND level = ?3 ORDER BY idx";
	struct db_stmt *sc = NULL, *sp = NULL;
	uint8_t kids[2][INTAKE_HASH_LEN], node[INTAKE_HASH_LEN];
	uint64_t want = size >> level, k = 0, lo, hi;
	int rc = DB_DONE, j, last, ret = -1;

	if ((sc = db_prepare(l->db, sql)) == NULL ||
	    (sp = db_prepare(l->db, sql)) == NULL ||
	    db_bind_int64(sc, 3, level - 1) != 0 ||
	    db_bind_int64(sp, 3, level) != 0) {
		errset(err, errlen, "ledger: %s", db_errmsg(l->db));
		goto out;
	}
	/* windows of parents [LO, HI) and their children [2 LO, 2 HI) up to
	 * WANT, then one to the end, where any parent is an error */
	for (lo = 0, last = 0; !last && rc == DB_DONE; lo = hi) {
		last = lo >= want;
		hi = last ? INT64_MAX : lo + LEDGER_VERIFY_WINDOW;
		if (ledger_bind_window(sp, lo, hi) == -1 ||
		    ledger_bind_window(sc, 2 * lo, last ? INT64_MAX : 2 * hi) == -1) {
			errset(err, errlen, "ledger: %s", db_errmsg(l->db));
			goto out;
		}
		while ((rc = db_step(sp)) == DB_ROW) {
			if (k >= want || ledger_col_u64(sp, 0) != k ||
			    db_column_bytes(sp, 1) != INTAKE_HASH_LEN) {
				errset(err, errlen, "ledger: unexpected tree node (%u, %" PRIu64
				    ")", level, ledger_col_u64(sp, 0));
				goto out;
			}
			for (j = 0; j < 2; j++) {
				if (db_step(sc) != DB_ROW ||
				    ledger_col_u64(sc, 0) != 2 * k + j ||
				    db_column_bytes(sc, 1) != INTAKE_HASH_LEN) {
					errset(err, errlen, "ledger: tree node (%u, %" PRIu64
					    ") lacks its children", level, k);
					goto out;
				}
				memcpy(kids[j], db_column_blob(sc, 1), INTAKE_HASH_LEN);
			}
			intake_merkle_node(kids[0], kids[1], node);
			if (memcmp(node, db_column_blob(sp, 1), INTAKE_HASH_LEN) != 0) {
				errset(err, errlen, "ledger: tree node (%u, %" PRIu64 ") does "
				    "not match its children", level, k);
				goto out;
			}
			k++;
		}
	}
	if (rc != DB_DONE) {
		errset(err, errlen, "ledger: %s", db_errmsg(l->db));
		goto out;
	}
	if (k != want) {
		errset(err, errlen, "ledger: level %u has %" PRIu64 " nodes, want %"
		    PRIu64, level, k, want);
		goto out;
	}
	ret = 0;
out:
	db_finalize(sc);
	db_finalize(sp);
	return ret;
}

/* No stored node at LEVEL or above. */
static int
ledger_verify_top(struct ledger *l, unsigned level, char *err, size_t errlen)
{
	struct db_stmt *st = NULL;
	int ret = -1;

	if ((st = db_prepare(l->db, "SELECT count(*) FROM tree WHERE level >= ?1")) == NULL ||
	    db_bind_int64(st, 1, level) != 0 ||
	    db_step(st) != DB_ROW) {
		errset(err, errlen, "ledger: %s", db_errmsg(l->db));
		goto out;
	}
	if (db_column_int64(st, 0) != 0) {
		errset(err, errlen, "ledger: tree nodes above level %u", level - 1);
		goto out;
	}
	ret = 0;
out:
	db_finalize(st);
	return ret;
}

/* The checkpoint NOTE: signed by V (if given), for ORIGIN (if given), of SIZE. */
static int
ledger_verify_note(const char *note, const struct intake_verifier *v, const char *origin,
    uint64_t size, struct intake_checkpoint *cp, char *err, size_t errlen)
{
	const char *end;
	int r;

	if (v != NULL)
		r = intake_checkpoint_open(v, note, strlen(note), cp);
	else {
		end = strstr(note, "\n\n");
		r = end == NULL ? -1 :
		    intake_checkpoint_parse(note, end - note + 1, cp);
	}
	if (r == -1) {
		errset(err, errlen, "ledger: checkpoint of size %" PRIu64 " does not "
		    "verify with the log key", size);
		return -1;
	}
	if (cp->size != size) {
		errset(err, errlen, "ledger: checkpoint row %" PRIu64 " holds size %"
		    PRIu64, size, cp->size);
		return -1;
	}
	if (origin != NULL && strcmp(cp->origin, origin) != 0) {
		errset(err, errlen, "ledger: checkpoint origin %s is not %s",
		    cp->origin, origin);
		return -1;
	}
	return 0;
}

int
ledger_verify(struct ledger *l, const struct intake_verifier *v, const char *origin,
    uint64_t *size, char *err, size_t errlen)
{
	struct intake_checkpoint cp;
	uint8_t root[INTAKE_HASH_LEN];
	char *note = NULL;
	uint64_t cpsize = 0, n;
	unsigned level;
	int r, ret = -1;

	if (ledger_rbegin(l) == -1) {
		errset(err, errlen, "ledger: %s", db_errmsg(l->db));
		return -1;
	}
	if ((r = ledger_cp_latest(l, &note, &cpsize)) == -1) {
		errset(err, errlen, "ledger: %s", db_errmsg(l->db));
		goto out;
	}
	if (r == 1) {
		if (ledger_size_locked(l, &n) == -1 || n != 0 ||
		    ledger_verify_top(l, 0, err, errlen) == -1) {
			errset(err, errlen, "ledger: entries or tree hashes without any "
			    "checkpoint");
			goto out;
		}
		ret = 1;
		goto out;
	}
	if (ledger_verify_note(note, v, origin, cpsize, &cp, err, errlen) == -1)
		goto out;
	if (ledger_verify_leaves(l, cpsize, err, errlen) == -1)
		goto out;
	for (level = 1; level < 64 && (cpsize >> level) != 0; level++)
		if (ledger_verify_level(l, level, cpsize, err, errlen) == -1)
			goto out;
	if (ledger_verify_top(l, level, err, errlen) == -1)
		goto out;
	if (intake_merkle_root(cpsize, ledger_read_hash, l, root) == -1) {
		errset(err, errlen, "ledger: cannot compute the root of size %" PRIu64,
		    cpsize);
		goto out;
	}
	if (memcmp(root, cp.root, sizeof(root)) != 0) {
		errset(err, errlen, "ledger: the stored tree of size %" PRIu64 " does "
		    "not have the root of the last checkpoint", cpsize);
		goto out;
	}
	*size = cpsize;
	ret = 0;
out:
	ledger_rend(l);
	free(note);
	return ret;
}

/* Writer API. */

int
ledger_begin(struct ledger *l, uint64_t *size)
{
	if (!l->writable) {
		errno = EROFS;
		return -1;
	}
	pthread_mutex_lock(&l->mu);
	if (db_begin_write(l->db) == -1) {
		log_warnx("ledger: begin: %s", db_errmsg(l->db));
		goto fail;
	}
	/* PostgreSQL: other nodes append to the same ledger. Serialise appenders
	 * with a lock held until this transaction ends, THEN read the size (READ
	 * COMMITTED: a statement after the lock sees every batch committed before
	 * it), so that indices, tree hashes and the checkpoint signed in this
	 * transaction extend exactly the tree the last committer left. The
	 * primary keys would refuse a second row at an index anyway. */
	if (db_backend(l->db) == DB_POSTGRESQL && ledger_exec(l, LEDGER_PG_LOCK) == -1) {
		db_rollback(l->db);
		goto fail;
	}
	if (ledger_size_locked(l, &l->tx_size) == -1) {
		db_rollback(l->db);
		goto fail;
	}
	l->in_tx = 1;
	*size = l->tx_size;
	return 0;
fail:
	pthread_mutex_unlock(&l->mu);
	return -1;
}

int
ledger_append(struct ledger *l, const struct ledger_record *r)
{
	unsigned levels[64];
	intake_hash hashes[64];
	uint8_t leaf[INTAKE_HASH_LEN];
	struct db_stmt *st;
	int i, n, rc, saved = EIO;

	if (!l->in_tx || r->index != l->tx_size || r->entry == NULL ||
	    r->receipt == NULL || r->findings == NULL || r->sha256 == NULL) {
		errno = EINVAL;
		return -1;
	}
	intake_merkle_leaf(r->entry, r->entry_len, leaf);
	n = intake_merkle_append(r->index, leaf, ledger_tx_hash, l, levels, hashes);
	if (n <= 0) {
		errno = EIO;
		return -1;
	}
	st = l->st[ST_INS_TREE];
	for (i = 0; i < n; i++) {
		db_reset(st);
		if (db_bind_int64(st, 1, levels[i]) != 0 ||
		    ledger_bind_u64(st, 2, r->index >> levels[i]) == -1 ||
		    db_bind_blob(st, 3, hashes[i], INTAKE_HASH_LEN) != 0)
			goto fail;
		if ((rc = db_step(st)) != DB_DONE) {
			ledger_step_err(l, st, rc);
			saved = errno;
			goto fail;
		}
		ledger_hash_keep(l, levels[i], r->index >> levels[i], hashes[i]);
	}
	db_reset(st);
	st = l->st[ST_INS_ENTRY];
	db_reset(st);
	if (ledger_bind_u64(st, 1, r->index) == -1 ||
	    ledger_bind_text(st, 2, r->time) == -1 ||
	    ledger_bind_text(st, 3, r->party) == -1 ||
	    ledger_bind_text(st, 4, r->cert) == -1 ||
	    ledger_bind_text(st, 5, r->kind) == -1 ||
	    ledger_bind_text(st, 6, r->filename) == -1 ||
	    ledger_bind_text(st, 7, r->ref != NULL ? r->ref : "") == -1 ||
	    ledger_bind_u64(st, 8, r->size) == -1 ||
	    db_bind_blob(st, 9, r->sha256, 32) != 0 ||
	    ledger_bind_text(st, 10, r->type) == -1 ||
	    ledger_bind_text(st, 11, r->accepted ? "accepted" : "rejected") == -1 ||
	    db_bind_text(st, 12, r->entry, (int)r->entry_len) != 0 ||
	    ledger_bind_text(st, 13, r->receipt) == -1 ||
	    ledger_bind_text(st, 14, r->findings) == -1 ||
	    (r->manifest != NULL ?
	    db_bind_text(st, 15, r->manifest, (int)r->manifest_len) :
	    db_bind_null(st, 15)) != 0)
		goto fail;
	if ((rc = db_step(st)) != DB_DONE) {
		ledger_step_err(l, st, rc);
		saved = errno;
		goto fail;
	}
	db_reset(st);
	db_clear(st);
	if (r->workbook != NULL && r->accepted &&
	    links_record(l->db, r->index, r->workbook) == -1)
		goto fail;
	l->tx_size++;
	return 0;
fail:
	db_reset(l->st[ST_INS_TREE]);
	db_reset(l->st[ST_INS_ENTRY]);
	db_clear(l->st[ST_INS_ENTRY]);
	errno = saved;
	return -1;
}

int
ledger_tx_root(struct ledger *l, uint64_t size, uint8_t root[32])
{
	if (!l->in_tx || size > l->tx_size) {
		errno = EINVAL;
		return -1;
	}
	return intake_merkle_root(size, ledger_tx_hash, l, root);
}

int
ledger_tx_inclusion(struct ledger *l, uint64_t index, uint64_t size,
    intake_hash proof[INTAKE_PROOF_MAX], size_t *n)
{
	if (!l->in_tx || size > l->tx_size || index >= size) {
		errno = EINVAL;
		return -1;
	}
	return intake_merkle_inclusion_proof(index, size, ledger_tx_hash, l, proof, n);
}

int
ledger_add_checkpoint(struct ledger *l, uint64_t size, const char *note)
{
	struct db_stmt *st = l->st[ST_INS_CP];
	int rc, ret = -1;

	if (!l->in_tx || size != l->tx_size || note == NULL) {
		errno = EINVAL;
		return -1;
	}
	db_reset(st);
	if (ledger_bind_u64(st, 1, size) == -1 || ledger_bind_text(st, 2, note) == -1)
		goto out;
	if ((rc = db_step(st)) != DB_DONE) {
		ledger_step_err(l, st, rc);
		goto out;
	}
	ret = 0;
out:
	db_reset(st);
	db_clear(st);
	return ret;
}

int
ledger_commit(struct ledger *l)
{
	int saved;

	if (!l->in_tx) {
		errno = EINVAL;
		return -1;
	}
	if (db_commit(l->db) == -1) {
		saved = errno;
		log_warnx("ledger: commit: %s", db_errmsg(l->db));
		ledger_hash_forget(l);
		l->in_tx = 0;
		pthread_mutex_unlock(&l->mu);
		errno = saved;
		return -1;
	}
	l->in_tx = 0;
	pthread_mutex_unlock(&l->mu);
	return 0;
}

void
ledger_rollback(struct ledger *l)
{
	if (!l->in_tx)
		return;
	db_rollback(l->db);
	ledger_hash_forget(l);
	l->in_tx = 0;
	pthread_mutex_unlock(&l->mu);
}

/* ---- witnessed checkpoints (issue 16) -------------------------------------
 * The witness tables (notary/witness.c) live beside the checkpoints; a reader
 * of a witnessed log sees only the published checkpoints, with their
 * cosignatures, as "the latest checkpoint". */

int
ledger_set_witnessed(struct ledger *l)
{
	struct db_stmt *st = NULL;

	pthread_mutex_lock(&l->mu);
	st = db_prepare(l->db, "SELECT size, note FROM published ORDER BY size DESC LIMIT 1");
	pthread_mutex_unlock(&l->mu);
	if (st == NULL) {
		log_warnx("ledger: %s", db_errmsg(l->db));
		return -1;
	}
	pthread_mutex_lock(&l->mu);
	db_finalize(l->st[ST_CP_LATEST]);
	l->st[ST_CP_LATEST] = st;
	pthread_mutex_unlock(&l->mu);
	return 0;
}

struct db *
ledger_dbh(struct ledger *l)
{
	return l->db;
}

int
ledger_witness_size(struct ledger *l, const char *name, uint64_t *size)
{
	struct db_stmt *st = NULL;
	int rc, ret = -1;

	*size = 0;
	pthread_mutex_lock(&l->mu);
	if ((st = db_prepare(l->db, "SELECT size FROM witness_state WHERE witness = ?1")) ==
	    NULL) {
		/* no table yet: the notary has not asked any witness */
		ret = errno == ENOENT ? 0 : -1;
		goto done;
	}
	if (db_bind_text(st, 1, name, -1) == 0 && (rc = db_step(st)) != -1) {
		if (rc == DB_ROW)
			*size = (uint64_t)db_column_int64(st, 0);
		ret = 0;
	}
done:
	db_finalize(st);
	pthread_mutex_unlock(&l->mu);
	return ret;
}
