/* create_join [SECONDS]: pthread_create + pthread_join of a thread that
 * returns at once, in a loop for SECONDS (default 2).  Prints creates/s. */
#include <pthread.h>

#include "bench.h"

static void *trivial(void *arg)
{
    return arg;
}

int main(int argc, char **argv)
{
    double dur = arg_seconds(argc, argv, 2);
    long n = 0;
    double t0 = now(), t;
    do {
        for (int i = 0; i < 64; i++) {
            pthread_t th;
            void *ret;
            CHECK(pthread_create(&th, NULL, trivial, (void *)(long)i));
            CHECK(pthread_join(th, &ret));
            if (ret != (void *)(long)i) {
                fprintf(stderr, "create_join: wrong return value\n");
                return 1;
            }
        }
        n += 64;
        t = now();
    } while (t - t0 < dur);
    printf("creates/s %.0f\n", n / (t - t0));
    return 0;
}
