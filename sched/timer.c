/* Per-worker timers: a binary min-heap of parked coroutines ordered by
 * deadline on CLOCK_MONOTONIC, so wall-clock jumps cannot stall them. Each
 * coroutine knows its heap position, so a wake that beats the deadline
 * removes it in O(log n). */
#include <stdint.h>
#include <stdlib.h>

#include "sched/worker.h"

static void place(struct worker *w, int i, struct co *co)
{
	w->timers[i] = co;
	co->heap_idx = i;
	if (i == 0) /* for the stall monitor, which may not read the heap */
		__atomic_store_n(&w->next_due, co->deadline, __ATOMIC_RELAXED);
}

static void up(struct worker *w, int i)
{
	struct co *co = w->timers[i];
	while (i > 0) {
		int p = (i - 1) / 2;
		if (w->timers[p]->deadline <= co->deadline)
			break;
		place(w, i, w->timers[p]);
		i = p;
	}
	place(w, i, co);
}

static void down(struct worker *w, int i)
{
	struct co *co = w->timers[i];
	for (;;) {
		int c = 2 * i + 1;
		if (c >= w->ntimers)
			break;
		if (c + 1 < w->ntimers && w->timers[c + 1]->deadline < w->timers[c]->deadline)
			c++;
		if (co->deadline <= w->timers[c]->deadline)
			break;
		place(w, i, w->timers[c]);
		i = c;
	}
	place(w, i, co);
}

void timer_add(struct worker *w, struct co *co)
{
	if (w->ntimers == w->timers_cap) {
		int cap = w->timers_cap ? w->timers_cap * 2 : 64;
		struct co **t = realloc(w->timers, cap * sizeof *t);
		if (!t)
			abort(); /* a parked wait without its deadline would hang */
		w->timers = t;
		w->timers_cap = cap;
	}
	place(w, w->ntimers++, co);
	up(w, co->heap_idx);
}

void timer_del(struct worker *w, struct co *co)
{
	int i = co->heap_idx;
	if (i < 0)
		return;
	co->heap_idx = -1;
	struct co *last = w->timers[--w->ntimers];
	if (!w->ntimers)
		__atomic_store_n(&w->next_due, INT64_MAX, __ATOMIC_RELAXED);
	if (i == w->ntimers)
		return;
	place(w, i, last);
	if (i > 0 && w->timers[(i - 1) / 2]->deadline > last->deadline)
		up(w, i);
	else
		down(w, i);
}

int64_t timer_run(struct worker *w, int64_t now)
{
	while (w->ntimers > 0) {
		struct co *co = w->timers[0];
		if (co->deadline > now)
			return co->deadline - now;
		timer_del(w, co);
		co->timed_out = 1;
		co_wake(co);
	}
	return -1;
}
