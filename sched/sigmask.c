/* The scheduler's part of signals: each coroutine's mask, the kernel mask
 * of each worker, the signal lock and the list of started coroutines.
 * What a signal does (routing, handlers, waits) is shim/signal.c's.
 *
 * Invariant: while a coroutine runs, its worker's kernel mask is the
 * coroutine's own (sig_resume applies it when one with another mask
 * resumes), so everything glibc does with "the thread's mask" (sigsetjmp,
 * posix_spawn, fork, exec, abort) sees the coroutine's. While the worker
 * waits in the poller it blocks only the signals every coroutine started
 * on it blocks (idle_mask): a process signal that one of them would take
 * can land, and the handler routes it (shim/signal.c). */
#include <signal.h>

#include "sched/list.h"
#include "sched/sched_int.h"
#include "sched/sys.h"
#include "sched/worker.h"

static int sig_lock_word;

/* sig_locked is read only by its own thread's signal handlers: a
 * compiler barrier orders it. */
void sig_lock(struct worker *w)
{
	if (w) {
		w->sig_locked++;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	}
	spin_lock(&sig_lock_word);
}

void sig_unlock(struct worker *w)
{
	spin_unlock(&sig_lock_word);
	if (w) {
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		if (--w->sig_locked == 0 && w->sigring && co_sig_drain)
			co_sig_drain(w);
	}
}

/* How many coroutines started on w block each signal. The signals a
 * coroutine blocks are few (none, mostly), so this costs next to nothing
 * per start and end; blocked_any has a bit for each count above 0. */
static void count_blocked(struct worker *w, uint64_t mask, int d)
{
	mask &= ~sig_keep_open;
	while (mask) {
		int i = __builtin_ctzll(mask);
		mask &= mask - 1;
		w->sig_blocked[i] += d;
		if (w->sig_blocked[i])
			w->blocked_any |= 1ull << i;
		else
			w->blocked_any &= ~(1ull << i);
	}
}

/* A coroutine with mask m joins (d 1) or leaves (-1) w's count. Joining
 * can only open signals of the idle mask; leaving may close some, found
 * when the worker next polls. */
static void count_co(struct worker *w, uint64_t m, int d)
{
	count_blocked(w, m, d);
	w->sig_listed += d;
	if (d > 0)
		w->idle_mask = w->sig_listed == 1 ? m & ~sig_keep_open : w->idle_mask & m;
	else if (!w->sig_listed || (w->blocked_any & ~m))
		w->idle_dirty = 1;
}

uint64_t sig_idle_mask(struct worker *w)
{
	if (__builtin_expect(w->idle_dirty, 0)) {
		uint64_t m = 0;
		if (!w->sig_listed) {
			m = ~sig_keep_open;
		} else {
			for (uint64_t b = w->blocked_any; b; b &= b - 1) {
				int i = __builtin_ctzll(b);
				if (w->sig_blocked[i] == w->sig_listed)
					m |= 1ull << i;
			}
		}
		w->idle_mask = m;
		w->idle_dirty = 0;
	}
	return w->idle_mask;
}

void co_note_sigmask(struct co *co, uint64_t m)
{
	struct worker *w = co->w;
	m &= ~sig_keep_open;
	if (co->listed && m != co->sigmask) {
		count_blocked(w, co->sigmask, -1);
		count_blocked(w, m, 1);
		w->idle_dirty = 1;
	}
	co->sigmask = m;
	if (co == w->cur)
		w->kmask = m;
}

void co_set_sigmask(struct co *co, uint64_t m)
{
	struct worker *w = co->w;
	m &= ~sig_keep_open;
	if (m != w->kmask)
		SYS4(SYS_rt_sigprocmask, SIG_SETMASK, &m, 0, 8);
	co_note_sigmask(co, m);
	w->kmask = m;
}

/* A coroutine starts on w (its first run, or main's adoption): it counts
 * towards w's idle mask and is on w's list, which only w's thread reads
 * and changes (list_busy tells its own signal handlers to keep off). */
void sig_co_start(struct worker *w, struct co *co)
{
	w->list_busy++;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	count_co(w, co->sigmask, 1);
	co->listed = 1;
	dq_push(&w->cos, &co->alllink);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	w->list_busy--;
}

void sig_co_end(struct worker *w, struct co *co)
{
	w->list_busy++;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (co->listed) {
		count_co(w, co->sigmask, -1);
		dq_remove(&w->cos, &co->alllink);
		co->listed = 0;
	}
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	w->list_busy--;
	if (__atomic_load_n(&co->sigq, __ATOMIC_SEQ_CST) && co_sig_drop) {
		sig_lock(w);
		co_sig_drop(co);
		sig_unlock(w);
	}
}

struct co *co_each_here(struct worker *w, int (*fn)(struct co *, void *), void *arg)
{
	for (struct dq_link *l = w->cos.head; l; l = l->next) {
		struct co *co = container_of(l, struct co, alllink);
		if (fn(co, arg))
			return co;
	}
	return NULL;
}

int sig_open_on(struct worker *w, int sig)
{
	return __atomic_load_n(&w->sig_blocked[sig - 1], __ATOMIC_RELAXED) <
	       __atomic_load_n(&w->sig_listed, __ATOMIC_RELAXED);
}

/* A worker's kernel thread starts (or main is adopted): what its mask is. */
void sig_worker_init(struct worker *w)
{
	uint64_t m = 0;
	SYS4(SYS_rt_sigprocmask, SIG_BLOCK, 0, &m, 8);
	w->kmask = m;
	w->idle_dirty = 1;
}

/* In a forked child: only the caller's coroutine is left. */
void sig_atfork_sched(struct worker *w, struct co *self)
{
	w->cos = (struct dq){ 0 };
	w->list_busy = 0;
	w->sig_inbox = NULL;
	sig_lock_word = 0;
	for (int i = 0; i < 64; i++)
		w->sig_blocked[i] = 0;
	w->sig_listed = 0;
	w->blocked_any = 0;
	w->idle_dirty = 1;
	w->sig_locked = 0;
	__builtin_memset(w->redeliver, 0, sizeof w->redeliver);
	self->listed = 0;
	self->sigpend = 0;
	self->sigq = NULL;
	sig_proc_pending = 0;
	if (self->magic == CO_MAGIC)
		sig_co_start(w, self);
}
