/*
 * inspect/types.c: the built-in table of MIME types the gateway knows, the
 * file-name extensions that agree with each, and the lists of archive,
 * executable and member-evidence types (see types.h).
 *
 * Runs in the inspector; pure functions, no I/O. The table is the single
 * place to change when a new evidence type is admitted: a type absent from
 * it agrees with no extension, so an upload of that type is rejected until
 * the table learns it (fail closed).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "inspect/types.h"

#define TYPES_EXT_MAX 6   /* extensions per type in the table */

struct type_entry {
	const char *mime;
	const char *ext[TYPES_EXT_MAX];   /* lowercase, without the dot; NULL-terminated */
};

static const struct type_entry types_table[] = {
	{ TYPE_PDF,  { "pdf" } },
	{ TYPE_ZIP,  { "zip" } },
	{ TYPE_TAR,  { "tar" } },
	{ TYPE_GZIP, { "gz", "tgz" } },           /* x.tar.gz ends in .gz */
	{ TYPE_XZ,   { "xz", "txz" } },
	{ TYPE_7Z,   { "7z" } },
	{ TYPE_XLSX, { "xlsx" } },
	{ TYPE_DOCX, { "docx" } },
	{ TYPE_PPTX, { "pptx" } },
	{ "image/png",  { "png" } },
	{ "image/jpeg", { "jpg", "jpeg" } },
	{ TYPE_TEXT, { "txt", "text", "log", "md", "csv" } },
	{ TYPE_CSV,  { "csv" } },
};

/* Types libmagic gives to programs, object code and installers. */
static const char *const types_exec[] = {
	"application/x-executable", "application/x-sharedlib",
	"application/x-pie-executable", "application/x-object",
	"application/x-coredump", "application/x-elf",
	"application/x-dosexec", "application/vnd.microsoft.portable-executable",
	"application/x-msdownload", "application/x-ms-ne-executable",
	"application/x-mach-binary", "application/x-mach-o-executable",
	"application/java-archive", "application/x-java-applet",
	"application/vnd.android.package-archive", "application/x-msi",
	"application/x-ms-shortcut", "application/x-bytecode.python",
	"application/javascript", "application/x-sh", "application/x-shellscript",
	"text/javascript", "text/x-shellscript", "text/x-msdos-batch",
	"text/x-python", "text/x-perl", "text/x-ruby", "text/x-php",
	"text/x-tcl", "text/x-lua", "text/x-awk",
	NULL
};

/* Extensions a desktop runs when the file is opened (Windows Explorer, a
 * macOS Finder double-click), whatever the bytes: a text named .bat or .js
 * is a program there. Unix scripts are caught by their shebang instead. */
static const char *const types_exec_ext[] = {
	"exe", "dll", "com", "scr", "cpl", "sys", "drv", "ocx", "pif",
	"bat", "cmd", "ps1", "psm1", "psd1", "vbs", "vbe", "js", "jse",
	"wsf", "wsh", "hta", "lnk", "url", "scf", "msi", "msp", "mst",
	"msc", "jar", "reg", "inf", "appx", "msix", "application",
	"gadget", "settingcontent-ms", "desktop", "command",
	NULL
};

static const char *const types_archive[] = {
	TYPE_ZIP, TYPE_TAR, TYPE_GZIP, TYPE_XZ, TYPE_7Z, NULL
};

/* Evidence a member of an archive may be (DESIGN §4), besides archives. */
static const char *const types_member[] = {
	TYPE_PDF, TYPE_XLSX, TYPE_DOCX, TYPE_PPTX, "image/png", "image/jpeg",
	TYPE_TEXT, TYPE_CSV,
	"application/x-empty", "inode/x-empty",   /* empty regular files */
	TYPE_APPLEDOUBLE, TYPE_DSSTORE,           /* macOS metadata (types_os_metadata) */
	NULL
};

#define HAS_PREFIX(s, lit) (strncmp((s), (lit), sizeof(lit) - 1) == 0)

static int
types_in(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

/* The last extension of FILENAME (after its last '.' in the last path
 * component; a leading dot is not one), or NULL. */
static const char *
types_ext(const char *filename)
{
	const char *base = filename, *dot, *p;

	for (p = filename; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	if ((dot = strrchr(base, '.')) == NULL || dot == base || dot[1] == '\0')
		return NULL;
	return dot + 1;
}

static const struct type_entry *
types_find(const char *mime)
{
	size_t i;

	for (i = 0; i < sizeof(types_table) / sizeof(types_table[0]); i++)
		if (strcmp(types_table[i].mime, mime) == 0)
			return &types_table[i];
	return NULL;
}

int
types_ext_ok(const char *mime, const char *filename)
{
	const struct type_entry *t;
	const char *ext;
	size_t i;

	if ((t = types_find(mime)) == NULL || (ext = types_ext(filename)) == NULL)
		return 0;
	for (i = 0; i < TYPES_EXT_MAX && t->ext[i] != NULL; i++)
		if (strcasecmp(t->ext[i], ext) == 0)
			return 1;
	return 0;
}

int
types_ext_known(const char *filename)
{
	size_t i;

	for (i = 0; i < sizeof(types_table) / sizeof(types_table[0]); i++)
		if (types_ext_ok(types_table[i].mime, filename))
			return 1;
	return 0;
}

int
types_has_ext(const char *filename, const char *want)
{
	const char *ext = types_ext(filename);

	return ext != NULL && strcasecmp(ext, want) == 0;
}

int
types_is_archive(const char *mime)
{
	return types_in(types_archive, mime);
}

int
types_is_executable(const char *mime, const uint8_t *p, size_t len)
{
	static const uint8_t macho[][4] = {
		{ 0xfe, 0xed, 0xfa, 0xce }, { 0xfe, 0xed, 0xfa, 0xcf },
		{ 0xce, 0xfa, 0xed, 0xfe }, { 0xcf, 0xfa, 0xed, 0xfe },
		{ 0xca, 0xfe, 0xba, 0xbe }, { 0xca, 0xfe, 0xba, 0xbf },  /* fat, Java class */
	};
	size_t i;

	if (types_in(types_exec, mime) || HAS_PREFIX(mime, "text/x-script."))
		return 1;
	if (len >= 4 && memcmp(p, "\177ELF", 4) == 0)
		return 1;
	if (len >= 2 && p[0] == '#' && p[1] == '!')
		return 1;
	/* MZ: DOS and PE programs; a text that happens to start "MZ" is text. */
	if (len >= 2 && p[0] == 'M' && p[1] == 'Z' && !HAS_PREFIX(mime, "text/"))
		return 1;
	for (i = 0; len >= 4 && i < sizeof(macho) / sizeof(macho[0]); i++)
		if (memcmp(p, macho[i], 4) == 0)
			return 1;
	return 0;
}

int
types_ext_executable(const char *filename)
{
	const char *ext = types_ext(filename);
	size_t i;

	if (ext == NULL)
		return 0;
	for (i = 0; types_exec_ext[i] != NULL; i++)
		if (strcasecmp(types_exec_ext[i], ext) == 0)
			return 1;
	return 0;
}

int
types_member_allowed(const char *mime)
{
	return types_in(types_member, mime) || types_in(types_archive, mime);
}

const char *
types_ooxml_mime(enum ooxml_kind k)
{
	switch (k) {
	case OOXML_XLSX:
		return TYPE_XLSX;
	case OOXML_DOCX:
		return TYPE_DOCX;
	case OOXML_PPTX:
		return TYPE_PPTX;
	case OOXML_NONE:
		break;
	}
	return NULL;
}

int
types_maybe_ooxml(const char *mime)
{
	return strcmp(mime, TYPE_ZIP) == 0 ||
	    HAS_PREFIX(mime, "application/vnd.openxmlformats-officedocument.") ||
	    (HAS_PREFIX(mime, "application/vnd.ms-") &&
	     strcasestr(mime, "macroenabled") != NULL);
}

int
types_is_text(const char *mime)
{
	return strcmp(mime, TYPE_TEXT) == 0 || strcmp(mime, TYPE_CSV) == 0;
}

const char *
types_text_by_name(const char *mime, const char *filename)
{
	if (!types_is_text(mime))
		return mime;
	return types_has_ext(filename, "csv") ? TYPE_CSV : TYPE_TEXT;
}

const char *
types_os_metadata(const char *path, const uint8_t *p, size_t len)
{
	static const uint8_t appledouble[4] = { 0x00, 0x05, 0x16, 0x07 };
	static const uint8_t dsstore[8] = { 0, 0, 0, 1, 'B', 'u', 'd', '1' };
	const char *base = path, *s;

	for (s = path; *s != '\0'; s++)
		if (*s == '/')
			base = s + 1;
	if (strncmp(base, "._", 2) == 0 && len >= sizeof(appledouble) &&
	    memcmp(p, appledouble, sizeof(appledouble)) == 0)
		return TYPE_APPLEDOUBLE;
	if (strcmp(base, ".DS_Store") == 0 && len >= sizeof(dsstore) &&
	    memcmp(p, dsstore, sizeof(dsstore)) == 0)
		return TYPE_DSSTORE;
	return NULL;
}
