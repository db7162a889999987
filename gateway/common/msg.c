/*
 * common/msg.c: framing and checking of the messages between intaked's
 * processes (see msg.h). SOCK_SEQPACKET keeps message boundaries, so a
 * record is read whole or not at all: no partial reads to reassemble, and a
 * record larger than the largest message is seen as truncated (MSG_TRUNC).
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "common/msg.h"

_Static_assert(sizeof(struct msg_hdr) == 16, "the header has no padding");
_Static_assert(sizeof(struct msg_verdict) <= MSG_PAYLOAD_MAX, "a verdict fits one message");
_Static_assert(sizeof(struct msg_record) <= MSG_PAYLOAD_MAX, "a record request fits one message");
_Static_assert(sizeof(struct msg_finding) <= MSG_PAYLOAD_MAX, "a finding fits one message");
_Static_assert(sizeof(struct msg_inspect) <= MSG_PAYLOAD_MAX, "a request fits one message");
_Static_assert(sizeof(struct msg_ready) <= MSG_PAYLOAD_MAX, "a ready message fits one message");

/* A string field is valid when it ends within its array. */
#define STR_OK(f) (memchr((f), '\0', sizeof(f)) != NULL)
#define BOOL_OK(v) ((v) == 0 || (v) == 1)

static int
valid_inspect(const void *p, size_t len)
{
	const struct msg_inspect *m = p;

	if (!BOOL_OK(m->scanned) || !BOOL_OK(m->stream) || !STR_OK(m->filename) || !STR_OK(m->party) ||
	    !STR_OK(m->kind.name) || !STR_OK(m->kind.description) ||
	    m->policy.kinds != NULL || m->policy.nkinds != 0 || m->kind.ntypes > KIND_TYPES_MAX)
		return -1;
	for (size_t i = 0; i < KIND_TYPES_MAX; i++)
		if (!STR_OK(m->kind.types[i]))
			return -1;
	return 0;
}

static int
valid_finding(const void *p, size_t len)
{
	const struct msg_finding *m = p;

	return BOOL_OK(m->reject) && STR_OK(m->code) && STR_OK(m->member) && STR_OK(m->detail)
	    ? 0 : -1;
}

static int
valid_wbref(const void *p, size_t len)
{
	const struct msg_wbref *m = p;

	return STR_OK(m->ref) && STR_OK(m->filename) && STR_OK(m->obligation) &&
	    STR_OK(m->sha256) && STR_OK(m->description) ? 0 : -1;
}

static int
valid_verdict(const void *p, size_t len)
{
	const struct msg_verdict *m = p;

	return BOOL_OK(m->accepted) && BOOL_OK(m->is_archive) && BOOL_OK(m->workbook) &&
	    BOOL_OK(m->need_file) && STR_OK(m->type) && STR_OK(m->tab) ? 0 : -1;
}

/* A chunk's own length must be exactly what the record holds after it. */
static int
valid_chunk(const struct msg_chunk *c, size_t len, uint32_t lo, uint32_t hi)
{
	return c->len == len - sizeof(*c) && c->what >= lo && c->what <= hi ? 0 : -1;
}

static int
valid_manifest(const void *p, size_t len)
{
	return valid_chunk(p, len, MSG_TEXT_MANIFEST, MSG_TEXT_MANIFEST);
}

static int
valid_text(const void *p, size_t len)
{
	return valid_chunk(p, len, MSG_TEXT_ENTRY, MSG_TEXT_PROOF);
}

/* A plain file name: no directory, no dot names, no control bytes. */
static int
valid_plain_name(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == 0 || n == cap || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -1;
	return 0;
}

static int
valid_record(const void *p, size_t len)
{
	const struct msg_record *m = p;

	return STR_OK(m->party) && STR_OK(m->cert_sha256) && STR_OK(m->kind) &&
	    STR_OK(m->filename) && STR_OK(m->ref) && STR_OK(m->client_digest) &&
	    STR_OK(m->agent) && STR_OK(m->scan) && m->has_plan <= 1 && m->has_sha256 <= 1 &&
	    valid_plain_name(m->quarantine, sizeof(m->quarantine)) == 0 ? 0 : -1;
}

static int
valid_fact(const void *p, size_t len)
{
	const struct msg_fact *m = p;

	return STR_OK(m->party) && STR_OK(m->recorded_by) && STR_OK(m->cert_sha256) &&
	    STR_OK(m->fact) && STR_OK(m->date) ? 0 : -1;
}

static int
valid_ready(const void *p, size_t len)
{
	const struct msg_ready *m = p;

	return STR_OK(m->vkey) ? 0 : -1;
}

static int
valid_recorded(const void *p, size_t len)
{
	const struct msg_recorded *m = p;

	if (!(m->status == 0 || m->status == -1) || !STR_OK(m->time))
		return -1;
	if (len == sizeof(*m))
		return 0;
	/* the texts inline: exactly their announced sizes (each is checked
	 * before the sum, which then cannot wrap) */
	return m->status == 0 && m->entry_len <= MSG_PAYLOAD_MAX &&
	    m->receipt_len <= MSG_PAYLOAD_MAX && m->proof_len <= MSG_PAYLOAD_MAX &&
	    len - sizeof(*m) == m->entry_len + m->receipt_len + m->proof_len ? 0 : -1;
}

#define FIXED(t, s, fd, f) { t, sizeof(s), sizeof(s), fd, f }
#define CHUNK(t, f) { t, sizeof(struct msg_chunk), MSG_PAYLOAD_MAX, MSG_FD_NONE, f }

/* An inspection's answer and the same answer passed on to the notary. */
#define VERDICT_RULES \
	FIXED(MSG_FINDING, struct msg_finding, MSG_FD_NONE, valid_finding), \
	CHUNK(MSG_MANIFEST, valid_manifest), \
	FIXED(MSG_WBREF, struct msg_wbref, MSG_FD_NONE, valid_wbref), \
	FIXED(MSG_VERDICT, struct msg_verdict, MSG_FD_NONE, valid_verdict)

static const struct msg_rule to_inspect[] = {
	FIXED(MSG_INSPECT, struct msg_inspect, MSG_FD_REQUIRED, valid_inspect),
	FIXED(MSG_STREAM, struct msg_stream, MSG_FD_REQUIRED, NULL),
};
static const struct msg_rule from_inspect[] = { VERDICT_RULES };
static const struct msg_rule to_notary[] = {
	FIXED(MSG_RECORD, struct msg_record, MSG_FD_REQUIRED, valid_record),
	VERDICT_RULES,
	FIXED(MSG_FACT, struct msg_fact, MSG_FD_NONE, valid_fact),
	FIXED(MSG_HASH_OPEN, struct msg_hash, MSG_FD_REQUIRED, NULL),
	FIXED(MSG_HASH_MORE, struct msg_hash, MSG_FD_NONE, NULL),
	FIXED(MSG_HASH_DROP, struct msg_hash, MSG_FD_NONE, NULL),
};
static const struct msg_rule from_notary[] = {
	{ MSG_RECORDED, sizeof(struct msg_recorded), MSG_PAYLOAD_MAX, MSG_FD_NONE,
	    valid_recorded },
	CHUNK(MSG_TEXT, valid_text),
	FIXED(MSG_READY, struct msg_ready, MSG_FD_NONE, valid_ready),
};

#define RULES(name, v) { name, v, sizeof(v) / sizeof((v)[0]) }
const struct msg_rules msg_to_inspect = RULES("front → inspector", to_inspect);
const struct msg_rules msg_from_inspect = RULES("inspector → front", from_inspect);
const struct msg_rules msg_to_notary = RULES("front → notary", to_notary);
const struct msg_rules msg_from_notary = RULES("notary → front", from_notary);

int
msg_socketpair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
}

size_t
msg_chunk_len(size_t len)
{
	return sizeof(struct msg_chunk) + len;
}

int
msg_send(int sock, uint32_t type, uint64_t id, const void *payload, size_t len, int fd)
{
	struct msg_hdr hdr = { .type = type, .len = (uint32_t)len, .id = id };
	struct iovec iov[2] = {
		{ .iov_base = &hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len > 0 ? 2 : 1 };
	ssize_t n;

	if (len > MSG_PAYLOAD_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (fd != -1) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	/* A SOCK_SEQPACKET record goes whole or not at all. */
	while ((n = sendmsg(sock, &mh, MSG_NOSIGNAL)) == -1 && errno == EINTR)
		;
	return n == -1 ? -1 : 0;
}

static const struct msg_rule *
msg_rule_find(const struct msg_rules *allow, uint32_t type)
{
	for (size_t i = 0; i < allow->n; i++)
		if (allow->v[i].type == type)
			return &allow->v[i];
	return NULL;
}

/* Takes the descriptors out of MH's control data: the first into *FD, and
 * returns how many there were (others are closed). */
static int
msg_take_fds(struct msghdr *mh, int *fd)
{
	int count = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int f;
			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (count++ == 0)
				*fd = f;
			else
				close(f);
		}
	}
	return count;
}

static int
msg_recv_flags(int sock, const struct msg_rules *allow, struct msg *m, int flags)
{
	struct iovec iov[2] = {
		{ .iov_base = &m->hdr, .iov_len = sizeof(m->hdr) },
		{ .iov_base = m->payload, .iov_len = sizeof(m->payload) },
	};
	/* room for more than one descriptor, so that extra ones are seen (and
	 * closed) rather than silently cut off */
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} cm;
	struct msghdr mh = {
		.msg_iov = iov, .msg_iovlen = 2,
		.msg_control = cm.buf, .msg_controllen = sizeof(cm.buf),
	};
	const struct msg_rule *r;
	ssize_t n;
	int nfd;

	m->fd = -1;
	if ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | flags)) == -1)
		return -1;
	nfd = msg_take_fds(&mh, &m->fd);
	if (n == 0 && nfd == 0)
		return 0;
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)n < sizeof(m->hdr) ||
	    m->hdr.len != (size_t)n - sizeof(m->hdr))
		goto fail;
	if ((r = msg_rule_find(allow, m->hdr.type)) == NULL)
		goto fail;
	if (m->hdr.len < r->min || m->hdr.len > r->max)
		goto fail;
	if (nfd > 1 || (r->fd == MSG_FD_REQUIRED) != (nfd == 1))
		goto fail;
	if (r->valid != NULL && r->valid(m->payload, m->hdr.len) == -1)
		goto fail;
	return 1;
fail:
	if (m->fd != -1)
		close(m->fd);
	m->fd = -1;
	errno = EPROTO;
	return -1;
}

int
msg_recv(int sock, const struct msg_rules *allow, struct msg *m)
{
	return msg_recv_flags(sock, allow, m, 0);
}

int
msg_recv_nowait(int sock, const struct msg_rules *allow, struct msg *m)
{
	return msg_recv_flags(sock, allow, m, MSG_DONTWAIT);
}
