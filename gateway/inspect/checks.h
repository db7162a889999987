/*
 * inspect/checks.h: the content checks the inspector dispatches to, by the
 * detected type of a file or of an archive member. Each takes a read-only fd
 * (use pread; the offset is not theirs), its size and the member path ("" for
 * the uploaded file itself), adds findings to RES (inspect_finding with
 * reject set for anything hostile) and returns 0, or -1 if it could not
 * finish (which the caller turns into a rejection: fail closed).
 *
 * They run in the inspector (no network, no store, no key) and must bound
 * every loop and allocation by the policy's limits.
 */
#ifndef INTAKE_CHECKS_H
#define INTAKE_CHECKS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/config.h"
#include "inspect/findings.h"

/* The bytes of an upload that is still arriving, in order from offset 0
 * (front/follow.c). READ makes the next LEN bytes readable at *BUF, valid
 * until the next call, and returns LEN; anything else (-1, or fewer at a
 * premature end) stops the inspection with need_file set. */
struct inspect_stream {
	ssize_t (*read)(void *arg, size_t len, const void **buf);
	void    *arg;
};

/* The inspector, as archive.c calls it back for each member's content:
 * TYPE types BUF (LEN bytes, at most TYPES_MAGIC_BYTES) into MIME the way
 * the upload's own first bytes are typed (inspect.c). 0, -1 on error. */
struct inspect_content {
	int  (*type)(void *arg, const uint8_t *buf, size_t len, char mime[MIME_MAX]);
	void  *arg;
};

enum ooxml_kind { OOXML_NONE, OOXML_XLSX, OOXML_DOCX, OOXML_PPTX };

/* A zip that is an OOXML package: identifies it by walking its parts
 * ([Content_Types].xml, main part) and checks it (macros, OLE, ActiveX,
 * external relationships, DDE, DOCTYPE, encryption). *KIND is what it is
 * (OOXML_NONE: not a package, no findings added). */
int ooxml_inspect(int fd, uint64_t size, const struct policy *p, const char *member,
    struct inspect_result *res, enum ooxml_kind *kind);

/* A PDF: header at 0, active content, name obfuscation, polyglots. */
int pdf_inspect(int fd, uint64_t size, const struct policy *p, const char *member,
    struct inspect_result *res);

/* CSV (the G5.27 return): UTF-8, constant column count, no formula injection, no NUL. */
int csv_inspect(int fd, uint64_t size, const struct policy *p, const char *member,
    struct inspect_result *res);

/* Archives (zip, tar, tar.gz, tar.xz, 7z): members, names, limits, zip
 * central-directory cross-check, each member typed and checked in turn
 * (DEPTH is the nesting level, 0 for the upload itself). Fills the manifest.
 * Each member is typed by IC. With STREAM, the archive's bytes come from it rather than
 * from FD, and what cannot be done in one pass sets res->need_file. */
int archive_inspect(const struct inspect_content *ic, int fd, uint64_t size,
    const struct inspect_stream *stream, const struct policy *p,
    const char *member, unsigned depth, struct inspect_result *res);

/* Runs zipcd_check on FD and adds each of its reports to RES as a
 * rejecting finding (member names under MEMBER). Returns the number of
 * findings, or -1 if the check could not run. */
int archive_zipcd(int fd, uint64_t size, const struct policy *p, const char *member,
    struct inspect_result *res);

#endif
