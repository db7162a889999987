/*
 * inspect/g527.h: the content of a G5.27 Shared Resource return (SEC G5.27).
 *
 * Runs in the inspector, after the CSV or OOXML checks accepted the file:
 * the file is still hostile. The CSV form reads at most G527_MAX bytes with
 * pread; the .xlsx form reads the workbook through inspect/workbook.c
 * (workbook_read_sheet: expat, the policy's XML and zip limits). Neither
 * writes anything.
 *
 * A return is a header row naming the columns party, period_end and
 * critical_capable_sms, in any order and with other columns beside them;
 * header names compare without case, spaces, '-' and '_' ("Party",
 * "Period End", "period-end", "PERIOD_END", "Critical Capable SMS" ...).
 * Rows of empty fields only are skipped, before and after the header. Then
 * one to G527_ROWS_MAX rows: the Party's ID (exactly the Party the return
 * is for), an ISO date YYYY-MM-DD that exists, and a non-negative decimal
 * integer (digits only, at most 15). At most G527_COLS_MAX columns and
 * G527_FIELD_MAX - 1 bytes a field.
 *
 * CSV: fields may be quoted as in RFC 4180; a UTF-8 BOM and CRLF line ends
 * are allowed. Text that parses as CSV is read the same way.
 *
 * .xlsx: exactly one sheet (a workbook of two is refused: which one would
 * be the return?), a worksheet; the same rules over its cells as Excel
 * displays them, trimmed. A date is a text cell "YYYY-MM-DD" (shared or
 * inline string, or an ISO t="d" cell at midnight), or a number with a date
 * format (built-in or custom, 1900 or 1904 date system) on a day at
 * midnight; a number without a date format is not a date (the serial
 * 46295 could be anything). A count is a number with an integral value or
 * a text of digits. A formula anywhere in the sheet is refused: its value
 * in the file is whatever its writer cached, or nothing (openpyxl).
 *
 * API: g527_check_csv (a descriptor), g527_check_text (a buffer),
 * g527_check_xlsx (a descriptor of an .xlsx).
 */
#ifndef INTAKE_G527_H
#define INTAKE_G527_H

#include <stddef.h>
#include <stdint.h>

#define G527_MAX        (1024 * 1024)  /* a CSV return is a few lines: larger is refused */
#define G527_FIELD_MAX  128            /* one field's bytes */
#define G527_COLS_MAX   64             /* fields per row */
#define G527_ROWS_MAX   65536          /* rows after the header */
#define G527_WHY_MAX    256            /* a reason's bytes */

struct policy;

/* 0 if the LEN bytes at BUF are a valid return for PARTY, else -1 with the
 * reason in WHY. PARTY NULL (offline `intake inspect`, which knows no
 * Party) checks all but the Party; the daemon always gives it. */
int g527_check_text(const char *buf, size_t len, const char *party, char *why, size_t whylen);
/* The same for the SIZE bytes of FD. */
int g527_check_csv(int fd, uint64_t size, const char *party, char *why, size_t whylen);
/* The same for the .xlsx of SIZE bytes in FD, under P's limits. */
int g527_check_xlsx(int fd, uint64_t size, const struct policy *p, const char *party,
    char *why, size_t whylen);

#endif
