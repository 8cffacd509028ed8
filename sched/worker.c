/* Workers and the scheduling loop: park, yield, the switch, start-up of
 * the workers, adopting main, fork. See worker.h for the model and the
 * wait protocol; queues.c, steal.c and co.c hold the rest.
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
#include <signal.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cls/tls.h"
#include "preload/log.h"
#include "sched/deadlock.h"
#include "sched/monitor.h"
#include "sched/netpoll.h"
#include "sched/rtfd.h"
#include "sched/sys.h"
#include "sched/sched_int.h"
#include "sched/worker.h"

__thread struct worker *worker_tls;
int co_live;
int co_never_threaded;
void (*co_on_last_exit)(void);
void (*co_on_exit)(struct co *);
struct co *co_main;
struct worker *workers[WORKERS_MAX];
int nworkers_started;

uint64_t sig_proc_pending;
void (*co_sig_deliver)(struct co *);
void (*co_sig_drop)(struct co *);
void (*co_sig_inbox)(struct worker *);
void (*co_sig_drain)(struct worker *);
/* SIGKILL, SIGSTOP, glibc's two (cancellation, setxid: every thread must
 * take them) and coexec's own (shim/blocking.c). */
uint64_t sig_keep_open = SIGBIT(SIGKILL) | SIGBIT(SIGSTOP) | SIGBIT(32) | SIGBIT(33) |
			 SIGBIT(_NSIG - 1);

int nworkers_wanted = 1;
static int (*spawn_thread)(void *(*)(void *), void *);

int worker_spawn_thread(void *(*fn)(void *), void *arg)
{
	int r = spawn_thread ? spawn_thread(fn, arg) : -EAGAIN;
	tls_spawned();
	return r;
}
static int start_lock;

uint32_t co_next_id;
const uintptr_t co_key_mix = 0x5bd1e9955bd1e995ull;

const char *const park_reason_name[PARK__COUNT] = {
	[PARK_YIELD] = "yield",     [PARK_READ] = "read",   [PARK_WRITE] = "write",
	[PARK_CONNECT] = "connect", [PARK_ACCEPT] = "accept", [PARK_POLL] = "poll",
	[PARK_SLEEP] = "sleep",     [PARK_JOIN] = "join",
	[PARK_IDLE] = "idle",       [PARK_SYNC] = "sync",   [PARK_SYNC_INTR] = "sync",
	[PARK_POOL] = "pool",       [PARK_LOCK] = "lock",   [PARK_CHILD] = "child",
	[PARK_FILE] = "file",       [PARK_OPEN] = "open",   [PARK_IPC] = "ipc",
	[PARK_SIGNAL] = "signal",
};

int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void __attribute__((noreturn, noinline)) overflowed(struct co *co)
{
	coexec_say("stack overflow in thread co%u (start routine %p, stack %lu bytes): "
		   "raise COEXEC_STACK_SIZE or the thread's pthread_attr_setstacksize",
		   co->id, (void *)co->fn, (unsigned long)co->stack.size);
	abort();
}

void switch_to(struct worker *w, struct co *from, struct co *to)
{
	if (__builtin_expect(!stack_intact(&from->stack), 0))
		overflowed(from);
	w->cur = to;
	to->state = CO_RUNNING;
	w->stats.switches++;
	/* errno lives where the thread pointer leads: each coroutine's own
	 * block, or the kernel thread's, shared by runtime flows and main()
	 * (and by every coroutine while TLS is shared) */
	int shared = !from->tp;
	if (shared) {
		from->saved_errno = *w->errno_p;
		from->saved_h_errno = *w->h_errno_p;
	}
	if (tls_private) {
		if (to->tp && __builtin_expect(to->tls_w != w, 0))
			tls_rebind(to, w);
		tls_load(to->tp ? to->tp : w->tp);
	}
	co_switch(&from->ctx, &to->ctx);
	if (shared) {
		*w->errno_p = from->saved_errno;
		*w->h_errno_p = from->saved_h_errno;
	}
}

/* Run something else until the current coroutine is runnable again (or
 * forever, for a dead one). */
void schedule(struct worker *w)
{
	struct co *self = w->cur;

	int polled = 0;
	__atomic_store_n(&w->in_rt, 1, __ATOMIC_RELAXED);
	for (;;) {
		if (__builtin_expect(__atomic_load_n(&w->sig_inbox, __ATOMIC_RELAXED) != NULL, 0))
			co_sig_inbox(w);
		if (__builtin_expect(__atomic_load_n(&deadlock_asked, __ATOMIC_RELAXED) !=
				     w->deadlock_told, 0))
			deadlock_describe(w);
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
			/* out of the poller with work: the stall monitor looks
			 * again, if it sleeps */
			if (polled)
				monitor_poke();
			if (next == self) {
				self->state = CO_RUNNING;
				sig_resume(w, self);
				return;
			}
			switch_to(w, self, next);
			sig_resume(w, self);
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
		    !__atomic_load_n(&w->intr_list, __ATOMIC_SEQ_CST) &&
		    !__atomic_load_n(&w->sig_inbox, __ATOMIC_SEQ_CST))
			netpoll_wait(w, tmo);
		__atomic_store_n(&w->in_poll, 0, __ATOMIC_SEQ_CST);
		polled = 1;
		w->since_poll = 0;
	}
}

int co_park(enum park_reason why, int64_t deadline)
{
	struct worker *w = worker_tls;
	struct co *self = w->cur;
	int intr = park_interruptible(why);

	self->reason = why;
	self->timed_out = 0;
	self->intr_sig = 0;
	w->stats.parks[why]++;
	/* A wait no signal ends runs the handler of a pending one now, and
	 * returns as a spurious wake: its caller looks again and waits anew. */
	int real = self->magic == CO_MAGIC && co_sig_deliver;
	if (!intr && real && co_sig_deliverable(self)) {
		co_sig_deliver(self);
		return 0;
	}
	__atomic_store_n(&self->state, CO_PARKED, __ATOMIC_SEQ_CST);
	if (!intr && real && co_sig_deliverable(self)) {
		/* queued as it parked (the sender saw it running) */
		enum co_state parked = CO_PARKED;
		if (__atomic_compare_exchange_n(&self->state, &parked, CO_RUNNING, 0,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
			co_sig_deliver(self);
			return 0;
		}
	}
	if (__atomic_exchange_n(&self->wake_pending, 0, __ATOMIC_SEQ_CST)) {
		enum co_state parked = CO_PARKED;
		/* woken before it slept; unless a waker has just queued it */
		if (__atomic_compare_exchange_n(&self->state, &parked, CO_RUNNING, 0,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return 0;
		deadline = -1;
	} else if (intr && (co_sig_deliverable(self) ||
			    __atomic_load_n(&self->sigwait_got, __ATOMIC_SEQ_CST))) {
		/* a signal arrived before it slept: the kernel would not have
		 * let the call start */
		enum co_state parked = CO_PARKED;
		if (__atomic_compare_exchange_n(&self->state, &parked, CO_RUNNING, 0,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
			uint64_t p = (self->sigpend | sig_proc_pending) & ~self->sigmask;
			self->intr_sig = p ? __builtin_ctzll(p) + 1 : SIGCHLD;
			return -EINTR;
		}
		deadline = -1; /* a waker queued it meanwhile: take that wake */
	}
	if (deadline >= 0) {
		self->deadline = deadline;
		timer_add(w, self);
	}
	LOG(LOG_SCHED, "park %s%s", park_reason_name[why], deadline >= 0 ? " (timed)" : "");
	/* only another thread can end it: counted for the deadlock report */
	int stuck = deadline < 0 && (why == PARK_SYNC || why == PARK_SYNC_INTR || why == PARK_JOIN);
	w->stuck += stuck;
	schedule(w);
	w->stuck -= stuck;
	self->wait_kind = WAIT_NONE;
	if (self->heap_idx >= 0)
		timer_del(w, self);
	LOG(LOG_SCHED, "unpark %s%s", park_reason_name[why],
	    self->intr_sig ? " interrupted" : self->timed_out ? " timeout" : "");
	if (!intr) {
		/* woken to run a handler (deliver_interrupts): run it, and
		 * return as a spurious wake */
		if (self->intr_sig > 0 && co_sig_deliver && co_sig_deliverable(self))
			co_sig_deliver(self);
		self->intr_sig = 0;
		return self->timed_out ? -ETIMEDOUT : 0;
	}
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


static void *worker_main(void *arg);

/* Start the workers not running yet (the first creation starts them all:
 * they sleep until there is work to take). */

void start_workers(void)
{
	spin_lock(&start_lock);
	for (int i = 0; i < nworkers_wanted; i++) {
		if (workers[i])
			continue;
		struct worker *w = calloc(1, sizeof *w);
		if (!w)
			break;
		w->id = i;
		w->next_due = INT64_MAX;
		w->wepfd = w->kickfd = -1;
		if (netpoll_worker_init(w) < 0 || spawn_thread(worker_main, w) != 0) {
			free(w);
			break;
		}
		tls_spawned();
		__atomic_store_n(&workers[i], w, __ATOMIC_RELEASE);
		__atomic_add_fetch(&nworkers_started, 1, __ATOMIC_RELAXED);
		LOG(LOG_SCHED, "worker %u started", i);
	}
	spin_unlock(&start_lock);
}

static struct co *first_co(struct worker *w, int live)
{
	struct co *co = calloc(1, sizeof *co);
	if (!co)
		return NULL;
	co->magic = live ? CO_MAGIC : 0;
	co->key = (uintptr_t)co ^ co_key_mix;
	co->id = live ? __atomic_add_fetch(&co_next_id, 1, __ATOMIC_RELAXED) : 0;
	co->w = w;
	co->state = CO_RUNNING;
	co->heap_idx = -1;
	co->fate = FATE_JOINABLE;
	co->native = (pthread_t)sys_thread_self();
	w->native = co->native;
	w->tid = sys_gettid();
	w->errno_p = &errno;
	w->h_errno_p = &h_errno;
	tls_worker_init(w);
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
	sig_worker_init(w);
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
	w->next_due = INT64_MAX;
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
	sig_worker_init(w);
	co->sigmask = w->kmask;
	sig_co_start(w, co);
	w->nlive = 1;
	co_peak_live = 1;
	__atomic_add_fetch(&co_live, 1, __ATOMIC_RELAXED);
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
	steal_atfork_child();
	w->ntimers = 0;
	w->next_due = INT64_MAX;
	w->exiting = NULL;
	w->remote = (struct sq){ 0 };
	w->remote_pending = 0;
	w->remote_lock = 0;
	w->intr_list = NULL;
	w->in_poll = 0;
	w->nlive = 1;
	co_live = 1;
	start_lock = 0;
	self->joiner = NULL;
	self->wake_pending = 0;
	w->native = (pthread_t)sys_thread_self();
	w->tid = sys_gettid();
	tls_atfork_child(self, w);
	if (w->main_co == self || self == co_main)
		self->native = w->native;
	/* rtfd_atfork_child closed the parent's epoll and eventfd; the
	 * poller is made again on first need. */
	w->wepfd = w->kickfd = -1;
	w->kmask = self->sigmask;
	sig_atfork_sched(w, self);
}
