/*
 * tests/unit/ledger.c: notary/ledger.c against an independent RFC 6962
 * reference (written here over OpenSSL's SHA-256): stored hashes, roots,
 * inclusion and consistency proofs of every size of a small log, the list
 * filters, snapshot isolation of readers, and the start-up check that finds a
 * tampered tree row, a tampered entry or an entry beyond the last checkpoint.
 * The last case builds 100k entries in one transaction and prints how long a
 * proof takes (a benchmark: it asserts correctness only).
 *
 * With INTAKE_TEST_DSN set (a PostgreSQL database this test may empty, e.g.
 * from tests/pg.sh), the same cases run again on the PostgreSQL backend
 * (each on a freshly emptied schema), plus two writers appending at once
 * through two handles; unset, that half is skipped with a SKIP line.
 */
#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <openssl/sha.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>

#include "intake/merkle.h"
#include "intake/note.h"
#include "intake/receipt.h"
#include "notary/ledger.h"

#define ORIGIN   "ledger.test/log"
#define SMALL    20        /* the log whose every pair of sizes is checked */
#define BENCH_N  100000    /* entries of the benchmark log */
#define BENCH_PROOFS 2000  /* proofs timed */

static char dir[64];
static const char *dsn;                  /* NULL: SQLite in DIR */
static struct intake_signer *signer;
static struct intake_verifier *verifier;
static uint8_t leaves[SMALL + 8][32];   /* reference leaf hashes of the small logs */

struct spec {
	const char *party, *kind, *time, *ref;
	int accepted;
	uint8_t fill;   /* sha256 = 32 bytes of FILL */
};

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static void
setup(void)
{
	char *skey = NULL, *vkey = NULL;

	strcpy(dir, "/tmp/ledger-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(intake_keygen(ORIGIN, &skey, &vkey), 0);
	signer = intake_signer_new(skey);
	verifier = intake_verifier_new(vkey);
	ck_assert_ptr_nonnull(signer);
	ck_assert_ptr_nonnull(verifier);
	intake_freezero(skey, strlen(skey));
	free(vkey);
}

/* Runs SQL on the PostgreSQL test database; 0 if it succeeded. */
static int
pg_run(const char *sql)
{
	PGconn *c = PQconnectdb(dsn);
	PGresult *r;
	int ok;

	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
	r = PQexec(c, sql);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : -1;
}

static void
setup_pg(void)
{
	setup();
	dsn = getenv("INTAKE_TEST_DSN");
	ck_assert_int_eq(pg_run("SET client_min_messages = warning; "
	    "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"), 0);
}

static void
teardown(void)
{
	intake_signer_free(signer);
	intake_verifier_free(verifier);
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Reference RFC 6962 Merkle tree hash of N leaf hashes. */
static void
ref_root(uint8_t (*lv)[32], uint64_t n, uint8_t out[32])
{
	uint8_t buf[65], l[32], r[32];
	uint64_t k = 1;

	if (n == 0) {
		SHA256((const uint8_t *)"", 0, out);
		return;
	}
	if (n == 1) {
		memcpy(out, lv[0], 32);
		return;
	}
	while (k * 2 < n)
		k *= 2;
	ref_root(lv, k, l);
	ref_root(lv + k, n - k, r);
	buf[0] = 1;
	memcpy(buf + 1, l, 32);
	memcpy(buf + 33, r, 32);
	SHA256(buf, sizeof(buf), out);
}

static void
ref_leaf(const char *entry, size_t len, uint8_t out[32])
{
	uint8_t *buf = malloc(len + 1);

	ck_assert_ptr_nonnull(buf);
	buf[0] = 0;
	memcpy(buf + 1, entry, len);
	SHA256(buf, len + 1, out);
	free(buf);
}

static char *
make_entry(uint64_t index, const struct spec *s, size_t *len)
{
	char *e = NULL;
	int n;

	n = asprintf(&e, "intake-receipt/v1\norigin: " ORIGIN "\nindex: %" PRIu64
	    "\ntime: %s\nparty: %s\nkind: %s\nsize: 1\nverdict: %s\n", index, s->time,
	    s->party, s->kind, s->accepted ? "accepted" : "rejected");
	ck_assert_int_gt(n, 0);
	*len = (size_t)n;
	return e;
}

/* Appends one entry of spec S in the open transaction; SIGN: a real receipt. */
static void
append(struct ledger *l, uint64_t index, const struct spec *s, int sign)
{
	struct ledger_record r;
	uint8_t sha[32];
	char *entry, *receipt;
	size_t len;

	entry = make_entry(index, s, &len);
	if (sign)
		receipt = intake_note_sign(signer, entry, len, NULL);
	else
		ck_assert_int_gt(asprintf(&receipt, "%s\n\xe2\x80\x94 fake sig\n", entry), 0);
	ck_assert_ptr_nonnull(receipt);
	if (index < sizeof(leaves) / sizeof(leaves[0]))
		ref_leaf(entry, len, leaves[index]);
	memset(sha, s->fill, sizeof(sha));
	memset(&r, 0, sizeof(r));
	r.index = index;
	r.time = s->time;
	r.party = s->party;
	r.cert = "00";
	r.kind = s->kind;
	r.filename = "f.pdf";
	r.ref = s->ref != NULL ? s->ref : "";
	r.size = 1;
	r.sha256 = sha;
	r.type = "application/pdf";
	r.accepted = s->accepted;
	r.entry = entry;
	r.entry_len = len;
	r.receipt = receipt;
	r.findings = "[]";
	ck_assert_int_eq(ledger_append(l, &r), 0);
	free(entry);
	free(receipt);
}

static void
checkpoint(struct ledger *l, uint64_t size)
{
	uint8_t root[32];
	char *text, *note;

	ck_assert_int_eq(ledger_tx_root(l, size, root), 0);
	text = intake_checkpoint_text(ORIGIN, size, root);
	ck_assert_ptr_nonnull(text);
	note = intake_note_sign(signer, text, strlen(text), NULL);
	ck_assert_ptr_nonnull(note);
	ck_assert_int_eq(ledger_add_checkpoint(l, size, note), 0);
	free(text);
	free(note);
}

static const struct spec plain = { "ALPHA", "evidence", "2026-11-29T06:40:00Z", NULL, 1, 0x11 };

/* A log of N entries, one transaction and checkpoint per entry. */
static struct ledger *
small_log(uint64_t n)
{
	char err[256];
	struct ledger *l = ledger_open_dsn(dir, dsn, 1, err, sizeof(err));
	uint64_t size;

	ck_assert_msg(l != NULL, "%s", err);
	for (uint64_t i = 0; i < n; i++) {
		ck_assert_int_eq(ledger_begin(l, &size), 0);
		ck_assert_uint_eq(size, i);
		append(l, i, &plain, 1);
		checkpoint(l, i + 1);
		ck_assert_int_eq(ledger_commit(l), 0);
	}
	return l;
}

static void
tamper(const char *sql, const char *pgsql)
{
	char path[128];
	sqlite3 *db;
	char *msg = NULL;

	if (dsn != NULL) {
		ck_assert_int_eq(pg_run(pgsql), 0);
		return;
	}
	snprintf(path, sizeof(path), "%s/ledger.db", dir);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK, "%s", msg);
	sqlite3_close(db);
}

START_TEST(ledger_open_readonly_needs_existing_ledger)
{
	char err[256] = "";

	ck_assert_ptr_null(ledger_open_dsn(dir, dsn, 0, err, sizeof(err)));
	ck_assert_str_ne(err, "");
}
END_TEST

START_TEST(ledger_append_then_get_round_trips)
{
	struct ledger *l = small_log(3);
	struct ledger_entry e;
	uint8_t sha[32];
	size_t len;
	char *want;

	ck_assert_int_eq(ledger_get(l, 1, &e), 0);
	ck_assert_uint_eq(e.index, 1);
	ck_assert_str_eq(e.party, "ALPHA");
	ck_assert_str_eq(e.kind, "evidence");
	ck_assert_str_eq(e.time, plain.time);
	ck_assert_str_eq(e.filename, "f.pdf");
	ck_assert_str_eq(e.ref, "");
	ck_assert_str_eq(e.type, "application/pdf");
	ck_assert_str_eq(e.findings, "[]");
	ck_assert_int_eq(e.accepted, 1);
	memset(sha, plain.fill, 32);
	ck_assert_mem_eq(e.sha256, sha, 32);
	want = make_entry(1, &plain, &len);
	ck_assert_str_eq(e.entry, want);
	ck_assert_int_eq(strncmp(e.receipt, want, len), 0);
	ck_assert_int_eq(intake_note_open(verifier, e.receipt, strlen(e.receipt), &len), 0);
	free(want);
	ledger_entry_clear(&e);
	ck_assert_int_eq(ledger_get(l, 3, &e), 1);
	ck_assert_int_eq(ledger_get(l, UINT64_MAX, &e), 1);
	ledger_close(l);
}
END_TEST

START_TEST(ledger_append_refuses_wrong_index)
{
	struct ledger *l = small_log(2);
	struct ledger *ro;
	struct ledger_record r;
	uint64_t size;
	uint8_t sha[32] = { 0 };
	char err[256];

	memset(&r, 0, sizeof(r));
	r.entry = "x\n";
	r.entry_len = 2;
	r.receipt = "x\n";
	r.findings = "[]";
	r.sha256 = sha;
	r.time = r.party = r.cert = r.kind = r.filename = r.type = "x";
	ck_assert_int_eq(ledger_begin(l, &size), 0);
	r.index = 1;        /* taken */
	ck_assert_int_eq(ledger_append(l, &r), -1);
	r.index = 3;        /* a gap */
	ck_assert_int_eq(ledger_append(l, &r), -1);
	ck_assert_int_eq(ledger_add_checkpoint(l, 3, "x"), -1);
	ledger_rollback(l);
	/* Outside a transaction nothing is written. */
	r.index = 2;
	ck_assert_int_eq(ledger_append(l, &r), -1);
	/* A read-only handle cannot write. */
	ro = ledger_open_dsn(dir, dsn, 0, err, sizeof(err));
	ck_assert_msg(ro != NULL, "%s", err);
	errno = 0;
	ck_assert_int_eq(ledger_begin(ro, &size), -1);
	ck_assert_int_eq(errno, EROFS);
	ledger_close(ro);
	ck_assert_int_eq(ledger_tree_size(l, &size), 0);
	ck_assert_uint_eq(size, 2);
	ledger_close(l);
}
END_TEST

START_TEST(ledger_rollback_leaves_nothing)
{
	char err[256], *note = NULL;
	struct ledger *l = ledger_open_dsn(dir, dsn, 1, err, sizeof(err));
	uint64_t size;

	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(ledger_begin(l, &size), 0);
	for (uint64_t i = 0; i < 3; i++)
		append(l, i, &plain, 0);
	checkpoint(l, 3);
	ledger_rollback(l);
	ck_assert_int_eq(ledger_tree_size(l, &size), 0);
	ck_assert_uint_eq(size, 0);
	ck_assert_int_eq(ledger_checkpoint(l, &note, &size), 1);
	ck_assert_int_eq(ledger_verify(l, verifier, ORIGIN, &size, err, sizeof(err)), 1);
	ledger_close(l);
}
END_TEST

/* The writer keeps the tree hashes it read and appended (ledger.c). A batch
 * that rolls back must take its nodes with it: when another writer then
 * commits other entries at those indices (a second node on one database),
 * this writer's next batch builds on theirs, not on what it undid. */
START_TEST(ledger_rollback_forgets_the_writers_hashes)
{
	static const struct spec other = { "BRAVO", "evidence", "2026-11-29T07:00:00Z",
	    NULL, 1, 0x22 };
	struct ledger *l = small_log(5), *l2;
	intake_hash path[INTAKE_PROOF_MAX];
	uint8_t root[32], want[32];
	uint64_t size;
	size_t n;
	char err[256];

	/* entries 5..7 of one content, their nodes read and kept, then undone */
	ck_assert_int_eq(ledger_begin(l, &size), 0);
	ck_assert_uint_eq(size, 5);
	for (uint64_t i = 5; i < 8; i++)
		append(l, i, &plain, 0);
	ck_assert_int_eq(ledger_tx_root(l, 8, root), 0);
	ck_assert_int_eq(ledger_tx_inclusion(l, 6, 8, path, &n), 0);
	ledger_rollback(l);
	/* another writer commits other entries at the same indices */
	l2 = ledger_open_dsn(dir, dsn, 1, err, sizeof(err));
	ck_assert_msg(l2 != NULL, "%s", err);
	ck_assert_int_eq(ledger_begin(l2, &size), 0);
	ck_assert_uint_eq(size, 5);
	for (uint64_t i = 5; i < 8; i++)
		append(l2, i, &other, 0);
	checkpoint(l2, 8);
	ck_assert_int_eq(ledger_commit(l2), 0);
	ledger_close(l2);
	/* the first writer's next batch: root and proofs of the committed tree */
	ck_assert_int_eq(ledger_begin(l, &size), 0);
	ck_assert_uint_eq(size, 8);
	append(l, 8, &plain, 0);
	ref_root(leaves, 9, want);
	ck_assert_int_eq(ledger_tx_root(l, 9, root), 0);
	ck_assert_mem_eq(root, want, 32);
	for (uint64_t i = 0; i < 9; i++) {
		ck_assert_int_eq(ledger_tx_inclusion(l, i, 9, path, &n), 0);
		ck_assert_int_eq(intake_merkle_verify_inclusion(i, 9, leaves[i], path, n, want), 0);
	}
	checkpoint(l, 9);
	ck_assert_int_eq(ledger_commit(l), 0);
	ck_assert_msg(ledger_verify(l, verifier, ORIGIN, &size, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(size, 9);
	ledger_close(l);
}
END_TEST

START_TEST(ledger_stored_hashes_match_reference)
{
	struct ledger *l = small_log(SMALL);
	uint8_t got[32], want[32];

	for (unsigned level = 0; level < 6; level++) {
		for (uint64_t i = 0; ((i + 1) << level) <= SMALL; i++) {
			ck_assert_int_eq(ledger_hash(l, level, i, got), 0);
			ref_root(leaves + (i << level), 1ULL << level, want);
			ck_assert_mem_eq(got, want, 32);
		}
		/* the incomplete subtree is not stored */
		ck_assert_int_eq(ledger_hash(l, level, SMALL >> level, got), 1);
	}
	ck_assert_int_eq(ledger_hash(l, 64, 0, got), 1);
	ledger_close(l);
}
END_TEST

START_TEST(ledger_inclusion_proofs_verify_for_every_index)
{
	struct ledger *l = small_log(SMALL);
	struct intake_checkpoint cp;
	intake_hash path[INTAKE_PROOF_MAX];
	uint8_t root[32];
	const char *cpnote;
	char *proof, *note;
	uint64_t size, index;
	size_t n, cplen;

	ck_assert_int_eq(ledger_checkpoint(l, &note, &size), 0);
	ck_assert_uint_eq(size, SMALL);
	ref_root(leaves, SMALL, root);
	for (uint64_t i = 0; i < SMALL; i++) {
		ck_assert_int_eq(ledger_proof(l, i, &proof), 0);
		ck_assert_int_eq(intake_tlog_proof_parse(proof, strlen(proof), &index, path, &n,
		    &cpnote, &cplen), 0);
		ck_assert_uint_eq(index, i);
		ck_assert_str_eq(cpnote, note);
		ck_assert_int_eq(intake_checkpoint_open(verifier, cpnote, cplen, &cp), 0);
		ck_assert_mem_eq(cp.root, root, 32);
		ck_assert_int_eq(intake_merkle_verify_inclusion(i, SMALL, leaves[i], path, n,
		    root), 0);
		/* and not for its neighbour's leaf */
		ck_assert_int_eq(intake_merkle_verify_inclusion(i, SMALL, leaves[(i + 1) % SMALL],
		    path, n, root), -1);
		free(proof);
	}
	proof = NULL;
	ck_assert_int_eq(ledger_proof(l, SMALL, &proof), 1);
	ck_assert_ptr_null(proof);
	free(note);
	ledger_close(l);
}
END_TEST

START_TEST(ledger_consistency_proofs_verify_between_every_pair)
{
	struct ledger *l = small_log(SMALL);
	intake_hash proof[INTAKE_PROOF_MAX];
	uint8_t r1[32], r2[32];
	size_t n;

	for (uint64_t a = 1; a <= SMALL; a++) {
		ref_root(leaves, a, r1);
		for (uint64_t b = a; b <= SMALL; b++) {
			ref_root(leaves, b, r2);
			ck_assert_int_eq(ledger_consistency(l, a, b, proof, &n), 0);
			ck_assert_msg(intake_merkle_verify_consistency(a, b, r1, r2, proof, n) == 0,
			    "consistency %" PRIu64 " -> %" PRIu64, a, b);
			if (a < b && n > 0) {
				/* a proof for another old root must fail */
				proof[0][0] ^= 1;
				ck_assert_int_eq(intake_merkle_verify_consistency(a, b, r1, r2,
				    proof, n), -1);
			}
		}
	}
	ck_assert_int_eq(ledger_consistency(l, 0, 5, proof, &n), -1);
	ck_assert_int_eq(ledger_consistency(l, 6, 5, proof, &n), -1);
	ck_assert_int_eq(ledger_consistency(l, 5, SMALL + 1, proof, &n), -1);
	ledger_close(l);
}
END_TEST

struct collect {
	uint64_t idx[64];
	size_t   n;
	int      stop_after;
};

static int
collect_cb(const struct ledger_entry *e, void *arg)
{
	struct collect *c = arg;

	ck_assert_ptr_nonnull(e->entry);
	ck_assert_ptr_nonnull(e->receipt);
	c->idx[c->n++] = e->index;
	return c->stop_after != 0 && c->n >= (size_t)c->stop_after;
}

static void
expect_list(struct ledger *l, const struct ledger_filter *f, const char *want)
{
	struct collect c = { .n = 0 };
	char got[256] = "";
	size_t off = 0;

	ck_assert_int_eq(ledger_list(l, f, collect_cb, &c), 0);
	for (size_t i = 0; i < c.n; i++)
		off += snprintf(got + off, sizeof(got) - off, "%s%" PRIu64, i ? "," : "", c.idx[i]);
	ck_assert_str_eq(got, want);
}

START_TEST(ledger_list_filters_party_kind_verdict_since_after_limit)
{
	static const struct spec specs[] = {
		{ "ALPHA", "evidence",            "2026-11-01T00:00:00Z", NULL, 1, 1 },
		{ "BETA",  "evidence",            "2026-11-02T00:00:00Z", NULL, 0, 2 },
		{ "ALPHA", "validation-workbook", "2026-11-03T00:00:00Z", NULL, 1, 3 },
		{ "ALPHA", "evidence",            "2026-11-04T00:00:00Z", NULL, 0, 4 },
		{ "BETA",  "validation-workbook", "2026-11-05T00:00:00Z", NULL, 1, 5 },
		{ "ALPHA", "evidence",            "2026-11-06T00:00:00Z", NULL, 1, 6 },
	};
	char err[256];
	struct ledger *l = ledger_open_dsn(dir, dsn, 1, err, sizeof(err));
	struct ledger_filter f;
	uint64_t size;

	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(ledger_begin(l, &size), 0);
	for (size_t i = 0; i < 6; i++)
		append(l, i, &specs[i], 0);
	checkpoint(l, 6);
	ck_assert_int_eq(ledger_commit(l), 0);

	memset(&f, 0, sizeof(f));
	f.verdict = -1;
	f.limit = 100;
	expect_list(l, &f, "0,1,2,3,4,5");
	f.party = "ALPHA";
	expect_list(l, &f, "0,2,3,5");
	f.party = "ALPHA' OR '1'='1";
	expect_list(l, &f, "");
	f.party = NULL;
	f.kind = "validation-workbook";
	expect_list(l, &f, "2,4");
	f.kind = NULL;
	f.verdict = 0;
	expect_list(l, &f, "1,3");
	f.verdict = 1;
	f.party = "ALPHA";
	expect_list(l, &f, "0,2,5");
	f.party = NULL;
	f.verdict = -1;
	f.since = "2026-11-04T00:00:00Z";
	expect_list(l, &f, "3,4,5");
	f.since = NULL;
	f.has_after = 1;
	f.after = 1;
	expect_list(l, &f, "2,3,4,5");
	f.limit = 2;
	expect_list(l, &f, "2,3");
	f.party = "BETA";
	f.after = 0;
	f.limit = 100;
	expect_list(l, &f, "1,4");
	f.limit = 0;
	ck_assert_int_eq(ledger_list(l, &f, collect_cb, NULL), -1);
	/* a callback that stops early */
	{
		struct collect c = { .n = 0, .stop_after = 1 };

		f.party = NULL;
		f.has_after = 0;
		f.limit = 100;
		ck_assert_int_eq(ledger_list(l, &f, collect_cb, &c), 0);
		ck_assert_uint_eq(c.n, 1);
	}
	ledger_close(l);
}
END_TEST

START_TEST(ledger_reader_sees_only_committed_snapshot)
{
	struct ledger *w = small_log(2);
	struct ledger *r;
	char err[256], *note = NULL;
	uint64_t size;

	r = ledger_open_dsn(dir, dsn, 0, err, sizeof(err));
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_int_eq(ledger_begin(w, &size), 0);
	append(w, 2, &plain, 1);
	checkpoint(w, 3);
	/* uncommitted: the reader still sees size 2 */
	ck_assert_int_eq(ledger_checkpoint(r, &note, &size), 0);
	ck_assert_uint_eq(size, 2);
	free(note);
	ck_assert_int_eq(ledger_tree_size(r, &size), 0);
	ck_assert_uint_eq(size, 2);
	ck_assert_int_eq(ledger_commit(w), 0);
	ck_assert_int_eq(ledger_checkpoint(r, &note, &size), 0);
	ck_assert_uint_eq(size, 3);
	free(note);
	ledger_close(r);
	ledger_close(w);
}
END_TEST

START_TEST(ledger_blob_referenced_counts_only_accepted)
{
	static const struct spec rej = { "ALPHA", "evidence", "2026-11-29T06:40:00Z", NULL, 0, 0x22 };
	char err[256];
	struct ledger *l = ledger_open_dsn(dir, dsn, 1, err, sizeof(err));
	uint8_t sha[32];
	uint64_t size;

	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(ledger_begin(l, &size), 0);
	append(l, 0, &plain, 0);
	append(l, 1, &rej, 0);
	checkpoint(l, 2);
	ck_assert_int_eq(ledger_commit(l), 0);
	memset(sha, plain.fill, 32);
	ck_assert_int_eq(ledger_blob_referenced(l, sha), 1);
	memset(sha, rej.fill, 32);
	ck_assert_int_eq(ledger_blob_referenced(l, sha), 0);
	memset(sha, 0x33, 32);
	ck_assert_int_eq(ledger_blob_referenced(l, sha), 0);
	ledger_close(l);
}
END_TEST

START_TEST(ledger_refuses_update_and_delete)
{
	struct ledger *l = small_log(2);
	char path[128], *msg = NULL;
	sqlite3 *db;

	ledger_close(l);
	if (dsn != NULL) {
		ck_assert_int_ne(pg_run("UPDATE tree SET hash = '\\x00'"), 0);
		ck_assert_int_ne(pg_run("DELETE FROM entries"), 0);
		ck_assert_int_ne(pg_run("DELETE FROM checkpoints"), 0);
		ck_assert_int_ne(pg_run("TRUNCATE tree"), 0);
		ck_assert_int_ne(pg_run("UPDATE entries SET party = 'X'"), 0);
		return;
	}
	snprintf(path, sizeof(path), "%s/ledger.db", dir);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_ne(sqlite3_exec(db, "UPDATE tree SET hash = zeroblob(32)", NULL, NULL,
	    &msg), SQLITE_OK);
	sqlite3_free(msg);
	ck_assert_int_ne(sqlite3_exec(db, "DELETE FROM entries", NULL, NULL, &msg), SQLITE_OK);
	sqlite3_free(msg);
	ck_assert_int_ne(sqlite3_exec(db, "DELETE FROM checkpoints", NULL, NULL, &msg),
	    SQLITE_OK);
	sqlite3_free(msg);
	sqlite3_close(db);
}
END_TEST

static void
expect_verify_fails(const char *sql, const char *pgsql, const char *why)
{
	char err[256] = "";
	struct ledger *l = small_log(SMALL);
	uint64_t size;

	ck_assert_int_eq(ledger_verify(l, verifier, ORIGIN, &size, err, sizeof(err)), 0);
	ck_assert_uint_eq(size, SMALL);
	ledger_close(l);
	tamper(sql, pgsql);
	l = ledger_open_dsn(dir, dsn, 1, err, sizeof(err));
	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(ledger_verify(l, verifier, ORIGIN, &size, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, why) != NULL, "error \"%s\" lacks \"%s\"", err, why);
	ledger_close(l);
}

START_TEST(ledger_verify_detects_tampered_leaf_row)
{
	expect_verify_fails("DROP TRIGGER tree_no_update;"
	    "UPDATE tree SET hash = randomblob(32) WHERE level = 0 AND idx = 3",
	    "ALTER TABLE tree DISABLE TRIGGER USER;"
	    "UPDATE tree SET hash = sha256('x') WHERE level = 0 AND idx = 3",
	    "leaf hash 3");
}
END_TEST

START_TEST(ledger_verify_detects_tampered_inner_row)
{
	/* (1, 2) is used by no root of size 20 and no proof of the last leaf */
	expect_verify_fails("DROP TRIGGER tree_no_update;"
	    "UPDATE tree SET hash = randomblob(32) WHERE level = 1 AND idx = 2",
	    "ALTER TABLE tree DISABLE TRIGGER USER;"
	    "UPDATE tree SET hash = sha256('x') WHERE level = 1 AND idx = 2",
	    "(1, 2)");
}
END_TEST

START_TEST(ledger_verify_detects_tampered_top_row)
{
	/* (4, 0) is half of the root of 20 = node((4,0), (2,4)) */
	expect_verify_fails("DROP TRIGGER tree_no_update;"
	    "UPDATE tree SET hash = randomblob(32) WHERE level = 4 AND idx = 0",
	    "ALTER TABLE tree DISABLE TRIGGER USER;"
	    "UPDATE tree SET hash = sha256('x') WHERE level = 4 AND idx = 0",
	    "(4, 0)");
}
END_TEST

START_TEST(ledger_verify_detects_tampered_entry)
{
	expect_verify_fails("DROP TRIGGER entries_no_update;"
	    "UPDATE entries SET entry = replace(entry, 'ALPHA', 'BETA!') WHERE idx = 7",
	    "ALTER TABLE entries DISABLE TRIGGER USER;"
	    "UPDATE entries SET entry = replace(entry, 'ALPHA', 'BETA!') WHERE idx = 7",
	    "7");
}
END_TEST

START_TEST(ledger_verify_detects_missing_leaf)
{
	expect_verify_fails("DROP TRIGGER tree_no_delete;"
	    "DELETE FROM tree WHERE level = 0 AND idx = 19",
	    "ALTER TABLE tree DISABLE TRIGGER USER;"
	    "DELETE FROM tree WHERE level = 0 AND idx = 19", "19");
}
END_TEST

START_TEST(ledger_verify_detects_forged_checkpoint)
{
	expect_verify_fails("DROP TRIGGER checkpoints_no_update;"
	    "UPDATE checkpoints SET note = replace(note, '" ORIGIN "\n20\n', '" ORIGIN "\n21\n')"
	    " WHERE size = 20",
	    "ALTER TABLE checkpoints DISABLE TRIGGER USER;"
	    "UPDATE checkpoints SET note = replace(note, '" ORIGIN "' || chr(10) || '20' || chr(10),"
	    " '" ORIGIN "' || chr(10) || '21' || chr(10)) WHERE size = 20", "checkpoint");
}
END_TEST

START_TEST(ledger_verify_detects_entry_beyond_checkpoint)
{
	char err[256] = "";
	struct ledger *l = small_log(3);
	uint64_t size;

	/* an append committed without a checkpoint (never done by the notary) */
	ck_assert_int_eq(ledger_begin(l, &size), 0);
	append(l, 3, &plain, 1);
	ck_assert_int_eq(ledger_commit(l), 0);
	ck_assert_int_eq(ledger_verify(l, verifier, ORIGIN, &size, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "beyond the last checkpoint"));
	ledger_close(l);
}
END_TEST

START_TEST(ledger_verify_refuses_other_key_or_origin)
{
	char err[256] = "", *skey, *vkey;
	struct intake_verifier *other;
	struct ledger *l = small_log(2);
	uint64_t size;

	ck_assert_int_eq(intake_keygen(ORIGIN, &skey, &vkey), 0);
	other = intake_verifier_new(vkey);
	ck_assert_int_eq(ledger_verify(l, other, ORIGIN, &size, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "log key"));
	ck_assert_int_eq(ledger_verify(l, verifier, "other.example/log", &size, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "origin"));
	ck_assert_int_eq(ledger_verify(l, NULL, NULL, &size, err, sizeof(err)), 0);
	ck_assert_uint_eq(size, 2);
	intake_verifier_free(other);
	intake_freezero(skey, strlen(skey));
	free(vkey);
	ledger_close(l);
}
END_TEST

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

START_TEST(ledger_proofs_at_100k_entries_verify)
{
	char err[256], *proof, *note;
	struct ledger *l = ledger_open_dsn(dir, dsn, 1, err, sizeof(err));
	struct intake_checkpoint cp;
	intake_hash path[INTAKE_PROOF_MAX];
	uint8_t leaf[32];
	struct ledger_entry e;
	const char *cpnote;
	uint64_t size, index, i;
	size_t n, cplen;
	double t0, t1, t2, worst = 0, t;

	ck_assert_ptr_nonnull(l);
	t0 = now_s();
	ck_assert_int_eq(ledger_begin(l, &size), 0);
	for (i = 0; i < BENCH_N; i++)
		append(l, i, &plain, 0);
	checkpoint(l, BENCH_N);
	ck_assert_int_eq(ledger_commit(l), 0);
	t1 = now_s();
	ck_assert_int_eq(ledger_checkpoint(l, &note, &size), 0);
	ck_assert_uint_eq(size, BENCH_N);
	ck_assert_int_eq(intake_checkpoint_open(verifier, note, strlen(note), &cp), 0);
	srandom(1);
	for (int k = 0; k < BENCH_PROOFS; k++) {
		i = k == 0 ? BENCH_N - 1 : (uint64_t)random() % BENCH_N;
		t = now_s();
		ck_assert_int_eq(ledger_proof(l, i, &proof), 0);
		t = now_s() - t;
		if (t > worst)
			worst = t;
		if (k % 100 == 0) {
			ck_assert_int_eq(intake_tlog_proof_parse(proof, strlen(proof), &index, path,
			    &n, &cpnote, &cplen), 0);
			ck_assert_int_eq(ledger_get(l, i, &e), 0);
			ref_leaf(e.entry, strlen(e.entry), leaf);
			ck_assert_int_eq(intake_merkle_verify_inclusion(index, cp.size, leaf, path,
			    n, cp.root), 0);
			ledger_entry_clear(&e);
		}
		free(proof);
	}
	t2 = now_s();
	printf("ledger bench: %d entries appended in %.2f s; %d proofs in %.3f s "
	    "(%.1f us each, worst %.1f us)\n", BENCH_N, t1 - t0, BENCH_PROOFS, t2 - t1,
	    (t2 - t1) / BENCH_PROOFS * 1e6, worst * 1e6);
	t = now_s();
	ck_assert_int_eq(ledger_verify(l, verifier, ORIGIN, &size, err, sizeof(err)), 0);
	printf("ledger bench: full verification of %d entries in %.2f s\n", BENCH_N,
	    now_s() - t);
	free(note);
	ledger_close(l);
}
END_TEST

/* ---- two writers on one PostgreSQL ledger --------------------------------- */

#define RACE_BATCHES 40
#define RACE_BATCH   5

struct racer {
	struct ledger *l;
	uint64_t       start[RACE_BATCHES];   /* the size each batch began at */
	int            failed;
};

static void *
race_main(void *arg)
{
	struct racer *r = arg;
	static const struct spec sp = { "ALPHA", "evidence", "2026-11-29T06:40:00Z", NULL, 1,
	    0x44 };
	uint64_t size;

	for (int b = 0; b < RACE_BATCHES; b++) {
		if (ledger_begin(r->l, &size) == -1) {
			r->failed = 1;
			return NULL;
		}
		r->start[b] = size;
		for (int k = 0; k < RACE_BATCH; k++)
			append(r->l, size + (uint64_t)k, &sp, 1);
		checkpoint(r->l, size + RACE_BATCH);
		if (ledger_commit(r->l) == -1) {
			r->failed = 1;
			return NULL;
		}
	}
	return NULL;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

START_TEST(ledger_two_writers_append_consistently)
{
	struct racer r[2];
	pthread_t t[2];
	uint64_t starts[2 * RACE_BATCHES], size, prev = 0, total = 2 * RACE_BATCHES * RACE_BATCH;
	uint8_t prev_root[32];
	struct intake_checkpoint cp;
	intake_hash proof[INTAKE_PROOF_MAX];
	size_t n;
	char err[256] = "";
	PGconn *c;
	PGresult *res;
	int i;

	memset(r, 0, sizeof(r));
	for (i = 0; i < 2; i++) {
		r[i].l = ledger_open_dsn(dir, dsn, 1, err, sizeof(err));
		ck_assert_msg(r[i].l != NULL, "%s", err);
	}
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, race_main, &r[i]), 0);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_eq(r[0].failed, 0);
	ck_assert_int_eq(r[1].failed, 0);

	/* the batches tile 0..total without a gap or an overlap */
	memcpy(starts, r[0].start, sizeof(r[0].start));
	memcpy(starts + RACE_BATCHES, r[1].start, sizeof(r[1].start));
	qsort(starts, 2 * RACE_BATCHES, sizeof(starts[0]), cmp_u64);
	for (i = 0; i < 2 * RACE_BATCHES; i++)
		ck_assert_uint_eq(starts[i], (uint64_t)i * RACE_BATCH);

	/* every checkpoint is consistent with the one before it */
	c = PQconnectdb(dsn);
	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
	res = PQexec(c, "SELECT size, note FROM checkpoints ORDER BY size");
	ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
	ck_assert_int_eq(PQntuples(res), 2 * RACE_BATCHES);
	for (i = 0; i < PQntuples(res); i++) {
		const char *note = PQgetvalue(res, i, 1);

		size = strtoull(PQgetvalue(res, i, 0), NULL, 10);
		ck_assert_uint_eq(size, (uint64_t)(i + 1) * RACE_BATCH);
		ck_assert_int_eq(intake_checkpoint_open(verifier, note, strlen(note), &cp), 0);
		ck_assert_uint_eq(cp.size, size);
		if (prev != 0) {
			ck_assert_int_eq(ledger_consistency(r[0].l, prev, size, proof, &n), 0);
			ck_assert_int_eq(intake_merkle_verify_consistency(prev, size, prev_root,
			    cp.root, proof, n), 0);
		}
		prev = size;
		memcpy(prev_root, cp.root, 32);
	}
	PQclear(res);
	/* no index twice (the primary key) and exactly TOTAL of them */
	res = PQexec(c, "SELECT count(*), count(DISTINCT idx), min(idx), max(idx) FROM entries");
	ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
	ck_assert_uint_eq(strtoull(PQgetvalue(res, 0, 0), NULL, 10), total);
	ck_assert_uint_eq(strtoull(PQgetvalue(res, 0, 1), NULL, 10), total);
	ck_assert_uint_eq(strtoull(PQgetvalue(res, 0, 2), NULL, 10), 0);
	ck_assert_uint_eq(strtoull(PQgetvalue(res, 0, 3), NULL, 10), total - 1);
	PQclear(res);
	PQfinish(c);

	ck_assert_int_eq(ledger_verify(r[0].l, verifier, ORIGIN, &size, err, sizeof(err)), 0);
	ck_assert_uint_eq(size, total);
	ck_assert_int_eq(ledger_verify(r[1].l, verifier, ORIGIN, &size, err, sizeof(err)), 0);
	ledger_close(r[0].l);
	ledger_close(r[1].l);
}
END_TEST

/* A lost or wrong DSN is refused with the place, never the password. */
START_TEST(ledger_pg_bad_dsn_hides_password)
{
	char err[512] = "";

	ck_assert_ptr_null(ledger_open_dsn(dir, "postgresql://u:s3cret@127.0.0.1:1/nodb", 1,
	    err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "127.0.0.1"));
	ck_assert_ptr_null(strstr(err, "s3cret"));
}
END_TEST

/* A manifest is counted text, not NUL-terminated (it arrives in chunks):
 * stored exactly, and one holding a NUL byte is refused by PostgreSQL. */
START_TEST(ledger_append_stores_counted_manifest)
{
	static const char text[] = "a.pdf 12\nb.pdf 34";
	struct ledger *l = small_log(1);
	struct ledger_record r;
	uint8_t sha[32];
	char *entry, *receipt, *m, got[64] = "";
	uint64_t size;
	size_t len;

	m = malloc(sizeof(text) - 1);          /* exactly its bytes, no NUL after */
	ck_assert_ptr_nonnull(m);
	memcpy(m, text, sizeof(text) - 1);
	entry = make_entry(1, &plain, &len);
	receipt = intake_note_sign(signer, entry, len, NULL);
	memset(sha, 0x55, sizeof(sha));
	memset(&r, 0, sizeof(r));
	r.index = 1;
	r.time = plain.time;
	r.party = r.kind = "x";
	r.cert = "00";
	r.filename = r.type = "x";
	r.ref = "";
	r.sha256 = sha;
	r.accepted = 1;
	r.entry = entry;
	r.entry_len = len;
	r.receipt = receipt;
	r.findings = "[]";
	r.manifest = m;
	r.manifest_len = sizeof(text) - 1;
	ck_assert_int_eq(ledger_begin(l, &size), 0);
	ck_assert_int_eq(ledger_append(l, &r), 0);
	checkpoint(l, 2);
	ck_assert_int_eq(ledger_commit(l), 0);
	if (dsn != NULL) {
		PGconn *c = PQconnectdb(dsn);
		PGresult *res = PQexec(c, "SELECT manifest FROM entries WHERE idx = 1");

		ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
		snprintf(got, sizeof(got), "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		PQfinish(c);
		/* a NUL inside: PostgreSQL text cannot hold it, refused */
		m[1] = '\0';
		r.index = 2;
		ck_assert_int_eq(ledger_begin(l, &size), 0);
		ck_assert_int_eq(ledger_append(l, &r), -1);
		ledger_rollback(l);
	} else {
		char path[128];
		sqlite3 *db;
		sqlite3_stmt *st;

		snprintf(path, sizeof(path), "%s/ledger.db", dir);
		ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
		ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT manifest FROM entries WHERE idx = 1",
		    -1, &st, NULL), SQLITE_OK);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		snprintf(got, sizeof(got), "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
	ck_assert_str_eq(got, text);
	ck_assert_int_eq(ledger_tree_size(l, &size), 0);
	ck_assert_uint_eq(size, 2);
	free(m);
	free(entry);
	free(receipt);
	ledger_close(l);
}
END_TEST

/* The cases that run on both backends. */
static void
add_core(TCase *tc)
{
	tcase_add_test(tc, ledger_open_readonly_needs_existing_ledger);
	tcase_add_test(tc, ledger_append_then_get_round_trips);
	tcase_add_test(tc, ledger_append_refuses_wrong_index);
	tcase_add_test(tc, ledger_rollback_leaves_nothing);
	tcase_add_test(tc, ledger_rollback_forgets_the_writers_hashes);
	tcase_add_test(tc, ledger_stored_hashes_match_reference);
	tcase_add_test(tc, ledger_inclusion_proofs_verify_for_every_index);
	tcase_add_test(tc, ledger_consistency_proofs_verify_between_every_pair);
	tcase_add_test(tc, ledger_list_filters_party_kind_verdict_since_after_limit);
	tcase_add_test(tc, ledger_reader_sees_only_committed_snapshot);
	tcase_add_test(tc, ledger_blob_referenced_counts_only_accepted);
	tcase_add_test(tc, ledger_refuses_update_and_delete);
	tcase_add_test(tc, ledger_verify_detects_tampered_leaf_row);
	tcase_add_test(tc, ledger_verify_detects_tampered_inner_row);
	tcase_add_test(tc, ledger_verify_detects_tampered_top_row);
	tcase_add_test(tc, ledger_verify_detects_tampered_entry);
	tcase_add_test(tc, ledger_verify_detects_missing_leaf);
	tcase_add_test(tc, ledger_verify_detects_forged_checkpoint);
	tcase_add_test(tc, ledger_verify_detects_entry_beyond_checkpoint);
	tcase_add_test(tc, ledger_verify_refuses_other_key_or_origin);
	tcase_add_test(tc, ledger_append_stores_counted_manifest);
}

static Suite *
ledger_suite(void)
{
	Suite *s = suite_create("ledger");
	TCase *tc = tcase_create("core");
	TCase *bench = tcase_create("bench");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	add_core(tc);
	suite_add_tcase(s, tc);

	if (getenv("INTAKE_TEST_DSN") != NULL && getenv("INTAKE_TEST_DSN")[0] != '\0') {
		TCase *pg = tcase_create("postgresql");

		tcase_add_checked_fixture(pg, setup_pg, teardown);
		tcase_set_timeout(pg, 120);
		add_core(pg);
		tcase_add_test(pg, ledger_two_writers_append_consistently);
		tcase_add_test(pg, ledger_pg_bad_dsn_hides_password);
		suite_add_tcase(s, pg);
	} else
		printf("SKIP: ledger on PostgreSQL: INTAKE_TEST_DSN is not set "
		    "(tests/pg.sh sets it)\n");

	tcase_add_checked_fixture(bench, setup, teardown);
	tcase_set_timeout(bench, 300);
	tcase_add_test(bench, ledger_proofs_at_100k_entries_verify);
	suite_add_tcase(s, bench);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ledger_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
