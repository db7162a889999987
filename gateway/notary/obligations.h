/*
 * notary/obligations.h: SEC obligations (DESIGN §8): the facts SECAS records,
 * calendar dates, and the register derived from facts and receipts.
 *
 * A leaf: libc only, no I/O. The front uses it to check a fact before it
 * goes to the notary and to derive the register from what it read from the
 * ledger; the notary uses it to check the fact again. Dates are proleptic
 * Gregorian YYYY-MM-DD, held as days since 1970-01-01.
 *
 * API: obl_fact_known, obl_date_parse, obl_date_format, obl_add_months.
 */
#ifndef INTAKE_OBLIGATIONS_H
#define INTAKE_OBLIGATIONS_H

#include <stddef.h>
#include <stdint.h>

#define FACT_MAGIC        "intake-fact/v1"
#define FACT_KIND         "intake-fact"    /* the ledger's kind column for a fact */
#define FACT_NAME_MAX     32               /* the longest fact name, NUL included */
#define OBL_DATE_MAX      11               /* "YYYY-MM-DD" and NUL */

#define FACT_CIO_FIELDWORK        "cio-fieldwork"
#define FACT_REMEDIATION_REQUIRED "remediation-required"

/* Whether NAME is a fact SECAS may record. */
int obl_fact_known(const char *name);

/* Parses exactly "YYYY-MM-DD" (years 1000-9999, a real calendar date) into
 * days since 1970-01-01. 0/-1. */
int obl_date_parse(const char *s, int32_t *days);

/* Writes DAYS as "YYYY-MM-DD" into OUT. */
void obl_date_format(int32_t days, char out[OBL_DATE_MAX]);

/* DAYS plus N calendar months. A day that the target month lacks (the 31st,
 * 29 February outside a leap year) becomes that month's last day: 2024-02-29
 * plus 12 months is 2025-02-28, 2025-08-31 plus 6 months is 2026-02-28. */
int32_t obl_add_months(int32_t days, int n);

#endif
