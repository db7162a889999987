/*
 * tests/unit/magic_flags.c: the inspector's libmagic settings (inspect.c:
 * INSPECT_MAGIC_FLAGS and its magic_setparam calls) type every
 * representative upload as the reference settings do, and the verdicts that
 * follow from those types stay what they are. Any change of the flags or
 * limits (to make typing cheaper, or a new libmagic) must keep these tests
 * green: the reference handle below is opened with the settings the
 * inspector had when the types were first pinned (MAGIC_MIME_TYPE |
 * MAGIC_ERROR | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_COMPRESS_FORK, 1 MiB).
 * tests/bench/magic_speed.c compares settings on a whole corpus; this file
 * keeps the cases that decide verdicts. Files are written at test time
 * (archives with bsdtar).
 */
#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect/inspect.h"
#include "inspect_fixture.h"
#include "inspect/types.h"

/* The settings the inspector's types were pinned with (see above). */
#define REF_FLAGS (MAGIC_MIME_TYPE | MAGIC_ERROR | MAGIC_NO_CHECK_COMPRESS | \
	MAGIC_NO_COMPRESS_FORK)
#define REF_BYTES       (1024 * 1024)
#define ELF_COPY_BYTES  (256 * 1024)   /* of our own executable, for the ELF case */

enum { K_EVIDENCE, K_BUNDLE, K_N };

static char dir[] = "/tmp/unit-magic-flags-XXXXXX";
static struct inspector *in;
static magic_t ref;
static struct kind kinds[K_N];
static struct policy pol;

/* ---- fixtures ---- */

static void
put(const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL || (len > 0 && fwrite(data, len, 1, f) != 1) ||
	    fclose(f) != 0) {
		perror(path);
		exit(EXIT_FAILURE);
	}
}

/* NAME: LINE repeated up to LEN bytes, then TAIL (TAILLEN bytes). */
static void
put_lines(const char *name, const char *line, size_t len, const void *tail, size_t taillen)
{
	size_t n = strlen(line), i;
	char *b;

	if ((b = malloc(len + taillen)) == NULL)
		exit(EXIT_FAILURE);
	for (i = 0; i < len; i++)
		b[i] = line[i % n];
	if (taillen > 0)
		memcpy(b + len, tail, taillen);
	put(name, b, len + taillen);
	free(b);
}

static void
put_pdf(const char *name)
{
	static const char *const obj[] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
	};
	char b[2048];
	size_t off[3], n, i;

	n = (size_t)snprintf(b, sizeof(b), "%%PDF-1.4\n");
	for (i = 0; i < 3; i++) {
		off[i] = n;
		n += (size_t)snprintf(b + n, sizeof(b) - n, "%zu 0 obj\n%s\nendobj\n", i + 1, obj[i]);
	}
	i = n;
	n += (size_t)snprintf(b + n, sizeof(b) - n,
	    "xref\n0 4\n0000000000 65535 f \n%010zu 00000 n \n%010zu 00000 n \n"
	    "%010zu 00000 n \ntrailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
	    off[0], off[1], off[2], i);
	put(name, b, n);
}

static void
put_elf(const char *name)
{
	static char b[ELF_COPY_BYTES];
	ssize_t n;
	int fd;

	if ((fd = open("/proc/self/exe", O_RDONLY)) == -1 ||
	    (n = read(fd, b, sizeof(b))) < 64) {
		perror("/proc/self/exe");
		exit(EXIT_FAILURE);
	}
	close(fd);
	put(name, b, (size_t)n);
}

static void
run(const char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "%s: failed\n", cmd);
		exit(EXIT_FAILURE);
	}
}

static void
fixtures(void)
{
	/* a PE header: MZ, e_lfanew = 0x80, "PE\0\0", i386 */
	static const uint8_t pe_head[] = { 'M', 'Z', 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xff, 0xff };
	static const uint8_t pe_sig[] = { 'P', 'E', 0, 0, 0x4c, 0x01, 3, 0 };
	static const uint8_t macho[] = { 0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1, 3, 0, 0, 0, 2, 0, 0, 0 };
	static const char text[] = "Access review of the DCC interface; owner security team\n";
	static const char commas[] = "small: evidence log line, access review of the DCC interface\n";
	static const char csv[] = "party,count,date\nALPHA,12,2024-06-30\nBETA,7,2024-06-30\n";
	static const char utf16[] = "Pr\xc3\xbc" "fung der Zugriffsrechte\n";
	uint8_t pe[512], m[256], u[4096];
	char cmd[1024];
	size_t i, k;

	memset(pe, 0, sizeof(pe));
	memcpy(pe, pe_head, sizeof(pe_head));
	pe[0x3c] = 0x80;
	memcpy(pe + 0x80, pe_sig, sizeof(pe_sig));
	put("pe.bin", pe, sizeof(pe));
	memset(m, 0, sizeof(m));
	memcpy(m, macho, sizeof(macho));
	put("macho.bin", m, sizeof(m));
	put_elf("elf.bin");
	put("sh.txt", "#!/bin/sh\necho hello\n", 21);
	put("envpy.txt", "#!/usr/bin/env python\nprint(\"hi\")\n", 35);
	put_pdf("report.pdf");
	put("data.csv", csv, sizeof(csv) - 1);
	put_lines("notes-4k.txt", text, 4096, NULL, 0);
	put_lines("commas-4k.txt", commas, 4096, NULL, 0);
	put_lines("notes-1m.txt", text, 1024 * 1024, NULL, 0);
	put("data.json", "{\"a\": 1, \"b\": [1, 2, 3]}\n", 25);
	/* UTF-16LE with a BOM: ASCII code units, and one U+00FC */
	u[0] = 0xff;
	u[1] = 0xfe;
	for (i = 2, k = 0; i + 2 <= sizeof(u); k = (k + 1) % (sizeof(utf16) - 1)) {
		if ((uint8_t)utf16[k] == 0xc3) {
			u[i++] = 0xfc;
			k++;
		} else
			u[i++] = (uint8_t)utf16[k];
		u[i++] = 0;
	}
	put("utf16.txt", u, sizeof(u));
	put_lines("nul-early.txt", text, 5000, "\0binary", 7);
	put_lines("nul-late.txt", text, REF_BYTES + 10, "\0binary", 7);
	put_lines("member.txt", text, 2000, NULL, 0);
	snprintf(cmd, sizeof(cmd),
	    "cd %s && bsdtar --format zip -cf a.zip member.txt && "
	    "bsdtar --format ustar -cf a.tar member.txt && cp a.tar tar-named.txt", dir);
	run(cmd);
}

static void
setup(void)
{
	static const char *evidence[] = { "application/pdf", TYPE_XLSX, TYPE_DOCX, TYPE_PPTX,
	    "image/png", "image/jpeg", "text/plain", "text/csv", NULL };
	static const char *bundle[] = { "application/zip", "application/x-tar",
	    "application/gzip", "application/x-xz", "application/x-7z-compressed", NULL };
	size_t bytes = REF_BYTES;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(EXIT_FAILURE);
	}
	fixtures();
	kind_set(&kinds[K_EVIDENCE], "evidence", evidence);
	kind_set(&kinds[K_BUNDLE], "evidence-bundle", bundle);
	policy_set(&pol, kinds, K_N);
	if ((in = inspector_new()) == NULL) {
		fprintf(stderr, "inspector_new failed\n");
		exit(EXIT_FAILURE);
	}
	if ((ref = magic_open(REF_FLAGS)) == NULL || magic_load(ref, NULL) == -1 ||
	    magic_setparam(ref, MAGIC_PARAM_BYTES_MAX, &bytes) == -1) {
		fprintf(stderr, "reference libmagic handle failed\n");
		exit(EXIT_FAILURE);
	}
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
teardown(void)
{
	magic_close(ref);
	inspector_free(in);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- helpers ---- */

/* The raw MIME type of FILE's prefix: the inspector's handle (inspect_type)
 * and the reference handle must agree; returns it in MIME. */
static void
raw_type(const char *file, char mime[MIME_MAX])
{
	static uint8_t buf[REF_BYTES];
	const char *t;
	uint64_t size;
	ssize_t n;
	int fd;

	fd = fixture_open(dir, file, &size);
	n = pread(fd, buf, sizeof(buf), 0);
	close(fd);
	ck_assert_int_ge(n, 0);
	ck_assert_int_eq(inspect_type(in, buf, (size_t)n, mime), 0);
	ck_assert_ptr_nonnull(t = magic_buffer(ref, buf, (size_t)n));
	ck_assert_msg(strcmp(mime, t) == 0, "%s: inspector types %s, reference %s", file, mime, t);
}

static int
has(const struct inspect_result *res, const char *code)
{
	for (size_t i = 0; i < res->nfindings; i++)
		if (strcmp(res->findings[i].code, code) == 0)
			return 1;
	return 0;
}

/* Inspects FILE uploaded as NAME (NULL: FILE) for kind K: the raw type is
 * RAW (NULL: only the same as the reference), the result's type TYPE (NULL:
 * not checked), the verdict ACCEPTED (-1: not checked), with finding CODE
 * (NULL: none required). */
static void
expect(const char *file, const char *name, int k, const char *raw, const char *type,
    int accepted, const char *code)
{
	struct inspect_request req;
	struct inspect_result res;
	char mime[MIME_MAX];
	size_t i;

	raw_type(file, mime);
	if (raw != NULL)
		ck_assert_msg(strcmp(mime, raw) == 0, "%s: raw type %s, want %s", file, mime, raw);
	memset(&req, 0, sizeof(req));
	req.fd = fixture_open(dir, file, &req.size);
	req.filename = name != NULL ? name : file;
	req.kind = &kinds[k];
	req.policy = &pol;
	ck_assert_int_eq(inspector_run(in, &req, &res), 0);
	close(req.fd);
	if ((type != NULL && strcmp(res.type, type) != 0) ||
	    (accepted != -1 && res.accepted != accepted) || (code != NULL && !has(&res, code))) {
		fprintf(stderr, "%s: %s %s\n", file, res.type, res.accepted ? "accepted" : "rejected");
		for (i = 0; i < res.nfindings; i++)
			fprintf(stderr, "  finding %s %s\n", res.findings[i].code,
			    res.findings[i].detail);
	}
	if (type != NULL)
		ck_assert_str_eq(res.type, type);
	if (accepted != -1)
		ck_assert_int_eq(res.accepted, accepted);
	if (code != NULL)
		ck_assert_msg(has(&res, code), "%s: no %s finding", file, code);
	inspect_result_clear(&res);
}

/* ---- programs ---- */

START_TEST(elf_is_a_program_whatever_its_name)
{
	char mime[MIME_MAX];

	raw_type("elf.bin", mime);
	ck_assert_msg(types_is_executable(mime, (const uint8_t *)"", 0),
	    "libmagic no longer names ELF a program type: %s", mime);
	expect("elf.bin", "report.pdf", K_EVIDENCE, NULL, NULL, 0, "executable");
}
END_TEST

START_TEST(shebang_scripts_are_typed_as_scripts)
{
	expect("sh.txt", "run.txt", K_EVIDENCE, "text/x-shellscript", "text/x-shellscript", 0,
	    "executable");
	expect("envpy.txt", "run.txt", K_EVIDENCE, "text/x-script.python",
	    "text/x-script.python", 0, "executable");
}
END_TEST

START_TEST(pe_named_txt_is_a_program)
{
	expect("pe.bin", "update.txt", K_EVIDENCE,
	    "application/vnd.microsoft.portable-executable",
	    "application/vnd.microsoft.portable-executable", 0, "executable");
}
END_TEST

START_TEST(macho_header_is_a_program)
{
	expect("macho.bin", "report.pdf", K_EVIDENCE, "application/x-mach-binary",
	    "application/x-mach-binary", 0, "executable");
}
END_TEST

/* ---- documents and archives ---- */

START_TEST(pdf_is_typed_pdf)
{
	expect("report.pdf", NULL, K_EVIDENCE, "application/pdf", "application/pdf", 1, NULL);
}
END_TEST

START_TEST(zip_and_tar_are_typed_as_archives)
{
	expect("a.zip", NULL, K_BUNDLE, "application/zip", "application/zip", 1, NULL);
	expect("a.tar", NULL, K_BUNDLE, "application/x-tar", "application/x-tar", 1, NULL);
}
END_TEST

START_TEST(tar_named_txt_is_still_a_tar)
{
	expect("tar-named.txt", NULL, K_EVIDENCE, "application/x-tar", "application/x-tar", 0,
	    "type-not-allowed");
}
END_TEST

/* ---- text ---- */

START_TEST(csv_named_csv_is_text_csv)
{
	expect("data.csv", NULL, K_EVIDENCE, "text/csv", "text/csv", 1, NULL);
}
END_TEST

START_TEST(csv_looking_text_named_txt_is_plain_text)
{
	/* libmagic's CSV test answers before its text magic: the name decides */
	expect("commas-4k.txt", NULL, K_EVIDENCE, "text/csv", "text/plain", 1, NULL);
}
END_TEST

START_TEST(plain_text_is_text_plain)
{
	expect("notes-4k.txt", NULL, K_EVIDENCE, "text/plain", "text/plain", 1, NULL);
	expect("notes-1m.txt", NULL, K_EVIDENCE, "text/plain", "text/plain", 1, NULL);
}
END_TEST

START_TEST(json_is_not_plain_text)
{
	expect("data.json", "data.txt", K_EVIDENCE, "application/json", "application/json", 0,
	    "type-not-allowed");
}
END_TEST

START_TEST(utf16_with_bom_is_text)
{
	expect("utf16.txt", NULL, K_EVIDENCE, "text/plain", "text/plain", -1, NULL);
}
END_TEST

START_TEST(nul_in_the_prefix_is_binary)
{
	expect("nul-early.txt", NULL, K_EVIDENCE, "application/octet-stream",
	    "application/octet-stream", 0, "type-not-allowed");
}
END_TEST

START_TEST(nul_after_the_prefix_is_text_turning_binary)
{
	expect("nul-late.txt", NULL, K_EVIDENCE, "text/plain", "text/plain", 0, "text-binary");
}
END_TEST

static Suite *
magic_flags_suite(void)
{
	Suite *s = suite_create("magic_flags");
	TCase *x = tcase_create("programs");
	TCase *d = tcase_create("documents");
	TCase *t = tcase_create("text");

	tcase_add_test(x, elf_is_a_program_whatever_its_name);
	tcase_add_test(x, shebang_scripts_are_typed_as_scripts);
	tcase_add_test(x, pe_named_txt_is_a_program);
	tcase_add_test(x, macho_header_is_a_program);
	tcase_add_test(d, pdf_is_typed_pdf);
	tcase_add_test(d, zip_and_tar_are_typed_as_archives);
	tcase_add_test(d, tar_named_txt_is_still_a_tar);
	tcase_add_test(t, csv_named_csv_is_text_csv);
	tcase_add_test(t, csv_looking_text_named_txt_is_plain_text);
	tcase_add_test(t, plain_text_is_text_plain);
	tcase_add_test(t, json_is_not_plain_text);
	tcase_add_test(t, utf16_with_bom_is_text);
	tcase_add_test(t, nul_in_the_prefix_is_binary);
	tcase_add_test(t, nul_after_the_prefix_is_text_turning_binary);
	suite_add_tcase(s, x);
	suite_add_tcase(s, d);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	setup();
	sr = srunner_create(magic_flags_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	teardown();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
