/*
 * tests/unit/config.c: the configuration, policy and parties parsers
 * (common/config.c) and the certificate -> Party mapping.
 *
 * Every error case checks that the message names the file, the line and the
 * key or section. Certificates come from certs/mkdev.sh, run once into a
 * scratch directory, and from the OpenSSL API here (for the hostile ones a
 * CA would not normally issue: NUL bytes, two CNs, two Parties in one SAN).
 */
#include <sys/stat.h>

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <intake/cosig.h>
#include <intake/note.h>

#include "common/config.h"

static char tmp[256];          /* scratch directory of this run */
static char pki[300];          /* tmp/pki: certs/mkdev.sh output */
static int  pki_ok;

/* Writes CONTENT (with every '@' replaced by the scratch directory) to
 * tmp/NAME and returns its path (static buffer, one per call site cycle). */
static const char *
put(const char *name, const char *content)
{
	static char paths[4][512];
	static int slot;
	char *path = paths[slot++ % 4];
	const char *p;
	FILE *f;

	snprintf(path, 512, "%s/%s", tmp, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (p = content; *p != '\0'; p++) {
		if (*p == '@')
			fputs(tmp, f);
		else
			fputc(*p, f);
	}
	fclose(f);
	return path;
}

/* Asserts that ERR starts with "FILE:LINE: " followed by WHAT. */
static void
expect_err(int rc, const char *err, const char *file, unsigned line, const char *what)
{
	char want[1024];

	snprintf(want, sizeof(want), "%s:%u: %s", file, line, what);
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "want '%s...', got '%s'", want, err);
}

/* A valid configuration; FMT may replace any line (it is the whole text). */
#define GOOD_CONF \
	"[server]\n" \
	"listen = 127.0.0.1:8443\n" \
	"data = @/var\n" \
	"[tls]\n" \
	"certificate = @/server.crt\n" \
	"key = @/server.key\n" \
	"client_ca = @/ca.crt\n" \
	"[log]\n" \
	"origin = intake.example.org/log\n" \
	"key = @/var/log.key\n" \
	"[policy]\n" \
	"file = @/p.policy\n" \
	"parties = @/parties.conf\n"

static void
touch_inputs(void)
{
	put("server.crt", "x");
	put("server.key", "x");
	put("ca.crt", "x");
	put("ca.crl", "x");
	put("p.policy", "x");
	put("parties.conf", "x");
}

/* GOOD_CONF with line LINE (1-based) replaced by REPL (NULL: removed). */
static const char *
conf_with(unsigned line, const char *repl)
{
	static char buf[16384];
	const char *p = GOOD_CONF, *e;
	unsigned n = 1;
	size_t len = 0;

	while (*p != '\0') {
		e = strchr(p, '\n') + 1;
		if (n == line) {
			if (repl != NULL)
				len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s\n", repl);
		} else {
			memcpy(buf + len, p, (size_t)(e - p));
			len += (size_t)(e - p);
		}
		p = e;
		n++;
	}
	buf[len] = '\0';
	return buf;
}

/* ---- witnesses (issue 16) ------------------------------------------------- */

START_TEST(config_witnesses_default_to_none)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "";

	touch_inputs();
	ck_assert_int_eq(config_load(put("c.conf", GOOD_CONF), &cfg, err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.witness_quorum, 0);
	ck_assert_uint_eq(cfg.witness_timeout, 10);
	ck_assert_uint_eq(cfg.nwitnesses, 0);
}
END_TEST

START_TEST(config_witness_sections_load)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "", text[20000];
	char *sk1, *vk1, *sk2, *vk2;

	touch_inputs();
	ck_assert_int_eq(intake_cosigner_keygen("w1.example", &sk1, &vk1), 0);
	ck_assert_int_eq(intake_cosigner_keygen("w2.example", &sk2, &vk2), 0);
	snprintf(text, sizeof(text), "%s"
	    "[witness w1]\nurl = http://127.0.0.1:7380\nvkey = %s\n"
	    "[witness w2]\nurl = http://[::1]:7381/wit/\nvkey = %s\n",
	    conf_with(11, "witness_quorum = 2\nwitness_timeout = 5\n[policy]"), vk1, vk2);
	ck_assert_msg(config_load(put("c.conf", text), &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(cfg.witness_quorum, 2);
	ck_assert_uint_eq(cfg.witness_timeout, 5);
	ck_assert_uint_eq(cfg.nwitnesses, 2);
	ck_assert_str_eq(cfg.witnesses[0].name, "w1");
	ck_assert_str_eq(cfg.witnesses[0].host, "127.0.0.1");
	ck_assert_str_eq(cfg.witnesses[0].port, "7380");
	ck_assert_str_eq(cfg.witnesses[0].prefix, "");
	ck_assert_str_eq(cfg.witnesses[1].host, "::1");
	ck_assert_str_eq(cfg.witnesses[1].prefix, "/wit");
	ck_assert_str_eq(cfg.witnesses[1].vkey, vk2);
	intake_freezero(sk1, strlen(sk1));
	intake_freezero(sk2, strlen(sk2));
	free(vk1);
	free(vk2);
}
END_TEST

START_TEST(config_witness_rejects_log_key_as_vkey)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "", text[20000];

	touch_inputs();
	/* a log key (type 0x01) is not a cosigner key */
	snprintf(text, sizeof(text), "%s[witness w1]\nurl = http://127.0.0.1:7380\n"
	    "vkey = intake.example.org/log+d7b7e4a3+AXy6aWvBvVXMH5MGudDRDS0Y2DAgCb8h7iMtMfOrCuaO\n",
	    GOOD_CONF);
	ck_assert_int_eq(config_load(put("c.conf", text), &cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ":16: key 'vkey': not a cosigner verifier key"));
}
END_TEST

START_TEST(config_witness_rejects_bad_url_and_missing_keys)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "", text[20000];
	char *sk, *vk;

	touch_inputs();
	ck_assert_int_eq(intake_cosigner_keygen("w1.example", &sk, &vk), 0);
	snprintf(text, sizeof(text), "%s[witness w1]\nurl = https://127.0.0.1:7380\nvkey = %s\n",
	    GOOD_CONF, vk);
	ck_assert_int_eq(config_load(put("c.conf", text), &cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ":15: key 'url': not an http:// URL"));
	snprintf(text, sizeof(text), "%s[witness w1]\nvkey = %s\n", GOOD_CONF, vk);
	ck_assert_int_eq(config_load(put("c.conf", text), &cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ":14: section 'witness w1': key 'url': missing"));
	snprintf(text, sizeof(text), "%s[witness w1]\nurl = http://127.0.0.1:1\nvkey = %s\n"
	    "[witness w1]\n", GOOD_CONF, vk);
	ck_assert_int_eq(config_load(put("c.conf", text), &cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ":17: section 'witness w1': repeated"));
	snprintf(text, sizeof(text), "%s[witness w1]\nurl = http://127.0.0.1:1\nvkey = %s\n"
	    "color = blue\n", GOOD_CONF, vk);
	ck_assert_int_eq(config_load(put("c.conf", text), &cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, ":17: key 'color': unknown"));
	intake_freezero(sk, strlen(sk));
	free(vk);
}
END_TEST

START_TEST(config_witness_quorum_over_witnesses_refused)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "";
	const char *f;

	touch_inputs();
	f = put("c.conf", conf_with(10, "key = @/var/log.key\nwitness_quorum = 1"));
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 11,
	    "key 'witness_quorum': 1, but only 0 [witness] sections");
}
END_TEST

/* ---- [scan] (issue 19) --------------------------------------------------- */

START_TEST(config_scan_off_by_default_and_loads)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "";
	char text[4096];

	touch_inputs();
	ck_assert_int_eq(config_load(put("c.conf", GOOD_CONF), &cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.scan_clamd, "");
	ck_assert_uint_eq(cfg.scan_timeout, 60);
	snprintf(text, sizeof(text), "%s[scan]\nclamd = /run/clamav/clamd.ctl\ntimeout = 5\n",
	    GOOD_CONF);
	ck_assert_int_eq(config_load(put("c.conf", text), &cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.scan_clamd, "/run/clamav/clamd.ctl");
	ck_assert_uint_eq(cfg.scan_timeout, 5);
}
END_TEST

START_TEST(config_scan_refuses_no_socket_long_path_bad_timeout)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "";
	char text[4096], longp[200];
	const char *f;

	touch_inputs();
	/* [scan] that names no clamd would say it scans and scan nothing */
	snprintf(text, sizeof(text), "%s[scan]\ntimeout = 5\n", GOOD_CONF);
	f = put("c.conf", text);
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 14,
	    "key 'clamd': missing (required in [scan])");
	/* longer than a Unix socket's sun_path */
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	snprintf(text, sizeof(text), "%s[scan]\nclamd = %s\n", GOOD_CONF, longp);
	f = put("c.conf", text);
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 15,
	    "key 'clamd': path longer than 107 bytes");
	snprintf(text, sizeof(text), "%s[scan]\nclamd = /s\ntimeout = 0\n", GOOD_CONF);
	f = put("c.conf", text);
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 16, "key 'timeout': must be 1-");
	snprintf(text, sizeof(text), "%s[scan]\nclamd = /s\nicap = x\n", GOOD_CONF);
	f = put("c.conf", text);
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 16,
	    "key 'icap': unknown key in [scan]");
}
END_TEST

START_TEST(config_ledger_defaults_to_sqlite_and_loads_postgresql)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "";
	char text[4096];

	touch_inputs();
	ck_assert_int_eq(config_load(put("c.conf", GOOD_CONF), &cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.ledger_backend, "sqlite");
	ck_assert_ptr_null(config_ledger_dsn(&cfg));
	snprintf(text, sizeof(text), "%s[ledger]\nbackend = sqlite\n", GOOD_CONF);
	ck_assert_int_eq(config_load(put("c.conf", text), &cfg, err, sizeof(err)), 0);
	ck_assert_ptr_null(config_ledger_dsn(&cfg));
	snprintf(text, sizeof(text), "%s[ledger]\nbackend = postgresql\n"
	    "dsn = postgresql://db.example:5433/ledger?user=intake&password=pw&sslmode=require\n",
	    GOOD_CONF);
	ck_assert_int_eq(config_load(put("c.conf", text), &cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.ledger_backend, "postgresql");
	ck_assert_str_eq(config_ledger_dsn(&cfg),
	    "postgresql://db.example:5433/ledger?user=intake&password=pw&sslmode=require");
	snprintf(text, sizeof(text), "%s[ledger]\ndsn = host=/run/postgresql dbname=intake\n"
	    "backend = postgresql\n", GOOD_CONF);
	ck_assert_int_eq(config_load(put("c.conf", text), &cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(config_ledger_dsn(&cfg), "host=/run/postgresql dbname=intake");
}
END_TEST

START_TEST(config_ledger_refuses_missing_dsn_dsn_with_sqlite_unknown_backend)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "";
	char text[4096], longdsn[CONFIG_DSN_MAX + 16];
	const char *f;

	touch_inputs();
	snprintf(text, sizeof(text), "%s[ledger]\nbackend = postgresql\n", GOOD_CONF);
	f = put("c.conf", text);
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 15,
	    "key 'dsn': missing (required with backend = postgresql)");
	snprintf(text, sizeof(text), "%s[ledger]\ndsn = postgresql://x/y\n", GOOD_CONF);
	f = put("c.conf", text);
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 15,
	    "key 'dsn': only with backend = postgresql");
	snprintf(text, sizeof(text), "%s[ledger]\nbackend = sqlite\n\ndsn = postgresql://x/y\n",
	    GOOD_CONF);
	f = put("c.conf", text);
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 17,
	    "key 'dsn': only with backend = postgresql");
	snprintf(text, sizeof(text), "%s[ledger]\nbackend = mysql\n", GOOD_CONF);
	f = put("c.conf", text);
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 15,
	    "key 'backend': not sqlite or postgresql");
	snprintf(text, sizeof(text), "%s[ledger]\nbackend = PostgreSQL\n", GOOD_CONF);
	f = put("c.conf", text);
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 15,
	    "key 'backend': not sqlite or postgresql");
	/* not a DSN: refused without echoing it (it may hold a password) */
	snprintf(text, sizeof(text), "%s[ledger]\nbackend = postgresql\ndsn = intake:s3cret@db\n",
	    GOOD_CONF);
	f = put("c.conf", text);
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 16, "key 'dsn': not a");
	ck_assert_ptr_null(strstr(err, "s3cret"));
	snprintf(text, sizeof(text), "%s[ledger]\nbackend = postgresql\n"
	    "dsn = postgresql://db/x?password=s3cret\xc3\xa9\n", GOOD_CONF);
	f = put("c.conf", text);
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 16, "key 'dsn': not a");
	ck_assert_ptr_null(strstr(err, "s3cret"));
	memset(longdsn, 'a', sizeof(longdsn) - 1);
	memcpy(longdsn, "host=", 5);
	longdsn[sizeof(longdsn) - 1] = '\0';
	snprintf(text, sizeof(text), "%s[ledger]\nbackend = postgresql\ndsn = %s\n", GOOD_CONF,
	    longdsn);
	f = put("c.conf", text);
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 16, "key 'dsn': longer than");
	snprintf(text, sizeof(text), "%s[ledger]\nbackend = postgresql\nbackend = sqlite\n",
	    GOOD_CONF);
	f = put("c.conf", text);
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 16, "key 'backend': repeated");
	snprintf(text, sizeof(text), "%s[ledger]\nbackend = postgresql\ndsn = host=x\n[ledger]\n",
	    GOOD_CONF);
	f = put("c.conf", text);
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 17, "section 'ledger': repeated");
}
END_TEST

/* ---- the daemon configuration ------------------------------------------- */

START_TEST(config_defaults_applied)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "";
	const char *f;

	touch_inputs();
	f = put("c.conf", GOOD_CONF);
	ck_assert_msg(config_load(f, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(cfg.listen_host, "127.0.0.1");
	ck_assert_str_eq(cfg.listen_port, "8443");
	ck_assert_str_eq(cfg.admin_host, "");
	ck_assert_str_eq(cfg.tls_crl, "");
	ck_assert_str_eq(cfg.log_origin, "intake.example.org/log");
	ck_assert_uint_eq(cfg.handshake_timeout, 10);
	ck_assert_uint_eq(cfg.header_timeout, 10);
	ck_assert_uint_eq(cfg.body_timeout, 60);
	ck_assert_uint_eq(cfg.request_timeout, 0);
	ck_assert_uint_eq(cfg.max_connections, 1024);
	ck_assert_uint_eq(cfg.max_connections_party, 64);
	ck_assert_uint_eq(cfg.max_handshakes, 256);
	ck_assert_uint_eq(cfg.max_handshakes_address, 64);
	ck_assert_uint_eq(cfg.body_min_rate, 500);
	ck_assert_uint_eq(cfg.max_header_count, 64);
	ck_assert_uint_eq(cfg.max_header_size, 16384);
	ck_assert_uint_eq(cfg.workers, 2);
	ck_assert_str_eq(cfg.user, "intaked");
}
END_TEST

START_TEST(config_inline_comments_stripped)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "", want[512];
	const char *f;

	touch_inputs();
	f = put("c.conf",
	    "; the DESIGN sample, comments and all\n"
	    "# hash comments at the start of a line too\n"
	    "[server]\n"
	    "listen = 127.0.0.1:8443        ; intake listener, mutual TLS only\n"
	    "admin  = 127.0.0.1:8444        ; plain HTTP, loopback: /healthz, /metrics\n"
	    "data   = @/var                   ; data directory, created if missing\n"
	    "\n"
	    "[tls]   ; section comment\n"
	    "certificate = @/server.crt\n"
	    "key         = @/server.key\n"
	    "client_ca   = @/ca.crt\n"
	    "crl         = @/ca.crl ; optional; revoked certificates are refused\n"
	    "[log]\n"
	    "origin = intake.example.org/log ; log origin = signing key name\n"
	    "key    = @/var/log.key            ; created with `intake keygen`\n"
	    "[policy]\n"
	    "file    = @/p.policy  ; limits and submission kinds\n"
	    "parties = @/parties.conf   ; who may connect, as whom\n");
	ck_assert_msg(config_load(f, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(cfg.listen_host, "127.0.0.1");
	ck_assert_str_eq(cfg.listen_port, "8443");
	ck_assert_str_eq(cfg.admin_host, "127.0.0.1");
	ck_assert_str_eq(cfg.admin_port, "8444");
	ck_assert_str_eq(cfg.log_origin, "intake.example.org/log");
	snprintf(want, sizeof(want), "%s/ca.crl", tmp);
	ck_assert_str_eq(cfg.tls_crl, want);
	snprintf(want, sizeof(want), "%s/var", tmp);
	ck_assert_str_eq(cfg.data, want);
	snprintf(want, sizeof(want), "%s/parties.conf", tmp);
	ck_assert_str_eq(cfg.parties_file, want);
}
END_TEST

START_TEST(config_rejects_unknown_key)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "";
	const char *f;

	touch_inputs();
	f = put("c.conf", conf_with(3, "data = @/var\nbogus = 1"));
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 4, "key 'bogus': unknown");
	/* a key of another section is unknown here */
	f = put("c.conf", conf_with(3, "origin = x"));
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 3, "key 'origin': unknown");
}
END_TEST

START_TEST(config_rejects_unknown_section)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "";
	const char *f;

	touch_inputs();
	f = put("c.conf", conf_with(8, "[logging]"));
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 8,
	    "section 'logging': unknown");
	/* an empty unknown section is an error too */
	f = put("c.conf", GOOD_CONF "[extra]\n");
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 14, "section 'extra'");
	/* a name longer than inih's own section buffer is seen whole */
	f = put("c.conf", conf_with(1, "[server-and-a-very-long-name-well-beyond-fifty-bytes-of-inih]"));
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 1,
	    "section 'server-and-a-very-long-name-well-beyond-fifty-bytes-of-inih': unknown");
}
END_TEST

START_TEST(config_rejects_bad_listen)
{
	static const char *const bad[] = {
		"not-an-address", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536",
		"127.0.0.1:", ":8443", "::1:8443", "[::1]8443", "[::1]", "[zz::q]:80",
		"[]:80", "300.1.1.1:80", "1.2.3:80", "-bad.example:80", "bad-.example:80",
		"a..b:80", "host:80x", "host:+80", "host:-1", "host:123456", "ho_st:80",
		"[::1]:8443x", "127.0.0.1:8443 8444",
	};
	struct config cfg;
	char err[CONFIG_ERR_MAX], line[128];
	const char *f;
	size_t i;

	touch_inputs();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "listen = %s", bad[i]);
		f = put("c.conf", conf_with(2, line));
		err[0] = '\0';
		expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 2,
		    "key 'listen': not HOST:PORT");
	}
	f = put("c.conf", conf_with(3, "data = @/var\nadmin = localhost"));
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 4,
	    "key 'admin': not HOST:PORT");
}
END_TEST

START_TEST(config_admin_must_be_loopback)
{
	static const char *const bad[] = {
		"0.0.0.0:8444", "10.0.0.1:8444", "[::]:8444", "[2001:db8::1]:8444",
		"intake.example.org:8444", "[::ffff:10.0.0.1]:8444",
	};
	static const char *const good[] = {
		"127.0.0.1:8444", "127.1.2.3:8444", "[::1]:8444", "localhost:8444",
	};
	struct config cfg;
	char err[CONFIG_ERR_MAX], line[128];
	const char *f;
	size_t i;

	touch_inputs();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "data = @/var\nadmin = %s", bad[i]);
		f = put("c.conf", conf_with(3, line));
		err[0] = '\0';
		expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 4,
		    "key 'admin': not a loopback address");
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(line, sizeof(line), "data = @/var\nadmin = %s", good[i]);
		f = put("c.conf", conf_with(3, line));
		err[0] = '\0';
		ck_assert_msg(config_load(f, &cfg, err, sizeof(err)) == 0, "%s: %s", good[i], err);
		ck_assert_str_eq(cfg.admin_port, "8444");
	}
}
END_TEST

START_TEST(config_accepts_listen_forms)
{
	static const char *const good[][3] = {
		{ "[::1]:8443", "::1", "8443" },
		{ "[2001:db8::7]:1", "2001:db8::7", "1" },
		{ "localhost:65535", "localhost", "65535" },
		{ "intake.example.org:443", "intake.example.org", "443" },
		{ "0.0.0.0:8443", "0.0.0.0", "8443" },
	};
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "", line[128];
	const char *f;
	size_t i;

	touch_inputs();
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(line, sizeof(line), "listen = %s", good[i][0]);
		f = put("c.conf", conf_with(2, line));
		ck_assert_msg(config_load(f, &cfg, err, sizeof(err)) == 0, "%s: %s", good[i][0],
		    err);
		ck_assert_str_eq(cfg.listen_host, good[i][1]);
		ck_assert_str_eq(cfg.listen_port, good[i][2]);
	}
}
END_TEST

START_TEST(config_rejects_missing_required_key)
{
	/* line of GOOD_CONF, key, line the error names (its section header) */
	static const struct { unsigned line; const char *key; unsigned at; } req[] = {
		{ 2, "listen", 1 }, { 3, "data", 1 }, { 5, "certificate", 4 }, { 6, "key", 4 },
		{ 7, "client_ca", 4 }, { 9, "origin", 8 }, { 10, "key", 8 }, { 12, "file", 11 },
		{ 13, "parties", 11 },
	};
	struct config cfg;
	char err[CONFIG_ERR_MAX], what[128];
	const char *f;
	size_t i;

	touch_inputs();
	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		f = put("c.conf", conf_with(req[i].line, NULL));
		err[0] = '\0';
		snprintf(what, sizeof(what), "key '%s': missing", req[i].key);
		expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, req[i].at, what);
	}
	/* a whole section missing: the error names the last line */
	f = put("c.conf", "[server]\nlisten = 127.0.0.1:1\ndata = x\n");
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 3, "key 'certificate': missing");
	/* an empty file */
	f = put("c.conf", "");
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 1, "key 'listen': missing");
}
END_TEST

START_TEST(config_rejects_missing_file)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "";
	const char *f;

	touch_inputs();
	f = put("c.conf", conf_with(5, "certificate = @/no-such.crt"));
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 5,
	    "key 'certificate': cannot open");
	ck_assert_ptr_nonnull(strstr(err, "no-such.crt"));
	f = put("c.conf", conf_with(7, "client_ca = @"));   /* a directory */
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 7,
	    "key 'client_ca':");
	f = put("c.conf", conf_with(13, "parties = @/none.conf"));
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 13,
	    "key 'parties': cannot open");
	/* the configuration itself */
	ck_assert_int_eq(config_load("/nonexistent/intaked.conf", &cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/intaked.conf"));
}
END_TEST

START_TEST(config_rejects_bad_origin)
{
	static const char *const bad[] = { "a+b", "a b", "intake\xc2\xa0log" };
	struct config cfg;
	char err[CONFIG_ERR_MAX], line[128];
	const char *f;
	size_t i;

	touch_inputs();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "origin = %s", bad[i]);
		f = put("c.conf", conf_with(9, line));
		err[0] = '\0';
		expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 9, "key 'origin':");
	}
	f = put("c.conf", conf_with(9, "origin ="));
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 9, "key 'origin': empty");
}
END_TEST

START_TEST(config_user_is_a_system_user_name)
{
	static const char *const bad[] = { "Root", "1abc", "a b", "a$", "a/b", "-a",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "", line[128];
	const char *f;
	size_t i;

	touch_inputs();
	f = put("c.conf", conf_with(3, "data = @/var\nuser = _svc-intake1"));
	ck_assert_msg(config_load(f, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(cfg.user, "_svc-intake1");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "data = @/var\nuser = %s", bad[i]);
		f = put("c.conf", conf_with(3, line));
		err[0] = '\0';
		expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 4, "key 'user':");
	}
}
END_TEST

START_TEST(config_limits_section)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "";
	const char *f;

	touch_inputs();
	f = put("c.conf", GOOD_CONF
	    "[limits]\n"
	    "handshake_timeout = 5\n"
	    "header_timeout = 7\n"
	    "body_timeout = 30\n"
	    "request_timeout = 3600\n"
	    "max_connections = 100\n"
	    "max_connections_party = 10\n"
	    "max_handshakes = 50\n"
	    "max_handshakes_address = 5\n"
	    "body_min_rate = 0\n"
	    "max_header_count = 32\n"
	    "max_header_size = 8K   ; a size\n"
	    "workers = 4\n");
	ck_assert_msg(config_load(f, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(cfg.handshake_timeout, 5);
	ck_assert_uint_eq(cfg.header_timeout, 7);
	ck_assert_uint_eq(cfg.body_timeout, 30);
	ck_assert_uint_eq(cfg.request_timeout, 3600);
	ck_assert_uint_eq(cfg.max_connections, 100);
	ck_assert_uint_eq(cfg.max_connections_party, 10);
	ck_assert_uint_eq(cfg.max_handshakes, 50);
	ck_assert_uint_eq(cfg.max_handshakes_address, 5);
	ck_assert_uint_eq(cfg.body_min_rate, 0);
	ck_assert_uint_eq(cfg.max_header_count, 32);
	ck_assert_uint_eq(cfg.max_header_size, 8192);
	ck_assert_uint_eq(cfg.workers, 4);

	f = put("c.conf", GOOD_CONF "[limits]\nworkers = 0\n");
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 15, "key 'workers':");
	f = put("c.conf", GOOD_CONF "[limits]\nbody_timeout = 1m\n");
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 15, "key 'body_timeout':");
	f = put("c.conf", GOOD_CONF "[limits]\nmax_connections = 99999999999999999999\n");
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 15, "key 'max_connections':");
	f = put("c.conf", GOOD_CONF "[limits]\nmax_header_size = 4G\n");
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 15, "key 'max_header_size':");
	f = put("c.conf", GOOD_CONF "[limits]\nmax_connections = 10\nmax_connections_party = 11\n");
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 16,
	    "key 'max_connections_party':");
	f = put("c.conf", GOOD_CONF "[limits]\nmax_handshakes = 0\n");
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 15, "key 'max_handshakes':");
	f = put("c.conf", GOOD_CONF "[limits]\nmax_handshakes = 10\nmax_handshakes_address = 11\n");
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 16,
	    "key 'max_handshakes_address':");
	f = put("c.conf", GOOD_CONF "[limits]\nbody_min_rate = 2G\n");
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 15, "key 'body_min_rate':");
	f = put("c.conf", GOOD_CONF "[limits]\nmax_uploads = 1\n");
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 15, "key 'max_uploads': unknown");
}
END_TEST

START_TEST(config_rejects_repeats)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "";
	const char *f;

	touch_inputs();
	f = put("c.conf", conf_with(3, "data = @/var\nlisten = 127.0.0.1:9"));
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 4,
	    "key 'listen': repeated (first at line 2)");
	f = put("c.conf", GOOD_CONF "[server]\n");
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 14,
	    "section 'server': repeated (first at line 1)");
	f = put("c.conf", conf_with(3, "data = @/var\nadmin = 127.0.0.1:8443"));
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 4, "key 'admin': same address");
}
END_TEST

START_TEST(config_rejects_bad_syntax)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "";
	char big[9000];
	const char *f;

	touch_inputs();
	f = put("c.conf", "listen = 127.0.0.1:1\n" GOOD_CONF);
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 1,
	    "key 'listen': outside any [section]");
	f = put("c.conf", conf_with(4, "[tls"));
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 4, "syntax error");
	f = put("c.conf", conf_with(3, "data = @/var\njust some words"));
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 4, "syntax error");
	/* no multi-line values: an indented line after a key is an error */
	f = put("c.conf", conf_with(3, "data = @/var\n   continued"));
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 4, "syntax error");
	f = put("c.conf", conf_with(4, "[tls] trailing"));
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 4, "section 'tls': text after");
	/* hostile bytes */
	f = put("c.conf", conf_with(9, "origin = a\x01" "b"));
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 9, "control character");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "data = ", 7);
	f = put("c.conf", conf_with(3, big));
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 3, "line longer than");
}
END_TEST

/* [store] path: default <data>/store (not shared); given, shared. */
START_TEST(config_store_section)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "", want[512], line[5000];
	const char *f;
	size_t n;

	touch_inputs();
	f = put("c.conf", GOOD_CONF);
	ck_assert_msg(config_load(f, &cfg, err, sizeof(err)) == 0, "%s", err);
	snprintf(want, sizeof(want), "%s/var/store", tmp);
	ck_assert_str_eq(cfg.store, want);
	ck_assert_int_eq(cfg.store_shared, 0);

	f = put("c.conf", GOOD_CONF "[store]\npath = /srv/intake/store ; on NFS\n");
	ck_assert_msg(config_load(f, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(cfg.store, "/srv/intake/store");
	ck_assert_int_eq(cfg.store_shared, 1);
	f = put("c.conf", GOOD_CONF "[store]\npath = /srv/intake/store//\n");
	ck_assert_msg(config_load(f, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(cfg.store, "/srv/intake/store");
	/* <data>/store written out is the same directory, taken as shared */
	f = put("c.conf", GOOD_CONF "[store]\npath = @/var/store\n");
	ck_assert_msg(config_load(f, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(cfg.store, want);
	ck_assert_int_eq(cfg.store_shared, 1);
	/* [store] without a path: the default */
	f = put("c.conf", GOOD_CONF "[store]\n");
	ck_assert_msg(config_load(f, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(cfg.store, want);
	ck_assert_int_eq(cfg.store_shared, 0);

	/* what recovery or expiry would empty, or the data directory itself */
	f = put("c.conf", GOOD_CONF "[store]\npath = @/var\n");
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 15,
	    "key 'path': the data directory itself");
	f = put("c.conf", GOOD_CONF "[store]\npath = @/var/\n");
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 15,
	    "key 'path': the data directory itself");
	f = put("c.conf", GOOD_CONF "[store]\npath = @/var/quarantine\n");
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 15,
	    "key 'path': within the data directory's quarantine");
	f = put("c.conf", GOOD_CONF "[store]\npath = @/var/uploads/blobs\n");
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 15,
	    "key 'path': within the data directory's quarantine");
	/* a sibling whose name merely begins the same is fine */
	f = put("c.conf", GOOD_CONF "[store]\npath = @/var/quarantine-store\n");
	ck_assert_msg(config_load(f, &cfg, err, sizeof(err)) == 0, "%s", err);
	/* empty, unknown keys, repeats */
	f = put("c.conf", GOOD_CONF "[store]\npath =\n");
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 15, "key 'path': empty");
	f = put("c.conf", GOOD_CONF "[store]\npath = /a\nshared = yes\n");
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 16,
	    "key 'shared': unknown key in [store]");
	f = put("c.conf", GOOD_CONF "[store]\npath = /a\npath = /b\n");
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 16,
	    "key 'path': repeated (first at line 15)");
	f = put("c.conf", GOOD_CONF "[store]\n[store]\n");
	expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 15,
	    "section 'store': repeated (first at line 14)");
	/* a path longer than a path may be */
	memcpy(line, "path = /", 8);
	memset(line + 8, 'a', 4100);
	line[4108] = '\0';
	n = strlen(GOOD_CONF "[store]\n");
	snprintf(want, sizeof(want), "%s", GOOD_CONF "[store]\n");
	ck_assert_uint_lt(n, sizeof(want));
	{
		static char text[20000];

		snprintf(text, sizeof(text), "%s%s\n", want, line);
		f = put("c.conf", text);
		expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 15,
		    "key 'path': path longer than");
		/* a data directory that leaves no room for <data>/store */
		memcpy(line, "data = /", 8);
		memset(line + 8, 'b', 4092);      /* 4093 bytes: fits, "/store" does not */
		line[4100] = '\0';
		f = put("c.conf", conf_with(3, line));
		expect_err(config_load(f, &cfg, err, sizeof(err)), err, f, 3,
		    "key 'data': too long to hold the store");
		/* which a [store] path of its own makes fine */
		snprintf(text, sizeof(text), "%s[store]\npath = /srv/store\n", conf_with(3, line));
		f = put("c.conf", text);
		ck_assert_msg(config_load(f, &cfg, err, sizeof(err)) == 0, "%s", err);
	}
}
END_TEST

START_TEST(config_rejects_nul_byte)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "", path[512];
	static const char text[] = "[server]\nlisten = 127.0.0.1:1\0:2\n";
	FILE *fp;

	snprintf(path, sizeof(path), "%s/nul.conf", tmp);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fwrite(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	expect_err(config_load(path, &cfg, err, sizeof(err)), err, path, 2, "NUL byte");
}
END_TEST

/* ---- sizes ---------------------------------------------------------------- */

START_TEST(size_parses_suffixes)
{
	static const struct { const char *s; uint64_t v; } good[] = {
		{ "0", 0 }, { "4096", 4096 }, { "64K", 65536 }, { "64k", 65536 },
		{ "10M", 10485760 }, { "4G", 4294967296ull }, { "1T", 1099511627776ull },
		{ "16777215T", 16777215ull << 40 }, { "18446744073709551615", UINT64_MAX },
		{ "007", 7 },
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 1;
		ck_assert_msg(config_parse_size(good[i].s, &v) == 0, "%s", good[i].s);
		ck_assert_msg(v == good[i].v, "%s -> %llu", good[i].s, (unsigned long long)v);
	}
}
END_TEST

START_TEST(size_rejects_overflow_negative_junk)
{
	static const char *const bad[] = {
		"16777216T", "18446744073709551616", "99999999999999999999999", "-1", "1.5G",
		"", "G", "4GB", " 4G", "4G ", "+4", "4 G", "0x10", "4P", "1e9", "4KK",
		"17179869184G",
	};
	uint64_t v = 42;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(config_parse_size(bad[i], &v) == -1, "accepted '%s'", bad[i]);
	ck_assert_int_eq(config_parse_size(NULL, &v), -1);
	ck_assert(v == 42);
}
END_TEST

/* ---- the policy ----------------------------------------------------------- */

START_TEST(policy_defaults_when_no_limits)
{
	struct policy *p = NULL;
	char err[CONFIG_ERR_MAX] = "";
	const char *f;

	f = put("p.policy", "[kind evidence]\ntypes = application/pdf\n");
	ck_assert_msg(policy_load(f, &p, err, sizeof(err)) == 0, "%s", err);
	ck_assert(p->max_upload == 4ull << 30);
	ck_assert(p->archive_members == 10000);
	ck_assert(p->archive_ratio == 100);
	ck_assert(p->archive_ratio_min == 1ull << 20);
	ck_assert(p->max_archive_ratio == 100);
	ck_assert_uint_eq(p->archive_depth, 3);
	ck_assert(p->archive_expanded == 16ull << 30);
	ck_assert_uint_eq(p->path_max, 1024);
	ck_assert_uint_eq(p->inspect_seconds, 120);
	ck_assert_uint_eq(p->xml_depth, 256);
	ck_assert(p->xml_part_max == 64ull << 20);
	ck_assert_uint_eq(p->workbook_rows, 10000);
	ck_assert_uint_eq(p->nkinds, 1);
	policy_free(p);
}
END_TEST

START_TEST(policy_limits_and_kinds_parsed)
{
	struct policy *p = NULL;
	const struct kind *k;
	char err[CONFIG_ERR_MAX] = "";
	const char *f;

	f = put("p.policy",
	    "[limits]\n"
	    "max_upload = 1G     ; comment\n"
	    "archive_members = 50\n"
	    "archive_ratio = 20\n"
	    "archive_ratio_min = 64K\n"
	    "max_archive_ratio = 50\n"
	    "archive_depth = 2\n"
	    "archive_expanded = 2G\n"
	    "path_max = 255\n"
	    "inspect_seconds = 30\n"
	    "xml_depth = 64\n"
	    "xml_part_max = 8M\n"
	    "workbook_rows = 500\n"
	    "[kind director-letter]\n"
	    "types = application/pdf\n"
	    "max_upload = 10M\n"
	    "[kind evidence-bundle]\n"
	    "types =   Application/ZIP\tapplication/x-tar   application/gzip\n");
	ck_assert_msg(policy_load(f, &p, err, sizeof(err)) == 0, "%s", err);
	ck_assert(p->max_upload == 1ull << 30);
	ck_assert(p->archive_members == 50);
	ck_assert(p->archive_ratio == 20);
	ck_assert(p->archive_ratio_min == 65536);
	ck_assert(p->max_archive_ratio == 50);
	ck_assert_uint_eq(p->archive_depth, 2);
	ck_assert(p->archive_expanded == 2ull << 30);
	ck_assert_uint_eq(p->path_max, 255);
	ck_assert_uint_eq(p->inspect_seconds, 30);
	ck_assert_uint_eq(p->xml_depth, 64);
	ck_assert(p->xml_part_max == 8ull << 20);
	ck_assert_uint_eq(p->workbook_rows, 500);
	ck_assert_uint_eq(p->nkinds, 2);

	k = policy_kind(p, "director-letter");
	ck_assert_ptr_nonnull(k);
	ck_assert(policy_max_upload(p, k) == 10ull << 20);
	ck_assert(kind_allows(k, "application/pdf"));
	ck_assert(!kind_allows(k, "application/zip"));
	ck_assert(!kind_allows(k, "application/pdfx"));
	ck_assert(!kind_allows(k, ""));

	k = policy_kind(p, "evidence-bundle");
	ck_assert_ptr_nonnull(k);
	ck_assert_uint_eq(k->ntypes, 3);
	ck_assert_str_eq(k->types[0], "application/zip");   /* folded */
	ck_assert(kind_allows(k, "application/zip"));
	ck_assert(kind_allows(k, "application/x-tar"));
	ck_assert(policy_max_upload(p, k) == 1ull << 30);   /* the [limits] one */

	ck_assert_ptr_null(policy_kind(p, "evidence"));
	ck_assert_ptr_null(policy_kind(p, "EVIDENCE-BUNDLE"));
	ck_assert_ptr_null(policy_kind(p, ""));
	policy_free(p);
}
END_TEST

START_TEST(policy_rejects_bad_size)
{
	static const char *const bad[] = { "16777216T", "-1", "1.5G", "4X", "0" };
	struct policy *p = NULL;
	char err[CONFIG_ERR_MAX], text[256];
	const char *f;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[limits]\nmax_upload = %s\n"
		    "[kind a]\ntypes = text/plain\n", bad[i]);
		f = put("p.policy", text);
		err[0] = '\0';
		expect_err(policy_load(f, &p, err, sizeof(err)), err, f, 2, "key 'max_upload':");
		ck_assert_ptr_null(p);
	}
	f = put("p.policy", "[kind a]\ntypes = text/plain\nmax_upload = 1.5G\n");
	expect_err(policy_load(f, &p, err, sizeof(err)), err, f, 3, "key 'max_upload':");
	f = put("p.policy", "[limits]\narchive_depth = 1000\n[kind a]\ntypes = text/plain\n");
	expect_err(policy_load(f, &p, err, sizeof(err)), err, f, 2, "key 'archive_depth':");
	f = put("p.policy", "[limits]\narchive_members = 10K\n[kind a]\ntypes = text/plain\n");
	expect_err(policy_load(f, &p, err, sizeof(err)), err, f, 2, "key 'archive_members':");
	/* a whole-archive ratio is a count, at least 1 */
	f = put("p.policy", "[limits]\nmax_archive_ratio = 0\n[kind a]\ntypes = text/plain\n");
	expect_err(policy_load(f, &p, err, sizeof(err)), err, f, 2, "key 'max_archive_ratio':");
	f = put("p.policy", "[limits]\nmax_archive_ratio = 1M\n[kind a]\ntypes = text/plain\n");
	expect_err(policy_load(f, &p, err, sizeof(err)), err, f, 2, "key 'max_archive_ratio':");
	/* a kind may not exceed the [limits] max_upload */
	f = put("p.policy", "[limits]\nmax_upload = 1M\n[kind a]\ntypes = text/plain\n"
	    "max_upload = 2M\n");
	expect_err(policy_load(f, &p, err, sizeof(err)), err, f, 5, "key 'max_upload': above");
}
END_TEST

START_TEST(policy_rejects_kind_without_types)
{
	struct policy *p = NULL;
	char err[CONFIG_ERR_MAX] = "";
	const char *f;

	f = put("p.policy", "[kind a]\ntypes = text/plain\n\n[kind b]\nmax_upload = 1M\n"
	    "[kind c]\ntypes = text/csv\n");
	expect_err(policy_load(f, &p, err, sizeof(err)), err, f, 4, "key 'types': missing");
	ck_assert_ptr_nonnull(strstr(err, "kind b"));
	f = put("p.policy", "[kind a]\n");
	expect_err(policy_load(f, &p, err, sizeof(err)), err, f, 1, "key 'types': missing");
	f = put("p.policy", "[kind a]\ntypes = ;nothing\n");
	expect_err(policy_load(f, &p, err, sizeof(err)), err, f, 2, "key 'types':");
}
END_TEST

START_TEST(policy_rejects_no_kinds)
{
	struct policy *p = NULL;
	char err[CONFIG_ERR_MAX] = "";
	const char *f;

	f = put("p.policy", "[limits]\nmax_upload = 1G\n");
	expect_err(policy_load(f, &p, err, sizeof(err)), err, f, 2, "section 'kind':");
	f = put("p.policy", "; nothing\n");
	expect_err(policy_load(f, &p, err, sizeof(err)), err, f, 1, "section 'kind':");
}
END_TEST

START_TEST(policy_rejects_bad_kind_and_types)
{
	static const struct { const char *text; unsigned line; const char *what; } bad[] = {
		{ "[kind Evidence]\ntypes = a/b\n", 1, "section 'kind Evidence':" },
		{ "[kind ev_idence]\ntypes = a/b\n", 1, "section 'kind ev_idence':" },
		{ "[kind ../x]\ntypes = a/b\n", 1, "section 'kind ../x':" },
		{ "[kind]\ntypes = a/b\n", 1, "section 'kind': unknown" },
		{ "[kinds x]\ntypes = a/b\n", 1, "section 'kinds x': unknown" },
		{ "[kind a]\ntypes = a/b\n[kind a]\ntypes = c/d\n", 3, "section 'kind a': repeated" },
		{ "[kind a]\ntypes = pdf\n", 2, "key 'types': 'pdf'" },
		{ "[kind a]\ntypes = application/\n", 2, "key 'types':" },
		{ "[kind a]\ntypes = /pdf\n", 2, "key 'types':" },
		{ "[kind a]\ntypes = a/b/c\n", 2, "key 'types':" },
		{ "[kind a]\ntypes = a/b,c/d\n", 2, "key 'types':" },
		{ "[kind a]\ntypes = a/b A/B\n", 2, "key 'types': 'a/b' listed twice" },
		{ "[kind a]\ntypes = a/b\ntypes = c/d\n", 3, "key 'types': repeated" },
		{ "[kind a]\ntypes = a/b\nmagic = 1\n", 3, "key 'magic': unknown" },
		{ "[limits]\nkinds = 1\n[kind a]\ntypes = a/b\n", 2, "key 'kinds': unknown" },
		{ "[kind a]\ntypes = a/b\ndescription = x\ndescription = y\n", 4,
		  "key 'description': repeated" },
		{ "[kind a]\ntypes = a/b\ndescription = \xe2\x80\xae evil\n", 3,
		  "key 'description':" },
		{ "[kind a]\ntypes = a/b\ndescription = \xff\n", 3, "key 'description':" },
		{ "[limits]\ndescription = x\n[kind a]\ntypes = a/b\n", 2,
		  "key 'description': unknown" },
	};
	struct policy *p = NULL;
	char err[CONFIG_ERR_MAX];
	const char *f;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = put("p.policy", bad[i].text);
		err[0] = '\0';
		expect_err(policy_load(f, &p, err, sizeof(err)), err, f, bad[i].line, bad[i].what);
	}
}
END_TEST

START_TEST(policy_rejects_too_many_types)
{
	struct policy *p = NULL;
	char err[CONFIG_ERR_MAX] = "", text[20000];
	size_t len, i;
	const char *f;

	len = (size_t)snprintf(text, sizeof(text), "[kind a]\ntypes =");
	for (i = 0; i < KIND_TYPES_MAX; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, " t/s%zu", i);
	snprintf(text + len, sizeof(text) - len, "\n");
	f = put("p.policy", text);
	ck_assert_msg(policy_load(f, &p, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(p->kinds[0].ntypes, KIND_TYPES_MAX);
	policy_free(p);
	p = NULL;
	snprintf(text + len, sizeof(text) - len, " t/extra\n");
	f = put("p.policy", text);
	expect_err(policy_load(f, &p, err, sizeof(err)), err, f, 2, "key 'types': more than");
}
END_TEST

/* ---- the parties ----------------------------------------------------------- */

#define GOOD_PARTIES \
	"[party ALPHA]\n" \
	"name  = Alpha Energy Ltd\n" \
	"match = urn:sec:party:ALPHA     ; SAN URI\n" \
	"role  = party\n" \
	"[party SECAS]\n" \
	"name = SECAS\n" \
	"match = urn:sec:party:SECAS\n" \
	"role = secas\n" \
	"[party AUDIT]\n" \
	"name = Audit LLP\n" \
	"match = sha256:ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789\n" \
	"role = auditor\n"

START_TEST(parties_load_roles_and_find)
{
	struct parties *ps = NULL;
	const struct party *pt;
	char err[CONFIG_ERR_MAX] = "";
	const char *f;

	f = put("parties.conf", GOOD_PARTIES);
	ck_assert_msg(parties_load(f, &ps, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(ps->n, 3);
	pt = parties_find(ps, "ALPHA");
	ck_assert_ptr_nonnull(pt);
	ck_assert_str_eq(pt->name, "Alpha Energy Ltd");
	ck_assert_str_eq(pt->match, "urn:sec:party:ALPHA");
	ck_assert_int_eq(pt->role, ROLE_PARTY);
	ck_assert_int_eq(parties_find(ps, "SECAS")->role, ROLE_SECAS);
	pt = parties_find(ps, "AUDIT");
	ck_assert_int_eq(pt->role, ROLE_AUDITOR);
	ck_assert_str_eq(pt->match,
	    "sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
	ck_assert_ptr_null(parties_find(ps, "alpha"));
	ck_assert_ptr_null(parties_find(ps, "GAMMA"));
	parties_free(ps);
}
END_TEST

START_TEST(parties_rejects_bad_entries)
{
	static const struct { const char *text; unsigned line; const char *what; } bad[] = {
		{ GOOD_PARTIES "[party BETA]\nname = B\nmatch = urn:b\nrole = admin\n", 16,
		  "key 'role': 'admin'" },
		{ GOOD_PARTIES "[party BETA]\nname = B\nmatch = urn:b\nrole = Party\n", 16,
		  "key 'role':" },
		{ GOOD_PARTIES "[party ALPHA]\nname = A2\nmatch = urn:a2\nrole = party\n", 13,
		  "section 'party ALPHA': duplicate party (first at line 1)" },
		{ GOOD_PARTIES "[party BETA]\nname = B\nmatch = urn:sec:party:SECAS\nrole = party\n",
		  15, "key 'match': 'urn:sec:party:SECAS' already matches party SECAS" },
		{ GOOD_PARTIES "[party BETA]\nname = B\nmatch = "
		  "sha256:abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789\n"
		  "role = party\n", 15, "key 'match':" },
		{ GOOD_PARTIES "[party BETA]\nname = B\nrole = party\n", 13,
		  "key 'match': missing" },
		{ GOOD_PARTIES "[party BETA]\n", 13, "key 'name': missing" },
		{ GOOD_PARTIES "[party BETA]\nname = B\nmatch = urn:b\n", 13, "key 'role': missing" },
		{ GOOD_PARTIES "[party BETA]\nname = B\nmatch = urn:b\nrole = party\nemail = x\n",
		  17, "key 'email': unknown" },
		{ GOOD_PARTIES "[party BETA]\nname = B\nname = C\n", 15, "key 'name': repeated" },
		{ "[party A B]\nname = x\n", 1, "section 'party A B':" },
		{ "[party A/B]\nname = x\n", 1, "section 'party A/B':" },
		{ "[party ]\nname = x\n", 1, "section 'party': unknown" },
		{ "[parties]\n", 1, "section 'parties': unknown" },
		{ "[party X]\nname = x\nmatch = sha256:abc\nrole = party\n", 3, "key 'match':" },
		{ "[party X]\nname = x\nmatch = SHA256:zz23456789abcdef0123456789abcdef0123456789"
		  "abcdef0123456789abcdef\nrole = party\n", 3, "key 'match':" },
	};
	struct parties *ps = NULL;
	char err[CONFIG_ERR_MAX];
	const char *f;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = put("parties.conf", bad[i].text);
		err[0] = '\0';
		expect_err(parties_load(f, &ps, err, sizeof(err)), err, f, bad[i].line, bad[i].what);
		ck_assert_ptr_null(ps);
	}
}
END_TEST

#define SRP_PARTIES \
	GOOD_PARTIES \
	"shared_resource = no\n" \
	"[party BETA]\nname = Beta\nmatch = urn:b\nrole = party\nshared_resource = yes\n" \
	"[party SRP1]\nname = SRP\nmatch = urn:srp1\nrole = provider\n" \
	"acts_for =  BETA   GAMMA ; the Parties it serves\n" \
	"[party GAMMA]\nname = G\nmatch = urn:g\nrole = party\n"

START_TEST(parties_load_providers_and_shared_resource)
{
	struct parties *ps = NULL;
	const struct party *srp;
	char err[CONFIG_ERR_MAX] = "";
	const char *f;

	f = put("parties.conf", SRP_PARTIES);
	ck_assert_msg(parties_load(f, &ps, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(parties_find(ps, "ALPHA")->shared_resource, 0);
	ck_assert_int_eq(parties_find(ps, "BETA")->shared_resource, 1);
	ck_assert_int_eq(parties_find(ps, "GAMMA")->shared_resource, 0);
	srp = parties_find(ps, "SRP1");
	ck_assert_int_eq(srp->role, ROLE_PROVIDER);
	ck_assert_str_eq(srp->acts_for, "BETA GAMMA");
	ck_assert(party_acts_for(srp, "BETA"));
	ck_assert(party_acts_for(srp, "GAMMA"));
	ck_assert(!party_acts_for(srp, "ALPHA"));
	ck_assert(!party_acts_for(srp, "BET"));
	ck_assert(!party_acts_for(srp, "BETA GAMMA"));
	ck_assert(!party_acts_for(srp, ""));
	ck_assert(!party_acts_for(srp, NULL));
	ck_assert(!party_acts_for(parties_find(ps, "ALPHA"), "BETA"));
	parties_free(ps);
}
END_TEST

START_TEST(parties_refuses_bad_acts_for)
{
	static const struct { const char *text; unsigned line; const char *what; } bad[] = {
		{ GOOD_PARTIES "[party P]\nname = P\nmatch = urn:p\nrole = provider\n"
		  "acts_for = GAMMA\n", 17, "key 'acts_for': no party GAMMA" },
		{ GOOD_PARTIES "[party P]\nname = P\nmatch = urn:p\nrole = provider\n", 13,
		  "key 'acts_for': missing" },
		{ GOOD_PARTIES "[party P]\nname = P\nmatch = urn:p\nrole = party\n"
		  "acts_for = ALPHA\n", 17, "key 'acts_for': only for role provider" },
		{ GOOD_PARTIES "[party P]\nname = P\nmatch = urn:p\nrole = provider\n"
		  "acts_for = SECAS\n", 17, "key 'acts_for': SECAS is not a Party" },
		{ GOOD_PARTIES "[party P]\nname = P\nmatch = urn:p\nrole = provider\n"
		  "acts_for = ALPHA ALPHA\n", 17, "key 'acts_for': 'ALPHA' repeated" },
		{ GOOD_PARTIES "[party P]\nname = P\nmatch = urn:p\nrole = provider\n"
		  "acts_for = ALPHA,BETA\n", 17, "key 'acts_for': 'ALPHA,BETA' is not" },
		{ GOOD_PARTIES "[party P]\nname = P\nmatch = urn:p\nrole = provider\n"
		  "acts_for =\n", 17, "key 'acts_for'" },
		{ GOOD_PARTIES "shared_resource = maybe\n", 13,
		  "key 'shared_resource': 'maybe' is not yes or no" },
		{ GOOD_PARTIES "shared_resource = yes\nshared_resource = no\n", 14,
		  "key 'shared_resource': repeated" },
	};
	struct parties *ps = NULL;
	char err[CONFIG_ERR_MAX];
	const char *f;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = put("parties.conf", bad[i].text);
		err[0] = '\0';
		expect_err(parties_load(f, &ps, err, sizeof(err)), err, f, bad[i].line, bad[i].what);
		ck_assert_ptr_null(ps);
	}
}
END_TEST

/* ---- certificates -> Parties ------------------------------------------------- */

static X509 *
load_pem(const char *name)
{
	char path[512];
	X509 *x;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", pki, name);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s", path);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(x);
	return x;
}

/* The SHA-256 hex of X's DER, computed another way than config.c does. */
static void
digest_hex(X509 *x, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0, i;

	ck_assert_int_eq(X509_digest(x, EVP_sha256(), md, &n), 1);
	ck_assert_uint_eq(n, 32);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static struct parties *
load_parties(const char *text)
{
	struct parties *ps = NULL;
	char err[CONFIG_ERR_MAX] = "";
	const char *f = put("match.conf", text);

	ck_assert_msg(parties_load(f, &ps, err, sizeof(err)) == 0, "%s", err);
	return ps;
}

START_TEST(match_san_uri)
{
	struct parties *ps;
	const struct party *pt;
	char hex[65], want[65];
	X509 *a, *g;

	ck_assert_msg(pki_ok, "certs/mkdev.sh failed");
	ps = load_parties(
	    "[party ALPHA]\nname = A\nmatch = urn:sec:party:ALPHA\nrole = party\n"
	    "[party BETA]\nname = B\nmatch = urn:sec:party:BETA\nrole = party\n"
	    /* BETA's CN: must not win over ALPHA's SAN */
	    "[party CNBETA]\nname = C\nmatch = ALPHA\nrole = auditor\n");
	a = load_pem("alpha.crt");
	pt = parties_match(ps, a, hex);
	ck_assert_ptr_nonnull(pt);
	ck_assert_str_eq(pt->id, "ALPHA");
	digest_hex(a, want);
	ck_assert_str_eq(hex, want);

	pt = parties_match(ps, a, NULL);          /* NULL hash buffer is fine */
	ck_assert_str_eq(pt->id, "ALPHA");

	g = load_pem("gamma.crt");                /* unknown party: no match at all */
	ck_assert_ptr_null(parties_match(ps, g, hex));
	digest_hex(g, want);
	ck_assert_str_eq(hex, want);
	ck_assert_ptr_null(parties_match(ps, NULL, hex));
	ck_assert_str_eq(hex, "");
	X509_free(a);
	X509_free(g);
	parties_free(ps);
}
END_TEST

START_TEST(match_cn_fallback)
{
	struct parties *ps;
	const struct party *pt;
	X509 *b;

	ck_assert_msg(pki_ok, "certs/mkdev.sh failed");
	/* beta.crt's SAN urn:sec:party:BETA matches nobody: its CN does */
	ps = load_parties("[party B]\nname = B\nmatch = BETA\nrole = party\n"
	    "[party A]\nname = A\nmatch = urn:sec:party:ALPHA\nrole = party\n");
	b = load_pem("beta.crt");
	pt = parties_match(ps, b, NULL);
	ck_assert_ptr_nonnull(pt);
	ck_assert_str_eq(pt->id, "B");
	X509_free(b);
	parties_free(ps);
}
END_TEST

START_TEST(match_sha256_fallback)
{
	struct parties *ps;
	const struct party *pt;
	char hex[65], text[512];
	X509 *s, *a;

	ck_assert_msg(pki_ok, "certs/mkdev.sh failed");
	s = load_pem("secas.crt");
	a = load_pem("audit.crt");
	digest_hex(s, hex);
	snprintf(text, sizeof(text), "[party PINNED]\nname = P\nmatch = sha256:%s\n"
	    "role = secas\n", hex);
	ps = load_parties(text);
	pt = parties_match(ps, s, NULL);
	ck_assert_ptr_nonnull(pt);
	ck_assert_str_eq(pt->id, "PINNED");
	/* another certificate of the same CA: not pinned, no match */
	ck_assert_ptr_null(parties_match(ps, a, NULL));
	X509_free(s);
	X509_free(a);
	parties_free(ps);
}
END_TEST

/* A self-signed certificate with the given CNs (LEN bytes each, NUL allowed)
 * and SAN URIs (likewise); NULL lists for none. */
static X509 *
mkcert(const char *const *cns, const int *cnlens, int ncn, const char *const *uris,
    const int *urilens, int nuri)
{
	static EVP_PKEY *key;
	GENERAL_NAMES *gens = NULL;
	X509_NAME *name;
	X509 *x;
	int i;

	if (key == NULL)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ck_assert_ptr_nonnull(key);
	x = X509_new();
	ck_assert_ptr_nonnull(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Test", -1,
	    -1, 0);
	for (i = 0; i < ncn; i++)
		ck_assert_int_eq(X509_NAME_add_entry_by_NID(name, NID_commonName,
		    V_ASN1_UTF8STRING, (const unsigned char *)cns[i], cnlens[i], -1, 0), 1);
	X509_set_issuer_name(x, name);
	if (nuri > 0) {
		gens = sk_GENERAL_NAME_new_null();
		for (i = 0; i < nuri; i++) {
			GENERAL_NAME *gn = GENERAL_NAME_new();
			ASN1_IA5STRING *s = ASN1_IA5STRING_new();

			ASN1_STRING_set(s, uris[i], urilens[i]);
			GENERAL_NAME_set0_value(gn, GEN_URI, s);
			sk_GENERAL_NAME_push(gens, gn);
		}
		ck_assert_int_eq(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0,
		    X509V3_ADD_DEFAULT), 1);
		GENERAL_NAMES_free(gens);
	}
	ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
	return x;
}

#define MATCH_PARTIES \
	"[party ALPHA]\nname = A\nmatch = urn:sec:party:ALPHA\nrole = party\n" \
	"[party BETA]\nname = B\nmatch = urn:sec:party:BETA\nrole = party\n" \
	"[party CN]\nname = C\nmatch = Alpha Energy\nrole = party\n"

START_TEST(match_generated_certificates)
{
	static const char *const cn[] = { "Alpha Energy" };
	static const int cnl[] = { 12 };
	static const char *const cnnul[] = { "Alpha Energy\0.evil" };
	static const int cnnull[] = { 18 };
	static const char *const twocn[] = { "Alpha Energy", "Other" };
	static const int twocnl[] = { 12, 5 };
	static const char *const u1[] = { "https://example.org/x", "urn:sec:party:BETA" };
	static const int u1l[] = { 21, 18 };
	static const char *const u2[] = { "urn:sec:party:ALPHA", "urn:sec:party:BETA" };
	static const int u2l[] = { 19, 18 };
	static const char *const unul[] = { "urn:sec:party:ALPHA\0x" };
	static const int unull[] = { 21 };
	static const char *const upre[] = { "urn:sec:party:ALPH", "urn:sec:party:ALPHAX" };
	static const int uprel[] = { 18, 20 };
	struct parties *ps = load_parties(MATCH_PARTIES);
	const struct party *pt;
	X509 *x;

	/* no SAN: the CN */
	x = mkcert(cn, cnl, 1, NULL, NULL, 0);
	pt = parties_match(ps, x, NULL);
	ck_assert_ptr_nonnull(pt);
	ck_assert_str_eq(pt->id, "CN");
	X509_free(x);

	/* the SAN URI wins over the CN, and a non-matching URI is skipped */
	x = mkcert(cn, cnl, 1, u1, u1l, 2);
	pt = parties_match(ps, x, NULL);
	ck_assert_ptr_nonnull(pt);
	ck_assert_str_eq(pt->id, "BETA");
	X509_free(x);

	/* a CN with a NUL in it matches nothing */
	x = mkcert(cnnul, cnnull, 1, NULL, NULL, 0);
	ck_assert_ptr_null(parties_match(ps, x, NULL));
	X509_free(x);

	/* two CNs: ambiguous, no CN match */
	x = mkcert(twocn, twocnl, 2, NULL, NULL, 0);
	ck_assert_ptr_null(parties_match(ps, x, NULL));
	X509_free(x);

	/* SAN URIs naming two Parties: refused, even though the CN would match */
	x = mkcert(cn, cnl, 1, u2, u2l, 2);
	ck_assert_ptr_null(parties_match(ps, x, NULL));
	X509_free(x);

	/* a SAN URI with a NUL: refused outright */
	x = mkcert(cn, cnl, 1, unul, unull, 1);
	ck_assert_ptr_null(parties_match(ps, x, NULL));
	X509_free(x);

	/* prefixes and extensions of a match value are not matches */
	x = mkcert(NULL, NULL, 0, upre, uprel, 2);
	ck_assert_ptr_null(parties_match(ps, x, NULL));
	X509_free(x);
	parties_free(ps);
}
END_TEST

START_TEST(match_values_are_typed_by_their_form)
{
	struct parties *ps = load_parties(
	    "[party U]\nname = U\nmatch = urn:sec:party:U\nrole = party\n"
	    "[party H]\nname = H\nmatch = https://parties.example/h?x=1#y\nrole = party\n"
	    "[party P]\nname = P\nmatch = SHA256:ABCDEF0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789\nrole = party\n"
	    "[party C]\nname = C\nmatch = Alpha Energy Ltd\nrole = party\n"
	    "[party D]\nname = D\nmatch = 1st:line\nrole = party\n"
	    "[party E]\nname = E\nmatch = caf\xc3\xa9\nrole = party\n");

	ck_assert_int_eq(parties_find(ps, "U")->match_type, MATCH_URI);
	ck_assert_int_eq(parties_find(ps, "H")->match_type, MATCH_URI);
	ck_assert_int_eq(parties_find(ps, "P")->match_type, MATCH_SHA256);
	ck_assert_str_eq(parties_find(ps, "P")->match,
	    "sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
	ck_assert_int_eq(parties_find(ps, "C")->match_type, MATCH_CN);
	ck_assert_int_eq(parties_find(ps, "D")->match_type, MATCH_CN);   /* no scheme: digit */
	ck_assert_int_eq(parties_find(ps, "E")->match_type, MATCH_CN);
	parties_free(ps);
}
END_TEST

START_TEST(parties_refuses_match_values_that_read_two_ways)
{
	static const struct { const char *value, *what; } bad[] = {
		{ "URN:sec:party:X", "scheme in lower case" },   /* urn: or a CN? */
		{ "Alpha: Ops", "reads as a URI or a CN" },        /* CN with a colon */
		{ "urn:", "reads as a URI or a CN" },              /* empty rest */
		{ "urn:a\"b", "reads as a URI or a CN" },
		{ "urn:caf\xc3\xa9", "reads as a URI or a CN" },   /* not an IA5 URI */
		{ "sha256:abc", "sha256: needs 64 hex digits" },  /* reserved, never a URI */
		{ "a\xe2\x80\xa8" "b", "line or paragraph separator" },
		{ "\xe2\x80\xae" "ALPHA", "bidirectional control" },
		{ "\xef\xbb\xbf" "ALPHA", "byte order mark" },
	};
	struct parties *ps = NULL;
	char err[CONFIG_ERR_MAX], text[512];
	const char *f;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[party X]\nname = x\nmatch = %s\nrole = party\n",
		    bad[i].value);
		f = put("parties.conf", text);
		err[0] = '\0';
		expect_err(parties_load(f, &ps, err, sizeof(err)), err, f, 3, "key 'match':");
		ck_assert_msg(strstr(err, bad[i].what) != NULL, "case %zu: %s", i, err);
	}
}
END_TEST

START_TEST(cn_holding_another_partys_uri_is_not_that_party)
{
	/* The attack: a certificate of the same CA with CN=urn:sec:party:BETA
	 * and a SAN URI of its own was taken for BETA. */
	static const char *const cn[] = { "urn:sec:party:BETA" };
	static const int cnl[] = { 18 };
	static const char *const own[] = { "urn:sec:party:MALLORY" };
	static const int ownl[] = { 21 };
	struct parties *ps = load_parties(MATCH_PARTIES);
	X509 *x;

	x = mkcert(cn, cnl, 1, own, ownl, 1);
	ck_assert_ptr_null(parties_match(ps, x, NULL));
	X509_free(x);
	x = mkcert(cn, cnl, 1, NULL, NULL, 0);      /* no SAN at all */
	ck_assert_ptr_null(parties_match(ps, x, NULL));
	X509_free(x);
	parties_free(ps);
}
END_TEST

START_TEST(san_uri_or_cn_holding_a_fingerprint_or_cn_value_does_not_match)
{
	static const char *const alpha[] = { "Alpha Energy" };
	static const int alphal[] = { 12 };
	static const char *const other[] = { "Other" };
	static const int otherl[] = { 5 };
	char text[1024], fp[7 + 64 + 1], hex[65];
	const char *fpv[1];
	int fpl[1];
	struct parties *ps;
	const struct party *pt;
	X509 *pinned, *x;

	/* a SAN URI equal to a CN value is not a CN */
	ps = load_parties(MATCH_PARTIES);
	x = mkcert(other, otherl, 1, alpha, alphal, 1);
	ck_assert_ptr_null(parties_match(ps, x, NULL));
	X509_free(x);
	parties_free(ps);

	/* a CN or a SAN URI spelling a pinned fingerprint is not that certificate */
	pinned = mkcert(other, otherl, 1, NULL, NULL, 0);
	ck_assert_ptr_null(parties_match(NULL, pinned, hex));
	snprintf(fp, sizeof(fp), "sha256:%s", hex);
	snprintf(text, sizeof(text), "[party PIN]\nname = P\nmatch = %s\nrole = secas\n", fp);
	ps = load_parties(text);
	pt = parties_match(ps, pinned, NULL);
	ck_assert_ptr_nonnull(pt);
	ck_assert_str_eq(pt->id, "PIN");
	fpv[0] = fp;
	fpl[0] = (int)strlen(fp);
	x = mkcert(fpv, fpl, 1, NULL, NULL, 0);
	ck_assert_ptr_null(parties_match(ps, x, NULL));
	X509_free(x);
	x = mkcert(other, otherl, 1, fpv, fpl, 1);
	ck_assert_ptr_null(parties_match(ps, x, NULL));
	X509_free(x);
	X509_free(pinned);
	parties_free(ps);
}
END_TEST

/* ---- the shipped files ------------------------------------------------------- */

START_TEST(shipped_policy_loads)
{
	static const char *const kinds[] = {
		"evidence-bundle", "evidence", "validation-workbook", "ssa-workbook",
		"remediation-plan", "director-letter", "notification-agreement",
		"shared-resource-return",
	};
	static const char xlsx[] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
	struct policy *p = NULL;
	const struct kind *k;
	char err[CONFIG_ERR_MAX] = "";
	size_t i;

	ck_assert_msg(policy_load(SRCDIR "/policy/intake.policy", &p, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_uint_eq(p->nkinds, sizeof(kinds) / sizeof(kinds[0]));
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		ck_assert_msg(policy_kind(p, kinds[i]) != NULL, "no kind %s", kinds[i]);
	ck_assert(p->max_upload == 4ull << 30);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		ck_assert_msg(policy_kind(p, kinds[i])->description[0] != '\0',
		    "kind %s has no description", kinds[i]);
	k = policy_kind(p, "evidence-bundle");
	ck_assert_str_eq(k->description, "An archive of evidence after a Verification or Full "
	    "User Security Assessment (zip, tar, 7z)");
	ck_assert(kind_allows(k, "application/zip"));
	ck_assert(kind_allows(k, "application/x-7z-compressed"));
	ck_assert(!kind_allows(k, "application/pdf"));
	k = policy_kind(p, "evidence");
	ck_assert(kind_allows(k, "image/png") && kind_allows(k, "text/csv"));
	ck_assert(!kind_allows(k, "application/zip"));
	ck_assert(!kind_allows(k, "application/vnd.ms-excel.sheet.macroEnabled.12"));
	ck_assert(kind_allows(policy_kind(p, "validation-workbook"), xlsx));
	ck_assert(!kind_allows(policy_kind(p, "validation-workbook"), "application/pdf"));
	ck_assert(kind_allows(policy_kind(p, "director-letter"), "application/pdf"));
	ck_assert(kind_allows(policy_kind(p, "shared-resource-return"), "text/plain"));
	ck_assert(kind_allows(policy_kind(p, "shared-resource-return"), xlsx));
	policy_free(p);
}
END_TEST

START_TEST(shipped_parties_load)
{
	struct parties *ps = NULL;
	char err[CONFIG_ERR_MAX] = "";

	ck_assert_msg(parties_load(SRCDIR "/policy/parties.conf", &ps, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_uint_eq(ps->n, 4);
	ck_assert_int_eq(parties_find(ps, "ALPHA")->role, ROLE_PARTY);
	ck_assert_int_eq(parties_find(ps, "BETA")->role, ROLE_PARTY);
	ck_assert_int_eq(parties_find(ps, "SECAS")->role, ROLE_SECAS);
	ck_assert_int_eq(parties_find(ps, "AUDIT")->role, ROLE_AUDITOR);
	parties_free(ps);
}
END_TEST

/* The shipped parties file maps the mkdev.sh certificates as intended. */
START_TEST(shipped_parties_match_dev_certs)
{
	static const char *const ok[][2] = {
		{ "alpha.crt", "ALPHA" }, { "beta.crt", "BETA" }, { "secas.crt", "SECAS" },
		{ "audit.crt", "AUDIT" },
	};
	struct parties *ps = NULL;
	char err[CONFIG_ERR_MAX] = "";
	const struct party *pt;
	X509 *x;
	size_t i;

	ck_assert_msg(pki_ok, "certs/mkdev.sh failed");
	ck_assert_int_eq(parties_load(SRCDIR "/policy/parties.conf", &ps, err, sizeof(err)), 0);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		x = load_pem(ok[i][0]);
		pt = parties_match(ps, x, NULL);
		ck_assert_msg(pt != NULL && strcmp(pt->id, ok[i][1]) == 0, "%s", ok[i][0]);
		X509_free(x);
	}
	x = load_pem("gamma.crt");
	ck_assert_ptr_null(parties_match(ps, x, NULL));
	X509_free(x);
	parties_free(ps);
}
END_TEST

START_TEST(shipped_intaked_conf_loads)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX] = "", dir[512], cmd[4096];

	/* intaked.conf's paths are relative: give it a tree with certs/dev */
	ck_assert_msg(pki_ok, "certs/mkdev.sh failed");
	snprintf(dir, sizeof(dir), "%s/root", tmp);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/certs' && ln -sfn '%s' '%s/certs/dev' && "
	    "ln -sfn '%s/policy' '%s/policy'", dir, pki, dir, SRCDIR, dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_msg(config_load(SRCDIR "/intaked.conf", &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(cfg.listen_host, "127.0.0.1");
	ck_assert_str_eq(cfg.listen_port, "8443");
	ck_assert_str_eq(cfg.admin_host, "127.0.0.1");
	ck_assert_str_eq(cfg.admin_port, "8444");
	ck_assert_str_eq(cfg.data, "var");
	ck_assert_str_eq(cfg.tls_certificate, "certs/dev/server.crt");
	ck_assert_str_eq(cfg.tls_key, "certs/dev/server.key");
	ck_assert_str_eq(cfg.tls_client_ca, "certs/dev/ca.crt");
	ck_assert_str_eq(cfg.tls_crl, "certs/dev/ca.crl");
	ck_assert_str_eq(cfg.log_origin, "intake.example.org/log");
	ck_assert_str_eq(cfg.log_key, "var/log.key");
	ck_assert_str_eq(cfg.policy_file, "policy/intake.policy");
	ck_assert_str_eq(cfg.parties_file, "policy/parties.conf");
	ck_assert_str_eq(cfg.store, "var/store");   /* no [store]: the data directory's */
	ck_assert_int_eq(cfg.store_shared, 0);

	/* without the dev PKI, -t names the missing certificate */
	snprintf(cmd, sizeof(cmd), "rm '%s/certs/dev'", dir);
	ck_assert_int_eq(system(cmd), 0);
	expect_err(config_load(SRCDIR "/intaked.conf", &cfg, err, sizeof(err)), err,
	    SRCDIR "/intaked.conf", 13, "key 'certificate': cannot open certs/dev/server.crt");
}
END_TEST

START_TEST(mkdev_idempotent_keys_private)
{
	static const char *const keys[] = {
		"ca.key", "server.key", "alpha.key", "alpha.pem", "rogue.key", "gamma.pem",
	};
	char path[512], cmd[1024], out[256] = "";
	struct stat st, st2;
	FILE *p;
	size_t i;

	ck_assert_msg(pki_ok, "certs/mkdev.sh failed");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pki, keys[i]);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_msg((st.st_mode & 0777) == 0600, "%s mode %o", keys[i], st.st_mode & 0777);
	}
	snprintf(path, sizeof(path), "%s/ca.crt", pki);
	ck_assert_int_eq(stat(path, &st), 0);
	snprintf(cmd, sizeof(cmd), "sh '%s/certs/mkdev.sh' '%s'", SRCDIR, pki);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	if (fgets(out, sizeof(out), p) == NULL)
		out[0] = '\0';
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_ptr_nonnull(strstr(out, "nothing to do"));
	ck_assert_int_eq(stat(path, &st2), 0);
	ck_assert(st.st_ino == st2.st_ino && st.st_mtime == st2.st_mtime);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("config");
	tcase_add_test(tc, config_defaults_applied);
	tcase_add_test(tc, config_inline_comments_stripped);
	tcase_add_test(tc, config_rejects_unknown_key);
	tcase_add_test(tc, config_rejects_unknown_section);
	tcase_add_test(tc, config_rejects_bad_listen);
	tcase_add_test(tc, config_accepts_listen_forms);
	tcase_add_test(tc, config_admin_must_be_loopback);
	tcase_add_test(tc, config_rejects_missing_required_key);
	tcase_add_test(tc, config_rejects_missing_file);
	tcase_add_test(tc, config_rejects_bad_origin);
	tcase_add_test(tc, config_user_is_a_system_user_name);
	tcase_add_test(tc, config_limits_section);
	tcase_add_test(tc, config_rejects_repeats);
	tcase_add_test(tc, config_rejects_bad_syntax);
	tcase_add_test(tc, config_rejects_nul_byte);
	tcase_add_test(tc, config_store_section);
	suite_add_tcase(s, tc);

	tc = tcase_create("size");
	tcase_add_test(tc, size_parses_suffixes);
	tcase_add_test(tc, size_rejects_overflow_negative_junk);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy");
	tcase_add_test(tc, policy_defaults_when_no_limits);
	tcase_add_test(tc, policy_limits_and_kinds_parsed);
	tcase_add_test(tc, policy_rejects_bad_size);
	tcase_add_test(tc, policy_rejects_kind_without_types);
	tcase_add_test(tc, policy_rejects_no_kinds);
	tcase_add_test(tc, policy_rejects_bad_kind_and_types);
	tcase_add_test(tc, policy_rejects_too_many_types);
	suite_add_tcase(s, tc);

	tc = tcase_create("parties");
	tcase_add_test(tc, parties_load_roles_and_find);
	tcase_add_test(tc, parties_rejects_bad_entries);
	tcase_add_test(tc, parties_load_providers_and_shared_resource);
	tcase_add_test(tc, parties_refuses_bad_acts_for);
	tcase_add_test(tc, match_san_uri);
	tcase_add_test(tc, match_cn_fallback);
	tcase_add_test(tc, match_sha256_fallback);
	tcase_add_test(tc, match_generated_certificates);
	tcase_add_test(tc, match_values_are_typed_by_their_form);
	tcase_add_test(tc, parties_refuses_match_values_that_read_two_ways);
	tcase_add_test(tc, cn_holding_another_partys_uri_is_not_that_party);
	tcase_add_test(tc, san_uri_or_cn_holding_a_fingerprint_or_cn_value_does_not_match);
	suite_add_tcase(s, tc);

	tc = tcase_create("shipped");
	tcase_add_test(tc, shipped_policy_loads);
	tcase_add_test(tc, shipped_parties_load);
	tcase_add_test(tc, shipped_parties_match_dev_certs);
	tcase_add_test(tc, shipped_intaked_conf_loads);
	tcase_add_test(tc, mkdev_idempotent_keys_private);
	tcase_add_test(tc, config_scan_off_by_default_and_loads);
	tcase_add_test(tc, config_scan_refuses_no_socket_long_path_bad_timeout);
	tcase_add_test(tc, config_ledger_defaults_to_sqlite_and_loads_postgresql);
	tcase_add_test(tc, config_ledger_refuses_missing_dsn_dsn_with_sqlite_unknown_backend);
	tcase_add_test(tc, config_witnesses_default_to_none);
	tcase_add_test(tc, config_witness_sections_load);
	tcase_add_test(tc, config_witness_rejects_log_key_as_vkey);
	tcase_add_test(tc, config_witness_rejects_bad_url_and_missing_keys);
	tcase_add_test(tc, config_witness_quorum_over_witnesses_refused);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	char cmd[1024];
	const char *base = getenv("TMPDIR");
	int failed;

	snprintf(tmp, sizeof(tmp), "%s/unit_config.XXXXXX", base ? base : "/tmp");
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(pki, sizeof(pki), "%s/pki", tmp);
	snprintf(cmd, sizeof(cmd), "sh '%s/certs/mkdev.sh' '%s' >/dev/null", SRCDIR, pki);
	pki_ok = system(cmd) == 0;

	sr = srunner_create(config_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmp);
	return failed == 0 ? 0 : 1;
}
