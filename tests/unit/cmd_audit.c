/*
 * tests/unit/cmd_audit.c: gateway/intake/cmd_audit.c, the parts that do not
 * need a server: the consistency proof parser against hostile answers, the
 * atomic state save, the verifier key loader, and the offline audit of an
 * empty or missing ledger. (The end-to-end refusals, rollback, fork, bad
 * signature and tampering, are in tests/integration/log.sh.) The sources are
 * included to reach their statics; the loader and the slurp are cli.c's.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "../../gateway/intake/cli.c"
#include "../../gateway/intake/cmd_audit.c"
#include "../../gateway/intake/fetch.c"

#define H1 "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="   /* SHA-256("") */
#define H2 "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0="   /* SHA-256("\0") */

static char tmpdir[64];

static void
setup(void)
{
	strcpy(tmpdir, "/tmp/unit-cmd-audit.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static int
parse(const char *s, size_t *n)
{
	static intake_hash proof[INTAKE_PROOF_MAX];

	return audit_parse_proof(s, strlen(s), proof, n);
}

START_TEST(proof_accepts_lines_with_or_without_final_newline)
{
	intake_hash proof[INTAKE_PROOF_MAX];
	uint8_t want[32];
	size_t n;

	ck_assert_int_eq(parse(H1 "\n" H2 "\n", &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(parse(H1 "\n" H2, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(audit_parse_proof(H1 "\n", strlen(H1) + 1, proof, &n), 0);
	util_sha256("", 0, want);
	ck_assert_mem_eq(proof[0], want, 32);
}
END_TEST

START_TEST(proof_accepts_empty)
{
	size_t n = 7;

	ck_assert_int_eq(parse("", &n), 0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(proof_rejects_malformed_lines)
{
	static const char *bad[] = {
		"\n", H1 "\n\n", H1 "\r\n", " " H1 "\n", H1 " \n", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\n",
		"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU==\n", "47DEQpj8HBSa-_TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF==\n", "not a hash\n", H1 H2 "\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n;

		ck_assert_msg(parse(bad[i], &n) == -1, "accepted %zu", i);
	}
}
END_TEST

START_TEST(proof_rejects_nul_inside)
{
	intake_hash proof[INTAKE_PROOF_MAX];
	char buf[2 * 45];
	size_t n;

	memcpy(buf, H1 "\n" H2 "\n", sizeof(buf));
	buf[50] = '\0';
	ck_assert_int_eq(audit_parse_proof(buf, sizeof(buf), proof, &n), -1);
}
END_TEST

START_TEST(proof_rejects_more_hashes_than_a_proof_holds)
{
	intake_hash proof[INTAKE_PROOF_MAX];
	size_t n, i, len = 0;
	char *buf = malloc((INTAKE_PROOF_MAX + 1) * 45 + 1);

	for (i = 0; i < INTAKE_PROOF_MAX; i++, len += 45)
		memcpy(buf + len, H1 "\n", 45);
	ck_assert_int_eq(audit_parse_proof(buf, len, proof, &n), 0);
	ck_assert_uint_eq(n, INTAKE_PROOF_MAX);
	memcpy(buf + len, H1 "\n", 45);
	len += 45;
	ck_assert_int_eq(audit_parse_proof(buf, len, proof, &n), -1);
	free(buf);
}
END_TEST

/* How many files (not dot files) DIR holds. */
static int
count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

START_TEST(save_replaces_the_state_whole)
{
	char path[128], *got;
	struct stat st;
	size_t len;

	snprintf(path, sizeof(path), "%s/state", tmpdir);
	ck_assert_int_eq(cli_replace(path, "first\n", 6, 0644), 0);
	ck_assert_int_eq(cli_replace(path, "second checkpoint\n", 18, 0644), 0);
	ck_assert_ptr_nonnull(got = cli_slurp(path, 100, CLI_SLURP_NOFOLLOW, &len));
	ck_assert_str_eq(got, "second checkpoint\n");
	free(got);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	ck_assert_int_eq(count_files(tmpdir), 1);  /* no temporary file left behind */
}
END_TEST

START_TEST(save_fails_cleanly_without_directory)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/missing/state", tmpdir);
	ck_assert_int_eq(cli_replace(path, "x\n", 2, 0644), -1);
	ck_assert_int_eq(count_files(tmpdir), 0);
}
END_TEST

START_TEST(slurp_refuses_symlinks_directories_and_big_files)
{
	char path[128], link[128];
	size_t len;

	snprintf(path, sizeof(path), "%s/f", tmpdir);
	snprintf(link, sizeof(link), "%s/l", tmpdir);
	ck_assert_int_eq(cli_replace(path, "0123456789", 10, 0644), 0);
	ck_assert_int_eq(symlink(path, link), 0);
	ck_assert_ptr_null(cli_slurp(link, 100, CLI_SLURP_NOFOLLOW, &len));
	ck_assert_ptr_null(cli_slurp(tmpdir, 100, CLI_SLURP_NOFOLLOW, &len));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(cli_slurp(path, 9, CLI_SLURP_NOFOLLOW, &len));
	ck_assert_int_eq(errno, EFBIG);
}
END_TEST

START_TEST(vkey_loads_from_string_or_file)
{
	struct intake_verifier *v;
	char *skey, *vkey, path[128], line[600];

	ck_assert_int_eq(intake_keygen("audit.test/log", &skey, &vkey), 0);
	ck_assert_ptr_nonnull(v = cli_load_vkey(vkey, CLI_SLURP_NOFOLLOW));
	intake_verifier_free(v);
	snprintf(path, sizeof(path), "%s/vkey", tmpdir);
	snprintf(line, sizeof(line), "  %s\r\n\n", vkey);
	ck_assert_int_eq(cli_replace(path, line, strlen(line), 0644), 0);
	ck_assert_ptr_nonnull(v = cli_load_vkey(path, CLI_SLURP_NOFOLLOW));
	ck_assert_str_eq(intake_verifier_name(v), "audit.test/log");
	intake_verifier_free(v);
	/* a private key is not a verifier key, in a file or not */
	ck_assert_ptr_null(cli_load_vkey(skey, CLI_SLURP_NOFOLLOW));
	ck_assert_int_eq(cli_replace(path, skey, strlen(skey), 0644), 0);
	ck_assert_ptr_null(cli_load_vkey(path, CLI_SLURP_NOFOLLOW));
	/* two keys in one file: not one key */
	snprintf(line, sizeof(line), "%s\n%s\n", vkey, vkey);
	ck_assert_int_eq(cli_replace(path, line, strlen(line), 0644), 0);
	ck_assert_ptr_null(cli_load_vkey(path, CLI_SLURP_NOFOLLOW));
	intake_freezero(skey, strlen(skey));
	free(vkey);
}
END_TEST

START_TEST(data_audit_of_empty_ledger_passes)
{
	struct intake_verifier *v;
	struct ledger *l;
	char *skey, *vkey, err[256];

	ck_assert_int_eq(intake_keygen("audit.test/log", &skey, &vkey), 0);
	ck_assert_ptr_nonnull(v = intake_verifier_new(vkey));
	ck_assert_ptr_nonnull(l = ledger_open(tmpdir, 1, err, sizeof(err)));
	ledger_close(l);
	ck_assert_int_eq(audit_data(v, tmpdir, NULL, NULL), CMD_OK);
	intake_verifier_free(v);
	intake_freezero(skey, strlen(skey));
	free(vkey);
}
END_TEST

START_TEST(data_audit_without_ledger_fails)
{
	struct intake_verifier *v;
	char *skey, *vkey;

	ck_assert_int_eq(intake_keygen("audit.test/log", &skey, &vkey), 0);
	ck_assert_ptr_nonnull(v = intake_verifier_new(vkey));
	ck_assert_int_eq(audit_data(v, tmpdir, NULL, NULL), CMD_FAIL);
	intake_verifier_free(v);
	intake_freezero(skey, strlen(skey));
	free(vkey);
}
END_TEST

START_TEST(command_line_needs_exactly_one_mode)
{
	static const char *bad[][10] = {
		{ "audit", "--url", "https://x", "--state", "s", NULL },
		{ "audit", "--vkey", "k", NULL },
		{ "audit", "--vkey", "k", "--url", "https://x", NULL },
		{ "audit", "--vkey", "k", "--state", "s", NULL },
		{ "audit", "--vkey", "k", "--data", "d", "--url", "https://x", NULL },
		{ "audit", "--vkey", "k", "--data", "d", "--cacert", "c", NULL },
		{ "audit", "--vkey", "k", "--data", "d", "extra", NULL },
		/* --store names where --data's blobs are: never alone, never empty */
		{ "audit", "--vkey", "k", "--store", "s", NULL },
		{ "audit", "--vkey", "k", "--url", "https://x", "--state", "s", "--store", "s", NULL },
		{ "audit", "--vkey", "k", "--data", "d", "--store", "", NULL },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int argc = 0;

		while (bad[i][argc] != NULL)
			argc++;
		optind = 1;
		ck_assert_msg(cmd_audit(argc, (char **)bad[i]) == CMD_USAGE, "case %zu", i);
	}
}
END_TEST

static Suite *
cmd_audit_suite(void)
{
	Suite *s = suite_create("cmd_audit");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, proof_accepts_lines_with_or_without_final_newline);
	tcase_add_test(tc, proof_accepts_empty);
	tcase_add_test(tc, proof_rejects_malformed_lines);
	tcase_add_test(tc, proof_rejects_nul_inside);
	tcase_add_test(tc, proof_rejects_more_hashes_than_a_proof_holds);
	tcase_add_test(tc, save_replaces_the_state_whole);
	tcase_add_test(tc, save_fails_cleanly_without_directory);
	tcase_add_test(tc, slurp_refuses_symlinks_directories_and_big_files);
	tcase_add_test(tc, vkey_loads_from_string_or_file);
	tcase_add_test(tc, data_audit_of_empty_ledger_passes);
	tcase_add_test(tc, data_audit_without_ledger_fails);
	tcase_add_test(tc, command_line_needs_exactly_one_mode);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cmd_audit_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
