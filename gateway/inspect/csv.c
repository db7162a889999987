/*
 * inspect/csv.c: CSV files (the G5.27 shared-resource return, CSV evidence).
 *
 * Runs in the inspector; reads the fd with pread in CSV_BLOCK pieces, one
 * pass, constant memory. Accepts RFC 4180 CSV: comma-separated, records
 * ending in CRLF or LF, fields optionally in double quotes (which may hold
 * commas, quotes doubled, CR and LF), a UTF-8 BOM at the start allowed,
 * empty lines ignored. The file must be strict UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF, no truncated sequence). Written by
 * hand because no library we use parses CSV; it never allocates.
 *
 * API: csv_inspect (inspect/checks.h).
 *
 * Findings (all reject):
 *   csv-utf8     bytes that are not UTF-8
 *   csv-nul      a NUL byte
 *   csv-syntax   a quote inside an unquoted field, text after a closing
 *                quote, an unterminated quoted field, a bare CR
 *   csv-columns  a record whose column count differs from the first one's
 *   csv-formula  a cell a spreadsheet would evaluate (formula injection,
 *                DDE): after any leading white space (space, TAB, CR, LF),
 *                a cell starting with '=' or '@', or with '+' or '-' not
 *                followed by exactly one complete number (csv_number). A
 *                signed number is data: -3, +7, -12.5, -.5, 5., -1.5E3,
 *                -1e-3, -5%, and (in a quoted cell, where the commas are
 *                not separators) -1,234.5 with groups of three digits.
 *                Anything else after a sign, "-2+3" or "+cmd|' /C calc'!A0",
 *                is flagged, as is a sign cell longer than CSV_HEAD_MAX.
 *   csv-limits   a cell over CSV_CELL_MAX bytes, a record over
 *                CSV_COLUMNS_MAX cells, more than CSV_ROWS_MAX records
 *   csv-empty    no record at all
 *   inspect-timeout  over the policy's inspect_seconds (the upload's clock,
 *                read once per CSV_BLOCK)
 */
#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect/checks.h"
#include "lib/utf8.h"

#define CSV_BLOCK       (64 * 1024)
#define CSV_CELL_MAX    (128 * 1024)  /* bytes; Excel keeps 32 767 characters, <= 4 bytes each */
#define CSV_COLUMNS_MAX 16384         /* Excel's column count */
#define CSV_ROWS_MAX    1048576       /* Excel's row count */
#define CSV_HEAD_MAX    64            /* first bytes of a cell kept for the formula check:
                                         longer than any number we let start with a sign */

enum csv_state { ST_FIELD, ST_UNQUOTED, ST_QUOTED, ST_QUOTE_SEEN, ST_CR };

struct csv {
	struct inspect_result *res;
	const char   *member;
	enum csv_state st;
	struct utf8_stream u8;         /* lib/utf8.h, fed one byte at a time */
	/* the field and record being read */
	char          head[CSV_HEAD_MAX]; /* the field's first bytes (csv_formula) */
	size_t        headn;
	int           head_over;       /* the field is longer than CSV_HEAD_MAX */
	int           quoted;
	uint64_t      cell;            /* bytes in the field */
	uint64_t      ncols;           /* fields ended in this record */
	uint64_t      expect;          /* the first record's column count, 0 before it */
	uint64_t      records, line;   /* records ended; physical line (1-based) */
	/* findings reported at the end, with their first place and count */
	uint64_t      formula_n, formula_rec, formula_col;
	int           formula_ch, formula_ws;
	uint64_t      cols_n, cols_rec, cols_got;
	int           stop;            /* a fatal finding was added */
};

static void csv_fatal(struct csv *, const char *, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static int csv_utf8(struct csv *, uint8_t);
static int csv_number(const char *, size_t);
static int csv_formula(const struct csv *, int *);
static void csv_cell_byte(struct csv *, uint8_t);
static void csv_end_field(struct csv *);
static void csv_end_record(struct csv *);
static void csv_byte(struct csv *, uint8_t);
static void csv_eof(struct csv *);

static void
csv_fatal(struct csv *c, const char *code, const char *fmt, ...)
{
	char detail[FINDING_DETAIL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	inspect_finding(c->res, 1, code, c->member, "%s", detail);
	c->stop = 1;
}

/* Strict UTF-8 (lib/utf8.h). 0, or -1 after a finding. */
static int
csv_utf8(struct csv *c, uint8_t b)
{
	uint32_t cp;

	if (utf8_stream_byte(&c->u8, b, &cp) != -1)
		return 0;
	csv_fatal(c, "csv-utf8", "invalid UTF-8 byte 0x%02x on line %llu", b,
	    (unsigned long long)c->line);
	return -1;
}

/* 1 if the N bytes at S are one complete number, as a spreadsheet reads
 * the rest of a cell after its sign: digits (or groups of three after a
 * first group of one to three, split by ','), an optional '.' and
 * fraction, an optional exponent, an optional '%'; at least one digit. */
static int
csv_number(const char *s, size_t n)
{
	size_t i = 0, d = 0, g;

	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	d = i;
	if (d >= 1 && d <= 3 && i < n && s[i] == ',') {
		while (i < n && s[i] == ',') {
			for (g = 1; g <= 3; g++)
				if (i + g >= n || s[i + g] < '0' || s[i + g] > '9')
					return 0;
			i += 4;
			d += 3;
		}
		if (i < n && s[i] >= '0' && s[i] <= '9')
			return 0;       /* a group of four */
	}
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			i++;
			d++;
		}
	}
	if (d == 0)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i == n || s[i] < '0' || s[i] > '9')
			return 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < n && s[i] == '%')
		i++;
	return i == n;
}

/* The character that makes the field ending now a formula ('=', '@', '+',
 * '-'), with *WS set when white space came before it; 0 if it is data. */
static int
csv_formula(const struct csv *c, int *ws)
{
	size_t i = 0;
	int t;

	while (i < c->headn && (c->head[i] == ' ' || c->head[i] == '\t' ||
	    c->head[i] == '\r' || c->head[i] == '\n'))
		i++;
	*ws = i > 0;
	if (i == c->headn)              /* all white space, or more than we kept */
		return c->head_over ? ' ' : 0;
	t = (unsigned char)c->head[i];
	if (t == '=' || t == '@')
		return t;
	if (t != '+' && t != '-')
		return 0;
	if (c->head_over || !csv_number(c->head + i + 1, c->headn - i - 1))
		return t;
	return 0;
}

/* One byte of a field's content (quotes of a quoted field excluded). */
static void
csv_cell_byte(struct csv *c, uint8_t b)
{
	if (c->headn < CSV_HEAD_MAX)
		c->head[c->headn++] = (char)b;
	else
		c->head_over = 1;
	c->cell++;
}

static void
csv_end_field(struct csv *c)
{
	int ch, ws;

	if (++c->ncols > CSV_COLUMNS_MAX) {
		csv_fatal(c, "csv-limits", "more than %d columns on line %llu",
		    CSV_COLUMNS_MAX, (unsigned long long)c->line);
		return;
	}
	if ((ch = csv_formula(c, &ws)) != 0 && c->formula_n++ == 0) {
		c->formula_rec = c->records + 1;
		c->formula_col = c->ncols;
		c->formula_ch = ch;
		c->formula_ws = ws;
	}
	c->headn = 0;
	c->head_over = 0;
	c->quoted = 0;
	c->cell = 0;
}

static void
csv_end_record(struct csv *c)
{
	if (++c->records > CSV_ROWS_MAX) {
		csv_fatal(c, "csv-limits", "more than %d records", CSV_ROWS_MAX);
		return;
	}
	if (c->expect == 0)
		c->expect = c->ncols;
	else if (c->ncols != c->expect && c->cols_n++ == 0) {
		c->cols_rec = c->records;
		c->cols_got = c->ncols;
	}
	c->ncols = 0;
}

static void
csv_byte(struct csv *c, uint8_t b)
{
	if (b == 0) {
		csv_fatal(c, "csv-nul", "NUL byte on line %llu", (unsigned long long)c->line);
		return;
	}
	if (csv_utf8(c, b) == -1)
		return;
	switch (c->st) {
	case ST_FIELD:
		if (b == '"') {
			c->quoted = 1;
			c->st = ST_QUOTED;
		} else if (b == ',')
			csv_end_field(c);
		else if (b == '\n') {
			if (c->ncols > 0) {          /* "a,\n": a last, empty field */
				csv_end_field(c);
				csv_end_record(c);
			}                            /* else an empty line */
		} else if (b == '\r') {
			if (c->ncols > 0)            /* "a,\r\n" */
				csv_end_field(c);
			c->st = ST_CR;
		} else {
			csv_cell_byte(c, b);
			c->st = ST_UNQUOTED;
		}
		break;
	case ST_UNQUOTED:
		if (b == ',') {
			csv_end_field(c);
			c->st = ST_FIELD;
		} else if (b == '\n') {
			csv_end_field(c);
			csv_end_record(c);
			c->st = ST_FIELD;
		} else if (b == '\r') {
			csv_end_field(c);
			c->st = ST_CR;
		} else if (b == '"')
			csv_fatal(c, "csv-syntax", "quote inside an unquoted field on line %llu",
			    (unsigned long long)c->line);
		else
			csv_cell_byte(c, b);
		break;
	case ST_QUOTED:
		if (b == '"')
			c->st = ST_QUOTE_SEEN;
		else
			csv_cell_byte(c, b);
		break;
	case ST_QUOTE_SEEN:
		if (b == '"') {                      /* "" is one quote */
			csv_cell_byte(c, b);
			c->st = ST_QUOTED;
		} else if (b == ',') {
			csv_end_field(c);
			c->st = ST_FIELD;
		} else if (b == '\n') {
			csv_end_field(c);
			csv_end_record(c);
			c->st = ST_FIELD;
		} else if (b == '\r') {
			csv_end_field(c);
			c->st = ST_CR;
		} else
			csv_fatal(c, "csv-syntax", "text after a closing quote on line %llu",
			    (unsigned long long)c->line);
		break;
	case ST_CR:
		if (b != '\n') {
			csv_fatal(c, "csv-syntax", "carriage return without line feed on line %llu",
			    (unsigned long long)c->line);
			break;
		}
		/* A CR in ST_FIELD with no field ended on this line is an empty
		 * CRLF line; otherwise the field before it was ended already. */
		if (c->ncols > 0)
			csv_end_record(c);
		c->st = ST_FIELD;
		break;
	}
	if (b == '\n')
		c->line++;
	if (c->cell > CSV_CELL_MAX && !c->stop)
		csv_fatal(c, "csv-limits", "cell longer than %d bytes on line %llu",
		    CSV_CELL_MAX, (unsigned long long)c->line);
}

static void
csv_eof(struct csv *c)
{
	if (c->u8.need > 0) {
		csv_fatal(c, "csv-utf8", "truncated UTF-8 sequence at the end");
		return;
	}
	switch (c->st) {
	case ST_QUOTED:
		csv_fatal(c, "csv-syntax", "unterminated quoted field at the end");
		return;
	case ST_CR:
		csv_fatal(c, "csv-syntax", "carriage return without line feed at the end");
		return;
	case ST_UNQUOTED:
	case ST_QUOTE_SEEN:
		csv_end_field(c);
		csv_end_record(c);
		break;
	case ST_FIELD:
		if (c->ncols > 0) {                  /* "a,b," then EOF */
			csv_end_field(c);
			csv_end_record(c);
		}
		break;
	}
}

int
csv_inspect(int fd, uint64_t size, const struct policy *p, const char *member,
    struct inspect_result *res)
{
	struct csv c;
	uint8_t *buf;
	uint64_t off = 0;
	ssize_t n, i;

	memset(&c, 0, sizeof(c));
	c.res = res;
	c.member = member != NULL ? member : "";
	c.line = 1;
	c.st = ST_FIELD;
	if ((buf = malloc(CSV_BLOCK)) == NULL)
		return -1;
	inspect_clock(res, p->inspect_seconds);
	while (off < size && !c.stop) {
		size_t want = size - off < CSV_BLOCK ? (size_t)(size - off) : CSV_BLOCK;

		/* the upload's clock, once per block */
		if (inspect_late(res)) {
			inspect_timeout(res, c.member, "CSV: over %u seconds", p->inspect_seconds);
			free(buf);
			return 0;
		}

		do
			n = pread(fd, buf, want, (off_t)off);
		while (n < 0 && errno == EINTR);
		if (n <= 0) {
			free(buf);
			return -1;
		}
		i = 0;
		if (off == 0 && n >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF)
			i = 3;                           /* the BOM */
		for (; i < n && !c.stop; i++)
			csv_byte(&c, buf[i]);
		off += (uint64_t)n;
	}
	free(buf);
	if (!c.stop)
		csv_eof(&c);
	if (c.stop)
		return 0;
	if (c.records == 0)
		inspect_finding(res, 1, "csv-empty", c.member, "no record");
	if (c.cols_n > 0)
		inspect_finding(res, 1, "csv-columns", c.member,
		    "record %llu has %llu columns, the first has %llu (%llu records differ)",
		    (unsigned long long)c.cols_rec, (unsigned long long)c.cols_got,
		    (unsigned long long)c.expect, (unsigned long long)c.cols_n);
	if (c.formula_n > 0)
		inspect_finding(res, 1, "csv-formula", c.member,
		    "record %llu column %llu starts with %s%s (%llu cells in all)",
		    (unsigned long long)c.formula_rec, (unsigned long long)c.formula_col,
		    c.formula_ws ? "white space then " : "",
		    c.formula_ch == ' ' ? "more white space than is checked" :
		    c.formula_ch == '=' ? "'='" : c.formula_ch == '+' ? "'+'" :
		    c.formula_ch == '-' ? "'-'" : "'@'",
		    (unsigned long long)c.formula_n);
	return 0;
}
