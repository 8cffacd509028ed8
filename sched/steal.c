/* Balance: an idle worker takes coroutines that have waited a millisecond
 * or more in a busy worker's fresh queue (see worker.h, "Placement").
 * fresh_gen counts creations; steal_watcher is the worker that has
 * promised to look at the fresh queues again soon (-1: none), so a creator
 * kicks an idle worker only when nobody watches. */
#include <errno.h>
#include <stdlib.h>

#include "preload/log.h"
#include "sched/netpoll.h"
#include "sched/sched_int.h"
#include "sched/sys.h"
#include "sched/worker.h"

#define STEAL_AGE_NS 1000000
static unsigned fresh_gen;
static int steal_watcher = -1;

/* Take coroutines that waited too long in other workers' fresh queues, at
 * most half of each queue. *wait: ns until the oldest one left becomes
 * eligible, or -1 when none is waiting. Returns how many it took. */
int steal(struct worker *w, int64_t *wait)
{
	int64_t now = now_ns();
	int got = 0;
	*wait = -1;
	for (int i = 0; i < nworkers_wanted; i++) {
		struct worker *v = __atomic_load_n(&workers[i], __ATOMIC_ACQUIRE);
		if (!v || v == w || !__atomic_load_n(&v->nfresh, __ATOMIC_RELAXED))
			continue;
		int before = got;
		spin_lock(&v->fresh_lock);
		for (int take = (v->nfresh + 1) / 2; take > 0 && v->fresh.head; take--) {
			struct co *co = CO_OF(v->fresh.head);
			int64_t age = now - co->fresh_at;
			if (age < STEAL_AGE_NS) {
				if (*wait < 0 || STEAL_AGE_NS - age < *wait)
					*wait = STEAL_AGE_NS - age;
				break;
			}
			sq_pop(&v->fresh);
			v->nfresh--;
			co->w = w;
			__atomic_sub_fetch(&v->nlive, 1, __ATOMIC_RELAXED);
			__atomic_add_fetch(&w->nlive, 1, __ATOMIC_RELAXED);
			runq_push(w, co);
			got++;
		}
		spin_unlock(&v->fresh_lock);
		if (got > before)
			LOG(LOG_SCHED | LOG_STALL, "worker %d took %d new coroutine(s) that waited a "
			    "millisecond or more on busy worker %d", w->id, got - before, v->id);
	}
	return got;
}

/* Before an idle worker sleeps: steal, or keep watching the fresh queues
 * while creations go on. Returns 1 when it found work; else *tmo may be
 * shortened. */
int idle_balance(struct worker *w, int64_t *tmo)
{
	int64_t wait;
	if (steal(w, &wait))
		return 1;
	if (wait >= 0) {
		__atomic_store_n(&steal_watcher, w->id, __ATOMIC_SEQ_CST);
	} else if (__atomic_load_n(&steal_watcher, __ATOMIC_SEQ_CST) == w->id) {
		unsigned gen = __atomic_load_n(&fresh_gen, __ATOMIC_SEQ_CST);
		if (gen != w->seen_gen) {
			/* creations go on: look again in a while */
			w->seen_gen = gen;
			wait = STEAL_AGE_NS;
		} else {
			__atomic_store_n(&steal_watcher, -1, __ATOMIC_SEQ_CST);
			/* a creator that saw us watching did not kick anyone */
			if (__atomic_load_n(&fresh_gen, __ATOMIC_SEQ_CST) != gen)
				return 1;
		}
	}
	if (wait >= 0 && (*tmo < 0 || wait < *tmo))
		*tmo = wait;
	return 0;
}

/* A creation is news for an idle worker, unless one watches already. */
void announce_fresh(struct worker *self)
{
	__atomic_add_fetch(&fresh_gen, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&steal_watcher, __ATOMIC_SEQ_CST) >= 0)
		return;
	for (int i = 0; i < nworkers_wanted; i++) {
		struct worker *v = __atomic_load_n(&workers[i], __ATOMIC_ACQUIRE);
		if (!v || v == self || !__atomic_load_n(&v->in_poll, __ATOMIC_SEQ_CST))
			continue;
		int none = -1;
		if (__atomic_compare_exchange_n(&steal_watcher, &none, v->id, 0, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			netpoll_kick(v);
		return;
	}
}

void steal_atfork_child(void)
{
	steal_watcher = -1;
}
