/*
 * tests/unit/notary.c: the sequencer end to end (notary.c, store.c, the
 * ledger underneath): receipts and proofs that verify with the public
 * library, contiguous indices under concurrent submission, the store (mode,
 * content, rejected blobs never kept), start-up recovery (quarantine,
 * orphan blobs, a tampered ledger refused, a key of another log refused),
 * a batch whose commit fails (file size limit) leaving no trace, the stash
 * (a small upload's bytes kept in the ledger until its file is durable:
 * drained at close, put back at start when the file is missing or not its
 * bytes, a row that is not its hash's bytes refused), and the
 * notary's own check of a director letter's ?plan= against the ledger.
 * With INTAKE_TEST_DSN set (tests/pg.sh), two notaries ("nodes") share one
 * PostgreSQL ledger: started at once on an empty database, then taking
 * uploads at once, they give contiguous indices and proofs that verify.
 */
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sched.h>
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

static void	age(const char *path, time_t ago);

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

/* The store the notary uses: [store] path, or DATA/store. */
static void
blob_path(const uint8_t sha[32], char *path, size_t len)
{
	char d[PATH_MAX + 8];

	if (cfg.store[0] != '\0')
		snprintf(d, sizeof(d), "%s", cfg.store);
	else
		snprintf(d, sizeof(d), "%s/%s", cfg.data, STORE_DIR);
	ck_assert_int_eq(store_blob_path(d, sha, path, len), 0);
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

/* The stash rows of the ledger under DIR (read-only), their bytes summed. */
static int
stash_cb(const uint8_t sha256[32], const void *data, size_t len, void *arg)
{
	size_t *bytes = arg;

	(void)sha256;
	(void)data;
	*bytes += len + 1;	/* + 1: an empty file counts too */
	return 0;
}

static size_t
stash_bytes(void)
{
	char err[256];
	struct ledger *l = ledger_open(cfg.data, 0, err, sizeof(err));
	size_t bytes = 0;

	ck_assert_msg(l != NULL, "ledger_open: %s", err);
	ck_assert_int_eq(ledger_stash_each(l, stash_cb, &bytes), 0);
	ledger_close(l);
	return bytes;
}

/* Stashes CONTENT as blob SHA256 in the ledger under DIR, as a batch would. */
static void
stash_row(const uint8_t sha256[32], const char *content)
{
	char err[256];
	struct ledger *l = ledger_open(cfg.data, 1, err, sizeof(err));
	uint64_t size;

	ck_assert_msg(l != NULL, "ledger_open: %s", err);
	ck_assert_int_eq(ledger_begin(l, &size), 0);
	ck_assert_int_eq(ledger_stash(l, sha256, content, strlen(content)), 0);
	ck_assert_int_eq(ledger_commit(l), 0);
	ledger_close(l);
}

static void
assert_blob_is(const uint8_t sha256[32], const char *content)
{
	char path[PATH_MAX], buf[256];
	ssize_t r;
	int fd;

	blob_path(sha256, path, sizeof(path));
	ck_assert_int_ne(fd = open(path, O_RDONLY), -1);
	r = read(fd, buf, sizeof(buf));
	close(fd);
	ck_assert_int_eq(r, (ssize_t)strlen(content));
	ck_assert(memcmp(buf, content, strlen(content)) == 0);
}

/* A small upload whose bytes came with it (the monitor's re-hash) is
 * recorded with them in the stash; a clean close makes its file durable
 * and empties the stash. */
START_TEST(notary_stash_is_drained_at_close)
{
	static const char content[] = "%PDF-1.7 stashed evidence";
	struct notary *n = open_notary();
	struct waiter *w = waiter_new();
	struct notary_job *a = make_job(content, 1, w), *b = make_job(content, 1, w);
	uint8_t sha[32];

	a->content = malloc(sizeof(content));
	memcpy(a->content, content, sizeof(content));
	b->content = malloc(sizeof(content));
	memcpy(b->content, content, sizeof(content));
	notary_submit(n, a);
	wait_for(w, 1);
	/* in the stash until the notary has been idle for 200 ms, or closes */
	ck_assert_uint_eq(stash_bytes(), strlen(content) + 1);
	notary_submit(n, b);   /* a duplicate of a stashed file */
	wait_for(w, 2);
	assert_verifies(a);
	assert_verifies(b);
	memcpy(sha, a->sha256, sizeof(sha));
	assert_blob_is(sha, content);
	free_job(a);
	free_job(b);
	free(w);
	notary_close(n);
	ck_assert_uint_eq(stash_bytes(), 0);
	assert_blob_is(sha, content);
}
END_TEST

/* After a power loss: stashed files missing or damaged in the store are put
 * back at start, and the stash emptied; a row whose bytes are not its hash's
 * stops the start. */
START_TEST(notary_stash_puts_back_lost_files_at_start)
{
	static const char gone[] = "a file the power loss took", bad[] = "a file it damaged";
	struct notary *n = open_notary();
	struct notary_job *a = record(n, gone, 1), *b = record(n, bad, 1);
	char path[PATH_MAX], err[512] = "";
	uint8_t sha_a[32], sha_b[32], other[32];
	int fd;

	memcpy(sha_a, a->sha256, 32);
	memcpy(sha_b, b->sha256, 32);
	free_job(a);
	free_job(b);
	notary_close(n);
	/* what the stash held when the power went */
	stash_row(sha_a, gone);
	stash_row(sha_b, bad);
	ck_assert_uint_gt(stash_bytes(), 0);
	blob_path(sha_a, path, sizeof(path));
	ck_assert_int_eq(unlink(path), 0);
	blob_path(sha_b, path, sizeof(path));
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_ne(fd = open(path, O_WRONLY | O_TRUNC), -1);
	ck_assert_int_eq(write(fd, "A FILE IT DAMAGED", 17), 17);
	close(fd);
	n = open_notary();
	assert_blob_is(sha_a, gone);
	assert_blob_is(sha_b, bad);
	blob_path(sha_b, path, sizeof(path));
	{
		struct stat st;

		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_int_eq(st.st_mode & 07777, 0444);
	}
	notary_close(n);
	ck_assert_uint_eq(stash_bytes(), 0);
	/* a row that is not the bytes of the hash it names */
	util_sha256("something else", 14, other);
	stash_row(other, gone);
	ck_assert_ptr_null(notary_open(&cfg, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "stashed"));
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

/*
 * A store shared with other nodes ([store] path): a failed commit leaves its
 * blob (another node may have promoted the same content for its entry), the
 * start-up sweep leaves it while it is young and removes it once it is past
 * the grace period; a referenced blob stays whatever its age. Recovery
 * empties this node's quarantine only, never another node's.
 */
START_TEST(notary_shared_store_keeps_blob_of_failed_commit_until_old)
{
	struct notary *n;
	struct notary_job *first, *a;
	struct waiter *w = waiter_new();
	struct rlimit old, tiny;
	char path[PATH_MAX], fpath[PATH_MAX], other[PATH_MAX], oq[PATH_MAX + 16];
	int fd;

	snprintf(cfg.store, sizeof(cfg.store), "%s/shared/store", dir);
	cfg.store_shared = 1;
	/* another node's data directory beside ours, an upload in its quarantine */
	snprintf(other, sizeof(other), "%s/var/node2", dir);
	n = open_notary();
	ck_assert_int_eq(mkdir(other, 0700), 0);
	ck_assert_int_lt(snprintf(oq, sizeof(oq), "%s/quarantine", other), (int)sizeof(oq));
	ck_assert_int_eq(mkdir(oq, 0700), 0);
	ck_assert_int_lt(snprintf(oq, sizeof(oq), "%s/quarantine/q-theirs", other),
	    (int)sizeof(oq));
	fd = open(oq, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ne(fd, -1);
	close(fd);

	first = record(n, "committed before", 1);
	ck_assert_int_eq(first->status, 0);
	blob_path(first->sha256, fpath, sizeof(fpath));
	ck_assert_int_eq(strncmp(fpath, cfg.store, strlen(cfg.store)), 0);
	ck_assert_int_eq(access(fpath, R_OK), 0);
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	tiny = old;
	tiny.rlim_cur = 1;
	a = make_job("promoted, never committed", 1, w);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &tiny), 0);
	notary_submit(n, a);
	wait_for(w, 1);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	ck_assert_int_eq(a->status, -1);
	ck_assert_ptr_null(a->receipt);
	/* not removed: it may be another node's entry's in a moment */
	blob_path(a->sha256, path, sizeof(path));
	ck_assert_int_eq(access(path, F_OK), 0);
	notary_close(n);

	/* a restart within the grace period leaves it */
	n = open_notary();
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_int_eq(access(oq, F_OK), 0);
	notary_close(n);
	/* past the grace period and still unreferenced: removed; the committed
	 * one stays, however old */
	age(path, STORE_SWEEP_GRACE + 5);
	age(fpath, 10 * STORE_SWEEP_GRACE);
	n = open_notary();
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(access(fpath, R_OK), 0);
	ck_assert_int_eq(access(oq, F_OK), 0);
	ck_assert_int_eq(quarantine_count(), 0);
	notary_close(n);
	free_job(a);
	free_job(first);
	free(w);
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

static struct store st;        /* DATA/store and DATA/quarantine, of one node */
static char mnt[PATH_MAX];     /* a tmpfs this test mounted, "" if none */

static void
store_fixture(void)
{
	setup();
	snprintf(cfg.data, sizeof(cfg.data), "%s/data", dir);
	ck_assert_int_eq(mkdir(cfg.data, 0700), 0);
	ck_assert_int_eq(store_setup(&st, cfg.data, NULL, 0), 0);
	mnt[0] = '\0';
}

static void
store_teardown(void)
{
	if (mnt[0] != '\0')
		ck_assert_msg(umount2(mnt, MNT_DETACH) == 0, "umount %s: %s", mnt, strerror(errno));
	mnt[0] = '\0';
	teardown();
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

static void
st_blob_path(const uint8_t sha[32], char *path, size_t len)
{
	ck_assert_int_eq(store_blob_path(st.dir, sha, path, len), 0);
}

/* Sets PATH's mtime (and atime) to AGO seconds before now. */
static void
age(const char *path, time_t ago)
{
	struct timespec ts[2];

	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= ago;
	ts[1] = ts[0];
	ck_assert_msg(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) == 0, "utimensat %s: %s",
	    path, strerror(errno));
}

static time_t
mtime_of(const char *path)
{
	struct stat sb;

	ck_assert_int_eq(lstat(path, &sb), 0);
	return sb.st_mtime;
}

/* Makes a file NAME in the store's fan-out directory of SHA (or PREFIX when
 * SHA is NULL) holding CONTENT; its path into PATH. */
static void
plant(const char *prefix, const char *name, const char *content, char *path, size_t len)
{
	char d[PATH_MAX + 8];
	int fd;

	snprintf(d, sizeof(d), "%s/%s", st.dir, prefix);
	ck_assert(mkdir(d, 0700) == 0 || errno == EEXIST);
	ck_assert_int_lt(snprintf(path, len, "%s/%s", d, name), (int)len);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0444);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

/* Files whose name starts with .tmp- below the store. */
static int
temp_files(void)
{
	char cmd[PATH_MAX + 64];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "find '%s' -name '.tmp-*' | wc -l", st.dir);
	p = popen(cmd, "r");
	ck_assert_int_eq(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

/*
 * A store directory on another filesystem than the quarantine into STORE:
 * a tmpfs of SIZE mounted here (the tests run as root), else /dev/shm when
 * /tmp is not on its filesystem. 0, or -1 when neither is possible (the
 * caller says it skipped).
 */
static int
other_filesystem(char *store, size_t len, const char *size)
{
	struct stat a, b;
	char opts[64];

	snprintf(mnt, sizeof(mnt), "%s/other", dir);
	ck_assert_int_eq(mkdir(mnt, 0700), 0);
	snprintf(opts, sizeof(opts), "size=%s,mode=0700", size);
	/* in a mount namespace of this test's own process (Check forks one
	 * per test), so that a failed test that skips its teardown leaves no
	 * mount behind: the namespace goes with the process */
	if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		fprintf(stderr, "# cannot make the test's mounts private: %s\n", strerror(errno));
	if (strcmp(size, "bind") == 0) {
		/* the data's own filesystem mounted a second time: rename()
		 * across the two mounts is EXDEV though st_dev is the same, and
		 * copy_file_range works (one superblock) */
		char src[PATH_MAX];

		snprintf(src, sizeof(src), "%s/bindsrc", dir);
		ck_assert_int_eq(mkdir(src, 0700), 0);
		if (mount(src, mnt, NULL, MS_BIND, NULL) == 0) {
			snprintf(store, len, "%s/store", mnt);
			return 0;
		}
		mnt[0] = '\0';
		return -1;
	}
	if (mount("tmpfs", mnt, "tmpfs", 0, opts) == 0) {
		snprintf(store, len, "%s/store", mnt);
		return 0;
	}
	fprintf(stderr, "# cannot mount a tmpfs (%s); trying /dev/shm\n", strerror(errno));
	mnt[0] = '\0';
	if (size[0] != '\0' && strcmp(size, "64m") != 0)
		return -1;      /* a size of its own: only a mount of ours has one */
	if (stat("/dev/shm", &a) == -1 || stat(cfg.data, &b) == -1 || a.st_dev == b.st_dev)
		return -1;
	snprintf(store, len, "/dev/shm/notary-test-store-%ld", (long)getpid());
	return 0;
}

START_TEST(store_quarantine_files_are_private_and_unique)
{
	char a[PATH_MAX], b[PATH_MAX], qdir[PATH_MAX];
	struct stat sb;
	int fa, fb;

	ck_assert_int_eq(store_init(&st), 0);
	ck_assert_int_eq(store_init(&st), 0);     /* idempotent */
	fa = store_open_quarantine(cfg.data, a, sizeof(a));
	fb = store_open_quarantine(cfg.data, b, sizeof(b));
	ck_assert_int_ne(fa, -1);
	ck_assert_int_ne(fb, -1);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(store_quarantine_dir(cfg.data, qdir, sizeof(qdir)), 0);
	ck_assert_str_eq(qdir, st.quarantine);
	ck_assert_int_eq(strncmp(a, qdir, strlen(qdir)), 0);
	/* read-only as it will be in the store; only the descriptor writes */
	ck_assert_int_eq(fstat(fa, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, STORE_BLOB_MODE);
	ck_assert_int_eq(write(fa, "x", 1), 1);
	ck_assert_int_eq(fcntl(fa, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(stat(qdir, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0700);
	close(fa);
	close(fb);
	/* a path too long for the buffer is refused, not truncated */
	ck_assert_int_eq(store_open_quarantine(cfg.data, a, 10), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
}
END_TEST

/* Names come from a pool of random bytes: a child process draws its own,
 * not the ones its parent draws next (its name is made in another data
 * directory, so that O_EXCL cannot hide a repeat). */
START_TEST(store_quarantine_names_differ_after_fork)
{
	char a[PATH_MAX], b[PATH_MAX], other[PATH_MAX], q[PATH_MAX];
	int fd, p[2], status;
	pid_t pid;
	ssize_t n;

	ck_assert_int_eq(store_init(&st), 0);
	fd = store_open_quarantine(cfg.data, a, sizeof(a));   /* the pool is filled */
	ck_assert_int_ne(fd, -1);
	close(fd);
	ck_assert_int_lt(snprintf(other, sizeof(other) - 16, "%s/../other", cfg.data),
	    (int)sizeof(other) - 16);
	ck_assert_int_lt(snprintf(q, sizeof(q), "%.*s/quarantine", (int)sizeof(other) - 16, other),
	    (int)sizeof(q));
	ck_assert_int_eq(mkdir(other, 0700), 0);
	ck_assert_int_eq(mkdir(q, 0700), 0);
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		close(p[0]);
		fd = store_open_quarantine(other, b, sizeof(b));
		_exit(fd == -1 || write(p[1], strrchr(b, '/') + 1, strlen(strrchr(b, '/') + 1)) < 1);
	}
	close(p[1]);
	memset(b, 0, sizeof(b));
	n = read(p[0], b, sizeof(b) - 1);
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_gt(n, 2);
	fd = store_open_quarantine(cfg.data, a, sizeof(a));
	ck_assert_int_ne(fd, -1);
	close(fd);
	ck_assert_str_ne(strrchr(a, '/') + 1, b);
}
END_TEST

START_TEST(store_default_layout_is_data_store)
{
	struct store s;
	char want[PATH_MAX + 128], path[PATH_MAX];
	uint8_t sha[32];
	struct stat sb;

	/* no [store] path: DATA/store, byte for byte the layout of old */
	ck_assert_int_eq(store_setup(&s, cfg.data, NULL, 0), 0);
	snprintf(want, sizeof(want), "%s/store", cfg.data);
	ck_assert_str_eq(s.dir, want);
	ck_assert_int_eq(s.shared, 0);
	ck_assert_int_eq(store_setup(&s, cfg.data, "", 0), 0);
	ck_assert_str_eq(s.dir, want);
	util_sha256("x", 1, sha);
	ck_assert_int_eq(store_blob_path(s.dir, sha, path, sizeof(path)), 0);
	snprintf(want, sizeof(want), "%s/store/2d/"
	    "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881", cfg.data);
	ck_assert_str_eq(path, want);
	/* a store of its own, with its parents made by the notary */
	snprintf(want, sizeof(want), "%s/shared", dir);
	ck_assert_int_eq(store_setup(&s, cfg.data, want, 1), 0);
	ck_assert_str_eq(s.dir, want);
	ck_assert_int_eq(s.shared, 1);
	ck_assert_int_eq(store_init(&s), 0);
	ck_assert_int_eq(stat(want, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0700);
	/* too long for a path: refused, not cut */
	memset(want, 'a', sizeof(want) - 1);
	want[sizeof(want) - 1] = '\0';
	ck_assert_int_eq(store_setup(&s, cfg.data, want, 1), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
}
END_TEST

START_TEST(store_commit_replaces_damaged_blob)
{
	char q[PATH_MAX], path[PATH_MAX], buf[64];
	uint8_t sha[32];
	int fd;

	ck_assert_int_eq(store_init(&st), 0);
	util_sha256("good content", 12, sha);
	quarantined("good content", q, sizeof(q));
	ck_assert_int_eq(store_commit(&st, q, sha, 12), 0);
	/* truncate the stored blob behind the store's back */
	st_blob_path(sha, path, sizeof(path));
	chmod(path, 0600);
	ck_assert_int_eq(truncate(path, 4), 0);
	quarantined("good content", q, sizeof(q));
	ck_assert_int_eq(store_commit(&st, q, sha, 12), 0);
	fd = open(path, O_RDONLY);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 12);
	close(fd);
	ck_assert_int_eq(memcmp(buf, "good content", 12), 0);
	/* the same content again: kept once, the copy dropped */
	quarantined("good content", q, sizeof(q));
	ck_assert_int_eq(store_commit(&st, q, sha, 12), 1);
	ck_assert_int_eq(access(q, F_OK), -1);
}
END_TEST

START_TEST(store_commit_refuses_symlink_and_foreign_paths)
{
	char q[PATH_MAX + 32], target[PATH_MAX], path[PATH_MAX];
	const char *qdir = st.quarantine;
	uint8_t sha[32];
	int fd;

	ck_assert_int_eq(store_init(&st), 0);
	snprintf(target, sizeof(target), "%s/secret", dir);
	fd = open(target, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_eq(write(fd, "secret", 6), 6);
	close(fd);
	util_sha256("secret", 6, sha);
	/* a symlink planted in the quarantine */
	snprintf(q, sizeof(q), "%s/q-link", qdir);
	ck_assert_int_eq(symlink(target, q), 0);
	ck_assert_int_eq(store_commit(&st, q, sha, 6), -1);
	ck_assert_int_eq(errno, ELOOP);
	st_blob_path(sha, path, sizeof(path));
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(access(target, F_OK), 0);
	/* paths that leave the quarantine */
	snprintf(q, sizeof(q), "%s/../secret", qdir);
	ck_assert_int_eq(store_commit(&st, q, sha, 6), -1);
	ck_assert_int_eq(errno, EINVAL);
	snprintf(q, sizeof(q), "%s/..", qdir);
	ck_assert_int_eq(store_commit(&st, q, sha, 6), -1);
	snprintf(q, sizeof(q), "%s", target);
	ck_assert_int_eq(store_commit(&st, q, sha, 6), -1);
	ck_assert_int_eq(access(target, F_OK), 0);
	ck_assert_int_eq(access(path, F_OK), -1);
	/* discarding is held to the same rule */
	ck_assert_int_eq(store_discard(&st, target), -1);
	ck_assert_int_eq(access(target, F_OK), 0);
	snprintf(q, sizeof(q), "%s/q-gone", qdir);
	ck_assert_int_eq(store_discard(&st, q), 0);
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
	struct store_sweep_stats sw;
	uint8_t sha[32];
	int calls = 0, fd;

	ck_assert_int_eq(store_init(&st), 0);
	util_sha256("x", 1, sha);
	quarantined("x", q, sizeof(q));
	ck_assert_int_eq(store_commit(&st, q, sha, 1), 0);
	st_blob_path(sha, path, sizeof(path));
	/* a blob name in the wrong fan-out directory */
	snprintf(odd, sizeof(odd), "%s/00", st.dir);
	ck_assert_int_eq(mkdir(odd, 0700), 0);
	snprintf(odd, sizeof(odd), "%s/00/%s", st.dir, strrchr(path, '/') + 1);
	fd = open(odd, O_WRONLY | O_CREAT, 0600);
	close(fd);
	ck_assert_int_eq(store_sweep(&st, keep_none, &calls, &sw), 0);
	ck_assert_int_eq(calls, 1);
	ck_assert_uint_eq(sw.removed, 1);
	ck_assert_uint_eq(sw.strange, 1);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(access(odd, F_OK), 0);
}
END_TEST

/* A node's own store: recovery runs before any promotion, so every orphan
 * and every temporary file goes at once, however young. */
START_TEST(store_sweep_of_own_store_removes_young_orphans_and_temps)
{
	char blob[PATH_MAX], tmp[PATH_MAX];
	struct store_sweep_stats sw;
	uint8_t sha[32];
	char hex[65];
	int calls = 0;

	ck_assert_int_eq(store_init(&st), 0);
	util_sha256("young orphan", 12, sha);
	util_hex(sha, 32, hex);
	plant((char[3]){ hex[0], hex[1], '\0' }, hex, "young orphan", blob, sizeof(blob));
	plant((char[3]){ hex[0], hex[1], '\0' }, ".tmp-0123", "half a cop", tmp, sizeof(tmp));
	ck_assert_int_eq(store_sweep(&st, keep_none, &calls, &sw), 0);
	ck_assert_uint_eq(sw.removed, 1);
	ck_assert_uint_eq(sw.temps, 1);
	ck_assert_uint_eq(sw.young, 0);
	ck_assert_int_eq(access(blob, F_OK), -1);
	ck_assert_int_eq(access(tmp, F_OK), -1);
}
END_TEST

/* A shared store: what another node may be about to commit stays. */
START_TEST(store_sweep_of_shared_store_keeps_what_is_young)
{
	char old[PATH_MAX], young[PATH_MAX], kept[PATH_MAX], tmp_old[PATH_MAX];
	char tmp_young[PATH_MAX], stray[PATH_MAX];
	struct store_sweep_stats sw;
	uint8_t s1[32], s2[32], s3[32];
	char h1[65], h2[65], h3[65];
	int calls = 0;

	st.shared = 1;
	ck_assert_int_eq(store_init(&st), 0);
	util_sha256("old orphan", 10, s1);
	util_sha256("young orphan", 12, s2);
	util_sha256("just past", 9, s3);
	util_hex(s1, 32, h1);
	util_hex(s2, 32, h2);
	util_hex(s3, 32, h3);
	plant((char[3]){ h1[0], h1[1], '\0' }, h1, "old orphan", old, sizeof(old));
	plant((char[3]){ h2[0], h2[1], '\0' }, h2, "young orphan", young, sizeof(young));
	plant((char[3]){ h3[0], h3[1], '\0' }, h3, "just past", kept, sizeof(kept));
	plant("ab", ".tmp-00112233445566778899aabbccddeeff", "stale", tmp_old, sizeof(tmp_old));
	plant("ab", ".tmp-ffeeddccbbaa99887766554433221100", "copying", tmp_young,
	    sizeof(tmp_young));
	plant("ab", "notes.txt", "an operator's", stray, sizeof(stray));
	age(old, 2 * STORE_SWEEP_GRACE);
	age(young, STORE_SWEEP_GRACE / 2);
	age(kept, STORE_SWEEP_GRACE - 60);        /* a minute short of the grace period */
	age(tmp_old, STORE_SWEEP_GRACE + 60);
	age(tmp_young, 10);
	ck_assert_int_eq(store_sweep(&st, keep_none, &calls, &sw), 0);
	ck_assert_int_eq(calls, 3);
	ck_assert_uint_eq(sw.removed, 1);
	ck_assert_uint_eq(sw.temps, 1);
	ck_assert_uint_eq(sw.young, 3);
	ck_assert_uint_eq(sw.strange, 1);
	ck_assert_int_eq(access(old, F_OK), -1);
	ck_assert_int_eq(access(young, F_OK), 0);
	ck_assert_int_eq(access(kept, F_OK), 0);
	ck_assert_int_eq(access(tmp_old, F_OK), -1);
	ck_assert_int_eq(access(tmp_young, F_OK), 0);
	ck_assert_int_eq(access(stray, F_OK), 0);
	/* the sweep's own temporary name of the old blob is gone too */
	ck_assert_int_eq(temp_files(), 1);
	/* a blob from the future (a node whose clock is ahead) is young */
	age(young, -600);
	age(kept, 2 * STORE_SWEEP_GRACE);
	ck_assert_int_eq(store_sweep(&st, keep_none, &calls, &sw), 0);
	ck_assert_uint_eq(sw.removed, 1);
	ck_assert_int_eq(access(young, F_OK), 0);
	ck_assert_int_eq(access(kept, F_OK), -1);
}
END_TEST

/* A shared store: finding the blob there touches it (a sweep must see it
 * young), and a failed commit's blob is never removed. */
START_TEST(store_shared_duplicate_is_touched_and_never_removed)
{
	char q[PATH_MAX], path[PATH_MAX];
	uint8_t sha[32];
	time_t before;

	st.shared = 1;
	ck_assert_int_eq(store_init(&st), 0);
	util_sha256("shared content", 14, sha);
	quarantined("shared content", q, sizeof(q));
	age(q, 3 * STORE_SWEEP_GRACE);    /* an upload that sat long: promotion makes it now */
	ck_assert_int_eq(store_commit(&st, q, sha, 14), 0);
	st_blob_path(sha, path, sizeof(path));
	ck_assert(mtime_of(path) > time(NULL) - 60);
	age(path, 2 * STORE_SWEEP_GRACE);
	before = mtime_of(path);
	quarantined("shared content", q, sizeof(q));
	ck_assert_int_eq(store_commit(&st, q, sha, 14), 1);
	ck_assert(mtime_of(path) > before + STORE_SWEEP_GRACE);
	ck_assert_int_eq(access(q, F_OK), -1);
	ck_assert_int_eq(store_remove(&st, sha), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(access(path, F_OK), 0);
	/* a node's own store removes it */
	st.shared = 0;
	ck_assert_int_eq(store_remove(&st, sha), 0);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(store_remove(&st, sha), 0);     /* absent is fine */
}
END_TEST

/* The quarantine on one filesystem, the store on another (rename: EXDEV):
 * the blob is copied into a .tmp- file, fsynced and renamed into place. */
static void
promote_across(int shared, const char *how)
{
	char store[PATH_MAX], q[PATH_MAX], path[PATH_MAX], *content, *back;
	size_t len = (1u << 20) * 3 + 12345;       /* several copy buffers */
	uint8_t sha[32];
	struct stat qs, ss;
	mode_t mask;
	int fd;

	if (other_filesystem(store, sizeof(store), how) == -1) {
		fprintf(stderr, "# SKIPPED %s (%s): no second filesystem or mount (mount refused, "
		    "/dev/shm on the same filesystem)\n", __func__, how);
		return;
	}
	ck_assert_int_eq(store_setup(&st, cfg.data, store, shared), 0);
	ck_assert_int_eq(store_init(&st), 0);
	ck_assert_int_eq(stat(st.quarantine, &qs), 0);
	ck_assert_int_eq(stat(st.dir, &ss), 0);
	if (strcmp(how, "bind") == 0)
		ck_assert_msg(qs.st_dev == ss.st_dev, "%s and %s not one filesystem", st.quarantine,
		    st.dir);
	else
		ck_assert_msg(qs.st_dev != ss.st_dev, "%s and %s on one filesystem", st.quarantine,
		    st.dir);
	content = malloc(len);
	back = malloc(len + 1);
	for (size_t i = 0; i < len; i++)
		content[i] = (char)('a' + (i * 7 + i / 4096) % 26);
	content[len - 1] = '\0';
	len--;
	util_sha256(content, len, sha);
	quarantined(content, q, sizeof(q));
	mask = umask(077);                                  /* the daemon's (systemd UMask=) */
	ck_assert_int_eq(store_commit(&st, q, sha, len), 0);
	umask(mask);
	ck_assert_int_eq(access(q, F_OK), -1);              /* the quarantine copy is gone */
	st_blob_path(sha, path, sizeof(path));
	fd = open(path, O_RDONLY);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(fstat(fd, &ss), 0);
	ck_assert_int_eq(ss.st_mode & 07777, STORE_BLOB_MODE);
	ck_assert_int_eq((size_t)ss.st_size, len);
	ck_assert_int_eq(read(fd, back, len + 1), (ssize_t)len);
	close(fd);
	ck_assert_int_eq(memcmp(back, content, len), 0);
	ck_assert_int_eq(temp_files(), 0);
	/* the same content again: already stored, nothing copied */
	quarantined(content, q, sizeof(q));
	ck_assert_int_eq(store_commit(&st, q, sha, len), 1);
	ck_assert_int_eq(access(q, F_OK), -1);
	/* batch promotion: the same path, then one sync of the store's filesystem */
	{
		char dirout[PATH_MAX];
		uint8_t sha2[32];

		util_sha256("second", 6, sha2);
		quarantined("second", q, sizeof(q));
		ck_assert_int_eq(store_promote(&st, q, sha2, 6, dirout, sizeof(dirout)), 0);
		ck_assert_int_eq(store_sync(&st), 0);
		st_blob_path(sha2, path, sizeof(path));
		ck_assert_int_eq(access(path, R_OK), 0);
		ck_assert_int_eq(strncmp(path, dirout, strlen(dirout)), 0);
	}
	/* a size the file does not have: refused before anything is copied */
	quarantined("short", q, sizeof(q));
	util_sha256("short", 5, sha);
	ck_assert_int_eq(store_commit(&st, q, sha, 6), -1);
	ck_assert_int_eq(errno, EINVAL);
	st_blob_path(sha, path, sizeof(path));
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(temp_files(), 0);
	free(content);
	free(back);
	if (mnt[0] == '\0') {
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", store);
		ck_assert_int_eq(system(cmd), 0);
	}
}

START_TEST(store_promotes_across_filesystems)
{
	promote_across(0, "64m");
}
END_TEST

START_TEST(store_promotes_across_filesystems_into_shared_store)
{
	promote_across(1, "64m");
}
END_TEST

/* Two mounts of one filesystem: rename is EXDEV all the same (st_dev does
 * not tell), and the copy goes through copy_file_range. */
START_TEST(store_promotes_across_mounts_of_one_filesystem)
{
	promote_across(0, "bind");
	store_teardown();
	store_fixture();
	promote_across(1, "bind");
}
END_TEST

/* The copy fails midway (the other filesystem is full): nothing stays, not
 * the temporary file, not the upload, and the error is the disk's. */
START_TEST(store_failed_copy_leaves_nothing)
{
	char store[PATH_MAX], q[PATH_MAX], path[PATH_MAX], *content;
	size_t len = 512u << 10;
	uint8_t sha[32];

	if (other_filesystem(store, sizeof(store), "128k") == -1) {
		fprintf(stderr, "# SKIPPED %s: cannot mount a small tmpfs\n", __func__);
		return;
	}
	ck_assert_int_eq(store_setup(&st, cfg.data, store, 1), 0);
	ck_assert_int_eq(store_init(&st), 0);
	content = malloc(len + 1);
	memset(content, 'z', len);
	content[len] = '\0';
	util_sha256(content, len, sha);
	quarantined(content, q, sizeof(q));
	ck_assert_int_eq(store_commit(&st, q, sha, len), -1);
	ck_assert_int_eq(errno, ENOSPC);
	st_blob_path(sha, path, sizeof(path));
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(access(q, F_OK), -1);
	ck_assert_int_eq(temp_files(), 0);
	free(content);
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
	tcase_add_test(tc, notary_stash_is_drained_at_close);
	tcase_add_test(tc, notary_stash_puts_back_lost_files_at_start);
	tcase_add_test(tc, notary_recovery_removes_orphan_blob_and_quarantine);
	tcase_add_test(tc, notary_refuses_tampered_tree);
	tcase_add_test(tc, notary_refuses_key_of_other_origin);
	tcase_add_test(tc, notary_refuses_key_symlink_and_garbage);
	tcase_add_test(tc, notary_store_failure_is_not_recorded);
	tcase_add_test(tc, notary_failed_commit_leaves_no_trace);
	tcase_add_test(tc, notary_shared_store_keeps_blob_of_failed_commit_until_old);
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
	tcase_add_checked_fixture(tc, store_fixture, store_teardown);
	tcase_add_test(tc, store_quarantine_files_are_private_and_unique);
	tcase_add_test(tc, store_quarantine_names_differ_after_fork);
	tcase_add_test(tc, store_default_layout_is_data_store);
	tcase_add_test(tc, store_commit_replaces_damaged_blob);
	tcase_add_test(tc, store_commit_refuses_symlink_and_foreign_paths);
	tcase_add_test(tc, store_sweep_removes_only_blob_names);
	tcase_add_test(tc, store_sweep_of_own_store_removes_young_orphans_and_temps);
	tcase_add_test(tc, store_sweep_of_shared_store_keeps_what_is_young);
	tcase_add_test(tc, store_shared_duplicate_is_touched_and_never_removed);
	tcase_add_test(tc, store_promotes_across_filesystems);
	tcase_add_test(tc, store_promotes_across_filesystems_into_shared_store);
	tcase_add_test(tc, store_promotes_across_mounts_of_one_filesystem);
	tcase_add_test(tc, store_failed_copy_leaves_nothing);
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
