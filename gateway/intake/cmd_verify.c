/*
 * intake/cmd_verify.c: `intake verify --vkey VKEY [--witness WVKEY]... [--quorum N]
 * RESPONSE [FILE]` (DESIGN §3, §5, §6).
 *
 * Checks an upload answer (the JSON of DESIGN §5, or "-" for stdin): the
 * receipt is signed by the log key, its inclusion proof holds against a
 * checkpoint signed by the same key, and, with FILE, the file's SHA-256
 * (streamed) equals the receipt's. VKEY is a verifier key or a file
 * holding one. With --witness, the proof's checkpoint must also carry valid
 * C2SP tlog-cosignature/v1 cosignatures by at least N (--quorum, default:
 * every one given) distinct witnesses among those keys (intake/cosig.h).
 * Prints "OK index N of tree SIZE, sha256 HEX" (and ", cosigned by K of W
 * witnesses" with --witness) and exits 0,
 * or prints "intake verify: <reason>" on stderr and exits 1 (2: usage).
 * Runs as the user. Trusts only VKEY: the answer may come from anywhere,
 * and its unsigned JSON fields must agree with the signed receipt.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "intake/receipt.h"
#include "lib/util.h"
#include "cli.h"
#include "cmds.h"

#define VERIFY_USAGE \
	"usage: intake verify --vkey VKEY [--witness WVKEY]... [--quorum N] RESPONSE [FILE]\n"
#define VERIFY_RESPONSE_MAX (16u << 20)    /* an upload answer: two notes and findings */
#define VERIFY_WHY_MAX 256

/* SHA-256 of FILE (any readable file: a pipe too). 0/-1 with errno. */
static int
verify_hash_file(const char *path, uint8_t out[INTAKE_HASH_LEN])
{
	unsigned char *buf;
	int fd, rc = -1, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if ((buf = malloc(CLI_HASH_CHUNK)) != NULL && cli_hash_fd(fd, buf, out, NULL) == 0)
		rc = 0;
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return rc;
}

int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vkey",    required_argument, NULL, 'k' },
		{ "witness", required_argument, NULL, 'w' },
		{ "quorum",  required_argument, NULL, 'q' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct intake_verifier *v = NULL;
	struct cli_witnesses ws = { .n = 0, .quorum = -1 };
	struct intake_checkpoint cp;
	intake_hash path[INTAKE_PROOF_MAX];
	json_t *root = NULL, *jr, *jp, *jx;
	json_error_t jerr;
	const char *vkeyarg = NULL, *respath, *filepath = NULL, *receipt, *proof, *cpnote;
	char *resp = NULL, why[VERIFY_WHY_MAX], hex[2 * INTAKE_HASH_LEN + 1], val[2 * INTAKE_HASH_LEN + 1];
	uint8_t fsha[INTAKE_HASH_LEN], rsha[INTAKE_HASH_LEN];
	size_t resplen, rlen, plen, textlen, cplen, n, count = 0;
	uint64_t index;
	int c, rc = CMD_FAIL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			vkeyarg = optarg;
			break;
		case 'w':
			if ((rc = cli_witness_add(&ws, "verify", optarg)) != 0)
				goto fail;
			break;
		case 'q':
			if ((rc = cli_witness_quorum(&ws, "verify", optarg)) != 0)
				goto fail;
			break;
		case 'h':
			fputs(VERIFY_USAGE, stdout);
			rc = CMD_OK;
			goto fail;
		default:
			fputs(VERIFY_USAGE, stderr);
			rc = CMD_USAGE;
			goto fail;
		}
	}
	if (vkeyarg == NULL || argc - optind < 1 || argc - optind > 2) {
		fputs(VERIFY_USAGE, stderr);
		rc = CMD_USAGE;
		goto fail;
	}
	if ((rc = cli_witness_check(&ws, "verify")) != 0)
		goto fail;
	rc = CMD_FAIL;
	respath = argv[optind];
	if (argc - optind == 2)
		filepath = argv[optind + 1];

	if ((v = cli_load_vkey(vkeyarg, CLI_SLURP_STDIN)) == NULL) {
		rc = cli_fail("verify", "--vkey: not a verifier key, nor a file holding one");
		goto fail;
	}
	if ((resp = cli_slurp(respath, VERIFY_RESPONSE_MAX, CLI_SLURP_STDIN, &resplen)) == NULL) {
		rc = cli_fail("verify", "cannot read %s: %s", respath,
		    errno == EFBIG ? "larger than an answer can be" :
		    errno == EINVAL ? "not a regular file" : strerror(errno));
		goto fail;
	}
	if ((root = json_loadb(resp, resplen, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    !json_is_object(root)) {
		rc = cli_fail("verify", "%s is not an upload answer (JSON object)", respath);
		goto fail;
	}
	jr = json_object_get(root, "receipt");
	jp = json_object_get(root, "proof");
	if (!json_is_string(jr) || !json_is_string(jp)) {
		rc = cli_fail("verify", "the answer has no \"receipt\" or no \"proof\" string");
		goto fail;
	}
	receipt = json_string_value(jr);
	rlen = json_string_length(jr);
	proof = json_string_value(jp);
	plen = json_string_length(jp);

	if (filepath != NULL && verify_hash_file(filepath, fsha) == -1) {
		rc = cli_fail("verify", "cannot read %s: %s", filepath, strerror(errno));
		goto fail;
	}
	if (intake_receipt_verify(v, receipt, rlen, proof, plen,
	    filepath != NULL ? fsha : NULL, why, sizeof(why)) == -1) {
		rc = cli_fail("verify", "%s", why);
		goto fail;
	}

	/* Verified: gather what to print from the signed parts only. */
	if (rlen > 15 && memcmp(receipt, "intake-fact/v1\n", 15) == 0) {
		/* a fact (DESIGN §8): no file, no sha256 */
		char fact[64], date[16], party[96];

		if (intake_note_open(v, receipt, rlen, &textlen) == -1 ||
		    intake_entry_get(receipt, textlen, "fact", fact, sizeof(fact)) == -1 ||
		    intake_entry_get(receipt, textlen, "date", date, sizeof(date)) == -1 ||
		    intake_entry_get(receipt, textlen, "party", party, sizeof(party)) == -1 ||
		    intake_tlog_proof_parse(proof, plen, &index, path, &n, &cpnote, &cplen) == -1 ||
		    intake_checkpoint_open(v, cpnote, cplen, &cp) == -1) {
			rc = cli_fail("verify", "fact receipt lacks fact, date or party");
			goto fail;
		}
		if (ws.n > 0 && cli_witness_require(&ws, cpnote, cplen, &count) == -1) {
			rc = cli_fail("verify", "under-witnessed checkpoint");
			goto fail;
		}
		if (printf("OK index %llu of tree %llu, fact %s %s party %s\n",
		    (unsigned long long)index, (unsigned long long)cp.size, fact, date, party) < 0 ||
		    fflush(stdout) == EOF) {
			rc = cli_fail("verify", "cannot write to stdout");
			goto fail;
		}
		rc = CMD_OK;
		goto fail;
	}
	if (intake_note_open(v, receipt, rlen, &textlen) == -1 ||
	    intake_entry_get(receipt, textlen, "sha256", val, sizeof(val)) == -1 ||
	    util_unhex(val, strlen(val), rsha, sizeof(rsha)) == -1 ||
	    intake_tlog_proof_parse(proof, plen, &index, path, &n, &cpnote, &cplen) == -1 ||
	    intake_checkpoint_open(v, cpnote, cplen, &cp) == -1) {
		rc = cli_fail("verify", "receipt has no valid sha256");
		goto fail;
	}
	util_hex(rsha, sizeof(rsha), hex);
	/* The checkpoint the proof holds against must be witnessed as asked. */
	if (ws.n > 0 && cli_witness_require(&ws, cpnote, cplen, &count) == -1) {
		rc = cli_fail("verify", "under-witnessed checkpoint: %zu valid cosignature%s by "
		    "the %zu witness%s given, quorum %ld", count, count == 1 ? "" : "s", ws.n,
		    ws.n == 1 ? "" : "es", ws.quorum);
		goto fail;
	}
	/* The answer's unsigned fields must not contradict the signed receipt. */
	jx = json_object_get(root, "index");
	if (jx != NULL && (!json_is_integer(jx) || json_integer_value(jx) < 0 ||
	    (uint64_t)json_integer_value(jx) != index)) {
		rc = cli_fail("verify", "the answer's \"index\" differs from the signed receipt");
		goto fail;
	}
	jx = json_object_get(root, "sha256");
	if (jx != NULL && (!json_is_string(jx) ||
	    util_unhex(json_string_value(jx), json_string_length(jx), fsha, sizeof(fsha)) == -1 ||
	    memcmp(fsha, rsha, sizeof(rsha)) != 0)) {
		rc = cli_fail("verify", "the answer's \"sha256\" differs from the signed receipt");
		goto fail;
	}
	if (printf("OK index %llu of tree %llu, sha256 %s", (unsigned long long)index,
	    (unsigned long long)cp.size, hex) < 0 || (ws.n > 0 && printf(", cosigned by %zu "
	    "of %zu witness%s", count, ws.n, ws.n == 1 ? "" : "es") < 0) ||
	    putchar('\n') == EOF || fflush(stdout) == EOF) {
		rc = cli_fail("verify", "cannot write to stdout");
		goto fail;
	}
	rc = CMD_OK;
fail:
	cli_witness_free(&ws);
	json_decref(root);
	free(resp);
	intake_verifier_free(v);
	return rc;
}
