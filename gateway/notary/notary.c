/*
 * notary/notary.c: the sequencer thread (notary.h).
 *
 * Life of a batch (all of it in the notary thread):
 *   1. take every queued job (at most NOTARY_BATCH_MAX);
 *   2. promote accepted blobs to the store (rename, or a copy when the store
 *      is on another filesystem), delete rejected ones, then one syncfs of
 *      the store's filesystem makes every blob, rename and directory durable;
 *   3. in one write transaction: format, sign and append each entry, sign a
 *      checkpoint for the new size, build each job's inclusion proof;
 *   4. COMMIT; on failure roll back and fail every job of the batch, and,
 *      when the store is the node's own, remove the blobs this batch
 *      promoted that no committed entry names (a shared store keeps them
 *      for its graced start-up sweep: notary.h);
 *   5. call each job's done().
 * The key is read once at open and lives only in the signer (wiped on close).
 *
 * The stash (SQLite ledger, the node's own store): the syncfs of step 2 is a
 * device flush of its own, besides the commit's. A new blob of at most
 * NOTARY_STASH_MAX whose bytes the monitor read as it re-hashed them needs
 * none: its bytes go into the stash table in step 3's transaction, so that
 * the commit makes them durable with the entry that names them. A syncer
 * thread later makes the stashed files durable in their own right (syncfs,
 * every NOTARY_STASH_DRAIN of them, or once the notary is idle for
 * NOTARY_STASH_IDLE_MS, and at close); only then are their rows deleted, in
 * a later transaction. A file whose row is still there may be found by a
 * later upload of the same bytes (a duplicate): its row stays until the
 * syncfs, so that upload's entry is as safe. After a power loss, start-up
 * recovery puts back from the stash any file that is missing or not its
 * bytes, fsyncs, then empties the stash.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <intake/note.h>
#include <intake/receipt.h>

#include "common/errbuf.h"
#include "common/log.h"
#include "notary/db.h"
#include "notary/entry.h"
#include "notary/ledger.h"
#include "notary/notary.h"
#include "notary/store.h"

#define NOTARY_BATCH_MAX  256     /* jobs grouped into one commit at most */
#define NOTARY_KEY_MAX    4096    /* a private key file is one short line */
#define NOTARY_DATA_MODE  0700    /* the data directory and its parents we create */
#define NOTARY_STASH_DRAIN   256  /* stashed files that ask for a syncfs */
#define NOTARY_STASH_IDLE_MS 200  /* idle this long, the stash is drained */

struct notary {
	char                     data[PATH_MAX];
	struct store             store;       /* the blobs, and this node's quarantine */
	char                     origin[INTAKE_ORIGIN_MAX + 1];
	struct intake_signer    *signer;
	char                    *vkey;
	struct ledger           *ledger;
	uint64_t                 size;        /* tree size after this notary's last commit */
	char                     dsn[CONFIG_DSN_MAX]; /* [ledger] PostgreSQL DSN, "" SQLite */
	int                      shared_ledger; /* PostgreSQL: other nodes append too */

	pthread_t                thread;
	int                      started;
	pthread_mutex_t          mu;
	pthread_cond_t           cv;
	struct notary_job       *head, *tail;
	int                      closing;

	/* the stash (notary thread, and the closer once it has ended) */
	int                      stash_on;    /* SQLite ledger, the node's own store */
	size_t                   stashed;     /* rows added since the last drain began */
	int64_t                  draining;    /* a drain's syncfs covers rows up to it, 0 none */
	int64_t                  forget;      /* rows up to it are durable files: delete */
	int                      drain_failed; /* not again until the next batch */

	pthread_t                syncer;      /* runs a drain's syncfs (notary_syncer) */
	int                      syncer_started;
	pthread_mutex_t          smu;
	pthread_cond_t           scv;
	int                      sync_asked;  /* under smu: a syncfs is wanted */
	int                      sync_ready;  /* under smu: it has returned */
	int                      sync_err;    /* under smu: 0, or its errno */
	int                      sync_stop;   /* under smu: the syncer ends */
};

/* A job of the batch being processed. */
struct notary_item {
	struct notary_job *job;
	int                recorded;   /* goes into the ledger */
	int                promoted;   /* its blob may be in the store */
	int                stash;      /* a new blob made durable by the stash */
};

static void	*notary_main(void *arg);
static void	*notary_syncer(void *arg);
static int	 notary_drain(struct notary *n);

/* mkdir -p PATH, mode 0700 for what it creates. */
static int
notary_mkdirs(const char *path)
{
	char buf[PATH_MAX];
	struct stat st;
	size_t i, n;

	n = strlen(path);
	if (n == 0 || n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, NOTARY_DATA_MODE) == -1 && errno != EEXIST)
			return -1;
		buf[i] = path[i];
	}
	if (stat(path, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

static int
notary_fsync_dir(const char *path)
{
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/* Reads the private key file (signify style) and checks its name. */
static struct intake_signer *
notary_load_key(const char *path, const char *origin, char *err, size_t errlen)
{
	struct intake_signer *s = NULL;
	char buf[NOTARY_KEY_MAX + 1];
	struct stat st;
	size_t off = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		errset(err, errlen, "log key %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size > NOTARY_KEY_MAX) {
		errset(err, errlen, "log key %s: not a regular file of at most %d bytes",
		    path, NOTARY_KEY_MAX);
		goto fail;
	}
	if (st.st_mode & 077)
		log_warnx("log key %s is accessible to group or others", path);
	while (off < NOTARY_KEY_MAX) {
		r = read(fd, buf + off, NOTARY_KEY_MAX - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			errset(err, errlen, "log key %s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		off += r;
	}
	buf[off] = '\0';
	if ((s = intake_signer_new(buf)) == NULL) {
		errset(err, errlen, "log key %s: not a private key", path);
		goto fail;
	}
	if (strcmp(intake_signer_name(s), origin) != 0) {
		errset(err, errlen, "log key name %s does not match origin %s",
		    intake_signer_name(s), origin);
		intake_signer_free(s);
		s = NULL;
		goto fail;
	}
fail:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return s;
}

/* Signs and records the checkpoint of an empty log (first start). */
static int
notary_first_checkpoint(struct notary *n)
{
	uint8_t root[INTAKE_HASH_LEN];
	char *text = NULL, *note = NULL;
	uint64_t size;
	int ret = -1, saved;

	if (ledger_begin(n->ledger, &size) == -1)
		return -1;
	if (size != 0 || ledger_tx_root(n->ledger, 0, root) == -1 ||
	    (text = intake_checkpoint_text(n->origin, 0, root)) == NULL ||
	    (note = intake_note_sign(n->signer, text, strlen(text), NULL)) == NULL ||
	    ledger_add_checkpoint(n->ledger, 0, note) == -1) {
		saved = size != 0 ? EEXIST : errno;
		ledger_rollback(n->ledger);
		/* PostgreSQL: another node that started with us on the empty
		 * ledger wrote it first (and may have appended since). */
		if (n->shared_ledger && saved == EEXIST) {
			log_info("ledger: another node wrote the first checkpoint");
			ret = 0;
		}
		errno = saved;
		goto out;
	}
	ret = ledger_commit(n->ledger);
out:
	free(text);
	free(note);
	return ret;
}

static int
notary_keep_blob(const uint8_t sha256[32], void *arg)
{
	struct notary *n = arg;

	return ledger_blob_referenced(n->ledger, sha256);
}

/* Deletes the stash rows up to UPTO, their files durable, in a transaction
 * of its own. 0/-1 with errno. */
static int
notary_forget(struct notary *n, int64_t upto)
{
	uint64_t size;

	if (ledger_begin(n->ledger, &size) == -1)
		return -1;
	if (ledger_stash_forget(n->ledger, upto) == -1) {
		ledger_rollback(n->ledger);
		return -1;
	}
	return ledger_commit(n->ledger);
}

struct notary_unstash {
	struct notary *n;
	unsigned       rows, put;
	int            err;
};

static int
notary_unstash_one(const uint8_t sha256[32], const void *data, size_t len, void *arg)
{
	struct notary_unstash *u = arg;
	int r;

	if ((r = store_put(&u->n->store, sha256, data, len)) == -1) {
		u->err = errno != 0 ? errno : EIO;
		return 1;
	}
	u->rows++;
	u->put += r;
	return 0;
}

/*
 * Start-up: every stashed file is put back in the store unless it is there
 * with exactly its bytes (after a power loss it may be missing, short or
 * zeros), the store is synced, and the stash emptied. A file that cannot be
 * put back stops the start: its entry was answered. 0, or -1 with ERR.
 */
static int
notary_unstash(struct notary *n, char *err, size_t errlen)
{
	struct notary_unstash u = { .n = n };
	int64_t top;
	int r;

	if ((r = ledger_stash_each(n->ledger, notary_unstash_one, &u)) != 0) {
		errset(err, errlen, "cannot put back a stashed file in the store %s: %s",
		    n->store.dir, strerror(r == 1 ? u.err : EIO));
		return -1;
	}
	if (u.rows == 0)
		return 0;
	if (store_sync(&n->store) == -1 || ledger_stash_top(n->ledger, &top) == -1 ||
	    notary_forget(n, top) == -1) {
		errset(err, errlen, "cannot empty the stash: %s", strerror(errno));
		return -1;
	}
	log_info("recovery: %u stashed files, %u of them put back in the store", u.rows, u.put);
	return 0;
}

/* Start-up recovery: see notary_open in notary.h. */
static int
notary_recover(struct notary *n, char *err, size_t errlen)
{
	struct intake_verifier *v = NULL;
	char why[512];
	struct store_sweep_stats sw;
	unsigned quarantined;
	int r, ret = -1;

	/* this node's own quarantine only: another node's is in its own data
	 * directory, and partial resumable uploads (DATA/uploads) are the
	 * front's, which keeps them until they expire */
	if (store_empty_quarantine(&n->store, &quarantined) == -1) {
		errset(err, errlen, "cannot empty the quarantine: %s", strerror(errno));
		goto out;
	}
	if ((v = intake_verifier_new(n->vkey)) == NULL) {
		errset(err, errlen, "cannot load the verifier key");
		goto out;
	}
	r = ledger_verify(n->ledger, v, n->origin, &n->size, why, sizeof(why));
	if (r == -1) {
		errset(err, errlen, "refusing to start: %s", why);
		goto out;
	}
	if (r == 1) {
		if (notary_first_checkpoint(n) == -1) {
			errset(err, errlen, "cannot write the first checkpoint: %s",
			    strerror(errno));
			goto out;
		}
		n->size = 0;
	}
	/* Stashed files first: the sweep below keeps only what entries name. */
	if (n->stash_on && notary_unstash(n, err, errlen) == -1)
		goto out;
	/* Only once the ledger is known good may it decide what to delete;
	 * in a shared store, not what is younger than the grace period
	 * (store.h: another node may be about to commit its entry). */
	if (store_sweep(&n->store, notary_keep_blob, n, &sw) == -1) {
		errset(err, errlen, "cannot sweep the store %s: %s", n->store.dir,
		    strerror(errno));
		goto out;
	}
	if (quarantined > 0 || sw.removed > 0 || sw.temps > 0)
		log_info("recovery: %u quarantined files, %u orphan blobs and %u temporary "
		    "files removed", quarantined, sw.removed, sw.temps);
	if (sw.young > 0)
		log_info("recovery: %u unreferenced blobs or temporary files younger than "
		    "%d s left in the shared store", sw.young, STORE_SWEEP_GRACE);
	if (sw.strange > 0)
		log_warnx("recovery: %u unexpected files in the store left alone", sw.strange);
	log_info("log %s: %" PRIu64 " entries", n->origin, n->size);
	if (n->store.shared)
		log_info("store %s, shared with other nodes", n->store.dir);
	ret = 0;
out:
	intake_verifier_free(v);
	return ret;
}

/* The store (with its parents when it is [store] path: it may be a
 * directory of its own anywhere) and the quarantine. 0, or -1 with ERR. */
static int
notary_store_init(struct notary *n, char *err, size_t errlen)
{
	char parent[PATH_MAX];
	char *slash;

	/* the parents here, the store itself by store_init (which syncs its
	 * parent's entry for it) */
	memcpy(parent, n->store.dir, sizeof(parent));
	if (n->store.shared && (slash = strrchr(parent, '/')) != NULL && slash != parent) {
		*slash = '\0';
		if (notary_mkdirs(parent) == -1) {
			errset(err, errlen, "store %s: %s", n->store.dir, strerror(errno));
			return -1;
		}
	}
	if (store_init(&n->store) == -1 || store_open_dirs(&n->store) == -1) {
		errset(err, errlen, "store %s or quarantine %s: %s", n->store.dir,
		    n->store.quarantine, strerror(errno));
		return -1;
	}
	return 0;
}

struct notary *
notary_new(const struct config *cfg, char *err, size_t errlen)
{
	struct notary *n;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		errset(err, errlen, "out of memory");
		return NULL;
	}
	n->store.dfd = n->store.qfd = -1;   /* notary_close may come before store_setup */
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	pthread_mutex_init(&n->smu, NULL);
	pthread_cond_init(&n->scv, NULL);
	if (strlen(cfg->data) >= sizeof(n->data) ||
	    strlen(cfg->log_origin) >= sizeof(n->origin) || cfg->log_origin[0] == '\0') {
		errset(err, errlen, "data directory or log origin too long or empty");
		goto fail;
	}
	strcpy(n->data, cfg->data);
	strcpy(n->origin, cfg->log_origin);
	if (store_setup(&n->store, cfg->data, cfg->store[0] != '\0' ? cfg->store : NULL,
	    cfg->store_shared) == -1) {
		errset(err, errlen, "data directory or store path too long");
		goto fail;
	}
	if ((n->signer = notary_load_key(cfg->log_key, n->origin, err, errlen)) == NULL)
		goto fail;
	if ((n->vkey = intake_signer_vkey(n->signer)) == NULL) {
		errset(err, errlen, "out of memory");
		goto fail;
	}
	if (notary_mkdirs(n->data) == -1) {
		errset(err, errlen, "data directory %s: %s", n->data, strerror(errno));
		goto fail;
	}
	if (notary_store_init(n, err, errlen) == -1)
		goto fail;
	if (config_ledger_dsn(cfg) != NULL) {
		snprintf(n->dsn, sizeof(n->dsn), "%s", config_ledger_dsn(cfg));
		n->shared_ledger = 1;
	}
	/* PostgreSQL and a shared store: every batch syncs its files itself
	 * (another node's recovery could not put back what our ledger stashed
	 * before its rows are seen) */
	n->stash_on = !n->shared_ledger && !n->store.shared;
	return n;
fail:
	notary_close(n);
	return NULL;
}

int
notary_start(struct notary *n, char *err, size_t errlen)
{
	int e;

	if ((n->ledger = ledger_open_dsn(n->data, n->shared_ledger ? n->dsn : NULL, 1, err,
	    errlen)) == NULL)
		return -1;
	if (n->shared_ledger) {
		char where[256];

		db_pg_describe(n->dsn, where, sizeof(where));
		log_info("ledger: postgresql %s (shared with other nodes)", where);
	}
	/* A ledger created just now must survive a crash by name too. */
	if (notary_fsync_dir(n->data) == -1) {
		errset(err, errlen, "data directory %s: fsync: %s", n->data,
		    strerror(errno));
		return -1;
	}
	if (notary_recover(n, err, errlen) == -1)
		return -1;
	if ((e = pthread_create(&n->syncer, NULL, notary_syncer, n)) != 0) {
		errset(err, errlen, "notary syncer thread: %s", strerror(e));
		return -1;
	}
	n->syncer_started = 1;
	if ((e = pthread_create(&n->thread, NULL, notary_main, n)) != 0) {
		errset(err, errlen, "notary thread: %s", strerror(e));
		return -1;
	}
	n->started = 1;
	return 0;
}

struct notary *
notary_open(const struct config *cfg, char *err, size_t errlen)
{
	struct notary *n;

	if ((n = notary_new(cfg, err, errlen)) == NULL)
		return NULL;
	if (notary_start(n, err, errlen) == -1) {
		notary_close(n);
		return NULL;
	}
	return n;
}

void
notary_submit(struct notary *n, struct notary_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&n->mu);
	if (n->closing) {
		pthread_mutex_unlock(&n->mu);
		job->status = -1;
		job->err = ESHUTDOWN;
		if (job->quarantine[0] != '\0')
			(void)store_discard(&n->store, job->quarantine);
		job->done(job, job->arg);
		return;
	}
	if (n->tail != NULL)
		n->tail->next = job;
	else
		n->head = job;
	n->tail = job;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
}

const char *
notary_vkey(const struct notary *n)
{
	return n->vkey;
}

uint64_t
notary_size(const struct notary *n)
{
	return n->size;
}

const char *
notary_data(const struct notary *n)
{
	return n->data;
}

const struct store *
notary_store(const struct notary *n)
{
	return &n->store;
}

void
notary_job_clear(struct notary_job *job)
{
	free(job->entry);
	free(job->receipt);
	free(job->proof);
	free(job->content);
	job->entry = job->receipt = job->proof = NULL;
	job->content = NULL;
	inspect_result_clear(&job->result);
}

void
notary_close(struct notary *n)
{
	if (n == NULL)
		return;
	if (n->started) {
		pthread_mutex_lock(&n->mu);
		n->closing = 1;
		pthread_cond_signal(&n->cv);
		pthread_mutex_unlock(&n->mu);
		pthread_join(n->thread, NULL);
		/* a clean stop leaves the store durable and the stash empty */
		if (n->stash_on && notary_drain(n) == -1)
			log_warnx("notary: the stash is left for the next start");
	}
	if (n->syncer_started) {
		pthread_mutex_lock(&n->smu);
		n->sync_stop = 1;
		pthread_cond_broadcast(&n->scv);
		pthread_mutex_unlock(&n->smu);
		pthread_join(n->syncer, NULL);
	}
	ledger_close(n->ledger);
	store_close_dirs(&n->store);
	intake_signer_free(n->signer);
	free(n->vkey);
	pthread_cond_destroy(&n->scv);
	pthread_mutex_destroy(&n->smu);
	pthread_cond_destroy(&n->cv);
	pthread_mutex_destroy(&n->mu);
	free(n);
}

/* Phase 2: the files. Accepted blobs into the store, rejected ones deleted. */
static void
notary_files(struct notary *n, struct notary_item *it, size_t count)
{
	struct notary_job *j;
	const char *what;
	size_t i;
	int r, promoted = 0;

	for (i = 0; i < count; i++) {
		char dir[PATH_MAX];

		j = it[i].job;
		j->status = -1;
		j->err = 0;
		/* Re-validate what the front sent: a value the entry cannot
		 * sign as it is fails this job alone, before its blob moves. */
		if (entry_check(j, &what) == -1) {
			log_warnx("%s: party %s: %s cannot be signed as it is; not recorded",
			    __func__, j->party, what);
			j->err = EINVAL;
			if (j->quarantine[0] != '\0' && store_discard(&n->store, j->quarantine) == -1)
				log_warn("%s: cannot remove a refused upload", __func__);
			continue;
		}
		if (j->fact[0] != '\0') {
			it[i].recorded = 1;	/* a fact: no file */
			continue;
		}
		if (!j->result.accepted) {
			if (j->quarantine[0] != '\0' &&
			    store_discard(&n->store, j->quarantine) == -1)
				log_warn("%s: cannot remove a rejected upload", __func__);
			it[i].recorded = 1;
			continue;
		}
		it[i].promoted = 1;	/* even a failed commit may have renamed it */
		r = store_promote(&n->store, j->quarantine, j->sha256, j->size, dir, sizeof(dir));
		if (r == -1) {
			j->err = errno != 0 ? errno : EIO;
			log_warn("%s: party %s: cannot store the upload", __func__, j->party);
			continue;
		}
		it[i].recorded = 1;
		/* A duplicate (r == 1) adds nothing to the store: the blob it
		 * names was made durable before the entry that brought it
		 * committed, or its bytes are in the stash until it is (or
		 * this batch makes it so, when it came in an earlier upload of
		 * this batch), so a batch of duplicates needs no syncfs, only
		 * its ledger commit. A new blob (r == 0): its bytes into the
		 * stash, or a syncfs for the batch. */
		if (r == 0 && n->stash_on && j->content != NULL && j->size <= NOTARY_STASH_MAX)
			it[i].stash = 1;
		else if (r == 0)
			promoted++;
	}
	/* One barrier for the whole batch: every blob's data, its rename and
	 * its directory are durable before the ledger commits. */
	if (promoted > 0 && store_sync(&n->store) == -1) {
		int e = errno != 0 ? errno : EIO;

		log_warn("%s: syncfs", __func__);
		for (i = 0; i < count; i++) {
			if (it[i].recorded && it[i].promoted) {
				it[i].recorded = 0;
				it[i].job->err = e;
			}
		}
	}
}

/* Frees the outputs of a job that is not recorded after all. */
static void
notary_unfill(struct notary_job *j, int err)
{
	free(j->entry);
	free(j->receipt);
	free(j->proof);
	j->entry = j->receipt = j->proof = NULL;
	j->status = -1;
	j->err = err;
}

/*
 * Phase 3: one write transaction for every recorded job. 0, or -1 with errno
 * (the transaction is then rolled back).
 */
static int
notary_record(struct notary *n, struct notary_item *it, size_t count, uint64_t *txsize,
    uint64_t *newsize)
{
	intake_hash path[INTAKE_PROOF_MAX];
	uint8_t root[INTAKE_HASH_LEN];
	struct ledger_record rec;
	struct notary_job *j;
	char now[ENTRY_TIME_MAX], *findings = NULL, *text = NULL, *note = NULL;
	uint64_t size, next;
	size_t i, len, np;
	int saved;

	if (entry_time_now(now) == -1)
		return -1;
	if (ledger_begin(n->ledger, &size) == -1)
		return -1;
	/* SQLite: this notary is the only writer. PostgreSQL: other nodes
	 * append between our batches; the appenders' lock that ledger_begin
	 * holds makes SIZE the tree this batch extends. */
	if (size != n->size && !n->shared_ledger)
		fatalx("%s: ledger size %" PRIu64 " is not the notary's %" PRIu64
		    ": another writer?", __func__, size, n->size);
	if (size < n->size)
		fatalx("%s: ledger size %" PRIu64 " is below %" PRIu64 ", which this "
		    "notary committed", __func__, size, n->size);
	*txsize = size;
	next = size;
	for (i = 0; i < count; i++) {
		if (!it[i].recorded)
			continue;
		j = it[i].job;
		j->index = next;
		snprintf(j->time, sizeof(j->time), "%s", now);
		if ((j->entry = entry_format(n->origin, next, now, j, &len)) == NULL)
			goto fail;
		if ((j->receipt = intake_note_sign(n->signer, j->entry, len, NULL)) == NULL) {
			log_warnx("%s: cannot sign entry %" PRIu64, __func__, next);
			errno = EINVAL;
			goto fail;
		}
		if ((findings = entry_findings_json(&j->result)) == NULL) {
			errno = ENOMEM;
			goto fail;
		}
		memset(&rec, 0, sizeof(rec));
		rec.index = next;
		rec.time = now;
		rec.party = j->party;
		rec.cert = j->cert_sha256;
		rec.kind = j->kind;
		rec.filename = j->fact[0] != '\0' ? j->fact : j->filename;
		rec.ref = j->fact[0] != '\0' ? j->fact_date : j->ref;
		rec.size = j->size;
		rec.sha256 = j->sha256;
		rec.type = j->result.type;
		rec.accepted = j->result.accepted != 0;
		rec.entry = j->entry;
		rec.entry_len = len;
		rec.receipt = j->receipt;
		rec.findings = findings;
		rec.manifest = j->result.manifest;
		rec.manifest_len = j->result.manifest_len;
		rec.workbook = j->result.accepted ? j->result.workbook : NULL;
		if (ledger_append(n->ledger, &rec) == -1)
			goto fail;
		free(findings);
		findings = NULL;
		next++;
	}
	if (ledger_tx_root(n->ledger, next, root) == -1 ||
	    (text = intake_checkpoint_text(n->origin, next, root)) == NULL ||
	    (note = intake_note_sign(n->signer, text, strlen(text), NULL)) == NULL) {
		errno = EIO;
		goto fail;
	}
	if (ledger_add_checkpoint(n->ledger, next, note) == -1)
		goto fail;
	for (i = 0; i < count; i++)
		if (it[i].recorded && it[i].stash &&
		    ledger_stash(n->ledger, it[i].job->sha256, it[i].job->content,
		    (size_t)it[i].job->size) == -1)
			goto fail;
	if (n->forget > 0 && ledger_stash_forget(n->ledger, n->forget) == -1)
		goto fail;
	for (i = 0; i < count; i++) {
		if (!it[i].recorded)
			continue;
		j = it[i].job;
		if (ledger_tx_inclusion(n->ledger, j->index, next, path, &np) == -1 ||
		    (j->proof = intake_tlog_proof_format(j->index, path, np, note)) == NULL) {
			errno = EIO;
			goto fail;
		}
	}
	free(text);
	free(note);
	if (ledger_commit(n->ledger) == -1)
		return -1;
	*newsize = next;
	return 0;
fail:
	saved = errno != 0 ? errno : EIO;
	ledger_rollback(n->ledger);
	free(findings);
	free(text);
	free(note);
	errno = saved;
	return -1;
}

/*
 * Phase 4: blobs of failed jobs that no committed entry names. Not in a
 * shared store: another node may have promoted (or found) the same content
 * for an entry it commits a moment later, and a blob removed under it would
 * be an accepted entry without its file. There the blob stays, an orphan
 * that a start-up sweep removes once it is older than STORE_SWEEP_GRACE.
 */
static void
notary_unpromote(struct notary *n, struct notary_item *it, size_t count)
{
	struct notary_job *j;
	size_t i;
	int r;

	if (n->store.shared)
		return;
	for (i = 0; i < count; i++) {
		j = it[i].job;
		if (!it[i].promoted || j->status == 0)
			continue;
		r = ledger_blob_referenced(n->ledger, j->sha256);
		if (r == 0 && store_remove(&n->store, j->sha256) == -1)
			log_warn("%s: cannot remove an unrecorded blob", __func__);
		if (r == -1)
			log_warnx("%s: cannot tell whether a blob is recorded; left for "
			    "recovery", __func__);
	}
}

/* After a failed batch whose transaction began at tree size TXSIZE: 0 if
 * none of its entries is in the ledger (what was answered as failed), -1 if
 * it is or that cannot be told. SQLite: the size is still TXSIZE. PostgreSQL:
 * other nodes may have appended since, so the entry now at TXSIZE must not
 * be the batch's first. */
static int
notary_not_recorded(struct notary *n, struct notary_item *it, size_t count, uint64_t txsize)
{
	struct ledger_entry e;
	const char *first = NULL;
	uint64_t size;
	size_t i;
	int r, ret;

	if (ledger_tree_size(n->ledger, &size) == -1)
		return -1;
	if (size == txsize)
		return 0;
	if (!n->shared_ledger || size < txsize)
		return -1;
	for (i = 0; i < count && first == NULL; i++)
		if (it[i].recorded)
			first = it[i].job->entry;
	if (first == NULL)          /* nothing signed, nothing written */
		return 0;
	if ((r = ledger_get(n->ledger, txsize, &e)) != 0)
		return -1;
	ret = strcmp(e.entry, first) == 0 ? -1 : 0;
	ledger_entry_clear(&e);
	return ret;
}

/* The syncer thread: one syncfs of the store's filesystem per request. */
static void *
notary_syncer(void *arg)
{
	struct notary *n = arg;
	int r, e;

	pthread_setname_np(pthread_self(), "intaked-syncfs");
	pthread_mutex_lock(&n->smu);
	for (;;) {
		while (!n->sync_asked && !n->sync_stop)
			pthread_cond_wait(&n->scv, &n->smu);
		if (!n->sync_asked)
			break;
		pthread_mutex_unlock(&n->smu);
		r = store_sync(&n->store);
		e = errno != 0 ? errno : EIO;
		pthread_mutex_lock(&n->smu);
		n->sync_asked = 0;
		n->sync_err = r == -1 ? e : 0;
		n->sync_ready = 1;
		pthread_cond_broadcast(&n->scv);
	}
	pthread_mutex_unlock(&n->smu);
	return NULL;
}

/* A drain begins: the stash's rows so far (their files renamed into the
 * store before their batch committed) are what the syncer's syncfs makes
 * durable. 0/-1. */
static int
notary_drain_start(struct notary *n)
{
	int64_t top;

	if (ledger_stash_top(n->ledger, &top) == -1)
		return -1;
	n->stashed = 0;
	if (top <= n->forget)
		return 0;	/* nothing new to make durable */
	n->draining = top;
	pthread_mutex_lock(&n->smu);
	n->sync_asked = 1;
	n->sync_ready = 0;
	pthread_cond_broadcast(&n->scv);
	pthread_mutex_unlock(&n->smu);
	return 0;
}

/* The drain in flight, if any: WAIT for its syncfs, or only look. Once it
 * has returned, its rows are to be deleted by the next transaction; a failed
 * syncfs keeps them (a later drain tries again). */
static void
notary_drain_end(struct notary *n, int wait)
{
	int done, e;

	if (n->draining == 0)
		return;
	pthread_mutex_lock(&n->smu);
	while (wait && !n->sync_ready)
		pthread_cond_wait(&n->scv, &n->smu);
	done = n->sync_ready;
	e = n->sync_err;
	if (done)
		n->sync_ready = 0;
	pthread_mutex_unlock(&n->smu);
	if (!done)
		return;
	if (e == 0)
		n->forget = n->draining;
	else {
		errno = e;
		log_warn("notary: syncfs of the store; stashed files kept in the ledger");
	}
	n->draining = 0;
}

/* Empties the stash now: every stashed file made durable, then its row
 * deleted in a transaction of its own. 0/-1. */
static int
notary_drain(struct notary *n)
{
	notary_drain_end(n, 1);
	if (notary_drain_start(n) == -1)
		return -1;
	notary_drain_end(n, 1);
	if (n->forget == 0)
		return 0;
	if (notary_forget(n, n->forget) == -1)
		return -1;
	n->forget = 0;
	return 0;
}

/* After a batch: a drain that has ended frees its rows for the next
 * transaction; enough new rows begin another. */
static void
notary_drain_step(struct notary *n)
{
	notary_drain_end(n, 0);
	if (n->draining == 0 && n->stashed >= NOTARY_STASH_DRAIN && notary_drain_start(n) == -1)
		log_warnx("notary: cannot read the stash; drained later");
}

static void
notary_batch(struct notary *n, struct notary_job **jobs, size_t count)
{
	struct notary_item it[NOTARY_BATCH_MAX];
	uint64_t newsize = 0, txsize;
	size_t i, nrec = 0;
	int err, gone;

	memset(it, 0, sizeof(it));
	for (i = 0; i < count; i++)
		it[i].job = jobs[i];
	notary_files(n, it, count);
	for (i = 0; i < count; i++)
		nrec += it[i].recorded;
	if (nrec > 0) {
		txsize = n->size;
		if (notary_record(n, it, count, &txsize, &newsize) == 0) {
			for (i = 0; i < count; i++) {
				if (it[i].recorded)
					it[i].job->status = 0;
				n->stashed += it[i].recorded && it[i].stash;
			}
			n->size = newsize;
			n->forget = 0;
		} else {
			err = errno != 0 ? errno : EIO;
			log_warnx("notary: a batch of %zu uploads was not recorded: %s",
			    nrec, strerror(err));
			/* What was answered as failed must not be in the ledger. */
			gone = notary_not_recorded(n, it, count, txsize);
			for (i = 0; i < count; i++)
				if (it[i].recorded)
					notary_unfill(it[i].job, err);
			if (gone == -1)
				fatalx("notary: the ledger is not in the state answered "
				    "(size %" PRIu64 ")", txsize);
		}
	}
	notary_unpromote(n, it, count);
	for (i = 0; i < count; i++)
		jobs[i]->done(jobs[i], jobs[i]->arg);
}

static void *
notary_main(void *arg)
{
	struct notary *n = arg;
	struct notary_job *jobs[NOTARY_BATCH_MAX];
	size_t count;

	pthread_setname_np(pthread_self(), "intaked-notary");
	for (;;) {
		pthread_mutex_lock(&n->mu);
		while (n->head == NULL && !n->closing) {
			struct timespec ts;

			if (!n->stash_on || n->drain_failed || (n->stashed == 0 &&
			    n->draining == 0 && n->forget == 0)) {
				pthread_cond_wait(&n->cv, &n->mu);
				continue;
			}
			/* idle with files in the stash: drained if it stays so */
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += NOTARY_STASH_IDLE_MS * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			if (pthread_cond_timedwait(&n->cv, &n->mu, &ts) == ETIMEDOUT &&
			    n->head == NULL && !n->closing) {
				pthread_mutex_unlock(&n->mu);
				if (notary_drain(n) == -1) {
					log_warnx("notary: the stash could not be drained; "
					    "tried again after the next batch");
					n->drain_failed = 1;
				}
				pthread_mutex_lock(&n->mu);
			}
		}
		if (n->head == NULL) {
			pthread_mutex_unlock(&n->mu);
			break;
		}
		for (count = 0; count < NOTARY_BATCH_MAX && n->head != NULL; count++) {
			jobs[count] = n->head;
			n->head = n->head->next;
			jobs[count]->next = NULL;
		}
		if (n->head == NULL)
			n->tail = NULL;
		pthread_mutex_unlock(&n->mu);
		notary_batch(n, jobs, count);
		if (n->stash_on) {
			n->drain_failed = 0;
			notary_drain_step(n);
		}
	}
	return NULL;
}
