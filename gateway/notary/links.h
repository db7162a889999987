/*
 * notary/links.h: a Validation Workbook's evidence references and the link
 * report (DESIGN §5, GET /v1/workbooks/{index}/links).
 *
 * Runs in the notary (links_record, inside the transaction that appends the
 * workbook's entry) and in whoever answers the report (links_report, on a
 * read-only connection inside the caller's read transaction, or its own
 * statement-level snapshot). It trusts the ledger's entries table (written by
 * the notary only) and the rows the inspector read from the workbook (values
 * only: they are bound as parameters, never spliced into SQL). It never
 * writes entries, and links only uploads of the workbook's own Party.
 *
 * Tables (links_schema, after the ledger created entries):
 *   workbooks(workbook INTEGER PRIMARY KEY, tab TEXT)
 *   workbook_refs(workbook INTEGER, row INTEGER, ref, filename, obligation,
 *                 sha256, description, PRIMARY KEY(workbook, row))
 * plus indexes on entries(party, ref) and entries(party, filename).
 *
 * Linking rules (a row of workbook W of Party P):
 *   candidates are P's entries other than W: those uploaded with ?ref equal
 *   to the row's reference ("by ref"), and those uploaded without a ref whose
 *   file name equals the row's file name, byte for byte ("by name"); by-ref
 *   candidates are preferred over by-name ones, the latest (highest index)
 *   wins within each. Without a hash in the row, the latest accepted
 *   candidate is "received"; with a hash, the latest accepted candidate whose
 *   SHA-256 matches is "received", else an accepted candidate makes the row
 *   "mismatch" (receipt and sha256 of the latest one). With no accepted
 *   candidate, a rejected one makes it "rejected" (its receipt), else
 *   "missing". A malformed hash in the row can only mismatch.
 *   "unreferenced": P's accepted uploads with an index above W, other than
 *   validation workbooks, that no row names (by ref, or by name when the
 *   upload has no ref).
 */
#ifndef INTAKE_LINKS_H
#define INTAKE_LINKS_H

#include <stdint.h>

#include <jansson.h>

#include "inspect/findings.h"
#include "notary/db.h"

/* At most this many unreferenced uploads are listed in one report; beyond,
 * the report carries "unreferenced_truncated": true. */
#define LINKS_UNREFERENCED_MAX  10000

/* Creates the tables and indexes (idempotent). Call after the entries table
 * exists. 0/-1 (logged). */
int links_schema(struct db *db);

/* Records W's rows (and its tab name) for workbook entry WORKBOOK_INDEX, in
 * the caller's open transaction; the caller rolls back on -1. Recording the
 * same workbook twice fails (primary key). 0/-1 (logged). */
int links_record(struct db *db, uint64_t workbook_index, const struct workbook_refs *w);

/* Builds the link report of workbook WORKBOOK_INDEX from the current state
 * into *OUT (a new reference; the caller json_decref's it). With
 * PARTY_OR_NULL set, a workbook of another Party is "not found". Returns 0,
 * 1 when INDEX is not an accepted validation workbook (or not that
 * Party's), -1 on a database error (logged). */
int links_report(struct db *db, uint64_t workbook_index, const char *party_or_null,
    json_t **out);

#endif
