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
 *   agent: <provider id>                       only when a provider sent it (?for=)
 *   cert: <sha256 hex of the client certificate>
 *   kind: <kind>
 *   filename: <name>
 *   ref: <ref>                                 only when given
 *   plan: <index>                              only when given (?plan=)
 *   size: <bytes>
 *   sha256: <hex>
 *   client-digest: <claim>                     only when the client sent one
 *   type: <mime>
 *   scan: <clamd's VERSION answer>             only when scanned ([scan], issue 19)
 *   verdict: accepted|rejected
 *   members: <count> <manifest sha256 hex>     archives only
 *   finding: <code> [<member>: ]<detail>       zero or more
 *
 * Trusts nothing in the job, although the front validates first: a value
 * that lib/utf8.h refuses (invalid UTF-8, controls, U+2028/U+2029, bidi
 * controls, noncharacters, the BOM) makes entry_format fail rather than be
 * rewritten, so the value signed is exactly the value stored and answered.
 * Never emits a line break inside a value.
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
 * filename, ref, size, sha256, client_digest and job->result. NULL on error
 * (EINVAL: a value entry_check refuses, EOVERFLOW: over ENTRY_MAX). */
char *entry_format(const char *origin, uint64_t index, const char *time,
    const struct notary_job *job, size_t *len);

/* The findings of R as a JSON array of {"code","member","detail"} (malloc'd,
 * compact; "[]" when none), the values as they are. NULL on error, a value
 * that is not NUL-terminated or that utf8_check refuses included. */
char *entry_findings_json(const struct inspect_result *r);


/* 0 if every value entry_format would write for JOB can be written as it
 * is; else -1 and the name of the first field that cannot in *WHAT. The
 * notary calls it per job, so that one bad job fails alone, not its batch. */
int entry_check(const struct notary_job *job, const char **what);

/* The current time, RFC 3339 UTC with seconds, into OUT. 0/-1. */
int entry_time_now(char out[ENTRY_TIME_MAX]);

#endif
