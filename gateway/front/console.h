/*
 * front/console.h: the web console (DESIGN §9) and the API it needs.
 *
 * Runs in the front's loop thread. Serves the console's static files, built
 * into the binary from gateway/front/console/ by cmake/embed.cmake, under a
 * strict Content-Security-Policy (default-src 'self', no inline script or
 * style, no framing); answers GET /v1/whoami, the certificate's Party, name
 * and role with what the page shows for it; and streams a stored file for
 * GET /v1/receipts/{i}/file (download.c). Trusts nothing but the Party the
 * TLS handshake proved; never puts a client's bytes into HTML.
 */
#ifndef INTAKE_CONSOLE_H
#define INTAKE_CONSOLE_H

#include <stddef.h>

struct conn;

struct console_asset {
	const char          *url;       /* "/" or "/<name>" */
	const char          *ctype;
	const unsigned char *data;
	size_t               len;
	const char          *etag;      /* quoted */
};

/* The generated table (console_assets.c), ended by a NULL url. */
extern const struct console_asset console_assets[];

/* Headers of every answer of the console's pages: CSP, no framing, no referrer. */
#define CONSOLE_HEADERS \
	"Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; " \
	"img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; " \
	"object-src 'none'; frame-ancestors 'none'\r\n" \
	"X-Frame-Options: DENY\r\n" \
	"Referrer-Policy: no-referrer\r\n" \
	"Cross-Origin-Opener-Policy: same-origin\r\n" \
	"Cross-Origin-Resource-Policy: same-origin\r\n"

/* The GET handlers (url.c's table names them): console_whoami, and
 * console_file for the route of each file of console_assets[]. */

/* download.c: GET /v1/receipts/{INDEX}/file. Only the Party of the receipt
 * and SECAS get the file (anyone else a 404, as for a missing receipt); it
 * is read from the store as it is sent, never whole in memory. */
void download_start(struct conn *c, const char *index);
/* Called when the connection's output drained: queues more of the file.
 * 1 more to come, 0 done (the download is freed), -1 failed (freed; the
 * answer is cut short, the connection must close). */
int download_pump(struct conn *c);
/* Frees a download in progress (connection gone). */
void download_free(struct conn *c);
/* The Content-Disposition value for NAME into OUT: attachment; an ASCII
 * quoted fallback and the UTF-8 name percent-encoded (RFC 6266, RFC 8187).
 * Exported for unit tests. 0, or -1 when OUT is too small. */
int download_disposition(const char *name, char *out, size_t outlen);

#endif
