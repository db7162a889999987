/*
 * inspect/sandbox.c: confines an inspector process with seccomp.
 *
 * sandbox_inspector_process: the inspector process (intaked-inspect),
 * once, after its privilege drop and after its libmagic database is
 * loaded, before it receives any request. The default action is
 * SCMP_ACT_KILL_PROCESS: a call outside the list kills the inspector,
 * and the front turns that into an `inspect-crashed` rejection of the one
 * upload and starts a fresh inspector. The list is what reading a file and
 * spooling archive members needs (read, pread, memory, memfd, clock) and
 * recvmsg/sendmsg on its own socket. Nothing reaches the network, runs a
 * program, creates a process or thread, or opens a named file: a read-only
 * open()/openat() is answered EACCES rather than killed, because libc may
 * try one lazily on a path no upload controls (a character-set module, the
 * time zone) and a failed load already ends in a rejection; an open that
 * could write or create anything kills.
 * A streamed tar (front/follow.c) is inspected by such a process too, from
 * a pipe it reads like a file.
 *
 * It fails closed: a filter that cannot be installed is an error the
 * process must not carry on from (it exits; the front rejects the upload
 * it was started for as inspect-crashed).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include <seccomp.h>

#include "common/filter.h"

#include "inspect/sandbox.h"

/* What an inspection needs. */
static const int sandbox_common[] = {
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
	SCMP_SYS(prlimit64), SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(sigaltstack),    /* sanitizers set one up */
	SCMP_SYS(restart_syscall),
};

/* Open flags that could write or create anything. */
#define SANDBOX_OPEN_WRITE (O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND)

/* open/openat with no way to write or create: ACTION. */
static int
sandbox_open_rules(scmp_filter_ctx ctx, uint32_t action, char *err, size_t errlen)
{
	int rc;

	if ((rc = seccomp_rule_add(ctx, action, SCMP_SYS(openat), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, SANDBOX_OPEN_WRITE, 0))) < 0 ||
	    (rc = seccomp_rule_add(ctx, action, SCMP_SYS(open), 1,
	    SCMP_A1(SCMP_CMP_MASKED_EQ, SANDBOX_OPEN_WRITE, 0))) < 0) {
		snprintf(err, errlen, "seccomp open rule: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

#define NELEM(v) (sizeof(v) / sizeof((v)[0]))

int
sandbox_inspector_process(int sock, char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	int rc;

	if ((ctx = filter_new(SCMP_ACT_KILL_PROCESS, err, errlen)) == NULL)
		return -1;
	if (filter_rules(ctx, SCMP_ACT_ALLOW, sandbox_common, NELEM(sandbox_common), err,
	    errlen) == -1 ||
	    sandbox_open_rules(ctx, SCMP_ACT_ERRNO(EACCES), err, errlen) == -1) {
		seccomp_release(ctx);
		return -1;
	}
	/* messages only on its own socket */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(recvmsg), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sock, 0))) < 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sock, 0))) < 0) {
		snprintf(err, errlen, "seccomp socket rule: %s", strerror(-rc));
		seccomp_release(ctx);
		return -1;
	}
	return filter_load(ctx, err, errlen);
}
