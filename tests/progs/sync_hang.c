/* sync_hang: the programs that hang a coroutine library whose mutexes and
 * condition variables block the kernel thread instead of the coroutine.
 *
 *   sync_hang [--list | CASE...]
 *   sync_hang --park N MS
 *
 * Cases (each runs on the main thread, then on a thread of its own):
 *   mutex_sleep          a thread holds a mutex across a 50 ms sleep while
 *                        100 others try to lock it
 *   mutex_pipe           a thread holds a mutex across a read on a pipe
 *                        that is written only after 100 others are waiting
 *                        for the mutex
 *   cond_many            100 threads wait on a condvar; one holds the
 *                        mutex across a sleep before and after broadcasting
 *   recursive_neighbour  a recursive mutex held (twice) across sleeps by
 *                        one thread: another thread's trylock is EBUSY and
 *                        its lock waits until the last unlock
 *   errorcheck_neighbour the same with an error-checking mutex: the other
 *                        thread waits (no EDEADLK), unlocking it twice is
 *                        EPERM
 *
 * Every ordering is checked under a lock and printed; nothing depends on
 * timing except that 50 ms is long enough for a thread that announced it
 * is about to lock to reach the lock call.
 *
 * --park N MS: N threads blocked in pthread_mutex_lock on a mutex main
 * holds and N blocked in pthread_cond_wait; prints "parked 2N" when all are
 * created, waits MS ms (a test counts kernel threads meanwhile), releases
 * them and prints "joined 2N".
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define LOCKERS 100

/* ---- a mutex held across a blocking call ------------------------------- */

struct hold {
    pthread_mutex_t m;
    int use_pipe;        /* hold across read(release) instead of a sleep */
    int held[2];         /* the holder writes a byte once it holds m */
    int release[2];      /* use_pipe: the holder reads this while holding m */
    int released;        /* set by the holder, under m, just before unlock */
    int count;           /* lockers that got m, under m */
    int early;           /* lockers that got m before the holder let go */
};

static void *holder(void *arg)
{
    struct hold *h = arg;
    int rc = pthread_mutex_lock(&h->m);
    if (rc)
        die("holder lock", rc);
    if (write(h->held[1], "h", 1) != 1)
        die("holder write", errno);
    if (h->use_pipe) {
        char c;
        if (read(h->release[0], &c, 1) != 1)
            die("holder read", errno);
    } else {
        msleep(50);
    }
    h->released = 1;
    pthread_mutex_unlock(&h->m);
    return NULL;
}

static void *locker(void *arg)
{
    struct hold *h = arg;
    int rc = pthread_mutex_lock(&h->m);
    if (rc)
        die("locker lock", rc);
    if (!h->released)
        h->early++;
    h->count++;
    pthread_mutex_unlock(&h->m);
    return NULL;
}

static void held_across(int use_pipe)
{
    struct hold h = {.m = PTHREAD_MUTEX_INITIALIZER, .use_pipe = use_pipe};
    make_pipe(h.held);
    make_pipe(h.release);
    pthread_t ht = spawn(holder, &h);
    char c;
    if (read(h.held[0], &c, 1) != 1)
        die("read held", errno);
    pthread_t t[LOCKERS];
    for (int i = 0; i < LOCKERS; i++)
        t[i] = spawn(locker, &h);
    if (use_pipe) {
        msleep(50);   /* let them all reach pthread_mutex_lock */
        if (write(h.release[1], "r", 1) != 1)
            die("write release", errno);
    }
    join(ht);
    for (int i = 0; i < LOCKERS; i++)
        join(t[i]);
    say("%d lockers got the mutex, %d before the holder let go", h.count, h.early);
    say("destroy: %s", en(pthread_mutex_destroy(&h.m)));
    close2(h.held);
    close2(h.release);
}

static void c_mutex_sleep(void)
{
    held_across(0);
}

static void c_mutex_pipe(void)
{
    held_across(1);
}

/* ---- many condvar waiters, the mutex held across sleeps ---------------- */

struct cmany {
    pthread_mutex_t m;
    pthread_cond_t all_in;   /* the last waiter to arrive signals it */
    pthread_cond_t go;
    int waiting, ready, released, woke, early;
};

static void *cwaiter(void *arg)
{
    struct cmany *s = arg;
    pthread_mutex_lock(&s->m);
    if (++s->waiting == LOCKERS)
        pthread_cond_signal(&s->all_in);
    while (!s->ready) {
        int rc = pthread_cond_wait(&s->go, &s->m);
        if (rc)
            die("cond_wait", rc);
    }
    if (!s->released)
        s->early++;
    s->woke++;
    pthread_mutex_unlock(&s->m);
    return NULL;
}

static void *broadcaster(void *arg)
{
    struct cmany *s = arg;
    pthread_mutex_lock(&s->m);
    msleep(50);                      /* waiters are parked in cond_wait */
    s->ready = 1;
    pthread_cond_broadcast(&s->go);
    msleep(50);                      /* woken waiters wait for the mutex */
    s->released = 1;
    pthread_mutex_unlock(&s->m);
    return NULL;
}

static void c_cond_many(void)
{
    struct cmany s = {
        .m = PTHREAD_MUTEX_INITIALIZER,
        .all_in = PTHREAD_COND_INITIALIZER,
        .go = PTHREAD_COND_INITIALIZER,
    };
    pthread_t t[LOCKERS];
    for (int i = 0; i < LOCKERS; i++)
        t[i] = spawn(cwaiter, &s);
    pthread_mutex_lock(&s.m);
    while (s.waiting < LOCKERS)
        pthread_cond_wait(&s.all_in, &s.m);
    pthread_mutex_unlock(&s.m);
    say("%d waiting", LOCKERS);
    join(spawn(broadcaster, &s));
    for (int i = 0; i < LOCKERS; i++)
        join(t[i]);
    say("%d woke, %d before the broadcaster let go", s.woke, s.early);
    say("destroy: %s %s %s", en(pthread_cond_destroy(&s.go)),
        en(pthread_cond_destroy(&s.all_in)), en(pthread_mutex_destroy(&s.m)));
}

/* ---- a lock held by one thread, wanted by its neighbour ---------------- */

/* The shared log: lines appended under log_m, printed at the end. */
static pthread_mutex_t log_m = PTHREAD_MUTEX_INITIALIZER;
static char log_lines[16][80];
static int log_n;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&log_m);
    if (log_n < 16) {
        va_start(ap, fmt);
        vsnprintf(log_lines[log_n++], sizeof log_lines[0], fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&log_m);
}

static void log_reset(void)
{
    pthread_mutex_lock(&log_m);
    log_n = 0;
    pthread_mutex_unlock(&log_m);
}

/* Wait until the log has n lines (another thread is writing them). */
static void log_wait(int n)
{
    for (;;) {
        pthread_mutex_lock(&log_m);
        int have = log_n;
        pthread_mutex_unlock(&log_m);
        if (have >= n)
            return;
        msleep(1);
    }
}

static void log_print(void)
{
    pthread_mutex_lock(&log_m);
    for (int i = 0; i < log_n; i++)
        say("%d %s", i + 1, log_lines[i]);
    pthread_mutex_unlock(&log_m);
}

struct neigh {
    pthread_mutex_t m;
    int depth;        /* A's holds left, read by B under m */
};

static void *neighbour_b(void *arg)
{
    struct neigh *n = arg;
    note("B trylock: %s", en(pthread_mutex_trylock(&n->m)));
    note("B locking");
    int rc = pthread_mutex_lock(&n->m);
    note("B lock: %s, A's holds left %d", en(rc), n->depth);
    if (rc == 0) {
        /* recursive: B may take it again; errorcheck: EDEADLK for B now */
        note("B relock: %s", en(pthread_mutex_lock(&n->m)));
        note("B unlock: %s", en(pthread_mutex_unlock(&n->m)));
        rc = pthread_mutex_unlock(&n->m);
        if (rc != 0 && rc != EPERM)
            die("B unlock", rc);
        note("B unlocked");
    }
    return NULL;
}

static void neighbour(int kind, int holds)
{
    struct neigh n = {.depth = 0};
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, kind);
    pthread_mutex_init(&n.m, &a);
    pthread_mutexattr_destroy(&a);
    log_reset();

    for (int i = 0; i < holds; i++) {
        int rc = pthread_mutex_lock(&n.m);
        if (rc)
            die("A lock", rc);
        n.depth++;
    }
    note("A holds it %d times", holds);
    pthread_t b = spawn(neighbour_b, &n);
    log_wait(3);   /* B has tried, and is about to lock */
    for (int i = 0; i < holds; i++) {
        msleep(50);
        note("A unlocks (%d left)", n.depth - 1);
        n.depth--;
        int rc = pthread_mutex_unlock(&n.m);
        if (rc)
            die("A unlock", rc);
    }
    join(b);
    note("A unlock again: %s", en(pthread_mutex_unlock(&n.m)));
    note("destroy: %s", en(pthread_mutex_destroy(&n.m)));
    log_print();
}

static void c_recursive_neighbour(void)
{
    neighbour(PTHREAD_MUTEX_RECURSIVE, 2);
}

static void c_errorcheck_neighbour(void)
{
    neighbour(PTHREAD_MUTEX_ERRORCHECK, 1);
}

/* ---- --park: many threads parked on a mutex and a condvar -------------- */

static pthread_mutex_t park_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t park_cm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_cv = PTHREAD_COND_INITIALIZER;
static int park_go;
static atomic_long park_done;

static void *park_locker(void *arg)
{
    pthread_mutex_lock(&park_m);
    park_done++;
    pthread_mutex_unlock(&park_m);
    return NULL;
}

static void *park_waiter(void *arg)
{
    pthread_mutex_lock(&park_cm);
    while (!park_go)
        pthread_cond_wait(&park_cv, &park_cm);
    pthread_mutex_unlock(&park_cm);
    park_done++;
    return NULL;
}

static int park_mode(long n, int ms)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    pthread_t *t = calloc(2 * n, sizeof *t);
    if (!t)
        die("calloc", ENOMEM);
    pthread_mutex_lock(&park_m);
    for (long i = 0; i < n; i++) {
        t[2 * i] = spawn(park_locker, NULL);
        t[2 * i + 1] = spawn(park_waiter, NULL);
    }
    printf("parked %ld\n", 2 * n);
    msleep(ms);
    pthread_mutex_lock(&park_cm);
    park_go = 1;
    pthread_cond_broadcast(&park_cv);
    pthread_mutex_unlock(&park_cm);
    pthread_mutex_unlock(&park_m);
    for (long i = 0; i < 2 * n; i++)
        join(t[i]);
    printf("joined %ld\n", (long)park_done);
    free(t);
    return park_done == 2 * n ? 0 : 1;
}

static const struct tcase cases[] = {
    {"mutex_sleep", c_mutex_sleep},
    {"mutex_pipe", c_mutex_pipe},
    {"cond_many", c_cond_many},
    {"recursive_neighbour", c_recursive_neighbour},
    {"errorcheck_neighbour", c_errorcheck_neighbour},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "--park")) {
        long n = argc == 4 ? strtol(argv[2], NULL, 10) : 0;
        int ms = argc == 4 ? atoi(argv[3]) : -1;
        if (n < 1 || ms < 0) {
            fprintf(stderr, "usage: sync_hang --park N MS\n");
            return 2;
        }
        return park_mode(n, ms);
    }
    return run_cases(cases, argc, argv, "sync_hang");
}
