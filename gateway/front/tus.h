/*
 * front/tus.h: resumable uploads, tus 1.0.0 (core, creation, checksum,
 * termination, expiration) under /v1/uploads (DESIGN §5). Internal to the
 * front, loop thread only.
 *
 * A partial upload is two files in DATA/uploads: <id>.part (the bytes so
 * far) and <id>.info (two offset records, then the upload's claims). It
 * belongs to the Party that created it; any other Party gets 404. The
 * claims (kind, filename, ref, plan, for) are decided at creation by the
 * PUT path's own code (upload_claims) and again at completion. The PATCH
 * that completes the upload moves <id>.part into the quarantine and hands
 * it to the pipeline exactly as a PUT's body: it is answered like a PUT.
 * Nothing is logged before then.
 */
#ifndef INTAKE_TUS_H
#define INTAKE_TUS_H

#include <stddef.h>
#include <stdint.h>

struct front;
struct conn;

#define TUS_VERSION      "1.0.0"   /* the protocol version we speak */
#define TUS_METADATA_MAX 1024      /* Upload-Metadata header, bytes */
#define TUS_CHECKSUM_MAX 128       /* Upload-Checksum header, bytes */

/* Headers of a tus request, as they arrive (conn.c). */
struct tus_req {
	int      resumable;            /* Tus-Resumable seen: 1 "1.0.0", -1 another */
	int      bad_number;           /* Upload-Length / -Offset not a plain number */
	int      has_length, has_offset, defer;
	uint64_t length, offset;
	int      octet_stream;         /* Content-Type: application/offset+octet-stream */
	char     checksum[TUS_CHECKSUM_MAX + 1];
	int      checksum_long;
	char     meta[TUS_METADATA_MAX + 1];
	size_t   meta_len;
	int      has_meta, meta_long, meta_twice;
	int      answer;               /* answers say Tus-Resumable (all but OPTIONS's) */
};

/* Loads the partial uploads left in DATA/uploads (each file cut back to
 * its recorded offset; the damaged, the expired and strays removed) and
 * starts the expiry timer. Before the front is confined. 0, or -1 with ERR. */
int tus_init(struct front *f, char *err, size_t errlen);
void tus_free(struct front *f);

/* A header of the request (name, value as kept by conn.c); 0 or -1 refused. */
int tus_header(struct conn *c, const char *name, const char *value, int value_long);
/* Upload-Metadata value bytes (they may be longer than conn.c keeps). */
void tus_metadata(struct conn *c, const char *at, size_t len);
/* The route of /v1/uploads and /v1/uploads/{id} (url.h), REST the id or
 * "". tus_begin: 0 a PATCH body follows (tus_body); 1 no body, answered
 * at the end; -1 refused (answered). tus_end, at the end of the request:
 * 1 the upload is complete and c->up is ready for upload_finish, the
 * route's FINISH (it goes on exactly as a PUT's body); 0 answered; 2 a
 * spooled PATCH is still being written: the connection waits, and once it
 * is written the PATCH is answered, or handed to upload_finish, from the
 * spool's wake-up. */
int tus_begin(struct conn *c, int method, const char *rest, const char *query);
int tus_body(struct conn *c, const char *at, size_t len);
int tus_end(struct conn *c);
/* A PATCH cut short: what was written is kept (fsynced) unless an
 * Upload-Checksum was claimed for it, then it is cut back. */
void tus_abort(struct conn *c);

#endif
