/* disk_rw: reads and writes of regular files, as programs make them; run
 * natively and under coexec by tests/bats/disk.bats and compared. Under
 * coexec these go through shim/disk.c: RWF_NOWAIT first, plain calls for
 * small reads of a file the page cache holds whole, the pool for O_DIRECT
 * and O_SYNC/O_DSYNC, and for writes once one has been slow. Each case
 * prints results, errno names and content checks; no times, no pids.
 *
 *   rw_calls     write, pwrite, writev, pwritev; read, pread, readv, preadv back; offsets, EOF
 *   errors       EBADF, EFAULT, EINVAL, EISDIR from each family
 *   append       O_APPEND: pwrite appends; 4 threads x 500 appended records stay whole
 *   fsize        RLIMIT_FSIZE: a write across it is partial, the next EFBIG (plain and O_DSYNC)
 *   sync_direct  O_DSYNC, O_SYNC and O_DIRECT writes and reads; F_SETFL O_DIRECT off and on
 *   hot_reads    4 threads read a 256 KiB file in 4 KiB preads while it is rewritten, cut and evicted
 *   cold_small   16 KiB preads of a 64 MiB file dropped from the page cache, a heartbeat ticking (lenient)
 *   write_locked pwrite on a file whose inode lock a child holds 300 ms, twice; the heartbeat during the second
 *   dsync_big    one 32 MiB write() to an O_DSYNC file, a heartbeat ticking (lenient)
 *
 * write_locked: the child writes from a page registered with userfaultfd,
 * so the kernel waits in the page fault with the file's inode lock held
 * until SIGALRM ends the child. Without userfaultfd (unprivileged, or
 * vm.unprivileged_userfaultfd=0) it prints "userfaultfd unavailable" and
 * the suite skips it.
 */
#include <limits.h>
#include <linux/userfaultfd.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "harness.h"
#define BEAT_TIMES_ENV "DISK_TIMES"
#include "beat.h"

/* ---- files --------------------------------------------------------------- */


static int open_or_die(const char *p, int flags)
{
    int fd = open(p, flags, 0600);
    if (fd < 0)
        die("open", errno);
    return fd;
}

/* Byte i of pattern k. */
static unsigned char pat(int k, long i)
{
    return (unsigned char)(i * 7 + k * 31 + (i >> 12));
}

static void fill(unsigned char *b, long n, int k, long from)
{
    for (long i = 0; i < n; i++)
        b[i] = pat(k, from + i);
}

static int same(const unsigned char *b, long n, int k, long from)
{
    for (long i = 0; i < n; i++)
        if (b[i] != pat(k, from + i))
            return 0;
    return 1;
}

/* "= N" or "= -1 ENAME", with errno as the call left it. */
static const char *res(long r)
{
    static char buf[8][48];
    static int i;
    int e = errno;
    char *b = buf[i++ % 8];
    if (r < 0)
        snprintf(b, 48, "-1 %s", en(e));
    else
        snprintf(b, 48, "%ld", r);
    return b;
}

/* One call's result on a line of its own: "what = N" (one call per
 * statement, so that errno is the call's). */
static long show(const char *what, long r)
{
    say("%s = %s", what, res(r));
    return r;
}

static long pos(int fd)
{
    return (long)lseek(fd, 0, SEEK_CUR);
}

/* ---- rw_calls ------------------------------------------------------------ */

static void c_rw_calls(void)
{
    tmp_make("f");
    int fd = open_or_die(path, O_RDWR | O_CREAT | O_TRUNC);
    unsigned char a[20000], b[20000];
    fill(a, sizeof a, 1, 0);
    show("write 5000", write(fd, a, 5000));
    say("pos %ld", pos(fd));
    show("pwrite 3000 at 8000", pwrite(fd, a + 8000, 3000, 8000));
    say("pos %ld", pos(fd));
    struct iovec wv[3] = {{a + 5000, 1000}, {a + 6000, 0}, {a + 6000, 2000}};
    show("writev 3000", writev(fd, wv, 3));
    say("pos %ld", pos(fd));
    struct iovec pv[2] = {{a + 11000, 4000}, {a + 15000, 5000}};
    show("pwritev 9000 at 11000", pwritev(fd, pv, 2, 11000));
    say("pos %ld", pos(fd));
    struct stat st;
    fstat(fd, &st);
    say("size %ld", (long)st.st_size);

    memset(b, 0, sizeof b);
    lseek(fd, 0, SEEK_SET);
    show("read 4096", read(fd, b, 4096));
    say("pos %ld, %s", pos(fd), same(b, 4096, 1, 0) ? "right" : "WRONG");
    show("pread 16 KiB at 3000", pread(fd, b, 16384, 3000));
    say("pos %ld, %s", pos(fd), same(b, 16384, 1, 3000) ? "right" : "WRONG");
    struct iovec rv[3] = {{b, 100}, {b + 100, 0}, {b + 100, 9000}};
    show("readv 9100", readv(fd, rv, 3));
    say("pos %ld, %s", pos(fd), same(b, 9100, 1, 4096) ? "right" : "WRONG");
    struct iovec qv[2] = {{b, 10000}, {b + 10000, 10000}};
    long r = show("preadv 20000 at 6000 (EOF at 20000)", preadv(fd, qv, 2, 6000));
    say("pos %ld, %s", pos(fd), r == 14000 && same(b, 14000, 1, 6000) ? "right" : "WRONG");
    show("pread at EOF", pread(fd, b, 10, 20000));
    show("pread past EOF", pread(fd, b, 10, 1 << 20));
    lseek(fd, 19990, SEEK_SET);
    show("read 100 at 19990", read(fd, b, 100));
    show("read 100 again", read(fd, b, 100));
    say("pos %ld", pos(fd));
    show("read 0", read(fd, b, 0));
    show("write 0", write(fd, a, 0));
    show("readv of nothing", readv(fd, rv, 0));
    show("writev of nothing", writev(fd, rv, 0));
    /* a hole reads as zeros */
    show("pwrite 1 at 100000", pwrite(fd, "z", 1, 100000));
    memset(b, 1, 8192);
    show("pread 8 KiB of a hole", pread(fd, b, 8192, 30000));
    int zeros = 1;
    for (int i = 0; i < 8192; i++)
        zeros &= b[i] == 0;
    say("the hole: %s", zeros ? "zeros" : "NOT ZEROS");
    close(fd);
    tmp_remove();
}

/* ---- errors -------------------------------------------------------------- */

static void c_errors(void)
{
    tmp_make("f");
    int fd = open_or_die(path, O_RDWR | O_CREAT | O_TRUNC);
    char b[4096] = "x";
    show("write 4096", write(fd, b, sizeof b));
    int ro = open_or_die(path, O_RDONLY), wo = open_or_die(path, O_WRONLY);
    struct iovec v = {b, 10};
    show("write O_RDONLY", write(ro, b, 10));
    show("pwrite O_RDONLY", pwrite(ro, b, 10, 0));
    show("writev O_RDONLY", writev(ro, &v, 1));
    show("pwritev O_RDONLY", pwritev(ro, &v, 1, 0));
    show("read O_WRONLY", read(wo, b, 10));
    show("pread O_WRONLY", pread(wo, b, 10, 0));
    show("readv O_WRONLY", readv(wo, &v, 1));
    show("preadv O_WRONLY", preadv(wo, &v, 1, 0));
    show("read closed", read(CLOSED_FD, b, 1));
    show("write closed", write(CLOSED_FD, b, 1));
    show("pread closed", pread(CLOSED_FD, b, 1, 0));
    show("pwrite closed", pwrite(CLOSED_FD, b, 1, 0));
    struct iovec bad = {bad_ptr, 10};
    show("write from a bad pointer", write(fd, bad_ptr, 10));
    show("pwrite from a bad pointer", pwrite(fd, bad_ptr, 10, 0));
    show("writev from a bad pointer", writev(fd, &bad, 1));
    show("read into a bad pointer", read(ro, bad_ptr, 10));
    show("pread into a bad pointer", pread(ro, bad_ptr, 10, 0));
    show("preadv into a bad pointer", preadv(ro, &bad, 1, 0));
    show("pread at -1", pread(fd, b, 1, -1));
    show("pwrite at -1", pwrite(fd, b, 1, -1));
    show("preadv at -1", preadv(fd, &v, 1, -1));
    show("pwritev at -1", pwritev(fd, &v, 1, -1));
    struct iovec *many = calloc(IOV_MAX + 1, sizeof *many);
    for (int i = 0; i <= IOV_MAX; i++)
        many[i] = (struct iovec){b, 1};
    show("writev IOV_MAX+1", writev(fd, many, IOV_MAX + 1));
    show("readv IOV_MAX+1", readv(fd, many, IOV_MAX + 1));
    volatile int minus1 = -1;
    show("pwritev count -1", pwritev(fd, many, minus1, 0));
    free(many);
    int d = open(dir, O_RDONLY | O_DIRECTORY);
    show("read a directory", read(d, b, 10));
    show("pread a directory", pread(d, b, 10, 0));
    show("write a directory", write(d, b, 10));
    close(d);
    close(ro);
    close(wo);
    close(fd);
    tmp_remove();
}

/* ---- append -------------------------------------------------------------- */

#define REC 64
#define RECS 500
static int app_fd;

static void *appender(void *arg)
{
    int t = (int)(intptr_t)arg;
    char rec[REC];
    for (int j = 0; j < RECS; j++) {
        memset(rec, 'a' + t, REC);
        snprintf(rec, REC, "%d %04d ", t, j);
        rec[REC - 1] = '\n';
        if (write(app_fd, rec, REC) != REC)
            die("append", errno);
    }
    return NULL;
}

static void c_append(void)
{
    tmp_make("f");
    app_fd = open_or_die(path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND);
    show("write 10", write(app_fd, "0123456789", 10));
    say("pos %ld", pos(app_fd));
    show("pwrite 3 at 0 (appends)", pwrite(app_fd, "abc", 3, 0));
    say("pos %ld", pos(app_fd));
    struct iovec v[2] = {{"de", 2}, {"f\n", 2}};
    show("pwritev 4 at 2 (appends)", pwritev(app_fd, v, 2, 2));
    say("pos %ld", pos(app_fd));
    char b[32] = "";
    show("pread 16 at 0", pread(app_fd, b, 16, 0));
    say("content %.16s", b);
    ftruncate(app_fd, 0);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        t[i] = spawn(appender, (void *)(intptr_t)i);
    for (int i = 0; i < 4; i++)
        join(t[i]);
    struct stat st;
    fstat(app_fd, &st);
    char *all = malloc(st.st_size);
    long got = pread(app_fd, all, st.st_size, 0);
    int next[4] = {0}, whole = got == 4L * RECS * REC;
    for (long off = 0; whole && off < got; off += REC) {
        int th, j;
        char *r = all + off;
        whole = sscanf(r, "%d %d ", &th, &j) == 2 && th >= 0 && th < 4 && j == next[th] &&
                r[REC - 1] == '\n' && r[REC - 2] == 'a' + th;
        if (whole)
            next[th]++;
    }
    say("appended by 4 threads: %ld bytes, records %s", (long)st.st_size,
        whole ? "whole and in order per thread" : "TORN");
    free(all);
    close(app_fd);
    tmp_remove();
}

/* ---- fsize ---------------------------------------------------------------- */

static void fsize_on(int flags, const char *what)
{
    tmp_make("f");
    int fd = open_or_die(path, O_RDWR | O_CREAT | O_TRUNC | flags);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 10000;
    static unsigned char b[16384];
    fill(b, sizeof b, 2, 0);
    signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &lim);
    long r1 = pwrite(fd, b, sizeof b, 0);
    const char *s1 = res(r1);
    lseek(fd, 10000, SEEK_SET);
    long r2 = write(fd, b + 10000, 100);
    const char *s2 = res(r2);
    struct iovec v = {b + 9950, 100};
    const char *s3 = res(pwritev(fd, &v, 1, 9950));
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_DFL);
    unsigned char c[16384];
    long n = pread(fd, c, sizeof c, 0);
    say("%s: pwrite 16384 under a 10000-byte limit = %s, write at 10000 = %s,"
        " pwritev 100 at 9950 = %s;"
        " file %ld bytes, %s", what, s1, s2, s3, n, n == 10000 && same(c, n, 2, 0) ? "right" : "WRONG");
    close(fd);
    tmp_remove();
}

static void c_fsize(void)
{
    fsize_on(0, "plain");
    fsize_on(O_DSYNC, "O_DSYNC");
}

/* ---- sync_direct ---------------------------------------------------------- */

static void c_sync_direct(void)
{
    static unsigned char a[1 << 16], b[1 << 16];
    fill(a, sizeof a, 3, 0);
    const int fl[2] = {O_DSYNC, O_SYNC};
    const char *name[2] = {"O_DSYNC", "O_SYNC"};
    for (int i = 0; i < 2; i++) {
        tmp_make("f");
        int fd = open_or_die(path, O_RDWR | O_CREAT | O_TRUNC | fl[i]);
        long w1 = write(fd, a, 4096);
        long w2 = pwrite(fd, a + 4096, 60000, 4096);
        lseek(fd, 64096, SEEK_SET);
        struct iovec v[2] = {{a + 64096, 1000}, {a + 65096, 440}};
        long w3 = writev(fd, v, 2);
        memset(b, 0, sizeof b);
        long r = pread(fd, b, sizeof b, 0);
        say("%s: write = %ld, pwrite = %ld, writev = %ld, pread = %ld, %s", name[i], w1, w2, w3, r,
            r == sizeof b && !memcmp(a, b, sizeof b) ? "right" : "WRONG");
        close(fd);
        tmp_remove();
    }
    tmp_make("f");
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0600);
    if (fd < 0) {
        say("O_DIRECT: open = -1 %s", en(errno));
        tmp_remove();
        return;
    }
    unsigned char *al = aligned_alloc(4096, 1 << 16), *bl = aligned_alloc(4096, 1 << 16);
    memcpy(al, a, 1 << 16);
    long w = pwrite(fd, al, 1 << 16, 0);
    const char *mis = res(pwrite(fd, al + 1, 4096, 0));
    memset(bl, 0, 1 << 16);
    long r = pread(fd, bl, 1 << 16, 0);
    int ok = r == 1 << 16 && !memcmp(al, bl, 1 << 16);
    lseek(fd, 0, SEEK_SET);
    struct iovec v = {bl, 8192};
    long rv = readv(fd, &v, 1);
    say("O_DIRECT: pwrite 64 KiB = %ld, misaligned = %s, pread = %ld, %s, readv = %ld",
        w, mis, r, ok ? "right" : "WRONG", rv);
    /* O_DIRECT off: a misaligned read works; back on: it does not */
    int f = fcntl(fd, F_GETFL);
    show("F_SETFL without O_DIRECT", fcntl(fd, F_SETFL, f & ~O_DIRECT));
    show("misaligned pread", pread(fd, bl + 1, 100, 1));
    show("F_SETFL with O_DIRECT", fcntl(fd, F_SETFL, f));
    show("misaligned pread", pread(fd, bl + 1, 100, 1));
    free(al);
    free(bl);
    close(fd);
    tmp_remove();
}

/* ---- hot_reads ------------------------------------------------------------ */

#define HOT (256 << 10)
static int hot_fd, hot_k;
static int hot_bad;

static void *hot_reader(void *arg)
{
    unsigned char b[4096];
    for (int pass = 0; pass < 20; pass++)
        for (long off = 0; off < HOT; off += sizeof b) {
            int k = __atomic_load_n(&hot_k, __ATOMIC_ACQUIRE);
            long r = pread(hot_fd, b, sizeof b, off);
            if (r != sizeof b || !same(b, r, k, off))
                __atomic_store_n(&hot_bad, 1, __ATOMIC_RELAXED);
        }
    return NULL;
}

/* Read the whole file in 4 KiB (and one 64 KiB) chunks: does it hold pattern k up to len? */
static const char *hot_check(int k, long len)
{
    unsigned char b[1 << 16];
    long off = 0, r;
    int ok = 1;
    while ((r = pread(hot_fd, b, 4096, off)) > 0) {
        ok &= same(b, r, k, off);
        off += r;
    }
    ok &= r == 0 && off == len;
    r = pread(hot_fd, b, sizeof b, 0);
    ok &= r == (len < (long)sizeof b ? len : (long)sizeof b) && same(b, r, k, 0);
    return ok ? "right" : "WRONG";
}

static void c_hot_reads(void)
{
    tmp_make("f");
    hot_fd = open_or_die(path, O_RDWR | O_CREAT | O_TRUNC);
    static unsigned char a[HOT];
    fill(a, HOT, 4, 0);
    write(hot_fd, a, HOT);
    hot_k = 4;
    hot_bad = 0;
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        t[i] = spawn(hot_reader, NULL);
    for (int i = 0; i < 4; i++)
        join(t[i]);
    say("4 threads, 20 passes of 4 KiB preads: %s", hot_bad ? "WRONG" : "right");
    /* rewritten while hot: the readers see the new bytes */
    fill(a, HOT, 5, 0);
    pwrite(hot_fd, a, HOT, 0);
    hot_k = 5;
    say("rewritten: %s", hot_check(5, HOT));
    if (ftruncate(hot_fd, HOT / 2 + 100) < 0)
        die("ftruncate", errno);
    say("cut to 131172 bytes: %s", hot_check(5, HOT / 2 + 100));
    pwrite(hot_fd, a + HOT / 2 + 100, HOT / 2 - 100, HOT / 2 + 100);
    say("grown back: %s", hot_check(5, HOT));
    fdatasync(hot_fd);
    int e = posix_fadvise(hot_fd, 0, 0, POSIX_FADV_DONTNEED);
    say("evicted (%s): %s", en(e), hot_check(5, HOT));
    lseek(hot_fd, 0, SEEK_SET);
    unsigned char b[4096];
    long total = 0, r;
    int ok = 1;
    while ((r = read(hot_fd, b, sizeof b)) > 0) {
        ok &= same(b, r, 5, total);
        total += r;
    }
    say("read() to the end: %ld bytes, %s", total, ok && r == 0 ? "right" : "WRONG");
    close(hot_fd);
    tmp_remove();
}

/* ---- cold_small ----------------------------------------------------------- */

#define BIG (64 << 20)

static void c_cold_small(void)
{
    tmp_make("big");
    int fd = open_or_die(path, O_RDWR | O_CREAT | O_TRUNC);
    unsigned char *buf = malloc(1 << 20);
    for (long off = 0; off < BIG; off += 1 << 20) {
        fill(buf, 1 << 20, 6, off);
        if (write(fd, buf, 1 << 20) != 1 << 20)
            die("write", errno);
    }
    if (fsync(fd) < 0)
        die("fsync", errno);
    int a = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    if (a)
        die("posix_fadvise", a);
    unsigned char *data = malloc(BIG);
    struct beat hb;
    beat_start(&hb);
    beat_begin(&hb);
    long off = 0, r = 0;
    while (off < BIG && (r = pread(fd, data + off, 16384, off)) > 0)
        off += r;
    beat_end(&hb);
    beat_stop(&hb);
    int e = r < 0 ? errno : 0;
    int right = off == BIG;
    for (long o = 0; right && o < BIG; o += 1 << 20) {
        fill(buf, 1 << 20, 6, o);
        right = !memcmp(data + o, buf, 1 << 20);
    }
    say("16 KiB preads of a cold 64 MiB file: %ld bytes (last %s), content %s, %s", off,
        r < 0 ? en(e) : "ok", right ? "right" : "WRONG", beat_word(&hb, 1));
    free(data);
    free(buf);
    close(fd);
    tmp_remove();
}

/* ---- write_locked --------------------------------------------------------- */

/* A child that takes the inode lock of fd and keeps it about ms: it writes
 * from a page userfaultfd will never fill, until SIGALRM ends it. Only raw
 * system calls in the child: it is forked from a program with threads.
 * Returns the child's pid, or -errno when userfaultfd cannot be had. */
static pid_t lock_holder(int fd, int ms)
{
    int p[2];
    make_pipe(p);
    pid_t pid = fork_or_die();
    if (pid == 0) {
        long e = 0;
        long u = syscall(SYS_userfaultfd, O_CLOEXEC);
        struct uffdio_api api = {.api = UFFD_API};
        char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        struct uffdio_register reg = {.range = {(unsigned long)m, 4096},
                                      .mode = UFFDIO_REGISTER_MODE_MISSING};
        if (u < 0 || syscall(SYS_ioctl, u, UFFDIO_API, &api) < 0 ||
            syscall(SYS_ioctl, u, UFFDIO_REGISTER, &reg) < 0)
            e = errno;
        struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000L}};
        syscall(SYS_setitimer, ITIMER_REAL, &it, NULL);
        syscall(SYS_write, p[1], &e, sizeof e);
        if (!e)
            syscall(SYS_write, fd, m, 4096); /* waits in the fault, the lock held */
        syscall(SYS_exit_group, 0);
    }
    close(p[1]);
    long e = -1;
    if (read(p[0], &e, sizeof e) != sizeof e)
        die("lock_holder", EPIPE);
    close(p[0]);
    if (e) {
        reap(pid);
        return -e;
    }
    msleep(100); /* it is in its write within microseconds */
    return pid;
}

static void c_write_locked(void)
{
    tmp_make("f");
    int fd = open_or_die(path, O_RDWR | O_CREAT | O_TRUNC);
    struct beat hb;
    beat_start(&hb); /* a thread: the writes below are a coroutine's among others */
    pid_t pid = lock_holder(fd, 400);
    if (pid < 0) {
        beat_stop(&hb);
        say("userfaultfd unavailable (%s)", en(-pid));
        close(fd);
        tmp_remove();
        return;
    }
    /* the first wait: under coexec it holds up the worker (the heartbeat
     * is not judged), and teaches coexec that writes are slow now */
    long r1 = pwrite(fd, "a", 1, 0);
    int st;
    waitpid(pid, &st, 0);
    say("first pwrite behind the lock = %s; holder %s", res(r1),
        WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM ? "ended by SIGALRM" : "ENDED OTHERWISE");
    pid = lock_holder(fd, 400);
    if (pid < 0)
        die("lock_holder", -pid);
    beat_begin(&hb);
    long r2 = write(fd, "bc", 2);
    beat_end(&hb);
    beat_stop(&hb);
    waitpid(pid, &st, 0);
    char b[4] = "";
    say("second write behind the lock = %s, %s; file %s", res(r2), beat_word(&hb, 0),
        pread(fd, b, 4, 0) == 2 && !memcmp(b, "bc", 2) ? "right" : "WRONG");
    close(fd);
    tmp_remove();
}

/* ---- dsync_big ------------------------------------------------------------ */

static void c_dsync_big(void)
{
    tmp_make("f");
    int fd = open_or_die(path, O_RDWR | O_CREAT | O_TRUNC | O_DSYNC);
    long n = 32 << 20;
    unsigned char *a = malloc(n), *b = malloc(n);
    fill(a, n, 7, 0);
    struct beat hb;
    beat_start(&hb);
    beat_begin(&hb);
    long r = write(fd, a, n);
    int e = errno;
    beat_end(&hb);
    beat_stop(&hb);
    errno = e;
    const char *s = res(r);
    long got = pread(fd, b, n, 0);
    say("write of 32 MiB to an O_DSYNC file = %s, content %s, %s", s,
        got == n && !memcmp(a, b, n) ? "right" : "WRONG", beat_word(&hb, 1));
    free(a);
    free(b);
    close(fd);
    tmp_remove();
}

static const struct tcase cases[] = {
    {"rw_calls", c_rw_calls},
    {"errors", c_errors},
    {"append", c_append},
    {"fsize", c_fsize},
    {"sync_direct", c_sync_direct},
    {"hot_reads", c_hot_reads},
    {"cold_small", c_cold_small},
    {"write_locked", c_write_locked},
    {"dsync_big", c_dsync_big},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return run_cases(cases, argc, argv, "disk_rw");
}
