/* Resolving the real functions behind our hooks; see real.h. dlsym does not
 * allocate on success, so this is safe under a preloaded malloc. A missing
 * symbol, or one that resolves to ourselves, is fatal: calling it would
 * recurse or crash later, far from the cause. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "preload/log.h"
#include "preload/real.h"

struct coexec_real real;
int real_ready;

static void *find(const char *name, void *ours)
{
	void *p = dlsym(RTLD_NEXT, name);
	if (!p || p == ours) {
		coexec_say("cannot resolve %s", name);
		abort();
	}
	return p;
}

void real_resolve(void)
{
	if (__atomic_load_n(&real_ready, __ATOMIC_ACQUIRE))
		return;
	/* Several threads may race here before the constructor; each writes
	 * the same values. */
#define REAL(ret, name, args) real.name = (ret(*) args)find(#name, (void *)name);
#include "preload/real.def"
#undef REAL
	__atomic_store_n(&real_ready, 1, __ATOMIC_RELEASE);
}

void *real_next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

void *real_default(const char *name)
{
	return dlsym(RTLD_DEFAULT, name);
}

void *real_private(const char *name)
{
	return dlvsym(RTLD_DEFAULT, name, "GLIBC_PRIVATE");
}

void *real_from(const char *lib, const char *name)
{
	void *p = dlsym(RTLD_DEFAULT, name);
	if (!p) {
		void *h = dlopen(lib, RTLD_NOW);
		p = h ? dlsym(h, name) : NULL;
	}
	return p;
}

void *real_next_once(void **slot, const char *name)
{
	void *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	if (__builtin_expect(!p, 0)) {
		p = find(name, NULL);
		__atomic_store_n(slot, p, __ATOMIC_RELEASE);
	}
	return p;
}
