/* many_threads: N threads block in read() on one shared pipe; main then
 * writes N bytes, each thread reads exactly one byte and returns a value,
 * main joins them all and checks the sum.
 *
 *   many_threads N [--pause MS]
 *
 * With --pause, main prints "created N" once every thread exists, sleeps
 * MS milliseconds (time for a test to look at /proc/PID/task while all of
 * them are blocked), then writes.  Prints "joined N" and exits 0.
 * Threads use default attributes.  Natively N is capped by pid_max and
 * memory; under coexec it is not.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int pfd[2];

static void usage(void)
{
    fprintf(stderr, "usage: many_threads N [--pause MS]\n");
    exit(2);
}

static void *reader(void *arg)
{
    intptr_t id = (intptr_t)arg;
    unsigned char c;
    ssize_t r;
    while ((r = read(pfd[0], &c, 1)) < 0 && errno == EINTR)
        ;
    if (r != 1 || c != 1)
        return (void *)(intptr_t)-1;
    return (void *)(id + 1);
}

static void write_bytes(long n)
{
    static unsigned char ones[4096];
    memset(ones, 1, sizeof ones);
    while (n > 0) {
        size_t k = n > (long)sizeof ones ? sizeof ones : (size_t)n;
        ssize_t w = write(pfd[1], ones, k);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            perror("many_threads: write");
            exit(1);
        }
        n -= w;
    }
}

int main(int argc, char **argv)
{
    long n = -1, pause_ms = -1;
    for (int i = 1; i < argc; i++) {
        char *end;
        if (!strcmp(argv[i], "--pause") && i + 1 < argc) {
            pause_ms = strtol(argv[++i], &end, 10);
            if (*end || pause_ms < 0)
                usage();
        } else if (n < 0) {
            n = strtol(argv[i], &end, 10);
            if (*end || n < 1)
                usage();
        } else {
            usage();
        }
    }
    if (n < 1)
        usage();

    if (pipe(pfd) < 0) {
        perror("many_threads: pipe");
        return 1;
    }
    pthread_t *t = malloc(sizeof *t * (size_t)n);
    if (!t) {
        perror("many_threads: malloc");
        return 1;
    }
    long created = 0;
    int failed = 0;
    for (; created < n; created++) {
        int rc = pthread_create(&t[created], NULL, reader,
                                (void *)(intptr_t)created);
        if (rc) {
            fprintf(stderr, "many_threads: pthread_create #%ld: %s\n",
                    created + 1, strerror(rc));
            failed = 1;
            break;
        }
    }
    if (!failed && pause_ms >= 0) {
        printf("created %ld\n", created);
        fflush(stdout);
        struct timespec ts = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
    }
    write_bytes(created);

    long long sum = 0, want = (long long)created * (created + 1) / 2;
    long bad = 0;
    for (long i = 0; i < created; i++) {
        void *ret;
        int rc = pthread_join(t[i], &ret);
        if (rc) {
            fprintf(stderr, "many_threads: pthread_join: %s\n", strerror(rc));
            return 1;
        }
        if ((intptr_t)ret != i + 1)
            bad++;
        sum += (intptr_t)ret;
    }
    if (failed)
        return 1;
    if (sum != want || bad) {
        fprintf(stderr, "many_threads: %ld threads returned a wrong value "
                "(sum %lld, want %lld)\n", bad, sum, want);
        return 1;
    }
    printf("joined %ld\n", created);
    return 0;
}
