/* harness.h: the case harness shared by the test programs in tests/progs
 * (net_extra, errno_parity, thread_api, epoll_user, poll_user, select_user,
 * sleepers).  Header-only: everything here is static, so each program gets
 * its own private copy and nothing is linked.
 *
 * It provides
 *   - say(fmt, ...): printf a line prefixed with "main: " or "thread: "
 *     (the variable `where`), so the two runs of a case are told apart;
 *   - en(e): the name of an errno value ("EAGAIN", "0"); die(what, e);
 *   - now_ms(), msleep(ms), timing(start, ms): times that are checked,
 *     never printed ("timeout ok");
 *   - spawn(fn, arg) and join(t): pthread_create/pthread_join or die;
 *   - CLOSED_FD, a descriptor number that is certainly closed, and bad_ptr,
 *     an address no call may touch;
 *   - make_pipe(), make_socketpair(), close2();
 *   - later(&l, fd, ms, LATER_*): a helper thread that after `ms` writes a
 *     byte to, closes, reads a byte from or drains `fd`;
 *   - struct tcase and run_cases(): the case table and main loop.
 *
 * A program includes it after its own system headers and ends with
 *
 *   static const struct tcase cases[] = {
 *       {"name", c_name},
 *       ...
 *       {NULL, NULL},
 *   };
 *
 *   int main(int argc, char **argv)
 *   {
 *       return run_cases(cases, argc, argv, "program");
 *   }
 *
 * run_cases() implements "PROGRAM [--list | CASE...]": --list prints the
 * case names; otherwise each selected case (all of them without arguments)
 * runs first on the main thread and then on a thread of its own, after a
 * "== name" line.  It line-buffers stdout, ignores SIGPIPE and grows the
 * descriptor table past CLOSED_FD first.
 */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HARNESS static __attribute__((unused))

static const char *where = "main";

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
HARNESS void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s: ", where);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
}

HARNESS const char *en(int e)
{
    if (e == 0)
        return "0";
    const char *n = strerrorname_np(e);
    return n ? n : "E?";
}

HARNESS void die(const char *what, int e)
{
    printf("%s: FATAL %s: %s\n", where, what, en(e));
    fflush(stdout);
    exit(1);
}

HARNESS double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

HARNESS void msleep(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* "timeout ok" when the call took at least `ms` and not absurdly longer. */
HARNESS const char *timing(double start, double ms)
{
    double el = now_ms() - start;
    if (el < ms)
        return "timeout EARLY";
    if (el > ms + 1000)
        return "timeout LATE";
    return "timeout ok";
}

HARNESS pthread_t spawn(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    int rc = pthread_create(&t, NULL, fn, arg);
    if (rc)
        die("pthread_create", rc);
    return t;
}

HARNESS void *join(pthread_t t)
{
    void *ret;
    int rc = pthread_join(t, &ret);
    if (rc)
        die("pthread_join", rc);
    return ret;
}

/* A descriptor number that is certainly closed and stays closed: numbers
 * are handed out lowest first, so nothing lands on it by accident.
 * select() silently ignores descriptors beyond the size of the process's
 * descriptor table, so run_cases() first grows the table past it. */
#define CLOSED_FD 900

HARNESS void grow_fd_table(void)
{
    int fd = fcntl(0, F_DUPFD, CLOSED_FD + 1);
    if (fd < 0)
        fd = fcntl(1, F_DUPFD, CLOSED_FD + 1);
    if (fd >= 0)
        close(fd);
}

/* An address no program may touch, hidden from the compiler's checks. */
HARNESS void *volatile bad_ptr = (void *)1;

HARNESS void make_pipe(int p[2])
{
    if (pipe(p) < 0)
        die("pipe", errno);
}

HARNESS void make_socketpair(int sv[2])
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        die("socketpair", errno);
}

HARNESS void close2(int p[2])
{
    close(p[0]);
    close(p[1]);
}

/* Helper thread: sleep `ms`, then write one byte / close a descriptor. */
struct later {
    int fd;
    int ms;
    int action;   /* LATER_WRITE, LATER_CLOSE, LATER_READ, LATER_DRAIN */
};
enum { LATER_WRITE, LATER_CLOSE, LATER_READ, LATER_DRAIN, LATER_CONNECT };

HARNESS void *later_fn(void *arg)
{
    struct later *l = arg;
    msleep(l->ms);
    char buf[65536];
    switch (l->action) {
    case LATER_WRITE:
        if (write(l->fd, "x", 1) != 1)
            die("later write", errno);
        break;
    case LATER_CLOSE:
        close(l->fd);
        break;
    case LATER_READ:
        if (read(l->fd, buf, 1) != 1)
            die("later read", errno);
        break;
    case LATER_DRAIN:
        if (read(l->fd, buf, sizeof buf) <= 0)
            die("later drain", errno);
        break;
    }
    return NULL;
}

HARNESS pthread_t later(struct later *l, int fd, int ms, int action)
{
    l->fd = fd;
    l->ms = ms;
    l->action = action;
    return spawn(later_fn, l);
}

struct tcase {
    const char *name;
    void (*fn)(void);
};

HARNESS void *case_thread(void *arg)
{
    const struct tcase *c = arg;
    where = "thread";
    c->fn();
    return NULL;
}

/* Run the selected cases (all without arguments), each first on the main
 * thread and then on a thread of its own. */
HARNESS int run_cases(const struct tcase *cases, int argc, char **argv,
                      const char *prog)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    grow_fd_table();
    if (argc == 2 && !strcmp(argv[1], "--list")) {
        for (const struct tcase *c = cases; c->name; c++)
            printf("%s\n", c->name);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const struct tcase *c = cases;
        while (c->name && strcmp(c->name, argv[i]))
            c++;
        if (!c->name) {
            fprintf(stderr, "usage: %s [--list | CASE...]\n", prog);
            fprintf(stderr, "%s: unknown case '%s'\n", prog, argv[i]);
            return 2;
        }
    }
    for (const struct tcase *c = cases; c->name; c++) {
        int wanted = argc < 2;
        for (int i = 1; i < argc; i++)
            if (!strcmp(c->name, argv[i]))
                wanted = 1;
        if (!wanted)
            continue;
        printf("== %s\n", c->name);
        where = "main";
        c->fn();
        join(spawn(case_thread, (void *)c));
        where = "main";
    }
    return 0;
}

#endif /* TESTS_HARNESS_H */
