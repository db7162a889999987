/*
 * front/inspproc.c: starting, using and ending one inspector process (see
 * inspproc.h).
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/msg.h"
#include "front/inspproc.h"
#include "inspect/serve.h"
#include "common/verdict.h"
#include "inspect/workbook.h"

extern char **environ;

/* The running daemon's own image, even if its file was replaced since:
 * an inspector speaks exactly the front's message layout. */
#define INSPPROC_EXE "/proc/self/exe"

int
inspproc_conf_init(struct inspproc_conf *c, const char *user, char *err, size_t errlen)
{
	struct proc_user u;
	int n;

	if (proc_user_lookup(user, &u, err, errlen) == -1)
		return -1;
	n = snprintf(c->userspec, sizeof(c->userspec), "%s:%u:%u", u.name, (unsigned)u.uid,
	    (unsigned)u.gid);
	if (n < 0 || (size_t)n >= sizeof(c->userspec)) {
		snprintf(err, errlen, "user '%s': name too long", u.name);
		return -1;
	}
	return 0;
}

static int64_t
inspproc_ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

int
inspproc_start(struct inspproc *ip, char *err, size_t errlen)
{
	char *argv[] = { "intaked", "-I", (char *)ip->conf->userspec, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none;
	int sv[2], rc;
	int64_t since;

	if (ip->started.tv_sec != 0 &&
	    (since = inspproc_ms_since(&ip->started)) < INSPPROC_RESTART_MS) {
		struct timespec ts = {
			.tv_sec = (INSPPROC_RESTART_MS - since) / 1000,
			.tv_nsec = (INSPPROC_RESTART_MS - since) % 1000 * 1000000,
		};
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}
	clock_gettime(CLOCK_MONOTONIC, &ip->started);
	if (msg_socketpair(sv) == -1) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	/* the child's end lands on INSPECT_SOCK_FD without close-on-exec (dup2
	 * clears it; posix_spawn also clears it when the fd is already that
	 * number), and nothing else of the front is left open in it */
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	if ((rc = posix_spawn_file_actions_adddup2(&fa, sv[1], INSPECT_SOCK_FD)) != 0 ||
	    (rc = posix_spawn_file_actions_addclosefrom_np(&fa, INSPECT_SOCK_FD + 1)) != 0 ||
	    (rc = posix_spawnattr_setsigmask(&at, &none)) != 0 ||
	    (rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK)) != 0 ||
	    (rc = posix_spawn(&ip->pid, INSPPROC_EXE, &fa, &at, argv, environ)) != 0) {
		snprintf(err, errlen, "starting an inspector: %s", strerror(rc));
		ip->pid = -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(sv[1]);
	if (ip->pid == -1) {
		close(sv[0]);
		return -1;
	}
	ip->sock = sv[0];
	return 0;
}

/* Reaps IP's inspector: waits up to WAIT_MS for it to leave by itself,
 * then kills it. Logs how it ended unless that was expected (QUIET). */
static void
inspproc_reap(struct inspproc *ip, int wait_ms, int quiet)
{
	int st = 0, i, killed = 0;
	pid_t r;

	if (ip->sock != -1)
		close(ip->sock);
	ip->sock = -1;
	if (ip->pid == -1)
		return;
	/* at least one look: an inspector whose socket reads as closed is
	 * usually gone already, and says how */
	for (i = 0;; i++) {
		if ((r = waitpid(ip->pid, &st, WNOHANG)) != 0 || i >= wait_ms / 10)
			break;
		usleep(10 * 1000);
	}
	if (r == 0) {
		kill(ip->pid, SIGKILL);
		killed = 1;
		while ((r = waitpid(ip->pid, &st, 0)) == -1 && errno == EINTR)
			;
	}
	if (!quiet && r == ip->pid) {
		if (WIFSIGNALED(st) && !(killed && WTERMSIG(st) == SIGKILL))
			log_warnx("inspector %d ended by signal %d", (int)ip->pid, WTERMSIG(st));
		else if (WIFEXITED(st))
			log_warnx("inspector %d exited with status %d", (int)ip->pid, WEXITSTATUS(st));
	}
	ip->pid = -1;
}

void
inspproc_end(struct inspproc *ip, int quiet)
{
	inspproc_reap(ip, 0, quiet);
}

int64_t
inspproc_start_in_ms(const struct inspproc *ip)
{
	int64_t since;

	if (ip->started.tv_sec == 0 || (since = inspproc_ms_since(&ip->started)) >=
	    INSPPROC_RESTART_MS)
		return 0;
	return INSPPROC_RESTART_MS - since;
}

void
inspproc_stop(struct inspproc *ip)
{
	inspproc_reap(ip, INSPPROC_STOP_MS, 1);
}

/* Reads one message of IP's answer into RX: 1 the answer is whole, 0 more
 * is to come, 2 nothing was there to read, -1 the inspector broke the
 * protocol or ended (logged). */
static int
inspproc_take(struct inspproc *ip, struct verdict_rx *rx)
{
	struct msg *m = &ip->m;
	int r;

	while ((r = msg_recv(ip->sock, &msg_from_inspect, m)) == -1 && errno == EINTR)
		;
	if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 2;
	if (r == 0)
		return -1;                      /* it died (or closed) mid-answer */
	if (r == -1) {
		log_warnx("inspector %d: %s: %s", (int)ip->pid, msg_from_inspect.name,
		    strerror(errno));
		return -1;
	}
	if ((r = verdict_rx_take(rx, m)) == -1) {
		log_warnx("inspector %d: %s: an answer that does not add up", (int)ip->pid,
		    msg_from_inspect.name);
		return -1;
	}
	return r;
}

/* The answer to job ID, up to DEADLINE_MS from now. */
static enum inspproc_outcome
inspproc_answer(struct inspproc *ip, uint64_t id, size_t rows_max, int64_t deadline_ms,
    struct inspect_result *res)
{
	struct verdict_rx rx;
	struct timespec t0;
	struct pollfd pfd = { .fd = ip->sock, .events = POLLIN };
	int64_t left;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	verdict_rx_init(&rx, id, rows_max, res);
	for (;;) {
		if ((left = deadline_ms - inspproc_ms_since(&t0)) <= 0)
			goto timeout;
		if ((r = poll(&pfd, 1, left > 60000 ? 60000 : (int)left)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("%s: poll", __func__);
			goto crashed;
		}
		if (r == 0 || (r = inspproc_take(ip, &rx)) == 0 || r == 2)
			continue;
		if (r == -1)
			goto crashed;
		return INSPPROC_ANSWERED;
	}
timeout:
	inspect_result_clear(res);
	inspproc_reap(ip, 0, 1);
	return INSPPROC_TIMEOUT;
crashed:
	inspect_result_clear(res);
	inspproc_reap(ip, 200, 0);
	return INSPPROC_CRASHED;
}

/* Sends REQ (STREAM: its body follows in a pipe) as a new job; its id, or 0
 * when the inspector could not be started or reached (then reaped, unless
 * KEEP: the caller ends it, after it stopped watching its socket). */
static uint64_t
inspproc_request(struct inspproc *ip, const struct inspect_request *req, int stream, int keep)
{
	struct msg_inspect rq;
	char err[256];
	uint64_t id;
	int n;

	if (ip->pid == -1 && inspproc_start(ip, err, sizeof(err)) == -1) {
		log_warnx("%s: %s", __func__, err);
		return 0;
	}
	memset(&rq, 0, sizeof(rq));
	rq.size = req->size;
	rq.scanned = req->scanned != 0;
	rq.stream = stream != 0;
	rq.nul_at = req->nul_at;
	rq.policy = *req->policy;
	rq.policy.kinds = NULL;            /* the inspector points it at rq.kind */
	rq.policy.nkinds = 0;
	rq.kind = *req->kind;
	n = snprintf(rq.filename, sizeof(rq.filename), "%s", req->filename);
	if (n < 0 || (size_t)n >= sizeof(rq.filename))
		fatalx("%s: a filename the front validated does not fit", __func__);
	if (req->party != NULL)
		snprintf(rq.party, sizeof(rq.party), "%s", req->party);
	id = ++ip->seq;
	if (msg_send(ip->sock, MSG_INSPECT, id, &rq, sizeof(rq), req->fd) == -1) {
		log_warn("%s: inspector %d", __func__, (int)ip->pid);
		if (!keep)
			inspproc_reap(ip, 200, 0);
		return 0;
	}
	return id;
}

/* The deadline of REQ's answer, from now (ms). */
int64_t
inspproc_deadline_ms(const struct inspect_request *req)
{
	return ((int64_t)req->policy->inspect_seconds + INSPPROC_GRACE) * 1000;
}

size_t
inspproc_rows(const struct inspect_request *req)
{
	return req->policy->workbook_rows ? req->policy->workbook_rows : WB_ROWS_DEFAULT;
}

uint64_t
inspproc_send(struct inspproc *ip, const struct inspect_request *req)
{
	if (ip->pid == -1)
		return 0;
	return inspproc_request(ip, req, 0, 1);
}

int
inspproc_receive(struct inspproc *ip, struct verdict_rx *rx)
{
	int r;

	while ((r = inspproc_take(ip, rx)) == 0)
		;
	if (r != 1)
		return r == 2 ? 0 : -1;
	if (rx->res->need_file) {
		/* only a streamed inspection may say it needs the file */
		log_warnx("inspector %d: need_file for a file", (int)ip->pid);
		inspect_result_clear(rx->res);
		return -1;
	}
	return 1;
}

enum inspproc_outcome
inspproc_inspect(struct inspproc *ip, const struct inspect_request *req,
    struct inspect_result *res)
{
	enum inspproc_outcome o;
	uint64_t id;

	memset(res, 0, sizeof(*res));
	if ((id = inspproc_request(ip, req, 0, 0)) == 0)
		return INSPPROC_CRASHED;
	o = inspproc_answer(ip, id, inspproc_rows(req), inspproc_deadline_ms(req), res);
	if (o == INSPPROC_ANSWERED && res->need_file) {
		/* only a streamed inspection may say it needs the file */
		log_warnx("inspector %d: need_file for a file", (int)ip->pid);
		inspect_result_clear(res);
		inspproc_reap(ip, 0, 1);
		return INSPPROC_CRASHED;
	}
	return o;
}

enum inspproc_outcome
inspproc_inspect_stream(struct inspproc *ip, const struct inspect_request *req,
    void (*pump)(void *arg, int fd, int64_t deadline_ms), void *arg,
    struct inspect_result *res)
{
	struct msg_stream ms = { .size = req->size };
	struct timespec t0;
	int64_t left;
	uint64_t id;
	int p[2];

	memset(res, 0, sizeof(*res));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("%s: pipe", __func__);
		return INSPPROC_CRASHED;
	}
	if ((id = inspproc_request(ip, req, 1, 0)) == 0 ||
	    msg_send(ip->sock, MSG_STREAM, id, &ms, sizeof(ms), p[0]) == -1) {
		if (id != 0)
			inspproc_reap(ip, 200, 0);
		close(p[0]);
		close(p[1]);
		return INSPPROC_CRASHED;
	}
	close(p[0]);
	pump(arg, p[1], inspproc_deadline_ms(req));
	close(p[1]);
	if ((left = inspproc_deadline_ms(req) - inspproc_ms_since(&t0)) < 1)
		left = 1;
	return inspproc_answer(ip, id, inspproc_rows(req), left, res);
}
