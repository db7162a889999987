/*
 * intake/merkle.h: RFC 6962 / RFC 9162 Merkle trees (public API).
 *
 * leaf hash = SHA-256(0x00 || entry), node hash = SHA-256(0x01 || l || r).
 * Trees are stored as the hashes of their complete subtrees: the hash at
 * (level L, index N) covers leaves [N*2^L, (N+1)*2^L). A reader callback
 * gives those hashes to the proof builders, so that the same code serves the
 * ledger (SQLite), tiles and tests.
 *
 * All functions return 0 on success, -1 on error (bad arguments, a reader
 * failure, a proof that does not verify). Proof verifiers reject any hash
 * that is not exactly 32 bytes by construction (fixed-size arrays).
 */
#ifndef INTAKE_MERKLE_H
#define INTAKE_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define INTAKE_HASH_LEN 32
#define INTAKE_PROOF_MAX 128  /* longest proof of a tree below 2^63 leaves, with room */

typedef uint8_t intake_hash[INTAKE_HASH_LEN];

/* Stored hash of the complete subtree at (level, index); 0/-1. */
typedef int (*intake_hash_reader)(void *arg, unsigned level, uint64_t index,
    uint8_t out[INTAKE_HASH_LEN]);

void intake_merkle_leaf(const void *entry, size_t len, uint8_t out[INTAKE_HASH_LEN]);
void intake_merkle_node(const uint8_t l[INTAKE_HASH_LEN], const uint8_t r[INTAKE_HASH_LEN],
    uint8_t out[INTAKE_HASH_LEN]);

/* Appending leaf number INDEX (the tree had INDEX leaves) with hash LEAF
 * creates the complete subtrees ending at it: (0,INDEX), then one per level
 * while the subtree is complete. Writes up to 64 of them to LEVELS/HASHES
 * (level i's index is INDEX >> level) and returns their count, or -1.
 * READER supplies the earlier hashes needed. */
int intake_merkle_append(uint64_t index, const uint8_t leaf[INTAKE_HASH_LEN],
    intake_hash_reader reader, void *arg, unsigned levels[64], intake_hash hashes[64]);

/* Root of the first SIZE leaves (SIZE 0: SHA-256 of nothing). */
int intake_merkle_root(uint64_t size, intake_hash_reader reader, void *arg,
    uint8_t out[INTAKE_HASH_LEN]);

/* Audit path of leaf INDEX in the tree of SIZE leaves; *n hashes written. */
int intake_merkle_inclusion_proof(uint64_t index, uint64_t size,
    intake_hash_reader reader, void *arg, intake_hash proof[INTAKE_PROOF_MAX], size_t *n);

/* Consistency proof from SIZE1 to SIZE2 (0 < SIZE1 <= SIZE2). */
int intake_merkle_consistency_proof(uint64_t size1, uint64_t size2,
    intake_hash_reader reader, void *arg, intake_hash proof[INTAKE_PROOF_MAX], size_t *n);

/* RFC 9162 §2.1.3.2 verification. 0 if the proof holds. */
int intake_merkle_verify_inclusion(uint64_t index, uint64_t size,
    const uint8_t leaf[INTAKE_HASH_LEN], const intake_hash *proof, size_t n,
    const uint8_t root[INTAKE_HASH_LEN]);

/* RFC 9162 §2.1.4.2 verification. SIZE1 == 0 is an error (see testdata);
 * SIZE1 == SIZE2 needs an empty proof and equal roots. */
int intake_merkle_verify_consistency(uint64_t size1, uint64_t size2,
    const uint8_t root1[INTAKE_HASH_LEN], const uint8_t root2[INTAKE_HASH_LEN],
    const intake_hash *proof, size_t n);

#endif
