/*
 * tests/unit/g527.c: the G5.27 return's content check (inspect/g527.c):
 * accepted spellings of the header, the Party, dates and counts, and the
 * hostile cases; as CSV text, and as .xlsx workbooks made at test time by
 * /usr/bin/python3 (openpyxl, as Excel-like writers make them, and zipfile
 * with hand-written XML for inline strings, ISO date cells, the 1904 date
 * system and the row limit), all in one python3 process before the tests.
 */
#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "inspect/g527.h"

static int
ok(const char *text, const char *party)
{
	char why[256] = "";
	int r = g527_check_text(text, strlen(text), party, why, sizeof(why));

	if (r == -1)
		fprintf(stderr, "  refused: %s\n", why);
	return r;
}

START_TEST(g527_accepts_the_documented_spellings)
{
	ck_assert_int_eq(ok("party,period_end,critical_capable_sms\nALPHA,2026-09-30,18250\n",
	    "ALPHA"), 0);
	ck_assert_int_eq(ok("\xef\xbb\xbfParty,Period End,Critical Capable SMS\r\n"
	    "ALPHA,2024-02-29,0\r\n\r\n", "ALPHA"), 0);
	ck_assert_int_eq(ok("PERIOD-END,note,CRITICAL_CAPABLE_SMS,Party\n"
	    "2026-03-31,\"a, b \"\"c\"\"\",7,ALPHA\nALPHA-not-used-here", "ALPHA"), -1);
	ck_assert_int_eq(ok("PERIOD-END,note,CRITICAL_CAPABLE_SMS,Party\n"
	    "2026-03-31,\"a, b \"\"c\"\"\",7,ALPHA", "ALPHA"), 0);
}
END_TEST

START_TEST(g527_refuses_what_is_not_a_return_for_its_party)
{
	static const char *bad[] = {
		"",
		"\n\n",
		"party,period_end\nALPHA,2026-09-30\n",
		"party,period_end,critical_capable_sms\n",
		"party,period_end,critical_capable_sms\nBETA,2026-09-30,1\n",
		"party,period_end,critical_capable_sms\nALPHA,2026-02-30,1\n",
		"party,period_end,critical_capable_sms\nALPHA,30/09/2026,1\n",
		"party,period_end,critical_capable_sms\nALPHA,2026-09-30,-1\n",
		"party,period_end,critical_capable_sms\nALPHA,2026-09-30,1.5\n",
		"party,period_end,critical_capable_sms\nALPHA,2026-09-30,\n",
		"party,period_end,critical_capable_sms\nALPHA,2026-09-30,1234567890123456\n",
		"party,period_end,critical_capable_sms\nALPHA,2026-09-30\n",
		"party,party,period_end,critical_capable_sms\nALPHA,ALPHA,2026-09-30,1\n",
		"party,period_end,critical_capable_sms\n\"ALPHA,2026-09-30,1\n",
		"party,period_end,critical_capable_sms\nALPHA,2026-09-30,1\nBETA,2026-09-30,1\n",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(ok(bad[i], "ALPHA") == -1, "accepted case %zu", i);
	/* offline, without a Party: the rest is still checked */
	ck_assert_int_eq(ok("party,period_end,critical_capable_sms\nALPHA,2026-09-30,1\n", NULL), 0);
	ck_assert_int_eq(ok("party,period_end,critical_capable_sms\nALPHA,2026-09-31,1\n", NULL), -1);
}
END_TEST

START_TEST(g527_skips_rows_of_empty_fields)
{
	/* as spreadsheet programs export trailing rows: ",," */
	ck_assert_int_eq(ok(",,\nparty,period_end,critical_capable_sms\r\n,,\r\n"
	    "ALPHA,2026-09-30,1\r\n,,\r\n,,\r\n", "ALPHA"), 0);
	ck_assert_int_eq(ok(",,\n,,\n", "ALPHA"), -1);
}
END_TEST

/* --- the .xlsx form --- */

static char dir[64];

/* Each workbook NAME.xlsx in DIR, made by one script (argv[1] is DIR). */
static const char py_workbooks[] =
"import sys, os, zipfile, datetime, openpyxl\n"
"D = sys.argv[1]\n"
"H = ['party', 'period_end', 'critical_capable_sms']\n"
"def op(name, rows, sheets=1, fmt=None):\n"
"    wb = openpyxl.Workbook(); ws = wb.active; ws.title = 'G5.27'\n"
"    for r in rows: ws.append(r)\n"
"    if fmt:\n"
"        for c in ws['B'][1:]: c.number_format = fmt\n"
"    for i in range(1, sheets): wb.create_sheet('Notes %d' % i).append(['a note'])\n"
"    wb.save(os.path.join(D, name + '.xlsx'))\n"
/* openpyxl: as Excel-like writers make them */
"op('strings', [['Party', 'Period End', 'Critical Capable SMS'], ['ALPHA', '2026-09-30', 18250]])\n"
"op('datecell', [H, ['ALPHA', datetime.date(2026, 9, 30), 0]])\n"
"op('datetime_midnight', [H, ['ALPHA', datetime.datetime(2026, 9, 30), 7]])\n"
"op('custom_date_format', [H, ['ALPHA', datetime.date(2024, 2, 29), 7]], fmt='dd/mm/yyyy')\n"
"op('count_as_text', [H, ['ALPHA', '2026-09-30', '18250']])\n"
"op('count_as_float', [H, ['ALPHA', '2026-09-30', 18250.0]])\n"
"op('offset_and_notes', [[], [None, 'note', 'CRITICAL-CAPABLE-SMS', 'PERIOD_END', 'Party'], [],\n"
"    [None, 'first half', 18250, '2026-03-31', 'ALPHA'], [None, None, None, None, None],\n"
"    [None, 'second half', 17, '2026-09-30', 'ALPHA']])\n"
"op('wrong_party', [H, ['BETA', '2026-09-30', 1]])\n"
"op('second_row_wrong_party', [H, ['ALPHA', '2026-09-30', 1], ['BETA', '2026-09-30', 1]])\n"
"op('missing_column', [['party', 'period_end'], ['ALPHA', '2026-09-30']])\n"
"op('column_twice', [['party', 'Party', 'period_end', 'critical_capable_sms'], ['ALPHA', 'ALPHA', '2026-09-30', 1]])\n"
"op('negative_count', [H, ['ALPHA', '2026-09-30', -3]])\n"
"op('fractional_count', [H, ['ALPHA', '2026-09-30', 1.5]])\n"
"op('huge_count', [H, ['ALPHA', '2026-09-30', 10 ** 16]])\n"
"op('boolean_count', [H, ['ALPHA', '2026-09-30', True]])\n"
"op('empty_count', [H, ['ALPHA', '2026-09-30', None]])\n"
"op('bad_date', [H, ['ALPHA', '2026-02-30', 1]])\n"
"op('slash_date', [H, ['ALPHA', '30/09/2026', 1]])\n"
"op('serial_without_format', [H, ['ALPHA', 46295, 1]])\n"
"op('datetime_not_midnight', [H, ['ALPHA', datetime.datetime(2026, 9, 30, 12, 0), 1]])\n"
"op('two_sheets', [H, ['ALPHA', '2026-09-30', 1]], sheets=2)\n"
"op('empty_sheet', [])\n"
"op('header_only', [H])\n"
"op('formula_count', [H, ['ALPHA', '2026-09-30', '=1+1']])\n"
"op('formula_note', [H + ['note'], ['ALPHA', '2026-09-30', 1, '=A2']])\n"
"wb = openpyxl.Workbook(); ws = wb.active; ws.append(H); ws.append(['ALPHA', '2026-09-30', 1])\n"
"ws.cell(row=2, column=65, value='far away'); wb.save(os.path.join(D, 'column_65.xlsx'))\n"
"op('long_cell', [H, ['ALPHA' * 30, '2026-09-30', 1]])\n"
/* zipfile, hand-written parts */
"NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'\n"
"R = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'\n"
"PR = 'http://schemas.openxmlformats.org/package/2006/relationships'\n"
"def xlsx(name, body, date1904=False, styles=None, chart=False):\n"
"    z = zipfile.ZipFile(os.path.join(D, name + '.xlsx'), 'w', zipfile.ZIP_DEFLATED)\n"
"    z.writestr('[Content_Types].xml', '<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/></Types>')\n"
"    z.writestr('_rels/.rels', '<?xml version=\"1.0\"?><Relationships xmlns=\"%s\"><Relationship Id=\"rId1\" Type=\"%s/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>' % (PR, R))\n"
"    z.writestr('xl/workbook.xml', '<?xml version=\"1.0\"?><workbook xmlns=\"%s\" xmlns:r=\"%s\">%s<sheets><sheet name=\"Return\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>' % (NS, R, '<workbookPr date1904=\"1\"/>' if date1904 else ''))\n"
"    rels = '<Relationship Id=\"rId1\" Type=\"%s/%s\" Target=\"worksheets/sheet1.xml\"/>' % (R, 'chartsheet' if chart else 'worksheet')\n"
"    if styles:\n"
"        rels += '<Relationship Id=\"rId2\" Type=\"%s/styles\" Target=\"styles.xml\"/>' % R\n"
"        z.writestr('xl/styles.xml', '<?xml version=\"1.0\"?><styleSheet xmlns=\"%s\">%s</styleSheet>' % (NS, styles))\n"
"    z.writestr('xl/_rels/workbook.xml.rels', '<?xml version=\"1.0\"?><Relationships xmlns=\"%s\">%s</Relationships>' % (PR, rels))\n"
"    z.writestr('xl/worksheets/sheet1.xml', '<?xml version=\"1.0\"?><worksheet xmlns=\"%s\"><sheetData>%s</sheetData></worksheet>' % (NS, body))\n"
"    z.close()\n"
"def s(t): return '<c t=\"inlineStr\"><is><t>%s</t></is></c>' % t\n"
"def n(v, st=None): return '<c%s><v>%s</v></c>' % ('' if st is None else ' s=\"%d\"' % st, v)\n"
"def row(*cells): return '<row>%s</row>' % ''.join(cells)\n"
"HDR = row(s('party'), s('period_end'), s('critical_capable_sms'))\n"
"xlsx('inline_iso_d', HDR + row(s('ALPHA'), '<c t=\"d\"><v>2026-09-30T00:00:00Z</v></c>', n(5)))\n"
"DATE14 = '<cellXfs count=\"2\"><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/></cellXfs>'\n"
"serial = (datetime.date(2026, 9, 30) - datetime.date(1899, 12, 30)).days\n"
"xlsx('date1904', HDR + row(s('ALPHA'), n(serial - 1462, 1), n(5)), date1904=True, styles=DATE14)\n"
"xlsx('date1900', HDR + row(s('ALPHA'), n(serial, 1), n(5)), styles=DATE14)\n"
"xlsx('chartsheet', HDR, chart=True)\n"
"xlsx('rows_65536', HDR + row(s('ALPHA'), s('2026-09-30'), n(1)) * 65536)\n"
"xlsx('rows_65537', HDR + row(s('ALPHA'), s('2026-09-30'), n(1)) * 65537)\n"
"open(os.path.join(D, 'not_a_zip.xlsx'), 'w').write('party,period_end,critical_capable_sms\\n')\n";

static void
make_workbooks(void)
{
	char cmd[128];
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/unit-g527-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -W ignore - %s", dir);
	if ((f = popen(cmd, "w")) == NULL) {
		perror("popen");
		exit(1);
	}
	fputs(py_workbooks, f);
	if (pclose(f) != 0) {
		fprintf(stderr, "g527: the python3 script that makes the workbooks failed\n");
		exit(1);
	}
}

static void
remove_workbooks(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
}

/* g527_check_xlsx of DIR/NAME.xlsx for PARTY; the reason in WHY. */
static int
xok(const char *name, const char *party, char *why, size_t whylen)
{
	struct policy pol;
	char path[256];
	struct stat st;
	int fd, r;

	memset(&pol, 0, sizeof(pol));
	pol.xml_depth = 256;
	pol.xml_part_max = 64u << 20;
	pol.archive_members = 10000;
	snprintf(path, sizeof(path), "%s/%s.xlsx", dir, name);
	fd = open(path, O_RDONLY);
	ck_assert_msg(fd >= 0, "%s", path);
	ck_assert_int_eq(fstat(fd, &st), 0);
	why[0] = '\0';
	r = g527_check_xlsx(fd, (uint64_t)st.st_size, &pol, party, why, whylen);
	close(fd);
	return r;
}

static void
accepted(const char *name)
{
	char why[256];

	ck_assert_msg(xok(name, "ALPHA", why, sizeof(why)) == 0, "%s refused: %s", name, why);
	ck_assert_msg(xok(name, NULL, why, sizeof(why)) == 0, "%s refused offline: %s", name, why);
}

/* Refused for ALPHA with a reason that says WANT. */
static void
refused(const char *name, const char *want)
{
	char why[256];

	ck_assert_msg(xok(name, "ALPHA", why, sizeof(why)) == -1, "%s accepted", name);
	ck_assert_msg(strncmp(why, "G5.27 return: ", 14) == 0 && strstr(why, want) != NULL,
	    "%s: '%s' does not say '%s'", name, why, want);
}

START_TEST(xlsx_returns_as_writers_make_them_are_accepted)
{
	static const char *const good[] = {
		"strings", "datecell", "datetime_midnight", "custom_date_format",
		"count_as_text", "count_as_float", "offset_and_notes", "inline_iso_d",
		"date1904", "date1900",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		accepted(good[i]);
}
END_TEST

START_TEST(xlsx_what_is_not_a_return_is_refused_with_the_reason)
{
	char why[256];

	refused("wrong_party", "row 2 is for another Party, not ALPHA");
	refused("second_row_wrong_party", "row 3 is for another Party");
	refused("missing_column", "no critical_capable_sms column");
	refused("column_twice", "column party twice");
	refused("negative_count", "row 2: critical_capable_sms is not a non-negative integer");
	refused("fractional_count", "not a non-negative integer");
	refused("huge_count", "not a non-negative integer");
	refused("boolean_count", "not a non-negative integer");
	refused("empty_count", "row 2 has too few fields");
	refused("bad_date", "row 2: period_end is not a date YYYY-MM-DD");
	refused("slash_date", "period_end is not a date");
	refused("serial_without_format", "period_end is a number, not a date");
	refused("datetime_not_midnight", "period_end is not a date");
	refused("two_sheets", "the workbook has 2 sheets, not one");
	refused("empty_sheet", "no header row");
	refused("header_only", "no rows after the header");
	refused("formula_count", "cell C2 is a formula");
	refused("formula_note", "cell D2 is a formula");
	refused("column_65", "row 2: more than 64 columns");
	refused("long_cell", "cell A2 is longer than 127 bytes");
	refused("chartsheet", "is not a worksheet");
	refused("not_a_zip", "zip");
	/* offline, without a Party: all but the Party */
	ck_assert_int_eq(xok("wrong_party", NULL, why, sizeof(why)), 0);
	ck_assert_int_eq(xok("bad_date", NULL, why, sizeof(why)), -1);
}
END_TEST

START_TEST(xlsx_rows_up_to_the_limit_and_not_one_more)
{
	accepted("rows_65536");
	refused("rows_65537", "more than 65536 rows");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("g527");
	TCase *tc = tcase_create("g527"), *tx = tcase_create("g527-xlsx");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, g527_accepts_the_documented_spellings);
	tcase_add_test(tc, g527_refuses_what_is_not_a_return_for_its_party);
	tcase_add_test(tc, g527_skips_rows_of_empty_fields);
	suite_add_tcase(s, tc);
	tcase_add_unchecked_fixture(tx, make_workbooks, remove_workbooks);
	tcase_set_timeout(tx, 120);
	tcase_add_test(tx, xlsx_returns_as_writers_make_them_are_accepted);
	tcase_add_test(tx, xlsx_what_is_not_a_return_is_refused_with_the_reason);
	tcase_add_test(tx, xlsx_rows_up_to_the_limit_and_not_one_more);
	suite_add_tcase(s, tx);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
