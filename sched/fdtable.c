/* The descriptor table; see fdtable.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

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
		for (int i = 0; i < CHUNK; i++)
			c[i].user_nb = -1;
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
	e->user_nb = -1;
	spin_unlock(&e->lock);
	kicks_flush(&k);
}

struct fdent *fd_new(int fd, enum fd_kind kind, int user_nb)
{
	struct fdent *e = fd_get(fd);
	if (!e)
		return NULL;
	reset(e);
	e->kind = kind;
	e->user_nb = user_nb;
	e->timeo_known = 1;   /* a new socket has no timeouts */
	return e;
}

static int worth_forgetting(struct fdent *e)
{
	return e->kind != FD_UNKNOWN || e->waiters.head || e->armed || e->ready;
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
	n->kind = o->kind;
	n->user_nb = o->user_nb;
	n->timeo_known = o->timeo_known;
	n->socktype = o->socktype;
	n->rcvtimeo = o->rcvtimeo;
	n->sndtimeo = o->sndtimeo;
	n->unpollable = o->unpollable;
	n->nowait_bad = o->nowait_bad;
	n->born_here = o->born_here; /* a dup shares nothing with another process */
	n->born_share = o->born_share;
}

void fd_classify(int fd, struct fdent *e)
{
	struct stat st;
	long r = SYS(SYS_fstat, fd, &st, 0);

	if (r < 0) {
		e->kind = FD_UNKNOWN;
		return;
	}
	if (S_ISSOCK(st.st_mode)) {
		int type = 0;
		socklen_t len = sizeof type;
		e->kind = FD_SOCK;
		if (SYS6(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &type, &len, 0) == 0)
			e->socktype = type;
	} else if (S_ISFIFO(st.st_mode)) {
		e->kind = FD_PIPE;
	} else if (S_ISCHR(st.st_mode)) {
		e->kind = FD_CHR;
	} else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)) {
		e->kind = FD_REG;
		e->unpollable = 1;
	} else {
		e->kind = FD_OTHER;
	}
	long fl = sys_fcntl(fd, F_GETFL, 0);
	e->user_nb = fl >= 0 ? !!(fl & O_NONBLOCK) : 0;
	LOG(LOG_NET, "fd %d classified kind=%d nonblock=%d", fd, e->kind, e->user_nb);
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

void fdtable_atfork_child(void)
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
			ch[i].accept_turn = 0;
		}
	}
}
