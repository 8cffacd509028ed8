/* echo_server: a classic thread-per-connection TCP echo server.
 *
 *   echo_server [--max N] [--bind ADDR] PORT
 *
 * Binds ADDR (default 127.0.0.1; an IPv6 literal such as ::1 works too) on
 * PORT (0 = ephemeral), prints "listening on PORT" once bound, then accepts
 * forever, starting one detached thread with default attributes per
 * connection.  Each thread echoes with read/write until EOF, then closes.
 * With --max N the process exits 0 after N connections have finished,
 * printing "served N connections, B bytes".
 *
 * Nothing here knows about coexec: it is written the way a 1990s daemon is.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long max_conns = -1;
static atomic_long conns_done;
static atomic_long bytes_total;

static void usage(void)
{
    fprintf(stderr, "usage: echo_server [--max N] [--bind ADDR] PORT\n");
    exit(2);
}

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
    char buf[16384];
    long bytes = 0;

    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r == 0)
            break;
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno != ECONNRESET)
                fprintf(stderr, "echo_server: read: %s\n", strerror(errno));
            break;
        }
        if (write_all(fd, buf, (size_t)r) < 0) {
            if (errno != EPIPE && errno != ECONNRESET)
                fprintf(stderr, "echo_server: write: %s\n", strerror(errno));
            break;
        }
        bytes += r;
    }
    close(fd);
    atomic_fetch_add(&bytes_total, bytes);
    long done = atomic_fetch_add(&conns_done, 1) + 1;
    if (max_conns > 0 && done == max_conns) {
        /* Every other connection added its bytes before counting itself
         * done, so the byte total is final here. */
        printf("served %ld connections, %ld bytes\n", done,
               atomic_load(&bytes_total));
        fflush(stdout);
        exit(0);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *bind_addr = "127.0.0.1";
    const char *port = NULL;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--max") && i + 1 < argc) {
            char *end;
            max_conns = strtol(argv[++i], &end, 10);
            if (*end || max_conns <= 0)
                usage();
        } else if (!strcmp(argv[i], "--bind") && i + 1 < argc) {
            bind_addr = argv[++i];
        } else if (argv[i][0] == '-' || port) {
            usage();
        } else {
            port = argv[i];
        }
    }
    if (!port)
        usage();

    signal(SIGPIPE, SIG_IGN);

    /* A daemon expecting many clients raises its descriptor limit. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    struct addrinfo hints = {0}, *ai;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    int rc = getaddrinfo(bind_addr, port, &hints, &ai);
    if (rc != 0) {
        fprintf(stderr, "echo_server: %s port %s: %s\n", bind_addr, port,
                gai_strerror(rc));
        return 2;
    }
    int lfd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (lfd < 0) {
        perror("echo_server: socket");
        return 1;
    }
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, ai->ai_addr, ai->ai_addrlen) < 0) {
        perror("echo_server: bind");
        return 1;
    }
    freeaddrinfo(ai);
    if (listen(lfd, 65535) < 0) {
        perror("echo_server: listen");
        return 1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(lfd, (struct sockaddr *)&ss, &sl);
    int bound = ss.ss_family == AF_INET6
        ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
        : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    printf("listening on %d\n", bound);
    fflush(stdout);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);

    for (;;) {
        int cfd = accept(lfd, NULL, NULL);
        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOMEM) {
                fprintf(stderr, "echo_server: accept: %s (retrying)\n",
                        strerror(errno));
                struct timespec ts = {0, 10 * 1000 * 1000};
                nanosleep(&ts, NULL);
                continue;
            }
            perror("echo_server: accept");
            return 1;
        }
        pthread_t t;
        rc = pthread_create(&t, &attr, serve, (void *)(intptr_t)cfd);
        if (rc != 0) {
            fprintf(stderr, "echo_server: pthread_create: %s\n", strerror(rc));
            close(cfd);
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
}
