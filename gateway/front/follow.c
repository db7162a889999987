/*
 * front/follow.c: a tar, tar.gz or tar.xz upload inspected while it arrives
 * (see follow.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <poll.h>
#include <time.h>

#include "common/log.h"
#include "front/follow.h"
#include "front/front.h"
#include "front/inspproc.h"
#include "inspect/types.h"

#define FOLLOW_BLOCK (64 * 1024)   /* the most one stream read may ask for */
/* Followers at once. Each may hold what an inspector worker holds (a
 * member of up to 1 GiB in a memfd): no more of them than of workers. */
#define FOLLOW_MAX   2

/* The inspector types the upload from the file: all of that must be there. */
_Static_assert(SPOOL_AFTER >= TYPES_MAGIC_BYTES, "a spool starts before the type is known");

struct follow {
	pthread_mutex_t       mtx;
	pthread_cond_t        cond;
	int                   refs;        /* under mtx: the loop's and the thread's */
	struct spool         *spool;       /* under mtx: NULL once the loop let go */
	int                   reading;     /* under mtx: the thread is in spool_tap_read */
	int                   done;        /* under mtx: RES is final */
	struct inspect_result res;         /* the thread's until DONE */
	int                   fd;          /* read-only quarantine file */
	uint64_t              size;        /* the declared body */
	uint64_t              head;        /* bytes in the file before the spool */
	uint64_t              pos;         /* thread: the next byte to read */
	struct runtime       *rt;          /* a reference: the upload's policy */
	const struct kind    *kind;
	char                  filename[256];
	struct inspproc       ip;          /* the follower's own inspector process */
	uint8_t               block[FOLLOW_BLOCK];
};

static atomic_uint follow_running;

int
follow_open(const char *path)
{
	static const uint8_t gz[] = { 0x1f, 0x8b }, xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	uint8_t h[512];
	int fd;

	/* Only the loop starts followers: none can start before follow_start. */
	if (atomic_load(&follow_running) >= FOLLOW_MAX ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	if (pread(fd, h, sizeof(h), 0) == (ssize_t)sizeof(h) &&
	    (memcmp(h + 257, "ustar", 5) == 0 || memcmp(h, gz, sizeof(gz)) == 0 ||
	     memcmp(h, xz, sizeof(xz)) == 0))
		return fd;
	close(fd);
	return -1;
}

static void
follow_free(struct follow *f)
{
	inspect_result_clear(&f->res);
	close(f->fd);
	runtime_unref(f->rt);
	pthread_mutex_destroy(&f->mtx);
	pthread_cond_destroy(&f->cond);
	free(f);
	atomic_fetch_sub(&follow_running, 1);
}

/* Drops a reference (lock held, released on return). */
static void
follow_unref_unlock(struct follow *f)
{
	int last = --f->refs == 0;

	pthread_mutex_unlock(&f->mtx);
	if (last)
		follow_free(f);
}

/* The stream of the inspect request: the head from the file, then the tap. */
static ssize_t
follow_read(void *arg, size_t len, const void **buf)
{
	struct follow *f = arg;
	struct spool *s;
	size_t got = 0;
	ssize_t n;

	if (len > sizeof(f->block))
		return -1;
	while (got < len && f->pos < f->head) {
		size_t want = len - got;

		if (f->head - f->pos < want)
			want = (size_t)(f->head - f->pos);
		if ((n = pread(f->fd, f->block + got, want, (off_t)f->pos)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
		f->pos += (uint64_t)n;
	}
	if (got < len) {
		pthread_mutex_lock(&f->mtx);
		if ((s = f->spool) == NULL) {
			pthread_mutex_unlock(&f->mtx);
			return -1;
		}
		f->reading = 1;
		pthread_mutex_unlock(&f->mtx);
		n = spool_tap_read(s, f->block + got, len - got);
		pthread_mutex_lock(&f->mtx);
		f->reading = 0;
		pthread_cond_broadcast(&f->cond);
		pthread_mutex_unlock(&f->mtx);
		if (n != (ssize_t)(len - got))
			return -1;
		f->pos += (uint64_t)n;
	}
	*buf = f->block;
	return (ssize_t)len;
}

/* Writes LEN bytes of BUF to the inspector's pipe FD by DEADLINE (a
 * CLOCK_MONOTONIC time). 0, or -1 when the inspector stopped reading (it
 * has decided, or died) or the time is up. */
static int
follow_write(int fd, const uint8_t *buf, size_t len, const struct timespec *deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	struct timespec now;
	int64_t left;
	ssize_t n;

	while (len > 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (int64_t)(deadline->tv_sec - now.tv_sec) * 1000 +
		    (deadline->tv_nsec - now.tv_nsec) / 1000000;
		if (left <= 0)
			return -1;
		if (poll(&pfd, 1, left > 1000 ? 1000 : (int)left) == -1 && errno != EINTR)
			return -1;
		if ((pfd.revents & (POLLERR | POLLHUP)) != 0)
			return -1;
		if ((pfd.revents & POLLOUT) == 0)
			continue;
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;   /* EPIPE: the inspector closed its end */
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The pump of the streamed inspection: the body, in order, into the pipe. */
static void
follow_pump(void *arg, int fd, int64_t deadline_ms)
{
	struct follow *f = arg;
	struct timespec deadline;
	const void *buf;
	ssize_t n;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += deadline_ms / 1000;
	deadline.tv_nsec += deadline_ms % 1000 * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	while (f->pos < f->size) {
		size_t want = f->size - f->pos < FOLLOW_BLOCK ? (size_t)(f->size - f->pos) :
		    FOLLOW_BLOCK;

		if ((n = follow_read(f, want, &buf)) != (ssize_t)want ||
		    follow_write(fd, buf, want, &deadline) == -1)
			return;
	}
}

static void *
follow_main(void *arg)
{
	struct follow *f = arg;
	struct inspect_request req = {
		.fd = f->fd, .size = f->size, .filename = f->filename, .kind = f->kind,
		.policy = f->rt->policy,
	};

	pthread_setname_np(pthread_self(), "intaked-follow");
	/* An inspector process of its own reads the body from a pipe; the
	 * follower only copies it there. Anything but a verdict for the whole
	 * body is need_file: the file's inspection by a worker decides. */
	if (inspproc_inspect_stream(&f->ip, &req, follow_pump, f, &f->res) != INSPPROC_ANSWERED)
		f->res.need_file = 1;
	inspproc_stop(&f->ip);
	pthread_mutex_lock(&f->mtx);
	f->done = 1;
	if (f->spool) {
		spool_tap_close(f->spool);
		spool_poke(f->spool);
	}
	follow_unref_unlock(f);
	return NULL;
}

struct follow *
follow_start(struct spool *s, int fd, uint64_t head, uint64_t size,
    struct runtime *rt, const struct kind *kind, const char *filename,
    const struct inspproc_conf *conf)
{
	struct follow *f;
	pthread_attr_t attr;
	pthread_t t;
	int ok;

	if (atomic_fetch_add(&follow_running, 1) >= FOLLOW_MAX ||
	    (f = calloc(1, sizeof(*f))) == NULL) {
		atomic_fetch_sub(&follow_running, 1);
		close(fd);
		return NULL;
	}
	pthread_mutex_init(&f->mtx, NULL);
	pthread_cond_init(&f->cond, NULL);
	f->refs = 2;
	f->spool = s;
	f->fd = fd;
	f->size = size;
	f->head = head;
	f->rt = runtime_ref(rt);
	f->kind = kind;
	snprintf(f->filename, sizeof(f->filename), "%s", filename);
	f->ip.conf = conf;
	f->ip.pid = -1;
	f->ip.sock = -1;
	spool_tap_open(s);
	ok = pthread_attr_init(&attr) == 0;
	if (ok && (pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) != 0 ||
	    pthread_create(&t, &attr, follow_main, f) != 0))
		ok = 0;
	pthread_attr_destroy(&attr);
	if (!ok) {
		spool_tap_close(s);
		f->refs = 1;
		pthread_mutex_lock(&f->mtx);
		follow_unref_unlock(f);
		return NULL;
	}
	return f;
}

int
follow_done(struct follow *f)
{
	int done;

	pthread_mutex_lock(&f->mtx);
	done = f->done;
	pthread_mutex_unlock(&f->mtx);
	return done;
}

void
follow_detach(struct follow *f)
{
	pthread_mutex_lock(&f->mtx);
	if (f->spool) {
		spool_tap_close(f->spool);   /* a read in progress returns -1 */
		while (f->reading)
			pthread_cond_wait(&f->cond, &f->mtx);
		f->spool = NULL;
	}
	pthread_mutex_unlock(&f->mtx);
}

int
follow_release(struct follow *f, uint64_t size, struct inspect_result *res)
{
	int used;

	follow_detach(f);
	pthread_mutex_lock(&f->mtx);
	used = f->done && !f->res.need_file && size == f->size && res != NULL;
	if (used) {
		*res = f->res;
		memset(&f->res, 0, sizeof(f->res));
	}
	follow_unref_unlock(f);
	return used;
}

unsigned
follow_active(void)
{
	return atomic_load(&follow_running);
}
