/*
 * inspect/g527.c: the content of a G5.27 Shared Resource return (g527.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect/g527.h"
#include "notary/obligations.h"

enum { G_PARTY, G_PERIOD, G_COUNT, G_NCOLS };

struct g527_row {
	char   f[G527_COLS_MAX][G527_FIELD_MAX];
	size_t n;
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

static int
g527_blank(const struct g527_row *row)
{
	return row->n == 1 && row->f[0][0] == '\0';
}

int
g527_check_text(const char *buf, size_t len, const char *party, char *why, size_t whylen)
{
	static const char *names[G_NCOLS] = { "party", "periodend", "criticalcapablesms" };
	static struct g527_row row;
	const char *p = buf, *end = buf + len, *w = NULL;
	char norm[G527_FIELD_MAX];
	int col[G_NCOLS] = { -1, -1, -1 };
	size_t i, k, rows = 0, line = 1;
	int32_t days;
	int r;

	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while ((r = g527_record(&p, end, &row, &w)) == 0 && g527_blank(&row))
		line++;
	if (r != 0) {
		snprintf(why, whylen, "G5.27 return: %s", r == 1 ? "no header row" : w);
		return -1;
	}
	for (i = 0; i < row.n; i++) {
		g527_norm(row.f[i], norm, sizeof(norm));
		for (k = 0; k < G_NCOLS; k++)
			if (strcmp(norm, names[k]) == 0) {
				if (col[k] != -1) {
					snprintf(why, whylen, "G5.27 return: column %s twice",
					    names[k]);
					return -1;
				}
				col[k] = (int)i;
			}
	}
	for (k = 0; k < G_NCOLS; k++)
		if (col[k] == -1) {
			snprintf(why, whylen, "G5.27 return: the header has no %s column "
			    "(party, period_end, critical_capable_sms)", k == G_PARTY ? "party" :
			    k == G_PERIOD ? "period_end" : "critical_capable_sms");
			return -1;
		}
	while ((r = g527_record(&p, end, &row, &w)) == 0) {
		const char *count;

		line++;
		if (g527_blank(&row))
			continue;
		for (k = 0; k < G_NCOLS; k++)
			if ((size_t)col[k] >= row.n) {
				snprintf(why, whylen, "G5.27 return: line %zu has too few fields", line);
				return -1;
			}
		if (party != NULL && strcmp(row.f[col[G_PARTY]], party) != 0) {
			snprintf(why, whylen, "G5.27 return: line %zu is for another Party, not %s",
			    line, party);
			return -1;
		}
		if (obl_date_parse(row.f[col[G_PERIOD]], &days) == -1) {
			snprintf(why, whylen, "G5.27 return: line %zu: period_end is not a date "
			    "YYYY-MM-DD", line);
			return -1;
		}
		count = row.f[col[G_COUNT]];
		if (*count == '\0' || strlen(count) > 15 || strspn(count, "0123456789") != strlen(count)) {
			snprintf(why, whylen, "G5.27 return: line %zu: critical_capable_sms is not "
			    "a non-negative integer", line);
			return -1;
		}
		rows++;
	}
	if (r == -1) {
		snprintf(why, whylen, "G5.27 return: line %zu: %s", line + 1, w);
		return -1;
	}
	if (rows == 0) {
		snprintf(why, whylen, "G5.27 return: no rows after the header");
		return -1;
	}
	return 0;
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
