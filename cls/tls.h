/* Thread-local storage per coroutine: a thread pointer of its own.
 *
 * glibc reaches every __thread variable, errno, the locale, libstdc++'s
 * exception state and its own thread descriptor (struct pthread) through
 * the thread pointer (%fs on x86_64). Each coroutine gets what glibc gives
 * a new thread: a descriptor with the static TLS blocks of every module
 * below it, at the top of its stack, made by glibc's own _dl_allocate_tls
 * from each module's initial image; the switch loads its address
 * (wrfsbase where the CPU and kernel allow it, arch_prctl otherwise).
 * Runtime flows (the reaper, a worker's idle loop) and main() run on their
 * kernel thread's own descriptor.
 *
 * What glibc keeps per kernel thread stays so: every coroutine of a worker
 * uses the worker's malloc cache and arena (a coroutine never is preempted
 * inside malloc, and one that moves takes its new worker's), the kernel
 * thread id, and the kernel's registrations (robust list, rseq), which
 * stay on the worker's own descriptor. The fields we fill in are found at
 * start-up in the main thread's descriptor and glibc's thread_db tables;
 * when something is not where we look, every coroutine of a worker shares
 * the worker's thread-local storage, as before, and the log says why. */
#ifndef CLS_TLS_H
#define CLS_TLS_H

#include <stddef.h>

#include "sched/sys.h"

struct co;
struct worker;

/* 1 when coroutines have thread pointers of their own. */
extern int tls_private;
/* 1 when the thread pointer is loaded with wrfsbase. */
extern int tls_fsgsbase;

/* At start-up on the main thread: find what a descriptor needs. mode:
 * 0 shared per worker (COEXEC_TLS=worker), 1 per coroutine. private and
 * public look symbols up (glibc's GLIBC_PRIVATE ones, any). */
void tls_init(int mode, void *(*private)(const char *), void *(*public)(const char *));

/* Give co (whose stack is set) a descriptor at the top of its stack, for
 * worker w. *top becomes the stack top left below it. 0 or -EAGAIN. */
int tls_co_make(struct co *co, struct worker *w, char **top);
/* In the new coroutine, before its start routine: what glibc does as a
 * thread starts (the ctype tables of its locale). */
void tls_co_start(void);
/* As the coroutine ends, on its own stack: its thread_local destructors. */
void tls_co_exit(void);
/* Release what glibc allocated for co's descriptor (from another flow,
 * before its stack is freed or reused). */
void tls_co_free(struct co *co);

/* On a new worker thread, before it runs coroutines. */
void tls_worker_init(struct worker *w);

/* The descriptor co runs on, on worker w, loaded. Called by the switch. */
void tls_rebind(struct co *co, struct worker *w);
static inline void tls_load(void *tp)
{
	if (__builtin_expect(tls_fsgsbase, 1))
		__asm__ volatile("wrfsbase %0" : : "r"(tp) : "memory");
	else
		SYS(SYS_arch_prctl, 0x1002 /* ARCH_SET_FS */, tp, 0);
}

/* After a kernel thread was started: glibc installs its SIGSETXID handler
 * (setuid and friends signal every thread) at the first one, and that
 * handler must find the thread's own descriptor, so we wrap it. */
void tls_spawned(void);

/* In a forked child: the coroutine that forked keeps its descriptor as
 * its kernel thread's own (glibc made it so). */
void tls_atfork_child(struct co *self, struct worker *w);

#endif
