/* errno_parity: return values and errno of socket, pipe and descriptor
 * calls in their error and edge cases, the way a daemon meets them.
 *
 *   errno_parity [--list | CASE...]
 *
 * Each case runs on the main thread, then on a thread of its own.  Prints
 * "label: RET ERRNO-NAME" lines; never descriptor numbers, ports or times
 * (timeouts print "timeout ok").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* Run CALL with errno cleared and print "LABEL: RET" or "LABEL: -1 ERRNO". */
#define R(label, call)                                                     \
    do {                                                                   \
        errno = 0;                                                         \
        long r_ = (long)(call);                                            \
        int e_ = errno;                                                    \
        if (r_ < 0)                                                        \
            say("%s: %ld %s", label, r_, en(e_));                          \
        else                                                               \
            say("%s: %ld", label, r_);                                     \
    } while (0)

static const char *nb(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return en(errno);
    return fl & O_NONBLOCK ? "O_NONBLOCK" : "blocking";
}

static void set_nonblock(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* ---- socket helpers ----------------------------------------------------- */

static socklen_t loop_addr(int family, struct sockaddr_storage *ss, int port)
{
    memset(ss, 0, sizeof *ss);
    if (family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_loopback;
        s6->sin6_port = htons(port);
        return sizeof *s6;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s4->sin_port = htons(port);
    return sizeof *s4;
}

static int port_of(int fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    return ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                    : ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static int listener(int family, int type_flags)
{
    int fd = socket(family, SOCK_STREAM | type_flags, 0);
    struct sockaddr_storage ss;
    socklen_t sl = loop_addr(family, &ss, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 16) < 0)
        die("listener", errno);
    return fd;
}

/* A loopback port with nothing listening: bound once, then closed. */
static int closed_port(int family)
{
    int fd = socket(family, SOCK_STREAM, 0);
    struct sockaddr_storage ss;
    socklen_t sl = loop_addr(family, &ss, 0);
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
        die("bind", errno);
    int port = port_of(fd);
    close(fd);
    return port;
}

static int connect_to(int fd, int family, int port)
{
    struct sockaddr_storage ss;
    socklen_t sl = loop_addr(family, &ss, port);
    return connect(fd, (struct sockaddr *)&ss, sl);
}

/* a connected TCP pair over loopback: *c is the client, *s the server side */
static void tcp_pair(int family, int *c, int *s)
{
    int l = listener(family, 0);
    *c = socket(family, SOCK_STREAM, 0);
    if (connect_to(*c, family, port_of(l)) < 0)
        die("connect", errno);
    *s = accept(l, NULL, NULL);
    if (*s < 0)
        die("accept", errno);
    close(l);
}

static int wait_fd(int fd, short ev, int ms)
{
    struct pollfd p = {fd, ev, 0};
    return poll(&p, 1, ms);
}

/* ---- cases -------------------------------------------------------------- */

static void c_badfd(void)
{
    char buf[8];
    struct iovec iov = {buf, sizeof buf};
    int fds[2] = {CLOSED_FD, -1};
    for (int i = 0; i < 2; i++) {
        int fd = fds[i];
        const char *n = i ? "fd -1" : "closed fd";
        char l[64];
#define L(what) (snprintf(l, sizeof l, "%s %s", what, n), l)
        R(L("read"), read(fd, buf, sizeof buf));
        R(L("write"), write(fd, "x", 1));
        R(L("recv"), recv(fd, buf, sizeof buf, 0));
        R(L("send"), send(fd, "x", 1, 0));
        R(L("readv"), readv(fd, &iov, 1));
        R(L("writev"), writev(fd, &iov, 1));
        R(L("close"), close(fd));
        R(L("fcntl F_GETFL"), fcntl(fd, F_GETFL));
        R(L("fcntl F_SETFL"), fcntl(fd, F_SETFL, O_NONBLOCK));
        R(L("dup"), dup(fd));
        R(L("dup2"), dup2(fd, CLOSED_FD + 1));
        R(L("accept"), accept(fd, NULL, NULL));
        R(L("shutdown"), shutdown(fd, SHUT_RDWR));
        struct sockaddr_in sa = {.sin_family = AF_INET};
        R(L("connect"), connect(fd, (struct sockaddr *)&sa, sizeof sa));
        int v = 0;
        socklen_t vl = sizeof v;
        R(L("getsockopt"), getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &vl));
        R(L("ioctl FIONBIO"), ioctl(fd, FIONBIO, &v));
#undef L
    }
}

static void c_notsock(void)
{
    int p[2];
    make_pipe(p);
    char buf[4];
    R("recv on a pipe", recv(p[0], buf, 4, 0));
    R("send on a pipe", send(p[1], "x", 1, 0));
    R("accept on a pipe", accept(p[0], NULL, NULL));
    R("shutdown on a pipe", shutdown(p[0], SHUT_RD));
    struct sockaddr_in sa = {.sin_family = AF_INET};
    R("connect on a pipe", connect(p[1], (struct sockaddr *)&sa, sizeof sa));
    R("write on a pipe read end", write(p[0], "x", 1));
    R("read on a pipe write end", read(p[1], buf, 4));
    close2(p);
}

static void c_connect_refused(void)
{
    int fams[2] = {AF_INET, AF_INET6};
    for (int i = 0; i < 2; i++) {
        const char *f = i ? "[::1]" : "127.0.0.1";
        int port = closed_port(fams[i]);
        int fd = socket(fams[i], SOCK_STREAM, 0);
        double t0 = now_ms();
        char l[96];
        snprintf(l, sizeof l, "blocking connect to a closed port on %s", f);
        R(l, connect_to(fd, fams[i], port));
        say("  %s", now_ms() - t0 < 1000 ? "at once" : "SLOW");
        snprintf(l, sizeof l, "  same socket again");
        R(l, connect_to(fd, fams[i], port));
        say("  socket still %s", nb(fd));
        close(fd);
    }
}

static void c_connect_nonblock(void)
{
    int fams[2] = {AF_INET, AF_INET6};
    for (int i = 0; i < 2; i++) {
        const char *f = i ? "[::1]" : "127.0.0.1";
        char l[96];
        int port = closed_port(fams[i]);
        int fd = socket(fams[i], SOCK_STREAM | SOCK_NONBLOCK, 0);
        snprintf(l, sizeof l, "non-blocking connect to a closed port on %s", f);
        R(l, connect_to(fd, fams[i], port));
        struct pollfd p = {fd, POLLOUT, 0};
        int n = poll(&p, 1, 2000);
        int err = -1, err2 = -1;
        socklen_t el = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err2, &el);
        say("  poll: %d %s, SO_ERROR %s, SO_ERROR again %s", n,
            p.revents & POLLERR ? "POLLERR" : "no POLLERR", en(err), en(err2));
        R("  connect again", connect_to(fd, fams[i], port));
        close(fd);

        int lfd = listener(fams[i], 0);
        fd = socket(fams[i], SOCK_STREAM | SOCK_NONBLOCK, 0);
        snprintf(l, sizeof l, "non-blocking connect to a listener on %s", f);
        R(l, connect_to(fd, fams[i], port_of(lfd)));
        p.fd = fd;
        n = poll(&p, 1, 2000);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
        say("  poll: %d, SO_ERROR %s", n, en(err));
        R("  connect again", connect_to(fd, fams[i], port_of(lfd)));
        say("  socket %s", nb(fd));
        int s = accept(lfd, NULL, NULL);
        close(s);
        close(fd);
        fd = socket(fams[i], SOCK_STREAM, 0);
        connect_to(fd, fams[i], port_of(lfd));
        R("  blocking connect on a connected socket",
          connect_to(fd, fams[i], port_of(lfd)));
        close(fd);
        close(lfd);
    }
}

static void c_epipe(void)
{
    int sv[2];
    make_socketpair(sv);
    close(sv[1]);
    R("write to socketpair, peer closed", write(sv[0], "x", 1));
    R("send to socketpair, peer closed", send(sv[0], "x", 1, 0));
    R("send MSG_NOSIGNAL, peer closed", send(sv[0], "x", 1, MSG_NOSIGNAL));
    struct iovec iov = {"x", 1};
    R("writev, peer closed", writev(sv[0], &iov, 1));
    close(sv[0]);

    int p[2];
    make_pipe(p);
    close(p[0]);
    R("write to pipe, reader closed", write(p[1], "x", 1));
    close(p[1]);

    int c, s;
    tcp_pair(AF_INET, &c, &s);
    close(s);
    wait_fd(c, POLLIN, 1000);   /* the FIN */
    R("TCP write after peer closed (first)", write(c, "x", 1));
    wait_fd(c, POLLERR, 1000);  /* the RST it provokes */
    msleep(20);
    R("TCP write after peer closed (second)", write(c, "x", 1));
    R("TCP write after peer closed (third)", write(c, "x", 1));
    char buf[4];
    R("TCP read after that", read(c, buf, sizeof buf));
    close(c);
}

static void c_sigpipe(void)
{
    for (int mode = 0; mode < 3; mode++) {
        int sv[2];
        make_socketpair(sv);
        close(sv[1]);
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0)
            die("fork", errno);
        if (pid == 0) {
            signal(SIGPIPE, SIG_DFL);
            ssize_t r;
            if (mode == 0)
                r = write(sv[0], "x", 1);
            else if (mode == 1)
                r = send(sv[0], "x", 1, 0);
            else
                r = send(sv[0], "x", 1, MSG_NOSIGNAL);
            _exit(r < 0 ? errno : 0);
        }
        close(sv[0]);
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        const char *what[] = {"write", "send", "send MSG_NOSIGNAL"};
        if (WIFSIGNALED(st))
            say("child with default SIGPIPE, %s to closed peer: killed by SIG%s",
                what[mode], sigabbrev_np(WTERMSIG(st)));
        else
            say("child with default SIGPIPE, %s to closed peer: exit %s",
                what[mode], en(WEXITSTATUS(st)));
    }
}

static void c_nonblock_flags(void)
{
    int l = listener(AF_INET, 0);
    say("listener after socket()+listen(): %s", nb(l));
    int c = socket(AF_INET, SOCK_STREAM, 0);
    say("client after socket(): %s", nb(c));
    connect_to(c, AF_INET, port_of(l));
    say("client after blocking connect(): %s", nb(c));
    int s = accept(l, NULL, NULL);
    say("accepted socket: %s; listener after accept(): %s", nb(s), nb(l));
    set_nonblock(s, 1);
    say("after fcntl(O_NONBLOCK): %s", nb(s));
    int d = dup(s);
    say("its dup shares the flag: %s", nb(d));
    close(d);
    set_nonblock(s, 0);
    say("after clearing it: %s", nb(s));
    int on = 1;
    ioctl(s, FIONBIO, &on);
    say("after ioctl(FIONBIO, 1): %s", nb(s));
    on = 0;
    ioctl(s, FIONBIO, &on);
    say("after ioctl(FIONBIO, 0): %s", nb(s));
    char buf[4];
    R("recv MSG_DONTWAIT on a blocking socket", recv(s, buf, 4, MSG_DONTWAIT));
    say("still: %s", nb(s));
    close(s);
    close(c);

    int n = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    say("socket(SOCK_NONBLOCK): %s", nb(n));
    R("its connect", connect_to(n, AF_INET, port_of(l)));
    wait_fd(n, POLLOUT, 1000);
    say("after the connect completed: %s", nb(n));
    s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
    say("accept4(SOCK_NONBLOCK): %s", nb(s));
    close(s);
    close(n);

    set_nonblock(l, 1);
    c = socket(AF_INET, SOCK_STREAM, 0);
    connect_to(c, AF_INET, port_of(l));
    wait_fd(l, POLLIN, 1000);
    s = accept(l, NULL, NULL);
    say("accept() on an O_NONBLOCK listener gives: %s", nb(s));
    close(s);
    close(c);
    close(l);

    int p[2];
    if (pipe2(p, O_NONBLOCK) < 0)
        die("pipe2", errno);
    say("pipe2(O_NONBLOCK): %s %s", nb(p[0]), nb(p[1]));
    close2(p);
    make_pipe(p);
    say("pipe(): %s %s", nb(p[0]), nb(p[1]));
    close2(p);
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
    say("socketpair(SOCK_NONBLOCK): %s %s", nb(sv[0]), nb(sv[1]));
    close2(sv);
}

static void c_nonblock_eagain(void)
{
    int c, s;
    char buf[16];
    tcp_pair(AF_INET, &c, &s);
    double t0 = now_ms();
    set_nonblock(s, 1);
    R("recv, O_NONBLOCK set with fcntl", recv(s, buf, sizeof buf, 0));
    R("read, same", read(s, buf, sizeof buf));
    set_nonblock(s, 0);
    int on = 1;
    ioctl(s, FIONBIO, &on);
    R("recv, non-blocking through FIONBIO", recv(s, buf, sizeof buf, 0));
    on = 0;
    ioctl(s, FIONBIO, &on);
    R("recv MSG_DONTWAIT", recv(s, buf, sizeof buf, MSG_DONTWAIT));
    say("  all %s", now_ms() - t0 < 500 ? "immediate" : "SLOW");
    close(s);
    close(c);

    int l = listener(AF_INET, SOCK_NONBLOCK);
    t0 = now_ms();
    R("accept on a SOCK_NONBLOCK listener, nobody connecting",
      accept(l, NULL, NULL));
    int n = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect_to(n, AF_INET, port_of(l));
    wait_fd(n, POLLOUT, 1000);
    R("recv on a SOCK_NONBLOCK client", recv(n, buf, sizeof buf, 0));
    /* fill it */
    static char big[65536];
    long total = 0;
    for (;;) {
        ssize_t w = send(n, big, sizeof big, 0);
        if (w < 0) {
            say("send until full: -1 %s after some data: %s", en(errno),
                total > 0 ? "yes" : "no");
            break;
        }
        total += w;
    }
    say("  all %s", now_ms() - t0 < 500 ? "immediate" : "SLOW");
    close(n);
    close(l);
}

static void c_rcvtimeo(void)
{
    int c, s;
    tcp_pair(AF_INET, &c, &s);
    struct timeval tv = {0, 200000};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct timeval got = {0, 0};
    socklen_t gl = sizeof got;
    getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &got, &gl);
    say("SO_RCVTIMEO reads back as %ld.%06ld", (long)got.tv_sec,
        (long)got.tv_usec);
    char buf[16];
    double t0 = now_ms();
    R("recv with SO_RCVTIMEO 200ms, no data", recv(s, buf, sizeof buf, 0));
    say("  %s; socket %s", timing(t0, 200), nb(s));
    t0 = now_ms();
    R("read, same", read(s, buf, sizeof buf));
    say("  %s", timing(t0, 200));
    struct iovec iov = {buf, sizeof buf};
    t0 = now_ms();
    R("readv, same", readv(s, &iov, 1));
    say("  %s", timing(t0, 200));
    /* 5 s here: a writer started late must not turn this into a timeout */
    struct timeval tv5 = {5, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv5, sizeof tv5);
    struct later lt;
    pthread_t t = later(&lt, c, 50, LATER_WRITE);
    t0 = now_ms();
    R("recv with SO_RCVTIMEO 5s, a byte written by another thread after 50ms",
      recv(s, buf, sizeof buf, 0));
    say("  %s", now_ms() - t0 < 5000 ? "before the timeout" : "LATE");
    join(t);
    close(s);
    close(c);

    int l = listener(AF_INET, 0);
    setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    t0 = now_ms();
    R("accept with SO_RCVTIMEO 200ms, nobody connecting", accept(l, NULL, NULL));
    say("  %s", timing(t0, 200));
    close(l);

    int u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_storage ss;
    socklen_t sl = loop_addr(AF_INET, &ss, 0);
    bind(u, (struct sockaddr *)&ss, sl);
    setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    t0 = now_ms();
    R("UDP recvfrom with SO_RCVTIMEO 200ms", recvfrom(u, buf, sizeof buf, 0,
                                                      NULL, NULL));
    say("  %s", timing(t0, 200));
    close(u);
}

static void c_sndtimeo(void)
{
    static char big[64 << 20]; /* beyond what loopback TCP autotuning absorbs (tcp_rmem max 32 MiB) */
    struct timeval tv = {0, 200000};
    int sv[2];
    make_socketpair(sv);
    setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    double t0 = now_ms();
    errno = 0;
    ssize_t w = write(sv[0], big, sizeof big);
    say("socketpair, SO_SNDTIMEO 200ms, write 64 MiB nobody reads: %s%s, %s",
        w > 0 && w < (ssize_t)sizeof big ? "partial count"
                                          : w < 0 ? "-1 " : "FULL OR ZERO",
        w < 0 ? en(errno) : "", timing(t0, 200));
    t0 = now_ms();
    R("  write again on the full socket", write(sv[0], big, 1000));
    say("  %s", timing(t0, 200));
    close2(sv);

    int c, s;
    tcp_pair(AF_INET, &c, &s);
    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    t0 = now_ms();
    errno = 0;
    w = send(c, big, sizeof big, 0);
    say("TCP, SO_SNDTIMEO 200ms, send 64 MiB nobody reads: %s%s, %s",
        w > 0 && w < (ssize_t)sizeof big ? "partial count"
                                          : w < 0 ? "-1 " : "FULL OR ZERO",
        w < 0 ? en(errno) : "", timing(t0, 200));
    close(s);
    close(c);
}

static void c_accept_errors(void)
{
    int t = socket(AF_INET, SOCK_STREAM, 0);
    R("accept on a TCP socket that is not listening", accept(t, NULL, NULL));
    R("accept4 on it", accept4(t, NULL, NULL, SOCK_CLOEXEC));
    close(t);
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    R("accept on a UDP socket", accept(u, NULL, NULL));
    close(u);
    int sv[2];
    make_socketpair(sv);
    R("accept on a connected socketpair", accept(sv[0], NULL, NULL));
    close2(sv);
    int l = listener(AF_INET, 0);
    R("accept4 with bad flags", accept4(l, NULL, NULL, 0x7fff0000));
    int c = socket(AF_INET, SOCK_STREAM, 0);
    connect_to(c, AF_INET, port_of(l));
    socklen_t bad_len = (socklen_t)-1;
    struct sockaddr_in sa;
    R("accept with addrlen -1", accept(l, (struct sockaddr *)&sa, &bad_len));
    /* Linux accepts the connection, then fails to copy the address out
     * and drops it: nothing is left to accept. */
    say("  a connection still pending afterwards: %s",
        wait_fd(l, POLLIN, 100) > 0 ? "yes" : "no");
    close(c);
    close(l);
}

static void c_efault(void)
{
    int sv[2];
    make_socketpair(sv);
    write(sv[1], "abc", 3);
    R("read into a bad pointer, socket with data", read(sv[0], bad_ptr, 3));
    R("recv into a bad pointer", recv(sv[0], bad_ptr, 3, 0));
    char buf[8];
    R("  then a good read", read(sv[0], buf, sizeof buf));
    R("write from a bad pointer to a socket", write(sv[1], bad_ptr, 3));
    R("send from a bad pointer", send(sv[1], bad_ptr, 3, 0));
    close2(sv);

    int p[2];
    make_pipe(p);
    write(p[1], "abc", 3);
    R("read into a bad pointer, pipe with data", read(p[0], bad_ptr, 3));
    R("  then a good read", read(p[0], buf, sizeof buf));
    R("write from a bad pointer to a pipe", write(p[1], bad_ptr, 3));
    close2(p);

    int c, s;
    tcp_pair(AF_INET, &c, &s);
    write(c, "abc", 3);
    wait_fd(s, POLLIN, 1000);
    R("read into a bad pointer, TCP with data", read(s, bad_ptr, 3));
    R("  then a good read", read(s, buf, sizeof buf));
    struct iovec iov = {bad_ptr, 3};
    write(c, "abc", 3);
    wait_fd(s, POLLIN, 1000);
    R("readv into a bad pointer, TCP", readv(s, &iov, 1));
    R("recvmsg with a bad msghdr", recvmsg(s, bad_ptr, 0));
    R("sendmsg with a bad msghdr", sendmsg(s, bad_ptr, 0));
    close(s);
    close(c);
}

static void c_iov(void)
{
    int sv[2];
    make_socketpair(sv);
    char a[3], b[4], c[5];
    struct iovec iov[3] = {{a, 3}, {b, 4}, {c, 5}};
    volatile int minus_one = -1;
    R("writev iovcnt -1", writev(sv[0], iov, minus_one));
    R("readv iovcnt -1", readv(sv[1], iov, minus_one));
    R("writev iovcnt 0", writev(sv[0], iov, 0));
    R("readv iovcnt 0", readv(sv[1], iov, 0));
    static struct iovec many[IOV_MAX + 1];
    for (int i = 0; i <= IOV_MAX; i++)
        many[i] = (struct iovec){a, 1};
    R("writev iovcnt IOV_MAX+1", writev(sv[0], many, IOV_MAX + 1));
    R("writev iovcnt IOV_MAX", writev(sv[0], many, IOV_MAX));
    char sink[2048];
    R("  read it back", read(sv[1], sink, sizeof sink));
    struct iovec out[3] = {{"abc", 3}, {"defg", 4}, {"hijkl", 5}};
    R("writev 3 pieces", writev(sv[0], out, 3));
    R("readv 3 pieces", readv(sv[1], iov, 3));
    say("  got %.3s|%.4s|%.5s", a, b, c);
    close2(sv);
}

static void c_scm_rights(void)
{
    int sv[2], p[2];
    make_socketpair(sv);
    make_pipe(p);
    char cbuf[CMSG_SPACE(sizeof(int))];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = {"F", 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
                       .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &p[1], sizeof(int));
    R("sendmsg with SCM_RIGHTS (a pipe's write end)", sendmsg(sv[0], &m, 0));

    char rb[4];
    char rc[CMSG_SPACE(sizeof(int))];
    struct iovec riov = {rb, sizeof rb};
    struct msghdr rm = {.msg_iov = &riov, .msg_iovlen = 1,
                        .msg_control = rc, .msg_controllen = sizeof rc};
    R("recvmsg", recvmsg(sv[1], &rm, 0));
    struct cmsghdr *rcm = CMSG_FIRSTHDR(&rm);
    int fd = -1;
    if (rcm && rcm->cmsg_type == SCM_RIGHTS)
        memcpy(&fd, CMSG_DATA(rcm), sizeof fd);
    say("  got a descriptor: %s, flags 0x%x", fd >= 0 ? "yes" : "no",
        rm.msg_flags);
    if (fd >= 0) {
        write(fd, "via", 3);
        char v[4] = {0};
        read(p[0], v, 3);
        say("  wrote through it, pipe reads \"%s\"", v);
        close(fd);
    }

    /* no room for the descriptor: MSG_CTRUNC */
    sendmsg(sv[0], &m, 0);
    struct msghdr rm2 = {.msg_iov = &riov, .msg_iovlen = 1};
    R("recvmsg without control space", recvmsg(sv[1], &rm2, 0));
    say("  MSG_CTRUNC %s", rm2.msg_flags & MSG_CTRUNC ? "set" : "NOT SET");

    /* blocking recvmsg waiting for another thread */
    struct later l;
    pthread_t t = later(&l, sv[0], 50, LATER_WRITE);
    struct msghdr rm3 = {.msg_iov = &riov, .msg_iovlen = 1};
    R("recvmsg, written by another thread", recvmsg(sv[1], &rm3, 0));
    join(t);
    close2(sv);
    close2(p);
}

static void c_shutdown(void)
{
    int c, s;
    tcp_pair(AF_INET, &c, &s);
    write(c, "req", 3);
    R("shutdown(SHUT_WR)", shutdown(c, SHUT_WR));
    char buf[16];
    R("peer reads the data", read(s, buf, sizeof buf));
    R("peer reads EOF", read(s, buf, sizeof buf));
    R("peer writes back", write(s, "resp", 4));
    R("we read it", read(c, buf, sizeof buf));
    R("write after our SHUT_WR", write(c, "x", 1));
    close(s);
    R("we read EOF after the peer closes", read(c, buf, sizeof buf));
    close(c);

    tcp_pair(AF_INET, &c, &s);
    R("shutdown(SHUT_RD)", shutdown(s, SHUT_RD));
    R("recv after SHUT_RD", recv(s, buf, sizeof buf, 0));
    close(s);
    close(c);

    int u = socket(AF_INET, SOCK_STREAM, 0);
    R("shutdown on an unconnected socket", shutdown(u, SHUT_RDWR));
    R("shutdown with how=7", shutdown(u, 7));
    close(u);
}

struct blocked {
    int fd;
    int kind;   /* 0 recv, 1 accept */
    long rc;
    int err;
};

static void *blocked_fn(void *arg)
{
    struct blocked *b = arg;
    char buf[8];
    errno = 0;
    if (b->kind == 0)
        b->rc = recv(b->fd, buf, sizeof buf, 0);
    else
        b->rc = accept(b->fd, NULL, NULL);
    b->err = errno;
    return NULL;
}

static void c_shutdown_wakes(void)
{
    int c, s;
    tcp_pair(AF_INET, &c, &s);
    struct blocked b = {s, 0, 0, 0};
    pthread_t t = spawn(blocked_fn, &b);
    msleep(50);
    R("shutdown(SHUT_RD) while another thread blocks in recv",
      shutdown(s, SHUT_RD));
    join(t);
    say("  its recv: %ld %s", b.rc, b.rc < 0 ? en(b.err) : "");
    close(s);
    close(c);

    int l = listener(AF_INET, 0);
    b = (struct blocked){l, 1, 0, 0};
    t = spawn(blocked_fn, &b);
    msleep(50);
    R("shutdown(SHUT_RDWR) of a listener another thread accepts on",
      shutdown(l, SHUT_RDWR));
    join(t);
    say("  its accept: %ld %s", b.rc, b.rc < 0 ? en(b.err) : "");
    close(l);
}

static void c_pipe_nonblock(void)
{
    int p[2];
    if (pipe2(p, O_NONBLOCK) < 0)
        die("pipe2", errno);
    char buf[4096] = {0};
    R("read of an empty O_NONBLOCK pipe", read(p[0], buf, sizeof buf));
    long total = 0;
    ssize_t w;
    while ((w = write(p[1], buf, sizeof buf)) > 0)
        total += w;
    say("filled: %ld bytes, then %s", total, en(errno));
    R("one more byte", write(p[1], "x", 1));
    close2(p);
}

static void c_udp(void)
{
    int fams[2] = {AF_INET, AF_INET6};
    for (int i = 0; i < 2; i++) {
        const char *f = i ? "::1" : "127.0.0.1";
        struct sockaddr_storage a, b;
        socklen_t al = loop_addr(fams[i], &a, 0), bl = loop_addr(fams[i], &b, 0);
        int x = socket(fams[i], SOCK_DGRAM, 0), y = socket(fams[i], SOCK_DGRAM, 0);
        bind(x, (struct sockaddr *)&a, al);
        bind(y, (struct sockaddr *)&b, bl);
        al = loop_addr(fams[i], &a, port_of(x));
        bl = loop_addr(fams[i], &b, port_of(y));
        char l[96], buf[64];
        snprintf(l, sizeof l, "UDP %s sendto", f);
        R(l, sendto(x, "hello", 5, 0, (struct sockaddr *)&b, bl));
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        R("  recvfrom", recvfrom(y, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
        int fport = from.ss_family == AF_INET6
            ? ntohs(((struct sockaddr_in6 *)&from)->sin6_port)
            : ntohs(((struct sockaddr_in *)&from)->sin_port);
        say("  from the sender's address: %s", fport == port_of(x) &&
            from.ss_family == fams[i] ? "yes" : "no");
        sendto(x, "0123456789", 10, 0, (struct sockaddr *)&b, bl);
        R("  recv 4 bytes of 10 with MSG_TRUNC", recv(y, buf, 4, MSG_TRUNC));
        struct later lt;
        connect(x, (struct sockaddr *)&b, bl);
        pthread_t t = later(&lt, x, 50, LATER_WRITE);
        R("  blocking recvfrom, sent by another thread later",
          recvfrom(y, buf, sizeof buf, 0, NULL, NULL));
        join(t);
        close(x);
        close(y);

        /* connected UDP to a closed port: the ICMP error comes back */
        int port;
        {
            int z = socket(fams[i], SOCK_DGRAM, 0);
            struct sockaddr_storage zs;
            socklen_t zl = loop_addr(fams[i], &zs, 0);
            bind(z, (struct sockaddr *)&zs, zl);
            port = port_of(z);
            close(z);
        }
        int u = socket(fams[i], SOCK_DGRAM, 0);
        connect_to(u, fams[i], port);
        R("  connected UDP send to a closed port", send(u, "x", 1, 0));
        R("  then blocking recv", recv(u, buf, sizeof buf, 0));
        R("  then recv again, MSG_DONTWAIT", recv(u, buf, sizeof buf, MSG_DONTWAIT));
        close(u);
    }
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    char buf[16];
    R("AF_UNIX SOCK_DGRAM socketpair send", send(sv[0], "dgram", 5, 0));
    R("  recv", recv(sv[1], buf, sizeof buf, 0));
    struct later lt;
    pthread_t t = later(&lt, sv[0], 50, LATER_WRITE);
    R("  blocking recv, sent by another thread later", recv(sv[1], buf, sizeof buf, 0));
    join(t);
    close2(sv);
}

static void c_read_later(void)
{
    int p[2];
    make_pipe(p);
    struct later l;
    pthread_t t = later(&l, p[1], 50, LATER_WRITE);
    char buf[100];
    R("blocking read(100) on a pipe, 1 byte written later", read(p[0], buf, 100));
    join(t);
    t = later(&l, p[1], 50, LATER_CLOSE);
    R("blocking read on a pipe, writer closed later", read(p[0], buf, 100));
    join(t);
    close(p[0]);
    int sv[2];
    make_socketpair(sv);
    t = later(&l, sv[1], 50, LATER_WRITE);
    R("blocking read on a socketpair, written later", read(sv[0], buf, 100));
    join(t);
    close2(sv);
    int c, s;
    tcp_pair(AF_INET6, &c, &s);
    t = later(&l, c, 50, LATER_WRITE);
    R("blocking recv on TCP over ::1, written later", recv(s, buf, 100, 0));
    join(t);
    close(s);
    close(c);
}

static void c_zero_len(void)
{
    int c, s;
    tcp_pair(AF_INET, &c, &s);
    char buf[4];
    double t0 = now_ms();
    R("read 0 bytes from an empty TCP socket", read(s, buf, 0));
    /* (recv of 0 bytes on an empty TCP or AF_UNIX stream socket blocks
     * until data arrives: read() returns 0 before reaching the protocol,
     * recv() does not.) */
    R("recv 0 bytes, MSG_DONTWAIT", recv(s, buf, 0, MSG_DONTWAIT));
    R("write 0 bytes", write(s, buf, 0));
    R("send 0 bytes", send(s, buf, 0, 0));
    write(c, "x", 1);
    wait_fd(s, POLLIN, 1000);
    R("recv 0 bytes with data waiting", recv(s, buf, 0, 0));
    R("read 0 bytes with data waiting", read(s, buf, 0));
    int sv[2];
    make_socketpair(sv);
    R("read 0 bytes from an empty socketpair", read(sv[0], buf, 0));
    R("recv 0 bytes from an empty socketpair, MSG_DONTWAIT",
      recv(sv[0], buf, 0, MSG_DONTWAIT));
    close2(sv);
    int p[2];
    make_pipe(p);
    R("read 0 bytes from an empty pipe", read(p[0], buf, 0));
    R("write 0 bytes to a pipe", write(p[1], buf, 0));
    say("  %s", now_ms() - t0 < 500 ? "all immediate" : "SLOW");
    close2(p);
    close(s);
    close(c);
}

static void c_enotconn(void)
{
    char buf[4];
    int t = socket(AF_INET, SOCK_STREAM, 0);
    R("recv on an unconnected TCP socket", recv(t, buf, 4, 0));
    R("read on it", read(t, buf, 4));
    R("send on it", send(t, "x", 1, 0));
    R("write on it", write(t, "x", 1));
    close(t);
    int l = listener(AF_INET, 0);
    R("read on a listening socket", read(l, buf, 4));
    R("write on a listening socket", write(l, "x", 1));
    close(l);
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    R("recv on an unconnected AF_UNIX stream socket", recv(u, buf, 4, 0));
    R("send on it", send(u, "x", 1, 0));
    close(u);
    int d = socket(AF_INET, SOCK_DGRAM, 0);
    R("send on an unconnected UDP socket", send(d, "x", 1, 0));
    close(d);
}

static void c_econnreset(void)
{
    int c, s;
    char buf[16];
    tcp_pair(AF_INET, &c, &s);
    write(c, "unread", 6);
    wait_fd(s, POLLIN, 1000);
    close(s);   /* with unread data: RST */
    wait_fd(c, POLLIN, 1000);
    R("recv after the peer closed with unread data", recv(c, buf, sizeof buf, 0));
    R("recv again", recv(c, buf, sizeof buf, 0));
    R("write", write(c, "x", 1));
    close(c);

    tcp_pair(AF_INET, &c, &s);
    struct linger lg = {1, 0};
    setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    struct later l;
    pthread_t t = later(&l, s, 50, LATER_CLOSE);
    R("blocking recv, peer closes with SO_LINGER 0 later", recv(c, buf, sizeof buf, 0));
    join(t);
    close(c);
}

static void c_bind_errors(void)
{
    int l = listener(AF_INET, 0);
    int x = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_storage ss;
    socklen_t sl = loop_addr(AF_INET, &ss, port_of(l));
    R("bind to a listening port", bind(x, (struct sockaddr *)&ss, sl));
    sl = loop_addr(AF_INET, &ss, 0);
    R("bind to port 0", bind(x, (struct sockaddr *)&ss, sl));
    R("bind again", bind(x, (struct sockaddr *)&ss, sl));
    R("listen", listen(x, 4));
    R("listen again", listen(x, 8));
    R("connect on a listening socket", connect_to(x, AF_INET, port_of(l)));
    close(x);
    close(l);
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    R("listen on a UDP socket", listen(u, 4));
    close(u);
}

static const struct tcase cases[] = {
    {"badfd", c_badfd},
    {"notsock", c_notsock},
    {"connect_refused", c_connect_refused},
    {"connect_nonblock", c_connect_nonblock},
    {"epipe", c_epipe},
    {"sigpipe", c_sigpipe},
    {"nonblock_flags", c_nonblock_flags},
    {"nonblock_eagain", c_nonblock_eagain},
    {"rcvtimeo", c_rcvtimeo},
    {"sndtimeo", c_sndtimeo},
    {"accept_errors", c_accept_errors},
    {"efault", c_efault},
    {"iov", c_iov},
    {"scm_rights", c_scm_rights},
    {"shutdown", c_shutdown},
    {"shutdown_wakes", c_shutdown_wakes},
    {"pipe_nonblock", c_pipe_nonblock},
    {"udp", c_udp},
    {"read_later", c_read_later},
    {"zero_len", c_zero_len},
    {"enotconn", c_enotconn},
    {"econnreset", c_econnreset},
    {"bind_errors", c_bind_errors},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return run_cases(cases, argc, argv, "errno_parity");
}
