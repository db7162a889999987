/*
 * notary/db.h: the ledger's database layer, one API over two drivers:
 * SQLite (db_sqlite.c, DATA/ledger.db, the default) and PostgreSQL (db_pg.c,
 * [ledger] backend = postgresql, several nodes sharing one ledger).
 *
 * Used by whoever opens the ledger (notary/ledger.c, links.c, witness.c: the
 * notary writes, the front, the monitor and `intake audit` read). It trusts
 * the database it is pointed at as much as the SQLite file today (ledger_verify
 * is there for the rest). SQL is constant text with `?N` placeholders (the
 * PostgreSQL driver rewrites them to `$N`); values are always bound, never
 * spliced. A handle is one connection and is not thread-safe: the caller
 * serialises (ledger.c holds its mutex).
 *
 * Dialect: write SQL both engines accept (INSERT ... ON CONFLICT, coalesce,
 * count); where they differ, db_backend() picks the text, in the caller,
 * explicitly. Integers are bound and read as int64 (BIGINT in PostgreSQL),
 * blobs as BYTEA (sent and read in binary).
 *
 * Errors: -1 with errno: ENOSPC (disk full), EIO (I/O error or anything
 * unclassified), ENOMEM, EBUSY (lock or serialisation conflict), EROFS,
 * EACCES, EEXIST (constraint), ENOENT (db_prepare: a table or column the SQL
 * names does not exist). The message is in db_errmsg until the next call.
 * A PostgreSQL connection that is lost is fatal for the process (see db_pg.c).
 */
#ifndef INTAKE_DB_H
#define INTAKE_DB_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct db_stmt;

enum db_backend { DB_SQLITE, DB_POSTGRESQL };

enum { DB_DONE = 0, DB_ROW = 1 };   /* db_step; -1 error */

/* SQLite at PATH (created when WRITABLE). NULL and ERR on failure. */
struct db *db_open_sqlite(const char *path, int writable, char *err, size_t errlen);
/* PostgreSQL at DSN (a libpq URI or key=value string). A read-only handle
 * runs every transaction READ ONLY. NULL and ERR (without the DSN) on failure. */
struct db *db_open_pg(const char *dsn, int writable, char *err, size_t errlen);
void db_close(struct db *db);
enum db_backend db_backend(const struct db *db);
/* Writes "host H port P dbname D" of DSN (never its password) into OUT. */
void db_pg_describe(const char *dsn, char *out, size_t outlen);

/* Runs constant SQL without parameters (may hold several statements). 0/-1. */
int db_exec(struct db *db, const char *sql);
struct db_stmt *db_prepare(struct db *db, const char *sql);
/* Bindings stay across db_reset until db_clear; index from 1. 0/-1. */
int db_bind_int64(struct db_stmt *st, int i, int64_t v);
int db_bind_text(struct db_stmt *st, int i, const char *s, int len);  /* len -1: strlen */
int db_bind_blob(struct db_stmt *st, int i, const void *p, size_t len);
int db_bind_null(struct db_stmt *st, int i);
/* DB_ROW, DB_DONE or -1 (errno, logged by the caller with db_errmsg). */
int db_step(struct db_stmt *st);
int64_t db_column_int64(struct db_stmt *st, int col);
/* Valid until the next db_step/db_reset/db_finalize of ST; NULL when NULL. */
const char *db_column_text(struct db_stmt *st, int col);
const void *db_column_blob(struct db_stmt *st, int col);
int db_column_bytes(struct db_stmt *st, int col);
int db_column_is_null(struct db_stmt *st, int col);
void db_reset(struct db_stmt *st);
void db_clear(struct db_stmt *st);
void db_finalize(struct db_stmt *st);
const char *db_sql(const struct db_stmt *st);
const char *db_errmsg(struct db *db);

/* A consistent read snapshot (SQLite BEGIN; PostgreSQL REPEATABLE READ READ
 * ONLY), a write transaction (SQLite BEGIN IMMEDIATE; PostgreSQL READ
 * COMMITTED, the caller takes its own lock), commit (-1 also when the server
 * rolled the transaction back), rollback (a no-op outside a transaction). */
int db_begin_read(struct db *db);
int db_begin_write(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);

#endif
