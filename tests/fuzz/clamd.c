/*
 * tests/fuzz/clamd.c: libFuzzer target for the parser of clamd's answers
 * (common/clamd.c: clamd_parse_answer, clamd_parse_version). Built only with
 * -DINTAKE_FUZZ=ON and CC=clang:
 *
 *   CC=clang cmake -S . -B build-fuzz -DINTAKE_FUZZ=ON
 *   cmake --build build-fuzz --target fuzz_clamd
 *   build-fuzz/fuzz_clamd -max_total_time=60 tests/fuzz/corpus/clamd
 *
 * clamd.c is included, not linked, so that it is compiled with the fuzzer's
 * coverage instrumentation and sanitizers (gateway_core is not). Each input
 * is one answer as clamd would send it; what the parser keeps must be
 * printable ASCII, NUL-terminated within its field.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/clamd.c"

static void
fuzz_printable(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == cap)
		abort();
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct clamd_verdict v;
	char version[CLAMD_VERSION_MAX];

	if (size > CLAMD_ANSWER_MAX)
		return 0;
	memset(&v, 0, sizeof(v));
	switch (clamd_parse_answer((const char *)data, size, &v)) {
	case CLAMD_FOUND:
	case CLAMD_INCOMPLETE:
		if (v.signature[0] == '\0')
			abort();
		fuzz_printable(v.signature, sizeof(v.signature));
		break;
	case CLAMD_ERROR:
		fuzz_printable(v.why, sizeof(v.why));
		break;
	case CLAMD_CLEAN:
		break;
	}
	if (clamd_parse_version((const char *)data, size, version, sizeof(version)) == 0) {
		fuzz_printable(version, sizeof(version));
		if (!clamd_version_ok(version))
			abort();
	}
	return 0;
}
