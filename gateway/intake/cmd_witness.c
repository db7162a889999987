/*
 * intake/cmd_witness.c: `intake witness --key KEYFILE --log VKEY [--log VKEY]...
 * --state FILE --listen ADDR` (DESIGN §3), a C2SP tlog-witness.
 *
 * Serves POST /add-checkpoint over plain HTTP (libevent's evhttp): the body
 * is "old N\n", up to 63 base64 consistency-proof lines, a blank line and a
 * checkpoint note. It cosigns (C2SP tlog-cosignature/v1, intake/cosig.h) a
 * checkpoint only when it is signed by a configured log key of its origin
 * and consistent (RFC 6962) with the latest one it cosigned for that origin,
 * and answers as the spec says:
 *   400 a malformed request, or old > size;      404 an origin it has no key for;
 *   403 no valid signature by a key of that origin;
 *   409 old is not the size it cosigned last (body "SIZE\n", text/x.tlog.size),
 *       or the same size with another root;      422 a consistency proof that fails;
 *   200 "— NAME BASE64\n", after the new state is on disk.
 * Every refusal of a request signed by a known log is logged on stderr with
 * the origin, sizes and roots: it may be evidence that the log misbehaved.
 *
 * State FILE: one JSON object, {"<origin>": {"size": N, "root": "<base64>"}},
 * the latest cosigned size and root per origin ("root" is "" only for size
 * 0); replaced atomically (temporary file, fsync, rename, directory fsync)
 * before each 200. A missing FILE is an empty state; a malformed one stops
 * the witness at start, since cosigning from a guessed state could sign a fork.
 * Requests are handled one at a time on one thread, so the check of the old
 * size and the saving of the new one cannot interleave (the spec's race).
 * Runs as the user, on loopback or behind a proxy. Trusts the key and the
 * log keys it is given; nothing in a request. Must never: cosign a
 * checkpoint it has not verified, answer 200 before the state is durable,
 * roll its state back, or crash on any input (the body is capped, the
 * connection timed out).
 */
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "intake/cosig.h"
#include "intake/receipt.h"
#include "lib/util.h"
#include "cli.h"
#include "cmds.h"

#define WITNESS_USAGE \
	"usage: intake witness --key KEYFILE --log VKEY [--log VKEY]... --state FILE --listen ADDR\n"
#define WITNESS_LOGS_MAX    64            /* --log keys */
#define WITNESS_KEYFILE_MAX 4096          /* a private key file: one short line */
#define WITNESS_STATE_MAX   (1u << 20)    /* the state file */
#define WITNESS_BODY_MAX    (64u << 10)   /* a request: 63 proof lines and a note */
#define WITNESS_HEADERS_MAX (8u << 10)    /* a request's headers */
#define WITNESS_TIMEOUT     10            /* seconds for a request to arrive */
#define WITNESS_PROOF_MAX   63            /* proof lines the spec allows */
#define WITNESS_HASH_B64    44            /* base64 of a 32-byte hash */
#define WITNESS_U64_DIGITS  20

struct witness_log {
	const char             *origin;  /* the key's name, owned by v */
	struct intake_verifier *v;
};

struct witness {
	struct intake_cosigner *c;
	struct witness_log      logs[WITNESS_LOGS_MAX];
	size_t                  nlogs;
	const char             *statepath;
	json_t                 *state;   /* {origin: {size, root}} as on disk */
	struct event_base      *base;
};

/* A parsed add-checkpoint request; pointers into the request's body. */
struct witness_req {
	uint64_t    old;
	intake_hash proof[WITNESS_PROOF_MAX];
	size_t      nproof;
	const char *note;      /* the checkpoint note */
	size_t      notelen;
	char        origin[INTAKE_ORIGIN_MAX + 1];
};

/* The stored (size, root) of ORIGIN: 0 and *HAVEROOT = 0 when none. */
static uint64_t
witness_stored(const struct witness *w, const char *origin, uint8_t root[INTAKE_HASH_LEN],
    int *haveroot)
{
	json_t *o = json_object_get(w->state, origin);
	const char *r;

	*haveroot = 0;
	if (o == NULL)
		return 0;
	r = json_string_value(json_object_get(o, "root"));
	if (r != NULL && util_unb64(r, strlen(r), root, INTAKE_HASH_LEN) == INTAKE_HASH_LEN)
		*haveroot = 1;
	return (uint64_t)json_integer_value(json_object_get(o, "size"));
}

/* A canonical decimal (no sign, no leading zero but "0") of S, LEN bytes. 0/-1. */
static int
witness_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > WITNESS_U64_DIGITS || (s[0] == '0' && len > 1))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * Loads and checks the state file: an object of objects {"size": N >= 0,
 * "root": base64 hash, or "" with size 0}. A missing file is an empty state.
 * 0/-1 with a reason on stderr.
 */
static int
witness_load(struct witness *w)
{
	json_error_t jerr;
	const char *origin;
	json_t *o, *size, *root;
	uint8_t h[INTAKE_HASH_LEN];
	char *buf;
	size_t len;

	if ((buf = cli_slurp(w->statepath, WITNESS_STATE_MAX, CLI_SLURP_NOFOLLOW, &len)) == NULL) {
		if (errno != ENOENT) {
			cli_fail("witness", "cannot read the state %s: %s", w->statepath,
			    errno == EFBIG ? "too large" : errno == EINVAL ?
			    "not a regular file" : strerror(errno));
			return -1;
		}
		fprintf(stderr, "intake witness: no state %s yet: nothing cosigned so far\n",
		    w->statepath);
		w->state = json_object();
		return w->state != NULL ? 0 : -1;
	}
	w->state = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (w->state == NULL || !json_is_object(w->state))
		goto bad;
	json_object_foreach(w->state, origin, o) {
		size = json_object_get(o, "size");
		root = json_object_get(o, "root");
		if (!json_is_object(o) || !json_is_integer(size) || json_integer_value(size) < 0 ||
		    !json_is_string(root) || json_object_size(o) != 2)
			goto bad;
		if (json_string_length(root) == 0 ? json_integer_value(size) != 0 :
		    util_unb64(json_string_value(root), json_string_length(root), h,
		    sizeof(h)) != INTAKE_HASH_LEN)
			goto bad;
	}
	return 0;
bad:
	cli_fail("witness", "the state %s is not a witness state ({\"origin\": {\"size\": N, "
	    "\"root\": \"base64\"}}); refusing to start from a guess", w->statepath);
	return -1;
}

/* Records (SIZE, ROOT) for ORIGIN and makes it durable; on failure the
 * state is left as it was, in memory and on disk. 0/-1. */
static int
witness_save(struct witness *w, const char *origin, uint64_t size,
    const uint8_t root[INTAKE_HASH_LEN])
{
	char b64[WITNESS_HASH_B64 + 1], *text = NULL;
	json_t *prev, *o;
	int rc = -1;

	util_b64(root, INTAKE_HASH_LEN, b64);
	if ((o = json_pack("{s:I,s:s}", "size", (json_int_t)size, "root", b64)) == NULL)
		return -1;
	prev = json_incref(json_object_get(w->state, origin));
	if (json_object_set_new(w->state, origin, o) == -1)
		goto out;
	if ((text = json_dumps(w->state, JSON_SORT_KEYS | JSON_COMPACT)) != NULL &&
	    cli_replace(w->statepath, text, strlen(text), 0644) == 0)
		rc = 0;
	else
		fprintf(stderr, "intake witness: cannot save the state %s: %s\n",
		    w->statepath, strerror(errno));
	if (rc == -1) {
		if (prev != NULL)
			json_object_set(w->state, origin, prev);
		else
			json_object_del(w->state, origin);
	}
out:
	json_decref(prev);
	free(text);
	return rc;
}

/* Sends CODE with a one-line plain text BODY (a reason or a size). */
static void
witness_reply(struct evhttp_request *req, int code, const char *ctype, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void
witness_reply(struct evhttp_request *req, int code, const char *ctype, const char *fmt, ...)
{
	struct evbuffer *b = evbuffer_new();
	va_list ap;

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ctype);
	if (b != NULL) {
		va_start(ap, fmt);
		evbuffer_add_vprintf(b, fmt, ap);
		va_end(ap);
	}
	evhttp_send_reply(req, code, NULL, b);
	if (b != NULL)
		evbuffer_free(b);
}

#define TEXT_PLAIN "text/plain; charset=utf-8"

/*
 * Parses BODY (LEN bytes): "old N\n", proof lines, "\n", the note; the
 * note's first line is its origin. 0, or -1 with a reason in WHY.
 */
static int
witness_parse(const char *body, size_t len, struct witness_req *r, const char **why)
{
	const char *p = body, *end = body + len, *nl;
	size_t olen;

	if (len < 5 || memcmp(body, "old ", 4) != 0 ||
	    (nl = memchr(body, '\n', len)) == NULL ||
	    witness_u64(body + 4, (size_t)(nl - body - 4), &r->old) == -1) {
		*why = "the body does not start with \"old N\"";
		return -1;
	}
	r->nproof = 0;
	for (p = nl + 1; ; p = nl + 1) {
		if (p >= end || (nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			*why = "no blank line before the checkpoint";
			return -1;
		}
		if (nl == p)
			break;  /* the blank line */
		if (r->nproof == WITNESS_PROOF_MAX) {
			*why = "more than 63 consistency proof lines";
			return -1;
		}
		if ((size_t)(nl - p) != WITNESS_HASH_B64 || util_unb64(p, WITNESS_HASH_B64,
		    r->proof[r->nproof], INTAKE_HASH_LEN) != INTAKE_HASH_LEN) {
			*why = "a consistency proof line is not a base64 hash";
			return -1;
		}
		r->nproof++;
	}
	r->note = nl + 1;
	r->notelen = (size_t)(end - r->note);
	if ((nl = memchr(r->note, '\n', r->notelen)) == NULL ||
	    (olen = (size_t)(nl - r->note)) == 0 || olen > INTAKE_ORIGIN_MAX ||
	    memchr(r->note, '\0', olen) != NULL) {
		*why = "no checkpoint origin line";
		return -1;
	}
	memcpy(r->origin, r->note, olen);
	r->origin[olen] = '\0';
	return 0;
}

/* A printable, bounded copy of an origin for the log. */
static const char *
witness_safe(const char *s, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < outlen; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[i] = '\0';
	return out;
}

static void
witness_add(struct evhttp_request *req, void *arg)
{
	struct witness *w = arg;
	struct witness_req r;
	struct intake_checkpoint cp;
	struct evbuffer *in;
	const char *why = NULL;
	char *body = NULL, *line = NULL, safe[80], rb[WITNESS_HASH_B64 + 1], sb[WITNESS_HASH_B64 + 1];
	uint8_t sroot[INTAKE_HASH_LEN];
	size_t len, textlen = 0, i, known = 0;
	uint64_t ssize;
	int haveroot, signedok = 0;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
		witness_reply(req, 405, TEXT_PLAIN, "POST only\n");
		return;
	}
	in = evhttp_request_get_input_buffer(req);
	len = evbuffer_get_length(in);
	if (len > WITNESS_BODY_MAX || (body = malloc(len + 1)) == NULL ||
	    evbuffer_remove(in, body, len) != (int)len) {
		witness_reply(req, 413, TEXT_PLAIN, "request too large\n");
		goto out;
	}
	body[len] = '\0';
	if (witness_parse(body, len, &r, &why) == -1) {
		witness_reply(req, 400, TEXT_PLAIN, "%s\n", why);
		goto out;
	}
	witness_safe(r.origin, safe, sizeof(safe));
	/* 404 for an origin without a key, 403 when no key of it signed */
	for (i = 0; i < w->nlogs; i++) {
		if (strcmp(w->logs[i].origin, r.origin) != 0)
			continue;
		known++;
		if (intake_note_open(w->logs[i].v, r.note, r.notelen, &textlen) == 0) {
			signedok = 1;
			break;
		}
	}
	if (known == 0) {
		fprintf(stderr, "intake witness: refused (404): unknown origin \"%s\"\n", safe);
		witness_reply(req, 404, TEXT_PLAIN, "unknown log origin\n");
		goto out;
	}
	if (!signedok) {
		fprintf(stderr, "intake witness: refused (403): origin \"%s\": no valid "
		    "signature by its log key\n", safe);
		witness_reply(req, 403, TEXT_PLAIN, "no valid signature by a known log key\n");
		goto out;
	}
	if (intake_checkpoint_parse(r.note, textlen, &cp) == -1 || strcmp(cp.origin, r.origin) != 0) {
		fprintf(stderr, "intake witness: refused (400): origin \"%s\": a signed note that "
		    "is not a checkpoint\n", safe);
		witness_reply(req, 400, TEXT_PLAIN, "not a checkpoint\n");
		goto out;
	}
	util_b64(cp.root, INTAKE_HASH_LEN, rb);
	if (r.old > cp.size) {
		fprintf(stderr, "intake witness: refused (400): origin \"%s\": old %" PRIu64
		    " > size %" PRIu64 "\n", safe, r.old, cp.size);
		witness_reply(req, 400, TEXT_PLAIN, "old size larger than the checkpoint\n");
		goto out;
	}
	ssize = witness_stored(w, r.origin, sroot, &haveroot);
	if (haveroot)
		util_b64(sroot, INTAKE_HASH_LEN, sb);
	else
		strcpy(sb, "-");
	if (r.old != ssize) {
		fprintf(stderr, "intake witness: refused (409): origin \"%s\": old %" PRIu64
		    " but cosigned size %" PRIu64 " (checkpoint size %" PRIu64 ")\n", safe, r.old,
		    ssize, cp.size);
		witness_reply(req, 409, "text/x.tlog.size", "%" PRIu64 "\n", ssize);
		goto out;
	}
	if (r.old == cp.size) {
		if (haveroot && memcmp(sroot, cp.root, INTAKE_HASH_LEN) != 0) {
			fprintf(stderr, "intake witness: refused (409): origin \"%s\": size %"
			    PRIu64 " signed with root %s but cosigned with root %s: the log "
			    "signed two trees of one size (fork)\n", safe, cp.size, rb, sb);
			witness_reply(req, 409, TEXT_PLAIN, "same size, different root\n");
			goto out;
		}
		if (r.nproof != 0) {
			fprintf(stderr, "intake witness: refused (422): origin \"%s\": a "
			    "non-empty proof between equal sizes %" PRIu64 "\n", safe, cp.size);
			witness_reply(req, 422, TEXT_PLAIN, "the proof must be empty\n");
			goto out;
		}
	} else if (r.old == 0) {
		if (r.nproof != 0) {
			fprintf(stderr, "intake witness: refused (422): origin \"%s\": a "
			    "non-empty proof from size 0\n", safe);
			witness_reply(req, 422, TEXT_PLAIN, "the proof must be empty for old 0\n");
			goto out;
		}
	} else if (!haveroot || intake_merkle_verify_consistency(r.old, cp.size, sroot, cp.root,
	    (const intake_hash *)r.proof, r.nproof) == -1) {
		fprintf(stderr, "intake witness: refused (422): origin \"%s\": size %" PRIu64
		    " root %s is not proved consistent with cosigned size %" PRIu64 " root %s "
		    "(%zu proof lines): possible fork\n", safe, cp.size, rb, ssize, sb, r.nproof);
		witness_reply(req, 422, TEXT_PLAIN, "consistency proof does not verify\n");
		goto out;
	}
	/* durable first, then the cosignature */
	if (witness_save(w, r.origin, cp.size, cp.root) == -1) {
		witness_reply(req, 500, TEXT_PLAIN, "cannot save the state\n");
		goto out;
	}
	if ((line = intake_cosig_sign(w->c, r.note, textlen, (uint64_t)time(NULL), NULL)) == NULL) {
		fprintf(stderr, "intake witness: origin \"%s\": cannot cosign\n", safe);
		witness_reply(req, 500, TEXT_PLAIN, "cannot cosign\n");
		goto out;
	}
	fprintf(stderr, "intake witness: cosigned origin \"%s\" size %" PRIu64 " root %s "
	    "(from size %" PRIu64 ")\n", safe, cp.size, rb, ssize);
	witness_reply(req, 200, TEXT_PLAIN, "%s", line);
out:
	free(line);
	free(body);
}

static void
witness_other(struct evhttp_request *req, void *arg)
{
	witness_reply(req, 404, TEXT_PLAIN, "not found: POST /add-checkpoint\n");
}

static void
witness_signal(evutil_socket_t sig, short what, void *arg)
{
	struct witness *w = arg;

	fprintf(stderr, "intake witness: signal %d: exiting\n", (int)sig);
	event_base_loopexit(w->base, NULL);
}

/* Splits "HOST:PORT" or "[HOST]:PORT" into HOST (HOSTLEN bytes) and *PORT. 0/-1. */
static int
witness_addr(const char *addr, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon = strrchr(addr, ':'), *h = addr;
	size_t hl;
	uint64_t p;

	if (colon == NULL || witness_u64(colon + 1, strlen(colon + 1), &p) == -1 || p > 65535)
		return -1;
	hl = (size_t)(colon - addr);
	if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl == 0 || hl >= hostlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (uint16_t)p;
	return 0;
}

int
cmd_witness(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key",    required_argument, NULL, 'k' },
		{ "log",    required_argument, NULL, 'l' },
		{ "state",  required_argument, NULL, 's' },
		{ "listen", required_argument, NULL, 'L' },
		{ "help",   no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct witness w;
	struct evhttp *http = NULL;
	struct event *sigint = NULL, *sigterm = NULL;
	const char *keyfile = NULL, *listen = NULL, *logargs[WITNESS_LOGS_MAX];
	char *keybuf = NULL, *vkey = NULL, host[256];
	size_t nlogargs = 0, keylen;
	uint16_t port;
	int c, rc = CMD_FAIL;

	memset(&w, 0, sizeof(w));
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': keyfile = optarg; break;
		case 's': w.statepath = optarg; break;
		case 'L': listen = optarg; break;
		case 'l':
			if (nlogargs == WITNESS_LOGS_MAX) {
				fprintf(stderr, "intake witness: at most %d --log keys\n",
				    WITNESS_LOGS_MAX);
				return CMD_USAGE;
			}
			logargs[nlogargs++] = optarg;
			break;
		case 'h':
			fputs(WITNESS_USAGE, stdout);
			return CMD_OK;
		default:
			fputs(WITNESS_USAGE, stderr);
			return CMD_USAGE;
		}
	}
	if (optind != argc || keyfile == NULL || nlogargs == 0 || w.statepath == NULL ||
	    listen == NULL || witness_addr(listen, host, sizeof(host), &port) == -1) {
		fputs(WITNESS_USAGE, stderr);
		return CMD_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);

	if ((keybuf = cli_slurp(keyfile, WITNESS_KEYFILE_MAX, CLI_SLURP_NOFOLLOW, &keylen)) == NULL) {
		rc = cli_fail("witness", "cannot read the key %s: %s", keyfile,
		    errno == EFBIG ? "too large" : errno == EINVAL ? "not a regular file" :
		    strerror(errno));
		goto out;
	}
	w.c = intake_cosigner_new(keybuf);
	intake_freezero(keybuf, keylen);
	if (w.c == NULL) {
		rc = cli_fail("witness", "%s is not a cosigner key (intake keygen --cosigner)",
		    keyfile);
		goto out;
	}
	for (size_t i = 0; i < nlogargs; i++) {
		if ((w.logs[i].v = cli_load_vkey(logargs[i], CLI_SLURP_NOFOLLOW)) == NULL) {
			rc = cli_fail("witness", "--log %s: not a log verifier key, nor a file "
			    "holding one", logargs[i]);
			goto out;
		}
		w.logs[i].origin = intake_verifier_name(w.logs[i].v);
		w.nlogs++;
	}
	if (witness_load(&w) == -1)
		goto out;

	if ((w.base = event_base_new()) == NULL || (http = evhttp_new(w.base)) == NULL) {
		rc = cli_fail("witness", "cannot set up the event loop");
		goto out;
	}
	evhttp_set_max_body_size(http, WITNESS_BODY_MAX);
	evhttp_set_max_headers_size(http, WITNESS_HEADERS_MAX);
	evhttp_set_timeout(http, WITNESS_TIMEOUT);
	evhttp_set_cb(http, "/add-checkpoint", witness_add, &w);
	evhttp_set_gencb(http, witness_other, &w);
	if (evhttp_bind_socket_with_handle(http, host, port) == NULL) {
		rc = cli_fail("witness", "cannot listen on %s: %s", listen, strerror(errno));
		goto out;
	}
	if ((sigint = evsignal_new(w.base, SIGINT, witness_signal, &w)) == NULL ||
	    (sigterm = evsignal_new(w.base, SIGTERM, witness_signal, &w)) == NULL ||
	    event_add(sigint, NULL) == -1 || event_add(sigterm, NULL) == -1) {
		rc = cli_fail("witness", "cannot handle signals");
		goto out;
	}
	vkey = intake_cosigner_vkey(w.c);
	fprintf(stderr, "intake witness: %s listening on %s for %zu log key%s\n",
	    vkey != NULL ? vkey : intake_cosigner_name(w.c), listen, w.nlogs,
	    w.nlogs == 1 ? "" : "s");
	if (event_base_dispatch(w.base) == -1) {
		rc = cli_fail("witness", "the event loop failed");
		goto out;
	}
	rc = CMD_OK;
out:
	if (sigint != NULL)
		event_free(sigint);
	if (sigterm != NULL)
		event_free(sigterm);
	if (http != NULL)
		evhttp_free(http);
	if (w.base != NULL)
		event_base_free(w.base);
	for (size_t i = 0; i < w.nlogs; i++)
		intake_verifier_free(w.logs[i].v);
	intake_cosigner_free(w.c);
	json_decref(w.state);
	free(vkey);
	return rc;
}
