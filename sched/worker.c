/* Coroutines and workers; see worker.h for the model and the wait protocol.
 *
 * Cross-thread rules. A coroutine's run queue, timers and stack cache belong
 * to its worker and are touched by that worker only. Other threads reach a
 * worker through its remote queue (a spin lock and a kick of its eventfd when
 * it is waiting in the poller) and its interrupt list (lock-free, for signal
 * handlers). A wake can race with the coroutine going to sleep: co_wake
 * leaves wake_pending behind when the coroutine is not parked yet, and
 * co_park returns at once when it finds it. Waits tolerate such spurious
 * returns; every caller rechecks its condition. */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "preload/log.h"
#include "sched/netpoll.h"
#include "sched/rtfd.h"
#include "sched/sys.h"
#include "sched/worker.h"

__thread struct worker *worker_tls;
int co_live_total;
int co_solo;
void (*co_on_last_exit)(void);
void (*co_on_exit)(struct co *);
struct co *co_main;
struct worker *workers[WORKERS_MAX];
int nworkers_started;

static int nworkers_wanted = 1;
static int (*spawn_thread)(void *(*)(void *), void *);

int worker_spawn_thread(void *(*fn)(void *), void *arg)
{
	return spawn_thread ? spawn_thread(fn, arg) : -EAGAIN;
}
static int start_lock;

/* Stealing (see worker.h). fresh_gen counts creations; steal_watcher is the
 * worker that has promised to look at the fresh queues again soon (-1:
 * none), so a creator kicks an idle worker only when nobody watches. */
#define STEAL_AGE_NS 1000000
static unsigned fresh_gen;
static int steal_watcher = -1;
static uint32_t next_id;
static const uintptr_t key_mix = 0x5bd1e9955bd1e995ull;

const char *const park_reason_name[PARK__COUNT] = {
	[PARK_YIELD] = "yield",     [PARK_READ] = "read",   [PARK_WRITE] = "write",
	[PARK_CONNECT] = "connect", [PARK_ACCEPT] = "accept", [PARK_POLL] = "poll",
	[PARK_SLEEP] = "sleep",     [PARK_JOIN] = "join",
	[PARK_IDLE] = "idle",       [PARK_SYNC] = "sync",   [PARK_SYNC_INTR] = "sync",
	[PARK_POOL] = "pool",       [PARK_POOL_INTR] = "pool",
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

#define CO_OF(l) container_of(l, struct co, qlink)

static void runq_push(struct worker *w, struct co *co)
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
static struct co *next_runnable(struct worker *w)
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

static void fresh_push(struct worker *w, struct co *co)
{
	co->fresh_at = now_ns();
	spin_lock(&w->fresh_lock);
	co->seq = ++w->seq;
	sq_push(&w->fresh, &co->qlink);
	w->nfresh++;
	spin_unlock(&w->fresh_lock);
}

/* Take coroutines that waited too long in other workers' fresh queues, at
 * most half of each queue. *wait: ns until the oldest one left becomes
 * eligible, or -1 when none is waiting. Returns how many it took. */
static int steal(struct worker *w, int64_t *wait)
{
	int64_t now = now_ns();
	int got = 0;
	*wait = -1;
	for (int i = 0; i < nworkers_wanted; i++) {
		struct worker *v = __atomic_load_n(&workers[i], __ATOMIC_ACQUIRE);
		if (!v || v == w || !__atomic_load_n(&v->nfresh, __ATOMIC_RELAXED))
			continue;
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
	}
	if (got)
		LOG(LOG_SCHED, "took %d new coroutine(s) from busy workers", got);
	return got;
}

/* Before an idle worker sleeps: steal, or keep watching the fresh queues
 * while creations go on. Returns 1 when it found work; else *tmo may be
 * shortened. */
static int idle_balance(struct worker *w, int64_t *tmo)
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

static void drain_remote(struct worker *w)
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
static void kick(struct worker *w)
{
	if (__atomic_load_n(&w->in_poll, __ATOMIC_SEQ_CST))
		netpoll_kick(w);
}

/* Queue a runnable coroutine on its worker, from any thread. With k, the
 * worker to wake is noted there instead of woken now: callers that hold a
 * spin lock make no system call under it (a descheduled holder would leave
 * the other workers spinning). */
static void make_runnable(struct co *co, struct kicks *k)
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
	from->saved_errno = *w->errno_p;
	from->saved_h_errno = *w->h_errno_p;
	co_switch(&from->ctx, &to->ctx);
	*w->errno_p = from->saved_errno;
	*w->h_errno_p = from->saved_h_errno;
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

static int interruptible(enum park_reason why)
{
	return why != PARK_JOIN && why != PARK_YIELD && why != PARK_IDLE &&
	       why != PARK_SYNC && why != PARK_POOL;
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
		if ((w->runq.head || w->nfresh) && ++w->since_poll >= 64) {
			netpoll_wait(w, 0);
			w->since_poll = 0;
		}
		struct co *next = next_runnable(w);
		if (next) {
			if (next == self) {
				self->state = CO_RUNNING;
				return;
			}
			switch_to(w, self, next);
			return;
		}
		int64_t tmo = w->ntimers ? timer_run(w, now_ns()) : -1;
		if (w->runq.head || w->nfresh)
			continue;
		if (nworkers_wanted > 1 && idle_balance(w, &tmo))
			continue;

		/* Announce the wait, then look once more at what other threads
		 * may have queued: they kick only a worker that announced it,
		 * so its eventfd must exist first. */
		if (w->kickfd < 0 && netpoll_worker_init(w) < 0) {
			/* Nobody can kick a worker without a poller (EMFILE):
			 * look again every millisecond until one can be made. */
			netpoll_wait(w, tmo < 0 || tmo > 1000000 ? 1000000 : tmo);
			continue;
		}
		__atomic_store_n(&w->in_poll, 1, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&w->remote_pending, __ATOMIC_SEQ_CST) &&
		    !__atomic_load_n(&w->intr_list, __ATOMIC_SEQ_CST))
			netpoll_wait(w, tmo);
		__atomic_store_n(&w->in_poll, 0, __ATOMIC_SEQ_CST);
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
	__atomic_store_n(&self->state, CO_PARKED, __ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(&self->wake_pending, 0, __ATOMIC_SEQ_CST)) {
		enum co_state parked = CO_PARKED;
		/* woken before it slept; unless a waker has just queued it */
		if (__atomic_compare_exchange_n(&self->state, &parked, CO_RUNNING, 0,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return 0;
		deadline = -1;
	}
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
	errno = 0;
	h_errno = 0;
	LOG(LOG_SCHED, "start co%u fn %p", co->id, (void *)co->fn);
	co_exit(co->fn(co->arg));
}

static void *worker_main(void *arg);

/* Start the workers not running yet (the first creation starts them all:
 * they sleep until there is work to take). */
static void start_workers(void)
{
	spin_lock(&start_lock);
	for (int i = 0; i < nworkers_wanted; i++) {
		if (workers[i])
			continue;
		struct worker *w = calloc(1, sizeof *w);
		if (!w)
			break;
		w->id = i;
		w->wepfd = w->kickfd = -1;
		if (netpoll_worker_init(w) < 0 || spawn_thread(worker_main, w) != 0) {
			free(w);
			break;
		}
		__atomic_store_n(&workers[i], w, __ATOMIC_RELEASE);
		__atomic_add_fetch(&nworkers_started, 1, __ATOMIC_RELAXED);
		LOG(LOG_SCHED, "worker %u started", i);
	}
	spin_unlock(&start_lock);
}

/* A creation is news for an idle worker, unless one watches already. */
static void announce_fresh(struct worker *self)
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

int co_create(struct co **out, void *(*fn)(void *), void *arg, size_t stack_size,
	      void *user_stack, size_t user_size, int detached)
{
	struct worker *self = worker_tls;
	/* Make the poller while descriptors are likely to be left: parking
	 * needs it. Without one (EMFILE) the worker still runs, looking for
	 * work every millisecond (schedule), as a native creation would not
	 * fail for want of a descriptor. */
	netpoll_worker_init(self);
	__atomic_store_n(&co_solo, 0, __ATOMIC_RELAXED);
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
	co->key = (uintptr_t)co ^ key_mix;
	co->id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
	co->w = w;
	co->fn = fn;
	co->arg = arg;
	co->fate = detached ? FATE_DETACHED : FATE_JOINABLE;
	co->heap_idx = -1;
	co_ctx_make(&co->ctx, (char *)co->stack.base + co->stack.size, co_entry, co);
	co->state = CO_RUNNABLE;
	unsigned live = __atomic_add_fetch(&w->nlive, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&co_live_total, 1, __ATOMIC_SEQ_CST);
	self->stats.created++;
	if (live > w->stats.peak_live)
		w->stats.peak_live = live;
	LOG(LOG_SCHED, "create co%u on w%d fn %p stack %lu%s", co->id, w->id, (void *)fn,
	    (unsigned long)co->stack.size, user_stack ? " (user)" : "");
	*out = co;
	return 0;
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
		if (dead != w->main_co)
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
	if (co_on_exit)
		co_on_exit(self);
	self->retval = retval;
	__atomic_sub_fetch(&w->nlive, 1, __ATOMIC_RELAXED);
	if (__atomic_sub_fetch(&co_live_total, 1, __ATOMIC_SEQ_CST) == 0 && co_on_last_exit)
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
	if (co->magic != CO_MAGIC || co->key != ((uintptr_t)co ^ key_mix))
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
	free(co);
}

static struct co *first_co(struct worker *w, int live)
{
	struct co *co = calloc(1, sizeof *co);
	if (!co)
		return NULL;
	co->magic = live ? CO_MAGIC : 0;
	co->key = (uintptr_t)co ^ key_mix;
	co->id = live ? __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED) : 0;
	co->w = w;
	co->state = CO_RUNNING;
	co->heap_idx = -1;
	co->fate = FATE_JOINABLE;
	co->native = (pthread_t)sys_thread_self();
	w->native = co->native;
	w->errno_p = &errno;
	w->h_errno_p = &h_errno;
	w->main_co = co;
	w->cur = co;
	worker_tls = w;
	return co;
}

/* A worker thread other than the first: its own flow is an idle coroutine
 * that never runs again once it has parked; the worker lives in schedule(). */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	if (!first_co(w, 0))
		abort();
	for (;;)
		co_park(PARK_IDLE, -1);
	return NULL;
}

static void log_who(int *wid, unsigned *coid)
{
	struct worker *w = worker_tls;
	if (w) {
		*wid = w->id;
		*coid = w->cur ? w->cur->id : 0;
	}
}

struct worker *worker_adopt(int nworkers, int (*spawn)(void *(*)(void *), void *))
{
	coexec_log_who = log_who;
	struct worker *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	nworkers_wanted = nworkers > 0 && nworkers <= WORKERS_MAX ? nworkers : 1;
	spawn_thread = spawn;
	w->wepfd = w->kickfd = -1; /* the poller starts on first need */
	struct co *co = first_co(w, 1);
	if (!co) {
		free(w);
		free(co);
		worker_tls = NULL;
		return NULL;
	}
	co_main = co;
	w->nlive = 1;
	w->stats.peak_live = 1;
	__atomic_add_fetch(&co_live_total, 1, __ATOMIC_RELAXED);
	workers[0] = w;
	nworkers_started = 1;
	return w;
}

void worker_atfork_child(void)
{
	struct worker *w = worker_tls;
	if (!w)
		return;
	struct co *self = w->cur;
	for (int i = 0; i < WORKERS_MAX; i++)
		workers[i] = NULL;
	/* The child's only worker keeps its number, so placement starts the
	 * others again as needed. */
	workers[w->id] = w;
	nworkers_started = 1;
	w->runq = (struct sq){ 0 };
	w->fresh = (struct sq){ 0 };
	w->nfresh = 0;
	w->fresh_lock = 0;
	steal_watcher = -1;
	w->ntimers = 0;
	w->exiting = NULL;
	w->remote = (struct sq){ 0 };
	w->remote_pending = 0;
	w->remote_lock = 0;
	w->intr_list = NULL;
	w->in_poll = 0;
	w->nlive = 1;
	co_live_total = 1;
	start_lock = 0;
	self->joiner = NULL;
	self->wake_pending = 0;
	w->native = (pthread_t)sys_thread_self();
	if (w->main_co == self || self == co_main)
		self->native = w->native;
	w->wepfd = w->kickfd = -1; /* rtfd_atfork_child closed the parent's */
	netpoll_atfork_child();
}
