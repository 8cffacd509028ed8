/* http_threads PORT: a thread-per-connection HTTP/1.1 keep-alive server,
 * written the way a legacy daemon is: main() accepts in a loop and starts
 * one detached thread with default attributes per connection; the thread
 * reads requests with read() into a buffer on its stack, answers each with
 * write() (a fixed 13-byte body, see http.h) and loops until EOF, an error,
 * "Connection: close" or an HTTP/1.0 request without keep-alive.
 *
 * Binds 127.0.0.1:PORT (0 = ephemeral), prints "listening on PORT" once
 * listening, then serves until killed.  Problems (a thread that cannot be
 * started, accept errors) go to standard error.  Nothing here knows about
 * coexec. */
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "http.h"

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void *serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[HTTP_MAX_HEAD];
    size_t len = 0;         /* bytes in buf */
    uint64_t skip = 0;      /* body bytes still to discard */

    for (;;) {
        /* Answer every complete request in the buffer (pipelining). */
        size_t off = 0;
        for (;;) {
            if (skip) {
                size_t d = len - off < skip ? len - off : (size_t)skip;
                off += d;
                skip -= d;
                if (skip)
                    break;
            }
            struct http_req rq;
            long n = http_parse(buf + off, len - off, &rq);
            if (n == 0)
                break;
            size_t rlen;
            const char *resp = http_response(n > 0 ? 200 : (int)-n, &rq, &rlen);
            if (write_all(fd, resp, rlen) < 0) {
                if (errno != EPIPE && errno != ECONNRESET)
                    perror("http_threads: write");
                goto out;
            }
            if (n < 0 || !rq.keep_alive)
                goto out;
            off += (size_t)n;
            skip = rq.body_len;
        }
        if (off) {
            memmove(buf, buf + off, len - off);
            len -= off;
        }

        ssize_t r = read(fd, buf + len, sizeof buf - len);
        if (r == 0)
            break;
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno != ECONNRESET)
                perror("http_threads: read");
            break;
        }
        len += (size_t)r;
    }
out:
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: http_threads PORT\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    /* A daemon expecting many clients raises its descriptor limit. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)atoi(argv[1])),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0
        || bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0
        || listen(ls, 65535) < 0
        || getsockname(ls, (struct sockaddr *)&sa, &sl) < 0) {
        perror("http_threads: listen");
        return 1;
    }
    printf("listening on %d\n", ntohs(sa.sin_port));
    fflush(stdout);

    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            perror("http_threads: accept");
            if (errno == EMFILE || errno == ENFILE || errno == ENOMEM
                || errno == ENOBUFS) {
                sleep_s(0.01);  /* wait for connections to end */
                continue;
            }
            return 1;
        }
        pthread_t t;
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&t, &a, serve, (void *)(intptr_t)fd);
        pthread_attr_destroy(&a);
        if (rc) {
            fprintf(stderr, "http_threads: pthread_create: %s\n", strerror(rc));
            close(fd);
        }
    }
}
