/* Files: opens that wait for the other end of a FIFO, and the calls that
 * wait for the disk (the fsync family, fallocate, ftruncate,
 * copy_file_range) run on the blocking-call pool. Reads of regular files
 * are in shim/io.c.
 *
 * An open without O_NONBLOCK of a FIFO waits for the other end; nothing
 * says in advance which path is one, so an open that could wait asks the
 * type first (statx, about a microsecond, only in a program with threads
 * on a worker that others share) and a FIFO opens on the pool, where a
 * signal interrupts it as natively. So does an open of anything on a file
 * system COEXEC_SLOW_FS names (shim/slowfs.c); every other open runs
 * inline (coexec.7). */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim/blocking.h"
#include "shim/shim.h"
#include "sched/sys.h"

int slowfs_mount(uint64_t id);
int slowfs_any(void);

/* Is the directory that path would be created in on a slow file system? */
static int parent_slow(int dirfd, const char *path)
{
	char dir[PATH_MAX];
	if (!slowfs_any())
		return 0; /* no statx for a create on a machine with no slow mount */
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;
	if (n >= sizeof dir)
		return 0;
	if (slash && n == 0)
		n = 1; /* "/name": the root */
	memcpy(dir, slash ? path : ".", slash ? n : 1);
	dir[slash ? n : 1] = 0;
	struct statx sx;
	return SYS6(SYS_statx, dirfd, dir, AT_STATX_DONT_SYNC, STATX_MNT_ID, &sx, 0) == 0 &&
	       (sx.stx_mask & STATX_MNT_ID) && slowfs_mount(sx.stx_mnt_id);
}

/* Could this open wait: for a FIFO's other end, or a file server? */
static struct co *open_may_wait(int dirfd, const char *path, int flags)
{
	struct co *self = co_self();
	if (!self || co_may_block(self->w) || (flags & (O_NONBLOCK | O_PATH | O_DIRECTORY)) ||
	    (flags & __O_TMPFILE) == __O_TMPFILE)
		return NULL;
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) /* a new file: no FIFO */
		return parent_slow(dirfd, path) ? self : NULL;
	struct statx sx;
	int at = flags & O_NOFOLLOW ? AT_SYMLINK_NOFOLLOW : 0;
	long r = SYS6(SYS_statx, dirfd, path, at | AT_STATX_DONT_SYNC, STATX_TYPE | STATX_MNT_ID,
		      &sx, 0);
	if (r == -ENOENT && (flags & O_CREAT))
		return parent_slow(dirfd, path) ? self : NULL;
	if (r < 0)
		return NULL;
	if (S_ISFIFO(sx.stx_mode) || ((sx.stx_mask & STATX_MNT_ID) && slowfs_mount(sx.stx_mnt_id)))
		return self;
	return NULL;
}

static int open_pooled(struct co *self, int dirfd, const char *path, int flags, mode_t mode)
{
	struct bjob b = { .fn = bjob_syscall, .a = { SYS_openat, dirfd, (long)path, flags, mode },
			  .fd = -1, .path = path };
	long r = blocking(self, BC_OPEN, BC_INTR | BC_RESTART | BC_CANCEL, PARK_OPEN, &b);
	if (r >= 0)
		fd_forget(r); /* a FIFO or a file: learnt at its first use */
	return sysret(r);
}

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

#define OPEN_ENTRY(name, real_name)                                          \
	EXPORT int name(const char *path, int flags, ...)                    \
	{                                                                    \
		va_list ap;                                                  \
		va_start(ap, flags);                                         \
		mode_t mode = mode_arg(flags, ap);                           \
		va_end(ap);                                                  \
		REAL_WHILE_UNTHREADED(real_name, path, flags, mode);         \
		struct co *self = open_may_wait(AT_FDCWD, path, flags);      \
		if (self)                                                    \
			return open_pooled(self, AT_FDCWD, path, flags, mode); \
		return REAL_FN(real_name)(path, flags, mode);                \
	}
OPEN_ENTRY(open, open)
OPEN_ENTRY(open64, open64)

#define OPENAT_ENTRY(name, real_name)                                        \
	EXPORT int name(int dirfd, const char *path, int flags, ...)         \
	{                                                                    \
		va_list ap;                                                  \
		va_start(ap, flags);                                         \
		mode_t mode = mode_arg(flags, ap);                           \
		va_end(ap);                                                  \
		REAL_WHILE_UNTHREADED(real_name, dirfd, path, flags, mode);  \
		struct co *self = open_may_wait(dirfd, path, flags);         \
		if (self)                                                    \
			return open_pooled(self, dirfd, path, flags, mode);    \
		return REAL_FN(real_name)(dirfd, path, flags, mode);         \
	}
OPENAT_ENTRY(openat, openat)
OPENAT_ENTRY(openat64, openat64)

/* _FORTIFY_SOURCE's checked forms for calls without a mode. */
EXPORT int __open_2(const char *path, int flags)
{
	struct co *self = open_may_wait(AT_FDCWD, path, flags);
	return self ? open_pooled(self, AT_FDCWD, path, flags, 0) : REAL_FN(__open_2)(path, flags);
}

EXPORT int __open64_2(const char *path, int flags)
{
	struct co *self = open_may_wait(AT_FDCWD, path, flags);
	return self ? open_pooled(self, AT_FDCWD, path, flags, 0) : REAL_FN(__open64_2)(path, flags);
}

EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	struct co *self = open_may_wait(dirfd, path, flags);
	return self ? open_pooled(self, dirfd, path, flags, 0) : REAL_FN(__openat_2)(dirfd, path, flags);
}

EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	struct co *self = open_may_wait(dirfd, path, flags);
	return self ? open_pooled(self, dirfd, path, flags, 0)
		    : REAL_FN(__openat64_2)(dirfd, path, flags);
}

EXPORT int creat(const char *path, mode_t mode)
{
	return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

EXPORT int creat64(const char *path, mode_t mode)
{
	return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

/* fopen opens inside glibc; a FIFO's fopen runs whole on the pool. */
struct fopen_args {
	const char *path, *mode;
	int wide;
	FILE *f;
};

static long run_fopen(const long *a)
{
	struct fopen_args *o = (struct fopen_args *)a[0];
	o->f = o->wide ? REAL_FN(fopen64)(o->path, o->mode) : REAL_FN(fopen)(o->path, o->mode);
	return o->f ? 0 : -errno;
}

static int fopen_flags(const char *mode)
{
	int fl = mode[0] == 'r' ? O_RDONLY : O_WRONLY;
	for (const char *m = mode + 1; *m && *m != ','; m++)
		fl |= *m == '+' ? O_RDWR : *m == 'x' ? O_CREAT | O_EXCL : 0;
	return mode[0] == 'r' ? fl : fl | O_CREAT;
}

static FILE *fopen_core(const char *path, const char *mode, int wide)
{
	struct co *self = path && mode ? open_may_wait(AT_FDCWD, path, fopen_flags(mode)) : NULL;
	if (!self)
		return wide ? REAL_FN(fopen64)(path, mode) : REAL_FN(fopen)(path, mode);
	struct fopen_args o = { path, mode, wide, NULL };
	struct bjob b = { .fn = run_fopen, .a = { (long)&o }, .fd = -1, .path = path };
	long r = blocking(self, BC_FOPEN, BC_INTR | BC_RESTART | BC_CANCEL, PARK_OPEN, &b);
	if (r < 0) {
		errno = (int)-r;
		return NULL;
	}
	fd_forget(fileno(o.f));
	return o.f;
}

EXPORT FILE *fopen(const char *path, const char *mode)
{
	return fopen_core(path, mode, 0);
}

EXPORT FILE *fopen64(const char *path, const char *mode)
{
	return fopen_core(path, mode, 1);
}

/* Calls that wait for the disk. fsync and fdatasync are cancellation
 * points; the disk does not let a signal interrupt any of them. */
static long disk(enum bcall id, unsigned flags, int fd, long nr, long a0, long a1, long a2,
		 long a3, long a4, long a5)
{
	struct co *self = co_self();
	if (!self || co_may_block(self->w))
		return SYS6(nr, a0, a1, a2, a3, a4, a5);
	return blocking_sys(self, id, flags, PARK_FILE, fd, nr, a0, a1, a2, a3, a4, a5);
}

EXPORT int fsync(int fd)
{
	REAL_WHILE_UNTHREADED(fsync, fd);
	return sysret(disk(BC_FSYNC, BC_CANCEL, fd, SYS_fsync, fd, 0, 0, 0, 0, 0));
}

EXPORT int fdatasync(int fd)
{
	REAL_WHILE_UNTHREADED(fdatasync, fd);
	return sysret(disk(BC_FDATASYNC, BC_CANCEL, fd, SYS_fdatasync, fd, 0, 0, 0, 0, 0));
}

EXPORT int syncfs(int fd)
{
	REAL_WHILE_UNTHREADED(syncfs, fd);
	return sysret(disk(BC_SYNCFS, 0, fd, SYS_syncfs, fd, 0, 0, 0, 0, 0));
}

EXPORT void sync(void)
{
	disk(BC_SYNC, 0, -1, SYS_sync, 0, 0, 0, 0, 0, 0);
}

EXPORT int sync_file_range(int fd, off_t off, off_t n, unsigned flags)
{
	REAL_WHILE_UNTHREADED(sync_file_range, fd, off, n, flags);
	return sysret(disk(BC_SYNC_FILE_RANGE, 0, fd, SYS_sync_file_range, fd, off, n, flags, 0, 0));
}

EXPORT int fallocate(int fd, int mode, off_t off, off_t len)
{
	REAL_WHILE_UNTHREADED(fallocate, fd, mode, off, len);
	return sysret(disk(BC_FALLOCATE, 0, fd, SYS_fallocate, fd, mode, off, len, 0, 0));
}

EXPORT int fallocate64(int fd, int mode, off_t off, off_t len)
{
	return fallocate(fd, mode, off, len);
}

EXPORT int ftruncate(int fd, off_t len)
{
	REAL_WHILE_UNTHREADED(ftruncate, fd, len);
	return sysret(disk(BC_FTRUNCATE, 0, fd, SYS_ftruncate, fd, len, 0, 0, 0, 0));
}

EXPORT int ftruncate64(int fd, off_t len)
{
	return ftruncate(fd, len);
}

EXPORT ssize_t copy_file_range(int in, off_t *in_off, int out, off_t *out_off, size_t len,
			       unsigned flags)
{
	REAL_WHILE_UNTHREADED(copy_file_range, in, in_off, out, out_off, len, flags);
	return sysret(disk(BC_COPY_FILE_RANGE, 0, out, SYS_copy_file_range, in, (long)in_off, out,
			   (long)out_off, len, flags));
}
