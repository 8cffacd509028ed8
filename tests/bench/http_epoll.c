/* http_epoll [-t THREADS] PORT: the hand-written reference for the HTTP
 * benchmark, the way one writes a server for speed: one event loop per core
 * (THREADS, default the CPUs this process may use), each with its own
 * SO_REUSEPORT listener on 127.0.0.1:PORT (the kernel spreads connections
 * over them) and its own epoll set; non-blocking sockets, edge-triggered.
 * Same parser and same response bytes as http_threads (http.h).
 *
 * Per request nothing is allocated: a readable connection is read into the
 * loop's buffer, every complete request in it is answered into the loop's
 * output buffer, and that is written with one write().  Only the rare cases
 * keep state on the connection: a partial request head (kept until the
 * rest arrives), a partial write (kept, with EPOLLOUT, until it drains; the
 * connection is not read meanwhile), a body still to skip.
 *
 * Prints "listening on PORT" once every listener is up, then serves until
 * killed. */
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "http.h"

#define RBUF (64 * 1024)
#define WBUF (64 * 1024)

/* Per connection, indexed by descriptor; all zero for a plain keep-alive
 * connection between requests. */
struct conn {
    char *in;               /* a partial request head, inlen bytes */
    char *out;              /* unwritten reply bytes, from outoff to outlen */
    uint32_t inlen, outoff, outlen;
    uint8_t closing;        /* close once out has drained */
    uint64_t skip;          /* body bytes still to discard */
};

static struct conn *conns;
static rlim_t nconns;

struct loop {
    int ep, ls;
    pthread_t tid;
};

static void conn_close(int fd)
{
    struct conn *c = &conns[fd];
    free(c->in);
    free(c->out);
    memset(c, 0, sizeof *c);
    close(fd);              /* leaves the epoll set: nothing else holds it */
}

/* Write buf[0, n) to fd; keep what does not fit for EPOLLOUT.  0, or -1
 * when the connection is gone. */
static int flush(struct loop *l, int fd, const char *buf, size_t n)
{
    struct conn *c = &conns[fd];
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, buf + done, n - done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                c->out = malloc(n - done);
                if (!c->out)
                    return -1;
                memcpy(c->out, buf + done, n - done);
                c->outoff = 0;
                c->outlen = (uint32_t)(n - done);
                struct epoll_event ev = {.events = EPOLLOUT | EPOLLRDHUP | EPOLLET,
                                         .data.fd = fd};
                epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev);
                return 0;
            }
            return -1;
        }
        done += (size_t)w;
    }
    return 0;
}

/* Answer the requests in buf[0, len) into wbuf; returns the bytes of buf
 * used, sets *close when the connection ends after the reply. */
static size_t answer(struct conn *c, const char *buf, size_t len, char *wbuf,
                     size_t *wlen, int *close_after)
{
    size_t off = 0;
    while (off < len) {
        if (c->skip) {
            size_t d = len - off < c->skip ? len - off : (size_t)c->skip;
            off += d;
            c->skip -= d;
            continue;
        }
        if (*wlen + 256 > WBUF)     /* output full: the rest waits */
            break;
        struct http_req rq;
        long n = http_parse(buf + off, len - off, &rq);
        if (n == 0)
            break;
        size_t rlen;
        const char *resp = http_response(n > 0 ? 200 : (int)-n, &rq, &rlen);
        memcpy(wbuf + *wlen, resp, rlen);
        *wlen += rlen;
        if (n < 0 || !rq.keep_alive) {
            *close_after = 1;
            return len;
        }
        off += (size_t)n;
        c->skip = rq.body_len;
    }
    return off;
}

static void on_readable(struct loop *l, int fd, uint32_t events, char *rbuf,
                        char *wbuf)
{
    struct conn *c = &conns[fd];
    for (;;) {
        size_t len = 0;
        if (c->inlen) {     /* rare: a request head split across reads */
            memcpy(rbuf, c->in, c->inlen);
            len = c->inlen;
            c->inlen = 0;
        }
        int more = 0;       /* the socket may hold more: read again */
        if (len < RBUF) {
            ssize_t r = read(fd, rbuf + len, RBUF - len);
            if (r < 0 && errno == EINTR) {
                c->inlen = (uint32_t)len;
                continue;
            }
            if (r < 0 && errno == EAGAIN) {
                if (!len)
                    return;
                r = 0;      /* nothing new, but kept requests to answer */
            } else if (r <= 0) {
                conn_close(fd);                 /* EOF or error */
                return;
            } else {
                /* Edge-triggered: a short read emptied the socket; more
                 * data, or the peer's FIN, will raise a new event.  A FIN
                 * already seen (EPOLLRDHUP) must be read to the EOF now. */
                more = (size_t)r == RBUF - len
                       || (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR));
            }
            len += (size_t)r;
        } else {
            more = 1;
        }

        size_t wlen = 0, off = 0;
        int close_after = 0;
        for (;;) {
            off += answer(c, rbuf + off, len - off, wbuf, &wlen, &close_after);
            if (close_after || off == len || wlen + 256 <= WBUF)
                break;
            /* a long pipeline filled the output: write, then go on */
            if (flush(l, fd, wbuf, wlen) < 0) {
                conn_close(fd);
                return;
            }
            wlen = 0;
            if (c->out)     /* blocked: keep the requests for later */
                break;
        }
        if (!close_after && off < len) {       /* a partial request head */
            if (!c->in && !(c->in = malloc(RBUF))) {
                conn_close(fd);
                return;
            }
            memcpy(c->in, rbuf + off, len - off);
            c->inlen = (uint32_t)(len - off);
        }
        if (wlen && flush(l, fd, wbuf, wlen) < 0) {
            conn_close(fd);
            return;
        }
        if (close_after) {
            if (c->out)
                c->closing = 1;
            else
                conn_close(fd);
            return;
        }
        if (c->out || !more)    /* wait for EPOLLOUT, or for a new edge */
            return;
    }
}

static void on_writable(struct loop *l, int fd, char *rbuf, char *wbuf)
{
    struct conn *c = &conns[fd];
    while (c->outoff < c->outlen) {
        ssize_t w = write(fd, c->out + c->outoff, c->outlen - c->outoff);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return;
            conn_close(fd);
            return;
        }
        c->outoff += (uint32_t)w;
    }
    free(c->out);
    c->out = NULL;
    c->outoff = c->outlen = 0;
    if (c->closing) {
        conn_close(fd);
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.fd = fd};
    epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev);
    /* Requests that arrived meanwhile, a kept head with more requests
     * behind it, or a FIN, raised no event we acted on: read now, to the
     * EAGAIN (as if EPOLLRDHUP had been seen). */
    on_readable(l, fd, EPOLLIN | EPOLLRDHUP, rbuf, wbuf);
}

static void on_accept(struct loop *l)
{
    for (;;) {
        int fd = accept4(l->ls, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                return;
            perror("http_epoll: accept");
            return;
        }
        if ((rlim_t)fd >= nconns) {
            fprintf(stderr, "http_epoll: descriptor %d over the limit\n", fd);
            close(fd);
            continue;
        }
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.fd = fd};
        if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            perror("http_epoll: epoll_ctl");
            close(fd);
        }
    }
}

static void *loop_run(void *arg)
{
    struct loop *l = arg;
    char *rbuf = malloc(RBUF), *wbuf = malloc(WBUF);
    struct epoll_event evs[512];
    if (!rbuf || !wbuf) {
        perror("http_epoll: malloc");
        exit(1);
    }
    for (;;) {
        int n = epoll_wait(l->ep, evs, 512, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("http_epoll: epoll_wait");
            exit(1);
        }
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            uint32_t e = evs[i].events;
            if (fd == l->ls) {
                on_accept(l);
                continue;
            }
            if (conns[fd].out) {
                if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP))
                    on_writable(l, fd, rbuf, wbuf);
            } else if (e & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) {
                on_readable(l, fd, e, rbuf, wbuf);
            }
        }
    }
    return NULL;
}

static int listener(uint16_t *port)
{
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(*port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0
        || setsockopt(ls, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0
        || bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0
        || listen(ls, 65535) < 0
        || getsockname(ls, (struct sockaddr *)&sa, &sl) < 0) {
        perror("http_epoll: listen");
        exit(1);
    }
    *port = ntohs(sa.sin_port);
    return ls;
}

int main(int argc, char **argv)
{
    int nloops = 0;
    const char *port_arg = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-t") && i + 1 < argc)
            nloops = atoi(argv[++i]);
        else if (!port_arg && argv[i][0] != '-')
            port_arg = argv[i];
        else
            port_arg = NULL, i = argc;
    }
    if (!port_arg || nloops < 0) {
        fprintf(stderr, "usage: http_epoll [-t THREADS] PORT\n");
        return 2;
    }
    if (!nloops) {
        cpu_set_t set;
        nloops = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
    }
    signal(SIGPIPE, SIG_IGN);

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    getrlimit(RLIMIT_NOFILE, &rl);
    nconns = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1 << 20) ? 1 << 20 : rl.rlim_cur;
    conns = calloc(nconns, sizeof *conns);
    struct loop *loops = calloc((size_t)nloops, sizeof *loops);
    if (!conns || !loops) {
        perror("http_epoll: calloc");
        return 1;
    }

    uint16_t port = (uint16_t)atoi(port_arg);
    for (int i = 0; i < nloops; i++) {
        struct loop *l = &loops[i];
        l->ls = listener(&port);        /* the first one fixes port 0 */
        l->ep = epoll_create1(0);
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = l->ls};
        if (l->ep < 0 || epoll_ctl(l->ep, EPOLL_CTL_ADD, l->ls, &ev) < 0) {
            perror("http_epoll: epoll");
            return 1;
        }
    }
    printf("listening on %d\n", port);
    fflush(stdout);
    for (int i = 1; i < nloops; i++)
        CHECK(pthread_create(&loops[i].tid, NULL, loop_run, &loops[i]));
    loop_run(&loops[0]);
}
