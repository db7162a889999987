/*
 * notary/entry.c: entry text and findings JSON (entry.h).
 *
 * The text is built in a growable buffer with a hard maximum (ENTRY_MAX);
 * every value goes through entry_sanitize first, so no value can add a line
 * or a control character to what the log key signs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "lib/util.h"
#include "notary/entry.h"

#define ENTRY_VALUE_MAX 2048  /* longest value in a job field (finding member is 1024) */

struct ebuf {
	char   *p;
	size_t  len;
	size_t  cap;
	int     err;
};

static size_t	entry_sanitize_n(const char *in, size_t inlen, char *out, size_t outlen);
static void	ebuf_printf(struct ebuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Length of the valid UTF-8 sequence at S (N bytes left) and its code point,
 * or 0 if the bytes there are not valid UTF-8 (overlong forms, surrogates and
 * code points above U+10FFFF are invalid).
 */
static size_t
entry_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 1;
		*cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2;
		*cp = s[0] & 0x0f;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3;
		*cp = s[0] & 0x07;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < need + 1)
		return 0;
	for (i = 1; i <= need; i++) {
		if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xbf))
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	return need + 1;
}

/* Control characters (Cc), line/paragraph separators and bidi controls. */
static int
entry_forbidden(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return 1;
	if (cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    cp == 0x2028 || cp == 0x2029 ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return 1;
	return 0;
}

static size_t
entry_sanitize_n(const char *in, size_t inlen, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0, k;
	uint32_t cp;

	if (outlen == 0)
		return 0;
	while (i < inlen) {
		k = entry_utf8(s + i, inlen - i, &cp);
		if (k == 0 || entry_forbidden(cp)) {
			if (o + 1 >= outlen)
				break;
			out[o++] = '?';
			i += k == 0 ? 1 : k;
			continue;
		}
		if (o + k >= outlen)
			break;
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	return o;
}

size_t
entry_sanitize(const char *in, char *out, size_t outlen)
{
	return entry_sanitize_n(in, strlen(in), out, outlen);
}

int
entry_time_now(char out[ENTRY_TIME_MAX])
{
	struct timespec ts;
	struct tm tm;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return -1;
	if (gmtime_r(&ts.tv_sec, &tm) == NULL)
		return -1;
	if (strftime(out, ENTRY_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -1;
	return 0;
}

static void
ebuf_add(struct ebuf *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->err)
		return;
	if (n > ENTRY_MAX || b->len + n + 1 > ENTRY_MAX) {
		b->err = EOVERFLOW;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > ENTRY_MAX)
			cap = ENTRY_MAX;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->err = ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
ebuf_str(struct ebuf *b, const char *s)
{
	ebuf_add(b, s, strlen(s));
}

/* A value from a fixed-size field of MAXN bytes, sanitized. */
static void
ebuf_val(struct ebuf *b, const char *s, size_t maxn)
{
	char tmp[ENTRY_VALUE_MAX];
	size_t n;

	n = entry_sanitize_n(s, strnlen(s, maxn), tmp, sizeof(tmp));
	ebuf_add(b, tmp, n);
}

static void
ebuf_printf(struct ebuf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->err = EOVERFLOW;
		return;
	}
	ebuf_add(b, tmp, n);
}

/* "key: <sanitized value>\n" */
static void
ebuf_line(struct ebuf *b, const char *key, const char *val, size_t maxn)
{
	ebuf_str(b, key);
	ebuf_str(b, ": ");
	ebuf_val(b, val, maxn);
	ebuf_str(b, "\n");
}

char *
entry_format(const char *origin, uint64_t index, const char *time,
    const struct notary_job *job, size_t *len)
{
	const struct inspect_result *r = &job->result;
	const struct finding *f;
	struct ebuf b = { 0 };
	char hex[65];
	size_t i, nf;

	ebuf_str(&b, ENTRY_MAGIC "\n");
	ebuf_line(&b, "origin", origin, ENTRY_VALUE_MAX - 1);
	ebuf_printf(&b, "index: %" PRIu64 "\n", index);
	ebuf_line(&b, "time", time, ENTRY_TIME_MAX);
	ebuf_line(&b, "party", job->party, sizeof(job->party));
	ebuf_line(&b, "cert", job->cert_sha256, sizeof(job->cert_sha256));
	ebuf_line(&b, "kind", job->kind, sizeof(job->kind));
	ebuf_line(&b, "filename", job->filename, sizeof(job->filename));
	if (job->ref[0] != '\0')
		ebuf_line(&b, "ref", job->ref, sizeof(job->ref));
	ebuf_printf(&b, "size: %" PRIu64 "\n", job->size);
	util_hex(job->sha256, sizeof(job->sha256), hex);
	ebuf_printf(&b, "sha256: %s\n", hex);
	/* The client's RFC 9530 claim stands next to our hash (issue: robustness). */
	if (job->client_digest[0] != '\0')
		ebuf_line(&b, "client-digest", job->client_digest,
		    sizeof(job->client_digest));
	ebuf_line(&b, "type", r->type, sizeof(r->type));
	ebuf_printf(&b, "verdict: %s\n", r->accepted ? "accepted" : "rejected");
	if (r->is_archive) {
		util_hex(r->manifest_sha256, sizeof(r->manifest_sha256), hex);
		ebuf_printf(&b, "members: %" PRIu64 " %s\n", r->members, hex);
	}
	nf = r->nfindings < FINDINGS_MAX ? r->nfindings : FINDINGS_MAX;
	for (i = 0; i < nf; i++) {
		f = &r->findings[i];
		ebuf_str(&b, "finding: ");
		if (f->code[0] != '\0')
			ebuf_val(&b, f->code, sizeof(f->code));
		else
			ebuf_str(&b, "unspecified");
		if (f->member[0] != '\0') {
			ebuf_str(&b, " ");
			ebuf_val(&b, f->member, sizeof(f->member));
			ebuf_str(&b, ":");
		}
		if (f->detail[0] != '\0') {
			ebuf_str(&b, " ");
			ebuf_val(&b, f->detail, sizeof(f->detail));
		}
		ebuf_str(&b, "\n");
	}
	if (r->nmore > 0)
		ebuf_printf(&b, "finding: " ENTRY_TRUNCATED " %zu more findings not kept\n",
		    r->nmore);
	if (b.err) {
		free(b.p);
		errno = b.err;
		return NULL;
	}
	if (len != NULL)
		*len = b.len;
	return b.p;
}

/* Appends {"code","member","detail"} (each sanitized) to A. 0/-1. */
static int
entry_json_finding(json_t *a, const char *code, size_t codemax, const char *member,
    size_t membermax, const char *detail, size_t detailmax)
{
	char c[FINDING_CODE_MAX], m[FINDING_MEMBER_MAX], d[FINDING_DETAIL_MAX];
	json_t *o;

	entry_sanitize_n(code, strnlen(code, codemax), c, sizeof(c));
	entry_sanitize_n(member, strnlen(member, membermax), m, sizeof(m));
	entry_sanitize_n(detail, strnlen(detail, detailmax), d, sizeof(d));
	o = json_pack("{s:s, s:s, s:s}", "code", c, "member", m, "detail", d);
	if (o == NULL)
		return -1;
	return json_array_append_new(a, o);
}

char *
entry_findings_json(const struct inspect_result *r)
{
	const struct finding *f;
	char more[FINDING_DETAIL_MAX];
	json_t *a;
	char *s = NULL;
	size_t i, nf;

	if ((a = json_array()) == NULL)
		return NULL;
	nf = r->nfindings < FINDINGS_MAX ? r->nfindings : FINDINGS_MAX;
	for (i = 0; i < nf; i++) {
		f = &r->findings[i];
		if (entry_json_finding(a, f->code[0] ? f->code : "unspecified",
		    sizeof(f->code), f->member, sizeof(f->member), f->detail,
		    sizeof(f->detail)) == -1)
			goto fail;
	}
	if (r->nmore > 0) {
		snprintf(more, sizeof(more), "%zu more findings not kept", r->nmore);
		if (entry_json_finding(a, ENTRY_TRUNCATED, sizeof(ENTRY_TRUNCATED), "", 1,
		    more, sizeof(more)) == -1)
			goto fail;
	}
	s = json_dumps(a, JSON_COMPACT);
fail:
	json_decref(a);
	return s;
}
