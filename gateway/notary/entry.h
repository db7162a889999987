/*
 * notary/entry.h: the text of a log entry (DESIGN §6) and its findings as JSON.
 *
 * Runs in the notary. The entry is what gets signed (the receipt) and hashed
 * (the Merkle leaf), so its format is a public contract:
 *
 *   intake-receipt/v1
 *   origin: <log origin>
 *   index: <n>
 *   time: <RFC 3339 UTC>
 *   party: <id>
 *   cert: <sha256 hex of the client certificate>
 *   kind: <kind>
 *   filename: <name>
 *   ref: <ref>                                 only when given
 *   size: <bytes>
 *   sha256: <hex>
 *   client-digest: <claim>                     only when the client sent one
 *   type: <mime>
 *   verdict: accepted|rejected
 *   members: <count> <manifest sha256 hex>     archives only
 *   finding: <code> [<member>: ]<detail>       zero or more
 *
 * Trusts nothing in the job: every value is passed through entry_sanitize
 * (control characters, invalid UTF-8 and bidirectional controls become '?'),
 * although the front validates first. Never emits a line break inside a value.
 */
#ifndef INTAKE_ENTRY_H
#define INTAKE_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "notary/notary.h"

#define ENTRY_MAGIC     "intake-receipt/v1"
#define ENTRY_MAX       (256 * 1024)  /* longest entry text; FINDINGS_MAX findings fit */
#define ENTRY_TIME_MAX  32            /* "YYYY-MM-DDTHH:MM:SSZ" and NUL, with room */
#define ENTRY_TRUNCATED "findings-truncated" /* code of the line that counts findings not kept */

/* The entry text of JOB as entry INDEX of log ORIGIN at TIME (malloc'd,
 * NUL-terminated, length in *LEN). Uses job->party, cert_sha256, kind,
 * filename, ref, size, sha256, client_digest and job->result. NULL on error. */
char *entry_format(const char *origin, uint64_t index, const char *time,
    const struct notary_job *job, size_t *len);

/* The findings of R as a JSON array of {"code","member","detail"} (malloc'd,
 * compact; "[]" when none). NULL on error. */
char *entry_findings_json(const struct inspect_result *r);

/* Copies IN to OUT (OUTLEN bytes, always NUL-terminated, truncated on a
 * character boundary) with every control character (C0, DEL, C1), every
 * bidirectional control and every byte of invalid UTF-8 replaced by '?'.
 * Returns the length written. */
size_t entry_sanitize(const char *in, char *out, size_t outlen);

/* The current time, RFC 3339 UTC with seconds, into OUT. 0/-1. */
int entry_time_now(char out[ENTRY_TIME_MAX]);

#endif
