/*
 * tests/unit/pdf.c: the PDF check (inspect/pdf.c). Every PDF is built at
 * test time by /usr/bin/python3 (zlib for object streams, zipfile for the
 * polyglots) into a temporary directory; benign PDFs (plain, incremental
 * updates, object streams, links, pdfTeX output when installed) must pass,
 * each hostile one must be rejected with its finding code.
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

static struct policy pol = {
	.max_upload = 4ULL << 30, .archive_members = 10000, .archive_ratio = 100,
	.archive_ratio_min = 1 << 20, .archive_depth = 3, .archive_expanded = 16ULL << 30,
	.path_max = 1024, .inspect_seconds = 120, .xml_depth = 256,
	.xml_part_max = 64 << 20, .workbook_rows = 10000,
};

static char tmpdir[64];

/* A PDF writer: pdf(objs, objstm, trailer, tail, header, flate, extra) with
 * a correct xref for file-level objects; objects in OBJSTM go into one object
 * stream. BASE is a one-page document; base(cat, more, page) extends it. */
static const char prelude[] =
"import sys, zlib, zipfile, io\n"
"out = sys.argv[1]\n"
"def stream(data, d=b''):\n"
"    return b'<< /Length %d ' % len(data) + d + b' >>\\nstream\\n' + data + b'\\nendstream'\n"
"def pdf(objs, objstm=None, trailer=b'', tail=b'%%EOF\\n', header=b'%PDF-1.7\\n%\\xe2\\xe3\\xcf\\xd3\\n',\n"
"        flate=True, sdict=None, extra=b''):\n"
"    buf = bytearray(header); offs = {}\n"
"    for n, body in objs:\n"
"        offs[n] = len(buf); buf += b'%d 0 obj\\n' % n + body + b'\\nendobj\\n'\n"
"    if objstm:\n"
"        sn = max([n for n, _ in objs] + [n for n, _ in objstm]) + 1\n"
"        hdr = b''; data = b''\n"
"        for n, body in objstm:\n"
"            hdr += b'%d %d ' % (n, len(data)); data += body + b'\\n'\n"
"        raw = zlib.compress(hdr + data) if flate else hdr + data\n"
"        d = sdict if sdict is not None else (b' /Filter /FlateDecode' if flate else b'')\n"
"        offs[sn] = len(buf)\n"
"        buf += b'%d 0 obj\\n<< /Type /ObjStm /N %d /First %d /Length %d' % (sn, len(objstm), len(hdr), len(raw))\n"
"        buf += d + b' >>\\nstream\\n' + raw + b'\\nendstream\\nendobj\\n'\n"
"    buf += extra\n"
"    xref = len(buf); size = max(offs) + 1\n"
"    buf += b'xref\\n0 %d\\n0000000000 65535 f \\n' % size\n"
"    for i in range(1, size):\n"
"        buf += (b'%010d 00000 n \\n' % offs[i]) if i in offs else b'0000000000 65535 f \\n'\n"
"    buf += b'trailer\\n<< /Size %d /Root 1 0 R ' % size + trailer + b'>>\\nstartxref\\n%d\\n' % xref + tail\n"
"    return bytes(buf)\n"
"def base(cat=b'', more=(), page=b''):\n"
"    return [(1, b'<< /Type /Catalog /Pages 2 0 R ' + cat + b' >>'),\n"
"            (2, b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),\n"
"            (3, b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R '\n"
"                + page + b' >>'),\n"
"            (4, stream(b'BT /F1 12 Tf 72 720 Td (Hello) Tj ET'))] + list(more)\n"
"def small_zip():\n"
"    b = io.BytesIO()\n"
"    with zipfile.ZipFile(b, 'w') as z: z.writestr('evil.txt', 'payload')\n"
"    return b.getvalue()\n"
"def save(data):\n"
"    open(out, 'wb').write(data)\n";

/* Runs SCRIPT (after the prelude) to write a PDF; returns its path. */
static const char *
build(const char *script)
{
	static char path[128];
	static int seq;
	char cmd[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d.pdf", tmpdir, seq++);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 - '%s'", path);
	ck_assert_ptr_nonnull(f = popen(cmd, "w"));
	fputs(prelude, f);
	fputs(script, f);
	fputs("\n", f);
	ck_assert_int_eq(pclose(f), 0);
	return path;
}

static int
inspect_path(const char *path, struct inspect_result *res)
{
	struct stat st;
	int fd, r;

	ck_assert_int_ge(fd = open(path, O_RDONLY), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	memset(res, 0, sizeof(*res));
	res->accepted = 1;
	r = pdf_inspect(fd, (uint64_t)st.st_size, &pol, "", res);
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
accepted_path(const char *path)
{
	struct inspect_result res;

	ck_assert_int_eq(inspect_path(path, &res), 0);
	if (res.nfindings > 0)
		ck_abort_msg("unexpected finding %s: %s", res.findings[0].code,
		    res.findings[0].detail);
	ck_assert_int_eq(res.accepted, 1);
}

static void
accepted(const char *script)
{
	accepted_path(build(script));
}

static void
rejected(const char *script, const char *code)
{
	struct inspect_result res;

	ck_assert_int_eq(inspect_path(build(script), &res), 0);
	ck_assert_msg(has(&res, code), "expected %s, got %zu findings%s%s (%s)", code,
	    res.nfindings, res.nfindings ? ": " : "", res.nfindings ? res.findings[0].code : "",
	    res.nfindings ? res.findings[0].detail : "");
	ck_assert_int_eq(res.accepted, 0);
}

/* ---- benign ---- */

START_TEST(pdf_accepts_minimal)
{
	accepted("save(pdf(base()))");
}
END_TEST

START_TEST(pdf_accepts_open_action_destination)
{
	accepted("save(pdf(base(b'/OpenAction [3 0 R /Fit]')))");
}
END_TEST

START_TEST(pdf_accepts_open_action_goto)
{
	accepted("save(pdf(base(b'/OpenAction << /S /GoTo /D [3 0 R /FitH 792] >>')))");
}
END_TEST

START_TEST(pdf_accepts_open_action_goto_indirect)
{
	accepted("save(pdf(base(b'/OpenAction 5 0 R', [(5, b'<< /Type /Action /S /GoTo /D [3 0 R /Fit] >>')])))");
}
END_TEST

START_TEST(pdf_accepts_open_action_indirect_destination)
{
	accepted("save(pdf(base(b'/OpenAction 5 0 R', [(5, b'[3 0 R /XYZ 0 792 0]')])))");
}
END_TEST

START_TEST(pdf_accepts_uri_link_on_click)
{
	accepted("save(pdf(base(page=b'/Annots [5 0 R]', more=[(5, b'<< /Type /Annot /Subtype /Link "
	    "/Rect [0 0 10 10] /A << /S /URI /URI (https://secas.example/) >> >>')])))");
}
END_TEST

START_TEST(pdf_accepts_incremental_update)
{
	accepted(
	    "first = pdf(base())\n"
	    "off = len(first)\n"
	    "upd = b'5 0 obj\\n<< /Title (v2) >>\\nendobj\\n'\n"
	    "x = off + len(upd)\n"
	    "upd += b'xref\\n5 1\\n%010d 00000 n \\ntrailer\\n<< /Size 6 /Root 1 0 R /Info 5 0 R >>\\n"
	    "startxref\\n%d\\n%%%%EOF\\n' % (off, x)\n"
	    "save(first + upd)");
}
END_TEST

START_TEST(pdf_accepts_keywords_inside_stream_data)
{
	/* a stream (an image, say) whose bytes spell names, keywords and
	 * signatures: with a direct /Length they are skipped */
	accepted("save(pdf(base(more=[(5, stream(b'/JavaScript /JS (x) /Launch endobj "
	    "<< /OpenAction << /S /URI >> >> PK\\x03\\x04 %PDF-1.4 MZ \\x7fELF', b'/Subtype /Image'))])))");
}
END_TEST

START_TEST(pdf_accepts_stream_with_indirect_length)
{
	accepted("save(pdf(base(more=[(5, b'<< /Length 6 0 R >>\\nstream\\n/JS /JavaScript\\n"
	    "endstream'), (6, b'14')])))");
}
END_TEST

START_TEST(pdf_accepts_clean_object_stream)
{
	accepted("save(pdf(base(b'/OpenAction 6 0 R'), objstm=[(5, b'<< /Title (t) >>'), "
	    "(6, b'<< /S /GoTo /D [3 0 R /Fit] >>'), (7, b'[1 2 3]')]))");
}
END_TEST

START_TEST(pdf_accepts_uncompressed_object_stream)
{
	accepted("save(pdf(base(), objstm=[(5, b'<< /Title (t) >>')], flate=False))");
}
END_TEST

START_TEST(pdf_accepts_escaped_non_letters_in_names)
{
	accepted("save(pdf(base(page=b'/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 "
	    "/BaseFont /Times#20New#20Roman#2CBold >> >> >>')))");
}
END_TEST

START_TEST(pdf_accepts_trailing_white_space)
{
	accepted("save(pdf(base(), tail=b'%%EOF\\r\\n\\n  \\x00\\x00\\n'))");
}
END_TEST

START_TEST(pdf_accepts_pdftex_output)
{
	static const char *const files[] = {
		"/usr/share/doc/libtasn1-doc/libtasn1.pdf",
		"/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf",
	};

	if (access(files[_i], R_OK) != 0) {
		printf("skipped: %s not installed\n", files[_i]);
		return;
	}
	accepted_path(files[_i]);
}
END_TEST

/* ---- hostile ---- */

START_TEST(pdf_rejects_missing_header)
{
	rejected("save(b'hello ' + pdf(base()))", "pdf-header");
	rejected("save(pdf(base(), header=b'%PDX-1.7\\n'))", "pdf-header");
}
END_TEST

START_TEST(pdf_rejects_open_action_javascript)
{
	const char *s = "save(pdf(base(b'/OpenAction << /S /JavaScript /JS (app.alert(1)) >>')))";

	rejected(s, "pdf-javascript");
	rejected(s, "pdf-auto-action");
}
END_TEST

START_TEST(pdf_rejects_javascript_name_tree)
{
	rejected("save(pdf(base(b'/Names << /JavaScript 5 0 R >>', [(5, b'<< /Names [(a) 6 0 R] >>'), "
	    "(6, b'<< /S /JavaScript /JS 7 0 R >>'), (7, stream(b'app.alert(1)'))])))", "pdf-javascript");
}
END_TEST

START_TEST(pdf_rejects_launch_on_click)
{
	rejected("save(pdf(base(page=b'/Annots [5 0 R]', more=[(5, b'<< /Type /Annot /Subtype /Link "
	    "/Rect [0 0 10 10] /A << /S /Launch /F (cmd.exe) >> >>')])))", "pdf-launch");
}
END_TEST

START_TEST(pdf_rejects_embedded_file)
{
	rejected("save(pdf(base(b'/Names << /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >>', "
	    "[(5, b'<< /Type /Filespec /F (a.exe) /EF << /F 6 0 R >> >>'), "
	    "(6, stream(b'MZ', b'/Type /EmbeddedFile'))])))", "pdf-embedded-file");
}
END_TEST

START_TEST(pdf_rejects_richmedia)
{
	rejected("save(pdf(base(page=b'/Annots [<< /Type /Annot /Subtype /RichMedia /Rect [0 0 1 1] >>]')))",
	    "pdf-richmedia");
}
END_TEST

START_TEST(pdf_rejects_xfa)
{
	rejected("save(pdf(base(b'/AcroForm << /Fields [] /XFA 5 0 R >>', [(5, stream(b'<xdp/>'))])))",
	    "pdf-xfa");
}
END_TEST

START_TEST(pdf_rejects_open_action_uri)
{
	rejected("save(pdf(base(b'/OpenAction << /S /URI /URI (http://evil.example/x) >>')))",
	    "pdf-auto-action");
}
END_TEST

START_TEST(pdf_rejects_open_action_indirect_uri)
{
	rejected("save(pdf(base(b'/OpenAction 5 0 R', [(5, b'<< /S /URI /URI (http://evil/) >>')])))",
	    "pdf-auto-action");
}
END_TEST

START_TEST(pdf_rejects_open_action_next_chain)
{
	rejected("save(pdf(base(b'/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next [5 0 R] >>', "
	    "[(5, b'<< /S /GoTo /D [3 0 R /Fit] /Next << /S /SubmitForm /F (http://x/) >> >>')])))",
	    "pdf-auto-action");
}
END_TEST

START_TEST(pdf_rejects_page_aa_submitform)
{
	rejected("save(pdf(base(page=b'/AA << /O << /S /SubmitForm /F (http://x/) >> >>')))",
	    "pdf-auto-action");
}
END_TEST

START_TEST(pdf_rejects_aa_indirect_chain)
{
	rejected("save(pdf(base(page=b'/AA 5 0 R', more=[(5, b'<< /O 6 0 R >>'), "
	    "(6, b'<< /S /GoTo /D [3 0 R /Fit] /Next 7 0 R >>'), "
	    "(7, b'<< /S /ImportData /F (x.fdf) >>')])))", "pdf-auto-action");
}
END_TEST

START_TEST(pdf_rejects_open_action_gotor)
{
	rejected("save(pdf(base(b'/OpenAction << /S /GoToR /F (\\\\\\\\evil\\\\share\\\\a.pdf) /D [0 /Fit] >>')))",
	    "pdf-auto-action");
}
END_TEST

START_TEST(pdf_rejects_javascript_in_object_stream)
{
	rejected("save(pdf(base(), objstm=[(5, b'<< /Title (t) >>'), "
	    "(6, b'<< /S /JavaScript /JS (app.alert(1)) >>')]))", "pdf-javascript");
}
END_TEST

START_TEST(pdf_rejects_open_action_into_object_stream)
{
	rejected("save(pdf(base(b'/OpenAction 6 0 R'), objstm=[(5, b'<< /Title (t) >>'), "
	    "(6, b'<< /S /URI /URI (http://evil/) >>')]))", "pdf-auto-action");
}
END_TEST

START_TEST(pdf_rejects_object_stream_other_filter)
{
	rejected("save(pdf(base(), objstm=[(5, b'<< /Title (t) >>')], flate=False, "
	    "sdict=b' /Filter /LZWDecode'))", "pdf-objstm");
}
END_TEST

START_TEST(pdf_rejects_corrupt_object_stream)
{
	rejected("p = pdf(base(), objstm=[(5, b'<< /S /JavaScript >>')])\n"
	    "i = p.index(b'stream\\n', p.index(b'/ObjStm')) + 7\n"
	    "save(p[:i] + b'\\x00' * 8 + p[i + 8:])", "pdf-objstm");
}
END_TEST

START_TEST(pdf_rejects_name_obfuscation)
{
	const char *s = "save(pdf(base(b'/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>')))";

	rejected(s, "pdf-name-obfuscation");
	rejected(s, "pdf-javascript");
}
END_TEST

START_TEST(pdf_rejects_obfuscated_harmless_name)
{
	rejected("save(pdf(base(b'/#50ageMode /UseNone')))", "pdf-name-obfuscation");
}
END_TEST

START_TEST(pdf_rejects_trailing_data)
{
	rejected("save(pdf(base(), tail=b'%%EOF\\nhello'))", "pdf-trailing-data");
}
END_TEST

START_TEST(pdf_rejects_too_much_trailing_white_space)
{
	rejected("save(pdf(base(), tail=b'%%EOF\\n' + b' ' * 4096))", "pdf-trailing-data");
}
END_TEST

START_TEST(pdf_rejects_appended_zip)
{
	const char *s = "save(pdf(base(), tail=b'%%EOF\\n' + small_zip()))";

	rejected(s, "pdf-polyglot");
	rejected(s, "pdf-trailing-data");
}
END_TEST

START_TEST(pdf_rejects_zip_hidden_in_stream)
{
	/* a stored zip as the last stream: a zip reader finds its end record */
	rejected("save(pdf(base(more=[(5, stream(small_zip()))])))", "pdf-polyglot");
}
END_TEST

START_TEST(pdf_rejects_zip_header_in_comment)
{
	rejected("save(pdf(base(), extra=b'%PK\\x03\\x04 hidden\\n'))", "pdf-polyglot");
}
END_TEST

START_TEST(pdf_rejects_pe_outside_streams)
{
	rejected("pe = b'MZ' + b'\\x00' * 58 + (64).to_bytes(4, 'little') + b'PE\\x00\\x00' + b'\\x00' * 16\n"
	    "save(pdf(base(), extra=b'(' + pe.replace(b'(', b'').replace(b')', b'') + b')\\n'))",
	    "pdf-polyglot");
}
END_TEST

START_TEST(pdf_rejects_second_header)
{
	rejected("save(pdf(base(), extra=b'%PDF-1.4\\n'))", "pdf-polyglot");
}
END_TEST

START_TEST(pdf_rejects_missing_eof)
{
	rejected("save(pdf(base(), tail=b''))", "pdf-structure");
}
END_TEST

START_TEST(pdf_rejects_stream_without_endstream)
{
	rejected("save(pdf(base(more=[(5, b'<< /Length 6 0 R >>\\nstream\\nxxx')]), tail=b'%%EOF\\n'))",
	    "pdf-structure");
}
END_TEST

START_TEST(pdf_rejects_deep_nesting)
{
	rejected("save(pdf(base(more=[(5, b'[' * 100 + b']' * 100)])))", "pdf-limits");
}
END_TEST

START_TEST(pdf_rejects_object_hidden_in_stream_data)
{
	/* an object inside an image's bytes: the tokeniser skips it, a viewer
	 * reaches it by the xref (or by rebuilding a broken one) */
	rejected("save(pdf(base(b'/OpenAction 9 0 R', [(5, stream(b'\\x89PNG 9 0 obj << /S /URI "
	    "/URI (http://evil/) >> endobj', b'/Subtype /Image'))])))", "pdf-auto-action");
	rejected("save(pdf(base(more=[(5, stream(b'junk\\n12 0 obj\\n<< /S /JavaScript /JS (x) >>\\n"
	    "endobj'))])))", "pdf-javascript");
}
END_TEST

START_TEST(pdf_rejects_object_hidden_in_string)
{
	rejected("save(pdf(base(more=[(5, b'<< /Title (7 0 obj << /S /Launch /F (cmd.exe) >> endobj) >>')])))",
	    "pdf-launch");
}
END_TEST

START_TEST(pdf_open_action_without_any_object)
{
	/* fuzz regression (UBSan: qsort of no objects): a reference to
	 * nothing is null, nothing runs */
	accepted("save(b'%PDF-1.7\\n<< /OpenAction 5 0 R /AA 6 0 R >>\\n%%EOF\\n')");
}
END_TEST

START_TEST(pdf_reports_member)
{
	struct inspect_result res;
	struct stat st;
	const char *path = build("save(pdf(base(b'/OpenAction << /S /Launch /F (x) >>')))");
	int fd;

	ck_assert_int_ge(fd = open(path, O_RDONLY), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	memset(&res, 0, sizeof(res));
	res.accepted = 1;
	ck_assert_int_eq(pdf_inspect(fd, (uint64_t)st.st_size, &pol, "docs/a.pdf", &res), 0);
	close(fd);
	ck_assert_int_ge(res.nfindings, 1);
	ck_assert_str_eq(res.findings[0].member, "docs/a.pdf");
}
END_TEST

/* ---- time and work (issue 14) ---- */

/* Seconds of CLOCK_MONOTONIC since START. */
static double
elapsed(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Object streams of 20 MiB inflated each (mostly padding before the first
 * object), and an /OpenAction chain of 3000 /GoTo actions whose /Next
 * objects sit in the streams in turn: resolving it inflated a stream again
 * for every action, 20 MiB each (minutes of work for a file of a few dozen
 * KB, accepted after the time limit had long passed). */
static const char objstm_chain[] =
"def objstm(num, objs, pad):\n"
"    hdr = b''; data = b''\n"
"    for n, body in objs:\n"
"        hdr += b'%d %d ' % (n, len(pad) + len(data)); data += body + b'\\n'\n"
"    raw = zlib.compress(hdr + pad + data, 9)\n"
"    return (num, b'<< /Type /ObjStm /N %d /First %d /Length %d /Filter /FlateDecode >>\\nstream\\n'\n"
"            % (len(objs), len(hdr), len(raw)) + raw + b'\\nendstream')\n"
"def flip(n):\n"
"    chain = [(10 + k, b'<< /S /GoTo /D [3 0 R] /Next %d 0 R >>' % (11 + k)) for k in range(3000)]\n"
"    save(pdf(base(b'/OpenAction 10 0 R', [objstm(7 - i, chain[i::n], b' ' * (20 << 20))\n"
"                                         for i in range(n)])))\n";

static void
objstm_flip(unsigned streams, int want_accepted)
{
	struct inspect_result res;
	struct timespec start;
	char script[sizeof(objstm_chain) + 32];
	const char *path;

	snprintf(script, sizeof(script), "%sflip(%u)\n", objstm_chain, streams);
	path = build(script);
	clock_gettime(CLOCK_MONOTONIC, &start);
	ck_assert_int_eq(inspect_path(path, &res), 0);
	/* the clock is at 120 s: the cache and the bound on inflating again
	 * are what make this quick */
	ck_assert_msg(elapsed(&start) < 30, "took %.1f s", elapsed(&start));
	ck_assert_int_eq(res.accepted, want_accepted);
	if (!want_accepted)
		ck_assert(has(&res, "pdf-limits"));
}

START_TEST(pdf_accepts_action_chain_between_two_object_streams_quickly)
{
	/* one stream is kept, the other one stays in the last-inflated slot */
	objstm_flip(2, 1);
}
END_TEST

START_TEST(pdf_rejects_action_chain_flipping_between_object_streams_quickly)
{
	/* the two not kept are inflated in turn, until PDF_INFLATE_TOTAL */
	objstm_flip(3, 0);
}
END_TEST

/* 4000 "N 0 obj (" headers hidden in comments, each opening a string that
 * no ')' closes, before 4 MiB of comment: every hidden header was parsed
 * as a viewer would, lexing its string to the end of the file. */
static const char hidden_strings[] =
"junk = b''.join(b'%% %d 0 obj (\\n' % (1000 + i) for i in range(4000))\n"
"save(pdf(base(), header=b'%PDF-1.7\\n' + junk + b'%' + b'x' * (4 << 20) + b'\\n'))\n";

START_TEST(pdf_rejects_hidden_headers_lexed_to_the_end_quickly)
{
	struct inspect_result res;
	struct timespec start;
	const char *path = build(hidden_strings);

	clock_gettime(CLOCK_MONOTONIC, &start);
	ck_assert_int_eq(inspect_path(path, &res), 0);
	ck_assert_msg(elapsed(&start) < 30, "took %.1f s", elapsed(&start));
	ck_assert_int_eq(res.accepted, 0);
	ck_assert(has(&res, "inspect-timeout"));
}
END_TEST

START_TEST(pdf_stops_when_the_upload_clock_has_run_out)
{
	/* a PDF inside an archive shares the upload's clock: none of its own */
	struct inspect_result res;
	struct stat st;
	const char *path = build("save(pdf(base()))");
	int fd;

	ck_assert_int_ge(fd = open(path, O_RDONLY), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	memset(&res, 0, sizeof(res));
	res.accepted = 1;
	res.deadline.tv_sec = 1;                /* long past */
	ck_assert_int_eq(pdf_inspect(fd, (uint64_t)st.st_size, &pol, "", &res), 0);
	close(fd);
	ck_assert_int_eq(res.accepted, 0);
	ck_assert(has(&res, "inspect-timeout"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pdf");
	TCase *tc = tcase_create("pdf");
	SRunner *sr;
	char cmd[128];
	int failed;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/unit-pdf-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return EXIT_FAILURE;
	tcase_add_test(tc, pdf_accepts_minimal);
	tcase_add_test(tc, pdf_accepts_open_action_destination);
	tcase_add_test(tc, pdf_accepts_open_action_goto);
	tcase_add_test(tc, pdf_accepts_open_action_goto_indirect);
	tcase_add_test(tc, pdf_accepts_open_action_indirect_destination);
	tcase_add_test(tc, pdf_accepts_uri_link_on_click);
	tcase_add_test(tc, pdf_accepts_incremental_update);
	tcase_add_test(tc, pdf_accepts_keywords_inside_stream_data);
	tcase_add_test(tc, pdf_accepts_stream_with_indirect_length);
	tcase_add_test(tc, pdf_accepts_clean_object_stream);
	tcase_add_test(tc, pdf_accepts_uncompressed_object_stream);
	tcase_add_test(tc, pdf_accepts_escaped_non_letters_in_names);
	tcase_add_test(tc, pdf_accepts_trailing_white_space);
	tcase_add_loop_test(tc, pdf_accepts_pdftex_output, 0, 2);
	tcase_add_test(tc, pdf_rejects_missing_header);
	tcase_add_test(tc, pdf_rejects_open_action_javascript);
	tcase_add_test(tc, pdf_rejects_javascript_name_tree);
	tcase_add_test(tc, pdf_rejects_launch_on_click);
	tcase_add_test(tc, pdf_rejects_embedded_file);
	tcase_add_test(tc, pdf_rejects_richmedia);
	tcase_add_test(tc, pdf_rejects_xfa);
	tcase_add_test(tc, pdf_rejects_open_action_uri);
	tcase_add_test(tc, pdf_rejects_open_action_indirect_uri);
	tcase_add_test(tc, pdf_rejects_open_action_next_chain);
	tcase_add_test(tc, pdf_rejects_page_aa_submitform);
	tcase_add_test(tc, pdf_rejects_aa_indirect_chain);
	tcase_add_test(tc, pdf_rejects_open_action_gotor);
	tcase_add_test(tc, pdf_rejects_javascript_in_object_stream);
	tcase_add_test(tc, pdf_rejects_open_action_into_object_stream);
	tcase_add_test(tc, pdf_rejects_object_stream_other_filter);
	tcase_add_test(tc, pdf_rejects_corrupt_object_stream);
	tcase_add_test(tc, pdf_rejects_name_obfuscation);
	tcase_add_test(tc, pdf_rejects_obfuscated_harmless_name);
	tcase_add_test(tc, pdf_rejects_trailing_data);
	tcase_add_test(tc, pdf_rejects_too_much_trailing_white_space);
	tcase_add_test(tc, pdf_rejects_appended_zip);
	tcase_add_test(tc, pdf_rejects_zip_hidden_in_stream);
	tcase_add_test(tc, pdf_rejects_zip_header_in_comment);
	tcase_add_test(tc, pdf_rejects_pe_outside_streams);
	tcase_add_test(tc, pdf_rejects_second_header);
	tcase_add_test(tc, pdf_rejects_missing_eof);
	tcase_add_test(tc, pdf_rejects_stream_without_endstream);
	tcase_add_test(tc, pdf_rejects_deep_nesting);
	tcase_add_test(tc, pdf_rejects_object_hidden_in_stream_data);
	tcase_add_test(tc, pdf_rejects_object_hidden_in_string);
	tcase_add_test(tc, pdf_open_action_without_any_object);
	tcase_add_test(tc, pdf_reports_member);
	tcase_add_test(tc, pdf_rejects_action_chain_flipping_between_object_streams_quickly);
	tcase_add_test(tc, pdf_rejects_hidden_headers_lexed_to_the_end_quickly);
	tcase_add_test(tc, pdf_accepts_action_chain_between_two_object_streams_quickly);
	tcase_add_test(tc, pdf_stops_when_the_upload_clock_has_run_out);
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
