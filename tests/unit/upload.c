/*
 * Unit tests of front/upload.c's input checks: filename and ref validation,
 * percent-decoding and query parsing. These are the first things a hostile
 * client reaches after the TLS handshake.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "front/conn.h"

static int
fname(const char *in, char *out, const char **why)
{
	return upload_filename(in, strlen(in), out, 256, why);
}

START_TEST(filename_accepts_plain_and_utf8)
{
	char out[256];
	const char *why;

	ck_assert_int_eq(fname("bundle.zip", out, &why), 0);
	ck_assert_str_eq(out, "bundle.zip");
	ck_assert_int_eq(fname("access%20policy%20v2.pdf", out, &why), 0);
	ck_assert_str_eq(out, "access policy v2.pdf");
	ck_assert_int_eq(fname("%C3%A9valuation.pdf", out, &why), 0);   /* évaluation */
	ck_assert_str_eq(out, "\xc3\xa9valuation.pdf");
	ck_assert_int_eq(fname("a.b.c", out, &why), 0);
}
END_TEST

START_TEST(filename_rejects_newline_and_controls)
{
	char out[256];
	const char *why;

	ck_assert_int_eq(fname("a%0Ab.pdf", out, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "control"));
	ck_assert_int_eq(fname("a%0Db.pdf", out, &why), -1);
	ck_assert_int_eq(fname("a%00b.pdf", out, &why), -1);
	ck_assert_int_eq(fname("a%7Fb.pdf", out, &why), -1);
	ck_assert_int_eq(fname("a%C2%85b.pdf", out, &why), -1);   /* U+0085 NEL */
	ck_assert_int_eq(fname("a%09b.pdf", out, &why), -1);
}
END_TEST

START_TEST(filename_rejects_slash_and_leading_dot)
{
	char out[256];
	const char *why;

	ck_assert_int_eq(fname("a%2Fb.pdf", out, &why), -1);
	ck_assert_int_eq(fname("..%2Fetc", out, &why), -1);
	ck_assert_int_eq(fname(".htaccess", out, &why), -1);
	ck_assert_int_eq(fname("%2Ehidden", out, &why), -1);
	ck_assert_int_eq(fname("", out, &why), -1);
}
END_TEST

START_TEST(filename_rejects_bad_utf8_and_bidi)
{
	char out[256];
	const char *why;

	ck_assert_int_eq(fname("%FF.pdf", out, &why), -1);
	ck_assert_int_eq(fname("%C0%AF.pdf", out, &why), -1);        /* overlong '/' */
	ck_assert_int_eq(fname("%ED%A0%80.pdf", out, &why), -1);     /* surrogate */
	ck_assert_int_eq(fname("%F4%90%80%80.pdf", out, &why), -1);  /* > U+10FFFF */
	ck_assert_int_eq(fname("%C3", out, &why), -1);               /* truncated */
	ck_assert_int_eq(fname("invoice%E2%80%AEfdp.exe", out, &why), -1); /* U+202E */
}
END_TEST

START_TEST(filename_rejects_bad_escapes)
{
	char out[256];
	const char *why;

	ck_assert_int_eq(fname("a%", out, &why), -1);
	ck_assert_int_eq(fname("a%4", out, &why), -1);
	ck_assert_int_eq(fname("a%zz", out, &why), -1);
}
END_TEST

START_TEST(filename_length_limit_is_255_bytes)
{
	char in[1024], out[256];
	const char *why;

	memset(in, 'a', 255);
	in[255] = '\0';
	ck_assert_int_eq(fname(in, out, &why), 0);
	memset(in, 'a', 256);
	in[256] = '\0';
	ck_assert_int_eq(fname(in, out, &why), -1);
	/* 86 escaped 3-byte characters = 258 bytes decoded */
	in[0] = '\0';
	for (int i = 0; i < 86; i++)
		strcat(in, "%E2%82%AC");
	ck_assert_int_eq(fname(in, out, &why), -1);
}
END_TEST

START_TEST(ref_validation)
{
	char out[REF_MAX + 1];
	const char *why;

	ck_assert_int_eq(upload_ref("EV-001", 6, out, sizeof(out), &why), 0);
	ck_assert_str_eq(out, "EV-001");
	ck_assert_int_eq(upload_ref("EV\n1", 4, out, sizeof(out), &why), -1);
	ck_assert_int_eq(upload_ref("", 0, out, sizeof(out), &why), -1);
}
END_TEST

START_TEST(ref_is_never_decoded_a_second_time)
{
	char q[64], out[REF_MAX + 1];
	const char *why;

	/* ?ref=EV%2541 is "EV%41" once decoded, and stays that. */
	ck_assert_int_eq(url_query("ref=EV%2541", "ref", q, sizeof(q)), 1);
	ck_assert_str_eq(q, "EV%41");
	ck_assert_int_eq(upload_ref(q, strlen(q), out, sizeof(out), &why), 0);
	ck_assert_str_eq(out, "EV%41");
	/* and an escaped newline, once decoded, is a newline: refused */
	ck_assert_int_eq(url_query("ref=EV%0A1", "ref", q, sizeof(q)), 1);
	ck_assert_int_eq(upload_ref(q, strlen(q), out, sizeof(out), &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "control"));
}
END_TEST

START_TEST(ref_refuses_what_the_entry_would_have_rewritten)
{
	static const char *const bad[] = {
		"EV\xe2\x80\xa8" "1",   /* U+2028 */
		"EV\xe2\x80\xa9" "1",   /* U+2029 */
		"EV\xe2\x80\xae" "1",   /* U+202E */
		"EV\xef\xb7\x90" "1",   /* U+FDD0 */
		"\xef\xbb\xbf" "EV1",   /* BOM */
		"EV\xc2\x85" "1",        /* NEL */
		"EV\xff",
	};
	char out[REF_MAX + 1];
	const char *why;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(upload_ref(bad[i], strlen(bad[i]), out, sizeof(out), &why) == -1,
		    "case %zu", i);
}
END_TEST

START_TEST(query_value_with_a_decoded_nul_is_refused)
{
	char out[64];

	/* a NUL would cut "EV-1%00x" to "EV-1" */
	ck_assert_int_eq(url_query("ref=EV-1%00x", "ref", out, sizeof(out)), -1);
}
END_TEST

START_TEST(filename_refuses_separators_nonchars_and_bom)
{
	char out[256];
	const char *why;

	ck_assert_int_eq(fname("a%E2%80%A8b.pdf", out, &why), -1);
	ck_assert_str_eq(why, "filename: line or paragraph separator");
	ck_assert_int_eq(fname("a%E2%80%A9b.pdf", out, &why), -1);
	ck_assert_int_eq(fname("a%EF%BF%BEb.pdf", out, &why), -1);    /* U+FFFE */
	ck_assert_str_eq(why, "filename: Unicode noncharacter");
	ck_assert_int_eq(fname("%EF%BB%BFa.pdf", out, &why), -1);     /* BOM */
	ck_assert_str_eq(why, "filename: byte order mark");
	ck_assert_int_eq(fname("a%E2%81%A6b.pdf", out, &why), -1);    /* U+2066 */
	ck_assert_str_eq(why, "filename: bidirectional control character");
}
END_TEST

START_TEST(query_parsing)
{
	char out[64];

	ck_assert_int_eq(url_query("ref=EV-001", "ref", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "EV-001");
	ck_assert_int_eq(url_query("a=1&ref=EV%2D2&b=3", "ref", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "EV-2");
	ck_assert_int_eq(url_query("reff=1&xref=2", "ref", out, sizeof(out)), 0);
	ck_assert_int_eq(url_query("ref=%zz", "ref", out, sizeof(out)), -1);
	ck_assert_int_eq(url_query("", "ref", out, sizeof(out)), 0);
	ck_assert_int_eq(url_query("old=1&new=2", "new", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "2");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("upload");
	TCase *tc = tcase_create("input");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, filename_accepts_plain_and_utf8);
	tcase_add_test(tc, filename_rejects_newline_and_controls);
	tcase_add_test(tc, filename_rejects_slash_and_leading_dot);
	tcase_add_test(tc, filename_rejects_bad_utf8_and_bidi);
	tcase_add_test(tc, filename_rejects_bad_escapes);
	tcase_add_test(tc, filename_length_limit_is_255_bytes);
	tcase_add_test(tc, ref_validation);
	tcase_add_test(tc, ref_is_never_decoded_a_second_time);
	tcase_add_test(tc, ref_refuses_what_the_entry_would_have_rewritten);
	tcase_add_test(tc, query_value_with_a_decoded_nul_is_refused);
	tcase_add_test(tc, filename_refuses_separators_nonchars_and_bom);
	tcase_add_test(tc, query_parsing);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
