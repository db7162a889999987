/*
 * front/pipeline.c: carries a finished upload from the front to an
 * inspector process, then to the notary, and back to the loop thread.
 *
 * Each worker thread takes jobs from the queue and owns one inspector
 * process (front/inspproc.h): it passes the read-only quarantine fd and the
 * kind's policy and waits for the verdict. An inspector that dies or runs
 * past its deadline rejects that one upload (`inspect-crashed`,
 * `inspect-timeout`: signed and recorded as any verdict) and is replaced;
 * the daemon never goes down for an inspector.
 *
 * Fairness: with more than one worker, one Party's uploads hold at most
 * workers - 1 of them (pipeline_cap); a worker takes the oldest job whose
 * Party is under that, so another Party's upload never waits behind one
 * Party's files, however slow those are to inspect (up to inspect_seconds
 * each). A job the front already decided needs no inspector and is never
 * held back. The notary (its process, through front/notaryc.c) calls back
 * from the reader thread; completions are
 * queued under a mutex and handed to the loop with event_active(), so that
 * every connection is only ever touched by the loop thread.
 *
 * Scanning ([scan], issue 19): with a clamd socket configured, a worker
 * first hands the quarantine fd to clamd (common/clamd.h; blocking, within
 * [scan] timeout), then inspects. Streamed tars inspected as they arrived
 * (follow.h) take a worker too, for the scan alone. A hit or a file clamd
 * could not scan whole is a finding like any other (`malware`,
 * `scan-incomplete`); clamd down, late or confused is no verdict at all:
 * the job is not recorded (scan_down), its quarantine file is removed and
 * the client is told 503. Each scan connects anew, so a clamd that comes
 * back is used at once. Without [scan] none of this runs.
 */
#include <errno.h>
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
#include "front/front.h"
#include "front/inspproc.h"
#include "front/notaryc.h"
#include "inspect/inspect.h"

#define WORKERS_MAX 64
#define PIPELINE_TYPE_UNKNOWN "application/octet-stream"  /* an inspector gave no verdict */

struct pipeline {
	struct notaryc      *notary;
	struct event        *ev_done;
	pthread_mutex_t      mtx;
	pthread_cond_t       cond;
	struct pipeline_job *todo, *todo_tail;   /* waiting for a worker */
	struct pipeline_job *done;               /* finished, for the loop */
	unsigned             pending;            /* loop thread only */
	int                  stop;
	pthread_t            threads[WORKERS_MAX];
	unsigned             nthreads;
	unsigned             workers;                /* set before the first thread starts */
	unsigned             nslots;                 /* under mtx: workers that took a slot */
	const char          *running[WORKERS_MAX];   /* under mtx: the Party each worker
	                                                inspects for, NULL when idle */
	struct inspproc_conf inspconf;
	struct inspproc     *insp;               /* one per worker, started before it */
	struct histogram     inspect_time;       /* seconds per inspection (metrics.h) */
	const char          *clamd;              /* [scan] clamd, NULL: no scanning */
	unsigned             scan_timeout;
	struct pipeline_scans scans;             /* by result, and their time */
};

/* What a worker hands pipeline_worker: the pipeline and its inspector. */
struct pipeline_worker_arg {
	struct pipeline *p;
	struct inspproc *ip;
};

/* The most inspectors one Party's uploads may hold at once. */
static unsigned
pipeline_cap(const struct pipeline *p)
{
	return p->workers > 1 ? p->workers - 1 : 1;
}

/* Unlinks and returns the oldest job that may run now (lock held), or NULL. */
static struct pipeline_job *
pipeline_next(struct pipeline *p)
{
	struct pipeline_job *job, *prev = NULL;
	unsigned i, busy;

	for (job = p->todo; job != NULL; prev = job, job = job->next) {
		if (!job->reject_early) {
			for (i = 0, busy = 0; i < p->nslots; i++)
				if (p->running[i] != NULL && strcmp(p->running[i], job->nj.party) == 0)
					busy++;
			if (busy >= pipeline_cap(p))
				continue;
		}
		if (prev != NULL)
			prev->next = job->next;
		else
			p->todo = job->next;
		if (p->todo_tail == job)
			p->todo_tail = prev;
		job->next = NULL;
		return job;
	}
	return NULL;
}

static void
pipeline_notary_done(struct notary_job *nj, void *arg)
{
	struct pipeline *p = arg;
	struct pipeline_job *job = (struct pipeline_job *)nj;  /* nj is the first member */

	pthread_mutex_lock(&p->mtx);
	job->next = p->done;
	p->done = job;
	pthread_mutex_unlock(&p->mtx);
	event_active(p->ev_done, EV_READ, 0);
}

/* The inspection is done: the file's descriptor goes, the job goes on.
 * Once submitted, the job belongs to the notary's answer: the loop thread
 * may complete and free it before notaryc_submit has even returned here,
 * so nothing of it is touched after (its descriptor is taken first). */
static void
pipeline_to_notary(struct pipeline *p, struct pipeline_job *job)
{
	int fd = job->fd;

	job->fd = -1;
	job->nj.done = pipeline_notary_done;
	job->nj.arg = p;
	notaryc_submit(p->notary, &job->nj, fd);
	close(fd);
}

/* Whether JOB is scanned: an upload whose body is all there (not a fact,
 * not one the front rejected unread). */
static int
pipeline_scans_job(const struct pipeline *p, const struct pipeline_job *job)
{
	return p->clamd != NULL && !job->reject_early && job->nj.fact[0] == '\0';
}

/* Scans JOB with clamd. 0: a verdict (findings added, scan line set);
 * -1: no verdict, the job must not be recorded. */
static int
pipeline_scan(struct pipeline *p, struct pipeline_job *job)
{
	struct inspect_result *res = &job->nj.result;
	struct clamd_verdict v;
	struct timespec t0, t1;
	enum clamd_status st;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = clamd_scan(p->clamd, job->fd, (unsigned long long)job->nj.size, p->scan_timeout, &v);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	metrics_observe(&p->scans.time, (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
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

/* No verdict: the job goes back to the loop unrecorded (status -1), and
 * its quarantine file goes. */
static void
pipeline_scan_down(struct pipeline *p, struct pipeline_job *job)
{
	close(job->fd);
	job->fd = -1;
	if (unlink(job->nj.quarantine) == -1)
		log_warn("%s: unlink %s", __func__, job->nj.quarantine);
	if (job->nj.prehash != 0) {
		/* the notary hashed it as it came: that goes too */
		notaryc_prehash_drop(p->notary, job->nj.prehash);
		job->nj.prehash = 0;
	}
	job->scan_down = 1;
	job->nj.status = -1;
	job->nj.err = EAGAIN;
	pipeline_notary_done(&job->nj, p);
}

/* Inspects JOB in IP's inspector; a failure of the inspector is this
 * upload's rejection, never the daemon's. */
static void
pipeline_inspect(struct pipeline *p, struct inspproc *ip, struct pipeline_job *job)
{
	struct inspect_request req = {
		.fd = job->fd, .size = job->nj.size,
		.filename = job->nj.filename, .kind = job->kind,
		.policy = job->rt->policy, .party = job->nj.party,
		.scanned = 1, .nul_at = job->nul_at,
	};
	struct inspect_result *res = &job->nj.result;
	/* The front may have added findings already (digest). */
	struct inspect_result pre = *res;
	enum inspproc_outcome o;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	o = inspproc_inspect(ip, &req, res);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	metrics_observe(&p->inspect_time, (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (o != INSPPROC_ANSWERED) {
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
	}
	for (size_t i = 0; i < pre.nfindings; i++)
		inspect_finding(res, 1, pre.findings[i].code,
		    pre.findings[i].member, "%s", pre.findings[i].detail);
}

static void *
pipeline_worker(void *arg)
{
	struct pipeline_worker_arg *wa = arg;
	struct pipeline *p = wa->p;
	struct inspproc *ip = wa->ip;
	struct pipeline_job *job;
	unsigned slot;
	char err[256];

	free(wa);
	pthread_setname_np(pthread_self(), "intaked-worker");
	pthread_mutex_lock(&p->mtx);
	slot = p->nslots++;
	pthread_mutex_unlock(&p->mtx);

	for (;;) {
		pthread_mutex_lock(&p->mtx);
		/* on stop, the queue is drained first: a job held back for its
		 * Party runs once another worker lets go of one of that Party's */
		while ((job = pipeline_next(p)) == NULL && !(p->stop && p->todo == NULL))
			pthread_cond_wait(&p->cond, &p->mtx);
		if (job == NULL) {
			pthread_mutex_unlock(&p->mtx);
			break;
		}
		p->running[slot] = job->reject_early ? NULL : job->nj.party;
		pthread_mutex_unlock(&p->mtx);

		if (pipeline_scans_job(p, job) && pipeline_scan(p, job) == -1)
			job->scan_down = 1;
		else if (!job->reject_early && !job->inspected)
			pipeline_inspect(p, ip, job);
		pthread_mutex_lock(&p->mtx);
		p->running[slot] = NULL;
		/* a job held back for this Party may run now: one idle worker
		 * is enough, as for a new job (pipeline_submit), and none when
		 * nothing waits (it would look, find nothing and sleep again) */
		if (p->todo != NULL)
			pthread_cond_signal(&p->cond);
		pthread_mutex_unlock(&p->mtx);
		if (job->scan_down)
			pipeline_scan_down(p, job);
		else
			pipeline_to_notary(p, job);
		/* the next job finds a fresh inspector ready, if this one went */
		if (ip->pid == -1 && inspproc_start(ip, err, sizeof(err)) == -1)
			log_warnx("%s: %s", __func__, err);
	}
	inspproc_stop(ip);
	return NULL;
}

static void
pipeline_complete(evutil_socket_t fd, short what, void *arg)
{
	struct pipeline *p = arg;
	struct pipeline_job *list, *job, *next, *rev = NULL;

	pthread_mutex_lock(&p->mtx);
	list = p->done;
	p->done = NULL;
	pthread_mutex_unlock(&p->mtx);
	/* Oldest first. */
	for (job = list; job; job = next) {
		next = job->next;
		job->next = rev;
		rev = job;
	}
	for (job = rev; job; job = next) {
		next = job->next;
		p->pending--;
		job->done(job, job->arg);
	}
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
	p->notary = n;
	if (inspproc_conf_init(&p->inspconf, user, err, errlen) == -1) {
		free(p);
		return NULL;
	}
	if ((p->insp = calloc(workers, sizeof(*p->insp))) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->mtx, NULL);
	pthread_cond_init(&p->cond, NULL);
	if ((p->ev_done = event_new(base, -1, 0, pipeline_complete, p)) == NULL) {
		snprintf(err, errlen, "event_new failed");
		free(p->insp);
		free(p);
		return NULL;
	}
	p->workers = workers;
	for (p->nthreads = 0; p->nthreads < workers; p->nthreads++) {
		struct inspproc *ip = &p->insp[p->nthreads];
		struct pipeline_worker_arg *wa;

		ip->conf = &p->inspconf;
		ip->pid = -1;
		ip->sock = -1;
		if (inspproc_start(ip, err, errlen) == -1) {
			pipeline_free(p);
			return NULL;
		}
		if ((wa = malloc(sizeof(*wa))) == NULL) {
			snprintf(err, errlen, "out of memory");
			inspproc_stop(ip);
			pipeline_free(p);
			return NULL;
		}
		wa->p = p;
		wa->ip = ip;
		if (pthread_create(&p->threads[p->nthreads], NULL, pipeline_worker, wa) != 0) {
			snprintf(err, errlen, "cannot start inspector workers");
			free(wa);
			inspproc_stop(ip);
			pipeline_free(p);
			return NULL;
		}
	}
	return p;
}

void
pipeline_submit(struct pipeline *p, struct pipeline_job *job)
{
	job->next = NULL;
	p->pending++;
	if (job->inspected && !pipeline_scans_job(p, job)) {
		/* Inspected while it arrived: straight to the notary. */
		pipeline_to_notary(p, job);
		return;
	}
	pthread_mutex_lock(&p->mtx);
	if (p->todo_tail)
		p->todo_tail->next = job;
	else
		p->todo = job;
	p->todo_tail = job;
	/* One idle worker is woken, not all: whether a job may run depends
	 * only on the queue and on what all workers hold (pipeline_next), the
	 * same for every idle worker, so a second one would find what the
	 * first found. A busy worker looks at the queue before it waits. */
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->mtx);
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

unsigned
pipeline_pending(struct pipeline *p)
{
	return p->pending;
}

/* Stops the workers after the queued jobs; the notary must still be open. */
void
pipeline_free(struct pipeline *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mtx);
	p->stop = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mtx);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	event_free(p->ev_done);
	free(p->insp);
	pthread_mutex_destroy(&p->mtx);
	pthread_cond_destroy(&p->cond);
	free(p);
}
