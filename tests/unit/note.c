/*
 * tests/unit/note.c: lib/note.c against the golang.org/x/mod/sumdb/note
 * vectors (testdata/README.md) and Go's own TestOpen cases, plus the hostile
 * notes and keys a verifier must refuse.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "intake/note.h"

#define PETER_SKEY "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define ENOCH_VKEY "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
#define TEXT "If you think cryptography is the answer to your problem,\n" \
	"then you don't know what your problem is.\n"
#define PETER_SIG "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
#define ENOCH_SIG "\xe2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

static struct intake_verifier *peter, *enoch;

static void
setup(void)
{
	peter = intake_verifier_new(PETER_VKEY);
	enoch = intake_verifier_new(ENOCH_VKEY);
	ck_assert_ptr_nonnull(peter);
	ck_assert_ptr_nonnull(enoch);
}

static void
teardown(void)
{
	intake_verifier_free(peter);
	intake_verifier_free(enoch);
	peter = enoch = NULL;
}

/* Opens the NUL-terminated S with V; returns intake_note_open's result. */
static int
open_str(const struct intake_verifier *v, const char *s)
{
	size_t textlen;

	return intake_note_open(v, s, strlen(s), &textlen);
}

/* S with its first occurrence of FROM replaced by TO, malloc'd. */
static char *
replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	char *out;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_ne(asprintf(&out, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from)), -1);
	return out;
}

/* S repeated N times, malloc'd. */
static char *
repeat(const char *s, int n)
{
	size_t len = strlen(s);
	char *out = malloc(len * (size_t)n + 1);

	ck_assert_ptr_nonnull(out);
	for (int i = 0; i < n; i++)
		memcpy(out + len * (size_t)i, s, len);
	out[len * (size_t)n] = '\0';
	return out;
}

START_TEST(keys_parse_peterneumann_vector)
{
	struct intake_signer *s = intake_signer_new(PETER_SKEY);
	char *vkey;

	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(intake_signer_name(s), "PeterNeumann");
	vkey = intake_signer_vkey(s);
	ck_assert_str_eq(vkey, PETER_VKEY);
	ck_assert_str_eq(intake_verifier_name(peter), "PeterNeumann");
	ck_assert_str_eq(intake_verifier_name(enoch), "EnochRoot");
	free(vkey);
	intake_signer_free(s);
}
END_TEST

START_TEST(signer_ignores_surrounding_white_space)
{
	struct intake_signer *s = intake_signer_new("\n  " PETER_SKEY "\n");

	ck_assert_ptr_nonnull(s);
	intake_signer_free(s);
}
END_TEST

START_TEST(sign_reproduces_peterneumann_signature)
{
	struct intake_signer *s = intake_signer_new(PETER_SKEY);
	size_t len;
	char *note;

	ck_assert_ptr_nonnull(s);
	note = intake_note_sign(s, TEXT, strlen(TEXT), &len);
	ck_assert_ptr_nonnull(note);
	ck_assert_str_eq(note, TEXT "\n" PETER_SIG);
	ck_assert_uint_eq(len, strlen(TEXT "\n" PETER_SIG));
	free(note);
	intake_signer_free(s);
}
END_TEST

START_TEST(open_accepts_each_key_of_a_two_signature_note)
{
	const char *note = TEXT "\n" PETER_SIG ENOCH_SIG;
	size_t textlen = 0;

	ck_assert_int_eq(intake_note_open(peter, note, strlen(note), &textlen), 0);
	ck_assert_uint_eq(textlen, strlen(TEXT));
	textlen = 0;
	ck_assert_int_eq(intake_note_open(enoch, note, strlen(note), &textlen), 0);
	ck_assert_uint_eq(textlen, strlen(TEXT));
	ck_assert_int_eq(open_str(enoch, TEXT "\n" ENOCH_SIG), 0);
	ck_assert_int_eq(open_str(enoch, TEXT "\n" ENOCH_SIG PETER_SIG), 0);
}
END_TEST

START_TEST(open_rejects_note_without_the_trusted_signature)
{
	ck_assert_int_eq(open_str(peter, TEXT "\n" ENOCH_SIG), -1);
	ck_assert_int_eq(open_str(enoch, TEXT "\n" PETER_SIG), -1);
}
END_TEST

START_TEST(open_rejects_tampered_text)
{
	char *bad = replace(TEXT "\n" PETER_SIG, "answer", "Answer");

	ck_assert_int_eq(open_str(peter, bad), -1);
	free(bad);
	bad = replace(TEXT "\n" PETER_SIG, "is.\n", "is!\n");
	ck_assert_int_eq(open_str(peter, bad), -1);
	free(bad);
}
END_TEST

START_TEST(open_rejects_same_name_other_key)
{
	char *skey, *vkey;
	struct intake_verifier *other;

	ck_assert_int_eq(intake_keygen("PeterNeumann", &skey, &vkey), 0);
	other = intake_verifier_new(vkey);
	ck_assert_ptr_nonnull(other);
	ck_assert_int_eq(open_str(other, TEXT "\n" PETER_SIG), -1);
	intake_verifier_free(other);
	intake_freezero(skey, strlen(skey));
	free(vkey);
}
END_TEST

START_TEST(open_rejects_signature_line_with_other_name)
{
	/* Right key id and signature, other name: not a signature by PETER. */
	char *bad = replace(TEXT "\n" PETER_SIG, "PeterNeumann", "CarmenSandiego");

	ck_assert_int_eq(open_str(peter, bad), -1);
	free(bad);
}
END_TEST

START_TEST(open_rejects_bad_signature_by_trusted_key)
{
	/* Go: a bad signature by a known key fails the note... */
	char *bad = replace(PETER_SIG, "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8", "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8ABCD");
	char *note;

	ck_assert_int_ne(asprintf(&note, "%s\n%s", TEXT, bad), -1);
	ck_assert_int_eq(open_str(peter, note), -1);
	free(note);
	/* ...even when a good one follows it... */
	ck_assert_int_ne(asprintf(&note, "%s\n%s%s", TEXT, bad, PETER_SIG), -1);
	ck_assert_int_eq(open_str(peter, note), -1);
	free(note);
	/* ...but only the first line by a key is checked (Go skips repeats). */
	ck_assert_int_ne(asprintf(&note, "%s\n%s%s", TEXT, PETER_SIG, bad), -1);
	ck_assert_int_eq(open_str(peter, note), 0);
	free(note);
	free(bad);
}
END_TEST

START_TEST(open_accepts_duplicated_signatures)
{
	char *sigs = repeat(PETER_SIG ENOCH_SIG, 3), *note;

	ck_assert_int_ne(asprintf(&note, "%s\n%s", TEXT, sigs), -1);
	ck_assert_int_eq(open_str(peter, note), 0);
	ck_assert_int_eq(open_str(enoch, note), 0);
	free(note);
	free(sigs);
}
END_TEST

START_TEST(open_rejects_more_than_100_signatures)
{
	char *sigs, *note;

	sigs = repeat(PETER_SIG, 100);
	ck_assert_int_ne(asprintf(&note, "%s\n%s", TEXT, sigs), -1);
	ck_assert_int_eq(open_str(peter, note), 0);
	free(note);
	free(sigs);
	sigs = repeat(PETER_SIG, 101);
	ck_assert_int_ne(asprintf(&note, "%s\n%s", TEXT, sigs), -1);
	ck_assert_int_eq(open_str(peter, note), -1);
	free(note);
	free(sigs);
	/* unknown keys count too */
	sigs = repeat(ENOCH_SIG, 100);
	ck_assert_int_ne(asprintf(&note, "%s\n%s%s", TEXT, PETER_SIG, sigs), -1);
	ck_assert_int_eq(open_str(peter, note), -1);
	free(note);
	free(sigs);
}
END_TEST

/* Go's TestOpen "invalid encoded message syntax" list, and more. */
START_TEST(open_rejects_malformed_notes)
{
	static const char *bad[] = {
		TEXT,
		TEXT "\n",
		"",
		"\n",
		"\n\n",
		TEXT "\n" "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
		"\x01" TEXT "\n" PETER_SIG,
		"\xff" TEXT "\n" PETER_SIG,
		TEXT "\n" "\xe2\x80\x94 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		TEXT "\n" PETER_SIG "Unexpected line.\n",
		TEXT "\n" PETER_SIG "\n",
		TEXT "\n\n" PETER_SIG "\n",
		TEXT "\n" "- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		TEXT "\n" "\xe2\x80\x94PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		TEXT "\n" "\xe2\x80\x94 PeterNeumann\n",
		TEXT "\n" "\xe2\x80\x94 PeterNeumann \n",
		TEXT "\n" "\xe2\x80\x94  x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		/* base64: no padding, bad padding, white space, short */
		TEXT "\n" "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n",
		TEXT "\n" "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM==\n",
		TEXT "\n" "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM= \n",
		TEXT "\n" "\xe2\x80\x94 PeterNeumann x08go/Y=\n",
		TEXT "\n" "\xe2\x80\x94 PeterNeumann x08g\n",
		/* an unknown key's line is still checked */
		TEXT "\n" PETER_SIG "\xe2\x80\x94 Enoch\x01Root rwz+eBzm\n",
		TEXT "\n" PETER_SIG "\xe2\x80\x94 Enoch\xc0\xafRoot rwz+eBzm\n",
		TEXT "\n" PETER_SIG "\xe2\x80\x94 Enoch\xe3\x80\x80Root rwz+eBzm\n",   /* U+3000 */
		TEXT "\n" PETER_SIG "\xe2\x80\x94 Enoch\xc2\xa0Root rwz+eBzm\n",       /* U+00A0 */
		TEXT "\n" PETER_SIG "\xe2\x80\x94 Enoch+Root rwz+eBzm\n",
		TEXT "\n" PETER_SIG "\xe2\x80\x94 EnochRoot rwz+eBz\n",
		TEXT "\n" PETER_SIG "\xe2\x80\x94 EnochRoot rwz+\n",  /* 3 bytes: under id + 1 */
		/* control characters and broken UTF-8 anywhere */
		"If you think\r\n" "\n" PETER_SIG,
		"tab\there\n" "\n" PETER_SIG,
		"surrogate \xed\xa0\x80\n" "\n" PETER_SIG,
		"overlong \xe0\x80\xaf\n" "\n" PETER_SIG,
		"too big \xf4\x90\x80\x80\n" "\n" PETER_SIG,
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(open_str(peter, bad[i]) == -1, "bad note %zu opened", i);
	/* A valid unknown line next to the same note opens: the checks above matter. */
	ck_assert_int_eq(open_str(peter, TEXT "\n" PETER_SIG "\xe2\x80\x94 EnochRoot rwz+eBzm\n"), 0);
	ck_assert_int_eq(open_str(peter, TEXT "\n" PETER_SIG "\xe2\x80\x94 Enoch\xc3\xa9Root rwz+eBzm\n"), 0);
}
END_TEST

START_TEST(open_rejects_nul_inside_note)
{
	char note[sizeof(TEXT "\n" PETER_SIG)];

	memcpy(note, TEXT "\n" PETER_SIG, sizeof(note));
	ck_assert_int_eq(intake_note_open(peter, note, sizeof(note) - 1, NULL), 0);
	note[10] = '\0';
	ck_assert_int_eq(intake_note_open(peter, note, sizeof(note) - 1, NULL), -1);
}
END_TEST

START_TEST(open_rejects_every_truncation)
{
	const char *note = TEXT "\n" PETER_SIG ENOCH_SIG;
	size_t len = strlen(note), full = strlen(TEXT "\n" PETER_SIG);

	for (size_t i = 0; i < len; i++) {
		/* cutting exactly after Peter's line leaves a valid note */
		if (i == full)
			ck_assert_int_eq(intake_note_open(peter, note, i, NULL), 0);
		else
			ck_assert_msg(intake_note_open(peter, note, i, NULL) == -1,
			    "truncated at %zu opened", i);
	}
}
END_TEST

START_TEST(open_rejects_garbage)
{
	uint8_t buf[512];
	uint32_t x = 12345;

	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)(round % (int)sizeof(buf));

		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245 + 12345;
			buf[i] = (uint8_t)(x >> 16);
		}
		ck_assert_int_eq(intake_note_open(peter, (char *)buf, len, NULL), -1);
	}
	ck_assert_int_eq(intake_note_open(NULL, TEXT "\n" PETER_SIG,
	    strlen(TEXT "\n" PETER_SIG), NULL), -1);
}
END_TEST

START_TEST(open_rejects_oversized_note)
{
	size_t len = INTAKE_NOTE_MAX + 1;
	char *big = malloc(len);

	ck_assert_ptr_nonnull(big);
	memset(big, 'a', len);
	memcpy(big + len - strlen("\n\n" PETER_SIG), "\n\n" PETER_SIG, strlen("\n\n" PETER_SIG));
	ck_assert_int_eq(intake_note_open(peter, big, len, NULL), -1);
	free(big);
}
END_TEST

START_TEST(keys_reject_malformed_verifier_keys)
{
	static const char *bad[] = {
		"",
		"PeterNeumann",
		"PeterNeumann+c74f20a3",
		"PeterNeumann+c74f20a3+",
		"PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",   /* id */
		"PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",    /* 7 digits */
		"PeterNeumann+0c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20g3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumanN+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",   /* name */
		"+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",    /* b64 */
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW=",
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n",
		"PeterNeumann+c74f20a3+ Rpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",    /* alg 0x02.. */
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy",       /* short */
		"PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct intake_verifier *v = intake_verifier_new(bad[i]);

		ck_assert_msg(v == NULL, "bad verifier key %zu accepted", i);
		intake_verifier_free(v);
	}
	ck_assert_ptr_null(intake_verifier_new(NULL));
}
END_TEST

START_TEST(keys_accept_uppercase_hex_id)
{
	/* Go parses the id with strconv.ParseUint(hash16, 16, 32): either case. */
	struct intake_verifier *v = intake_verifier_new(
	    "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");

	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(open_str(v, TEXT "\n" PETER_SIG), 0);
	intake_verifier_free(v);
}
END_TEST

START_TEST(keys_reject_malformed_signer_keys)
{
	static const char *bad[] = {
		"",
		"PRIVATE+KEY+",
		"PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
		"PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
		"PRIVATE+KEY+PeterNeumanN+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
		"PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDF",
		"PRIVATE+KEY+PeterNeumann+c74f20a3+AIEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
		"private+key+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
		"PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz junk",
		PETER_VKEY,
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct intake_signer *s = intake_signer_new(bad[i]);

		ck_assert_msg(s == NULL, "bad signer key %zu accepted", i);
		intake_signer_free(s);
	}
	ck_assert_ptr_null(intake_signer_new(NULL));
}
END_TEST

START_TEST(keygen_round_trips)
{
	char *skey, *vkey, *vkey2, *note;
	struct intake_signer *s;
	struct intake_verifier *v;
	size_t len, textlen;

	ck_assert_int_eq(intake_keygen("intake.example.org/log", &skey, &vkey), 0);
	ck_assert_int_eq(strncmp(skey, "PRIVATE+KEY+intake.example.org/log+", 35), 0);
	ck_assert_int_eq(strncmp(vkey, "intake.example.org/log+", 23), 0);
	ck_assert_ptr_nonnull(s = intake_signer_new(skey));
	ck_assert_ptr_nonnull(v = intake_verifier_new(vkey));
	vkey2 = intake_signer_vkey(s);
	ck_assert_str_eq(vkey, vkey2);
	note = intake_note_sign(s, "hello\n", 6, &len);
	ck_assert_ptr_nonnull(note);
	ck_assert_int_eq(intake_note_open(v, note, len, &textlen), 0);
	ck_assert_uint_eq(textlen, 6);
	ck_assert_int_eq(intake_note_open(peter, note, len, &textlen), -1);
	free(note);
	free(vkey2);
	intake_verifier_free(v);
	intake_signer_free(s);
	intake_freezero(skey, strlen(skey));
	free(vkey);
}
END_TEST

START_TEST(keygen_rejects_invalid_names)
{
	char long_name[INTAKE_NOTE_NAME_MAX + 2], *skey = (char *)1, *vkey = (char *)1;
	static const char *bad[] = {
		"", "a b", "a+b", "a\tb", "a\nb", "a\xe2\x80\x83" "b", "a\xc2\xa0" "b", "\xff",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(intake_keygen(bad[i], &skey, &vkey) == -1, "bad name %zu accepted", i);
		ck_assert_ptr_null(skey);
		ck_assert_ptr_null(vkey);
	}
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	ck_assert_int_eq(intake_keygen(long_name, &skey, &vkey), -1);
	long_name[sizeof(long_name) - 2] = '\0';
	ck_assert_int_eq(intake_keygen(long_name, &skey, &vkey), 0);
	intake_freezero(skey, strlen(skey));
	free(vkey);
}
END_TEST

START_TEST(sign_rejects_invalid_texts)
{
	struct intake_signer *s = intake_signer_new(PETER_SKEY);
	static const char *bad[] = {
		"", "no newline", "cr\r\n", "tab\t\n", "\xff\n", "\xed\xa0\x80\n", "bell\a\n",
	};
	size_t big = INTAKE_NOTE_MAX;
	char *text;

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(intake_note_sign(s, bad[i], strlen(bad[i]), NULL) == NULL,
		    "bad text %zu signed", i);
	ck_assert_ptr_null(intake_note_sign(s, "a\0b\n", 4, NULL));
	/* a text whose note would exceed INTAKE_NOTE_MAX */
	ck_assert_ptr_nonnull(text = malloc(big));
	memset(text, 'x', big);
	text[big - 1] = '\n';
	ck_assert_ptr_null(intake_note_sign(s, text, big, NULL));
	free(text);
	intake_signer_free(s);
}
END_TEST

START_TEST(sign_then_open_keeps_blank_lines_in_text)
{
	struct intake_signer *s = intake_signer_new(PETER_SKEY);
	const char *text = "a\n\nb\n\n";
	size_t len, textlen;
	char *note;

	ck_assert_ptr_nonnull(s);
	note = intake_note_sign(s, text, strlen(text), &len);
	ck_assert_ptr_nonnull(note);
	ck_assert_int_eq(intake_note_open(peter, note, len, &textlen), 0);
	ck_assert_uint_eq(textlen, strlen(text));
	free(note);
	intake_signer_free(s);
}
END_TEST

static Suite *
note_suite(void)
{
	Suite *s = suite_create("note");
	TCase *tc = tcase_create("note");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, keys_parse_peterneumann_vector);
	tcase_add_test(tc, signer_ignores_surrounding_white_space);
	tcase_add_test(tc, sign_reproduces_peterneumann_signature);
	tcase_add_test(tc, open_accepts_each_key_of_a_two_signature_note);
	tcase_add_test(tc, open_rejects_note_without_the_trusted_signature);
	tcase_add_test(tc, open_rejects_tampered_text);
	tcase_add_test(tc, open_rejects_same_name_other_key);
	tcase_add_test(tc, open_rejects_signature_line_with_other_name);
	tcase_add_test(tc, open_rejects_bad_signature_by_trusted_key);
	tcase_add_test(tc, open_accepts_duplicated_signatures);
	tcase_add_test(tc, open_rejects_more_than_100_signatures);
	tcase_add_test(tc, open_rejects_malformed_notes);
	tcase_add_test(tc, open_rejects_nul_inside_note);
	tcase_add_test(tc, open_rejects_every_truncation);
	tcase_add_test(tc, open_rejects_garbage);
	tcase_add_test(tc, open_rejects_oversized_note);
	tcase_add_test(tc, keys_reject_malformed_verifier_keys);
	tcase_add_test(tc, keys_accept_uppercase_hex_id);
	tcase_add_test(tc, keys_reject_malformed_signer_keys);
	tcase_add_test(tc, keygen_round_trips);
	tcase_add_test(tc, keygen_rejects_invalid_names);
	tcase_add_test(tc, sign_rejects_invalid_texts);
	tcase_add_test(tc, sign_then_open_keeps_blank_lines_in_text);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(note_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
