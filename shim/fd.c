/* Descriptor bookkeeping: pipes, close, dup, fcntl and ioctl keep the
 * descriptor table true (what each number is, whether the program made it
 * non-blocking) and keep the runtime's own descriptors out of its way. */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>

#include "shim/shim.h"
#include "sched/sys.h"

EXPORT int pipe2(int fds[2], int flags)
{
	int r = REAL_FN(pipe2)(fds, flags);
	if (r == 0) {
		fd_new(fds[0], FD_PIPE, !!(flags & O_NONBLOCK));
		fd_new(fds[1], FD_PIPE, !!(flags & O_NONBLOCK));
	}
	return r;
}

EXPORT int pipe(int fds[2])
{
	int r = REAL_FN(pipe)(fds);
	if (r == 0) {
		fd_new(fds[0], FD_PIPE, 0);
		fd_new(fds[1], FD_PIPE, 0);
	}
	return r;
}

EXPORT int close(int fd)
{
	if (fd_is_runtime(fd)) {
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

/* close_range must step around the runtime's descriptors. */
EXPORT int close_range(unsigned lo, unsigned hi, int flags)
{
	unsigned from = lo;
	int r = 0;
	for (unsigned fd = lo; fd <= hi && fd < 1u << 30; fd++) {
		if (!fd_is_runtime(fd))
			continue;
		if (fd > from)
			r = REAL_FN(close_range)(from, fd - 1, flags);
		if (r < 0)
			return r;
		from = fd + 1;
		if (fd == hi)
			return 0;
	}
	if (!(flags & CLOSE_RANGE_CLOEXEC))
		for (unsigned fd = from; fd <= hi && fd - from < 65536; fd++)
			fd_forget(fd);
	return REAL_FN(close_range)(from, hi, flags);
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
	if (fd_is_runtime(new))
		fd_evict_runtime(new);
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
	int r = real_fcntl(fd, cmd, arg);
	if (r < 0)
		return r;
	struct fdent *e;
	if (cmd == F_SETFL && (e = fd_get(fd)))
		e->user_nb = !!(arg & O_NONBLOCK);
	else if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
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
	int r = REAL_FN(ioctl)(fd, req, arg);
	struct fdent *e;
	if (r == 0 && req == FIONBIO && (e = fd_get(fd)))
		e->user_nb = *(int *)arg != 0;
	return r;
}
