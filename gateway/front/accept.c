/*
 * front/accept.c: the acceptor thread.
 *
 * Accepts connections on the intake listener and runs their TLS handshakes
 * on a libevent loop of its own. The public-key work of a full handshake is
 * most of a new connection's CPU; here it runs beside the loop thread, which
 * goes on with requests, bodies and answers meanwhile. A connection whose
 * handshake has completed is handed to the loop thread (conn_adopt), which
 * checks the certificate's verification result, and is the only thread to
 * touch the connection from then on. A failed handshake is logged and
 * closed here; none ever reaches HTTP.
 *
 * The handshake has an absolute deadline (handshake_timeout): a client that
 * dribbles a byte at a time never resets it. Handshakes in progress have a
 * budget of their own (max_handshakes), apart from max_connections, which
 * counts authenticated connections only: connections that never send a
 * byte cannot lock out a Party, whose connections already open are never
 * touched. When the budget is full, the oldest handshake in progress is
 * closed for the new one; one source address (an IPv6 /64) may hold at
 * most max_handshakes_address of them, beyond which its own oldest goes.
 * A real client's handshake takes milliseconds, so the oldest are the idle.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/log.h"
#include "front/front.h"

#define ADDR_KEY_LEN 8  /* bytes of the source address that name a source: an
                           IPv4 address, or an IPv6 /64 (one site's hosts) */

struct handshake {
	struct acceptor  *acc;
	TAILQ_ENTRY(handshake) live;   /* in progress, oldest first (acceptor thread) */
	struct handshake *next;        /* completed, for the loop thread */
	int               fd;
	SSL              *ssl;
	struct runtime   *rt;          /* the TLS context's runtime (a reference) */
	struct event     *ev;
	struct timespec   deadline;    /* CLOCK_MONOTONIC */
	char              peer[64];
	unsigned char     addr[ADDR_KEY_LEN];   /* source, for max_handshakes_address */
};

struct acceptor {
	struct front          *front;
	struct event_base     *base;       /* the acceptor thread's own loop */
	struct evconnlistener *listener;
	TAILQ_HEAD(, handshake) live;      /* handshakes in progress, oldest first */
	unsigned               nlive;      /* their number (max_handshakes) */
	pthread_t              thread;
	int                    running;
	/* completed handshakes for the loop thread */
	pthread_mutex_t        mtx;
	struct handshake      *done, **done_tail;   /* oldest first */
	struct event          *ev_done;    /* on the front's base */
};

static void handshake_step(evutil_socket_t fd, short what, void *arg);

/* Closes a connection that never reached the loop thread. */
static void
handshake_free(struct handshake *h)
{
	struct front *f = h->acc->front;

	if (h->ev)
		event_free(h->ev);
	if (h->ssl)
		SSL_free(h->ssl);
	if (h->fd != -1)
		close(h->fd);
	runtime_unref(h->rt);
	free(h);
	atomic_fetch_sub(&f->nhandshakes, 1);
}

/* Takes a handshake in progress off the live list. */
static void
handshake_unlink(struct handshake *h)
{
	TAILQ_REMOVE(&h->acc->live, h, live);
	h->acc->nlive--;
}

static void
handshake_fail(struct handshake *h, const char *why)
{
	unsigned long e = ERR_get_error();
	char buf[160];

	if (why == NULL) {
		if (e)
			ERR_error_string_n(e, buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "closed");
		why = buf;
	}
	ERR_clear_error();
	h->acc->front->n_tls_fail++;
	log_info("TLS handshake with %s failed: %s", h->peer, why);
	handshake_unlink(h);
	handshake_free(h);
}

/* Waits for WHAT on the socket, at most until the deadline. */
static void
handshake_wait(struct handshake *h, short what)
{
	struct timespec now;
	struct timeval tv;
	long long ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (long long)(h->deadline.tv_sec - now.tv_sec) * 1000000000LL +
	    (h->deadline.tv_nsec - now.tv_nsec);
	if (ns <= 0) {
		handshake_fail(h, "handshake timeout");
		return;
	}
	tv.tv_sec = (time_t)(ns / 1000000000LL);
	tv.tv_usec = (suseconds_t)(ns % 1000000000LL / 1000);
	event_del(h->ev);
	event_assign(h->ev, h->acc->base, h->fd, what, handshake_step, h);
	event_add(h->ev, &tv);
}

/* The loop thread takes the completed handshakes. */
static void
acceptor_handoff(evutil_socket_t fd, short what, void *arg)
{
	struct acceptor *a = arg;
	struct handshake *h, *next;

	pthread_mutex_lock(&a->mtx);
	h = a->done;
	a->done = NULL;
	a->done_tail = &a->done;
	pthread_mutex_unlock(&a->mtx);
	for (; h; h = next) {
		next = h->next;
		conn_adopt(a->front, h->fd, h->ssl, h->rt, h->peer);
		free(h);
	}
}

static void
handshake_step(evutil_socket_t fd, short what, void *arg)
{
	struct handshake *h = arg;
	struct acceptor *a = h->acc;
	int r;

	if (what & EV_TIMEOUT) {
		handshake_fail(h, "handshake timeout");
		return;
	}
	ERR_clear_error();
	if ((r = SSL_do_handshake(h->ssl)) == 1) {
		handshake_unlink(h);
		atomic_fetch_sub(&a->front->nhandshakes, 1);   /* no longer in progress */
		event_free(h->ev);
		h->ev = NULL;
		pthread_mutex_lock(&a->mtx);
		*a->done_tail = h;
		a->done_tail = &h->next;
		pthread_mutex_unlock(&a->mtx);
		event_active(a->ev_done, EV_READ, 0);
		return;
	}
	switch (SSL_get_error(h->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		handshake_wait(h, EV_READ);
		break;
	case SSL_ERROR_WANT_WRITE:
		handshake_wait(h, EV_WRITE);
		break;
	default:
		handshake_fail(h, NULL);
		break;
	}
}

/* The source key of SA: an IPv4 address (also when a dual-stack listener
 * sees it as ::ffff:a.b.c.d), or an IPv6 /64. */
static void
acceptor_addr_key(const struct sockaddr *sa, unsigned char key[ADDR_KEY_LEN])
{
	const struct in6_addr *a6;

	memset(key, 0, ADDR_KEY_LEN);
	if (sa->sa_family == AF_INET)
		memcpy(key, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (sa->sa_family == AF_INET6) {
		a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6))
			memcpy(key, &a6->s6_addr[12], 4);
		else
			memcpy(key, a6->s6_addr, ADDR_KEY_LEN);
	}
}

/* Room for one more handshake from KEY: closes the oldest of that source
 * when it holds max_handshakes_address, else the oldest of all when the
 * budget is full. The list is at most max_handshakes long. */
static void
acceptor_make_room(struct acceptor *a, const unsigned char key[ADDR_KEY_LEN])
{
	const struct config *cfg = a->front->cfg;
	struct handshake *h, *victim = NULL;
	unsigned same = 0;

	TAILQ_FOREACH(h, &a->live, live)
		if (memcmp(h->addr, key, ADDR_KEY_LEN) == 0 && same++ == 0)
			victim = h;
	if (same < cfg->max_handshakes_address)
		victim = a->nlive >= cfg->max_handshakes ? TAILQ_FIRST(&a->live) : NULL;
	if (victim == NULL)
		return;
	atomic_fetch_add(&a->front->n_hs_evicted, 1);
	handshake_fail(victim, same >= cfg->max_handshakes_address ?
	    "closed for a newer one: max_handshakes_address reached" :
	    "closed for a newer one: max_handshakes reached");
}

static void
acceptor_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct acceptor *a = arg;
	struct front *f = a->front;
	struct handshake *h;
	unsigned char key[ADDR_KEY_LEN];
	int one = 1;

	f->n_connections++;
	/* Authenticated connections are full: a handshake would be wasted. */
	if (f->draining || atomic_load(&f->nconns) >= f->cfg->max_connections) {
		close(fd);
		return;
	}
	acceptor_addr_key(sa, key);
	acceptor_make_room(a, key);
	/* Answers are small and must not wait for the client's delayed ACK
	 * (Nagle): that alone cost ~40 ms per keep-alive request. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		close(fd);
		return;
	}
	atomic_fetch_add(&f->nhandshakes, 1);
	h->acc = a;
	h->fd = fd;
	memcpy(h->addr, key, ADDR_KEY_LEN);
	h->rt = front_runtime(f);
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, h->peer, sizeof(h->peer));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, h->peer, sizeof(h->peer));
	if ((h->ssl = SSL_new(h->rt->tls)) == NULL || SSL_set_fd(h->ssl, fd) != 1 ||
	    (h->ev = event_new(a->base, fd, EV_READ, handshake_step, h)) == NULL) {
		log_warnx("%s: out of memory for a connection from %s", __func__, h->peer);
		ERR_clear_error();
		handshake_free(h);
		return;
	}
	SSL_set_accept_state(h->ssl);
	clock_gettime(CLOCK_MONOTONIC, &h->deadline);
	h->deadline.tv_sec += f->cfg->handshake_timeout;
	TAILQ_INSERT_TAIL(&a->live, h, live);
	a->nlive++;
	/* The ClientHello is usually not here yet: wait for it. */
	handshake_wait(h, EV_READ);
}

static void
acceptor_error(struct evconnlistener *l, void *arg)
{
	log_warn("accept");
}

static void *
acceptor_main(void *arg)
{
	struct acceptor *a = arg;

	pthread_setname_np(pthread_self(), "intaked-accept");
	event_base_dispatch(a->base);
	return NULL;
}

struct acceptor *
acceptor_start(struct front *f, int listener, char *err, size_t errlen)
{
	struct acceptor *a;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->front = f;
	a->done_tail = &a->done;
	TAILQ_INIT(&a->live);
	pthread_mutex_init(&a->mtx, NULL);
	if ((a->base = event_base_new()) == NULL ||
	    (a->ev_done = event_new(f->base, -1, 0, acceptor_handoff, a)) == NULL) {
		snprintf(err, errlen, "event_base_new failed");
		acceptor_free(a);
		return NULL;
	}
	/* already listening: opened by the parent (backlog 0: no listen()) */
	a->listener = evconnlistener_new(a->base, acceptor_accept, a,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, listener);
	if (a->listener == NULL) {
		snprintf(err, errlen, "listen %s:%s: %s", f->cfg->listen_host,
		    f->cfg->listen_port, strerror(errno));
		acceptor_free(a);
		return NULL;
	}
	evconnlistener_set_error_cb(a->listener, acceptor_error);
	if (pthread_create(&a->thread, NULL, acceptor_main, a) != 0) {
		snprintf(err, errlen, "cannot start the acceptor thread");
		acceptor_free(a);
		return NULL;
	}
	a->running = 1;
	return a;
}

/* Stops accepting and closes the handshakes in progress; connections
 * already handed over stay with the loop thread. Loop thread only. */
void
acceptor_free(struct acceptor *a)
{
	struct handshake *h;

	if (a == NULL)
		return;
	if (a->running) {
		event_base_loopbreak(a->base);
		pthread_join(a->thread, NULL);
		a->running = 0;
	}
	if (a->listener)
		evconnlistener_free(a->listener);
	while ((h = TAILQ_FIRST(&a->live)) != NULL) {
		handshake_unlink(h);
		handshake_free(h);
	}
	/* Completed, not yet taken: the loop thread takes them now. */
	if (a->ev_done) {
		acceptor_handoff(-1, 0, a);
		event_free(a->ev_done);
	}
	if (a->base)
		event_base_free(a->base);
	pthread_mutex_destroy(&a->mtx);
	free(a);
}
