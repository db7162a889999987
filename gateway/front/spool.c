/*
 * front/spool.c: the staging buffers and the writer thread of a large
 * upload (see spool.h).
 *
 * Buffers are used in turn: buffer number n is buf[n % SPOOL_NBUF]. The loop
 * fills number `handed` and hands it over when it is full (or at the end);
 * the hasher and the writer each take the handed buffers in order, and a
 * buffer is free again when both are done with it. Each buffer starts at an
 * aligned file offset: the first one re-reads the few bytes of the buffered
 * head past the last aligned offset (hashed already: `skip`). The unaligned
 * end of the body is written buffered, after clearing O_DIRECT. The threads
 * touch only their buffers, their file and their digests, never a
 * connection; the writer joins the hasher and the flusher before the spool
 * counts as finished. A tap (the follower's inspection, front/follow.c)
 * is a third reader of the handed buffers, copying them under the lock:
 * while it is open, a buffer is free only once the tap has copied it too.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "front/spool.h"

struct spool {
	pthread_t        thread;
	pthread_t        flusher;              /* fdatasync every SPOOL_FLUSH bytes */
	pthread_cond_t   flushc;               /* the flusher waits for a request */
	int              flush_want;           /* under mtx: a request is pending */
	int              flush_stop;           /* under mtx: the writer is done */
	int              flush_errno;          /* under mtx: first fdatasync error */
	uint64_t         wrote;                /* thread: bytes written, in order */
	uint64_t         start;                /* file offset of the first byte written */
	int              joined;               /* loop: the thread has been joined */
	uint64_t         flushed_at;           /* thread: WROTE at the last request */
	void           (*on_written)(void *, uint64_t, uint64_t);   /* spool_on_written */
	void            *ow_arg;
	uint64_t         ow_token;
	uint64_t         ow_told;              /* thread: the last UPTO told */
	pthread_mutex_t  mtx;
	pthread_cond_t   work;                 /* the thread waits for a buffer */
	pthread_cond_t   freed;                /* the loop waits for one (never in practice) */
	uint8_t         *buf[SPOOL_NBUF];
	size_t           fill[SPOOL_NBUF];     /* bytes in the buffer */
	size_t           skip[SPOOL_NBUF];     /* leading bytes hashed already */
	uint64_t         at[SPOOL_NBUF];       /* file offset of its first byte */
	uint64_t         handed;               /* under mtx: buffers given to the thread */
	uint64_t         written;              /* under mtx: buffers written */
	uint64_t         hashed;               /* under mtx: buffers hashed */
	int              tap;                  /* under mtx: a tap is open */
	uint64_t         tapped;               /* under mtx: buffers the tap has copied */
	size_t           tap_at;               /* under mtx: bytes of buffer `tapped` copied */
	pthread_t        hasher;               /* hashes while the writer writes */
	int              ended, cancel, finished, paused;   /* under mtx */
	int              filling;              /* loop: buffer `handed` is being filled */
	uint64_t         next;                 /* loop: file offset of the next byte */
	int              write_errno;          /* thread; read once finished */
	int              direct;               /* thread: O_DIRECT still set */
	int              fd;
	EVP_MD_CTX      *sha256, *sha512;
	struct event    *ev;                   /* wakes the loop thread */
	void           (*wake)(void *);
	void            *arg;
};

static atomic_uint spool_running;

/* Clears O_DIRECT: the rest of the file is written through the page cache. */
static int
spool_buffered(struct spool *s)
{
	int fl;

	s->direct = 0;
	if ((fl = fcntl(s->fd, F_GETFL)) == -1 || fcntl(s->fd, F_SETFL, fl & ~O_DIRECT) == -1)
		return -1;
	return 0;
}

/* Hashes buffer I (the hasher thread). */
static void
spool_hash(struct spool *s, unsigned i)
{
	if (s->sha256)
		EVP_DigestUpdate(s->sha256, s->buf[i] + s->skip[i], s->fill[i] - s->skip[i]);
	if (s->sha512)
		EVP_DigestUpdate(s->sha512, s->buf[i] + s->skip[i], s->fill[i] - s->skip[i]);
}

/* Writes buffer I (the writer thread). */
static void
spool_write(struct spool *s, unsigned i)
{
	const uint8_t *p = s->buf[i];
	size_t len = s->fill[i], n;
	uint64_t at = s->at[i];
	ssize_t w;

	while (len > 0 && s->write_errno == 0) {
		n = len;
		if (s->direct && (n = len / SPOOL_ALIGN * SPOOL_ALIGN) == 0) {
			n = len;   /* the unaligned end of the body */
			if (spool_buffered(s) == -1)
				goto fail;
		}
		if ((w = pwrite(s->fd, p, n, (off_t)at)) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EINVAL && s->direct) {
				/* O_DIRECT refused after all: buffered from here on. */
				if (spool_buffered(s) == -1)
					goto fail;
				continue;
			}
			goto fail;
		}
		if (w == 0) {
			errno = EIO;
			goto fail;
		}
		/* A short direct write would leave the offsets unaligned. */
		if (s->direct && (size_t)w % SPOOL_ALIGN != 0 && spool_buffered(s) == -1)
			goto fail;
		p += w;
		at += (uint64_t)w;
		len -= (size_t)w;
		s->wrote += (uint64_t)w;
	}
	if (s->on_written && at - s->ow_told >= SPOOL_FLUSH) {
		s->ow_told = at;
		s->on_written(s->ow_arg, s->ow_token, at);
	}
	if (s->wrote - s->flushed_at >= SPOOL_FLUSH) {
		s->flushed_at = s->wrote;
		pthread_mutex_lock(&s->mtx);
		s->flush_want = 1;
		pthread_cond_signal(&s->flushc);
		pthread_mutex_unlock(&s->mtx);
	}
	return;
 fail:
	s->write_errno = errno != 0 ? errno : EIO;
	log_warn("%s: write to quarantine", __func__);
}

/* Buffers every reader is done with (lock held). */
static uint64_t
spool_released(const struct spool *s)
{
	uint64_t done = s->hashed < s->written ? s->hashed : s->written;

	return s->tap && s->tapped < done ? s->tapped : done;
}

/* Bytes the loop may still add without waiting (lock held). */
static size_t
spool_free_bytes(struct spool *s)
{
	uint64_t busy = s->handed - spool_released(s);   /* with the readers */
	size_t room = (size_t)(SPOOL_NBUF - busy) * SPOOL_BUF;

	if (s->filling)
		room -= s->fill[s->handed % SPOOL_NBUF];
	return room;
}

/* The flusher: while the writer goes on, makes what it wrote so far
 * durable, device cache included. */
static void *
spool_flush_main(void *arg)
{
	struct spool *s = arg;

	pthread_setname_np(pthread_self(), "intaked-sync");
	pthread_mutex_lock(&s->mtx);
	for (;;) {
		while (!s->flush_want && !s->flush_stop)
			pthread_cond_wait(&s->flushc, &s->mtx);
		if (!s->flush_want)
			break;
		s->flush_want = 0;
		pthread_mutex_unlock(&s->mtx);
		if (fdatasync(s->fd) == -1) {
			int e = errno;

			log_warn("%s: fdatasync", __func__);
			pthread_mutex_lock(&s->mtx);
			if (s->flush_errno == 0)
				s->flush_errno = e;
			continue;
		}
		pthread_mutex_lock(&s->mtx);
	}
	pthread_mutex_unlock(&s->mtx);
	return NULL;
}

/* Wakes the loop if it paused for room that a reader just made (lock held,
 * released on return). */
static void
spool_unlock_wake(struct spool *s)
{
	int wake = s->paused && spool_free_bytes(s) >= SPOOL_SLACK;

	pthread_mutex_unlock(&s->mtx);
	if (wake)
		event_active(s->ev, EV_READ, 0);
}

/* The loop of the hasher and of the writer: DO each handed buffer in turn,
 * counting them in *COUNT; returns with the lock held. */
static void
spool_each(struct spool *s, uint64_t *count, void (*do_one)(struct spool *, unsigned))
{
	pthread_mutex_lock(&s->mtx);
	for (;;) {
		while (*count == s->handed && !s->ended && !s->cancel)
			pthread_cond_wait(&s->work, &s->mtx);
		if (s->cancel || *count == s->handed)
			break;
		pthread_mutex_unlock(&s->mtx);
		do_one(s, (unsigned)(*count % SPOOL_NBUF));
		pthread_mutex_lock(&s->mtx);
		(*count)++;
		pthread_cond_signal(&s->freed);
		spool_unlock_wake(s);
		pthread_mutex_lock(&s->mtx);
	}
}

static void *
spool_hash_main(void *arg)
{
	struct spool *s = arg;

	pthread_setname_np(pthread_self(), "intaked-hash");
	spool_each(s, &s->hashed, spool_hash);
	pthread_mutex_unlock(&s->mtx);
	return NULL;
}

/* The writer: its own loop, then it waits for the hasher and the flusher
 * before the spool counts as finished. */
static void *
spool_main(void *arg)
{
	struct spool *s = arg;
	int wake;

	pthread_setname_np(pthread_self(), "intaked-write");
	spool_each(s, &s->written, spool_write);
	pthread_mutex_unlock(&s->mtx);
	pthread_join(s->hasher, NULL);
	pthread_mutex_lock(&s->mtx);
	/* No request is left pending: what the last one did not cover, the
	 * commit's own sync does. */
	s->flush_want = 0;
	s->flush_stop = 1;
	pthread_cond_signal(&s->flushc);
	pthread_mutex_unlock(&s->mtx);
	pthread_join(s->flusher, NULL);
	pthread_mutex_lock(&s->mtx);
	if (s->write_errno == 0)
		s->write_errno = s->flush_errno;
	wake = s->ended && !s->cancel;
	s->finished = 1;
	pthread_mutex_unlock(&s->mtx);
	if (wake)
		event_active(s->ev, EV_READ, 0);
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

/* Stops the flusher (and the hasher, with HASHER) when the writer could not
 * start. */
static void
spool_stop(struct spool *s, int hasher)
{
	pthread_mutex_lock(&s->mtx);
	s->cancel = 1;
	s->flush_stop = 1;
	pthread_cond_broadcast(&s->work);
	pthread_cond_signal(&s->flushc);
	pthread_mutex_unlock(&s->mtx);
	if (hasher)
		pthread_join(s->hasher, NULL);
	pthread_join(s->flusher, NULL);
}

struct spool *
spool_start(struct event_base *base, int fd, uint64_t offset, int direct,
    EVP_MD_CTX *sha256, EVP_MD_CTX *sha512, void (*wake)(void *), void *arg)
{
	struct spool *s = NULL;
	uint64_t start = offset / SPOOL_ALIGN * SPOOL_ALIGN;
	size_t head = (size_t)(offset - start);
	int fl = -1, sync_ok = 0;
	unsigned i;

	if (atomic_fetch_add(&spool_running, 1) >= SPOOL_THREADS_MAX)
		goto fail;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto fail;
	for (i = 0; i < SPOOL_NBUF; i++)
		if (posix_memalign((void **)&s->buf[i], SPOOL_ALIGN, SPOOL_BUF) != 0)
			goto fail;
	/* The bytes since the last aligned offset, rewritten with the first
	 * buffer (read before O_DIRECT is set: it applies to reads too). */
	if (head > 0 && pread(fd, s->buf[0], head, (off_t)start) != (ssize_t)head)
		goto fail;
	if (direct &&
	    ((fl = fcntl(fd, F_GETFL)) == -1 || fcntl(fd, F_SETFL, fl | O_DIRECT) == -1)) {
		fl = -1;
		goto fail;   /* no O_DIRECT here: stay inline */
	}
	s->fd = fd;
	s->direct = direct;
	s->sha256 = sha256;
	s->sha512 = sha512;
	s->wake = wake;
	s->arg = arg;
	s->fill[0] = s->skip[0] = head;
	s->at[0] = s->start = start;
	s->next = offset;
	s->filling = 1;
	if ((s->ev = event_new(base, -1, 0, spool_event, s)) == NULL)
		goto fail;
	pthread_mutex_init(&s->mtx, NULL);
	pthread_cond_init(&s->work, NULL);
	pthread_cond_init(&s->freed, NULL);
	pthread_cond_init(&s->flushc, NULL);
	sync_ok = 1;
	if (pthread_create(&s->flusher, NULL, spool_flush_main, s) != 0)
		goto fail;
	if (pthread_create(&s->hasher, NULL, spool_hash_main, s) != 0) {
		spool_stop(s, 0);
		goto fail;
	}
	if (pthread_create(&s->thread, NULL, spool_main, s) != 0) {
		spool_stop(s, 1);
		goto fail;
	}
	return s;
 fail:
	if (fl != -1)
		(void)fcntl(fd, F_SETFL, fl);
	if (s) {
		if (sync_ok) {
			pthread_mutex_destroy(&s->mtx);
			pthread_cond_destroy(&s->work);
			pthread_cond_destroy(&s->freed);
			pthread_cond_destroy(&s->flushc);
		}
		if (s->ev)
			event_free(s->ev);
		for (i = 0; i < SPOOL_NBUF; i++)
			free(s->buf[i]);
		free(s);
	}
	atomic_fetch_sub(&spool_running, 1);
	return NULL;
}

/* Hands the buffer being filled to the thread (loop). */
static void
spool_hand(struct spool *s)
{
	pthread_mutex_lock(&s->mtx);
	s->handed++;
	s->filling = 0;
	pthread_cond_broadcast(&s->work);
	pthread_mutex_unlock(&s->mtx);
}

/* Starts filling the next buffer, once the thread is done with its last
 * use (loop). spool_add's answer keeps the loop from ever waiting here. */
static void
spool_take(struct spool *s)
{
	unsigned i;

	pthread_mutex_lock(&s->mtx);
	while (s->handed - spool_released(s) >= SPOOL_NBUF && !s->finished)
		pthread_cond_wait(&s->freed, &s->mtx);
	pthread_mutex_unlock(&s->mtx);
	i = (unsigned)(s->handed % SPOOL_NBUF);
	s->fill[i] = s->skip[i] = 0;
	s->at[i] = s->next;
	s->filling = 1;
}

int
spool_add(struct spool *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	unsigned i;
	size_t n;
	int stop;

	while (len > 0) {
		if (!s->filling)
			spool_take(s);
		i = (unsigned)(s->handed % SPOOL_NBUF);
		n = SPOOL_BUF - s->fill[i] < len ? SPOOL_BUF - s->fill[i] : len;
		memcpy(s->buf[i] + s->fill[i], p, n);
		s->fill[i] += n;
		s->next += n;
		p += n;
		len -= n;
		if (s->fill[i] == SPOOL_BUF)
			spool_hand(s);
	}
	/* Less than SPOOL_SLACK of room: what the bufferevent still holds
	 * might not fit, so stop reading until a buffer is free again. */
	pthread_mutex_lock(&s->mtx);
	if ((stop = spool_free_bytes(s) < SPOOL_SLACK))
		s->paused = 1;
	pthread_mutex_unlock(&s->mtx);
	return stop;
}

int
spool_room(struct spool *s)
{
	int room;

	pthread_mutex_lock(&s->mtx);
	if ((room = spool_free_bytes(s) >= SPOOL_SLACK))
		s->paused = 0;
	pthread_mutex_unlock(&s->mtx);
	return room;
}

void
spool_end(struct spool *s)
{
	if (s->filling && s->fill[s->handed % SPOOL_NBUF] > s->skip[s->handed % SPOOL_NBUF])
		spool_hand(s);
	pthread_mutex_lock(&s->mtx);
	s->filling = 0;
	s->ended = 1;
	pthread_cond_broadcast(&s->work);
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

/* Waits for the spool's threads; with CANCEL, what is queued is dropped
 * unless the spool finished. */
static void
spool_join(struct spool *s, int cancel)
{
	if (s->joined)
		return;
	pthread_mutex_lock(&s->mtx);
	if (cancel && !s->finished)
		s->cancel = 1;
	pthread_cond_broadcast(&s->work);
	pthread_mutex_unlock(&s->mtx);
	pthread_join(s->thread, NULL);
	s->joined = 1;
}

/* The file offset up to which every byte is written: one thread writes
 * the buffers in turn, from s->start on. */
static uint64_t
spool_upto(const struct spool *s, int *write_errno)
{
	*write_errno = s->write_errno;
	return s->start + s->wrote;
}

uint64_t
spool_halt(struct spool *s, int *write_errno)
{
	spool_join(s, 1);
	return spool_upto(s, write_errno);
}

uint64_t
spool_wait(struct spool *s, int *write_errno)
{
	spool_join(s, 0);
	return spool_upto(s, write_errno);
}

void
spool_free(struct spool *s)
{
	int fl;

	if (s == NULL)
		return;
	spool_join(s, 1);
	if ((fl = fcntl(s->fd, F_GETFL)) != -1 && (fl & O_DIRECT))
		(void)fcntl(s->fd, F_SETFL, fl & ~O_DIRECT);
	pthread_mutex_destroy(&s->mtx);
	pthread_cond_destroy(&s->work);
	pthread_cond_destroy(&s->freed);
	pthread_cond_destroy(&s->flushc);
	event_free(s->ev);
	for (unsigned i = 0; i < SPOOL_NBUF; i++)
		free(s->buf[i]);
	free(s);
	atomic_fetch_sub(&spool_running, 1);
}

void
spool_drop_sha256(struct spool *s)
{
	s->sha256 = NULL;
}

void
spool_on_written(struct spool *s, void (*fn)(void *, uint64_t, uint64_t), void *arg,
    uint64_t token)
{
	s->on_written = fn;
	s->ow_arg = arg;
	s->ow_token = token;
}

void
spool_tap_open(struct spool *s)
{
	pthread_mutex_lock(&s->mtx);
	s->tap = s->handed == 0;   /* from the first buffer, or not at all */
	pthread_mutex_unlock(&s->mtx);
}

ssize_t
spool_tap_read(struct spool *s, void *dst, size_t len)
{
	uint8_t *d = dst;
	size_t got = 0, n, avail;
	unsigned i;

	pthread_mutex_lock(&s->mtx);
	while (got < len) {
		while (s->tap && s->tapped == s->handed && !s->ended && !s->cancel)
			pthread_cond_wait(&s->work, &s->mtx);
		if (!s->tap || s->cancel) {
			pthread_mutex_unlock(&s->mtx);
			return -1;
		}
		if (s->tapped == s->handed)
			break;   /* the end of the body */
		i = (unsigned)(s->tapped % SPOOL_NBUF);
		avail = s->fill[i] - s->skip[i] - s->tap_at;
		n = avail < len - got ? avail : len - got;
		memcpy(d + got, s->buf[i] + s->skip[i] + s->tap_at, n);
		got += n;
		s->tap_at += n;
		if (s->tap_at == s->fill[i] - s->skip[i]) {
			s->tapped++;
			s->tap_at = 0;
			pthread_cond_signal(&s->freed);
		}
	}
	spool_unlock_wake(s);
	return (ssize_t)got;
}

void
spool_tap_close(struct spool *s)
{
	pthread_mutex_lock(&s->mtx);
	s->tap = 0;
	pthread_cond_broadcast(&s->work);
	pthread_cond_signal(&s->freed);
	spool_unlock_wake(s);
}

void
spool_poke(struct spool *s)
{
	event_active(s->ev, EV_READ, 0);
}

unsigned
spool_active(void)
{
	return atomic_load(&spool_running);
}
