/* The pthread_* calls that name a thread and that glibc would answer by
 * reading its own thread descriptor: scheduling, CPU clock, affinity,
 * sigqueue. A coroutine's pthread_t is coexec's object, not glibc's, so
 * glibc must never see it (it would read and lock memory far past our
 * object). main() is a real thread and goes to glibc.
 *
 * Decisions (coexec.7, "Threads become coroutines"): a coroutine keeps its
 * own scheduling policy, priority and affinity, checked as the kernel
 * checks them, reported back as set, and not applied to the worker (which
 * runs other coroutines too); its CPU-time clock is its worker's. */
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "shim/shim.h"

/* A coroutine ours to answer for, or NULL (glibc's thread, or main). */
static struct co *ours(pthread_t t)
{
	struct co *c = co_of(t);
	return c && !c->native ? c : NULL;
}

static int check_sched(int policy, int prio)
{
	int lo = sched_get_priority_min(policy), hi = sched_get_priority_max(policy);
	if (lo < 0 || hi < 0 || prio < lo || prio > hi)
		return EINVAL;
	if (policy == SCHED_FIFO || policy == SCHED_RR) {
		struct rlimit rl;
		if (geteuid() != 0 && (getrlimit(RLIMIT_RTPRIO, &rl) < 0 ||
				       (rl.rlim_cur != RLIM_INFINITY && (rlim_t)prio > rl.rlim_cur)))
			return EPERM;
	}
	return 0;
}

void co_sched_inherit(struct co *co, struct co *creator, const pthread_attr_t *attr)
{
	int inherit = PTHREAD_INHERIT_SCHED;
	if (attr && pthread_attr_getinheritsched(attr, &inherit) == 0 &&
	    inherit == PTHREAD_EXPLICIT_SCHED) {
		struct sched_param sp = { 0 };
		pthread_attr_getschedpolicy(attr, &co->sched_policy);
		pthread_attr_getschedparam(attr, &sp);
		co->sched_prio = sp.sched_priority;
		return;
	}
	if (creator->native) {
		struct sched_param sp = { 0 };
		int policy = SCHED_OTHER;
		if (REAL_FN(pthread_getschedparam)(creator->native, &policy, &sp) == 0) {
			co->sched_policy = policy;
			co->sched_prio = sp.sched_priority;
		}
		return;
	}
	co->sched_policy = creator->sched_policy;
	co->sched_prio = creator->sched_prio;
}

EXPORT int pthread_getschedparam(pthread_t t, int *policy, struct sched_param *sp)
{
	struct co *c = ours(t);
	if (!c)
		return REAL_FN(pthread_getschedparam)(co_of(t) ? co_of(t)->native : t, policy, sp);
	*policy = c->sched_policy;
	memset(sp, 0, sizeof *sp);
	sp->sched_priority = c->sched_prio;
	return 0;
}

EXPORT int pthread_setschedparam(pthread_t t, int policy, const struct sched_param *sp)
{
	struct co *c = ours(t);
	if (!c)
		return REAL_FN(pthread_setschedparam)(co_of(t) ? co_of(t)->native : t, policy, sp);
	int base = policy & ~SCHED_RESET_ON_FORK;
	int r = check_sched(base, sp->sched_priority);
	if (r)
		return r;
	c->sched_policy = base;
	c->sched_prio = sp->sched_priority;
	LOG(LOG_SCHED, "co%u: scheduling policy %d priority %d kept, not applied to the worker",
	    c->id, base, sp->sched_priority);
	return 0;
}

EXPORT int pthread_setschedprio(pthread_t t, int prio)
{
	struct co *c = ours(t);
	if (!c)
		return REAL_FN(pthread_setschedprio)(co_of(t) ? co_of(t)->native : t, prio);
	int r = check_sched(c->sched_policy, prio);
	if (!r)
		c->sched_prio = prio;
	return r;
}

EXPORT int pthread_getcpuclockid(pthread_t t, clockid_t *clk)
{
	struct co *c = ours(t);
	return REAL_FN(pthread_getcpuclockid)(c ? c->w->native : co_of(t) ? co_of(t)->native : t,
					      clk);
}

EXPORT int pthread_setaffinity_np(pthread_t t, size_t size, const cpu_set_t *set)
{
	struct co *c = ours(t);
	if (!c)
		return REAL_FN(pthread_setaffinity_np)(co_of(t) ? co_of(t)->native : t, size, set);
	/* The kernel refuses a mask with no CPU the process may use. */
	cpu_set_t allowed;
	if (sched_getaffinity(0, sizeof allowed, &allowed) < 0)
		return errno;
	int any = 0;
	for (size_t cpu = 0; cpu < size * 8 && cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET_S(cpu, size, set) && CPU_ISSET(cpu, &allowed))
			any = 1;
	if (!any)
		return EINVAL;
	void *copy = malloc(size);
	if (!copy)
		return ENOMEM;
	memcpy(copy, set, size);
	free(c->affinity);
	c->affinity = copy;
	c->affinity_size = size;
	return 0;
}

EXPORT int pthread_getaffinity_np(pthread_t t, size_t size, cpu_set_t *set)
{
	struct co *c = ours(t);
	if (!c || !c->affinity)
		return REAL_FN(pthread_getaffinity_np)(c ? c->w->native
						       : co_of(t) ? co_of(t)->native : t, size, set);
	if (size < c->affinity_size) {
		/* as the kernel: too small for a CPU that is set */
		for (size_t cpu = size * 8; cpu < c->affinity_size * 8; cpu++)
			if (CPU_ISSET_S(cpu, c->affinity_size, (cpu_set_t *)c->affinity))
				return EINVAL;
	}
	memset(set, 0, size);
	memcpy(set, c->affinity, size < c->affinity_size ? size : c->affinity_size);
	return 0;
}
