/*
 * front/url.h: the HTTP API's routes as one table, and the URL helpers.
 *
 * conn.c finds a request's route here once its headers are in, and calls
 * the route's handlers; the handlers (upload.c, facts.c, api.c) answer
 * through conn.h. The table in url.c is the one place that says which
 * path and method go where, in the order they are tried:
 *
 *   PUT  /v1/submissions/{kind}/{filename}[?ref=]   upload.c (405 otherwise)
 *   *    /v1/parties/{ID}/facts                     facts.c (decides its 404, 405)
 *   OPTIONS, POST /v1/uploads; HEAD, PATCH, DELETE /v1/uploads/{id}
 *                                                   tus.c (resumable uploads)
 *   GET  /v1/log/checkpoint, /v1/log/consistency, /v1/log/tile/…,
 *        /v1/receipts, /v1/receipts/{index}, /v1/workbooks/{index}/links,
 *        /v1/obligations                            api.c
 *   GET  /v1/receipts/{index}/file                  download.c (through api.c's route)
 *   GET  /v1/whoami, /, /console.css, /console.js, /favicon.svg
 *                                                   console.c (the web console)
 *
 * Any other method is 405, a GET with a body 400, any other GET path 404.
 */
#ifndef INTAKE_URL_H
#define INTAKE_URL_H

#include <stddef.h>

struct conn;

struct url_route {
	const char *path;     /* the path; a prefix when it ends in '/' ("/" itself is exact) */
	/* A request with a body, decided before the body arrives: BEGIN gets
	 * the path after PATH and the query (NULL when none), answers and
	 * returns -1 to refuse, or 1 when this request has no body to take as
	 * an upload after all; BODY takes the body's bytes; FINISH hands the
	 * request on and answers later (the connection waits). */
	int         method;   /* the one method BEGIN takes (else 405 REFUSE); -1: BEGIN checks */
	const char *refuse;
	int         upload;   /* the body is an upload: rate-limited, body_timeout, 100-continue */
	int       (*begin)(struct conn *c, int method, const char *rest, const char *query);
	int       (*body)(struct conn *c, const char *at, size_t len);
	void      (*finish)(struct conn *c);
	/* A GET: answers at once; the path after PATH and the query ("" when none). */
	void      (*get)(struct conn *c, const char *rest, const char *query);
	/* At the end of a request, before FINISH: 1 hands it on to FINISH, 0
	 * means END has answered and the connection reads on, 2 that the
	 * connection waits for END's own work to answer or hand it on to
	 * FINISH later (NULL: FINISH). */
	int       (*end)(struct conn *c);
};

/* The route of PATH (without its query), NULL when none has it. */
const struct url_route *url_route(const char *path);
/* The length of ROUTE's path, the part of a request's path before REST. */
size_t url_route_len(const struct url_route *route);

/* Percent-decoding of a URL component; 0/-1 (bad escape or too long). */
int url_decode(const char *in, size_t len, char *out, size_t outlen, size_t *outn);
/* Value of query parameter NAME (percent-decoded once) into OUT; 1 found,
 * 0 absent, -1 bad escape, a decoded NUL, or too long. */
int url_query(const char *query, const char *name, char *out, size_t outlen);

/* The handlers the table names. */
/* upload.c: PUT /v1/submissions/{kind}/{filename}[?ref=] */
int upload_begin(struct conn *c, int method, const char *path, const char *query);
int upload_body(struct conn *c, const char *at, size_t len);
void upload_finish(struct conn *c);
/* facts.c: POST /v1/parties/{ID}/facts (SECAS only, DESIGN §8). fact_begin
 * decides before the body (403, 404, 405); fact_body keeps at most
 * FACT_BODY_MAX bytes (413); fact_finish parses and hands the fact to the
 * notary, answering 201 with its receipt and proof. */
int fact_begin(struct conn *c, int method, const char *rest, const char *query);
int fact_body(struct conn *c, const char *at, size_t len);
void fact_finish(struct conn *c);
/* api.c: the GET API, one function a route. */
void api_checkpoint(struct conn *c, const char *rest, const char *query);
void api_consistency(struct conn *c, const char *rest, const char *query);
void api_tile(struct conn *c, const char *rest, const char *query);
void api_receipts(struct conn *c, const char *rest, const char *query);
void api_receipt(struct conn *c, const char *rest, const char *query);
void api_links(struct conn *c, const char *rest, const char *query);
void api_obligations(struct conn *c, const char *rest, const char *query);
/* console.c: the console's who-am-I, and its files (the path is the route's own) */
void console_whoami(struct conn *c, const char *rest, const char *query);
void console_file(struct conn *c, const char *rest, const char *query);

#endif
