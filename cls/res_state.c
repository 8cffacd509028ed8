/* The resolver state `_res` per coroutine.
 *
 * glibc keeps `_res` per kernel thread (the macro calls __res_state()), and
 * programs set options or name servers in it for their own thread's later
 * res_query calls. Coroutines sharing a worker would share one state, so
 * each coroutine gets a state of its own, zeroed like a new thread's, kept
 * under a pthread key (per coroutine under coexec: shim/key.c), and closed
 * by the key's destructor when the coroutine ends. */
#include <pthread.h>
#include <resolv.h>
#include <stdlib.h>

#include "cls/res_state.h"

static pthread_key_t state_key;

static void state_free(void *p)
{
	struct __res_state *st = p;
	if (st->options & RES_INIT)
		res_nclose(st);
	free(st);
}

void res_state_init(void)
{
	pthread_key_create(&state_key, state_free);
}

struct __res_state *res_state_own(void)
{
	struct __res_state *st = pthread_getspecific(state_key);
	if (!st && (st = calloc(1, sizeof *st)))
		pthread_setspecific(state_key, st);
	return st;
}

int res_state_reinit(struct __res_state *st)
{
	if (st->options & RES_INIT)
		res_nclose(st);
	return res_ninit(st);
}
