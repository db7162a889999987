/*
 * notary/store.h: the content-addressed blob store and the quarantine.
 *
 * Layout:
 *   DATA/quarantine/q-<32 hex>           uploads being received or inspected (per node)
 *   STORE/<2 hex>/<64 hex sha256>        accepted blobs, mode 0444
 *   STORE/<2 hex>/.tmp-<32 hex>          a blob being copied in (cross-filesystem promotion)
 * STORE is [store] path, by default DATA/store (one node, the layout of old).
 * The quarantine always stays in the node's own data directory; STORE may be
 * one directory shared by several nodes (NFS, CephFS), on another filesystem.
 * The front creates quarantine files (store_open_quarantine); only the notary
 * promotes them (store_commit) or deletes them, so that a blob in the store is
 * always one that a committed, accepted entry names, or one on its way to
 * being named (start-up recovery removes the others). Promotion is
 * crash-safe: on the same filesystem, fsync the file, rename it into place,
 * fsync the directory; across filesystems (rename's EXDEV), copy it into
 * STORE/<2 hex>/.tmp-<random> (O_EXCL: no two nodes share a name), fsync,
 * rename into place, fsync the directories. A partial upload is never
 * promoted, and no name in the store ever holds a partial blob.
 *
 * A shared store (struct store's shared: [store] path was given) changes
 * three rules, because another node may, at any moment, have just promoted
 * a blob (or found it there) for an entry it is about to commit:
 *   - the start-up sweep leaves every blob and every .tmp- file younger than
 *     STORE_SWEEP_GRACE (by mtime); promotion sets a blob's mtime to now,
 *     and finding a blob already there touches it, so that a sweep racing a
 *     promotion sees it young (the sweep moves an orphan to a .tmp- name
 *     before it checks its age once more, so a touch cannot be lost);
 *   - a failed commit never removes a blob (store_remove is not called, see
 *     notary.h): the same content may be another node's entry a moment later;
 *     the graced sweep removes it once it is an orphan past the grace period;
 *   - a file is fsynced before it is renamed into place, so that a name
 *     another node can see (and rely on without a sync of its own) only ever
 *     holds durable bytes, and a blob found already there has its directory
 *     synced before the entry naming it commits.
 * A store that is the node's own (no [store] path) keeps the rules of one
 * node: nobody else writes it, recovery runs before any promotion, so the
 * sweep removes every orphan and temporary file at once and a failed
 * commit's blob is removed at once.
 *
 * Trusts: the caller's SHA-256 (the front hashed while it streamed, or the
 * notary did). Never: follows a symlink, writes outside STORE and the
 * quarantine, or overwrites a good blob.
 * Functions return 0 (1 where stated) or -1 with errno set.
 */
#ifndef INTAKE_STORE_H
#define INTAKE_STORE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_DIR      "store"           /* the default store, under DATA */
#define QUARANTINE_DIR "quarantine"      /* under DATA, always per node */
#define STORE_DIR_MODE 0700     /* data, store, fan-out and quarantine directories */
#define STORE_BLOB_MODE 0444    /* promoted blobs are read-only */
#define STORE_TMP_PREFIX ".tmp-"         /* temporary names inside the store */
/*
 * How old (seconds, by mtime) an unreferenced blob or .tmp- file of a shared
 * store must be before the start-up sweep removes it. Another node may have
 * fsynced and renamed a blob (or found it there and touched it) and be about
 * to commit the entry that names it: its batch commits within seconds (one
 * transaction; an upload waits at most witness_timeout for witnesses after
 * it), so an hour is far more than any commit takes and than the clocks of
 * two nodes (and the file server's, which stamps the mtime) drift apart. An
 * orphan merely lives until a start-up sweep after the hour.
 */
#define STORE_SWEEP_GRACE 3600

/* Where one node keeps its blobs and its uploads in flight. */
struct store {
	char dir[PATH_MAX];          /* the blobs: [store] path, default DATA/store */
	char quarantine[PATH_MAX];   /* this node's: DATA/quarantine */
	int  shared;                 /* [store] path given: other nodes may write DIR */
	/* store_open_dirs: DIR and the quarantine as O_PATH descriptors, so
	 * that a promotion looks up one name in each, not the whole paths;
	 * -1 until then (the paths are used) */
	int  dfd, qfd;
};

/* Fills S from DATA (the quarantine is DATA/quarantine) and DIR (the store;
 * NULL or "" for DATA/store), no I/O. -1 (ENAMETOOLONG) if a path does not fit. */
int store_setup(struct store *s, const char *data, const char *dir, int shared);
/* Creates the store and the quarantine (mode 0700) if missing; their
 * parents must exist. */
int store_init(const struct store *s);
/* Opens S's two directories for store_promote (store_close_dirs closes
 * them). 0/-1 (errno). */
int store_open_dirs(struct store *s);
void store_close_dirs(struct store *s);
/* DIR/<2 hex>/<64 hex>, the blob SHA256 of the store DIR (not DATA), into OUT. */
int store_blob_path(const char *dir, const uint8_t sha256[32], char *out, size_t outlen);
/* DATA/quarantine into OUT. */
int store_quarantine_dir(const char *data, char *out, size_t outlen);
/* Creates a new file in DATA/quarantine with a random name (O_CREAT|O_EXCL,
 * mode 0444 as in the store: only the descriptor returned can write it);
 * returns that fd (O_RDWR|O_CLOEXEC) and writes its path to PATH, or -1. */
int store_open_quarantine(const char *data, char *path, size_t pathlen);
/* Promotes quarantine file QPATH (which must be S->quarantine/<name>, a
 * regular file of SIZE bytes) to the store as SHA256: fsync, chmod 0444,
 * rename (or copy across filesystems), fsync the directories. If the blob is
 * already there with that size, QPATH is unlinked instead. Returns 0
 * (promoted), 1 (already stored) or -1 (errno; QPATH is then unlinked too:
 * the upload is not kept). */
int store_commit(const struct store *s, const char *qpath, const uint8_t sha256[32],
    uint64_t size);
/* store_commit without making the rename durable: on 0 the blob is in
 * DIROUT's directory but the caller must store_sync before relying on it;
 * 1 and -1 as store_commit. Lets a batch sync once for all its blobs. (A
 * copied blob, and any blob of a shared store, is fsynced before its
 * rename all the same.) */
int store_promote(const struct store *s, const char *qpath, const uint8_t sha256[32],
    uint64_t size, char *dirout, size_t dirlen);
/* Makes everything written to the store's filesystem durable (syncfs: file
 * data, renames, directories), one barrier for a whole batch. 0/-1 with errno. */
int store_sync(const struct store *s);
/* Unlinks quarantine file QPATH (which must be S->quarantine/<name>;
 * absent is fine): a rejected or abandoned upload. */
int store_discard(const struct store *s, const char *qpath);
/* Makes SHA256's blob DATA (LEN bytes, which must hash to SHA256) durable in
 * S: a file already there holding exactly DATA is kept, anything else is
 * replaced (a .tmp- file, fsynced, renamed, directory fsynced). 0 kept,
 * 1 written, -1 with errno. */
int store_put(const struct store *s, const uint8_t sha256[32], const void *data,
    size_t len);
/* Removes the blob SHA256 (absent is fine) and fsyncs its directory. For a
 * node's own store only: refused (EPERM) for a shared one (see above). */
int store_remove(const struct store *s, const uint8_t sha256[32]);
/* Unlinks every file in this node's quarantine; *removed counts them (may
 * be NULL). Another node's quarantine (its own data directory) is never
 * seen. */
int store_empty_quarantine(const struct store *s, unsigned *removed);

/* What a sweep did. */
struct store_sweep_stats {
	unsigned removed;    /* orphan blobs removed */
	unsigned young;      /* orphan blobs and .tmp- files left for their grace period */
	unsigned temps;      /* stale .tmp- files removed */
	unsigned strange;    /* names that are neither: left alone */
};
/* Calls KEEP for every blob in the store; removes those for which it returns
 * 0 (orphans) unless the store is shared and they are younger than
 * STORE_SWEEP_GRACE, and .tmp- files on the same rule. KEEP returns 1 keep,
 * 0 remove, -1 error (stops the sweep). Other names are left alone. */
int store_sweep(const struct store *s, int (*keep)(const uint8_t sha256[32], void *arg),
    void *arg, struct store_sweep_stats *stats);

#endif
