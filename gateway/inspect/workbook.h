/*
 * inspect/workbook.h: reads a Validation Workbook's evidence-reference tab.
 *
 * Runs in the inspector, after the OOXML checks accepted the package (no
 * macros, no DTDs, no external parts): the file is still hostile. Reads the
 * .xlsx with libarchive's seekable zip reader over pread (the fd's offset is
 * not used) and its XML with expat; every loop and allocation is bounded by
 * the policy (xml_depth, xml_part_max, workbook_rows) or a named constant
 * in workbook.c. It never writes anything and trusts nothing of the file.
 *
 * The tab: the first sheet named like one of WORKBOOK_TAB_NAMES (in that
 * order; case and spaces ignored), else the first sheet, in workbook order,
 * whose header row has an evidence-reference column. The header row is one
 * of rows 1..20; columns are found by header text (wb_synonyms in
 * workbook.c). Each later row with a reference becomes a workbook_ref.
 */
#ifndef INTAKE_WORKBOOK_H
#define INTAKE_WORKBOOK_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "inspect/findings.h"

/* Sheet names tried first, in this order (the policy may override later). */
#define WORKBOOK_TAB_NAMES { "Evidence References", "Additional Evidence", "Evidence" }

/* Reads the evidence-reference tab of the .xlsx in FD (SIZE bytes).
 * Returns 0 with *OUT filled (possibly no rows), 1 when no sheet has an
 * evidence-reference header (*OUT filled with no rows and tab "", WHY says
 * so), or -1 with the reason in WHY (malformed or hostile part, a limit
 * exceeded: "too many rows ..."), *OUT NULL. *OUT is freed with
 * workbook_refs_free. */
int workbook_read(int fd, uint64_t size, const struct policy *p,
    struct workbook_refs **out, char *why, size_t whylen);

#endif
