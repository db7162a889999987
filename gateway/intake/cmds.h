/*
 * intake/cmds.h: the subcommands of the `intake` CLI (DESIGN §3).
 *
 * Each command is `int cmd_NAME(int argc, char **argv)`, called by main()
 * in intake.c with argv[0] = the command's name and the rest of the command
 * line after it; it returns the process exit status. Runs in the CLI only,
 * with the user's privileges: it trusts its arguments as the user's wishes
 * but nothing it reads from a server or a file. To add a command: declare
 * it here and add one line to the table in intake.c.
 */
#ifndef INTAKE_CMDS_H
#define INTAKE_CMDS_H

#define CMD_OK    0  /* the command did what was asked */
#define CMD_FAIL  1  /* a check failed or an operation did not succeed */
#define CMD_USAGE 2  /* bad command line */

int cmd_keygen(int argc, char **argv);  /* keygen [--cosigner] NAME -o KEYFILE */
int cmd_verify(int argc, char **argv);  /* verify --vkey VKEY [--witness W]... [--quorum N] RESPONSE [FILE] */
int cmd_inspect(int argc, char **argv); /* inspect --policy P --kind K FILE */
int cmd_audit(int argc, char **argv);   /* audit --vkey VKEY (--url URL --state FILE | --data DIR) */
int cmd_witness(int argc, char **argv); /* witness --key K --log VKEY... --state F --listen ADDR */
int cmd_obligations(int argc, char **argv); /* obligations --url URL [--party ID] [--csv] */
int cmd_links(int argc, char **argv);   /* links --url URL --index N [--csv] */
int cmd_upload(int argc, char **argv);  /* upload --url URL --kind K [...] FILE (resumable) */

#endif
