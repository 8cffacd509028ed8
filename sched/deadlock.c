/* The deadlock report (see deadlock.h). */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "preload/log.h"
#include "sched/deadlock.h"
#include "sched/sys.h"

int deadlock_abort;
unsigned deadlock_asked, deadlock_epoch, deadlock_reports, deadlock_partials;

static int lines_lock;
static char *lines;               /* the workers' descriptions */
static size_t lines_len, lines_cap;
static unsigned long long reported_at = ~0ull; /* switches when last reported */

static const char *const kind_name[] = {
	[WAIT_MUTEX] = "mutex", [WAIT_COND] = "condition variable", [WAIT_RWLOCK] = "rwlock",
	[WAIT_SEM] = "semaphore", [WAIT_BARRIER] = "barrier", [WAIT_ONCE] = "pthread_once",
	[WAIT_FUTEX] = "futex", [WAIT_GUARD] = "static initialisation guard",
};

static void holder(char *buf, size_t n, int id)
{
	if (id & CO_SYNC_ID)
		snprintf(buf, n, ", held by co%d", id & (CO_SYNC_ID - 1));
	else if (id > 0)
		snprintf(buf, n, ", held by thread %d (not one of coexec's)", id);
	else
		buf[0] = 0;
}

static void add_line(const char *s)
{
	size_t k = strlen(s);
	spin_lock(&lines_lock);
	if (lines_len + k + 2 > lines_cap) {
		size_t cap = (lines_cap ? lines_cap * 2 : 4096) + k;
		char *p = realloc(lines, cap);
		if (!p) {
			spin_unlock(&lines_lock);
			return;
		}
		lines = p, lines_cap = cap;
	}
	memcpy(lines + lines_len, s, k);
	lines_len += k;
	lines[lines_len++] = '\n';
	lines[lines_len] = 0;
	spin_unlock(&lines_lock);
}

static void describe_line(struct co *co, char *line, size_t n)
{
	char what[160], who[64], fn[128];
	co_routine_name(co, fn, sizeof fn);
	what[0] = who[0] = 0;
	if (co->state != CO_PARKED) {
		snprintf(what, sizeof what, "is not waiting");
	} else if (co->reason == PARK_JOIN) {
		struct co *t = (struct co *)co->wait_obj;
		if (co->wait_kind == WAIT_JOIN && t)
			snprintf(what, sizeof what, "waits in pthread_join for co%u to end", t->id);
		else
			snprintf(what, sizeof what, "waits in pthread_join");
	} else if (co->wait_kind > WAIT_NONE && co->wait_kind < WAIT_JOIN) {
		if (co->wait_kind == WAIT_MUTEX)
			holder(who, sizeof who, ((const pthread_mutex_t *)co->wait_obj)->__data.__owner);
		snprintf(what, sizeof what, "waits on %s %p%s", kind_name[co->wait_kind],
			 co->wait_obj, who);
	} else {
		snprintf(what, sizeof what, "waits (%s)", park_reason_name[co->reason]);
	}
	char name[24] = "";
	if (co->name[0])
		snprintf(name, sizeof name, " \"%s\"", co->name);
	if (co == co_main)
		snprintf(line, n, "  co%u%s: main(): %s", co->id, name, what);
	else
		snprintf(line, n, "  co%u%s: start routine %s, stack %lu KiB: %s", co->id, name, fn,
			 (unsigned long)co->stack.size >> 10, what);
}

static int describe(struct co *co, void *arg)
{
	char line[400];
	describe_line(co, line, sizeof line);
	add_line(line);
	return 0;
}

/* Mutex waits of a second or more (by the epoch), for the partial check. */
#define LOCK_WAIT_NS 1000000000LL
#define NRECS 256
static struct rec {
	unsigned id, holder;
	char line[400];
} recs[NRECS];
static int nrecs, ask_partial;

static int lock_wait(struct co *co, void *arg)
{
	/* begun two of the monitor's seconds ago: a second or more */
	unsigned epoch = *(unsigned *)arg;
	if (co->state != CO_PARKED || co->wait_kind != WAIT_MUTEX || co->heap_idx >= 0 ||
	    epoch - co->wait_since < 2)
		return 0;
	int owner = ((const pthread_mutex_t *)co->wait_obj)->__data.__owner;
	if (!(owner & CO_SYNC_ID))
		return 0;
	spin_lock(&lines_lock);
	if (nrecs < NRECS) {
		struct rec *r = &recs[nrecs++];
		r->id = co->id;
		r->holder = owner & (CO_SYNC_ID - 1);
		describe_line(co, r->line, sizeof r->line);
	}
	spin_unlock(&lines_lock);
	return 0;
}

void deadlock_describe(struct worker *w)
{
	unsigned asked = __atomic_load_n(&deadlock_asked, __ATOMIC_ACQUIRE);
	if (!w->list_busy) {
		if (__atomic_load_n(&ask_partial, __ATOMIC_ACQUIRE)) {
			unsigned epoch = __atomic_load_n(&deadlock_epoch, __ATOMIC_RELAXED);
			co_each_here(w, lock_wait, &epoch);
		} else {
			co_each_here(w, describe, NULL);
		}
	}
	__atomic_store_n(&w->deadlock_told, asked, __ATOMIC_RELEASE);
}

/* Is every live coroutine in a wait only another can end, with nothing
 * else to wake one? The sum of the workers' switches, or ~0: no. */
static unsigned long long all_stuck(void)
{
	unsigned long long sw = 0;
	int stuck = 0;
	struct worker_iter it = WORKER_ITER;
	struct worker *w;
	while ((w = worker_next(&it))) {
		if (!__atomic_load_n(&w->in_poll, __ATOMIC_SEQ_CST) ||
		    __atomic_load_n(&w->ntimers, __ATOMIC_RELAXED) || co_others_runnable(w))
			return ~0ull;
		stuck += __atomic_load_n(&w->stuck, __ATOMIC_RELAXED);
		sw += __atomic_load_n(&w->stats.switches, __ATOMIC_RELAXED);
	}
	return stuck > 0 && stuck == __atomic_load_n(&co_live, __ATOMIC_SEQ_CST) ? sw : ~0ull;
}

/* A timer the kernel keeps for the process (alarm, setitimer, a POSIX
 * timer) may still raise a signal whose handler ends a wait (sem_post is
 * async-signal-safe), or start a thread of glibc's that does. */
static int kernel_timer_set(void)
{
	struct itimerval it;
	for (int which = 0; which < 3; which++)
		if (SYS(SYS_getitimer, which, &it, 0) == 0 &&
		    (it.it_value.tv_sec || it.it_value.tv_usec))
			return 1;
	char buf[64];
	long fd = SYS4(SYS_openat, AT_FDCWD, "/proc/self/timers", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	long n = SYS(SYS_read, fd, buf, sizeof buf);
	SYS(SYS_close, fd, 0, 0);
	return n > 0;
}

static unsigned partial_asked;   /* the request in flight, 0: none */
static int64_t partial_at, next_look;
static unsigned reported_cycles[64]; /* smallest member, for once only */
static int ncycles;

static struct rec *rec_of(unsigned id)
{
	for (int i = 0; i < nrecs; i++)
		if (recs[i].id == id)
			return &recs[i];
	return NULL;
}

/* Follow waiter, holder, holder's holder...: a chain that comes back to
 * its start is a cycle. Its smallest member reports it, once, the members
 * in chain order. */
static void find_cycles(void)
{
	for (int i = 0; i < nrecs; i++) {
		struct rec *r = &recs[i], *x = rec_of(r->holder);
		unsigned low = r->id;
		for (int n = 0; x && x != r && n < nrecs; n++) {
			low = x->id < low ? x->id : low;
			x = rec_of(x->holder);
		}
		if (x != r || low != r->id)
			continue;
		int seen = 0;
		for (int k = 0; k < ncycles; k++)
			seen |= reported_cycles[k] == low;
		if (seen)
			continue;
		if (ncycles < 64)
			reported_cycles[ncycles++] = low;
		deadlock_reports++;
		deadlock_partials++;
		coexec_say("threads in a cycle of lock waits: deadlock (other threads still run)");
		do {
			coexec_say("%s", x->line);
			x = rec_of(x->holder);
		} while (x != r);
		if (deadlock_abort)
			abort();
	}
}

void deadlock_tick(int64_t now)
{
	struct worker_iter it = WORKER_ITER;
	struct worker *w;
	if (partial_asked) {
		int all = 1;
		while ((w = worker_next(&it)))
			all &= __atomic_load_n(&w->deadlock_told, __ATOMIC_ACQUIRE) == partial_asked ||
			       !__atomic_load_n(&w->stuck, __ATOMIC_RELAXED);
		/* a worker busy computing answers late: look at what came */
		if (!all && now - partial_at < 200000000)
			return;
		spin_lock(&lines_lock);
		find_cycles();
		spin_unlock(&lines_lock);
		__atomic_store_n(&ask_partial, 0, __ATOMIC_RELEASE);
		partial_asked = 0;
		return;
	}
	if (now < next_look)
		return;
	next_look = now + LOCK_WAIT_NS;
	__atomic_add_fetch(&deadlock_epoch, 1, __ATOMIC_RELAXED);
	int stuck = 0;
	while ((w = worker_next(&it)))
		stuck += __atomic_load_n(&w->stuck, __ATOMIC_RELAXED);
	if (stuck < 2)
		return;
	nrecs = 0;
	__atomic_store_n(&ask_partial, 1, __ATOMIC_RELEASE);
	partial_asked = __atomic_add_fetch(&deadlock_asked, 1, __ATOMIC_ACQ_REL);
	partial_at = now;
	struct worker_iter kt = WORKER_ITER;
	while ((w = worker_next(&kt)))
		if (__atomic_load_n(&w->in_poll, __ATOMIC_RELAXED) &&
		    __atomic_load_n(&w->stuck, __ATOMIC_RELAXED))
			worker_kick(w); /* a worker with nobody stuck need not answer */
}

void deadlock_check(void)
{
	/* a partial look in flight ends first (its workers were kicked) */
	struct timespec ms = { 0, 1000000 };
	for (int i = 0; partial_asked && i < 300; i++) {
		SYS(SYS_nanosleep, &ms, 0, 0);
		deadlock_tick(now_ns());
	}
	unsigned long long sw = all_stuck();
	if (sw == ~0ull || sw == reported_at || kernel_timer_set())
		return;
	struct timespec pause = { 0, 100 * 1000000 };
	SYS(SYS_nanosleep, &pause, 0, 0);
	if (all_stuck() != sw)
		return;
	reported_at = sw;
	/* each worker describes its own coroutines */
	unsigned asked = __atomic_add_fetch(&deadlock_asked, 1, __ATOMIC_ACQ_REL);
	struct worker_iter it = WORKER_ITER;
	struct worker *w;
	while ((w = worker_next(&it)))
		worker_kick(w);
	for (int i = 0; i < 1000; i++) {
		int all = 1;
		struct worker_iter jt = WORKER_ITER;
		while ((w = worker_next(&jt)))
			all &= __atomic_load_n(&w->deadlock_told, __ATOMIC_ACQUIRE) == asked;
		if (all)
			break;
		SYS(SYS_nanosleep, &ms, 0, 0);
	}
	spin_lock(&lines_lock);
	deadlock_reports++;
	coexec_say("all threads are asleep: deadlock");
	for (char *l = lines, *nl; l && *l; l = nl + 1) {
		nl = strchr(l, '\n');
		*nl = 0;
		coexec_say("%s", l);
	}
	lines_len = 0;
	spin_unlock(&lines_lock);
	if (deadlock_abort)
		abort();
}
