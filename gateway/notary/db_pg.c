/*
 * notary/db_pg.c: the PostgreSQL driver of db.h ([ledger] backend =
 * postgresql: several intaked nodes share one ledger).
 *
 * One libpq connection per handle, blocking calls. Every session sets
 * synchronous_commit = on (a COMMIT returns once the WAL is flushed, as the
 * SQLite ledger's synchronous=FULL) and, when read-only,
 * default_transaction_read_only. Statements are prepared once per connection
 * (PQprepare, named by a counter, cached by their SQL text so that repeated
 * db_prepare of the same constant costs nothing) and run with PQexecPrepared:
 * integers and text are sent as text (the server parses them as the column's
 * type), blobs in binary (BYTEA); every result comes back in binary and is
 * kept whole until the statement is reset, so statements may be stepped
 * interleaved as with SQLite.
 *
 * A lost connection is fatal for the process (fatalx): the front, the notary
 * and the monitor are children of intaked, whose parent then stops the
 * daemon and systemd restarts it, which reconnects everything from a clean
 * state; nothing half-written survives because every write is one
 * transaction. The DSN may hold a password: it is never logged (only
 * host/port/dbname, db_pg_describe).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errbuf.h"
#include "common/log.h"
#include "notary/db_impl.h"

/* errno for an SQLSTATE (db.h). */
static int
dbpg_errno_of(const char *state)
{
	if (state == NULL)
		return EIO;
	if (strcmp(state, "53100") == 0)          /* disk_full */
		return ENOSPC;
	if (strcmp(state, "53200") == 0)          /* out_of_memory */
		return ENOMEM;
	if (strncmp(state, "23", 2) == 0)          /* integrity constraint */
		return EEXIST;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0)          /* serialization, deadlock, lock */
		return EBUSY;
	if (strcmp(state, "25006") == 0)          /* read_only_sql_transaction */
		return EROFS;
	if (strcmp(state, "42501") == 0 || strncmp(state, "28", 2) == 0)
		return EACCES;
	if (strcmp(state, "42P01") == 0 || strcmp(state, "42703") == 0 ||
	    strcmp(state, "42883") == 0)          /* undefined table, column, function */
		return ENOENT;
	return EIO;                                /* 58030 io_error and the rest */
}

/* Keeps the error of RES (or the connection's) and sets errno. Dies if the
 * connection is gone (see the top of this file). */
void
dbpg_fail(struct db *db, const PGresult *res)
{
	const char *m = res != NULL ? PQresultErrorMessage(res) : "";
	size_t n;

	if (m == NULL || m[0] == '\0')
		m = PQerrorMessage(db->pg);
	snprintf(db->msg, sizeof(db->msg), "%s", m);
	n = strlen(db->msg);
	while (n > 0 && (db->msg[n - 1] == '\n' || db->msg[n - 1] == ' '))
		db->msg[--n] = '\0';
	if (PQstatus(db->pg) == CONNECTION_BAD)
		fatalx("ledger: lost the PostgreSQL connection: %s", db->msg);
	errno = dbpg_errno_of(res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL);
}

/* Server notices (warnings) go to our log, not to stderr. */
static void
dbpg_notice(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("ledger: postgresql: %.*s", (int)strcspn(msg, "\n"), msg);
}

void
db_pg_describe(const char *dsn, char *out, size_t outlen)
{
	PQconninfoOption *opts, *o;
	const char *host = NULL, *port = NULL, *name = NULL;

	if ((opts = PQconninfoParse(dsn, NULL)) == NULL) {
		snprintf(out, outlen, "(unparsable dsn)");
		return;
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		if (strcmp(o->keyword, "host") == 0 || (host == NULL &&
		    strcmp(o->keyword, "hostaddr") == 0))
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			name = o->val;
	}
	snprintf(out, outlen, "host %s port %s dbname %s", host ? host : "(default)",
	    port ? port : "(default)", name ? name : "(default)");
	PQconninfoFree(opts);
}

int
dbpg_exec(struct db *db, const char *sql)
{
	PGresult *res = PQexec(db->pg, sql);
	ExecStatusType s = PQresultStatus(res);

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		dbpg_fail(db, res);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

int
dbpg_open(struct db *db, const char *dsn, char *err, size_t errlen)
{
	char where[256];

	db_pg_describe(dsn, where, sizeof(where));
	if ((db->pg = PQconnectdb(dsn)) == NULL) {
		errset(err, errlen, "ledger: postgresql %s: out of memory", where);
		return -1;
	}
	if (PQstatus(db->pg) != CONNECTION_OK) {
		errset(err, errlen, "ledger: postgresql %s: %.*s", where,
		    (int)strcspn(PQerrorMessage(db->pg), "\n"), PQerrorMessage(db->pg));
		return -1;
	}
	PQsetNoticeProcessor(db->pg, dbpg_notice, NULL);
	if (dbpg_exec(db, "SET synchronous_commit = on; SET client_min_messages = warning") == -1 ||
	    (!db->writable && dbpg_exec(db, "SET default_transaction_read_only = on") == -1)) {
		errset(err, errlen, "ledger: postgresql %s: %s", where, db->msg);
		return -1;
	}
	return 0;
}

void
dbpg_close(struct db *db)
{
	struct db_pgname *p, *next;

	for (p = db->names; p != NULL; p = next) {
		next = p->next;
		free(p->sql);
		free(p);
	}
	db->names = NULL;
	if (db->pg != NULL)
		PQfinish(db->pg);
	db->pg = NULL;
}

int
dbpg_in_tx(struct db *db)
{
	return PQtransactionStatus(db->pg) != PQTRANS_IDLE;
}

/* SQL with ?N rewritten to $N (outside quotes) into a malloc'd copy; *MAX
 * is the highest N, USED[N-1] set for each N that occurs. NULL (errno) on
 * failure. */
static char *
dbpg_rewrite(const char *sql, int *max, char used[DB_PARAMS_MAX])
{
	char *out, *o;
	const char *s;
	char quote = 0;
	long n;

	*max = 0;
	if ((out = strdup(sql)) == NULL)
		return NULL;
	for (s = sql, o = out; *s != '\0'; s++, o++) {
		*o = *s;
		if (quote != 0) {
			if (*s == quote)
				quote = 0;
			continue;
		}
		if (*s == '\'' || *s == '"') {
			quote = *s;
			continue;
		}
		if (*s == '?' && s[1] >= '1' && s[1] <= '9') {
			*o = '$';
			n = strtol(s + 1, NULL, 10);
			if (n > DB_PARAMS_MAX) {
				free(out);
				errno = E2BIG;
				return NULL;
			}
			if (n > *max)
				*max = (int)n;
			used[n - 1] = 1;
		}
	}
	*o = '\0';
	return out;
}

int
dbpg_prepare(struct db_stmt *st)
{
	struct db *db = st->db;
	struct db_pgname *p;
	PGresult *res;
	Oid types[DB_PARAMS_MAX];
	char *sql, used[DB_PARAMS_MAX] = { 0 };
	int i, max;

	for (p = db->names; p != NULL; p = p->next)
		if (strcmp(p->sql, st->sql) == 0) {
			st->pn = p;
			return 0;
		}
	if ((sql = dbpg_rewrite(st->sql, &max, used)) == NULL) {
		snprintf(db->msg, sizeof(db->msg), "cannot rewrite the statement");
		return -1;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL || (p->sql = strdup(st->sql)) == NULL) {
		free(p);
		free(sql);
		snprintf(db->msg, sizeof(db->msg), "out of memory");
		errno = ENOMEM;
		return -1;
	}
	snprintf(p->name, sizeof(p->name), "s%u", db->nnames);
	p->nparams = max;
	/* a parameter the text never names (bound by a caller that binds
	 * them all) is sent as text; the server infers the others */
	for (i = 0; i < max; i++)
		types[i] = used[i] ? 0 : 25 /* TEXTOID */;
	res = PQprepare(db->pg, p->name, sql, max, types);
	free(sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		dbpg_fail(db, res);
		PQclear(res);
		free(p->sql);
		free(p);
		return -1;
	}
	PQclear(res);
	db->nnames++;
	p->next = db->names;
	db->names = p;
	st->pn = p;
	return 0;
}

void
dbpg_reset(struct db_stmt *st)
{
	PQclear(st->res);
	st->res = NULL;
	st->executed = 0;
	st->row = -1;
}

int
dbpg_step(struct db_stmt *st)
{
	ExecStatusType s;

	if (!st->executed) {
		st->res = PQexecPrepared(st->db->pg, st->pn->name, st->pn->nparams, st->val,
		    st->len, st->fmt, 1);
		s = PQresultStatus(st->res);
		if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
			dbpg_fail(st->db, st->res);
			dbpg_reset(st);
			return -1;
		}
		st->executed = 1;
		st->row = -1;
	}
	if (st->row + 1 < PQntuples(st->res)) {
		st->row++;
		return DB_ROW;
	}
	st->row = PQntuples(st->res);
	return DB_DONE;
}
