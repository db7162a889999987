/*
 * tests/unit/cmd_links.c: gateway/intake/cmd_links.c without a server: CSV
 * cells (formula injection, RFC 4180 quoting), what reaches a terminal
 * (control and bidirectional characters), the report's cells and their
 * types, the aligned table, and --index. The sources are included to reach
 * their statics; output is captured from stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "../../gateway/intake/cli.c"
#include "../../gateway/intake/cmd_links.c"
#include "../../gateway/intake/fetch.c"

/* Runs FN(ARG) with stdout captured; returns what it printed (malloc'd). */
static char *
capture(void (*fn)(const void *), const void *arg)
{
	FILE *tmp = tmpfile();
	char *out;
	off_t n;
	int saved;

	ck_assert_ptr_nonnull(tmp);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fileno(tmp), STDOUT_FILENO);
	fn(arg);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	n = lseek(fileno(tmp), 0, SEEK_END);
	ck_assert_int_ge(n, 0);
	out = calloc(1, (size_t)n + 1);
	ck_assert_int_eq(pread(fileno(tmp), out, (size_t)n, 0), n);
	fclose(tmp);
	return out;
}

static void
csv_cell(const void *s)
{
	cli_csv_cell(s);
}

static char *
csv(const char *s)
{
	return capture(csv_cell, s);
}

#define CSV_IS(in, want) do {					\
	char *got_ = csv(in);					\
	ck_assert_str_eq(got_, want);				\
	free(got_);						\
} while (0)

START_TEST(csv_leaves_plain_cells_alone)
{
	CSV_IS("EV-001", "EV-001");
	CSV_IS("access policy.pdf", "access policy.pdf");
	CSV_IS("", "");
	CSV_IS("G5.14", "G5.14");
}
END_TEST

START_TEST(csv_guards_formula_cells)
{
	CSV_IS("=HYPERLINK(\"http://evil\")", "\"'=HYPERLINK(\"\"http://evil\"\")\"");
	CSV_IS("+1", "'+1");
	CSV_IS("-2+3", "'-2+3");
	CSV_IS("@SUM(A1)", "'@SUM(A1)");
	CSV_IS("\t=1", "'\t=1");
	CSV_IS("a=1", "a=1");
}
END_TEST

START_TEST(csv_quotes_separators_quotes_and_edges)
{
	CSV_IS("a,b", "\"a,b\"");
	CSV_IS("say \"hi\"", "\"say \"\"hi\"\"\"");
	CSV_IS("line\nbreak", "\"line\nbreak\"");
	CSV_IS(" lead", "\" lead\"");
	CSV_IS("trail ", "\"trail \"");
	CSV_IS("=a,b", "\"'=a,b\"");
}
END_TEST

START_TEST(clean_makes_values_printable)
{
	char *s;

	s = report_clean("ok\x1b[2Jname\r\n.pdf");
	ck_assert_ptr_null(strpbrk(s, "\x1b\r\n"));
	free(s);
	s = report_clean("evil\xe2\x80\xae" "fdp.exe");  /* RIGHT-TO-LEFT OVERRIDE */
	ck_assert_ptr_null(strstr(s, "\xe2\x80\xae"));
	free(s);
	s = report_clean("bad \xff\xfe utf-8");
	ck_assert_ptr_null(strchr(s, '\xff'));
	free(s);
	s = report_clean("caf\xc3\xa9");
	ck_assert_str_eq(s, "caf\xc3\xa9");
	free(s);
	s = report_clean(NULL);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(cells_accept_strings_integers_and_absence_only)
{
	json_t *o = json_pack("{s:s, s:i, s:n, s:b, s:f, s:[], s:i}", "ref", "EV-1",
	    "receipt", 12, "gone", "flag", 1, "real", 1.5, "list", "neg", -3);
	char *c;

	ck_assert_int_eq(report_cell(o, "ref", &c), 0);
	ck_assert_str_eq(c, "EV-1");
	free(c);
	ck_assert_int_eq(report_cell(o, "receipt", &c), 0);
	ck_assert_str_eq(c, "12");
	free(c);
	ck_assert_int_eq(report_cell(o, "gone", &c), 0);
	ck_assert_str_eq(c, "");
	free(c);
	ck_assert_int_eq(report_cell(o, "absent", &c), 0);
	ck_assert_str_eq(c, "");
	free(c);
	ck_assert_int_eq(report_cell(o, "flag", &c), -1);
	ck_assert_int_eq(report_cell(o, "real", &c), -1);
	ck_assert_int_eq(report_cell(o, "list", &c), -1);
	ck_assert_int_eq(report_cell(o, "neg", &c), -1);
	json_decref(o);
}
END_TEST

START_TEST(table_rejects_rows_that_are_not_objects)
{
	struct report_table t = { 0 };
	json_t *j = json_string("x");

	ck_assert_int_eq(report_table_add(&t, j, 0), -1);
	json_decref(j);
	j = json_pack("{s:s, s:{}}", "ref", "EV-1", "status", "received");
	ck_assert_int_eq(report_table_add(&t, j, 0), -1);
	json_decref(j);
	report_table_free(&t);
}
END_TEST

static const struct report_table *print_t;

static void
print_refs(const void *arg)
{
	static const int cols[] = { COL_REF, COL_STATUS, COL_FILE, COL_OBL, COL_RECEIPT, COL_SHA };

	(void)arg;
	report_print_table(print_t, cols, LINKS_NCOLS, report_head);
}

START_TEST(table_aligns_truncates_and_shortens_sha256)
{
	struct report_table t = { 0 };
	json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s}", "ref", "EV-001", "status",
	    "received", "filename", "a.pdf", "obligation", "G5.14", "receipt", 12, "sha256",
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	json_t *b = json_pack("{s:s, s:s, s:s}", "ref", "EV-002", "status", "missing",
	    "filename", "a-very-long-file-name-that-goes-on-and-on-and-on.pdf");
	char *out, *l1, *l2, *l3;

	ck_assert_int_eq(report_table_add(&t, a, 0), 0);
	ck_assert_int_eq(report_table_add(&t, b, 0), 0);
	print_t = &t;
	out = capture(print_refs, NULL);
	l1 = strtok(out, "\n");
	l2 = strtok(NULL, "\n");
	l3 = strtok(NULL, "\n");
	ck_assert_ptr_nonnull(l3);
	ck_assert_ptr_nonnull(strstr(l2, " 0123456789ab"));
	ck_assert_ptr_null(strstr(l2, "0123456789abc"));
	ck_assert_int_eq(strstr(l1, "STATUS") - l1, strstr(l2, "received") - l2);
	ck_assert_int_eq(strstr(l1, "STATUS") - l1, strstr(l3, "missing") - l3);
	ck_assert_int_eq(strstr(l1, "RECEIPT") - l1, strstr(l2, "12") - l2);
	ck_assert_ptr_nonnull(strstr(l3, "a-very-long-file-name-that-goes-on-an..."));
	ck_assert_int_eq(l3[strlen(l3) - 1], '.');  /* no padding after the last cell */
	free(out);
	json_decref(a);
	json_decref(b);
	report_table_free(&t);
}
END_TEST

START_TEST(index_must_be_canonical)
{
	uint64_t v;

	ck_assert_int_eq(report_index("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(report_index("9223372036854775807", &v), 0);
	ck_assert_int_eq(report_index("9223372036854775808", &v), -1);
	ck_assert_int_eq(report_index("01", &v), -1);
	ck_assert_int_eq(report_index("-1", &v), -1);
	ck_assert_int_eq(report_index("+1", &v), -1);
	ck_assert_int_eq(report_index("1 ", &v), -1);
	ck_assert_int_eq(report_index("", &v), -1);
	ck_assert_int_eq(report_index("1/../2", &v), -1);
}
END_TEST

static Suite *
cmd_links_suite(void)
{
	Suite *s = suite_create("cmd_links");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, csv_leaves_plain_cells_alone);
	tcase_add_test(tc, csv_guards_formula_cells);
	tcase_add_test(tc, csv_quotes_separators_quotes_and_edges);
	tcase_add_test(tc, clean_makes_values_printable);
	tcase_add_test(tc, cells_accept_strings_integers_and_absence_only);
	tcase_add_test(tc, table_rejects_rows_that_are_not_objects);
	tcase_add_test(tc, table_aligns_truncates_and_shortens_sha256);
	tcase_add_test(tc, index_must_be_canonical);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cmd_links_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
