/*
 * tests/unit/csv.c: the CSV check (inspect/csv.c): RFC 4180 files from
 * spreadsheets are accepted; formula injection, bad UTF-8, NUL bytes,
 * ragged rows, broken quoting and oversized cells are rejected.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <check.h>
#include <fcntl.h>
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
	"a,b\n\t=1,2\n",
	"a,b\n\" @SUM(1)\",2\n",
	"a,b\n-,2\n",
	"a,b\n+1-1,2\n",
	"a,b\n\"-1,23\",2\n",
	"a,b\n\"-1234,567\",2\n",
	"a,b\n-1e,2\n",
	"a,b\n-1.5E3.2,2\n",
	"a,b\n- 5,2\n",
	"a,b\n-0x1F,2\n",
	"a,b\n1,\"\r=1\"\n",
	"a,b\n\"=HYPERLINK(\"\"http://x\"\")\",2\n",
};

START_TEST(csv_rejects_formula_prefix)
{
	rejected(formula_cells[_i], "csv-formula");
}
END_TEST

START_TEST(csv_accepts_signed_numbers)
{
	/* a sign followed by one complete number is data, not a formula */
	accepted("n\n-5\n+7\n-12.5\n-.5\n5.\n-5.\n-1.5E3\n-1e-3\n+2E+10\n-5%\n"
	    "\"-1,234.5\"\n\"-1,234,567\"\n\" -3\"\n-0\n");
}
END_TEST

START_TEST(csv_accepts_leading_tab_before_plain_text)
{
	accepted("a,b\n\tx,2\n\"\r\nnote\",3\n");
}
END_TEST

START_TEST(csv_rejects_sign_cell_longer_than_what_is_checked)
{
	char buf[256];

	/* a number's digits go on past CSV_HEAD_MAX: not judged, flagged */
	snprintf(buf, sizeof(buf), "n\n-%0100d\n", 1);
	rejected(buf, "csv-formula");
}
END_TEST

/* ---- real exports (tests/unit/data/csv/mk_exports.py) ---- */

static char xdir[64];   /* the exports, made once in the runner (no fork) */
static int  py_ok;      /* mk_exports.py ran */
static int  lo_ok;      /* LibreOffice converted the .xlsx files */

#define N_INJECTIONS 8  /* INJECTIONS in mk_exports.py */

/* Unchecked fixture: writes the exports and LibreOffice's CSVs of them.
 * Missing soffice or openpyxl only skips the LibreOffice cases. */
static void
exports_setup(void)
{
	char cmd[2048], probe[256];
	size_t n;
	int i;

	snprintf(xdir, sizeof(xdir), "/tmp/unit-csv-x-XXXXXX");
	if (mkdtemp(xdir) == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "timeout 60 /usr/bin/python3 "
	    "'%s/tests/unit/data/csv/mk_exports.py' '%s'", SRCDIR, xdir);
	py_ok = system(cmd) == 0;
	snprintf(probe, sizeof(probe), "%s/numbers.xlsx", xdir);
	if (!py_ok || access(probe, R_OK) != 0 ||
	    system("command -v soffice >/dev/null 2>&1") != 0) {
		fprintf(stderr, "csv: soffice or openpyxl missing: LibreOffice exports skipped\n");
		lo_ok = -1;
		return;
	}
	/* "as shown" (the ninth token): thousands separators, '+', exponents */
	n = (size_t)snprintf(cmd, sizeof(cmd), "cd '%s' && timeout 300 soffice "
	    "-env:UserInstallation=file://%s/profile --headless --convert-to "
	    "'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true' --outdir lo "
	    "numbers.xlsx", xdir, xdir);
	for (i = 0; i < N_INJECTIONS; i++)
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, " formula-%d.xlsx", i);
	snprintf(cmd + n, sizeof(cmd) - n, " >/dev/null 2>&1");
	lo_ok = system(cmd) == 0;
}

static void
exports_teardown(void)
{
	char cmd[128];

	if (strncmp(xdir, "/tmp/unit-csv-x-", 16) == 0 && strchr(xdir, '\'') == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", xdir);
		if (system(cmd) != 0)
			fprintf(stderr, "csv: cannot remove %s\n", xdir);
	}
}

/* csv_inspect over the file at PATH. */
static void
run_file(const char *path, struct inspect_result *res)
{
	struct stat st;
	int fd;

	ck_assert_msg((fd = open(path, O_RDONLY)) >= 0, "%s", path);
	ck_assert_int_eq(fstat(fd, &st), 0);
	memset(res, 0, sizeof(*res));
	res->accepted = 1;
	ck_assert_int_eq(csv_inspect(fd, (uint64_t)st.st_size, &pol, "", res), 0);
	close(fd);
}

START_TEST(csv_python_export_of_signed_numbers_is_accepted)
{
	struct inspect_result res;
	char path[256];

	ck_assert_msg(py_ok, "mk_exports.py failed");
	snprintf(path, sizeof(path), "%s/python-numbers.csv", xdir);
	run_file(path, &res);
	ck_assert_msg(res.accepted && res.nfindings == 0, "%s: %s", path,
	    res.nfindings ? res.findings[0].detail : "");
}
END_TEST

START_TEST(csv_python_export_of_a_formula_injection_is_rejected)
{
	struct inspect_result res;
	char path[256];

	ck_assert_msg(py_ok, "mk_exports.py failed");
	snprintf(path, sizeof(path), "%s/python-formula-%d.csv", xdir, _i);
	run_file(path, &res);
	ck_assert_msg(!res.accepted && has(&res, "csv-formula"), "%s accepted", path);
}
END_TEST

START_TEST(csv_libreoffice_export_of_signed_numbers_is_accepted)
{
	struct inspect_result res;
	char path[256], text[512] = "";
	FILE *f;

	if (lo_ok == -1)
		return;                           /* skipped: said so in the fixture */
	ck_assert_msg(lo_ok, "soffice --convert-to csv failed");
	snprintf(path, sizeof(path), "%s/lo/numbers.csv", xdir);
	/* as shown: the thousands separators, the '+' and the exponent are there */
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	ck_assert_uint_gt(fread(text, 1, sizeof(text) - 1, f), 0);
	fclose(f);
	ck_assert_msg(strstr(text, "\"-1,500.25\"") && strstr(text, "+7") &&
	    strstr(text, "-1.50E+03") && strstr(text, "-12.5"), "%s", text);
	run_file(path, &res);
	ck_assert_msg(res.accepted && res.nfindings == 0, "%s: %s", path,
	    res.nfindings ? res.findings[0].detail : "");
}
END_TEST

START_TEST(csv_libreoffice_export_of_a_formula_injection_is_rejected)
{
	struct inspect_result res;
	char path[256];

	if (lo_ok == -1)
		return;                           /* skipped: said so in the fixture */
	ck_assert_msg(lo_ok, "soffice --convert-to csv failed");
	snprintf(path, sizeof(path), "%s/lo/formula-%d.csv", xdir, _i);
	run_file(path, &res);
	ck_assert_msg(!res.accepted && has(&res, "csv-formula"), "%s accepted", path);
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
	tcase_add_test(tc, csv_accepts_signed_numbers);
	tcase_add_test(tc, csv_accepts_leading_tab_before_plain_text);
	tcase_add_test(tc, csv_rejects_sign_cell_longer_than_what_is_checked);
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

	/* real exports: one fixture directory for the whole case (no fork
	 * between tests would share it otherwise) */
	tc = tcase_create("exports");
	tcase_set_timeout(tc, 600);
	tcase_add_unchecked_fixture(tc, exports_setup, exports_teardown);
	tcase_add_test(tc, csv_python_export_of_signed_numbers_is_accepted);
	tcase_add_loop_test(tc, csv_python_export_of_a_formula_injection_is_rejected, 0,
	    N_INJECTIONS);
	tcase_add_test(tc, csv_libreoffice_export_of_signed_numbers_is_accepted);
	tcase_add_loop_test(tc, csv_libreoffice_export_of_a_formula_injection_is_rejected, 0,
	    N_INJECTIONS);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
