/*
 * front/api.c: the read side of the HTTP API (DESIGN §5).
 *
 *   GET /v1/log/checkpoint                     latest signed checkpoint (text/plain)
 *   GET /v1/log/consistency?old=N&new=M        base64 hashes, one per line
 *   GET /v1/log/tile/<L>/<N>[.p/<W>]           C2SP tlog-tiles hash tiles
 *   GET /v1/log/tile/entries/<N>[.p/<W>]       entry bundles (secas, auditor)
 *   GET /v1/receipts/{index}                   receipt with a fresh proof
 *   GET /v1/receipts/{index}/file              the stored file (download.c)
 *   GET /v1/receipts?party=&kind=&verdict=&since=&limit=&after=
 *   GET /v1/workbooks/{index}/links            link report of a Validation Workbook
 *
 * One function a route, named in url.c's table (which path goes where).
 * Runs in the loop thread, on a read-only ledger connection; every answer
 * comes from one read transaction. Roles: a `party` sees only its own
 * receipts and workbooks (another Party's is a 404, the same as a missing
 * one) and no entry bundles; `secas` and `auditor` see everything. Numbers
 * in paths and queries are parsed strictly (digits only, no leading zeros,
 * bounded). A Shared Resource Provider (role provider) sees as a Party does,
 * and also the receipts it made for the Parties it acts for (agent: its ID):
 * GET /v1/receipts lists both, each with its party and agent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <jansson.h>

#include "common/log.h"
#include "front/conn.h"
#include "front/console.h"
#include "front/front.h"
#include "front/url.h"
#include "lib/util.h"
#include "notary/ledger.h"
#include "notary/obligations.h"
#include <intake/receipt.h>
#include <time.h>

#define LIST_LIMIT_DEFAULT 100
#define LIST_LIMIT_MAX     1000
#define TILE_HEIGHT        8
#define TILE_WIDTH         256

/* Decimal without sign or leading zeros, at most 2^62. */
static int
api_number(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > ((uint64_t)1 << 62))
		return -1;
	*out = v;
	return 0;
}

static int
api_query_number(const char *query, const char *name, uint64_t *out, int *present)
{
	char buf[32];
	int r = url_query(query, name, buf, sizeof(buf));

	*present = r == 1;
	if (r == 0)
		return 0;
	if (r == -1)
		return -1;
	return api_number(buf, strlen(buf), out);
}

/* Parties and Shared Resource Providers see only what is theirs; SECAS and
 * auditors see everything. */
static int
api_own_only(const struct conn *c)
{
	return c->role == ROLE_PARTY || c->role == ROLE_PROVIDER;
}

/* Whether E's entry has the line "agent: ID" (DESIGN §6). */
static int
api_agent_is(const struct ledger_entry *e, const char *id)
{
	char agent[PARTY_ID_MAX];

	return e->entry != NULL && intake_entry_get(e->entry, strlen(e->entry), "agent", agent,
	    sizeof(agent)) == 0 && strcmp(agent, id) == 0;
}

/* A Party sees its own entries; a provider also those it uploaded for the
 * Parties it serves (entry line agent: its ID). */
static int
api_visible(const struct conn *c, const struct ledger_entry *e)
{
	return !api_own_only(c) || strcmp(c->party_id, e->party) == 0 ||
	    (c->role == ROLE_PROVIDER && api_agent_is(e, c->party_id));
}

/* The JSON of a receipt (upload answer shape) from a ledger entry and proof. */
static json_t *
api_receipt_json(const struct ledger_entry *e, const char *proof)
{
	char hex[65], val[PARTY_ID_MAX];   /* an agent, or a plan index */
	json_t *j, *fa;
	json_error_t jerr;

	util_hex(e->sha256, 32, hex);
	j = json_object();
	json_object_set_new(j, "verdict", json_string(e->accepted ? "accepted" : "rejected"));
	json_object_set_new(j, "index", json_integer((json_int_t)e->index));
	json_object_set_new(j, "party", json_string(e->party));
	json_object_set_new(j, "kind", json_string(e->kind));
	json_object_set_new(j, "filename", json_string(e->filename));
	if (e->ref[0])
		json_object_set_new(j, "ref", json_string(e->ref));
	/* as in the upload's answer: who uploaded for the Party, the plan closed */
	if (e->entry != NULL && intake_entry_get(e->entry, strlen(e->entry), "agent", val,
	    sizeof(val)) == 0)
		json_object_set_new(j, "agent", json_string(val));
	if (e->entry != NULL && intake_entry_get(e->entry, strlen(e->entry), "plan", val,
	    sizeof(val)) == 0 && val[0] >= '0' && val[0] <= '9')
		json_object_set_new(j, "plan", json_integer((json_int_t)strtoull(val, NULL, 10)));
	json_object_set_new(j, "size", json_integer((json_int_t)e->size));
	json_object_set_new(j, "sha256", json_string(hex));
	json_object_set_new(j, "type", json_string(e->type));
	fa = e->findings ? json_loads(e->findings, 0, &jerr) : NULL;
	json_object_set_new(j, "findings", fa ? fa : json_array());
	json_object_set_new(j, "time", json_string(e->time));
	json_object_set_new(j, "receipt", json_string(e->receipt ? e->receipt : ""));
	if (proof)
		json_object_set_new(j, "proof", json_string(proof));
	return j;
}

/* 200 with the contents of B (drained). */
static void
api_respond_buffer(struct conn *c, const char *ctype, struct evbuffer *b)
{
	size_t len = evbuffer_get_length(b);
	char *s = malloc(len ? len : 1);

	if (s == NULL) {
		conn_error(c, 500, "out of memory", 0);
		return;
	}
	evbuffer_remove(b, s, len);
	conn_respond(c, 200, ctype, s, len, 0);
	free(s);
}

void
api_checkpoint(struct conn *c, const char *rest, const char *query)
{
	char *note = NULL;
	uint64_t size;

	(void)rest;
	(void)query;
	if (ledger_checkpoint(c->front->ledger, &note, &size) != 0) {
		free(note);
		conn_error(c, 503, "no checkpoint yet", 0);
		return;
	}
	conn_respond(c, 200, "text/plain; charset=utf-8", note, strlen(note), 0);
	free(note);
}

void
api_consistency(struct conn *c, const char *rest, const char *query)
{
	uint64_t old_size, new_size, cur;
	int has_old, has_new;
	intake_hash proof[INTAKE_PROOF_MAX];
	size_t n;
	char *note = NULL;
	struct evbuffer *b;

	(void)rest;
	if (api_query_number(query, "old", &old_size, &has_old) == -1 ||
	    api_query_number(query, "new", &new_size, &has_new) == -1 ||
	    !has_old || !has_new) {
		conn_error(c, 400, "old and new must be tree sizes", 0);
		return;
	}
	if (ledger_checkpoint(c->front->ledger, &note, &cur) != 0) {
		free(note);
		conn_error(c, 503, "no checkpoint yet", 0);
		return;
	}
	free(note);
	if (old_size > new_size) {
		conn_error(c, 400, "old is larger than new", 0);
		return;
	}
	if (new_size > cur) {
		conn_error(c, 400, "new is beyond the current tree size", 0);
		return;
	}
	if (old_size == 0) {
		/* Everything is consistent with the empty tree: the proof is empty. */
		conn_respond(c, 200, "text/plain; charset=utf-8", "", 0, 0);
		return;
	}
	if (ledger_consistency(c->front->ledger, old_size, new_size, proof, &n) != 0) {
		conn_error(c, 500, "cannot build the proof", 0);
		return;
	}
	b = evbuffer_new();
	for (size_t i = 0; i < n; i++) {
		char line[64];
		size_t l = util_b64(proof[i], 32, line);

		line[l++] = '\n';
		evbuffer_add(b, line, l);
	}
	api_respond_buffer(c, "text/plain; charset=utf-8", b);
	evbuffer_free(b);
}

void
api_receipt(struct conn *c, const char *arg, const char *query)
{
	uint64_t index;
	struct ledger_entry e;
	char *proof = NULL;
	int r;

	(void)query;
	{
		/* {index}/file: the stored file (download.c) */
		const char *slash = strchr(arg, '/');
		char num[24];

		if (slash != NULL && strcmp(slash, "/file") == 0 &&
		    (size_t)(slash - arg) < sizeof(num)) {
			memcpy(num, arg, (size_t)(slash - arg));
			num[slash - arg] = '\0';
			download_start(c, num);
			return;
		}
	}
	if (api_number(arg, strlen(arg), &index) == -1) {
		conn_error(c, 404, "no such receipt", 0);
		return;
	}
	memset(&e, 0, sizeof(e));
	r = ledger_get(c->front->ledger, index, &e);
	if (r == 1 || (r == 0 && !api_visible(c, &e))) {
		ledger_entry_clear(&e);
		conn_error(c, 404, "no such receipt", 0);
		return;
	}
	/* 1: not yet covered by a published checkpoint (witnesses late): no proof */
	if (r != 0 || ledger_proof(c->front->ledger, index, &proof) == -1) {
		ledger_entry_clear(&e);
		free(proof);
		conn_error(c, 500, "cannot read the ledger", 0);
		return;
	}
	conn_json(c, 200, api_receipt_json(&e, proof), 0);
	free(proof);
	ledger_entry_clear(&e);
}

struct api_list {
	json_t  *list;
	uint64_t last;
	unsigned n;
};

static int
api_list_one(const struct ledger_entry *e, void *arg)
{
	struct api_list *l = arg;

	json_array_append_new(l->list, api_receipt_json(e, NULL));
	l->last = e->index;
	l->n++;
	return 0;
}

/* RFC 3339 UTC as we write it: YYYY-MM-DDTHH:MM:SSZ (prefixes allowed). */
static int
api_time_ok(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t n = strlen(s);

	if (n == 0 || n > sizeof(pat) - 1)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
			return 0;
	return 1;
}

void
api_receipts(struct conn *c, const char *rest, const char *query)
{
	struct ledger_filter f = { .verdict = -1, .limit = LIST_LIMIT_DEFAULT };
	char party[PARTY_ID_MAX], kind[KIND_NAME_MAX], verdict[16], since[32];
	uint64_t limit, after;
	int has, r;
	struct api_list l = { 0 };
	json_t *j;

	(void)rest;
	if ((r = url_query(query, "party", party, sizeof(party))) == -1 ||
	    (r == 1 && (f.party = party, 0)) ||
	    (r = url_query(query, "kind", kind, sizeof(kind))) == -1 ||
	    (r == 1 && (f.kind = kind, 0)) ||
	    (r = url_query(query, "verdict", verdict, sizeof(verdict))) == -1 ||
	    (r == 1 && (f.verdict = strcmp(verdict, "accepted") == 0 ? 1 :
	        strcmp(verdict, "rejected") == 0 ? 0 : -2) == -2) ||
	    (r = url_query(query, "since", since, sizeof(since))) == -1 ||
	    (r == 1 && !api_time_ok(since)) ||
	    (r == 1 && (f.since = since, 0)) ||
	    api_query_number(query, "limit", &limit, &has) == -1 ||
	    (has && (limit == 0 || limit > LIST_LIMIT_MAX)) ||
	    (has && (f.limit = (unsigned)limit, 0)) ||
	    api_query_number(query, "after", &after, &has) == -1) {
		conn_error(c, 400, "bad query: party, kind, verdict (accepted|rejected), "
		    "since (RFC 3339 UTC), limit (1-1000), after (index)", 0);
		return;
	}
	if (has) {
		f.after = after;
		f.has_after = 1;
	}
	if (c->role == ROLE_PROVIDER) {
		/* A provider lists its own receipts and those it made for the
		 * Parties it serves (each names its party and agent); party=
		 * narrows to one of them. */
		f.actor = c->party_id;
	} else if (api_own_only(c)) {
		/* A Party lists only its own receipts, whatever it asks. */
		if (f.party && strcmp(f.party, c->party_id) != 0) {
			j = json_pack("{s:[]}", "receipts");
			conn_json(c, 200, j, 0);
			return;
		}
		f.party = c->party_id;
	}
	l.list = json_array();
	if (ledger_list(c->front->ledger, &f, api_list_one, &l) != 0) {
		json_decref(l.list);
		conn_error(c, 500, "cannot read the ledger", 0);
		return;
	}
	j = json_object();
	json_object_set_new(j, "receipts", l.list);
	if (l.n == f.limit)
		json_object_set_new(j, "next", json_integer((json_int_t)l.last));
	conn_json(c, 200, j, 0);
}

/* Parses a tile index path "x001/x234/067" starting at S; returns the rest. */
static const char *
api_tile_index(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	for (int seg = 0; seg < 7; seg++) {
		int last = s[0] != 'x';
		const char *d = last ? s : s + 1;

		if (d[0] < '0' || d[0] > '9' || d[1] < '0' || d[1] > '9' ||
		    d[2] < '0' || d[2] > '9')
			return NULL;
		v = v * 1000 + (uint64_t)((d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0'));
		if (last) {
			*out = v;
			return d + 3;
		}
		if (d[3] != '/')
			return NULL;
		s = d + 4;
	}
	return NULL;
}

void
api_tile(struct conn *c, const char *rest, const char *query)
{
	int entries = 0;
	uint64_t level = 0, index, width = TILE_WIDTH, cur, first;
	const char *p;
	char *note = NULL;
	struct evbuffer *b;

	(void)query;
	if (strncmp(rest, "entries/", 8) == 0) {
		entries = 1;
		p = rest + 8;
	} else {
		const char *slash = strchr(rest, '/');

		if (slash == NULL || api_number(rest, (size_t)(slash - rest), &level) == -1 ||
		    level > 5) {
			conn_error(c, 404, "no such tile", 0);
			return;
		}
		p = slash + 1;
	}
	if ((p = api_tile_index(p, &index)) == NULL) {
		conn_error(c, 404, "no such tile", 0);
		return;
	}
	if (strncmp(p, ".p/", 3) == 0) {
		if (api_number(p + 3, strlen(p + 3), &width) == -1 || width == 0 ||
		    width >= TILE_WIDTH) {
			conn_error(c, 404, "no such tile", 0);
			return;
		}
	} else if (*p != '\0') {
		conn_error(c, 404, "no such tile", 0);
		return;
	}
	if (entries && api_own_only(c)) {
		conn_error(c, 404, "no such tile", 0);
		return;
	}
	if (ledger_checkpoint(c->front->ledger, &note, &cur) != 0) {
		free(note);
		conn_error(c, 404, "no such tile", 0);
		return;
	}
	free(note);
	/* The tile's nodes are at tree level TILE_HEIGHT*level; node i covers
	 * leaves [i << lvl, (i+1) << lvl). All must be in the tree. */
	first = index * TILE_WIDTH;
	if (index > (UINT64_MAX >> 9) ||
	    ((first + width) << (TILE_HEIGHT * level)) >> (TILE_HEIGHT * level) != first + width ||
	    ((first + width) << (TILE_HEIGHT * level)) > cur) {
		conn_error(c, 404, "no such tile", 0);
		return;
	}
	b = evbuffer_new();
	for (uint64_t i = 0; i < width; i++) {
		if (entries) {
			struct ledger_entry e;
			uint8_t len[2];
			size_t n;

			memset(&e, 0, sizeof(e));
			if (ledger_get(c->front->ledger, first + i, &e) != 0 || e.entry == NULL ||
			    (n = strlen(e.entry)) > 0xffff) {
				ledger_entry_clear(&e);
				goto fail;
			}
			len[0] = (uint8_t)(n >> 8);
			len[1] = (uint8_t)n;
			evbuffer_add(b, len, 2);
			evbuffer_add(b, e.entry, n);
			ledger_entry_clear(&e);
		} else {
			uint8_t h[32];

			if (ledger_hash(c->front->ledger, (unsigned)(TILE_HEIGHT * level), first + i, h) != 0)
				goto fail;
			evbuffer_add(b, h, 32);
		}
	}
	api_respond_buffer(c, "application/octet-stream", b);
	evbuffer_free(b);
	return;
fail:
	evbuffer_free(b);
	conn_error(c, 500, "cannot read the ledger", 0);
}

void
api_links(struct conn *c, const char *rest, const char *query)
{
	uint64_t index;
	const char *slash = strchr(rest, '/');
	json_t *report = NULL;
	int r;

	(void)query;
	if (slash == NULL || strcmp(slash, "/links") != 0 ||
	    api_number(rest, (size_t)(slash - rest), &index) == -1) {
		conn_error(c, 404, "not found", 0);
		return;
	}
	r = ledger_links(c->front->ledger, index,
	    api_own_only(c) ? c->party_id : NULL, &report);
	if (r == 1) {
		conn_error(c, 404, "no such workbook", 0);
		return;
	}
	if (r != 0) {
		conn_error(c, 500, "cannot read the ledger", 0);
		return;
	}
	conn_json(c, 200, report, 0);
}

/* ---- the obligations register (DESIGN §8) ---- */

#define OBL_ROWS_MAX 1000000   /* register rows read per request: far above 10^5 entries */

struct obl_row {
	char             party[PARTY_ID_MAX];
	struct obl_event ev;
};

struct obl_rows {
	struct obl_row *v;
	size_t          n, cap;
	int             err;
};

/* One ledger row as the register's event; rows it cannot read are skipped. */
static int
api_obl_row(const struct ledger_entry *e, void *arg)
{
	struct obl_rows *r = arg;
	struct obl_row *row;
	char val[32], day[OBL_DATE_MAX];
	void *nv;

	if (r->n == OBL_ROWS_MAX) {
		r->err = E2BIG;
		return 1;
	}
	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 256;

		if ((nv = reallocarray(r->v, ncap, sizeof(*r->v))) == NULL) {
			r->err = ENOMEM;
			return 1;
		}
		r->v = nv;
		r->cap = ncap;
	}
	row = &r->v[r->n];
	memset(row, 0, sizeof(*row));
	snprintf(row->party, sizeof(row->party), "%s", e->party);
	row->ev.index = e->index;
	if (strcmp(e->kind, FACT_KIND) == 0) {
		if (strcmp(e->filename, FACT_CIO_FIELDWORK) == 0)
			row->ev.type = OBL_EV_FIELDWORK;
		else if (strcmp(e->filename, FACT_REMEDIATION_REQUIRED) == 0)
			row->ev.type = OBL_EV_REMEDIATION;
		else
			return 0;
		if (obl_date_parse(e->ref, &row->ev.date) == -1)
			return 0;
	} else {
		memcpy(day, e->time, 10);
		day[10] = '\0';
		if (obl_date_parse(day, &row->ev.date) == -1)
			return 0;
		if (strcmp(e->kind, KIND_SSA_WORKBOOK) == 0)
			row->ev.type = OBL_EV_SSA;
		else if (strcmp(e->kind, KIND_NOTIFICATION) == 0)
			row->ev.type = OBL_EV_NOTIFY;
		else if (strcmp(e->kind, KIND_REMEDIATION_PLAN) == 0)
			row->ev.type = OBL_EV_PLAN;
		else if (strcmp(e->kind, KIND_SHARED_RESOURCE) == 0)
			row->ev.type = OBL_EV_G527;
		else if (strcmp(e->kind, KIND_DIRECTOR_LETTER) == 0) {
			row->ev.type = OBL_EV_LETTER;
			if (intake_entry_get(e->entry, strlen(e->entry), "plan", val,
			    sizeof(val)) == 0 && val[0] >= '0' && val[0] <= '9') {
				row->ev.plan = strtoull(val, NULL, 10);
				row->ev.has_plan = 1;
			}
		} else
			return 0;
	}
	r->n++;
	return 0;
}

struct obl_out {
	json_t     *list;
	const char *party;
};

static void
api_obl_item(const struct obl_item *it, void *arg)
{
	struct obl_out *o = arg;
	json_t *j = json_object(), *rc = json_array();
	char d[OBL_DATE_MAX];
	size_t i;

	json_object_set_new(j, "party", json_string(o->party));
	json_object_set_new(j, "obligation", json_string(it->obligation));
	json_object_set_new(j, "status", json_string(it->status));
	if (it->has_due) {
		obl_date_format(it->due, d);
		json_object_set_new(j, "due", json_string(d));
	} else
		json_object_set_new(j, "due", json_null());
	if (it->has_plan)
		json_object_set_new(j, "plan", json_integer((json_int_t)it->plan));
	for (i = 0; i < it->nreceipts; i++)
		json_array_append_new(rc, json_integer((json_int_t)it->receipts[i]));
	json_object_set_new(j, "receipts", rc);
	json_object_set_new(j, "basis", json_string(it->basis));
	json_array_append_new(o->list, j);
}

/* First row of PARTY in the sorted rows (SQLite's BINARY order is strcmp's). */
static size_t
api_obl_first(const struct obl_rows *r, const char *party)
{
	size_t lo = 0, hi = r->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(r->v[mid].party, party) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* GET /v1/obligations[?party=ID]: derived on each request from one read
 * transaction of facts and receipts; a Party sees only its own. */
void
api_obligations(struct conn *c, const char *rest, const char *query)
{
	const struct parties *ps = c->rt->parties;
	struct obl_rows rows = { 0 };
	struct obl_event *ev = NULL;
	struct obl_out out;
	char party[PARTY_ID_MAX + 1], asof[OBL_DATE_MAX];
	const char *want = NULL;
	int32_t today = (int32_t)(time(NULL) / 86400);
	size_t i, k, first;
	json_t *j;
	int r;

	(void)rest;
	r = url_query(query, "party", party, sizeof(party));
	if (r == -1 || (r == 1 && strlen(party) >= PARTY_ID_MAX)) {
		conn_error(c, 400, "party: not a Party ID", 0);
		return;
	}
	if (r == 1)
		want = party;
	if (api_own_only(c)) {
		if (want != NULL && strcmp(want, c->party_id) != 0)
			want = "";   /* another Party's: nothing */
		else
			want = c->party_id;
	}
	obl_date_format(today, asof);
	out.list = json_array();
	if (want == NULL || (*want != '\0' && parties_find(ps, want) != NULL)) {
		if (ledger_obligation_rows(c->front->ledger, want, api_obl_row, &rows) == -1 ||
		    rows.err != 0) {
			free(rows.v);
			json_decref(out.list);
			conn_error(c, 500, "cannot read the ledger", 0);
			return;
		}
		if ((ev = calloc(rows.n ? rows.n : 1, sizeof(*ev))) == NULL) {
			free(rows.v);
			json_decref(out.list);
			conn_error(c, 500, "out of memory", 0);
			return;
		}
		for (i = 0; i < ps->n; i++) {
			const struct party *p = &ps->v[i];

			if (p->role != ROLE_PARTY || (want != NULL && strcmp(p->id, want) != 0))
				continue;
			first = api_obl_first(&rows, p->id);
			for (k = 0; first + k < rows.n && strcmp(rows.v[first + k].party, p->id) == 0; k++)
				ev[k] = rows.v[first + k].ev;
			out.party = p->id;
			obl_derive(ev, k, p->shared_resource, today, api_obl_item, &out);
		}
	}
	free(ev);
	free(rows.v);
	j = json_object();
	json_object_set_new(j, "as_of", json_string(asof));
	json_object_set_new(j, "obligations", out.list);
	conn_json(c, 200, j, 0);
}
