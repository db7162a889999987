/*
 * intaked: the Evidence Intake Gateway daemon.
 *
 *   intaked -c FILE      run in the foreground, log to stderr
 *   intaked -t -c FILE   check the configuration, policy and parties files
 *   intaked -I USER:UID:GID
 *                        internal, not for operators: an inspector process,
 *                        started by the front with its socket on fd 3
 *                        (inspect/serve.c); it reads no configuration
 *
 * The daemon is four kinds of process (DESIGN §2), listed in procs[]:
 *
 *   intaked          the parent: reads the configuration, forks the others
 *                    (before it has a thread or an event loop), relays
 *                    SIGHUP (front and notary) and SIGTERM (front, which
 *                    drains; the notary then finishes its queue at the
 *                    front's end of their socket), and waits. A child that
 *                    ends otherwise brings the whole daemon down with a
 *                    log line and status 1 (systemd restarts it; start-up
 *                    recovery exists). It never parses network input and
 *                    never reads the log key.
 *   intaked-notary   notary/monitor.c: the log key, the only writer of the
 *                    ledger and the store.
 *   intaked-front    front_main below: TLS key, the listeners the parent
 *                    opened (as root, before any drop), HTTP, quarantine,
 *                    read-only ledger, inspector processes; under seccomp.
 *   intaked-inspect  inspect/serve.c, started by the front.
 *
 * The front and the notary talk over one SOCK_SEQPACKET socketpair
 * (common/msg.h): MSG_RECORD with the quarantined file's descriptor and the
 * inspection's messages one way, MSG_READY, MSG_RECORDED and MSG_TEXT the
 * other. Started as root, both drop to [server] user with no_new_privs.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
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
#include "common/msg.h"
#include "common/proc.h"
#include "common/sdnotify.h"
#include "front/front.h"
#include "front/notaryc.h"
#include "front/tus.h"
#include "inspect/serve.h"
#include "notary/ledger.h"
#include "notary/monitor.h"

#define FRONT_COMM "intaked-front"
#define PARENT_BACKLOG 511   /* the intake and admin listeners' accept queues */

/* What a child of the parent is given: the configuration, its user, and
 * its end of the front–notary socketpair. */
struct child {
	const struct config    *cfg;
	const struct proc_user *user;
	int                     sock;
	int                     ready;   /* the front's end of the readiness pipe, else -1 */
	int                     listen;  /* the intake listener, opened by the parent */
	int                     admin;   /* the admin listener, -1 when none */
};

/* Readiness, front to parent: the front writes one byte when it serves
 * (READY_SERVING: listeners open, after the notary's recovery; again after a
 * reload) or kept its files at a refused reload (READY_KEPT). The parent,
 * the unit's main process, tells systemd (NotifyAccess=main). The read end
 * raises SIGIO, which the parent takes with its other signals. */
#define READY_SERVING 'R'
#define READY_KEPT    'K'
static int ready_pipe[2] = { -1, -1 };

static void	front_main(const struct child *c) __attribute__((noreturn));
static void	notary_main(const struct child *c) __attribute__((noreturn));

/* The processes the parent forks, in the order it forks them: the notary
 * first, whose recovery the front waits for (MSG_READY). */
enum proc_id { PROC_NOTARY, PROC_FRONT, PROC_MAX };
static struct {
	const char   *name;
	enum proc_id  id;
	void        (*main)(const struct child *);
	int           end;        /* which end of the socketpair it keeps */
	pid_t         pid;
} procs[PROC_MAX] = {
	{ NOTARY_COMM, PROC_NOTARY, notary_main, 1, -1 },
	{ FRONT_COMM,  PROC_FRONT,  front_main,  0, -1 },
};

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

static int front_ready_fd = -1;

/* Tells the parent the front serves (see ready_pipe). */
static void
front_ready(char what)
{
	if (front_ready_fd != -1 && write(front_ready_fd, &what, 1) != 1)
		log_warn("%s", __func__);
}

static void
on_sighup(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	struct runtime *rt;
	char err[CONFIG_ERR_MAX];

	if ((rt = runtime_load(&d->cfg, err, sizeof(err))) == NULL) {
		log_warnx("reload refused, keeping the running policy and parties: %s", err);
		front_ready(READY_KEPT);
		return;
	}
	front_set_runtime(&d->front, rt);
	log_info("reloaded policy, parties and TLS (%zu kinds, %zu parties)",
	    rt->policy->nkinds, rt->parties->n);
	front_ready(READY_SERVING);
}

static void
on_sigterm(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	log_info("signal %d: draining", (int)sig);
	front_drain(&d->front);
}

static void
notary_main(const struct child *c)
{
	log_init(NOTARY_COMM);
	notary_serve(c->sock, c->cfg, c->user);
}

/*
 * The front: loads its TLS context (as root, the key may be root's), waits
 * for the notary's recovery, drops to the user, opens the ledger read-only,
 * starts the inspectors, the notary's reader and the listeners, confines
 * itself and runs the loop. SIGTERM drains; at the end the notary socket
 * closes and the notary finishes.
 */
/*
 * The front's loop. Its epoll changes are collected and made once per loop
 * turn (libevent's changelist): an answer used to cost each connection an
 * EPOLL_CTL_DEL, ADD and MOD in one turn, which the changelist folds into
 * one call. The caveat libevent documents (a descriptor dup()ed, then one
 * of the two closed) does not arise: the front never duplicates a
 * descriptor it watches.
 */
static struct event_base *
front_event_base(void)
{
	struct event_config *ec;
	struct event_base *base;

	if ((ec = event_config_new()) == NULL)
		return NULL;
	event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(ec);
	event_config_free(ec);
	return base;
}

static void
front_main(const struct child *c)
{
	static struct daemon d;
	struct front *f = &d.front;
	struct proc_limits lim = {
		.nofile = PROC_KEEP, .nproc = PROC_KEEP, .fsize = PROC_KEEP, .core = 0,
	};
	char err[CONFIG_ERR_MAX], vkey[MSG_VKEY_MAX];
	uint64_t size;
	pid_t parent = getppid();

	log_init(FRONT_COMM);
	front_ready_fd = c->ready;
	d.cfg = *c->cfg;
	if (evthread_use_pthreads() != 0)
		fatalx("libevent threads");
	if ((f->rt = runtime_load(&d.cfg, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	f->cfg = &d.cfg;
	pthread_mutex_init(&f->rt_mtx, NULL);
	if ((f->notary = notaryc_open(c->sock, vkey, &size, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		_exit(1);
	}
	f->log_size = size;
	if (proc_drop(c->user, FRONT_COMM, &lim, err, sizeof(err)) == -1)
		fatalx("%s", err);
	/* The front creates each quarantine file with the store's blob mode,
	 * 0444 (store_open_quarantine: only the descriptor returned writes
	 * it), so that the notary renames it into the store as it is. The
	 * daemon's umask, 077, made it 0400 and cost the notary's batch a chmod
	 * per upload. Every other file or directory the front creates names
	 * its own mode (0600 resumable uploads, 0700 directories), which 022
	 * leaves whole; the inspectors it starts create nothing. */
	umask(022);
	/* the parent gone, the front drains and goes too (set after the
	 * drop: a change of credentials clears it) */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) == -1 || getppid() != parent)
		fatalx("the parent is gone");
	if ((f->base = front_event_base()) == NULL)
		fatalx("event_base_new");
	/* PostgreSQL: connected here, before the front's seccomp filter; queries
	 * on it need only send/recv/poll, which the filter allows. A lost
	 * connection ends the front (db_pg.c), and with it the daemon. */
	if ((f->ledger = ledger_open_dsn(d.cfg.data, config_ledger_dsn(&d.cfg), 0, err,
	    sizeof(err))) == NULL)
		fatalx("ledger: %s", err);
	/* with witnesses, only checkpoints with the quorum are served and proven */
	if (d.cfg.witness_quorum > 0 && ledger_set_witnessed(f->ledger) == -1)
		fatalx("ledger: no published checkpoints table");
	if ((f->pipeline = pipeline_new(f->base, f->notary, d.cfg.workers, d.cfg.user,
	    err, sizeof(err))) == NULL)
		fatalx("pipeline: %s", err);
	if (notaryc_start(f->notary, f->base, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (d.cfg.scan_clamd[0] != '\0')
		pipeline_set_scan(f->pipeline, d.cfg.scan_clamd, d.cfg.scan_timeout);
	if (tus_init(f, err, sizeof(err)) == -1)
		fatalx("resumable uploads: %s", err);
	if (front_confine(d.cfg.scan_clamd[0] != '\0', err, sizeof(err)) == -1)
		fatalx("cannot confine the front: %s", err);
	if (front_start(f, c->listen, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (admin_start(f, c->admin, err, sizeof(err)) == -1)
		fatalx("%s", err);
	d.ev_hup = evsignal_new(f->base, SIGHUP, on_sighup, &d);
	d.ev_term = evsignal_new(f->base, SIGTERM, on_sigterm, &d);
	d.ev_int = evsignal_new(f->base, SIGINT, on_sigterm, &d);
	evsignal_add(d.ev_hup, NULL);
	evsignal_add(d.ev_term, NULL);
	evsignal_add(d.ev_int, NULL);
	log_info("listening on %s:%s (admin %s%s%s), origin %s, log key %s, %llu entries",
	    d.cfg.listen_host, d.cfg.listen_port, d.cfg.admin_host,
	    d.cfg.admin_host[0] ? ":" : "none", d.cfg.admin_port, d.cfg.log_origin,
	    vkey, (unsigned long long)size);
	/* listeners open, recovery done (MSG_READY came before): ready */
	front_ready(READY_SERVING);

	event_base_dispatch(f->base);

	/* Drained: uploads in flight are answered; finish what is queued. */
	front_free(f);
	tus_free(f);
	pipeline_free(f->pipeline);
	notaryc_close(f->notary);
	ledger_close(f->ledger);
	if (f->admin)
		evhttp_free(f->admin);
	event_free(d.ev_hup);
	event_free(d.ev_term);
	event_free(d.ev_int);
	runtime_unref(f->rt);
	event_base_free(f->base);
	log_info("stopped");
	exit(0);
}

/* A listening TCP socket on HOST:PORT (numeric port; the first address
 * HOST resolves to), close-on-exec and non-blocking. -1 with "HOST:PORT:
 * reason" in ERR. */
static int
parent_listen(const char *host, const char *port, char *err, size_t errlen)
{
	struct addrinfo hints = { 0 }, *ai = NULL;
	int fd, one = 1, rc;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "%s:%s: %s", host, port, gai_strerror(rc));
		return -1;
	}
	if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    ai->ai_protocol)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 || listen(fd, PARENT_BACKLOG) == -1) {
		snprintf(err, errlen, "%s:%s: %s", host, port, strerror(errno));
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* Forks procs[I] with its end of SV; the child never returns. */
static pid_t
parent_fork(int i, const struct child *tmpl, int sv[2])
{
	struct child c = *tmpl;
	sigset_t none;
	pid_t pid;

	if ((pid = fork()) == -1)
		fatal("fork %s", procs[i].name);
	if (pid != 0)
		return pid;
	close(sv[!procs[i].end]);
	c.sock = sv[procs[i].end];
	close(ready_pipe[0]);
	if (procs[i].id == PROC_FRONT) {
		c.ready = ready_pipe[1];
	} else {
		close(ready_pipe[1]);
		c.ready = -1;
		/* only the front holds the listeners */
		close(c.listen);
		if (c.admin != -1)
			close(c.admin);
		c.listen = c.admin = -1;
	}
	for (int j = 0; j < i; j++)
		procs[j].pid = -1;
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	procs[i].main(&c);
	_exit(1);	/* not reached */
}

static const char *
parent_name(pid_t pid)
{
	for (int i = 0; i < PROC_MAX; i++)
		if (procs[i].pid == pid)
			return procs[i].name;
	return NULL;
}

/* SIGIO: what the front wrote on the readiness pipe, told to systemd. */
static void
parent_ready(void)
{
	char buf[16];
	ssize_t n;
	const char *state;

	while ((n = read(ready_pipe[0], buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			state = buf[i] == READY_KEPT ?
			    "READY=1\nSTATUS=serving (reload refused: the running files are kept)" :
			    "READY=1\nSTATUS=serving";
			if (sdnotify(state) == -1)
				log_warn("NOTIFY_SOCKET");
		}
	}
}

/*
 * The parent's life after the forks: signals arrive blocked, one at a
 * time (sigwaitinfo), so nothing here runs in a handler.
 */
static int
parent_run(void)
{
	sigset_t set;
	siginfo_t si;
	int status, st, alive = PROC_MAX, stopping = 0, failed = 0, nended;
	struct { const char *name; pid_t pid; int status; } ended[PROC_MAX];
	const char *name;
	pid_t pid;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGIO);
	while (alive > 0) {
		if (sigwaitinfo(&set, &si) == -1) {
			if (errno == EINTR)
				continue;
			fatal("sigwaitinfo");
		}
		switch (si.si_signo) {
		case SIGIO:
			parent_ready();
			break;
		case SIGHUP:
			/* READY=1 follows from the front once it has reloaded */
			if (sdnotify("RELOADING=1") == -1)
				log_warn("NOTIFY_SOCKET");
			/* the notary first: a Party new to the front is known to
			 * the notary by the time it uploads */
			for (int i = 0; i < PROC_MAX; i++)
				if (procs[i].pid != -1)
					kill(procs[i].pid, SIGHUP);
			break;
		case SIGTERM:
		case SIGINT:
			if (!stopping && sdnotify("STOPPING=1") == -1)
				log_warn("NOTIFY_SOCKET");
			if (!stopping && procs[PROC_FRONT].pid != -1)
				kill(procs[PROC_FRONT].pid, SIGTERM);
			stopping = 1;
			break;
		case SIGCHLD:
			/* Every child that ended, then the cause first: one a signal
			 * ended, then one that failed, before one that ended cleanly
			 * because its peer went (the notary at the front's end). */
			nended = 0;
			while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
				if ((name = parent_name(pid)) == NULL)
					continue;
				for (int i = 0; i < PROC_MAX; i++)
					if (procs[i].pid == pid)
						procs[i].pid = -1;
				alive--;
				if (nended < PROC_MAX) {
					ended[nended].name = name;
					ended[nended].pid = pid;
					ended[nended].status = status;
					nended++;
				}
			}
			for (int rank = 2; rank >= 0; rank--) {
				for (int i = 0; i < nended; i++) {
					status = ended[i].status;
					st = WIFEXITED(status) ? WEXITSTATUS(status) :
					    128 + WTERMSIG(status);
					if ((WIFSIGNALED(status) ? 2 : st != 0 ? 1 : 0) != rank)
						continue;
					if (st == 0 && stopping)
						continue;
					if (!failed) {
						if (WIFSIGNALED(status))
							log_warnx("%s (%d) ended by signal %d: stopping "
							    "the daemon", ended[i].name, (int)ended[i].pid,
							    WTERMSIG(status));
						else
							log_warnx("%s (%d) exited with status %d: "
							    "stopping the daemon", ended[i].name,
							    (int)ended[i].pid, st);
					}
					failed = 1;
					/* the front drains at SIGTERM; the notary ends at
					 * the front's end of their socket */
					if (procs[PROC_FRONT].pid != -1)
						kill(procs[PROC_FRONT].pid, SIGTERM);
					stopping = 1;
				}
			}
			break;
		}
	}
	return failed ? 1 : 0;
}

int
main(int argc, char *argv[])
{
	static struct config cfg;
	struct proc_user user;
	struct child c;
	const char *file = NULL;
	char err[CONFIG_ERR_MAX];
	int ch, test = 0, sv[2], rc;
	sigset_t set;

	proc_malloc_tune();
	while ((ch = getopt(argc, argv, "c:dI:t")) != -1) {
		switch (ch) {
		case 'c': file = optarg; break;
		case 'd': break;   /* accepted; there are no debugging messages */
		case 'I': inspect_serve(optarg);  /* never returns */
		case 't': test = 1; break;
		default: usage();
		}
	}
	if (file == NULL || optind != argc)
		usage();
	log_init("intaked");
	if (test)
		return check_config(file);

	signal(SIGPIPE, SIG_IGN);
	umask(077);
	if (sodium_init() < 0)
		fatalx("libsodium init failed");
	if (config_load(file, &cfg, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (proc_user_lookup(cfg.user, &user, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (msg_socketpair(sv) == -1)
		fatal("socketpair");
	/* every signal the parent handles waits for sigwaitinfo, from before
	 * the first fork so that none is lost */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGIO);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (pipe2(ready_pipe, O_CLOEXEC) == -1 ||
	    fcntl(ready_pipe[0], F_SETOWN, getpid()) == -1 ||
	    fcntl(ready_pipe[0], F_SETFL, O_NONBLOCK | O_ASYNC) == -1)
		fatal("readiness pipe");
	c.cfg = &cfg;
	c.user = &user;
	c.sock = -1;
	c.ready = -1;
	/* The listeners are the parent's to open, as root (a port under 1024),
	 * before any child drops its privileges; the front inherits them. */
	if ((c.listen = parent_listen(cfg.listen_host, cfg.listen_port, err, sizeof(err))) == -1)
		fatalx("listen %s", err);
	c.admin = -1;
	if (cfg.admin_host[0] != '\0' &&
	    (c.admin = parent_listen(cfg.admin_host, cfg.admin_port, err, sizeof(err))) == -1)
		fatalx("admin %s", err);
	for (int i = 0; i < PROC_MAX; i++)
		procs[i].pid = parent_fork(i, &c, sv);
	close(c.listen);
	if (c.admin != -1)
		close(c.admin);
	close(sv[0]);
	close(sv[1]);
	close(ready_pipe[1]);
	rc = parent_run();
	log_info("stopped%s", rc ? " after a child failed" : "");
	return rc;
}
