/*
 * front/admin.c: the admin listener (plain HTTP, meant for loopback):
 * GET /healthz and GET /metrics (Prometheus text). It is not the intake
 * listener: it takes no uploads and serves no receipts, so it needs no
 * client certificate. Runs on the loop thread with libevent's evhttp.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "common/log.h"
#include "front/follow.h"
#include "front/front.h"
#include "front/spool.h"

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

static void
admin_metrics(struct evhttp_request *req, void *arg)
{
	struct front *f = arg;
	struct evbuffer *b = evbuffer_new();

	evbuffer_add_printf(b,
	    "# TYPE intake_uploads_total counter\n"
	    "intake_uploads_total{verdict=\"accepted\"} %llu\n"
	    "intake_uploads_total{verdict=\"rejected\"} %llu\n"
	    "intake_uploads_refused_total %llu\n"
	    "intake_uploads_failed_total %llu\n"
	    "intake_upload_bytes_total %llu\n"
	    "intake_connections_total %llu\n"
	    "intake_inspections_followed_total{result=\"used\"} %llu\n"
	    "intake_inspections_followed_total{result=\"file\"} %llu\n"
	    "intake_tls_handshake_failures_total %llu\n"
	    "intake_tls_handshakes_evicted_total %llu\n"
	    "# TYPE intake_connections gauge\n"
	    "intake_connections %u\n"
	    "intake_tls_handshakes %u\n"
	    "intake_pipeline_pending %u\n"
	    "intake_spools %u\n"
	    "intake_followers %u\n",
	    (unsigned long long)f->n_accepted, (unsigned long long)f->n_rejected,
	    (unsigned long long)f->n_refused, (unsigned long long)f->n_failed,
	    (unsigned long long)f->n_bytes, (unsigned long long)f->n_connections,
	    (unsigned long long)f->n_followed, (unsigned long long)f->n_follow_file,
	    (unsigned long long)f->n_tls_fail, (unsigned long long)f->n_hs_evicted,
	    f->nconns, f->nhandshakes, pipeline_pending(f->pipeline),
	    spool_active(), follow_active());
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
admin_start(struct front *f, char *err, size_t errlen)
{
	if (f->cfg->admin_host[0] == '\0')
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
	if (evhttp_bind_socket(f->admin, f->cfg->admin_host,
	    (unsigned short)atoi(f->cfg->admin_port)) != 0) {
		snprintf(err, errlen, "admin %s:%s: cannot listen", f->cfg->admin_host,
		    f->cfg->admin_port);
		return -1;
	}
	return 0;
}
