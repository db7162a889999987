/*
 * tests/unit/notary.c: the sequencer end to end (notary.c, store.c, the
 * ledger underneath): receipts and proofs that verify with the public
 * library, contiguous indices under concurrent submission, the store (mode,
 * content, rejected blobs never kept), start-up recovery (quarantine,
 * orphan blobs, a tampered ledger refused, a key of another log refused),
 * a batch whose commit fails (file size limit) leaving no trace, and the
 * notary's own check of a director letter's ?plan= against the ledger.
 * With INTAKE_TEST_DSN set (tests/pg.sh), two notaries ("nodes") share one
 * PostgreSQL ledger: started at once on an empty database, then taking
 * uploads at once, they give contiguous indices and proofs that verify.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <sqlite3.h>

#include "intake/note.h"
#include "intake/receipt.h"
#include "lib/util.h"
#include "notary/ledger.h"
#include "notary/monitor.h"
#include "notary/notary.h"
#include "notary/store.h"

#define ORIGIN    "notary.test/log"
#define CERT      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define THREADS   5
#define PER_THREAD 10
#define WAIT_SECS 30

static char dir[64];
static struct config cfg;
static char *vkey;

struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	int             done;
};

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	chmod(path, 0700);
	return remove(path);
}

static void
write_key(const char *name, const char *path)
{
	char *skey = NULL, *v = NULL;
	int fd;

	ck_assert_int_eq(intake_keygen(name, &skey, &v), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, skey, strlen(skey)), (ssize_t)strlen(skey));
	ck_assert_int_eq(write(fd, "\n", 1), 1);
	close(fd);
	intake_freezero(skey, strlen(skey));
	free(vkey);
	vkey = v;
}

static void
setup(void)
{
	strcpy(dir, "/tmp/notary-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.data, sizeof(cfg.data), "%s/var/data", dir);
	snprintf(cfg.log_key, sizeof(cfg.log_key), "%s/log.key", dir);
	strcpy(cfg.log_origin, ORIGIN);
	write_key(ORIGIN, cfg.log_key);
}

static void
teardown(void)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(vkey);
	vkey = NULL;
}

static struct notary *
open_notary(void)
{
	char err[512] = "";
	struct notary *n = notary_open(&cfg, err, sizeof(err));

	ck_assert_msg(n != NULL, "notary_open: %s", err);
	ck_assert_str_eq(notary_vkey(n), vkey);
	return n;
}

static void
done_cb(struct notary_job *job, void *arg)
{
	struct waiter *w = arg;

	(void)job;
	pthread_mutex_lock(&w->mu);
	w->done++;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void
wait_for(struct waiter *w, int n)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += WAIT_SECS;
	pthread_mutex_lock(&w->mu);
	while (w->done < n)
		ck_assert_int_eq(pthread_cond_timedwait(&w->cv, &w->mu, &ts), 0);
	pthread_mutex_unlock(&w->mu);
}

static struct waiter *
waiter_new(void)
{
	struct waiter *w = calloc(1, sizeof(*w));

	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	return w;
}

/* A job as the front would hand it over: CONTENT in a quarantine file. */
static struct notary_job *
make_job(const char *content, int accepted, struct waiter *w)
{
	struct notary_job *j = calloc(1, sizeof(*j));
	size_t len = strlen(content);
	int fd;

	ck_assert_ptr_nonnull(j);
	strcpy(j->party, "ALPHA");
	strcpy(j->cert_sha256, CERT);
	strcpy(j->kind, "evidence");
	strcpy(j->filename, "doc.pdf");
	fd = store_open_quarantine(cfg.data, j->quarantine, sizeof(j->quarantine));
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
	close(fd);
	j->size = len;
	util_sha256(content, len, j->sha256);
	j->result.accepted = accepted;
	strcpy(j->result.type, "application/pdf");
	if (!accepted) {
		j->result.nfindings = 1;
		strcpy(j->result.findings[0].code, "pdf-javascript");
		strcpy(j->result.findings[0].detail, "/JS in object 4");
	}
	j->done = done_cb;
	j->arg = w;
	return j;
}

static void
free_job(struct notary_job *j)
{
	notary_job_clear(j);
	free(j);
}

/* Submits one job and waits for it. */
static struct notary_job *
record(struct notary *n, const char *content, int accepted)
{
	struct waiter *w = waiter_new();
	struct notary_job *j = make_job(content, accepted, w);

	notary_submit(n, j);
	wait_for(w, 1);
	free(w);
	return j;
}

static void
assert_verifies(const struct notary_job *j)
{
	struct intake_verifier *v = intake_verifier_new(vkey);
	char why[256] = "";

	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(j->status, 0);
	ck_assert_ptr_nonnull(j->entry);
	ck_assert_ptr_nonnull(j->receipt);
	ck_assert_ptr_nonnull(j->proof);
	ck_assert_msg(intake_receipt_verify(v, j->receipt, strlen(j->receipt), j->proof,
	    strlen(j->proof), j->sha256, why, sizeof(why)) == 0,
	    "receipt %" PRIu64 ": %s", j->index, why);
	ck_assert_int_eq(strncmp(j->receipt, j->entry, strlen(j->entry)), 0);
	intake_verifier_free(v);
}

static void
blob_path(const uint8_t sha[32], char *path, size_t len)
{
	ck_assert_int_eq(store_path(cfg.data, sha, path, len), 0);
}

static int
quarantine_count(void)
{
	char q[PATH_MAX], cmd[PATH_MAX + 64];
	FILE *p;
	int n = -1;

	ck_assert_int_eq(store_quarantine_dir(cfg.data, q, sizeof(q)), 0);
	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", q);
	p = popen(cmd, "r");
	ck_assert_int_eq(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static char *
read_checkpoint(uint64_t *size)
{
	char err[256], *note = NULL;
	struct ledger *l = ledger_open(cfg.data, 0, err, sizeof(err));

	ck_assert_msg(l != NULL, "%s", err);
	ck_assert_int_eq(ledger_checkpoint(l, &note, size), 0);
	ledger_close(l);
	return note;
}

START_TEST(notary_empty_log_has_checkpoint_zero)
{
	struct notary *n = open_notary();
	struct intake_verifier *v = intake_verifier_new(vkey);
	struct intake_checkpoint cp;
	uint8_t empty[32];
	uint64_t size;
	char *note;
	struct stat st;

	note = read_checkpoint(&size);
	ck_assert_uint_eq(size, 0);
	ck_assert_int_eq(intake_checkpoint_open(v, note, strlen(note), &cp), 0);
	ck_assert_str_eq(cp.origin, ORIGIN);
	ck_assert_uint_eq(cp.size, 0);
	util_sha256("", 0, empty);
	ck_assert_mem_eq(cp.root, empty, 32);
	/* the data directory is private */
	ck_assert_int_eq(stat(cfg.data, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	free(note);
	intake_verifier_free(v);
	notary_close(n);
}
END_TEST

START_TEST(notary_records_accepted_upload_in_store)
{
	static const char content[] = "%PDF-1.7 accepted evidence";
	struct notary *n = open_notary();
	struct notary_job *j = record(n, content, 1);
	char path[PATH_MAX], buf[256];
	uint8_t sha[32];
	struct stat st;
	ssize_t r;
	int fd;

	assert_verifies(j);
	ck_assert_uint_eq(j->index, 0);
	ck_assert_uint_eq(strlen(j->time), 20);
	ck_assert_ptr_nonnull(strstr(j->entry, "\nindex: 0\n"));
	ck_assert_ptr_nonnull(strstr(j->entry, "\nverdict: accepted\n"));
	ck_assert_ptr_nonnull(strstr(j->entry, j->time));
	/* in the store, read-only, with the right content */
	blob_path(j->sha256, path, sizeof(path));
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0444);
	fd = open(path, O_RDONLY);
	r = read(fd, buf, sizeof(buf));
	close(fd);
	ck_assert_int_eq(r, (ssize_t)strlen(content));
	util_sha256(buf, r, sha);
	ck_assert_mem_eq(sha, j->sha256, 32);
	ck_assert_int_eq(access(j->quarantine, F_OK), -1);
	ck_assert_int_eq(quarantine_count(), 0);
	free_job(j);
	notary_close(n);
}
END_TEST

START_TEST(notary_rejected_upload_is_logged_not_stored)
{
	struct notary *n = open_notary();
	struct notary_job *j = record(n, "%PDF-1.7 /JS (app.alert(1))", 0);
	struct ledger_entry e;
	struct ledger *l;
	char path[PATH_MAX], err[256];

	assert_verifies(j);
	ck_assert_ptr_nonnull(strstr(j->entry, "\nverdict: rejected\n"
	    "finding: pdf-javascript /JS in object 4\n"));
	blob_path(j->sha256, path, sizeof(path));
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(access(j->quarantine, F_OK), -1);
	l = ledger_open(cfg.data, 0, err, sizeof(err));
	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(ledger_get(l, j->index, &e), 0);
	ck_assert_int_eq(e.accepted, 0);
	ck_assert_str_eq(e.entry, j->entry);
	ck_assert_str_eq(e.receipt, j->receipt);
	ck_assert_str_eq(e.findings,
	    "[{\"code\":\"pdf-javascript\",\"member\":\"\",\"detail\":\"/JS in object 4\"}]");
	ledger_entry_clear(&e);
	ledger_close(l);
	free_job(j);
	notary_close(n);
}
END_TEST

struct submitter {
	struct notary     *n;
	struct waiter     *w;
	struct notary_job *jobs[PER_THREAD];
	int                id;
};

static void *
submit_main(void *arg)
{
	struct submitter *s = arg;
	char content[64];

	for (int i = 0; i < PER_THREAD; i++) {
		snprintf(content, sizeof(content), "upload %d of thread %d", i, s->id);
		s->jobs[i] = make_job(content, (i % 3) != 0, s->w);
		notary_submit(s->n, s->jobs[i]);
	}
	return NULL;
}

START_TEST(notary_concurrent_submissions_get_contiguous_indices)
{
	struct notary *n = open_notary();
	struct notary_job *first = record(n, "the first upload", 1);
	struct submitter subs[THREADS];
	pthread_t th[THREADS];
	struct waiter *w = waiter_new();
	int seen[1 + THREADS * PER_THREAD] = { 0 };
	uint64_t size;
	char *note;

	assert_verifies(first);
	ck_assert_uint_eq(first->index, 0);
	seen[0] = 1;
	for (int t = 0; t < THREADS; t++) {
		subs[t].n = n;
		subs[t].w = w;
		subs[t].id = t;
		ck_assert_int_eq(pthread_create(&th[t], NULL, submit_main, &subs[t]), 0);
	}
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	wait_for(w, THREADS * PER_THREAD);
	for (int t = 0; t < THREADS; t++) {
		for (int i = 0; i < PER_THREAD; i++) {
			struct notary_job *j = subs[t].jobs[i];

			assert_verifies(j);
			ck_assert_uint_ge(j->index, 1);
			ck_assert_uint_le(j->index, THREADS * PER_THREAD);
			ck_assert_int_eq(seen[j->index], 0);
			seen[j->index] = 1;
			free_job(j);
		}
	}
	for (int i = 0; i <= THREADS * PER_THREAD; i++)
		ck_assert_int_eq(seen[i], 1);
	note = read_checkpoint(&size);
	ck_assert_uint_eq(size, 1 + THREADS * PER_THREAD);
	free(note);
	free_job(first);
	free(w);
	notary_close(n);
}
END_TEST

START_TEST(notary_checkpoint_survives_reopen)
{
	struct notary *n = open_notary();
	struct notary_job *j;
	char *before, *after;
	uint64_t s1, s2;

	for (int i = 0; i < 3; i++) {
		char c[32];

		snprintf(c, sizeof(c), "file %d", i);
		j = record(n, c, 1);
		ck_assert_int_eq(j->status, 0);
		free_job(j);
	}
	notary_close(n);
	before = read_checkpoint(&s1);
	n = open_notary();
	notary_close(n);
	after = read_checkpoint(&s2);
	ck_assert_uint_eq(s1, 3);
	ck_assert_uint_eq(s2, 3);
	ck_assert_str_eq(before, after);
	/* and the log carries on where it stopped */
	n = open_notary();
	j = record(n, "file 3", 1);
	assert_verifies(j);
	ck_assert_uint_eq(j->index, 3);
	free_job(j);
	notary_close(n);
	free(before);
	free(after);
}
END_TEST

START_TEST(notary_same_content_twice_is_stored_once)
{
	struct notary *n = open_notary();
	struct notary_job *a = record(n, "same bytes", 1);
	struct notary_job *b = record(n, "same bytes", 1);
	char path[PATH_MAX];

	assert_verifies(a);
	assert_verifies(b);
	ck_assert_uint_eq(b->index, a->index + 1);
	blob_path(b->sha256, path, sizeof(path));
	ck_assert_int_eq(access(path, R_OK), 0);
	ck_assert_int_eq(access(b->quarantine, F_OK), -1);
	ck_assert_int_eq(quarantine_count(), 0);
	free_job(a);
	free_job(b);
	notary_close(n);
}
END_TEST

START_TEST(notary_recovery_removes_orphan_blob_and_quarantine)
{
	struct notary *n = open_notary();
	struct notary_job *kept = record(n, "a kept upload", 1);
	char orphan[PATH_MAX], stray[PATH_MAX + 32], q[PATH_MAX], kpath[PATH_MAX];
	uint8_t sha[32];
	int fd;

	ck_assert_int_eq(kept->status, 0);
	notary_close(n);
	/* A blob renamed into the store whose entry never committed. */
	util_sha256("orphan", 6, sha);
	blob_path(sha, orphan, sizeof(orphan));
	*strrchr(orphan, '/') = '\0';
	mkdir(orphan, 0700);
	blob_path(sha, orphan, sizeof(orphan));
	fd = open(orphan, O_WRONLY | O_CREAT | O_EXCL, 0444);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, "orphan", 6), 6);
	close(fd);
	/* A half-received upload, and a file that is not a blob name. */
	fd = store_open_quarantine(cfg.data, q, sizeof(q));
	ck_assert_int_ne(fd, -1);
	close(fd);
	snprintf(stray, sizeof(stray), "%s/store/README", cfg.data);
	fd = open(stray, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ne(fd, -1);
	close(fd);
	ck_assert_int_eq(quarantine_count(), 1);

	n = open_notary();
	ck_assert_int_eq(access(orphan, F_OK), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(access(q, F_OK), -1);
	ck_assert_int_eq(quarantine_count(), 0);
	blob_path(kept->sha256, kpath, sizeof(kpath));
	ck_assert_int_eq(access(kpath, R_OK), 0);
	ck_assert_int_eq(access(stray, F_OK), 0);
	notary_close(n);
	free_job(kept);
}
END_TEST

START_TEST(notary_refuses_tampered_tree)
{
	struct notary *n = open_notary();
	char path[PATH_MAX + 32], err[512] = "";
	sqlite3 *db;

	for (int i = 0; i < 5; i++) {
		char c[32];
		struct notary_job *j;

		snprintf(c, sizeof(c), "file %d", i);
		j = record(n, c, i != 2);
		ck_assert_int_eq(j->status, 0);
		free_job(j);
	}
	notary_close(n);
	snprintf(path, sizeof(path), "%s/ledger.db", cfg.data);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "DROP TRIGGER tree_no_update;"
	    "UPDATE tree SET hash = randomblob(32) WHERE level = 0 AND idx = 1",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_ptr_null(notary_open(&cfg, err, sizeof(err)));
	ck_assert_msg(strstr(err, "refusing to start") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "leaf hash 1") != NULL, "%s", err);
}
END_TEST

START_TEST(notary_refuses_key_of_other_origin)
{
	char err[512] = "";

	write_key("other.example/log", cfg.log_key);
	ck_assert_ptr_null(notary_open(&cfg, err, sizeof(err)));
	ck_assert_str_eq(err, "log key name other.example/log does not match origin " ORIGIN);
}
END_TEST

START_TEST(notary_refuses_key_symlink_and_garbage)
{
	char err[512] = "", link[PATH_MAX];
	int fd;

	/* a symlink to a good key */
	snprintf(link, sizeof(link), "%s/link.key", dir);
	ck_assert_int_eq(symlink(cfg.log_key, link), 0);
	snprintf(cfg.log_key, sizeof(cfg.log_key), "%s", link);
	ck_assert_ptr_null(notary_open(&cfg, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "log key"));
	/* a directory */
	snprintf(cfg.log_key, sizeof(cfg.log_key), "%s", dir);
	ck_assert_ptr_null(notary_open(&cfg, err, sizeof(err)));
	/* not a key */
	snprintf(cfg.log_key, sizeof(cfg.log_key), "%s/junk.key", dir);
	fd = open(cfg.log_key, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_eq(write(fd, "PRIVATE+KEY+x+00000000+AAAA\n", 28), 28);
	close(fd);
	err[0] = '\0';
	ck_assert_ptr_null(notary_open(&cfg, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "not a private key"));
	/* too large */
	fd = open(cfg.log_key, O_WRONLY | O_TRUNC);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(write(fd, "xxxxxxxx", 8), 8);
	close(fd);
	ck_assert_ptr_null(notary_open(&cfg, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "at most"));
}
END_TEST

START_TEST(notary_store_failure_is_not_recorded)
{
	struct notary *n = open_notary();
	struct waiter *w = waiter_new();
	struct notary_job *bad, *outside, *good;
	char path[PATH_MAX];
	int fd;

	/* the size the front claims is not the file's */
	bad = make_job("twelve bytes", 1, w);
	bad->size = 99;
	/* a quarantine path outside the quarantine */
	outside = make_job("elsewhere", 1, w);
	snprintf(outside->quarantine, sizeof(outside->quarantine), "%s/outside", dir);
	fd = open(outside->quarantine, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_eq(write(fd, "elsewhere", 9), 9);
	close(fd);
	good = make_job("fine", 1, w);
	notary_submit(n, bad);
	notary_submit(n, outside);
	notary_submit(n, good);
	wait_for(w, 3);
	ck_assert_int_eq(bad->status, -1);
	ck_assert_int_eq(bad->err, EINVAL);
	ck_assert_ptr_null(bad->receipt);
	ck_assert_int_eq(access(bad->quarantine, F_OK), -1);
	blob_path(bad->sha256, path, sizeof(path));
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(outside->status, -1);
	ck_assert_int_eq(outside->err, EINVAL);
	/* not ours: left where it was */
	ck_assert_int_eq(access(outside->quarantine, F_OK), 0);
	assert_verifies(good);
	ck_assert_uint_eq(good->index, 0);
	free_job(bad);
	free_job(outside);
	free_job(good);
	free(w);
	notary_close(n);
}
END_TEST

START_TEST(notary_failed_commit_leaves_no_trace)
{
	struct notary *n = open_notary();
	struct notary_job *first = record(n, "before the disk filled", 1);
	struct waiter *w = waiter_new();
	struct notary_job *a, *b;
	struct rlimit old, tiny;
	char path[PATH_MAX], *note;
	uint64_t size;

	ck_assert_int_eq(first->status, 0);
	/* Writes beyond one byte now fail (EFBIG): the WAL cannot grow. */
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	tiny = old;
	tiny.rlim_cur = 1;
	a = make_job("lost upload a", 1, w);
	b = make_job("lost upload b", 0, w);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &tiny), 0);
	notary_submit(n, a);
	notary_submit(n, b);
	wait_for(w, 2);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	ck_assert_int_eq(a->status, -1);
	ck_assert(a->err == ENOSPC || a->err == EIO);
	ck_assert_ptr_null(a->receipt);
	ck_assert_ptr_null(a->proof);
	ck_assert_int_eq(b->status, -1);
	/* the blob promoted for the failed batch is gone again */
	blob_path(a->sha256, path, sizeof(path));
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(quarantine_count(), 0);
	free_job(a);
	free_job(b);
	/* the log carries on without a gap */
	a = record(n, "after space was freed", 1);
	assert_verifies(a);
	ck_assert_uint_eq(a->index, 1);
	free_job(a);
	free_job(first);
	free(w);
	notary_close(n);
	note = read_checkpoint(&size);
	ck_assert_uint_eq(size, 2);
	free(note);
	/* and it still passes the start-up check */
	n = open_notary();
	notary_close(n);
}
END_TEST

START_TEST(notary_receipt_carries_ref_digest_and_members)
{
	struct notary *n = open_notary();
	struct waiter *w = waiter_new();
	struct notary_job *j = make_job("PK\x03\x04 zip bytes", 1, w);

	strcpy(j->kind, "evidence-bundle");
	strcpy(j->ref, "EV-007");
	strcpy(j->client_digest, "sha-256=:AAAA:");
	j->result.is_archive = 1;
	j->result.members = 3;
	j->result.manifest = strdup("a.pdf\nb.pdf\nc.csv\n");
	j->result.manifest_len = strlen(j->result.manifest);
	util_sha256(j->result.manifest, j->result.manifest_len, j->result.manifest_sha256);
	notary_submit(n, j);
	wait_for(w, 1);
	assert_verifies(j);
	ck_assert_ptr_nonnull(strstr(j->entry, "\nref: EV-007\n"));
	ck_assert_ptr_nonnull(strstr(j->entry, "\nclient-digest: sha-256=:AAAA:\ntype: "));
	ck_assert_ptr_nonnull(strstr(j->entry, "\nverdict: accepted\nmembers: 3 "));
	free_job(j);
	free(w);
	notary_close(n);
}
END_TEST


/* Submits one job of PARTY and KIND and waits for it: its index. */
static uint64_t
record_as(struct notary *n, const char *content, int accepted, const char *party,
    const char *kind)
{
	struct waiter *w = waiter_new();
	struct notary_job *j = make_job(content, accepted, w);
	uint64_t index;

	snprintf(j->party, sizeof(j->party), "%s", party);
	snprintf(j->kind, sizeof(j->kind), "%s", kind);
	notary_submit(n, j);
	wait_for(w, 1);
	ck_assert_int_eq(j->status, 0);
	index = j->index;
	free_job(j);
	free(w);
	return index;
}

/* What the front claims with ?plan=, checked by the notary from its own
 * reading of the ledger: only a director-letter, only naming an accepted
 * remediation-plan receipt of the same Party. */
START_TEST(notary_rechecks_the_plan_a_letter_names)
{
	struct notary *n = open_notary();
	uint64_t plan, bplan, rejected, evidence;
	struct ledger *l;
	char err[256];

	plan = record_as(n, "ALPHA's plan", 1, "ALPHA", KIND_REMEDIATION_PLAN);
	bplan = record_as(n, "BETA's plan", 1, "BETA", KIND_REMEDIATION_PLAN);
	rejected = record_as(n, "a rejected plan", 0, "ALPHA", KIND_REMEDIATION_PLAN);
	evidence = record_as(n, "evidence", 1, "ALPHA", "evidence");
	l = ledger_open(cfg.data, 0, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	/* what holds */
	ck_assert_int_eq(monitor_plan_claim(l, KIND_DIRECTOR_LETTER, "ALPHA", 1, plan), 0);
	ck_assert_int_eq(monitor_plan_claim(l, KIND_DIRECTOR_LETTER, "BETA", 1, bplan), 0);
	ck_assert_int_eq(monitor_plan_claim(l, "evidence", "ALPHA", 0, 0), 0);
	ck_assert_int_eq(monitor_plan_claim(l, KIND_DIRECTOR_LETTER, "ALPHA", 0, 0), 0);
	/* what a lying front could claim */
	ck_assert_int_eq(monitor_plan_claim(l, KIND_DIRECTOR_LETTER, "ALPHA", 1, bplan), 1);
	ck_assert_int_eq(monitor_plan_claim(l, KIND_DIRECTOR_LETTER, "BETA", 1, plan), 1);
	ck_assert_int_eq(monitor_plan_claim(l, KIND_DIRECTOR_LETTER, "ALPHA", 1, rejected), 1);
	ck_assert_int_eq(monitor_plan_claim(l, KIND_DIRECTOR_LETTER, "ALPHA", 1, evidence), 1);
	ck_assert_int_eq(monitor_plan_claim(l, KIND_DIRECTOR_LETTER, "ALPHA", 1, evidence + 1), 1);
	ck_assert_int_eq(monitor_plan_claim(l, KIND_DIRECTOR_LETTER, "ALPHA", 1, UINT64_MAX), 1);
	ck_assert_int_eq(monitor_plan_claim(l, "evidence", "ALPHA", 1, plan), 1);
	ck_assert_int_eq(monitor_plan_claim(l, KIND_REMEDIATION_PLAN, "ALPHA", 1, plan), 1);
	ck_assert_int_eq(ledger_plan_ok(l, plan, "ALPHA"), 1);
	ck_assert_int_eq(ledger_plan_ok(l, plan, "ALPHA "), 0);
	ledger_close(l);
	notary_close(n);
}
END_TEST

/* The store on its own (store.c), without a notary. */

static void
store_setup(void)
{
	setup();
	snprintf(cfg.data, sizeof(cfg.data), "%s/data", dir);
	ck_assert_int_eq(mkdir(cfg.data, 0700), 0);
}

static int
quarantined(const char *content, char *path, size_t len)
{
	int fd = store_open_quarantine(cfg.data, path, len);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	return 0;
}

START_TEST(store_quarantine_files_are_private_and_unique)
{
	char a[PATH_MAX], b[PATH_MAX], qdir[PATH_MAX];
	struct stat st;
	int fa, fb;

	ck_assert_int_eq(store_init(cfg.data), 0);
	ck_assert_int_eq(store_init(cfg.data), 0);     /* idempotent */
	fa = store_open_quarantine(cfg.data, a, sizeof(a));
	fb = store_open_quarantine(cfg.data, b, sizeof(b));
	ck_assert_int_ne(fa, -1);
	ck_assert_int_ne(fb, -1);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(store_quarantine_dir(cfg.data, qdir, sizeof(qdir)), 0);
	ck_assert_int_eq(strncmp(a, qdir, strlen(qdir)), 0);
	ck_assert_int_eq(fstat(fa, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(fcntl(fa, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(stat(qdir, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	close(fa);
	close(fb);
	/* a path too long for the buffer is refused, not truncated */
	ck_assert_int_eq(store_open_quarantine(cfg.data, a, 10), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
}
END_TEST

START_TEST(store_commit_replaces_damaged_blob)
{
	char q[PATH_MAX], path[PATH_MAX], buf[64];
	uint8_t sha[32];
	int fd;

	ck_assert_int_eq(store_init(cfg.data), 0);
	util_sha256("good content", 12, sha);
	quarantined("good content", q, sizeof(q));
	ck_assert_int_eq(store_commit(cfg.data, q, sha, 12), 0);
	/* truncate the stored blob behind the store's back */
	blob_path(sha, path, sizeof(path));
	chmod(path, 0600);
	ck_assert_int_eq(truncate(path, 4), 0);
	quarantined("good content", q, sizeof(q));
	ck_assert_int_eq(store_commit(cfg.data, q, sha, 12), 0);
	fd = open(path, O_RDONLY);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 12);
	close(fd);
	ck_assert_int_eq(memcmp(buf, "good content", 12), 0);
	/* the same content again: kept once, the copy dropped */
	quarantined("good content", q, sizeof(q));
	ck_assert_int_eq(store_commit(cfg.data, q, sha, 12), 1);
	ck_assert_int_eq(access(q, F_OK), -1);
}
END_TEST

START_TEST(store_commit_refuses_symlink_and_foreign_paths)
{
	char q[PATH_MAX + 32], qdir[PATH_MAX], target[PATH_MAX], path[PATH_MAX];
	uint8_t sha[32];
	int fd;

	ck_assert_int_eq(store_init(cfg.data), 0);
	ck_assert_int_eq(store_quarantine_dir(cfg.data, qdir, sizeof(qdir)), 0);
	snprintf(target, sizeof(target), "%s/secret", dir);
	fd = open(target, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_eq(write(fd, "secret", 6), 6);
	close(fd);
	util_sha256("secret", 6, sha);
	/* a symlink planted in the quarantine */
	snprintf(q, sizeof(q), "%s/q-link", qdir);
	ck_assert_int_eq(symlink(target, q), 0);
	ck_assert_int_eq(store_commit(cfg.data, q, sha, 6), -1);
	ck_assert_int_eq(errno, ELOOP);
	blob_path(sha, path, sizeof(path));
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(access(target, F_OK), 0);
	/* paths that leave the quarantine */
	snprintf(q, sizeof(q), "%s/../secret", qdir);
	ck_assert_int_eq(store_commit(cfg.data, q, sha, 6), -1);
	ck_assert_int_eq(errno, EINVAL);
	snprintf(q, sizeof(q), "%s/..", qdir);
	ck_assert_int_eq(store_commit(cfg.data, q, sha, 6), -1);
	snprintf(q, sizeof(q), "%s", target);
	ck_assert_int_eq(store_commit(cfg.data, q, sha, 6), -1);
	ck_assert_int_eq(access(target, F_OK), 0);
	ck_assert_int_eq(access(path, F_OK), -1);
	/* discarding is held to the same rule */
	ck_assert_int_eq(store_discard(cfg.data, target), -1);
	ck_assert_int_eq(access(target, F_OK), 0);
	snprintf(q, sizeof(q), "%s/q-gone", qdir);
	ck_assert_int_eq(store_discard(cfg.data, q), 0);
}
END_TEST

static int
keep_none(const uint8_t sha[32], void *arg)
{
	(void)sha;
	++*(int *)arg;
	return 0;
}

START_TEST(store_sweep_removes_only_blob_names)
{
	char q[PATH_MAX], path[PATH_MAX], odd[PATH_MAX + 64];
	uint8_t sha[32];
	unsigned removed, strange;
	int calls = 0, fd;

	ck_assert_int_eq(store_init(cfg.data), 0);
	util_sha256("x", 1, sha);
	quarantined("x", q, sizeof(q));
	ck_assert_int_eq(store_commit(cfg.data, q, sha, 1), 0);
	blob_path(sha, path, sizeof(path));
	/* a blob name in the wrong fan-out directory */
	snprintf(odd, sizeof(odd), "%s/store/00", cfg.data);
	ck_assert_int_eq(mkdir(odd, 0700), 0);
	snprintf(odd, sizeof(odd), "%s/store/00/%s", cfg.data, strrchr(path, '/') + 1);
	fd = open(odd, O_WRONLY | O_CREAT, 0600);
	close(fd);
	ck_assert_int_eq(store_sweep(cfg.data, keep_none, &calls, &removed, &strange), 0);
	ck_assert_int_eq(calls, 1);
	ck_assert_uint_eq(removed, 1);
	ck_assert_uint_eq(strange, 1);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(access(odd, F_OK), 0);
}
END_TEST

/* ---- two nodes on one PostgreSQL ledger ----------------------------------- */

struct node_open {
	struct notary *n;
	char           err[512];
};

static void *
node_open_main(void *arg)
{
	struct node_open *o = arg;

	o->n = notary_open(&cfg, o->err, sizeof(o->err));
	return NULL;
}

START_TEST(notary_two_nodes_share_a_postgresql_ledger)
{
	const char *dsn = getenv("INTAKE_TEST_DSN");
	struct node_open o[2];
	struct submitter subs[4];
	pthread_t th[4];
	struct waiter *w = waiter_new();
	int seen[4 * PER_THREAD] = { 0 };
	struct intake_verifier *v;
	struct ledger *l;
	char err[512] = "";
	uint64_t size;
	PGconn *c;
	PGresult *r;

	c = PQconnectdb(dsn);
	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
	r = PQexec(c, "SET client_min_messages = warning; "
	    "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
	ck_assert_int_eq(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	PQfinish(c);
	snprintf(cfg.ledger_backend, sizeof(cfg.ledger_backend), "postgresql");
	snprintf(cfg.ledger_dsn_buf, sizeof(cfg.ledger_dsn_buf), "%s", dsn);

	/* both start on the empty ledger at once: one writes checkpoint 0 */
	memset(o, 0, sizeof(o));
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, node_open_main, &o[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	ck_assert_msg(o[0].n != NULL, "node 0: %s", o[0].err);
	ck_assert_msg(o[1].n != NULL, "node 1: %s", o[1].err);

	/* uploads to both at once: each node's batches extend the other's */
	for (int t = 0; t < 4; t++) {
		subs[t].n = o[t % 2].n;
		subs[t].w = w;
		subs[t].id = t;
		ck_assert_int_eq(pthread_create(&th[t], NULL, submit_main, &subs[t]), 0);
	}
	for (int t = 0; t < 4; t++)
		pthread_join(th[t], NULL);
	wait_for(w, 4 * PER_THREAD);
	for (int t = 0; t < 4; t++)
		for (int i = 0; i < PER_THREAD; i++) {
			struct notary_job *j = subs[t].jobs[i];

			assert_verifies(j);
			ck_assert_uint_lt(j->index, 4 * PER_THREAD);
			ck_assert_int_eq(seen[j->index], 0);
			seen[j->index] = 1;
			free_job(j);
		}
	for (int i = 0; i < 4 * PER_THREAD; i++)
		ck_assert_int_eq(seen[i], 1);
	notary_close(o[0].n);
	notary_close(o[1].n);

	l = ledger_open_dsn(cfg.data, dsn, 0, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	v = intake_verifier_new(vkey);
	ck_assert_msg(ledger_verify(l, v, ORIGIN, &size, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(size, 4 * PER_THREAD);
	intake_verifier_free(v);
	ledger_close(l);
	free(w);
}
END_TEST

static Suite *
notary_suite(void)
{
	Suite *s = suite_create("notary");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, notary_empty_log_has_checkpoint_zero);
	tcase_add_test(tc, notary_records_accepted_upload_in_store);
	tcase_add_test(tc, notary_rejected_upload_is_logged_not_stored);
	tcase_add_test(tc, notary_concurrent_submissions_get_contiguous_indices);
	tcase_add_test(tc, notary_checkpoint_survives_reopen);
	tcase_add_test(tc, notary_same_content_twice_is_stored_once);
	tcase_add_test(tc, notary_recovery_removes_orphan_blob_and_quarantine);
	tcase_add_test(tc, notary_refuses_tampered_tree);
	tcase_add_test(tc, notary_refuses_key_of_other_origin);
	tcase_add_test(tc, notary_refuses_key_symlink_and_garbage);
	tcase_add_test(tc, notary_store_failure_is_not_recorded);
	tcase_add_test(tc, notary_failed_commit_leaves_no_trace);
	tcase_add_test(tc, notary_receipt_carries_ref_digest_and_members);
	tcase_add_test(tc, notary_rechecks_the_plan_a_letter_names);
	suite_add_tcase(s, tc);

	if (getenv("INTAKE_TEST_DSN") != NULL && getenv("INTAKE_TEST_DSN")[0] != '\0') {
		tc = tcase_create("postgresql");
		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_set_timeout(tc, 120);
		tcase_add_test(tc, notary_two_nodes_share_a_postgresql_ledger);
		suite_add_tcase(s, tc);
	} else
		printf("SKIP: notary on PostgreSQL: INTAKE_TEST_DSN is not set "
		    "(tests/pg.sh sets it)\n");

	tc = tcase_create("store");
	tcase_add_checked_fixture(tc, store_setup, teardown);
	tcase_add_test(tc, store_quarantine_files_are_private_and_unique);
	tcase_add_test(tc, store_commit_replaces_damaged_blob);
	tcase_add_test(tc, store_commit_refuses_symlink_and_foreign_paths);
	tcase_add_test(tc, store_sweep_removes_only_blob_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(notary_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
