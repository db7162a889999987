/*
 * tests/unit/entry.c: notary/entry.c, the entry text (DESIGN §6) line by
 * line, with and without the optional lines, the findings JSON, and the
 * refusal (never a rewrite) of control characters, line separators, bidi
 * controls, noncharacters and broken UTF-8.
 */
#include <errno.h>
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

/* [scan] (issue 19): clamd's VERSION stands after type, rejections too; a
 * scan line that would add a line to the signed text fails the entry. */
START_TEST(entry_puts_scan_after_type)
{
	struct notary_job *j = job_new();
	const char *what = NULL;

	strcpy(j->scan, "ClamAV 1.4.6/27461/Tue Dec  3 09:38:00 2024");
	j->result.accepted = 0;
	add_finding(j, "malware", "", "Intake.Test.Marker.UNOFFICIAL");
	assert_entry(j, 3,
	    "intake-receipt/v1\n"
	    "origin: " ORIGIN "\n"
	    "index: 3\n"
	    "time: " TIME "\n"
	    "party: ALPHA\n"
	    "cert: " CERT "\n"
	    "kind: evidence\n"
	    "filename: access policy.pdf\n"
	    "size: 3\n"
	    "sha256: " ABC "\n"
	    "type: application/pdf\n"
	    "scan: ClamAV 1.4.6/27461/Tue Dec  3 09:38:00 2024\n"
	    "verdict: rejected\n"
	    "finding: malware Intake.Test.Marker.UNOFFICIAL\n");
	strcpy(j->scan, "ClamAV 1\nverdict: accepted");
	ck_assert_ptr_null(entry_format(ORIGIN, 3, TIME, j, NULL));
	ck_assert_int_eq(entry_check(j, &what), -1);
	ck_assert_str_eq(what, "scan");
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

START_TEST(entry_puts_agent_after_party_and_plan_after_ref)
{
	struct notary_job *j = job_new();

	strcpy(j->kind, "director-letter");
	strcpy(j->filename, "letter.pdf");
	strcpy(j->agent, "SRP1");
	strcpy(j->ref, "L-1");
	j->plan = 0;          /* receipt 0 is a plan like any other */
	j->has_plan = 1;
	assert_entry(j, 5,
	    "intake-receipt/v1\n"
	    "origin: " ORIGIN "\n"
	    "index: 5\n"
	    "time: " TIME "\n"
	    "party: ALPHA\n"
	    "agent: SRP1\n"
	    "cert: " CERT "\n"
	    "kind: director-letter\n"
	    "filename: letter.pdf\n"
	    "ref: L-1\n"
	    "plan: 0\n"
	    "size: 3\n"
	    "sha256: " ABC "\n"
	    "type: application/pdf\n"
	    "verdict: accepted\n");
	j->has_plan = 0;
	j->agent[0] = '\0';
	j->plan = 12;
	j->ref[0] = '\0';
	{
		char *e = entry_format(ORIGIN, 5, TIME, j, NULL);

		ck_assert_ptr_nonnull(e);
		ck_assert_ptr_null(strstr(e, "plan:"));
		ck_assert_ptr_null(strstr(e, "agent:"));
		free(e);
	}
	free(j);
}
END_TEST

START_TEST(entry_refuses_an_agent_with_a_newline)
{
	struct notary_job *j = job_new();
	const char *what = NULL;

	strcpy(j->agent, "SRP1\nverdict: accepted");
	ck_assert_int_eq(entry_check(j, &what), -1);
	ck_assert_str_eq(what, "agent");
	ck_assert_ptr_null(entry_format(ORIGIN, 1, TIME, j, NULL));
	free(j);
}
END_TEST

START_TEST(entry_of_a_fact_has_its_own_lines_in_order)
{
	struct notary_job *j = job_new();
	const char *what = NULL;

	strcpy(j->party, "BETA");
	strcpy(j->recorded_by, "SECAS");
	strcpy(j->fact, "remediation-required");
	strcpy(j->fact_date, "2024-02-29");
	ck_assert_int_eq(entry_check(j, &what), 0);
	assert_entry(j, 9,
	    "intake-fact/v1\n"
	    "origin: " ORIGIN "\n"
	    "index: 9\n"
	    "time: " TIME "\n"
	    "party: BETA\n"
	    "recorded-by: SECAS\n"
	    "cert: " CERT "\n"
	    "fact: remediation-required\n"
	    "date: 2024-02-29\n");
	strcpy(j->fact_date, "2025-02-29");   /* not a leap year */
	ck_assert_int_eq(entry_check(j, &what), -1);
	ck_assert_str_eq(what, "fact");
	strcpy(j->fact_date, "2025-01-10");
	strcpy(j->fact, "cio-visit");
	ck_assert_int_eq(entry_check(j, &what), -1);
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

START_TEST(entry_refuses_newline_injection_rather_than_rewrite_it)
{
	struct notary_job *j = job_new();
	const char *what = NULL;

	/* A value that tries to add a line of its own is refused, not signed
	 * as "a.pdf?verdict: accepted?" while the ledger keeps the newline. */
	strcpy(j->filename, "a.pdf\nverdict: accepted\r");
	errno = 0;
	ck_assert_ptr_null(entry_format(ORIGIN, 2, TIME, j, NULL));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(entry_check(j, &what), -1);
	ck_assert_str_eq(what, "filename");

	strcpy(j->filename, "a.pdf");
	strcpy(j->ref, "R\x1b[31m");
	ck_assert_ptr_null(entry_format(ORIGIN, 2, TIME, j, NULL));
	ck_assert_int_eq(entry_check(j, &what), -1);
	ck_assert_str_eq(what, "ref");

	strcpy(j->ref, "R1");
	add_finding(j, "bad\ncode", "m", "d");
	ck_assert_ptr_null(entry_format(ORIGIN, 2, TIME, j, NULL));
	ck_assert_ptr_null(entry_findings_json(&j->result));
	ck_assert_int_eq(entry_check(j, &what), -1);
	ck_assert_str_eq(what, "finding");
	free(j);
}
END_TEST

START_TEST(entry_refuses_a_field_without_nul)
{
	struct notary_job *j = job_new();
	const char *what = NULL;

	/* The front must NUL-terminate; if it does not, nothing is signed and
	 * nothing beyond the field is read. */
	memset(j->party, 'P', sizeof(j->party));
	ck_assert_ptr_null(entry_format(ORIGIN, 3, TIME, j, NULL));
	ck_assert_int_eq(entry_check(j, &what), -1);
	ck_assert_str_eq(what, "party");
	free(j);
}
END_TEST

START_TEST(entry_refuses_every_value_it_used_to_rewrite)
{
	static const char *const bad[] = {
		"a\xc3",                   /* truncated sequence */
		"\xc0\xaf",                /* overlong '/' */
		"\xe0\x80\xaf",            /* overlong */
		"\xed\xa0\x80",            /* surrogate */
		"\xf4\x90\x80\x80",        /* > U+10FFFF */
		"\xff\xfe",
		"\xc2\x85x",               /* C1 NEL */
		"evil\xe2\x80\xae" "fdp.exe", /* U+202E RLO */
		"a\xe2\x80\xa8" "b",        /* U+2028 */
		"a\xe2\x80\xa9" "b",        /* U+2029 */
		"\xe2\x81\xa6x\xe2\x81\xa9", /* U+2066, U+2069 */
		"a\xef\xb7\x90",           /* U+FDD0 noncharacter */
		"\xef\xbb\xbf" "a.pdf",     /* BOM */
		"tab\there",
	};
	static const char *const good[] = {
		"plain.pdf", "caf\xc3\xa9.pdf", "\xe2\x82\xac \xf0\x9f\x93\x84", "a?b",
	};
	struct notary_job *j = job_new();
	char want[300], *e;
	const char *what;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(j->filename, sizeof(j->filename), "%s", bad[i]);
		ck_assert_msg(entry_format(ORIGIN, 4, TIME, j, NULL) == NULL, "case %zu", i);
		ck_assert_msg(entry_check(j, &what) == -1, "case %zu", i);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(j->filename, sizeof(j->filename), "%s", good[i]);
		ck_assert_int_eq(entry_check(j, &what), 0);
		e = entry_format(ORIGIN, 4, TIME, j, NULL);
		ck_assert_ptr_nonnull(e);
		snprintf(want, sizeof(want), "\nfilename: %s\n", good[i]);
		ck_assert_msg(strstr(e, want) != NULL, "case %zu: signed as is", i);
		free(e);
	}
	free(j);
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

START_TEST(findings_json_escapes_and_keeps_values_as_they_are)
{
	struct notary_job *j = job_new();
	json_t *a, *o;
	json_error_t jerr;
	char *json;

	add_finding(j, "xml-doctype", "word/\"doc\".xml", "DOCTYPE \\ ? ?");
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
	tcase_add_test(tc, entry_puts_scan_after_type);
	tcase_add_test(tc, entry_full_has_ref_digest_members_and_findings);
	tcase_add_test(tc, entry_puts_agent_after_party_and_plan_after_ref);
	tcase_add_test(tc, entry_refuses_an_agent_with_a_newline);
	tcase_add_test(tc, entry_of_a_fact_has_its_own_lines_in_order);
	tcase_add_test(tc, entry_counts_findings_not_kept);
	tcase_add_test(tc, entry_refuses_newline_injection_rather_than_rewrite_it);
	tcase_add_test(tc, entry_refuses_a_field_without_nul);
	tcase_add_test(tc, entry_refuses_every_value_it_used_to_rewrite);
	tcase_add_test(tc, findings_json_is_empty_array_without_findings);
	tcase_add_test(tc, findings_json_escapes_and_keeps_values_as_they_are);
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
