/* Coroutines and workers; see worker.h for the model and the wait protocol. */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "preload/log.h"
#include "sched/netpoll.h"
#include "sched/sys.h"
#include "sched/worker.h"

__thread struct worker *worker_tls;
int co_live_total;
void (*co_on_last_exit)(void);
void (*co_on_exit)(struct co *);

static uint32_t next_id;
static const uintptr_t key_mix = 0x5bd1e9955bd1e995ull;

const char *const park_reason_name[PARK__COUNT] = {
	[PARK_YIELD] = "yield",     [PARK_READ] = "read",   [PARK_WRITE] = "write",
	[PARK_CONNECT] = "connect", [PARK_ACCEPT] = "accept", [PARK_POLL] = "poll",
	[PARK_SLEEP] = "sleep",     [PARK_JOIN] = "join",   [PARK_EXIT] = "exit",
};

/* A coroutine object carries a magic number and, in its third word, its own
 * address mixed with a constant: glibc's pthread_t has its plain address
 * there, so a real thread is never mistaken for one of ours. */

int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void runq_push(struct worker *w, struct co *co)
{
	co->next = NULL;
	if (w->run_tail)
		w->run_tail->next = co;
	else
		w->run_head = co;
	w->run_tail = co;
}

static struct co *runq_pop(struct worker *w)
{
	struct co *co = w->run_head;
	if (co) {
		w->run_head = co->next;
		if (!w->run_head)
			w->run_tail = NULL;
	}
	return co;
}

static void drain_remote(struct worker *w)
{
	spin_lock(&w->remote_lock);
	struct co *co = w->remote_head;
	w->remote_head = NULL;
	__atomic_store_n(&w->remote_pending, 0, __ATOMIC_RELAXED);
	spin_unlock(&w->remote_lock);
	while (co) {
		struct co *next = co->next;
		runq_push(w, co);
		co = next;
	}
}

void co_wake(struct co *co)
{
	enum co_state parked = CO_PARKED;
	if (!__atomic_compare_exchange_n(&co->state, &parked, CO_RUNNABLE, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	struct worker *w = co->w;
	if (w == worker_tls) {
		runq_push(w, co);
		return;
	}
	spin_lock(&w->remote_lock);
	co->next = w->remote_head;
	w->remote_head = co;
	__atomic_store_n(&w->remote_pending, 1, __ATOMIC_RELAXED);
	spin_unlock(&w->remote_lock);
	netpoll_kick();
}

/* Called on the coroutine that has just been switched to: free what the
 * previous one left behind when it died. */
static void after_switch(struct worker *w)
{
	struct co *dead = w->reap;
	if (!dead)
		return;
	w->reap = NULL;
	stack_free(&w->stacks, &dead->stack);
	if (dead->detached)
		co_destroy(dead);
}

static void __attribute__((noreturn, noinline)) overflowed(struct co *co)
{
	coexec_say("stack overflow in thread co%u (start routine %p, stack %lu bytes): "
		   "raise COEXEC_STACK_SIZE or the thread's pthread_attr_setstacksize",
		   co->id, (void *)co->fn, (unsigned long)co->stack.size);
	abort();
}

static void switch_to(struct worker *w, struct co *from, struct co *to)
{
	if (__builtin_expect(!stack_intact(&from->stack), 0))
		overflowed(from);
	w->cur = to;
	to->state = CO_RUNNING;
	w->stats.switches++;
	from->saved_errno = errno;
	from->saved_h_errno = h_errno;
	co_switch(&from->ctx, &to->ctx);
	errno = from->saved_errno;
	h_errno = from->saved_h_errno;
	after_switch(w);
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
	while (!__atomic_compare_exchange_n(&w->intr_list, &head, co, 1, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED));
}

static int interruptible(enum park_reason why)
{
	return why != PARK_JOIN && why != PARK_YIELD && why != PARK_EXIT;
}

static void deliver_interrupts(struct worker *w)
{
	struct co *co = __atomic_exchange_n(&w->intr_list, NULL, __ATOMIC_ACQUIRE);
	while (co) {
		struct co *next = co->intr_next;
		if (co->state == CO_PARKED && interruptible(co->reason)) {
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

/* Run something else until the current coroutine is runnable again (or
 * forever, for a dead one). */
static void schedule(struct worker *w)
{
	struct co *self = w->cur;

	for (;;) {
		if (__atomic_load_n(&w->intr_list, __ATOMIC_RELAXED))
			deliver_interrupts(w);
		if (__atomic_load_n(&w->remote_pending, __ATOMIC_RELAXED))
			drain_remote(w);
		if (w->ntimers && w->timers[0]->deadline <= now_ns())
			timer_run(w, now_ns());
		/* Under a steady stream of runnable coroutines, still look at
		 * descriptors now and then so I/O is not starved. */
		if (w->run_head && ++w->since_poll >= 64) {
			netpoll_wait(w, 0);
			w->since_poll = 0;
		}
		struct co *next = runq_pop(w);
		if (next) {
			if (next == self) {
				self->state = CO_RUNNING;
				return;
			}
			switch_to(w, self, next);
			return;
		}
		int64_t tmo = w->ntimers ? timer_run(w, now_ns()) : -1;
		if (w->run_head)
			continue;
		w->in_poll = 1;
		netpoll_wait(w, tmo);
		w->in_poll = 0;
		w->since_poll = 0;
	}
}

int co_park(enum park_reason why, int64_t deadline)
{
	struct worker *w = worker_tls;
	struct co *self = w->cur;

	self->reason = why;
	self->timed_out = 0;
	self->intr_sig = 0;
	w->stats.parks[why]++;
	__atomic_store_n(&self->state, CO_PARKED, __ATOMIC_RELEASE);
	if (deadline >= 0) {
		self->deadline = deadline;
		timer_add(w, self);
	}
	LOG(LOG_SCHED, "park %s%s", park_reason_name[why], deadline >= 0 ? " (timed)" : "");
	schedule(w);
	if (self->heap_idx >= 0)
		timer_del(w, self);
	LOG(LOG_SCHED, "unpark %s%s", park_reason_name[why],
	    self->intr_sig ? " interrupted" : self->timed_out ? " timeout" : "");
	if (self->intr_sig)
		return -EINTR;
	return self->timed_out ? -ETIMEDOUT : 0;
}

void co_yield(void)
{
	struct worker *w = worker_tls;
	struct co *self = w->cur;

	w->stats.parks[PARK_YIELD]++;
	self->state = CO_RUNNABLE;
	runq_push(w, self);
	schedule(w);
}

static void co_entry(void *p)
{
	struct co *co = p;
	after_switch(co->w);
	errno = 0;
	h_errno = 0;
	LOG(LOG_SCHED, "start co%u fn %p", co->id, (void *)co->fn);
	co_exit(co->fn(co->arg));
}

int co_create(struct co **out, void *(*fn)(void *), void *arg, size_t stack_size,
	      void *user_stack, size_t user_size, int detached)
{
	struct worker *w = worker_tls;
	struct co *co = calloc(1, sizeof *co);
	if (!co)
		return -EAGAIN;
	if (user_stack) {
		co->stack = (struct stack){ .base = user_stack, .size = user_size, .user = 1 };
	} else {
		int r = stack_alloc(&w->stacks, &co->stack, stack_size ? stack_size : stack_default_size());
		if (r < 0) {
			free(co);
			return r;
		}
	}
	co->magic = CO_MAGIC;
	co->key = (uintptr_t)co ^ key_mix;
	co->id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
	co->w = w;
	co->fn = fn;
	co->arg = arg;
	co->detached = detached;
	co->heap_idx = -1;
	co_ctx_make(&co->ctx, (char *)co->stack.base + co->stack.size, co_entry, co);
	co->state = CO_RUNNABLE;
	w->nlive++;
	__atomic_add_fetch(&co_live_total, 1, __ATOMIC_RELAXED);
	w->stats.created++;
	if ((unsigned)w->nlive > w->stats.peak_live)
		w->stats.peak_live = w->nlive;
	runq_push(w, co);
	LOG(LOG_SCHED, "create co%u fn %p stack %lu%s", co->id, (void *)fn,
	    (unsigned long)co->stack.size, user_stack ? " (user)" : "");
	*out = co;
	return 0;
}

void co_exit(void *retval)
{
	struct worker *w = worker_tls;
	struct co *self = w->cur;

	LOG(LOG_SCHED, "exit co%u", self->id);
	if (co_on_exit)
		co_on_exit(self);
	self->retval = retval;
	self->exited = 1;
	w->nlive--;
	if (self->joiner)
		co_wake(self->joiner);
	if (__atomic_sub_fetch(&co_live_total, 1, __ATOMIC_RELAXED) == 0 && co_on_last_exit)
		co_on_last_exit();
	if (self != w->main_co)
		w->reap = self;
	self->state = CO_DEAD;
	schedule(w);
	abort(); /* a dead coroutine is never scheduled again */
}

struct co *co_lookup(pthread_t t)
{
	struct worker *w = worker_tls;
	if (w && w->main_co && t == w->main_co->native)
		return w->main_co;
	struct co *co = (struct co *)t;
	if (!co)
		return NULL;
	if (co->magic != CO_MAGIC || co->key != ((uintptr_t)co ^ key_mix))
		return NULL;
	return co;
}

void co_destroy(struct co *co)
{
	co->magic = 0;
	co->key = 0;
	if (co->w && co == co->w->main_co)
		return;
	free(co);
}

struct worker *worker_adopt(int id)
{
	struct worker *w = calloc(1, sizeof *w);
	struct co *co = calloc(1, sizeof *co);
	if (!w || !co) {
		free(w);
		free(co);
		return NULL;
	}
	w->id = id;
	co->magic = CO_MAGIC;
	co->key = (uintptr_t)co ^ key_mix;
	co->id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
	co->w = w;
	co->state = CO_RUNNING;
	co->heap_idx = -1;
	co->native = (pthread_t)sys_thread_self();
	w->main_co = co;
	w->cur = co;
	w->nlive = 1;
	w->stats.peak_live = 1;
	__atomic_add_fetch(&co_live_total, 1, __ATOMIC_RELAXED);
	worker_tls = w;
	return w;
}
