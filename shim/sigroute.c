/* Where an arriving signal goes (the rules: shim/signal.c's first
 * comment), and signals queued for one coroutine: who takes it, how the
 * taker is woken or rung, the queue of arrivals a worker's handler finds
 * it cannot route at once, and the inbox through which a worker passes a
 * process signal to another whose coroutines can take it (a worker's list
 * of coroutines is read by its own thread only). */
#include <signal.h>
#include <stdint.h>

#include "shim/shim.h"
#include "shim/signal.h"
#include "sched/pool.h"
#include "sched/sys.h"

static void doorbell(struct worker *w)
{
	if (pool_intr_sig)
		SYS(SYS_tgkill, sys_getpid(), w->tid, pool_intr_sig);
}

/* co has a signal it does not block: make it run the handler soon. */
static void notify(struct co *co, int sig)
{
	int st = __atomic_load_n(&co->state, __ATOMIC_SEQ_CST);
	if (st == CO_PARKED)
		co_interrupt(co, sig);
	else if (st == CO_RUNNING && co->w != worker_tls)
		doorbell(co->w);
	/* running here: it is the caller, or the coroutine whose hook a
	 * signal interrupted, and runs it as the hook returns; runnable: it
	 * looks as it resumes (co_park) */
}

static int is_open(struct co *co, void *arg)
{
	int sig = (int)(intptr_t)arg;
	return co->magic == CO_MAGIC && !co->exited && !(co->sigmask & SIGBIT(sig));
}

/* Give info to a waiter of sigwait that wants it (for to, when not NULL).
 * 1 if one took it. Under sig_lock. */
static int give_waiter(const siginfo_t *info, struct co *to)
{
	int sig = info->si_signo;
	for (struct sigwaiter *sw = waiters; sw; sw = sw->next) {
		if (sw->got || !(sw->set & SIGBIT(sig)) || (to && sw->co != to))
			continue;
		sw->info = *info;
		sw->got = sig;
		LOG(LOG_SIGNAL, "signal %d taken by co%u's sigwait", sig, sw->co->id);
		__atomic_store_n(&sw->co->sigwait_got, 1, __ATOMIC_SEQ_CST);
		co_interrupt(sw->co, sig);
		return 1;
	}
	return 0;
}

/* Queue info on co. Under sig_lock. */
static int queue_on(struct co *co, const siginfo_t *info)
{
	int r = enqueue((struct sigent **)&co->sigq, &co->sigpend, info);
	LOG(LOG_SIGNAL, "signal %d pending for co%u%s", info->si_signo, co->id,
	    co->sigmask & SIGBIT(info->si_signo) ? " (blocked there)" : "");
	if (r == 0 && !(co->sigmask & SIGBIT(info->si_signo)))
		notify(co, info->si_signo);
	return r;
}

int sig_send_co(struct co *co, const siginfo_t *info)
{
	struct worker *w = worker_tls;
	int r = 0;
	sig_lock(w);
	if (!give_waiter(info, co))
		r = queue_on(co, info);
	sig_unlock(w);
	return r;
}

/* A process signal none of this worker's coroutines can take: pass it to
 * a worker that has one (only a worker's own thread walks its list of
 * coroutines); it finds the coroutine (inbox_drain). 1 if passed on.
 * Under sig_lock. */
static int pass_on(struct worker *self, const siginfo_t *info, int hops)
{
	int sig = info->si_signo;
	struct worker_iter it = WORKER_ITER;
	struct worker *w;
	while ((w = worker_next(&it))) {
		if ((w == self && !self->list_busy) || !sig_open_on(w, sig))
			continue;
		struct sigent *e = ent_alloc();
		if (!e)
			return 0;
		e->info = *info;
		e->hops = hops;
		struct sigent *head = __atomic_load_n((struct sigent **)&w->sig_inbox, __ATOMIC_RELAXED);
		do
			e->next = head;
		while (!__atomic_compare_exchange_n((struct sigent **)&w->sig_inbox, &head, e, 1,
						    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
		if (w != self) {
			worker_kick(w);
			doorbell(w);
		}
		LOG(LOG_SIGNAL, "signal %d passed to worker %d, where a thread takes it", sig, w->id);
		return 1;
	}
	return 0;
}

/* On w's own thread: the signals other workers passed it. */
static void inbox_drain(struct worker *w)
{
	struct sigent *e = __atomic_exchange_n((struct sigent **)&w->sig_inbox, NULL,
					       __ATOMIC_SEQ_CST);
	struct sigent *fifo = NULL;
	while (e) { /* pushed last first */
		struct sigent *next = e->next;
		e->next = fifo;
		fifo = e;
		e = next;
	}
	sig_lock(w);
	for (e = fifo; e; e = fifo) {
		fifo = e->next;
		int sig = e->info.si_signo;
		struct co *to = w->list_busy ? NULL : co_each_here(w, is_open, (void *)(intptr_t)sig);
		if (to)
			queue_on(to, &e->info);
		else if (e->hops >= 2 || !pass_on(w, &e->info, e->hops + 1))
			enqueue(&proc_q, &sig_proc_pending, &e->info);
		ent_release(e);
	}
	sig_unlock(w);
}


/* Where an arriving signal goes (see the top of the file). here: the
 * coroutine it landed on, when it was running (else NULL); may_run: its
 * handler may run there and then. */
int route(struct worker *w, const siginfo_t *info, struct co *here, int for_thread,
		 int may_run)
{
	int sig = info->si_signo;
	int r = ROUTED;
	int thread_timer;
	struct co *maker = sig_timer_owner(info, &thread_timer);
	sig_lock(w);
	if (thread_timer) {
		/* aimed at this worker's thread id: one of its coroutines,
		 * the timer's maker first (a thread aiming at itself) */
		struct co *to = maker && maker->w == w && is_open(maker, (void *)(intptr_t)sig) ? maker
				: here && is_open(here, (void *)(intptr_t)sig) ? here
				: w->list_busy ? NULL
				: co_each_here(w, is_open, (void *)(intptr_t)sig);
		if (!to)
			to = maker && maker->w == w ? maker : here;
		if (to) {
			for_thread = 1;
			may_run = may_run && to == here;
			here = to;
		}
	}
	if (for_thread && here) {
		if (give_waiter(info, here))
			;
		else if (may_run && !(here->sigmask & SIGBIT(sig)) && !(here->sigpend & SIGBIT(sig)))
			r = RUN_HERE;
		else
			queue_on(here, info);
		sig_unlock(w);
		return r;
	}
	if (!give_waiter(info, NULL)) {
		struct co *to = NULL;
		if (co_main && co_main->listed && is_open(co_main, (void *)(intptr_t)sig))
			to = co_main;
		else if (here && is_open(here, (void *)(intptr_t)sig))
			to = here;
		else if (!w->list_busy)
			to = co_each_here(w, is_open, (void *)(intptr_t)sig);
		if (to == here && here && may_run && !(here->sigpend & SIGBIT(sig)))
			r = RUN_HERE;
		else if (to)
			queue_on(to, info);
		else if (!pass_on(w, info, 0)) {
			LOG(LOG_SIGNAL, "signal %d pending for the process: every thread blocks it", sig);
			enqueue(&proc_q, &sig_proc_pending, info);
		}
	}
	sig_unlock(w);
	return r;
}

/* Arrivals that found their own thread holding the signal lock; routed
 * when it lets go (sig_unlock). Last in, first out: rare enough. */
struct arrival {
	siginfo_t info;
	struct co *here;
	int for_thread;
};
#define NRING 8
struct ring {
	unsigned n;
	struct arrival a[NRING];
};
static struct ring rings[WORKERS_MAX];

void ring_push(struct worker *w, const siginfo_t *info, struct co *here, int for_thread)
{
	struct ring *rg = &rings[w->id];
	unsigned i = __atomic_fetch_add(&rg->n, 1, __ATOMIC_SEQ_CST);
	if (i >= NRING) {
		__atomic_fetch_sub(&rg->n, 1, __ATOMIC_SEQ_CST);
		return; /* like a standard signal already pending */
	}
	rg->a[i] = (struct arrival){ .info = *info, .here = here, .for_thread = for_thread };
	w->sigring = rg;
}

static void ring_drain(struct worker *w)
{
	struct ring *rg = &rings[w->id];
	w->sigring = NULL;
	for (;;) {
		unsigned n = __atomic_load_n(&rg->n, __ATOMIC_SEQ_CST);
		if (!n)
			return;
		struct arrival a = rg->a[n - 1];
		if (!__atomic_compare_exchange_n(&rg->n, &n, n - 1, 0, __ATOMIC_SEQ_CST,
						 __ATOMIC_SEQ_CST))
			continue;
		route(w, &a.info, a.here, a.for_thread, 0);
	}
}

void sigroute_atfork_child(void)
{
	for (int i = 0; i < WORKERS_MAX; i++)
		rings[i].n = 0;
}

__attribute__((constructor(102))) static void sigroute_init(void)
{
	co_sig_drain = ring_drain;
	co_sig_inbox = inbox_drain;
}
