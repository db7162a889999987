/*
 * tests/unit/inspect.c: the inspector core (inspect/inspect.c) and the type
 * table (inspect/types.c): typing, kinds, extensions, programs, text that
 * turns binary, zips hidden behind other types, the result's findings and
 * its cleanup. Files are built at test time by
 * tests/unit/data/inspect/mk.py (case "files").
 */
#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect/inspect.h"
#include "inspect_fixture.h"
#include "inspect/types.h"

#define MK "/usr/bin/python3 " SRCDIR "/tests/unit/data/inspect/mk.py"

enum { K_BUNDLE, K_EVIDENCE, K_LETTER, K_RETURN, K_WORKBOOK, K_N };

static char dir[] = "/tmp/unit-inspect-XXXXXX";
static struct inspector *in;
static struct kind kinds[K_N];
static struct policy pol;

static void
setup(void)
{
	static const char *bundle[] = { "application/zip", "application/x-tar",
	    "application/gzip", "application/x-xz", "application/x-7z-compressed", NULL };
	static const char *evidence[] = { "application/pdf", TYPE_XLSX, TYPE_DOCX, TYPE_PPTX,
	    "image/png", "image/jpeg", "text/plain", "text/csv", NULL };
	static const char *letter[] = { "application/pdf", NULL };
	static const char *ret[] = { "text/csv", "text/plain", TYPE_XLSX, NULL };
	static const char *wb[] = { TYPE_XLSX, NULL };
	char cmd[1024];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(EXIT_FAILURE);
	}
	snprintf(cmd, sizeof(cmd), MK " %s files", dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "%s: failed\n", cmd);
		exit(EXIT_FAILURE);
	}
	kind_set(&kinds[K_BUNDLE], "evidence-bundle", bundle);
	kind_set(&kinds[K_EVIDENCE], "evidence", evidence);
	kind_set(&kinds[K_LETTER], "director-letter", letter);
	kind_set(&kinds[K_RETURN], "shared-resource-return", ret);
	kind_set(&kinds[K_WORKBOOK], "validation-workbook", wb);
	policy_set(&pol, kinds, K_N);
	if ((in = inspector_new()) == NULL) {
		fprintf(stderr, "inspector_new failed\n");
		exit(EXIT_FAILURE);
	}
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
teardown(void)
{
	inspector_free(in);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
dump(const char *file, const struct inspect_result *res)
{
	fprintf(stderr, "%s: %s %s\n", file, res->type, res->accepted ? "accepted" : "rejected");
	for (size_t i = 0; i < res->nfindings; i++)
		fprintf(stderr, "  finding %s [%s] %s\n", res->findings[i].code,
		    res->findings[i].member, res->findings[i].detail);
}

/* Inspects DIR/FILE, uploaded under the name NAME (NULL: FILE), as kind K. */
static void
inspect_named(const char *file, const char *name, int k, struct inspect_result *res)
{
	struct inspect_request req;
	int fd;

	memset(&req, 0, sizeof(req));
	fd = fixture_open(dir, file, &req.size);
	req.fd = fd;
	req.filename = name != NULL ? name : file;
	req.kind = &kinds[k];
	req.policy = &pol;
	ck_assert_int_eq(inspector_run(in, &req, res), 0);
	close(fd);
}

static int
has(const struct inspect_result *res, const char *code)
{
	for (size_t i = 0; i < res->nfindings; i++)
		if (strcmp(res->findings[i].code, code) == 0)
			return 1;
	return 0;
}

static void
expect(const char *file, const char *name, int k, int accepted, const char *type,
    const char *code)
{
	struct inspect_result res;

	inspect_named(file, name, k, &res);
	if (res.accepted != accepted || (code != NULL && !has(&res, code)) ||
	    (type != NULL && strcmp(res.type, type) != 0))
		dump(file, &res);
	ck_assert_msg(res.accepted == accepted, "%s: verdict", file);
	if (type != NULL)
		ck_assert_str_eq(res.type, type);
	if (code != NULL)
		ck_assert_msg(has(&res, code), "%s: no %s finding", file, code);
	inspect_result_clear(&res);
}

/* ---- types and kinds ---- */

START_TEST(pdf_is_accepted_as_evidence_and_letter)
{
	expect("report.pdf", NULL, K_EVIDENCE, 1, "application/pdf", NULL);
	expect("report.pdf", NULL, K_LETTER, 1, "application/pdf", NULL);
}
END_TEST

START_TEST(text_is_not_a_director_letter)
{
	expect("text.txt", NULL, K_LETTER, 0, "text/plain", "type-not-allowed");
}
END_TEST

START_TEST(pdf_named_txt_is_an_extension_mismatch)
{
	expect("report.pdf", "report.txt", K_EVIDENCE, 0, "application/pdf", "extension-mismatch");
	expect("report.pdf", "report", K_EVIDENCE, 0, "application/pdf", "extension-mismatch");
}
END_TEST

START_TEST(png_and_jpeg_are_accepted)
{
	expect("png.png", NULL, K_EVIDENCE, 1, "image/png", NULL);
	expect("jpeg.jpg", NULL, K_EVIDENCE, 1, "image/jpeg", NULL);
	expect("jpeg.jpg", "photo.JPEG", K_EVIDENCE, 1, "image/jpeg", NULL);
}
END_TEST

START_TEST(empty_file_is_not_evidence)
{
	expect("empty.txt", NULL, K_EVIDENCE, 0, NULL, "type-not-allowed");
}
END_TEST

START_TEST(csv_named_csv_is_text_csv)
{
	expect("data.csv", NULL, K_EVIDENCE, 1, "text/csv", NULL);
	/* one column: libmagic says text/plain, the name says CSV */
	expect("one-column.csv", NULL, K_EVIDENCE, 1, "text/csv", NULL);
}
END_TEST

START_TEST(csv_content_named_txt_is_plain_text)
{
	expect("commas.txt", NULL, K_EVIDENCE, 1, "text/plain", NULL);
}
END_TEST

START_TEST(tar_gz_names_are_accepted)
{
	expect("bundle.tgz", NULL, K_BUNDLE, 1, "application/gzip", NULL);
	expect("bundle.tar.gz", NULL, K_BUNDLE, 1, "application/gzip", NULL);
	expect("bundle-tgz.zip", NULL, K_BUNDLE, 0, "application/gzip", "extension-mismatch");
}
END_TEST

START_TEST(xlsx_is_typed_by_its_package)
{
	expect("book.xlsx", NULL, K_EVIDENCE, 1, TYPE_XLSX, NULL);
	expect("book.zip", NULL, K_EVIDENCE, 0, TYPE_XLSX, "extension-mismatch");
	expect("book.xlsx", NULL, K_BUNDLE, 0, TYPE_XLSX, "type-not-allowed");
}
END_TEST

START_TEST(validation_workbook_references_are_read)
{
	struct inspect_result res;

	inspect_named("book.xlsx", NULL, K_WORKBOOK, &res);
	if (!res.accepted)
		dump("book.xlsx", &res);
	ck_assert(res.accepted);
	ck_assert_ptr_nonnull(res.workbook);
	ck_assert_uint_eq(res.workbook->n, 1);
	ck_assert_str_eq(res.workbook->v[0].ref, "EV-001");
	inspect_result_clear(&res);
	ck_assert_ptr_null(res.workbook);
	/* other kinds do not read it */
	inspect_named("book.xlsx", NULL, K_EVIDENCE, &res);
	ck_assert_ptr_null(res.workbook);
	inspect_result_clear(&res);
}
END_TEST

/* ---- programs ---- */

START_TEST(elf_named_pdf_is_rejected)
{
	expect("elf.pdf", NULL, K_EVIDENCE, 0, NULL, "executable");
}
END_TEST

START_TEST(pe_named_pdf_is_rejected)
{
	expect("pe.pdf", NULL, K_EVIDENCE, 0, NULL, "executable");
}
END_TEST

START_TEST(shebang_script_named_txt_is_rejected)
{
	expect("script.txt", NULL, K_EVIDENCE, 0, NULL, "executable");
}
END_TEST

START_TEST(executable_bytes_and_names_are_recognised)
{
	static const uint8_t macho[] = { 0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1 };

	ck_assert(types_is_executable("application/octet-stream", macho, sizeof(macho)));
	ck_assert(types_is_executable("application/octet-stream", (const uint8_t *)"\177ELF", 4));
	ck_assert(types_is_executable("application/octet-stream", (const uint8_t *)"MZ\x90", 3));
	ck_assert(!types_is_executable("text/plain", (const uint8_t *)"MZ is a text", 12));
	ck_assert(types_is_executable("text/plain", (const uint8_t *)"#!/bin/sh", 9));
	ck_assert(types_is_executable("text/x-script.python", (const uint8_t *)"x", 1));
	ck_assert(types_is_executable("application/x-dosexec", (const uint8_t *)"x", 1));
	ck_assert(!types_is_executable("application/pdf", (const uint8_t *)"%PDF", 4));
	ck_assert(types_ext_executable("setup.EXE"));
	ck_assert(types_ext_executable("dir/run.ps1"));
	ck_assert(types_ext_executable("x.lnk"));
	ck_assert(!types_ext_executable("report.pdf"));
	ck_assert(!types_ext_executable("exe"));
}
END_TEST

START_TEST(extension_table_agrees_with_types)
{
	ck_assert(types_ext_ok("application/gzip", "a.tar.gz"));
	ck_assert(types_ext_ok("application/gzip", "a.TGZ"));
	ck_assert(types_ext_ok("application/x-xz", "a.tar.xz"));
	ck_assert(types_ext_ok("text/plain", "notes.md"));
	ck_assert(types_ext_ok("text/csv", "ret.csv"));
	ck_assert(!types_ext_ok("text/csv", "ret.txt"));
	ck_assert(!types_ext_ok("application/pdf", ".pdf"));      /* a dot file has no extension */
	ck_assert(!types_ext_ok("application/pdf", "report.pdf."));
	ck_assert(!types_ext_ok("image/gif", "a.gif"));            /* unknown type: no extension fits */
	ck_assert(!types_ext_ok("application/zip", "a.zip/x"));
	ck_assert_str_eq(types_text_by_name("text/csv", "a.txt"), "text/plain");
	ck_assert_str_eq(types_text_by_name("text/plain", "a.CSV"), "text/csv");
	ck_assert_str_eq(types_text_by_name("application/pdf", "a.csv"), "application/pdf");
}
END_TEST

/* ---- hostile content ---- */

START_TEST(text_turning_binary_after_the_prefix_is_rejected)
{
	expect("nul-late.txt", NULL, K_EVIDENCE, 0, "text/plain", "text-binary");
}
END_TEST

/* The front scanned the body as it arrived (inspect.h): its answer is used
 * and the text is not read again, whichever way it went. */
static void
inspect_scanned(const char *file, uint64_t nul_at, struct inspect_result *res)
{
	struct inspect_request req;
	int fd;

	memset(&req, 0, sizeof(req));
	fd = fixture_open(dir, file, &req.size);
	req.fd = fd;
	req.filename = file;
	req.kind = &kinds[K_EVIDENCE];
	req.policy = &pol;
	req.scanned = 1;
	req.nul_at = nul_at;
	ck_assert_int_eq(inspector_run(in, &req, res), 0);
	close(fd);
}

START_TEST(front_scan_names_the_nul_offset)
{
	struct inspect_result res;
	uint64_t off = TYPES_MAGIC_BYTES + 12345;

	inspect_scanned("nul-late.txt", off, &res);
	ck_assert(!res.accepted);
	ck_assert(has(&res, "text-binary"));
	ck_assert_ptr_nonnull(strstr(res.findings[0].detail, "offset 1060921 "));
	inspect_result_clear(&res);
}
END_TEST

START_TEST(front_scan_without_nul_is_not_read_again)
{
	struct inspect_result res;

	/* The file does hold a NUL past the prefix: only the front's word
	 * can have made it pass. */
	inspect_scanned("nul-late.txt", UINT64_MAX, &res);
	ck_assert(res.accepted);
	ck_assert(!has(&res, "text-binary"));
	inspect_result_clear(&res);
}
END_TEST

/* The type cache (inspect.c) answers what libmagic answered: many different
 * prefixes (more than its slots, so slots are shared and replaced), each
 * typed twice by one inspector and once by a fresh one, agree. */
START_TEST(type_cache_gives_libmagic_answers)
{
	static const char *const heads[] = {
		"plain words and nothing else\n", "a,b,c\n1,2,3\n", "#!/bin/sh\necho hi\n",
		"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "\x7f" "ELF\x02\x01\x01", "<html><body>x</body></html>\n",
		"{\"a\": [1, 2, 3]}\n", "MZ\x90\x00\x03\x00\x00\x00",
	};
	enum { N = 600 };
	struct inspector *fresh = inspector_new();
	static char first[N][MIME_MAX];
	char again[MIME_MAX], ref[MIME_MAX], buf[512];
	size_t len;
	int i;

	ck_assert_ptr_nonnull(fresh);
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < N; i++) {
			len = (size_t)snprintf(buf, sizeof(buf), "%s line %d of the cache test\n",
			    heads[i % 8], i);
			ck_assert_int_eq(inspect_type(in, (const uint8_t *)buf, len,
			    pass == 0 ? first[i] : again), 0);
			if (pass == 1)
				ck_assert_str_eq(again, first[i]);
		}
	}
	for (i = 0; i < N; i += 7) {
		len = (size_t)snprintf(buf, sizeof(buf), "%s line %d of the cache test\n",
		    heads[i % 8], i);
		ck_assert_int_eq(inspect_type(fresh, (const uint8_t *)buf, len, ref), 0);
		ck_assert_str_eq(ref, first[i]);
	}
	/* the same bytes, shorter: another key */
	ck_assert_int_eq(inspect_type(in, (const uint8_t *)"%PDF-1.4\n", 9, ref), 0);
	ck_assert_int_eq(inspect_type(in, (const uint8_t *)"%PDF-1.4\n", 3, again), 0);
	ck_assert_str_ne(ref, again);
	inspector_free(fresh);
}
END_TEST

START_TEST(zip_appended_to_png_is_rejected)
{
	expect("png-zip.png", NULL, K_EVIDENCE, 0, "image/png", "zip-prefix");
}
END_TEST

START_TEST(zip_appended_to_text_is_rejected)
{
	expect("text-zip.txt", NULL, K_EVIDENCE, 0, NULL, "zip-prefix");
}
END_TEST

START_TEST(verdict_does_not_depend_on_the_fd_offset)
{
	struct inspect_result a, b;
	struct inspect_request req;
	int fd;

	memset(&req, 0, sizeof(req));
	fd = fixture_open(dir, "bundle.tgz", &req.size);
	req.fd = fd;
	req.filename = "bundle.tgz";
	req.kind = &kinds[K_BUNDLE];
	req.policy = &pol;
	ck_assert_int_eq(inspector_run(in, &req, &a), 0);
	lseek(fd, 0, SEEK_END);
	ck_assert_int_eq(inspector_run(in, &req, &b), 0);
	ck_assert_int_eq(a.accepted, 1);
	ck_assert_int_eq(b.accepted, 1);
	ck_assert_str_eq(a.type, b.type);
	ck_assert_uint_eq(a.members, b.members);
	ck_assert_mem_eq(a.manifest_sha256, b.manifest_sha256, 32);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), lseek(fd, 0, SEEK_END));
	inspect_result_clear(&a);
	inspect_result_clear(&b);
	close(fd);
}
END_TEST

START_TEST(file_shorter_than_its_size_is_a_read_error)
{
	struct inspect_result res;
	struct inspect_request req;
	int fd;

	memset(&req, 0, sizeof(req));
	fd = fixture_open(dir, "text.txt", &req.size);
	req.fd = fd;
	req.size += 100;
	req.filename = "text.txt";
	req.kind = &kinds[K_EVIDENCE];
	req.policy = &pol;
	ck_assert_int_eq(inspector_run(in, &req, &res), 0);
	ck_assert(!res.accepted);
	ck_assert(has(&res, "read-error"));
	close(fd);
}
END_TEST

START_TEST(incomplete_request_is_a_rejection)
{
	struct inspect_result res;
	struct inspect_request req;

	memset(&req, 0, sizeof(req));
	req.fd = 0;
	req.filename = "x.txt";
	req.policy = &pol;              /* no kind */
	ck_assert_int_eq(inspector_run(in, &req, &res), 0);
	ck_assert(!res.accepted);
	ck_assert(has(&res, "inspect-error"));
	ck_assert_int_eq(inspector_run(in, NULL, &res), -1);
}
END_TEST

/* ---- findings ---- */

START_TEST(finding_fields_lose_control_and_bidi_characters)
{
	struct inspect_result res;

	memset(&res, 0, sizeof(res));
	res.accepted = 1;
	inspect_finding(&res, 0, "note", "a\nb\xe2\x80\xae" "c\xff", "d\te\x1b[31m\xc2\x85");
	ck_assert_int_eq(res.accepted, 1);              /* not rejecting */
	ck_assert_uint_eq(res.nfindings, 1);
	ck_assert_str_eq(res.findings[0].member, "a?b?c?");
	ck_assert_str_eq(res.findings[0].detail, "d?e?[31m?");
	inspect_finding(&res, 1, "bad", "", "%s", "x");
	ck_assert_int_eq(res.accepted, 0);
}
END_TEST

START_TEST(finding_detail_is_cut_on_a_character_boundary)
{
	struct inspect_result res;
	char longdetail[FINDING_DETAIL_MAX * 2];
	size_t i, len;

	memset(&res, 0, sizeof(res));
	for (i = 0; i + 2 < sizeof(longdetail); i += 2)
		memcpy(longdetail + i, "\xc3\xa9", 2);     /* é é é ... */
	longdetail[i] = '\0';
	inspect_finding(&res, 1, "long", "", "x%s", longdetail);
	len = strlen(res.findings[0].detail);
	ck_assert_uint_lt(len, FINDING_DETAIL_MAX);
	ck_assert_uint_eq(len % 2, 1);                  /* "x" then whole characters */
	ck_assert_uint_eq((uint8_t)res.findings[0].detail[len - 1], 0xa9);
}
END_TEST

START_TEST(findings_beyond_the_maximum_are_counted)
{
	struct inspect_result res;

	memset(&res, 0, sizeof(res));
	res.accepted = 1;
	for (int i = 0; i < FINDINGS_MAX + 5; i++)
		inspect_finding(&res, 0, "n", "", "%d", i);
	ck_assert_uint_eq(res.nfindings, FINDINGS_MAX);
	ck_assert_uint_eq(res.nmore, 5);
	ck_assert_int_eq(res.accepted, 1);
	inspect_finding(&res, 1, "late", "", "a rejection past the maximum still counts");
	ck_assert_int_eq(res.accepted, 0);
	ck_assert_uint_eq(res.nmore, 6);
}
END_TEST

static Suite *
inspect_suite(void)
{
	Suite *s = suite_create("inspect");
	TCase *t = tcase_create("types");
	TCase *x = tcase_create("programs");
	TCase *h = tcase_create("hostile");
	TCase *f = tcase_create("findings");

	tcase_set_timeout(t, 60);
	tcase_set_timeout(h, 60);
	tcase_add_test(t, pdf_is_accepted_as_evidence_and_letter);
	tcase_add_test(t, text_is_not_a_director_letter);
	tcase_add_test(t, pdf_named_txt_is_an_extension_mismatch);
	tcase_add_test(t, png_and_jpeg_are_accepted);
	tcase_add_test(t, empty_file_is_not_evidence);
	tcase_add_test(t, csv_named_csv_is_text_csv);
	tcase_add_test(t, csv_content_named_txt_is_plain_text);
	tcase_add_test(t, tar_gz_names_are_accepted);
	tcase_add_test(t, xlsx_is_typed_by_its_package);
	tcase_add_test(t, validation_workbook_references_are_read);
	tcase_add_test(t, extension_table_agrees_with_types);
	tcase_add_test(x, elf_named_pdf_is_rejected);
	tcase_add_test(x, pe_named_pdf_is_rejected);
	tcase_add_test(x, shebang_script_named_txt_is_rejected);
	tcase_add_test(x, executable_bytes_and_names_are_recognised);
	tcase_add_test(h, text_turning_binary_after_the_prefix_is_rejected);
	tcase_add_test(h, zip_appended_to_png_is_rejected);
	tcase_add_test(h, zip_appended_to_text_is_rejected);
	tcase_add_test(h, verdict_does_not_depend_on_the_fd_offset);
	tcase_add_test(h, file_shorter_than_its_size_is_a_read_error);
	tcase_add_test(h, front_scan_names_the_nul_offset);
	tcase_add_test(h, type_cache_gives_libmagic_answers);
	tcase_add_test(h, front_scan_without_nul_is_not_read_again);
	tcase_add_test(h, incomplete_request_is_a_rejection);
	tcase_add_test(f, finding_fields_lose_control_and_bidi_characters);
	tcase_add_test(f, finding_detail_is_cut_on_a_character_boundary);
	tcase_add_test(f, findings_beyond_the_maximum_are_counted);
	suite_add_tcase(s, t);
	suite_add_tcase(s, x);
	suite_add_tcase(s, h);
	suite_add_tcase(s, f);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	setup();
	sr = srunner_create(inspect_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	teardown();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
