/* poll_user: threads waiting in poll/ppoll on pipes, socketpairs, eventfds
 * and sockets, with timeouts of 0, finite and infinite.
 *
 *   poll_user [--list | CASE...]
 *
 * Each case runs on the main thread, then on a thread of its own, and
 * prints only deterministic facts (no times, no descriptor numbers).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static const char *rev(int r)
{
    static char buf[8][128];
    static int k;
    char *b = buf[k++ & 7];
    b[0] = 0;
    static const struct { int bit; const char *name; } names[] = {
        {POLLIN, "POLLIN"}, {POLLPRI, "POLLPRI"}, {POLLOUT, "POLLOUT"},
        {POLLRDHUP, "POLLRDHUP"}, {POLLERR, "POLLERR"}, {POLLHUP, "POLLHUP"},
        {POLLNVAL, "POLLNVAL"}, {POLLRDNORM, "POLLRDNORM"},
        {POLLWRNORM, "POLLWRNORM"},
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

/* poll one descriptor and report "ret errno revents" */
static void poll1(const char *label, int fd, short events, int tmo)
{
    struct pollfd p = {fd, events, 0x5a5a};
    errno = 0;
    int r = poll(&p, 1, tmo);
    int e = errno;
    if (r < 0)
        say("%s: -1 %s", label, en(e));
    else
        say("%s: %d %s", label, r, rev(p.revents));
}

static void c_zero_empty(void)
{
    int p[2];
    make_pipe(p);
    poll1("poll(0) empty pipe", p[0], POLLIN, 0);
    poll1("poll(0) pipe write end", p[1], POLLOUT, 0);
    close2(p);
}

static void c_zero_ready(void)
{
    int p[2];
    make_pipe(p);
    write(p[1], "ab", 2);
    poll1("poll(0) pipe with data", p[0], POLLIN, 0);
    poll1("poll(0) same, POLLIN|POLLOUT asked", p[0], POLLIN | POLLOUT, 0);
    close2(p);
}

static void c_timeout(void)
{
    int p[2];
    make_pipe(p);
    struct pollfd fds = {p[0], POLLIN, 0};
    double t0 = now_ms();
    int r = poll(&fds, 1, 100);
    say("poll(100) empty pipe: %d %s, %s", r, rev(fds.revents), timing(t0, 100));
    close2(p);
}

static void c_ppoll_timeout(void)
{
    int p[2];
    make_pipe(p);
    struct pollfd fds = {p[0], POLLIN, 0};
    struct timespec ts = {0, 120 * 1000000L};
    double t0 = now_ms();
    int r = ppoll(&fds, 1, &ts, NULL);
    say("ppoll(120ms) empty pipe: %d %s, %s, timespec after: %ld.%09ld", r,
        rev(fds.revents), timing(t0, 120), (long)ts.tv_sec, ts.tv_nsec);
    sigset_t none;
    sigemptyset(&none);
    ts.tv_nsec = 50 * 1000000L;
    t0 = now_ms();
    r = ppoll(&fds, 1, &ts, &none);
    say("ppoll(50ms, empty sigmask): %d, %s", r, timing(t0, 50));
    ts.tv_sec = 0;
    ts.tv_nsec = 0;
    r = ppoll(&fds, 1, &ts, NULL);
    say("ppoll(0): %d", r);
    close2(p);
}

static void c_infinite_wake(void)
{
    int p[2];
    make_pipe(p);
    struct later l;
    pthread_t t = later(&l, p[1], 50, LATER_WRITE);
    poll1("poll(-1), written by another thread", p[0], POLLIN, -1);
    join(t);
    close2(p);
}

static void c_ppoll_null_wake(void)
{
    int p[2];
    make_pipe(p);
    struct later l;
    pthread_t t = later(&l, p[1], 50, LATER_WRITE);
    struct pollfd fds = {p[0], POLLIN, 0};
    int r = ppoll(&fds, 1, NULL, NULL);
    say("ppoll(NULL), written by another thread: %d %s", r, rev(fds.revents));
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
    struct pollfd fds = {p[0], POLLIN, 0};
    int r = poll(&fds, 1, 10000);
    double el = now_ms() - t0;
    say("poll(10000), written after 50ms: %d %s, %s", r, rev(fds.revents),
        el >= 50 && el < 5000 ? "woke on data" : "WRONG TIME");
    join(t);
    close2(p);
}

static void c_hup_pipe(void)
{
    int p[2];
    make_pipe(p);
    close(p[1]);
    poll1("pipe, writer closed", p[0], POLLIN, 0);
    close(p[0]);
    make_pipe(p);
    write(p[1], "z", 1);
    close(p[1]);
    poll1("pipe, data then writer closed", p[0], POLLIN, -1);
    close(p[0]);
    make_pipe(p);
    close(p[0]);
    poll1("pipe write end, reader closed", p[1], POLLOUT, 0);
    close(p[1]);
}

static void c_hup_socketpair(void)
{
    int sv[2];
    make_socketpair(sv);
    close(sv[1]);
    poll1("socketpair, peer closed", sv[0], POLLIN, 0);
    poll1("socketpair, peer closed, POLLRDHUP asked", sv[0],
          POLLIN | POLLOUT | POLLRDHUP, -1);
    close(sv[0]);
}

static void c_hup_wake(void)
{
    int sv[2];
    make_socketpair(sv);
    struct later l;
    pthread_t t = later(&l, sv[1], 50, LATER_CLOSE);
    poll1("poll(-1), peer closed by another thread", sv[0], POLLIN, -1);
    join(t);
    close(sv[0]);
}

static void c_rdhup(void)
{
    int sv[2];
    make_socketpair(sv);
    shutdown(sv[1], SHUT_WR);
    poll1("socketpair, peer shut down writing", sv[0], POLLIN | POLLRDHUP, 0);
    poll1("and the peer's side", sv[1], POLLIN | POLLOUT | POLLRDHUP, 0);
    close2(sv);
}

static void c_nval(void)
{
    poll1("closed fd", CLOSED_FD, POLLIN, 0);
    poll1("closed fd, infinite timeout", CLOSED_FD, POLLIN, -1);
    int p[2];
    make_pipe(p);
    struct pollfd fds[2] = {{p[0], POLLIN, 0}, {CLOSED_FD, POLLIN, 0}};
    int r = poll(fds, 2, 100);
    say("empty pipe + closed fd: %d %s %s", r, rev(fds[0].revents),
        rev(fds[1].revents));
    close2(p);
}

static void c_negative_fd(void)
{
    struct pollfd fds[2] = {{-1, POLLIN, 0x77}, {-5, POLLOUT, 0}};
    double t0 = now_ms();
    int r = poll(fds, 2, 60);
    say("negative fds only: %d %s %s, %s", r, rev(fds[0].revents),
        rev(fds[1].revents), timing(t0, 60));
}

static void c_pollout_full(void)
{
    int p[2];
    if (pipe2(p, O_NONBLOCK) < 0)
        die("pipe2", errno);
    char buf[4096] = {0};
    long total = 0;
    for (;;) {
        ssize_t w = write(p[1], buf, sizeof buf);
        if (w < 0)
            break;
        total += w;
    }
    say("filled pipe with %ld bytes", total);
    double t0 = now_ms();
    struct pollfd fds = {p[1], POLLOUT, 0};
    int r = poll(&fds, 1, 50);
    say("poll(50) POLLOUT on full pipe: %d, %s", r, timing(t0, 50));
    struct later l;
    pthread_t t = later(&l, p[0], 50, LATER_DRAIN);
    poll1("poll(-1) POLLOUT, drained by another thread", p[1], POLLOUT, -1);
    join(t);
    close2(p);
}

#define NWAITERS 5
struct waiter {
    int fd;
    int ret;
    short revents;
};

static void *waiter_fn(void *arg)
{
    struct waiter *w = arg;
    struct pollfd p = {w->fd, POLLIN, 0};
    w->ret = poll(&p, 1, -1);
    w->revents = p.revents;
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
        if (w[i].ret == 1 && w[i].revents == POLLIN)
            ok++;
    }
    say("%d threads polling one pipe: %d woke with 1 POLLIN", NWAITERS, ok);
    close2(p);
}

#define NCONC 10
static void *conc_fn(void *arg)
{
    int *res = arg;
    int p[2];
    make_pipe(p);
    struct pollfd fds = {p[0], POLLIN, 0};
    double t0 = now_ms();
    int r = poll(&fds, 1, 100);
    *res = r == 0 && now_ms() - t0 >= 100;
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
    say("%d threads poll(100) at once: %d timed out correctly, %s", NCONC, ok,
        el < 100.0 * NCONC * 0.8 ? "concurrently" : "SERIALISED");
}

static void c_nfds0_sleep(void)
{
    double t0 = now_ms();
    int r = poll(NULL, 0, 80);
    say("poll(NULL, 0, 80): %d, %s", r, timing(t0, 80));
}

static void c_errors(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    struct pollfd p = {0, POLLIN, 0};
    errno = 0;
    int r = poll(&p, (nfds_t)rl.rlim_cur + 1, 0);
    say("nfds > RLIMIT_NOFILE: %d %s", r, en(errno));
    errno = 0;
    r = poll(bad_ptr, 1, 0);
    say("bad pointer: %d %s", r, en(errno));
    errno = 0;
    r = poll(bad_ptr, 1, -1);
    say("bad pointer, infinite: %d %s", r, en(errno));
    struct timespec bad = {0, 1000000000L};
    errno = 0;
    r = ppoll(&p, 1, &bad, NULL);
    say("ppoll tv_nsec=1e9: %d %s", r, en(errno));
    struct timespec neg = {-1, 0};
    errno = 0;
    r = ppoll(&p, 1, &neg, NULL);
    say("ppoll tv_sec=-1: %d %s", r, en(errno));
}

static void c_regular_file(void)
{
    FILE *f = tmpfile();
    if (!f)
        die("tmpfile", errno);
    poll1("regular file, POLLIN|POLLOUT", fileno(f), POLLIN | POLLOUT, -1);
    fclose(f);
    int fd = open("/dev/null", O_RDWR);
    poll1("/dev/null", fd, POLLIN | POLLOUT, -1);
    close(fd);
}

static void *efd_writer(void *arg)
{
    int fd = *(int *)arg;
    msleep(50);
    uint64_t v = 3;
    if (write(fd, &v, sizeof v) != sizeof v)
        die("eventfd write", errno);
    return NULL;
}

static void c_eventfd_wake(void)
{
    int fd = eventfd(0, 0);
    if (fd < 0)
        die("eventfd", errno);
    poll1("eventfd, zero", fd, POLLIN, 0);
    pthread_t t = spawn(efd_writer, &fd);
    poll1("eventfd, poll(-1), written by another thread", fd, POLLIN, -1);
    uint64_t v = 0;
    ssize_t r = read(fd, &v, sizeof v);
    say("eventfd read: %zd value %llu", r, (unsigned long long)v);
    join(t);
    close(fd);
}

static void c_two_fds(void)
{
    int a[2], b[2];
    make_pipe(a);
    make_pipe(b);
    struct later l;
    pthread_t t = later(&l, b[1], 50, LATER_WRITE);
    struct pollfd fds[2] = {{a[0], POLLIN, 0}, {b[0], POLLIN, 0}};
    int r = poll(fds, 2, -1);
    say("two pipes, second written: %d [%s] [%s]", r, rev(fds[0].revents),
        rev(fds[1].revents));
    join(t);
    write(a[1], "y", 1);
    r = poll(fds, 2, 0);
    say("both ready: %d [%s] [%s]", r, rev(fds[0].revents),
        rev(fds[1].revents));
    close2(a);
    close2(b);
}

static void *connector(void *arg)
{
    struct sockaddr_in *sa = arg;
    msleep(50);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)sa, sizeof *sa) < 0)
        die("connect", errno);
    char c;
    read(fd, &c, 1);   /* until the listener side closes */
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
    poll1("listening socket, nobody connecting", lfd, POLLIN, 0);
    pthread_t t = spawn(connector, &sa);
    poll1("listening socket, poll(-1), connected by another thread", lfd,
          POLLIN, -1);
    int cfd = accept(lfd, NULL, NULL);
    say("accept: %s", cfd >= 0 ? "ok" : en(errno));
    poll1("accepted socket, POLLOUT", cfd, POLLIN | POLLOUT, -1);
    close(cfd);
    join(t);
    close(lfd);
}

static const struct tcase cases[] = {
    {"zero_empty", c_zero_empty},
    {"zero_ready", c_zero_ready},
    {"timeout", c_timeout},
    {"ppoll_timeout", c_ppoll_timeout},
    {"infinite_wake", c_infinite_wake},
    {"ppoll_null_wake", c_ppoll_null_wake},
    {"finite_wake", c_finite_wake},
    {"hup_pipe", c_hup_pipe},
    {"hup_socketpair", c_hup_socketpair},
    {"hup_wake", c_hup_wake},
    {"rdhup", c_rdhup},
    {"nval", c_nval},
    {"negative_fd", c_negative_fd},
    {"pollout_full", c_pollout_full},
    {"multi_waiters", c_multi_waiters},
    {"concurrent_timeouts", c_concurrent_timeouts},
    {"nfds0_sleep", c_nfds0_sleep},
    {"errors", c_errors},
    {"regular_file", c_regular_file},
    {"eventfd_wake", c_eventfd_wake},
    {"two_fds", c_two_fds},
    {"listen_ready", c_listen_ready},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return run_cases(cases, argc, argv, "poll_user");
}
