/*
 * tests/unit/workbook.c: inspect/workbook.c on workbooks made at test time
 * by /usr/bin/python3: openpyxl for what Excel-like writers produce, and
 * zipfile with hand-written XML for inline strings, rich text and hostile
 * parts; LibreOffice too when soffice is installed. Each test's workbooks
 * are made by the mk_ script above it; all of them run in one python3
 * process before the tests (make_workbooks), to keep the run short.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "common/config.h"
#include "inspect/workbook.h"

static char dir[64];
static struct policy pol;

/* Helpers every script may use: xlsx() writes a package from sheet bodies,
 * istr/sstr/num/cell make cells, sst() a sharedStrings part. */
static const char py_prelude[] =
"import sys, os, zipfile\n"
"from xml.sax.saxutils import escape as esc, quoteattr\n"
"D = sys.argv[1]\n"
"NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'\n"
"R = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'\n"
"PR = 'http://schemas.openxmlformats.org/package/2006/relationships'\n"
"def xlsx(name, sheets, sst=None, styles=None, date1904=False, extra=(), tprefix='worksheets/', ssttarget='sharedStrings.xml', dup=None):\n"
"    z = zipfile.ZipFile(os.path.join(D, name), 'w', zipfile.ZIP_DEFLATED)\n"
"    z.writestr('[Content_Types].xml', '<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/></Types>')\n"
"    z.writestr('_rels/.rels', '<?xml version=\"1.0\"?><Relationships xmlns=\"%s\"><Relationship Id=\"rId1\" Type=\"%s/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>' % (PR, R))\n"
"    wb = '<?xml version=\"1.0\"?><workbook xmlns=\"%s\" xmlns:r=\"%s\">' % (NS, R)\n"
"    if date1904: wb += '<workbookPr date1904=\"1\"/>'\n"
"    wb += '<sheets>' + ''.join('<sheet name=%s sheetId=\"%d\" r:id=\"rId%d\"/>' % (quoteattr(n), i + 1, i + 1) for i, (n, _) in enumerate(sheets)) + '</sheets></workbook>'\n"
"    rels = '<?xml version=\"1.0\"?><Relationships xmlns=\"%s\">' % PR\n"
"    for i, (n, body) in enumerate(sheets):\n"
"        rels += '<Relationship Id=\"rId%d\" Type=\"%s/worksheet\" Target=\"%ssheet%d.xml\"/>' % (i + 1, R, tprefix, i + 1)\n"
"        z.writestr('xl/worksheets/sheet%d.xml' % (i + 1), body if body.startswith('<?xml') else '<?xml version=\"1.0\"?><worksheet xmlns=\"%s\"><sheetData>%s</sheetData></worksheet>' % (NS, body))\n"
"    if sst is not None:\n"
"        rels += '<Relationship Id=\"rIdS\" Type=\"%s/sharedStrings\" Target=\"%s\"/>' % (R, ssttarget)\n"
"        z.writestr('xl/sharedStrings.xml', sst)\n"
"    if styles is not None:\n"
"        rels += '<Relationship Id=\"rIdT\" Type=\"%s/styles\" Target=\"styles.xml\"/>' % R\n"
"        z.writestr('xl/styles.xml', styles)\n"
"    z.writestr('xl/workbook.xml', wb)\n"
"    z.writestr('xl/_rels/workbook.xml.rels', rels + '</Relationships>')\n"
"    for p, c in extra: z.writestr(p, c)\n"
"    z.close()\n"
"def istr(ref, text): return '<c r=\"%s\" t=\"inlineStr\"><is><t>%s</t></is></c>' % (ref, esc(text))\n"
"def sstr(ref, i): return '<c r=\"%s\" t=\"s\"><v>%d</v></c>' % (ref, i)\n"
"def num(ref, v, s=None): return '<c r=\"%s\"%s><v>%s</v></c>' % (ref, '' if s is None else ' s=\"%d\"' % s, v)\n"
"def row(r, *cells): return '<row r=\"%d\">%s</row>' % (r, ''.join(cells))\n"
"def sst(*items): return '<?xml version=\"1.0\"?><sst xmlns=\"%s\">%s</sst>' % (NS, ''.join('<si>%s</si>' % (i if i.startswith('<') else '<t>%s</t>' % esc(i)) for i in items))\n"
"HDR = row(1, istr('A1', 'Evidence Ref'), istr('B1', 'File Name'))\n";

/* The policy as the default one says; a test may change it. */
static void
setup(void)
{
	memset(&pol, 0, sizeof(pol));
	pol.workbook_rows = 10000;
	pol.xml_depth = 256;
	pol.xml_part_max = 64u << 20;
	pol.archive_members = 10000;
}

/* workbook_read on DIR/NAME. */
static int
readwb(const char *name, struct workbook_refs **out, char *why, size_t whylen)
{
	char path[256];
	struct stat st;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	rc = workbook_read(fd, (uint64_t)st.st_size, &pol, out, why, whylen);
	close(fd);
	return rc;
}

/* Reads NAME expecting success; returns the rows. */
static struct workbook_refs *
must_read(const char *name)
{
	struct workbook_refs *w = NULL;
	char why[256];
	int rc = readwb(name, &w, why, sizeof(why));

	ck_assert_msg(rc == 0, "%s: rc %d: %s", name, rc, why);
	ck_assert_ptr_nonnull(w);
	return w;
}

/* Reads NAME expecting failure whose reason contains WANT. */
static void
must_fail(const char *name, const char *want)
{
	struct workbook_refs *w = NULL;
	char why[256];
	int rc = readwb(name, &w, why, sizeof(why));

	ck_assert_msg(rc == -1, "%s: rc %d (%s), expected an error", name, rc, why);
	ck_assert_ptr_null(w);
	ck_assert_msg(strstr(why, want) != NULL, "%s: '%s' does not say '%s'", name, why, want);
}

static const char mk_conformance_layout_title_blank_header_in_row_3[] =
    "import openpyxl\n"
    "wb = openpyxl.Workbook(); ws = wb.active; ws.title = 'Cover'\n"
    "ws.append(['Validation Workbook', 'Alpha Energy Ltd'])\n"
    "t = wb.create_sheet('Evidence References')\n"
    "t.append(['Additional evidence uploaded in support of this workbook']); t.append([])\n"
    "t.append(['Description', 'SEC Obligation', 'File Name', 'Evidence Ref', 'SHA-256'])\n"
    "t.append(['Access control policy', 'G5.14', 'access-policy.pdf', 'EV-001', None])\n"
    "t.append(['Firewall review', 'G5.17', 'fw-review.txt', 'EV-002', 'AB' * 32])\n"
    "t.append(['Network diagram', 'G5.2', 'network.txt', 'EV-003', None])\n"
    "t.append(['Letter of intent', 'G3.17', 'loi.pdf', 'EV-004', None])\n"
    "wb.save(D + '/w.xlsx')\n";

START_TEST(conformance_layout_title_blank_header_in_row_3)
{
	struct workbook_refs *w;

	w = must_read("w.xlsx");
	ck_assert_str_eq(w->tab, "Evidence References");
	ck_assert_uint_eq(w->n, 4);
	ck_assert_str_eq(w->v[0].ref, "EV-001");
	ck_assert_str_eq(w->v[0].filename, "access-policy.pdf");
	ck_assert_str_eq(w->v[0].obligation, "G5.14");
	ck_assert_str_eq(w->v[0].description, "Access control policy");
	ck_assert_str_eq(w->v[0].sha256, "");
	ck_assert_str_eq(w->v[1].sha256,
	    "abababababababababababababababababababababababababababababababab");
	ck_assert_str_eq(w->v[3].ref, "EV-004");
	ck_assert_str_eq(w->v[3].filename, "loi.pdf");
	workbook_refs_free(w);
}
END_TEST

/* hN.xlsx: the header in row N (cells written by openpyxl at that row). */
static const char mk_header_rows[] =
    "import openpyxl\n"
    "for n in (1, 3, 20, 21):\n"
    "    wb = openpyxl.Workbook(); ws = wb.active; ws.title = 'Evidence'\n"
    "    ws.cell(row=1, column=5, value='a note that is not a header')\n"
    "    ws.cell(row=n, column=1, value='Evidence Ref'); ws.cell(row=n, column=2, value='File Name')\n"
    "    ws.cell(row=n + 1, column=1, value='EV-9'); ws.cell(row=n + 1, column=2, value='nine.pdf')\n"
    "    wb.save(D + '/h%d.xlsx' % n)\n";

static int
header_at(int n, struct workbook_refs **w, char *why, size_t whylen)
{
	char name[32];

	snprintf(name, sizeof(name), "h%d.xlsx", n);
	return readwb(name, w, why, whylen);
}

START_TEST(header_found_in_rows_1_3_and_20)
{
	static const int rows[] = { 1, 3, 20 };

	for (size_t i = 0; i < 3; i++) {
		struct workbook_refs *w = NULL;
		char why[256];

		ck_assert_msg(header_at(rows[i], &w, why, sizeof(why)) == 0, "row %d: %s", rows[i], why);
		ck_assert_uint_eq(w->n, 1);
		ck_assert_str_eq(w->v[0].ref, "EV-9");
		ck_assert_str_eq(w->v[0].filename, "nine.pdf");
		workbook_refs_free(w);
	}
}
END_TEST

START_TEST(header_in_row_21_is_not_found)
{
	struct workbook_refs *w = NULL;
	char why[256];

	ck_assert_int_eq(header_at(21, &w, why, sizeof(why)), 1);
	ck_assert_ptr_nonnull(w);
	ck_assert_uint_eq(w->n, 0);
	ck_assert_str_eq(w->tab, "");
	ck_assert_ptr_nonnull(strstr(why, "evidence-reference"));
	workbook_refs_free(w);
}
END_TEST

static const char mk_columns_in_any_order_with_synonyms_case_and_spaces[] =
    "import openpyxl\n"
    "wb = openpyxl.Workbook(); ws = wb.active; ws.title = 'Additional Evidence'\n"
    "ws.append(['HASH', 'Notes', ' clause ', 'DOCUMENT', 'description', '  evidence   REFERENCE '])\n"
    "ws.append(['0' * 64, 'x', 'G5.2', 'd.pdf', 'a doc', 'R-1'])\n"
    "wb.save(D + '/o.xlsx')\n"
    "wb = openpyxl.Workbook(); ws = wb.active; ws.title = 'Evidence'\n"
    "ws.append(['Ref', 'Filename', 'SHA256', 'Obligation'])\n"
    "ws.append(['R-2', 'e.pdf', None, 'G3.17'])\n"
    "wb.save(D + '/p.xlsx')\n";

START_TEST(columns_in_any_order_with_synonyms_case_and_spaces)
{
	struct workbook_refs *w;

	w = must_read("o.xlsx");
	ck_assert_str_eq(w->tab, "Additional Evidence");
	ck_assert_uint_eq(w->n, 1);
	ck_assert_str_eq(w->v[0].ref, "R-1");
	ck_assert_str_eq(w->v[0].filename, "d.pdf");
	ck_assert_str_eq(w->v[0].obligation, "G5.2");
	ck_assert_str_eq(w->v[0].description, "a doc");
	ck_assert_uint_eq(strlen(w->v[0].sha256), 64);
	workbook_refs_free(w);
	w = must_read("p.xlsx");
	ck_assert_str_eq(w->v[0].ref, "R-2");
	ck_assert_str_eq(w->v[0].filename, "e.pdf");
	ck_assert_str_eq(w->v[0].obligation, "G3.17");
	workbook_refs_free(w);
}
END_TEST

static const char mk_extra_sheets_before_the_tab[] =
    "import openpyxl\n"
    "wb = openpyxl.Workbook(); ws = wb.active; ws.title = 'Cover'\n"
    "ws.append(['Reference', 'File'])\n"    /* a header, but not the named tab */
    "ws.append(['WRONG', 'wrong.pdf'])\n"
    "wb.create_sheet('Instructions').append(['Fill in the tab'])\n"
    "t = wb.create_sheet('evidence references')\n"
    "t.append(['Evidence Ref', 'File Name']); t.append(['EV-1', 'one.pdf'])\n"
    "wb.save(D + '/x.xlsx')\n";

START_TEST(extra_sheets_before_the_tab)
{
	struct workbook_refs *w;

	w = must_read("x.xlsx");
	ck_assert_str_eq(w->tab, "evidence references");
	ck_assert_uint_eq(w->n, 1);
	ck_assert_str_eq(w->v[0].ref, "EV-1");
	workbook_refs_free(w);
}
END_TEST

static const char mk_named_tabs_tried_in_list_order[] =
    "import openpyxl\n"
    "wb = openpyxl.Workbook(); ws = wb.active; ws.title = 'Evidence'\n"
    "ws.append(['Ref', 'File']); ws.append(['E-1', 'e.pdf'])\n"
    "t = wb.create_sheet('Evidence References')\n"
    "t.append(['Ref', 'File']); t.append(['ER-1', 'er.pdf'])\n"
    "wb.save(D + '/n.xlsx')\n";

START_TEST(named_tabs_tried_in_list_order)
{
	struct workbook_refs *w;

	w = must_read("n.xlsx");
	ck_assert_str_eq(w->tab, "Evidence References");
	ck_assert_str_eq(w->v[0].ref, "ER-1");
	workbook_refs_free(w);
}
END_TEST

static const char mk_tab_found_only_by_its_header[] =
    "import openpyxl\n"
    "wb = openpyxl.Workbook(); ws = wb.active; ws.title = 'Sheet1'\n"
    "ws.append(['Nothing here', 'either'])\n"
    "t = wb.create_sheet('Sheet2')\n"
    "t.append(['Intro']); t.append(['File Name', 'Evidence Ref'])\n"
    "t.append(['a.pdf', 'EV-A'])\n"
    "wb.save(D + '/s.xlsx')\n";

START_TEST(tab_found_only_by_its_header)
{
	struct workbook_refs *w;

	w = must_read("s.xlsx");
	ck_assert_str_eq(w->tab, "Sheet2");
	ck_assert_uint_eq(w->n, 1);
	ck_assert_str_eq(w->v[0].ref, "EV-A");
	ck_assert_str_eq(w->v[0].filename, "a.pdf");
	workbook_refs_free(w);
}
END_TEST

static const char mk_numbers_and_dates_as_displayed_text[] =
    "import openpyxl, datetime\n"
    "wb = openpyxl.Workbook(); ws = wb.active; ws.title = 'Evidence'\n"
    "ws.append(['Ref', 'File', 'Description', 'Obligation'])\n"
    "ws.append([1, 'a.pdf', datetime.date(2024, 3, 1), 2.5])\n"
    "ws.append([2.0, 'b.pdf', datetime.datetime(2023, 12, 31, 13, 45), -7])\n"
    "ws.append([12345678901234, 'c.pdf', True, 0.1])\n"
    "c = ws.cell(row=5, column=1, value=45000); c.number_format = 'dd/mm/yyyy'\n"
    "ws.cell(row=5, column=3, value=1e20)\n"
    "wb.save(D + '/num.xlsx')\n";

START_TEST(numbers_and_dates_as_displayed_text)
{
	struct workbook_refs *w;

	w = must_read("num.xlsx");
	ck_assert_uint_eq(w->n, 4);
	ck_assert_str_eq(w->v[0].ref, "1");
	ck_assert_str_eq(w->v[0].description, "2024-03-01");
	ck_assert_str_eq(w->v[0].obligation, "2.5");
	ck_assert_str_eq(w->v[1].ref, "2");
	ck_assert_str_eq(w->v[1].description, "2023-12-31 13:45");
	ck_assert_str_eq(w->v[1].obligation, "-7");
	ck_assert_str_eq(w->v[2].ref, "12345678901234");
	ck_assert_str_eq(w->v[2].description, "TRUE");
	ck_assert_str_eq(w->v[2].obligation, "0.1");
	/* serial 45000 in a custom date format is 2023-03-15 */
	ck_assert_str_eq(w->v[3].ref, "2023-03-15");
	ck_assert_str_eq(w->v[3].description, "1e+20");
	workbook_refs_free(w);
}
END_TEST

static const char mk_date1904_and_builtin_formats[] =
    "st = '<?xml version=\"1.0\"?><styleSheet xmlns=\"%s\"><cellXfs count=\"4\"><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/><xf numFmtId=\"20\"/><xf numFmtId=\"49\"/></cellXfs></styleSheet>' % NS\n"
    "body = HDR + row(2, num('A2', 0, 1), istr('B2', 'a')) + row(3, num('A3', '0.5', 2), istr('B3', 'b')) + row(4, num('A4', '60', 1), istr('B4', 'c'))\n"
    "xlsx('d1904.xlsx', [('Evidence', body)], styles=st, date1904=True)\n"
    "xlsx('d1900.xlsx', [('Evidence', body)], styles=st)\n";

START_TEST(date1904_and_builtin_formats)
{
	struct workbook_refs *w;

	w = must_read("d1904.xlsx");
	ck_assert_str_eq(w->v[0].ref, "1904-01-01");
	ck_assert_str_eq(w->v[1].ref, "12:00");
	workbook_refs_free(w);
	w = must_read("d1900.xlsx");
	ck_assert_str_eq(w->v[2].ref, "1900-02-29");   /* Excel's own leap day */
	workbook_refs_free(w);
}
END_TEST

static const char mk_inline_strings_rich_text_and_escapes[] =
    "rich = '<c r=\"A2\" t=\"inlineStr\"><is><r><rPr><b/></rPr><t>EV-</t></r><r><t xml:space=\"preserve\">00</t></r><r><t>1</t></r><rPh><t>PHONETIC</t></rPh></is></c>'\n"
    "body = HDR + row(2, rich, istr('B2', 'line_x000D_break.pdf'))\n"
    "xlsx('in.xlsx', [('Evidence', body)])\n";

START_TEST(inline_strings_rich_text_and_escapes)
{
	struct workbook_refs *w;

	w = must_read("in.xlsx");
	ck_assert_uint_eq(w->n, 1);
	ck_assert_str_eq(w->v[0].ref, "EV-001");
	/* _x000D_ is a carriage return, which becomes a space */
	ck_assert_str_eq(w->v[0].filename, "line break.pdf");
	workbook_refs_free(w);
}
END_TEST

static const char mk_shared_strings_with_runs_and_phonetics[] =
    "s = sst('Evidence Ref', 'File Name', '<r><t>EV-</t></r><r><rPr/><t>77</t></r><rPh sb=\"0\" eb=\"1\"><t>X</t></rPh>', '  padded.pdf\\t')\n"
    "body = row(1, sstr('A1', 0), sstr('B1', 1)) + row(2, sstr('A2', 2), sstr('B2', 3))\n"
    "xlsx('ss.xlsx', [('Evidence', body)], sst=s)\n";

START_TEST(shared_strings_with_runs_and_phonetics)
{
	struct workbook_refs *w;

	w = must_read("ss.xlsx");
	ck_assert_uint_eq(w->n, 1);
	ck_assert_str_eq(w->v[0].ref, "EV-77");
	ck_assert_str_eq(w->v[0].filename, "padded.pdf");
	workbook_refs_free(w);
}
END_TEST

static const char mk_cell_references_with_gaps_and_missing_r[] =
    "hdr = row(2, istr('C2', 'File Name'), istr('E2', 'Evidence Ref'))\n"
    /* row 4: cells without r follow the previous one: C4 then D4 then E4 */
    "r4 = '<row r=\"4\"><c r=\"C4\" t=\"inlineStr\"><is><t>four.pdf</t></is></c><c t=\"inlineStr\"><is><t>skip</t></is></c><c t=\"inlineStr\"><is><t>EV-4</t></is></c></row>'\n"
    /* a row without r is the next row */
    "r5 = '<row><c r=\"E5\" t=\"inlineStr\"><is><t>EV-5</t></is></c></row>'\n"
    "r9 = row(9, istr('A9', 'no reference here'), istr('C9', 'nine.pdf'))\n"
    "r12 = row(12, istr('C12', 'twelve.pdf'), istr('E12', 'EV-12'))\n"
    /* the header repeated further down is not a reference */
    "r30 = row(30, istr('C30', 'FILE NAME'), istr('E30', 'evidence ref'))\n"
    "xlsx('g.xlsx', [('Data', hdr + r4 + r5 + r9 + r12 + r30)], tprefix='/xl/worksheets/')\n";

START_TEST(cell_references_with_gaps_and_missing_r_and_repeated_header)
{
	struct workbook_refs *w;

	w = must_read("g.xlsx");
	ck_assert_str_eq(w->tab, "Data");
	ck_assert_uint_eq(w->n, 3);
	ck_assert_str_eq(w->v[0].ref, "EV-4");
	ck_assert_str_eq(w->v[0].filename, "four.pdf");
	ck_assert_str_eq(w->v[1].ref, "EV-5");
	ck_assert_str_eq(w->v[1].filename, "");
	ck_assert_str_eq(w->v[2].ref, "EV-12");
	ck_assert_str_eq(w->v[2].filename, "twelve.pdf");
	workbook_refs_free(w);
}
END_TEST

static const char mk_malformed_hash_kept_but_never_a_hash[] =
    "import openpyxl\n"
    "wb = openpyxl.Workbook(); ws = wb.active; ws.title = 'Evidence'\n"
    "ws.append(['Ref', 'File', 'SHA-256'])\n"
    "ws.append(['A', 'a', 'not a hash'])\n"
    "ws.append(['B', 'b', 'ab' * 35])\n"
    "ws.append(['C', 'c', ' ' + 'CD' * 32 + ' '])\n"
    "wb.save(D + '/hash.xlsx')\n";

START_TEST(malformed_hash_kept_but_never_a_hash)
{
	struct workbook_refs *w;

	w = must_read("hash.xlsx");
	ck_assert_str_eq(w->v[0].sha256, "not a hash");
	ck_assert_uint_lt(strlen(w->v[1].sha256), 64);
	ck_assert_str_eq(w->v[2].sha256,
	    "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd");
	workbook_refs_free(w);
}
END_TEST

static const char mk_ten_thousand_rows_parse[] =
    "import openpyxl\n"
    "wb = openpyxl.Workbook(write_only=True); ws = wb.create_sheet('Evidence References')\n"
    "ws.append(['Evidence Ref', 'File Name', 'SEC Obligation', 'Description'])\n"
    "for i in range(10000): ws.append(['EV-%05d' % i, 'file-%05d.pdf' % i, 'G5.%d' % (i % 30), 'row %d' % i])\n"
    "wb.save(D + '/big.xlsx')\n";

START_TEST(ten_thousand_rows_parse)
{
	struct workbook_refs *w;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	w = must_read("big.xlsx");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("workbook: 10000 rows read in %.1f ms\n",
	    (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	ck_assert_uint_eq(w->n, 10000);
	ck_assert_str_eq(w->v[9999].ref, "EV-09999");
	ck_assert_str_eq(w->v[9999].filename, "file-09999.pdf");
	ck_assert_str_eq(w->v[4321].description, "row 4321");
	workbook_refs_free(w);
}
END_TEST

static const char mk_ten_thousand_and_one_rows_too_many[] =
    "xlsx('big10001.xlsx', [('Evidence', HDR + ''.join(row(i + 2, istr('A%d' % (i + 2), 'EV-%05d' % i), istr('B%d' % (i + 2), 'f%d.pdf' % i)) for i in range(10001)))])\n";

START_TEST(ten_thousand_and_one_rows_too_many)
{
	must_fail("big10001.xlsx", "too many rows");
}
END_TEST

static const char mk_row_limit_comes_from_the_policy[] =
    "body = HDR + ''.join(row(i + 2, istr('A%d' % (i + 2), 'EV-%d' % i)) for i in range(6))\n"
    /* blank rows and rows without a reference do not count */
    "body += row(20, istr('B20', 'no ref.pdf'))\n"
    "xlsx('six.xlsx', [('Evidence', body)])\n";

START_TEST(row_limit_comes_from_the_policy)
{
	struct workbook_refs *w;

	pol.workbook_rows = 6;
	w = must_read("six.xlsx");
	ck_assert_uint_eq(w->n, 6);
	workbook_refs_free(w);
	pol.workbook_rows = 5;
	must_fail("six.xlsx", "too many rows");
}
END_TEST

static const char mk_doctype_in_shared_strings_rejected[] =
    "s = '<?xml version=\"1.0\"?><!DOCTYPE sst [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]><sst xmlns=\"%s\"><si><t>&b;</t></si></sst>' % NS\n"
    "xlsx('dt.xlsx', [('Evidence', HDR)], sst=s)\n";

START_TEST(doctype_in_shared_strings_rejected)
{
	must_fail("dt.xlsx", "DOCTYPE");
}
END_TEST

static const char mk_doctype_in_sheet_rejected[] =
    "body = '<?xml version=\"1.0\"?><!DOCTYPE x SYSTEM \"file:///etc/passwd\"><worksheet xmlns=\"%s\"><sheetData>%s</sheetData></worksheet>' % (NS, HDR)\n"
    "xlsx('dt2.xlsx', [('Evidence', body)])\n";

START_TEST(doctype_in_sheet_rejected)
{
	must_fail("dt2.xlsx", "DOCTYPE");
}
END_TEST

static const char mk_huge_shared_string_index_rejected[] =
    "s = sst('Evidence Ref', 'File Name')\n"
    "body = row(1, sstr('A1', 0), sstr('B1', 1)) + row(2, sstr('A2', 4294967295))\n"
    "xlsx('idx.xlsx', [('Evidence', body)], sst=s)\n"
    "body = row(1, sstr('A1', 0), sstr('B1', 1)) + row(2, '<c r=\"A2\" t=\"s\"><v>99999999999999999999</v></c>')\n"
    "xlsx('idx2.xlsx', [('Evidence', body)], sst=s)\n"
    "body = row(1, sstr('A1', 0), sstr('B1', 1)) + row(2, '<c r=\"A2\" t=\"s\"><v>-1</v></c>')\n"
    "xlsx('idx3.xlsx', [('Evidence', body)], sst=s)\n";

START_TEST(huge_shared_string_index_rejected)
{
	must_fail("idx.xlsx", "shared string index");
	must_fail("idx2.xlsx", "shared string index");
	must_fail("idx3.xlsx", "shared string index");
}
END_TEST

static const char mk_missing_shared_strings[] =
    "body = row(1, sstr('A1', 0), sstr('B1', 1))\n"
    "xlsx('nosst.xlsx', [('Evidence', body)])\n"
    /* the relationship names a part the zip does not hold */
    "xlsx('dangling.xlsx', [('Evidence', HDR)], sst='x', ssttarget='nothere.xml')\n"
    /* inline strings only: no sharedStrings needed */
    "xlsx('inl.xlsx', [('Evidence', HDR + row(2, istr('A2', 'EV-1')))])\n";

START_TEST(missing_shared_strings)
{
	struct workbook_refs *w;

	/* cells that name shared strings, and no sharedStrings part at all */
	must_fail("nosst.xlsx", "shared string index");
	must_fail("dangling.xlsx", "nothere.xml");
	w = must_read("inl.xlsx");
	ck_assert_uint_eq(w->n, 1);
	workbook_refs_free(w);
}
END_TEST

static const char mk_bogus_cell_reference_rejected[] =
    "xlsx('zz.xlsx', [('Evidence', HDR + row(2, istr('ZZZZZZ2', 'EV-1')))])\n"
    "xlsx('xfe.xlsx', [('Evidence', HDR + row(2, istr('XFE2', 'EV-1')))])\n"
    "xlsx('wrongrow.xlsx', [('Evidence', HDR + row(2, istr('A3', 'EV-1')))])\n"
    "xlsx('order.xlsx', [('Evidence', HDR + row(2, istr('B2', 'x'), istr('A2', 'EV-1')))])\n"
    "xlsx('rows.xlsx', [('Evidence', HDR + row(3, istr('A3', 'x')) + row(2, istr('A2', 'EV-1')))])\n"
    "xlsx('bign.xlsx', [('Evidence', HDR + row(1048577, istr('A1048577', 'x')))])\n";

START_TEST(bogus_cell_reference_rejected)
{
	must_fail("zz.xlsx", "bad cell reference");
	must_fail("xfe.xlsx", "bad cell reference");
	must_fail("wrongrow.xlsx", "bad cell reference");
	must_fail("order.xlsx", "out of order");
	must_fail("rows.xlsx", "out of order");
	must_fail("bign.xlsx", "bad row number");
}
END_TEST

static const char mk_deeply_nested_xml_rejected[] =
    "deep = '<x>' * 300 + '</x>' * 300\n"
    "xlsx('deep.xlsx', [('Evidence', HDR + row(2, '<c r=\"A2\" t=\"inlineStr\"><is><t>EV</t></is></c>' + deep))])\n"
    "xlsx('deep2.xlsx', [('Evidence', HDR)], sst='<sst>' + '<si>' * 1000 + '</si>' * 1000 + '</sst>')\n";

START_TEST(deeply_nested_xml_rejected)
{
	must_fail("deep.xlsx", "deeper than 256");
	must_fail("deep2.xlsx", "deeper than 256");
}
END_TEST

static const char mk_malformed_xml_and_zip_rejected[] =
    "xlsx('bad.xlsx', [('Evidence', HDR + '<row r=\"2\"><c>')])\n"
    "xlsx('dup.xlsx', [('Evidence', HDR)], extra=[('xl/worksheets/sheet1.xml', '<worksheet/>')])\n"
    "z = zipfile.ZipFile(D + '/nowb.xlsx', 'w'); z.writestr('a.txt', 'x'); z.close()\n";

START_TEST(malformed_xml_and_zip_rejected)
{
	static const char junk[] = "PK\003\004 this is not a zip at all";
	char path[128];
	int fd;

	must_fail("bad.xlsx", "malformed XML");
	must_fail("dup.xlsx", "twice");
	must_fail("nowb.xlsx", "xl/workbook.xml");
	snprintf(path, sizeof(path), "%s/junk.xlsx", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, junk, sizeof(junk) - 1), (ssize_t)sizeof(junk) - 1);
	close(fd);
	must_fail("junk.xlsx", "zip");
}
END_TEST

static const char mk_xml_part_size_limit[] =
    "body = HDR + ''.join(row(i + 2, istr('A%d' % (i + 2), 'EV-%d' % i)) for i in range(2000))\n"
    "xlsx('part.xlsx', [('Evidence', body)])\n";

START_TEST(xml_part_size_limit)
{
	pol.xml_part_max = 4096;
	must_fail("part.xlsx", "larger than 4096");
}
END_TEST

static const char mk_overlong_reference_and_file_name_rejected[] =
    "xlsx('ref.xlsx', [('Evidence', HDR + row(2, istr('A2', 'R' * 129)))])\n"
    "xlsx('fn.xlsx', [('Evidence', HDR + row(2, istr('A2', 'R'), istr('B2', 'f' * 256)))])\n"
    "xlsx('ok.xlsx', [('Evidence', HDR + row(2, istr('A2', 'R' * 128), istr('B2', 'f' * 255)))])\n"
    "xlsx('desc.xlsx', [('Evidence', row(1, istr('A1', 'Ref'), istr('B1', 'Description')) + row(2, istr('A2', 'R'), istr('B2', '\\u00e9' * 5000)))])\n";

START_TEST(overlong_reference_and_file_name_rejected)
{
	struct workbook_refs *w;

	must_fail("ref.xlsx", "reference longer than 128");
	must_fail("fn.xlsx", "file name longer than 255");
	w = must_read("ok.xlsx");
	ck_assert_uint_eq(strlen(w->v[0].ref), 128);
	workbook_refs_free(w);
	/* a long description is cut at a character boundary */
	w = must_read("desc.xlsx");
	ck_assert_uint_eq(strlen(w->v[0].description), WB_DESC_MAX - 2);
	workbook_refs_free(w);
}
END_TEST

static const char mk_control_characters_become_spaces[] =
    "xlsx('cc.xlsx', [('Evidence', HDR + row(2, istr('A2', 'EV-1'), istr('B2', 'a\\tb\\nc.pdf')))])\n";

START_TEST(control_characters_become_spaces)
{
	struct workbook_refs *w;

	w = must_read("cc.xlsx");
	ck_assert_str_eq(w->v[0].filename, "a b c.pdf");
	workbook_refs_free(w);
}
END_TEST

static const char mk_no_evidence_tab_is_not_an_error[] =
    "import openpyxl\n"
    "wb = openpyxl.Workbook(); ws = wb.active; ws.title = 'Evidence References'\n"
    "ws.append(['Item', 'Document title'])\n"
    "wb.save(D + '/none.xlsx')\n";

START_TEST(no_evidence_tab_is_not_an_error)
{
	struct workbook_refs *w = NULL;
	char why[256];

	ck_assert_int_eq(readwb("none.xlsx", &w, why, sizeof(why)), 1);
	ck_assert_uint_eq(w->n, 0);
	workbook_refs_free(w);
}
END_TEST

/* LibreOffice writes its own styles, shared strings and sheet XML: a CSV
 * converted by it (the sheet is found by its header), and the openpyxl
 * workbooks above saved again by it. */
START_TEST(libreoffice_made_workbook)
{
	struct workbook_refs *w;
	char cmd[512], path[128];
	FILE *f;

	if (system("command -v soffice >/dev/null 2>&1") != 0) {
		printf("workbook: soffice not installed: LibreOffice check skipped\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/refs.csv", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("Title line\n\nEvidence Ref,File Name,SHA-256\nEV-001,access-policy.pdf,\n42,n.pdf,\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cd %s && mkdir -p lo lohome && HOME=%s/lohome timeout 300"
	    " soffice --headless --convert-to xlsx --outdir lo refs.csv w.xlsx num.xlsx"
	    " >/dev/null 2>&1", dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	w = must_read("lo/refs.xlsx");
	ck_assert_str_eq(w->tab, "refs");
	ck_assert_uint_eq(w->n, 2);
	ck_assert_str_eq(w->v[0].ref, "EV-001");
	ck_assert_str_eq(w->v[0].filename, "access-policy.pdf");
	ck_assert_str_eq(w->v[1].ref, "42");
	workbook_refs_free(w);
	w = must_read("lo/w.xlsx");
	ck_assert_str_eq(w->tab, "Evidence References");
	ck_assert_uint_eq(w->n, 4);
	ck_assert_str_eq(w->v[1].ref, "EV-002");
	ck_assert_str_eq(w->v[1].obligation, "G5.17");
	ck_assert_str_eq(w->v[1].sha256,
	    "abababababababababababababababababababababababababababababababab");
	workbook_refs_free(w);
	w = must_read("lo/num.xlsx");
	ck_assert_uint_eq(w->n, 4);
	ck_assert_str_eq(w->v[0].ref, "1");
	ck_assert_str_eq(w->v[0].description, "2024-03-01");
	ck_assert_str_eq(w->v[1].description, "2023-12-31 13:45");
	ck_assert_str_eq(w->v[2].ref, "12345678901234");
	ck_assert_str_eq(w->v[2].description, "TRUE");
	ck_assert_str_eq(w->v[3].ref, "2023-03-15");
	workbook_refs_free(w);
}
END_TEST

/* Every test's workbooks (the mk_ scripts above each test), made once by
 * one python3 process before the tests run: DIR is its argv[1]. */
static const char *const makers[] = {
	mk_conformance_layout_title_blank_header_in_row_3, mk_header_rows,
	mk_columns_in_any_order_with_synonyms_case_and_spaces, mk_extra_sheets_before_the_tab,
	mk_named_tabs_tried_in_list_order, mk_tab_found_only_by_its_header,
	mk_numbers_and_dates_as_displayed_text, mk_date1904_and_builtin_formats,
	mk_inline_strings_rich_text_and_escapes, mk_shared_strings_with_runs_and_phonetics,
	mk_cell_references_with_gaps_and_missing_r, mk_malformed_hash_kept_but_never_a_hash,
	mk_ten_thousand_rows_parse, mk_ten_thousand_and_one_rows_too_many,
	mk_row_limit_comes_from_the_policy, mk_doctype_in_shared_strings_rejected,
	mk_doctype_in_sheet_rejected, mk_huge_shared_string_index_rejected,
	mk_missing_shared_strings, mk_bogus_cell_reference_rejected,
	mk_deeply_nested_xml_rejected, mk_malformed_xml_and_zip_rejected,
	mk_xml_part_size_limit, mk_overlong_reference_and_file_name_rejected,
	mk_control_characters_become_spaces, mk_no_evidence_tab_is_not_an_error,
};

static void
make_workbooks(void)
{
	char cmd[128];
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/unit-workbook-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -W ignore - %s", dir);
	if ((f = popen(cmd, "w")) == NULL) {
		perror("popen");
		exit(1);
	}
	fputs(py_prelude, f);
	for (size_t i = 0; i < sizeof(makers) / sizeof(makers[0]); i++)
		fputs(makers[i], f);
	if (pclose(f) != 0) {
		fprintf(stderr, "workbook: the python3 script that makes the workbooks failed\n");
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

static Suite *
workbook_suite(void)
{
	Suite *s = suite_create("workbook");
	TCase *tc = tcase_create("workbook");

	tcase_add_unchecked_fixture(tc, make_workbooks, remove_workbooks);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, conformance_layout_title_blank_header_in_row_3);
	tcase_add_test(tc, header_found_in_rows_1_3_and_20);
	tcase_add_test(tc, header_in_row_21_is_not_found);
	tcase_add_test(tc, columns_in_any_order_with_synonyms_case_and_spaces);
	tcase_add_test(tc, extra_sheets_before_the_tab);
	tcase_add_test(tc, named_tabs_tried_in_list_order);
	tcase_add_test(tc, tab_found_only_by_its_header);
	tcase_add_test(tc, numbers_and_dates_as_displayed_text);
	tcase_add_test(tc, date1904_and_builtin_formats);
	tcase_add_test(tc, inline_strings_rich_text_and_escapes);
	tcase_add_test(tc, shared_strings_with_runs_and_phonetics);
	tcase_add_test(tc, cell_references_with_gaps_and_missing_r_and_repeated_header);
	tcase_add_test(tc, malformed_hash_kept_but_never_a_hash);
	tcase_add_test(tc, ten_thousand_rows_parse);
	tcase_add_test(tc, ten_thousand_and_one_rows_too_many);
	tcase_add_test(tc, row_limit_comes_from_the_policy);
	tcase_add_test(tc, doctype_in_shared_strings_rejected);
	tcase_add_test(tc, doctype_in_sheet_rejected);
	tcase_add_test(tc, huge_shared_string_index_rejected);
	tcase_add_test(tc, missing_shared_strings);
	tcase_add_test(tc, bogus_cell_reference_rejected);
	tcase_add_test(tc, deeply_nested_xml_rejected);
	tcase_add_test(tc, malformed_xml_and_zip_rejected);
	tcase_add_test(tc, xml_part_size_limit);
	tcase_add_test(tc, overlong_reference_and_file_name_rejected);
	tcase_add_test(tc, control_characters_become_spaces);
	tcase_add_test(tc, no_evidence_tab_is_not_an_error);
	tcase_add_test(tc, libreoffice_made_workbook);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(workbook_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
