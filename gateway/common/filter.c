/*
 * common/filter.c: libseccomp's setup, rule and load calls with their errors
 * worded once (see filter.h).
 */
#include <sys/prctl.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/filter.h"

scmp_filter_ctx
filter_new(uint32_t def, char *err, size_t errlen)
{
	scmp_filter_ctx ctx;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return NULL;
	}
	if ((ctx = seccomp_init(def)) == NULL)
		snprintf(err, errlen, "seccomp_init failed");
	return ctx;
}

int
filter_rules(scmp_filter_ctx ctx, uint32_t action, const int *v, size_t n, char *err,
    size_t errlen)
{
	int rc;

	for (size_t i = 0; i < n; i++) {
		if ((rc = seccomp_rule_add(ctx, action, v[i], 0)) < 0) {
			snprintf(err, errlen, "seccomp rule for syscall %d: %s", v[i], strerror(-rc));
			return -1;
		}
	}
	return 0;
}

int
filter_load(scmp_filter_ctx ctx, char *err, size_t errlen)
{
	int rc = seccomp_load(ctx);

	seccomp_release(ctx);
	if (rc < 0) {
		snprintf(err, errlen, "seccomp_load: %s", strerror(-rc));
		return -1;
	}
	return 0;
}
