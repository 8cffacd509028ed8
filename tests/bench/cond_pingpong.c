/* cond_pingpong [SECONDS]: two threads take turns through one mutex, a turn
 * variable and two condition variables for SECONDS (default 2).  Prints
 * round trips/s (one round trip = ping to the second thread and back). */
#include <pthread.h>
#include <stdatomic.h>

#include "bench.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t to_a = PTHREAD_COND_INITIALIZER;
static pthread_cond_t to_b = PTHREAD_COND_INITIALIZER;
static int turn;             /* 0: A's, 1: B's, 2: B must quit */
static atomic_int stop;
static long rounds;

static void *ping(void *arg)
{
    long n = 0;
    pthread_mutex_lock(&mu);
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        turn = 1;
        pthread_cond_signal(&to_b);
        while (turn != 0)
            pthread_cond_wait(&to_a, &mu);
        n++;
    }
    turn = 2;
    pthread_cond_signal(&to_b);
    pthread_mutex_unlock(&mu);
    rounds = n;
    return NULL;
}

static void *pong(void *arg)
{
    pthread_mutex_lock(&mu);
    for (;;) {
        while (turn == 0)
            pthread_cond_wait(&to_b, &mu);
        if (turn == 2)
            break;
        turn = 0;
        pthread_cond_signal(&to_a);
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

int main(int argc, char **argv)
{
    double dur = arg_seconds(argc, argv, 2);
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
