/* file_write THREADS CHUNK_KIB [MIB]: THREADS threads each write a file
 * of their own, MIB MiB (default 4), with pwrite in chunks of CHUNK_KIB
 * KiB, three times over.  Prints MB/s over all threads, and the CPU time
 * per write: what a buffered write (a copy into the page cache) costs
 * through coexec.  Files of their own: threads writing one file queue on
 * its inode lock, which measures the lock.  The files are unlinked at
 * once; their dirty pages go with them at exit, before writeback could
 * make a run wait. */
#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"

static size_t chunk, size;

static void *writer(void *arg)
{
    char tmpl[512];
    tmp_template(tmpl, sizeof tmpl, "coexec-bench");
    int fd = mkstemp(tmpl);
    if (fd < 0) {
        perror("file_write: mkstemp");
        exit(1);
    }
    unlink(tmpl);
    char *buf = malloc(chunk);
    memset(buf, 'a' + (int)(long)arg % 26, chunk);
    for (int pass = 0; pass < 3; pass++)
        for (size_t off = 0; off < size; off += chunk)
            if (pwrite(fd, buf, chunk, off) != (ssize_t)chunk) {
                perror("file_write: pwrite");
                exit(1);
            }
    free(buf);
    close(fd);
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
        fprintf(stderr, "usage: file_write THREADS CHUNK_KIB [MIB]\n");
        return 2;
    }
    int n = atoi(argv[1]);
    chunk = (size_t)atoi(argv[2]) << 10;
    size = (size_t)(argc > 3 ? atoi(argv[3]) : 4) << 20;
    if (n < 1 || !chunk || size % chunk) {
        fprintf(stderr, "file_write: bad arguments\n");
        return 2;
    }
    pthread_t *t = calloc(n, sizeof *t);
    double t0 = now(), c0 = cpu_s();
    for (long i = 0; i < n; i++)
        CHECK(pthread_create(&t[i], NULL, writer, (void *)i));
    for (int i = 0; i < n; i++)
        CHECK(pthread_join(t[i], NULL));
    double dt = now() - t0, cpu = cpu_s() - c0;
    double writes = 3.0 * n * (size / chunk);
    printf("MB/s %.0f (%d threads, %zu KiB writes, CPU %.0f ns/write)\n",
           3.0 * n * size / dt / 1e6, n, chunk >> 10, cpu * 1e9 / writes);
    return 0;
}
