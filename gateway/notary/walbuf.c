/*
 * notary/walbuf.c: the WAL-gathering VFS (see walbuf.h).
 *
 * A file of this VFS is the default VFS's file object, preceded by a small
 * header for WAL files only: any other file is opened by the default VFS
 * straight into the memory SQLite gave, and never passes through here
 * again. The buffer holds one run of consecutive bytes [start, start+len).
 */
#include <pthread.h>
#include <string.h>

#include <sqlite3.h>

#include "notary/walbuf.h"

#define WALBUF_NAME "intake-walbuf"
/* The most one write may carry: SQLite's unix VFS writes at most 128 KiB - 1
 * bytes per call (seekAndWriteFd masks the length with 0x1ffff; a longer
 * write ends in SQLITE_FULL). 120 KiB is 29 frames of 4 KiB pages. */
#define WALBUF_CAP  (120 * 1024)

struct walbuf_file {
	sqlite3_file   base;           /* pMethods: walbuf_methods */
	sqlite3_file  *real;           /* the default VFS's file, right after this header */
	unsigned char *buf;
	sqlite3_int64  start;          /* file offset of buf[0] */
	int            len;            /* bytes held; 0: nothing to write */
};

/* The header is followed by the real file: keep it aligned for that. */
#define WALBUF_HDR ((sizeof(struct walbuf_file) + 15) & ~(size_t)15)

static sqlite3_vfs  walbuf_vfs_obj;
static sqlite3_vfs *walbuf_real;
static pthread_once_t walbuf_once = PTHREAD_ONCE_INIT;

static int
walbuf_flush(struct walbuf_file *w)
{
	int len = w->len;

	if (len == 0)
		return SQLITE_OK;
	/* emptied whatever happens: a failed write is reported once, to the
	 * call that needed it, and SQLite then fails the transaction */
	w->len = 0;
	return w->real->pMethods->xWrite(w->real, w->buf, len, w->start);
}

static int
walbuf_close(sqlite3_file *f)
{
	struct walbuf_file *w = (struct walbuf_file *)f;
	int rc = walbuf_flush(w), rc2;

	rc2 = w->real->pMethods->xClose(w->real);
	sqlite3_free(w->buf);
	w->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int
walbuf_read(sqlite3_file *f, void *p, int amt, sqlite3_int64 off)
{
	struct walbuf_file *w = (struct walbuf_file *)f;
	int rc;

	if ((rc = walbuf_flush(w)) != SQLITE_OK)
		return rc;
	return w->real->pMethods->xRead(w->real, p, amt, off);
}

static int
walbuf_write(sqlite3_file *f, const void *p, int amt, sqlite3_int64 off)
{
	struct walbuf_file *w = (struct walbuf_file *)f;
	int rc;

	/* within what is held (a frame written again before the commit) */
	if (w->len > 0 && off >= w->start && off + amt <= w->start + w->len) {
		memcpy(w->buf + (off - w->start), p, (size_t)amt);
		return SQLITE_OK;
	}
	/* continues it */
	if (w->len > 0 && off == w->start + w->len && amt <= WALBUF_CAP - w->len) {
		memcpy(w->buf + w->len, p, (size_t)amt);
		w->len += amt;
		return SQLITE_OK;
	}
	/* anything else: what is held goes first, in order */
	if ((rc = walbuf_flush(w)) != SQLITE_OK)
		return rc;
	if (amt >= WALBUF_CAP)
		return w->real->pMethods->xWrite(w->real, p, amt, off);
	memcpy(w->buf, p, (size_t)amt);
	w->start = off;
	w->len = amt;
	return SQLITE_OK;
}

static int
walbuf_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct walbuf_file *w = (struct walbuf_file *)f;
	int rc;

	if ((rc = walbuf_flush(w)) != SQLITE_OK)
		return rc;
	return w->real->pMethods->xTruncate(w->real, size);
}

static int
walbuf_sync(sqlite3_file *f, int flags)
{
	struct walbuf_file *w = (struct walbuf_file *)f;
	int rc;

	if ((rc = walbuf_flush(w)) != SQLITE_OK)
		return rc;
	return w->real->pMethods->xSync(w->real, flags);
}

static int
walbuf_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	struct walbuf_file *w = (struct walbuf_file *)f;
	int rc;

	if ((rc = walbuf_flush(w)) != SQLITE_OK)
		return rc;
	return w->real->pMethods->xFileSize(w->real, size);
}

static int
walbuf_lock(sqlite3_file *f, int level)
{
	struct walbuf_file *w = (struct walbuf_file *)f;

	return w->real->pMethods->xLock(w->real, level);
}

static int
walbuf_unlock(sqlite3_file *f, int level)
{
	struct walbuf_file *w = (struct walbuf_file *)f;

	return w->real->pMethods->xUnlock(w->real, level);
}

static int
walbuf_reserved(sqlite3_file *f, int *out)
{
	struct walbuf_file *w = (struct walbuf_file *)f;

	return w->real->pMethods->xCheckReservedLock(w->real, out);
}

static int
walbuf_file_control(sqlite3_file *f, int op, void *arg)
{
	struct walbuf_file *w = (struct walbuf_file *)f;
	int rc;

	if ((rc = walbuf_flush(w)) != SQLITE_OK)
		return rc;
	return w->real->pMethods->xFileControl(w->real, op, arg);
}

static int
walbuf_sector_size(sqlite3_file *f)
{
	struct walbuf_file *w = (struct walbuf_file *)f;

	return w->real->pMethods->xSectorSize(w->real);
}

static int
walbuf_device(sqlite3_file *f)
{
	struct walbuf_file *w = (struct walbuf_file *)f;

	return w->real->pMethods->xDeviceCharacteristics(w->real);
}

/* A WAL file has no wal-index and is not mapped (the database file is);
 * these only pass on what the real file would say. */
static int
walbuf_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
	struct walbuf_file *w = (struct walbuf_file *)f;

	if (w->real->pMethods->iVersion < 2 || w->real->pMethods->xShmMap == NULL)
		return SQLITE_IOERR_SHMMAP;
	return w->real->pMethods->xShmMap(w->real, pg, pgsz, extend, pp);
}

static int
walbuf_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	struct walbuf_file *w = (struct walbuf_file *)f;

	if (w->real->pMethods->iVersion < 2 || w->real->pMethods->xShmLock == NULL)
		return SQLITE_IOERR_SHMLOCK;
	return w->real->pMethods->xShmLock(w->real, offset, n, flags);
}

static void
walbuf_shm_barrier(sqlite3_file *f)
{
	struct walbuf_file *w = (struct walbuf_file *)f;

	if (w->real->pMethods->iVersion >= 2 && w->real->pMethods->xShmBarrier != NULL)
		w->real->pMethods->xShmBarrier(w->real);
}

static int
walbuf_shm_unmap(sqlite3_file *f, int del)
{
	struct walbuf_file *w = (struct walbuf_file *)f;

	if (w->real->pMethods->iVersion < 2 || w->real->pMethods->xShmUnmap == NULL)
		return SQLITE_OK;
	return w->real->pMethods->xShmUnmap(w->real, del);
}

static int
walbuf_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
	struct walbuf_file *w = (struct walbuf_file *)f;
	int rc;

	*pp = NULL;
	if ((rc = walbuf_flush(w)) != SQLITE_OK)
		return rc;
	if (w->real->pMethods->iVersion < 3 || w->real->pMethods->xFetch == NULL)
		return SQLITE_OK;   /* no mapping: SQLite reads instead */
	return w->real->pMethods->xFetch(w->real, off, amt, pp);
}

static int
walbuf_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	struct walbuf_file *w = (struct walbuf_file *)f;

	if (w->real->pMethods->iVersion < 3 || w->real->pMethods->xUnfetch == NULL)
		return SQLITE_OK;
	return w->real->pMethods->xUnfetch(w->real, off, p);
}

static const sqlite3_io_methods walbuf_methods = {
	3,
	walbuf_close, walbuf_read, walbuf_write, walbuf_truncate, walbuf_sync,
	walbuf_file_size, walbuf_lock, walbuf_unlock, walbuf_reserved,
	walbuf_file_control, walbuf_sector_size, walbuf_device,
	walbuf_shm_map, walbuf_shm_lock, walbuf_shm_barrier, walbuf_shm_unmap,
	walbuf_fetch, walbuf_unfetch,
};

static int
walbuf_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *outflags)
{
	struct walbuf_file *w = (struct walbuf_file *)f;
	int rc;

	(void)vfs;
	if (!(flags & SQLITE_OPEN_WAL))
		return walbuf_real->xOpen(walbuf_real, name, f, flags, outflags);
	memset(w, 0, WALBUF_HDR);
	w->real = (sqlite3_file *)((unsigned char *)f + WALBUF_HDR);
	w->real->pMethods = NULL;
	rc = walbuf_real->xOpen(walbuf_real, name, w->real, flags, outflags);
	if (rc == SQLITE_OK && (w->buf = sqlite3_malloc(WALBUF_CAP)) == NULL)
		rc = SQLITE_NOMEM;
	if (rc != SQLITE_OK) {
		/* SQLite closes nothing of ours when pMethods stays NULL */
		if (w->real->pMethods != NULL)
			w->real->pMethods->xClose(w->real);
		return rc;
	}
	w->base.pMethods = &walbuf_methods;
	return SQLITE_OK;
}

static void
walbuf_register(void)
{
	sqlite3_vfs *real = sqlite3_vfs_find(NULL);

	if (real == NULL)
		return;
	/* every other method is the default VFS's own, with its pAppData */
	walbuf_vfs_obj = *real;
	walbuf_vfs_obj.zName = WALBUF_NAME;
	walbuf_vfs_obj.szOsFile = (int)WALBUF_HDR + real->szOsFile;
	walbuf_vfs_obj.pNext = NULL;
	walbuf_vfs_obj.xOpen = walbuf_open;
	walbuf_real = real;
	if (sqlite3_vfs_register(&walbuf_vfs_obj, 0) != SQLITE_OK)
		walbuf_real = NULL;
}

const char *
walbuf_vfs(void)
{
	pthread_once(&walbuf_once, walbuf_register);
	return walbuf_real != NULL ? WALBUF_NAME : NULL;
}
