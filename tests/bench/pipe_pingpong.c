/* pipe_pingpong [SECONDS]: two threads bounce one byte over two pipes for
 * SECONDS (default 2).  Prints round trips/s. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "bench.h"

static int ab[2], ba[2];     /* A -> B, B -> A */
static atomic_int stop;
static long rounds;

static void *ping(void *arg)
{
    char c = 'x';
    long n = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1) {
            perror("pipe_pingpong: ping");
            exit(1);
        }
        n++;
    }
    close(ab[1]);            /* B reads EOF and ends */
    rounds = n;
    return NULL;
}

static void *pong(void *arg)
{
    char c;
    ssize_t r;
    while ((r = read(ab[0], &c, 1)) == 1) {
        if (write(ba[1], &c, 1) != 1) {
            perror("pipe_pingpong: pong write");
            exit(1);
        }
    }
    if (r < 0) {
        perror("pipe_pingpong: pong read");
        exit(1);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    double dur = arg_seconds(argc, argv, 2);
    if (pipe(ab) < 0 || pipe(ba) < 0) {
        perror("pipe_pingpong: pipe");
        return 1;
    }
    pthread_t a, b;
    double t0 = now();
    CHECK(pthread_create(&b, NULL, pong, NULL));
    CHECK(pthread_create(&a, NULL, ping, NULL));
    sleep_s(dur);
    atomic_store(&stop, 1);
    CHECK(pthread_join(a, NULL));
    CHECK(pthread_join(b, NULL));
    double el = now() - t0;
    printf("round trips/s %.0f\n", rounds / el);
    return 0;
}
