/*
 * inspect/sandbox.c: confines an inspector worker with seccomp.
 *
 * Runs in each inspector thread once, after its libmagic database is
 * loaded and before it sees any upload. The filter applies to that thread
 * only (no TSYNC): the front and the notary are not affected. It allows
 * what reading a file and spooling archive members needs (read, pread,
 * memory, memfd, futex, read-only open for character-set modules) and
 * nothing that reaches the network, runs a program, creates a process or
 * writes a named file: such a call fails with EPERM, which the checks turn
 * into a rejection (fail closed). Because the inspector is still a thread
 * of the daemon, a denied call is an error, not a kill: killing would take
 * the whole daemon down. When the inspector becomes its own process the
 * default action becomes SCMP_ACT_KILL_PROCESS.
 *
 * A failure to install the filter stops the daemon (fatal): we never run
 * an inspector unconfined.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include <seccomp.h>

#include "inspect/sandbox.h"

static const int sandbox_allowed[] = {
	SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(readv), SCMP_SYS(preadv),
	SCMP_SYS(write), SCMP_SYS(pwrite64), SCMP_SYS(writev), SCMP_SYS(lseek),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(fstatfs),
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect),
	SCMP_SYS(brk), SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(close),
	SCMP_SYS(memfd_create), SCMP_SYS(ftruncate), SCMP_SYS(fcntl), SCMP_SYS(dup),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(getrandom), SCMP_SYS(exit), SCMP_SYS(exit_group),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn), SCMP_SYS(sched_yield),
	SCMP_SYS(gettid), SCMP_SYS(getpid), SCMP_SYS(getrusage), SCMP_SYS(sysinfo),
	SCMP_SYS(prlimit64), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep), SCMP_SYS(getdents64),
	SCMP_SYS(sigaltstack),    /* thread exit unmaps it; sanitizers set one per thread */
};

int
sandbox_inspector(char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	int rc;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	if ((ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM))) == NULL) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
	for (size_t i = 0; i < sizeof(sandbox_allowed) / sizeof(sandbox_allowed[0]); i++) {
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sandbox_allowed[i], 0)) < 0) {
			snprintf(err, errlen, "seccomp rule %zu: %s", i, strerror(-rc));
			goto fail;
		}
	}
	/* open/openat only without any way to write or create. */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND, 0))) < 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
	    SCMP_A1(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND, 0))) < 0) {
		snprintf(err, errlen, "seccomp open rule: %s", strerror(-rc));
		goto fail;
	}
	if ((rc = seccomp_load(ctx)) < 0) {
		snprintf(err, errlen, "seccomp_load: %s", strerror(-rc));
		goto fail;
	}
	seccomp_release(ctx);
	return 0;
fail:
	seccomp_release(ctx);
	return -1;
}
