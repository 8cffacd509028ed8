/* flock_handover THREADS [SECONDS]: THREADS threads, each with its own
 * open file description of one file, take flock(LOCK_EX), count a round
 * and let go, for SECONDS (default 2).  Prints rounds/s: a lock handed
 * between waiters, through the pool under coexec. */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/file.h>
#include <unistd.h>

#include "bench.h"

static char path[512];
static atomic_int stop;
static atomic_long rounds;

static void *worker(void *arg)
{
    int fd = open(path, O_RDWR);
    long n = 0;
    if (fd < 0) {
        perror("flock_handover: open");
        exit(1);
    }
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        if (flock(fd, LOCK_EX) < 0 || flock(fd, LOCK_UN) < 0) {
            perror("flock_handover: flock");
            exit(1);
        }
        n++;
    }
    atomic_fetch_add(&rounds, n);
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2;
    double dur = argc > 2 ? atof(argv[2]) : 2;
    tmp_template(path, sizeof path, "coexec-flock");
    int fd = mkstemp(path);
    if (fd < 0 || n < 1) {
        perror("flock_handover");
        return 1;
    }
    pthread_t *t = calloc(n, sizeof *t);
    for (int i = 0; i < n; i++)
        CHECK(pthread_create(&t[i], NULL, worker, NULL));
    sleep_s(dur);
    atomic_store(&stop, 1);
    for (int i = 0; i < n; i++)
        CHECK(pthread_join(t[i], NULL));
    unlink(path);
    printf("rounds/s %.0f (%d threads)\n", atomic_load(&rounds) / dur, n);
    return 0;
}
