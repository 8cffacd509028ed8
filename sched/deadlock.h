/* The deadlock report: when every thread waits for something only
 * another thread can end, say so once, with who waits on what.
 *
 * A wait that only a thread can end is a park for a join or a sync wait
 * (mutex, condition variable, rwlock, semaphore, barrier, once, futex,
 * static-init guard) without a deadline; each worker counts its
 * coroutines in one (w->stuck). The monitor (sched/monitor.c), when every
 * worker waits in its poller, no timer is set anywhere and the counts add
 * up to every live coroutine, looks again after a pause in which nothing
 * ran: then it asks each worker, on its own thread, to describe its
 * coroutines, and prints the report. Descriptor waits, sleeps, pool calls
 * and signal waits can end from outside, so they never count; nor is a
 * report made while the kernel keeps a timer for the process (alarm,
 * setitimer, timer_create), whose signal handler might end a wait.
 *
 * A partial deadlock, a cycle of mutex waits while other threads still
 * run: once a second, while some coroutines are stuck, the monitor asks
 * the workers for their mutex waits of a second or more without a
 * deadline, with each mutex's holder; a waiter, holder, holder's holder
 * ... chain that comes back to the waiter is reported once. */
#ifndef SCHED_DEADLOCK_H
#define SCHED_DEADLOCK_H

#include "sched/worker.h"

enum wait_kind {
	WAIT_NONE, WAIT_MUTEX, WAIT_COND, WAIT_RWLOCK, WAIT_SEM, WAIT_BARRIER, WAIT_ONCE,
	WAIT_FUTEX, WAIT_GUARD, WAIT_JOIN,
};

/* The id a coroutine writes into the objects it holds (a mutex's owner):
 * this bit and its number; a kernel thread writes its tid, below it. */
#define CO_SYNC_ID 0x40000000

/* The monitor's seconds, counted while it looks (for how long a lock
 * wait has lasted, without a clock read per wait). */
extern unsigned deadlock_epoch;

/* Before a sync wait: what co waits on (shown in the report), and since
 * when. */
static inline void co_waits_on(struct co *co, enum wait_kind kind, const void *obj)
{
	if (co) {
		co->wait_kind = kind;
		co->wait_obj = obj;
		co->wait_since = __atomic_load_n(&deadlock_epoch, __ATOMIC_RELAXED);
	}
}

/* COEXEC_DEADLOCK=abort: abort after the report (0: keep waiting). */
extern int deadlock_abort;
/* Reports made, and how many of them were partial (--stats). */
extern unsigned deadlock_reports, deadlock_partials;

/* The monitor, every worker in its poller: a report if it is time. */
void deadlock_check(void);
/* The monitor, at each look (now: monotonic ns): partial deadlocks, a
 * cycle of mutex waits of a second or more while other threads run. */
void deadlock_tick(int64_t now);

/* Workers: describe your coroutines when asked (checked each pass). */
extern unsigned deadlock_asked;
void deadlock_describe(struct worker *w);

#endif
