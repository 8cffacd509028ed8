/* file_read THREADS CHUNK_KIB [MIB]: THREADS threads each read the same
 * cached MIB MiB file (default 64) from start to end with pread in chunks
 * of CHUNK_KIB KiB, three times.  Prints MB/s over all threads, and the
 * CPU time per read: what a page-cache hit costs through coexec's
 * inline-first read. */
#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"

static int fd;
static size_t chunk, size;

static void *reader(void *arg)
{
    char *buf = malloc(chunk);
    for (int pass = 0; pass < 3; pass++)
        for (size_t off = 0; off < size; off += chunk)
            if (pread(fd, buf, chunk, off) <= 0) {
                perror("file_read: pread");
                exit(1);
            }
    free(buf);
    return NULL;
}

static double cpu_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: file_read THREADS CHUNK_KIB [MIB]\n");
        return 2;
    }
    int n = atoi(argv[1]);
    chunk = (size_t)atoi(argv[2]) << 10;
    size = (size_t)(argc > 3 ? atoi(argv[3]) : 64) << 20;
    char tmpl[512];
    tmp_template(tmpl, sizeof tmpl, "coexec-bench");
    fd = mkstemp(tmpl);
    if (fd < 0 || n < 1 || !chunk) {
        perror("file_read");
        return 1;
    }
    unlink(tmpl);
    char *buf = calloc(1, 1 << 20);
    for (size_t off = 0; off < size; off += 1 << 20)
        if (write(fd, buf, 1 << 20) != 1 << 20) {
            perror("file_read: write");
            return 1;
        }
    free(buf);
    pthread_t *t = calloc(n, sizeof *t);
    double t0 = now(), c0 = cpu_s();
    for (int i = 0; i < n; i++)
        CHECK(pthread_create(&t[i], NULL, reader, NULL));
    for (int i = 0; i < n; i++)
        CHECK(pthread_join(t[i], NULL));
    double dt = now() - t0, cpu = cpu_s() - c0;
    printf("MB/s %.0f (%d threads, %zu KiB reads, CPU %.0f ns/read)\n", 3.0 * n * size / dt / 1e6,
           n, chunk >> 10, cpu * 1e9 / (3.0 * n * (size / chunk)));
    return 0;
}
