/* Sleeps park the coroutine on a CLOCK_MONOTONIC timer. Absolute sleeps on
 * another clock are converted once, at the call: a later jump of that clock
 * does not move the wake-up (see coexec.7). CPU-time clocks run the real
 * call. Argument errors are the kernel's: EINVAL for a bad timespec or
 * clock, EFAULT for a NULL request. */
#include <sys/uio.h>

#include "shim/shim.h"
#include "sched/sys.h"

int copy_in(void *dst, const void *src, size_t n)
{
	struct iovec local = { dst, n }, remote = { (void *)src, n };
	long r = SYS6(SYS_process_vm_readv, sys_getpid(), &local, 1, &remote, 1, 0);
	return r == (long)n ? 0 : -EFAULT;
}

static int valid_ts(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000;
}

static int64_t ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static void sleep_until(int64_t deadline)
{
	while (co_park(PARK_SLEEP, deadline) != -ETIMEDOUT)
		; /* only the timer wakes a sleeper; ignore stray wakes */
}

static int sleeping(void)
{
	struct co *self = co_self();
	return self && !co_alone(self->w);
}

EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
	struct timespec t;
	if (!sleeping() || copy_in(&t, req, sizeof t) < 0)
		return REAL_FN(nanosleep)(req, rem);
	if (!valid_ts(&t)) {
		errno = EINVAL;
		return -1;
	}
	sleep_until(now_ns() + ts_ns(&t));
	return 0;
}

EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
			   struct timespec *rem)
{
	struct timespec t;
	if (!sleeping() || copy_in(&t, req, sizeof t) < 0)
		return REAL_FN(clock_nanosleep)(clk, flags, req, rem);
	req = &t;
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
	case CLOCK_TAI:
		break;
	case CLOCK_THREAD_CPUTIME_ID:
		return EINVAL;
	default:
		return REAL_FN(clock_nanosleep)(clk, flags, req, rem);
	}
	if (!valid_ts(req))
		return EINVAL;
	int64_t deadline;
	if (flags & TIMER_ABSTIME) {
		struct timespec now;
		clock_gettime(clk, &now);
		int64_t left = ts_ns(req) - ts_ns(&now);
		deadline = now_ns() + (left > 0 ? left : 0);
	} else {
		deadline = now_ns() + ts_ns(req);
	}
	sleep_until(deadline);
	return 0;
}

EXPORT unsigned sleep(unsigned s)
{
	if (!sleeping())
		return REAL_FN(sleep)(s);
	sleep_until(now_ns() + s * 1000000000LL);
	return 0;
}

EXPORT int usleep(useconds_t us)
{
	if (!sleeping())
		return REAL_FN(usleep)(us);
	sleep_until(now_ns() + us * 1000LL);
	return 0;
}
