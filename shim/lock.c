/* File locks that wait: flock, fcntl F_SETLKW / F_OFD_SETLKW and lockf
 * F_LOCK. Each first tries the non-blocking form on the worker (a lock
 * nobody holds costs one system call, as natively); only a lock held
 * elsewhere waits, on the pool. The holder may be another coroutine of
 * this program, which then runs meanwhile and can let go. As natively, a
 * handled signal interrupts the wait (EINTR) unless its handler has
 * SA_RESTART, and fcntl and lockf are cancellation points. POSIX record
 * locks belong to the process, so taking one on a pool thread is taking it
 * for the program. */
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "shim/blocking.h"
#include "shim/shim.h"
#include "sched/sys.h"

EXPORT int flock(int fd, int op)
{
	REAL_WHILE_UNTHREADED(flock, fd, op);
	struct co *self = co_self();
	if (!self || co_may_block(self->w) || (op & (LOCK_NB | LOCK_UN)))
		return REAL_FN(flock)(fd, op);
	long r = SYS(SYS_flock, fd, op | LOCK_NB, 0);
	if (r != -EWOULDBLOCK)
		return sysret(r);
	return sysret(blocking_sys(self, BC_FLOCK, BC_INTR | BC_RESTART, PARK_LOCK, fd, SYS_flock,
				   fd, op, 0, 0, 0, 0));
}

int lock_wait(int (*real_fcntl)(int, int, ...), int fd, int cmd, void *lk, enum bcall id)
{
	struct co *self = co_self();
	if (!self || co_may_block(self->w))
		return real_fcntl(fd, cmd, lk);
	cancel_point(self);
	long r = SYS(SYS_fcntl, fd, cmd == F_SETLKW ? F_SETLK : F_OFD_SETLK, lk);
	if (r != -EAGAIN && r != -EACCES)
		return sysret(r);
	return sysret(blocking_sys(self, id, BC_INTR | BC_RESTART | BC_CANCEL, PARK_LOCK, fd,
				   SYS_fcntl, fd, cmd, (long)lk, 0, 0, 0));
}

/* glibc's lockf reaches fcntl inside itself; only F_LOCK waits. */
static int lockf_core(int fd, int cmd, off_t len)
{
	struct co *self = co_self();
	if (cmd != F_LOCK || !self || co_may_block(self->w))
		return REAL_FN(lockf)(fd, cmd, len);
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_CUR, .l_start = 0, .l_len = len };
	return lock_wait(REAL_FN(fcntl), fd, F_SETLKW, &lk, BC_LOCKF);
}

EXPORT int lockf(int fd, int cmd, off_t len)
{
	REAL_WHILE_UNTHREADED(lockf, fd, cmd, len);
	return lockf_core(fd, cmd, len);
}

EXPORT int lockf64(int fd, int cmd, off_t len)
{
	REAL_WHILE_UNTHREADED(lockf, fd, cmd, len);
	return lockf_core(fd, cmd, len);
}
