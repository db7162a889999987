/*
 * notary/db_sqlite.c: the SQLite driver of db.h (the default ledger,
 * DATA/ledger.db). One connection in WAL mode with synchronous=FULL (a
 * commit is durable on return), defensive, no extensions; read-only handles
 * are query_only. Runs wherever the ledger is opened; trusts the file as
 * ledger.h says.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/errbuf.h"
#include "common/log.h"
#include "notary/db_impl.h"
#include "notary/walbuf.h"

#define DBLITE_BUSY_MS 5000   /* wait this long for a lock before failing */
/* Pages of WAL after which a commit checkpoints (SQLite's default is 1000).
 * A small upload's bytes pass through the stash (notary.c): written, then
 * deleted once its file is durable, so the same pages come back commit
 * after commit. Four times the default lets a checkpoint copy each such
 * page once for four times as many uploads: ≈ 5 % less CPU per small
 * upload, for a WAL of up to ≈ 16 MiB. */
#define DBLITE_CHECKPOINT_PAGES 4000

/* errno for an SQLite result code (what the front turns into a status). */
int
dblite_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return ENOSPC;
	case SQLITE_NOMEM:
		return ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return EBUSY;
	case SQLITE_READONLY:
		return EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return EACCES;
	case SQLITE_CONSTRAINT:
		return EEXIST;
	default:
		return EIO;
	}
}

int
dblite_exec(struct db *db, const char *sql)
{
	char *msg = NULL;
	int rc;

	if ((rc = sqlite3_exec(db->lite, sql, NULL, NULL, &msg)) != SQLITE_OK) {
		snprintf(db->msg, sizeof(db->msg), "%s", msg != NULL ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		errno = dblite_errno(rc);
		return -1;
	}
	return 0;
}

/* The pragmas every connection uses. */
static int
dblite_configure(struct db *db)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *mode;
	int rc, on = 1;

	sqlite3_busy_timeout(db->lite, DBLITE_BUSY_MS);
	sqlite3_extended_result_codes(db->lite, 1);
	sqlite3_db_config(db->lite, SQLITE_DBCONFIG_DEFENSIVE, 1, &on);
	sqlite3_db_config(db->lite, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, &on);
	sqlite3_db_config(db->lite, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, &on);
	if (dblite_exec(db, "PRAGMA foreign_keys = OFF") == -1)
		return -1;
	if (!db->writable)
		return dblite_exec(db, "PRAGMA query_only = ON");
	if (sqlite3_prepare_v2(db->lite, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	mode = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	if (mode == NULL || strcmp((const char *)mode, "wal") != 0) {
		sqlite3_finalize(st);
		snprintf(db->msg, sizeof(db->msg), "cannot switch to WAL mode");
		errno = EIO;
		return -1;
	}
	sqlite3_finalize(st);
	sqlite3_wal_autocheckpoint(db->lite, DBLITE_CHECKPOINT_PAGES);
	return dblite_exec(db, "PRAGMA synchronous = FULL");
}

int
dblite_open(struct db *db, const char *path, char *err, size_t errlen)
{
	int flags;

	flags = SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_EXRESCODE |
	    (db->writable ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY);
	/* the writer gathers each commit's WAL frames into one write (walbuf.h) */
	if (sqlite3_open_v2(path, &db->lite, flags, db->writable ? walbuf_vfs() : NULL) !=
	    SQLITE_OK) {
		errset(err, errlen, "ledger: %s: %s", path,
		    db->lite != NULL ? sqlite3_errmsg(db->lite) : "out of memory");
		return -1;
	}
	if (dblite_configure(db) == -1) {
		errset(err, errlen, "ledger: %s: %s", path, db->msg[0] != '\0' ? db->msg :
		    sqlite3_errmsg(db->lite));
		return -1;
	}
	return 0;
}

void
dblite_close(struct db *db)
{
	if (db->lite != NULL && sqlite3_close(db->lite) != SQLITE_OK)
		log_warnx("ledger: close: %s", sqlite3_errmsg(db->lite));
	db->lite = NULL;
}

int
dblite_prepare(struct db_stmt *st)
{
	int rc;

	rc = sqlite3_prepare_v3(st->db->lite, st->sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &st->lite, NULL);
	if (rc != SQLITE_OK) {
		snprintf(st->db->msg, sizeof(st->db->msg), "%s", sqlite3_errmsg(st->db->lite));
		/* a missing table or column is a plain SQLITE_ERROR */
		errno = (rc & 0xff) == SQLITE_ERROR ? ENOENT : dblite_errno(rc);
		return -1;
	}
	return 0;
}

int
dblite_step(struct db_stmt *st)
{
	int rc = sqlite3_step(st->lite);

	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE)
		return DB_DONE;
	snprintf(st->db->msg, sizeof(st->db->msg), "%s", sqlite3_errmsg(st->db->lite));
	errno = dblite_errno(rc);
	return -1;
}
