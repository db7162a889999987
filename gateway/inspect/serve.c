/*
 * inspect/serve.c: the inspector process's start and loop (see serve.h).
 *
 * Order matters: privileges and limits first (nothing of a peer read
 * yet), then what needs the filesystem (libmagic's database), then the
 * filter, then requests. After the filter every exit is _exit(): the
 * normal exit path may run handlers (a sanitizer's leak check stops the
 * world with a thread and ptrace) that the filter kills.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/msg.h"
#include "common/proc.h"
#include "inspect/inspect.h"
#include "inspect/sandbox.h"
#include "inspect/serve.h"
#include "common/verdict.h"

/* Descriptors: stdio, the socket, the file of a request, memfds of spooled
 * members (one per nesting level) and what libarchive opens on them. */
#define INSPECT_NOFILE 32
/* The most one read of a streamed body may ask for (front/follow.c asks
 * no more of the spool). */
#define SERVE_STREAM_BLOCK (64 * 1024)

/* "name:uid:gid" into U; the drop happens when started as root. 0/-1. */
static int
serve_parse_user(const char *spec, struct proc_user *u)
{
	const char *c1, *c2;
	char *end;
	unsigned long uid, gid;

	memset(u, 0, sizeof(*u));
	if ((c1 = strchr(spec, ':')) == NULL || (c2 = strchr(c1 + 1, ':')) == NULL ||
	    c1 == spec || (size_t)(c1 - spec) >= sizeof(u->name))
		return -1;
	errno = 0;
	uid = strtoul(c1 + 1, &end, 10);
	if (errno != 0 || end != c2 || end == c1 + 1)
		return -1;
	gid = strtoul(c2 + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == c2 + 1)
		return -1;
	memcpy(u->name, spec, (size_t)(c1 - spec));
	u->uid = (uid_t)uid;
	u->gid = (gid_t)gid;
	u->drop = geteuid() == 0;
	if (u->drop && (u->uid == 0 || u->gid == 0))
		return -1;
	return 0;
}

/* A streamed request's body: the pipe of its MSG_STREAM. */
struct serve_stream {
	int     fd;
	uint8_t block[SERVE_STREAM_BLOCK];
};

/* inspect_stream's read: the next LEN bytes of the pipe, fewer at its end. */
static ssize_t
serve_stream_read(void *arg, size_t len, const void **buf)
{
	struct serve_stream *st = arg;
	size_t got = 0;
	ssize_t n;

	if (len > sizeof(st->block))
		return -1;
	while (got < len) {
		if ((n = read(st->fd, st->block + got, len - got)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	*buf = st->block;
	return (ssize_t)got;
}

/* One request: inspect the file and answer. 0, or -1 (the front is gone or
 * broke the protocol). A streamed request's pipe comes in the next message;
 * it is closed before the answer, so that the front's writes to it end. */
static int
serve_one(struct inspector *in, int sock, const struct msg *m)
{
	static struct serve_stream st;
	static struct msg sm;
	struct inspect_stream stream = { .read = serve_stream_read, .arg = &st };
	const struct msg_inspect *rq = (const struct msg_inspect *)m->payload;
	/* the request's own copies: the sender's kinds pointer is never used */
	struct policy policy = rq->policy;
	struct kind kind = rq->kind;
	struct inspect_result res;
	int rc;

	policy.kinds = &kind;
	policy.nkinds = 1;
	struct inspect_request req = {
		.fd = m->fd, .size = rq->size, .filename = rq->filename, .kind = &kind,
		.policy = &policy, .scanned = rq->scanned != 0, .nul_at = rq->nul_at,
		.party = rq->party,
	};

	st.fd = -1;
	if (rq->stream) {
		while ((rc = msg_recv(sock, &msg_to_inspect, &sm)) == -1 && errno == EINTR)
			;
		if (rc != 1 || sm.hdr.type != MSG_STREAM || sm.hdr.id != m->hdr.id) {
			if (rc == 1)
				close(sm.fd);
			log_warnx("%s: a streamed request without its stream", __func__);
			return -1;
		}
		st.fd = sm.fd;
		req.stream = &stream;
	}
	memset(&res, 0, sizeof(res));
	if (inspector_run(in, &req, &res) == -1) {
		res.accepted = 0;
		inspect_finding(&res, 1, "inspect-failed", "", "the file could not be inspected");
	}
	if (st.fd != -1)
		close(st.fd);
	rc = verdict_send(sock, m->hdr.id, &res);
	inspect_result_clear(&res);
	return rc;
}

void
inspect_serve(const char *userspec)
{
	static struct msg m;
	struct proc_user u;
	struct proc_limits lim = {
		.nofile = INSPECT_NOFILE,
		.nproc = 0,                 /* no fork, no thread */
		.fsize = PROC_KEEP,         /* archive members are spooled to memfds */
		.core = 0,
	};
	struct inspector *in;
	char err[256];
	int sock = INSPECT_SOCK_FD, r;

	log_init(INSPECT_COMM);
	/* the front ends it (EOF, or SIGKILL); a terminal's or a group's signal does not */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (serve_parse_user(userspec, &u) == -1) {
		log_warnx("%s: bad user '%s'", __func__, userspec);
		_exit(1);
	}
	if (proc_drop(&u, INSPECT_COMM, &lim, err, sizeof(err)) == -1) {
		log_warnx("%s: %s", __func__, err);
		_exit(1);
	}
	if ((in = inspector_new()) == NULL) {
		log_warnx("%s: cannot create an inspector", __func__);
		_exit(1);
	}
	if (sandbox_inspector_process(sock, err, sizeof(err)) == -1) {
		log_warnx("%s: cannot sandbox the inspector: %s", __func__, err);
		_exit(1);
	}
	for (;;) {
		if ((r = msg_recv(sock, &msg_to_inspect, &m)) == -1 && errno == EINTR)
			continue;
		if (r == 0)
			_exit(0);
		if (r == -1 || m.hdr.type != MSG_INSPECT) {
			if (r == 1)
				close(m.fd);
			log_warnx("%s: %s: %s", __func__, msg_to_inspect.name,
			    r == -1 ? strerror(errno) : "unexpected message");
			_exit(1);
		}
		r = serve_one(in, sock, &m);
		close(m.fd);
		if (r == -1)
			_exit(1);
	}
}
