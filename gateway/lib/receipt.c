/*
 * lib/receipt.c: checkpoints, tlog-proofs and receipts (see include/intake/receipt.h).
 *
 * Job: write and parse C2SP tlog-checkpoint texts and tlog-proofs, read
 * fields of a receipt entry, and check a receipt end to end (signatures,
 * inclusion in a signed checkpoint, index, origin, file hash).
 * Runs in the notary (formatting) and in every verifier: the CLI, SECAS
 * and auditors' own programs.
 * Trusts only the verifier key it is given; every byte of a receipt or a
 * proof is hostile. Parsers accept exactly the C2SP grammar: one canonical
 * spelling of each number and hash, nothing after the last field it knows.
 * Must never report a receipt as valid unless every check above held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake/receipt.h"
#include "util.h"

#define RECEIPT_PROOF_HEADER "c2sp.org/tlog-proof@v1\n"
#define RECEIPT_ENTRY_HEADER "intake-receipt/v1\n"
#define RECEIPT_FACT_HEADER  "intake-fact/v1\n"     /* a fact SECAS recorded (DESIGN §8) */
#define RECEIPT_HASH_B64 44          /* base64 of a 32-byte hash */
#define RECEIPT_U64_DIGITS 20        /* digits of the largest uint64 */
/* Largest number accepted for a tree size or index: Go's tlog uses int64. */
#define RECEIPT_NUM_MAX ((uint64_t)INT64_MAX)
/* Longest tlog-proof: a checkpoint note plus header, extra data and path. */
#define RECEIPT_PROOF_MAX (INTAKE_NOTE_MAX + (64 << 10))

/*
 * Decimal S (LEN bytes): ASCII digits only, no sign, no leading zero
 * (except "0" itself), at most RECEIPT_NUM_MAX. 0/-1.
 */
static int
receipt_num(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > RECEIPT_U64_DIGITS || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (RECEIPT_NUM_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* One base64 line holding exactly a 32-byte hash. 0/-1. */
static int
receipt_hash(const char *s, size_t len, uint8_t out[INTAKE_HASH_LEN])
{
	if (len != RECEIPT_HASH_B64)
		return -1;
	return util_unb64(s, len, out, INTAKE_HASH_LEN) == INTAKE_HASH_LEN ? 0 : -1;
}

/* No control characters (C0, DEL) in S: they never belong in a line value. */
static int
receipt_printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -1;
	return 0;
}

/* Next line of [*p, end): sets *line and *llen (without "\n"), advances *p.
 * -1 if there is no complete line left. */
static int
receipt_line(const char **p, const char *end, const char **line, size_t *llen)
{
	const char *nl;

	if (*p >= end || (nl = memchr(*p, '\n', (size_t)(end - *p))) == NULL)
		return -1;
	*line = *p;
	*llen = (size_t)(nl - *p);
	*p = nl + 1;
	return 0;
}

char *
intake_checkpoint_text(const char *origin, uint64_t size, const uint8_t root[INTAKE_HASH_LEN])
{
	char b64[RECEIPT_HASH_B64 + 1], *out;
	size_t olen;

	if (origin == NULL || root == NULL || size > RECEIPT_NUM_MAX)
		return NULL;
	olen = strlen(origin);
	if (olen == 0 || olen > INTAKE_ORIGIN_MAX || receipt_printable(origin, olen) == -1)
		return NULL;
	util_b64(root, INTAKE_HASH_LEN, b64);
	if (asprintf(&out, "%s\n%llu\n%s\n", origin, (unsigned long long)size, b64) == -1)
		return NULL;
	return out;
}

int
intake_checkpoint_parse(const char *text, size_t len, struct intake_checkpoint *cp)
{
	const char *p = text, *end = text + len, *line;
	size_t llen;

	if (text == NULL || cp == NULL || len > INTAKE_NOTE_MAX || len == 0 || text[len - 1] != '\n')
		return -1;
	memset(cp, 0, sizeof(*cp));
	/* origin */
	if (receipt_line(&p, end, &line, &llen) == -1 || llen == 0 ||
	    llen > INTAKE_ORIGIN_MAX || receipt_printable(line, llen) == -1)
		goto fail;
	memcpy(cp->origin, line, llen);
	cp->origin[llen] = '\0';
	/* size */
	if (receipt_line(&p, end, &line, &llen) == -1 || receipt_num(line, llen, &cp->size) == -1)
		goto fail;
	/* root */
	if (receipt_line(&p, end, &line, &llen) == -1 || receipt_hash(line, llen, cp->root) == -1)
		goto fail;
	/* extension lines: opaque, but non-empty and without control characters */
	while (p < end) {
		if (receipt_line(&p, end, &line, &llen) == -1 || llen == 0 ||
		    receipt_printable(line, llen) == -1)
			goto fail;
	}
	return 0;
fail:
	memset(cp, 0, sizeof(*cp));
	return -1;
}

int
intake_checkpoint_open(const struct intake_verifier *v, const char *note, size_t len,
    struct intake_checkpoint *cp)
{
	size_t textlen;

	if (intake_note_open(v, note, len, &textlen) == -1)
		return -1;
	return intake_checkpoint_parse(note, textlen, cp);
}

char *
intake_tlog_proof_format(uint64_t index, const intake_hash *path, size_t n,
    const char *checkpoint_note)
{
	char *out, *p, num[RECEIPT_U64_DIGITS + 1];
	size_t cplen, total;
	int nlen;

	if (checkpoint_note == NULL || n > INTAKE_PROOF_MAX || (n > 0 && path == NULL) ||
	    index > RECEIPT_NUM_MAX)
		return NULL;
	cplen = strlen(checkpoint_note);
	if (cplen == 0 || cplen > INTAKE_NOTE_MAX)
		return NULL;
	nlen = snprintf(num, sizeof(num), "%llu", (unsigned long long)index);
	if (nlen < 0 || (size_t)nlen >= sizeof(num))
		return NULL;
	total = sizeof(RECEIPT_PROOF_HEADER) - 1 + 6 + (size_t)nlen + 1 +
	    n * (RECEIPT_HASH_B64 + 1) + 1 + cplen;
	if ((out = malloc(total + 1)) == NULL)
		return NULL;
	p = out;
	memcpy(p, RECEIPT_PROOF_HEADER, sizeof(RECEIPT_PROOF_HEADER) - 1);
	p += sizeof(RECEIPT_PROOF_HEADER) - 1;
	memcpy(p, "index ", 6);
	p += 6;
	memcpy(p, num, (size_t)nlen);
	p += nlen;
	*p++ = '\n';
	for (size_t i = 0; i < n; i++) {
		p += util_b64(path[i], INTAKE_HASH_LEN, p);
		*p++ = '\n';
	}
	*p++ = '\n';
	memcpy(p, checkpoint_note, cplen);
	p[cplen] = '\0';
	return out;
}

int
intake_tlog_proof_parse(const char *s, size_t len, uint64_t *index,
    intake_hash path[INTAKE_PROOF_MAX], size_t *n, const char **cp, size_t *cplen)
{
	const char *p = s, *end = s + len, *line;
	size_t llen;
	uint8_t extra[512];

	*n = 0;
	if (s == NULL || len > RECEIPT_PROOF_MAX ||
	    len < sizeof(RECEIPT_PROOF_HEADER) - 1 ||
	    memcmp(s, RECEIPT_PROOF_HEADER, sizeof(RECEIPT_PROOF_HEADER) - 1) != 0)
		return -1;
	p += sizeof(RECEIPT_PROOF_HEADER) - 1;
	/* "extra <base64>": opaque, unauthenticated, tolerated and ignored. */
	for (;;) {
		if (receipt_line(&p, end, &line, &llen) == -1)
			return -1;
		if (llen < 6 || memcmp(line, "extra ", 6) != 0)
			break;
		/* Validate the base64 in pieces of 4 characters: any length is fine. */
		if (llen == 6 || (llen - 6) % 4 != 0)
			return -1;
		for (size_t i = 6; i < llen; i += sizeof(extra) / 3 * 4) {
			size_t piece = llen - i < sizeof(extra) / 3 * 4 ? llen - i : sizeof(extra) / 3 * 4;

			if (util_unb64(line + i, piece, extra, sizeof(extra)) == -1)
				return -1;
			/* padding only in the very last piece */
			if (i + piece < llen && memchr(line + i, '=', piece) != NULL)
				return -1;
		}
	}
	if (llen < 6 || memcmp(line, "index ", 6) != 0 || receipt_num(line + 6, llen - 6, index) == -1)
		return -1;
	/* audit path up to the blank line */
	for (;;) {
		if (receipt_line(&p, end, &line, &llen) == -1)
			return -1;
		if (llen == 0)
			break;
		if (*n >= INTAKE_PROOF_MAX || receipt_hash(line, llen, path[*n]) == -1)
			return -1;
		(*n)++;
	}
	if (p >= end)
		return -1;
	*cp = p;
	*cplen = (size_t)(end - p);
	return 0;
}

int
intake_entry_get(const char *text, size_t len, const char *key, char *out, size_t outlen)
{
	const char *p = text, *end = text + len, *nl;
	size_t klen, vlen;

	if (text == NULL || key == NULL || out == NULL || outlen == 0)
		return -1;
	klen = strlen(key);
	if (klen == 0 || memchr(key, '\n', klen) != NULL || memchr(key, ':', klen) != NULL)
		return -1;
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((size_t)(nl - p) >= klen + 2 && memcmp(p, key, klen) == 0 &&
		    p[klen] == ':' && p[klen + 1] == ' ') {
			p += klen + 2;
			vlen = (size_t)(nl - p);
			if (vlen >= outlen || receipt_printable(p, vlen) == -1)
				return -1;
			memcpy(out, p, vlen);
			out[vlen] = '\0';
			return 0;
		}
		p = nl + 1;
	}
	return -1;
}

/* Sets WHY to REASON (truncated to fit) and returns -1. */
static int
receipt_fail(char *why, size_t whylen, const char *reason)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", reason);
	return -1;
}

int
intake_receipt_verify(const struct intake_verifier *v,
    const char *receipt, size_t rlen, const char *proof, size_t plen,
    const uint8_t *file_sha256, char *why, size_t whylen)
{
	intake_hash path[INTAKE_PROOF_MAX];
	struct intake_checkpoint cp;
	char val[INTAKE_ORIGIN_MAX + 1];
	const char *cpnote;
	size_t textlen, cptextlen, cplen, n;
	uint64_t pindex, eindex;
	uint8_t leaf[INTAKE_HASH_LEN], sha[INTAKE_HASH_LEN];
	int is_fact;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (v == NULL || receipt == NULL || proof == NULL)
		return receipt_fail(why, whylen, "missing receipt, proof or key");
	if (intake_note_open(v, receipt, rlen, &textlen) == -1)
		return receipt_fail(why, whylen, "receipt signature does not verify");
	is_fact = textlen >= sizeof(RECEIPT_FACT_HEADER) - 1 &&
	    memcmp(receipt, RECEIPT_FACT_HEADER, sizeof(RECEIPT_FACT_HEADER) - 1) == 0;
	if (!is_fact && (textlen < sizeof(RECEIPT_ENTRY_HEADER) - 1 ||
	    memcmp(receipt, RECEIPT_ENTRY_HEADER, sizeof(RECEIPT_ENTRY_HEADER) - 1) != 0))
		return receipt_fail(why, whylen, "receipt is not an intake-receipt/v1 or "
		    "intake-fact/v1 entry");
	if (is_fact && file_sha256 != NULL)
		return receipt_fail(why, whylen, "a fact receipt names no file");
	if (intake_tlog_proof_parse(proof, plen, &pindex, path, &n, &cpnote, &cplen) == -1)
		return receipt_fail(why, whylen, "malformed proof");
	if (intake_note_open(v, cpnote, cplen, &cptextlen) == -1)
		return receipt_fail(why, whylen, "checkpoint signature does not verify");
	if (intake_checkpoint_parse(cpnote, cptextlen, &cp) == -1)
		return receipt_fail(why, whylen, "malformed checkpoint");
	if (intake_entry_get(receipt, textlen, "origin", val, sizeof(val)) == -1)
		return receipt_fail(why, whylen, "receipt has no origin");
	if (strcmp(val, cp.origin) != 0)
		return receipt_fail(why, whylen, "receipt origin differs from checkpoint origin");
	if (intake_entry_get(receipt, textlen, "index", val, sizeof(val)) == -1 ||
	    receipt_num(val, strlen(val), &eindex) == -1)
		return receipt_fail(why, whylen, "receipt has no valid index");
	if (eindex != pindex)
		return receipt_fail(why, whylen, "receipt index differs from proof index");
	if (pindex >= cp.size)
		return receipt_fail(why, whylen, "receipt index is outside the checkpoint's tree");
	intake_merkle_leaf(receipt, textlen, leaf);
	if (intake_merkle_verify_inclusion(pindex, cp.size, leaf, (const intake_hash *)path, n,
	    cp.root) == -1)
		return receipt_fail(why, whylen, "inclusion proof does not verify");
	if (file_sha256 != NULL) {
		if (intake_entry_get(receipt, textlen, "sha256", val, sizeof(val)) == -1 ||
		    strlen(val) != 2 * INTAKE_HASH_LEN ||
		    util_unhex(val, strlen(val), sha, sizeof(sha)) == -1)
			return receipt_fail(why, whylen, "receipt has no valid sha256");
		if (memcmp(sha, file_sha256, INTAKE_HASH_LEN) != 0)
			return receipt_fail(why, whylen, "file hash differs from receipt");
	}
	return 0;
}
