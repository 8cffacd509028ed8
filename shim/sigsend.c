/* Signals for one thread: pthread_kill, pthread_sigqueue, raise.
 *
 * Natively these queue the signal on the target kernel thread. Under
 * coexec the target is a coroutine the kernel does not know, so they queue
 * it on the coroutine (shim/signal.c), with the siginfo the kernel would
 * have written (SI_TKILL or SI_QUEUE, our pid and uid); the coroutine runs
 * the handler, or takes it in sigwait, as a thread would. A signal a
 * thread sends itself runs its handler before the call returns. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "shim/shim.h"
#include "shim/signal.h"
#include "sched/pool.h"
#include "sched/sys.h"

/* What glibc refuses to send: its own two, and ours. */
static int reserved(int sig)
{
	return sig == 32 || sig == 33 || (pool_intr_sig && sig == pool_intr_sig);
}

static int send_co(struct co *c, int sig, int code, const union sigval *val)
{
	if (sig < 0 || sig >= NSIG || reserved(sig))
		return EINVAL;
	if (sig == 0 || __atomic_load_n(&c->exited, __ATOMIC_SEQ_CST))
		return 0; /* glibc (2.34 on): not an error for an exited thread */
	siginfo_t info;
	memset(&info, 0, sizeof info);
	info.si_signo = sig;
	info.si_code = code;
	info.si_pid = (pid_t)sys_getpid();
	info.si_uid = getuid();
	if (val)
		info.si_value = *val;
	if (sig_send_co(c, &info) < 0)
		return EAGAIN;
	struct co *self = co_self();
	if (c == self)
		co_sig_run(self);
	return 0;
}

EXPORT int pthread_kill(pthread_t t, int sig)
{
	struct co *c = co_of(t);
	if (!c)
		return REAL_FN(pthread_kill)(t, sig);
	return send_co(c, sig, SI_TKILL, NULL);
}

EXPORT int pthread_sigqueue(pthread_t t, int sig, const union sigval value)
{
	struct co *c = co_of(t);
	if (!c)
		return REAL_FN(pthread_sigqueue)(t, sig, value);
	return send_co(c, sig, SI_QUEUE, &value);
}

/* glibc's raise signals the calling thread with its internal tgkill. */
EXPORT int raise(int sig)
{
	struct co *self = co_self();
	if (!self)
		return REAL_FN(raise)(sig);
	int r = send_co(self, sig, SI_TKILL, NULL);
	if (r) {
		errno = r;
		return -1;
	}
	return 0;
}

EXPORT int gsignal(int sig) __attribute__((alias("raise")));

/* timer_create with SIGEV_THREAD_ID names a kernel thread: a coroutine
 * gets one from gettid(), its worker's, which its worker's other
 * coroutines share. Which coroutine the timer's signal is for is then a
 * guess (shim/signal.c routes it among that worker's); we remember who
 * made each such timer, since a thread often aims one at itself. */
#define NTIMERS 256
static struct { int id; struct co *co; } thread_timers[NTIMERS];
static int timers_lock;

EXPORT int timer_create(clockid_t clk, struct sigevent *sev, timer_t *out)
{
	int r = REAL_FN(timer_create)(clk, sev, out);
	struct co *self = co_self();
	if (r < 0 || !self || !sev || sev->sigev_notify != SIGEV_THREAD_ID)
		return r;
	int id = (int)(intptr_t)*out;
	spin_lock(&timers_lock);
	for (int i = 0; i < NTIMERS; i++)
		if (!thread_timers[i].co) {
			thread_timers[i].id = id;
			thread_timers[i].co = self;
			break;
		}
	spin_unlock(&timers_lock);
	return r;
}

EXPORT int timer_delete(timer_t t)
{
	int id = (int)(intptr_t)t;
	spin_lock(&timers_lock);
	for (int i = 0; i < NTIMERS; i++)
		if (thread_timers[i].co && thread_timers[i].id == id)
			thread_timers[i].co = NULL;
	spin_unlock(&timers_lock);
	return REAL_FN(timer_delete)(t);
}

struct co *sig_timer_owner(const siginfo_t *si, int *thread_timer)
{
	*thread_timer = 0;
	if (si->si_code != SI_TIMER)
		return NULL;
	for (int i = 0; i < NTIMERS; i++) {
		struct co *co = __atomic_load_n(&thread_timers[i].co, __ATOMIC_ACQUIRE);
		if (co && thread_timers[i].id == si->si_timerid) {
			*thread_timer = 1;
			return co->magic == CO_MAGIC && co->listed ? co : NULL;
		}
	}
	return NULL;
}
