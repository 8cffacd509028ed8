/* wait_burst N: N children that each sleep 100 ms, each waited for by a
 * thread of its own with waitpid.  Prints the wall time in ms from the
 * first fork to the last reap (ideal: about 100). */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static void *reap(void *arg)
{
    pid_t pid = (pid_t)(long)arg;
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) {
        perror("wait_burst: waitpid");
        exit(1);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    pthread_t *t = calloc(n, sizeof *t);
    double t0 = now();
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("wait_burst: fork");
            return 1;
        }
        if (pid == 0) {
            struct timespec ts = {0, 100000000};
            nanosleep(&ts, NULL);
            _exit(0);
        }
        CHECK(pthread_create(&t[i], NULL, reap, (void *)(long)pid));
    }
    for (int i = 0; i < n; i++)
        CHECK(pthread_join(t[i], NULL));
    printf("ms %.0f (%d children)\n", (now() - t0) * 1000, n);
    return 0;
}
