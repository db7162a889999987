/*
 * common/ini.c: the INI driver (ini.h) and the values every file has.
 *
 * Runs in the parent at start, on SIGHUP and in `intaked -t`. It trusts the
 * operator who wrote the files only so far: every line is checked (length,
 * NUL and control bytes), and anything unknown is an error naming FILE:LINE.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "common/config.h"
#include "common/errbuf.h"
#include "common/ini.h"
#include "lib/utf8.h"


void
ini_error(struct ini_ctx *c, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->failed)
		return;
	c->failed = 1;
	if (c->err == NULL || c->errlen == 0)
		return;
	n = snprintf(c->err, c->errlen, "%s:%u: ", c->file, line);
	if (n < 0 || (size_t)n >= c->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - n, fmt, ap);
	va_end(ap);
}

static int
is_space(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' ||
	    ch == '\f';
}

/* Recognises a "[name]" line as inih will, so that the section hook runs
 * before any key of the section (and for sections without keys). */
static int
ini_section_line(struct ini_ctx *c, char *p)
{
	char *end, *rest, *name;

	while (is_space((unsigned char)*p))
		p++;
	if (*p != '[')
		return 0;
	if ((end = strchr(p + 1, ']')) == NULL)
		return 0;                 /* inih reports the syntax error */
	for (rest = end + 1; is_space((unsigned char)*rest); rest++)
		;
	name = p + 1;
	while (is_space((unsigned char)*name))
		name++;
	while (end > name && is_space((unsigned char)end[-1]))
		end--;
	if ((size_t)(end - name) >= sizeof(c->section)) {
		ini_error(c, c->line, "section '%.40s...': name too long", name);
		return -1;
	}
	memcpy(c->section, name, end - name);
	c->section[end - name] = '\0';
	c->section_line = c->line;
	c->in_section = 1;
	if (*rest != '\0' && *rest != ';' && *rest != '#') {
		ini_error(c, c->line, "section '%s': text after ']'", c->section);
		return -1;
	}
	return c->on_section(c, c->section);
}

/* inih's fgets: one whole line per call, bounded, no NUL or control bytes. */
static char *
config_ini_read(char *str, int num, void *arg)
{
	struct ini_ctx *c = arg;
	size_t n = 0, i;
	int ch;

	if (c->failed)
		return NULL;
	while ((ch = getc(c->fp)) != EOF) {
		if (n >= CONFIG_LINE_MAX || n + 1 >= (size_t)num) {
			ini_error(c, c->line + 1, "line longer than %d bytes", CONFIG_LINE_MAX);
			return NULL;
		}
		c->buf[n++] = (char)ch;
		if (ch == '\n')
			break;
	}
	if (ferror(c->fp)) {
		ini_error(c, c->line + 1, "read error");
		return NULL;
	}
	if (n == 0)
		return NULL;
	c->buf[n] = '\0';
	c->line++;
	for (i = 0; i < n; i++) {
		unsigned char u = (unsigned char)c->buf[i];

		if (u == '\0') {
			ini_error(c, c->line, "NUL byte in line");
			return NULL;
		}
		if ((u < 0x20 && u != '\t' && u != '\r' && u != '\n') || u == 0x7f) {
			ini_error(c, c->line, "control character 0x%02x in line", u);
			return NULL;
		}
	}
	i = 0;
	if (c->line == 1 && n >= 3 && memcmp(c->buf, "\xef\xbb\xbf", 3) == 0)
		i = 3;                    /* UTF-8 BOM, which inih skips too */
	if (ini_section_line(c, c->buf + i) == -1)
		return NULL;
	memcpy(str, c->buf, n + 1);
	return str;
}

static int
config_ini_key(void *arg, const char *section, const char *name, const char *value)
{
	struct ini_ctx *c = arg;

	(void)section;                    /* inih's copy is cut at 50 bytes: use ours */
	if (c->failed)
		return 0;
	if (!c->in_section) {
		ini_error(c, c->line, "key '%s': outside any [section]", name);
		return 0;
	}
	if (value == NULL || value[0] == '\0') {
		ini_error(c, c->line, "key '%s': empty value", name);
		return 0;
	}
	return c->on_key(c, name, value) == 0;
}

int
ini_run(struct ini_ctx *c)
{
	struct stat st;
	int fd = -1, r, ret = -1;

	if ((fd = open(c->file, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		errset(c->err, c->errlen, "%s: cannot open: %s", c->file, strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		errset(c->err, c->errlen, "%s: not a regular file", c->file);
		goto fail;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		errset(c->err, c->errlen, "%s: larger than %u bytes", c->file,
		    CONFIG_FILE_MAX);
		goto fail;
	}
	if ((c->fp = fdopen(fd, "r")) == NULL) {
		errset(c->err, c->errlen, "%s: %s", c->file, strerror(errno));
		goto fail;
	}
	fd = -1;

	/* Debian's libinih: runtime knobs (upstream: macros of ini.h). */
	ini_use_stack = true;
	ini_max_line = CONFIG_LINE_MAX + 3;   /* + '\r', '\n', NUL (see ini.h) */
	ini_allow_multiline = false;          /* an indented line is an error */
	ini_allow_inline_comments = true;     /* "value ; comment" */
	ini_inline_comment_prefixes = ";";
	ini_start_comment_prefixes = ";#";
	ini_allow_no_value = false;
	ini_allow_bom = true;
	ini_stop_on_first_error = true;

	r = ini_parse_stream(config_ini_read, c, config_ini_key, c);
	if (c->failed)
		goto fail;
	if (r > 0) {
		ini_error(c, (unsigned)r, "syntax error (expected '[section]' or 'key = value')");
		goto fail;
	}
	if (r < 0) {
		errset(c->err, c->errlen, "%s: cannot parse (error %d)", c->file, r);
		goto fail;
	}
	ret = 0;
fail:
	if (c->fp != NULL)
		fclose(c->fp);
	c->fp = NULL;
	if (fd != -1)
		close(fd);
	return ret;
}

/* ---- values ------------------------------------------------------------- */

int
config_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;
	const char *p = s;

	if (s == NULL || *p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	switch (*p) {
	case '\0':
		break;
	case 'K': case 'k':
		shift = 10;
		break;
	case 'M': case 'm':
		shift = 20;
		break;
	case 'G': case 'g':
		shift = 30;
		break;
	case 'T': case 't':
		shift = 40;
		break;
	default:
		return -1;
	}
	if (shift != 0) {
		if (p[1] != '\0' || v > (UINT64_MAX >> shift))
			return -1;
		v <<= shift;
	}
	*out = v;
	return 0;
}

int
config_parse_count(const char *s, uint64_t *out)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return -1;
	return config_parse_size(s, out);
}

/* Copies SRC into DST (DSTLEN bytes). 0, or -1 if it does not fit. */
int
ini_copy_str(char *dst, size_t dstlen, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstlen)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

int
ini_utf8_value(struct ini_ctx *c, const char *key, const char *value)
{
	enum utf8_class cl = utf8_check(value, strlen(value), NULL);

	if (cl == UTF8_OK)
		return 0;
	ini_error(c, c->line, "key '%s': %s in the value", key, utf8_class_name(cl));
	return -1;
}

const char *
ini_section_arg(const char *name, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(name, word, n) != 0 || (name[n] != ' ' && name[n] != '\t'))
		return NULL;
	name += n;
	while (*name == ' ' || *name == '\t')
		name++;
	return name;
}
