/*
 * front/url.c: the route table (url.h) and the URL helpers.
 */
#include <string.h>

#include <llhttp.h>

#include "front/tus.h"
#include "front/url.h"
#include "lib/util.h"

static const struct url_route routes[] = {
	{ "/v1/submissions/", HTTP_PUT, "use PUT to upload", 1,
	    upload_begin, upload_body, upload_finish, NULL, NULL },
	{ "/v1/parties/", -1, NULL, 0, fact_begin, fact_body, fact_finish, NULL, NULL },
	/* tus.c decides the methods; a completed upload goes on as a PUT's */
	{ "/v1/uploads", -1, NULL, 1, tus_begin, tus_body, upload_finish, NULL, tus_end },
	{ "/v1/uploads/", -1, NULL, 1, tus_begin, tus_body, upload_finish, NULL, tus_end },
	{ "/v1/log/checkpoint", HTTP_GET, NULL, 0, NULL, NULL, NULL, api_checkpoint, NULL },
	{ "/v1/log/consistency", HTTP_GET, NULL, 0, NULL, NULL, NULL, api_consistency, NULL },
	{ "/v1/log/tile/", HTTP_GET, NULL, 0, NULL, NULL, NULL, api_tile, NULL },
	{ "/v1/receipts", HTTP_GET, NULL, 0, NULL, NULL, NULL, api_receipts, NULL },
	{ "/v1/receipts/", HTTP_GET, NULL, 0, NULL, NULL, NULL, api_receipt, NULL },
	{ "/v1/workbooks/", HTTP_GET, NULL, 0, NULL, NULL, NULL, api_links, NULL },
	{ "/v1/obligations", HTTP_GET, NULL, 0, NULL, NULL, NULL, api_obligations, NULL },
	{ "/v1/whoami", HTTP_GET, NULL, 0, NULL, NULL, NULL, console_whoami, NULL },
	{ "/", HTTP_GET, NULL, 0, NULL, NULL, NULL, console_file, NULL },
	{ "/console.css", HTTP_GET, NULL, 0, NULL, NULL, NULL, console_file, NULL },
	{ "/console.js", HTTP_GET, NULL, 0, NULL, NULL, NULL, console_file, NULL },
	{ "/favicon.svg", HTTP_GET, NULL, 0, NULL, NULL, NULL, console_file, NULL },
};

const struct url_route *
url_route(const char *path)
{
	const struct url_route *r;
	size_t n;

	for (r = routes; r < routes + sizeof(routes) / sizeof(routes[0]); r++) {
		n = strlen(r->path);
		if (r->path[n - 1] == '/' && n > 1 ? strncmp(path, r->path, n) == 0 :
		    strcmp(path, r->path) == 0)
			return r;
	}
	return NULL;
}

size_t
url_route_len(const struct url_route *route)
{
	return strlen(route->path);
}

int
url_decode(const char *in, size_t len, char *out, size_t outlen, size_t *outn)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		int ch = (unsigned char)in[i];

		if (ch == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return -1;
			if ((hi = util_hexval(in[i + 1])) < 0 || (lo = util_hexval(in[i + 2])) < 0)
				return -1;
			ch = hi << 4 | lo;
			i += 2;
		}
		if (n + 1 >= outlen)
			return -1;
		out[n++] = (char)ch;
	}
	out[n] = '\0';
	if (outn)
		*outn = n;
	return 0;
}

int
url_query(const char *query, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	const char *p = query;

	while (p && *p) {
		const char *end = strchr(p, '&');
		size_t plen = end ? (size_t)(end - p) : strlen(p);

		if (plen > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			size_t n;

			/* A decoded NUL would cut the value short: refused. */
			if (url_decode(p + nlen + 1, plen - nlen - 1, out, outlen, &n) == -1 ||
			    memchr(out, '\0', n) != NULL)
				return -1;
			return 1;
		}
		if (plen == nlen && strncmp(p, name, nlen) == 0) {
			if (outlen == 0)
				return -1;
			out[0] = '\0';
			return 1;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}
