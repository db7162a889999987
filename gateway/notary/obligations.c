/*
 * notary/obligations.c: SEC obligations (obligations.h). A leaf: libc only.
 *
 * Date arithmetic is Howard Hinnant's days_from_civil / civil_from_days,
 * exact for the proleptic Gregorian calendar; no time zone is involved, so
 * the answer does not depend on the host's TZ.
 */
#include <stdio.h>
#include <string.h>

#include "notary/obligations.h"

int
obl_fact_known(const char *name)
{
	return name != NULL && (strcmp(name, FACT_CIO_FIELDWORK) == 0 ||
	    strcmp(name, FACT_REMEDIATION_REQUIRED) == 0);
}

static int
obl_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
obl_mdays(int y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && obl_leap(y) ? 29 : d[m - 1];
}

static int32_t
obl_days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

static void
obl_civil_from_days(int32_t z, int *y, int *m, int *d)
{
	int era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y += *m <= 2;
}

int
obl_date_parse(const char *s, int32_t *days)
{
	int y, m, d, i;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1000 || m < 1 || m > 12 || d < 1 || d > obl_mdays(y, m))
		return -1;
	*days = obl_days_from_civil(y, m, d);
	return 0;
}

void
obl_date_format(int32_t days, char out[OBL_DATE_MAX])
{
	int y, m, d;

	obl_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		y = y < 0 ? 0 : 9999;
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}

int32_t
obl_add_months(int32_t days, int n)
{
	int y, m, d, t;

	obl_civil_from_days(days, &y, &m, &d);
	t = y * 12 + (m - 1) + n;
	y = t / 12;
	m = t % 12 + 1;
	if (d > obl_mdays(y, m))
		d = obl_mdays(y, m);
	return obl_days_from_civil(y, m, d);
}

/* Adds INDEX to IT's receipts, keeping the latest OBL_RECEIPTS_MAX. */
static void
obl_receipt(struct obl_item *it, uint64_t index)
{
	if (it->nreceipts == OBL_RECEIPTS_MAX) {
		memmove(it->receipts, it->receipts + 1,
		    (OBL_RECEIPTS_MAX - 1) * sizeof(it->receipts[0]));
		it->nreceipts--;
	}
	it->receipts[it->nreceipts++] = index;
}

static void
obl_basis(struct obl_item *it, const char *what, int32_t date)
{
	char d[OBL_DATE_MAX];

	obl_date_format(date, d);
	snprintf(it->basis, sizeof(it->basis), "%s %s", what, d);
}

void
obl_derive(const struct obl_event *ev, size_t n, int shared_resource, int32_t today,
    void (*cb)(const struct obl_item *item, void *arg), void *arg)
{
	const struct obl_event *fieldwork = NULL, *remediation = NULL, *g527 = NULL;
	struct obl_item it;
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (ev[i].type == OBL_EV_FIELDWORK)
			fieldwork = &ev[i];
		else if (ev[i].type == OBL_EV_REMEDIATION)
			remediation = &ev[i];
		else if (ev[i].type == OBL_EV_G527)
			g527 = &ev[i];
	}

	if (fieldwork != NULL) {
		memset(&it, 0, sizeof(it));
		it.obligation = "ssa";
		obl_basis(&it, FACT_CIO_FIELDWORK, fieldwork->date);
		for (i = 0; i < n; i++)
			if (ev[i].type == OBL_EV_SSA && ev[i].date >= fieldwork->date)
				obl_receipt(&it, ev[i].index);
		it.has_due = 1;
		it.due = obl_add_months(fieldwork->date, 12);
		it.status = it.nreceipts > 0 ? "met" : today <= it.due ? "due" : "overdue";
		cb(&it, arg);
	}

	memset(&it, 0, sizeof(it));
	it.obligation = "notification-agreement";
	snprintf(it.basis, sizeof(it.basis), "every Party (G3.17-G3.20)");
	for (i = 0; i < n; i++)
		if (ev[i].type == OBL_EV_NOTIFY)
			obl_receipt(&it, ev[i].index);
	it.status = it.nreceipts > 0 ? "met" : "due";
	cb(&it, arg);

	if (remediation != NULL) {
		memset(&it, 0, sizeof(it));
		it.obligation = "remediation-plan";
		obl_basis(&it, FACT_REMEDIATION_REQUIRED, remediation->date);
		for (i = 0; i < n; i++)
			if (ev[i].type == OBL_EV_PLAN && ev[i].date >= remediation->date)
				obl_receipt(&it, ev[i].index);
		it.status = it.nreceipts > 0 ? "met" : "due";
		cb(&it, arg);
	}

	for (i = 0; i < n; i++) {
		if (ev[i].type != OBL_EV_PLAN)
			continue;
		memset(&it, 0, sizeof(it));
		it.obligation = "director-letter";
		it.has_plan = 1;
		it.plan = ev[i].index;
		snprintf(it.basis, sizeof(it.basis), "remediation-plan %llu",
		    (unsigned long long)ev[i].index);
		for (k = 0; k < n; k++)
			if (ev[k].type == OBL_EV_LETTER && ev[k].has_plan && ev[k].plan == ev[i].index)
				obl_receipt(&it, ev[k].index);
		it.status = it.nreceipts > 0 ? "met" : "due";
		cb(&it, arg);
	}

	if (shared_resource) {
		memset(&it, 0, sizeof(it));
		it.obligation = "g5.27";
		if (g527 == NULL) {
			snprintf(it.basis, sizeof(it.basis), "shared_resource, no return yet");
			it.status = "due";
		} else {
			obl_basis(&it, "shared-resource-return", g527->date);
			obl_receipt(&it, g527->index);
			it.has_due = 1;
			it.due = obl_add_months(g527->date, 6);
			it.status = today <= it.due ? "met" : "overdue";
		}
		cb(&it, arg);
	}
}
