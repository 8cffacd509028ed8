/* stdio_wait: stdio calls that wait on a pipe or a socket, each for about
 * 400 ms while a heartbeat thread ticks (beat.h); run natively and under
 * coexec by tests/bats/stdio.bats and compared. glibc's FILE functions
 * read and write through private entries coexec cannot see, so under
 * coexec the call itself must go to the blocking-call pool (or park on the
 * descriptor) for the heartbeat, a coroutine of the same worker with
 * COEXEC_WORKERS=1, to keep ticking. Each case prints what the call
 * returned, errno, ferror and "heartbeat ok" or "heartbeat STALLED".
 *
 *   fgets_sock     fgets() on a socket that has half a line; the rest comes 400 ms later
 *   getline_pipe   getline() on a pipe, the same
 *   fread_sock     fread() of 10 bytes of which 4 have come
 *   scanf_pipe     fscanf("%d %d") when "12 " has come and "34\n" comes later
 *   fgetc_wait     fgetc() on an empty pipe (parks on the descriptor, no pool)
 *   fgets_same     fgets() of a line another thread of the program completes 200 ms later
 *   fprintf_pipe   fprintf() + fflush() of 300 KB into a pipe nobody reads for 400 ms
 *   fwrite_sock    fwrite() of 1 MiB into a socket nobody reads for 400 ms
 *   fgetc_intr     fgetc() on an empty pipe, SIGALRM (no SA_RESTART) at 150 ms: EOF, EINTR
 *   fgets_intr     fgets() with half a line come, SIGALRM (no SA_RESTART) at 150 ms: NULL, EINTR
 *   fgets_restart  the same with SA_RESTART: the whole line
 *   flockfile_lent thread A holds flockfile() across an fgets() that waits; thread B's fgetc()
 *                  on the same FILE waits for A's funlockfile() and reads what follows A's line
 *   fgets_unget    fgets() once the byte ungetc() pushed back is read: the rest of the line is
 *                  in the buffer, so it returns at once (the pipe still lacks what comes later)
 *   fgetc_two      two threads in fgetc() on one empty pipe; "ab" comes: both return at once
 *   getline_error  getline() on a stream with its error flag set fails at once, reading nothing
 *   fgetc_wronly   fgetc() on a stream opened "w" on a pipe: EOF, EBADF at once
 *   fgetc_eof_flush fgetc() on an "r+" socket stream at end of file, with output buffered
 *                  for a full socket: it flushes first, and waits until the peer reads (400 ms)
 *   fread_eof_tty  fread() of 8 KiB on a pseudo-terminal after an end of file (^D): more than
 *                  its buffer reads the terminal again, and waits for "data\n^D" (400 ms)
 *   fgetc_stdout   fgetc() on an unbuffered socket stream that has a byte, while stdout, line-
 *                  buffered, holds output for a full pipe: the refill flushes stdout first, and
 *                  waits until a reader drains the pipe (400 ms)
 *   fgets_cancel_lent a thread holding flockfile() is cancelled in an fgets() on an empty pipe
 *                  (its cleanup handler unlocks); then another thread's fgetc() on the stream
 *   fgets_cancel   a thread cancelled in an fgets() with half a line come: it never returns
 *                  from fgets(), and the stream has no error flag
 *   fprintf_error  fprintf() whose %ls cannot be converted (C locale) writes what came before
 *                  and fails with EILSEQ; fprintf("") on a stream opened "r" fails with EBADF
 *   fprintf_room   fprintf() of 200 lines into a pipe that holds 8 KiB nobody reads: each
 *                  full buffer (4 KiB) is one write the pipe has room for, and none waits
 *   fgets_lines    fgets() of 10 lines a child writes into a pipe one write(2) each, 20 ms
 *                  apart: each comes whole, and no fgets() needs the pool
 */
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>

#include "harness.h"
#include "beat.h"

/* A child that writes `first` at once and `rest` after `ms`, then keeps
 * its end open `hold` ms more before it exits. */
static pid_t child_writes(int fd, const char *first, int ms, const char *rest, int hold)
{
    pid_t pid = fork_or_die();
    if (pid == 0) {
        if (*first && write(fd, first, strlen(first)) < 0)
            _exit(98);
        child_sleep(ms);
        if (*rest && write(fd, rest, strlen(rest)) < 0)
            _exit(97);
        child_sleep(hold);
        _exit(0);
    }
    return pid;
}

static const char *show(const char *s)
{
    static char buf[128];
    size_t n = 0;
    for (; s && *s && n < sizeof buf - 3; s++)
        if (*s == '\n') {
            buf[n++] = '\\';
            buf[n++] = 'n';
        } else {
            buf[n++] = *s;
        }
    buf[n] = 0;
    return s ? buf : "(null)";
}

/* An input case: fd[0] read through a FILE, fd[1] written by a child. */
struct in_case {
    int fd[2];
    FILE *f;
    pid_t pid;
    struct beat b;
};

static void in_open(struct in_case *c, int sock, const char *first, int ms, const char *rest)
{
    if (sock)
        make_socketpair(c->fd);
    else
        make_pipe(c->fd);
    c->pid = child_writes(c->fd[1], first, ms, rest, 0);
    close(c->fd[1]);
    c->f = fdopen(c->fd[0], "r");
    if (!c->f)
        die("fdopen", errno);
    msleep(50); /* the first part has come */
    beat_start(&c->b);
    beat_begin(&c->b);
}

static void in_close(struct in_case *c)
{
    beat_end(&c->b);
    beat_stop(&c->b);
}

static void in_done(struct in_case *c)
{
    fclose(c->f);
    say("writer exited %d", reap(c->pid));
}

static void c_fgets_sock(void)
{
    struct in_case c;
    in_open(&c, 1, "half a ", 400, "line\n");
    char buf[100];
    char *r = fgets(buf, sizeof buf, c.f);
    int e = r ? 0 : errno;
    in_close(&c);
    say("fgets = \"%s\" (%s), %s", show(r), en(e), beat_word(&c.b, 0));
    in_done(&c);
}

static void c_getline_pipe(void)
{
    struct in_case c;
    in_open(&c, 0, "first part, ", 400, "second part\n");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, c.f);
    int e = n < 0 ? errno : 0;
    in_close(&c);
    say("getline = %zd \"%s\" (%s), %s", n, show(n >= 0 ? line : NULL), en(e),
        beat_word(&c.b, 0));
    free(line);
    in_done(&c);
}

static void c_fread_sock(void)
{
    struct in_case c;
    in_open(&c, 1, "abcd", 400, "efghij");
    char buf[11] = {0};
    size_t n = fread(buf, 1, 10, c.f);
    in_close(&c);
    say("fread = %zu \"%s\", ferror %d, %s", n, buf, ferror(c.f), beat_word(&c.b, 0));
    in_done(&c);
}

static void c_scanf_pipe(void)
{
    struct in_case c;
    in_open(&c, 0, "12 ", 400, "34\n");
    int x = 0, y = 0;
    int r = fscanf(c.f, "%d %d", &x, &y);
    in_close(&c);
    say("fscanf = %d (%d %d), %s", r, x, y, beat_word(&c.b, 0));
    in_done(&c);
}

static void c_fgetc_wait(void)
{
    struct in_case c;
    in_open(&c, 0, "", 400, "x");
    int ch = fgetc(c.f);
    in_close(&c);
    say("fgetc = '%c', %s", ch == EOF ? '-' : ch, beat_word(&c.b, 0));
    in_done(&c);
}

/* ---- fgets_same ------------------------------------------------------------ */
static void *complete_fn(void *arg)
{
    int fd = *(int *)arg;
    msleep(200);
    if (write(fd, "f\n", 2) != 2)
        die("write", errno);
    return NULL;
}

static void c_fgets_same(void)
{
    int p[2];
    make_pipe(p);
    if (write(p[1], "hal", 3) != 3)
        die("write", errno);
    FILE *f = fdopen(p[0], "r");
    struct beat b;
    beat_start(&b);
    pthread_t t = spawn(complete_fn, &p[1]);
    beat_begin(&b);
    char buf[100];
    char *r = fgets(buf, sizeof buf, f);
    beat_end(&b);
    beat_stop(&b);
    join(t);
    say("fgets = \"%s\", %s", show(r), beat_word(&b, 0));
    fclose(f);
    close(p[1]);
}

/* ---- output ------------------------------------------------------------------ */

/* A child that waits `ms`, then reads fd to its end and reports how many
 * bytes it read through `report`; it closes the writing end it inherits. */
static pid_t child_reads(int fd, int other_end, int ms, int report)
{
    pid_t pid = fork_or_die();
    if (pid == 0) {
        close(other_end);
        child_sleep(ms);
        char buf[65536];
        long total = 0;
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0)
            total += n;
        if (write(report, &total, sizeof total) != sizeof total)
            _exit(98);
        _exit(n < 0 ? 97 : 0);
    }
    return pid;
}

static void out_case(int sock, size_t size)
{
    int fd[2], rep[2];
    if (sock)
        make_socketpair(fd);
    else
        make_pipe(fd);
    make_pipe(rep);
    pid_t pid = child_reads(fd[0], fd[1], 400, rep[1]);
    close(fd[0]);
    close(rep[1]);
    FILE *f = fdopen(fd[1], "w");
    char *text = malloc(size + 1);
    memset(text, 'y', size);
    text[size] = 0;
    struct beat b;
    beat_start(&b);
    beat_begin(&b);
    long r1;
    int r2;
    if (sock) {
        r1 = fwrite(text, 1, size, f);
        r2 = fflush(f);
    } else {
        r1 = fprintf(f, "%s", text);
        r2 = fflush(f);
    }
    beat_end(&b);
    beat_stop(&b);
    fclose(f);
    long got = 0;
    if (read(rep[0], &got, sizeof got) != sizeof got)
        die("read report", errno);
    close(rep[0]);
    say("%s = %ld, fflush = %d, reader got %ld, %s", sock ? "fwrite" : "fprintf", r1, r2, got,
        beat_word(&b, 0));
    say("reader exited %d", reap(pid));
    free(text);
}

static void c_fprintf_pipe(void)
{
    out_case(0, 300000);
}

static void c_fwrite_sock(void)
{
    out_case(1, 1 << 20);
}

/* ---- interrupted --------------------------------------------------------------- */
static void in_signal_case(int fgets_call, int flags)
{
    struct sigaction old;
    alrm_install(flags, &old);
    struct in_case c;
    int fd[2];
    make_pipe(fd);
    c.pid = child_writes(fd[1], fgets_call ? "half" : "", 600, " done\n", 0);
    close(fd[1]);
    c.f = fdopen(fd[0], "r");
    msleep(50);
    beat_start(&c.b);
    struct shot s = {pthread_self(), 150};
    pthread_t shooter = spawn(shot_fn, &s);
    beat_begin(&c.b);
    char buf[100];
    const char *r;
    int ch = 0;
    if (fgets_call) {
        r = fgets(buf, sizeof buf, c.f);
    } else {
        ch = fgetc(c.f);
        r = ch == EOF ? NULL : "char";
    }
    int e = r ? 0 : errno;
    in_close(&c);
    alrm_restore(shooter, &old);
    say("%s%s = \"%s\" (%s), ferror %d, handler ran %d, %s", fgets_call ? "fgets" : "fgetc",
        flags & SA_RESTART ? " (SA_RESTART)" : "", show(r), en(e), ferror(c.f), alrm_hits,
        beat_word(&c.b, 0));
    in_done(&c);
}

static void c_fgetc_intr(void)
{
    in_signal_case(0, 0);
}

static void c_fgets_intr(void)
{
    in_signal_case(1, 0);
}

static void c_fgets_restart(void)
{
    in_signal_case(1, SA_RESTART);
}

/* ---- flockfile_lent ---------------------------------------------------------------- */
static FILE *lent_f;
static int lent_locked;

static void *lent_b(void *arg)
{
    while (!__atomic_load_n(&lent_locked, __ATOMIC_ACQUIRE))
        msleep(1);
    msleep(50); /* A is in its fgets */
    int ch = fgetc(lent_f);
    return (void *)(intptr_t)ch;
}

static void c_flockfile_lent(void)
{
    struct in_case c;
    in_open(&c, 0, "", 400, "A's line\nB");
    lent_f = c.f;
    __atomic_store_n(&lent_locked, 0, __ATOMIC_RELEASE);
    pthread_t t = spawn(lent_b, NULL);
    flockfile(c.f);
    __atomic_store_n(&lent_locked, 1, __ATOMIC_RELEASE);
    char buf[100];
    char *r = fgets(buf, sizeof buf, c.f);
    msleep(100); /* B must still wait for the lock */
    funlockfile(c.f);
    in_close(&c);
    void *ch;
    if (pthread_join(t, &ch))
        die("pthread_join", 0);
    say("A: fgets = \"%s\", B: fgetc = '%c', %s", show(r), (int)(intptr_t)ch,
        beat_word(&c.b, 0));
    in_done(&c);
}

/* ---- what is buffered ---------------------------------------------------------- */

/* Bytes a pipe holds. */
static int inq(int fd)
{
    int n = -1;
    if (ioctl(fd, FIONREAD, &n) < 0)
        die("FIONREAD", errno);
    return n;
}

static void c_fgets_unget(void)
{
    int p[2];
    make_pipe(p);
    if (write(p[1], "abc\n", 4) != 4)
        die("write", errno);
    pid_t pid = child_writes(p[1], "", 400, "later\n", 0);
    FILE *f = fdopen(p[0], "r");
    int c1 = fgetc(f);
    int u = ungetc('X', f); /* not the byte read: a backup area */
    int c2 = fgetc(f);
    char buf[100];
    char *r = fgets(buf, sizeof buf, f);
    say("fgetc '%c', ungetc '%c', fgetc '%c', fgets \"%s\"; the pipe holds %d", c1, u, c2,
        show(r), inq(p[0]));
    say("writer exited %d", reap(pid));
    fclose(f);
    close(p[1]);
}

/* ---- fgetc_two --------------------------------------------------------------------- */
static FILE *two_f;
static int two_done;

static void *two_fn(void *arg)
{
    int c = fgetc(two_f);
    __atomic_add_fetch(&two_done, 1, __ATOMIC_ACQ_REL);
    return (void *)(intptr_t)c;
}

static void c_fgetc_two(void)
{
    int p[2];
    make_pipe(p);
    two_f = fdopen(p[0], "r");
    __atomic_store_n(&two_done, 0, __ATOMIC_RELEASE);
    pthread_t a = spawn(two_fn, NULL), b = spawn(two_fn, NULL);
    msleep(100); /* both wait */
    if (write(p[1], "ab", 2) != 2)
        die("write", errno);
    msleep(200);
    int done = __atomic_load_n(&two_done, __ATOMIC_ACQUIRE);
    close(p[1]); /* end of file for one left waiting */
    int ca = (int)(intptr_t)join(a), cb = (int)(intptr_t)join(b);
    say("returned 200 ms after \"ab\" came: %d; they read '%c' and '%c'", done,
        ca < cb ? ca : cb, ca < cb ? cb : ca);
    fclose(two_f);
}

/* ---- calls that fail at once ------------------------------------------------------- */
static void c_getline_error(void)
{
    int p[2];
    make_pipe(p);
    pid_t pid = child_writes(p[1], "", 400, "line\n", 0);
    FILE *f = fdopen(p[0], "r");
    int w = fputc('x', f); /* a read-only stream: EBADF and the error flag */
    int e1 = errno;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, f);
    int e2 = errno;
    say("fputc = %d (%s), getline = %zd (%s), ferror %d; the pipe holds %d", w, en(e1), n,
        en(e2), ferror(f), inq(p[0]));
    say("writer exited %d", reap(pid));
    free(line);
    fclose(f);
    close(p[1]);
}

static void *close_later(void *arg)
{
    msleep(300);
    close(*(int *)arg);
    return NULL;
}

static void c_fgetc_wronly(void)
{
    int p[2];
    make_pipe(p);
    FILE *f = fdopen(p[1], "w");
    pthread_t t = spawn(close_later, &p[0]); /* the reader goes: POLLERR */
    int c = fgetc(f);
    int e = errno;
    int gone = fcntl(p[0], F_GETFD) < 0;
    join(t);
    say("fgetc = %d (%s), ferror %d, the reader gone by then: %d", c, en(e), ferror(f), gone);
    fclose(f);
}

/* ---- fgetc_eof_flush ---------------------------------------------------------------- */
static void c_fgetc_eof_flush(void)
{
    int sv[2];
    make_socketpair(sv);
    int small = 4096;
    if (setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small) < 0)
        die("SO_SNDBUF", errno);
    pid_t pid = fork_or_die();
    if (pid == 0) { /* no more to say; reads everything 400 ms later */
        close(sv[0]);
        shutdown(sv[1], SHUT_WR);
        child_sleep(400);
        char buf[65536];
        while (read(sv[1], buf, sizeof buf) > 0)
            ;
        _exit(0);
    }
    close(sv[1]);
    FILE *f = fdopen(sv[0], "r+");
    int c1 = fgetc(f); /* end of file: sticky */
    static char fill[65536];
    memset(fill, 'f', sizeof fill);
    while (send(sv[0], fill, sizeof fill, MSG_DONTWAIT) > 0)
        ;
    int w = fputs("more", f); /* buffered */
    struct beat b;
    beat_start(&b);
    beat_begin(&b);
    int c2 = fgetc(f);
    beat_end(&b);
    beat_stop(&b);
    say("fgetc = %d, feof %d, fputs = %d, fgetc = %d, feof %d, ferror %d, %s", c1, feof(f), w,
        c2, feof(f), ferror(f), beat_word(&b, 0));
    fclose(f);
    say("reader exited %d", reap(pid));
}

/* ---- fread_eof_tty -------------------------------------------------------------------- */
static void c_fread_eof_tty(void)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0)
        die("posix_openpt", errno);
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    if (s < 0)
        die("open pts", errno);
    if (write(m, "\x04", 1) != 1) /* VEOF: the slave's read returns 0 */
        die("write", errno);
    FILE *f = fdopen(s, "r");
    char buf[8192];
    size_t n1 = fread(buf, 1, 10, f);
    int eof1 = feof(f);
    pid_t pid = child_writes(m, "", 400, "data\n\x04", 100);
    struct beat b;
    beat_start(&b);
    beat_begin(&b);
    size_t n2 = fread(buf, 1, sizeof buf, f);
    beat_end(&b);
    beat_stop(&b);
    say("fread = %zu, feof %d, then fread = %zu \"%.*s\", feof %d, %s", n1, eof1, n2,
        n2 > 4 ? 4 : (int)n2, buf, feof(f), beat_word(&b, 0));
    say("writer exited %d", reap(pid));
    fclose(f);
    close(m);
}

/* ---- fgetc_stdout ---------------------------------------------------------------------- */
static void c_fgetc_stdout(void)
{
    int sv[2], o[2];
    make_socketpair(sv);
    if (write(sv[1], "q", 1) != 1)
        die("write", errno);
    FILE *f = fdopen(sv[0], "r");
    setvbuf(f, NULL, _IONBF, 0);
    make_pipe(o);
    if (fcntl(o[1], F_SETPIPE_SZ, 4096) < 0)
        die("F_SETPIPE_SZ", errno);
    static char fill[4096];
    memset(fill, 'f', sizeof fill);
    if (write(o[1], fill, sizeof fill) != sizeof fill)
        die("write", errno);
    pid_t pid = fork_or_die();
    if (pid == 0) { /* drains the pipe 400 ms later */
        close(o[1]);
        child_sleep(400);
        char buf[8192];
        long total = 0;
        ssize_t n;
        while ((n = read(o[0], buf, sizeof buf)) > 0)
            total += n;
        _exit(total == 4096 + 7 ? 0 : 1);
    }
    close(o[0]);
    fflush(stdout);
    int saved = dup(1);
    if (saved < 0 || dup2(o[1], 1) < 0)
        die("dup2", errno);
    close(o[1]);
    fputs("pending", stdout); /* stdout is line-buffered (run_cases): it stays */
    struct beat b;
    beat_start(&b);
    beat_begin(&b);
    int c = fgetc(f);
    beat_end(&b);
    beat_stop(&b);
    fflush(stdout);
    if (dup2(saved, 1) < 0)
        die("dup2", errno);
    close(saved);
    say("fgetc = '%c', %s", c, beat_word(&b, 0));
    say("drainer exited %d", reap(pid));
    fclose(f);
    close(sv[1]);
}

/* ---- fgets_cancel_lent --------------------------------------------------------------- */
static FILE *cancel_f;

static void unlock_fn(void *f)
{
    funlockfile(f);
}

static void *cancel_lent_fn(void *arg)
{
    char buf[100];
    char *r;
    flockfile(cancel_f);
    pthread_cleanup_push(unlock_fn, cancel_f);
    r = fgets(buf, sizeof buf, cancel_f);
    pthread_cleanup_pop(1);
    return r ? "returned" : "returned NULL";
}

static void c_fgets_cancel_lent(void)
{
    int p[2];
    make_pipe(p);
    cancel_f = fdopen(p[0], "r");
    pthread_t t = spawn(cancel_lent_fn, NULL);
    msleep(150);
    int rc = pthread_cancel(t);
    void *r = join(t);
    if (write(p[1], "z", 1) != 1)
        die("write", errno);
    int c = fgetc(cancel_f);
    say("pthread_cancel = %d, %s, then fgetc = '%c'", rc,
        r == PTHREAD_CANCELED ? "cancelled" : (char *)r, c);
    fclose(cancel_f);
    close(p[1]);
}

/* ---- fgets_cancel ---------------------------------------------------------------------- */
static int cancel_returned;

static void *cancel_fn(void *arg)
{
    char buf[100];
    char *r = fgets(buf, sizeof buf, cancel_f);
    __atomic_store_n(&cancel_returned, r ? 1 : 2, __ATOMIC_RELEASE);
    msleep(50); /* a cancellation point after the return */
    return NULL;
}

static void c_fgets_cancel(void)
{
    int p[2];
    make_pipe(p);
    if (write(p[1], "half", 4) != 4)
        die("write", errno);
    cancel_f = fdopen(p[0], "r");
    __atomic_store_n(&cancel_returned, 0, __ATOMIC_RELEASE);
    pthread_t t = spawn(cancel_fn, NULL);
    msleep(150);
    pthread_cancel(t);
    void *r = join(t);
    say("%s; fgets %s, ferror %d", r == PTHREAD_CANCELED ? "cancelled" : "not cancelled",
        (const char *[]){"never returned", "returned a line", "returned NULL"}[cancel_returned],
        ferror(cancel_f));
    fclose(cancel_f);
    close(p[1]);
}

/* ---- fprintf_error --------------------------------------------------------------------- */
static void c_fprintf_error(void)
{
    int p[2];
    make_pipe(p);
    if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) /* our end, not the stream's */
        die("F_SETFL", errno);
    FILE *w = fdopen(p[1], "w");
    int r1 = fprintf(w, "abc%lsdef\n", L"\xe9");
    int e1 = errno;
    int f1 = fflush(w);
    char buf[64] = "";
    ssize_t n = read(p[0], buf, sizeof buf - 1);
    say("fprintf = %d (%s), ferror %d, fflush = %d, the pipe got %zd \"%s\"", r1, en(e1),
        ferror(w), f1, n, n > 0 ? buf : "");
    int q[2];
    make_pipe(q);
    FILE *r = fdopen(q[0], "r");
    errno = 0;
    const char *empty = "";
    int r2 = fprintf(r, empty, 0);
    int e2 = errno;
    say("fprintf(\"\") on a read stream = %d (%s), ferror %d", r2, en(e2), ferror(r));
    fclose(w);
    close(p[0]);
    fclose(r);
    close(q[1]);
}

/* ---- fprintf_room ---------------------------------------------------------------------- */
static void c_fprintf_room(void)
{
    int p[2];
    make_pipe(p);
    static char fill[8192];
    memset(fill, 'f', sizeof fill);
    if (write(p[1], fill, sizeof fill) != sizeof fill)
        die("write", errno);
    FILE *w = fdopen(p[1], "w");
    int total = 0, bad = 0;
    for (int i = 0; i < 200; i++) {
        int n = fprintf(w, "line %03d of forty bytes, more or less\n", i);
        if (n < 0)
            bad++;
        else
            total += n;
    }
    int fl = fflush(w);
    int held = inq(p[0]);
    say("fprintf wrote %d bytes (%d failed), fflush = %d, the pipe holds %d", total, bad, fl,
        held);
    fclose(w);
    close(p[0]);
}

/* ---- fgets_lines ----------------------------------------------------------------------- */
static void c_fgets_lines(void)
{
    int p[2];
    make_pipe(p);
    pid_t pid = fork_or_die();
    if (pid == 0) {
        close(p[0]);
        for (int i = 0; i < 10; i++) {
            char l[64];
            int n = snprintf(l, sizeof l, "line %d, written whole\n", i);
            if (write(p[1], l, n) != n)
                _exit(98);
            child_sleep(20);
        }
        _exit(0);
    }
    close(p[1]);
    FILE *f = fdopen(p[0], "r");
    char buf[100], last[100] = "";
    int n = 0;
    while (fgets(buf, sizeof buf, f)) {
        n++;
        memcpy(last, buf, sizeof last);
    }
    say("%d lines, the last \"%s\", feof %d", n, show(last), feof(f));
    say("writer exited %d", reap(pid));
    fclose(f);
}

static const struct tcase cases[] = {
    {"fgets_sock", c_fgets_sock},
    {"getline_pipe", c_getline_pipe},
    {"fread_sock", c_fread_sock},
    {"scanf_pipe", c_scanf_pipe},
    {"fgetc_wait", c_fgetc_wait},
    {"fgets_same", c_fgets_same},
    {"fprintf_pipe", c_fprintf_pipe},
    {"fwrite_sock", c_fwrite_sock},
    {"fgetc_intr", c_fgetc_intr},
    {"fgets_intr", c_fgets_intr},
    {"fgets_restart", c_fgets_restart},
    {"flockfile_lent", c_flockfile_lent},
    {"fgets_unget", c_fgets_unget},
    {"fgetc_two", c_fgetc_two},
    {"getline_error", c_getline_error},
    {"fgetc_wronly", c_fgetc_wronly},
    {"fgetc_eof_flush", c_fgetc_eof_flush},
    {"fread_eof_tty", c_fread_eof_tty},
    {"fgetc_stdout", c_fgetc_stdout},
    {"fgets_cancel_lent", c_fgets_cancel_lent},
    {"fgets_cancel", c_fgets_cancel},
    {"fprintf_error", c_fprintf_error},
    {"fprintf_room", c_fprintf_room},
    {"fgets_lines", c_fgets_lines},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return run_cases(cases, argc, argv, "stdio_wait");
}
