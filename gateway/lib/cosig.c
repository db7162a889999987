/*
 * lib/cosig.c: C2SP tlog-cosignature/v1 (Ed25519) cosigning and verification
 * (see include/intake/cosig.h).
 *
 * Job: parse witness keys (signed-note keys of type 0x04), cosign checkpoint
 * texts for `intake witness`, and find and verify cosignatures in checkpoint
 * notes for `intake verify`, `intake audit` and third-party verifiers, byte
 * for byte as the spec (and Go's crypto/ed25519 over the same message) does.
 * Runs in the CLI (the witness, the verifiers) and in anything linking the
 * library. Trusts nothing in a note or key string: keys and notes go through
 * the one signed-note parser (notekey.h), ids are recomputed, lengths exact.
 * Must never: count a cosignature that does not verify, count one witness
 * twice, accept a log key as a witness key (or the reverse), or keep a
 * secret key in memory it does not wipe.
 * Crypto: libsodium Ed25519 (deterministic signatures), SHA-256 for key ids.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "intake/cosig.h"
#include "notekey.h"
#include "util.h"

#define COSIG_ALG 0x04                 /* key type of cosignature/v1 Ed25519 keys */
#define COSIG_SIG_LEN 64               /* Ed25519 signature */
#define COSIG_TIME_LEN 8               /* big-endian u64 timestamp */
#define COSIG_RAW_LEN (NOTEKEY_ID_LEN + COSIG_TIME_LEN + COSIG_SIG_LEN)
#define COSIG_RAW_B64 (4 * ((COSIG_RAW_LEN + 2) / 3) + 1)
#define COSIG_HEADER "cosignature/v1\ntime "
#define COSIG_PREFIX_MAX (sizeof(COSIG_HEADER) + 20 + 1)  /* header, u64 digits, "\n" */
#define COSIG_DASH "\xe2\x80\x94 "     /* U+2014 EM DASH and a space */
#define COSIG_PRIV_PREFIX "PRIVATE+KEY+"

struct intake_cosigner {
	char     name[INTAKE_NOTE_NAME_MAX + 1];
	uint32_t id;
	uint8_t  pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t  sk[crypto_sign_SECRETKEYBYTES];
};

struct intake_wverifier {
	char     name[INTAKE_NOTE_NAME_MAX + 1];
	uint32_t id;
	uint8_t  pk[crypto_sign_PUBLICKEYBYTES];
};

/* The message a cosignature signs: "cosignature/v1\ntime T\n" || TEXT, into a
 * malloc'd buffer; its length in *LEN. NULL when out of memory. */
static uint8_t *
cosig_message(uint64_t time, const char *text, size_t len, size_t *outlen)
{
	char prefix[COSIG_PREFIX_MAX];
	uint8_t *msg;
	int n;

	n = snprintf(prefix, sizeof(prefix), COSIG_HEADER "%" PRIu64 "\n", time);
	if (n < 0 || (size_t)n >= sizeof(prefix) || (msg = malloc((size_t)n + len)) == NULL)
		return NULL;
	memcpy(msg, prefix, (size_t)n);
	memcpy(msg + n, text, len);
	*outlen = (size_t)n + len;
	return msg;
}

int
intake_cosigner_keygen(const char *name, char **skey, char **vkey)
{
	uint8_t seed[NOTEKEY_LEN], pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	uint32_t id;
	int rc = -1;

	*skey = *vkey = NULL;
	if (name == NULL || notekey_name_ok(name, strlen(name)) == -1 || sodium_init() < 0)
		return -1;
	randombytes_buf(seed, sizeof(seed));
	if (crypto_sign_seed_keypair(pk, sk, seed) != 0)
		goto fail;
	id = notekey_id(name, COSIG_ALG, pk);
	if ((*skey = notekey_format(COSIG_PRIV_PREFIX, name, COSIG_ALG, id, seed)) == NULL ||
	    (*vkey = notekey_format("", name, COSIG_ALG, id, pk)) == NULL)
		goto fail;
	rc = 0;
fail:
	if (rc == -1) {
		if (*skey != NULL)
			intake_freezero(*skey, strlen(*skey));
		free(*vkey);
		*skey = *vkey = NULL;
	}
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	return rc;
}

struct intake_cosigner *
intake_cosigner_new(const char *skey)
{
	struct intake_cosigner *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (notekey_private(skey, COSIG_ALG, c->name, &c->id, c->pk, c->sk) == -1) {
		intake_cosigner_free(c);
		return NULL;
	}
	return c;
}

void
intake_cosigner_free(struct intake_cosigner *c)
{
	intake_freezero(c, sizeof(*c));
}

const char *
intake_cosigner_name(const struct intake_cosigner *c)
{
	return c->name;
}

char *
intake_cosigner_vkey(const struct intake_cosigner *c)
{
	return notekey_format("", c->name, COSIG_ALG, c->id, c->pk);
}

char *
intake_cosig_sign(const struct intake_cosigner *c, const char *text, size_t len,
    uint64_t time, size_t *linelen)
{
	uint8_t raw[COSIG_RAW_LEN], *msg = NULL;
	char b64[COSIG_RAW_B64], *line = NULL;
	size_t msglen;
	int n;

	if (c == NULL || text == NULL || len == 0 || len > INTAKE_NOTE_MAX ||
	    text[len - 1] != '\n' || time > (uint64_t)INTAKE_COSIG_TIME_MAX ||
	    notekey_text_ok(text, len) == -1 || memmem(text, len, "\n\n", 2) != NULL)
		return NULL;
	if ((msg = cosig_message(time, text, len, &msglen)) == NULL)
		return NULL;
	raw[0] = c->id >> 24;
	raw[1] = c->id >> 16;
	raw[2] = c->id >> 8;
	raw[3] = c->id;
	for (int i = 0; i < COSIG_TIME_LEN; i++)
		raw[NOTEKEY_ID_LEN + i] = (uint8_t)(time >> (8 * (COSIG_TIME_LEN - 1 - i)));
	if (crypto_sign_detached(raw + NOTEKEY_ID_LEN + COSIG_TIME_LEN, NULL, msg, msglen,
	    c->sk) != 0)
		goto fail;
	util_b64(raw, sizeof(raw), b64);
	n = asprintf(&line, COSIG_DASH "%s %s\n", c->name, b64);
	if (n < 0) {
		line = NULL;
		goto fail;
	}
	if (linelen != NULL)
		*linelen = (size_t)n;
fail:
	free(msg);
	return line;
}

struct intake_wverifier *
intake_wverifier_new(const char *vkey)
{
	struct intake_wverifier *w;
	uint32_t id;

	if (vkey == NULL || sodium_init() < 0)
		return NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if (notekey_parse(vkey, strlen(vkey), COSIG_ALG, w->name, &id, w->pk) == -1)
		goto fail;
	w->id = notekey_id(w->name, COSIG_ALG, w->pk);
	if (w->id != id)
		goto fail;
	return w;
fail:
	free(w);
	return NULL;
}

void
intake_wverifier_free(struct intake_wverifier *w)
{
	free(w);
}

const char *
intake_wverifier_name(const struct intake_wverifier *w)
{
	return w->name;
}

/* What intake_cosig_verify's walk needs and finds. */
struct cosig_walk {
	const struct intake_wverifier *w;
	const char *note;
	size_t      textlen;
	uint64_t    time;
	int         found;
};

static int
cosig_walk_sig(void *arg, const char *name, size_t nlen, const uint8_t *raw, size_t rawlen)
{
	struct cosig_walk *k = arg;
	uint8_t *msg;
	size_t msglen;
	uint64_t t = 0;
	uint32_t id;
	int ok;

	id = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
	/* Other keys' lines (the log's, other witnesses') are none of ours. */
	if (id != k->w->id || nlen != strlen(k->w->name) || memcmp(name, k->w->name, nlen) != 0)
		return 0;
	if (rawlen != COSIG_RAW_LEN)
		return 0;
	for (int i = 0; i < COSIG_TIME_LEN; i++)
		t = t << 8 | raw[NOTEKEY_ID_LEN + i];
	if (t > (uint64_t)INTAKE_COSIG_TIME_MAX)
		return 0;
	if ((msg = cosig_message(t, k->note, k->textlen, &msglen)) == NULL)
		return -1;
	ok = crypto_sign_verify_detached(raw + NOTEKEY_ID_LEN + COSIG_TIME_LEN, msg, msglen,
	    k->w->pk) == 0;
	free(msg);
	if (!ok)
		return 0;  /* a bad line by W does not hide a good one after it */
	k->time = t;
	k->found = 1;
	return 1;
}

int
intake_cosig_verify(const struct intake_wverifier *w, const char *note, size_t len,
    uint64_t *time)
{
	struct cosig_walk k = { w, note, 0, 0, 0 };

	if (w == NULL || note == NULL)
		return -1;
	if (notekey_sigs(note, len, &k.textlen, cosig_walk_sig, &k) == -1 || !k.found)
		return -1;
	if (time != NULL)
		*time = k.time;
	return 0;
}

/* The same witness key: name, id and public key. */
static int
cosig_same(const struct intake_wverifier *a, const struct intake_wverifier *b)
{
	return a->id == b->id && strcmp(a->name, b->name) == 0 &&
	    memcmp(a->pk, b->pk, sizeof(a->pk)) == 0;
}

size_t
intake_cosig_count(const struct intake_wverifier *const *w, size_t n, const char *note,
    size_t len)
{
	size_t count = 0, j;

	if (w == NULL || note == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (w[i] == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (w[j] != NULL && cosig_same(w[i], w[j]))
				break;
		if (j < i)
			continue;  /* counted already */
		if (intake_cosig_verify(w[i], note, len, NULL) == 0)
			count++;
	}
	return count;
}
