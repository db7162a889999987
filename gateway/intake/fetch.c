/*
 * intake/fetch.c: bounded HTTPS GET over mutual TLS for the CLI (fetch.h).
 *
 * One request per connection: connect (each address in turn, with a
 * timeout), TLS handshake (peer verified against the CA and the URL's host),
 * "GET ... Connection: close", then the response is fed to llhttp, which
 * handles Content-Length, chunked and read-to-EOF bodies. A body that needs
 * EOF to end is accepted only after a clean TLS close_notify, so that a
 * truncated response is never taken for a whole one. Limits: header bytes,
 * body bytes (the caller's MAX), connect, per-read/write and total time.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <llhttp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/errbuf.h"
#include "fetch.h"

#define FETCH_HOST_MAX   253          /* longest DNS name */
#define FETCH_BASE_MAX   1024         /* base path of the URL */
#define FETCH_REQ_MAX    4096         /* the whole request head */
#define FETCH_HEADER_MAX (16u << 10)  /* status line and headers of a response */
#define FETCH_CHUNK      (16u << 10)  /* one TLS read */
#define FETCH_CONNECT_MS 10000        /* TCP connect, per address */
#define FETCH_IO_MS      30000        /* any one read or write (SO_RCVTIMEO/SO_SNDTIMEO) */
#define FETCH_TOTAL_MS   120000       /* one request, connect to last byte */
/* With TLS 1.3 a refused (missing) client certificate shows only after the handshake. */
#define FETCH_NOCERT_HINT " (no client certificate was given: see --cert and --key)"
/* TLS 1.2 only with forward-secret AEAD suites (DESIGN §2); 1.3 suites are all AEAD. */
#define FETCH_TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20"

struct fetch {
	SSL_CTX *ctx;
	char     host[FETCH_HOST_MAX + 1];       /* name or address, no brackets */
	char     port[6];
	char     hosthdr[FETCH_HOST_MAX + 10];   /* Host: value, "[v6]:port" */
	char     base[FETCH_BASE_MAX + 1];       /* path prefix, no trailing '/' */
	int      is_ip;
	int      has_cert;                       /* a client certificate is loaded */
};

/* One response being read. */
struct fetch_resp {
	llhttp_t  parser;
	int       headers_done;
	int       done;
	int       toobig;
	char     *body;
	size_t    len, cap, max;
};

/* The last OpenSSL error as text (queue cleared). */
static const char *
fetch_sslerr(void)
{
	static char buf[256];
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		return "unknown TLS error";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

static int64_t
fetch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Parses URL into F. 0/-1. */
static int
fetch_parse_url(struct fetch *f, const char *url, char *err, size_t errlen)
{
	const char *p, *auth_end, *hs, *he, *after, *s;
	size_t n, hl;
	unsigned long port = 443;
	struct in6_addr a6;
	struct in_addr a4;

	if (strlen(url) > FETCH_URL_MAX) {
		errset(err, errlen, "URL longer than %d bytes", FETCH_URL_MAX);
		return -1;
	}
	if (strncasecmp(url, "https://", 8) != 0) {
		errset(err, errlen, "URL must start with https://");
		return -1;
	}
	for (s = url; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch <= 0x20 || ch >= 0x7f || ch == '?' || ch == '#' || ch == '@' ||
		    ch == '\\' || ch == '%') {
			errset(err, errlen, "URL: no user info, query, fragment, escapes, "
			    "spaces or non-ASCII characters");
			return -1;
		}
	}
	p = url + 8;
	auth_end = strchr(p, '/');
	if (auth_end == NULL)
		auth_end = p + strlen(p);
	if (*p == '[') {
		hs = p + 1;
		he = memchr(hs, ']', (size_t)(auth_end - hs));
		if (he == NULL) {
			errset(err, errlen, "URL: unterminated [IPv6 address]");
			return -1;
		}
		after = he + 1;
	} else {
		hs = p;
		he = memchr(p, ':', (size_t)(auth_end - p));
		if (he == NULL)
			he = auth_end;
		after = he;
	}
	hl = (size_t)(he - hs);
	if (hl == 0 || hl > FETCH_HOST_MAX) {
		errset(err, errlen, "URL: missing or too long host");
		return -1;
	}
	memcpy(f->host, hs, hl);
	f->host[hl] = '\0';
	if (*p == '[') {
		if (inet_pton(AF_INET6, f->host, &a6) != 1) {
			errset(err, errlen, "URL: bad IPv6 address");
			return -1;
		}
		f->is_ip = 1;
	} else {
		for (s = f->host; *s != '\0'; s++)
			if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			    (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' || *s == '_')) {
				errset(err, errlen, "URL: bad character in host name");
				return -1;
			}
		f->is_ip = inet_pton(AF_INET, f->host, &a4) == 1;
	}
	if (after < auth_end) {
		char *end;

		if (*after != ':' || after + 1 == auth_end || auth_end - after > 6) {
			errset(err, errlen, "URL: bad port");
			return -1;
		}
		for (s = after + 1; s < auth_end; s++)
			if (*s < '0' || *s > '9') {
				errset(err, errlen, "URL: bad port");
				return -1;
			}
		port = strtoul(after + 1, &end, 10);
		if (port == 0 || port > 65535) {
			errset(err, errlen, "URL: bad port");
			return -1;
		}
	}
	snprintf(f->port, sizeof(f->port), "%lu", port);
	if (port == 443)
		snprintf(f->hosthdr, sizeof(f->hosthdr), *p == '[' ? "[%s]" : "%s", f->host);
	else
		snprintf(f->hosthdr, sizeof(f->hosthdr), *p == '[' ? "[%s]:%lu" : "%s:%lu",
		    f->host, port);
	n = strlen(auth_end);
	while (n > 0 && auth_end[n - 1] == '/')
		n--;
	if (n > FETCH_BASE_MAX) {
		errset(err, errlen, "URL: path longer than %d bytes", FETCH_BASE_MAX);
		return -1;
	}
	memcpy(f->base, auth_end, n);
	f->base[n] = '\0';
	return 0;
}

struct fetch *
fetch_new(const char *url, const char *cacert, const char *cert, const char *key,
    char *err, size_t errlen)
{
	struct fetch *f;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		errset(err, errlen, "out of memory");
		return NULL;
	}
	if (fetch_parse_url(f, url, err, errlen) == -1)
		goto fail;
	/* A server that closes early must give EPIPE, not kill the CLI. */
	signal(SIGPIPE, SIG_IGN);
	if ((f->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(f->ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(f->ctx, FETCH_TLS12_CIPHERS) != 1) {
		errset(err, errlen, "TLS setup: %s", fetch_sslerr());
		goto fail;
	}
	SSL_CTX_set_options(f->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_verify(f->ctx, SSL_VERIFY_PEER, NULL);
	if (cacert != NULL) {
		if (SSL_CTX_load_verify_locations(f->ctx, cacert, NULL) != 1) {
			errset(err, errlen, "--cacert %s: %s", cacert, fetch_sslerr());
			goto fail;
		}
	} else if (SSL_CTX_set_default_verify_paths(f->ctx) != 1) {
		errset(err, errlen, "system trust store: %s", fetch_sslerr());
		goto fail;
	}
	if (cert != NULL) {
		if (SSL_CTX_use_certificate_chain_file(f->ctx, cert) != 1) {
			errset(err, errlen, "--cert %s: %s", cert, fetch_sslerr());
			goto fail;
		}
		if (key == NULL)
			key = cert;
		if (SSL_CTX_use_PrivateKey_file(f->ctx, key, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(f->ctx) != 1) {
			errset(err, errlen, "--key %s: %s", key, fetch_sslerr());
			goto fail;
		}
		f->has_cert = 1;
	}
	return f;
fail:
	fetch_free(f);
	return NULL;
}

void
fetch_free(struct fetch *f)
{
	if (f == NULL)
		return;
	SSL_CTX_free(f->ctx);
	free(f);
}

const char *
fetch_origin(const struct fetch *f)
{
	return f->hosthdr;
}

/* A connected blocking socket to F (each address in turn), with I/O timeouts. */
static int
fetch_connect(struct fetch *f, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv = { FETCH_IO_MS / 1000, (FETCH_IO_MS % 1000) * 1000 };
	struct pollfd pfd;
	socklen_t sl;
	int fd = -1, r, soerr = 0, last = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | (f->is_ip ? AI_NUMERICHOST : 0);
	if ((r = getaddrinfo(f->host, f->port, &hints, &res)) != 0) {
		errset(err, errlen, "%s: %s", f->host, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd == -1) {
			last = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			soerr = 0;
		else if (errno != EINPROGRESS)
			soerr = errno;
		else {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			do
				r = poll(&pfd, 1, FETCH_CONNECT_MS);
			while (r == -1 && errno == EINTR);
			sl = sizeof(soerr);
			if (r == 0)
				soerr = ETIMEDOUT;
			else if (r == -1)
				soerr = errno;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
				soerr = errno;
		}
		if (soerr == 0 &&
		    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != -1 &&
		    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0 &&
		    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0)
			break;
		last = soerr != 0 ? soerr : errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		errset(err, errlen, "cannot connect to %s: %s", f->hosthdr,
		    strerror(last != 0 ? last : ECONNREFUSED));
	return fd;
}

static int
fetch_on_headers_complete(llhttp_t *p)
{
	struct fetch_resp *r = p->data;

	r->headers_done = 1;
	return 0;
}

static int
fetch_on_body(llhttp_t *p, const char *at, size_t n)
{
	struct fetch_resp *r = p->data;
	size_t cap;
	char *nb;

	if (n > r->max - r->len) {
		r->toobig = 1;
		return -1;
	}
	if (r->len + n + 1 > r->cap) {
		cap = r->cap != 0 ? r->cap : 4096;
		while (cap < r->len + n + 1)
			cap *= 2;
		if (cap > r->max + 1)
			cap = r->max + 1;
		if ((nb = realloc(r->body, cap)) == NULL)
			return -1;
		r->body = nb;
		r->cap = cap;
	}
	memcpy(r->body + r->len, at, n);
	r->len += n;
	return 0;
}

static int
fetch_on_message_complete(llhttp_t *p)
{
	struct fetch_resp *r = p->data;

	if (p->status_code < 200) {
		/* an interim 1xx answer: the real one follows */
		r->headers_done = 0;
		r->len = 0;
		return 0;
	}
	r->done = 1;
	return HPE_PAUSED;
}

/* Why SSL_read/SSL_write/SSL_connect returned N <= 0, as text. */
static const char *
fetch_ioerr(SSL *ssl, int n, int64_t deadline)
{
	int saved = errno, se = SSL_get_error(ssl, n);

	if (se == SSL_ERROR_SYSCALL && (saved == EAGAIN || saved == EWOULDBLOCK))
		return "timed out";
	if (fetch_now_ms() > deadline)
		return "timed out";
	if (se == SSL_ERROR_SYSCALL)
		return saved != 0 ? strerror(saved) : "connection closed";
	if (se == SSL_ERROR_ZERO_RETURN)
		return "connection closed";
	return fetch_sslerr();
}

int
fetch_get(struct fetch *f, const char *path, size_t max, int *status, char **body,
    size_t *len, char *err, size_t errlen)
{
	llhttp_settings_t settings;
	struct fetch_resp r;
	SSL *ssl = NULL;
	char req[FETCH_REQ_MAX], *buf = NULL;
	const char *s;
	int64_t deadline = fetch_now_ms() + FETCH_TOTAL_MS;
	size_t hdrbytes = 0;
	long vr;
	int fd = -1, n, reqlen, ret = -1;
	llhttp_errno_t e;

	memset(&r, 0, sizeof(r));
	*body = NULL;
	*len = 0;
	*status = 0;
	r.max = max < SIZE_MAX - 1 ? max : SIZE_MAX - 2;
	if (path[0] != '/') {
		errset(err, errlen, "bad request path");
		return -1;
	}
	for (s = path; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f) {
			errset(err, errlen, "bad request path");
			return -1;
		}
	reqlen = snprintf(req, sizeof(req), "GET %s%s HTTP/1.1\r\nHost: %s\r\n"
	    "User-Agent: intake\r\nAccept: */*\r\nConnection: close\r\n\r\n",
	    f->base, path, f->hosthdr);
	if (reqlen < 0 || (size_t)reqlen >= sizeof(req)) {
		errset(err, errlen, "request path too long");
		return -1;
	}
	if ((buf = malloc(FETCH_CHUNK)) == NULL) {
		errset(err, errlen, "out of memory");
		return -1;
	}
	if ((fd = fetch_connect(f, err, errlen)) == -1)
		goto fail;
	ERR_clear_error();
	if ((ssl = SSL_new(f->ctx)) == NULL || SSL_set_fd(ssl, fd) != 1) {
		errset(err, errlen, "TLS setup: %s", fetch_sslerr());
		goto fail;
	}
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (f->is_ip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), f->host) != 1) {
			errset(err, errlen, "TLS setup: %s", fetch_sslerr());
			goto fail;
		}
	} else if (SSL_set1_host(ssl, f->host) != 1 ||
	    SSL_set_tlsext_host_name(ssl, f->host) != 1) {
		errset(err, errlen, "TLS setup: %s", fetch_sslerr());
		goto fail;
	}
	if ((n = SSL_connect(ssl)) != 1) {
		vr = SSL_get_verify_result(ssl);
		if (vr != X509_V_OK)
			errset(err, errlen, "TLS with %s: server certificate refused: %s",
			    f->hosthdr, X509_verify_cert_error_string(vr));
		else
			errset(err, errlen, "TLS with %s: %s", f->hosthdr,
			    fetch_ioerr(ssl, n, deadline));
		goto fail;
	}
	if ((n = SSL_write(ssl, req, reqlen)) != reqlen) {
		errset(err, errlen, "sending to %s: %s%s", f->hosthdr,
		    fetch_ioerr(ssl, n, deadline), f->has_cert ? "" : FETCH_NOCERT_HINT);
		goto fail;
	}

	llhttp_settings_init(&settings);
	settings.on_headers_complete = fetch_on_headers_complete;
	settings.on_body = fetch_on_body;
	settings.on_message_complete = fetch_on_message_complete;
	llhttp_init(&r.parser, HTTP_RESPONSE, &settings);
	r.parser.data = &r;
	for (;;) {
		if (fetch_now_ms() > deadline) {
			errset(err, errlen, "%s: timed out", f->hosthdr);
			goto fail;
		}
		n = SSL_read(ssl, buf, FETCH_CHUNK);
		if (n > 0) {
			e = llhttp_execute(&r.parser, buf, (size_t)n);
			if (e == HPE_PAUSED && r.done)
				break;
			if (e != HPE_OK) {
				if (r.toobig)
					errset(err, errlen, "%s: response longer than %zu bytes",
					    f->hosthdr, max);
				else
					errset(err, errlen, "%s: malformed response: %s",
					    f->hosthdr, llhttp_get_error_reason(&r.parser));
				goto fail;
			}
			if (!r.headers_done && (hdrbytes += (size_t)n) > FETCH_HEADER_MAX) {
				errset(err, errlen, "%s: response headers longer than %u bytes",
				    f->hosthdr, FETCH_HEADER_MAX);
				goto fail;
			}
			continue;
		}
		if (SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN) {
			/* clean close_notify: a body that runs to EOF ends here */
			e = llhttp_finish(&r.parser);
			if ((e == HPE_OK || e == HPE_PAUSED) && r.done)
				break;
		}
		errset(err, errlen, "%s: connection ended before the response was "
		    "complete (%s)%s", f->hosthdr, fetch_ioerr(ssl, n, deadline),
		    f->has_cert || r.headers_done ? "" : FETCH_NOCERT_HINT);
		goto fail;
	}
	if (r.body == NULL && (r.body = malloc(1)) == NULL) {
		errset(err, errlen, "out of memory");
		goto fail;
	}
	r.body[r.len] = '\0';
	*status = r.parser.status_code;
	*body = r.body;
	*len = r.len;
	r.body = NULL;
	ret = 0;
	SSL_shutdown(ssl);  /* best effort: we have all we asked for */
fail:
	SSL_free(ssl);
	if (fd != -1)
		close(fd);
	free(r.body);
	free(buf);
	ERR_clear_error();
	return ret;
}
