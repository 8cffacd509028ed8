/* deadlock: programs that hang natively because every thread waits for
 * another, and two that only look alike, for coexec's deadlock report.
 *
 *   deadlock [--list | CASE]
 *
 *   abba        two threads lock two mutexes in opposite order; main joins
 *               (prints the mutexes' addresses first)
 *   ring        50 threads each hold a mutex and want the next one's
 *   cond        3 threads wait on a condition variable nobody signals
 *   sleeper     2 threads wait on a condition variable that a third
 *               signals after 300 ms: no deadlock, exits 0
 *   reader      a thread reads a pipe nobody writes; main joins it (a hang,
 *               but one a descriptor can end: not reported)
 *   alarm       a thread waits in sem_wait for the sem_post of a SIGALRM
 *               handler (alarm(1)): no deadlock, exits 0
 *   partial     the abba pair, while a third thread ticks 25 times, 100 ms
 *               apart; main joins the ticker and exits 0 (the pair stays
 *               stuck: a partial deadlock) */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t m1 = PTHREAD_MUTEX_INITIALIZER, m2 = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t bar;

static void *ab(void *x)
{
    int first = x != NULL;
    pthread_mutex_lock(first ? &m1 : &m2);
    pthread_barrier_wait(&bar);
    pthread_mutex_lock(first ? &m2 : &m1);
    return NULL;
}

static void c_abba(void)
{
    pthread_t a, b;
    printf("m1 %p m2 %p\n", (void *)&m1, (void *)&m2);
    fflush(stdout);
    pthread_barrier_init(&bar, NULL, 2);
    pthread_create(&a, NULL, ab, &m1);
    pthread_create(&b, NULL, ab, NULL);
    pthread_join(a, NULL);
}

#define RING 50
static pthread_mutex_t ring_m[RING];

static void *ring_member(void *x)
{
    long i = (long)x;
    pthread_mutex_lock(&ring_m[i]);
    pthread_barrier_wait(&bar);
    pthread_mutex_lock(&ring_m[(i + 1) % RING]);
    return NULL;
}

static void c_ring(void)
{
    pthread_t t[RING];
    pthread_barrier_init(&bar, NULL, RING);
    for (long i = 0; i < RING; i++)
        pthread_mutex_init(&ring_m[i], NULL);
    for (long i = 0; i < RING; i++)
        pthread_create(&t[i], NULL, ring_member, (void *)i);
    pthread_join(t[0], NULL);
}

static pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;

static void *cond_waiter(void *x)
{
    pthread_mutex_lock(&cm);
    while (!ready)
        pthread_cond_wait(&cv, &cm);
    pthread_mutex_unlock(&cm);
    return NULL;
}

static void *cond_signaller(void *x)
{
    usleep(300000);
    pthread_mutex_lock(&cm);
    ready = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&cm);
    return NULL;
}

static void c_cond(void)
{
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, cond_waiter, NULL);
    pthread_join(t[0], NULL);
}

static void c_sleeper(void)
{
    pthread_t t[3];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, cond_waiter, NULL);
    pthread_create(&t[2], NULL, cond_signaller, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    printf("woken after the sleep: no deadlock\n");
}

static int pfd[2];

static void *reader(void *x)
{
    char c;
    (void)!read(pfd[0], &c, 1);
    return NULL;
}

static void c_reader(void)
{
    pthread_t t;
    (void)!pipe(pfd);
    pthread_create(&t, NULL, reader, NULL);
    pthread_join(t, NULL);
}

static sem_t alarm_sem;

static void on_alarm(int sig)
{
    sem_post(&alarm_sem);
}

static void *alarm_waiter(void *x)
{
    while (sem_wait(&alarm_sem) != 0)
        ;
    return NULL;
}

static void c_alarm(void)
{
    pthread_t t;
    sem_init(&alarm_sem, 0, 0);
    signal(SIGALRM, on_alarm);
    alarm(1);
    pthread_create(&t, NULL, alarm_waiter, NULL);
    pthread_join(t, NULL);
    printf("woken by the alarm's handler: no deadlock\n");
}

static void *ticker(void *x)
{
    for (int i = 0; i < 25; i++) {
        usleep(100000);
        printf("tick %d\n", i);
        fflush(stdout);
    }
    return NULL;
}

static void c_partial(void)
{
    pthread_t a, b, t;
    printf("m1 %p m2 %p\n", (void *)&m1, (void *)&m2);
    fflush(stdout);
    pthread_barrier_init(&bar, NULL, 2);
    pthread_create(&t, NULL, ticker, NULL);
    pthread_create(&a, NULL, ab, &m1);
    pthread_create(&b, NULL, ab, NULL);
    pthread_join(t, NULL);
}

static const struct {
    const char *name;
    void (*fn)(void);
} cases[] = {
    {"abba", c_abba}, {"ring", c_ring}, {"cond", c_cond}, {"sleeper", c_sleeper}, {"reader", c_reader},
    {"alarm", c_alarm},
    {"partial", c_partial},
};

int main(int argc, char **argv)
{
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (argc == 2 && !strcmp(argv[1], "--list"))
            printf("%s\n", cases[i].name);
        else if (argc == 2 && !strcmp(argv[1], cases[i].name)) {
            cases[i].fn();
            return 0;
        }
    }
    if (argc == 2 && !strcmp(argv[1], "--list"))
        return 0;
    fprintf(stderr, "usage: deadlock --list | CASE\n");
    return 2;
}
