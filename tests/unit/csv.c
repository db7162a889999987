/*
 * tests/unit/csv.c: the CSV check (inspect/csv.c): RFC 4180 files from
 * spreadsheets are accepted; formula injection, bad UTF-8, NUL bytes,
 * ragged rows, broken quoting and oversized cells are rejected.
 */
#include <sys/types.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect/checks.h"

static struct policy pol = {
	.max_upload = 4ULL << 30, .archive_members = 10000, .archive_ratio = 100,
	.archive_ratio_min = 1 << 20, .archive_depth = 3, .archive_expanded = 16ULL << 30,
	.path_max = 1024, .inspect_seconds = 120, .xml_depth = 256,
	.xml_part_max = 64 << 20, .workbook_rows = 10000,
};

/* Runs csv_inspect over LEN bytes of BUF written to a temporary file. */
static int
run(const void *buf, size_t len, struct inspect_result *res)
{
	char path[] = "/tmp/unit-csv-XXXXXX";
	int fd, r;

	ck_assert_int_ge(fd = mkstemp(path), 0);
	unlink(path);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	memset(res, 0, sizeof(*res));
	res->accepted = 1;
	r = csv_inspect(fd, len, &pol, "", res);
	close(fd);
	return r;
}

static int
has(const struct inspect_result *res, const char *code)
{
	size_t i;

	for (i = 0; i < res->nfindings; i++)
		if (strcmp(res->findings[i].code, code) == 0)
			return 1;
	return 0;
}

static void
accepted(const char *s)
{
	struct inspect_result res;

	ck_assert_int_eq(run(s, strlen(s), &res), 0);
	if (res.nfindings > 0)
		ck_abort_msg("unexpected finding %s: %s", res.findings[0].code,
		    res.findings[0].detail);
	ck_assert_int_eq(res.accepted, 1);
}

static void
rejected_len(const char *s, size_t len, const char *code)
{
	struct inspect_result res;

	ck_assert_int_eq(run(s, len, &res), 0);
	ck_assert_msg(has(&res, code), "expected %s, got %zu findings%s%s", code,
	    res.nfindings, res.nfindings ? ": " : "", res.nfindings ? res.findings[0].code : "");
	ck_assert_int_eq(res.accepted, 0);
}

static void
rejected(const char *s, const char *code)
{
	rejected_len(s, strlen(s), code);
}

START_TEST(csv_accepts_crlf)
{
	accepted("party,resources,period\r\nALPHA,3,2024H1\r\nBETA,0,2024H1\r\n");
}
END_TEST

START_TEST(csv_accepts_lf_and_bom)
{
	accepted("\xEF\xBB\xBFparty,count\nALPHA,3\nBETA,4\n");
}
END_TEST

START_TEST(csv_accepts_quoted_commas_quotes_newlines)
{
	accepted("a,b\n\"x, y\",\"line1\r\nline2\"\n\"he said \"\"hi\"\"\",z\n\"\",\"\"\n");
}
END_TEST

START_TEST(csv_accepts_no_final_newline)
{
	accepted("a,b\r\n1,2");
}
END_TEST

START_TEST(csv_accepts_empty_last_field)
{
	accepted("a,b,\n1,2,\r\n3,4,");
}
END_TEST

START_TEST(csv_accepts_utf8_text)
{
	accepted("name,amount\n\xC2\xA3 sterling,\xE2\x82\xAC\n\xF0\x9D\x84\x9E clef,caf\xC3\xA9\n");
}
END_TEST

START_TEST(csv_accepts_blank_lines)
{
	accepted("a,b\n\n1,2\r\n\r\n3,4\n\n");
}
END_TEST

START_TEST(csv_accepts_formula_char_inside_cell)
{
	accepted("a,b\nx=1,y-2\n\"3+4\",e@mail\n");
}
END_TEST

static const char *const formula_cells[] = {
	"a,b\n1,=1+1\n",
	"a,b\n+cmd,2\n",
	"a,b\n1,-2+3\n",
	"a,b\n@SUM(A1),2\n",
	"a,b\n\tx,2\n",
	"a,b\n1,\"\r=1\"\n",
	"a,b\n\"=HYPERLINK(\"\"http://x\"\")\",2\n",
};

START_TEST(csv_rejects_formula_prefix)
{
	rejected(formula_cells[_i], "csv-formula");
}
END_TEST

START_TEST(csv_rejects_negative_number)
{
	/* the issue says no cell starting with '-': strictly, -5 too */
	rejected("balance\n-5\n", "csv-formula");
}
END_TEST

START_TEST(csv_rejects_formula_in_header)
{
	rejected("=cmd|' /C calc'!A0,b\n1,2\n", "csv-formula");
}
END_TEST

START_TEST(csv_rejects_nul)
{
	rejected_len("a,b\n1,\0002\n", 9, "csv-nul");
}
END_TEST

START_TEST(csv_rejects_overlong_utf8)
{
	rejected("a,b\n\xC0\xAF,2\n", "csv-utf8");
	rejected("a,b\n\xE0\x80\xAF,2\n", "csv-utf8");
	rejected("a,b\n\xF0\x80\x80\xAF,2\n", "csv-utf8");
}
END_TEST

START_TEST(csv_rejects_surrogate)
{
	rejected("a,b\n\xED\xA0\x80,2\n", "csv-utf8");
}
END_TEST

START_TEST(csv_rejects_above_u10ffff)
{
	rejected("a,b\n\xF4\x90\x80\x80,2\n", "csv-utf8");
	rejected("a,b\n\xF5\x80\x80\x80,2\n", "csv-utf8");
}
END_TEST

START_TEST(csv_rejects_latin1)
{
	rejected("name\ncaf\xE9\n", "csv-utf8");
}
END_TEST

START_TEST(csv_rejects_truncated_utf8_at_end)
{
	rejected("a,b\n1,\xE2\x82", "csv-utf8");
}
END_TEST

START_TEST(csv_rejects_column_mismatch)
{
	struct inspect_result res;
	const char *s = "a,b,c\n1,2,3\n4,5\n6,7,8,9\n";

	rejected(s, "csv-columns");
	ck_assert_int_eq(run(s, strlen(s), &res), 0);
	ck_assert_ptr_nonnull(strstr(res.findings[0].detail, "record 3"));
}
END_TEST

START_TEST(csv_rejects_unterminated_quote)
{
	rejected("a,b\n1,\"open\n", "csv-syntax");
}
END_TEST

START_TEST(csv_rejects_quote_in_unquoted_field)
{
	rejected("a,b\n1,ab\"c\n", "csv-syntax");
}
END_TEST

START_TEST(csv_rejects_text_after_closing_quote)
{
	rejected("a,b\n1,\"ab\"c\n", "csv-syntax");
}
END_TEST

START_TEST(csv_rejects_bare_cr)
{
	rejected("a,b\r1,2\r", "csv-syntax");
}
END_TEST

START_TEST(csv_rejects_long_cell)
{
	size_t n = 200 * 1024;
	char *s = malloc(n + 16);

	ck_assert_ptr_nonnull(s);
	memcpy(s, "a\n", 2);
	memset(s + 2, 'x', n);
	s[n + 2] = '\n';
	rejected_len(s, n + 3, "csv-limits");
	free(s);
}
END_TEST

START_TEST(csv_rejects_too_many_columns)
{
	size_t cols = 20000, i;
	char *s = malloc(cols * 2 + 2);

	ck_assert_ptr_nonnull(s);
	for (i = 0; i < cols; i++) {
		s[2 * i] = 'a';
		s[2 * i + 1] = ',';
	}
	s[2 * cols - 1] = '\n';
	rejected_len(s, 2 * cols, "csv-limits");
	free(s);
}
END_TEST

START_TEST(csv_rejects_empty)
{
	rejected("", "csv-empty");
	rejected("\xEF\xBB\xBF\n\n", "csv-empty");
}
END_TEST

START_TEST(csv_reports_member)
{
	struct inspect_result res;
	char path[] = "/tmp/unit-csv-XXXXXX";
	const char *s = "a\n=1\n";
	int fd;

	ck_assert_int_ge(fd = mkstemp(path), 0);
	unlink(path);
	ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	memset(&res, 0, sizeof(res));
	res.accepted = 1;
	ck_assert_int_eq(csv_inspect(fd, strlen(s), &pol, "dir/return.csv", &res), 0);
	close(fd);
	ck_assert_int_eq(res.nfindings, 1);
	ck_assert_str_eq(res.findings[0].member, "dir/return.csv");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("csv");
	TCase *tc = tcase_create("csv");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, csv_accepts_crlf);
	tcase_add_test(tc, csv_accepts_lf_and_bom);
	tcase_add_test(tc, csv_accepts_quoted_commas_quotes_newlines);
	tcase_add_test(tc, csv_accepts_no_final_newline);
	tcase_add_test(tc, csv_accepts_empty_last_field);
	tcase_add_test(tc, csv_accepts_utf8_text);
	tcase_add_test(tc, csv_accepts_blank_lines);
	tcase_add_test(tc, csv_accepts_formula_char_inside_cell);
	tcase_add_loop_test(tc, csv_rejects_formula_prefix, 0,
	    (int)(sizeof(formula_cells) / sizeof(formula_cells[0])));
	tcase_add_test(tc, csv_rejects_negative_number);
	tcase_add_test(tc, csv_rejects_formula_in_header);
	tcase_add_test(tc, csv_rejects_nul);
	tcase_add_test(tc, csv_rejects_overlong_utf8);
	tcase_add_test(tc, csv_rejects_surrogate);
	tcase_add_test(tc, csv_rejects_above_u10ffff);
	tcase_add_test(tc, csv_rejects_latin1);
	tcase_add_test(tc, csv_rejects_truncated_utf8_at_end);
	tcase_add_test(tc, csv_rejects_column_mismatch);
	tcase_add_test(tc, csv_rejects_unterminated_quote);
	tcase_add_test(tc, csv_rejects_quote_in_unquoted_field);
	tcase_add_test(tc, csv_rejects_text_after_closing_quote);
	tcase_add_test(tc, csv_rejects_bare_cr);
	tcase_add_test(tc, csv_rejects_long_cell);
	tcase_add_test(tc, csv_rejects_too_many_columns);
	tcase_add_test(tc, csv_rejects_empty);
	tcase_add_test(tc, csv_reports_member);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
