/* The netpoller on epoll; see netpoll.h. */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>

#include "preload/log.h"
#include "sched/netpoll.h"
#include "sched/rtfd.h"
#include "sched/sys.h"

#define KICK_DATA UINT64_MAX

int netpoll_worker_init(struct worker *w)
{
	if (w->wepfd >= 0)
		return 0;
	long ep = SYS(SYS_epoll_create1, EPOLL_CLOEXEC, 0, 0);
	if (ep < 0)
		return ep;
	long kick = w->kickfd >= 0 ? w->kickfd
				   : SYS(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK, 0);
	if (kick < 0) {
		sys_close(ep);
		return kick;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = KICK_DATA };
	long r = SYS4(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, kick, &ev);
	if (r < 0) {
		sys_close(ep);
		if (kick != w->kickfd)
			sys_close(kick);
		return r;
	}
	if (kick != w->kickfd)
		rtfd_hide(kick, &w->kickfd, 0);
	rtfd_hide(ep, &w->wepfd, 0);
	LOG(LOG_SCHED, "worker %d polls epoll fd %d", w->id, w->wepfd);
	return 0;
}

int fd_arm(int fd, struct fdent *e)
{
	if (__atomic_load_n(&e->armed, __ATOMIC_ACQUIRE))
		return 0;
	if (e->unpollable)
		return -EPERM;
	struct worker *w = worker_tls;
	if (!w)
		return -EPERM;
	int r = netpoll_worker_init(w);
	if (r < 0)
		return r;
	spin_lock(&e->lock);
	if (e->armed) {
		spin_unlock(&e->lock);
		return 0;
	}
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.u64 = (uint64_t)(uint32_t)fd | (uint64_t)e->gen << 32,
	};
	long rc = SYS4(SYS_epoll_ctl, w->wepfd, EPOLL_CTL_ADD, fd, &ev);
	if (rc == -EEXIST) /* same file, same number, registered under an old generation */
		rc = SYS4(SYS_epoll_ctl, w->wepfd, EPOLL_CTL_MOD, fd, &ev);
	if (rc < 0) {
		if (rc == -EPERM)
			e->unpollable = 1;
		spin_unlock(&e->lock);
		LOG(LOG_NET, "fd %d cannot be polled (error %ld)", fd, -rc);
		return rc;
	}
	e->armed_w = w->id;
	__atomic_store_n(&e->armed, 1, __ATOMIC_RELEASE);
	spin_unlock(&e->lock);
	LOG(LOG_NET, "fd %d registered with worker %d", fd, w->id);
	return 0;
}

int fd_wait(int fd, struct fdent *e, unsigned events, int64_t deadline, enum park_reason why)
{
	int r = fd_arm(fd, e);
	if (r < 0)
		return r;
	uint32_t gen = e->gen;
	struct fdwaiter wt = { .co = co_self(), .events = events };
	if (fd_waiter_add(e, &wt))
		return 0; /* an edge came before we waited: try again */
	r = co_park(why, deadline);
	fd_waiter_del(e, &wt);
	if (__atomic_load_n(&e->gen, __ATOMIC_ACQUIRE) != gen)
		return -EBADF;
	return r;
}

void netpoll_kick(struct worker *w)
{
	uint64_t one = 1;
	int fd = __atomic_load_n(&w->kickfd, __ATOMIC_ACQUIRE);
	if (fd >= 0)
		sys_write(fd, &one, sizeof one);
}

static void dispatch(struct epoll_event *evs, long n, struct worker *w)
{
	struct kicks k = { .n = 0 };
	for (long i = 0; i < n; i++) {
		uint64_t d = evs[i].data.u64;
		if (d == KICK_DATA) {
			uint64_t v;
			sys_read(w->kickfd, &v, sizeof v);
			continue;
		}
		struct fdent *e = fd_peek((int)(uint32_t)d);
		if (!e)
			continue;
		unsigned ev = evs[i].events;
		unsigned want = 0;
		if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLPRI))
			want |= EPOLLIN;
		if (ev & EPOLLOUT)
			want |= EPOLLOUT;
		if (ev & (EPOLLERR | EPOLLHUP))
			want |= EPOLLIN | EPOLLOUT;
		spin_lock(&e->lock);
		if (e->gen == (uint32_t)(d >> 32)) {
			unsigned woken = 0;
			for (struct dq_link *l = e->waiters.head, *next; l; l = next) {
				struct fdwaiter *wt = container_of(l, struct fdwaiter, link);
				next = l->next;
				if (wt->events & want) {
					woken |= wt->events & want;
					fd_waiter_wake(e, wt, &k);
				}
			}
			e->ready |= want & ~woken;
		}
		spin_unlock(&e->lock);
	}
	kicks_flush(&k);
}

static void rearm(int fd, struct fdent *e, void *worker_id)
{
	struct kicks k = { .n = 0 };
	spin_lock(&e->lock);
	if (e->armed && e->armed_w == *(int *)worker_id) {
		e->armed = 0;
		while (e->waiters.head)
			fd_waiter_wake(e, container_of(e->waiters.head, struct fdwaiter, link), &k);
	}
	spin_unlock(&e->lock);
	kicks_flush(&k);
}

/* Our epoll instance is gone: the program closed it with a call we do not
 * see. Make a new one; every descriptor that was registered with the old
 * one is registered again by its next waiter. */
static void rebuild(struct worker *w, long err)
{
	coexec_say("worker %d: the program closed the runtime's epoll descriptor %d "
		   "(error %ld); making a new one", w->id, w->wepfd, -err);
	rtfd_drop(&w->wepfd);
	w->wepfd = -1;
	/* The kick eventfd may be gone too, or its number reused by the
	 * program: make a new one, and never close the old number. */
	rtfd_drop(&w->kickfd);
	w->kickfd = -1;
	if (netpoll_worker_init(w) < 0) {
		/* nothing to wait in: let time pass instead of spinning */
		struct timespec ms = { 0, 1000000 };
		SYS(SYS_nanosleep, &ms, 0, 0);
	}
	fd_each_waited(rearm, &w->id);
}

int netpoll_wait(struct worker *w, int64_t timeout_ns)
{
	struct epoll_event evs[128];
	long n;

	w->stats.polls++;
	if (w->wepfd < 0 && netpoll_worker_init(w) < 0) {
		/* No poller (EMFILE): sleep briefly and let the caller look
		 * again, the only way left to wait. */
		struct timespec ms = { 0, 1000000 };
		if (timeout_ns != 0)
			SYS(SYS_nanosleep, &ms, 0, 0);
		return 0;
	}
	/* While it waits, the worker takes any signal a coroutine of its
	 * own would (sched/sigmask.c). */
	uint64_t idle = sig_idle_mask(w);
	uint64_t *mask = idle != w->kmask ? &idle : NULL;
	if (timeout_ns < 0) {
		n = SYS6(SYS_epoll_pwait, w->wepfd, evs, 128, -1, mask, 8);
	} else {
		struct timespec ts = { timeout_ns / 1000000000, timeout_ns % 1000000000 };
		n = SYS6(SYS_epoll_pwait2, w->wepfd, evs, 128, &ts, mask, 8);
		if (n == -ENOSYS)
			n = SYS6(SYS_epoll_pwait, w->wepfd, evs, 128,
				 (timeout_ns + 999999) / 1000000, mask, 8);
	}
	if (n > 0)
		dispatch(evs, n, w);
	else if (n == -EBADF || n == -EINVAL)
		rebuild(w, n);
	return (int)n;
}
