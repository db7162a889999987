/*
 * Unit tests of front/tus.c (included, to reach its static functions): the
 * numbers and the Upload-Metadata a hostile client sends, the claims made
 * of them for the PUT path's checks, and the on-disk state a crash leaves
 * (a torn offset record, a tail past the recorded offset, strays, expiry).
 */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "front/tus.c"

static const char *
parse(const char *in, struct tus_meta *m)
{
	return tus_parse_meta(in, m);
}

START_TEST(numbers_are_plain_decimal)
{
	uint64_t v;

	ck_assert_int_eq(tus_number("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(tus_number("31457280", &v), 0);
	ck_assert_uint_eq(v, 31457280);
	ck_assert_int_eq(tus_number("9999999999999999999", &v), 0);
	ck_assert_int_eq(tus_number("18446744073709551616", &v), -1);   /* 2^64: 20 digits */
	ck_assert_int_eq(tus_number("", &v), -1);
	ck_assert_int_eq(tus_number("01", &v), -1);
	ck_assert_int_eq(tus_number("-1", &v), -1);
	ck_assert_int_eq(tus_number("+1", &v), -1);
	ck_assert_int_eq(tus_number(" 1", &v), -1);
	ck_assert_int_eq(tus_number("1 ", &v), -1);
	ck_assert_int_eq(tus_number("0x10", &v), -1);
	ck_assert_int_eq(tus_number("1e3", &v), -1);
}
END_TEST

START_TEST(metadata_takes_our_keys_and_ignores_others)
{
	struct tus_meta m;

	/* kind evidence, filename "a b.txt", ref EV-1, an empty plan, Uppy's own keys */
	ck_assert_ptr_null(parse("kind ZXZpZGVuY2U=,filename YSBiLnR4dA==,ref RVYtMQ==,"
	    "filetype dGV4dC9wbGFpbg==,relativePath", &m));
	ck_assert_str_eq(m.kind, "evidence");
	ck_assert_str_eq(m.filename, "a b.txt");
	ck_assert_uint_eq(m.filename_len, 7);
	ck_assert_int_eq(m.has_ref, 1);
	ck_assert_str_eq(m.ref, "EV-1");
	ck_assert_int_eq(m.has_plan, 0);
	ck_assert_int_eq(m.has_for, 0);
	/* white space around pairs, a key without a value */
	ck_assert_ptr_null(parse(" kind ZXZpZGVuY2U= , filename YQ==,ref", &m));
	ck_assert_int_eq(m.has_ref, 1);
	ck_assert_uint_eq(m.ref_len, 0);
}
END_TEST

START_TEST(metadata_refuses_what_is_malformed)
{
	struct tus_meta m;

	ck_assert_ptr_nonnull(parse("", &m));                                  /* no kind */
	ck_assert_ptr_nonnull(parse("kind ZXZpZGVuY2U=", &m));                 /* no filename */
	ck_assert_ptr_nonnull(parse("filename YQ==", &m));                     /* no kind */
	ck_assert_ptr_nonnull(parse("kind ZXZpZGVuY2U=,filename YQ==,", &m));  /* trailing comma */
	ck_assert_ptr_nonnull(parse("kind ZXZpZGVuY2U=,,filename YQ==", &m));  /* empty pair */
	ck_assert_ptr_nonnull(parse("kind ZXZpZGVuY2U=,filename YQ==,kind YQ==", &m)); /* twice */
	ck_assert_ptr_nonnull(parse("kind ZXZpZGVuY2U=,filename !!!!", &m));   /* not base64 */
	ck_assert_ptr_nonnull(parse("kind ZXZpZGVuY2U=,filename YQ", &m));     /* unpadded */
	ck_assert_ptr_nonnull(parse("kind ZXZpZGVuY2U=,filename YQ== YQ==", &m)); /* two values */
	ck_assert_ptr_nonnull(parse("kind ZXZp\x01ZGVuY2U=,filename YQ==", &m));
	ck_assert_ptr_nonnull(parse("ki\x7fnd ZXZpZGVuY2U=,filename YQ==", &m)); /* key byte */
	ck_assert_ptr_nonnull(parse("k\xc3\xa9y YQ==,kind ZXZpZGVuY2U=,filename YQ==", &m));
	/* a kind with a NUL in it: "evi\0dence" */
	ck_assert_ptr_nonnull(parse("kind ZXZpAGRlbmNl,filename YQ==", &m));
	/* a key of 64 bytes */
	ck_assert_ptr_nonnull(parse("kind ZXZpZGVuY2U=,filename YQ==,"
	    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", &m));
}
END_TEST

START_TEST(metadata_has_at_most_16_keys)
{
	struct tus_meta m;
	char buf[512] = "kind ZXZpZGVuY2U=,filename YQ==";

	for (int i = 0; i < 14; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ",k%d", i);
	ck_assert_ptr_null(parse(buf, &m));                      /* 16 */
	strcat(buf, ",k14");
	ck_assert_ptr_nonnull(parse(buf, &m));                   /* 17 */
}
END_TEST

START_TEST(metadata_values_have_limits)
{
	struct tus_meta m;
	char buf[2048], b64[1024];
	char name[300];

	memset(name, 'a', 256);
	name[256] = '\0';
	util_b64((const uint8_t *)name, 256, b64);
	snprintf(buf, sizeof(buf), "kind ZXZpZGVuY2U=,filename %s", b64);
	/* 256 bytes decode (the PUT path's check says "longer than 255") */
	ck_assert_ptr_null(parse(buf, &m));
	ck_assert_uint_eq(m.filename_len, 256);
	memset(name, 'k', 70);
	name[70] = '\0';
	util_b64((const uint8_t *)name, 70, b64);
	snprintf(buf, sizeof(buf), "kind %s,filename YQ==", b64);
	ck_assert_ptr_nonnull(parse(buf, &m));                   /* kind over KIND_NAME_MAX */
}
END_TEST

/* The claims go to upload_claims as a PUT's path and query: every byte of
 * a value comes back as it was, whatever it is. */
START_TEST(claims_encode_every_byte_for_the_put_path)
{
	struct tus_meta m;
	char path[2048], query[2048], out[1024];
	const char *why;
	size_t n;

	memset(&m, 0, sizeof(m));
	strcpy(m.kind, "evidence");
	memcpy(m.filename, "50%/x&y=z?\0.txt", 15);
	m.filename_len = 15;
	m.has_ref = 1;
	memcpy(m.ref, "EV%41&plan=3", 12);
	m.ref_len = 12;
	m.has_for = 1;
	strcpy(m.for_party, "BETA");
	m.for_len = 4;
	ck_assert_int_eq(tus_claims_of(&m, path, sizeof(path), query, sizeof(query)), 0);
	ck_assert_ptr_null(strchr(path + strlen("evidence/"), '/'));
	ck_assert_int_eq(url_decode(strchr(path, '/') + 1, strlen(strchr(path, '/') + 1), out,
	    sizeof(out), &n), 0);
	ck_assert_uint_eq(n, 15);
	ck_assert_mem_eq(out, "50%/x&y=z?\0.txt", 15);
	/* the PUT path refuses it (a '/' and a NUL), as it would a PUT's */
	ck_assert_int_eq(upload_filename(strchr(path, '/') + 1, strlen(strchr(path, '/') + 1),
	    out, 256, &why), -1);
	ck_assert_int_eq(url_query(query, "ref", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "EV%41&plan=3");
	ck_assert_int_eq(url_query(query, "plan", out, sizeof(out)), 0);   /* not smuggled */
	ck_assert_int_eq(url_query(query, "for", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "BETA");
}
END_TEST

/* --- the state on disk --- */

static char dir[256];
static struct config cfg;
static struct front fr;

static void
setup(void)
{
	strcpy(dir, "/tmp/unit-tus.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.data, sizeof(cfg.data), "%s", dir);
	cfg.resumable_expiry = 3600;
	memset(&fr, 0, sizeof(fr));
	fr.cfg = &cfg;
	ck_assert_ptr_nonnull(fr.base = event_base_new());
}

static void
teardown(void)
{
	char cmd[512];

	tus_free(&fr);
	event_base_free(fr.base);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char ID[] = "00112233445566778899aabbccddeeff";

/* An upload of 100 bytes whose .part holds PARTLEN bytes ('x'), its offset
 * recorded at OFFSET (0: only the creation's record). */
static struct tus
make_upload(size_t partlen, uint64_t offset, int64_t expires)
{
	struct tus t = { .f = &fr };
	struct tus_upload u;
	char path[PATH_MAX], buf[128];
	int fd;

	snprintf(t.dir, sizeof(t.dir), "%s/%s", dir, TUS_DIR);
	mkdir(t.dir, 0700);
	memset(&u, 0, sizeof(u));
	u.fd = -1;
	strcpy(u.id, ID);
	strcpy(u.owner, "ALPHA");
	strcpy(u.kind, "evidence");
	strcpy(u.filename, "a.txt");
	u.length = 100;
	u.nul_at = UINT64_MAX;
	u.expires = expires;
	ck_assert_int_eq(tus_write_info(&t, &u), 0);
	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(tus_path(&t, ID, "part", path, sizeof(path)), 0);
	ck_assert_int_ne(fd = open(path, O_CREAT | O_WRONLY, 0600), -1);
	ck_assert_int_eq(write(fd, buf, partlen), (ssize_t)partlen);
	close(fd);
	if (offset)
		ck_assert_int_eq(tus_persist(&t, &u, offset, UINT64_MAX), 0);
	return t;
}

static off_t
part_size(void)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s/%s.part", dir, TUS_DIR, ID);
	return stat(path, &st) == 0 ? st.st_size : -1;
}

START_TEST(restart_cuts_the_tail_past_the_recorded_offset)
{
	char err[256];
	struct tus_upload *u;

	make_upload(60, 40, time(NULL) + 3600);
	ck_assert_int_eq(tus_init(&fr, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(u = tus_find(fr.tus, ID));
	ck_assert_uint_eq(u->offset, 40);
	ck_assert_uint_eq(u->length, 100);
	ck_assert_str_eq(u->owner, "ALPHA");
	ck_assert_str_eq(u->kind, "evidence");
	ck_assert_str_eq(u->filename, "a.txt");
	ck_assert_uint_eq(u->seq, 2);
	ck_assert_int_eq(part_size(), 40);
}
END_TEST

START_TEST(a_torn_offset_record_falls_back_to_the_other)
{
	char err[256], path[PATH_MAX];
	struct tus t = make_upload(60, 40, time(NULL) + 3600);
	int fd;

	/* the record just written (sequence 2, at 0) is torn: the creation's stands */
	ck_assert_int_eq(tus_path(&t, ID, "info", path, sizeof(path)), 0);
	ck_assert_int_ne(fd = open(path, O_WRONLY), -1);
	ck_assert_int_eq(pwrite(fd, "torn", 4, 8), 4);
	close(fd);
	ck_assert_int_eq(tus_init(&fr, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(tus_find(fr.tus, ID));
	ck_assert_uint_eq(tus_find(fr.tus, ID)->offset, 0);
	ck_assert_int_eq(part_size(), 0);
}
END_TEST

START_TEST(both_records_torn_removes_the_upload)
{
	char err[256], path[PATH_MAX];
	struct tus t = make_upload(60, 40, time(NULL) + 3600);
	int fd;

	ck_assert_int_eq(tus_path(&t, ID, "info", path, sizeof(path)), 0);
	ck_assert_int_ne(fd = open(path, O_WRONLY), -1);
	ck_assert_int_eq(pwrite(fd, "torn", 4, 8), 4);
	ck_assert_int_eq(pwrite(fd, "torn", 4, TUS_SLOT + 8), 4);
	close(fd);
	ck_assert_int_eq(tus_init(&fr, err, sizeof(err)), 0);
	ck_assert_ptr_null(tus_find(fr.tus, ID));
	ck_assert_int_eq(part_size(), -1);
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

START_TEST(a_part_shorter_than_its_record_is_removed)
{
	char err[256];

	make_upload(30, 40, time(NULL) + 3600);
	ck_assert_int_eq(tus_init(&fr, err, sizeof(err)), 0);
	ck_assert_ptr_null(tus_find(fr.tus, ID));
	ck_assert_int_eq(part_size(), -1);
}
END_TEST

START_TEST(expired_and_stray_files_are_removed_at_start)
{
	char err[256], path[PATH_MAX + 64];
	struct tus t = make_upload(10, 10, time(NULL) - 1);
	int fd;

	/* a creation cut short (.tmp), a .part without a record, a foreign name */
	snprintf(path, sizeof(path), "%s/ffeeddccbbaa99887766554433221100.tmp", t.dir);
	ck_assert_int_ne(fd = open(path, O_CREAT | O_WRONLY, 0600), -1);
	close(fd);
	snprintf(path, sizeof(path), "%s/ffeeddccbbaa99887766554433221100.part", t.dir);
	ck_assert_int_ne(fd = open(path, O_CREAT | O_WRONLY, 0600), -1);
	close(fd);
	snprintf(path, sizeof(path), "%s/whatever", t.dir);
	ck_assert_int_ne(fd = open(path, O_CREAT | O_WRONLY, 0600), -1);
	close(fd);
	ck_assert_int_eq(tus_init(&fr, err, sizeof(err)), 0);
	ck_assert_ptr_null(tus_find(fr.tus, ID));
	{
		DIR *d = opendir(t.dir);
		struct dirent *de;
		int n = 0;

		ck_assert_ptr_nonnull(d);
		while ((de = readdir(d)) != NULL)
			n += de->d_name[0] != '.';
		closedir(d);
		ck_assert_int_eq(n, 0);
	}
}
END_TEST

START_TEST(the_sweep_removes_expired_uploads)
{
	char err[256];
	struct tus_upload *u;

	make_upload(10, 10, time(NULL) + 3600);
	ck_assert_int_eq(tus_init(&fr, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(u = tus_find(fr.tus, ID));
	tus_sweep(-1, 0, fr.tus);
	ck_assert_ptr_nonnull(tus_find(fr.tus, ID));
	u->expires = time(NULL) - 1;
	tus_sweep(-1, 0, fr.tus);
	ck_assert_ptr_null(tus_find(fr.tus, ID));
	ck_assert_int_eq(part_size(), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tus");
	TCase *tc = tcase_create("parse");
	TCase *td = tcase_create("disk");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, numbers_are_plain_decimal);
	tcase_add_test(tc, metadata_takes_our_keys_and_ignores_others);
	tcase_add_test(tc, metadata_refuses_what_is_malformed);
	tcase_add_test(tc, metadata_has_at_most_16_keys);
	tcase_add_test(tc, metadata_values_have_limits);
	tcase_add_test(tc, claims_encode_every_byte_for_the_put_path);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(td, setup, teardown);
	tcase_add_test(td, restart_cuts_the_tail_past_the_recorded_offset);
	tcase_add_test(td, a_torn_offset_record_falls_back_to_the_other);
	tcase_add_test(td, both_records_torn_removes_the_upload);
	tcase_add_test(td, a_part_shorter_than_its_record_is_removed);
	tcase_add_test(td, expired_and_stray_files_are_removed_at_start);
	tcase_add_test(td, the_sweep_removes_expired_uploads);
	suite_add_tcase(s, td);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
