/*
 * intake/cmd_keygen.c: `intake keygen ORIGIN -o KEYFILE` and
 * `intake keygen --cosigner NAME -o KEYFILE` (DESIGN §3).
 *
 * Makes a new Ed25519 signed-note key named ORIGIN (a log key, type 0x01),
 * or with --cosigner a witness key named NAME (C2SP tlog-cosignature, type
 * 0x04), writes the private key string and a newline to KEYFILE (created,
 * mode 0600; an existing file is never overwritten) and prints the verifier
 * key line on stdout.
 * Runs as the user. Must never print, log or leave behind the private key
 * anywhere but KEYFILE, nor leave a partial KEYFILE after a failure.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intake/cosig.h"
#include "intake/note.h"
#include "cli.h"
#include "cmds.h"

#define KEYGEN_USAGE "usage: intake keygen ORIGIN -o KEYFILE\n" \
	"       intake keygen --cosigner NAME -o KEYFILE\n"

int
cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output",   required_argument, NULL, 'o' },
		{ "cosigner", no_argument,       NULL, 'w' },
		{ "help",   no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *keyfile = NULL, *origin;
	char *skey = NULL, *vkey = NULL, *line = NULL;
	size_t linelen;
	int c, fd = -1, created = 0, cosigner = 0, rc = CMD_FAIL;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			keyfile = optarg;
			break;
		case 'w':
			cosigner = 1;
			break;
		case 'h':
			fputs(KEYGEN_USAGE, stdout);
			return CMD_OK;
		default:
			fputs(KEYGEN_USAGE, stderr);
			return CMD_USAGE;
		}
	}
	if (argc - optind != 1 || keyfile == NULL || *keyfile == '\0') {
		fputs(KEYGEN_USAGE, stderr);
		return CMD_USAGE;
	}
	origin = argv[optind];

	if ((cosigner ? intake_cosigner_keygen(origin, &skey, &vkey) :
	    intake_keygen(origin, &skey, &vkey)) == -1) {
		fprintf(stderr, "intake keygen: invalid %s \"%s\" (it must be non-empty, "
		    "at most %d bytes of UTF-8, without spaces or '+')\n",
		    cosigner ? "cosigner name" : "origin", origin, INTAKE_NOTE_NAME_MAX);
		return CMD_FAIL;
	}
	fd = open(keyfile, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		if (errno == EEXIST)
			fprintf(stderr, "intake keygen: %s already exists; refusing to overwrite "
			    "it (remove it first if you really mean to replace the key)\n", keyfile);
		else
			fprintf(stderr, "intake keygen: cannot create %s: %s\n", keyfile,
			    strerror(errno));
		goto fail;
	}
	created = 1;
	linelen = strlen(skey) + 1;
	if ((line = malloc(linelen + 1)) == NULL)
		goto fail_write;
	memcpy(line, skey, linelen - 1);
	line[linelen - 1] = '\n';
	line[linelen] = '\0';
	/* umask can only narrow the mode; make it exactly 0600 whatever it is. */
	if (fchmod(fd, 0600) == -1 || cli_write_all(fd, line, linelen) == -1 ||
	    fsync(fd) == -1)
		goto fail_write;
	if (close(fd) == -1) {
		fd = -1;
		goto fail_write;
	}
	fd = -1;
	if (cli_syncdir(keyfile) == -1)
		goto fail_write;
	created = 0;  /* complete: keep it */
	if (printf("%s\n", vkey) < 0 || fflush(stdout) == EOF) {
		fprintf(stderr, "intake keygen: cannot print the verifier key: %s\n",
		    strerror(errno));
		goto fail;
	}
	rc = CMD_OK;
	goto fail;
fail_write:
	fprintf(stderr, "intake keygen: cannot write %s: %s\n", keyfile, strerror(errno));
fail:
	if (fd != -1)
		close(fd);
	if (created)
		unlink(keyfile);
	if (line != NULL)
		intake_freezero(line, strlen(line));
	if (skey != NULL)
		intake_freezero(skey, strlen(skey));
	free(vkey);
	return rc;
}
