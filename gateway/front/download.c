/*
 * front/download.c: GET /v1/receipts/{index}/file (DESIGN §5), a stored
 * file as an attachment (console.h).
 *
 * Runs in the loop thread. Who may: the Party the receipt is recorded for
 * and SECAS; anyone else gets the 404 of a receipt that does not exist, so
 * that the answer tells nothing about other Parties' uploads. Only accepted
 * uploads have a stored file (a rejected one is discarded), so theirs are
 * 404 too.
 *
 * The front reads the blob itself, read-only, from the configured store
 * ([store] path, default DATA/store; shared by the nodes when given): the
 * store is the notary's to write (DESIGN §2), and the front already reads
 * the ledger the same way.
 * The path comes from the entry's SHA-256, never from a client's string;
 * the open is O_NOFOLLOW, the file must be regular and of the entry's size.
 * The body goes out as the client reads it: DOWNLOAD_CHUNK bytes are read
 * each time the output drains below DOWNLOAD_LOW, so memory per download
 * stays bounded whatever the file's size.
 *
 * The answer: application/octet-stream, nosniff, Content-Disposition
 * attachment with the upload's file name as an ASCII fallback
 * (filename="…", every byte outside printable ASCII and every quote,
 * backslash, percent sign and path separator made '_') and the name itself
 * as filename*=UTF-8''… (RFC 8187 percent-encoding; path separators '_'),
 * and a CSP that forbids everything should a browser render it anyway.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "common/log.h"
#include "front/conn.h"
#include "front/console.h"
#include "front/front.h"
#include "notary/ledger.h"
#include "notary/store.h"

#define DOWNLOAD_CHUNK (256 * 1024)   /* bytes read from the blob at a time */
#define DOWNLOAD_LOW   (128 * 1024)   /* output below this asks for the next chunk */
#define DISPOSITION_MAX 1280          /* a 255-byte name as is and 3x encoded, and the rest */

struct download {
	int      fd;
	uint64_t left;
	uint64_t index;
};

/* RFC 8187 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." /
 * "^" / "_" / "`" / "|" / "~" */
static int
download_attr_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	    strchr("!#$&+-.^_`|~", ch) != NULL;
}

int
download_disposition(const char *name, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0, n = strlen(name);
	const char *pre = "attachment; filename=\"", *mid = "\"; filename*=UTF-8''";

	if (n == 0)
		name = "file", n = 4;
	if (outlen < strlen(pre) + n + strlen(mid) + 3 * n + 1)
		return -1;
	memcpy(out, pre, strlen(pre));
	o = strlen(pre);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\' || ch == '%' || ch == '/')
			out[o++] = '_';
		else
			out[o++] = (char)ch;
	}
	memcpy(out + o, mid, strlen(mid));
	o += strlen(mid);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch == '/' || ch == '\\')
			ch = '_';
		if (download_attr_char(ch))
			out[o++] = (char)ch;
		else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

void
download_free(struct conn *c)
{
	if (c->dl == NULL)
		return;
	close(c->dl->fd);
	free(c->dl);
	c->dl = NULL;
	if (c->bev)
		bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
}

int
download_pump(struct conn *c)
{
	struct download *d = c->dl;
	struct evbuffer *out;

	if (d == NULL)
		return 0;
	if (c->bev == NULL) {
		download_free(c);
		return -1;
	}
	out = conn_output(c);
	while (d->left > 0 && evbuffer_get_length(out) < DOWNLOAD_LOW) {
		struct evbuffer_iovec v;
		size_t want = d->left < DOWNLOAD_CHUNK ? (size_t)d->left : DOWNLOAD_CHUNK;
		ssize_t r;

		if (evbuffer_reserve_space(out, (ev_ssize_t)want, &v, 1) < 1)
			goto fail;
		if (v.iov_len > want)
			v.iov_len = want;
		do
			r = read(d->fd, v.iov_base, v.iov_len);
		while (r == -1 && errno == EINTR);
		if (r <= 0) {
			log_warnx("%s: receipt %llu: the stored file %s", __func__,
			    (unsigned long long)d->index, r == 0 ? "ended early" : strerror(errno));
			goto fail;
		}
		v.iov_len = (size_t)r;
		evbuffer_commit_space(out, &v, 1);
		d->left -= (uint64_t)r;
	}
	if (d->left > 0)
		return 1;
	download_free(c);
	return 0;
fail:
	download_free(c);
	return -1;
}

void
download_start(struct conn *c, const char *arg)
{
	struct ledger_entry e;
	struct download *d = NULL;
	struct stat st;
	char path[4096], disp[DISPOSITION_MAX], extra[DISPOSITION_MAX + 256];
	uint64_t index = 0;
	size_t n = strlen(arg);
	int fd = -1, r;

	/* digits only, no leading zero, bounded (api.c's rule) */
	if (n == 0 || n > 19 || (n > 1 && arg[0] == '0') || strspn(arg, "0123456789") != n) {
		conn_error(c, 404, "no such receipt", 0);
		return;
	}
	for (size_t i = 0; i < n; i++)
		index = index * 10 + (uint64_t)(arg[i] - '0');
	memset(&e, 0, sizeof(e));
	r = ledger_get(c->front->ledger, index, &e);
	if (r == -1) {
		ledger_entry_clear(&e);
		conn_error(c, 500, "cannot read the ledger", 0);
		return;
	}
	if (r != 0 || !(c->role == ROLE_SECAS ||
	    (c->role == ROLE_PARTY && strcmp(e.party, c->party_id) == 0)) || !e.accepted ||
	    e.entry == NULL || strncmp(e.entry, "intake-receipt/v1\n", 18) != 0) {
		ledger_entry_clear(&e);
		conn_error(c, 404, "no such receipt", 0);
		return;
	}
	if (store_blob_path(c->front->cfg->store, e.sha256, path, sizeof(path)) == -1 ||
	    (fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != e.size) {
		log_warnx("%s: receipt %llu: its stored file is missing or not its size",
		    __func__, (unsigned long long)index);
		goto fail;
	}
	if (download_disposition(e.filename, disp, sizeof(disp)) == -1 ||
	    snprintf(extra, sizeof(extra), "Content-Disposition: %s\r\n"
	    "Content-Security-Policy: default-src 'none'; sandbox\r\n"
	    "Referrer-Policy: no-referrer\r\n", disp) >= (int)sizeof(extra) ||
	    (d = calloc(1, sizeof(*d))) == NULL)
		goto fail;
	d->fd = fd;
	d->left = e.size;
	d->index = index;
	ledger_entry_clear(&e);
	if (c->dl)
		download_free(c);
	c->dl = d;
	log_info("download of receipt %llu by %s party=%s", (unsigned long long)index, c->peer,
	    c->party_id);
	c->dl_close = conn_respond_head(c, 200, "application/octet-stream", extra, d->left);
	if (c->bev)
		bufferevent_setwatermark(c->bev, EV_WRITE, DOWNLOAD_LOW, 0);
	/* the rest follows from conn.c's write callback (download_pump) */
	if ((r = download_pump(c)) == -1 || (r == 0 && c->dl_close))
		conn_close_after(c);
	return;
fail:
	if (fd != -1)
		close(fd);
	ledger_entry_clear(&e);
	conn_error(c, 500, "cannot read the stored file", 0);
}
