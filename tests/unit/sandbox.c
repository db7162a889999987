/*
 * Unit tests of inspect/sandbox.c's process filter: each case forks a
 * child that installs the filter the inspector process runs under and then
 * does one thing. What inspection needs works; a socket, a file opened for
 * writing, a fork, an exec or a message on another descriptor kills the
 * child with SIGSYS; a read-only open is refused without a kill. The
 * children leave with _exit: the filter allows no sanitizer exit path.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/msg.h"
#include "inspect/sandbox.h"

static int sv[2];

static void
setup(void)
{
	ck_assert_int_eq(msg_socketpair(sv), 0);
}

static void
teardown(void)
{
	close(sv[0]);
	close(sv[1]);
}

/* Runs FN in a child confined as an inspector on sv[1]; returns its wait
 * status. Exit code 100: the filter could not be installed. */
static int
confined(int (*fn)(void))
{
	char err[256];
	int st;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (sandbox_inspector_process(sv[1], err, sizeof(err)) == -1)
			_exit(100);
		_exit(fn());
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return st;
}

static void
expect_killed(int st)
{
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	    "expected death by SIGSYS, got %s %d", WIFSIGNALED(st) ? "signal" : "exit",
	    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}

static void
expect_exit(int st, int code)
{
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == code, "expected exit %d, got %s %d",
	    code, WIFSIGNALED(st) ? "signal" : "exit",
	    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}

static int
do_inspection_work(void)
{
	char buf[64] = "member bytes";
	int fd;

	/* spool a member to a memfd and read it back */
	if ((fd = memfd_create("member", MFD_CLOEXEC)) == -1)
		return 1;
	if (write(fd, buf, 12) != 12 || pread(fd, buf, 12, 0) != 12 || ftruncate(fd, 0) == -1)
		return 2;
	close(fd);
	/* answer on its own socket */
	struct msg_finding f = { .reject = 1, .code = "ok" };
	if (msg_send(sv[1], MSG_FINDING, 7, &f, sizeof(f), -1) == -1)
		return 3;
	return 0;
}

static int
do_socket(void)
{
	return socket(AF_INET, SOCK_STREAM, 0) == -1 ? 1 : 2;
}

static int
do_open_for_writing(void)
{
	return open("/tmp/intake-sandbox-test", O_WRONLY | O_CREAT | O_TRUNC, 0600) == -1 ? 1 : 2;
}

static int
do_open_read_only(void)
{
	return open("/etc/passwd", O_RDONLY) == -1 && errno == EACCES ? 0 : 1;
}

static int
do_fork(void)
{
	return fork() == -1 ? 1 : 2;
}

static int
do_exec(void)
{
	char *argv[] = { "/bin/true", NULL };

	execve("/bin/true", argv, argv + 1);
	return 1;
}

static int
do_send_elsewhere(void)
{
	struct msg_finding f = { 0 };

	return msg_send(sv[0], MSG_FINDING, 1, &f, sizeof(f), -1) == -1 ? 1 : 2;
}

START_TEST(a_confined_inspector_can_spool_members_and_answer_on_its_socket)
{
	struct msg m;

	expect_exit(confined(do_inspection_work), 0);
	ck_assert_int_eq(msg_recv(sv[0], &msg_from_inspect, &m), 1);
	ck_assert_uint_eq(m.hdr.type, MSG_FINDING);
	ck_assert_uint_eq(m.hdr.id, 7);
}
END_TEST

START_TEST(an_inspector_opening_a_socket_is_killed)
{
	expect_killed(confined(do_socket));
}
END_TEST

START_TEST(an_inspector_opening_a_file_for_writing_is_killed)
{
	expect_killed(confined(do_open_for_writing));
	ck_assert_int_eq(access("/tmp/intake-sandbox-test", F_OK), -1);
}
END_TEST

START_TEST(an_inspector_forking_is_killed)
{
	expect_killed(confined(do_fork));
}
END_TEST

START_TEST(an_inspector_running_a_program_is_killed)
{
	expect_killed(confined(do_exec));
}
END_TEST

START_TEST(an_inspector_sending_on_another_descriptor_is_killed)
{
	expect_killed(confined(do_send_elsewhere));
}
END_TEST

START_TEST(an_inspector_opening_a_file_to_read_is_refused_not_killed)
{
	expect_exit(confined(do_open_read_only), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sandbox");
	TCase *tc = tcase_create("process");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_confined_inspector_can_spool_members_and_answer_on_its_socket);
	tcase_add_test(tc, an_inspector_opening_a_socket_is_killed);
	tcase_add_test(tc, an_inspector_opening_a_file_for_writing_is_killed);
	tcase_add_test(tc, an_inspector_forking_is_killed);
	tcase_add_test(tc, an_inspector_running_a_program_is_killed);
	tcase_add_test(tc, an_inspector_sending_on_another_descriptor_is_killed);
	tcase_add_test(tc, an_inspector_opening_a_file_to_read_is_refused_not_killed);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
