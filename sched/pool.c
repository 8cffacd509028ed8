/* The blocking-call pool (see pool.h).
 *
 * A job is shared by its caller and the pool thread that runs it, each
 * holding a reference; the last to let go frees it (the caller may stop
 * waiting before the call ends). Idle threads sleep in a real futex on
 * `work`, a counter every submission bumps, so a submission between "queue
 * empty" and the sleep is not lost. A thread counts as idle only while it
 * sleeps there, and a submission starts a thread whenever the queue holds
 * more jobs than there are idle threads: a burst of N jobs gets N threads
 * at once (a thread woken but not yet at the queue would otherwise be
 * counted for every job of the burst). */
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>

#include "preload/log.h"
#include "sched/list.h"
#include "sched/park.h"
#include "sched/pool.h"
#include "sched/sys.h"
#include "sched/worker.h"

enum { JOB_QUEUED, JOB_RUNNING, JOB_SKIPPED };

struct pool_job {
	struct sq_link link;
	void (*fn)(void *);
	void *arg;
	void (*release)(void *);
	int done;
	int refs;
	int lock;               /* state and tid against pool_interrupt */
	int state;
	int kicked;             /* pool_interrupt signalled the thread */
	long tid;               /* the pool thread running it */
};

int pool_max = 256;
int pool_intr_sig;
unsigned long pool_jobs;
int pool_threads, pool_threads_peak;

static int qlock;
static struct sq queue;
static int nqueued, nidle;
static int work;        /* futex word: bumped on every submission */
static int cap_said;

static void job_put(struct pool_job *j)
{
	if (__atomic_sub_fetch(&j->refs, 1, __ATOMIC_ACQ_REL))
		return;
	if (j->release)
		j->release(j->arg);
	free(j);
}

static void job_finish(struct pool_job *j)
{
	__atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
	addr_wake(&j->done, 1);
	job_put(j);
}

/* A signal pool_interrupt sent may still be pending when the job is over:
 * take it, or it would interrupt this thread's next job. */
static void drain_kick(void)
{
	uint64_t set = 1ull << (pool_intr_sig - 1);
	struct timespec zero = { 0, 0 };
	while (SYS4(SYS_rt_sigtimedwait, &set, 0, &zero, 8) == pool_intr_sig)
		;
}

static void job_run(struct pool_job *j, long tid)
{
	spin_lock(&j->lock);
	int skip = j->state == JOB_SKIPPED;
	if (!skip) {
		j->state = JOB_RUNNING;
		j->tid = tid;
	}
	spin_unlock(&j->lock);
	if (!skip)
		j->fn(j->arg);
	spin_lock(&j->lock);
	j->tid = 0; /* from here on, no signal for this job */
	int kicked = j->kicked;
	spin_unlock(&j->lock);
	if (kicked && tid)
		drain_kick();
	job_finish(j);
}

static struct pool_job *take(void)
{
	struct sq_link *l = sq_pop(&queue);
	if (!l)
		return NULL;
	nqueued--;
	return container_of(l, struct pool_job, link);
}

/* How long a thread stays without work before it ends. */
#define IDLE_NS (10 * 1000000000LL)

static void *pool_main(void *arg)
{
	/* Signals for the process go to the program's threads, not to us; only
	 * pool_interrupt's signal reaches a pool thread. */
	uint64_t mask = ~0ull & ~(1ull << 31) & ~(1ull << 32); /* glibc's own stay open */
	if (pool_intr_sig)
		mask &= ~(1ull << (pool_intr_sig - 1));
	SYS4(SYS_rt_sigprocmask, SIG_SETMASK, &mask, 0, 8);
	long tid = sys_gettid();
	int64_t idle_since = 0;
	for (;;) {
		int seen = __atomic_load_n(&work, __ATOMIC_ACQUIRE);
		spin_lock(&qlock);
		struct pool_job *j = take();
		if (!j) {
			int64_t now = now_ns();
			if (!idle_since)
				idle_since = now;
			if (now - idle_since >= IDLE_NS &&
			    seen == __atomic_load_n(&work, __ATOMIC_ACQUIRE)) {
				pool_threads--;
				spin_unlock(&qlock);
				LOG(LOG_POOL, "pool: idle thread ends (%d left)", pool_threads);
				return NULL;
			}
			nidle++;
		}
		spin_unlock(&qlock);
		if (!j) {
			struct timespec ts = { IDLE_NS / 1000000000LL, 0 };
			SYS4(SYS_futex, &work, FUTEX_WAIT_PRIVATE, seen, &ts);
			spin_lock(&qlock);
			nidle--;
			spin_unlock(&qlock);
			continue;
		}
		idle_since = 0;
		job_run(j, tid);
	}
	return NULL;
}

/* Queue j and make sure a thread will take it. 0, or -1 when no thread
 * exists or can be started (the caller then runs the queue itself). */
static int submit(struct pool_job *j)
{
	int spawn = 0, cap = 0;
	spin_lock(&qlock);
	sq_push(&queue, &j->link);
	nqueued++;
	pool_jobs++;
	if (nqueued > nidle) {
		if (pool_threads < pool_max) {
			if (++pool_threads > pool_threads_peak)
				pool_threads_peak = pool_threads;
			spawn = 1;
		} else if (!cap_said) {
			cap_said = cap = 1;
		}
	}
	spin_unlock(&qlock);
	__atomic_add_fetch(&work, 1, __ATOMIC_RELEASE);
	SYS(SYS_futex, &work, FUTEX_WAKE_PRIVATE, 1);
	if (cap)
		LOG(LOG_POOL, "pool: all %d threads busy (COEXEC_POOL_MAX); calls queue in order", pool_max);
	if (!spawn)
		return 0;
	int r = worker_spawn_thread(pool_main, NULL);
	if (r == 0) {
		LOG(LOG_POOL, "pool: thread %d started", pool_threads);
		return 0;
	}
	LOG(LOG_POOL, "pool: cannot start a thread (error %d)", r);
	spin_lock(&qlock);
	int none = --pool_threads == 0;
	spin_unlock(&qlock);
	return none ? -1 : 0;
}

/* Nobody may ever take the queue: serve it here, the caller's job included. */
static void serve_queue(void)
{
	for (;;) {
		spin_lock(&qlock);
		struct pool_job *q = take();
		spin_unlock(&qlock);
		if (!q)
			return;
		job_run(q, 0);
	}
}

static struct pool_job *job_new(void (*fn)(void *), void *arg, void (*release)(void *))
{
	struct pool_job *j = malloc(sizeof *j);
	if (j)
		*j = (struct pool_job){ .fn = fn, .arg = arg, .release = release, .refs = 2 };
	return j;
}

static int inline_ok(void)
{
	struct co *self = co_self();
	return !self || co_may_block(self->w);
}

void pool_run(void (*fn)(void *), void *arg)
{
	pool_run_as(fn, arg, PARK_POOL);
}

void pool_run_as(void (*fn)(void *), void *arg, enum park_reason why)
{
	struct pool_job *j = inline_ok() ? NULL : job_new(fn, arg, NULL);
	if (!j) {
		fn(arg);
		return;
	}
	if (submit(j) < 0)
		serve_queue();
	/* the job may use the caller's stack: no handler runs until it is
	 * over (a siglongjmp would leave it writing there) */
	struct co *self = co_self();
	self->sig_hold++;
	while (!__atomic_load_n(&j->done, __ATOMIC_ACQUIRE))
		addr_wait_as(&j->done, 0, -1, why);
	self->sig_hold--;
	job_put(j);
	co_sig_run(self);
}

struct pool_job *pool_submit(void (*fn)(void *), void *arg, void (*release)(void *))
{
	struct pool_job *j = inline_ok() ? NULL : job_new(fn, arg, release);
	if (!j) {
		fn(arg);
		return NULL;
	}
	if (submit(j) < 0)
		serve_queue();
	return j;
}

int pool_wait(struct pool_job *j, enum park_reason why)
{
	while (!__atomic_load_n(&j->done, __ATOMIC_ACQUIRE))
		if (addr_wait_as(&j->done, 0, -1, why) == -EINTR &&
		    !__atomic_load_n(&j->done, __ATOMIC_ACQUIRE))
			return -EINTR;
	return 0;
}

void pool_release(struct pool_job *j)
{
	job_put(j);
}

void pool_interrupt(struct pool_job *j, enum park_reason why)
{
	long pid = sys_getpid();
	struct co *self = co_self();
	self->sig_hold++; /* the signal that stops the job waits for its end */
	while (!__atomic_load_n(&j->done, __ATOMIC_ACQUIRE)) {
		spin_lock(&j->lock);
		if (j->state == JOB_QUEUED) {
			j->state = JOB_SKIPPED; /* the thread that takes it will not run it */
		} else if (j->tid && pool_intr_sig) {
			j->kicked = 1;
			SYS(SYS_tgkill, pid, j->tid, pool_intr_sig);
		}
		spin_unlock(&j->lock);
		/* the call may not have entered the kernel yet: kick again soon */
		addr_wait_as(&j->done, 0, now_ns() + 2000000, why);
	}
	self->sig_hold--;
}

int pool_skipped(struct pool_job *j)
{
	return j->state == JOB_SKIPPED;
}

void pool_atfork_child(void)
{
	/* Queued jobs belong to threads that are gone; so do the pool's. */
	queue = (struct sq){ 0 };
	qlock = nqueued = nidle = work = pool_threads = cap_said = 0;

}
