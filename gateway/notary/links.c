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
#include <sqlite3.h>

#include "common/log.h"
#include "lib/util.h"
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

/* The latest candidate of one tier. ?1 party, ?2 workbook, ?3 verdict,
 * ?4 ref or filename, ?5 SHA-256 blob or NULL (any). */
static const char links_sql_byref[] =
	"SELECT idx, lower(hex(sha256)) FROM entries"
	" WHERE party = ?1 AND ref = ?4 AND idx <> ?2 AND verdict = ?3"
	" AND (?5 IS NULL OR sha256 = ?5) ORDER BY idx DESC LIMIT 1";
static const char links_sql_byname[] =
	"SELECT idx, lower(hex(sha256)) FROM entries"
	" WHERE party = ?1 AND filename = ?4 AND (ref IS NULL OR ref = '')"
	" AND idx <> ?2 AND verdict = ?3"
	" AND (?5 IS NULL OR sha256 = ?5) ORDER BY idx DESC LIMIT 1";
static const char links_sql_unref[] =
	"SELECT e.idx, e.filename FROM entries e"
	" WHERE e.party = ?1 AND e.idx > ?2 AND e.verdict = 'accepted' AND e.kind <> ?3"
	" AND NOT (e.ref IS NOT NULL AND e.ref <> '' AND EXISTS"
	"  (SELECT 1 FROM workbook_refs r WHERE r.workbook = ?2 AND r.ref = e.ref))"
	" AND NOT ((e.ref IS NULL OR e.ref = '') AND EXISTS"
	"  (SELECT 1 FROM workbook_refs r WHERE r.workbook = ?2 AND r.filename = e.filename))"
	" ORDER BY e.idx LIMIT ?4";

int
links_schema(sqlite3 *db)
{
	char *msg = NULL;

	for (size_t i = 0; i < sizeof(links_ddl) / sizeof(links_ddl[0]); i++) {
		if (sqlite3_exec(db, links_ddl[i], NULL, NULL, &msg) != SQLITE_OK) {
			log_warnx("%s: %s", __func__, msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			return -1;
		}
	}
	return 0;
}

int
links_record(sqlite3 *db, uint64_t workbook_index, const struct workbook_refs *w)
{
	static const char sql_wb[] = "INSERT INTO workbooks(workbook, tab) VALUES (?1, ?2)";
	static const char sql_row[] = "INSERT INTO workbook_refs(workbook, row, ref,"
	    " filename, obligation, sha256, description) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (workbook_index > INT64_MAX || w == NULL) {
		log_warnx("%s: bad arguments", __func__);
		return -1;
	}
	if (sqlite3_prepare_v2(db, sql_wb, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)workbook_index);
	sqlite3_bind_text(st, 2, w->tab, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;

	if (sqlite3_prepare_v2(db, sql_row, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	for (size_t i = 0; i < w->n; i++) {
		const struct workbook_ref *r = &w->v[i];

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)workbook_index);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i + 1);
		sqlite3_bind_text(st, 3, r->ref, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, r->filename, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, r->obligation, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, r->sha256, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, r->description, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
	}
	rc = 0;
fail:
	if (rc != 0)
		log_warnx("%s: workbook %llu: %s", __func__,
		    (unsigned long long)workbook_index, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

struct links_ctx {
	sqlite3      *db;
	sqlite3_stmt *byref;
	sqlite3_stmt *byname;
	const char   *party;
	sqlite3_int64 workbook;
};

/* The latest candidate of tier ST for KEY with VERDICT and, when HASH is
 * not NULL, that SHA-256. 1 found (*IDX, HEX), 0 none, -1 error. */
static int
links_find(struct links_ctx *c, sqlite3_stmt *st, const char *key, const char *verdict,
    const uint8_t *hash, sqlite3_int64 *idx, char hex[65])
{
	int rc;

	if (key[0] == '\0')
		return 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_text(st, 1, c->party, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, c->workbook);
	sqlite3_bind_text(st, 3, verdict, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, key, -1, SQLITE_STATIC);
	if (hash != NULL)
		sqlite3_bind_blob(st, 5, hash, 32, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 5);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return -1;
	*idx = sqlite3_column_int64(st, 0);
	if (sqlite3_column_type(st, 1) == SQLITE_TEXT && sqlite3_column_bytes(st, 1) == 64)
		memcpy(hex, sqlite3_column_text(st, 1), 65);
	else
		hex[0] = '\0';
	return 1;
}

/* By ref first, then by name. 1/0/-1 as links_find. */
static int
links_find_tiers(struct links_ctx *c, const char *ref, const char *filename,
    const char *verdict, const uint8_t *hash, sqlite3_int64 *idx, char hex[65])
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
	sqlite3_int64 idx = 0;
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
links_set_text(json_t *o, const char *key, sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	if (s == NULL || s[0] == '\0')
		return 0;
	return json_object_set_new(o, key, json_string((const char *)s));
}

int
links_report(sqlite3 *db, uint64_t workbook_index, const char *party_or_null, json_t **out)
{
	static const char sql_wb[] = "SELECT e.party, w.tab FROM entries e"
	    " LEFT JOIN workbooks w ON w.workbook = e.idx"
	    " WHERE e.idx = ?1 AND e.kind = ?2 AND e.verdict = 'accepted'";
	static const char sql_rows[] = "SELECT ref, filename, obligation, sha256"
	    " FROM workbook_refs WHERE workbook = ?1 ORDER BY row";
	struct links_ctx c = { .db = db };
	sqlite3_stmt *st = NULL, *rows = NULL, *unref = NULL;
	json_t *rep = NULL, *refs = NULL, *un = NULL;
	char party[256];
	int rc = -1, step;
	sqlite3_int64 n;

	*out = NULL;
	if (workbook_index > INT64_MAX)
		return 1;
	c.workbook = (sqlite3_int64)workbook_index;

	if (sqlite3_prepare_v2(db, sql_wb, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, c.workbook);
	sqlite3_bind_text(st, 2, KIND_VALIDATION_WORKBOOK, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		rc = 1;
		goto fail;
	}
	if (step != SQLITE_ROW || sqlite3_column_type(st, 0) != SQLITE_TEXT ||
	    (size_t)sqlite3_column_bytes(st, 0) >= sizeof(party))
		goto fail;
	memcpy(party, sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0) + 1);
	if (party_or_null != NULL && strcmp(party_or_null, party) != 0) {
		rc = 1;
		goto fail;
	}
	c.party = party;
	if ((rep = json_object()) == NULL ||
	    json_object_set_new(rep, "workbook", json_integer(c.workbook)) != 0 ||
	    json_object_set_new(rep, "party", json_string(party)) != 0 ||
	    json_object_set_new(rep, "tab", json_string(sqlite3_column_type(st, 1) == SQLITE_TEXT ?
	    (const char *)sqlite3_column_text(st, 1) : "")) != 0 ||
	    json_object_set_new(rep, "references", refs = json_array()) != 0 ||
	    json_object_set_new(rep, "unreferenced", un = json_array()) != 0)
		goto fail;

	if (sqlite3_prepare_v2(db, sql_rows, -1, &rows, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, links_sql_byref, -1, &c.byref, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, links_sql_byname, -1, &c.byname, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, links_sql_unref, -1, &unref, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(rows, 1, c.workbook);
	while ((step = sqlite3_step(rows)) == SQLITE_ROW) {
		const char *ref = (const char *)sqlite3_column_text(rows, 0);
		const char *fn = (const char *)sqlite3_column_text(rows, 1);
		const char *h = (const char *)sqlite3_column_text(rows, 3);
		json_t *o;

		if (json_array_append_new(refs, o = json_object()) != 0 ||
		    links_set_text(o, "ref", rows, 0) != 0 ||
		    links_set_text(o, "filename", rows, 1) != 0 ||
		    links_set_text(o, "obligation", rows, 2) != 0 ||
		    links_row(&c, ref ? ref : "", fn ? fn : "", h ? h : "", o) != 0)
			goto fail;
	}
	if (step != SQLITE_DONE)
		goto fail;

	sqlite3_bind_text(unref, 1, party, -1, SQLITE_STATIC);
	sqlite3_bind_int64(unref, 2, c.workbook);
	sqlite3_bind_text(unref, 3, KIND_VALIDATION_WORKBOOK, -1, SQLITE_STATIC);
	sqlite3_bind_int64(unref, 4, LINKS_UNREFERENCED_MAX + 1);
	n = 0;
	while ((step = sqlite3_step(unref)) == SQLITE_ROW) {
		json_t *o;

		if (++n > LINKS_UNREFERENCED_MAX) {
			if (json_object_set_new(rep, "unreferenced_truncated", json_true()) != 0)
				goto fail;
			break;
		}
		if (json_array_append_new(un, o = json_object()) != 0 ||
		    json_object_set_new(o, "receipt", json_integer(sqlite3_column_int64(unref, 0))) != 0 ||
		    links_set_text(o, "filename", unref, 1) != 0)
			goto fail;
	}
	if (step != SQLITE_DONE && step != SQLITE_ROW)
		goto fail;

	*out = rep;
	rep = NULL;
	rc = 0;
fail:
	if (rc < 0)
		log_warnx("%s: workbook %llu: %s", __func__,
		    (unsigned long long)workbook_index, sqlite3_errmsg(db));
	json_decref(rep);
	sqlite3_finalize(st);
	sqlite3_finalize(rows);
	sqlite3_finalize(c.byref);
	sqlite3_finalize(c.byname);
	sqlite3_finalize(unref);
	return rc;
}
