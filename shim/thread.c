/* Threads become coroutines: pthread_create, join, detach, exit, identity,
 * names and stack attributes. Called from a thread that is not a coroutine,
 * each passes through to glibc. */
#include <stdint.h>
#include <string.h>
#include <sys/time.h>

#include "shim/shim.h"
#include "shim/sync.h"

/* glibc's current default (pthread_setattr_default_np may have changed it). */
static size_t native_default_stack(void)
{
	pthread_attr_t a;
	size_t size = 0;
	if (pthread_getattr_default_np(&a) == 0) {
		pthread_attr_getstacksize(&a, &size);
		pthread_attr_destroy(&a);
	}
	return size ? size : stack_default_size();
}

static size_t wanted_stack(const pthread_attr_t *attr, void **user, size_t *user_size)
{
	size_t size = 0, def = native_default_stack();
	*user = NULL;
	*user_size = 0;
	if (attr) {
		void *low = NULL;
		pthread_attr_getstacksize(attr, &size);
		/* glibc answers (top - size) with a top of NULL when the program
		 * supplied no stack. */
		pthread_attr_getstack(attr, &low, &size);
		if ((uintptr_t)low + size != 0) {
			*user = low;
			*user_size = size;
			return size;
		}
		/* glibc reports its default for an attribute whose size was never
		 * set; COEXEC_STACK_SIZE replaces that default, not a request. */
		if (size == def)
			size = 0;
	}
	if (!size)
		size = coexec_config.stack_size ? coexec_config.stack_size : def;
	return size;
}

EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	struct co *self = co_self();
	if (!self)
		return REAL_FN(pthread_create)(t, attr, fn, arg);

	int detached = 0;
	void *user;
	size_t user_size;
	if (attr)
		pthread_attr_getdetachstate(attr, &detached);
	size_t size = wanted_stack(attr, &user, &user_size);
	/* glibc's stdio skips FILE locks until its first pthread_create,
	 * which turns them on for good: so does ours */
	static int locks_on;
	if (!__atomic_load_n(&locks_on, __ATOMIC_RELAXED) &&
	    !__atomic_exchange_n(&locks_on, 1, __ATOMIC_RELAXED)) {
		void (*enable_locks)(void) = real_private("_IO_enable_locks");
		if (enable_locks)
			enable_locks();
	}
	struct co *co;
	int r = co_create(&co, fn, arg, size, user, user_size, detached == PTHREAD_CREATE_DETACHED);
	if (r < 0)
		return -r;
	/* A new thread inherits its creator's name (the kernel's comm). */
	if (self->native && !self->name[0])
		REAL_FN(pthread_getname_np)(self->native, self->name, sizeof self->name);
	memcpy(co->name, self->name, sizeof co->name);
	co_sched_inherit(co, self, attr);
	/* Published only now: once started it may run on another worker, and
	 * a detached one may end and be freed before we return. */
	*t = (pthread_t)co;
	co_start(co);
	return 0;
}

EXPORT pthread_t pthread_self(void)
{
	struct co *self = co_self();
	if (!self)
		return REAL_FN(pthread_self)();
	return self->native ? self->native : (pthread_t)self;
}

EXPORT int pthread_equal(pthread_t a, pthread_t b)
{
	return a == b;
}

static int join(struct co *self, struct co *c, void **ret, int64_t deadline, int try)
{
	if (try && !__atomic_load_n(&c->exited, __ATOMIC_SEQ_CST))
		return EBUSY;
	if (c == self || self->joiner == c)
		return EDEADLK;
	int fate = __atomic_load_n(&c->fate, __ATOMIC_SEQ_CST);
	if (fate == FATE_DETACHED || fate == FATE_CLAIMED)
		return EINVAL;
	/* One joiner at a time, as glibc: a second one gets EINVAL. The joiner
	 * claims the slot, then looks: the ending coroutine sets exited, then
	 * looks for a joiner; one of the two sees the other. */
	struct co *none = NULL;
	if (!__atomic_compare_exchange_n(&c->joiner, &none, self, 0, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST))
		return EINVAL;
	while (!__atomic_load_n(&c->exited, __ATOMIC_SEQ_CST)) {
		co_waits_on(self, WAIT_JOIN, c);
		int r = co_park(PARK_JOIN, deadline);
		if (r == -ETIMEDOUT && !__atomic_load_n(&c->exited, __ATOMIC_SEQ_CST)) {
			__atomic_store_n(&c->joiner, NULL, __ATOMIC_SEQ_CST);
			return ETIMEDOUT;
		}
	}
	__atomic_store_n(&c->joiner, NULL, __ATOMIC_SEQ_CST);
	if (!co_claim(c))
		return EINVAL; /* detached or joined meanwhile */
	if (ret)
		*ret = c->retval;
	co_destroy(c);
	return 0;
}

EXPORT int pthread_join(pthread_t t, void **ret)
{
	struct co *c = co_of(t);
	if (!c)
		return REAL_FN(pthread_join)(t, ret);
	cancel_point(co_self());
	return join(co_self(), c, ret, -1, 0);
}

EXPORT int pthread_tryjoin_np(pthread_t t, void **ret)
{
	struct co *c = co_of(t);
	if (!c)
		return REAL_FN(pthread_tryjoin_np)(t, ret);
	return join(co_self(), c, ret, -1, 1);
}

EXPORT int pthread_timedjoin_np(pthread_t t, void **ret, const struct timespec *abs)
{
	struct co *c = co_of(t);
	if (!c)
		return REAL_FN(pthread_timedjoin_np)(t, ret, abs);
	if (!abs)
		return join(co_self(), c, ret, -1, 0);
	if (!c->exited && sync_bad_time(abs))
		return EINVAL;
	return join(co_self(), c, ret, c->exited ? -1 : deadline_at(CLOCK_REALTIME, abs), 0);
}

EXPORT int pthread_clockjoin_np(pthread_t t, void **ret, clockid_t clk, const struct timespec *abs)
{
	struct co *c = co_of(t);
	if (!c)
		return REAL_FN(pthread_clockjoin_np)(t, ret, clk, abs);
	cancel_point(co_self());
	if (!abs)
		return join(co_self(), c, ret, -1, 0);
	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC)
		return EINVAL;
	if (!c->exited && sync_bad_time(abs))
		return EINVAL;
	return join(co_self(), c, ret, c->exited ? -1 : deadline_at(clk, abs), 0);
}

EXPORT int pthread_detach(pthread_t t)
{
	struct co *c = co_of(t);
	if (!c)
		return REAL_FN(pthread_detach)(t);
	return -co_detach(c);
}

EXPORT void pthread_exit(void *retval)
{
	struct co *self = co_self();
	if (!self)
		REAL_FN(pthread_exit)(retval);
	co_unwind_exit(self, retval);
}

EXPORT int pthread_getattr_np(pthread_t t, pthread_attr_t *attr)
{
	struct co *c = co_of(t);
	if (!c || c->native)
		return REAL_FN(pthread_getattr_np)(c ? c->native : t, attr);
	int r = pthread_attr_init(attr);
	if (r)
		return r;
	pthread_attr_setstack(attr, c->stack.base, c->stack.size);
	pthread_attr_setguardsize(attr, c->stack.guard);
	pthread_attr_setdetachstate(attr, c->fate == FATE_DETACHED ? PTHREAD_CREATE_DETACHED
						      : PTHREAD_CREATE_JOINABLE);
	return 0;
}

EXPORT int pthread_setname_np(pthread_t t, const char *name)
{
	struct co *c = co_of(t);
	if (!c || c->native) {
		int r = REAL_FN(pthread_setname_np)(c ? c->native : t, name);
		if (!r && c)
			strncpy(c->name, name, sizeof c->name - 1);
		return r;
	}
	size_t n = strlen(name);
	if (n >= sizeof c->name)
		return ERANGE;
	memcpy(c->name, name, n + 1);
	return 0;
}

EXPORT int pthread_getname_np(pthread_t t, char *buf, size_t len)
{
	struct co *c = co_of(t);
	if (!c || c->native)
		return REAL_FN(pthread_getname_np)(c ? c->native : t, buf, len);
	size_t n = strlen(c->name);
	if (len < n + 1)
		return ERANGE;
	memcpy(buf, c->name, n + 1);
	return 0;
}

/* With nothing else to run on its worker, a yielding coroutine gives the
 * CPU up the native way, so spin-then-yield loops let other kernel threads
 * (another worker, another process) in. */
EXPORT int sched_yield(void)
{
	struct co *self = co_self();
	if (!self || !co_others_runnable(self->w))
		return REAL_FN(sched_yield)();
	co_yield();
	return 0;
}
