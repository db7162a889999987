/*
 * intake/cli.h: the chores every `intake` command does the same way.
 *
 * Job: one copy of what the commands (cmd_*.c) share: the "intake CMD:
 * reason" line on stderr, reading a whole file under a size cap, loading a
 * verifier key given as a key string or as a file holding one, writing a
 * buffer in full, fsync'ing the directory of a new file, and the SHA-256 of
 * everything a file descriptor yields. Runs in the `intake` CLI only, as the
 * user. Trusts nothing it reads: files are size-capped and must be regular
 * (with CLI_SLURP_NOFOLLOW, never reached through a symbolic link). Must
 * never print or log what it reads (private keys included).
 *
 * API: cli_fail, cli_slurp, cli_load_vkey, cli_witness_*
 * (the --witness/--quorum options), cli_write_all, cli_syncdir,
 * cli_replace, cli_hash_fd.
 */
#ifndef INTAKE_CLI_H
#define INTAKE_CLI_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "intake/cosig.h"
#include "intake/merkle.h"
#include "intake/note.h"

#define CLI_VKEY_FILE_MAX 4096         /* a verifier key file: one short line */
#define CLI_HASH_CHUNK    (64u << 10)  /* read size when hashing a file */

/* Flags of cli_slurp and cli_load_vkey. */
#define CLI_SLURP_STDIN    0x1  /* the path "-" names standard input */
#define CLI_SLURP_NOFOLLOW 0x2  /* open with O_NOFOLLOW: no symbolic link */

/* What cli_hash_fd could not do (its return value; 0: done). */
#define CLI_HASH_ENOMEM  (-1)  /* the digest could not be set up */
#define CLI_HASH_EREAD   (-2)  /* read(2) failed: errno says why */
#define CLI_HASH_EDIGEST (-3)  /* the digest failed midway */

/* Prints "intake CMD: <reason>" and a newline on stderr; returns CMD_FAIL. */
int cli_fail(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Reads all of PATH into a NUL-terminated malloc'd buffer (the caller frees
 * it) of at most MAX bytes, *LENP of them. PATH must be a regular file, or
 * "-" for stdin with CLI_SLURP_STDIN. NULL with errno (EFBIG: longer than
 * MAX, EINVAL: not a regular file, ELOOP: a symbolic link with
 * CLI_SLURP_NOFOLLOW).
 */
char *cli_slurp(const char *path, size_t max, int flags, size_t *lenp);

/*
 * ARG as a verifier key string, else as the path of a file (read with
 * cli_slurp FLAGS, at most CLI_VKEY_FILE_MAX bytes) holding one, white space
 * around it ignored. NULL if neither; free with intake_verifier_free().
 */
struct intake_verifier *cli_load_vkey(const char *arg, int flags);

/* The witness options of `intake verify` and `intake audit --url`. */
#define CLI_WITNESSES_MAX 64  /* --witness keys */
struct cli_witnesses {
	struct intake_wverifier *w[CLI_WITNESSES_MAX];
	size_t                   n;
	long                     quorum;  /* -1: not given, then n */
};

/* Takes one --witness ARG (CMD names the command in messages). 0, or
 * CMD_FAIL / CMD_USAGE after a message on stderr. */
int cli_witness_add(struct cli_witnesses *ws, const char *cmd, const char *arg);
/* Takes --quorum ARG: a decimal from 0 to CLI_WITNESSES_MAX. 0/CMD_USAGE. */
int cli_witness_quorum(struct cli_witnesses *ws, const char *cmd, const char *arg);
/* After the options: the quorum (default: every witness given) must be at
 * most the number of witnesses. 0/CMD_USAGE. */
int cli_witness_check(struct cli_witnesses *ws, const char *cmd);
/*
 * Requires WS->quorum valid cosignatures by distinct WS witnesses on the
 * signed checkpoint NOTE (LEN bytes). 0 with the count in *COUNT, or -1
 * (under-witnessed) with the count in *COUNT too.
 */
int cli_witness_require(const struct cli_witnesses *ws, const char *note, size_t len,
    size_t *count);
/* Frees the keys. */
void cli_witness_free(struct cli_witnesses *ws);

/* Writes all LEN bytes of BUF to FD (EINTR retried). 0/-1 with errno. */
int cli_write_all(int fd, const char *buf, size_t len);

/* fsync the directory holding PATH, so that a new name in it is durable. 0/-1. */
int cli_syncdir(const char *path);

/*
 * Replaces PATH with LEN bytes of DATA atomically: a new temporary file
 * beside it (mode MODE), written, fsync'd, renamed over PATH, then the
 * directory fsync'd. A failure leaves PATH as it was (and no temporary
 * file). 0/-1 with errno.
 */
int cli_replace(const char *path, const char *data, size_t len, mode_t mode);

/*
 * SHA-256 of everything FD yields until EOF, read into BUF (CLI_HASH_CHUNK
 * bytes, the caller's); into OUT, and the byte count into *TOTAL (may be
 * NULL). 0, or CLI_HASH_ENOMEM / CLI_HASH_EREAD (errno set) / CLI_HASH_EDIGEST.
 */
int cli_hash_fd(int fd, unsigned char *buf, uint8_t out[INTAKE_HASH_LEN],
    uint64_t *total);

/* Writes S to stdout as one CSV cell: a cell a spreadsheet would run as a
 * formula gets a leading ', then RFC 4180 quoting. */
void cli_csv_cell(const char *s);

#endif
