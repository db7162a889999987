/*
 * intake/cmd_audit.c: `intake audit` (DESIGN §3, §6), the auditor's two checks.
 *
 * Online:  intake audit --vkey VKEY --url URL --state FILE [--cacert F --cert F --key F]
 *          [--witness WVKEY]... [--quorum N]
 *   fetches URL/v1/log/checkpoint over mutual TLS (fetch.h), requires VKEY's
 *   signature and, with --witness, N (default: all) valid cosignatures by
 *   distinct witnesses among those keys (an under-witnessed checkpoint is
 *   refused and not saved), and when FILE holds an earlier checkpoint requires the new one
 *   to extend it: same origin, size not smaller (rollback), equal roots at
 *   equal sizes and otherwise a consistency proof from the log that verifies
 *   (fork). Then FILE is replaced atomically (temp file, fsync, rename,
 *   directory fsync). One line on stdout on success, one on stderr otherwise.
 * Offline: intake audit --vkey VKEY --data DIR [--store STORE] [--dsn DSN]
 *   opens DIR/ledger.db (with --dsn, the PostgreSQL ledger at DSN; the
 *   stored files come from STORE, default DIR/store) read-only, re-verifies the whole stored tree against
 *   the last signed checkpoint (ledger_verify), then checks every entry by
 *   index: its receipt's signature, that the row is the signed entry, its leaf
 *   hash, and for accepted uploads the stored file's size and SHA-256
 *   (store_blob_path in STORE: the daemon's [store] path, default DIR/store).
 *   Every discrepancy is printed on stdout, by index.
 * Runs as the user; trusts only VKEY (and --cacert for the transport): the
 * server, the state file and the data directory are all evidence to check.
 * Exit status: 0 all held, 1 a refusal or a discrepancy, 2 usage.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/errbuf.h"
#include "intake/receipt.h"
#include "lib/util.h"
#include "notary/ledger.h"
#include "notary/obligations.h"
#include "notary/store.h"
#include "cli.h"
#include "cmds.h"
#include "fetch.h"

#define AUDIT_USAGE \
	"usage: intake audit --vkey VKEY --url URL --state FILE [--cacert F --cert F --key F]\n" \
	"                    [--witness WVKEY]... [--quorum N]\n" \
	"       intake audit --vkey VKEY --data DIR [--store STORE] [--dsn DSN]\n"
#define AUDIT_ERR_MAX       512       /* one reason line */
#define AUDIT_ERRBODY_MAX   (64u << 10) /* an error answer we only quote from */
/* A consistency proof: at most INTAKE_PROOF_MAX lines of 44 base64 + "\n". */
#define AUDIT_PROOF_BODY_MAX (INTAKE_PROOF_MAX * 45 + 1)
#define AUDIT_HASH_B64      44        /* base64 of a 32-byte hash */
#define AUDIT_FIELD_MAX     256       /* one entry field value we compare */

/* The root of CP in base64, into OUT (AUDIT_HASH_B64 + 1 bytes). */
static const char *
audit_b64root(const struct intake_checkpoint *cp, char out[AUDIT_HASH_B64 + 1])
{
	util_b64(cp->root, INTAKE_HASH_LEN, out);
	return out;
}

/*
 * Copies the "error" of a JSON error answer, made printable and short, into
 * OUT; empty when there is none. Only for messages: it decides nothing.
 */
static void
audit_quote_error(const char *body, size_t len, char *out, size_t outlen)
{
	const char *p = body != NULL ? strstr(body, "\"error\":\"") : NULL;
	size_t i = 0;

	out[0] = '\0';
	if (p == NULL || len == 0 || outlen < 8)
		return;
	p += 9;
	memcpy(out, " (", 2);
	i = 2;
	for (; *p != '\0' && *p != '"' && i + 2 < outlen && i < 80; p++)
		out[i++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
	out[i++] = ')';
	out[i] = '\0';
}

/*
 * Parses a consistency proof answer: base64 hashes, one per line (the last
 * newline optional, nothing else). 0 and *N hashes in PROOF, or -1.
 */
static int
audit_parse_proof(const char *body, size_t len, intake_hash proof[INTAKE_PROOF_MAX],
    size_t *n)
{
	const char *p = body, *end = body + len, *nl;
	size_t llen;

	*n = 0;
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		llen = (size_t)(nl - p);
		if (*n >= INTAKE_PROOF_MAX || llen != AUDIT_HASH_B64 ||
		    util_unb64(p, llen, proof[*n], INTAKE_HASH_LEN) != INTAKE_HASH_LEN)
			return -1;
		(*n)++;
		p = nl + 1;
	}
	return 0;
}

/* GET PATH into *BODY; anything but a 200 is a failure message. 0/-1. */
static int
audit_get(struct fetch *f, const char *path, size_t max, char **body, size_t *len,
    char *why, size_t whylen)
{
	char err[AUDIT_ERR_MAX], quoted[96];
	int status;

	if (fetch_get(f, path, max > AUDIT_ERRBODY_MAX ? max : AUDIT_ERRBODY_MAX, &status,
	    body, len, err, sizeof(err)) == -1) {
		errset(why, whylen, "GET %s: %s", path, err);
		return -1;
	}
	if (status != 200) {
		audit_quote_error(*body, *len, quoted, sizeof(quoted));
		errset(why, whylen, "GET %s: HTTP %d%s", path, status, quoted);
		goto fail;
	}
	if (*len > max) {
		errset(why, whylen, "GET %s: answer longer than %zu bytes", path, max);
		goto fail;
	}
	return 0;
fail:
	free(*body);
	*body = NULL;
	return -1;
}

static int
audit_url(const struct intake_verifier *v, const struct cli_witnesses *ws, const char *url,
    const char *state, const char *cacert, const char *cert, const char *key)
{
	struct intake_checkpoint old, cur;
	struct fetch *f = NULL;
	intake_hash proof[INTAKE_PROOF_MAX];
	char err[AUDIT_ERR_MAX], path[128], b64a[AUDIT_HASH_B64 + 1], b64b[AUDIT_HASH_B64 + 1];
	char *saved = NULL, *note = NULL, *cons = NULL;
	size_t savedlen = 0, notelen, conslen, n, count = 0;
	int have_old = 0, rc = CMD_FAIL;

	/* The saved state first: a bad FILE should not cost a request. */
	if ((saved = cli_slurp(state, INTAKE_NOTE_MAX, CLI_SLURP_NOFOLLOW, &savedlen)) != NULL) {
		if (intake_checkpoint_open(v, saved, savedlen, &old) == -1) {
			rc = cli_fail("audit", "saved state %s is not a checkpoint signed by %s",
			    state, intake_verifier_name(v));
			goto out;
		}
		have_old = 1;
	} else if (errno != ENOENT) {
		rc = cli_fail("audit", "cannot read saved state %s: %s", state,
		    errno == EFBIG ? "longer than a checkpoint can be" :
		    errno == EINVAL ? "not a regular file" : strerror(errno));
		goto out;
	}

	if ((f = fetch_new(url, cacert, cert, key, err, sizeof(err))) == NULL) {
		rc = cli_fail("audit", "%s", err);
		goto out;
	}
	if (audit_get(f, "/v1/log/checkpoint", INTAKE_NOTE_MAX, &note, &notelen, err,
	    sizeof(err)) == -1) {
		rc = cli_fail("audit", "%s", err);
		goto out;
	}
	if (intake_checkpoint_open(v, note, notelen, &cur) == -1) {
		rc = cli_fail("audit", "bad signature: the checkpoint from %s is not a checkpoint "
		    "signed by %s", fetch_origin(f), intake_verifier_name(v));
		goto out;
	}
	if (ws->n > 0 && cli_witness_require(ws, note, notelen, &count) == -1) {
		rc = cli_fail("audit", "under-witnessed checkpoint: size %" PRIu64 " has %zu "
		    "valid cosignature%s by the %zu witness%s given, quorum %ld", cur.size, count,
		    count == 1 ? "" : "s", ws->n, ws->n == 1 ? "" : "es", ws->quorum);
		goto out;
	}

	if (have_old) {
		if (strcmp(old.origin, cur.origin) != 0) {
			rc = cli_fail("audit", "origin changed: the checkpoint is for \"%s\", "
			    "the saved one for \"%s\"", cur.origin, old.origin);
			goto out;
		}
		if (cur.size < old.size) {
			rc = cli_fail("audit", "rollback: checkpoint size %" PRIu64 " is older "
			    "than saved %" PRIu64, cur.size, old.size);
			goto out;
		}
		if (cur.size == old.size) {
			if (memcmp(cur.root, old.root, INTAKE_HASH_LEN) != 0) {
				rc = cli_fail("audit", "fork: checkpoint of size %" PRIu64 " has "
				    "root %s but the saved one has root %s", cur.size,
				    audit_b64root(&cur, b64a), audit_b64root(&old, b64b));
				goto out;
			}
		} else if (old.size > 0) {
			snprintf(path, sizeof(path), "/v1/log/consistency?old=%" PRIu64 "&new=%"
			    PRIu64, old.size, cur.size);
			if (audit_get(f, path, AUDIT_PROOF_BODY_MAX, &cons, &conslen, err,
			    sizeof(err)) == -1) {
				rc = cli_fail("audit", "fork or broken log: no consistency proof "
				    "from saved size %" PRIu64 " to %" PRIu64 ": %s", old.size,
				    cur.size, err);
				goto out;
			}
			if (audit_parse_proof(cons, conslen, proof, &n) == -1 ||
			    intake_merkle_verify_consistency(old.size, cur.size, old.root,
			    cur.root, (const intake_hash *)proof, n) == -1) {
				rc = cli_fail("audit", "fork: checkpoint size %" PRIu64 " root %s "
				    "is not consistent with saved size %" PRIu64 " root %s",
				    cur.size, audit_b64root(&cur, b64a), old.size,
				    audit_b64root(&old, b64b));
				goto out;
			}
		}
		/* old.size == 0: every tree extends the empty one */
	}

	if (cli_replace(state, note, notelen, 0644) == -1) {
		rc = cli_fail("audit", "cannot save %s: %s", state, strerror(errno));
		goto out;
	}
	if (have_old)
		printf("OK size %" PRIu64 " root %s (consistent with saved size %" PRIu64 ")\n",
		    cur.size, audit_b64root(&cur, b64a), old.size);
	else
		printf("OK size %" PRIu64 " root %s (no saved checkpoint: saved this one)\n",
		    cur.size, audit_b64root(&cur, b64a));
	if (fflush(stdout) == EOF) {
		rc = cli_fail("audit", "cannot write to stdout");
		goto out;
	}
	rc = CMD_OK;
out:
	fetch_free(f);
	free(saved);
	free(note);
	free(cons);
	return rc;
}

/* Offline audit state: what we count and how many problems we saw. */
struct audit_data {
	const char *dir;
	char store[PATH_MAX];     /* the blobs: --store, default DIR/store */
	const struct intake_verifier *v;
	const char *origin;       /* of the last checkpoint, "" if none */
	uint64_t cpsize;          /* size of the last checkpoint */
	int cp_known;             /* it verified: origin and cpsize can be relied on */
	uint64_t entries, files;
	unsigned long problems;
	unsigned char *buf;       /* CLI_HASH_CHUNK bytes for hashing */
	uint8_t (*stash)[INTAKE_HASH_LEN]; /* blobs the stash holds whole, sorted */
	size_t nstash, stash_cap;
	uint64_t stashed;         /* files not (yet) in the store, held by the stash */
};

static void __attribute__((format(printf, 3, 4)))
audit_report(struct audit_data *d, uint64_t index, const char *fmt, ...)
{
	va_list ap;

	printf("index %" PRIu64 ": ", index);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	d->problems++;
}

/* Decimal of an entry field; 0/-1. */
static int
audit_u64(const char *s, uint64_t *out)
{
	char *end;

	if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

static int
audit_hash_cmp(const void *a, const void *b)
{
	return memcmp(a, b, INTAKE_HASH_LEN);
}

/* A stash row (ledger.h): kept when its bytes are its blob's, else reported. */
static int
audit_stash_row(const uint8_t sha256[32], const void *data, size_t len, void *arg)
{
	struct audit_data *d = arg;
	uint8_t got[INTAKE_HASH_LEN];
	char hex[2 * INTAKE_HASH_LEN + 1];

	util_sha256(data, len, got);
	if (memcmp(got, sha256, sizeof(got)) != 0) {
		util_hex(sha256, INTAKE_HASH_LEN, hex);
		printf("stash: the row for %s does not hold its bytes\n", hex);
		d->problems++;
		return 0;
	}
	if (d->nstash == d->stash_cap) {
		size_t cap = d->stash_cap ? 2 * d->stash_cap : 64;
		void *p = reallocarray(d->stash, cap, INTAKE_HASH_LEN);

		if (p == NULL)
			return -1;
		d->stash = p;
		d->stash_cap = cap;
	}
	memcpy(d->stash[d->nstash++], sha256, INTAKE_HASH_LEN);
	return 0;
}

/* Whether the stash holds SHA's bytes: the daemon puts them back at start. */
static int
audit_stashed(struct audit_data *d, const uint8_t sha[INTAKE_HASH_LEN])
{
	if (d->nstash == 0 || bsearch(sha, d->stash, d->nstash, INTAKE_HASH_LEN,
	    audit_hash_cmp) == NULL)
		return 0;
	d->stashed++;
	return 1;
}

/*
 * The stored file of an accepted entry: STORE/../SHA256, a regular file
 * of SIZE bytes whose SHA-256 is SHA256. Reports what is wrong, unless the
 * stash holds the file's bytes (a power loss before the store was synced:
 * the daemon puts it back when it starts).
 */
static void
audit_file(struct audit_data *d, uint64_t index, const uint8_t sha[INTAKE_HASH_LEN],
    uint64_t size)
{
	char path[PATH_MAX];
	uint8_t got[INTAKE_HASH_LEN];
	struct stat st;
	uint64_t total = 0;
	int fd = -1;

	if (store_blob_path(d->store, sha, path, sizeof(path)) == -1) {
		audit_report(d, index, "stored file path too long");
		return;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) == -1) {
		if (errno == ENOENT && audit_stashed(d, sha))
			return;
		if (errno == ENOENT)
			audit_report(d, index, "stored file missing");
		else
			audit_report(d, index, "stored file unreadable: %s", strerror(errno));
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		audit_report(d, index, "stored file is not a regular file");
		goto out;
	}
	switch (cli_hash_fd(fd, d->buf, got, &total)) {
	case CLI_HASH_ENOMEM:
		audit_report(d, index, "cannot hash the stored file: out of memory");
		goto out;
	case CLI_HASH_EREAD:
		audit_report(d, index, "stored file unreadable: %s", strerror(errno));
		goto out;
	case CLI_HASH_EDIGEST:
		audit_report(d, index, "cannot hash the stored file");
		goto out;
	}
	if (total == size && memcmp(got, sha, INTAKE_HASH_LEN) == 0)
		d->files++;
	else if (!audit_stashed(d, sha))
		audit_report(d, index, "stored file altered (%" PRIu64 " bytes, receipt says %"
		    PRIu64 "; sha256 %s)", total, size,
		    memcmp(got, sha, INTAKE_HASH_LEN) != 0 ? "differs" : "matches");
out:
	close(fd);
}

/* Every check of entry INDEX that can be made on its own. */
static void
audit_entry(struct audit_data *d, struct ledger *l, uint64_t index)
{
	struct ledger_entry e;
	const char *text;
	char val[AUDIT_FIELD_MAX];
	uint8_t leaf[INTAKE_HASH_LEN], stored[INTAKE_HASH_LEN], sha[INTAKE_HASH_LEN];
	size_t textlen, elen;
	uint64_t num, size = 0;
	int r, signed_ok, accepted;

	r = ledger_get(l, index, &e);
	if (r == 1) {
		audit_report(d, index, "entry missing");
		return;
	}
	if (r == -1) {
		audit_report(d, index, "entry row is malformed or unreadable");
		return;
	}
	d->entries++;
	if (d->cp_known && index >= d->cpsize)
		audit_report(d, index, "entry is beyond the last checkpoint (size %" PRIu64 ")",
		    d->cpsize);
	elen = strlen(e.entry);

	/* The receipt is the entry signed with the log key. */
	signed_ok = intake_note_open(d->v, e.receipt, strlen(e.receipt), &textlen) == 0;
	if (!signed_ok)
		audit_report(d, index, "receipt signature does not verify");
	else if (textlen != elen || memcmp(e.receipt, e.entry, elen) != 0)
		audit_report(d, index, "entry row differs from its signed receipt");
	/* What follows reads the signed text when there is one, else the row. */
	text = signed_ok ? e.receipt : e.entry;
	if (!signed_ok)
		textlen = elen;

	/* The leaf hash stored in the tree is the hash of the entry. */
	intake_merkle_leaf(e.entry, elen, leaf);
	r = ledger_hash(l, 0, index, stored);
	if (r == 1)
		audit_report(d, index, "no leaf hash in the tree");
	else if (r == -1)
		audit_report(d, index, "cannot read its leaf hash");
	else if (memcmp(leaf, stored, INTAKE_HASH_LEN) != 0)
		audit_report(d, index, "entry does not match its leaf hash in the tree");

	val[0] = '\0';
	if (intake_entry_get(text, textlen, "index", val, sizeof(val)) == -1 ||
	    audit_u64(val, &num) == -1 || num != index)
		audit_report(d, index, "entry names another index (%s)", val);
	if (d->cp_known && d->origin[0] != '\0' &&
	    (intake_entry_get(text, textlen, "origin", val, sizeof(val)) == -1 ||
	    strcmp(val, d->origin) != 0))
		audit_report(d, index, "entry origin is not the log's (%s)", d->origin);
	/* The columns queries use must say what the signed entry says. */
	if (intake_entry_get(text, textlen, "party", val, sizeof(val)) == -1 ||
	    strcmp(val, e.party) != 0)
		audit_report(d, index, "party column differs from the signed entry");
	if (textlen > 15 && memcmp(text, "intake-fact/v1\n", 15) == 0) {
		/* a fact (DESIGN §8): no file; its columns are the fact's */
		if (strcmp(e.kind, FACT_KIND) != 0 ||
		    intake_entry_get(text, textlen, "fact", val, sizeof(val)) == -1 ||
		    strcmp(val, e.filename) != 0 ||
		    intake_entry_get(text, textlen, "date", val, sizeof(val)) == -1 ||
		    strcmp(val, e.ref) != 0)
			audit_report(d, index, "fact columns differ from the signed entry");
		goto out;
	}
	if (intake_entry_get(text, textlen, "kind", val, sizeof(val)) == -1 ||
	    strcmp(val, e.kind) != 0)
		audit_report(d, index, "kind column differs from the signed entry");
	if (intake_entry_get(text, textlen, "size", val, sizeof(val)) == -1 ||
	    audit_u64(val, &size) == -1)
		audit_report(d, index, "entry has no valid size");
	else if (size != e.size)
		audit_report(d, index, "size column differs from the signed entry");
	if (intake_entry_get(text, textlen, "verdict", val, sizeof(val)) == -1 ||
	    (strcmp(val, "accepted") != 0 && strcmp(val, "rejected") != 0)) {
		audit_report(d, index, "entry has no valid verdict");
		goto out;
	}
	accepted = strcmp(val, "accepted") == 0;
	if (accepted != e.accepted)
		audit_report(d, index, "verdict column differs from the signed entry");
	if (intake_entry_get(text, textlen, "sha256", val, sizeof(val)) == -1 ||
	    util_unhex(val, strlen(val), sha, sizeof(sha)) == -1) {
		audit_report(d, index, "entry has no valid sha256");
		goto out;
	}
	if (memcmp(sha, e.sha256, sizeof(sha)) != 0)
		audit_report(d, index, "sha256 column differs from the signed entry");
	/* Only accepted uploads are kept; check the file the signed entry names. */
	if (accepted)
		audit_file(d, index, sha, size);
out:
	ledger_entry_clear(&e);
}

static int
audit_data(const struct intake_verifier *v, const char *dir, const char *store,
    const char *dsn)
{
	struct audit_data d;
	struct intake_checkpoint cp;
	struct ledger *l = NULL;
	char err[AUDIT_ERR_MAX], *note = NULL;
	const char *why;
	uint64_t size = 0, rows = 0, i, end;
	int r, rc = CMD_FAIL;

	memset(&d, 0, sizeof(d));
	d.dir = dir;
	if (snprintf(d.store, sizeof(d.store), "%s%s", store != NULL ? store : dir,
	    store != NULL ? "" : "/" STORE_DIR) >= (int)sizeof(d.store)) {
		rc = cli_fail("audit", "--store: path too long");
		goto out;
	}
	d.v = v;
	d.origin = "";
	if ((d.buf = malloc(CLI_HASH_CHUNK)) == NULL) {
		rc = cli_fail("audit", "out of memory");
		goto out;
	}
	if ((l = ledger_open_dsn(dir, dsn, 0, err, sizeof(err))) == NULL) {
		rc = cli_fail("audit", "%s", err);
		goto out;
	}

	/* The whole tree against the last checkpoint and its signature. */
	r = ledger_verify(l, v, NULL, &size, err, sizeof(err));
	if (r == -1) {
		why = strncmp(err, "ledger: ", 8) == 0 ? err + 8 : err;
		printf("tree: %s\n", why);
		d.problems++;
	}
	/*
	 * The number of rows, then (later, so never older) the checkpoint: its
	 * size and origin serve the checks by index only if it verifies, so that
	 * a forged checkpoint does not make every entry look out of place.
	 */
	if (ledger_tree_size(l, &rows) == -1) {
		rc = cli_fail("audit", "%s/ledger.db: cannot count the entries", dir);
		goto out;
	}
	r = ledger_checkpoint(l, &note, &d.cpsize);
	d.cpsize = 0;
	if (r == 0 && intake_checkpoint_open(v, note, strlen(note), &cp) == 0) {
		d.origin = cp.origin;
		d.cpsize = cp.size;
		d.cp_known = 1;
	} else if (r == 0) {
		if (d.problems == 0) {
			printf("tree: the last checkpoint does not verify with %s\n",
			    intake_verifier_name(v));
			d.problems++;
		}
	} else if (r == -1) {
		rc = cli_fail("audit", "%s/ledger.db: cannot read the checkpoints", dir);
		goto out;
	} else
		d.cp_known = 1;  /* no checkpoint yet: every entry is beyond it */
	if (ledger_stash_each(l, audit_stash_row, &d) != 0) {
		rc = cli_fail("audit", "%s/ledger.db: cannot read the stash", dir);
		goto out;
	}
	if (d.nstash > 0)
		qsort(d.stash, d.nstash, INTAKE_HASH_LEN, audit_hash_cmp);
	end = rows > d.cpsize ? rows : d.cpsize;
	for (i = 0; i < end; i++)
		audit_entry(&d, l, i);

	if (fflush(stdout) == EOF) {
		rc = cli_fail("audit", "cannot write to stdout");
		goto out;
	}
	if (d.problems != 0) {
		fprintf(stderr, "intake audit: %lu problem%s found in %s\n", d.problems,
		    d.problems == 1 ? "" : "s", dir);
		goto out;
	}
	printf("OK %" PRIu64 " entries, %" PRIu64 " files verified\n", d.entries, d.files);
	if (d.stashed > 0)
		printf("%" PRIu64 " file%s not in the store but held whole in the ledger's stash: "
		    "put back when intaked starts\n", d.stashed, d.stashed == 1 ? "" : "s");
	if (fflush(stdout) == EOF) {
		rc = cli_fail("audit", "cannot write to stdout");
		goto out;
	}
	rc = CMD_OK;
out:
	ledger_close(l);
	free(note);
	free(d.buf);
	free(d.stash);
	return rc;
}

int
cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vkey",   required_argument, NULL, 'k' },
		{ "url",    required_argument, NULL, 'u' },
		{ "state",  required_argument, NULL, 's' },
		{ "data",   required_argument, NULL, 'd' },
		{ "store",  required_argument, NULL, 'S' },
		{ "dsn",    required_argument, NULL, 'D' },
		{ "cacert", required_argument, NULL, 'C' },
		{ "cert",   required_argument, NULL, 'c' },
		{ "key",    required_argument, NULL, 'K' },
		{ "witness", required_argument, NULL, 'w' },
		{ "quorum", required_argument, NULL, 'q' },
		{ "help",   no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct intake_verifier *v = NULL;
	struct cli_witnesses ws = { .n = 0, .quorum = -1 };
	const char *vkeyarg = NULL, *url = NULL, *state = NULL, *data = NULL, *store = NULL;
	const char *dsn = NULL;
	const char *cacert = NULL, *cert = NULL, *key = NULL;
	int c, rc, quorum_given = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': vkeyarg = optarg; break;
		case 'u': url = optarg; break;
		case 's': state = optarg; break;
		case 'd': data = optarg; break;
		case 'S': store = optarg; break;
		case 'D': dsn = optarg; break;
		case 'C': cacert = optarg; break;
		case 'c': cert = optarg; break;
		case 'K': key = optarg; break;
		case 'w':
			if ((rc = cli_witness_add(&ws, "audit", optarg)) != 0)
				goto out;
			break;
		case 'q':
			quorum_given = 1;
			if ((rc = cli_witness_quorum(&ws, "audit", optarg)) != 0)
				goto out;
			break;
		case 'h':
			fputs(AUDIT_USAGE, stdout);
			rc = CMD_OK;
			goto out;
		default:
			fputs(AUDIT_USAGE, stderr);
			rc = CMD_USAGE;
			goto out;
		}
	}
	/* witnesses vouch for what a server publishes: --url only */
	if (data != NULL && (ws.n > 0 || quorum_given)) {
		fputs(AUDIT_USAGE, stderr);
		rc = CMD_USAGE;
		goto out;
	}
	if ((rc = cli_witness_check(&ws, "audit")) != 0)
		goto out;
	if (optind != argc || vkeyarg == NULL ||
	    (data != NULL) == (url != NULL || state != NULL) ||
	    (data == NULL && (url == NULL || state == NULL)) ||
	    (data != NULL && (cacert != NULL || cert != NULL || key != NULL)) ||
	    (store != NULL && (data == NULL || store[0] == '\0')) ||
	    (dsn != NULL && data == NULL) ||
	    (key != NULL && cert == NULL)) {
		fputs(AUDIT_USAGE, stderr);
		rc = CMD_USAGE;
		goto out;
	}
	if ((v = cli_load_vkey(vkeyarg, CLI_SLURP_NOFOLLOW)) == NULL) {
		rc = cli_fail("audit", "--vkey: not a verifier key, nor a file holding one");
		goto out;
	}
	if (data != NULL)
		rc = audit_data(v, data, store, dsn);
	else
		rc = audit_url(v, &ws, url, state, cacert, cert, key);
out:
	intake_verifier_free(v);
	cli_witness_free(&ws);
	return rc;
}
