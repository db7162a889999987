/*
 * tests/unit/download.c: the Content-Disposition of a stored file's download
 * (front/download.c, download_disposition): hostile upload names (quotes,
 * backslashes, CR/LF, non-ASCII, path separators, percent signs) come out as
 * one header value with a safe ASCII fallback and the exact name in RFC 8187
 * percent-encoding, never as a second header or a path.
 */
#include <check.h>
#include <string.h>

#include "front/console.h"

static void
disp_is(const char *name, const char *want)
{
	char out[1024];

	ck_assert_int_eq(download_disposition(name, out, sizeof(out)), 0);
	ck_assert_str_eq(out, want);
	ck_assert_ptr_null(strpbrk(out, "\r\n"));
}

START_TEST(disposition_plain)
{
	disp_is("report.pdf", "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf");
}
END_TEST

START_TEST(disposition_quotes_backslash)
{
	disp_is("a\"b\\c.txt", "attachment; filename=\"a_b_c.txt\"; filename*=UTF-8''a%22b_c.txt");
}
END_TEST

START_TEST(disposition_crlf)
{
	disp_is("x\r\nSet-Cookie: y.txt",
	    "attachment; filename=\"x__Set-Cookie: y.txt\"; filename*=UTF-8''x%0D%0ASet-Cookie%3A%20y.txt");
}
END_TEST

START_TEST(disposition_non_ascii)
{
	disp_is("\xc3\xa9t\xc3\xa9.pdf",
	    "attachment; filename=\"__t__.pdf\"; filename*=UTF-8''%C3%A9t%C3%A9.pdf");
}
END_TEST

START_TEST(disposition_separators)
{
	disp_is("../../etc/passwd",
	    "attachment; filename=\".._.._etc_passwd\"; filename*=UTF-8''.._.._etc_passwd");
	disp_is("a\\b", "attachment; filename=\"a_b\"; filename*=UTF-8''a_b");
}
END_TEST

START_TEST(disposition_percent)
{
	/* %41 must not read as "A" in the fallback, nor stay raw in filename* */
	disp_is("%41;b.txt", "attachment; filename=\"_41;b.txt\"; filename*=UTF-8''%2541%3Bb.txt");
}
END_TEST

START_TEST(disposition_empty_and_small)
{
	char out[16];

	disp_is("", "attachment; filename=\"file\"; filename*=UTF-8''file");
	ck_assert_int_eq(download_disposition("report.pdf", out, sizeof(out)), -1);
}
END_TEST

START_TEST(disposition_longest_name)
{
	char name[256], out[1280];

	memset(name, 0xff, 255);
	name[255] = '\0';
	ck_assert_int_eq(download_disposition(name, out, sizeof(out)), 0);
	ck_assert_uint_eq(strlen(out), strlen("attachment; filename=\"\"; filename*=UTF-8''") +
	    255 + 3 * 255);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("download");
	TCase *tc = tcase_create("disposition");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, disposition_plain);
	tcase_add_test(tc, disposition_quotes_backslash);
	tcase_add_test(tc, disposition_crlf);
	tcase_add_test(tc, disposition_non_ascii);
	tcase_add_test(tc, disposition_separators);
	tcase_add_test(tc, disposition_percent);
	tcase_add_test(tc, disposition_empty_and_small);
	tcase_add_test(tc, disposition_longest_name);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
