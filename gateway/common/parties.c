/*
 * common/parties.c: the parties file (see config.h) and the mapping of a
 * client certificate to a Party.
 *
 * The file is read in the parent at start, on SIGHUP and in `intaked -t`,
 * through the INI driver (ini.h); the front maps each request's
 * certificate with parties_match, and the notary checks the front's claims
 * against the same table (notary/monitor.c).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "common/config.h"
#include "common/errbuf.h"
#include "common/ini.h"

#define PARTIES_MAX         100000     /* [party ID] sections in a parties file */

/* ---- the parties --------------------------------------------------------- */

struct party_lines {
	unsigned section, name, match, role, shared_resource, acts_for;
};

struct par_state {
	struct parties     *ps;
	struct party_lines *lines;         /* parallel to ps->v */
	size_t              cap;
	struct party       *cur;
};

static int
valid_party_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= PARTY_ID_MAX)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* Whether the space-separated LIST holds the word ID. */
static int
party_acts_for_word(const char *list, const char *id)
{
	size_t n = strlen(id), w;

	while (*list != '\0') {
		w = strcspn(list, " ");
		if (w == n && memcmp(list, id, n) == 0)
			return 1;
		list += w;
		list += strspn(list, " ");
	}
	return 0;
}

int
party_acts_for(const struct party *provider, const char *id)
{
	if (provider == NULL || id == NULL || provider->role != ROLE_PROVIDER || *id == '\0')
		return 0;
	return party_acts_for_word(provider->acts_for, id);
}

static int
par_on_section(struct ini_ctx *c, const char *name)
{
	struct par_state *st = c->arg;
	struct parties *ps = st->ps;
	const char *id;
	void *nv;
	size_t i;

	st->cur = NULL;
	if ((id = ini_section_arg(name, "party")) == NULL) {
		ini_error(c, c->line, "section '%s': unknown section (expected [party ID])", name);
		return -1;
	}
	if (!valid_party_id(id)) {
		ini_error(c, c->line, "section '%s': party IDs are 1-%d of A-Z a-z 0-9 _ -", name,
		    PARTY_ID_MAX - 1);
		return -1;
	}
	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i].id, id) == 0) {
			ini_error(c, c->line, "section '%s': duplicate party (first at line %u)",
			    name, st->lines[i].section);
			return -1;
		}
	if (ps->n == PARTIES_MAX) {
		ini_error(c, c->line, "section '%s': more than %d parties", name, PARTIES_MAX);
		return -1;
	}
	if (ps->n == st->cap) {
		size_t ncap = st->cap ? st->cap * 2 : 16;

		if ((nv = reallocarray(ps->v, ncap, sizeof(*ps->v))) == NULL)
			goto nomem;
		ps->v = nv;
		if ((nv = reallocarray(st->lines, ncap, sizeof(*st->lines))) == NULL)
			goto nomem;
		st->lines = nv;
		st->cap = ncap;
	}
	st->cur = &ps->v[ps->n];
	memset(st->cur, 0, sizeof(*st->cur));
	memset(&st->lines[ps->n], 0, sizeof(st->lines[0]));
	memcpy(st->cur->id, id, strlen(id) + 1);
	st->lines[ps->n].section = c->line;
	ps->n++;
	return 0;
nomem:
	ini_error(c, c->line, "section '%s': out of memory", name);
	return -1;
}

/*
 * A match value is typed by its form, and compared only with that kind of
 * name (parties_match), so that a certificate cannot be taken for a Party
 * by putting that Party's URI in its CN:
 *
 *   sha256:<64 hex>   (prefix in any case, folded to lower case) the
 *                     fingerprint; "sha256:" is reserved and never a URI
 *   scheme:rest       (RFC 3986 scheme: a letter, then letters, digits,
 *                     '+', '-', '.'; then ':') a SAN URI, e.g. urn:, https:
 *   anything else     the subject CN
 *
 * Values that could be read two ways are refused (the first problem, with
 * the line): a URI-form value whose scheme is not in lower case (schemes
 * are case-insensitive, our comparison is not), or whose rest is empty or
 * holds a byte a URI cannot (space, controls, non-ASCII, '"<>\^`{|}'),
 * which reads as a CN with a colon in it ("Alpha: Ops") rather than as a
 * SAN URI; and any value with a character lib/utf8.h refuses. A CN that
 * itself looks like a URI can only be matched by its sha256: fingerprint.
 */
static int
party_set_match(struct ini_ctx *c, struct party *pt, const char *value)
{
	size_t i, n = strlen(value), slen;

	if (n >= sizeof(pt->match)) {
		ini_error(c, c->line, "key 'match': longer than %zu bytes", sizeof(pt->match) - 1);
		return -1;
	}
	if (ini_utf8_value(c, "match", value) == -1)
		return -1;
	memcpy(pt->match, value, n + 1);
	if (strncasecmp(value, "sha256:", 7) == 0) {
		if (n != 7 + 64 || strspn(value + 7, "0123456789abcdefABCDEF") != 64) {
			ini_error(c, c->line, "key 'match': sha256: needs 64 hex digits");
			return -1;
		}
		for (i = 0; i < n; i++)
			if (pt->match[i] >= 'A' && pt->match[i] <= 'Z')
				pt->match[i] = (char)(pt->match[i] - 'A' + 'a');
		pt->match_type = MATCH_SHA256;
		return 0;
	}
	slen = 0;
	if ((value[0] >= 'a' && value[0] <= 'z') || (value[0] >= 'A' && value[0] <= 'Z'))
		slen = strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789+-.");
	if (slen == 0 || value[slen] != ':') {
		pt->match_type = MATCH_CN;
		return 0;
	}
	for (i = 0; i < slen; i++)
		if (value[i] >= 'A' && value[i] <= 'Z') {
			ini_error(c, c->line, "key 'match': '%s' reads as a URI or a CN: write "
			    "the scheme in lower case for a URI, use sha256: for a CN", value);
			return -1;
		}
	for (i = slen + 1; i < n; i++)
		if ((unsigned char)value[i] <= 0x20 || (unsigned char)value[i] >= 0x7f ||
		    strchr("\"<>\\^`{|}", value[i]) != NULL)
			break;
	if (n == slen + 1 || i < n) {
		ini_error(c, c->line, "key 'match': '%s' reads as a URI or a CN: not a URI "
		    "(empty, or a space or character a URI cannot hold), yet it starts "
		    "with a scheme; use sha256: for a CN like this", value);
		return -1;
	}
	pt->match_type = MATCH_URI;
	return 0;
}

/*
 * acts_for = ID [ID ...]: the Parties a provider sends G5.27 returns for.
 * Stored normalised (single spaces) so that party_acts_for is a word
 * search; each ID must have the form of a Party ID and appear once. That
 * each names a Party, and that only providers have the key, is checked
 * once the whole file is read (parties_load).
 */
static int
party_set_acts_for(struct ini_ctx *c, struct party *pt, const char *value)
{
	char id[PARTY_ID_MAX];
	const char *p = value;
	size_t n, len = 0;

	pt->acts_for[0] = '\0';
	for (;;) {
		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		n = strcspn(p, " \t");
		if (n >= sizeof(id)) {
			ini_error(c, c->line, "key 'acts_for': an ID longer than %d bytes",
			    PARTY_ID_MAX - 1);
			return -1;
		}
		memcpy(id, p, n);
		id[n] = '\0';
		if (!valid_party_id(id)) {
			ini_error(c, c->line, "key 'acts_for': '%s' is not a Party ID", id);
			return -1;
		}
		if (party_acts_for_word(pt->acts_for, id)) {
			ini_error(c, c->line, "key 'acts_for': '%s' repeated", id);
			return -1;
		}
		if (len + (len ? 1 : 0) + n >= sizeof(pt->acts_for)) {
			ini_error(c, c->line, "key 'acts_for': longer than %zu bytes",
			    sizeof(pt->acts_for) - 1);
			return -1;
		}
		if (len)
			pt->acts_for[len++] = ' ';
		memcpy(pt->acts_for + len, id, n + 1);
		len += n;
		p += n;
	}
	if (len == 0) {
		ini_error(c, c->line, "key 'acts_for': empty (one or more Party IDs)");
		return -1;
	}
	return 0;
}

static int
par_on_key(struct ini_ctx *c, const char *key, const char *value)
{
	struct par_state *st = c->arg;
	struct party *pt = st->cur;
	struct party_lines *pl = &st->lines[pt - st->ps->v];
	unsigned *seen;

	if (strcmp(key, "name") == 0)
		seen = &pl->name;
	else if (strcmp(key, "match") == 0)
		seen = &pl->match;
	else if (strcmp(key, "role") == 0)
		seen = &pl->role;
	else if (strcmp(key, "shared_resource") == 0)
		seen = &pl->shared_resource;
	else if (strcmp(key, "acts_for") == 0)
		seen = &pl->acts_for;
	else {
		ini_error(c, c->line, "key '%s': unknown key in [%s] (name, match, role, "
		    "shared_resource, acts_for)", key, c->section);
		return -1;
	}
	if (*seen != 0) {
		ini_error(c, c->line, "key '%s': repeated (first at line %u)", key, *seen);
		return -1;
	}
	*seen = c->line;

	if (seen == &pl->name) {
		if (ini_copy_str(pt->name, sizeof(pt->name), value) == -1) {
			ini_error(c, c->line, "key 'name': longer than %zu bytes",
			    sizeof(pt->name) - 1);
			return -1;
		}
	} else if (seen == &pl->match) {
		return party_set_match(c, pt, value);
	} else if (seen == &pl->shared_resource) {
		if (strcmp(value, "yes") == 0)
			pt->shared_resource = 1;
		else if (strcmp(value, "no") == 0)
			pt->shared_resource = 0;
		else {
			ini_error(c, c->line, "key 'shared_resource': '%s' is not yes or no", value);
			return -1;
		}
	} else if (seen == &pl->acts_for) {
		return party_set_acts_for(c, pt, value);
	} else if (strcmp(value, "party") == 0) {
		pt->role = ROLE_PARTY;
	} else if (strcmp(value, "secas") == 0) {
		pt->role = ROLE_SECAS;
	} else if (strcmp(value, "auditor") == 0) {
		pt->role = ROLE_AUDITOR;
	} else if (strcmp(value, "provider") == 0) {
		pt->role = ROLE_PROVIDER;
	} else {
		ini_error(c, c->line, "key 'role': '%s' is not party, secas, auditor or provider",
		    value);
		return -1;
	}
	return 0;
}

int
parties_load(const char *file, struct parties **out, char *err, size_t errlen)
{
	struct par_state st;
	struct ini_ctx *c = NULL;
	struct parties *ps = NULL;
	const struct party_lines *pl;
	size_t i, j;
	int ret = -1;

	*out = NULL;
	memset(&st, 0, sizeof(st));
	if ((ps = calloc(1, sizeof(*ps))) == NULL || (c = calloc(1, sizeof(*c))) == NULL) {
		errset(err, errlen, "%s: out of memory", file);
		goto fail;
	}
	st.ps = ps;
	c->file = file;
	c->on_section = par_on_section;
	c->on_key = par_on_key;
	c->arg = &st;
	c->err = err;
	c->errlen = errlen;
	if (ini_run(c) == -1)
		goto fail;

	for (i = 0; i < ps->n; i++) {
		pl = &st.lines[i];
		if (pl->name == 0 || pl->match == 0 || pl->role == 0) {
			ini_error(c, pl->section, "key '%s': missing (required in [party %s])",
			    pl->name == 0 ? "name" : pl->match == 0 ? "match" : "role", ps->v[i].id);
			goto fail;
		}
		for (j = 0; j < i; j++)
			if (strcmp(ps->v[i].match, ps->v[j].match) == 0) {
				ini_error(c, pl->match, "key 'match': '%s' already matches party %s "
				    "(line %u)", ps->v[i].match, ps->v[j].id, st.lines[j].match);
				goto fail;
			}
		if (ps->v[i].role != ROLE_PROVIDER && pl->acts_for != 0) {
			ini_error(c, pl->acts_for, "key 'acts_for': only for role provider "
			    "([party %s])", ps->v[i].id);
			goto fail;
		}
		if (ps->v[i].role == ROLE_PROVIDER && pl->acts_for == 0) {
			ini_error(c, pl->section, "key 'acts_for': missing (required for role "
			    "provider in [party %s])", ps->v[i].id);
			goto fail;
		}
	}
	/* acts_for names Parties of this file, with role party */
	for (i = 0; i < ps->n; i++) {
		char id[PARTY_ID_MAX];
		const char *p = ps->v[i].acts_for;
		const struct party *t;
		size_t n;

		while (*p != '\0') {
			n = strcspn(p, " ");
			memcpy(id, p, n);
			id[n] = '\0';
			if ((t = parties_find(ps, id)) == NULL) {
				ini_error(c, st.lines[i].acts_for, "key 'acts_for': no party %s", id);
				goto fail;
			}
			if (t->role != ROLE_PARTY) {
				ini_error(c, st.lines[i].acts_for, "key 'acts_for': %s is not a "
				    "Party with role party", id);
				goto fail;
			}
			p += n;
			p += strspn(p, " ");
		}
	}
	*out = ps;
	ps = NULL;
	ret = 0;
fail:
	free(st.lines);
	free(c);
	parties_free(ps);
	return ret;
}

void
parties_free(struct parties *p)
{
	if (p == NULL)
		return;
	free(p->v);
	free(p);
}

const struct party *
parties_find(const struct parties *p, const char *id)
{
	size_t i;

	if (p == NULL || id == NULL)
		return NULL;
	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].id, id) == 0)
			return &p->v[i];
	return NULL;
}

/* The party whose match value is of TYPE and exactly the LEN bytes at S. */
static const struct party *
parties_lookup(const struct parties *p, enum match_type type, const unsigned char *s,
    size_t len)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->v[i].match_type == type && strlen(p->v[i].match) == len &&
		    memcmp(p->v[i].match, s, len) == 0)
			return &p->v[i];
	return NULL;
}

/* Step 1: the SAN URIs. Sets *STOP when the certificate must not match at
 * all: a malformed or repeated SAN extension, a URI with a NUL, or URIs
 * naming two different Parties. */
static const struct party *
parties_match_san(const struct parties *p, X509 *cert, int *stop)
{
	GENERAL_NAMES *gens;
	const struct party *found = NULL, *m;
	int crit = -1, i;

	*stop = 0;
	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);
	if (gens == NULL) {
		if (crit != -1)           /* present but undecodable, or twice */
			*stop = 1;
		return NULL;
	}
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *s;
		int len;

		if (gn->type != GEN_URI)
			continue;
		s = ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier);
		len = ASN1_STRING_length(gn->d.uniformResourceIdentifier);
		if (len < 0 || memchr(s, '\0', (size_t)len) != NULL) {
			*stop = 1;
			found = NULL;
			break;
		}
		if ((m = parties_lookup(p, MATCH_URI, s, (size_t)len)) == NULL)
			continue;
		if (found != NULL && found != m) {
			*stop = 1;
			found = NULL;
			break;
		}
		found = m;
	}
	GENERAL_NAMES_free(gens);
	return found;
}

/* Step 2: the subject CN, when there is exactly one and it has no NUL. */
static const struct party *
parties_match_cn(const struct parties *p, X509 *cert)
{
	const X509_NAME *name = X509_get_subject_name(cert);
	const struct party *found = NULL;
	unsigned char *utf8 = NULL;
	int idx, len;

	if (name == NULL)
		return NULL;
	if ((idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) < 0)
		return NULL;
	if (X509_NAME_get_index_by_NID(name, NID_commonName, idx) >= 0)
		return NULL;              /* two CNs: ambiguous */
	len = ASN1_STRING_to_UTF8(&utf8,
	    X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
	if (len < 0)
		return NULL;
	if (memchr(utf8, '\0', (size_t)len) == NULL)
		found = parties_lookup(p, MATCH_CN, utf8, (size_t)len);
	OPENSSL_free(utf8);
	return found;
}

const struct party *
parties_match(const struct parties *p, X509 *cert, char cert_sha256[65])
{
	static const char hexd[] = "0123456789abcdef";
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	char match[7 + 64 + 1];
	const struct party *found = NULL;
	unsigned int mdlen = 0, i;
	int len, stop;

	if (cert_sha256 != NULL)
		cert_sha256[0] = '\0';
	if (cert == NULL)
		return NULL;
	if ((len = i2d_X509(cert, &der)) <= 0)
		return NULL;
	if (EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		OPENSSL_free(der);
		return NULL;
	}
	OPENSSL_free(der);
	memcpy(match, "sha256:", 7);
	for (i = 0; i < 32; i++) {
		match[7 + 2 * i] = hexd[md[i] >> 4];
		match[7 + 2 * i + 1] = hexd[md[i] & 15];
	}
	match[7 + 64] = '\0';
	if (cert_sha256 != NULL)
		memcpy(cert_sha256, match + 7, 65);
	if (p == NULL)
		return NULL;

	if ((found = parties_match_san(p, cert, &stop)) != NULL || stop)
		return found;
	if ((found = parties_match_cn(p, cert)) != NULL)
		return found;
	return parties_lookup(p, MATCH_SHA256, (const unsigned char *)match, strlen(match));
}
