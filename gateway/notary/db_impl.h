/*
 * notary/db_impl.h: what db.c shares with its two drivers (db_sqlite.c,
 * db_pg.c). Not for other modules: they use db.h.
 */
#ifndef INTAKE_DB_IMPL_H
#define INTAKE_DB_IMPL_H

#include <libpq-fe.h>
#include <sqlite3.h>

#include "notary/db.h"

#define DB_PARAMS_MAX 32             /* highest ?N in any statement */

struct db_pgname {                   /* a statement prepared on the server */
	struct db_pgname *next;
	char             *sql;
	char              name[24];
	int               nparams;
};

struct db {
	enum db_backend   backend;
	int               writable;
	sqlite3          *lite;
	PGconn           *pg;
	struct db_pgname *names;     /* PostgreSQL: SQL text -> prepared name */
	unsigned          nnames;
	char              msg[512];  /* the last error */
};

struct db_stmt {
	struct db    *db;
	const char   *sql;
	sqlite3_stmt *lite;
	/* PostgreSQL */
	const struct db_pgname *pn;
	const char   *val[DB_PARAMS_MAX];
	int           len[DB_PARAMS_MAX];
	int           fmt[DB_PARAMS_MAX];
	char          num[DB_PARAMS_MAX][24];
	char         *own[DB_PARAMS_MAX];  /* NUL-terminated copies of counted text */
	PGresult     *res;
	int           row;           /* current row, -1 before the first step */
	int           executed;
};

int  dblite_open(struct db *db, const char *path, char *err, size_t errlen);
void dblite_close(struct db *db);
int  dblite_exec(struct db *db, const char *sql);
int  dblite_prepare(struct db_stmt *st);
int  dblite_step(struct db_stmt *st);
int  dblite_errno(int rc);

int  dbpg_open(struct db *db, const char *dsn, char *err, size_t errlen);
void dbpg_close(struct db *db);
int  dbpg_exec(struct db *db, const char *sql);
int  dbpg_prepare(struct db_stmt *st);
int  dbpg_step(struct db_stmt *st);
void dbpg_reset(struct db_stmt *st);
int  dbpg_in_tx(struct db *db);
void dbpg_fail(struct db *db, const PGresult *res);

#endif
