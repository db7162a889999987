/*
 * Unit tests of common/proc.c: a child that drops privileges ends with the
 * user's uid, gid and groups alone, no_new_privs, not dumpable, its name
 * and its limits, and cannot become root again; a missing or root user is
 * refused by name. The root cases need root (CI runs as root); run as
 * another user they check the non-root path instead.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/proc.h"

/* Runs FN in a child and returns its exit status: each check inside exits
 * with its own code, so a failure says which one. */
static int
in_child(int (*fn)(void))
{
	int st;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(fn());
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* Who to drop to: "nobody" as root (Debian has it), else ourselves. */
static const char *
target(void)
{
	return geteuid() == 0 ? "nobody" : "ignored";
}

static int
child_drops(void)
{
	struct proc_user u;
	struct proc_limits lim = { .nofile = 32, .nproc = 0, .fsize = 0, .core = 0 };
	struct rlimit rl;
	char err[256], comm[32] = "";
	gid_t groups[8];
	FILE *f;

	if (proc_user_lookup(target(), &u, err, sizeof(err)) == -1)
		return 10;
	if (proc_drop(&u, "intaked-test", &lim, err, sizeof(err)) == -1)
		return 11;
	if (getuid() != u.uid || geteuid() != u.uid || getgid() != u.gid || getegid() != u.gid)
		return 12;
	if (u.drop && (getgroups(8, groups) != 1 || groups[0] != u.gid))
		return 13;
	if (setuid(0) != -1 || seteuid(0) != -1)
		return 14;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 || prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return 15;
	if ((f = fopen("/proc/self/comm", "r")) == NULL || fgets(comm, sizeof(comm), f) == NULL)
		return 16;
	fclose(f);
	if (strcmp(comm, "intaked-test\n") != 0)
		return 17;
	if (getrlimit(RLIMIT_NPROC, &rl) == -1 || rl.rlim_cur != 0 || rl.rlim_max != 0)
		return 18;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur != 32)
		return 19;
	/* nproc 0 means no fork (for an unprivileged uid: root ignores it) */
	if (u.drop && fork() != -1)
		return 20;
	return 0;
}

START_TEST(drop_leaves_the_user_alone_with_no_way_back)
{
	ck_assert_int_eq(in_child(child_drops), 0);
}
END_TEST

START_TEST(lookup_as_root_names_the_user_it_takes)
{
	struct proc_user u;
	struct passwd *pw;
	char err[256];

	ck_assert_int_eq(proc_user_lookup(target(), &u, err, sizeof(err)), 0);
	if (geteuid() != 0) {
		ck_assert_int_eq(u.drop, 0);
		ck_assert_uint_eq(u.uid, geteuid());
		return;
	}
	ck_assert_int_eq(u.drop, 1);
	ck_assert_ptr_nonnull(pw = getpwnam("nobody"));
	ck_assert_uint_eq(u.uid, pw->pw_uid);
	ck_assert_uint_eq(u.gid, pw->pw_gid);
	ck_assert_str_eq(u.name, "nobody");
}
END_TEST

START_TEST(missing_or_root_user_is_refused_by_name)
{
	struct proc_user u;
	char err[256];

	if (geteuid() != 0) {
		/* not root: the children stay the current user, whatever the name */
		ck_assert_int_eq(proc_user_lookup("no-such-intaked-user", &u, err, sizeof(err)), 0);
		ck_assert_int_eq(u.drop, 0);
		return;
	}
	ck_assert_int_eq(proc_user_lookup("no-such-intaked-user", &u, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "no user 'no-such-intaked-user'"));
	ck_assert_int_eq(proc_user_lookup("root", &u, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "unprivileged"));
	ck_assert_int_eq(proc_user_lookup("", &u, err, sizeof(err)), -1);
	ck_assert_int_eq(proc_user_lookup(NULL, &u, err, sizeof(err)), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("proc");
	TCase *tc = tcase_create("proc");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, drop_leaves_the_user_alone_with_no_way_back);
	tcase_add_test(tc, lookup_as_root_names_the_user_it_takes);
	tcase_add_test(tc, missing_or_root_user_is_refused_by_name);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
