/*
 * front/metrics.c: histograms in the Prometheus text exposition format
 * (version 0.0.4): cumulative `_bucket{le="…"}` lines, `_sum`, `_count`.
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "front/metrics.h"

/* Seconds: from a small document's commit (a millisecond or less) to a
 * 4 GiB upload. */
static const double metrics_bounds[METRICS_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
	30, 60, 120, 300,
};

void
metrics_observe(struct histogram *h, double seconds)
{
	unsigned i;

	if (seconds < 0)
		seconds = 0;
	for (i = 0; i < METRICS_BUCKETS && seconds > metrics_bounds[i]; i++)
		;
	atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, (uint64_t)(seconds * 1e6), memory_order_relaxed);
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
}

double
metrics_between(const struct timespec *t0, const struct timespec *t1)
{
	return (double)(t1->tv_sec - t0->tv_sec) + (double)(t1->tv_nsec - t0->tv_nsec) / 1e9;
}

double
metrics_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return metrics_between(t0, &now);
}

void
metrics_upload(struct upload_metrics *m, const char *kind, int accepted, double seconds)
{
	unsigned i;

	for (i = 0; i < m->nkinds && strcmp(m->kind[i], kind) != 0; i++)
		;
	if (i == m->nkinds) {
		if (m->nkinds < METRICS_KINDS_MAX && strlen(kind) < sizeof(m->kind[0])) {
			snprintf(m->kind[i], sizeof(m->kind[i]), "%s", kind);
			m->nkinds++;
		} else {
			i = METRICS_KINDS_MAX;
			snprintf(m->kind[i], sizeof(m->kind[i]), "other");
		}
	}
	metrics_observe(&m->h[i][accepted != 0], seconds);
}

void
metrics_write_histogram(struct evbuffer *b, const char *name, const char *help,
    const char *labels, const struct histogram *h, int head)
{
	uint64_t cum = 0;
	char le[32];

	if (head)
		evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (unsigned i = 0; i <= METRICS_BUCKETS; i++) {
		cum += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
		if (i < METRICS_BUCKETS)
			snprintf(le, sizeof(le), "%g", metrics_bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		evbuffer_add_printf(b, "%s_bucket{%sle=\"%s\"} %llu\n", name, labels, le,
		    (unsigned long long)cum);
	}
	/* the count written is the +Inf bucket's, so that the two agree even
	 * while another thread observes */
	evbuffer_add_printf(b, "%s_sum%s%.*s%s %.6f\n%s_count%s%.*s%s %llu\n",
	    name, *labels ? "{" : "", (int)(*labels ? strlen(labels) - 1 : 0), labels,
	    *labels ? "}" : "",
	    (double)atomic_load_explicit(&h->sum_us, memory_order_relaxed) / 1e6,
	    name, *labels ? "{" : "", (int)(*labels ? strlen(labels) - 1 : 0), labels,
	    *labels ? "}" : "", (unsigned long long)cum);
}

/* The two histograms of kind K, accepted first; none that is empty. */
static void
metrics_write_kind(struct evbuffer *b, const char *name, const struct upload_metrics *m,
    unsigned k)
{
	char labels[KIND_NAME_MAX + 48];

	for (int a = 1; a >= 0; a--) {
		if (atomic_load_explicit(&m->h[k][a].count, memory_order_relaxed) == 0)
			continue;
		snprintf(labels, sizeof(labels), "kind=\"%s\",verdict=\"%s\",", m->kind[k],
		    a ? "accepted" : "rejected");
		metrics_write_histogram(b, name, "", labels, &m->h[k][a], 0);
	}
}

void
metrics_write_uploads(struct evbuffer *b, const struct upload_metrics *m)
{
	static const char name[] = "intake_upload_duration_seconds";

	evbuffer_add_printf(b, "# HELP %s Seconds from an upload's request headers to its "
	    "signed answer, by kind and verdict.\n# TYPE %s histogram\n", name, name);
	for (unsigned k = 0; k < m->nkinds; k++)
		metrics_write_kind(b, name, m, k);
	metrics_write_kind(b, name, m, METRICS_KINDS_MAX);   /* "other" */
}
