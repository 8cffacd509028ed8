/* echo_client: drives an echo server with many concurrent connections and
 * checks that every byte comes back.  Single-threaded, epoll, non-blocking,
 * so it scales to tens of thousands of connections natively.
 *
 *   echo_client [options] PORT
 *     -c, --conns N      concurrent connections (default 1)
 *     -b, --bytes N      bytes per round on each connection (default 1000)
 *     -r, --rounds N     send/echo rounds per connection (default 1)
 *     --host ADDR        server address (default 127.0.0.1; ::1 works)
 *     --parallel N       connections still connecting or in their first
 *                        round at once (default 1000; keeps the server's
 *                        accept queue from overflowing)
 *     --hold S           when every connection has finished its rounds,
 *                        print "holding", keep them all open S seconds
 *     --duration S       rate mode: after the first round, ping-pong
 *                        messages of --bytes on every connection for S
 *                        seconds and print the request rate
 *     --timeout S        give up (exit 1) after S seconds (default 120)
 *
 * Every connection sends its own deterministic byte pattern.  On success
 * prints "ok C connections, B bytes" (B = bytes echoed and verified) and
 * exits 0; on any mismatch or error prints a message on stderr, exits 1.
 */
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { ST_IDLE, ST_RETRY, ST_CONNECTING, ST_ECHO, ST_DONE, ST_CLOSED };

struct conn {
    int fd;
    int state;
    int tries;
    long round;      /* rounds completed */
    long target;     /* rounds to do */
    size_t sent, recvd;
    double retry_at;
};

static struct conn *conns;
static long nconns = 1, nbytes = 1000, nrounds = 1, parallel = 1000;
static double hold_s = -1, duration_s = -1, timeout_s = 120;
static const char *host = "127.0.0.1";
static struct addrinfo *server;
static int ep;
static long inflight, started, finished;   /* first-phase accounting */
static long nretry;                        /* connections in ST_RETRY */
static long long bytes_ok, requests;
static int rate_phase;
static double rate_end;

#define MAX_TRIES 10
#define RETRY_DELAY 0.1

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: echo_client [-c CONNS] [-b BYTES] [-r ROUNDS] [--host ADDR]\n"
            "                   [--parallel N] [--hold S] [--duration S]\n"
            "                   [--timeout S] PORT\n");
    exit(2);
}

static void die_conn(long i, const char *what, int err)
{
    fprintf(stderr, "echo_client: connection %ld: %s%s%s\n", i, what,
            err ? ": " : "", err ? strerror(err) : "");
    exit(1);
}

static inline unsigned char pattern(long c, long round, size_t i)
{
    return (unsigned char)(i * 251u + (i >> 8) * 7u + (size_t)c * 17u +
                           (size_t)round * 101u + 1u);
}

static void first_phase_done(struct conn *c)
{
    (void)c;
    inflight--;
    finished++;
}

static void close_conn(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = ST_CLOSED;
}

/* Start (or restart) the connection attempt for c. */
static void start_connect(long i)
{
    struct conn *c = &conns[i];
    c->tries++;
    c->fd = socket(server->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd < 0)
        die_conn(i, "socket", errno);
    c->state = ST_CONNECTING;
    int r = connect(c->fd, server->ai_addr, server->ai_addrlen);
    int e = errno;
    if (r == 0 || e == EINPROGRESS) {
        /* Registered after connect(): an unconnected socket would report
         * EPOLLOUT|EPOLLHUP at once.  A connected one reports EPOLLOUT on
         * registration, which drives it. */
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET,
                                 .data.u64 = (uint64_t)i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
            die_conn(i, "epoll_ctl", errno);
        return;
    }
    if (e == ECONNREFUSED || e == EAGAIN || e == EADDRNOTAVAIL ||
        e == ETIMEDOUT || e == ECONNRESET) {
        if (c->tries >= MAX_TRIES)
            die_conn(i, "connect", e);
        close(c->fd);
        c->fd = -1;
        c->state = ST_RETRY;
        c->retry_at = now() + RETRY_DELAY;
        nretry++;
        return;
    }
    die_conn(i, "connect", e);
}

/* Push rounds forward until the socket would block.  Returns 1 when all
 * rounds are done. */
static int progress(long i)
{
    struct conn *c = &conns[i];
    unsigned char buf[16384];

    while (c->round < c->target) {
        while (c->sent < (size_t)nbytes) {
            size_t n = (size_t)nbytes - c->sent;
            if (n > sizeof buf)
                n = sizeof buf;
            for (size_t k = 0; k < n; k++)
                buf[k] = pattern(i, c->round, c->sent + k);
            ssize_t w = send(c->fd, buf, n, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    break;
                die_conn(i, "send", errno);
            }
            c->sent += (size_t)w;
        }
        while (c->recvd < c->sent) {
            size_t n = c->sent - c->recvd;
            if (n > sizeof buf)
                n = sizeof buf;
            ssize_t r = recv(c->fd, buf, n, 0);
            if (r == 0)
                die_conn(i, "unexpected EOF from server", 0);
            if (r < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    break;
                die_conn(i, "recv", errno);
            }
            for (ssize_t k = 0; k < r; k++) {
                if (buf[k] != pattern(i, c->round, c->recvd + (size_t)k)) {
                    fprintf(stderr,
                            "echo_client: connection %ld round %ld byte %zu: "
                            "got %u, want %u\n", i, c->round,
                            c->recvd + (size_t)k, buf[k],
                            pattern(i, c->round, c->recvd + (size_t)k));
                    exit(1);
                }
            }
            c->recvd += (size_t)r;
        }
        if (c->recvd < (size_t)nbytes)
            return 0;
        c->round++;
        c->sent = c->recvd = 0;
        bytes_ok += nbytes;
        if (rate_phase) {
            requests++;
            if (now() >= rate_end)
                c->target = c->round;
            else
                c->target = c->round + 1;
        }
    }
    return 1;
}

static void handle(long i, uint32_t events)
{
    struct conn *c = &conns[i];
    if (c->state == ST_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            die_conn(i, "getsockopt", errno);
        if (err == 0 && !(events & EPOLLOUT))
            return;   /* not yet */
        if (err) {
            if ((err == ECONNREFUSED || err == ETIMEDOUT ||
                 err == ECONNRESET) && c->tries < MAX_TRIES) {
                close(c->fd);
                c->fd = -1;
                c->state = ST_RETRY;
                c->retry_at = now() + RETRY_DELAY;
                nretry++;
                return;
            }
            die_conn(i, "connect", err);
        }
        c->state = ST_ECHO;
    }
    if (c->state != ST_ECHO)
        return;
    if (progress(i)) {
        c->state = ST_DONE;
        first_phase_done(c);
        if (hold_s < 0 && duration_s < 0)
            close_conn(c);
    }
}

static void loop_until(int (*cond)(void), double deadline)
{
    struct epoll_event evs[1024];
    while (!cond()) {
        double t = now();
        if (t > deadline) {
            fprintf(stderr, "echo_client: timed out: %ld of %ld connections "
                    "done\n", finished, nconns);
            exit(1);
        }
        /* Start new connections, keeping at most `parallel` in flight. */
        while (started < nconns && inflight < parallel) {
            conns[started].target = nrounds;
            inflight++;
            start_connect(started);
            started++;
        }
        /* Restart the ones whose retry delay is over. */
        int tmo = 1000;
        for (long i = 0; nretry > 0 && i < started; i++) {
            if (conns[i].state != ST_RETRY)
                continue;
            if (conns[i].retry_at <= t) {
                nretry--;
                start_connect(i);
            }
            else if ((conns[i].retry_at - t) * 1000 + 1 < tmo)
                tmo = (int)((conns[i].retry_at - t) * 1000) + 1;
        }
        int n = epoll_wait(ep, evs, 1024, tmo);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("echo_client: epoll_wait");
            exit(1);
        }
        for (int k = 0; k < n; k++)
            handle((long)evs[k].data.u64, evs[k].events);
    }
}

static int all_first_done(void)
{
    return finished == nconns;
}

static long rate_done;

static long parse_long(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < 0)
        usage();
    return v;
}

static double parse_double(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (*end || v < 0)
        usage();
    return v;
}

int main(int argc, char **argv)
{
    const char *port = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if ((!strcmp(a, "-c") || !strcmp(a, "--conns")) && has)
            nconns = parse_long(argv[++i]);
        else if ((!strcmp(a, "-b") || !strcmp(a, "--bytes")) && has)
            nbytes = parse_long(argv[++i]);
        else if ((!strcmp(a, "-r") || !strcmp(a, "--rounds")) && has)
            nrounds = parse_long(argv[++i]);
        else if (!strcmp(a, "--host") && has)
            host = argv[++i];
        else if (!strcmp(a, "--parallel") && has)
            parallel = parse_long(argv[++i]);
        else if (!strcmp(a, "--hold") && has)
            hold_s = parse_double(argv[++i]);
        else if (!strcmp(a, "--duration") && has)
            duration_s = parse_double(argv[++i]);
        else if (!strcmp(a, "--timeout") && has)
            timeout_s = parse_double(argv[++i]);
        else if (a[0] == '-' || port)
            usage();
        else
            port = a;
    }
    if (!port || nconns < 1 || nbytes < 1 || nrounds < 1 || parallel < 1)
        usage();

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (rlim_t)nconns + 16 > rl.rlim_cur) {
        fprintf(stderr, "echo_client: %ld connections need more than the "
                "descriptor limit %lu\n", nconns, (unsigned long)rl.rlim_cur);
        return 1;
    }

    struct addrinfo hints = {0};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    int rc = getaddrinfo(host, port, &hints, &server);
    if (rc != 0) {
        fprintf(stderr, "echo_client: %s port %s: %s\n", host, port,
                gai_strerror(rc));
        return 2;
    }

    conns = calloc((size_t)nconns, sizeof *conns);
    if (!conns) {
        perror("echo_client: calloc");
        return 1;
    }
    for (long i = 0; i < nconns; i++) {
        conns[i].fd = -1;
        conns[i].state = ST_IDLE;
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        perror("echo_client: epoll_create1");
        return 1;
    }

    double deadline = now() + timeout_s;
    loop_until(all_first_done, deadline);

    if (duration_s >= 0) {
        rate_phase = 1;
        double t0 = now();
        rate_end = t0 + duration_s;
        long long bytes_before = bytes_ok;
        for (long i = 0; i < nconns; i++) {
            conns[i].target = conns[i].round + 1;
            conns[i].state = ST_ECHO;
            if (progress(i)) {
                conns[i].state = ST_DONE;
                rate_done++;
            }
        }
        /* handle() marks a connection ST_DONE when its target is reached;
         * count those through a tiny wrapper loop. */
        struct epoll_event evs[1024];
        while (rate_done < nconns) {
            double t = now();
            if (t > deadline + duration_s) {
                fprintf(stderr, "echo_client: timed out in rate phase\n");
                return 1;
            }
            /* After the deadline each connection finishes the round it is
             * in and stops; the events of those rounds end the wait. */
            int tmo = (int)((rate_end - t) * 1000) + 1;
            if (tmo <= 0 || tmo > 1000)
                tmo = 1000;
            int n = epoll_wait(ep, evs, 1024, tmo);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                perror("echo_client: epoll_wait");
                return 1;
            }
            for (int k = 0; k < n; k++) {
                long i = (long)evs[k].data.u64;
                if (conns[i].state != ST_ECHO)
                    continue;
                if (progress(i)) {
                    conns[i].state = ST_DONE;
                    rate_done++;
                }
            }
        }
        double el = now() - t0;
        printf("requests %lld in %.3f s, %.0f req/s, %.1f MB/s\n", requests,
               el, requests / el, (bytes_ok - bytes_before) / el / 1e6);
    }

    if (hold_s >= 0) {
        printf("holding\n");
        fflush(stdout);
        struct timespec ts = {(time_t)hold_s,
                              (long)((hold_s - (time_t)hold_s) * 1e9)};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
    }
    for (long i = 0; i < nconns; i++)
        if (conns[i].fd >= 0)
            close_conn(&conns[i]);

    printf("ok %ld connections, %lld bytes\n", nconns, bytes_ok);
    return 0;
}
