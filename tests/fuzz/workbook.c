/*
 * tests/fuzz/workbook.c: libFuzzer target for the Validation Workbook reader
 * (inspect/workbook.c, over inspect/xml.c) and the G5.27 return's .xlsx
 * form over the same reader (inspect/g527.c). Built only with
 * -DINTAKE_FUZZ=ON and CC=clang:
 *
 *   CC=clang cmake -S . -B build-fuzz -DINTAKE_FUZZ=ON
 *   cmake --build build-fuzz --target fuzz_workbook
 *   build-fuzz/fuzz_workbook -max_total_time=60 tests/fuzz/corpus/workbook
 *
 * workbook.c and xml.c are included, not linked, so that they are compiled
 * with the fuzzer's coverage instrumentation and sanitizers (gateway_core is
 * not). Each input is written to one memfd, the reader's real source of
 * bytes. The seeds are small .xlsx files (openpyxl-made and hand-written
 * XML: shared and inline strings, styles with dates, gaps in references;
 * a G5.27 return with a date cell).
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect/xml.c"
#include "inspect/workbook.c"
#include "inspect/g527.c"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* smaller than the defaults so that runs stay fast */
	static const struct policy p = {
		.workbook_rows = 1000, .xml_depth = 64, .xml_part_max = 1u << 20,
		.archive_members = 1000,
	};
	static int fd = -1;
	struct workbook_refs *w = NULL;
	char why[256];
	size_t total = 0;
	int rc;

	if (fd == -1 && (fd = memfd_create("fuzz-workbook", MFD_CLOEXEC)) == -1)
		abort();
	if (ftruncate(fd, 0) == -1 || (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	/* the same bytes as a G5.27 return (workbook_read_sheet's reader) */
	rc = g527_check_xlsx(fd, size, &p, "ALPHA", why, sizeof(why));
	if (rc != 0 && (rc != -1 || strncmp(why, "G5.27 return: ", 14) != 0 ||
	    strlen(why) >= sizeof(why)))
		abort();
	rc = workbook_read(fd, size, &p, &w, why, sizeof(why));
	if (rc == -1) {
		if (w != NULL || why[0] == '\0' || strlen(why) >= sizeof(why))
			abort();
		return 0;
	}
	if ((rc != 0 && rc != 1) || w == NULL || w->n > p.workbook_rows ||
	    strlen(w->tab) >= sizeof(w->tab) || (rc == 1 && w->n != 0))
		abort();
	for (size_t i = 0; i < w->n; i++) {
		const struct workbook_ref *r = &w->v[i];

		/* every field NUL-terminated in its array; a reference is never empty */
		if (r->ref[0] == '\0' || strlen(r->ref) > WB_REF_MAX ||
		    strlen(r->filename) >= sizeof(r->filename) ||
		    strlen(r->obligation) >= sizeof(r->obligation) ||
		    strlen(r->sha256) >= sizeof(r->sha256) ||
		    strlen(r->description) >= sizeof(r->description))
			abort();
		total += strlen(r->ref) + strlen(r->filename);
	}
	(void)total;
	workbook_refs_free(w);
	return 0;
}
