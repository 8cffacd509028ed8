/* blocked_memory N: starts N threads (default attributes) that all block in
 * read() on one pipe, and once all are blocked prints how much the system's
 * MemAvailable dropped since before the first create, per thread, and the
 * process's VmRSS and VmPTE (page tables); then writes N bytes (one for
 * each reader) and joins them.  The MemAvailable drop counts what VmRSS
 * does not (kernel stacks, task structures, page tables) but is
 * system-wide: anything else running moves it.  The growth of VmRSS +
 * VmPTE per thread is the process's own share, without the kernel's
 * per-thread structures.  Output, one line:
 *   KiB/thread 28.3 (MemAvailable drop 283000 KiB; VmRSS 84000 KiB,
 *   VmPTE 40000 KiB, RSS+PTE growth 11.9 KiB/thread; 10000 threads) */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "bench.h"

static int p[2];
static atomic_long arrived;

static long field_kib(const char *file, const char *key)
{
    FILE *f = fopen(file, "r");
    char line[256];
    long v = -1;
    size_t k = strlen(key);
    if (!f) {
        perror(file);
        exit(1);
    }
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, k) && line[k] == ':') {
            v = strtol(line + k + 1, NULL, 10);
            break;
        }
    fclose(f);
    if (v < 0) {
        fprintf(stderr, "blocked_memory: no %s in %s\n", key, file);
        exit(1);
    }
    return v;
}

static void *reader(void *arg)
{
    char c;
    atomic_fetch_add(&arrived, 1);
    ssize_t r = read(p[0], &c, 1);
    if (r != 1) {
        fprintf(stderr, "blocked_memory: read returned %zd: %s\n", r,
                r < 0 ? strerror(errno) : "EOF");
        exit(1);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10000;
    if (n < 1) {
        fprintf(stderr, "usage: blocked_memory N\n");
        return 2;
    }
    if (pipe(p) < 0) {
        perror("blocked_memory: pipe");
        return 1;
    }
    pthread_t *t = calloc((size_t)n, sizeof *t);
    if (!t) {
        perror("blocked_memory: calloc");
        return 1;
    }
    /* Let memory freed late by whatever ran before (a previous run's
     * threads) come back first: wait, up to 2 s, for MemAvailable to stay
     * within 1 MiB over 100 ms. */
    long avail0 = field_kib("/proc/meminfo", "MemAvailable");
    for (int i = 0; i < 20; i++) {
        sleep_s(0.1);
        long a = field_kib("/proc/meminfo", "MemAvailable");
        long d = a - avail0;
        avail0 = a;
        if (d < 1024 && d > -1024)
            break;
    }
    long rss0 = field_kib("/proc/self/status", "VmRSS");
    long pte0 = field_kib("/proc/self/status", "VmPTE");
    for (long i = 0; i < n; i++)
        CHECK(pthread_create(&t[i], NULL, reader, NULL));
    while (atomic_load(&arrived) < n)
        sleep_s(0.01);
    sleep_s(0.3);            /* let the last arrivals reach read() */
    long rss = field_kib("/proc/self/status", "VmRSS");
    long pte = field_kib("/proc/self/status", "VmPTE");
    long avail1 = field_kib("/proc/meminfo", "MemAvailable");
    double per = (double)(avail0 - avail1) / n;
    printf("KiB/thread %.1f (MemAvailable drop %ld KiB; VmRSS %ld KiB, VmPTE %ld KiB, "
           "RSS+PTE growth %.1f KiB/thread; %ld threads)\n", per, avail0 - avail1, rss, pte,
           (double)(rss - rss0 + pte - pte0) / n, n);
    fflush(stdout);

    char buf[4096];
    memset(buf, 'x', sizeof buf);
    for (long left = n; left > 0;) {
        ssize_t w = write(p[1], buf, left < (long)sizeof buf ? (size_t)left : sizeof buf);
        if (w < 0) {
            perror("blocked_memory: write");
            return 1;
        }
        left -= w;
    }
    for (long i = 0; i < n; i++)
        CHECK(pthread_join(t[i], NULL));
    return 0;
}
