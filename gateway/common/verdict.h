/*
 * common/verdict.h: an inspection's result as messages, and back.
 *
 * verdict_send runs in the inspector process: it turns a struct
 * inspect_result into MSG_FINDING, MSG_MANIFEST and MSG_WBREF messages
 * closed by one MSG_VERDICT (common/msg.h). verdict_rx_take runs in the
 * front, one received message at a time, and rebuilds the struct
 * inspect_result the notary records, the same as inspector_run would have
 * filled it in the front's own memory.
 *
 * The receiver trusts nothing of the inspector (it may be corrupted): the
 * job id must be the request's, every count is bounded before anything is
 * allocated (FINDINGS_MAX, INSPECT_MANIFEST_MAX, the policy's workbook
 * rows), the verdict's counts must match what came before it, an
 * archive's manifest must hash to what the verdict says, and findings are
 * sanitized again. A breach is -1: the caller treats the inspector as
 * crashed.
 *
 * API: verdict_send; verdict_rx_init, verdict_rx_take.
 */
#ifndef INTAKE_VERDICT_H
#define INTAKE_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"
#include "inspect/findings.h"

/* Sends RES for job ID on SOCK. 0, or -1 with errno (the peer is gone). */
int verdict_send(int sock, uint64_t id, const struct inspect_result *res);

struct verdict_rx {
	struct inspect_result *res;
	uint64_t               id;
	size_t                 rows_max;
	size_t                 nfindings;     /* MSG_FINDING received */
	size_t                 mancap;        /* bytes allocated for res->manifest */
	size_t                 wbcap;         /* rows allocated in res->workbook */
};

/* Starts receiving the answer to job ID into RES (zeroed here), with at
 * most ROWS_MAX workbook rows. */
void verdict_rx_init(struct verdict_rx *rx, uint64_t id, size_t rows_max,
    struct inspect_result *res);
/* Takes one message M received with msg_from_inspect. 0: more to come;
 * 1: the verdict closed the answer and RES is whole; -1: a breach, RES is
 * cleared (inspect_result_clear) and holds nothing. */
int verdict_rx_take(struct verdict_rx *rx, const struct msg *m);

#endif
