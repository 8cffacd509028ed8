/* mutex_handoff [SECONDS]: two threads hand contended mutexes back and
 * forth for SECONDS (default 2).  Prints hand-offs/s.
 *
 * Hand-over-hand around a ring of three mutexes: each thread holds one,
 * locks the next, then unlocks the one it held.  The threads start on
 * neighbouring mutexes, so each lock is of the mutex the other thread
 * holds and releases only after its own next lock has succeeded: the two
 * move in lock-step, every mutex alternates between them, and each
 * acquisition waits for a release by the other thread (a hand-off).  Only
 * pthread_mutex_lock/unlock do the waiting: no spinning, no condition
 * variables.  A lock is tried first with pthread_mutex_trylock, to count
 * the acquisitions that found the mutex still held and had to wait:
 * printed as "contended N%". */
#include <pthread.h>
#include <stdatomic.h>

#include "bench.h"

static pthread_mutex_t ring[3] = {PTHREAD_MUTEX_INITIALIZER,
                                  PTHREAD_MUTEX_INITIALIZER,
                                  PTHREAD_MUTEX_INITIALIZER};
static pthread_barrier_t ready;
static atomic_int stop;
static long count[2], busy[2];

static void *run(void *arg)
{
    int me = (int)(long)arg;
    int held = me;               /* thread 0 starts on ring[0], 1 on ring[1] */
    long n = 0, b = 0;
    pthread_mutex_lock(&ring[held]);
    pthread_barrier_wait(&ready);
    /* Thread 1 leads: it takes the free ring[2] first; thread 0 follows
     * and waits for ring[1]. */
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        int next = (held + 1) % 3;
        if (pthread_mutex_trylock(&ring[next]) != 0) {
            b++;
            pthread_mutex_lock(&ring[next]);
        }
        pthread_mutex_unlock(&ring[held]);
        held = next;
        n++;
    }
    pthread_mutex_unlock(&ring[held]);
    count[me] = n;
    busy[me] = b;
    return NULL;
}

int main(int argc, char **argv)
{
    double dur = arg_seconds(argc, argv, 2);
    pthread_t t[2];
    CHECK(pthread_barrier_init(&ready, NULL, 3));
    for (long i = 0; i < 2; i++)
        CHECK(pthread_create(&t[i], NULL, run, (void *)i));
    pthread_barrier_wait(&ready);
    double t0 = now();
    sleep_s(dur);
    atomic_store(&stop, 1);
    for (int i = 0; i < 2; i++)
        CHECK(pthread_join(t[i], NULL));
    double el = now() - t0;
    long n = count[0] + count[1];
    printf("hand-offs/s %.0f (contended %.0f%%)\n", n / el,
           n ? 100.0 * (busy[0] + busy[1]) / n : 0);
    return 0;
}
