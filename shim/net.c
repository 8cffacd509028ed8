/* Socket creation, accept and connect. The table learns each socket's type
 * and blocking mode where it is born, so later calls need no system call to
 * decide. accept and connect have no MSG_DONTWAIT: the description is made
 * non-blocking across the call itself and restored at once, so nothing the
 * program (or a process sharing the socket) can observe changes while the
 * coroutine is parked. accept waits for readiness bounded by SO_RCVTIMEO,
 * connect for the end of the handshake bounded by SO_SNDTIMEO, like the
 * native calls. */
#include <fcntl.h>

#include "shim/shim.h"
#include "sched/sys.h"

EXPORT int socket(int domain, int type, int proto)
{
	int fd = REAL_FN(socket)(domain, type, proto);
	if (fd >= 0) {
		struct fdent *e = fd_new(fd, FD_SOCK, !!(type & SOCK_NONBLOCK));
		if (e)
			e->socktype = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	}
	return fd;
}

EXPORT int socketpair(int domain, int type, int proto, int sv[2])
{
	int r = REAL_FN(socketpair)(domain, type, proto, sv);
	if (r == 0) {
		for (int i = 0; i < 2; i++) {
			struct fdent *e = fd_new(sv[i], FD_SOCK, !!(type & SOCK_NONBLOCK));
			if (e)
				e->socktype = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
		}
	}
	return r;
}

static void born_accepted(int fd, struct fdent *l, int flags)
{
	struct fdent *e = fd_new(fd, FD_SOCK, !!(flags & SOCK_NONBLOCK));
	if (!e)
		return;
	/* Linux copies the listener's socket options, timeouts included. */
	e->socktype = l ? l->socktype : 0;
	if (l && l->timeo_known) {
		e->rcvtimeo = l->rcvtimeo;
		e->sndtimeo = l->sndtimeo;
	} else {
		e->timeo_known = 0;
	}
}

/* Call f with the description non-blocking for the duration of the call
 * only. Coroutines on several workers may do this on one descriptor at
 * once: the first sets the flag, the last one out restores what it found,
 * so none of them ever sees our flag as the program's. Returns f's result,
 * or the fcntl error (EBADF) without calling f. */
static long nonblocking_call(int fd, struct fdent *e, long (*f)(int, void *), void *arg)
{
	spin_lock(&e->lock);
	if (e->nb_holds++ == 0) {
		long fl = sys_fcntl(fd, F_GETFL, 0);
		if (fl < 0) {
			e->nb_holds--;
			spin_unlock(&e->lock);
			return fl;
		}
		e->saved_fl = fl;
		if (!(fl & O_NONBLOCK))
			sys_fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	}
	spin_unlock(&e->lock);
	long r = f(fd, arg);
	spin_lock(&e->lock);
	if (--e->nb_holds == 0 && !(e->saved_fl & O_NONBLOCK))
		sys_fcntl(fd, F_SETFL, e->saved_fl);
	spin_unlock(&e->lock);
	return r;
}

struct accept_args {
	struct sockaddr *addr;
	socklen_t *alen;
	int flags;
};

static long do_accept(int fd, void *p)
{
	struct accept_args *a = p;
	return SYS4(SYS_accept4, fd, a->addr, a->alen, a->flags);
}

EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *alen, int flags)
{
	struct co *self = co_self();
	if (self)
		cancel_point(self);
	struct fdent *e = self && !co_alone(self->w) ? fd_known(fd) : NULL;

	if (!e || e->kind != FD_SOCK || e->user_nb) {
		int r = REAL_FN(accept4)(fd, addr, alen, flags);
		if (r >= 0)
			born_accepted(r, fd_get(fd), flags);
		return r;
	}
	struct accept_args a = { addr, alen, flags };
	int64_t deadline = -2;
	for (;;) {
		long r = nonblocking_call(fd, e, do_accept, &a);
		if (r >= 0) {
			born_accepted(r, e, flags);
			LOG(LOG_NET, "fd %d: accepted fd %ld", fd, r);
			return r;
		}
		if (r != -EAGAIN)
			return sysret(r);
		if (deadline == -2) {
			sock_learn_timeouts(fd, e);
			deadline = e->rcvtimeo > 0 ? now_ns() + e->rcvtimeo : -1;
		}
		if (!sock_wait(fd, e, EPOLLIN, PARK_ACCEPT, deadline, &r))
			return sysret(r);
	}
}

EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *alen)
{
	return accept4(fd, addr, alen, 0);
}

struct connect_args {
	const struct sockaddr *addr;
	socklen_t alen;
};

static long do_connect(int fd, void *p)
{
	struct connect_args *a = p;
	return SYS(SYS_connect, fd, a->addr, a->alen);
}

EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t alen)
{
	SOLO_REAL(connect, fd, addr, alen);
	struct co *self = co_self();
	if (self)
		cancel_point(self);
	struct fdent *e = self && !co_alone(self->w) ? fd_known(fd) : NULL;

	if (!e || e->kind != FD_SOCK || e->user_nb)
		return REAL_FN(connect)(fd, addr, alen);

	sock_learn_timeouts(fd, e);
	int64_t deadline = e->sndtimeo > 0 ? now_ns() + e->sndtimeo : -1;
	int waited = 0;
	long r;
	for (;;) {
		/* The socket is non-blocking only across the call. Once the
		 * handshake has ended, calling connect again is what lets the
		 * kernel report the outcome and reset the socket's state exactly
		 * as the blocking call would have (0, or the error). */
		struct connect_args a = { addr, alen };
		r = nonblocking_call(fd, e, do_connect, &a);
		if (waited && r == -EISCONN)
			return 0;
		if (r == -EINPROGRESS || (waited && r == -EALREADY)) {
			if (!waited)
				LOG(LOG_NET, "fd %d: connect in progress, parking", fd);
			waited = 1;
			int w = fd_wait(fd, e, EPOLLOUT, deadline, PARK_CONNECT);
			if (w == -ETIMEDOUT)
				return sysret(-EINPROGRESS); /* what a timed-out blocking connect says */
			if (w == -EINTR && intr_restart(self, 1))
				continue;
			if (w < 0)
				return sysret(w);
			continue;
		}
		/* A Unix socket whose listener's backlog is full says EAGAIN
		 * where the blocking call would wait: try again shortly. */
		if (r == -EAGAIN && addr && addr->sa_family == AF_UNIX) {
			int64_t soon = now_ns() + 1000000;
			if (deadline >= 0 && soon > deadline)
				return sysret(-EAGAIN);
			co_park(PARK_CONNECT, soon);
			continue;
		}
		return sysret(r);
	}
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
				e->rcvtimeo = ns;
			else
				e->sndtimeo = ns;
		}
	}
	return r;
}

struct sendfile_args {
	int in;
	off_t *off;
	size_t count;
};

static long do_sendfile(int fd, void *p)
{
	struct sendfile_args *a = p;
	return SYS4(SYS_sendfile, fd, a->in, a->off, a->count);
}

/* sendfile to a blocking socket sends everything (or up to the end of the
 * input) before it returns; no flag makes one call non-blocking, so the
 * description is non-blocking across each call, like accept. */
static ssize_t send_file(int out, int in, off_t *off, size_t count)
{
	struct co *self = co_self();
	if (self)
		cancel_point(self);
	struct fdent *e = self && !co_alone(self->w) ? fd_known(out) : NULL;
	if (!e || e->kind != FD_SOCK || e->user_nb || count == 0)
		return REAL_FN(sendfile)(out, in, off, count);
	sock_learn_timeouts(out, e);
	int64_t deadline = e->sndtimeo > 0 ? now_ns() + e->sndtimeo : -1;
	struct sendfile_args a = { in, off, count };
	size_t done = 0;
	long r;
	for (;;) {
		r = nonblocking_call(out, e, do_sendfile, &a);
		if (r > 0) {
			done += r;
			a.count -= r;
			if (!a.count)
				break;
			continue;
		}
		if (r != -EAGAIN || !sock_wait(out, e, EPOLLOUT, PARK_WRITE, deadline, &r))
			break;
	}
	return done ? (ssize_t)done : sysret(r);
}

EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t count)
{
	SOLO_REAL(sendfile, out, in, off, count);
	return send_file(out, in, off, count);
}

/* The same call for programs built with 64-bit file offsets (off_t is
 * 64 bits on x86_64 either way). */
EXPORT ssize_t sendfile64(int out, int in, off_t *off, size_t count)
{
	SOLO_REAL(sendfile, out, in, off, count);
	return send_file(out, in, off, count);
}
