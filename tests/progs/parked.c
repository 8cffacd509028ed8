/* parked: N threads for each kind of blocking call, all blocked at once;
 * then released one kind after another and joined.
 *
 *   parked N [--pause MS]
 *
 * Kinds: read on a pipe, recv on a socketpair, accept, poll, select,
 * epoll_wait, nanosleep, clock_nanosleep(ABSTIME), recvfrom on UDP,
 * write to a full pipe, pthread_join of a blocked thread, readv, recvmsg.
 * Prints "parked K" when every thread has been created (and, with
 * --pause, waits MS ms so a test can count the process's kernel threads),
 * then "released KIND: N" per kind and "joined K".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum { K_READ, K_RECV, K_ACCEPT, K_POLL, K_SELECT, K_EPOLL, K_NANOSLEEP,
       K_CLOCK_ABS, K_RECVFROM, K_WRITE_FULL, K_JOIN, K_READV, K_RECVMSG,
       NKINDS };
static const char *names[NKINDS] = {
    "read", "recv", "accept", "poll", "select", "epoll_wait", "nanosleep",
    "clock_nanosleep", "recvfrom", "write", "pthread_join", "readv",
    "recvmsg",
};

static long n;
static int pipe_r[2], sp[2], lfd, ep, udp, full[2], gate[2], vpipe[2], msp[2];
static struct sockaddr_in laddr, uaddr;
static struct timespec wake_at;   /* for the sleepers, CLOCK_MONOTONIC */
static atomic_long done[NKINDS];
static pthread_t *gated;          /* threads the joiners wait for */

static void die(const char *what)
{
    fprintf(stderr, "parked: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void *worker(void *arg)
{
    intptr_t v = (intptr_t)arg;
    int kind = (int)(v % NKINDS);
    long idx = (long)(v / NKINDS);
    char c;
    int ok = 0;
    switch (kind) {
    case K_READ:
        ok = read(pipe_r[0], &c, 1) == 1;
        break;
    case K_RECV:
        ok = recv(sp[0], &c, 1, 0) == 1;
        break;
    case K_ACCEPT: {
        int fd = accept(lfd, NULL, NULL);
        ok = fd >= 0;
        close(fd);
        break;
    }
    case K_POLL: {
        struct pollfd p = {gate[0], POLLIN, 0};
        ok = poll(&p, 1, -1) == 1;
        break;
    }
    case K_SELECT: {
        fd_set r;
        FD_ZERO(&r);
        FD_SET(gate[0], &r);
        ok = select(gate[0] + 1, &r, NULL, NULL, NULL) == 1;
        break;
    }
    case K_EPOLL: {
        struct epoll_event ev;
        ok = epoll_wait(ep, &ev, 1, -1) == 1;
        break;
    }
    case K_NANOSLEEP: {
        struct timespec now, rel;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long ns = (wake_at.tv_sec - now.tv_sec) * 1000000000LL +
                       (wake_at.tv_nsec - now.tv_nsec);
        if (ns < 0)
            ns = 0;
        rel.tv_sec = ns / 1000000000LL;
        rel.tv_nsec = ns % 1000000000LL;
        ok = nanosleep(&rel, NULL) == 0;
        break;
    }
    case K_CLOCK_ABS:
        ok = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake_at, NULL) == 0;
        break;
    case K_RECVFROM:
        ok = recvfrom(udp, &c, 1, 0, NULL, NULL) == 1;
        break;
    case K_WRITE_FULL:
        ok = write(full[1], "w", 1) == 1;
        break;
    case K_JOIN:
        ok = pthread_join(gated[idx], NULL) == 0;
        break;
    case K_READV: {
        struct iovec iov = {&c, 1};
        ok = readv(vpipe[0], &iov, 1) == 1;
        break;
    }
    case K_RECVMSG: {
        struct iovec iov = {&c, 1};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
        ok = recvmsg(msp[0], &m, 0) == 1;
        break;
    }
    }
    if (ok)
        atomic_fetch_add(&done[kind], 1);
    return NULL;
}

static void *gated_fn(void *arg)
{
    char c;
    /* released with the readers of the pipe below */
    read(pipe_r[0], &c, 1);
    return NULL;
}

static void write_n(int fd, long k)
{
    char buf[256];
    memset(buf, 'x', sizeof buf);
    while (k > 0) {
        ssize_t w = write(fd, buf, k > 256 ? 256 : (size_t)k);
        if (w < 0)
            die("write");
        k -= w;
    }
}

static void wait_kind(int kind, long want)
{
    for (int i = 0; i < 20000 && atomic_load(&done[kind]) < want; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    printf("released %s: %ld\n", names[kind], atomic_load(&done[kind]));
}

int main(int argc, char **argv)
{
    long pause_ms = 0;
    char *end;
    if (argc < 2)
        goto usage;
    n = strtol(argv[1], &end, 10);
    if (*end || n < 1 || n > 2000)
        goto usage;
    if (argc == 4 && !strcmp(argv[2], "--pause")) {
        pause_ms = strtol(argv[3], &end, 10);
        if (*end || pause_ms < 0)
            goto usage;
    } else if (argc != 2) {
        goto usage;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);

    if (pipe(pipe_r) || pipe(gate) || pipe(full) || pipe(vpipe) ||
        socketpair(AF_UNIX, SOCK_STREAM, 0, sp) ||
        socketpair(AF_UNIX, SOCK_STREAM, 0, msp))
        die("pipe");
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    laddr.sin_family = AF_INET;
    laddr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof laddr;
    if (bind(lfd, (struct sockaddr *)&laddr, sl) || listen(lfd, 4096) ||
        getsockname(lfd, (struct sockaddr *)&laddr, &sl))
        die("listen");
    udp = socket(AF_INET, SOCK_DGRAM, 0);
    uaddr = laddr;
    uaddr.sin_port = 0;
    sl = sizeof uaddr;
    if (bind(udp, (struct sockaddr *)&uaddr, sl) ||
        getsockname(udp, (struct sockaddr *)&uaddr, &sl))
        die("udp");
    ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 1};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, gate[0], &ev))
        die("epoll");
    /* fill the pipe the writers will block on */
    int fl = fcntl(full[1], F_GETFL);
    fcntl(full[1], F_SETFL, fl | O_NONBLOCK);
    long filled = 0;
    char buf[4096] = {0};
    ssize_t w;
    while ((w = write(full[1], buf, sizeof buf)) > 0)
        filled += w;
    fcntl(full[1], F_SETFL, fl);

    clock_gettime(CLOCK_MONOTONIC, &wake_at);
    wake_at.tv_sec += 2 + pause_ms / 1000;   /* the sleepers wake on their own */

    gated = calloc((size_t)n, sizeof *gated);
    for (long i = 0; i < n; i++)
        if (pthread_create(&gated[i], NULL, gated_fn, NULL))
            die("pthread_create");
    pthread_t *t = calloc((size_t)(n * NKINDS), sizeof *t);
    for (long i = 0; i < n * NKINDS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i))
            die("pthread_create");
    printf("parked %ld\n", n * NKINDS + n);
    if (pause_ms) {
        struct timespec ts = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) && errno == EINTR)
            ;
    }

    write_n(pipe_r[1], 2 * n);            /* readers and the gated threads */
    wait_kind(K_READ, n);
    write_n(sp[1], n);
    wait_kind(K_RECV, n);
    for (long i = 0; i < n; i++) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&laddr, sizeof laddr))
            die("connect");
        close(c);
    }
    wait_kind(K_ACCEPT, n);
    write_n(gate[1], 1);                  /* poll, select, epoll: level */
    wait_kind(K_POLL, n);
    wait_kind(K_SELECT, n);
    wait_kind(K_EPOLL, n);
    wait_kind(K_NANOSLEEP, n);
    wait_kind(K_CLOCK_ABS, n);
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    for (long i = 0; i < n; i++)
        sendto(u, "u", 1, 0, (struct sockaddr *)&uaddr, sizeof uaddr);
    close(u);
    wait_kind(K_RECVFROM, n);
    for (long drained = 0; drained < filled + n;) {   /* let the writers in */
        ssize_t r = read(full[0], buf, sizeof buf);
        if (r <= 0)
            die("drain");
        drained += r;
    }
    wait_kind(K_WRITE_FULL, n);
    wait_kind(K_JOIN, n);
    write_n(vpipe[1], n);
    wait_kind(K_READV, n);
    write_n(msp[1], n);
    wait_kind(K_RECVMSG, n);
    for (long i = 0; i < n * NKINDS; i++)
        pthread_join(t[i], NULL);
    printf("joined %ld\n", n * NKINDS + n);
    return 0;
usage:
    fprintf(stderr, "usage: parked N [--pause MS]   (1 <= N <= 2000)\n");
    return 2;
}
