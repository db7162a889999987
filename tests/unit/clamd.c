/*
 * Unit tests of common/clamd.c: the parser of clamd's answers against
 * hostile ones (no NUL, overlong, garbage, FOUND with names that are not
 * names, several records), the VERSION line, and the client's protocol
 * against peers that no real clamd would be: one that never answers (the
 * deadline holds), one that answers too much, one that refuses FILDES
 * (the file is streamed with INSTREAM, byte for byte). The real clamd is
 * exercised by tests/integration/scan.sh.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clamd.h"

#define ANS(s) (s), sizeof(s) - 1   /* a literal with its NULs, without C's own */

static enum clamd_status
parse(const char *buf, size_t len, struct clamd_verdict *v)
{
	memset(v, 0x55, sizeof(*v));
	return clamd_parse_answer(buf, len, v);
}

START_TEST(clean_answers_of_fildes_and_instream)
{
	struct clamd_verdict v;

	ck_assert_int_eq(parse(ANS("fd[10]: OK\0"), &v), CLAMD_CLEAN);
	ck_assert_int_eq(parse(ANS("stream: OK\0"), &v), CLAMD_CLEAN);
	ck_assert_str_eq(v.signature, "");
}
END_TEST

START_TEST(found_keeps_the_signature_name)
{
	struct clamd_verdict v;

	ck_assert_int_eq(parse(ANS("fd[10]: Intake.Test.Marker.UNOFFICIAL FOUND\0"), &v),
	    CLAMD_FOUND);
	ck_assert_str_eq(v.signature, "Intake.Test.Marker.UNOFFICIAL");
	/* a name with ": " in it is the whole name */
	ck_assert_int_eq(parse(ANS("stream: Odd: name FOUND\0"), &v), CLAMD_FOUND);
	ck_assert_str_eq(v.signature, "Odd: name");
}
END_TEST

START_TEST(limits_are_incomplete_not_clean)
{
	struct clamd_verdict v;

	ck_assert_int_eq(parse(ANS("fd[11]: Heuristics.Limits.Exceeded.MaxFileSize FOUND\0"), &v),
	    CLAMD_INCOMPLETE);
	ck_assert_str_eq(v.signature, "Heuristics.Limits.Exceeded.MaxFileSize");
	ck_assert_int_eq(parse(ANS("INSTREAM size limit exceeded. ERROR\0"), &v),
	    CLAMD_INCOMPLETE);
	ck_assert_str_eq(v.signature, "StreamMaxLength");
}
END_TEST

START_TEST(a_real_signature_beats_a_limit_and_an_error)
{
	struct clamd_verdict v;

	ck_assert_int_eq(parse(ANS("fd[1]: Heuristics.Limits.Exceeded.MaxFiles FOUND\0"
	    "fd[1]: Bad.Thing FOUND\0"), &v), CLAMD_FOUND);
	ck_assert_str_eq(v.signature, "Bad.Thing");
	ck_assert_int_eq(parse(ANS("fd[1]: Bad.Thing FOUND\0Something broke. ERROR\0"), &v),
	    CLAMD_FOUND);
	/* an error with a clean record is no verdict */
	ck_assert_int_eq(parse(ANS("fd[1]: OK\0Something broke. ERROR\0"), &v), CLAMD_ERROR);
	/* a limit with an error: try again rather than reject */
	ck_assert_int_eq(parse(ANS("fd[1]: Heuristics.Limits.Exceeded.MaxScanSize FOUND\0"
	    "x ERROR\0"), &v), CLAMD_ERROR);
}
END_TEST

START_TEST(errors_and_garbage_are_no_verdict)
{
	struct clamd_verdict v;

	ck_assert_int_eq(parse(ANS("PROTOCOL ERROR: ancillary data sent without FILDES. ERROR\0"
	    "Error processing command. ERROR\0"), &v), CLAMD_ERROR);
	ck_assert_ptr_nonnull(strstr(v.why, "PROTOCOL ERROR"));
	ck_assert_int_eq(parse(ANS("fd[10]: OK"), &v), CLAMD_ERROR);        /* no NUL */
	ck_assert_int_eq(parse("", 0, &v), CLAMD_ERROR);                      /* nothing */
	ck_assert_int_eq(parse(ANS("\0"), &v), CLAMD_ERROR);                  /* empty record */
	ck_assert_int_eq(parse(ANS("fd[10]: OK\0\0"), &v), CLAMD_ERROR);
	ck_assert_int_eq(parse(ANS("hello\0"), &v), CLAMD_ERROR);
	ck_assert_int_eq(parse(ANS("OK\0"), &v), CLAMD_ERROR);
	ck_assert_int_eq(parse(ANS(": OK\0"), &v), CLAMD_ERROR);
	ck_assert_int_eq(parse(ANS("FOUND\0"), &v), CLAMD_ERROR);
	ck_assert_int_eq(parse(ANS(" FOUND\0"), &v), CLAMD_ERROR);
	ck_assert_int_eq(parse(ANS("fd[1]: FOUND\0"), &v), CLAMD_ERROR);   /* no name */
	ck_assert_int_eq(parse(ANS("fd[1]:  FOUND\0"), &v), CLAMD_ERROR);  /* empty name */
	ck_assert_int_eq(parse(ANS("Eicar FOUND\0"), &v), CLAMD_ERROR);     /* no "x: " */
	ck_assert_int_eq(parse(ANS("fd[1]: OK\nfd[1]: OK\0"), &v), CLAMD_CLEAN); /* one record */
	/* the error text is kept printable for the log */
	ck_assert_int_eq(parse(ANS("\x1b[2J\n\xff ERROR\0"), &v), CLAMD_ERROR);
	ck_assert_str_eq(v.why, "?[2J?? ERROR");
}
END_TEST

START_TEST(weird_names_are_printable_and_bounded)
{
	struct clamd_verdict v;
	char buf[3000];
	size_t n;

	ck_assert_int_eq(parse(ANS("fd[1]: Evil\x1b[31m\n\xc3\xa9\x7f FOUND\0"), &v), CLAMD_FOUND);
	ck_assert_str_eq(v.signature, "Evil?[31m????");
	n = (size_t)snprintf(buf, sizeof(buf), "stream: ");
	memset(buf + n, 'N', 2000);
	n += 2000;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, " FOUND");
	buf[n++] = '\0';
	ck_assert_int_eq(parse(buf, n, &v), CLAMD_FOUND);
	ck_assert_uint_eq(strlen(v.signature), CLAMD_SIG_MAX - 1);
	/* a NUL inside a name ends the record: what is left is garbage */
	ck_assert_int_eq(parse(ANS("fd[1]: Ev\0il FOUND\0"), &v), CLAMD_ERROR);
}
END_TEST

START_TEST(version_lines)
{
	char out[CLAMD_VERSION_MAX], longv[300];

	ck_assert_int_eq(clamd_parse_version(ANS("ClamAV 1.4.6/27461/Tue Dec  3 09:38:00 2024\0"),
	    out, sizeof(out)), 0);
	ck_assert_str_eq(out, "ClamAV 1.4.6/27461/Tue Dec  3 09:38:00 2024");
	ck_assert_int_eq(clamd_parse_version(ANS("ClamAV 1.4.6\0"), out, sizeof(out)), 0);
	ck_assert_int_eq(clamd_parse_version(ANS("ClamAV 1.4.6"), out, sizeof(out)), -1);
	ck_assert_int_eq(clamd_parse_version(ANS("ClamAV 1\0x\0"), out, sizeof(out)), -1);
	ck_assert_int_eq(clamd_parse_version(ANS("ClamAV 1.4\n\0"), out, sizeof(out)), -1);
	ck_assert_int_eq(clamd_parse_version(ANS("ClamAV 1.4\xc3\xa9\0"), out, sizeof(out)), -1);
	ck_assert_int_eq(clamd_parse_version(ANS("Clam 1.4\0"), out, sizeof(out)), -1);
	ck_assert_int_eq(clamd_parse_version(ANS("ClamAV \0"), out, sizeof(out)), -1);
	ck_assert_int_eq(clamd_parse_version(ANS("\0"), out, sizeof(out)), -1);
	memcpy(longv, "ClamAV ", 7);
	memset(longv + 7, '1', sizeof(longv) - 8);
	longv[sizeof(longv) - 1] = '\0';
	ck_assert_int_eq(clamd_parse_version(longv, sizeof(longv), out, sizeof(out)), -1);
	ck_assert_int_eq(clamd_version_ok("ClamAV 1.4.6/27461"), 1);
	ck_assert_int_eq(clamd_version_ok("ClamAV\t1"), 0);
	ck_assert_int_eq(clamd_version_ok(longv), 0);
}
END_TEST

/* ---- peers that are not clamd ------------------------------------------- */

enum peer_mode { PEER_HANG, PEER_FLOOD, PEER_NO_FILDES };

struct peer {
	char             path[108];
	int              lfd;
	enum peer_mode   mode;
	pthread_t        t;
	unsigned char   *streamed;     /* NO_FILDES: what INSTREAM carried */
	size_t           nstreamed;
	int              held[4];
};

static ssize_t
readn(int fd, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		if ((r = read(fd, (char *)buf + got, n - got)) <= 0)
			return -1;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* Reads a z-command up to its NUL. */
static void
read_cmd(int c, char *cmd, size_t cap)
{
	size_t i = 0;

	while (i + 1 < cap && read(c, cmd + i, 1) == 1 && cmd[i] != '\0')
		i++;
	cmd[i] = '\0';
}

static void *
peer_main(void *arg)
{
	struct peer *p = arg;
	char cmd[64], big[CLAMD_ANSWER_MAX + 100];
	int c, i;

	for (i = 0; i < 3 && (c = accept(p->lfd, NULL, NULL)) != -1; i++) {
		read_cmd(c, cmd, sizeof(cmd));
		if (strcmp(cmd, "zVERSION") == 0 && p->mode != PEER_HANG) {
			(void)!write(c, "ClamAV 9.9.9/1\0", 15);
			close(c);
			continue;
		}
		if (p->mode == PEER_HANG) {
			p->held[i] = c;    /* never answered, closed at the end */
			continue;
		}
		if (p->mode == PEER_FLOOD) {
			memset(big, 'A', sizeof(big));
			(void)!write(c, big, sizeof(big));
			close(c);
			continue;
		}
		if (strcmp(cmd, "zFILDES") == 0) {
			(void)!write(c, "UNKNOWN COMMAND. ERROR\0", 23);
			close(c);
			continue;
		}
		/* zINSTREAM */
		for (;;) {
			uint32_t be, n;

			if (readn(c, &be, 4) == -1)
				break;
			if ((n = ntohl(be)) == 0) {
				(void)!write(c, "stream: OK\0", 11);
				break;
			}
			p->streamed = realloc(p->streamed, p->nstreamed + n);
			if (readn(c, p->streamed + p->nstreamed, n) == -1)
				break;
			p->nstreamed += n;
		}
		close(c);
	}
	return NULL;
}

static void
peer_start(struct peer *p, enum peer_mode mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(p, 0, sizeof(*p));
	for (int i = 0; i < 4; i++)
		p->held[i] = -1;
	p->mode = mode;
	snprintf(p->path, sizeof(p->path), "/tmp/unit-clamd-%d-%d.sock", (int)getpid(), (int)mode);
	unlink(p->path);
	memcpy(sa.sun_path, p->path, strlen(p->path) + 1);
	p->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(p->lfd, 0);
	ck_assert_int_eq(bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(p->lfd, 8), 0);
	ck_assert_int_eq(pthread_create(&p->t, NULL, peer_main, p), 0);
}

static void
peer_stop(struct peer *p)
{
	shutdown(p->lfd, SHUT_RDWR);
	pthread_join(p->t, NULL);
	close(p->lfd);
	for (int i = 0; i < 4; i++)
		if (p->held[i] != -1)
			close(p->held[i]);
	unlink(p->path);
}

/* A temporary file of N bytes of a pattern, open read-only. */
static int
tmpfile_of(size_t n)
{
	char path[] = "/tmp/unit-clamd-file-XXXXXX";
	int fd = mkstemp(path);
	unsigned char b[4096];

	ck_assert_int_ge(fd, 0);
	unlink(path);
	for (size_t off = 0; off < n; off += sizeof(b)) {
		size_t k = n - off < sizeof(b) ? n - off : sizeof(b);

		for (size_t i = 0; i < k; i++)
			b[i] = (unsigned char)((off + i) * 7);
		ck_assert_int_eq(write(fd, b, k), (ssize_t)k);
	}
	return fd;
}

START_TEST(an_unreachable_clamd_is_no_verdict)
{
	struct clamd_verdict v;
	char longpath[200];
	int fd = tmpfile_of(10);

	ck_assert_int_eq(clamd_scan("/tmp/unit-clamd-nobody-listens.sock", fd, 10, 5, &v),
	    CLAMD_ERROR);
	ck_assert_ptr_nonnull(strstr(v.why, "connect"));
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	ck_assert_int_eq(clamd_scan(longpath, fd, 10, 5, &v), CLAMD_ERROR);
	close(fd);
}
END_TEST

START_TEST(a_clamd_that_never_answers_times_out)
{
	struct clamd_verdict v;
	struct timespec t0, t1;
	struct peer p;
	int fd = tmpfile_of(10);

	peer_start(&p, PEER_HANG);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(clamd_scan(p.path, fd, 10, 1, &v), CLAMD_ERROR);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_ptr_nonnull(strstr(v.why, "timed out"));
	ck_assert_int_le(t1.tv_sec - t0.tv_sec, 3);
	peer_stop(&p);
	close(fd);
}
END_TEST

START_TEST(an_answer_too_long_is_no_verdict)
{
	struct clamd_verdict v;
	struct peer p;
	int fd = tmpfile_of(10);

	peer_start(&p, PEER_FLOOD);
	ck_assert_int_eq(clamd_scan(p.path, fd, 10, 5, &v), CLAMD_ERROR);
	peer_stop(&p);
	close(fd);
}
END_TEST

START_TEST(fildes_refused_streams_the_file_whole)
{
	struct clamd_verdict v;
	struct peer p;
	size_t n = 3 * CLAMD_CHUNK + 123;
	unsigned char *want = malloc(n);
	int fd = tmpfile_of(n);

	peer_start(&p, PEER_NO_FILDES);
	ck_assert_int_eq(clamd_scan(p.path, fd, n, 5, &v), CLAMD_CLEAN);
	ck_assert_int_eq(v.streamed, 1);
	ck_assert_str_eq(v.version, "ClamAV 9.9.9/1");
	peer_stop(&p);
	ck_assert_uint_eq(p.nstreamed, n);
	ck_assert_int_eq(pread(fd, want, n, 0), (ssize_t)n);
	ck_assert_int_eq(memcmp(p.streamed, want, n), 0);
	free(p.streamed);
	close(fd);
	free(want);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("clamd");
	TCase *tc = tcase_create("clamd");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, clean_answers_of_fildes_and_instream);
	tcase_add_test(tc, found_keeps_the_signature_name);
	tcase_add_test(tc, limits_are_incomplete_not_clean);
	tcase_add_test(tc, a_real_signature_beats_a_limit_and_an_error);
	tcase_add_test(tc, errors_and_garbage_are_no_verdict);
	tcase_add_test(tc, weird_names_are_printable_and_bounded);
	tcase_add_test(tc, version_lines);
	tcase_add_test(tc, an_unreachable_clamd_is_no_verdict);
	tcase_add_test(tc, a_clamd_that_never_answers_times_out);
	tcase_add_test(tc, an_answer_too_long_is_no_verdict);
	tcase_add_test(tc, fildes_refused_streams_the_file_whole);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
