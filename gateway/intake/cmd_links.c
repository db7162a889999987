/*
 * intake/cmd_links.c: `intake links --url URL --index N [--csv]` (DESIGN §3, §5).
 *
 * Fetches the link report of Validation Workbook N (GET /v1/workbooks/N/links,
 * mutual TLS through fetch.h) and prints it for people: a header line, an
 * aligned table of the evidence references (ref, status, filename,
 * obligation, receipt, sha256 prefix) and the Party's unreferenced uploads;
 * or, with --csv, one CSV table (RFC 4180 quoting) in which unreferenced
 * uploads are rows of status "unreferenced".
 * Runs as the user. Trusts nothing in the answer: every value is made
 * printable (control, bidirectional and invalid UTF-8 bytes become '?')
 * before it reaches a terminal, and every CSV cell that a spreadsheet would
 * take for a formula (= + - @) is prefixed with a single quote.
 * Exit status: 0 printed, 1 fetch or report error (one line on stderr), 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/utf8.h"
#include "cli.h"
#include "cmds.h"
#include "fetch.h"

#define LINKS_USAGE "usage: intake links --url URL --index N [--csv] " \
	"[--cacert F --cert F --key F]\n"
#define LINKS_BODY_MAX  (32u << 20)  /* a report: 10 000 rows and the unreferenced list */
#define LINKS_ERR_MAX   512          /* one reason line */
#define LINKS_CELL_MAX  1024         /* one cell after sanitising, bytes */
#define LINKS_COL_MAX   40           /* widest table column, characters */
#define LINKS_SHA_SHOWN 12           /* hex digits of sha256 shown in the table */
#define LINKS_NCOLS     6

enum { COL_REF, COL_STATUS, COL_FILE, COL_OBL, COL_RECEIPT, COL_SHA };

static const char *report_head[LINKS_NCOLS] = {
	"REF", "STATUS", "FILENAME", "OBLIGATION", "RECEIPT", "SHA256",
};
static const char *report_csv_head[LINKS_NCOLS] = {
	"ref", "status", "filename", "obligation", "receipt", "sha256",
};

/* One line of the report, cells sanitised (malloc'd, "" when absent). */
struct report_row {
	char *cell[LINKS_NCOLS];
};

struct report_table {
	struct report_row *rows;
	size_t n, cap;
};

/* Decimal N: digits only, no leading zero, at most INT64_MAX. 0/-1. */
static int
report_index(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i, len = strlen(s);

	if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > ((uint64_t)INT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* A printable copy of S (may be NULL: ""). NULL only when out of memory. */
static char *
report_clean(const char *s)
{
	char buf[LINKS_CELL_MAX];

	s = s != NULL ? s : "";
	utf8_sanitize(buf, sizeof(buf), s, strlen(s));
	return strdup(buf);
}

/*
 * Cell from member KEY of object O: a string (sanitised), an integer, or
 * absent (""). Anything else is a malformed report: -1.
 */
static int
report_cell(json_t *o, const char *key, char **out)
{
	json_t *j = json_object_get(o, key);
	char num[32];

	*out = NULL;
	if (j == NULL || json_is_null(j))
		*out = report_clean("");
	else if (json_is_string(j))
		*out = report_clean(json_string_value(j));
	else if (json_is_integer(j) && json_integer_value(j) >= 0) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		*out = report_clean(num);
	} else
		return -1;
	return *out == NULL ? -1 : 0;
}

static void
report_table_free(struct report_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		for (int c = 0; c < LINKS_NCOLS; c++)
			free(t->rows[i].cell[c]);
	free(t->rows);
	t->rows = NULL;
	t->n = t->cap = 0;
}

/* Appends a row to T from object O; UNREF rows take status "unreferenced". */
static int
report_table_add(struct report_table *t, json_t *o, int unref)
{
	static const char *keys[LINKS_NCOLS] = {
		"ref", "status", "filename", "obligation", "receipt", "sha256",
	};
	struct report_row *r, *nr;
	size_t cap;
	int c;

	if (!json_is_object(o))
		return -1;
	if (t->n == t->cap) {
		cap = t->cap != 0 ? 2 * t->cap : 64;
		if ((nr = realloc(t->rows, cap * sizeof(*nr))) == NULL)
			return -1;
		t->rows = nr;
		t->cap = cap;
	}
	r = &t->rows[t->n];
	memset(r, 0, sizeof(*r));
	t->n++;
	for (c = 0; c < LINKS_NCOLS; c++) {
		if (unref && c == COL_STATUS) {
			if ((r->cell[c] = strdup("unreferenced")) == NULL)
				return -1;
		} else if (report_cell(o, keys[c], &r->cell[c]) == -1)
			return -1;
	}
	return 0;
}

/* Characters (UTF-8 code points) in S. */
static size_t
report_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* Prints S in a column of WIDTH characters (cut to it, "..." marking a cut). */
static void
report_print_cell(const char *s, size_t width, int last)
{
	size_t w = report_width(s), chars = 0;
	const char *p;

	if (w > width) {
		for (p = s; *p != '\0'; p++) {
			if (((unsigned char)*p & 0xc0) != 0x80 && ++chars > width - 3)
				break;
			putchar(*p);
		}
		fputs("...", stdout);
		w = width;
	} else
		fputs(s, stdout);
	if (!last)
		printf("%*s", (int)(width - w + 2), "");
}

/* The table COLS of T (a header, then rows), aligned. */
static void
report_print_table(const struct report_table *t, const int *cols, size_t ncols,
    const char **head)
{
	size_t width[LINKS_NCOLS], i, k, w, last;
	const char *s;

	for (k = 0; k < ncols; k++) {
		width[k] = report_width(head[cols[k]]);
		for (i = 0; i < t->n; i++) {
			s = t->rows[i].cell[cols[k]];
			w = report_width(s);
			if (cols[k] == COL_SHA && w > LINKS_SHA_SHOWN)
				w = LINKS_SHA_SHOWN;
			if (w > width[k])
				width[k] = w > LINKS_COL_MAX ? LINKS_COL_MAX : w;
		}
	}
	for (k = 0; k < ncols; k++)
		report_print_cell(head[cols[k]], width[k], k + 1 == ncols);
	putchar('\n');
	for (i = 0; i < t->n; i++) {
		/* no padding after the last non-empty cell */
		for (last = ncols; last > 1 && t->rows[i].cell[cols[last - 1]][0] == '\0'; last--)
			;
		for (k = 0; k < last; k++) {
			char sha[LINKS_SHA_SHOWN + 1];

			s = t->rows[i].cell[cols[k]];
			if (cols[k] == COL_SHA) {
				snprintf(sha, sizeof(sha), "%s", s);
				s = sha;
			}
			report_print_cell(s, width[k], k + 1 == last);
		}
		putchar('\n');
	}
}

static void
report_print_csv(const struct report_table *refs, const struct report_table *unref)
{
	const struct report_table *t[2] = { refs, unref };
	int c;

	for (c = 0; c < LINKS_NCOLS; c++) {
		fputs(report_csv_head[c], stdout);
		fputs(c + 1 == LINKS_NCOLS ? "\r\n" : ",", stdout);
	}
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < t[k]->n; i++)
			for (c = 0; c < LINKS_NCOLS; c++) {
				cli_csv_cell(t[k]->rows[i].cell[c]);
				fputs(c + 1 == LINKS_NCOLS ? "\r\n" : ",", stdout);
			}
}

/* "received 2, missing 1" style counts of the STATUS column. */
static void
report_print_counts(const struct report_table *t)
{
	static const char *known[] = { "received", "missing", "mismatch", "rejected" };
	size_t n, k, i, other = 0;
	int first = 1;

	for (k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
		for (n = 0, i = 0; i < t->n; i++)
			n += strcmp(t->rows[i].cell[COL_STATUS], known[k]) == 0;
		if (n == 0)
			continue;
		printf("%s%zu %s", first ? "" : ", ", n, known[k]);
		first = 0;
	}
	for (i = 0; i < t->n; i++) {
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (strcmp(t->rows[i].cell[COL_STATUS], known[k]) == 0)
				break;
		other += k == sizeof(known) / sizeof(known[0]);
	}
	if (other != 0)
		printf("%s%zu other", first ? "" : ", ", other);
}

int
cmd_links(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url",    required_argument, NULL, 'u' },
		{ "index",  required_argument, NULL, 'i' },
		{ "csv",    no_argument,       NULL, 'v' },
		{ "cacert", required_argument, NULL, 'C' },
		{ "cert",   required_argument, NULL, 'c' },
		{ "key",    required_argument, NULL, 'K' },
		{ "help",   no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const int ref_cols[] = { COL_REF, COL_STATUS, COL_FILE, COL_OBL, COL_RECEIPT,
	    COL_SHA };
	static const int unref_cols[] = { COL_RECEIPT, COL_FILE };
	struct report_table refs = { 0 }, unref = { 0 };
	struct fetch *f = NULL;
	json_t *root = NULL, *jrefs, *junref, *j;
	json_error_t jerr;
	const char *url = NULL, *idxarg = NULL, *cacert = NULL, *cert = NULL, *key = NULL;
	char err[LINKS_ERR_MAX], path[64], *body = NULL, *party = NULL, *tab = NULL;
	size_t len, i;
	uint64_t index;
	int c, csv = 0, status, rc = CMD_FAIL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'u': url = optarg; break;
		case 'i': idxarg = optarg; break;
		case 'v': csv = 1; break;
		case 'C': cacert = optarg; break;
		case 'c': cert = optarg; break;
		case 'K': key = optarg; break;
		case 'h':
			fputs(LINKS_USAGE, stdout);
			return CMD_OK;
		default:
			fputs(LINKS_USAGE, stderr);
			return CMD_USAGE;
		}
	}
	if (optind != argc || url == NULL || idxarg == NULL || (key != NULL && cert == NULL)) {
		fputs(LINKS_USAGE, stderr);
		return CMD_USAGE;
	}
	if (report_index(idxarg, &index) == -1) {
		fprintf(stderr, "intake links: --index: not a receipt index: %s\n", idxarg);
		return CMD_USAGE;
	}

	if ((f = fetch_new(url, cacert, cert, key, err, sizeof(err))) == NULL) {
		rc = cli_fail("links", "%s", err);
		goto out;
	}
	snprintf(path, sizeof(path), "/v1/workbooks/%" PRIu64 "/links", index);
	if (fetch_get(f, path, LINKS_BODY_MAX, &status, &body, &len, err, sizeof(err)) == -1) {
		rc = cli_fail("links", "GET %s: %s", path, err);
		goto out;
	}
	if (status == 404) {
		rc = cli_fail("links", "workbook %" PRIu64 ": not found (no such accepted "
		    "workbook, or not visible to this certificate)", index);
		goto out;
	}
	if (status != 200) {
		rc = cli_fail("links", "GET %s: HTTP %d", path, status);
		goto out;
	}
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	jrefs = json_object_get(root, "references");
	junref = json_object_get(root, "unreferenced");
	if (!json_is_object(root) || !json_is_array(jrefs) ||
	    (junref != NULL && !json_is_array(junref))) {
		rc = cli_fail("links", "workbook %" PRIu64 ": the answer is not a link report",
		    index);
		goto out;
	}
	json_array_foreach(jrefs, i, j)
		if (report_table_add(&refs, j, 0) == -1) {
			rc = cli_fail("links", "workbook %" PRIu64 ": malformed reference %zu in "
			    "the report", index, i);
			goto out;
		}
	json_array_foreach(junref, i, j)
		if (report_table_add(&unref, j, 1) == -1) {
			rc = cli_fail("links", "workbook %" PRIu64 ": malformed unreferenced "
			    "upload %zu in the report", index, i);
			goto out;
		}
	if (report_cell(root, "party", &party) == -1 || report_cell(root, "tab", &tab) == -1) {
		rc = cli_fail("links", "workbook %" PRIu64 ": malformed report", index);
		goto out;
	}

	if (csv)
		report_print_csv(&refs, &unref);
	else {
		printf("Workbook %" PRIu64 ", party %s, tab \"%s\": %zu reference%s", index,
		    party, tab, refs.n, refs.n == 1 ? "" : "s");
		if (refs.n != 0) {
			fputs(" (", stdout);
			report_print_counts(&refs);
			putchar(')');
		}
		fputs("\n\n", stdout);
		if (refs.n != 0)
			report_print_table(&refs, ref_cols, LINKS_NCOLS, report_head);
		if (unref.n == 0)
			printf("%sUnreferenced uploads: none\n", refs.n != 0 ? "\n" : "");
		else {
			printf("%sUnreferenced uploads (%zu%s):\n", refs.n != 0 ? "\n" : "",
			    unref.n, json_is_true(json_object_get(root, "unreferenced_truncated")) ?
			    ", list truncated" : "");
			report_print_table(&unref, unref_cols, 2, report_head);
		}
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		rc = cli_fail("links", "cannot write to stdout: %s", strerror(errno));
		goto out;
	}
	rc = CMD_OK;
out:
	report_table_free(&refs);
	report_table_free(&unref);
	json_decref(root);
	free(party);
	free(tab);
	free(body);
	fetch_free(f);
	return rc;
}
