/* cpu_bound [MILLIONS]: two threads each run the same fixed integer loop
 * (MILLIONS million steps of a xorshift chain each; the default takes about
 * a second on one core of a 2020s x86_64).  Prints the wall time from the
 * first create to the last join: with two free cores it is about the time of
 * one loop, on one core about twice that. */
#include <pthread.h>
#include <stdint.h>

#include "bench.h"

static long steps = 500L * 1000 * 1000;
static volatile uint64_t sink;

static void *spin(void *arg)
{
    uint64_t x = 0x9e3779b97f4a7c15ull + (uintptr_t)arg, acc = 0;
    for (long i = 0; i < steps; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        acc += x * 0x2545f4914f6cdd1dull;
    }
    sink = acc;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        char *end;
        steps = (long)(strtod(argv[1], &end) * 1e6);
        if (*end || steps <= 0) {
            fprintf(stderr, "usage: cpu_bound [MILLIONS]\n");
            return 2;
        }
    }
    pthread_t t[2];
    double t0 = now();
    for (long i = 0; i < 2; i++)
        CHECK(pthread_create(&t[i], NULL, spin, (void *)i));
    for (int i = 0; i < 2; i++)
        CHECK(pthread_join(t[i], NULL));
    printf("wall s %.3f\n", now() - t0);
    return 0;
}
