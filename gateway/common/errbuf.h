/*
 * common/errbuf.h: the caller's error buffer, filled in one call.
 *
 * Job: the one-line reason that functions returning -1 leave in the
 * caller's (ERR, ERRLEN) buffer ("ledger: ...", "URL: bad port"), written
 * with vsnprintf and so always NUL-terminated and cut to fit. Runs in every
 * process (daemon and CLI alike); trusts its caller for the format and
 * never reads past ERRLEN. Must never be handed file contents or keys: the
 * reason is logged and shown.
 *
 * API: errset(ERR, ERRLEN, FMT, ...); ERR NULL or ERRLEN 0 means the caller
 * wants no reason and nothing is written.
 */
#ifndef INTAKE_ERRBUF_H
#define INTAKE_ERRBUF_H

#include <stddef.h>

void errset(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
