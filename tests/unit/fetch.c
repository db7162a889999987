/*
 * tests/unit/fetch.c: gateway/intake/fetch.c, the CLI's HTTPS GET client.
 *
 * The URL parser against hostile URLs, and fetch_get against a TLS server in
 * a thread of this test (certs/dev, mutual TLS) that sends canned answers:
 * well-formed ones in each framing (Content-Length, chunked, read to
 * close_notify, after a 100 Continue) and broken ones (truncated, unclean
 * EOF, too large, endless headers, not HTTP), plus certificates it must
 * refuse (unknown CA, wrong host). fetch.c is included to reach its statics.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "../../gateway/intake/fetch.c"

/* A private PKI made by certs/mkdev.sh in main(): the tests never depend on
 * what a developer has in certs/dev. */
static char pki_dir[] = "/tmp/unit-fetch-XXXXXX";

/* PKI file NAME; four results may be in use at once. */
static const char *
dev(const char *name)
{
	static __thread char buf[4][512];   /* per thread: the test server has its own */
	static __thread int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", pki_dir, name);
	return buf[i];
}
#define ERRLEN 512

/* ---------------------------------------------------------------- URL parser */

static int
parse(const char *url, struct fetch *f)
{
	char err[ERRLEN];

	memset(f, 0, sizeof(*f));
	return fetch_parse_url(f, url, err, sizeof(err));
}

START_TEST(url_accepts_host_port_and_base)
{
	struct fetch f;

	ck_assert_int_eq(parse("https://localhost:8443", &f), 0);
	ck_assert_str_eq(f.host, "localhost");
	ck_assert_str_eq(f.port, "8443");
	ck_assert_str_eq(f.hosthdr, "localhost:8443");
	ck_assert_str_eq(f.base, "");
	ck_assert_int_eq(f.is_ip, 0);
	ck_assert_int_eq(parse("HTTPS://gw.example.org/intake/", &f), 0);
	ck_assert_str_eq(f.port, "443");
	ck_assert_str_eq(f.hosthdr, "gw.example.org");
	ck_assert_str_eq(f.base, "/intake");
	ck_assert_int_eq(parse("https://gw.example.org//", &f), 0);
	ck_assert_str_eq(f.base, "");
}
END_TEST

START_TEST(url_accepts_ip_literals)
{
	struct fetch f;

	ck_assert_int_eq(parse("https://127.0.0.1:9", &f), 0);
	ck_assert_int_eq(f.is_ip, 1);
	ck_assert_str_eq(f.host, "127.0.0.1");
	ck_assert_int_eq(parse("https://[::1]:8443/x", &f), 0);
	ck_assert_int_eq(f.is_ip, 1);
	ck_assert_str_eq(f.host, "::1");
	ck_assert_str_eq(f.hosthdr, "[::1]:8443");
	ck_assert_str_eq(f.base, "/x");
}
END_TEST

START_TEST(url_rejects_other_schemes)
{
	struct fetch f;

	ck_assert_int_eq(parse("http://localhost:8443", &f), -1);
	ck_assert_int_eq(parse("ftp://localhost", &f), -1);
	ck_assert_int_eq(parse("localhost:8443", &f), -1);
	ck_assert_int_eq(parse("https:/localhost", &f), -1);
	ck_assert_int_eq(parse("", &f), -1);
}
END_TEST

START_TEST(url_rejects_userinfo_query_fragment_and_escapes)
{
	static const char *bad[] = {
		"https://user@localhost", "https://u:p@localhost:1/", "https://localhost/?x=1",
		"https://localhost/#f", "https://localhost/%2e%2e", "https://local host/",
		"https://localhost/a b", "https://localhost/\r\nX: y", "https://localhost\\@evil",
		"https://localhost/\x7f", "https://localhost/\xc3\xa9",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fetch f;

		ck_assert_msg(parse(bad[i], &f) == -1, "accepted %s", bad[i]);
	}
}
END_TEST

START_TEST(url_rejects_bad_ports)
{
	static const char *bad[] = {
		"https://localhost:", "https://localhost:0", "https://localhost:65536",
		"https://localhost:8a", "https://localhost:-1", "https://localhost:123456",
		"https://localhost:+80", "https://[::1]x", "https://[::1]:", "https://localhost:1:2",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fetch f;

		ck_assert_msg(parse(bad[i], &f) == -1, "accepted %s", bad[i]);
	}
}
END_TEST

START_TEST(url_rejects_bad_hosts)
{
	static const char *bad[] = {
		"https://", "https:///x", "https://:443", "https://[::1", "https://[]",
		"https://[localhost]", "https://[1.2.3.4]", "https://ho$t", "https://h;st",
	};
	char url[FETCH_URL_MAX + 64];
	struct fetch f;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse(bad[i], &f) == -1, "accepted %s", bad[i]);
	/* a host name longer than DNS allows */
	strcpy(url, "https://");
	memset(url + 8, 'a', FETCH_HOST_MAX + 1);
	url[8 + FETCH_HOST_MAX + 1] = '\0';
	ck_assert_int_eq(parse(url, &f), -1);
	url[8 + FETCH_HOST_MAX] = '\0';
	ck_assert_int_eq(parse(url, &f), 0);
}
END_TEST

START_TEST(url_rejects_overlong)
{
	char url[FETCH_URL_MAX + 64];
	struct fetch f;

	strcpy(url, "https://localhost/");
	memset(url + 18, 'a', FETCH_URL_MAX);
	url[FETCH_URL_MAX + 1] = '\0';
	ck_assert_int_eq(parse(url, &f), -1);
}
END_TEST

/* ---------------------------------------------------------------- a TLS server */

struct server {
	int         lfd;
	int         port;
	const char *answer;       /* bytes sent after the request head */
	size_t      answerlen;
	size_t      repeat;       /* send ANSWER this many times (>= 1) */
	int         close_notify; /* end with SSL_shutdown */
	pthread_t   th;
	char        request[2048];
};

static void *
server_run(void *arg)
{
	struct server *s = arg;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	SSL *ssl = NULL;
	size_t got = 0;
	int fd, n;

	ck_assert_ptr_nonnull(ctx);
	SSL_CTX_use_certificate_chain_file(ctx, dev("server.crt"));
	SSL_CTX_use_PrivateKey_file(ctx, dev("server.key"), SSL_FILETYPE_PEM);
	SSL_CTX_load_verify_locations(ctx, dev("ca.crt"), NULL);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	if ((fd = accept(s->lfd, NULL, NULL)) == -1)
		goto out;
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) != 1)
		goto done;
	while (got + 1 < sizeof(s->request) && strstr(s->request, "\r\n\r\n") == NULL) {
		if ((n = SSL_read(ssl, s->request + got, (int)(sizeof(s->request) - 1 - got))) <= 0)
			goto done;
		got += (size_t)n;
		s->request[got] = '\0';
	}
	for (size_t i = 0; i < s->repeat; i++)
		if (SSL_write(ssl, s->answer, (int)s->answerlen) <= 0)
			goto done;
	if (s->close_notify)
		SSL_shutdown(ssl);
done:
	SSL_free(ssl);
	close(fd);
out:
	SSL_CTX_free(ctx);
	return NULL;
}

/* Starts a one-connection server on ADDR answering ANSWER (REPEAT times). */
static void
server_start(struct server *s, const char *addr, const char *answer, size_t len,
    size_t repeat, int close_notify)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	memset(s, 0, sizeof(*s));
	s->answer = answer;
	s->answerlen = len;
	s->repeat = repeat;
	s->close_notify = close_notify;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
	ck_assert_int_ne(s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), -1);
	ck_assert_int_eq(bind(s->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(s->lfd, 1), 0);
	ck_assert_int_eq(getsockname(s->lfd, (struct sockaddr *)&sin, &sl), 0);
	s->port = ntohs(sin.sin_port);
	ck_assert_int_eq(pthread_create(&s->th, NULL, server_run, s), 0);
}

static void
server_stop(struct server *s)
{
	pthread_join(s->th, NULL);
	close(s->lfd);
}

/*
 * GET /v1/x from a server at ADDR sending ANSWER; the CA and client
 * certificate are the dev ones unless CA is given. Returns fetch_get's result.
 */
static int
get(const char *addr, const char *host, const char *ca, const char *answer, size_t repeat,
    int close_notify, size_t max, int *status, char **body, size_t *len, char *err,
    struct server *s)
{
	struct fetch *f;
	char url[128];
	int r;

	server_start(s, addr, answer, strlen(answer), repeat, close_notify);
	snprintf(url, sizeof(url), "https://%s:%d/base", host, s->port);
	f = fetch_new(url, ca != NULL ? ca : dev("ca.crt"), dev("audit.crt"), dev("audit.key"),
	    err, ERRLEN);
	ck_assert_msg(f != NULL, "fetch_new: %s", err);
	r = fetch_get(f, "/v1/x?a=1", max, status, body, len, err, ERRLEN);
	/* the server may still wait for bytes a refused handshake never sent */
	shutdown(s->lfd, SHUT_RDWR);
	server_stop(s);
	fetch_free(f);
	return r;
}

#define OK_ANSWER "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"

START_TEST(get_reads_content_length_body)
{
	struct server s;
	char err[ERRLEN], *body = NULL;
	size_t len;
	int status;

	ck_assert_msg(get("127.0.0.1", "localhost", NULL, OK_ANSWER, 1, 0, 100, &status, &body,
	    &len, err, &s) == 0, "%s", err);
	ck_assert_int_eq(status, 200);
	ck_assert_uint_eq(len, 5);
	ck_assert_str_eq(body, "hello");
	ck_assert_ptr_nonnull(strstr(s.request, "GET /base/v1/x?a=1 HTTP/1.1\r\n"));
	ck_assert_ptr_nonnull(strstr(s.request, "\r\nHost: localhost:"));
	ck_assert_ptr_nonnull(strstr(s.request, "\r\nConnection: close\r\n"));
	free(body);
}
END_TEST

START_TEST(get_checks_ip_address_of_certificate)
{
	struct server s;
	char err[ERRLEN], *body = NULL;
	size_t len;
	int status;

	ck_assert_msg(get("127.0.0.1", "127.0.0.1", NULL, OK_ANSWER, 1, 0, 100, &status, &body,
	    &len, err, &s) == 0, "%s", err);
	free(body);
}
END_TEST

START_TEST(get_reads_chunked_body)
{
	static const char a[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nhel\r\n2;ext=1\r\nlo\r\n0\r\n\r\n";
	struct server s;
	char err[ERRLEN], *body = NULL;
	size_t len;
	int status;

	ck_assert_msg(get("127.0.0.1", "localhost", NULL, a, 1, 0, 100, &status, &body, &len,
	    err, &s) == 0, "%s", err);
	ck_assert_str_eq(body, "hello");
	free(body);
}
END_TEST

START_TEST(get_reads_body_to_close_notify)
{
	static const char a[] = "HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\nno such";
	struct server s;
	char err[ERRLEN], *body = NULL;
	size_t len;
	int status;

	ck_assert_msg(get("127.0.0.1", "localhost", NULL, a, 1, 1, 100, &status, &body, &len,
	    err, &s) == 0, "%s", err);
	ck_assert_int_eq(status, 404);
	ck_assert_str_eq(body, "no such");
	free(body);
}
END_TEST

START_TEST(get_skips_interim_100)
{
	static const char a[] = "HTTP/1.1 100 Continue\r\n\r\n" OK_ANSWER;
	struct server s;
	char err[ERRLEN], *body = NULL;
	size_t len;
	int status;

	ck_assert_msg(get("127.0.0.1", "localhost", NULL, a, 1, 0, 100, &status, &body, &len,
	    err, &s) == 0, "%s", err);
	ck_assert_int_eq(status, 200);
	ck_assert_str_eq(body, "hello");
	free(body);
}
END_TEST

START_TEST(get_rejects_eof_without_close_notify)
{
	static const char a[] = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhalf of it";
	struct server s;
	char err[ERRLEN], *body = NULL;
	size_t len;
	int status;

	ck_assert_int_eq(get("127.0.0.1", "localhost", NULL, a, 1, 0, 100, &status, &body, &len,
	    err, &s), -1);
	ck_assert_ptr_null(body);
	ck_assert_ptr_nonnull(strstr(err, "before the response was complete"));
}
END_TEST

START_TEST(get_rejects_short_content_length)
{
	static const char a[] = "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nhello";
	struct server s;
	char err[ERRLEN], *body = NULL;
	size_t len;
	int status;

	/* even with a clean close: the body is shorter than announced */
	ck_assert_int_eq(get("127.0.0.1", "localhost", NULL, a, 1, 1, 100, &status, &body, &len,
	    err, &s), -1);
	ck_assert_ptr_null(body);
}
END_TEST

START_TEST(get_rejects_truncated_chunked)
{
	static const char a[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel";
	struct server s;
	char err[ERRLEN], *body = NULL;
	size_t len;
	int status;

	ck_assert_int_eq(get("127.0.0.1", "localhost", NULL, a, 1, 1, 100, &status, &body, &len,
	    err, &s), -1);
	ck_assert_ptr_null(body);
}
END_TEST

START_TEST(get_rejects_body_over_max)
{
	static const char a[] = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world";
	struct server s;
	char err[ERRLEN], *body = NULL;
	size_t len;
	int status;

	ck_assert_int_eq(get("127.0.0.1", "localhost", NULL, a, 1, 0, 10, &status, &body, &len,
	    err, &s), -1);
	ck_assert_ptr_nonnull(strstr(err, "longer than 10 bytes"));
	/* exactly MAX is fine */
	ck_assert_msg(get("127.0.0.1", "localhost", NULL, a, 1, 0, 11, &status, &body, &len,
	    err, &s) == 0, "%s", err);
	free(body);
}
END_TEST

START_TEST(get_rejects_endless_headers)
{
	static const char first[] = "HTTP/1.1 200 OK\r\nX-A: ";
	struct server s;
	char err[ERRLEN], *body = NULL, *a;
	size_t len, n = 64u << 10;
	int status;

	/* the status line, then one header line that never ends */
	a = malloc(n + 1);
	memset(a, 'a', n);
	memcpy(a, first, sizeof(first) - 1);
	a[n] = '\0';
	ck_assert_int_eq(get("127.0.0.1", "localhost", NULL, a, 1, 0, 100, &status, &body, &len,
	    err, &s), -1);
	ck_assert_ptr_nonnull(strstr(err, "headers longer than"));
	free(a);
}
END_TEST

START_TEST(get_rejects_non_http)
{
	static const char *bad[] = {
		"SSH-2.0-OpenSSH_9.2\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct server s;
		char err[ERRLEN], *body = NULL;
		size_t len;
		int status;

		ck_assert_msg(get("127.0.0.1", "localhost", NULL, bad[i], 1, 1, 100, &status,
		    &body, &len, err, &s) == -1, "accepted answer %zu", i);
		ck_assert_ptr_null(body);
	}
}
END_TEST

START_TEST(get_refuses_unknown_ca)
{
	struct server s;
	char err[ERRLEN], *body = NULL;
	size_t len;
	int status;

	ck_assert_int_eq(get("127.0.0.1", "localhost", dev("rogue-ca.crt"), OK_ANSWER, 1, 0, 100,
	    &status, &body, &len, err, &s), -1);
	ck_assert_ptr_nonnull(strstr(err, "server certificate refused"));
}
END_TEST

START_TEST(get_refuses_certificate_for_another_host)
{
	struct server s;
	char err[ERRLEN], *body = NULL;
	size_t len;
	int status;

	/* 127.0.0.2 is loopback too, but the certificate names only localhost and 127.0.0.1 */
	ck_assert_int_eq(get("127.0.0.2", "127.0.0.2", NULL, OK_ANSWER, 1, 0, 100, &status,
	    &body, &len, err, &s), -1);
	ck_assert_ptr_nonnull(strstr(err, "server certificate refused"));
}
END_TEST

START_TEST(new_rejects_unreadable_tls_files)
{
	char err[ERRLEN];

	ck_assert_ptr_null(fetch_new("https://localhost", "/nonexistent", NULL, NULL, err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "--cacert"));
	ck_assert_ptr_null(fetch_new("https://localhost", dev("ca.crt"), dev("audit.crt"),
	    dev("alpha.key"), err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "--key"));
}
END_TEST

static Suite *
fetch_suite(void)
{
	Suite *s = suite_create("fetch");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, url_accepts_host_port_and_base);
	tcase_add_test(tc, url_accepts_ip_literals);
	tcase_add_test(tc, url_rejects_other_schemes);
	tcase_add_test(tc, url_rejects_userinfo_query_fragment_and_escapes);
	tcase_add_test(tc, url_rejects_bad_ports);
	tcase_add_test(tc, url_rejects_bad_hosts);
	tcase_add_test(tc, url_rejects_overlong);
	tcase_add_test(tc, get_reads_content_length_body);
	tcase_add_test(tc, get_checks_ip_address_of_certificate);
	tcase_add_test(tc, get_reads_chunked_body);
	tcase_add_test(tc, get_reads_body_to_close_notify);
	tcase_add_test(tc, get_skips_interim_100);
	tcase_add_test(tc, get_rejects_eof_without_close_notify);
	tcase_add_test(tc, get_rejects_short_content_length);
	tcase_add_test(tc, get_rejects_truncated_chunked);
	tcase_add_test(tc, get_rejects_body_over_max);
	tcase_add_test(tc, get_rejects_endless_headers);
	tcase_add_test(tc, get_rejects_non_http);
	tcase_add_test(tc, get_refuses_unknown_ca);
	tcase_add_test(tc, get_refuses_certificate_for_another_host);
	tcase_add_test(tc, new_rejects_unreadable_tls_files);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	char cmd[1024];
	int failed;

	if (mkdtemp(pki_dir) == NULL)
		return EXIT_FAILURE;
	snprintf(cmd, sizeof(cmd), "sh '%s/certs/mkdev.sh' '%s' >/dev/null", SRCDIR, pki_dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "certs/mkdev.sh failed\n");
		return EXIT_FAILURE;
	}
	sr = srunner_create(fetch_suite());

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", pki_dir);
	(void)!system(cmd);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
