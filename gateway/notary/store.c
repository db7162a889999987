/*
 * notary/store.c: the content-addressed store and the quarantine (store.h).
 *
 * Every path is built with snprintf and checked for truncation; every open
 * uses O_NOFOLLOW|O_CLOEXEC; directories are walked through openat() so that
 * a name read from a directory is never joined into a longer path.
 */
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "lib/util.h"
#include "notary/store.h"

#define QUARANTINE_RANDOM   16  /* random bytes in a quarantine file name */
#define QUARANTINE_TRIES    8   /* attempts before giving up on name clashes */

static int	store_fsync_dir(const char *path);
static int	store_mkdir(const char *path, int *created);
static int	store_is_hex(const char *s, size_t n);
static DIR	*store_fdopendir(int fd);

static int
store_fsync_dir(const char *path)
{
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	if (fsync(fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

/* fdopendir(FD), closing FD if that fails. NULL with errno. */
static DIR *
store_fdopendir(int fd)
{
	DIR *d;
	int saved;

	if ((d = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
	}
	return d;
}

/* mkdir that accepts an existing directory (but not a symlink or a file). */
static int
store_mkdir(const char *path, int *created)
{
	struct stat st;

	if (created != NULL)
		*created = 0;
	if (mkdir(path, STORE_DIR_MODE) == 0) {
		if (created != NULL)
			*created = 1;
		return 0;
	}
	if (errno != EEXIST)
		return -1;
	if (lstat(path, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/* N lowercase hex digits exactly. */
static int
store_is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}

int
store_init(const char *data)
{
	char path[PATH_MAX];
	int created, any = 0;

	if (snprintf(path, sizeof(path), "%s/%s", data, STORE_DIR) >= (int)sizeof(path))
		goto toolong;
	if (store_mkdir(path, &created) == -1)
		return -1;
	any |= created;
	if (store_quarantine_dir(data, path, sizeof(path)) == -1)
		return -1;
	if (store_mkdir(path, &created) == -1)
		return -1;
	any |= created;
	if (any && store_fsync_dir(data) == -1)
		return -1;
	return 0;
toolong:
	errno = ENAMETOOLONG;
	return -1;
}

int
store_path(const char *data, const uint8_t sha256[32], char *out, size_t outlen)
{
	char hex[65];
	int n;

	util_hex(sha256, 32, hex);
	n = snprintf(out, outlen, "%s/%s/%.2s/%s", data, STORE_DIR, hex, hex);
	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
store_quarantine_dir(const char *data, char *out, size_t outlen)
{
	int n;

	n = snprintf(out, outlen, "%s/%s", data, QUARANTINE_DIR);
	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
store_open_quarantine(const char *data, char *path, size_t pathlen)
{
	uint8_t rnd[QUARANTINE_RANDOM];
	char qdir[PATH_MAX], hex[2 * QUARANTINE_RANDOM + 1];
	int fd, n, tries;

	if (store_quarantine_dir(data, qdir, sizeof(qdir)) == -1)
		return -1;
	for (tries = 0; tries < QUARANTINE_TRIES; tries++) {
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return -1;
		util_hex(rnd, sizeof(rnd), hex);
		n = snprintf(path, pathlen, "%s/q-%s", qdir, hex);
		if (n < 0 || (size_t)n >= pathlen) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW,
		    QUARANTINE_MODE);
		if (fd != -1)
			return fd;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

/* QPATH must be DATA/quarantine/<one plain name>. */
static int
store_check_qpath(const char *data, const char *qpath)
{
	char qdir[PATH_MAX];
	const char *name;
	size_t n;

	if (store_quarantine_dir(data, qdir, sizeof(qdir)) == -1)
		return -1;
	n = strlen(qdir);
	if (strncmp(qpath, qdir, n) != 0 || qpath[n] != '/')
		goto bad;
	name = qpath + n + 1;
	if (*name == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		goto bad;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

/*
 * store_promote: everything of store_commit but making it durable: the
 * file is not fsynced and its directory not synced here, so that a batch
 * can make all its blobs durable with one store_sync (syncfs) after all its
 * renames, instead of two fsyncs per upload. Its mode is changed only when
 * it is not 0444 yet. The directory renamed into is written to DIROUT.
 */
int
store_promote(const char *data, const char *qpath, const uint8_t sha256[32],
    uint64_t size, char *dirout, size_t dirlen)
{
	char dst[PATH_MAX], dir[PATH_MAX], top[PATH_MAX];
	struct stat st;
	char *slash;
	int created, saved, ret = 0;

	if (store_check_qpath(data, qpath) == -1)
		return -1;	/* not ours to unlink */
	/* lstat, not open: the quarantine is the daemon's own directory
	 * (0700), and a symbolic link there is refused, not followed. */
	if (lstat(qpath, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != size) {
		errno = S_ISLNK(st.st_mode) ? ELOOP : EINVAL;   /* as open(O_NOFOLLOW) */
		goto fail;
	}
	if ((st.st_mode & 07777) != STORE_BLOB_MODE && chmod(qpath, STORE_BLOB_MODE) == -1)
		goto fail;

	if (store_path(data, sha256, dst, sizeof(dst)) == -1)
		goto fail;
	memcpy(dir, dst, sizeof(dir));
	slash = strrchr(dir, '/');
	*slash = '\0';
	if (strlen(dir) >= dirlen) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	if (store_mkdir(dir, &created) == -1)
		goto fail;
	if (created) {
		memcpy(top, dir, sizeof(top));
		*strrchr(top, '/') = '\0';
		if (store_fsync_dir(top) == -1)
			goto fail;
	}
	if (lstat(dst, &st) == 0) {
		if (S_ISREG(st.st_mode) && (uint64_t)st.st_size == size) {
			/* Same name, same size: the same content, kept once. */
			if (unlink(qpath) == -1)
				goto fail;
			return 1;
		}
		/* A damaged blob (wrong size or type): replaced below. */
		log_warnx("%s: replacing damaged blob %s", __func__, dst);
		ret = 0;
	} else if (errno != ENOENT)
		goto fail;
	if (rename(qpath, dst) == -1)
		goto fail;
	memcpy(dirout, dir, strlen(dir) + 1);
	return ret;
fail:
	saved = errno;
	(void)unlink(qpath);
	errno = saved;
	return -1;
}

int
store_sync(const char *data)
{
	int fd, r, saved;

	if ((fd = open(data, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = syncfs(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

int
store_commit(const char *data, const char *qpath, const uint8_t sha256[32],
    uint64_t size)
{
	char dir[PATH_MAX], dst[PATH_MAX];
	int fd, r;

	if ((r = store_promote(data, qpath, sha256, size, dir, sizeof(dir))) != 0)
		return r;
	/* One blob: fsync it and its directory (no syncfs for one file). */
	if (store_path(data, sha256, dst, sizeof(dst)) == -1 ||
	    (fd = open(dst, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	if (r == -1 || store_fsync_dir(dir) == -1)
		return -1;	/* renamed but not durable: the caller fails the job */
	return 0;
}

int
store_discard(const char *data, const char *qpath)
{
	if (store_check_qpath(data, qpath) == -1)
		return -1;
	if (unlink(qpath) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

int
store_remove(const char *data, const uint8_t sha256[32])
{
	char path[PATH_MAX];
	char *slash;

	if (store_path(data, sha256, path, sizeof(path)) == -1)
		return -1;
	if (unlink(path) == -1) {
		if (errno == ENOENT)
			return 0;
		return -1;
	}
	slash = strrchr(path, '/');
	*slash = '\0';
	return store_fsync_dir(path);
}

int
store_empty_quarantine(const char *data, unsigned *removed)
{
	char qdir[PATH_MAX];
	struct dirent *de;
	DIR *d = NULL;
	int fd, saved;
	unsigned count = 0;

	if (removed != NULL)
		*removed = 0;
	if (store_quarantine_dir(data, qdir, sizeof(qdir)) == -1)
		return -1;
	if ((fd = open(qdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    (d = store_fdopendir(fd)) == NULL)
		return -1;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == -1) {
			log_warn("%s: cannot remove quarantine entry", __func__);
			goto fail;
		}
		count++;
		errno = 0;
	}
	if (errno != 0)
		goto fail;
	if (count > 0 && fsync(dirfd(d)) == -1)
		goto fail;
	closedir(d);
	if (removed != NULL)
		*removed = count;
	return 0;
fail:
	saved = errno;
	closedir(d);
	errno = saved;
	return -1;
}

/* One fan-out directory DIRFD named PREFIX (2 hex digits). */
static int
store_sweep_dir(int dirfd_, const char *prefix,
    int (*keep)(const uint8_t sha256[32], void *arg), void *arg,
    unsigned *removed, unsigned *strange)
{
	struct dirent *de;
	uint8_t sha[32];
	DIR *d;
	int saved, r, any = 0;

	if ((d = store_fdopendir(dirfd_)) == NULL)
		return -1;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (!store_is_hex(de->d_name, 64) || strncmp(de->d_name, prefix, 2) != 0 ||
		    util_unhex(de->d_name, 64, sha, sizeof(sha)) == -1) {
			(*strange)++;
			errno = 0;
			continue;
		}
		if ((r = keep(sha, arg)) == -1) {
			errno = EIO;
			goto fail;
		}
		if (r == 0) {
			if (unlinkat(dirfd(d), de->d_name, 0) == -1)
				goto fail;
			(*removed)++;
			any = 1;
		}
		errno = 0;
	}
	if (errno != 0)
		goto fail;
	if (any && fsync(dirfd(d)) == -1)
		goto fail;
	closedir(d);
	return 0;
fail:
	saved = errno;
	closedir(d);
	errno = saved;
	return -1;
}

int
store_sweep(const char *data, int (*keep)(const uint8_t sha256[32], void *arg),
    void *arg, unsigned *removed, unsigned *strange)
{
	char top[PATH_MAX];
	struct dirent *de;
	DIR *d = NULL;
	int fd, sub, saved;

	*removed = 0;
	*strange = 0;
	if (snprintf(top, sizeof(top), "%s/%s", data, STORE_DIR) >= (int)sizeof(top)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(top, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    (d = store_fdopendir(fd)) == NULL)
		return -1;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (!store_is_hex(de->d_name, 2)) {
			(*strange)++;
			errno = 0;
			continue;
		}
		sub = openat(dirfd(d), de->d_name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub == -1) {
			if (errno == ENOTDIR || errno == ELOOP) {
				(*strange)++;
				errno = 0;
				continue;
			}
			goto fail;
		}
		if (store_sweep_dir(sub, de->d_name, keep, arg, removed, strange) == -1)
			goto fail;
		errno = 0;
	}
	if (errno != 0)
		goto fail;
	closedir(d);
	return 0;
fail:
	saved = errno;
	closedir(d);
	errno = saved;
	return -1;
}
