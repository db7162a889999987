/*
 * front/metrics.h: latency histograms for /metrics (Prometheus text format).
 *
 * Runs in the front. A histogram has fixed buckets (seconds, METRICS_BUCKETS)
 * and atomic counters, so any thread may observe into it (the pipeline's
 * workers time inspections); the loop thread writes it out for the admin
 * listener. Upload durations are kept per kind and verdict in a table the
 * loop thread alone touches: kinds come from the policy, at most
 * METRICS_KINDS_MAX of them by name; beyond, they are counted as "other" so
 * that a policy cannot make the table grow.
 *
 * API: metrics_observe, metrics_between, metrics_since, metrics_upload,
 * metrics_write_histogram, metrics_write_uploads.
 */
#ifndef INTAKE_METRICS_H
#define INTAKE_METRICS_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "common/config.h"

#define METRICS_BUCKETS    18   /* upper bounds below, +Inf apart */
#define METRICS_KINDS_MAX  64   /* kinds named in the upload histogram */

struct evbuffer;

struct histogram {
	_Atomic uint64_t bucket[METRICS_BUCKETS + 1];   /* not cumulative; the last is +Inf */
	_Atomic uint64_t count;
	_Atomic uint64_t sum_us;                         /* microseconds */
};

/* One histogram per (kind, verdict) that has been seen. Loop thread. */
struct upload_metrics {
	char             kind[METRICS_KINDS_MAX + 1][KIND_NAME_MAX];   /* the last: "other" */
	struct histogram h[METRICS_KINDS_MAX + 1][2];                  /* [kind][accepted] */
	unsigned         nkinds;
};

/* Adds one observation of SECONDS to H (any thread). */
void metrics_observe(struct histogram *h, double seconds);
/* Seconds from T0 to T1, two CLOCK_MONOTONIC readings. */
double metrics_between(const struct timespec *t0, const struct timespec *t1);
/* Seconds from T0, a CLOCK_MONOTONIC reading, to now. */
double metrics_since(const struct timespec *t0);
/* Adds an upload of KIND with its verdict, answered SECONDS after it began. */
void metrics_upload(struct upload_metrics *m, const char *kind, int accepted, double seconds);
/* Writes H as family NAME (with HELP text, and LABELS such as `kind="x",` or ""). The
 * HELP and TYPE lines come only when HEAD is set (once per family). */
void metrics_write_histogram(struct evbuffer *b, const char *name, const char *help,
    const char *labels, const struct histogram *h, int head);
/* Writes the upload histogram family, intake_upload_duration_seconds. */
void metrics_write_uploads(struct evbuffer *b, const struct upload_metrics *m);

#endif
