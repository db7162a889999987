/*
 * Unit tests of common/sdnotify.c: the message reaches a socket named by
 * NOTIFY_SOCKET, as a path or an abstract name, exactly as given; without
 * the variable nothing is sent and nothing fails; a bad or unreachable
 * name is an error the caller can log.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/sdnotify.h"

/* A datagram socket bound to NAME (a path, or "@abstract"). */
static int
listener(const char *name)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t n = strlen(name);
	socklen_t len;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	memcpy(sun.sun_path, name, n);
	if (name[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (name[0] == '/'));
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, len), 0);
	return fd;
}

static void
expect(int fd, const char *want)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	ck_assert_int_eq(n, (ssize_t)strlen(want));
	buf[n] = '\0';
	ck_assert_str_eq(buf, want);
}

START_TEST(ready_reaches_a_socket_named_by_path)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/sdnotify-test.%d", (int)getpid());
	unlink(path);
	fd = listener(path);
	setenv("NOTIFY_SOCKET", path, 1);
	ck_assert_int_eq(sdnotify("READY=1\nSTATUS=serving"), 0);
	expect(fd, "READY=1\nSTATUS=serving");
	ck_assert_int_eq(sdnotify("RELOADING=1"), 0);
	expect(fd, "RELOADING=1");
	close(fd);
	unlink(path);
}
END_TEST

START_TEST(ready_reaches_an_abstract_socket)
{
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "@sdnotify-test-%d", (int)getpid());
	fd = listener(name);
	setenv("NOTIFY_SOCKET", name, 1);
	ck_assert_int_eq(sdnotify("STOPPING=1"), 0);
	expect(fd, "STOPPING=1");
	close(fd);
}
END_TEST

START_TEST(without_notify_socket_nothing_is_sent_and_nothing_fails)
{
	unsetenv("NOTIFY_SOCKET");
	ck_assert_int_eq(sdnotify("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	ck_assert_int_eq(sdnotify("READY=1"), 0);
}
END_TEST

START_TEST(a_bad_or_unreachable_socket_is_an_error)
{
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	errno = 0;
	ck_assert_int_eq(sdnotify("READY=1"), -1);
	ck_assert_int_eq(errno, EINVAL);
	setenv("NOTIFY_SOCKET", "/tmp/sdnotify-test-nobody-listens", 1);
	ck_assert_int_eq(sdnotify("READY=1"), -1);
	char longname[200];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	setenv("NOTIFY_SOCKET", longname, 1);
	ck_assert_int_eq(sdnotify("READY=1"), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sdnotify");
	TCase *tc = tcase_create("sdnotify");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, ready_reaches_a_socket_named_by_path);
	tcase_add_test(tc, ready_reaches_an_abstract_socket);
	tcase_add_test(tc, without_notify_socket_nothing_is_sent_and_nothing_fails);
	tcase_add_test(tc, a_bad_or_unreachable_socket_is_an_error);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
