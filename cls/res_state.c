/* The resolver state `_res` per coroutine.
 *
 * glibc keeps `_res` per kernel thread (the macro calls __res_state()), and
 * programs set options or name servers in it for their own thread's later
 * res_query calls. Coroutines sharing a worker would share one state, so
 * __res_state() gives each coroutine a state of its own, zeroed like a new
 * thread's, and closes it when the coroutine ends. main() and threads that
 * are not coroutines keep glibc's own. */
#include <dlfcn.h>
#include <pthread.h>
#include <resolv.h>
#include <stdlib.h>

#include "shim/shim.h"

static pthread_key_t state_key;
static pthread_once_t state_once = PTHREAD_ONCE_INIT;
static struct __res_state *(*real_res_state)(void);

static void state_free(void *p)
{
	struct __res_state *st = p;
	if (st->options & RES_INIT)
		res_nclose(st);
	free(st);
}

static void state_init(void)
{
	real_res_state = dlsym(RTLD_NEXT, "__res_state");
	pthread_key_create(&state_key, state_free);
}

EXPORT struct __res_state *__res_state(void)
{
	pthread_once(&state_once, state_init);
	struct co *self = co_self();
	if (!self || self == co_main) {
		if (real_res_state)
			return real_res_state();
		abort();   /* libc without __res_state: nothing we can return */
	}
	struct __res_state *st = pthread_getspecific(state_key);
	if (!st && (st = calloc(1, sizeof *st)))
		pthread_setspecific(state_key, st);
	return st ? st : real_res_state();
}

/* res_init() (a macro for __res_init) initialises the calling thread's
 * `_res`: for a coroutine, its own. */
EXPORT int __res_init(void)
{
	struct co *self = co_self();
	if (!self || self == co_main) {
		static int (*real_init)(void);
		if (!real_init)
			real_init = dlsym(RTLD_NEXT, "__res_init");
		return real_init ? real_init() : -1;
	}
	struct __res_state *st = __res_state();
	if (st->options & RES_INIT)
		res_nclose(st);   /* as glibc does before reading resolv.conf again */
	return res_ninit(st);
}
