/* Sleeps park the coroutine on a CLOCK_MONOTONIC timer. Absolute sleeps on
 * another clock are converted once, at the call: a later jump of that clock
 * does not move the wake-up (see coexec.7). CPU-time clocks run the real
 * call. Argument errors are the kernel's: EINVAL for a bad timespec or
 * clock, EFAULT for a bad pointer. A signal handler interrupts a sleep with
 * EINTR and the time left, as natively (shim/signal.c). */
#include <sys/uio.h>

#include "shim/shim.h"
#include "sched/sys.h"
#include "shim/sync.h"

int copy_in(void *dst, const void *src, size_t n)
{
	struct iovec local = { dst, n }, remote = { (void *)src, n };
	long r = SYS6(SYS_process_vm_readv, sys_getpid(), &local, 1, &remote, 1, 0);
	return r == (long)n ? 0 : -EFAULT;
}

int copy_out(void *dst, const void *src, size_t n)
{
	struct iovec local = { (void *)src, n }, remote = { dst, n };
	long r = SYS6(SYS_process_vm_writev, sys_getpid(), &local, 1, &remote, 1, 0);
	return r == (long)n ? 0 : -EFAULT;
}

static int valid_ts(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && !sync_bad_time(ts);
}

/* Returns 0 when the time has passed, or the ns left when a signal handler
 * interrupted the sleep (sleeps are never restarted, even with SA_RESTART). */
static int64_t sleep_until(int64_t deadline)
{
	for (;;) {
		int r = co_park(PARK_SLEEP, deadline);
		if (r == -ETIMEDOUT)
			return 0;
		if (r == -EINTR && !intr_restart(co_self(), 0)) {
			int64_t left = deadline - now_ns();
			return left > 0 ? left : 1;
		}
	}
}

/* The time left of an interrupted sleep; like the kernel, EFAULT for a
 * pointer it cannot write (0 otherwise). */
static int put_left(struct timespec *rem, int64_t left)
{
	struct timespec t = { left / 1000000000, left % 1000000000 };
	return rem ? copy_out(rem, &t, sizeof t) : 0;
}

static int sleeping(void)
{
	struct co *self = co_self();
	if (self)
		cancel_point(self);
	return self && !co_may_block(self->w);
}

int64_t deadline_at(clockid_t clk, const struct timespec *abs)
{
	struct timespec now;
	clock_gettime(clk, &now);
	int64_t mono = now_ns();
	int64_t sec = abs->tv_sec - now.tv_sec;
	if (sec > INT64_MAX / 1000000000LL / 2) /* centuries: never */
		return INT64_MAX / 2;
	int64_t left = sec * 1000000000LL + (abs->tv_nsec - now.tv_nsec);
	return left <= 0 ? mono : mono + left;
}

EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
	REAL_WHILE_UNTHREADED(nanosleep, req, rem);
	struct timespec t;
	if (!sleeping() || copy_in(&t, req, sizeof t) < 0)
		return REAL_FN(nanosleep)(req, rem);
	if (!valid_ts(&t)) {
		errno = EINVAL;
		return -1;
	}
	int64_t left = sleep_until(now_ns() + ts_ns(&t));
	if (left) {
		errno = put_left(rem, left) < 0 ? EFAULT : EINTR;
		return -1;
	}
	return 0;
}

EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
			   struct timespec *rem)
{
	REAL_WHILE_UNTHREADED(clock_nanosleep, clk, flags, req, rem);
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
		deadline = deadline_at(clk, req);
	} else {
		deadline = now_ns() + ts_ns(req);
	}
	int64_t left = sleep_until(deadline);
	if (left) {
		if (!(flags & TIMER_ABSTIME) && put_left(rem, left) < 0)
			return EFAULT;
		return EINTR;
	}
	return 0;
}

EXPORT unsigned sleep(unsigned s)
{
	REAL_WHILE_UNTHREADED(sleep, s);
	if (!sleeping())
		return REAL_FN(sleep)(s);
	int64_t left = sleep_until(now_ns() + s * 1000000000LL);
	if (!left)
		return 0;
	errno = EINTR; /* glibc's sleep leaves nanosleep's errno, and whole seconds */
	return (unsigned)(left / 1000000000);
}

EXPORT int usleep(useconds_t us)
{
	REAL_WHILE_UNTHREADED(usleep, us);
	if (!sleeping())
		return REAL_FN(usleep)(us);
	if (sleep_until(now_ns() + us * 1000LL)) {
		errno = EINTR;
		return -1;
	}
	return 0;
}
