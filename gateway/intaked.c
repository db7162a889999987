/*
 * intaked: the Evidence Intake Gateway daemon.
 *
 *   intaked -c FILE      run in the foreground, log to stderr
 *   intaked -t -c FILE   check the configuration, policy and parties files
 *   intaked -I USER:UID:GID
 *                        internal, not for operators: an inspector process,
 *                        started by the daemon itself with its socket on fd 3
 *                        (inspect/serve.c); it reads no configuration
 *
 * The parent sets up, in lifecycle order: configuration, the notary (ledger,
 * signing key, start-up recovery), the inspector workers and their
 * processes (running as [server] user when started as root), the read-only
 * ledger for the API, TLS, the listeners (the intake listener on its
 * acceptor thread, front/accept.c), then runs the loop. SIGHUP
 * reloads policy, parties and the TLS context (CRL); a bad file is refused
 * with a log line and the old one stays. SIGTERM stops accepting, lets
 * uploads in flight finish up to a grace time, commits and exits 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <openssl/ssl.h>
#include <sodium.h>

#include "common/config.h"
#include "common/log.h"
#include "front/front.h"
#include "inspect/serve.h"
#include "notary/ledger.h"
#include "notary/notary.h"

static void
usage(void)
{
	fprintf(stderr, "usage: intaked [-d] [-t] -c FILE\n");
	exit(2);
}

/* -t: everything a start would load, without listening or writing. */
static int
check_config(const char *file)
{
	struct config cfg;
	struct policy *policy = NULL;
	struct parties *parties = NULL;
	char err[CONFIG_ERR_MAX];
	SSL_CTX *ctx;

	if (config_load(file, &cfg, err, sizeof(err)) == -1 ||
	    policy_load(cfg.policy_file, &policy, err, sizeof(err)) == -1 ||
	    parties_load(cfg.parties_file, &parties, err, sizeof(err)) == -1) {
		fprintf(stderr, "intaked: %s\n", err);
		policy_free(policy);
		return 1;
	}
	if ((ctx = tls_ctx_new(&cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "intaked: %s: [tls]: %s\n", file, err);
		policy_free(policy);
		parties_free(parties);
		return 1;
	}
	SSL_CTX_free(ctx);
	policy_free(policy);
	parties_free(parties);
	printf("intaked: %s: configuration OK\n", file);
	return 0;
}

struct daemon {
	struct config cfg;
	struct front  front;
	struct event *ev_hup, *ev_term, *ev_int;
};

static void
on_sighup(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	struct runtime *rt;
	char err[CONFIG_ERR_MAX];

	if ((rt = runtime_load(&d->cfg, err, sizeof(err))) == NULL) {
		log_warnx("reload refused, keeping the running policy and parties: %s", err);
		return;
	}
	front_set_runtime(&d->front, rt);
	log_info("reloaded policy, parties and TLS (%zu kinds, %zu parties)",
	    rt->policy->nkinds, rt->parties->n);
}

static void
on_sigterm(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	log_info("signal %d: draining", (int)sig);
	front_drain(&d->front);
}

int
main(int argc, char *argv[])
{
	static struct daemon d;
	const char *file = NULL;
	char err[CONFIG_ERR_MAX];
	int ch, test = 0, debug = 0;
	struct front *f = &d.front;

	while ((ch = getopt(argc, argv, "c:dI:t")) != -1) {
		switch (ch) {
		case 'c': file = optarg; break;
		case 'd': debug = 1; break;
		case 'I': inspect_serve(optarg);  /* never returns */
		case 't': test = 1; break;
		default: usage();
		}
	}
	if (file == NULL || optind != argc)
		usage();
	log_init("intaked", debug);
	if (test)
		return check_config(file);

	signal(SIGPIPE, SIG_IGN);
	umask(077);
	if (sodium_init() < 0)
		fatalx("libsodium init failed");
	if (evthread_use_pthreads() != 0)
		fatalx("libevent threads");
	if (config_load(file, &d.cfg, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if ((f->rt = runtime_load(&d.cfg, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	f->cfg = &d.cfg;
	pthread_mutex_init(&f->rt_mtx, NULL);
	if ((f->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if ((f->notary = notary_open(&d.cfg, err, sizeof(err))) == NULL)
		fatalx("notary: %s", err);
	if ((f->ledger = ledger_open(d.cfg.data, 0, err, sizeof(err))) == NULL)
		fatalx("ledger: %s", err);
	if ((f->pipeline = pipeline_new(f->base, f->notary, d.cfg.workers, d.cfg.user,
	    err, sizeof(err))) == NULL)
		fatalx("pipeline: %s", err);
	if (front_start(f, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (admin_start(f, err, sizeof(err)) == -1)
		fatalx("%s", err);
	d.ev_hup = evsignal_new(f->base, SIGHUP, on_sighup, &d);
	d.ev_term = evsignal_new(f->base, SIGTERM, on_sigterm, &d);
	d.ev_int = evsignal_new(f->base, SIGINT, on_sigterm, &d);
	evsignal_add(d.ev_hup, NULL);
	evsignal_add(d.ev_term, NULL);
	evsignal_add(d.ev_int, NULL);
	log_info("listening on %s:%s (admin %s%s%s), origin %s, log key %s",
	    d.cfg.listen_host, d.cfg.listen_port, d.cfg.admin_host,
	    d.cfg.admin_host[0] ? ":" : "none", d.cfg.admin_port, d.cfg.log_origin,
	    notary_vkey(f->notary));

	event_base_dispatch(f->base);

	/* Drained: uploads in flight are answered; finish what is queued. */
	front_free(f);
	pipeline_free(f->pipeline);
	notary_close(f->notary);
	ledger_close(f->ledger);
	if (f->admin)
		evhttp_free(f->admin);
	event_free(d.ev_hup);
	event_free(d.ev_term);
	event_free(d.ev_int);
	runtime_unref(f->rt);
	event_base_free(f->base);
	log_info("stopped");
	return 0;
}
