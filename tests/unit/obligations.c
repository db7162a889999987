/*
 * tests/unit/obligations.c: the rules of the obligations register
 * (notary/obligations.c, DESIGN §8) at their boundaries: calendar dates,
 * leap years, the day of and after a due date, superseding facts, plans and
 * their letters, G5.27's six months.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notary/obligations.h"

static int32_t
D(const char *s)
{
	int32_t d;

	ck_assert_msg(obl_date_parse(s, &d) == 0, "%s", s);
	return d;
}

static const char *
F(int32_t d)
{
	static char buf[4][OBL_DATE_MAX];
	static int i;

	i = (i + 1) % 4;
	obl_date_format(d, buf[i]);
	return buf[i];
}

#define ITEMS_MAX 16
static struct obl_item items[ITEMS_MAX];
static size_t nitems;

static void
collect(const struct obl_item *it, void *arg)
{
	(void)arg;
	ck_assert_uint_lt(nitems, ITEMS_MAX);
	items[nitems++] = *it;
}

static const struct obl_item *
derive(const struct obl_event *ev, size_t n, int shared, const char *today, const char *name)
{
	size_t i;

	nitems = 0;
	obl_derive(ev, n, shared, D(today), collect, NULL);
	for (i = 0; i < nitems; i++)
		if (strcmp(items[i].obligation, name) == 0)
			return &items[i];
	return NULL;
}

START_TEST(dates_are_real_calendar_dates_only)
{
	int32_t d;

	ck_assert_int_eq(D("1970-01-01"), 0);
	ck_assert_str_eq(F(D("2024-02-29")), "2024-02-29");
	ck_assert_str_eq(F(D("2000-02-29")), "2000-02-29");
	ck_assert_int_eq(obl_date_parse("2025-02-29", &d), -1);
	ck_assert_int_eq(obl_date_parse("1900-02-29", &d), -1);
	ck_assert_int_eq(obl_date_parse("2025-13-40", &d), -1);
	ck_assert_int_eq(obl_date_parse("2025-04-31", &d), -1);
	ck_assert_int_eq(obl_date_parse("2025-00-10", &d), -1);
	ck_assert_int_eq(obl_date_parse("2025-1-10", &d), -1);
	ck_assert_int_eq(obl_date_parse("2025-01-10 ", &d), -1);
	ck_assert_int_eq(obl_date_parse("+025-01-10", &d), -1);
	ck_assert_int_eq(obl_date_parse("0999-01-10", &d), -1);
	ck_assert_int_eq(obl_date_parse("", &d), -1);
	ck_assert_int_eq(obl_date_parse(NULL, &d), -1);
	ck_assert_int_eq(D("2025-03-01") - D("2025-02-28"), 1);
	ck_assert_int_eq(D("2024-03-01") - D("2024-02-28"), 2);
}
END_TEST

START_TEST(months_clamp_to_the_end_of_the_month)
{
	ck_assert_str_eq(F(obl_add_months(D("2024-02-29"), 12)), "2025-02-28");
	ck_assert_str_eq(F(obl_add_months(D("2024-02-29"), 48)), "2028-02-29");
	ck_assert_str_eq(F(obl_add_months(D("2025-08-31"), 6)), "2026-02-28");
	ck_assert_str_eq(F(obl_add_months(D("2023-08-31"), 6)), "2024-02-29");
	ck_assert_str_eq(F(obl_add_months(D("2025-01-10"), 12)), "2026-01-10");
	ck_assert_str_eq(F(obl_add_months(D("2025-07-15"), 6)), "2026-01-15");
	ck_assert_str_eq(F(obl_add_months(D("2025-12-31"), 1)), "2026-01-31");
}
END_TEST

START_TEST(ssa_is_due_on_its_due_date_and_overdue_the_day_after)
{
	struct obl_event ev[] = { { OBL_EV_FIELDWORK, 3, 0, 0, 0 } };
	const struct obl_item *it;

	ev[0].date = D("2025-01-10");
	it = derive(ev, 1, 0, "2026-01-09", "ssa");
	ck_assert_str_eq(it->status, "due");
	ck_assert_str_eq(F(it->due), "2026-01-10");
	ck_assert_str_eq(it->basis, "cio-fieldwork 2025-01-10");
	ck_assert_str_eq(derive(ev, 1, 0, "2026-01-10", "ssa")->status, "due");
	ck_assert_str_eq(derive(ev, 1, 0, "2026-01-11", "ssa")->status, "overdue");
}
END_TEST

START_TEST(ssa_from_a_leap_day_fieldwork_is_due_on_28_february)
{
	struct obl_event ev[] = { { OBL_EV_FIELDWORK, 3, 0, 0, 0 } };

	ev[0].date = D("2024-02-29");
	ck_assert_str_eq(F(derive(ev, 1, 0, "2025-02-28", "ssa")->due), "2025-02-28");
	ck_assert_str_eq(derive(ev, 1, 0, "2025-02-28", "ssa")->status, "due");
	ck_assert_str_eq(derive(ev, 1, 0, "2025-03-01", "ssa")->status, "overdue");
}
END_TEST

START_TEST(ssa_is_met_only_by_a_workbook_on_or_after_the_fieldwork)
{
	struct obl_event ev[] = {
		{ OBL_EV_SSA, 1, 0, 0, 0 },
		{ OBL_EV_FIELDWORK, 2, 0, 0, 0 },
		{ OBL_EV_SSA, 3, 0, 0, 0 },
	};
	const struct obl_item *it;

	ev[0].date = D("2025-01-09");
	ev[1].date = D("2025-01-10");
	it = derive(ev, 2, 0, "2027-01-01", "ssa");
	ck_assert_str_eq(it->status, "overdue");   /* the day before does not count */
	ck_assert_uint_eq(it->nreceipts, 0);
	ev[2].date = D("2025-01-10");
	it = derive(ev, 3, 0, "2027-01-01", "ssa");
	ck_assert_str_eq(it->status, "met");       /* the same day does; late is still met */
	ck_assert_uint_eq(it->nreceipts, 1);
	ck_assert_uint_eq(it->receipts[0], 3);
}
END_TEST

START_TEST(a_later_fact_supersedes_an_earlier_one_whatever_its_date)
{
	struct obl_event ev[] = {
		{ OBL_EV_FIELDWORK, 1, 0, 0, 0 },
		{ OBL_EV_SSA, 2, 0, 0, 0 },
		{ OBL_EV_FIELDWORK, 3, 0, 0, 0 },
	};
	const struct obl_item *it;

	ev[0].date = D("2024-01-10");
	ev[1].date = D("2024-06-01");
	ev[2].date = D("2025-01-10");
	it = derive(ev, 3, 0, "2025-06-01", "ssa");
	ck_assert_str_eq(it->status, "due");       /* the SSA was for the old fieldwork */
	ck_assert_str_eq(F(it->due), "2026-01-10");
	/* a correction to an earlier date supersedes too */
	ev[2].date = D("2024-01-01");
	it = derive(ev, 3, 0, "2025-06-01", "ssa");
	ck_assert_str_eq(it->status, "met");
	ck_assert_str_eq(it->basis, "cio-fieldwork 2024-01-01");
}
END_TEST

START_TEST(no_fact_no_ssa_or_remediation_but_always_a_notification_agreement)
{
	struct obl_event ev[] = { { OBL_EV_NOTIFY, 4, 0, 0, 0 } };
	const struct obl_item *it;

	ck_assert_ptr_null(derive(NULL, 0, 0, "2025-01-01", "ssa"));
	ck_assert_ptr_null(derive(NULL, 0, 0, "2025-01-01", "remediation-plan"));
	ck_assert_ptr_null(derive(NULL, 0, 0, "2025-01-01", "g5.27"));
	it = derive(NULL, 0, 0, "2025-01-01", "notification-agreement");
	ck_assert_str_eq(it->status, "due");
	ck_assert_int_eq(it->has_due, 0);
	ev[0].date = D("2020-01-01");
	it = derive(ev, 1, 0, "2025-01-01", "notification-agreement");
	ck_assert_str_eq(it->status, "met");
	ck_assert_uint_eq(it->receipts[0], 4);
}
END_TEST

START_TEST(each_plan_needs_its_own_director_letter)
{
	struct obl_event ev[] = {
		{ OBL_EV_REMEDIATION, 1, 0, 0, 0 },
		{ OBL_EV_PLAN, 2, 0, 0, 0 },
		{ OBL_EV_PLAN, 5, 0, 0, 0 },
		{ OBL_EV_LETTER, 6, 0, 1, 5 },
		{ OBL_EV_LETTER, 7, 0, 1, 99 },   /* another Party's plan: meets nothing here */
		{ OBL_EV_LETTER, 8, 0, 0, 0 },    /* no plan: meets nothing */
	};
	size_t i, letters = 0;

	for (i = 0; i < 6; i++)
		ev[i].date = D("2026-10-01");
	ck_assert_str_eq(derive(ev, 6, 0, "2026-10-02", "remediation-plan")->status, "met");
	for (i = 0; i < nitems; i++) {
		if (strcmp(items[i].obligation, "director-letter") != 0)
			continue;
		letters++;
		ck_assert(items[i].has_plan);
		if (items[i].plan == 2) {
			ck_assert_str_eq(items[i].status, "due");
			ck_assert_uint_eq(items[i].nreceipts, 0);
		} else {
			ck_assert_uint_eq(items[i].plan, 5);
			ck_assert_str_eq(items[i].status, "met");
			ck_assert_uint_eq(items[i].receipts[0], 6);
		}
	}
	ck_assert_uint_eq(letters, 2);
}
END_TEST

START_TEST(remediation_plan_before_the_fact_does_not_meet_it)
{
	struct obl_event ev[] = {
		{ OBL_EV_PLAN, 1, 0, 0, 0 },
		{ OBL_EV_REMEDIATION, 2, 0, 0, 0 },
	};

	ev[0].date = D("2026-09-30");
	ev[1].date = D("2026-10-01");
	ck_assert_str_eq(derive(ev, 2, 0, "2026-10-02", "remediation-plan")->status, "due");
}
END_TEST

START_TEST(g527_is_met_for_six_months_then_overdue)
{
	struct obl_event ev[] = {
		{ OBL_EV_G527, 1, 0, 0, 0 },
		{ OBL_EV_G527, 9, 0, 0, 0 },
	};
	const struct obl_item *it;

	it = derive(ev, 0, 1, "2026-01-01", "g5.27");
	ck_assert_str_eq(it->status, "due");
	ck_assert_int_eq(it->has_due, 0);
	ev[0].date = D("2025-08-31");
	it = derive(ev, 1, 1, "2026-02-28", "g5.27");
	ck_assert_str_eq(it->status, "met");
	ck_assert_str_eq(F(it->due), "2026-02-28");
	ck_assert_str_eq(derive(ev, 1, 1, "2026-03-01", "g5.27")->status, "overdue");
	ev[1].date = D("2026-03-02");   /* the next return: six months more */
	it = derive(ev, 2, 1, "2026-03-02", "g5.27");
	ck_assert_str_eq(it->status, "met");
	ck_assert_str_eq(F(it->due), "2026-09-02");
	ck_assert_uint_eq(it->receipts[0], 9);
	ck_assert_ptr_null(derive(ev, 2, 0, "2026-03-02", "g5.27"));
}
END_TEST

START_TEST(facts_known_are_exactly_two)
{
	ck_assert(obl_fact_known("cio-fieldwork"));
	ck_assert(obl_fact_known("remediation-required"));
	ck_assert(!obl_fact_known("CIO-fieldwork"));
	ck_assert(!obl_fact_known(""));
	ck_assert(!obl_fact_known(NULL));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("obligations");
	TCase *tc = tcase_create("rules");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, dates_are_real_calendar_dates_only);
	tcase_add_test(tc, months_clamp_to_the_end_of_the_month);
	tcase_add_test(tc, ssa_is_due_on_its_due_date_and_overdue_the_day_after);
	tcase_add_test(tc, ssa_from_a_leap_day_fieldwork_is_due_on_28_february);
	tcase_add_test(tc, ssa_is_met_only_by_a_workbook_on_or_after_the_fieldwork);
	tcase_add_test(tc, a_later_fact_supersedes_an_earlier_one_whatever_its_date);
	tcase_add_test(tc, no_fact_no_ssa_or_remediation_but_always_a_notification_agreement);
	tcase_add_test(tc, each_plan_needs_its_own_director_letter);
	tcase_add_test(tc, remediation_plan_before_the_fact_does_not_meet_it);
	tcase_add_test(tc, g527_is_met_for_six_months_then_overdue);
	tcase_add_test(tc, facts_known_are_exactly_two);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
