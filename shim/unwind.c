/* The unwind of pthread_exit and cancellation, as glibc unwinds a thread.
 *
 * A forced unwind (_Unwind_ForcedUnwind, libgcc's; loaded as glibc loads
 * it when the program has not) walks the coroutine's frames from the
 * innermost out and runs their C++ destructors and -fexceptions cleanups.
 * Our stop function watches for the innermost C pthread_cleanup_push
 * buffer: once the walk has passed the frames below the one that pushed
 * it, it jumps there; the program runs its handler and calls
 * __pthread_unwind_next, and a new walk goes on from there. When the walk
 * reaches the coroutine's entry (the end of its stack), the coroutine
 * ends. A catch (...) that swallows the unwind ends the process, as
 * natively ("FATAL: exception not rethrown"). Without libgcc, only the C
 * handlers run. */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unwind.h>

#include "sched/sys.h"
#include "shim/shim.h"

typedef _Unwind_Reason_Code (*forced_fn)(struct _Unwind_Exception *, _Unwind_Stop_Fn, void *);
typedef _Unwind_Word (*cfa_fn)(struct _Unwind_Context *);
static forced_fn forced;
static cfa_fn cfa_of;

static int unwinder(void)
{
	if (__atomic_load_n(&forced, __ATOMIC_ACQUIRE))
		return 1;
	cfa_fn c = (cfa_fn)real_from("libgcc_s.so.1", "_Unwind_GetCFA");
	forced_fn f = (forced_fn)real_from("libgcc_s.so.1", "_Unwind_ForcedUnwind");
	if (!c || !f)
		return 0;
	__atomic_store_n(&cfa_of, c, __ATOMIC_RELEASE);
	__atomic_store_n(&forced, f, __ATOMIC_RELEASE);
	return 1;
}

static void not_rethrown(_Unwind_Reason_Code r, struct _Unwind_Exception *e)
{
	static const char msg[] = "FATAL: exception not rethrown\n";
	(void)!SYS(SYS_write, 2, msg, sizeof msg - 1);
	abort();
}

/* The stack pointer a cleanup buffer's jump restores (glibc mangles it
 * with the pointer guard, as in every jmp_buf). */
static uintptr_t jump_sp(__pthread_unwind_buf_t *buf)
{
	uintptr_t v = buf->__cancel_jmp_buf[0].__cancel_jmp_buf[6], guard;
	__asm__("movq %%fs:0x30, %0" : "=r"(guard));
	return ((v >> 17) | (v << 47)) ^ guard;
}

static void jump(__pthread_unwind_buf_t *buf) __attribute__((noreturn));
static void jump(__pthread_unwind_buf_t *buf)
{
	/* The buffer holds only the jmp_buf prefix longjmp reads when no
	 * signal mask was saved, which __sigsetjmp_cancel never does. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
	longjmp((struct __jmp_buf_tag *)(void *)buf->__cancel_jmp_buf, 1);
#pragma GCC diagnostic pop
}

static _Unwind_Reason_Code stop(int version, _Unwind_Action actions, _Unwind_Exception_Class cls,
				struct _Unwind_Exception *exc, struct _Unwind_Context *ctx,
				void *param)
{
	struct co *self = param;
	__pthread_unwind_buf_t *buf = self->cleanup;
	int end = (actions & _UA_END_OF_STACK) != 0;
	/* Compared as glibc compares them, with the stack's top moved to the
	 * top of the address space (0 for main(): its stack is the highest). */
	uintptr_t adj = self->stack.base ? (uintptr_t)self->stack.base + self->stack.size : 0;
	uintptr_t cfa = end ? 0 : cfa_of(ctx) - adj;
	if (buf && (end || cfa >= jump_sp(buf) - adj)) {
		self->cleanup = buf->__pad[0];
		jump(buf);
	}
	if (!buf && (end || (adj && cfa_of(ctx) >= adj)))
		co_exit(self->exit_value);
	return _URC_NO_REASON;
}

void unwind_frames(struct co *self)
{
	if (unwinder()) {
		struct _Unwind_Exception *e = (void *)self->unwind_exc;
		memset(e, 0, sizeof *e);
		e->exception_cleanup = not_rethrown;
		forced(e, stop, self);
	}
	/* no unwinder, or no unwind information: the C handlers alone */
	__pthread_unwind_buf_t *buf = self->cleanup;
	if (buf) {
		self->cleanup = buf->__pad[0];
		jump(buf);
	}
	co_exit(self->exit_value);
}
