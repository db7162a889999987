/*
 * common/config.c: the daemon configuration (see config.h); the policy is
 * policy.c's, the parties file parties.c's, the INI driver ini.c's.
 *
 * Runs in the parent at start, on SIGHUP and in `intaked -t`. It trusts the
 * operator who wrote the files only so far: every line is checked (length,
 * NUL and control bytes), every value is validated, and anything unknown is
 * an error naming FILE:LINE and the key or section. It never opens the files
 * the configuration names (it only checks that they exist) and never logs.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <intake/cosig.h>

#include "common/config.h"
#include "common/errbuf.h"
#include "common/ini.h"

#define TIMEOUT_MAX         604800     /* no timeout may exceed a week (seconds) */
#define CONNECTIONS_MAX     1000000    /* max_connections sanity bound */
#define BODY_RATE_MAX       (1u << 30) /* body_min_rate sanity bound (bytes/s) */
#define RESUMABLE_EXPIRY_MAX (30u * 86400) /* resumable_expiry: a month at most */
#define HEADER_COUNT_MAX    10000      /* max_header_count sanity bound */
#define HEADER_SIZE_MIN     1024       /* max_header_size: a request line must fit */
#define HEADER_SIZE_MAX     (16u << 20) /* max_header_size sanity bound */
#define WORKERS_MAX         256        /* pipeline workers, one inspector process each */
#define RATE_MAX            1000000    /* uploads per minute per Party */

/* ---- value parsers ------------------------------------------------------- */

/* A DNS host name: labels of [A-Za-z0-9-], 1-63 bytes, no '-' at an end. */
static int
valid_hostname(const char *h, size_t len)
{
	size_t i, lab = 0;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		char ch = h[i];

		if (ch == '.') {
			if (lab == 0 || h[i - 1] == '-')
				return 0;
			lab = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-'))
			return 0;
		if (ch == '-' && lab == 0)
			return 0;
		if (++lab > 63)
			return 0;
	}
	return lab > 0 && h[len - 1] != '-';
}

/* HOST:PORT with HOST an IPv4 address, [IPv6] or a host name and PORT in
 * 1-65535. Writes HOST (without brackets) and PORT. 0, or -1 and *WHY. */
static int
config_parse_hostport(const char *v, char *host, size_t hostlen, char *port,
    size_t portlen, const char **why)
{
	char tmp[INET6_ADDRSTRLEN + 1];
	unsigned char addr[sizeof(struct in6_addr)];
	const char *h, *he, *p, *q;
	unsigned long n;
	size_t hlen;

	*why = "not HOST:PORT";
	if (v[0] == '[') {
		h = v + 1;
		if ((he = strchr(h, ']')) == NULL || he[1] != ':')
			return -1;
		p = he + 2;
		hlen = (size_t)(he - h);
		if (hlen == 0 || hlen >= sizeof(tmp)) {
			*why = "not HOST:PORT: bad IPv6 address";
			return -1;
		}
		memcpy(tmp, h, hlen);
		tmp[hlen] = '\0';
		if (inet_pton(AF_INET6, tmp, addr) != 1) {
			*why = "not HOST:PORT: bad IPv6 address";
			return -1;
		}
	} else {
		if ((he = strrchr(v, ':')) == NULL || he == v)
			return -1;
		h = v;
		p = he + 1;
		hlen = (size_t)(he - h);
		if (memchr(h, ':', hlen) != NULL) {
			*why = "not HOST:PORT: write an IPv6 address as [ADDR]:PORT";
			return -1;
		}
		if (strspn(h, "0123456789.") >= hlen) {
			if (hlen >= sizeof(tmp))
				return -1;
			memcpy(tmp, h, hlen);
			tmp[hlen] = '\0';
			if (inet_pton(AF_INET, tmp, addr) != 1) {
				*why = "not HOST:PORT: bad IPv4 address";
				return -1;
			}
		} else if (!valid_hostname(h, hlen)) {
			*why = "not HOST:PORT: bad host name";
			return -1;
		}
	}
	if (*p == '\0' || strlen(p) > 5) {
		*why = "not HOST:PORT: port must be 1-65535";
		return -1;
	}
	for (q = p; *q != '\0'; q++)
		if (*q < '0' || *q > '9') {
			*why = "not HOST:PORT: port must be 1-65535";
			return -1;
		}
	n = strtoul(p, NULL, 10);
	if (n < 1 || n > 65535) {
		*why = "not HOST:PORT: port must be 1-65535";
		return -1;
	}
	if (hlen >= hostlen || strlen(p) >= portlen) {
		*why = "not HOST:PORT: too long";
		return -1;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	snprintf(port, portlen, "%lu", n);
	return 0;
}

/* Whether HOST (as config_parse_hostport left it) is a loopback address:
 * the admin listener speaks plain HTTP and must not leave the machine. */
static int
is_loopback(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return strcasecmp(host, "localhost") == 0;
}

/* A signed-note key name: printable ASCII, no space, no '+' (stricter than
 * the note spec, which allows non-ASCII that is not Unicode white space). */
static int
valid_note_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || *s == '+')
			return 0;
	return 1;
}

/* A system user name as useradd(8) takes it (NAME_REGEX without the '$'
 * of machine accounts): the parent looks it up before forking. */
static int
valid_user_name(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* ---- the daemon configuration ------------------------------------------- */

enum cfg_type {
	CT_ADDR,        /* HOST:PORT into host (OFF) and port (OFF2) */
	CT_PATH,        /* a path (need not exist yet) */
	CT_FILE,        /* a path that must name an existing regular file */
	CT_ORIGIN,      /* a signed-note key name */
	CT_USER,        /* a system user name: [a-z_][a-z0-9_-]* */
	CT_UINT,        /* a decimal count in [MIN, MAX] */
	CT_SIZE64,      /* a size (K/M/G/T) in [MIN, MAX], stored as uint64_t */
	CT_BYTES,       /* a size (config_parse_size) in [MIN, MAX] */
	CT_BACKEND,     /* "sqlite" or "postgresql" */
	CT_DSN,         /* a libpq connection URI or key=value string */
};

struct cfg_key {
	const char    *section;
	const char    *key;
	enum cfg_type  type;
	size_t         off;
	size_t         len;     /* size of the string field */
	size_t         off2;    /* CT_ADDR: the port field */
	int            required;
	uint64_t       min, max;
};

#define CF(f)     offsetof(struct config, f), sizeof(((struct config *)0)->f)
#define CADDR(h, p) offsetof(struct config, h), sizeof(((struct config *)0)->h), \
	offsetof(struct config, p)
#define CNUM(f)   offsetof(struct config, f), 0, 0

static const struct cfg_key cfg_keys[] = {
	{ "server", "listen", CT_ADDR, CADDR(listen_host, listen_port), 1, 0, 0 },
	{ "server", "admin", CT_ADDR, CADDR(admin_host, admin_port), 0, 0, 0 },
	{ "server", "data", CT_PATH, CF(data), 0, 1, 0, 0 },
	{ "server", "user", CT_USER, CF(user), 0, 0, 0, 0 },
	{ "tls", "certificate", CT_FILE, CF(tls_certificate), 0, 1, 0, 0 },
	{ "tls", "key", CT_FILE, CF(tls_key), 0, 1, 0, 0 },
	{ "tls", "client_ca", CT_FILE, CF(tls_client_ca), 0, 1, 0, 0 },
	{ "tls", "crl", CT_FILE, CF(tls_crl), 0, 0, 0, 0 },
	{ "log", "origin", CT_ORIGIN, CF(log_origin), 0, 1, 0, 0 },
	{ "log", "key", CT_PATH, CF(log_key), 0, 1, 0, 0 },
	{ "policy", "file", CT_FILE, CF(policy_file), 0, 1, 0, 0 },
	{ "policy", "parties", CT_FILE, CF(parties_file), 0, 1, 0, 0 },
	{ "limits", "handshake_timeout", CT_UINT, CNUM(handshake_timeout), 0, 1, TIMEOUT_MAX },
	{ "limits", "header_timeout", CT_UINT, CNUM(header_timeout), 0, 1, TIMEOUT_MAX },
	{ "limits", "body_timeout", CT_UINT, CNUM(body_timeout), 0, 1, TIMEOUT_MAX },
	{ "limits", "request_timeout", CT_UINT, CNUM(request_timeout), 0, 0, TIMEOUT_MAX },
	{ "limits", "body_min_rate", CT_UINT, CNUM(body_min_rate), 0, 0, BODY_RATE_MAX },
	{ "limits", "max_connections", CT_UINT, CNUM(max_connections), 0, 1, CONNECTIONS_MAX },
	{ "limits", "max_connections_party", CT_UINT, CNUM(max_connections_party), 0, 1,
	  CONNECTIONS_MAX },
	{ "limits", "max_handshakes", CT_UINT, CNUM(max_handshakes), 0, 1, CONNECTIONS_MAX },
	{ "limits", "max_handshakes_address", CT_UINT, CNUM(max_handshakes_address), 0, 1,
	  CONNECTIONS_MAX },
	{ "limits", "max_header_count", CT_UINT, CNUM(max_header_count), 0, 1, HEADER_COUNT_MAX },
	{ "limits", "max_header_size", CT_BYTES, CNUM(max_header_size), 0, HEADER_SIZE_MIN,
	  HEADER_SIZE_MAX },
	{ "limits", "workers", CT_UINT, CNUM(workers), 0, 1, WORKERS_MAX },
	{ "limits", "uploads_per_minute", CT_UINT, CNUM(uploads_per_minute), 0, 0, RATE_MAX },
	{ "limits", "bytes_per_day", CT_SIZE64, CNUM(bytes_per_day), 0, 0, UINT64_MAX },
	{ "limits", "resumable_expiry", CT_UINT, CNUM(resumable_expiry), 0, 1, RESUMABLE_EXPIRY_MAX },
	{ "limits", "resumable_per_party", CT_UINT, CNUM(resumable_per_party), 0, 1, 4096 },
	{ "limits", "resumable_bytes_party", CT_SIZE64, CNUM(resumable_bytes_party), 0, 1,
	  UINT64_MAX / 2 },
	{ "log", "witness_quorum", CT_UINT, CNUM(witness_quorum), 0, 0, CONFIG_WITNESS_MAX },
	{ "log", "witness_timeout", CT_UINT, CNUM(witness_timeout), 0, 1, TIMEOUT_MAX },
	{ "store", "path", CT_PATH, CF(store), 0, 0, 0, 0 },
	{ "scan", "clamd", CT_PATH, CF(scan_clamd), 0, 0, 0, 0 },
	{ "scan", "timeout", CT_UINT, CNUM(scan_timeout), 0, 1, TIMEOUT_MAX },
	{ "ledger", "backend", CT_BACKEND, CF(ledger_backend), 0, 0, 0, 0 },
	{ "ledger", "dsn", CT_DSN, CF(ledger_dsn_buf), 0, 0, 0, 0 },
};
#define CFG_NKEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))

static const char *const cfg_sections[] = { "server", "tls", "log", "policy", "limits", "scan",
	"store", "ledger" };
#define CFG_NSECTIONS (sizeof(cfg_sections) / sizeof(cfg_sections[0]))

struct cfg_state {
	struct config *cfg;
	unsigned       key_line[CFG_NKEYS];          /* where each key was set */
	unsigned       section_line[CFG_NSECTIONS];  /* where each section began */
};

static void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->handshake_timeout = 10;
	cfg->header_timeout = 10;
	cfg->body_timeout = 60;
	cfg->request_timeout = 0;
	cfg->max_connections = 1024;
	cfg->max_connections_party = 64;
	/* Handshakes have a budget of their own, so that connections that
	 * never authenticate cannot take the slots of those that did; one
	 * address may hold a quarter of it (ab -c 64 from one host still fits). */
	cfg->max_handshakes = 256;
	cfg->max_handshakes_address = 64;
	/* 500 B/s after body_timeout, as Apache mod_reqtimeout's MinRate: a
	 * sixteenth of the slowest line a Party would use (64 kbit/s is 8000
	 * B/s), yet a client must send 1.8 MB an hour to hold a connection. */
	cfg->body_min_rate = 500;
	cfg->max_header_count = 64;
	cfg->max_header_size = 16384;
	cfg->workers = 2;
	snprintf(cfg->user, sizeof(cfg->user), "intaked");
	cfg->uploads_per_minute = 6000;
	cfg->bytes_per_day = (uint64_t)1 << 40;
	cfg->resumable_expiry = 86400;
	cfg->resumable_per_party = 16;
	cfg->resumable_bytes_party = (uint64_t)16 << 30;
	cfg->witness_timeout = 10;
	cfg->scan_timeout = 60;
	snprintf(cfg->ledger_backend, sizeof(cfg->ledger_backend), "sqlite");
}

const char *
config_ledger_dsn(const struct config *cfg)
{
	return strcmp(cfg->ledger_backend, "postgresql") == 0 && cfg->ledger_dsn_buf[0] != '\0' ?
	    cfg->ledger_dsn_buf : NULL;
}

/* A DSN as libpq takes it: a postgresql:// or postgres:// URI, or
 * key=value pairs; printable ASCII only (it goes to libpq whole). The value
 * is never echoed in an error: it may hold a password. */
static int
cfg_dsn_ok(const char *v)
{
	const char *p;

	if (strncmp(v, "postgresql://", 13) != 0 && strncmp(v, "postgres://", 11) != 0 &&
	    strchr(v, '=') == NULL)
		return 0;
	for (p = v; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return 0;
	return 1;
}

/* "url" of a [witness NAME]: http://host:port[/prefix], plain HTTP (the
 * cosignature, not the channel, is what is trusted). 0, or -1 with WHY. */
static int
cfg_witness_url(struct config_witness *w, const char *url, const char **why)
{
	const char *hp = url + 7, *slash;
	char buf[512];
	size_t n;

	if (strncmp(url, "http://", 7) != 0) {
		*why = "not an http:// URL";
		return -1;
	}
	slash = strchr(hp, '/');
	n = slash ? (size_t)(slash - hp) : strlen(hp);
	if (n == 0 || n >= sizeof(buf)) {
		*why = "no host:port";
		return -1;
	}
	memcpy(buf, hp, n);
	buf[n] = '\0';
	if (config_parse_hostport(buf, w->host, sizeof(w->host), w->port, sizeof(w->port),
	    why) == -1)
		return -1;
	if (slash != NULL) {
		n = strlen(slash);
		while (n > 0 && slash[n - 1] == '/')
			n--;
		if (n >= sizeof(w->prefix) || strcspn(slash, " ?#\t\r\n") < n) {
			*why = "a path prefix that is too long or holds ' ', '?' or '#'";
			return -1;
		}
		memcpy(w->prefix, slash, n);
		w->prefix[n] = '\0';
	}
	return 0;
}

/* A key of a [witness NAME] section. */
static int
cfg_witness_key(struct ini_ctx *c, struct config_witness *w, const char *key,
    const char *value)
{
	struct intake_wverifier *v;
	const char *why;

	if (strcmp(key, "url") == 0) {
		if (w->host[0] != '\0') {
			ini_error(c, c->line, "key 'url': repeated in [%s]", c->section);
			return -1;
		}
		if (cfg_witness_url(w, value, &why) == -1) {
			ini_error(c, c->line, "key 'url': %s", why);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "vkey") == 0) {
		if (w->vkey[0] != '\0') {
			ini_error(c, c->line, "key 'vkey': repeated in [%s]", c->section);
			return -1;
		}
		if ((v = intake_wverifier_new(value)) == NULL) {
			ini_error(c, c->line, "key 'vkey': not a cosigner verifier key "
			    "(name+hex id+base64 of 0x04 and an Ed25519 key)");
			return -1;
		}
		intake_wverifier_free(v);
		if (ini_copy_str(w->vkey, sizeof(w->vkey), value) == -1) {
			ini_error(c, c->line, "key 'vkey': longer than %zu bytes", sizeof(w->vkey) - 1);
			return -1;
		}
		return 0;
	}
	ini_error(c, c->line, "key '%s': unknown key in [%s]", key, c->section);
	return -1;
}

static int
cfg_on_section(struct ini_ctx *c, const char *name)
{
	struct cfg_state *st = c->arg;
	size_t i;

	if (strncmp(name, "witness ", 8) == 0) {
		const char *wn = name + 8;
		struct config *cfg = st->cfg;

		if (!valid_note_name(wn) || strlen(wn) >= WITNESS_NAME_MAX) {
			ini_error(c, c->line, "section '%s': not a witness name", name);
			return -1;
		}
		for (i = 0; i < cfg->nwitnesses; i++)
			if (strcmp(cfg->witnesses[i].name, wn) == 0) {
				ini_error(c, c->line, "section '%s': repeated (first at line %u)",
				    name, cfg->witnesses[i].line);
				return -1;
			}
		if (cfg->nwitnesses == CONFIG_WITNESS_MAX) {
			ini_error(c, c->line, "section '%s': more than %d witnesses", name,
			    CONFIG_WITNESS_MAX);
			return -1;
		}
		i = cfg->nwitnesses++;
		ini_copy_str(cfg->witnesses[i].name, sizeof(cfg->witnesses[i].name), wn);
		cfg->witnesses[i].line = c->line;
		return 0;
	}
	for (i = 0; i < CFG_NSECTIONS; i++) {
		if (strcmp(name, cfg_sections[i]) != 0)
			continue;
		if (st->section_line[i] != 0) {
			ini_error(c, c->line, "section '%s': repeated (first at line %u)", name,
			    st->section_line[i]);
			return -1;
		}
		st->section_line[i] = c->line;
		return 0;
	}
	ini_error(c, c->line, "section '%s': unknown section", name);
	return -1;
}

static int
cfg_on_key(struct ini_ctx *c, const char *key, const char *value)
{
	struct cfg_state *st = c->arg;
	const struct cfg_key *k = NULL;
	struct stat sb;
	const char *why;
	char *base = (char *)st->cfg;
	uint64_t v;
	size_t i;

	if (strncmp(c->section, "witness ", 8) == 0)
		return cfg_witness_key(c, &st->cfg->witnesses[st->cfg->nwitnesses - 1], key, value);
	for (i = 0; i < CFG_NKEYS; i++)
		if (strcmp(cfg_keys[i].section, c->section) == 0 &&
		    strcmp(cfg_keys[i].key, key) == 0) {
			k = &cfg_keys[i];
			break;
		}
	if (k == NULL) {
		ini_error(c, c->line, "key '%s': unknown key in [%s]", key, c->section);
		return -1;
	}
	if (st->key_line[i] != 0) {
		ini_error(c, c->line, "key '%s': repeated (first at line %u)", key, st->key_line[i]);
		return -1;
	}
	st->key_line[i] = c->line;

	switch (k->type) {
	case CT_ADDR:
		if (config_parse_hostport(value, base + k->off, k->len, base + k->off2,
		    sizeof(st->cfg->listen_port), &why) == -1) {
			ini_error(c, c->line, "key '%s': %s", key, why);
			return -1;
		}
		if (k->off == offsetof(struct config, admin_host) && !is_loopback(base + k->off)) {
			ini_error(c, c->line, "key '%s': not a loopback address (the admin "
			    "listener is plain HTTP)", key);
			return -1;
		}
		break;
	case CT_FILE:
	case CT_PATH:
		if (ini_copy_str(base + k->off, k->len, value) == -1) {
			ini_error(c, c->line, "key '%s': path longer than %zu bytes", key, k->len - 1);
			return -1;
		}
		if (k->type == CT_PATH)
			break;
		if (stat(value, &sb) == -1) {
			ini_error(c, c->line, "key '%s': cannot open %s: %s", key, value,
			    strerror(errno));
			return -1;
		}
		if (!S_ISREG(sb.st_mode)) {
			ini_error(c, c->line, "key '%s': %s is not a regular file", key, value);
			return -1;
		}
		break;
	case CT_ORIGIN:
		if (!valid_note_name(value)) {
			ini_error(c, c->line, "key '%s': not a key name (printable, no space, no '+')",
			    key);
			return -1;
		}
		if (ini_copy_str(base + k->off, k->len, value) == -1) {
			ini_error(c, c->line, "key '%s': longer than %zu bytes", key, k->len - 1);
			return -1;
		}
		break;
	case CT_USER:
		if (!valid_user_name(value)) {
			ini_error(c, c->line, "key '%s': not a user name ([a-z_][a-z0-9_-]*)", key);
			return -1;
		}
		if (ini_copy_str(base + k->off, k->len, value) == -1) {
			ini_error(c, c->line, "key '%s': longer than %zu bytes", key, k->len - 1);
			return -1;
		}
		break;
	case CT_UINT:
	case CT_BYTES:
		if ((k->type == CT_UINT ? config_parse_count(value, &v) :
		    config_parse_size(value, &v)) == -1) {
			ini_error(c, c->line, "key '%s': not a %s", key,
			    k->type == CT_UINT ? "number" : "size (N, NK, NM, NG, NT)");
			return -1;
		}
		if (v < k->min || v > k->max) {
			ini_error(c, c->line, "key '%s': must be %llu-%llu", key,
			    (unsigned long long)k->min, (unsigned long long)k->max);
			return -1;
		}
		*(unsigned *)(void *)(base + k->off) = (unsigned)v;
		break;
	case CT_BACKEND:
		if (strcmp(value, "sqlite") != 0 && strcmp(value, "postgresql") != 0) {
			ini_error(c, c->line, "key '%s': not sqlite or postgresql", key);
			return -1;
		}
		snprintf(base + k->off, k->len, "%s", value);
		break;
	case CT_DSN:
		if (!cfg_dsn_ok(value)) {
			ini_error(c, c->line, "key '%s': not a postgresql:// URI or key=value "
			    "connection string", key);
			return -1;
		}
		if (ini_copy_str(base + k->off, k->len, value) == -1) {
			ini_error(c, c->line, "key '%s': longer than %zu bytes", key, k->len - 1);
			return -1;
		}
		break;
	case CT_SIZE64:
		if (config_parse_size(value, &v) == -1 || v < k->min || v > k->max) {
			ini_error(c, c->line, "key '%s': not a size (N, NK, NM, NG, NT)", key);
			return -1;
		}
		*(uint64_t *)(void *)(base + k->off) = v;
		break;
	}
	return 0;
}

/* The line KEY of SECTION was set on, 0 if it was not. */
static unsigned
cfg_key_line(const struct cfg_state *st, const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < CFG_NKEYS; i++)
		if (strcmp(cfg_keys[i].section, section) == 0 && strcmp(cfg_keys[i].key, key) == 0)
			return st->key_line[i];
	return 0;
}

/* Whether PATH (without trailing '/') is DIR or below it. */
static int
cfg_path_within(const char *path, size_t plen, const char *dir, size_t dlen)
{
	return plen >= dlen && strncmp(path, dir, dlen) == 0 &&
	    (plen == dlen || path[dlen] == '/');
}

/*
 * [store] path, or its default <data>/store. A store of its own must not be
 * the data directory, nor within the node's quarantine or partial uploads,
 * which recovery and expiry empty (compared as written: the directories
 * need not exist yet). 0, or -1 with the reason in *WHY.
 */
static int
cfg_store(struct config *cfg, int given, const char **why)
{
	static const char *const mine[] = { "quarantine", "uploads" };
	char sub[sizeof(cfg->data) + 16];
	size_t plen, dlen, i;
	int n;

	if (!given) {
		n = snprintf(cfg->store, sizeof(cfg->store), "%s/store", cfg->data);
		if (n < 0 || (size_t)n >= sizeof(cfg->store)) {
			*why = "too long to hold the store (<data>/store)";
			return -1;
		}
		cfg->store_shared = 0;
		return 0;
	}
	cfg->store_shared = 1;
	plen = strlen(cfg->store);
	while (plen > 1 && cfg->store[plen - 1] == '/')
		plen--;
	dlen = strlen(cfg->data);
	while (dlen > 1 && cfg->data[dlen - 1] == '/')
		dlen--;
	if (plen == 0) {
		*why = "empty";
		return -1;
	}
	cfg->store[plen] = '\0';	/* "dir/" is "dir": blob paths without "//" */
	if (plen == dlen && strncmp(cfg->store, cfg->data, dlen) == 0) {
		*why = "the data directory itself (the store is a directory of its own)";
		return -1;
	}
	for (i = 0; i < sizeof(mine) / sizeof(mine[0]); i++) {
		n = snprintf(sub, sizeof(sub), "%.*s/%s", (int)dlen, cfg->data, mine[i]);
		if (n > 0 && (size_t)n < sizeof(sub) &&
		    cfg_path_within(cfg->store, plen, sub, (size_t)n)) {
			*why = "within the data directory's quarantine or partial uploads";
			return -1;
		}
	}
	return 0;
}

int
config_load(const char *file, struct config *cfg, char *err, size_t errlen)
{
	struct cfg_state st;
	struct ini_ctx *c;
	const char *why;
	size_t i, j;
	unsigned line;
	int ret = -1;

	config_defaults(cfg);
	memset(&st, 0, sizeof(st));
	line = 1;
	st.cfg = cfg;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		errset(err, errlen, "%s: out of memory", file);
		return -1;
	}
	c->file = file;
	c->on_section = cfg_on_section;
	c->on_key = cfg_on_key;
	c->arg = &st;
	c->err = err;
	c->errlen = errlen;
	if (ini_run(c) == -1)
		goto fail;

	for (i = 0; i < CFG_NKEYS; i++) {
		if (!cfg_keys[i].required || st.key_line[i] != 0)
			continue;
		line = c->line ? c->line : 1; /* the end of the file, or its section */
		for (j = 0; j < CFG_NSECTIONS; j++)
			if (strcmp(cfg_sections[j], cfg_keys[i].section) == 0 &&
			    st.section_line[j] != 0)
				line = st.section_line[j];
		ini_error(c, line, "key '%s': missing (required in [%s])", cfg_keys[i].key,
		    cfg_keys[i].section);
		goto fail;
	}
	if (cfg->max_connections_party > cfg->max_connections) {
		line = c->line;
		for (i = 0; i < CFG_NKEYS; i++)
			if (strcmp(cfg_keys[i].key, "max_connections_party") == 0)
				line = st.key_line[i];
		ini_error(c, line, "key 'max_connections_party': exceeds max_connections (%u)",
		    cfg->max_connections);
		goto fail;
	}
	if (cfg->max_handshakes_address > cfg->max_handshakes) {
		line = c->line;
		for (i = 0; i < CFG_NKEYS; i++)
			if (strcmp(cfg_keys[i].key, "max_handshakes_address") == 0)
				line = st.key_line[i];
		ini_error(c, line, "key 'max_handshakes_address': exceeds max_handshakes (%u)",
		    cfg->max_handshakes);
		goto fail;
	}
	if (cfg->admin_host[0] != '\0' && strcmp(cfg->admin_host, cfg->listen_host) == 0 &&
	    strcmp(cfg->admin_port, cfg->listen_port) == 0) {
		line = c->line;
		for (i = 0; i < CFG_NKEYS; i++)
			if (strcmp(cfg_keys[i].key, "admin") == 0)
				line = st.key_line[i];
		ini_error(c, line, "key 'admin': same address as listen");
		goto fail;
	}
	for (i = 0; i < cfg->nwitnesses; i++) {
		const struct config_witness *w = &cfg->witnesses[i];

		if (w->host[0] == '\0' || w->vkey[0] == '\0') {
			ini_error(c, w->line, "section 'witness %s': key '%s': missing", w->name,
			    w->host[0] == '\0' ? "url" : "vkey");
			goto fail;
		}
	}
	if (cfg->witness_quorum > cfg->nwitnesses) {
		line = c->line;
		for (i = 0; i < CFG_NKEYS; i++)
			if (strcmp(cfg_keys[i].key, "witness_quorum") == 0)
				line = st.key_line[i];
		ini_error(c, line, "key 'witness_quorum': %u, but only %zu [witness] sections",
		    cfg->witness_quorum, cfg->nwitnesses);
		goto fail;
	}
	line = cfg_key_line(&st, "store", "path");
	if (cfg_store(cfg, line != 0, &why) == -1) {
		if (line != 0)
			ini_error(c, line, "key 'path': %s", why);
		else
			ini_error(c, cfg_key_line(&st, "server", "data"), "key 'data': %s", why);
		goto fail;
	}
	/* [ledger]: a DSN goes with postgresql, and only with it */
	if (strcmp(cfg->ledger_backend, "postgresql") == 0 && cfg->ledger_dsn_buf[0] == '\0') {
		ini_error(c, cfg_key_line(&st, "ledger", "backend"), "key 'dsn': missing (required with backend = postgresql)");
		goto fail;
	}
	if (strcmp(cfg->ledger_backend, "sqlite") == 0 && cfg->ledger_dsn_buf[0] != '\0') {
		ini_error(c, cfg_key_line(&st, "ledger", "dsn"), "key 'dsn': only with backend = postgresql (the sqlite "
		    "ledger is DATA/ledger.db)");
		goto fail;
	}
	/* [scan] without a socket would scan nothing while it says it does */
	for (j = 0; j < CFG_NSECTIONS; j++)
		if (strcmp(cfg_sections[j], "scan") == 0 && st.section_line[j] != 0 &&
		    cfg->scan_clamd[0] == '\0') {
			ini_error(c, st.section_line[j], "key 'clamd': missing (required in [scan])");
			goto fail;
		}
	ret = 0;
fail:
	free(c);
	return ret;
}
