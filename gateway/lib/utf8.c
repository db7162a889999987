/*
 * lib/utf8.c: strict UTF-8 and the forbidden characters of a name (utf8.h).
 *
 * Written here rather than taken from a library: libunistring's u8_mbtouc
 * is as strict but knows nothing of which characters a signed name may not
 * hold, and the fuzz targets (zipcd, csv) must link a leaf that needs only
 * libc. utf8_stream_byte is the only decoder; utf8_decode feeds it.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "utf8.h"

int
utf8_stream_byte(struct utf8_stream *st, uint8_t b, uint32_t *cp)
{
	if (st->need > 0) {
		if (b < st->lo || b > st->hi) {
			memset(st, 0, sizeof(*st));
			return -1;
		}
		st->cp = st->cp << 6 | (b & 0x3f);
		st->lo = 0x80;
		st->hi = 0xbf;
		if (--st->need > 0)
			return 0;
		*cp = st->cp;
		st->cp = 0;
		return 1;
	}
	st->lo = 0x80;
	st->hi = 0xbf;
	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf) {
		st->need = 1;
		st->cp = b & 0x1f;
	} else if (b >= 0xe0 && b <= 0xef) {
		st->need = 2;
		st->cp = b & 0x0f;
		if (b == 0xe0)
			st->lo = 0xa0;          /* no overlong form */
		else if (b == 0xed)
			st->hi = 0x9f;          /* no surrogate */
	} else if (b >= 0xf0 && b <= 0xf4) {
		st->need = 3;
		st->cp = b & 0x07;
		if (b == 0xf0)
			st->lo = 0x90;          /* no overlong form */
		else if (b == 0xf4)
			st->hi = 0x8f;          /* nothing above U+10FFFF */
	} else {
		/* a continuation byte, C0/C1 (overlong ASCII) or F5-FF */
		memset(st, 0, sizeof(*st));
		return -1;
	}
	return 0;
}

size_t
utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
	struct utf8_stream st = { 0 };
	size_t i;
	int r;

	for (i = 0; i < n && i < UTF8_SEQ_MAX; i++) {
		if ((r = utf8_stream_byte(&st, s[i], cp)) == 1)
			return i + 1;
		if (r == -1)
			return 0;
	}
	return 0;                       /* truncated (or N == 0) */
}

int
utf8_valid(const uint8_t *s, size_t n)
{
	struct utf8_stream st = { 0 };
	uint32_t cp;
	size_t i;

	for (i = 0; i < n; i++)
		if (utf8_stream_byte(&st, s[i], &cp) == -1)
			return 0;
	return st.need == 0;
}

enum utf8_class
utf8_class_of(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return UTF8_CONTROL;
	if (cp == 0x2028 || cp == 0x2029)
		return UTF8_SEPARATOR;
	if (cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return UTF8_BIDI;
	if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe)
		return UTF8_NONCHAR;
	if (cp == 0xfeff)
		return UTF8_BOM;
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return UTF8_INVALID;    /* not a scalar value: never from utf8_decode */
	return UTF8_OK;
}

enum utf8_class
utf8_check(const char *s, size_t n, size_t *at)
{
	const uint8_t *u = (const uint8_t *)s;
	enum utf8_class c;
	uint32_t cp;
	size_t i, k;

	for (i = 0; i < n; i += k) {
		if ((k = utf8_decode(u + i, n - i, &cp)) == 0)
			c = UTF8_INVALID;
		else
			c = utf8_class_of(cp);
		if (c != UTF8_OK) {
			if (at != NULL)
				*at = i;
			return c;
		}
	}
	return UTF8_OK;
}

const char *
utf8_class_name(enum utf8_class c)
{
	switch (c) {
	case UTF8_OK:
		return "valid";
	case UTF8_INVALID:
		return "not valid UTF-8";
	case UTF8_CONTROL:
		return "control character";
	case UTF8_SEPARATOR:
		return "line or paragraph separator";
	case UTF8_BIDI:
		return "bidirectional control character";
	case UTF8_NONCHAR:
		return "Unicode noncharacter";
	case UTF8_BOM:
		return "byte order mark";
	}
	return "not valid UTF-8";
}

size_t
utf8_sanitize(char *dst, size_t dstlen, const char *src, size_t n)
{
	const uint8_t *s = (const uint8_t *)src;
	size_t i = 0, o = 0, k;
	uint32_t cp;

	if (dstlen == 0)
		return 0;
	while (i < n) {
		k = utf8_decode(s + i, n - i, &cp);
		if (k == 0 || utf8_class_of(cp) != UTF8_OK) {
			if (o + 1 >= dstlen)
				break;
			dst[o++] = '?';
			i += k == 0 ? 1 : k;
			continue;
		}
		if (o + k >= dstlen)
			break;
		memcpy(dst + o, s + i, k);
		o += k;
		i += k;
	}
	dst[o] = '\0';
	return o;
}
