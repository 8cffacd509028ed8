/* Condition variables, pthread_once and spin locks on addr_wait.
 *
 * A pthread_cond_t is ours entirely (every user goes through these
 * functions; process-shared ones excepted): a sequence number that signal
 * and broadcast advance, and the clock from the attribute. A waiter reads
 * the sequence while it holds the mutex, releases the mutex and sleeps
 * while the sequence is unchanged, so a signal between the two is never
 * lost. Waking more than asked is allowed (spurious wakeups), missing a
 * waiter is not. pthread_cond_wait is a cancellation point: a cancelled
 * waiter takes the mutex back before its cleanup handlers run, as POSIX
 * wants. */
#include <limits.h>

#include "sched/park.h"
#include <setjmp.h>

#include "shim/shim.h"
#include "shim/sync.h"

struct cond {
	int seq;
	int clock_plus1;       /* 0: CLOCK_REALTIME, the static initialiser's */
	int pshared;           /* kept by glibc */
	int waiters;
};

_Static_assert(sizeof(struct cond) <= sizeof(pthread_cond_t), "cond layout");

/* glibc's own condvars stay glibc's for process-shared objects: those are
 * marked by pthread_cond_init through the real function, whose layout
 * keeps the pshared flag in the low bit of __wrefs. */
static int is_real(pthread_cond_t *c)
{
	return (c->__data.__wrefs & 1) != 0;
}

EXPORT int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a)
{
	int pshared = 0;
	clockid_t clk = CLOCK_REALTIME;
	if (a) {
		pthread_condattr_getpshared(a, &pshared);
		pthread_condattr_getclock(a, &clk);
	}
	if (pshared == PTHREAD_PROCESS_SHARED)
		return REAL_FN(pthread_cond_init)(c, a);
	memset(c, 0, sizeof *c);
	((struct cond *)c)->clock_plus1 = clk + 1;
	return 0;
}

EXPORT int pthread_cond_destroy(pthread_cond_t *c)
{
	if (is_real(c))
		return REAL_FN(pthread_cond_destroy)(c);
	return 0;
}

/* With no waiter counted, a signal has nobody to wake and need not move
 * the sequence: a waiter counts itself while it holds the mutex, before it
 * reads the sequence, so a signal that sees no waiter came before that wait
 * began (a signaller that changed the predicate under the mutex is ordered
 * by it). glibc returns early the same way. */
EXPORT int pthread_cond_signal(pthread_cond_t *c)
{
	if (is_real(c))
		return REAL_FN(pthread_cond_signal)(c);
	struct cond *cv = (struct cond *)c;
	if (!__atomic_load_n(&cv->waiters, __ATOMIC_SEQ_CST))
		return 0;
	__atomic_add_fetch(&cv->seq, 1, __ATOMIC_SEQ_CST);
	addr_wake(&cv->seq, 1);
	return 0;
}

EXPORT int pthread_cond_broadcast(pthread_cond_t *c)
{
	if (is_real(c))
		return REAL_FN(pthread_cond_broadcast)(c);
	struct cond *cv = (struct cond *)c;
	if (!__atomic_load_n(&cv->waiters, __ATOMIC_SEQ_CST))
		return 0; /* as in pthread_cond_signal */
	__atomic_add_fetch(&cv->seq, 1, __ATOMIC_SEQ_CST);
	addr_wake(&cv->seq, INT_MAX);
	return 0;
}

static int cond_wait_core(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
			  const struct timespec *abs)
{
	struct cond *cv = (struct cond *)c;
	struct co *self = co_self();
	if (self)
		cancel_point(self);
	int64_t deadline = -1;
	if (abs) {
		if (sync_bad_time(abs))
			return EINVAL;
		deadline = deadline_at(clk, abs);
	}
	__atomic_add_fetch(&cv->waiters, 1, __ATOMIC_SEQ_CST);
	int seq = __atomic_load_n(&cv->seq, __ATOMIC_SEQ_CST);
	int r = sync_mutex_unlock(m);
	if (r) {
		__atomic_sub_fetch(&cv->waiters, 1, __ATOMIC_SEQ_CST);
		return r;
	}
	co_waits_on(co_self(), WAIT_COND, cv);
	int w = addr_wait(&cv->seq, seq, deadline, 1);
	__atomic_sub_fetch(&cv->waiters, 1, __ATOMIC_SEQ_CST);
	sync_mutex_lock(m, CLOCK_REALTIME, NULL, 0);
	if (w == -EINTR && self) {
		cancel_point(self);
		/* a signal alone: its handler, then a spurious wakeup */
		co_sig_run(self);
	}
	if (w == -ETIMEDOUT && __atomic_load_n(&cv->seq, __ATOMIC_SEQ_CST) == seq)
		return ETIMEDOUT;
	return 0;
}

EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	if (is_real(c))
		return REAL_FN(pthread_cond_wait)(c, m);
	return cond_wait_core(c, m, CLOCK_REALTIME, NULL);
}

EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
				  const struct timespec *abs)
{
	if (is_real(c))
		return REAL_FN(pthread_cond_timedwait)(c, m, abs);
	int cp1 = ((struct cond *)c)->clock_plus1;
	return cond_wait_core(c, m, cp1 ? cp1 - 1 : CLOCK_REALTIME, abs);
}

EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
				  const struct timespec *abs)
{
	if (is_real(c))
		return REAL_FN(pthread_cond_clockwait)(c, m, clk, abs);
	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC)
		return EINVAL;
	return cond_wait_core(c, m, clk, abs);
}

/* pthread_once: 0 not run, odd running, 2 done (glibc's values are
 * compatible: it, too, treats 0 as "not yet"). If the initialiser does not
 * return (a C++ exception, as std::call_once allows), the cleanup below runs
 * during the unwinding (this file is built with -fexceptions): the state
 * goes back to "not run" and a waiter takes its turn, as with glibc. */
struct once_run {
	int *st;
	int done;
};

static void once_unwound(struct once_run *r)
{
	if (r->done)
		return;
	__atomic_store_n(r->st, 0, __ATOMIC_RELEASE);
	addr_wake(r->st, INT_MAX);
}

/* std::call_once passes its callable to pthread_once through two
 * thread-local variables of libstdc++, which coroutines on one worker share:
 * another caller may have overwritten or cleared them while this one was
 * parked. Keep this coroutine's values and put them back before its turn. */
struct cxx_once {
	void **callable, **call;
	void *callable_v, *call_v;
};

static void cxx_once_save(struct cxx_once *c)
{
	c->callable = real_default("_ZSt15__once_callable");
	c->call = real_default("_ZSt11__once_call");
	if (c->callable && c->call) {
		c->callable_v = *c->callable;
		c->call_v = *c->call;
	}
}

static void cxx_once_restore(struct cxx_once *c)
{
	if (c->callable && c->call) {
		*c->callable = c->callable_v;
		*c->call = c->call_v;
	}
}

/* An initialiser cancelled at a cancellation point must leave the state
 * "not run" for the next caller, so pthread_once pushes a cleanup buffer
 * of its own around it, which the unwind (shim/unwind.c) jumps to. */
static void run_init(int *st, void (*init)(void))
{
	if (!co_self()) {
		init();
		return;
	}
	__pthread_unwind_buf_t buf;
	int *volatile keep = st;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
	if (__builtin_expect(__sigsetjmp((struct __jmp_buf_tag *)(void *)buf.__cancel_jmp_buf, 0), 0)) {
#pragma GCC diagnostic pop
		__atomic_store_n(keep, 0, __ATOMIC_RELEASE);
		addr_wake(keep, INT_MAX);
		cancel_continue(co_self());
	}
	cancel_push(co_self(), &buf);
	init();
	cancel_pop(co_self(), &buf);
}

/* "Running" is 1 | fork generation << 2: a fork copies the state of an
 * initialiser that runs in a thread the child does not have, and the
 * child's first caller must run it again, as with glibc. */
static int once_gen;

void once_atfork_child(void)
{
	once_gen++;
}

EXPORT int pthread_once(pthread_once_t *once, void (*init)(void))
{
	int *st = (int *)once;
	struct cxx_once cxx = { NULL, NULL, NULL, NULL };
	int saved = 0;
	int running = 1 | (once_gen & 0x3fffffff) << 2;
	for (;;) {
		int v = __atomic_load_n(st, __ATOMIC_ACQUIRE);
		if (v == 2)
			return 0;
		if (!saved && co_self()) {
			cxx_once_save(&cxx);
			saved = 1;
		}
		if ((v == 0 || ((v & 1) && v != running)) &&
		    __atomic_compare_exchange_n(st, &v, running, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			struct once_run run __attribute__((cleanup(once_unwound))) = { st, 0 };
			cxx_once_restore(&cxx);
			run_init(st, init);
			run.done = 1;
			__atomic_store_n(st, 2, __ATOMIC_RELEASE);
			addr_wake(st, INT_MAX);
			return 0;
		}
		if (v == running) {
			co_waits_on(co_self(), WAIT_ONCE, st);
			addr_wait(st, running, -1, 0);
		}
	}
}

/* Spin locks keep glibc's x86 encoding (pthread_spin_init stores 1): 1 is
 * free, 0 is held. A spinning coroutine yields between attempts, so the
 * holder (perhaps on the same worker) gets to run. */
EXPORT int pthread_spin_lock(pthread_spinlock_t *l)
{
	struct co *self = co_self();
	for (;;) {
		int v = 1;
		if (__atomic_compare_exchange_n((int *)l, &v, 0, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return 0;
		if (self)
			co_yield();
		else
			__builtin_ia32_pause();
	}
}

EXPORT int pthread_spin_trylock(pthread_spinlock_t *l)
{
	int v = 1;
	return __atomic_compare_exchange_n((int *)l, &v, 0, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)
		       ? 0 : EBUSY;
}

EXPORT int pthread_spin_unlock(pthread_spinlock_t *l)
{
	__atomic_store_n((int *)l, 1, __ATOMIC_RELEASE);
	return 0;
}
