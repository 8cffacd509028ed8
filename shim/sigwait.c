/* Signal masks, and the waits for signals, per coroutine: sigprocmask,
 * pthread_sigmask, sigpending, sigsuspend, pause, sigwait, sigwaitinfo,
 * sigtimedwait, and the longjmps that restore a saved mask.
 *
 * A coroutine's mask is its own (sched/sigmask.c keeps the kernel's in
 * step while it runs). A wait for signals parks: it takes what is pending
 * for the coroutine or the process at our level (shim/signal.c) or the
 * kernel's, else it waits on a signalfd for its set, which the kernel
 * makes readable when one of them is sent to the process while every
 * coroutine blocks it, and on the list of waiters the routing of arrivals
 * gives signals to. */
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include "shim/shim.h"
#include "shim/signal.h"
#include "sched/pool.h"
#include "sched/rtfd.h"
#include "sched/sys.h"

/* The signals the kernel has pending for this thread or the process among
 * want, taken one by one into our own queue for self: a mask change that
 * unblocks them must find them as natively, for the coroutine making it. */
static void claim_kernel(struct co *self, uint64_t want)
{
	uint64_t kp = 0;
	if (!want || SYS(SYS_rt_sigpending, &kp, 8, 0) < 0 || !(kp & want))
		return;
	struct timespec zero = { 0, 0 };
	siginfo_t info;
	while (SYS4(SYS_rt_sigtimedwait, &want, &info, &zero, 8) > 0)
		sig_send_co(self, &info);
}

/* The mask change of rt_sigprocmask for coroutine self: 0 or -errno. */
static int mask_change(struct co *self, int how, const sigset_t *set, sigset_t *old)
{
	uint64_t cur = self->sigmask, m = cur;
	if (set) {
		uint64_t s;
		if (copy_in(&s, set, sizeof s) < 0)
			return -EFAULT;
		switch (how) {
		case SIG_BLOCK: m |= s; break;
		case SIG_UNBLOCK: m &= ~s; break;
		case SIG_SETMASK: m = s; break;
		default: return -EINVAL;
		}
		m &= ~sig_keep_open;
		claim_kernel(self, cur & ~m);
		co_set_sigmask(self, m);
	}
	int r = 0;
	if (old && copy_out(old, &cur, sizeof cur) < 0)
		r = -EFAULT;
	co_sig_run(self);
	return r;
}

EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	struct co *self = co_self();
	if (!self)
		return REAL_FN(pthread_sigmask)(how, set, old);
	return -mask_change(self, how, set, old);
}

EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	struct co *self = co_self();
	if (!self)
		return REAL_FN(sigprocmask)(how, set, old);
	return (int)sysret(mask_change(self, how, set, old));
}

EXPORT int sigpending(sigset_t *set)
{
	struct co *self = co_self();
	if (!self)
		return REAL_FN(sigpending)(set);
	uint64_t kp = 0;
	SYS(SYS_rt_sigpending, &kp, 8, 0);
	uint64_t p = kp | (sig_pending_of(self) & self->sigmask);
	if (copy_out(set, &p, sizeof p) < 0)
		return (int)sysret(-EFAULT);
	return 0;
}

uint64_t sig_mask_push(struct co *self, const sigset_t *mask)
{
	uint64_t old = self->sigmask, m;
	if (copy_in(&m, mask, sizeof m) < 0)
		return old;
	m &= ~sig_keep_open;
	claim_kernel(self, old & ~m);
	co_set_sigmask(self, m);
	return old;
}

void sig_mask_pop(struct co *self, uint64_t old)
{
	co_set_sigmask(self, old);
}

/* Wait, with mask m in force, until a handler has run (sigsuspend, pause). */
static int suspend(struct co *self, uint64_t m)
{
	uint64_t old = self->sigmask;
	m &= ~sig_keep_open;
	claim_kernel(self, old & ~m);
	co_set_sigmask(self, m);
	for (;;) {
		if (co_sig_deliverable(self)) {
			unsigned ran = self->sig_handled;
			sig_deliver(self);
			if (self->sig_handled != ran)
				break;
			continue; /* ignored, or stopped and continued: wait on */
		}
		int r = co_park(PARK_SIGNAL, -1);
		if (r == -EINTR && co_intr_sig(self) == CO_SIG_CANCEL && !self->cancel_disabled) {
			co_set_sigmask(self, old);
			cancel_point(self);
			co_set_sigmask(self, m);
		}
	}
	co_set_sigmask(self, old);
	co_sig_run(self);
	return -EINTR;
}

EXPORT int sigsuspend(const sigset_t *mask)
{
	struct co *self = co_self();
	if (!self)
		return REAL_FN(sigsuspend)(mask);
	cancel_point(self);
	uint64_t m;
	if (copy_in(&m, mask, sizeof m) < 0)
		return (int)sysret(-EFAULT);
	return (int)sysret(suspend(self, m));
}

EXPORT int pause(void)
{
	struct co *self = co_self();
	if (!self)
		return REAL_FN(pause)();
	cancel_point(self);
	return (int)sysret(suspend(self, self->sigmask));
}

/* Take a signal of set: ours, then the kernel's. Its number or 0. */
static int take_any(struct co *self, uint64_t set, siginfo_t *info)
{
	int sig = sig_take(self, set, info);
	if (sig)
		return sig;
	struct timespec zero = { 0, 0 };
	long r = SYS4(SYS_rt_sigtimedwait, &set, info, &zero, 8);
	return r > 0 ? (int)r : 0;
}

/* Close the signalfd a wait parked on (kept above the program's
 * descriptors, rtfd.h). */
static void sfd_close(int *sfd, struct fdent **e)
{
	if (*e)
		fd_forget(*sfd);
	if (*sfd >= 0) {
		rtfd_drop(sfd);
		sys_close(*sfd);
	}
	*sfd = -1;
	*e = NULL;
}

/* The wait of sigtimedwait: a signal's number, -EAGAIN at the deadline,
 * -EINTR when a handler for another signal ran (again: wait on after it,
 * as sigwait does). */
static int wait_set(struct co *self, uint64_t set, siginfo_t *info, int64_t deadline, int again)
{
	set &= ~sig_keep_open;
	int sig = take_any(self, set, info);
	if (sig || deadline == 0) {
		if (sig)
			LOG(LOG_SIGNAL, "signal %d taken by sigwait, pending already", sig);
		return sig ? sig : -EAGAIN;
	}
	int sfd = (int)SYS4(SYS_signalfd4, -1, &set, 8, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd >= 0)
		rtfd_hide(sfd, &sfd, 0);
	struct fdent *e = sfd >= 0 ? fd_fresh(sfd) : NULL;
	int r;
	for (;;) {
		struct sigwaiter sw = { .co = self, .set = set };
		self->sigwait_got = 0;
		sig_lock(self->w);
		sig_waiter_add(&sw);
		sig_unlock(self->w);
		/* a signal queued before we were on the list */
		sig = sig_take(self, set, info);
		int w = 0;
		if (!sig)
			w = e ? fd_wait(sfd, e, EPOLLIN, deadline, PARK_SIGNAL)
			      : co_park(PARK_SIGNAL, deadline < 0 || deadline > now_ns() + 10000000
							 ? now_ns() + 10000000 : deadline);
		sig_lock(self->w);
		sig_waiter_remove(&sw);
		sig_unlock(self->w);
		if (sw.got) {
			if (sig) /* both: put the second back for later */
				sig_send_co(self, info);
			*info = sw.info;
			r = sw.got;
			break;
		}
		if (!sig)
			sig = take_any(self, set, info);
		if (sig) {
			r = sig;
			break;
		}
		if (w == -ETIMEDOUT || (deadline >= 0 && now_ns() >= deadline)) {
			r = -EAGAIN;
			break;
		}
		if (w == -EINTR && co_intr_sig(self) != CO_SIG_CANCEL) {
			if (!again) {
				r = -EINTR;
				break;
			}
			sig_deliver(self);
		} else if (w == -EINTR && self->cancel_pending && !self->cancel_disabled) {
			sfd_close(&sfd, &e);
			cancel_act(self);
		}
	}
	sfd_close(&sfd, &e);
	self->sigwait_got = 0;
	if (r > 0)
		LOG(LOG_SIGNAL, "signal %d taken by sigwait", r);
	return r;
}

EXPORT int sigwait(const sigset_t *set, int *sig)
{
	struct co *self = co_self();
	if (!self)
		return REAL_FN(sigwait)(set, sig);
	cancel_point(self);
	uint64_t s;
	if (copy_in(&s, set, sizeof s) < 0)
		return EFAULT;
	siginfo_t info;
	int r = wait_set(self, s, &info, -1, 1);
	if (r < 0)
		return -r;
	*sig = r;
	return 0;
}

static int timed(struct co *self, const sigset_t *set, siginfo_t *info, int64_t deadline)
{
	cancel_point(self);
	uint64_t s;
	if (copy_in(&s, set, sizeof s) < 0)
		return (int)sysret(-EFAULT);
	siginfo_t mine;
	int r = wait_set(self, s, &mine, deadline, 0);
	if (r > 0 && info && copy_out(info, &mine, sizeof mine) < 0)
		return (int)sysret(-EFAULT);
	return (int)sysret(r);
}

EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
	struct co *self = co_self();
	if (!self)
		return REAL_FN(sigwaitinfo)(set, info);
	return timed(self, set, info, -1);
}

EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *ts)
{
	struct co *self = co_self();
	if (!self)
		return REAL_FN(sigtimedwait)(set, info, ts);
	int64_t deadline = -1;
	if (ts) {
		struct timespec t;
		if (copy_in(&t, ts, sizeof t) < 0)
			return (int)sysret(-EFAULT);
		if (t.tv_sec < 0 || t.tv_nsec < 0 || t.tv_nsec >= 1000000000)
			return (int)sysret(-EINVAL);
		deadline = t.tv_sec == 0 && t.tv_nsec == 0 ? 0 : deadline_in(ts_ns(&t));
	}
	return timed(self, set, info, deadline);
}

/* A longjmp restores the mask sigsetjmp saved (the kernel's, which was
 * the coroutine's): the coroutine's record follows. Leaving a handler so
 * also ends it. */
static void before_jump(struct __jmp_buf_tag *env)
{
	struct co *self = co_self();
	if (!self)
		return;
	self->sig_async = 0;
	struct pool_job *j = self->live_job;
	if (j) {
		/* out of a handler that ran during a call on the pool: the
		 * call ends first, since it writes into the frames we leave */
		self->live_job = NULL;
		pool_interrupt(j, PARK_POOL);
		pool_release(j);
	}
	if (env->__mask_was_saved)
		co_note_sigmask(self, sigset_word(&env->__saved_mask) & ~sig_keep_open);
}

EXPORT void siglongjmp(sigjmp_buf env, int val)
{
	before_jump(env);
	REAL_FN(siglongjmp)(env, val);
	__builtin_unreachable();
}

EXPORT void longjmp(jmp_buf env, int val) __attribute__((alias("siglongjmp")));
EXPORT void _longjmp(jmp_buf env, int val) __attribute__((alias("siglongjmp")));

EXPORT void __longjmp_chk(sigjmp_buf env, int val)
{
	before_jump(env);
	REAL_FN(__longjmp_chk)(env, val);
	__builtin_unreachable();
}

/* The alternate signal stack is per thread: a coroutine's is in the
 * kernel while it runs (sig_resume puts it there). */
EXPORT int sigaltstack(const stack_t *ss, stack_t *old)
{
	struct co *self = co_self();
	if (!self)
		return REAL_FN(sigaltstack)(ss, old);
	int r = REAL_FN(sigaltstack)(ss, old);
	if (r < 0 || !ss)
		return r;
	stack_t now;
	if (REAL_FN(sigaltstack)(NULL, &now) < 0)
		return r;
	if (now.ss_flags & SS_DISABLE) {
		free(self->altstack);
		self->altstack = NULL;
	} else {
		stack_t *mine = self->altstack ? self->altstack : malloc(sizeof *mine);
		if (mine) {
			*mine = now;
			mine->ss_flags &= ~SS_ONSTACK;
		}
		self->altstack = mine;
	}
	self->w->altstack = self->altstack;
	return r;
}
