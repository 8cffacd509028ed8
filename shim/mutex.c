/* pthread mutexes whose waits park the coroutine.
 *
 * The state lives in the program's own pthread_mutex_t, in glibc's fields,
 * so static initialisers work (all zero is a valid unlocked default, and
 * the recursive, error-checking and adaptive initialisers set __kind):
 *   __lock   0 unlocked, 1 locked, 2 locked with waiters (parked on it)
 *   __owner  who holds it: a coroutine, or a thread coexec does not run
 *   __count  recursion depth
 *   __nusers holders, for EBUSY on destroy
 * Ownership is per coroutine: a recursive mutex held by one coroutine
 * blocks its neighbour on the same kernel thread. Process-shared mutexes
 * keep glibc's implementation (their waiters may be other processes).
 * Robust mutexes are ours: each coroutine keeps a chain of the robust
 * mutexes it holds (through the mutex's own __list field); when it ends
 * holding one, the mutex is marked owner-dead and released, and the next
 * locker gets EOWNERDEAD, as the kernel's robust list does for threads.
 * Priority-inheritance and -protection attributes are accepted and behave
 * like the plain kind (coexec.7). */
#include <limits.h>
#include <sys/single_threaded.h>
#include <time.h>

#include "sched/park.h"
#include "sched/sys.h"
#include "shim/shim.h"
#include "shim/sync.h"

#define KIND_TYPE 3        /* PTHREAD_MUTEX_{NORMAL,RECURSIVE,ERRORCHECK,ADAPTIVE} */
#define KIND_ROBUST 16
#define KIND_PSHARED 128

#define OWNER_DEAD (-1)            /* __owner of a robust mutex whose owner ended */
#define NOT_RECOVERABLE (-2)       /* ... and was unlocked without consistent */

static int real_kind(pthread_mutex_t *m)
{
	return __atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED) & KIND_PSHARED;
}

static int robust(pthread_mutex_t *m)
{
	return m->__data.__kind & KIND_ROBUST;
}

/* The chain of robust mutexes a coroutine holds; __spins marks a mutex
 * taken with EOWNERDEAD and not yet made consistent. */
static void held_push(pthread_mutex_t *m)
{
	struct co *self = co_self();
	if (!self)
		return;
	m->__data.__list.__next = self->robust_held;
	self->robust_held = m;
}

static void held_drop(pthread_mutex_t *m)
{
	struct co *self = co_self();
	if (!self)
		return;
	for (pthread_mutex_t **p = (pthread_mutex_t **)&self->robust_held; *p;
	     p = (pthread_mutex_t **)&(*p)->__data.__list.__next) {
		if (*p == m) {
			*p = (pthread_mutex_t *)m->__data.__list.__next;
			return;
		}
	}
}

int sync_self_id(void)
{
	struct co *self = co_self();
	if (self)
		return CO_SYNC_ID | (int)(self->id & (CO_SYNC_ID - 1));
	return (int)sys_gettid(); /* below 2^22: never a coroutine's */
}

int sync_bad_time(const struct timespec *abs)
{
	return abs->tv_nsec < 0 || abs->tv_nsec >= 1000000000;
}

/* While glibc says the process has one kernel thread (it clears
 * __libc_single_threaded for good at the first real pthread_create, which
 * starting a second worker or a pool thread is), only that thread touches
 * the lock word, and coroutines on it switch at calls, never between a
 * load and a store: plain accesses then do what the atomic ones do, without
 * the bus lock (glibc's own mutexes take the same shortcut). Uncontended
 * lock + unlock: 15 ns -> 5 ns here. */
static inline int one_thread(void)
{
	return __libc_single_threaded;
}

/* Take the lock word; 0, or ETIMEDOUT / EINVAL for a timed lock. */
static int take(pthread_mutex_t *m, clockid_t clk, const struct timespec *abs)
{
	int *lock = &m->__data.__lock;
	int v = 0;
	if (one_thread()) {
		if (*lock == 0) {
			*lock = 1;
			return 0;
		}
	} else if (__atomic_compare_exchange_n(lock, &v, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		return 0;
	}
	int64_t deadline = -1;
	if (abs) {
		if (sync_bad_time(abs))
			return EINVAL;
		deadline = deadline_at(clk, abs);
	}
	while (__atomic_exchange_n(lock, 2, __ATOMIC_ACQUIRE) != 0) {
		co_waits_on(co_self(), WAIT_MUTEX, m);
		if (addr_wait(lock, 2, deadline, 0) == -ETIMEDOUT &&
		    __atomic_load_n(lock, __ATOMIC_RELAXED) != 0)
			return ETIMEDOUT;
	}
	return 0;
}

static void give(pthread_mutex_t *m)
{
	int *lock = &m->__data.__lock, was;
	if (one_thread()) {
		was = *lock;
		*lock = 0;
	} else {
		was = __atomic_exchange_n(lock, 0, __ATOMIC_RELEASE);
	}
	if (was == 2)
		addr_wake(lock, 1);
}

/* A coroutine is ending: its robust mutexes pass on with EOWNERDEAD. */
void robust_on_exit(struct co *co)
{
	pthread_mutex_t *m = co->robust_held;
	co->robust_held = NULL;
	while (m) {
		pthread_mutex_t *next = (pthread_mutex_t *)m->__data.__list.__next;
		m->__data.__owner = OWNER_DEAD;
		m->__data.__count = 0;
		m->__data.__nusers--;
		give(m);
		m = next;
	}
}

/* After taking the lock word of a robust mutex: 0, EOWNERDEAD (taken),
 * or ENOTRECOVERABLE (not taken). */
static int robust_taken(pthread_mutex_t *m, int me)
{
	int owner = m->__data.__owner;
	if (owner == NOT_RECOVERABLE) {
		give(m);
		return ENOTRECOVERABLE;
	}
	m->__data.__owner = me;
	m->__data.__count = 1;
	m->__data.__nusers++;
	held_push(m);
	if (owner == OWNER_DEAD) {
		m->__data.__spins = 1; /* inconsistent until pthread_mutex_consistent */
		return EOWNERDEAD;
	}
	return 0;
}

int sync_mutex_lock(pthread_mutex_t *m, clockid_t clk, const struct timespec *abs, int try)
{
	int type = m->__data.__kind & KIND_TYPE;
	int me = sync_self_id();

	if (type == PTHREAD_MUTEX_RECURSIVE || type == PTHREAD_MUTEX_ERRORCHECK) {
		if (__atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED) == me) {
			if (type == PTHREAD_MUTEX_ERRORCHECK)
				return try ? EBUSY : EDEADLK;
			if (m->__data.__count + 1 == 0)
				return EAGAIN;
			m->__data.__count++;
			return 0;
		}
	}
	if (try) {
		int v = 0;
		if (!__atomic_compare_exchange_n(&m->__data.__lock, &v, 1, 0, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			return EBUSY;
	} else {
		int r = take(m, clk, abs);
		if (r)
			return r;
	}
	if (robust(m))
		return robust_taken(m, me);
	m->__data.__owner = me;
	m->__data.__count = 1;
	m->__data.__nusers++;
	return 0;
}

int sync_mutex_unlock(pthread_mutex_t *m)
{
	int type = m->__data.__kind & KIND_TYPE;
	if (robust(m)) {
		/* robust mutexes check the owner whatever their type */
		if (m->__data.__owner != sync_self_id() || m->__data.__lock == 0)
			return EPERM;
		if (type == PTHREAD_MUTEX_RECURSIVE && --m->__data.__count != 0)
			return 0;
		held_drop(m);
		m->__data.__owner = m->__data.__spins ? NOT_RECOVERABLE : 0;
		m->__data.__spins = 0;
		m->__data.__count = 0;
		m->__data.__nusers--;
		give(m);
		return 0;
	}
	if (type == PTHREAD_MUTEX_RECURSIVE || type == PTHREAD_MUTEX_ERRORCHECK) {
		if (m->__data.__owner != sync_self_id() || m->__data.__lock == 0)
			return EPERM;
		if (type == PTHREAD_MUTEX_RECURSIVE && --m->__data.__count != 0)
			return 0;
	}
	m->__data.__owner = 0;
	m->__data.__count = 0;
	m->__data.__nusers--;
	give(m);
	return 0;
}

EXPORT int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
	int type = PTHREAD_MUTEX_DEFAULT, pshared = 0, robust = 0;
	if (a) {
		pthread_mutexattr_gettype(a, &type);
		pthread_mutexattr_getpshared(a, &pshared);
		pthread_mutexattr_getrobust(a, &robust);
	}
	if (pshared == PTHREAD_PROCESS_SHARED)
		return REAL_FN(pthread_mutex_init)(m, a);
	memset(m, 0, sizeof *m);
	m->__data.__kind = (type & KIND_TYPE) | (robust == PTHREAD_MUTEX_ROBUST ? KIND_ROBUST : 0);
	return 0;
}

EXPORT int pthread_mutex_destroy(pthread_mutex_t *m)
{
	if (real_kind(m))
		return REAL_FN(pthread_mutex_destroy)(m);
	if (m->__data.__nusers != 0 || m->__data.__lock != 0)
		return EBUSY;
	m->__data.__kind = -1; /* as glibc: a destroyed mutex is not usable */
	return 0;
}

EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
	if (real_kind(m))
		return REAL_FN(pthread_mutex_lock)(m);
	return sync_mutex_lock(m, CLOCK_REALTIME, NULL, 0);
}

EXPORT int pthread_mutex_trylock(pthread_mutex_t *m)
{
	if (real_kind(m))
		return REAL_FN(pthread_mutex_trylock)(m);
	return sync_mutex_lock(m, CLOCK_REALTIME, NULL, 1);
}

EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abs)
{
	if (real_kind(m))
		return REAL_FN(pthread_mutex_timedlock)(m, abs);
	return sync_mutex_lock(m, CLOCK_REALTIME, abs, 0);
}

EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clk, const struct timespec *abs)
{
	if (real_kind(m))
		return REAL_FN(pthread_mutex_clocklock)(m, clk, abs);
	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC)
		return EINVAL;
	return sync_mutex_lock(m, clk, abs, 0);
}

EXPORT int pthread_mutex_unlock(pthread_mutex_t *m)
{
	if (real_kind(m))
		return REAL_FN(pthread_mutex_unlock)(m);
	return sync_mutex_unlock(m);
}

EXPORT int pthread_mutex_consistent(pthread_mutex_t *m)
{
	if (real_kind(m))
		return REAL_FN(pthread_mutex_consistent)(m);
	if (!robust(m) || !m->__data.__spins || m->__data.__owner != sync_self_id())
		return EINVAL;
	m->__data.__spins = 0;
	return 0;
}
