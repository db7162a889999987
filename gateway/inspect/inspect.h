/*
 * inspect/inspect.h: what an upload really is and what is inside it.
 *
 * Runs in an inspector process (intaked-inspect: inspect/serve.c, no
 * network, no filesystem; a streamed tar's too, fed from a pipe by the
 * front's follower, front/follow.c) and in `intake inspect`: given a
 * read-only fd of the quarantined file,
 * its name and the kind's policy, returns a verdict with findings. It never
 * writes the store, never sees the log key, and never trusts the file:
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
#include "inspect/checks.h"
#include "inspect/findings.h"

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

struct inspector;

struct inspector *inspector_new(void);
void inspector_free(struct inspector *in);
/* Types BUF (LEN bytes, at most TYPES_MAGIC_BYTES) with the inspector's
 * libmagic handle into MIME. 0, or -1 if libmagic failed. */
int inspect_type(struct inspector *in, const uint8_t *buf, size_t len, char mime[MIME_MAX]);
/* Inspects; always fills RES (a failure to inspect is a rejection finding).
 * Returns 0, or -1 only if RES could not be filled at all. */
int inspector_run(struct inspector *in, const struct inspect_request *req,
    struct inspect_result *res);
#endif
