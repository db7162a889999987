/*
 * notary/prehash.c: SHA-256 of large uploads while they arrive (see
 * prehash.h).
 *
 * Two threads: the reader reads every open pre-hash in turn, PREHASH_CHUNK
 * at a time into one of PREHASH_NBUF buffers, up to what the front says is
 * written; the hasher hashes the filled buffers in the order they were
 * read, so that the next read waits on the device while this one is hashed.
 * The reader reads with O_DIRECT where the file
 * system allows: the front writes most of these files with O_DIRECT too,
 * and reading them back through the page cache cost this VM 0.5-2 s of CPU
 * per GiB (page allocation and copies) against 0.1 s direct. Reads start
 * at aligned offsets and ask for aligned lengths; only the bytes up to
 * where the front said it wrote are hashed. Without O_DIRECT (tmpfs), reads
 * are buffered and what was read is dropped from the page cache. A slot
 * with buffers in flight is `busy` (their count): finish waits for them,
 * drop leaves the slot to whichever thread ends the last one (`gone`).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/log.h"
#include "notary/prehash.h"

struct prehash_slot {
	uint64_t    token;       /* 0: free */
	int         fd;
	uint64_t    upto;        /* bytes the front says are written */
	uint64_t    rdone;       /* bytes read (hashed, or in a buffer to hash) */
	uint64_t    done;        /* bytes hashed */
	EVP_MD_CTX *ctx;
	int         busy;        /* buffers of it being read or hashed, without the lock */
	int         taking;      /* prehash_finish waits for it: read no more */
	int         gone;        /* dropped while busy: the last buffer's thread frees it */
	int         err;         /* a read came short of UPTO: the front lied */
	int         direct;      /* FD has O_DIRECT */
};

enum { BUF_FREE, BUF_READING, BUF_FILLED, BUF_HASHING };

/* A buffer between the reader and the hasher. */
struct prehash_buf {
	uint8_t             *p;       /* PREHASH_CHUNK + PREHASH_ALIGN, aligned */
	int                  state;
	struct prehash_slot *s;
	size_t               skip, len;   /* the bytes to hash: p[skip .. skip + len) */
	uint64_t             seq;     /* read order: hashed in it */
};

struct prehash {
	pthread_mutex_t     mtx;
	pthread_cond_t      work;     /* the reader waits for bytes to read and a buffer */
	pthread_cond_t      filled;   /* the hasher waits for a filled buffer */
	pthread_cond_t      idle;     /* finish waits for a busy slot */
	struct prehash_slot slot[PREHASH_MAX];
	struct prehash_buf  buf[PREHASH_NBUF];
	uint64_t            seq;
	uint64_t            last;     /* the highest token opened */
	int                 stop;
	pthread_t           reader, hasher;
	int                 nthreads;
	uint8_t            *fbuf;     /* prehash_finish's (one caller: the monitor) */
};

static void
prehash_clear(struct prehash_slot *s)
{
	if (s->fd != -1)
		close(s->fd);
	EVP_MD_CTX_free(s->ctx);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

static struct prehash_slot *
prehash_find(struct prehash *ph, uint64_t token)
{
	for (size_t i = 0; i < PREHASH_MAX; i++)
		if (ph->slot[i].token == token && token != 0 && !ph->slot[i].gone)
			return &ph->slot[i];
	return NULL;
}

/* Clears O_DIRECT from S's descriptor: buffered reads from now on. */
static void
prehash_buffered(struct prehash_slot *s)
{
	int fl;

	s->direct = 0;
	if ((fl = fcntl(s->fd, F_GETFL)) != -1)
		(void)fcntl(s->fd, F_SETFL, fl & ~O_DIRECT);
	(void)posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
}

/* Reads [AT, AT + LEN) of S's file (LEN <= PREHASH_CHUNK) into BUF
 * (PREHASH_CHUNK + PREHASH_ALIGN bytes, aligned): the bytes start at
 * BUF + *SKIP. Returns how many (fewer at the end of the file), or -1. */
static ssize_t
prehash_fetch(struct prehash_slot *s, uint64_t at, uint8_t *buf, size_t len, size_t *skip_out)
{
	uint64_t from = at;
	size_t skip = 0, want = len;
	ssize_t r;

	if (s->direct) {
		skip = (size_t)(from % PREHASH_ALIGN);
		from -= skip;
		want = (skip + len + PREHASH_ALIGN - 1) / PREHASH_ALIGN * PREHASH_ALIGN;
	}
	while ((r = pread(s->fd, buf, want, (off_t)from)) == -1 && errno == EINTR)
		;
	if (r == -1 && errno == EINVAL && s->direct) {
		prehash_buffered(s);
		return prehash_fetch(s, at, buf, len, skip_out);
	}
	if (r <= (ssize_t)skip)
		return -1;
	r -= (ssize_t)skip;
	if ((size_t)r > len)
		r = (ssize_t)len;
	if (!s->direct)
		(void)posix_fadvise(s->fd, (off_t)at, r, POSIX_FADV_DONTNEED);
	*skip_out = skip;
	return r;
}

/* Hashes [S->done, S->done + LEN) of S's file with BUF, in the caller's
 * thread (prehash_finish); bytes hashed, or -1. */
static ssize_t
prehash_read(struct prehash_slot *s, uint8_t *buf, size_t len)
{
	size_t skip;
	ssize_t r;

	if ((r = prehash_fetch(s, s->done, buf, len, &skip)) == -1 ||
	    EVP_DigestUpdate(s->ctx, buf + skip, (size_t)r) != 1)
		return -1;
	return r;
}

/* A buffer of S is done with (lock held): S is freed when it was dropped
 * and this was its last. */
static void
prehash_unbusy(struct prehash *ph, struct prehash_slot *s)
{
	if (--s->busy == 0 && s->gone)
		prehash_clear(s);
	pthread_cond_broadcast(&ph->idle);
	pthread_cond_signal(&ph->work);
}

static void *
prehash_read_main(void *arg)
{
	struct prehash *ph = arg;
	struct prehash_slot *s;
	struct prehash_buf *b;
	size_t i, next = 0, len, skip = 0;
	uint64_t at;
	ssize_t r;

	pthread_setname_np(pthread_self(), "intaked-prehash");
	pthread_mutex_lock(&ph->mtx);
	while (!ph->stop) {
		for (b = NULL, i = 0; i < PREHASH_NBUF && b == NULL; i++)
			if (ph->buf[i].state == BUF_FREE)
				b = &ph->buf[i];
		/* the next slot with bytes to read, round robin */
		for (s = NULL, i = 0; b != NULL && i < PREHASH_MAX && s == NULL; i++) {
			struct prehash_slot *c = &ph->slot[(next + i) % PREHASH_MAX];

			if (c->token != 0 && !c->gone && !c->err && !c->taking &&
			    c->rdone < c->upto)
				s = c;
		}
		if (s == NULL) {
			pthread_cond_wait(&ph->work, &ph->mtx);
			continue;
		}
		next = (size_t)(s - ph->slot) + 1;
		s->busy++;
		b->state = BUF_READING;
		b->s = s;
		at = s->rdone;
		len = s->upto - at < PREHASH_CHUNK ? (size_t)(s->upto - at) : PREHASH_CHUNK;
		pthread_mutex_unlock(&ph->mtx);
		r = prehash_fetch(s, at, b->p, len, &skip);
		pthread_mutex_lock(&ph->mtx);
		if (r == -1) {
			s->err = 1;
			b->state = BUF_FREE;
			prehash_unbusy(ph, s);
			continue;
		}
		s->rdone = at + (uint64_t)r;
		b->skip = skip;
		b->len = (size_t)r;
		b->seq = ++ph->seq;
		b->state = BUF_FILLED;
		pthread_cond_signal(&ph->filled);
	}
	pthread_mutex_unlock(&ph->mtx);
	return NULL;
}

static void *
prehash_hash_main(void *arg)
{
	struct prehash *ph = arg;
	struct prehash_buf *b;
	size_t i;
	int ok;

	pthread_setname_np(pthread_self(), "intaked-prehash");
	pthread_mutex_lock(&ph->mtx);
	while (!ph->stop) {
		/* the buffer read first */
		for (b = NULL, i = 0; i < PREHASH_NBUF; i++)
			if (ph->buf[i].state == BUF_FILLED && (b == NULL || ph->buf[i].seq < b->seq))
				b = &ph->buf[i];
		if (b == NULL) {
			pthread_cond_wait(&ph->filled, &ph->mtx);
			continue;
		}
		b->state = BUF_HASHING;
		pthread_mutex_unlock(&ph->mtx);
		ok = EVP_DigestUpdate(b->s->ctx, b->p + b->skip, b->len) == 1;
		pthread_mutex_lock(&ph->mtx);
		if (ok)
			b->s->done += b->len;
		else
			b->s->err = 1;
		b->state = BUF_FREE;
		prehash_unbusy(ph, b->s);
	}
	pthread_mutex_unlock(&ph->mtx);
	return NULL;
}

struct prehash *
prehash_new(void)
{
	struct prehash *ph;

	if ((ph = calloc(1, sizeof(*ph))) == NULL)
		return NULL;
	for (size_t i = 0; i < PREHASH_MAX; i++)
		ph->slot[i].fd = -1;
	for (size_t i = 0; i < PREHASH_NBUF; i++)
		if (posix_memalign((void **)&ph->buf[i].p, PREHASH_ALIGN,
		    PREHASH_CHUNK + PREHASH_ALIGN) != 0)
			goto fail;
	if (posix_memalign((void **)&ph->fbuf, PREHASH_ALIGN, PREHASH_CHUNK + PREHASH_ALIGN) != 0)
		goto fail;
	pthread_mutex_init(&ph->mtx, NULL);
	pthread_cond_init(&ph->work, NULL);
	pthread_cond_init(&ph->filled, NULL);
	pthread_cond_init(&ph->idle, NULL);
	if (pthread_create(&ph->reader, NULL, prehash_read_main, ph) != 0)
		goto fail_threads;
	ph->nthreads = 1;
	if (pthread_create(&ph->hasher, NULL, prehash_hash_main, ph) != 0)
		goto fail_threads;
	ph->nthreads = 2;
	return ph;
fail_threads:
	prehash_free(ph);
	return NULL;
fail:
	for (size_t i = 0; i < PREHASH_NBUF; i++)
		free(ph->buf[i].p);
	free(ph->fbuf);
	free(ph);
	return NULL;
}

int
prehash_open(struct prehash *ph, uint64_t token, int fd)
{
	struct prehash_slot *s = NULL;
	int ret = 1;

	pthread_mutex_lock(&ph->mtx);
	if (token <= ph->last) {
		pthread_mutex_unlock(&ph->mtx);
		close(fd);
		return -1;
	}
	ph->last = token;
	for (size_t i = 0; i < PREHASH_MAX && s == NULL; i++)
		if (ph->slot[i].token == 0)
			s = &ph->slot[i];
	if (s == NULL) {
		/* All taken: the oldest that is not being read makes room (a
		 * front that never dropped it; its record, if any, is then
		 * re-hashed whole). */
		for (size_t i = 0; i < PREHASH_MAX; i++)
			if (!ph->slot[i].busy && !ph->slot[i].gone &&
			    (s == NULL || ph->slot[i].token < s->token))
				s = &ph->slot[i];
		if (s != NULL)
			prehash_clear(s);
	}
	if (s != NULL && (s->ctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) == 1) {
		int fl = fcntl(fd, F_GETFL);

		s->token = token;
		s->fd = fd;
		fd = -1;
		s->direct = fl != -1 && fcntl(s->fd, F_SETFL, fl | O_DIRECT) != -1;
		if (!s->direct)
			prehash_buffered(s);
		ret = 0;
	} else if (s != NULL) {
		EVP_MD_CTX_free(s->ctx);
		s->ctx = NULL;
	}
	pthread_mutex_unlock(&ph->mtx);
	if (fd != -1)
		close(fd);
	return ret;
}

void
prehash_more(struct prehash *ph, uint64_t token, uint64_t upto)
{
	struct prehash_slot *s;

	pthread_mutex_lock(&ph->mtx);
	if ((s = prehash_find(ph, token)) != NULL && upto > s->upto) {
		s->upto = upto;
		pthread_cond_signal(&ph->work);
	}
	pthread_mutex_unlock(&ph->mtx);
}

void
prehash_drop(struct prehash *ph, uint64_t token)
{
	struct prehash_slot *s;

	pthread_mutex_lock(&ph->mtx);
	if ((s = prehash_find(ph, token)) != NULL) {
		if (s->busy)
			s->gone = 1;
		else
			prehash_clear(s);
	}
	pthread_mutex_unlock(&ph->mtx);
}

int
prehash_finish(struct prehash *ph, uint64_t token, int fd, uint64_t size, uint8_t out[32])
{
	struct prehash_slot *s, mine;
	struct stat a, b;
	unsigned int len;
	uint8_t one;
	ssize_t r;
	int ret = -1;

	pthread_mutex_lock(&ph->mtx);
	if ((s = prehash_find(ph, token)) == NULL) {
		pthread_mutex_unlock(&ph->mtx);
		return 1;
	}
	s->taking = 1;                /* the reader reads no more of it */
	while (s->busy)
		pthread_cond_wait(&ph->idle, &ph->mtx);
	mine = *s;                   /* the slot is ours now, read without the lock */
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	pthread_mutex_unlock(&ph->mtx);

	/* the front said more was written than it now records: a lie */
	if (mine.err || mine.upto > size || fstat(fd, &a) == -1 || fstat(mine.fd, &b) == -1 ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		goto out;
	while (mine.done < size) {
		size_t want = size - mine.done < PREHASH_CHUNK ? (size_t)(size - mine.done) :
		    PREHASH_CHUNK;

		if ((r = prehash_read(&mine, ph->fbuf, want)) == -1)
			goto out;
		mine.done += (uint64_t)r;
	}
	/* nothing past the claimed size (one byte: not a direct read) */
	prehash_buffered(&mine);
	while ((r = pread(mine.fd, &one, 1, (off_t)size)) == -1 && errno == EINTR)
		;
	if (r != 0)
		goto out;
	ret = EVP_DigestFinal_ex(mine.ctx, out, &len) == 1 ? 0 : -1;
out:
	prehash_clear(&mine);
	return ret;
}

void
prehash_free(struct prehash *ph)
{
	if (ph == NULL)
		return;
	pthread_mutex_lock(&ph->mtx);
	ph->stop = 1;
	pthread_cond_broadcast(&ph->work);
	pthread_cond_broadcast(&ph->filled);
	pthread_mutex_unlock(&ph->mtx);
	if (ph->nthreads > 0)
		pthread_join(ph->reader, NULL);
	if (ph->nthreads > 1)
		pthread_join(ph->hasher, NULL);
	for (size_t i = 0; i < PREHASH_MAX; i++)
		if (ph->slot[i].token != 0)
			prehash_clear(&ph->slot[i]);
	pthread_mutex_destroy(&ph->mtx);
	pthread_cond_destroy(&ph->work);
	pthread_cond_destroy(&ph->filled);
	pthread_cond_destroy(&ph->idle);
	for (size_t i = 0; i < PREHASH_NBUF; i++)
		free(ph->buf[i].p);
	free(ph->fbuf);
	free(ph);
}
