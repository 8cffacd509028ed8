/* epoll_user: threads waiting in epoll_wait/epoll_pwait/epoll_pwait2 on
 * their own epoll instances, with timeouts of 0, finite and infinite.
 *
 *   epoll_user [--list | CASE...]
 *
 * Each case runs on the main thread, then on a thread of its own, and
 * prints only deterministic facts (no times, no descriptor numbers).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static const char *evs(uint32_t r)
{
    static char buf[8][160];
    static int k;
    char *b = buf[k++ & 7];
    b[0] = 0;
    static const struct { uint32_t bit; const char *name; } names[] = {
        {EPOLLIN, "EPOLLIN"}, {EPOLLPRI, "EPOLLPRI"}, {EPOLLOUT, "EPOLLOUT"},
        {EPOLLRDHUP, "EPOLLRDHUP"}, {EPOLLERR, "EPOLLERR"},
        {EPOLLHUP, "EPOLLHUP"}, {EPOLLRDNORM, "EPOLLRDNORM"},
        {EPOLLWRNORM, "EPOLLWRNORM"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (r & names[i].bit) {
            if (b[0])
                strcat(b, "|");
            strcat(b, names[i].name);
            r &= ~names[i].bit;
        }
    }
    if (r)
        sprintf(b + strlen(b), "%s0x%x", b[0] ? "|" : "", r);
    if (!b[0])
        strcpy(b, "0");
    return b;
}

static int ep_new(void)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        die("epoll_create1", errno);
    return ep;
}

static void ep_add(int ep, int fd, uint32_t events, uint64_t data)
{
    struct epoll_event ev = {.events = events, .data.u64 = data};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
        die("epoll_ctl ADD", errno);
}

/* epoll_wait for up to 4 events and report them */
static void wait1(const char *label, int ep, int tmo)
{
    struct epoll_event ev[4];
    memset(ev, 0, sizeof ev);
    errno = 0;
    int n = epoll_wait(ep, ev, 4, tmo);
    int e = errno;
    if (n < 0) {
        say("%s: -1 %s", label, en(e));
        return;
    }
    char line[512];
    int off = snprintf(line, sizeof line, "%d", n);
    for (int i = 0; i < n; i++)
        off += snprintf(line + off, sizeof line - off, " [data %llu %s]",
                        (unsigned long long)ev[i].data.u64, evs(ev[i].events));
    say("%s: %s", label, line);
}

static void c_zero_empty(void)
{
    int ep = ep_new(), p[2];
    make_pipe(p);
    ep_add(ep, p[0], EPOLLIN, 7);
    wait1("epoll_wait(0), empty pipe", ep, 0);
    int ep2 = ep_new();
    wait1("epoll_wait(0), empty epoll set", ep2, 0);
    close(ep2);
    close2(p);
    close(ep);
}

static void c_timeout(void)
{
    int ep = ep_new(), p[2];
    make_pipe(p);
    ep_add(ep, p[0], EPOLLIN, 7);
    double t0 = now_ms();
    struct epoll_event ev;
    int n = epoll_wait(ep, &ev, 1, 100);
    say("epoll_wait(100), empty pipe: %d, %s", n, timing(t0, 100));
    t0 = now_ms();
    sigset_t none;
    sigemptyset(&none);
    n = epoll_pwait(ep, &ev, 1, 60, &none);
    say("epoll_pwait(60, empty sigmask): %d, %s", n, timing(t0, 60));
    int ep2 = ep_new();
    t0 = now_ms();
    n = epoll_wait(ep2, &ev, 1, 70);
    say("epoll_wait(70), empty epoll set: %d, %s", n, timing(t0, 70));
    close(ep2);
    close2(p);
    close(ep);
}

static void c_pwait2(void)
{
    int ep = ep_new(), p[2];
    make_pipe(p);
    ep_add(ep, p[0], EPOLLIN, 7);
    struct timespec ts = {0, 100 * 1000000L};
    struct epoll_event ev;
    double t0 = now_ms();
    errno = 0;
    int n = epoll_pwait2(ep, &ev, 1, &ts, NULL);
    if (n < 0 && errno == ENOSYS) {
        say("epoll_pwait2: ENOSYS");
    } else {
        say("epoll_pwait2(100ms), empty pipe: %d, %s, timespec after "
            "%ld.%09ld", n, timing(t0, 100), (long)ts.tv_sec, ts.tv_nsec);
        struct later l;
        pthread_t t = later(&l, p[1], 50, LATER_WRITE);
        n = epoll_pwait2(ep, &ev, 1, NULL, NULL);
        say("epoll_pwait2(NULL), written by another thread: %d data %llu %s",
            n, (unsigned long long)ev.data.u64, evs(ev.events));
        join(t);
        struct timespec bad = {0, 1000000000L};
        errno = 0;
        n = epoll_pwait2(ep, &ev, 1, &bad, NULL);
        say("epoll_pwait2 tv_nsec=1e9: %d %s", n, en(errno));
    }
    close2(p);
    close(ep);
}

static void c_ready(void)
{
    int ep = ep_new(), p[2];
    make_pipe(p);
    ep_add(ep, p[0], EPOLLIN, 0x1122334455667788ULL);
    write(p[1], "ab", 2);
    wait1("pipe with data, timeout 0", ep, 0);
    wait1("again (level-triggered)", ep, -1);
    struct epoll_event ev;
    int n = epoll_pwait(ep, &ev, 1, -1, NULL);
    say("epoll_pwait(-1, NULL mask): %d %s", n, evs(ev.events));
    close2(p);
    close(ep);
}

static void c_infinite_wake(void)
{
    int ep = ep_new(), p[2];
    make_pipe(p);
    ep_add(ep, p[0], EPOLLIN, 42);
    struct later l;
    pthread_t t = later(&l, p[1], 50, LATER_WRITE);
    wait1("epoll_wait(-1), written by another thread", ep, -1);
    join(t);
    close2(p);
    close(ep);
}

static void c_finite_wake(void)
{
    int ep = ep_new(), p[2];
    make_pipe(p);
    ep_add(ep, p[0], EPOLLIN, 42);
    struct later l;
    double t0 = now_ms(); /* before the writer starts its 50 ms */
    pthread_t t = later(&l, p[1], 50, LATER_WRITE);
    struct epoll_event ev;
    int n = epoll_wait(ep, &ev, 1, 10000);
    double el = now_ms() - t0;
    say("epoll_wait(10000), written after 50ms: %d %s, %s", n,
        evs(ev.events), el >= 50 && el < 5000 ? "woke on data" : "WRONG TIME");
    join(t);
    close2(p);
    close(ep);
}

static void c_hup(void)
{
    int ep = ep_new(), p[2], sv[2];
    make_pipe(p);
    make_socketpair(sv);
    ep_add(ep, p[0], EPOLLIN, 1);
    close(p[1]);
    wait1("pipe, writer closed", ep, 0);
    close(p[0]);   /* the last reference: leaves the set */
    wait1("after closing it", ep, 0);
    ep_add(ep, sv[0], EPOLLIN | EPOLLRDHUP, 2);
    struct later l;
    pthread_t t = later(&l, sv[1], 50, LATER_CLOSE);
    wait1("socketpair, peer closed by another thread", ep, -1);
    join(t);
    close(sv[0]);
    close(ep);
}

static void c_rdhup(void)
{
    int ep = ep_new(), sv[2];
    make_socketpair(sv);
    ep_add(ep, sv[0], EPOLLIN | EPOLLRDHUP, 3);
    shutdown(sv[1], SHUT_WR);
    wait1("socketpair, peer shut down writing", ep, 0);
    close2(sv);
    close(ep);
}

static void c_edge_triggered(void)
{
    int ep = ep_new(), p[2];
    make_pipe(p);
    ep_add(ep, p[0], EPOLLIN | EPOLLET, 5);
    write(p[1], "a", 1);
    wait1("ET, one byte written", ep, 0);
    wait1("ET, again without new data", ep, 0);
    double t0 = now_ms();
    struct epoll_event ev;
    int n = epoll_wait(ep, &ev, 1, 50);
    say("ET, 50ms without new data: %d, %s", n, timing(t0, 50));
    struct later l;
    pthread_t t = later(&l, p[1], 50, LATER_WRITE);
    wait1("ET, written again by another thread", ep, -1);
    join(t);
    close2(p);
    close(ep);
}

static void c_oneshot(void)
{
    int ep = ep_new(), p[2];
    make_pipe(p);
    ep_add(ep, p[0], EPOLLIN | EPOLLONESHOT, 6);
    write(p[1], "a", 1);
    wait1("ONESHOT, data", ep, 0);
    wait1("ONESHOT, fired already", ep, 0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 9};
    epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
    wait1("ONESHOT, re-armed with MOD", ep, -1);
    close2(p);
    close(ep);
}

static void c_ctl_errors(void)
{
    int ep = ep_new(), p[2];
    make_pipe(p);
    struct epoll_event ev = {.events = EPOLLIN};
    errno = 0;
    int r = epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
    say("MOD unregistered: %d %s", r, en(errno));
    errno = 0;
    r = epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL);
    say("DEL unregistered: %d %s", r, en(errno));
    ep_add(ep, p[0], EPOLLIN, 1);
    errno = 0;
    r = epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    say("ADD twice: %d %s", r, en(errno));
    errno = 0;
    r = epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev);
    say("ADD itself: %d %s", r, en(errno));
    errno = 0;
    r = epoll_ctl(ep, EPOLL_CTL_ADD, CLOSED_FD, &ev);
    say("ADD closed fd: %d %s", r, en(errno));
    FILE *f = tmpfile();
    errno = 0;
    r = epoll_ctl(ep, EPOLL_CTL_ADD, fileno(f), &ev);
    say("ADD regular file: %d %s", r, en(errno));
    fclose(f);
    errno = 0;
    r = epoll_ctl(CLOSED_FD, EPOLL_CTL_ADD, p[0], &ev);
    say("ctl on closed epfd: %d %s", r, en(errno));
    errno = 0;
    r = epoll_ctl(p[1], EPOLL_CTL_ADD, p[0], &ev);
    say("ctl on a pipe as epfd: %d %s", r, en(errno));
    r = epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL);
    say("DEL: %d", r);
    close2(p);
    close(ep);
}

static void c_wait_errors(void)
{
    int ep = ep_new(), p[2];
    make_pipe(p);
    struct epoll_event ev[2];
    errno = 0;
    int n = epoll_wait(CLOSED_FD, ev, 2, 0);
    say("epoll_wait closed fd: %d %s", n, en(errno));
    errno = 0;
    n = epoll_wait(CLOSED_FD, ev, 2, -1);
    say("epoll_wait closed fd, infinite: %d %s", n, en(errno));
    errno = 0;
    n = epoll_wait(p[0], ev, 2, -1);
    say("epoll_wait on a pipe: %d %s", n, en(errno));
    errno = 0;
    n = epoll_wait(ep, ev, 0, -1);
    say("maxevents 0: %d %s", n, en(errno));
    volatile int minus_one = -1;
    errno = 0;
    n = epoll_wait(ep, ev, minus_one, -1);
    say("maxevents -1: %d %s", n, en(errno));
    ep_add(ep, p[0], EPOLLIN, 1);
    write(p[1], "x", 1);
    errno = 0;
    n = epoll_wait(ep, bad_ptr, 2, -1);
    say("bad events pointer with an event ready: %d %s", n, en(errno));
    close2(p);
    close(ep);
}

static void c_maxevents(void)
{
    int ep = ep_new(), p[3][2];
    for (int i = 0; i < 3; i++) {
        make_pipe(p[i]);
        ep_add(ep, p[i][0], EPOLLIN, (uint64_t)i);
        write(p[i][1], "x", 1);
    }
    struct epoll_event ev[3];
    int n1 = epoll_wait(ep, ev, 2, -1);
    int n2 = epoll_wait(ep, ev, 2, -1);
    int n3 = epoll_wait(ep, ev, 3, -1);
    say("3 ready, maxevents 2, 2, 3: %d %d %d", n1, n2, n3);
    for (int i = 0; i < 3; i++)
        close2(p[i]);
    close(ep);
}

/* Three threads wait on one epoll instance; each keeps reading until it got
 * one byte of the three written. */
#define NWAITERS 3
struct mw {
    int ep, fd;
    int got, wakes;
};

static void *mw_fn(void *arg)
{
    struct mw *m = arg;
    while (!m->got) {
        struct epoll_event ev;
        int n = epoll_wait(m->ep, &ev, 1, -1);
        if (n < 0)
            die("epoll_wait", errno);
        m->wakes++;
        char c;
        if (read(m->fd, &c, 1) == 1)
            m->got = 1;
        else if (errno != EAGAIN)
            die("read", errno);
    }
    return NULL;
}

static void c_multi_waiters(void)
{
    int ep = ep_new(), p[2];
    if (pipe2(p, O_NONBLOCK) < 0)
        die("pipe2", errno);
    ep_add(ep, p[0], EPOLLIN, 1);
    struct mw m[NWAITERS];
    pthread_t t[NWAITERS];
    for (int i = 0; i < NWAITERS; i++) {
        m[i] = (struct mw){.ep = ep, .fd = p[0]};
        t[i] = spawn(mw_fn, &m[i]);
    }
    for (int i = 0; i < NWAITERS; i++) {
        msleep(30);
        write(p[1], "x", 1);
    }
    int got = 0;
    for (int i = 0; i < NWAITERS; i++) {
        join(t[i]);
        got += m[i].got;
    }
    say("%d threads waiting on one epoll fd, 3 bytes written: %d got one",
        NWAITERS, got);
    close2(p);
    close(ep);
}

#define NCONC 10
static void *conc_fn(void *arg)
{
    int *res = arg;
    int ep = ep_new(), p[2];
    make_pipe(p);
    ep_add(ep, p[0], EPOLLIN, 1);
    struct epoll_event ev;
    double t0 = now_ms();
    int n = epoll_wait(ep, &ev, 1, 100);
    *res = n == 0 && now_ms() - t0 >= 100;
    close2(p);
    close(ep);
    return NULL;
}

static void c_concurrent_timeouts(void)
{
    int res[NCONC];
    pthread_t t[NCONC];
    double t0 = now_ms();
    for (int i = 0; i < NCONC; i++)
        t[i] = spawn(conc_fn, &res[i]);
    int ok = 0;
    for (int i = 0; i < NCONC; i++) {
        join(t[i]);
        ok += res[i];
    }
    double el = now_ms() - t0;
    say("%d threads epoll_wait(100) on their own sets: %d timed out "
        "correctly, %s", NCONC, ok,
        el < 100.0 * NCONC * 0.8 ? "concurrently" : "SERIALISED");
}

struct adder {
    int ep, fd;
};

static void *adder_fn(void *arg)
{
    struct adder *a = arg;
    msleep(50);
    ep_add(a->ep, a->fd, EPOLLIN, 77);
    return NULL;
}

static void c_ctl_add_wakes(void)
{
    int ep = ep_new(), p[2];
    make_pipe(p);
    write(p[1], "x", 1);
    struct adder a = {ep, p[0]};
    pthread_t t = spawn(adder_fn, &a);
    wait1("epoll_wait(-1) on an empty set, a ready fd added by another thread",
          ep, -1);
    join(t);
    close2(p);
    close(ep);
}

static void c_nested(void)
{
    int outer = ep_new(), inner = ep_new(), p[2];
    make_pipe(p);
    ep_add(inner, p[0], EPOLLIN, 1);
    ep_add(outer, inner, EPOLLIN, 2);
    wait1("outer, nothing ready", outer, 0);
    struct later l;
    pthread_t t = later(&l, p[1], 50, LATER_WRITE);
    wait1("outer epoll_wait(-1), pipe in inner set written", outer, -1);
    wait1("inner", inner, 0);
    join(t);
    close2(p);
    close(inner);
    close(outer);
}

static void *efd_writer(void *arg)
{
    int fd = *(int *)arg;
    msleep(50);
    uint64_t v = 5;
    if (write(fd, &v, sizeof v) != sizeof v)
        die("eventfd write", errno);
    return NULL;
}

static void c_eventfd(void)
{
    int ep = ep_new(), fd = eventfd(0, EFD_NONBLOCK);
    ep_add(ep, fd, EPOLLIN | EPOLLET, 3);
    pthread_t t = spawn(efd_writer, &fd);
    wait1("eventfd (ET), written by another thread", ep, -1);
    uint64_t v = 0;
    ssize_t r = read(fd, &v, sizeof v);
    say("read: %zd value %llu", r, (unsigned long long)v);
    join(t);
    close(fd);
    close(ep);
}

static void c_writable(void)
{
    int ep = ep_new(), sv[2];
    make_socketpair(sv);
    ep_add(ep, sv[0], EPOLLIN | EPOLLOUT, 4);
    wait1("socketpair, IN|OUT asked", ep, -1);
    close2(sv);
    close(ep);
}

static const struct tcase cases[] = {
    {"zero_empty", c_zero_empty},
    {"timeout", c_timeout},
    {"pwait2", c_pwait2},
    {"ready", c_ready},
    {"infinite_wake", c_infinite_wake},
    {"finite_wake", c_finite_wake},
    {"hup", c_hup},
    {"rdhup", c_rdhup},
    {"edge_triggered", c_edge_triggered},
    {"oneshot", c_oneshot},
    {"ctl_errors", c_ctl_errors},
    {"wait_errors", c_wait_errors},
    {"maxevents", c_maxevents},
    {"multi_waiters", c_multi_waiters},
    {"concurrent_timeouts", c_concurrent_timeouts},
    {"ctl_add_wakes", c_ctl_add_wakes},
    {"nested", c_nested},
    {"eventfd", c_eventfd},
    {"writable", c_writable},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return run_cases(cases, argc, argv, "epoll_user");
}
