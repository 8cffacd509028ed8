/* Shared by the files of the scheduler (worker.c, queues.c, steal.c, co.c)
 * and nobody else. */
#ifndef SCHED_SCHED_INT_H
#define SCHED_SCHED_INT_H

#include <signal.h>

#include "sched/sys.h"
#include "sched/worker.h"

#define CO_OF(l) container_of(l, struct co, qlink)

extern int nworkers_wanted;      /* workers coroutines are spread over */
extern uint32_t co_next_id;      /* ids of coroutines, for the log */
extern const uintptr_t co_key_mix;

extern uint64_t sig_keep_open;   /* never blocked in a kernel mask */

/* A coroutine that resumes puts its own signal mask in force. Runtime
 * coroutines (the reaper, a worker's idle flow) have none and leave the
 * kernel's as it is. Same masks, the common case, cost a compare. */
static inline void sig_resume(struct worker *w, struct co *self)
{
	if (__builtin_expect(self->sigmask != w->kmask, 0) && self->magic == CO_MAGIC) {
		uint64_t m = self->sigmask & ~sig_keep_open;
		SYS4(SYS_rt_sigprocmask, SIG_SETMASK, &m, 0, 8);
		w->kmask = self->sigmask;
	}
	if (__builtin_expect(self->altstack != w->altstack, 0) && self->magic == CO_MAGIC) {
		static const stack_t off = { .ss_flags = SS_DISABLE };
		SYS(SYS_sigaltstack, self->altstack ? self->altstack : &off, 0, 0);
		w->altstack = self->altstack;
	}
	__atomic_store_n(&w->in_rt, 0, __ATOMIC_RELAXED);
}

/* Waits a signal ends: the wait returns -EINTR and the hook runs the
 * handler as it returns (co_sig_deliver from sysret or intr_restart),
 * after undoing its wait, so that a handler may siglongjmp out. The others
 * run the handler and wait on (co_park). */
static inline int park_interruptible(enum park_reason why)
{
	return why != PARK_JOIN && why != PARK_YIELD && why != PARK_IDLE &&
	       why != PARK_SYNC && why != PARK_POOL;
}

/* sigmask.c */
void sig_co_start(struct worker *w, struct co *co);
void sig_co_end(struct worker *w, struct co *co);
void sig_worker_init(struct worker *w);
void sig_atfork_sched(struct worker *w, struct co *self);

/* queues.c */
void runq_push(struct worker *w, struct co *co);
struct co *next_runnable(struct worker *w);
void fresh_push(struct worker *w, struct co *co);
void drain_remote(struct worker *w);
void kick(struct worker *w);
void deliver_interrupts(struct worker *w);

/* steal.c */
int steal(struct worker *w, int64_t *wait);
int idle_balance(struct worker *w, int64_t *tmo);
void announce_fresh(struct worker *self);
void steal_atfork_child(void);

/* worker.c */
void switch_to(struct worker *w, struct co *from, struct co *to);
void schedule(struct worker *w);
void start_workers(void);

#endif
