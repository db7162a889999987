/*
 * front/facts.c: POST /v1/parties/{ID}/facts (DESIGN §5, §8).
 *
 * Runs in the loop thread. SECAS records what the register cannot learn from
 * uploads: the User CIO's fieldwork date and that a VUSA left
 * non-compliances. Before the body: the method (405), the role (403: only
 * secas) and the Party (404) are decided and nothing is logged. The body is
 * at most FACT_BODY_MAX bytes (413) of strict JSON, exactly
 * {"fact": "cio-fieldwork"|"remediation-required", "date": "YYYY-MM-DD"}
 * with a real calendar date (else 400). The fact then goes to the notary,
 * which checks the role, Party, name and date again from its own parties
 * load, appends an intake-fact/v1 entry and makes it durable like an upload;
 * the answer is 201 with the receipt and its proof. With witnesses, as for
 * an upload, that proof is against a published (cosigned) checkpoint, and
 * when none covers the fact within witness_timeout the answer is 202 with
 * the receipt, no proof and Location: /v1/receipts/N. Facts are never edited:
 * a later fact of the same name supersedes an earlier one in the register.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <jansson.h>

#include "common/log.h"
#include "front/conn.h"
#include "front/front.h"
#include "notary/obligations.h"

static void fact_done(struct pipeline_job *job, void *arg);

int
fact_begin(struct conn *c, int method, const char *rest, const char *query)
{
	const char *slash = strchr(rest, '/');
	size_t n;

	(void)query;
	if (slash == NULL || strcmp(slash, "/facts") != 0)
		return conn_refuse(c, 404, "not found");
	if (method != HTTP_POST)
		return conn_refuse(c, 405, "use POST to record a fact");
	if (c->role != ROLE_SECAS)
		return conn_refuse(c, 403, "only SECAS records facts");
	n = (size_t)(slash - rest);
	if (n == 0 || n >= sizeof(c->fact_party))
		return conn_refuse(c, 404, "no such Party");
	memcpy(c->fact_party, rest, n);
	c->fact_party[n] = '\0';
	if (parties_find(c->rt->parties, c->fact_party) == NULL)
		return conn_refuse(c, 404, "no such Party");
	if (!(c->parser.flags & F_CHUNKED) && c->parser.content_length > FACT_BODY_MAX)
		return conn_refuse(c, 413, "a fact is a small JSON object");
	c->fact_len = 0;
	if (c->expect_continue)
		evbuffer_add_printf(conn_output(c), "HTTP/1.1 100 Continue\r\n\r\n");
	return 0;
}

int
fact_body(struct conn *c, const char *at, size_t len)
{
	if (len > sizeof(c->fact_body) - c->fact_len)
		return conn_refuse(c, 413, "a fact is a small JSON object");
	memcpy(c->fact_body + c->fact_len, at, len);
	c->fact_len += len;
	return 0;
}

/* The fact and date of a strict body into NAME and DATE. NULL, or why not. */
static const char *
fact_parse(const char *body, size_t len, char name[FACT_NAME_MAX], char date[OBL_DATE_MAX])
{
	json_error_t jerr;
	json_t *j, *f, *d;
	const char *why = NULL;
	int32_t days;

	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL || !json_is_object(j))
		why = "the body is not a JSON object";
	else if (json_object_size(j) != 2 || (f = json_object_get(j, "fact")) == NULL ||
	    (d = json_object_get(j, "date")) == NULL || !json_is_string(f) || !json_is_string(d))
		why = "the body must be exactly {\"fact\":…,\"date\":\"YYYY-MM-DD\"}";
	else if (!obl_fact_known(json_string_value(f)))
		why = "fact: not cio-fieldwork or remediation-required";
	else if (json_string_length(d) != 10 || obl_date_parse(json_string_value(d), &days) == -1)
		why = "date: not a real calendar date YYYY-MM-DD";
	else {
		snprintf(name, FACT_NAME_MAX, "%s", json_string_value(f));
		memcpy(date, json_string_value(d), OBL_DATE_MAX);
	}
	json_decref(j);
	return why;
}

void
fact_finish(struct conn *c)
{
	struct pipeline_job *job;
	struct notary_job *nj;
	const char *why;

	if ((job = calloc(1, sizeof(*job))) == NULL) {
		conn_error(c, 500, "out of memory", 1);
		return;
	}
	nj = &job->nj;
	if ((why = fact_parse(c->fact_body, c->fact_len, nj->fact, nj->fact_date)) != NULL) {
		free(job);
		c->front->n_refused++;
		conn_error(c, 400, why, !c->keepalive);
		if (c->state == CONN_WAITING)
			conn_resume(c);
		return;
	}
	snprintf(nj->party, sizeof(nj->party), "%s", c->fact_party);
	snprintf(nj->recorded_by, sizeof(nj->recorded_by), "%s", c->party_id);
	memcpy(nj->cert_sha256, c->cert_sha256, sizeof(nj->cert_sha256));
	snprintf(nj->kind, sizeof(nj->kind), "%s", FACT_KIND);
	nj->result.accepted = 1;
	/* no file and nothing to inspect: straight to the notary */
	job->fd = -1;
	job->inspected = 1;
	job->rt = runtime_ref(c->rt);
	job->done = fact_done;
	job->arg = c;
	c->pending = 1;
	if (c->bev)
		bufferevent_disable(c->bev, EV_READ);
	pipeline_submit(c->front->pipeline, job);
}

static void
fact_done(struct pipeline_job *job, void *arg)
{
	struct conn *c = arg;
	struct notary_job *nj = &job->nj;
	struct front *f = c->front;
	json_t *j;

	c->pending = 0;
	if (nj->status == 0) {
		if (nj->index + 1 > f->log_size)
			f->log_size = nj->index + 1;
		log_info("fact index=%llu party=%s fact=%s date=%s recorded-by=%s",
		    (unsigned long long)nj->index, nj->party, nj->fact, nj->fact_date,
		    nj->recorded_by);
		if (c->state != CONN_CLOSED) {
			j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}",
			    "index", (json_int_t)nj->index, "party", nj->party,
			    "recorded-by", nj->recorded_by, "fact", nj->fact,
			    "date", nj->fact_date, "time", nj->time,
			    "receipt", nj->receipt);
			if (nj->proof == NULL)
				/* the witnesses are late: as an upload, 202 */
				conn_json_held(c, nj->index, j, !c->keepalive);
			else {
				json_object_set_new(j, "proof", json_string(nj->proof));
				conn_json(c, 201, j, !c->keepalive);
			}
		}
	} else {
		f->n_failed++;
		log_warnx("fact party=%s fact=%s not recorded: %s", nj->party, nj->fact,
		    strerror(nj->err));
		if (c->state != CONN_CLOSED)
			conn_error(c, nj->err == ENOSPC || nj->err == EDQUOT ? 507 : 500,
			    "the fact could not be recorded", 1);
	}
	notary_job_clear(nj);
	runtime_unref(job->rt);
	free(job);
	if (c->state == CONN_CLOSED) {
		conn_release(c);
		return;
	}
	conn_resume(c);
}
