/*
 * intake/cmd_upload.c: `intake upload --url URL --kind K [--ref R] [--plan N]
 * [--for ID] [--name NAME] [--chunk SIZE] [--retry-for SECONDS]
 * [--limit-rate BYTES] FILE [--cacert F --cert F --key F]` (DESIGN §3, §5).
 *
 * Sends FILE through the resumable API (tus 1.0.0, /v1/uploads) with
 * libcurl: creates the upload, then PATCHes it chunk by chunk. After any
 * failure (a dropped connection, a restart of the daemon, a 5xx) it asks
 * the server where the upload stands (HEAD) and carries on from there,
 * waiting between attempts (1 s doubling to 30 s) for up to --retry-for
 * seconds (default 600) since the last progress. The answer of the last
 * PATCH (the PUT answer: verdict, receipt, proof) is printed on stdout, and
 * its sha256 must be the one of FILE, hashed here as its bytes are first
 * read for sending (no read of its own).
 * Runs as the user; trusts nothing of the answers (sizes capped, numbers
 * strict). Why libcurl here: retries, proxies and TLS options as users
 * know them from curl, over a protocol whose requests are all one-shot.
 * Exit status (as `verify`): 0 accepted (201, or 202 awaiting witnesses),
 * 1 rejected (422) or not done (one line on stderr), 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "lib/util.h"
#include "cli.h"
#include "cmds.h"

#define UP_USAGE "usage: intake upload --url URL --kind K [--ref R] [--plan N] [--for ID] " \
	"[--name NAME]\n       [--chunk SIZE] [--retry-for SECONDS] [--limit-rate BYTES] " \
	"[--cacert F --cert F --key F] FILE\n"
#define UP_CHUNK_DEFAULT (64u << 20)    /* bytes per PATCH */
#define UP_CHUNK_MIN     (64u << 10)
#define UP_RETRY_DEFAULT 600            /* seconds without progress before giving up */
#define UP_BACKOFF_MAX   30             /* seconds between attempts, at most */
#define UP_BODY_MAX      (4u << 20)     /* an answer's body (a receipt with its proof) */
#define UP_META_MAX      1024           /* the server's Upload-Metadata limit */
#define UP_URL_MAX       4096

struct up {
	const char *cmd;
	const char *url, *cacert, *cert, *key;
	CURL       *curl;
	int         fd;
	uint64_t    size;
	uint64_t    rate;                   /* --limit-rate: bytes/s, 0 = none */
	EVP_MD_CTX *sha256;                 /* the file's first HASHED bytes */
	uint64_t    hashed;
	char        hex[65];                /* its SHA-256, once all of it is hashed */
	/* the request in flight */
	uint64_t    at, left;               /* file range being sent */
	char       *body;                   /* the answer */
	size_t      body_len;
	int         body_big;
	char        location[UP_URL_MAX];
	uint64_t    offset;                 /* Upload-Offset of the answer */
	int         has_offset;
	char        error[CURL_ERROR_SIZE];
};

static size_t
up_write(char *p, size_t sz, size_t n, void *arg)
{
	struct up *u = arg;
	size_t len = sz * n;

	if (u->body_len + len > UP_BODY_MAX) {
		u->body_big = 1;
		return len;
	}
	memcpy(u->body + u->body_len, p, len);
	u->body_len += len;
	u->body[u->body_len] = '\0';
	return len;
}

static size_t
up_header(char *p, size_t sz, size_t n, void *arg)
{
	struct up *u = arg;
	size_t len = sz * n, vlen;
	const char *v;

	if (len > 16 && strncasecmp(p, "Upload-Offset:", 14) == 0) {
		char num[32], *end;

		v = p + 14;
		while (*v == ' ')
			v++;
		vlen = (size_t)(p + len - v);
		while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
			vlen--;
		if (vlen > 0 && vlen < 21 && v[0] >= '0' && v[0] <= '9') {
			memcpy(num, v, vlen);
			num[vlen] = '\0';
			errno = 0;
			u->offset = strtoull(num, &end, 10);
			u->has_offset = errno == 0 && *end == '\0';
		}
	} else if (len > 10 && strncasecmp(p, "Location:", 9) == 0) {
		v = p + 9;
		while (*v == ' ')
			v++;
		vlen = (size_t)(p + len - v);
		while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
			vlen--;
		if (vlen < sizeof(u->location)) {
			memcpy(u->location, v, vlen);
			u->location[vlen] = '\0';
		}
	}
	return len;
}

static size_t
up_read(char *p, size_t sz, size_t n, void *arg)
{
	struct up *u = arg;
	size_t want = sz * n;
	ssize_t r;

	if (want > u->left)
		want = (size_t)u->left;
	if (want == 0)
		return 0;
	do
		r = pread(u->fd, p, want, (off_t)u->at);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return CURL_READFUNC_ABORT;
	/* bytes read for the first time go into the file's hash; a part sent
	 * again after a failure is not hashed twice */
	if (u->at <= u->hashed && u->at + (uint64_t)r > u->hashed) {
		size_t skip = (size_t)(u->hashed - u->at);

		EVP_DigestUpdate(u->sha256, p + skip, (size_t)r - skip);
		u->hashed = u->at + (uint64_t)r;
	}
	u->at += (uint64_t)r;
	u->left -= (uint64_t)r;
	return (size_t)r;
}

/* One request. METHOD; URL; extra HEADERS; a body of LEN bytes from the
 * file at AT (PATCH). Returns the HTTP status, or 0 on a transport error. */
static long
up_request(struct up *u, const char *method, const char *url, struct curl_slist *headers,
    uint64_t at, uint64_t len)
{
	long status = 0;
	CURLcode rc;

	curl_easy_reset(u->curl);
	u->body_len = 0;
	u->body[0] = '\0';
	u->body_big = 0;
	u->has_offset = 0;
	u->error[0] = '\0';
	curl_easy_setopt(u->curl, CURLOPT_URL, url);
	curl_easy_setopt(u->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(u->curl, CURLOPT_WRITEFUNCTION, up_write);
	curl_easy_setopt(u->curl, CURLOPT_WRITEDATA, u);
	curl_easy_setopt(u->curl, CURLOPT_HEADERFUNCTION, up_header);
	curl_easy_setopt(u->curl, CURLOPT_HEADERDATA, u);
	curl_easy_setopt(u->curl, CURLOPT_ERRORBUFFER, u->error);
	curl_easy_setopt(u->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(u->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	/* a link that carries nothing for a minute is a dropped link */
	curl_easy_setopt(u->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(u->curl, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(u->curl, CURLOPT_PROTOCOLS_STR, "https,http");
	if (u->cacert)
		curl_easy_setopt(u->curl, CURLOPT_CAINFO, u->cacert);
	if (u->cert)
		curl_easy_setopt(u->curl, CURLOPT_SSLCERT, u->cert);
	if (u->key)
		curl_easy_setopt(u->curl, CURLOPT_SSLKEY, u->key);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(u->curl, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "PATCH") == 0) {
		u->at = at;
		u->left = len;
		curl_easy_setopt(u->curl, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(u->curl, CURLOPT_CUSTOMREQUEST, "PATCH");
		curl_easy_setopt(u->curl, CURLOPT_READFUNCTION, up_read);
		curl_easy_setopt(u->curl, CURLOPT_READDATA, u);
		curl_easy_setopt(u->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(u->curl, CURLOPT_UPLOAD_BUFFERSIZE, 2L << 20);
		if (u->rate)
			curl_easy_setopt(u->curl, CURLOPT_MAX_SEND_SPEED_LARGE, (curl_off_t)u->rate);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(u->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(u->curl, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(u->curl, CURLOPT_POSTFIELDSIZE, 0L);
	}
	if ((rc = curl_easy_perform(u->curl)) != CURLE_OK) {
		if (u->error[0] == '\0')
			snprintf(u->error, sizeof(u->error), "%s", curl_easy_strerror(rc));
		return 0;
	}
	curl_easy_getinfo(u->curl, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

/* The server's error message of the last answer, for one line on stderr. */
static const char *
up_reason(struct up *u)
{
	static char msg[256];
	json_t *j = json_loads(u->body, 0, NULL);
	const char *e = j ? json_string_value(json_object_get(j, "error")) : NULL;

	snprintf(msg, sizeof(msg), "%s", e ? e : "no reason given");
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	json_decref(j);
	return msg;
}

static int
up_meta_add(char *out, size_t outlen, const char *key, const char *val)
{
	char b64[4 * (UP_META_MAX / 3) + 8];
	size_t n = strlen(out), vlen = strlen(val);

	if (vlen > UP_META_MAX || 4 * ((vlen + 2) / 3) + 1 > sizeof(b64))
		return -1;
	util_b64((const uint8_t *)val, vlen, b64);
	if ((size_t)snprintf(out + n, outlen - n, "%s%s %s", n ? "," : "", key, b64) >= outlen - n)
		return -1;
	return 0;
}

/* The upload's URL from LOCATION (absolute, or a path on URL's origin). */
static int
up_resolve(const char *url, const char *location, char *out, size_t outlen)
{
	const char *p;
	size_t origin;

	if (strncmp(location, "https://", 8) == 0 || strncmp(location, "http://", 7) == 0)
		return (size_t)snprintf(out, outlen, "%s", location) < outlen ? 0 : -1;
	if (location[0] != '/' || (p = strstr(url, "://")) == NULL)
		return -1;
	p += 3;
	origin = (size_t)(p - url) + strcspn(p, "/?#");
	return (size_t)snprintf(out, outlen, "%.*s%s", (int)origin, url, location) < outlen ? 0 : -1;
}

/* The file's SHA-256: what up_read hashed, and the rest (a part the
 * server had before we sent it, which only a file changed meanwhile or
 * another client explains) read now. */
static int
up_hash_file(struct up *u, char hex[65])
{
	static unsigned char buf[CLI_HASH_CHUNK];
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned len;

	if (u->hex[0]) {
		memcpy(hex, u->hex, sizeof(u->hex));
		return 0;
	}
	while (u->hashed < u->size) {
		size_t want = u->size - u->hashed < sizeof(buf) ? (size_t)(u->size - u->hashed) :
		    sizeof(buf);
		ssize_t r = pread(u->fd, buf, want, (off_t)u->hashed);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		EVP_DigestUpdate(u->sha256, buf, (size_t)r);
		u->hashed += (uint64_t)r;
	}
	if (EVP_DigestFinal_ex(u->sha256, h, &len) != 1 || len != 32)
		return -1;
	util_hex(h, 32, u->hex);
	memcpy(hex, u->hex, sizeof(u->hex));
	return 0;
}

/*
 * The upload is gone from the server after its last byte was sent: the
 * daemon completed it and its answer was lost (the link, or a restart,
 * between the record and the answer). Its receipt is then in the log:
 * found among the Party's receipts of KIND since SINCE by the file's
 * SHA-256, size and NAME, and fetched with a fresh proof, into u->body.
 * Returns the receipt's verdict as an upload status (201 / 422), 0 when
 * none is found.
 */
static long
up_recover(struct up *u, const char *base, const char *kind, const char *name,
    const char *since, const char *hex)
{
	char url[UP_URL_MAX], *k, *t;
	long status, found = -1;
	json_int_t after = -1;
	int verdict = 0;

	if ((k = curl_easy_escape(u->curl, kind, 0)) == NULL)
		return 0;
	if ((t = curl_easy_escape(u->curl, since, 0)) == NULL) {
		curl_free(k);
		return 0;
	}
	for (int page = 0; page < 1000; page++) {
		json_t *j, *list, *e, *next;
		size_t i;

		int n;

		if (after < 0)
			n = snprintf(url, sizeof(url), "%s/v1/receipts?kind=%s&since=%s&limit=1000",
			    base, k, t);
		else
			n = snprintf(url, sizeof(url),
			    "%s/v1/receipts?kind=%s&since=%s&limit=1000&after=%lld", base, k, t,
			    (long long)after);
		if (n < 0 || (size_t)n >= sizeof(url) || up_request(u, "GET", url, NULL, 0, 0) != 200 || u->body_big ||
		    (j = json_loads(u->body, 0, NULL)) == NULL)
			break;
		list = json_object_get(j, "receipts");
		json_array_foreach(list, i, e) {
			const char *sha = json_string_value(json_object_get(e, "sha256"));
			const char *fn = json_string_value(json_object_get(e, "filename"));
			json_int_t size = json_integer_value(json_object_get(e, "size"));

			if (sha && fn && strcmp(sha, hex) == 0 && strcmp(fn, name) == 0 &&
			    size == (json_int_t)u->size)
				found = json_integer_value(json_object_get(e, "index"));
		}
		next = json_object_get(j, "next");
		after = json_is_integer(next) ? json_integer_value(next) : -1;
		json_decref(j);
		if (after < 0)
			break;
	}
	curl_free(k);
	curl_free(t);
	if (found < 0)
		return 0;
	if ((size_t)snprintf(url, sizeof(url), "%s/v1/receipts/%ld", base, found) >= sizeof(url) ||
	    (status = up_request(u, "GET", url, NULL, 0, 0)) != 200 || u->body_big)
		return 0;
	{
		json_t *j = json_loads(u->body, 0, NULL);
		const char *v = j ? json_string_value(json_object_get(j, "verdict")) : NULL;

		verdict = v && strcmp(v, "accepted") == 0 ? 201 : v && strcmp(v, "rejected") == 0 ?
		    422 : 0;
		json_decref(j);
	}
	if (verdict)
		fprintf(stderr, "intake upload: the last answer was lost; receipt %ld is in the "
		    "log and was fetched again\n", found);
	return verdict;
}

static double
up_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A size: decimal, optionally followed by K, M or G (powers of 1024). */
static int
up_size(const char *arg, unsigned long long *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (*arg < '0' || *arg > '9')
		return -1;
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno)
		return -1;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end != '\0' || v > (ULLONG_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

int
cmd_upload(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "kind", required_argument, NULL, 'k' },
		{ "ref", required_argument, NULL, 'r' },
		{ "plan", required_argument, NULL, 'p' },
		{ "for", required_argument, NULL, 'f' },
		{ "name", required_argument, NULL, 'n' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "retry-for", required_argument, NULL, 't' },
		{ "limit-rate", required_argument, NULL, 'l' },
		{ "cacert", required_argument, NULL, 'A' },
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "upload", *kind = NULL, *ref = NULL, *plan = NULL, *forp = NULL;
	const char *name = NULL, *path;
	struct up u = { .cmd = "upload", .fd = -1 };
	char meta[4 * UP_META_MAX], hdr[UP_META_MAX * 2 + 64], coll[UP_URL_MAX], upurl[UP_URL_MAX];
	char hex[65];
	struct curl_slist *h = NULL;
	struct stat st;
	unsigned long long chunk = UP_CHUNK_DEFAULT, retry_for = UP_RETRY_DEFAULT, rate;
	unsigned backoff = 1;
	double progress;
	long status;
	int c, rc = CMD_FAIL, have_offset = 1, sent_all = 0;
	char base[UP_URL_MAX], since[32];
	time_t started = time(NULL) - 86400;   /* the server's clock may be behind ours */
	struct tm tm;
	char *end;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'u': u.url = optarg; break;
		case 'k': kind = optarg; break;
		case 'r': ref = optarg; break;
		case 'p': plan = optarg; break;
		case 'f': forp = optarg; break;
		case 'n': name = optarg; break;
		case 'A': u.cacert = optarg; break;
		case 'C': u.cert = optarg; break;
		case 'K': u.key = optarg; break;
		case 'c':
			if (up_size(optarg, &chunk) == -1 || chunk < UP_CHUNK_MIN ||
			    chunk > (4ull << 30))
				goto usage;
			break;
		case 'l':
			if (up_size(optarg, &rate) == -1 || rate == 0)
				goto usage;
			u.rate = rate;
			break;
		case 't':
			errno = 0;
			retry_for = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end != '\0' || retry_for > 7 * 86400)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1 || u.url == NULL || kind == NULL)
		goto usage;
	path = argv[optind];
	if (name == NULL)
		name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if ((u.fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(u.fd, &st) == -1 ||
	    !S_ISREG(st.st_mode)) {
		cli_fail(cmd, "%s: %s", path, u.fd == -1 ? strerror(errno) : "not a regular file");
		goto out;
	}
	u.size = (uint64_t)st.st_size;
	meta[0] = '\0';
	if (up_meta_add(meta, sizeof(meta), "kind", kind) == -1 ||
	    up_meta_add(meta, sizeof(meta), "filename", name) == -1 ||
	    (ref && up_meta_add(meta, sizeof(meta), "ref", ref) == -1) ||
	    (plan && up_meta_add(meta, sizeof(meta), "plan", plan) == -1) ||
	    (forp && up_meta_add(meta, sizeof(meta), "for", forp) == -1) ||
	    strlen(meta) > UP_META_MAX) {
		cli_fail(cmd, "kind, name, ref, plan and for take more than %u bytes of metadata",
		    UP_META_MAX);
		goto out;
	}
	if ((u.sha256 = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(u.sha256, EVP_sha256(), NULL) != 1) {
		cli_fail(cmd, "cannot set up SHA-256");
		goto out;
	}
	if (gmtime_r(&started, &tm) == NULL ||
	    strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(since, sizeof(since), "1970-01-01T00:00:00Z");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || (u.curl = curl_easy_init()) == NULL ||
	    (u.body = malloc(UP_BODY_MAX + 1)) == NULL) {
		cli_fail(cmd, "cannot set up libcurl");
		goto out;
	}
	{
		size_t n = strlen(u.url);

		while (n > 0 && u.url[n - 1] == '/')
			n--;
		if ((size_t)snprintf(coll, sizeof(coll), "%.*s/v1/uploads", (int)n, u.url) >=
		    sizeof(coll))
			goto usage;
		snprintf(base, sizeof(base), "%.*s", (int)n, u.url);
	}

	/* creation, retried like the rest: nothing exists until its 201 */
	progress = up_now();
	for (;;) {
		snprintf(hdr, sizeof(hdr), "Upload-Metadata: %s", meta);
		h = curl_slist_append(NULL, "Tus-Resumable: 1.0.0");
		h = curl_slist_append(h, hdr);
		snprintf(hdr, sizeof(hdr), "Upload-Length: %llu", (unsigned long long)u.size);
		h = curl_slist_append(h, hdr);
		u.location[0] = '\0';
		status = up_request(&u, "POST", coll, h, 0, 0);
		curl_slist_free_all(h);
		h = NULL;
		if (status == 201)
			break;
		if ((status >= 400 && status < 500 && status != 408 && status != 429) ||
		    status == 507) {
			/* 507: the Party's partial uploads fill its quota; waiting will not help */
			cli_fail(cmd, "the server refused the upload (%ld): %s", status, up_reason(&u));
			goto out;
		}
		if (up_now() - progress > (double)retry_for) {
			cli_fail(cmd, "cannot create the upload: %s", status ? up_reason(&u) : u.error);
			goto out;
		}
		sleep(backoff);
		backoff = backoff * 2 > UP_BACKOFF_MAX ? UP_BACKOFF_MAX : backoff * 2;
	}
	if (up_resolve(u.url, u.location, upurl, sizeof(upurl)) == -1) {
		cli_fail(cmd, "the server gave no usable Location");
		goto out;
	}
	backoff = 1;
	u.offset = 0;
	progress = up_now();
	for (;;) {
		uint64_t off = u.offset, len;

		if (!have_offset) {
			/* where does the upload stand? */
			h = curl_slist_append(NULL, "Tus-Resumable: 1.0.0");
			status = up_request(&u, "HEAD", upurl, h, 0, 0);
			curl_slist_free_all(h);
			h = NULL;
			if (status == 404 || status == 410 || status == 403) {
				if (sent_all && up_hash_file(&u, hex) == 0 &&
				    (status = up_recover(&u, base, kind, name, since, hex)) != 0)
					goto answer;
				cli_fail(cmd, "the upload is gone on the server and no receipt of it "
				    "was found");
				goto out;
			}
			if (status != 200 || !u.has_offset || u.offset > u.size) {
				if (up_now() - progress > (double)retry_for) {
					cli_fail(cmd, "gave up after %llu s without progress: %s",
					    retry_for, status ? "the server answers badly" : u.error);
					goto out;
				}
				sleep(backoff);
				backoff = backoff * 2 > UP_BACKOFF_MAX ? UP_BACKOFF_MAX : backoff * 2;
				continue;
			}
			have_offset = 1;
			off = u.offset;
		}
		len = u.size - off < chunk ? u.size - off : chunk;
		h = curl_slist_append(NULL, "Tus-Resumable: 1.0.0");
		h = curl_slist_append(h, "Content-Type: application/offset+octet-stream");
		h = curl_slist_append(h, "Expect:");
		snprintf(hdr, sizeof(hdr), "Upload-Offset: %llu", (unsigned long long)off);
		h = curl_slist_append(h, hdr);
		status = up_request(&u, "PATCH", upurl, h, off, len);
		curl_slist_free_all(h);
		h = NULL;
		if (u.at == u.size)
			sent_all = 1;   /* every byte went out: the upload may be complete */
		if (status == 204 && u.has_offset && u.offset > off && u.offset <= u.size) {
			progress = up_now();
			backoff = 1;
			continue;
		}
		if (status == 201 || status == 202 || status == 422) {
			json_t *j;
			const char *sha;
answer:
			j = json_loads(u.body, 0, NULL);
			sha = j ? json_string_value(json_object_get(j, "sha256")) : NULL;

			if (up_hash_file(&u, hex) == -1) {
				json_decref(j);
				cli_fail(cmd, "%s: cannot read: %s", path, strerror(errno));
				goto out;
			}

			if (u.body_big || sha == NULL || strcmp(sha, hex) != 0) {
				json_decref(j);
				cli_fail(cmd, "the answer's sha256 is not the file's (%s)", hex);
				goto out;
			}
			json_decref(j);
			fwrite(u.body, 1, u.body_len, stdout);
			if (u.body_len == 0 || u.body[u.body_len - 1] != '\n')
				putchar('\n');
			if (fflush(stdout) != 0) {
				cli_fail(cmd, "stdout: %s", strerror(errno));
				goto out;
			}
			if (status == 422)
				cli_fail(cmd, "rejected: the receipt above says why");
			rc = status == 422 ? CMD_FAIL : CMD_OK;
			goto out;
		}
		if (status >= 400 && status < 500 && status != 408 && status != 409 &&
		    status != 429 && status != 423) {
			cli_fail(cmd, "the server refused a part (%ld): %s", status, up_reason(&u));
			goto out;
		}
		/* a transport error, 409, 5xx: ask where it stands, then go on */
		have_offset = 0;
		if (status == 0 || status >= 500) {
			if (up_now() - progress > (double)retry_for) {
				cli_fail(cmd, "gave up after %llu s without progress: %s", retry_for,
				    status ? up_reason(&u) : u.error);
				goto out;
			}
			sleep(backoff);
			backoff = backoff * 2 > UP_BACKOFF_MAX ? UP_BACKOFF_MAX : backoff * 2;
		}
	}
usage:
	fputs(UP_USAGE, stderr);
	rc = CMD_USAGE;
out:
	if (u.curl)
		curl_easy_cleanup(u.curl);
	free(u.body);
	EVP_MD_CTX_free(u.sha256);
	if (u.fd != -1)
		close(u.fd);
	return rc;
}
