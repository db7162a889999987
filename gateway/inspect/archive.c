/*
 * inspect/archive.c: what is inside an archive (zip, tar, tar.gz, tar.xz,
 * 7z), read with libarchive and never extracted.
 *
 * Runs in the inspector. Trusts nothing in the archive: names, types, modes
 * and declared sizes are all attacker-chosen, so limits count the bytes
 * libarchive actually returns (per member, in total, and against the bytes it
 * consumed for the ratio), and every member is typed from its own bytes.
 * Only the zip, tar and 7-Zip formats and the gzip and xz filters are
 * registered; ARCHIVE_WARN is an error (it also means "an external program
 * would run"); no passphrase is ever given. A gzip or xz upload is read in
 * two layers: libarchive's raw format under its gzip/xz filter gives the
 * decompressed bytes, and a tar-only reader reads those through our
 * callback, so that both ends of the tar are in our hands (below).
 *
 * Nothing may follow a tar but zero bytes: after its end-of-archive
 * blocks, the rest of the (decompressed) stream must be zeros (a writer's
 * blocking factor), and after a gzip or xz stream, the rest of the file
 * too; anything else (a zip, a program, another archive) is the rejection
 * trailing-data, since other readers do see it (an unzip finds a zip
 * appended to a tar). Streamed, the bytes are checked as they come, from
 * the last two blocks handed to libarchive and then from the stream. The archive is read through our
 * own pread callbacks, so the verdict does not depend on the fd's offset.
 *
 * Expansion is bounded per member (archive_ratio, for members past
 * archive_ratio_min) and for the whole upload (max_archive_ratio): the
 * bytes expanded at every level, a nested archive's members included,
 * against the upload's own size, so a thousand members of 1 MiB of zeros
 * each (none over the per-member floor) still stop at that ratio.
 * Zips use libarchive's seeking reader (it follows the central directory,
 * as Windows, 7-Zip and Python do) and are first cross-checked by zipcd.c
 * against their local headers; a zip whose structure is hostile is not
 * expanded at all. A lone .gz or .xz that is not a tar is refused
 * (archive-unreadable): the raw format is not registered.
 *
 * Nested archives and documents that need a deeper check (PDF, CSV, OOXML)
 * are spooled to a memfd (bounded) and checked in turn; nested archives
 * recurse up to the policy's depth. A member byte-identical to an enclosing
 * archive (a quine) is a rejection.
 *
 * Member names (the one place this module goes beyond libarchive) are
 * checked for traversal, absolute and drive paths, ':', empty names, the
 * characters lib/utf8.h refuses in a name (controls, line separators, bidi
 * controls, noncharacters, the BOM), trailing dots and spaces, Windows reserved names, and
 * for duplicates and collisions. Two names collide when they are equal after
 * Unicode full default case folding and NFC (GNU libunistring's u8_normalize
 * and u8_casefold, no language tailoring: Turkish dotless i stays apart), in
 * every script; bytes that are not UTF-8 (legacy code pages) are compared as
 * they are. A name over path_max gets no key: it is rejected anyway.
 *
 * The manifest has one line per regular member, nested ones included:
 * "path\tsize\tsha256\ttype\n", where a nested member's path is
 * "outer.zip!/inner" and the path is percent-escaped (%XX) for '%', the
 * characters lib/utf8.h refuses and bytes that are not UTF-8.
 *
 * API: archive_inspect, archive_zipcd (checks.h).
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <unicase.h>
#include <uninorm.h>

#include "common/log.h"
#include "inspect/checks.h"
#include "inspect/types.h"
#include "inspect/zipcd.h"
#include "lib/utf8.h"
#include "lib/util.h"

#define ARC_BLOCK        (16 * 1024)   /* bytes per read callback; also the slack
                                          added to a member's compressed size in
                                          the ratio (what libarchive may hold
                                          buffered from before the member) */
#define ARC_CHUNK        (64 * 1024)   /* member bytes per archive_read_data */
#define ARC_SPOOL_MAX    (1024ULL * 1024 * 1024) /* a spooled member lives in RAM (memfd) */
#define ARC_DEPTH_MAX    16            /* nesting hard cap, whatever the policy says */
#define ARC_MANIFEST_MAX INSPECT_MANIFEST_MAX /* bytes of manifest text */
#define ARC_NAMES_INIT   64            /* first size of a name set (power of 2) */
#define ARC_SEP          "!/"          /* between an archive's path and its member's */
#define ARC_HEAD         6             /* bytes that tell gzip (2) and xz (6) apart */

struct ancestor {
	uint64_t size;
	uint8_t  sha256[32];
	int      fd;          /* to hash it when needed (the upload itself) */
	int      hashed;
};

/* One upload's archive inspection, across all nesting levels. */
struct arc_run {
	const struct inspect_content *ic;  /* the inspector, for members' types */
	const struct policy   *p;
	struct inspect_result *res;
	struct timespec        deadline;   /* CLOCK_MONOTONIC */
	uint64_t               expanded;   /* bytes returned by libarchive, all levels */
	uint64_t               entries;    /* entries seen, all levels */
	uint64_t               lines;      /* manifest lines */
	struct ancestor        anc[ARC_DEPTH_MAX + 2];
	unsigned               nanc;
	char                  *man;
	size_t                 manlen, mancap;
	int                    stop;       /* a limit was hit: unwind every level */
	const struct inspect_stream *stream; /* the upload arrives through it (depth 0) */
	int                    need_file;  /* streamed, and one pass is not enough */
	uint8_t               *chunk;      /* ARC_CHUNK */
	uint8_t               *prefix;     /* TYPES_MAGIC_BYTES */
	EVP_MD_CTX            *md;
};

/* The last two blocks handed to libarchive (it looks back at most one
 * record, 512 bytes, into the one before the last): what follows a tar's
 * end may be read again from them when it cannot be read again otherwise. */
struct arc_blocks {
	uint8_t  buf[2][ARC_BLOCK];
	uint64_t off[2];         /* offset in the stream of buf[i] */
	size_t   len[2];         /* 0: none yet */
	int      cur;            /* the last handed */
};

/* libarchive's view of one archive: our pread offset, bytes handed out.
 * With STREAM, the bytes come from it in the same ARC_BLOCK pieces that
 * pread would give, so that libarchive and the ratio check see the same.
 * With OUTER (gzip, xz), the tar reader reads OUTER's decompressed data. */
struct arc_src {
	struct arc_run *run;
	const struct inspect_stream *stream;
	int      fd;
	uint64_t size;
	uint64_t off;
	uint64_t consumed;
	struct arc_blocks raw;   /* the file's bytes */
	struct archive *outer;   /* raw format + gzip/xz filter, or NULL */
	uint64_t ioff;           /* decompressed bytes handed to the tar reader */
	struct arc_blocks inner; /* the decompressed bytes */
};

struct name_slot {
	uint64_t h;
	char    *key;        /* folded key, then NUL, then the raw name */
};

struct name_set {
	struct name_slot *v;
	size_t            cap, n;
};

/* One regular member being read. */
struct member {
	const char *path;            /* "outer!/name" */
	const char *name;            /* as in the archive */
	uint64_t    size;            /* bytes read */
	size_t      plen;            /* bytes in run->prefix */
	int         typed;
	char        mime[MIME_MAX];
	int         spool;           /* memfd, or -1 */
	int         text_scan;       /* text so far: look for NUL beyond the prefix */
	uint64_t    binary_at;       /* offset+1 of a NUL after a text prefix */
	uint8_t     sha256[32];
};

static int archive_walk(struct arc_run *, int, uint64_t, const struct inspect_stream *,
    const char *, unsigned);

/* A streamed inspection meets what needs the whole file: stop every level;
 * the result is dropped and the file inspected once it is complete. */
static void
arc_need_file(struct arc_run *run)
{
	run->need_file = 1;
	run->stop = 1;
}

static int
arc_expired(struct arc_run *run)
{
	struct timespec now;
	int expired;

	clock_gettime(CLOCK_MONOTONIC, &now);
	expired = now.tv_sec > run->deadline.tv_sec || (now.tv_sec == run->deadline.tv_sec &&
	    now.tv_nsec >= run->deadline.tv_nsec);
	/* Streamed, the clock also ran while the bytes were arriving: the
	 * file's own inspection decides, with a time limit of its own. */
	if (expired && run->stream)
		arc_need_file(run);
	return expired;
}

/* A limit was hit: one finding, and every level stops reading. */
static void __attribute__((format(printf, 4, 5)))
arc_stop(struct arc_run *run, const char *code, const char *member, const char *fmt, ...)
{
	char detail[FINDING_DETAIL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	inspect_finding(run->res, 1, code, member, "%s", detail);
	run->stop = 1;
}

/* Out of the upload's clock: inspect-timeout (once per upload), and every
 * level stops reading. */
static void
arc_timeout(struct arc_run *run, const char *member)
{
	inspect_timeout(run->res, member, "over %u seconds", run->p->inspect_seconds);
	run->stop = 1;
}

/* Past max_archive_ratio for the whole upload (every level against the
 * bytes sent, with the member check's slack): archive-ratio, stop. */
static int
arc_ratio_over(struct arc_run *run, const char *member)
{
	const struct policy *p = run->p;

	if (run->expanded <= p->archive_ratio_min ||
	    run->expanded / (run->anc[0].size + ARC_BLOCK) <= p->max_archive_ratio)
		return 0;
	arc_stop(run, "archive-ratio", member,
	    "the upload expands to over %" PRIu64 " bytes from %" PRIu64 ", over %" PRIu64
	    ":1 in all", run->expanded, run->anc[0].size, p->max_archive_ratio);
	return 1;
}

static char *
arc_join(const char *member, const char *name)
{
	char *s;

	if (member[0] == '\0')
		return strdup(name);
	if (asprintf(&s, "%s" ARC_SEP "%s", member, name) == -1)
		return NULL;
	return s;
}

/* ---- libarchive callbacks: pread at our own offset ---- */

/* The next WANT bytes of a streamed upload at *BUF; 0, or -1 with the
 * error set and the file's inspection asked for. */
static int
arc_stream_next(struct archive *a, struct arc_src *s, size_t want, const void **buf)
{
	if (s->stream->read(s->stream->arg, want, buf) == (ssize_t)want)
		return 0;
	arc_need_file(s->run);
	archive_set_error(a, EIO, "the upload stream stopped");
	return -1;
}

static la_ssize_t
arc_read(struct archive *a, void *arg, const void **buf)
{
	struct arc_src *s = arg;
	struct arc_blocks *b = &s->raw;
	const void *p;
	size_t want;
	ssize_t n;
	int k;

	if (s->off >= s->size) {
		*buf = b->buf[b->cur];
		return 0;
	}
	k = b->cur ^ 1;
	*buf = b->buf[k];
	want = s->size - s->off < ARC_BLOCK ? (size_t)(s->size - s->off) : ARC_BLOCK;
	if (s->stream) {
		if (arc_stream_next(a, s, want, &p) == -1)
			return -1;
		memcpy(b->buf[k], p, want);
		b->off[k] = s->off;
		b->len[k] = want;
		b->cur = k;
		s->off += want;
		s->consumed += want;
		return (la_ssize_t)want;
	}
	do
		n = pread(s->fd, b->buf[k], want, (off_t)s->off);
	while (n == -1 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "read error");
		return -1;
	}
	if (n == 0) {
		archive_set_error(a, EIO, "file shorter than its size");
		return -1;
	}
	b->off[k] = s->off;
	b->len[k] = (size_t)n;
	b->cur = k;
	s->off += (uint64_t)n;
	s->consumed += (uint64_t)n;
	return n;
}

static la_int64_t
arc_seek(struct archive *a, void *arg, la_int64_t off, int whence)
{
	struct arc_src *s = arg;
	int64_t base;

	if (s->stream) {
		arc_need_file(s->run);
		archive_set_error(a, ESPIPE, "a seek in a streamed upload");
		return ARCHIVE_FATAL;
	}
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = (int64_t)s->off;
		break;
	case SEEK_END:
		base = (int64_t)s->size;
		break;
	default:
		return ARCHIVE_FATAL;
	}
	if ((off < 0 && -off > base) || (off > 0 && (uint64_t)off > s->size - (uint64_t)base)) {
		archive_set_error(a, EINVAL, "seek outside the file");
		return ARCHIVE_FATAL;
	}
	s->off = (uint64_t)(base + off);
	return (la_int64_t)s->off;
}

static la_int64_t
arc_skip(struct archive *a, void *arg, la_int64_t request)
{
	struct arc_src *s = arg;
	uint64_t n;

	if (request <= 0)
		return 0;
	n = s->size - s->off < (uint64_t)request ? s->size - s->off : (uint64_t)request;
	if (s->stream) {
		/* Read past, in the pieces arc_read uses. */
		for (uint64_t left = n; left > 0;) {
			size_t want = left < ARC_BLOCK ? (size_t)left : ARC_BLOCK;
			const void *p;

			if (arc_stream_next(a, s, want, &p) == -1)
				return ARCHIVE_FATAL;
			left -= want;
		}
	}
	s->off += n;
	return (la_int64_t)n;
}

/* The tar reader's callback over a gzip or xz stream: full ARC_BLOCK
 * pieces of OUTER's decompressed data (short only at its end), so that
 * the tar's end is in the last two pieces. */
static la_ssize_t
arc_inner_read(struct archive *a, void *arg, const void **buf)
{
	struct arc_src *s = arg;
	struct arc_blocks *b = &s->inner;
	int k = b->cur ^ 1;
	size_t got = 0;
	la_ssize_t n;

	while (got < ARC_BLOCK) {
		if ((n = archive_read_data(s->outer, b->buf[k] + got, ARC_BLOCK - got)) < 0) {
			archive_set_error(a, archive_errno(s->outer) > 0 ? archive_errno(s->outer) :
			    EIO, "%s", archive_error_string(s->outer) != NULL ?
			    archive_error_string(s->outer) : "decompression failed");
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	b->off[k] = s->ioff;
	b->len[k] = got;
	b->cur = k;
	s->ioff += got;
	*buf = b->buf[k];
	return (la_ssize_t)got;
}

/* ---- what follows a tar ---- */

/* The first byte of P[0, N) that is not zero, or N. */
static size_t
arc_nonzero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && p[i] == 0; i++)
		;
	return i;
}

/* Bytes FROM onwards of what B holds (the last two blocks handed): 0 all
 * zero (*NEXT: the offset after them), 1 one is not (*AT), -1 FROM is
 * before them. */
static int
arc_blocks_zero(const struct arc_blocks *b, uint64_t from, uint64_t *at, uint64_t *next)
{
	int old = b->cur ^ 1, k, i;
	uint64_t start = b->len[old] > 0 ? b->off[old] : b->off[b->cur];
	size_t skip, z;

	*next = b->off[b->cur] + b->len[b->cur];
	if (from < start)
		return -1;
	for (i = 0; i < 2; i++) {
		k = i == 0 ? old : b->cur;
		if (b->len[k] == 0 || from >= b->off[k] + b->len[k])
			continue;
		skip = from > b->off[k] ? (size_t)(from - b->off[k]) : 0;
		if ((z = arc_nonzero(b->buf[k] + skip, b->len[k] - skip)) < b->len[k] - skip) {
			*at = b->off[k] + skip + z;
			return 1;
		}
	}
	return 0;
}

static void
arc_trailing(struct arc_run *run, const char *member, const char *where, uint64_t at)
{
	inspect_finding(run->res, 1, "trailing-data", member,
	    "data after the end of the tar archive, at offset %" PRIu64 " of the %s", at, where);
}

/* The tar read through A ended (ARCHIVE_EOF): what follows it, to the end
 * of the decompressed stream and of the file, must be zeros. 0 (a finding,
 * run->stop or run->need_file may be set), -1 on error. */
static int
arc_tail(struct arc_run *run, struct archive *a, struct arc_src *src, const char *member)
{
	uint64_t end, at, next;
	la_ssize_t n;
	ssize_t r;
	size_t i;
	int z;

	if (src->outer != NULL) {
		/* the tar's end in the decompressed stream: what the tar reader
		 * consumed (its end-of-archive blocks included) */
		end = (uint64_t)archive_filter_bytes(a, -1);
		if ((z = arc_blocks_zero(&src->inner, end, &at, &next)) == 1) {
			arc_trailing(run, member, "decompressed stream", at);
			return 0;
		}
		if (z == -1 || next != src->ioff) {
			arc_trailing(run, member, "decompressed stream", end);
			return 0;
		}
		while ((n = archive_read_data(src->outer, run->chunk, ARC_CHUNK)) > 0) {
			run->expanded += (uint64_t)n;
			if (run->expanded > run->p->archive_expanded) {
				arc_stop(run, "expanded-too-large", member,
				    "the archive expands to over %" PRIu64 " bytes",
				    run->p->archive_expanded);
				return 0;
			}
			if (arc_ratio_over(run, member))
				return 0;
			if (arc_expired(run)) {
				arc_timeout(run, member);
				return 0;
			}
			if ((i = arc_nonzero(run->chunk, (size_t)n)) < (size_t)n) {
				arc_trailing(run, member, "decompressed stream", src->ioff + i);
				return 0;
			}
			src->ioff += (uint64_t)n;
		}
		if (n < 0) {
			if (!run->need_file)
				inspect_finding(run->res, 1, "archive-unreadable", member, "%s",
				    archive_error_string(src->outer) != NULL ?
				    archive_error_string(src->outer) : "decompression failed");
			return 0;
		}
		/* the end of the gzip or xz stream in the file */
		end = (uint64_t)archive_filter_bytes(src->outer, -1);
	} else
		end = (uint64_t)archive_filter_bytes(a, -1);
	if (end > src->size)
		return -1;

	if (src->stream != NULL) {
		/* what was handed already, then the rest as it comes */
		if ((z = arc_blocks_zero(&src->raw, end, &at, &next)) == 1) {
			arc_trailing(run, member, "file", at);
			return 0;
		}
		if (z == -1 || next != src->off) {
			arc_need_file(run);        /* skipped past: only the file can say */
			return 0;
		}
		while (src->off < src->size) {
			size_t want = src->size - src->off < ARC_BLOCK ?
			    (size_t)(src->size - src->off) : ARC_BLOCK;
			const void *p;

			if (arc_expired(run))
				return 0;
			if (src->stream->read(src->stream->arg, want, &p) != (ssize_t)want) {
				arc_need_file(run);
				return 0;
			}
			if ((i = arc_nonzero(p, want)) < want) {
				arc_trailing(run, member, "file", src->off + i);
				return 0;
			}
			src->off += want;
		}
		return 0;
	}
	for (at = end; at < src->size; at += (uint64_t)r) {
		size_t want = src->size - at < ARC_CHUNK ? (size_t)(src->size - at) : ARC_CHUNK;

		if (arc_expired(run)) {
			arc_timeout(run, member);
			return 0;
		}
		if ((r = pread(src->fd, run->chunk, want, (off_t)at)) == -1 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r <= 0)
			return -1;
		if ((i = arc_nonzero(run->chunk, (size_t)r)) < (size_t)r) {
			arc_trailing(run, member, "file", at + i);
			return 0;
		}
	}
	return 0;
}

/* ---- the zip cross-check as findings ---- */

struct arc_zipcd {
	struct inspect_result *res;
	const char            *member;
};

static void
arc_zipcd_report(void *arg, const char *code, const char *name, const char *detail)
{
	struct arc_zipcd *z = arg;
	char path[FINDING_MEMBER_MAX];

	if (name[0] == '\0')
		snprintf(path, sizeof(path), "%s", z->member);
	else if (z->member[0] == '\0')
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s" ARC_SEP "%s", z->member, name);
	inspect_finding(z->res, 1, code, path, "%s", detail);
}

int
archive_zipcd(int fd, uint64_t size, const struct policy *p, const char *member,
    struct inspect_result *res)
{
	struct arc_zipcd z = { res, member };

	return zipcd_check(fd, size, p->archive_members, arc_zipcd_report, &z);
}

/* ---- names ---- */

/* Names are decoded and judged by lib/utf8.h, as the front judges an
 * upload's own filename: a control or a line separator is name-control, a
 * bidi control name-bidi, a noncharacter or a BOM name-invisible. */
static int
name_is_bidi(uint32_t c)
{
	return utf8_class_of(c) == UTF8_BIDI;
}

static int
name_is_control(uint32_t c)
{
	enum utf8_class k = utf8_class_of(c);

	return k == UTF8_CONTROL || k == UTF8_SEPARATOR;
}

static int
name_is_invisible(uint32_t c)
{
	enum utf8_class k = utf8_class_of(c);

	return k == UTF8_NONCHAR || k == UTF8_BOM;
}

/* Appends N bytes of P to the key being built (*KEY, *LEN bytes, *CAP
 * allocated), keeping room for its NUL. 0, -1 on memory. */
static int
name_key_put(char **key, size_t *len, size_t *cap, const void *p, size_t n)
{
	size_t cap2;
	char *k;

	if (*len + n + 1 > *cap) {
		cap2 = (*len + n + 1) * 2;
		if ((k = realloc(*key, cap2)) == NULL)
			return -1;
		*key = k;
		*cap = cap2;
	}
	memcpy(*key + *len, p, n);
	*len += n;
	(*key)[*len] = '\0';
	return 0;
}

/* The collision key of NAME, malloc'd (NULL: out of memory): path
 * components split on '/' and '\', empty and "." ones dropped, joined by
 * '/'; each run of valid UTF-8 normalised to NFC and then case-folded (full
 * default folding, the result in NFC), bytes that are not UTF-8 kept as they
 * are. The caller bounds NAME by path_max: libunistring's work and the key's
 * length grow with it (a fold is at most 3 code points). */
static char *
name_key(const char *name)
{
	const uint8_t *s = (const uint8_t *)name;
	size_t len = strlen(name), i = 0, klen = 0, kcap = 0, start, end, run, n;
	size_t nlen, flen;
	uint8_t *nfc = NULL, *fold = NULL;
	char *key = NULL;
	uint32_t c;

	if (name_key_put(&key, &klen, &kcap, "", 0) == -1)
		goto fail;
	while (i < len) {
		/* one component */
		start = i;
		while (i < len && s[i] != '/' && s[i] != '\\')
			i++;
		end = i;
		if (i < len)
			i++;
		if (end == start || (end - start == 1 && s[start] == '.'))
			continue;
		if (klen > 0 && name_key_put(&key, &klen, &kcap, "/", 1) == -1)
			goto fail;
		while (start < end) {
			if (utf8_decode(s + start, end - start, &c) == 0) {
				/* not UTF-8: as is */
				if (name_key_put(&key, &klen, &kcap, s + start, 1) == -1)
					goto fail;
				start++;
				continue;
			}
			/* the longest run of valid UTF-8 from here */
			for (run = start; run < end &&
			    (n = utf8_decode(s + run, end - run, &c)) != 0; run += n)
				;
			if ((nfc = u8_normalize(UNINORM_NFC, s + start, run - start,
			    NULL, &nlen)) == NULL)
				goto fail;
			if ((fold = u8_casefold(nfc, nlen, NULL, UNINORM_NFC, NULL,
			    &flen)) == NULL)
				goto fail;
			if (name_key_put(&key, &klen, &kcap, fold, flen) == -1)
				goto fail;
			free(nfc);
			free(fold);
			nfc = fold = NULL;
			start = run;
		}
	}
	return key;
fail:
	free(nfc);
	free(fold);
	free(key);
	return NULL;
}

static uint64_t
name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;   /* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h;
}

/* Adds KEY (and RAW) to S. 0 added; 1 already there (*OTHER: its raw
 * name); -1 out of memory. */
static int
names_add(struct name_set *s, const char *key, const char *raw, const char **other)
{
	struct name_slot *v;
	size_t i, cap, klen;
	uint64_t h = name_hash(key);

	if (s->n + 1 > s->cap / 2) {
		cap = s->cap == 0 ? ARC_NAMES_INIT : s->cap * 2;
		if ((v = calloc(cap, sizeof(*v))) == NULL)
			return -1;
		for (i = 0; i < s->cap; i++) {
			size_t j;

			if (s->v[i].key == NULL)
				continue;
			for (j = s->v[i].h & (cap - 1); v[j].key != NULL; j = (j + 1) & (cap - 1))
				;
			v[j] = s->v[i];
		}
		free(s->v);
		s->v = v;
		s->cap = cap;
	}
	for (i = h & (s->cap - 1); s->v[i].key != NULL; i = (i + 1) & (s->cap - 1)) {
		if (s->v[i].h == h && strcmp(s->v[i].key, key) == 0) {
			*other = s->v[i].key + strlen(s->v[i].key) + 1;
			return 1;
		}
	}
	klen = strlen(key);
	if ((s->v[i].key = malloc(klen + 1 + strlen(raw) + 1)) == NULL)
		return -1;
	memcpy(s->v[i].key, key, klen + 1);
	strcpy(s->v[i].key + klen + 1, raw);
	s->v[i].h = h;
	s->n++;
	return 0;
}

static void
names_free(struct name_set *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		free(s->v[i].key);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* 1 if component C (LEN bytes) is a Windows reserved device name, with or
 * without an extension: CON, PRN, AUX, NUL, COM1-9, LPT1-9 (also COM¹²³),
 * CONIN$, CONOUT$, CLOCK$. */
static int
name_reserved(const char *c, size_t len)
{
	static const char *const plain[] = { "CON", "PRN", "AUX", "NUL", "CONIN$",
	    "CONOUT$", "CLOCK$", NULL };
	size_t n = 0, i;

	while (n < len && c[n] != '.')
		n++;
	while (n > 0 && c[n - 1] == ' ')      /* "CON .txt" is CON too */
		n--;
	for (i = 0; plain[i] != NULL; i++)
		if (strlen(plain[i]) == n && strncasecmp(c, plain[i], n) == 0)
			return 1;
	if ((n == 4 || n == 5) && (strncasecmp(c, "COM", 3) == 0 ||
	    strncasecmp(c, "LPT", 3) == 0)) {
		if (n == 4 && c[3] >= '1' && c[3] <= '9')
			return 1;
		/* superscript one, two, three: C2 B9, C2 B2, C2 B3 */
		if (n == 5 && (uint8_t)c[3] == 0xc2 && ((uint8_t)c[4] == 0xb9 ||
		    (uint8_t)c[4] == 0xb2 || (uint8_t)c[4] == 0xb3))
			return 1;
	}
	return 0;
}

/* Checks one member name; adds findings under PATH. IS_DIR: a directory
 * entry (a trailing '/' is its mark, not a component). 0, or -1 on memory. */
static int
arc_name_check(struct arc_run *run, struct name_set *names, const char *name,
    const char *path, int is_dir)
{
	struct inspect_result *res = run->res;
	const uint8_t *s = (const uint8_t *)name;
	size_t len = strlen(name), i, n, start, end;
	uint32_t c;
	int ctl = 0, bidi = 0, invis = 0, dotdot = 0, r;
	const char *other;
	char *key;

	if (len > run->p->path_max)
		inspect_finding(res, 1, "path-too-long", path, "name of %zu bytes, over %u",
		    len, run->p->path_max);
	if (s[0] == '/' || s[0] == '\\')
		inspect_finding(res, 1, "path-absolute", path, "absolute or UNC path");
	if (memchr(name, ':', len) != NULL)
		inspect_finding(res, 1, "path-colon", path,
		    "':' in a name (drive letter or alternate data stream)");
	for (i = 0; i < len; i += n) {
		if ((n = utf8_decode(s + i, len - i, &c)) == 0) {
			/* Not UTF-8: a legacy code page (CP437 zips); bytes < 0x20
			 * and DEL are still controls in any of them. */
			if (s[i] < 0x20 || s[i] == 0x7f)
				ctl = 1;
			n = 1;
			continue;
		}
		if (name_is_control(c))
			ctl = 1;
		if (name_is_bidi(c))
			bidi = 1;
		if (name_is_invisible(c))
			invis = 1;
	}
	if (ctl)
		inspect_finding(res, 1, "name-control", path, "control character in a name");
	if (bidi)
		inspect_finding(res, 1, "name-bidi", path,
		    "bidirectional override character in a name");
	if (invis)
		inspect_finding(res, 1, "name-invisible", path,
		    "a Unicode noncharacter or byte order mark in a name");

	/* Per component: "..", trailing dot or space, reserved names. */
	for (i = 0; i < len; ) {
		start = i;
		while (i < len && s[i] != '/' && s[i] != '\\')
			i++;
		end = i;
		if (i < len)
			i++;
		if (end == start || (end - start == 1 && s[start] == '.'))
			continue;
		if (end - start == 2 && s[start] == '.' && s[start + 1] == '.') {
			if (!dotdot++)
				inspect_finding(res, 1, "path-traversal", path, "'..' in a path");
			continue;
		}
		if (s[end - 1] == '.' || s[end - 1] == ' ')
			inspect_finding(res, 1, "name-trailing", path,
			    "a path component ends in a dot or a space");
		if (name_reserved(name + start, end - start))
			inspect_finding(res, 1, "name-reserved", path, "Windows reserved name");
	}

	/* The key costs work in proportion to the name: a name over path_max
	 * is rejected above and gets none. */
	if (len > run->p->path_max)
		return 0;
	if ((key = name_key(name)) == NULL)
		return -1;
	if (key[0] == '\0') {
		if (!is_dir)
			inspect_finding(res, 1, "name-empty", path, "empty name");
		free(key);
		return 0;
	}
	if ((r = names_add(names, key, name, &other)) == -1) {
		free(key);
		return -1;
	}
	if (r == 1) {
		if (strcmp(other, name) == 0)
			inspect_finding(res, 1, "name-duplicate", path, "the name appears twice");
		else
			inspect_finding(res, 1, "name-collision", path,
			    "collides with '%s' after case folding and normalisation", other);
	}
	free(key);
	return 0;
}

/* ---- the manifest ---- */

static int
man_grow(struct arc_run *run, size_t more)
{
	size_t cap;
	char *p;

	if (run->manlen + more <= run->mancap)
		return 0;
	if (run->manlen + more > ARC_MANIFEST_MAX)
		return 1;
	cap = run->mancap == 0 ? 4096 : run->mancap;
	while (cap < run->manlen + more)
		cap *= 2;
	if (cap > ARC_MANIFEST_MAX)
		cap = ARC_MANIFEST_MAX;
	if ((p = realloc(run->man, cap)) == NULL)
		return -1;
	run->man = p;
	run->mancap = cap;
	return 0;
}

/* Appends "path\tsize\tsha256\ttype\n". 0, -1 on memory. */
static int
man_line(struct arc_run *run, const struct member *m)
{
	const uint8_t *s = (const uint8_t *)m->path;
	size_t len = strlen(m->path), i, n, j;
	char hex[65];
	uint32_t c;
	int r;

	/* worst case every byte becomes %XX */
	if ((r = man_grow(run, 3 * len + 2 * 65 + MIME_MAX + 24)) != 0) {
		if (r == -1)
			return -1;
		arc_stop(run, "manifest-too-large", m->path,
		    "the member manifest is over %d bytes", ARC_MANIFEST_MAX);
		return 0;
	}
	for (i = 0; i < len; i += n) {
		n = utf8_decode(s + i, len - i, &c);
		if (n == 0 || utf8_class_of(c) != UTF8_OK || c == '%') {
			if (n == 0)
				n = 1;
			for (j = 0; j < n; j++)
				run->manlen += (size_t)sprintf(run->man + run->manlen, "%%%02X",
				    s[i + j]);
			continue;
		}
		memcpy(run->man + run->manlen, s + i, n);
		run->manlen += n;
	}
	util_hex(m->sha256, sizeof(m->sha256), hex);
	run->manlen += (size_t)sprintf(run->man + run->manlen, "\t%" PRIu64 "\t%s\t%s\n",
	    m->size, hex, m->mime);
	run->lines++;
	return 0;
}

/* ---- members ---- */

/* The upload's own hash, computed only if a member has its size. */
static int
arc_ancestor_hash(struct arc_run *run, struct ancestor *a)
{
	EVP_MD_CTX *md;
	uint64_t off = 0;
	ssize_t n;
	int ret = -1;

	if (a->hashed)
		return 0;
	if (run->stream && a == &run->anc[0]) {
		arc_need_file(run);   /* the upload's hash is not known yet */
		return 0;
	}
	if ((md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto fail;
	while (off < a->size) {
		size_t want = a->size - off < ARC_CHUNK ? (size_t)(a->size - off) : ARC_CHUNK;

		if ((n = pread(a->fd, run->chunk, want, (off_t)off)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		EVP_DigestUpdate(md, run->chunk, (size_t)n);
		off += (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(md, a->sha256, NULL) != 1)
		goto fail;
	a->hashed = 1;
	ret = 0;
 fail:
	EVP_MD_CTX_free(md);
	return ret;
}

static int
arc_write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
arc_is_pk(const uint8_t *p, size_t len)
{
	return len >= 4 && p[0] == 'P' && p[1] == 'K' &&
	    ((p[2] == 3 && p[3] == 4) || (p[2] == 5 && p[3] == 6) ||
	     (p[2] == 7 && p[3] == 8));
}

/* Types the member from its prefix and decides whether it must be spooled
 * for a deeper check. 0, -1 on error. */
static int
arc_member_type(struct arc_run *run, struct member *m)
{
	const char *os;

	if (run->ic->type(run->ic->arg, run->prefix, m->plen, m->mime) == -1)
		return -1;
	m->typed = 1;
	if ((os = types_os_metadata(m->path, run->prefix, m->plen)) != NULL)
		snprintf(m->mime, sizeof(m->mime), "%s", os);
	m->text_scan = types_is_text(m->mime) && memchr(run->prefix, 0, m->plen) == NULL;
	if (types_is_executable(m->mime, run->prefix, m->plen))
		return 0;
	if (types_is_archive(m->mime) || types_maybe_ooxml(m->mime) ||
	    arc_is_pk(run->prefix, m->plen) || strcmp(m->mime, TYPE_PDF) == 0 ||
	    (types_is_text(m->mime) && types_has_ext(m->name, "csv"))) {
		if ((m->spool = memfd_create("intake-member", MFD_CLOEXEC)) == -1) {
			log_warn("%s: memfd_create", __func__);
			return -1;
		}
		if (arc_write_all(m->spool, run->prefix, m->plen) == -1) {
			log_warn("%s: spool", __func__);
			return -1;
		}
	}
	return 0;
}

/* Reads one regular member's data: limits, hash, type, spool. 0 (possibly
 * stopped: run->stop), -1 on error. Sets *BROKEN if libarchive failed. */
static int
arc_member_read(struct arc_run *run, struct archive *a, struct arc_src *src,
    struct member *m, int *broken)
{
	const struct policy *p = run->p;
	uint64_t start = src->consumed, member_max;
	size_t off, c;
	la_ssize_t n;

	/* A member may not be bigger than an upload of its own could be. */
	member_max = p->max_upload > 0 && p->max_upload < p->archive_expanded ?
	    p->max_upload : p->archive_expanded;
	if (EVP_DigestInit_ex(run->md, EVP_sha256(), NULL) != 1)
		return -1;
	for (;;) {
		n = archive_read_data(a, run->chunk, ARC_CHUNK);
		if (n == 0)
			break;
		if (n < 0) {
			inspect_finding(run->res, 1, "archive-unreadable", m->path, "%s",
			    archive_error_string(a) ? archive_error_string(a) : "read error");
			*broken = 1;
			return 0;
		}
		m->size += (uint64_t)n;
		run->expanded += (uint64_t)n;
		if (m->size > member_max) {
			arc_stop(run, "member-too-large", m->path,
			    "over %" PRIu64 " bytes expanded", member_max);
			return 0;
		}
		if (run->expanded > p->archive_expanded) {
			arc_stop(run, "expanded-too-large", m->path,
			    "the archive expands to over %" PRIu64 " bytes", p->archive_expanded);
			return 0;
		}
		if (m->size > p->archive_ratio_min &&
		    m->size / (src->consumed - start + ARC_BLOCK) > p->archive_ratio) {
			arc_stop(run, "compression-ratio", m->path,
			    "%" PRIu64 " bytes expanded from at most %" PRIu64 ", over %" PRIu64 ":1",
			    m->size, src->consumed - start + ARC_BLOCK, p->archive_ratio);
			return 0;
		}
		/* the whole upload (the declared size when streamed, the
		 * same number) */
		if (arc_ratio_over(run, m->path))
			return 0;
		if (m->spool != -1 && m->size > ARC_SPOOL_MAX) {
			arc_stop(run, "member-too-large", m->path,
			    "a nested archive or document over %llu bytes",
			    (unsigned long long)ARC_SPOOL_MAX);
			return 0;
		}
		if (arc_expired(run)) {
			arc_timeout(run, m->path);
			return 0;
		}
		EVP_DigestUpdate(run->md, run->chunk, (size_t)n);
		off = 0;
		if (!m->typed) {
			c = TYPES_MAGIC_BYTES - m->plen < (size_t)n ?
			    TYPES_MAGIC_BYTES - m->plen : (size_t)n;
			memcpy(run->prefix + m->plen, run->chunk, c);
			m->plen += c;
			off = c;
			if (m->plen == TYPES_MAGIC_BYTES && arc_member_type(run, m) == -1)
				return -1;
		}
		if (m->typed && off < (size_t)n) {
			const uint8_t *z;

			if (m->spool != -1 &&
			    arc_write_all(m->spool, run->chunk + off, (size_t)n - off) == -1) {
				log_warn("%s: spool", __func__);
				return -1;
			}
			if (m->text_scan && m->binary_at == 0 &&
			    (z = memchr(run->chunk + off, 0, (size_t)n - off)) != NULL)
				m->binary_at = m->size - (uint64_t)n + (uint64_t)(z - run->chunk) + 1;
		}
	}
	if (!m->typed && arc_member_type(run, m) == -1)
		return -1;
	if (EVP_DigestFinal_ex(run->md, m->sha256, NULL) != 1)
		return -1;
	return 0;
}

/* The checks of a member read in full: type, executables, quines, and the
 * deeper checks of what was spooled. 0, -1 on error. */
static int
arc_member_check(struct arc_run *run, struct archive_entry *e, struct member *m,
    unsigned depth)
{
	const struct policy *p = run->p;
	struct inspect_result *res = run->res;
	enum ooxml_kind k = OOXML_NONE;
	const char *t;
	unsigned i;
	int r;

	if (archive_entry_size_is_set(e) && archive_entry_size(e) >= 0 &&
	    (uint64_t)archive_entry_size(e) != m->size)
		inspect_finding(res, 1, "member-size-mismatch", m->path,
		    "declares %" PRId64 " bytes, holds %" PRIu64,
		    (int64_t)archive_entry_size(e), m->size);
	if (types_is_executable(m->mime, run->prefix, m->plen)) {
		inspect_finding(res, 1, "executable", m->path, "a program (%s)", m->mime);
		return man_line(run, m);
	}
	if (types_ext_executable(m->name))
		inspect_finding(res, 1, "executable", m->path,
		    "a name that runs as a program (%s)", m->mime);
	if (m->binary_at > 0)
		inspect_finding(res, 1, "text-binary", m->path,
		    "binary data at offset %" PRIu64 " of a text", m->binary_at - 1);
	if ((t = types_text_by_name(m->mime, m->name)) != m->mime)
		snprintf(m->mime, sizeof(m->mime), "%s", t);
	if (m->spool != -1 && (types_maybe_ooxml(m->mime) || arc_is_pk(run->prefix, m->plen))) {
		if (ooxml_inspect(m->spool, m->size, p, m->path, res, &k) == -1)
			inspect_finding(res, 1, "inspect-error", m->path,
			    "the Office document check could not finish");
		if ((t = types_ooxml_mime(k)) != NULL) {
			snprintf(m->mime, sizeof(m->mime), "%s", t);
			if (archive_zipcd(m->spool, m->size, p, m->path, res) == -1)
				return -1;
		} else if (types_maybe_ooxml(m->mime))
			snprintf(m->mime, sizeof(m->mime), "%s", TYPE_ZIP);
	}
	if (!types_member_allowed(m->mime))
		inspect_finding(res, 1, "member-type-not-allowed", m->path,
		    "%s is not an evidence type", m->mime);
	else if (m->size > 0 && types_ext_known(m->name) && !types_ext_ok(m->mime, m->name) &&
	    types_os_metadata(m->path, run->prefix, m->plen) == NULL)
		inspect_finding(res, 1, "extension-mismatch", m->path,
		    "the extension does not fit %s", m->mime);
	if (man_line(run, m) == -1)
		return -1;
	if (run->stop || m->spool == -1)
		return 0;

	if (types_is_archive(m->mime)) {
		for (i = 0; i < run->nanc; i++) {
			if (run->anc[i].size != m->size)
				continue;
			if (arc_ancestor_hash(run, &run->anc[i]) == -1)
				return -1;
			if (run->need_file)
				return 0;
			if (memcmp(run->anc[i].sha256, m->sha256, 32) == 0) {
				inspect_finding(res, 1, "archive-quine", m->path,
				    "the member is identical to an enclosing archive");
				return 0;
			}
		}
		if (depth + 1 > p->archive_depth || depth + 1 > ARC_DEPTH_MAX) {
			inspect_finding(res, 1, "archive-too-deep", m->path,
			    "archives nested over %u deep", p->archive_depth);
			return 0;
		}
		run->anc[run->nanc].size = m->size;
		memcpy(run->anc[run->nanc].sha256, m->sha256, 32);
		run->anc[run->nanc].fd = m->spool;
		run->anc[run->nanc].hashed = 1;
		run->nanc++;
		r = archive_walk(run, m->spool, m->size, NULL, m->path, depth + 1);
		run->nanc--;
		return r;
	}
	if (strcmp(m->mime, TYPE_PDF) == 0 && pdf_inspect(m->spool, m->size, p, m->path, res) == -1)
		inspect_finding(res, 1, "inspect-error", m->path, "the PDF check could not finish");
	if (strcmp(m->mime, TYPE_CSV) == 0 && csv_inspect(m->spool, m->size, p, m->path, res) == -1)
		inspect_finding(res, 1, "inspect-error", m->path, "the CSV check could not finish");
	return 0;
}

/* One entry of an archive. 0 (run->stop may be set), 1 the archive can no
 * longer be read, -1 on error. */
static int
arc_entry(struct arc_run *run, struct archive *a, struct archive_entry *e,
    struct arc_src *src, struct name_set *names, const char *member, unsigned depth)
{
	struct inspect_result *res = run->res;
	struct member m;
	const char *name;
	char *path;
	mode_t type = archive_entry_filetype(e), mode = archive_entry_mode(e);
	int broken = 0, ret = -1;

	if ((name = archive_entry_pathname(e)) == NULL)
		name = "";
	if ((path = arc_join(member, name)) == NULL)
		return -1;
	if (arc_name_check(run, names, name, path, type == AE_IFDIR) == -1)
		goto fail;
	ret = 0;
	if (mode & (S_ISUID | S_ISGID))
		inspect_finding(res, 1, "setuid", path, "%s bit set",
		    (mode & S_ISUID) ? "setuid" : "setgid");
	if (archive_entry_hardlink(e) != NULL) {
		inspect_finding(res, 1, "hardlink", path, "a hard link");
		goto fail;
	}
	switch (type) {
	case AE_IFREG:
		break;
	case AE_IFDIR:
		goto fail;
	case AE_IFLNK:
		inspect_finding(res, 1, "symlink", path, "a symbolic link");
		goto fail;
	case AE_IFCHR:
	case AE_IFBLK:
		inspect_finding(res, 1, "device", path, "a device node");
		goto fail;
	case AE_IFIFO:
		inspect_finding(res, 1, "fifo", path, "a named pipe");
		goto fail;
	default:
		inspect_finding(res, 1, "special-file", path, "not a file or directory");
		goto fail;
	}
	if (archive_entry_is_encrypted(e)) {
		inspect_finding(res, 1, "encrypted", path, "an encrypted member");
		goto fail;
	}

	memset(&m, 0, sizeof(m));
	m.path = path;
	m.name = name;
	m.spool = -1;
	if (arc_member_read(run, a, src, &m, &broken) == -1)
		ret = -1;
	else if (broken)
		ret = 1;
	else if (!run->stop)
		ret = arc_member_check(run, e, &m, depth);
	if (m.spool != -1)
		close(m.spool);
 fail:
	free(path);
	return ret;
}

/* Inspects one archive (the upload or a spooled member) at DEPTH. 0 (the
 * findings say the rest), -1 on error. */
static int
archive_walk(struct arc_run *run, int fd, uint64_t size, const struct inspect_stream *stream,
    const char *member, unsigned depth)
{
	struct inspect_result *res = run->res;
	struct name_set names = { 0 };
	struct archive *a = NULL;
	struct archive_entry *e;
	struct arc_src *src;
	uint8_t head[ARC_HEAD];
	ssize_t n;
	int r, zip_checked = 0, encrypted = 0, layered, ret = -1;

	if ((src = calloc(1, sizeof(*src))) == NULL)
		return -1;
	src->run = run;
	src->stream = stream;
	src->fd = fd;
	src->size = size;

	/* A zip is cross-checked first; a hostile structure is not expanded. */
	while ((n = pread(fd, head, sizeof(head), 0)) == -1 && errno == EINTR)
		;
	layered = n >= 2 && head[0] == 0x1f && head[1] == 0x8b;
	layered |= n == (ssize_t)sizeof(head) && memcmp(head, "\3757zXZ\0", 6) == 0;
	if (n >= 4 && arc_is_pk(head, 4)) {
		if (stream) {
			arc_need_file(run);
			ret = 0;
			goto fail;
		}
		zip_checked = 1;
		if ((r = archive_zipcd(fd, size, run->p, member, res)) == -1)
			goto fail;
		if (r > 0) {
			ret = 0;
			goto fail;
		}
	}

	if (layered) {
		/* gzip or xz: the decompressed bytes from a raw reader, the tar
		 * reader on top (a lone .gz or .xz has no tar in it: refused) */
		if ((src->outer = archive_read_new()) == NULL)
			goto fail;
		if (archive_read_support_format_raw(src->outer) != ARCHIVE_OK ||
		    archive_read_support_filter_gzip(src->outer) != ARCHIVE_OK ||
		    archive_read_support_filter_xz(src->outer) != ARCHIVE_OK) {
			log_warnx("%s: libarchive lacks a built-in format or filter", __func__);
			goto fail;
		}
		if (archive_read_set_read_callback(src->outer, arc_read) != ARCHIVE_OK ||
		    archive_read_set_skip_callback(src->outer, arc_skip) != ARCHIVE_OK ||
		    archive_read_set_callback_data(src->outer, src) != ARCHIVE_OK)
			goto fail;
		if (archive_read_open1(src->outer) != ARCHIVE_OK ||
		    archive_read_next_header(src->outer, &e) != ARCHIVE_OK ||
		    archive_filter_count(src->outer) < 2) {
			if (!run->need_file)
				inspect_finding(res, 1, "archive-unreadable", member, "%s",
				    archive_error_string(src->outer) ?
				    archive_error_string(src->outer) : "not a gzip or xz stream");
			ret = 0;
			goto fail;
		}
	}
	if ((a = archive_read_new()) == NULL)
		goto fail;
	/* ARCHIVE_WARN here means an external program: refused. Tar bids
	 * first: the zip and 7z bidders only look further (a seek to the
	 * end) when no bid above 32 was made, and a tar header's is 48 or
	 * more, so a tar is read in one pass; the bids, and so the format
	 * chosen, are the same in any order. Over gzip or xz, a tar only. */
	if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    (!layered && (archive_read_support_format_zip_seekable(a) != ARCHIVE_OK ||
	    archive_read_support_format_7zip(a) != ARCHIVE_OK))) {
		log_warnx("%s: libarchive lacks a built-in format or filter", __func__);
		goto fail;
	}
	if ((layered ? archive_read_set_read_callback(a, arc_inner_read) != ARCHIVE_OK :
	    (archive_read_set_read_callback(a, arc_read) != ARCHIVE_OK ||
	    archive_read_set_seek_callback(a, arc_seek) != ARCHIVE_OK ||
	    archive_read_set_skip_callback(a, arc_skip) != ARCHIVE_OK)) ||
	    archive_read_set_callback_data(a, src) != ARCHIVE_OK)
		goto fail;
	if (archive_read_open1(a) != ARCHIVE_OK) {
		inspect_finding(res, 1, "archive-unreadable", member, "%s",
		    archive_error_string(a) ? archive_error_string(a) : "not a zip, tar or 7z archive");
		ret = 0;
		goto fail;
	}
	for (;;) {
		if (arc_expired(run)) {
			arc_timeout(run, member);
			break;
		}
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF) {
			if ((archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_TAR &&
			    arc_tail(run, a, src, member) == -1)
				goto fail;
			break;
		}
		if (r != ARCHIVE_OK) {
			if (archive_read_has_encrypted_entries(a) > 0) {
				inspect_finding(res, 1, "encrypted", member,
				    "encrypted archive headers");
				encrypted = 1;
			} else
				inspect_finding(res, 1, "archive-unreadable", member, "%s",
				    archive_error_string(a) ? archive_error_string(a) :
				    "damaged archive");
			break;
		}
		if (!zip_checked && (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) ==
		    ARCHIVE_FORMAT_ZIP) {
			if (stream) {
				arc_need_file(run);
				break;
			}
			zip_checked = 1;
			if ((r = archive_zipcd(fd, size, run->p, member, res)) == -1)
				goto fail;
			if (r > 0)
				break;
		}
		if (++run->entries > run->p->archive_members) {
			arc_stop(run, "too-many-members", member,
			    "over %" PRIu64 " members", run->p->archive_members);
			break;
		}
		if (archive_entry_is_encrypted(e))
			encrypted = 1;
		if ((r = arc_entry(run, a, e, src, &names, member, depth)) == -1)
			goto fail;
		if (r == 1 || run->stop)
			break;
	}
	if (!encrypted && archive_read_has_encrypted_entries(a) > 0)
		inspect_finding(res, 1, "encrypted", member, "encrypted entries");
	ret = 0;
 fail:
	if (a != NULL)
		archive_read_free(a);
	if (src->outer != NULL)
		archive_read_free(src->outer);
	names_free(&names);
	free(src);
	return ret;
}

int
archive_inspect(const struct inspect_content *ic, int fd, uint64_t size,
    const struct inspect_stream *stream, const struct policy *p,
    const char *member, unsigned depth, struct inspect_result *res)
{
	struct arc_run run;
	locale_t utf8, old = (locale_t)0;
	int ret = -1;

	memset(&run, 0, sizeof(run));
	run.ic = ic;
	run.p = p;
	run.res = res;
	run.stream = stream;
	/* the upload's clock: the checks of members share it */
	inspect_clock(res, p->inspect_seconds);
	run.deadline = res->deadline;
	run.anc[0].size = size;
	run.anc[0].fd = fd;
	run.nanc = 1;
	if ((run.chunk = malloc(ARC_CHUNK)) == NULL ||
	    (run.prefix = malloc(TYPES_MAGIC_BYTES)) == NULL ||
	    (run.md = EVP_MD_CTX_new()) == NULL)
		goto fail;
	/* libarchive converts names to the thread's locale: make it UTF-8. */
	if ((utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0)) != (locale_t)0)
		old = uselocale(utf8);
	else
		log_warnx("%s: no C.UTF-8 locale: non-ASCII names will be refused", __func__);
	ret = archive_walk(&run, fd, size, stream, member, depth);
	if (utf8 != (locale_t)0) {
		uselocale(old);
		freelocale(utf8);
	}
	/* Streamed, a member's check that ran out of the clock (which ran
	 * while the bytes arrived) does not decide either. */
	if (stream != NULL && res->timed_out)
		run.need_file = 1;
	if (run.need_file) {
		res->need_file = 1;
		ret = 0;
		goto fail;
	}
	if (ret == -1)
		goto fail;
	res->is_archive = 1;
	res->members = run.lines;
	free(res->manifest);
	res->manifest = run.man;
	res->manifest_len = run.manlen;
	run.man = NULL;
	util_sha256(res->manifest != NULL ? res->manifest : "", res->manifest_len,
	    res->manifest_sha256);
 fail:
	free(run.man);
	free(run.chunk);
	free(run.prefix);
	EVP_MD_CTX_free(run.md);
	return ret;
}
