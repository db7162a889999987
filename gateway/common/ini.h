/*
 * common/ini.h: the INI driver under the configuration, policy and
 * parties files (config.c, policy.c, parties.c), internal to common/.
 *
 * inih does the INI syntax. Debian's libinih turns the compile-time knobs
 * into variables (ini_allow_multiline, ini_max_line, ...): ini_run sets them
 * before every parse. Our own line reader feeds inih, so we know the line
 * number of every key and see section headers (also empty sections, and
 * names longer than inih's 50-byte section buffer) before inih does: each
 * line is bounded (CONFIG_LINE_MAX) and may hold no NUL or control byte.
 * The first error is kept as "FILE:LINE: message".
 */
#ifndef INTAKE_INI_H
#define INTAKE_INI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_FILE_MAX     (4u << 20) /* bytes of any one file we parse */
#define CONFIG_LINE_MAX     8192       /* bytes of one line, newline included */
#define CONFIG_SECTION_MAX  128        /* bytes of a section header's name */

struct ini_ctx {
	const char *file;
	FILE       *fp;
	unsigned    line;                        /* line being parsed (1-based) */
	int         in_section;                  /* a header has been seen */
	char        section[CONFIG_SECTION_MAX]; /* as the reader saw it, trimmed */
	unsigned    section_line;
	int       (*on_section)(struct ini_ctx *, const char *);
	int       (*on_key)(struct ini_ctx *, const char *, const char *);
	void       *arg;
	char       *err;
	size_t      errlen;
	int         failed;                      /* ERR holds the first error */
	char        buf[CONFIG_LINE_MAX + 1];
};

/* Records the first error as "FILE:LINE: message". */
void ini_error(struct ini_ctx *c, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Opens C->file (a regular file no larger than CONFIG_FILE_MAX) and runs
 * the parser over it with the hooks in C. 0/-1 (C->err). */
int ini_run(struct ini_ctx *c);

/* Values every file has. */
/* "WORD REST" with one or more blanks between: REST, or NULL. */
const char *ini_section_arg(const char *name, const char *word);
/* Copies SRC into DST (DSTLEN bytes). 0, or -1 if it does not fit. */
int ini_copy_str(char *dst, size_t dstlen, const char *src);
/* 0 when KEY's VALUE is strict UTF-8 with no character lib/utf8.h refuses;
 * else -1 with "key 'KEY': <class> in the value" recorded. */
int ini_utf8_value(struct ini_ctx *c, const char *key, const char *value);
/* A plain decimal count (no sign, no suffix). 0/-1. */
int config_parse_count(const char *s, uint64_t *out);

#endif
