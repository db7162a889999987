/*
 * common/filter.h: the seccomp steps every confined process of intaked takes
 * (the front's filter, front/confine.c; the inspector's, inspect/sandbox.c).
 *
 * Runs in the process (or thread) that confines itself, before it reads
 * anything hostile. Fails closed: every -1 carries a reason and the caller
 * must not go on unconfined.
 *
 * API: filter_new, filter_rules, filter_load.
 */
#ifndef INTAKE_FILTER_H
#define INTAKE_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include <seccomp.h>

/* Sets no_new_privs and starts a filter whose default is DEF (e.g.
 * SCMP_ACT_KILL_PROCESS). NULL with a reason in ERR. */
scmp_filter_ctx filter_new(uint32_t def, char *err, size_t errlen);
/* ACTION for each of the N system calls in V, unconditionally. 0/-1. */
int filter_rules(scmp_filter_ctx ctx, uint32_t action, const int *v, size_t n, char *err,
    size_t errlen);
/* Loads CTX into the kernel and releases it, loaded or not. 0/-1. */
int filter_load(scmp_filter_ctx ctx, char *err, size_t errlen);

#endif
