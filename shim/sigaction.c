/* The program's signal dispositions: sigaction, signal, and SIGRTMAX.
 *
 * Every handler the program installs is recorded here and the kernel gets
 * shim/signal.c's wrapper instead (without SA_RESETHAND, which the
 * wrapper carries out, since it may pass a delivery on to another
 * coroutine). sigaction and signal report the program's own handlers,
 * never the wrapper; a handler is recorded before the wrapper is
 * installed, so a signal in between finds it. */
#include <signal.h>

#include "shim/shim.h"
#include "shim/signal.h"
#include "sched/pool.h"
#include "sched/sys.h"

static struct disp disps[2][NSIG];
static int disp_idx[NSIG];
static int disp_write_lock;

struct disp disp_get(int sig)
{
	return disps[__atomic_load_n(&disp_idx[sig], __ATOMIC_ACQUIRE)][sig];
}

void disp_put(int sig, const struct disp *d)
{
	int next = !disp_idx[sig];
	disps[next][sig] = *d;
	__atomic_store_n(&disp_idx[sig], next, __ATOMIC_RELEASE);
}

int sig_restarts(int sig)
{
	return sig > 0 && sig < NSIG && (disp_get(sig).act.sa_flags & SA_RESTART);
}

/* The top real-time signal is coexec's (shim/blocking.c): as glibc does
 * with the two it keeps at the bottom, SIGRTMAX is one less and the
 * reserved number cannot be caught. */
EXPORT int __libc_current_sigrtmax(void)
{
	return REAL_FN(__libc_current_sigrtmax)() - (pool_intr_sig ? 1 : 0);
}

static int handler_in(const struct sigaction *a)
{
	return (a->sa_flags & SA_SIGINFO) ? a->sa_sigaction != NULL
					  : a->sa_handler != SIG_DFL && a->sa_handler != SIG_IGN;
}

EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (sig == pool_intr_sig && sig) {
		errno = EINVAL;
		return -1;
	}
	if (sig <= 0 || sig >= NSIG || sig == SIGKILL || sig == SIGSTOP)
		return REAL_FN(sigaction)(sig, act, old);
	struct sigaction prev_k, copy;
	if (!act) {
		struct disp d = disp_get(sig);
		int r = REAL_FN(sigaction)(sig, NULL, &prev_k);
		if (r == 0 && old && copy_out(old, d.wrapped ? &d.act : &prev_k, sizeof *old) < 0) {
			errno = EFAULT;
			return -1;
		}
		return r;
	}
	if (copy_in(&copy, act, sizeof copy) < 0)
		return REAL_FN(sigaction)(sig, act, old);
	spin_lock(&disp_write_lock);
	struct disp prev = disp_get(sig);
	struct disp next = { .act = copy, .wrapped = handler_in(&copy) };
	struct sigaction k = copy;
	if (next.wrapped) {
		k.sa_sigaction = sig_wrapper;
		k.sa_flags = (copy.sa_flags | SA_SIGINFO) & ~SA_RESETHAND;
	}
	disp_put(sig, &next); /* first: a signal in between finds it */
	int r = REAL_FN(sigaction)(sig, &k, &prev_k);
	if (r < 0) {
		int e = errno;
		disp_put(sig, &prev);
		spin_unlock(&disp_write_lock);
		errno = e;
		return r;
	}
	spin_unlock(&disp_write_lock);
	if (old && copy_out(old, prev.wrapped ? &prev.act : &prev_k, sizeof *old) < 0) {
		errno = EFAULT;
		return -1;
	}
	return 0;
}

/* glibc's signal() calls its internal sigaction, which we never see: give
 * it the BSD semantics glibc gives it, through ours. */
EXPORT sighandler_t signal(int sig, sighandler_t h)
{
	struct sigaction act = { .sa_handler = h, .sa_flags = SA_RESTART }, old;
	sigemptyset(&act.sa_mask);
	if (sig > 0 && sig < NSIG)
		sigaddset(&act.sa_mask, sig);
	if (sigaction(sig, &act, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}

EXPORT sighandler_t bsd_signal(int sig, sighandler_t h)
{
	return signal(sig, h);
}

/* What signal() is for a program built for strict standards (glibc's
 * System V semantics: reset to the default, the signal not blocked). */
EXPORT sighandler_t __sysv_signal(int sig, sighandler_t h)
{
	struct sigaction act = { .sa_handler = h, .sa_flags = SA_RESETHAND | SA_NODEFER }, old;
	sigemptyset(&act.sa_mask);
	if (sigaction(sig, &act, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}

EXPORT sighandler_t sysv_signal(int sig, sighandler_t h) __attribute__((alias("__sysv_signal")));

/* In a forked child: no other thread is writing. */
void sigaction_atfork_child(void)
{
	disp_write_lock = 0;
}
