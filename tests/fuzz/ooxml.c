/*
 * tests/fuzz/ooxml.c: libFuzzer target for the OOXML check (inspect/ooxml.c)
 * and the bounded XML reader (inspect/xml.c). The first byte chooses: odd,
 * the rest is a package (zip, or OLE) for ooxml_inspect; even, the rest is
 * one XML document for xml_parse_buffer (so that expat's handlers and the
 * limits are reached without a valid zip around them).
 * Seeds: tests/fuzz/corpus/ooxml/.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect/checks.h"
#include "inspect/xml.h"

static const struct policy pol = {
	.max_upload = 1 << 30, .archive_members = 1000, .archive_ratio = 100,
	.archive_ratio_min = 1 << 20, .archive_depth = 3, .archive_expanded = 1 << 30,
	.path_max = 1024, .inspect_seconds = 10, .xml_depth = 64,
	.xml_part_max = 1 << 20, .workbook_rows = 10000,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
count(void *arg, const char *name, const char **attrs)
{
	(void)name;
	(void)xml_attr(attrs, "Type", '|');
	++*(unsigned *)arg;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct inspect_result res;
	struct xml_limits lim = { 64, 1 << 20, 1000, NULL };
	struct xml_handler h = { count, NULL, NULL, NULL, '|' };
	enum ooxml_kind kind;
	enum xml_err err;
	unsigned n = 0;

	if (size < 1)
		return 0;
	if ((data[0] & 1) == 0) {
		h.arg = &n;
		(void)xml_parse_buffer(data + 1, size - 1, &lim, &h, &err);
		return 0;
	}
	if (fd == -1 && (fd = memfd_create("fuzz-ooxml", 0)) == -1)
		abort();
	if (ftruncate(fd, 0) == -1 ||
	    (size > 1 && pwrite(fd, data + 1, size - 1, 0) != (ssize_t)(size - 1)))
		abort();
	memset(&res, 0, sizeof(res));
	res.accepted = 1;
	(void)ooxml_inspect(fd, size - 1, &pol, "", &res, &kind);
	inspect_result_clear(&res);
	return 0;
}
