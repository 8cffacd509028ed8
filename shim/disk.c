/* Reads of regular files (and block devices): read, readv, pread, preadv.
 *
 * The first attempt is preadv2 with RWF_NOWAIT on the worker: data in the
 * page cache is copied at once, at the cost of the call the program made.
 * What must come from the disk is read on the blocking-call pool while the
 * coroutine parks, so a cold read stops only its caller. A short
 * RWF_NOWAIT read (part cached, or the end of the file) is followed by one
 * more attempt for the rest before the pool, so the program sees the counts
 * a native read gives. A file system without RWF_NOWAIT is read inline, as
 * the program asked. Writes stay inline: they go to the page cache
 * (coexec.7). */
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "shim/blocking.h"
#include "shim/shim.h"
#include "sched/sys.h"

#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008
#endif

/* Copying cached data is work that never parks: after every few MiB of
 * it, give the worker's other coroutines their turn, as the kernel's
 * scheduler would give them theirs while a thread copies. */
#define GIVE_WAY_BYTES (4ul << 20)

static void give_way(struct co *self, long n)
{
	if (n <= 0 || (self->inline_bytes += n) < GIVE_WAY_BYTES)
		return;
	self->inline_bytes = 0;
	co_yield(); /* the scheduler also wakes sleepers whose time has come */
}

static long read_real(int fd, const struct iovec *iov, int cnt, off_t off)
{
	return off < 0 ? SYS(SYS_readv, fd, iov, cnt) : SYS6(SYS_preadv, fd, iov, cnt, off, 0, 0);
}

ssize_t disk_read(struct co *self, int fd, struct fdent *e, const struct iovec *uiov, int cnt,
		  off_t off)
{
	struct fdview *v = view(e);
	if (v->nowait_bad)
		return sysret(read_real(fd, uiov, cnt, off));
	size_t want = iov_total(uiov, cnt);
	long r = SYS6(SYS_preadv2, fd, uiov, cnt, off, 0, RWF_NOWAIT);
	if (r == -EOPNOTSUPP) {
		v->nowait_bad = 1;
		LOG(LOG_POOL, "fd %d: no RWF_NOWAIT here; its reads stay inline", fd);
		return sysret(read_real(fd, uiov, cnt, off));
	}
	if (r == 0 || r == (long)want) {
		give_way(self, r);
		return r;
	}
	if (r < 0 && r != -EAGAIN) /* the native error, from the native call */
		return sysret(read_real(fd, uiov, cnt, off));

	struct iovec local[8], *base = cnt <= 8 ? local : malloc(cnt * sizeof *base), *iov = base;
	if (!base)
		return r > 0 ? r : sysret(read_real(fd, uiov, cnt, off));
	memcpy(base, uiov, cnt * sizeof *base);
	size_t n = cnt, done = 0;
	while (r > 0) {
		done += r;
		iov_advance(&iov, &n, r);
		if (!n)
			break;
		r = SYS6(SYS_preadv2, fd, iov, n, off < 0 ? -1 : off + (off_t)done, 0, RWF_NOWAIT);
	}
	if (n && r == -EAGAIN) {
		r = blocking_sys(self, BC_READ, 0, PARK_FILE, fd, off < 0 ? SYS_readv : SYS_preadv, fd,
				 (long)iov, n, off < 0 ? 0 : off + (off_t)done, 0, 0);
		if (r > 0)
			done += r;
	}
	if (base != local)
		free(base);
	give_way(self, done);
	if (done)
		return done;
	return sysret(r);
}

/* Does this positioned read go through disk_read? */
static struct fdent *disk_file(struct co *self, int fd, size_t n, off_t off)
{
	if (!self)
		return NULL;
	cancel_point(self);
	if (co_may_block(self->w) || n == 0 || off < 0)
		return NULL;
	struct fdent *e = fd_known(fd);
	return e && view(e)->kind == FD_REG ? e : NULL;
}

EXPORT ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	REAL_WHILE_UNTHREADED(pread, fd, buf, n, off);
	struct co *self = co_self();
	struct fdent *e = disk_file(self, fd, n, off);
	if (!e)
		return REAL_FN(pread)(fd, buf, n, off);
	struct iovec iov = { buf, n };
	return disk_read(self, fd, e, &iov, 1, off);
}

EXPORT ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
	return pread(fd, buf, n, off);
}

EXPORT ssize_t preadv(int fd, const struct iovec *iov, int cnt, off_t off)
{
	REAL_WHILE_UNTHREADED(preadv, fd, iov, cnt, off);
	struct co *self = co_self();
	struct fdent *e = cnt > 0 && cnt <= IOV_MAX ? disk_file(self, fd, 1, off) : NULL;
	if (!e)
		return REAL_FN(preadv)(fd, iov, cnt, off);
	return disk_read(self, fd, e, iov, cnt, off);
}

EXPORT ssize_t preadv64(int fd, const struct iovec *iov, int cnt, off_t off)
{
	return preadv(fd, iov, cnt, off);
}
