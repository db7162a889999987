/*
 * common/log.c: see log.h. One line per message, written with a single
 * write(2) so that lines from threads do not interleave.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

static const char *log_prog = "intake";

void
log_init(const char *progname)
{
	log_prog = progname;
}

static void log_emit(const char *level, int with_errno, int saved_errno, const char *fmt,
    va_list ap) __attribute__((format(printf, 4, 0)));

static void
log_emit(const char *level, int with_errno, int saved_errno, const char *fmt, va_list ap)
{
	char line[2048];
	int n, m;

	n = snprintf(line, sizeof(line), "%s: %s", log_prog, level);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (m < 0)
		return;
	n = (size_t)(n + m) >= sizeof(line) - 1 ? (int)sizeof(line) - 2 : n + m;
	if (with_errno) {
		m = snprintf(line + n, sizeof(line) - n, ": %s", strerror(saved_errno));
		if (m > 0)
			n = (size_t)(n + m) >= sizeof(line) - 1 ? (int)sizeof(line) - 2 : n + m;
	}
	/* No control characters reach the log, whatever a caller passed. */
	for (int i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
}

#define LOG_BODY(level, witherr)                  \
	int saved = errno;                         \
	va_list ap;                                \
	va_start(ap, fmt);                         \
	log_emit(level, witherr, saved, fmt, ap);  \
	va_end(ap);                                \
	errno = saved

void log_info(const char *fmt, ...) { LOG_BODY("", 0); }
void log_warn(const char *fmt, ...) { LOG_BODY("warning: ", 1); }
void log_warnx(const char *fmt, ...) { LOG_BODY("warning: ", 0); }

void
fatal(const char *fmt, ...)
{
	LOG_BODY("fatal: ", 1);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY("fatal: ", 0);
	exit(1);
}
