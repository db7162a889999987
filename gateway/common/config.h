/*
 * common/config.h: the daemon configuration (DESIGN §4), the policy file
 * (limits and submission kinds) and the parties file (certificate -> Party).
 *
 * Runs in the parent at start and on SIGHUP; the results are immutable and
 * reference-counted by the caller (a reload builds new ones and swaps them
 * in). Parsing uses inih; unknown sections and keys are errors; every error
 * names its file, line and key in ERR ("FILE:LINE: key 'k': reason").
 * Relative paths in the configuration are taken relative to the current
 * directory, as the daemon was started.
 */
#ifndef INTAKE_CONFIG_H
#define INTAKE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#define CONFIG_ERR_MAX     512
#define PARTY_ID_MAX       64    /* [party ID]: A-Z a-z 0-9 _ - */
#define PARTY_NAME_MAX     256
#define PARTY_MATCH_MAX    512
#define PARTY_ACTS_FOR_MAX 512   /* acts_for: space-separated Party IDs, NUL included */
#define KIND_NAME_MAX      64
#define KIND_TYPES_MAX     32    /* MIME types a kind may allow */
#define KIND_DESC_MAX      256   /* a kind's description, with its NUL */
#define MIME_MAX           128
#define USER_NAME_MAX      33    /* [server] user: a system user name, NUL included */
#define CONFIG_WITNESS_MAX 16    /* [witness NAME] sections */
#define WITNESS_NAME_MAX   64
#define WITNESS_VKEY_MAX   512   /* a cosigner verifier key string */

/* [witness NAME]: a C2SP tlog-witness the notary asks to cosign (DESIGN §4). */
struct config_witness {
	char name[WITNESS_NAME_MAX];
	char host[256];               /* from url = http://host:port[/prefix] */
	char port[16];
	char prefix[256];             /* "" or "/path", without a trailing '/' */
	char vkey[WITNESS_VKEY_MAX];  /* type 0x04, checked at load */
	unsigned line;                /* where the section began, for messages */
};

/* The kind whose uploads carry an evidence-reference tab (DESIGN §4): the
 * inspector reads it, the notary links it. */
#define KIND_VALIDATION_WORKBOOK "validation-workbook"
/* The kinds the obligations register and ?plan= / ?for= know (DESIGN §5, §8). */
#define KIND_SSA_WORKBOOK        "ssa-workbook"
#define KIND_NOTIFICATION        "notification-agreement"
#define KIND_REMEDIATION_PLAN    "remediation-plan"
#define KIND_DIRECTOR_LETTER     "director-letter"
#define KIND_SHARED_RESOURCE     "shared-resource-return"

/* A provider is a Shared Resource Provider (SEC G5.27): it sends returns on
 * behalf of the Parties in its acts_for, and nothing else. */
enum role { ROLE_PARTY, ROLE_SECAS, ROLE_AUDITOR, ROLE_PROVIDER };

/* What a parties-file match value is compared with, decided by its form
 * alone (DESIGN §4, parties_load): never with another kind of name. */
enum match_type {
	MATCH_CN,        /* no scheme: the subject CN */
	MATCH_URI,       /* "scheme:..." (urn:, https:, ...): the SAN URIs */
	MATCH_SHA256,    /* "sha256:<64 hex>": the certificate's fingerprint */
};

#define CONFIG_DSN_MAX 1024

struct config {
	char     listen_host[256];
	char     listen_port[16];
	char     admin_host[256];
	char     admin_port[16];      /* admin_host[0] == 0: no admin listener */
	char     data[4096];          /* per node: quarantine, partial uploads (and the SQLite ledger) */
	/* [store] path: the content store, default <data>/store; given, the
	 * store is taken as shared with other nodes (notary/store.h) */
	char     store[4096];
	int      store_shared;        /* [store] path was given */
	char     ledger_backend[16];  /* [ledger] backend: "sqlite" (default) or "postgresql" */
	char     ledger_dsn_buf[CONFIG_DSN_MAX]; /* [ledger] dsn; may hold a password: never log it */
	char     user[USER_NAME_MAX]; /* the children's user when started as root, default intaked */
	char     tls_certificate[4096];
	char     tls_key[4096];
	char     tls_client_ca[4096];
	char     tls_crl[4096];       /* empty: no CRL */
	char     log_origin[256];
	char     log_key[4096];
	char     policy_file[4096];
	char     parties_file[4096];
	/* [limits] of the configuration (issue: robustness); seconds, counts */
	unsigned handshake_timeout;   /* TLS handshake, default 10 */
	unsigned header_timeout;      /* request line + headers, default 10 */
	unsigned body_timeout;        /* idle time while reading a body, default 60 */
	unsigned body_min_rate;       /* bytes/s a body averages past body_timeout, 0 = none, default 500 */
	unsigned request_timeout;     /* whole request, 0 = none (large uploads), default 0 */
	unsigned max_connections;     /* default 1024 */
	unsigned max_connections_party; /* default 64 */
	unsigned max_handshakes;      /* TLS handshakes in progress, default 256 (oldest closed beyond) */
	unsigned max_handshakes_address; /* of them from one address (IPv6: one /64), default 64 */
	unsigned max_header_count;    /* default 64 */
	unsigned max_header_size;     /* total bytes of request line + headers, default 16384 */
	unsigned workers;             /* inspector processes, default 2 */
	unsigned uploads_per_minute;  /* per Party, 0 = no limit, default 6000 (429 beyond) */
	uint64_t bytes_per_day;       /* per Party per UTC day, 0 = no limit, default 1T */
	/* resumable uploads (issue 20) */
	unsigned resumable_expiry;    /* seconds a partial upload lives past its last PATCH, default 86400 */
	unsigned resumable_per_party; /* partial uploads a Party may hold, default 16 */
	uint64_t resumable_bytes_party; /* their Upload-Length sum, default 16G */
	/* [log] witnesses (issue 16) */
	unsigned witness_quorum;      /* cosignatures before a checkpoint is published, default 0 */
	unsigned witness_timeout;     /* seconds an upload waits for the quorum, default 10 */
	size_t   nwitnesses;
	struct config_witness witnesses[CONFIG_WITNESS_MAX];
	/* [scan] (issue 19): clamd's Unix socket, "" = no scanning */
	char     scan_clamd[108];     /* sizeof(sun_path) */
	unsigned scan_timeout;        /* seconds for one scan (VERSION and the file), default 60 */
};

struct kind {
	char     name[KIND_NAME_MAX];
	char     types[KIND_TYPES_MAX][MIME_MAX];  /* allowed MIME types */
	size_t   ntypes;
	uint64_t max_upload;          /* 0: the [limits] one */
	char     description[KIND_DESC_MAX];   /* for people (the console), "" = none */
};

struct policy {
	uint64_t     max_upload;      /* bytes, [limits] max_upload, default 4G */
	/* archive inspection limits (issue: deep inspection) */
	uint64_t     archive_members;     /* default 10000 */
	uint64_t     archive_ratio;       /* default 100 */
	uint64_t     archive_ratio_min;   /* members below this expanded size are not ratio-checked, default 1 MiB */
	uint64_t     max_archive_ratio;   /* the whole archive, nested ones included: bytes expanded
	                                     per byte uploaded, past archive_ratio_min, default 100 */
	unsigned     archive_depth;       /* default 3 */
	uint64_t     archive_expanded;    /* default 16G */
	unsigned     path_max;            /* default 1024 */
	unsigned     inspect_seconds;     /* default 120 */
	unsigned     xml_depth;           /* default 256 */
	uint64_t     xml_part_max;        /* default 64M per XML part */
	unsigned     workbook_rows;       /* default 10000 */
	struct kind *kinds;
	size_t       nkinds;
};

struct party {
	char      id[PARTY_ID_MAX];
	char      name[PARTY_NAME_MAX];
	char      match[PARTY_MATCH_MAX]; /* SAN URI, subject CN, or sha256:<hex> */
	enum match_type match_type;       /* which of the three, by its form */
	enum role role;
	int       shared_resource;        /* uses a Shared Resource Provider: G5.27 applies */
	char      acts_for[PARTY_ACTS_FOR_MAX]; /* providers: "ID ID ...", each a Party */
};

struct parties {
	struct party *v;
	size_t        n;
};

/* Fills CFG from FILE with defaults for what it does not say. 0/-1 (ERR). */
int config_load(const char *file, struct config *cfg, char *err, size_t errlen);
/* The PostgreSQL DSN of [ledger], or NULL for the SQLite ledger in data
 * (what ledger_open_dsn takes). */
const char *config_ledger_dsn(const struct config *cfg);

/* Loads a policy file; *out is freed with policy_free. 0/-1 (ERR). */
int policy_load(const char *file, struct policy **out, char *err, size_t errlen);
void policy_free(struct policy *p);
/* The kind named NAME, or NULL. */
const struct kind *policy_kind(const struct policy *p, const char *name);
/* Whether MIME is one of the kind's allowed types. */
int kind_allows(const struct kind *k, const char *mime);
/* The upload limit for kind K in bytes. */
uint64_t policy_max_upload(const struct policy *p, const struct kind *k);

/* Loads a parties file; *out is freed with parties_free. 0/-1 (ERR). */
int parties_load(const char *file, struct parties **out, char *err, size_t errlen);
void parties_free(struct parties *p);
/* The Party of CERT: its SAN URIs compared with URI match values first,
 * then its subject CN with CN values, then sha256:<hex of the DER> with
 * fingerprint values; a name is never compared with a value of another
 * type. NULL when none matches. Writes the certificate's SHA-256 hex (65
 * bytes with NUL) to CERT_SHA256 when not NULL. */
const struct party *parties_match(const struct parties *p, X509 *cert, char cert_sha256[65]);
const struct party *parties_find(const struct parties *p, const char *id);
/* Whether PROVIDER (role provider) may act for the Party ID: ID is one of
 * its acts_for. 0 for any other role. */
int party_acts_for(const struct party *provider, const char *id);

/* Parses sizes like 4096, 64K, 10M, 4G, 1T (powers of 1024). 0/-1. */
int config_parse_size(const char *s, uint64_t *out);

#endif
