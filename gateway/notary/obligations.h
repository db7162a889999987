/*
 * notary/obligations.h: SEC obligations (DESIGN §8): the facts SECAS records,
 * calendar dates, and the register derived from facts and receipts.
 *
 * A leaf: libc only, no I/O. The front uses it to check a fact before it
 * goes to the notary and to derive the register from what it read from the
 * ledger; the notary uses it to check the fact again. Dates are proleptic
 * Gregorian YYYY-MM-DD, held as days since 1970-01-01.
 *
 * API: obl_fact_known, obl_date_parse, obl_date_format, obl_add_months,
 * obl_derive (the rules of DESIGN §8 for one Party).
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

/* What the register reads of one Party, in log order: its facts (DATE the
 * fact's date) and accepted receipts of the kinds below (DATE the UTC day
 * of the receipt's time). */
enum obl_ev {
	OBL_EV_FIELDWORK,      /* fact cio-fieldwork */
	OBL_EV_REMEDIATION,    /* fact remediation-required */
	OBL_EV_SSA,            /* ssa-workbook */
	OBL_EV_NOTIFY,         /* notification-agreement */
	OBL_EV_PLAN,           /* remediation-plan */
	OBL_EV_LETTER,         /* director-letter, with has_plan: plan: N */
	OBL_EV_G527,           /* shared-resource-return */
};
struct obl_event {
	enum obl_ev type;
	uint64_t    index;
	int32_t     date;
	int         has_plan;
	uint64_t    plan;
};

#define OBL_RECEIPTS_MAX 8     /* receipts named per obligation: the latest that meet it */

/* One line of the register. STATUS is "met", "due" or "overdue"; DUE only
 * with HAS_DUE; PLAN only for director-letter. */
struct obl_item {
	const char *obligation;
	const char *status;
	int         has_due;
	int32_t     due;
	uint64_t    receipts[OBL_RECEIPTS_MAX];
	size_t      nreceipts;
	char        basis[64];
	int         has_plan;
	uint64_t    plan;
};

/*
 * The rules of DESIGN §8 for one Party (role party) as of day TODAY, one
 * call of CB per obligation that applies, in a fixed order: ssa,
 * notification-agreement, remediation-plan, director-letter (one per
 * accepted plan, in log order), g5.27 (SHARED_RESOURCE only).
 *
 *  ssa        after the latest cio-fieldwork fact F (a later fact supersedes
 *             an earlier one, whatever their dates): met by an ssa-workbook
 *             received on or after F's date; else due until F + 12 months
 *             (obl_add_months: 2024-02-29 gives 2025-02-28) inclusive, and
 *             overdue from the day after.
 *  notification-agreement  met by any; else due (no date).
 *  remediation-plan  after the latest remediation-required fact R: met by a
 *             plan received on or after R's date; else due (no date).
 *  director-letter   per plan P: met by a letter with plan: P; else due.
 *  g5.27      the latest return D: met until D + 6 months inclusive (the due
 *             date), overdue after; none yet: due (no date).
 */
void obl_derive(const struct obl_event *ev, size_t n, int shared_resource, int32_t today,
    void (*cb)(const struct obl_item *item, void *arg), void *arg);

#endif
