/*
 * intake/cosig.h: C2SP tlog-cosignature/v1 witness cosignatures, Ed25519
 * (public API).
 *
 * A witness (cosigner) key is a signed-note key of type 0x04:
 *   private  PRIVATE+KEY+<name>+<hex id>+<base64(0x04 || 32-byte seed)>
 *   verifier <name>+<hex id>+<base64(0x04 || 32-byte public key)>
 * where id = first 4 bytes of SHA-256(name || "\n" || 0x04 || public key).
 * A cosignature is a signature line of the checkpoint note,
 *   "— <name> <base64(id || 8-byte big-endian time || Ed25519 signature)>"
 * whose signature is over "cosignature/v1\ntime <time>\n" followed by the
 * whole checkpoint note text (extension lines included, signatures not).
 * Log keys (type 0x01, note.h) and cosigner keys are never interchangeable:
 * each parser refuses the other's type.
 *
 * Who frees what: every string returned here is malloc'd and the caller's,
 * freed with free() (private key strings with intake_freezero()); every
 * handle is freed with its own _free function, which accepts NULL. Nothing
 * here keeps a pointer to the caller's buffers.
 */
#ifndef INTAKE_COSIG_H
#define INTAKE_COSIG_H

#include <stddef.h>
#include <stdint.h>

#define INTAKE_COSIG_TIME_MAX INT64_MAX  /* the spec's 2^63 - 1 */

struct intake_cosigner;   /* a witness's private key: name, id, Ed25519 secret */
struct intake_wverifier;  /* a witness's public key: name, id, Ed25519 public key */

/* Makes a new cosigner key named NAME. On success *skey and *vkey are
 * malloc'd strings (no trailing newline); free *skey with intake_freezero().
 * 0, or -1 (an invalid NAME, or no memory) with both set to NULL. */
int intake_cosigner_keygen(const char *name, char **skey, char **vkey);

/* Parses a private cosigner key string (white space around it ignored).
 * NULL on any format error, a log key (type 0x01) included. */
struct intake_cosigner *intake_cosigner_new(const char *skey);
/* Wipes and frees the key; NULL is fine. */
void intake_cosigner_free(struct intake_cosigner *c);
/* The key's name (owned by C, valid until intake_cosigner_free). */
const char *intake_cosigner_name(const struct intake_cosigner *c);
/* The verifier key string of C, malloc'd (the caller frees it), or NULL. */
char *intake_cosigner_vkey(const struct intake_cosigner *c);

/*
 * Cosigns the checkpoint note text TEXT (LEN bytes, ending in "\n", without
 * signature lines) at TIME (seconds since the Epoch, at most
 * INTAKE_COSIG_TIME_MAX). Returns the malloc'd, NUL-terminated signature line
 * "— <name> <base64>\n" (the caller frees it), its length in *linelen if not
 * NULL; NULL if TEXT is not a valid note text or TIME is out of range.
 */
char *intake_cosig_sign(const struct intake_cosigner *c, const char *text, size_t len,
    uint64_t time, size_t *linelen);

/* Parses a cosigner verifier key string. NULL on any format error, a log
 * key (type 0x01) included; free with intake_wverifier_free(). */
struct intake_wverifier *intake_wverifier_new(const char *vkey);
void intake_wverifier_free(struct intake_wverifier *w);
/* The key's name (owned by W, valid until intake_wverifier_free). */
const char *intake_wverifier_name(const struct intake_wverifier *w);

/*
 * Looks in the signed note NOTE (LEN bytes: text, blank line, signature
 * lines) for a valid cosignature by W: a line with W's name and key id whose
 * signature verifies over the cosigned message. Lines by other keys are
 * ignored, and so are invalid lines by W if another one is valid. Does not
 * check the log's own signature (intake_checkpoint_open does). 0 and the
 * cosignature's time in *time (if not NULL) when one verifies; -1 otherwise
 * (a malformed note included).
 */
int intake_cosig_verify(const struct intake_wverifier *w, const char *note, size_t len,
    uint64_t *time);

/*
 * The number of distinct witnesses among W[0..N-1] with a valid cosignature
 * on NOTE: a key given twice (same name, id and public key) counts once, and
 * so does a witness with several valid lines. 0 for a malformed note.
 */
size_t intake_cosig_count(const struct intake_wverifier *const *w, size_t n,
    const char *note, size_t len);

#endif
