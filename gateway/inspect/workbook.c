/*
 * inspect/workbook.c: see workbook.h. The .xlsx is read in passes over the
 * zip (each pass walks the central directory and inflates only the parts it
 * wants): (1) xl/workbook.xml and xl/_rels/workbook.xml.rels (sheet names,
 * their parts, the shared strings and styles parts, the 1904 date system),
 * (2) sharedStrings and styles, (3) one pass per sheet tried, stopping at
 * row 21 when no header row was found (workbook_read_sheet: one pass over
 * the only sheet, every cell to its callbacks). A part named twice is an
 * error.
 *
 * Cell text as Excel displays it, best effort: shared strings and inline
 * strings (rich-text runs concatenated, phonetic runs left out, _xHHHH_
 * escapes decoded), t="str"/"e"/"d" as written, booleans TRUE/FALSE,
 * numbers without a trailing ".0" (15 significant digits otherwise), and a
 * number whose cell format is a date (built-in formats 14-17, 22, 27-36,
 * 50-58, or a custom format with y or d) as YYYY-MM-DD (a date-time format
 * adds " HH:MM[:SS]" when the time is not midnight; time formats 18-21,
 * 45-47 or custom with h or s give HH:MM[:SS]). Text fields are trimmed and
 * control characters become spaces.
 *
 * Rows: after the header row, each row whose reference cell is not empty
 * (and is not the header repeated) is one workbook_ref; blank rows and rows
 * without a reference are skipped and end nothing. More than the policy's
 * workbook_rows references, a reference over WB_REF_MAX bytes or a file
 * name over 255 bytes is an error (the row cannot be kept faithfully);
 * obligation and description are cut to their fields. A hash cell of 64
 * hex digits is kept lowercased; anything else is kept as given (cut below
 * 64 bytes) and can only mismatch. Part names are fixed where Excel puts
 * them (xl/workbook.xml and its relationships); the other parts are found
 * through those relationships (targets relative to xl/, or absolute).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <archive.h>
#include <archive_entry.h>

#include "inspect/workbook.h"
#include "inspect/xml.h"
#include "lib/util.h"

#define WB_HEADER_ROWS    20        /* the header row is one of rows 1..20 */
#define WB_SHEETS_MAX     256       /* sheets listed in workbook.xml */
#define WB_RELS_MAX       4096      /* relationships of workbook.xml */
#define WB_ID_MAX         64        /* relationship id (rId12) */
#define WB_NAME_MAX       256       /* sheet name bytes kept (Excel allows 31 characters) */
#define WB_PATH_MAX       1024      /* part name bytes */
#define WB_CELL_MAX       4096      /* bytes of text kept per cell or shared string */
#define WB_SST_MAX        (1u << 22) /* shared strings */
#define WB_XF_MAX         65536     /* cell formats (styles.xml cellXfs; Excel's limit is 64000) */
#define WB_NUMFMT_MAX     4096      /* custom number formats */
#define WB_COLS_MAX       16384     /* column XFD */
#define WB_ROW_NUM_MAX    1048576   /* last row of a sheet */
#define WB_CELLS_MAX      (1u << 22) /* cells read per sheet */
#define WB_XML_BUDGET     8         /* XML read in all, in multiples of xml_part_max */
#define WB_MEMBERS_DEFAULT 10000
#define WB_DEPTH_DEFAULT  256
#define WB_PART_DEFAULT   (64u << 20)
#define WB_DATE_SERIAL_MAX 2958465.0 /* 9999-12-31 */

/* Column roles and their header texts (compared lowercased without spaces). */
enum wb_role { ROLE_REF, ROLE_FILE, ROLE_HASH, ROLE_OBLIGATION, ROLE_DESC, ROLE_N };
static const char *const wb_synonyms[ROLE_N][5] = {
	[ROLE_REF]        = { "Evidence Ref", "Evidence Reference", "Reference", "Ref", NULL },
	[ROLE_FILE]       = { "File Name", "Filename", "Document", "File", NULL },
	[ROLE_HASH]       = { "SHA-256", "SHA256", "Hash", NULL },
	[ROLE_OBLIGATION] = { "SEC Obligation", "Obligation", "Clause", NULL },
	[ROLE_DESC]       = { "Description", NULL },
};
static const char *const wb_tab_names[] = WORKBOOK_TAB_NAMES;

/* Elements we act on; everything else is EL_OTHER. */
enum wb_el {
	EL_OTHER, EL_SHEETDATA, EL_ROW, EL_C, EL_V, EL_F, EL_IS, EL_T, EL_R, EL_RPH,
	EL_SST, EL_SI, EL_NUMFMTS, EL_NUMFMT, EL_CELLXFS, EL_XF, EL_WORKBOOKPR,
	EL_SHEETS, EL_SHEET, EL_RELATIONSHIP,
};
static const struct { const char *name; enum wb_el el; } wb_elements[] = {
	{ "sheetData", EL_SHEETDATA }, { "row", EL_ROW }, { "c", EL_C }, { "v", EL_V },
	{ "f", EL_F },
	{ "is", EL_IS }, { "t", EL_T }, { "r", EL_R }, { "rPh", EL_RPH },
	{ "sst", EL_SST }, { "si", EL_SI }, { "numFmts", EL_NUMFMTS },
	{ "numFmt", EL_NUMFMT }, { "cellXfs", EL_CELLXFS }, { "xf", EL_XF },
	{ "workbookPr", EL_WORKBOOKPR }, { "sheets", EL_SHEETS }, { "sheet", EL_SHEET },
	{ "Relationship", EL_RELATIONSHIP },
};

enum wb_part { PART_WORKBOOK, PART_RELS, PART_SST, PART_STYLES, PART_SHEET };
static const char *const wb_part_names[] = {
	[PART_WORKBOOK] = "workbook", [PART_RELS] = "workbook relationships",
	[PART_SST] = "shared strings", [PART_STYLES] = "styles", [PART_SHEET] = "sheet",
};

enum wb_reltype { REL_OTHER, REL_WORKSHEET, REL_SST, REL_STYLES };

#define FMT_DATE 1
#define FMT_TIME 2

struct wb_sheetref {
	char name[WB_NAME_MAX];
	char rid[WB_ID_MAX];
	char path[WB_PATH_MAX];   /* "" when not a worksheet */
	int  tried;
};

struct wb_rel {
	char id[WB_ID_MAX];
	enum wb_reltype type;
	char path[WB_PATH_MAX];
};

struct wb_text {
	char   s[WB_CELL_MAX + 1];
	size_t len;
};

/* The sheet being read. */
struct wb_sheet {
	uint32_t row;                  /* current row number, 1-based */
	uint32_t col;                  /* current cell's column, 1-based */
	uint32_t prev_col;
	uint64_t cells;
	char     type[16];             /* the cell's t attribute */
	uint32_t style;                /* the cell's s attribute */
	int      formula;              /* the cell has an <f> */
	int      in_row;
	struct wb_text v, is;
	uint32_t header_row;           /* 0 until found */
	uint32_t col_of[ROLE_N];       /* header: column of each role, 0 none */
	uint32_t hcol[ROLE_N];         /* header candidate of the current row */
	struct wb_text val[ROLE_N];    /* the current row's values */
	const char *name;
};

struct wb {
	int                  fd;
	uint64_t             size;
	unsigned             rows_max, depth_max;
	uint64_t             part_max, budget, members_max;
	char                *why;
	size_t               whylen;
	int                  failed;   /* WHY holds the reason */
	int                  stop;     /* parsing stopped on purpose */

	/* the part being parsed */
	enum wb_part         part;
	const char          *partname;
	uint8_t             *stack;    /* element ids, depth_max + 1 */
	unsigned             depth;

	/* workbook.xml and its relationships */
	int                  date1904;
	struct wb_sheetref  *sheets;
	size_t               nsheets, sheetcap;
	struct wb_rel       *rels;
	size_t               nrels, relcap;
	char                 sst_path[WB_PATH_MAX];
	char                 styles_path[WB_PATH_MAX];

	/* styles.xml */
	uint32_t            *xf_fmt;   /* numFmtId of each cellXfs entry */
	uint8_t             *xf_cls;   /* FMT_* of each */
	size_t               nxf, xfcap;
	struct wb_numfmt { uint32_t id; uint8_t cls; } *fmts;
	size_t               nfmts, fmtcap;

	/* sharedStrings.xml: strings in one pool, NUL-separated */
	char                *pool;
	size_t               poollen, poolcap;
	size_t              *sst;      /* offsets into pool */
	size_t               nsst, sstcap;
	struct wb_text       si;

	struct wb_sheet      sh;
	const struct workbook_sheet_cb *cb;  /* workbook_read_sheet: every cell, not the tab */
	char                 cell[WB_CELL_MAX + 1];  /* a cell's displayed text */
	struct workbook_refs *out;
	size_t               cap;      /* rows allocated in out->v */
};

static void wb_fail(struct wb *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records the first reason; the XML handlers then return -1 (stop). */
static void
wb_fail(struct wb *w, const char *fmt, ...)
{
	va_list ap;

	if (!w->failed) {
		va_start(ap, fmt);
		vsnprintf(w->why, w->whylen, fmt, ap);
		va_end(ap);
		w->failed = 1;
	}
}

/* Room for element N of array V (*CAP allocated, at most MAX of SIZE
 * bytes): V or its new place, or NULL (WHY set; V is still valid). */
static void *
wb_grow(struct wb *w, void *v, size_t n, size_t *cap, size_t max, size_t size,
    const char *what)
{
	size_t c;
	void *nv;

	if (n < *cap)
		return v;
	if (n >= max) {
		wb_fail(w, "more than %zu %s", max, what);
		return NULL;
	}
	c = *cap ? *cap * 2 : 16;
	if (c > max)
		c = max;
	if ((nv = reallocarray(v, c, size)) == NULL) {
		wb_fail(w, "out of memory");
		return NULL;
	}
	*cap = c;
	return nv;
}

/* --- text helpers --- */

/* Cuts S (LEN bytes) back so that it does not end inside a UTF-8 sequence. */
static size_t
wb_utf8_whole(const char *s, size_t len)
{
	size_t i = len, need;
	unsigned char c;

	/* back over at most 3 continuation bytes to the lead byte */
	while (i > 0 && len - i < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
		i--;
	if (i == 0)
		return 0;
	c = (unsigned char)s[i - 1];
	if (c < 0x80)
		return len;
	need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	return len - (i - 1) >= need ? len : i - 1;
}

/* Copies SRC into DST (room DSTLEN) cut at a UTF-8 boundary. */
static void
wb_copy_cut(char *dst, size_t dstlen, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstlen)
		n = wb_utf8_whole(src, dstlen - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void
wb_text_add(struct wb_text *t, const char *s, size_t n)
{
	size_t room = WB_CELL_MAX - t->len;

	if (n > room)
		n = room;
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

/* Ends T at a whole UTF-8 character (it may have been cut at WB_CELL_MAX). */
static void
wb_text_end(struct wb_text *t)
{
	t->len = wb_utf8_whole(t->s, t->len);
	t->s[t->len] = '\0';
}

static void
wb_text_clear(struct wb_text *t)
{
	t->len = 0;
	t->s[0] = '\0';
}

/* Decodes OOXML's _xHHHH_ escapes in place (never grows the string). */
static void
wb_xdecode(char *s)
{
	char *r = s, *o = s;

	while (*r != '\0') {
		if (r[0] == '_' && r[1] == 'x' && util_hexval(r[2]) >= 0 &&
		    util_hexval(r[3]) >= 0 && util_hexval(r[4]) >= 0 && util_hexval(r[5]) >= 0 &&
		    r[6] == '_') {
			unsigned cp = (unsigned)(util_hexval(r[2]) << 12 | util_hexval(r[3]) << 8 |
			    util_hexval(r[4]) << 4 | util_hexval(r[5]));

			if (cp < 0xD800 || cp > 0xDFFF) {
				if (cp == 0)
					*o++ = ' ';
				else if (cp < 0x80)
					*o++ = (char)cp;
				else if (cp < 0x800) {
					*o++ = (char)(0xC0 | cp >> 6);
					*o++ = (char)(0x80 | (cp & 0x3F));
				} else {
					*o++ = (char)(0xE0 | cp >> 12);
					*o++ = (char)(0x80 | (cp >> 6 & 0x3F));
					*o++ = (char)(0x80 | (cp & 0x3F));
				}
				r += 7;
				continue;
			}
		}
		*o++ = *r++;
	}
	*o = '\0';
}

/* Control characters become spaces; leading and trailing white space goes. */
static void
wb_clean(char *s)
{
	size_t n, i = 0;

	for (char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		n--;
	while (i < n && s[i] == ' ')
		i++;
	memmove(s, s + i, n - i);
	s[n - i] = '\0';
}

/* Lowercased ASCII with white space (and U+00A0) removed, cut to OUTLEN. */
static void
wb_norm(const char *s, char *out, size_t outlen)
{
	size_t n = 0;

	for (; *s != '\0' && n + 1 < outlen; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == ' ' || (c >= '\t' && c <= '\r'))
			continue;
		if (c == 0xC2 && (unsigned char)s[1] == 0xA0) {
			s++;
			continue;
		}
		out[n++] = (char)tolower(c);
	}
	out[n] = '\0';
}

static int
wb_role_of(const char *text)
{
	char n[64], m[64];

	wb_norm(text, n, sizeof(n));
	if (n[0] == '\0')
		return -1;
	for (int r = 0; r < ROLE_N; r++)
		for (int i = 0; wb_synonyms[r][i] != NULL; i++) {
			wb_norm(wb_synonyms[r][i], m, sizeof(m));
			if (strcmp(n, m) == 0)
				return r;
		}
	return -1;
}

/* Strict decimal: digits only, no sign, value <= MAX. 0/-1. */
static int
wb_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

/* --- number formats --- */

static uint8_t
wb_builtin_class(uint32_t id)
{
	if ((id >= 14 && id <= 17) || (id >= 27 && id <= 36) || (id >= 50 && id <= 58))
		return FMT_DATE;
	if (id == 22)
		return FMT_DATE | FMT_TIME;
	if ((id >= 18 && id <= 21) || (id >= 45 && id <= 47))
		return FMT_TIME;
	return 0;
}

/* The class of a custom format code: its first section, literals skipped. */
static uint8_t
wb_code_class(const char *code)
{
	uint8_t cls = 0;

	for (const char *p = code; *p != '\0' && *p != ';'; p++) {
		switch (*p) {
		case '"':
			while (p[1] != '\0' && p[1] != '"')
				p++;
			if (p[1] == '"')
				p++;
			break;
		case '\\': case '_': case '*':
			if (p[1] != '\0')
				p++;
			break;
		case '[':
			/* [h], [mm], [ss] are elapsed time; [Red], [$-409] are not */
			if (p[1] == 'h' || p[1] == 'H' || p[1] == 's' || p[1] == 'S' ||
			    p[1] == 'm' || p[1] == 'M')
				cls |= FMT_TIME;
			while (p[1] != '\0' && p[1] != ']')
				p++;
			if (p[1] == ']')
				p++;
			break;
		default:
			switch (tolower((unsigned char)*p)) {
			case 'y': case 'd':
				cls |= FMT_DATE;
				break;
			case 'h': case 's':
				cls |= FMT_TIME;
				break;
			}
		}
	}
	return cls;
}

static uint8_t
wb_fmt_class(const struct wb *w, uint32_t id)
{
	for (size_t i = 0; i < w->nfmts; i++)
		if (w->fmts[i].id == id)
			return w->fmts[i].cls;
	return wb_builtin_class(id);
}

/* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm). */
static void
wb_civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	if (*m <= 2)
		(*y)++;
}

/* A serial date/time V as text by class CLS. 0, or -1 when out of range. */
static int
wb_serial_text(double v, uint8_t cls, int date1904, char *out, size_t outlen)
{
	int64_t days, y, secs;
	unsigned m, d;
	char date[16] = "", tm[16] = "";

	if (!(v >= 0 && v <= WB_DATE_SERIAL_MAX))
		return -1;
	days = (int64_t)floor(v);
	secs = llround((v - (double)days) * 86400.0);
	if (secs >= 86400) {
		days++;
		secs -= 86400;
	}
	if (cls & FMT_DATE) {
		if (date1904)
			wb_civil(days - 24107, &y, &m, &d);     /* 1904-01-01 is day -24107 */
		else if (days == 60) {
			y = 1900, m = 2, d = 29;                /* Excel's 1900 leap-year bug */
		} else
			wb_civil(days - (days < 60 ? 25568 : 25569), &y, &m, &d);
		snprintf(date, sizeof(date), "%04u-%02u-%02u", (unsigned)y % 10000, m % 13, d % 32);
	}
	if ((cls & FMT_TIME) && (secs != 0 || !(cls & FMT_DATE))) {
		unsigned hh = (unsigned)(secs / 3600) % 24, mm = (unsigned)(secs / 60) % 60,
		    ss = (unsigned)secs % 60;

		if (ss != 0)
			snprintf(tm, sizeof(tm), "%02u:%02u:%02u", hh, mm, ss);
		else
			snprintf(tm, sizeof(tm), "%02u:%02u", hh, mm);
	}
	snprintf(out, outlen, "%s%s%s", date, date[0] && tm[0] ? " " : "", tm);
	return 0;
}

/* A number cell's text: TXT as a number, a date by its style. */
static void
wb_number_text(const struct wb *w, const char *txt, uint32_t style, char *out, size_t outlen)
{
	char *end;
	double v;
	uint8_t cls = style < w->nxf ? w->xf_cls[style] : 0;

	errno = 0;
	v = strtod(txt, &end);
	if (end == txt || *end != '\0' || !isfinite(v)) {
		wb_copy_cut(out, outlen, txt);
		return;
	}
	if (cls != 0 && wb_serial_text(v, cls, w->date1904, out, outlen) == 0)
		return;
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(out, outlen, "%.0f", v == 0 ? 0.0 : v);
	else
		snprintf(out, outlen, "%.15g", v);
}

/* --- XML: element stack, handlers per part --- */

static enum wb_el
wb_el_of(const char *name)
{
	name = xml_local(name, 0);
	for (size_t i = 0; i < sizeof(wb_elements) / sizeof(wb_elements[0]); i++)
		if (strcmp(name, wb_elements[i].name) == 0)
			return wb_elements[i].el;
	return EL_OTHER;
}

/* The value of attribute NAME (its local name), or NULL. */
static const char *
wb_attr(const char **atts, const char *name)
{
	return xml_attr(atts, name, 0);
}

/* Element at depth-K (0: the current one), EL_OTHER beyond the root. */
static enum wb_el
wb_up(const struct wb *w, unsigned k)
{
	return w->depth > k ? (enum wb_el)w->stack[w->depth - 1 - k] : EL_OTHER;
}

/* Within <is> or <si>: text of <t> directly inside, or inside <r>. */
static int
wb_in_string_text(const struct wb *w, enum wb_el container)
{
	if (wb_up(w, 0) != EL_T)
		return 0;
	return wb_up(w, 1) == container || (wb_up(w, 1) == EL_R && wb_up(w, 2) == container);
}

/* Resolves a relationship target against xl/ into OUT. 0/-1. */
static int
wb_resolve(const char *target, char *out, size_t outlen)
{
	char tmp[WB_PATH_MAX];
	size_t n = 0, tl;
	const char *seg, *p;

	if (target[0] == '/') {
		target++;
		tmp[0] = '\0';
	} else
		snprintf(tmp, sizeof(tmp), "xl/");
	n = strlen(tmp);
	/* percent-decode into tmp after the base */
	for (p = target; *p != '\0'; p++) {
		char c = *p;

		if (c == '%' && util_hexval(p[1]) >= 0 && util_hexval(p[2]) >= 0) {
			c = (char)(util_hexval(p[1]) << 4 | util_hexval(p[2]));
			p += 2;
		}
		if (c == '\0' || c == '\\' || n + 1 >= sizeof(tmp))
			return -1;
		tmp[n++] = c;
	}
	tmp[n] = '\0';
	/* normalise "." and ".." segments into OUT */
	n = 0;
	for (seg = tmp; *seg != '\0'; seg = p + (*p == '/')) {
		p = strchr(seg, '/');
		if (p == NULL)
			p = seg + strlen(seg);
		tl = (size_t)(p - seg);
		if (tl == 0 || (tl == 1 && seg[0] == '.'))
			continue;
		if (tl == 2 && seg[0] == '.' && seg[1] == '.') {
			if (n == 0)
				return -1;
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
			continue;
		}
		if (n + (n > 0) + tl + 1 > outlen)
			return -1;
		if (n > 0)
			out[n++] = '/';
		memcpy(out + n, seg, tl);
		n += tl;
	}
	out[n] = '\0';
	return n > 0 ? 0 : -1;
}

static void
wb_start_workbook(struct wb *w, enum wb_el el, const char **atts)
{
	const char *v;
	struct wb_sheetref *s;

	if (el == EL_WORKBOOKPR) {
		v = wb_attr(atts, "date1904");
		w->date1904 = v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
	} else if (el == EL_SHEET && wb_up(w, 1) == EL_SHEETS) {
		if ((s = wb_grow(w, w->sheets, w->nsheets, &w->sheetcap, WB_SHEETS_MAX,
		    sizeof(*s), "sheets")) == NULL)
			return;
		w->sheets = s;
		s = &w->sheets[w->nsheets++];
		memset(s, 0, sizeof(*s));
		if ((v = wb_attr(atts, "name")) != NULL)
			wb_copy_cut(s->name, sizeof(s->name), v);
		if ((v = wb_attr(atts, "id")) != NULL && strlen(v) < sizeof(s->rid))
			snprintf(s->rid, sizeof(s->rid), "%s", v);
	}
}

static enum wb_reltype
wb_reltype_of(const char *type)
{
	static const struct { const char *suffix; enum wb_reltype t; } types[] = {
		{ "/worksheet", REL_WORKSHEET }, { "/sharedStrings", REL_SST },
		{ "/styles", REL_STYLES },
	};
	size_t n = strlen(type);

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t l = strlen(types[i].suffix);

		if (n > l && strcmp(type + n - l, types[i].suffix) == 0)
			return types[i].t;
	}
	return REL_OTHER;
}

static void
wb_start_rels(struct wb *w, enum wb_el el, const char **atts)
{
	const char *id, *type, *target, *mode;
	struct wb_rel *r;

	if (el != EL_RELATIONSHIP)
		return;
	id = wb_attr(atts, "Id");
	type = wb_attr(atts, "Type");
	target = wb_attr(atts, "Target");
	mode = wb_attr(atts, "TargetMode");
	if (id == NULL || type == NULL || target == NULL || strlen(id) >= WB_ID_MAX ||
	    (mode != NULL && strcmp(mode, "Internal") != 0))
		return;                /* external targets are never followed */
	if ((r = wb_grow(w, w->rels, w->nrels, &w->relcap, WB_RELS_MAX, sizeof(*r),
	    "workbook relationships")) == NULL)
		return;
	w->rels = r;
	r = &w->rels[w->nrels];
	snprintf(r->id, sizeof(r->id), "%s", id);
	r->type = wb_reltype_of(type);
	if (r->type == REL_OTHER || wb_resolve(target, r->path, sizeof(r->path)) != 0)
		return;
	w->nrels++;
}

static void
wb_start_styles(struct wb *w, enum wb_el el, const char **atts)
{
	const char *id, *code;
	struct wb_numfmt *f;
	uint32_t *x;
	uint64_t v;

	if (el == EL_NUMFMT && wb_up(w, 1) == EL_NUMFMTS) {
		id = wb_attr(atts, "numFmtId");
		code = wb_attr(atts, "formatCode");
		if (id == NULL || code == NULL || wb_uint(id, UINT32_MAX, &v) != 0)
			return;
		if ((f = wb_grow(w, w->fmts, w->nfmts, &w->fmtcap, WB_NUMFMT_MAX, sizeof(*f),
		    "number formats")) == NULL)
			return;
		w->fmts = f;
		w->fmts[w->nfmts].id = (uint32_t)v;
		w->fmts[w->nfmts++].cls = wb_code_class(code);
	} else if (el == EL_XF && wb_up(w, 1) == EL_CELLXFS) {
		id = wb_attr(atts, "numFmtId");
		if ((x = wb_grow(w, w->xf_fmt, w->nxf, &w->xfcap, WB_XF_MAX, sizeof(*x),
		    "cell formats")) == NULL)
			return;
		w->xf_fmt = x;
		if (id == NULL || wb_uint(id, UINT32_MAX, &v) != 0)
			v = 0;
		w->xf_fmt[w->nxf++] = (uint32_t)v;
	}
}

static void
wb_end_sst(struct wb *w, enum wb_el el)
{
	size_t need;

	if (el != EL_SI || wb_up(w, 1) != EL_SST)
		return;
	wb_text_end(&w->si);
	wb_xdecode(w->si.s);
	need = strlen(w->si.s) + 1;
	if (w->nsst == WB_SST_MAX) {
		wb_fail(w, "more than %u shared strings", WB_SST_MAX);
		return;
	}
	if (w->nsst == w->sstcap) {
		size_t cap = w->sstcap ? w->sstcap * 2 : 1024;
		size_t *n = reallocarray(w->sst, cap, sizeof(*n));

		if (n == NULL) {
			wb_fail(w, "out of memory");
			return;
		}
		w->sst = n;
		w->sstcap = cap;
	}
	if (w->poollen + need > w->poolcap) {
		size_t cap = w->poolcap ? w->poolcap : 65536;
		char *n;

		while (cap < w->poollen + need)
			cap *= 2;
		if ((n = realloc(w->pool, cap)) == NULL) {
			wb_fail(w, "out of memory");
			return;
		}
		w->pool = n;
		w->poolcap = cap;
	}
	memcpy(w->pool + w->poollen, w->si.s, need);
	w->sst[w->nsst++] = w->poollen;
	w->poollen += need;
	wb_text_clear(&w->si);
}

/* Column of a cell reference like "AB12": its letters, 1-based; the row
 * digits, when present, must be ROW. 0/-1. */
static int
wb_cellref(const char *r, uint32_t row, uint32_t *col)
{
	uint32_t c = 0;
	uint64_t rn;
	size_t i = 0;

	for (; (r[i] >= 'A' && r[i] <= 'Z') || (r[i] >= 'a' && r[i] <= 'z'); i++) {
		if (i == 3)
			return -1;
		c = c * 26 + (uint32_t)(toupper((unsigned char)r[i]) - 'A' + 1);
	}
	if (i == 0 || c > WB_COLS_MAX)
		return -1;
	if (r[i] != '\0' && (wb_uint(r + i, WB_ROW_NUM_MAX, &rn) != 0 || rn != row))
		return -1;
	*col = c;
	return 0;
}

static void
wb_start_sheet(struct wb *w, enum wb_el el, const char **atts)
{
	struct wb_sheet *sh = &w->sh;
	const char *v;
	uint64_t n;

	if (el == EL_ROW && wb_up(w, 1) == EL_SHEETDATA) {
		v = wb_attr(atts, "r");
		if (v != NULL) {
			if (wb_uint(v, WB_ROW_NUM_MAX, &n) != 0 || n == 0) {
				wb_fail(w, "sheet '%s': bad row number", sh->name);
				return;
			}
			if (n <= sh->row) {
				wb_fail(w, "sheet '%s': row %llu out of order", sh->name,
				    (unsigned long long)n);
				return;
			}
		} else if ((n = (uint64_t)sh->row + 1) > WB_ROW_NUM_MAX) {
			wb_fail(w, "sheet '%s': more than %u rows", sh->name, WB_ROW_NUM_MAX);
			return;
		}
		if (w->cb == NULL && sh->header_row == 0 && n > WB_HEADER_ROWS) {
			w->stop = 1;      /* no header in the first rows: not this sheet */
			return;
		}
		sh->row = (uint32_t)n;
		sh->prev_col = 0;
		sh->in_row = 1;
		for (int i = 0; i < ROLE_N; i++) {
			sh->hcol[i] = 0;
			wb_text_clear(&sh->val[i]);
		}
	} else if (el == EL_C && wb_up(w, 1) == EL_ROW && sh->in_row) {
		if (++sh->cells > WB_CELLS_MAX) {
			wb_fail(w, "sheet '%s': more than %u cells", sh->name, WB_CELLS_MAX);
			return;
		}
		v = wb_attr(atts, "r");
		if (v != NULL) {
			if (wb_cellref(v, sh->row, &sh->col) != 0) {
				wb_fail(w, "sheet '%s': bad cell reference in row %u", sh->name, sh->row);
				return;
			}
		} else
			sh->col = sh->prev_col + 1;
		if (sh->col <= sh->prev_col || sh->col > WB_COLS_MAX) {
			wb_fail(w, "sheet '%s': cells out of order in row %u", sh->name, sh->row);
			return;
		}
		sh->prev_col = sh->col;
		v = wb_attr(atts, "t");
		snprintf(sh->type, sizeof(sh->type), "%s", v != NULL && strlen(v) < sizeof(sh->type) ?
		    v : (v != NULL ? "?" : "n"));
		v = wb_attr(atts, "s");
		if (v == NULL || wb_uint(v, UINT32_MAX, &n) != 0)
			n = 0;
		sh->style = (uint32_t)n;
		sh->formula = 0;
		wb_text_clear(&sh->v);
		wb_text_clear(&sh->is);
	} else if (el == EL_F && wb_up(w, 1) == EL_C && wb_up(w, 2) == EL_ROW && sh->in_row)
		sh->formula = 1;
}

/* The displayed text of the cell just closed into OUT (WB_CELL_MAX + 1). 0/-1. */
static int
wb_cell_text(struct wb *w, char *out)
{
	struct wb_sheet *sh = &w->sh;
	const char *t = sh->type;
	uint64_t idx;

	wb_text_end(&sh->v);
	wb_text_end(&sh->is);
	if (strcmp(t, "s") == 0) {
		char digits[32];

		if (sh->v.len == 0) {
			out[0] = '\0';
			return 0;
		}
		wb_copy_cut(digits, sizeof(digits), sh->v.s);
		wb_clean(digits);
		if (wb_uint(digits, UINT32_MAX, &idx) != 0 || idx >= w->nsst) {
			wb_fail(w, "sheet '%s': shared string index out of range in row %u",
			    sh->name, sh->row);
			return -1;
		}
		memcpy(out, w->pool + w->sst[idx], strlen(w->pool + w->sst[idx]) + 1);
	} else if (strcmp(t, "inlineStr") == 0) {
		memcpy(out, sh->is.s, sh->is.len + 1);
		wb_xdecode(out);
	} else if (strcmp(t, "b") == 0) {
		snprintf(out, WB_CELL_MAX + 1, "%s", strcmp(sh->v.s, "1") == 0 ? "TRUE" :
		    strcmp(sh->v.s, "0") == 0 ? "FALSE" : sh->v.s);
	} else if (strcmp(t, "n") == 0) {
		char num[64];

		wb_copy_cut(num, sizeof(num), sh->v.s);
		wb_clean(num);
		if (num[0] == '\0')
			out[0] = '\0';
		else
			wb_number_text(w, num, sh->style, out, WB_CELL_MAX + 1);
	} else if (strcmp(t, "d") == 0) {
		/* ISO 8601: the date, and the time when not midnight */
		memcpy(out, sh->v.s, sh->v.len + 1);
		if (sh->v.len >= 19 && out[10] == 'T') {
			out[10] = ' ';
			out[strcmp(out + 11, "00:00:00") == 0 || strncmp(out + 11, "00:00:00.", 9) == 0 ||
			    strncmp(out + 11, "00:00:00Z", 9) == 0 ? 10 : 19] = '\0';
		}
	} else {
		/* "str", "e", and anything unknown: the value as written */
		memcpy(out, sh->v.s, sh->v.len + 1);
		wb_xdecode(out);
	}
	return 0;
}

/* Appends the row just closed, when it has a reference. */
static void
wb_row_done(struct wb *w)
{
	struct wb_sheet *sh = &w->sh;
	struct workbook_refs *o = w->out;
	struct workbook_ref *r;
	char *h;
	size_t hl;

	for (int i = 0; i < ROLE_N; i++)
		wb_clean(sh->val[i].s);
	if (sh->val[ROLE_REF].s[0] == '\0' || wb_role_of(sh->val[ROLE_REF].s) == ROLE_REF)
		return;                /* no reference, or the header repeated: skipped */
	if (o->n >= w->rows_max) {
		wb_fail(w, "sheet '%s': too many rows (more than %u references)", sh->name,
		    w->rows_max);
		return;
	}
	if (strlen(sh->val[ROLE_REF].s) > WB_REF_MAX) {
		wb_fail(w, "sheet '%s' row %u: reference longer than %u bytes", sh->name, sh->row,
		    WB_REF_MAX);
		return;
	}
	if (strlen(sh->val[ROLE_FILE].s) >= sizeof(r->filename)) {
		wb_fail(w, "sheet '%s' row %u: file name longer than %zu bytes", sh->name,
		    sh->row, sizeof(r->filename) - 1);
		return;
	}
	if (o->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct workbook_ref *v;

		if (cap > w->rows_max)
			cap = w->rows_max;
		if ((v = reallocarray(o->v, cap, sizeof(*v))) == NULL) {
			wb_fail(w, "out of memory");
			return;
		}
		o->v = v;
		w->cap = cap;
	}
	r = &o->v[o->n++];
	memset(r, 0, sizeof(*r));
	memcpy(r->ref, sh->val[ROLE_REF].s, strlen(sh->val[ROLE_REF].s) + 1);
	memcpy(r->filename, sh->val[ROLE_FILE].s, strlen(sh->val[ROLE_FILE].s) + 1);
	wb_copy_cut(r->obligation, sizeof(r->obligation), sh->val[ROLE_OBLIGATION].s);
	wb_copy_cut(r->description, sizeof(r->description), sh->val[ROLE_DESC].s);
	/* a hash is 64 hex digits, kept lowercase; anything else is kept as given
	 * (cut below 64 bytes so that it can never read as a hash) and can only
	 * mismatch */
	h = sh->val[ROLE_HASH].s;
	hl = strlen(h);
	if (hl == 64 && strspn(h, "0123456789abcdefABCDEF") == 64) {
		for (size_t i = 0; i < 64; i++)
			r->sha256[i] = (char)tolower((unsigned char)h[i]);
		r->sha256[64] = '\0';
	} else if (hl > 64)
		wb_copy_cut(r->sha256, 64, h);
	else
		memcpy(r->sha256, h, hl + 1);
}

/* workbook_read_sheet: hands each cell, then the row's end, to W->cb. */
static void
wb_end_sheet_cb(struct wb *w, enum wb_el el)
{
	struct wb_sheet *sh = &w->sh;
	const struct workbook_sheet_cb *cb = w->cb;
	struct workbook_cell c;

	if (el == EL_C && wb_up(w, 1) == EL_ROW && sh->in_row) {
		if (wb_cell_text(w, w->cell) != 0)
			return;
		wb_clean(w->cell);
		if (w->cell[0] == '\0' && !sh->formula)
			return;
		c.col = sh->col;
		c.text = w->cell;
		c.formula = sh->formula;
		if (cb->cell(cb->arg, sh->row, &c, w->why, w->whylen) != 0)
			w->failed = 1;
	} else if (el == EL_ROW && wb_up(w, 1) == EL_SHEETDATA && sh->in_row) {
		sh->in_row = 0;
		if (cb->row_end(cb->arg, sh->row, w->why, w->whylen) != 0)
			w->failed = 1;
	}
}

static void
wb_end_sheet(struct wb *w, enum wb_el el)
{
	struct wb_sheet *sh = &w->sh;
	char *text = w->cell;
	int role = -1;

	if (w->cb != NULL) {
		wb_end_sheet_cb(w, el);
		return;
	}
	if (el == EL_C && wb_up(w, 1) == EL_ROW && sh->in_row) {
		if (sh->header_row == 0) {
			if (wb_cell_text(w, text) != 0)
				return;
			role = wb_role_of(text);
			if (role >= 0 && sh->hcol[role] == 0)
				sh->hcol[role] = sh->col;
			return;
		}
		for (int i = 0; i < ROLE_N; i++)
			if (sh->col_of[i] == sh->col) {
				if (wb_cell_text(w, text) != 0)
					return;
				wb_text_clear(&sh->val[i]);
				wb_text_add(&sh->val[i], text, strlen(text));
			}
	} else if (el == EL_ROW && wb_up(w, 1) == EL_SHEETDATA && sh->in_row) {
		sh->in_row = 0;
		if (sh->header_row == 0) {
			if (sh->hcol[ROLE_REF] != 0) {
				sh->header_row = sh->row;
				memcpy(sh->col_of, sh->hcol, sizeof(sh->col_of));
			}
			return;
		}
		wb_row_done(w);
	}
}

static int
wb_xml_start(void *arg, const char *name, const char **atts)
{
	struct wb *w = arg;
	enum wb_el el;

	if (w->failed || w->stop)
		return -1;            /* expat may still call after a stop */
	if (w->depth >= w->depth_max) {
		wb_fail(w, "%s: XML nested deeper than %u", w->partname, w->depth_max);
		return -1;
	}
	el = wb_el_of(name);
	w->stack[w->depth++] = (uint8_t)el;
	switch (w->part) {
	case PART_WORKBOOK:
		wb_start_workbook(w, el, atts);
		break;
	case PART_RELS:
		wb_start_rels(w, el, atts);
		break;
	case PART_STYLES:
		wb_start_styles(w, el, atts);
		break;
	case PART_SST:
		if (el == EL_SI && wb_up(w, 1) == EL_SST)
			wb_text_clear(&w->si);
		break;
	case PART_SHEET:
		wb_start_sheet(w, el, atts);
		break;
	}
	return w->failed || w->stop ? -1 : 0;
}

static int
wb_xml_end(void *arg, const char *name)
{
	struct wb *w = arg;
	enum wb_el el;

	if (w->failed || w->stop || w->depth == 0)
		return -1;
	el = (enum wb_el)w->stack[w->depth - 1];
	if (w->part == PART_SST)
		wb_end_sst(w, el);
	else if (w->part == PART_SHEET)
		wb_end_sheet(w, el);
	w->depth--;
	return w->failed || w->stop ? -1 : 0;
}

static int
wb_xml_text(void *arg, const char *s, int len)
{
	struct wb *w = arg;

	if (w->failed || w->stop)
		return -1;
	if (len <= 0)
		return 0;
	if (w->part == PART_SST) {
		if (wb_in_string_text(w, EL_SI) && wb_up(w, wb_up(w, 1) == EL_R ? 3 : 2) == EL_SST)
			wb_text_add(&w->si, s, (size_t)len);
	} else if (w->part == PART_SHEET) {
		if (wb_up(w, 0) == EL_V && wb_up(w, 1) == EL_C)
			wb_text_add(&w->sh.v, s, (size_t)len);
		else if (wb_in_string_text(w, EL_IS))
			wb_text_add(&w->sh.is, s, (size_t)len);
	}
	return 0;
}

/* --- zip --- */

/* Parses the current entry of A as PART (xml.h: no DTD, depth and size
 * bounded). 0/-1. */
static int
wb_parse_entry(struct wb *w, struct archive *a, enum wb_part part)
{
	struct xml_handler h = { wb_xml_start, wb_xml_end, wb_xml_text, w, 0 };
	struct xml_limits lim;
	enum xml_err err;
	uint64_t n = 0;
	int rc;

	w->part = part;
	w->partname = wb_part_names[part];
	w->depth = 0;
	w->stop = 0;
	lim.depth = w->depth_max;
	lim.bytes = w->budget < w->part_max ? w->budget : w->part_max;
	lim.members = w->members_max;
	lim.deadline = NULL;
	rc = xml_parse_entry_counted(a, &lim, &h, NULL, 0, &err, &n);
	w->budget -= n < w->budget ? n : w->budget;
	if (rc == 0 || (err == XMLERR_CALLBACK && w->stop && !w->failed))
		return 0;
	if (w->failed)
		return -1;
	if (err == XMLERR_SIZE && lim.bytes < w->part_max)
		wb_fail(w, "more than %llu bytes of XML in all",
		    (unsigned long long)w->part_max * WB_XML_BUDGET);
	else if (err == XMLERR_SIZE)
		wb_fail(w, "%s: XML part larger than %llu bytes", w->partname,
		    (unsigned long long)w->part_max);
	else if (err == XMLERR_DEPTH)
		wb_fail(w, "%s: XML nested deeper than %u", w->partname, w->depth_max);
	else
		wb_fail(w, "%s: %s", w->partname, xml_strerror(err));
	return -1;
}

struct wb_want {
	const char  *path;     /* "" or NULL: not wanted */
	enum wb_part part;
	int          seen;
};

/* One walk over the zip: parses each wanted part where it is found. 0/-1. */
static int
wb_pass(struct wb *w, struct wb_want *want, size_t nwant)
{
	struct archive *a;
	struct archive_entry *e;
	uint64_t entries = 0;
	int r, rc = -1;

	if ((a = xml_zip_open_fd(w->fd, w->size)) == NULL) {
		wb_fail(w, "zip: not a readable zip package");
		return -1;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);

		if (++entries > w->members_max) {
			wb_fail(w, "zip: more than %llu members", (unsigned long long)w->members_max);
			goto fail;
		}
		if (name == NULL)
			continue;
		for (size_t i = 0; i < nwant; i++) {
			if (want[i].path == NULL || want[i].path[0] == '\0' ||
			    strcasecmp(name, want[i].path) != 0)
				continue;
			if (want[i].seen) {
				wb_fail(w, "zip: part %s appears twice", want[i].path);
				goto fail;
			}
			want[i].seen = 1;
			if (archive_entry_is_encrypted(e)) {
				wb_fail(w, "zip: part %s is encrypted", want[i].path);
				goto fail;
			}
			if (wb_parse_entry(w, a, want[i].part) != 0)
				goto fail;
			break;
		}
	}
	if (r != ARCHIVE_EOF) {
		wb_fail(w, "zip: %s", archive_error_string(a) ? archive_error_string(a) :
		    "unreadable entry");
		goto fail;
	}
	rc = 0;
fail:
	xml_zip_close(a);
	return rc;
}

/* Reads sheet S; 1 if it has a header row (rows in w->out), 0 if not. -1. */
static int
wb_try_sheet(struct wb *w, struct wb_sheetref *s)
{
	struct wb_want want = { s->path, PART_SHEET, 0 };

	s->tried = 1;
	if (s->path[0] == '\0')
		return 0;              /* a chartsheet or a dangling relationship */
	memset(&w->sh, 0, sizeof(w->sh));
	w->sh.name = s->name;
	w->out->n = 0;
	if (wb_pass(w, &want, 1) != 0)
		return -1;
	if (!want.seen) {
		wb_fail(w, "zip: sheet '%s' has no part %s", s->name, s->path);
		return -1;
	}
	if (w->sh.header_row == 0) {
		w->out->n = 0;
		return 0;
	}
	wb_copy_cut(w->out->tab, sizeof(w->out->tab), s->name);
	return 1;
}

/* Finds the tab and reads it: by name first, then by header. 1/0/-1. */
static int
wb_find_tab(struct wb *w)
{
	char a[WB_NAME_MAX], b[WB_NAME_MAX];
	int r;

	for (size_t t = 0; t < sizeof(wb_tab_names) / sizeof(wb_tab_names[0]); t++) {
		wb_norm(wb_tab_names[t], a, sizeof(a));
		for (size_t i = 0; i < w->nsheets; i++) {
			wb_norm(w->sheets[i].name, b, sizeof(b));
			if (strcmp(a, b) != 0 || w->sheets[i].tried)
				continue;
			if ((r = wb_try_sheet(w, &w->sheets[i])) != 0)
				return r;
			break;
		}
	}
	for (size_t i = 0; i < w->nsheets; i++) {
		if (w->sheets[i].tried)
			continue;
		if ((r = wb_try_sheet(w, &w->sheets[i])) != 0)
			return r;
	}
	return 0;
}

static void
wb_free(struct wb *w)
{
	if (w == NULL)
		return;
	free(w->stack);
	free(w->sheets);
	free(w->rels);
	free(w->xf_fmt);
	free(w->xf_cls);
	free(w->fmts);
	free(w->pool);
	free(w->sst);
	free(w);
}

/* Frees W and what it still holds. */
static void
wb_end(struct wb *w)
{
	if (w == NULL)
		return;
	workbook_refs_free(w->out);
	wb_free(w);
}

/* A reader of FD with P's limits, or NULL (WHY set); free it with wb_end. */
static struct wb *
wb_new(int fd, uint64_t size, const struct policy *p, char *why, size_t whylen)
{
	struct wb *w;

	if (whylen > 0)
		why[0] = '\0';
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	w->fd = fd;
	w->size = size;
	w->why = why;
	w->whylen = whylen;
	w->rows_max = p->workbook_rows ? p->workbook_rows : WB_ROWS_DEFAULT;
	w->depth_max = p->xml_depth ? p->xml_depth : WB_DEPTH_DEFAULT;
	w->part_max = p->xml_part_max ? p->xml_part_max : WB_PART_DEFAULT;
	w->budget = w->part_max > UINT64_MAX / WB_XML_BUDGET ? UINT64_MAX :
	    w->part_max * WB_XML_BUDGET;
	w->members_max = p->archive_members ? p->archive_members : WB_MEMBERS_DEFAULT;
	if ((w->stack = calloc(w->depth_max + 1, 1)) == NULL ||
	    (w->out = calloc(1, sizeof(*w->out))) == NULL) {
		snprintf(why, whylen, "out of memory");
		wb_end(w);
		return NULL;
	}
	return w;
}

/* Passes 1 and 2: the sheets and where their parts are, the shared strings
 * and the cell formats. 0/-1 (WHY set). */
static int
wb_prepare(struct wb *w)
{
	struct wb_want parts[2];

	/* pass 1: the sheets and where their parts are */
	parts[0] = (struct wb_want){ "xl/workbook.xml", PART_WORKBOOK, 0 };
	parts[1] = (struct wb_want){ "xl/_rels/workbook.xml.rels", PART_RELS, 0 };
	if (wb_pass(w, parts, 2) != 0)
		return -1;
	if (!parts[0].seen || !parts[1].seen) {
		wb_fail(w, "zip: no %s", parts[0].seen ? parts[1].path : parts[0].path);
		return -1;
	}
	for (size_t i = 0; i < w->nrels; i++) {
		if (w->rels[i].type == REL_SST && w->sst_path[0] == '\0')
			memcpy(w->sst_path, w->rels[i].path, sizeof(w->sst_path));
		if (w->rels[i].type == REL_STYLES && w->styles_path[0] == '\0')
			memcpy(w->styles_path, w->rels[i].path, sizeof(w->styles_path));
	}
	for (size_t i = 0; i < w->nsheets; i++)
		for (size_t j = 0; j < w->nrels; j++)
			if (w->rels[j].type == REL_WORKSHEET &&
			    strcmp(w->rels[j].id, w->sheets[i].rid) == 0) {
				memcpy(w->sheets[i].path, w->rels[j].path, sizeof(w->sheets[i].path));
				break;
			}

	/* pass 2: shared strings and cell formats (both optional) */
	parts[0] = (struct wb_want){ w->sst_path, PART_SST, 0 };
	parts[1] = (struct wb_want){ w->styles_path, PART_STYLES, 0 };
	if ((w->sst_path[0] || w->styles_path[0]) && wb_pass(w, parts, 2) != 0)
		return -1;
	if ((w->sst_path[0] && !parts[0].seen) || (w->styles_path[0] && !parts[1].seen)) {
		wb_fail(w, "zip: no %s", w->sst_path[0] && !parts[0].seen ? w->sst_path :
		    w->styles_path);
		return -1;
	}
	if ((w->xf_cls = calloc(w->nxf ? w->nxf : 1, sizeof(*w->xf_cls))) == NULL) {
		wb_fail(w, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < w->nxf; i++)
		w->xf_cls[i] = wb_fmt_class(w, w->xf_fmt[i]);
	return 0;
}

int
workbook_read(int fd, uint64_t size, const struct policy *p, struct workbook_refs **out,
    char *why, size_t whylen)
{
	struct wb *w;
	int rc = -1, found;

	*out = NULL;
	if ((w = wb_new(fd, size, p, why, whylen)) == NULL)
		return -1;
	if (wb_prepare(w) != 0)
		goto fail;

	/* pass 3: the tab */
	if ((found = wb_find_tab(w)) < 0)
		goto fail;
	if (found == 0) {
		w->out->n = 0;
		w->out->tab[0] = '\0';
		snprintf(why, whylen, "no sheet has an evidence-reference column in its first %d rows",
		    WB_HEADER_ROWS);
	}
	*out = w->out;
	w->out = NULL;
	rc = found ? 0 : 1;
fail:
	wb_end(w);
	return rc;
}

int
workbook_read_sheet(int fd, uint64_t size, const struct policy *p,
    const struct workbook_sheet_cb *cb, char *why, size_t whylen)
{
	struct wb *w;
	struct wb_want want;
	int rc = -1;

	if ((w = wb_new(fd, size, p, why, whylen)) == NULL)
		return -1;
	if (wb_prepare(w) != 0)
		goto fail;
	if (w->nsheets != 1) {
		if (w->nsheets == 0)
			wb_fail(w, "the workbook has no sheet");
		else
			wb_fail(w, "the workbook has %zu sheets, not one", w->nsheets);
		goto fail;
	}
	if (w->sheets[0].path[0] == '\0') {
		wb_fail(w, "its sheet '%s' is not a worksheet", w->sheets[0].name);
		goto fail;
	}
	/* pass 3: every cell of the sheet, in order */
	w->cb = cb;
	memset(&w->sh, 0, sizeof(w->sh));
	w->sh.name = w->sheets[0].name;
	want = (struct wb_want){ w->sheets[0].path, PART_SHEET, 0 };
	if (wb_pass(w, &want, 1) != 0)
		goto fail;
	if (!want.seen) {
		wb_fail(w, "zip: sheet '%s' has no part %s", w->sheets[0].name, want.path);
		goto fail;
	}
	rc = 0;
fail:
	wb_end(w);
	return rc;
}
