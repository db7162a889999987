/*
 * intake/note.h: C2SP signed notes with Ed25519 keys (public API).
 *
 * Key formats are those of golang.org/x/mod/sumdb/note:
 *   private  PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || 32-byte seed)>
 *   verifier <name>+<hex id>+<base64(0x01 || 32-byte public key)>
 * where id = first 4 bytes of SHA-256(name || "\n" || 0x01 || public key).
 * A note is its text (ending in "\n"), a blank line, then one or more
 * signature lines "— <name> <base64(id || signature)>\n".
 *
 * Who frees what: every pointer returned by a function here is owned by the
 * caller and freed with free() (private key strings with intake_freezero()),
 * every handle with its own _free function.
 */
#ifndef INTAKE_NOTE_H
#define INTAKE_NOTE_H

#include <stddef.h>
#include <stdint.h>

#define INTAKE_NOTE_NAME_MAX 255   /* longest key name accepted */
#define INTAKE_NOTE_MAX (1 << 20)  /* longest note accepted, bytes */

struct intake_signer;    /* a private key: name, id, Ed25519 secret */
struct intake_verifier;  /* a public key: name, id, Ed25519 public key */

/* Makes a new key named NAME. On success *skey and *vkey are malloc'd
 * strings (no trailing newline); free *skey with intake_freezero(). 0/-1. */
int intake_keygen(const char *name, char **skey, char **vkey);

/* Parses a private key string (leading/trailing white space ignored).
 * Returns NULL on any format error. */
struct intake_signer *intake_signer_new(const char *skey);
/* Wipes and frees the key; NULL is fine. */
void intake_signer_free(struct intake_signer *s);
/* The key's name (owned by the signer). */
const char *intake_signer_name(const struct intake_signer *s);
/* The verifier key string of this signer, malloc'd. */
char *intake_signer_vkey(const struct intake_signer *s);

/* Parses a verifier key string. NULL on any format error. */
struct intake_verifier *intake_verifier_new(const char *vkey);
void intake_verifier_free(struct intake_verifier *v);
const char *intake_verifier_name(const struct intake_verifier *v);

/* Signs TEXT (LEN bytes, must end in "\n", no blank-line ambiguity rules
 * beyond the C2SP ones) and returns the malloc'd note, NUL-terminated, its
 * length in *outlen (if not NULL). NULL if TEXT is not a valid note text. */
char *intake_note_sign(const struct intake_signer *s, const char *text,
    size_t len, size_t *outlen);

/* Opens NOTE (LEN bytes): succeeds (0) only if it is well formed and carries
 * a valid signature by V. *textlen is then the length of the signed text,
 * which starts at NOTE and includes its final "\n". -1 otherwise. */
int intake_note_open(const struct intake_verifier *v, const char *note,
    size_t len, size_t *textlen);

/* explicit_bzero + free. */
void intake_freezero(void *p, size_t len);

#endif
