/*
 * lib/util.h: small encoding helpers shared by the verification library, the
 * daemon and the CLI (internal; not part of include/).
 *
 * hex and base64 (standard alphabet, padded) through OpenSSL's EVP coder;
 * decoders reject anything that is not canonical for the length asked.
 */
#ifndef INTAKE_UTIL_H
#define INTAKE_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2*LEN lowercase hex digits and a NUL to OUT (2*LEN+1 bytes). */
void util_hex(const uint8_t *in, size_t len, char *out);
/* The value of hex digit C (either case), or -1 if C is not one. */
int util_hexval(char c);
/* Decodes exactly 2*LEN hex digits (either case) from IN. 0/-1. */
int util_unhex(const char *in, size_t inlen, uint8_t *out, size_t len);
/* Base64 of IN into OUT (room for 4*ceil(LEN/3)+1); returns the length. */
size_t util_b64(const uint8_t *in, size_t len, char *out);
/* Decodes base64 IN (INLEN chars, no white space) into OUT (room OUTMAX);
 * returns decoded length or -1 on bad input. */
long util_unb64(const char *in, size_t inlen, uint8_t *out, size_t outmax);
/* SHA-256 of a buffer. */
void util_sha256(const void *in, size_t len, uint8_t out[32]);

#endif
