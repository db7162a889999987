/*
 * notary/links.c: see links.h. Every statement is prepared with bound
 * parameters; a report is a handful of indexed lookups per row (the entries
 * indexes on (party, ref) and (party, filename) end in idx, the rowid, so
 * "latest" is an index walk, not a sort). links_report keeps its first
 * statement open until it returns, so all its reads see one snapshot even
 * when the caller opened no transaction.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/log.h"
#include "lib/util.h"
#include "notary/db.h"
#include "notary/links.h"

static const char *const links_ddl[] = {
	"CREATE TABLE IF NOT EXISTS workbooks("
	    "workbook INTEGER PRIMARY KEY, tab TEXT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS workbook_refs("
	    "workbook INTEGER NOT NULL, row INTEGER NOT NULL, ref TEXT NOT NULL,"
	    " filename TEXT NOT NULL, obligation TEXT NOT NULL, sha256 TEXT NOT NULL,"
	    " description TEXT NOT NULL, PRIMARY KEY(workbook, row))",
	"CREATE INDEX IF NOT EXISTS workbook_refs_ref ON workbook_refs(workbook, ref)",
	"CREATE INDEX IF NOT EXISTS workbook_refs_filename ON workbook_refs(workbook, filename)",
	"CREATE INDEX IF NOT EXISTS entries_party_ref ON entries(party, ref)",
	"CREATE INDEX IF NOT EXISTS entries_party_filename ON entries(party, filename)",
};

/* PostgreSQL: BIGINT where SQLite has INTEGER (NULL: the same text). */
static const char *const links_ddl_pg[] = {
	"CREATE TABLE IF NOT EXISTS workbooks("
	    "workbook BIGINT PRIMARY KEY, tab TEXT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS workbook_refs("
	    "workbook BIGINT NOT NULL, row BIGINT NOT NULL, ref TEXT NOT NULL,"
	    " filename TEXT NOT NULL, obligation TEXT NOT NULL, sha256 TEXT NOT NULL,"
	    " description TEXT NOT NULL, PRIMARY KEY(workbook, row))",
	NULL, NULL, NULL, NULL,
};

/* The latest candidate of one tier. ?1 party, ?2 workbook, ?3 verdict,
 * ?4 ref or filename, ?5 SHA-256 blob or NULL (any). */
#define LINKS_BYREF(hex, blob) \
	"SELECT idx, " hex " FROM entries" \
	" WHERE party = ?1 AND ref = ?4 AND idx <> ?2 AND verdict = ?3" \
	" AND (CAST(?5 AS " blob ") IS NULL OR sha256 = ?5) ORDER BY idx DESC LIMIT 1"
#define LINKS_BYNAME(hex, blob) \
	"SELECT idx, " hex " FROM entries" \
	" WHERE party = ?1 AND filename = ?4 AND (ref IS NULL OR ref = '')" \
	" AND idx <> ?2 AND verdict = ?3" \
	" AND (CAST(?5 AS " blob ") IS NULL OR sha256 = ?5) ORDER BY idx DESC LIMIT 1"
/* the hex of a blob: lower(hex(x)) in SQLite, encode(x, 'hex') in PostgreSQL;
 * the blob type (PostgreSQL must know ?5's type where it first meets it) */
static const char links_sql_byref[] = LINKS_BYREF("lower(hex(sha256))", "BLOB");
static const char links_sql_byname[] = LINKS_BYNAME("lower(hex(sha256))", "BLOB");
static const char links_sql_byref_pg[] = LINKS_BYREF("encode(sha256, 'hex')", "BYTEA");
static const char links_sql_byname_pg[] = LINKS_BYNAME("encode(sha256, 'hex')", "BYTEA");
static const char links_sql_unref[] =
	"SELECT e.idx, e.filename FROM entries e"
	" WHERE e.party = ?1 AND e.idx > ?2 AND e.verdict = 'accepted' AND e.kind <> ?3"
	" AND NOT (e.ref IS NOT NULL AND e.ref <> '' AND EXISTS"
	"  (SELECT 1 FROM workbook_refs r WHERE r.workbook = ?2 AND r.ref = e.ref))"
	" AND NOT ((e.ref IS NULL OR e.ref = '') AND EXISTS"
	"  (SELECT 1 FROM workbook_refs r WHERE r.workbook = ?2 AND r.filename = e.filename))"
	" ORDER BY e.idx LIMIT ?4";

int
links_schema(struct db *db)
{
	int pg = db_backend(db) == DB_POSTGRESQL;

	for (size_t i = 0; i < sizeof(links_ddl) / sizeof(links_ddl[0]); i++) {
		if (db_exec(db, pg && links_ddl_pg[i] != NULL ? links_ddl_pg[i] :
		    links_ddl[i]) == -1) {
			log_warnx("%s: %s", __func__, db_errmsg(db));
			return -1;
		}
	}
	return 0;
}

int
links_record(struct db *db, uint64_t workbook_index, const struct workbook_refs *w)
{
	static const char sql_wb[] = "INSERT INTO workbooks(workbook, tab) VALUES (?1, ?2)";
	static const char sql_row[] = "INSERT INTO workbook_refs(workbook, row, ref,"
	    " filename, obligation, sha256, description) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	struct db_stmt *st = NULL;
	int rc = -1;

	if (workbook_index > INT64_MAX || w == NULL) {
		log_warnx("%s: bad arguments", __func__);
		return -1;
	}
	if ((st = db_prepare(db, sql_wb)) == NULL)
		goto fail;
	db_bind_int64(st, 1, (int64_t)workbook_index);
	db_bind_text(st, 2, w->tab, -1);
	if (db_step(st) != DB_DONE)
		goto fail;
	db_finalize(st);
	st = NULL;

	if ((st = db_prepare(db, sql_row)) == NULL)
		goto fail;
	for (size_t i = 0; i < w->n; i++) {
		const struct workbook_ref *r = &w->v[i];

		db_reset(st);
		db_bind_int64(st, 1, (int64_t)workbook_index);
		db_bind_int64(st, 2, (int64_t)i + 1);
		db_bind_text(st, 3, r->ref, -1);
		db_bind_text(st, 4, r->filename, -1);
		db_bind_text(st, 5, r->obligation, -1);
		db_bind_text(st, 6, r->sha256, -1);
		db_bind_text(st, 7, r->description, -1);
		if (db_step(st) != DB_DONE)
			goto fail;
	}
	rc = 0;
fail:
	if (rc != 0)
		log_warnx("%s: workbook %llu: %s", __func__,
		    (unsigned long long)workbook_index, db_errmsg(db));
	db_finalize(st);
	return rc;
}

struct links_ctx {
	struct db      *db;
	struct db_stmt *byref;
	struct db_stmt *byname;
	const char   *party;
	int64_t workbook;
};

/* The latest candidate of tier ST for KEY with VERDICT and, when HASH is
 * not NULL, that SHA-256. 1 found (*IDX, HEX), 0 none, -1 error. */
static int
links_find(struct links_ctx *c, struct db_stmt *st, const char *key, const char *verdict,
    const uint8_t *hash, int64_t *idx, char hex[65])
{
	int rc;

	if (key[0] == '\0')
		return 0;
	db_reset(st);
	db_clear(st);
	db_bind_text(st, 1, c->party, -1);
	db_bind_int64(st, 2, c->workbook);
	db_bind_text(st, 3, verdict, -1);
	db_bind_text(st, 4, key, -1);
	if (hash != NULL)
		db_bind_blob(st, 5, hash, 32);
	else
		db_bind_null(st, 5);
	rc = db_step(st);
	if (rc == DB_DONE)
		return 0;
	if (rc != DB_ROW)
		return -1;
	*idx = db_column_int64(st, 0);
	if (!db_column_is_null(st, 1) && db_column_bytes(st, 1) == 64)
		memcpy(hex, db_column_text(st, 1), 65);
	else
		hex[0] = '\0';
	return 1;
}

/* By ref first, then by name. 1/0/-1 as links_find. */
static int
links_find_tiers(struct links_ctx *c, const char *ref, const char *filename,
    const char *verdict, const uint8_t *hash, int64_t *idx, char hex[65])
{
	int rc;

	rc = links_find(c, c->byref, ref, verdict, hash, idx, hex);
	if (rc != 0)
		return rc;
	return links_find(c, c->byname, filename, verdict, hash, idx, hex);
}

/* The status of one row into the JSON object O. 0/-1. */
static int
links_row(struct links_ctx *c, const char *ref, const char *filename, const char *rowhash,
    json_t *o)
{
	uint8_t hash[32];
	int64_t idx = 0;
	char hex[65];
	const char *status;
	int rc;

	if (rowhash[0] == '\0') {
		rc = links_find_tiers(c, ref, filename, "accepted", NULL, &idx, hex);
		status = "received";
	} else {
		rc = 0;
		status = "received";
		if (util_unhex(rowhash, strlen(rowhash), hash, sizeof(hash)) == 0)
			rc = links_find_tiers(c, ref, filename, "accepted", hash, &idx, hex);
		if (rc == 0) {
			rc = links_find_tiers(c, ref, filename, "accepted", NULL, &idx, hex);
			status = "mismatch";
		}
	}
	if (rc == 0) {
		rc = links_find_tiers(c, ref, filename, "rejected", NULL, &idx, hex);
		status = "rejected";
	}
	if (rc < 0)
		return -1;
	if (rc == 0) {
		status = "missing";
		return json_object_set_new(o, "status", json_string(status));
	}
	if (json_object_set_new(o, "status", json_string(status)) != 0 ||
	    json_object_set_new(o, "receipt", json_integer(idx)) != 0)
		return -1;
	if (hex[0] != '\0' && json_object_set_new(o, "sha256", json_string(hex)) != 0)
		return -1;
	return 0;
}

/* Sets KEY to the text of column COL when it is non-empty. 0/-1. */
static int
links_set_text(json_t *o, const char *key, struct db_stmt *st, int col)
{
	const char *s = db_column_text(st, col);

	if (s == NULL || s[0] == '\0')
		return 0;
	return json_object_set_new(o, key, json_string((const char *)s));
}

int
links_report(struct db *db, uint64_t workbook_index, const char *party_or_null, json_t **out)
{
	static const char sql_wb[] = "SELECT e.party, w.tab FROM entries e"
	    " LEFT JOIN workbooks w ON w.workbook = e.idx"
	    " WHERE e.idx = ?1 AND e.kind = ?2 AND e.verdict = 'accepted'";
	static const char sql_rows[] = "SELECT ref, filename, obligation, sha256"
	    " FROM workbook_refs WHERE workbook = ?1 ORDER BY row";
	struct links_ctx c = { .db = db };
	int pg = db_backend(db) == DB_POSTGRESQL;
	struct db_stmt *st = NULL, *rows = NULL, *unref = NULL;
	json_t *rep = NULL, *refs = NULL, *un = NULL;
	char party[256];
	int rc = -1, step;
	int64_t n;

	*out = NULL;
	if (workbook_index > INT64_MAX)
		return 1;
	c.workbook = (int64_t)workbook_index;

	if ((st = db_prepare(db, sql_wb)) == NULL)
		goto fail;
	db_bind_int64(st, 1, c.workbook);
	db_bind_text(st, 2, KIND_VALIDATION_WORKBOOK, -1);
	step = db_step(st);
	if (step == DB_DONE) {
		rc = 1;
		goto fail;
	}
	if (step != DB_ROW || db_column_is_null(st, 0) ||
	    (size_t)db_column_bytes(st, 0) >= sizeof(party))
		goto fail;
	memcpy(party, db_column_text(st, 0), (size_t)db_column_bytes(st, 0) + 1);
	if (party_or_null != NULL && strcmp(party_or_null, party) != 0) {
		rc = 1;
		goto fail;
	}
	c.party = party;
	if ((rep = json_object()) == NULL ||
	    json_object_set_new(rep, "workbook", json_integer(c.workbook)) != 0 ||
	    json_object_set_new(rep, "party", json_string(party)) != 0 ||
	    json_object_set_new(rep, "tab", json_string(!db_column_is_null(st, 1) ?
	    (const char *)db_column_text(st, 1) : "")) != 0 ||
	    json_object_set_new(rep, "references", refs = json_array()) != 0 ||
	    json_object_set_new(rep, "unreferenced", un = json_array()) != 0)
		goto fail;

	if ((rows = db_prepare(db, sql_rows)) == NULL ||
	    (c.byref = db_prepare(db, pg ? links_sql_byref_pg : links_sql_byref)) == NULL ||
	    (c.byname = db_prepare(db, pg ? links_sql_byname_pg : links_sql_byname)) == NULL ||
	    (unref = db_prepare(db, links_sql_unref)) == NULL)
		goto fail;
	db_bind_int64(rows, 1, c.workbook);
	while ((step = db_step(rows)) == DB_ROW) {
		const char *ref = (const char *)db_column_text(rows, 0);
		const char *fn = (const char *)db_column_text(rows, 1);
		const char *h = (const char *)db_column_text(rows, 3);
		json_t *o;

		if (json_array_append_new(refs, o = json_object()) != 0 ||
		    links_set_text(o, "ref", rows, 0) != 0 ||
		    links_set_text(o, "filename", rows, 1) != 0 ||
		    links_set_text(o, "obligation", rows, 2) != 0 ||
		    links_row(&c, ref ? ref : "", fn ? fn : "", h ? h : "", o) != 0)
			goto fail;
	}
	if (step != DB_DONE)
		goto fail;

	db_bind_text(unref, 1, party, -1);
	db_bind_int64(unref, 2, c.workbook);
	db_bind_text(unref, 3, KIND_VALIDATION_WORKBOOK, -1);
	db_bind_int64(unref, 4, LINKS_UNREFERENCED_MAX + 1);
	n = 0;
	while ((step = db_step(unref)) == DB_ROW) {
		json_t *o;

		if (++n > LINKS_UNREFERENCED_MAX) {
			if (json_object_set_new(rep, "unreferenced_truncated", json_true()) != 0)
				goto fail;
			break;
		}
		if (json_array_append_new(un, o = json_object()) != 0 ||
		    json_object_set_new(o, "receipt", json_integer(db_column_int64(unref, 0))) != 0 ||
		    links_set_text(o, "filename", unref, 1) != 0)
			goto fail;
	}
	if (step != DB_DONE && step != DB_ROW)
		goto fail;

	*out = rep;
	rep = NULL;
	rc = 0;
fail:
	if (rc < 0)
		log_warnx("%s: workbook %llu: %s", __func__,
		    (unsigned long long)workbook_index, db_errmsg(db));
	json_decref(rep);
	db_finalize(st);
	db_finalize(rows);
	db_finalize(c.byref);
	db_finalize(c.byname);
	db_finalize(unref);
	return rc;
}
