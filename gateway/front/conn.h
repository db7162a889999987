/*
 * front/conn.h: one client connection (internal to the front).
 *
 * A connection arrives with its TLS handshake done (accept.c) and moves
 * through: reading a request (headers,
 * then body) -> waiting for the pipeline (reading paused) -> writing the
 * answer -> keep-alive or close. Refusals before the body close the
 * connection after a short lingering drain so that the client reads the
 * answer instead of a reset.
 */
#ifndef INTAKE_CONN_H
#define INTAKE_CONN_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <jansson.h>
#include <openssl/evp.h>

#include <llhttp.h>

#include "front/front.h"
#include "front/tus.h"
#include "front/url.h"

#define URL_MAX          4096   /* request target, bytes */
#define HDR_NAME_MAX     64     /* longest header name we keep */
#define HDR_VALUE_MAX    512    /* longest header value we keep (the rest are only counted) */
#define FACT_BODY_MAX    1024   /* a fact's JSON body: {"fact":…,"date":…} is far less */
#define LINGER_SECONDS   2      /* drain after a refusal before closing */
#define LINGER_BYTES     (1 << 20)

enum conn_state {
	CONN_READING,    /* parsing a request */
	CONN_WAITING,    /* upload handed to the pipeline, reading paused */
	CONN_LINGER,     /* answer queued, close after it is written and input drained */
	CONN_CLOSED      /* socket gone, struct kept until the pipeline returns */
};


struct upload {
	int             fd;               /* quarantine file, -1 when none */
	char            path[4096];
	EVP_MD_CTX     *sha256;
	EVP_MD_CTX     *sha512;           /* only when the client claims sha-512 */
	uint64_t        received;         /* body bytes seen */
	uint64_t        stored;           /* body bytes written and hashed */
	uint64_t        max;
	uint64_t        declared;         /* Content-Length, UINT64_MAX when chunked */
	int             too_large;        /* exceeded max mid-stream */
	int             over_budget;      /* the Party's bytes_per_day ran out mid-stream */
	int             write_errno;      /* a write to the quarantine failed */
	uint64_t        nul_at;           /* first NUL byte at or past TYPES_MAGIC_BYTES */
	struct spool   *spool;            /* large body: direct writes (spool.h) */
	int             nospool;          /* no spool could start: inline writes */
	int             direct;           /* a spool may write with O_DIRECT (spool.h) */
	int             spool_ended;      /* last byte handed over, waiting for the spool */
	struct follow  *follow;           /* a tar inspected as it arrives (follow.h) */
	uint64_t        prehash;          /* the notary hashes the spooled file too (notaryc.h) */
	const struct kind *kind;
	char            kind_name[KIND_NAME_MAX];
	char            filename[256];
	char            ref[REF_MAX + 1];
	char            for_party[PARTY_ID_MAX]; /* ?for=: the Party a provider sends for */
	uint64_t        plan;             /* ?plan=: the remediation plan a letter closes */
	int             has_plan;
	char            digest_hdr[HDR_VALUE_MAX + 1];   /* Content-Digest / Repr-Digest value */
	struct timespec began;            /* CLOCK_MONOTONIC at the headers, for /metrics */
	struct tus_upload *tus;           /* a resumable upload's PATCH writes (tus.h) */
	char            answer_hdr[96];   /* extra header lines of the answer (tus.c) */
};

struct conn {
	struct front       *front;
	struct conn        *next, *prev;
	struct bufferevent *bev;
	struct runtime     *rt;           /* reference taken at accept */
	enum conn_state     state;
	char                peer[64];     /* address for logs */
	X509               *cert;         /* peer certificate (a reference) */
	char                cert_sha256[65];
	struct event       *linger;
	struct event       *req_timer;    /* request_timeout, when configured */
	struct event       *deadline;     /* handshake / header deadline */
	struct event       *rate_timer;   /* body_min_rate, while a body arrives */
	struct timespec     body_start;   /* CLOCK_MONOTONIC, when the body began */

	/* the request being parsed */
	llhttp_t            parser;
	const struct url_route *route;   /* url.h; NULL: none (a GET: 404) */
	char                url[URL_MAX + 1];
	size_t              url_len;
	int                 url_too_long;
	char                hname[HDR_NAME_MAX + 1];
	size_t              hname_len;
	char                hvalue[HDR_VALUE_MAX + 1];
	size_t              hvalue_len;
	int                 hvalue_long;
	unsigned            nheaders;
	size_t              header_bytes;
	int                 expect_continue;
	int                 in_body;
	const struct party *party;        /* in rt->parties, for this request */
	const struct party *auth_party;   /* the certificate's in rt->parties, */
	int                 authorised;   /* once matched (until rt changes) */
	char                party_id[PARTY_ID_MAX];
	enum role           role;
	struct upload       up;
	char                fact_party[PARTY_ID_MAX]; /* POST /v1/parties/{ID}/facts */
	char                fact_body[FACT_BODY_MAX];
	size_t              fact_len;
	struct tus_req      treq;         /* /v1/uploads: its headers (tus.h) */
	int                 tus_method;
	char                tus_id[40];
	int                 refused;      /* an answer was queued from a callback */
	int                 pending;      /* a pipeline job refers to this conn */
	int                 keepalive;    /* the request asked for it (HTTP/1.1 default) */
	int                 http10;       /* an HTTP/1.0 request: keep-alive must be said */
	int                 head;         /* a HEAD request: the answer has no body */
	struct party_usage *usage;        /* the Party's counters (limits.h), NULL if not counted */
	int                 over_limit;   /* over the Party's connection limit: 429 */
	int                 out_paused;   /* parsing stopped until the answers queued drain */
	int                 revoked;      /* a reload no longer accepts the certificate */
	/* headers the Origin rule and the console read (conn_cross_origin) */
	char                origin[HDR_VALUE_MAX + 1];
	int                 has_origin;
	char                host[HDR_VALUE_MAX + 1];
	char                ctype[HDR_VALUE_MAX + 1];   /* Content-Type */
	char                if_none_match[HDR_VALUE_MAX + 1];
	int                 fetch_same_origin;          /* Sec-Fetch-Site: same-origin */
	int                 tus;                        /* a Tus-Resumable header */
	struct download    *dl;           /* a stored file being sent (download.c) */
	int                 dl_close;     /* close once it is sent */
};

/* Writes a complete response. BODY may be NULL. CLOSE: Connection: close
 * and linger-close after it is sent. */
void conn_respond(struct conn *c, int status, const char *ctype,
    const char *body, size_t len, int close);
/* conn_respond with EXTRA header lines ("Name: value\r\n"…). */
void conn_respond_hdr(struct conn *c, int status, const char *ctype, const char *extra,
    const char *body, size_t len, int close);
/* Only the status line and headers of an answer whose body of LEN bytes
 * the caller queues itself (a download); Cache-Control is no-store unless
 * EXTRA says one. Returns whether the connection must close after it. */
int conn_respond_head(struct conn *c, int status, const char *ctype, const char *extra,
    uint64_t len);
/* C's output, its write event enabled: what adds to an answer takes the
 * buffer from here (a small answer written at once leaves writing off). */
struct evbuffer *conn_output(struct conn *c);
/* Closes the connection once what is queued has been sent. */
void conn_close_after(struct conn *c);
/* Refuses the request (counted, logged with Party and status): answers
 * {"error": MSG}, with Retry-After when RETRY_AFTER > 0, and closes.
 * Returns -1, the parser callbacks' error. */
int conn_refuse_retry(struct conn *c, int status, const char *msg, unsigned retry_after);
int conn_refuse(struct conn *c, int status, const char *msg);
/* {"error": MSG} with STATUS; closes when CLOSE. */
void conn_error(struct conn *c, int status, const char *msg, int close);
/* {"error": MSG, "retry_after": N} with STATUS and Retry-After, then closes
 * (the scanner down: 503). */
void conn_error_retry(struct conn *c, int status, const char *msg, unsigned retry_after);
/* A JSON answer; takes ownership of J. */
void conn_json(struct conn *c, int status, json_t *j, int close);
/* 202 with J (taken) and Location: /v1/receipts/INDEX: entry INDEX is
 * recorded and signed, but no checkpoint with the witness quorum covers it
 * yet; GET Location gives its proof once one does (DESIGN §5, §6). */
void conn_json_held(struct conn *c, uint64_t index, json_t *j, int close);
/* Resumes reading after an answer to a pipelined upload (keep-alive). */
void conn_resume(struct conn *c);
/* After reading was enabled or a read callback: TLS records that OpenSSL's
 * read-ahead holds are invisible to epoll, so read them now (tls.c). */
void conn_read_more(struct conn *c);
/* The body about to arrive is large (>= SPOOL_AFTER): bigger reads. */
void conn_large_body(struct conn *c);
/* Closes another connection at once (its upload aborted), saying WHY in the log. */
void conn_drop(struct conn *c, const char *why);
/* Frees a connection whose socket is gone and which no job refers to. */
void conn_release(struct conn *c);

/* upload.c: the upload a connection receives (its route: url.h).
 * upload_abort drops what it holds (quarantine file, spool, follower). */
/* The claims of an upload, "{kind}/{filename}" and ?ref, plan, for, checked
 * as the PUT path checks them (tus.c creates with it too); 0 or -1 refused. */
int upload_claims(struct conn *c, const char *path, const char *query);
void upload_abort(struct conn *c);
/* Whether a spool may write an upload of kind K with O_DIRECT (spool.h). */
int upload_direct(const struct kind *k);
/* Filename validation (exported for unit tests): percent-decodes IN (LEN
 * bytes) into OUT (OUTLEN); 0 if it is a valid upload filename, -1 with a
 * reason in WHY. */
int upload_filename(const char *in, size_t len, char *out, size_t outlen, const char **why);
/* Ref validation: IN (LEN bytes) is the value url_query decoded once and is
 * taken as it is (never decoded again); copied into OUT (OUTLEN) when valid
 * (1-128 bytes, utf8_check clean), else -1 with a reason in WHY. */
int upload_ref(const char *in, size_t len, char *out, size_t outlen, const char **why);

#endif
