/*
 * front/limits.h: per-Party connection, upload-rate and daily byte limits
 * (see limits.c). Loop thread only.
 */
#ifndef INTAKE_LIMITS_H
#define INTAKE_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

struct limits;
struct party_usage;

struct limits *limits_new(void);
void limits_free(struct limits *l);
/* The usage record of Party ID (created on first use); NULL if the table is full. */
struct party_usage *limits_usage(struct limits *l, const char *id, const struct config *cfg);
/* A new connection of the Party: 0, or -1 over max_connections_party. */
int limits_conn_open(struct party_usage *u, const struct config *cfg);
void limits_conn_close(struct party_usage *u);
/* May an upload of DECLARED bytes (0 if unknown) start now? 0 (a rate
 * token is taken), or -1 with the seconds to wait in *RETRY_AFTER. Called
 * once the request is otherwise valid: a refused request costs nothing. */
int limits_upload_start(struct party_usage *u, const struct config *cfg,
    uint64_t declared, unsigned *retry_after);
/* Counts N received bytes; -1 once the day's budget is exceeded. */
int limits_bytes(struct party_usage *u, const struct config *cfg, size_t n);

#endif
