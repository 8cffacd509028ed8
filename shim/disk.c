/* Reads and writes of regular files (and block devices): read, readv,
 * pread, preadv, write, writev, pwrite, pwritev. Epoll calls a regular file
 * always ready, so whether a call would wait is decided here, per call.
 *
 * Reads: preadv2 with RWF_NOWAIT on the worker copies what the page cache
 * holds; what must come from the disk is read on the blocking-call pool
 * while the coroutine parks. A short non-waiting read (part cached, or the
 * end of the file) is followed by one more attempt for the rest before the
 * pool, so the program sees the counts a native read gives. RWF_NOWAIT
 * needs the vectored call, which costs the kernel 15-25 ns more than the
 * read or pread the program made (6-8% of a cached 4 KiB pread, coexec.7):
 * a small read of a file the page cache holds whole (cachestat(2), checked
 * again every thousand reads or so) is made as the plain call.
 *
 * Writes: pwritev2 with RWF_NOWAIT where the file system has it (XFS,
 * btrfs; not ext4 or tmpfs), the pool when it says the write would wait.
 * Elsewhere, and for O_APPEND (a write must not land in two pieces), a
 * write runs inline, as the kernel's buffered write is a copy into the page
 * cache, unless a write of this process lately took over a few ms (dirty
 * page throttling, an inode lock held by a truncate): then writes go to
 * the pool until they are quick again.
 *
 * O_DIRECT reads and writes and O_SYNC/O_DSYNC writes wait for the device
 * each time: they run on the pool. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "shim/blocking.h"
#include "shim/shim.h"
#include "sched/sys.h"

#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008
#endif
#ifndef SYS_cachestat
#define SYS_cachestat 451
#endif

/* Copying cached data is work that never parks, and a non-waiting read
 * may still start read-ahead and wait for the device to take it (2-9 ms
 * seen with 64 cold readers): once a coroutine has been copying inline
 * for a tick of the coarse clock (4 ms at HZ=250; 0-4 ms, as the streak
 * starts anywhere in a tick), it gives the worker's other coroutines their
 * turn, as the kernel's scheduler gives other threads theirs after a time
 * slice. Counting bytes instead cannot fit both a copy at 10 GB/s and a
 * read-ahead wait; giving way every 4 MiB cost two coroutines copying 1
 * MiB chunks 12-14% (the other's data had left the CPU's caches). The
 * clock is read when a streak starts (the worker switched since the last
 * copy) and after every GIVE_WAY_LOOK bytes. */
#define GIVE_WAY_LOOK (64ul << 10)

static int64_t coarse_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts); /* vDSO, about 5 ns */
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static __thread struct {
	struct co *co;
	unsigned long long switches; /* the worker's switches when it began */
	int64_t since;               /* coarse ns */
	unsigned long bytes;         /* since the clock was last read */
} streak;

static void give_way(struct co *self, long n)
{
	if (n <= 0)
		return;
	if (streak.co != self || streak.switches != self->w->stats.switches) {
		streak.co = self;
		streak.switches = self->w->stats.switches;
		streak.since = coarse_ns();
		streak.bytes = 0;
	}
	if ((streak.bytes += n) < GIVE_WAY_LOOK)
		return;
	streak.bytes = 0;
	if (coarse_ns() == streak.since)
		return;
	streak.co = NULL;
	co_yield(); /* the scheduler also wakes sleepers whose time has come */
}

/* ---- the calls themselves ------------------------------------------------ */

/* The system call the program made (vec: the vectored one) for what is
 * left of it: iov, cnt, at off (-1: the file position). */
struct rwcall {
	long nr, a0, a1, a2, a3;
};

static struct rwcall rw_call(int wr, int vec, int fd, const struct iovec *iov, int cnt, off_t off)
{
	struct rwcall c = { 0, fd, (long)iov, cnt, off < 0 ? 0 : off };
	if (vec) {
		c.nr = off < 0 ? (wr ? SYS_writev : SYS_readv) : (wr ? SYS_pwritev : SYS_preadv);
	} else {
		c.nr = off < 0 ? (wr ? SYS_write : SYS_read) : (wr ? SYS_pwrite64 : SYS_pread64);
		c.a1 = (long)iov->iov_base;
		c.a2 = (long)iov->iov_len;
	}
	return c;
}

static long rw_inline(int wr, int vec, int fd, const struct iovec *iov, int cnt, off_t off)
{
	struct rwcall c = rw_call(wr, vec, fd, iov, cnt, off);
	return SYS6(c.nr, c.a0, c.a1, c.a2, c.a3, 0, 0);
}

/* On the pool. Neither a handled signal nor a cancellation interrupts a
 * regular file's read or write natively (the wait is uninterruptible). */
static long rw_pool(struct co *self, int wr, int vec, int fd, const struct iovec *iov, int cnt,
		    off_t off)
{
	struct rwcall c = rw_call(wr, vec, fd, iov, cnt, off);
	return blocking_sys(self, wr ? BC_WRITE : BC_READ, 0, PARK_FILE, fd, c.nr, c.a0, c.a1, c.a2,
			    c.a3, 0, 0);
}

static long nowait(int wr, int fd, const struct iovec *iov, int cnt, off_t off)
{
	return SYS6(wr ? SYS_pwritev2 : SYS_preadv2, fd, iov, cnt, off, 0, RWF_NOWAIT);
}

/* The first non-waiting attempt moved r bytes, short of the whole (or
 * r = -EAGAIN): move the rest as the native call would, non-waiting while
 * that makes progress, then on the pool. The total, or -errno if nothing
 * moved; *waited says whether it took the pool. */
static long rw_rest(struct co *self, int wr, int vec, int fd, const struct iovec *uiov, int cnt,
		    off_t off, long r, int *waited)
{
	*waited = r == -EAGAIN;
	if (r == -EAGAIN) /* nothing moved: all of it */
		return rw_pool(self, wr, vec, fd, uiov, cnt, off);
	struct iovec local[8], *base = cnt <= 8 ? local : malloc(cnt * sizeof *base), *iov = base;
	if (!base) /* a short count, as a native call may return */
		return r;
	memcpy(base, uiov, cnt * sizeof *base);
	size_t n = cnt, done = 0;
	while (r > 0) {
		done += r;
		iov_advance(&iov, &n, r);
		if (!n)
			break;
		r = nowait(wr, fd, iov, n, off < 0 ? -1 : off + (off_t)done);
	}
	if (n && r == -EAGAIN) {
		*waited = 1;
		r = rw_pool(self, wr, vec, fd, iov, n, off < 0 ? -1 : off + (off_t)done);
		if (r > 0)
			done += r;
	}
	if (base != local)
		free(base);
	return done ? (long)done : r;
}

/* ---- reads: the hint for files the page cache holds whole ---------------- */

/* Reads up to this size of a wholly cached file skip RWF_NOWAIT; above it
 * the difference is under 2% (coexec.7). */
#define PLAIN_MAX (16u << 10)
/* Full non-waiting hits in a row before a look at the whole file; the
 * count doubles, up to HOT_BACKOFF times, after each look that finds the
 * file not wholly cached. After a look that finds it whole, HOT_READS
 * plain reads, or more for a large file, whose look costs more (about 15
 * ns a MiB), before hits count again. A descriptor that has once had to
 * wait for the disk is never read plainly (RD_NEVER): a file read for the
 * first time has pages still coming in ahead of the reader, which
 * cachestat counts, and a plain read of one waits for the device (in
 * cold_read, 64 threads reading 16 MiB each, such reads held up a worker
 * for 75-190 ms; read-ahead kept the misses to a few per file). */
#define HOT_AFTER 16
#define HOT_BACKOFF 10
#define HOT_READS 1024u
#define HOT_FILE_MAX (1ll << 30) /* larger files are never read plainly */
#define RD_HOT 0xff              /* rd_hint: plain reads, rd_count left */
#define RD_NEVER 0xfe            /* rd_hint: it has waited for the disk */

struct cachestat_range_ {
	uint64_t off, len;
};
struct cachestat_ {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

static int no_cachestat; /* the kernel has none (before 6.5) or refuses it */

/* Plain reads this file has earned: 0 unless all of it is in the page
 * cache. Costs an fstat and a cachestat. */
static uint32_t hot_reads(int fd)
{
	struct stat st;
	if (__atomic_load_n(&no_cachestat, __ATOMIC_RELAXED) || SYS(SYS_fstat, fd, &st, 0) < 0 ||
	    !S_ISREG(st.st_mode) || st.st_size > HOT_FILE_MAX)
		return 0;
	uint64_t pages = (st.st_size + 4095) / 4096;
	struct cachestat_range_ range = { 0, 0 }; /* to the end of the file */
	struct cachestat_ cs;
	long r = SYS4(SYS_cachestat, fd, &range, &cs, 0);
	if (r == -ENOSYS || r == -EPERM) {
		__atomic_store_n(&no_cachestat, 1, __ATOMIC_RELAXED);
		LOG(LOG_POOL, "no cachestat (%ld): small cached reads keep RWF_NOWAIT", r);
		return 0;
	}
	if (r < 0 || cs.nr_cache < pages)
		return 0;
	return pages / 16 > HOT_READS ? (uint32_t)(pages / 16) : HOT_READS;
}

/* rd_hint and rd_count are a hint: two workers may update them at once and
 * one update may be lost, which costs a look too many or too few. */
static inline uint32_t ld32(uint32_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void st32(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
static inline uint8_t ld8(uint8_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void st8(uint8_t *p, uint8_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }

/* One of the plain reads a wholly cached file earned is used. */
static void plain_taken(struct fdview *v)
{
	uint32_t left = ld32(&v->rd_count);
	if (left <= 1)
		st8(&v->rd_hint, 0);
	st32(&v->rd_count, left > 1 ? left - 1 : 0);
}

/* A small non-waiting read got all it asked for. */
static void read_hit(int fd, struct fdview *v)
{
	uint32_t n = ld32(&v->rd_count) + 1;
	uint8_t b = ld8(&v->rd_hint);
	if (b == RD_NEVER)
		return;
	if (n < (uint32_t)HOT_AFTER << b) {
		st32(&v->rd_count, n);
		return;
	}
	uint32_t plain = hot_reads(fd);
	st32(&v->rd_count, plain);
	st8(&v->rd_hint, plain ? RD_HOT : b < HOT_BACKOFF ? b + 1 : b);
	if (plain)
		LOG(LOG_POOL, "fd %d: wholly cached; its next %u small reads skip RWF_NOWAIT", fd, plain);
}

ssize_t disk_read(struct co *self, int fd, struct fdent *e, const struct iovec *uiov, int cnt,
		  off_t off, int vec)
{
	struct fdview *v = view(e);
	long r;
	if (v->file_fl & FL_DIRECT) { /* past the page cache: the device, every time */
		r = rw_pool(self, 0, vec, fd, uiov, cnt, off);
		return sysret(r);
	}
	if (v->nowait_bad) {
		r = rw_inline(0, vec, fd, uiov, cnt, off);
		give_way(self, r);
		return sysret(r);
	}
	size_t want = iov_total(uiov, cnt);
	int small = !vec && want <= PLAIN_MAX;
	if (small && ld8(&v->rd_hint) == RD_HOT) {
		plain_taken(v);
		r = rw_inline(0, 0, fd, uiov, 1, off);
		give_way(self, r);
		return sysret(r);
	}
	r = nowait(0, fd, uiov, cnt, off);
	if (r == -EOPNOTSUPP) {
		v->nowait_bad = 1;
		LOG(LOG_POOL, "fd %d: no RWF_NOWAIT here; its reads stay inline", fd);
		r = rw_inline(0, vec, fd, uiov, cnt, off);
		give_way(self, r);
		return sysret(r);
	}
	if (r == 0 || r == (long)want) {
		if (r && small)
			read_hit(fd, v);
		give_way(self, r);
		return r;
	}
	if (r < 0 && r != -EAGAIN) /* the native error, from the native call */
		return sysret(rw_inline(0, vec, fd, uiov, cnt, off));
	int waited = 0;
	r = rw_rest(self, 0, vec, fd, uiov, cnt, off, r, &waited);
	if (waited)
		st8(&v->rd_hint, RD_NEVER);
	give_way(self, r);
	return sysret(r);
}

/* Would glibc's refill of a FILE (n bytes at the file position, which its
 * private read makes where we cannot see) be served by the page cache?
 * A wholly cached file says so at once, as for small reads above. Else a
 * one-byte non-waiting read of the range's first and last pages tells
 * (cachestat would count pages still on their way in from read-ahead as
 * there); a file system without RWF_NOWAIT has nothing to wait for here
 * (tmpfs) or cannot tell: yes. A refill that is sent to the pool marks the
 * descriptor as one that waits, which keeps it from plain reads. */
int disk_cached(int fd, struct fdent *e, size_t n)
{
	struct fdview *v = view(e);
	if (v->file_fl & FL_DIRECT)
		return 0;
	if (ld8(&v->rd_hint) == RD_HOT) {
		plain_taken(v);
		return 1;
	}
	if (v->nowait_bad)
		return 1;
	/* pages between the two looked at may still be on their way: a long
	 * read of a file that has waited goes to the pool, where a hand-over
	 * costs little beside the copy */
	if (ld8(&v->rd_hint) == RD_NEVER && n > (64u << 10))
		return 0;
	struct stat st;
	long off = SYS(SYS_lseek, fd, 0, SEEK_CUR);
	if (off < 0 || SYS(SYS_fstat, fd, &st, 0) < 0 || !S_ISREG(st.st_mode) || off >= st.st_size)
		return 1; /* nothing to read, or not ours to judge: the real call says */
	long last = (uint64_t)off + n < (uint64_t)st.st_size ? off + (long)n - 1 : st.st_size - 1;
	char byte;
	struct iovec one = { &byte, 1 };
	long r = nowait(0, fd, &one, 1, off);
	if (r == 1 && last / 4096 != off / 4096)
		r = nowait(0, fd, &one, 1, last);
	if (r == -EOPNOTSUPP) {
		v->nowait_bad = 1;
		return 1;
	}
	if (r == -EAGAIN) {
		st8(&v->rd_hint, RD_NEVER);
		return 0;
	}
	if (r == 1)
		read_hit(fd, v);
	return 1;
}

/* ---- writes -------------------------------------------------------------- */

/* A write that takes over SLOW_MS (by the coarse clock: at least two of
 * its ticks) sends the process's next SLOW_WRITES writes without
 * RWF_NOWAIT to the pool. A pooled write that sleeps in the kernel that
 * long (its pool thread switched away of its own accord: dirty-page
 * throttling, a lock, a page fault) starts the count again, so a lasting
 * cause keeps them there, and a write that was slow by accident (its
 * worker preempted, or waiting for another worker that was) costs one
 * round of SLOW_WRITES pool calls, about 3 us each. Counted in writes,
 * not time: the pool's cost is per call. */
#define SLOW_MS 4
#define SLOW_WRITES 1024
static int64_t slow_ns;
static int slow_left;

static int64_t slow_threshold(void)
{
	int64_t s = __atomic_load_n(&slow_ns, __ATOMIC_RELAXED);
	if (!s) {
		struct timespec res;
		s = clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0 ? 2 * ts_ns(&res) : 0;
		if (s < SLOW_MS * 1000000LL)
			s = SLOW_MS * 1000000LL;
		__atomic_store_n(&slow_ns, s, __ATOMIC_RELAXED);
	}
	return s;
}

static void slow_again(int fd, int64_t ns)
{
	if (__atomic_exchange_n(&slow_left, SLOW_WRITES, __ATOMIC_RELAXED) == 0)
		LOG(LOG_POOL, "fd %d: a write took %lld ms; the next %d writes go to the pool", fd,
		    (long long)(ns / 1000000), SLOW_WRITES);
}

/* Should this write go to the pool? Uses up one of slow_left. */
static int write_pooled(void)
{
	int n = __atomic_load_n(&slow_left, __ATOMIC_RELAXED);
	while (n > 0 && !__atomic_compare_exchange_n(&slow_left, &n, n - 1, 1, __ATOMIC_RELAXED,
						     __ATOMIC_RELAXED))
		;
	return n > 0;
}

/* The bjob of a pooled write: a[0..4] the call (struct rwcall); a[5] is
 * set to how long it slept in the kernel, if it slept SLOW_MS or more. */
static long bjob_write(const long *a)
{
	struct rusage u0, u1;
	long *slept = (long *)&a[5]; /* the job's own slot, for the answer */
	SYS(SYS_getrusage, RUSAGE_THREAD, &u0, 0);
	int64_t t0 = coarse_ns();
	long r = SYS6(a[0], a[1], a[2], a[3], a[4], 0, 0);
	int64_t t = coarse_ns() - t0;
	if (t >= slow_threshold() && SYS(SYS_getrusage, RUSAGE_THREAD, &u1, 0) == 0 &&
	    u1.ru_nvcsw > u0.ru_nvcsw)
		*slept = t;
	return r;
}

ssize_t disk_write(struct co *self, int fd, struct fdent *e, const struct iovec *uiov, int cnt,
		   off_t off, int vec)
{
	struct fdview *v = view(e);
	long r;
	if (v->file_fl & (FL_DIRECT | FL_SYNC)) /* each waits for the device */
		return sysret(rw_pool(self, 1, vec, fd, uiov, cnt, off));
	if (!v->wnowait_bad && !(v->file_fl & FL_APPEND)) {
		size_t want = iov_total(uiov, cnt);
		r = nowait(1, fd, uiov, cnt, off);
		if (r == -EOPNOTSUPP) {
			v->wnowait_bad = 1;
			LOG(LOG_POOL, "fd %d: no RWF_NOWAIT for writes here", fd);
		} else {
			/* what it says is the native answer (an error has had its
			 * effect, SIGXFSZ included): only a wait is left to do */
			if ((r >= 0 && r < (long)want && r != 0) || r == -EAGAIN)
				r = rw_rest(self, 1, vec, fd, uiov, cnt, off, r, &(int){ 0 });
			give_way(self, r);
			return sysret(r);
		}
	}
	if (write_pooled()) {
		struct rwcall c = rw_call(1, vec, fd, uiov, cnt, off);
		struct bjob b = { .fn = bjob_write, .a = { c.nr, c.a0, c.a1, c.a2, c.a3 }, .fd = fd };
		r = blocking(self, BC_WRITE, 0, PARK_FILE, &b);
		if (b.a[5])
			slow_again(fd, b.a[5]);
		return sysret(r);
	}
	int64_t t0 = coarse_ns();
	r = rw_inline(1, vec, fd, uiov, cnt, off);
	int64_t t = coarse_ns() - t0;
	if (t >= slow_threshold())
		slow_again(fd, t);
	give_way(self, r);
	return sysret(r);
}

/* ---- the positioned calls ------------------------------------------------ */

/* Does this positioned call go through disk_read or disk_write? */
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
	return disk_read(self, fd, e, &iov, 1, off, 0);
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
	return disk_read(self, fd, e, iov, cnt, off, 1);
}

EXPORT ssize_t preadv64(int fd, const struct iovec *iov, int cnt, off_t off)
{
	return preadv(fd, iov, cnt, off);
}

EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	REAL_WHILE_UNTHREADED(pwrite, fd, buf, n, off);
	struct co *self = co_self();
	struct fdent *e = disk_file(self, fd, n, off);
	if (!e)
		return REAL_FN(pwrite)(fd, buf, n, off);
	struct iovec iov = { (void *)buf, n };
	return disk_write(self, fd, e, &iov, 1, off, 0);
}

EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	return pwrite(fd, buf, n, off);
}

EXPORT ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	REAL_WHILE_UNTHREADED(pwritev, fd, iov, cnt, off);
	struct co *self = co_self();
	struct fdent *e = cnt > 0 && cnt <= IOV_MAX ? disk_file(self, fd, 1, off) : NULL;
	if (!e)
		return REAL_FN(pwritev)(fd, iov, cnt, off);
	return disk_write(self, fd, e, iov, cnt, off, 1);
}

EXPORT ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off_t off)
{
	return pwritev(fd, iov, cnt, off);
}
