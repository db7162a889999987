/*
 * lib/note.c: C2SP signed notes with Ed25519 keys (see include/intake/note.h).
 *
 * Job: parse signer and verifier keys, sign note texts, open signed notes,
 * byte for byte as golang.org/x/mod/sumdb/note does, so that Go's tools
 * accept what we emit and we reject what Go rejects.
 * Runs in the notary (signing, the only process holding the private key),
 * and in the CLI and third-party verifiers (opening).
 * Trusts nothing in a note or key string: every byte is checked (UTF-8, no
 * control characters, strict base64, key id recomputed from the key).
 * Must never: return success for a note without a valid signature by the
 * given key, keep a secret key in memory it does not wipe, or emit a note
 * it would not open itself.
 * Crypto: libsodium Ed25519 (deterministic signatures), SHA-256 for key ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "intake/note.h"
#include "notekey.h"
#include "utf8.h"
#include "util.h"

#define NOTE_ALG_ED25519 1          /* algorithm byte of x/mod/sumdb/note keys */
#define NOTE_KEY_LEN NOTEKEY_LEN    /* Ed25519 public key and seed */
#define NOTE_SIG_LEN 64             /* Ed25519 signature */
#define NOTE_ID_LEN NOTEKEY_ID_LEN  /* key id: first bytes of SHA-256 */
#define NOTE_SIGS_MAX 100           /* signature lines accepted per note, as Go */
#define NOTE_DASH "\xe2\x80\x94 "   /* U+2014 EM DASH and a space */
#define NOTE_DASH_LEN 4
#define NOTE_PRIV_PREFIX "PRIVATE+KEY+"
/* base64 of 1 + 32 bytes, and of 4 + 64 bytes, with their NULs */
#define NOTE_KEY_B64 (4 * ((1 + NOTE_KEY_LEN + 2) / 3) + 1)
#define NOTE_SIG_B64 (4 * ((NOTE_ID_LEN + NOTE_SIG_LEN + 2) / 3) + 1)

struct intake_signer {
	char     name[INTAKE_NOTE_NAME_MAX + 1];
	uint32_t id;
	uint8_t  pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t  sk[crypto_sign_SECRETKEYBYTES];
};

struct intake_verifier {
	char     name[INTAKE_NOTE_NAME_MAX + 1];
	uint32_t id;
	uint8_t  pk[crypto_sign_PUBLICKEYBYTES];
};

/* libsodium must be initialised once before use; sodium_init is idempotent
 * and thread-safe. 0/-1. */
static int
note_sodium(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

void
intake_freezero(void *p, size_t len)
{
	if (p == NULL)
		return;
	sodium_memzero(p, len);
	free(p);
}

/* Go's unicode.IsSpace: Latin-1 spaces and the Unicode White_Space set. */
static int
note_isspace(uint32_t c)
{
	switch (c) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
	case 0x85: case 0xa0: case 0x1680: case 0x2028: case 0x2029:
	case 0x202f: case 0x205f: case 0x3000:
		return 1;
	}
	return c >= 0x2000 && c <= 0x200a;
}

/* Whole text valid UTF-8 without control characters other than newline. */
static int
note_text_ok(const char *s, size_t len)
{
	uint32_t c;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_decode((const uint8_t *)s + i, len - i, &c);

		if (n == 0 || (c < 0x20 && c != '\n'))
			return -1;
		i += n;
	}
	return 0;
}

/* A key name: non-empty UTF-8, no Unicode space, no '+' (Go isValidName).
 * Key names are also capped at INTAKE_NOTE_NAME_MAX bytes when LIMIT. */
static int
note_name_ok(const char *s, size_t len, int limit)
{
	uint32_t c;

	if (len == 0 || (limit && len > INTAKE_NOTE_NAME_MAX))
		return -1;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_decode((const uint8_t *)s + i, len - i, &c);

		/* Go allows other control characters in names; notes do not. */
		if (n == 0 || note_isspace(c) || c == '+' || c == 0)
			return -1;
		i += n;
	}
	return 0;
}

int
notekey_text_ok(const char *s, size_t len)
{
	return note_text_ok(s, len);
}

int
notekey_name_ok(const char *s, size_t len)
{
	return note_name_ok(s, len, 1);
}

/* Key id: first 4 bytes (big-endian) of SHA-256(name || "\n" || alg || pk). */
uint32_t
notekey_id(const char *name, uint8_t alg, const uint8_t pk[NOTE_KEY_LEN])
{
	size_t nlen = strlen(name);
	uint8_t buf[INTAKE_NOTE_NAME_MAX + 2 + NOTE_KEY_LEN], h[32];

	memcpy(buf, name, nlen);
	buf[nlen] = '\n';
	buf[nlen + 1] = alg;
	memcpy(buf + nlen + 2, pk, NOTE_KEY_LEN);
	util_sha256(buf, nlen + 2 + NOTE_KEY_LEN, h);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

int
notekey_parse(const char *s, size_t len, uint8_t alg, char name[INTAKE_NOTE_NAME_MAX + 1],
    uint32_t *id, uint8_t key[NOTE_KEY_LEN])
{
	const char *p1, *p2;
	uint8_t idb[NOTE_ID_LEN], raw[1 + NOTE_KEY_LEN];
	size_t nlen;
	int rc = -1;

	if ((p1 = memchr(s, '+', len)) == NULL)
		return -1;
	nlen = (size_t)(p1 - s);
	if (note_name_ok(s, nlen, 1) == -1)
		return -1;
	p1++;
	if ((p2 = memchr(p1, '+', len - (size_t)(p1 - s))) == NULL || p2 - p1 != 2 * NOTE_ID_LEN)
		return -1;
	if (util_unhex(p1, 2 * NOTE_ID_LEN, idb, NOTE_ID_LEN) == -1)
		return -1;
	p2++;
	if (util_unb64(p2, len - (size_t)(p2 - s), raw, sizeof(raw)) != (long)sizeof(raw) ||
	    raw[0] != alg)
		goto fail;
	memcpy(name, s, nlen);
	name[nlen] = '\0';
	*id = (uint32_t)idb[0] << 24 | (uint32_t)idb[1] << 16 | (uint32_t)idb[2] << 8 | idb[3];
	memcpy(key, raw + 1, NOTE_KEY_LEN);
	rc = 0;
fail:
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

char *
notekey_format(const char *prefix, const char *name, uint8_t alg, uint32_t id,
    const uint8_t key[NOTE_KEY_LEN])
{
	uint8_t raw[1 + NOTE_KEY_LEN];
	char b64[NOTE_KEY_B64], *out = NULL;

	raw[0] = alg;
	memcpy(raw + 1, key, NOTE_KEY_LEN);
	util_b64(raw, sizeof(raw), b64);
	if (asprintf(&out, "%s%s+%08x+%s", prefix, name, (unsigned)id, b64) == -1)
		out = NULL;
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(b64, sizeof(b64));
	return out;
}

int
intake_keygen(const char *name, char **skey, char **vkey)
{
	uint8_t seed[NOTE_KEY_LEN], pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	uint32_t id;
	int rc = -1;

	*skey = *vkey = NULL;
	if (name == NULL || note_name_ok(name, strlen(name), 1) == -1 || note_sodium() == -1)
		return -1;
	randombytes_buf(seed, sizeof(seed));
	if (crypto_sign_seed_keypair(pk, sk, seed) != 0)
		goto fail;
	id = notekey_id(name, NOTE_ALG_ED25519, pk);
	if ((*skey = notekey_format(NOTE_PRIV_PREFIX, name, NOTE_ALG_ED25519, id, seed)) == NULL ||
	    (*vkey = notekey_format("", name, NOTE_ALG_ED25519, id, pk)) == NULL)
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

_Static_assert(2 * NOTEKEY_LEN == crypto_sign_SECRETKEYBYTES, "an Ed25519 secret key is seed || pk");
_Static_assert(NOTEKEY_LEN == crypto_sign_PUBLICKEYBYTES, "an Ed25519 public key");

int
notekey_private(const char *skey, uint8_t alg, char name[INTAKE_NOTE_NAME_MAX + 1],
    uint32_t *id, uint8_t pk[NOTEKEY_LEN], uint8_t sk[2 * NOTEKEY_LEN])
{
	uint8_t seed[NOTE_KEY_LEN];
	size_t len;
	uint32_t written;
	int rc = -1;

	if (skey == NULL || note_sodium() == -1)
		return -1;
	/* Leading and trailing white space (a key file's newline) is ignored. */
	while (*skey == ' ' || *skey == '\t' || *skey == '\r' || *skey == '\n')
		skey++;
	len = strlen(skey);
	while (len > 0 && (skey[len - 1] == ' ' || skey[len - 1] == '\t' ||
	    skey[len - 1] == '\r' || skey[len - 1] == '\n'))
		len--;
	if (len < sizeof(NOTE_PRIV_PREFIX) - 1 ||
	    memcmp(skey, NOTE_PRIV_PREFIX, sizeof(NOTE_PRIV_PREFIX) - 1) != 0)
		return -1;
	skey += sizeof(NOTE_PRIV_PREFIX) - 1;
	len -= sizeof(NOTE_PRIV_PREFIX) - 1;
	if (notekey_parse(skey, len, alg, name, &written, seed) == 0 &&
	    crypto_sign_seed_keypair(pk, sk, seed) == 0) {
		*id = notekey_id(name, alg, pk);
		rc = *id == written ? 0 : -1;
	}
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

struct intake_signer *
intake_signer_new(const char *skey)
{
	struct intake_signer *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (notekey_private(skey, NOTE_ALG_ED25519, s->name, &s->id, s->pk, s->sk) == -1) {
		intake_signer_free(s);
		return NULL;
	}
	return s;
}

void
intake_signer_free(struct intake_signer *s)
{
	intake_freezero(s, sizeof(*s));
}

const char *
intake_signer_name(const struct intake_signer *s)
{
	return s->name;
}

char *
intake_signer_vkey(const struct intake_signer *s)
{
	return notekey_format("", s->name, NOTE_ALG_ED25519, s->id, s->pk);
}

struct intake_verifier *
intake_verifier_new(const char *vkey)
{
	struct intake_verifier *v;
	uint32_t id;

	if (vkey == NULL || note_sodium() == -1)
		return NULL;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	if (notekey_parse(vkey, strlen(vkey), NOTE_ALG_ED25519, v->name, &id, v->pk) == -1)
		goto fail;
	v->id = notekey_id(v->name, NOTE_ALG_ED25519, v->pk);
	if (v->id != id)
		goto fail;
	return v;
fail:
	free(v);
	return NULL;
}

void
intake_verifier_free(struct intake_verifier *v)
{
	free(v);
}

const char *
intake_verifier_name(const struct intake_verifier *v)
{
	return v->name;
}

char *
intake_note_sign(const struct intake_signer *s, const char *text, size_t len, size_t *outlen)
{
	uint8_t raw[NOTE_ID_LEN + NOTE_SIG_LEN];
	char b64[NOTE_SIG_B64], *out;
	size_t nlen, blen, total;

	if (s == NULL || text == NULL || len == 0 || len > INTAKE_NOTE_MAX ||
	    text[len - 1] != '\n' || note_text_ok(text, len) == -1)
		return NULL;
	nlen = strlen(s->name);
	raw[0] = s->id >> 24;
	raw[1] = s->id >> 16;
	raw[2] = s->id >> 8;
	raw[3] = s->id;
	if (crypto_sign_detached(raw + NOTE_ID_LEN, NULL, (const unsigned char *)text,
	    len, s->sk) != 0)
		return NULL;
	blen = util_b64(raw, sizeof(raw), b64);
	/* text, blank line, "— name b64\n" */
	total = len + 1 + NOTE_DASH_LEN + nlen + 1 + blen + 1;
	if (total > INTAKE_NOTE_MAX || (out = malloc(total + 1)) == NULL)
		return NULL;
	memcpy(out, text, len);
	out[len] = '\n';
	memcpy(out + len + 1, NOTE_DASH, NOTE_DASH_LEN);
	memcpy(out + len + 1 + NOTE_DASH_LEN, s->name, nlen);
	out[len + 1 + NOTE_DASH_LEN + nlen] = ' ';
	memcpy(out + len + 1 + NOTE_DASH_LEN + nlen + 1, b64, blen);
	out[total - 1] = '\n';
	out[total] = '\0';
	if (outlen != NULL)
		*outlen = total;
	return out;
}

int
notekey_sigs(const char *note, size_t len, size_t *textlen, notekey_sig_fn fn, void *arg)
{
	const char *sigs, *end, *line, *nl, *sp;
	uint8_t *raw = NULL;
	size_t split, rawmax, nsig = 0;
	int r, rc = -1;
	long rlen;

	if (note == NULL || len > INTAKE_NOTE_MAX || note_text_ok(note, len) == -1)
		return -1;
	/* The signature block follows the last blank line. */
	for (split = len; split >= 2; split--)
		if (note[split - 2] == '\n' && note[split - 1] == '\n')
			break;
	if (split < 2)
		return -1;
	sigs = note + split;
	end = note + len;
	if (sigs == end || end[-1] != '\n')
		return -1;
	*textlen = split - 1;
	rawmax = (size_t)(end - sigs) / 4 * 3 + 3;
	if ((raw = malloc(rawmax)) == NULL)
		return -1;

	for (line = sigs; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if ((size_t)(nl - line) < NOTE_DASH_LEN || memcmp(line, NOTE_DASH, NOTE_DASH_LEN) != 0)
			goto fail;
		line += NOTE_DASH_LEN;
		if ((sp = memchr(line, ' ', (size_t)(nl - line))) == NULL)
			goto fail;  /* no base64 at all */
		rlen = util_unb64(sp + 1, (size_t)(nl - sp - 1), raw, rawmax);
		if (rlen < NOTE_ID_LEN + 1 || note_name_ok(line, (size_t)(sp - line), 0) == -1)
			goto fail;
		if (++nsig > NOTE_SIGS_MAX)
			goto fail;
		if ((r = fn(arg, line, (size_t)(sp - line), raw, (size_t)rlen)) == -1)
			goto fail;
		if (r == 1)
			break;
	}
	rc = 0;
fail:
	free(raw);
	return rc;
}

/* What intake_note_open's walk needs and finds. */
struct note_open_walk {
	const struct intake_verifier *v;
	const char *note;
	size_t      textlen;
	int         verified;
};

static int
note_open_sig(void *arg, const char *name, size_t nlen, const uint8_t *raw, size_t rawlen)
{
	struct note_open_walk *w = arg;
	uint32_t id;

	id = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
	/* Signatures by other keys are ignored, as Go does with unknown keys. */
	if (id != w->v->id || nlen != strlen(w->v->name) || memcmp(name, w->v->name, nlen) != 0)
		return 0;
	if (w->verified)
		return 0;  /* only the first line by the key counts, as before */
	/* A bad signature by the key we trust makes the whole note bad. */
	if (rawlen != NOTE_ID_LEN + NOTE_SIG_LEN ||
	    crypto_sign_verify_detached(raw + NOTE_ID_LEN, (const unsigned char *)w->note,
	    w->textlen, w->v->pk) != 0)
		return -1;
	w->verified = 1;
	return 0;
}

int
intake_note_open(const struct intake_verifier *v, const char *note, size_t len,
    size_t *textlen)
{
	struct note_open_walk w = { v, note, 0, 0 };
	size_t tl;

	if (v == NULL || note == NULL)
		return -1;
	/* the text length is known before the first line is walked */
	if (notekey_sigs(note, len, &w.textlen, note_open_sig, &w) == -1 || !w.verified)
		return -1;
	tl = w.textlen;
	if (textlen != NULL)
		*textlen = tl;
	return 0;
}
