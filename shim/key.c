/* pthread_key_* per coroutine. The key itself is glibc's (a real key is
 * created, so numbers, limits and errors are native, and threads coexec does
 * not run keep using glibc's storage); values and destructors of coroutines
 * live in cls/tsd.c. */
#include "cls/tsd.h"
#include "shim/shim.h"

EXPORT int pthread_key_create(pthread_key_t *key, void (*dtor)(void *))
{
	int r = REAL_FN(pthread_key_create)(key, dtor);
	if (r == 0 && tsd_key_new(*key, dtor) < 0) {
		REAL_FN(pthread_key_delete)(*key);
		return EAGAIN;
	}
	return r;
}

EXPORT int pthread_key_delete(pthread_key_t key)
{
	int r = REAL_FN(pthread_key_delete)(key);
	if (r == 0)
		tsd_key_delete(key);
	return r;
}

EXPORT void *pthread_getspecific(pthread_key_t key)
{
	struct co *self = co_self();
	if (!self)
		return REAL_FN(pthread_getspecific)(key);
	return tsd_get(self, key);
}

EXPORT int pthread_setspecific(pthread_key_t key, const void *value)
{
	struct co *self = co_self();
	if (!self)
		return REAL_FN(pthread_setspecific)(key, value);
	if (!tsd_key_valid(key))
		return EINVAL;
	return -tsd_set(self, key, value);
}

void robust_on_exit(struct co *co);

/* Called by the runtime as a coroutine ends (sched/worker.h co_on_exit):
 * key destructors first (they may still use the mutexes), then the robust
 * mutexes it still holds pass on. */
void key_on_exit(struct co *co)
{
	tsd_exit(co);
	robust_on_exit(co);
}
