/*
 * lib/merkle.c: RFC 6962 / RFC 9162 Merkle trees (see include/intake/merkle.h).
 *
 * Job: leaf and node hashes, the stored hashes an append creates (as Go's
 * tlog.StoredHashes), roots and proofs built from those stored hashes, and
 * the RFC 9162 proof verifiers.
 * Runs in the notary (append, proofs) and in every verifier (CLI, auditors).
 * Trusts the reader to return the hashes it stored; trusts nothing in a
 * proof it verifies. Must never accept a proof for a leaf outside the tree
 * or a consistency proof from the empty tree.
 * Proof builders split a range into complete subtrees, each one stored hash:
 * a proof costs O(log n) reader calls, whatever the tree size.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "intake/merkle.h"
#include "util.h"

/* Largest tree handled: sizes and indexes stay within int64, as Go's tlog. */
#define MERKLE_SIZE_MAX ((uint64_t)INT64_MAX)

/* Entries up to this size are hashed from a stack copy (one digest call);
 * larger ones are streamed. Receipts are well below it. */
#define MERKLE_LEAF_STACK 4096

void
intake_merkle_leaf(const void *entry, size_t len, uint8_t out[INTAKE_HASH_LEN])
{
	uint8_t buf[MERKLE_LEAF_STACK];
	EVP_MD_CTX *ctx;
	static const uint8_t zero = 0x00;
	int ok;

	if (len < sizeof(buf)) {
		buf[0] = 0x00;
		if (len > 0)
			memcpy(buf + 1, entry, len);
		util_sha256(buf, len + 1, out);
		return;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		abort();
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, &zero, 1) == 1 &&
	    EVP_DigestUpdate(ctx, entry, len) == 1 &&
	    EVP_DigestFinal_ex(ctx, out, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	/* Only an allocation failure inside OpenSSL gets here: fail closed. */
	if (!ok)
		abort();
}

void
intake_merkle_node(const uint8_t l[INTAKE_HASH_LEN], const uint8_t r[INTAKE_HASH_LEN],
    uint8_t out[INTAKE_HASH_LEN])
{
	uint8_t buf[1 + 2 * INTAKE_HASH_LEN];

	buf[0] = 0x01;
	memcpy(buf + 1, l, INTAKE_HASH_LEN);
	memcpy(buf + 1 + INTAKE_HASH_LEN, r, INTAKE_HASH_LEN);
	util_sha256(buf, sizeof(buf), out);
}

/* Largest power of two strictly below N (N >= 2). */
static uint64_t
merkle_split(uint64_t n)
{
	return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

/*
 * Hash of leaves [LO, HI) (HI > LO) as RFC 6962's MTH: one stored hash when
 * the range is a complete aligned subtree, otherwise the left complete part
 * and the (recursively split) right part. Recursion depth is at most 64.
 */
static int
merkle_range(uint64_t lo, uint64_t hi, intake_hash_reader reader, void *arg,
    uint8_t out[INTAKE_HASH_LEN])
{
	uint64_t n = hi - lo, k;
	uint8_t l[INTAKE_HASH_LEN], r[INTAKE_HASH_LEN];

	if ((n & (n - 1)) == 0 && (lo & (n - 1)) == 0) {
		unsigned level = (unsigned)__builtin_ctzll(n);

		return reader(arg, level, lo >> level, out);
	}
	k = merkle_split(n);
	if (merkle_range(lo, lo + k, reader, arg, l) == -1 ||
	    merkle_range(lo + k, hi, reader, arg, r) == -1)
		return -1;
	intake_merkle_node(l, r, out);
	return 0;
}

int
intake_merkle_append(uint64_t index, const uint8_t leaf[INTAKE_HASH_LEN],
    intake_hash_reader reader, void *arg, unsigned levels[64], intake_hash hashes[64])
{
	uint8_t left[INTAKE_HASH_LEN];
	unsigned m;

	if (index >= MERKLE_SIZE_MAX || reader == NULL)
		return -1;
	/* Each trailing 1 bit of INDEX completes one more subtree. */
	m = (unsigned)__builtin_ctzll(index + 1);
	levels[0] = 0;
	memcpy(hashes[0], leaf, INTAKE_HASH_LEN);
	for (unsigned i = 0; i < m; i++) {
		if (reader(arg, i, (index >> i) - 1, left) == -1)
			return -1;
		intake_merkle_node(left, hashes[i], hashes[i + 1]);
		levels[i + 1] = i + 1;
	}
	return (int)m + 1;
}

int
intake_merkle_root(uint64_t size, intake_hash_reader reader, void *arg,
    uint8_t out[INTAKE_HASH_LEN])
{
	if (size > MERKLE_SIZE_MAX || reader == NULL)
		return -1;
	if (size == 0) {
		util_sha256("", 0, out);
		return 0;
	}
	return merkle_range(0, size, reader, arg, out);
}

/* Proofs are built root first; RFC order is leaf first. */
static void
merkle_reverse(intake_hash *proof, size_t n)
{
	uint8_t t[INTAKE_HASH_LEN];

	for (size_t i = 0; i < n / 2; i++) {
		memcpy(t, proof[i], INTAKE_HASH_LEN);
		memcpy(proof[i], proof[n - 1 - i], INTAKE_HASH_LEN);
		memcpy(proof[n - 1 - i], t, INTAKE_HASH_LEN);
	}
}

int
intake_merkle_inclusion_proof(uint64_t index, uint64_t size,
    intake_hash_reader reader, void *arg, intake_hash proof[INTAKE_PROOF_MAX], size_t *n)
{
	uint64_t lo = 0, hi = size, k;

	*n = 0;
	if (size > MERKLE_SIZE_MAX || index >= size || reader == NULL)
		return -1;
	/* RFC 6962 PATH(m, D[lo:hi]), walking down from the root. */
	while (hi - lo > 1) {
		if (*n >= INTAKE_PROOF_MAX)
			return -1;
		k = merkle_split(hi - lo);
		if (index < lo + k) {
			if (merkle_range(lo + k, hi, reader, arg, proof[*n]) == -1)
				return -1;
			hi = lo + k;
		} else {
			if (merkle_range(lo, lo + k, reader, arg, proof[*n]) == -1)
				return -1;
			lo += k;
		}
		(*n)++;
	}
	merkle_reverse(proof, *n);
	return 0;
}

int
intake_merkle_consistency_proof(uint64_t size1, uint64_t size2,
    intake_hash_reader reader, void *arg, intake_hash proof[INTAKE_PROOF_MAX], size_t *n)
{
	uint64_t lo = 0, hi = size2, m = size1, k;
	int whole = 1;  /* RFC 6962 SUBPROOF's b: D[lo:hi] is the first tree's own */

	*n = 0;
	if (size2 > MERKLE_SIZE_MAX || size1 == 0 || size1 > size2 || reader == NULL)
		return -1;
	if (size1 == size2)
		return 0;
	/* SUBPROOF(m, D[lo:hi], b), walking down from the root; m is relative to lo. */
	for (;;) {
		if (*n >= INTAKE_PROOF_MAX)
			return -1;
		if (m == hi - lo) {
			if (!whole) {
				if (merkle_range(lo, hi, reader, arg, proof[*n]) == -1)
					return -1;
				(*n)++;
			}
			break;
		}
		k = merkle_split(hi - lo);
		if (m <= k) {
			if (merkle_range(lo + k, hi, reader, arg, proof[*n]) == -1)
				return -1;
			hi = lo + k;
		} else {
			if (merkle_range(lo, lo + k, reader, arg, proof[*n]) == -1)
				return -1;
			m -= k;
			lo += k;
			whole = 0;
		}
		(*n)++;
	}
	merkle_reverse(proof, *n);
	return 0;
}

int
intake_merkle_verify_inclusion(uint64_t index, uint64_t size,
    const uint8_t leaf[INTAKE_HASH_LEN], const intake_hash *proof, size_t n,
    const uint8_t root[INTAKE_HASH_LEN])
{
	uint64_t fn, sn;
	uint8_t r[INTAKE_HASH_LEN];

	if (index >= size || leaf == NULL || root == NULL || (n > 0 && proof == NULL))
		return -1;
	fn = index;
	sn = size - 1;
	memcpy(r, leaf, INTAKE_HASH_LEN);
	for (size_t i = 0; i < n; i++) {
		if (sn == 0)
			return -1;
		if ((fn & 1) || fn == sn) {
			intake_merkle_node(proof[i], r, r);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else
			intake_merkle_node(r, proof[i], r);
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || memcmp(r, root, INTAKE_HASH_LEN) != 0)
		return -1;
	return 0;
}

int
intake_merkle_verify_consistency(uint64_t size1, uint64_t size2,
    const uint8_t root1[INTAKE_HASH_LEN], const uint8_t root2[INTAKE_HASH_LEN],
    const intake_hash *proof, size_t n)
{
	uint64_t fn, sn;
	uint8_t fr[INTAKE_HASH_LEN], sr[INTAKE_HASH_LEN];
	size_t i;

	/* The empty tree is consistent with anything: such a proof proves nothing. */
	if (size1 == 0 || size1 > size2 || root1 == NULL || root2 == NULL ||
	    (n > 0 && proof == NULL))
		return -1;
	if (size1 == size2)
		return n == 0 && memcmp(root1, root2, INTAKE_HASH_LEN) == 0 ? 0 : -1;
	if (n == 0)
		return -1;
	fn = size1 - 1;
	sn = size2 - 1;
	/* A power-of-two first tree is its own first proof node (RFC 9162 step 2). */
	if ((size1 & (size1 - 1)) == 0) {
		memcpy(fr, root1, INTAKE_HASH_LEN);
		i = 0;
	} else {
		memcpy(fr, proof[0], INTAKE_HASH_LEN);
		i = 1;
	}
	memcpy(sr, fr, INTAKE_HASH_LEN);
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < n; i++) {
		if (sn == 0)
			return -1;
		if ((fn & 1) || fn == sn) {
			intake_merkle_node(proof[i], fr, fr);
			intake_merkle_node(proof[i], sr, sr);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else
			intake_merkle_node(sr, proof[i], sr);
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || memcmp(fr, root1, INTAKE_HASH_LEN) != 0 ||
	    memcmp(sr, root2, INTAKE_HASH_LEN) != 0)
		return -1;
	return 0;
}
