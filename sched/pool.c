/* The blocking-call pool (see pool.h).
 *
 * A job lives on its caller's stack: the caller cannot return before the
 * pool thread has set job->done, and after that store the pool thread only
 * passes the address to addr_wake, which never reads through it. Idle
 * threads sleep in a real futex on `work`, a counter every submission bumps,
 * so a submission between "queue empty" and the sleep is not lost. */
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdint.h>

#include "preload/log.h"
#include "sched/park.h"
#include "sched/pool.h"
#include "sched/sys.h"
#include "sched/worker.h"

struct job {
	void (*fn)(void *);
	void *arg;
	int done;
	struct job *next;
};

int pool_max = 4;
unsigned long pool_jobs;
int pool_threads;

static int qlock;
static struct job *head, **tail = &head;
static int nidle;
static int work;        /* futex word: bumped on every submission */

static struct job *take(void)
{
	struct job *j = head;
	if (j && !(head = j->next))
		tail = &head;
	return j;
}

static void *pool_main(void *arg)
{
	/* Signals for the process go to the program's threads, not to us. */
	uint64_t all = ~0ull;
	SYS4(SYS_rt_sigprocmask, SIG_BLOCK, &all, 0, 8);
	for (;;) {
		int seen = __atomic_load_n(&work, __ATOMIC_ACQUIRE);
		spin_lock(&qlock);
		struct job *j = take();
		if (!j)
			nidle++;
		spin_unlock(&qlock);
		if (!j) {
			SYS4(SYS_futex, &work, FUTEX_WAIT_PRIVATE, seen, 0);
			spin_lock(&qlock);
			nidle--;
			spin_unlock(&qlock);
			continue;
		}
		j->fn(j->arg);
		__atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
		addr_wake(&j->done, 1);
	}
	return NULL;
}

void pool_run(void (*fn)(void *), void *arg)
{
	struct co *self = co_self();
	if (!self || co_alone(self->w)) {
		fn(arg);
		return;
	}
	struct job j = { fn, arg, 0, NULL };
	int spawn = 0;
	spin_lock(&qlock);
	*tail = &j;
	tail = &j.next;
	pool_jobs++;
	if (nidle == 0 && pool_threads < pool_max) {
		pool_threads++;
		spawn = 1;
	}
	spin_unlock(&qlock);
	__atomic_add_fetch(&work, 1, __ATOMIC_RELEASE);
	SYS(SYS_futex, &work, FUTEX_WAKE_PRIVATE, 1);
	if (spawn) {
		int r = worker_spawn_thread(pool_main, NULL);
		if (r == 0) {
			LOG(LOG_POOL, "pool: thread %d started", pool_threads);
		} else {
			LOG(LOG_POOL, "pool: cannot start a thread (error %d)", r);
			spin_lock(&qlock);
			int none = --pool_threads == 0;
			spin_unlock(&qlock);
			/* Nobody may ever take the queue: serve it here, ours included. */
			while (none) {
				spin_lock(&qlock);
				struct job *q = take();
				spin_unlock(&qlock);
				if (!q)
					break;
				q->fn(q->arg);
				__atomic_store_n(&q->done, 1, __ATOMIC_RELEASE);
				addr_wake(&q->done, 1);
			}
		}
	}
	while (!__atomic_load_n(&j.done, __ATOMIC_ACQUIRE))
		addr_wait(&j.done, 0, -1, 0);
}

void pool_atfork_child(void)
{
	head = NULL;
	tail = &head;
	qlock = nidle = work = pool_threads = 0;
}
