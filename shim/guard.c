/* C++ function-local statics: __cxa_guard_acquire/release/abort.
 *
 * libstdc++ makes concurrent callers of a static's initialiser sleep in a
 * real futex; if the initialiser parks (I/O, a sleep, a lock), a caller on
 * the same worker would block the kernel thread its initialiser needs. Ours
 * park instead, with libstdc++'s own encoding of the guard's first word, so
 * the compiler's inline "already initialised" test (the low byte) and any
 * code still using libstdc++'s functions agree with us:
 *   bit 0      initialised
 *   bit 8      an initialiser is running
 *   bit 16     somebody waits for it */
#include <limits.h>

#include "sched/park.h"
#include "sched/deadlock.h"
#include "shim/shim.h"

#define DONE 1
#define PENDING 256
#define WAITING 65536

EXPORT int __cxa_guard_acquire(int64_t *guard)
{
	int *g = (int *)guard;
	for (;;) {
		int v = __atomic_load_n(g, __ATOMIC_ACQUIRE);
		if (v & DONE)
			return 0;
		if (v == 0) {
			if (__atomic_compare_exchange_n(g, &v, PENDING, 0, __ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE))
				return 1;
			continue;
		}
		if (!(v & WAITING) &&
		    !__atomic_compare_exchange_n(g, &v, v | WAITING, 0, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE))
			continue;
		co_waits_on(co_self(), WAIT_GUARD, g);
		addr_wait(g, v | WAITING, -1, 0);
	}
}

EXPORT void __cxa_guard_release(int64_t *guard)
{
	int *g = (int *)guard;
	if (__atomic_exchange_n(g, DONE, __ATOMIC_ACQ_REL) & WAITING)
		addr_wake(g, INT_MAX);
}

EXPORT void __cxa_guard_abort(int64_t *guard)
{
	int *g = (int *)guard;
	if (__atomic_exchange_n(g, 0, __ATOMIC_ACQ_REL) & WAITING)
		addr_wake(g, INT_MAX);
}
