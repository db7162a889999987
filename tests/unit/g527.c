/*
 * tests/unit/g527.c: the G5.27 return's content check (inspect/g527.c):
 * accepted spellings of the header, the Party, dates and counts, and the
 * hostile cases.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "inspect/g527.h"

static int
ok(const char *text, const char *party)
{
	char why[256] = "";
	int r = g527_check_text(text, strlen(text), party, why, sizeof(why));

	if (r == -1)
		fprintf(stderr, "  refused: %s\n", why);
	return r;
}

START_TEST(g527_accepts_the_documented_spellings)
{
	ck_assert_int_eq(ok("party,period_end,critical_capable_sms\nALPHA,2026-09-30,18250\n",
	    "ALPHA"), 0);
	ck_assert_int_eq(ok("\xef\xbb\xbfParty,Period End,Critical Capable SMS\r\n"
	    "ALPHA,2024-02-29,0\r\n\r\n", "ALPHA"), 0);
	ck_assert_int_eq(ok("PERIOD-END,note,CRITICAL_CAPABLE_SMS,Party\n"
	    "2026-03-31,\"a, b \"\"c\"\"\",7,ALPHA\nALPHA-not-used-here", "ALPHA"), -1);
	ck_assert_int_eq(ok("PERIOD-END,note,CRITICAL_CAPABLE_SMS,Party\n"
	    "2026-03-31,\"a, b \"\"c\"\"\",7,ALPHA", "ALPHA"), 0);
}
END_TEST

START_TEST(g527_refuses_what_is_not_a_return_for_its_party)
{
	static const char *bad[] = {
		"",
		"\n\n",
		"party,period_end\nALPHA,2026-09-30\n",
		"party,period_end,critical_capable_sms\n",
		"party,period_end,critical_capable_sms\nBETA,2026-09-30,1\n",
		"party,period_end,critical_capable_sms\nALPHA,2026-02-30,1\n",
		"party,period_end,critical_capable_sms\nALPHA,30/09/2026,1\n",
		"party,period_end,critical_capable_sms\nALPHA,2026-09-30,-1\n",
		"party,period_end,critical_capable_sms\nALPHA,2026-09-30,1.5\n",
		"party,period_end,critical_capable_sms\nALPHA,2026-09-30,\n",
		"party,period_end,critical_capable_sms\nALPHA,2026-09-30,1234567890123456\n",
		"party,period_end,critical_capable_sms\nALPHA,2026-09-30\n",
		"party,party,period_end,critical_capable_sms\nALPHA,ALPHA,2026-09-30,1\n",
		"party,period_end,critical_capable_sms\n\"ALPHA,2026-09-30,1\n",
		"party,period_end,critical_capable_sms\nALPHA,2026-09-30,1\nBETA,2026-09-30,1\n",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(ok(bad[i], "ALPHA") == -1, "accepted case %zu", i);
	/* offline, without a Party: the rest is still checked */
	ck_assert_int_eq(ok("party,period_end,critical_capable_sms\nALPHA,2026-09-30,1\n", NULL), 0);
	ck_assert_int_eq(ok("party,period_end,critical_capable_sms\nALPHA,2026-09-31,1\n", NULL), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("g527");
	TCase *tc = tcase_create("g527");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, g527_accepts_the_documented_spellings);
	tcase_add_test(tc, g527_refuses_what_is_not_a_return_for_its_party);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
