/*
 * front/upload.c: PUT /v1/submissions/{kind}/{filename}[?ref=REF].
 *
 * Runs in the loop thread. Before the body: the Party is known (conn.c),
 * the kind must exist (404), the filename and ref must be valid (400), a
 * declared size over the limit is refused (413); none of these are logged.
 * Only a request that passes them is charged to the Party's rate and
 * volume limits (429, limits.h).
 * The body then streams into a new quarantine file while SHA-256 (and
 * SHA-512 when the client claims one) is computed, and NUL bytes past the
 * typed prefix are looked for; past SPOOL_AFTER bytes a spool (spool.h)
 * takes over the hashing and the writes in threads of its own. Memory stays
 * bounded by the bufferevent watermark and the spool's buffers whatever the
 * size. A body that grows past the
 * limit stops being stored and ends as a logged rejection. When the last
 * byte is in, the job goes to the pipeline (inspect, then notary) and the
 * answer, 201 or 422 with the signed receipt, is written when the notary
 * has made everything durable. An upload cut short leaves nothing: the
 * quarantine file is removed and nothing is logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/log.h"
#include "front/conn.h"
#include "front/follow.h"
#include "front/front.h"
#include "front/limits.h"
#include "front/notaryc.h"
#include "front/spool.h"
#include "front/url.h"
#include "inspect/types.h"
#include "lib/utf8.h"
#include "lib/util.h"
#include "notary/entry.h"
#include "notary/ledger.h"
#include "notary/store.h"

#define UPLOAD_WRITEBACK (32u << 20)  /* start write-back of each 32 MiB received */
#define UPLOAD_SCAN_RETRY 30          /* seconds a client waits when clamd is down (503) */

/* Why a filename or a ref is refused, by the class lib/utf8.h gave. */
static const char *const filename_why[] = {
	[UTF8_INVALID]   = "filename: not valid UTF-8",
	[UTF8_CONTROL]   = "filename: control character",
	[UTF8_SEPARATOR] = "filename: line or paragraph separator",
	[UTF8_BIDI]      = "filename: bidirectional control character",
	[UTF8_NONCHAR]   = "filename: Unicode noncharacter",
	[UTF8_BOM]       = "filename: byte order mark",
};
static const char *const ref_why[] = {
	[UTF8_INVALID]   = "ref: not valid UTF-8",
	[UTF8_CONTROL]   = "ref: control character",
	[UTF8_SEPARATOR] = "ref: line or paragraph separator",
	[UTF8_BIDI]      = "ref: bidirectional control character",
	[UTF8_NONCHAR]   = "ref: Unicode noncharacter",
	[UTF8_BOM]       = "ref: byte order mark",
};
_Static_assert(sizeof(filename_why) / sizeof(filename_why[0]) == UTF8_BOM + 1 &&
    sizeof(ref_why) / sizeof(ref_why[0]) == UTF8_BOM + 1, "a message for every class");

int
upload_filename(const char *in, size_t len, char *out, size_t outlen, const char **why)
{
	enum utf8_class c;
	size_t n;

	if (url_decode(in, len, out, outlen, &n) == -1) {
		*why = "filename: bad percent-encoding or longer than 255 bytes";
		return -1;
	}
	if (n == 0) {
		*why = "filename: empty";
		return -1;
	}
	if (n > FILENAME_MAX_BYTES) {
		*why = "filename: longer than 255 bytes";
		return -1;
	}
	if (memchr(out, '\0', n) != NULL) {
		*why = "filename: control character";
		return -1;
	}
	if (memchr(out, '/', n) != NULL) {
		*why = "filename: contains '/'";
		return -1;
	}
	if (out[0] == '.') {
		*why = "filename: starts with '.'";
		return -1;
	}
	/* Exactly what the notary signs without rewriting (lib/utf8.h). */
	if ((c = utf8_check(out, n, NULL)) != UTF8_OK) {
		*why = filename_why[c];
		return -1;
	}
	return 0;
}

/* IN is the ref as url_query gave it, percent-decoded once already: it is
 * taken as it is ("EV%41" stays "EV%41"), never decoded a second time. */
int
upload_ref(const char *in, size_t len, char *out, size_t outlen, const char **why)
{
	enum utf8_class c;

	if (len == 0) {
		*why = "ref: empty";
		return -1;
	}
	if (len > REF_MAX || len >= outlen) {
		*why = "ref: longer than 128 bytes";
		return -1;
	}
	if ((c = utf8_check(in, len, NULL)) != UTF8_OK) {
		*why = ref_why[c];
		return -1;
	}
	memcpy(out, in, len);
	out[len] = '\0';
	return 0;
}

/*
 * ?for=ID and ?plan=N, decided before any body byte is read (DESIGN §5):
 * for= only from a provider, for kind shared-resource-return, naming a
 * Party in its acts_for (else 403); plan= only on a director-letter and
 * naming an accepted remediation-plan receipt of the same Party, read from
 * the ledger now (ledger_plan_ok; else 400 or 403, and nothing is
 * recorded). The notary checks the agent again from its own parties load,
 * and the plan from its own ledger connection. 0 ok, 1 refused with
 * *WHY and *STATUS.
 */
static int
upload_for_plan(struct conn *c, const char *query, const char **why, int *status)
{
	struct upload *u = &c->up;
	const char *party = c->party_id;
	char buf[PARTY_ID_MAX + 1], *end;
	unsigned long long n;
	int r;

	*status = 400;
	if ((r = url_query(query, "for", buf, sizeof(buf))) != 0) {
		*status = 403;
		*why = "for: only a Shared Resource Provider, for a shared-resource-return "
		    "of a Party it acts for";
		if (r == -1 || c->role != ROLE_PROVIDER ||
		    strcmp(u->kind_name, KIND_SHARED_RESOURCE) != 0 ||
		    !party_acts_for(c->party, buf) || parties_find(c->rt->parties, buf) == NULL)
			return 1;
		if (strlen(buf) >= sizeof(u->for_party))
			return 1;
		memcpy(u->for_party, buf, strlen(buf) + 1);
		party = u->for_party;
	} else if (c->role == ROLE_PROVIDER) {
		/* a provider only ever sends for a Party it serves */
		*status = 403;
		*why = "for: a Shared Resource Provider names the Party it sends for";
		return 1;
	}
	if ((r = url_query(query, "plan", buf, sizeof(buf))) != 0) {
		*why = "plan: only on a director-letter, naming an accepted remediation-plan "
		    "receipt of the same Party";
		if (r == -1 || strcmp(u->kind_name, KIND_DIRECTOR_LETTER) != 0 ||
		    buf[0] < '0' || buf[0] > '9' || (buf[0] == '0' && buf[1] != '\0'))
			return 1;
		errno = 0;
		n = strtoull(buf, &end, 10);
		if (errno != 0 || *end != '\0')
			return 1;
		if ((r = ledger_plan_ok(c->front->ledger, (uint64_t)n, party)) != 1) {
			*status = r == -1 ? 500 : 403;
			if (r == -1)
				*why = "cannot read the ledger";
			return 1;
		}
		u->plan = (uint64_t)n;
		u->has_plan = 1;
	}
	return 0;
}

/*
 * What an upload claims before its body: kind, filename, ref, for and plan,
 * from PATH ("{kind}/{filename}", percent-encoded) and QUERY (may be NULL).
 * The PUT path and the creation of a resumable upload (tus.c) both decide
 * here, so that one is refused exactly when the other is. Fills c->up's
 * claims; 0, or -1 refused (answered).
 */
int
upload_claims(struct conn *c, const char *path, const char *query)
{
	struct upload *u = &c->up;
	const char *slash, *why;
	char kname[KIND_NAME_MAX + 8];
	char refbuf[4 * REF_MAX];
	size_t klen;
	int r, status;

	if ((slash = strchr(path, '/')) == NULL)
		return conn_refuse(c, 404, "use /v1/submissions/{kind}/{filename}");
	klen = (size_t)(slash - path);
	if (url_decode(path, klen, kname, sizeof(kname), NULL) == -1 ||
	    (u->kind = policy_kind(c->rt->policy, kname)) == NULL)
		return conn_refuse(c, 404, "unknown submission kind");
	snprintf(u->kind_name, sizeof(u->kind_name), "%s", u->kind->name);
	if (upload_filename(slash + 1, strlen(slash + 1), u->filename,
	    sizeof(u->filename), &why) == -1)
		return conn_refuse(c, 400, why);
	if (query && (r = url_query(query, "ref", refbuf, sizeof(refbuf))) != 0) {
		if (r == -1 || upload_ref(refbuf, strlen(refbuf), u->ref, sizeof(u->ref), &why) == -1)
			return conn_refuse(c, 400, r == -1 ?
			    "ref: bad percent-encoding, a NUL, or too long" : why);
	}
	if ((r = upload_for_plan(c, query ? query : "", &why, &status)) != 0)
		return conn_refuse(c, status, why);
	return 0;
}

int
upload_begin(struct conn *c, int method, const char *path, const char *query)
{
	struct upload *u = &c->up;

	(void)method;   /* PUT: the route says so */
	u->nul_at = UINT64_MAX;
	clock_gettime(CLOCK_MONOTONIC, &u->began);
	if (upload_claims(c, path, query) == -1)
		return -1;
	/* The digest claim is copied into the entry as it came: it must be
	 * signable as it is, like the filename. */
	if (u->digest_hdr[0] != '\0' &&
	    utf8_check(u->digest_hdr, strlen(u->digest_hdr), NULL) != UTF8_OK)
		return conn_refuse(c, 400, "Content-Digest: a character a receipt cannot hold");
	u->max = policy_max_upload(c->rt->policy, u->kind);
	u->direct = upload_direct(u->kind);
	/* What the request is decides first (411, 413): a request refused for
	 * itself is answered as such, and never charged to the Party's limits. */
	if (!(c->parser.flags & F_CHUNKED) && (c->parser.flags & F_CONTENT_LENGTH) == 0)
		return conn_refuse(c, 411, "Content-Length or chunked encoding required");
	if (!(c->parser.flags & F_CHUNKED) && c->parser.content_length > u->max) {
		char msg[128];

		snprintf(msg, sizeof(msg), "declared size exceeds max_upload of %llu bytes",
		    (unsigned long long)u->max);
		return conn_refuse(c, 413, msg);
	}
	u->declared = (c->parser.flags & F_CHUNKED) ? UINT64_MAX : c->parser.content_length;
	if (u->declared >= SPOOL_AFTER)
		conn_large_body(c);
	if (u->digest_hdr[0] && strstr(u->digest_hdr, "sha-512=") != NULL)
		u->sha512 = EVP_MD_CTX_new();
	if ((u->sha256 = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(u->sha256, EVP_sha256(), NULL) != 1 ||
	    (u->sha512 && EVP_DigestInit_ex(u->sha512, EVP_sha512(), NULL) != 1))
		return conn_refuse(c, 500, "out of memory");
	if ((u->fd = store_open_quarantine(c->front->cfg->data, u->path, sizeof(u->path))) == -1) {
		int e = errno;

		log_warn("quarantine file");
		return conn_refuse(c, e == ENOSPC || e == EDQUOT ? 507 : 500,
		    e == ENOSPC || e == EDQUOT ? "insufficient storage" : "cannot store upload");
	}
	/* Last, once nothing else can refuse the upload: the rate token and
	 * the declared bytes are charged only to an upload that starts. */
	{
		unsigned retry;
		uint64_t declared = u->declared == UINT64_MAX ? 0 : u->declared;

		if (limits_upload_start(c->usage ? c->usage :
		    limits_usage(c->front->limits, c->party_id, c->front->cfg),
		    c->front->cfg, declared, &retry) == -1) {
			upload_abort(c);
			return conn_refuse_retry(c, 429,
			    "upload rate or daily volume limit reached", retry);
		}
	}
	return 0;
}

static void upload_spool_wake(void *);

/* Whether a spool may write an upload of kind K with O_DIRECT: not when K
 * admits archives, whose bytes the inspector reads all again (they stay
 * in the page cache). NULL (no such kind any more): no. */
int
upload_direct(const struct kind *k)
{
	if (k == NULL)
		return 0;
	for (size_t i = 0; i < k->ntypes; i++)
		if (types_is_archive(k->types[i]))
			return 0;
	return 1;
}

/* In the spool's writer thread: the file is written up to UPTO. */
static void
upload_prehash_more(void *arg, uint64_t token, uint64_t upto)
{
	notaryc_prehash_more(arg, token, upto);
}

/* A spool started: the notary hashes the file from its own read-only
 * descriptor while the rest arrives, so that its hash waits only for the
 * tail (notary/prehash.h). The front then hashes nothing itself (the
 * notary's SHA-256 is the one the entry gets, and the answer tells it),
 * unless the client claimed a digest the front must compare. */
static void
upload_prehash(struct conn *c)
{
	struct upload *u = &c->up;
	int fd;

	if ((fd = open(u->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return;   /* the notary then reads the whole file after the last byte */
	u->prehash = notaryc_prehash_open(c->front->notary, fd);
	close(fd);
	spool_on_written(u->spool, upload_prehash_more, c->front->notary, u->prehash);
	if (u->digest_hdr[0] == '\0') {
		spool_drop_sha256(u->spool);
		EVP_MD_CTX_free(u->sha256);
		u->sha256 = NULL;
	}
}

int
upload_body(struct conn *c, const char *at, size_t len)
{
	struct upload *u = &c->up;
	size_t n = len;

	if (u->write_errno) {
		u->received += len;   /* counted, not stored: answered 507 at the end */
		return 0;
	}
	if (u->received + len > u->max) {
		/* Stop here: conn.c sees the error and finishes the upload
		 * as a rejection without reading the rest. */
		u->too_large = 1;
		u->received += len;
		return -1;
	}
	if (u->nul_at == UINT64_MAX && u->stored + len > TYPES_MAGIC_BYTES) {
		/* The inspector's text check, done while the bytes are at hand
		 * instead of reading the whole file again (inspect.h). */
		size_t skip = u->stored >= TYPES_MAGIC_BYTES ? 0 :
		    (size_t)(TYPES_MAGIC_BYTES - u->stored);
		const char *z = memchr(at + skip, 0, len - skip);

		if (z != NULL)
			u->nul_at = u->stored + (uint64_t)(z - at);
	}
	u->received += len;
	c->front->n_bytes += len;
	if (c->usage && limits_bytes(c->usage, c->front->cfg, len) == -1) {
		u->over_budget = 1;
		return -1;   /* conn.c answers 429 and drops the upload */
	}
	if (u->spool == NULL && !u->nospool && u->stored >= SPOOL_AFTER) {
		/* A tar (gz, xz) of a declared size is inspected as it comes
		 * (follow.h): not read again, so written O_DIRECT too. */
		int rfd = !u->direct && u->declared != UINT64_MAX ? follow_open(u->path) : -1;

		u->spool = spool_start(c->front->base, u->fd, u->stored, u->direct || rfd != -1,
		    u->sha256, u->sha512, upload_spool_wake, c);
		u->nospool = u->spool == NULL;
		if (u->spool)
			upload_prehash(c);
		if (rfd != -1 && u->spool)
			u->follow = follow_start(u->spool, rfd, u->stored,
			    u->declared, c->rt, u->kind, u->filename,
			    pipeline_inspconf(c->front->pipeline));
		else if (rfd != -1)
			close(rfd);
	}
	u->stored += len;
	if (u->spool) {
		if (spool_add(u->spool, at, len) && c->bev)
			bufferevent_disable(c->bev, EV_READ);   /* until upload_spool_wake */
		return 0;
	}
	EVP_DigestUpdate(u->sha256, at, len);
	if (u->sha512)
		EVP_DigestUpdate(u->sha512, at, len);
	while (len > 0) {
		ssize_t w = write(u->fd, at, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			u->write_errno = errno;
			log_warn("write to quarantine party=%s", c->party_id);
			return 0;
		}
		at += w;
		len -= (size_t)w;
	}
	if ((u->stored - n) / UPLOAD_WRITEBACK != u->stored / UPLOAD_WRITEBACK) {
		/* Start writing back what has arrived, so that the final fsync
		 * of a large upload has little left to do. Asynchronous. */
		uint64_t end = u->stored / UPLOAD_WRITEBACK * UPLOAD_WRITEBACK;

		(void)sync_file_range(u->fd, (off64_t)(end - UPLOAD_WRITEBACK),
		    UPLOAD_WRITEBACK, SYNC_FILE_RANGE_WRITE);
	}
	return 0;
}

/* Removes an unfinished upload without a trace. */
void
upload_abort(struct conn *c)
{
	struct upload *u = &c->up;

	if (u->tus) {
		tus_abort(c);   /* a resumable upload keeps what it has (tus.h) */
		return;
	}
	if (u->prehash) {
		notaryc_prehash_drop(c->front->notary, u->prehash);
		u->prehash = 0;
	}

	if (u->follow) {
		follow_release(u->follow, 0, NULL);
		u->follow = NULL;
	}
	if (u->spool) {
		spool_free(u->spool);
		u->spool = NULL;
		u->spool_ended = 0;
	}
	if (u->fd != -1) {
		close(u->fd);
		u->fd = -1;
		if (u->path[0])
			unlink(u->path);
		u->path[0] = '\0';
	}
	EVP_MD_CTX_free(u->sha256);
	EVP_MD_CTX_free(u->sha512);
	u->sha256 = u->sha512 = NULL;
}

/* Checks an RFC 9530 digest claim against what we computed; adds a
 * rejection finding on mismatch. Unknown algorithms are ignored. */
static void
upload_check_digest(struct upload *u, const uint8_t sha256[32],
    const uint8_t *sha512, struct inspect_result *res)
{
	static const struct { const char *name; size_t len; } algs[] = {
		{ "sha-256", 32 }, { "sha-512", 64 },
	};
	const char *p = u->digest_hdr;

	while (*p) {
		const char *comma = strchr(p, ',');
		size_t itemlen = comma ? (size_t)(comma - p) : strlen(p);
		char item[HDR_VALUE_MAX + 1];
		char *eq, *b64, *end;
		uint8_t got[64];
		long n;

		snprintf(item, sizeof(item), "%.*s", (int)itemlen, p);
		p = comma ? comma + 1 : p + itemlen;
		b64 = item;
		while (*b64 == ' ' || *b64 == '\t')
			b64++;
		if ((eq = strchr(b64, '=')) == NULL)
			continue;
		*eq = '\0';
		for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
			const uint8_t *ours = i == 0 ? sha256 : sha512;

			if (strcasecmp(b64, algs[i].name) != 0 || ours == NULL)
				continue;
			end = eq + 1;
			if (*end != ':' || (end = strchr(eq + 2, ':')) == NULL) {
				inspect_finding(res, 1, "digest-malformed", "",
				    "%s digest is not a byte sequence", algs[i].name);
				break;
			}
			n = util_unb64(eq + 2, (size_t)(end - (eq + 2)), got, sizeof(got));
			if (n != (long)algs[i].len || memcmp(got, ours, algs[i].len) != 0)
				inspect_finding(res, 1, "digest-mismatch", "",
				    "client %s digest differs from the received body", algs[i].name);
			break;
		}
	}
}

/* 201 or 422 with the answer J (taken), and the resumable protocol's
 * headers when the upload came through it. */
static void
upload_answer(struct conn *c, int status, json_t *j)
{
	char *s;

	if ((s = json_dumps(j, JSON_COMPACT)) == NULL) {
		json_decref(j);
		conn_respond(c, 500, "application/json", "{\"error\":\"out of memory\"}", 25, 1);
		return;
	}
	json_decref(j);
	conn_respond_hdr(c, status, "application/json", c->up.answer_hdr[0] ? c->up.answer_hdr :
	    NULL, s, strlen(s), !c->keepalive || c->up.too_large);
	free(s);
}

static void
upload_done(struct pipeline_job *job, void *arg)
{
	struct conn *c = arg;
	struct notary_job *nj = &job->nj;
	struct front *f = c->front;

	c->pending = 0;
	if (nj->status == 0) {
		json_t *j;
		char hex[65];

		double secs;

		util_hex(nj->sha256, 32, hex);
		if (nj->result.accepted)
			f->n_accepted++;
		else
			f->n_rejected++;
		if (nj->index + 1 > f->log_size)
			f->log_size = nj->index + 1;
		secs = metrics_since(&c->up.began);
		metrics_upload(&f->m_uploads, nj->kind, nj->result.accepted, secs);
		log_info("%s index=%llu party=%s kind=%s size=%llu sha256=%s type=%s "
		    "duration=%.3fs%s%s",
		    nj->result.accepted ? "accepted" : "rejected",
		    (unsigned long long)nj->index, nj->party, nj->kind,
		    (unsigned long long)nj->size, hex, nj->result.type, secs,
		    nj->result.nfindings ? " first finding=" : "",
		    nj->result.nfindings ? nj->result.findings[0].code : "");
		if (c->state != CONN_CLOSED) {
			j = json_object();
			json_object_set_new(j, "verdict", json_string(nj->result.accepted ? "accepted" : "rejected"));
			json_object_set_new(j, "index", json_integer((json_int_t)nj->index));
			json_object_set_new(j, "party", json_string(nj->party));
			json_object_set_new(j, "kind", json_string(nj->kind));
			json_object_set_new(j, "filename", json_string(nj->filename));
			if (nj->ref[0])
				json_object_set_new(j, "ref", json_string(nj->ref));
			if (nj->agent[0])
				json_object_set_new(j, "agent", json_string(nj->agent));
			if (nj->has_plan)
				json_object_set_new(j, "plan", json_integer((json_int_t)nj->plan));
			json_object_set_new(j, "size", json_integer((json_int_t)nj->size));
			json_object_set_new(j, "sha256", json_string(hex));
			json_object_set_new(j, "type", json_string(nj->result.type));
			/* The same cleaned findings the ledger keeps (GET gives the same). */
			{
				char *fs = entry_findings_json(&nj->result);
				json_t *fa = fs ? json_loads(fs, 0, NULL) : NULL;

				free(fs);
				json_object_set_new(j, "findings", fa ? fa : json_array());
			}
			json_object_set_new(j, "time", json_string(nj->time));
			json_object_set_new(j, "receipt", json_string(nj->receipt));
			if (nj->proof != NULL)
				json_object_set_new(j, "proof", json_string(nj->proof));
			if (nj->result.accepted && strcmp(nj->kind, KIND_VALIDATION_WORKBOOK) == 0) {
				/* A workbook's answer carries its first link report. */
				json_t *report = NULL;

				if (ledger_links(f->ledger, nj->index, NULL, &report) == 0)
					json_object_set_new(j, "links", report);
			}
			if (nj->proof == NULL)
				conn_json_held(c, nj->index, j,   /* the witnesses are late */
				    !c->keepalive || c->up.too_large);
			else
				upload_answer(c, nj->result.accepted ? 201 : 422, j);
		}
	} else if (job->scan_down) {
		/* [scan]: clamd gave no verdict; nothing recorded, the
		 * quarantine file gone (pipeline.c); the client tries again */
		f->n_failed++;
		if (c->state != CONN_CLOSED)
			conn_error_retry(c, 503, "the malware scanner is unavailable: nothing was "
			    "recorded", UPLOAD_SCAN_RETRY);
	} else {
		f->n_failed++;
		log_warnx("upload party=%s kind=%s size=%llu not recorded: %s",
		    nj->party, nj->kind, (unsigned long long)nj->size, strerror(nj->err));
		if (c->state != CONN_CLOSED) {
			if (nj->err == ENOSPC || nj->err == EDQUOT)
				conn_error(c, 507, "insufficient storage: nothing was recorded", 1);
			else
				conn_error(c, 500, "the upload could not be recorded", 1);
		}
	}
	notary_job_clear(nj);
	runtime_unref(job->rt);
	free(job);
	if (c->state == CONN_CLOSED) {
		conn_release(c);
		return;
	}
	memset(&c->up, 0, sizeof(c->up));
	c->up.fd = -1;
	conn_resume(c);
}

void
upload_finish(struct conn *c)
{
	struct upload *u = &c->up;
	struct pipeline_job *job;
	struct notary_job *nj;
	uint8_t sha512[64];
	unsigned int mdlen;
	int fd;

	if (u->spool) {
		/* Finished in upload_spool_wake, once the spool has hashed
		 * and written everything. */
		spool_end(u->spool);
		u->spool_ended = 1;
		c->pending = 1;
		if (c->bev)
			bufferevent_disable(c->bev, EV_READ);
		return;
	}
	if (u->write_errno) {
		int e = u->write_errno;

		upload_abort(c);
		conn_error(c, e == ENOSPC || e == EDQUOT ? 507 : 500,
		    e == ENOSPC || e == EDQUOT ? "insufficient storage: nothing was recorded" :
		    "the upload could not be stored", 1);
		return;
	}
	if ((job = calloc(1, sizeof(*job))) == NULL) {
		upload_abort(c);
		conn_error(c, 500, "out of memory", 1);
		return;
	}
	nj = &job->nj;
	if (u->for_party[0] != '\0') {
		/* ?for=: the Party's receipt, the provider as its agent */
		snprintf(nj->party, sizeof(nj->party), "%s", u->for_party);
		snprintf(nj->agent, sizeof(nj->agent), "%s", c->party_id);
	} else
		snprintf(nj->party, sizeof(nj->party), "%s", c->party_id);
	nj->plan = u->plan;
	nj->has_plan = u->has_plan;
	memcpy(nj->cert_sha256, c->cert_sha256, sizeof(nj->cert_sha256));
	snprintf(nj->kind, sizeof(nj->kind), "%s", u->kind_name);
	snprintf(nj->filename, sizeof(nj->filename), "%s", u->filename);
	snprintf(nj->ref, sizeof(nj->ref), "%s", u->ref);
	snprintf(nj->quarantine, sizeof(nj->quarantine), "%s", u->path);
	if (u->sha256) {
		EVP_DigestFinal_ex(u->sha256, nj->sha256, &mdlen);
		nj->has_sha256 = 1;
	}
	if (u->sha512)
		EVP_DigestFinal_ex(u->sha512, sha512, &mdlen);
	nj->size = u->stored;
	if (u->follow) {
		/* The follower's result stands for the file's (follow.h); a
		 * body cut short at max_upload is never inspected. */
		int used = follow_release(u->follow, u->too_large ? 0 : u->stored,
		    u->too_large ? NULL : &nj->result);

		u->follow = NULL;
		if (used) {
			job->inspected = 1;
			c->front->n_followed++;
		} else if (!u->too_large)
			c->front->n_follow_file++;
	}
	if (u->digest_hdr[0]) {
		memcpy(nj->client_digest, u->digest_hdr, sizeof(u->digest_hdr));
		upload_check_digest(u, nj->sha256, u->sha512 ? sha512 : NULL, &nj->result);
	}
	if (u->too_large) {
		/* What was stored is only a prefix: recorded as a rejection of
		 * its first max_upload bytes, never inspected or kept. */
		job->reject_early = 1;
		snprintf(nj->result.type, sizeof(nj->result.type), "application/octet-stream");
		inspect_finding(&nj->result, 1, "too-large", "",
		    "body exceeds max_upload of %llu bytes; the first %llu bytes are recorded",
		    (unsigned long long)u->max, (unsigned long long)u->stored);
	}
	/* The inspector reads its own read-only descriptor. The file was
	 * made read-only (store_open_quarantine): with this, the last writable
	 * descriptor is gone. */
	fd = open(u->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	close(u->fd);
	u->fd = -1;
	EVP_MD_CTX_free(u->sha256);
	EVP_MD_CTX_free(u->sha512);
	u->sha256 = u->sha512 = NULL;
	if (fd == -1) {
		log_warn("reopen quarantine");
		if (u->prehash) {
			notaryc_prehash_drop(c->front->notary, u->prehash);
			u->prehash = 0;
		}
		unlink(u->path);
		free(job);
		conn_error(c, 500, "the upload could not be stored", 1);
		return;
	}
	u->path[0] = '\0';   /* the pipeline owns the file now */
	nj->prehash = u->prehash;
	u->prehash = 0;
	job->fd = fd;
	job->nul_at = u->nul_at;
	job->rt = runtime_ref(c->rt);
	job->kind = u->kind;
	job->done = upload_done;
	job->arg = c;
	c->pending = 1;
	if (c->bev)
		bufferevent_disable(c->bev, EV_READ);
	pipeline_submit(c->front->pipeline, job);
}

/* In the loop thread: the spool has room again, or has finished. */
static void
upload_spool_wake(void *arg)
{
	struct conn *c = arg;
	struct upload *u = &c->up;
	int err;

	if (u->spool == NULL)
		return;
	if (u->spool_ended) {
		if (!spool_done(u->spool, &err) || (u->follow && !follow_done(u->follow)))
			return;
		if (u->follow)
			follow_detach(u->follow);
		spool_free(u->spool);
		u->spool = NULL;
		u->spool_ended = 0;
		if (err && !u->write_errno)
			u->write_errno = err;
		c->pending = 0;
		upload_finish(c);
		/* The client went away meanwhile and nothing refers to it. */
		if (c->state == CONN_CLOSED && !c->pending)
			conn_release(c);
		return;
	}
	if (spool_room(u->spool) && c->bev && c->state == CONN_READING && c->in_body) {
		bufferevent_enable(c->bev, EV_READ);
		conn_read_more(c);
	}
}
