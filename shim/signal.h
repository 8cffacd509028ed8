/* Signals between the files of the shim that deal with them: signal.c
 * (arrival, routing, running handlers, sigaction), sigwait.c (masks and the
 * waits for signals), sigsend.c (signals for one thread). */
#ifndef SHIM_SIGNAL_H
#define SHIM_SIGNAL_H

#include <signal.h>
#include <stdint.h>

#include "sched/worker.h"

#define SIGRTMIN_KERNEL 32      /* below: standard signals, not queued twice */

/* A coroutine in sigwait and friends: set is what it waits for; a signal
 * given to it is in info, its number in got. On the list under sig_lock. */
struct sigwaiter {
	struct sigwaiter *next;
	struct co *co;
	uint64_t set;
	int got;
	siginfo_t info;
};
void sig_waiter_add(struct sigwaiter *sw);
void sig_waiter_remove(struct sigwaiter *sw);

/* Take the next signal pending for self or for the process that is in
 * want (its number, 0 if none). */
int sig_take(struct co *self, uint64_t want, siginfo_t *out);
/* What is pending for self or for the process (not the kernel's). */
uint64_t sig_pending_of(struct co *self);

/* Queue a signal for coroutine co, as the kernel queues one for a thread;
 * it interrupts co if co does not block it. 0 or -EAGAIN. */
int sig_send_co(struct co *co, const siginfo_t *info);

/* Run the handlers of the signals pending for the running coroutine self
 * that it does not block. */
void sig_deliver(struct co *self);
void sig_doorbell(void *uc);

/* The program's disposition of a signal (shim/sigaction.c); wrapped: a
 * handler of its own, behind sig_wrapper. Two copies and an index, so a
 * handler reading one while sigaction writes finds a whole one. */
struct disp {
	struct sigaction act;
	int wrapped;
};
struct disp disp_get(int sig);
void disp_put(int sig, const struct disp *d);
void sig_wrapper(int sig, siginfo_t *si, void *uc);
/* For the signal of a SIGEV_THREAD_ID timer: *thread_timer = 1, and the
 * coroutine that made the timer if it still runs (shim/sigsend.c). */
struct co *sig_timer_owner(const siginfo_t *si, int *thread_timer);

/* For the length of a wait, the mask *mask (read: a bad pointer was
 * refused by the real call already) is self's; pop puts the old back,
 * with anything it blocks again left pending. */
uint64_t sig_mask_push(struct co *self, const sigset_t *mask);
void sig_mask_pop(struct co *self, uint64_t old);

/* Signals coexec's masks leave alone: SIGKILL, SIGSTOP, glibc's two,
 * coexec's own (sched/worker.c). */
extern uint64_t sig_keep_open;

static inline uint64_t sigset_word(const sigset_t *s)
{
	uint64_t m;
	__builtin_memcpy(&m, s, sizeof m);
	return m;
}

/* Between signal.c and sigroute.c. */
struct sigent {
	struct sigent *next;
	int hops;                 /* workers it was passed through (inbox) */
	siginfo_t info;
};
extern struct sigent *proc_q;         /* pending for the process */
extern struct sigwaiter *waiters;
struct sigent *ent_alloc(void);
void ent_release(struct sigent *e);
int enqueue(struct sigent **q, uint64_t *set, const siginfo_t *info);
enum { ROUTED, RUN_HERE };
int route(struct worker *w, const siginfo_t *info, struct co *here, int for_thread, int may_run);
void ring_push(struct worker *w, const siginfo_t *info, struct co *here, int for_thread);
void sigroute_atfork_child(void);

#endif
