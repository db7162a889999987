/*
 * inspect/xml.h: bounded, entity-free XML parsing (expat) of zip members,
 * shared by the OOXML checks (ooxml.c) and the workbook reader (workbook.c).
 *
 * Runs in the inspector. Trusts nothing: a DOCTYPE (hence any DTD, entity
 * or external reference) aborts the parse (XMLERR_DOCTYPE), parameter
 * entities are never parsed, external entities are never loaded, an
 * encoding expat does not know is an error; element depth and document
 * bytes are capped by struct xml_limits. Zip packages are read with
 * libarchive's seekable zip reader only (the central directory, as Office
 * reads it) through pread (the fd offset is not used), ARCHIVE_WARN fatal.
 * It never writes anything and never follows a URL or a path in the XML.
 *
 * API: xml_zip_open_fd/_mem + xml_zip_close (a zip reader),
 * xml_parse_entry_counted (the current member of such a reader),
 * xml_parse_zip_member (one member by name), xml_parse_buffer, xml_strerror, xml_local, xml_attr.
 */
#ifndef INTAKE_XML_H
#define INTAKE_XML_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct archive;

enum xml_err {
	XMLERR_OK = 0,
	XMLERR_DOCTYPE,    /* a DOCTYPE declaration (DTD, entities: XXE, billion laughs) */
	XMLERR_ENTITY,     /* an entity declaration or external entity reference */
	XMLERR_DEPTH,      /* elements nested deeper than limits.depth */
	XMLERR_SIZE,       /* more than limits.bytes of XML */
	XMLERR_ENCODING,   /* an encoding expat does not support, or bytes that lie about it */
	XMLERR_SYNTAX,     /* not well-formed */
	XMLERR_CALLBACK,   /* a handler returned -1 */
	XMLERR_IO,         /* libarchive could not read the member (ARCHIVE_WARN included) */
	XMLERR_NOTFOUND,   /* xml_parse_zip_member: no such member */
	XMLERR_DUPLICATE,  /* xml_parse_zip_member: several members have that name */
	XMLERR_LIMIT,      /* xml_parse_zip_member: more than limits.members entries */
	XMLERR_NOMEM,
	XMLERR_TIME,       /* limits.deadline passed */
};

struct xml_limits {
	unsigned depth;    /* deepest element nesting allowed (policy xml_depth) */
	uint64_t bytes;    /* most bytes of one document (policy xml_part_max) */
	uint64_t members;  /* most zip entries walked by xml_parse_zip_member (policy archive_members) */
	/* CLOCK_MONOTONIC time past which a parse stops (XMLERR_TIME), read
	 * once per block fed to expat; NULL: none. */
	const struct timespec *deadline;
};

/* Callbacks; any may be NULL. Each returns 0 to go on or -1 to stop the
 * parse (which then fails with XMLERR_CALLBACK). With NSSEP set, element and
 * attribute names with a namespace read "URI<NSSEP>local" (see xml_local);
 * with NSSEP 0 they are as written ("w:t"). ATTRS is name, value, name,
 * value..., NULL. Character data comes in arbitrary pieces (not
 * NUL-terminated): accumulate it, with a bound of your own. */
struct xml_handler {
	int  (*start)(void *arg, const char *name, const char **attrs);
	int  (*end)(void *arg, const char *name);
	int  (*text)(void *arg, const char *s, int len);
	void  *arg;
	char   nssep;
};

/* A libarchive reader of the zip in FD (SIZE bytes, read with pread) or in
 * memory (BUF, LEN: must outlive the reader): zip format only, seekable
 * (central directory), no filters. NULL on error. Free with xml_zip_close. */
struct archive *xml_zip_open_fd(int fd, uint64_t size);
struct archive *xml_zip_open_mem(const void *buf, size_t len);
void xml_zip_close(struct archive *a);

/* Parses the data of A's current entry (after archive_read_next_header).
 * PREFIX/PREFIXLEN are bytes of the entry the caller already read with
 * archive_read_data (fed first; NULL/0 if none). 0, or -1 with *ERR set.
 * Adds the number of bytes fed to expat (PREFIX included) to *NBYTES, also
 * on failure. */
int xml_parse_entry_counted(struct archive *a, const struct xml_limits *lim,
    const struct xml_handler *h, const void *prefix, size_t prefixlen,
    enum xml_err *err, uint64_t *nbytes);

/* Parses the member NAME (compared ignoring ASCII case, as OPC part names
 * are) of the zip in FD. A second member of that name is XMLERR_DUPLICATE
 * (checked before any callback runs). 0, or -1 with *ERR set. */
int xml_parse_zip_member(int fd, uint64_t size, const char *name,
    const struct xml_limits *lim, const struct xml_handler *h, enum xml_err *err);

/* Parses a whole document in memory. 0, or -1 with *ERR set. */
int xml_parse_buffer(const void *buf, size_t len, const struct xml_limits *lim,
    const struct xml_handler *h, enum xml_err *err);

/* A short English reason for ERR ("DOCTYPE declaration", ...). */
const char *xml_strerror(enum xml_err err);
/* The local part of NAME: after the last NSSEP, after the last ':' when
 * NSSEP is 0 ("w:t" -> "t"), else NAME itself. */
const char *xml_local(const char *name, char nssep);
/* The value of the attribute whose local name is LOCAL, or NULL. */
const char *xml_attr(const char **attrs, const char *local, char nssep);

#endif
