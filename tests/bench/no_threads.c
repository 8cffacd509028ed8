/* no_threads [PIPE_ROUNDS [ZERO_READS]]: a single-threaded program doing
 * many small I/O calls: PIPE_ROUNDS times (default 500,000) write 1 byte
 * into a pipe and read it back, then ZERO_READS (default 200,000) reads of
 * 1 byte from /dev/zero.  Prints the wall time. */
#include <fcntl.h>
#include <unistd.h>

#include "bench.h"

static long arg_count(int argc, char **argv, int i, long def)
{
    if (argc <= i)
        return def;
    char *end;
    long v = strtol(argv[i], &end, 10);
    if (*end || v < 0) {
        fprintf(stderr, "usage: no_threads [PIPE_ROUNDS [ZERO_READS]]\n");
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    long rounds = arg_count(argc, argv, 1, 500000);
    long zreads = arg_count(argc, argv, 2, 200000);
    int p[2];
    if (pipe(p) < 0) {
        perror("no_threads: pipe");
        return 1;
    }
    int z = open("/dev/zero", O_RDONLY);
    if (z < 0) {
        perror("no_threads: /dev/zero");
        return 1;
    }
    char c = 'x';
    double t0 = now();
    for (long i = 0; i < rounds; i++) {
        if (write(p[1], &c, 1) != 1 || read(p[0], &c, 1) != 1) {
            perror("no_threads: pipe I/O");
            return 1;
        }
    }
    for (long i = 0; i < zreads; i++) {
        if (read(z, &c, 1) != 1 || c != 0) {
            perror("no_threads: /dev/zero read");
            return 1;
        }
    }
    printf("wall s %.3f\n", now() - t0);
    return 0;
}
