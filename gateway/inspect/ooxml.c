/*
 * inspect/ooxml.c: Office Open XML packages (.xlsx, .docx, .pptx), walked
 * part by part with libarchive (zip only, central directory, as Office reads
 * it) and expat (xml.h: no DTD, no entities, depth and size limits).
 *
 * Runs in the inspector; trusts nothing in the package. A package is
 * identified by its parts, not by libmagic (which calls an .xlsm an .xlsx):
 * [Content_Types].xml plus a main part (xl/workbook.xml, word/document.xml,
 * ppt/presentation.xml, or an Override declaring a main content type). It
 * never extracts to disk, never follows a relationship, and reads only the
 * first OOXML_SNIFF bytes of parts that are not XML (images are skipped).
 * Packages in .../embeddings/ (a chart's workbook) are walked in memory,
 * OOXML_EMBED_DEPTH levels deep. Bounds: policy archive_members (parts),
 * xml_part_max (one XML part), xml_depth, archive_ratio/archive_expanded
 * (bytes read, both passes, every level), inspect_seconds (the upload's
 * clock, read per part and per block fed to expat).
 *
 * Only one [Content_Types].xml is ever parsed: OPC part names are compared
 * ignoring case and a package may hold each once, so a conforming reader
 * refuses a second one, and so do we (ooxml-duplicate-part) before parsing
 * any: a zip whose central directory names the same 64 MiB part thousands
 * of times was parsed once per name.
 *
 * API: ooxml_inspect (inspect/checks.h).
 *
 * Findings (all reject):
 *   ooxml-macro-enabled          a macro-enabled content type (...macroEnabled...)
 *   ooxml-vba-project            vbaProject.bin / vbaData.xml, VBA content or relationship type
 *   ooxml-ole-part               a part starting D0 CF 11 E0 A1 B1 1A E1 (OLE), whatever its name
 *   ooxml-macrosheet             Excel 4 macro sheet (xl/macrosheets/, (intl)macrosheet types)
 *   ooxml-external-relationship  TargetMode="External", except hyperlinks to http(s)/mailto
 *   ooxml-dde                    ddeLink, DDE/DDEAUTO field codes, app|topic!item formulas
 *   ooxml-ole-object             oleObject parts/types/links, embeddings that are not OOXML
 *   ooxml-activex                activeX parts, content or relationship types
 *   ooxml-encrypted              an OLE container holding EncryptionInfo + EncryptedPackage
 *   ooxml-doctype                an XML part with a DOCTYPE or entity (UTF-16 parts too)
 *   ooxml-xml-encoding           an encoding expat does not support, or a wrong one
 *   ooxml-xml-depth              elements nested deeper than policy xml_depth
 *   ooxml-part-size              an XML part larger than policy xml_part_max
 *   ooxml-xml-invalid            an .xml/.rels/.vml part that is not well-formed
 *   ooxml-zip-error              the zip cannot be read (ARCHIVE_WARN included)
 *   ooxml-zip-encrypted          a zip entry encrypted with a password
 *   ooxml-duplicate-part         [Content_Types].xml more than once (names compared ignoring case)
 *   ooxml-limits                 too many parts, too many bytes, too deep
 *   inspect-timeout              over inspect_seconds (inspect.h: inspect_timeout)
 *
 * An encrypted package is not a zip but an OLE file: ooxml_inspect sees the
 * OLE signature at offset 0 and reports ooxml-encrypted, leaving *KIND
 * OOXML_NONE (it is not a package that can be opened); so the dispatcher
 * should also call it for application/x-ole-storage, application/CDFV2 and
 * application/encrypted.
 *
 * External hyperlinks (click to open a web page or mail) are the one kind of
 * external relationship allowed (OOXML_ALLOW_WEB_LINKS); every other one
 * (attachedTemplate, oleObject, frame, image, externalLinkPath, file:// or
 * UNC hyperlinks...) is fetched or run by Office when the file opens, or
 * leaks credentials, and is rejected.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "inspect/checks.h"
#include "inspect/xml.h"

#define OOXML_SNIFF        512     /* first bytes read of every part, to type it */
#define OOXML_EMBED_DEPTH  2       /* packages embedded in packages, levels */
#define OOXML_INSTR_MAX    256     /* bytes of a Word field code kept (its first word decides) */
#define OOXML_OLE_BLOCK    (64 * 1024)  /* read size when scanning an OLE file's directory */
#define OOXML_NSSEP        '|'     /* expat namespace separator: names read "URI|local" */
/* 1: an external relationship of type hyperlink to http(s):// or mailto:
 * (opened only when clicked) is allowed; 0: every external one is rejected. */
#define OOXML_ALLOW_WEB_LINKS 1

static const uint8_t ole_sig[8] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 };

enum ooxml_code {
	F_MACRO, F_VBA, F_OLE_PART, F_MACROSHEET, F_EXTERNAL, F_DDE, F_OLE_OBJECT,
	F_ACTIVEX, F_ENCRYPTED, F_DOCTYPE, F_ENCODING, F_DEPTH, F_PART_SIZE,
	F_XML_INVALID, F_ZIP, F_ZIP_ENCRYPTED, F_DUPLICATE, F_LIMITS, F_NCODES
};

static const char *const ooxml_codes[F_NCODES] = {
	[F_MACRO]         = "ooxml-macro-enabled",
	[F_VBA]           = "ooxml-vba-project",
	[F_OLE_PART]      = "ooxml-ole-part",
	[F_MACROSHEET]    = "ooxml-macrosheet",
	[F_EXTERNAL]      = "ooxml-external-relationship",
	[F_DDE]           = "ooxml-dde",
	[F_OLE_OBJECT]    = "ooxml-ole-object",
	[F_ACTIVEX]       = "ooxml-activex",
	[F_ENCRYPTED]     = "ooxml-encrypted",
	[F_DOCTYPE]       = "ooxml-doctype",
	[F_ENCODING]      = "ooxml-xml-encoding",
	[F_DEPTH]         = "ooxml-xml-depth",
	[F_PART_SIZE]     = "ooxml-part-size",
	[F_XML_INVALID]   = "ooxml-xml-invalid",
	[F_ZIP]           = "ooxml-zip-error",
	[F_ZIP_ENCRYPTED] = "ooxml-zip-encrypted",
	[F_DUPLICATE]     = "ooxml-duplicate-part",
	[F_LIMITS]        = "ooxml-limits",
};

/* Where a package's bytes are: the upload (fd) or an embedded part (memory). */
struct ooxml_src {
	int            fd;
	uint64_t       size;
	const uint8_t *mem;    /* non-NULL: read from memory */
};

/* One walk of one package (embedded packages get their own). */
struct ooxml_walk {
	const struct policy   *p;
	struct inspect_result *res;
	const char            *prefix;   /* member path of the package, "" for the upload */
	unsigned               level;    /* 0 for the upload, 1.. for embedded packages */
	uint64_t              *used;     /* bytes read so far, all levels */
	uint64_t               budget;   /* most bytes read, all levels */
	uint64_t               parts;    /* parts walked at this level */
	int                    failed;   /* a read error: stop, return -1 */
};

/* The part being parsed, for the expat callbacks. */
struct ooxml_part {
	struct ooxml_walk *w;
	const char        *name;
	int                is_ct, is_rels, is_xl;
	unsigned           reported;              /* codes already reported for this part */
	int                in_instr;
	char               instr[OOXML_INSTR_MAX];
	size_t             ninstr;
	int                in_formula;
	char               quote;                 /* inside "..." or '...' of a formula */
	enum ooxml_kind    main_kind;             /* pass 1: a main content type seen */
};

static void ooxml_find(struct ooxml_walk *, unsigned *, enum ooxml_code,
    const char *, const char *, ...) __attribute__((format(printf, 5, 6)));
static int ooxml_late(struct ooxml_walk *, const char *);
static int ci_contains(const char *, const char *);
static int ci_prefix(const char *, const char *);
static int ci_suffix(const char *, const char *);
static void lower_path(const char *, char *, size_t);
static enum ooxml_kind ct_main_kind(const char *);
static int ct_ident_start(void *, const char *, const char **);
static int ooxml_identify(struct ooxml_walk *, const struct ooxml_src *, enum ooxml_kind *);
static void check_content_type(struct ooxml_part *, const char *);
static void check_relationship(struct ooxml_part *, const char *, const char *, const char *);
static void check_instr(struct ooxml_part *, const char *, size_t);
static int part_start(void *, const char *, const char **);
static int part_end(void *, const char *);
static int part_text(void *, const char *, int);
static void check_name(struct ooxml_walk *, unsigned *, const char *, const char *);
static int is_xml_name(const char *);
static int sniff_xml(const uint8_t *, size_t);
static int parse_part(struct ooxml_walk *, struct archive *, const char *,
    const uint8_t *, size_t, int);
static int walk_embedded(struct ooxml_walk *, struct archive *, const char *,
    const uint8_t *, size_t, unsigned *);
static int ooxml_walk(struct ooxml_walk *, const struct ooxml_src *, enum ooxml_kind *);
static int ole_encrypted(int, uint64_t, int *);

/* ---- helpers ---- */

/* Reports CODE for PART (once per part when SEEN is given). */
static void
ooxml_find(struct ooxml_walk *w, unsigned *seen, enum ooxml_code code,
    const char *part, const char *fmt, ...)
{
	char member[FINDING_MEMBER_MAX], detail[FINDING_DETAIL_MAX];
	va_list ap;

	if (seen != NULL) {
		if (*seen & (1u << code))
			return;
		*seen |= 1u << code;
	}
	if (w->prefix[0] != '\0' && part[0] != '\0')
		snprintf(member, sizeof(member), "%s/%s", w->prefix, part);
	else
		snprintf(member, sizeof(member), "%s", part[0] != '\0' ? part : w->prefix);
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	inspect_finding(w->res, 1, ooxml_codes[code], member, "%s", detail);
}

/* 1 when the upload's clock has run out: inspect-timeout, stop. */
static int
ooxml_late(struct ooxml_walk *w, const char *part)
{
	char member[FINDING_MEMBER_MAX];

	if (!inspect_late(w->res))
		return 0;
	if (w->prefix[0] != '\0' && part[0] != '\0')
		snprintf(member, sizeof(member), "%s/%s", w->prefix, part);
	else
		snprintf(member, sizeof(member), "%s", part[0] != '\0' ? part : w->prefix);
	inspect_timeout(w->res, member, "Office package: over %u seconds",
	    w->p->inspect_seconds);
	return 1;
}

static int
ci_contains(const char *s, const char *needle)
{
	return s != NULL && strcasestr(s, needle) != NULL;
}

static int
ci_prefix(const char *s, const char *prefix)
{
	return s != NULL && strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static int
ci_suffix(const char *s, const char *suffix)
{
	size_t n, m;

	if (s == NULL)
		return 0;
	n = strlen(s);
	m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* PATH lowercased (ASCII), '\' as '/', without a leading '/'. */
static void
lower_path(const char *path, char *out, size_t outlen)
{
	size_t i = 0;

	while (*path == '/' || *path == '\\')
		path++;
	for (; *path != '\0' && i + 1 < outlen; path++, i++) {
		char c = *path;

		if (c == '\\')
			c = '/';
		else if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		out[i] = c;
	}
	out[i] = '\0';
}

/* The package kind a main-part content type names, else OOXML_NONE. */
static enum ooxml_kind
ct_main_kind(const char *ct)
{
	if (ct == NULL || !ci_contains(ct, ".main"))
		return OOXML_NONE;
	if (ci_contains(ct, "spreadsheetml") || ci_contains(ct, "ms-excel"))
		return OOXML_XLSX;
	if (ci_contains(ct, "wordprocessingml") || ci_contains(ct, "ms-word"))
		return OOXML_DOCX;
	if (ci_contains(ct, "presentationml") || ci_contains(ct, "ms-powerpoint"))
		return OOXML_PPTX;
	return OOXML_NONE;
}

/* ---- pass 1: is it a package, and of which kind ---- */

static int
ct_ident_start(void *arg, const char *name, const char **attrs)
{
	struct ooxml_part *pt = arg;
	enum ooxml_kind k;

	if (strcmp(xml_local(name, OOXML_NSSEP), "Override") == 0 &&
	    (k = ct_main_kind(xml_attr(attrs, "ContentType", OOXML_NSSEP))) != OOXML_NONE &&
	    pt->main_kind == OOXML_NONE)
		pt->main_kind = k;
	return 0;
}

/* Opens the package's zip for one walk over its entries; NULL (a finding
 * is added) when it cannot be opened. */
static struct archive *
ooxml_open(struct ooxml_walk *w, const struct ooxml_src *src)
{
	struct archive *a = src->mem != NULL ? xml_zip_open_mem(src->mem, (size_t)src->size) :
	    xml_zip_open_fd(src->fd, src->size);

	if (a == NULL)
		ooxml_find(w, NULL, F_ZIP, "", "the zip cannot be opened");
	return a;
}

/* The next entry of A, counted in *N: 1 with *E and *PATH, 0 at the end, -1
 * (a finding is added) on an unreadable directory, more than
 * archive_members entries, or the upload's clock run out. */
static int
ooxml_next(struct ooxml_walk *w, struct archive *a, struct archive_entry **e,
    const char **path, uint64_t *n)
{
	int r;

	if ((r = archive_read_next_header(a, e)) == ARCHIVE_EOF)
		return 0;
	if (r != ARCHIVE_OK || (*path = archive_entry_pathname(*e)) == NULL) {
		ooxml_find(w, NULL, F_ZIP, "", "zip directory unreadable: %s",
		    archive_error_string(a) ? archive_error_string(a) : "no name");
		return -1;
	}
	if (++*n > w->p->archive_members) {
		ooxml_find(w, NULL, F_LIMITS, "", "more than %llu parts",
		    (unsigned long long)w->p->archive_members);
		return -1;
	}
	if (*n % 256 == 0 && ooxml_late(w, ""))
		return -1;
	return 1;
}

/* Walks the entry names: 0 with *KIND (OOXML_NONE: not a package), -1 on an
 * unreadable zip or a limit (a finding is added then). */
static int
ooxml_identify(struct ooxml_walk *w, const struct ooxml_src *src, enum ooxml_kind *kind)
{
	struct xml_limits lim = { w->p->xml_depth, w->p->xml_part_max, 0, &w->res->deadline };
	struct xml_handler h = { ct_ident_start, NULL, NULL, NULL, OOXML_NSSEP };
	struct ooxml_part pt;
	struct archive *a;
	struct archive_entry *e;
	enum xml_err xerr;
	enum ooxml_kind byname = OOXML_NONE;
	const char *path;
	uint64_t n = 0, nread, left;
	int r, has_ct = 0, rc = -1;

	memset(&pt, 0, sizeof(pt));
	h.arg = &pt;
	*kind = OOXML_NONE;
	/* First the names alone (no data is read): [Content_Types].xml may be
	 * there once, else nothing is parsed at all. */
	if ((a = ooxml_open(w, src)) == NULL)
		return -1;
	while ((r = ooxml_next(w, a, &e, &path, &n)) == 1) {
		if (strcasecmp(path, "[Content_Types].xml") == 0 && ++has_ct > 1) {
			ooxml_find(w, NULL, F_DUPLICATE, path,
			    "[Content_Types].xml appears more than once");
			goto fail;
		}
	}
	if (r == -1)
		goto fail;
	xml_zip_close(a);
	has_ct = 0;
	n = 0;
	if ((a = ooxml_open(w, src)) == NULL)
		return -1;
	while ((r = ooxml_next(w, a, &e, &path, &n)) == 1) {
		if (strcasecmp(path, "[Content_Types].xml") == 0 && !has_ct) {
			has_ct = 1;
			/* errors here are found and reported by the second pass;
			 * the bytes count against the package's budget */
			left = w->budget - *w->used;
			lim.bytes = w->p->xml_part_max < left ? w->p->xml_part_max : left;
			nread = 0;
			if (!archive_entry_is_encrypted(e) &&
			    xml_parse_entry_counted(a, &lim, &h, NULL, 0, &xerr, &nread) == -1 &&
			    xerr == XMLERR_TIME) {
				(void)ooxml_late(w, path);
				goto fail;
			}
			*w->used += nread;
		} else if (strcasecmp(path, "xl/workbook.xml") == 0)
			byname = OOXML_XLSX;
		else if (strcasecmp(path, "word/document.xml") == 0)
			byname = OOXML_DOCX;
		else if (strcasecmp(path, "ppt/presentation.xml") == 0)
			byname = OOXML_PPTX;
	}
	if (r == -1)
		goto fail;
	if (has_ct)
		*kind = byname != OOXML_NONE ? byname : pt.main_kind;
	rc = 0;
fail:
	xml_zip_close(a);
	return rc;
}

/* ---- pass 2: the checks ---- */

static void
check_content_type(struct ooxml_part *pt, const char *ct)
{
	if (ct == NULL)
		return;
	if (ci_contains(ct, "macroEnabled"))
		ooxml_find(pt->w, &pt->reported, F_MACRO, pt->name,
		    "macro-enabled content type %s", ct);
	if (ci_contains(ct, "vbaProject") || ci_contains(ct, "vbaData"))
		ooxml_find(pt->w, &pt->reported, F_VBA, pt->name,
		    "VBA project content type %s", ct);
	if (ci_contains(ct, "macrosheet"))
		ooxml_find(pt->w, &pt->reported, F_MACROSHEET, pt->name,
		    "Excel 4 macro sheet content type %s", ct);
	if (ci_contains(ct, "activeX"))
		ooxml_find(pt->w, &pt->reported, F_ACTIVEX, pt->name,
		    "ActiveX content type %s", ct);
	if (ci_contains(ct, "oleObject"))
		ooxml_find(pt->w, &pt->reported, F_OLE_OBJECT, pt->name,
		    "OLE object content type %s", ct);
}

static void
check_relationship(struct ooxml_part *pt, const char *type, const char *target,
    const char *mode)
{
	const char *t = type != NULL ? type : "";
	const char *shortt = strrchr(t, '/') != NULL ? strrchr(t, '/') + 1 : t;

	if (mode != NULL && strcasecmp(mode, "External") == 0) {
		int link = OOXML_ALLOW_WEB_LINKS && ci_suffix(t, "/hyperlink") && target != NULL &&
		    (ci_prefix(target, "http://") || ci_prefix(target, "https://") ||
		    ci_prefix(target, "mailto:"));

		if (!link)
			ooxml_find(pt->w, &pt->reported, F_EXTERNAL, pt->name,
			    "external relationship of type %s", shortt);
	}
	if (ci_contains(t, "vbaProject"))
		ooxml_find(pt->w, &pt->reported, F_VBA, pt->name, "VBA project relationship");
	if (ci_contains(t, "macrosheet"))
		ooxml_find(pt->w, &pt->reported, F_MACROSHEET, pt->name,
		    "Excel 4 macro sheet relationship");
	if (ci_suffix(t, "/control") || ci_contains(t, "activeX"))
		ooxml_find(pt->w, &pt->reported, F_ACTIVEX, pt->name, "ActiveX control relationship");
	if (ci_suffix(t, "/oleObject"))
		ooxml_find(pt->w, &pt->reported, F_OLE_OBJECT, pt->name, "OLE object relationship");
}

/* A Word field code: DDE and DDEAUTO run a program through DDE. */
static void
check_instr(struct ooxml_part *pt, const char *s, size_t len)
{
	char word[16];
	size_t i = 0, n = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	while (i < len && n + 1 < sizeof(word) &&
	    ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')))
		word[n++] = s[i++];
	word[n] = '\0';
	if (strcasecmp(word, "DDE") == 0 || strcasecmp(word, "DDEAUTO") == 0)
		ooxml_find(pt->w, &pt->reported, F_DDE, pt->name, "%s field code", word);
}

static int
part_start(void *arg, const char *name, const char **attrs)
{
	struct ooxml_part *pt = arg;
	const char *local = xml_local(name, OOXML_NSSEP), *v;

	if (pt->is_ct && (strcmp(local, "Default") == 0 || strcmp(local, "Override") == 0))
		check_content_type(pt, xml_attr(attrs, "ContentType", OOXML_NSSEP));
	else if (pt->is_rels && strcmp(local, "Relationship") == 0)
		check_relationship(pt, xml_attr(attrs, "Type", OOXML_NSSEP),
		    xml_attr(attrs, "Target", OOXML_NSSEP),
		    xml_attr(attrs, "TargetMode", OOXML_NSSEP));
	else if (strcmp(local, "ddeLink") == 0)
		ooxml_find(pt->w, &pt->reported, F_DDE, pt->name, "DDE link");
	else if (strcmp(local, "oleLink") == 0)
		ooxml_find(pt->w, &pt->reported, F_OLE_OBJECT, pt->name, "OLE link");
	else if (strcmp(local, "instrText") == 0) {
		pt->in_instr = 1;
	} else if (strcmp(local, "fldChar") == 0) {
		/* begin, separate and end all close the code gathered so far
		 * (a nested field's begin included) */
		check_instr(pt, pt->instr, pt->ninstr);
		pt->ninstr = 0;
	} else if (strcmp(local, "fldSimple") == 0) {
		if ((v = xml_attr(attrs, "instr", OOXML_NSSEP)) != NULL)
			check_instr(pt, v, strlen(v));
	} else if (pt->is_xl && (strcmp(local, "f") == 0 || strcmp(local, "definedName") == 0)) {
		pt->in_formula = 1;
		pt->quote = 0;
	}
	return 0;
}

static int
part_end(void *arg, const char *name)
{
	struct ooxml_part *pt = arg;
	const char *local = xml_local(name, OOXML_NSSEP);

	if (strcmp(local, "instrText") == 0)
		pt->in_instr = 0;
	else if (strcmp(local, "f") == 0 || strcmp(local, "definedName") == 0)
		pt->in_formula = 0;
	return 0;
}

static int
part_text(void *arg, const char *s, int len)
{
	struct ooxml_part *pt = arg;
	int i;

	if (pt->in_instr) {
		for (i = 0; i < len && pt->ninstr < sizeof(pt->instr); i++)
			pt->instr[pt->ninstr++] = s[i];
	}
	if (pt->in_formula) {
		/* app|topic!item outside string and sheet-name quotes is DDE */
		for (i = 0; i < len; i++) {
			if (pt->quote != 0) {
				if (s[i] == pt->quote)
					pt->quote = 0;
			} else if (s[i] == '"' || s[i] == '\'')
				pt->quote = s[i];
			else if (s[i] == '|') {
				ooxml_find(pt->w, &pt->reported, F_DDE, pt->name,
				    "formula with a DDE reference (app|topic)");
				break;
			}
		}
	}
	return 0;
}

/* Checks a part's name (LOW: lowercased path). */
static void
check_name(struct ooxml_walk *w, unsigned *seen, const char *part, const char *low)
{
	const char *base = strrchr(low, '/') != NULL ? strrchr(low, '/') + 1 : low;

	if (strncmp(base, "vbaproject", 10) == 0 || strcmp(base, "vbadata.xml") == 0)
		ooxml_find(w, seen, F_VBA, part, "VBA project part");
	if (strstr(low, "macrosheet") != NULL)
		ooxml_find(w, seen, F_MACROSHEET, part, "Excel 4 macro sheet part");
	if (strstr(low, "activex") != NULL)
		ooxml_find(w, seen, F_ACTIVEX, part, "ActiveX part");
	if (strncmp(base, "oleobject", 9) == 0)
		ooxml_find(w, seen, F_OLE_OBJECT, part, "OLE object part");
	if ((strncmp(low, "embeddings/", 11) == 0 || strstr(low, "/embeddings/") != NULL) &&
	    !ci_suffix(base, ".xlsx") && !ci_suffix(base, ".docx") && !ci_suffix(base, ".pptx"))
		ooxml_find(w, seen, F_OLE_OBJECT, part, "embedded object that is not an Office package");
}

static int
is_xml_name(const char *low)
{
	return ci_suffix(low, ".xml") || ci_suffix(low, ".rels") || ci_suffix(low, ".vml");
}

/* 1 if the first bytes look like XML: '<' after white space, or a BOM. */
static int
sniff_xml(const uint8_t *b, size_t n)
{
	size_t i = 0;

	if (n >= 2 && ((b[0] == 0xFE && b[1] == 0xFF) || (b[0] == 0xFF && b[1] == 0xFE)))
		return 1;   /* UTF-16 */
	if (n >= 2 && ((b[0] == '<' && b[1] == 0) || (b[0] == 0 && b[1] == '<')))
		return 1;   /* UTF-16 without a BOM */
	if (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
		i = 3;
	while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
		i++;
	return i < n && b[i] == '<';
}

/* Parses the current entry as XML. NAMED: its name says XML (a syntax error
 * is then a finding). 0, or -1 on a read error. */
static int
parse_part(struct ooxml_walk *w, struct archive *a, const char *part,
    const uint8_t *head, size_t nhead, int named)
{
	struct ooxml_part pt;
	struct xml_limits lim;
	struct xml_handler h = { part_start, part_end, part_text, NULL, OOXML_NSSEP };
	enum xml_err xerr;
	uint64_t left = w->budget - *w->used + nhead, nread;
	char low[FINDING_MEMBER_MAX];
	int r;

	lower_path(part, low, sizeof(low));
	memset(&pt, 0, sizeof(pt));
	pt.w = w;
	pt.name = part;
	pt.is_ct = strcmp(low, "[content_types].xml") == 0;
	pt.is_rels = ci_suffix(low, ".rels");
	pt.is_xl = strncmp(low, "xl/", 3) == 0;
	h.arg = &pt;
	lim.depth = w->p->xml_depth;
	lim.bytes = w->p->xml_part_max < left ? w->p->xml_part_max : left;
	lim.members = 0;
	lim.deadline = &w->res->deadline;
	nread = 0;
	r = xml_parse_entry_counted(a, &lim, &h, head, nhead, &xerr, &nread);
	/* the caller counted HEAD already */
	*w->used += nread > nhead ? nread - nhead : 0;
	if (r == 0) {
		check_instr(&pt, pt.instr, pt.ninstr);
		return 0;
	}
	switch (xerr) {
	case XMLERR_DOCTYPE:
	case XMLERR_ENTITY:
		ooxml_find(w, NULL, F_DOCTYPE, part, "XML part with a %s", xml_strerror(xerr));
		break;
	case XMLERR_ENCODING:
		ooxml_find(w, NULL, F_ENCODING, part, "XML part with an %s", xml_strerror(xerr));
		break;
	case XMLERR_DEPTH:
		ooxml_find(w, NULL, F_DEPTH, part, "XML nested deeper than %u elements",
		    w->p->xml_depth);
		break;
	case XMLERR_SIZE:
		if (lim.bytes < w->p->xml_part_max)
			ooxml_find(w, NULL, F_LIMITS, part, "package expands past %llu bytes",
			    (unsigned long long)w->budget);
		else
			ooxml_find(w, NULL, F_PART_SIZE, part, "XML part larger than %llu bytes",
			    (unsigned long long)w->p->xml_part_max);
		break;
	case XMLERR_TIME:
		(void)ooxml_late(w, part);
		return -1;
	case XMLERR_SYNTAX:
		if (named)
			ooxml_find(w, NULL, F_XML_INVALID, part, "XML part is not well-formed");
		break;
	case XMLERR_IO:
		ooxml_find(w, NULL, F_ZIP, part, "part unreadable: %s",
		    archive_error_string(a) ? archive_error_string(a) : "read error");
		return -1;
	default:
		ooxml_find(w, NULL, F_ZIP, part, "part not parsed: %s", xml_strerror(xerr));
		return -1;
	}
	return 0;
}

/* Reads the current entry (a package in embeddings/, HEAD already read)
 * into memory and walks it. 0, or -1 on a read error. */
static int
walk_embedded(struct ooxml_walk *w, struct archive *a, const char *part,
    const uint8_t *head, size_t nhead, unsigned *seen)
{
	struct ooxml_walk sub;
	struct ooxml_src src;
	enum ooxml_kind kind;
	char prefix[FINDING_MEMBER_MAX];
	uint64_t max = w->p->xml_part_max, left = w->budget - *w->used;
	uint8_t *buf = NULL;
	size_t len = nhead, cap;
	la_ssize_t n;
	int rc = -1;

	if (w->level + 1 > OOXML_EMBED_DEPTH) {
		ooxml_find(w, seen, F_LIMITS, part, "Office packages embedded more than %d deep",
		    OOXML_EMBED_DEPTH);
		return archive_read_data_skip(a) == ARCHIVE_OK ? 0 : -1;
	}
	if (left < max)
		max = left;
	cap = nhead + OOXML_SNIFF;
	if ((buf = malloc(cap)) == NULL)
		goto fail;
	memcpy(buf, head, nhead);
	for (;;) {
		if (len == cap) {
			uint8_t *nb;

			if (cap >= max) {
				ooxml_find(w, seen, max < w->p->xml_part_max ? F_LIMITS : F_PART_SIZE,
				    part, "embedded package larger than %llu bytes",
				    (unsigned long long)max);
				rc = 0;
				goto fail;
			}
			cap = cap * 2 > max ? (size_t)max : cap * 2;
			if ((nb = realloc(buf, cap)) == NULL)
				goto fail;
			buf = nb;
		}
		if (ooxml_late(w, part))
			goto fail;
		n = archive_read_data(a, buf + len, cap - len);
		if (n < 0) {
			ooxml_find(w, seen, F_ZIP, part, "part unreadable: %s",
			    archive_error_string(a) ? archive_error_string(a) : "read error");
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*w->used += len;
	memset(&sub, 0, sizeof(sub));
	sub = *w;
	if (w->prefix[0] != '\0')
		snprintf(prefix, sizeof(prefix), "%s/%s", w->prefix, part);
	else
		snprintf(prefix, sizeof(prefix), "%s", part);
	sub.prefix = prefix;
	sub.level = w->level + 1;
	sub.parts = 0;
	sub.failed = 0;
	src.fd = -1;
	src.mem = buf;
	src.size = len;
	if (ooxml_walk(&sub, &src, &kind) == -1) {
		/* its findings are in; a broken embedded zip is not a broken outer one */
		rc = 0;
		goto fail;
	}
	if (kind == OOXML_NONE)
		ooxml_find(w, seen, F_OLE_OBJECT, part, "embedded file is not an Office package");
	rc = 0;
fail:
	free(buf);
	return rc;
}

/* Identifies and checks one package. 0 with *KIND, or -1 (findings added). */
static int
ooxml_walk(struct ooxml_walk *w, const struct ooxml_src *src, enum ooxml_kind *kind)
{
	struct archive *a = NULL;
	struct archive_entry *e;
	uint8_t head[OOXML_SNIFF];
	char low[FINDING_MEMBER_MAX];
	const char *path;
	size_t nhead;
	la_ssize_t n;
	unsigned seen;
	int r, rc = -1;

	if (ooxml_identify(w, src, kind) == -1)
		return -1;
	if (*kind == OOXML_NONE)
		return 0;
	if ((a = ooxml_open(w, src)) == NULL)
		return -1;
	while ((r = ooxml_next(w, a, &e, &path, &w->parts)) == 1) {
		if (ooxml_late(w, path))
			goto fail;
		seen = 0;
		if (archive_entry_filetype(e) == AE_IFDIR)
			continue;
		if (archive_entry_filetype(e) != AE_IFREG) {
			ooxml_find(w, &seen, F_ZIP, path, "part is not a regular file");
			continue;
		}
		lower_path(path, low, sizeof(low));
		check_name(w, &seen, path, low);
		if (archive_entry_is_encrypted(e)) {
			ooxml_find(w, &seen, F_ZIP_ENCRYPTED, path, "part encrypted with a password");
			continue;
		}
		for (nhead = 0; nhead < sizeof(head); nhead += (size_t)n) {
			n = archive_read_data(a, head + nhead, sizeof(head) - nhead);
			if (n < 0) {
				ooxml_find(w, &seen, F_ZIP, path, "part unreadable: %s",
				    archive_error_string(a) ? archive_error_string(a) : "read error");
				goto fail;
			}
			if (n == 0)
				break;
		}
		if (*w->used + nhead > w->budget) {
			ooxml_find(w, NULL, F_LIMITS, path, "package expands past %llu bytes",
			    (unsigned long long)w->budget);
			goto fail;
		}
		*w->used += nhead;
		if (nhead >= sizeof(ole_sig) && memcmp(head, ole_sig, sizeof(ole_sig)) == 0)
			ooxml_find(w, &seen, F_OLE_PART, path, "part is an OLE compound file");
		if ((strncmp(low, "embeddings/", 11) == 0 || strstr(low, "/embeddings/") != NULL) &&
		    nhead >= 4 && memcmp(head, "PK\003\004", 4) == 0) {
			if (walk_embedded(w, a, path, head, nhead, &seen) == -1)
				goto fail;
			continue;
		}
		if (is_xml_name(low) || sniff_xml(head, nhead)) {
			if (parse_part(w, a, path, head, nhead, is_xml_name(low)) == -1)
				goto fail;
			continue;
		}
		if (nhead == sizeof(head) && archive_read_data_skip(a) != ARCHIVE_OK) {
			ooxml_find(w, &seen, F_ZIP, path, "part unreadable: %s",
			    archive_error_string(a) ? archive_error_string(a) : "skip failed");
			goto fail;
		}
	}
	if (r == 0)
		rc = 0;
fail:
	xml_zip_close(a);
	return rc;
}

/* An OLE compound file holding an encrypted OOXML package: the directory
 * entries (128-byte aligned, UTF-16LE names) EncryptionInfo and
 * EncryptedPackage. *YES set to 1 if both are there. 0/-1 (read error). */
static int
ole_encrypted(int fd, uint64_t size, int *yes)
{
	static const char *const names[2] = { "EncryptionInfo", "EncryptedPackage" };
	uint8_t pat[2][40], *buf = NULL;
	size_t plen[2], i, j;
	uint64_t off;
	int found[2] = { 0, 0 }, rc = -1;
	ssize_t n;

	*yes = 0;
	for (i = 0; i < 2; i++) {
		plen[i] = strlen(names[i]) * 2;
		for (j = 0; names[i][j] != '\0'; j++) {
			pat[i][2 * j] = (uint8_t)names[i][j];
			pat[i][2 * j + 1] = 0;
		}
	}
	if ((buf = malloc(OOXML_OLE_BLOCK)) == NULL)
		return -1;
	/* Directory entries start on 128-byte boundaries, so reading aligned
	 * blocks never splits a name. */
	for (off = 0; off < size; off += OOXML_OLE_BLOCK) {
		size_t want = size - off < OOXML_OLE_BLOCK ? (size_t)(size - off) : OOXML_OLE_BLOCK;

		do
			n = pread(fd, buf, want, (off_t)off);
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			goto fail;
		for (j = 0; j + 128 <= (size_t)n; j += 128)
			for (i = 0; i < 2; i++)
				if (memcmp(buf + j, pat[i], plen[i]) == 0 &&
				    buf[j + plen[i]] == 0 && buf[j + plen[i] + 1] == 0)
					found[i] = 1;
	}
	*yes = found[0] && found[1];
	rc = 0;
fail:
	free(buf);
	return rc;
}

int
ooxml_inspect(int fd, uint64_t size, const struct policy *p, const char *member,
    struct inspect_result *res, enum ooxml_kind *kind)
{
	struct ooxml_walk w;
	struct ooxml_src src;
	uint64_t used = 0;
	uint8_t magic[8];
	ssize_t n;
	int enc;

	*kind = OOXML_NONE;
	memset(&w, 0, sizeof(w));
	w.p = p;
	w.res = res;
	w.prefix = member != NULL ? member : "";
	w.used = &used;
	/* bytes read: the policy's ratio over the package, within its total */
	w.budget = size > UINT64_MAX / (p->archive_ratio ? p->archive_ratio : 1) ?
	    UINT64_MAX : size * p->archive_ratio;
	if (w.budget < p->archive_ratio_min)
		w.budget = p->archive_ratio_min;
	if (w.budget > p->archive_expanded)
		w.budget = p->archive_expanded;
	inspect_clock(res, p->inspect_seconds);

	if (size < sizeof(magic))
		return 0;
	do
		n = pread(fd, magic, sizeof(magic), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(magic)) {
		ooxml_find(&w, NULL, F_ZIP, "", "read error");
		return -1;
	}
	if (memcmp(magic, ole_sig, sizeof(ole_sig)) == 0) {
		if (ole_encrypted(fd, size, &enc) == -1) {
			ooxml_find(&w, NULL, F_ZIP, "", "read error");
			return -1;
		}
		if (enc)
			ooxml_find(&w, NULL, F_ENCRYPTED, "",
			    "encrypted Office package (OLE EncryptedPackage)");
		return 0;
	}
	if (memcmp(magic, "PK", 2) != 0)
		return 0;
	src.fd = fd;
	src.size = size;
	src.mem = NULL;
	return ooxml_walk(&w, &src, kind);
}
