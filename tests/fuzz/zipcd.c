/*
 * tests/fuzz/zipcd.c: libFuzzer target for the zip central-directory reader
 * (inspect/zipcd.c). Built only with -DINTAKE_FUZZ=ON and CC=clang:
 *
 *   CC=clang cmake -S . -B build-fuzz -DINTAKE_FUZZ=ON
 *   cmake --build build-fuzz --target fuzz_zipcd
 *   build-fuzz/fuzz_zipcd -max_total_time=60 tests/fuzz/corpus/zipcd
 *
 * zipcd.c is included, not linked, so that it is compiled with the fuzzer's
 * coverage instrumentation and sanitizers (gateway_core is not). Each input
 * is written to one memfd, the reader's real source of bytes.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect/zipcd.c"

#define FUZZ_MAX_ENTRIES 1000   /* as a policy might say; keeps runs fast */

static void
fuzz_report(void *arg, const char *code, const char *name, const char *detail)
{
	size_t *total = arg;

	/* touch every byte: a bad pointer or a missing NUL shows under ASan */
	*total += strlen(code) + strlen(name) + strlen(detail);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	size_t total = 0;
	int n;

	if (fd == -1 && (fd = memfd_create("fuzz-zipcd", MFD_CLOEXEC)) == -1)
		abort();
	if (ftruncate(fd, 0) == -1 || (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	n = zipcd_check(fd, size, FUZZ_MAX_ENTRIES, fuzz_report, &total);
	if (n < -1)
		abort();
	if (zipcd_probe(fd, size) < -1)
		abort();
	/* a size larger than the file must not crash either (a file that shrank) */
	(void)zipcd_check(fd, size + 17, FUZZ_MAX_ENTRIES, fuzz_report, &total);
	return 0;
}
