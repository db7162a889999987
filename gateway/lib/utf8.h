/*
 * lib/utf8.h: strict UTF-8, and the characters a name we sign may not hold.
 *
 * One decoder for one question. The front (filenames, refs, the digest
 * claim), the notary's entry writer, the inspector's archive-member and zip
 * checks, its finding text and the CSV check all decode with this module,
 * so what the front accepts is exactly what the notary signs, stores and
 * answers, and the entry never has to rewrite a value. A leaf: libc only,
 * no allocation, no state outside the caller's; safe in every process.
 *
 * Strict UTF-8 is RFC 3629 (Unicode table 3-7): no overlong forms, no
 * surrogates (U+D800-U+DFFF), nothing above U+10FFFF, no stray or missing
 * continuation byte. On top of that a *name* (utf8_check) may not hold:
 *
 *   UTF8_CONTROL    C0 U+0000-U+001F, DEL U+007F, C1 U+0080-U+009F (NEL
 *                   included): they end or rewrite a line of the entry
 *   UTF8_SEPARATOR  U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR: a
 *                   line break to JSON/JavaScript readers and many editors
 *   UTF8_BIDI       U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069:
 *                   they reorder what a reader sees ("invoice\u202Efdp.exe")
 *   UTF8_NONCHAR    the 66 noncharacters U+FDD0-U+FDEF and U+nFFFE/U+nFFFF
 *                   of every plane: never text, often dropped by tools
 *   UTF8_BOM        U+FEFF, the byte order mark / zero-width no-break
 *                   space: invisible, and stripped by many readers, so two
 *                   names would look alike and a reader would see another
 *
 * Everything else is allowed, including private-use and not yet assigned
 * code points, U+FFFD, and the joiners U+200C/U+200D that some scripts and
 * emoji need.
 *
 * API: utf8_decode, utf8_valid, utf8_stream_byte (one byte at a time, for
 * parsers that read in blocks), utf8_class_of, utf8_check, utf8_class_name,
 * utf8_sanitize (for text that is ours to word, never for a name we sign).
 */
#ifndef INTAKE_UTF8_H
#define INTAKE_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define UTF8_SEQ_MAX 4   /* bytes in the longest sequence (U+10000-U+10FFFF) */

enum utf8_class {
	UTF8_OK = 0,
	UTF8_INVALID,        /* not strict UTF-8 */
	UTF8_CONTROL,
	UTF8_SEPARATOR,
	UTF8_BIDI,
	UTF8_NONCHAR,
	UTF8_BOM,
};

/* A decoder fed one byte at a time; zero it to start (or after an error). */
struct utf8_stream {
	uint32_t cp;         /* the code point so far */
	uint8_t  need;       /* continuation bytes still expected */
	uint8_t  lo, hi;     /* the range of the next one (0, 0: any) */
};

/* Feeds B to ST: 1 when a code point is complete (in *CP), 0 when more bytes
 * are needed, -1 when B makes the sequence invalid (ST is then reset). A
 * stream that ends with ST->need != 0 ends in a truncated sequence. */
int utf8_stream_byte(struct utf8_stream *st, uint8_t b, uint32_t *cp);

/* The length (1-4) of the valid sequence at S (N bytes left) and its code
 * point in *CP, or 0 when the bytes there are not strict UTF-8 (N == 0
 * included). */
size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/* 1 if all N bytes at S are strict UTF-8, else 0. */
int utf8_valid(const uint8_t *s, size_t n);

/* The class of the valid code point CP: UTF8_OK or why a name may not hold it. */
enum utf8_class utf8_class_of(uint32_t cp);

/* The first problem in the N bytes at S as a name: UTF8_OK when there is
 * none, else its class, and its byte offset in *AT when AT is not NULL. */
enum utf8_class utf8_check(const char *s, size_t n, size_t *at);

/* Words for a class, for error messages ("control character", ...). */
const char *utf8_class_name(enum utf8_class c);

/* Copies the N bytes at SRC to DST (DSTLEN > 0 bytes, always NUL-terminated,
 * cut on a character boundary) with every byte that is not strict UTF-8 and
 * every character utf8_check refuses replaced by '?'. The result always
 * passes utf8_check. For text we compose (finding details, display); a name
 * that is signed is refused, never rewritten. Returns the length written. */
size_t utf8_sanitize(char *dst, size_t dstlen, const char *src, size_t n);

#endif
