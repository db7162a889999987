/*
 * common/config.c: the daemon configuration, the policy file and the parties
 * file (see config.h), and the mapping of a client certificate to a Party.
 *
 * Runs in the parent at start, on SIGHUP and in `intaked -t`. It trusts the
 * operator who wrote the files only so far: every line is checked (length,
 * NUL and control bytes), every value is validated, and anything unknown is
 * an error naming FILE:LINE and the key or section. It never opens the files
 * the configuration names (it only checks that they exist) and never logs.
 *
 * inih does the INI syntax. Debian's libinih turns the compile-time knobs
 * into variables (ini_allow_multiline, ini_max_line, ...): we set them before
 * every parse. Our own line reader feeds inih, so we know the line number of
 * every key and see section headers (also empty sections, and names longer
 * than inih's 50-byte section buffer) before inih does.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <intake/cosig.h>

#include "common/config.h"
#include "common/errbuf.h"
#include "lib/utf8.h"

#define CONFIG_FILE_MAX     (4u << 20) /* bytes of any one file we parse */
#define CONFIG_LINE_MAX     8192       /* bytes of one line, newline included */
#define CONFIG_SECTION_MAX  128        /* bytes of a section header's name */
#define POLICY_KINDS_MAX    256        /* [kind NAME] sections in a policy */
#define PARTIES_MAX         100000     /* [party ID] sections in a parties file */
#define TIMEOUT_MAX         604800     /* no timeout may exceed a week (seconds) */
#define CONNECTIONS_MAX     1000000    /* max_connections sanity bound */
#define BODY_RATE_MAX       (1u << 30) /* body_min_rate sanity bound (bytes/s) */
#define HEADER_COUNT_MAX    10000      /* max_header_count sanity bound */
#define HEADER_SIZE_MIN     1024       /* max_header_size: a request line must fit */
#define HEADER_SIZE_MAX     (16u << 20) /* max_header_size sanity bound */
#define WORKERS_MAX         256        /* inspector threads */
#define RATE_MAX            1000000    /* uploads per minute per Party */
#define ARCHIVE_DEPTH_MAX   16         /* nesting the inspector may recurse into */
#define XML_DEPTH_MAX       100000     /* element nesting the XML checks may track */
#define WORKBOOK_ROWS_MAX   1048576    /* rows of an .xlsx sheet (Excel's own limit) */
#define INSPECT_SECONDS_MAX 86400      /* one inspection may not take over a day */
#define PATH_MAX_MAX        4096       /* longest member path the policy may allow */

/* ---- the INI driver: line reader, section hook, key hook ---------------- */

struct ini_ctx {
	const char *file;
	FILE       *fp;
	unsigned    line;                        /* line being parsed (1-based) */
	int         in_section;                  /* a header has been seen */
	char        section[CONFIG_SECTION_MAX]; /* as the reader saw it, trimmed */
	unsigned    section_line;
	int       (*on_section)(struct ini_ctx *, const char *);
	int       (*on_key)(struct ini_ctx *, const char *, const char *);
	void       *arg;
	char       *err;
	size_t      errlen;
	int         failed;                      /* ERR holds the first error */
	char        buf[CONFIG_LINE_MAX + 1];
};

static void ini_error(struct ini_ctx *, unsigned, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first error as "FILE:LINE: message". */
static void
ini_error(struct ini_ctx *c, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->failed)
		return;
	c->failed = 1;
	if (c->err == NULL || c->errlen == 0)
		return;
	n = snprintf(c->err, c->errlen, "%s:%u: ", c->file, line);
	if (n < 0 || (size_t)n >= c->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - n, fmt, ap);
	va_end(ap);
}

static int
is_space(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' ||
	    ch == '\f';
}

/* Recognises a "[name]" line as inih will, so that the section hook runs
 * before any key of the section (and for sections without keys). */
static int
ini_section_line(struct ini_ctx *c, char *p)
{
	char *end, *rest, *name;

	while (is_space((unsigned char)*p))
		p++;
	if (*p != '[')
		return 0;
	if ((end = strchr(p + 1, ']')) == NULL)
		return 0;                 /* inih reports the syntax error */
	for (rest = end + 1; is_space((unsigned char)*rest); rest++)
		;
	name = p + 1;
	while (is_space((unsigned char)*name))
		name++;
	while (end > name && is_space((unsigned char)end[-1]))
		end--;
	if ((size_t)(end - name) >= sizeof(c->section)) {
		ini_error(c, c->line, "section '%.40s...': name too long", name);
		return -1;
	}
	memcpy(c->section, name, end - name);
	c->section[end - name] = '\0';
	c->section_line = c->line;
	c->in_section = 1;
	if (*rest != '\0' && *rest != ';' && *rest != '#') {
		ini_error(c, c->line, "section '%s': text after ']'", c->section);
		return -1;
	}
	return c->on_section(c, c->section);
}

/* inih's fgets: one whole line per call, bounded, no NUL or control bytes. */
static char *
config_ini_read(char *str, int num, void *arg)
{
	struct ini_ctx *c = arg;
	size_t n = 0, i;
	int ch;

	if (c->failed)
		return NULL;
	while ((ch = getc(c->fp)) != EOF) {
		if (n >= CONFIG_LINE_MAX || n + 1 >= (size_t)num) {
			ini_error(c, c->line + 1, "line longer than %d bytes", CONFIG_LINE_MAX);
			return NULL;
		}
		c->buf[n++] = (char)ch;
		if (ch == '\n')
			break;
	}
	if (ferror(c->fp)) {
		ini_error(c, c->line + 1, "read error");
		return NULL;
	}
	if (n == 0)
		return NULL;
	c->buf[n] = '\0';
	c->line++;
	for (i = 0; i < n; i++) {
		unsigned char u = (unsigned char)c->buf[i];

		if (u == '\0') {
			ini_error(c, c->line, "NUL byte in line");
			return NULL;
		}
		if ((u < 0x20 && u != '\t' && u != '\r' && u != '\n') || u == 0x7f) {
			ini_error(c, c->line, "control character 0x%02x in line", u);
			return NULL;
		}
	}
	i = 0;
	if (c->line == 1 && n >= 3 && memcmp(c->buf, "\xef\xbb\xbf", 3) == 0)
		i = 3;                    /* UTF-8 BOM, which inih skips too */
	if (ini_section_line(c, c->buf + i) == -1)
		return NULL;
	memcpy(str, c->buf, n + 1);
	return str;
}

static int
config_ini_key(void *arg, const char *section, const char *name, const char *value)
{
	struct ini_ctx *c = arg;

	(void)section;                    /* inih's copy is cut at 50 bytes: use ours */
	if (c->failed)
		return 0;
	if (!c->in_section) {
		ini_error(c, c->line, "key '%s': outside any [section]", name);
		return 0;
	}
	if (value == NULL || value[0] == '\0') {
		ini_error(c, c->line, "key '%s': empty value", name);
		return 0;
	}
	return c->on_key(c, name, value) == 0;
}

/* Opens FILE (a regular file no larger than CONFIG_FILE_MAX) and runs the
 * parser over it with the hooks in C. 0/-1 (C->err). */
static int
ini_run(struct ini_ctx *c)
{
	struct stat st;
	int fd = -1, r, ret = -1;

	if ((fd = open(c->file, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		errset(c->err, c->errlen, "%s: cannot open: %s", c->file, strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		errset(c->err, c->errlen, "%s: not a regular file", c->file);
		goto fail;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		errset(c->err, c->errlen, "%s: larger than %u bytes", c->file,
		    CONFIG_FILE_MAX);
		goto fail;
	}
	if ((c->fp = fdopen(fd, "r")) == NULL) {
		errset(c->err, c->errlen, "%s: %s", c->file, strerror(errno));
		goto fail;
	}
	fd = -1;

	/* Debian's libinih: runtime knobs (upstream: macros of ini.h). */
	ini_use_stack = true;
	ini_max_line = CONFIG_LINE_MAX + 3;   /* + '\r', '\n', NUL (see ini.h) */
	ini_allow_multiline = false;          /* an indented line is an error */
	ini_allow_inline_comments = true;     /* "value ; comment" */
	ini_inline_comment_prefixes = ";";
	ini_start_comment_prefixes = ";#";
	ini_allow_no_value = false;
	ini_allow_bom = true;
	ini_stop_on_first_error = true;

	r = ini_parse_stream(config_ini_read, c, config_ini_key, c);
	if (c->failed)
		goto fail;
	if (r > 0) {
		ini_error(c, (unsigned)r, "syntax error (expected '[section]' or 'key = value')");
		goto fail;
	}
	if (r < 0) {
		errset(c->err, c->errlen, "%s: cannot parse (error %d)", c->file, r);
		goto fail;
	}
	ret = 0;
fail:
	if (c->fp != NULL)
		fclose(c->fp);
	c->fp = NULL;
	if (fd != -1)
		close(fd);
	return ret;
}

/* ---- value parsers ------------------------------------------------------- */

int
config_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;
	const char *p = s;

	if (s == NULL || *p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	switch (*p) {
	case '\0':
		break;
	case 'K': case 'k':
		shift = 10;
		break;
	case 'M': case 'm':
		shift = 20;
		break;
	case 'G': case 'g':
		shift = 30;
		break;
	case 'T': case 't':
		shift = 40;
		break;
	default:
		return -1;
	}
	if (shift != 0) {
		if (p[1] != '\0' || v > (UINT64_MAX >> shift))
			return -1;
		v <<= shift;
	}
	*out = v;
	return 0;
}

/* A plain decimal count (no sign, no suffix). 0/-1. */
static int
config_parse_count(const char *s, uint64_t *out)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return -1;
	return config_parse_size(s, out);
}

static int
copy_str(char *dst, size_t dstlen, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstlen)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

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
	{ "log", "witness_quorum", CT_UINT, CNUM(witness_quorum), 0, 0, CONFIG_WITNESS_MAX },
	{ "log", "witness_timeout", CT_UINT, CNUM(witness_timeout), 0, 1, TIMEOUT_MAX },
};
#define CFG_NKEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))

static const char *const cfg_sections[] = { "server", "tls", "log", "policy", "limits" };
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
	cfg->witness_timeout = 10;
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
		if (copy_str(w->vkey, sizeof(w->vkey), value) == -1) {
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
		copy_str(cfg->witnesses[i].name, sizeof(cfg->witnesses[i].name), wn);
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
		if (copy_str(base + k->off, k->len, value) == -1) {
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
		if (copy_str(base + k->off, k->len, value) == -1) {
			ini_error(c, c->line, "key '%s': longer than %zu bytes", key, k->len - 1);
			return -1;
		}
		break;
	case CT_USER:
		if (!valid_user_name(value)) {
			ini_error(c, c->line, "key '%s': not a user name ([a-z_][a-z0-9_-]*)", key);
			return -1;
		}
		if (copy_str(base + k->off, k->len, value) == -1) {
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

int
config_load(const char *file, struct config *cfg, char *err, size_t errlen)
{
	struct cfg_state st;
	struct ini_ctx *c;
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
	ret = 0;
fail:
	free(c);
	return ret;
}

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
	unsigned section, types, max_upload;
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

/* "WORD REST" with one or more blanks between: REST, or NULL. */
static const char *
section_arg(const char *name, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(name, word, n) != 0 || (name[n] != ' ' && name[n] != '\t'))
		return NULL;
	name += n;
	while (*name == ' ' || *name == '\t')
		name++;
	return name;
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
	if ((kn = section_arg(name, "kind")) == NULL) {
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

static int
pol_on_key(struct ini_ctx *c, const char *key, const char *value)
{
	struct pol_state *st = c->arg;
	struct kind_lines *kl;
	const struct pol_key *k = NULL;
	char *base = (char *)st->p;
	uint64_t v;
	size_t i;

	if (st->cur != NULL) {
		kl = &st->lines[st->cur - st->p->kinds];
		if (strcmp(key, "types") == 0) {
			if (kl->types != 0) {
				ini_error(c, c->line, "key 'types': repeated (first at line %u)",
				    kl->types);
				return -1;
			}
			kl->types = c->line;
			return kind_parse_types(c, st->cur, value);
		}
		if (strcmp(key, "max_upload") == 0) {
			if (kl->max_upload != 0) {
				ini_error(c, c->line, "key 'max_upload': repeated (first at line %u)",
				    kl->max_upload);
				return -1;
			}
			kl->max_upload = c->line;
			if (config_parse_size(value, &v) == -1 || v == 0) {
				ini_error(c, c->line, "key 'max_upload': not a size above 0 "
				    "(N, NK, NM, NG, NT)");
				return -1;
			}
			st->cur->max_upload = v;
			return 0;
		}
		ini_error(c, c->line, "key '%s': unknown key in [%s] (types, max_upload)", key,
		    c->section);
		return -1;
	}

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
	if ((id = section_arg(name, "party")) == NULL) {
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
	if (utf8_check(value, n, NULL) != UTF8_OK) {
		ini_error(c, c->line, "key 'match': %s in the value",
		    utf8_class_name(utf8_check(value, n, NULL)));
		return -1;
	}
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
		if (copy_str(pt->name, sizeof(pt->name), value) == -1) {
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
