/*
 * tests/unit/links.c: notary/links.c against a real SQLite database (through
 * notary/db.h) whose entries table is created here with the ledger's schema
 * (ledger.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>
#include <openssl/sha.h>
#include <unistd.h>

#include "inspect/inspect.h"
#include "notary/db.h"
#include "notary/links.h"

static struct db *db;
static char dbdir[] = "/tmp/intake-links-XXXXXX";
static char dbpath[64];

static void
setup(void)
{
	char err[256];

	ck_assert_ptr_nonnull(mkdtemp(dbdir));
	snprintf(dbpath, sizeof(dbpath), "%s/links.db", dbdir);
	db = db_open_sqlite(dbpath, 1, err, sizeof(err));
	ck_assert_msg(db != NULL, "%s", err);
	ck_assert_int_eq(db_exec(db,
	    "CREATE TABLE entries(idx INTEGER PRIMARY KEY, time, party, cert, kind,"
	    " filename, ref, size, sha256 BLOB, type, verdict, entry TEXT, receipt TEXT,"
	    " findings TEXT, manifest TEXT)"), 0);
	ck_assert_int_eq(links_schema(db), 0);
	/* idempotent, as the ledger calls it at every open */
	ck_assert_int_eq(links_schema(db), 0);
}

static void
teardown(void)
{
	char path[80];

	db_close(db);
	db = NULL;
	unlink(dbpath);
	snprintf(path, sizeof(path), "%s-wal", dbpath);
	unlink(path);
	snprintf(path, sizeof(path), "%s-shm", dbpath);
	unlink(path);
	rmdir(dbdir);
	memcpy(dbdir + sizeof(dbdir) - 7, "XXXXXX", 6);
}

static void
sha_hex(const char *content, char hex[65])
{
	uint8_t d[32];

	SHA256((const unsigned char *)content, strlen(content), d);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* Appends an entry; CONTENT stands for the file's bytes (its SHA-256 is stored). */
static void
add(int64_t idx, const char *party, const char *kind, const char *filename,
    const char *ref, const char *content, int accepted)
{
	struct db_stmt *st;
	uint8_t d[32];

	SHA256((const unsigned char *)content, strlen(content), d);
	ck_assert_ptr_nonnull(st = db_prepare(db, "INSERT INTO entries(idx, time, party, cert,"
	    " kind, filename, ref, size, sha256, type, verdict, entry, receipt, findings)"
	    " VALUES (?1, '2024-01-01T00:00:00Z', ?2, 'c', ?3, ?4, ?5, ?6, ?7,"
	    " 'application/pdf', ?8, 'e', 'r', '[]')"));
	db_bind_int64(st, 1, idx);
	db_bind_text(st, 2, party, -1);
	db_bind_text(st, 3, kind, -1);
	db_bind_text(st, 4, filename, -1);
	if (ref != NULL)
		db_bind_text(st, 5, ref, -1);
	db_bind_int64(st, 6, (int64_t)strlen(content));
	db_bind_blob(st, 7, d, 32);
	db_bind_text(st, 8, accepted ? "accepted" : "rejected", -1);
	ck_assert_int_eq(db_step(st), DB_DONE);
	db_finalize(st);
}

#define WB_ROWS_MAX_TEST 8
struct rowspec { const char *ref, *filename, *obligation, *sha256; };

/* Appends workbook entry IDX of PARTY and records ROWS in one transaction,
 * as the notary does. */
static void
add_workbook(int64_t idx, const char *party, const char *tab, const struct rowspec *rows,
    size_t n)
{
	struct workbook_refs w;

	memset(&w, 0, sizeof(w));
	snprintf(w.tab, sizeof(w.tab), "%s", tab);
	w.v = calloc(n ? n : 1, sizeof(*w.v));
	ck_assert_ptr_nonnull(w.v);
	w.n = n;
	for (size_t i = 0; i < n; i++) {
		snprintf(w.v[i].ref, sizeof(w.v[i].ref), "%s", rows[i].ref);
		snprintf(w.v[i].filename, sizeof(w.v[i].filename), "%s",
		    rows[i].filename ? rows[i].filename : "");
		snprintf(w.v[i].obligation, sizeof(w.v[i].obligation), "%s",
		    rows[i].obligation ? rows[i].obligation : "");
		snprintf(w.v[i].sha256, sizeof(w.v[i].sha256), "%s",
		    rows[i].sha256 ? rows[i].sha256 : "");
	}
	ck_assert_int_eq(db_exec(db, "BEGIN"), 0);
	add(idx, party, KIND_VALIDATION_WORKBOOK, "workbook.xlsx", NULL, tab, 1);
	ck_assert_int_eq(links_record(db, (uint64_t)idx, &w), 0);
	ck_assert_int_eq(db_exec(db, "COMMIT"), 0);
	free(w.v);
}

static json_t *
report(int64_t wb, const char *party)
{
	json_t *r = NULL;

	ck_assert_int_eq(links_report(db, (uint64_t)wb, party, &r), 0);
	ck_assert_ptr_nonnull(r);
	return r;
}

static json_t *
row_of(json_t *r, const char *ref)
{
	json_t *refs = json_object_get(r, "references"), *o;
	size_t i;

	json_array_foreach(refs, i, o)
		if (strcmp(json_string_value(json_object_get(o, "ref")), ref) == 0)
			return o;
	ck_abort_msg("no row %s", ref);
	return NULL;
}

static const char *
status_of(json_t *r, const char *ref)
{
	return json_string_value(json_object_get(row_of(r, ref), "status"));
}

static int64_t
receipt_of(json_t *r, const char *ref)
{
	json_t *v = json_object_get(row_of(r, ref), "receipt");

	return v ? json_integer_value(v) : -1;
}

START_TEST(report_has_contract_shape)
{
	struct rowspec rows[] = {
		{ "EV-001", "access-policy.pdf", "G5.14", NULL },
		{ "EV-002", "loi.pdf", NULL, NULL },
	};
	char hex[65];
	json_t *r, *o;

	add(12, "ALPHA", "evidence", "access-policy.pdf", NULL, "policy", 1);
	add_workbook(17, "ALPHA", "Evidence References", rows, 2);
	add(18, "ALPHA", "evidence", "extra.pdf", NULL, "extra", 1);
	r = report(17, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "workbook")), 17);
	ck_assert_str_eq(json_string_value(json_object_get(r, "party")), "ALPHA");
	ck_assert_str_eq(json_string_value(json_object_get(r, "tab")), "Evidence References");
	ck_assert_int_eq(json_array_size(json_object_get(r, "references")), 2);
	o = row_of(r, "EV-001");
	ck_assert_str_eq(json_string_value(json_object_get(o, "filename")), "access-policy.pdf");
	ck_assert_str_eq(json_string_value(json_object_get(o, "obligation")), "G5.14");
	ck_assert_str_eq(json_string_value(json_object_get(o, "status")), "received");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "receipt")), 12);
	sha_hex("policy", hex);
	ck_assert_str_eq(json_string_value(json_object_get(o, "sha256")), hex);
	o = row_of(r, "EV-002");
	ck_assert_str_eq(json_string_value(json_object_get(o, "status")), "missing");
	ck_assert_ptr_null(json_object_get(o, "obligation"));
	ck_assert_ptr_null(json_object_get(o, "receipt"));
	ck_assert_ptr_null(json_object_get(o, "sha256"));
	o = json_array_get(json_object_get(r, "unreferenced"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "receipt")), 18);
	ck_assert_str_eq(json_string_value(json_object_get(o, "filename")), "extra.pdf");
	/* rows come back in tab order */
	ck_assert_str_eq(json_string_value(json_object_get(
	    json_array_get(json_object_get(r, "references"), 0), "ref")), "EV-001");
	json_decref(r);
}
END_TEST

START_TEST(evidence_before_and_after_workbook_links)
{
	struct rowspec rows[] = {
		{ "EV-001", "before.pdf", NULL, NULL },
		{ "EV-002", "after.pdf", NULL, NULL },
	};
	json_t *r;

	add(1, "ALPHA", "evidence", "before.pdf", NULL, "b", 1);
	add_workbook(2, "ALPHA", "Evidence", rows, 2);
	r = report(2, "ALPHA");
	ck_assert_str_eq(status_of(r, "EV-001"), "received");
	ck_assert_str_eq(status_of(r, "EV-002"), "missing");
	json_decref(r);
	add(3, "ALPHA", "evidence", "after.pdf", NULL, "a", 1);
	r = report(2, "ALPHA");
	ck_assert_str_eq(status_of(r, "EV-002"), "received");
	ck_assert_int_eq(receipt_of(r, "EV-002"), 3);
	ck_assert_int_eq(json_array_size(json_object_get(r, "unreferenced")), 0);
	json_decref(r);
}
END_TEST

START_TEST(upload_with_ref_links_by_ref_whatever_its_name)
{
	struct rowspec rows[] = { { "EV-001", "access-policy.pdf", NULL, NULL } };
	json_t *r;

	add(1, "ALPHA", "evidence", "scan-0042.pdf", "EV-001", "x", 1);
	add(2, "ALPHA", "evidence", "access-policy.pdf", "EV-009", "y", 1);
	add_workbook(3, "ALPHA", "Evidence", rows, 1);
	r = report(3, NULL);
	ck_assert_str_eq(status_of(r, "EV-001"), "received");
	ck_assert_int_eq(receipt_of(r, "EV-001"), 1);
	json_decref(r);
}
END_TEST

START_TEST(by_ref_preferred_over_by_name)
{
	struct rowspec rows[] = { { "EV-001", "a.pdf", NULL, NULL } };
	json_t *r;

	add(1, "ALPHA", "evidence", "other.pdf", "EV-001", "x", 1);
	add(2, "ALPHA", "evidence", "a.pdf", NULL, "y", 1);
	add_workbook(3, "ALPHA", "Evidence", rows, 1);
	r = report(3, NULL);
	ck_assert_int_eq(receipt_of(r, "EV-001"), 1);
	json_decref(r);
}
END_TEST

START_TEST(by_name_latest_accepted_wins)
{
	struct rowspec rows[] = { { "EV-001", "a.pdf", NULL, NULL } };
	char hex[65];
	json_t *r;

	add(1, "ALPHA", "evidence", "a.pdf", NULL, "v1", 1);
	add(2, "ALPHA", "evidence", "a.pdf", NULL, "v2", 1);
	add_workbook(3, "ALPHA", "Evidence", rows, 1);
	add(4, "ALPHA", "evidence", "a.pdf", NULL, "v3", 1);
	add(5, "ALPHA", "evidence", "a.pdf", NULL, "v4 rejected", 0);
	r = report(3, NULL);
	ck_assert_str_eq(status_of(r, "EV-001"), "received");
	ck_assert_int_eq(receipt_of(r, "EV-001"), 4);
	sha_hex("v3", hex);
	ck_assert_str_eq(json_string_value(json_object_get(row_of(r, "EV-001"), "sha256")), hex);
	json_decref(r);
}
END_TEST

START_TEST(hash_mismatch_then_matching_upload)
{
	char h[65], bad[65];
	struct rowspec rows[] = { { "EV-002", "fw-review.txt", NULL, h } };
	json_t *r;

	sha_hex("the right file", h);
	sha_hex("the wrong file", bad);
	add(1, "ALPHA", "evidence", "fw-review.txt", NULL, "the wrong file", 1);
	add_workbook(2, "ALPHA", "Evidence", rows, 1);
	r = report(2, NULL);
	ck_assert_str_eq(status_of(r, "EV-002"), "mismatch");
	ck_assert_int_eq(receipt_of(r, "EV-002"), 1);
	ck_assert_str_eq(json_string_value(json_object_get(row_of(r, "EV-002"), "sha256")), bad);
	json_decref(r);
	add(3, "ALPHA", "evidence", "fw-review.txt", NULL, "the right file", 1);
	/* a later wrong copy does not hide the matching one */
	add(4, "ALPHA", "evidence", "fw-review.txt", NULL, "wrong again", 1);
	r = report(2, NULL);
	ck_assert_str_eq(status_of(r, "EV-002"), "received");
	ck_assert_int_eq(receipt_of(r, "EV-002"), 3);
	ck_assert_str_eq(json_string_value(json_object_get(row_of(r, "EV-002"), "sha256")), h);
	json_decref(r);
}
END_TEST

START_TEST(hash_in_tab_upper_case_matches)
{
	char h[65];
	struct rowspec rows[] = { { "EV-002", "f.txt", NULL, h } };
	json_t *r;

	sha_hex("content", h);
	for (char *p = h; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	add(1, "ALPHA", "evidence", "f.txt", NULL, "content", 1);
	add_workbook(2, "ALPHA", "Evidence", rows, 1);
	r = report(2, NULL);
	ck_assert_str_eq(status_of(r, "EV-002"), "received");
	json_decref(r);
}
END_TEST

START_TEST(malformed_hash_can_only_mismatch)
{
	struct rowspec rows[] = {
		{ "EV-001", "f.txt", NULL, "not-a-hash" },
		{ "EV-002", "g.txt", NULL, "abc" },
	};
	json_t *r;

	add(1, "ALPHA", "evidence", "f.txt", NULL, "content", 1);
	add_workbook(2, "ALPHA", "Evidence", rows, 2);
	r = report(2, NULL);
	ck_assert_str_eq(status_of(r, "EV-001"), "mismatch");
	ck_assert_str_eq(status_of(r, "EV-002"), "missing");
	json_decref(r);
}
END_TEST

START_TEST(rejected_only_is_rejected)
{
	struct rowspec rows[] = { { "EV-001", "a.pdf", NULL, NULL },
	    { "EV-002", "b.pdf", NULL, NULL } };
	json_t *r;

	add(1, "ALPHA", "evidence", "a.pdf", NULL, "macro", 0);
	add(2, "ALPHA", "evidence", "x.pdf", "EV-002", "bad", 0);
	add_workbook(3, "ALPHA", "Evidence", rows, 2);
	r = report(3, NULL);
	ck_assert_str_eq(status_of(r, "EV-001"), "rejected");
	ck_assert_int_eq(receipt_of(r, "EV-001"), 1);
	ck_assert_str_eq(status_of(r, "EV-002"), "rejected");
	ck_assert_int_eq(receipt_of(r, "EV-002"), 2);
	/* rejected uploads are not listed as unreferenced either */
	add(4, "ALPHA", "evidence", "zzz.pdf", NULL, "bad", 0);
	json_decref(r);
	r = report(3, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(r, "unreferenced")), 0);
	json_decref(r);
	add(5, "ALPHA", "evidence", "a.pdf", NULL, "clean", 1);
	r = report(3, NULL);
	ck_assert_str_eq(status_of(r, "EV-001"), "received");
	ck_assert_int_eq(receipt_of(r, "EV-001"), 5);
	json_decref(r);
}
END_TEST

START_TEST(other_party_same_name_never_links)
{
	struct rowspec rows[] = { { "EV-004", "loi.pdf", NULL, NULL } };
	json_t *r = NULL;

	add(1, "BETA", "evidence", "loi.pdf", NULL, "beta's", 1);
	add_workbook(2, "ALPHA", "Evidence", rows, 1);
	add(3, "BETA", "evidence", "loi.pdf", "EV-004", "beta's again", 1);
	r = report(2, "ALPHA");
	ck_assert_str_eq(status_of(r, "EV-004"), "missing");
	ck_assert_int_eq(json_array_size(json_object_get(r, "unreferenced")), 0);
	json_decref(r);
	/* BETA cannot read ALPHA's report; SECAS (NULL) can */
	r = NULL;
	ck_assert_int_eq(links_report(db, 2, "BETA", &r), 1);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(links_report(db, 2, "", &r), 1);
	r = report(2, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(r, "party")), "ALPHA");
	json_decref(r);
}
END_TEST

START_TEST(two_workbooks_of_one_party_keep_separate_reports)
{
	struct rowspec a[] = { { "EV-001", "a.pdf", NULL, NULL } };
	struct rowspec b[] = { { "EV-101", "b.pdf", NULL, NULL },
	    { "EV-102", "a.pdf", NULL, NULL } };
	json_t *r;

	add_workbook(1, "ALPHA", "Evidence References", a, 1);
	add(2, "ALPHA", "evidence", "a.pdf", NULL, "a", 1);
	add_workbook(3, "ALPHA", "Additional Evidence", b, 2);
	add(4, "ALPHA", "evidence", "b.pdf", NULL, "b", 1);
	r = report(1, "ALPHA");
	ck_assert_str_eq(json_string_value(json_object_get(r, "tab")), "Evidence References");
	ck_assert_int_eq(json_array_size(json_object_get(r, "references")), 1);
	ck_assert_str_eq(status_of(r, "EV-001"), "received");
	/* b.pdf is not named by workbook 1; the later workbook is not listed */
	ck_assert_int_eq(json_array_size(json_object_get(r, "unreferenced")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(
	    json_array_get(json_object_get(r, "unreferenced"), 0), "receipt")), 4);
	json_decref(r);
	r = report(3, "ALPHA");
	ck_assert_str_eq(json_string_value(json_object_get(r, "tab")), "Additional Evidence");
	ck_assert_int_eq(json_array_size(json_object_get(r, "references")), 2);
	ck_assert_str_eq(status_of(r, "EV-101"), "received");
	ck_assert_str_eq(status_of(r, "EV-102"), "received");
	ck_assert_int_eq(receipt_of(r, "EV-102"), 2);
	ck_assert_int_eq(json_array_size(json_object_get(r, "unreferenced")), 0);
	json_decref(r);
}
END_TEST

START_TEST(unreferenced_lists_later_unnamed_uploads_only)
{
	struct rowspec rows[] = { { "EV-001", "named.pdf", NULL, NULL },
	    { "EV-002", "", NULL, NULL } };
	json_t *r, *un;

	add(1, "ALPHA", "evidence", "before.pdf", NULL, "before", 1);
	add_workbook(2, "ALPHA", "Evidence", rows, 2);
	add(3, "ALPHA", "evidence", "named.pdf", NULL, "n", 1);
	add(4, "ALPHA", "evidence", "tagged.pdf", "EV-002", "t", 1);
	add(5, "ALPHA", "evidence", "extra.pdf", NULL, "e", 1);
	add(6, "ALPHA", "evidence", "named.pdf", "EV-999", "other ref", 1);
	add(7, "ALPHA", "evidence", "rejected.pdf", NULL, "r", 0);
	add(8, "BETA", "evidence", "beta.pdf", NULL, "b", 1);
	add(9, "ALPHA", "evidence-bundle", "bundle.zip", NULL, "z", 1);
	r = report(2, NULL);
	ck_assert_str_eq(status_of(r, "EV-002"), "received");
	ck_assert_int_eq(receipt_of(r, "EV-002"), 4);
	ck_assert_ptr_null(json_object_get(row_of(r, "EV-002"), "filename"));
	un = json_object_get(r, "unreferenced");
	ck_assert_int_eq(json_array_size(un), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(un, 0), "receipt")), 5);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(un, 1), "receipt")), 6);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(un, 2), "receipt")), 9);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(un, 2), "filename")),
	    "bundle.zip");
	ck_assert_ptr_null(json_object_get(r, "unreferenced_truncated"));
	json_decref(r);
}
END_TEST

START_TEST(report_not_found_unless_accepted_workbook)
{
	struct rowspec rows[] = { { "EV-001", "a.pdf", NULL, NULL } };
	json_t *r = NULL;

	add(1, "ALPHA", "evidence", "a.pdf", NULL, "a", 1);
	add(2, "ALPHA", KIND_VALIDATION_WORKBOOK, "bad.xlsm", NULL, "macro", 0);
	add_workbook(3, "ALPHA", "Evidence", rows, 1);
	ck_assert_int_eq(links_report(db, 1, NULL, &r), 1);
	ck_assert_int_eq(links_report(db, 2, NULL, &r), 1);
	ck_assert_int_eq(links_report(db, 99, NULL, &r), 1);
	ck_assert_int_eq(links_report(db, UINT64_MAX, NULL, &r), 1);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(links_report(db, 3, NULL, &r), 0);
	json_decref(r);
}
END_TEST

START_TEST(workbook_without_recorded_rows_reports_empty)
{
	json_t *r;

	add(1, "ALPHA", KIND_VALIDATION_WORKBOOK, "wb.xlsx", NULL, "wb", 1);
	add(2, "ALPHA", "evidence", "x.pdf", NULL, "x", 1);
	r = report(1, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(r, "tab")), "");
	ck_assert_int_eq(json_array_size(json_object_get(r, "references")), 0);
	ck_assert_int_eq(json_array_size(json_object_get(r, "unreferenced")), 1);
	json_decref(r);
}
END_TEST

START_TEST(record_twice_fails)
{
	struct workbook_refs w = { .tab = "Evidence", .v = NULL, .n = 0 };

	ck_assert_int_eq(links_record(db, 5, &w), 0);
	ck_assert_int_eq(links_record(db, 5, &w), -1);
	ck_assert_int_eq(links_record(db, (uint64_t)INT64_MAX + 1, &w), -1);
}
END_TEST

START_TEST(quotes_and_sql_in_values_are_data)
{
	struct rowspec rows[] = {
		{ "EV-1' OR '1'='1", "it's.pdf", "G5.14\"", NULL },
		{ "x'); DROP TABLE entries;--", "%.pdf", NULL, NULL },
	};
	json_t *r;

	add(1, "ALPHA", "evidence", "it's.pdf", NULL, "q", 1);
	add(2, "ALPHA", "evidence", "other.pdf", NULL, "o", 1);
	add_workbook(3, "ALPHA", "Evidence", rows, 2);
	r = report(3, NULL);
	ck_assert_str_eq(status_of(r, "EV-1' OR '1'='1"), "received");
	ck_assert_int_eq(receipt_of(r, "EV-1' OR '1'='1"), 1);
	/* "%" is not a wildcard */
	ck_assert_str_eq(status_of(r, "x'); DROP TABLE entries;--"), "missing");
	json_decref(r);
}
END_TEST

START_TEST(filename_match_is_exact)
{
	struct rowspec rows[] = { { "EV-001", "Access-Policy.pdf", NULL, NULL } };
	json_t *r;

	add(1, "ALPHA", "evidence", "access-policy.pdf", NULL, "a", 1);
	add_workbook(2, "ALPHA", "Evidence", rows, 1);
	r = report(2, NULL);
	ck_assert_str_eq(status_of(r, "EV-001"), "missing");
	json_decref(r);
}
END_TEST

START_TEST(report_of_ten_thousand_rows)
{
	struct workbook_refs w = { .tab = "Evidence" };
	struct timespec t0, t1;
	json_t *r = NULL;

	w.n = 10000;
	w.v = calloc(w.n, sizeof(*w.v));
	ck_assert_ptr_nonnull(w.v);
	for (size_t i = 0; i < w.n; i++) {
		snprintf(w.v[i].ref, sizeof(w.v[i].ref), "EV-%05zu", i);
		snprintf(w.v[i].filename, sizeof(w.v[i].filename), "file-%05zu.pdf", i);
	}
	ck_assert_int_eq(db_exec(db, "BEGIN"), 0);
	for (int i = 0; i < 5000; i++) {
		char fn[64];

		snprintf(fn, sizeof(fn), "file-%05d.pdf", i * 2);
		add(i + 1, "ALPHA", "evidence", fn, NULL, fn, 1);
	}
	add(6000, "ALPHA", KIND_VALIDATION_WORKBOOK, "wb.xlsx", NULL, "wb", 1);
	ck_assert_int_eq(links_record(db, 6000, &w), 0);
	ck_assert_int_eq(db_exec(db, "COMMIT"), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(links_report(db, 6000, "ALPHA", &r), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("links: report of 10000 rows in %.1f ms\n",
	    (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	ck_assert_int_eq(json_array_size(json_object_get(r, "references")), 10000);
	ck_assert_str_eq(status_of(r, "EV-00000"), "received");
	ck_assert_str_eq(status_of(r, "EV-00001"), "missing");
	ck_assert_int_eq(receipt_of(r, "EV-09998"), 5000);
	json_decref(r);
	free(w.v);
}
END_TEST

static Suite *
links_suite(void)
{
	Suite *s = suite_create("links");
	TCase *tc = tcase_create("links");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, report_has_contract_shape);
	tcase_add_test(tc, evidence_before_and_after_workbook_links);
	tcase_add_test(tc, upload_with_ref_links_by_ref_whatever_its_name);
	tcase_add_test(tc, by_ref_preferred_over_by_name);
	tcase_add_test(tc, by_name_latest_accepted_wins);
	tcase_add_test(tc, hash_mismatch_then_matching_upload);
	tcase_add_test(tc, hash_in_tab_upper_case_matches);
	tcase_add_test(tc, malformed_hash_can_only_mismatch);
	tcase_add_test(tc, rejected_only_is_rejected);
	tcase_add_test(tc, other_party_same_name_never_links);
	tcase_add_test(tc, two_workbooks_of_one_party_keep_separate_reports);
	tcase_add_test(tc, unreferenced_lists_later_unnamed_uploads_only);
	tcase_add_test(tc, report_not_found_unless_accepted_workbook);
	tcase_add_test(tc, workbook_without_recorded_rows_reports_empty);
	tcase_add_test(tc, record_twice_fails);
	tcase_add_test(tc, quotes_and_sql_in_values_are_data);
	tcase_add_test(tc, filename_match_is_exact);
	tcase_add_test(tc, report_of_ten_thousand_rows);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(links_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
