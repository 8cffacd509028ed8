/* liburing's waits. liburing enters the kernel with system calls of its
 * own, not through libc, so no other hook sees a thread wait for
 * completions in io_uring_enter: a coroutine doing so would hold its worker
 * and every coroutine parked there with it. We interpose the exported
 * waits instead (liburing.h's inline io_uring_wait_cqe, io_uring_wait_cqe_nr
 * and io_uring_peek_cqe call __io_uring_get_cqe).
 *
 * Each behaves as liburing's own wait loop (_io_uring_get_cqe, unchanged
 * from 2.0 to today) with every io_uring_enter it would make split in two:
 * the submission, made by the kernel on the worker as natively (the thread
 * that submits owns the requests), and the wait for completions, made by
 * parking on the ring's descriptor, which polls readable when completions
 * are there. So results are what liburing and the kernel give: the count
 * submitted, 0, -ETIME, -EINTR (a handled signal ends the wait whatever
 * SA_RESTART says, as in the kernel; a cancellation does not, liburing's
 * calls are no cancellation points), and the completion in *cqe_ptr.
 *
 * Where the descriptor cannot tell (IORING_SETUP_IOPOLL: completions are
 * found by polling the device in the wait itself), the wait alone runs on
 * the blocking-call pool; where only the ring's own thread may wait
 * (IORING_SETUP_DEFER_TASKRUN: completions are made only when it enters
 * the kernel; SINGLE_ISSUER with IOPOLL), the coroutine asks the kernel
 * now and then, parked between (cq_ask). A ring without its descriptor,
 * and any wait on a kernel before 5.11 (no IORING_FEAT_EXT_ARG), block the
 * worker (coexec.7). */
#include <linux/io_uring.h>
#include <signal.h>

#include "shim/blocking.h"
#include "shim/shim.h"
#include "sched/sys.h"

/* struct io_uring as liburing.h lays it out, the same in every 2.x
 * release (216 bytes): we read the rings' indexes, flags and descriptor. */
struct io_uring {
	struct {
		unsigned *khead, *ktail, *kring_mask, *kring_entries, *kflags, *kdropped, *array;
		void *sqes;
		unsigned sqe_head, sqe_tail;
		size_t ring_sz;
		void *ring_ptr;
		unsigned ring_mask, ring_entries, pad[2];
	} sq;
	struct {
		unsigned *khead, *ktail, *kring_mask, *kring_entries, *kflags, *koverflow;
		void *cqes;
		size_t ring_sz;
		void *ring_ptr;
		unsigned ring_mask, ring_entries, pad[2];
	} cq;
	unsigned flags;
	int ring_fd;
	unsigned features;
	int enter_ring_fd;
	unsigned char int_flags, pad[3];
	unsigned pad2;
};
_Static_assert(sizeof(struct io_uring) == 216, "liburing's struct io_uring is 216 bytes");
struct io_uring_cqe;
typedef struct __kernel_timespec kts;

/* liburing's functions, found when first needed: a program calls these
 * hooks only if it links liburing, and older releases lack some. */
static struct {
	int (*get_cqe)(struct io_uring *, struct io_uring_cqe **, unsigned, unsigned, sigset_t *);
	int (*wait_cqes)(struct io_uring *, struct io_uring_cqe **, unsigned, kts *, sigset_t *);
	int (*wait_cqe_timeout)(struct io_uring *, struct io_uring_cqe **, kts *);
	int (*submit)(struct io_uring *);
	int (*submit_and_wait)(struct io_uring *, unsigned);
	int (*submit_and_wait_timeout)(struct io_uring *, struct io_uring_cqe **, unsigned, kts *,
				       sigset_t *);
	int (*sqring_wait)(struct io_uring *);
	void (*queue_exit)(struct io_uring *);
} lib;

#define NEXT(fn, name) ((__typeof__(lib.fn))real_next_once((void **)&lib.fn, name))

/* Completions the program has not consumed yet. */
static unsigned cq_ready(struct io_uring *r)
{
	return __atomic_load_n(r->cq.ktail, __ATOMIC_ACQUIRE) - *r->cq.khead;
}

static unsigned sq_flags(struct io_uring *r)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* after the SQ tail store */
	return __atomic_load_n(r->sq.kflags, __ATOMIC_RELAXED);
}

/* Completions waiting in the kernel's overflow list or behind task work
 * reach the ring in an io_uring_enter, as liburing's loop enters for them. */
static void settle(struct io_uring *r)
{
	if (sq_flags(r) & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN))
		SYS6(SYS_io_uring_enter, r->ring_fd, 0, 0, IORING_ENTER_GETEVENTS, 0, 0);
}

/* Would liburing enter the kernel to submit? (Not for an SQPOLL ring whose
 * thread is awake: it takes the entries itself.) */
static int sq_needs_enter(struct io_uring *r, unsigned submit)
{
	return submit && (!(r->flags & IORING_SETUP_SQPOLL) || (sq_flags(r) & IORING_SQ_NEED_WAKEUP));
}

/* The kernel's submission of n entries already in its ring: how many it
 * took, or -errno. For SQPOLL the kernel says n, and is entered only to
 * wake its thread. */
static long sq_submit(struct io_uring *r, unsigned n)
{
	if (!(r->flags & IORING_SETUP_SQPOLL))
		return SYS6(SYS_io_uring_enter, r->ring_fd, n, 0, 0, 0, 0);
	if (!(sq_flags(r) & IORING_SQ_NEED_WAKEUP))
		return n;
	return SYS6(SYS_io_uring_enter, r->ring_fd, n, 0, IORING_ENTER_SQ_WAKEUP, 0, 0);
}

/* Entries liburing has queued and the kernel has not taken (what its
 * __io_uring_flush_sq will report). */
static unsigned sq_pending(struct io_uring *r)
{
	return r->sq.sqe_tail - __atomic_load_n(r->sq.khead, __ATOMIC_ACQUIRE);
}

/* One call's wait. */
struct wait {
	struct co *self;
	struct io_uring *r;
	struct fdent *e;      /* the ring's descriptor when it can tell */
	int ask;              /* else: ask the kernel now and then (1) or wait on the pool (0) */
	enum bcall id;
	unsigned nr;          /* completions to wait for */
	int has_ts;           /* the call has a timeout: ts (a copy), tmo (ns; -1 beyond reach) */
	kts ts;
	int64_t tmo;
};

/* Completions that only this thread can make (DEFER_TASKRUN) or find
 * (SINGLE_ISSUER with IOPOLL) are made and found in an io_uring_enter
 * from it, and nothing wakes a thread for them but its own wait in the
 * kernel: look in again and again, after 0.25 ms, then twice as long each
 * time up to 8 ms, parked between. */
static int cq_ask(struct wait *w)
{
	struct io_uring *r = w->r;
	int64_t deadline = deadline_in(w->tmo), step = 250000;
	for (;;) {
		SYS6(SYS_io_uring_enter, r->ring_fd, 0, 0, IORING_ENTER_GETEVENTS, 0, 0);
		if (cq_ready(r) >= w->nr)
			return 0;
		int64_t now = now_ns(), until = now + step;
		if (deadline >= 0 && now >= deadline)
			return cq_ready(r) ? 0 : -ETIME;
		if (deadline >= 0 && until > deadline)
			until = deadline;
		step = step < 4000000 ? step * 2 : 8000000;
		if (co_park(PARK_FILE, until) == -EINTR && co_intr_sig(w->self) != CO_SIG_CANCEL) {
			SYS6(SYS_io_uring_enter, r->ring_fd, 0, 0, IORING_ENTER_GETEVENTS, 0, 0);
			sig_point();
			return cq_ready(r) ? 0 : -EINTR;
		}
	}
}

/* The kernel's wait (io_cqring_wait) for w->nr completions: 0 once they
 * are there; at the timeout or on a handled signal, 0 if any completion is
 * there, else -ETIME or -EINTR. Parked on the descriptor, asked for now
 * and then, or the same io_uring_enter on the pool. */
static int cq_wait(struct wait *w)
{
	struct io_uring *r = w->r;
	if (w->ask)
		return cq_ask(w);
	if (!w->e) {
		/* without the program's signal mask: it would block the signal
		 * that interrupts a pool thread */
		struct io_uring_getevents_arg arg = { .sigmask_sz = _NSIG / 8,
						      .ts = w->has_ts ? (unsigned long)&w->ts : 0 };
		return blocking_sys(w->self, w->id, BC_INTR, PARK_FILE, r->ring_fd,
				    SYS_io_uring_enter, r->ring_fd, 0, w->nr,
				    IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, (long)&arg,
				    sizeof arg);
	}
	int64_t deadline = deadline_in(w->tmo);
	for (;;) {
		settle(r);
		if (cq_ready(r) >= w->nr)
			return 0;
		int rc = fd_wait(r->ring_fd, w->e, EPOLLIN, deadline, PARK_FILE);
		if (rc == -ETIMEDOUT)
			return cq_ready(r) ? 0 : -ETIME;
		if (rc == -EINTR && co_intr_sig(w->self) != CO_SIG_CANCEL) {
			sig_point(); /* the handler before the wait returns */
			return cq_ready(r) ? 0 : -EINTR;
		}
		if (rc < 0 && rc != -EINTR)
			return rc; /* the descriptor was closed meanwhile */
	}
}

/* liburing's _io_uring_get_cqe. submit: entries in the kernel's ring to
 * submit; presubmitted: the first submission is made already, with the
 * result pre, and avail0 completions were there before it. */
static int get_loop(struct wait *w, struct io_uring_cqe **cqe_ptr, unsigned submit,
		    int presubmitted, long pre, unsigned avail0)
{
	struct io_uring *r = w->r;
	int looped = 0, err = 0, have;
	for (;;) {
		unsigned avail = avail0;
		if (!presubmitted) {
			settle(r);
			avail = cq_ready(r);
		}
		have = avail > 0;
		int need_wait = w->nr > avail, need_sub = sq_needs_enter(r, submit);
		if (!need_wait && !need_sub)
			break;
		if (looped && w->has_ts) {
			if (!have && !err)
				err = -ETIME;
			break;
		}
		long ret = presubmitted ? pre : need_sub ? sq_submit(r, submit) : submit;
		presubmitted = 0;
		/* the kernel waits only once it has taken everything */
		if (ret >= 0 && need_wait && (ret == submit || (r->flags & IORING_SETUP_SQPOLL))) {
			int rc = cq_wait(w);
			if (ret == 0)
				ret = rc;
		}
		if (ret < 0) {
			if (!err)
				err = (int)ret;
			break;
		}
		submit -= ret;
		if (have)
			break;
		if (!looped) {
			looped = 1;
			err = (int)ret;
		}
	}
	if (have) /* the completion at the head, as liburing's peek finds it */
		NEXT(get_cqe, "__io_uring_get_cqe")(r, cqe_ptr, 0, 0, NULL);
	else
		*cqe_ptr = NULL;
	return err;
}

/* Does this call wait parked (1: w filled in) or run inline (0: it does
 * not wait, the caller is alone, or the ring has no descriptor, or the
 * kernel no IORING_FEAT_EXT_ARG)? */
static int plan(struct wait *w, struct io_uring *r, enum bcall id, unsigned nr, const kts *ts)
{
	if (__builtin_expect(__atomic_load_n(&co_never_threaded, __ATOMIC_RELAXED), 1))
		return 0;
	struct co *self = co_self();
	if (!self || co_may_block(self->w) || !nr || r->ring_fd < 0 ||
	    !(r->features & IORING_FEAT_EXT_ARG))
		return 0;
	*w = (struct wait){ .self = self, .r = r, .id = id, .nr = nr, .tmo = -1 };
	if (ts) {
		/* a bad pointer, or a time already over: the kernel returns at once */
		if (copy_in(&w->ts, ts, sizeof w->ts) < 0)
			return 0;
		w->has_ts = 1;
		if (w->ts.tv_sec < (1LL << 32)) {
			w->tmo = w->ts.tv_sec * 1000000000LL + w->ts.tv_nsec;
			if (w->tmo <= 0)
				return 0;
		}
	}
	if (r->flags & IORING_SETUP_DEFER_TASKRUN)
		w->ask = 1;
	else if (!(r->flags & IORING_SETUP_IOPOLL)) {
		struct fdent *e = fd_get(r->ring_fd);
		if (e && fd_arm(r->ring_fd, e) == 0)
			w->e = e;
	}
	/* a thread other than the ring's own may not wait on it */
	if (!w->e && (r->flags & IORING_SETUP_SINGLE_ISSUER))
		w->ask = 1;
	return 1;
}

EXPORT int __io_uring_get_cqe(struct io_uring *r, struct io_uring_cqe **cqe_ptr, unsigned submit,
			      unsigned wait_nr, sigset_t *sigmask)
{
	struct wait w;
	if (!plan(&w, r, BC_URING_GET_CQE, wait_nr, NULL))
		return NEXT(get_cqe, "__io_uring_get_cqe")(r, cqe_ptr, submit, wait_nr, sigmask);
	return get_loop(&w, cqe_ptr, submit, 0, 0, 0);
}

EXPORT int io_uring_wait_cqes(struct io_uring *r, struct io_uring_cqe **cqe_ptr, unsigned wait_nr,
			      kts *ts, sigset_t *sigmask)
{
	struct wait w;
	if (!plan(&w, r, BC_URING_WAIT_CQES, wait_nr, ts))
		return NEXT(wait_cqes, "io_uring_wait_cqes")(r, cqe_ptr, wait_nr, ts, sigmask);
	return get_loop(&w, cqe_ptr, 0, 0, 0, 0);
}

EXPORT int io_uring_wait_cqe_timeout(struct io_uring *r, struct io_uring_cqe **cqe_ptr, kts *ts)
{
	struct wait w;
	if (!plan(&w, r, BC_URING_WAIT_CQE_TIMEOUT, 1, ts))
		return NEXT(wait_cqe_timeout, "io_uring_wait_cqe_timeout")(r, cqe_ptr, ts);
	return get_loop(&w, cqe_ptr, 0, 0, 0, 0);
}

/* One io_uring_enter that submits and waits: the kernel's count, or the
 * wait's result when it took nothing. */
EXPORT int io_uring_submit_and_wait(struct io_uring *r, unsigned wait_nr)
{
	struct wait w;
	if (!plan(&w, r, BC_URING_SUBMIT_AND_WAIT, wait_nr, NULL))
		return NEXT(submit_and_wait, "io_uring_submit_and_wait")(r, wait_nr);
	unsigned pending = sq_pending(r);
	int n = NEXT(submit, "io_uring_submit")(r);
	if (n < 0 || ((unsigned)n != pending && !(r->flags & IORING_SETUP_SQPOLL)))
		return n;
	int rc = cq_wait(&w);
	return n ? n : rc;
}

EXPORT int io_uring_submit_and_wait_timeout(struct io_uring *r, struct io_uring_cqe **cqe_ptr,
					    unsigned wait_nr, kts *ts, sigset_t *sigmask)
{
	struct wait w;
	if (!plan(&w, r, BC_URING_SUBMIT_AND_WAIT_TIMEOUT, wait_nr, ts))
		return NEXT(submit_and_wait_timeout, "io_uring_submit_and_wait_timeout")(
			r, cqe_ptr, wait_nr, ts, sigmask);
	settle(r);
	unsigned avail = cq_ready(r), pending = sq_pending(r);
	int n = NEXT(submit, "io_uring_submit")(r);
	if (n >= 0 && (r->flags & IORING_SETUP_SQPOLL))
		pending = n;
	return get_loop(&w, cqe_ptr, pending, 1, n, avail);
}

/* Room in an SQPOLL ring's submission queue: nothing tells of it but the
 * wait itself, so that runs on the pool. */
EXPORT int __io_uring_sqring_wait(struct io_uring *r)
{
	struct co *self = __atomic_load_n(&co_never_threaded, __ATOMIC_RELAXED) ? NULL : co_self();
	if (!self || co_may_block(self->w) || r->ring_fd < 0 || !(r->flags & IORING_SETUP_SQPOLL))
		return NEXT(sqring_wait, "__io_uring_sqring_wait")(r);
	return blocking_sys(self, BC_URING_SQRING_WAIT, BC_INTR, PARK_FILE, r->ring_fd,
			    SYS_io_uring_enter, r->ring_fd, 0, 0, IORING_ENTER_SQ_WAIT, 0, _NSIG / 8);
}

/* liburing closes the ring's descriptor with a system call of its own:
 * forget the number first, as close does. */
EXPORT void io_uring_queue_exit(struct io_uring *r)
{
	if (r && r->ring_fd >= 0 && fd_peek(r->ring_fd))
		fd_forget(r->ring_fd);
	NEXT(queue_exit, "io_uring_queue_exit")(r);
}
