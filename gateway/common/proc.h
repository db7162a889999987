/*
 * common/proc.h: what a child process of intaked does to itself before it
 * serves: take its name, give up root, forbid gaining privileges again, and
 * cap its resources.
 *
 * Runs in the parent (proc_user_lookup, before forking: the password
 * database is not readable once a child is confined) and in each child
 * (proc_drop, first thing after fork, before it reads anything from a
 * peer). Fails closed: a child whose drop fails must exit, never carry on
 * privileged (OpenSSH's sandbox habit of carrying on is not ours).
 *
 * API: proc_user_lookup, proc_drop, proc_malloc_tune.
 */
#ifndef INTAKE_PROC_H
#define INTAKE_PROC_H

#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#define PROC_USER_MAX 64
#define PROC_COMM_MAX 16   /* the kernel's TASK_COMM_LEN, NUL included */

/* Who the children run as. DROP is 1 when started as root (switch to
 * UID/GID), 0 when started as another user (the children stay that user). */
struct proc_user {
	char  name[PROC_USER_MAX];
	uid_t uid;
	gid_t gid;
	int   drop;
};

/* A child's resource limits; PROC_KEEP leaves one as it is. */
#define PROC_KEEP RLIM_INFINITY
struct proc_limits {
	rlim_t nofile;   /* open descriptors */
	rlim_t nproc;    /* 0: no fork */
	rlim_t fsize;    /* 0: no file may grow */
	rlim_t core;     /* 0: no core dump (it would hold the key or Parties' files) */
};

/* As root: looks NAME up in the password database (its uid and primary
 * gid); a missing user is an error naming it. Not as root: the current
 * user, with DROP 0, whatever NAME says. 0, or -1 with a reason in ERR. */
int proc_user_lookup(const char *name, struct proc_user *u, char *err, size_t errlen);

/* Sets the allocator's thresholds for a process that allocates and frees
 * the same fixed-size records for every upload (intaked, each child and
 * the inspector; call it first, before any thread starts). */
void proc_malloc_tune(void);

/* In a new child: sets its name (/proc/PID/comm) to COMM; with U->drop,
 * sets its groups to U->gid alone, its real, effective and saved gid and
 * uid to U's, and checks that root cannot be regained; then sets
 * no_new_privs, makes it non-dumpable (no ptrace by the same uid, no core)
 * and applies LIM (NULL: none). 0, or -1 with a reason in ERR: the child
 * must exit. */
int proc_drop(const struct proc_user *u, const char *comm, const struct proc_limits *lim,
    char *err, size_t errlen);

#endif
