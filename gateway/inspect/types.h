/*
 * inspect/types.h: what the inspector knows about MIME types (the names
 * libmagic gives): which file-name extensions agree with each type, which
 * types are archives, executables, or evidence that may sit in an archive.
 *
 * Runs in the inspector. Pure functions over a built-in table (types.c):
 * no I/O, no allocation, nothing trusted but the table itself.
 *
 * API: types_ext_ok, types_ext_known, types_is_archive,
 * types_is_executable, types_ext_executable, types_member_allowed,
 * types_ooxml_mime, types_has_ext, types_is_text, types_text_by_name,
 * types_os_metadata. The last section declares the two functions inspect.c
 * and archive.c share (typing a buffer with the inspector's libmagic
 * handle; the zip cross-check as findings): no other module calls them.
 */
#ifndef INTAKE_TYPES_H
#define INTAKE_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "inspect/checks.h"

#define TYPE_ZIP    "application/zip"
#define TYPE_TAR    "application/x-tar"
#define TYPE_GZIP   "application/gzip"
#define TYPE_XZ     "application/x-xz"
#define TYPE_7Z     "application/x-7z-compressed"
#define TYPE_PDF    "application/pdf"
#define TYPE_TEXT   "text/plain"
#define TYPE_CSV    "text/csv"
#define TYPE_XLSX   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#define TYPE_DOCX   "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#define TYPE_PPTX   "application/vnd.openxmlformats-officedocument.presentationml.presentation"
#define TYPE_APPLEDOUBLE "application/x-appledouble"   /* ours: macOS "._name" metadata */
#define TYPE_DSSTORE     "application/x-ds-store"      /* ours: macOS Finder .DS_Store */

/* libmagic sees at most this many leading bytes of a file or member (its
 * own default is 7 MiB; a prefix keeps typing cheap and bounded). Text
 * beyond it is still scanned for NUL bytes by the inspector. */
#define TYPES_MAGIC_BYTES (1024 * 1024)

/* 1 if FILENAME's extension is one the table lists for MIME ("x.tar.gz"
 * and "x.tgz" are gzip; comparison ignores ASCII case), else 0. A type the
 * table does not know agrees with no extension (fail closed). */
int types_ext_ok(const char *mime, const char *filename);
/* 1 if FILENAME's last extension is listed for any type of the table. */
int types_ext_known(const char *filename);
/* 1 if FILENAME ends in ".EXT" (ASCII case ignored). */
int types_has_ext(const char *filename, const char *ext);
/* 1 for the archive types archive_inspect reads (zip, tar, gzip, xz, 7z). */
int types_is_archive(const char *mime);
/* 1 if MIME or the first bytes (PREFIX, LEN) are a program: ELF, PE/MZ,
 * Mach-O, a script with a shebang, or a type libmagic names executable. */
int types_is_executable(const char *mime, const uint8_t *prefix, size_t len);
/* 1 if FILENAME has an extension Windows or a desktop runs (.exe, .bat,
 * .ps1, .js, .lnk...): such a member is a program whatever its bytes. */
int types_ext_executable(const char *filename);
/* 1 if an archive member of type MIME is allowed evidence (DESIGN §4:
 * PDF, OOXML, PNG/JPEG, plain text, CSV, empty files, nested archives). */
int types_member_allowed(const char *mime);
/* The MIME type of an OOXML package kind, NULL for OOXML_NONE. */
const char *types_ooxml_mime(enum ooxml_kind k);
/* 1 if MIME is a type that may be an OOXML package (zip or Office). */
int types_maybe_ooxml(const char *mime);
/* 1 for text/plain and text/csv. */
int types_is_text(const char *mime);
/* For text, the name decides between CSV and plain text: text/csv if
 * FILENAME ends in .csv, else text/plain. Other types are returned as is. */
const char *types_text_by_name(const char *mime, const char *filename);
/* Operating-system metadata that real archives from macOS carry: an
 * AppleDouble file named "._*" or a Finder ".DS_Store", recognised by name
 * AND magic. Returns our type for it, or NULL. */
const char *types_os_metadata(const char *path, const uint8_t *p, size_t len);


#endif
