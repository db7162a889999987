/*
 * tests/unit/zipcd.c: the zip central-directory cross-check (inspect/zipcd.c).
 *
 * Hostile layouts are written byte by byte here (a tiny zip writer of
 * stored entries whose every field can be bent); real zips come from
 * python3's zipfile at test time. Each test asserts the finding codes.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect/zipcd.h"

#define MAX_ENTRIES 10000

/* ---- findings collected from the callback ---- */

struct seen {
	char codes[64][32];
	char names[64][256];
	int  n;
};

static void
collect(void *arg, const char *code, const char *name, const char *detail)
{
	struct seen *s = arg;

	ck_assert_ptr_nonnull(code);
	ck_assert_ptr_nonnull(name);
	ck_assert_ptr_nonnull(detail);
	if (s->n < 64) {
		snprintf(s->codes[s->n], sizeof(s->codes[0]), "%s", code);
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name);
		s->n++;
	}
}

static int
has(const struct seen *s, const char *code)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->codes[i], code) == 0)
			return 1;
	return 0;
}

static void
dump(const struct seen *s)
{
	for (int i = 0; i < s->n; i++)
		fprintf(stderr, "  finding %s [%s]\n", s->codes[i], s->names[i]);
}

/* Runs zipcd_check over BUF in a memfd. */
static int
check_buf(const void *buf, size_t len, uint64_t max, struct seen *s)
{
	int fd, r;

	memset(s, 0, sizeof(*s));
	fd = memfd_create("zipcd-test", MFD_CLOEXEC);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	/* the reader must not care where the offset is */
	lseek(fd, (off_t)(len / 2), SEEK_SET);
	r = zipcd_check(fd, len, max, collect, s);
	close(fd);
	if (r != s->n)
		dump(s);
	ck_assert_int_eq(r, s->n);
	return r;
}

/* ---- a bendable zip writer (stored entries) ---- */

struct zb {
	uint8_t  p[1 << 16];
	size_t   len;
};

static uint32_t
crc32_of(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

static void
zb_bytes(struct zb *z, const void *p, size_t n)
{
	ck_assert_uint_le(z->len + n, sizeof(z->p));
	memcpy(z->p + z->len, p, n);
	z->len += n;
}

static void
zb_16(struct zb *z, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	zb_bytes(z, b, 2);
}

static void
zb_32(struct zb *z, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	zb_bytes(z, b, 4);
}

struct zentry {
	const char *name;       /* central name */
	const char *lname;      /* local name (NULL: same) */
	const char *data;
	uint16_t    method, lmethod;
	uint32_t    crc, lcrc;  /* 0: computed */
	uint32_t    lho;        /* filled by zb_local */
};

static void
zb_local(struct zb *z, struct zentry *e)
{
	const char *ln = e->lname != NULL ? e->lname : e->name;
	uint32_t len = (uint32_t)strlen(e->data);

	if (e->crc == 0)
		e->crc = crc32_of(e->data, len);
	e->lho = (uint32_t)z->len;
	zb_32(z, 0x04034b50);
	zb_16(z, 20);
	zb_16(z, 0);
	zb_16(z, e->lmethod != 0 ? e->lmethod : e->method);
	zb_16(z, 0);
	zb_16(z, 0x21);
	zb_32(z, e->lcrc != 0 ? e->lcrc : e->crc);
	zb_32(z, len);
	zb_32(z, len);
	zb_16(z, (uint16_t)strlen(ln));
	zb_16(z, 0);
	zb_bytes(z, ln, strlen(ln));
	zb_bytes(z, e->data, len);
}

static void
zb_central(struct zb *z, const struct zentry *e)
{
	uint32_t len = (uint32_t)strlen(e->data);

	zb_32(z, 0x02014b50);
	zb_16(z, 0x031e);
	zb_16(z, 20);
	zb_16(z, 0);
	zb_16(z, e->method);
	zb_16(z, 0);
	zb_16(z, 0x21);
	zb_32(z, e->crc);
	zb_32(z, len);
	zb_32(z, len);
	zb_16(z, (uint16_t)strlen(e->name));
	zb_16(z, 0);
	zb_16(z, 0);
	zb_16(z, 0);
	zb_16(z, 0);
	zb_32(z, 0100644u << 16);
	zb_32(z, e->lho);
	zb_bytes(z, e->name, strlen(e->name));
}

static void
zb_eocd(struct zb *z, uint16_t n, uint32_t cd_off, uint32_t cd_size, const char *comment)
{
	zb_32(z, 0x06054b50);
	zb_16(z, 0);
	zb_16(z, 0);
	zb_16(z, n);
	zb_16(z, n);
	zb_32(z, cd_size);
	zb_32(z, cd_off);
	zb_16(z, (uint16_t)strlen(comment));
	zb_bytes(z, comment, strlen(comment));
}

/* A whole zip of entries E[0..N). */
static void
zb_zip(struct zb *z, struct zentry *e, int n, const char *comment)
{
	size_t cd;

	for (int i = 0; i < n; i++)
		zb_local(z, &e[i]);
	cd = z->len;
	for (int i = 0; i < n; i++)
		zb_central(z, &e[i]);
	zb_eocd(z, (uint16_t)n, (uint32_t)cd, (uint32_t)(z->len - cd), comment);
}

/* ---- python-made zips ---- */

static uint8_t *
py_zip(const char *script, size_t *len)
{
	char path[] = "/tmp/unit-zipcd-XXXXXX", cmd[512];
	FILE *f;
	uint8_t *buf;
	long n;
	int fd;

	ck_assert_int_ne(fd = mkstemp(path), -1);
	close(fd);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 - '%s'", path);
	ck_assert_ptr_nonnull(f = popen(cmd, "w"));
	fputs("import sys, zipfile, io\nout = sys.argv[1]\n", f);
	fputs(script, f);
	ck_assert_int_eq(pclose(f), 0);
	ck_assert_ptr_nonnull(f = fopen(path, "rb"));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	unlink(path);
	*len = (size_t)n;
	return buf;
}

/* ---- happy paths ---- */

START_TEST(clean_stored_zip_has_no_findings)
{
	struct zentry e[] = {
		{ .name = "a.txt", .data = "hello\n" },
		{ .name = "dir/b.txt", .data = "world\n" },
	};
	static struct zb z;
	struct seen s;

	z.len = 0;
	zb_zip(&z, e, 2, "");
	ck_assert_int_eq(check_buf(z.p, z.len, MAX_ENTRIES, &s), 0);
}
END_TEST

START_TEST(empty_zip_has_no_findings)
{
	static struct zb z;
	struct seen s;

	z.len = 0;
	zb_eocd(&z, 0, 0, 0, "");
	ck_assert_int_eq(check_buf(z.p, z.len, MAX_ENTRIES, &s), 0);
}
END_TEST

START_TEST(comment_is_not_trailing_data)
{
	struct zentry e[] = { { .name = "a.txt", .data = "x" } };
	static struct zb z;
	struct seen s;

	z.len = 0;
	zb_zip(&z, e, 1, "an archive comment");
	ck_assert_int_eq(check_buf(z.p, z.len, MAX_ENTRIES, &s), 0);
}
END_TEST

START_TEST(python_deflated_zip_is_clean)
{
	struct seen s;
	size_t len;
	uint8_t *b = py_zip(
	    "with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:\n"
	    "    z.writestr('a.txt', 'a' * 10000)\n"
	    "    z.writestr('d/', '')\n"
	    "    z.writestr('d/caf\\u00e9.txt', 'b')\n", &len);

	ck_assert_int_eq(check_buf(b, len, MAX_ENTRIES, &s), 0);
	free(b);
}
END_TEST

START_TEST(data_descriptors_are_accepted)
{
	/* Written to an unseekable stream, zipfile uses data descriptors
	 * (flag bit 3, zero CRC and sizes in the local header). */
	struct seen s;
	size_t len;
	uint8_t *b = py_zip(
	    "class W(io.RawIOBase):\n"
	    "    def __init__(s): s.b = bytearray()\n"
	    "    def writable(s): return True\n"
	    "    def write(s, d): s.b += d; return len(d)\n"
	    "    def seekable(s): return False\n"
	    "w = W()\n"
	    "with zipfile.ZipFile(w, 'w', zipfile.ZIP_DEFLATED) as z:\n"
	    "    with z.open('a.txt', 'w') as f: f.write(b'x' * 5000)\n"
	    "    with z.open('b.txt', 'w') as f: f.write(b'y')\n"
	    "assert w.b[6] & 8\n"
	    "open(out, 'wb').write(w.b)\n", &len);

	ck_assert_int_eq(check_buf(b, len, MAX_ENTRIES, &s), 0);
	free(b);
}
END_TEST

START_TEST(zip64_records_are_read)
{
	struct seen s;
	size_t len;
	uint8_t *b = py_zip(
	    "with zipfile.ZipFile(out, 'w') as z:\n"
	    "    with z.open('big.txt', 'w', force_zip64=True) as f: f.write(b'x' * 100)\n"
	    "    z.writestr('b.txt', 'y')\n", &len);

	ck_assert_int_eq(check_buf(b, len, MAX_ENTRIES, &s), 0);
	free(b);
}
END_TEST

/* add() writes an entry named RAW (bytes, no UTF-8 flag: ASCII stand-ins
 * patched in by fix()) with a Unicode Path field U. */
#define PY_UPATH \
	"import struct, zlib\n" \
	"subs = []\n" \
	"def up(raw, u):\n" \
	"    d = struct.pack('<BI', 1, zlib.crc32(raw)) + u\n" \
	"    return struct.pack('<HH', 0x7075, len(d)) + d\n" \
	"def add(z, raw, u):\n" \
	"    stand = ('%0' + str(len(raw)) + 'd') % len(subs)\n" \
	"    subs.append((stand.encode(), raw))\n" \
	"    zi = zipfile.ZipInfo(stand, (2024, 1, 1, 0, 0, 0))\n" \
	"    zi.extra = up(raw, u)\n" \
	"    z.writestr(zi, 'data')\n" \
	"def fix():\n" \
	"    b = open(out, 'rb').read()\n" \
	"    for s, r in subs: b = b.replace(s, r)\n" \
	"    open(out, 'wb').write(b)\n"

START_TEST(unicode_path_field_agreeing_with_the_name_is_accepted)
{
	struct seen s;
	size_t len;
	/* a UTF-8 name and its own field; a CP437 name (0x82 is e-acute)
	 * with its UTF-8 spelling in the field, as Info-ZIP writes them */
	uint8_t *b = py_zip(PY_UPATH
	    "with zipfile.ZipFile(out, 'w') as z:\n"
	    "    add(z, b'plain.txt', b'plain.txt')\n"
	    "    add(z, b'caf\\x82.txt', 'caf\\u00e9.txt'.encode())\n"
	    "fix()\n", &len);

	ck_assert_int_eq(check_buf(b, len, MAX_ENTRIES, &s), 0);
	free(b);
}
END_TEST

/* ---- hostile layouts ---- */

START_TEST(unicode_path_field_naming_another_file_is_found)
{
	/* libarchive, unzip and 7-Zip read "good.txt"; Python, Go and Java
	 * extract "../evil.txt". */
	struct seen s;
	size_t len;
	uint8_t *b = py_zip(PY_UPATH
	    "with zipfile.ZipFile(out, 'w') as z:\n"
	    "    add(z, b'../evil.txt', b'good.txt')\n"
	    "fix()\n", &len);

	ck_assert_int_gt(check_buf(b, len, MAX_ENTRIES, &s), 0);
	ck_assert(has(&s, "zip-cd-mismatch"));
	free(b);
	b = py_zip(PY_UPATH
	    "with zipfile.ZipFile(out, 'w') as z:\n"
	    "    add(z, b'\\x82../evil.txt', b'\\xc3\\xa9.txt')\n"
	    "fix()\n", &len);
	ck_assert_int_gt(check_buf(b, len, MAX_ENTRIES, &s), 0);
	ck_assert(has(&s, "zip-cd-mismatch"));
	free(b);
}
END_TEST


START_TEST(overlapping_entries_are_found)
{
	/* Two central entries share one local header: libarchive merges
	 * them; a bomb repeats one compressed body this way. */
	struct zentry e[] = { { .name = "a.txt", .data = "hello" } };
	struct zentry e2;
	static struct zb z;
	struct seen s;
	size_t cd;

	z.len = 0;
	zb_local(&z, &e[0]);
	cd = z.len;
	zb_central(&z, &e[0]);
	e2 = e[0];
	zb_central(&z, &e2);
	zb_eocd(&z, 2, (uint32_t)cd, (uint32_t)(z.len - cd), "");
	ck_assert_int_gt(check_buf(z.p, z.len, MAX_ENTRIES, &s), 0);
	ck_assert(has(&s, "zip-overlap"));
}
END_TEST

START_TEST(overlap_into_another_entry_is_found)
{
	/* The second entry's local header lies inside the first's data. */
	struct zentry e[] = {
		{ .name = "a.txt", .data = "0123456789012345678901234567890123456789012345" },
		{ .name = "b.txt", .data = "x" },
	};
	static struct zb z;
	struct seen s;
	size_t cd;
	struct zb inner;

	/* b's local header is written as a's data */
	inner.len = 0;
	e[1].lho = 0;
	zb_local(&inner, &e[1]);
	z.len = 0;
	/* write a by hand: its data is b's local header */
	e[0].crc = crc32_of(inner.p, inner.len);
	e[0].lho = 0;
	zb_32(&z, 0x04034b50); zb_16(&z, 20); zb_16(&z, 0); zb_16(&z, 0);
	zb_16(&z, 0); zb_16(&z, 0x21); zb_32(&z, e[0].crc);
	zb_32(&z, (uint32_t)inner.len); zb_32(&z, (uint32_t)inner.len);
	zb_16(&z, 5); zb_16(&z, 0); zb_bytes(&z, "a.txt", 5);
	e[1].lho = (uint32_t)z.len;
	zb_bytes(&z, inner.p, inner.len);
	cd = z.len;
	/* central entries by hand (data lengths differ from strlen) */
	zb_32(&z, 0x02014b50); zb_16(&z, 0x031e); zb_16(&z, 20); zb_16(&z, 0);
	zb_16(&z, 0); zb_16(&z, 0); zb_16(&z, 0x21); zb_32(&z, e[0].crc);
	zb_32(&z, (uint32_t)inner.len); zb_32(&z, (uint32_t)inner.len);
	zb_16(&z, 5); zb_16(&z, 0); zb_16(&z, 0); zb_16(&z, 0); zb_16(&z, 0);
	zb_32(&z, 0); zb_32(&z, 0); zb_bytes(&z, "a.txt", 5);
	zb_central(&z, &e[1]);
	zb_eocd(&z, 2, (uint32_t)cd, (uint32_t)(z.len - cd), "");
	ck_assert_int_gt(check_buf(z.p, z.len, MAX_ENTRIES, &s), 0);
	ck_assert(has(&s, "zip-overlap"));
}
END_TEST

START_TEST(prepended_stub_is_found)
{
	struct zentry e[] = { { .name = "a.txt", .data = "x" } };
	static struct zb z;
	struct seen s;

	z.len = 0;
	zb_bytes(&z, "#!/bin/sh\nexit 0\n", 17);
	zb_zip(&z, e, 1, "");   /* offsets are absolute: the stub is before entry 0 */
	ck_assert_int_gt(check_buf(z.p, z.len, MAX_ENTRIES, &s), 0);
	ck_assert(has(&s, "zip-prefix"));
}
END_TEST

START_TEST(prepended_data_with_relative_offsets_is_found)
{
	struct zentry e[] = { { .name = "a.txt", .data = "x" } };
	static struct zb z, inner;
	struct seen s;

	inner.len = 0;
	zb_zip(&inner, e, 1, "");   /* offsets relative to its own start */
	z.len = 0;
	zb_bytes(&z, "JUNKJUNKJUNK", 12);
	zb_bytes(&z, inner.p, inner.len);
	ck_assert_int_gt(check_buf(z.p, z.len, MAX_ENTRIES, &s), 0);
	ck_assert(has(&s, "zip-prefix"));
}
END_TEST

START_TEST(trailing_data_is_found)
{
	struct zentry e[] = { { .name = "a.txt", .data = "x" } };
	static struct zb z;
	struct seen s;

	z.len = 0;
	zb_zip(&z, e, 1, "");
	zb_bytes(&z, "trailing", 8);
	ck_assert_int_gt(check_buf(z.p, z.len, MAX_ENTRIES, &s), 0);
	ck_assert(has(&s, "zip-trailing"));
}
END_TEST

START_TEST(concatenated_zips_are_found)
{
	struct zentry e1[] = { { .name = "first.txt", .data = "one" } };
	struct zentry e2[] = { { .name = "second.txt", .data = "two" } };
	static struct zb z, b;
	struct seen s;

	z.len = 0;
	zb_zip(&z, e1, 1, "");
	b.len = 0;
	zb_zip(&b, e2, 1, "");
	zb_bytes(&z, b.p, b.len);
	ck_assert_int_gt(check_buf(z.p, z.len, MAX_ENTRIES, &s), 0);
	ck_assert(has(&s, "zip-multiple-eocd"));
	ck_assert(has(&s, "zip-prefix"));
}
END_TEST

START_TEST(end_record_in_comment_is_found)
{
	struct zentry e[] = { { .name = "a.txt", .data = "x" } };
	static struct zb z, fake;
	struct seen s;
	char comment[64];

	/* a comment holding an end record that parses (empty archive) */
	fake.len = 0;
	zb_eocd(&fake, 0, 0, 0, "");
	memcpy(comment, fake.p, fake.len);
	comment[fake.len] = '\0';
	z.len = 0;
	for (size_t i = 0; i < 1; i++)
		zb_zip(&z, e, 1, "");
	/* rewrite: the real end record with the fake one as its comment */
	z.len -= 22;
	zb_32(&z, 0x06054b50); zb_16(&z, 0); zb_16(&z, 0); zb_16(&z, 1); zb_16(&z, 1);
	zb_32(&z, (uint32_t)(46 + 5)); zb_32(&z, (uint32_t)(30 + 5 + 1));
	zb_16(&z, (uint16_t)fake.len);
	zb_bytes(&z, fake.p, fake.len);
	ck_assert_int_gt(check_buf(z.p, z.len, MAX_ENTRIES, &s), 0);
	ck_assert(has(&s, "zip-multiple-eocd"));
}
END_TEST

START_TEST(local_name_mismatch_is_found)
{
	struct zentry e[] = { { .name = "report.pdf", .lname = "report.exe", .data = "x" } };
	static struct zb z;
	struct seen s;

	z.len = 0;
	zb_zip(&z, e, 1, "");
	ck_assert_int_gt(check_buf(z.p, z.len, MAX_ENTRIES, &s), 0);
	ck_assert(has(&s, "zip-cd-mismatch"));
	ck_assert_str_eq(s.names[0], "report.pdf");
}
END_TEST

START_TEST(local_crc_mismatch_is_found)
{
	struct zentry e[] = { { .name = "a.txt", .data = "x", .lcrc = 0x12345678 } };
	static struct zb z;
	struct seen s;

	z.len = 0;
	zb_zip(&z, e, 1, "");
	ck_assert_int_gt(check_buf(z.p, z.len, MAX_ENTRIES, &s), 0);
	ck_assert(has(&s, "zip-cd-mismatch"));
}
END_TEST

START_TEST(local_method_mismatch_is_found)
{
	struct zentry e[] = { { .name = "a.txt", .data = "x", .lmethod = 8 } };
	static struct zb z;
	struct seen s;

	z.len = 0;
	zb_zip(&z, e, 1, "");
	ck_assert_int_gt(check_buf(z.p, z.len, MAX_ENTRIES, &s), 0);
	ck_assert(has(&s, "zip-cd-mismatch"));
}
END_TEST

START_TEST(hidden_bytes_between_entries_are_found)
{
	struct zentry e[] = { { .name = "a.txt", .data = "x" }, { .name = "b.txt", .data = "y" } };
	static struct zb z;
	struct seen s;
	size_t cd;

	z.len = 0;
	zb_local(&z, &e[0]);
	zb_bytes(&z, "HIDDEN", 6);
	zb_local(&z, &e[1]);
	cd = z.len;
	zb_central(&z, &e[0]);
	zb_central(&z, &e[1]);
	zb_eocd(&z, 2, (uint32_t)cd, (uint32_t)(z.len - cd), "");
	ck_assert_int_gt(check_buf(z.p, z.len, MAX_ENTRIES, &s), 0);
	ck_assert(has(&s, "zip-gap"));
}
END_TEST

START_TEST(missing_end_record_is_found)
{
	struct seen s;

	static const char notzip[] = "PK\003\004 not really a zip at all, no end record";

	ck_assert_int_gt(check_buf(notzip, sizeof(notzip) - 1, MAX_ENTRIES, &s), 0);
	ck_assert(has(&s, "zip-bad-cd"));
	ck_assert_int_gt(check_buf("PK", 2, MAX_ENTRIES, &s), 0);
	ck_assert(has(&s, "zip-bad-cd"));
}
END_TEST

START_TEST(entry_count_larger_than_directory_is_found)
{
	struct zentry e[] = { { .name = "a.txt", .data = "x" } };
	static struct zb z;
	struct seen s;
	size_t cd;

	z.len = 0;
	zb_local(&z, &e[0]);
	cd = z.len;
	zb_central(&z, &e[0]);
	zb_eocd(&z, 3, (uint32_t)cd, (uint32_t)(z.len - cd), "");
	ck_assert_int_gt(check_buf(z.p, z.len, MAX_ENTRIES, &s), 0);
	ck_assert(has(&s, "zip-bad-cd"));
}
END_TEST

START_TEST(hidden_central_entry_is_found)
{
	/* The directory holds two entries, the end record counts one. */
	struct zentry e[] = { { .name = "a.txt", .data = "x" }, { .name = "b.txt", .data = "y" } };
	static struct zb z;
	struct seen s;
	size_t cd;

	z.len = 0;
	zb_local(&z, &e[0]);
	zb_local(&z, &e[1]);
	cd = z.len;
	zb_central(&z, &e[0]);
	zb_central(&z, &e[1]);
	zb_eocd(&z, 1, (uint32_t)cd, (uint32_t)(z.len - cd), "");
	ck_assert_int_gt(check_buf(z.p, z.len, MAX_ENTRIES, &s), 0);
	ck_assert(has(&s, "zip-bad-cd"));
}
END_TEST

START_TEST(too_many_entries_are_refused)
{
	struct zentry e[] = {
		{ .name = "a", .data = "1" }, { .name = "b", .data = "2" },
		{ .name = "c", .data = "3" },
	};
	static struct zb z;
	struct seen s;

	z.len = 0;
	zb_zip(&z, e, 3, "");
	ck_assert_int_eq(check_buf(z.p, z.len, 3, &s), 0);
	ck_assert_int_eq(check_buf(z.p, z.len, 2, &s), 1);
	ck_assert(has(&s, "too-many-members"));
}
END_TEST

START_TEST(local_offset_past_directory_is_found)
{
	struct zentry e[] = { { .name = "a.txt", .data = "x" } };
	static struct zb z;
	struct seen s;
	size_t cd;

	z.len = 0;
	zb_local(&z, &e[0]);
	cd = z.len;
	e[0].lho = 60000;
	zb_central(&z, &e[0]);
	zb_eocd(&z, 1, (uint32_t)cd, (uint32_t)(z.len - cd), "");
	ck_assert_int_gt(check_buf(z.p, z.len, MAX_ENTRIES, &s), 0);
	ck_assert(has(&s, "zip-bad-cd"));
}
END_TEST

START_TEST(every_truncation_and_bit_flip_is_survived)
{
	/* Not a finding check: the reader must stay inside its buffers (run
	 * under ASan in CI) whatever the bytes. */
	struct zentry e[] = { { .name = "a.txt", .data = "hello" }, { .name = "b/", .data = "" } };
	static struct zb z;
	static uint8_t buf[1 << 12];
	struct seen s;

	z.len = 0;
	zb_zip(&z, e, 2, "c");
	ck_assert_uint_le(z.len, sizeof(buf));
	for (size_t cut = 0; cut < z.len; cut++)
		(void)check_buf(z.p, cut, MAX_ENTRIES, &s);
	for (size_t i = 0; i < z.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(buf, z.p, z.len);
			buf[i] ^= (uint8_t)(1u << bit);
			(void)check_buf(buf, z.len, MAX_ENTRIES, &s);
		}
	}
}
END_TEST

START_TEST(probe_finds_a_zip_behind_text)
{
	struct zentry e[] = { { .name = "a.txt", .data = "x" } };
	static struct zb z;
	int fd;

	z.len = 0;
	zb_bytes(&z, "plain text first\n", 17);
	zb_zip(&z, e, 1, "");
	fd = memfd_create("probe", MFD_CLOEXEC);
	ck_assert_int_eq(write(fd, z.p, z.len), (ssize_t)z.len);
	ck_assert_int_eq(zipcd_probe(fd, z.len), 1);
	ck_assert_int_eq(zipcd_probe(fd, 17), 0);
	close(fd);
}
END_TEST

static Suite *
zipcd_suite(void)
{
	Suite *s = suite_create("zipcd");
	TCase *ok = tcase_create("accepts");
	TCase *bad = tcase_create("rejects");

	tcase_add_test(ok, clean_stored_zip_has_no_findings);
	tcase_add_test(ok, empty_zip_has_no_findings);
	tcase_add_test(ok, comment_is_not_trailing_data);
	tcase_add_test(ok, python_deflated_zip_is_clean);
	tcase_add_test(ok, data_descriptors_are_accepted);
	tcase_add_test(ok, zip64_records_are_read);
	tcase_add_test(ok, unicode_path_field_agreeing_with_the_name_is_accepted);
	tcase_add_test(bad, unicode_path_field_naming_another_file_is_found);
	tcase_add_test(bad, overlapping_entries_are_found);
	tcase_add_test(bad, overlap_into_another_entry_is_found);
	tcase_add_test(bad, prepended_stub_is_found);
	tcase_add_test(bad, prepended_data_with_relative_offsets_is_found);
	tcase_add_test(bad, trailing_data_is_found);
	tcase_add_test(bad, concatenated_zips_are_found);
	tcase_add_test(bad, end_record_in_comment_is_found);
	tcase_add_test(bad, local_name_mismatch_is_found);
	tcase_add_test(bad, local_crc_mismatch_is_found);
	tcase_add_test(bad, local_method_mismatch_is_found);
	tcase_add_test(bad, hidden_bytes_between_entries_are_found);
	tcase_add_test(bad, missing_end_record_is_found);
	tcase_add_test(bad, entry_count_larger_than_directory_is_found);
	tcase_add_test(bad, hidden_central_entry_is_found);
	tcase_add_test(bad, too_many_entries_are_refused);
	tcase_add_test(bad, local_offset_past_directory_is_found);
	tcase_add_test(bad, every_truncation_and_bit_flip_is_survived);
	tcase_add_test(bad, probe_finds_a_zip_behind_text);
	suite_add_tcase(s, ok);
	suite_add_tcase(s, bad);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(zipcd_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
