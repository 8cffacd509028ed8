/* Unnamed semaphores that park the coroutine.
 *
 * glibc's sem_t keeps the value in the low 32 bits of its first word and,
 * in its private field, whether the semaphore is process-shared. Ours keep
 * that layout: the value where glibc has it, the number of parked waiters
 * in the high half (so a post with nobody waiting makes no wake). Semaphores
 * shared with other processes (sem_init with pshared, sem_open) stay
 * glibc's; a coroutine waiting on one blocks its worker (coexec.7).
 * sem_wait is a cancellation point and, as natively, returns EINTR when a
 * signal handler interrupts it, SA_RESTART or not. */
#include <limits.h>
#include <semaphore.h>

#include "sched/park.h"
#include "shim/shim.h"
#include "shim/sync.h"

#define PRIVATE 128         /* glibc's FUTEX_PRIVATE_FLAG in the private field */

struct sem {
	int value;
	int waiters;
	int private;
	int pad;
};

_Static_assert(sizeof(struct sem) <= sizeof(sem_t), "sem layout");

static int ours(sem_t *s)
{
	return ((struct sem *)s)->private == PRIVATE;
}

static int try_take(struct sem *s)
{
	int v = __atomic_load_n(&s->value, __ATOMIC_ACQUIRE);
	while (v > 0)
		if (__atomic_compare_exchange_n(&s->value, &v, v - 1, 1, __ATOMIC_ACQUIRE,
						__ATOMIC_ACQUIRE))
			return 1;
	return 0;
}

static int sem_wait_core(sem_t *sem, clockid_t clk, const struct timespec *abs)
{
	struct sem *s = (struct sem *)sem;
	struct co *self = co_self();
	if (self)
		cancel_point(self);
	/* glibc checks the time first, even when it need not wait */
	if (abs && sync_bad_time(abs)) {
		errno = EINVAL;
		return -1;
	}
	if (try_take(s))
		return 0;
	int64_t deadline = abs ? deadline_at(clk, abs) : -1;
	__atomic_add_fetch(&s->waiters, 1, __ATOMIC_SEQ_CST);
	int rc = 0;
	while (!try_take(s)) {
		co_waits_on(co_self(), WAIT_SEM, sem);
		int w = addr_wait(&s->value, 0, deadline, 1);
		if (w == -ETIMEDOUT && !try_take(s)) {
			rc = ETIMEDOUT;
			break;
		}
		if (w == -ETIMEDOUT)
			break;
		if (w == -EINTR) {
			if (self && co_intr_sig(self) == CO_SIG_CANCEL) {
				__atomic_sub_fetch(&s->waiters, 1, __ATOMIC_SEQ_CST);
				cancel_point(self);
				__atomic_add_fetch(&s->waiters, 1, __ATOMIC_SEQ_CST);
				continue;
			}
			rc = EINTR;
			break;
		}
	}
	__atomic_sub_fetch(&s->waiters, 1, __ATOMIC_SEQ_CST);
	if (rc == EINTR && self)
		co_sig_run(self); /* the handler runs before EINTR returns */
	if (rc) {
		errno = rc;
		return -1;
	}
	return 0;
}

EXPORT int sem_init(sem_t *sem, int pshared, unsigned value)
{
	if (value > SEM_VALUE_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (pshared)
		return REAL_FN(sem_init)(sem, pshared, value);
	memset(sem, 0, sizeof *sem);
	struct sem *s = (struct sem *)sem;
	s->value = (int)value;
	s->private = PRIVATE;
	return 0;
}

EXPORT int sem_destroy(sem_t *sem)
{
	if (!ours(sem))
		return REAL_FN(sem_destroy)(sem);
	return 0;
}

EXPORT int sem_post(sem_t *sem)
{
	if (!ours(sem))
		return REAL_FN(sem_post)(sem);
	struct sem *s = (struct sem *)sem;
	int v = __atomic_load_n(&s->value, __ATOMIC_RELAXED);
	do {
		if (v == SEM_VALUE_MAX) {
			errno = EOVERFLOW;
			return -1;
		}
	} while (!__atomic_compare_exchange_n(&s->value, &v, v + 1, 1, __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	if (__atomic_load_n(&s->waiters, __ATOMIC_SEQ_CST))
		addr_wake(&s->value, 1);
	return 0;
}

EXPORT int sem_wait(sem_t *sem)
{
	if (!ours(sem))
		return REAL_FN(sem_wait)(sem);
	return sem_wait_core(sem, CLOCK_REALTIME, NULL);
}

EXPORT int sem_trywait(sem_t *sem)
{
	if (!ours(sem))
		return REAL_FN(sem_trywait)(sem);
	if (try_take((struct sem *)sem))
		return 0;
	errno = EAGAIN;
	return -1;
}

EXPORT int sem_timedwait(sem_t *sem, const struct timespec *abs)
{
	if (!ours(sem))
		return REAL_FN(sem_timedwait)(sem, abs);
	return sem_wait_core(sem, CLOCK_REALTIME, abs);
}

EXPORT int sem_clockwait(sem_t *sem, clockid_t clk, const struct timespec *abs)
{
	if (!ours(sem))
		return REAL_FN(sem_clockwait)(sem, clk, abs);
	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC) {
		errno = EINVAL;
		return -1;
	}
	return sem_wait_core(sem, clk, abs);
}

EXPORT int sem_getvalue(sem_t *sem, int *val)
{
	if (!ours(sem))
		return REAL_FN(sem_getvalue)(sem, val);
	*val = __atomic_load_n(&((struct sem *)sem)->value, __ATOMIC_RELAXED);
	return 0;
}
