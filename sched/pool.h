/* The blocking-call pool: kernel threads that run calls which cannot be made
 * non-blocking while the calling coroutine parks.
 *
 * Users: glibc's own resolver when c-ares cannot stand in for it (dns/);
 * blocking connect and sendfile on a descriptor the program believes
 * blocking (shim/net.c: the description's mode is never changed).
 * Threads start on demand: whenever more jobs wait than threads are idle,
 * up to pool_max (COEXEC_POOL_THREADS); beyond that, jobs queue in order.
 * A call such as connect can wait for a long time, so a small fixed pool
 * would deadlock. Idle threads stay. */
#ifndef SCHED_POOL_H
#define SCHED_POOL_H

#include "sched/worker.h"

extern int pool_max;

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

/* In a forked child: the pool's threads are gone; forget them. */
void pool_atfork_child(void);

/* Jobs run and threads started so far (statistics). */
extern unsigned long pool_jobs;
extern int pool_threads;

#endif
