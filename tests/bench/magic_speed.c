/*
 * tests/bench/magic_speed.c: how much CPU libmagic's magic_buffer() costs
 * per file with given flags and parameters, and whether other settings
 * type a corpus exactly as the inspector's settings do. A developer tool,
 * not built by CMake:
 *
 *   gcc -O2 -o /tmp/magic_speed tests/bench/magic_speed.c -lmagic
 *
 *   /tmp/magic_speed [-B] [-L LOCALE] [-m MGC] [-n REPS] [-r ROUNDS]
 *                    [-a FLAG]... [-p NAME=N]... FILE...
 *       times REPS calls per round, ROUNDS rounds, per file, and prints the
 *       best round's thread-CPU microseconds per call and the MIME type.
 *   /tmp/magic_speed -c [-m MGC] [-a FLAG]... [-p NAME=N]... FILE...
 *       types each file with the baseline and with the candidate settings
 *       ("same TYPE FILE" or "DIFF ..." lines); exit status 1 if any differs.
 *   FILE "-" reads file names from stdin, one a line. -L LOCALE runs in
 *   that LC_CTYPE (the inspector runs in C.UTF-8). -m MGC loads another
 *   compiled database for the timed/candidate handle (to find which magic
 *   entries cost the most; the baseline keeps the default database).
 *
 * Baseline: the inspector's settings (inspect.c INSPECT_MAGIC_FLAGS, bytes
 * max TYPES_MAGIC_BYTES); -B drops the -a/-p options given before it.
 * FLAG is a name from flag_names (e.g. no_check_cdf) or a number; NAME is
 * indir_max, name_max, elf_phnum_max, elf_shnum_max, elf_notes_max,
 * regex_max, bytes_max, encoding_max. Like the inspector, it gives libmagic
 * at most PREFIX_MAX leading bytes.
 *
 * What it showed with file 5.44 (Debian 12), on ~10 400 files: a plain text
 * costs ~0.23 ms at 100 B, ~1.1 ms at 4 KiB, ~1.7-2 ms from 16 KiB up
 * (flat: the text rules' search ranges and regex_max bound it); CSV and
 * JSON answer in ~3 us (libmagic's own CSV/JSON tests run before the magic
 * rules); PDF, zip, ELF 20-70 us. Three quarters of a text's time is the
 * 394 text rules (large-range "search" rules, case/space-folding ones
 * byte by byte, and 67 unbounded "regex" rules). Every flag or smaller
 * limit that cuts it changes types: no_check_csv/json/encoding/text/tar/cdf,
 * regex_max 4096 or 1024, encoding_max 16384 or 4096 all differ on some
 * files; no_check_elf/apptype/tokens, indir_max, name_max and bytes_max
 * 64 KiB do not, but save nothing (no ELF test on a buffer, no OS/2
 * apptype, tokens unused).
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <magic.h>

#define PREFIX_MAX  (1024 * 1024)   /* TYPES_MAGIC_BYTES in inspect/types.h */
#define PARAMS_MAX  16              /* -p options */
#define LINE_MAX_   4096            /* a file name read from stdin */
/* The inspector's flags before this tool existed: the baseline. */
#define BASE_FLAGS  (MAGIC_MIME_TYPE | MAGIC_ERROR | MAGIC_NO_CHECK_COMPRESS | \
	MAGIC_NO_COMPRESS_FORK)
#ifndef MAGIC_NO_CHECK_SIMH
#define MAGIC_NO_CHECK_SIMH 0x0800000   /* newer libmagic; 5.44 has no SIMH test (bit reserved) */
#endif

static const struct { const char *name; int flag; } flag_names[] = {
	{ "no_check_compress", MAGIC_NO_CHECK_COMPRESS },
	{ "no_check_tar", MAGIC_NO_CHECK_TAR },
	{ "no_check_soft", MAGIC_NO_CHECK_SOFT },
	{ "no_check_apptype", MAGIC_NO_CHECK_APPTYPE },
	{ "no_check_elf", MAGIC_NO_CHECK_ELF },
	{ "no_check_text", MAGIC_NO_CHECK_TEXT },
	{ "no_check_cdf", MAGIC_NO_CHECK_CDF },
	{ "no_check_csv", MAGIC_NO_CHECK_CSV },
	{ "no_check_tokens", MAGIC_NO_CHECK_TOKENS },
	{ "no_check_encoding", MAGIC_NO_CHECK_ENCODING },
	{ "no_check_json", MAGIC_NO_CHECK_JSON },
	{ "no_check_simh", MAGIC_NO_CHECK_SIMH },
	{ "mime_encoding", MAGIC_MIME_ENCODING },
	{ "raw", MAGIC_RAW },
};

static const char *const param_names[] = {
	"indir_max", "name_max", "elf_phnum_max", "elf_shnum_max",
	"elf_notes_max", "regex_max", "bytes_max", "encoding_max",
};

struct param { int which; size_t value; };

static magic_t
open_magic(int flags, const struct param *p, size_t np, const char *db)
{
	size_t bytes = PREFIX_MAX, i;
	magic_t m;

	if ((m = magic_open(flags)) == NULL || magic_load(m, db) == -1) {
		fprintf(stderr, "magic_open/load: %s\n", m ? magic_error(m) : strerror(errno));
		exit(2);
	}
	if (magic_setparam(m, MAGIC_PARAM_BYTES_MAX, &bytes) == -1)
		exit(2);
	for (i = 0; i < np; i++)
		if (magic_setparam(m, p[i].which, &p[i].value) == -1) {
			fprintf(stderr, "magic_setparam %s: %s\n", param_names[p[i].which],
			    magic_error(m));
			exit(2);
		}
	return m;
}

/* Reads at most PREFIX_MAX leading bytes of PATH into BUF; -1 if not a regular file. */
static ssize_t
read_prefix(const char *path, unsigned char *buf)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	while (got < PREFIX_MAX && (n = read(fd, buf + got, PREFIX_MAX - got)) > 0)
		got += (size_t)n;
	close(fd);
	return (ssize_t)got;
}

static double
cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
one_file(const char *path, unsigned char *buf, magic_t m, magic_t base, int reps,
    int rounds)
{
	const char *t, *bt;
	double best = -1, t0, us;
	char type[256];
	ssize_t len;
	int i, r;

	if ((len = read_prefix(path, buf)) == -1)
		return 0;
	if ((t = magic_buffer(m, buf, (size_t)len)) == NULL)
		t = "(error)";
	snprintf(type, sizeof(type), "%s", t);
	if (base != NULL) {
		if ((bt = magic_buffer(base, buf, (size_t)len)) == NULL)
			bt = "(error)";
		if (strcmp(bt, type) != 0) {
			printf("DIFF %s: base %s, candidate %s\n", path, bt, type);
			return 1;
		}
		printf("same %s %s\n", type, path);
		return 0;
	}
	for (r = 0; r < rounds; r++) {
		t0 = cpu_us();
		for (i = 0; i < reps; i++)
			(void)magic_buffer(m, buf, (size_t)len);
		us = (cpu_us() - t0) / reps;
		if (best < 0 || us < best)
			best = us;
	}
	printf("%10.1f us  %8zd B  %-40s %s\n", best, len, type, path);
	return 0;
}

int
main(int argc, char **argv)
{
	struct param params[PARAMS_MAX];
	int flags = BASE_FLAGS, reps = 200, rounds = 5, compare = 0, ndiff = 0, nfiles = 0;
	char line[LINE_MAX_], *eq, *end, *db = NULL;
	locale_t loc;
	unsigned char *buf;
	magic_t m, base = NULL;
	size_t np = 0, i;
	int c, k, found;

	while ((c = getopt(argc, argv, "a:BcL:m:n:p:r:")) != -1) {
		switch (c) {
		case 'a':
			found = 0;
			for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
				if (strcmp(optarg, flag_names[i].name) == 0) {
					flags |= flag_names[i].flag;
					found = 1;
				}
			if (!found)
				flags |= (int)strtol(optarg, NULL, 0);
			break;
		case 'B':
			flags = BASE_FLAGS;
			np = 0;
			break;
		case 'c':
			compare = 1;
			break;
		case 'L':
			if ((loc = newlocale(LC_CTYPE_MASK, optarg, (locale_t)0)) == (locale_t)0) {
				fprintf(stderr, "no locale %s\n", optarg);
				return 2;
			}
			uselocale(loc);
			break;
		case 'm':
			db = optarg;
			break;
		case 'n':
			reps = atoi(optarg);
			break;
		case 'p':
			if (np == PARAMS_MAX || (eq = strchr(optarg, '=')) == NULL)
				goto usage;
			*eq = '\0';
			for (k = 0; k < (int)(sizeof(param_names) / sizeof(param_names[0])); k++)
				if (strcmp(optarg, param_names[k]) == 0)
					break;
			if (k == (int)(sizeof(param_names) / sizeof(param_names[0])))
				goto usage;
			params[np].which = k;
			params[np].value = strtoul(eq + 1, &end, 0);
			np++;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (optind == argc || reps < 1 || rounds < 1)
		goto usage;
	if ((buf = malloc(PREFIX_MAX)) == NULL)
		return 2;
	m = open_magic(flags, params, np, db);
	if (compare)
		base = open_magic(BASE_FLAGS, NULL, 0, NULL);
	else
		printf("flags 0x%x\n", flags);
	for (k = optind; k < argc; k++) {
		if (strcmp(argv[k], "-") != 0) {
			ndiff += one_file(argv[k], buf, m, base, reps, rounds);
			nfiles++;
			continue;
		}
		while (fgets(line, sizeof(line), stdin) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			if (line[0] == '\0')
				continue;
			ndiff += one_file(line, buf, m, base, reps, rounds);
			nfiles++;
		}
	}
	if (compare)
		printf("compared %d files, %d differ\n", nfiles, ndiff);
	magic_close(m);
	if (base != NULL)
		magic_close(base);
	free(buf);
	return ndiff != 0;
 usage:
	fprintf(stderr, "usage: magic_speed [-cB] [-L locale] [-m magic.mgc] [-n reps] [-r rounds] [-a flag]... "
	    "[-p name=value]... file... (- reads names from stdin)\n");
	return 2;
}
