/*
 * inspect/inspect.c: the inspector core. Types an upload, checks that its
 * kind allows that type and that its name agrees, refuses programs, and
 * dispatches to the content checks (ooxml.c, pdf.c, csv.c, archive.c).
 *
 * Runs where inspect.h says (one struct inspector per thread: it owns a
 * libmagic handle). Trusts only the request's kind and policy; the file is
 * hostile. Never writes anything, never sees a key. Fail closed: a check that
 * cannot finish is a rejection with a finding.
 *
 * Typing: libmagic (MAGIC_MIME_TYPE | MAGIC_ERROR | MAGIC_NO_CHECK_COMPRESS |
 * MAGIC_NO_COMPRESS_FORK: it never decompresses and never forks) looks at a
 * bounded prefix (TYPES_MAGIC_BYTES) read with pread, through magic_buffer:
 * no fd offset games, no dup, the same code for uploads and archive members.
 * No other MAGIC_NO_CHECK_* flag or smaller limit is used: each one that
 * saves time changes some type (tests/bench/magic_speed.c measures and
 * compares; tests/unit/magic_flags.c pins the types that decide verdicts).
 * A text costs most (~1 ms at 4 KiB): libmagic's text rules (search and
 * regex) are what tell scripts, HTML and source code from plain text.
 * A prefix of up to 64 KiB typed before by the same inspector is not typed
 * again: its SHA-256 finds the answer libmagic gave (a repeated upload costs
 * one hash instead of ~1 ms of text rules).
 * Text beyond the prefix is scanned for NUL bytes (a text that turns binary
 * is a finding). A zip-like file goes to ooxml_inspect, whose answer names
 * the OOXML type. For text, the name decides CSV (".csv") or plain text.
 * Every type but zip/OOXML is also probed for a zip end record in its tail (a
 * zip hidden behind another type), which zipcd.c then explains.
 *
 * Finding codes of this module, archive.c and zipcd.c (all reject):
 *   read-error              the file could not be read
 *   inspect-error           a check could not finish (fail closed)
 *   executable              a program: ELF, PE/MZ, Mach-O, shebang script,
 *                           a type libmagic names executable, or a member
 *                           name with a program extension (.exe, .bat, ...)
 *   type-not-allowed        the detected type is not one the kind allows
 *   extension-mismatch      the name's extension does not fit the type
 *   text-binary             NUL bytes after a text beginning
 *   archive-unreadable      libarchive failed or warned (also: external program)
 *   encrypted               encrypted members or headers (no passphrase, ever)
 *   too-many-members        over policy archive_members (all levels)
 *   member-too-large        a member over max_upload, or a spooled one over 1 GiB
 *   expanded-too-large      over policy archive_expanded bytes actually read
 *   compression-ratio       a member over archive_ratio_min bytes expanded
 *                           more than archive_ratio times its compressed bytes
 *   archive-ratio           the whole archive, nested ones included, expanded
 *                           more than max_archive_ratio times the upload's
 *                           size (past archive_ratio_min bytes in all)
 *   archive-too-deep        archives nested over archive_depth
 *   archive-quine           a member identical to an enclosing archive
 *   inspect-timeout         over inspect_seconds (one clock per upload, members
 *                           included), or over a check's work budget
 *   manifest-too-large      the member manifest is over its byte limit
 *   member-type-not-allowed a member that is not evidence (PDF, OOXML,
 *                           PNG/JPEG, text, CSV, empty, archive)
 *   member-size-mismatch    a member's declared size is not what it holds
 *   path-too-long           a member name over path_max bytes
 *   path-absolute           a name starting with '/' or '\' (also UNC)
 *   path-colon              ':' in a name (drive letter, data stream)
 *   path-traversal          a ".." component ('/' and '\' both split)
 *   name-empty              an empty name
 *   name-control            a control character (C0, DEL, C1)
 *   name-bidi               a bidi override or mark (U+202A-202E, U+2066-2069,
 *                           U+200E, U+200F, U+061C)
 *   name-trailing           a component ending in '.' or ' '
 *   name-reserved           a Windows device name (CON, PRN, AUX, NUL,
 *                           COM1-9, LPT1-9, ...) with any extension
 *   name-duplicate          the same name twice
 *   name-collision          names equal after normalisation and case folding
 *   symlink, hardlink, device, fifo, special-file, setuid
 *                           members that are not plain files or directories
 *   zip-bad-cd              no or a malformed end record / central directory
 *   zip-cd-mismatch         a local header disagrees with the central directory
 *   zip-overlap             entries that overlap (non-recursive zip bomb)
 *   zip-gap                 unlisted bytes between entries
 *   zip-prefix              bytes before the first entry (stub, other archive)
 *   zip-trailing            bytes after the end record (concatenated archive)
 *   zip-multiple-eocd       more than one end record
 *   workbook-unreadable     a validation workbook whose references cannot be read
 *   workbook-no-references  (does not reject) no evidence-reference tab found
 *   references              (does not reject) the tab's reference count, "references N"
 *   g527-return             a shared-resource-return (CSV or .xlsx) that is not a
 *                           G5.27 return of its Party; the detail says why (g527.h)
 * ooxml.c, pdf.c and csv.c document their own codes.
 *
 * API: inspect.h (inspector_new/free/run, inspect_type); archive.c gets
 * the typing of members as a callback (checks.h: struct inspect_content),
 * not the inspector. Findings and their helpers: findings.c.
 */
#include <sys/types.h>

#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <magic.h>

#include "common/config.h"
#include "common/log.h"
#include "inspect/checks.h"
#include "inspect/inspect.h"
#include "inspect/types.h"
#include "inspect/workbook.h"
#include "inspect/g527.h"
#include "inspect/zipcd.h"
#include "lib/utf8.h"
#include "lib/util.h"

#define INSPECT_SCAN_CHUNK (256 * 1024)  /* bytes per pread of the NUL scan of a text */
#define INSPECT_MAGIC_FLAGS (MAGIC_MIME_TYPE | MAGIC_ERROR | MAGIC_NO_CHECK_COMPRESS | \
	MAGIC_NO_COMPRESS_FORK)

/* libmagic's answer depends only on the bytes it is given (the flags and
 * limits are fixed): a repeated prefix gets the type it got last time. One
 * table per inspector (per thread), direct-mapped by the prefix's SHA-256.
 * Only prefixes up to TYPE_CACHE_BYTES: hashing a larger one is not much
 * cheaper than typing it. */
#define TYPE_CACHE_SLOTS 256
#define TYPE_CACHE_BYTES (64 * 1024)

struct type_cache_slot {
	uint8_t sha256[32];
	size_t  len;             /* 0: empty (an empty prefix is not cached) */
	char    mime[MIME_MAX];
};

struct inspector {
	struct type_cache_slot cache[TYPE_CACHE_SLOTS];
	magic_t   magic;
	uint8_t  *buf;    /* TYPES_MAGIC_BYTES: the prefix, then the text scan */
	locale_t  utf8;   /* C.UTF-8 (libarchive converts names to the thread's locale) */
};

struct inspector *
inspector_new(void)
{
	struct inspector *in;
	size_t bytes = TYPES_MAGIC_BYTES;

	if ((in = calloc(1, sizeof(*in))) == NULL)
		return NULL;
	if ((in->buf = malloc(TYPES_MAGIC_BYTES)) == NULL)
		goto fail;
	if ((in->magic = magic_open(INSPECT_MAGIC_FLAGS)) == NULL) {
		log_warn("%s: magic_open", __func__);
		goto fail;
	}
	if (magic_load(in->magic, NULL) == -1) {
		log_warnx("%s: magic_load: %s", __func__, magic_error(in->magic));
		goto fail;
	}
	if (magic_setparam(in->magic, MAGIC_PARAM_BYTES_MAX, &bytes) == -1) {
		log_warnx("%s: magic_setparam: %s", __func__, magic_error(in->magic));
		goto fail;
	}
	/* Without it, a non-ASCII member name is a libarchive warning, so a
	 * rejection: fail closed, but say why. */
	if ((in->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0)) == (locale_t)0)
		log_warnx("%s: no C.UTF-8 locale: non-ASCII member names will be refused",
		    __func__);
	return in;
 fail:
	inspector_free(in);
	return NULL;
}

void
inspector_free(struct inspector *in)
{
	if (in == NULL)
		return;
	if (in->magic != NULL)
		magic_close(in->magic);
	if (in->utf8 != (locale_t)0)
		freelocale(in->utf8);
	free(in->buf);
	free(in);
}

int
inspect_type(struct inspector *in, const uint8_t *buf, size_t len, char mime[MIME_MAX])
{
	struct type_cache_slot *slot = NULL;
	uint8_t sha[32];
	const char *t;
	size_t i;

	if (len > TYPES_MAGIC_BYTES)
		len = TYPES_MAGIC_BYTES;
	if (len > 0 && len <= TYPE_CACHE_BYTES) {
		util_sha256(buf, len, sha);
		slot = &in->cache[sha[0]];
		if (slot->len == len && memcmp(slot->sha256, sha, sizeof(sha)) == 0) {
			memcpy(mime, slot->mime, MIME_MAX);
			return 0;
		}
	}
	if ((t = magic_buffer(in->magic, buf, len)) == NULL) {
		log_warnx("%s: magic_buffer: %s", __func__,
		    magic_error(in->magic) ? magic_error(in->magic) : "?");
		return -1;
	}
	/* A MIME type is a token: keep it to its own alphabet. */
	for (i = 0; t[i] != '\0' && i < MIME_MAX - 1; i++)
		mime[i] = (t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
		    (t[i] >= '0' && t[i] <= '9') || strchr("/.+-_", t[i]) != NULL ? t[i] : '_';
	mime[i] = '\0';
	if (slot != NULL) {
		memcpy(slot->sha256, sha, sizeof(sha));
		slot->len = len;
		memcpy(slot->mime, mime, MIME_MAX);
	}
	return 0;
}

/* Reads LEN bytes at OFF. 0, -1 (short file or error). */
static int
inspect_pread(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pread(fd, buf + got, len - got, (off_t)(off + got));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/* A text must stay text: NUL bytes after the prefix libmagic saw. */
static int
inspect_text_scan(struct inspector *in, const struct inspect_request *req,
    struct inspect_result *res, uint64_t from)
{
	uint64_t off = from;
	const uint8_t *z;
	size_t len;

	if (req->scanned && from == TYPES_MAGIC_BYTES) {
		if (req->nul_at < req->size)
			inspect_finding(res, 1, "text-binary", "",
			    "binary data at offset %llu of a text",
			    (unsigned long long)req->nul_at);
		return 0;
	}
	while (off < req->size) {
		len = req->size - off < INSPECT_SCAN_CHUNK ? (size_t)(req->size - off) :
		    INSPECT_SCAN_CHUNK;
		if (inspect_pread(req->fd, in->buf, len, off) == -1)
			return -1;
		if ((z = memchr(in->buf, 0, len)) != NULL) {
			inspect_finding(res, 1, "text-binary", "",
			    "binary data at offset %llu of a text",
			    (unsigned long long)(off + (uint64_t)(z - in->buf)));
			return 0;
		}
		off += len;
	}
	return 0;
}

/* A Validation Workbook (accepted so far): its evidence-reference rows,
 * for the notary to link (workbook.c). */
static void
inspect_workbook(const struct inspect_request *req, struct inspect_result *res)
{
	char why[FINDING_DETAIL_MAX];
	int r;

	why[0] = '\0';
	r = workbook_read(req->fd, req->size, req->policy, &res->workbook, why, sizeof(why));
	if (r == -1)
		inspect_finding(res, 1, "workbook-unreadable", "", "%s",
		    why[0] != '\0' ? why : "the evidence references cannot be read");
	else if (r == 1)
		inspect_finding(res, 0, "workbook-no-references", "", "%s",
		    why[0] != '\0' ? why : "no evidence-reference tab");
	else
		/* The receipt records how many references the tab holds. */
		inspect_finding(res, 0, "references", "", "%zu", res->workbook->n);
}

static int
inspect_is_ole(const uint8_t *p, size_t len)
{
	static const uint8_t ole[8] = { 0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1 };

	return len >= sizeof(ole) && memcmp(p, ole, sizeof(ole)) == 0;
}

static int
inspect_is_pk(const uint8_t *p, size_t len)
{
	return len >= 4 && p[0] == 'P' && p[1] == 'K' &&
	    ((p[2] == 3 && p[3] == 4) || (p[2] == 5 && p[3] == 6));
}

/* The inspector as archive_inspect calls it back (checks.h): a member's
 * first bytes are typed as the upload's are. */
static int
inspect_content_type(void *arg, const uint8_t *buf, size_t len, char mime[MIME_MAX])
{
	return inspect_type(arg, buf, len, mime);
}

/* The body of inspector_run, in the thread's UTF-8 locale. */
static void
inspect_file(struct inspector *in, const struct inspect_request *req,
    struct inspect_result *res)
{
	const struct policy *p = req->policy;
	const struct inspect_content ic = { inspect_content_type, in };
	enum ooxml_kind k = OOXML_NONE;
	char type[MIME_MAX];
	const char *t;
	size_t len;
	int exec, zipped = 0, text_nul = 0, r;

	len = req->size < TYPES_MAGIC_BYTES ? (size_t)req->size : TYPES_MAGIC_BYTES;
	if (inspect_pread(req->fd, in->buf, len, 0) == -1) {
		inspect_finding(res, 1, "read-error", "", "the file could not be read");
		return;
	}
	if (inspect_type(in, in->buf, len, type) == -1) {
		inspect_finding(res, 1, "inspect-error", "", "the file could not be typed");
		return;
	}
	if (req->stream && ((strcmp(type, TYPE_TAR) != 0 && strcmp(type, TYPE_GZIP) != 0 &&
	    strcmp(type, TYPE_XZ) != 0) || types_is_executable(type, in->buf, len) ||
	    inspect_is_pk(in->buf, len) || inspect_is_ole(in->buf, len))) {
		/* Only these are read in one pass, in order (inspect.h). */
		res->need_file = 1;
		return;
	}
	text_nul = memchr(in->buf, 0, len) != NULL;
	if ((exec = types_is_executable(type, in->buf, len)))
		inspect_finding(res, 1, "executable", "", "the file is a program (%s)", type);
	else if (types_maybe_ooxml(type) || inspect_is_pk(in->buf, len) ||
	    inspect_is_ole(in->buf, len)) {
		/* An OLE container may be an encrypted Office package: the
		 * OOXML check names it (ooxml-encrypted). */
		zipped = 1;
		if (ooxml_inspect(req->fd, req->size, p, "", res, &k) == -1)
			inspect_finding(res, 1, "inspect-error", "",
			    "the Office document check could not finish");
		if ((t = types_ooxml_mime(k)) != NULL) {
			snprintf(type, sizeof(type), "%s", t);
			if (archive_zipcd(req->fd, req->size, p, "", res) == -1)
				inspect_finding(res, 1, "inspect-error", "",
				    "the zip structure check could not finish");
		} else if (types_maybe_ooxml(type))
			snprintf(type, sizeof(type), "%s", TYPE_ZIP);
	}
	snprintf(res->type, sizeof(res->type), "%s", types_text_by_name(type, req->filename));

	if (!kind_allows(req->kind, res->type))
		inspect_finding(res, 1, "type-not-allowed", "", "%s is not allowed for kind %s",
		    res->type, req->kind->name);
	if (!types_ext_ok(res->type, req->filename))
		inspect_finding(res, 1, "extension-mismatch", "",
		    "the name's extension does not fit %s", res->type);

	/* A zip hidden behind (or appended to) another type. Not for other
	 * archives: a tar holds member zips, end records included, as is. */
	if (!exec && !zipped && !types_is_archive(res->type) &&
	    (r = zipcd_probe(req->fd, req->size)) != 0) {
		if (r == -1 || archive_zipcd(req->fd, req->size, p, "", res) == -1)
			inspect_finding(res, 1, "inspect-error", "",
			    "the zip structure check could not finish");
	}
	if (!res->accepted)
		return;

	/* The type is allowed: its content checks. */
	if (strcmp(res->type, TYPE_PDF) == 0)
		r = pdf_inspect(req->fd, req->size, p, "", res);
	else if (strcmp(res->type, TYPE_CSV) == 0)
		r = csv_inspect(req->fd, req->size, p, "", res);
	else if (types_is_archive(res->type))
		r = archive_inspect(&ic, req->fd, req->size, req->stream, p, "", 0, res);
	else
		r = 0;
	if (res->need_file)
		return;
	if (r == -1)
		inspect_finding(res, 1, "inspect-error", "", "the %s check could not finish",
		    res->type);
	if (res->accepted && strcmp(res->type, TYPE_XLSX) == 0 &&
	    strcmp(req->kind->name, KIND_VALIDATION_WORKBOOK) == 0)
		inspect_workbook(req, res);
	if (res->accepted && strcmp(req->kind->name, KIND_SHARED_RESOURCE) == 0) {
		char why[FINDING_DETAIL_MAX];
		/* the daemon always names the Party; offline inspection cannot */
		const char *party = req->party != NULL && req->party[0] != '\0' ?
		    req->party : NULL;

		if (strcmp(res->type, TYPE_XLSX) == 0)
			r = g527_check_xlsx(req->fd, req->size, p, party, why, sizeof(why));
		else if (strcmp(res->type, TYPE_CSV) == 0 || strcmp(res->type, "text/plain") == 0)
			r = g527_check_csv(req->fd, req->size, party, why, sizeof(why));
		else
			r = 0;
		if (r == -1)
			inspect_finding(res, 1, "g527-return", "", "%s", why);
	}
	if (types_is_text(res->type) && !text_nul &&
	    inspect_text_scan(in, req, res, len) == -1)
		inspect_finding(res, 1, "read-error", "", "the file could not be read");
}

int
inspector_run(struct inspector *in, const struct inspect_request *req,
    struct inspect_result *res)
{
	locale_t old = (locale_t)0;

	if (in == NULL || req == NULL || res == NULL)
		return -1;
	memset(res, 0, sizeof(*res));
	res->accepted = 1;
	snprintf(res->type, sizeof(res->type), "application/octet-stream");
	if (req->fd < 0 || req->kind == NULL || req->policy == NULL || req->filename == NULL) {
		inspect_finding(res, 1, "inspect-error", "", "incomplete inspection request");
		return 0;
	}
	/* One clock for the upload and everything inside it. */
	inspect_clock(res, req->policy->inspect_seconds);
	if (in->utf8 != (locale_t)0)
		old = uselocale(in->utf8);
	inspect_file(in, req, res);
	if (in->utf8 != (locale_t)0)
		uselocale(old);
	return 0;
}
