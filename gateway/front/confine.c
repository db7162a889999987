/*
 * front/confine.c: the front's seccomp filter (see front.h,
 * front_confine).
 *
 * Installed once by the front, after its privilege drop, its ledger open
 * and its scanner threads, on every thread at once (TSYNC), before any
 * network byte is read. An allowlist of what the front does: files
 * (quarantine, spools, the read-only ledger, reloads of policy, parties
 * and TLS files; resumable uploads in DATA/uploads: pwrite, fdatasync,
 * ftruncate back to a recorded offset, renameat2 into the quarantine,
 * unlink on expiry), memory, threads, its sockets (accept on the listeners
 * the parent opened, the messages to the notary and the inspectors, their
 * socketpairs, a follower's pipe), starting an inspector
 * (clone, execve of its own image, wait) and ending one (kill).
 *
 * The default action is EPERM, not kill: the front is many threads over
 * OpenSSL, SQLite, libevent, glibc (and, in tests, a sanitizer runtime),
 * whose calls vary with their versions; a kill there would be an outage
 * for every Party, where a refused call is an error the code already
 * handles. What a corrupted front would want and never needs is listed
 * explicitly with a kill: debugging or reading other processes, changing
 * credentials, namespaces or mounts, loading kernel code, BPF, keyrings.
 * connect() is refused, not killed, without [scan]: the front never
 * connects anywhere nor opens a listener (the parent does), but glibc's
 * name service may try nscd's socket. bind() and listen() are refused.
 * With [scan] (issue 19) connect() is allowed: the pipeline's workers
 * connect to clamd's Unix socket for each scan, anew, so that a clamd that
 * restarted is reached again without restarting the front (a socket the
 * parent passed once could not be reconnected). The scan lives in the
 * front because the front holds the quarantine descriptor it hands to
 * clamd (FILDES); the inspectors have no filesystem and no sockets, and
 * the notary must not wait on a scanner. The log key is not readable by
 * the front's user (the notary reads it as root before it drops).
 *
 * Fails closed: a filter that cannot be installed is an error the front
 * must not carry on from.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <seccomp.h>

#include "common/filter.h"

#include "front/front.h"

/* A sanitizer's leak check at exit stops the world with a tracer that
 * ptraces the front's threads: in sanitizer builds (tests only) ptrace is
 * allowed, everywhere else it kills. */
#if defined(__SANITIZE_ADDRESS__)
#define CONFINE_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CONFINE_SANITIZER 1
#endif
#endif

static const int confine_allow[] = {
	/* files and descriptors */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(preadv), SCMP_SYS(pwritev),
	SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(close_range), SCMP_SYS(open), SCMP_SYS(openat),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(stat), SCMP_SYS(lstat),
	SCMP_SYS(fstatfs), SCMP_SYS(statfs), SCMP_SYS(access), SCMP_SYS(faccessat),
	SCMP_SYS(faccessat2), SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(getcwd),
	SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(rename), SCMP_SYS(renameat),
	SCMP_SYS(renameat2), SCMP_SYS(mkdir), SCMP_SYS(mkdirat), SCMP_SYS(fchmod),
	SCMP_SYS(ftruncate), SCMP_SYS(fallocate), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	SCMP_SYS(sync_file_range), SCMP_SYS(fadvise64), SCMP_SYS(getdents64), SCMP_SYS(fcntl),
	SCMP_SYS(flock), SCMP_SYS(dup), SCMP_SYS(dup2), SCMP_SYS(dup3), SCMP_SYS(pipe2),
	SCMP_SYS(memfd_create), SCMP_SYS(splice), SCMP_SYS(sendfile), SCMP_SYS(copy_file_range),
	SCMP_SYS(umask), SCMP_SYS(ioctl),
	/* memory */
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect), SCMP_SYS(brk),
	SCMP_SYS(madvise), SCMP_SYS(mlock), SCMP_SYS(munlock), SCMP_SYS(membarrier),
	/* threads, time, signals */
	SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(get_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(set_tid_address), SCMP_SYS(clone), SCMP_SYS(clone3), SCMP_SYS(exit),
	SCMP_SYS(exit_group), SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(getrandom),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigtimedwait), SCMP_SYS(sigaltstack), SCMP_SYS(restart_syscall),
	SCMP_SYS(tgkill), SCMP_SYS(tkill), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid),
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
	SCMP_SYS(getrusage), SCMP_SYS(getrlimit), SCMP_SYS(prlimit64), SCMP_SYS(sysinfo),
	SCMP_SYS(uname), SCMP_SYS(prctl), SCMP_SYS(arch_prctl),
	SCMP_SYS(timerfd_create), SCMP_SYS(timerfd_settime), SCMP_SYS(eventfd2),
	/* the loop and the sockets it was given or made before the filter (the
	 * PostgreSQL ledger's libpq connection too: poll, sendto, recvfrom; it
	 * never reconnects, a lost connection ends the front, see db_pg.c) */
	SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select), SCMP_SYS(pselect6),
	SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg),
	SCMP_SYS(recvmmsg), SCMP_SYS(sendto), SCMP_SYS(sendmsg), SCMP_SYS(sendmmsg),
	SCMP_SYS(shutdown), SCMP_SYS(getsockopt), SCMP_SYS(setsockopt), SCMP_SYS(getsockname),
	SCMP_SYS(getpeername), SCMP_SYS(socketpair), SCMP_SYS(socket),
	/* inspectors: started (posix_spawn of its own image), confined by
	 * their own filter on top of this one, ended and reaped */
	SCMP_SYS(vfork), SCMP_SYS(execve), SCMP_SYS(wait4), SCMP_SYS(waitid), SCMP_SYS(kill),
	SCMP_SYS(seccomp), SCMP_SYS(setrlimit),
#ifdef CONFINE_SANITIZER
	SCMP_SYS(ptrace), SCMP_SYS(getdents),   /* LeakSanitizer lists /proc/self/task with it */
#endif
};

/* Never needed; a corrupted front trying one of them dies. */
static const int confine_kill[] = {
#ifndef CONFINE_SANITIZER
	SCMP_SYS(ptrace),
#endif
	SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev),
	SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root),
	SCMP_SYS(chroot), SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(kexec_load),
	SCMP_SYS(init_module), SCMP_SYS(finit_module), SCMP_SYS(delete_module), SCMP_SYS(bpf),
	SCMP_SYS(perf_event_open), SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key),
	SCMP_SYS(userfaultfd), SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(setreuid),
	SCMP_SYS(setregid), SCMP_SYS(setresuid), SCMP_SYS(setresgid), SCMP_SYS(setgroups),
	SCMP_SYS(open_by_handle_at), SCMP_SYS(name_to_handle_at), SCMP_SYS(chown),
	SCMP_SYS(fchown), SCMP_SYS(lchown), SCMP_SYS(fchownat), SCMP_SYS(link), SCMP_SYS(linkat),
	SCMP_SYS(symlink), SCMP_SYS(symlinkat), SCMP_SYS(mknod), SCMP_SYS(mknodat),
};

#define NELEM(v) (sizeof(v) / sizeof((v)[0]))

static const int confine_connect[] = { SCMP_SYS(connect) };

int
front_confine(int clamd, char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	int rc;

	if ((ctx = filter_new(SCMP_ACT_ERRNO(EPERM), err, errlen)) == NULL)
		return -1;
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0) {
		snprintf(err, errlen, "seccomp TSYNC: %s", strerror(-rc));
		seccomp_release(ctx);
		return -1;
	}
	if (filter_rules(ctx, SCMP_ACT_ALLOW, confine_allow, NELEM(confine_allow), err,
	    errlen) == -1 ||
	    (clamd && filter_rules(ctx, SCMP_ACT_ALLOW, confine_connect, NELEM(confine_connect),
	    err, errlen) == -1) ||
	    filter_rules(ctx, SCMP_ACT_KILL_PROCESS, confine_kill, NELEM(confine_kill), err,
	    errlen) == -1) {
		seccomp_release(ctx);
		return -1;
	}
	return filter_load(ctx, err, errlen);
}
