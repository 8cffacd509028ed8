/* Waiting for children: wait, waitpid, wait3, wait4 and waitid, and the
 * glibc calls that wait inside themselves, system and pclose.
 *
 * The wait family first asks with WNOHANG on the worker: a child that has
 * already changed state, a caller without children or bad arguments cost
 * one system call, as natively. A wait for the end of one child parks on
 * its pidfd (a thousand waits then hold no thread); any other real wait
 * goes to the pool, where the kernel lets any thread of the process wait
 * for any of its children.
 * As natively, each is a cancellation point, and a handled signal
 * interrupts it (EINTR) unless its handler has SA_RESTART.
 * system and pclose run whole on the pool: glibc restarts their waits
 * after a signal itself, so nothing interrupts them natively either. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "shim/blocking.h"
#include "shim/shim.h"
#include "sched/sys.h"

/* The caller parks instead of blocking, or NULL: make the real call. */
static struct co *waiter(int options)
{
	struct co *self = co_self();
	if (!self || co_may_block(self->w) || (options & WNOHANG))
		return NULL;
	cancel_point(self);
	return self;
}

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* Waiting for the end of one child needs no thread: its pidfd becomes
 * readable when it exits, and the coroutine parks on that like on a
 * socket. 1: it has ended (reap it now); 0: no pidfd here (Linux before
 * 5.3, no descriptor left): use the pool; <0: the wait's error. */
static int pidfd_wait(struct co *self, pid_t pid)
{
	long pfd = SYS(SYS_pidfd_open, pid, 0, 0);
	if (pfd < 0)
		return 0;
	struct fdent *e = fd_fresh(pfd);
	int r = e ? 1 : 0;
	while (e) {
		int w = fd_wait(pfd, e, EPOLLIN, -1, PARK_CHILD);
		if (w == 0)
			break;
		if (w == -EINTR && intr_restart(self, 1))
			continue;
		r = w == -EINTR ? -EINTR : 0; /* anything else: the pool waits instead */
		break;
	}
	fd_forget(pfd);
	sys_close(pfd);
	return r;
}

static pid_t wait4_core(struct co *self, enum bcall id, pid_t pid, int *st, int options,
			struct rusage *ru)
{
	long r = SYS4(SYS_wait4, pid, st, options | WNOHANG, ru);
	if (r != 0)
		return sysret(r);
	if (pid > 0 && !(options & (WUNTRACED | WCONTINUED))) {
		int ended = pidfd_wait(self, pid);
		if (ended < 0)
			return sysret(ended);
		if (ended)
			return sysret(SYS4(SYS_wait4, pid, st, options, ru));
	}
	return sysret(blocking_sys(self, id, BC_INTR | BC_RESTART | BC_CANCEL, PARK_CHILD, -1,
				   SYS_wait4, pid, (long)st, options, (long)ru, 0, 0));
}

EXPORT pid_t wait4(pid_t pid, int *st, int options, struct rusage *ru)
{
	REAL_WHILE_UNTHREADED(wait4, pid, st, options, ru);
	struct co *self = waiter(options);
	if (!self)
		return REAL_FN(wait4)(pid, st, options, ru);
	return wait4_core(self, BC_WAIT4, pid, st, options, ru);
}

EXPORT pid_t waitpid(pid_t pid, int *st, int options)
{
	REAL_WHILE_UNTHREADED(waitpid, pid, st, options);
	struct co *self = waiter(options);
	if (!self)
		return REAL_FN(waitpid)(pid, st, options);
	return wait4_core(self, BC_WAITPID, pid, st, options, NULL);
}

EXPORT pid_t wait(int *st)
{
	REAL_WHILE_UNTHREADED(wait, st);
	struct co *self = waiter(0);
	if (!self)
		return REAL_FN(wait)(st);
	return wait4_core(self, BC_WAIT, -1, st, 0, NULL);
}

EXPORT pid_t wait3(int *st, int options, struct rusage *ru)
{
	REAL_WHILE_UNTHREADED(wait3, st, options, ru);
	struct co *self = waiter(options);
	if (!self)
		return REAL_FN(wait3)(st, options, ru);
	return wait4_core(self, BC_WAIT3, -1, st, options, ru);
}

EXPORT int waitid(idtype_t type, id_t id, siginfo_t *info, int options)
{
	REAL_WHILE_UNTHREADED(waitid, type, id, info, options);
	struct co *self = waiter(options);
	if (!self || !info)
		return REAL_FN(waitid)(type, id, info, options);
	/* With WNOHANG and nothing to report the kernel leaves si_pid 0
	 * (it zeroes the siginfo it writes; a bad pointer fails here). */
	long r = SYS6(SYS_waitid, type, id, info, options | WNOHANG, 0, 0);
	if (r < 0)
		return sysret(r);
	if (info->si_pid != 0)
		return 0;
	return sysret(blocking_sys(self, BC_WAITID, BC_INTR | BC_RESTART | BC_CANCEL, PARK_CHILD,
				   -1, SYS_waitid, type, id, (long)info, options, 0, 0));
}

struct whole {
	const char *cmd;
	FILE *f;
	uint64_t mask;  /* the caller's signal mask */
};

/* The call runs with the caller's signal mask, which the command that
 * system and popen start inherits, as it does natively. */
static long run_whole(struct whole *w, int is_system)
{
	uint64_t pool_mask;
	SYS4(SYS_rt_sigprocmask, SIG_SETMASK, &w->mask, &pool_mask, 8);
	int r = is_system ? REAL_FN(system)(w->cmd) : REAL_FN(pclose)(w->f);
	SYS4(SYS_rt_sigprocmask, SIG_SETMASK, &pool_mask, 0, 8);
	return r;
}

static long run_system(const long *a)
{
	return run_whole((struct whole *)a[0], 1);
}

static long run_pclose(const long *a)
{
	return run_whole((struct whole *)a[0], 0);
}

static int whole_call(struct co *self, enum bcall id, long (*fn)(const long *), struct whole *w)
{
	struct bjob b = { .fn = fn, .a = { (long)w }, .fd = -1, .path = w->cmd };
	SYS4(SYS_rt_sigprocmask, SIG_BLOCK, 0, &w->mask, 8);
	return blocking(self, id, 0, PARK_CHILD, &b);
}

EXPORT int system(const char *cmd)
{
	proc_share();
	struct co *self = co_self();
	if (!cmd || !self || co_may_block(self->w))
		return REAL_FN(system)(cmd);
	cancel_point(self);
	struct whole w = { .cmd = cmd };
	return whole_call(self, BC_SYSTEM, run_system, &w);
}

/* pclose closes the stream's descriptor inside glibc: forget the number
 * first (a later descriptor with it must not inherit a stale entry). */
EXPORT int pclose(FILE *f)
{
	int fd = f ? fileno(f) : -1;
	if (fd >= 0)
		fd_forget(fd);
	struct co *self = co_self();
	if (!f || !self || co_may_block(self->w))
		return REAL_FN(pclose)(f);
	struct whole w = { .f = f };
	return whole_call(self, BC_PCLOSE, run_pclose, &w);
}
