/* syscall(SYS_futex, ...): libstdc++ waits for std::future, std::latch,
 * std::atomic<T>::wait and the like with a raw futex system call, which
 * would put the whole worker to sleep. From a coroutine, FUTEX_WAIT parks
 * on the address instead (addr_wait) and FUTEX_WAKE wakes parked coroutines
 * and then, with the real call, any kernel thread sleeping there. The bitset
 * variants are treated as their plain forms (a wake may be spurious, which
 * futex users must accept anyway). Every other system call, and every call
 * from a thread that is not a coroutine, goes to the real syscall(). */
#include <limits.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sched/park.h"
#include "sched/pool.h"
#include "sched/sys.h"
#include "shim/shim.h"
#include "shim/sync.h"

static long futex_wait(int *addr, int val, const struct timespec *t, int op)
{
	struct timespec ts;
	int64_t deadline = -1;
	if (t) {
		if (copy_in(&ts, t, sizeof ts) < 0) {
			errno = EFAULT;
			return -1;
		}
		if (sync_bad_time(&ts) || ts.tv_sec < 0) {
			errno = EINVAL;
			return -1;
		}
		if ((op & FUTEX_CMD_MASK) == FUTEX_WAIT_BITSET)
			deadline = sync_deadline(op & FUTEX_CLOCK_REALTIME ? CLOCK_REALTIME
									 : CLOCK_MONOTONIC, &ts);
		else
			deadline = now_ns() + ts.tv_sec * 1000000000LL + ts.tv_nsec;
	}
	int cur;
	if (copy_in(&cur, addr, sizeof cur) < 0) {
		errno = EFAULT;
		return -1;
	}
	if (cur != val) {
		errno = EAGAIN;
		return -1;
	}
	for (;;) {
		int r = addr_wait(addr, val, deadline, 1);
		if (r == -ETIMEDOUT) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (r != -EINTR)
			return 0;
		/* The kernel restarts an untimed wait under SA_RESTART; a
		 * timed one, and any wait a handler without it interrupts,
		 * fails with EINTR. */
		struct co *self = co_self();
		if (co_intr_sig(self) == CO_SIG_CANCEL) {
			cancel_point(self);
			continue; /* cancellation disabled: the wait goes on */
		}
		if (deadline < 0 && sig_restarts(co_intr_sig(self)) &&
		    __atomic_load_n(addr, __ATOMIC_SEQ_CST) == val)
			continue;
		errno = EINTR;
		return -1;
	}
}

struct shared_wait {
	long a[6];
	long ret;
	int err;
};

static void shared_wait_run(void *p)
{
	struct shared_wait *w = p;
	long r = SYS6(SYS_futex, w->a[0], w->a[1], w->a[2], w->a[3], w->a[4], w->a[5]);
	w->ret = r < 0 ? -1 : r;
	w->err = r < 0 ? (int)-r : 0;
}

/* A shared futex wait blocks for real, on the pool, while the coroutine
 * parks; a wake from any process reaches it. (A signal does not interrupt
 * it there yet: coexec.7, LIMITATIONS.) */
static long shared_wait(long a, long b, long c, long d, long e, long f)
{
	struct shared_wait w = { { a, b, c, d, e, f }, 0, 0 };
	pool_run(shared_wait_run, &w);
	if (w.ret < 0)
		errno = w.err;
	return w.ret;
}

EXPORT long syscall(long n, ...)
{
	va_list ap;
	va_start(ap, n);
	long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
	long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
	va_end(ap);

	/* Only private futexes park: a shared one may be woken by another
	 * process, which knows nothing of our waiters (it goes to the pool). */
	if (n == SYS_futex && co_self() && ((int)b & FUTEX_PRIVATE_FLAG)) {
		int op = (int)b & FUTEX_CMD_MASK;
		if (op == FUTEX_WAIT || op == FUTEX_WAIT_BITSET)
			return futex_wait((int *)a, (int)c, (const struct timespec *)d, (int)b);
		if (op == FUTEX_WAKE || op == FUTEX_WAKE_BITSET) {
			int want = (int)c;
			int woken = want > 0 ? addr_wake((int *)a, want) : 0;
			long r = 0;
			if (woken < want || want <= 0)
				r = REAL_FN(syscall)(n, a, b, (long)(want - woken), d, e, f);
			return r < 0 ? r : woken + r;
		}
	}
	/* Closes that would otherwise slip past the descriptor table. */
	if (n == SYS_close)
		return close((int)a);
	if (n == SYS_close_range)
		return close_range((unsigned)a, (unsigned)b, (int)c);
	if (n == SYS_futex && co_self() && ((b & FUTEX_CMD_MASK) == FUTEX_WAIT ||
					    (b & FUTEX_CMD_MASK) == FUTEX_WAIT_BITSET))
		return shared_wait(a, b, c, d, e, f);
	return REAL_FN(syscall)(n, a, b, c, d, e, f);
}
