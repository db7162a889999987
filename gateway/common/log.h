/*
 * common/log.h: logging to stderr (systemd style: the journal adds the time).
 *
 * Every process and thread may call these. Never log file contents, keys or
 * whole certificates: Party, kind, size, hash, verdict and reasons only.
 * fatal() is for broken invariants and failures that must stop the daemon
 * (a failed sync, a failed sandbox): it logs and exits 1.
 */
#ifndef INTAKE_LOG_H
#define INTAKE_LOG_H

#include <stdarg.h>

void log_init(const char *progname);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
