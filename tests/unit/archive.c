/*
 * tests/unit/archive.c: archive inspection (inspect/archive.c) through the
 * inspector, on archives built at test time by tests/unit/data/inspect/mk.py
 * with the real producers (python zipfile/tarfile, Info-ZIP, 7-Zip, bsdtar,
 * GNU tar, openpyxl). Each hostile archive must be rejected with its own
 * finding code; each benign one accepted, with a manifest that says what
 * it held.
 *
 * archive.c is included (h2o style) to reach its static name helpers and to
 * drive the quine check with a chosen ancestor.
 */
#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect/archive.c"
#include "inspect/inspect.h"
#include "inspect_fixture.h"

#define MK "/usr/bin/python3 " SRCDIR "/tests/unit/data/inspect/mk.py"
#define TEXT "Access control policy, reviewed 2024-01-10.\nOwner: security team.\n"

static char dir[] = "/tmp/unit-archive-XXXXXX";
static struct inspector *in;

/* The inspector's callback for members, as inspect.c hands it to
 * archive_inspect. */
static int
member_type(void *arg, const uint8_t *buf, size_t len, char mime[MIME_MAX])
{
	return inspect_type(arg, buf, len, mime);
}
static struct kind kinds[2];
static struct policy pol;

static void
setup(void)
{
	static const char *bundle[] = { "application/zip", "application/x-tar",
	    "application/gzip", "application/x-xz", "application/x-7z-compressed", NULL };
	static const char *evidence[] = { "text/plain", NULL };
	char cmd[1024];

	/* outside any test: plain checks, not ck_assert */
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(EXIT_FAILURE);
	}
	snprintf(cmd, sizeof(cmd), MK " %s py_zip infozip sevenzip bsdtar gnutar nested depth "
	    "macos unicode xlsx_member compressible names types encrypted limits zipstruct "
	    "content quine fold trailing", dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "%s: failed\n", cmd);
		exit(EXIT_FAILURE);
	}
	kind_set(&kinds[0], "evidence-bundle", bundle);
	kind_set(&kinds[1], "evidence", evidence);
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

/* Inspects DIR/FILE as kind 0 (evidence-bundle) under policy P. */
static void
inspect_as(const char *file, const struct policy *p, struct inspect_result *res)
{
	struct inspect_request req;

	memset(&req, 0, sizeof(req));
	req.fd = fixture_open(dir, file, &req.size);
	req.filename = file;
	req.kind = &kinds[0];
	req.policy = p;
	ck_assert_int_eq(inspector_run(in, &req, res), 0);
	close(req.fd);
}

static const struct finding *
find(const struct inspect_result *res, const char *code)
{
	for (size_t i = 0; i < res->nfindings; i++)
		if (strcmp(res->findings[i].code, code) == 0)
			return &res->findings[i];
	return NULL;
}

static void
expect_accepted(const char *file)
{
	struct inspect_result res;

	inspect_as(file, &pol, &res);
	if (!res.accepted)
		dump(file, &res);
	ck_assert_msg(res.accepted, "%s rejected", file);
	ck_assert_int_eq(res.is_archive, 1);
	ck_assert_uint_gt(res.members, 0);
	inspect_result_clear(&res);
}

/* Rejected, with CODE among the findings; returns the finding's member. */
static void
expect_rejected_p(const char *file, const struct policy *p, const char *code)
{
	struct inspect_result res;

	inspect_as(file, p, &res);
	if (res.accepted || find(&res, code) == NULL)
		dump(file, &res);
	ck_assert_msg(!res.accepted, "%s accepted", file);
	ck_assert_msg(find(&res, code) != NULL, "%s: no %s finding", file, code);
	inspect_result_clear(&res);
}

static void
expect_rejected(const char *file, const char *code)
{
	expect_rejected_p(file, &pol, code);
}

/* ---- benign archives from real producers ---- */

START_TEST(python_zip_with_dirs_and_empty_files_is_accepted)
{
	struct inspect_result res;
	uint8_t sha[32];
	char hex[65], line[512];

	inspect_as("bundle-py.zip", &pol, &res);
	if (!res.accepted)
		dump("bundle-py.zip", &res);
	ck_assert(res.accepted);
	ck_assert_str_eq(res.type, "application/zip");
	ck_assert_int_eq(res.is_archive, 1);
	ck_assert_uint_eq(res.members, 5);    /* regular files only */
	ck_assert_ptr_nonnull(res.manifest);
	util_sha256(res.manifest, res.manifest_len, sha);
	ck_assert_mem_eq(sha, res.manifest_sha256, 32);
	util_sha256(TEXT, strlen(TEXT), sha);
	util_hex(sha, 32, hex);
	snprintf(line, sizeof(line), "docs/notes.txt\t%zu\t%s\ttext/plain\n", strlen(TEXT), hex);
	ck_assert_ptr_nonnull(strstr(res.manifest, line));
	ck_assert_ptr_nonnull(strstr(res.manifest, "docs/empty.txt\t0\t"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\t"));
	ck_assert_ptr_nonnull(strstr(res.manifest, "\tapplication/pdf\n"));
	ck_assert_ptr_nonnull(strstr(res.manifest, "docs/data.csv\t"));
	ck_assert_ptr_nonnull(strstr(res.manifest, "\ttext/csv\n"));
	inspect_result_clear(&res);
	ck_assert_ptr_null(res.manifest);
}
END_TEST

START_TEST(infozip_zips_are_accepted)
{
	expect_accepted("bundle-infozip.zip");
	expect_accepted("bundle-infozip-stream.zip");  /* data descriptors */
}
END_TEST

START_TEST(sevenzip_archives_are_accepted)
{
	expect_accepted("bundle.7z");
	expect_accepted("bundle-7z.zip");
}
END_TEST

START_TEST(bsdtar_archives_are_accepted)
{
	expect_accepted("bundle-bsd.tar");
	expect_accepted("bundle-bsd.tar.gz");
	expect_accepted("bundle-bsd.zip");     /* local sizes zero, descriptors */
}
END_TEST

START_TEST(gnu_tar_archives_are_accepted)
{
	expect_accepted("bundle-gnu.tar");
	expect_accepted("bundle-gnu.tar.gz");
	expect_accepted("bundle-gnu.tar.xz");
	expect_accepted("bundle-dot.tar");     /* "./" names */
}
END_TEST

START_TEST(nested_zip_in_tar_is_accepted_and_listed)
{
	struct inspect_result res;

	inspect_as("nested.tar", &pol, &res);
	if (!res.accepted)
		dump("nested.tar", &res);
	ck_assert(res.accepted);
	ck_assert_uint_eq(res.members, 4);  /* inner.zip, its two members, top.txt */
	ck_assert_ptr_nonnull(strstr(res.manifest, "inner.zip\t"));
	ck_assert_ptr_nonnull(strstr(res.manifest, "\tapplication/zip\n"));
	ck_assert_ptr_nonnull(strstr(res.manifest, "inner.zip!/inner/report.pdf\t"));
	inspect_result_clear(&res);
}
END_TEST

START_TEST(three_nested_archives_are_accepted)
{
	expect_accepted("depth3.zip");
	expect_accepted("stored-nested.zip");
}
END_TEST

START_TEST(macos_metadata_is_accepted)
{
	expect_accepted("mac.zip");
}
END_TEST

START_TEST(unicode_names_are_accepted)
{
	expect_accepted("uni.zip");
	expect_accepted("uni.tar");
}
END_TEST

START_TEST(xlsx_member_is_typed_as_ooxml)
{
	struct inspect_result res;

	inspect_as("wb.zip", &pol, &res);
	if (!res.accepted)
		dump("wb.zip", &res);
	ck_assert(res.accepted);
	ck_assert_ptr_nonnull(strstr(res.manifest,
	    "\tapplication/vnd.openxmlformats-officedocument.spreadsheetml.sheet\n"));
	inspect_result_clear(&res);
}
END_TEST

START_TEST(compressible_log_is_not_a_bomb)
{
	expect_accepted("log.zip");
}
END_TEST

/* ---- hostile names ---- */

#define REJECTS(test, file, code) \
	START_TEST(test) { expect_rejected(file, code); } END_TEST

REJECTS(zip_slip_is_rejected, "slip.zip", "path-traversal")
REJECTS(zip_slip_with_backslashes_is_rejected, "slip-bs.zip", "path-traversal")
REJECTS(tar_slip_is_rejected, "slip.tar", "path-traversal")
REJECTS(absolute_tar_path_is_rejected, "abs.tar", "path-absolute")
REJECTS(absolute_zip_path_is_rejected, "abs.zip", "path-absolute")
REJECTS(unc_path_is_rejected, "unc.zip", "path-absolute")
REJECTS(drive_letter_is_rejected, "drive.zip", "path-colon")
REJECTS(alternate_data_stream_is_rejected, "ads.zip", "path-colon")
REJECTS(control_character_is_rejected, "control.zip", "name-control")
REJECTS(newline_in_name_is_rejected, "newline.tar", "name-control")
REJECTS(bidi_override_is_rejected, "bidi.zip", "name-bidi")
REJECTS(trailing_dot_is_rejected, "trailing-dot.zip", "name-trailing")
REJECTS(trailing_space_is_rejected, "trailing-space.tar", "name-trailing")
REJECTS(reserved_con_is_rejected, "reserved.zip", "name-reserved")
REJECTS(reserved_lpt_without_extension_is_rejected, "reserved-lpt.tar", "name-reserved")
REJECTS(reserved_name_with_two_extensions_is_rejected, "reserved-ext.zip", "name-reserved")
REJECTS(reserved_com_superscript_is_rejected, "reserved-sup.zip", "name-reserved")
REJECTS(empty_name_is_rejected, "empty-name.tar", "name-empty")
REJECTS(duplicate_tar_names_are_rejected, "dup.tar", "name-duplicate")
REJECTS(duplicate_zip_names_are_rejected, "dup.zip", "name-duplicate")
REJECTS(case_collision_is_rejected, "case.zip", "name-collision")
REJECTS(nfd_nfc_collision_in_raw_tar_names_is_rejected, "nfd-gnu.tar", "name-collision")
REJECTS(cyrillic_case_collision_is_rejected, "cyrillic.zip", "name-collision")
REJECTS(long_path_is_rejected, "longpath.tar", "path-too-long")
REJECTS(nfc_and_nfd_names_collide, "fold-nfd.tar", "name-collision")
REJECTS(sharp_s_collides_with_ss_under_full_case_folding, "fold-sharp-s.tar", "name-collision")

START_TEST(greek_sigma_and_final_sigma_collide)
{
	/* Σ, σ, ς: the second and the third each collide with the first. */
	struct inspect_result res;
	size_t i, n = 0;

	inspect_as("fold-sigma.tar", &pol, &res);
	for (i = 0; i < res.nfindings; i++)
		if (strcmp(res.findings[i].code, "name-collision") == 0)
			n++;
	if (n != 2)
		dump("fold-sigma.tar", &res);
	ck_assert(!res.accepted);
	ck_assert_uint_eq(n, 2);
	inspect_result_clear(&res);
}
END_TEST

START_TEST(turkish_dotless_i_does_not_collide_with_i)
{
	/* default folding, no Turkish tailoring: dır, dir and dİr stay apart */
	expect_accepted("fold-turkish.tar");
}
END_TEST

START_TEST(distinct_names_are_not_collisions)
{
	/* "Report"/"Reports", "été"/"ete": folding strips no accents */
	expect_accepted("fold-distinct.tar");
}
END_TEST

START_TEST(nfd_nfc_collision_in_zip_is_rejected)
{
	/* libarchive normalises flagged UTF-8 names to NFC itself, so the
	 * two names arrive equal: a duplicate. */
	struct inspect_result res;

	inspect_as("nfd.zip", &pol, &res);
	ck_assert(!res.accepted);
	ck_assert(find(&res, "name-duplicate") != NULL || find(&res, "name-collision") != NULL);
	inspect_result_clear(&res);
}
END_TEST

/* ---- hostile entry types, modes, encryption ---- */

REJECTS(tar_symlink_is_rejected, "symlink.tar", "symlink")
REJECTS(zip_symlink_is_rejected, "symlink.zip", "symlink")
REJECTS(hardlink_is_rejected, "hardlink.tar", "hardlink")
REJECTS(device_is_rejected, "device.tar", "device")
REJECTS(fifo_is_rejected, "fifo.tar", "fifo")
REJECTS(setuid_tar_member_is_rejected, "setuid.tar", "setuid")
REJECTS(setgid_tar_member_is_rejected, "setgid.tar", "setuid")
REJECTS(setuid_zip_member_is_rejected, "setuid.zip", "setuid")
REJECTS(zipcrypto_member_is_rejected, "enc.zip", "encrypted")
REJECTS(aes_zip_member_is_rejected, "enc-aes.zip", "encrypted")
REJECTS(encrypted_7z_headers_are_rejected, "enc-headers.7z", "encrypted")
REJECTS(encrypted_7z_data_is_rejected, "enc-data.7z", "encrypted")

/* ---- limits ---- */

REJECTS(zip_ratio_bomb_is_rejected, "bomb.zip", "compression-ratio")
REJECTS(small_zip_ratio_bomb_is_rejected, "bomb-small.zip", "compression-ratio")
REJECTS(tar_gz_ratio_bomb_is_rejected, "bomb.tar.gz", "compression-ratio")
REJECTS(four_nested_archives_are_too_deep, "depth4.zip", "archive-too-deep")
REJECTS(zip_appended_to_a_tar_is_rejected, "tar-zip.tar", "trailing-data")
REJECTS(program_appended_to_a_tar_is_rejected, "tar-elf.tar", "trailing-data")
REJECTS(zip_after_a_gzip_stream_is_rejected, "targz-zip.tar.gz", "trailing-data")
REJECTS(zip_after_the_tar_inside_gzip_is_rejected, "gztar-zip.tar.gz", "trailing-data")

START_TEST(zip_after_an_xz_stream_is_rejected)
{
	struct inspect_result res;

	/* liblzma itself refuses what follows a stream but padding */
	inspect_as("tarxz-zip.tar.xz", &pol, &res);
	ck_assert(!res.accepted);
	ck_assert(find(&res, "trailing-data") != NULL || find(&res, "archive-unreadable") != NULL);
	inspect_result_clear(&res);
}
END_TEST

START_TEST(zero_padding_after_a_tar_is_accepted)
{
	expect_accepted("tar-pad.tar");
	expect_accepted("targz-pad.tar.gz");
	expect_accepted("targz-two.tar.gz");
}
END_TEST

REJECTS(many_small_members_are_a_bomb_in_all, "bomb-members.zip", "archive-ratio")
REJECTS(nested_expansion_counts_against_the_upload, "bomb-nested.zip", "archive-ratio")

START_TEST(whole_archive_ratio_comes_from_the_policy)
{
	struct policy p = pol;

	/* log.zip: a 3 MiB log, accepted at the default (compressible case) */
	p.max_archive_ratio = 2;
	expect_rejected_p("log.zip", &p, "archive-ratio");
}
END_TEST

START_TEST(ratio_is_not_checked_below_ratio_min)
{
	struct policy p = pol;
	struct inspect_result res;

	p.archive_ratio_min = 64 << 20;
	inspect_as("bomb-small.zip", &p, &res);
	if (!res.accepted)
		dump("bomb-small.zip", &res);
	ck_assert(res.accepted);
	inspect_result_clear(&res);
}
END_TEST

START_TEST(too_many_members_are_rejected)
{
	struct policy p = pol;

	p.archive_members = 5;
	expect_rejected_p("many.tar", &p, "too-many-members");
	p.archive_members = 20;
	{
		struct inspect_result res;

		inspect_as("many.tar", &p, &res);
		ck_assert(res.accepted);
		inspect_result_clear(&res);
	}
}
END_TEST

START_TEST(members_are_counted_across_nesting)
{
	struct policy p = pol;

	p.archive_members = 3;     /* depth3.zip: 3 nested zips and a leaf, one each */
	expect_rejected_p("depth3.zip", &p, "too-many-members");
	p.archive_members = 4;
	{
		struct inspect_result res;

		inspect_as("depth3.zip", &p, &res);
		ck_assert(res.accepted);
		inspect_result_clear(&res);
	}
}
END_TEST

START_TEST(expanded_bytes_are_counted_as_read)
{
	struct policy p = pol;

	p.archive_expanded = 1000;  /* many.tar: 20 members of 66 bytes */
	expect_rejected_p("many.tar", &p, "expanded-too-large");
}
END_TEST

START_TEST(member_larger_than_an_upload_is_rejected)
{
	struct policy p = pol;

	p.max_upload = 1000;        /* big.zip: one 5000-byte member */
	expect_rejected_p("big.zip", &p, "member-too-large");
}
END_TEST

START_TEST(depth_limit_comes_from_the_policy)
{
	struct policy p = pol;

	p.archive_depth = 0;
	expect_rejected_p("nested.tar", &p, "archive-too-deep");
}
END_TEST

START_TEST(time_limit_stops_inspection)
{
	struct policy p = pol;

	p.inspect_seconds = 0;
	expect_rejected_p("bundle-gnu.tar", &p, "inspect-timeout");
}
END_TEST

/* ---- zip structure (the central-directory cross-check) ---- */

REJECTS(overlapping_zip_entries_are_rejected, "overlap.zip", "zip-overlap")
REJECTS(prepended_stub_is_rejected, "stub.zip", "zip-prefix")
REJECTS(prepended_stub_with_adjusted_offsets_is_rejected, "stub-abs.zip", "zip-prefix")
REJECTS(concatenated_zips_are_rejected, "concat.zip", "zip-multiple-eocd")
REJECTS(local_name_mismatch_is_rejected, "namemismatch.zip", "zip-cd-mismatch")
REJECTS(unicode_path_field_differential_is_rejected, "upath.zip", "zip-cd-mismatch")

/* ---- member content ---- */

REJECTS(pe_inside_zip_is_rejected, "exe.zip", "executable")
REJECTS(elf_named_pdf_inside_tar_is_rejected, "elf.tar", "executable")
REJECTS(shebang_script_inside_tar_is_rejected, "script.tar", "executable")
REJECTS(batch_file_name_is_rejected, "bat.zip", "executable")
REJECTS(html_member_is_rejected, "html.zip", "member-type-not-allowed")
REJECTS(member_extension_mismatch_is_rejected, "mismatch.zip", "extension-mismatch")
REJECTS(text_member_turning_binary_is_rejected, "nul.zip", "text-binary")
REJECTS(gzip_without_tar_is_unreadable, "notar.gz", "archive-unreadable")
REJECTS(truncated_tar_gz_is_unreadable, "trunc.tar.gz", "archive-unreadable")

START_TEST(pdf_member_goes_to_the_pdf_check)
{
	struct inspect_result res;
	size_t i;

	inspect_as("badpdf.zip", &pol, &res);
	ck_assert(!res.accepted);
	for (i = 0; i < res.nfindings; i++)
		if (strcmp(res.findings[i].member, "bad.pdf") == 0 &&
		    strncmp(res.findings[i].code, "pdf-", 4) == 0)
			break;
	if (i == res.nfindings)
		dump("badpdf.zip", &res);
	ck_assert_uint_lt(i, res.nfindings);
	inspect_result_clear(&res);
}
END_TEST

START_TEST(csv_member_goes_to_the_csv_check)
{
	struct inspect_result res;
	size_t i;

	inspect_as("badcsv.zip", &pol, &res);
	ck_assert(!res.accepted);
	for (i = 0; i < res.nfindings; i++)
		if (strcmp(res.findings[i].member, "x.csv") == 0 &&
		    strncmp(res.findings[i].code, "csv-", 4) == 0)
			break;
	if (i == res.nfindings)
		dump("badcsv.zip", &res);
	ck_assert_uint_lt(i, res.nfindings);
	inspect_result_clear(&res);
}
END_TEST

/* ---- quines: a member identical to an enclosing archive ---- */

static void
quine_run(int lazy)
{
	struct inspect_result res;
	struct inspect_content ic;
	struct arc_run run;
	char path[512];
	struct stat st, sti;
	int fd, fdi;
	uint8_t *inner;

	snprintf(path, sizeof(path), "%s/quine-outer.zip", dir);
	ck_assert_int_ne(fd = open(path, O_RDONLY), -1);
	ck_assert_int_eq(fstat(fd, &st), 0);
	snprintf(path, sizeof(path), "%s/quine-inner.zip", dir);
	ck_assert_int_ne(fdi = open(path, O_RDONLY), -1);
	ck_assert_int_eq(fstat(fdi, &sti), 0);

	memset(&res, 0, sizeof(res));
	res.accepted = 1;
	memset(&run, 0, sizeof(run));
	ic.type = member_type;
	ic.arg = in;
	run.ic = &ic;
	run.p = &pol;
	run.res = &res;
	clock_gettime(CLOCK_MONOTONIC, &run.deadline);
	run.deadline.tv_sec += 60;
	run.chunk = malloc(ARC_CHUNK);
	run.prefix = malloc(TYPES_MAGIC_BYTES);
	run.md = EVP_MD_CTX_new();
	/* The ancestor is what the outer zip's member inner.zip holds:
	 * either by fd (hashed lazily, as the upload is) or by hash. */
	run.anc[0].size = (uint64_t)sti.st_size;
	run.anc[0].fd = fdi;
	if (!lazy) {
		inner = malloc((size_t)sti.st_size);
		ck_assert_int_eq(pread(fdi, inner, (size_t)sti.st_size, 0), sti.st_size);
		util_sha256(inner, (size_t)sti.st_size, run.anc[0].sha256);
		run.anc[0].hashed = 1;
		free(inner);
	}
	run.nanc = 1;
	ck_assert_int_eq(archive_walk(&run, fd, (uint64_t)st.st_size, NULL, "", 0), 0);
	if (find(&res, "archive-quine") == NULL)
		dump("quine-outer.zip", &res);
	ck_assert_ptr_nonnull(find(&res, "archive-quine"));
	ck_assert_str_eq(find(&res, "archive-quine")->member, "inner.zip");
	ck_assert(!res.accepted);
	free(run.man);
	free(run.chunk);
	free(run.prefix);
	EVP_MD_CTX_free(run.md);
	close(fd);
	close(fdi);
}

START_TEST(member_identical_to_the_upload_is_a_quine)
{
	quine_run(1);
}
END_TEST

START_TEST(member_identical_to_a_nested_ancestor_is_a_quine)
{
	quine_run(0);
}
END_TEST

START_TEST(different_ancestor_is_not_a_quine)
{
	/* the same archive, inspected normally: its ancestor is itself */
	struct inspect_result res;

	inspect_as("quine-outer.zip", &pol, &res);
	ck_assert(res.accepted);
	ck_assert_ptr_null(find(&res, "archive-quine"));
	inspect_result_clear(&res);
}
END_TEST

/* ---- name helpers ---- */

/* 1 if NAME's collision key is KEY. */
static int
key_is(const char *name, const char *key)
{
	char *k = name_key(name);
	int eq;

	ck_assert_ptr_nonnull(k);
	eq = strcmp(k, key) == 0;
	if (!eq)
		fprintf(stderr, "name_key(\"%s\") = \"%s\", wanted \"%s\"\n", name, k, key);
	free(k);
	return eq;
}

START_TEST(name_key_folds_case_and_composes_nfd)
{
	ck_assert(key_is("Docs/./CAFE\xcc\x81.TXT", "docs/caf\xc3\xa9.txt"));  /* E + acute */
	ck_assert(key_is("docs//caf\xc3\x89.txt", "docs/caf\xc3\xa9.txt"));    /* É */
	ck_assert(key_is("\xd0\x9e\xd0\xa2\xd0\xa7\xd0\x81\xd0\xa2",            /* ОТЧЁТ */
	    "\xd0\xbe\xd1\x82\xd1\x87\xd1\x91\xd1\x82"));
	ck_assert(key_is("a\\b/", "a/b"));
	ck_assert(key_is("\xff\xfe", "\xff\xfe"));                  /* not UTF-8: as is */
	ck_assert(key_is("\xff\xc3\x89/\xfe", "\xff\xc3\xa9/\xfe")); /* UTF-8 runs still fold */
}
END_TEST

START_TEST(name_key_uses_full_folding_and_nfc_in_every_script)
{
	ck_assert(key_is("STRASSE", "strasse"));
	ck_assert(key_is("stra\xc3\x9f" "e", "strasse"));            /* ß -> ss */
	ck_assert(key_is("\xce\xa3", "\xcf\x83"));                  /* Σ -> σ */
	ck_assert(key_is("\xcf\x82", "\xcf\x83"));                  /* ς -> σ */
	ck_assert(key_is("\xc4\xb1", "\xc4\xb1"));                  /* ı stays ı */
	ck_assert(key_is("I", "i"));
	ck_assert(key_is("\xc4\xb0", "i\xcc\x87"));                 /* İ -> i + dot above */
	ck_assert(key_is("\xe2\x84\xaa", "k"));                      /* Kelvin sign */
	ck_assert(key_is("\xd4\xb1", "\xd5\xa1"));                  /* Armenian Ա -> ա */
	/* e + dot below + circumflex, in either order, is ệ (U+1EC7) */
	ck_assert(key_is("e\xcc\xa3\xcc\x82", "\xe1\xbb\x87"));
	ck_assert(key_is("E\xcc\x82\xcc\xa3", "\xe1\xbb\x87"));
	ck_assert(key_is("\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab",     /* Hangul jamo -> 한 */
	    "\xed\x95\x9c"));
	ck_assert(key_is("e\xcc\x81", "\xc3\xa9"));                  /* accents stay */
}
END_TEST

START_TEST(reserved_names_are_recognised)
{
	ck_assert(name_reserved("CON", 3));
	ck_assert(name_reserved("con.txt", 7));
	ck_assert(name_reserved("Nul.tar.gz", 10));
	ck_assert(name_reserved("COM9", 4));
	ck_assert(name_reserved("lpt1.log", 8));
	ck_assert(name_reserved("CON .txt", 8));
	ck_assert(!name_reserved("CONTRACT.pdf", 12));
	ck_assert(!name_reserved("COM0", 4));
	ck_assert(!name_reserved("console", 7));
	ck_assert(!name_reserved("LPT10", 5));
}
END_TEST

START_TEST(member_names_are_judged_as_the_front_judges_filenames)
{
	/* lib/utf8.h decides (tests/unit/utf8.c); these are the classes'
	 * findings: a line separator is a control, a BOM is invisible. */
	ck_assert(name_is_control(0x0a) && name_is_control(0x85) && name_is_control(0x2028));
	ck_assert(name_is_bidi(0x202e) && name_is_bidi(0x2066) && !name_is_bidi(0x2028));
	ck_assert(name_is_invisible(0xfeff) && name_is_invisible(0xfdd0) &&
	    name_is_invisible(0x1fffe));
	ck_assert(!name_is_control('a') && !name_is_bidi(0xe9) && !name_is_invisible(0xfffd));
}
END_TEST

START_TEST(manifest_escapes_hostile_names)
{
	struct arc_run run;
	struct member m;

	memset(&run, 0, sizeof(run));
	memset(&m, 0, sizeof(m));
	m.path = "a\tb%\xff\xe2\x80\xae\xc2\x85z\xc3\xa9";
	m.size = 7;
	snprintf(m.mime, sizeof(m.mime), "text/plain");
	ck_assert_int_eq(man_line(&run, &m), 0);
	ck_assert_uint_eq(run.lines, 1);
	ck_assert_ptr_nonnull(run.man);
	{
		const char *want = "a%09b%25%FF%E2%80%AE%C2%85z\xc3\xa9\t7\t";

		ck_assert_int_eq(strncmp(run.man, want, strlen(want)), 0);
	}
	ck_assert_ptr_null(memchr(run.man, '\n', run.manlen - 1));
	free(run.man);
}
END_TEST

/* ---- inspected as it arrives (inspect.h: inspect_stream) ---- */

/* The stream of a test: the whole file by pread, cut short after CUT bytes. */
struct tstream {
	int      fd;
	uint64_t pos, cut;
	uint8_t  buf[ARC_BLOCK];
	unsigned calls;
};

static ssize_t
tstream_read(void *arg, size_t len, const void **buf)
{
	struct tstream *t = arg;
	ssize_t n;

	t->calls++;
	if (len > sizeof(t->buf) || t->pos + len > t->cut)
		return -1;
	if ((n = pread(t->fd, t->buf, len, (off_t)t->pos)) != (ssize_t)len)
		return -1;
	t->pos += len;
	*buf = t->buf;
	return n;
}

/* Inspects DIR/FILE from a stream, its descriptor holding only the head
 * the follower's has (the first TYPES_MAGIC_BYTES). */
static void
inspect_streamed(const char *file, const struct policy *p, uint64_t cut,
    struct inspect_result *res, unsigned *calls)
{
	static char head[TYPES_MAGIC_BYTES];
	struct inspect_request req;
	struct tstream t = { .cut = cut };
	ssize_t n;
	int hfd;

	memset(&req, 0, sizeof(req));
	t.fd = fixture_open(dir, file, &req.size);
	ck_assert_int_ge((n = pread(t.fd, head, sizeof(head), 0)), 0);
	ck_assert_int_ne((hfd = memfd_create("head", MFD_CLOEXEC)), -1);
	ck_assert_int_eq(write(hfd, head, (size_t)n), n);
	req.fd = hfd;
	req.filename = file;
	req.kind = &kinds[0];
	req.policy = p;
	req.stream = &(struct inspect_stream){ .read = tstream_read, .arg = &t };
	ck_assert_int_eq(inspector_run(in, &req, res), 0);
	if (calls != NULL)
		*calls = t.calls;
	close(hfd);
	close(t.fd);
}

static int
same_result(const struct inspect_result *a, const struct inspect_result *b)
{
	if (a->accepted != b->accepted || strcmp(a->type, b->type) != 0 ||
	    a->nfindings != b->nfindings || a->nmore != b->nmore ||
	    a->is_archive != b->is_archive || a->members != b->members ||
	    a->manifest_len != b->manifest_len ||
	    memcmp(a->manifest_sha256, b->manifest_sha256, 32) != 0 ||
	    (a->manifest_len > 0 && memcmp(a->manifest, b->manifest, a->manifest_len) != 0))
		return 0;
	for (size_t i = 0; i < a->nfindings; i++)
		if (strcmp(a->findings[i].code, b->findings[i].code) != 0 ||
		    strcmp(a->findings[i].member, b->findings[i].member) != 0 ||
		    strcmp(a->findings[i].detail, b->findings[i].detail) != 0)
			return 0;
	return 1;
}

/* Every archive the tests build (benign and hostile, every format): the
 * streamed inspection either says it needs the file or says exactly what
 * the file's says, to the byte of every finding and of the manifest. */
START_TEST(streamed_inspection_says_what_the_file_would)
{
	struct inspect_result file, streamed;
	struct dirent *e;
	unsigned nstreamed = 0, nfile = 0, ntar = 0, calls;
	DIR *d;

	ck_assert_ptr_nonnull((d = opendir(dir)));
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		int is_tar = len > 4 && (strcmp(e->d_name + len - 4, ".tar") == 0 ||
		    (len > 7 && strcmp(e->d_name + len - 7, ".tar.gz") == 0));

		if (e->d_type != DT_REG)
			continue;
		inspect_as(e->d_name, &pol, &file);
		inspect_streamed(e->d_name, &pol, UINT64_MAX, &streamed, &calls);
		if (streamed.need_file) {
			nfile++;
			/* A tar is read in one pass unless it holds what needs the file. */
			ck_assert_msg(!is_tar || strstr(e->d_name, "trunc") != NULL ||
			    calls > 0, "%s: a tar not streamed at all", e->d_name);
		} else {
			nstreamed++;
			ntar += is_tar;
			if (!same_result(&file, &streamed)) {
				dump(e->d_name, &file);
				dump(e->d_name, &streamed);
			}
			ck_assert_msg(same_result(&file, &streamed), "%s: streamed differs",
			    e->d_name);
		}
		inspect_result_clear(&file);
		inspect_result_clear(&streamed);
	}
	closedir(d);
	fprintf(stderr, "streamed: %u files with the file's result, %u need the file\n",
	    nstreamed, nfile);
	ck_assert_uint_ge(ntar, 20);
	ck_assert_uint_gt(nfile, 10);
}
END_TEST

/* What a stream cannot give: the rest of a zip or 7z, bytes that stop
 * coming, the time the upload took, the upload's own hash. */
START_TEST(streamed_inspection_needs_the_file_when_one_pass_is_not_enough)
{
	static const char *const need[] = { "log.zip", "stub.zip", "overlap.zip",
	    "quine-outer.zip" };
	struct inspect_result res;
	struct policy p = pol;
	struct arc_run run;

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		inspect_streamed(need[i], &pol, UINT64_MAX, &res, NULL);
		ck_assert_msg(res.need_file, "%s: streamed", need[i]);
		inspect_result_clear(&res);
	}
	/* A client gone mid-body: never a finding, only the file decides. */
	inspect_streamed("bundle-gnu.tar", &pol, 1024, &res, NULL);
	ck_assert(res.need_file);
	inspect_result_clear(&res);
	/* Out of time: the file's inspection has a clock of its own. */
	p.inspect_seconds = 0;
	inspect_streamed("bundle-gnu.tar", &p, UINT64_MAX, &res, NULL);
	ck_assert(res.need_file);
	inspect_result_clear(&res);
	/* A member as large as the upload: its hash is not known yet. */
	memset(&run, 0, sizeof(run));
	run.stream = &(struct inspect_stream){ .read = tstream_read };
	run.anc[0].fd = -1;
	run.anc[0].size = 1;
	ck_assert_int_eq(arc_ancestor_hash(&run, &run.anc[0]), 0);
	ck_assert(run.need_file && run.stop && !run.anc[0].hashed);
}
END_TEST

START_TEST(trailing_data_streamed_is_found_as_in_the_file)
{
	static const char *const files[] = { "tar-zip.tar", "tar-elf.tar", "targz-zip.tar.gz",
	    "gztar-zip.tar.gz" };
	struct inspect_result res;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		inspect_streamed(files[i], &pol, UINT64_MAX, &res, NULL);
		ck_assert_msg(!res.need_file, "%s: the follower left it to the file", files[i]);
		ck_assert_msg(find(&res, "trailing-data") != NULL, "%s: streamed, no trailing-data",
		    files[i]);
		inspect_result_clear(&res);
	}
}
END_TEST

static Suite *
archive_suite(void)
{
	Suite *s = suite_create("archive");
	TCase *ok = tcase_create("accepts");
	TCase *names = tcase_create("names");
	TCase *types = tcase_create("types");
	TCase *limits = tcase_create("limits");
	TCase *zip = tcase_create("zip");
	TCase *content = tcase_create("content");
	TCase *helpers = tcase_create("helpers");
	TCase *all[] = { ok, names, types, limits, zip, content, helpers };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		tcase_set_timeout(all[i], 60);
		suite_add_tcase(s, all[i]);
	}
	tcase_add_test(ok, python_zip_with_dirs_and_empty_files_is_accepted);
	tcase_add_test(ok, infozip_zips_are_accepted);
	tcase_add_test(ok, sevenzip_archives_are_accepted);
	tcase_add_test(ok, bsdtar_archives_are_accepted);
	tcase_add_test(ok, gnu_tar_archives_are_accepted);
	tcase_add_test(ok, nested_zip_in_tar_is_accepted_and_listed);
	tcase_add_test(ok, three_nested_archives_are_accepted);
	tcase_add_test(ok, macos_metadata_is_accepted);
	tcase_add_test(ok, unicode_names_are_accepted);
	tcase_add_test(ok, xlsx_member_is_typed_as_ooxml);
	tcase_add_test(ok, compressible_log_is_not_a_bomb);
	tcase_add_test(ok, streamed_inspection_says_what_the_file_would);
	tcase_add_test(ok, trailing_data_streamed_is_found_as_in_the_file);
	tcase_add_test(ok, streamed_inspection_needs_the_file_when_one_pass_is_not_enough);

	tcase_add_test(names, zip_slip_is_rejected);
	tcase_add_test(names, zip_slip_with_backslashes_is_rejected);
	tcase_add_test(names, tar_slip_is_rejected);
	tcase_add_test(names, absolute_tar_path_is_rejected);
	tcase_add_test(names, absolute_zip_path_is_rejected);
	tcase_add_test(names, unc_path_is_rejected);
	tcase_add_test(names, drive_letter_is_rejected);
	tcase_add_test(names, alternate_data_stream_is_rejected);
	tcase_add_test(names, control_character_is_rejected);
	tcase_add_test(names, newline_in_name_is_rejected);
	tcase_add_test(names, bidi_override_is_rejected);
	tcase_add_test(names, trailing_dot_is_rejected);
	tcase_add_test(names, trailing_space_is_rejected);
	tcase_add_test(names, reserved_con_is_rejected);
	tcase_add_test(names, reserved_lpt_without_extension_is_rejected);
	tcase_add_test(names, reserved_name_with_two_extensions_is_rejected);
	tcase_add_test(names, reserved_com_superscript_is_rejected);
	tcase_add_test(names, empty_name_is_rejected);
	tcase_add_test(names, duplicate_tar_names_are_rejected);
	tcase_add_test(names, duplicate_zip_names_are_rejected);
	tcase_add_test(names, case_collision_is_rejected);
	tcase_add_test(names, nfd_nfc_collision_in_zip_is_rejected);
	tcase_add_test(names, nfd_nfc_collision_in_raw_tar_names_is_rejected);
	tcase_add_test(names, cyrillic_case_collision_is_rejected);
	tcase_add_test(names, long_path_is_rejected);
	tcase_add_test(names, nfc_and_nfd_names_collide);
	tcase_add_test(names, sharp_s_collides_with_ss_under_full_case_folding);
	tcase_add_test(names, greek_sigma_and_final_sigma_collide);
	tcase_add_test(names, turkish_dotless_i_does_not_collide_with_i);
	tcase_add_test(names, distinct_names_are_not_collisions);

	tcase_add_test(types, tar_symlink_is_rejected);
	tcase_add_test(types, zip_symlink_is_rejected);
	tcase_add_test(types, hardlink_is_rejected);
	tcase_add_test(types, device_is_rejected);
	tcase_add_test(types, fifo_is_rejected);
	tcase_add_test(types, setuid_tar_member_is_rejected);
	tcase_add_test(types, setgid_tar_member_is_rejected);
	tcase_add_test(types, setuid_zip_member_is_rejected);
	tcase_add_test(types, zipcrypto_member_is_rejected);
	tcase_add_test(types, aes_zip_member_is_rejected);
	tcase_add_test(types, encrypted_7z_headers_are_rejected);
	tcase_add_test(types, encrypted_7z_data_is_rejected);

	tcase_add_test(limits, zip_ratio_bomb_is_rejected);
	tcase_add_test(limits, small_zip_ratio_bomb_is_rejected);
	tcase_add_test(limits, tar_gz_ratio_bomb_is_rejected);
	tcase_add_test(limits, ratio_is_not_checked_below_ratio_min);
	tcase_add_test(limits, four_nested_archives_are_too_deep);
	tcase_add_test(limits, many_small_members_are_a_bomb_in_all);
	tcase_add_test(limits, zip_appended_to_a_tar_is_rejected);
	tcase_add_test(limits, program_appended_to_a_tar_is_rejected);
	tcase_add_test(limits, zip_after_a_gzip_stream_is_rejected);
	tcase_add_test(limits, zip_after_the_tar_inside_gzip_is_rejected);
	tcase_add_test(limits, zip_after_an_xz_stream_is_rejected);
	tcase_add_test(limits, zero_padding_after_a_tar_is_accepted);
	tcase_add_test(limits, nested_expansion_counts_against_the_upload);
	tcase_add_test(limits, whole_archive_ratio_comes_from_the_policy);
	tcase_add_test(limits, too_many_members_are_rejected);
	tcase_add_test(limits, members_are_counted_across_nesting);
	tcase_add_test(limits, expanded_bytes_are_counted_as_read);
	tcase_add_test(limits, member_larger_than_an_upload_is_rejected);
	tcase_add_test(limits, depth_limit_comes_from_the_policy);
	tcase_add_test(limits, time_limit_stops_inspection);
	tcase_add_test(limits, member_identical_to_the_upload_is_a_quine);
	tcase_add_test(limits, member_identical_to_a_nested_ancestor_is_a_quine);
	tcase_add_test(limits, different_ancestor_is_not_a_quine);

	tcase_add_test(zip, overlapping_zip_entries_are_rejected);
	tcase_add_test(zip, prepended_stub_is_rejected);
	tcase_add_test(zip, prepended_stub_with_adjusted_offsets_is_rejected);
	tcase_add_test(zip, concatenated_zips_are_rejected);
	tcase_add_test(zip, local_name_mismatch_is_rejected);
	tcase_add_test(zip, unicode_path_field_differential_is_rejected);

	tcase_add_test(content, pe_inside_zip_is_rejected);
	tcase_add_test(content, elf_named_pdf_inside_tar_is_rejected);
	tcase_add_test(content, shebang_script_inside_tar_is_rejected);
	tcase_add_test(content, batch_file_name_is_rejected);
	tcase_add_test(content, html_member_is_rejected);
	tcase_add_test(content, member_extension_mismatch_is_rejected);
	tcase_add_test(content, text_member_turning_binary_is_rejected);
	tcase_add_test(content, gzip_without_tar_is_unreadable);
	tcase_add_test(content, truncated_tar_gz_is_unreadable);
	tcase_add_test(content, pdf_member_goes_to_the_pdf_check);
	tcase_add_test(content, csv_member_goes_to_the_csv_check);

	tcase_add_test(helpers, name_key_folds_case_and_composes_nfd);
	tcase_add_test(helpers, name_key_uses_full_folding_and_nfc_in_every_script);
	tcase_add_test(helpers, reserved_names_are_recognised);
	tcase_add_test(helpers, member_names_are_judged_as_the_front_judges_filenames);
	tcase_add_test(helpers, manifest_escapes_hostile_names);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	setup();
	policy_set(&pol, kinds, 2);
	sr = srunner_create(archive_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	teardown();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
