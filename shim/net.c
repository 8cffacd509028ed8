/* Socket creation, accept, connect and sendfile. The table learns each
 * socket's type and blocking mode where it is born, so later calls need no
 * system call to decide.
 *
 * accept, connect and sendfile have no MSG_DONTWAIT, and the open file
 * description's mode is never changed (another process may share it: a
 * prefork server's siblings would see their blocking accept fail with
 * EAGAIN). So:
 *   - accept waits for readiness (bounded by SO_RCVTIMEO) on the worker
 *     and asks poll() whether a connection is queued. On a socket only
 *     this process holds (only_ours), the blocking call then runs on the
 *     worker, one coroutine at a time, and returns at once. On one another
 *     process may share, it runs on the pool: if that process took the
 *     connection first, a pool thread, not the worker, waits for the next.
 *   - connect and sendfile make the blocking call on the pool while the
 *     coroutine parks (shim/blocking.h); the kernel then keeps SO_SNDTIMEO,
 *     partial counts and errors itself, and a signal interrupts the call
 *     there as it would natively: a connect returns EINTR and the handshake
 *     goes on, a sendfile returns what it sent. */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "sched/park.h"

#include "shim/blocking.h"
#include "shim/shim.h"
#include "sched/sys.h"

/* Whether another process may hold a socket's open file description: a
 * socket this process created (socket, socketpair, accept) is its own
 * until the process forks or starts another program, which share_epoch
 * counts (shim/proc.c). Only for a socket of its own may accept run on
 * the worker: nobody else can take the connection poll() saw. */
unsigned share_epoch;

static void born(struct fdent *e)
{
	view(e)->born_here = 1;
	view(e)->born_share = __atomic_load_n(&share_epoch, __ATOMIC_ACQUIRE);
}

static int only_ours(struct fdent *e)
{
	return view(e)->born_here && view(e)->born_share == __atomic_load_n(&share_epoch, __ATOMIC_ACQUIRE);
}

EXPORT int socket(int domain, int type, int proto)
{
	int fd = REAL_FN(socket)(domain, type, proto);
	if (fd >= 0) {
		struct fdent *e = view_new(fd, FD_SOCK, !!(type & SOCK_NONBLOCK));
		if (e) {
			view(e)->socktype = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
			born(e);
		}
	}
	return fd;
}

EXPORT int socketpair(int domain, int type, int proto, int sv[2])
{
	int r = REAL_FN(socketpair)(domain, type, proto, sv);
	if (r == 0) {
		for (int i = 0; i < 2; i++) {
			struct fdent *e = view_new(sv[i], FD_SOCK, !!(type & SOCK_NONBLOCK));
			if (e) {
				view(e)->socktype = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
				born(e);
			}
		}
	}
	return r;
}

static void born_accepted(int fd, struct fdent *l, int flags)
{
	struct fdent *e = view_new(fd, FD_SOCK, !!(flags & SOCK_NONBLOCK));
	if (!e)
		return;
	born(e);
	/* Linux copies the listener's socket options, timeouts included. */
	struct fdview *v = view(e), *lv = l ? view(l) : NULL;
	v->socktype = lv ? lv->socktype : 0;
	if (lv && lv->timeo_known) {
		v->rcvtimeo = lv->rcvtimeo;
		v->sndtimeo = lv->sndtimeo;
	} else {
		v->timeo_known = 0;
	}
}

struct accept_args {
	struct sockaddr *addr;
	socklen_t *alen;
	int flags;
};

/* One attempt: the accepted descriptor, -EAGAIN when nothing is queued, or
 * the kernel's error. poll() on the worker says whether a connection is
 * queued (a bad descriptor shows as POLLNVAL: accept then gives the native
 * error); the blocking accept itself runs on the pool, where losing the
 * connection to another process that shares the socket only makes a pool
 * thread wait for the next one. */
/* The accept turn: one coroutine of the process at a time between poll
 * and an accept on the worker, so the connection poll saw is still there. */
static int turn_take(struct fdent *e, int64_t deadline)
{
	for (;;) {
		int v = 0;
		if (__atomic_compare_exchange_n(&view(e)->accept_turn, &v, 1, 0, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return 0;
		int r = addr_wait(&view(e)->accept_turn, 1, deadline, 1);
		if (r < 0)
			return r;
	}
}

static void turn_give(struct fdent *e)
{
	__atomic_store_n(&view(e)->accept_turn, 0, __ATOMIC_RELEASE);
	addr_wake(&view(e)->accept_turn, 1);
}

static long accept_ready(int fd, struct fdent *e, struct accept_args *a, int64_t deadline)
{
	int mine = only_ours(e);
	if (mine) {
		int r = turn_take(e, deadline);
		if (r < 0)
			return r;
	}
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct timespec zero = { 0, 0 };
	if (SYS6(SYS_ppoll, &p, 1, &zero, 0, 8, 0) == 0) {
		/* Not a listening socket (UDP, not yet listen()ed, ...): the
		 * call fails at once, with the error the program must see. */
		int on = 1;
		socklen_t len = sizeof on;
		if (SYS6(SYS_getsockopt, fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len, 0) < 0 || on) {
			if (mine)
				turn_give(e);
			return -EAGAIN;
		}
	}
	if (mine) {
		/* returns at once: the connection is there */
		long r = SYS4(SYS_accept4, fd, a->addr, a->alen, a->flags);
		turn_give(e);
		return r;
	}
	return blocking_sys(co_self(), BC_ACCEPT, BC_INTR | BC_RESTART | BC_CANCEL, PARK_ACCEPT, fd,
			    SYS_accept4, fd, (long)a->addr, (long)a->alen, a->flags, 0, 0);
}

EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *alen, int flags)
{
	struct co *self = co_self();
	if (self)
		cancel_point(self);
	struct fdent *e = self && !co_may_block(self->w) ? fd_known(fd) : NULL;

	/* Bad flags fail before the kernel looks for a connection. */
	if (!e || view(e)->kind != FD_SOCK || view(e)->user_nb || (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))) {
		int r = REAL_FN(accept4)(fd, addr, alen, flags);
		if (r >= 0)
			born_accepted(r, fd_get(fd), flags);
		return r;
	}
	struct accept_args a = { addr, alen, flags };
	sock_learn_timeouts(fd, e);
	int64_t deadline = view(e)->rcvtimeo > 0 ? now_ns() + view(e)->rcvtimeo : -1;
	for (;;) {
		long r = accept_ready(fd, e, &a, deadline);
		if (r >= 0) {
			born_accepted(r, e, flags);
			LOG(LOG_NET, "fd %d: accepted fd %ld", fd, r);
			return r;
		}
		if (r == -ETIMEDOUT)
			return sysret(-EAGAIN);
		if (r == -EINTR) {
			if (intr_restart(self, 1))
				continue;
			return sysret(-EINTR);
		}
		if (r != -EAGAIN)
			return sysret(r);
		if (!sock_wait(fd, e, EPOLLIN, PARK_ACCEPT, deadline, &r))
			return sysret(r);
	}
}

EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *alen)
{
	return accept4(fd, addr, alen, 0);
}

EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t alen)
{
	REAL_WHILE_UNTHREADED(connect, fd, addr, alen);
	struct co *self = co_self();
	if (self)
		cancel_point(self);
	struct fdent *e = self && !co_may_block(self->w) ? fd_known(fd) : NULL;
	if (!e || view(e)->kind != FD_SOCK || view(e)->user_nb)
		return REAL_FN(connect)(fd, addr, alen);
	LOG(LOG_NET, "fd %d: blocking connect on the pool", fd);
	return sysret(blocking_sys(self, BC_CONNECT, BC_INTR | BC_RESTART | BC_CANCEL, PARK_CONNECT,
				   fd, SYS_connect, fd, (long)addr, alen, 0, 0, 0));
}

EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	int r = REAL_FN(setsockopt)(fd, level, name, val, len);
	if (r == 0 && level == SOL_SOCKET && len >= (socklen_t)sizeof(struct timeval) &&
	    (name == SO_RCVTIMEO || name == SO_SNDTIMEO
#ifdef SO_RCVTIMEO_NEW
	     || name == SO_RCVTIMEO_NEW || name == SO_SNDTIMEO_NEW
#endif
	     )) {
		/* The old and new layouts are the same on 64-bit targets. */
		const struct timeval *tv = val;
		int64_t ns = tv->tv_sec * 1000000000LL + tv->tv_usec * 1000LL;
		struct fdent *e = fd_known(fd);
		if (e) {
			sock_learn_timeouts(fd, e);
			if (name == SO_RCVTIMEO
#ifdef SO_RCVTIMEO_NEW
			    || name == SO_RCVTIMEO_NEW
#endif
			)
				view(e)->rcvtimeo = ns;
			else
				view(e)->sndtimeo = ns;
		}
	}
	return r;
}

/* sendfile to a blocking socket sends everything (or up to the end of the
 * input) before it returns, or what it could before a signal: the pool
 * makes that call, and the kernel reads and writes the offset. */
static ssize_t send_file(int out, int in, off_t *off, size_t count)
{
	struct co *self = co_self();
	if (self)
		cancel_point(self);
	struct fdent *e = self && !co_may_block(self->w) ? fd_known(out) : NULL;
	if (!e || view(e)->kind != FD_SOCK || view(e)->user_nb || count == 0)
		return REAL_FN(sendfile)(out, in, off, count);
	return sysret(blocking_sys(self, BC_SENDFILE, BC_INTR | BC_RESTART | BC_CANCEL, PARK_WRITE,
				   out, SYS_sendfile, out, in, (long)off, count, 0, 0));
}

EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t count)
{
	REAL_WHILE_UNTHREADED(sendfile, out, in, off, count);
	return send_file(out, in, off, count);
}

/* The same call for programs built with 64-bit file offsets (off_t is
 * 64 bits on x86_64 either way). */
EXPORT ssize_t sendfile64(int out, int in, off_t *off, size_t count)
{
	REAL_WHILE_UNTHREADED(sendfile, out, in, off, count);
	return send_file(out, in, off, count);
}
