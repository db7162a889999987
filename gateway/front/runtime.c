/*
 * front/runtime.c: what SIGHUP reloads (policy, parties, TLS context with
 * its CRL), as one reference-counted snapshot. A reload builds a complete
 * new snapshot first; a bad file leaves the old one in place.
 */
#include <stdlib.h>

#include "common/log.h"
#include "front/front.h"

struct runtime *
runtime_load(const struct config *cfg, char *err, size_t errlen)
{
	struct runtime *rt;

	if ((rt = calloc(1, sizeof(*rt))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	atomic_init(&rt->refs, 1);
	if (policy_load(cfg->policy_file, &rt->policy, err, errlen) == -1)
		goto fail;
	if (parties_load(cfg->parties_file, &rt->parties, err, errlen) == -1)
		goto fail;
	if ((rt->tls = tls_ctx_new(cfg, err, errlen)) == NULL)
		goto fail;
	return rt;
fail:
	runtime_unref(rt);
	return NULL;
}

struct runtime *
runtime_ref(struct runtime *rt)
{
	atomic_fetch_add(&rt->refs, 1);
	return rt;
}

void
runtime_unref(struct runtime *rt)
{
	if (rt == NULL || atomic_fetch_sub(&rt->refs, 1) != 1)
		return;
	if (rt->policy)
		policy_free(rt->policy);
	if (rt->parties)
		parties_free(rt->parties);
	if (rt->tls)
		SSL_CTX_free(rt->tls);
	free(rt);
}
