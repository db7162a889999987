/*
 * front/pipeline.c: carries a finished upload from the front to an
 * inspector process, then to the notary, and back to the loop thread.
 *
 * Inspection is driven from the loop thread, without blocking: each of the
 * `workers` slots owns one inspector process (front/inspproc.h) whose
 * socket the loop watches. A job goes to an idle slot's inspector (the
 * read-only quarantine fd and the kind's policy), the verdict is read as it
 * arrives, and the job goes on to the notary from the loop thread too: no
 * thread hand-off between the upload, its inspection and its record. An
 * inspector that dies or runs past its deadline rejects that one upload
 * (`inspect-crashed`, `inspect-timeout`: signed and recorded as any
 * verdict) and is replaced, at most once per INSPPROC_RESTART_MS per slot
 * (a timer, never a sleep); a slot whose inspector cannot be started
 * rejects the oldest waiting upload the same way rather than let it wait
 * unanswered. The daemon never goes down for an inspector.
 *
 * Fairness: with more than one slot, one Party's uploads hold at most
 * workers - 1 of them (pipeline_cap); a free slot takes the oldest job whose
 * Party is under that, so another Party's upload never waits behind one
 * Party's files, however slow those are to inspect (up to inspect_seconds
 * each). While every waiting job is one Party's, a slot inspecting a small
 * file of that Party is sent its next small files too (queued, at most
 * PIPELINE_QUEUE_DEPTH): the inspector takes each up as soon as it has
 * answered the one before, instead of idling until the loop has read the
 * answer and sent the next, and the loop reads several answers per wake-up.
 * A queued job's clock starts when its turn comes; an inspector that dies or
 * runs out of time takes only its current job with it, and the queued ones
 * wait first in line, in their order, for the next. Another Party's upload
 * arriving meanwhile takes a free slot (one Party holds at most workers - 1)
 * or, with one worker, waits behind the queued small files. A job the front
 * already decided needs no inspector and is never held back. The
 * loop itself reads the notary's answers (front/notaryc.c); like the
 * scanners' results (below) they are queued under a mutex and taken up by
 * the completion event (event_active()), oldest first, so that every
 * connection is only ever touched by the loop thread.
 *
 * Scanning ([scan], issue 19): with a clamd socket configured, `workers`
 * scanner threads first hand each job's quarantine fd to clamd
 * (common/clamd.h; blocking, within [scan] timeout; the same fairness
 * between Parties), then give the job back to the loop for its inspection.
 * Streamed tars inspected as they arrived (follow.h) are scanned too. A hit
 * or a file clamd could not scan whole is a finding like any other
 * (`malware`, `scan-incomplete`); clamd down, late or confused is no
 * verdict at all: the job is not recorded (scan_down), its quarantine file
 * is removed and the client is told 503. Each scan connects anew, so a
 * clamd that comes back is used at once. Without [scan] there are no
 * threads here at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "common/clamd.h"
#include "common/log.h"
#include "common/verdict.h"
#include "front/front.h"
#include "front/inspproc.h"
#include "front/notaryc.h"
#include "inspect/inspect.h"

#define WORKERS_MAX 64
#define PIPELINE_QUEUE_MAX (1024 * 1024)  /* files at most this size are queued */
#define PIPELINE_QUEUE_DEPTH 4            /* and at most this many behind a job */
#define PIPELINE_TYPE_UNKNOWN "application/octet-stream"  /* an inspector gave no verdict */

/* One inspector process and the job it inspects (loop thread only). */
struct pipeline_slot {
	struct pipeline       *p;
	struct inspproc        ip;
	struct pipeline_job   *job;          /* being inspected; NULL: idle */
	struct {
		struct pipeline_job *job;
		uint64_t             id;    /* its request id */
	}                      queued[PIPELINE_QUEUE_DEPTH];  /* sent after it, same Party */
	unsigned               nqueued;
	struct event          *ev;           /* the inspector's socket is readable */
	struct event          *deadline;     /* the job's inspection ran out of time */
	struct event          *restart;      /* a fresh inspector may be started */
	struct verdict_rx      rx;
	struct inspect_result *pre;          /* the job's findings before inspection */
	struct timespec        t0;
};

struct pipeline {
	struct event_base    *base;
	struct notaryc       *notary;
	struct event         *ev_done;
	pthread_mutex_t       mtx;
	pthread_cond_t        cond;
	struct pipeline_job  *todo, *todo_tail;     /* loop: waiting for an inspector */
	struct pipeline_job  *scanq, *scanq_tail;   /* under mtx: waiting for a scanner */
	struct pipeline_job  *scanned;              /* under mtx: scanned, for the loop */
	struct pipeline_job  *done;                 /* under mtx: answered, for the loop */
	unsigned              pending;              /* loop thread only */
	int                   stop;                 /* under mtx: scanners leave */
	unsigned              workers;
	struct pipeline_slot *slots;                /* WORKERS of them */
	pthread_t             threads[WORKERS_MAX]; /* scanners, with [scan] */
	unsigned              nthreads;
	const char           *scanning[WORKERS_MAX]; /* under mtx: each scanner's Party */
	struct inspproc_conf  inspconf;
	struct histogram      inspect_time;         /* seconds per inspection (metrics.h) */
	struct histogram      wait_time;            /* seconds a job waited for an inspector */
	struct histogram      record_time;          /* seconds from the notary's job to its answer */
	const char           *clamd;                /* [scan] clamd, NULL: no scanning */
	unsigned              scan_timeout;
	struct pipeline_scans scans;                /* by result, and their time */
};

static void pipeline_dispatch(struct pipeline *p);
static void pipeline_slot_start(struct pipeline_slot *s);
static void pipeline_slot_readable(evutil_socket_t fd, short what, void *arg);
static void pipeline_queue(struct pipeline *p);
static void pipeline_slot_begin(struct pipeline_slot *s, struct pipeline_job *job, uint64_t id);
static void pipeline_requeue(struct pipeline *p, struct pipeline_job *job);

/* The most inspectors (or scanners) one Party's uploads may hold at once. */
static unsigned
pipeline_cap(const struct pipeline *p)
{
	return p->workers > 1 ? p->workers - 1 : 1;
}

/* Unlinks and returns the oldest job of the queue *HEAD (tail *TAIL) that
 * may run now, given the Parties in BUSY (N of them, NULL when free), or
 * NULL. */
static struct pipeline_job *
pipeline_next(struct pipeline *p, struct pipeline_job **head, struct pipeline_job **tail,
    const char *const *busy, unsigned n)
{
	struct pipeline_job *job, *prev = NULL;
	unsigned i, held;

	for (job = *head; job != NULL; prev = job, job = job->next) {
		if (!job->reject_early) {
			for (i = 0, held = 0; i < n; i++)
				if (busy[i] != NULL && strcmp(busy[i], job->nj.party) == 0)
					held++;
			if (held >= pipeline_cap(p))
				continue;
		}
		if (prev != NULL)
			prev->next = job->next;
		else
			*head = job->next;
		if (*tail == job)
			*tail = prev;
		job->next = NULL;
		return job;
	}
	return NULL;
}

static void
pipeline_append(struct pipeline_job **head, struct pipeline_job **tail, struct pipeline_job *job)
{
	job->next = NULL;
	if (*tail)
		(*tail)->next = job;
	else
		*head = job;
	*tail = job;
}

/* The loop, reading the notary's answers: JOB is answered. */
static void
pipeline_notary_done(struct notary_job *nj, void *arg)
{
	struct pipeline *p = arg;
	struct pipeline_job *job = (struct pipeline_job *)nj;  /* nj is the first member */

	metrics_observe(&p->record_time, metrics_since(&job->to_notary));
	pthread_mutex_lock(&p->mtx);
	job->next = p->done;
	p->done = job;
	pthread_mutex_unlock(&p->mtx);
	event_active(p->ev_done, EV_READ, 0);
}

/* The job goes to the notary, with its file's descriptor. Once submitted,
 * the job belongs to the notary's answer: its completion may run (in the
 * loop thread, or here when this is the loop thread's next event) and
 * free it, so nothing of it is touched after (its descriptor is taken
 * first). */
static void
pipeline_to_notary(struct pipeline *p, struct pipeline_job *job)
{
	int fd = job->fd;

	job->fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &job->to_notary);
	job->nj.done = pipeline_notary_done;
	job->nj.arg = p;
	notaryc_submit(p->notary, &job->nj, fd);
	if (fd != -1)
		close(fd);
}

/* Whether JOB is scanned: an upload whose body is all there (not a fact,
 * not one the front rejected unread). */
static int
pipeline_scans_job(const struct pipeline *p, const struct pipeline_job *job)
{
	return p->clamd != NULL && !job->reject_early && job->nj.fact[0] == '\0';
}

/* Scans JOB with clamd (a scanner thread). 0: a verdict (findings added,
 * scan line set); -1: no verdict, the job must not be recorded. */
static int
pipeline_scan(struct pipeline *p, struct pipeline_job *job)
{
	struct inspect_result *res = &job->nj.result;
	struct clamd_verdict v;
	struct timespec t0;
	enum clamd_status st;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = clamd_scan(p->clamd, job->fd, (unsigned long long)job->nj.size, p->scan_timeout, &v);
	metrics_observe(&p->scans.time, metrics_since(&t0));
	atomic_fetch_add(&p->scans.n[st], 1);
	if (st == CLAMD_ERROR) {
		log_warnx("scan: clamd %s: %s: Party %s, %llu bytes answered 503", p->clamd, v.why,
		    job->nj.party, (unsigned long long)job->nj.size);
		return -1;
	}
	_Static_assert(sizeof(job->nj.scan) == sizeof(v.version), "scan lines fit");
	memcpy(job->nj.scan, v.version, sizeof(job->nj.scan));
	if (st == CLAMD_FOUND) {
		inspect_finding(res, 1, "malware", "", "%s", v.signature);
		log_info("scan: Party %s, kind %s: %s found", job->nj.party, job->nj.kind,
		    v.signature);
	} else if (st == CLAMD_INCOMPLETE)
		inspect_finding(res, 1, "scan-incomplete", "",
		    "clamd could not scan the whole file (%s)", v.signature);
	return 0;
}

/* Finishes JOB now (loop thread): the job's done() with P's count. */
static void
pipeline_complete_one(struct pipeline *p, struct pipeline_job *job)
{
	p->pending--;
	job->done(job, job->arg);
}

/* No verdict from clamd: the job goes back unrecorded (status -1), and its
 * quarantine file goes. Loop thread. */
static void
pipeline_scan_down(struct pipeline *p, struct pipeline_job *job)
{
	if (job->fd != -1)
		close(job->fd);
	job->fd = -1;
	if (unlink(job->nj.quarantine) == -1)
		log_warn("%s: unlink %s", __func__, job->nj.quarantine);
	if (job->nj.prehash != 0) {
		/* the notary hashed it as it came: that goes too */
		notaryc_prehash_drop(p->notary, job->nj.prehash);
		job->nj.prehash = 0;
	}
	job->nj.status = -1;
	job->nj.err = EAGAIN;
	pipeline_complete_one(p, job);
}

/* A job the scanners are done with, or one that needs none: on to its
 * inspection, or straight to the notary. Loop thread. */
static void
pipeline_go_on(struct pipeline *p, struct pipeline_job *job)
{
	if (job->scan_down)
		pipeline_scan_down(p, job);
	else if (job->reject_early || job->inspected)
		pipeline_to_notary(p, job);
	else {
		clock_gettime(CLOCK_MONOTONIC, &job->ready);
		pipeline_append(&p->todo, &p->todo_tail, job);
		pipeline_dispatch(p);
	}
}

static void *
pipeline_scanner(void *arg)
{
	struct pipeline *p = arg;
	struct pipeline_job *job;
	unsigned slot;

	pthread_setname_np(pthread_self(), "intaked-scanner");
	pthread_mutex_lock(&p->mtx);
	slot = p->nthreads++;
	for (;;) {
		/* on stop, the queue is drained first */
		while ((job = pipeline_next(p, &p->scanq, &p->scanq_tail, p->scanning,
		    p->workers)) == NULL && !(p->stop && p->scanq == NULL))
			pthread_cond_wait(&p->cond, &p->mtx);
		if (job == NULL)
			break;
		p->scanning[slot] = job->nj.party;
		pthread_mutex_unlock(&p->mtx);

		if (pipeline_scan(p, job) == -1)
			job->scan_down = 1;

		pthread_mutex_lock(&p->mtx);
		p->scanning[slot] = NULL;
		job->next = p->scanned;
		p->scanned = job;
		/* a job held back for this Party may be scanned now */
		if (p->scanq != NULL)
			pthread_cond_signal(&p->cond);
		pthread_mutex_unlock(&p->mtx);
		event_active(p->ev_done, EV_READ, 0);
		pthread_mutex_lock(&p->mtx);
	}
	pthread_mutex_unlock(&p->mtx);
	return NULL;
}

/* Reverses a list taken from a thread (newest first) into oldest first. */
static struct pipeline_job *
pipeline_oldest_first(struct pipeline_job *list)
{
	struct pipeline_job *job, *next, *rev = NULL;

	for (job = list; job; job = next) {
		next = job->next;
		job->next = rev;
		rev = job;
	}
	return rev;
}

/* Loop thread: jobs answered by the notary, and jobs the scanners are done
 * with. */
static void
pipeline_complete(evutil_socket_t fd, short what, void *arg)
{
	struct pipeline *p = arg;
	struct pipeline_job *done, *scanned, *job, *next;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&p->mtx);
	done = p->done;
	scanned = p->scanned;
	p->done = p->scanned = NULL;
	pthread_mutex_unlock(&p->mtx);
	for (job = pipeline_oldest_first(done); job; job = next) {
		next = job->next;
		pipeline_complete_one(p, job);
	}
	for (job = pipeline_oldest_first(scanned); job; job = next) {
		next = job->next;
		pipeline_go_on(p, job);
	}
}

/* --- the inspector slots (loop thread) --- */

/* S takes JOB: the findings the front added already (digest, scan) are
 * kept aside, to follow the inspector's. */
static void
pipeline_slot_take(struct pipeline_slot *s, struct pipeline_job *job)
{
	s->job = job;
	s->pre->nfindings = 0;
	if (job->nj.result.nfindings > 0)
		*s->pre = job->nj.result;
	clock_gettime(CLOCK_MONOTONIC, &s->t0);
	metrics_observe(&s->p->wait_time, metrics_between(&job->ready, &s->t0));
}

/* The slot's inspection ended with O: the job's result is the inspector's
 * (O == INSPPROC_ANSWERED) or a rejection that says why not; the findings
 * the front had added come after, and the job goes to the notary. */
static void
pipeline_slot_done(struct pipeline_slot *s, enum inspproc_outcome o)
{
	struct pipeline *p = s->p;
	struct pipeline_job *job = s->job;
	struct inspect_result *res = &job->nj.result;

	s->job = NULL;
	event_del(s->deadline);
	metrics_observe(&p->inspect_time, metrics_since(&s->t0));
	if (o != INSPPROC_ANSWERED) {
		inspect_result_clear(res);
		memset(res, 0, sizeof(*res));
		res->accepted = 0;
		/* no type was detected: the entry says so */
		snprintf(res->type, sizeof(res->type), "%s", PIPELINE_TYPE_UNKNOWN);
		if (o == INSPPROC_TIMEOUT)
			inspect_finding(res, 1, "inspect-timeout", "",
			    "the inspection took over %u seconds", job->rt->policy->inspect_seconds);
		else
			inspect_finding(res, 1, "inspect-crashed", "",
			    "the inspector ended before it gave a verdict");
		log_warnx("inspector %s: Party %s, kind %s, %llu bytes: rejected; a fresh "
		    "inspector takes its place", o == INSPPROC_TIMEOUT ? "timed out" : "crashed",
		    job->nj.party, job->nj.kind, (unsigned long long)job->nj.size);
		event_del(s->ev);
		inspproc_end(&s->ip, o == INSPPROC_TIMEOUT);
	}
	for (size_t i = 0; i < s->pre->nfindings; i++)
		inspect_finding(res, 1, s->pre->findings[i].code, s->pre->findings[i].member, "%s",
		    s->pre->findings[i].detail);
	if (s->nqueued > 0 && o == INSPPROC_ANSWERED) {
		struct pipeline_job *next = s->queued[0].job;
		uint64_t id = s->queued[0].id;

		s->nqueued--;
		memmove(&s->queued[0], &s->queued[1], s->nqueued * sizeof(s->queued[0]));
		pipeline_slot_begin(s, next, id);  /* at it already */
	} else if (s->nqueued > 0) {
		/* back first in line, in their order */
		while (s->nqueued > 0)
			pipeline_requeue(p, s->queued[--s->nqueued].job);
	}
	pipeline_to_notary(p, job);
	if (s->ip.pid == -1)
		pipeline_slot_start(s);
	pipeline_dispatch(p);
}

/* The slot's inspector spoke or closed. */
static void
pipeline_slot_readable(evutil_socket_t fd, short what, void *arg)
{
	struct pipeline_slot *s = arg;
	int r;

	(void)fd;
	(void)what;
	if (s->job == NULL) {
		/* idle: it died, or spoke out of turn; either way it is replaced */
		struct msg *m = &s->ip.m;

		if ((r = msg_recv(s->ip.sock, &msg_from_inspect, m)) == -1 &&
		    (errno == EAGAIN || errno == EINTR))
			return;
		if (r == 1) {
			log_warnx("inspector %d: a message with no job asked: replaced",
			    (int)s->ip.pid);
			if (m->fd != -1)
				close(m->fd);
		}
		event_del(s->ev);
		inspproc_end(&s->ip, 0);
		pipeline_slot_start(s);
		return;
	}
	if ((r = inspproc_receive(&s->ip, &s->rx)) == 0)
		return;
	pipeline_slot_done(s, r == 1 ? INSPPROC_ANSWERED : INSPPROC_CRASHED);
}

static void
pipeline_slot_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct pipeline_slot *s = arg;

	(void)fd;
	(void)what;
	if (s->job != NULL)
		pipeline_slot_done(s, INSPPROC_TIMEOUT);
}

/* Watches S's fresh inspector (its socket made non-blocking). 0/-1. */
static int
pipeline_slot_watch(struct pipeline_slot *s)
{
	int fl;

	if ((fl = fcntl(s->ip.sock, F_GETFL)) == -1 ||
	    fcntl(s->ip.sock, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    event_assign(s->ev, s->p->base, s->ip.sock, EV_READ | EV_PERSIST,
	    pipeline_slot_readable, s) == -1 || event_add(s->ev, NULL) == -1)
		return -1;
	return 0;
}

/* Starts the slot's inspector when INSPPROC_RESTART_MS allows, else at the
 * time it does (the restart timer). One that cannot be started rejects the
 * oldest waiting job, so that nothing waits for an inspector that may
 * never come, and is tried again later. */
static void
pipeline_slot_start(struct pipeline_slot *s)
{
	struct pipeline *p = s->p;
	struct pipeline_job *job;
	char err[256];
	int64_t ms;

	if ((ms = inspproc_start_in_ms(&s->ip)) > 0) {
		struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };

		evtimer_add(s->restart, &tv);
		return;
	}
	if (inspproc_start(&s->ip, err, sizeof(err)) == 0) {
		if (pipeline_slot_watch(s) == 0)
			return;
		log_warnx("%s: cannot watch a fresh inspector", __func__);
		inspproc_end(&s->ip, 1);
	} else
		log_warnx("%s: %s", __func__, err);
	/* no inspector for now: the oldest waiting job is not left waiting */
	if ((job = pipeline_next(p, &p->todo, &p->todo_tail, NULL, 0)) != NULL) {
		pipeline_slot_take(s, job);
		pipeline_slot_done(s, INSPPROC_CRASHED);
		return;
	}
	struct timeval tv = { .tv_sec = INSPPROC_RESTART_MS / 1000,
	    .tv_usec = INSPPROC_RESTART_MS % 1000 * 1000 };
	evtimer_add(s->restart, &tv);
}

static void
pipeline_slot_restart(evutil_socket_t fd, short what, void *arg)
{
	struct pipeline_slot *s = arg;

	(void)fd;
	(void)what;
	if (s->ip.pid == -1)
		pipeline_slot_start(s);
	pipeline_dispatch(s->p);
}

/* The inspection request of JOB. */
static void
pipeline_request(const struct pipeline_job *job, struct inspect_request *req)
{
	memset(req, 0, sizeof(*req));
	req->fd = job->fd;
	req->size = job->nj.size;
	req->filename = job->nj.filename;
	req->kind = job->kind;
	req->policy = job->rt->policy;
	req->party = job->nj.party;
	req->scanned = 1;
	req->nul_at = job->nul_at;
}

/* S's inspector works on JOB, request ID, from now: its answer is read into
 * the job's result, within the deadline. */
static void
pipeline_slot_begin(struct pipeline_slot *s, struct pipeline_job *job, uint64_t id)
{
	struct inspect_request req;
	struct timeval tv;
	int64_t ms;

	pipeline_request(job, &req);
	ms = inspproc_deadline_ms(&req);
	pipeline_slot_take(s, job);
	/* the result is the inspector's from here (zeroed by verdict_rx_init) */
	verdict_rx_init(&s->rx, id, inspproc_rows(&req), &job->nj.result);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = ms % 1000 * 1000;
	evtimer_add(s->deadline, &tv);
}

/* Sends JOB to S's idle inspector. */
static void
pipeline_slot_send(struct pipeline_slot *s, struct pipeline_job *job)
{
	struct inspect_request req;
	uint64_t id;

	pipeline_request(job, &req);
	if ((id = inspproc_send(&s->ip, &req)) == 0) {
		pipeline_slot_take(s, job);
		pipeline_slot_done(s, INSPPROC_CRASHED);
		return;
	}
	pipeline_slot_begin(s, job, id);
}

/* Puts JOB first in line for an inspector (not its fault it was not
 * inspected). */
static void
pipeline_requeue(struct pipeline *p, struct pipeline_job *job)
{
	job->next = p->todo;
	p->todo = job;
	if (p->todo_tail == NULL)
		p->todo_tail = job;
}

/* While every waiting job is one Party's: each slot inspecting a small file
 * of that Party is sent the oldest small ones, up to PIPELINE_QUEUE_DEPTH
 * behind it. */
static void
pipeline_queue(struct pipeline *p)
{
	struct pipeline_job *job, *prev;
	const char *party;
	unsigned i;

	if (p->todo == NULL)
		return;
	party = p->todo->nj.party;
	for (job = p->todo; job != NULL; job = job->next)
		if (strcmp(job->nj.party, party) != 0)
			return;
	for (i = 0; i < p->workers && p->todo != NULL; i++) {
		struct pipeline_slot *s = &p->slots[i];
		struct inspect_request req;
		uint64_t id;

		if (s->job == NULL || s->ip.pid == -1 ||
		    s->job->nj.size > PIPELINE_QUEUE_MAX || strcmp(s->job->nj.party, party) != 0)
			continue;
		while (s->nqueued < PIPELINE_QUEUE_DEPTH) {
			for (prev = NULL, job = p->todo; job != NULL; prev = job, job = job->next)
				if (job->nj.size <= PIPELINE_QUEUE_MAX)
					break;
			if (job == NULL)
				return;
			pipeline_request(job, &req);
			if ((id = inspproc_send(&s->ip, &req)) == 0)
				break;	/* its end shows on its socket; the job waits on */
			if (prev != NULL)
				prev->next = job->next;
			else
				p->todo = job->next;
			if (p->todo_tail == job)
				p->todo_tail = prev;
			job->next = NULL;
			s->queued[s->nqueued].job = job;
			s->queued[s->nqueued++].id = id;
		}
	}
}

/* Gives waiting jobs to idle inspectors. */
static void
pipeline_dispatch(struct pipeline *p)
{
	const char *busy[WORKERS_MAX];
	struct pipeline_job *job;
	unsigned i;

	while (p->todo != NULL) {
		struct pipeline_slot *idle = NULL;

		for (i = 0; i < p->workers; i++) {
			busy[i] = p->slots[i].job != NULL ? p->slots[i].job->nj.party : NULL;
			if (idle == NULL && p->slots[i].job == NULL && p->slots[i].ip.pid != -1)
				idle = &p->slots[i];
		}
		if (idle == NULL ||
		    (job = pipeline_next(p, &p->todo, &p->todo_tail, busy, p->workers)) == NULL)
			break;
		pipeline_slot_send(idle, job);
	}
	pipeline_queue(p);
}

struct pipeline *
pipeline_new(struct event_base *base, struct notaryc *n, unsigned workers, const char *user,
    char *err, size_t errlen)
{
	struct pipeline *p;

	if (workers == 0 || workers > WORKERS_MAX) {
		snprintf(err, errlen, "workers must be 1..%d", WORKERS_MAX);
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->base = base;
	p->notary = n;
	pthread_mutex_init(&p->mtx, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (inspproc_conf_init(&p->inspconf, user, err, errlen) == -1)
		goto fail;
	if ((p->slots = calloc(workers, sizeof(*p->slots))) == NULL ||
	    (p->ev_done = event_new(base, -1, 0, pipeline_complete, p)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* every slot is one pipeline_free can end, before any starts */
	p->workers = workers;
	for (unsigned i = 0; i < workers; i++) {
		p->slots[i].p = p;
		p->slots[i].ip.conf = &p->inspconf;
		p->slots[i].ip.pid = -1;
		p->slots[i].ip.sock = -1;
	}
	for (unsigned i = 0; i < workers; i++) {
		struct pipeline_slot *s = &p->slots[i];

		if ((s->pre = calloc(1, sizeof(*s->pre))) == NULL ||
		    (s->ev = event_new(base, -1, 0, pipeline_slot_readable, s)) == NULL ||
		    (s->deadline = evtimer_new(base, pipeline_slot_timeout, s)) == NULL ||
		    (s->restart = evtimer_new(base, pipeline_slot_restart, s)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		/* the first inspectors must start: a daemon without any is no use */
		if (inspproc_start(&s->ip, err, errlen) == -1)
			goto fail;
		if (pipeline_slot_watch(s) == -1) {
			snprintf(err, errlen, "cannot watch an inspector");
			goto fail;
		}
	}
	return p;
fail:
	pipeline_free(p);
	return NULL;
}

void
pipeline_submit(struct pipeline *p, struct pipeline_job *job)
{
	job->next = NULL;
	p->pending++;
	if (pipeline_scans_job(p, job)) {
		pthread_mutex_lock(&p->mtx);
		pipeline_append(&p->scanq, &p->scanq_tail, job);
		/* one idle scanner: whether a job may run is the same for all */
		pthread_cond_signal(&p->cond);
		pthread_mutex_unlock(&p->mtx);
		return;
	}
	pipeline_go_on(p, job);
}

const struct inspproc_conf *
pipeline_inspconf(const struct pipeline *p)
{
	return &p->inspconf;
}

void
pipeline_set_scan(struct pipeline *p, const char *clamd, unsigned timeout)
{
	p->clamd = clamd;
	p->scan_timeout = timeout;
	if (clamd == NULL)
		return;
	/* as many scanners as inspectors; they count themselves in */
	for (unsigned i = 0; i < p->workers; i++)
		if (pthread_create(&p->threads[i], NULL, pipeline_scanner, p) != 0)
			fatalx("%s: cannot start scanner threads", __func__);
}

const struct pipeline_scans *
pipeline_scans(const struct pipeline *p)
{
	return p->clamd != NULL ? &p->scans : NULL;
}

const struct histogram *
pipeline_inspect_time(const struct pipeline *p)
{
	return &p->inspect_time;
}

const struct histogram *
pipeline_wait_time(const struct pipeline *p)
{
	return &p->wait_time;
}

const struct histogram *
pipeline_record_time(const struct pipeline *p)
{
	return &p->record_time;
}

unsigned
pipeline_pending(struct pipeline *p)
{
	return p->pending;
}

/* Stops the scanners after their queue (its jobs are then never answered:
 * the loop has ended) and the inspectors. The notary must still be open. */
void
pipeline_free(struct pipeline *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mtx);
	p->stop = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mtx);
	if (p->clamd != NULL)
		for (unsigned i = 0; i < p->workers; i++)
			pthread_join(p->threads[i], NULL);
	for (unsigned i = 0; p->slots != NULL && i < p->workers; i++) {
		struct pipeline_slot *s = &p->slots[i];

		if (s->ev != NULL)
			event_free(s->ev);
		if (s->deadline != NULL)
			event_free(s->deadline);
		if (s->restart != NULL)
			event_free(s->restart);
		inspproc_stop(&s->ip);
		free(s->pre);
	}
	if (p->ev_done != NULL)
		event_free(p->ev_done);
	free(p->slots);
	pthread_mutex_destroy(&p->mtx);
	pthread_cond_destroy(&p->cond);
	free(p);
}
