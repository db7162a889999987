/*
 * common/msg.h: the messages between intaked's processes, and their framing.
 *
 * Runs in every process of the daemon (parent, front, inspectors, notary).
 * One message is one record on an AF_UNIX SOCK_SEQPACKET socketpair: a
 * fixed header, a payload of at most MSG_PAYLOAD_MAX bytes, and at most one
 * file descriptor passed with SCM_RIGHTS. Payloads are flat, fixed-size
 * structs (or a length-prefixed chunk): nothing with a pointer crosses a
 * process boundary.
 *
 * Trusts nothing it receives: msg_recv checks every message against the
 * receiver's allowlist for that direction (type, size, whether it must or
 * must not carry a descriptor, and the type's own field check, e.g. that
 * every string is NUL-terminated in its array) before the caller sees it. A
 * message that breaks a rule is EPROTO, which the receiver treats as fatal
 * for that peer (OpenBSD's IMSG_SIZE_CHECK, `default: fatal`).
 *
 * API: msg_socketpair, msg_send, msg_recv, msg_recv_nowait, msg_chunk_len; the allowlists
 * msg_to_inspect, msg_from_inspect, msg_to_notary, msg_from_notary.
 */
#ifndef INTAKE_MSG_H
#define INTAKE_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

/* One record: well under the default socket buffer (net.core.wmem_default,
 * 208 KiB), so that a blocking send of one message never deadlocks against
 * a peer that is itself sending. */
#define MSG_PAYLOAD_MAX (32 * 1024)

/* Field sizes, the same as the structs they are copied from (asserted where
 * both are seen: tests/unit/msg.c). */
#define MSG_FILENAME_MAX   256   /* FILENAME_MAX_BYTES + 1 */
#define MSG_REF_MAX        129   /* REF_MAX + 1 */
#define MSG_DIGEST_MAX     513   /* a Content-Digest claim */
#define MSG_CODE_MAX       48    /* FINDING_CODE_MAX */
#define MSG_MEMBER_MAX     1024  /* FINDING_MEMBER_MAX */
#define MSG_DETAIL_MAX     256   /* FINDING_DETAIL_MAX */
#define MSG_TIME_MAX       32    /* ENTRY_TIME_MAX */
#define MSG_QNAME_MAX      64    /* a quarantine file's name, "q-<32 hex>" */
#define MSG_VKEY_MAX       512   /* a verifier key string */
#define MSG_SCAN_MAX       128   /* CLAMD_VERSION_MAX: the scan line */

enum msg_type {
	MSG_INSPECT = 1, /* front → inspector, fd: the quarantined file, read-only */
	MSG_FINDING,     /* inspector → front, front → notary: one finding */
	MSG_MANIFEST,    /* inspector → front, front → notary: a chunk of the member manifest */
	MSG_WBREF,       /* inspector → front, front → notary: one evidence-reference row */
	MSG_VERDICT,     /* inspector → front, front → notary: closes what came before */
	MSG_RECORD,      /* front → notary, fd: the quarantined file; the upload's claims */
	MSG_RECORDED,    /* notary → front: the outcome of a MSG_RECORD */
	MSG_TEXT,        /* notary → front: a chunk of the entry, receipt or proof */
	MSG_READY,       /* notary → front: recovery is done, the ledger may be read */
	MSG_FACT,        /* front → notary: a fact SECAS records (DESIGN §8); MSG_RECORDED answers */
	MSG_HASH_OPEN,   /* front → notary, fd: a spooled upload's file, read-only (prehash.h) */
	MSG_HASH_MORE,   /* front → notary: that file is written up to here */
	MSG_HASH_DROP,   /* front → notary: that upload will not be recorded */
	MSG_STREAM,      /* front → inspector, fd: a pipe carrying the body of a streamed MSG_INSPECT */
	MSG_TYPE_END
};

struct msg_hdr {
	uint32_t type;
	uint32_t len;    /* payload bytes after the header */
	uint64_t id;     /* the job: chosen by the requester, echoed in every answer */
};

/* MSG_INSPECT: everything an inspector needs besides the fd, so that it
 * reads no configuration at all: the policy's limits and the one kind of
 * the upload. POLICY is a flat copy of the front's struct policy except its
 * kinds pointer, which the sender sets to NULL (nkinds 0) and the receiver
 * points at KIND itself (nkinds 1): no pointer value crosses. */
struct msg_inspect {
	uint64_t      size;
	uint64_t      nul_at;               /* with scanned: the first NUL at or past the magic bytes */
	uint32_t      scanned;
	uint32_t      stream;               /* the body follows in a pipe (MSG_STREAM): a tar
	                                       inspected as it arrives (front/follow.h) */
	struct policy policy;               /* kinds NULL, nkinds 0 */
	struct kind   kind;
	char          filename[MSG_FILENAME_MAX];
	char          party[PARTY_ID_MAX];  /* the Party the upload is for (G5.27 content) */
};

/* MSG_FINDING */
struct msg_finding {
	uint32_t reject;                    /* the finding makes the upload a rejection */
	char     code[MSG_CODE_MAX];
	char     member[MSG_MEMBER_MAX];
	char     detail[MSG_DETAIL_MAX];
};

/* MSG_WBREF: one row of a Validation Workbook's evidence-reference tab. */
struct msg_wbref {
	char ref[129];
	char filename[256];
	char obligation[64];
	char sha256[65];                    /* lowercase hex or "" */
	char description[256];
};

/* MSG_VERDICT: the inspection's outcome; the findings, manifest chunks and
 * workbook rows of the same id came before it, and their counts must match. */
struct msg_verdict {
	uint32_t accepted;
	uint32_t is_archive;
	uint64_t members;
	uint64_t nfindings;                 /* MSG_FINDING messages sent */
	uint64_t nmore;                     /* findings not kept */
	uint64_t manifest_len;              /* bytes in MSG_MANIFEST chunks */
	uint64_t nwbrefs;                   /* MSG_WBREF messages sent */
	uint32_t workbook;                  /* a workbook tab was read (even with no rows) */
	uint32_t need_file;                 /* a streamed inspection could not decide */
	uint8_t  manifest_sha256[32];
	char     type[MIME_MAX];
	char     tab[128];
};

/* MSG_MANIFEST and MSG_TEXT: LEN bytes of DATA; for MSG_TEXT, WHAT says
 * which text (entry, receipt or proof) the bytes continue. */
enum msg_text { MSG_TEXT_ENTRY = 1, MSG_TEXT_RECEIPT, MSG_TEXT_PROOF, MSG_TEXT_MANIFEST };
struct msg_chunk {
	uint32_t what;
	uint32_t len;
	uint8_t  data[];
};
#define MSG_CHUNK_MAX (MSG_PAYLOAD_MAX - sizeof(struct msg_chunk))

/* MSG_RECORD: what the front claims of an upload. The notary re-checks the
 * claims it can (size and SHA-256 of the fd it receives, or computes the
 * SHA-256 itself when the front made none, the kind, the
 * Party, that QUARANTINE names that very file in the quarantine directory)
 * before it records anything. The findings, manifest chunks, workbook rows
 * and verdict of the same id follow it. */
struct msg_record {
	uint64_t size;
	uint8_t  sha256[32];
	char     party[PARTY_ID_MAX];
	char     cert_sha256[65];
	char     kind[KIND_NAME_MAX];
	char     filename[MSG_FILENAME_MAX];
	char     ref[MSG_REF_MAX];
	char     client_digest[MSG_DIGEST_MAX];
	char     quarantine[MSG_QNAME_MAX];   /* a plain name in DATA/quarantine */
	char     agent[PARTY_ID_MAX];         /* ?for=: the provider; "" = none */
	uint64_t plan;                        /* ?plan=, with has_plan */
	uint32_t has_plan;                    /* 0 or 1 */
	uint32_t has_sha256;                  /* 0: the front left the hash to the notary */
	uint64_t prehash;                     /* the MSG_HASH_OPEN id of this file; 0 = none */
	char     scan[MSG_SCAN_MAX];          /* clamd's VERSION answer; "" = not scanned */
};

/* MSG_HASH_OPEN, MSG_HASH_MORE, MSG_HASH_DROP: the header's id is the
 * pre-hash's token (strictly increasing); UPTO is how far the file is
 * written (0 in the open and the drop). The notary reads and hashes the
 * file itself (notary/prehash.h): nothing the front says here is trusted
 * beyond where to read up to. */
struct msg_hash {
	uint64_t upto;
};

/* MSG_FACT: a fact about PARTY that RECORDED_BY (role secas) asks to log.
 * The notary re-checks the role, the Party, the fact's name and the date
 * from its own parties load before anything is signed. No descriptor. */
struct msg_fact {
	char     party[PARTY_ID_MAX];
	char     recorded_by[PARTY_ID_MAX];
	char     cert_sha256[65];
	char     fact[32];                    /* FACT_NAME_MAX */
	char     date[11];                    /* "YYYY-MM-DD" */
};

/* MSG_STREAM: right after a MSG_INSPECT with STREAM set, the read end of a
 * pipe that carries the upload's body from its first byte, SIZE bytes (the
 * request's size) unless the front stops early. */
struct msg_stream {
	uint64_t size;
};

/* MSG_RECORDED: the notary's answer. On status 0 the entry, receipt and
 * proof of the sizes given come either in the same record, right after the
 * struct and in that order (when all three fit: the usual case, one record
 * per answer), or as MSG_TEXT chunks that follow it (the record is then
 * the struct alone). */
struct msg_recorded {
	int32_t  status;                    /* 0 recorded, -1 not recorded */
	int32_t  err;                       /* errno when not recorded (ENOSPC → 507) */
	uint64_t index;
	uint64_t entry_len, receipt_len, proof_len;
	char     time[MSG_TIME_MAX];
	uint8_t  sha256[32];                /* the file's, as the notary read it */
};

/* MSG_READY: the notary finished start-up recovery; SIZE entries are
 * committed, signed by the key whose verifier key is VKEY (public). */
struct msg_ready {
	uint64_t size;
	char     vkey[MSG_VKEY_MAX];
};

/* A received message. PAYLOAD is aligned for every struct above. FD is the
 * descriptor that came with it (the receiver owns it) or -1. */
struct msg {
	struct msg_hdr hdr;
	int            fd;
	_Alignas(8) uint8_t payload[MSG_PAYLOAD_MAX];
};

/* What a receiver accepts of one type: the payload size range, whether a
 * descriptor must come with it, and an optional check of its fields. */
enum msg_fd { MSG_FD_NONE, MSG_FD_REQUIRED };
struct msg_rule {
	uint32_t    type;
	uint32_t    min, max;
	enum msg_fd fd;
	int       (*valid)(const void *payload, size_t len);   /* 0 ok, -1 not */
};
struct msg_rules {
	const char            *name;   /* the direction, for logs: "inspector → front" */
	const struct msg_rule *v;
	size_t                 n;
};

/* The allowlist of each direction; anything else is EPROTO. */
extern const struct msg_rules msg_to_inspect;    /* front → inspector */
extern const struct msg_rules msg_from_inspect;  /* inspector → front */
extern const struct msg_rules msg_to_notary;     /* front → notary */
extern const struct msg_rules msg_from_notary;   /* notary → front */

/* A SOCK_SEQPACKET socketpair, close-on-exec. 0/-1 (errno). */
int msg_socketpair(int sv[2]);
/* Sends one message: TYPE, job ID, LEN bytes of PAYLOAD and, when FD is not
 * -1, that descriptor (the caller still owns and closes its copy). 0, or -1
 * with errno (EMSGSIZE: LEN over MSG_PAYLOAD_MAX; EAGAIN on a non-blocking
 * socket that is full: nothing was sent). */
int msg_send(int sock, uint32_t type, uint64_t id, const void *payload, size_t len, int fd);
/* Receives one message into M and checks it against ALLOW. Returns 1 (a
 * message; the caller owns M->fd), 0 (the peer closed), or -1 with errno:
 * EAGAIN/EINTR, or EPROTO when the message broke a rule (unknown type, a
 * wrong size, a truncated record, a missing or unexpected descriptor, a
 * field check) — nothing of it is kept and any descriptor is closed. */
int msg_recv(int sock, const struct msg_rules *allow, struct msg *m);
/* msg_recv without waiting, on a blocking socket too: EAGAIN when no
 * message is there. */
int msg_recv_nowait(int sock, const struct msg_rules *allow, struct msg *m);
/* The payload length of a chunk of LEN data bytes. */
size_t msg_chunk_len(size_t len);

#endif
