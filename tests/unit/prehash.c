/*
 * Unit tests of notary/prehash.c: the notary's own SHA-256 of a file the
 * front is still writing. The digest is the file's (OpenSSL's one-shot
 * SHA-256 of the same bytes), however the front spaces its "written up to"
 * messages, and nothing the front says can make it another: a record of
 * another file, a size the file does not have, a claim of bytes that are not
 * there, or a token used twice, is refused; an unknown or dropped token sends
 * the caller back to hashing the whole file.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "notary/prehash.h"

static struct prehash *ph;
static char path[64];
/* the file systems the files are on: a disk's (O_DIRECT reads) and tmpfs */
static const char *const dirs[] = { "/tmp", "/dev/shm" };
static int wfd = -1;
static uint8_t *data;
#define SIZE ((size_t)(3 * PREHASH_CHUNK + 12345))

static void
setup_in(const char *dir)
{
	ck_assert_ptr_nonnull(ph = prehash_new());
	snprintf(path, sizeof(path), "%s/prehash.XXXXXX", dir);
	ck_assert_int_ge(wfd = mkstemp(path), 0);
	ck_assert_ptr_nonnull(data = malloc(SIZE));
	for (size_t i = 0; i < SIZE; i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
}

static void
setup(void)
{
	setup_in(dirs[0]);
}

static void
teardown(void)
{
	prehash_free(ph);
	close(wfd);
	unlink(path);
	free(data);
}

static int
ro(void)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	return fd;
}

static void
put(size_t from, size_t to)
{
	ck_assert_int_eq(pwrite(wfd, data + from, to - from, (off_t)from), (ssize_t)(to - from));
}

START_TEST(the_digest_is_the_files_however_the_progress_comes)
{
	if (_i > 0) {   /* again on another file system */
		teardown();
		if (access(dirs[_i], W_OK) != 0)
			return;
		setup_in(dirs[_i]);
	}
	static const size_t steps[][4] = {
		{ SIZE, 0, 0, 0 },                                /* all at once, then finish */
		{ 1, PREHASH_CHUNK + 1, 2 * PREHASH_CHUNK, SIZE }, /* odd offsets */
		{ 0, 0, 0, 0 },                                   /* no progress at all */
		{ 4096, 8192, 8192, 4096 },                       /* repeated and going back */
	};
	uint8_t want[32], got[32];
	uint64_t token = 0;

	SHA256(data, SIZE, want);
	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		ck_assert_int_eq(ftruncate(wfd, 0), 0);
		ck_assert_int_eq(prehash_open(ph, ++token, ro()), 0);
		size_t at = 0;
		for (size_t i = 0; i < 4; i++) {
			if (steps[k][i] > at) {
				put(at, steps[k][i]);
				at = steps[k][i];
			}
			prehash_more(ph, token, steps[k][i]);
			usleep(2000);
		}
		if (at < SIZE)
			put(at, SIZE);
		int fd = ro();
		ck_assert_int_eq(prehash_finish(ph, token, fd, SIZE, got), 0);
		close(fd);
		ck_assert_mem_eq(got, want, 32);
		/* taken: the token is gone */
		fd = ro();
		ck_assert_int_eq(prehash_finish(ph, token, fd, SIZE, got), 1);
		close(fd);
	}
}
END_TEST

START_TEST(a_record_of_another_file_is_refused)
{
	char other[] = "/tmp/prehash-other.XXXXXX";
	int ofd = mkstemp(other);
	uint8_t got[32];

	ck_assert_int_ge(ofd, 0);
	unlink(other);
	ck_assert_int_eq(write(ofd, data, 100), 100);
	put(0, SIZE);
	ck_assert_int_eq(prehash_open(ph, 1, ro()), 0);
	prehash_more(ph, 1, SIZE);
	ck_assert_int_eq(prehash_finish(ph, 1, ofd, 100, got), -1);
	close(ofd);
}
END_TEST

START_TEST(a_size_the_file_does_not_have_is_refused)
{
	uint8_t got[32];
	int fd;

	put(0, SIZE);
	/* shorter: bytes past the claimed size */
	ck_assert_int_eq(prehash_open(ph, 1, ro()), 0);
	fd = ro();
	ck_assert_int_eq(prehash_finish(ph, 1, fd, SIZE - 1, got), -1);
	close(fd);
	/* longer: the file ends first */
	ck_assert_int_eq(prehash_open(ph, 2, ro()), 0);
	fd = ro();
	ck_assert_int_eq(prehash_finish(ph, 2, fd, SIZE + 1, got), -1);
	close(fd);
	/* the front said more was written than it records */
	ck_assert_int_eq(prehash_open(ph, 3, ro()), 0);
	prehash_more(ph, 3, SIZE);
	fd = ro();
	ck_assert_int_eq(prehash_finish(ph, 3, fd, PREHASH_CHUNK / 2, got), -1);
	close(fd);
}
END_TEST

START_TEST(bytes_claimed_that_are_not_there_are_refused)
{
	uint8_t got[32];
	int fd;

	put(0, 1000);
	ck_assert_int_eq(prehash_open(ph, 1, ro()), 0);
	prehash_more(ph, 1, SIZE);      /* a lie: 1000 bytes are written */
	usleep(100000);
	fd = ro();
	ck_assert_int_eq(prehash_finish(ph, 1, fd, 1000, got), -1);
	close(fd);
}
END_TEST

START_TEST(tokens_are_used_once_and_in_order)
{
	ck_assert_int_eq(prehash_open(ph, 5, ro()), 0);
	ck_assert_int_eq(prehash_open(ph, 5, ro()), -1);
	ck_assert_int_eq(prehash_open(ph, 4, ro()), -1);
	ck_assert_int_eq(prehash_open(ph, 6, ro()), 0);
}
END_TEST

START_TEST(unknown_dropped_and_evicted_tokens_mean_hash_it_whole)
{
	uint8_t got[32];
	int fd = ro();

	put(0, SIZE);
	ck_assert_int_eq(prehash_finish(ph, 99, fd, SIZE, got), 1);
	ck_assert_int_eq(prehash_open(ph, 1, ro()), 0);
	prehash_more(ph, 1, SIZE);
	prehash_drop(ph, 1);
	prehash_drop(ph, 1);            /* twice: ignored */
	prehash_more(ph, 1, SIZE);      /* after: ignored */
	ck_assert_int_eq(prehash_finish(ph, 1, fd, SIZE, got), 1);
	/* one more than fit: the oldest makes room */
	for (uint64_t t = 2; t <= PREHASH_MAX + 2; t++)
		ck_assert_int_eq(prehash_open(ph, t, ro()), 0);
	ck_assert_int_eq(prehash_finish(ph, 2, fd, SIZE, got), 1);
	ck_assert_int_eq(prehash_finish(ph, PREHASH_MAX + 2, fd, SIZE, got), 0);
	close(fd);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("prehash");
	TCase *tc = tcase_create("prehash");
	SRunner *sr;
	int nf;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, the_digest_is_the_files_however_the_progress_comes, 0,
	    (int)(sizeof(dirs) / sizeof(dirs[0])));
	tcase_add_test(tc, a_record_of_another_file_is_refused);
	tcase_add_test(tc, a_size_the_file_does_not_have_is_refused);
	tcase_add_test(tc, bytes_claimed_that_are_not_there_are_refused);
	tcase_add_test(tc, tokens_are_used_once_and_in_order);
	tcase_add_test(tc, unknown_dropped_and_evicted_tokens_mean_hash_it_whole);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
