/*
 * front/front.h: the network side of intaked.
 *
 * Runs in its own process (intaked-front, unprivileged, under the seccomp
 * filter of confine.c), on one libevent loop, with an acceptor thread that
 * accepts connections and runs their TLS handshakes. It
 * terminates mutual TLS (OpenSSL, then bufferevent_openssl; a client
 * certificate is required and verified in the handshake, before any HTTP
 * byte is parsed),
 * maps the certificate to a Party, parses HTTP/1.1 with llhttp, streams
 * upload bodies into quarantine files while hashing them, and hands finished
 * uploads to the pipeline (inspector processes, then the notary process).
 * It trusts nothing a client sends; it never holds the log key (only the
 * notary process does) and never writes the ledger or the store (it reads
 * the ledger, read-only, for the GET API).
 *
 * Modules: tls.c (TLS context), accept.c (acceptor thread: accept and
 * TLS handshake), conn.c (connections, HTTP framing, responses), url.c
 * (the routes), upload.c (PUT /v1/submissions), tus.c (resumable uploads,
 * /v1/uploads), facts.c (POST
 * /v1/parties/{ID}/facts), api.c (GET API), notaryc.c (the notary's
 * client), pipeline.c
 * (inspector processes, front/inspproc.c, and completion), admin.c (/healthz, /metrics on
 * the plain admin listener), runtime.c (reloadable policy, parties, TLS).
 */
#ifndef INTAKE_FRONT_H
#define INTAKE_FRONT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <llhttp.h>

#include "common/config.h"
#include "front/metrics.h"
#include "notary/ledger.h"
#include "notary/notary.h"

/* Policy, parties and TLS context as of the last (re)load. Reference
 * counted: a connection or a job in flight keeps the one it started with;
 * SIGHUP swaps in a new one. */
struct runtime {
	atomic_int       refs;
	struct policy   *policy;
	struct parties  *parties;
	SSL_CTX         *tls;
};

struct runtime *runtime_load(const struct config *cfg, char *err, size_t errlen);
struct runtime *runtime_ref(struct runtime *rt);
void runtime_unref(struct runtime *rt);

/* TLS context for the intake listener (tls.c). NULL and ERR on failure. */
SSL_CTX *tls_ctx_new(const struct config *cfg, char *err, size_t errlen);
/* Verifies CERT (with the untrusted CHAIN, may be NULL) as a handshake on
 * CTX would: its CA, CRL and purpose. 0, or -1 with the reason in *WHY. */
int tls_verify_peer(SSL_CTX *ctx, X509 *cert, STACK_OF(X509) *chain, const char **why);
/* TLS records read ahead: every established connection; LARGE (a large
 * body): up to 128 KiB per recv. */
void tls_read_ahead(SSL *ssl, int large);

struct pipeline;
struct notaryc;
struct inspproc_conf;
struct conn;
struct acceptor;
struct tus;

/* The loop thread owns everything here except what is marked: the
 * acceptor thread reads cfg, takes rt under rt_mtx, and counts. */
struct front {
	struct event_base    *base;
	const struct config  *cfg;
	struct runtime       *rt;        /* current; swapped on reload (under rt_mtx) */
	pthread_mutex_t       rt_mtx;
	struct ledger        *ledger;    /* read-only connection for the GET API */
	struct notaryc       *notary;    /* the notary process (notaryc.h) */
	struct pipeline      *pipeline;
	struct acceptor      *acceptor;  /* accept.c */
	struct evhttp        *admin;
	struct limits        *limits;    /* per-Party counters (limits.c) */
	struct tus           *tus;       /* partial resumable uploads (tus.h) */
	struct conn          *conns;     /* list of connections past the handshake */
	atomic_uint           nconns;    /* connections past the handshake (max_connections) */
	atomic_uint           nhandshakes; /* handshakes in progress (accept.c) */
	atomic_int            draining;  /* SIGTERM received */
	struct event         *grace;     /* end of the SIGTERM grace time */
	struct event         *drain_tick; /* checks whether uploads in flight are done */
	/* counters for /metrics */
	uint64_t              n_accepted, n_rejected, n_refused, n_failed, n_bytes;
	uint64_t              n_followed, n_follow_file;   /* follow.h: result used, or not */
	_Atomic uint64_t      n_tls_fail, n_connections;   /* acceptor thread */
	_Atomic uint64_t      n_hs_evicted;  /* handshakes closed for newer ones (accept.c) */
	struct upload_metrics m_uploads;     /* answered uploads' durations (metrics.h) */
	uint64_t              log_size;      /* entries in the log, as far as the front knows */
};

/* Serves the intake listener LISTENER (listening already: the parent opened
 * it before any privilege drop). 0, or -1 with a reason in ERR. */
int front_start(struct front *f, int listener, char *err, size_t errlen);
/* A new reference to the current runtime (any thread). */
struct runtime *front_runtime(struct front *f);
/* Makes RT (a reference, now the front's) current, and closes the open
 * connections whose certificate it no longer accepts. Loop thread. */
void front_set_runtime(struct front *f, struct runtime *rt);

/* accept.c: the acceptor thread accepts on LISTENER (a listening socket,
 * now the acceptor's) and hands each connection whose handshake completed
 * to conn_adopt in the loop thread. */
struct acceptor *acceptor_start(struct front *f, int listener, char *err, size_t errlen);
/* Stops accepting, closes handshakes in progress, joins. Loop thread. */
void acceptor_free(struct acceptor *a);
/* conn.c: a connection whose TLS handshake completed (takes FD, SSL, RT). */
void conn_adopt(struct front *f, int fd, SSL *ssl, struct runtime *rt, const char *peer);
/* Stops accepting; finishes uploads in flight (up to a grace time); breaks the loop. */
void front_drain(struct front *f);
void front_free(struct front *f);

/* pipeline.c: inspection and record. A job travels front -> inspector
 * process -> notary -> front, driven from the loop thread (scanned first by
 * a scanner thread with [scan]); done() runs in the loop thread. */
struct pipeline_job {
	struct notary_job    nj;        /* what the notary records */
	int                  fd;        /* quarantined file, read-only for the inspector */
	struct runtime      *rt;        /* policy of the upload (a reference) */
	const struct kind   *kind;      /* in rt->policy */
	int                  reject_early; /* front already decided: skip inspection (result filled) */
	int                  inspected;  /* inspected as it arrived (follow.h): result filled */
	int                  scan_down;  /* [scan]: clamd gave no verdict; not recorded (503) */
	uint64_t             nul_at;    /* first NUL at or past TYPES_MAGIC_BYTES, UINT64_MAX none */
	struct timespec      ready;     /* CLOCK_MONOTONIC, when it began to wait for an inspector */
	struct timespec      to_notary; /* CLOCK_MONOTONIC, when it went to the notary */
	void               (*done)(struct pipeline_job *job, void *arg);
	void                *arg;
	struct pipeline_job *next;
};

/* Starts WORKERS inspector processes running as USER ([server] user: as
 * root a missing user is an error), watched by BASE's loop. */
struct pipeline *pipeline_new(struct event_base *base, struct notaryc *n,
    unsigned workers, const char *user, char *err, size_t errlen);
void pipeline_submit(struct pipeline *p, struct pipeline_job *job);
/* Number of jobs submitted and not yet done. */
unsigned pipeline_pending(struct pipeline *p);
/* Seconds per inspection, for /metrics. */
const struct histogram *pipeline_inspect_time(const struct pipeline *p);
/* Seconds a job waited for an inspector (queued, or behind another file of
 * its Party at one), for /metrics. */
const struct histogram *pipeline_wait_time(const struct pipeline *p);
/* Seconds from a job's hand-off to the notary to its answer, for /metrics. */
const struct histogram *pipeline_record_time(const struct pipeline *p);
/* How P starts inspector processes (a follower starts its own). */
const struct inspproc_conf *pipeline_inspconf(const struct pipeline *p);
/* [scan]: scans by result (enum clamd_status) and their time, for /metrics. */
struct pipeline_scans {
	_Atomic uint64_t n[4];
	struct histogram time;
};
/* Scans every upload with the clamd at CLAMD (a path that outlives P)
 * within TIMEOUT seconds; call before the first job. Without it, nothing
 * is scanned. */
void pipeline_set_scan(struct pipeline *p, const char *clamd, unsigned timeout);
/* NULL when nothing is scanned. */
const struct pipeline_scans *pipeline_scans(const struct pipeline *p);
void pipeline_free(struct pipeline *p);

/* admin.c */
int admin_start(struct front *f, int listener, char *err, size_t errlen);

/* confine.c: the front's seccomp filter, on every thread; once, before the
 * first network byte; CLAMD: connect() is allowed ([scan]). 0, or -1 with a
 * reason in ERR: the front must exit. */
int front_confine(int clamd, char *err, size_t errlen);

#endif
