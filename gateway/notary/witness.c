/*
 * notary/witness.c: the log's witness client (see witness.h).
 *
 * The HTTP client is our own, a few dozen lines over a blocking socket with
 * SO_RCVTIMEO/SO_SNDTIMEO: it speaks to one host per thread, sends one fixed
 * request shape (POST, Content-Length, keep-alive) and reads one answer whose
 * headers and body have hard caps; it never follows redirects, never speaks
 * TLS (the cosignature is what is trusted, DESIGN §4) and never parses
 * anything but the status line, Content-Length, Content-Type, Connection and
 * Transfer-Encoding (chunked is refused: a cosignature fits in a few hundred
 * bytes and the C2SP witnesses we know send Content-Length). libcurl would
 * bring cookies, redirects, proxies from the environment and a dozen
 * protocols into the process that holds the log key.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>


#include <intake/cosig.h>
#include <intake/merkle.h>

#include "common/log.h"
#include "lib/util.h"
#include "notary/db.h"
#include "notary/ledger.h"
#include "notary/witness.h"

#define WITNESS_HEAD_MAX     8192          /* bytes of an answer's status line and headers */
#define WITNESS_BODY_MAX     16384         /* bytes of an answer's body (cosignatures, a size) */
#define WITNESS_BACKOFF_MIN  1             /* seconds before the first retry */
#define WITNESS_BACKOFF_MAX  60            /* and never longer than this */
#define WITNESS_RESYNC_MAX   3             /* 409s in a row before backing off */
#define WITNESS_REQ_MAX      (64 * 1024)   /* a checkpoint and 64 proof lines fit easily */

struct witness {
	struct witnesses           *ws;
	const struct config_witness *cfg;
	struct intake_wverifier    *wv;
	struct ledger              *l;          /* this thread's own connection */
	pthread_t                   thread;
	int                         started;
	int                         fd;         /* the keep-alive connection, -1 none */
	uint64_t                    old;        /* what the witness last cosigned, as we know */
	uint64_t                    cosigned;   /* the latest size we hold its cosignature for */
};

struct witnesses {
	const struct config *cfg;
	witness_published_cb cb;
	void                *arg;
	pthread_mutex_t      mtx;
	pthread_cond_t       cond;
	uint64_t             gen;              /* bumped by witness_kick */
	uint64_t             published;
	uint64_t             target;           /* the checkpoint every witness is asked for */
	int                  closing;
	size_t               n;
	struct witness       w[CONFIG_WITNESS_MAX];
};

static const char witness_schema[] =
	"CREATE TABLE IF NOT EXISTS cosignatures(size INTEGER NOT NULL, witness TEXT NOT NULL,"
	" line TEXT NOT NULL, PRIMARY KEY (size, witness));"
	"CREATE TABLE IF NOT EXISTS witness_state(witness TEXT PRIMARY KEY,"
	" size INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS published(size INTEGER PRIMARY KEY, note TEXT NOT NULL);";
/* The same in PostgreSQL (BIGINT). */
static const char witness_schema_pg[] =
	"CREATE TABLE IF NOT EXISTS cosignatures(size BIGINT NOT NULL, witness TEXT NOT NULL,"
	" line TEXT NOT NULL, PRIMARY KEY (size, witness));"
	"CREATE TABLE IF NOT EXISTS witness_state(witness TEXT PRIMARY KEY,"
	" size BIGINT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS published(size BIGINT PRIMARY KEY, note TEXT NOT NULL);";

/* ---- HTTP/1.1 over a plain socket ----------------------------------------- */

static void
witness_disconnect(struct witness *w)
{
	if (w->fd != -1)
		close(w->fd);
	w->fd = -1;
}

/* Connects to the witness within the time-out. 0/-1 (logged by the caller). */
static int
witness_connect(struct witness *w)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv = { .tv_sec = w->ws->cfg->witness_timeout };
	struct pollfd pfd;
	int fd = -1, e;
	socklen_t el = sizeof(e);

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(w->cfg->host, w->cfg->port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    ai->ai_protocol)) == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, (int)w->ws->cfg->witness_timeout * 1000) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e == 0)
				break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		return -1;
	if (fcntl(fd, F_SETFL, 0) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1) {
		close(fd);
		return -1;
	}
	w->fd = fd;
	return 0;
}

static int
witness_write_all(int fd, const char *p, size_t len)
{
	ssize_t r;

	while (len > 0) {
		if ((r = send(fd, p, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* The value of header NAME in HEAD (NUL-terminated lines), copied into OUT. */
static int
witness_header(const char *head, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	const char *p = strstr(head, "\r\n");

	while (p != NULL && p[2] != '\0') {
		const char *line = p + 2, *end = strstr(line, "\r\n");
		size_t len;

		if (end == NULL)
			break;
		if ((size_t)(end - line) > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
			line += nl + 1;
			while (*line == ' ' || *line == '\t')
				line++;
			len = (size_t)(end - line);
			while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
				len--;
			if (len >= outlen)
				return -1;
			memcpy(out, line, len);
			out[len] = '\0';
			return 0;
		}
		p = end;
	}
	return -1;
}

/*
 * POSTs BODY to {prefix}/add-checkpoint on the kept connection (a new one if
 * none, or if the kept one was closed by the witness before answering).
 * Returns the status and the body (malloc'd, NUL-terminated) and its
 * Content-Type in CTYPE; -1 on a transport or protocol failure (WHY set).
 */
static int
witness_post(struct witness *w, const char *body, size_t len, char **out, char *ctype,
    size_t ctlen, const char **why)
{
	char head[WITNESS_HEAD_MAX + 1], req[1024], val[64], *end;
	size_t have = 0, blen = 0, want;
	ssize_t r;
	int status, reused, n, close_after;
	char *b = NULL;

	*out = NULL;
	ctype[0] = '\0';
	for (int attempt = 0; attempt < 2; attempt++) {
		reused = w->fd != -1;
		if (!reused && witness_connect(w) == -1) {
			*why = "cannot connect";
			return -1;
		}
		n = snprintf(req, sizeof(req), "POST %s/add-checkpoint HTTP/1.1\r\n"
		    "Host: %s%s%s:%s\r\nUser-Agent: intaked\r\n"
		    "Content-Type: text/plain; charset=utf-8\r\n"
		    "Content-Length: %zu\r\n\r\n", w->cfg->prefix,
		    strchr(w->cfg->host, ':') ? "[" : "", w->cfg->host,
		    strchr(w->cfg->host, ':') ? "]" : "", w->cfg->port, len);
		if (n < 0 || (size_t)n >= sizeof(req)) {
			*why = "request line too long";
			return -1;
		}
		have = 0;
		if (witness_write_all(w->fd, req, (size_t)n) == 0 &&
		    witness_write_all(w->fd, body, len) == 0) {
			while (have < WITNESS_HEAD_MAX) {
				r = recv(w->fd, head + have, WITNESS_HEAD_MAX - have, 0);
				if (r == -1 && errno == EINTR)
					continue;
				if (r <= 0)
					break;
				have += (size_t)r;
				head[have] = '\0';
				if (strstr(head, "\r\n\r\n") != NULL)
					break;
			}
		}
		if (have > 0)
			break;
		witness_disconnect(w);
		if (!reused) {
			*why = errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : "no answer";
			return -1;
		}
		/* the witness closed an idle kept connection: once more, afresh */
	}
	head[have] = '\0';
	if ((end = strstr(head, "\r\n\r\n")) == NULL) {
		*why = have >= WITNESS_HEAD_MAX ? "headers too long" : "truncated or timed-out answer";
		goto fail;
	}
	if (strncmp(head, "HTTP/1.", 7) != 0 || (head[7] != '0' && head[7] != '1') ||
	    head[8] != ' ' || sscanf(head + 9, "%3d", &status) != 1 || status < 100 ||
	    status > 599) {
		*why = "not an HTTP/1.x answer";
		goto fail;
	}
	end[2] = '\0';                          /* headers end with their "\r\n" */
	close_after = head[7] == '0';
	if (witness_header(head, "Connection", val, sizeof(val)) == 0)
		close_after = strcasecmp(val, "close") == 0 ? 1 :
		    strcasecmp(val, "keep-alive") == 0 ? 0 : close_after;
	if (witness_header(head, "Transfer-Encoding", val, sizeof(val)) == 0) {
		*why = "a Transfer-Encoding (only Content-Length is taken)";
		goto fail;
	}
	if (witness_header(head, "Content-Type", val, sizeof(val)) == 0)
		snprintf(ctype, ctlen, "%s", val);
	if (witness_header(head, "Content-Length", val, sizeof(val)) == 0) {
		char *e;
		unsigned long long v;

		errno = 0;
		v = strtoull(val, &e, 10);
		if (errno != 0 || *e != '\0' || e == val || v > WITNESS_BODY_MAX) {
			*why = "a bad or too large Content-Length";
			goto fail;
		}
		want = (size_t)v;
	} else {
		want = WITNESS_BODY_MAX;        /* to the end of the connection */
		close_after = 1;
	}
	if ((b = malloc(WITNESS_BODY_MAX + 1)) == NULL) {
		*why = "out of memory";
		goto fail;
	}
	/* what came with the headers */
	{
		const char *bs = end + 4;
		size_t got = have - (size_t)(bs - head);

		if (got > want) {
			*why = "more bytes than Content-Length";
			goto fail;
		}
		memcpy(b, bs, got);
		blen = got;
	}
	while (blen < want) {
		r = recv(w->fd, b + blen, want - blen, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == 0 && want == WITNESS_BODY_MAX)
			break;
		if (r <= 0) {
			*why = "truncated or timed-out body";
			goto fail;
		}
		blen += (size_t)r;
	}
	b[blen] = '\0';
	if (close_after)
		witness_disconnect(w);
	*out = b;
	return status;
fail:
	free(b);
	witness_disconnect(w);
	return -1;
}

/* ---- the tables -------------------------------------------------------- *
 * Every statement binds ?1 (the witness's name) and ?2 (a size); one that
 * needs only one says "CAST(?N AS type) = ?N" for the other, so that
 * PostgreSQL knows its type (SQLite reads the same text). */

static int
witness_sql(struct witness *w, const char *sql, struct db_stmt **st)
{
	if ((*st = db_prepare(ledger_dbh(w->l), sql)) == NULL) {
		log_warnx("witness %s: %s", w->cfg->name, db_errmsg(ledger_dbh(w->l)));
		return -1;
	}
	return 0;
}

/* One integer from SQL with text ?1 = the witness's name and ?2 = ARG. */
static int
witness_query_u64(struct witness *w, const char *sql, uint64_t arg, uint64_t *out)
{
	struct db_stmt *st;
	int rc, ret = 1;

	if (witness_sql(w, sql, &st) == -1)
		return -1;
	db_bind_text(st, 1, w->cfg->name, -1);
	db_bind_int64(st, 2, (int64_t)arg);
	if ((rc = db_step(st)) == DB_ROW) {
		*out = (uint64_t)db_column_int64(st, 0);
		ret = 0;
	} else if (rc != DB_DONE)
		ret = -1;
	db_finalize(st);
	return ret;
}

/* Records what the witness last cosigned (and, with LINE, its cosignature of
 * SIZE) in one transaction. 0/-1. */
static int
witness_store(struct witness *w, uint64_t size, const char *line)
{
	struct db *db = ledger_dbh(w->l);
	struct db_stmt *st = NULL;
	int ok = 0;

	if (db_begin_write(db) == -1)
		return -1;
	if (line != NULL) {
		if (witness_sql(w, "INSERT INTO cosignatures(size, witness, line) "
		    "VALUES(?2, ?1, ?3) ON CONFLICT(size, witness) DO UPDATE SET "
		    "line = excluded.line", &st) == -1)
			goto out;
		db_bind_text(st, 1, w->cfg->name, -1);
		db_bind_int64(st, 2, (int64_t)size);
		db_bind_text(st, 3, line, -1);
		if (db_step(st) != DB_DONE)
			goto out;
		db_finalize(st);
		st = NULL;
	}
	if (witness_sql(w, "INSERT INTO witness_state(witness, size) VALUES(?1, ?2) "
	    "ON CONFLICT(witness) DO UPDATE SET size = excluded.size", &st) == -1)
		goto out;
	db_bind_text(st, 1, w->cfg->name, -1);
	db_bind_int64(st, 2, (int64_t)size);
	ok = db_step(st) == DB_DONE;
out:
	db_finalize(st);
	if (ok && db_commit(db) == 0)
		return 0;
	log_warnx("witness %s: cannot store its state: %s", w->cfg->name, db_errmsg(db));
	db_rollback(db);
	return -1;
}

/* Publishes checkpoint SIZE (NOTE) if it now has the quorum. */
static void
witness_maybe_publish(struct witness *w, uint64_t size, const char *note)
{
	struct witnesses *ws = w->ws;
	struct db *db = ledger_dbh(w->l);
	struct db_stmt *st = NULL;
	char *full = NULL;
	size_t len = strlen(note), n = 0, cap;
	int rc, done = 0;

	pthread_mutex_lock(&ws->mtx);
	if (size <= ws->published) {
		pthread_mutex_unlock(&ws->mtx);
		return;
	}
	cap = len + 1;
	if ((full = malloc(cap)) == NULL)
		goto out;
	memcpy(full, note, len + 1);
	if (witness_sql(w, "SELECT line FROM cosignatures WHERE size = ?2 AND CAST(?1 AS TEXT) = ?1 "
	    "ORDER BY witness", &st) == -1)
		goto out;
	db_bind_text(st, 1, w->cfg->name, -1);
	db_bind_int64(st, 2, (int64_t)size);
	while ((rc = db_step(st)) == DB_ROW) {
		const char *line = (const char *)db_column_text(st, 0);
		size_t ll = line ? strlen(line) : 0;
		char *nf;

		if (ll == 0 || (nf = realloc(full, len + ll + 1)) == NULL)
			continue;
		full = nf;
		memcpy(full + len, line, ll + 1);
		len += ll;
		n++;
	}
	db_finalize(st);
	st = NULL;
	if (n < ws->cfg->witness_quorum)
		goto out;
	if (witness_sql(w, "INSERT INTO published(size, note) VALUES(?2, ?3) "
	    "ON CONFLICT(size) DO NOTHING", &st) == -1)
		goto out;
	db_bind_int64(st, 2, (int64_t)size);
	db_bind_text(st, 3, full, -1);
	if (db_step(st) != DB_DONE) {
		log_warnx("witness: cannot publish checkpoint %" PRIu64 ": %s", size,
		    db_errmsg(db));
		goto out;
	}
	ws->published = size;
	done = 1;
	log_info("witness: checkpoint %" PRIu64 " published with %zu cosignatures", size, n);
out:
	db_finalize(st);
	pthread_mutex_unlock(&ws->mtx);
	free(full);
	if (done) {
		witness_kick(ws);               /* a next target for every witness */
		if (ws->cb != NULL)
			ws->cb(size, ws->arg);
	}
}

/* ---- one round with one witness ------------------------------------------ */


/* Verifies the cosignature lines of a 200's BODY against the witness's key
 * over NOTE; the first valid line, malloc'd, or NULL. */
static char *
witness_pick_line(struct witness *w, const char *note, const char *body)
{
	size_t nl = strlen(note);
	const char *p = body;

	while (*p != '\0') {
		const char *e = strchr(p, '\n');
		size_t ll = e ? (size_t)(e - p) + 1 : strlen(p);
		char *both, *line;

		if (e != NULL && (both = malloc(nl + ll + 1)) != NULL) {
			memcpy(both, note, nl);
			memcpy(both + nl, p, ll);
			both[nl + ll] = '\0';
			if (intake_cosig_verify(w->wv, both, nl + ll, NULL) == 0) {
				free(both);
				if ((line = malloc(ll + 1)) != NULL) {
					memcpy(line, p, ll);
					line[ll] = '\0';
				}
				return line;
			}
			free(both);
		}
		p += ll;
	}
	return NULL;
}

/* The add-checkpoint body for NOTE of SIZE from w->old. NULL on error. */
static char *
witness_body(struct witness *w, const char *note, uint64_t size, size_t *len)
{
	intake_hash proof[INTAKE_PROOF_MAX];
	size_t n = 0, off;
	char *b;
	int r;

	if (w->old > 0 && w->old < size &&
	    ledger_consistency(w->l, w->old, size, proof, &n) == -1)
		return NULL;
	if ((b = malloc(64 + n * 48 + strlen(note) + 1)) == NULL)
		return NULL;
	r = snprintf(b, 64, "old %" PRIu64 "\n", w->old);
	off = (size_t)r;
	for (size_t i = 0; i < n; i++) {
		off += util_b64(proof[i], INTAKE_HASH_LEN, b + off);
		b[off++] = '\n';
	}
	b[off++] = '\n';
	memcpy(b + off, note, strlen(note) + 1);
	*len = off + strlen(note);
	return b;
}

/* The signed checkpoint of SIZE (malloc'd), or NULL. */
static char *
witness_note(struct witness *w, uint64_t size)
{
	struct db_stmt *st;
	char *note = NULL;

	if (witness_sql(w, "SELECT note FROM checkpoints WHERE size = ?2 AND "
	    "CAST(?1 AS TEXT) = ?1", &st) == -1)
		return NULL;
	db_bind_text(st, 1, w->cfg->name, -1);
	db_bind_int64(st, 2, (int64_t)size);
	if (db_step(st) == DB_ROW && db_column_text(st, 0) != NULL)
		note = strdup((const char *)db_column_text(st, 0));
	db_finalize(st);
	return note;
}

/*
 * The checkpoint to ask for: all witnesses are asked for the same one (the
 * target) until it is published, so that a steady stream of new checkpoints
 * cannot leave each witness cosigning a different size and none reaching the
 * quorum; then the latest signed one becomes the next target. "Latest" is
 * read from the ledger each time: with a PostgreSQL ledger shared by several
 * nodes it is the latest any node signed. What a witness last cosigned
 * (witness_state) is shared too; a node whose memory of it is behind another
 * node's gets a 409 naming the size and resyncs from it.
 */
static char *
witness_target(struct witness *w, uint64_t *size)
{
	struct witnesses *ws = w->ws;
	char *note = NULL;
	uint64_t latest;

	if (ledger_checkpoint(w->l, &note, &latest) != 0) {
		free(note);
		return NULL;
	}
	pthread_mutex_lock(&ws->mtx);
	if (ws->target <= ws->published || ws->target > latest)
		ws->target = latest;
	*size = ws->target;
	pthread_mutex_unlock(&ws->mtx);
	if (*size != latest) {
		free(note);
		note = witness_note(w, *size);
	}
	return note;
}

/* Whether the log signed a checkpoint of SIZE (0 is the empty tree). */
static int
witness_signed_size(struct witness *w, uint64_t size)
{
	uint64_t v;

	if (size == 0)
		return 1;
	return witness_query_u64(w, "SELECT size FROM checkpoints WHERE size = ?2 AND "
	    "CAST(?1 AS TEXT) = ?1", size, &v) == 0;
}

/*
 * Submits the latest signed checkpoint. 0: the witness is up to date (or was
 * resynced and should be asked again at once: *again), -1: retry later.
 */
static int
witness_round(struct witness *w, int *again)
{
	char *note = NULL, *body = NULL, *ans = NULL, *line = NULL, ctype[128];
	const char *why = NULL;
	uint64_t size, named;
	size_t len;
	int status, ret = -1;

	*again = 0;
	if ((note = witness_target(w, &size)) == NULL)
		return 0;                       /* nothing signed yet */
	if (size <= w->cosigned) {
		free(note);
		return 0;
	}
	if (w->old > size) {
		log_warnx("witness %s: says it cosigned size %" PRIu64 ", beyond this log's %"
		    PRIu64 ": evidence of a split view, or of a lost ledger", w->cfg->name, w->old,
		    size);
		goto out;
	}
	if ((body = witness_body(w, note, size, &len)) == NULL) {
		log_warnx("witness %s: cannot build the request for checkpoint %" PRIu64,
		    w->cfg->name, size);
		goto out;
	}
	if ((status = witness_post(w, body, len, &ans, ctype, sizeof(ctype), &why)) == -1) {
		log_warnx("witness %s (http://%s:%s%s): %s", w->cfg->name, w->cfg->host,
		    w->cfg->port, w->cfg->prefix, why);
		goto out;
	}
	switch (status) {
	case 200:
		if ((line = witness_pick_line(w, note, ans)) == NULL) {
			log_warnx("witness %s: answered 200 without a valid cosignature of "
			    "checkpoint %" PRIu64 " by its key", w->cfg->name, size);
			break;
		}
		if (witness_store(w, size, line) == -1)
			break;
		w->old = w->cosigned = size;
		witness_maybe_publish(w, size, note);
		ret = 0;
		break;
	case 409: {
		char *e;

		errno = 0;
		named = strtoull(ans, &e, 10);
		if (strncmp(ctype, "text/x.tlog.size", 16) != 0 || e == ans ||
		    (*e != '\n' && *e != '\0') || errno != 0) {
			log_warnx("witness %s: a 409 without a text/x.tlog.size body", w->cfg->name);
			break;
		}
		if (named > size || !witness_signed_size(w, named)) {
			log_warnx("witness %s: says it cosigned size %" PRIu64 " of this log, "
			    "which this log never signed: evidence of a split view", w->cfg->name,
			    named);
			break;
		}
		log_info("witness %s: resyncing from size %" PRIu64 " (it answered 409)",
		    w->cfg->name, named);
		w->old = named;
		(void)witness_store(w, named, NULL);
		*again = 1;
		ret = 0;
		break;
	}
	default:
		log_warnx("witness %s: refused checkpoint %" PRIu64 " (old %" PRIu64 "): HTTP %d "
		    "%.200s", w->cfg->name, size, w->old, status, ans);
		break;
	}
out:
	free(note);
	free(body);
	free(ans);
	free(line);
	return ret;
}

static void *
witness_main(void *arg)
{
	struct witness *w = arg;
	struct witnesses *ws = w->ws;
	unsigned backoff = 0, resyncs = 0;
	uint64_t seen = 0;
	struct timespec until;
	int again, r, now = 1;

	pthread_setname_np(pthread_self(), "intaked-witness");
	for (;;) {
		pthread_mutex_lock(&ws->mtx);
		if (!now && backoff > 0) {
			/* a new checkpoint ends the backoff early: the witness may be back */
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += backoff;
			while (!ws->closing && ws->gen == seen &&
			    pthread_cond_timedwait(&ws->cond, &ws->mtx, &until) != ETIMEDOUT)
				;
		} else if (!now)
			while (!ws->closing && ws->gen == seen)
				pthread_cond_wait(&ws->cond, &ws->mtx);
		if (ws->closing) {
			pthread_mutex_unlock(&ws->mtx);
			break;
		}
		seen = ws->gen;
		pthread_mutex_unlock(&ws->mtx);
		r = witness_round(w, &again);
		now = 0;
		if (r == 0 && again && ++resyncs < WITNESS_RESYNC_MAX) {
			now = 1;
			continue;
		}
		resyncs = 0;
		if (r == 0 && !again)
			backoff = 0;
		else
			backoff = backoff == 0 ? WITNESS_BACKOFF_MIN :
			    backoff * 2 > WITNESS_BACKOFF_MAX ? WITNESS_BACKOFF_MAX : backoff * 2;
	}
	witness_disconnect(w);
	return NULL;
}

/* ---- life cycle ---------------------------------------------------------- */

struct witnesses *
witness_open(const struct config *cfg, witness_published_cb cb, void *arg, char *err,
    size_t errlen)
{
	struct witnesses *ws;
	struct ledger *l;
	uint64_t v;

	if ((ws = calloc(1, sizeof(*ws))) == NULL) {
		snprintf(err, errlen, "witness: out of memory");
		return NULL;
	}
	ws->cfg = cfg;
	ws->cb = cb;
	ws->arg = arg;
	pthread_mutex_init(&ws->mtx, NULL);
	pthread_cond_init(&ws->cond, NULL);
	if (cfg->witness_quorum == 0 && cfg->nwitnesses == 0)
		return ws;
	if ((l = ledger_open_dsn(cfg->data, config_ledger_dsn(cfg), 1, err, errlen)) == NULL)
		goto fail;
	if (db_exec(ledger_dbh(l), db_backend(ledger_dbh(l)) == DB_POSTGRESQL ?
	    witness_schema_pg : witness_schema) == -1) {
		snprintf(err, errlen, "witness: schema: %s", db_errmsg(ledger_dbh(l)));
		ledger_close(l);
		goto fail;
	}
	ws->w[0].l = l;                      /* a first connection, for reads below */
	ws->w[0].ws = ws;
	ws->w[0].cfg = &cfg->witnesses[0];
	if (cfg->nwitnesses > 0 && witness_query_u64(&ws->w[0],
	    "SELECT coalesce(max(size), 0) FROM published WHERE CAST(?1 AS TEXT) = ?1 "
	    "AND CAST(?2 AS BIGINT) = ?2", 0, &v) == 0)
		ws->published = v;
	if (cfg->nwitnesses == 0) {
		ledger_close(l);
		ws->w[0].l = NULL;
		return ws;
	}
	for (size_t i = 0; i < cfg->nwitnesses; i++) {
		struct witness *w = &ws->w[i];

		w->ws = ws;
		w->cfg = &cfg->witnesses[i];
		w->fd = -1;
		if ((w->wv = intake_wverifier_new(w->cfg->vkey)) == NULL) {
			snprintf(err, errlen, "witness %s: bad vkey", w->cfg->name);
			goto fail;
		}
		if (w->l == NULL && (w->l = ledger_open_dsn(cfg->data, config_ledger_dsn(cfg), 1,
		    err, errlen)) == NULL)
			goto fail;
		if (witness_query_u64(w, "SELECT size FROM witness_state WHERE witness = ?1 AND "
		    "CAST(?2 AS BIGINT) = ?2", 0, &v) == 0)
			w->old = v;
		if (witness_query_u64(w, "SELECT coalesce(max(size), 0) FROM cosignatures "
		    "WHERE witness = ?1 AND CAST(?2 AS BIGINT) = ?2", 0, &v) == 0)
			w->cosigned = v;
		ws->n = i + 1;
	}
	for (size_t i = 0; i < ws->n; i++) {
		if (pthread_create(&ws->w[i].thread, NULL, witness_main, &ws->w[i]) != 0) {
			snprintf(err, errlen, "witness: cannot start a thread");
			goto fail;
		}
		ws->w[i].started = 1;
	}
	witness_kick(ws);
	return ws;
fail:
	witness_close(ws);
	return NULL;
}

void
witness_kick(struct witnesses *ws)
{
	if (ws == NULL)
		return;
	pthread_mutex_lock(&ws->mtx);
	ws->gen++;
	pthread_cond_broadcast(&ws->cond);
	pthread_mutex_unlock(&ws->mtx);
}

uint64_t
witness_published(struct witnesses *ws)
{
	uint64_t v;

	pthread_mutex_lock(&ws->mtx);
	v = ws->published;
	pthread_mutex_unlock(&ws->mtx);
	return v;
}

void
witness_close(struct witnesses *ws)
{
	if (ws == NULL)
		return;
	pthread_mutex_lock(&ws->mtx);
	ws->closing = 1;
	pthread_cond_broadcast(&ws->cond);
	pthread_mutex_unlock(&ws->mtx);
	for (size_t i = 0; i < CONFIG_WITNESS_MAX; i++) {
		struct witness *w = &ws->w[i];

		if (w->started)
			pthread_join(w->thread, NULL);
		intake_wverifier_free(w->wv);
		ledger_close(w->l);
	}
	pthread_cond_destroy(&ws->cond);
	pthread_mutex_destroy(&ws->mtx);
	free(ws);
}
