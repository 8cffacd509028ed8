/* net_extra: what a thread-per-connection daemon does besides read and
 * write: scatter/gather and large transfers that need several partial
 * writes, MSG_WAITALL, MSG_PEEK, IPv6 and dual-stack listeners, a UDP
 * server thread, recvmmsg/sendmmsg, a pool of acceptor threads on one
 * listener, sendfile, stdio on sockets, half-close.
 *
 *   net_extra [--list | CASE...]
 *
 * Each case runs on the main thread, then on a thread of its own, and
 * prints only deterministic facts.
 */
#include <arpa/inet.h>
#include <ctype.h>
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
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static socklen_t mkaddr(int family, const char *ip, int port,
                        struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        inet_pton(AF_INET6, ip, &s6->sin6_addr);
        s6->sin6_port = htons(port);
        return sizeof *s6;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    inet_pton(AF_INET, ip, &s4->sin_addr);
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

static int listen_on(int family, const char *ip, int v6only)
{
    int fd = socket(family, SOCK_STREAM, 0);
    if (fd < 0)
        die("socket", errno);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6 && v6only >= 0)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    struct sockaddr_storage ss;
    socklen_t sl = mkaddr(family, ip, 0, &ss);
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 128) < 0)
        die("bind/listen", errno);
    return fd;
}

static int dial(int family, const char *ip, int port)
{
    int fd = socket(family, SOCK_STREAM, 0);
    struct sockaddr_storage ss;
    socklen_t sl = mkaddr(family, ip, port, &ss);
    if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static void tcp_pair(int *c, int *s)
{
    int l = listen_on(AF_INET, "127.0.0.1", -1);
    *c = dial(AF_INET, "127.0.0.1", port_of(l));
    if (*c < 0)
        die("connect", errno);
    *s = accept(l, NULL, NULL);
    if (*s < 0)
        die("accept", errno);
    close(l);
}

static inline unsigned char pat(size_t i)
{
    return (unsigned char)(i * 131 + (i >> 10) * 7 + 3);
}

static int read_exact_check(int fd, size_t n, size_t chunk)
{
    unsigned char *buf = malloc(chunk);
    size_t got = 0;
    int ok = 1;
    while (got < n) {
        size_t want = n - got < chunk ? n - got : chunk;
        ssize_t r = read(fd, buf, want);
        if (r <= 0) {
            ok = 0;
            break;
        }
        for (ssize_t k = 0; k < r; k++)
            if (buf[k] != pat(got + (size_t)k))
                ok = 0;
        got += (size_t)r;
    }
    free(buf);
    return ok && got == n;
}

/* ---- writev/readv and large transfers ------------------------------------ */

#define BIG (4u << 20)
static unsigned char *bigbuf;

static unsigned char *big(void)
{
    if (!bigbuf) {
        bigbuf = malloc(2 * BIG);
        for (size_t i = 0; i < 2 * BIG; i++)
            bigbuf[i] = pat(i);
    }
    return bigbuf;
}

struct xfer {
    int fd;
    int kind;
    long rc;
    int err;
};

static void *writer_fn(void *arg)
{
    struct xfer *x = arg;
    unsigned char *b = big();
    errno = 0;
    switch (x->kind) {
    case 0: {   /* writev of three pieces, 4 MiB */
        struct iovec iov[3] = {{b, 1000}, {b + 1000, BIG - 2000},
                               {b + BIG - 1000, 1000}};
        x->rc = writev(x->fd, iov, 3);
        break;
    }
    case 1:     /* one write of 8 MiB */
        x->rc = write(x->fd, b, 2 * BIG);
        break;
    case 2:     /* one send of 8 MiB */
        x->rc = send(x->fd, b, 2 * BIG, 0);
        break;
    case 3: {   /* sendmsg of two pieces, 8 MiB */
        struct iovec iov[2] = {{b, BIG}, {b + BIG, BIG}};
        struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
        x->rc = sendmsg(x->fd, &m, 0);
        break;
    }
    }
    x->err = errno;
    return NULL;
}

static void c_large(void)
{
    static const char *what[] = {"writev of 3 pieces, 4 MiB",
                                 "write of 8 MiB", "send of 8 MiB",
                                 "sendmsg of 2 pieces, 8 MiB"};
    for (int k = 0; k < 4; k++) {
        int c, s;
        tcp_pair(&c, &s);
        struct xfer x = {c, k, 0, 0};
        pthread_t t = spawn(writer_fn, &x);
        size_t n = k == 0 ? BIG : 2 * BIG;
        int ok;
        if (k == 0) {
            /* read it back with readv into two buffers */
            static unsigned char r1[3000], r2[5000];
            size_t got = 0;
            ok = 1;
            while (got < n) {
                struct iovec iov[2] = {{r1, sizeof r1}, {r2, sizeof r2}};
                ssize_t r = readv(s, iov, 2);
                if (r <= 0) {
                    ok = 0;
                    break;
                }
                for (ssize_t i = 0; i < r; i++) {
                    unsigned char v = i < (ssize_t)sizeof r1 ? r1[i]
                                                             : r2[i - sizeof r1];
                    if (v != pat(got + (size_t)i))
                        ok = 0;
                }
                got += (size_t)r;
            }
            ok = ok && got == n;
        } else {
            ok = read_exact_check(s, n, 1000 + 7000 * (size_t)k);
        }
        join(t);
        say("%s, blocking: returned %s, reader got "
            "every byte %s", what[k],
            x.rc == (long)n ? "the full count" : x.rc < 0 ? en(x.err) : "SHORT",
            ok ? "in order" : "WRONG");
        close(c);
        close(s);
    }
}

/* ---- MSG_WAITALL and MSG_PEEK ------------------------------------------- */

struct dribble {
    int fd;
    int pieces, size, gap_ms;
    int close_after;
};

static void *dribbler(void *arg)
{
    struct dribble *d = arg;
    unsigned char *b = big();
    for (int i = 0; i < d->pieces; i++) {
        msleep(d->gap_ms);
        if (write(d->fd, b + (size_t)i * d->size, d->size) != d->size)
            die("dribble write", errno);
    }
    if (d->close_after)
        shutdown(d->fd, SHUT_WR);
    return NULL;
}

static void c_waitall(void)
{
    int c, s;
    tcp_pair(&c, &s);
    static unsigned char buf[100000];
    struct dribble d = {c, 10, 10000, 10, 0};
    pthread_t t = spawn(dribbler, &d);
    ssize_t r = recv(s, buf, 100000, MSG_WAITALL);
    int ok = r == 100000;
    for (ssize_t i = 0; ok && i < r; i++)
        ok = buf[i] == pat((size_t)i);
    say("recv MSG_WAITALL 100000, sent in 10 pieces 10ms apart: %zd, %s", r,
        ok ? "bytes right" : "WRONG");
    join(t);
    d = (struct dribble){c, 1, 500, 20, 1};
    t = spawn(dribbler, &d);
    r = recv(s, buf, 1000, MSG_WAITALL);
    say("recv MSG_WAITALL 1000, 500 sent then SHUT_WR: %zd", r);
    join(t);
    close(c);
    close(s);
}

static void c_peek(void)
{
    int c, s;
    tcp_pair(&c, &s);
    struct later l;
    pthread_t t = later(&l, c, 50, LATER_WRITE);
    char buf[16] = {0};
    ssize_t r = recv(s, buf, 5, MSG_PEEK);
    say("blocking recv MSG_PEEK, written by another thread: %zd \"%.*s\"", r,
        (int)(r > 0 ? r : 0), buf);
    join(t);
    write(c, "hello", 5);
    msleep(20);
    r = recv(s, buf, 3, MSG_PEEK);
    say("peek 3: %zd \"%.*s\"", r, (int)(r > 0 ? r : 0), buf);
    r = read(s, buf, sizeof buf);
    say("then read: %zd \"%.*s\"", r, (int)(r > 0 ? r : 0), buf);
    r = recv(s, buf, 3, MSG_PEEK | MSG_DONTWAIT);
    say("peek on an empty socket, MSG_DONTWAIT: %zd %s", r, r < 0 ? en(errno) : "");
    close(c);
    close(s);
}

/* ---- IPv6, dual stack ----------------------------------------------------- */

struct echo_srv {
    int lfd;
    int conns;
};

static void *echo_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[4096];
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0)
        if (write(fd, buf, r) != r)
            break;
    close(fd);
    return NULL;
}

/* accepts `conns` connections, one thread each, joins them */
static void *echo_server(void *arg)
{
    struct echo_srv *es = arg;
    pthread_t t[64];
    for (int i = 0; i < es->conns; i++) {
        int fd = accept(es->lfd, NULL, NULL);
        if (fd < 0)
            die("accept", errno);
        t[i] = spawn(echo_conn, (void *)(intptr_t)fd);
    }
    for (int i = 0; i < es->conns; i++)
        join(t[i]);
    return NULL;
}

struct echo_cli {
    int family;
    const char *ip;
    int port;
    int id;
    int ok;
};

static void *echo_client(void *arg)
{
    struct echo_cli *ec = arg;
    int fd = dial(ec->family, ec->ip, ec->port);
    if (fd < 0)
        return NULL;
    char msg[64], got[64];
    int ok = 1;
    for (int round = 0; round < 5; round++) {
        int n = snprintf(msg, sizeof msg, "client %d round %d", ec->id, round);
        if (write(fd, msg, n) != n) {
            ok = 0;
            break;
        }
        int have = 0;
        while (have < n) {
            ssize_t r = read(fd, got + have, n - have);
            if (r <= 0)
                break;
            have += r;
        }
        if (have != n || memcmp(msg, got, n))
            ok = 0;
    }
    close(fd);
    ec->ok = ok;
    return NULL;
}

static void run_echo(const char *label, int lfd, int family, const char *ip,
                     int nclients)
{
    struct echo_srv es = {lfd, nclients};
    pthread_t st = spawn(echo_server, &es);
    struct echo_cli ec[64];
    pthread_t ct[64];
    for (int i = 0; i < nclients; i++) {
        ec[i] = (struct echo_cli){family, ip, port_of(lfd), i, 0};
        ct[i] = spawn(echo_client, &ec[i]);
    }
    int ok = 0;
    for (int i = 0; i < nclients; i++) {
        join(ct[i]);
        ok += ec[i].ok;
    }
    join(st);
    say("%s: %d of %d clients echoed 5 rounds correctly", label, ok, nclients);
}

static void c_ipv6(void)
{
    int l = listen_on(AF_INET6, "::1", 1);
    run_echo("thread-per-connection echo on [::1]", l, AF_INET6, "::1", 8);
    close(l);
}

static void c_dual_stack(void)
{
    int l = listen_on(AF_INET6, "::", 0);
    int c = dial(AF_INET, "127.0.0.1", port_of(l));
    say("IPv4 client to a dual-stack [::] listener: %s",
        c >= 0 ? "connected" : en(errno));
    struct sockaddr_storage peer;
    socklen_t pl = sizeof peer;
    int s = accept(l, (struct sockaddr *)&peer, &pl);
    char ip[INET6_ADDRSTRLEN] = "?";
    if (peer.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&peer)->sin6_addr, ip,
                  sizeof ip);
    say("  accepted peer: family %s, address %s, port matches %s",
        peer.ss_family == AF_INET6 ? "AF_INET6" : "other", ip,
        ntohs(((struct sockaddr_in6 *)&peer)->sin6_port) == port_of(c) ? "yes" : "no");
    struct sockaddr_storage pn;
    pl = sizeof pn;
    getpeername(s, (struct sockaddr *)&pn, &pl);
    say("  getpeername agrees: %s", !memcmp(&pn, &peer, pl) ? "yes" : "no");
    close(s);
    close(c);
    close(l);
    l = listen_on(AF_INET6, "::", 1);
    c = dial(AF_INET, "127.0.0.1", port_of(l));
    say("IPv4 client to a V6ONLY [::] listener: %s",
        c >= 0 ? "connected" : en(errno));
    if (c >= 0)
        close(c);
    close(l);
    l = listen_on(AF_INET6, "::", 0);
    run_echo("echo on dual-stack [::], IPv4 clients", l, AF_INET, "127.0.0.1", 4);
    close(l);
}

static void c_cloexec(void)
{
    int l = listen_on(AF_INET, "127.0.0.1", -1);
    int c = dial(AF_INET, "127.0.0.1", port_of(l));
    int s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
    say("accept4(SOCK_CLOEXEC): FD_CLOEXEC %s",
        fcntl(s, F_GETFD) & FD_CLOEXEC ? "set" : "clear");
    close(s);
    close(c);
    c = dial(AF_INET, "127.0.0.1", port_of(l));
    s = accept(l, NULL, NULL);
    say("accept(): FD_CLOEXEC %s", fcntl(s, F_GETFD) & FD_CLOEXEC ? "set" : "clear");
    close(s);
    close(c);
    close(l);
}

/* ---- UDP server thread ----------------------------------------------------- */

static void *udp_server(void *arg)
{
    int fd = *(int *)arg;
    char buf[256];
    for (;;) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t r = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        if (r < 0)
            die("recvfrom", errno);
        if (r == 4 && !memcmp(buf, "quit", 4))
            break;
        for (ssize_t i = 0; i < r; i++)
            buf[i] = (char)toupper((unsigned char)buf[i]);
        sendto(fd, buf, r, 0, (struct sockaddr *)&from, fl);
    }
    return NULL;
}

struct udp_cli {
    int family;
    const char *ip;
    int port, id, ok;
};

static void *udp_client(void *arg)
{
    struct udp_cli *u = arg;
    int fd = socket(u->family, SOCK_DGRAM, 0);
    struct sockaddr_storage ss;
    socklen_t sl = mkaddr(u->family, u->ip, u->port, &ss);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int ok = 1;
    for (int i = 0; i < 5; i++) {
        char msg[64], want[64], got[64];
        int n = snprintf(msg, sizeof msg, "udp client %d msg %d", u->id, i);
        for (int k = 0; k <= n; k++)
            want[k] = (char)toupper((unsigned char)msg[k]);
        sendto(fd, msg, n, 0, (struct sockaddr *)&ss, sl);
        ssize_t r = recvfrom(fd, got, sizeof got, 0, NULL, NULL);
        if (r != n || memcmp(got, want, n))
            ok = 0;
    }
    close(fd);
    u->ok = ok;
    return NULL;
}

static void c_udp_server(void)
{
    int fams[2] = {AF_INET, AF_INET6};
    const char *ips[2] = {"127.0.0.1", "::1"};
    for (int f = 0; f < 2; f++) {
        int fd = socket(fams[f], SOCK_DGRAM, 0);
        struct sockaddr_storage ss;
        socklen_t sl = mkaddr(fams[f], ips[f], 0, &ss);
        bind(fd, (struct sockaddr *)&ss, sl);
        pthread_t st = spawn(udp_server, &fd);
        struct udp_cli uc[6];
        pthread_t ct[6];
        for (int i = 0; i < 6; i++) {
            uc[i] = (struct udp_cli){fams[f], ips[f], port_of(fd), i, 0};
            ct[i] = spawn(udp_client, &uc[i]);
        }
        int ok = 0;
        for (int i = 0; i < 6; i++) {
            join(ct[i]);
            ok += uc[i].ok;
        }
        int q = socket(fams[f], SOCK_DGRAM, 0);
        sl = mkaddr(fams[f], ips[f], port_of(fd), &ss);
        sendto(q, "quit", 4, 0, (struct sockaddr *)&ss, sl);
        join(st);
        close(q);
        close(fd);
        say("UDP server thread on %s: %d of 6 client threads got 5 right "
            "replies", ips[f], ok);
    }
}

static void *mmsg_sender(void *arg)
{
    int fd = *(int *)arg;
    msleep(50);
    struct iovec iov[3] = {{"one", 3}, {"two", 3}, {"three", 5}};
    struct mmsghdr mm[3];
    memset(mm, 0, sizeof mm);
    for (int i = 0; i < 3; i++) {
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    int n = sendmmsg(fd, mm, 3, 0);
    if (n != 3)
        die("sendmmsg", errno);
    return NULL;
}

static void c_mmsg(void)
{
    int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_storage ss;
    socklen_t sl = mkaddr(AF_INET, "127.0.0.1", 0, &ss);
    bind(b, (struct sockaddr *)&ss, sl);
    sl = mkaddr(AF_INET, "127.0.0.1", port_of(b), &ss);
    connect(a, (struct sockaddr *)&ss, sl);
    pthread_t t = spawn(mmsg_sender, &a);
    char bufs[3][16];
    struct iovec iov[3];
    struct mmsghdr mm[3];
    memset(mm, 0, sizeof mm);
    for (int i = 0; i < 3; i++) {
        iov[i] = (struct iovec){bufs[i], sizeof bufs[i]};
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(b, mm, 3, 0, NULL);
    say("blocking recvmmsg(3), sendmmsg of 3 by another thread: %d [%.*s %.*s %.*s]",
        n, (int)mm[0].msg_len, bufs[0], (int)mm[1].msg_len, bufs[1],
        (int)mm[2].msg_len, bufs[2]);
    join(t);
    /* (Not tested: a recvmmsg timeout is only checked after a datagram
     * arrives, so with nothing sent it blocks forever -- see BUGS in
     * recvmmsg(2).) */
    n = recvmmsg(b, mm, 3, MSG_DONTWAIT, NULL);
    int e = errno;
    say("recvmmsg on an empty socket, MSG_DONTWAIT: %d %s", n, n < 0 ? en(e) : "");
    close(a);
    close(b);
}

/* ---- pool of acceptor threads ---------------------------------------------- */

static atomic_int served;

static void *acceptor(void *arg)
{
    int lfd = *(int *)arg;
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            die("accept", errno);
        char buf[16] = {0};
        ssize_t r = read(fd, buf, sizeof buf - 1);
        if (r == 4 && !memcmp(buf, "STOP", 4)) {
            close(fd);
            return NULL;
        }
        long v = strtol(buf, NULL, 10);
        char out[32];
        int n = snprintf(out, sizeof out, "%ld", v + 1000);
        write(fd, out, n);
        close(fd);
        atomic_fetch_add(&served, 1);
    }
}

struct pool_cli {
    int port, id, ok;
};

static void *pool_client(void *arg)
{
    struct pool_cli *pc = arg;
    int fd = dial(AF_INET, "127.0.0.1", pc->port);
    if (fd < 0)
        return NULL;
    char msg[16], got[32] = {0};
    int n = snprintf(msg, sizeof msg, "%d", pc->id);
    write(fd, msg, n);
    ssize_t r = read(fd, got, sizeof got - 1);
    pc->ok = r > 0 && atoi(got) == pc->id + 1000;
    close(fd);
    return NULL;
}

static void c_acceptor_pool(void)
{
    int l = listen_on(AF_INET, "127.0.0.1", -1);
    atomic_store(&served, 0);
    pthread_t at[4];
    for (int i = 0; i < 4; i++)
        at[i] = spawn(acceptor, &l);
    struct pool_cli pc[20];
    pthread_t ct[20];
    for (int i = 0; i < 20; i++) {
        pc[i] = (struct pool_cli){port_of(l), i, 0};
        ct[i] = spawn(pool_client, &pc[i]);
    }
    int ok = 0;
    for (int i = 0; i < 20; i++) {
        join(ct[i]);
        ok += pc[i].ok;
    }
    for (int i = 0; i < 4; i++) {
        int fd = dial(AF_INET, "127.0.0.1", port_of(l));
        write(fd, "STOP", 4);
        close(fd);
    }
    for (int i = 0; i < 4; i++)
        join(at[i]);
    close(l);
    say("4 acceptor threads on one listener, 20 client threads: %d served, "
        "%d right replies", atomic_load(&served), ok);
}

/* ---- sendfile ----------------------------------------------------------------- */

struct sf {
    int out, in;
    long rc;
    int err;
};

static void *sendfile_fn(void *arg)
{
    struct sf *x = arg;
    off_t off = 0;
    errno = 0;
    x->rc = sendfile(x->out, x->in, &off, 2 * BIG);
    x->err = errno;
    return NULL;
}

static void c_sendfile(void)
{
    FILE *f = tmpfile();
    if (!f)
        die("tmpfile", errno);
    fwrite(big(), 1, 2 * BIG, f);
    fflush(f);
    int c, s;
    tcp_pair(&c, &s);
    struct sf x = {c, fileno(f), 0, 0};
    pthread_t t = spawn(sendfile_fn, &x);
    int ok = read_exact_check(s, 2 * BIG, 65536);
    join(t);
    say("sendfile of an 8 MiB file to a blocking TCP socket: %s, reader got "
        "every byte %s", x.rc == 2 * BIG ? "full count" : x.rc < 0 ? en(x.err) : "SHORT",
        ok ? "in order" : "WRONG");
    close(c);
    close(s);
    fclose(f);
}

/* ---- stdio on sockets ----------------------------------------------------- */

static void *line_server(void *arg)
{
    int fd = *(int *)arg;
    FILE *in = fdopen(fd, "r");
    FILE *out = fdopen(dup(fd), "w");
    char line[128];
    int n = 0;
    while (fgets(line, sizeof line, in)) {
        line[strcspn(line, "\n")] = 0;
        fprintf(out, "%d:%s\n", ++n, line);
        fflush(out);
    }
    fprintf(out, "bye after %d lines\n", n);
    fclose(out);
    fclose(in);
    return NULL;
}

static void c_stdio(void)
{
    int c, s;
    tcp_pair(&c, &s);
    pthread_t t = spawn(line_server, &s);
    FILE *in = fdopen(dup(c), "r");
    char line[128];
    const char *lines[] = {"alpha", "beta", "gamma"};
    for (int i = 0; i < 3; i++) {
        msleep(20);   /* the server sits in fgets meanwhile */
        dprintf(c, "%s\n", lines[i]);
        if (fgets(line, sizeof line, in))
            say("fgets on a socket, reply: %s", strtok(line, "\n"));
        else
            say("fgets on a socket: EOF/%s", en(errno));
    }
    shutdown(c, SHUT_WR);
    if (fgets(line, sizeof line, in))
        say("after SHUT_WR: %s", strtok(line, "\n"));
    say("then fgets: %s", fgets(line, sizeof line, in) ? "more" : "EOF");
    join(t);
    fclose(in);
    close(c);

    int p[2];
    make_pipe(p);
    struct later l;
    pthread_t w = later(&l, p[1], 50, LATER_WRITE);
    FILE *pf = fdopen(p[0], "r");
    int ch = fgetc(pf);
    say("fgetc on a pipe written by another thread: '%c'", ch);
    join(w);
    close(p[1]);
    say("then fgetc: %s", fgetc(pf) == EOF ? "EOF" : "more");
    fclose(pf);
}

/* ---- half close ---------------------------------------------------------- */

/* Read until EOF (or error) into buf, at most size - 1 bytes; NUL-terminate
 * and return how many bytes were read. */
static size_t read_to_eof(int fd, char *buf, size_t size)
{
    size_t have = 0;
    ssize_t r;
    while ((r = read(fd, buf + have, size - 1 - have)) > 0)
        have += (size_t)r;
    buf[have] = 0;
    return have;
}

static void *http10_server(void *arg)
{
    int lfd = *(int *)arg;
    int fd = accept(lfd, NULL, NULL);
    char req[1024];
    size_t have = read_to_eof(fd, req, sizeof req);
    char resp[1200];
    int n = snprintf(resp, sizeof resp, "HTTP/1.0 200 OK\r\n\r\nyou sent %zu bytes",
                     have);
    write(fd, resp, n);
    close(fd);
    return NULL;
}

static void c_half_close(void)
{
    int l = listen_on(AF_INET, "127.0.0.1", -1);
    pthread_t t = spawn(http10_server, &l);
    int c = dial(AF_INET, "127.0.0.1", port_of(l));
    const char *req = "GET / HTTP/1.0\r\nHost: x\r\n\r\n";
    write(c, req, strlen(req));
    shutdown(c, SHUT_WR);
    char resp[256];
    read_to_eof(c, resp, sizeof resp);
    char *body = strstr(resp, "\r\n\r\n");
    say("request, SHUT_WR, read response to EOF: \"%s\"", body ? body + 4 : resp);
    join(t);
    close(c);
    close(l);
}

/* ---- in-process thread-per-connection server under load ------------------ */

static void c_many_conns(void)
{
    int l = listen_on(AF_INET, "127.0.0.1", -1);
    run_echo("thread-per-connection echo, 64 client threads", l, AF_INET,
             "127.0.0.1", 64);
    close(l);
}

static const struct tcase cases[] = {
    {"large", c_large},
    {"waitall", c_waitall},
    {"peek", c_peek},
    {"ipv6", c_ipv6},
    {"dual_stack", c_dual_stack},
    {"cloexec", c_cloexec},
    {"udp_server", c_udp_server},
    {"mmsg", c_mmsg},
    {"acceptor_pool", c_acceptor_pool},
    {"sendfile", c_sendfile},
    {"stdio", c_stdio},
    {"half_close", c_half_close},
    {"many_conns", c_many_conns},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return run_cases(cases, argc, argv, "net_extra");
}
