/*
 * inspect/g527.c: the content of a G5.27 Shared Resource return (g527.h).
 * One set of rules (g527_header, g527_data, g527_end) over the rows of
 * either form: CSV records split here, or the cells of an .xlsx's only
 * sheet as workbook_read_sheet hands them over.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect/g527.h"
#include "inspect/workbook.h"
#include "notary/obligations.h"

enum { G_PARTY, G_PERIOD, G_COUNT, G_NCOLS };

static const char *const g527_names[G_NCOLS] = { "party", "periodend", "criticalcapablesms" };
static const char *const g527_spelt[G_NCOLS] = { "party", "period_end", "critical_capable_sms" };

struct g527_row {
	char   f[G527_COLS_MAX][G527_FIELD_MAX];
	size_t n;
};

/* A check in progress: the rules' state and the reason of a refusal. */
struct g527 {
	const char     *party;       /* NULL: any (offline) */
	const char     *unit;        /* "line" (CSV) or "row" (xlsx) */
	int             col[G_NCOLS];
	int             header;      /* the header row was read */
	size_t          rows;        /* data rows */
	char           *why;
	size_t          whylen;
	struct g527_row row;         /* xlsx: the row being read */
};

/* Splits one record from *P (up to END) into ROW. 0, 1 at the end, -1 bad. */
static int
g527_record(const char **p, const char *end, struct g527_row *row, const char **why)
{
	const char *s = *p;
	size_t len = 0;
	int quoted = 0, field_quoted = 0;

	if (s >= end)
		return 1;
	row->n = 0;
	memset(row->f[0], 0, sizeof(row->f[0]));
	for (; s < end; s++) {
		char ch = *s;

		if (quoted) {
			if (ch == '"' && s + 1 < end && s[1] == '"')
				s++;
			else if (ch == '"') {
				quoted = 0;
				continue;
			}
		} else if (ch == '"' && len == 0 && !field_quoted) {
			quoted = field_quoted = 1;
			continue;
		} else if (ch == ',' || ch == '\n' || ch == '\r') {
			row->f[row->n][len] = '\0';
			row->n++;
			len = 0;
			field_quoted = 0;
			if (ch != ',') {
				if (ch == '\r' && s + 1 < end && s[1] == '\n')
					s++;
				s++;
				break;
			}
			if (row->n == G527_COLS_MAX) {
				*why = "more than 64 columns";
				return -1;
			}
			continue;
		}
		if (len + 1 >= G527_FIELD_MAX) {
			*why = "a field longer than 127 bytes";
			return -1;
		}
		row->f[row->n][len++] = ch;
	}
	if (quoted) {
		*why = "an unterminated quoted field";
		return -1;
	}
	if (s >= end && (s == *p || (s[-1] != '\n' && s[-1] != '\r'))) {
		row->f[row->n][len] = '\0';
		row->n++;
	}
	*p = s;
	return 0;
}

/* A header name without case, spaces, '-' and '_'. */
static void
g527_norm(const char *in, char *out, size_t outlen)
{
	size_t n = 0;

	for (; *in != '\0' && n + 1 < outlen; in++) {
		if (*in == ' ' || *in == '-' || *in == '_' || *in == '\t')
			continue;
		out[n++] = (char)(*in >= 'A' && *in <= 'Z' ? *in - 'A' + 'a' : *in);
	}
	out[n] = '\0';
}

/* A row of empty fields only (a blank line, ",,", an empty sheet row). */
static int
g527_blank(const struct g527_row *row)
{
	for (size_t i = 0; i < row->n; i++)
		if (row->f[i][0] != '\0')
			return 0;
	return 1;
}

static int g527_fail(struct g527 *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes "G5.27 return: ..." to WHY. -1. */
static int
g527_fail(struct g527 *g, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(g->why, g->whylen, "G5.27 return: ");
	if (n < 0 || (size_t)n >= g->whylen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(g->why + n, g->whylen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* The header row: where each column is. 0/-1. */
static int
g527_header(struct g527 *g, const struct g527_row *row)
{
	char norm[G527_FIELD_MAX];
	size_t i, k;

	for (i = 0; i < row->n; i++) {
		g527_norm(row->f[i], norm, sizeof(norm));
		for (k = 0; k < G_NCOLS; k++)
			if (strcmp(norm, g527_names[k]) == 0) {
				if (g->col[k] != -1)
					return g527_fail(g, "column %s twice", g527_spelt[k]);
				g->col[k] = (int)i;
			}
	}
	for (k = 0; k < G_NCOLS; k++)
		if (g->col[k] == -1)
			return g527_fail(g, "the header has no %s column (party, period_end, "
			    "critical_capable_sms)", g527_spelt[k]);
	g->header = 1;
	return 0;
}

/* One data row, at line or row AT. 0/-1. */
static int
g527_data(struct g527 *g, const struct g527_row *row, size_t at)
{
	const char *count, *period;
	int32_t days;
	size_t k;

	for (k = 0; k < G_NCOLS; k++)
		if ((size_t)g->col[k] >= row->n)
			return g527_fail(g, "%s %zu has too few fields", g->unit, at);
	if (g->party != NULL && strcmp(row->f[g->col[G_PARTY]], g->party) != 0)
		return g527_fail(g, "%s %zu is for another Party, not %s", g->unit, at, g->party);
	period = row->f[g->col[G_PERIOD]];
	if (obl_date_parse(period, &days) == -1) {
		if (*period != '\0' && strspn(period, "0123456789.") == strlen(period))
			return g527_fail(g, "%s %zu: period_end is a number, not a date (write "
			    "YYYY-MM-DD, or give the cell a date format)", g->unit, at);
		return g527_fail(g, "%s %zu: period_end is not a date YYYY-MM-DD", g->unit, at);
	}
	count = row->f[g->col[G_COUNT]];
	if (*count == '\0' || strlen(count) > 15 || strspn(count, "0123456789") != strlen(count))
		return g527_fail(g, "%s %zu: critical_capable_sms is not a non-negative integer",
		    g->unit, at);
	if (++g->rows > G527_ROWS_MAX)
		return g527_fail(g, "more than %d rows", G527_ROWS_MAX);
	return 0;
}

/* A non-blank row: the header, or data. 0/-1. */
static int
g527_take(struct g527 *g, const struct g527_row *row, size_t at)
{
	if (g527_blank(row))
		return 0;
	return g->header ? g527_data(g, row, at) : g527_header(g, row);
}

/* After the last row. 0/-1. */
static int
g527_end(struct g527 *g)
{
	if (!g->header)
		return g527_fail(g, "no header row");
	if (g->rows == 0)
		return g527_fail(g, "no rows after the header");
	return 0;
}

static void
g527_init(struct g527 *g, const char *party, const char *unit, char *why, size_t whylen)
{
	memset(g, 0, sizeof(*g));
	for (int k = 0; k < G_NCOLS; k++)
		g->col[k] = -1;
	g->party = party;
	g->unit = unit;
	g->why = why;
	g->whylen = whylen;
	if (whylen > 0)
		why[0] = '\0';
}

int
g527_check_text(const char *buf, size_t len, const char *party, char *why, size_t whylen)
{
	struct g527 g;
	const char *p = buf, *end = buf + len, *w = NULL;
	size_t line = 0;
	int r;

	g527_init(&g, party, "line", why, whylen);
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while ((r = g527_record(&p, end, &g.row, &w)) == 0)
		if (g527_take(&g, &g.row, ++line) == -1)
			return -1;
	if (r == -1)
		return g527_fail(&g, "line %zu: %s", line + 1, w);
	return g527_end(&g);
}

int
g527_check_csv(int fd, uint64_t size, const char *party, char *why, size_t whylen)
{
	static char buf[G527_MAX];
	size_t got = 0;
	ssize_t r;

	if (size > G527_MAX) {
		snprintf(why, whylen, "G5.27 return: larger than %d bytes", G527_MAX);
		return -1;
	}
	while (got < size) {
		r = pread(fd, buf + got, (size_t)size - got, (off_t)got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(why, whylen, "G5.27 return: cannot be read");
			return -1;
		}
		got += (size_t)r;
	}
	return g527_check_text(buf, got, party, why, whylen);
}

/* Column number N (1-based) as its letters: 1 A, 27 AA. */
static void
g527_colname(uint32_t n, char out[8])
{
	char tmp[8];
	size_t i = 0, j = 0;

	while (n > 0 && i < sizeof(tmp) - 1) {
		tmp[i++] = (char)('A' + (n - 1) % 26);
		n = (n - 1) / 26;
	}
	while (i > 0)
		out[j++] = tmp[--i];
	out[j] = '\0';
}

static int
g527_xlsx_cell(void *arg, uint32_t row, const struct workbook_cell *c, char *why, size_t whylen)
{
	struct g527 *g = arg;
	char col[8];
	size_t len = strlen(c->text);

	g527_colname(c->col, col);
	if (c->formula)
		return g527_fail(g, "cell %s%u is a formula: a return holds values (a "
		    "formula's result is only what its writer cached)", col, row);
	if (c->col > G527_COLS_MAX)
		return g527_fail(g, "row %u: more than %d columns", row, G527_COLS_MAX);
	if (len >= G527_FIELD_MAX)
		return g527_fail(g, "cell %s%u is longer than %d bytes", col, row,
		    G527_FIELD_MAX - 1);
	/* columns left empty before this one stay "" */
	while (g->row.n < c->col)
		g->row.f[g->row.n++][0] = '\0';
	memcpy(g->row.f[c->col - 1], c->text, len + 1);
	return 0;
}

static int
g527_xlsx_row_end(void *arg, uint32_t row, char *why, size_t whylen)
{
	struct g527 *g = arg;
	int r = g527_take(g, &g->row, row);

	g->row.n = 0;
	return r;
}

int
g527_check_xlsx(int fd, uint64_t size, const struct policy *p, const char *party, char *why,
    size_t whylen)
{
	struct g527 g;
	const struct workbook_sheet_cb cb = { g527_xlsx_cell, g527_xlsx_row_end, &g };
	char wbwhy[G527_WHY_MAX];

	g527_init(&g, party, "row", why, whylen);
	if (workbook_read_sheet(fd, size, p, &cb, wbwhy, sizeof(wbwhy)) == -1) {
		/* a rule of ours wrote WHY; else the reader's reason */
		if (why[0] == '\0')
			snprintf(why, whylen, "G5.27 return: %s", wbwhy);
		return -1;
	}
	return g527_end(&g);
}
