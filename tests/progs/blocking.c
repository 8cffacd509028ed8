/* blocking: calls that epoll cannot make non-blocking, each waiting about
 * 300-600 ms while a "heartbeat" thread of the program ticks every 10 ms;
 * run natively and under coexec by tests/bats/blocking.bats and compared.
 * Under coexec the call must park its coroutine (blocking-call pool) so the
 * heartbeat, a coroutine of the same worker with COEXEC_WORKERS=1, keeps
 * ticking. Each case prints the call's result, errno name and "heartbeat
 * ok" or "heartbeat STALLED (n ticks)"; times and pids are never printed
 * (BLOCKING_TIMES=1 in the environment writes each call's ticks and time
 * to stderr, for a person looking at the margins).
 *
 *   fifo_open      open(O_RDONLY) of a FIFO whose writer, a child, opens it 400 ms later
 *   flock_other    flock(LOCK_EX) on a file a child holds flock(LOCK_EX) on for 400 ms
 *   flock_same     flock(LOCK_EX) on a file another thread holds through its own description for 200 ms
 *   fcntl_setlkw   fcntl(F_SETLKW) on a file a child holds an F_SETLK write lock on for 400 ms
 *   ofd_setlkw     fcntl(F_OFD_SETLKW) on a file another thread holds an OFD lock on for 400 ms
 *   lockf_lock     lockf(F_LOCK) on a file a child holds lockf(F_LOCK) on for 400 ms
 *   waitpid_child  waitpid(pid, &st, 0) on a child that sleeps 400 ms and exits 7
 *   wait_child     the same with wait()
 *   wait4_child    the same with wait4(pid, &st, 0, &rusage)
 *   waitid_child   the same with waitid(P_PID, pid, &info, WEXITED)
 *   waitpid_any    the same with waitpid(-1, &st, 0)
 *   system_sleep   system("sleep 0.4; exit 3")
 *   pclose_sleep   pclose() of popen("sleep 0.4; exit 5", "w")
 *   fsync_big      fsync() of a 64 MiB file just written (lenient heartbeat: a quick fsync is fine)
 *   read_cold      read() in 1 MiB chunks of a 64 MiB file dropped from the page cache (lenient too)
 *   fread_cold     the same with fread() from a FILE (glibc reads where coexec cannot see)
 *   fread_cached   fread() of a file just written, so in the page cache: in place
 *   flock_intr     flock(LOCK_EX) held by a child for 600 ms, SIGALRM (no SA_RESTART) to the waiter at 150 ms: EINTR
 *   flock_restart  the same with SA_RESTART: flock succeeds when the child lets go
 *   waitpid_intr   waitpid on a child sleeping 600 ms, SIGALRM (no SA_RESTART) at 150 ms: EINTR, then reaped
 *   setlkw_cancel  a thread waiting in fcntl(F_SETLKW) on a child's lock is cancelled at 150 ms: PTHREAD_CANCELED
 *   spawn_fifo     posix_spawnp of awk with a file action that opens a FIFO on its stdin; another thread
 *                  of the program opens the FIFO for writing 400 ms later (glibc's posix_spawn returns once
 *                  the child has exec'd, so it waits for that open too), writes "x"; awk exits 0 if it
 *                  read x and started with no signal blocked (the caller's mask); before it, a posix_spawnp
 *                  of true whose file actions cannot wait (dup2, close)
 *
 * Children are forked from a program with threads, so a child only makes
 * async-signal-safe calls (open, flock, fcntl, lockf's fcntl, nanosleep,
 * write, _exit). Every case kills or reaps its children and removes its
 * files.
 */
#include <spawn.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"
#include "beat.h"

/* ---- files -------------------------------------------------------------- */

static int open_file(const char *file)
{
    int fd = open(file, O_RDWR | O_CREAT, 0600);
    if (fd < 0)
        die("open", errno);
    return fd;
}

enum { HOLD_FLOCK, HOLD_SETLK, HOLD_LOCKF };

/* A child that opens `file` itself (a description of its own), takes the
 * lock `how`, tells the parent through a pipe, holds it `ms` and exits
 * (which lets go). Returns once the child holds the lock. */
static pid_t child_holds(const char *file, int how, int ms)
{
    int p[2];
    make_pipe(p);
    pid_t pid = fork_or_die();
    if (pid == 0) {
        close(p[0]);
        int fd = open(file, O_RDWR);
        int r = -1;
        if (fd >= 0) {
            if (how == HOLD_FLOCK) {
                r = flock(fd, LOCK_EX);
            } else if (how == HOLD_SETLK) {
                struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
                r = fcntl(fd, F_SETLK, &fl);
            } else {
                r = lockf(fd, F_LOCK, 0);
            }
        }
        char c = r == 0 ? 'L' : 'E';
        if (write(p[1], &c, 1) != 1 || r != 0)
            _exit(99);
        child_sleep(ms);
        _exit(0);
    }
    close(p[1]);
    char c = 0;
    ssize_t n;
    while ((n = read(p[0], &c, 1)) < 0 && errno == EINTR)
        ;
    close(p[0]);
    if (n != 1 || c != 'L')
        die("child could not take the lock", n < 0 ? errno : 0);
    return pid;
}

/* A child that sleeps `ms` and exits with `code`. */
static pid_t child_exits(int ms, int code)
{
    pid_t pid = fork_or_die();
    if (pid == 0) {
        child_sleep(ms);
        _exit(code);
    }
    return pid;
}

/* ---- fifo_open ------------------------------------------------------------ */
static void c_fifo_open(void)
{
    tmp_make("fifo");
    if (mkfifo(path, 0600) < 0)
        die("mkfifo", errno);
    pid_t pid = fork_or_die();
    if (pid == 0) {
        child_sleep(400);
        int fd = open(path, O_WRONLY);
        if (fd < 0)
            _exit(98);
        if (write(fd, "x", 1) != 1)
            _exit(97);
        _exit(0);
    }
    struct beat b;
    beat_start(&b);
    beat_begin(&b);
    int fd = open(path, O_RDONLY);
    int e = errno;
    beat_end(&b);
    beat_stop(&b);
    char c = 0;
    ssize_t n = fd >= 0 ? read(fd, &c, 1) : -1;
    say("open(fifo, O_RDONLY) %s (%s), read %zd '%c', %s", fd >= 0 ? "ok" : "= -1",
        fd >= 0 ? "0" : en(e), n, n == 1 ? c : '-', beat_word(&b, 0));
    if (fd >= 0)
        close(fd);
    say("writer exited %d", reap(pid));
    tmp_remove();
}

/* ---- flock_other, fcntl_setlkw, lockf_lock: a child holds the lock ---- */
static int lock_call(int fd, int how)
{
    if (how == HOLD_FLOCK)
        return flock(fd, LOCK_EX);
    if (how == HOLD_SETLK) {
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        return fcntl(fd, F_SETLKW, &fl);
    }
    return lockf(fd, F_LOCK, 0);
}

static void child_lock_case(int how, const char *what)
{
    tmp_make("lock");
    int fd = open_file(path);
    pid_t pid = child_holds(path, how, 400);
    struct beat b;
    beat_start(&b);
    beat_begin(&b);
    int r = lock_call(fd, how);
    int e = r < 0 ? errno : 0;
    beat_end(&b);
    beat_stop(&b);
    say("%s = %d (%s), %s", what, r, en(e), beat_word(&b, 0));
    say("holder exited %d", reap(pid));
    close(fd);
    tmp_remove();
}

static void c_flock_other(void)
{
    child_lock_case(HOLD_FLOCK, "flock(LOCK_EX)");
}

static void c_fcntl_setlkw(void)
{
    child_lock_case(HOLD_SETLK, "fcntl(F_SETLKW)");
}

static void c_lockf_lock(void)
{
    child_lock_case(HOLD_LOCKF, "lockf(F_LOCK)");
}

/* ---- flock_same, ofd_setlkw: another thread holds the lock ------------- */
struct holder {
    const char *path;
    int ofd;      /* 0: flock, 1: F_OFD_SETLK */
    int ms;
    int held;     /* set once the lock is taken */
    int result;   /* of taking it */
};

static void *holder_fn(void *arg)
{
    struct holder *h = arg;
    int fd = open_file(h->path);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    h->result = h->ofd ? fcntl(fd, F_OFD_SETLK, &fl) : flock(fd, LOCK_EX);
    __atomic_store_n(&h->held, 1, __ATOMIC_RELEASE);
    if (h->result == 0) {
        msleep(h->ms);
        if (h->ofd) {
            fl.l_type = F_UNLCK;
            fcntl(fd, F_OFD_SETLK, &fl);
        } else {
            flock(fd, LOCK_UN);
        }
    }
    close(fd);
    return NULL;
}

static void thread_lock_case(int ofd, int ms, const char *what)
{
    tmp_make("lock");
    int fd = open_file(path);
    struct holder h = {.path = path, .ofd = ofd, .ms = ms};
    pthread_t t = spawn(holder_fn, &h);
    while (!__atomic_load_n(&h.held, __ATOMIC_ACQUIRE))
        msleep(1);
    if (h.result != 0)
        die("holder thread could not take the lock", errno);
    struct beat b;
    beat_start(&b);
    beat_begin(&b);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    int r = ofd ? fcntl(fd, F_OFD_SETLKW, &fl) : flock(fd, LOCK_EX);
    int e = r < 0 ? errno : 0;
    beat_end(&b);
    beat_stop(&b);
    join(t);
    say("%s = %d (%s), %s", what, r, en(e), beat_word(&b, 0));
    close(fd);
    tmp_remove();
}

static void c_flock_same(void)
{
    thread_lock_case(0, 200, "flock(LOCK_EX)");
}

static void c_ofd_setlkw(void)
{
    thread_lock_case(1, 400, "fcntl(F_OFD_SETLKW)");
}

/* ---- waitpid_child and its variants -------------------------------------- */
enum { W_WAITPID, W_WAIT, W_WAIT4, W_WAITID, W_ANY };

static void wait_case(int how)
{
    pid_t pid = child_exits(400, 7);
    struct beat b;
    beat_start(&b);
    beat_begin(&b);
    int st = 0;
    pid_t r;
    struct rusage ru;
    siginfo_t si = {0};
    const char *call;
    switch (how) {
    case W_WAITPID:
        call = "waitpid(pid, &st, 0)";
        r = waitpid(pid, &st, 0);
        break;
    case W_WAIT:
        call = "wait(&st)";
        r = wait(&st);
        break;
    case W_WAIT4:
        call = "wait4(pid, &st, 0, &ru)";
        memset(&ru, 0xff, sizeof ru);
        r = wait4(pid, &st, 0, &ru);
        break;
    case W_WAITID:
        call = "waitid(P_PID, pid, &si, WEXITED)";
        r = waitid(P_PID, pid, &si, WEXITED);
        break;
    default:
        call = "waitpid(-1, &st, 0)";
        r = waitpid(-1, &st, 0);
        break;
    }
    int e = r < 0 ? errno : 0;
    beat_end(&b);
    beat_stop(&b);
    if (how == W_WAITID) {
        say("%s = %d (%s), si_pid %s, si_code %s, si_status %d, %s", call, r, en(e),
            si.si_pid == pid ? "the child" : "OTHER", si.si_code == CLD_EXITED ? "CLD_EXITED" : "other",
            si.si_status, beat_word(&b, 0));
    } else {
        say("%s = %s (%s), exit status %d, %s", call, r == pid ? "the child" : r < 0 ? "-1" : "OTHER",
            en(e), r == pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1, beat_word(&b, 0));
    }
    if (how == W_WAIT4)
        say("rusage filled: %s", r == pid && ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000 &&
                                         ru.ru_stime.tv_usec >= 0 && ru.ru_stime.tv_usec < 1000000
                                     ? "yes" : "no");
    if (how == W_WAITID ? r != 0 || si.si_pid != pid : r != pid)
        kill_reap(pid);
}

static void c_waitpid_child(void) { wait_case(W_WAITPID); }
static void c_wait_child(void) { wait_case(W_WAIT); }
static void c_wait4_child(void) { wait_case(W_WAIT4); }
static void c_waitid_child(void) { wait_case(W_WAITID); }
static void c_waitpid_any(void) { wait_case(W_ANY); }

/* ---- system_sleep, pclose_sleep ------------------------------------------ */
static void c_system_sleep(void)
{
    struct beat b;
    beat_start(&b);
    beat_begin(&b);
    int st = system("sleep 0.4; exit 3");
    int e = st < 0 ? errno : 0;
    beat_end(&b);
    beat_stop(&b);
    say("system(\"sleep 0.4; exit 3\"): %s %d (%s), %s",
        st < 0 ? "=" : WIFEXITED(st) ? "exited" : "not exited", st < 0 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : st,
        en(e), beat_word(&b, 0));
}

static void c_pclose_sleep(void)
{
    FILE *f = popen("sleep 0.4; exit 5", "w");
    if (!f)
        die("popen", errno);
    struct beat b;
    beat_start(&b);
    beat_begin(&b);
    int st = pclose(f);
    int e = st < 0 ? errno : 0;
    beat_end(&b);
    beat_stop(&b);
    say("pclose(popen(\"sleep 0.4; exit 5\", \"w\")): %s %d (%s), %s",
        st < 0 ? "=" : WIFEXITED(st) ? "exited" : "not exited", st < 0 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : st,
        en(e), beat_word(&b, 0));
}

/* ---- fsync_big, read_cold ------------------------------------------------ */
#define BIG (64 << 20)
#define CHUNK (1 << 20)

/* Chunk k of the big file: 32-bit words numbering themselves. */
static void fill_chunk(uint32_t *w, int k)
{
    for (int j = 0; j < CHUNK / 4; j++)
        w[j] = (uint32_t)k * (CHUNK / 4) + j;
}

static int write_big(const char *file)
{
    int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        die("open big", errno);
    uint32_t *buf = malloc(CHUNK);
    if (!buf)
        die("malloc", ENOMEM);
    for (int k = 0; k < BIG / CHUNK; k++) {
        fill_chunk(buf, k);
        if (write(fd, buf, CHUNK) != CHUNK)
            die("write big", errno);
    }
    free(buf);
    return fd;
}

static void c_fsync_big(void)
{
    tmp_make("big");
    int fd = write_big(path);
    struct beat b;
    beat_start(&b);
    beat_begin(&b);
    int r = fsync(fd);
    int e = r < 0 ? errno : 0;
    beat_end(&b);
    beat_stop(&b);
    say("fsync(64 MiB file) = %d (%s), %s", r, en(e), beat_word(&b, 1));
    close(fd);
    tmp_remove();
}

/* The case's 64 MiB file, dropped from the page cache when cold, open at
 * its start. */
static int big_file(int cold)
{
    tmp_make("big");
    int fd = write_big(path);
    if (cold) {
        if (fsync(fd) < 0)
            die("fsync", errno);
        int a = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        if (a)
            die("posix_fadvise", a);
    }
    if (lseek(fd, 0, SEEK_SET) != 0)
        die("lseek", errno);
    return fd;
}

/* Did the reader get all of it, each chunk as write_big made it? Checked
 * after the heartbeat's window: under coexec a CPU-bound loop stalls a
 * neighbour on the same worker whatever the pool does. */
static int big_right(const char *data, size_t total)
{
    int right = total == BIG;
    uint32_t *want = malloc(CHUNK);
    if (!want)
        die("malloc", ENOMEM);
    for (int k = 0; right && k < BIG / CHUNK; k++) {
        fill_chunk(want, k);
        right = !memcmp(data + (long)k * CHUNK, want, CHUNK);
    }
    free(want);
    return right;
}

static void c_read_cold(void)
{
    int fd = big_file(1);
    char *data = malloc(BIG);
    if (!data)
        die("malloc", ENOMEM);
    struct beat b;
    beat_start(&b);
    beat_begin(&b);
    long total = 0;
    ssize_t n = 0;
    int e = 0;
    while (total < BIG) {
        n = read(fd, data + total, CHUNK < BIG - total ? CHUNK : BIG - total);
        if (n <= 0) {
            e = n < 0 ? errno : 0;
            break;
        }
        total += n;
    }
    beat_end(&b);
    beat_stop(&b);
    int right = big_right(data, total);
    free(data);
    say("read() of a cold 64 MiB file: %ld bytes (last %s), content %s, %s", total,
        n < 0 ? en(e) : "ok", right ? "right" : "WRONG", beat_word(&b, 1));
    close(fd);
    tmp_remove();
}

/* ---- flock_intr, flock_restart, waitpid_intr ----------------------------- */
static void flock_signal_case(int flags)
{
    struct sigaction old;
    alrm_install(flags, &old);
    tmp_make("lock");
    int fd = open_file(path);
    pid_t pid = child_holds(path, HOLD_FLOCK, 600);
    struct beat b;
    beat_start(&b);
    struct shot s = {pthread_self(), 150};
    pthread_t shooter = spawn(shot_fn, &s);
    beat_begin(&b);
    int r = flock(fd, LOCK_EX);
    int e = r < 0 ? errno : 0;
    beat_end(&b);
    beat_stop(&b);
    alrm_restore(shooter, &old);
    say("flock(LOCK_EX) with SIGALRM at 150 ms%s = %d (%s), handler ran %d, %s",
        flags & SA_RESTART ? " (SA_RESTART)" : "", r, en(e), alrm_hits, beat_word(&b, 0));
    if (r == 0)
        say("holder exited %d", reap(pid));
    else
        kill_reap(pid);
    close(fd);
    tmp_remove();
}

static void c_flock_intr(void)
{
    flock_signal_case(0);
}

static void c_flock_restart(void)
{
    flock_signal_case(SA_RESTART);
}

static void c_waitpid_intr(void)
{
    struct sigaction old;
    alrm_install(0, &old);
    pid_t pid = child_exits(600, 7);
    struct beat b;
    beat_start(&b);
    struct shot s = {pthread_self(), 150};
    pthread_t shooter = spawn(shot_fn, &s);
    beat_begin(&b);
    int st = 0;
    pid_t r = waitpid(pid, &st, 0);
    int e = r < 0 ? errno : 0;
    beat_end(&b);
    beat_stop(&b);
    alrm_restore(shooter, &old);
    say("waitpid(pid, &st, 0) with SIGALRM at 150 ms = %s (%s), handler ran %d, %s",
        r == pid ? "the child" : r < 0 ? "-1" : "OTHER", en(e), alrm_hits, beat_word(&b, 0));
    if (r != pid)
        say("then reaped: exit status %d", reap(pid));
}

/* ---- setlkw_cancel ----------------------------------------------------- */
static void *setlkw_fn(void *arg)
{
    int fd = *(int *)arg;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    int r = fcntl(fd, F_SETLKW, &fl);
    return (void *)(intptr_t)(r == 0 ? 1 : -errno - 2);
}

static void c_setlkw_cancel(void)
{
    tmp_make("lock");
    int fd = open_file(path);
    pid_t pid = child_holds(path, HOLD_SETLK, 600);
    struct beat b;
    beat_start(&b);
    beat_begin(&b);
    pthread_t t = spawn(setlkw_fn, &fd);
    msleep(150);
    int rc = pthread_cancel(t);
    void *ret = join(t);
    beat_end(&b);
    beat_stop(&b);
    if (ret == PTHREAD_CANCELED)
        say("pthread_cancel = %d, join: PTHREAD_CANCELED, %s", rc, beat_word(&b, 0));
    else if ((intptr_t)ret == 1)
        say("pthread_cancel = %d, join: RETURNED (fcntl(F_SETLKW) = 0), %s", rc, beat_word(&b, 0));
    else
        say("pthread_cancel = %d, join: RETURNED (fcntl(F_SETLKW) = -1 %s), %s", rc,
            en(-(int)(intptr_t)ret - 2), beat_word(&b, 0));
    kill_reap(pid);
    close(fd);
    tmp_remove();
}

/* ---- spawn_fifo: a posix_spawn file action waits for a FIFO's writer ---- */
static void *fifo_writer(void *arg)
{
    msleep(400);
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return (void *)(intptr_t)errno;
    ssize_t n = write(fd, "x\n", 2);
    close(fd);
    return (void *)(intptr_t)(n == 2 ? 0 : EIO);
}

static void c_spawn_fifo(void)
{
    extern char **environ;
    tmp_make("fifo");
    if (mkfifo(path, 0600) < 0)
        die("mkfifo", errno);
    /* first a spawn whose file actions cannot wait (a dup2, a close):
     * under coexec it stays on the worker (pool.posix_spawnp counts only
     * the one below) */
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, 2, 9);
    posix_spawn_file_actions_addclose(&fa, 9);
    char *targv[] = {"true", NULL};
    pid_t pid;
    int r = posix_spawnp(&pid, "true", &fa, NULL, targv, environ);
    posix_spawn_file_actions_destroy(&fa);
    say("posix_spawnp(true, dup2 and close) = %s, true exited %d", en(r), r ? -1 : reap(pid));
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, path, O_RDONLY, 0);
    /* awk (sh would clear its signal mask) also checks that it started
     * with no signal blocked, as the caller */
    char *argv[] = {"awk",
                    "NR == FNR { got = $0; next } /^SigBlk:/ { ok = $2 ~ /^0+$/ }"
                    " END { exit !(got == \"x\" && ok) }",
                    "-", "/proc/self/status", NULL};
    fflush(stdout);
    pthread_t w = spawn(fifo_writer, NULL);
    struct beat b;
    beat_start(&b);
    beat_begin(&b);
    r = posix_spawnp(&pid, "awk", &fa, NULL, argv, environ);
    beat_end(&b);
    beat_stop(&b);
    void *we;
    pthread_join(w, &we);
    posix_spawn_file_actions_destroy(&fa);
    say("posix_spawnp(awk, stdin opened from the fifo) = %s, writer %s, %s", en(r),
        en((int)(intptr_t)we), beat_word(&b, 0));
    if (r == 0)
        say("awk exited %d", reap(pid));
    tmp_remove();
}

/* ---- fread_cold, fread_cached --------------------------------------------- */
static void fread_case(int cold)
{
    int fd = big_file(cold);
    FILE *f = fdopen(fd, "r");
    char *data = malloc(BIG);
    if (!f || !data)
        die("fdopen", errno);
    struct beat b;
    beat_start(&b);
    beat_begin(&b);
    size_t total = 0, n;
    while (total < BIG && (n = fread(data + total, 1, CHUNK, f)) > 0)
        total += n;
    beat_end(&b);
    beat_stop(&b);
    int right = big_right(data, total);
    free(data);
    /* A cached read is a copy glibc makes in place, which nobody can
     * interrupt: whether the heartbeat ticked meanwhile (natively, on
     * another CPU) depends on how fast this machine copies 64 MiB. */
    say("fread() of a %s 64 MiB file: %zu bytes, ferror %d, content %s, %s",
        cold ? "cold" : "cached", total, ferror(f), right ? "right" : "WRONG",
        cold ? beat_word(&b, 1) : "heartbeat not judged");
    fclose(f);
    tmp_remove();
}

static void c_fread_cold(void)
{
    fread_case(1);
}

static void c_fread_cached(void)
{
    fread_case(0);
}

static const struct tcase cases[] = {
    {"fifo_open", c_fifo_open},
    {"flock_other", c_flock_other},
    {"flock_same", c_flock_same},
    {"fcntl_setlkw", c_fcntl_setlkw},
    {"ofd_setlkw", c_ofd_setlkw},
    {"lockf_lock", c_lockf_lock},
    {"waitpid_child", c_waitpid_child},
    {"wait_child", c_wait_child},
    {"wait4_child", c_wait4_child},
    {"waitid_child", c_waitid_child},
    {"waitpid_any", c_waitpid_any},
    {"system_sleep", c_system_sleep},
    {"pclose_sleep", c_pclose_sleep},
    {"fsync_big", c_fsync_big},
    {"read_cold", c_read_cold},
    {"fread_cold", c_fread_cold},
    {"fread_cached", c_fread_cached},
    {"flock_intr", c_flock_intr},
    {"flock_restart", c_flock_restart},
    {"waitpid_intr", c_waitpid_intr},
    {"setlkw_cancel", c_setlkw_cancel},
    {"spawn_fifo", c_spawn_fifo},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return run_cases(cases, argc, argv, "blocking");
}
