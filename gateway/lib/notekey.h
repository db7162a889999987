/*
 * lib/notekey.h: the signed-note pieces that notes and cosignatures share
 * (internal to the verification library; not part of include/).
 *
 * C2SP signed-note keys are "<name>+<hex id>+<base64(alg || key)>", with
 * id = SHA-256(name || "\n" || alg || key)[:4]; only the algorithm byte
 * differs between a log key (0x01, Ed25519) and a cosigner key (0x04,
 * Ed25519 cosignature/v1). A note's signature block is the lines after its
 * last blank line, each "— <name> <base64(id || signature)>". One parser for
 * each of these, so that a note and its cosignatures are read the same way.
 *
 * Nothing here allocates except notekey_format (the caller frees the string,
 * with intake_freezero() when it holds a secret).
 */
#ifndef INTAKE_NOTEKEY_H
#define INTAKE_NOTEKEY_H

#include <stddef.h>
#include <stdint.h>

#include "intake/note.h"

#define NOTEKEY_LEN    32   /* Ed25519 public key and seed */
#define NOTEKEY_ID_LEN 4    /* key id: first bytes of SHA-256 */

/* Key id of (NAME, ALG, PK) as a big-endian number. */
uint32_t notekey_id(const char *name, uint8_t alg, const uint8_t pk[NOTEKEY_LEN]);

/*
 * Parses "<name>+<8 hex digits>+<base64(ALG || 32 bytes)>" (S, LEN bytes):
 * writes the name (NUL-terminated), the id as written and the 32 key bytes.
 * Any other algorithm byte is refused. The caller checks the id against the
 * key. 0/-1.
 */
int notekey_parse(const char *s, size_t len, uint8_t alg,
    char name[INTAKE_NOTE_NAME_MAX + 1], uint32_t *id, uint8_t key[NOTEKEY_LEN]);

/*
 * Parses a private key "PRIVATE+KEY+<name>+<hex id>+<base64(ALG || seed)>"
 * (white space around it is ignored) into its NAME, ID, Ed25519 PK and SK
 * (64 bytes); the id must be the key's. The seed is wiped; on -1 the
 * outputs may hold part of a key, and the caller wipes them. 0/-1.
 */
int notekey_private(const char *skey, uint8_t alg, char name[INTAKE_NOTE_NAME_MAX + 1],
    uint32_t *id, uint8_t pk[NOTEKEY_LEN], uint8_t sk[2 * NOTEKEY_LEN]);

/* "<prefix><name>+<id hex>+<base64(ALG || key)>", malloc'd, or NULL. */
char *notekey_format(const char *prefix, const char *name, uint8_t alg, uint32_t id,
    const uint8_t key[NOTEKEY_LEN]);

/* A key name: non-empty UTF-8, no space, no '+', at most
 * INTAKE_NOTE_NAME_MAX bytes. 0/-1. */
int notekey_name_ok(const char *s, size_t len);

/* A note text: UTF-8 without control characters other than newline. 0/-1. */
int notekey_text_ok(const char *s, size_t len);

/*
 * Called once per signature line, in order: NAME (NLEN bytes, not
 * NUL-terminated), the decoded RAW bytes (RAWLEN >= 5: a 4-byte key id, then
 * the signature). Returns 0 to go on, 1 to stop (success), -1 to fail.
 */
typedef int (*notekey_sig_fn)(void *arg, const char *name, size_t nlen,
    const uint8_t *raw, size_t rawlen);

/*
 * Walks the signature lines of NOTE (LEN bytes) after checking that the
 * whole note is well formed (UTF-8 without control characters but newline,
 * a blank line before a non-empty signature block, every line a valid
 * signature line, at most 100 of them). *TEXTLEN is the length of the signed
 * text (it starts at NOTE and includes its final "\n"). 0 when the walk
 * ended (or FN stopped it), -1 on a malformed note or when FN failed.
 */
int notekey_sigs(const char *note, size_t len, size_t *textlen, notekey_sig_fn fn,
    void *arg);

#endif
