/* Signals as each thread would see them natively: where an arriving signal
 * goes, and how a coroutine runs its handler.
 *
 * The kernel sees workers, not coroutines. Every handler the program
 * installs is wrapped; the wrapper decides which coroutine the signal is
 * for, as the kernel would have chosen a thread:
 *   - a fault (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS from the
 *     kernel) belongs to the coroutine that faulted: its handler runs at
 *     once;
 *   - one sent to a thread (tgkill, raise inside glibc, SIGPIPE of its own
 *     write) belongs to the coroutine that was running;
 *   - one sent to the process goes to a coroutine waiting for it in
 *     sigwait, else to main() if main does not block it (the kernel
 *     prefers the main thread), else to the coroutine it landed on, else
 *     to any coroutine that does not block it; if every one blocks it, it
 *     stays pending for the process until one unblocks or waits for it.
 * Our pthread_kill and raise never involve the kernel's choice: they queue
 * the signal on the coroutine (shim/sigsend.c).
 *
 * (shim/sigroute.c carries that out.)
 *
 * A signal for the coroutine whose code it interrupted runs its handler
 * there and then, as natively. Otherwise it waits in that coroutine's
 * pending list, and the coroutine is woken: a wait that a signal ends
 * returns EINTR and the hook runs the handler as it returns (sysret,
 * intr_restart), after undoing its wait, so that a siglongjmp out of the
 * handler leaves nothing of ours behind; a wait no signal ends (a mutex, a
 * join) runs it and waits on. A coroutine running on another worker is
 * rung (the reserved signal, sig_doorbell). A signal that lands while the
 * worker runs coexec's own code is queued the same way, for the running
 * coroutine, and runs as the hook returns.
 *
 * To run a handler, the coroutine raises the signal at its own kernel
 * thread with the saved siginfo (rt_tgsigqueueinfo): the kernel then does
 * everything it does natively, the mask during the handler, SA_RESTART,
 * SA_NODEFER, SA_ONSTACK, the default action (a core dump, a stop) or
 * none for an ignored signal, and the frame a siglongjmp unwinds. The
 * program's handlers are kept by shim/sigaction.c. */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "shim/shim.h"
#include "shim/signal.h"
#include "sched/pool.h"
#include "sched/sys.h"

/* ---- Pending signals -----------------------------------------------------
 * Entries come from a fixed pool: they are taken in signal handlers. */
#define NENT 4096
static struct sigent ents[NENT];
static struct sigent *ent_free;
static int ents_ready;
struct sigent *proc_q;                /* pending for the process */
struct sigwaiter *waiters;

struct sigent *ent_alloc(void)
{
	if (!ents_ready) {
		for (int i = 0; i < NENT; i++) {
			ents[i].next = ent_free;
			ent_free = &ents[i];
		}
		ents_ready = 1;
	}
	struct sigent *e = ent_free;
	if (e)
		ent_free = e->next;
	return e;
}

void ent_release(struct sigent *e)
{
	e->next = ent_free;
	ent_free = e;
}

/* Queue info on list *q whose pending set is *set. A standard signal
 * already pending is not queued twice, as in the kernel. 0, or -EAGAIN
 * when no entry is left. Under sig_lock. */
int enqueue(struct sigent **q, uint64_t *set, const siginfo_t *info)
{
	int sig = info->si_signo;
	if (sig < SIGRTMIN_KERNEL && (*set & SIGBIT(sig)))
		return 0;
	struct sigent *e = ent_alloc();
	if (!e)
		return -EAGAIN;
	e->info = *info;
	e->next = NULL;
	while (*q)
		q = &(*q)->next;
	*q = e;
	__atomic_or_fetch(set, SIGBIT(sig), __ATOMIC_SEQ_CST);
	return 0;
}

/* The next signal of list *q in want, lowest number first and in order for
 * one number (the kernel's order); taken off the list. Under sig_lock. */
static int dequeue(struct sigent **q, uint64_t *set, uint64_t want, siginfo_t *out)
{
	uint64_t have = *set & want;
	if (!have)
		return 0;
	int sig = __builtin_ctzll(have) + 1;
	struct sigent **pp = q, *e;
	while ((e = *pp) && e->info.si_signo != sig)
		pp = &e->next;
	if (!e) { /* cannot happen: the set follows the list */
		__atomic_and_fetch(set, ~SIGBIT(sig), __ATOMIC_SEQ_CST);
		return 0;
	}
	*pp = e->next;
	*out = e->info;
	ent_release(e);
	int more = 0;
	for (e = *pp; e && !more; e = e->next)
		more = e->info.si_signo == sig;
	if (!more)
		__atomic_and_fetch(set, ~SIGBIT(sig), __ATOMIC_SEQ_CST);
	return sig;
}

int sig_take(struct co *self, uint64_t want, siginfo_t *out)
{
	int sig;
	sig_lock(self->w);
	sig = dequeue((struct sigent **)&self->sigq, &self->sigpend, want, out);
	if (!sig)
		sig = dequeue(&proc_q, &sig_proc_pending, want, out);
	sig_unlock(self->w);
	return sig;
}

uint64_t sig_pending_of(struct co *self)
{
	return __atomic_load_n(&self->sigpend, __ATOMIC_SEQ_CST) |
	       __atomic_load_n(&sig_proc_pending, __ATOMIC_SEQ_CST);
}

/* ---- Waiters in sigwait (shim/sigwait.c) ---------------------------------- */
void sig_waiter_add(struct sigwaiter *sw)
{
	sw->next = waiters;
	waiters = sw;
}

void sig_waiter_remove(struct sigwaiter *sw)
{
	for (struct sigwaiter **pp = &waiters; *pp; pp = &(*pp)->next)
		if (*pp == sw) {
			*pp = sw->next;
			return;
		}
}

/* ---- Running a handler -------------------------------------------------- */
/* Our own code, where a handler of the program's must not run: from the
 * ELF header to the end of the text. */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern const char __etext[] __attribute__((visibility("hidden")));

static int in_coexec(const ucontext_t *uc)
{
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	return pc >= (uintptr_t)__ehdr_start && pc < (uintptr_t)__etext;
}

static uint64_t uc_mask(const ucontext_t *uc)
{
	uint64_t m;
	memcpy(&m, &uc->uc_sigmask, sizeof m);
	return m;
}

/* Call the program's handler for sig, in the frame the kernel made: on
 * the coroutine cur (NULL: a thread coexec does not run). async: it
 * interrupted the coroutine's own code. */
static void invoke(struct co *cur, int sig, siginfo_t *si, ucontext_t *uc, int saved_errno,
		   int async)
{
	struct disp d = disp_get(sig);
	if (!d.wrapped)
		return; /* changed since it arrived: the kernel has the new one */
	if (d.act.sa_flags & SA_RESETHAND) {
		/* never given to the kernel: it would reset the wrapper on a
		 * delivery we pass on to another coroutine */
		struct disp dfl = { .act = { .sa_handler = SIG_DFL } };
		struct sigaction k = { .sa_handler = SIG_DFL };
		disp_put(sig, &dfl);
		REAL_FN(sigaction)(sig, &k, NULL);
	}
	if (cur) {
		uint64_t extra;
		memcpy(&extra, &d.act.sa_mask, sizeof extra);
		uint64_t during = uc_mask(uc) | extra;
		if (!(d.act.sa_flags & SA_NODEFER))
			during |= SIGBIT(sig);
		co_note_sigmask(cur, during);
		cur->sig_async += async;
		cur->sig_handled++;
	}
	LOG(LOG_SIGNAL, "signal %d: handler runs in co%u%s", sig, cur ? cur->id : 0,
	    async ? " (interrupting its code)" : "");
	errno = saved_errno;
	if (d.act.sa_flags & SA_SIGINFO)
		d.act.sa_sigaction(sig, si, uc);
	else
		d.act.sa_handler(sig);
	if (cur) {
		int e = errno;
		cur->sig_async -= async;
		/* what the kernel restores as the handler returns */
		co_note_sigmask(cur, uc_mask(uc));
		errno = e;
	}
}

static int is_fault(int sig, const siginfo_t *si)
{
	return si && si->si_code > 0 &&
	       (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL ||
		sig == SIGTRAP || sig == SIGSYS);
}

void sig_wrapper(int sig, siginfo_t *si, void *ucv)
{
	int saved = errno;
	ucontext_t *uc = ucv;
	struct worker *w = worker_tls;
	if (!w) {
		invoke(NULL, sig, si, uc, saved, 1);
		return;
	}
	struct co *cur = w->cur;
	int real_co = cur && cur->magic == CO_MAGIC;
	if (w->redeliver[sig - 1]) {
		w->redeliver[sig - 1]--;
		invoke(real_co ? cur : NULL, sig, si, uc, saved, w->redeliver_async);
		return;
	}
	if (is_fault(sig, si)) {
		invoke(real_co ? cur : NULL, sig, si, uc, saved, 1);
		return;
	}
	/* in the scheduler, or a worker's own flow: no coroutine's code */
	int rt = __atomic_load_n(&w->in_rt, __ATOMIC_RELAXED) || !real_co;
	struct co *here = rt ? NULL : cur;
	int for_thread = si->si_code == SI_TKILL ||
			 (sig == SIGPIPE && si->si_code == SI_USER && si->si_pid == sys_getpid());
	if (w->sig_locked) {
		ring_push(w, si, here, for_thread);
		errno = saved;
		return;
	}
	int may_run = here && !in_coexec(uc);
	if (route(w, si, here, for_thread, may_run) == RUN_HERE)
		invoke(cur, sig, si, uc, saved, 1);
	else
		errno = saved;
}

/* Run the handlers of what is pending for the running coroutine self and
 * not blocked: each is raised at its own thread (see the top). */
static void deliver_as(struct co *self, int async)
{
	struct worker *w = self->w;
	int saved = errno;
	while (co_sig_deliverable(self)) {
		/* All that is deliverable goes to the kernel at once, blocked,
		 * then the mask opens: the kernel nests the handlers in its
		 * own order, as for a thread that unblocks them. */
		siginfo_t batch[16];
		int n = 0;
		uint64_t sigs = 0;
		while (n < 16 && sig_take(self, ~self->sigmask, &batch[n])) {
			sigs |= SIGBIT(batch[n].si_signo);
			n++;
		}
		if (!n)
			break;
		uint64_t hold = (self->sigmask | sigs) & ~sig_keep_open;
		SYS4(SYS_rt_sigprocmask, SIG_SETMASK, &hold, 0, 8);
		w->redeliver_async = async;
		for (int i = 0; i < n; i++) {
			w->redeliver[batch[i].si_signo - 1]++;
			SYS4(SYS_rt_tgsigqueueinfo, sys_getpid(), w->tid, batch[i].si_signo, &batch[i]);
		}
		uint64_t m = self->sigmask & ~sig_keep_open;
		SYS4(SYS_rt_sigprocmask, SIG_SETMASK, &m, 0, 8);
		w->kmask = self->sigmask;
		/* ignored ones never came back */
		for (int i = 0; i < n; i++)
			w->redeliver[batch[i].si_signo - 1] = 0;
	}
	errno = saved;
}

void sig_deliver(struct co *self)
{
	deliver_as(self, 0);
}

/* A coroutine ends: what was pending for it alone goes, as for a thread
 * that exits. Under sig_lock (sched/sigmask.c). */
static void drop_pending(struct co *co)
{
	struct sigent *e = co->sigq;
	while (e) {
		struct sigent *next = e->next;
		ent_release(e);
		e = next;
	}
	co->sigq = NULL;
	co->sigpend = 0;
}

/* The reserved signal on a worker: another worker queued a signal for the
 * coroutine running here, or passed one to this worker's inbox. Run it now
 * if the running code is the program's; in our own code, the hook runs it
 * as it returns. */
void sig_doorbell(void *ucv)
{
	struct worker *w = worker_tls;
	if (!w || w->sig_locked)
		return;
	if (__atomic_load_n(&w->sig_inbox, __ATOMIC_RELAXED) && !w->list_busy)
		co_sig_inbox(w);
	if (__atomic_load_n(&w->in_rt, __ATOMIC_RELAXED))
		return;
	struct co *cur = w->cur;
	if (!cur || cur->magic != CO_MAGIC || !co_sig_deliverable(cur) || in_coexec(ucv))
		return;
	deliver_as(cur, 1);
}

/* In a forked child: nothing is pending, nobody waits (the rest of the
 * state is the scheduler's: sched/sigmask.c). */
void sigaction_atfork_child(void);

void sig_atfork_child(void)
{
	sigaction_atfork_child();
	ent_free = NULL;
	ents_ready = 0;
	proc_q = NULL;
	waiters = NULL;
	sigroute_atfork_child();
}

__attribute__((constructor(102))) static void sig_init(void)
{
	co_sig_deliver = sig_deliver;
	co_sig_drop = drop_pending;
}
