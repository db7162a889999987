/*
 * intake/cmd_obligations.c: `intake obligations --url URL [--party ID] [--csv]`
 * (DESIGN §3, §8).
 *
 * Fetches the obligations register (GET /v1/obligations[?party=ID], mutual
 * TLS through fetch.h) and prints one line per obligation: party,
 * obligation, status, due date, plan, receipts and basis, as a plain table
 * or, with --csv, as CSV (RFC 4180 quoting, a header line).
 * Runs as the user. Trusts nothing in the answer: every value is made
 * printable (utf8_sanitize) and a CSV cell a spreadsheet would take for a
 * formula (= + - @) gets a leading single quote.
 * Exit status: 0 printed, 1 fetch or register error (one line on stderr), 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/utf8.h"
#include "cli.h"
#include "cmds.h"
#include "fetch.h"

#define OBL_USAGE "usage: intake obligations --url URL [--party ID] [--csv] " \
	"[--cacert F --cert F --key F]\n"
#define OBL_BODY_MAX  (64u << 20)   /* the register of every Party */
#define OBL_ERR_MAX   512
#define OBL_CELL_MAX  1024
#define OBL_NCOLS     7

static const char *obl_head[OBL_NCOLS] = {
	"party", "obligation", "status", "due", "plan", "receipts", "basis",
};

/* The text of member KEY of O (string, integer, array of integers), sanitised. */
static void
obl_cell(json_t *o, const char *key, char out[OBL_CELL_MAX])
{
	json_t *v = json_object_get(o, key), *x;
	char tmp[OBL_CELL_MAX] = "";
	size_t i, n = 0;

	if (json_is_string(v))
		snprintf(tmp, sizeof(tmp), "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(tmp, sizeof(tmp), "%lld", (long long)json_integer_value(v));
	else if (json_is_array(v))
		json_array_foreach(v, i, x) {
			if (!json_is_integer(x) || n + 24 >= sizeof(tmp))
				continue;
			n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "%s%lld", n ? " " : "",
			    (long long)json_integer_value(x));
		}
	utf8_sanitize(out, OBL_CELL_MAX, tmp, strlen(tmp));
}

int
cmd_obligations(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url",    required_argument, NULL, 'u' },
		{ "party",  required_argument, NULL, 'p' },
		{ "csv",    no_argument,       NULL, 'v' },
		{ "cacert", required_argument, NULL, 'C' },
		{ "cert",   required_argument, NULL, 'c' },
		{ "key",    required_argument, NULL, 'K' },
		{ "help",   no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fetch *f = NULL;
	json_t *root = NULL, *list, *o;
	json_error_t jerr;
	const char *url = NULL, *party = NULL, *cacert = NULL, *cert = NULL, *key = NULL;
	char err[OBL_ERR_MAX], path[160], cell[OBL_CELL_MAX], *body = NULL;
	size_t len, i, k;
	int c, csv = 0, status, rc = CMD_FAIL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'u': url = optarg; break;
		case 'p': party = optarg; break;
		case 'v': csv = 1; break;
		case 'C': cacert = optarg; break;
		case 'c': cert = optarg; break;
		case 'K': key = optarg; break;
		case 'h':
			fputs(OBL_USAGE, stdout);
			return CMD_OK;
		default:
			fputs(OBL_USAGE, stderr);
			return CMD_USAGE;
		}
	}
	if (optind != argc || url == NULL || (key != NULL && cert == NULL)) {
		fputs(OBL_USAGE, stderr);
		return CMD_USAGE;
	}
	if (party != NULL && (party[0] == '\0' || strlen(party) > 63 ||
	    strspn(party, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
	    strlen(party))) {
		fprintf(stderr, "intake obligations: --party: not a Party ID\n");
		return CMD_USAGE;
	}
	if ((f = fetch_new(url, cacert, cert, key, err, sizeof(err))) == NULL) {
		rc = cli_fail("obligations", "%s", err);
		goto out;
	}
	snprintf(path, sizeof(path), "/v1/obligations%s%s", party ? "?party=" : "",
	    party ? party : "");
	if (fetch_get(f, path, OBL_BODY_MAX, &status, &body, &len, err, sizeof(err)) == -1) {
		rc = cli_fail("obligations", "GET %s: %s", path, err);
		goto out;
	}
	if (status != 200) {
		rc = cli_fail("obligations", "GET %s: HTTP %d", path, status);
		goto out;
	}
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	list = json_object_get(root, "obligations");
	if (!json_is_object(root) || !json_is_array(list)) {
		rc = cli_fail("obligations", "the answer is not an obligations register");
		goto out;
	}
	if (csv) {
		for (k = 0; k < OBL_NCOLS; k++)
			printf("%s%s", k ? "," : "", obl_head[k]);
		putchar('\n');
	} else {
		obl_cell(root, "as_of", cell);
		printf("Obligations as of %s: %zu\n\n", cell, json_array_size(list));
		printf("%-12s %-24s %-8s %-10s %-6s %-16s %s\n", "PARTY", "OBLIGATION", "STATUS",
		    "DUE", "PLAN", "RECEIPTS", "BASIS");
	}
	json_array_foreach(list, i, o) {
		if (!json_is_object(o)) {
			rc = cli_fail("obligations", "malformed line %zu of the register", i);
			goto out;
		}
		for (k = 0; k < OBL_NCOLS; k++) {
			obl_cell(o, obl_head[k], cell);
			if (csv) {
				if (k)
					putchar(',');
				cli_csv_cell(cell);
			} else {
				static const int w[OBL_NCOLS] = { 12, 24, 8, 10, 6, 16, 0 };

				printf(k + 1 < OBL_NCOLS ? "%-*s " : "%-*s", w[k],
				    cell[0] ? cell : "-");
			}
		}
		putchar('\n');
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		rc = cli_fail("obligations", "cannot write to stdout: %s", strerror(errno));
		goto out;
	}
	rc = CMD_OK;
out:
	json_decref(root);
	free(body);
	fetch_free(f);
	return rc;
}
