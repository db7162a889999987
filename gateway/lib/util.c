/*
 * lib/util.c: hex, base64 and SHA-256 helpers (see util.h).
 *
 * Runs in every process that links the verification library. Trusts
 * nothing it decodes: the decoders accept only the canonical encoding of
 * the bytes (exact length, padded base64 with zero trailing bits, no white
 * space), so that one value has exactly one text form in notes and proofs.
 * Base64 uses OpenSSL's EVP block coder once the input has been validated
 * here (EVP_DecodeBlock alone skips white space and ignores padding).
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "util.h"

static const char util_hexdigits[] = "0123456789abcdef";

void
util_hex(const uint8_t *in, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = util_hexdigits[in[i] >> 4];
		out[2 * i + 1] = util_hexdigits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

int
util_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
util_unhex(const char *in, size_t inlen, uint8_t *out, size_t len)
{
	if (len > SIZE_MAX / 2 || inlen != 2 * len)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int hi = util_hexval(in[2 * i]), lo = util_hexval(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

size_t
util_b64(const uint8_t *in, size_t len, char *out)
{
	size_t n = 0;

	/* EVP_EncodeBlock takes an int length: encode in chunks (multiple of 3). */
	while (len > 0) {
		size_t chunk = len > 3 * (1u << 20) ? 3 * (1u << 20) : len;

		n += (size_t)EVP_EncodeBlock((unsigned char *)out + n, in, (int)chunk);
		in += chunk;
		len -= chunk;
	}
	out[n] = '\0';
	return n;
}

/* Value of a base64 alphabet character, -1 for anything else. */
static int
util_b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Longest base64 input decoded in one EVP call (it takes an int). */
#define UTIL_B64_CHUNK (4u << 20)

long
util_unb64(const char *in, size_t inlen, uint8_t *out, size_t outmax)
{
	size_t pad = 0, outlen, done = 0;
	unsigned char tail[3];

	if (inlen % 4 != 0 || inlen / 4 * 3 > (size_t)LONG_MAX)
		return -1;
	if (inlen == 0)
		return 0;
	if (in[inlen - 1] == '=')
		pad = in[inlen - 2] == '=' ? 2 : 1;
	for (size_t i = 0; i < inlen - pad; i++)
		if (util_b64val(in[i]) < 0)
			return -1;
	/* Canonical: the bits the padding leaves unused must be zero. */
	if (pad == 1 && (util_b64val(in[inlen - 2]) & 0x03) != 0)
		return -1;
	if (pad == 2 && (util_b64val(in[inlen - 3]) & 0x0f) != 0)
		return -1;
	outlen = inlen / 4 * 3 - pad;
	if (outlen > outmax)
		return -1;

	/* Whole quanta except the last straight into OUT, the last one apart
	 * because EVP_DecodeBlock writes 3 bytes per quantum, padding or not. */
	while (done + 4 < inlen) {
		size_t chunk = inlen - 4 - done;

		if (chunk > UTIL_B64_CHUNK)
			chunk = UTIL_B64_CHUNK;
		if (EVP_DecodeBlock(out + done / 4 * 3, (const unsigned char *)in + done,
		    (int)chunk) != (int)(chunk / 4 * 3))
			return -1;
		done += chunk;
	}
	if (EVP_DecodeBlock(tail, (const unsigned char *)in + done, 4) != 3)
		return -1;
	memcpy(out + done / 4 * 3, tail, 3 - pad);
	OPENSSL_cleanse(tail, sizeof(tail));
	return (long)outlen;
}

/* SHA-256 fetched once: an implicit fetch per digest (EVP_sha256()) takes
 * OpenSSL's provider lock every time and costs more than the hash. */
static EVP_MD *util_sha256_md;
static pthread_once_t util_sha256_once = PTHREAD_ONCE_INIT;

static void
util_sha256_fetch(void)
{
	util_sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void
util_sha256(const void *in, size_t len, uint8_t out[32])
{
	unsigned int n = 32;

	if (pthread_once(&util_sha256_once, util_sha256_fetch) != 0 || util_sha256_md == NULL)
		abort();
	/* EVP_Digest fails only on allocation failure: fail closed. */
	if (EVP_Digest(in, len, out, &n, util_sha256_md, NULL) != 1 || n != 32)
		abort();
}
