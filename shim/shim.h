/* Shared by the interposed entry points.
 *
 * Every shim starts the same way: find the running coroutine; if there is
 * none (a thread coexec does not run, or the runtime itself), call the real
 * function and change nothing. Runtime calls return -errno; sysret()
 * converts to the libc convention in one place. pthread_* shims return error
 * numbers and leave errno alone, as the real ones do. */
#ifndef SHIM_SHIM_H
#define SHIM_SHIM_H

#include <errno.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "preload/config.h"
#include "preload/log.h"
#include "preload/real.h"
#include "sched/netpoll.h"
#include "sched/rtfd.h"
#include "sched/worker.h"
#include "shim/fdview.h"

#define EXPORT __attribute__((visibility("default")))

/* A signal queued for the running coroutine while it was in our code runs
 * its handler as the hook returns, before errno is set, as the kernel runs
 * a handler before the system call's result reaches the program. */
void sig_deliver(struct co *self);
static inline void sig_point(void)
{
	struct worker *w = worker_tls;
	if (__builtin_expect(w != NULL, 1)) {
		struct co *c = w->cur;
		if (c->magic == CO_MAGIC)
			co_sig_run(c);
	}
}

static inline long sysret(long r)
{
	sig_point();
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/* The first statement of a hook whose path for a coroutine alone in the
 * process is the real call: while co_never_threaded holds, make that call at once. A
 * program without threads then pays a load and a jump per call instead of
 * the full check (TLS, coroutine, worker, a shared counter) and the frame
 * of the parking path (figures: coexec.7, "Threads become coroutines"). */
#define REAL_WHILE_UNTHREADED(name, ...) \
	do { \
		if (__builtin_expect(__atomic_load_n(&co_never_threaded, __ATOMIC_RELAXED), 1)) \
			return real.name(__VA_ARGS__); \
	} while (0)

/* The coroutine behind a pthread_t, or NULL when t is a thread coexec does
 * not run (main() is a real thread to glibc, but ours to join) or the caller
 * is not a coroutine. */
static inline struct co *co_of(pthread_t t)
{
	return co_self() ? co_lookup(t) : NULL;
}

/* A new coroutine's scheduling policy and priority: the attribute's when
 * it says PTHREAD_EXPLICIT_SCHED, else its creator's (shim/thread_sched.c). */
void co_sched_inherit(struct co *co, struct co *creator, const pthread_attr_t *attr);

/* The program forks or starts a program: its sockets may be shared from
 * now on (shim/proc.c). */
void proc_share(void);

/* Cancellation (shim/cancel.c). A blocking shim calls cancel_point() on entry;
 * after a park that returned -EINTR, intr_restart() acts on a cancellation
 * (it does not return then) and says whether the call restarts (SA_RESTART,
 * or a wake that turned out to be for nothing) or returns EINTR. */
void cancel_act(struct co *self) __attribute__((noreturn));
static inline void cancel_point(struct co *self)
{
	if (__builtin_expect(self->cancel_pending, 0) && !self->cancel_disabled)
		cancel_act(self);
}
int intr_restart(struct co *self, int sa_restart_applies);

/* The cleanup chain as pthread_cleanup_push/pop and __pthread_unwind_next
 * use it, for handlers of our own (a buffer whose jump point was set with
 * __sigsetjmp(buf->__cancel_jmp_buf, 0)). */
void cancel_push(struct co *self, __pthread_unwind_buf_t *buf);
void cancel_pop(struct co *self, __pthread_unwind_buf_t *buf);
void cancel_continue(struct co *self) __attribute__((noreturn));

/* Unwind the coroutine's frames down to the innermost cleanup buffer,
 * or to its entry, where it ends with self->exit_value (shim/unwind.c). */
void unwind_frames(struct co *self) __attribute__((noreturn));

/* pthread_exit: run the cleanup handlers, then end the coroutine. */
void co_unwind_exit(struct co *self, void *value) __attribute__((noreturn));

static inline int64_t ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/* The one conversion of an absolute time on clk (CLOCK_REALTIME,
 * CLOCK_MONOTONIC, ...) to the CLOCK_MONOTONIC deadline in ns every park
 * takes; a time already past gives now (shim/time.c). */
int64_t deadline_at(clockid_t clk, const struct timespec *abs);

/* Absolute CLOCK_MONOTONIC deadline for a relative timeout in ns (<0: none). */
static inline int64_t deadline_in(int64_t ns)
{
	return ns < 0 ? -1 : now_ns() + ns;
}

/* Copy n bytes from the program's memory, or -EFAULT where the kernel
 * would have said so: a bad pointer must give the native errno, not crash us.
 * Costs one system call; used where we read an argument the kernel would. */
int copy_in(void *dst, const void *src, size_t n);
/* The same towards the program's memory. */
int copy_out(void *dst, const void *src, size_t n);

/* Does the program's handler for sig restart interrupted calls? */
int sig_restarts(int sig);


/* After EAGAIN on a socket the program believes blocking: wait for ev
 * (parked for the reason why) until the deadline. 1: try again; 0: stop, with *r the kernel-style
 * result (-EAGAIN for a timeout, -EINTR, -EBADF when closed meanwhile). */
int sock_wait(int fd, struct fdent *e, unsigned ev, enum park_reason why, int64_t deadline,
	      long *r);

/* iovec arrays (shim/io.c): the bytes they hold; drop the first n bytes
 * from an array we own. */
size_t iov_total(const struct iovec *iov, size_t n);
void iov_advance(struct iovec **iov, size_t *cnt, size_t n);

/* A read or write of a regular file at off (-1: the file position): the
 * page cache inline, the disk on the pool (shim/disk.c). vec: the program
 * called the vectored form; else iov[0] is its one buffer. */
ssize_t disk_read(struct co *self, int fd, struct fdent *e, const struct iovec *iov, int cnt,
		  off_t off, int vec);
ssize_t disk_write(struct co *self, int fd, struct fdent *e, const struct iovec *iov, int cnt,
		   off_t off, int vec);
/* Are the n bytes at fd's file position in the page cache (stdio refills)? */
int disk_cached(int fd, struct fdent *e, size_t n);

/* Socket timeouts as the kernel has them, learned once per descriptor. */
void sock_learn_timeouts(int fd, struct fdent *e);

#endif
