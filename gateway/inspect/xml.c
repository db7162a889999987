/*
 * inspect/xml.c: bounded, entity-free XML parsing of zip members (xml.h).
 *
 * Runs in the inspector. expat does the parsing; what is ours is the
 * refusal of every DTD feature (a DOCTYPE stops the parse before anything
 * in it is used: no internal subset, no entity, no external fetch, so no
 * XXE and no billion laughs), the depth and byte limits, and a libarchive
 * zip reader over pread (the central directory, as Office reads it; zip is
 * the only format registered, so a tar or a 7z is not silently accepted).
 * It never writes, never allocates more than one read block and expat's
 * own state, and never trusts a size declared in the zip.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <expat.h>

#include "inspect/xml.h"

#define XML_ZIP_BLOCK  (64 * 1024)  /* bytes per pread of the zip file */
#define XML_FEED_BLOCK (16 * 1024)  /* bytes per archive_read_data into expat */

struct zipsrc {
	int      fd;
	uint64_t size;
	uint64_t pos;
	uint8_t  buf[XML_ZIP_BLOCK];
};

struct xml_state {
	XML_Parser                p;
	const struct xml_limits  *lim;
	const struct xml_handler *h;
	unsigned                  depth;
	uint64_t                  bytes;
	enum xml_err              err;
};

static la_ssize_t zipsrc_read(struct archive *, void *, const void **);
static la_int64_t zipsrc_seek(struct archive *, void *, la_int64_t, int);
static la_int64_t zipsrc_skip(struct archive *, void *, la_int64_t);
static int zipsrc_close(struct archive *, void *);
static struct archive *zip_new(void);
static void xml_stop(struct xml_state *, enum xml_err);
static void XMLCALL xml_on_start(void *, const XML_Char *, const XML_Char **);
static void XMLCALL xml_on_end(void *, const XML_Char *);
static void XMLCALL xml_on_text(void *, const XML_Char *, int);
static void XMLCALL xml_on_doctype(void *, const XML_Char *, const XML_Char *,
    const XML_Char *, int);
static void XMLCALL xml_on_entity(void *, const XML_Char *, int, const XML_Char *,
    int, const XML_Char *, const XML_Char *, const XML_Char *, const XML_Char *);
static int XMLCALL xml_on_extref(XML_Parser, const XML_Char *, const XML_Char *,
    const XML_Char *, const XML_Char *);
static int xml_begin(struct xml_state *, const struct xml_limits *,
    const struct xml_handler *);
static int xml_feed(struct xml_state *, const void *, size_t, int);
static void xml_finish(struct xml_state *);

/* ---- the zip reader ---- */

static la_ssize_t
zipsrc_read(struct archive *a, void *arg, const void **out)
{
	struct zipsrc *s = arg;
	size_t want;
	ssize_t n;

	if (s->pos >= s->size)
		return 0;
	want = s->size - s->pos < XML_ZIP_BLOCK ? (size_t)(s->size - s->pos) : XML_ZIP_BLOCK;
	do
		n = pread(s->fd, s->buf, want, (off_t)s->pos);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		archive_set_error(a, n < 0 ? errno : EIO, "read of the package failed");
		return ARCHIVE_FATAL;
	}
	s->pos += (uint64_t)n;
	*out = s->buf;
	return n;
}

static la_int64_t
zipsrc_seek(struct archive *a, void *arg, la_int64_t off, int whence)
{
	struct zipsrc *s = arg;
	la_int64_t base;

	switch (whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (la_int64_t)s->pos; break;
	case SEEK_END: base = (la_int64_t)s->size; break;
	default: return ARCHIVE_FATAL;
	}
	if ((off < 0 && -off > base) || (off > 0 && off > (la_int64_t)s->size - base)) {
		archive_set_error(a, EINVAL, "seek outside the package");
		return ARCHIVE_FATAL;
	}
	s->pos = (uint64_t)(base + off);
	return (la_int64_t)s->pos;
}

static la_int64_t
zipsrc_skip(struct archive *a, void *arg, la_int64_t req)
{
	struct zipsrc *s = arg;
	uint64_t n;

	(void)a;
	if (req <= 0)
		return 0;
	n = s->size - s->pos;
	if ((uint64_t)req < n)
		n = (uint64_t)req;
	s->pos += n;
	return (la_int64_t)n;
}

static int
zipsrc_close(struct archive *a, void *arg)
{
	(void)a;
	free(arg);
	return ARCHIVE_OK;
}

static struct archive *
zip_new(void)
{
	struct archive *a;

	if ((a = archive_read_new()) == NULL)
		return NULL;
	/* zip only, never _all: a package is a zip or it is nothing. */
	if (archive_read_support_format_zip_seekable(a) != ARCHIVE_OK) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

struct archive *
xml_zip_open_fd(int fd, uint64_t size)
{
	struct archive *a;
	struct zipsrc *s;

	if ((a = zip_new()) == NULL)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		archive_read_free(a);
		return NULL;
	}
	s->fd = fd;
	s->size = size;
	if (archive_read_set_read_callback(a, zipsrc_read) != ARCHIVE_OK ||
	    archive_read_set_seek_callback(a, zipsrc_seek) != ARCHIVE_OK ||
	    archive_read_set_skip_callback(a, zipsrc_skip) != ARCHIVE_OK ||
	    archive_read_set_close_callback(a, zipsrc_close) != ARCHIVE_OK ||
	    archive_read_set_callback_data(a, s) != ARCHIVE_OK) {
		free(s);
		archive_read_free(a);
		return NULL;
	}
	/* From here on the close callback owns S (archive_read_free calls it). */
	if (archive_read_open1(a) != ARCHIVE_OK) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

struct archive *
xml_zip_open_mem(const void *buf, size_t len)
{
	struct archive *a;

	if ((a = zip_new()) == NULL)
		return NULL;
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

void
xml_zip_close(struct archive *a)
{
	if (a != NULL)
		archive_read_free(a);
}

/* ---- the expat side ---- */

static void
xml_stop(struct xml_state *st, enum xml_err e)
{
	if (st->err == XMLERR_OK)
		st->err = e;
	XML_StopParser(st->p, XML_FALSE);
}

static void XMLCALL
xml_on_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct xml_state *st = arg;

	if (++st->depth > st->lim->depth) {
		xml_stop(st, XMLERR_DEPTH);
		return;
	}
	if (st->h->start != NULL && st->h->start(st->h->arg, name, attrs) == -1)
		xml_stop(st, XMLERR_CALLBACK);
}

static void XMLCALL
xml_on_end(void *arg, const XML_Char *name)
{
	struct xml_state *st = arg;

	if (st->depth > 0)
		st->depth--;
	if (st->h->end != NULL && st->h->end(st->h->arg, name) == -1)
		xml_stop(st, XMLERR_CALLBACK);
}

static void XMLCALL
xml_on_text(void *arg, const XML_Char *s, int len)
{
	struct xml_state *st = arg;

	if (st->h->text != NULL && st->h->text(st->h->arg, s, len) == -1)
		xml_stop(st, XMLERR_CALLBACK);
}

static void XMLCALL
xml_on_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	(void)name; (void)sysid; (void)pubid; (void)has_internal_subset;
	xml_stop(arg, XMLERR_DOCTYPE);
}

static void XMLCALL
xml_on_entity(void *arg, const XML_Char *name, int is_param, const XML_Char *value,
    int value_len, const XML_Char *base, const XML_Char *sysid,
    const XML_Char *pubid, const XML_Char *notation)
{
	(void)name; (void)is_param; (void)value; (void)value_len; (void)base;
	(void)sysid; (void)pubid; (void)notation;
	xml_stop(arg, XMLERR_ENTITY);
}

static int XMLCALL
xml_on_extref(XML_Parser p, const XML_Char *context, const XML_Char *base,
    const XML_Char *sysid, const XML_Char *pubid)
{
	struct xml_state *st = XML_GetUserData(p);

	(void)context; (void)base; (void)sysid; (void)pubid;
	if (st->err == XMLERR_OK)
		st->err = XMLERR_ENTITY;
	return XML_STATUS_ERROR;   /* never fetched */
}

static int
xml_begin(struct xml_state *st, const struct xml_limits *lim, const struct xml_handler *h)
{
	memset(st, 0, sizeof(*st));
	st->lim = lim;
	st->h = h;
	st->p = h->nssep ? XML_ParserCreateNS(NULL, h->nssep) : XML_ParserCreate(NULL);
	if (st->p == NULL) {
		st->err = XMLERR_NOMEM;
		return -1;
	}
	XML_SetUserData(st->p, st);
	XML_SetElementHandler(st->p, xml_on_start, xml_on_end);
	XML_SetCharacterDataHandler(st->p, xml_on_text);
	XML_SetStartDoctypeDeclHandler(st->p, xml_on_doctype);
	XML_SetEntityDeclHandler(st->p, xml_on_entity);
	XML_SetExternalEntityRefHandler(st->p, xml_on_extref);
	/* The DOCTYPE handler already stops the parse; this is belt and braces. */
	if (!XML_SetParamEntityParsing(st->p, XML_PARAM_ENTITY_PARSING_NEVER)) {
		XML_ParserFree(st->p);
		st->p = NULL;
		st->err = XMLERR_NOMEM;
		return -1;
	}
	return 0;
}

/* Feeds LEN bytes (FINAL: the last call). 0, or -1 with st->err set. */
static int
xml_feed(struct xml_state *st, const void *buf, size_t len, int final)
{
	const char *b = buf;

	if (len > st->lim->bytes || st->bytes > st->lim->bytes - len) {
		st->err = XMLERR_SIZE;
		return -1;
	}
	st->bytes += len;
	do {
		int n = len > XML_FEED_BLOCK ? XML_FEED_BLOCK : (int)len;
		int last = final && (size_t)n == len;

		if (st->lim->deadline != NULL) {
			struct timespec now;

			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec > st->lim->deadline->tv_sec ||
			    (now.tv_sec == st->lim->deadline->tv_sec &&
			    now.tv_nsec >= st->lim->deadline->tv_nsec)) {
				st->err = XMLERR_TIME;
				return -1;
			}
		}

		if (XML_Parse(st->p, b, n, last) != XML_STATUS_OK) {
			if (st->err == XMLERR_OK) {
				switch (XML_GetErrorCode(st->p)) {
				case XML_ERROR_UNKNOWN_ENCODING:
				case XML_ERROR_INCORRECT_ENCODING:
					st->err = XMLERR_ENCODING;
					break;
				case XML_ERROR_NO_MEMORY:
					st->err = XMLERR_NOMEM;
					break;
				default:
					st->err = XMLERR_SYNTAX;
					break;
				}
			}
			return -1;
		}
		if (st->err != XMLERR_OK)   /* a handler stopped it without an error return */
			return -1;
		b += n;
		len -= (size_t)n;
	} while (len > 0);
	return 0;
}

static void
xml_finish(struct xml_state *st)
{
	if (st->p != NULL)
		XML_ParserFree(st->p);
	st->p = NULL;
}

int
xml_parse_buffer(const void *buf, size_t len, const struct xml_limits *lim,
    const struct xml_handler *h, enum xml_err *err)
{
	struct xml_state st;
	int rc = -1;

	if (xml_begin(&st, lim, h) == -1)
		goto fail;
	if (xml_feed(&st, buf, len, 1) == -1)
		goto fail;
	rc = 0;
fail:
	*err = rc == 0 ? XMLERR_OK : st.err;
	xml_finish(&st);
	return rc;
}

/* xml_parse_entry_counted without the count. */
static int
xml_parse_entry(struct archive *a, const struct xml_limits *lim,
    const struct xml_handler *h, const void *prefix, size_t prefixlen,
    enum xml_err *err)
{
	uint64_t n = 0;

	return xml_parse_entry_counted(a, lim, h, prefix, prefixlen, err, &n);
}

int
xml_parse_entry_counted(struct archive *a, const struct xml_limits *lim,
    const struct xml_handler *h, const void *prefix, size_t prefixlen,
    enum xml_err *err, uint64_t *nbytes)
{
	struct xml_state st;
	char buf[XML_FEED_BLOCK];
	la_ssize_t n;
	int rc = -1;

	if (xml_begin(&st, lim, h) == -1)
		goto fail;
	if (prefixlen > 0 && xml_feed(&st, prefix, prefixlen, 0) == -1)
		goto fail;
	for (;;) {
		n = archive_read_data(a, buf, sizeof(buf));
		if (n < 0) {              /* ARCHIVE_WARN (a bad CRC) is fatal too */
			st.err = XMLERR_IO;
			goto fail;
		}
		if (xml_feed(&st, buf, (size_t)n, n == 0) == -1)
			goto fail;
		if (n == 0)
			break;
	}
	rc = 0;
fail:
	*err = rc == 0 ? XMLERR_OK : st.err;
	*nbytes += st.bytes;
	xml_finish(&st);
	return rc;
}

int
xml_parse_zip_member(int fd, uint64_t size, const char *name,
    const struct xml_limits *lim, const struct xml_handler *h, enum xml_err *err)
{
	struct archive *a = NULL;
	struct archive_entry *e;
	const char *path;
	uint64_t entries = 0, found = 0;
	int r;

	*err = XMLERR_IO;
	/* First walk: the member must be there exactly once. */
	if ((a = xml_zip_open_fd(fd, size)) == NULL)
		goto fail;
	while ((r = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		if (r != ARCHIVE_OK)
			goto fail;
		if (++entries > lim->members) {
			*err = XMLERR_LIMIT;
			goto fail;
		}
		if ((path = archive_entry_pathname(e)) == NULL)
			goto fail;
		if (strcasecmp(path, name) == 0)
			found++;
	}
	xml_zip_close(a);
	a = NULL;
	if (found != 1) {
		*err = found == 0 ? XMLERR_NOTFOUND : XMLERR_DUPLICATE;
		goto fail;
	}
	/* Second walk: parse it. */
	if ((a = xml_zip_open_fd(fd, size)) == NULL)
		goto fail;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if ((path = archive_entry_pathname(e)) != NULL && strcasecmp(path, name) == 0) {
			r = xml_parse_entry(a, lim, h, NULL, 0, err);
			xml_zip_close(a);
			return r;
		}
	}
	*err = XMLERR_IO;   /* the file changed between the walks */
fail:
	xml_zip_close(a);
	return -1;
}

const char *
xml_strerror(enum xml_err err)
{
	switch (err) {
	case XMLERR_OK:        return "no error";
	case XMLERR_DOCTYPE:   return "DOCTYPE declaration";
	case XMLERR_ENTITY:    return "entity declaration or external entity";
	case XMLERR_DEPTH:     return "elements nested too deep";
	case XMLERR_SIZE:      return "XML part too large";
	case XMLERR_ENCODING:  return "unsupported or inconsistent character encoding";
	case XMLERR_SYNTAX:    return "malformed XML";
	case XMLERR_CALLBACK:  return "stopped by the reader";
	case XMLERR_IO:        return "unreadable zip member";
	case XMLERR_NOTFOUND:  return "part not found";
	case XMLERR_DUPLICATE: return "part present more than once";
	case XMLERR_LIMIT:     return "too many zip members";
	case XMLERR_NOMEM:     return "out of memory";
	case XMLERR_TIME:      return "out of time";
	}
	return "unknown XML error";
}

const char *
xml_local(const char *name, char nssep)
{
	const char *s = strrchr(name, nssep ? nssep : ':');

	return s != NULL ? s + 1 : name;
}

const char *
xml_attr(const char **attrs, const char *local, char nssep)
{
	size_t i;

	if (attrs == NULL)
		return NULL;
	for (i = 0; attrs[i] != NULL && attrs[i + 1] != NULL; i += 2)
		if (strcmp(xml_local(attrs[i], nssep), local) == 0)
			return attrs[i + 1];
	return NULL;
}
