/*
 * common/clamd.c: clamd's protocol, client side (see clamd.h).
 *
 * Commands are clamd's z-form ("zVERSION\0"): every answer record ends in
 * a NUL, so that an answer is framed without trusting a newline in a
 * signature name. A connection carries one command (clamd closes it after
 * the answer); there is no session to keep, so a clamd that restarted is
 * simply reached again by the next scan.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clamd.h"

#define CLAMD_LIMITS  "Heuristics.Limits.Exceeded"  /* AlertExceedsMax's names */
#define CLAMD_VERSION_PREFIX "ClamAV "

static void	clamd_why(struct clamd_verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
clamd_why(struct clamd_verdict *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
}

/* Copies N bytes of S into OUT (OUTLEN) as printable ASCII: any other byte
 * becomes '?'; cut to fit. */
static void
clamd_printable(char *out, size_t outlen, const char *s, size_t n)
{
	size_t i;

	if (n > outlen - 1)
		n = outlen - 1;
	for (i = 0; i < n; i++)
		out[i] = s[i] >= 0x20 && s[i] <= 0x7e ? s[i] : '?';
	out[n] = '\0';
}

static int
clamd_ends(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

enum clamd_status
clamd_parse_answer(const char *buf, size_t len, struct clamd_verdict *v)
{
	/* precedence over several records: a signature found decides; then an
	 * error (try again); then a limit; clean only when every record is */
	int found = 0, error = 0, incomplete = 0;
	const char *r, *end, *name;
	size_t n;

	v->signature[0] = '\0';
	v->why[0] = '\0';
	if (len == 0 || buf[len - 1] != '\0') {
		clamd_why(v, "an answer that does not end in NUL (%zu bytes)", len);
		return v->status = CLAMD_ERROR;
	}
	for (r = buf; r < buf + len; r = end + 1) {
		end = memchr(r, '\0', (size_t)(buf + len - r));
		n = (size_t)(end - r);
		if (n == 0) {
			if (!error)
				clamd_why(v, "an empty answer record");
			error = 1;
			continue;
		}
		if (clamd_ends(r, n, " FOUND")) {
			const char *sep = memmem(r, n, ": ", 2);
			size_t nl;

			if (sep == NULL || sep + 2 >= r + n - 6) {
				if (!error)
					clamd_why(v, "a FOUND answer without a name");
				error = 1;
				continue;
			}
			name = sep + 2;
			nl = (size_t)(r + n - 6 - name);
			if (nl >= strlen(CLAMD_LIMITS) &&
			    memcmp(name, CLAMD_LIMITS, strlen(CLAMD_LIMITS)) == 0) {
				if (!found && !incomplete)
					clamd_printable(v->signature, sizeof(v->signature), name, nl);
				incomplete = 1;
			} else {
				if (!found)
					clamd_printable(v->signature, sizeof(v->signature), name, nl);
				found = 1;
			}
		} else if (clamd_ends(r, n, ": OK") && n > 4) {
			continue;   /* clean, as far as this record goes */
		} else if (clamd_ends(r, n, " ERROR")) {
			/* INSTREAM past StreamMaxLength: "INSTREAM size limit exceeded. ERROR" */
			if (memmem(r, n, "size limit exceeded", 19) != NULL) {
				if (!found && !incomplete)
					snprintf(v->signature, sizeof(v->signature), "StreamMaxLength");
				incomplete = 1;
			} else {
				if (!error)
					clamd_printable(v->why, sizeof(v->why), r, n);
				error = 1;
			}
		} else {
			if (!error)
				clamd_why(v, "an answer of unknown form");
			error = 1;
		}
	}
	if (found)
		return v->status = CLAMD_FOUND;
	if (error)
		return v->status = CLAMD_ERROR;
	if (incomplete)
		return v->status = CLAMD_INCOMPLETE;
	return v->status = CLAMD_CLEAN;
}

int
clamd_version_ok(const char *s)
{
	size_t n = strnlen(s, CLAMD_VERSION_MAX), i;

	if (n >= CLAMD_VERSION_MAX || n <= strlen(CLAMD_VERSION_PREFIX) ||
	    strncmp(s, CLAMD_VERSION_PREFIX, strlen(CLAMD_VERSION_PREFIX)) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

int
clamd_parse_version(const char *buf, size_t len, char *out, size_t outlen)
{
	if (len < 2 || buf[len - 1] != '\0' || memchr(buf, '\0', len - 1) != NULL ||
	    len > outlen || !clamd_version_ok(buf))
		return -1;
	memcpy(out, buf, len);
	return 0;
}

/* ---- I/O, bounded by one deadline ---------------------------------------- */

static int
clamd_ms_left(const struct timespec *deadline)
{
	struct timespec now;
	int64_t ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* Waits for EVENTS on S until the deadline: the revents, or 0 on timeout,
 * -1 on error. */
static int
clamd_poll(int s, short events, const struct timespec *deadline)
{
	struct pollfd p = { .fd = s, .events = events };
	int r;

	for (;;) {
		r = poll(&p, 1, clamd_ms_left(deadline));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return r;
		return p.revents;
	}
}

static int
clamd_connect(const char *path, struct clamd_verdict *v)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		clamd_why(v, "socket path too long");
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1) {
		clamd_why(v, "socket: %s", strerror(errno));
		return -1;
	}
	/* a Unix socket connects at once or not at all (EAGAIN: backlog full) */
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		clamd_why(v, "connect %s: %s", path, strerror(errno));
		close(s);
		return -1;
	}
	return s;
}

/* Sends LEN bytes of BUF, with FD (SCM_RIGHTS) on the first byte when FD is
 * not -1. 0, or -1 (why set). */
static int
clamd_send(int s, const void *buf, size_t len, int fd, const struct timespec *deadline,
    struct clamd_verdict *v)
{
	const char *p = buf;
	ssize_t n;
	int r;

	while (len > 0) {
		if (fd != -1) {
			union {
				struct cmsghdr h;
				char           b[CMSG_SPACE(sizeof(int))];
			} cm;
			struct iovec iov = { .iov_base = (void *)p, .iov_len = 1 };
			struct msghdr mh = {
				.msg_iov = &iov, .msg_iovlen = 1,
				.msg_control = cm.b, .msg_controllen = sizeof(cm.b),
			};
			struct cmsghdr *c;

			memset(&cm, 0, sizeof(cm));
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &fd, sizeof(int));
			n = sendmsg(s, &mh, MSG_NOSIGNAL);
			if (n > 0)
				fd = -1;
		} else
			n = send(s, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			if ((r = clamd_poll(s, POLLOUT, deadline)) <= 0) {
				clamd_why(v, r == 0 ? "timed out" : "poll: %s", strerror(errno));
				return -1;
			}
			continue;
		}
		r = n == -1 ? errno : EPIPE;
		clamd_why(v, "send: %s", strerror(r));
		errno = r;   /* the caller tells a peer that closed from other failures */
		return -1;
	}
	return 0;
}

/* Reads the answer until clamd closes: its length, or -1 (why set). */
static ssize_t
clamd_recv(int s, char *buf, size_t cap, const struct timespec *deadline, struct clamd_verdict *v)
{
	size_t got = 0;
	ssize_t n;
	int r;

	for (;;) {
		if (got == cap) {
			clamd_why(v, "an answer over %zu bytes", cap);
			return -1;
		}
		n = recv(s, buf + got, cap - got, 0);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0)
			return (ssize_t)got;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			if ((r = clamd_poll(s, POLLIN, deadline)) <= 0) {
				clamd_why(v, r == 0 ? "timed out" : "poll: %s", strerror(errno));
				return -1;
			}
			continue;
		}
		/* a reset after a complete answer still leaves the answer */
		if (got > 0 && buf[got - 1] == '\0')
			return (ssize_t)got;
		clamd_why(v, "recv: %s", strerror(errno));
		return -1;
	}
}

/* One command on a fresh connection; the answer in BUF. Length or -1. */
static ssize_t
clamd_command(const char *path, const char *cmd, size_t cmdlen, int fd, char *buf, size_t cap,
    const struct timespec *deadline, struct clamd_verdict *v)
{
	static const char one = '\0';
	ssize_t n = -1;
	int s;

	if ((s = clamd_connect(path, v)) == -1)
		return -1;
	/* FILDES: the descriptor rides on a byte of its own after the command;
	 * a clamd that will not take it may have answered and closed already */
	if (clamd_send(s, cmd, cmdlen, -1, deadline, v) == 0 &&
	    (fd == -1 || clamd_send(s, &one, 1, fd, deadline, v) == 0 ||
	    errno == EPIPE || errno == ECONNRESET))
		n = clamd_recv(s, buf, cap, deadline, v);
	close(s);
	return n;
}

/* INSTREAM: SIZE bytes of FD in chunks, each after its 4-byte length; a
 * zero length ends it. clamd may answer (and close) before the end, past
 * its StreamMaxLength: then the answer is read and the rest not sent. A
 * close with our bytes unread resets the connection, and Linux may report
 * the reset before the answer: that is no verdict (503), never a pass. */
static ssize_t
clamd_instream(const char *path, int fd, unsigned long long size, char *buf, size_t cap,
    const struct timespec *deadline, struct clamd_verdict *v)
{
	static const char cmd[] = "zINSTREAM";
	unsigned long long off = 0;
	ssize_t n = -1, rd;
	uint32_t be;
	int s, r;

	if ((s = clamd_connect(path, v)) == -1)
		return -1;
	if (clamd_send(s, cmd, sizeof(cmd), -1, deadline, v) == -1)
		goto out;
	for (;;) {
		uint8_t b[4 + CLAMD_CHUNK];
		size_t want = size - off > CLAMD_CHUNK ? CLAMD_CHUNK : (size_t)(size - off);

		if ((r = clamd_poll(s, POLLIN | POLLOUT, deadline)) <= 0) {
			clamd_why(v, r == 0 ? "timed out" : "poll: %s", strerror(errno));
			goto out;
		}
		if (r & (POLLIN | POLLHUP | POLLERR))
			break;   /* clamd answered early */
		rd = 0;
		while ((size_t)rd < want) {
			ssize_t k = pread(fd, b + 4 + rd, want - (size_t)rd, (off_t)(off + (size_t)rd));

			if (k == -1 && errno == EINTR)
				continue;
			if (k <= 0) {
				clamd_why(v, "reading the file: %s", k == 0 ? "short" : strerror(errno));
				goto out;
			}
			rd += k;
		}
		be = htonl((uint32_t)want);
		memcpy(b, &be, 4);
		if (clamd_send(s, b, 4 + want, -1, deadline, v) == -1) {
			if (errno == EPIPE || errno == ECONNRESET)
				break;   /* closed early: its answer may be there */
			goto out;
		}
		if (want == 0)
			break;
		off += want;
	}
	n = clamd_recv(s, buf, cap, deadline, v);
out:
	close(s);
	return n;
}

enum clamd_status
clamd_scan(const char *path, int fd, unsigned long long size, unsigned timeout,
    struct clamd_verdict *v)
{
	static const char version[] = "zVERSION", fildes[] = "zFILDES";
	struct timespec deadline;
	char buf[CLAMD_ANSWER_MAX];
	char fildes_why[CLAMD_WHY_MAX];
	ssize_t n;

	memset(v, 0, sizeof(*v));
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout;
	if ((n = clamd_command(path, version, sizeof(version), -1, buf, sizeof(buf),
	    &deadline, v)) == -1)
		return v->status = CLAMD_ERROR;
	if (clamd_parse_version(buf, (size_t)n, v->version, sizeof(v->version)) == -1) {
		clamd_why(v, "a VERSION answer that is not one");
		return v->status = CLAMD_ERROR;
	}
	if ((n = clamd_command(path, fildes, sizeof(fildes), fd, buf, sizeof(buf), &deadline,
	    v)) == -1)
		return v->status = CLAMD_ERROR;
	if (clamd_parse_answer(buf, (size_t)n, v) != CLAMD_ERROR)
		return v->status;
	/* clamd answered, but would not take the descriptor: stream it */
	memcpy(fildes_why, v->why, sizeof(fildes_why));
	v->streamed = 1;
	if ((n = clamd_instream(path, fd, size, buf, sizeof(buf), &deadline, v)) == -1)
		return v->status = CLAMD_ERROR;
	if (clamd_parse_answer(buf, (size_t)n, v) == CLAMD_ERROR) {
		char w[CLAMD_WHY_MAX];

		memcpy(w, v->why, sizeof(w));
		snprintf(v->why, sizeof(v->why), "FILDES: %.100s; INSTREAM: %.100s", fildes_why, w);
	}
	return v->status;
}
