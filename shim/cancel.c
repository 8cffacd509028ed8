/* Thread cancellation and cleanup handlers, per coroutine.
 *
 * glibc keeps the cancel state, the pending request and the chain of
 * pthread_cleanup_push buffers in the kernel thread's descriptor, which every
 * coroutine on a worker shares; handing it our pthread_t would make it write
 * into our objects. So the whole family is ours: pthread_cancel marks the
 * target and, if it is parked in a cancellation point, wakes it; the woken
 * call (or the next cancellation point, or pthread_testcancel) unwinds.
 *
 * Unwinding (shim/unwind.c) runs C++ destructors and -fexceptions
 * cleanups frame by frame, and the C pthread_cleanup_push handlers, whose
 * buffers (__pthread_register_cancel) we keep per coroutine, in their
 * place among them; then the coroutine ends with PTHREAD_CANCELED (or the
 * pthread_exit value). Asynchronous cancellation is treated as deferred. */
#include "shim/shim.h"

void co_unwind_exit(struct co *self, void *value)
{
	self->exit_value = value;
	self->unwinding = 1;
	self->cancel_disabled = 1; /* as glibc: no second cancellation while unwinding */
	unwind_frames(self);
}

void cancel_push(struct co *self, __pthread_unwind_buf_t *buf)
{
	buf->__pad[0] = self->cleanup;
	self->cleanup = buf;
}

void cancel_pop(struct co *self, __pthread_unwind_buf_t *buf)
{
	self->cleanup = buf->__pad[0];
}

void cancel_continue(struct co *self)
{
	unwind_frames(self);
}

void cancel_act(struct co *self)
{
	LOG(LOG_SCHED, "co%u cancelled", self->id);
	co_unwind_exit(self, PTHREAD_CANCELED);
}

int intr_restart(struct co *self, int sa_restart_applies)
{
	int sig = co_intr_sig(self);
	if (sig == CO_SIG_CANCEL) {
		cancel_point(self);
		return 1; /* the request was withdrawn meanwhile: carry on */
	}
	/* the handler runs before the call restarts or fails, as natively;
	 * the wait is undone by now, so it may siglongjmp */
	co_sig_run(self);
	return sa_restart_applies && sig_restarts(sig);
}

EXPORT int pthread_cancel(pthread_t t)
{
	struct co *c = co_of(t);
	if (!c)
		return REAL_FN(pthread_cancel)(t);
	if (c->exited)
		return 0; /* glibc (2.34 on): not an error for an exited thread */
	c->cancel_pending = 1;
	if (c == co_self()) {
		/* the next cancellation point must see it, not REAL_WHILE_UNTHREADED */
		__atomic_store_n(&co_never_threaded, 0, __ATOMIC_RELAXED);
		if (c->cancel_async && !c->cancel_disabled)
			cancel_act(c);
		return 0;
	}
	if (!c->cancel_disabled)
		co_interrupt(c, CO_SIG_CANCEL);
	return 0;
}

EXPORT int pthread_setcancelstate(int state, int *old)
{
	struct co *self = co_self();
	if (!self)
		return REAL_FN(pthread_setcancelstate)(state, old);
	if (state != PTHREAD_CANCEL_ENABLE && state != PTHREAD_CANCEL_DISABLE)
		return EINVAL;
	if (old)
		*old = self->cancel_disabled ? PTHREAD_CANCEL_DISABLE : PTHREAD_CANCEL_ENABLE;
	self->cancel_disabled = state == PTHREAD_CANCEL_DISABLE;
	if (self->cancel_async)
		cancel_point(self);
	return 0;
}

EXPORT int pthread_setcanceltype(int type, int *old)
{
	struct co *self = co_self();
	if (!self)
		return REAL_FN(pthread_setcanceltype)(type, old);
	if (type != PTHREAD_CANCEL_DEFERRED && type != PTHREAD_CANCEL_ASYNCHRONOUS)
		return EINVAL;
	if (old)
		*old = self->cancel_async ? PTHREAD_CANCEL_ASYNCHRONOUS : PTHREAD_CANCEL_DEFERRED;
	self->cancel_async = type == PTHREAD_CANCEL_ASYNCHRONOUS;
	if (self->cancel_async)
		cancel_point(self);
	return 0;
}

EXPORT void pthread_testcancel(void)
{
	struct co *self = co_self();
	if (!self) {
		REAL_FN(pthread_testcancel)();
		return;
	}
	cancel_point(self);
}

EXPORT void __pthread_register_cancel(__pthread_unwind_buf_t *buf)
{
	struct co *self = co_self();
	if (!self) {
		REAL_FN(__pthread_register_cancel)(buf);
		return;
	}
	buf->__pad[0] = self->cleanup;
	self->cleanup = buf;
}

EXPORT void __pthread_unregister_cancel(__pthread_unwind_buf_t *buf)
{
	struct co *self = co_self();
	if (!self) {
		REAL_FN(__pthread_unregister_cancel)(buf);
		return;
	}
	self->cleanup = buf->__pad[0];
}

/* pthread_cleanup_push_defer_np: the same, with the type set to deferred
 * for the duration. */
EXPORT void __pthread_register_cancel_defer(__pthread_unwind_buf_t *buf)
{
	struct co *self = co_self();
	if (!self) {
		REAL_FN(__pthread_register_cancel_defer)(buf);
		return;
	}
	buf->__pad[1] = (void *)(long)self->cancel_async;
	self->cancel_async = 0;
	__pthread_register_cancel(buf);
}

EXPORT void __pthread_unregister_cancel_restore(__pthread_unwind_buf_t *buf)
{
	struct co *self = co_self();
	if (!self) {
		REAL_FN(__pthread_unregister_cancel_restore)(buf);
		return;
	}
	self->cleanup = buf->__pad[0];
	self->cancel_async = (int)(long)buf->__pad[1];
	if (self->cancel_async)
		cancel_point(self);
}

EXPORT void __pthread_unwind_next(__pthread_unwind_buf_t *buf)
{
	struct co *self = co_self();
	if (!self)
		REAL_FN(__pthread_unwind_next)(buf);
	unwind_frames(self);
}
