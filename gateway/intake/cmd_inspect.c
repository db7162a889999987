/*
 * intake/cmd_inspect.c: `intake inspect --policy P --kind K
 * [--clamd SOCKET] [--manifest] FILE` (DESIGN §3): the daemon's inspection,
 * offline; with --clamd, its malware scan too, by the clamd listening on
 * SOCKET (common/clamd.h, as [scan]).
 *
 * Loads the policy file P, takes its kind K, and runs the inspector on FILE
 * exactly as intaked does on an upload named like FILE's last component.
 * Prints, in the receipt's own words (DESIGN §6):
 *   type: <detected type>
 *   scan: <clamd's VERSION answer>                (--clamd)
 *   verdict: accepted|rejected
 *   members: <count> <manifest sha256>          (archives)
 *   finding: <code> [<member>:] <detail>         (zero or more)
 * and, with --manifest, the member manifest after a "manifest:" line.
 * Exit status: 0 accepted, 1 rejected (or the file could not be inspected),
 * 2 usage or an unusable policy/kind, 3 clamd gave no verdict (where the
 * daemon answers 503). Runs as the user; FILE is hostile
 * (opened O_NOFOLLOW, must be a regular file) and is never written.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clamd.h"
#include "common/config.h"
#include "inspect/inspect.h"
#include "lib/util.h"
#include "cmds.h"

#define INSPECT_USAGE "usage: intake inspect --policy P --kind K [--clamd SOCKET] [--manifest] FILE\n"
#define INSPECT_SCAN_TIMEOUT 60   /* seconds, as [scan] timeout's default */
#define CMD_NO_SCAN 3             /* clamd gave no verdict */

int
cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy",   required_argument, NULL, 'p' },
		{ "kind",     required_argument, NULL, 'k' },
		{ "manifest", no_argument,       NULL, 'm' },
		{ "clamd",    required_argument, NULL, 'c' },
		{ "help",     no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct inspect_result res;
	struct inspector *in = NULL;
	struct policy *pol = NULL;
	const struct kind *kind;
	const char *polpath = NULL, *kindname = NULL, *clamd = NULL, *path, *base;
	struct clamd_verdict scan;
	char err[CONFIG_ERR_MAX], hex[65];
	struct stat st;
	int c, fd = -1, manifest = 0, rc = CMD_FAIL;
	size_t i;

	memset(&res, 0, sizeof(res));
	while ((c = getopt_long(argc, argv, "p:k:mc:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			polpath = optarg;
			break;
		case 'k':
			kindname = optarg;
			break;
		case 'm':
			manifest = 1;
			break;
		case 'c':
			clamd = optarg;
			break;
		case 'h':
			fputs(INSPECT_USAGE, stdout);
			return CMD_OK;
		default:
			fputs(INSPECT_USAGE, stderr);
			return CMD_USAGE;
		}
	}
	if (polpath == NULL || kindname == NULL || argc - optind != 1) {
		fputs(INSPECT_USAGE, stderr);
		return CMD_USAGE;
	}
	path = argv[optind];
	if ((base = strrchr(path, '/')) != NULL)
		base++;
	else
		base = path;

	if (policy_load(polpath, &pol, err, sizeof(err)) == -1) {
		fprintf(stderr, "intake inspect: %s\n", err);
		return CMD_USAGE;
	}
	if ((kind = policy_kind(pol, kindname)) == NULL) {
		fprintf(stderr, "intake inspect: no kind \"%s\" in %s\n", kindname, polpath);
		rc = CMD_USAGE;
		goto fail;
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		fprintf(stderr, "intake inspect: %s: %s\n", path, strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "intake inspect: %s: not a regular file\n", path);
		goto fail;
	}
	if ((uint64_t)st.st_size > policy_max_upload(pol, kind))
		fprintf(stderr, "intake inspect: note: %s is over the kind's upload limit "
		    "(%" PRIu64 " bytes); the daemon would refuse it unread\n", path,
		    policy_max_upload(pol, kind));
	if (clamd != NULL) {
		/* first, as the daemon does: no verdict, no inspection */
		if (clamd_scan(clamd, fd, (unsigned long long)st.st_size, INSPECT_SCAN_TIMEOUT,
		    &scan) == CLAMD_ERROR) {
			fprintf(stderr, "intake inspect: clamd %s gave no verdict: %s\n", clamd,
			    scan.why);
			rc = CMD_NO_SCAN;
			goto fail;
		}
	}
	if ((in = inspector_new()) == NULL) {
		fprintf(stderr, "intake inspect: cannot start the inspector\n");
		goto fail;
	}
	if (inspector_run(in, &(struct inspect_request){ .fd = fd,
	    .size = (uint64_t)st.st_size, .filename = base, .kind = kind,
	    .policy = pol }, &res) == -1) {
		fprintf(stderr, "intake inspect: %s could not be inspected\n", path);
		goto fail;
	}
	if (clamd != NULL && scan.status == CLAMD_FOUND)
		inspect_finding(&res, 1, "malware", "", "%s", scan.signature);
	else if (clamd != NULL && scan.status == CLAMD_INCOMPLETE)
		inspect_finding(&res, 1, "scan-incomplete", "",
		    "clamd could not scan the whole file (%s)", scan.signature);

	printf("type: %s\n", res.type);
	if (clamd != NULL)
		printf("scan: %s\n", scan.version);
	printf("verdict: %s\n", res.accepted ? "accepted" : "rejected");
	if (res.is_archive) {
		util_hex(res.manifest_sha256, sizeof(res.manifest_sha256), hex);
		printf("members: %" PRIu64 " %s\n", res.members, hex);
	}
	for (i = 0; i < res.nfindings && i < FINDINGS_MAX; i++) {
		const struct finding *f = &res.findings[i];

		printf("finding: %s", f->code);
		if (f->member[0] != '\0')
			printf(" %s:", f->member);
		if (f->detail[0] != '\0')
			printf(" %s", f->detail);
		printf("\n");
	}
	if (res.nmore > 0)
		printf("finding: findings-truncated %zu more findings not kept\n", res.nmore);
	if (manifest && res.manifest != NULL) {
		printf("manifest:\n");
		fwrite(res.manifest, 1, res.manifest_len, stdout);
	}
	rc = res.accepted ? CMD_OK : CMD_FAIL;
 fail:
	inspect_result_clear(&res);
	inspector_free(in);
	if (fd != -1)
		close(fd);
	policy_free(pol);
	return rc;
}
