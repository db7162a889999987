/*
 * inspect/zipcd.c: a bounded zip central-directory reader that cross-checks
 * every entry against its local header (see zipcd.h).
 *
 * Why our own code and not only libarchive: zip parsers disagree. A
 * streaming reader believes local headers, a seeking one the central
 * directory, and libarchive silently merges central-directory entries that
 * share an offset. Hostile zips live in those gaps: overlapping entries (the
 * non-recursive zip bomb), a second archive hidden before or after the one a
 * reader sees, a local name that differs from the central one. So the
 * inspector reads the structure a second, independent way, and any
 * disagreement is a finding.
 *
 * Runs in the inspector; reads with pread through two fixed windows (the
 * central directory walks forward, local headers jump), never decompresses,
 * allocates one 24-byte record per entry (count bounded by the caller's
 * limit and by the directory's size). Depends on libc and lib/utf8.c (a
 * libc-only leaf) only.
 */
#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect/zipcd.h"
#include "lib/utf8.h"

#define ZIPCD_WINDOW     (256 * 1024) /* one pread; holds any header: 46 + 3 * 65535 bytes */
#define ZIPCD_EOCD_LEN   22           /* end of central directory record, no comment */
#define ZIPCD_COMMENT_MAX 65535       /* the end record's comment length is 16 bits */
#define ZIPCD_LOC64_LEN  20           /* ZIP64 end of central directory locator */
#define ZIPCD_EOCD64_LEN 56           /* ZIP64 end record, fixed part */
#define ZIPCD_CDH_LEN    46           /* central directory header, fixed part */
#define ZIPCD_LFH_LEN    30           /* local file header, fixed part */
#define ZIPCD_DD_MAX     24           /* data descriptor: signature, CRC, two 64-bit sizes */
#define ZIPCD_REPORT_MAX 64           /* findings reported before the check gives up */
#define ZIPCD_NAME_BUF   65536        /* a name is at most 65535 bytes, plus NUL */
#define ZIPCD_EOCD_SEEN  16           /* end-record candidates remembered */

#define SIG_LFH    0x04034b50u
#define SIG_CDH    0x02014b50u
#define SIG_EOCD   0x06054b50u
#define SIG_LOC64  0x07064b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_DD     0x08074b50u

#define EXTRA_ZIP64 0x0001
#define EXTRA_UPATH 0x7075      /* Info-ZIP Unicode Path: readers disagree on using it */

#define FLAG_ENCRYPTED  0x0001
#define FLAG_DESCRIPTOR 0x0008
#define FLAG_STRONG     0x0040
#define FLAG_UTF8       0x0800
#define FLAG_MASKED     0x2000  /* central directory encryption masks local values */
/* Flag bits that change how an entry is read or named; the others (deflate
 * level hints, reserved bits) may differ between the two headers. */
#define FLAG_COMPARED (FLAG_ENCRYPTED | FLAG_DESCRIPTOR | FLAG_STRONG | FLAG_UTF8 | FLAG_MASKED)

struct zwin {
	uint8_t  *buf;
	uint64_t  off;
	size_t    len;
};

struct zrange {
	uint64_t start;   /* local header offset */
	uint64_t end;     /* end of data (and data descriptor) */
	uint64_t cdoff;   /* its central-directory header, to name it in findings */
};

struct zipcd {
	int              fd;
	uint64_t         size;
	struct zwin      cd, loc;
	zipcd_report_fn *report;
	void            *arg;
	int              nreport;
	int              neocd;        /* end records that parse */
	uint64_t         eocd_pos[ZIPCD_EOCD_SEEN]; /* where the first of them are */
	size_t           winsz;        /* window size: ZIPCD_WINDOW, or the file's if smaller */
	char            *name;         /* ZIPCD_NAME_BUF, allocated by the first report */
};

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Points *OUT at LEN bytes of the file at OFF through window W. Returns 0,
 * 1 if the range is not inside the file, -1 on a read error. */
static int
zwin_get(struct zipcd *z, struct zwin *w, uint64_t off, size_t len, const uint8_t **out)
{
	size_t want, got = 0;
	ssize_t n;

	if (len > z->winsz || off > z->size || len > z->size - off)
		return 1;
	if (w->len > 0 && off >= w->off && off - w->off <= w->len &&
	    len <= w->len - (off - w->off)) {
		*out = w->buf + (off - w->off);
		return 0;
	}
	want = z->size - off < z->winsz ? (size_t)(z->size - off) : z->winsz;
	w->len = 0;
	while (got < want) {
		n = pread(z->fd, w->buf + got, want - got, (off_t)(off + got));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < len)
		return -1;   /* the file is shorter than it said, or unreadable */
	w->off = off;
	w->len = got;
	*out = w->buf;
	return 0;
}

static void __attribute__((format(printf, 5, 6)))
zipcd_report(struct zipcd *z, const char *code, const uint8_t *name, size_t nlen,
    const char *fmt, ...)
{
	char detail[256];
	va_list ap;

	if (z->nreport >= ZIPCD_REPORT_MAX)
		return;
	if (z->report == NULL) {       /* a probe: count only */
		z->nreport++;
		return;
	}
	if (z->name == NULL && (z->name = malloc(ZIPCD_NAME_BUF)) == NULL) {
		/* out of memory: the finding still counts, without its name */
		nlen = 0;
		name = NULL;
	}
	if (nlen >= ZIPCD_NAME_BUF)
		nlen = ZIPCD_NAME_BUF - 1;
	if (nlen > 0)
		memcpy(z->name, name, nlen);
	if (z->name != NULL)
		z->name[nlen] = '\0';
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	z->report(z->arg, code, z->name != NULL ? z->name : "", detail);
	z->nreport++;
}

/* Finds extra field ID in X (LEN bytes). 0 found (*DATA, *DLEN), 1 absent.
 * A record that overruns the field ends the search (padding some writers
 * leave is not a record). */
static int
zip_extra(const uint8_t *x, size_t len, uint16_t id, const uint8_t **data, size_t *dlen)
{
	uint16_t hid, hsz;

	while (len >= 4) {
		hid = le16(x);
		hsz = le16(x + 2);
		if (hsz > len - 4)
			return 1;
		if (hid == id) {
			*data = x + 4;
			*dlen = hsz;
			return 0;
		}
		x += 4 + (size_t)hsz;
		len -= 4 + (size_t)hsz;
	}
	return 1;
}

/* Takes the next 64-bit value of a ZIP64 extra field. 0/-1. */
static int
zip64_next(const uint8_t **d, size_t *dlen, uint64_t *out)
{
	if (*dlen < 8)
		return -1;
	*out = le64(*d);
	*d += 8;
	*dlen -= 8;
	return 0;
}

/* Whether the ASCII bytes of A and B, in order, are the same. */
static int
zip_ascii_same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t i = 0, j = 0;

	for (;;) {
		while (i < alen && a[i] >= 0x80)
			i++;
		while (j < blen && b[j] >= 0x80)
			j++;
		if (i == alen || j == blen)
			return i == alen && j == blen;
		if (a[i++] != b[j++])
			return 0;
	}
}

/* An Info-ZIP Unicode Path field in EXTRA must name the entry as its name
 * field does: libarchive, unzip and 7-Zip read the field, Python, Go and
 * Java the name, so a difference is two archives in one. A legacy (not
 * UTF-8) name may differ from the field in its non-ASCII bytes only.
 * 0 agrees or absent, 1 reported. */
static int
zip_upath_check(struct zipcd *z, const uint8_t *name, uint16_t nlen, const uint8_t *x,
    size_t xlen, const char *where)
{
	const uint8_t *d;
	size_t dlen;

	if (zip_extra(x, xlen, EXTRA_UPATH, &d, &dlen) != 0 || dlen < 5 || d[0] != 1)
		return 0;
	d += 5;     /* version, CRC-32 of the name field */
	dlen -= 5;
	if (utf8_valid(name, nlen) ? (dlen == nlen && memcmp(d, name, nlen) == 0) :
	    zip_ascii_same(name, nlen, d, dlen))
		return 0;
	zipcd_report(z, "zip-cd-mismatch", name, nlen,
	    "the %s Unicode path field names the entry differently", where);
	return 1;
}

struct zeocd {
	uint64_t pos;        /* of the end record */
	uint64_t end;        /* after its comment */
	uint64_t cd_off, cd_size, entries;
	uint64_t cd_end;     /* where the central directory must end */
};

/* Whether an end record at POS (bytes P) parses; fills E. */
static int
zip_eocd_parse(struct zipcd *z, uint64_t pos, const uint8_t *p, struct zeocd *e)
{
	uint16_t disk = le16(p + 4), cd_disk = le16(p + 6);
	uint16_t n_disk = le16(p + 8), n_total = le16(p + 10);
	uint32_t cd_size = le32(p + 12), cd_off = le32(p + 16);
	uint16_t clen = le16(p + 20);
	int z64;

	if (pos + ZIPCD_EOCD_LEN + clen > z->size)
		return 0;
	z64 = disk == 0xffff || cd_disk == 0xffff || n_disk == 0xffff ||
	    n_total == 0xffff || cd_size == 0xffffffffu || cd_off == 0xffffffffu;
	if (!z64 && (disk != 0 || cd_disk != 0 || n_disk != n_total ||
	    (uint64_t)cd_off + cd_size > pos))
		return 0;
	e->pos = pos;
	e->end = pos + ZIPCD_EOCD_LEN + clen;
	e->cd_off = cd_off;
	e->cd_size = cd_size;
	e->entries = n_total;
	e->cd_end = pos;
	return 1;
}

/* Finds exactly one end record in the last 64 KiB + 22 bytes and, when a
 * ZIP64 locator precedes it, reads the ZIP64 record. 0 found, 1 not usable
 * (reported), -1 read error. */
static int
zip_eocd_find(struct zipcd *z, struct zeocd *e)
{
	struct zeocd cand, exact, last;
	const uint8_t *tail, *p;
	uint64_t tlen, base, i, rec;
	int nparse = 0, have_exact = 0, r;

	if (z->size < ZIPCD_EOCD_LEN) {
		zipcd_report(z, "zip-bad-cd", NULL, 0, "no end of central directory record");
		return 1;
	}
	tlen = z->size < ZIPCD_EOCD_LEN + ZIPCD_COMMENT_MAX ? z->size :
	    ZIPCD_EOCD_LEN + ZIPCD_COMMENT_MAX;
	base = z->size - tlen;
	if ((r = zwin_get(z, &z->cd, base, (size_t)tlen, &tail)) != 0)
		return -1;
	memset(&last, 0, sizeof(last));
	memset(&exact, 0, sizeof(exact));
	for (i = tlen - ZIPCD_EOCD_LEN + 1; i-- > 0; ) {
		if (le32(tail + i) != SIG_EOCD || !zip_eocd_parse(z, base + i, tail + i, &cand))
			continue;
		if (nparse < ZIPCD_EOCD_SEEN)
			z->eocd_pos[nparse] = cand.pos;
		if (nparse++ == 0)
			last = cand;
		if (!have_exact && cand.end == z->size) {
			exact = cand;
			have_exact = 1;
		}
	}
	z->neocd = nparse;
	if (nparse == 0) {
		zipcd_report(z, "zip-bad-cd", NULL, 0, "no end of central directory record");
		return 1;
	}
	*e = have_exact ? exact : last;
	if (e->end < z->size)
		zipcd_report(z, "zip-trailing", NULL, 0,
		    "%" PRIu64 " bytes after the end of central directory record",
		    z->size - e->end);

	/* ZIP64: a locator just before the end record points at the real one. */
	if (e->pos < ZIPCD_LOC64_LEN || zwin_get(z, &z->cd, e->pos - ZIPCD_LOC64_LEN,
	    ZIPCD_LOC64_LEN, &p) != 0 || le32(p) != SIG_LOC64) {
		if (e->cd_off == 0xffffffffu || e->cd_size == 0xffffffffu ||
		    e->entries == 0xffff) {
			zipcd_report(z, "zip-bad-cd", NULL, 0,
			    "ZIP64 values without a ZIP64 locator");
			return 1;
		}
		return 0;
	}
	rec = le64(p + 8);
	if (le32(p + 4) != 0 || le32(p + 16) > 1 || rec > e->pos - ZIPCD_LOC64_LEN ||
	    e->pos - ZIPCD_LOC64_LEN - rec < ZIPCD_EOCD64_LEN) {
		zipcd_report(z, "zip-bad-cd", NULL, 0, "bad ZIP64 end of central directory locator");
		return 1;
	}
	if ((r = zwin_get(z, &z->cd, rec, ZIPCD_EOCD64_LEN, &p)) != 0)
		return r == 1 ? 1 : -1;
	if (le32(p) != SIG_EOCD64 || le64(p + 4) != e->pos - ZIPCD_LOC64_LEN - rec - 12 ||
	    le32(p + 16) != 0 || le32(p + 20) != 0 || le64(p + 24) != le64(p + 32)) {
		zipcd_report(z, "zip-bad-cd", NULL, 0, "bad ZIP64 end of central directory record");
		return 1;
	}
	e->entries = le64(p + 32);
	e->cd_size = le64(p + 40);
	e->cd_off = le64(p + 48);
	e->cd_end = rec;
	return 0;
}

/* Another end record that parses, at or after the central directory of the
 * one we use (in the directory, the comment or after it), means a second
 * archive that other readers may see instead. End records before the
 * directory lie inside member data (a stored zip of zips is normal
 * evidence) or in bytes that zip-prefix and zip-gap already report. */
static void
zip_eocd_others(struct zipcd *z, const struct zeocd *e)
{
	int n = z->neocd < ZIPCD_EOCD_SEEN ? z->neocd : ZIPCD_EOCD_SEEN, others = 0;

	for (int i = 0; i < n; i++)
		if (z->eocd_pos[i] != e->pos && z->eocd_pos[i] >= e->cd_off)
			others++;
	if (others > 0 || z->neocd > ZIPCD_EOCD_SEEN)
		zipcd_report(z, "zip-multiple-eocd", NULL, 0,
		    "%d end of central directory records (concatenated or hidden archives)",
		    z->neocd);
}

/* Reads the data descriptor after an entry's data at OFF and checks it
 * against the central values; *LEN is its length. Both the 32-bit and the
 * ZIP64 form are tried (writers disagree on when to use which). 0 agrees,
 * 1 disagrees, -1 read error. */
static int
zip_descriptor(struct zipcd *z, uint64_t off, uint32_t crc, uint64_t csize,
    uint64_t usize, uint64_t *len)
{
	const uint8_t *p;
	size_t avail, sig;
	int r;

	avail = z->size - off < ZIPCD_DD_MAX ? (size_t)(z->size - off) : ZIPCD_DD_MAX;
	if ((r = zwin_get(z, &z->loc, off, avail, &p)) != 0)
		return r == 1 ? 1 : -1;
	sig = avail >= 4 && le32(p) == SIG_DD ? 4 : 0;
	if (avail >= sig + 12 && le32(p + sig) == crc && le32(p + sig + 4) == csize &&
	    le32(p + sig + 8) == usize) {
		*len = sig + 12;
		return 0;
	}
	if (avail >= sig + 20 && le32(p + sig) == crc && le64(p + sig + 4) == csize &&
	    le64(p + sig + 12) == usize) {
		*len = sig + 20;
		return 0;
	}
	return 1;
}

/* Cross-checks the local header of one central entry; fills R. 0 checked
 * (findings reported), 1 stop (reported), -1 read error. */
static int
zip_entry_local(struct zipcd *z, const struct zeocd *e, const uint8_t *name,
    uint16_t nlen, uint16_t flags, uint16_t method, uint32_t crc, uint64_t csize,
    uint64_t usize, uint64_t lho, struct zrange *rg)
{
	const uint8_t *p, *x, *d;
	uint16_t lflags, lmethod, lnlen, lxlen;
	uint32_t lcrc;
	uint64_t lcsize, lusize, data, ddlen = 0;
	size_t dlen;
	int r, mismatch = 0;

	if (lho > e->cd_off || e->cd_off - lho < ZIPCD_LFH_LEN) {
		zipcd_report(z, "zip-bad-cd", name, nlen,
		    "local header offset %" PRIu64 " is not before the central directory", lho);
		return 1;
	}
	if ((r = zwin_get(z, &z->loc, lho, ZIPCD_LFH_LEN, &p)) != 0)
		return r == 1 ? 1 : -1;
	if (le32(p) != SIG_LFH) {
		zipcd_report(z, "zip-cd-mismatch", name, nlen,
		    "no local header at offset %" PRIu64, lho);
		return 0;
	}
	lflags = le16(p + 6);
	lmethod = le16(p + 8);
	lcrc = le32(p + 14);
	lcsize = le32(p + 18);
	lusize = le32(p + 22);
	lnlen = le16(p + 26);
	lxlen = le16(p + 28);
	data = lho + ZIPCD_LFH_LEN + lnlen + lxlen;
	if (data > e->cd_off) {
		zipcd_report(z, "zip-overlap", name, nlen,
		    "local header at %" PRIu64 " runs into the central directory", lho);
		return 0;
	}
	if ((r = zwin_get(z, &z->loc, lho + ZIPCD_LFH_LEN, (size_t)lnlen + lxlen, &p)) != 0)
		return r == 1 ? 1 : -1;
	/* Report the first disagreement only, but keep going: the entry's
	 * range still counts for overlaps. */
	if (lnlen != nlen || memcmp(p, name, nlen) != 0) {
		zipcd_report(z, "zip-cd-mismatch", name, nlen,
		    "the local header names the entry differently");
		mismatch = 1;
	}
	x = p + lnlen;
	if (!mismatch && zip_upath_check(z, p, lnlen, x, lxlen, "local"))
		mismatch = 1;
	if ((lusize == 0xffffffffu || lcsize == 0xffffffffu) &&
	    zip_extra(x, lxlen, EXTRA_ZIP64, &d, &dlen) == 0) {
		/* The local ZIP64 field holds both sizes, or only the large ones. */
		if (dlen >= 16) {
			lusize = le64(d);
			lcsize = le64(d + 8);
		} else if ((lusize == 0xffffffffu && zip64_next(&d, &dlen, &lusize) == -1) ||
		    (lcsize == 0xffffffffu && zip64_next(&d, &dlen, &lcsize) == -1)) {
			if (!mismatch++)
				zipcd_report(z, "zip-cd-mismatch", name, nlen,
				    "short ZIP64 field in the local header");
		}
	}
	if (((lflags & FLAG_COMPARED) != (flags & FLAG_COMPARED) || lmethod != method) &&
	    !mismatch++)
		zipcd_report(z, "zip-cd-mismatch", name, nlen,
		    "local header flags %#x method %u, central %#x method %u",
		    lflags, lmethod, flags, method);
	if (flags & FLAG_MASKED) {
		zipcd_report(z, "encrypted", name, nlen, "central directory encryption");
		return 0;
	}
	/* With a data descriptor, each local value may be zero (bsdtar, for
	 * one, writes the uncompressed size but not the compressed one). */
	if (!((flags & FLAG_DESCRIPTOR) && lcrc == 0) && lcrc != crc && !mismatch++)
		zipcd_report(z, "zip-cd-mismatch", name, nlen,
		    "local CRC %08" PRIx32 ", central %08" PRIx32, lcrc, crc);
	if ((!((flags & FLAG_DESCRIPTOR) && lcsize == 0) && lcsize != csize) ||
	    (!((flags & FLAG_DESCRIPTOR) && lusize == 0) && lusize != usize)) {
		if (!mismatch++)
			zipcd_report(z, "zip-cd-mismatch", name, nlen,
			    "local sizes %" PRIu64 "/%" PRIu64 ", central %" PRIu64 "/%" PRIu64,
			    lcsize, lusize, csize, usize);
	}
	if (csize > e->cd_off - data) {
		zipcd_report(z, "zip-overlap", name, nlen,
		    "data of %" PRIu64 " bytes runs into the central directory", csize);
		return 0;
	}
	if (flags & FLAG_DESCRIPTOR) {
		if ((r = zip_descriptor(z, data + csize, crc, csize, usize, &ddlen)) == -1)
			return -1;
		if (r == 1 && !mismatch++)
			zipcd_report(z, "zip-cd-mismatch", name, nlen,
			    "the data descriptor disagrees with the central directory");
	}
	rg->start = lho;
	rg->end = data + csize + ddlen;
	return 0;
}

static int
zrange_cmp(const void *a, const void *b)
{
	const struct zrange *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* Names range RG's entry in a finding (re-reads its central header). */
static void
zip_range_report(struct zipcd *z, const struct zrange *rg, const char *code,
    const char *detail)
{
	const uint8_t *p;
	uint16_t nlen;

	if (zwin_get(z, &z->cd, rg->cdoff, ZIPCD_CDH_LEN, &p) != 0)
		return;
	nlen = le16(p + 28);
	if (zwin_get(z, &z->cd, rg->cdoff + ZIPCD_CDH_LEN, nlen, &p) != 0)
		return;
	zipcd_report(z, code, p, nlen, "%s", detail);
}

/* The ranges sorted by offset must tile [0, cd_off) exactly. */
static void
zip_ranges_check(struct zipcd *z, const struct zeocd *e, struct zrange *rg, size_t n)
{
	uint64_t end = 0;
	char detail[128];
	size_t i;

	if (n > 0)
		qsort(rg, n, sizeof(*rg), zrange_cmp);
	if (n == 0 ? e->cd_off > 0 : rg[0].start > 0) {
		zipcd_report(z, "zip-prefix", NULL, 0,
		    "%" PRIu64 " bytes before the first entry (a prepended stub or archive)",
		    n == 0 ? e->cd_off : rg[0].start);
	}
	if (n > 0)
		end = rg[0].start;
	for (i = 0; i < n; i++) {
		if (rg[i].start < end) {
			snprintf(detail, sizeof(detail), "entry at %" PRIu64
			    " overlaps the previous one (ending at %" PRIu64 ")", rg[i].start, end);
			zip_range_report(z, &rg[i], "zip-overlap", detail);
		} else if (rg[i].start > end) {
			snprintf(detail, sizeof(detail), "%" PRIu64
			    " unlisted bytes before this entry", rg[i].start - end);
			zip_range_report(z, &rg[i], "zip-gap", detail);
		}
		if (rg[i].end > end)
			end = rg[i].end;
	}
	if (n > 0 && end < e->cd_off)
		zipcd_report(z, "zip-gap", NULL, 0, "%" PRIu64
		    " unlisted bytes before the central directory", e->cd_off - end);
}

/* Walks the central directory. 0 done, -1 read or memory error. */
static int
zip_cd_walk(struct zipcd *z, const struct zeocd *e, uint64_t max_entries)
{
	struct zrange *rg = NULL;
	const uint8_t *p, *name, *d;
	uint64_t off, i, csize, usize, lho, cd_end;
	uint32_t crc;
	uint16_t flags, method, nlen, xlen, clen, disk;
	size_t n = 0, dlen;
	int r, ret = -1;

	if (e->entries > max_entries) {
		zipcd_report(z, "too-many-members", NULL, 0,
		    "%" PRIu64 " entries, over the limit of %" PRIu64, e->entries, max_entries);
		return 0;
	}
	if (e->cd_off > z->size || e->cd_size > z->size - e->cd_off ||
	    e->cd_off + e->cd_size > e->cd_end) {
		zipcd_report(z, "zip-bad-cd", NULL, 0, "central directory outside the file");
		return 0;
	}
	if (e->cd_off + e->cd_size < e->cd_end) {
		if (e->cd_size <= e->cd_end && e->cd_off < e->cd_end - e->cd_size)
			zipcd_report(z, "zip-prefix", NULL, 0, "central directory %" PRIu64
			    " bytes later than recorded (data before the archive)",
			    e->cd_end - e->cd_size - e->cd_off);
		else
			zipcd_report(z, "zip-bad-cd", NULL, 0,
			    "central directory does not end at the end record");
		return 0;
	}
	if (e->entries > e->cd_size / ZIPCD_CDH_LEN) {
		zipcd_report(z, "zip-bad-cd", NULL, 0,
		    "%" PRIu64 " entries cannot fit a %" PRIu64 "-byte central directory",
		    e->entries, e->cd_size);
		return 0;
	}
	if (e->entries > 0 && (rg = calloc((size_t)e->entries, sizeof(*rg))) == NULL)
		return -1;
	cd_end = e->cd_off + e->cd_size;
	off = e->cd_off;
	for (i = 0; i < e->entries && z->nreport < ZIPCD_REPORT_MAX; i++) {
		if (cd_end - off < ZIPCD_CDH_LEN ||
		    (r = zwin_get(z, &z->cd, off, ZIPCD_CDH_LEN, &p)) == 1 ||
		    le32(p) != SIG_CDH) {
			zipcd_report(z, "zip-bad-cd", NULL, 0,
			    "central directory entry %" PRIu64 " is missing", i);
			goto done;
		}
		if (r == -1)
			goto fail;
		flags = le16(p + 8);
		method = le16(p + 10);
		crc = le32(p + 16);
		csize = le32(p + 20);
		usize = le32(p + 24);
		nlen = le16(p + 28);
		xlen = le16(p + 30);
		clen = le16(p + 32);
		disk = le16(p + 34);
		lho = le32(p + 42);
		if (cd_end - off - ZIPCD_CDH_LEN < (uint64_t)nlen + xlen + clen) {
			zipcd_report(z, "zip-bad-cd", NULL, 0,
			    "central directory entry %" PRIu64 " runs past its end", i);
			goto done;
		}
		if ((r = zwin_get(z, &z->cd, off + ZIPCD_CDH_LEN, (size_t)nlen + xlen, &p)) != 0) {
			if (r == -1)
				goto fail;
			zipcd_report(z, "zip-bad-cd", NULL, 0, "short central directory");
			goto done;
		}
		name = p;
		if (usize == 0xffffffffu || csize == 0xffffffffu || lho == 0xffffffffu ||
		    disk == 0xffff) {
			if (zip_extra(p + nlen, xlen, EXTRA_ZIP64, &d, &dlen) != 0 ||
			    (usize == 0xffffffffu && zip64_next(&d, &dlen, &usize) == -1) ||
			    (csize == 0xffffffffu && zip64_next(&d, &dlen, &csize) == -1) ||
			    (lho == 0xffffffffu && zip64_next(&d, &dlen, &lho) == -1) ||
			    (disk == 0xffff && (dlen < 4 || (disk = (uint16_t)le32(d)) != 0))) {
				zipcd_report(z, "zip-bad-cd", name, nlen,
				    "missing or short ZIP64 field");
				goto next;
			}
		}
		if (disk != 0) {
			zipcd_report(z, "zip-bad-cd", name, nlen, "entry on disk %u", disk);
			goto next;
		}
		(void)zip_upath_check(z, name, nlen, name + nlen, xlen, "central");
		/* NAME stays valid: the local check reads through its own window. */
		rg[n].cdoff = off;
		r = zip_entry_local(z, e, name, nlen, flags, method, crc, csize, usize,
		    lho, &rg[n]);
		if (r == -1)
			goto fail;
		if (r == 1)
			goto done;
		if (rg[n].end > 0)
			n++;
 next:
		off += ZIPCD_CDH_LEN + (uint64_t)nlen + xlen + clen;
	}
	if (i == e->entries && off != cd_end)
		zipcd_report(z, "zip-bad-cd", NULL, 0, "%" PRIu64
		    " bytes of the central directory are not in any entry", cd_end - off);
	zip_ranges_check(z, e, rg, n);
 done:
	ret = 0;
 fail:
	free(rg);
	return ret;
}

int
zipcd_probe(int fd, uint64_t size)
{
	struct zipcd *z;
	struct zeocd e;
	int ret = -1;

	if ((z = calloc(1, sizeof(*z))) == NULL)
		return -1;
	z->fd = fd;
	z->size = size;
	z->winsz = size > 0 && size < ZIPCD_WINDOW ? (size_t)size : ZIPCD_WINDOW;
	if ((z->cd.buf = malloc(z->winsz)) == NULL)
		goto fail;
	if (zip_eocd_find(z, &e) == -1)
		goto fail;
	ret = z->neocd > 0;
 fail:
	free(z->cd.buf);
	free(z);
	return ret;
}

int
zipcd_check(int fd, uint64_t size, uint64_t max_entries, zipcd_report_fn *report,
    void *arg)
{
	struct zipcd *z;
	struct zeocd e;
	int r, ret = -1;

	if ((z = calloc(1, sizeof(*z))) == NULL)
		return -1;
	z->fd = fd;
	z->size = size;
	z->report = report;
	z->arg = arg;
	z->winsz = size > 0 && size < ZIPCD_WINDOW ? (size_t)size : ZIPCD_WINDOW;
	if ((z->cd.buf = malloc(z->winsz)) == NULL ||
	    (z->loc.buf = malloc(z->winsz)) == NULL)
		goto fail;
	if ((r = zip_eocd_find(z, &e)) == -1)
		goto fail;
	if (r == 0)
		zip_eocd_others(z, &e);
	if (r == 0 && zip_cd_walk(z, &e, max_entries) == -1)
		goto fail;
	ret = z->nreport;
 fail:
	free(z->cd.buf);
	free(z->loc.buf);
	free(z->name);
	free(z);
	return ret;
}
