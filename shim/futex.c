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
			deadline = deadline_at(op & FUTEX_CLOCK_REALTIME ? CLOCK_REALTIME
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
		co_waits_on(co_self(), WAIT_FUTEX, addr);
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
		int sig = co_intr_sig(self);
		co_sig_run(self); /* the handler first, as natively */
		if (deadline < 0 && sig_restarts(sig) &&
		    __atomic_load_n(addr, __ATOMIC_SEQ_CST) == val)
			continue;
		errno = EINTR;
		return -1;
	}
}

EXPORT long syscall(long n, ...)
{
	va_list ap;
	va_start(ap, n);
	long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
	long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
	va_end(ap);

	/* A futex without FUTEX_PRIVATE_FLAG parks too: libstdc++ waits that
	 * way for std::future and atomic waits in private memory, and a pool
	 * thread per waiter would cost a kernel thread each. A wake from
	 * another process does not reach it (coexec.7, LIMITATIONS). */
	if (n == SYS_futex && co_self()) {
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
	return REAL_FN(syscall)(n, a, b, c, d, e, f);
}
