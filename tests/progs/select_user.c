/* select_user: threads waiting in select/pselect on pipes, socketpairs and
 * sockets, with timeouts of 0, finite and infinite.
 *
 *   select_user [--list | CASE...]
 *
 * Each case runs on the main thread, then on a thread of its own, and
 * prints only deterministic facts (no times, no descriptor numbers).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static const char *tvs(const struct timeval *tv)
{
    static char b[4][64];
    static int k;
    char *p = b[k++ & 3];
    snprintf(p, 64, "%ld.%06ld", (long)tv->tv_sec, (long)tv->tv_usec);
    return p;
}

/* select for reading on one descriptor */
static void sel_r(const char *label, int fd, struct timeval *tv)
{
    fd_set r;
    FD_ZERO(&r);
    FD_SET(fd, &r);
    errno = 0;
    int n = select(fd + 1, &r, NULL, NULL, tv);
    int e = errno;
    if (n < 0)
        say("%s: -1 %s", label, en(e));
    else
        say("%s: %d, readable %s", label, n, FD_ISSET(fd, &r) ? "yes" : "no");
}

static void c_zero_empty(void)
{
    int p[2];
    make_pipe(p);
    struct timeval tv = {0, 0};
    sel_r("select(0) empty pipe", p[0], &tv);
    close2(p);
}

static void c_zero_ready(void)
{
    int p[2];
    make_pipe(p);
    write(p[1], "a", 1);
    struct timeval tv = {0, 0};
    sel_r("select(0) pipe with data", p[0], &tv);
    close2(p);
}

static void c_timeout(void)
{
    int p[2];
    make_pipe(p);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timeval tv = {0, 100000};
    double t0 = now_ms();
    int n = select(p[0] + 1, &r, NULL, NULL, &tv);
    say("select(100ms) empty pipe: %d, %s, set %s, timeval after %s", n,
        timing(t0, 100), FD_ISSET(p[0], &r) ? "kept" : "cleared", tvs(&tv));
    close2(p);
}

static void c_pselect_timeout(void)
{
    int p[2];
    make_pipe(p);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timespec ts = {0, 100 * 1000000L};
    double t0 = now_ms();
    int n = pselect(p[0] + 1, &r, NULL, NULL, &ts, NULL);
    say("pselect(100ms) empty pipe: %d, %s, timespec after %ld.%09ld", n,
        timing(t0, 100), (long)ts.tv_sec, ts.tv_nsec);
    sigset_t none;
    sigemptyset(&none);
    FD_SET(p[0], &r);
    ts.tv_nsec = 50 * 1000000L;
    t0 = now_ms();
    n = pselect(p[0] + 1, &r, NULL, NULL, &ts, &none);
    say("pselect(50ms, empty sigmask): %d, %s", n, timing(t0, 50));
    close2(p);
}

static void c_infinite_wake(void)
{
    int p[2];
    make_pipe(p);
    struct later l;
    pthread_t t = later(&l, p[1], 50, LATER_WRITE);
    sel_r("select(NULL), written by another thread", p[0], NULL);
    join(t);
    close2(p);
}

static void c_pselect_wake(void)
{
    int p[2];
    make_pipe(p);
    struct later l;
    pthread_t t = later(&l, p[1], 50, LATER_WRITE);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    int n = pselect(p[0] + 1, &r, NULL, NULL, NULL, NULL);
    say("pselect(NULL), written by another thread: %d, readable %s", n,
        FD_ISSET(p[0], &r) ? "yes" : "no");
    join(t);
    close2(p);
}

static void c_finite_wake(void)
{
    int p[2];
    make_pipe(p);
    struct later l;
    double t0 = now_ms(); /* before the writer starts its 50 ms */
    pthread_t t = later(&l, p[1], 50, LATER_WRITE);
    struct timeval tv = {10, 0};
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    int n = select(p[0] + 1, &r, NULL, NULL, &tv);
    double el = now_ms() - t0;
    long left_ms = tv.tv_sec * 1000 + tv.tv_usec / 1000;
    say("select(10s), written after 50ms: %d, %s, timeval %s", n,
        el >= 50 && el < 5000 ? "woke on data" : "WRONG TIME",
        left_ms > 5000 && left_ms < 10000 ? "holds the time left"
                                          : "NOT UPDATED");
    join(t);
    close2(p);
}

static void c_ebadf(void)
{
    struct timeval tv = {0, 0};
    sel_r("closed fd in readfds, timeout 0", CLOSED_FD, &tv);
    sel_r("closed fd in readfds, no timeout", CLOSED_FD, NULL);
    fd_set w;
    FD_ZERO(&w);
    FD_SET(CLOSED_FD, &w);
    errno = 0;
    int n = select(CLOSED_FD + 1, NULL, &w, NULL, NULL);
    say("closed fd in writefds: %d %s", n, en(errno));
    FD_ZERO(&w);
    FD_SET(CLOSED_FD, &w);
    errno = 0;
    n = select(CLOSED_FD + 1, NULL, NULL, &w, NULL);
    say("closed fd in exceptfds: %d %s", n, en(errno));
    /* a valid ready descriptor does not hide a closed one */
    int p[2];
    make_pipe(p);
    write(p[1], "a", 1);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    FD_SET(CLOSED_FD, &r);
    errno = 0;
    n = select(CLOSED_FD + 1, &r, NULL, NULL, NULL);
    say("ready pipe + closed fd: %d %s", n, en(errno));
    close2(p);
}

static void c_einval(void)
{
    fd_set r;
    FD_ZERO(&r);
    struct timeval tv = {0, 0};
    errno = 0;
    int n = select(-1, &r, NULL, NULL, &tv);
    say("nfds -1: %d %s", n, en(errno));
    struct timeval neg = {-1, 0};
    errno = 0;
    n = select(0, NULL, NULL, NULL, &neg);
    say("tv_sec -1: %d %s", n, en(errno));
    struct timeval negu = {0, -1};
    errno = 0;
    n = select(0, NULL, NULL, NULL, &negu);
    say("tv_usec -1: %d %s", n, en(errno));
    struct timespec badns = {0, 1000000000L};
    errno = 0;
    n = pselect(0, NULL, NULL, NULL, &badns, NULL);
    say("pselect tv_nsec 1e9: %d %s", n, en(errno));
    int p[2];
    make_pipe(p);
    errno = 0;
    n = select(p[0] + 1, bad_ptr, NULL, NULL, &tv);
    say("bad readfds pointer: %d %s", n, en(errno));
    close2(p);
}

static void c_nfds0_sleep(void)
{
    struct timeval tv = {0, 80000};
    double t0 = now_ms();
    int n = select(0, NULL, NULL, NULL, &tv);
    say("select(0, NULL, NULL, NULL, 80ms): %d, %s, timeval after %s", n,
        timing(t0, 80), tvs(&tv));
}

static void c_writable(void)
{
    int sv[2];
    make_socketpair(sv);
    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(sv[0], &r);
    FD_SET(sv[0], &w);
    int n = select(sv[0] + 1, &r, &w, NULL, NULL);
    say("socketpair read+write: %d, readable %s, writable %s", n,
        FD_ISSET(sv[0], &r) ? "yes" : "no", FD_ISSET(sv[0], &w) ? "yes" : "no");
    write(sv[1], "q", 1);
    FD_SET(sv[0], &r);
    FD_SET(sv[0], &w);
    n = select(sv[0] + 1, &r, &w, NULL, NULL);
    say("with data: %d, readable %s, writable %s", n,
        FD_ISSET(sv[0], &r) ? "yes" : "no", FD_ISSET(sv[0], &w) ? "yes" : "no");
    close2(sv);
}

static void c_eof(void)
{
    int sv[2];
    make_socketpair(sv);
    struct later l;
    pthread_t t = later(&l, sv[1], 50, LATER_CLOSE);
    sel_r("select(NULL), peer closed by another thread", sv[0], NULL);
    char c;
    say("read after: %zd", read(sv[0], &c, 1));
    join(t);
    close(sv[0]);
}

static void c_write_full(void)
{
    int p[2];
    if (pipe2(p, O_NONBLOCK) < 0)
        die("pipe2", errno);
    char buf[4096] = {0};
    while (write(p[1], buf, sizeof buf) > 0)
        ;
    fd_set w;
    FD_ZERO(&w);
    FD_SET(p[1], &w);
    struct timeval tv = {0, 50000};
    double t0 = now_ms();
    int n = select(p[1] + 1, NULL, &w, NULL, &tv);
    say("full pipe, writefds, 50ms: %d, %s", n, timing(t0, 50));
    struct later l;
    pthread_t t = later(&l, p[0], 50, LATER_DRAIN);
    FD_SET(p[1], &w);
    n = select(p[1] + 1, NULL, &w, NULL, NULL);
    say("full pipe, drained by another thread: %d, writable %s", n,
        FD_ISSET(p[1], &w) ? "yes" : "no");
    join(t);
    close2(p);
}

static void tcp_pair(int *a, int *b)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 1) < 0)
        die("bind/listen", errno);
    getsockname(lfd, (struct sockaddr *)&sa, &sl);
    *a = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(*a, (struct sockaddr *)&sa, sizeof sa) < 0)
        die("connect", errno);
    *b = accept(lfd, NULL, NULL);
    if (*b < 0)
        die("accept", errno);
    close(lfd);
}

static void *oob_sender(void *arg)
{
    int fd = *(int *)arg;
    msleep(50);
    if (send(fd, "!", 1, MSG_OOB) != 1)
        die("send MSG_OOB", errno);
    return NULL;
}

static void c_oob(void)
{
    int a, b;
    tcp_pair(&a, &b);
    fd_set x;
    FD_ZERO(&x);
    FD_SET(b, &x);
    struct timeval tv = {0, 0};
    int n = select(b + 1, NULL, NULL, &x, &tv);
    say("TCP, no urgent data, exceptfds: %d", n);
    pthread_t t = spawn(oob_sender, &a);
    FD_SET(b, &x);
    n = select(b + 1, NULL, NULL, &x, NULL);
    say("TCP, urgent data sent by another thread, exceptfds: %d, set %s", n,
        FD_ISSET(b, &x) ? "yes" : "no");
    char c = 0;
    ssize_t r = recv(b, &c, 1, MSG_OOB);
    say("recv MSG_OOB: %zd '%c'", r, c);
    join(t);
    close(a);
    close(b);
}

#define NWAITERS 5
struct waiter {
    int fd;
    int ret;
    int set;
};

static void *waiter_fn(void *arg)
{
    struct waiter *w = arg;
    fd_set r;
    FD_ZERO(&r);
    FD_SET(w->fd, &r);
    w->ret = select(w->fd + 1, &r, NULL, NULL, NULL);
    w->set = FD_ISSET(w->fd, &r);
    return NULL;
}

static void c_multi_waiters(void)
{
    int p[2];
    make_pipe(p);
    struct waiter w[NWAITERS];
    pthread_t t[NWAITERS];
    for (int i = 0; i < NWAITERS; i++) {
        w[i].fd = p[0];
        t[i] = spawn(waiter_fn, &w[i]);
    }
    msleep(50);
    write(p[1], "x", 1);
    int ok = 0;
    for (int i = 0; i < NWAITERS; i++) {
        join(t[i]);
        if (w[i].ret == 1 && w[i].set)
            ok++;
    }
    say("%d threads selecting on one pipe: %d woke readable", NWAITERS, ok);
    close2(p);
}

#define NCONC 10
static void *conc_fn(void *arg)
{
    int *res = arg;
    int p[2];
    make_pipe(p);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timeval tv = {0, 100000};
    double t0 = now_ms();
    int n = select(p[0] + 1, &r, NULL, NULL, &tv);
    *res = n == 0 && now_ms() - t0 >= 100;
    close2(p);
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
    say("%d threads select(100ms) at once: %d timed out correctly, %s", NCONC,
        ok, el < 100.0 * NCONC * 0.8 ? "concurrently" : "SERIALISED");
}

static void *connector(void *arg)
{
    struct sockaddr_in *sa = arg;
    msleep(50);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)sa, sizeof *sa) < 0)
        die("connect", errno);
    char c;
    read(fd, &c, 1);
    close(fd);
    return NULL;
}

static void c_listen_ready(void)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 8) < 0)
        die("bind/listen", errno);
    getsockname(lfd, (struct sockaddr *)&sa, &sl);
    pthread_t t = spawn(connector, &sa);
    sel_r("listening socket, connected by another thread", lfd, NULL);
    int cfd = accept(lfd, NULL, NULL);
    say("accept: %s", cfd >= 0 ? "ok" : en(errno));
    close(cfd);
    join(t);
    close(lfd);
}

static void c_high_fd(void)
{
    int p[2];
    make_pipe(p);
    int hi = fcntl(p[0], F_DUPFD, 1000);
    if (hi < 0 || hi >= FD_SETSIZE)
        die("F_DUPFD 1000", errno);
    struct later l;
    pthread_t t = later(&l, p[1], 50, LATER_WRITE);
    sel_r("descriptor above 1000, written by another thread", hi, NULL);
    join(t);
    close(hi);
    close2(p);
}

static void c_mixed(void)
{
    int a[2], b[2], sv[2];
    make_pipe(a);
    make_pipe(b);
    make_socketpair(sv);
    write(b[1], "b", 1);
    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(a[0], &r);
    FD_SET(b[0], &r);
    FD_SET(sv[0], &w);
    int max = a[0];
    if (b[0] > max)
        max = b[0];
    if (sv[0] > max)
        max = sv[0];
    struct timeval tv = {1, 0};
    int n = select(max + 1, &r, &w, NULL, &tv);
    say("empty pipe + ready pipe (read), socket (write): %d, [%s %s %s]", n,
        FD_ISSET(a[0], &r) ? "yes" : "no", FD_ISSET(b[0], &r) ? "yes" : "no",
        FD_ISSET(sv[0], &w) ? "yes" : "no");
    close2(a);
    close2(b);
    close2(sv);
}

static const struct tcase cases[] = {
    {"zero_empty", c_zero_empty},
    {"zero_ready", c_zero_ready},
    {"timeout", c_timeout},
    {"pselect_timeout", c_pselect_timeout},
    {"infinite_wake", c_infinite_wake},
    {"pselect_wake", c_pselect_wake},
    {"finite_wake", c_finite_wake},
    {"ebadf", c_ebadf},
    {"einval", c_einval},
    {"nfds0_sleep", c_nfds0_sleep},
    {"writable", c_writable},
    {"eof", c_eof},
    {"write_full", c_write_full},
    {"oob", c_oob},
    {"multi_waiters", c_multi_waiters},
    {"concurrent_timeouts", c_concurrent_timeouts},
    {"listen_ready", c_listen_ready},
    {"high_fd", c_high_fd},
    {"mixed", c_mixed},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return run_cases(cases, argc, argv, "select_user");
}
