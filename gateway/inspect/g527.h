/*
 * inspect/g527.h: the content of a G5.27 Shared Resource return (SEC G5.27).
 *
 * Runs in the inspector, after the CSV checks accepted the file: the file is
 * still hostile. A leaf: libc and obligations.h's date parser only; reads at
 * most G527_MAX bytes with pread and allocates nothing.
 *
 * A return is a header row naming the columns party, period_end and
 * critical_capable_sms, in any order and with other columns beside them;
 * header names compare without case, spaces, '-' and '_' ("Party",
 * "Period End", "period-end", "PERIOD_END", "Critical Capable SMS" ...).
 * Then one or more rows: the Party's ID (exactly the Party the return is
 * for), an ISO date YYYY-MM-DD that exists, and a non-negative decimal
 * integer (digits only, at most 15). Fields may be quoted as in RFC 4180;
 * a UTF-8 BOM and CRLF line ends are allowed; blank lines are skipped.
 *
 * API: g527_check_csv (a descriptor), g527_check_text (a buffer).
 */
#ifndef INTAKE_G527_H
#define INTAKE_G527_H

#include <stddef.h>
#include <stdint.h>

#define G527_MAX        (1024 * 1024)  /* a return is a few lines: larger is refused */
#define G527_FIELD_MAX  128            /* one field's bytes */
#define G527_COLS_MAX   64             /* fields per row */

/* 0 if the LEN bytes at BUF are a valid return for PARTY, else -1 with the
 * reason in WHY. PARTY NULL (offline `intake inspect`, which knows no
 * Party) checks all but the Party; the daemon always gives it. */
int g527_check_text(const char *buf, size_t len, const char *party, char *why, size_t whylen);
/* The same for the SIZE bytes of FD. */
int g527_check_csv(int fd, uint64_t size, const char *party, char *why, size_t whylen);

#endif
