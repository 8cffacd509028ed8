/* Descriptor bookkeeping: pipes, close, dup, fcntl and ioctl keep the
 * descriptor table true (what each number is, whether the program made it
 * non-blocking) and keep the runtime's own descriptors out of its way.
 * The fcntl and ioctl requests that wait go to the pool (shim/lock.c,
 * shim/devwait.c). */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>

#include "shim/blocking.h"
#include "shim/shim.h"
#include "sched/sys.h"

EXPORT int pipe2(int fds[2], int flags)
{
	int r = REAL_FN(pipe2)(fds, flags);
	if (r == 0) {
		view_new(fds[0], FD_PIPE, !!(flags & O_NONBLOCK));
		view_new(fds[1], FD_PIPE, !!(flags & O_NONBLOCK));
	}
	return r;
}

EXPORT int pipe(int fds[2])
{
	int r = REAL_FN(pipe)(fds);
	if (r == 0) {
		view_new(fds[0], FD_PIPE, 0);
		view_new(fds[1], FD_PIPE, 0);
	}
	return r;
}

EXPORT int close(int fd)
{
	if (rtfd_is(fd)) {
		errno = EBADF;
		return -1;
	}
	fd_forget(fd);
	return REAL_FN(close)(fd);
}

EXPORT int fclose(FILE *f)
{
	int fd = f ? fileno(f) : -1;
	if (fd >= 0)
		fd_forget(fd);
	return REAL_FN(fclose)(f);
}

/* close_range over [lo, hi] minus the runtime's descriptors: the range is
 * cut around each of ours (a handful), never walked number by number. */
static int close_range_around(unsigned lo, unsigned hi, int flags)
{
	if (lo > hi)
		return sysret(SYS(SYS_close_range, lo, hi, flags));
	if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
		return sysret(-EINVAL);
	if (!(flags & CLOSE_RANGE_CLOEXEC))
		fd_forget_range(lo, hi);
	unsigned from = lo;
	for (;;) {
		long ours = rtfd_next(from, hi);
		unsigned to = ours < 0 ? hi : (unsigned)ours - 1;
		if (ours != (long)from) {
			long r = SYS(SYS_close_range, from, to, flags);
			if (r < 0)
				return sysret(r);
			flags &= ~CLOSE_RANGE_UNSHARE; /* once is enough */
		}
		if (ours < 0 || (unsigned)ours == hi)
			return 0;
		from = ours + 1;
	}
}

EXPORT int close_range(unsigned lo, unsigned hi, int flags)
{
	return close_range_around(lo, hi, flags);
}

/* glibc's closefrom calls its internal close_range, which we would not
 * see. (glibc falls back to closing one by one where the kernel has no
 * close_range, before Linux 5.9; coexec does not: see coexec.7.) */
EXPORT void closefrom(int lo)
{
	close_range_around(lo < 0 ? 0 : lo, ~0u, 0);
}

/* freopen (and pclose, shim/child.c) close descriptors inside glibc: forget
 * the numbers first, or a later descriptor with the same number inherits a
 * stale entry (and its registration, and its waiters' wakes). */
EXPORT FILE *freopen(const char *path, const char *mode, FILE *f)
{
	int fd = f ? fileno(f) : -1;
	FILE *r = REAL_FN(freopen)(path, mode, f);
	if (fd >= 0)
		fd_forget(fd);
	if (r && fileno(r) >= 0 && fileno(r) != fd)
		fd_forget(fileno(r));
	return r;
}

EXPORT FILE *freopen64(const char *path, const char *mode, FILE *f)
{
	return freopen(path, mode, f);
}

EXPORT FILE *popen(const char *cmd, const char *mode)
{
	proc_share();
	FILE *f = REAL_FN(popen)(cmd, mode);
	if (f)
		view_new(fileno(f), FD_PIPE, 0); /* created inside glibc: ours is fresh */
	return f;
}

EXPORT int dup(int fd)
{
	int r = REAL_FN(dup)(fd);
	if (r >= 0)
		fd_dup(fd, r);
	return r;
}

static int dup_onto(int old, int new, int flags, int three)
{
	rtfd_evict(new);
	if (old != new)
		fd_forget(new);
	int r = three ? REAL_FN(dup3)(old, new, flags) : REAL_FN(dup2)(old, new);
	if (r >= 0 && old != new)
		fd_dup(old, r);
	return r;
}

EXPORT int dup2(int old, int new)
{
	return dup_onto(old, new, 0, 0);
}

EXPORT int dup3(int old, int new, int flags)
{
	return dup_onto(old, new, flags, 1);
}

static int fcntl_common(int (*real_fcntl)(int, int, ...), int fd, int cmd, long arg)
{
	if (cmd == F_SETLKW || cmd == F_OFD_SETLKW)
		return lock_wait(real_fcntl, fd, cmd, (void *)arg, BC_FCNTL);
	int r = real_fcntl(fd, cmd, arg);
	if (r < 0)
		return r;
	struct fdent *e;
	if (cmd == F_SETFL && (e = fd_get(fd))) {
		view(e)->user_nb = !!(arg & O_NONBLOCK);
		if (view(e)->kind == FD_REG) /* F_SETFL changes O_APPEND and O_DIRECT, not O_SYNC */
			view(e)->file_fl = (view(e)->file_fl & FL_SYNC) | (view_file_fl(arg) & ~FL_SYNC);
	} else if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		fd_dup(fd, r);
	return r;
}

EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	long arg = va_arg(ap, long);
	va_end(ap);
	return fcntl_common(REAL_FN(fcntl), fd, cmd, arg);
}

EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	long arg = va_arg(ap, long);
	va_end(ap);
	return fcntl_common(REAL_FN(fcntl64), fd, cmd, arg);
}

EXPORT int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	int r;
	if (tty_ioctl_wait(fd, req, arg, &r))
		return r;
	r = REAL_FN(ioctl)(fd, req, arg);
	struct fdent *e;
	if (r == 0 && req == FIONBIO && (e = fd_get(fd)))
		view(e)->user_nb = *(int *)arg != 0;
	return r;
}
