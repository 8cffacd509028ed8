/* Reads and writes that park instead of blocking: read, write, readv, writev
 * and the socket send/receive family.
 *
 * Sockets: each attempt passes MSG_DONTWAIT, so the open file description
 * keeps the blocking mode the program gave it; on EAGAIN the coroutine waits
 * for readiness (bounded by SO_RCVTIMEO/SO_SNDTIMEO) and tries again. The
 * blocking semantics are rebuilt here: a stream send returns when all bytes
 * are out, MSG_WAITALL waits for all bytes, a partial transfer followed by an
 * error or timeout returns the partial count.
 * Pipes, FIFOs and character devices: preadv2/pwritev2 with RWF_NOWAIT where
 * the kernel supports it for the file, else wait for poll readiness and call
 * the real function. Regular files: shim/disk.c.
 * A descriptor the program made non-blocking, or a coroutine alone on its
 * worker, gets the real call. */
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "shim/shim.h"
#include "sched/sys.h"

#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008
#endif

enum { IO_RECV, IO_RECVMSG, IO_SEND, IO_SENDMSG };

struct io {
	int op;
	int flags;
	void *buf;                     /* IO_RECV, IO_SEND */
	size_t len;
	struct sockaddr *addr;         /* recvfrom source / sendto destination */
	socklen_t *alen, dlen;
	struct msghdr *msg;            /* IO_*MSG: a private copy once advanced */
	struct msghdr mcopy;
	struct iovec *iov_owned;
};

/* quiet: MSG_NOSIGNAL. After part of a send went out, the native call
 * returns that part when the peer goes away, and raises no SIGPIPE. */
static long try_once(int fd, struct io *io, int quiet)
{
	int fl = io->flags | MSG_DONTWAIT | quiet;
	switch (io->op) {
	case IO_RECV:
		return SYS6(SYS_recvfrom, fd, io->buf, io->len, fl, io->addr, io->alen);
	case IO_SEND:
		return SYS6(SYS_sendto, fd, io->buf, io->len, fl, io->addr, io->dlen);
	case IO_RECVMSG:
		return SYS(SYS_recvmsg, fd, io->msg, fl);
	default:
		return SYS(SYS_sendmsg, fd, io->msg, fl);
	}
}

size_t iov_total(const struct iovec *iov, size_t n)
{
	size_t t = 0;
	for (size_t i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

/* Drop the first n bytes from an iovec array we own. */
void iov_advance(struct iovec **iov, size_t *cnt, size_t n)
{
	while (*cnt && n >= (*iov)->iov_len) {
		n -= (*iov)->iov_len;
		(*iov)++;
		(*cnt)--;
	}
	if (*cnt) {
		(*iov)->iov_base = (char *)(*iov)->iov_base + n;
		(*iov)->iov_len -= n;
	}
}

/* Make io->msg a copy we may change (the program's msghdr and iovecs are
 * its own, and const for sendmsg). 0 or -ENOMEM. */
static int own_msg(struct io *io)
{
	if (io->msg == &io->mcopy)
		return 0;
	io->mcopy = *io->msg;
	size_t n = io->mcopy.msg_iovlen;
	io->iov_owned = malloc((n ? n : 1) * sizeof(struct iovec));
	if (!io->iov_owned)
		return -ENOMEM;
	memcpy(io->iov_owned, io->msg->msg_iov, n * sizeof(struct iovec));
	io->mcopy.msg_iov = io->iov_owned;
	io->msg = &io->mcopy;
	return 0;
}

/* Account for r bytes moved; returns the bytes still to move. */
static size_t advance(struct io *io, size_t r)
{
	if (io->op == IO_RECV || io->op == IO_SEND) {
		io->buf = (char *)io->buf + r;
		io->len -= r;
		return io->len;
	}
	if (own_msg(io) < 0)
		return 0;
	struct iovec *iov = io->msg->msg_iov;
	size_t cnt = io->msg->msg_iovlen;
	iov_advance(&iov, &cnt, r);
	io->msg->msg_iov = iov;
	io->msg->msg_iovlen = cnt;
	/* Ancillary data goes with the first part only. */
	if (io->op == IO_SENDMSG) {
		io->msg->msg_control = NULL;
		io->msg->msg_controllen = 0;
	}
	return iov_total(iov, cnt);
}

void sock_learn_timeouts(int fd, struct fdent *e)
{
	if (view(e)->timeo_known)
		return;
	struct timeval tv;
	socklen_t len = sizeof tv;
	if (SYS6(SYS_getsockopt, fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len, 0) == 0)
		view(e)->rcvtimeo = tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL;
	len = sizeof tv;
	if (SYS6(SYS_getsockopt, fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len, 0) == 0)
		view(e)->sndtimeo = tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL;
	view(e)->timeo_known = 1;
}

int sock_wait(int fd, struct fdent *e, unsigned ev, enum park_reason why, int64_t deadline,
	      long *r)
{
	int w = fd_wait(fd, e, ev, deadline, why);
	if (w == -ETIMEDOUT) {
		*r = -EAGAIN; /* what a socket timeout says */
		return 0;
	}
	/* SA_RESTART restarts socket calls unless a timeout is set (signal(7)) */
	if (w == -EINTR && intr_restart(co_self(), deadline < 0))
		return 1;
	if (w < 0) {
		*r = w;
		return 0;
	}
	return 1;
}

/* The parking transfer loop for a blocking socket. */
static ssize_t sock_xfer(int fd, struct fdent *e, struct io *io)
{
	int sending = io->op == IO_SEND || io->op == IO_SENDMSG;
	int stream = view(e)->socktype == SOCK_STREAM;
	int want_all = stream && (sending || ((io->flags & MSG_WAITALL) && !(io->flags & MSG_PEEK)));
	int64_t deadline = -2;
	size_t done = 0;
	long r;

	for (;;) {
		r = try_once(fd, io, sending && done ? MSG_NOSIGNAL : 0);
		if (r >= 0) {
			done += r;
			if (!want_all || (!sending && r == 0) || advance(io, r) == 0)
				break;
			continue;
		}
		if (r == -EINTR)
			continue;
		if (r != -EAGAIN)
			break;
		if (deadline == -2) {
			sock_learn_timeouts(fd, e);
			int64_t t = sending ? view(e)->sndtimeo : view(e)->rcvtimeo;
			deadline = t > 0 ? now_ns() + t : -1;
		}
		if (!sock_wait(fd, e, sending ? EPOLLOUT : EPOLLIN, sending ? PARK_WRITE : PARK_READ,
			       deadline, &r))
			break;
	}
	free(io->iov_owned);
	return sysret(done ? (long)done : r);
}

/* Should this socket call park? Returns the entry, or NULL for the real call. */
static struct fdent *parking_socket(int fd, int flags)
{
	struct co *self = co_self();
	if (!self)
		return NULL;
	cancel_point(self);
	if (co_may_block(self->w) || (flags & MSG_DONTWAIT))
		return NULL;
	struct fdent *e = fd_known(fd);
	if (!e || view(e)->kind != FD_SOCK || view(e)->user_nb)
		return NULL;
	return e;
}

/* Pipes and other pollable non-sockets. The program's iovecs are copied
 * only once the kernel has accepted them and a partial write must go on. */
static ssize_t file_xfer(int fd, struct fdent *e, const struct iovec *uiov, int cnt, int writing)
{
	struct iovec local[8], *owned = NULL, *iov = (struct iovec *)uiov;
	size_t done = 0;
	size_t n = cnt;
	long r;

	for (;;) {
		if (!view(e)->nowait_bad) {
			r = SYS6(writing ? SYS_pwritev2 : SYS_preadv2, fd, iov, n, -1, -1, RWF_NOWAIT);
			if (r == -EOPNOTSUPP) {
				view(e)->nowait_bad = 1;
				LOG(LOG_NET, "fd %d: no RWF_NOWAIT, waiting for readiness instead", fd);
			}
		}
		if (view(e)->nowait_bad) {
			struct pollfd p = { fd, writing ? POLLOUT : POLLIN, 0 };
			if (REAL_FN(poll)(&p, 1, 0) != 0) {
				r = writing ? REAL_FN(writev)(fd, iov, n) : REAL_FN(readv)(fd, iov, n);
				if (r < 0)
					r = -errno;
			} else {
				r = -EAGAIN;
			}
		}
		if (r >= 0) {
			done += r;
			if (!writing || r == 0)
				break;
			if (!owned) {
				owned = n <= 8 ? local : malloc(n * sizeof *iov);
				if (!owned)
					break;
				memcpy(owned, iov, n * sizeof *iov);
				iov = owned;
			}
			iov_advance(&iov, &n, r);
			if (!n)
				break;
			continue;
		}
		if (r == -EINTR)
			continue;
		if (r != -EAGAIN)
			break;
		int w = fd_wait(fd, e, writing ? EPOLLOUT : EPOLLIN, -1,
				writing ? PARK_WRITE : PARK_READ);
		if (w == -EINTR && intr_restart(co_self(), 1))
			continue;
		if (w < 0) {
			if (w != -EBADF && w != -EINTR && !done) { /* cannot poll it: block for real */
				r = writing ? REAL_FN(writev)(fd, iov, n) : REAL_FN(readv)(fd, iov, n);
				r = r < 0 ? -errno : r;
			} else {
				r = w;
			}
			break;
		}
	}
	if (owned && owned != local)
		free(owned);
	return sysret(done ? (long)done : r);
}

/* Does a read/write on fd go through file_xfer? */
static struct fdent *parking_file(int fd, struct fdent *e)
{
	if (!e || view(e)->user_nb || e->unpollable)
		return NULL;
	if (view(e)->kind == FD_PIPE || view(e)->kind == FD_CHR || view(e)->kind == FD_OTHER)
		return e;
	return NULL;
}

static ssize_t rw_iov(int fd, const struct iovec *uiov, int cnt, int writing)
{
	struct co *self = co_self();
	struct fdent *e;

	if (self)
		cancel_point(self);
	if (!self || co_may_block(self->w) || cnt <= 0 || cnt > IOV_MAX || !(e = fd_known(fd)))
		goto real;
	if (view(e)->kind == FD_SOCK && !view(e)->user_nb) {
		struct msghdr m = { .msg_iov = (struct iovec *)uiov, .msg_iovlen = cnt };
		struct io io = { .op = writing ? IO_SENDMSG : IO_RECVMSG, .msg = &m };
		ssize_t r = sock_xfer(fd, e, &io);
		if (r < 0 && errno == ENOTSOCK) {
			/* a stale entry: the number now names something else */
			fd_forget(fd);
			goto real;
		}
		return r;
	}
	if (parking_file(fd, e))
		return file_xfer(fd, e, uiov, cnt, writing);
	if (view(e)->kind == FD_REG)
		return (writing ? disk_write : disk_read)(self, fd, e, uiov, cnt, -1, 1);
real:
	return writing ? REAL_FN(writev)(fd, uiov, cnt) : REAL_FN(readv)(fd, uiov, cnt);
}

/* read and write: the same as readv/writev of one buffer, without building
 * a msghdr for sockets. */
static ssize_t rw_buf(int fd, void *buf, size_t n, int writing)
{
	struct co *self = co_self();
	struct fdent *e;

	if (self)
		cancel_point(self);
	if (!self || co_may_block(self->w) || n == 0 || !(e = fd_known(fd)))
		goto real;
	if (view(e)->kind == FD_SOCK && !view(e)->user_nb) {
		struct io io = { .op = writing ? IO_SEND : IO_RECV, .buf = buf, .len = n };
		ssize_t r = sock_xfer(fd, e, &io);
		if (r < 0 && errno == ENOTSOCK) {
			fd_forget(fd); /* a stale entry: the number now names something else */
			goto real;
		}
		return r;
	}
	struct iovec iov = { buf, n };
	if (parking_file(fd, e))
		return file_xfer(fd, e, &iov, 1, writing);
	if (view(e)->kind == FD_REG)
		return (writing ? disk_write : disk_read)(self, fd, e, &iov, 1, -1, 0);
real:
	return writing ? REAL_FN(write)(fd, buf, n) : REAL_FN(read)(fd, buf, n);
}

EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	REAL_WHILE_UNTHREADED(read, fd, buf, n);
	return rw_buf(fd, buf, n, 0);
}

EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	REAL_WHILE_UNTHREADED(write, fd, buf, n);
	return rw_buf(fd, (void *)buf, n, 1);
}

EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	REAL_WHILE_UNTHREADED(readv, fd, iov, cnt);
	return rw_iov(fd, iov, cnt, 0);
}

EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	REAL_WHILE_UNTHREADED(writev, fd, iov, cnt);
	return rw_iov(fd, iov, cnt, 1);
}

EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
			socklen_t *alen)
{
	REAL_WHILE_UNTHREADED(recvfrom, fd, buf, n, flags, addr, alen);
	struct fdent *e = parking_socket(fd, flags);
	if (!e)
		return REAL_FN(recvfrom)(fd, buf, n, flags, addr, alen);
	struct io io = { .op = IO_RECV, .buf = buf, .len = n, .flags = flags, .addr = addr, .alen = alen };
	return sock_xfer(fd, e, &io);
}

EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	REAL_WHILE_UNTHREADED(recv, fd, buf, n, flags);
	struct fdent *e = parking_socket(fd, flags);
	if (!e)
		return REAL_FN(recv)(fd, buf, n, flags);
	struct io io = { .op = IO_RECV, .buf = buf, .len = n, .flags = flags };
	return sock_xfer(fd, e, &io);
}

EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	REAL_WHILE_UNTHREADED(recvmsg, fd, msg, flags);
	struct fdent *e = parking_socket(fd, flags);
	if (!e)
		return REAL_FN(recvmsg)(fd, msg, flags);
	struct io io = { .op = IO_RECVMSG, .msg = msg, .flags = flags };
	ssize_t r = sock_xfer(fd, e, &io);
	return r;
}

EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	REAL_WHILE_UNTHREADED(send, fd, buf, n, flags);
	struct fdent *e = parking_socket(fd, flags);
	if (!e)
		return REAL_FN(send)(fd, buf, n, flags);
	struct io io = { .op = IO_SEND, .buf = (void *)buf, .len = n, .flags = flags };
	return sock_xfer(fd, e, &io);
}

EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr,
		      socklen_t alen)
{
	REAL_WHILE_UNTHREADED(sendto, fd, buf, n, flags, addr, alen);
	struct fdent *e = parking_socket(fd, flags);
	if (!e)
		return REAL_FN(sendto)(fd, buf, n, flags, addr, alen);
	struct io io = { .op = IO_SEND, .buf = (void *)buf, .len = n, .flags = flags,
			 .addr = (struct sockaddr *)addr, .dlen = alen };
	return sock_xfer(fd, e, &io);
}

EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	REAL_WHILE_UNTHREADED(sendmsg, fd, msg, flags);
	struct fdent *e = parking_socket(fd, flags);
	if (!e)
		return REAL_FN(sendmsg)(fd, msg, flags);
	struct io io = { .op = IO_SENDMSG, .msg = (struct msghdr *)msg, .flags = flags };
	return sock_xfer(fd, e, &io);
}

/* recvmmsg blocks until vlen messages have arrived (MSG_WAITFORONE: until
 * the first), and checks its timeout only after each message, writing back
 * the time left; sendmmsg blocks until every message is sent. */
EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags, struct timespec *tmo)
{
	REAL_WHILE_UNTHREADED(recvmmsg, fd, vec, vlen, flags, tmo);
	struct fdent *e = parking_socket(fd, flags);
	struct timespec t;
	if (!e || (tmo && copy_in(&t, tmo, sizeof t) < 0))
		return REAL_FN(recvmmsg)(fd, vec, vlen, flags, tmo);
	int64_t until = tmo ? now_ns() + t.tv_sec * 1000000000LL + t.tv_nsec : -1;
	unsigned got = 0;
	long r;
	sock_learn_timeouts(fd, e);
	int64_t deadline = view(e)->rcvtimeo > 0 ? now_ns() + view(e)->rcvtimeo : -1;
	for (;;) {
		r = SYS6(SYS_recvmmsg, fd, vec + got, vlen - got, flags | MSG_DONTWAIT, NULL, 0);
		if (r > 0) {
			got += r;
			if (got == vlen || (flags & MSG_WAITFORONE) || (until >= 0 && now_ns() >= until))
				break;
			continue;
		}
		if (r != -EAGAIN || (got && (flags & MSG_WAITFORONE)))
			break;
		if (!sock_wait(fd, e, EPOLLIN, PARK_READ, deadline, &r))
			break;
	}
	if (tmo && (got || r >= 0)) {
		int64_t left = until - now_ns();
		if (left < 0)
			left = 0;
		tmo->tv_sec = left / 1000000000;
		tmo->tv_nsec = left % 1000000000;
	}
	return got ? (int)got : (int)sysret(r);
}

EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags)
{
	REAL_WHILE_UNTHREADED(sendmmsg, fd, vec, vlen, flags);
	struct fdent *e = parking_socket(fd, flags);
	if (!e)
		return REAL_FN(sendmmsg)(fd, vec, vlen, flags);
	unsigned sent = 0;
	long r;
	sock_learn_timeouts(fd, e);
	int64_t deadline = view(e)->sndtimeo > 0 ? now_ns() + view(e)->sndtimeo : -1;
	for (;;) {
		r = SYS4(SYS_sendmmsg, fd, vec + sent, vlen - sent, flags | MSG_DONTWAIT);
		if (r >= 0) {
			sent += r;
			if (sent >= vlen || r == 0)
				break;
			continue;
		}
		if (r != -EAGAIN || !sock_wait(fd, e, EPOLLOUT, PARK_WRITE, deadline, &r))
			break;
	}
	return sent ? (int)sent : (int)sysret(r);
}
