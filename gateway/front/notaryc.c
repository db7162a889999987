/*
 * front/notaryc.c: the front's end of the notary process's socket (see
 * notaryc.h). Jobs in flight are a list keyed by id; the loop reads
 * MSG_RECORDED with the announced bytes of entry, receipt and proof in it,
 * or followed by them as MSG_TEXT chunks, and calls the job's done().
 */
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/log.h"
#include "front/notaryc.h"
#include "common/verdict.h"

/* An entry, a receipt or a proof is a few KiB; anything larger is a lie. */
#define NOTARYC_TEXT_MAX (1024 * 1024)
/* Messages read per wake-up of the loop, before it serves others. */
#define NOTARYC_READ_MAX 64

struct notaryc_wait {
	uint64_t             id;
	struct notary_job   *job;
	struct notaryc_wait *next;
};

struct notaryc {
	int                  sock;
	struct event        *ev;           /* the loop's: the notary answered */
	pthread_mutex_t      send_mtx;     /* one job's messages go out together */
	pthread_mutex_t      mtx;          /* waiting, seq, hseq */
	struct notaryc_wait *waiting;
	uint64_t             seq;
	uint64_t             hseq;         /* pre-hash tokens, strictly increasing */
	/* the loop's: the answer being read, whose texts may come in chunks */
	struct msg           m;
	struct notary_job   *job;
	uint64_t             id;
	size_t               want[3], have[3];
	char               **texts[3];
};

struct notaryc *
notaryc_open(int sock, char vkey[MSG_VKEY_MAX], uint64_t *size, char *err, size_t errlen)
{
	struct notaryc *nc;
	int r;

	if ((nc = calloc(1, sizeof(*nc))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	nc->sock = sock;
	pthread_mutex_init(&nc->send_mtx, NULL);
	pthread_mutex_init(&nc->mtx, NULL);
	while ((r = msg_recv(sock, &msg_from_notary, &nc->m)) == -1 && errno == EINTR)
		;
	if (r != 1 || nc->m.hdr.type != MSG_READY) {
		snprintf(err, errlen, "the notary did not start%s%s", r == -1 ? ": " : "",
		    r == -1 ? strerror(errno) : "");
		free(nc);
		return NULL;
	}
	memcpy(vkey, ((struct msg_ready *)nc->m.payload)->vkey, MSG_VKEY_MAX);
	*size = ((struct msg_ready *)nc->m.payload)->size;
	return nc;
}

/* The job waiting for ID, unlinked; NULL when none. */
static struct notary_job *
notaryc_take(struct notaryc *nc, uint64_t id)
{
	struct notaryc_wait **pw, *w;
	struct notary_job *job = NULL;

	pthread_mutex_lock(&nc->mtx);
	for (pw = &nc->waiting; (w = *pw) != NULL; pw = &w->next) {
		if (w->id == id) {
			*pw = w->next;
			job = w->job;
			free(w);
			break;
		}
	}
	pthread_mutex_unlock(&nc->mtx);
	return job;
}

static void __attribute__((noreturn))
notaryc_gone(struct notaryc *nc, const char *why)
{
	log_warnx("front: %s: the notary is gone or broke its protocol; stopping", why);
	_exit(1);
}

/* One message of the notary's (loop thread): an answer, or a chunk of its
 * texts; the job's done() once all of it is here. */
static void
notaryc_take_msg(struct notaryc *nc)
{
	struct msg *m = &nc->m;
	size_t *want = nc->want, *have = nc->have;
	char ***texts = nc->texts;

	if (m->hdr.type == MSG_RECORDED) {
		const struct msg_recorded *a = (const struct msg_recorded *)m->payload;
		struct notary_job *job;

		if (nc->job != NULL || (job = notaryc_take(nc, m->hdr.id)) == NULL)
			notaryc_gone(nc, "an answer to no job");
		nc->job = job;
		nc->id = m->hdr.id;
		job->status = a->status;
		job->err = a->status == 0 ? 0 : (a->err != 0 ? a->err : EIO);
		if (a->status == 0) {
			if (a->entry_len == 0 || a->entry_len > NOTARYC_TEXT_MAX ||
			    a->receipt_len == 0 || a->receipt_len > NOTARYC_TEXT_MAX ||
			    a->proof_len > NOTARYC_TEXT_MAX)
				notaryc_gone(nc, "an answer of impossible size");
			job->index = a->index;
			memcpy(job->time, a->time, sizeof(job->time));
			/* the notary's own hash; the front's, if it made one,
			 * was checked against it */
			memcpy(job->sha256, a->sha256, sizeof(job->sha256));
			want[0] = a->entry_len;
			want[1] = a->receipt_len;
			want[2] = a->proof_len;
			texts[0] = &job->entry;
			texts[1] = &job->receipt;
			texts[2] = &job->proof;
			/* no proof: a witnessed log's quorum was late (202) */
			for (int t = 0; t < 3; t++) {
				have[t] = 0;
				if (want[t] == 0) {
					*texts[t] = NULL;
					continue;
				}
				if ((*texts[t] = malloc(want[t] + 1)) == NULL)
					fatalx("front: out of memory");
				(*texts[t])[want[t]] = '\0';
			}
			/* inline (msg.h): all three are here, their sizes checked */
			if (m->hdr.len > sizeof(*a)) {
				const uint8_t *p = (const uint8_t *)(a + 1);

				for (int t = 0; t < 3; t++) {
					if (want[t] > 0)
						memcpy(*texts[t], p, want[t]);
					have[t] = want[t];
					p += want[t];
				}
			}
		} else
			want[0] = want[1] = want[2] = 0;
	} else if (m->hdr.type == MSG_TEXT) {
		const struct msg_chunk *c = (const struct msg_chunk *)m->payload;
		int t = (int)c->what - MSG_TEXT_ENTRY;

		if (nc->job == NULL || m->hdr.id != nc->id || want[0] == 0 ||
		    c->len > want[t] - have[t] || (t > 0 && have[t - 1] != want[t - 1]))
			notaryc_gone(nc, "a text that was not announced");
		memcpy(*texts[t] + have[t], c->data, c->len);
		have[t] += c->len;
	} else
		notaryc_gone(nc, "an unexpected message");
	if (nc->job != NULL && (want[0] == 0 ||
	    (have[0] == want[0] && have[1] == want[1] && have[2] == want[2]))) {
		struct notary_job *done = nc->job;

		nc->job = NULL;
		want[0] = want[1] = want[2] = 0;
		done->done(done, done->arg);
	}
}

/* The loop: the notary's socket is readable. Answers are read as they come,
 * in the loop's own thread: no thread of ours stands between the notary
 * and the connection it answers. The end of the socket while the loop runs
 * is the notary gone (the daemon goes down, as for a breach). */
static void
notaryc_readable(evutil_socket_t fd, short what, void *arg)
{
	struct notaryc *nc = arg;
	int r;

	(void)fd;
	(void)what;
	for (int i = 0; i < NOTARYC_READ_MAX; i++) {
		if ((r = msg_recv_nowait(nc->sock, &msg_from_notary, &nc->m)) == -1 &&
		    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (r != 1)
			notaryc_gone(nc, r == 0 ? "end of the notary's socket" : strerror(errno));
		notaryc_take_msg(nc);
	}
}

int
notaryc_start(struct notaryc *nc, struct event_base *base, char *err, size_t errlen)
{
	if ((nc->ev = event_new(base, nc->sock, EV_READ | EV_PERSIST, notaryc_readable,
	    nc)) == NULL || event_add(nc->ev, NULL) == -1) {
		snprintf(err, errlen, "cannot watch the notary's socket");
		return -1;
	}
	return 0;
}

/* A fact: one MSG_FACT, answered like a record (MSG_RECORDED, texts). */
static void
notaryc_submit_fact(struct notaryc *nc, struct notary_job *job)
{
	struct notaryc_wait *w;
	struct msg_fact f;

	memset(&f, 0, sizeof(f));
	memcpy(f.party, job->party, sizeof(f.party));
	memcpy(f.recorded_by, job->recorded_by, sizeof(f.recorded_by));
	memcpy(f.cert_sha256, job->cert_sha256, sizeof(f.cert_sha256));
	_Static_assert(sizeof(f.fact) == sizeof(job->fact), "fact names fit");
	_Static_assert(sizeof(f.date) == sizeof(job->fact_date), "dates fit");
	memcpy(f.fact, job->fact, sizeof(f.fact));
	memcpy(f.date, job->fact_date, sizeof(f.date));
	if ((w = calloc(1, sizeof(*w))) == NULL)
		fatalx("%s: out of memory", __func__);
	w->job = job;
	pthread_mutex_lock(&nc->mtx);
	w->id = ++nc->seq;
	w->next = nc->waiting;
	nc->waiting = w;
	pthread_mutex_unlock(&nc->mtx);
	pthread_mutex_lock(&nc->send_mtx);
	if (msg_send(nc->sock, MSG_FACT, w->id, &f, sizeof(f), -1) == -1)
		notaryc_gone(nc, strerror(errno));
	pthread_mutex_unlock(&nc->send_mtx);
}

void
notaryc_submit(struct notaryc *nc, struct notary_job *job, int fd)
{
	struct notaryc_wait *w;
	struct msg_record r;
	const char *q;
	int n;

	if (job->fact[0] != '\0') {
		notaryc_submit_fact(nc, job);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.size = job->size;
	memcpy(r.sha256, job->sha256, sizeof(r.sha256));
	r.has_sha256 = job->has_sha256 ? 1 : 0;
	memcpy(r.party, job->party, sizeof(r.party));
	memcpy(r.cert_sha256, job->cert_sha256, sizeof(r.cert_sha256));
	memcpy(r.kind, job->kind, sizeof(r.kind));
	memcpy(r.filename, job->filename, sizeof(r.filename));
	memcpy(r.ref, job->ref, sizeof(r.ref));
	memcpy(r.client_digest, job->client_digest, sizeof(r.client_digest));
	memcpy(r.agent, job->agent, sizeof(r.agent));
	r.plan = job->plan;
	r.has_plan = job->has_plan ? 1 : 0;
	r.prehash = job->prehash;
	_Static_assert(sizeof(r.scan) == sizeof(job->scan), "scan lines fit");
	memcpy(r.scan, job->scan, sizeof(r.scan));
	q = strrchr(job->quarantine, '/');
	n = snprintf(r.quarantine, sizeof(r.quarantine), "%s", q != NULL ? q + 1 : job->quarantine);
	if (n < 0 || (size_t)n >= sizeof(r.quarantine))
		fatalx("%s: a quarantine name that does not fit", __func__);
	if ((w = calloc(1, sizeof(*w))) == NULL)
		fatalx("%s: out of memory", __func__);
	w->job = job;
	pthread_mutex_lock(&nc->mtx);
	w->id = ++nc->seq;
	w->next = nc->waiting;
	nc->waiting = w;
	pthread_mutex_unlock(&nc->mtx);
	pthread_mutex_lock(&nc->send_mtx);
	if (msg_send(nc->sock, MSG_RECORD, w->id, &r, sizeof(r), fd) == -1 ||
	    verdict_send(nc->sock, w->id, &job->result) == -1)
		notaryc_gone(nc, strerror(errno));
	pthread_mutex_unlock(&nc->send_mtx);
}

/* Sends one pre-hash message; the notary gone is fatal, as for a record. */
static void
notaryc_prehash_send(struct notaryc *nc, uint32_t type, uint64_t token, uint64_t upto, int fd)
{
	struct msg_hash h = { .upto = upto };

	pthread_mutex_lock(&nc->send_mtx);
	if (msg_send(nc->sock, type, token, &h, sizeof(h), fd) == -1)
		notaryc_gone(nc, strerror(errno));
	pthread_mutex_unlock(&nc->send_mtx);
}

uint64_t
notaryc_prehash_open(struct notaryc *nc, int fd)
{
	uint64_t token;

	pthread_mutex_lock(&nc->mtx);
	token = ++nc->hseq;
	pthread_mutex_unlock(&nc->mtx);
	notaryc_prehash_send(nc, MSG_HASH_OPEN, token, 0, fd);
	return token;
}

void
notaryc_prehash_more(struct notaryc *nc, uint64_t token, uint64_t upto)
{
	notaryc_prehash_send(nc, MSG_HASH_MORE, token, upto, -1);
}

void
notaryc_prehash_drop(struct notaryc *nc, uint64_t token)
{
	notaryc_prehash_send(nc, MSG_HASH_DROP, token, 0, -1);
}

void
notaryc_close(struct notaryc *nc)
{
	struct notaryc_wait *w, *next;
	unsigned late = 0;
	int r;

	if (nc == NULL)
		return;
	if (nc->ev != NULL)
		event_free(nc->ev);
	/* The notary sees the end, finishes its queue and exits. Answers
	 * still to come are to jobs the drain's grace time gave up on (their
	 * connections are closed, the pipeline gone): recorded all the same,
	 * read here to the end and dropped. */
	shutdown(nc->sock, SHUT_WR);
	while ((r = msg_recv(nc->sock, &msg_from_notary, &nc->m)) == 1 || (r == -1 &&
	    errno == EINTR))
		if (r == 1 && nc->m.hdr.type == MSG_RECORDED)
			late++;
	if (late > 0)
		log_info("front: %u uploads recorded after the drain's grace time, "
		    "unanswered", late);
	close(nc->sock);
	for (w = nc->waiting; w != NULL; w = next) {
		next = w->next;
		free(w);
	}
	pthread_mutex_destroy(&nc->send_mtx);
	pthread_mutex_destroy(&nc->mtx);
	free(nc);
}
