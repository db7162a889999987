/*
 * tests/unit/entry.c: notary/entry.c, the entry text (DESIGN §6) line by
 * line, with and without the optional lines, the findings JSON, and the
 * sanitizer against control characters, bidi controls and broken UTF-8.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "notary/entry.h"

#define ORIGIN "intake.example.org/log"
#define TIME   "2026-11-29T06:40:00Z"
#define CERT   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
/* SHA-256 of "abc" */
#define ABC    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void
hexbin(const char *hex, uint8_t out[32])
{
	for (int i = 0; i < 32; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
}

static struct notary_job *
job_new(void)
{
	struct notary_job *j = calloc(1, sizeof(*j));

	ck_assert_ptr_nonnull(j);
	strcpy(j->party, "ALPHA");
	strcpy(j->cert_sha256, CERT);
	strcpy(j->kind, "evidence");
	strcpy(j->filename, "access policy.pdf");
	j->size = 3;
	hexbin(ABC, j->sha256);
	j->result.accepted = 1;
	strcpy(j->result.type, "application/pdf");
	return j;
}

static void
add_finding(struct notary_job *j, const char *code, const char *member, const char *detail)
{
	struct finding *f = &j->result.findings[j->result.nfindings++];

	snprintf(f->code, sizeof(f->code), "%s", code);
	snprintf(f->member, sizeof(f->member), "%s", member);
	snprintf(f->detail, sizeof(f->detail), "%s", detail);
}

static void
assert_entry(const struct notary_job *j, uint64_t index, const char *want)
{
	size_t len = 0;
	char *e = entry_format(ORIGIN, index, TIME, j, &len);

	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e, want);
	ck_assert_uint_eq(len, strlen(want));
	free(e);
}

START_TEST(entry_minimal_has_every_line_in_order)
{
	struct notary_job *j = job_new();

	assert_entry(j, 0,
	    "intake-receipt/v1\n"
	    "origin: " ORIGIN "\n"
	    "index: 0\n"
	    "time: " TIME "\n"
	    "party: ALPHA\n"
	    "cert: " CERT "\n"
	    "kind: evidence\n"
	    "filename: access policy.pdf\n"
	    "size: 3\n"
	    "sha256: " ABC "\n"
	    "type: application/pdf\n"
	    "verdict: accepted\n");
	free(j);
}
END_TEST

START_TEST(entry_full_has_ref_digest_members_and_findings)
{
	struct notary_job *j = job_new();

	strcpy(j->kind, "evidence-bundle");
	strcpy(j->filename, "bundle.zip");
	strcpy(j->ref, "EV-001");
	strcpy(j->client_digest, "sha-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=:");
	j->size = 18446744073709551615ULL;
	strcpy(j->result.type, "application/zip");
	j->result.accepted = 0;
	j->result.is_archive = 1;
	j->result.members = 12;
	hexbin(CERT, j->result.manifest_sha256);
	add_finding(j, "type-mismatch", "", "declared pdf, is zip");
	add_finding(j, "macro", "docs/a.docm", "vbaProject.bin present");
	add_finding(j, "encrypted", "b.zip", "");
	assert_entry(j, 17,
	    "intake-receipt/v1\n"
	    "origin: " ORIGIN "\n"
	    "index: 17\n"
	    "time: " TIME "\n"
	    "party: ALPHA\n"
	    "cert: " CERT "\n"
	    "kind: evidence-bundle\n"
	    "filename: bundle.zip\n"
	    "ref: EV-001\n"
	    "size: 18446744073709551615\n"
	    "sha256: " ABC "\n"
	    "client-digest: sha-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=:\n"
	    "type: application/zip\n"
	    "verdict: rejected\n"
	    "members: 12 " CERT "\n"
	    "finding: type-mismatch declared pdf, is zip\n"
	    "finding: macro docs/a.docm: vbaProject.bin present\n"
	    "finding: encrypted b.zip:\n");
	free(j);
}
END_TEST

START_TEST(entry_counts_findings_not_kept)
{
	struct notary_job *j = job_new();
	char *e, *json;

	j->result.accepted = 0;
	add_finding(j, "zip-overlap", "x", "overlapping entries");
	j->result.nmore = 7;
	e = entry_format(ORIGIN, 1, TIME, j, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(strstr(e, "finding: zip-overlap x: overlapping entries\n"
	    "finding: " ENTRY_TRUNCATED " 7 more findings not kept\n"));
	json = entry_findings_json(&j->result);
	ck_assert_str_eq(json, "[{\"code\":\"zip-overlap\",\"member\":\"x\",\"detail\":"
	    "\"overlapping entries\"},{\"code\":\"" ENTRY_TRUNCATED "\",\"member\":\"\","
	    "\"detail\":\"7 more findings not kept\"}]");
	free(json);
	free(e);
	free(j);
}
END_TEST

START_TEST(entry_filename_rejects_newline_injection)
{
	struct notary_job *j = job_new();
	char *e;
	int lines = 0;

	/* A value that tries to add a line of its own, and a CR. */
	strcpy(j->filename, "a.pdf\nverdict: accepted\r");
	strcpy(j->ref, "R\x1b[31m");
	add_finding(j, "bad\ncode", "m\n", "d\te\x7f");
	j->result.accepted = 0;
	e = entry_format(ORIGIN, 2, TIME, j, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(strstr(e, "filename: a.pdf?verdict: accepted?\n"));
	ck_assert_ptr_nonnull(strstr(e, "ref: R?[31m\n"));
	ck_assert_ptr_nonnull(strstr(e, "finding: bad?code m?: d?e?\n"));
	ck_assert_ptr_nonnull(strstr(e, "verdict: rejected\n"));
	ck_assert_ptr_null(strstr(e, "verdict: accepted\n"));
	for (const char *p = e; *p; p++) {
		ck_assert((unsigned char)*p >= 0x20 || *p == '\n');
		lines += *p == '\n';
	}
	ck_assert_int_eq(lines, 14);
	free(e);
	free(j);
}
END_TEST

START_TEST(entry_fields_without_nul_are_bounded)
{
	struct notary_job *j = job_new();
	char want[sizeof(j->party) + 32], *e;

	/* The front must NUL-terminate; if it does not, nothing beyond the field is read. */
	memset(j->party, 'P', sizeof(j->party));
	snprintf(want, sizeof(want), "\nparty: %.*s\ncert: ", (int)sizeof(j->party), j->party);
	e = entry_format(ORIGIN, 3, TIME, j, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(strstr(e, want));
	free(e);
	free(j);
}
END_TEST

START_TEST(sanitize_replaces_invalid_utf8_and_controls)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "plain.pdf", "plain.pdf" },
		{ "caf\xc3\xa9.pdf", "caf\xc3\xa9.pdf" },              /* é kept */
		{ "\xe2\x82\xac \xf0\x9f\x93\x84", "\xe2\x82\xac \xf0\x9f\x93\x84" }, /* € 📄 */
		{ "a\xc3", "a?" },                                     /* truncated sequence */
		{ "\xc0\xaf", "??" },                                  /* overlong '/' */
		{ "\xe0\x80\xaf", "???" },                             /* overlong */
		{ "\xed\xa0\x80", "???" },                             /* surrogate */
		{ "\xf4\x90\x80\x80", "????" },                        /* > U+10FFFF */
		{ "\xff\xfe", "??" },
		{ "\xc2\x85x", "?x" },                                 /* C1 NEL */
		{ "evil\xe2\x80\xae" "fdp.exe", "evil?fdp.exe" },         /* U+202E RLO */
		{ "a\xe2\x80\xa8" "b", "a?b" },                        /* U+2028 */
		{ "\xe2\x81\xa6x\xe2\x81\xa9", "?x?" },                /* U+2066, U+2069 */
		{ "tab\there", "tab?here" },
		{ "", "" },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		entry_sanitize(cases[i].in, out, sizeof(out));
		ck_assert_msg(strcmp(out, cases[i].want) == 0, "case %zu: got \"%s\"", i, out);
	}
}
END_TEST

START_TEST(sanitize_truncates_on_character_boundary)
{
	char out[4];

	ck_assert_uint_eq(entry_sanitize("ab\xc3\xa9", out, sizeof(out)), 2);
	ck_assert_str_eq(out, "ab");
	ck_assert_uint_eq(entry_sanitize("abc", out, sizeof(out)), 3);
	ck_assert_str_eq(out, "abc");
}
END_TEST

START_TEST(findings_json_is_empty_array_without_findings)
{
	struct notary_job *j = job_new();
	char *json = entry_findings_json(&j->result);

	ck_assert_str_eq(json, "[]");
	free(json);
	free(j);
}
END_TEST

START_TEST(findings_json_escapes_and_sanitizes)
{
	struct notary_job *j = job_new();
	json_t *a, *o;
	json_error_t jerr;
	char *json;

	add_finding(j, "xml-doctype", "word/\"doc\".xml", "DOCTYPE \\ \x01 \xff");
	add_finding(j, "", "", "no code");
	json = entry_findings_json(&j->result);
	ck_assert_ptr_nonnull(json);
	a = json_loads(json, 0, &jerr);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(json_array_size(a), 2);
	o = json_array_get(a, 0);
	ck_assert_str_eq(json_string_value(json_object_get(o, "code")), "xml-doctype");
	ck_assert_str_eq(json_string_value(json_object_get(o, "member")), "word/\"doc\".xml");
	ck_assert_str_eq(json_string_value(json_object_get(o, "detail")), "DOCTYPE \\ ? ?");
	o = json_array_get(a, 1);
	ck_assert_str_eq(json_string_value(json_object_get(o, "code")), "unspecified");
	ck_assert_str_eq(json_string_value(json_object_get(o, "member")), "");
	json_decref(a);
	free(json);
	free(j);
}
END_TEST

START_TEST(time_now_is_rfc3339_utc)
{
	char t[ENTRY_TIME_MAX];

	ck_assert_int_eq(entry_time_now(t), 0);
	ck_assert_uint_eq(strlen(t), 20);
	ck_assert(t[4] == '-' && t[7] == '-' && t[10] == 'T' && t[13] == ':' &&
	    t[16] == ':' && t[19] == 'Z');
	ck_assert(strncmp(t, "2020", 4) > 0);
}
END_TEST

static Suite *
entry_suite(void)
{
	Suite *s = suite_create("entry");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, entry_minimal_has_every_line_in_order);
	tcase_add_test(tc, entry_full_has_ref_digest_members_and_findings);
	tcase_add_test(tc, entry_counts_findings_not_kept);
	tcase_add_test(tc, entry_filename_rejects_newline_injection);
	tcase_add_test(tc, entry_fields_without_nul_are_bounded);
	tcase_add_test(tc, sanitize_replaces_invalid_utf8_and_controls);
	tcase_add_test(tc, sanitize_truncates_on_character_boundary);
	tcase_add_test(tc, findings_json_is_empty_array_without_findings);
	tcase_add_test(tc, findings_json_escapes_and_sanitizes);
	tcase_add_test(tc, time_now_is_rfc3339_utc);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(entry_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
