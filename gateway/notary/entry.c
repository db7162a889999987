/*
 * notary/entry.c: entry text and findings JSON (entry.h).
 *
 * The text is built in a growable buffer with a hard maximum (ENTRY_MAX).
 * Every value is written as it is or not at all: one that lib/utf8.h
 * refuses (a control, a line separator, a bidi control, invalid UTF-8...)
 * fails the entry, so no value can add a line to what the log key signs,
 * and what is signed is byte for byte what the ledger stores and the
 * answer holds. The front refuses such names first (400); the notary
 * calls entry_check before a job is recorded.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "lib/utf8.h"
#include "lib/util.h"
#include "notary/entry.h"
#include "notary/obligations.h"

#define ENTRY_VALUE_MAX 2048  /* bound on the origin, which has no field size of its own */

struct ebuf {
	char   *p;
	size_t  len;
	size_t  cap;
	int     err;
};

static void	ebuf_printf(struct ebuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* 0 if the field S of MAXN bytes is NUL-terminated within MAXN and holds
 * nothing utf8_check refuses, so it can be signed as it is; else -1. */
static int
entry_value_ok(const char *s, size_t maxn)
{
	size_t n = strnlen(s, maxn);

	return n < maxn && utf8_check(s, n, NULL) == UTF8_OK ? 0 : -1;
}

int
entry_check(const struct notary_job *job, const char **what)
{
	static const struct {
		const char *name;
		size_t      off, size;
	} fields[] = {
#define F(f) { #f, offsetof(struct notary_job, f), sizeof(((struct notary_job *)0)->f) }
		F(party), F(agent), F(cert_sha256), F(kind), F(filename), F(ref),
		F(client_digest), F(fact), F(fact_date), F(recorded_by), F(scan),
#undef F
	};
	const struct inspect_result *r = &job->result;
	size_t i, nf;
	int32_t days;

	if (job->fact[0] != '\0' && (!obl_fact_known(job->fact) ||
	    obl_date_parse(job->fact_date, &days) == -1 || job->recorded_by[0] == '\0')) {
		*what = "fact";
		return -1;
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (entry_value_ok((const char *)job + fields[i].off, fields[i].size) == -1) {
			*what = fields[i].name;
			return -1;
		}
	if (entry_value_ok(r->type, sizeof(r->type)) == -1) {
		*what = "type";
		return -1;
	}
	nf = r->nfindings < FINDINGS_MAX ? r->nfindings : FINDINGS_MAX;
	for (i = 0; i < nf; i++)
		if (entry_value_ok(r->findings[i].code, sizeof(r->findings[i].code)) == -1 ||
		    entry_value_ok(r->findings[i].member, sizeof(r->findings[i].member)) == -1 ||
		    entry_value_ok(r->findings[i].detail, sizeof(r->findings[i].detail)) == -1) {
			*what = "finding";
			return -1;
		}
	return 0;
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

/* A value from a fixed-size field of MAXN bytes, as it is: one that is not
 * NUL-terminated within MAXN or that utf8_check refuses fails the entry
 * (EINVAL). It is never rewritten: the signed value is the stored one. */
static void
ebuf_val(struct ebuf *b, const char *s, size_t maxn)
{
	if (b->err)
		return;
	if (entry_value_ok(s, maxn) == -1) {
		b->err = EINVAL;
		return;
	}
	ebuf_add(b, s, strlen(s));
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

/* "key: <value>\n", the value as it is (ebuf_val) */
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

	if (job->fact[0] != '\0') {
		/* a fact (DESIGN §6, §8): no file, no verdict */
		ebuf_str(&b, FACT_MAGIC "\n");
		ebuf_line(&b, "origin", origin, ENTRY_VALUE_MAX - 1);
		ebuf_printf(&b, "index: %" PRIu64 "\n", index);
		ebuf_line(&b, "time", time, ENTRY_TIME_MAX);
		ebuf_line(&b, "party", job->party, sizeof(job->party));
		ebuf_line(&b, "recorded-by", job->recorded_by, sizeof(job->recorded_by));
		ebuf_line(&b, "cert", job->cert_sha256, sizeof(job->cert_sha256));
		ebuf_line(&b, "fact", job->fact, sizeof(job->fact));
		ebuf_line(&b, "date", job->fact_date, sizeof(job->fact_date));
		goto done;
	}
	ebuf_str(&b, ENTRY_MAGIC "\n");
	ebuf_line(&b, "origin", origin, ENTRY_VALUE_MAX - 1);
	ebuf_printf(&b, "index: %" PRIu64 "\n", index);
	ebuf_line(&b, "time", time, ENTRY_TIME_MAX);
	ebuf_line(&b, "party", job->party, sizeof(job->party));
	if (job->agent[0] != '\0')
		ebuf_line(&b, "agent", job->agent, sizeof(job->agent));
	ebuf_line(&b, "cert", job->cert_sha256, sizeof(job->cert_sha256));
	ebuf_line(&b, "kind", job->kind, sizeof(job->kind));
	ebuf_line(&b, "filename", job->filename, sizeof(job->filename));
	if (job->ref[0] != '\0')
		ebuf_line(&b, "ref", job->ref, sizeof(job->ref));
	if (job->has_plan)
		ebuf_printf(&b, "plan: %" PRIu64 "\n", job->plan);
	ebuf_printf(&b, "size: %" PRIu64 "\n", job->size);
	util_hex(job->sha256, sizeof(job->sha256), hex);
	ebuf_printf(&b, "sha256: %s\n", hex);
	/* The client's RFC 9530 claim stands next to our hash (issue: robustness). */
	if (job->client_digest[0] != '\0')
		ebuf_line(&b, "client-digest", job->client_digest,
		    sizeof(job->client_digest));
	ebuf_line(&b, "type", r->type, sizeof(r->type));
	if (job->scan[0] != '\0')
		ebuf_line(&b, "scan", job->scan, sizeof(job->scan));
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
done:
	if (b.err) {
		free(b.p);
		errno = b.err;
		return NULL;
	}
	if (len != NULL)
		*len = b.len;
	return b.p;
}

/* Appends {"code","member","detail"} to A, each as it is; a value the
 * entry would refuse fails the whole array. 0/-1. */
static int
entry_json_finding(json_t *a, const char *code, size_t codemax, const char *member,
    size_t membermax, const char *detail, size_t detailmax)
{
	json_t *o;

	if (entry_value_ok(code, codemax) == -1 || entry_value_ok(member, membermax) == -1 ||
	    entry_value_ok(detail, detailmax) == -1)
		return -1;
	o = json_pack("{s:s, s:s, s:s}", "code", code, "member", member, "detail", detail);
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
