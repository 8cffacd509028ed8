/* Run queues and wakes: a worker's run queue and fresh queue, the remote
 * queue other threads wake coroutines into, kicks of a sleeping worker, and
 * the interrupt list signal handlers push to.
 *
 * Cross-thread rules. A coroutine's run queue belongs to its worker and is
 * touched by that worker only. Other threads reach a worker through its
 * remote queue (a spin lock, and a kick of its eventfd when it waits in the
 * poller) and its interrupt list (lock-free, for signal handlers). A wake
 * can race with the coroutine going to sleep: co_wake leaves wake_pending
 * behind when the coroutine is not parked yet, and co_park returns at once
 * when it finds it. */
#include <errno.h>
#include <stdlib.h>

#include "preload/log.h"
#include "sched/netpoll.h"
#include "sched/sched_int.h"
#include "sched/sys.h"
#include "sched/worker.h"

void runq_push(struct worker *w, struct co *co)
{
	co->seq = ++w->seq;
	sq_push(&w->runq, &co->qlink);
}

static struct co *runq_pop(struct worker *w)
{
	struct sq_link *l = sq_pop(&w->runq);
	return l ? CO_OF(l) : NULL;
}

/* The next coroutine to run: the run queue's head or the fresh queue's,
 * whichever was queued first. */
struct co *next_runnable(struct worker *w)
{
	struct co *r = w->runq.head ? CO_OF(w->runq.head) : NULL;
	if (__atomic_load_n(&w->nfresh, __ATOMIC_RELAXED)) {
		spin_lock(&w->fresh_lock);
		struct co *f = w->fresh.head ? CO_OF(w->fresh.head) : NULL;
		if (f && (!r || f->seq < r->seq)) {
			sq_pop(&w->fresh);
			w->nfresh--;
			spin_unlock(&w->fresh_lock);
			return f;
		}
		spin_unlock(&w->fresh_lock);
	}
	return runq_pop(w);
}

void fresh_push(struct worker *w, struct co *co)
{
	co->fresh_at = now_ns();
	spin_lock(&w->fresh_lock);
	co->seq = ++w->seq;
	sq_push(&w->fresh, &co->qlink);
	w->nfresh++;
	spin_unlock(&w->fresh_lock);
}

void drain_remote(struct worker *w)
{
	spin_lock(&w->remote_lock);
	struct sq_link *l = sq_take_all(&w->remote);
	__atomic_store_n(&w->remote_pending, 0, __ATOMIC_SEQ_CST);
	spin_unlock(&w->remote_lock);
	while (l) {
		struct sq_link *next = l->next;
		runq_push(w, CO_OF(l));
		l = next;
	}
}

/* Wake a worker that may be blocked in the poller. */
void kick(struct worker *w)
{
	if (__atomic_load_n(&w->in_poll, __ATOMIC_SEQ_CST))
		netpoll_kick(w);
}

/* Queue a runnable coroutine on its worker, from any thread. With k, the
 * worker to wake is noted there instead of woken now: callers that hold a
 * spin lock make no system call under it (a descheduled holder would leave
 * the other workers spinning). */
void make_runnable(struct co *co, struct kicks *k)
{
	struct worker *w = co->w;
	if (w == worker_tls) {
		runq_push(w, co);
		return;
	}
	spin_lock(&w->remote_lock);
	sq_push(&w->remote, &co->qlink);
	__atomic_store_n(&w->remote_pending, 1, __ATOMIC_SEQ_CST);
	spin_unlock(&w->remote_lock);
	if (!k) {
		kick(w);
		return;
	}
	for (int i = 0; i < k->n; i++)
		if (k->w[i] == w)
			return;
	if (k->n < (int)(sizeof k->w / sizeof k->w[0]))
		k->w[k->n++] = w;
	else
		kick(w); /* rare: more distinct workers than slots */
}

void worker_kick(struct worker *w)
{
	kick(w);
}

void kicks_flush(struct kicks *k)
{
	for (int i = 0; i < k->n; i++)
		kick(k->w[i]);
	k->n = 0;
}

static int try_wake(struct co *co, struct kicks *k)
{
	enum co_state parked = CO_PARKED;
	if (!__atomic_compare_exchange_n(&co->state, &parked, CO_RUNNABLE, 0,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return 0;
	make_runnable(co, k);
	return 1;
}

void co_wake_deferred(struct co *co, struct kicks *k)
{
	if (try_wake(co, k))
		return;
	if (__atomic_load_n(&co->state, __ATOMIC_SEQ_CST) == CO_DEAD)
		return;
	/* Not parked (yet): leave word for its next park, then try again in
	 * case it parked meanwhile. */
	__atomic_store_n(&co->wake_pending, 1, __ATOMIC_SEQ_CST);
	try_wake(co, k);
}

void co_wake(struct co *co)
{
	co_wake_deferred(co, NULL);
}

void co_interrupt(struct co *co, int sig)
{
	struct worker *w = co->w;
	if (!w || __atomic_exchange_n(&co->intr_queued, 1, __ATOMIC_ACQ_REL))
		return;
	co->intr_sig = sig;
	struct co *head = __atomic_load_n(&w->intr_list, __ATOMIC_RELAXED);
	do
		co->intr_next = head;
	while (!__atomic_compare_exchange_n(&w->intr_list, &head, co, 1, __ATOMIC_SEQ_CST,
					    __ATOMIC_RELAXED));
	if (w != worker_tls)
		kick(w);
}

void deliver_interrupts(struct worker *w)
{
	struct co *co = __atomic_exchange_n(&w->intr_list, NULL, __ATOMIC_ACQUIRE);
	while (co) {
		struct co *next = co->intr_next;
		/* a wait no signal ends is woken too, to run the handler
		 * (co_park) */
		int sig = co->intr_sig;
		/* still a reason? a signal may have been run or taken since */
		int still = sig == CO_SIG_CANCEL ? co->cancel_pending
			    : co_sig_deliverable(co) || __atomic_load_n(&co->sigwait_got, __ATOMIC_SEQ_CST);
		if (co->state == CO_PARKED && still &&
		    (park_interruptible(co->reason) ||
		     (sig > 0 && co->reason != PARK_IDLE && co->reason != PARK_YIELD))) {
			LOG(LOG_SIGNAL, "signal %d interrupts co%u's %s", co->intr_sig, co->id,
			    park_reason_name[co->reason]);
			co_wake(co);
		} else {
			co->intr_sig = 0;
		}
		__atomic_store_n(&co->intr_queued, 0, __ATOMIC_RELEASE);
		co = next;
	}
}
