/*
 * inspect/pdf.c: PDF files: active content, auto-run actions, name
 * obfuscation, polyglots, by tokenising the object syntax.
 *
 * Runs in the inspector; trusts nothing. Written by hand because no
 * library we use reads PDF, and a PDF library would render, run or repair
 * far more than we want to look at. One pass over the file with pread and a
 * PDF_BUF window: the lexer sees every byte outside stream data; stream data
 * is skipped (from the EOL after `stream`, by a direct and sane /Length, else
 * to the next `endstream`), so compressed image bytes cannot fake a keyword.
 * Object streams (/Type /ObjStm, PDF 1.5+) hide objects in compressed data:
 * those (FlateDecode or unfiltered only) are inflated with zlib, bounded by
 * PDF_OBJSTM_MAX and PDF_INFLATE_TOTAL, and each object in them is
 * tokenised from the offset its header gives (as a viewer reads it). An
 * object stream that cannot be read is a rejection (what it hides is unknown).
 * Inflated object streams are kept (PDF_OBJSTM_CACHE in all) for following
 * actions into them; one that must be inflated again counts against
 * PDF_INFLATE_TOTAL like the first time, so flipping between two large
 * object streams costs a bounded number of inflations, not one per object.
 *
 * Time and work: the upload's clock (inspect_seconds, shared with the
 * archive around the PDF if any) is read every PDF_WORK_CHECK bytes lexed,
 * every PDF_INFLATE_STEP bytes inflated and once per window of the raw
 * scans; the bytes lexed in all (the main pass, object streams, hidden
 * headers, actions followed) may not pass PDF_WORK_FACTOR times the file and
 * what it inflated, plus PDF_WORK_MIN. Either limit is the rejection
 * inspect-timeout (a string left open to the end of the file, lexed again
 * for every header hidden before it, is the case this budget stops).
 *
 * An "N G obj" header the tokeniser did not see as one (inside stream data,
 * a string or a comment) is still reached by a viewer, through the xref or
 * when it rebuilds a broken xref from the raw bytes: every such header is
 * parsed as the viewer would parse it (PDF_HIDDEN_MAX at most).
 *
 * Names are compared after #xx decoding; a #xx that hides a letter is
 * itself a finding. /OpenAction and /AA are followed, through indirect
 * references too (after the pass, PDF_RESOLVE_MAX at most): an automatic
 * action may only be /S /GoTo (jump to a page); an /OpenAction that is a
 * destination ([page /Fit]) or a named destination is fine; any other /S
 * (/JavaScript, /Launch, /URI, /Named, /GoToR, /GoToE, /ImportData,
 * /SubmitForm, /Rendition, ...) is a rejection, and so is a /Next chain
 * holding one. The same actions behind a click (a link's /A) are allowed,
 * except those the names below reject everywhere.
 *
 * Findings (all reject):
 *   pdf-header            no %PDF- at offset 0
 *   pdf-javascript        a /JavaScript or /JS name
 *   pdf-launch            a /Launch name
 *   pdf-embedded-file     an /EmbeddedFile or /EmbeddedFiles name
 *   pdf-richmedia         a /RichMedia name
 *   pdf-xfa               an /XFA name (XML forms, scriptable)
 *   pdf-auto-action       an /OpenAction or /AA that runs something (above)
 *   pdf-name-obfuscation  a #xx escape in a name that decodes to a letter
 *   pdf-trailing-data     after the last %%EOF: anything but white space,
 *                         or more than PDF_TRAILING_ALLOWANCE bytes of it
 *   pdf-polyglot          outside stream data: a zip local/central/end
 *                         header, an MZ header with a PE signature, an ELF
 *                         header, a second %PDF- header; or a valid zip end
 *                         record in the last 64 KiB (a zip inside a stream)
 *   pdf-objstm            an object stream that cannot be read (filter other
 *                         than FlateDecode, predictor, corrupt, encrypted)
 *   pdf-structure         no %%EOF, a stream without endstream
 *   pdf-limits            nesting over PDF_DEPTH_MAX, more than
 *                         PDF_OBJECTS_MAX objects, too many bytes inflated,
 *                         too many actions to follow or hidden headers
 *   inspect-timeout       over the policy's inspect_seconds or the work
 *                         budget above (inspect.h: inspect_timeout)
 *
 * API: pdf_inspect (inspect/checks.h).
 *
 * zlib (a dependency of libarchive already) inflates object streams.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "inspect/checks.h"


#define PDF_BUF                (128 * 1024)  /* file read window; holds PDF_ZIP_TAIL */
#define PDF_DEPTH_MAX          64            /* nesting of dictionaries and arrays */
#define PDF_NAME_MAX           127           /* bytes of a name kept (the spec's limit) */
#define PDF_KEYWORD_MAX        32            /* bytes of a keyword or number kept */
#define PDF_OBJECTS_MAX        (1u << 20)    /* object definitions, file and object streams */
#define PDF_OBJSTM_MAX         (32u << 20)   /* bytes of one object stream, raw or inflated */
#define PDF_INFLATE_TOTAL      (256ull << 20) /* bytes inflated per file, all object streams */
#define PDF_RESOLVE_MAX        4096          /* indirect actions followed per file */
#define PDF_TRAILING_ALLOWANCE 1024          /* white space allowed after the last %%EOF */
#define PDF_ENDSTREAM_SLACK    16            /* white space allowed before endstream */
#define PDF_ZIP_TAIL           (65535 + 22)  /* where a zip end record may sit: max comment + record */
#define PDF_PE_CHECKS          4096          /* MZ headers whose PE offset is read, per file */
#define PDF_PE_OFFSET_MAX      (1u << 20)    /* e_lfanew beyond this is not a PE */
#define PDF_WORK_CHECK         (64 * 1024)   /* bytes lexed between two looks at the clock (power of 2) */
#define PDF_WORK_FACTOR        8             /* bytes lexed per byte of file and of inflated data */
#define PDF_WORK_MIN           (32ull << 20) /* bytes lexed whatever the file's size */
#define PDF_INFLATE_STEP       (1u << 20)    /* bytes inflated between two looks at the clock */
#define PDF_OBJSTM_CACHE       (32u << 20)   /* inflated object streams kept for resolving, in all */
#define PDF_HIDDEN_MAX         4096          /* "N G obj" headers outside the syntax parsed, per file */
#define PDF_HIDDEN_OVERLAP     128           /* bytes kept between two windows of that scan */
#define PDF_HIDDEN_WS          4096          /* white space allowed inside such a header */

enum pdf_code {
	F_HEADER, F_JS, F_LAUNCH, F_EMBEDDED, F_RICHMEDIA, F_XFA, F_AUTO, F_OBFUSCATION,
	F_TRAILING, F_POLYGLOT, F_OBJSTM, F_STRUCTURE, F_LIMITS, F_NCODES
};

_Static_assert(PDF_ZIP_TAIL <= PDF_BUF, "the tail is read in one window");
_Static_assert((PDF_WORK_CHECK & (PDF_WORK_CHECK - 1)) == 0, "a mask selects the clock's turn");

static const char *const pdf_codes[F_NCODES] = {
	[F_HEADER] = "pdf-header", [F_JS] = "pdf-javascript", [F_LAUNCH] = "pdf-launch",
	[F_EMBEDDED] = "pdf-embedded-file", [F_RICHMEDIA] = "pdf-richmedia",
	[F_XFA] = "pdf-xfa", [F_AUTO] = "pdf-auto-action",
	[F_OBFUSCATION] = "pdf-name-obfuscation", [F_TRAILING] = "pdf-trailing-data",
	[F_POLYGLOT] = "pdf-polyglot", [F_OBJSTM] = "pdf-objstm",
	[F_STRUCTURE] = "pdf-structure", [F_LIMITS] = "pdf-limits",
};

/* Names rejected wherever they appear (keys and values). */
static const struct { const char *name; enum pdf_code code; } pdf_bad_names[] = {
	{ "JavaScript", F_JS }, { "JS", F_JS }, { "Launch", F_LAUNCH },
	{ "EmbeddedFile", F_EMBEDDED }, { "EmbeddedFiles", F_EMBEDDED },
	{ "RichMedia", F_RICHMEDIA }, { "XFA", F_XFA },
};

/* ---- bytes: the file (pread window) or a buffer ---- */

struct pdf_ctx;

struct pdf_src {
	struct pdf_ctx *c;       /* its work is counted there */
	int            fd;
	const uint8_t *mem;      /* non-NULL: a buffer (an inflated object stream) */
	uint64_t       size;     /* end of what may be read */
	uint64_t       pos;
	uint8_t       *buf;      /* fd window: [boff, boff + blen) */
	uint64_t       boff;
	size_t         blen;
	int            err;
};

/* ---- tokens ---- */

enum tok_type {
	T_EOF, T_INT, T_REAL, T_NAME, T_STRING, T_KEYWORD, T_DICT_OPEN, T_DICT_CLOSE,
	T_ARR_OPEN, T_ARR_CLOSE, T_OTHER
};

struct tok {
	enum tok_type type;
	uint64_t      off;
	int64_t       ival;
	char          text[PDF_NAME_MAX + 1];  /* decoded name or keyword, NUL-terminated */
	size_t        len;
	int           truncated;
	int           obfuscated;              /* a #xx decoded to a letter */
};

/* ---- the parser ---- */

enum arole { R_NONE, R_ACTION, R_ACTLIST, R_AA, R_OPENACTION };
enum key {
	K_OTHER, K_S, K_NEXT, K_OPENACTION, K_AA, K_TYPE, K_FILTER, K_LENGTH, K_N,
	K_FIRST, K_DECODEPARMS, K_ENCRYPT
};
enum vkind { VK_SCALAR, VK_NAME, VK_REF, VK_DICT, VK_ARRAY };

struct frame {
	uint8_t dict;       /* 1 dictionary, 0 array */
	uint8_t role;
	uint8_t want_key;
	uint8_t key;
	uint8_t filter;     /* the /Filter array of a stream dictionary */
};

/* What the dictionary before `stream` said. */
struct sdict {
	int     objstm, nfilters, flate, other_filter, parms;
	int     has_length, has_n, has_first;
	int64_t length, n, first;
};

struct pdf_def {            /* where object NUM is defined */
	uint32_t num;
	uint32_t objstm;        /* PDF_NO_OBJSTM: in the file at OFF */
	uint64_t off, end;      /* in the file, or in the inflated object stream */
};
#define PDF_NO_OBJSTM UINT32_MAX

struct pdf_objstm {         /* an object stream, kept or inflated again when resolving */
	uint32_t num;
	uint64_t start, end;    /* its data in the file */
	int      flate;
	uint8_t *data;          /* inflated, kept (PDF_OBJSTM_CACHE), or NULL */
	size_t   len;
};

struct pdf_pend { uint32_t num; uint8_t role; };

struct pdf_ctx {
	struct inspect_result *res;
	const char            *member;
	int                    fd;
	uint64_t               size;
	uint8_t               *window;     /* the file source's read window */
	unsigned               reported;   /* codes reported already */
	int                    fatal;      /* stop: a finding that ends the inspection */
	unsigned               p_seconds;  /* the policy's inspect_seconds, for findings */
	int                    ioerr;
	uint64_t               work;       /* bytes lexed, all sources */
	size_t                 kept;       /* bytes of object streams kept */
	struct pdf_def        *defs;
	size_t                 ndefs, cdefs;
	struct pdf_objstm     *objstms;
	size_t                 nobjstms, cobjstms;
	uint64_t              *ranges;     /* stream data [start, end) pairs */
	size_t                 nranges, cranges;
	struct pdf_pend       *pend;       /* actions to follow */
	size_t                 npend, cpend;
	struct pdf_pend       *done;       /* actions followed */
	size_t                 ndone;
	uint64_t               inflated;
	int                    encrypted;  /* an /Encrypt key was seen */
	int                    objstm_bad; /* first unreadable object stream, reported at the end */
	uint32_t               objstm_bad_num;
	char                   objstm_bad_why[64];
	int                    saw_eof;
	uint64_t               eof_end;    /* just after the last %%EOF */
	uint8_t               *cache;      /* one inflated object stream */
	size_t                 cache_len;
	uint32_t               cache_idx;
};

/* One run of the parser over one source. */
struct pdf_parse {
	struct pdf_ctx  *c;
	struct pdf_src  *src;
	int              file;          /* the file: objects recorded, streams skipped */
	int              resolving;     /* following an action: record nothing */
	int              single;        /* stop after the first complete value */
	int              done;
	uint32_t         objstm;        /* the object stream being read, else PDF_NO_OBJSTM */
	enum arole        root_role;
	int              root_open;     /* the root role applies (after "N G obj" in the file) */
	struct frame     st[PDF_DEPTH_MAX];
	unsigned         depth;
	int64_t          pint[2];
	uint64_t         poff[2];
	unsigned         npint;
	int              in_obj;
	struct sdict     sd;
	int              sd_valid;
};

static void pdf_find(struct pdf_ctx *, int, enum pdf_code, const char *, ...)
    __attribute__((format(printf, 4, 5)));
static void ascii(char *, size_t, const char *, size_t);
static int src_fill(struct pdf_src *);
static int src_get(struct pdf_src *);
static int src_peek(struct pdf_src *);
static int64_t src_find(struct pdf_src *, uint64_t, const char *, size_t);
static int is_ws(int);
static int is_delim(int);
static int is_hex(int);
static int hexval(int);
static void lex(struct pdf_parse *, struct tok *);
static enum key key_of(const struct tok *);
static void check_name(struct pdf_parse *, const struct tok *);
static int pend_add(struct pdf_ctx *, uint32_t, enum arole);
static int def_add(struct pdf_ctx *, uint32_t, uint32_t, uint64_t, uint64_t);
static void capture(struct pdf_parse *, enum key, enum vkind, const struct tok *);
static void on_value(struct pdf_parse *, enum vkind, const struct tok *, uint32_t);
static void on_close(struct pdf_parse *, int);
static void flush_ints(struct pdf_parse *);
static void on_stream(struct pdf_parse *);
static void on_token(struct pdf_parse *, const struct tok *);
static void parse_run(struct pdf_parse *);
static int inflate_range(struct pdf_ctx *, uint64_t, uint64_t, int, uint8_t **, size_t *,
    char *, size_t);
static void objstm_read(struct pdf_parse *, uint64_t, uint64_t);
static void parse_buffer(struct pdf_ctx *, const uint8_t *, uint64_t, uint64_t, uint32_t,
    enum arole, int);
static int def_cmp(const void *, const void *);
static void resolve(struct pdf_ctx *);
static int u64_cmp(const void *, const void *);
static void parse_file_object(struct pdf_ctx *, uint64_t, enum arole);
static int raw_at(struct pdf_ctx *, const uint8_t *, uint64_t, size_t, uint64_t);
static int header_before(struct pdf_ctx *, const uint8_t *, uint64_t, size_t, uint64_t,
    uint64_t *, uint64_t *);
static void scan_hidden(struct pdf_ctx *);
static void scan_signatures(struct pdf_ctx *);
static void check_tail(struct pdf_ctx *);
static int pdf_spent(struct pdf_ctx *);

/* ---- findings ---- */

static void
pdf_find(struct pdf_ctx *c, int once, enum pdf_code code, const char *fmt, ...)
{
	char detail[FINDING_DETAIL_MAX];
	va_list ap;

	if (once && (c->reported & (1u << code)))
		return;
	c->reported |= 1u << code;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	inspect_finding(c->res, 1, pdf_codes[code], c->member, "%s", detail);
}

/* Printable ASCII of S (LEN bytes) for a finding's detail. */
static void
ascii(char *out, size_t outlen, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && i + 1 < outlen; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[i] = '\0';
}

/* Out of time or of work budget: 1, and the inspection stops (fatal)
 * with inspect-timeout. */
static int
pdf_spent(struct pdf_ctx *c)
{
	uint64_t budget = PDF_WORK_FACTOR * (c->size + c->inflated) + PDF_WORK_MIN;

	if (c->fatal)
		return 1;
	if (c->work > budget)
		inspect_timeout(c->res, c->member, "PDF: over %llu bytes lexed",
		    (unsigned long long)budget);
	else if (inspect_late(c->res))
		inspect_timeout(c->res, c->member, "PDF: over %u seconds", c->p_seconds);
	else
		return 0;
	c->fatal = 1;
	return 1;
}

/* ---- source ---- */

static int
src_fill(struct pdf_src *s)
{
	size_t want = s->size - s->pos < PDF_BUF ? (size_t)(s->size - s->pos) : PDF_BUF;
	ssize_t n;

	do
		n = pread(s->fd, s->buf, want, (off_t)s->pos);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		s->err = 1;
		return -1;
	}
	s->boff = s->pos;
	s->blen = (size_t)n;
	return 0;
}

static int
src_get(struct pdf_src *s)
{
	if (s->pos >= s->size || s->err || s->c->fatal)
		return -1;
	/* the innermost loop of every pass: the clock and budget from here */
	if ((++s->c->work & (PDF_WORK_CHECK - 1)) == 0 && pdf_spent(s->c))
		return -1;
	if (s->mem != NULL)
		return s->mem[s->pos++];
	if (s->pos < s->boff || s->pos >= s->boff + s->blen)
		if (src_fill(s) == -1)
			return -1;
	return s->buf[s->pos++ - s->boff];
}

static int
src_peek(struct pdf_src *s)
{
	int ch = src_get(s);

	if (ch >= 0)
		s->pos--;
	return ch;
}

/* Offset of the first PAT at or after FROM, or -1 (-2 on a read error). */
static int64_t
src_find(struct pdf_src *s, uint64_t from, const char *pat, size_t plen)
{
	uint64_t off = from;
	const uint8_t *p;

	while (off + plen <= s->size) {
		size_t avail;

		if (s->mem != NULL) {
			p = memmem(s->mem + off, (size_t)(s->size - off), pat, plen);
			return p != NULL ? (int64_t)(p - s->mem) : -1;
		}
		s->pos = off;
		if (src_fill(s) == -1)
			return -2;
		avail = s->blen;
		if (avail < plen)
			return -2;          /* a short read before the end: an I/O error */
		if ((p = memmem(s->buf, avail, pat, plen)) != NULL)
			return (int64_t)(s->boff + (uint64_t)(p - s->buf));
		if (off + avail >= s->size)
			break;
		off += avail - (plen - 1);   /* a match may straddle two windows */
	}
	return -1;
}

/* ---- lexer ---- */

static int
is_ws(int ch)
{
	return ch == 0 || ch == '\t' || ch == '\n' || ch == '\f' || ch == '\r' || ch == ' ';
}

static int
is_delim(int ch)
{
	return ch == '(' || ch == ')' || ch == '<' || ch == '>' || ch == '[' || ch == ']' ||
	    ch == '{' || ch == '}' || ch == '/' || ch == '%';
}

static int
is_hex(int ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static int
hexval(int ch)
{
	return ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10;
}

static void
lex(struct pdf_parse *ps, struct tok *t)
{
	struct pdf_src *s = ps->src;
	int ch, depth;

	t->type = T_EOF;
	t->ival = 0;
	t->text[0] = '\0';
	t->len = 0;
	t->truncated = 0;
	t->obfuscated = 0;
	for (;;) {
		t->off = s->pos;
		if ((ch = src_get(s)) < 0) {
			t->type = T_EOF;
			return;
		}
		if (is_ws(ch))
			continue;
		if (ch != '%')
			break;
		/* a comment, to the end of the line; %%EOF ends a revision */
		{
			char m[5] = { '%' };
			int i = 1;

			while ((ch = src_get(s)) >= 0 && ch != '\r' && ch != '\n') {
				if (i < 5) {
					m[i++] = (char)ch;
					if (i == 5 && memcmp(m, "%%EOF", 5) == 0 && ps->file &&
					    !ps->resolving) {
						ps->c->saw_eof = 1;
						ps->c->eof_end = s->pos;
					}
				}
			}
		}
	}
	switch (ch) {
	case '(':
		for (depth = 1; depth > 0 && (ch = src_get(s)) >= 0;) {
			if (ch == '\\')
				(void)src_get(s);
			else if (ch == '(')
				depth++;
			else if (ch == ')')
				depth--;
		}
		t->type = T_STRING;
		return;
	case '<':
		if (src_peek(s) == '<') {
			(void)src_get(s);
			t->type = T_DICT_OPEN;
			return;
		}
		while ((ch = src_get(s)) >= 0 && ch != '>')
			;
		t->type = T_STRING;
		return;
	case '>':
		if (src_peek(s) == '>') {
			(void)src_get(s);
			t->type = T_DICT_CLOSE;
		} else
			t->type = T_OTHER;
		return;
	case '[':
		t->type = T_ARR_OPEN;
		return;
	case ']':
		t->type = T_ARR_CLOSE;
		return;
	case '{': case '}': case ')':
		t->type = T_OTHER;
		return;
	case '/':
		t->type = T_NAME;
		while ((ch = src_peek(s)) >= 0 && !is_ws(ch) && !is_delim(ch)) {
			(void)src_get(s);
			if (ch == '#' && is_hex(src_peek(s))) {
				int h1 = src_get(s);

				if (is_hex(src_peek(s))) {
					ch = hexval(h1) << 4 | hexval(src_get(s));
					if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z'))
						t->obfuscated = 1;
				} else {
					/* "#4" then a delimiter: kept as written */
					if (t->len < PDF_NAME_MAX)
						t->text[t->len++] = '#';
					else
						t->truncated = 1;
					ch = h1;
				}
			}
			if (t->len < PDF_NAME_MAX)
				t->text[t->len++] = (char)ch;
			else
				t->truncated = 1;
		}
		t->text[t->len] = '\0';
		return;
	}
	/* a number or a keyword: a run of regular characters */
	t->text[t->len++] = (char)ch;
	while ((ch = src_peek(s)) >= 0 && !is_ws(ch) && !is_delim(ch)) {
		(void)src_get(s);
		if (t->len < PDF_KEYWORD_MAX)
			t->text[t->len++] = (char)ch;
		else
			t->truncated = 1;
	}
	t->text[t->len] = '\0';
	t->type = T_KEYWORD;
	if (!t->truncated) {
		const char *p = t->text;
		int digits = 0, dot = 0, big = 0;
		int64_t v = 0;

		if (*p == '+' || *p == '-')
			p++;
		for (; *p != '\0'; p++) {
			if (*p >= '0' && *p <= '9') {
				digits++;
				if (!dot) {
					if (v > (INT64_MAX - 9) / 10)
						big = 1;
					else
						v = v * 10 + (*p - '0');
				}
			} else if (*p == '.' && !dot)
				dot = 1;
			else
				break;
		}
		if (*p == '\0' && digits > 0) {
			t->type = dot || big ? T_REAL : T_INT;
			t->ival = t->text[0] == '-' ? -v : v;
		}
	}
}

/* ---- the parser ---- */

static enum key
key_of(const struct tok *t)
{
	static const struct { const char *name; enum key key; } keys[] = {
		{ "S", K_S }, { "Next", K_NEXT }, { "OpenAction", K_OPENACTION },
		{ "AA", K_AA }, { "Type", K_TYPE }, { "Filter", K_FILTER },
		{ "Length", K_LENGTH }, { "N", K_N }, { "First", K_FIRST },
		{ "DecodeParms", K_DECODEPARMS }, { "Encrypt", K_ENCRYPT },
	};
	size_t i;

	if (t->truncated)
		return K_OTHER;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (t->len == strlen(keys[i].name) && memcmp(t->text, keys[i].name, t->len) == 0)
			return keys[i].key;
	return K_OTHER;
}

static void
check_name(struct pdf_parse *ps, const struct tok *t)
{
	char shown[PDF_NAME_MAX + 1];
	size_t i;

	ascii(shown, sizeof(shown), t->text, t->len);
	if (t->obfuscated)
		pdf_find(ps->c, 1, F_OBFUSCATION, "name /%s written with #xx escapes", shown);
	if (t->truncated)
		return;
	for (i = 0; i < sizeof(pdf_bad_names) / sizeof(pdf_bad_names[0]); i++)
		if (t->len == strlen(pdf_bad_names[i].name) &&
		    memcmp(t->text, pdf_bad_names[i].name, t->len) == 0)
			pdf_find(ps->c, 1, pdf_bad_names[i].code, "/%s", pdf_bad_names[i].name);
}

/* An action (or /AA dictionary) in object NUM, to follow after the pass. */
static int
pend_add(struct pdf_ctx *c, uint32_t num, enum arole role)
{
	if (c->npend == c->cpend) {
		size_t n = c->cpend ? c->cpend * 2 : 16;
		struct pdf_pend *np;

		if (n > PDF_RESOLVE_MAX) {
			pdf_find(c, 1, F_LIMITS, "more than %d actions to follow", PDF_RESOLVE_MAX);
			c->fatal = 1;
			return -1;
		}
		if ((np = realloc(c->pend, n * sizeof(*np))) == NULL) {
			c->ioerr = 1;
			return -1;
		}
		c->pend = np;
		c->cpend = n;
	}
	c->pend[c->npend].num = num;
	c->pend[c->npend].role = (uint8_t)role;
	c->npend++;
	return 0;
}

static int
def_add(struct pdf_ctx *c, uint32_t num, uint32_t objstm, uint64_t off, uint64_t end)
{
	if (c->ndefs == c->cdefs) {
		size_t n = c->cdefs ? c->cdefs * 2 : 256;
		struct pdf_def *nd;

		if (c->ndefs >= PDF_OBJECTS_MAX) {
			pdf_find(c, 1, F_LIMITS, "more than %u objects", PDF_OBJECTS_MAX);
			c->fatal = 1;
			return -1;
		}
		if ((nd = realloc(c->defs, n * sizeof(*nd))) == NULL) {
			c->ioerr = 1;
			return -1;
		}
		c->defs = nd;
		c->cdefs = n;
	}
	c->defs[c->ndefs].num = num;
	c->defs[c->ndefs].objstm = objstm;
	c->defs[c->ndefs].off = off;
	c->defs[c->ndefs].end = end;
	c->ndefs++;
	return 0;
}

/* Records what the top-level dictionary of a file object says (for `stream`). */
static void
capture(struct pdf_parse *ps, enum key key, enum vkind vk, const struct tok *t)
{
	struct sdict *sd = &ps->sd;

	switch (key) {
	case K_TYPE:
		if (vk == VK_NAME && strcmp(t->text, "ObjStm") == 0)
			sd->objstm = 1;
		break;
	case K_FILTER:
		if (vk == VK_NAME) {
			sd->nfilters++;
			if (strcmp(t->text, "FlateDecode") == 0 || strcmp(t->text, "Fl") == 0)
				sd->flate = 1;
			else
				sd->other_filter = 1;
		} else if (vk != VK_ARRAY)
			sd->other_filter = 1;
		break;
	case K_LENGTH:
		if (vk == VK_SCALAR && t->type == T_INT) {
			sd->has_length = 1;
			sd->length = t->ival;
		}
		break;
	case K_N:
		if (vk == VK_SCALAR && t->type == T_INT) {
			sd->has_n = 1;
			sd->n = t->ival;
		}
		break;
	case K_FIRST:
		if (vk == VK_SCALAR && t->type == T_INT) {
			sd->has_first = 1;
			sd->first = t->ival;
		}
		break;
	case K_DECODEPARMS:
		if (!(vk == VK_SCALAR && t->type == T_KEYWORD && strcmp(t->text, "null") == 0))
			sd->parms = 1;
		break;
	default:
		break;
	}
}

/* A value (or the opening of a dictionary or array) at the current place. */
static void
on_value(struct pdf_parse *ps, enum vkind vk, const struct tok *t, uint32_t ref)
{
	struct frame *f = ps->depth > 0 ? &ps->st[ps->depth - 1] : NULL;
	enum key key = K_OTHER;
	enum arole child = R_NONE;
	int dictval = 0;

	if (vk == VK_NAME)
		check_name(ps, t);
	if (f != NULL && f->dict) {
		if (f->want_key) {
			if (vk == VK_NAME) {
				f->key = (uint8_t)key_of(t);
				f->want_key = 0;
				if (f->key == K_ENCRYPT)
					ps->c->encrypted = 1;
				return;
			}
			/* not a name where a key belongs: a value without a key */
		} else {
			key = (enum key)f->key;
			f->want_key = 1;
			dictval = 1;
		}
	}
	if (ps->file && !ps->resolving && ps->in_obj) {
		if (ps->depth == 1 && dictval)
			capture(ps, key, vk, t);
		else if (ps->depth == 2 && f != NULL && f->filter)
			capture(ps, K_FILTER, vk == VK_NAME ? VK_NAME : VK_SCALAR, t);
	}

	if (dictval && key == K_OPENACTION) {
		if (vk == VK_DICT)
			child = R_ACTION;
		else if (vk == VK_REF)
			(void)pend_add(ps->c, ref, R_OPENACTION);
	} else if (dictval && key == K_AA) {
		if (vk == VK_DICT)
			child = R_AA;
		else if (vk == VK_REF)
			(void)pend_add(ps->c, ref, R_AA);
	} else if (f != NULL && f->dict && dictval && f->role == R_ACTION) {
		if (key == K_S) {
			char shown[PDF_NAME_MAX + 1];

			if (vk != VK_NAME)
				pdf_find(ps->c, 0, F_AUTO, "automatic action with an indirect type");
			else if (t->truncated || strcmp(t->text, "GoTo") != 0) {
				ascii(shown, sizeof(shown), t->text, t->len);
				pdf_find(ps->c, 0, F_AUTO, "/OpenAction or /AA runs /%s", shown);
			}
		} else if (key == K_NEXT) {
			if (vk == VK_DICT)
				child = R_ACTION;
			else if (vk == VK_ARRAY)
				child = R_ACTLIST;
			else if (vk == VK_REF)
				(void)pend_add(ps->c, ref, R_ACTION);
		}
	} else if (f != NULL && f->dict && dictval && f->role == R_AA) {
		if (vk == VK_DICT)
			child = R_ACTION;
		else if (vk == VK_REF)
			(void)pend_add(ps->c, ref, R_ACTION);
	} else if (f != NULL && !f->dict && f->role == R_ACTLIST) {
		if (vk == VK_DICT)
			child = R_ACTION;
		else if (vk == VK_REF)
			(void)pend_add(ps->c, ref, R_ACTION);
	} else if (f == NULL && ps->root_open && vk == VK_DICT) {
		/* an array here is an /OpenAction destination: nothing runs */
		child = ps->root_role == R_AA ? R_AA :
		    ps->root_role != R_NONE ? R_ACTION : R_NONE;
	}

	if (vk == VK_DICT || vk == VK_ARRAY) {
		struct frame *nf;

		if (ps->depth >= PDF_DEPTH_MAX) {
			pdf_find(ps->c, 1, F_LIMITS, "dictionaries and arrays nested deeper than %d",
			    PDF_DEPTH_MAX);
			ps->c->fatal = 1;
			return;
		}
		nf = &ps->st[ps->depth++];
		nf->dict = vk == VK_DICT;
		nf->role = (uint8_t)child;
		nf->want_key = 1;
		nf->key = K_OTHER;
		nf->filter = ps->file && ps->in_obj && ps->depth == 2 && dictval &&
		    key == K_FILTER && vk == VK_ARRAY;
		return;
	}
	if (ps->depth == 0 && ps->single && (ps->root_open || !ps->file))
		ps->done = 1;
}

static void
on_close(struct pdf_parse *ps, int dict)
{
	unsigned d;

	for (d = ps->depth; d > 0; d--)
		if (ps->st[d - 1].dict == dict)
			break;
	if (d == 0)
		return;                 /* a stray closer */
	ps->depth = d - 1;
	if (ps->depth == 0) {
		if (ps->file && ps->in_obj && dict)
			ps->sd_valid = 1;
		if (ps->single && (ps->root_open || !ps->file))
			ps->done = 1;
	}
}

/* Integers held back in case they start "N G R" or "N G obj" are values. */
static void
flush_ints(struct pdf_parse *ps)
{
	struct tok t;
	unsigned i;

	memset(&t, 0, sizeof(t));
	t.type = T_INT;
	for (i = 0; i < ps->npint && !ps->done && !ps->c->fatal; i++) {
		t.ival = ps->pint[i];
		t.off = ps->poff[i];
		on_value(ps, VK_SCALAR, &t, 0);
	}
	ps->npint = 0;
}

/* `stream` in the file: skip its data; read it if it is an object stream. */
static void
on_stream(struct pdf_parse *ps)
{
	struct pdf_src *s = ps->src;
	struct pdf_ctx *c = ps->c;
	uint64_t start, end, next;
	int64_t at;
	int ch;

	ch = src_get(s);
	if (ch == '\r') {
		if (src_peek(s) == '\n')
			(void)src_get(s);
	} else if (ch != '\n' && ch >= 0)
		s->pos--;               /* no EOL: data starts here (not conforming) */
	start = s->pos;
	end = next = 0;
	if (ps->sd_valid && ps->sd.has_length && ps->sd.length >= 0 &&
	    (uint64_t)ps->sd.length <= s->size - start) {
		uint64_t p = start + (uint64_t)ps->sd.length;
		int i;

		s->pos = p;
		for (i = 0; i < PDF_ENDSTREAM_SLACK && is_ws(src_peek(s)); i++)
			(void)src_get(s);
		if (s->pos + 9 <= s->size) {
			char kw[9];
			int k;

			for (k = 0; k < 9; k++)
				kw[k] = (char)src_get(s);
			if (memcmp(kw, "endstream", 9) == 0) {
				end = p;
				next = p;
			}
		}
	}
	if (next == 0) {
		if ((at = src_find(s, start, "endstream", 9)) < 0) {
			if (at == -2)
				c->ioerr = 1;
			else
				pdf_find(c, 1, F_STRUCTURE, "stream without endstream at offset %llu",
				    (unsigned long long)start);
			c->fatal = 1;
			return;
		}
		next = end = (uint64_t)at;
		if (end > start) {
			/* the EOL before endstream is not data */
			uint8_t two[2];
			size_t k = end - start >= 2 ? 2 : 1;

			if (pread(c->fd, two, k, (off_t)(end - k)) == (ssize_t)k) {
				if (k == 2 && two[0] == '\r' && two[1] == '\n')
					end -= 2;
				else if (two[k - 1] == '\n' || two[k - 1] == '\r')
					end -= 1;
			}
		}
	}
	if (c->nranges + 2 > c->cranges) {
		size_t n = c->cranges ? c->cranges * 2 : 64;
		uint64_t *nr;

		if (n / 2 > PDF_OBJECTS_MAX) {
			pdf_find(c, 1, F_LIMITS, "more than %u streams", PDF_OBJECTS_MAX);
			c->fatal = 1;
			return;
		}
		if ((nr = realloc(c->ranges, n * sizeof(*nr))) == NULL) {
			c->ioerr = 1;
			return;
		}
		c->ranges = nr;
		c->cranges = n;
	}
	c->ranges[c->nranges++] = start;
	c->ranges[c->nranges++] = end;
	if (ps->sd_valid && ps->sd.objstm)
		objstm_read(ps, start, end);
	s->pos = next;
	ps->sd_valid = 0;
}

static void
on_token(struct pdf_parse *ps, const struct tok *t)
{
	if (t->type == T_INT) {
		if (ps->npint == 2) {
			struct tok one;

			memset(&one, 0, sizeof(one));
			one.type = T_INT;
			one.ival = ps->pint[0];
			one.off = ps->poff[0];
			ps->pint[0] = ps->pint[1];
			ps->poff[0] = ps->poff[1];
			ps->npint = 1;
			on_value(ps, VK_SCALAR, &one, 0);
		}
		ps->pint[ps->npint] = t->ival;
		ps->poff[ps->npint++] = t->off;
		return;
	}
	if (t->type == T_KEYWORD && ps->npint == 2 && ps->pint[0] >= 0 &&
	    ps->pint[0] <= (int64_t)INT32_MAX && ps->pint[1] >= 0) {
		if (strcmp(t->text, "R") == 0) {
			ps->npint = 0;
			on_value(ps, VK_REF, t, (uint32_t)ps->pint[0]);
			return;
		}
		if (strcmp(t->text, "obj") == 0) {
			ps->npint = 0;
			if (ps->file) {
				if (ps->single && ps->root_open) {   /* the next object: stop */
					ps->done = 1;
					return;
				}
				ps->depth = 0;
				ps->in_obj = 1;
				ps->root_open = 1;
				memset(&ps->sd, 0, sizeof(ps->sd));
				ps->sd_valid = 0;
				if (!ps->resolving)
					(void)def_add(ps->c, (uint32_t)ps->pint[0], PDF_NO_OBJSTM,
					    ps->poff[0], 0);
			}
			return;
		}
	}
	flush_ints(ps);
	if (ps->done || ps->c->fatal)
		return;
	switch (t->type) {
	case T_NAME:
		on_value(ps, VK_NAME, t, 0);
		break;
	case T_REAL:
	case T_STRING:
		on_value(ps, VK_SCALAR, t, 0);
		break;
	case T_DICT_OPEN:
		on_value(ps, VK_DICT, t, 0);
		break;
	case T_ARR_OPEN:
		on_value(ps, VK_ARRAY, t, 0);
		break;
	case T_DICT_CLOSE:
		on_close(ps, 1);
		break;
	case T_ARR_CLOSE:
		on_close(ps, 0);
		break;
	case T_KEYWORD:
		if (strcmp(t->text, "stream") == 0) {
			if (ps->file && !ps->resolving)
				on_stream(ps);
			else if (ps->single)
				ps->done = 1;
		} else if (strcmp(t->text, "endobj") == 0 || strcmp(t->text, "xref") == 0 ||
		    strcmp(t->text, "trailer") == 0 || strcmp(t->text, "startxref") == 0) {
			if (ps->single && (ps->root_open || !ps->file)) {
				ps->done = 1;
				break;
			}
			ps->depth = 0;
			ps->in_obj = 0;
			ps->root_open = 0;
			ps->sd_valid = 0;
		} else if (strcmp(t->text, "endstream") != 0)
			on_value(ps, VK_SCALAR, t, 0);   /* true, false, null, junk */
		break;
	default:
		break;
	}
}

static void
parse_run(struct pdf_parse *ps)
{
	struct tok t;

	while (!ps->done && !ps->c->fatal && !ps->c->ioerr) {
		lex(ps, &t);
		if (ps->src->err) {
			ps->c->ioerr = 1;
			return;
		}
		if (t.type == T_EOF)
			break;
		on_token(ps, &t);
	}
	if (!ps->done && !ps->c->fatal)
		flush_ints(ps);
}

/* ---- object streams ---- */

/* Reads file bytes [START, END) and, with FLATE, inflates them. 0, or -1
 * with WHY (a finding is not added here). */
static int
inflate_range(struct pdf_ctx *c, uint64_t start, uint64_t end, int flate,
    uint8_t **out, size_t *outlen, char *why, size_t whylen)
{
	uint8_t *raw = NULL, *buf = NULL;
	size_t rawlen = (size_t)(end - start), cap, max;
	uint64_t left = PDF_INFLATE_TOTAL - c->inflated;
	z_stream z;
	ssize_t n;
	size_t got;
	int zr, rc = -1, zinit = 0;

	*out = NULL;
	*outlen = 0;
	if (end - start > PDF_OBJSTM_MAX) {
		snprintf(why, whylen, "larger than %u bytes", PDF_OBJSTM_MAX);
		return -1;
	}
	max = left < PDF_OBJSTM_MAX ? (size_t)left : PDF_OBJSTM_MAX;
	if ((raw = malloc(rawlen ? rawlen : 1)) == NULL)
		goto nomem;
	for (got = 0; got < rawlen; got += (size_t)n) {
		do
			n = pread(c->fd, raw + got, rawlen - got, (off_t)(start + got));
		while (n < 0 && errno == EINTR);
		if (n <= 0) {
			c->ioerr = 1;
			snprintf(why, whylen, "read error");
			goto fail;
		}
	}
	if (!flate) {
		if (rawlen > max) {
			snprintf(why, whylen, "more than %llu bytes to read in all",
			    (unsigned long long)PDF_INFLATE_TOTAL);
			goto fail;
		}
		c->inflated += rawlen;
		*out = raw;
		*outlen = rawlen;
		return 0;
	}
	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		goto nomem;
	zinit = 1;
	cap = rawlen * 4 + 1024 < max ? rawlen * 4 + 1024 : max;
	if (cap == 0)
		cap = 1;
	if ((buf = malloc(cap)) == NULL)
		goto nomem;
	z.next_in = raw;
	z.avail_in = (uInt)rawlen;
	for (;;) {
		if (pdf_spent(c)) {
			snprintf(why, whylen, "out of time");
			goto fail;
		}
		z.next_out = buf + z.total_out;
		z.avail_out = (uInt)(cap - z.total_out < PDF_INFLATE_STEP ?
		    cap - z.total_out : PDF_INFLATE_STEP);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_BUF_ERROR && z.avail_in == 0 && z.avail_out > 0)
			break;              /* truncated: keep what a viewer would get */
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			snprintf(why, whylen, "corrupt deflate data");
			goto fail;
		}
		if (z.total_out == cap) {
			uint8_t *nb;

			if (cap >= max) {
				snprintf(why, whylen, "inflates past %llu bytes",
				    (unsigned long long)max);
				goto fail;
			}
			cap = cap * 2 < max ? cap * 2 : max;
			if ((nb = realloc(buf, cap)) == NULL)
				goto nomem;
			buf = nb;
		}
	}
	c->inflated += z.total_out;
	*outlen = z.total_out;
	*out = buf;
	buf = NULL;
	rc = 0;
	goto fail;
nomem:
	c->ioerr = 1;
	snprintf(why, whylen, "out of memory");
fail:
	if (zinit)
		inflateEnd(&z);
	free(raw);
	free(buf);
	return rc;
}

/* Tokenises [OFF, END) of an inflated object stream. */
static void
parse_buffer(struct pdf_ctx *c, const uint8_t *buf, uint64_t off, uint64_t end,
    uint32_t objstm, enum arole role, int single)
{
	struct pdf_parse sub;
	struct pdf_src src;

	memset(&src, 0, sizeof(src));
	src.c = c;
	src.mem = buf;
	src.size = end;
	src.pos = off;
	memset(&sub, 0, sizeof(sub));
	sub.c = c;
	sub.src = &src;
	sub.objstm = objstm;
	sub.root_role = role;
	sub.root_open = 1;
	sub.single = single;
	sub.resolving = single;
	parse_run(&sub);
}

/* The data [START, END) of an object stream: inflate it, then tokenise each
 * object from the offset the stream's header gives. */
static void
objstm_read(struct pdf_parse *ps, uint64_t start, uint64_t end)
{
	struct pdf_ctx *c = ps->c;
	struct sdict *sd = &ps->sd;
	struct pdf_src hsrc;
	struct pdf_parse hp;
	struct tok t;
	uint8_t *buf = NULL;
	size_t len = 0;
	uint32_t idx, *nums = NULL;
	uint64_t *offs = NULL;
	int64_t i, n;
	char why[64];
	int flate = sd->nfilters == 1 && sd->flate && !sd->other_filter;
	uint32_t num = ps->c->ndefs > 0 ? ps->c->defs[ps->c->ndefs - 1].num : 0;

	why[0] = '\0';
	if (sd->parms || sd->other_filter || sd->nfilters > 1) {
		snprintf(why, sizeof(why), "%s", sd->parms ? "predictor or decode parameters" :
		    "a filter other than FlateDecode");
		goto bad;
	}
	if (!sd->has_n || !sd->has_first || sd->n < 0 || sd->n > PDF_OBJECTS_MAX ||
	    sd->first < 0) {
		snprintf(why, sizeof(why), "no valid /N or /First");
		goto bad;
	}
	if (inflate_range(c, start, end, flate, &buf, &len, why, sizeof(why)) == -1) {
		if (c->ioerr || c->fatal)
			goto out;
		goto bad;
	}
	if ((uint64_t)sd->first > len) {
		snprintf(why, sizeof(why), "/First beyond its data");
		goto bad;
	}
	n = sd->n;
	if ((nums = calloc((size_t)n + 1, sizeof(*nums))) == NULL ||
	    (offs = calloc((size_t)n + 1, sizeof(*offs))) == NULL) {
		c->ioerr = 1;
		goto out;
	}
	/* the header: N pairs "objnum offset", offsets increasing */
	memset(&hsrc, 0, sizeof(hsrc));
	hsrc.c = c;
	hsrc.mem = buf;
	hsrc.size = (uint64_t)sd->first;
	memset(&hp, 0, sizeof(hp));
	hp.c = c;
	hp.src = &hsrc;
	hp.resolving = 1;
	for (i = 0; i < 2 * n; i++) {
		lex(&hp, &t);
		if (t.type != T_INT || t.ival < 0 || t.ival > (int64_t)INT32_MAX) {
			snprintf(why, sizeof(why), "malformed header");
			goto bad;
		}
		if (i % 2 == 0)
			nums[i / 2] = (uint32_t)t.ival;
		else {
			offs[i / 2] = (uint64_t)sd->first + (uint64_t)t.ival;
			if (offs[i / 2] > len || (i > 1 && offs[i / 2] < offs[i / 2 - 1])) {
				snprintf(why, sizeof(why), "object offsets out of order");
				goto bad;
			}
		}
	}
	offs[n] = len;
	if (c->nobjstms == c->cobjstms) {
		size_t cap = c->cobjstms ? c->cobjstms * 2 : 16;
		struct pdf_objstm *no;

		if ((no = realloc(c->objstms, cap * sizeof(*no))) == NULL) {
			c->ioerr = 1;
			goto out;
		}
		c->objstms = no;
		c->cobjstms = cap;
	}
	idx = (uint32_t)c->nobjstms++;
	c->objstms[idx].num = num;
	c->objstms[idx].start = start;
	c->objstms[idx].end = end;
	c->objstms[idx].flate = flate;
	c->objstms[idx].data = NULL;
	c->objstms[idx].len = len;
	for (i = 0; i < n && !c->fatal && !c->ioerr; i++) {
		if (def_add(c, nums[i], idx, offs[i], offs[i + 1]) == -1)
			break;
		parse_buffer(c, buf, offs[i], offs[i + 1], idx, R_NONE, 0);
	}
	/* kept for the actions that lead into it, while the cache has room */
	if (len <= PDF_OBJSTM_CACHE - c->kept) {
		c->objstms[idx].data = buf;
		c->kept += len;
		buf = NULL;
	}
	goto out;
bad:
	if (!c->objstm_bad) {
		c->objstm_bad = 1;
		c->objstm_bad_num = num;
		snprintf(c->objstm_bad_why, sizeof(c->objstm_bad_why), "%s", why);
	}
out:
	free(nums);
	free(offs);
	free(buf);
}

/* ---- following actions ---- */

static int
def_cmp(const void *a, const void *b)
{
	const struct pdf_def *x = a, *y = b;

	return x->num < y->num ? -1 : x->num > y->num;
}

/* Parses the one object whose "N G obj" starts at OFF in the file, as a
 * viewer would, its value in role ROLE. Records nothing. */
static void
parse_file_object(struct pdf_ctx *c, uint64_t off, enum arole role)
{
	struct pdf_parse ps;
	struct pdf_src fsrc;

	memset(&fsrc, 0, sizeof(fsrc));
	fsrc.c = c;
	fsrc.fd = c->fd;
	fsrc.size = c->size;
	fsrc.pos = off;
	fsrc.buf = c->window;
	memset(&ps, 0, sizeof(ps));
	ps.c = c;
	ps.src = &fsrc;
	ps.file = 1;
	ps.resolving = 1;
	ps.single = 1;
	ps.root_role = role;
	ps.objstm = PDF_NO_OBJSTM;
	parse_run(&ps);
}

static void
resolve(struct pdf_ctx *c)
{
	size_t lo, hi, mid, i, k;

	if (c->npend == 0)
		return;
	/* a stable order is not needed: every definition of a number is checked */
	if (c->ndefs > 0)
		qsort(c->defs, c->ndefs, sizeof(*c->defs), def_cmp);
	if ((c->done = calloc(PDF_RESOLVE_MAX, sizeof(*c->done))) == NULL) {
		c->ioerr = 1;
		return;
	}
	while (c->npend > 0 && !c->fatal && !c->ioerr) {
		struct pdf_pend p = c->pend[--c->npend];

		for (k = 0; k < c->ndone; k++)
			if (c->done[k].num == p.num && c->done[k].role == p.role)
				break;
		if (k < c->ndone)
			continue;
		if (c->ndone == PDF_RESOLVE_MAX) {
			pdf_find(c, 1, F_LIMITS, "more than %d actions to follow", PDF_RESOLVE_MAX);
			c->fatal = 1;
			return;
		}
		c->done[c->ndone++] = p;
		if (pdf_spent(c))
			return;
		/* the first definition of P.num */
		for (lo = 0, hi = c->ndefs; lo < hi;) {
			mid = lo + (hi - lo) / 2;
			if (c->defs[mid].num < p.num)
				lo = mid + 1;
			else
				hi = mid;
		}
		/* a missing object is null: nothing runs */
		for (i = lo; i < c->ndefs && c->defs[i].num == p.num && !c->fatal; i++) {
			struct pdf_def *d = &c->defs[i];

			if (d->objstm == PDF_NO_OBJSTM) {
				parse_file_object(c, d->off, (enum arole)p.role);
			} else {
				struct pdf_objstm *os = &c->objstms[d->objstm];
				char why[64];

				const uint8_t *data = os->data;
				size_t len = os->len;

				if (data == NULL && (c->cache == NULL || c->cache_idx != d->objstm)) {
					free(c->cache);
					c->cache = NULL;
					/* not kept: inflated again, and counted again against
					 * PDF_INFLATE_TOTAL (two large object streams in turn
					 * would otherwise be inflated once per object) */
					if (inflate_range(c, os->start, os->end, os->flate, &c->cache,
					    &c->cache_len, why, sizeof(why)) == -1) {
						/* it was read once: only the budget stops it now */
						if (!c->fatal && !c->ioerr)
							pdf_find(c, 1, F_LIMITS, "object stream %u "
							    "inflated again: %s", os->num, why);
						c->fatal = 1;
						return;
					}
					c->cache_idx = d->objstm;
				}
				if (data == NULL) {
					data = c->cache;
					len = c->cache_len;
				}
				if (d->end <= len)
					parse_buffer(c, data, d->off, d->end, d->objstm,
					    (enum arole)p.role, 1);
			}
		}
	}
}

/* ---- objects the tokeniser did not see ---- */

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The file's byte at POS: from the window BUF ([OFF, OFF + N)) or read
 * alone. -1 on a read error. */
static int
raw_at(struct pdf_ctx *c, const uint8_t *buf, uint64_t off, size_t n, uint64_t pos)
{
	uint8_t b;

	if (pos >= off && pos < off + n)
		return buf[pos - off];
	if (pread(c->fd, &b, 1, (off_t)pos) != 1) {
		c->ioerr = 1;
		return -1;
	}
	return b;
}

/* Whether "obj" at OBJ ends an "N G obj" header: 1 with its start and N,
 * 0 if not, -1 if its white space runs past PDF_HIDDEN_WS (or a read error). */
static int
header_before(struct pdf_ctx *c, const uint8_t *buf, uint64_t off, size_t n, uint64_t obj,
    uint64_t *start, uint64_t *num)
{
	uint64_t pos = obj, first;
	int part, ch, digits, ws;

	for (part = 0; part < 2; part++) {
		/* white space, then digits: the generation, then the number */
		for (ws = 0; pos > 0 && (ch = raw_at(c, buf, off, n, pos - 1)) >= 0 && is_ws(ch);
		    pos--)
			if (++ws > PDF_HIDDEN_WS)
				return -1;
		if (c->ioerr)
			return -1;
		if (ws == 0)
			return 0;
		for (digits = 0; pos > 0 && (ch = raw_at(c, buf, off, n, pos - 1)) >= '0' &&
		    ch <= '9'; pos--)
			if (++digits > 10)
				return 0;
		if (c->ioerr)
			return -1;
		if (digits == 0)
			return 0;
	}
	*start = first = pos;
	for (*num = 0; first < pos + 10 && (ch = raw_at(c, buf, off, n, first)) >= '0' &&
	    ch <= '9'; first++)
		*num = *num * 10 + (uint64_t)(ch - '0');
	return *num <= INT32_MAX ? 1 : 0;
}

/* An "N G obj" header inside stream data, a string or a comment is skipped
 * by the tokeniser, but a viewer reaches it through an xref entry, or when
 * it rebuilds a broken xref by scanning the raw bytes. So every such header
 * in the raw file is parsed as the viewer would parse it (names checked) and
 * becomes a definition that actions may resolve to. */
static void
scan_hidden(struct pdf_ctx *c)
{
	uint64_t *starts = NULL, off, start, num;
	uint8_t *buf = NULL;
	size_t nstarts = 0, i, n, lo, hi;
	unsigned hidden = 0;
	ssize_t r;
	int last, hdr;

	if ((starts = calloc(c->ndefs ? c->ndefs : 1, sizeof(*starts))) == NULL ||
	    (buf = malloc(PDF_BUF)) == NULL) {
		c->ioerr = 1;
		goto out;
	}
	for (i = 0; i < c->ndefs; i++)
		if (c->defs[i].objstm == PDF_NO_OBJSTM)
			starts[nstarts++] = c->defs[i].off;
	if (nstarts > 0)
		qsort(starts, nstarts, sizeof(*starts), u64_cmp);
	for (off = 0; off < c->size && !c->fatal && !c->ioerr;) {
		if (pdf_spent(c))
			break;
		n = c->size - off < PDF_BUF ? (size_t)(c->size - off) : PDF_BUF;
		do
			r = pread(c->fd, buf, n, (off_t)off);
		while (r < 0 && errno == EINTR);
		if (r != (ssize_t)n) {
			c->ioerr = 1;
			goto out;
		}
		last = off + n >= c->size;
		/* this window owns [PDF_HIDDEN_OVERLAP/2, n - PDF_HIDDEN_OVERLAP/2),
		 * the first and the last one their edges too */
		for (i = off == 0 ? 0 : PDF_HIDDEN_OVERLAP / 2;
		    i + 3 <= n && (last || i + PDF_HIDDEN_OVERLAP / 2 < n) && !c->fatal; i++) {
			const uint8_t *q = memmem(buf + i, n - i, "obj", 3);

			if (q == NULL)
				break;
			i = (size_t)(q - buf);
			if (!last && i + PDF_HIDDEN_OVERLAP / 2 >= n)
				break;
			if (i + 3 < n && !is_ws(buf[i + 3]) && !is_delim(buf[i + 3]))
				continue;               /* "object", "objects" */
			if ((hdr = header_before(c, buf, off, n, off + i, &start, &num)) == 0)
				continue;
			if (hdr == -1 && c->ioerr)
				break;
			if (hdr == -1) {
				pdf_find(c, 1, F_LIMITS, "object header with more than %d bytes of "
				    "white space", PDF_HIDDEN_WS);
				c->fatal = 1;
				break;
			}
			for (lo = 0, hi = nstarts; lo < hi;) {
				size_t mid = lo + (hi - lo) / 2;

				if (starts[mid] < start)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo < nstarts && starts[lo] == start)
				continue;               /* the tokeniser saw this one */
			if (++hidden > PDF_HIDDEN_MAX) {
				pdf_find(c, 1, F_LIMITS, "more than %d object headers outside the "
				    "object syntax", PDF_HIDDEN_MAX);
				c->fatal = 1;
				break;
			}
			if (def_add(c, (uint32_t)num, PDF_NO_OBJSTM, start, 0) == -1)
				break;
			parse_file_object(c, start, R_NONE);
		}
		if (last)
			break;
		off += n - PDF_HIDDEN_OVERLAP;
	}
out:
	free(starts);
	free(buf);
}

/* ---- polyglots and the tail ---- */

/* Zip, PE, ELF and second-PDF signatures outside stream data. */
static void
scan_signatures(struct pdf_ctx *c)
{
	uint8_t *buf = c->window;
	uint64_t seg, segstart, segend, off;
	unsigned pe_checks = 0;
	size_t i, n;
	ssize_t r;

	for (seg = 0; seg <= c->nranges / 2 && !c->fatal; seg++) {
		segstart = seg == 0 ? 0 : c->ranges[2 * seg - 1];
		segend = seg < c->nranges / 2 ? c->ranges[2 * seg] : c->size;
		for (off = segstart; off < segend;) {
			if (pdf_spent(c))
				return;
			n = segend - off < PDF_BUF ? (size_t)(segend - off) : PDF_BUF;
			do
				r = pread(c->fd, buf, n, (off_t)off);
			while (r < 0 && errno == EINTR);
			if (r <= 0) {
				c->ioerr = 1;
				return;
			}
			n = (size_t)r;
			for (i = 0; i + 1 < n; i++) {
				const uint8_t *p = buf + i;
				size_t rest = n - i;
				uint64_t at = off + i;

				if (p[0] == 'P' && rest >= 4 && p[1] == 'K' &&
				    ((p[2] == 3 && p[3] == 4) || (p[2] == 1 && p[3] == 2) ||
				    (p[2] == 5 && p[3] == 6))) {
					pdf_find(c, 1, F_POLYGLOT, "zip header at offset %llu",
					    (unsigned long long)at);
					return;
				}
				if (p[0] == '%' && at > 0 && rest >= 5 && memcmp(p, "%PDF-", 5) == 0) {
					pdf_find(c, 1, F_POLYGLOT, "second %%PDF- header at offset %llu",
					    (unsigned long long)at);
					return;
				}
				if (p[0] == 0x7f && rest >= 4 && memcmp(p, "\177ELF", 4) == 0) {
					pdf_find(c, 1, F_POLYGLOT, "ELF header at offset %llu",
					    (unsigned long long)at);
					return;
				}
				if (p[0] == 'M' && p[1] == 'Z' && at + 0x40 <= c->size) {
					uint8_t hdr[4];
					uint32_t lfanew;

					if (++pe_checks > PDF_PE_CHECKS) {
						pdf_find(c, 1, F_POLYGLOT, "more than %d MZ signatures",
						    PDF_PE_CHECKS);
						return;
					}
					if (pread(c->fd, hdr, 4, (off_t)(at + 0x3c)) != 4)
						continue;
					lfanew = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 |
					    (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
					if (lfanew < 0x40 || lfanew > PDF_PE_OFFSET_MAX ||
					    at + lfanew + 4 > c->size)
						continue;
					if (pread(c->fd, hdr, 4, (off_t)(at + lfanew)) == 4 &&
					    memcmp(hdr, "PE\0\0", 4) == 0) {
						pdf_find(c, 1, F_POLYGLOT, "PE executable at offset %llu",
						    (unsigned long long)at);
						return;
					}
				}
			}
			if (off + n >= segend || n <= 4)
				break;
			off += n - 4;           /* signatures may straddle two reads */
		}
	}
}

/* After the last %%EOF, and a zip end record in the last 64 KiB. */
static void
check_tail(struct pdf_ctx *c)
{
	uint8_t *buf = c->window;
	uint64_t start, trail;
	size_t n, i;
	ssize_t r;

	if (!c->saw_eof) {
		pdf_find(c, 1, F_STRUCTURE, "no %%%%EOF marker");
	} else {
		trail = c->size - c->eof_end;
		if (trail > PDF_TRAILING_ALLOWANCE) {
			pdf_find(c, 1, F_TRAILING, "%llu bytes after the last %%%%EOF",
			    (unsigned long long)trail);
		} else if (trail > 0) {
			do
				r = pread(c->fd, buf, (size_t)trail, (off_t)c->eof_end);
			while (r < 0 && errno == EINTR);
			if (r != (ssize_t)trail) {
				c->ioerr = 1;
				return;
			}
			for (i = 0; i < (size_t)trail; i++)
				if (!is_ws(buf[i])) {
					pdf_find(c, 1, F_TRAILING, "data after the last %%%%EOF");
					break;
				}
		}
	}
	/* a zip end record near the end whose central directory is real: a zip
	 * reader would open this file, wherever the zip hides (a stream too) */
	start = c->size > PDF_ZIP_TAIL ? c->size - PDF_ZIP_TAIL : 0;
	n = (size_t)(c->size - start);
	do
		r = pread(c->fd, buf, n, (off_t)start);
	while (r < 0 && errno == EINTR);
	if (r != (ssize_t)n) {
		c->ioerr = 1;
		return;
	}
	for (i = 0; i + 22 <= n; i++) {
		uint64_t at = start + i;
		uint32_t cdsize;
		uint8_t sig[4];

		if (memcmp(buf + i, "PK\005\006", 4) != 0)
			continue;
		cdsize = (uint32_t)buf[i + 12] | (uint32_t)buf[i + 13] << 8 |
		    (uint32_t)buf[i + 14] << 16 | (uint32_t)buf[i + 15] << 24;
		if (cdsize > at || cdsize < 46)
			continue;
		if (pread(c->fd, sig, 4, (off_t)(at - cdsize)) == 4 &&
		    memcmp(sig, "PK\001\002", 4) == 0) {
			pdf_find(c, 1, F_POLYGLOT, "a zip archive ends at offset %llu",
			    (unsigned long long)(at + 22));
			return;
		}
	}
}

int
pdf_inspect(int fd, uint64_t size, const struct policy *p, const char *member,
    struct inspect_result *res)
{
	struct pdf_ctx c;
	struct pdf_parse ps;
	struct pdf_src src;
	uint8_t head[5];
	ssize_t n;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	c.res = res;
	c.member = member != NULL ? member : "";
	c.fd = fd;
	c.size = size;
	c.p_seconds = p->inspect_seconds;
	inspect_clock(res, p->inspect_seconds);

	do
		n = pread(fd, head, sizeof(head), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n != (ssize_t)sizeof(head) || memcmp(head, "%PDF-", 5) != 0) {
		pdf_find(&c, 1, F_HEADER, "no %%PDF- header at offset 0");
		return 0;
	}
	if ((c.window = malloc(PDF_BUF)) == NULL)
		return -1;

	memset(&src, 0, sizeof(src));
	src.c = &c;
	src.fd = fd;
	src.size = size;
	src.buf = c.window;
	memset(&ps, 0, sizeof(ps));
	ps.c = &c;
	ps.src = &src;
	ps.file = 1;
	ps.objstm = PDF_NO_OBJSTM;
	parse_run(&ps);
	if (c.ioerr)
		goto fail;
	if (c.objstm_bad) {
		pdf_find(&c, 1, F_OBJSTM, "object stream %u cannot be read%s: %s",
		    c.objstm_bad_num, c.encrypted ? " (encrypted PDF)" : "", c.objstm_bad_why);
		c.fatal = 1;
	}
	if (!c.fatal)
		scan_hidden(&c);
	if (!c.fatal && !c.ioerr)
		resolve(&c);
	if (c.ioerr)
		goto fail;
	if (!c.fatal)
		scan_signatures(&c);
	if (!c.fatal && !c.ioerr)
		check_tail(&c);
	if (c.ioerr)
		goto fail;
	rc = 0;
fail:
	free(c.window);
	free(c.defs);
	for (size_t k = 0; k < c.nobjstms; k++)
		free(c.objstms[k].data);
	free(c.objstms);
	free(c.ranges);
	free(c.pend);
	free(c.done);
	free(c.cache);
	return rc;
}
