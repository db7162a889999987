/*
 * front/spool.c: the writer thread of a large upload (see spool.h).
 *
 * The queue is an evbuffer guarded by the spool's mutex; the thread takes
 * all of it at once into its own evbuffer, then hashes each chain and
 * writes them with writev, so a batch costs one lock and one system call
 * per IOV_BATCH chains. Runs in its own thread; trusts nothing it is given
 * beyond byte counts; touches no connection, only its file and digests.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/log.h"
#include "front/spool.h"

#define IOV_BATCH 64   /* chains per writev */

struct spool {
	pthread_t        thread;
	pthread_mutex_t  mtx;
	pthread_cond_t   cond;
	struct evbuffer *q;            /* under mtx */
	size_t           queued;       /* under mtx */
	int              ended;        /* under mtx: spool_end was called */
	int              cancel;       /* under mtx: spool_free */
	int              finished;     /* under mtx: thread wrote everything */
	int              paused;       /* under mtx: the loop stopped reading */
	int              write_errno;  /* thread; read after finished */
	int              fd;
	EVP_MD_CTX      *sha256, *sha512;
	uint64_t         offset;       /* thread: bytes in the file */
	struct event    *ev;           /* wakes the loop thread */
	void           (*wake)(void *);
	void            *arg;
};

static atomic_uint spool_running;

void
spool_writeback(int fd, uint64_t before, uint64_t after)
{
	uint64_t end;

	if (before / SPOOL_WRITEBACK == after / SPOOL_WRITEBACK)
		return;
	end = after / SPOOL_WRITEBACK * SPOOL_WRITEBACK;
	(void)sync_file_range(fd, (off64_t)(end - SPOOL_WRITEBACK), SPOOL_WRITEBACK,
	    SYNC_FILE_RANGE_WRITE);
}

/* Hashes and writes what BUF holds, then empties it. */
static void
spool_write(struct spool *s, struct evbuffer *buf)
{
	struct evbuffer_iovec v[IOV_BATCH];
	struct iovec iov[IOV_BATCH];
	int n, i;
	size_t len;
	ssize_t w;

	while (evbuffer_get_length(buf) > 0) {
		n = evbuffer_peek(buf, -1, NULL, v, IOV_BATCH);
		if (n > IOV_BATCH)
			n = IOV_BATCH;
		for (i = 0, len = 0; i < n; i++) {
			EVP_DigestUpdate(s->sha256, v[i].iov_base, v[i].iov_len);
			if (s->sha512)
				EVP_DigestUpdate(s->sha512, v[i].iov_base, v[i].iov_len);
			iov[i].iov_base = v[i].iov_base;
			iov[i].iov_len = v[i].iov_len;
			len += v[i].iov_len;
		}
		/* writev may write less than asked: go on from where it stopped. */
		for (i = 0; i < n && !s->write_errno; ) {
			if ((w = writev(s->fd, iov + i, n - i)) <= 0) {
				if (w < 0 && errno == EINTR)
					continue;
				s->write_errno = w < 0 ? errno : EIO;
				log_warn("%s: write to quarantine", __func__);
				break;
			}
			spool_writeback(s->fd, s->offset, s->offset + (uint64_t)w);
			s->offset += (uint64_t)w;
			for (; i < n && (size_t)w >= iov[i].iov_len; i++)
				w -= (ssize_t)iov[i].iov_len;
			if (i < n) {
				iov[i].iov_base = (char *)iov[i].iov_base + w;
				iov[i].iov_len -= (size_t)w;
			}
		}
		evbuffer_drain(buf, len);
	}
}

static void *
spool_main(void *arg)
{
	struct spool *s = arg;
	struct evbuffer *mine;
	int wake;

	if ((mine = evbuffer_new()) == NULL)
		fatalx("%s: out of memory", __func__);
	pthread_mutex_lock(&s->mtx);
	for (;;) {
		while (s->queued == 0 && !s->ended && !s->cancel)
			pthread_cond_wait(&s->cond, &s->mtx);
		if (s->cancel || (s->queued == 0 && s->ended))
			break;
		evbuffer_add_buffer(mine, s->q);
		s->queued = 0;
		wake = s->paused;
		pthread_mutex_unlock(&s->mtx);
		if (wake)
			event_active(s->ev, EV_READ, 0);
		spool_write(s, mine);
		pthread_mutex_lock(&s->mtx);
	}
	wake = s->ended && !s->cancel;
	s->finished = 1;
	pthread_mutex_unlock(&s->mtx);
	if (wake)
		event_active(s->ev, EV_READ, 0);
	evbuffer_free(mine);
	return NULL;
}

static void
spool_event(evutil_socket_t fd, short what, void *arg)
{
	struct spool *s = arg;

	(void)fd;
	(void)what;
	s->wake(s->arg);
}

struct spool *
spool_start(struct event_base *base, int fd, EVP_MD_CTX *sha256, EVP_MD_CTX *sha512,
    uint64_t offset, void (*wake)(void *), void *arg)
{
	struct spool *s;

	if (atomic_fetch_add(&spool_running, 1) >= SPOOL_THREADS_MAX) {
		atomic_fetch_sub(&spool_running, 1);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto fail;
	s->fd = fd;
	s->sha256 = sha256;
	s->sha512 = sha512;
	s->offset = offset;
	s->wake = wake;
	s->arg = arg;
	if ((s->q = evbuffer_new()) == NULL ||
	    (s->ev = event_new(base, -1, 0, spool_event, s)) == NULL)
		goto fail;
	pthread_mutex_init(&s->mtx, NULL);
	pthread_cond_init(&s->cond, NULL);
	if (pthread_create(&s->thread, NULL, spool_main, s) != 0) {
		pthread_mutex_destroy(&s->mtx);
		pthread_cond_destroy(&s->cond);
		goto fail;
	}
	return s;
 fail:
	if (s) {
		if (s->q)
			evbuffer_free(s->q);
		if (s->ev)
			event_free(s->ev);
		free(s);
	}
	atomic_fetch_sub(&spool_running, 1);
	return NULL;
}

/* Called with the lock held after adding: wakes the thread, says whether
 * the loop must stop reading. */
static int
spool_queued(struct spool *s, size_t len)
{
	int stop;

	s->queued += len;
	pthread_cond_signal(&s->cond);
	stop = s->queued > SPOOL_HIGH;
	if (stop)
		s->paused = 1;
	pthread_mutex_unlock(&s->mtx);
	return stop;
}

int
spool_move(struct spool *s, struct evbuffer *in, size_t len)
{
	pthread_mutex_lock(&s->mtx);
	len = (size_t)evbuffer_remove_buffer(in, s->q, len);
	return spool_queued(s, len);
}

int
spool_copy(struct spool *s, const void *data, size_t len)
{
	pthread_mutex_lock(&s->mtx);
	if (evbuffer_add(s->q, data, len) == -1 && s->write_errno == 0)
		s->write_errno = ENOMEM;   /* seen at spool_done: nothing partial is kept */
	return spool_queued(s, len);
}

int
spool_room(struct spool *s)
{
	int room;

	pthread_mutex_lock(&s->mtx);
	room = s->queued < SPOOL_LOW;
	if (room)
		s->paused = 0;
	pthread_mutex_unlock(&s->mtx);
	return room;
}

void
spool_end(struct spool *s)
{
	pthread_mutex_lock(&s->mtx);
	s->ended = 1;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mtx);
}

int
spool_done(struct spool *s, int *write_errno)
{
	int done;

	pthread_mutex_lock(&s->mtx);
	done = s->finished && s->ended && !s->cancel;
	pthread_mutex_unlock(&s->mtx);
	if (done)
		*write_errno = s->write_errno;
	return done;
}

void
spool_free(struct spool *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mtx);
	if (!s->finished)
		s->cancel = 1;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mtx);
	pthread_join(s->thread, NULL);
	pthread_mutex_destroy(&s->mtx);
	pthread_cond_destroy(&s->cond);
	event_free(s->ev);
	evbuffer_free(s->q);
	free(s);
	atomic_fetch_sub(&spool_running, 1);
}

unsigned
spool_active(void)
{
	return atomic_load(&spool_running);
}
