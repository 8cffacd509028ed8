/* Signals that interrupt parked calls.
 *
 * Natively a handled signal makes the blocked system call of the thread it
 * lands on return EINTR (or restart, with SA_RESTART, where the kernel
 * restarts). Under coexec that thread is a parked coroutine the kernel knows
 * nothing about, so we wrap every handler the program installs: the wrapper
 * picks the coroutine the kernel would have interrupted, tells the scheduler
 * (co_interrupt), then runs the program's handler.
 *
 * Which coroutine: a signal sent with pthread_kill to a coroutine goes to
 * that one (our pthread_kill leaves a note); one sent to the process (kill,
 * alarm, a terminal) goes to main(), as the kernel prefers the main thread;
 * one a thread raised at itself finds that thread running, and interrupts
 * nothing. sigaction and signal report the program's own handlers, never
 * the wrapper. */
#include <signal.h>
#include <string.h>

#include "shim/shim.h"
#include "sched/pool.h"

static struct sigaction user_act[NSIG];
static unsigned char wrapped[NSIG];
static struct co *kill_note[NSIG];

static void wrapper(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	struct worker *w = worker_self();
	struct sigaction act = user_act[sig];

	if (act.sa_flags & SA_RESETHAND) {
		/* the kernel has already reset the disposition */
		memset(&user_act[sig], 0, sizeof user_act[sig]);
		user_act[sig].sa_handler = SIG_DFL;
		wrapped[sig] = 0;
	}
	if (w) {
		struct co *target = __atomic_exchange_n(&kill_note[sig], NULL, __ATOMIC_ACQ_REL);
		if (!target && si && si->si_code != SI_TKILL && co_main && !co_main->exited)
			target = co_main;
		if (target)
			co_interrupt(target, sig);
	}
	errno = saved;
	if (act.sa_flags & SA_SIGINFO)
		act.sa_sigaction(sig, si, uc);
	else if (act.sa_handler != SIG_DFL && act.sa_handler != SIG_IGN)
		act.sa_handler(sig);
}

/* In a forked child: the notes name the parent's coroutines. */
void sig_atfork_child(void)
{
	for (int i = 0; i < NSIG; i++)
		kill_note[i] = NULL;
}

int sig_restarts(int sig)
{
	return sig > 0 && sig < NSIG && (user_act[sig].sa_flags & SA_RESTART);
}

void sig_note_kill(struct co *target, int sig)
{
	if (sig > 0 && sig < NSIG)
		__atomic_store_n(&kill_note[sig], target, __ATOMIC_RELEASE);
}

/* The top real-time signal is coexec's (shim/blocking.c): as glibc does
 * with the two it keeps at the bottom, SIGRTMAX is one less and the
 * reserved number cannot be caught. */
EXPORT int __libc_current_sigrtmax(void)
{
	return REAL_FN(__libc_current_sigrtmax)() - (pool_intr_sig ? 1 : 0);
}

EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (sig == pool_intr_sig && sig) {
		errno = EINVAL;
		return -1;
	}
	if (sig <= 0 || sig >= NSIG || sig == SIGKILL || sig == SIGSTOP)
		return REAL_FN(sigaction)(sig, act, old);
	struct sigaction mine, prev, copy;
	if (act) {
		if (copy_in(&copy, act, sizeof copy) < 0)
			return REAL_FN(sigaction)(sig, act, old);
		mine = copy;
		int handler = !(copy.sa_flags & SA_SIGINFO) ?
			copy.sa_handler != SIG_DFL && copy.sa_handler != SIG_IGN : copy.sa_sigaction != NULL;
		if (handler) {
			mine.sa_sigaction = wrapper;
			mine.sa_flags |= SA_SIGINFO;
		}
		int r = REAL_FN(sigaction)(sig, &mine, &prev);
		if (r < 0)
			return r;
		if (old)
			*old = wrapped[sig] ? user_act[sig] : prev;
		user_act[sig] = copy;
		wrapped[sig] = handler;
		return 0;
	}
	int r = REAL_FN(sigaction)(sig, NULL, &prev);
	if (r == 0 && old)
		*old = wrapped[sig] ? user_act[sig] : prev;
	return r;
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
