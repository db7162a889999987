/*
 * inspect/zipcd.h: a small, bounded reader of a zip file's central
 * directory, to cross-check what libarchive sees (zip parser differentials).
 *
 * Runs in the inspector, on a read-only fd (pread only; the fd offset is
 * not used). Trusts nothing in the file: every offset, length and count is
 * checked against the file size and the limits before use, and every read is
 * bounded (ZIPCD_WINDOW). It never decompresses and never allocates more
 * than one small record per central-directory entry.
 *
 * API: zipcd_check reports each finding (code, member name, detail) through
 * a callback, so that the reader depends on nothing but libc (the fuzz
 * target links it alone).
 */
#ifndef INTAKE_ZIPCD_H
#define INTAKE_ZIPCD_H

#include <stdint.h>

/* CODE is a finding code (zip-bad-cd, zip-cd-mismatch, zip-overlap,
 * zip-gap, zip-prefix, zip-trailing, zip-multiple-eocd, too-many-members,
 * encrypted), NAME the entry's name ("" for the file), DETAIL a sentence.
 * All three are NUL-terminated and valid only during the call; NAME may hold
 * any byte but NUL. */
typedef void zipcd_report_fn(void *arg, const char *code, const char *name,
    const char *detail);

/* Checks the zip structure of FD (SIZE bytes): exactly one end record
 * (ZIP64 too), at most MAX_ENTRIES entries, each local header agreeing with
 * its central-directory entry (name, method, flags, CRC, sizes, data
 * descriptor), entries that neither overlap nor leave gaps, no bytes before
 * the first entry or after the end record. Returns the number of findings
 * reported (0: a clean zip), or -1 on a read or memory error. */
int zipcd_check(int fd, uint64_t size, uint64_t max_entries,
    zipcd_report_fn *report, void *arg);

/* 1 if the last 64 KiB of FD hold an end of central directory record that
 * parses (the file is, or ends with, a zip), 0 if not, -1 on error. Reports
 * nothing: the inspector uses it to find zips behind another type. */
int zipcd_probe(int fd, uint64_t size);

#endif
