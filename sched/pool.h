/* The blocking-call pool: kernel threads that run calls which cannot be made
 * non-blocking while the calling coroutine parks.
 *
 * Users: glibc's own resolver when c-ares cannot stand in for it (dns/);
 * blocking connect and sendfile on a descriptor the program believes
 * blocking (shim/net.c: the description's mode is never changed).
 * Threads start on demand: whenever more jobs wait than threads are idle,
 * up to pool_max (COEXEC_POOL_MAX); beyond that, jobs queue in order.
 * A call such as flock can wait for ever, so a small fixed pool would
 * deadlock. A thread without work for 10 s ends. */
#ifndef SCHED_POOL_H
#define SCHED_POOL_H

#include "sched/worker.h"

extern int pool_max;
/* The signal pool_interrupt sends to a pool thread (0: none can be sent):
 * its handler does nothing and is installed without SA_RESTART, so a call
 * blocked in the kernel returns EINTR (the owner of signals sets both). */
extern int pool_intr_sig;

/* Run fn(arg) on a pool thread; the calling coroutine parks until it has
 * returned. A caller that is not a coroutine, or is the only one in the
 * process, runs fn itself: blocking its kernel thread harms nobody. If no
 * pool thread can be started, fn runs on the caller too. */
void pool_run(void (*fn)(void *), void *arg);
/* The same, parked for the reason the caller waits (what the statistics
 * and the log show: the connect, not the pool); never interrupted. */
void pool_run_as(void (*fn)(void *), void *arg, enum park_reason why);

/* The same in three steps, for a caller that may stop waiting (a signal,
 * a cancellation). pool_submit queues fn(arg), or runs it inline and
 * returns NULL where pool_run would (arg is then still the caller's).
 * pool_wait parks (for the reason why, one a signal interrupts) until fn
 * has run (0) or a signal or cancellation interrupts the wait (-EINTR;
 * co_intr_sig() names it; waiting again is allowed). pool_release lets go: if fn has not
 * finished, it goes on without the caller, and release(arg) runs after it
 * on whichever side lets go last; arg must be the caller's to give away. */
struct pool_job;
struct pool_job *pool_submit(void (*fn)(void *), void *arg, void (*release)(void *));
int pool_wait(struct pool_job *j, enum park_reason why);
void pool_release(struct pool_job *j);

/* The caller stops waiting for a call it was interrupted in, as a blocked
 * thread would: a job not yet started never runs (pool_skipped says so);
 * a running one gets pool_intr_sig, again every 2 ms until it has returned,
 * so that its system call ends with EINTR. Returns once fn is done or
 * skipped; pool_release still follows. */
void pool_interrupt(struct pool_job *j, enum park_reason why);
int pool_skipped(struct pool_job *j);

/* In a forked child: the pool's threads are gone; forget them. */
void pool_atfork_child(void);

/* Jobs so far, threads now and the most at once (statistics). */
extern unsigned long pool_jobs;
extern int pool_threads, pool_threads_peak;

#endif
