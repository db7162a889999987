/*
 * tests/unit/cli.c: gateway/intake/cli.c, the helpers every `intake` command
 * shares: the capped slurp (symbolic links, stdin, exact cap), the verifier
 * key loader against a key line with a NUL inside, the streamed SHA-256 and
 * its read errors, the write-all loop, the directory fsync, and the
 * "intake CMD: reason" line. (The commands' own uses are in
 * tests/unit/cmd_audit.c and tests/integration/log.sh.)
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "../../gateway/intake/cli.c"
#include "lib/util.h"

static char tmpdir[64];

static void
setup(void)
{
	strcpy(tmpdir, "/tmp/unit-cli.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Creates DIR/NAME holding LEN bytes of DATA; its path into PATH. */
static void
put(const char *name, const void *data, size_t len, char *path, size_t pathlen)
{
	int fd;

	snprintf(path, pathlen, "%s/%s", tmpdir, name);
	ck_assert_int_ne(fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), -1);
	ck_assert_int_eq(cli_write_all(fd, data, len), 0);
	ck_assert_int_eq(close(fd), 0);
}

START_TEST(slurp_follows_a_link_only_without_nofollow)
{
	char path[128], link[128], *got;
	size_t len;

	put("f", "0123456789", 10, path, sizeof(path));
	snprintf(link, sizeof(link), "%s/l", tmpdir);
	ck_assert_int_eq(symlink(path, link), 0);
	ck_assert_ptr_null(cli_slurp(link, 100, CLI_SLURP_NOFOLLOW, &len));
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_ptr_nonnull(got = cli_slurp(link, 100, 0, &len));
	ck_assert_uint_eq(len, 10);
	ck_assert_str_eq(got, "0123456789");
	free(got);
}
END_TEST

START_TEST(slurp_takes_exactly_max_bytes_and_no_more)
{
	char path[128], *got;
	size_t len;

	put("f", "0123456789", 10, path, sizeof(path));
	ck_assert_ptr_nonnull(got = cli_slurp(path, 10, 0, &len));
	ck_assert_uint_eq(len, 10);
	ck_assert_int_eq(got[10], '\0');
	free(got);
	ck_assert_ptr_null(cli_slurp(path, 9, 0, &len));
	ck_assert_int_eq(errno, EFBIG);
	ck_assert_ptr_null(cli_slurp(tmpdir, 100, 0, &len));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(slurp_reads_stdin_only_when_asked)
{
	char path[128], *got;
	size_t len;
	int fd;

	/* without CLI_SLURP_STDIN, "-" is a file name like any other */
	ck_assert_int_eq(chdir(tmpdir), 0);
	ck_assert_ptr_null(cli_slurp("-", 100, 0, &len));
	ck_assert_int_eq(errno, ENOENT);
	put("in", "from stdin", 10, path, sizeof(path));
	ck_assert_int_ne(fd = open(path, O_RDONLY), -1);
	ck_assert_int_ne(dup2(fd, STDIN_FILENO), -1);
	close(fd);
	ck_assert_ptr_nonnull(got = cli_slurp("-", 100, CLI_SLURP_STDIN, &len));
	ck_assert_str_eq(got, "from stdin");
	free(got);
	/* the cap holds for stdin too */
	ck_assert_int_eq(lseek(STDIN_FILENO, 0, SEEK_SET), 0);
	ck_assert_ptr_null(cli_slurp("-", 5, CLI_SLURP_STDIN, &len));
	ck_assert_int_eq(errno, EFBIG);
}
END_TEST

START_TEST(vkey_file_with_nul_inside_is_refused)
{
	struct intake_verifier *v;
	char *skey, *vkey, path[128], line[600];
	size_t n;

	ck_assert_int_eq(intake_keygen("cli.test/log", &skey, &vkey), 0);
	n = (size_t)snprintf(line, sizeof(line), "%s\n", vkey);
	put("vkey", line, n, path, sizeof(path));
	ck_assert_ptr_nonnull(v = cli_load_vkey(path, 0));
	intake_verifier_free(v);
	/* the key, a NUL, then more: not one key line */
	n = (size_t)snprintf(line, sizeof(line), "%s", vkey);
	memcpy(line + n, "\0junk\n", 6);
	put("vkey", line, n + 6, path, sizeof(path));
	ck_assert_ptr_null(cli_load_vkey(path, 0));
	intake_freezero(skey, strlen(skey));
	free(vkey);
}
END_TEST

START_TEST(hash_fd_is_sha256_of_all_bytes)
{
	enum { LEN = 3 * CLI_HASH_CHUNK + 17 };  /* several reads and a short one */
	unsigned char *data = malloc(LEN), *buf = malloc(CLI_HASH_CHUNK);
	uint8_t want[INTAKE_HASH_LEN], got[INTAKE_HASH_LEN];
	uint64_t total = 0;
	char path[128];
	int fd;

	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < LEN; i++)
		data[i] = (unsigned char)(i * 7 + 3);
	put("big", data, LEN, path, sizeof(path));
	util_sha256(data, LEN, want);
	ck_assert_int_ne(fd = open(path, O_RDONLY), -1);
	ck_assert_int_eq(cli_hash_fd(fd, buf, got, &total), 0);
	ck_assert_uint_eq(total, LEN);
	ck_assert_mem_eq(got, want, sizeof(want));
	close(fd);
	/* an empty file: SHA-256("") */
	put("empty", "", 0, path, sizeof(path));
	util_sha256("", 0, want);
	ck_assert_int_ne(fd = open(path, O_RDONLY), -1);
	ck_assert_int_eq(cli_hash_fd(fd, buf, got, NULL), 0);
	ck_assert_mem_eq(got, want, sizeof(want));
	close(fd);
	free(data);
	free(buf);
}
END_TEST

START_TEST(hash_fd_reports_a_read_error)
{
	unsigned char *buf = malloc(CLI_HASH_CHUNK);
	uint8_t got[INTAKE_HASH_LEN];
	uint64_t total = 99;
	int fd;

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_ne(fd = open(tmpdir, O_RDONLY | O_DIRECTORY), -1);
	ck_assert_int_eq(cli_hash_fd(fd, buf, got, &total), CLI_HASH_EREAD);
	ck_assert_int_eq(errno, EISDIR);
	ck_assert_uint_eq(total, 99);  /* untouched on failure */
	close(fd);
	free(buf);
}
END_TEST

START_TEST(write_all_fails_on_a_bad_fd_and_syncdir_needs_the_directory)
{
	char path[128];

	ck_assert_int_eq(cli_write_all(-1, "x", 1), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(cli_write_all(-1, "", 0), 0);  /* nothing to write */
	snprintf(path, sizeof(path), "%s/new", tmpdir);
	ck_assert_int_eq(cli_syncdir(path), 0);
	snprintf(path, sizeof(path), "%s/missing/new", tmpdir);
	ck_assert_int_eq(cli_syncdir(path), -1);
}
END_TEST

START_TEST(fail_prints_the_command_and_the_reason)
{
	char path[128], got[64];
	FILE *f;
	int fd, saved;
	size_t n;

	snprintf(path, sizeof(path), "%s/err", tmpdir);
	ck_assert_int_ne(fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), -1);
	fflush(stderr);
	ck_assert_int_ne(saved = dup(STDERR_FILENO), -1);
	ck_assert_int_ne(dup2(fd, STDERR_FILENO), -1);
	close(fd);
	ck_assert_int_eq(cli_fail("verify", "cannot read %s: %d", "x", 3), CMD_FAIL);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = '\0';
	fclose(f);
	ck_assert_str_eq(got, "intake verify: cannot read x: 3\n");
}
END_TEST

static Suite *
cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, slurp_follows_a_link_only_without_nofollow);
	tcase_add_test(tc, slurp_takes_exactly_max_bytes_and_no_more);
	tcase_add_test(tc, slurp_reads_stdin_only_when_asked);
	tcase_add_test(tc, vkey_file_with_nul_inside_is_refused);
	tcase_add_test(tc, hash_fd_is_sha256_of_all_bytes);
	tcase_add_test(tc, hash_fd_reports_a_read_error);
	tcase_add_test(tc, write_all_fails_on_a_bad_fd_and_syncdir_needs_the_directory);
	tcase_add_test(tc, fail_prints_the_command_and_the_reason);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cli_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
