/* sync_timed: every timed synchronisation wait, timing out on time and
 * succeeding when the resource comes free before the deadline.
 *
 *   sync_timed [--list | CASE...]
 *
 * A wait that must time out uses a deadline 50 ms away and prints
 * "timeout ok" when it returned after at least 50 ms and less than 1.05 s
 * (measured on CLOCK_MONOTONIC, taken before the deadline is computed);
 * a deadline already past must return at once ("at once": within 0.5 s);
 * a wait that must succeed has a deadline 2 s away, the resource is freed
 * after about 30 ms, and it prints "before the deadline".  No time is
 * ever printed.
 *
 * Cases (each runs on the main thread, then on a thread of its own):
 *   mutex_timedlock   pthread_mutex_timedlock (CLOCK_REALTIME)
 *   mutex_clocklock   pthread_mutex_clocklock, MONOTONIC and REALTIME
 *   cond_timedwait    pthread_cond_timedwait, default clock (REALTIME)
 *   cond_monotonic    pthread_cond_timedwait on a condvar whose attribute
 *                     says CLOCK_MONOTONIC
 *   cond_clockwait    pthread_cond_clockwait, both clocks, also on a
 *                     condvar whose attribute names the other clock
 *   rwlock_timed      pthread_rwlock_timedrdlock / timedwrlock
 *   rwlock_clock      pthread_rwlock_clockrdlock / clockwrlock, both clocks
 *   sem_timed         sem_timedwait, sem_clockwait (both clocks)
 *   timedjoin         pthread_timedjoin_np
 *   clockjoin         pthread_clockjoin_np, both clocks
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define TMO 50       /* ms: waits that must time out */
#define OK_TMO 2000  /* ms: waits that must succeed */
#define FREE_MS 30   /* ms: when the resource comes free */

static const char *clk_name(clockid_t c)
{
    return c == CLOCK_MONOTONIC ? "MONOTONIC" : c == CLOCK_REALTIME ? "REALTIME" : "?";
}

/* now on `clk` plus ms (negative: in the past) */
static struct timespec in_ms(clockid_t clk, long ms)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    long long ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec + ms * 1000000LL;
    ts.tv_sec = ns / 1000000000LL;
    ts.tv_nsec = ns % 1000000000LL;
    return ts;
}

static void timed_out(const char *label, int rc, double start, int ms)
{
    say("%s: %s, %s", label, en(rc), timing(start, ms));
}

static void at_once(const char *label, int rc, double start)
{
    say("%s: %s, %s", label, en(rc), now_ms() - start < 500 ? "at once" : "NOT AT ONCE");
}

static void in_time(const char *label, int rc, double start)
{
    say("%s: %s, %s", label, en(rc),
        now_ms() - start < OK_TMO ? "before the deadline" : "AFTER THE DEADLINE");
}

static int sem_rc(int r)
{
    return r == 0 ? 0 : errno;
}

/* ---- a thread that holds a lock ----------------------------------------- */

enum { H_MUTEX, H_RDLOCK, H_WRLOCK };

struct holder {
    int kind;
    void *obj;
    int ms;          /* hold this long; -1: until hold_end() */
    int held[2], rel[2];
    pthread_t t;
};

static void *holder_fn(void *arg)
{
    struct holder *h = arg;
    int rc = h->kind == H_MUTEX ? pthread_mutex_lock(h->obj)
             : h->kind == H_RDLOCK ? pthread_rwlock_rdlock(h->obj)
                                   : pthread_rwlock_wrlock(h->obj);
    if (rc)
        die("holder lock", rc);
    if (write(h->held[1], "h", 1) != 1)
        die("holder write", errno);
    if (h->ms < 0) {
        char c;
        if (read(h->rel[0], &c, 1) != 1)
            die("holder read", errno);
    } else {
        msleep(h->ms);
    }
    rc = h->kind == H_MUTEX ? pthread_mutex_unlock(h->obj) : pthread_rwlock_unlock(h->obj);
    if (rc)
        die("holder unlock", rc);
    return NULL;
}

/* Start a holder and return once it holds the lock. */
static void hold(struct holder *h, int kind, void *obj, int ms)
{
    h->kind = kind;
    h->obj = obj;
    h->ms = ms;
    make_pipe(h->held);
    make_pipe(h->rel);
    h->t = spawn(holder_fn, h);
    char c;
    if (read(h->held[0], &c, 1) != 1)
        die("read held", errno);
}

static void hold_end(struct holder *h)
{
    if (h->ms < 0 && write(h->rel[1], "r", 1) != 1)
        die("write rel", errno);
    join(h->t);
    close2(h->held);
    close2(h->rel);
}

/* ---- mutexes ------------------------------------------------------------ */

/* lock(m, clk, abs): one of the timed mutex locks */
typedef int (*mlock_fn)(pthread_mutex_t *, clockid_t, const struct timespec *);

static int m_timedlock(pthread_mutex_t *m, clockid_t clk, const struct timespec *abs)
{
    return pthread_mutex_timedlock(m, abs);
}

static int m_clocklock(pthread_mutex_t *m, clockid_t clk, const struct timespec *abs)
{
    return pthread_mutex_clocklock(m, clk, abs);
}

static void mutex_waits(const char *name, mlock_fn lock, clockid_t clk)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    struct holder h;
    char label[96];
    double start;
    struct timespec abs;

    hold(&h, H_MUTEX, &m, -1);
    snprintf(label, sizeof label, "%s %s, held", name, clk_name(clk));
    start = now_ms();
    abs = in_ms(clk, TMO);
    timed_out(label, lock(&m, clk, &abs), start, TMO);

    snprintf(label, sizeof label, "%s %s, held, deadline past", name, clk_name(clk));
    start = now_ms();
    abs = in_ms(clk, -1000);
    at_once(label, lock(&m, clk, &abs), start);
    hold_end(&h);

    snprintf(label, sizeof label, "%s %s, free, deadline past", name, clk_name(clk));
    abs = in_ms(clk, -1000);
    start = now_ms();
    int rc = lock(&m, clk, &abs);
    at_once(label, rc, start);
    if (rc == 0)
        pthread_mutex_unlock(&m);

    hold(&h, H_MUTEX, &m, FREE_MS);
    snprintf(label, sizeof label, "%s %s, freed after %d ms", name, clk_name(clk), FREE_MS);
    start = now_ms();
    abs = in_ms(clk, OK_TMO);
    rc = lock(&m, clk, &abs);
    in_time(label, rc, start);
    if (rc == 0)
        pthread_mutex_unlock(&m);
    hold_end(&h);
    say("destroy: %s", en(pthread_mutex_destroy(&m)));
}

static void c_mutex_timedlock(void)
{
    mutex_waits("timedlock", m_timedlock, CLOCK_REALTIME);
}

static void c_mutex_clocklock(void)
{
    mutex_waits("clocklock", m_clocklock, CLOCK_MONOTONIC);
    mutex_waits("clocklock", m_clocklock, CLOCK_REALTIME);
}

/* ---- condition variables ------------------------------------------------ */

struct cv {
    pthread_mutex_t m;
    pthread_cond_t c;
    int flag;
};

static void *signaller(void *arg)
{
    struct cv *s = arg;
    msleep(FREE_MS);
    pthread_mutex_lock(&s->m);
    s->flag = 1;
    pthread_cond_signal(&s->c);
    pthread_mutex_unlock(&s->m);
    return NULL;
}

/* wait(c, m, clk, abs): one of the timed condvar waits */
typedef int (*cwait_fn)(pthread_cond_t *, pthread_mutex_t *, clockid_t,
                        const struct timespec *);

static int c_timedwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
                       const struct timespec *abs)
{
    return pthread_cond_timedwait(c, m, abs);
}

static int c_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
                       const struct timespec *abs)
{
    return pthread_cond_clockwait(c, m, clk, abs);
}

/* attr_clk: the condvar's attribute clock (-1: no attribute);
 * clk: the clock the deadline is on. */
static void cond_waits(const char *name, cwait_fn wait, int attr_clk, clockid_t clk)
{
    struct cv s = {.flag = 0};
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&s.m, &ma);
    pthread_mutexattr_destroy(&ma);
    if (attr_clk >= 0) {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        int rc = pthread_condattr_setclock(&ca, attr_clk);
        if (rc)
            die("condattr_setclock", rc);
        pthread_cond_init(&s.c, &ca);
        pthread_condattr_destroy(&ca);
    } else {
        pthread_cond_init(&s.c, NULL);
    }
    char label[96], attr[32] = "";
    if (attr_clk >= 0)
        snprintf(attr, sizeof attr, " (attr %s)", clk_name(attr_clk));
    double start;
    struct timespec abs;

    pthread_mutex_lock(&s.m);
    snprintf(label, sizeof label, "%s %s%s, no signal", name, clk_name(clk), attr);
    start = now_ms();
    abs = in_ms(clk, TMO);
    timed_out(label, wait(&s.c, &s.m, clk, &abs), start, TMO);
    /* the mutex is ours again: an error-checking unlock says so */
    say("  mutex owned after the timeout: %s", en(pthread_mutex_unlock(&s.m)));

    pthread_mutex_lock(&s.m);
    snprintf(label, sizeof label, "%s %s%s, deadline past", name, clk_name(clk), attr);
    start = now_ms();
    abs = in_ms(clk, -1000);
    at_once(label, wait(&s.c, &s.m, clk, &abs), start);
    say("  mutex owned after the timeout: %s", en(pthread_mutex_unlock(&s.m)));

    pthread_t t = spawn(signaller, &s);
    pthread_mutex_lock(&s.m);
    snprintf(label, sizeof label, "%s %s%s, signalled after %d ms", name, clk_name(clk),
             attr, FREE_MS);
    start = now_ms();
    abs = in_ms(clk, OK_TMO);
    int rc = 0;
    while (!s.flag && rc == 0)
        rc = wait(&s.c, &s.m, clk, &abs);
    in_time(label, rc, start);
    say("  flag %d, mutex owned: %s", s.flag, en(pthread_mutex_unlock(&s.m)));
    join(t);
    say("destroy: %s %s", en(pthread_cond_destroy(&s.c)), en(pthread_mutex_destroy(&s.m)));
}

static void c_cond_timedwait(void)
{
    cond_waits("cond_timedwait", c_timedwait, -1, CLOCK_REALTIME);
    cond_waits("cond_timedwait", c_timedwait, CLOCK_REALTIME, CLOCK_REALTIME);
}

static void c_cond_monotonic(void)
{
    cond_waits("cond_timedwait", c_timedwait, CLOCK_MONOTONIC, CLOCK_MONOTONIC);
}

static void c_cond_clockwait(void)
{
    cond_waits("cond_clockwait", c_clockwait, -1, CLOCK_MONOTONIC);
    cond_waits("cond_clockwait", c_clockwait, -1, CLOCK_REALTIME);
    /* the clock argument wins over the attribute */
    cond_waits("cond_clockwait", c_clockwait, CLOCK_REALTIME, CLOCK_MONOTONIC);
    cond_waits("cond_clockwait", c_clockwait, CLOCK_MONOTONIC, CLOCK_REALTIME);
}

/* ---- rwlocks ------------------------------------------------------------ */

typedef int (*rwl_fn)(pthread_rwlock_t *, clockid_t, const struct timespec *);

static int rw_timedrd(pthread_rwlock_t *l, clockid_t clk, const struct timespec *abs)
{
    return pthread_rwlock_timedrdlock(l, abs);
}

static int rw_timedwr(pthread_rwlock_t *l, clockid_t clk, const struct timespec *abs)
{
    return pthread_rwlock_timedwrlock(l, abs);
}

static int rw_clockrd(pthread_rwlock_t *l, clockid_t clk, const struct timespec *abs)
{
    return pthread_rwlock_clockrdlock(l, clk, abs);
}

static int rw_clockwr(pthread_rwlock_t *l, clockid_t clk, const struct timespec *abs)
{
    return pthread_rwlock_clockwrlock(l, clk, abs);
}

/* `lock` must time out while another thread holds the lock as `kind`, and
 * succeed when that thread lets go. */
static void rw_wait(const char *name, rwl_fn lock, clockid_t clk, int kind)
{
    pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
    struct holder h;
    char label[96];
    const char *how = kind == H_RDLOCK ? "read-held" : "write-held";
    double start;
    struct timespec abs;

    hold(&h, kind, &l, -1);
    snprintf(label, sizeof label, "%s %s, %s", name, clk_name(clk), how);
    start = now_ms();
    abs = in_ms(clk, TMO);
    timed_out(label, lock(&l, clk, &abs), start, TMO);

    snprintf(label, sizeof label, "%s %s, %s, deadline past", name, clk_name(clk), how);
    start = now_ms();
    abs = in_ms(clk, -1000);
    at_once(label, lock(&l, clk, &abs), start);
    hold_end(&h);

    hold(&h, kind, &l, FREE_MS);
    snprintf(label, sizeof label, "%s %s, %s, freed after %d ms", name, clk_name(clk), how,
             FREE_MS);
    start = now_ms();
    abs = in_ms(clk, OK_TMO);
    int rc = lock(&l, clk, &abs);
    in_time(label, rc, start);
    if (rc == 0)
        say("  unlock: %s", en(pthread_rwlock_unlock(&l)));
    hold_end(&h);
    say("destroy: %s", en(pthread_rwlock_destroy(&l)));
}

static void c_rwlock_timed(void)
{
    rw_wait("timedrdlock", rw_timedrd, CLOCK_REALTIME, H_WRLOCK);
    rw_wait("timedwrlock", rw_timedwr, CLOCK_REALTIME, H_RDLOCK);
    rw_wait("timedwrlock", rw_timedwr, CLOCK_REALTIME, H_WRLOCK);
}

static void c_rwlock_clock(void)
{
    static const clockid_t clks[] = {CLOCK_MONOTONIC, CLOCK_REALTIME};
    for (int i = 0; i < 2; i++) {
        rw_wait("clockrdlock", rw_clockrd, clks[i], H_WRLOCK);
        rw_wait("clockwrlock", rw_clockwr, clks[i], H_RDLOCK);
        rw_wait("clockwrlock", rw_clockwr, clks[i], H_WRLOCK);
    }
}

/* ---- semaphores --------------------------------------------------------- */

static void *poster(void *arg)
{
    msleep(FREE_MS);
    if (sem_post(arg) != 0)
        die("sem_post", errno);
    return NULL;
}

static int s_timedwait(sem_t *s, clockid_t clk, const struct timespec *abs)
{
    return sem_rc(sem_timedwait(s, abs));
}

static int s_clockwait(sem_t *s, clockid_t clk, const struct timespec *abs)
{
    return sem_rc(sem_clockwait(s, clk, abs));
}

static void sem_waits(const char *name, int (*wait)(sem_t *, clockid_t, const struct timespec *),
                      clockid_t clk)
{
    sem_t s;
    if (sem_init(&s, 0, 0) != 0)
        die("sem_init", errno);
    char label[96];
    double start;
    struct timespec abs;
    int v;

    snprintf(label, sizeof label, "%s %s, value 0", name, clk_name(clk));
    start = now_ms();
    abs = in_ms(clk, TMO);
    timed_out(label, wait(&s, clk, &abs), start, TMO);

    snprintf(label, sizeof label, "%s %s, value 0, deadline past", name, clk_name(clk));
    start = now_ms();
    abs = in_ms(clk, -1000);
    at_once(label, wait(&s, clk, &abs), start);

    sem_post(&s);
    snprintf(label, sizeof label, "%s %s, value 1, deadline past", name, clk_name(clk));
    start = now_ms();
    abs = in_ms(clk, -1000);
    at_once(label, wait(&s, clk, &abs), start);

    pthread_t t = spawn(poster, &s);
    snprintf(label, sizeof label, "%s %s, posted after %d ms", name, clk_name(clk), FREE_MS);
    start = now_ms();
    abs = in_ms(clk, OK_TMO);
    int rc;
    while ((rc = wait(&s, clk, &abs)) == EINTR)
        ;
    in_time(label, rc, start);
    join(t);
    sem_getvalue(&s, &v);
    say("  value %d", v);
    say("destroy: %s", sem_rc(sem_destroy(&s)) ? "error" : "0");
}

static void c_sem_timed(void)
{
    sem_waits("sem_timedwait", s_timedwait, CLOCK_REALTIME);
    sem_waits("sem_clockwait", s_clockwait, CLOCK_MONOTONIC);
    sem_waits("sem_clockwait", s_clockwait, CLOCK_REALTIME);
}

/* ---- joins -------------------------------------------------------------- */

static int gate[2];

static void *gated(void *arg)
{
    char c;
    if (read(gate[0], &c, 1) != 1)
        die("gated read", errno);
    return (void *)(intptr_t)(c == 'g' ? 7 : 8);
}

static void *soon(void *arg)
{
    msleep(FREE_MS);
    return (void *)(intptr_t)9;
}

typedef int (*join_fn)(pthread_t, void **, clockid_t, const struct timespec *);

static int j_timed(pthread_t t, void **ret, clockid_t clk, const struct timespec *abs)
{
    return pthread_timedjoin_np(t, ret, abs);
}

static int j_clock(pthread_t t, void **ret, clockid_t clk, const struct timespec *abs)
{
    return pthread_clockjoin_np(t, ret, clk, abs);
}

static void join_waits(const char *name, join_fn jn, clockid_t clk)
{
    char label[96];
    double start;
    struct timespec abs;
    void *ret = NULL;

    make_pipe(gate);
    pthread_t t = spawn(gated, NULL);
    snprintf(label, sizeof label, "%s %s, blocked thread", name, clk_name(clk));
    start = now_ms();
    abs = in_ms(clk, TMO);
    timed_out(label, jn(t, &ret, clk, &abs), start, TMO);

    snprintf(label, sizeof label, "%s %s, blocked thread, deadline past", name, clk_name(clk));
    start = now_ms();
    abs = in_ms(clk, -1000);
    at_once(label, jn(t, &ret, clk, &abs), start);

    if (write(gate[1], "g", 1) != 1)
        die("write gate", errno);
    snprintf(label, sizeof label, "%s %s, released thread", name, clk_name(clk));
    start = now_ms();
    abs = in_ms(clk, OK_TMO);
    int rc = jn(t, &ret, clk, &abs);
    in_time(label, rc, start);
    say("  returned %d", (int)(intptr_t)ret);
    close2(gate);

    t = spawn(soon, NULL);
    snprintf(label, sizeof label, "%s %s, thread ending after %d ms", name, clk_name(clk),
             FREE_MS);
    start = now_ms();
    abs = in_ms(clk, OK_TMO);
    rc = jn(t, &ret, clk, &abs);
    in_time(label, rc, start);
    say("  returned %d", (int)(intptr_t)ret);
}

static void c_timedjoin(void)
{
    join_waits("timedjoin_np", j_timed, CLOCK_REALTIME);
}

static void c_clockjoin(void)
{
    join_waits("clockjoin_np", j_clock, CLOCK_MONOTONIC);
    join_waits("clockjoin_np", j_clock, CLOCK_REALTIME);
}

static const struct tcase cases[] = {
    {"mutex_timedlock", c_mutex_timedlock},
    {"mutex_clocklock", c_mutex_clocklock},
    {"cond_timedwait", c_cond_timedwait},
    {"cond_monotonic", c_cond_monotonic},
    {"cond_clockwait", c_cond_clockwait},
    {"rwlock_timed", c_rwlock_timed},
    {"rwlock_clock", c_rwlock_clock},
    {"sem_timed", c_sem_timed},
    {"timedjoin", c_timedjoin},
    {"clockjoin", c_clockjoin},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return run_cases(cases, argc, argv, "sync_timed");
}
