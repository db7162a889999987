/*
 * tests/fuzz/csv.c: libFuzzer target for the CSV check (inspect/csv.c):
 * the UTF-8 validator, the RFC 4180 state machine, the formula and column
 * checks. The input is the whole file, put in a memfd.
 * Seeds: tests/fuzz/corpus/csv/.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect/checks.h"

static const struct policy pol = {
	.max_upload = 1 << 30, .archive_members = 1000, .archive_ratio = 100,
	.archive_ratio_min = 1 << 20, .archive_depth = 3, .archive_expanded = 1 << 30,
	.path_max = 1024, .inspect_seconds = 10, .xml_depth = 256,
	.xml_part_max = 1 << 20, .workbook_rows = 10000,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct inspect_result res;

	if (fd == -1 && (fd = memfd_create("fuzz-csv", 0)) == -1)
		abort();
	if (ftruncate(fd, 0) == -1 || (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	memset(&res, 0, sizeof(res));
	res.accepted = 1;
	(void)csv_inspect(fd, size, &pol, "", &res);
	inspect_result_clear(&res);
	return 0;
}
