/*
 * Unit tests of front/metrics.c: an observation lands in the first bucket
 * whose bound holds it (bounds inclusive, as Prometheus's le), buckets are
 * written cumulative with +Inf equal to the count, and more kinds than the
 * table holds are counted as "other" rather than growing it.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "front/metrics.h"

static char *
text(struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	return s;
}

START_TEST(observation_lands_in_the_first_bucket_that_holds_it)
{
	static struct histogram h;
	struct evbuffer *b = evbuffer_new();
	char *s;

	metrics_observe(&h, 0.005);   /* on a bound: that bucket (le is inclusive) */
	metrics_observe(&h, 0.0051);
	metrics_observe(&h, 1000);    /* past every bound: +Inf only */
	metrics_observe(&h, -1);      /* a clock that went back counts as 0 */
	metrics_observe(&h, 0.0007);  /* a small file's commit: under a millisecond */
	metrics_write_histogram(b, "t_seconds", "help", "", &h, 1);
	s = text(b);
	ck_assert_ptr_nonnull(strstr(s, "# HELP t_seconds help\n# TYPE t_seconds histogram\n"));
	ck_assert_ptr_nonnull(strstr(s, "t_seconds_bucket{le=\"0.0005\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "t_seconds_bucket{le=\"0.001\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(s, "t_seconds_bucket{le=\"0.0025\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(s, "t_seconds_bucket{le=\"0.005\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(s, "t_seconds_bucket{le=\"0.01\"} 4\n"));
	ck_assert_ptr_nonnull(strstr(s, "t_seconds_bucket{le=\"300\"} 4\n"));
	ck_assert_ptr_nonnull(strstr(s, "t_seconds_bucket{le=\"+Inf\"} 5\n"));
	ck_assert_ptr_nonnull(strstr(s, "t_seconds_count 5\n"));
	ck_assert_ptr_nonnull(strstr(s, "t_seconds_sum 1000.010"));
	free(s);
	evbuffer_free(b);
}
END_TEST

START_TEST(labels_close_without_a_trailing_comma)
{
	static struct histogram h;
	struct evbuffer *b = evbuffer_new();
	char *s;

	metrics_observe(&h, 2);
	metrics_write_histogram(b, "t", "", "kind=\"a\",", &h, 0);
	s = text(b);
	ck_assert_ptr_null(strstr(s, "# HELP"));
	ck_assert_ptr_nonnull(strstr(s, "t_bucket{kind=\"a\",le=\"2.5\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "t_sum{kind=\"a\"} 2.000000\n"));
	ck_assert_ptr_nonnull(strstr(s, "t_count{kind=\"a\"} 1\n"));
	free(s);
	evbuffer_free(b);
}
END_TEST

START_TEST(kinds_beyond_the_table_count_as_other)
{
	static struct upload_metrics m;
	struct evbuffer *b = evbuffer_new();
	char kind[32], *s;

	for (int i = 0; i < METRICS_KINDS_MAX + 10; i++) {
		snprintf(kind, sizeof(kind), "kind-%d", i);
		metrics_upload(&m, kind, i % 2, 0.1);
	}
	metrics_upload(&m, "kind-0", 0, 0.1);   /* a known kind stays itself */
	ck_assert_uint_eq(m.nkinds, METRICS_KINDS_MAX);
	metrics_write_uploads(b, &m);
	s = text(b);
	ck_assert_ptr_nonnull(strstr(s, "kind=\"kind-0\",verdict=\"rejected\",le=\"+Inf\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(s, "kind=\"kind-63\",verdict=\"accepted\""));
	ck_assert_ptr_null(strstr(s, "kind=\"kind-64\""));
	/* 10 more kinds, alternately accepted and rejected: 5 each */
	ck_assert_ptr_nonnull(strstr(s, "kind=\"other\",verdict=\"accepted\",le=\"+Inf\"} 5\n"));
	ck_assert_ptr_nonnull(strstr(s, "kind=\"other\",verdict=\"rejected\",le=\"+Inf\"} 5\n"));
	ck_assert_int_eq((int)(strstr(s, "# TYPE intake_upload_duration_seconds histogram") != NULL), 1);
	free(s);
	evbuffer_free(b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, observation_lands_in_the_first_bucket_that_holds_it);
	tcase_add_test(tc, labels_close_without_a_trailing_comma);
	tcase_add_test(tc, kinds_beyond_the_table_count_as_other);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
