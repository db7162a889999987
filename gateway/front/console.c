/*
 * front/console.c: the console's static files and GET /v1/whoami (console.h).
 *
 * The files are the generated table console_assets[]: each is answered with
 * its Content-Type, an ETag and "Cache-Control: no-cache" (the browser keeps
 * it and asks again with If-None-Match: 304 when unchanged), and the
 * console's security headers. /v1/whoami tells the page whom the client
 * certificate maps to, from the parties snapshot of this request, and the
 * kinds of the policy it may send (with their types and size limits);
 * SECAS and auditors also get every Party's name, which they see anyway in
 * the receipts and the obligations register.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "front/conn.h"
#include "front/console.h"
#include "front/front.h"
#include "front/url.h"

static const char *
console_role(enum role r)
{
	switch (r) {
	case ROLE_PARTY:    return "party";
	case ROLE_SECAS:    return "secas";
	case ROLE_AUDITOR:  return "auditor";
	case ROLE_PROVIDER: return "provider";
	}
	return "party";
}

void
console_whoami(struct conn *c, const char *rest, const char *query)
{
	const struct policy *pol = c->rt->policy;
	const struct parties *ps = c->rt->parties;
	json_t *j = json_object(), *kinds = json_array();

	json_object_set_new(j, "party", json_string(c->party->id));
	json_object_set_new(j, "name", json_string(c->party->name));
	json_object_set_new(j, "role", json_string(console_role(c->role)));
	for (size_t i = 0; i < pol->nkinds; i++) {
		const struct kind *k = &pol->kinds[i];
		json_t *o, *types;

		/* a provider sends shared-resource-returns only (upload.c) */
		if (c->role == ROLE_PROVIDER && strcmp(k->name, KIND_SHARED_RESOURCE) != 0)
			continue;
		types = json_array();
		for (size_t t = 0; t < k->ntypes; t++)
			json_array_append_new(types, json_string(k->types[t]));
		o = json_object();
		json_object_set_new(o, "kind", json_string(k->name));
		json_object_set_new(o, "types", types);
		json_object_set_new(o, "max_upload",
		    json_integer((json_int_t)policy_max_upload(pol, k)));
		if (k->description[0] != '\0')
			json_object_set_new(o, "description", json_string(k->description));
		json_array_append_new(kinds, o);
	}
	json_object_set_new(j, "kinds", kinds);
	if (c->role == ROLE_PROVIDER) {
		json_t *af = json_array();
		char buf[PARTY_ACTS_FOR_MAX], *save = NULL, *tok;

		snprintf(buf, sizeof(buf), "%s", c->party->acts_for);
		for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
			json_array_append_new(af, json_string(tok));
		json_object_set_new(j, "acts_for", af);
	}
	if (c->role == ROLE_SECAS || c->role == ROLE_AUDITOR) {
		json_t *pl = json_array();

		for (size_t i = 0; i < ps->n; i++)
			json_array_append_new(pl, json_pack("{s:s,s:s,s:s}", "party", ps->v[i].id,
			    "name", ps->v[i].name, "role", console_role(ps->v[i].role)));
		json_object_set_new(j, "parties", pl);
	}
	conn_json(c, 200, j, 0);
}

/* The route's path is the file's: conn.c keeps the request's path, without
 * its query, at the start of c->url. */
void
console_file(struct conn *c, const char *rest, const char *query)
{
	const struct console_asset *a;
	char extra[1024];
	int n;

	for (a = console_assets; a->url; a++)
		if (strcmp(c->url, a->url) == 0)
			break;
	if (a->url == NULL) {
		conn_error(c, 404, "not found", 0);
		return;
	}
	n = snprintf(extra, sizeof(extra), CONSOLE_HEADERS "Cache-Control: no-cache\r\n"
	    "ETag: %s\r\n", a->etag);
	if (n < 0 || (size_t)n >= sizeof(extra)) {
		conn_error(c, 500, "header too long", 0);
		return;
	}
	if (c->if_none_match[0] && strstr(c->if_none_match, a->etag) != NULL)
		conn_respond_hdr(c, 304, NULL, extra, NULL, a->len, 0);
	else
		conn_respond_hdr(c, 200, a->ctype, extra, (const char *)a->data, a->len, 0);
}
