/* Parking on an address; see park.h. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <time.h>

#include "sched/list.h"
#include "sched/park.h"
#include "sched/sys.h"
#include "sched/worker.h"

#define NBUCKETS 1024

struct waiter {
	struct dq_link link;
	const int *addr;
	struct co *co;
	int woken;
};

static struct bucket {
	int lock;
	int kernel_waiters;        /* threads in a real futex on some address here */
	struct dq waiters;         /* oldest first: wakes go in arrival order */
} buckets[NBUCKETS];

static struct bucket *bucket_of(const int *addr)
{
	uintptr_t a = (uintptr_t)addr;
	return &buckets[(a >> 2 ^ a >> 12) % NBUCKETS];
}

static void unlink_waiter(struct bucket *b, struct waiter *w)
{
	dq_remove(&b->waiters, &w->link);
}

static int kernel_wait(const int *addr, int expected, int64_t deadline)
{
	struct bucket *b = bucket_of(addr);
	__atomic_add_fetch(&b->kernel_waiters, 1, __ATOMIC_SEQ_CST);
	struct timespec ts, *tp = NULL;
	if (deadline >= 0) {
		int64_t left = deadline - now_ns();
		if (left <= 0) {
			__atomic_sub_fetch(&b->kernel_waiters, 1, __ATOMIC_SEQ_CST);
			return -ETIMEDOUT;
		}
		ts.tv_sec = left / 1000000000;
		ts.tv_nsec = left % 1000000000;
		tp = &ts;
	}
	long r = SYS4(SYS_futex, addr, FUTEX_WAIT_PRIVATE, expected, tp);
	__atomic_sub_fetch(&b->kernel_waiters, 1, __ATOMIC_SEQ_CST);
	if (r == -ETIMEDOUT)
		return -ETIMEDOUT;
	if (r == -EINTR)
		return -EINTR;
	return 0;
}

int addr_wait(const int *addr, int expected, int64_t deadline, int intr)
{
	return addr_wait_as(addr, expected, deadline, intr ? PARK_SYNC_INTR : PARK_SYNC);
}

int addr_wait_as(const int *addr, int expected, int64_t deadline, enum park_reason why)
{
	struct co *self = co_self();
	if (!self)
		return kernel_wait(addr, expected, deadline);

	struct bucket *b = bucket_of(addr);
	struct waiter w = { .addr = addr, .co = self };
	spin_lock(&b->lock);
	if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) != expected) {
		spin_unlock(&b->lock);
		return 0;
	}
	dq_push(&b->waiters, &w.link);
	spin_unlock(&b->lock);

	int r = 0;
	while (!__atomic_load_n(&w.woken, __ATOMIC_ACQUIRE)) {
		r = co_park(why, deadline);
		if (r == -ETIMEDOUT || r == -EINTR)
			break;
		r = 0;
	}
	if (r) {
		spin_lock(&b->lock);
		if (!w.woken)
			unlink_waiter(b, &w);
		else
			r = 0; /* woken as the deadline passed: take the wake */
		spin_unlock(&b->lock);
	}
	return r;
}

int addr_wake(const int *addr, int n)
{
	struct bucket *b = bucket_of(addr);
	struct kicks k = { .n = 0 };
	int woken = 0;
	spin_lock(&b->lock);
	for (struct dq_link *l = b->waiters.head, *next; l && woken < n; l = next) {
		struct waiter *w = container_of(l, struct waiter, link);
		next = l->next;
		if (w->addr != addr)
			continue;
		unlink_waiter(b, w);
		struct co *co = w->co;
		__atomic_store_n(&w->woken, 1, __ATOMIC_RELEASE);
		/* w lives on the waiter's stack: not touched after this */
		co_wake_deferred(co, &k);
		woken++;
	}
	spin_unlock(&b->lock);
	kicks_flush(&k);
	if (woken < n && __atomic_load_n(&b->kernel_waiters, __ATOMIC_SEQ_CST))
		SYS(SYS_futex, addr, FUTEX_WAKE_PRIVATE, n - woken);
	return woken;
}

void park_atfork_child(void)
{
	/* The waiters were the parent's other threads: none exists here. */
	for (int i = 0; i < NBUCKETS; i++)
		buckets[i] = (struct bucket){ 0 };
}
