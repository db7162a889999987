/*
 * tests/unit/monitor.c: the notary process (notary/monitor.c) against a
 * front that lies. A real intaked-notary runs in a child process
 * (notary_serve, as intaked forks it, without the user drop) on one end of
 * a socketpair; the test speaks the real message codec (common/msg.h) on
 * the other. Each lie — a size that is not the descriptor's, a SHA-256
 * that is not its content, a kind the policy does not have, a Party the
 * parties file does not have, a verdict whose counts do not match the
 * findings sent — must end the notary with status 1 and leave the ledger
 * empty. An honest request on the same set-up is recorded, so that the
 * refusals are the lies' and not the harness's.
 *
 * The notary cannot tell which connection an upload came from: a Party
 * that exists but is not the sender's is the front's to get right (its
 * certificate check); here only an unknown Party is refused.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <limits.h>
#include <signal.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/msg.h"
#include "common/proc.h"
#include "intake/note.h"
#include "lib/util.h"
#include "notary/monitor.h"
#include "notary/notary.h"
#include "notary/store.h"

#define ORIGIN    "monitor.test/log"
#define CERT      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define CONTENT   "Access control policy, reviewed 2024-01-10.\n"
#define WAIT_SECS 30

static char dir[64];
static struct config cfg;

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	chmod(path, 0700);
	return remove(path);
}

static void
put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void
setup(void)
{
	char *skey = NULL, *vkey = NULL;

	strcpy(dir, "/tmp/monitor-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.data, sizeof(cfg.data), "%s/data", dir);
	snprintf(cfg.log_key, sizeof(cfg.log_key), "%s/log.key", dir);
	snprintf(cfg.policy_file, sizeof(cfg.policy_file), "%s/policy", dir);
	snprintf(cfg.parties_file, sizeof(cfg.parties_file), "%s/parties", dir);
	strcpy(cfg.log_origin, ORIGIN);
	ck_assert_int_eq(intake_keygen(ORIGIN, &skey, &vkey), 0);
	put(cfg.log_key, skey);
	intake_freezero(skey, strlen(skey));
	free(vkey);
	put(cfg.policy_file, "[kind evidence]\ntypes = text/plain\n");
	put(cfg.parties_file, "[party ALPHA]\nname = Alpha\nmatch = urn:sec:party:ALPHA\n"
	    "role = party\n");
}

static void
teardown(void)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Starts the notary process; returns its pid, *SOCK the front's end once
 * it has said MSG_READY. */
static pid_t
start(int *sock)
{
	struct proc_user u = { .name = "nobody", .drop = 0 };
	struct msg m;
	int sv[2];
	pid_t pid;

	ck_assert_int_eq(msg_socketpair(sv), 0);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		close(sv[0]);
		notary_serve(sv[1], &cfg, &u);
	}
	close(sv[1]);
	ck_assert_int_eq(msg_recv(sv[0], &msg_from_notary, &m), 1);
	ck_assert_int_eq(m.hdr.type, MSG_READY);
	*sock = sv[0];
	return pid;
}

/* The notary's exit status, waited for WAIT_SECS at most. */
static int
wait_exit(pid_t pid)
{
	time_t end = time(NULL) + WAIT_SECS;
	int st;
	pid_t r;

	while ((r = waitpid(pid, &st, WNOHANG)) == 0 && time(NULL) < end)
		usleep(10000);
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		ck_abort_msg("the notary did not end within %d s", WAIT_SECS);
	}
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* The entries in the ledger, as the next start-up sees it. */
static uint64_t
ledger_size(void)
{
	char err[512] = "";
	struct notary *n = notary_open(&cfg, err, sizeof(err));
	uint64_t size;

	ck_assert_msg(n != NULL, "notary_open: %s", err);
	size = notary_size(n);
	notary_close(n);
	return size;
}

/* An honest MSG_RECORD of CONTENT in quarantine file NAME, and its fd. */
static int
honest(struct msg_record *r, const char *name)
{
	char path[PATH_MAX + 64];
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s", cfg.data, QUARANTINE_DIR, name);
	put(path, CONTENT);
	ck_assert_int_ne(fd = open(path, O_RDONLY), -1);
	memset(r, 0, sizeof(*r));
	r->size = strlen(CONTENT);
	util_sha256(CONTENT, strlen(CONTENT), r->sha256);
	r->has_sha256 = 1;
	strcpy(r->party, "ALPHA");
	strcpy(r->cert_sha256, CERT);
	strcpy(r->kind, "evidence");
	strcpy(r->filename, "policy.txt");
	snprintf(r->quarantine, sizeof(r->quarantine), "%s", name);
	return fd;
}

/* An accepted text/plain verdict with NFINDINGS announced. */
static void
verdict(struct msg_verdict *v, uint64_t nfindings)
{
	memset(v, 0, sizeof(*v));
	v->accepted = 1;
	v->nfindings = nfindings;
	strcpy(v->type, "text/plain");
}

/* NO_CLAIM is honest too: the front leaves the hash to the notary (a
 * pre-hashed upload), and the answer carries the notary's own. */
/* SCANNED is honest with [scan] configured: a clamd VERSION line comes
 * with the record. With [scan], a scan line that is not one, or an
 * accepted upload without one, is a lie (issue 19). */
enum lie { LIE_NONE, NO_CLAIM, LIE_SIZE, LIE_SHA256, LIE_KIND, LIE_PARTY, LIE_VERDICT,
	SCANNED, LIE_SCAN_LINE, LIE_UNSCANNED, LIE_N };

static void
run(enum lie lie)
{
	struct msg_record r;
	struct msg_verdict v;
	struct msg_finding f;
	struct msg m;
	int sock, fd, honest_run = lie == LIE_NONE || lie == NO_CLAIM || lie == SCANNED;
	uint8_t want_sha[32];
	pid_t pid;

	util_sha256(CONTENT, strlen(CONTENT), want_sha);
	if (lie == SCANNED || lie == LIE_SCAN_LINE || lie == LIE_UNSCANNED)
		strcpy(cfg.scan_clamd, "/run/clamav/clamd.ctl");
	pid = start(&sock);
	fd = honest(&r, "q1");
	switch (lie) {
	case LIE_SIZE:    r.size--; break;
	case LIE_SHA256:  r.sha256[0] ^= 1; break;
	case NO_CLAIM:    r.has_sha256 = 0; memset(r.sha256, 0xee, sizeof(r.sha256)); break;
	case LIE_KIND:    strcpy(r.kind, "not-a-kind"); break;
	case LIE_PARTY:   strcpy(r.party, "BETA"); break;
	case SCANNED:     strcpy(r.scan, "ClamAV 1.4.6/27461/Tue Dec  3 09:38:00 2024"); break;
	case LIE_SCAN_LINE: strcpy(r.scan, "ClamAV 1.4.6\tverdict: accepted"); break;
	default:          break;
	}
	ck_assert_int_eq(msg_send(sock, MSG_RECORD, 7, &r, sizeof(r), fd), 0);
	close(fd);
	if (lie == LIE_VERDICT) {
		/* one finding sent, and it rejects; the verdict counts none and accepts */
		memset(&f, 0, sizeof(f));
		f.reject = 1;
		strcpy(f.code, "executable");
		strcpy(f.detail, "a program");
		ck_assert_int_eq(msg_send(sock, MSG_FINDING, 7, &f, sizeof(f), -1), 0);
	}
	verdict(&v, 0);
	/* after a lie the notary may be gone already: the send may fail */
	(void)msg_send(sock, MSG_VERDICT, 7, &v, sizeof(v), -1);
	if (honest_run) {
		const struct msg_recorded *a = (const struct msg_recorded *)m.payload;
		uint64_t want, got = 0;

		ck_assert_int_eq(msg_recv(sock, &msg_from_notary, &m), 1);
		ck_assert_int_eq(m.hdr.type, MSG_RECORDED);
		ck_assert_int_eq(a->status, 0);
		ck_assert_mem_eq(a->sha256, want_sha, 32);
		want = a->entry_len + a->receipt_len + a->proof_len;
		/* the texts come inline (a small answer like this one), or the
		 * whole answer is read, as the front does: a peer that closes
		 * on unread messages resets the notary's socket */
		ck_assert_uint_eq(m.hdr.len, sizeof(*a) + want);
		got = m.hdr.len - sizeof(*a);
		while (got < want) {
			ck_assert_int_eq(msg_recv(sock, &msg_from_notary, &m), 1);
			ck_assert_int_eq(m.hdr.type, MSG_TEXT);
			got += ((const struct msg_chunk *)m.payload)->len;
		}
		ck_assert_uint_eq(got, want);
	}
	close(sock);
	if (honest_run) {
		ck_assert_int_eq(wait_exit(pid), 0);
		ck_assert_uint_eq(ledger_size(), 1);
	} else {
		ck_assert_int_eq(wait_exit(pid), 1);
		ck_assert_uint_eq(ledger_size(), 0);
	}
}

START_TEST(lies_refused)
{
	run((enum lie)_i);
}
END_TEST

static Suite *
monitor_suite(void)
{
	Suite *s = suite_create("monitor");
	TCase *tc = tcase_create("lies");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, lies_refused, LIE_NONE, LIE_N);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(monitor_suite());
	int nf;

	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
