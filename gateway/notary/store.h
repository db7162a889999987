/*
 * notary/store.h: the content-addressed blob store and the quarantine.
 *
 * Layout under the data directory DATA:
 *   DATA/quarantine/q-<32 hex>          uploads being received or inspected
 *   DATA/store/<2 hex>/<64 hex sha256>  accepted blobs, mode 0444
 * The front creates quarantine files (store_open_quarantine); only the notary
 * promotes them (store_commit) or deletes them, so that a blob in the store is
 * always one that a committed, accepted entry names (start-up recovery
 * removes the others). Promotion is crash-safe: fsync the file, rename it
 * into place, fsync the directory; a partial upload is never promoted.
 *
 * Trusts: the caller's SHA-256 (the front hashed while it streamed).
 * Never: follows a symlink, writes outside DATA, or overwrites a blob.
 * Functions return 0 (1 where stated) or -1 with errno set.
 */
#ifndef INTAKE_STORE_H
#define INTAKE_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_DIR      "store"
#define QUARANTINE_DIR "quarantine"
#define STORE_DIR_MODE 0700     /* data, store, fan-out and quarantine directories */
#define STORE_BLOB_MODE 0444    /* promoted blobs are read-only */
#define QUARANTINE_MODE 0600    /* files being received */

/* Creates DATA/store and DATA/quarantine (mode 0700) if missing. */
int store_init(const char *data);
/* DATA/store/<2 hex>/<64 hex> into OUT. */
int store_path(const char *data, const uint8_t sha256[32], char *out, size_t outlen);
/* DATA/quarantine into OUT. */
int store_quarantine_dir(const char *data, char *out, size_t outlen);
/* Creates a new quarantine file with a random name (O_CREAT|O_EXCL, 0600);
 * returns its fd (O_RDWR|O_CLOEXEC) and writes its path to PATH, or -1. */
int store_open_quarantine(const char *data, char *path, size_t pathlen);
/* Promotes quarantine file QPATH (which must be DATA/quarantine/<name>, a
 * regular file of SIZE bytes) to the store as SHA256: fsync, chmod 0444,
 * rename, fsync the directories. If the blob is already there with that
 * size, QPATH is unlinked instead. Returns 0 (promoted), 1 (already stored)
 * or -1 (errno; QPATH is then unlinked too: the upload is not kept). */
/* store_commit without making anything durable: on 0 the blob is renamed
 * into DIROUT's directory but the caller must store_sync before relying on
 * it; 1 and -1 as store_commit. Lets a batch sync once for all its blobs. */
int store_promote(const char *data, const char *qpath, const uint8_t sha256[32],
    uint64_t size, char *dirout, size_t dirlen);
/* Makes everything written to DATA's filesystem durable (syncfs: file data,
 * renames, directories), one barrier for a whole batch. 0/-1 with errno. */
int store_sync(const char *data);
int store_commit(const char *data, const char *qpath, const uint8_t sha256[32],
    uint64_t size);
/* Unlinks quarantine file QPATH (which must be DATA/quarantine/<name>;
 * absent is fine): a rejected or abandoned upload. */
int store_discard(const char *data, const char *qpath);
/* Removes the blob SHA256 (absent is fine) and fsyncs its directory. */
int store_remove(const char *data, const uint8_t sha256[32]);
/* Unlinks every file in DATA/quarantine; *removed counts them (may be NULL). */
int store_empty_quarantine(const char *data, unsigned *removed);
/* Calls KEEP for every blob in the store; removes those for which it returns
 * 0 (orphans). KEEP returns 1 keep, 0 remove, -1 error (stops the sweep).
 * Files whose name is not a well-formed blob name are left alone and
 * counted in *strange. */
int store_sweep(const char *data, int (*keep)(const uint8_t sha256[32], void *arg),
    void *arg, unsigned *removed, unsigned *strange);

#endif
