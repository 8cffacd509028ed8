/* The descriptor table; see fdtable.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "preload/log.h"
#include "sched/fdtable.h"
#include "sched/sys.h"

#define CHUNK_BITS 6
#define CHUNK (1 << CHUNK_BITS)
#define NCHUNKS (1 << 18)         /* 16M descriptors; beyond: pass-through */

static struct fdent *chunks[NCHUNKS];
static int top_chunk = -1;        /* highest chunk allocated */

struct fdent *fd_peek(int fd)
{
	if (fd < 0 || (unsigned)fd >= (unsigned)NCHUNKS * CHUNK)
		return NULL;
	struct fdent *c = __atomic_load_n(&chunks[fd >> CHUNK_BITS], __ATOMIC_ACQUIRE);
	return c ? &c[fd & (CHUNK - 1)] : NULL;
}

struct fdent *fd_get(int fd)
{
	if (fd < 0 || (unsigned)fd >= (unsigned)NCHUNKS * CHUNK)
		return NULL;
	int ci = fd >> CHUNK_BITS;
	struct fdent *c = __atomic_load_n(&chunks[ci], __ATOMIC_ACQUIRE);
	if (__builtin_expect(!c, 0)) {
		c = calloc(CHUNK, sizeof *c);
		if (!c)
			return NULL;
		struct fdent *prev = NULL;
		if (!__atomic_compare_exchange_n(&chunks[ci], &prev, c, 0, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE)) {
			free(c);
			c = prev;
		}
		int top = __atomic_load_n(&top_chunk, __ATOMIC_RELAXED);
		while (top < ci && !__atomic_compare_exchange_n(&top_chunk, &top, ci, 0,
							       __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			;
	}
	return &c[fd & (CHUNK - 1)];
}

void fd_waiter_wake(struct fdent *e, struct fdwaiter *wt, struct kicks *k)
{
	struct co *co = wt->co;
	dq_remove(&e->waiters, &wt->link);
	co_wake_deferred(co, k);
	/* Cleared last: a waiter that finds it set waits for e->lock, so it
	 * cannot end (and its coroutine be freed) during the wake. */
	__atomic_store_n(&wt->co, NULL, __ATOMIC_RELEASE);
}

/* Forget everything about the descriptor but its runtime mark. */
static void reset(struct fdent *e)
{
	struct kicks k = { .n = 0 };
	spin_lock(&e->lock);
	while (e->waiters.head)
		fd_waiter_wake(e, container_of(e->waiters.head, struct fdwaiter, link), &k);
	uint32_t gen = e->gen + 1;
	uint8_t runtime = e->runtime;
	memset((char *)e + sizeof e->lock, 0, sizeof *e - sizeof e->lock);
	e->gen = gen;
	e->runtime = runtime;
	spin_unlock(&e->lock);
	kicks_flush(&k);
}

struct fdent *fd_fresh(int fd)
{
	struct fdent *e = fd_get(fd);
	if (e)
		reset(e);
	return e;
}

void fd_unpollable(struct fdent *e)
{
	e->unpollable = 1;
}

static int worth_forgetting(struct fdent *e)
{
	static const unsigned char blank[sizeof e->view];
	return e->waiters.head || e->armed || e->ready || e->unpollable ||
	       memcmp(e->view, blank, sizeof blank) != 0;
}

void fd_forget(int fd)
{
	struct fdent *e = fd_peek(fd);
	if (e && worth_forgetting(e)) {
		LOG(LOG_NET, "fd %d forget", fd);
		reset(e);
	}
}

void fd_forget_range(unsigned lo, unsigned hi)
{
	int top = __atomic_load_n(&top_chunk, __ATOMIC_ACQUIRE);
	for (long c = lo >> CHUNK_BITS; c <= top && c <= (long)(hi >> CHUNK_BITS); c++) {
		struct fdent *ch = __atomic_load_n(&chunks[c], __ATOMIC_ACQUIRE);
		if (!ch)
			continue;
		for (int i = 0; i < CHUNK; i++) {
			unsigned fd = (unsigned)c << CHUNK_BITS | i;
			if (fd >= lo && fd <= hi && !ch[i].runtime && worth_forgetting(&ch[i]))
				reset(&ch[i]);
		}
	}
}

void fd_each_waited(void (*f)(int fd, struct fdent *e, void *arg), void *arg)
{
	int top = __atomic_load_n(&top_chunk, __ATOMIC_ACQUIRE);
	for (int c = 0; c <= top; c++) {
		struct fdent *ch = __atomic_load_n(&chunks[c], __ATOMIC_ACQUIRE);
		for (int i = 0; ch && i < CHUNK; i++)
			if (__atomic_load_n(&ch[i].waiters.head, __ATOMIC_RELAXED) || ch[i].armed)
				f(c << CHUNK_BITS | i, &ch[i], arg);
	}
}

void fd_dup(int oldfd, int newfd)
{
	struct fdent *o = fd_peek(oldfd), *n = fd_get(newfd);
	if (!n)
		return;
	reset(n);
	if (!o)
		return;
	n->unpollable = o->unpollable;
	memcpy(n->view, o->view, sizeof n->view); /* the same description */
}

int fd_waiter_add(struct fdent *e, struct fdwaiter *wt)
{
	spin_lock(&e->lock);
	if (e->ready & wt->events) {
		e->ready &= ~wt->events;
		spin_unlock(&e->lock);
		wt->co = NULL; /* not on the list */
		return 1;
	}
	dq_push(&e->waiters, &wt->link);
	spin_unlock(&e->lock);
	return 0;
}

void fd_waiter_del(struct fdent *e, struct fdwaiter *wt)
{
	if (!__atomic_load_n(&wt->co, __ATOMIC_ACQUIRE))
		return;
	spin_lock(&e->lock);
	if (wt->co) {
		dq_remove(&e->waiters, &wt->link);
		wt->co = NULL;
	}
	spin_unlock(&e->lock);
}

void fdtable_atfork_child(void (*view_reset)(void *view))
{
	int top = top_chunk;
	for (int c = 0; c <= top; c++) {
		struct fdent *ch = chunks[c];
		for (int i = 0; ch && i < CHUNK; i++) {
			ch[i].lock = 0;
			ch[i].armed = 0;
			ch[i].ready = 0;
			ch[i].runtime = 0;
			ch[i].waiters = (struct dq){ 0 };
			view_reset(ch[i].view);
		}
	}
}
