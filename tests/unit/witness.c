/*
 * tests/unit/witness.c: the notary's witness HTTP client (notary/witness.c,
 * included to reach its static functions) against a canned server on
 * loopback: keep-alive reuse, a 409 with its size, a kept connection the
 * server closed (one fresh retry), and the hostile answers it must refuse
 * (no status line, chunked, a Content-Length over the cap or beyond the
 * bytes sent, headers that never end, silence until the time-out).
 */
#include "../../gateway/notary/witness.c"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>

struct canned {
	int          lfd;
	const char  *answers[4];   /* one per request; NULL: close the connection */
	int          close_after;  /* close after this many answers on a connection */
	int          requests;     /* requests read (all connections) */
};

/* Reads one request (headers + Content-Length body). 0/-1. */
static int
canned_read_request(int fd)
{
	char buf[65536];
	size_t have = 0;
	ssize_t r;
	char *e, *cl;
	size_t want;

	for (;;) {
		if ((r = recv(fd, buf + have, sizeof(buf) - 1 - have, 0)) <= 0)
			return -1;
		have += (size_t)r;
		buf[have] = '\0';
		if ((e = strstr(buf, "\r\n\r\n")) != NULL)
			break;
	}
	cl = strcasestr(buf, "Content-Length:");
	want = cl ? (size_t)strtoul(cl + 15, NULL, 10) : 0;
	while (have - (size_t)(e + 4 - buf) < want) {
		if ((r = recv(fd, buf + have, sizeof(buf) - 1 - have, 0)) <= 0)
			return -1;
		have += (size_t)r;
	}
	return 0;
}

static void *
canned_main(void *arg)
{
	struct canned *c = arg;
	int fd = -1, n = 0;

	for (int i = 0; i < 4 && c->answers[i] != NULL; i++) {
		if (fd == -1 && (fd = accept(c->lfd, NULL, NULL)) == -1)
			break;
		if (canned_read_request(fd) == -1) {
			close(fd);
			fd = -1;
			i--;
			continue;
		}
		c->requests++;
		if (strcmp(c->answers[i], "SILENCE") == 0) {
			sleep(3);
		} else
			(void)send(fd, c->answers[i], strlen(c->answers[i]), MSG_NOSIGNAL);
		if (c->close_after && ++n == c->close_after) {
			close(fd);
			fd = -1;
			n = 0;
		}
	}
	if (fd != -1)
		close(fd);
	return NULL;
}

static struct config cfg;
static struct witnesses ws;
static struct witness w;
static struct canned cn;
static pthread_t srv;

static void
serve(const char *a0, const char *a1, const char *a2, int close_after)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);

	memset(&cn, 0, sizeof(cn));
	cn.answers[0] = a0;
	cn.answers[1] = a1;
	cn.answers[2] = a2;
	cn.close_after = close_after;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ne(cn.lfd = socket(AF_INET, SOCK_STREAM, 0), -1);
	ck_assert_int_eq(bind(cn.lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(cn.lfd, 4), 0);
	ck_assert_int_eq(getsockname(cn.lfd, (struct sockaddr *)&sin, &sl), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.witness_timeout = 1;
	cfg.nwitnesses = 1;
	snprintf(cfg.witnesses[0].name, sizeof(cfg.witnesses[0].name), "w1");
	snprintf(cfg.witnesses[0].host, sizeof(cfg.witnesses[0].host), "127.0.0.1");
	snprintf(cfg.witnesses[0].port, sizeof(cfg.witnesses[0].port), "%u", ntohs(sin.sin_port));
	memset(&ws, 0, sizeof(ws));
	ws.cfg = &cfg;
	memset(&w, 0, sizeof(w));
	w.ws = &ws;
	w.cfg = &cfg.witnesses[0];
	w.fd = -1;
	ck_assert_int_eq(pthread_create(&srv, NULL, canned_main, &cn), 0);
}

static void
done(void)
{
	witness_disconnect(&w);
	pthread_join(srv, NULL);
	close(cn.lfd);
}

static int
post(char **out, char *ctype, const char **why)
{
	return witness_post(&w, "old 0\n\nx\n", 9, out, ctype, 128, why);
}

START_TEST(witness_post_reuses_a_kept_connection)
{
	char *out, ct[128];
	const char *why;

	serve("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n\xe2\x80\x94 a\n",
	    "HTTP/1.1 409 Conflict\r\nContent-Type: text/x.tlog.size\r\nContent-Length: 3\r\n\r\n12\n",
	    NULL, 0);
	ck_assert_int_eq(post(&out, ct, &why), 200);
	ck_assert_str_eq(out, "\xe2\x80\x94 a\n");
	free(out);
	ck_assert_int_ne(w.fd, -1);
	ck_assert_int_eq(post(&out, ct, &why), 409);
	ck_assert_str_eq(ct, "text/x.tlog.size");
	ck_assert_str_eq(out, "12\n");
	free(out);
	done();
	ck_assert_int_eq(cn.requests, 2);
}
END_TEST

START_TEST(witness_post_retries_once_when_the_kept_connection_was_closed)
{
	char *out, ct[128];
	const char *why;

	serve("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok2", NULL, 1);
	ck_assert_int_eq(post(&out, ct, &why), 200);
	free(out);
	usleep(100000);
	ck_assert_int_eq(post(&out, ct, &why), 200);
	ck_assert_str_eq(out, "ok2");
	free(out);
	done();
}
END_TEST

START_TEST(witness_post_refuses_hostile_answers)
{
	static const char *bad[] = {
		"SSH-2.0-OpenSSH\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"SILENCE",
	};
	char *out, ct[128];
	const char *why;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		serve(bad[i], NULL, NULL, 1);
		ck_assert_msg(post(&out, ct, &why) == -1, "answer %zu taken", i);
		ck_assert_ptr_null(out);
		ck_assert_int_eq(w.fd, -1);
		done();
	}
}
END_TEST

START_TEST(witness_post_fails_cleanly_when_nobody_listens)
{
	char *out, ct[128];
	const char *why = NULL;

	serve(NULL, NULL, NULL, 0);
	close(cn.lfd);                     /* the port is free again: refused */
	cn.lfd = -1;
	ck_assert_int_eq(post(&out, ct, &why), -1);
	ck_assert_str_eq(why, "cannot connect");
	pthread_join(srv, NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("witness");
	TCase *tc = tcase_create("http");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, witness_post_reuses_a_kept_connection);
	tcase_add_test(tc, witness_post_retries_once_when_the_kept_connection_was_closed);
	tcase_add_test(tc, witness_post_refuses_hostile_answers);
	tcase_add_test(tc, witness_post_fails_cleanly_when_nobody_listens);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
