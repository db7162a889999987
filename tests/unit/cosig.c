/*
 * tests/unit/cosig.c: lib/cosig.c (C2SP tlog-cosignature/v1, Ed25519) against
 * a vector made with Go's crypto/ed25519 from the spec's formulas (key id
 * SHA-256(name || "\n" || 0x04 || pk)[:4], message "cosignature/v1\ntime T\n"
 * || checkpoint, signature id || be64(T) || sig), plus round trips and every
 * forgery a verifier must refuse.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "intake/cosig.h"
#include "intake/note.h"
#include "intake/receipt.h"
#include "lib/util.h"

/* Go: ed25519.NewKeyFromSeed(0x00..0x1f), name witness.test/w1, time 1679315147,
 * over the checkpoint of the spec's example. */
#define W1_SKEY "PRIVATE+KEY+witness.test/w1+a67560cf+BAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
#define W1_VKEY "witness.test/w1+a67560cf+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
#define W1_TIME 1679315147u
#define CP_TEXT "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
#define W1_SIG "\xe2\x80\x94 witness.test/w1 pnVgzwAAAABkGFDLBuRDazBLVac2NE+Y+IjbjQOcXLfF9CSDZVUIoS83rE1nFZsVE8YiWV6Ngr7lV8H6bdoBQGP/l73euDMQ9k+bBQ==\n"
#define DASH "\xe2\x80\x94 "

/* A log of our own and two witnesses for the round trips. */
static struct intake_signer *logk;
static struct intake_verifier *logv;
static struct intake_cosigner *c1, *c2;
static struct intake_wverifier *v1, *v2;

static void
setup(void)
{
	char *skey, *vkey;

	ck_assert_int_eq(intake_keygen("log.test/log", &skey, &vkey), 0);
	logk = intake_signer_new(skey);
	logv = intake_verifier_new(vkey);
	intake_freezero(skey, strlen(skey));
	free(vkey);
	ck_assert_int_eq(intake_cosigner_keygen("w1.test", &skey, &vkey), 0);
	c1 = intake_cosigner_new(skey);
	v1 = intake_wverifier_new(vkey);
	intake_freezero(skey, strlen(skey));
	free(vkey);
	ck_assert_int_eq(intake_cosigner_keygen("w2.test", &skey, &vkey), 0);
	c2 = intake_cosigner_new(skey);
	v2 = intake_wverifier_new(vkey);
	intake_freezero(skey, strlen(skey));
	free(vkey);
	ck_assert(logk && logv && c1 && c2 && v1 && v2);
}

static void
teardown(void)
{
	intake_signer_free(logk);
	intake_verifier_free(logv);
	intake_cosigner_free(c1);
	intake_cosigner_free(c2);
	intake_wverifier_free(v1);
	intake_wverifier_free(v2);
}

/* A checkpoint of SIZE signed by the log, malloc'd. */
static char *
log_checkpoint(uint64_t size)
{
	uint8_t root[INTAKE_HASH_LEN];
	char *text, *note;

	memset(root, (int)size, sizeof(root));
	text = intake_checkpoint_text("log.test/log", size, root);
	ck_assert_ptr_nonnull(text);
	note = intake_note_sign(logk, text, strlen(text), NULL);
	ck_assert_ptr_nonnull(note);
	free(text);
	return note;
}

/* The text of NOTE (up to and including the newline before its blank line). */
static size_t
text_len(const char *note)
{
	const char *p = strstr(note, "\n\n");

	ck_assert_ptr_nonnull(p);
	return (size_t)(p - note) + 1;
}

/* NOTE with C's cosignature at TIME appended, malloc'd. */
static char *
cosign(const struct intake_cosigner *c, const char *note, uint64_t time)
{
	char *line, *out;

	line = intake_cosig_sign(c, note, text_len(note), time, NULL);
	ck_assert_ptr_nonnull(line);
	ck_assert_int_ne(asprintf(&out, "%s%s", note, line), -1);
	free(line);
	return out;
}

/* NOTE's last signature line with byte AT of its decoded bytes XORed with X. */
static char *
flip_last(const char *note, size_t at, uint8_t x)
{
	const char *last = note, *p, *sp;
	uint8_t raw[128];
	char b64[256], *out;
	long n;

	for (p = note; (p = strstr(p, DASH)) != NULL; p++)
		last = p;
	sp = strchr(last + strlen(DASH), ' ');
	n = util_unb64(sp + 1, strlen(sp + 1) - 1, raw, sizeof(raw));
	ck_assert_int_gt(n, (long)at);
	raw[at] ^= x;
	util_b64(raw, (size_t)n, b64);
	ck_assert_int_ne(asprintf(&out, "%.*s%s\n", (int)(sp + 1 - note), note, b64), -1);
	return out;
}

START_TEST(cosigner_key_parses_go_vector)
{
	struct intake_cosigner *c = intake_cosigner_new(W1_SKEY);
	struct intake_wverifier *w = intake_wverifier_new(W1_VKEY);
	char *vkey;

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(w);
	ck_assert_str_eq(intake_cosigner_name(c), "witness.test/w1");
	ck_assert_str_eq(intake_wverifier_name(w), "witness.test/w1");
	vkey = intake_cosigner_vkey(c);
	ck_assert_str_eq(vkey, W1_VKEY);
	free(vkey);
	intake_cosigner_free(c);
	intake_wverifier_free(w);
}
END_TEST

START_TEST(cosign_reproduces_go_vector)
{
	struct intake_cosigner *c = intake_cosigner_new(W1_SKEY);
	size_t len;
	char *line;

	ck_assert_ptr_nonnull(c);
	line = intake_cosig_sign(c, CP_TEXT, strlen(CP_TEXT), W1_TIME, &len);
	ck_assert_ptr_nonnull(line);
	ck_assert_str_eq(line, W1_SIG);
	ck_assert_uint_eq(len, strlen(W1_SIG));
	free(line);
	intake_cosigner_free(c);
}
END_TEST

START_TEST(verify_accepts_go_vector_and_reads_its_time)
{
	struct intake_wverifier *w = intake_wverifier_new(W1_VKEY);
	const char *note = CP_TEXT "\n" W1_SIG;
	uint64_t t = 0;

	ck_assert_int_eq(intake_cosig_verify(w, note, strlen(note), &t), 0);
	ck_assert_uint_eq(t, W1_TIME);
	intake_wverifier_free(w);
}
END_TEST

START_TEST(verify_round_trips_beside_the_log_signature)
{
	char *cp = log_checkpoint(7), *n1 = cosign(c1, cp, 1700000000), *n2 = cosign(c2, n1, 1);
	struct intake_checkpoint out;
	uint64_t t;

	ck_assert_int_eq(intake_cosig_verify(v1, n2, strlen(n2), &t), 0);
	ck_assert_uint_eq(t, 1700000000);
	ck_assert_int_eq(intake_cosig_verify(v2, n2, strlen(n2), &t), 0);
	ck_assert_uint_eq(t, 1);
	/* the log's signature still opens, the cosignatures being other keys' lines */
	ck_assert_int_eq(intake_checkpoint_open(logv, n2, strlen(n2), &out), 0);
	ck_assert_uint_eq(out.size, 7);
	/* a checkpoint without cosignatures has none */
	ck_assert_int_eq(intake_cosig_verify(v1, cp, strlen(cp), NULL), -1);
	free(cp);
	free(n1);
	free(n2);
}
END_TEST

START_TEST(verify_refuses_tampered_body)
{
	char *cp = log_checkpoint(7), *n1 = cosign(c1, cp, 5), *p;

	p = strchr(n1, '\n') + 1;  /* the size line: 7 -> 8 */
	ck_assert_int_eq(*p, '7');
	*p = '8';
	ck_assert_int_eq(intake_cosig_verify(v1, n1, strlen(n1), NULL), -1);
	free(cp);
	free(n1);
}
END_TEST

START_TEST(verify_refuses_tampered_time_signature_and_key_id)
{
	char *cp = log_checkpoint(3), *n1 = cosign(c1, cp, 1000), *bad;
	size_t at[] = { 0, 3, 4, 11, 12, 40, 75 };  /* id, time, signature */

	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		bad = flip_last(n1, at[i], 0x01);
		ck_assert_msg(intake_cosig_verify(v1, bad, strlen(bad), NULL) == -1,
		    "byte %zu flipped was accepted", at[i]);
		free(bad);
	}
	free(cp);
	free(n1);
}
END_TEST

START_TEST(verify_refuses_other_witness_and_other_name)
{
	char *cp = log_checkpoint(3), *n1 = cosign(c1, cp, 1000), *renamed, *p;

	ck_assert_int_eq(intake_cosig_verify(v2, n1, strlen(n1), NULL), -1);
	/* w1's line under w2's name: neither key finds a valid line of its own */
	renamed = strdup(n1);
	p = strstr(renamed, DASH "w1.test ");
	ck_assert_ptr_nonnull(p);
	p[strlen(DASH) + 1] = '2';
	ck_assert_int_eq(intake_cosig_verify(v1, renamed, strlen(renamed), NULL), -1);
	ck_assert_int_eq(intake_cosig_verify(v2, renamed, strlen(renamed), NULL), -1);
	free(renamed);
	free(cp);
	free(n1);
}
END_TEST

START_TEST(keys_of_the_wrong_type_are_refused)
{
	char *skey, *vkey;

	/* a log key (0x01) is no witness key, a witness key (0x04) no log key */
	ck_assert_int_eq(intake_keygen("log.test/log", &skey, &vkey), 0);
	ck_assert_ptr_null(intake_cosigner_new(skey));
	ck_assert_ptr_null(intake_wverifier_new(vkey));
	intake_freezero(skey, strlen(skey));
	free(vkey);
	ck_assert_ptr_null(intake_signer_new(W1_SKEY));
	ck_assert_ptr_null(intake_verifier_new(W1_VKEY));
	/* a 0x04 key with the id of a 0x01 computation, and malformed ones */
	ck_assert_ptr_null(intake_wverifier_new("witness.test/w1+a67560ce+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"));
	ck_assert_ptr_null(intake_wverifier_new("witness.test/w1+a67560cf+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"));
	ck_assert_ptr_null(intake_wverifier_new("witness.test/w1+a67560cf+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG"));
	ck_assert_ptr_null(intake_wverifier_new("witness.test/w1+a67560cf"));
	ck_assert_ptr_null(intake_wverifier_new(""));
	ck_assert_ptr_null(intake_wverifier_new(NULL));
	ck_assert_int_eq(intake_cosigner_keygen("bad name", &skey, &vkey), -1);
	ck_assert_int_eq(intake_cosigner_keygen("a+b", &skey, &vkey), -1);
}
END_TEST

START_TEST(a_witness_is_counted_once)
{
	char *cp = log_checkpoint(9), *n1 = cosign(c1, cp, 10), *n2 = cosign(c1, n1, 11);
	char *n3 = cosign(c2, n2, 12), *vkey = intake_cosigner_vkey(c1);
	struct intake_wverifier *dup = intake_wverifier_new(vkey);
	const struct intake_wverifier *one[] = { v1 }, *twice[] = { v1, v1 };
	const struct intake_wverifier *both[] = { v1, v2 }, *same[] = { v1, dup };

	ck_assert_ptr_nonnull(dup);
	ck_assert_uint_eq(intake_cosig_count(one, 1, n2, strlen(n2)), 1);   /* two lines by w1 */
	ck_assert_uint_eq(intake_cosig_count(twice, 2, n2, strlen(n2)), 1); /* w1 given twice */
	ck_assert_uint_eq(intake_cosig_count(both, 2, n2, strlen(n2)), 1);  /* w2 did not sign */
	ck_assert_uint_eq(intake_cosig_count(both, 2, n3, strlen(n3)), 2);
	ck_assert_uint_eq(intake_cosig_count(both, 2, cp, strlen(cp)), 0);
	/* a second handle on the same key is the same witness */
	ck_assert_uint_eq(intake_cosig_count(same, 2, n3, strlen(n3)), 1);
	intake_wverifier_free(dup);
	free(vkey);
	free(cp);
	free(n1);
	free(n2);
	free(n3);
}
END_TEST

START_TEST(a_bad_line_does_not_hide_a_good_one)
{
	char *cp = log_checkpoint(4), *n1 = cosign(c1, cp, 20), *bad = flip_last(n1, 40, 0x80);
	char *both;
	const struct intake_wverifier *one[] = { v1 };

	ck_assert_int_ne(asprintf(&both, "%s%s", bad, strstr(n1, DASH "w1.test")), -1);
	ck_assert_int_eq(intake_cosig_verify(v1, both, strlen(both), NULL), 0);
	ck_assert_uint_eq(intake_cosig_count(one, 1, bad, strlen(bad)), 0);
	free(cp);
	free(n1);
	free(bad);
	free(both);
}
END_TEST

START_TEST(malformed_notes_count_nothing)
{
	const struct intake_wverifier *one[] = { v1 };
	const char *bad[] = {
		"", "\n", CP_TEXT, CP_TEXT "\n", CP_TEXT "\n" "not a signature\n",
		CP_TEXT "\n" DASH "w1.test\n", CP_TEXT "\n" DASH "w1.test !!!!\n",
		CP_TEXT "\n" W1_SIG "trailing",
	};
	char *cp = log_checkpoint(2), *n1 = cosign(c1, cp, 1), *cut;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_uint_eq(intake_cosig_count(one, 1, bad[i], strlen(bad[i])), 0);
	/* every truncation of a good note is refused */
	for (size_t l = 0; l < strlen(n1); l++) {
		cut = strndup(n1, l);
		ck_assert_int_eq(intake_cosig_verify(v1, cut, l, NULL), -1);
		free(cut);
	}
	free(cp);
	free(n1);
}
END_TEST

START_TEST(sign_refuses_bad_texts_and_times)
{
	ck_assert_ptr_null(intake_cosig_sign(c1, "no newline", 10, 1, NULL));
	ck_assert_ptr_null(intake_cosig_sign(c1, "", 0, 1, NULL));
	ck_assert_ptr_null(intake_cosig_sign(c1, "a\n\nb\n", 5, 1, NULL));
	ck_assert_ptr_null(intake_cosig_sign(c1, "a\x01\n", 3, 1, NULL));
	ck_assert_ptr_null(intake_cosig_sign(c1, CP_TEXT, strlen(CP_TEXT),
	    (uint64_t)INT64_MAX + 1, NULL));
	ck_assert_ptr_null(intake_cosig_sign(NULL, CP_TEXT, strlen(CP_TEXT), 1, NULL));
}
END_TEST

static Suite *
cosig_suite(void)
{
	Suite *s = suite_create("cosig");
	TCase *tc = tcase_create("cosig");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, cosigner_key_parses_go_vector);
	tcase_add_test(tc, cosign_reproduces_go_vector);
	tcase_add_test(tc, verify_accepts_go_vector_and_reads_its_time);
	tcase_add_test(tc, verify_round_trips_beside_the_log_signature);
	tcase_add_test(tc, verify_refuses_tampered_body);
	tcase_add_test(tc, verify_refuses_tampered_time_signature_and_key_id);
	tcase_add_test(tc, verify_refuses_other_witness_and_other_name);
	tcase_add_test(tc, keys_of_the_wrong_type_are_refused);
	tcase_add_test(tc, a_witness_is_counted_once);
	tcase_add_test(tc, a_bad_line_does_not_hide_a_good_one);
	tcase_add_test(tc, malformed_notes_count_nothing);
	tcase_add_test(tc, sign_refuses_bad_texts_and_times);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cosig_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
