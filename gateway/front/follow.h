/*
 * front/follow.h: the inspection of a tar, tar.gz or tar.xz upload while
 * its body is still arriving, so that the verdict is ready when the last
 * byte is.
 *
 * A follower is a thread of the front with an inspector process of its own
 * (front/inspproc.h, started for it and ended after it): the thread reads
 * the upload in order, the head already in the quarantine file, then the
 * spool's tap (spool.h), and copies it into a pipe; the inspector reads
 * the pipe and gives the same result as it would for the complete file
 * (inspect.h: inspect_stream), or says it needs the file (need_file): a
 * zip or 7z after all, a seek, a member as large as the upload, the time
 * limit. The front then inspects the file as it would have without a
 * follower; so it does when the follower's inspector dies or overruns. No
 * byte of the upload is parsed in the front. Nothing is decided here.
 *
 * The loop thread and the follower each hold a reference; a follower whose
 * upload went away finishes on its own (its reads fail at once) and frees
 * itself, so the loop never waits for an inspection.
 */
#ifndef INTAKE_FOLLOW_H
#define INTAKE_FOLLOW_H

#include <stdint.h>

#include "front/spool.h"
#include "inspect/inspect.h"

struct follow;
struct runtime;
struct inspproc_conf;

/* A read-only descriptor of the quarantine file PATH when its first bytes
 * say tar, gzip or xz (a hint, not a verdict) and a follower may start,
 * else -1. */
int follow_open(const char *path);
/* Follows the body of SIZE bytes (its Content-Length) spooled by S from
 * HEAD on; FD (from follow_open) is the follower's from now on, even on
 * failure. Call before the first spool_add. NULL when it cannot start,
 * or when FOLLOW_MAX (follow.c) run already. */
struct follow *follow_start(struct spool *s, int fd, uint64_t head, uint64_t size,
    struct runtime *rt, const struct kind *kind, const char *filename,
    const struct inspproc_conf *conf);
/* 1 once the follower has finished (the loop thread learns it through the
 * spool's WAKE). */
int follow_done(struct follow *f);
/* Lets go of the spool: the tap closes and the follower will not touch
 * the spool again. Call before spool_free; idempotent. */
void follow_detach(struct follow *f);
/* Drops the loop's reference (detaching first). Returns 1 and moves the
 * result into *RES when the follower finished with a result for a body of
 * exactly SIZE bytes; else 0 and RES (may be NULL) is left alone. */
int follow_release(struct follow *f, uint64_t size, struct inspect_result *res);
/* Followers still running (/metrics). */
unsigned follow_active(void);

#endif
