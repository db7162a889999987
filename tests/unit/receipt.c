/*
 * tests/unit/receipt.c: lib/receipt.c. Checkpoint and tlog-proof formats
 * (round trips and hostile inputs), entry fields, and intake_receipt_verify
 * end to end on a small log built here with a fresh key, including every
 * way a receipt, its proof or the file can be wrong.
 *
 * With INTAKE_RECEIPT_SAMPLE=DIR set, also writes DIR/vkey, DIR/response.json
 * and DIR/file (one verified receipt) for trying `intake verify` by hand.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "intake/receipt.h"
#include "lib/util.h"

#define ORIGIN "intake.example.org/log"
#define NLEAVES 11

static const char root_b64[] = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";  /* SHA-256("") */

/* ---- checkpoints ---- */

START_TEST(checkpoint_text_round_trips)
{
	uint8_t root[INTAKE_HASH_LEN];
	struct intake_checkpoint cp;
	char *text;

	for (int i = 0; i < INTAKE_HASH_LEN; i++)
		root[i] = (uint8_t)(i * 7);
	text = intake_checkpoint_text(ORIGIN, 1234567, root);
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, ORIGIN "\n1234567\nAAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk=\n");
	ck_assert_int_eq(intake_checkpoint_parse(text, strlen(text), &cp), 0);
	ck_assert_str_eq(cp.origin, ORIGIN);
	ck_assert_uint_eq(cp.size, 1234567);
	ck_assert_mem_eq(cp.root, root, INTAKE_HASH_LEN);
	free(text);
	text = intake_checkpoint_text(ORIGIN, 0, root);
	ck_assert_int_eq(intake_checkpoint_parse(text, strlen(text), &cp), 0);
	ck_assert_uint_eq(cp.size, 0);
	free(text);
	ck_assert_ptr_null(intake_checkpoint_text("", 1, root));
	ck_assert_ptr_null(intake_checkpoint_text("bad\norigin", 1, root));
}
END_TEST

START_TEST(checkpoint_parse_accepts_extension_lines)
{
	const char *t = ORIGIN "\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next one\nanother\n";
	struct intake_checkpoint cp;

	ck_assert_int_eq(intake_checkpoint_parse(t, strlen(t), &cp), 0);
	ck_assert_uint_eq(cp.size, 5);
}
END_TEST

START_TEST(checkpoint_parse_rejects_hostile_texts)
{
	static const char *bad[] = {
		"",
		"\n",
		ORIGIN "\n",
		ORIGIN "\n5\n",
		ORIGIN "\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",          /* no final newline */
		"\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",              /* empty origin */
		ORIGIN "\n05\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",      /* leading zero */
		ORIGIN "\n00\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		ORIGIN "\n+5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		ORIGIN "\n-5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		ORIGIN "\n 5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		ORIGIN "\n5 \n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		ORIGIN "\n5\r\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		ORIGIN "\n0x5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		ORIGIN "\n\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		ORIGIN "\n18446744073709551616\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		ORIGIN "\n18446744073709551615\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		ORIGIN "\n9223372036854775808\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		ORIGIN "\n99999999999999999999999\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		ORIGIN "\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\n",           /* no padding */
		ORIGIN "\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n",          /* non-zero pad bits */
		ORIGIN "\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n",          /* 31 bytes */
		ORIGIN "\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n",          /* 33 bytes */
		ORIGIN "\n5\n47DEQpj8HBSa-_TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",          /* URL alphabet */
		ORIGIN "\n5\n47DEQpj8HBSa+/TImW+5 JCeuQeRkm5NMpJWZG3hSuFU=\n",
		ORIGIN "\n5\n 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		ORIGIN "\n5\n\n",
		ORIGIN "\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n",        /* empty extension */
		ORIGIN "\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next\n\nx\n",
		ORIGIN "\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next\x01\n",
		"ori\tgin\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
	};
	struct intake_checkpoint cp;
	char longorigin[INTAKE_ORIGIN_MAX + 64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(intake_checkpoint_parse(bad[i], strlen(bad[i]), &cp) == -1,
		    "bad checkpoint %zu parsed", i);
	/* the 32-byte neighbour of the 31- and 33-byte hashes above parses */
	ck_assert_int_eq(intake_checkpoint_parse(ORIGIN "\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
	    strlen(ORIGIN "\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"), &cp), 0);
	/* the largest size accepted (int64, as Go's tlog) */
	ck_assert_int_eq(intake_checkpoint_parse(ORIGIN "\n9223372036854775807\n"
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
	    strlen(ORIGIN "\n9223372036854775807\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"),
	    &cp), 0);
	/* an origin longer than INTAKE_ORIGIN_MAX */
	memset(longorigin, 'o', INTAKE_ORIGIN_MAX + 1);
	snprintf(longorigin + INTAKE_ORIGIN_MAX + 1, 63, "\n1\n%s\n", root_b64);
	ck_assert_int_eq(intake_checkpoint_parse(longorigin, strlen(longorigin), &cp), -1);
	ck_assert_int_eq(intake_checkpoint_parse(longorigin + 1, strlen(longorigin + 1), &cp), 0);
}
END_TEST

/* ---- tlog-proofs ---- */

START_TEST(tlog_proof_round_trips)
{
	intake_hash path[3], got[INTAKE_PROOF_MAX];
	const char *cp;
	size_t n, cplen;
	uint64_t index;
	char *p;
	static const char note[] = ORIGIN "\n9\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n"
	    "\xe2\x80\x94 " ORIGIN " AAAAAAA=\n";

	for (int i = 0; i < 3; i++)
		memset(path[i], 0x11 * (i + 1), INTAKE_HASH_LEN);
	p = intake_tlog_proof_format(7, (const intake_hash *)path, 3, note);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p, "c2sp.org/tlog-proof@v1\nindex 7\n"
	    "ERERERERERERERERERERERERERERERERERERERERERE=\n"
	    "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=\n"
	    "MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=\n"
	    "\n" ORIGIN "\n9\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n"
	    "\xe2\x80\x94 " ORIGIN " AAAAAAA=\n");
	ck_assert_int_eq(intake_tlog_proof_parse(p, strlen(p), &index, got, &n, &cp, &cplen), 0);
	ck_assert_uint_eq(index, 7);
	ck_assert_uint_eq(n, 3);
	ck_assert_mem_eq(got, path, sizeof(path));
	ck_assert_uint_eq(cplen, strlen(note));
	ck_assert_mem_eq(cp, note, cplen);
	free(p);
	/* an empty path (a tree of one leaf) */
	p = intake_tlog_proof_format(0, NULL, 0, note);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(intake_tlog_proof_parse(p, strlen(p), &index, got, &n, &cp, &cplen), 0);
	ck_assert_uint_eq(index, 0);
	ck_assert_uint_eq(n, 0);
	free(p);
}
END_TEST

START_TEST(tlog_proof_parse_tolerates_extra_lines)
{
	const char *p = "c2sp.org/tlog-proof@v1\nextra YWdlLXYxLjIuMQ==\nindex 3\n"
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\ncheckpoint\n";
	intake_hash path[INTAKE_PROOF_MAX];
	const char *cp;
	size_t n, cplen;
	uint64_t index;

	ck_assert_int_eq(intake_tlog_proof_parse(p, strlen(p), &index, path, &n, &cp, &cplen), 0);
	ck_assert_uint_eq(index, 3);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(cp, "checkpoint\n");
}
END_TEST

START_TEST(tlog_proof_parse_rejects_hostile_proofs)
{
#define H "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
	static const char *bad[] = {
		"",
		"c2sp.org/tlog-proof@v1\n",
		"c2sp.org/tlog-proof@v2\nindex 1\n" H "\ncp\n",
		"C2SP.org/tlog-proof@v1\nindex 1\n" H "\ncp\n",
		"c2sp.org/tlog-proof@v1 \nindex 1\n" H "\ncp\n",
		"\nc2sp.org/tlog-proof@v1\nindex 1\n" H "\ncp\n",
		"c2sp.org/tlog-proof@v1\n" H "\ncp\n",                    /* no index */
		"c2sp.org/tlog-proof@v1\nindex\n" H "\ncp\n",
		"c2sp.org/tlog-proof@v1\nindex \n" H "\ncp\n",
		"c2sp.org/tlog-proof@v1\nindex 01\n" H "\ncp\n",          /* leading zero */
		"c2sp.org/tlog-proof@v1\nindex -1\n" H "\ncp\n",
		"c2sp.org/tlog-proof@v1\nindex  1\n" H "\ncp\n",
		"c2sp.org/tlog-proof@v1\nindex 1 \n" H "\ncp\n",
		"c2sp.org/tlog-proof@v1\nIndex 1\n" H "\ncp\n",
		"c2sp.org/tlog-proof@v1\nindex 18446744073709551616\n" H "\ncp\n",
		"c2sp.org/tlog-proof@v1\nindex 9223372036854775808\n" H "\ncp\n",
		"c2sp.org/tlog-proof@v1\nindex 99999999999999999999999999\n" H "\ncp\n",
		"c2sp.org/tlog-proof@v1\nindex 1\n" H,                      /* no blank line */
		"c2sp.org/tlog-proof@v1\nindex 1\n" H "cp\n",
		"c2sp.org/tlog-proof@v1\nindex 1\n" H "\n",                 /* no checkpoint */
		"c2sp.org/tlog-proof@v1\nindex 1\n" H H "\n" "",
		"c2sp.org/tlog-proof@v1\nindex 1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\n\ncp\n",
		"c2sp.org/tlog-proof@v1\nindex 1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n\ncp\n",
		"c2sp.org/tlog-proof@v1\nindex 1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n\ncp\n",
		"c2sp.org/tlog-proof@v1\nindex 1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n\ncp\n",
		"c2sp.org/tlog-proof@v1\nindex 1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=AAAA\n\ncp\n",
		"c2sp.org/tlog-proof@v1\nindex 1\n47DEQpj8HBSa*/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\ncp\n",
		"c2sp.org/tlog-proof@v1\nindex 1\n 7DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\ncp\n",
		"c2sp.org/tlog-proof@v1\nindex 1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\r\n\ncp\n",
		"c2sp.org/tlog-proof@v1\nextra !!!!\nindex 1\n" H "\ncp\n",  /* bad extra */
		"c2sp.org/tlog-proof@v1\nextra \nindex 1\n" H "\ncp\n",
		"c2sp.org/tlog-proof@v1\nextra YWJj\n",
		"c2sp.org/tlog-proof@v1\nindex 1\nextra YWJj\n" H "\ncp\n", /* extra after index */
	};
	intake_hash path[INTAKE_PROOF_MAX];
	const char *cp;
	size_t n, cplen;
	uint64_t index;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(intake_tlog_proof_parse(bad[i], strlen(bad[i]), &index, path, &n,
		    &cp, &cplen) == -1, "bad proof %zu parsed", i);
#undef H
}
END_TEST

START_TEST(tlog_proof_parse_rejects_too_many_hashes)
{
	char *p, *q;
	intake_hash path[INTAKE_PROOF_MAX];
	const char *cp;
	size_t n, cplen, line = strlen(root_b64) + 1;
	uint64_t index;

	p = malloc(64 + (INTAKE_PROOF_MAX + 1) * line + 16);
	ck_assert_ptr_nonnull(p);
	q = p + sprintf(p, "c2sp.org/tlog-proof@v1\nindex 1\n");
	for (int i = 0; i < INTAKE_PROOF_MAX; i++)
		q += sprintf(q, "%s\n", root_b64);
	sprintf(q, "\ncp\n");
	ck_assert_int_eq(intake_tlog_proof_parse(p, strlen(p), &index, path, &n, &cp, &cplen), 0);
	ck_assert_uint_eq(n, INTAKE_PROOF_MAX);
	q += sprintf(q, "%s\n", root_b64);
	sprintf(q, "\ncp\n");
	ck_assert_int_eq(intake_tlog_proof_parse(p, strlen(p), &index, path, &n, &cp, &cplen), -1);
	free(p);
}
END_TEST

/* ---- entry fields ---- */

START_TEST(entry_get_finds_first_exact_key)
{
	const char *e = "intake-receipt/v1\norigin: o\nindexes: 9\nindex: 42\nindex: 43\n"
	    "empty: \nsha256: abc";
	char out[16];

	ck_assert_int_eq(intake_entry_get(e, strlen(e), "index", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "42");
	ck_assert_int_eq(intake_entry_get(e, strlen(e), "origin", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "o");
	ck_assert_int_eq(intake_entry_get(e, strlen(e), "empty", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(intake_entry_get(e, strlen(e), "sha256", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "abc");
	ck_assert_int_eq(intake_entry_get(e, strlen(e), "ind", out, sizeof(out)), -1);
	ck_assert_int_eq(intake_entry_get(e, strlen(e), "party", out, sizeof(out)), -1);
	ck_assert_int_eq(intake_entry_get(e, strlen(e), "", out, sizeof(out)), -1);
	ck_assert_int_eq(intake_entry_get(e, strlen(e), "index: 42\nx", out, sizeof(out)), -1);
	/* only LEN bytes are looked at */
	ck_assert_int_eq(intake_entry_get(e, 20, "origin", out, sizeof(out)), -1);
}
END_TEST

START_TEST(entry_get_rejects_long_or_control_values)
{
	const char *e = "k: 0123456789\nc: a\tb\nd: a\x7f" "b\n";
	char out[16];

	/* ten characters need eleven bytes */
	ck_assert_int_eq(intake_entry_get(e, strlen(e), "k", out, 10), -1);
	ck_assert_int_eq(intake_entry_get(e, strlen(e), "k", out, 11), 0);
	ck_assert_str_eq(out, "0123456789");
	ck_assert_int_eq(intake_entry_get(e, strlen(e), "c", out, sizeof(out)), -1);
	ck_assert_int_eq(intake_entry_get(e, strlen(e), "d", out, sizeof(out)), -1);
}
END_TEST

/* ---- receipts end to end ---- */

/* S with its first FROM replaced by TO, malloc'd. */
static char *
replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	char *out;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_ne(asprintf(&out, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from)), -1);
	return out;
}

/* A small log: entries, their stored hashes (levels of complete subtrees). */
struct log {
	struct intake_signer *signer;
	struct intake_verifier *verifier;
	char *vkey;
	char *receipts[NLEAVES];
	uint8_t filesha[NLEAVES][INTAKE_HASH_LEN];
	intake_hash lv[8][NLEAVES];
	uint64_t cnt[8];
	uint64_t n;
};

static struct log L;

static int
log_reader(void *arg, unsigned level, uint64_t index, uint8_t out[INTAKE_HASH_LEN])
{
	struct log *l = arg;

	if (level >= 8 || index >= l->cnt[level])
		return -1;
	memcpy(out, l->lv[level][index], INTAKE_HASH_LEN);
	return 0;
}

/* The entry text of DESIGN §6 for upload I of a file with CONTENT. */
static char *
make_entry(const char *origin, uint64_t i, const char *content, uint8_t sha[INTAKE_HASH_LEN])
{
	char hex[2 * INTAKE_HASH_LEN + 1], *e;

	util_sha256(content, strlen(content), sha);
	util_hex(sha, INTAKE_HASH_LEN, hex);
	ck_assert_int_ne(asprintf(&e, "intake-receipt/v1\norigin: %s\nindex: %llu\n"
	    "time: 2024-05-01T10:00:%02lluZ\nparty: ALPHA\n"
	    "cert: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"
	    "kind: evidence\nfilename: doc%llu.pdf\nsize: %zu\nsha256: %s\n"
	    "type: application/pdf\nverdict: accepted\n", origin, (unsigned long long)i,
	    (unsigned long long)i, (unsigned long long)i, strlen(content), hex), -1);
	return e;
}

static void
log_setup(void)
{
	char *skey;

	memset(&L, 0, sizeof(L));
	ck_assert_int_eq(intake_keygen(ORIGIN, &skey, &L.vkey), 0);
	L.signer = intake_signer_new(skey);
	L.verifier = intake_verifier_new(L.vkey);
	ck_assert_ptr_nonnull(L.signer);
	ck_assert_ptr_nonnull(L.verifier);
	intake_freezero(skey, strlen(skey));
	for (uint64_t i = 0; i < NLEAVES; i++) {
		char content[32];
		uint8_t leaf[INTAKE_HASH_LEN];
		unsigned levels[64];
		intake_hash hashes[64];
		char *e;
		int k;

		snprintf(content, sizeof(content), "file %llu\n", (unsigned long long)i);
		e = make_entry(ORIGIN, i, content, L.filesha[i]);
		L.receipts[i] = intake_note_sign(L.signer, e, strlen(e), NULL);
		ck_assert_ptr_nonnull(L.receipts[i]);
		intake_merkle_leaf(e, strlen(e), leaf);
		k = intake_merkle_append(i, leaf, log_reader, &L, levels, hashes);
		ck_assert_int_gt(k, 0);
		for (int j = 0; j < k; j++)
			memcpy(L.lv[levels[j]][L.cnt[levels[j]]++], hashes[j], INTAKE_HASH_LEN);
		L.n++;
		free(e);
	}
}

static void
log_teardown(void)
{
	for (int i = 0; i < NLEAVES; i++)
		free(L.receipts[i]);
	intake_signer_free(L.signer);
	intake_verifier_free(L.verifier);
	free(L.vkey);
	memset(&L, 0, sizeof(L));
}

/* Signed checkpoint note of the first SIZE leaves, by SIGNER, with ORIGIN. */
static char *
make_checkpoint(const struct intake_signer *signer, const char *origin, uint64_t size)
{
	uint8_t root[INTAKE_HASH_LEN];
	char *text, *note;

	ck_assert_int_eq(intake_merkle_root(size, log_reader, &L, root), 0);
	text = intake_checkpoint_text(origin, size, root);
	ck_assert_ptr_nonnull(text);
	note = intake_note_sign(signer, text, strlen(text), NULL);
	ck_assert_ptr_nonnull(note);
	free(text);
	return note;
}

/* tlog-proof of leaf INDEX in the tree of SIZE leaves. */
static char *
make_proof(uint64_t index, uint64_t size, const char *cpnote)
{
	intake_hash path[INTAKE_PROOF_MAX];
	size_t n;
	char *p;

	ck_assert_int_eq(intake_merkle_inclusion_proof(index, size, log_reader, &L, path, &n), 0);
	p = intake_tlog_proof_format(index, (const intake_hash *)path, n, cpnote);
	ck_assert_ptr_nonnull(p);
	return p;
}

static int
verify(const char *receipt, const char *proof, const uint8_t *sha, char *why, size_t whylen)
{
	return intake_receipt_verify(L.verifier, receipt, strlen(receipt), proof, strlen(proof),
	    sha, why, whylen);
}

START_TEST(receipt_verifies_every_index_of_every_size)
{
	char why[128];

	for (uint64_t size = 1; size <= NLEAVES; size++) {
		char *cp = make_checkpoint(L.signer, ORIGIN, size);
		struct intake_checkpoint c;

		ck_assert_int_eq(intake_checkpoint_open(L.verifier, cp, strlen(cp), &c), 0);
		ck_assert_uint_eq(c.size, size);
		for (uint64_t i = 0; i < size; i++) {
			char *p = make_proof(i, size, cp);

			ck_assert_msg(verify(L.receipts[i], p, L.filesha[i], why, sizeof(why)) == 0,
			    "index %llu size %llu: %s", (unsigned long long)i,
			    (unsigned long long)size, why);
			ck_assert_int_eq(verify(L.receipts[i], p, NULL, why, sizeof(why)), 0);
			free(p);
		}
		free(cp);
	}
}
END_TEST

/* Expects verification to fail with exactly WANT. */
static void
expect_fail(const char *receipt, const char *proof, const uint8_t *sha, const char *want)
{
	char why[128];

	ck_assert_int_eq(verify(receipt, proof, sha, why, sizeof(why)), -1);
	ck_assert_str_eq(why, want);
}

START_TEST(receipt_rejects_wrong_key)
{
	char *cp = make_checkpoint(L.signer, ORIGIN, NLEAVES), *p = make_proof(3, NLEAVES, cp);
	char *skey, *vkey, why[128];
	struct intake_verifier *other;

	ck_assert_int_eq(intake_keygen(ORIGIN, &skey, &vkey), 0);
	other = intake_verifier_new(vkey);
	ck_assert_int_eq(intake_receipt_verify(other, L.receipts[3], strlen(L.receipts[3]), p,
	    strlen(p), NULL, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "receipt signature does not verify");
	intake_verifier_free(other);
	intake_freezero(skey, strlen(skey));
	free(vkey);
	free(p);
	free(cp);
}
END_TEST

START_TEST(receipt_rejects_tampered_receipt)
{
	char *cp = make_checkpoint(L.signer, ORIGIN, NLEAVES), *p = make_proof(3, NLEAVES, cp);
	char *bad = strdup(L.receipts[3]), *at = strstr(bad, "doc3.pdf");

	at[3] = '4';
	expect_fail(bad, p, NULL, "receipt signature does not verify");
	free(bad);
	free(p);
	free(cp);
}
END_TEST

START_TEST(receipt_rejects_file_with_other_hash)
{
	char *cp = make_checkpoint(L.signer, ORIGIN, NLEAVES), *p = make_proof(3, NLEAVES, cp);

	expect_fail(L.receipts[3], p, L.filesha[4], "file hash differs from receipt");
	free(p);
	free(cp);
}
END_TEST

START_TEST(receipt_rejects_proof_of_other_index)
{
	char *cp = make_checkpoint(L.signer, ORIGIN, NLEAVES), *p = make_proof(4, NLEAVES, cp);

	expect_fail(L.receipts[3], p, NULL, "receipt index differs from proof index");
	free(p);
	free(cp);
}
END_TEST

START_TEST(receipt_rejects_tampered_path)
{
	char *cp = make_checkpoint(L.signer, ORIGIN, NLEAVES), *p = make_proof(3, NLEAVES, cp);
	char *line = strstr(p, "index 3\n") + 8;

	/* change one base64 digit of the first hash (not its last, padded one) */
	line[5] = line[5] == 'A' ? 'B' : 'A';
	expect_fail(L.receipts[3], p, NULL, "inclusion proof does not verify");
	free(p);
	free(cp);
}
END_TEST

START_TEST(receipt_rejects_index_outside_tree)
{
	/* a checkpoint of 3 leaves cannot hold receipt 5 whatever the path */
	char *cp = make_checkpoint(L.signer, ORIGIN, 3);
	char *p = intake_tlog_proof_format(5, NULL, 0, cp);

	expect_fail(L.receipts[5], p, NULL, "receipt index is outside the checkpoint's tree");
	free(p);
	free(cp);
}
END_TEST

START_TEST(receipt_rejects_checkpoint_by_other_key)
{
	char *skey, *vkey, *cp, *p;
	struct intake_signer *other;

	ck_assert_int_eq(intake_keygen(ORIGIN, &skey, &vkey), 0);
	other = intake_signer_new(skey);
	cp = make_checkpoint(other, ORIGIN, NLEAVES);
	p = make_proof(3, NLEAVES, cp);
	expect_fail(L.receipts[3], p, NULL, "checkpoint signature does not verify");
	free(p);
	free(cp);
	intake_signer_free(other);
	intake_freezero(skey, strlen(skey));
	free(vkey);
}
END_TEST

START_TEST(receipt_rejects_checkpoint_of_other_origin)
{
	char *cp = make_checkpoint(L.signer, "other.example.org/log", NLEAVES);
	char *p = make_proof(3, NLEAVES, cp);

	expect_fail(L.receipts[3], p, NULL, "receipt origin differs from checkpoint origin");
	free(p);
	free(cp);
}
END_TEST

START_TEST(receipt_rejects_malformed_proof_and_checkpoint)
{
	char *cp = make_checkpoint(L.signer, ORIGIN, NLEAVES), *p = make_proof(3, NLEAVES, cp);
	char *text, *note, *bad;

	expect_fail(L.receipts[3], "c2sp.org/tlog-proof@v1\nindex 3\n", NULL, "malformed proof");
	bad = strdup(p);
	bad[0] = 'C';
	expect_fail(L.receipts[3], bad, NULL, "malformed proof");
	free(bad);
	/* a correctly signed note that is not a checkpoint */
	text = strdup("not a checkpoint\n");
	note = intake_note_sign(L.signer, text, strlen(text), NULL);
	bad = intake_tlog_proof_format(3, NULL, 0, note);
	expect_fail(L.receipts[3], bad, NULL, "malformed checkpoint");
	free(bad);
	free(note);
	free(text);
	free(p);
	free(cp);
}
END_TEST

START_TEST(receipt_rejects_signed_note_that_is_not_an_entry)
{
	char *cp = make_checkpoint(L.signer, ORIGIN, NLEAVES), *p = make_proof(3, NLEAVES, cp);
	char *e, *r;
	uint8_t sha[INTAKE_HASH_LEN];

	/* the checkpoint itself is a note signed by the log key */
	expect_fail(cp, p, NULL, "receipt is not an intake-receipt/v1 or intake-fact/v1 entry");
	/* an entry without its origin / a wrong index line */
	e = make_entry(ORIGIN, 3, "x", sha);
	memcpy(strstr(e, "origin:"), "Origin:", 7);
	r = intake_note_sign(L.signer, e, strlen(e), NULL);
	expect_fail(r, p, NULL, "receipt has no origin");
	free(r);
	free(e);
	e = make_entry(ORIGIN, 3, "x", sha);
	r = replace(e, "index: 3\n", "index: 03\n");
	free(e);
	e = r;
	r = intake_note_sign(L.signer, e, strlen(e), NULL);
	expect_fail(r, p, NULL, "receipt has no valid index");
	free(r);
	free(e);
	/* a signed entry that is not in the log at all */
	e = make_entry(ORIGIN, 3, "not file 3", sha);
	r = intake_note_sign(L.signer, e, strlen(e), NULL);
	expect_fail(r, p, NULL, "inclusion proof does not verify");
	free(r);
	free(e);
	free(p);
	free(cp);
}
END_TEST

START_TEST(receipt_why_is_truncated_safely)
{
	char *cp = make_checkpoint(L.signer, ORIGIN, NLEAVES), *p = make_proof(3, NLEAVES, cp);
	char why[8];

	ck_assert_int_eq(verify(L.receipts[3], p, L.filesha[4], why, sizeof(why)), -1);
	ck_assert_str_eq(why, "file ha");
	ck_assert_int_eq(verify(L.receipts[3], p, L.filesha[4], NULL, 0), -1);
	free(p);
	free(cp);
}
END_TEST

/* Writes one verified receipt for trying the CLI by hand. */
START_TEST(receipt_sample_for_cli)
{
	const char *dir = getenv("INTAKE_RECEIPT_SAMPLE");
	char *cp, *p, path[4096], *dump;
	json_t *j;
	FILE *f;

	if (dir == NULL)
		return;
	cp = make_checkpoint(L.signer, ORIGIN, NLEAVES);
	p = make_proof(6, NLEAVES, cp);
	ck_assert_int_eq(verify(L.receipts[6], p, L.filesha[6], NULL, 0), 0);
	j = json_pack("{s:s, s:I, s:s, s:s}", "verdict", "accepted", "index", (json_int_t)6,
	    "receipt", L.receipts[6], "proof", p);
	dump = json_dumps(j, JSON_INDENT(1));
	snprintf(path, sizeof(path), "%s/response.json", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(dump, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/vkey", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fprintf(f, "%s\n", L.vkey);
	fclose(f);
	snprintf(path, sizeof(path), "%s/file", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("file 6\n", f);
	fclose(f);
	free(dump);
	json_decref(j);
	free(p);
	free(cp);
}
END_TEST

static Suite *
receipt_suite(void)
{
	Suite *s = suite_create("receipt");
	TCase *tc = tcase_create("formats"), *te = tcase_create("verify");

	tcase_add_test(tc, checkpoint_text_round_trips);
	tcase_add_test(tc, checkpoint_parse_accepts_extension_lines);
	tcase_add_test(tc, checkpoint_parse_rejects_hostile_texts);
	tcase_add_test(tc, tlog_proof_round_trips);
	tcase_add_test(tc, tlog_proof_parse_tolerates_extra_lines);
	tcase_add_test(tc, tlog_proof_parse_rejects_hostile_proofs);
	tcase_add_test(tc, tlog_proof_parse_rejects_too_many_hashes);
	tcase_add_test(tc, entry_get_finds_first_exact_key);
	tcase_add_test(tc, entry_get_rejects_long_or_control_values);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(te, log_setup, log_teardown);
	tcase_add_test(te, receipt_verifies_every_index_of_every_size);
	tcase_add_test(te, receipt_rejects_wrong_key);
	tcase_add_test(te, receipt_rejects_tampered_receipt);
	tcase_add_test(te, receipt_rejects_file_with_other_hash);
	tcase_add_test(te, receipt_rejects_proof_of_other_index);
	tcase_add_test(te, receipt_rejects_tampered_path);
	tcase_add_test(te, receipt_rejects_index_outside_tree);
	tcase_add_test(te, receipt_rejects_checkpoint_by_other_key);
	tcase_add_test(te, receipt_rejects_checkpoint_of_other_origin);
	tcase_add_test(te, receipt_rejects_malformed_proof_and_checkpoint);
	tcase_add_test(te, receipt_rejects_signed_note_that_is_not_an_entry);
	tcase_add_test(te, receipt_why_is_truncated_safely);
	tcase_add_test(te, receipt_sample_for_cli);
	suite_add_tcase(s, te);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(receipt_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
