/*
 * notary/monitor.h: the notary process (intaked-notary), the privileged
 * side of the front, as OpenSSH's monitor is of its child.
 *
 * Runs in its own process, forked by the parent. It loads the log key and
 * prepares the data directory while it still may (as root: the directory
 * tree is given to [server] user, the key file is left as it is), drops
 * its privileges, opens the ledger (start-up recovery), loads the policy
 * and the parties (again on SIGHUP, relayed by the parent), tells the front
 * it is ready (MSG_READY), then records what the front asks.
 *
 * Trusts nothing of the front (it may be corrupted): only the messages of
 * msg_to_notary, one job at a time (MSG_RECORD with the quarantined file's
 * descriptor, then its findings, manifest chunks, workbook rows and
 * verdict), and it re-validates every claim it can before anything is
 * signed: the descriptor is a regular file of the claimed size whose
 * SHA-256 is the claimed one, the quarantine name is a plain name in
 * DATA/quarantine for that very inode, the kind is in the policy and the
 * Party in the parties file (as loaded now or by an earlier reload: an
 * upload may straddle a SIGHUP), an agent is a provider acting for the
 * Party, a ?plan= names that Party's accepted remediation plan in the
 * ledger (monitor_plan_claim), the certificate hash is hex, and the
 * verdict adds up (common/verdict.h, manifest hash included). A breach
 * ends the notary with status 1 after the jobs already queued are
 * recorded: the parent then brings the whole daemon down, and a corrupted
 * front gets nothing signed.
 *
 * It answers MSG_RECORDED and the entry, receipt and proof as MSG_TEXT
 * chunks only after the batch's commit is durable (notary.h). At the
 * front's end of the socket (EOF) it finishes its queue and exits 0.
 *
 * API: notary_serve, monitor_plan_claim.
 */
#ifndef INTAKE_MONITOR_H
#define INTAKE_MONITOR_H

#include <stdint.h>

#include "common/config.h"
#include "common/proc.h"

#define NOTARY_COMM "intaked-notary"

struct ledger;

/* The front's ?plan= claim (DESIGN §5) against the ledger L as the notary
 * reads it: no plan (HAS_PLAN 0), or a director-letter of PARTY naming an
 * accepted remediation-plan receipt of PARTY (ledger_plan_ok). 0 holds, 1
 * the front lied (a breach), -1 the ledger could not be read. */
int monitor_plan_claim(struct ledger *l, const char *kind, const char *party, int has_plan,
    uint64_t plan);

/* The notary process's life on SOCK (its end of the front's socketpair).
 * Never returns: exits 0 at the front's end, 1 on a failure or a breach. */
void notary_serve(int sock, const struct config *cfg, const struct proc_user *u)
    __attribute__((noreturn));

#endif
