/*
 * intake/cmd_verify.c: `intake verify --vkey VKEY RESPONSE [FILE]` (DESIGN §3, §5).
 *
 * Checks an upload answer (the JSON of DESIGN §5, or "-" for stdin): the
 * receipt is signed by the log key, its inclusion proof holds against a
 * checkpoint signed by the same key, and, with FILE, the file's SHA-256
 * (streamed) equals the receipt's. VKEY is a verifier key or a file
 * holding one. Prints "OK index N of tree SIZE, sha256 HEX" and exits 0,
 * or prints "intake verify: <reason>" on stderr and exits 1 (2: usage).
 * Runs as the user. Trusts only VKEY: the answer may come from anywhere,
 * and its unsigned JSON fields must agree with the signed receipt.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "intake/receipt.h"
#include "lib/util.h"
#include "cmds.h"

#define VERIFY_USAGE "usage: intake verify --vkey VKEY RESPONSE [FILE]\n"
#define VERIFY_VKEY_FILE_MAX 4096          /* a verifier key file: one short line */
#define VERIFY_RESPONSE_MAX (16u << 20)    /* an upload answer: two notes and findings */
#define VERIFY_CHUNK (64u << 10)           /* read size when hashing FILE */
#define VERIFY_WHY_MAX 256

/* Prints "intake verify: <reason>" on stderr; returns CMD_FAIL. */
static int __attribute__((format(printf, 1, 2)))
verify_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("intake verify: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CMD_FAIL;
}

/*
 * Reads all of PATH ("-": stdin) into a NUL-terminated malloc'd buffer of
 * at most MAX bytes. Regular files only (or stdin). NULL with errno set.
 */
static char *
verify_slurp(const char *path, size_t max, size_t *lenp)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, saved;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
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

/* VKEY as a key string, else as the path of a file holding one line. */
static struct intake_verifier *
verify_load_vkey(const char *arg)
{
	struct intake_verifier *v;
	char *buf, *s, *e;
	size_t len;

	if ((v = intake_verifier_new(arg)) != NULL)
		return v;
	if ((buf = verify_slurp(arg, VERIFY_VKEY_FILE_MAX, &len)) == NULL)
		return NULL;
	/* one line; surrounding white space (the final newline) is not the key */
	for (s = buf; *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'; s++)
		;
	for (e = buf + len; e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'); e--)
		;
	*e = '\0';
	if (strlen(s) == (size_t)(e - s))
		v = intake_verifier_new(s);
	free(buf);
	return v;
}

/* SHA-256 of FILE, read in VERIFY_CHUNK pieces. 0/-1 with errno. */
static int
verify_hash_file(const char *path, uint8_t out[INTAKE_HASH_LEN])
{
	EVP_MD_CTX *ctx = NULL;
	unsigned char *buf = NULL;
	ssize_t n;
	int fd, rc = -1, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if ((buf = malloc(VERIFY_CHUNK)) == NULL || (ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto fail;
	for (;;) {
		n = read(fd, buf, VERIFY_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			goto fail;
	}
	if (EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		goto fail;
	rc = 0;
fail:
	saved = errno;
	EVP_MD_CTX_free(ctx);
	free(buf);
	close(fd);
	errno = saved;
	return rc;
}

int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vkey", required_argument, NULL, 'k' },
		{ "help", no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct intake_verifier *v = NULL;
	struct intake_checkpoint cp;
	intake_hash path[INTAKE_PROOF_MAX];
	json_t *root = NULL, *jr, *jp, *jx;
	json_error_t jerr;
	const char *vkeyarg = NULL, *respath, *filepath = NULL, *receipt, *proof, *cpnote;
	char *resp = NULL, why[VERIFY_WHY_MAX], hex[2 * INTAKE_HASH_LEN + 1], val[2 * INTAKE_HASH_LEN + 1];
	uint8_t fsha[INTAKE_HASH_LEN], rsha[INTAKE_HASH_LEN];
	size_t resplen, rlen, plen, textlen, cplen, n;
	uint64_t index;
	int c, rc = CMD_FAIL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			vkeyarg = optarg;
			break;
		case 'h':
			fputs(VERIFY_USAGE, stdout);
			return CMD_OK;
		default:
			fputs(VERIFY_USAGE, stderr);
			return CMD_USAGE;
		}
	}
	if (vkeyarg == NULL || argc - optind < 1 || argc - optind > 2) {
		fputs(VERIFY_USAGE, stderr);
		return CMD_USAGE;
	}
	respath = argv[optind];
	if (argc - optind == 2)
		filepath = argv[optind + 1];

	if ((v = verify_load_vkey(vkeyarg)) == NULL) {
		rc = verify_fail("--vkey: not a verifier key, nor a file holding one");
		goto fail;
	}
	if ((resp = verify_slurp(respath, VERIFY_RESPONSE_MAX, &resplen)) == NULL) {
		rc = verify_fail("cannot read %s: %s", respath,
		    errno == EFBIG ? "larger than an answer can be" :
		    errno == EINVAL ? "not a regular file" : strerror(errno));
		goto fail;
	}
	if ((root = json_loadb(resp, resplen, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    !json_is_object(root)) {
		rc = verify_fail("%s is not an upload answer (JSON object)", respath);
		goto fail;
	}
	jr = json_object_get(root, "receipt");
	jp = json_object_get(root, "proof");
	if (!json_is_string(jr) || !json_is_string(jp)) {
		rc = verify_fail("the answer has no \"receipt\" or no \"proof\" string");
		goto fail;
	}
	receipt = json_string_value(jr);
	rlen = json_string_length(jr);
	proof = json_string_value(jp);
	plen = json_string_length(jp);

	if (filepath != NULL && verify_hash_file(filepath, fsha) == -1) {
		rc = verify_fail("cannot read %s: %s", filepath, strerror(errno));
		goto fail;
	}
	if (intake_receipt_verify(v, receipt, rlen, proof, plen,
	    filepath != NULL ? fsha : NULL, why, sizeof(why)) == -1) {
		rc = verify_fail("%s", why);
		goto fail;
	}

	/* Verified: gather what to print from the signed parts only. */
	if (intake_note_open(v, receipt, rlen, &textlen) == -1 ||
	    intake_entry_get(receipt, textlen, "sha256", val, sizeof(val)) == -1 ||
	    util_unhex(val, strlen(val), rsha, sizeof(rsha)) == -1 ||
	    intake_tlog_proof_parse(proof, plen, &index, path, &n, &cpnote, &cplen) == -1 ||
	    intake_checkpoint_open(v, cpnote, cplen, &cp) == -1) {
		rc = verify_fail("receipt has no valid sha256");
		goto fail;
	}
	util_hex(rsha, sizeof(rsha), hex);
	/* The answer's unsigned fields must not contradict the signed receipt. */
	jx = json_object_get(root, "index");
	if (jx != NULL && (!json_is_integer(jx) || json_integer_value(jx) < 0 ||
	    (uint64_t)json_integer_value(jx) != index)) {
		rc = verify_fail("the answer's \"index\" differs from the signed receipt");
		goto fail;
	}
	jx = json_object_get(root, "sha256");
	if (jx != NULL && (!json_is_string(jx) ||
	    util_unhex(json_string_value(jx), json_string_length(jx), fsha, sizeof(fsha)) == -1 ||
	    memcmp(fsha, rsha, sizeof(rsha)) != 0)) {
		rc = verify_fail("the answer's \"sha256\" differs from the signed receipt");
		goto fail;
	}
	if (printf("OK index %llu of tree %llu, sha256 %s\n", (unsigned long long)index,
	    (unsigned long long)cp.size, hex) < 0 || fflush(stdout) == EOF) {
		rc = verify_fail("cannot write to stdout");
		goto fail;
	}
	rc = CMD_OK;
fail:
	json_decref(root);
	free(resp);
	intake_verifier_free(v);
	return rc;
}
