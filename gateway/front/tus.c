/*
 * front/tus.c: resumable uploads, tus 1.0.0 under /v1/uploads (tus.h).
 *
 * Runs in the loop thread of the front. Trusts nothing of the request: the
 * claims go through upload_claims (the PUT path's checks) at creation and
 * again at completion, numbers are plain decimal, the metadata has a size
 * and a key-count limit, and an upload is only ever found for the Party
 * that created it.
 *
 * Durability: each PATCH's bytes are fdatasync'ed, then its new offset is
 * written to one of the two offset records of <id>.info (alternately, each
 * with a sequence number and its own SHA-256, so that a torn write leaves
 * the other one valid) and fdatasync'ed, and only then answered 204. After
 * a crash, <id>.part is cut back to the recorded offset: at most the tail
 * of the PATCH in flight is lost.
 *
 * Hashing: the entry's SHA-256 is the notary's, which never takes the
 * front's word for it. For an upload of SPOOL_AFTER bytes or more, a
 * pre-hash of the notary (notary/prehash.h) is opened at its first PATCH
 * and told each offset a PATCH made durable, so the notary's hash goes on
 * across PATCHes, reading each byte once from the page cache as it
 * arrives, and the last PATCH's answer waits only for its own bytes. The
 * front hashes nothing of the body itself (only an Upload-Checksum's
 * digest of its one PATCH). Nothing is persisted for the hash: after a
 * restart the notary's new pre-hash reads the recorded prefix once, in its
 * own thread, while the upload goes on; a pre-hash evicted meanwhile (the
 * notary keeps PREHASH_MAX) means the whole file is hashed at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "common/log.h"
#include "front/conn.h"
#include "front/front.h"
#include "front/limits.h"
#include "front/notaryc.h"
#include "front/spool.h"
#include "front/tus.h"
#include "inspect/types.h"
#include "lib/util.h"
#include "notary/store.h"

#define TUS_EXTENSIONS    "creation,checksum,termination,expiration"
#define TUS_DIR           "uploads"
#define TUS_ID_BYTES      16          /* random bytes of an upload id */
#define TUS_ID_LEN        (2 * TUS_ID_BYTES)
#define TUS_SLOT          512         /* one offset record of <id>.info */
#define TUS_INFO_MAX      4096        /* an <id>.info file, records included */
#define TUS_META_KEYS_MAX 16          /* Upload-Metadata pairs */
#define TUS_UPLOADS_MAX   65536       /* partial uploads of all Parties */
#define TUS_WRITEBACK     (32u << 20) /* start write-back of each 32 MiB */

struct tus_slot {                     /* little-endian host layout, this host only */
	uint64_t seq;
	uint64_t offset;
	uint64_t nul_at;
	int64_t  expires;
	uint8_t  sum[32];                 /* SHA-256 of the four fields above */
};

struct tus_upload {
	struct tus_upload *next;
	char        id[TUS_ID_LEN + 1];
	char        owner[PARTY_ID_MAX];  /* the Party that created it */
	char        kind[KIND_NAME_MAX];
	char        filename[FILENAME_MAX_BYTES + 1];
	char        ref[REF_MAX + 1];
	char        for_party[PARTY_ID_MAX];
	char        plan[24];             /* "" or the decimal receipt index */
	uint64_t    length, offset, nul_at, seq;
	int64_t     expires;
	struct conn *holder;              /* the connection whose PATCH writes */
	uint64_t    prehash;              /* the notary hashes the file too (notaryc.h), 0 none */
	/* the PATCH in progress */
	int         fd;                   /* <id>.part, -1 between PATCHes */
	uint64_t    written;
	uint64_t    nul_at0;
	EVP_MD_CTX *check;                /* Upload-Checksum's algorithm, this PATCH */
	uint8_t     want[64];
	size_t      wantlen;
	int         werr;                 /* a write failed */
};

struct tus {
	struct front      *f;
	struct tus_upload *list;
	unsigned           n;
	struct event      *sweep;
	char               dir[PATH_MAX];
};

static void tus_forget(struct tus *t, struct tus_upload *u, int remove_files);
static int tus_patch_finish(struct conn *c, struct tus_upload *u);

/* --- files --- */

static int
tus_path(const struct tus *t, const char *id, const char *ext, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%s.%s", t->dir, id, ext);

	if (n < 0 || (size_t)n >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
tus_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

static void
tus_slot_sum(const struct tus_slot *s, uint8_t out[32])
{
	util_sha256(s, offsetof(struct tus_slot, sum), out);
}

/* Records U's offset (the other record than the last): fdatasync'ed. */
static int
tus_persist(struct tus *t, struct tus_upload *u, uint64_t offset, uint64_t nul_at)
{
	struct tus_slot s;
	char path[PATH_MAX];
	int fd, r = -1;

	memset(&s, 0, sizeof(s));
	s.seq = u->seq + 1;
	s.offset = offset;
	s.nul_at = nul_at;
	s.expires = u->expires;
	tus_slot_sum(&s, s.sum);
	if (tus_path(t, u->id, "info", path, sizeof(path)) == -1 ||
	    (fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	if (pwrite(fd, &s, sizeof(s), (off_t)((s.seq & 1) * TUS_SLOT)) == (ssize_t)sizeof(s) &&
	    fdatasync(fd) == 0)
		r = 0;
	close(fd);
	if (r == 0)
		u->seq = s.seq;
	return r;
}

/* Writes <id>.info for a new upload (records, then the claims), durably. */
static int
tus_write_info(struct tus *t, struct tus_upload *u)
{
	char buf[TUS_INFO_MAX], tmp[PATH_MAX], path[PATH_MAX];
	struct tus_slot s;
	int fd, n, ok;

	memset(buf, 0, sizeof(buf));
	memset(&s, 0, sizeof(s));
	s.seq = u->seq = 1;
	s.nul_at = u->nul_at;
	s.expires = u->expires;
	tus_slot_sum(&s, s.sum);
	memcpy(buf + TUS_SLOT, &s, sizeof(s));
	n = snprintf(buf + 2 * TUS_SLOT, sizeof(buf) - 2 * TUS_SLOT,
	    "owner %s\nkind %s\nfilename %s\nref %s\nfor %s\nplan %s\nlength %llu\n",
	    u->owner, u->kind, u->filename, u->ref, u->for_party, u->plan,
	    (unsigned long long)u->length);
	if (n < 0 || (size_t)n >= sizeof(buf) - 2 * TUS_SLOT) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (tus_path(t, u->id, "tmp", tmp, sizeof(tmp)) == -1 ||
	    tus_path(t, u->id, "info", path, sizeof(path)) == -1)
		return -1;
	if ((fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1)
		return -1;
	ok = write(fd, buf, 2 * TUS_SLOT + (size_t)n) == (ssize_t)(2 * TUS_SLOT + (size_t)n) &&
	    fsync(fd) == 0;
	close(fd);
	if (!ok || rename(tmp, path) == -1 || tus_fsync_dir(t->dir) == -1) {
		int e = errno;

		unlink(tmp);
		unlink(path);
		errno = e;
		return -1;
	}
	return 0;
}

/* --- the table --- */

static struct tus_upload *
tus_find(struct tus *t, const char *id)
{
	for (struct tus_upload *u = t->list; u; u = u->next)
		if (strcmp(u->id, id) == 0)
			return u;
	return NULL;
}

static void
tus_party_usage(struct tus *t, const char *owner, unsigned *count, uint64_t *bytes)
{
	*count = 0;
	*bytes = 0;
	for (struct tus_upload *u = t->list; u; u = u->next)
		if (strcmp(u->owner, owner) == 0) {
			(*count)++;
			*bytes += u->length;
		}
}

static void
tus_forget(struct tus *t, struct tus_upload *u, int remove_files)
{
	struct tus_upload **pp;
	char path[PATH_MAX];

	for (pp = &t->list; *pp; pp = &(*pp)->next)
		if (*pp == u) {
			*pp = u->next;
			t->n--;
			break;
		}
	if (remove_files) {
		if (u->prehash)
			notaryc_prehash_drop(t->f->notary, u->prehash);
		if (tus_path(t, u->id, "part", path, sizeof(path)) == 0)
			unlink(path);
		if (tus_path(t, u->id, "info", path, sizeof(path)) == 0)
			unlink(path);
	}
	if (u->fd != -1)
		close(u->fd);
	EVP_MD_CTX_free(u->check);
	free(u);
}

static int64_t
tus_now(void)
{
	return (int64_t)time(NULL);
}

/* "Upload-Expires: <IMF-fixdate>\r\n" (RFC 9110). */
static void
tus_expires_hdr(const struct tus_upload *u, char *out, size_t outlen)
{
	struct tm tm;
	time_t when = (time_t)u->expires;
	char date[64];

	if (gmtime_r(&when, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0) {
		out[0] = '\0';
		return;
	}
	snprintf(out, outlen, "Upload-Expires: %s\r\n", date);
}

/* An answer with the tus headers (and U's expiry when there is one). */
static void
tus_answer(struct conn *c, int status, const struct tus_upload *u, const char *extra,
    const char *msg, int close)
{
	char hdr[1024], exp[128] = "";
	char *body = NULL;

	if (u)
		tus_expires_hdr(u, exp, sizeof(exp));
	/* Tus-Resumable: conn_respond_hdr, on every answer of the route */
	snprintf(hdr, sizeof(hdr), "%s%s", exp, extra ? extra : "");
	if (msg) {
		json_t *j = json_pack("{s:s}", "error", msg);

		body = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
	}
	conn_respond_hdr(c, status, body ? "application/json" : NULL, hdr, body,
	    body ? strlen(body) : 0, close);
	free(body);
}

/* A refusal (counted and logged like conn_refuse); -1 for the parser. */
static int
tus_refuse(struct conn *c, int status, const struct tus_upload *u, const char *extra,
    const char *msg)
{
	c->refused = 1;
	c->front->n_refused++;
	log_info("refused %s party=%s status=%d: %s", c->peer,
	    c->party_id[0] ? c->party_id : "-", status, msg);
	tus_answer(c, status, u, extra, msg, 1);
	return -1;
}

/* --- loading and expiry --- */

static int
tus_info_field(const char *text, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == ' ') {
			if (len - klen - 1 >= outlen)
				return -1;
			memcpy(out, p + klen + 1, len - klen - 1);
			out[len - klen - 1] = '\0';
			return 0;
		}
		p = nl ? nl + 1 : NULL;
	}
	return -1;
}

static int
tus_number(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0') || strlen(s) > 19)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/* One <id>.info left by a previous run: 0 loaded, -1 removed. */
static int
tus_load_one(struct tus *t, const char *id)
{
	char path[PATH_MAX], buf[TUS_INFO_MAX + 1], num[32];
	struct tus_upload *u;
	struct tus_slot s[2];
	struct stat st;
	uint8_t sum[32];
	ssize_t n;
	int fd, best = -1;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return -1;
	u->fd = -1;
	snprintf(u->id, sizeof(u->id), "%s", id);
	if (tus_path(t, id, "info", path, sizeof(path)) == -1 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		goto bad;
	n = read(fd, buf, TUS_INFO_MAX);
	close(fd);
	if (n < 2 * TUS_SLOT)
		goto bad;
	buf[n] = '\0';
	memcpy(&s[0], buf, sizeof(s[0]));
	memcpy(&s[1], buf + TUS_SLOT, sizeof(s[1]));
	for (int i = 0; i < 2; i++) {
		tus_slot_sum(&s[i], sum);
		if (memcmp(sum, s[i].sum, sizeof(sum)) == 0 && (best == -1 || s[i].seq > s[best].seq))
			best = i;
	}
	if (best == -1 || memchr(buf + 2 * TUS_SLOT, '\0', (size_t)n - 2 * TUS_SLOT) != NULL)
		goto bad;
	if (tus_info_field(buf + 2 * TUS_SLOT, "owner", u->owner, sizeof(u->owner)) == -1 ||
	    tus_info_field(buf + 2 * TUS_SLOT, "kind", u->kind, sizeof(u->kind)) == -1 ||
	    tus_info_field(buf + 2 * TUS_SLOT, "filename", u->filename, sizeof(u->filename)) == -1 ||
	    tus_info_field(buf + 2 * TUS_SLOT, "ref", u->ref, sizeof(u->ref)) == -1 ||
	    tus_info_field(buf + 2 * TUS_SLOT, "for", u->for_party, sizeof(u->for_party)) == -1 ||
	    tus_info_field(buf + 2 * TUS_SLOT, "plan", u->plan, sizeof(u->plan)) == -1 ||
	    tus_info_field(buf + 2 * TUS_SLOT, "length", num, sizeof(num)) == -1 ||
	    tus_number(num, &u->length) == -1)
		goto bad;
	u->seq = s[best].seq;
	u->offset = s[best].offset;
	u->nul_at = s[best].nul_at;
	u->expires = s[best].expires;
	if (u->offset > u->length || u->expires <= tus_now())
		goto bad;
	if (tus_path(t, id, "part", path, sizeof(path)) == -1 ||
	    (fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1)
		goto bad;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < u->offset ||
	    ((uint64_t)st.st_size > u->offset && (ftruncate(fd, (off_t)u->offset) == -1 ||
	    fdatasync(fd) == -1))) {
		close(fd);
		goto bad;
	}
	if ((uint64_t)st.st_size > u->offset)
		log_info("resumable upload %s: cut back from %llu to its recorded %llu bytes", id,
		    (unsigned long long)st.st_size, (unsigned long long)u->offset);
	close(fd);
	u->next = t->list;
	t->list = u;
	t->n++;
	return 0;
bad:
	log_info("resumable upload %s: expired, incomplete or damaged, removed", id);
	t->n++;          /* tus_forget counts it out */
	u->next = t->list;
	t->list = u;
	tus_forget(t, u, 1);
	return -1;
}

static int
tus_is_id(const char *s, size_t len)
{
	if (len != TUS_ID_LEN)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int
tus_load(struct tus *t)
{
	DIR *d;
	struct dirent *de;
	unsigned loaded = 0, removed = 0;
	char id[TUS_ID_LEN + 1], path[PATH_MAX];

	if ((d = opendir(t->dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		const char *dot = strrchr(de->d_name, '.');

		if (dot == NULL || strcmp(dot, ".info") != 0 ||
		    !tus_is_id(de->d_name, (size_t)(dot - de->d_name)))
			continue;
		memcpy(id, de->d_name, TUS_ID_LEN);
		id[TUS_ID_LEN] = '\0';
		if (tus_load_one(t, id) == 0)
			loaded++;
		else
			removed++;
	}
	/* What has no record: a creation or a removal cut short. */
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		const char *dot = strrchr(de->d_name, '.');

		if (de->d_name[0] == '.' || (dot && strcmp(dot, ".info") == 0 &&
		    tus_is_id(de->d_name, (size_t)(dot - de->d_name))))
			continue;
		if (dot && tus_is_id(de->d_name, (size_t)(dot - de->d_name))) {
			memcpy(id, de->d_name, TUS_ID_LEN);
			id[TUS_ID_LEN] = '\0';
			if (strcmp(dot, ".part") == 0 && tus_find(t, id) != NULL)
				continue;
		}
		if (snprintf(path, sizeof(path), "%s/%s", t->dir, de->d_name) < (int)sizeof(path) &&
		    unlink(path) == 0)
			removed++;
	}
	closedir(d);
	if (loaded || removed)
		log_info("resumable uploads: %u resumed, %u removed", loaded, removed);
	return 0;
}

static void
tus_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct tus *t = arg;
	struct tus_upload *u, *next;
	int64_t now = tus_now();

	for (u = t->list; u; u = next) {
		next = u->next;
		if (u->holder == NULL && u->expires <= now) {
			log_info("resumable upload %s party=%s expired at %llu of %llu bytes",
			    u->id, u->owner, (unsigned long long)u->offset,
			    (unsigned long long)u->length);
			tus_forget(t, u, 1);
		}
	}
}

int
tus_init(struct front *f, char *err, size_t errlen)
{
	struct tus *t;
	unsigned every = f->cfg->resumable_expiry < 120 ? (f->cfg->resumable_expiry + 1) / 2 : 60;
	struct timeval tv = { .tv_sec = every ? every : 1, .tv_usec = 0 };

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	t->f = f;
	f->tus = t;
	if (snprintf(t->dir, sizeof(t->dir), "%s/%s", f->cfg->data, TUS_DIR) >= (int)sizeof(t->dir)) {
		snprintf(err, errlen, "%s/%s: name too long", f->cfg->data, TUS_DIR);
		return -1;
	}
	if (mkdir(t->dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", t->dir, strerror(errno));
		return -1;
	}
	if (tus_load(t) == -1) {
		snprintf(err, errlen, "%s: %s", t->dir, strerror(errno));
		return -1;
	}
	if ((t->sweep = event_new(f->base, -1, EV_PERSIST, tus_sweep, t)) == NULL ||
	    event_add(t->sweep, &tv) == -1) {
		snprintf(err, errlen, "expiry timer");
		return -1;
	}
	return 0;
}

void
tus_free(struct front *f)
{
	struct tus *t = f->tus;

	if (t == NULL)
		return;
	while (t->list)
		tus_forget(t, t->list, 0);
	if (t->sweep)
		event_free(t->sweep);
	free(t);
	f->tus = NULL;
}

/* --- requests --- */

int
tus_header(struct conn *c, const char *name, const char *value, int value_long)
{
	struct tus_req *r = &c->treq;

	if (strcasecmp(name, "tus-resumable") == 0)
		r->resumable = strcmp(value, TUS_VERSION) == 0 ? 1 : -1;
	else if (strcasecmp(name, "upload-length") == 0) {
		r->has_length = 1;
		if (value_long || tus_number(value, &r->length) == -1)
			r->bad_number = 1;
	} else if (strcasecmp(name, "upload-offset") == 0) {
		r->has_offset = 1;
		if (value_long || tus_number(value, &r->offset) == -1)
			r->bad_number = 1;
	} else if (strcasecmp(name, "upload-defer-length") == 0)
		r->defer = 1;
	else if (strcasecmp(name, "content-type") == 0)
		r->octet_stream = strcasecmp(value, "application/offset+octet-stream") == 0;
	else if (strcasecmp(name, "upload-checksum") == 0) {
		if (value_long || strlen(value) > TUS_CHECKSUM_MAX)
			r->checksum_long = 1;
		else
			snprintf(r->checksum, sizeof(r->checksum), "%s", value);
	} else if (strcasecmp(name, "upload-metadata") == 0) {
		if (r->has_meta)
			r->meta_twice = 1;   /* its values were run together: refused */
		r->has_meta = 1;
	}
	return 0;
}

void
tus_metadata(struct conn *c, const char *at, size_t len)
{
	struct tus_req *r = &c->treq;

	if (r->meta_len + len > TUS_METADATA_MAX) {
		r->meta_long = 1;
		return;
	}
	memcpy(r->meta + r->meta_len, at, len);
	r->meta_len += len;
	r->meta[r->meta_len] = '\0';
}

/* Appends S percent-encoded (every byte but unreserved ones) to OUT. */
static int
tus_pct(char *out, size_t outlen, size_t *n, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (*n + 4 >= outlen)
			return -1;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~')
			out[(*n)++] = (char)ch;
		else {
			out[(*n)++] = '%';
			out[(*n)++] = hex[ch >> 4];
			out[(*n)++] = hex[ch & 15];
		}
	}
	out[*n] = '\0';
	return 0;
}

static int
tus_cat(char *out, size_t outlen, size_t *n, const char *s)
{
	size_t len = strlen(s);

	if (*n + len >= outlen)
		return -1;
	memcpy(out + *n, s, len + 1);
	*n += len;
	return 0;
}

struct tus_meta {
	char   kind[KIND_NAME_MAX + 1];
	char   filename[4 * FILENAME_MAX_BYTES];
	size_t filename_len;
	char   ref[4 * REF_MAX];
	size_t ref_len;
	char   plan[32];
	size_t plan_len;
	char   for_party[PARTY_ID_MAX + 1];
	size_t for_len;
	int    has_kind, has_filename, has_ref, has_plan, has_for;
};

/* Upload-Metadata: "key base64,key base64,…" (the value may be absent).
 * Keys are printable ASCII; each at most once; at most TUS_META_KEYS_MAX.
 * Keys other than ours are allowed (clients add their own) and ignored.
 * NULL, or why not. */
static const char *
tus_parse_meta(const char *in, struct tus_meta *m)
{
	const char *p = in;
	char seen[TUS_META_KEYS_MAX][64];
	unsigned nkeys = 0;

	memset(m, 0, sizeof(*m));
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *sp, *val;
		size_t klen, vlen;
		char key[64];
		uint8_t dec[4 * FILENAME_MAX_BYTES];
		long dlen;

		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		if (len == 0)
			return "Upload-Metadata: empty pair";
		sp = memchr(p, ' ', len);
		klen = sp ? (size_t)(sp - p) : len;
		val = sp ? sp + 1 : p + len;
		vlen = sp ? len - klen - 1 : 0;
		while (vlen > 0 && (val[vlen - 1] == ' ' || val[vlen - 1] == '\t'))
			vlen--;
		if (klen == 0 || klen >= sizeof(key))
			return "Upload-Metadata: a key empty or longer than 63 bytes";
		for (size_t i = 0; i < klen; i++)
			if (p[i] <= ' ' || p[i] > '~' || p[i] == ',')
				return "Upload-Metadata: a key with a byte that is not printable ASCII";
		memcpy(key, p, klen);
		key[klen] = '\0';
		if (nkeys == TUS_META_KEYS_MAX)
			return "Upload-Metadata: more than 16 keys";
		for (unsigned i = 0; i < nkeys; i++)
			if (strcmp(seen[i], key) == 0)
				return "Upload-Metadata: a key given twice";
		memcpy(seen[nkeys++], key, klen + 1);
		if (memchr(val, ' ', vlen) != NULL)
			return "Upload-Metadata: a value that is not base64";
		dlen = vlen ? util_unb64(val, vlen, dec, sizeof(dec)) : 0;
		if (dlen < 0)
			return "Upload-Metadata: a value that is not base64";
#define TUS_META_SET(field, lenf, flag) do { \
		if ((size_t)dlen >= sizeof(m->field)) \
			return "Upload-Metadata: " #field " too long"; \
		memcpy(m->field, dec, (size_t)dlen); \
		m->field[dlen] = '\0'; \
		lenf = (size_t)dlen; \
		m->flag = 1; \
	} while (0)
		if (strcmp(key, "kind") == 0) {
			size_t kl;

			TUS_META_SET(kind, kl, has_kind);
			if (strlen(m->kind) != kl)
				return "Upload-Metadata: kind with a NUL";
		} else if (strcmp(key, "filename") == 0)
			TUS_META_SET(filename, m->filename_len, has_filename);
		else if (strcmp(key, "ref") == 0)
			TUS_META_SET(ref, m->ref_len, has_ref);
		else if (strcmp(key, "plan") == 0)
			TUS_META_SET(plan, m->plan_len, has_plan);
		else if (strcmp(key, "for") == 0)
			TUS_META_SET(for_party, m->for_len, has_for);
#undef TUS_META_SET
		p = comma ? comma + 1 : p + len;
		if (comma && *p == '\0')
			return "Upload-Metadata: empty pair";
	}
	if (!m->has_kind || !m->has_filename)
		return "Upload-Metadata: kind and filename are required";
	return NULL;
}

/* The claims of M as the PUT path takes them: "{kind}/{filename}" and a query. */
static int
tus_claims_of(const struct tus_meta *m, char *path, size_t pathlen, char *query,
    size_t querylen)
{
	size_t n = 0, q = 0;

	if (tus_pct(path, pathlen, &n, m->kind, strlen(m->kind)) == -1 ||
	    tus_cat(path, pathlen, &n, "/") == -1 ||
	    tus_pct(path, pathlen, &n, m->filename, m->filename_len) == -1)
		return -1;
	query[0] = '\0';
	if (m->has_ref && (tus_cat(query, querylen, &q, "ref=") == -1 ||
	    tus_pct(query, querylen, &q, m->ref, m->ref_len) == -1))
		return -1;
	if (m->has_plan && (tus_cat(query, querylen, &q, q ? "&plan=" : "plan=") == -1 ||
	    tus_pct(query, querylen, &q, m->plan, m->plan_len) == -1))
		return -1;
	if (m->has_for && (tus_cat(query, querylen, &q, q ? "&for=" : "for=") == -1 ||
	    tus_pct(query, querylen, &q, m->for_party, m->for_len) == -1))
		return -1;
	return 0;
}

/* The claims of a stored upload, for the check at completion. */
static int
tus_meta_of(const struct tus_upload *u, struct tus_meta *m)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->kind, sizeof(m->kind), "%s", u->kind);
	m->filename_len = strlen(u->filename);
	memcpy(m->filename, u->filename, m->filename_len + 1);
	if (u->ref[0]) {
		m->has_ref = 1;
		m->ref_len = strlen(u->ref);
		memcpy(m->ref, u->ref, m->ref_len + 1);
	}
	if (u->plan[0]) {
		m->has_plan = 1;
		m->plan_len = strlen(u->plan);
		memcpy(m->plan, u->plan, m->plan_len + 1);
	}
	if (u->for_party[0]) {
		m->has_for = 1;
		m->for_len = strlen(u->for_party);
		memcpy(m->for_party, u->for_party, m->for_len + 1);
	}
	return 0;
}

static void
tus_options(struct conn *c)
{
	char extra[256];

	snprintf(extra, sizeof(extra), "Tus-Version: " TUS_VERSION "\r\n"
	    "Tus-Extension: " TUS_EXTENSIONS "\r\n"
	    "Tus-Max-Size: %llu\r\n"
	    "Tus-Checksum-Algorithm: sha256,sha1\r\n",
	    (unsigned long long)c->rt->policy->max_upload);
	/* OPTIONS carries no Tus-Resumable (tus 1.0.0, core protocol). */
	conn_respond_hdr(c, 204, NULL, extra, NULL, 0, 0);
}

/* POST /v1/uploads: creation. Everything is decided before a file exists. */
static int
tus_create(struct conn *c)
{
	struct tus *t = c->front->tus;
	struct tus_req *r = &c->treq;
	struct tus_meta m;
	struct tus_upload *u;
	char path[4 * FILENAME_MAX_BYTES + 4 * KIND_NAME_MAX], query[4 * (REF_MAX + 64)];
	char part[PATH_MAX], extra[128], msg[160];
	uint8_t rnd[TUS_ID_BYTES];
	const char *why;
	unsigned count, retry;
	uint64_t bytes, max;
	int fd;

	if (r->defer)
		return tus_refuse(c, 400, NULL, NULL, "Upload-Defer-Length is not supported");
	if (!r->has_length || r->bad_number)
		return tus_refuse(c, 400, NULL, NULL, "Upload-Length: a decimal number is required");
	if (!r->has_meta)
		return tus_refuse(c, 400, NULL, NULL, "Upload-Metadata with kind and filename required");
	if (r->meta_twice)
		return tus_refuse(c, 400, NULL, NULL, "Upload-Metadata given twice");
	if (r->meta_long)
		return tus_refuse(c, 400, NULL, NULL, "Upload-Metadata longer than 1024 bytes");
	if ((why = tus_parse_meta(r->meta, &m)) != NULL)
		return tus_refuse(c, 400, NULL, NULL, why);
	/* The PUT path's own checks, on the same claims. */
	memset(&c->up, 0, sizeof(c->up));
	c->up.fd = -1;
	if (tus_claims_of(&m, path, sizeof(path), query, sizeof(query)) == -1)
		return tus_refuse(c, 400, NULL, NULL, "Upload-Metadata: a value too long");
	if (upload_claims(c, path, query) == -1)
		return -1;
	max = policy_max_upload(c->rt->policy, c->up.kind);
	if (r->length > max) {
		snprintf(msg, sizeof(msg), "Upload-Length exceeds max_upload of %llu bytes",
		    (unsigned long long)max);
		return tus_refuse(c, 413, NULL, NULL, msg);
	}
	tus_party_usage(t, c->party_id, &count, &bytes);
	if (count >= c->front->cfg->resumable_per_party)
		return conn_refuse_retry(c, 429, "too many partial uploads for this Party "
		    "(resumable_per_party)", 60);
	if (bytes + r->length > c->front->cfg->resumable_bytes_party)
		return tus_refuse(c, 507, NULL, NULL, "partial uploads of this Party would exceed "
		    "resumable_bytes_party");
	if (t->n >= TUS_UPLOADS_MAX)
		return conn_refuse_retry(c, 503, "too many partial uploads", 60);
	if (limits_upload_start(c->usage ? c->usage :
	    limits_usage(c->front->limits, c->party_id, c->front->cfg),
	    c->front->cfg, r->length, &retry) == -1)
		return conn_refuse_retry(c, 429, "upload rate or daily volume limit reached", retry);
	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		free(u);
		return tus_refuse(c, 500, NULL, NULL, "out of memory");
	}
	u->fd = -1;
	util_hex(rnd, sizeof(rnd), u->id);
	snprintf(u->owner, sizeof(u->owner), "%s", c->party_id);
	snprintf(u->kind, sizeof(u->kind), "%s", c->up.kind_name);
	snprintf(u->filename, sizeof(u->filename), "%s", c->up.filename);
	snprintf(u->ref, sizeof(u->ref), "%s", c->up.ref);
	snprintf(u->for_party, sizeof(u->for_party), "%s", c->up.for_party);
	if (c->up.has_plan)
		snprintf(u->plan, sizeof(u->plan), "%llu", (unsigned long long)c->up.plan);
	u->length = r->length;
	u->nul_at = UINT64_MAX;
	u->expires = tus_now() + c->front->cfg->resumable_expiry;
	memset(&c->up, 0, sizeof(c->up));
	c->up.fd = -1;
	if (tus_path(t, u->id, "part", part, sizeof(part)) == -1 ||
	    (fd = open(part, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1 ||
	    (close(fd), tus_write_info(t, u)) == -1) {
		int e = errno;

		log_warn("resumable upload %s", u->id);
		unlink(part);
		free(u);
		return tus_refuse(c, e == ENOSPC || e == EDQUOT ? 507 : 500, NULL, NULL,
		    "cannot store upload");
	}
	u->next = t->list;
	t->list = u;
	t->n++;
	snprintf(extra, sizeof(extra), "Location: /v1/uploads/%s\r\n", u->id);
	tus_answer(c, 201, u, extra, NULL, 0);
	return 0;
}

/* H's PATCH of U has all its body and its spool has written it (or is
 * about to: the loop waits): the PATCH ends as tus_end would have ended
 * it, answered on H, or handed on as a PUT's body when it completes the
 * upload (U is then gone). */
static void
tus_patch_settle(struct conn *h, struct tus_upload *u)
{
	int err;

	(void)spool_wait(h->up.spool, &err);
	if (tus_patch_finish(h, u) == 1)
		upload_finish(h);
	else if (h->state == CONN_WAITING)
		conn_resume(h);
	/* The client went away meanwhile and nothing refers to it. */
	if (h->state == CONN_CLOSED && !h->pending)
		conn_release(h);
}

/* A PATCH of the same Party is in flight on another connection (a client
 * that lost it and came back before we noticed): it ends now, keeping
 * what it wrote, so that the offset answered is the truth. One whose body
 * is all in, still being written by its spool, ends as it would have
 * (tus_patch_settle). Returns U, or NULL when that completed the upload. */
static struct tus_upload *
tus_take_over(struct tus *t, struct tus_upload *u)
{
	char id[TUS_ID_LEN + 1];

	if (u->holder != NULL && u->holder->up.spool_ended) {
		snprintf(id, sizeof(id), "%s", u->id);
		tus_patch_settle(u->holder, u);
		if ((u = tus_find(t, id)) == NULL)
			return NULL;
	}
	if (u->holder)
		conn_drop(u->holder, "the upload was resumed on another connection");
	return u;
}

/* The upload named by ID for this Party, or NULL (answered). */
static struct tus_upload *
tus_lookup(struct conn *c, const char *id)
{
	struct tus *t = c->front->tus;
	struct tus_upload *u;

	if (!tus_is_id(id, strlen(id)) ||
	    (u = tus_find(t, id)) == NULL || strcmp(u->owner, c->party_id) != 0) {
		tus_refuse(c, 404, NULL, NULL, "no such upload");
		return NULL;
	}
	if (u->expires <= tus_now() && u->holder == NULL) {
		tus_forget(t, u, 1);
		tus_refuse(c, 410, NULL, NULL, "the upload has expired");
		return NULL;
	}
	return u;
}

static int
tus_checksum_start(struct conn *c, struct tus_upload *u)
{
	const char *v = c->treq.checksum, *sp;
	const EVP_MD *md;
	long n;

	if (c->treq.checksum_long)
		return tus_refuse(c, 400, u, NULL, "Upload-Checksum too long");
	if (v[0] == '\0')
		return 0;
	if ((sp = strchr(v, ' ')) == NULL)
		return tus_refuse(c, 400, u, NULL, "Upload-Checksum: \"algorithm base64\"");
	if ((size_t)(sp - v) == 6 && strncasecmp(v, "sha256", 6) == 0)
		md = EVP_sha256();
	else if ((size_t)(sp - v) == 4 && strncasecmp(v, "sha1", 4) == 0)
		md = EVP_sha1();
	else
		return tus_refuse(c, 400, u, NULL, "Upload-Checksum: algorithm not supported "
		    "(sha256, sha1)");
	n = util_unb64(sp + 1, strlen(sp + 1), u->want, sizeof(u->want));
	if (n != EVP_MD_get_size(md))
		return tus_refuse(c, 400, u, NULL, "Upload-Checksum: not a digest of its algorithm");
	u->wantlen = (size_t)n;
	if ((u->check = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(u->check, md, NULL) != 1)
		return tus_refuse(c, 500, u, NULL, "out of memory");
	return 0;
}

/* Ends the PATCH's spool; its bytes are what the spool wrote, in order.
 * KEEP: it waits for the spool to write every byte it was handed (at once
 * when the spool is done; cut short, the loop blocks, as for the PATCH's
 * fdatasync); else what is still queued is dropped. A write error becomes
 * the PATCH's. */
static void
tus_spool_close(struct conn *c, struct tus_upload *u, int keep)
{
	int err = 0;
	uint64_t upto;

	if (keep && !u->werr) {
		spool_end(c->up.spool);
		upto = spool_wait(c->up.spool, &err);
	} else
		upto = spool_halt(c->up.spool, &err);
	if (upto < u->offset + u->written) {
		u->written = upto > u->offset ? upto - u->offset : 0;
		/* a NUL seen in the bytes dropped is not in the file */
		if (u->nul_at != u->nul_at0 && u->nul_at >= u->offset + u->written)
			u->nul_at = u->nul_at0;
	}
	if (err != 0 && !u->werr) {
		errno = err;
		log_warn("resumable upload %s: write", u->id);
		u->werr = err;
	}
	spool_free(c->up.spool);
	c->up.spool = NULL;
	c->up.spool_ended = 0;
	c->pending = 0;
}

/* Ends the PATCH in progress, without an answer. KEEP: what it wrote
 * counts (fdatasync'ed and recorded); else it is cut back. 0, or -1 when
 * keeping failed (then it was cut back). */
static int
tus_patch_end(struct conn *c, struct tus_upload *u, int keep)
{
	struct tus *t = c->front->tus;
	int r = 0;

	if (c->up.spool != NULL)
		tus_spool_close(c, u, keep);
	if (keep && u->written > 0 && !u->werr) {
		/* the expiry moves on with each PATCH that adds bytes */
		u->expires = tus_now() + c->front->cfg->resumable_expiry;
		if (fdatasync(u->fd) == 0 &&
		    tus_persist(t, u, u->offset + u->written, u->nul_at) == 0) {
			u->offset += u->written;
			/* the notary may read this far: it is durable and final */
			if (u->prehash)
				notaryc_prehash_more(t->f->notary, u->prehash, u->offset);
		} else {
			log_warn("resumable upload %s: cannot make %llu bytes durable", u->id,
			    (unsigned long long)u->written);
			keep = 0;
			r = -1;
		}
	}
	if ((!keep || u->werr) && u->written > 0) {
		/* beyond what the notary was told: nothing of it was read */
		if (ftruncate(u->fd, (off_t)u->offset) == -1)
			/* a restart cuts it back to the recorded offset */
			log_warn("resumable upload: cut back to %llu bytes",
			    (unsigned long long)u->offset);
		u->nul_at = u->nul_at0;
	}
	u->written = 0;
	close(u->fd);
	u->fd = -1;
	EVP_MD_CTX_free(u->check);
	u->check = NULL;
	u->holder = NULL;
	c->up.tus = NULL;
	return r;
}

void
tus_abort(struct conn *c)
{
	struct tus_upload *u = c->up.tus;

	uint64_t written;

	if (u == NULL)
		return;
	written = u->written;
	/* A PATCH with a checksum is all or nothing (tus checksum extension). */
	tus_patch_end(c, u, u->check == NULL);
	log_info("resumable upload %s party=%s: a PATCH cut short after %llu bytes; "
	    "stands at %llu of %llu", u->id, u->owner, (unsigned long long)written,
	    (unsigned long long)u->offset, (unsigned long long)u->length);
}

/* In the loop thread: the PATCH's spool has room again, or has finished. */
static void
tus_spool_wake(void *arg)
{
	struct conn *c = arg;
	struct tus_upload *u = c->up.tus;
	int err;

	if (c->up.spool == NULL || u == NULL)
		return;
	if (c->up.spool_ended) {
		if (spool_done(c->up.spool, &err))
			tus_patch_settle(c, u);
		return;
	}
	if (spool_room(c->up.spool) && c->bev && c->state == CONN_READING && c->in_body) {
		bufferevent_enable(c->bev, EV_READ);
		conn_read_more(c);
	}
}

/* PATCH /v1/uploads/<id>: headers. */
static int
tus_patch_begin(struct conn *c, struct tus_upload *u)
{
	struct tus *t = c->front->tus;
	char path[PATH_MAX], extra[64];

	if (!c->treq.octet_stream)
		return tus_refuse(c, 415, u, NULL,
		    "Content-Type must be application/offset+octet-stream");
	if (!c->treq.has_offset || c->treq.bad_number)
		return tus_refuse(c, 400, u, NULL, "Upload-Offset: a decimal number is required");
	if ((u = tus_take_over(t, u)) == NULL)
		return tus_refuse(c, 404, NULL, NULL, "no such upload");
	if (c->treq.offset != u->offset) {
		snprintf(extra, sizeof(extra), "Upload-Offset: %llu\r\n",
		    (unsigned long long)u->offset);
		return tus_refuse(c, 409, u, extra, "Upload-Offset is not the upload's offset");
	}
	if (!(c->parser.flags & F_CHUNKED) && (c->parser.flags & F_CONTENT_LENGTH) == 0)
		return tus_refuse(c, 411, u, NULL, "Content-Length or chunked encoding required");
	if (!(c->parser.flags & F_CHUNKED) && c->parser.content_length > u->length - u->offset)
		return tus_refuse(c, 413, u, NULL, "the body goes past Upload-Length");
	if (tus_checksum_start(c, u) == -1)
		return -1;
	if (tus_path(t, u->id, "part", path, sizeof(path)) == -1 ||
	    (u->fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		log_warn("resumable upload %s", u->id);
		EVP_MD_CTX_free(u->check);
		u->check = NULL;
		return tus_refuse(c, 500, u, NULL, "cannot open the upload");
	}
	if (u->prehash == 0 && u->length >= SPOOL_AFTER) {
		/* A large upload: the notary hashes what each PATCH made durable
		 * while the rest arrives (notary/prehash.h), so that the last
		 * PATCH's answer waits only for its own bytes. Kept across
		 * PATCHes; a new daemon starts a new one, from byte 0. */
		int rfd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

		if (rfd != -1) {
			u->prehash = notaryc_prehash_open(c->front->notary, rfd);
			close(rfd);
			if (u->prehash && u->offset)
				notaryc_prehash_more(c->front->notary, u->prehash, u->offset);
		}
	}
	u->written = 0;
	u->werr = 0;
	u->nul_at0 = u->nul_at;
	u->holder = c;
	memset(&c->up, 0, sizeof(c->up));
	c->up.fd = -1;
	c->up.tus = u;
	c->up.nul_at = UINT64_MAX;
	clock_gettime(CLOCK_MONOTONIC, &c->up.began);
	/* A PATCH of at least SPOOL_AFTER bytes goes through a spool, as a
	 * PUT's body does: the loop copies, threads hash (an Upload-Checksum)
	 * and write, with O_DIRECT unless the kind admits archives. */
	c->up.declared = (c->parser.flags & F_CHUNKED) ? UINT64_MAX : c->parser.content_length;
	c->up.nospool = (c->up.declared == UINT64_MAX ? u->length - u->offset :
	    c->up.declared) < SPOOL_AFTER;
	c->up.direct = upload_direct(policy_kind(c->rt->policy, u->kind));
	if (u->length - u->offset >= SPOOL_AFTER)
		conn_large_body(c);
	return 1;
}

int
tus_begin(struct conn *c, int method, const char *rest, const char *query)
{
	struct tus_upload *u;
	int collection = rest[0] == '\0';

	(void)query;   /* the claims are in Upload-Metadata */
	c->treq.answer = method != HTTP_OPTIONS;   /* tus 1.0.0: not on OPTIONS's */
	if (method == HTTP_OPTIONS) {
		c->tus_method = method;
		return 1;
	}
	if (c->treq.resumable != 1)
		return tus_refuse(c, 412, NULL, "Tus-Version: " TUS_VERSION "\r\n",
		    "Tus-Resumable: 1.0.0 required");
	if (method != HTTP_PATCH && (c->parser.content_length > 0 || (c->parser.flags & F_CHUNKED)))
		return tus_refuse(c, 400, NULL, NULL, "this request has no body "
		    "(creation-with-upload is not supported)");
	c->tus_method = method;
	if (collection) {
		if (method != HTTP_POST)
			return tus_refuse(c, 405, NULL, NULL, "use POST to create an upload");
		return 1;   /* created at the end of the request (no body) */
	}
	if (method != HTTP_HEAD && method != HTTP_PATCH && method != HTTP_DELETE)
		return tus_refuse(c, 405, NULL, NULL, "use HEAD, PATCH or DELETE on an upload");
	if ((u = tus_lookup(c, rest)) == NULL)
		return -1;
	snprintf(c->tus_id, sizeof(c->tus_id), "%s", u->id);
	if (method == HTTP_PATCH)
		return tus_patch_begin(c, u) == -1 ? -1 : 0;
	return 1;
}

int
tus_body(struct conn *c, const char *at, size_t len)
{
	struct tus_upload *u = c->up.tus;
	size_t n = len;
	uint64_t pos;

	if (u == NULL)
		return -1;
	if (u->written + len > u->length - u->offset)
		return tus_refuse(c, 413, u, NULL, "the body goes past Upload-Length");
	c->up.received += len;
	c->front->n_bytes += len;
	if (c->usage && limits_bytes(c->usage, c->front->cfg, len) == -1) {
		c->up.over_budget = 1;
		return -1;   /* conn.c answers 429; the PATCH keeps what it wrote */
	}
	if (u->werr)
		return 0;
	pos = u->offset + u->written;
	if (u->nul_at == UINT64_MAX && pos + len > TYPES_MAGIC_BYTES) {
		size_t skip = pos >= TYPES_MAGIC_BYTES ? 0 : (size_t)(TYPES_MAGIC_BYTES - pos);
		const char *z = memchr(at + skip, 0, len - skip);

		if (z != NULL)
			u->nul_at = pos + (uint64_t)(z - at);
	}
	if (c->up.spool == NULL && !c->up.nospool && pos >= SPOOL_AFTER) {
		/* past the first SPOOL_AFTER bytes of the file, which stay in
		 * the page cache for the inspector to type, as a PUT's do */
		c->up.spool = spool_start(c->front->base, u->fd, pos, c->up.direct, u->check,
		    NULL, tus_spool_wake, c);
		c->up.nospool = c->up.spool == NULL;
	}
	if (c->up.spool != NULL) {
		u->written += len;
		if (spool_add(c->up.spool, at, len) && c->bev)
			bufferevent_disable(c->bev, EV_READ);   /* until tus_spool_wake */
		return 0;
	}
	if (u->check)
		EVP_DigestUpdate(u->check, at, len);
	while (n > 0) {
		ssize_t w = pwrite(u->fd, at, n, (off_t)pos);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			u->werr = errno;
			log_warn("resumable upload %s: write", u->id);
			return 0;
		}
		at += w;
		pos += (uint64_t)w;
		n -= (size_t)w;
	}
	if ((u->written) / TUS_WRITEBACK != (u->written + len) / TUS_WRITEBACK) {
		uint64_t end = (u->offset + u->written + len) / TUS_WRITEBACK * TUS_WRITEBACK;

		if (end >= TUS_WRITEBACK)
			(void)sync_file_range(u->fd, (off64_t)(end - TUS_WRITEBACK), TUS_WRITEBACK,
			    SYNC_FILE_RANGE_WRITE);
	}
	u->written += len;
	return 0;
}

/* The upload is all there: into the quarantine, and c->up made as a PUT's
 * body would have left it. 1 ready for upload_finish, 0 answered. */
static int
tus_complete(struct conn *c, struct tus_upload *u)
{
	struct tus *t = c->front->tus;
	struct tus_meta m;
	char path[4 * FILENAME_MAX_BYTES + 4 * KIND_NAME_MAX], query[4 * (REF_MAX + 64)];
	char part[PATH_MAX], qdir[PATH_MAX], q[PATH_MAX], hex[33];
	struct timespec began = c->up.began;
	uint8_t rnd[16];
	int fd;

	/* The claims again, against the policy and parties of now (a reload
	 * may have changed them): the notary must never be told what it would
	 * refuse. Refused, the upload can never complete: it goes. */
	memset(&c->up, 0, sizeof(c->up));
	c->up.fd = -1;
	tus_meta_of(u, &m);
	if (tus_claims_of(&m, path, sizeof(path), query, sizeof(query)) == -1 ||
	    upload_claims(c, path, query) == -1) {
		if (!c->refused)
			tus_refuse(c, 400, NULL, NULL, "the upload's claims are no longer valid");
		log_info("resumable upload %s party=%s removed: its claims no longer pass",
		    u->id, u->owner);
		tus_forget(t, u, 1);
		return 0;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		goto fail;
	util_hex(rnd, sizeof(rnd), hex);
	if (tus_path(t, u->id, "part", part, sizeof(part)) == -1 ||
	    store_quarantine_dir(c->front->cfg->data, qdir, sizeof(qdir)) == -1 ||
	    snprintf(q, sizeof(q), "%s/q-%s", qdir, hex) >= (int)sizeof(q))
		goto fail;
	if ((fd = open(part, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1)
		goto fail;
	if (renameat2(AT_FDCWD, part, AT_FDCWD, q, RENAME_NOREPLACE) == -1) {
		close(fd);
		goto fail;
	}
	c->up.fd = fd;
	snprintf(c->up.path, sizeof(c->up.path), "%s", q);
	/* no hash of the front's: the notary's is the entry's (has_sha256 0) */
	c->up.stored = c->up.received = u->length;
	c->up.max = policy_max_upload(c->rt->policy, c->up.kind);
	c->up.nul_at = u->nul_at;
	c->up.prehash = u->prehash;
	u->prehash = 0;
	c->up.began = began;
	snprintf(c->up.answer_hdr, sizeof(c->up.answer_hdr), "Upload-Offset: %llu\r\n",
	    (unsigned long long)u->length);
	log_info("resumable upload %s party=%s complete: %llu bytes", u->id, u->owner,
	    (unsigned long long)u->length);
	tus_forget(t, u, 1);   /* the .info; the .part is the quarantine's now */
	return 1;
fail:
	log_warn("resumable upload %s: cannot hand over", u->id);
	tus_refuse(c, 500, u, NULL, "the upload could not be handed over; try again");
	return 0;
}

int
tus_end(struct conn *c)
{
	struct tus *t = c->front->tus;
	struct tus_upload *u;
	char extra[128];

	switch (c->tus_method) {
	case HTTP_OPTIONS:
		tus_options(c);
		return 0;
	case HTTP_POST:
		tus_create(c);
		return 0;
	default:
		break;
	}
	if ((u = tus_find(t, c->tus_id)) == NULL || strcmp(u->owner, c->party_id) != 0) {
		tus_refuse(c, 404, NULL, NULL, "no such upload");
		return 0;
	}
	if (c->tus_method == HTTP_HEAD) {
		if ((u = tus_take_over(t, u)) == NULL) {
			tus_refuse(c, 404, NULL, NULL, "no such upload");
			return 0;
		}
		snprintf(extra, sizeof(extra), "Upload-Offset: %llu\r\nUpload-Length: %llu\r\n",
		    (unsigned long long)u->offset, (unsigned long long)u->length);
		tus_answer(c, 200, u, extra, NULL, 0);
		return 0;
	}
	if (c->tus_method == HTTP_DELETE) {
		if ((u = tus_take_over(t, u)) == NULL) {
			tus_refuse(c, 404, NULL, NULL, "no such upload");
			return 0;
		}
		log_info("resumable upload %s party=%s terminated at %llu of %llu bytes", u->id,
		    u->owner, (unsigned long long)u->offset, (unsigned long long)u->length);
		tus_forget(t, u, 1);
		tus_answer(c, 204, NULL, NULL, NULL, 0);
		return 0;
	}
	/* PATCH: the body is in. */
	if (c->up.tus != u)
		return 0;   /* ended already (answered) */
	if (c->up.spool != NULL) {
		/* tus_spool_wake ends the PATCH once all of it is written */
		spool_end(c->up.spool);
		c->up.spool_ended = 1;
		c->pending = 1;
		if (c->bev)
			bufferevent_disable(c->bev, EV_READ);
		return 2;
	}
	return tus_patch_finish(c, u);
}

/* The PATCH's body is in and written: checked, made durable and answered
 * (0), or the upload is complete and goes on as a PUT's body (1). */
static int
tus_patch_finish(struct conn *c, struct tus_upload *u)
{
	char extra[128];

	if (c->up.spool != NULL)
		tus_spool_close(c, u, 1);
	if (u->werr) {
		int e = u->werr;

		tus_patch_end(c, u, 0);
		tus_refuse(c, e == ENOSPC || e == EDQUOT ? 507 : 500, u, NULL,
		    e == ENOSPC || e == EDQUOT ? "insufficient storage" : "cannot store upload");
		return 0;
	}
	if (u->check) {
		uint8_t got[EVP_MAX_MD_SIZE];
		unsigned len = 0;

		EVP_DigestFinal_ex(u->check, got, &len);
		if (len != u->wantlen || memcmp(got, u->want, len) != 0) {
			tus_patch_end(c, u, 0);
			tus_refuse(c, 460, u, NULL, "Upload-Checksum does not match the body; "
			    "nothing of it was kept");
			return 0;
		}
	}
	if (tus_patch_end(c, u, 1) == -1) {
		tus_refuse(c, 500, u, NULL, "cannot store upload");
		return 0;
	}
	if (u->offset < u->length) {
		snprintf(extra, sizeof(extra), "Upload-Offset: %llu\r\n",
		    (unsigned long long)u->offset);
		tus_answer(c, 204, u, extra, NULL, 0);
		return 0;
	}
	return tus_complete(c, u);
}
