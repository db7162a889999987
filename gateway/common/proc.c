/*
 * common/proc.c: a child process's privilege drop (see proc.h). The order
 * is OpenBSD's: groups, then gid, then uid (after setresuid the process may
 * no longer change its groups), then a check that the drop holds.
 */
#include <sys/prctl.h>
#include <sys/resource.h>

#include <errno.h>
#include <grp.h>
#include <malloc.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/proc.h"

/* Sanitizer builds (tests only): LeakSanitizer's check at exit ptraces the
 * process's own threads, which a non-dumpable process forbids. Such a build
 * makes itself dumpable again once it is exiting, before that check runs
 * (atexit handlers run last registered first; the sanitizer's came first). */
#if defined(__SANITIZE_ADDRESS__)
#define PROC_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PROC_SANITIZER 1
#endif
#endif

#ifdef PROC_SANITIZER
static void
proc_dumpable_at_exit(void)
{
	(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}
#endif

/*
 * Each upload's records are fixed-size and large (a job carries its
 * findings: ~50 KiB), and a batch frees several at once. With glibc's
 * default thresholds the freed top of the heap (over 128 KiB) goes back
 * to the kernel after every batch and the next batch faults it in again,
 * page by page: 5-10 % of the notary's and the front's CPU per small
 * upload. Keeping up to PROC_TRIM_KEEP free at the top costs at most that
 * much memory per process, and only after a burst has used it. Buffers of
 * PROC_MMAP_MIN or more (a spool's) still come from mmap and go back when
 * freed.
 */
#define PROC_TRIM_KEEP (2 * 1024 * 1024)
#define PROC_MMAP_MIN  (1024 * 1024)

void
proc_malloc_tune(void)
{
	(void)mallopt(M_TRIM_THRESHOLD, PROC_TRIM_KEEP);
	(void)mallopt(M_MMAP_THRESHOLD, PROC_MMAP_MIN);
}

int
proc_user_lookup(const char *name, struct proc_user *u, char *err, size_t errlen)
{
	struct passwd *pw;

	memset(u, 0, sizeof(*u));
	if (geteuid() != 0) {
		u->uid = geteuid();
		u->gid = getegid();
		pw = getpwuid(u->uid);
		snprintf(u->name, sizeof(u->name), "%s", pw != NULL ? pw->pw_name : "?");
		return 0;
	}
	if (name == NULL || *name == '\0' || strlen(name) >= sizeof(u->name)) {
		snprintf(err, errlen, "[server] user: a user name is needed when started as root");
		return -1;
	}
	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		snprintf(err, errlen, "[server] user: no user '%s' (create it, e.g. useradd --system "
		    "--no-create-home --shell /usr/sbin/nologin %s)", name, name);
		return -1;
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		snprintf(err, errlen, "[server] user: '%s' is root or in group root; the children "
		    "must run unprivileged", name);
		return -1;
	}
	memcpy(u->name, name, strlen(name) + 1);
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	u->drop = 1;
	return 0;
}

static int
proc_setlimit(int resource, const char *what, rlim_t v, char *err, size_t errlen)
{
	struct rlimit rl = { v, v };

	if (v == PROC_KEEP)
		return 0;
	if (setrlimit(resource, &rl) == -1) {
		snprintf(err, errlen, "setrlimit %s %llu: %s", what, (unsigned long long)v,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
proc_drop(const struct proc_user *u, const char *comm, const struct proc_limits *lim,
    char *err, size_t errlen)
{
	if (prctl(PR_SET_NAME, comm, 0, 0, 0) == -1) {
		snprintf(err, errlen, "PR_SET_NAME %s: %s", comm, strerror(errno));
		return -1;
	}
	if (u->drop) {
		if (setgroups(1, &u->gid) == -1 || setresgid(u->gid, u->gid, u->gid) == -1 ||
		    setresuid(u->uid, u->uid, u->uid) == -1) {
			snprintf(err, errlen, "dropping to user %s (%u:%u): %s", u->name,
			    (unsigned)u->uid, (unsigned)u->gid, strerror(errno));
			return -1;
		}
		/* the drop must hold: no way back to root */
		if (setuid(0) != -1 || seteuid(0) != -1 || getuid() != u->uid ||
		    geteuid() != u->uid || getgid() != u->gid || getegid() != u->gid) {
			snprintf(err, errlen, "user %s: privileges could be regained", u->name);
			return -1;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		snprintf(err, errlen, "prctl no_new_privs/dumpable: %s", strerror(errno));
		return -1;
	}
#ifdef PROC_SANITIZER
	atexit(proc_dumpable_at_exit);
#endif
	if (lim != NULL &&
	    (proc_setlimit(RLIMIT_NOFILE, "nofile", lim->nofile, err, errlen) == -1 ||
	     proc_setlimit(RLIMIT_NPROC, "nproc", lim->nproc, err, errlen) == -1 ||
	     proc_setlimit(RLIMIT_FSIZE, "fsize", lim->fsize, err, errlen) == -1 ||
	     proc_setlimit(RLIMIT_CORE, "core", lim->core, err, errlen) == -1))
		return -1;
	return 0;
}
