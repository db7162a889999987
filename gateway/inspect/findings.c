/*
 * inspect/findings.c: an inspection's result, built and freed (findings.h).
 *
 * Findings are our words about hostile bytes: each field is made signable
 * here (lib/utf8.h), so that the entry and the answer carry them as they are.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inspect/findings.h"
#include "lib/utf8.h"

void
inspect_finding(struct inspect_result *res, int reject, const char *code,
    const char *member, const char *fmt, ...)
{
	struct finding *f;
	char detail[FINDING_DETAIL_MAX * 2];
	va_list ap;

	if (reject)
		res->accepted = 0;
	if (res->nfindings >= FINDINGS_MAX) {
		res->nmore++;
		return;
	}
	f = &res->findings[res->nfindings++];
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	/* Findings are our words about hostile bytes: made signable here, with
	 * what lib/utf8.h refuses shown as '?', so that the entry and the answer
	 * carry them as they are. */
	code = code != NULL ? code : "";
	member = member != NULL ? member : "";
	utf8_sanitize(f->code, sizeof(f->code), code, strlen(code));
	utf8_sanitize(f->member, sizeof(f->member), member, strlen(member));
	utf8_sanitize(f->detail, sizeof(f->detail), detail, strlen(detail));
}

void
inspect_clock(struct inspect_result *res, unsigned seconds)
{
	if (res->deadline.tv_sec != 0 || res->deadline.tv_nsec != 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &res->deadline);
	res->deadline.tv_sec += seconds;
}

int
inspect_late(const struct inspect_result *res)
{
	struct timespec now;

	if (res->timed_out)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > res->deadline.tv_sec ||
	    (now.tv_sec == res->deadline.tv_sec && now.tv_nsec >= res->deadline.tv_nsec);
}

void
inspect_timeout(struct inspect_result *res, const char *member, const char *fmt, ...)
{
	char detail[FINDING_DETAIL_MAX];
	va_list ap;

	res->accepted = 0;
	if (res->timed_out)
		return;
	res->timed_out = 1;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	inspect_finding(res, 1, "inspect-timeout", member, "%s", detail);
}

void
inspect_result_clear(struct inspect_result *res)
{
	if (res == NULL)
		return;
	free(res->manifest);
	workbook_refs_free(res->workbook);
	memset(res, 0, sizeof(*res));
}

void
workbook_refs_free(struct workbook_refs *w)
{
	if (w == NULL)
		return;
	free(w->v);
	free(w);
}
