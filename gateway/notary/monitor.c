/*
 * notary/monitor.c: the notary process (see monitor.h).
 *
 * Two threads: this one reads the front's messages, re-validates each job
 * and queues it (notary_submit); the notary thread (notary.c) groups,
 * commits and calls monitor_done, which sends the answer, or, with
 * witnesses (witness.h), holds it until a covering checkpoint is published
 * or witness_timeout passes; the holder thread then sends it. The send
 * mutex keeps one answer's messages together.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/clamd.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/proc.h"
#include "common/verdict.h"
#include "lib/util.h"
#include "notary/monitor.h"
#include "notary/notary.h"
#include "notary/ledger.h"
#include "notary/obligations.h"
#include "notary/prehash.h"
#include "notary/store.h"
#include "notary/witness.h"

#define MONITOR_HASH_BUF   (1024 * 1024)  /* bytes read at a time to re-hash an upload */
#define MONITOR_GENS_MAX   16             /* policy/parties loads kept for jobs in flight */
#define MONITOR_NOFILE     256            /* ledger, WAL, store, jobs' descriptors */

/* One load of the policy and the parties. */
struct monitor_gen {
	struct policy  *policy;
	struct parties *parties;
};

struct monitor {
	int                 sock;
	const struct config *cfg;
	struct notary      *notary;
	pthread_mutex_t     send_mtx;
	struct monitor_gen  gens[MONITOR_GENS_MAX];   /* [0] the newest */
	size_t              ngens;
	uint8_t            *buf;                      /* MONITOR_HASH_BUF */
	struct prehash     *prehash;                  /* large uploads, hashed as they arrive */
	/* witnessed logs (issue 16): answers held until a checkpoint that covers
	 * them is published, or witness_timeout has passed (then 202, no proof) */
	struct witnesses   *witnesses;
	struct ledger      *published;                /* read-only, witnessed view */
	struct ledger      *reader;                   /* read-only: claims against the log */
	pthread_t           holder;
	int                 holder_started;
	pthread_mutex_t     held_mtx;
	pthread_cond_t      held_cond;
	struct monitor_job *held;
	int                 closing;
};

/* A job between its MSG_RECORD and its verdict, then in the notary. */
struct monitor_job {
	struct notary_job  nj;       /* first: the notary's done() gets it back */
	struct monitor    *mon;
	uint64_t           id;
	struct verdict_rx  rx;
	struct timespec    deadline;  /* held: when to answer without a proof */
	int                fail;      /* errno: its claims could not be checked, not recorded */
	struct monitor_job *next_held;
};

static volatile sig_atomic_t monitor_hup;

static void
monitor_on_hup(int sig)
{
	monitor_hup = 1;
}

/* Keys of the data tree go to U; the log key file (KEY) is left as it is. */
static uid_t   chown_uid;
static gid_t   chown_gid;
static dev_t   chown_key_dev;
static ino_t   chown_key_ino;

static int
monitor_chown_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (st->st_dev == chown_key_dev && st->st_ino == chown_key_ino)
		return 0;
	if (flag == FTW_SL || flag == FTW_NS)
		return 0;
	/* already the user's: nothing to do (and nothing root may be refused,
	 * as on a network filesystem that maps root to nobody) */
	if (st->st_uid == chown_uid && st->st_gid == chown_gid)
		return 0;
	if (lchown(path, chown_uid, chown_gid) == -1) {
		log_warn("%s: chown %s", __func__, path);
		return -1;
	}
	return 0;
}

/* As root: gives the data directory tree to U, so that the notary still
 * writes it after its drop (and the front its quarantine), and the store
 * when it is a directory of its own ([store] path) on the same rule. */
static int
monitor_chown_data(const struct config *cfg, const struct proc_user *u)
{
	struct stat st;

	if (!u->drop)
		return 0;
	chown_uid = u->uid;
	chown_gid = u->gid;
	chown_key_dev = 0;
	chown_key_ino = 0;
	if (stat(cfg->log_key, &st) == 0) {
		chown_key_dev = st.st_dev;
		chown_key_ino = st.st_ino;
	}
	if (nftw(cfg->data, monitor_chown_one, 16, FTW_PHYS) != 0)
		return -1;
	if (cfg->store_shared && nftw(cfg->store, monitor_chown_one, 16, FTW_PHYS) != 0)
		return -1;
	return 0;
}

/* Loads the policy and the parties as a new generation. 0/-1 (logged). */
static int
monitor_load(struct monitor *mon)
{
	struct monitor_gen g = { 0 };
	char err[CONFIG_ERR_MAX];

	if (policy_load(mon->cfg->policy_file, &g.policy, err, sizeof(err)) == -1 ||
	    parties_load(mon->cfg->parties_file, &g.parties, err, sizeof(err)) == -1) {
		log_warnx("notary: reload refused, keeping the running policy and parties: %s",
		    err);
		policy_free(g.policy);
		return -1;
	}
	if (mon->ngens == MONITOR_GENS_MAX) {
		mon->ngens--;
		policy_free(mon->gens[mon->ngens].policy);
		parties_free(mon->gens[mon->ngens].parties);
	}
	memmove(&mon->gens[1], &mon->gens[0], mon->ngens * sizeof(mon->gens[0]));
	mon->gens[0] = g;
	mon->ngens++;
	return 0;
}

/* Whether a loaded generation knows KIND and PARTY; the workbook row
 * limit of the newest that does. */
static int
monitor_known(const struct monitor *mon, const char *kind, const char *party, size_t *rows)
{
	for (size_t i = 0; i < mon->ngens; i++) {
		const struct monitor_gen *g = &mon->gens[i];

		if (policy_kind(g->policy, kind) != NULL && parties_find(g->parties, party) != NULL) {
			*rows = g->policy->workbook_rows ? g->policy->workbook_rows : WB_ROWS_DEFAULT;
			return 1;
		}
	}
	return 0;
}

/* Whether a loaded generation has AGENT as a provider that acts for PARTY,
 * and KIND is the one kind a provider sends (DESIGN §5 ?for=). */
static int
monitor_agent_ok(const struct monitor *mon, const char *agent, const char *party,
    const char *kind)
{
	if (strcmp(kind, KIND_SHARED_RESOURCE) != 0)
		return 0;
	for (size_t i = 0; i < mon->ngens; i++)
		if (party_acts_for(parties_find(mon->gens[i].parties, agent), party))
			return 1;
	return 0;
}

int
monitor_plan_claim(struct ledger *l, const char *kind, const char *party, int has_plan,
    uint64_t plan)
{
	int r;

	if (!has_plan)
		return 0;
	if (strcmp(kind, KIND_DIRECTOR_LETTER) != 0)
		return 1;
	if ((r = ledger_plan_ok(l, plan, party)) == -1)
		return -1;
	return r == 1 ? 0 : 1;
}

/* SHA-256 of the whole of FD into OUT, which must be SIZE bytes long: not
 * one byte fewer or more. The last read asks for one byte past SIZE, so
 * that a short answer proves the end without a read of its own. *WHOLE is
 * set when one read brought it all: MON's buffer then holds the file.
 * 0/-1. */
static int
monitor_hash(struct monitor *mon, int fd, uint64_t size, uint8_t out[32], int *whole)
{
	EVP_MD_CTX *ctx;
	unsigned int len;
	uint64_t off = 0;
	ssize_t r;
	int ret = -1, end = 0, reads = 0;

	*whole = 0;
	if ((ctx = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	if (size >= MONITOR_HASH_BUF)
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	while (!end) {
		size_t want = size - off < MONITOR_HASH_BUF ? (size_t)(size - off) + 1 :
		    MONITOR_HASH_BUF;

		if ((r = pread(fd, mon->buf, want, (off_t)off)) == -1 && errno == EINTR)
			continue;
		/* an error, the end before SIZE, or a byte past it */
		if (r == -1 || (r == 0 && off < size) || (uint64_t)r > size - off)
			goto out;
		if (EVP_DigestUpdate(ctx, mon->buf, (size_t)r) != 1)
			goto out;
		off += (uint64_t)r;
		end = off == size && (size_t)r < want;
		reads++;
	}
	ret = EVP_DigestFinal_ex(ctx, out, &len) == 1 ? 0 : -1;
	*whole = ret == 0 && reads == 1;
out:
	EVP_MD_CTX_free(ctx);
	return ret;
}

/* A breach by the front: record what is queued, then stop the daemon. */
static void __attribute__((noreturn))
monitor_breach(struct monitor *mon, const char *what)
{
	log_warnx("notary: the front sent %s: treating it as corrupted; nothing of it is "
	    "signed, the daemon stops", what);
	notary_close(mon->notary);
	_exit(1);
}

/* Sends the answer to one job and frees it. The notary thread, or the
 * holder thread for answers held for the witnesses. */
static void
monitor_answer(struct notary_job *nj, void *arg)
{
	struct monitor_job *j = (struct monitor_job *)nj;
	struct monitor *mon = arg;
	struct msg_recorded a;
	const char *texts[3] = { nj->entry, nj->receipt, nj->proof };
	const uint32_t whats[3] = { MSG_TEXT_ENTRY, MSG_TEXT_RECEIPT, MSG_TEXT_PROOF };
	_Alignas(8) static uint8_t buf[MSG_PAYLOAD_MAX];
	struct msg_chunk *c = (struct msg_chunk *)buf;
	int ok = 1, chunks;

	memset(&a, 0, sizeof(a));
	a.status = nj->status == 0 ? 0 : -1;
	a.err = nj->err;
	if (a.status == 0) {
		a.index = nj->index;
		a.entry_len = nj->entry ? strlen(nj->entry) : 0;
		a.receipt_len = nj->receipt ? strlen(nj->receipt) : 0;
		a.proof_len = nj->proof ? strlen(nj->proof) : 0;
		snprintf(a.time, sizeof(a.time), "%s", nj->time);
		memcpy(a.sha256, nj->sha256, sizeof(a.sha256));
	}
	chunks = a.status == 0;
	pthread_mutex_lock(&mon->send_mtx);
	if (a.status == 0 && a.entry_len + a.receipt_len + a.proof_len <=
	    MSG_PAYLOAD_MAX - sizeof(a)) {
		/* the usual case: one record carries the answer and its texts */
		size_t len = sizeof(a);

		memcpy(buf, &a, sizeof(a));
		for (int t = 0; t < 3; t++) {
			size_t n = texts[t] ? strlen(texts[t]) : 0;

			if (n > 0)
				memcpy(buf + len, texts[t], n);
			len += n;
		}
		if (msg_send(mon->sock, MSG_RECORDED, j->id, buf, len, -1) == -1)
			ok = 0;
		chunks = 0;
	} else if (msg_send(mon->sock, MSG_RECORDED, j->id, &a, sizeof(a), -1) == -1)
		ok = 0;
	for (int t = 0; ok && chunks && t < 3; t++) {
		size_t len = texts[t] ? strlen(texts[t]) : 0;

		for (size_t off = 0; ok && off < len; off += c->len) {
			c->what = whats[t];
			c->len = (uint32_t)(len - off < MSG_CHUNK_MAX ? len - off : MSG_CHUNK_MAX);
			memcpy(c->data, texts[t] + off, c->len);
			if (msg_send(mon->sock, MSG_TEXT, j->id, buf, msg_chunk_len(c->len), -1) == -1)
				ok = 0;
		}
	}
	pthread_mutex_unlock(&mon->send_mtx);
	if (!ok)
		log_warn("notary: cannot answer job %llu (the front is gone)",
		    (unsigned long long)j->id);
	notary_job_clear(nj);
	free(j);
}

/* Replaces a held job's proof with one against the latest published
 * checkpoint if that covers it: 1 done, 0 not yet. */
static int
monitor_published_proof(struct monitor *mon, struct monitor_job *j)
{
	char *proof = NULL;

	if (ledger_proof(mon->published, j->nj.index, &proof) != 0) {
		free(proof);
		return 0;
	}
	free(j->nj.proof);
	j->nj.proof = proof;
	return 1;
}

/* The holder thread: answers held jobs once a checkpoint covering them is
 * published, or without a proof (the front's 202) at their deadline. */
static void *
monitor_holder(void *arg)
{
	struct monitor *mon = arg;
	struct monitor_job *j, **pj, *ready;
	struct timespec now, until;

	pthread_setname_np(pthread_self(), "intaked-held");
	pthread_mutex_lock(&mon->held_mtx);
	for (;;) {
		clock_gettime(CLOCK_REALTIME, &now);
		ready = NULL;
		until.tv_sec = now.tv_sec + 3600;
		until.tv_nsec = 0;
		for (pj = &mon->held; (j = *pj) != NULL;) {
			int covered = j->nj.index < witness_published(mon->witnesses) &&
			    monitor_published_proof(mon, j);

			if (covered || mon->closing || now.tv_sec > j->deadline.tv_sec ||
			    (now.tv_sec == j->deadline.tv_sec && now.tv_nsec >= j->deadline.tv_nsec)) {
				if (!covered) {
					free(j->nj.proof);
					j->nj.proof = NULL;
				}
				*pj = j->next_held;
				j->next_held = ready;
				ready = j;
				continue;
			}
			if (j->deadline.tv_sec < until.tv_sec ||
			    (j->deadline.tv_sec == until.tv_sec && j->deadline.tv_nsec < until.tv_nsec))
				until = j->deadline;
			pj = &j->next_held;
		}
		if (ready != NULL) {
			pthread_mutex_unlock(&mon->held_mtx);
			while ((j = ready) != NULL) {
				ready = j->next_held;
				monitor_answer(&j->nj, mon);
			}
			pthread_mutex_lock(&mon->held_mtx);
			continue;
		}
		if (mon->closing)
			break;
		pthread_cond_timedwait(&mon->held_cond, &mon->held_mtx, &until);
	}
	pthread_mutex_unlock(&mon->held_mtx);
	return NULL;
}

/* A checkpoint was published (a witness thread): wake the holder. */
static void
monitor_on_published(uint64_t size, void *arg)
{
	struct monitor *mon = arg;

	(void)size;
	pthread_mutex_lock(&mon->held_mtx);
	pthread_cond_broadcast(&mon->held_cond);
	pthread_mutex_unlock(&mon->held_mtx);
}

/* A job is committed (notary thread). Without witnesses it is answered at
 * once, its proof against the checkpoint just signed; with them, the answer
 * waits for a published checkpoint that covers it, witness_timeout at most. */
static void
monitor_done(struct notary_job *nj, void *arg)
{
	struct monitor_job *j = (struct monitor_job *)nj;
	struct monitor *mon = arg;

	if (mon->cfg->witness_quorum == 0 || nj->status != 0) {
		witness_kick(mon->witnesses);
		monitor_answer(nj, arg);
		return;
	}
	witness_kick(mon->witnesses);
	clock_gettime(CLOCK_REALTIME, &j->deadline);
	j->deadline.tv_sec += mon->cfg->witness_timeout;
	pthread_mutex_lock(&mon->held_mtx);
	j->next_held = mon->held;
	mon->held = j;
	pthread_cond_broadcast(&mon->held_cond);
	pthread_mutex_unlock(&mon->held_mtx);
}

/* MSG_RECORD: re-validates the claims; a new job, or a breach. */
static struct monitor_job *
monitor_record(struct monitor *mon, const struct msg *m)
{
	const struct msg_record *r = (const struct msg_record *)m->payload;
	struct monitor_job *j;
	struct stat fst, qst;
	uint8_t h[32];
	size_t rows = 0, n;
	int len, qd, ph = 1, plan = 0, whole = 0;

	if (fstat(m->fd, &fst) == -1 || !S_ISREG(fst.st_mode))
		monitor_breach(mon, "a descriptor that is not a regular file");
	if ((uint64_t)fst.st_size != r->size)
		monitor_breach(mon, "a size that is not the file's");
	if (!monitor_known(mon, r->kind, r->party, &rows))
		monitor_breach(mon, "a kind or a Party that the policy and parties do not know");
	if (r->agent[0] != '\0' && !monitor_agent_ok(mon, r->agent, r->party, r->kind))
		monitor_breach(mon, "an agent that is not a provider acting for the Party");
	if ((plan = monitor_plan_claim(mon->reader, r->kind, r->party,
	    r->has_plan != 0, r->plan)) == 1)
		monitor_breach(mon, "a plan that is not an accepted remediation plan of the Party");
	n = strlen(r->cert_sha256);
	if (n != 64 || strspn(r->cert_sha256, "0123456789abcdef") != 64)
		monitor_breach(mon, "a certificate hash that is not one");
	if ((j = calloc(1, sizeof(*j))) == NULL)
		fatalx("notary: out of memory");
	len = snprintf(j->nj.quarantine, sizeof(j->nj.quarantine), "%s/%s/%s",
	    notary_data(mon->notary), QUARANTINE_DIR, r->quarantine);
	/* a plain name (msg.c): looked up in the quarantine directory alone */
	qd = notary_store(mon->notary)->qfd;
	if (len < 0 || (size_t)len >= sizeof(j->nj.quarantine) ||
	    fstatat(qd != -1 ? qd : AT_FDCWD, qd != -1 ? r->quarantine : j->nj.quarantine, &qst,
	    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(qst.st_mode) ||
	    qst.st_dev != fst.st_dev || qst.st_ino != fst.st_ino)
		monitor_breach(mon, "a quarantine name that is not its file's");
	if (r->prehash != 0)
		ph = prehash_finish(mon->prehash, r->prehash, m->fd, r->size, h);
	if (ph == -1)
		monitor_breach(mon, "a pre-hashed file that is not the record's or not its size");
	if (ph == 1 && monitor_hash(mon, m->fd, r->size, h, &whole) == -1)
		monitor_breach(mon, "a file that cannot be read to its claimed size");
	/* a small file's bytes are at hand: kept for the stash (notary.c); none
	 * is no harm, the batch then makes the file durable itself */
	if (whole && r->size <= NOTARY_STASH_MAX &&
	    (j->nj.content = malloc(r->size > 0 ? (size_t)r->size : 1)) != NULL)
		memcpy(j->nj.content, mon->buf, (size_t)r->size);
	if (r->has_sha256 && memcmp(h, r->sha256, sizeof(h)) != 0)
		monitor_breach(mon, "a SHA-256 that is not the file's");
	j->mon = mon;
	j->id = m->hdr.id;
	if (plan == -1) {
		/* not a lie, but not checked either: nothing is recorded */
		log_warnx("notary: job %llu: cannot read the ledger to check its plan",
		    (unsigned long long)j->id);
		j->fail = EIO;
	}
	memcpy(j->nj.party, r->party, sizeof(j->nj.party));
	memcpy(j->nj.cert_sha256, r->cert_sha256, sizeof(j->nj.cert_sha256));
	memcpy(j->nj.kind, r->kind, sizeof(j->nj.kind));
	memcpy(j->nj.filename, r->filename, sizeof(j->nj.filename));
	memcpy(j->nj.ref, r->ref, sizeof(j->nj.ref));
	memcpy(j->nj.client_digest, r->client_digest, sizeof(j->nj.client_digest));
	memcpy(j->nj.agent, r->agent, sizeof(j->nj.agent));
	j->nj.plan = r->plan;
	j->nj.has_plan = r->has_plan != 0;
	if (r->scan[0] != '\0' && !clamd_version_ok(r->scan))
		monitor_breach(mon, "a scan line that is not a clamd VERSION answer");
	memcpy(j->nj.scan, r->scan, sizeof(j->nj.scan));
	memcpy(j->nj.sha256, h, sizeof(h));
	j->nj.size = r->size;
	j->nj.done = monitor_done;
	j->nj.arg = mon;
	verdict_rx_init(&j->rx, j->id, rows, &j->nj.result);
	return j;
}

/* MSG_FACT: re-checks it from the notary's own parties load (the newest):
 * the recorder is SECAS, the Party exists, the fact and date are real. A
 * new job, submitted at once, or a breach. */
static void
monitor_fact(struct monitor *mon, const struct msg *m)
{
	const struct msg_fact *f = (const struct msg_fact *)m->payload;
	const struct parties *ps = mon->gens[0].parties;
	const struct party *by = parties_find(ps, f->recorded_by);
	struct monitor_job *j;
	int32_t days;

	if (by == NULL || by->role != ROLE_SECAS)
		monitor_breach(mon, "a fact from someone who is not SECAS");
	if (parties_find(ps, f->party) == NULL)
		monitor_breach(mon, "a fact about an unknown Party");
	if (!obl_fact_known(f->fact) || obl_date_parse(f->date, &days) == -1)
		monitor_breach(mon, "a fact with an unknown name or an impossible date");
	if (strlen(f->cert_sha256) != 64 || strspn(f->cert_sha256, "0123456789abcdef") != 64)
		monitor_breach(mon, "a certificate hash that is not one");
	if ((j = calloc(1, sizeof(*j))) == NULL)
		fatalx("notary: out of memory");
	j->mon = mon;
	j->id = m->hdr.id;
	memcpy(j->nj.party, f->party, sizeof(j->nj.party));
	memcpy(j->nj.recorded_by, f->recorded_by, sizeof(j->nj.recorded_by));
	memcpy(j->nj.cert_sha256, f->cert_sha256, sizeof(j->nj.cert_sha256));
	memcpy(j->nj.fact, f->fact, sizeof(j->nj.fact));
	memcpy(j->nj.fact_date, f->date, sizeof(j->nj.fact_date));
	snprintf(j->nj.kind, sizeof(j->nj.kind), "%s", FACT_KIND);
	j->nj.result.accepted = 1;
	j->nj.done = monitor_done;
	j->nj.arg = mon;
	notary_submit(mon->notary, &j->nj);
}

/* Reads the front's messages until it closes. */
static void
monitor_loop(struct monitor *mon)
{
	static struct msg m;
	struct monitor_job *j = NULL;
	int r;

	for (;;) {
		if (monitor_hup) {
			monitor_hup = 0;
			if (monitor_load(mon) == 0)
				log_info("notary: reloaded policy and parties (%zu kinds, %zu parties)",
				    mon->gens[0].policy->nkinds, mon->gens[0].parties->n);
		}
		if ((r = msg_recv(mon->sock, &msg_to_notary, &m)) == -1 &&
		    (errno == EINTR || errno == EAGAIN))
			continue;
		if (r == 0)
			break;
		if (r == -1) {
			log_warnx("notary: %s: %s", msg_to_notary.name, strerror(errno));
			monitor_breach(mon, "a message that breaks its rules");
		}
		switch (m.hdr.type) {
		case MSG_RECORD:
			if (j != NULL)
				monitor_breach(mon, "a record request inside another");
			j = monitor_record(mon, &m);
			close(m.fd);
			break;
		case MSG_FINDING:
		case MSG_MANIFEST:
		case MSG_WBREF:
		case MSG_VERDICT:
			if (j == NULL)
				monitor_breach(mon, "a verdict without a record request");
			if ((r = verdict_rx_take(&j->rx, &m)) == -1)
				monitor_breach(mon, "a verdict that does not add up");
			/* with [scan], nothing is accepted unscanned (issue 19) */
			if (r == 1 && mon->cfg->scan_clamd[0] != '\0' &&
			    j->nj.result.accepted && j->nj.scan[0] == '\0')
				monitor_breach(mon, "an accepted upload that was not scanned");
			if (r == 1 && j->fail != 0) {
				(void)store_discard(notary_store(mon->notary), j->nj.quarantine);
				j->nj.status = -1;
				j->nj.err = j->fail;
				monitor_answer(&j->nj, mon);
				j = NULL;
			} else if (r == 1) {
				notary_submit(mon->notary, &j->nj);
				j = NULL;
			}
			break;
		case MSG_FACT:
			if (j != NULL)
				monitor_breach(mon, "a fact inside a record request");
			monitor_fact(mon, &m);
			break;
		case MSG_HASH_OPEN:
			if (prehash_open(mon->prehash, m.hdr.id, m.fd) == -1)
				monitor_breach(mon, "a pre-hash token used before");
			break;
		case MSG_HASH_MORE:
			prehash_more(mon->prehash, m.hdr.id,
			    ((const struct msg_hash *)m.payload)->upto);
			break;
		case MSG_HASH_DROP:
			prehash_drop(mon->prehash, m.hdr.id);
			break;
		default:
			fatalx("notary: message type %u passed its allowlist", m.hdr.type);
		}
	}
	if (j != NULL) {
		/* the front went away mid-request: nothing of it is recorded */
		(void)store_discard(notary_store(mon->notary), j->nj.quarantine);
		notary_job_clear(&j->nj);
		free(j);
	}
}

void
notary_serve(int sock, const struct config *cfg, const struct proc_user *u)
{
	static struct monitor mon;
	struct proc_limits lim = {
		.nofile = MONITOR_NOFILE,
		.nproc = PROC_KEEP,         /* its own thread */
		.fsize = PROC_KEEP,         /* the ledger grows */
		.core = 0,                  /* a core would hold the key */
	};
	struct sigaction sa;
	struct msg_ready rd;
	char err[CONFIG_ERR_MAX];

	mon.sock = sock;
	mon.cfg = cfg;
	pthread_mutex_init(&mon.send_mtx, NULL);
	/* the parent relays SIGHUP; SIGTERM is the front's: the notary ends
	 * when the front does, after its queue */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = monitor_on_hup;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);     /* no SA_RESTART: a blocked read returns EINTR */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);

	if ((mon.notary = notary_new(cfg, err, sizeof(err))) == NULL) {
		log_warnx("notary: %s", err);
		_exit(1);
	}
	if (monitor_chown_data(cfg, u) == -1) {
		log_warnx("notary: cannot give the data directory %s or the store %s to user %s",
		    cfg->data, cfg->store, u->name);
		_exit(1);
	}
	if (proc_drop(u, NOTARY_COMM, &lim, err, sizeof(err)) == -1) {
		log_warnx("notary: %s", err);
		_exit(1);
	}
	if (notary_start(mon.notary, err, sizeof(err)) == -1) {
		log_warnx("notary: %s", err);
		notary_close(mon.notary);
		_exit(1);
	}
	if (monitor_load(&mon) == -1 || (mon.buf = malloc(MONITOR_HASH_BUF)) == NULL ||
	    (mon.prehash = prehash_new()) == NULL) {
		notary_close(mon.notary);
		_exit(1);
	}
	if ((mon.reader = ledger_open_dsn(cfg->data, config_ledger_dsn(cfg), 0, err,
	    sizeof(err))) == NULL) {
		log_warnx("notary: %s", err);
		notary_close(mon.notary);
		_exit(1);
	}
	pthread_mutex_init(&mon.held_mtx, NULL);
	pthread_cond_init(&mon.held_cond, NULL);
	if ((mon.witnesses = witness_open(cfg, monitor_on_published, &mon, err,
	    sizeof(err))) == NULL) {
		log_warnx("notary: %s", err);
		notary_close(mon.notary);
		_exit(1);
	}
	if (cfg->witness_quorum > 0) {
		if ((mon.published = ledger_open_dsn(cfg->data, config_ledger_dsn(cfg), 0, err,
		    sizeof(err))) == NULL ||
		    ledger_set_witnessed(mon.published) == -1) {
			log_warnx("notary: %s", err);
			notary_close(mon.notary);
			_exit(1);
		}
		if (pthread_create(&mon.holder, NULL, monitor_holder, &mon) != 0) {
			log_warnx("notary: cannot start the holder thread");
			notary_close(mon.notary);
			_exit(1);
		}
		mon.holder_started = 1;
	}
	memset(&rd, 0, sizeof(rd));
	rd.size = notary_size(mon.notary);
	if (snprintf(rd.vkey, sizeof(rd.vkey), "%s", notary_vkey(mon.notary)) >=
	    (int)sizeof(rd.vkey))
		fatalx("notary: verifier key too long");
	if (msg_send(sock, MSG_READY, 0, &rd, sizeof(rd), -1) == -1) {
		notary_close(mon.notary);
		_exit(1);
	}
	monitor_loop(&mon);
	notary_close(mon.notary);
	if (mon.holder_started) {
		/* what is still held is answered now, without a proof (202) */
		pthread_mutex_lock(&mon.held_mtx);
		mon.closing = 1;
		pthread_cond_broadcast(&mon.held_cond);
		pthread_mutex_unlock(&mon.held_mtx);
		pthread_join(mon.holder, NULL);
	}
	witness_close(mon.witnesses);
	ledger_close(mon.published);
	ledger_close(mon.reader);
	for (size_t i = 0; i < mon.ngens; i++) {
		policy_free(mon.gens[i].policy);
		parties_free(mon.gens[i].parties);
	}
	prehash_free(mon.prehash);
	free(mon.buf);
	close(sock);
	exit(0);
}
