/* Calls that wait inside the kernel for something that has no descriptor
 * to watch: the entropy pool (getrandom, getentropy), the disk behind a
 * shared mapping (msync), a terminal line's output, break and modem lines
 * (tcdrain, tcsendbreak, tcsetattr with TCSADRAIN or TCSAFLUSH, and the
 * ioctl requests behind them).
 *
 * getrandom and getentropy first ask with GRND_NONBLOCK: once the kernel's
 * pool is initialised (early in boot) they never wait, and the answer is
 * the native one; before that, the call goes to the blocking-call pool.
 * msync with MS_SYNC writes the mapping's dirty pages and waits for the
 * disk: the pool. Terminal drains and breaks wait on a serial line for as
 * long as its output takes; on a pseudo-terminal they never wait (written
 * data goes straight to the other side's input, and there is no line to
 * break), and a pseudo-terminal is where most programs call them (readline
 * and every full-screen program use tcsetattr(TCSADRAIN) on each prompt),
 * so they run inline there; on any other character device, the pool. */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>

#include "shim/blocking.h"
#include "shim/shim.h"
#include "sched/sys.h"

#ifndef GRND_INSECURE
#define GRND_INSECURE 0x0004
#endif

/* ---- the entropy pool ------------------------------------------------------ */

/* getrandom restarts under SA_RESTART (signal(7)) and is a cancellation
 * point in glibc. */
EXPORT ssize_t getrandom(void *buf, size_t len, unsigned flags)
{
	REAL_WHILE_UNTHREADED(getrandom, buf, len, flags);
	struct co *self = co_self();
	if (!self || co_may_block(self->w) || (flags & (GRND_NONBLOCK | GRND_INSECURE)))
		return REAL_FN(getrandom)(buf, len, flags);
	cancel_point(self);
	long r = SYS(SYS_getrandom, buf, len, flags | GRND_NONBLOCK);
	if (r != -EAGAIN)
		return sysret(r);
	return sysret(blocking_sys(self, BC_GETRANDOM, BC_INTR | BC_RESTART | BC_CANCEL, PARK_READ,
				   -1, SYS_getrandom, (long)buf, len, flags, 0, 0, 0));
}

static long run_getentropy(const long *a)
{
	int r = REAL_FN(getentropy)((void *)a[0], a[1]);
	return r < 0 ? -errno : r;
}

/* glibc's getentropy: at most 256 bytes (else EIO), getrandom in a loop
 * that goes on after a signal. The same loop here, not waiting; what it
 * cannot get at once, the real function gets on the pool. */
EXPORT int getentropy(void *buf, size_t len)
{
	REAL_WHILE_UNTHREADED(getentropy, buf, len);
	struct co *self = co_self();
	if (!self || co_may_block(self->w) || len > 256)
		return REAL_FN(getentropy)(buf, len);
	char *p = buf, *end = p + len;
	while (p < end) {
		long r = SYS(SYS_getrandom, p, end - p, GRND_NONBLOCK);
		if (r == -EINTR)
			continue;
		if (r == -EAGAIN)
			break;
		if (r <= 0) /* 0 cannot happen; glibc calls it EIO */
			return sysret(r ? r : -EIO);
		p += r;
	}
	if (p == end)
		return 0;
	struct bjob b = { .fn = run_getentropy, .a = { (long)p, end - p }, .fd = -1 };
	return sysret(blocking(self, BC_GETENTROPY, 0, PARK_READ, &b));
}

/* ---- a shared mapping's pages on the disk ---------------------------------- */

/* A cancellation point; the disk does not let signals interrupt it. */
EXPORT int msync(void *addr, size_t len, int flags)
{
	REAL_WHILE_UNTHREADED(msync, addr, len, flags);
	struct co *self = co_self();
	if (!self || co_may_block(self->w) || !(flags & MS_SYNC))
		return REAL_FN(msync)(addr, len, flags);
	return sysret(blocking_sys(self, BC_MSYNC, BC_CANCEL, PARK_FILE, -1, SYS_msync, (long)addr,
				   len, flags, 0, 0, 0));
}

/* ---- terminal lines -------------------------------------------------------- */

/* Device numbers of pseudo-terminals: the BSD masters and slaves (2, 3),
 * the Unix 98 masters and slaves (128-135, 136-143) and /dev/ptmx, which
 * every master opened through it is (5, 2). */
static int is_pty(dev_t d)
{
	unsigned maj = major(d);
	return maj == 2 || maj == 3 || (maj >= 128 && maj <= 143) || d == makedev(5, 2);
}

/* The caller, if a drain or break on fd may wait and so goes to the pool;
 * NULL: the real call (not a coroutine, alone, not a character device or a
 * pseudo-terminal). Costs an fstat. */
static struct co *tty_waiter(int fd)
{
	struct co *self = co_self();
	if (!self || co_may_block(self->w))
		return NULL;
	struct stat st;
	if (SYS(SYS_fstat, fd, &st, 0) < 0 || !S_ISCHR(st.st_mode) || is_pty(st.st_rdev))
		return NULL;
	return self;
}

/* TCSETSW2 and TCSETSF2, spelt without struct termios2 (its header
 * clashes with glibc's termios.h): 44 is its size. */
#define SETSW2 _IOC(_IOC_WRITE, 'T', 0x2C, 44)
#define SETSF2 _IOC(_IOC_WRITE, 'T', 0x2D, 44)

int tty_ioctl_wait(int fd, unsigned long req, void *arg, int *r)
{
	unsigned flags;
	enum park_reason why = PARK_WRITE;
	switch (req) {
	case TCSBRK:   /* 0: a break of 0.25 s; else a drain (tcdrain) */
	case TCSBRKP:  /* a break of arg tenths of a second (tcsendbreak) */
	case TIOCSBRK: /* the break starts once the output has drained */
		flags = BC_INTR; /* the kernel says EINTR, never restarts */
		break;
	case TCSETSW: case TCSETSF: case TCSETAW: case TCSETAF: case SETSW2: case SETSF2:
		flags = BC_INTR | BC_RESTART; /* drain, then set (tcsetattr) */
		break;
	case TIOCMIWAIT: /* until a modem line changes */
		flags = BC_INTR | BC_RESTART;
		why = PARK_READ;
		break;
	default:
		return 0;
	}
	struct co *self = tty_waiter(fd);
	if (!self)
		return 0;
	*r = sysret(blocking_sys(self, BC_IOCTL, flags, why, fd, SYS_ioctl, fd, req, (long)arg, 0,
				 0, 0));
	return 1;
}

/* glibc's tcdrain is ioctl(TCSBRK, 1) inside itself, a cancellation
 * point; its tcsendbreak and tcsetattr reach ioctl inside themselves too. */
EXPORT int tcdrain(int fd)
{
	REAL_WHILE_UNTHREADED(tcdrain, fd);
	struct co *self = co_self();
	if (self)
		cancel_point(self);
	if (!(self = tty_waiter(fd)))
		return REAL_FN(tcdrain)(fd);
	return sysret(blocking_sys(self, BC_TCDRAIN, BC_INTR | BC_CANCEL, PARK_WRITE, fd, SYS_ioctl,
				   fd, TCSBRK, 1, 0, 0, 0));
}

static long run_tcsendbreak(const long *a)
{
	int r = REAL_FN(tcsendbreak)(a[0], a[1]);
	return r < 0 ? -errno : r;
}

EXPORT int tcsendbreak(int fd, int duration)
{
	REAL_WHILE_UNTHREADED(tcsendbreak, fd, duration);
	struct co *self = tty_waiter(fd);
	if (!self)
		return REAL_FN(tcsendbreak)(fd, duration);
	struct bjob b = { .fn = run_tcsendbreak, .a = { fd, duration }, .fd = fd };
	return sysret(blocking(self, BC_TCSENDBREAK, BC_INTR, PARK_WRITE, &b));
}

static long run_tcsetattr(const long *a)
{
	int r = REAL_FN(tcsetattr)(a[0], a[1], (const struct termios *)a[2]);
	return r < 0 ? -errno : r;
}

EXPORT int tcsetattr(int fd, int act, const struct termios *t)
{
	REAL_WHILE_UNTHREADED(tcsetattr, fd, act, t);
	struct co *self;
	if ((act != TCSADRAIN && act != TCSAFLUSH) || !(self = tty_waiter(fd)))
		return REAL_FN(tcsetattr)(fd, act, t);
	struct bjob b = { .fn = run_tcsetattr, .a = { fd, act, (long)t }, .fd = fd };
	return sysret(blocking(self, BC_TCSETATTR, BC_INTR | BC_RESTART, PARK_WRITE, &b));
}
