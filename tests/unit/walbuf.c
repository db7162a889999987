/*
 * Unit tests of notary/walbuf.c: the VFS that gathers a WAL's writes. What
 * a writer on it commits is what a reader on SQLite's own VFS sees, at once
 * and whole: through transactions of every size (one page, more pages than
 * the buffer holds, a blob written as one write), checkpoints that restart
 * the WAL from its header, a reader that holds a snapshot meanwhile, and a
 * writer killed without warning (every commit it saw return is there).
 */
#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "notary/walbuf.h"

static char dir[] = "/tmp/intake-walbuf-XXXXXX";
static char path[128];

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.db", dir);
}

static void
teardown(void)
{
	char p[160];

	for (const char *const *s = (const char *const[]){ "", "-wal", "-shm", NULL }; *s; s++) {
		snprintf(p, sizeof(p), "%s%s", path, *s);
		unlink(p);
	}
	rmdir(dir);
	strcpy(dir, "/tmp/intake-walbuf-XXXXXX");
}

static void
exec_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		ck_abort_msg("%s: %s", sql, msg != NULL ? msg : "?");
}

static sqlite3 *
open_writer(int autocheckpoint)
{
	sqlite3 *db;
	char sql[64];

	ck_assert_ptr_nonnull(walbuf_vfs());
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    walbuf_vfs()), SQLITE_OK);
	exec_ok(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	    "CREATE TABLE IF NOT EXISTS t(a INTEGER PRIMARY KEY, b BLOB);"
	    "CREATE INDEX IF NOT EXISTS tb ON t(b);");
	snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint = %d", autocheckpoint);
	exec_ok(db, sql);
	return db;
}

static sqlite3 *
open_reader(void)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	return db;
}

static long long
count(sqlite3 *db)
{
	sqlite3_stmt *st;
	long long n;

	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*), coalesce(sum(length(b)), 0) "
	    "FROM t", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void
integrity(sqlite3 *db)
{
	sqlite3_stmt *st;

	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
}

/* ROWS rows of random blobs of SIZE bytes in one transaction. */
static void
commit_rows(sqlite3 *db, int rows, int size)
{
	char sql[96];

	exec_ok(db, "BEGIN");
	for (int i = 0; i < rows; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO t(b) VALUES(randomblob(%d))", size);
		exec_ok(db, sql);
	}
	exec_ok(db, "COMMIT");
}

START_TEST(every_commit_is_seen_whole_by_a_reader_on_the_default_vfs)
{
	sqlite3 *w = open_writer(50), *r = open_reader();
	/* one small row; many rows (far more frames than the buffer holds);
	 * a blob larger than the buffer, which goes as its own writes */
	static const int shapes[][2] = { { 1, 100 }, { 8, 600 }, { 200, 900 }, { 1, 400000 },
	    { 3, 5000 } };
	long long want = 0;

	for (int round = 0; round < 30; round++) {
		const int *s = shapes[round % 5];

		commit_rows(w, s[0], s[1]);
		want += s[0];
		ck_assert_int_eq(count(r), want);
	}
	integrity(r);
	sqlite3_close(r);
	sqlite3_close(w);
	/* and after the writer is gone, from the files alone */
	r = open_reader();
	ck_assert_int_eq(count(r), want);
	integrity(r);
	sqlite3_close(r);
}
END_TEST

START_TEST(checkpoints_and_wal_restarts_keep_everything)
{
	sqlite3 *w = open_writer(4), *r;
	long long want = 0;

	for (int round = 0; round < 200; round++) {
		commit_rows(w, 1 + round % 7, 300 + round * 13);
		want += 1 + round % 7;
		if (round % 50 == 49)
			exec_ok(w, "PRAGMA wal_checkpoint(TRUNCATE)");
	}
	r = open_reader();
	ck_assert_int_eq(count(r), want);
	integrity(r);
	sqlite3_close(r);
	sqlite3_close(w);
}
END_TEST

START_TEST(a_reader_holding_a_snapshot_sees_it_unchanged_then_the_new_one)
{
	sqlite3 *w = open_writer(4), *r = open_reader();
	long long before;

	commit_rows(w, 10, 500);
	exec_ok(r, "BEGIN");
	before = count(r);
	for (int i = 0; i < 20; i++)
		commit_rows(w, 5, 700);
	ck_assert_int_eq(count(r), before);
	exec_ok(r, "COMMIT");
	ck_assert_int_eq(count(r), before + 100);
	sqlite3_close(r);
	sqlite3_close(w);
}
END_TEST

START_TEST(a_writer_killed_without_warning_keeps_every_commit_it_saw_return)
{
	int p[2];
	long long acked = 0, n;
	pid_t pid;
	sqlite3 *r;

	ck_assert_int_eq(pipe(p), 0);
	if ((pid = fork()) == 0) {
		sqlite3 *w = open_writer(20);

		close(p[0]);
		for (long long i = 1;; i++) {
			commit_rows(w, 3, 800);
			if (write(p[1], &i, sizeof(i)) != sizeof(i))
				_exit(1);
		}
	}
	ck_assert_int_gt(pid, 0);
	close(p[1]);
	while (acked < 150 && read(p[0], &n, sizeof(n)) == sizeof(n))
		acked = n;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* what was acknowledged after the 150th too */
	while (read(p[0], &n, sizeof(n)) == sizeof(n))
		acked = n;
	close(p[0]);
	r = open_reader();
	n = count(r);
	/* every acknowledged commit, and at most the one in flight */
	ck_assert_int_ge(n, 3 * acked);
	ck_assert_int_le(n, 3 * (acked + 1));
	integrity(r);
	sqlite3_close(r);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("walbuf");
	TCase *tc = tcase_create("walbuf");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, every_commit_is_seen_whole_by_a_reader_on_the_default_vfs);
	tcase_add_test(tc, checkpoints_and_wal_restarts_keep_everything);
	tcase_add_test(tc, a_reader_holding_a_snapshot_sees_it_unchanged_then_the_new_one);
	tcase_add_test(tc, a_writer_killed_without_warning_keeps_every_commit_it_saw_return);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
