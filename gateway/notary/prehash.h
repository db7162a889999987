/*
 * notary/prehash.h: the notary's own SHA-256 of a large upload, taken while
 * the upload still arrives.
 *
 * Runs in the notary. The notary never takes the front's word for a file's
 * hash: it reads the file itself. For a large upload that read would come
 * after the last byte and delay the answer by a second or more per GiB, so
 * the front opens a pre-hash as soon as it spools a body (MSG_HASH_OPEN,
 * with a read-only descriptor of the quarantine file) and says how far the
 * file is written (MSG_HASH_MORE); a thread of the notary reads and hashes
 * up to there, from the file, while the rest arrives. The MSG_RECORD that
 * names the pre-hash then needs only the tail read. Nothing of this trusts
 * the front: the bytes hashed are the ones the notary read from the file,
 * the record's descriptor must be the same file (device and inode), the
 * hash is finished to the record's size, and a byte past that size is
 * refused, as in a full re-hash; so is a record smaller than what the front
 * said was written, or bytes it said were written that the file lacks.
 *
 * Tokens are the front's (the messages' ids), strictly increasing; a pre-hash
 * that is never recorded is dropped (MSG_HASH_DROP). At most PREHASH_MAX run
 * at once: a new one takes the place of the oldest, whose record, if it
 * ever comes, is then re-hashed whole (never wrong, only slower).
 *
 * API: prehash_new, prehash_open, prehash_more, prehash_drop,
 * prehash_finish, prehash_free.
 */
#ifndef INTAKE_PREHASH_H
#define INTAKE_PREHASH_H

#include <stdint.h>

#define PREHASH_MAX   8                  /* pre-hashes at once (the front spools 4) */
#define PREHASH_CHUNK (2u << 20)         /* bytes read at a time */
#define PREHASH_ALIGN 4096               /* O_DIRECT alignment of buffers, offsets, lengths */
#define PREHASH_NBUF  2                  /* buffers between the reader and the hasher */

struct prehash;

/* NULL on a resource failure. */
struct prehash *prehash_new(void);
/* Opens pre-hash TOKEN over FD (taken: closed by the pre-hash). 0; 1 on a
 * resource failure (FD closed, nothing opened); -1 when TOKEN is not above
 * every token seen before (a breach; FD closed). */
int prehash_open(struct prehash *ph, uint64_t token, int fd);
/* The front says bytes [0, UPTO) of TOKEN's file are written. An unknown
 * token (dropped, finished or refused) is ignored. */
void prehash_more(struct prehash *ph, uint64_t token, uint64_t upto);
/* Forgets TOKEN (unknown: ignored). */
void prehash_drop(struct prehash *ph, uint64_t token);
/* Takes TOKEN and finishes its hash: FD (the record's descriptor) must be
 * the same file, and holds exactly SIZE bytes. 0 with the digest in OUT;
 * 1 when TOKEN is unknown (the caller re-hashes whole); -1 when FD is
 * another file or cannot be read to SIZE (a breach). */
int prehash_finish(struct prehash *ph, uint64_t token, int fd, uint64_t size, uint8_t out[32]);
/* Stops the thread, closes what is open. */
void prehash_free(struct prehash *ph);

#endif
