/*
 * intake/cli.c: the helpers the `intake` commands share (see cli.h).
 *
 * Runs in the CLI only, as the user. Every read is capped before it is made
 * and checked to be of a regular file; every loop retries EINTR and nothing
 * else. Nothing here prints what it reads: a key file's contents go only to
 * intake_verifier_new().
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli.h"
#include "cmds.h"

int
cli_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "intake %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CMD_FAIL;
}

char *
cli_slurp(const char *path, size_t max, int flags, size_t *lenp)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, saved;

	if ((flags & CLI_SLURP_STDIN) && strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC |
	    ((flags & CLI_SLURP_NOFOLLOW) ? O_NOFOLLOW : 0))) == -1)
		return NULL;
	if (fd != STDIN_FILENO) {
		if (fstat(fd, &st) == -1)
			goto fail;
		if (!S_ISREG(st.st_mode)) {
			errno = EINVAL;
			goto fail;
		}
	}
	if ((buf = malloc(max + 1)) == NULL)
		goto fail;
	for (;;) {
		n = read(fd, buf + len, max + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			errno = EFBIG;
			goto fail;
		}
	}
	buf[len] = '\0';
	if (fd != STDIN_FILENO)
		close(fd);
	*lenp = len;
	return buf;
fail:
	saved = errno;
	free(buf);
	if (fd != STDIN_FILENO)
		close(fd);
	errno = saved;
	return NULL;
}

/*
 * The one line of the key file ARG (cli_slurp FLAGS, at most
 * CLI_VKEY_FILE_MAX bytes), white space around it removed: malloc'd, or
 * NULL when unreadable or holding a NUL.
 */
static char *
cli_key_line(const char *arg, int flags)
{
	char *buf, *s, *e, *out = NULL;
	size_t len;

	if ((buf = cli_slurp(arg, CLI_VKEY_FILE_MAX, flags, &len)) == NULL)
		return NULL;
	/* one line; surrounding white space (the final newline) is not the key */
	for (s = buf; *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'; s++)
		;
	for (e = buf + len; e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'); e--)
		;
	*e = '\0';
	/* a NUL inside is not part of a key line */
	if (strlen(s) == (size_t)(e - s))
		out = strdup(s);
	free(buf);
	return out;
}

struct intake_verifier *
cli_load_vkey(const char *arg, int flags)
{
	struct intake_verifier *v;
	char *line;

	if ((v = intake_verifier_new(arg)) != NULL)
		return v;
	if ((line = cli_key_line(arg, flags)) == NULL)
		return NULL;
	v = intake_verifier_new(line);
	free(line);
	return v;
}

/* cli_load_vkey for a witness's cosigner verifier key (type 0x04); free
 * with intake_wverifier_free(). */
static struct intake_wverifier *
cli_load_wvkey(const char *arg, int flags)
{
	struct intake_wverifier *w;
	char *line;

	if ((w = intake_wverifier_new(arg)) != NULL)
		return w;
	if ((line = cli_key_line(arg, flags)) == NULL)
		return NULL;
	w = intake_wverifier_new(line);
	free(line);
	return w;
}

int
cli_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
cli_syncdir(const char *path)
{
	char *copy, *dir;
	int fd, rc = -1;

	if ((copy = strdup(path)) == NULL)
		return -1;
	dir = dirname(copy);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

int
cli_replace(const char *path, const char *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	int fd = -1, n, saved;

	n = snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		return -1;
	if (fchmod(fd, mode) == -1)
		goto fail;
	if (cli_write_all(fd, data, len) == -1 || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	return cli_syncdir(path);
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

int
cli_hash_fd(int fd, unsigned char *buf, uint8_t out[INTAKE_HASH_LEN], uint64_t *total)
{
	EVP_MD_CTX *ctx;
	uint64_t count = 0;
	ssize_t n;
	int rc, saved;

	if ((ctx = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		rc = CLI_HASH_ENOMEM;
		goto fail;
	}
	for (;;) {
		n = read(fd, buf, CLI_HASH_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = CLI_HASH_EREAD;
			goto fail;
		}
		if (n == 0)
			break;
		count += (uint64_t)n;
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1) {
			rc = CLI_HASH_EDIGEST;
			goto fail;
		}
	}
	if (EVP_DigestFinal_ex(ctx, out, NULL) != 1) {
		rc = CLI_HASH_EDIGEST;
		goto fail;
	}
	if (total != NULL)
		*total = count;
	rc = 0;
fail:
	saved = errno;
	EVP_MD_CTX_free(ctx);
	errno = saved;
	return rc;
}

int
cli_witness_add(struct cli_witnesses *ws, const char *cmd, const char *arg)
{
	if (ws->n == CLI_WITNESSES_MAX) {
		fprintf(stderr, "intake %s: at most %d --witness keys\n", cmd, CLI_WITNESSES_MAX);
		return CMD_USAGE;
	}
	if ((ws->w[ws->n] = cli_load_wvkey(arg, CLI_SLURP_NOFOLLOW)) == NULL)
		return cli_fail(cmd, "--witness %s: not a cosigner key (type 0x04), nor a file "
		    "holding one", arg);
	ws->n++;
	return 0;
}

int
cli_witness_quorum(struct cli_witnesses *ws, const char *cmd, const char *arg)
{
	char *end;
	long q;

	errno = 0;
	q = strtol(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno != 0 || q > CLI_WITNESSES_MAX) {
		fprintf(stderr, "intake %s: --quorum %s: not a number from 0 to %d\n", cmd, arg,
		    CLI_WITNESSES_MAX);
		return CMD_USAGE;
	}
	ws->quorum = q;
	return 0;
}

int
cli_witness_check(struct cli_witnesses *ws, const char *cmd)
{
	if (ws->quorum < 0)
		ws->quorum = (long)ws->n;
	if ((size_t)ws->quorum > ws->n) {
		fprintf(stderr, "intake %s: --quorum %ld but only %zu --witness key%s: the quorum "
		    "could never be met\n", cmd, ws->quorum, ws->n, ws->n == 1 ? "" : "s");
		return CMD_USAGE;
	}
	return 0;
}

int
cli_witness_require(const struct cli_witnesses *ws, const char *note, size_t len,
    size_t *count)
{
	*count = intake_cosig_count((const struct intake_wverifier *const *)ws->w, ws->n,
	    note, len);
	return *count >= (size_t)ws->quorum ? 0 : -1;
}

void
cli_witness_free(struct cli_witnesses *ws)
{
	for (size_t i = 0; i < ws->n; i++)
		intake_wverifier_free(ws->w[i]);
	ws->n = 0;
}

void
cli_csv_cell(const char *s)
{
	int guard = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
	    s[0] == '\t' || s[0] == '\r';
	int quote = strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ' ||
	    (s[0] != '\0' && s[strlen(s) - 1] == ' ');

	if (quote)
		putchar('"');
	if (guard)
		putchar('\'');
	for (; *s != '\0'; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	if (quote)
		putchar('"');
}
