/*
 * inspect/findings.h: an inspection's result as plain data: the findings,
 * the member manifest, a Validation Workbook's rows, the verdict.
 *
 * A leaf: the inspector fills a struct inspect_result (inspect.h), the
 * message codec carries it (common/verdict.h), the front and the notary
 * record it (notary/notary.h, notary/entry.c). Nothing here knows how a
 * file is inspected, and this header includes no other of the project's
 * but common/config.h (for MIME_MAX).
 *
 * API: inspect_finding, inspect_timeout, inspect_clock, inspect_late,
 * inspect_result_clear, workbook_refs_free.
 */
#ifndef INTAKE_FINDINGS_H
#define INTAKE_FINDINGS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/config.h"

#define FINDING_CODE_MAX    48
#define FINDING_MEMBER_MAX  1024
#define FINDING_DETAIL_MAX  256
#define FINDINGS_MAX        32   /* kept per upload; the rest are counted */
#define INSPECT_MANIFEST_MAX (64 * 1024 * 1024) /* bytes of an archive's member manifest */

struct finding {
	char code[FINDING_CODE_MAX];     /* e.g. "type-mismatch", "zip-overlap" */
	char member[FINDING_MEMBER_MAX]; /* archive member path, "" for the file itself */
	char detail[FINDING_DETAIL_MAX]; /* human-readable reason, no control chars */
};

/* A Validation Workbook's evidence-reference rows, read by the inspector
 * (inspect/workbook.c) and recorded by the notary (notary/links.c). */
#define WB_REF_MAX       128
#define WB_TAB_MAX       128
#define WB_OBLIGATION_MAX 64
#define WB_DESC_MAX      256
struct workbook_ref {
	char ref[WB_REF_MAX + 1];
	char filename[256];
	char obligation[WB_OBLIGATION_MAX];
	char sha256[65];                  /* lowercase hex, "" when the row gives none */
	char description[WB_DESC_MAX];
};
struct workbook_refs {
	char                 tab[WB_TAB_MAX];  /* the sheet the rows came from */
	struct workbook_ref *v;                /* malloc'd */
	size_t               n;
};

/* Rows read when the policy's workbook_rows is 0. */
#define WB_ROWS_DEFAULT 10000

struct inspect_result {
	int            accepted;        /* 1 accepted, 0 rejected */
	char           type[MIME_MAX];  /* detected type of the file */
	struct finding findings[FINDINGS_MAX];
	size_t         nfindings;       /* kept */
	size_t         nmore;           /* findings not kept */
	int            is_archive;      /* members/manifest below are meaningful */
	uint64_t       members;
	uint8_t        manifest_sha256[32];
	char          *manifest;        /* malloc'd: one line per member, NULL if none */
	size_t         manifest_len;
	struct workbook_refs *workbook;  /* malloc'd, validation workbooks only, else NULL */
	int            need_file;       /* a streamed inspection could not decide: the
	                                   rest of RES means nothing, inspect the file */
	/* The upload's clock (CLOCK_MONOTONIC), shared by every check at every
	 * nesting level: set once (inspect_clock), so a member's check never
	 * gets a fresh inspect_seconds of its own. */
	struct timespec deadline;
	int            timed_out;       /* inspect-timeout reported */
};

/* Frees what RES owns (not RES itself). */
void inspect_result_clear(struct inspect_result *res);
/* Starts RES's clock of SECONDS unless it runs already (inspector_run
 * starts it; a check called on its own starts it itself). */
void inspect_clock(struct inspect_result *res, unsigned seconds);
/* 1 once RES's clock has run out (no finding is added). One clock_gettime:
 * call it every so many units of work of an innermost loop, not per byte. */
int inspect_late(const struct inspect_result *res);
/* The inspection ran out of time or of its work budget: a rejection with
 * the finding inspect-timeout, added once per upload. */
void inspect_timeout(struct inspect_result *res, const char *member, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds a finding to RES (truncating fields, replacing control characters);
 * with REJECT set, RES becomes a rejection. */
void inspect_finding(struct inspect_result *res, int reject, const char *code,
    const char *member, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Frees W and its rows (NULL is fine). */
void workbook_refs_free(struct workbook_refs *w);

#endif
