/* libaio's waits: io_getevents, io_pgetevents and io_destroy. Linux AIO
 * has no descriptor that tells when completions are there, and libaio
 * makes the system calls (through syscall(2), or its own instructions in
 * older releases), so a coroutine waiting for events would block its
 * worker.
 *
 * io_getevents and io_pgetevents first take what is there with a zero
 * timeout on the worker (the kernel checks every argument then, and a
 * wait for events already complete costs what it costs natively); only
 * what is still missing is waited for on the blocking-call pool, for the
 * rest of the timeout, and the events add up as the kernel adds them. A
 * handled signal ends the wait (EINTR, or the events taken so far), with
 * or without SA_RESTART, as the kernel's io_getevents does; they are no
 * cancellation points. The results follow libaio's convention: -errno,
 * errno unchanged. io_destroy waits for the requests in flight, so it
 * runs on the pool too; io_submit runs inline (coexec.7). */
#include <linux/aio_abi.h>
#include <signal.h>

#include "shim/blocking.h"
#include "shim/shim.h"
#include "sched/sys.h"

/* libaio's io_context_t: the kernel's context, named by its address. */
typedef struct io_context *io_context_t;

/* libaio's functions, found when first needed. */
static struct {
	int (*getevents)(io_context_t, long, long, struct io_event *, struct timespec *);
	int (*pgetevents)(io_context_t, long, long, struct io_event *, struct timespec *,
			  sigset_t *);
	int (*destroy)(io_context_t);
} lib;

#define NEXT(fn, name) ((__typeof__(lib.fn))real_next_once((void **)&lib.fn, name))

/* The coroutine that would wait, or NULL: make the real call. */
static struct co *parker(void)
{
	if (__builtin_expect(__atomic_load_n(&co_never_threaded, __ATOMIC_RELAXED), 1))
		return NULL;
	struct co *self = co_self();
	return self && !co_may_block(self->w) ? self : NULL;
}

/* The signal mask argument of io_pgetevents, as libaio passes it. */
struct aio_sigset {
	const sigset_t *mask;
	size_t size;
};

/* io_getevents (mask NULL) or io_pgetevents, parked. 1: done, result in
 * *res; 0: make the real call (it does not wait, or the caller is alone). */
static int getevents(enum bcall id, io_context_t ctx, long min_nr, long nr, struct io_event *ev,
		     struct timespec *timeout, const struct aio_sigset *ss, long *res)
{
	static const struct timespec zero;
	struct co *self = parker();
	struct timespec t;
	int64_t tmo = -1;
	long sys = ss ? SYS_io_pgetevents : SYS_io_getevents;

	if (!self || min_nr <= 0)
		return 0;
	if (timeout) {
		/* a bad pointer, or a time already over: the kernel returns at once */
		if (copy_in(&t, timeout, sizeof t) < 0)
			return 0;
		if (t.tv_sec < (1LL << 32) && (tmo = ts_ns(&t)) <= 0)
			return 0;
	}
	int64_t deadline = deadline_in(tmo);
	long k = SYS6(sys, ctx, min_nr, nr, ev, &zero, ss);
	if (k < 0 || k >= min_nr) {
		*res = k;
		return 1;
	}
	if (tmo >= 0) {
		int64_t left = deadline - now_ns();
		left = left < 0 ? 0 : left;
		t = (struct timespec){ left / 1000000000, left % 1000000000 };
	}
	/* the pool thread keeps its own mask: the program's would block the
	 * signal that interrupts it */
	long r = blocking_sys(self, id, BC_INTR, PARK_FILE, -1, SYS_io_getevents, (long)ctx,
			      min_nr - k, nr - k, (long)(ev + k), timeout ? (long)&t : 0, 0);
	*res = r < 0 ? (k ? k : r) : k + r;
	return 1;
}

EXPORT int io_getevents(io_context_t ctx, long min_nr, long nr, struct io_event *ev,
			struct timespec *timeout)
{
	long r;
	if (getevents(BC_IO_GETEVENTS, ctx, min_nr, nr, ev, timeout, NULL, &r))
		return (int)r;
	return NEXT(getevents, "io_getevents")(ctx, min_nr, nr, ev, timeout);
}

EXPORT int io_pgetevents(io_context_t ctx, long min_nr, long nr, struct io_event *ev,
			 struct timespec *timeout, sigset_t *mask)
{
	struct aio_sigset ss = { mask, _NSIG / 8 };
	long r;
	if (getevents(BC_IO_PGETEVENTS, ctx, min_nr, nr, ev, timeout, &ss, &r))
		return (int)r;
	return NEXT(pgetevents, "io_pgetevents")(ctx, min_nr, nr, ev, timeout, mask);
}

/* The kernel cancels what it can and waits, uninterruptibly, for the rest
 * of the requests in flight. */
EXPORT int io_destroy(io_context_t ctx)
{
	struct co *self = parker();
	if (!self)
		return NEXT(destroy, "io_destroy")(ctx);
	return (int)blocking_sys(self, BC_IO_DESTROY, 0, PARK_FILE, -1, SYS_io_destroy, (long)ctx, 0,
				 0, 0, 0, 0);
}
