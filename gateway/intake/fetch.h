/*
 * intake/fetch.h: a small, bounded HTTPS GET client for the CLI (audit, links).
 *
 * Job: fetch one resource from the gateway over mutual TLS and hand back its
 * status and body. Runs in the `intake` CLI, as the user. Trusts only the CA
 * file it is given (or the system's) and the host name of the URL: the
 * server's certificate must chain to that CA and name that host (or IP); the
 * response itself is hostile input, parsed by llhttp, capped in header and
 * body size and bounded in time. Never follows redirects, never sends
 * anything but a GET, never speaks plain HTTP or TLS below 1.2.
 * Why our own and not libcurl: it is not among our dependencies (DESIGN §7),
 * and OpenSSL + llhttp already do the hard parts.
 *
 * API: fetch_new(URL, CA, CERT, KEY) parses an https URL and prepares the TLS
 * context; fetch_get(F, PATH, ...) does one GET on a new connection
 * ("Connection: close"); fetch_free(F).
 */
#ifndef INTAKE_FETCH_H
#define INTAKE_FETCH_H

#include <stddef.h>

#define FETCH_URL_MAX   2048  /* longest URL accepted on the command line */

struct fetch;

/*
 * Parses URL ("https://host[:port][/base]", no user info, query or fragment)
 * and makes a TLS client context: TLS 1.2 or later, the server verified
 * against CACERT (PEM file; NULL: the system's trust store) and the URL's
 * host; CERT/KEY (PEM files) as the client certificate, KEY NULL meaning the
 * key is in CERT. NULL with a one-line reason in ERR on failure.
 */
struct fetch *fetch_new(const char *url, const char *cacert, const char *cert,
    const char *key, char *err, size_t errlen);
/* Frees F; NULL is fine. */
void fetch_free(struct fetch *f);
/* "host:port" of F, for messages (owned by F). */
const char *fetch_origin(const struct fetch *f);

/*
 * GET <base>PATH (PATH starts with '/', may carry a query) on a new
 * connection. On 0 a complete response was read: *STATUS is its HTTP status
 * and *BODY a malloc'd, NUL-terminated copy of its body (*LEN bytes, at most
 * MAX; the caller frees it). -1 with a one-line reason in ERR: connection,
 * TLS or certificate failure, timeout, a malformed or truncated response,
 * or a body longer than MAX.
 */
int fetch_get(struct fetch *f, const char *path, size_t max, int *status,
    char **body, size_t *len, char *err, size_t errlen);

#endif
