/* sync_stress: every synchronisation primitive under load, with exact,
 * printed results (counts, sums, invariant violations), never times.
 *
 *   sync_stress [OPTION N]... [--list | CASE...]
 *
 * Options (sizes; tests/bats/sync.bats runs the defaults except for the
 * counter cases, which natively take tens of seconds at full size):
 *   --threads N   threads in the counter cases (10000)
 *   --iters N     increments per thread in the counter cases (100)
 *   --producers N, --consumers N, --items N
 *                 the bounded queue: N producers (4) each putting --items
 *                 items (20000) through a queue of 8 slots to consumers (4)
 *   --readers N, --writers N, --rw-iters N
 *                 rwlock: readers (200) and writers (4), each looping
 *                 --rw-iters times (200)
 *   --barrier N, --rounds N
 *                 threads at one barrier (1000), rounds (5)
 *   --sem N, --permits N, --sem-iters N
 *                 semaphore pool: threads (100), permits (4), acquisitions
 *                 per thread (20)
 *   --once N      threads calling pthread_once (1000)
 *   --spin N, --spin-iters N
 *                 spin lock: threads (4), iterations each (100); natively
 *                 the waiters spin through the holder's sched_yield(), so
 *                 this grows fast
 *
 * Cases (each runs on the main thread, then on a thread of its own):
 *   counter_yield    --threads threads each add 1 to a counter --iters
 *                    times under a mutex, reading it, calling sched_yield()
 *                    and writing it back inside the critical section
 *   counter_sleep    the same with a 1 us nanosleep inside the critical
 *                    section every 10th iteration
 *   queue            producers/consumers on a bounded queue with two
 *                    condvars (not_full, not_empty): every item consumed
 *                    exactly once, count and sum match
 *   rwlock           readers check an invariant that writers keep (and
 *                    that no writer is inside with them), writers check they
 *                    are alone; the final value is exact
 *   rwlock_prefer_writer  the same with PREFER_WRITER_NONRECURSIVE
 *   barrier          --barrier threads meet --rounds times at one barrier:
 *                    exactly one PTHREAD_BARRIER_SERIAL_THREAD per round,
 *                    nobody passes before everybody arrived
 *   sem_pool         a semaphore of --permits permits guards a resource:
 *                    holders never exceed the permits, and reach them
 *   sem_handoff      1000 threads in sem_wait on an empty semaphore, posted
 *                    one at a time
 *   once             --once threads call pthread_once, whose init sleeps
 *                    20 ms: it runs once and nobody returns before it ends
 *   spin             spin-lock counter with sched_yield() inside the
 *                    critical section
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static long opt_threads = 10000, opt_iters = 100;
static long opt_producers = 4, opt_consumers = 4, opt_items = 20000;
static long opt_readers = 200, opt_writers = 4, opt_rw_iters = 200;
static long opt_barrier = 1000, opt_rounds = 5;
static long opt_sem = 100, opt_permits = 4, opt_sem_iters = 20;
static long opt_once = 1000;
static long opt_spin = 4, opt_spin_iters = 100;

static const struct {
    const char *name;
    long *val;
} options[] = {
    {"--threads", &opt_threads}, {"--iters", &opt_iters},
    {"--producers", &opt_producers}, {"--consumers", &opt_consumers},
    {"--items", &opt_items},
    {"--readers", &opt_readers}, {"--writers", &opt_writers},
    {"--rw-iters", &opt_rw_iters},
    {"--barrier", &opt_barrier}, {"--rounds", &opt_rounds},
    {"--sem", &opt_sem}, {"--permits", &opt_permits},
    {"--sem-iters", &opt_sem_iters},
    {"--once", &opt_once},
    {"--spin", &opt_spin}, {"--spin-iters", &opt_spin_iters},
};

/* Threads with a modest stack, so that 10000 of them are cheap natively. */
static pthread_t spawn_small(void *(*fn)(void *), void *arg)
{
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 128 * 1024);
    pthread_t t;
    int rc = pthread_create(&t, &a, fn, arg);
    pthread_attr_destroy(&a);
    if (rc)
        die("pthread_create", rc);
    return t;
}

static pthread_t *spawn_n(long n, void *(*fn)(void *), void *(*argf)(long))
{
    pthread_t *t = calloc(n, sizeof *t);
    if (!t)
        die("calloc", ENOMEM);
    for (long i = 0; i < n; i++)
        t[i] = spawn_small(fn, argf ? argf(i) : NULL);
    return t;
}

static void join_n(pthread_t *t, long n)
{
    for (long i = 0; i < n; i++)
        join(t[i]);
    free(t);
}

static void *index_arg(long i)
{
    return (void *)(intptr_t)i;
}

static void nsleep(long ns)
{
    struct timespec ts = {0, ns};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* ---- counters under a mutex --------------------------------------------- */

static pthread_mutex_t cnt_m = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static int cnt_sleep;

static void *counter_fn(void *arg)
{
    for (long i = 0; i < opt_iters; i++) {
        int rc = pthread_mutex_lock(&cnt_m);
        if (rc)
            die("mutex_lock", rc);
        long v = counter;
        sched_yield();
        if (cnt_sleep && i % 10 == 9)
            nsleep(1000);
        counter = v + 1;
        pthread_mutex_unlock(&cnt_m);
    }
    return NULL;
}

static void counter_case(int sleep)
{
    counter = 0;
    cnt_sleep = sleep;
    join_n(spawn_n(opt_threads, counter_fn, NULL), opt_threads);
    say("%ld threads x %ld: counter %ld (expected %ld)", opt_threads, opt_iters,
        counter, opt_threads * opt_iters);
}

static void c_counter_yield(void)
{
    counter_case(0);
}

static void c_counter_sleep(void)
{
    counter_case(1);
}

/* ---- bounded queue ------------------------------------------------------ */

#define QCAP 8

static struct {
    pthread_mutex_t m;
    pthread_cond_t not_full, not_empty;
    long buf[QCAP];
    int head, count, done;
} q;
static unsigned char *q_seen;   /* per item: times consumed */
static long q_sum, q_got, q_full_waits;

static void *producer(void *arg)
{
    long p = (intptr_t)arg;
    for (long i = 0; i < opt_items; i++) {
        long v = p * opt_items + i + 1;
        pthread_mutex_lock(&q.m);
        while (q.count == QCAP) {
            q_full_waits++;
            pthread_cond_wait(&q.not_full, &q.m);
        }
        q.buf[(q.head + q.count) % QCAP] = v;
        q.count++;
        pthread_cond_signal(&q.not_empty);
        pthread_mutex_unlock(&q.m);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    long sum = 0, got = 0;
    for (;;) {
        pthread_mutex_lock(&q.m);
        while (q.count == 0 && !q.done)
            pthread_cond_wait(&q.not_empty, &q.m);
        if (q.count == 0) {
            pthread_mutex_unlock(&q.m);
            break;
        }
        long v = q.buf[q.head];
        q.head = (q.head + 1) % QCAP;
        q.count--;
        pthread_cond_signal(&q.not_full);
        pthread_mutex_unlock(&q.m);
        __atomic_fetch_add(&q_seen[v - 1], 1, __ATOMIC_RELAXED);
        sum += v;
        got++;
    }
    __atomic_fetch_add(&q_sum, sum, __ATOMIC_RELAXED);
    __atomic_fetch_add(&q_got, got, __ATOMIC_RELAXED);
    return NULL;
}

static void c_queue(void)
{
    long total = opt_producers * opt_items;
    memset(&q, 0, sizeof q);
    pthread_mutex_init(&q.m, NULL);
    pthread_cond_init(&q.not_full, NULL);
    pthread_cond_init(&q.not_empty, NULL);
    q_seen = calloc(total, 1);
    q_sum = q_got = q_full_waits = 0;
    pthread_t *c = spawn_n(opt_consumers, consumer, NULL);
    pthread_t *p = spawn_n(opt_producers, producer, index_arg);
    join_n(p, opt_producers);
    pthread_mutex_lock(&q.m);
    q.done = 1;
    pthread_cond_broadcast(&q.not_empty);
    pthread_mutex_unlock(&q.m);
    join_n(c, opt_consumers);
    long once = 0, never = 0, twice = 0;
    for (long i = 0; i < total; i++) {
        if (q_seen[i] == 1)
            once++;
        else if (q_seen[i] == 0)
            never++;
        else
            twice++;
    }
    say("%ld producers x %ld items, %ld consumers: consumed %ld, sum %s",
        opt_producers, opt_items, opt_consumers, q_got,
        q_sum == total * (total + 1) / 2 ? "matches" : "WRONG");
    say("items consumed once %ld, never %ld, more than once %ld", once, never, twice);
    say("producers waited on a full queue: %s", q_full_waits > 0 ? "yes" : "no");
    say("destroy: %s %s %s", en(pthread_cond_destroy(&q.not_full)),
        en(pthread_cond_destroy(&q.not_empty)), en(pthread_mutex_destroy(&q.m)));
    free(q_seen);
}

/* ---- rwlock readers and writers ----------------------------------------- */

static pthread_rwlock_t rw;
static long rw_a, rw_b, rw_c;           /* invariant: b == -a, c == 2a */
static atomic_int rw_readers_in, rw_writers_in;
static atomic_long rw_bad, rw_reads, rw_writes;

static void *rw_reader(void *arg)
{
    for (long i = 0; i < opt_rw_iters; i++) {
        int rc = pthread_rwlock_rdlock(&rw);
        if (rc)
            die("rdlock", rc);
        rw_readers_in++;
        if (rw_writers_in != 0)
            rw_bad++;
        long a = rw_a;
        sched_yield();
        if (rw_b != -a || rw_c != 2 * a || rw_a != a)
            rw_bad++;
        rw_reads++;
        rw_readers_in--;
        pthread_rwlock_unlock(&rw);
    }
    return NULL;
}

static void *rw_writer(void *arg)
{
    for (long i = 0; i < opt_rw_iters; i++) {
        int rc = pthread_rwlock_wrlock(&rw);
        if (rc)
            die("wrlock", rc);
        if (++rw_writers_in != 1 || rw_readers_in != 0)
            rw_bad++;
        long a = rw_a + 1;
        rw_a = a;
        sched_yield();
        rw_b = -a;
        rw_c = 2 * a;
        rw_writes++;
        rw_writers_in--;
        pthread_rwlock_unlock(&rw);
        if (i % 4 == 0)
            sched_yield();
    }
    return NULL;
}

static void rwlock_case(int kind)
{
    pthread_rwlockattr_t a;
    pthread_rwlockattr_init(&a);
    pthread_rwlockattr_setkind_np(&a, kind);
    int rc = pthread_rwlock_init(&rw, &a);
    pthread_rwlockattr_destroy(&a);
    if (rc)
        die("rwlock_init", rc);
    rw_a = rw_b = rw_c = 0;
    rw_bad = rw_reads = rw_writes = 0;
    pthread_t *w = spawn_n(opt_writers, rw_writer, NULL);
    pthread_t *r = spawn_n(opt_readers, rw_reader, NULL);
    join_n(w, opt_writers);
    join_n(r, opt_readers);
    say("%ld readers, %ld writers, %ld iterations: reads %ld, writes %ld",
        opt_readers, opt_writers, opt_rw_iters, (long)rw_reads, (long)rw_writes);
    say("final value %ld (expected %ld), violations %ld", rw_a,
        opt_writers * opt_rw_iters, (long)rw_bad);
    say("destroy: %s", en(pthread_rwlock_destroy(&rw)));
}

static void c_rwlock(void)
{
    rwlock_case(PTHREAD_RWLOCK_PREFER_READER_NP);
}

static void c_rwlock_prefer_writer(void)
{
    rwlock_case(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
}

/* ---- barrier ------------------------------------------------------------ */

static pthread_barrier_t bar;
static atomic_long *bar_arrived, *bar_serial;
static atomic_long bar_early, bar_bad_rc;

static void *bar_fn(void *arg)
{
    for (long r = 0; r < opt_rounds; r++) {
        bar_arrived[r]++;
        int rc = pthread_barrier_wait(&bar);
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
            bar_serial[r]++;
        else if (rc != 0)
            bar_bad_rc++;
        if (bar_arrived[r] != opt_barrier)
            bar_early++;
    }
    return NULL;
}

static void c_barrier(void)
{
    int rc = pthread_barrier_init(&bar, NULL, opt_barrier);
    if (rc)
        die("barrier_init", rc);
    bar_arrived = calloc(opt_rounds, sizeof *bar_arrived);
    bar_serial = calloc(opt_rounds, sizeof *bar_serial);
    bar_early = bar_bad_rc = 0;
    join_n(spawn_n(opt_barrier, bar_fn, NULL), opt_barrier);
    say("%ld threads, %ld rounds", opt_barrier, opt_rounds);
    for (long r = 0; r < opt_rounds; r++)
        say("round %ld: arrived %ld, serial threads %ld", r + 1,
            (long)bar_arrived[r], (long)bar_serial[r]);
    say("passed before all arrived %ld, bad returns %ld", (long)bar_early,
        (long)bar_bad_rc);
    say("destroy: %s", en(pthread_barrier_destroy(&bar)));
    free(bar_arrived);
    free(bar_serial);
}

/* ---- semaphores --------------------------------------------------------- */

static sem_t sem;
static atomic_int sem_holders, sem_max;
static atomic_long sem_over, sem_acq;

/* The pool's threads start together, so that the permits are contended. */
static pthread_mutex_t gate_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_c = PTHREAD_COND_INITIALIZER;
static int gate_open;

static void *sem_fn(void *arg)
{
    pthread_mutex_lock(&gate_m);
    while (!gate_open)
        pthread_cond_wait(&gate_c, &gate_m);
    pthread_mutex_unlock(&gate_m);
    for (long i = 0; i < opt_sem_iters; i++) {
        if (sem_wait(&sem) != 0)
            die("sem_wait", errno);
        int h = ++sem_holders;
        int m = sem_max;
        while (h > m && !atomic_compare_exchange_weak(&sem_max, &m, h))
            ;
        if (h > opt_permits)
            sem_over++;
        sem_acq++;
        nsleep(200000);
        sem_holders--;
        if (sem_post(&sem) != 0)
            die("sem_post", errno);
    }
    return NULL;
}

static void c_sem_pool(void)
{
    if (sem_init(&sem, 0, opt_permits) != 0)
        die("sem_init", errno);
    sem_holders = sem_max = 0;
    sem_over = sem_acq = 0;
    gate_open = 0;
    pthread_t *t = spawn_n(opt_sem, sem_fn, NULL);
    pthread_mutex_lock(&gate_m);
    gate_open = 1;
    pthread_cond_broadcast(&gate_c);
    pthread_mutex_unlock(&gate_m);
    join_n(t, opt_sem);
    int v = -1;
    sem_getvalue(&sem, &v);
    say("%ld threads x %ld acquisitions of %ld permits: acquisitions %ld",
        opt_sem, opt_sem_iters, opt_permits, (long)sem_acq);
    say("over the limit %ld times, most holders at once %s the permits",
        (long)sem_over, sem_max == opt_permits ? "==" : sem_max < opt_permits ? "<" : ">");
    say("value at the end %d", v);
    say("destroy: %s", sem_destroy(&sem) == 0 ? "0" : en(errno));
}

#define HANDOFF 1000

static atomic_long handoff_done;

static void *handoff_fn(void *arg)
{
    while (sem_wait(&sem) != 0)
        if (errno != EINTR)
            die("sem_wait", errno);
    handoff_done++;
    return NULL;
}

static void c_sem_handoff(void)
{
    if (sem_init(&sem, 0, 0) != 0)
        die("sem_init", errno);
    handoff_done = 0;
    pthread_t *t = spawn_n(HANDOFF, handoff_fn, NULL);
    msleep(20);
    long early = handoff_done;
    for (int i = 0; i < HANDOFF; i++) {
        if (sem_post(&sem) != 0)
            die("sem_post", errno);
        if (i % 100 == 99)
            sched_yield();
    }
    join_n(t, HANDOFF);
    int v = -1;
    sem_getvalue(&sem, &v);
    say("%d waiters: returned before any post %ld, after the posts %ld, value %d",
        HANDOFF, early, (long)handoff_done, v);
    say("destroy: %s", sem_destroy(&sem) == 0 ? "0" : en(errno));
}

/* ---- pthread_once ------------------------------------------------------- */

static pthread_once_t once;
static atomic_int once_runs, once_value;
static atomic_long once_unfinished;

static void once_init(void)
{
    once_runs++;
    msleep(20);
    once_value = 42;
}

static void *once_fn(void *arg)
{
    int rc = pthread_once(&once, once_init);
    if (rc)
        die("pthread_once", rc);
    if (once_value != 42)
        once_unfinished++;
    return NULL;
}

static void c_once(void)
{
    once = (pthread_once_t)PTHREAD_ONCE_INIT;
    once_runs = once_value = 0;
    once_unfinished = 0;
    join_n(spawn_n(opt_once, once_fn, NULL), opt_once);
    say("%ld threads: init ran %d time(s), returned before it finished %ld",
        opt_once, (int)once_runs, (long)once_unfinished);
}

/* ---- spin lock ---------------------------------------------------------- */

static pthread_spinlock_t spin;
static long spin_counter;

static void *spin_fn(void *arg)
{
    for (long i = 0; i < opt_spin_iters; i++) {
        pthread_spin_lock(&spin);
        long v = spin_counter;
        sched_yield();
        spin_counter = v + 1;
        pthread_spin_unlock(&spin);
    }
    return NULL;
}

static void c_spin(void)
{
    pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
    spin_counter = 0;
    join_n(spawn_n(opt_spin, spin_fn, NULL), opt_spin);
    say("%ld threads x %ld: counter %ld (expected %ld)", opt_spin, opt_spin_iters,
        spin_counter, opt_spin * opt_spin_iters);
    say("destroy: %s", en(pthread_spin_destroy(&spin)));
}

static const struct tcase cases[] = {
    {"counter_yield", c_counter_yield},
    {"counter_sleep", c_counter_sleep},
    {"queue", c_queue},
    {"rwlock", c_rwlock},
    {"rwlock_prefer_writer", c_rwlock_prefer_writer},
    {"barrier", c_barrier},
    {"sem_pool", c_sem_pool},
    {"sem_handoff", c_sem_handoff},
    {"once", c_once},
    {"spin", c_spin},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    int i = 1;
    while (i < argc && !strncmp(argv[i], "--", 2) && strcmp(argv[i], "--list")) {
        size_t k = 0;
        while (k < sizeof options / sizeof options[0] && strcmp(options[k].name, argv[i]))
            k++;
        char *end = NULL;
        long v = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;
        if (k == sizeof options / sizeof options[0] || !end || *end || end == argv[i + 1] ||
            v < 1 || v > 1000000) {
            fprintf(stderr, "usage: sync_stress [OPTION N]... [--list | CASE...]\n");
            fprintf(stderr, "sync_stress: bad option '%s'\n", argv[i]);
            return 2;
        }
        *options[k].val = v;
        i += 2;
    }
    argv[i - 1] = argv[0];
    return run_cases(cases, argc - (i - 1), argv + (i - 1), "sync_stress");
}
