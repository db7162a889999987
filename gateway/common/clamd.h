/*
 * common/clamd.h: a client of ClamAV's clamd over its Unix socket, and the
 * parser of its answers (DESIGN §4 [scan], §5, §6 `scan:`).
 *
 * Runs in the front, in a pipeline worker thread (front/pipeline.c), and in
 * `intake inspect --clamd`. One scan is two short connections: VERSION (the
 * engine and signature database, for the entry's `scan:` line), then the
 * file, handed over as a descriptor (FILDES, SCM_RIGHTS: clamd reads our
 * read-only quarantine fd, no copy) or, when clamd will not take one,
 * streamed (INSTREAM). Every read and write is bounded by one deadline;
 * the calling thread blocks (the loop thread never calls this).
 *
 * Trusts nothing clamd says: an answer is read up to CLAMD_ANSWER_MAX bytes
 * and must be NUL-terminated records of a known form; anything else is an
 * error (the caller answers 503, never a pass). A signature name is kept
 * only as printable ASCII (other bytes become '?') and cut to
 * CLAMD_SIG_MAX. A limit clamd hit (AlertExceedsMax's
 * Heuristics.Limits.Exceeded.*, INSTREAM's size limit) is CLAMD_INCOMPLETE:
 * the file was not scanned whole, which is never a pass either.
 *
 * API: clamd_scan (connects, asks, parses); clamd_parse_answer and
 * clamd_parse_version (leaves: no I/O, for tests and fuzzing).
 */
#ifndef INTAKE_CLAMD_H
#define INTAKE_CLAMD_H

#include <stddef.h>

#define CLAMD_ANSWER_MAX  4096  /* bytes of one answer read; more is an error */
#define CLAMD_VERSION_MAX 128   /* "ClamAV 1.4.6/27461/Tue Dec  3 09:38:00 2024" and NUL */
#define CLAMD_SIG_MAX     200   /* a signature name kept in a finding, NUL included */
#define CLAMD_WHY_MAX     256   /* the reason of an error, for the log */
#define CLAMD_CHUNK       (64 * 1024)  /* INSTREAM chunk */

enum clamd_status {
	CLAMD_CLEAN = 0,      /* scanned whole, nothing found */
	CLAMD_FOUND,          /* SIGNATURE found */
	CLAMD_INCOMPLETE,     /* a limit of clamd's: not scanned whole (SIGNATURE says which) */
	CLAMD_ERROR,          /* unreachable, timed out, or an error/garbage answer (WHY) */
};

struct clamd_verdict {
	enum clamd_status status;
	char signature[CLAMD_SIG_MAX];     /* FOUND, INCOMPLETE */
	char version[CLAMD_VERSION_MAX];   /* the VERSION answer: the entry's scan line */
	char why[CLAMD_WHY_MAX];           /* ERROR */
	int  streamed;                     /* INSTREAM was used (FILDES refused) */
};

/* Scans FD (a regular file, read from offset 0, SIZE bytes) with the clamd
 * listening on the Unix socket PATH, within TIMEOUT seconds in all. Fills
 * *V and returns its status. */
enum clamd_status clamd_scan(const char *path, int fd, unsigned long long size,
    unsigned timeout, struct clamd_verdict *v);

/* Parses LEN bytes of a scan answer (FILDES or INSTREAM, z-form: records
 * ending in NUL) into V's status, signature and why. Returns the status. */
enum clamd_status clamd_parse_answer(const char *buf, size_t len, struct clamd_verdict *v);

/* Parses LEN bytes of a VERSION answer (z-form) into OUT (OUTLEN bytes):
 * "ClamAV " then printable ASCII, one record. 0, or -1 when it is not one. */
int clamd_parse_version(const char *buf, size_t len, char *out, size_t outlen);

/* Whether S (NUL-terminated) is a well-formed scan line: "ClamAV ", then
 * printable ASCII, shorter than CLAMD_VERSION_MAX. The notary checks the
 * front's claim with it. */
int clamd_version_ok(const char *s);

#endif
