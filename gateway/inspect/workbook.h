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
 *
 * workbook_read_sheet reads a one-sheet workbook cell by cell for a caller
 * that has rules of its own (inspect/g527.c: a G5.27 return).
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

/* One cell as Excel displays it (workbook.c's text rules: a number with a
 * date format as YYYY-MM-DD, ...), trimmed, control characters as spaces. */
struct workbook_cell {
	uint32_t    col;       /* 1-based: A is 1 */
	const char *text;      /* valid during the call */
	int         formula;   /* an <f>: TEXT is only the value cached by its writer */
};
/* What workbook_read_sheet calls, in sheet order: CELL for each cell with
 * text or a formula (empty cells are left out), ROW_END after each row
 * element. A non-zero return stops the reading with the reason the
 * callback wrote to WHY. */
struct workbook_sheet_cb {
	int  (*cell)(void *arg, uint32_t row, const struct workbook_cell *c, char *why,
	    size_t whylen);
	int  (*row_end)(void *arg, uint32_t row, char *why, size_t whylen);
	void  *arg;
};
/* Reads the only sheet of the .xlsx in FD (SIZE bytes) under the same
 * limits as workbook_read, through CB. A workbook of no sheet or more than
 * one, or whose sheet is not a worksheet, is an error. 0, or -1 with the
 * reason in WHY (CB's own, or the reader's). */
int workbook_read_sheet(int fd, uint64_t size, const struct policy *p,
    const struct workbook_sheet_cb *cb, char *why, size_t whylen);

#endif
