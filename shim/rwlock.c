/* Read-write locks and barriers on addr_wait.
 *
 * The state lives in glibc's fields of pthread_rwlock_t, so the static
 * initialisers work, the writer-preferring kind included (__flags):
 *   __readers     >0: that many readers; -1 (all ones): a writer holds it
 *   __writers     writers waiting (they hold readers off in the
 *                 writer-nonrecursive kind)
 *   __wrphase_futex  a sequence bumped at every release: what waiters park on
 *   __writers_futex  waiters, so a release with none makes no wake
 *   __cur_writer  the writer, for EDEADLK
 * glibc treats PTHREAD_RWLOCK_PREFER_WRITER_NP like the reader-preferring
 * default; so do we. Process-shared locks stay glibc's. */
#include <limits.h>

#include "sched/park.h"
#include "sched/sys.h"
#include "shim/shim.h"
#include "shim/sync.h"

#define WRITER (-1)

struct rw {
	int readers, writers, seq, waiters, pad3, pad4, cur_writer, shared;
};

static struct rw *rw_of(pthread_rwlock_t *l)
{
	return (struct rw *)l;
}

static int prefers_writers(pthread_rwlock_t *l)
{
	return l->__data.__flags == PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP;
}

static int try_read(pthread_rwlock_t *l)
{
	struct rw *r = rw_of(l);
	int v = __atomic_load_n(&r->readers, __ATOMIC_ACQUIRE);
	while (v >= 0 && !(prefers_writers(l) && __atomic_load_n(&r->writers, __ATOMIC_ACQUIRE))) {
		if (v == INT_MAX)
			return EAGAIN;
		if (__atomic_compare_exchange_n(&r->readers, &v, v + 1, 1, __ATOMIC_ACQUIRE,
						__ATOMIC_ACQUIRE))
			return 0;
	}
	return EBUSY;
}

static int try_write(pthread_rwlock_t *l)
{
	int v = 0;
	if (!__atomic_compare_exchange_n(&rw_of(l)->readers, &v, WRITER, 0, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return EBUSY;
	rw_of(l)->cur_writer = sync_self_id();
	return 0;
}

static int lock(pthread_rwlock_t *l, int write, clockid_t clk, const struct timespec *abs)
{
	struct rw *r = rw_of(l);
	/* glibc checks the time first, even when the lock is free */
	if (abs && sync_bad_time(abs))
		return EINVAL;
	if (__atomic_load_n(&r->readers, __ATOMIC_ACQUIRE) == WRITER &&
	    r->cur_writer == sync_self_id())
		return EDEADLK;
	int rc = write ? try_write(l) : try_read(l);
	if (rc != EBUSY)
		return rc;
	int64_t deadline = abs ? deadline_at(clk, abs) : -1;
	if (write)
		__atomic_add_fetch(&r->writers, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&r->waiters, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		int seq = __atomic_load_n(&r->seq, __ATOMIC_SEQ_CST);
		rc = write ? try_write(l) : try_read(l);
		if (rc != EBUSY)
			break;
		co_waits_on(co_self(), WAIT_RWLOCK, l);
		if (addr_wait(&r->seq, seq, deadline, 0) == -ETIMEDOUT) {
			rc = write ? try_write(l) : try_read(l);
			if (rc == EBUSY)
				rc = ETIMEDOUT;
			break;
		}
	}
	__atomic_sub_fetch(&r->waiters, 1, __ATOMIC_SEQ_CST);
	if (write && __atomic_sub_fetch(&r->writers, 1, __ATOMIC_SEQ_CST) == 0 && rc &&
	    prefers_writers(l)) {
		/* a writer gave up: readers it was holding off may go */
		__atomic_add_fetch(&r->seq, 1, __ATOMIC_SEQ_CST);
		addr_wake(&r->seq, INT_MAX);
	}
	return rc;
}

EXPORT int pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *a)
{
	int pshared = 0, kind = PTHREAD_RWLOCK_DEFAULT_NP;
	if (a) {
		pthread_rwlockattr_getpshared(a, &pshared);
		pthread_rwlockattr_getkind_np(a, &kind);
	}
	if (pshared == PTHREAD_PROCESS_SHARED)
		return REAL_FN(pthread_rwlock_init)(l, a);
	memset(l, 0, sizeof *l);
	l->__data.__flags = kind;
	return 0;
}

EXPORT int pthread_rwlock_destroy(pthread_rwlock_t *l)
{
	if (rw_of(l)->shared)
		return REAL_FN(pthread_rwlock_destroy)(l);
	return 0;
}

EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	if (rw_of(l)->shared)
		return REAL_FN(pthread_rwlock_rdlock)(l);
	return lock(l, 0, CLOCK_REALTIME, NULL);
}

EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	if (rw_of(l)->shared)
		return REAL_FN(pthread_rwlock_wrlock)(l);
	return lock(l, 1, CLOCK_REALTIME, NULL);
}

EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
	if (rw_of(l)->shared)
		return REAL_FN(pthread_rwlock_tryrdlock)(l);
	return try_read(l);
}

EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
	if (rw_of(l)->shared)
		return REAL_FN(pthread_rwlock_trywrlock)(l);
	return try_write(l);
}

EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *abs)
{
	if (rw_of(l)->shared)
		return REAL_FN(pthread_rwlock_timedrdlock)(l, abs);
	return lock(l, 0, CLOCK_REALTIME, abs);
}

EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *abs)
{
	if (rw_of(l)->shared)
		return REAL_FN(pthread_rwlock_timedwrlock)(l, abs);
	return lock(l, 1, CLOCK_REALTIME, abs);
}

EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clk,
				      const struct timespec *abs)
{
	if (rw_of(l)->shared)
		return REAL_FN(pthread_rwlock_clockrdlock)(l, clk, abs);
	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC)
		return EINVAL;
	return lock(l, 0, clk, abs);
}

EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clk,
				      const struct timespec *abs)
{
	if (rw_of(l)->shared)
		return REAL_FN(pthread_rwlock_clockwrlock)(l, clk, abs);
	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC)
		return EINVAL;
	return lock(l, 1, clk, abs);
}

EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
	if (rw_of(l)->shared)
		return REAL_FN(pthread_rwlock_unlock)(l);
	struct rw *r = rw_of(l);
	int v = __atomic_load_n(&r->readers, __ATOMIC_ACQUIRE);
	if (v == WRITER) {
		if (r->cur_writer != sync_self_id())
			return EPERM;
		r->cur_writer = 0;
		__atomic_store_n(&r->readers, 0, __ATOMIC_RELEASE);
	} else {
		do {
			if (v <= 0)
				return EPERM;
		} while (!__atomic_compare_exchange_n(&r->readers, &v, v - 1, 1, __ATOMIC_RELEASE,
						      __ATOMIC_ACQUIRE));
		if (v - 1 > 0)
			return 0;
	}
	__atomic_add_fetch(&r->seq, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&r->waiters, __ATOMIC_SEQ_CST))
		addr_wake(&r->seq, INT_MAX);
	return 0;
}

/* Barriers: a small lock inside the object guards the count of arrivals;
 * the last to arrive starts a new round and wakes the others, who park on
 * the round number. */
struct barrier {
	int arrived, round, count, shared, lock;   /* shared where glibc keeps it */
};

_Static_assert(sizeof(struct barrier) <= sizeof(pthread_barrier_t), "barrier layout");

EXPORT int pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *a,
				unsigned count)
{
	int pshared = 0;
	if (a)
		pthread_barrierattr_getpshared(a, &pshared);
	if (pshared == PTHREAD_PROCESS_SHARED)
		return REAL_FN(pthread_barrier_init)(b, a, count);
	if (count == 0 || count > INT_MAX)
		return EINVAL;
	memset(b, 0, sizeof *b);
	((struct barrier *)b)->count = (int)count;
	return 0;
}

EXPORT int pthread_barrier_destroy(pthread_barrier_t *b)
{
	struct barrier *br = (struct barrier *)b;
	if (br->shared)
		return REAL_FN(pthread_barrier_destroy)(b);
	return 0;
}

EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
	struct barrier *br = (struct barrier *)b;
	if (br->shared)
		return REAL_FN(pthread_barrier_wait)(b);
	spin_lock(&br->lock);
	int round = br->round;
	if (++br->arrived == br->count) {
		br->arrived = 0;
		__atomic_store_n(&br->round, round + 1, __ATOMIC_SEQ_CST);
		spin_unlock(&br->lock);
		addr_wake(&br->round, INT_MAX);
		return PTHREAD_BARRIER_SERIAL_THREAD;
	}
	spin_unlock(&br->lock);
	while (__atomic_load_n(&br->round, __ATOMIC_SEQ_CST) == round) {
		co_waits_on(co_self(), WAIT_BARRIER, b);
		addr_wait(&br->round, round, -1, 0);
	}
	return 0;
}
