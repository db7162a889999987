/*
 * front/tls.c: the TLS context of the intake listener.
 *
 * TLS 1.3, and TLS 1.2 only with ECDHE and AEAD suites. A client
 * certificate is required and verified in the handshake: it must chain to
 * client_ca, be within its validity period, carry the clientAuth extended
 * key usage (X509_PURPOSE_SSL_CLIENT), and, when a CRL is configured, not be
 * revoked (the CRL must be present and current for the leaf). A failed
 * handshake never reaches HTTP. Loaded at start and on SIGHUP (CRL reload).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/log.h"
#include "front/front.h"

/* ECDHE with AEAD only; no CBC, no RSA key exchange. */
#define TLS12_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define SESSION_CONTEXT "intaked"
#define TLS_READ_BUFFER (128 * 1024)   /* bytes of records one read may bring */
#define TLS_SESSIONS    512            /* resumable sessions kept per context (~7 KiB each) */
#define TLS_SESSION_SECONDS 300        /* how long a session may be resumed */

static void
tls_errstr(char *err, size_t errlen, const char *what, const char *file)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, errlen, "%s %s: %s", what, file, e ? buf : "error");
	ERR_clear_error();
}

static int
tls_load_crl(X509_STORE *store, const char *file, char *err, size_t errlen)
{
	FILE *fp;
	X509_CRL *crl;
	int n = 0;

	if ((fp = fopen(file, "r")) == NULL) {
		snprintf(err, errlen, "crl %s: %s", file, strerror(errno));
		return -1;
	}
	while ((crl = PEM_read_X509_CRL(fp, NULL, NULL, NULL)) != NULL) {
		if (!X509_STORE_add_crl(store, crl)) {
			X509_CRL_free(crl);
			fclose(fp);
			tls_errstr(err, errlen, "cannot add crl", file);
			return -1;
		}
		X509_CRL_free(crl);
		n++;
	}
	fclose(fp);
	ERR_clear_error();
	if (n == 0) {
		snprintf(err, errlen, "crl %s: no CRL in file", file);
		return -1;
	}
	return 0;
}

/* Read-ahead: one recv brings what records have arrived, not a 5-byte
 * header and then its record (two syscalls per record). An established
 * connection reads ahead into OpenSSL's default buffer (one record's size,
 * released when empty); a large body (LARGE) into TLS_READ_BUFFER bytes,
 * which handshakes and small requests would only pay for. conn.c reads
 * what read-ahead holds. */
void
tls_read_ahead(SSL *ssl, int large)
{
	if (ssl == NULL)
		return;
	if (large)
		SSL_set_default_read_buffer_len(ssl, TLS_READ_BUFFER);
	SSL_set_read_ahead(ssl, 1);
}

/* What libssl's ssl_verify_cert_chain does for a client certificate: the
 * context's store (CA, CRL and its flags), purpose "ssl_client", then the
 * context's parameters. Used when a reload must judge connections already
 * open (conn.c). */
int
tls_verify_peer(SSL_CTX *ctx, X509 *cert, STACK_OF(X509) *chain, const char **why)
{
	X509_STORE_CTX *sc;
	int rc = -1;

	*why = "cannot verify the certificate (out of memory)";
	if ((sc = X509_STORE_CTX_new()) == NULL)
		goto done;
	if (X509_STORE_CTX_init(sc, SSL_CTX_get_cert_store(ctx), cert, chain) != 1 ||
	    X509_STORE_CTX_set_default(sc, "ssl_client") != 1 ||
	    X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(sc), SSL_CTX_get0_param(ctx)) != 1)
		goto done;
	if (X509_verify_cert(sc) == 1)
		rc = 0;
	else
		*why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(sc));
done:
	X509_STORE_CTX_free(sc);
	ERR_clear_error();
	return rc;
}

/* The private key of the last context built. The front reads the key file
 * before it gives up root; on SIGHUP, as [server] user, a key file it may
 * no longer read (root's, mode 0600) means "the same key": the certificate
 * must still match it. A new key needs a restart. Loop thread only. */
static EVP_PKEY *tls_kept_key;

static int
tls_use_key(SSL_CTX *ctx, const char *file)
{
	EVP_PKEY *k;

	if (SSL_CTX_use_PrivateKey_file(ctx, file, SSL_FILETYPE_PEM) != 1) {
		if (tls_kept_key == NULL || access(file, R_OK) == 0 || errno != EACCES)
			return -1;
		ERR_clear_error();
		if (SSL_CTX_use_PrivateKey(ctx, tls_kept_key) != 1)
			return -1;
	}
	if (SSL_CTX_check_private_key(ctx) != 1)
		return -1;
	if ((k = SSL_CTX_get0_privatekey(ctx)) != tls_kept_key && EVP_PKEY_up_ref(k) == 1) {
		EVP_PKEY_free(tls_kept_key);
		tls_kept_key = k;
	}
	return 0;
}

SSL_CTX *
tls_ctx_new(const struct config *cfg, char *err, size_t errlen)
{
	SSL_CTX *ctx;
	X509_STORE *store;
	STACK_OF(X509_NAME) *names;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls_errstr(err, errlen, "SSL_CTX_new", "");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (!SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS)) {
		tls_errstr(err, errlen, "cipher list", "");
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_certificate) != 1) {
		tls_errstr(err, errlen, "certificate", cfg->tls_certificate);
		goto fail;
	}
	if (tls_use_key(ctx, cfg->tls_key) == -1) {
		tls_errstr(err, errlen, "key", cfg->tls_key);
		goto fail;
	}
	if (SSL_CTX_load_verify_locations(ctx, cfg->tls_client_ca, NULL) != 1) {
		tls_errstr(err, errlen, "client_ca", cfg->tls_client_ca);
		goto fail;
	}
	if ((names = SSL_load_client_CA_file(cfg->tls_client_ca)) == NULL) {
		tls_errstr(err, errlen, "client_ca", cfg->tls_client_ca);
		goto fail;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	store = SSL_CTX_get_cert_store(ctx);
	if (cfg->tls_crl[0] != '\0') {
		if (tls_load_crl(store, cfg->tls_crl, err, errlen) == -1)
			goto fail;
		X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
	}
	/* clientAuth EKU is required of the peer. */
	if (!SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT)) {
		tls_errstr(err, errlen, "purpose", "");
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT |
	    SSL_VERIFY_CLIENT_ONCE, NULL);
	SSL_CTX_set_verify_depth(ctx, 4);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)SESSION_CONTEXT,
	    sizeof(SESSION_CONTEXT) - 1);
	/* Resumption from a session cache in memory: a TLS 1.3 ticket is only
	 * an index into it. A stateless ticket would carry the session, client
	 * certificate included, encrypted to the client, and OpenSSL 3.0 encodes
	 * and decodes it again for every ticket: a fifth of a full handshake's
	 * CPU for two tickets. One ticket per handshake; a resumed session
	 * is dropped from the cache and replaced by a new one. The cache
	 * belongs to this context: a SIGHUP (a new CRL) starts with an empty
	 * one, so no session outlives a reload, and none outlives
	 * TLS_SESSION_SECONDS. The client certificate is the one verified in
	 * the full handshake and maps to the Party as before. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 1);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_sess_set_cache_size(ctx, TLS_SESSIONS);
	SSL_CTX_set_timeout(ctx, TLS_SESSION_SECONDS);
	/* Buffers go back when a connection has nothing buffered: idle
	 * connections stay small. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}
