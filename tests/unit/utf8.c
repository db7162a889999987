/*
 * tests/unit/utf8.c: the one UTF-8 decoder (lib/utf8.c). Every class of
 * refused character at and around its boundaries, every kind of invalid
 * sequence, and the agreement of the three ways in (whole string, one
 * sequence, one byte at a time) that the front, the entry writer and the
 * inspector use.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/utf8.h"

/* The UTF-8 bytes of CP (a scalar value) into OUT; returns the length. */
static size_t
enc(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* utf8_check of "a<CP>b": the class, found at offset 1. */
static enum utf8_class
check_cp(uint32_t cp)
{
	char s[8];
	size_t n, at = 99;
	enum utf8_class c;

	s[0] = 'a';
	n = 1 + enc(cp, s + 1);
	s[n++] = 'b';
	c = utf8_check(s, n, &at);
	if (c != UTF8_OK)
		ck_assert_uint_eq(at, 1);
	return c;
}

START_TEST(decoder_accepts_every_length_at_its_bounds)
{
	static const uint32_t ok[] = { 0x00, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000,
	    0xfffd, 0x10000, 0x10fffd };
	char s[4];
	uint32_t cp;
	size_t n;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		n = enc(ok[i], s);
		ck_assert_uint_eq(utf8_decode((const uint8_t *)s, n, &cp), n);
		ck_assert_uint_eq(cp, ok[i]);
		ck_assert_int_eq(utf8_valid((const uint8_t *)s, n), 1);
	}
}
END_TEST

START_TEST(decoder_refuses_overlongs_surrogates_and_beyond_u10ffff)
{
	static const char *const bad[] = {
		"\xc0\xaf", "\xc1\xbf",                 /* overlong ASCII */
		"\xe0\x80\xaf", "\xe0\x9f\xbf",         /* overlong 3-byte */
		"\xf0\x80\x80\xaf", "\xf0\x8f\xbf\xbf", /* overlong 4-byte */
		"\xed\xa0\x80", "\xed\xbf\xbf",         /* surrogates D800, DFFF */
		"\xf4\x90\x80\x80",                     /* U+110000 */
		"\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xff", "\xfe",
		"\x80", "\xbf",                         /* lone continuation */
		"\xc3", "\xe2\x80", "\xf0\x9f\x98",     /* truncated */
		"\xc3\x28", "\xe2\x28\xa1", "\xf0\x9f\x28\x80", /* bad continuation */
	};
	uint32_t cp;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = strlen(bad[i]), at = 99;

		ck_assert_msg(utf8_decode((const uint8_t *)bad[i], n, &cp) == 0, "case %zu", i);
		ck_assert_msg(utf8_valid((const uint8_t *)bad[i], n) == 0, "case %zu", i);
		ck_assert_int_eq(utf8_check(bad[i], n, &at), UTF8_INVALID);
		ck_assert_uint_eq(at, 0);
	}
	ck_assert_uint_eq(utf8_decode((const uint8_t *)"", 0, &cp), 0);
}
END_TEST

START_TEST(stream_decoder_agrees_with_whole_string_decoder)
{
	/* Every 1- and 2-byte input, and 3-byte ones around the E0/ED/F0/F4 edges. */
	uint8_t s[4];

	for (unsigned a = 0; a < 256; a++)
		for (unsigned b = 0; b < 256; b++)
			for (unsigned c = 0x7f; c <= 0xc0; c += 0x41) {
				struct utf8_stream st = { 0 };
				uint32_t cp1 = 0, cp2 = 0;
				size_t n1;
				int r = 0, got = 0;

				s[0] = (uint8_t)a;
				s[1] = (uint8_t)b;
				s[2] = (uint8_t)c;
				n1 = utf8_decode(s, 3, &cp1);
				for (size_t i = 0; i < 3 && r != -1 && !got; i++)
					if ((r = utf8_stream_byte(&st, s[i], &cp2)) == 1)
						got = (int)i + 1;
				ck_assert_msg((size_t)got == n1, "%02x %02x %02x", a, b, c);
				if (got)
					ck_assert_uint_eq(cp1, cp2);
			}
}
END_TEST

START_TEST(stream_decoder_reports_truncation_at_the_end)
{
	struct utf8_stream st = { 0 };
	uint32_t cp;

	ck_assert_int_eq(utf8_stream_byte(&st, 0xe2, &cp), 0);
	ck_assert_int_eq(utf8_stream_byte(&st, 0x80, &cp), 0);
	ck_assert_uint_ne(st.need, 0);
	ck_assert_int_eq(utf8_stream_byte(&st, 0xa8, &cp), 1);
	ck_assert_uint_eq(cp, 0x2028);
	ck_assert_uint_eq(st.need, 0);
	ck_assert_int_eq(utf8_stream_byte(&st, 0xe2, &cp), 0);
	ck_assert_int_eq(utf8_stream_byte(&st, 'a', &cp), -1);
	ck_assert_uint_eq(st.need, 0);   /* reset after an error */
}
END_TEST

START_TEST(controls_are_refused_c0_del_and_c1)
{
	for (uint32_t cp = 0; cp < 0x20; cp++)
		ck_assert_int_eq(check_cp(cp), UTF8_CONTROL);
	ck_assert_int_eq(check_cp(0x20), UTF8_OK);
	ck_assert_int_eq(check_cp(0x7e), UTF8_OK);
	ck_assert_int_eq(check_cp(0x7f), UTF8_CONTROL);
	for (uint32_t cp = 0x80; cp <= 0x9f; cp++)
		ck_assert_int_eq(check_cp(cp), UTF8_CONTROL);
	ck_assert_int_eq(check_cp(0x85), UTF8_CONTROL);   /* NEL */
	ck_assert_int_eq(check_cp(0xa0), UTF8_OK);
}
END_TEST

START_TEST(line_and_paragraph_separators_are_refused)
{
	ck_assert_int_eq(check_cp(0x2027), UTF8_OK);
	ck_assert_int_eq(check_cp(0x2028), UTF8_SEPARATOR);
	ck_assert_int_eq(check_cp(0x2029), UTF8_SEPARATOR);
}
END_TEST

START_TEST(bidi_controls_are_refused)
{
	static const uint32_t bidi[] = { 0x061c, 0x200e, 0x200f, 0x202a, 0x202b,
	    0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069 };

	for (size_t i = 0; i < sizeof(bidi) / sizeof(bidi[0]); i++)
		ck_assert_int_eq(check_cp(bidi[i]), UTF8_BIDI);
	ck_assert_int_eq(check_cp(0x061b), UTF8_OK);
	ck_assert_int_eq(check_cp(0x200d), UTF8_OK);     /* ZWJ: scripts and emoji need it */
	ck_assert_int_eq(check_cp(0x202f), UTF8_OK);
	ck_assert_int_eq(check_cp(0x2065), UTF8_OK);
	ck_assert_int_eq(check_cp(0x206a), UTF8_OK);
}
END_TEST

START_TEST(noncharacters_are_refused_in_every_plane)
{
	ck_assert_int_eq(check_cp(0xfdcf), UTF8_OK);
	for (uint32_t cp = 0xfdd0; cp <= 0xfdef; cp++)
		ck_assert_int_eq(check_cp(cp), UTF8_NONCHAR);
	ck_assert_int_eq(check_cp(0xfdf0), UTF8_OK);
	for (uint32_t plane = 0; plane <= 0x10; plane++) {
		ck_assert_int_eq(check_cp(plane << 16 | 0xfffe), UTF8_NONCHAR);
		ck_assert_int_eq(check_cp(plane << 16 | 0xffff), UTF8_NONCHAR);
		ck_assert_int_eq(check_cp(plane << 16 | 0xfffd), UTF8_OK);
	}
}
END_TEST

START_TEST(byte_order_mark_is_refused_anywhere)
{
	ck_assert_int_eq(check_cp(0xfeff), UTF8_BOM);
	ck_assert_int_eq(utf8_check("\xef\xbb\xbf" "a", 4, NULL), UTF8_BOM);
	ck_assert_int_eq(check_cp(0xfefe), UTF8_OK);
}
END_TEST

START_TEST(ordinary_names_in_many_scripts_pass)
{
	static const char *const ok[] = {
		"bundle.zip", "access policy v2.pdf", "\xc3\xa9valuation.pdf",
		"\xd0\xbe\xd1\x82\xd1\x87\xd1\x91\xd1\x82.pdf",          /* Cyrillic */
		"\xd8\xaa\xd9\x82\xd8\xb1\xd9\x8a\xd8\xb1.pdf",          /* Arabic, no marks */
		"\xe5\xa0\xb1\xe5\x91\x8a.xlsx",                         /* CJK */
		"\xf0\x9f\x93\x84 note.txt",                             /* U+1F4C4 */
		"EV%41", "a?b", "\xef\xbf\xbd",                          /* U+FFFD */
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_msg(utf8_check(ok[i], strlen(ok[i]), NULL) == UTF8_OK, "case %zu", i);
	ck_assert_int_eq(utf8_check("", 0, NULL), UTF8_OK);
}
END_TEST

START_TEST(first_problem_is_reported_with_its_offset)
{
	size_t at = 0;

	ck_assert_int_eq(utf8_check("ok\xe2\x80\xa8 then \xff", 12, &at), UTF8_SEPARATOR);
	ck_assert_uint_eq(at, 2);
	ck_assert_int_eq(utf8_check("ab\0c", 4, &at), UTF8_CONTROL);
	ck_assert_uint_eq(at, 2);
	ck_assert_str_eq(utf8_class_name(UTF8_BIDI), "bidirectional control character");
	ck_assert_str_eq(utf8_class_name(UTF8_INVALID), "not valid UTF-8");
}
END_TEST

START_TEST(sanitize_output_always_passes_the_check)
{
	static const char in[] = "a\n\xe2\x80\xa8\xe2\x80\xae\xef\xbf\xbe\xef\xbb\xbf\xff\xc3\xa9\x7f" "z";
	char out[64];
	size_t n;

	n = utf8_sanitize(out, sizeof(out), in, sizeof(in) - 1);
	ck_assert_str_eq(out, "a??????\xc3\xa9?z");
	ck_assert_uint_eq(n, strlen(out));
	ck_assert_int_eq(utf8_check(out, n, NULL), UTF8_OK);
}
END_TEST

START_TEST(sanitize_cuts_on_a_character_boundary)
{
	char out[4];

	ck_assert_uint_eq(utf8_sanitize(out, sizeof(out), "ab\xc3\xa9", 4), 2);
	ck_assert_str_eq(out, "ab");
	ck_assert_uint_eq(utf8_sanitize(out, sizeof(out), "abc", 3), 3);
	ck_assert_str_eq(out, "abc");
	ck_assert_uint_eq(utf8_sanitize(out, 1, "abc", 3), 0);
	ck_assert_str_eq(out, "");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("utf8");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, decoder_accepts_every_length_at_its_bounds);
	tcase_add_test(tc, decoder_refuses_overlongs_surrogates_and_beyond_u10ffff);
	tcase_add_test(tc, stream_decoder_agrees_with_whole_string_decoder);
	tcase_add_test(tc, stream_decoder_reports_truncation_at_the_end);
	tcase_add_test(tc, controls_are_refused_c0_del_and_c1);
	tcase_add_test(tc, line_and_paragraph_separators_are_refused);
	tcase_add_test(tc, bidi_controls_are_refused);
	tcase_add_test(tc, noncharacters_are_refused_in_every_plane);
	tcase_add_test(tc, byte_order_mark_is_refused_anywhere);
	tcase_add_test(tc, ordinary_names_in_many_scripts_pass);
	tcase_add_test(tc, first_problem_is_reported_with_its_offset);
	tcase_add_test(tc, sanitize_output_always_passes_the_check);
	tcase_add_test(tc, sanitize_cuts_on_a_character_boundary);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
