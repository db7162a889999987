/*
 * inspect/inspect.h: what an upload really is and what is inside it.
 *
 * Runs in an inspector worker (a thread today, a sandboxed process once
 * privilege separation lands): given a read-only fd of the quarantined file,
 * its name and the kind's policy, returns a verdict with findings. It never
 * writes the store, never sees the signing key, and never trusts the file:
 * any error in a check is a finding and a rejection (fail closed).
 *
 * One struct inspector per thread (it owns a libmagic handle, opened with
 * MAGIC_MIME_TYPE|MAGIC_ERROR|MAGIC_NO_CHECK_COMPRESS|MAGIC_NO_COMPRESS_FORK:
 * no decompression, no forking; see inspect.c for why no other flag).
 */
#ifndef INTAKE_INSPECT_H
#define INTAKE_INSPECT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
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

/* The bytes of an upload that is still arriving, in order from offset 0
 * (front/follow.c). READ makes the next LEN bytes readable at *BUF, valid
 * until the next call, and returns LEN; anything else (-1, or fewer at a
 * premature end) stops the inspection with need_file set. */
struct inspect_stream {
	ssize_t (*read)(void *arg, size_t len, const void **buf);
	void    *arg;
};

struct inspect_request {
	int                  fd;        /* read-only, positioned anywhere; use pread */
	uint64_t             size;
	const char          *filename;  /* validated by the front */
	const struct kind   *kind;
	const struct policy *policy;
	const char          *party;     /* the Party it is for (a G5.27 return names it); may be NULL */
	/* The front's look at the body as it arrived: with SCANNED set, NUL_AT
	 * is the offset of the first NUL byte at or past TYPES_MAGIC_BYTES
	 * (UINT64_MAX: none), and a text is not read again to find it. The
	 * front wrote the file and computed its digest: it is trusted for this
	 * as for those. */
	int                  scanned;
	uint64_t             nul_at;
	/* With STREAM set, FD holds at least the first TYPES_MAGIC_BYTES (or
	 * SIZE) bytes and the rest is still arriving: a tar, gzip or xz upload
	 * is inspected from STREAM as it comes, and the result is the same as
	 * the file's would be. Whatever needs more than one pass in order (a
	 * zip, 7z, any other type, a seek, the upload's own hash, the time
	 * limit) stops with need_file set instead: inspect the file then. */
	const struct inspect_stream *stream;
};

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

struct inspector;

struct inspector *inspector_new(void);
void inspector_free(struct inspector *in);
/* Inspects; always fills RES (a failure to inspect is a rejection finding).
 * Returns 0, or -1 only if RES could not be filled at all. */
int inspector_run(struct inspector *in, const struct inspect_request *req,
    struct inspect_result *res);
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

#endif
