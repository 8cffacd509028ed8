/* The blocking-call pool: kernel threads that run calls which cannot be made
 * non-blocking while the calling coroutine parks.
 *
 * Today it runs glibc's own resolver when c-ares cannot stand in for it
 * (dns/). Threads start on first need, up to pool_max (COEXEC_POOL_THREADS),
 * and then stay, idle in a futex. Jobs wait in one FIFO queue. */
#ifndef SCHED_POOL_H
#define SCHED_POOL_H

extern int pool_max;

/* Run fn(arg) on a pool thread; the calling coroutine parks until it has
 * returned. A caller that is not a coroutine, or is the only one in the
 * process, runs fn itself: blocking its kernel thread harms nobody. If no
 * pool thread can be started, fn runs on the caller too. */
void pool_run(void (*fn)(void *), void *arg);

/* In a forked child: the pool's threads are gone; forget them. */
void pool_atfork_child(void);

/* Jobs run and threads started so far (statistics). */
extern unsigned long pool_jobs;
extern int pool_threads;

#endif
