/*
 * intake/receipt.h: checkpoints, tlog-proofs and receipts (public API).
 *
 * Checkpoint: C2SP tlog-checkpoint, note text "<origin>\n<size>\n<base64 root>\n"
 * (further lines are extensions and are kept but not interpreted).
 * Proof: C2SP tlog-proof, "c2sp.org/tlog-proof@v1\nindex N\n<base64 hash>\n…\n\n<checkpoint note>".
 * Receipt: the log entry (DESIGN §6) as a signed note.
 *
 * Returned strings are malloc'd and owned by the caller.
 */
#ifndef INTAKE_RECEIPT_H
#define INTAKE_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include "merkle.h"
#include "note.h"

#define INTAKE_ORIGIN_MAX 255

struct intake_checkpoint {
	char     origin[INTAKE_ORIGIN_MAX + 1];
	uint64_t size;
	uint8_t  root[INTAKE_HASH_LEN];
};

/* The note text of a checkpoint, malloc'd. */
char *intake_checkpoint_text(const char *origin, uint64_t size,
    const uint8_t root[INTAKE_HASH_LEN]);
/* Parses checkpoint note TEXT (the signed text only). 0/-1. */
int intake_checkpoint_parse(const char *text, size_t len, struct intake_checkpoint *cp);
/* Opens a signed checkpoint note with V and parses it. 0/-1. */
int intake_checkpoint_open(const struct intake_verifier *v, const char *note,
    size_t len, struct intake_checkpoint *cp);

/* Formats a tlog-proof for leaf INDEX with PATH and the signed CHECKPOINT note. */
char *intake_tlog_proof_format(uint64_t index, const intake_hash *path, size_t n,
    const char *checkpoint_note);
/* Parses a tlog-proof. *cp points into P at the checkpoint note. 0/-1. */
int intake_tlog_proof_parse(const char *p, size_t len, uint64_t *index,
    intake_hash path[INTAKE_PROOF_MAX], size_t *n, const char **cp, size_t *cplen);

/* Value of "KEY: value" in a receipt's entry text (first occurrence), copied
 * into OUT (NUL-terminated). 0 if found and it fits, -1 otherwise. */
int intake_entry_get(const char *text, size_t len, const char *key, char *out, size_t outlen);

/*
 * Checks a receipt completely: the receipt note is signed by V, the proof's
 * checkpoint is signed by V and has the same origin as the receipt, the
 * inclusion proof of the entry holds against it, the entry's index equals the
 * proof's, and (when FILE_SHA256 is not NULL) the entry's sha256 equals it.
 * 0 when all hold; -1 with a one-line reason in WHY otherwise.
 */
int intake_receipt_verify(const struct intake_verifier *v,
    const char *receipt, size_t rlen, const char *proof, size_t plen,
    const uint8_t *file_sha256, char *why, size_t whylen);

#endif
