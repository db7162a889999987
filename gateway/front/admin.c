/*
 * front/admin.c: the admin listener (plain HTTP, meant for loopback):
 * GET /healthz and GET /metrics (Prometheus text). It is not the intake
 * listener: it takes no uploads and serves no receipts, so it needs no
 * client certificate. Runs on the loop thread with libevent's evhttp.
 * Every family has HELP and TYPE; latencies are histograms (metrics.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "common/clamd.h"
#include "common/log.h"
#include "front/follow.h"
#include "front/front.h"
#include "front/spool.h"
#include "notary/ledger.h"

static void
admin_healthz(struct evhttp_request *req, void *arg)
{
	struct front *f = arg;
	struct evbuffer *b = evbuffer_new();

	evbuffer_add_printf(b, f->draining ? "draining\n" : "ok\n");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
	evhttp_send_reply(req, f->draining ? 503 : 200, f->draining ? "Draining" : "OK", b);
	evbuffer_free(b);
}

/* One sample of a family that has no labels, with its HELP and TYPE. */
static void
admin_metric(struct evbuffer *b, const char *name, const char *type, const char *help,
    unsigned long long v)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type,
	    name, v);
}

/* A label value as the text format wants it: backslash, quote and line
 * feed escaped (a witness name is any note name: UTF-8 without space or '+'). */
static void
admin_label(struct evbuffer *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			evbuffer_add_printf(b, "\\%c", *v);
		else if (*v == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, v, 1);
	}
}

/* With witnesses configured: the quorum, the size of the latest published
 * (cosigned) checkpoint, and what each witness last cosigned. */
static void
admin_witnesses(struct evbuffer *b, struct front *f)
{
	const struct config *cfg = f->cfg;
	uint64_t size = 0;
	char *note = NULL;

	if (cfg->nwitnesses == 0)
		return;
	admin_metric(b, "intake_witness_quorum", "gauge",
	    "Cosignatures a checkpoint needs before it is published.", cfg->witness_quorum);
	if (ledger_checkpoint(f->ledger, &note, &size) != 0)
		size = 0;
	free(note);
	admin_metric(b, "intake_log_published_size", "gauge",
	    "Tree size of the latest published checkpoint (with its quorum of cosignatures).",
	    size);
	evbuffer_add_printf(b, "# HELP intake_witness_cosigned_size Tree size each witness last "
	    "cosigned.\n# TYPE intake_witness_cosigned_size gauge\n");
	for (size_t i = 0; i < cfg->nwitnesses; i++) {
		if (ledger_witness_size(f->ledger, cfg->witnesses[i].name, &size) == -1)
			continue;
		evbuffer_add_printf(b, "intake_witness_cosigned_size{witness=\"");
		admin_label(b, cfg->witnesses[i].name);
		evbuffer_add_printf(b, "\"} %llu\n", (unsigned long long)size);
	}
}

/* [scan] (issue 19): scans by result and their time; nothing without it. */
static void
admin_scans(struct evbuffer *b, const struct front *f)
{
	static const char *const results[] = { "clean", "found", "incomplete", "error" };
	const struct pipeline_scans *s = pipeline_scans(f->pipeline);

	_Static_assert(CLAMD_CLEAN == 0 && CLAMD_ERROR == 3, "results in enum order");

	if (s == NULL)
		return;
	evbuffer_add_printf(b, "# HELP intake_scans_total Uploads scanned by clamd, by result "
	    "(error: no verdict, answered 503).\n# TYPE intake_scans_total counter\n");
	for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++)
		evbuffer_add_printf(b, "intake_scans_total{result=\"%s\"} %llu\n", results[i],
		    (unsigned long long)atomic_load(&s->n[i]));
	metrics_write_histogram(b, "intake_scan_duration_seconds",
	    "Seconds clamd took per upload (VERSION and the scan; until the timeout).", "",
	    &s->time, 1);
}

/* The tree size: as far as this front's own answers tell (SQLite: the one
 * writer is our notary), or, with a PostgreSQL ledger that other nodes
 * append to as well, the shared ledger's. */
static uint64_t
admin_log_size(struct front *f)
{
	uint64_t n;

	if (config_ledger_dsn(f->cfg) != NULL && f->ledger != NULL &&
	    ledger_tree_size(f->ledger, &n) == 0 && n > f->log_size)
		return n;
	return f->log_size;
}

static void
admin_metrics(struct evhttp_request *req, void *arg)
{
	struct front *f = arg;
	struct evbuffer *b = evbuffer_new();

	evbuffer_add_printf(b,
	    "# HELP intake_uploads_total Uploads answered with a signed receipt, by verdict.\n"
	    "# TYPE intake_uploads_total counter\n"
	    "intake_uploads_total{verdict=\"accepted\"} %llu\n"
	    "intake_uploads_total{verdict=\"rejected\"} %llu\n",
	    (unsigned long long)f->n_accepted, (unsigned long long)f->n_rejected);
	admin_metric(b, "intake_uploads_refused_total", "counter",
	    "Uploads refused before their body was read (4xx, not logged).", f->n_refused);
	admin_metric(b, "intake_uploads_failed_total", "counter",
	    "Uploads cut short or not recorded (nothing kept).", f->n_failed);
	admin_metric(b, "intake_upload_bytes_total", "counter",
	    "Body bytes received by uploads.", f->n_bytes);
	admin_metric(b, "intake_connections_total", "counter",
	    "Connections whose TLS handshake succeeded.", f->n_connections);
	evbuffer_add_printf(b,
	    "# HELP intake_inspections_followed_total Tar uploads inspected as they arrived: "
	    "result used, or left to the file's inspection.\n"
	    "# TYPE intake_inspections_followed_total counter\n"
	    "intake_inspections_followed_total{result=\"used\"} %llu\n"
	    "intake_inspections_followed_total{result=\"file\"} %llu\n",
	    (unsigned long long)f->n_followed, (unsigned long long)f->n_follow_file);
	admin_metric(b, "intake_tls_handshake_failures_total", "counter",
	    "TLS handshakes that failed or were closed.", f->n_tls_fail);
	admin_metric(b, "intake_tls_handshakes_evicted_total", "counter",
	    "Handshakes in progress closed for newer ones (max_handshakes).", f->n_hs_evicted);
	admin_metric(b, "intake_connections", "gauge",
	    "Authenticated connections open now.", f->nconns);
	admin_metric(b, "intake_tls_handshakes", "gauge",
	    "TLS handshakes in progress now.", f->nhandshakes);
	admin_metric(b, "intake_pipeline_pending", "gauge",
	    "Uploads received and not yet answered (inspection or notary).",
	    pipeline_pending(f->pipeline));
	admin_metric(b, "intake_spools", "gauge", "Large bodies being spooled now.",
	    spool_active());
	admin_metric(b, "intake_followers", "gauge", "Tar uploads being inspected as they "
	    "arrive now.", follow_active());
	admin_metric(b, "intake_log_size", "gauge",
	    "Entries in the transparency log (its tree size).", admin_log_size(f));
	admin_witnesses(b, f);
	admin_scans(b, f);
	metrics_write_uploads(b, &f->m_uploads);
	metrics_write_histogram(b, "intake_inspection_duration_seconds",
	    "Seconds an inspector process took per upload (or until it was stopped).", "",
	    pipeline_inspect_time(f->pipeline), 1);
	metrics_write_histogram(b, "intake_inspection_wait_seconds",
	    "Seconds an upload waited for an inspector process: in line, or queued behind "
	    "another file of its Party at one.", "",
	    pipeline_wait_time(f->pipeline), 1);
	metrics_write_histogram(b, "intake_record_duration_seconds",
	    "Seconds from an upload's hand-off to the notary to its answer: the notary's "
	    "queue, its checks, and the batch that made it durable and signed it.", "",
	    pipeline_record_time(f->pipeline), 1);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void
admin_other(struct evhttp_request *req, void *arg)
{
	evhttp_send_error(req, 404, "Not Found");
}

int
admin_start(struct front *f, int listener, char *err, size_t errlen)
{
	if (f->cfg->admin_host[0] == '\0' || listener == -1)
		return 0;
	if ((f->admin = evhttp_new(f->base)) == NULL) {
		snprintf(err, errlen, "evhttp_new failed");
		return -1;
	}
	evhttp_set_allowed_methods(f->admin, EVHTTP_REQ_GET);
	evhttp_set_max_headers_size(f->admin, 8192);
	evhttp_set_max_body_size(f->admin, 0);
	evhttp_set_timeout(f->admin, 10);
	evhttp_set_cb(f->admin, "/healthz", admin_healthz, f);
	evhttp_set_cb(f->admin, "/metrics", admin_metrics, f);
	evhttp_set_gencb(f->admin, admin_other, f);
	/* the socket is the parent's, listening already */
	if (evhttp_accept_socket(f->admin, listener) != 0) {
		snprintf(err, errlen, "admin %s:%s: cannot accept", f->cfg->admin_host,
		    f->cfg->admin_port);
		return -1;
	}
	return 0;
}
