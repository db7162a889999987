/*
 * intake/intake.c: the `intake` command line tool (DESIGN §3).
 *
 * Job: dispatch `intake COMMAND ARGS...` to one of the commands in the
 * table below (one line per command; each lives in cmd_NAME.c and is
 * declared in cmds.h). Runs as the user, on the user's machine: SECAS,
 * auditors and operators use it to make keys and to verify receipts, logs
 * and files against the public verification library (include/intake/).
 * Exit status: 0 success, 1 a check or operation failed, 2 usage error.
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "cmds.h"

struct intake_cmd {
	const char *name;
	int       (*run)(int, char **);
	const char *usage;  /* arguments, shown after "intake NAME" */
};

static const struct intake_cmd intake_cmds[] = {
	{ "keygen", cmd_keygen, "ORIGIN -o KEYFILE | --cosigner NAME -o KEYFILE" },
	{ "verify", cmd_verify, "--vkey VKEY [--witness WVKEY]... [--quorum N] RESPONSE [FILE]" },
	{ "inspect", cmd_inspect, "--policy P --kind K [--clamd SOCKET] FILE" },
	{ "audit", cmd_audit,
	    "--vkey VKEY (--url URL --state FILE [--cacert F --cert F --key F]\n"
	    "         [--witness WVKEY]... [--quorum N] | --data DIR [--store DIR])" },
	{ "witness", cmd_witness,
	    "--key KEYFILE --log VKEY [--log VKEY]... --state FILE --listen ADDR" },
	{ "obligations", cmd_obligations, "--url URL [--party ID] [--csv] [--cacert F --cert F --key F]" },
	{ "links", cmd_links, "--url URL --index N [--csv] [--cacert F --cert F --key F]" },
	{ "upload", cmd_upload,
	    "--url URL --kind K [--ref R] [--plan N] [--for ID] [--name NAME]\n"
	    "         [--chunk SIZE] [--retry-for SECONDS] [--cacert F --cert F --key F] FILE" },
};

static void
intake_usage(FILE *f)
{
	fprintf(f, "usage:\n");
	for (size_t i = 0; i < sizeof(intake_cmds) / sizeof(intake_cmds[0]); i++)
		fprintf(f, "  intake %s %s\n", intake_cmds[i].name, intake_cmds[i].usage);
}

int
main(int argc, char **argv)
{
	log_init("intake");
	if (argc < 2) {
		intake_usage(stderr);
		return CMD_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		intake_usage(stdout);
		return CMD_OK;
	}
	for (size_t i = 0; i < sizeof(intake_cmds) / sizeof(intake_cmds[0]); i++) {
		if (strcmp(argv[1], intake_cmds[i].name) == 0) {
			char prog[64];

			/* getopt's own messages then read "intake NAME: ..." */
			snprintf(prog, sizeof(prog), "intake %s", intake_cmds[i].name);
			argv[1] = prog;
			return intake_cmds[i].run(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "intake: unknown command \"%s\"\n", argv[1]);
	intake_usage(stderr);
	return CMD_USAGE;
}
