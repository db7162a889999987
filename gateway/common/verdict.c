/*
 * common/verdict.c: an inspection's result as messages and back (see
 * verdict.h). Order on the wire: findings, manifest chunks, workbook rows,
 * then the verdict that counts them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/verdict.h"
#include "lib/util.h"

_Static_assert(sizeof(((struct msg_finding *)0)->code) == FINDING_CODE_MAX, "finding code");
_Static_assert(sizeof(((struct msg_finding *)0)->member) == FINDING_MEMBER_MAX, "finding member");
_Static_assert(sizeof(((struct msg_finding *)0)->detail) == FINDING_DETAIL_MAX, "finding detail");
_Static_assert(sizeof(struct msg_wbref) == sizeof(struct workbook_ref), "a row is a row");
_Static_assert(sizeof(((struct msg_verdict *)0)->tab) == WB_TAB_MAX, "workbook tab");
_Static_assert(sizeof(((struct msg_verdict *)0)->type) == MIME_MAX, "detected type");

int
verdict_send(int sock, uint64_t id, const struct inspect_result *res)
{
	struct msg_verdict v;
	size_t nwb = res->workbook != NULL ? res->workbook->n : 0;
	_Alignas(8) uint8_t buf[MSG_PAYLOAD_MAX];
	struct msg_chunk *c = (struct msg_chunk *)buf;

	for (size_t i = 0; i < res->nfindings; i++) {
		struct msg_finding f;

		memset(&f, 0, sizeof(f));
		f.reject = !res->accepted;
		memcpy(f.code, res->findings[i].code, sizeof(f.code));
		memcpy(f.member, res->findings[i].member, sizeof(f.member));
		memcpy(f.detail, res->findings[i].detail, sizeof(f.detail));
		f.code[sizeof(f.code) - 1] = f.member[sizeof(f.member) - 1] =
		    f.detail[sizeof(f.detail) - 1] = '\0';
		if (msg_send(sock, MSG_FINDING, id, &f, sizeof(f), -1) == -1)
			return -1;
	}
	for (size_t off = 0; res->manifest != NULL && off < res->manifest_len; off += c->len) {
		c->what = MSG_TEXT_MANIFEST;
		c->len = (uint32_t)(res->manifest_len - off < MSG_CHUNK_MAX ?
		    res->manifest_len - off : MSG_CHUNK_MAX);
		memcpy(c->data, res->manifest + off, c->len);
		if (msg_send(sock, MSG_MANIFEST, id, buf, msg_chunk_len(c->len), -1) == -1)
			return -1;
	}
	for (size_t i = 0; i < nwb; i++) {
		struct msg_wbref w;

		memcpy(&w, &res->workbook->v[i], sizeof(w));
		w.ref[sizeof(w.ref) - 1] = w.filename[sizeof(w.filename) - 1] =
		    w.obligation[sizeof(w.obligation) - 1] = w.sha256[sizeof(w.sha256) - 1] =
		    w.description[sizeof(w.description) - 1] = '\0';
		if (msg_send(sock, MSG_WBREF, id, &w, sizeof(w), -1) == -1)
			return -1;
	}
	memset(&v, 0, sizeof(v));
	v.accepted = res->accepted != 0;
	v.is_archive = res->is_archive != 0;
	v.members = res->members;
	v.nfindings = res->nfindings;
	v.nmore = res->nmore;
	v.manifest_len = res->manifest != NULL ? res->manifest_len : 0;
	v.nwbrefs = nwb;
	v.workbook = res->workbook != NULL;
	v.need_file = res->need_file != 0;
	memcpy(v.manifest_sha256, res->manifest_sha256, sizeof(v.manifest_sha256));
	memcpy(v.type, res->type, sizeof(v.type));
	v.type[sizeof(v.type) - 1] = '\0';
	if (res->workbook != NULL) {
		memcpy(v.tab, res->workbook->tab, sizeof(v.tab));
		v.tab[sizeof(v.tab) - 1] = '\0';
	}
	return msg_send(sock, MSG_VERDICT, id, &v, sizeof(v), -1);
}

void
verdict_rx_init(struct verdict_rx *rx, uint64_t id, size_t rows_max, struct inspect_result *res)
{
	memset(rx, 0, sizeof(*rx));
	memset(res, 0, sizeof(*res));
	rx->res = res;
	rx->id = id;
	rx->rows_max = rows_max;
}

static int
verdict_rx_workbook(struct verdict_rx *rx)
{
	if (rx->res->workbook == NULL &&
	    (rx->res->workbook = calloc(1, sizeof(*rx->res->workbook))) == NULL)
		return -1;
	return 0;
}

static int
verdict_rx_manifest(struct verdict_rx *rx, const struct msg_chunk *c)
{
	struct inspect_result *res = rx->res;
	size_t need = res->manifest_len + c->len;
	char *p;

	if (c->len == 0 || need > INSPECT_MANIFEST_MAX)
		return -1;
	if (need > rx->mancap) {
		size_t cap = rx->mancap ? rx->mancap : 64 * 1024;
		while (cap < need)
			cap *= 2;
		if (cap > INSPECT_MANIFEST_MAX)
			cap = INSPECT_MANIFEST_MAX;
		if ((p = realloc(res->manifest, cap)) == NULL)
			return -1;
		res->manifest = p;
		rx->mancap = cap;
	}
	memcpy(res->manifest + res->manifest_len, c->data, c->len);
	res->manifest_len = need;
	return 0;
}

static int
verdict_rx_wbref(struct verdict_rx *rx, const struct msg_wbref *w)
{
	struct workbook_refs *wb;
	struct workbook_ref *v;

	if (verdict_rx_workbook(rx) == -1)
		return -1;
	wb = rx->res->workbook;
	if (wb->n >= rx->rows_max)
		return -1;
	if (wb->n == rx->wbcap) {
		size_t cap = rx->wbcap ? rx->wbcap * 2 : 64;
		if (cap > rx->rows_max)
			cap = rx->rows_max;
		if ((v = reallocarray(wb->v, cap, sizeof(*v))) == NULL)
			return -1;
		wb->v = v;
		rx->wbcap = cap;
	}
	memcpy(&wb->v[wb->n++], w, sizeof(*w));
	return 0;
}

static int
verdict_rx_close(struct verdict_rx *rx, const struct msg_verdict *v)
{
	struct inspect_result *res = rx->res;
	size_t nwb = res->workbook != NULL ? res->workbook->n : 0;
	uint8_t h[32];

	if (v->nfindings != rx->nfindings || v->manifest_len != res->manifest_len ||
	    v->nwbrefs != nwb || (nwb > 0 && !v->workbook) ||
	    (!v->is_archive && res->manifest_len > 0))
		return -1;
	if (v->is_archive) {
		util_sha256(res->manifest != NULL ? res->manifest : "", res->manifest_len, h);
		if (memcmp(h, v->manifest_sha256, sizeof(h)) != 0)
			return -1;
	}
	if (v->workbook) {
		if (verdict_rx_workbook(rx) == -1)
			return -1;
		memcpy(res->workbook->tab, v->tab, sizeof(res->workbook->tab));
	}
	res->accepted = v->accepted;
	res->need_file = v->need_file;
	res->is_archive = v->is_archive;
	res->members = v->members;
	res->nmore = v->nmore;
	memcpy(res->manifest_sha256, v->manifest_sha256, sizeof(res->manifest_sha256));
	memcpy(res->type, v->type, sizeof(res->type));
	return 1;
}

int
verdict_rx_take(struct verdict_rx *rx, const struct msg *m)
{
	const struct msg_finding *f;
	int rc = 0;

	if (m->hdr.id != rx->id)
		goto fail;
	switch (m->hdr.type) {
	case MSG_FINDING:
		f = (const struct msg_finding *)m->payload;
		if (rx->nfindings >= FINDINGS_MAX)
			goto fail;
		rx->nfindings++;
		/* sanitized again: the front signs what it was told */
		inspect_finding(rx->res, 0, f->code, f->member, "%s", f->detail);
		break;
	case MSG_MANIFEST:
		if (verdict_rx_manifest(rx, (const struct msg_chunk *)m->payload) == -1)
			goto fail;
		break;
	case MSG_WBREF:
		if (verdict_rx_wbref(rx, (const struct msg_wbref *)m->payload) == -1)
			goto fail;
		break;
	case MSG_VERDICT:
		if ((rc = verdict_rx_close(rx, (const struct msg_verdict *)m->payload)) == -1)
			goto fail;
		break;
	default:
		goto fail;
	}
	return rc;
fail:
	inspect_result_clear(rx->res);
	return -1;
}
