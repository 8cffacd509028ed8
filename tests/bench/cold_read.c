/* cold_read THREADS MIB CHUNK_KIB DIR: THREADS threads each read their own
 * MIB MiB file, dropped from the page cache first, from start to end with
 * read() in CHUNK_KIB KiB chunks, while a heartbeat thread sleeps 1 ms at
 * a time.  Prints MB/s over all threads and the heartbeat's worst gap
 * between two wake-ups: under coexec a cold read must park its coroutine
 * (the blocking-call pool), not stop its worker.
 *
 * The files (DIR/cold.N) are written and synced by the first run and kept
 * for the next ones; every run evicts them with posix_fadvise(DONTNEED),
 * which drops clean pages without root (drop_caches would drop every
 * process's cache).  The remark says how much of them was still cached
 * at the start (cachestat, Linux 6.5+; "?" without it): on tmpfs nothing
 * can be dropped and the figure is that of a cached read. */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

static size_t chunk, size;
static int *fds;
static volatile int hb_stop;
static double hb_worst;

static void *reader(void *arg)
{
    int fd = fds[(long)arg];
    char *buf = malloc(chunk);
    size_t total = 0;
    ssize_t r;
    while ((r = read(fd, buf, chunk)) > 0)
        total += r;
    if (r < 0 || total != size) {
        perror("cold_read: read");
        exit(1);
    }
    free(buf);
    return NULL;
}

static void *heartbeat(void *arg)
{
    double last = now();
    while (!hb_stop) {
        sleep_s(0.001);
        double t = now();
        if (t - last > hb_worst)
            hb_worst = t - last;
        last = t;
    }
    return NULL;
}

/* Pages of fd in the page cache, or -1 if the kernel cannot say. */
static long cached_pages(int fd)
{
    struct { uint64_t off, len; } range = {0, 0};
    struct { uint64_t cache, dirty, writeback, evicted, recently_evicted; } cs;
    return syscall(451 /* cachestat */, fd, &range, &cs, 0) == 0 ? (long)cs.cache : -1;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: cold_read THREADS MIB CHUNK_KIB DIR\n");
        return 2;
    }
    int n = atoi(argv[1]);
    size = (size_t)atoi(argv[2]) << 20;
    chunk = (size_t)atoi(argv[3]) << 10;
    if (n < 1 || !size || !chunk || (mkdir(argv[4], 0700) < 0 && errno != EEXIST)) {
        perror("cold_read");
        return 1;
    }
    fds = calloc(n, sizeof *fds);
    char *buf = calloc(1, 1 << 20);
    long cached = 0;
    for (int i = 0; i < n; i++) {
        char p[600];
        snprintf(p, sizeof p, "%s/cold.%d", argv[4], i);
        struct stat st;
        int fresh = stat(p, &st) < 0 || (size_t)st.st_size != size;
        fds[i] = open(p, O_RDWR | O_CREAT | (fresh ? O_TRUNC : 0), 0600);
        if (fds[i] < 0) {
            perror("cold_read: open");
            return 1;
        }
        for (size_t off = 0; fresh && off < size; off += 1 << 20)
            if (write(fds[i], buf, 1 << 20) != 1 << 20) {
                perror("cold_read: write");
                return 1;
            }
        if (fsync(fds[i]) < 0 || posix_fadvise(fds[i], 0, 0, POSIX_FADV_DONTNEED) ||
            lseek(fds[i], 0, SEEK_SET) != 0) {
            perror("cold_read: evict");
            return 1;
        }
        long c = cached_pages(fds[i]);
        cached = cached < 0 || c < 0 ? -1 : cached + c;
    }
    free(buf);
    pthread_t hb, *t = calloc(n, sizeof *t);
    CHECK(pthread_create(&hb, NULL, heartbeat, NULL));
    double t0 = now();
    for (long i = 0; i < n; i++)
        CHECK(pthread_create(&t[i], NULL, reader, (void *)i));
    for (int i = 0; i < n; i++)
        CHECK(pthread_join(t[i], NULL));
    double dt = now() - t0;
    hb_stop = 1;
    CHECK(pthread_join(hb, NULL));
    char c[32] = "?";
    if (cached >= 0)
        snprintf(c, sizeof c, "%.0f%%", 100.0 * cached * 4096 / ((double)size * n));
    printf("MB/s %.0f (%d threads, %zu MiB files, %zu KiB reads, %s cached at start,"
           " heartbeat worst gap %.1f ms)\n", (double)n * size / dt / 1e6, n, size >> 20,
           chunk >> 10, c, hb_worst * 1e3);
    return 0;
}
