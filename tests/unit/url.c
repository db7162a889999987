/*
 * tests/unit/url.c: the route table (front/url.c). "/" is the console's page
 * and nothing else: every other unknown path stays without a route (404, or
 * 405 for another method), though the table's other entries ending in '/'
 * are prefixes.
 */
#include <check.h>
#include <stdlib.h>

#include "front/url.h"

START_TEST(root_is_exact_not_a_prefix)
{
	const struct url_route *r = url_route("/");

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_eq(r->get, console_file);
	ck_assert_ptr_null(url_route("/etc/passwd"));
	ck_assert_ptr_null(url_route("//"));
	ck_assert_ptr_null(url_route("/index.html"));
	ck_assert_ptr_null(url_route(""));
}
END_TEST

START_TEST(console_files_and_whoami_have_routes)
{
	ck_assert_ptr_eq(url_route("/console.js")->get, console_file);
	ck_assert_ptr_eq(url_route("/console.css")->get, console_file);
	ck_assert_ptr_eq(url_route("/favicon.svg")->get, console_file);
	ck_assert_ptr_eq(url_route("/v1/whoami")->get, console_whoami);
	ck_assert_ptr_null(url_route("/console.js/x"));
	ck_assert_ptr_null(url_route("/v1/whoami/"));
}
END_TEST

START_TEST(receipt_file_goes_to_the_receipt_route)
{
	const struct url_route *r = url_route("/v1/receipts/12/file");

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_eq(r->get, api_receipt);
	ck_assert_uint_eq(url_route_len(r), 13);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("url");
	TCase *tc = tcase_create("routes");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, root_is_exact_not_a_prefix);
	tcase_add_test(tc, console_files_and_whoami_have_routes);
	tcase_add_test(tc, receipt_file_goes_to_the_receipt_route);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
