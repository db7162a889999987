/*
 * front/conn.c: connections after their TLS handshake (accept.c hands them
 * over), HTTP/1.1 framing with llhttp, routing (the table is url.c's), and
 * writing answers.
 *
 * Runs in the loop thread. Authentication happens in the TLS handshake:
 * until it has succeeded no byte is given to the HTTP parser. The Party is
 * looked up again for every request in the parties snapshot of the moment;
 * a SIGHUP checks every open connection against the new CRL and parties
 * file, and one that no longer passes is closed after its current answer.
 * Limits: header count and total header bytes, URL length, header and body
 * idle timeouts (bufferevent timeouts), the body's minimum rate, answers
 * queued by pipelined requests, connection count.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/log.h"
#include "front/conn.h"
#include "front/console.h"
#include "front/front.h"
#include "front/follow.h"
#include "front/spool.h"
#include "front/limits.h"

#define READ_HIGH_WATERMARK (256 * 1024)  /* bytes buffered per connection before reading stops */
#define WRITE_HIGH_WATERMARK (256 * 1024) /* answers queued per connection before parsing
                                             stops: pipelined requests wait for the client
                                             to read, so memory stays bounded */
#define DRAIN_GRACE_SECONDS 30            /* SIGTERM: uploads in flight may finish this long */
#define CONN_ONE_RECORD 16384             /* an answer up to a TLS record's plaintext is sent whole */

/* After a spool says stop, the bufferevent may still hand over what it
 * holds (up to the watermark) and one more read: that must fit. */
_Static_assert(SPOOL_SLACK >= 2 * READ_HIGH_WATERMARK, "spool_add would have to wait");

static llhttp_settings_t conn_settings;

static void conn_read_cb(struct bufferevent *bev, void *arg);
static void conn_write_cb(struct bufferevent *bev, void *arg);
static void conn_event_cb(struct bufferevent *bev, short what, void *arg);
static void conn_close(struct conn *c);
static void conn_linger(struct conn *c);

static const char *
conn_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 460: return "Checksum Mismatch";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 507: return "Insufficient Storage";
	default:  return "Status";
	}
}

static void
conn_set_timeout(struct conn *c, unsigned seconds)
{
	struct timeval tv = { .tv_sec = seconds, .tv_usec = 0 };

	if (c->bev)
		bufferevent_set_timeouts(c->bev, seconds ? &tv : NULL, seconds ? &tv : NULL);
}

/* An absolute deadline (the bufferevent timeouts only measure idleness,
 * which a client dribbling a byte at a time never reaches): the request
 * headers must be complete within their timeout (the handshake's is
 * accept.c's). */
static void
conn_deadline_fired(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	if (c->state == CONN_READING && !c->in_body) {
		log_info("request headers from %s party=%s: timeout", c->peer,
		    c->party_id[0] ? c->party_id : "-");
		conn_close(c);
	}
}

static void
conn_deadline(struct conn *c, unsigned seconds)
{
	struct timeval tv = { .tv_sec = seconds, .tv_usec = 0 };

	if (c->deadline == NULL &&
	    (c->deadline = evtimer_new(c->front->base, conn_deadline_fired, c)) == NULL)
		return;
	if (seconds)
		evtimer_add(c->deadline, &tv);
	else
		evtimer_del(c->deadline);
}

/* Forgets the request state so that the next one starts clean. */
static void
conn_reset_request(struct conn *c)
{
	c->route = NULL;
	c->url_len = 0;
	c->url_too_long = 0;
	c->hname_len = c->hvalue_len = 0;
	c->hvalue_long = 0;
	c->nheaders = 0;
	c->header_bytes = 0;
	c->expect_continue = 0;
	c->in_body = 0;
	c->fact_len = 0;
	memset(&c->treq, 0, sizeof(c->treq));
	c->tus_method = 0;
	c->tus_id[0] = '\0';
	c->party = NULL;
	c->refused = 0;
	c->keepalive = 0;
	c->http10 = 0;
	c->head = 0;
	memset(&c->up, 0, sizeof(c->up));
	c->up.fd = -1;
	c->origin[0] = c->host[0] = c->ctype[0] = c->if_none_match[0] = '\0';
	c->has_origin = c->fetch_same_origin = c->tus = 0;
}

static void
conn_free_socket(struct conn *c)
{
	struct front *f = c->front;

	if (c->state == CONN_CLOSED)
		return;
	c->state = CONN_CLOSED;
	if (c->linger) {
		event_free(c->linger);
		c->linger = NULL;
	}
	if (c->req_timer) {
		event_free(c->req_timer);
		c->req_timer = NULL;
	}
	if (c->deadline) {
		event_free(c->deadline);
		c->deadline = NULL;
	}
	if (c->rate_timer) {
		event_free(c->rate_timer);
		c->rate_timer = NULL;
	}
	if (c->bev) {
		SSL *ssl = bufferevent_openssl_get_ssl(c->bev);

		/* No more TLS is written. A connection that got past the
		 * verified handshake counts as shut down (without close_notify
		 * if not already sent), so OpenSSL keeps its session for
		 * resumption (tls.c); any other session is dropped. */
		if (ssl)
			SSL_set_shutdown(ssl, c->cert ? SSL_RECEIVED_SHUTDOWN |
			    SSL_SENT_SHUTDOWN : SSL_RECEIVED_SHUTDOWN);
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	/* Unlink from the live list. */
	if (c->prev)
		c->prev->next = c->next;
	else
		f->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
	atomic_fetch_sub(&f->nconns, 1);
}

void
conn_release(struct conn *c)
{
	if (c->pending)
		return;
	upload_abort(c);
	download_free(c);
	if (c->cert)
		X509_free(c->cert);
	limits_conn_close(c->usage);
	runtime_unref(c->rt);
	free(c);
}

static void
conn_close(struct conn *c)
{
	conn_free_socket(c);
	conn_release(c);
	/* A draining daemon exits when the last connection with work is gone. */
}

void
conn_drop(struct conn *c, const char *why)
{
	log_info("connection from %s party=%s closed: %s", c->peer,
	    c->party_id[0] ? c->party_id : "-", why);
	conn_close(c);
}

static void
conn_linger_done(evutil_socket_t fd, short what, void *arg)
{
	conn_close(arg);
}

/* Closes the connection once what is queued has been written: no further
 * request is read. */
static void
conn_linger(struct conn *c)
{
	struct timeval tv = { .tv_sec = LINGER_SECONDS, .tv_usec = 0 };

	c->state = CONN_LINGER;
	if (c->linger == NULL)
		c->linger = evtimer_new(c->front->base, conn_linger_done, c);
	if (c->linger)
		evtimer_add(c->linger, &tv);
	conn_set_timeout(c, LINGER_SECONDS);
	/* Read (and discard) while lingering, so the client sees the
	 * answer rather than a reset. */
	bufferevent_enable(c->bev, EV_READ);
	conn_read_more(c);
}

void
conn_respond(struct conn *c, int status, const char *ctype, const char *body,
    size_t len, int close)
{
	conn_respond_hdr(c, status, ctype, NULL, body, len, close);
}

void
conn_close_after(struct conn *c)
{
	if (c->state != CONN_CLOSED && c->bev != NULL)
		conn_linger(c);
}

/*
 * Sends C's output now, instead of a loop turn later, when it is one answer
 * of at most one TLS record that the caller added to an empty output:
 * libevent's OpenSSL bufferevent only arms the write event when output is
 * added, so a small answer would wait for every other event of the turn,
 * then cost an epoll round of its own. One SSL_write of the whole,
 * contiguous output; if it took it all, it is drained. Otherwise (the
 * socket is full, an error) the output stays as it was and the
 * bufferevent's own write retries it (at least as long, from the same
 * bytes: what OpenSSL asks of a retry; libevent sets
 * SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER) and reports an error as usual. With
 * the output empty before, no write of the bufferevent's own is half done.
 * Not while a download or paused pipelining waits on conn_write_cb, which a
 * drain here never calls: only for an answer whose connection stays open.
 */
static void
conn_push(struct conn *c, size_t before)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t n = evbuffer_get_length(out);
	unsigned char *p;
	SSL *ssl;
	int r;

	if (before != 0 || n == 0 || n > CONN_ONE_RECORD || c->dl != NULL || c->out_paused ||
	    (c->state != CONN_READING && c->state != CONN_WAITING) ||
	    (ssl = bufferevent_openssl_get_ssl(c->bev)) == NULL ||
	    (p = evbuffer_pullup(out, -1)) == NULL)
		return;
	ERR_clear_error();
	if ((r = SSL_write(ssl, p, (int)n)) == (int)n) {
		evbuffer_drain(out, n);
		/* nothing left to write: no write event to arm, fire and
		 * disarm (conn_output arms it again) */
		bufferevent_disable(c->bev, EV_WRITE);
	} else
		ERR_clear_error();   /* the bufferevent's retry sees it again */
}

struct evbuffer *
conn_output(struct conn *c)
{
	if (!(bufferevent_get_enabled(c->bev) & EV_WRITE))
		bufferevent_enable(c->bev, EV_WRITE);
	return bufferevent_get_output(c->bev);
}

/* Every answer says nosniff, and is no-store unless EXTRA has its own
 * Cache-Control (the console's files). */
static void
conn_head(struct conn *c, int status, const char *ctype, const char *extra, uint64_t len,
    int close)
{
	struct evbuffer *out = conn_output(c);

	/* 204 carries no Content-Length (RFC 9110 8.6) */
	if (status == 204)
		evbuffer_add_printf(out, "HTTP/1.1 204 %s\r\n", conn_reason(status));
	else
		evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nContent-Length: %llu\r\n", status,
		    conn_reason(status), (unsigned long long)len);
	evbuffer_add_printf(out,
	    "%s"
	    "X-Content-Type-Options: nosniff\r\n"
	    "%s%s%s"
	    "%s%s%s"
	    "\r\n",
	    extra && strcasestr(extra, "cache-control:") ? "" : "Cache-Control: no-store\r\n",
	    ctype ? "Content-Type: " : "", ctype ? ctype : "", ctype ? "\r\n" : "",
	    c->treq.answer ? "Tus-Resumable: " TUS_VERSION "\r\n" : "", extra ? extra : "",
	    close ? "Connection: close\r\n" : c->http10 ? "Connection: keep-alive\r\n" : "");
}

int
conn_respond_head(struct conn *c, int status, const char *ctype, const char *extra,
    uint64_t len)
{
	int close = c->front->draining || !c->keepalive;

	if (c->state == CONN_CLOSED || c->bev == NULL)
		return 1;
	conn_head(c, status, ctype, extra, len, close);
	return close;
}

void
conn_respond_hdr(struct conn *c, int status, const char *ctype, const char *extra,
    const char *body, size_t len, int close)
{
	struct evbuffer *out;
	size_t before;

	if (c->state == CONN_CLOSED || c->bev == NULL)
		return;
	out = bufferevent_get_output(c->bev);
	before = evbuffer_get_length(out);
	/* The request decides: no keep-alive asked (HTTP/1.0 without it,
	 * Connection: close) means we close after this answer. */
	if (c->front->draining || !c->keepalive)
		close = 1;
	/* A 304's Content-Length is the one the 200 would have had (RFC 9110
	 * 8.6), and it has no body. */
	conn_head(c, status, ctype, extra, status == 304 ? len : body ? len : 0, close);
	if (body && len && status != 304 && !c->head)
		evbuffer_add(out, body, len);
	/* one piece: the TLS layer makes a record (and a write) of each */
	if (evbuffer_get_length(out) <= CONN_ONE_RECORD)
		(void)evbuffer_pullup(out, -1);
	if (close)
		conn_linger(c);
	else
		conn_push(c, before);
}

void
conn_error(struct conn *c, int status, const char *msg, int close)
{
	json_t *j = json_pack("{s:s}", "error", msg);

	conn_json(c, status, j, close);
}

/* 429/503 with Retry-After, then close. */
void
conn_error_retry(struct conn *c, int status, const char *msg, unsigned retry_after)
{
	json_t *j = json_pack("{s:s,s:I}", "error", msg, "retry_after", (json_int_t)retry_after);
	char hdr[64], *s;

	snprintf(hdr, sizeof(hdr), "Retry-After: %u\r\n", retry_after);
	if (j == NULL || (s = json_dumps(j, JSON_COMPACT)) == NULL) {
		json_decref(j);
		conn_respond_hdr(c, status, NULL, hdr, NULL, 0, 1);
		return;
	}
	json_decref(j);
	conn_respond_hdr(c, status, "application/json", hdr, s, strlen(s), 1);
	free(s);
}

void
conn_json(struct conn *c, int status, json_t *j, int close)
{
	char *s;

	if (j == NULL || (s = json_dumps(j, JSON_COMPACT)) == NULL) {
		json_decref(j);
		conn_respond(c, 500, "application/json", "{\"error\":\"out of memory\"}", 25, 1);
		return;
	}
	json_decref(j);
	conn_respond(c, status, "application/json", s, strlen(s), close);
	free(s);
}

void
conn_json_held(struct conn *c, uint64_t index, json_t *j, int close)
{
	char hdr[64 + sizeof(c->up.answer_hdr)], *s;

	/* with the resumable protocol's lines when the upload came through it */
	snprintf(hdr, sizeof(hdr), "Location: /v1/receipts/%llu\r\n%s", (unsigned long long)index,
	    c->up.answer_hdr);
	if (j == NULL || (s = json_dumps(j, JSON_COMPACT)) == NULL) {
		json_decref(j);
		conn_respond(c, 500, "application/json", "{\"error\":\"out of memory\"}", 25, 1);
		return;
	}
	json_decref(j);
	conn_respond_hdr(c, 202, "application/json", hdr, s, strlen(s), close);
	free(s);
}

int
conn_refuse_retry(struct conn *c, int status, const char *msg, unsigned retry_after)
{
	c->refused = 1;
	c->front->n_refused++;
	log_info("refused %s party=%s status=%d: %s", c->peer,
	    c->party_id[0] ? c->party_id : "-", status, msg);
	if (retry_after)
		conn_error_retry(c, status, msg, retry_after);
	else
		conn_error(c, status, msg, 1);
	return -1;
}

int
conn_refuse(struct conn *c, int status, const char *msg)
{
	return conn_refuse_retry(c, status, msg, 0);
}

/* --- llhttp callbacks --- */

/* request_timeout: the whole request, headers and body, must arrive in time. */
static void
conn_request_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	if (c->state != CONN_READING)
		return;
	log_info("request from %s party=%s timed out after %llu body bytes", c->peer,
	    c->party_id[0] ? c->party_id : "-", (unsigned long long)c->up.received);
	conn_close(c);
}

/* body_min_rate, after Apache mod_reqtimeout's MinRate: a body may take
 * body_timeout seconds plus one second for each body_min_rate bytes that
 * have arrived. body_timeout alone measures silence, which a client sending
 * a byte now and then never reaches; this bounds what such a client holds. */
static void
conn_rate_fired(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	const struct config *cfg = c->front->cfg;
	struct timespec now;
	struct timeval tv;
	double elapsed, allowed;
	long long us;

	if (c->state != CONN_READING || !c->in_body)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	elapsed = (double)(now.tv_sec - c->body_start.tv_sec) +
	    (now.tv_nsec - c->body_start.tv_nsec) / 1e9;
	allowed = cfg->body_timeout + (double)c->up.received / cfg->body_min_rate;
	if (elapsed >= allowed) {
		log_info("upload from %s party=%s aborted: %llu bytes in %.0f s, under "
		    "body_min_rate %u B/s", c->peer, c->party_id,
		    (unsigned long long)c->up.received, elapsed, cfg->body_min_rate);
		upload_abort(c);
		conn_close(c);
		return;
	}
	us = (long long)((allowed - elapsed) * 1e6) + 1;
	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	evtimer_add(c->rate_timer, &tv);
}

/* Starts the body's clock; 0, or -1 when no timer could be made. */
static int
conn_rate_start(struct conn *c)
{
	struct timeval tv = { .tv_sec = c->front->cfg->body_timeout, .tv_usec = 0 };

	if (c->front->cfg->body_min_rate == 0)
		return 0;
	if (c->rate_timer == NULL &&
	    (c->rate_timer = evtimer_new(c->front->base, conn_rate_fired, c)) == NULL)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &c->body_start);
	evtimer_add(c->rate_timer, &tv);
	return 0;
}

static int
on_message_begin(llhttp_t *p)
{
	struct conn *c = p->data;
	unsigned t = c->front->cfg->request_timeout;

	conn_reset_request(c);
	conn_set_timeout(c, c->front->cfg->header_timeout);
	conn_deadline(c, c->front->cfg->header_timeout);
	if (t) {
		struct timeval tv = { .tv_sec = t, .tv_usec = 0 };

		if (c->req_timer == NULL)
			c->req_timer = evtimer_new(c->front->base, conn_request_timeout, c);
		if (c->req_timer)
			evtimer_add(c->req_timer, &tv);
	}
	return 0;
}

static int
conn_header_budget(struct conn *c, size_t len)
{
	c->header_bytes += len;
	if (c->header_bytes > c->front->cfg->max_header_size)
		return conn_refuse(c, 431, "request headers too large");
	return 0;
}

static int
on_url(llhttp_t *p, const char *at, size_t len)
{
	struct conn *c = p->data;

	if (conn_header_budget(c, len) == -1)
		return -1;
	if (c->url_len + len > URL_MAX)
		return conn_refuse(c, 414, "request target too long");
	memcpy(c->url + c->url_len, at, len);
	c->url_len += len;
	c->url[c->url_len] = '\0';
	return 0;
}

static int
on_header_field(llhttp_t *p, const char *at, size_t len)
{
	struct conn *c = p->data;

	if (conn_header_budget(c, len) == -1)
		return -1;
	if (c->hname_len + len > HDR_NAME_MAX)
		len = HDR_NAME_MAX - c->hname_len;   /* long names are never ours */
	memcpy(c->hname + c->hname_len, at, len);
	c->hname_len += len;
	c->hname[c->hname_len] = '\0';
	return 0;
}

static int
on_header_value(llhttp_t *p, const char *at, size_t len)
{
	struct conn *c = p->data;

	if (conn_header_budget(c, len) == -1)
		return -1;
	if (strcasecmp(c->hname, "upload-metadata") == 0)
		tus_metadata(c, at, len);   /* longer than other values (tus.h) */
	if (c->hvalue_len + len > HDR_VALUE_MAX) {
		c->hvalue_long = 1;
		len = HDR_VALUE_MAX - c->hvalue_len;
	}
	memcpy(c->hvalue + c->hvalue_len, at, len);
	c->hvalue_len += len;
	c->hvalue[c->hvalue_len] = '\0';
	return 0;
}

static int
on_header_value_complete(llhttp_t *p)
{
	struct conn *c = p->data;

	if (++c->nheaders > c->front->cfg->max_header_count)
		return conn_refuse(c, 431, "too many request headers");
	if (strcasecmp(c->hname, "expect") == 0) {
		if (strcasecmp(c->hvalue, "100-continue") != 0)
			return conn_refuse(c, 417, "unsupported expectation");
		c->expect_continue = 1;
	} else if (strcasecmp(c->hname, "content-digest") == 0 ||
	    (strcasecmp(c->hname, "repr-digest") == 0 && c->up.digest_hdr[0] == '\0')) {
		if (c->hvalue_long)
			return conn_refuse(c, 400, "digest header too long");
		memcpy(c->up.digest_hdr, c->hvalue, c->hvalue_len);
		c->up.digest_hdr[c->hvalue_len] = '\0';
	} else if (strcasecmp(c->hname, "origin") == 0) {
		/* a second Origin, or one too long to compare, is not ours */
		if (c->has_origin || c->hvalue_long)
			snprintf(c->origin, sizeof(c->origin), "-");
		else
			memcpy(c->origin, c->hvalue, c->hvalue_len + 1);
		c->has_origin = 1;
	} else if (strcasecmp(c->hname, "host") == 0) {
		if (c->host[0] || c->hvalue_long)
			return conn_refuse(c, 400, "one Host header");
		memcpy(c->host, c->hvalue, c->hvalue_len + 1);
	} else if (strcasecmp(c->hname, "content-type") == 0) {
		memcpy(c->ctype, c->hvalue, c->hvalue_len + 1);
	} else if (strcasecmp(c->hname, "if-none-match") == 0) {
		memcpy(c->if_none_match, c->hvalue, c->hvalue_len + 1);
	} else if (strcasecmp(c->hname, "sec-fetch-site") == 0) {
		c->fetch_same_origin = strcasecmp(c->hvalue, "same-origin") == 0;
	} else if (strcasecmp(c->hname, "tus-resumable") == 0) {
		c->tus = 1;
	}
	/* every header, those above too: the resumable protocol's (tus.h) */
	if (tus_header(c, c->hname, c->hvalue, c->hvalue_long) == -1)
		return -1;
	c->hname_len = c->hvalue_len = 0;
	c->hname[0] = c->hvalue[0] = '\0';
	c->hvalue_long = 0;
	return 0;
}

/* Host and Origin's host:port, without a default port 443, compared. */
static int
conn_same_hostport(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen > 4 && strncmp(a + alen - 4, ":443", 4) == 0)
		alen -= 4;
	if (blen > 4 && strncmp(b + blen - 4, ":443", 4) == 0)
		blen -= 4;
	return alen == blen && alen > 0 && strncasecmp(a, b, alen) == 0;
}

/* The Origin rule (DESIGN §5): a request whose Origin header is not the
 * gateway's own, https:// and the Host the client connected to, is cross-
 * origin and refused before its body is read. A browser sends the client
 * certificate to any site's form post or script request; Origin is the
 * header a page cannot forge. "null" is accepted only when the browser
 * itself says the request is same-origin (Sec-Fetch-Site, which no page can
 * set either): some browsers (Firefox) send Origin: null on a page's own
 * PUT and POST under Referrer-Policy: no-referrer, as the console's is. A
 * browser that sends no Sec-Fetch-Site is refused: fail closed. Returns 1
 * when the request must be refused. */
static int
conn_cross_origin(struct conn *c)
{
	if (!c->has_origin)
		return 0;
	if (strcmp(c->origin, "null") == 0)
		return !c->fetch_same_origin;
	if (strncasecmp(c->origin, "https://", 8) != 0)
		return 1;
	return !conn_same_hostport(c->origin + 8, strlen(c->origin + 8), c->host, strlen(c->host));
}

/* A POST that a cross-origin page could send without a CORS preflight (a
 * "simple" request: a form's text/plain, urlencoded or multipart body) must
 * not change state: a POST needs Content-Type application/json, or the
 * Tus-Resumable header of the resumable-upload protocol. Both make the
 * browser ask first, and the gateway never answers a preflight with CORS. */
static int
conn_not_simple(struct conn *c)
{
	const char *t = c->ctype;
	size_t n = strlen("application/json");

	if (c->tus)
		return 1;
	while (*t == ' ' || *t == '\t')
		t++;
	return strncasecmp(t, "application/json", n) == 0 &&
	    (t[n] == '\0' || t[n] == ';' || t[n] == ' ' || t[n] == '\t');
}

/* The Party of this request, from the current parties snapshot. */
static int
conn_authorise(struct conn *c)
{
	struct runtime *rt = c->front->rt;

	if (c->rt != rt) {
		runtime_unref(c->rt);
		c->rt = runtime_ref(rt);
		c->authorised = 0;
	}
	/* The certificate is the connection's, the parties the snapshot's:
	 * matched once per snapshot, not per request. */
	if (!c->authorised) {
		c->auth_party = parties_match(c->rt->parties, c->cert, NULL);
		c->authorised = 1;
	}
	c->party = c->auth_party;
	if (c->party == NULL) {
		c->party_id[0] = '\0';
		return -1;
	}
	snprintf(c->party_id, sizeof(c->party_id), "%s", c->party->id);
	c->role = c->party->role;
	return 0;
}

static int
on_headers_complete(llhttp_t *p)
{
	struct conn *c = p->data;
	const struct url_route *route;
	char *path, *query;
	int method = llhttp_get_method(p), r;

	c->keepalive = llhttp_should_keep_alive(p);
	c->http10 = p->http_major == 1 && p->http_minor == 0;
	c->head = method == HTTP_HEAD;
	/* Upgrade is ignored (RFC 9110 7.8 allows it): we speak HTTP/1.1 only.
	 * llhttp reads this field right after this callback to decide whether
	 * the bytes after the request are another protocol; cleared, they are
	 * HTTP again, and the request gets exactly one answer. CONNECT, the
	 * other source of it, is refused below. */
	p->upgrade = 0;
	conn_deadline(c, 0);
	if (conn_authorise(c) == -1)
		return conn_refuse(c, 403, "certificate does not map to a Party");
	if (c->over_limit)
		return conn_refuse_retry(c, 429, "too many connections for this Party", 10);
	if (c->front->draining)
		return conn_refuse(c, 503, "shutting down");
	if (c->url_len == 0 || c->url[0] != '/')
		return conn_refuse(c, 400, "bad request target");
	if (conn_cross_origin(c))
		return conn_refuse(c, 403, "cross-origin request refused");
	if (method == HTTP_POST && !conn_not_simple(c))
		return conn_refuse(c, 415, "a POST must be application/json");
	path = c->url;
	if ((query = strchr(path, '?')) != NULL)
		*query++ = '\0';
	route = url_route(path);
	if (route != NULL && route->begin != NULL) {
		/* A request with a body, decided before the body. */
		if (route->method != -1 && method != route->method)
			return conn_refuse(c, 405, route->refuse);
		c->route = route;
		if ((r = route->begin(c, method, path + url_route_len(route), query)) == -1)
			return -1;   /* begin answered */
		if (!route->upload || r == 1)
			return 0;   /* no body to receive as an upload */
		c->in_body = 1;
		if (conn_rate_start(c) == -1) {
			upload_abort(c);
			return conn_refuse(c, 500, "out of memory");
		}
		conn_set_timeout(c, c->front->cfg->body_timeout);
		if (c->expect_continue) {
			struct evbuffer *out = conn_output(c);
			size_t before = evbuffer_get_length(out);

			/* now: the client sends no body until it has this */
			evbuffer_add_printf(out, "HTTP/1.1 100 Continue\r\n\r\n");
			conn_push(c, before);
		}
		return 0;
	}
	if (method != HTTP_GET)
		return conn_refuse(c, 405, "method not allowed");
	/* GET requests carry no body; anything else is refused. */
	if (p->content_length > 0 || (p->flags & F_CHUNKED))
		return conn_refuse(c, 400, "a GET request has no body");
	/* Keep the split path and query for on_message_complete. */
	if (query) {
		size_t plen = strlen(path);
		memmove(c->url + plen + 1, query, strlen(query) + 1);
		c->url[plen] = '\0';
	}
	c->route = route;   /* a GET; NULL: 404 once the request is complete */
	return 0;
}

static int
on_body(llhttp_t *p, const char *at, size_t len)
{
	struct conn *c = p->data;

	if (c->route == NULL || c->route->body == NULL)
		return -1;
	return c->route->body(c, at, len);
}

static int
on_message_complete(llhttp_t *p)
{
	struct conn *c = p->data;
	int end = 1;

	if (c->req_timer)
		evtimer_del(c->req_timer);
	if (c->rate_timer)
		evtimer_del(c->rate_timer);
	/* END decides whether FINISH hands the request on, or has answered */
	if (c->route != NULL && c->route->end != NULL)
		c->in_body = 0;   /* the body is in; END may answer and read on */
	if (c->route != NULL && c->route->finish != NULL &&
	    (c->route->end == NULL || (end = c->route->end(c)) != 0)) {
		c->state = CONN_WAITING;
		conn_set_timeout(c, 0);
		if (end == 1)
			c->route->finish(c);
		return HPE_PAUSED;
	}
	if (c->route == NULL || c->route->end == NULL) {
		const char *path = c->url;
		const char *query = c->url + strlen(c->url) + 1;

		if ((size_t)(query - c->url) > c->url_len)
			query = "";
		if (c->route != NULL)
			c->route->get(c, path + url_route_len(c->route), query);
		else
			conn_error(c, 404, "not found", 0);
	}
	if (c->state != CONN_READING || c->bev == NULL)
		return HPE_PAUSED;   /* the answer closes the connection: read no further */
	conn_set_timeout(c, c->front->cfg->header_timeout);
	if (c->dl != NULL ||
	    evbuffer_get_length(bufferevent_get_output(c->bev)) > WRITE_HIGH_WATERMARK) {
		/* Pipelined requests: parse the next one once the client has
		 * read these answers (conn_write_cb). Until then the kernel's
		 * buffers and TCP hold what it sends; a client that never reads
		 * meets the write timeout (header_timeout). */
		c->out_paused = 1;
		bufferevent_disable(c->bev, EV_READ);
		return HPE_PAUSED;
	}
	return 0;
}

/* --- bufferevent callbacks --- */

static void
conn_parse(struct conn *c)
{
	struct evbuffer *in;

	while (c->state == CONN_READING && c->bev && !c->out_paused) {
		struct evbuffer_iovec v;
		llhttp_errno_t e;
		size_t used;

		in = bufferevent_get_input(c->bev);
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
			return;
		e = llhttp_execute(&c->parser, v.iov_base, v.iov_len);
		if (e == HPE_OK) {
			evbuffer_drain(in, v.iov_len);
			continue;
		}
		if (e == HPE_PAUSED) {
			used = (size_t)(llhttp_get_error_pos(&c->parser) - (const char *)v.iov_base);
			evbuffer_drain(in, used);
			return;
		}
		if (c->in_body && c->up.over_budget) {
			/* The Party's daily byte budget ran out mid-stream:
			 * nothing is kept or logged, as for a refusal. */
			upload_abort(c);
			conn_refuse_retry(c, 429, "daily volume limit reached",
			    (unsigned)(86400 - time(NULL) % 86400));
			evbuffer_drain(in, evbuffer_get_length(in));
			return;
		}
		if (c->in_body && c->up.too_large) {
			/* Body past max_upload: a logged rejection, then close. */
			c->keepalive = 0;
			c->state = CONN_WAITING;
			conn_set_timeout(c, 0);
			evbuffer_drain(in, evbuffer_get_length(in));
			upload_finish(c);
			return;
		}
		/* A parse error, or a callback refused. */
		if (!c->refused) {
			log_info("bad request from %s party=%s: %s", c->peer,
			    c->party_id[0] ? c->party_id : "-", llhttp_errno_name(e));
			if (c->in_body)
				upload_abort(c);
			conn_error(c, 400, "malformed HTTP request", 1);
		} else if (c->in_body)
			upload_abort(c);
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
}

/* A large body: one wakeup drains up to the watermark, not one 16 KiB
 * record, and OpenSSL reads records ahead. Not for handshakes and small
 * requests: each read would reserve a buffer of the watermark's size, and
 * a connection that does not need it pays for the allocation. */
void
conn_large_body(struct conn *c)
{
	if (c->bev == NULL)
		return;
	bufferevent_set_max_single_read(c->bev, READ_HIGH_WATERMARK);
	tls_read_ahead(bufferevent_openssl_get_ssl(c->bev), 1);
}

void
conn_read_more(struct conn *c)
{
	SSL *ssl;

	if (c->bev != NULL && (bufferevent_get_enabled(c->bev) & EV_READ) &&
	    (ssl = bufferevent_openssl_get_ssl(c->bev)) != NULL && SSL_has_pending(ssl))
		event_active(&c->bev->ev_read, EV_READ, 1);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->state == CONN_LINGER) {
		/* Discard what the client still sends after a refusal. */
		struct evbuffer *in = bufferevent_get_input(bev);

		evbuffer_drain(in, evbuffer_get_length(in));
	} else
		conn_parse(c);
	conn_read_more(c);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	int r;

	if (c->dl != NULL) {
		/* A stored file going out (download.c): the next chunk. */
		if ((r = download_pump(c)) == 1)
			return;
		if (r == -1 || c->dl_close) {
			conn_linger(c);
			return;
		}
		/* sent: parsing resumes once the output drained */
	}
	if (c->out_paused && c->state == CONN_READING &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		/* The answers to pipelined requests are out: parse on. */
		c->out_paused = 0;
		llhttp_resume(&c->parser);
		bufferevent_enable(bev, EV_READ);
		conn_parse(c);
		conn_read_more(c);
		return;
	}
	if (c->state == CONN_LINGER &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		/* Answer sent: stop writing; linger reads until EOF or the timer. */
		SSL *ssl = bufferevent_openssl_get_ssl(bev);

		if (ssl)
			SSL_shutdown(ssl);
	}
}

/* After a reload: does this connection's certificate still pass? Verified
 * again as a handshake on RT's TLS context would (its CA and CRL), and
 * mapped to a Party of RT's parties file. NULL, or why not. */
static const char *
conn_recheck(struct conn *c, struct runtime *rt)
{
	SSL *ssl = c->bev ? bufferevent_openssl_get_ssl(c->bev) : NULL;
	const char *why;

	if (c->cert == NULL)
		return NULL;
	if (tls_verify_peer(rt->tls, c->cert, ssl ? SSL_get_peer_cert_chain(ssl) : NULL,
	    &why) == -1)
		return why;
	if (parties_match(rt->parties, c->cert, NULL) == NULL)
		return "certificate does not map to a Party";
	return NULL;
}

/* A reload no longer accepts the connection's certificate: nothing more is
 * read from it. A body still arriving is dropped (not recorded) and
 * answered 403; answers already queued, or the answer to an upload already
 * in the pipeline, are the last. */
static void
conn_revoke(struct conn *c, const char *why)
{
	log_info("connection from %s party=%s: %s since the reload, closing", c->peer,
	    c->party_id[0] ? c->party_id : "-", why);
	c->revoked = 1;
	c->keepalive = 0;
	switch (c->state) {
	case CONN_READING:
		if (c->in_body) {
			upload_abort(c);
			conn_refuse(c, 403, "client certificate no longer accepted");
		} else if (c->bev && evbuffer_get_length(bufferevent_get_output(c->bev)) > 0)
			conn_linger(c);
		else
			conn_close(c);
		break;
	case CONN_WAITING:      /* keepalive = 0: closed after its answer */
	case CONN_LINGER:
	case CONN_CLOSED:
		break;
	}
}

/* Every open connection against the runtime just loaded. Loop thread. */
static void
front_recheck(struct front *f, struct runtime *rt)
{
	struct conn *c, *next;
	const char *why;

	for (c = f->conns; c; c = next) {
		next = c->next;
		if (c->state != CONN_CLOSED && !c->revoked && (why = conn_recheck(c, rt)) != NULL)
			conn_revoke(c, why);
	}
}

static void
conn_handshake_done(struct conn *c)
{
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	X509 *cert;

	if ((cert = SSL_get1_peer_certificate(ssl)) == NULL ||
	    SSL_get_verify_result(ssl) != X509_V_OK) {
		X509_free(cert);
		conn_close(c);
		return;
	}
	c->cert = cert;
	if (c->rt != c->front->rt) {
		/* The handshake ran on a TLS context a reload has replaced since
		 * (a CRL may have changed): it must pass the current one too. */
		const char *why = conn_recheck(c, c->front->rt);

		if (why != NULL) {
			log_info("connection from %s: %s since the reload", c->peer, why);
			conn_close(c);
			return;
		}
	}
	{
		const struct party *p = parties_match(c->rt->parties, cert, c->cert_sha256);
		struct party_usage *u = p ? limits_usage(c->front->limits, p->id, c->front->cfg) : NULL;

		c->auth_party = p;	/* conn_authorise's, for this snapshot */
		c->authorised = 1;

		/* Over the Party's connection limit: answered 429 at its first request. */
		if (u && limits_conn_open(u, c->front->cfg) == 0)
			c->usage = u;
		else if (u)
			c->over_limit = 1;
	}
	conn_set_timeout(c, c->front->cfg->header_timeout);
	conn_parse(c);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	while (bufferevent_get_openssl_error(bev))
		;
	if (c->state == CONN_READING && !c->in_body && (what & BEV_EVENT_TIMEOUT)) {
		log_info("connection from %s party=%s idle past header_timeout", c->peer,
		    c->party_id[0] ? c->party_id : "-");
	} else if (c->state == CONN_READING && c->in_body) {
		log_info("upload from %s party=%s aborted: %s after %llu bytes",
		    c->peer, c->party_id, (what & BEV_EVENT_TIMEOUT) ? "timeout" :
		    "connection closed", (unsigned long long)c->up.received);
		upload_abort(c);
	}
	if (c->state == CONN_WAITING) {
		/* The upload is complete and in the pipeline: it will be
		 * recorded; only the answer is lost with the socket. */
		conn_free_socket(c);
		return;
	}
	conn_close(c);
}

void
conn_resume(struct conn *c)
{
	if (c->state != CONN_WAITING || c->bev == NULL)
		return;
	if (!c->keepalive) {
		c->state = CONN_LINGER;
		return;
	}
	conn_reset_request(c);
	c->state = CONN_READING;
	llhttp_resume(&c->parser);
	conn_set_timeout(c, c->front->cfg->header_timeout);
	bufferevent_enable(c->bev, EV_READ);
	conn_parse(c);
	conn_read_more(c);
}

/* A connection whose TLS handshake the acceptor thread completed. */
void
conn_adopt(struct front *f, int fd, SSL *ssl, struct runtime *rt, const char *peer)
{
	struct conn *c;

	if (atomic_load(&f->nconns) >= f->cfg->max_connections) {
		/* Filled while the handshake ran (accept.c checked before). */
		log_info("connection from %s closed: max_connections (%u) reached", peer,
		    f->cfg->max_connections);
		SSL_free(ssl);
		close(fd);
		runtime_unref(rt);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->front = f;
	c->rt = rt;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	conn_reset_request(c);
	llhttp_init(&c->parser, HTTP_REQUEST, &conn_settings);
	c->parser.data = c;
	c->bev = bufferevent_openssl_socket_new(f->base, fd, ssl, BUFFEREVENT_SSL_OPEN,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		free(c);
		goto fail;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	tls_read_ahead(ssl, 0);
	bufferevent_setwatermark(c->bev, EV_READ, 0, READ_HIGH_WATERMARK);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	c->next = f->conns;
	if (f->conns)
		f->conns->prev = c;
	f->conns = c;
	atomic_fetch_add(&f->nconns, 1);   /* conn_free_socket takes it back */
	c->state = CONN_READING;
	if (f->draining) {
		conn_close(c);
		return;
	}
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	conn_handshake_done(c);
	return;
fail:
	log_warnx("%s: out of memory for a connection from %s", __func__, peer);
	SSL_free(ssl);
	close(fd);
	runtime_unref(rt);
}

int
front_start(struct front *f, int listener, char *err, size_t errlen)
{
	if ((f->limits = limits_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	llhttp_settings_init(&conn_settings);
	conn_settings.on_message_begin = on_message_begin;
	conn_settings.on_url = on_url;
	conn_settings.on_header_field = on_header_field;
	conn_settings.on_header_value = on_header_value;
	conn_settings.on_header_value_complete = on_header_value_complete;
	conn_settings.on_headers_complete = on_headers_complete;
	conn_settings.on_body = on_body;
	conn_settings.on_message_complete = on_message_complete;

	f->acceptor = acceptor_start(f, listener, err, errlen);
	return f->acceptor ? 0 : -1;
}

struct runtime *
front_runtime(struct front *f)
{
	struct runtime *rt;

	pthread_mutex_lock(&f->rt_mtx);
	rt = runtime_ref(f->rt);
	pthread_mutex_unlock(&f->rt_mtx);
	return rt;
}

void
front_set_runtime(struct front *f, struct runtime *rt)
{
	struct runtime *old;

	pthread_mutex_lock(&f->rt_mtx);
	old = f->rt;
	f->rt = rt;
	pthread_mutex_unlock(&f->rt_mtx);
	runtime_unref(old);
	/* A revoked certificate or a removed Party loses the connections it
	 * has open too, not only new handshakes. */
	front_recheck(f, rt);
}

static void
front_grace_over(evutil_socket_t fd, short what, void *arg)
{
	struct front *f = arg;

	log_info("grace time over with %u connections", atomic_load(&f->nconns));
	event_base_loopbreak(f->base);
}

static void
front_check_drained(evutil_socket_t fd, short what, void *arg)
{
	struct front *f = arg;
	struct conn *c;
	int busy = 0;

	/* An answer still being written (LINGER, bounded by its timer) counts
	 * too: an upload recorded during the drain must be answered. */
	for (c = f->conns; c; c = c->next)
		if (c->state == CONN_WAITING || c->state == CONN_LINGER ||
		    (c->state == CONN_READING && c->in_body))
			busy = 1;
	/* A spool still writing the body of a client that went away, or a
	 * follower winding down (follow.h). */
	if (!busy && pipeline_pending(f->pipeline) == 0 && spool_active() == 0 &&
	    follow_active() == 0)
		event_base_loopbreak(f->base);
}

void
front_drain(struct front *f)
{
	struct conn *c, *next;
	struct timeval grace = { .tv_sec = DRAIN_GRACE_SECONDS, .tv_usec = 0 };
	struct timeval tick = { .tv_sec = 0, .tv_usec = 100000 };
	if (f->draining)
		return;
	f->draining = 1;
	acceptor_free(f->acceptor);
	f->acceptor = NULL;
	/* Idle connections go now; uploads in flight may finish. */
	for (c = f->conns; c; c = next) {
		next = c->next;
		/* a resumable upload's PATCH keeps what it has and is resumed later */
		if (c->state == CONN_READING && (!c->in_body || c->up.tus))
			conn_close(c);
	}
	f->grace = evtimer_new(f->base, front_grace_over, f);
	evtimer_add(f->grace, &grace);
	f->drain_tick = event_new(f->base, -1, EV_PERSIST, front_check_drained, f);
	event_add(f->drain_tick, &tick);
	front_check_drained(-1, 0, f);
}

void
front_free(struct front *f)
{
	struct conn *c, *next;

	acceptor_free(f->acceptor);
	f->acceptor = NULL;
	for (c = f->conns; c; c = next) {
		next = c->next;
		conn_free_socket(c);
		conn_release(c);
	}
	/* A follower whose upload went away stops at its next read: wait for
	 * it (bounded) so that none outlives the policy or the process. */
	for (int i = 0; follow_active() > 0 && i < 500; i++)
		usleep(10000);
	limits_free(f->limits);
	if (f->grace)
		event_free(f->grace);
	if (f->drain_tick)
		event_free(f->drain_tick);
}
