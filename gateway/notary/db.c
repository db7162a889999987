/*
 * notary/db.c: db.h's entry points: binds, columns and transactions of both
 * drivers (db_sqlite.c, db_pg.c); the drivers hold what differs more. A
 * PostgreSQL result is binary: integers arrive big-endian by their type.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <endian.h>

#include "common/errbuf.h"
#include "notary/db_impl.h"

#define PG_INT2OID 21
#define PG_INT4OID 23
#define PG_INT8OID 20

/* PATH (SQLite) or DSN (PostgreSQL) opened with backend B. */
static struct db *
db_open(enum db_backend b, const char *target, int writable, char *err, size_t errlen)
{
	struct db *db;

	if ((db = calloc(1, sizeof(*db))) == NULL) {
		errset(err, errlen, "ledger: out of memory");
		return NULL;
	}
	db->backend = b;
	db->writable = writable;
	if ((b == DB_SQLITE ? dblite_open(db, target, err, errlen) :
	    dbpg_open(db, target, err, errlen)) == -1) {
		db_close(db);
		return NULL;
	}
	return db;
}

struct db *
db_open_sqlite(const char *path, int writable, char *err, size_t errlen)
{
	return db_open(DB_SQLITE, path, writable, err, errlen);
}

struct db *
db_open_pg(const char *dsn, int writable, char *err, size_t errlen)
{
	return db_open(DB_POSTGRESQL, dsn, writable, err, errlen);
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	if (db->backend == DB_SQLITE)
		dblite_close(db);
	else
		dbpg_close(db);
	free(db);
}

enum db_backend
db_backend(const struct db *db)
{
	return db->backend;
}

int
db_exec(struct db *db, const char *sql)
{
	db->msg[0] = '\0';
	return db->backend == DB_SQLITE ? dblite_exec(db, sql) : dbpg_exec(db, sql);
}

struct db_stmt *
db_prepare(struct db *db, const char *sql)
{
	struct db_stmt *st;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(db->msg, sizeof(db->msg), "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	st->db = db;
	st->sql = sql;
	st->row = -1;
	if ((db->backend == DB_SQLITE ? dblite_prepare(st) : dbpg_prepare(st)) == -1) {
		free(st);
		return NULL;
	}
	return st;
}

/* PostgreSQL: the slot of parameter I (from 1), its old copy freed; -1
 * when out of range. */
static int
db_pg_param(struct db_stmt *st, int i)
{
	if (i < 1 || i > st->pn->nparams) {
		snprintf(st->db->msg, sizeof(st->db->msg), "parameter %d out of range", i);
		errno = ERANGE;
		return -1;
	}
	free(st->own[i - 1]);
	st->own[i - 1] = NULL;
	return i - 1;
}

int
db_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	int k;

	if (st->db->backend == DB_SQLITE)
		return sqlite3_bind_int64(st->lite, i, v) == SQLITE_OK ? 0 : -1;
	if ((k = db_pg_param(st, i)) == -1)
		return -1;
	snprintf(st->num[k], sizeof(st->num[k]), "%" PRId64, v);
	st->val[k] = st->num[k];
	st->len[k] = 0;
	st->fmt[k] = 0;
	return 0;
}

int
db_bind_text(struct db_stmt *st, int i, const char *s, int len)
{
	int k;

	if (s == NULL)
		return db_bind_null(st, i);
	if (st->db->backend == DB_SQLITE)
		return sqlite3_bind_text(st->lite, i, s, len, SQLITE_STATIC) == SQLITE_OK ? 0 : -1;
	if ((k = db_pg_param(st, i)) == -1)
		return -1;
	/* text goes NUL-terminated: counted text is copied, and may hold no NUL
	 * (PostgreSQL text cannot) */
	if (len >= 0) {
		if (memchr(s, '\0', (size_t)len) != NULL) {
			snprintf(st->db->msg, sizeof(st->db->msg), "text parameter %d holds "
			    "a NUL byte", i);
			errno = EINVAL;
			return -1;
		}
		if ((st->own[k] = malloc((size_t)len + 1)) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		memcpy(st->own[k], s, (size_t)len);
		st->own[k][len] = '\0';
		s = st->own[k];
	}
	st->val[k] = s;
	st->len[k] = 0;
	st->fmt[k] = 0;
	return 0;
}

int
db_bind_blob(struct db_stmt *st, int i, const void *p, size_t len)
{
	int k;

	if (len > INT32_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	if (st->db->backend == DB_SQLITE)
		return sqlite3_bind_blob(st->lite, i, p, (int)len, SQLITE_STATIC) == SQLITE_OK ?
		    0 : -1;
	if ((k = db_pg_param(st, i)) == -1)
		return -1;
	st->val[k] = len == 0 ? "" : p;
	st->len[k] = (int)len;
	st->fmt[k] = 1;
	return 0;
}

int
db_bind_null(struct db_stmt *st, int i)
{
	int k;

	if (st->db->backend == DB_SQLITE)
		return sqlite3_bind_null(st->lite, i) == SQLITE_OK ? 0 : -1;
	if ((k = db_pg_param(st, i)) == -1)
		return -1;
	st->val[k] = NULL;
	st->len[k] = 0;
	st->fmt[k] = 0;
	return 0;
}

int
db_step(struct db_stmt *st)
{
	return st->db->backend == DB_SQLITE ? dblite_step(st) : dbpg_step(st);
}

/* PostgreSQL: whether the current row has column COL. */
static int
db_pg_has(struct db_stmt *st, int col)
{
	return st->res != NULL && st->row >= 0 && st->row < PQntuples(st->res) &&
	    col >= 0 && col < PQnfields(st->res);
}

int64_t
db_column_int64(struct db_stmt *st, int col)
{
	const char *v;
	uint64_t u = 0;
	uint32_t u4;
	uint16_t u2;

	if (st->db->backend == DB_SQLITE)
		return sqlite3_column_int64(st->lite, col);
	if (!db_pg_has(st, col) || PQgetisnull(st->res, st->row, col))
		return 0;
	v = PQgetvalue(st->res, st->row, col);
	switch (PQftype(st->res, col)) {
	case PG_INT8OID:
		if (PQgetlength(st->res, st->row, col) != 8)
			return 0;
		memcpy(&u, v, 8);
		return (int64_t)be64toh(u);
	case PG_INT4OID:
		if (PQgetlength(st->res, st->row, col) != 4)
			return 0;
		memcpy(&u4, v, 4);
		return (int32_t)be32toh(u4);
	case PG_INT2OID:
		if (PQgetlength(st->res, st->row, col) != 2)
			return 0;
		memcpy(&u2, v, 2);
		return (int16_t)be16toh(u2);
	default:
		return 0;
	}
}

const char *
db_column_text(struct db_stmt *st, int col)
{
	if (st->db->backend == DB_SQLITE)
		return (const char *)sqlite3_column_text(st->lite, col);
	if (!db_pg_has(st, col) || PQgetisnull(st->res, st->row, col))
		return NULL;
	return PQgetvalue(st->res, st->row, col);   /* NUL-terminated by libpq */
}

const void *
db_column_blob(struct db_stmt *st, int col)
{
	if (st->db->backend == DB_SQLITE)
		return sqlite3_column_blob(st->lite, col);
	return db_column_text(st, col);
}

int
db_column_bytes(struct db_stmt *st, int col)
{
	if (st->db->backend == DB_SQLITE)
		return sqlite3_column_bytes(st->lite, col);
	if (!db_pg_has(st, col) || PQgetisnull(st->res, st->row, col))
		return 0;
	return PQgetlength(st->res, st->row, col);
}

int
db_column_is_null(struct db_stmt *st, int col)
{
	if (st->db->backend == DB_SQLITE)
		return sqlite3_column_type(st->lite, col) == SQLITE_NULL;
	return !db_pg_has(st, col) || PQgetisnull(st->res, st->row, col);
}

void
db_reset(struct db_stmt *st)
{
	if (st == NULL)
		return;
	if (st->db->backend == DB_SQLITE)
		sqlite3_reset(st->lite);
	else
		dbpg_reset(st);
}

void
db_clear(struct db_stmt *st)
{
	if (st == NULL)
		return;
	if (st->db->backend == DB_SQLITE) {
		sqlite3_clear_bindings(st->lite);
		return;
	}
	for (int k = 0; k < DB_PARAMS_MAX; k++) {
		free(st->own[k]);
		st->own[k] = NULL;
	}
	memset(st->val, 0, sizeof(st->val));
	memset(st->len, 0, sizeof(st->len));
	memset(st->fmt, 0, sizeof(st->fmt));
}

void
db_finalize(struct db_stmt *st)
{
	if (st == NULL)
		return;
	if (st->db->backend == DB_SQLITE)
		sqlite3_finalize(st->lite);
	else {
		dbpg_reset(st);      /* the server-side statement stays, cached by text */
		db_clear(st);
	}
	free(st);
}

const char *
db_sql(const struct db_stmt *st)
{
	return st->sql;
}

const char *
db_errmsg(struct db *db)
{
	if (db->backend == DB_SQLITE && db->msg[0] == '\0' && db->lite != NULL)
		return sqlite3_errmsg(db->lite);
	return db->msg;
}

int
db_begin_read(struct db *db)
{
	return db_exec(db, db->backend == DB_SQLITE ? "BEGIN" :
	    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}

int
db_begin_write(struct db *db)
{
	return db_exec(db, db->backend == DB_SQLITE ? "BEGIN IMMEDIATE" :
	    "BEGIN ISOLATION LEVEL READ COMMITTED");
}

int
db_commit(struct db *db)
{
	PGresult *res;
	int saved;

	if (db->backend == DB_SQLITE) {
		if (db_exec(db, "COMMIT") == 0)
			return 0;
		saved = errno;
		if (!sqlite3_get_autocommit(db->lite))
			dblite_exec(db, "ROLLBACK");
		errno = saved;
		return -1;
	}
	res = PQexec(db->pg, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		dbpg_fail(db, res);
		saved = errno;
		PQclear(res);
		db_rollback(db);
		errno = saved;
		return -1;
	}
	/* COMMIT of a failed transaction "succeeds" as ROLLBACK */
	if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		snprintf(db->msg, sizeof(db->msg), "the transaction was rolled back");
		PQclear(res);
		errno = EIO;
		return -1;
	}
	PQclear(res);
	return 0;
}

void
db_rollback(struct db *db)
{
	if (db->backend == DB_SQLITE) {
		if (!sqlite3_get_autocommit(db->lite))
			dblite_exec(db, "ROLLBACK");
		return;
	}
	if (dbpg_in_tx(db))
		dbpg_exec(db, "ROLLBACK");
}
