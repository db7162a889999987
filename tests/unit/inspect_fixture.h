/*
 * tests/unit/inspect_fixture.h: the policy, the kinds and the file opener
 * the inspector's unit tests share (inspect.c, magic_flags.c, archive.c).
 * Static functions: each test program includes it once.
 */
#ifndef INTAKE_TEST_INSPECT_FIXTURE_H
#define INTAKE_TEST_INSPECT_FIXTURE_H

#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/config.h"

/* K: kind NAME admitting TYPES (NULL-terminated). */
static void
kind_set(struct kind *k, const char *name, const char *const *types)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", name);
	for (; *types != NULL; types++)
		snprintf(k->types[k->ntypes++], MIME_MAX, "%s", *types);
}

/* POL: the default limits of policy/intake.policy, over KINDS. */
static void
policy_set(struct policy *pol, struct kind *kinds, size_t nkinds)
{
	memset(pol, 0, sizeof(*pol));
	pol->max_upload = 4ULL << 30;
	pol->archive_members = 10000;
	pol->archive_ratio = 100;
	pol->archive_ratio_min = 1 << 20;
	pol->max_archive_ratio = 100;
	pol->archive_depth = 3;
	pol->archive_expanded = 16ULL << 30;
	pol->path_max = 1024;
	pol->inspect_seconds = 120;
	pol->xml_depth = 256;
	pol->xml_part_max = 64 << 20;
	pol->workbook_rows = 10000;
	pol->kinds = kinds;
	pol->nkinds = nkinds;
}

/* Opens DIR/FILE read-only (a test failure if it is missing); its size in
 * *SIZE. */
static int
fixture_open(const char *dir, const char *file, uint64_t *size)
{
	char path[512];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	ck_assert_msg((fd = open(path, O_RDONLY)) != -1, "%s missing", path);
	ck_assert_int_eq(fstat(fd, &st), 0);
	*size = (uint64_t)st.st_size;
	return fd;
}

#endif
