/* Coroutines and the workers that run them.
 *
 * A worker is a kernel thread running coroutines one at a time. Worker 0 is
 * the program's main thread and main() is its first coroutine, on the
 * original stack. A coroutine stays on the worker where it started (a
 * compiled program keeps addresses of errno and __thread variables, and
 * they are its worker's while thread-local storage is shared per worker:
 * cls/tls.h).
 *
 * Placement: a new coroutine waits in its creator's worker's fresh queue,
 * so threads that talk to each other (created together, woken by each
 * other) share a worker and hand over without a kernel wake-up. A worker
 * with nothing to run takes coroutines that have waited in another
 * worker's fresh queue for a millisecond or more: that worker is busy,
 * and CPU-bound threads spread over the cores.
 *
 * There is no scheduler context: co_park() picks the next runnable
 * coroutine and switches straight to it; when nothing is runnable the parking
 * coroutine itself waits in the poller, on its own stack, until a descriptor,
 * a timer or a remote wake makes something runnable.
 *
 * The wait protocol, used by every blocking operation:
 *   1. make the coroutine findable by whoever will wake it (a descriptor
 *      waiter list, a join, ...);
 *   2. co_park(reason, deadline): returns 0 once co_wake() was called, or
 *      -ETIMEDOUT if the deadline (CLOCK_MONOTONIC ns, or -1) passed first;
 *   3. undo step 1.
 * co_wake() on a coroutine that is not parked does nothing, so any number of
 * wakers may race. */
#ifndef SCHED_WORKER_H
#define SCHED_WORKER_H

#include <pthread.h>
#include <stdint.h>

#include "sched/list.h"
#include "sched/stack.h"
#include "sched/switch.h"

enum co_state { CO_RUNNABLE, CO_RUNNING, CO_PARKED, CO_DEAD };

enum park_reason {
	PARK_YIELD, PARK_READ, PARK_WRITE, PARK_CONNECT, PARK_ACCEPT, PARK_POLL,
	PARK_SLEEP, PARK_JOIN, PARK_IDLE, PARK_SYNC, PARK_SYNC_INTR, PARK_POOL,
	PARK_LOCK, PARK_CHILD, PARK_FILE, PARK_OPEN, PARK_IPC, PARK_SIGNAL,
	PARK__COUNT
};

/* What becomes of a coroutine's object when it ends (co->fate). */
enum co_fate {
	FATE_JOINABLE,   /* running; pthread_join will collect it */
	FATE_DETACHED,   /* running; it frees itself when it ends */
	FATE_EXITED,     /* ended, joinable: the joiner (or a detach) frees it */
	FATE_CLAIMED,    /* ended and claimed: being freed */
};
extern const char *const park_reason_name[PARK__COUNT];

#define CO_MAGIC 0xc0e8ec01u

struct worker;

struct co {
	struct co_ctx ctx;
	void *tp;                 /* its thread pointer (cls/tls.c), or NULL:
				     its kernel thread's own */
	struct worker *tls_w;     /* the worker tp is bound to */
	uint32_t magic;
	uint32_t id;
	uintptr_t key;            /* own address ^ a constant: see co_lookup */
	struct worker *w;
	struct sq_link qlink;     /* run, fresh or remote queue */
	uint64_t seq;             /* when it was queued, in its worker's order */
	int64_t fresh_at;         /* created at (ns), while in a fresh queue */
	enum co_state state;
	int wake_pending;         /* a wake arrived while it was not parked */
	enum park_reason reason;
	unsigned char wait_kind;  /* what a sync wait waits on (sched/deadlock.h) */
	const void *wait_obj;
	unsigned wait_since;      /* ... since (deadlock_epoch) */
	int saved_errno;
	int timed_out;
	int intr_sig;             /* signal that interrupts the current park */
	int intr_queued;          /* on the worker's interrupt list */
	struct co *intr_next;

	/* Signals (shim/signal.c): what the kernel keeps per thread, bit
	 * sig-1 of each word; the kernel's own mask of the worker equals
	 * sigmask whenever the coroutine runs (see struct worker). What a
	 * switch or a park reads is here; the rest is at the end. */
	uint64_t sigmask;         /* blocked */
	uint64_t sigpend;         /* pending for it (their siginfo: sigq) */
	void *altstack;           /* its sigaltstack (a stack_t), or NULL */
	int sig_hold;             /* waiting for a job that uses its stack: a
				     signal waits until it is over */
	int sigwait_got;          /* a signal was given to its sigwait */

	int64_t deadline;         /* timer heap key, CLOCK_MONOTONIC ns */
	int heap_idx;             /* position in the timer heap, -1 if none */

	void *(*fn)(void *);
	void *arg;
	void *retval;
	struct stack stack;
	int fate;                 /* enum co_fate, changed atomically */
	int exited;               /* finished; retval valid */
	struct co *joiner;        /* coroutine waiting in pthread_join */
	pthread_t native;         /* for main(): its real pthread_t */
	char name[16];

	/* Cancellation and cleanup handlers, kept per coroutine (shim/cancel.c):
	 * glibc keeps them per kernel thread. */
	int cancel_disabled, cancel_async, cancel_pending, unwinding;
	void *cleanup;            /* innermost pthread_cleanup_push buffer */
	void *exit_value;
	void *tsd;                /* pthread key values (cls/tsd.c) */
	void *robust_held;        /* robust mutexes it holds (shim/mutex.c) */
	int saved_h_errno;

	/* What the kernel keeps per thread and a coroutine keeps itself
	 * (shim/thread_sched.c): scheduling policy, priority, CPU affinity. */
	int sched_policy, sched_prio;
	void *affinity;           /* cpu_set_t of affinity_size bytes, or NULL */
	size_t affinity_size;

	/* Signals, the less used part. */
	void *sigq;               /* pending entries, under the signal lock */
	int sig_async;            /* in a handler that interrupted its code:
				     hooks block the worker rather than park */
	unsigned sig_handled;     /* handlers it has run (sigsuspend) */
	void *live_job;           /* the pool job it waits for (shim/blocking.c) */
	struct dq_link alllink;   /* on its worker's list of started coroutines */
	int listed;
	int tls_pinned;           /* its descriptor became its kernel thread's (fork) */
	/* the exception object of its forced unwind (shim/unwind.c) */
	uint64_t unwind_exc[4] __attribute__((aligned(16)));
};

struct worker {
	int id;
	pthread_t native;         /* the kernel thread */
	void *tp;                 /* its thread pointer, for runtime flows */
	long tid;                 /* its kernel thread id */
	struct co *cur;
	struct co *main_co;       /* the coroutine on the thread's own stack:
				     main() on worker 0, an idle loop elsewhere */
	struct sq runq;
	struct co *reaper;        /* where an ending coroutine goes (see co_exit) */
	struct co *exiting;       /* the coroutine the reaper is to finish */
	int kickfd, wepfd;        /* eventfd to wake it; its epoll */
	int *errno_p, *h_errno_p; /* this thread's errno and h_errno (addresses
				     fixed per thread: saved at every switch
				     without a libc call) */
	struct co **timers;       /* min-heap on deadline */
	int64_t next_due;         /* the earliest deadline there (INT64_MAX: none) */
	int ntimers, timers_cap;
	struct stack_cache stacks;
	int nlive;                /* coroutines placed here, not yet exited */
	int in_poll;              /* inside (or about to enter) the poller's wait */
	int stuck;                /* coroutines in a wait only a thread can end */
	unsigned deadlock_told;   /* the deadlock report it answered last */
	unsigned since_poll;      /* scheduling passes since the last poll */
	uint64_t seq;             /* queueing stamps: run and fresh queues share
				     one order */
	int fresh_lock;           /* spin lock: the fresh queue, which idle
				     workers steal from */
	struct sq fresh;          /* created here, not started */
	int nfresh;
	unsigned seen_gen;        /* creations seen at its last steal scan */
	int remote_lock;          /* spin lock: wakes from other threads */
	struct sq remote;
	int remote_pending;
	struct co *intr_list;     /* pushed by signal handlers */

	/* Signals. kmask is the kernel's mask of this thread: the running
	 * coroutine's, applied when one with another mask resumes; altstack
	 * likewise. in_rt: it is in the scheduler, where a signal handler
	 * must not run program code. These are read at every switch. */
	uint64_t kmask;
	void *altstack;           /* the sigaltstack its kernel thread has */
	int in_rt;
	int sig_locked;           /* it holds the signal lock (shim/signal.c) */
	void *sig_inbox;          /* process signals other workers pass it, for
				     one of its coroutines (shim/signal.c) */
	struct {
		unsigned long long created, switches, parks[PARK__COUNT], polls;
	} stats;

	/* While it waits in the poller it blocks only what every coroutine
	 * started here blocks (sig_idle_mask, from sig_blocked), so a signal
	 * one of them takes reaches it. */
	uint64_t idle_mask;
	unsigned sig_blocked[64], sig_listed;
	uint64_t blocked_any;
	int idle_dirty;
	unsigned char redeliver[64]; /* signals it raised at itself to run
				     their handlers now, by number-1 (shim/signal.c) */
	int redeliver_async;
	void *sigring;            /* arrivals queued while it held the lock */
	struct dq cos;            /* its started coroutines (sched/sigmask.c) */
	int list_busy;
};

/* The worker this kernel thread runs, or NULL for threads that are not
 * workers (pass-through). */
extern __thread struct worker *worker_tls;
static inline struct worker *worker_self(void) { return worker_tls; }

/* The running coroutine, or NULL when the caller is not a coroutine. */
static inline struct co *co_self(void)
{
	struct worker *w = worker_tls;
	return w ? w->cur : NULL;
}

/* Adopt the calling thread as worker 0; its current flow (main()) becomes
 * the first coroutine. nworkers: how many workers coroutines are spread
 * over; the others start on first need, with spawn (the real
 * pthread_create). Returns the worker or NULL (out of memory). */
struct worker *worker_adopt(int nworkers, int (*spawn)(void *(*)(void *), void *));

/* Start a runtime kernel thread (detached) with the
 * spawn function worker_adopt was given. 0 or an error number. */
int worker_spawn_thread(void *(*fn)(void *), void *arg);

/* All workers started so far (for statistics). */
extern struct worker *workers[];
extern int nworkers_started;
#define WORKERS_MAX 1024

/* The started workers, from any thread:
 *   struct worker_iter it = WORKER_ITER; while ((w = worker_next(&it))) ... */
struct worker_iter {
	int i, left;
};
#define WORKER_ITER { 0, -1 }
static inline struct worker *worker_next(struct worker_iter *it)
{
	if (it->left < 0)
		it->left = __atomic_load_n(&nworkers_started, __ATOMIC_ACQUIRE);
	while (it->left > 0 && it->i < WORKERS_MAX) {
		struct worker *w = __atomic_load_n(&workers[it->i++], __ATOMIC_ACQUIRE);
		if (w) {
			it->left--;
			return w;
		}
	}
	return NULL;
}

/* The coroutine running main(). */
extern struct co *co_main;

/* After fork, in the child: the calling coroutine is all there is. */
void worker_atfork_child(void);

/* Monotonic clock in nanoseconds. */
int64_t now_ns(void);

/* Create a coroutine that runs fn(arg) once co_start() has published it
 * (the creator fills in what others may read first: the program's
 * pthread_t, the name). stack_size 0 means the default. user_stack/
 * user_size: a stack supplied by the program. Returns 0 or -errno. */
int co_create(struct co **out, void *(*fn)(void *), void *arg, size_t stack_size,
	      void *user_stack, size_t user_size, int detached);
/* Make it runnable; it starts on the creator's worker. From here on another
 * worker may run it, and a detached one may end and be freed. */
void co_start(struct co *co);

/* Is anything besides the caller waiting to run on w (queued, new, or
 * woken from another thread)? */
static inline int co_others_runnable(struct worker *w)
{
	return !sq_empty(&w->runq) || __atomic_load_n(&w->nfresh, __ATOMIC_RELAXED) ||
	       __atomic_load_n(&w->remote_pending, __ATOMIC_RELAXED);
}

/* End the running coroutine with retval. Never returns. */
void co_exit(void *retval) __attribute__((noreturn));

/* See the wait protocol above. co_park also returns -EINTR when a signal
 * handler interrupted the wait (co_interrupt); co_intr_sig() then names the
 * signal. Joins never are interrupted, like pthread_join. */
int co_park(enum park_reason why, int64_t deadline);
static inline int co_intr_sig(struct co *co) { return co->intr_sig; }

/* The "signal" co_interrupt uses for a cancellation request. */
#define CO_SIG_CANCEL (-1)

/* From a signal handler on co's worker: interrupt co's wait, if it is in an
 * interruptible one, the way the kernel interrupts a blocked thread's system
 * call. Async-signal-safe; the scheduler does the rest at its next pass. */
void co_interrupt(struct co *co, int sig);
void co_wake(struct co *co);

/* co_wake for callers holding a spin lock: workers to wake are collected
 * in k, and kicks_flush(k) wakes them once the lock is released. */
struct kicks {
	struct worker *w[8];
	int n;
};
void co_wake_deferred(struct co *co, struct kicks *k);
/* Wake worker w if it waits in the poller (signal-safe). */
void worker_kick(struct worker *w);
void kicks_flush(struct kicks *k);

/* Let every other runnable coroutine run once. */
void co_yield(void);

/* Is this address one of our live coroutines? */
struct co *co_lookup(pthread_t t);

/* Release a joined/detached dead coroutine's object. */
void co_destroy(struct co *co);

/* Take an ended joinable coroutine for collection (1), or learn that it is
 * not one (0: running, detached, or already taken). */
int co_claim(struct co *co);

/* pthread_detach: 0, or -EINVAL when it is detached or taken already. An
 * ended coroutine is freed on the spot. */
int co_detach(struct co *co);

/* Live coroutines in the process, all workers, and the most at once. */
extern int co_live;
extern unsigned co_peak_live;

/* A coroutine's start routine as a backtrace names it: "sym (file)", or
 * "file+0xoffset" for a function the file does not export; "main()". */
void co_routine_name(const struct co *co, char *buf, size_t n);

/* May the running coroutine of w block its kernel thread for real? Yes when
 * it is the only live coroutine in the process and nothing is pending for
 * its worker: nobody else needs the worker while it blocks. */
static inline int co_may_block(struct worker *w)
{
	return (__atomic_load_n(&co_live, __ATOMIC_RELAXED) == 1 && !w->remote_pending) ||
	       w->cur->sig_async;
}

/* 1 from start-up until the first coroutine is created or main() is asked
 * to cancel itself: main() is then the only flow the process has ever had,
 * nothing can be pending for it, and every hook whose answer for a
 * coroutine alone is "the real call" may make that call at once
 * (REAL_WHILE_UNTHREADED, shim/shim.h). Once cleared it stays cleared. */
extern int co_never_threaded;

/* Signals (the policy is shim/signal.c's). */
extern uint64_t sig_proc_pending;         /* pending for the process, not yet
					     taken by a coroutine */
extern void (*co_sig_deliver)(struct co *); /* run what is deliverable */
extern void (*co_sig_drop)(struct co *);    /* forget what is pending for it */
#define SIGBIT(sig) (1ull << ((sig) - 1))

/* Has the running coroutine co a pending signal it does not block? */
static inline int co_sig_deliverable(struct co *co)
{
	return !co->sig_hold && ((__atomic_load_n(&co->sigpend, __ATOMIC_SEQ_CST) |
		 __atomic_load_n(&sig_proc_pending, __ATOMIC_SEQ_CST)) & ~co->sigmask) != 0;
}

/* The one check after a wait or a mask change: run the handlers of what
 * is deliverable to the running coroutine co, if anything is. */
static inline void co_sig_run(struct co *co)
{
	if (__builtin_expect(co_sig_deliverable(co), 0) && co_sig_deliver)
		co_sig_deliver(co);
}

/* The running coroutine's mask becomes m: the kernel's too, and the
 * counts behind the worker's idle mask. */
void co_set_sigmask(struct co *co, uint64_t m);
/* What worker w blocks while it waits in the poller. */
uint64_t sig_idle_mask(struct worker *w);
/* The same when the kernel's mask already is (or is about to be) m. */
void co_note_sigmask(struct co *co, uint64_t m);
/* The coroutines started on w, for the signal code, from w's own thread
 * only (and not while w->list_busy): call fn on each until it returns
 * nonzero; that one is returned. */
struct co *co_each_here(struct worker *w, int (*fn)(struct co *, void *), void *arg);
/* Does some coroutine of w leave sig open (a racy look, from anywhere)? */
int sig_open_on(struct worker *w, int sig);
extern void (*co_sig_inbox)(struct worker *);

/* The signal lock: pending signals, waiters for signals, the list of
 * coroutines. A signal handler takes it too, so a thread that holds it
 * says so (w->sig_locked): a handler that finds its own thread holding it
 * queues the arrival instead (w->sigring), and sig_unlock hands what was
 * queued to co_sig_drain. Callers make no library call under it. */
void sig_lock(struct worker *w);
void sig_unlock(struct worker *w);
extern void (*co_sig_drain)(struct worker *);

/* Hooks the owner of the runtime (preload/) sets. */
extern void (*co_on_last_exit)(void);   /* last coroutine ended: exit(0) */
extern void (*co_on_exit)(struct co *); /* a coroutine is ending, on its stack */

/* Timers (timer.c). */
void timer_add(struct worker *w, struct co *co);
void timer_del(struct worker *w, struct co *co);
/* Wake every coroutine whose deadline has passed; returns the ns until the
 * next deadline, or -1 if none. */
int64_t timer_run(struct worker *w, int64_t now);

#endif
