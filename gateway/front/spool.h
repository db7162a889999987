/*
 * front/spool.h: direct writes of a large upload, hashed on the other core.
 *
 * Past SPOOL_AFTER bytes of a body, the loop thread copies what it decrypts
 * into SPOOL_NBUF page-aligned staging buffers. Three threads of the spool
 * then work beside it: one hashes each full buffer (SHA-256, and SHA-512
 * when the client claims one), one writes it, and one fdatasyncs after every
 * SPOOL_FLUSH bytes, so that the page cache and the device's own cache empty
 * while the body arrives, not all at once after: the final sync has almost
 * nothing left to do. With DIRECT the writes use O_DIRECT and skip the page
 * cache, its copy and its write-back; without (kinds that admit archives,
 * whose inspection reads every byte again) they stay buffered. The first
 * SPOOL_AFTER bytes are always buffered, in the page cache, where the
 * inspector types them. Few large buffers rather than many small ones:
 * each hand-over wakes two threads, and the device takes 4 MiB writes
 * faster than 1 MiB ones (0.1-0.3 s less CPU per GiB than 12 x 1 MiB).
 * The loop stops reading while less than SPOOL_SLACK is free (spool_add
 * returns 1): more than the bufferevent can still hold and hand over
 * (conn.c's watermark and one read), so that spool_add never waits. It
 * reads again when WAKE (in the loop thread) finds spool_room(); WAKE also
 * comes once everything is written after spool_end.
 * Between spool_start and spool_free the descriptor and the digest contexts
 * belong to the spool. A file system without O_DIRECT gets no direct spool.
 *
 * The spool never answers and never logs contents; a write error is kept
 * (spool_done) and the rest of the body is dropped.
 */
#ifndef INTAKE_SPOOL_H
#define INTAKE_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <event2/event.h>
#include <openssl/evp.h>

#ifndef SPOOL_AFTER                      /* -DSPOOL_AFTER=UINT64_MAX: never (comparisons) */
#define SPOOL_AFTER       (1u << 20)     /* body bytes written buffered before a spool starts */
#endif
#define SPOOL_BUF         (4u << 20)     /* one staging buffer (a multiple of SPOOL_ALIGN) */
#define SPOOL_NBUF        3              /* staging buffers per spool */
#define SPOOL_SLACK       (1u << 20)     /* room below which the loop stops reading */
#define SPOOL_ALIGN       4096           /* O_DIRECT alignment of memory, offsets, lengths */
#define SPOOL_THREADS_MAX 4              /* spools at once; more uploads stay buffered */
#define SPOOL_FLUSH       (16u << 20)    /* fdatasync after each 16 MiB written */

struct spool;

/* Starts a spool for FD, which holds OFFSET bytes already (hashed by the
 * caller into the contexts). NULL when SPOOL_THREADS_MAX run, when the file
 * system refuses O_DIRECT, or on a resource failure: the caller carries on
 * with buffered writes. WAKE(ARG) runs in BASE's thread. */
struct spool *spool_start(struct event_base *base, int fd, uint64_t offset,
    int direct, EVP_MD_CTX *sha256, EVP_MD_CTX *sha512, void (*wake)(void *), void *arg);
/* Copies LEN body bytes to the spool (always all of them). Returns 1 when
 * the caller must stop reading until WAKE finds spool_room(), else 0. */
int spool_add(struct spool *s, const void *data, size_t len);
/* 1 when a buffer is free again: reading may resume. */
int spool_room(struct spool *s);
/* No more body: WAKE comes once all of it is hashed and written. */
void spool_end(struct spool *s);
/* 1 when spool_end was called and everything is hashed and written; then
 * *WRITE_ERRNO is the first write error (0 if none). */
int spool_done(struct spool *s, int *write_errno);
/* Stops the thread (what is queued is dropped unless spool_done) and frees
 * the spool; the descriptor and the contexts stay the caller's. */
void spool_free(struct spool *s);
/* Stops the thread as spool_free does, without freeing the spool: returns
 * the file offset up to which the bytes are written, each one of them
 * (what was queued after it is dropped), and the first write error in
 * *WRITE_ERRNO (0 if none). */
uint64_t spool_halt(struct spool *s, int *write_errno);
/* After spool_end: blocks until everything handed over is written (or a
 * write failed), then answers as spool_halt. For a resumable upload's
 * PATCH cut short, which keeps every byte it received (tus.c). */
uint64_t spool_wait(struct spool *s, int *write_errno);
/* Before the first spool_add: the SHA-256 context is no longer the spool's
 * to update (the notary hashes this body itself); the caller frees it. */
void spool_drop_sha256(struct spool *s);
/* Before the first spool_add: FN(ARG, TOKEN, UPTO) runs in the writer
 * thread each time at least SPOOL_FLUSH more bytes of the file are written,
 * UPTO being the file offset written up to (the notary's pre-hash). */
void spool_on_written(struct spool *s, void (*fn)(void *, uint64_t, uint64_t), void *arg,
    uint64_t token);
/* Opens a tap, before the first spool_add: a reader that follows the body
 * from spool_start's OFFSET on, in order, each buffer held until it has
 * copied it. */
void spool_tap_open(struct spool *s);
/* Copies the next LEN body bytes of the tap into DST, waiting for them
 * (any thread but the loop's). Returns LEN, fewer at the end of the body,
 * or -1 once the tap is closed or the spool cancelled. */
ssize_t spool_tap_read(struct spool *s, void *dst, size_t len);
/* Closes the tap (any thread): buffers no longer wait for it, and a
 * spool_tap_read waiting or to come returns -1. */
void spool_tap_close(struct spool *s);
/* Makes WAKE run in the loop thread (any thread). */
void spool_poke(struct spool *s);
/* Spools running now. */
unsigned spool_active(void);

#endif
