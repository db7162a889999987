/*
 * front/spool.h: a writer thread for the body of one large upload.
 *
 * The loop thread decrypts; the spool hashes (SHA-256, and SHA-512 when the
 * client claims one) and writes to the quarantine file, on the other core.
 * Body bytes move from the bufferevent's input to the spool by relinking
 * evbuffer chains (no copy when a chain is all body). The loop stops reading
 * while the spool holds more than SPOOL_HIGH bytes, so memory stays bounded
 * whatever the size; the spool wakes the loop (WAKE, in the loop thread) when
 * it has room again and when it has written and hashed everything after
 * spool_end. Between spool_start and spool_free the file descriptor and the
 * digest contexts belong to the spool thread alone.
 *
 * The spool never reads the body, never answers and never logs contents;
 * a write error is kept (spool_done) and the rest of the body is dropped.
 */
#ifndef INTAKE_SPOOL_H
#define INTAKE_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/evp.h>

#define SPOOL_AFTER       (1u << 20)  /* body bytes handled inline before a spool starts */
#define SPOOL_HIGH        (4u << 20)  /* queued bytes at which the loop stops reading */
#define SPOOL_LOW         (1u << 20)  /* queued bytes below which it reads again */
#define SPOOL_THREADS_MAX 8           /* spools at once; further uploads stay inline */
#define SPOOL_WRITEBACK   (32u << 20) /* start write-back of each 32 MiB written */

struct spool;

/* Starts a spool for FD (at OFFSET bytes already written) and the digest
 * contexts; NULL when SPOOL_THREADS_MAX are running or on a resource
 * failure (the caller carries on inline). WAKE(ARG) runs in BASE's thread. */
struct spool *spool_start(struct event_base *base, int fd, EVP_MD_CTX *sha256,
    EVP_MD_CTX *sha512, uint64_t offset, void (*wake)(void *), void *arg);
/* Moves the first LEN bytes of IN to the spool. Returns 1 when the caller
 * should stop reading until WAKE says spool_room(), else 0. */
int spool_move(struct spool *s, struct evbuffer *in, size_t len);
/* The same for bytes that are not in an evbuffer (copied). */
int spool_copy(struct spool *s, const void *data, size_t len);
/* 1 when the queue is below SPOOL_LOW: reading may resume. */
int spool_room(struct spool *s);
/* No more body: WAKE is called once all of it is written and hashed. */
void spool_end(struct spool *s);
/* 1 when spool_end was called and everything is written and hashed; then
 * *WRITE_ERRNO is the first write error (0 if none). */
int spool_done(struct spool *s, int *write_errno);
/* Stops the thread (what is queued is dropped unless spool_done) and frees
 * the spool; the descriptor and the contexts stay the caller's. */
void spool_free(struct spool *s);
/* Spools running now (any thread). */
unsigned spool_active(void);

/* Asks the kernel to start writing back the SPOOL_WRITEBACK range that
 * bytes BEFORE..AFTER of FD completed, if any (asynchronous; the final
 * fsync then has little left to do). */
void spool_writeback(int fd, uint64_t before, uint64_t after);

#endif
