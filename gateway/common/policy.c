/*
 * common/policy.c: the policy file (see config.h): limits and submission
 * kinds.
 *
 * Runs in the parent at start, on SIGHUP and in `intaked -t`, through the
 * INI driver (ini.h): every value is validated, and anything unknown is an
 * error naming FILE:LINE and the key or section.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/config.h"
#include "common/errbuf.h"
#include "common/ini.h"

#define POLICY_KINDS_MAX    256        /* [kind NAME] sections in a policy */
#define ARCHIVE_DEPTH_MAX   16         /* nesting the inspector may recurse into */
#define XML_DEPTH_MAX       100000     /* element nesting the XML checks may track */
#define WORKBOOK_ROWS_MAX   1048576    /* rows of an .xlsx sheet (Excel's own limit) */
#define INSPECT_SECONDS_MAX 86400      /* one inspection may not take over a day */
#define PATH_MAX_MAX        4096       /* longest member path the policy may allow */

/* ---- the policy ---------------------------------------------------------- */

struct pol_key {
	const char *key;
	int         size;       /* parsed by config_parse_size, else a count */
	int         wide;       /* uint64_t field, else unsigned */
	size_t      off;
	uint64_t    min, max;
};

#define PF(f) offsetof(struct policy, f)

static const struct pol_key pol_keys[] = {
	{ "max_upload", 1, 1, PF(max_upload), 1, UINT64_MAX },
	{ "archive_members", 0, 1, PF(archive_members), 1, UINT64_MAX },
	{ "archive_ratio", 0, 1, PF(archive_ratio), 1, UINT64_MAX },
	{ "archive_ratio_min", 1, 1, PF(archive_ratio_min), 0, UINT64_MAX },
	{ "max_archive_ratio", 0, 1, PF(max_archive_ratio), 1, UINT64_MAX },
	{ "archive_depth", 0, 0, PF(archive_depth), 1, ARCHIVE_DEPTH_MAX },
	{ "archive_expanded", 1, 1, PF(archive_expanded), 1, UINT64_MAX },
	{ "path_max", 0, 0, PF(path_max), 1, PATH_MAX_MAX },
	{ "inspect_seconds", 0, 0, PF(inspect_seconds), 1, INSPECT_SECONDS_MAX },
	{ "xml_depth", 0, 0, PF(xml_depth), 1, XML_DEPTH_MAX },
	{ "xml_part_max", 1, 1, PF(xml_part_max), 1, UINT64_MAX },
	{ "workbook_rows", 0, 0, PF(workbook_rows), 1, WORKBOOK_ROWS_MAX },
};
#define POL_NKEYS (sizeof(pol_keys) / sizeof(pol_keys[0]))

struct kind_lines {
	unsigned section, types, max_upload, description;
};

struct pol_state {
	struct policy     *p;
	struct kind_lines *lines;          /* parallel to p->kinds */
	size_t             cap;
	struct kind       *cur;            /* NULL in [limits] */
	unsigned           limits_line;
	unsigned           key_line[POL_NKEYS];
};

static void
policy_defaults(struct policy *p)
{
	p->max_upload = 4ull << 30;
	p->archive_members = 10000;
	p->archive_ratio = 100;
	p->archive_ratio_min = 1ull << 20;
	p->max_archive_ratio = 100;
	p->archive_depth = 3;
	p->archive_expanded = 16ull << 30;
	p->path_max = 1024;
	p->inspect_seconds = 120;
	p->xml_depth = 256;
	p->xml_part_max = 64ull << 20;
	p->workbook_rows = 10000;
}

static int
valid_kind_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= KIND_NAME_MAX)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static int
pol_on_section(struct ini_ctx *c, const char *name)
{
	struct pol_state *st = c->arg;
	struct policy *p = st->p;
	const char *kn;
	void *nv;
	size_t i;

	st->cur = NULL;
	if (strcmp(name, "limits") == 0) {
		if (st->limits_line != 0) {
			ini_error(c, c->line, "section 'limits': repeated (first at line %u)",
			    st->limits_line);
			return -1;
		}
		st->limits_line = c->line;
		return 0;
	}
	if ((kn = ini_section_arg(name, "kind")) == NULL) {
		ini_error(c, c->line, "section '%s': unknown section (expected [limits] or "
		    "[kind NAME])", name);
		return -1;
	}
	if (!valid_kind_name(kn)) {
		ini_error(c, c->line, "section '%s': kind names are 1-%d of a-z 0-9 '-'", name,
		    KIND_NAME_MAX - 1);
		return -1;
	}
	for (i = 0; i < p->nkinds; i++)
		if (strcmp(p->kinds[i].name, kn) == 0) {
			ini_error(c, c->line, "section '%s': repeated (first at line %u)", name,
			    st->lines[i].section);
			return -1;
		}
	if (p->nkinds == POLICY_KINDS_MAX) {
		ini_error(c, c->line, "section '%s': more than %d kinds", name, POLICY_KINDS_MAX);
		return -1;
	}
	if (p->nkinds == st->cap) {
		size_t ncap = st->cap ? st->cap * 2 : 8;

		if ((nv = reallocarray(p->kinds, ncap, sizeof(*p->kinds))) == NULL)
			goto nomem;
		p->kinds = nv;
		if ((nv = reallocarray(st->lines, ncap, sizeof(*st->lines))) == NULL)
			goto nomem;
		st->lines = nv;
		st->cap = ncap;
	}
	st->cur = &p->kinds[p->nkinds];
	memset(st->cur, 0, sizeof(*st->cur));
	memset(&st->lines[p->nkinds], 0, sizeof(st->lines[0]));
	memcpy(st->cur->name, kn, strlen(kn) + 1);
	st->lines[p->nkinds].section = c->line;
	p->nkinds++;
	return 0;
nomem:
	ini_error(c, c->line, "section '%s': out of memory", name);
	return -1;
}

/* An RFC 6838 type or subtype name. */
static int
valid_mime_part(const char *s, size_t n)
{
	static const char more[] = "abcdefghijklmnopqrstuvwxyz0123456789!#$&^_.+-";
	size_t i;

	if (n == 0 || n > 127)
		return 0;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (i = 1; i < n; i++)
		if (strchr(more, s[i]) == NULL || s[i] == '\0')
			return 0;
	return 1;
}

/* "types = a/b c/d ...": space-separated MIME types, folded to lower case. */
static int
kind_parse_types(struct ini_ctx *c, struct kind *k, const char *value)
{
	char t[MIME_MAX];
	const char *p = value, *e, *slash;
	size_t n, i, j;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ' ' && *e != '\t'; e++)
			;
		n = (size_t)(e - p);
		if (n >= MIME_MAX) {
			ini_error(c, c->line, "key 'types': '%.40s...' longer than %d bytes", p,
			    MIME_MAX - 1);
			return -1;
		}
		for (i = 0; i < n; i++)
			t[i] = (p[i] >= 'A' && p[i] <= 'Z') ? (char)(p[i] - 'A' + 'a') : p[i];
		t[n] = '\0';
		slash = memchr(t, '/', n);
		if (slash == NULL || !valid_mime_part(t, (size_t)(slash - t)) ||
		    !valid_mime_part(slash + 1, n - (size_t)(slash - t) - 1)) {
			ini_error(c, c->line, "key 'types': '%s' is not a MIME type", t);
			return -1;
		}
		for (j = 0; j < k->ntypes; j++)
			if (strcmp(k->types[j], t) == 0) {
				ini_error(c, c->line, "key 'types': '%s' listed twice", t);
				return -1;
			}
		if (k->ntypes == KIND_TYPES_MAX) {
			ini_error(c, c->line, "key 'types': more than %d types", KIND_TYPES_MAX);
			return -1;
		}
		memcpy(k->types[k->ntypes++], t, n + 1);
		p = e;
	}
	if (k->ntypes == 0) {
		ini_error(c, c->line, "key 'types': no MIME type");
		return -1;
	}
	return 0;
}

/* A key of a [kind NAME] section. */
static int
pol_on_kind_key(struct ini_ctx *c, struct pol_state *st, const char *key, const char *value)
{
	struct kind_lines *kl = &st->lines[st->cur - st->p->kinds];
	struct kind *k = st->cur;
	unsigned *seen;
	uint64_t v;

	if (strcmp(key, "types") == 0)
		seen = &kl->types;
	else if (strcmp(key, "max_upload") == 0)
		seen = &kl->max_upload;
	else if (strcmp(key, "description") == 0)
		seen = &kl->description;
	else {
		ini_error(c, c->line, "key '%s': unknown key in [%s] (types, max_upload, "
		    "description)", key, c->section);
		return -1;
	}
	if (*seen != 0) {
		ini_error(c, c->line, "key '%s': repeated (first at line %u)", key, *seen);
		return -1;
	}
	*seen = c->line;
	if (seen == &kl->types)
		return kind_parse_types(c, k, value);
	if (seen == &kl->max_upload) {
		if (config_parse_size(value, &v) == -1 || v == 0) {
			ini_error(c, c->line, "key 'max_upload': not a size above 0 "
			    "(N, NK, NM, NG, NT)");
			return -1;
		}
		k->max_upload = v;
		return 0;
	}
	if (value[0] == '\0' || ini_copy_str(k->description, sizeof(k->description), value) == -1) {
		ini_error(c, c->line, "key 'description': 1 to %zu bytes", sizeof(k->description) - 1);
		return -1;
	}
	return ini_utf8_value(c, key, value);
}

static int
pol_on_key(struct ini_ctx *c, const char *key, const char *value)
{
	struct pol_state *st = c->arg;
	const struct pol_key *k = NULL;
	char *base = (char *)st->p;
	uint64_t v;
	size_t i;

	if (st->cur != NULL)
		return pol_on_kind_key(c, st, key, value);

	for (i = 0; i < POL_NKEYS; i++)
		if (strcmp(pol_keys[i].key, key) == 0) {
			k = &pol_keys[i];
			break;
		}
	if (k == NULL) {
		ini_error(c, c->line, "key '%s': unknown key in [limits]", key);
		return -1;
	}
	if (st->key_line[i] != 0) {
		ini_error(c, c->line, "key '%s': repeated (first at line %u)", key, st->key_line[i]);
		return -1;
	}
	st->key_line[i] = c->line;
	if ((k->size ? config_parse_size(value, &v) : config_parse_count(value, &v)) == -1) {
		ini_error(c, c->line, "key '%s': not a %s", key,
		    k->size ? "size (N, NK, NM, NG, NT)" : "number");
		return -1;
	}
	if (v < k->min || v > k->max) {
		ini_error(c, c->line, "key '%s': must be %llu-%llu", key,
		    (unsigned long long)k->min, (unsigned long long)k->max);
		return -1;
	}
	if (k->wide)
		*(uint64_t *)(void *)(base + k->off) = v;
	else
		*(unsigned *)(void *)(base + k->off) = (unsigned)v;
	return 0;
}

int
policy_load(const char *file, struct policy **out, char *err, size_t errlen)
{
	struct pol_state st;
	struct ini_ctx *c = NULL;
	struct policy *p = NULL;
	size_t i;
	int ret = -1;

	*out = NULL;
	memset(&st, 0, sizeof(st));
	if ((p = calloc(1, sizeof(*p))) == NULL || (c = calloc(1, sizeof(*c))) == NULL) {
		errset(err, errlen, "%s: out of memory", file);
		goto fail;
	}
	policy_defaults(p);
	st.p = p;
	c->file = file;
	c->on_section = pol_on_section;
	c->on_key = pol_on_key;
	c->arg = &st;
	c->err = err;
	c->errlen = errlen;
	if (ini_run(c) == -1)
		goto fail;

	if (p->nkinds == 0) {
		ini_error(c, c->line ? c->line : 1, "section 'kind': at least one [kind NAME] is required");
		goto fail;
	}
	for (i = 0; i < p->nkinds; i++) {
		if (p->kinds[i].ntypes == 0) {
			ini_error(c, st.lines[i].section, "key 'types': missing (required in "
			    "[kind %s])", p->kinds[i].name);
			goto fail;
		}
		if (p->kinds[i].max_upload > p->max_upload) {
			ini_error(c, st.lines[i].max_upload, "key 'max_upload': above the "
			    "[limits] max_upload of %llu bytes",
			    (unsigned long long)p->max_upload);
			goto fail;
		}
	}
	*out = p;
	p = NULL;
	ret = 0;
fail:
	free(st.lines);
	free(c);
	policy_free(p);
	return ret;
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	free(p->kinds);
	free(p);
}

const struct kind *
policy_kind(const struct policy *p, const char *name)
{
	size_t i;

	if (p == NULL || name == NULL)
		return NULL;
	for (i = 0; i < p->nkinds; i++)
		if (strcmp(p->kinds[i].name, name) == 0)
			return &p->kinds[i];
	return NULL;
}

int
kind_allows(const struct kind *k, const char *mime)
{
	size_t i;

	if (k == NULL || mime == NULL)
		return 0;
	for (i = 0; i < k->ntypes; i++)
		if (strcasecmp(k->types[i], mime) == 0)
			return 1;
	return 0;
}

uint64_t
policy_max_upload(const struct policy *p, const struct kind *k)
{
	if (k != NULL && k->max_upload != 0)
		return k->max_upload;
	return p->max_upload;
}
