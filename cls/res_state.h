/* The resolver state `_res` of each coroutine (res_state.c). shim/resolv.c
 * decides who gets one: coroutines other than main(); main() and threads
 * coexec does not run keep glibc's own. */
#ifndef CLS_RES_STATE_H
#define CLS_RES_STATE_H

#include <resolv.h>

/* Once, before the first res_state_own(). */
void res_state_init(void);

/* The calling coroutine's state, zeroed like a new thread's at first use
 * and closed when the coroutine ends; NULL when out of memory. */
struct __res_state *res_state_own(void);

/* res_init on st: close it if it was open, as glibc does before it reads
 * resolv.conf again, and initialise it. res_ninit's result. */
int res_state_reinit(struct __res_state *st);

#endif
