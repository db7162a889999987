/*
 * notary/walbuf.h: an SQLite VFS that gathers the writes to a write-ahead
 * log into one write per commit.
 *
 * SQLite writes each WAL frame as two writes (its 24-byte header, then the
 * page), so a commit of n pages costs 2n system calls; this VFS, layered on
 * SQLite's default one, keeps consecutive writes to a WAL file in a buffer
 * and writes them out at once before anything that depends on them: a sync
 * (which a commit always does with synchronous = FULL, before the frames
 * are published to readers in the wal-index), a read, a truncation, a size
 * query, a file control, a mapping and a close. Any write that does not
 * continue or overwrite the buffer writes the buffer out first, so the file
 * sees the same writes in the same order, only fewer of them. Every other
 * file (the database itself, the wal-index) is the default VFS's, untouched.
 *
 * Runs in the notary (the ledger's one writer); readers open the ledger
 * with the default VFS.
 *
 * API: walbuf_vfs.
 */
#ifndef INTAKE_WALBUF_H
#define INTAKE_WALBUF_H

/* Registers the VFS (once; not as the default) and returns its name for
 * sqlite3_open_v2, or NULL if SQLite has no default VFS to layer on. */
const char *walbuf_vfs(void);

#endif
