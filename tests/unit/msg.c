/*
 * Unit tests of common/msg.c: every message type crosses its direction
 * intact, with its descriptor; everything a corrupted peer could send
 * (truncated, oversized, unknown or misdirected types, wrong sizes, missing
 * or extra descriptors, unterminated strings, lying chunk lengths) is EPROTO
 * and leaves no descriptor behind.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/msg.h"
#include "inspect/inspect.h"
#include "notary/entry.h"
#include "notary/notary.h"

/* The message fields are the sizes of the structs they carry. */
_Static_assert(MSG_FILENAME_MAX == FILENAME_MAX_BYTES + 1, "filename");
_Static_assert(MSG_REF_MAX == REF_MAX + 1, "ref");
_Static_assert(MSG_CODE_MAX == FINDING_CODE_MAX, "finding code");
_Static_assert(MSG_MEMBER_MAX == FINDING_MEMBER_MAX, "finding member");
_Static_assert(MSG_DETAIL_MAX == FINDING_DETAIL_MAX, "finding detail");
_Static_assert(MSG_TIME_MAX == ENTRY_TIME_MAX, "entry time");
_Static_assert(sizeof(((struct msg_wbref *)0)->ref) == sizeof(((struct workbook_ref *)0)->ref), "wb ref");
_Static_assert(sizeof(((struct msg_wbref *)0)->filename) ==
    sizeof(((struct workbook_ref *)0)->filename), "wb filename");
_Static_assert(sizeof(((struct msg_wbref *)0)->obligation) ==
    sizeof(((struct workbook_ref *)0)->obligation), "wb obligation");
_Static_assert(sizeof(((struct msg_wbref *)0)->description) ==
    sizeof(((struct workbook_ref *)0)->description), "wb description");
_Static_assert(sizeof(((struct msg_verdict *)0)->tab) == WB_TAB_MAX, "wb tab");
_Static_assert(sizeof(((struct msg_record *)0)->client_digest) ==
    sizeof(((struct notary_job *)0)->client_digest), "client digest");

static int sv[2];
static struct msg m;

static void
setup(void)
{
	ck_assert_int_eq(msg_socketpair(sv), 0);
}

static void
teardown(void)
{
	close(sv[0]);
	close(sv[1]);
}

static int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* Sends LEN raw bytes as one record, with NFD copies of FD. */
static void
raw_send(const void *buf, size_t len, int fd, int nfd)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} cm;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[2] = { fd, fd };

	if (nfd > 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfd * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfd * sizeof(int));
	}
	ck_assert_int_eq(sendmsg(sv[0], &mh, 0), (ssize_t)len);
}

static void
expect_eproto(const struct msg_rules *allow)
{
	errno = 0;
	ck_assert_int_eq(msg_recv(sv[1], allow, &m), -1);
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_int_eq(m.fd, -1);
}

static int
tmpfile_fd(void)
{
	char path[] = "/tmp/msgtest.XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(write(fd, "evidence", 8), 8);
	return fd;
}

START_TEST(inspect_request_crosses_with_its_descriptor)
{
	struct msg_inspect in = { .size = 8, .nul_at = UINT64_MAX, .scanned = 1 };
	struct stat a, b;
	char buf[8];
	int fd = tmpfile_fd();

	strcpy(in.kind.name, "evidence");
	strcpy(in.kind.types[0], "application/pdf");
	in.kind.ntypes = 1;
	in.policy.inspect_seconds = 120;
	strcpy(in.filename, "policy.pdf");
	ck_assert_int_eq(msg_send(sv[0], MSG_INSPECT, 42, &in, sizeof(in), fd), 0);
	ck_assert_int_eq(msg_recv(sv[1], &msg_to_inspect, &m), 1);
	ck_assert_uint_eq(m.hdr.type, MSG_INSPECT);
	ck_assert_uint_eq(m.hdr.id, 42);
	ck_assert_uint_eq(m.hdr.len, sizeof(in));
	ck_assert_mem_eq(m.payload, &in, sizeof(in));
	/* a new descriptor for the same open file */
	ck_assert_int_ge(m.fd, 0);
	ck_assert_int_ne(m.fd, fd);
	ck_assert_int_eq(fstat(fd, &a), 0);
	ck_assert_int_eq(fstat(m.fd, &b), 0);
	ck_assert(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	ck_assert_int_eq(pread(m.fd, buf, 8, 0), 8);
	ck_assert_mem_eq(buf, "evidence", 8);
	ck_assert_int_eq(fcntl(m.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(m.fd);
	close(fd);
}
END_TEST

START_TEST(every_verdict_message_crosses_both_hops)
{
	struct msg_finding f = { .reject = 1 };
	struct msg_wbref w = { 0 };
	struct msg_verdict v = { .accepted = 0, .is_archive = 1, .members = 3, .nfindings = 1,
	    .manifest_len = 5, .nwbrefs = 1, .workbook = 1 };
	uint8_t chunk[sizeof(struct msg_chunk) + 5];
	struct msg_chunk *c = (struct msg_chunk *)chunk;
	const struct msg_rules *hops[] = { &msg_from_inspect, &msg_to_notary };

	strcpy(f.code, "type-mismatch");
	strcpy(f.member, "a/b.exe");
	strcpy(f.detail, "an executable");
	strcpy(w.ref, "EV-001");
	strcpy(w.filename, "policy.pdf");
	strcpy(v.type, "application/zip");
	strcpy(v.tab, "Evidence References");
	c->what = MSG_TEXT_MANIFEST;
	c->len = 5;
	memcpy(c->data, "a b\n\n", 5);
	for (size_t h = 0; h < 2; h++) {
		ck_assert_int_eq(msg_send(sv[0], MSG_FINDING, 7, &f, sizeof(f), -1), 0);
		ck_assert_int_eq(msg_send(sv[0], MSG_MANIFEST, 7, chunk, msg_chunk_len(5), -1), 0);
		ck_assert_int_eq(msg_send(sv[0], MSG_WBREF, 7, &w, sizeof(w), -1), 0);
		ck_assert_int_eq(msg_send(sv[0], MSG_VERDICT, 7, &v, sizeof(v), -1), 0);
		ck_assert_int_eq(msg_recv(sv[1], hops[h], &m), 1);
		ck_assert_mem_eq(m.payload, &f, sizeof(f));
		ck_assert_int_eq(msg_recv(sv[1], hops[h], &m), 1);
		ck_assert_uint_eq(m.hdr.type, MSG_MANIFEST);
		ck_assert_mem_eq(m.payload, chunk, sizeof(chunk));
		ck_assert_int_eq(msg_recv(sv[1], hops[h], &m), 1);
		ck_assert_mem_eq(m.payload, &w, sizeof(w));
		ck_assert_int_eq(msg_recv(sv[1], hops[h], &m), 1);
		ck_assert_uint_eq(m.hdr.type, MSG_VERDICT);
		ck_assert_mem_eq(m.payload, &v, sizeof(v));
		ck_assert_int_eq(m.fd, -1);
	}
}
END_TEST

START_TEST(record_request_and_answer_cross)
{
	struct msg_record r = { .size = 8 };
	struct msg_recorded a = { .status = 0, .index = 17, .entry_len = 3 };
	uint8_t chunk[sizeof(struct msg_chunk) + 3];
	struct msg_chunk *c = (struct msg_chunk *)chunk;
	int fd = tmpfile_fd();

	strcpy(r.party, "ALPHA");
	strcpy(r.kind, "evidence");
	strcpy(r.filename, "a.pdf");
	strcpy(r.quarantine, "q-0123456789abcdef0123456789abcdef");
	strcpy(a.time, "2026-12-06T00:00:00Z");
	ck_assert_int_eq(msg_send(sv[0], MSG_RECORD, 9, &r, sizeof(r), fd), 0);
	ck_assert_int_eq(msg_recv(sv[1], &msg_to_notary, &m), 1);
	ck_assert_mem_eq(m.payload, &r, sizeof(r));
	ck_assert_int_ge(m.fd, 0);
	close(m.fd);
	close(fd);

	c->what = MSG_TEXT_ENTRY;
	c->len = 3;
	memcpy(c->data, "abc", 3);
	ck_assert_int_eq(msg_send(sv[0], MSG_RECORDED, 9, &a, sizeof(a), -1), 0);
	ck_assert_int_eq(msg_send(sv[0], MSG_TEXT, 9, chunk, msg_chunk_len(3), -1), 0);
	ck_assert_int_eq(msg_recv(sv[1], &msg_from_notary, &m), 1);
	ck_assert_mem_eq(m.payload, &a, sizeof(a));
	ck_assert_int_eq(msg_recv(sv[1], &msg_from_notary, &m), 1);
	ck_assert_mem_eq(m.payload, chunk, sizeof(chunk));
}
END_TEST

/* MSG_RECORDED with the texts in the same record: exactly the announced
 * sizes, on a success only. */
START_TEST(an_answer_with_its_texts_inline_crosses_and_a_wrong_size_is_refused)
{
	_Alignas(8) static uint8_t buf[MSG_PAYLOAD_MAX + 1];
	struct msg_recorded a = { .status = 0, .index = 3, .entry_len = 5, .receipt_len = 7,
	    .proof_len = 2 };
	const size_t n = sizeof(a) + 14;

	strcpy(a.time, "2026-12-06T00:00:00Z");
	memcpy(buf, &a, sizeof(a));
	memcpy(buf + sizeof(a), "entryreceiptpf", 14);
	ck_assert_int_eq(msg_send(sv[0], MSG_RECORDED, 4, buf, n, -1), 0);
	ck_assert_int_eq(msg_recv(sv[1], &msg_from_notary, &m), 1);
	ck_assert_uint_eq(m.hdr.len, n);
	ck_assert_mem_eq(m.payload, buf, n);

	/* one byte short, one byte over */
	ck_assert_int_eq(msg_send(sv[0], MSG_RECORDED, 4, buf, n - 1, -1), 0);
	expect_eproto(&msg_from_notary);
	ck_assert_int_eq(msg_send(sv[0], MSG_RECORDED, 4, buf, n + 1, -1), 0);
	expect_eproto(&msg_from_notary);
	/* a failure carries no texts */
	a.status = -1;
	memcpy(buf, &a, sizeof(a));
	ck_assert_int_eq(msg_send(sv[0], MSG_RECORDED, 4, buf, n, -1), 0);
	expect_eproto(&msg_from_notary);
	/* sizes whose sum would wrap are refused, not trusted */
	a.status = 0;
	a.entry_len = UINT64_MAX - 5;
	a.receipt_len = 10;
	a.proof_len = 10;
	memcpy(buf, &a, sizeof(a));
	ck_assert_int_eq(msg_send(sv[0], MSG_RECORDED, 4, buf, n, -1), 0);
	expect_eproto(&msg_from_notary);
	/* the struct alone (texts as chunks) still crosses */
	a.entry_len = 3;
	a.receipt_len = a.proof_len = 0;
	ck_assert_int_eq(msg_send(sv[0], MSG_RECORDED, 4, &a, sizeof(a), -1), 0);
	ck_assert_int_eq(msg_recv(sv[1], &msg_from_notary, &m), 1);
}
END_TEST

START_TEST(largest_chunk_crosses_and_one_byte_more_is_refused_by_the_sender)
{
	static uint8_t buf[MSG_PAYLOAD_MAX + 1];
	struct msg_chunk *c = (struct msg_chunk *)buf;

	c->what = MSG_TEXT_PROOF;
	c->len = MSG_CHUNK_MAX;
	ck_assert_int_eq(msg_send(sv[0], MSG_TEXT, 1, buf, MSG_PAYLOAD_MAX, -1), 0);
	ck_assert_int_eq(msg_recv(sv[1], &msg_from_notary, &m), 1);
	ck_assert_uint_eq(m.hdr.len, MSG_PAYLOAD_MAX);
	errno = 0;
	ck_assert_int_eq(msg_send(sv[0], MSG_TEXT, 1, buf, MSG_PAYLOAD_MAX + 1, -1), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
}
END_TEST

START_TEST(oversized_record_is_refused_by_the_receiver)
{
	static uint8_t buf[sizeof(struct msg_hdr) + MSG_PAYLOAD_MAX + 1];
	struct msg_hdr *h = (struct msg_hdr *)buf;

	h->type = MSG_TEXT;
	h->len = MSG_PAYLOAD_MAX + 1;
	raw_send(buf, sizeof(buf), -1, 0);
	expect_eproto(&msg_from_notary);
}
END_TEST

START_TEST(truncated_records_are_refused)
{
	struct {
		struct msg_hdr h;
		struct msg_finding f;
	} rec = { .h = { .type = MSG_FINDING, .len = sizeof(struct msg_finding) } };

	/* shorter than a header */
	raw_send(&rec, sizeof(rec.h) - 1, -1, 0);
	expect_eproto(&msg_from_inspect);
	/* a header that claims more than the record holds */
	raw_send(&rec, sizeof(rec) - 1, -1, 0);
	expect_eproto(&msg_from_inspect);
	/* and one that claims less */
	rec.h.len = sizeof(struct msg_finding) - 1;
	raw_send(&rec, sizeof(rec), -1, 0);
	expect_eproto(&msg_from_inspect);
}
END_TEST

START_TEST(fixed_size_types_refuse_any_other_size)
{
	static uint8_t buf[sizeof(struct msg_verdict) + 1];

	ck_assert_int_eq(msg_send(sv[0], MSG_VERDICT, 1, buf, sizeof(struct msg_verdict) - 1, -1), 0);
	expect_eproto(&msg_from_inspect);
	ck_assert_int_eq(msg_send(sv[0], MSG_VERDICT, 1, buf, sizeof(struct msg_verdict) + 1, -1), 0);
	expect_eproto(&msg_from_inspect);
	ck_assert_int_eq(msg_send(sv[0], MSG_VERDICT, 1, buf, 0, -1), 0);
	expect_eproto(&msg_from_inspect);
}
END_TEST

START_TEST(unknown_and_misdirected_types_are_refused)
{
	struct msg_record r = { .quarantine = "q-1" };
	struct msg_recorded a = { 0 };
	struct msg_ready rd = { .size = 1 };
	uint32_t zero = 0;
	int fd = tmpfile_fd();

	ck_assert_int_eq(msg_send(sv[0], MSG_TYPE_END, 1, &zero, sizeof(zero), -1), 0);
	expect_eproto(&msg_from_inspect);
	ck_assert_int_eq(msg_send(sv[0], 0, 1, &zero, sizeof(zero), -1), 0);
	expect_eproto(&msg_from_inspect);
	/* an inspector may not ask the front to record, nor answer as the notary */
	ck_assert_int_eq(msg_send(sv[0], MSG_RECORD, 1, &r, sizeof(r), fd), 0);
	expect_eproto(&msg_from_inspect);
	ck_assert_int_eq(msg_send(sv[0], MSG_RECORDED, 1, &a, sizeof(a), -1), 0);
	expect_eproto(&msg_from_inspect);
	/* the notary takes no inspection request */
	struct msg_inspect in = { 0 };
	ck_assert_int_eq(msg_send(sv[0], MSG_INSPECT, 1, &in, sizeof(in), fd), 0);
	expect_eproto(&msg_to_notary);
	/* only the notary says it is ready; the front never answers a record */
	ck_assert_int_eq(msg_send(sv[0], MSG_READY, 0, &rd, sizeof(rd), -1), 0);
	expect_eproto(&msg_to_notary);
	ck_assert_int_eq(msg_send(sv[0], MSG_READY, 0, &rd, sizeof(rd), -1), 0);
	expect_eproto(&msg_from_inspect);
	ck_assert_int_eq(msg_send(sv[0], MSG_RECORD, 1, &r, sizeof(r), fd), 0);
	expect_eproto(&msg_from_notary);
	close(fd);
}
END_TEST

START_TEST(descriptors_must_come_exactly_where_the_type_says)
{
	struct msg_inspect in = { 0 };
	struct msg_finding f = { 0 };
	int fd = tmpfile_fd();
	int before = open_fds();

	/* a request without its file */
	ck_assert_int_eq(msg_send(sv[0], MSG_INSPECT, 1, &in, sizeof(in), -1), 0);
	expect_eproto(&msg_to_inspect);
	/* a finding with a descriptor smuggled in: refused, and the copy closed */
	ck_assert_int_eq(msg_send(sv[0], MSG_FINDING, 1, &f, sizeof(f), fd), 0);
	expect_eproto(&msg_from_inspect);
	ck_assert_int_eq(open_fds(), before);
	/* two descriptors where one is allowed: both closed */
	struct {
		struct msg_hdr h;
		struct msg_inspect in;
	} rec = { .h = { .type = MSG_INSPECT, .len = sizeof(in) } };
	raw_send(&rec, sizeof(rec), fd, 2);
	expect_eproto(&msg_to_inspect);
	ck_assert_int_eq(open_fds(), before);
	close(fd);
}
END_TEST

START_TEST(unterminated_strings_are_refused)
{
	struct msg_inspect in = { 0 };
	struct msg_finding f = { 0 };
	struct msg_wbref w = { 0 };
	struct msg_verdict v = { 0 };
	struct msg_record r = { 0 };
	struct msg_recorded a = { 0 };
	int fd = tmpfile_fd();

	memset(in.filename, 'a', sizeof(in.filename));
	ck_assert_int_eq(msg_send(sv[0], MSG_INSPECT, 1, &in, sizeof(in), fd), 0);
	expect_eproto(&msg_to_inspect);
	memset(f.detail, 'a', sizeof(f.detail));
	ck_assert_int_eq(msg_send(sv[0], MSG_FINDING, 1, &f, sizeof(f), -1), 0);
	expect_eproto(&msg_from_inspect);
	memset(w.sha256, 'a', sizeof(w.sha256));
	ck_assert_int_eq(msg_send(sv[0], MSG_WBREF, 1, &w, sizeof(w), -1), 0);
	expect_eproto(&msg_from_inspect);
	memset(v.type, 'a', sizeof(v.type));
	ck_assert_int_eq(msg_send(sv[0], MSG_VERDICT, 1, &v, sizeof(v), -1), 0);
	expect_eproto(&msg_to_notary);
	memset(r.party, 'A', sizeof(r.party));
	ck_assert_int_eq(msg_send(sv[0], MSG_RECORD, 1, &r, sizeof(r), fd), 0);
	expect_eproto(&msg_to_notary);
	memset(a.time, '2', sizeof(a.time));
	ck_assert_int_eq(msg_send(sv[0], MSG_RECORDED, 1, &a, sizeof(a), -1), 0);
	expect_eproto(&msg_from_notary);
	struct msg_ready rd = { 0 };
	memset(rd.vkey, 'k', sizeof(rd.vkey));
	ck_assert_int_eq(msg_send(sv[0], MSG_READY, 0, &rd, sizeof(rd), -1), 0);
	expect_eproto(&msg_from_notary);
	close(fd);
}
END_TEST

START_TEST(a_request_carrying_a_pointer_or_too_many_types_is_refused)
{
	struct msg_inspect in = { 0 };
	int fd = tmpfile_fd();

	/* the sender's kinds pointer never crosses: the receiver sets its own */
	in.policy.kinds = (struct kind *)&in;
	ck_assert_int_eq(msg_send(sv[0], MSG_INSPECT, 1, &in, sizeof(in), fd), 0);
	expect_eproto(&msg_to_inspect);
	in.policy.kinds = NULL;
	in.policy.nkinds = 1;
	ck_assert_int_eq(msg_send(sv[0], MSG_INSPECT, 1, &in, sizeof(in), fd), 0);
	expect_eproto(&msg_to_inspect);
	in.policy.nkinds = 0;
	in.kind.ntypes = KIND_TYPES_MAX + 1;
	ck_assert_int_eq(msg_send(sv[0], MSG_INSPECT, 1, &in, sizeof(in), fd), 0);
	expect_eproto(&msg_to_inspect);
	in.kind.ntypes = 1;
	memset(in.kind.types[KIND_TYPES_MAX - 1], 'a', MIME_MAX);
	ck_assert_int_eq(msg_send(sv[0], MSG_INSPECT, 1, &in, sizeof(in), fd), 0);
	expect_eproto(&msg_to_inspect);
	memset(in.kind.types[KIND_TYPES_MAX - 1], 0, MIME_MAX);
	memset(in.kind.name, 'a', sizeof(in.kind.name));
	ck_assert_int_eq(msg_send(sv[0], MSG_INSPECT, 1, &in, sizeof(in), fd), 0);
	expect_eproto(&msg_to_inspect);
	close(fd);
}
END_TEST

START_TEST(flags_that_are_not_zero_or_one_are_refused)
{
	struct msg_finding f = { .reject = 2 };
	struct msg_recorded a = { .status = 1 };

	ck_assert_int_eq(msg_send(sv[0], MSG_FINDING, 1, &f, sizeof(f), -1), 0);
	expect_eproto(&msg_from_inspect);
	ck_assert_int_eq(msg_send(sv[0], MSG_RECORDED, 1, &a, sizeof(a), -1), 0);
	expect_eproto(&msg_from_notary);
}
END_TEST

START_TEST(chunks_that_lie_about_their_length_or_kind_are_refused)
{
	uint8_t chunk[sizeof(struct msg_chunk) + 4] = { 0 };
	struct msg_chunk *c = (struct msg_chunk *)chunk;

	c->what = MSG_TEXT_RECEIPT;
	c->len = 5;                      /* one more than follows */
	ck_assert_int_eq(msg_send(sv[0], MSG_TEXT, 1, chunk, sizeof(chunk), -1), 0);
	expect_eproto(&msg_from_notary);
	c->len = 4;
	c->what = MSG_TEXT_MANIFEST;     /* not a text the notary sends */
	ck_assert_int_eq(msg_send(sv[0], MSG_TEXT, 1, chunk, sizeof(chunk), -1), 0);
	expect_eproto(&msg_from_notary);
	c->what = MSG_TEXT_ENTRY;        /* a manifest chunk must say it is one */
	ck_assert_int_eq(msg_send(sv[0], MSG_MANIFEST, 1, chunk, sizeof(chunk), -1), 0);
	expect_eproto(&msg_from_inspect);
	/* shorter than a chunk header */
	ck_assert_int_eq(msg_send(sv[0], MSG_TEXT, 1, chunk, 3, -1), 0);
	expect_eproto(&msg_from_notary);
}
END_TEST

START_TEST(ready_crosses_and_a_short_or_long_one_is_refused)
{
	struct msg_ready rd = { .size = 42 };
	uint8_t big[sizeof(rd) + 1] = { 0 };

	strcpy(rd.vkey, "intake.example.org/log+01234567+AQID");
	ck_assert_int_eq(msg_send(sv[0], MSG_READY, 0, &rd, sizeof(rd), -1), 0);
	ck_assert_int_eq(msg_recv(sv[1], &msg_from_notary, &m), 1);
	ck_assert_uint_eq(m.hdr.type, MSG_READY);
	ck_assert_mem_eq(m.payload, &rd, sizeof(rd));
	ck_assert_int_eq(msg_send(sv[0], MSG_READY, 0, &rd, sizeof(rd) - 1, -1), 0);
	expect_eproto(&msg_from_notary);
	ck_assert_int_eq(msg_send(sv[0], MSG_READY, 0, big, sizeof(big), -1), 0);
	expect_eproto(&msg_from_notary);
}
END_TEST

START_TEST(a_record_naming_anything_but_a_plain_quarantine_name_is_refused)
{
	const char *bad[] = { "", ".", "..", "../log.key", "quarantine/q-1", "/etc/passwd",
	    "q-\n1" };
	struct msg_record r = { 0 };
	int fd = tmpfile_fd();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&r, 0, sizeof(r));
		strcpy(r.quarantine, bad[i]);
		ck_assert_int_eq(msg_send(sv[0], MSG_RECORD, 1, &r, sizeof(r), fd), 0);
		expect_eproto(&msg_to_notary);
	}
	/* a name filling its whole array has no room for its end */
	memset(r.quarantine, 'q', sizeof(r.quarantine));
	ck_assert_int_eq(msg_send(sv[0], MSG_RECORD, 1, &r, sizeof(r), fd), 0);
	expect_eproto(&msg_to_notary);
	close(fd);
}
END_TEST

START_TEST(a_record_with_an_unterminated_agent_or_a_bad_plan_flag_is_refused)
{
	struct msg_record r;
	int fd = tmpfile_fd();

	memset(&r, 0, sizeof(r));
	strcpy(r.quarantine, "q-1");
	memset(r.agent, 'A', sizeof(r.agent));
	ck_assert_int_eq(msg_send(sv[0], MSG_RECORD, 1, &r, sizeof(r), fd), 0);
	expect_eproto(&msg_to_notary);
	memset(r.agent, 0, sizeof(r.agent));
	r.has_plan = 2;
	ck_assert_int_eq(msg_send(sv[0], MSG_RECORD, 1, &r, sizeof(r), fd), 0);
	expect_eproto(&msg_to_notary);
	r.has_plan = 1;
	r.plan = 7;
	strcpy(r.agent, "SRP1");
	ck_assert_int_eq(msg_send(sv[0], MSG_RECORD, 1, &r, sizeof(r), fd), 0);
	ck_assert_int_eq(msg_recv(sv[1], &msg_to_notary, &m), 1);
	ck_assert_int_ge(m.fd, 0);
	close(m.fd);
	ck_assert_mem_eq(m.payload, &r, sizeof(r));
	close(fd);
}
END_TEST

START_TEST(a_fact_crosses_to_the_notary_without_a_descriptor_only)
{
	struct msg_fact f;
	int fd = tmpfile_fd();

	memset(&f, 0, sizeof(f));
	strcpy(f.party, "ALPHA");
	strcpy(f.recorded_by, "SECAS");
	strcpy(f.fact, "cio-fieldwork");
	strcpy(f.date, "2025-01-10");
	ck_assert_int_eq(msg_send(sv[0], MSG_FACT, 3, &f, sizeof(f), -1), 0);
	ck_assert_int_eq(msg_recv(sv[1], &msg_to_notary, &m), 1);
	ck_assert_uint_eq(m.hdr.type, MSG_FACT);
	ck_assert_int_eq(m.fd, -1);
	ck_assert_mem_eq(m.payload, &f, sizeof(f));
	/* with a descriptor, short, or a field without its end: refused */
	ck_assert_int_eq(msg_send(sv[0], MSG_FACT, 3, &f, sizeof(f), fd), 0);
	expect_eproto(&msg_to_notary);
	ck_assert_int_eq(msg_send(sv[0], MSG_FACT, 3, &f, sizeof(f) - 1, -1), 0);
	expect_eproto(&msg_to_notary);
	memset(f.date, '9', sizeof(f.date));
	ck_assert_int_eq(msg_send(sv[0], MSG_FACT, 3, &f, sizeof(f), -1), 0);
	expect_eproto(&msg_to_notary);
	/* the notary never sends one, the inspector never receives one */
	strcpy(f.date, "2025-01-10");
	ck_assert_int_eq(msg_send(sv[0], MSG_FACT, 3, &f, sizeof(f), -1), 0);
	expect_eproto(&msg_from_notary);
	ck_assert_int_eq(msg_send(sv[0], MSG_FACT, 3, &f, sizeof(f), -1), 0);
	expect_eproto(&msg_to_inspect);
	close(fd);
}
END_TEST

START_TEST(a_closed_peer_reads_as_end_not_as_a_message)
{
	close(sv[0]);
	sv[0] = -1;
	ck_assert_int_eq(msg_recv(sv[1], &msg_from_inspect, &m), 0);
}
END_TEST

START_TEST(pre_hash_messages_go_to_the_notary_only_with_the_descriptor_rule)
{
	struct msg_hash h = { .upto = 16u << 20 };
	int fd = tmpfile_fd();

	/* the open carries the file, the others never do */
	ck_assert_int_eq(msg_send(sv[0], MSG_HASH_OPEN, 7, &h, sizeof(h), fd), 0);
	ck_assert_int_eq(msg_recv(sv[1], &msg_to_notary, &m), 1);
	ck_assert_uint_eq(m.hdr.type, MSG_HASH_OPEN);
	ck_assert_uint_eq(m.hdr.id, 7);
	ck_assert_int_ge(m.fd, 0);
	close(m.fd);
	ck_assert_int_eq(msg_send(sv[0], MSG_HASH_MORE, 7, &h, sizeof(h), -1), 0);
	ck_assert_int_eq(msg_recv(sv[1], &msg_to_notary, &m), 1);
	ck_assert_uint_eq(((struct msg_hash *)m.payload)->upto, 16u << 20);
	ck_assert_int_eq(msg_send(sv[0], MSG_HASH_OPEN, 8, &h, sizeof(h), -1), 0);
	expect_eproto(&msg_to_notary);
	ck_assert_int_eq(msg_send(sv[0], MSG_HASH_MORE, 7, &h, sizeof(h), fd), 0);
	expect_eproto(&msg_to_notary);
	ck_assert_int_eq(msg_send(sv[0], MSG_HASH_DROP, 7, &h, sizeof(h), fd), 0);
	expect_eproto(&msg_to_notary);
	ck_assert_int_eq(msg_send(sv[0], MSG_HASH_MORE, 7, &h, sizeof(h) - 1, -1), 0);
	expect_eproto(&msg_to_notary);
	/* nobody else takes them */
	ck_assert_int_eq(msg_send(sv[0], MSG_HASH_DROP, 7, &h, sizeof(h), -1), 0);
	expect_eproto(&msg_from_inspect);
	ck_assert_int_eq(msg_send(sv[0], MSG_HASH_DROP, 7, &h, sizeof(h), -1), 0);
	expect_eproto(&msg_from_notary);
	ck_assert_int_eq(msg_send(sv[0], MSG_HASH_MORE, 7, &h, sizeof(h), -1), 0);
	expect_eproto(&msg_to_inspect);
	close(fd);
}
END_TEST

START_TEST(a_full_nonblocking_socket_sends_nothing_and_says_eagain)
{
	struct msg_finding f = { 0 };
	int n = 0, rc;

	ck_assert_int_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	while ((rc = msg_send(sv[0], MSG_FINDING, (uint64_t)n, &f, sizeof(f), -1)) == 0 && n < 100000)
		n++;
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(errno, EAGAIN);
	/* every record that was sent arrives whole, in order */
	ck_assert_int_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(msg_recv(sv[1], &msg_from_inspect, &m), 1);
		ck_assert_uint_eq(m.hdr.id, (uint64_t)i);
	}
	ck_assert_int_eq(msg_recv(sv[1], &msg_from_inspect, &m), -1);
	ck_assert_int_eq(errno, EAGAIN);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("msg");
	SRunner *sr;
	int nf;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, inspect_request_crosses_with_its_descriptor);
	tcase_add_test(tc, every_verdict_message_crosses_both_hops);
	tcase_add_test(tc, record_request_and_answer_cross);
	tcase_add_test(tc, an_answer_with_its_texts_inline_crosses_and_a_wrong_size_is_refused);
	tcase_add_test(tc, largest_chunk_crosses_and_one_byte_more_is_refused_by_the_sender);
	tcase_add_test(tc, oversized_record_is_refused_by_the_receiver);
	tcase_add_test(tc, truncated_records_are_refused);
	tcase_add_test(tc, fixed_size_types_refuse_any_other_size);
	tcase_add_test(tc, unknown_and_misdirected_types_are_refused);
	tcase_add_test(tc, descriptors_must_come_exactly_where_the_type_says);
	tcase_add_test(tc, unterminated_strings_are_refused);
	tcase_add_test(tc, a_request_carrying_a_pointer_or_too_many_types_is_refused);
	tcase_add_test(tc, flags_that_are_not_zero_or_one_are_refused);
	tcase_add_test(tc, chunks_that_lie_about_their_length_or_kind_are_refused);
	tcase_add_test(tc, ready_crosses_and_a_short_or_long_one_is_refused);
	tcase_add_test(tc, a_record_naming_anything_but_a_plain_quarantine_name_is_refused);
	tcase_add_test(tc, a_record_with_an_unterminated_agent_or_a_bad_plan_flag_is_refused);
	tcase_add_test(tc, a_fact_crosses_to_the_notary_without_a_descriptor_only);
	tcase_add_test(tc, a_closed_peer_reads_as_end_not_as_a_message);
	tcase_add_test(tc, a_full_nonblocking_socket_sends_nothing_and_says_eagain);
	tcase_add_test(tc, pre_hash_messages_go_to_the_notary_only_with_the_descriptor_rule);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
