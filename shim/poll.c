/* poll, ppoll, select, pselect, epoll_wait and epoll_pwait that park.
 *
 * One method for all: ask the real call with a zero timeout; if nothing is
 * ready and the caller is willing to wait, register a waiter on each
 * descriptor (the program's epoll descriptor is itself pollable), park until
 * one of them has an event or the deadline passes, and ask again. The real
 * call decides what is ready, so results, revents bits and errors (POLLNVAL,
 * EBADF, EINVAL, EFAULT) are the kernel's own. */
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include "shim/shim.h"
#include "shim/signal.h"
#include "shim/sync.h"

/* Waiters for a set of descriptors, on the parked coroutine's stack (or the
 * heap when there are many). */
struct waitset {
	struct fdwaiter local[16], *w;
	struct fdent **ents;
	struct fdent *lents[16];
	int n;
};

static int ws_init(struct waitset *ws, int cap)
{
	ws->n = 0;
	if (cap <= 16) {
		ws->w = ws->local;
		ws->ents = ws->lents;
		return 0;
	}
	ws->w = malloc(cap * sizeof *ws->w);
	ws->ents = malloc(cap * sizeof *ws->ents);
	if (!ws->w || !ws->ents) {
		free(ws->w);
		free(ws->ents);
		return -1;
	}
	return 0;
}

/* Returns nonzero when an edge for fd is already pending. */
static int ws_add(struct waitset *ws, int fd, unsigned events)
{
	struct fdent *e = fd_known(fd);
	if (!e || fd_arm(fd, e) < 0)
		return 0; /* regular files and the like: always ready, never waited on */
	struct fdwaiter *wt = &ws->w[ws->n];
	wt->co = co_self();
	wt->events = events ? events : EPOLLIN;
	ws->ents[ws->n++] = e;
	return fd_waiter_add(e, wt);
}

/* Put back on their lists the waiters a wake took off (a wake unlinks the
 * waiter it wakes: see sched/netpoll.c). Returns nonzero when an edge is
 * already pending for one of them. */
static int ws_rearm(struct waitset *ws)
{
	int ready = 0;
	for (int i = 0; i < ws->n; i++) {
		struct fdwaiter *wt = &ws->w[i];
		if (__atomic_load_n(&wt->co, __ATOMIC_ACQUIRE))
			continue;
		wt->co = co_self();
		ready |= fd_waiter_add(ws->ents[i], wt);
	}
	return ready;
}

static void ws_term(struct waitset *ws)
{
	for (int i = 0; i < ws->n; i++)
		fd_waiter_del(ws->ents[i], &ws->w[i]);
	if (ws->w != ws->local) {
		free(ws->w);
		free(ws->ents);
	}
}

static unsigned poll_to_epoll(short ev)
{
	unsigned r = 0;
	if (ev & (POLLIN | POLLPRI | POLLRDHUP | POLLRDNORM | POLLRDBAND))
		r |= EPOLLIN;
	if (ev & (POLLOUT | POLLWRNORM | POLLWRBAND))
		r |= EPOLLOUT;
	return r;
}

static const struct timespec zero_ts;

/* A timeout the real call should handle itself: invalid (its EINVAL) or
 * zero (no wait). */
static int real_now(const struct timespec *t)
{
	return t->tv_sec < 0 || sync_bad_time(t) || (t->tv_sec == 0 && t->tv_nsec == 0);
}

/* The shared loop. again() re-asks the real call with a zero timeout;
 * ready: an edge was pending when the waiters were added, so ask before
 * sleeping. */
static int wait_loop(struct waitset *ws, int64_t deadline, int (*again)(void *), void *arg,
		     int ready, const sigset_t *mask)
{
	int r;
	/* the mask of ppoll, pselect, epoll_pwait is in force for the whole
	 * wait, and a handler runs under it */
	struct co *self = co_self();
	uint64_t saved = mask ? sig_mask_push(self, mask) : 0;
	for (;;) {
		int p = 0;
		if (ready)
			ready = 0;
		else
			p = co_park(PARK_POLL, deadline);
		if (p == -EINTR && !intr_restart(self, 0)) {
			/* never restarted, whatever SA_RESTART says */
			ws_term(ws);
			if (mask)
				sig_mask_pop(self, saved);
			errno = EINTR;
			return -1;
		}
		r = again(arg);
		if (r != 0 || p == -ETIMEDOUT)
			break;
		ready = ws_rearm(ws);
	}
	ws_term(ws);
	if (mask) {
		int e = errno;
		sig_mask_pop(self, saved);
		errno = e;
	}
	return r;
}

struct pollargs {
	struct pollfd *fds;
	nfds_t n;
	const sigset_t *mask;
};

static int poll_again(void *p)
{
	struct pollargs *a = p;
	return REAL_FN(ppoll)(a->fds, a->n, &zero_ts, a->mask);
}

static int do_poll(struct pollfd *fds, nfds_t n, int64_t timeout_ns, const sigset_t *mask)
{
	struct pollargs a = { fds, n, mask };
	int r = poll_again(&a);
	if (r != 0 || timeout_ns == 0)
		return r;
	int64_t deadline = deadline_in(timeout_ns);
	struct waitset ws;
	if (ws_init(&ws, n) < 0)
		return -2;
	int ready = 0;
	for (nfds_t i = 0; i < n; i++)
		if (fds[i].fd >= 0)
			ready |= ws_add(&ws, fds[i].fd, poll_to_epoll(fds[i].events));
	return wait_loop(&ws, deadline, poll_again, &a, ready, mask);
}

EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	REAL_WHILE_UNTHREADED(poll, fds, n, timeout);
	struct co *self = co_self();
	if (self)
		cancel_point(self);
	if (!self || timeout == 0 || co_may_block(self->w) || n > 1u << 20)
		return REAL_FN(poll)(fds, n, timeout);
	int r = do_poll(fds, n, timeout < 0 ? -1 : timeout * 1000000LL, NULL);
	return r == -2 ? REAL_FN(poll)(fds, n, timeout) : r;
}

EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
	REAL_WHILE_UNTHREADED(ppoll, fds, n, ts, mask);
	struct co *self = co_self();
	struct timespec t;
	if (self)
		cancel_point(self);
	if (!self || co_may_block(self->w) || n > 1u << 20 || (ts && copy_in(&t, ts, sizeof t) < 0) ||
	    (ts && real_now(&t)))
		return REAL_FN(ppoll)(fds, n, ts, mask);
	int r = do_poll(fds, n, ts ? ts_ns(&t) : -1, mask);
	return r == -2 ? REAL_FN(ppoll)(fds, n, ts, mask) : r;
}

struct selargs {
	int nfds;
	fd_set *in[3];      /* the program's sets (may be NULL) */
	fd_set want[3];     /* what it asked for */
	const sigset_t *mask;
};

static int select_again(void *p)
{
	struct selargs *a = p;
	fd_set *s[3];
	size_t bytes = (a->nfds + 63) / 64 * 8;
	for (int i = 0; i < 3; i++) {
		s[i] = a->in[i];
		if (s[i])
			memcpy(s[i], &a->want[i], bytes);
	}
	return REAL_FN(pselect)(a->nfds, s[0], s[1], s[2], &zero_ts, a->mask);
}

/* Returns the result, or -2 to tell the caller to use the real call. */
static int do_select(int nfds, fd_set *r, fd_set *w, fd_set *x, int64_t timeout_ns,
		     const sigset_t *mask, int64_t *deadline_out)
{
	struct selargs a = { .nfds = nfds, .in = { r, w, x }, .mask = mask };
	if (nfds < 0 || nfds > FD_SETSIZE)
		return -2;
	/* The kernel reads only the words that hold the first nfds bits. */
	size_t bytes = (nfds + 63) / 64 * 8;
	for (int i = 0; i < 3; i++)
		if (a.in[i] && copy_in(&a.want[i], a.in[i], bytes) < 0)
			return -2;
	int res = select_again(&a);
	*deadline_out = -1;
	if (res != 0 || timeout_ns == 0)
		return res;
	int64_t deadline = deadline_in(timeout_ns);
	*deadline_out = deadline;
	struct waitset ws;
	if (ws_init(&ws, nfds) < 0)
		return -2;
	int ready = 0;
	for (int fd = 0; fd < nfds; fd++) {
		unsigned ev = 0;
		if (r && FD_ISSET(fd, &a.want[0]))
			ev |= EPOLLIN;
		if (w && FD_ISSET(fd, &a.want[1]))
			ev |= EPOLLOUT;
		if (x && FD_ISSET(fd, &a.want[2]))
			ev |= EPOLLIN;
		if (ev)
			ready |= ws_add(&ws, fd, ev);
	}
	return wait_loop(&ws, deadline, select_again, &a, ready, a.mask);
}

EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *x, struct timeval *tv)
{
	REAL_WHILE_UNTHREADED(select, nfds, r, w, x, tv);
	struct co *self = co_self();
	struct timeval t;
	if (self)
		cancel_point(self);
	if (!self || co_may_block(self->w) || (tv && copy_in(&t, tv, sizeof t) < 0) ||
	    (tv && (t.tv_sec < 0 || t.tv_usec < 0 || (t.tv_sec == 0 && t.tv_usec == 0))))
		return REAL_FN(select)(nfds, r, w, x, tv);
	int64_t timeout = tv ? t.tv_sec * 1000000000LL + t.tv_usec * 1000LL : -1;
	int64_t deadline;
	int res = do_select(nfds, r, w, x, timeout, NULL, &deadline);
	if (res == -2)
		return REAL_FN(select)(nfds, r, w, x, tv);
	/* Linux writes back the time not slept. */
	if (tv && res >= 0) {
		int64_t left = deadline >= 0 ? deadline - now_ns() : timeout;
		if (left < 0 || res == 0)
			left = 0;
		tv->tv_sec = left / 1000000000;
		tv->tv_usec = left % 1000000000 / 1000;
	}
	return res;
}

EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *x, const struct timespec *ts,
		   const sigset_t *mask)
{
	REAL_WHILE_UNTHREADED(pselect, nfds, r, w, x, ts, mask);
	struct co *self = co_self();
	struct timespec t;
	if (self)
		cancel_point(self);
	if (!self || co_may_block(self->w) || (ts && copy_in(&t, ts, sizeof t) < 0) ||
	    (ts && real_now(&t)))
		return REAL_FN(pselect)(nfds, r, w, x, ts, mask);
	int64_t deadline;
	int res = do_select(nfds, r, w, x, ts ? ts_ns(&t) : -1, mask, &deadline);
	return res == -2 ? REAL_FN(pselect)(nfds, r, w, x, ts, mask) : res;
}

struct epargs {
	int epfd;
	struct epoll_event *evs;
	int max;
	const sigset_t *mask;
};

static int epoll_again(void *p)
{
	struct epargs *a = p;
	return REAL_FN(epoll_pwait)(a->epfd, a->evs, a->max, 0, a->mask);
}

static int do_epoll(int epfd, struct epoll_event *evs, int max, int64_t timeout_ns,
		    const sigset_t *mask)
{
	struct epargs a = { epfd, evs, max, mask };
	int r = epoll_again(&a);
	if (r != 0)
		return r;
	struct waitset ws;
	ws_init(&ws, 1);
	int ready = ws_add(&ws, epfd, EPOLLIN);
	return wait_loop(&ws, deadline_in(timeout_ns), epoll_again, &a, ready, a.mask);
}

EXPORT int epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout)
{
	REAL_WHILE_UNTHREADED(epoll_wait, epfd, evs, max, timeout);
	struct co *self = co_self();
	if (self)
		cancel_point(self);
	if (!self || timeout == 0 || co_may_block(self->w) || rtfd_is(epfd))
		return REAL_FN(epoll_wait)(epfd, evs, max, timeout);
	return do_epoll(epfd, evs, max, timeout < 0 ? -1 : timeout * 1000000LL, NULL);
}

EXPORT int epoll_pwait(int epfd, struct epoll_event *evs, int max, int timeout,
		       const sigset_t *mask)
{
	REAL_WHILE_UNTHREADED(epoll_pwait, epfd, evs, max, timeout, mask);
	struct co *self = co_self();
	if (self)
		cancel_point(self);
	if (!self || timeout == 0 || co_may_block(self->w) || rtfd_is(epfd))
		return REAL_FN(epoll_pwait)(epfd, evs, max, timeout, mask);
	return do_epoll(epfd, evs, max, timeout < 0 ? -1 : timeout * 1000000LL, mask);
}

EXPORT int epoll_pwait2(int epfd, struct epoll_event *evs, int max, const struct timespec *ts,
			const sigset_t *mask)
{
	REAL_WHILE_UNTHREADED(epoll_pwait2, epfd, evs, max, ts, mask);
	struct co *self = co_self();
	struct timespec t;
	if (self)
		cancel_point(self);
	if (!self || co_may_block(self->w) || rtfd_is(epfd) || (ts && copy_in(&t, ts, sizeof t) < 0) ||
	    (ts && real_now(&t)))
		return REAL_FN(epoll_pwait2)(epfd, evs, max, ts, mask);
	return do_epoll(epfd, evs, max, ts ? ts_ns(&t) : -1, mask);
}
