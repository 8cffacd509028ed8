/* stall CASE: a thread that holds its worker while another waits to run,
 * for the stall monitor (tests/bats/stall.bats). The output is the same
 * natively and under coexec; what differs is the debug log's "stall"
 * lines and the statistics' "stalls:" count, which the suite checks.
 *
 *   spin       one thread computes for 300 ms while a ticker sleeps 10 ms
 *              at a time: one stall, "computing"
 *   rawsleep   one thread sleeps 200 ms in a raw syscall(SYS_nanosleep),
 *              which coexec does not park: "in system call 35 (nanosleep)"
 *   repeat     the same thread computes for 60 ms five times, from one
 *              place: five stalls, one line
 *   busy_ok    four threads each do 200 rounds of 0.2 ms of work and a
 *              1 ms sleep: switches all the time, no stall */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void compute(double seconds)
{
    double t0 = now();
    volatile unsigned long x = 0;
    while (now() - t0 < seconds)
        x++;
}

static volatile int stop;
static int ticks;

static void *ticker(void *arg)
{
    while (!stop) {
        usleep(10000);
        __atomic_add_fetch(&ticks, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void *spin(void *arg)
{
    compute(0.3);
    return NULL;
}

static void *rawsleep(void *arg)
{
    struct timespec ts = {0, 200 * 1000000L};
    syscall(SYS_nanosleep, &ts, NULL);
    return NULL;
}

static void *repeat(void *arg)
{
    for (int i = 0; i < 5; i++) {
        compute(0.06);
        usleep(20000);
    }
    return NULL;
}

static void *worker(void *arg)
{
    for (int i = 0; i < 200; i++) {
        compute(0.0002);
        usleep(1000);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    void *(*fn)(void *) = NULL;
    const char *c = argc > 1 ? argv[1] : "";
    if (!strcmp(c, "spin"))
        fn = spin;
    else if (!strcmp(c, "rawsleep"))
        fn = rawsleep;
    else if (!strcmp(c, "repeat"))
        fn = repeat;
    else if (strcmp(c, "busy_ok")) {
        fprintf(stderr, "usage: stall spin|rawsleep|repeat|busy_ok\n");
        return 2;
    }
    pthread_t tk, t[4];
    pthread_create(&tk, NULL, ticker, NULL);
    usleep(30000);
    int n = fn ? 1 : 4;
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, fn ? fn : worker, NULL);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    stop = 1;
    pthread_join(tk, NULL);
    printf("%s: done, ticker ticked: %s\n", c, ticks > 0 ? "yes" : "no");
    return 0;
}
