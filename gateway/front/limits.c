/*
 * front/limits.c: per-Party fairness, so that one greedy or broken client
 * cannot starve the others: connections per Party, uploads per minute (a
 * token bucket refilled continuously, burst = one minute's worth) and bytes
 * per UTC day. Refusals are 429 with Retry-After.
 *
 * Runs in the loop thread only (no locking). The table holds one small
 * record per Party seen since start; Parties are a short, configured list,
 * so a linear search is the simple and fast choice. It never grows past
 * LIMITS_PARTIES_MAX records: beyond, the least recently used idle record
 * is reused.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "front/front.h"
#include "front/limits.h"

#define LIMITS_PARTIES_MAX 4096

struct party_usage {
	char     id[PARTY_ID_MAX];
	unsigned conns;        /* open connections */
	double   tokens;       /* uploads that may start now */
	double   refilled;     /* monotonic seconds of the last refill */
	uint64_t bytes;        /* bytes received today */
	int64_t  day;          /* the UTC day BYTES counts */
	double   used;         /* last use, for reuse of idle records */
};

struct limits {
	struct party_usage *v;
	size_t              n;
};

static double
limits_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct limits *
limits_new(void)
{
	struct limits *l = calloc(1, sizeof(*l));

	if (l && (l->v = calloc(LIMITS_PARTIES_MAX, sizeof(*l->v))) == NULL) {
		free(l);
		return NULL;
	}
	return l;
}

void
limits_free(struct limits *l)
{
	if (l == NULL)
		return;
	free(l->v);
	free(l);
}

struct party_usage *
limits_usage(struct limits *l, const char *id, const struct config *cfg)
{
	struct party_usage *u = NULL, *idle = NULL;
	double now = limits_now();

	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].id, id) == 0) {
			u = &l->v[i];
			break;
		}
		if (l->v[i].conns == 0 && (idle == NULL || l->v[i].used < idle->used))
			idle = &l->v[i];
	}
	if (u == NULL) {
		if (l->n < LIMITS_PARTIES_MAX)
			u = &l->v[l->n++];
		else if ((u = idle) == NULL)
			return NULL;
		memset(u, 0, sizeof(*u));
		snprintf(u->id, sizeof(u->id), "%s", id);
		u->tokens = cfg->uploads_per_minute;
		u->refilled = now;
	}
	u->used = now;
	return u;
}

int
limits_conn_open(struct party_usage *u, const struct config *cfg)
{
	if (u == NULL || u->conns >= cfg->max_connections_party)
		return -1;
	u->conns++;
	return 0;
}

void
limits_conn_close(struct party_usage *u)
{
	if (u && u->conns > 0)
		u->conns--;
}

int
limits_upload_start(struct party_usage *u, const struct config *cfg,
    uint64_t declared, unsigned *retry_after)
{
	double now = limits_now();
	int64_t day = (int64_t)(time(NULL) / 86400);

	if (u == NULL) {
		*retry_after = 60;
		return -1;
	}
	if (u->day != day) {
		u->day = day;
		u->bytes = 0;
	}
	if (cfg->bytes_per_day && (u->bytes >= cfg->bytes_per_day ||
	    declared > cfg->bytes_per_day - u->bytes)) {
		*retry_after = (unsigned)(86400 - time(NULL) % 86400);
		return -1;
	}
	if (cfg->uploads_per_minute) {
		double rate = cfg->uploads_per_minute / 60.0;

		u->tokens += (now - u->refilled) * rate;
		if (u->tokens > cfg->uploads_per_minute)
			u->tokens = cfg->uploads_per_minute;
		u->refilled = now;
		if (u->tokens < 1.0) {
			*retry_after = (unsigned)((1.0 - u->tokens) / rate) + 1;
			return -1;
		}
		u->tokens -= 1.0;
	}
	return 0;
}

int
limits_bytes(struct party_usage *u, const struct config *cfg, size_t n)
{
	if (u == NULL)
		return -1;
	u->bytes += n;
	return cfg->bytes_per_day && u->bytes > cfg->bytes_per_day ? -1 : 0;
}
