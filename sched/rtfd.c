/* The registry of the runtime's descriptors; see rtfd.h. Registrations are
 * rare (two per worker, the log) and lookups by number go through the
 * descriptor table's mark, so a small array under a spin lock serves. It
 * grows by allocating outside the lock. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "sched/fdtable.h"
#include "sched/rtfd.h"
#include "sched/sys.h"

struct reg {
	int *holder;
	int keep_on_fork;
};

static int lock;
static struct reg *regs;
static int nregs, cap;

static void mark(int fd, int on)
{
	struct fdent *e = on ? fd_get(fd) : fd_peek(fd);
	if (e)
		__atomic_store_n(&e->runtime, on, __ATOMIC_RELEASE);
}

/* Room for one more; called without the lock. */
static int reserve(void)
{
	for (;;) {
		spin_lock(&lock);
		if (nregs < cap)
			return 0; /* locked */
		int want = cap ? 2 * cap : 16;
		spin_unlock(&lock);
		struct reg *n = malloc(want * sizeof *n);
		if (!n)
			return -ENOMEM;
		spin_lock(&lock);
		if (cap < want) {
			if (nregs)
				memcpy(n, regs, nregs * sizeof *n);
			struct reg *old = regs;
			regs = n;
			cap = want;
			spin_unlock(&lock);
			free(old);
		} else {
			spin_unlock(&lock);
			free(n);
		}
	}
}

static long hide_base(void)
{
	struct rlimit rl;
	long base = 1000;
	if (SYS(SYS_getrlimit, RLIMIT_NOFILE, &rl, 0) == 0 && rl.rlim_cur != RLIM_INFINITY)
		base = rl.rlim_cur > 128 ? (long)rl.rlim_cur - 64 : 64;
	return base > 1 << 20 ? 1 << 20 : base;
}

int rtfd_hide(int fd, int *holder, int keep_on_fork)
{
	long nfd = sys_fcntl(fd, F_DUPFD_CLOEXEC, hide_base());
	if (nfd < 0)
		nfd = sys_fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (nfd >= 0) {
		sys_close(fd);
		fd = nfd;
	}
	*holder = fd;
	int r = reserve();
	if (r < 0)
		return r;
	regs[nregs++] = (struct reg){ holder, keep_on_fork };
	mark(fd, 1);
	spin_unlock(&lock);
	return 0;
}

void rtfd_drop(int *holder)
{
	spin_lock(&lock);
	for (int i = 0; i < nregs; i++) {
		if (regs[i].holder != holder)
			continue;
		mark(*holder, 0);
		regs[i] = regs[--nregs];
		break;
	}
	spin_unlock(&lock);
}

int rtfd_is(int fd)
{
	struct fdent *e = fd_peek(fd);
	return e && __atomic_load_n(&e->runtime, __ATOMIC_ACQUIRE);
}

void rtfd_evict(int fd)
{
	if (!rtfd_is(fd))
		return;
	/* Duplicated under the lock: a second evicter must find the new
	 * number registered. A dup is one short system call. */
	spin_lock(&lock);
	for (int i = 0; i < nregs; i++) {
		if (*regs[i].holder != fd)
			continue;
		long nfd = sys_fcntl(fd, F_DUPFD_CLOEXEC, fd + 1);
		if (nfd < 0)
			break;
		mark(nfd, 1);
		mark(fd, 0);
		__atomic_store_n(regs[i].holder, (int)nfd, __ATOMIC_RELEASE);
		sys_close(fd);
		break;
	}
	spin_unlock(&lock);
}

long rtfd_next(unsigned lo, unsigned hi)
{
	long best = -1;
	spin_lock(&lock);
	for (int i = 0; i < nregs; i++) {
		unsigned fd = (unsigned)*regs[i].holder;
		if (fd >= lo && fd <= hi && (best < 0 || fd < (unsigned long)best))
			best = fd;
	}
	spin_unlock(&lock);
	return best;
}

void rtfd_atfork_child(void)
{
	lock = 0;
	int n = 0;
	for (int i = 0; i < nregs; i++) {
		if (regs[i].keep_on_fork) {
			mark(*regs[i].holder, 1);
			regs[n++] = regs[i];
		} else {
			sys_close(*regs[i].holder);
			*regs[i].holder = -1;
		}
	}
	nregs = n;
}
