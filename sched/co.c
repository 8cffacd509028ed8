/* The coroutine's life: creation, start, the end through the reaper,
 * join and detach bookkeeping, and recognising our pthread_t.
 *
 * A coroutine object carries a magic number and, in its third word, its own
 * address mixed with a constant: glibc's pthread_t has its plain address
 * there, so a real thread is never mistaken for one of ours. */
#include <dlfcn.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <stdlib.h>

#include "cls/tls.h"
#include "preload/log.h"
#include "sched/monitor.h"
#include "sched/netpoll.h"
#include "sched/sched_int.h"
#include "sched/sys.h"
#include "sched/worker.h"

static void co_entry(void *p)
{
	struct co *co = p;
	struct worker *w = worker_tls;
	tls_co_start();
	sig_co_start(w, co);
	sig_resume(w, co);
	errno = 0;
	h_errno = 0;
	/* one sent to it before it ran: the kernel would deliver it first */
	co_sig_run(co);
	LOG(LOG_SCHED, "start co%u fn %p", co->id, (void *)co->fn);
	co_exit(co->fn(co->arg));
}

int co_create(struct co **out, void *(*fn)(void *), void *arg, size_t stack_size,
	      void *user_stack, size_t user_size, int detached)
{
	struct worker *self = worker_tls;
	/* Make the poller while descriptors are likely to be left: parking
	 * needs it. Without one (EMFILE) the worker still runs, looking for
	 * work every millisecond (schedule), as a native creation would not
	 * fail for want of a descriptor. */
	netpoll_worker_init(self);
	__atomic_store_n(&co_never_threaded, 0, __ATOMIC_RELAXED);
	monitor_start();
	struct co *co = calloc(1, sizeof *co);
	if (!co)
		return -EAGAIN;
	if (user_stack) {
		co->stack = (struct stack){ .base = user_stack, .size = user_size, .user = 1 };
	} else {
		int r = stack_alloc(&self->stacks, &co->stack,
				    stack_size ? stack_size : stack_default_size());
		if (r < 0) {
			free(co);
			return r;
		}
	}
	struct worker *w = self;
	if (nworkers_wanted > 1 && __atomic_load_n(&nworkers_started, __ATOMIC_RELAXED) < nworkers_wanted)
		start_workers();
	co->magic = CO_MAGIC;
	co->key = (uintptr_t)co ^ co_key_mix;
	co->id = __atomic_add_fetch(&co_next_id, 1, __ATOMIC_RELAXED);
	co->w = w;
	co->fn = fn;
	co->arg = arg;
	co->fate = detached ? FATE_DETACHED : FATE_JOINABLE;
	co->heap_idx = -1;
	co->sigmask = self->cur->sigmask; /* a new thread inherits its creator's mask */
	char *top = (char *)co->stack.base + co->stack.size;
	if (tls_co_make(co, w, &top) < 0) {
		if (!user_stack)
			stack_free(&self->stacks, &co->stack);
		free(co);
		return -EAGAIN;
	}
	co_ctx_make(&co->ctx, top, co_entry, co);
	co->state = CO_RUNNABLE;
	__atomic_add_fetch(&w->nlive, 1, __ATOMIC_RELAXED);
	unsigned live = __atomic_add_fetch(&co_live, 1, __ATOMIC_SEQ_CST);
	self->stats.created++;
	unsigned peak = __atomic_load_n(&co_peak_live, __ATOMIC_RELAXED);
	while (live > peak && !__atomic_compare_exchange_n(&co_peak_live, &peak, live, 1,
							    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	LOG(LOG_SCHED, "create co%u on w%d fn %p stack %lu%s", co->id, w->id, (void *)fn,
	    (unsigned long)co->stack.size, user_stack ? " (user)" : "");
	*out = co;
	return 0;
}

unsigned co_peak_live;

void co_routine_name(const struct co *co, char *buf, size_t n)
{
	Dl_info di;
	void *fn = (void *)co->fn;
	if (co == co_main) {
		snprintf(buf, n, "main()");
	} else if (!fn || !dladdr(fn, &di) || !di.dli_fname) {
		snprintf(buf, n, "%p", fn);
	} else {
		const char *file = strrchr(di.dli_fname, '/');
		file = file ? file + 1 : di.dli_fname;
		if (di.dli_sname)
			snprintf(buf, n, "%s (%s)", di.dli_sname, file);
		else
			snprintf(buf, n, "%s+0x%lx", file,
				 (unsigned long)((char *)fn - (char *)di.dli_fbase));
	}
}

void co_start(struct co *co)
{
	fresh_push(co->w, co);
	if (nworkers_wanted > 1)
		announce_fresh(co->w);
}

/* An ending coroutine cannot announce its end itself: once it has, a
 * joiner on another worker may free its object, or free the stack the
 * program supplied, while this worker still runs on it. So it switches to
 * the worker's reaper, a small coroutine of the runtime's own, which
 * announces the end from its own stack and then runs the scheduler. */
static void reaper_main(void *arg)
{
	struct worker *w = arg;
	for (;;) {
		struct co *dead = w->exiting;
		w->exiting = NULL;
		int pinned = dead->tls_pinned;
		tls_co_free(dead);
		if (dead != w->main_co && !pinned)
			stack_free(&w->stacks, &dead->stack);
		int fate = FATE_JOINABLE;
		int detached = !__atomic_compare_exchange_n(&dead->fate, &fate, FATE_EXITED, 0,
							    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		__atomic_store_n(&dead->exited, 1, __ATOMIC_SEQ_CST);
		struct co *joiner = __atomic_load_n(&dead->joiner, __ATOMIC_SEQ_CST);
		if (joiner)
			co_wake(joiner);
		if (detached)
			co_destroy(dead);
		/* never queued: returns only when the next ending coroutine
		 * switches here */
		w->reaper->state = CO_PARKED;
		schedule(w);
	}
}

static struct co *reaper_for(struct worker *w)
{
	if (w->reaper)
		return w->reaper;
	struct co *r = calloc(1, sizeof *r);
	if (!r || stack_alloc(&w->stacks, &r->stack, 256 * 1024) < 0)
		abort(); /* cannot end a thread cleanly without it */
	r->w = w;
	r->heap_idx = -1;
	r->reason = PARK_IDLE;
	co_ctx_make(&r->ctx, (char *)r->stack.base + r->stack.size, reaper_main, w);
	w->reaper = r;
	return r;
}

void co_exit(void *retval)
{
	struct worker *w = worker_tls;
	struct co *self = w->cur;

	LOG(LOG_SCHED, "exit co%u", self->id);
	/* as a thread ends in glibc: thread_local destructors, then keys */
	tls_co_exit();
	if (co_on_exit)
		co_on_exit(self);
	sig_co_end(w, self);
	self->retval = retval;
	__atomic_sub_fetch(&w->nlive, 1, __ATOMIC_RELAXED);
	if (__atomic_sub_fetch(&co_live, 1, __ATOMIC_SEQ_CST) == 0 && co_on_last_exit)
		co_on_last_exit();
	__atomic_store_n(&self->state, CO_DEAD, __ATOMIC_SEQ_CST);
	w->exiting = self;
	switch_to(w, self, reaper_for(w));
	abort(); /* a dead coroutine is never scheduled again */
}

int co_claim(struct co *co)
{
	int fate = FATE_EXITED;
	return __atomic_compare_exchange_n(&co->fate, &fate, FATE_CLAIMED, 0, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

int co_detach(struct co *co)
{
	int fate = FATE_JOINABLE;
	if (__atomic_compare_exchange_n(&co->fate, &fate, FATE_DETACHED, 0, __ATOMIC_SEQ_CST,
					__ATOMIC_SEQ_CST))
		return 0;
	if (fate == FATE_EXITED && co_claim(co)) {
		co_destroy(co);
		return 0;
	}
	return -EINVAL;
}

struct co *co_lookup(pthread_t t)
{
	if (co_main && t == co_main->native)
		return co_main;
	struct co *co = (struct co *)t;
	if (!co)
		return NULL;
	if (co->magic != CO_MAGIC || co->key != ((uintptr_t)co ^ co_key_mix))
		return NULL;
	return co;
}

void co_destroy(struct co *co)
{
	co->magic = 0;
	co->key = 0;
	if (co == co_main)
		return;
	free(co->affinity);
	free(co->altstack);
	free(co);
}
