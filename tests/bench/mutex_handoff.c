/* mutex_handoff [SECONDS]: two threads hand one contended mutex back and
 * forth for SECONDS (default 2).  Prints hand-offs/s.
 *
 * Each thread, once it holds the mutex, waits until the other has
 * announced that it is about to lock it (and so is, or soon will be,
 * blocked in pthread_mutex_lock), then unlocks; after unlocking it waits
 * until the other has taken the mutex before it asks again, so the mutex
 * cannot be re-taken by the thread that just released it (no barging):
 * every acquisition is a hand-off to the other thread.  The short waits on
 * the atomic flags spin briefly, then call sched_yield().
 *
 * A lock is tried first with pthread_mutex_trylock, to count how many
 * acquisitions found the mutex still held (and so had to wait in
 * pthread_mutex_lock): printed as "contended N%". */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "bench.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_int want[2];
static atomic_int holder = -1;
static atomic_int stop;
static long count[2], busy[2];

static void pause_a_bit(int *spins)
{
    if (++*spins < 200)
        __builtin_ia32_pause();
    else
        sched_yield();
}

static void *run(void *arg)
{
    int me = (int)(long)arg, other = !me;
    long n = 0, b = 0;
    for (;;) {
        atomic_store(&want[me], 1);
        if (pthread_mutex_trylock(&mu) != 0) {
            b++;
            pthread_mutex_lock(&mu);
        }
        atomic_store(&want[me], 0);
        atomic_store(&holder, me);
        n++;
        int spins = 0;
        while (!atomic_load(&want[other]) && !atomic_load(&stop))
            pause_a_bit(&spins);
        pthread_mutex_unlock(&mu);
        if (atomic_load(&stop))
            break;
        spins = 0;
        while (atomic_load(&holder) == me && !atomic_load(&stop))
            pause_a_bit(&spins);
        if (atomic_load(&stop))
            break;
    }
    count[me] = n;
    busy[me] = b;
    return NULL;
}

int main(int argc, char **argv)
{
    double dur = arg_seconds(argc, argv, 2);
    pthread_t t[2];
    double t0 = now();
    for (long i = 0; i < 2; i++)
        CHECK(pthread_create(&t[i], NULL, run, (void *)i));
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
