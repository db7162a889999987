/*
 * notary/store.c: the content-addressed store and the quarantine (store.h).
 *
 * Runs in the notary (promotion, removal, recovery), the front (new
 * quarantine files) and the CLI (blob paths). Every path is built with
 * snprintf and checked for truncation; every open uses O_NOFOLLOW|O_CLOEXEC;
 * directories are walked through openat() so that a name read from a
 * directory is never joined into a longer path. A cross-filesystem copy
 * uses copy_file_range (server-side on NFS 4.2 and CephFS), and read/write
 * where the kernel cannot.
 */
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "lib/util.h"
#include "notary/store.h"

#define STORE_NAME_RANDOM   16  /* random bytes in a quarantine or .tmp- name: no clash between nodes */
#define STORE_NAME_TRIES    8   /* attempts before giving up on name clashes */
#define STORE_COPY_BUF      (256u << 10)  /* read/write copy buffer, when copy_file_range cannot */
#define STORE_COPY_CHUNK    (64u << 20)   /* bytes asked of one copy_file_range call */

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

/* The directory part of PATH into OUT ("." for a bare name). */
static int
store_parent(const char *path, char *out, size_t outlen)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL)
		return snprintf(out, outlen, ".") < (int)outlen ? 0 : -1;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(out, path, n);
	out[n] = '\0';
	return 0;
}

int
store_setup(struct store *s, const char *data, const char *dir, int shared)
{
	int n;

	memset(s, 0, sizeof(*s));
	if (dir != NULL && dir[0] != '\0')
		n = snprintf(s->dir, sizeof(s->dir), "%s", dir);
	else
		n = snprintf(s->dir, sizeof(s->dir), "%s/%s", data, STORE_DIR);
	if (n < 0 || (size_t)n >= sizeof(s->dir) ||
	    store_quarantine_dir(data, s->quarantine, sizeof(s->quarantine)) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	s->shared = shared != 0;
	s->dfd = s->qfd = -1;
	return 0;
}

int
store_open_dirs(struct store *s)
{
	int fl = O_PATH | O_DIRECTORY | O_CLOEXEC;

	if ((s->dfd = open(s->dir, fl)) == -1 || (s->qfd = open(s->quarantine, fl)) == -1) {
		int saved = errno;

		store_close_dirs(s);
		errno = saved;
		return -1;
	}
	return 0;
}

void
store_close_dirs(struct store *s)
{
	if (s->dfd != -1)
		close(s->dfd);
	if (s->qfd != -1)
		close(s->qfd);
	s->dfd = s->qfd = -1;
}

int
store_init(const struct store *s)
{
	char parent[PATH_MAX];
	int created;

	if (store_mkdir(s->dir, &created) == -1)
		return -1;
	if (created && (store_parent(s->dir, parent, sizeof(parent)) == -1 ||
	    store_fsync_dir(parent) == -1))
		return -1;
	if (store_mkdir(s->quarantine, &created) == -1)
		return -1;
	if (created && (store_parent(s->quarantine, parent, sizeof(parent)) == -1 ||
	    store_fsync_dir(parent) == -1))
		return -1;
	return 0;
}

int
store_blob_path(const char *dir, const uint8_t sha256[32], char *out, size_t outlen)
{
	char hex[65];
	int n;

	util_hex(sha256, 32, hex);
	n = snprintf(out, outlen, "%s/%.2s/%s", dir, hex, hex);
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

/*
 * Random bytes for names, drawn from getrandom STORE_NAME_BATCH names at a
 * time: a quarantine file is made for every upload, and on a busy day one
 * system call per name is a measurable share of the front's. Each thread
 * keeps its own pool; a child process never uses its parent's (the pool of
 * the forking thread is copied into the child: the generation, moved on in
 * the child by pthread_atfork, tells it apart), so two processes never draw
 * the same bytes. O_EXCL remains the final word on a clash.
 */
#define STORE_NAME_BATCH 32
static pthread_once_t store_rnd_once = PTHREAD_ONCE_INIT;
static _Atomic unsigned store_rnd_gen;
static _Thread_local struct {
	uint8_t  buf[STORE_NAME_BATCH * STORE_NAME_RANDOM];
	size_t   off;         /* bytes of buf drawn: all of them until the first fill */
	unsigned gen;         /* store_rnd_gen when filled */
} store_rnd = { .off = STORE_NAME_BATCH * STORE_NAME_RANDOM };

static void
store_rnd_forked(void)
{
	store_rnd_gen++;
}

static void
store_rnd_init(void)
{
	(void)pthread_atfork(NULL, NULL, store_rnd_forked);
}

static int
store_random(uint8_t out[STORE_NAME_RANDOM])
{
	(void)pthread_once(&store_rnd_once, store_rnd_init);
	if (store_rnd.gen != store_rnd_gen ||
	    store_rnd.off + STORE_NAME_RANDOM > sizeof(store_rnd.buf)) {
		if (getrandom(store_rnd.buf, sizeof(store_rnd.buf), 0) !=
		    (ssize_t)sizeof(store_rnd.buf))
			return -1;
		store_rnd.off = 0;
		store_rnd.gen = store_rnd_gen;
	}
	memcpy(out, store_rnd.buf + store_rnd.off, STORE_NAME_RANDOM);
	store_rnd.off += STORE_NAME_RANDOM;	/* each byte is drawn once */
	return 0;
}

/* PREFIX and STORE_NAME_RANDOM random bytes in hex, into NAME. 0/-1. */
static int
store_random_name(const char *prefix, char *name, size_t namelen)
{
	uint8_t rnd[STORE_NAME_RANDOM];
	char hex[2 * STORE_NAME_RANDOM + 1];
	int n;

	if (store_random(rnd) == -1)
		return -1;
	util_hex(rnd, sizeof(rnd), hex);
	n = snprintf(name, namelen, "%s%s", prefix, hex);
	if (n < 0 || (size_t)n >= namelen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * A new file PREFIX<random hex> relative to DIRFD_ (AT_FDCWD: PREFIX is a
 * path), created with O_EXCL and ACCESS (O_RDWR, O_WRONLY), never through a
 * symbolic link; its name into NAME. A clash is retried with another name.
 * fd, or -1 with errno.
 */
static int
store_open_new(int dirfd_, const char *prefix, int access, mode_t mode, char *name,
    size_t namelen)
{
	int fd, tries;

	for (tries = 0; tries < STORE_NAME_TRIES; tries++) {
		if (store_random_name(prefix, name, namelen) == -1)
			return -1;
		fd = openat(dirfd_, name, O_CREAT | O_EXCL | access | O_CLOEXEC | O_NOFOLLOW,
		    mode);
		if (fd != -1)
			return fd;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

int
store_open_quarantine(const char *data, char *path, size_t pathlen)
{
	char prefix[PATH_MAX];

	/* room left for the "/q-" appended */
	if (store_quarantine_dir(data, prefix, sizeof(prefix) - 3) == -1)
		return -1;
	strcat(prefix, "/q-");
	/* Read-only from the start (the descriptor returned is not): the
	 * mode it will have in the store, with no chmod per upload. */
	return store_open_new(AT_FDCWD, prefix, O_RDWR, STORE_BLOB_MODE, path, pathlen);
}

/* QPATH must be S->quarantine/<one plain name>. */
static int
store_check_qpath(const struct store *s, const char *qpath)
{
	const char *name;
	size_t n;

	n = strlen(s->quarantine);
	if (strncmp(qpath, s->quarantine, n) != 0 || qpath[n] != '/')
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

/* Copies SIZE bytes of IN to OUT from their starts: copy_file_range (the
 * kernel, or the file server, moves the bytes), read/write where it cannot
 * (other filesystems, older kernels). A source shorter than SIZE is EIO. */
static int
store_copy_fd(int in, int out, uint64_t size)
{
	off_t off, ioff = 0, ooff = 0;
	char *buf = NULL;
	ssize_t r, w;
	size_t want;

	while ((uint64_t)ooff < size) {
		want = size - (uint64_t)ooff > STORE_COPY_CHUNK ? STORE_COPY_CHUNK :
		    (size_t)(size - (uint64_t)ooff);
		r = copy_file_range(in, &ioff, out, &ooff, want, 0);
		if (r > 0)
			continue;
		if (r == 0) {
			errno = EIO;   /* the file is shorter than it was said to be */
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP &&
		    errno != EINVAL && errno != EPERM)
			return -1;
		break;	/* not across these filesystems: read and write the rest */
	}
	if ((uint64_t)ooff >= size)
		return 0;
	if ((buf = malloc(STORE_COPY_BUF)) == NULL)
		return -1;
	off = ooff;
	while ((uint64_t)off < size) {
		want = size - (uint64_t)off > STORE_COPY_BUF ? STORE_COPY_BUF :
		    (size_t)(size - (uint64_t)off);
		r = pread(in, buf, want, off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			goto fail;
		}
		for (w = 0; w < r; ) {
			ssize_t n = pwrite(out, buf + w, (size_t)(r - w), off + w);

			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				if (n == 0)
					errno = EIO;
				goto fail;
			}
			w += n;
		}
		off += r;
	}
	free(buf);
	return 0;
fail:
	free(buf);
	return -1;
}

/*
 * A new blob DST in the store's directory DIR, its bytes written by FILL
 * (0/-1) into a .tmp- file there: fsynced, renamed into place and, with
 * SYNCDIR, DIR fsynced. The temporary file is removed on failure (a crash
 * leaves it to the sweep). 0/-1 with errno.
 */
static int
store_install(const char *dir, const char *dst, int (*fill)(int out, void *arg), void *arg,
    int syncdir)
{
	char tmp[sizeof(STORE_TMP_PREFIX) + 2 * STORE_NAME_RANDOM];
	int out = -1, dfd, saved;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	if ((out = store_open_new(dfd, STORE_TMP_PREFIX, O_WRONLY, STORE_BLOB_MODE, tmp,
	    sizeof(tmp))) == -1)
		goto fail;
	/* the mode of every blob, whatever the process's umask (open's is
	 * masked by it) */
	if (fchmod(out, STORE_BLOB_MODE) == -1 || fill(out, arg) == -1 || fsync(out) == -1)
		goto fail_tmp;
	if (close(out) == -1) {
		out = -1;
		goto fail_tmp;
	}
	out = -1;
	if (renameat(dfd, tmp, AT_FDCWD, dst) == -1 || (syncdir && fsync(dfd) == -1))
		goto fail_tmp;
	close(dfd);
	return 0;
fail_tmp:
	saved = errno;
	if (unlinkat(dfd, tmp, 0) == -1)
		log_warn("%s: cannot remove %s/%s", __func__, dir, tmp);
	errno = saved;
fail:
	saved = errno;
	if (out != -1)
		close(out);
	close(dfd);
	errno = saved;
	return -1;
}

struct store_copy {
	int      in;
	uint64_t size;
};

static int
store_fill_copy(int out, void *arg)
{
	const struct store_copy *c = arg;

	return store_copy_fd(c->in, out, c->size);
}

/*
 * The quarantine file QPATH (SIZE bytes) into DST of the store, on another
 * filesystem: copied into a .tmp- file of DST's directory DIR, fsynced,
 * renamed into place (store_install). QPATH is left to the caller.
 */
static int
store_copy_in(const char *qpath, const char *dir, const char *dst, uint64_t size)
{
	struct store_copy c = { .size = size };
	struct stat st;
	int r, saved;

	if ((c.in = open(qpath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(c.in, &st) == -1)
		r = -1;
	else if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != size) {
		errno = EINVAL;
		r = -1;
	} else
		r = store_install(dir, dst, store_fill_copy, &c, 0);
	saved = errno;
	close(c.in);
	errno = saved;
	return r;
}

/* A shared store's rename: the file's bytes durable and its mtime now
 * before its name appears to other nodes (store.h). */
static int
store_prepare_shared(const char *qpath)
{
	int fd, saved;

	if ((fd = open(qpath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	if (futimens(fd, NULL) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

/* Makes DIR, a fan-out directory of S's store, if it is missing; a new
 * one is made durable in the store's directory at once. */
static int
store_fan_out(const struct store *s, const char *dir)
{
	int created;

	if (store_mkdir(dir, &created) == -1)
		return -1;
	return created ? store_fsync_dir(s->dir) : 0;
}

/*
 * store_promote: everything of store_commit but making it durable: the
 * file is not fsynced and its directory not synced here (unless it is
 * copied, or the store shared), so that a batch can make all its blobs
 * durable with one store_sync (syncfs) after all its renames, instead of
 * two fsyncs per upload. Its mode is changed only when it is not 0444 yet.
 * The directory renamed into is written to DIROUT.
 */
int
store_promote(const struct store *s, const char *qpath, const uint8_t sha256[32],
    uint64_t size, char *dirout, size_t dirlen)
{
	char dst[PATH_MAX], dir[PATH_MAX];
	struct stat st, qst;
	const char *qname = qpath, *sname;
	int qd = AT_FDCWD, sd = AT_FDCWD, r, saved, copy = 0;

	if (store_check_qpath(s, qpath) == -1)
		return -1;	/* not ours to unlink */
	if (store_blob_path(s->dir, sha256, dst, sizeof(dst)) == -1 ||
	    store_parent(dst, dir, sizeof(dir)) == -1)
		goto fail;
	sname = dst;
	if (s->qfd != -1 && s->dfd != -1) {
		/* one name looked up in each directory, not every component */
		qd = s->qfd;
		qname = qpath + strlen(s->quarantine) + 1;
		sd = s->dfd;
		sname = dst + strlen(s->dir) + 1;
	}
	/* lstat, not open: the quarantine is the daemon's own directory
	 * (0700), and a symbolic link there is refused, not followed. */
	if (fstatat(qd, qname, &qst, AT_SYMLINK_NOFOLLOW) == -1)
		goto fail;
	if (!S_ISREG(qst.st_mode) || (uint64_t)qst.st_size != size) {
		errno = S_ISLNK(qst.st_mode) ? ELOOP : EINVAL;   /* as open(O_NOFOLLOW) */
		goto fail;
	}
	if ((qst.st_mode & 07777) != STORE_BLOB_MODE && fchmodat(qd, qname, STORE_BLOB_MODE, 0) == -1)
		goto fail;
	if (strlen(dir) >= dirlen) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	/* Nearly always new content in a store of our own: one rename that
	 * refuses to replace a name, instead of looking the name up first.
	 * Anything else (the name is taken, the fan-out directory is missing,
	 * another filesystem, one without RENAME_NOREPLACE) is the general
	 * case below, which starts with that lookup. */
	if (!s->shared && renameat2(qd, qname, sd, sname, RENAME_NOREPLACE) == 0)
		goto stored;
	/* The fan-out directory is made when the rename finds it missing
	 * (below): it nearly always exists, and checking first cost every
	 * upload a mkdir and an lstat. A missing directory is ENOENT here too. */
	if (fstatat(sd, sname, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISREG(st.st_mode) && (uint64_t)st.st_size == size) {
			/* Same name, same size: the same content, kept once. In
			 * a shared store it is touched first, so that a sweep
			 * sees it young (gone meanwhile, a sweep took it as an
			 * orphan: this upload's copy takes its place), and its
			 * directory is synced: the node that renamed it there
			 * may not have synced it yet, and the caller commits an
			 * entry naming it without a sync of its own. */
			if (!s->shared || utimensat(sd, sname, NULL, AT_SYMLINK_NOFOLLOW) == 0) {
				if ((s->shared && store_fsync_dir(dir) == -1) ||
				    unlinkat(qd, qname, 0) == -1)
					goto fail;
				return 1;
			}
			if (errno != ENOENT)
				goto fail;
		} else {
			/* A damaged blob (wrong size or type): replaced below. */
			log_warnx("%s: replacing damaged blob %s", __func__, dst);
		}
	} else if (errno != ENOENT)
		goto fail;
	/* A shared store on another filesystem is copied into without the
	 * quarantine file's fsync (its copy is fsynced); EXDEV is the final
	 * word all the same (two mounts of one filesystem share st_dev). */
	if (s->shared) {
		if (store_fan_out(s, dir) == -1 || stat(dir, &st) == -1)
			goto fail;
		copy = st.st_dev != qst.st_dev;
	}
	if (!copy) {
		if (s->shared && store_prepare_shared(qpath) == -1)
			goto fail;
		r = renameat(qd, qname, sd, sname);
		if (r == -1 && errno == ENOENT && fstatat(qd, qname, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			/* the file is there: its directory in the store is not */
			if (store_fan_out(s, dir) == -1)
				goto fail;
			r = renameat(qd, qname, sd, sname);
		}
		if (r == -1) {
			if (errno != EXDEV)
				goto fail;
			copy = 1;
		}
	}
	if (copy) {
		/* The quarantine is on another filesystem than the store. */
		if (store_copy_in(qpath, dir, dst, size) == -1)
			goto fail;
		if (unlink(qpath) == -1)
			log_warn("%s: stored, but cannot remove %s (left to recovery)", __func__,
			    qpath);
	}
stored:
	memcpy(dirout, dir, strlen(dir) + 1);
	return 0;
fail:
	saved = errno;
	(void)unlink(qpath);
	errno = saved;
	return -1;
}

int
store_sync(const struct store *s)
{
	int fd, r, saved;

	if ((fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = syncfs(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

int
store_commit(const struct store *s, const char *qpath, const uint8_t sha256[32],
    uint64_t size)
{
	char dir[PATH_MAX], dst[PATH_MAX];
	int fd, r;

	if ((r = store_promote(s, qpath, sha256, size, dir, sizeof(dir))) != 0)
		return r;
	/* One blob: fsync it and its directory (no syncfs for one file). */
	if (store_blob_path(s->dir, sha256, dst, sizeof(dst)) == -1 ||
	    (fd = open(dst, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	if (r == -1 || store_fsync_dir(dir) == -1)
		return -1;	/* renamed but not durable: the caller fails the job */
	return 0;
}

int
store_discard(const struct store *s, const char *qpath)
{
	if (store_check_qpath(s, qpath) == -1)
		return -1;
	if (unlink(qpath) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

/* Whether PATH is a regular file holding exactly DATA (LEN bytes). */
static int
store_holds(const char *path, const void *data, size_t len)
{
	uint8_t buf[4096];
	struct stat st;
	size_t off = 0;
	ssize_t r;
	int fd, same = 0;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != len)
		goto out;
	while (off < len) {
		size_t want = len - off < sizeof(buf) ? len - off : sizeof(buf);

		if ((r = pread(fd, buf, want, (off_t)off)) == -1 && errno == EINTR)
			continue;
		if (r <= 0 || memcmp(buf, (const uint8_t *)data + off, (size_t)r) != 0)
			goto out;
		off += (size_t)r;
	}
	same = 1;
out:
	close(fd);
	return same;
}

struct store_bytes {
	const uint8_t *p;
	size_t         len;
};

static int
store_fill_bytes(int out, void *arg)
{
	const struct store_bytes *b = arg;
	size_t off = 0;
	ssize_t w;

	while (off < b->len) {
		if ((w = write(out, b->p + off, b->len - off)) == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

int
store_put(const struct store *s, const uint8_t sha256[32], const void *data, size_t len)
{
	struct store_bytes b = { .p = data, .len = len };
	char dst[PATH_MAX], dir[PATH_MAX];
	uint8_t h[32];

	util_sha256(data, len, h);
	if (memcmp(h, sha256, sizeof(h)) != 0) {
		errno = EINVAL;
		return -1;
	}
	if (store_blob_path(s->dir, sha256, dst, sizeof(dst)) == -1 ||
	    store_parent(dst, dir, sizeof(dir)) == -1)
		return -1;
	if (store_holds(dst, data, len))
		return 0;
	if (store_fan_out(s, dir) == -1 || store_install(dir, dst, store_fill_bytes, &b, 1) == -1)
		return -1;
	return 1;
}

int
store_remove(const struct store *s, const uint8_t sha256[32])
{
	char path[PATH_MAX];
	char *slash;

	if (s->shared) {
		errno = EPERM;	/* another node's entry may name it (store.h) */
		return -1;
	}
	if (store_blob_path(s->dir, sha256, path, sizeof(path)) == -1)
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
store_empty_quarantine(const struct store *s, unsigned *removed)
{
	struct dirent *de;
	DIR *d = NULL;
	int fd, saved;
	unsigned count = 0;

	if (removed != NULL)
		*removed = 0;
	if ((fd = open(s->quarantine, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
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

/* The name NAME of DIRFD_ is younger than the grace period (by mtime; one
 * from the future, a clock ahead of ours, is young too). 1 young, 0 old,
 * -1 with errno (ENOENT: gone meanwhile). */
static int
store_young(int dirfd_, const char *name, time_t now)
{
	struct stat st;

	if (fstatat(dirfd_, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	return st.st_mtime > now - STORE_SWEEP_GRACE;
}

/*
 * An orphan blob NAME of a shared store's directory DIRFD_: removed when
 * it is older than the grace period. It is first renamed to a .tmp- name,
 * then its age is read again: a promotion that found it and touched it
 * (store_promote) did so either before the rename, and the second look
 * sees it young and puts it back, or after it, and found no file, and
 * stored its own copy. 1 removed, 0 left (young), 2 gone meanwhile (another
 * node's sweep), -1 error.
 */
static int
store_sweep_orphan(int dirfd_, const char *name, time_t now)
{
	char tomb[sizeof(STORE_TMP_PREFIX) + 2 * STORE_NAME_RANDOM];
	int r;

	if ((r = store_young(dirfd_, name, now)) == 1)
		return 0;
	if (r == -1)
		return errno == ENOENT ? 2 : -1;
	if (store_random_name(STORE_TMP_PREFIX, tomb, sizeof(tomb)) == -1)
		return -1;
	if (renameat(dirfd_, name, dirfd_, tomb) == -1)
		return errno == ENOENT ? 2 : -1;   /* another node's sweep took it */
	if ((r = store_young(dirfd_, tomb, now)) == -1)
		return errno == ENOENT ? 2 : -1;
	if (r == 1) {
		/* touched by a promotion meanwhile: back (the same bytes as any
		 * copy stored under that name since) */
		if (renameat(dirfd_, tomb, dirfd_, name) == -1)
			return -1;
		return 0;
	}
	if (unlinkat(dirfd_, tomb, 0) == -1)
		return errno == ENOENT ? 2 : -1;
	return 1;
}

/* One fan-out directory DIRFD_ named PREFIX (2 hex digits). */
static int
store_sweep_dir(const struct store *s, int dirfd_, const char *prefix, time_t now,
    int (*keep)(const uint8_t sha256[32], void *arg), void *arg,
    struct store_sweep_stats *stats)
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
		if (strncmp(de->d_name, STORE_TMP_PREFIX, sizeof(STORE_TMP_PREFIX) - 1) == 0) {
			/* a copy in progress (or a sweep's), or one a crash left */
			r = s->shared ? store_young(dirfd(d), de->d_name, now) : 0;
			if (r == 1)
				stats->young++;
			else if (r == 0) {
				if (unlinkat(dirfd(d), de->d_name, 0) == 0) {
					stats->temps++;
					any = 1;
				} else if (errno != ENOENT)
					goto fail;
			} else if (errno != ENOENT)
				goto fail;
			errno = 0;
			continue;
		}
		if (!store_is_hex(de->d_name, 64) || strncmp(de->d_name, prefix, 2) != 0 ||
		    util_unhex(de->d_name, 64, sha, sizeof(sha)) == -1) {
			stats->strange++;
			errno = 0;
			continue;
		}
		if ((r = keep(sha, arg)) == -1) {
			errno = EIO;
			goto fail;
		}
		if (r == 0 && !s->shared) {
			if (unlinkat(dirfd(d), de->d_name, 0) == -1)
				goto fail;
			stats->removed++;
			any = 1;
		} else if (r == 0) {
			if ((r = store_sweep_orphan(dirfd(d), de->d_name, now)) == -1)
				goto fail;
			if (r == 1) {
				stats->removed++;
				any = 1;
			} else if (r == 0)
				stats->young++;
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
store_sweep(const struct store *s, int (*keep)(const uint8_t sha256[32], void *arg),
    void *arg, struct store_sweep_stats *stats)
{
	struct dirent *de;
	DIR *d = NULL;
	int fd, sub, saved;
	time_t now = time(NULL);

	memset(stats, 0, sizeof(*stats));
	if ((fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    (d = store_fdopendir(fd)) == NULL)
		return -1;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (!store_is_hex(de->d_name, 2)) {
			stats->strange++;
			errno = 0;
			continue;
		}
		sub = openat(dirfd(d), de->d_name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub == -1) {
			if (errno == ENOTDIR || errno == ELOOP) {
				stats->strange++;
				errno = 0;
				continue;
			}
			goto fail;
		}
		if (store_sweep_dir(s, sub, de->d_name, now, keep, arg, stats) == -1)
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
