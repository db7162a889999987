/*
 * front/inspproc.h: the front's side of one inspector process.
 *
 * Runs in the front: in its loop thread (front/pipeline.c, whose slots
 * each own one inspector process and one SOCK_SEQPACKET socketpair to it,
 * through the non-blocking calls below) and in a follower's thread
 * (front/follow.c, with its own inspector, through the blocking ones). The
 * inspector is the daemon's own binary run again (fork and exec through
 * posix_spawn: the front is multithreaded, so a child that did not exec
 * could deadlock on a lock another thread held, and exec gives it a fresh
 * address space with nothing of the front's in it) in its hidden mode
 * `intaked -I USER:UID:GID` (inspect/serve.c).
 *
 * One job is one round trip: MSG_INSPECT with the read-only quarantine fd
 * (the bytes never cross), then the inspector's answer up to MSG_VERDICT,
 * within a deadline of the policy's inspect_seconds plus INSPPROC_GRACE. It
 * trusts nothing the inspector says (common/verdict.h): an inspector that
 * breaks the protocol, dies or overruns is killed and reaped, and the
 * caller rejects that one upload. A fresh inspector is started for the next
 * job, at most one per INSPPROC_RESTART_MS per inspector, so that a crash
 * loop does not spin.
 *
 * API: inspproc_conf_init; inspproc_start, inspproc_inspect,
 * inspproc_inspect_stream, inspproc_stop; without blocking: inspproc_send,
 * inspproc_receive, inspproc_end, inspproc_start_in_ms.
 */
#ifndef INTAKE_INSPPROC_H
#define INTAKE_INSPPROC_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/msg.h"
#include "common/proc.h"
#include "inspect/inspect.h"

#define INSPPROC_GRACE      5      /* seconds past inspect_seconds before the kill */
#define INSPPROC_RESTART_MS 1000   /* between two starts of one worker's inspector */
#define INSPPROC_STOP_MS    1000   /* for an idle inspector to leave on EOF */

/* How inspectors are started: who they run as ("name:uid:gid"). */
struct inspproc_conf {
	char userspec[PROC_USER_MAX + 32];
};

struct inspproc {
	const struct inspproc_conf *conf;
	pid_t           pid;           /* -1: none running */
	int             sock;          /* the front's end, -1 with pid */
	uint64_t        seq;           /* job ids */
	struct timespec started;       /* CLOCK_MONOTONIC of the last start */
	struct msg      m;             /* the message being read */
};

enum inspproc_outcome {
	INSPPROC_ANSWERED = 0,         /* RES holds the inspector's result */
	INSPPROC_CRASHED = -1,         /* died, broke the protocol, or could not start */
	INSPPROC_TIMEOUT = -2,         /* no verdict within the deadline: killed */
};

/* As the daemon starts (before threads matter: it reads the password
 * database): looks USER up (proc_user_lookup: as root a missing user is an
 * error). 0, or -1 with a reason in ERR. */
int inspproc_conf_init(struct inspproc_conf *c, const char *user, char *err, size_t errlen);
/* Starts an inspector for IP (pid -1 before; IP->conf set), waiting first
 * when the last start was under INSPPROC_RESTART_MS ago. 0, or -1 with a
 * reason in ERR. */
int inspproc_start(struct inspproc *ip, char *err, size_t errlen);
/* Inspects REQ (fd, size, filename, kind, policy, scanned/nul_at) in IP's
 * inspector, starting one when none runs. On INSPPROC_ANSWERED, RES is
 * filled (the caller clears it); otherwise RES is empty and the inspector
 * is gone (IP->pid -1). */
enum inspproc_outcome inspproc_inspect(struct inspproc *ip, const struct inspect_request *req,
    struct inspect_result *res);
/* The same for a body still arriving (a tar followed from the spool,
 * front/follow.h): REQ's fd holds the first bytes, the inspector reads the
 * whole body from a pipe that PUMP(ARG, FD, DEADLINE_MS) writes in the
 * calling thread (it returns when the body is written, when a write fails
 * because the inspector stopped reading, or at the deadline). Then the
 * answer, which may be need_file (inspect the file instead). */
enum inspproc_outcome inspproc_inspect_stream(struct inspproc *ip,
    const struct inspect_request *req, void (*pump)(void *arg, int fd, int64_t deadline_ms),
    void *arg, struct inspect_result *res);
/* Ends IP's inspector (EOF, then SIGKILL after INSPPROC_STOP_MS) and reaps it. */
void inspproc_stop(struct inspproc *ip);

/*
 * The same round trip for a caller that waits in its own event loop
 * (front/pipeline.c), never blocking: inspproc_send sends REQ to IP's
 * running inspector (its socket set non-blocking by the caller) and returns
 * the job's id, or 0 when the inspector could not be reached (it is then
 * ended). inspproc_receive takes what the inspector has sent so far into RX
 * (verdict_rx_init with that id and inspproc_rows): 1 the answer is whole,
 * 0 more is to come (wait for the socket), -1 the inspector broke the
 * protocol or ended (RX's result is then to be cleared). inspproc_end ends
 * IP's inspector at once (SIGKILL unless it is gone already) and reaps it,
 * logging how it ended unless QUIET. inspproc_start_in_ms: how long until
 * INSPPROC_RESTART_MS allows IP a fresh start (0: now).
 */
struct verdict_rx;
uint64_t inspproc_send(struct inspproc *ip, const struct inspect_request *req);
int inspproc_receive(struct inspproc *ip, struct verdict_rx *rx);
void inspproc_end(struct inspproc *ip, int quiet);
int64_t inspproc_start_in_ms(const struct inspproc *ip);
/* REQ's limit of workbook rows, and its deadline from now (ms). */
size_t inspproc_rows(const struct inspect_request *req);
int64_t inspproc_deadline_ms(const struct inspect_request *req);

#endif
