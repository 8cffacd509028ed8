/* sync_misuse: what the synchronisation calls return when they are misused
 * (or used at their limits), each printed by name (strerrorname_np), so
 * that a run under coexec can be compared with the native one.
 *
 *   sync_misuse [--list | CASE...]
 *
 * Only misuse whose native result is defined and deterministic is here: no
 * relocking of a normal mutex (it deadlocks), no unlocking of a normal
 * mutex by a non-owner, no pthread_rwlock_unlock of a lock not held (glibc
 * returns 0 and corrupts the lock), no condvar wait on a normal mutex not
 * owned.  "other:" marks a call made by another thread.
 *
 * Cases (each runs on the main thread, then on a thread of its own):
 *   errorcheck      EDEADLK on relock, EBUSY on trylock, EPERM on unlock
 *                   by a non-owner and when unlocked, EBUSY on destroy
 *   recursive       trylock by the owner counts, unlock by a non-owner
 *   normal          trylock EBUSY from the owner and from another thread,
 *                   destroy of a locked mutex; the adaptive kind too
 *   timedlock_inval tv_nsec out of range: EINVAL on a locked mutex, 0 on
 *                   an unlocked one; owners of errorcheck and recursive
 *                   mutexes get their kind's answer first
 *   clocklock_clock clocks other than MONOTONIC and REALTIME: EINVAL
 *   cond_inval      invalid timespec and clock for the condvar waits:
 *                   EINVAL, the mutex stays held
 *   cond_eperm      condvar waits with an error-checking or recursive
 *                   mutex the caller does not hold: EPERM
 *   rwlock_errors   EDEADLK for the writer locking again, EBUSY for the
 *                   try variants, EINVAL for bad times and clocks
 *   barrier_errors  count 0: EINVAL; a barrier of 1 always serial
 *   sem_errors      sem_init above SEM_VALUE_MAX, sem_trywait on 0,
 *                   bad timespec and clock, sem_post overflow
 *   spin_errors     spin_trylock on a held lock, from the owner and others
 *   consistent      pthread_mutex_consistent on non-robust mutexes and on
 *                   a robust one whose owner is alive: EINVAL
 *   robust          a robust mutex whose owner exited: EOWNERDEAD, then
 *                   consistent, then usable
 *   static_init     the static initialisers of every mutex kind, condvar
 *                   and rwlock kind behave as their kinds
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define RC(label, call)                                                    \
    do {                                                                   \
        int rc_ = (call);                                                  \
        say("%s: %s", label, en(rc_));                                     \
    } while (0)

/* The same, and an rwlock call that should have failed but locked is
 * undone, so that a wrong answer does not hang the rest of the case. */
#define RCRW(label, l, call)                                               \
    do {                                                                   \
        int rc_ = (call);                                                  \
        say("%s: %s", label, en(rc_));                                     \
        if (rc_ == 0)                                                      \
            pthread_rwlock_unlock(l);                                      \
    } while (0)

/* For calls that return -1 and set errno: "-1 ENAME" or "0". */
#define RCE(label, call)                                                   \
    do {                                                                   \
        errno = 0;                                                         \
        int rc_ = (call);                                                  \
        int e_ = errno;                                                    \
        if (rc_ == 0)                                                      \
            say("%s: 0", label);                                           \
        else                                                               \
            say("%s: %d %s", label, rc_, en(e_));                          \
    } while (0)

/* ---- running one call on another thread --------------------------------- */

struct op {
    int (*fn)(void *);
    void *arg;
    int rc;
};

static void *op_thread(void *a)
{
    struct op *o = a;
    o->rc = o->fn(o->arg);
    return NULL;
}

static int other(int (*fn)(void *), void *arg)
{
    struct op o = {fn, arg, -1};
    join(spawn(op_thread, &o));
    return o.rc;
}

static int m_trylock(void *m)
{
    int rc = pthread_mutex_trylock(m);
    if (rc == 0)
        pthread_mutex_unlock(m);
    return rc;
}

static int m_unlock(void *m)
{
    return pthread_mutex_unlock(m);
}

static int m_lock_briefly(void *m)
{
    struct timespec abs;
    clock_gettime(CLOCK_REALTIME, &abs);
    abs.tv_nsec += 20 * 1000000L;
    if (abs.tv_nsec >= 1000000000L) {
        abs.tv_sec++;
        abs.tv_nsec -= 1000000000L;
    }
    int rc = pthread_mutex_timedlock(m, &abs);
    if (rc == 0)
        pthread_mutex_unlock(m);
    return rc;
}

static int rw_tryrd(void *l)
{
    int rc = pthread_rwlock_tryrdlock(l);
    if (rc == 0)
        pthread_rwlock_unlock(l);
    return rc;
}

static int rw_trywr(void *l)
{
    int rc = pthread_rwlock_trywrlock(l);
    if (rc == 0)
        pthread_rwlock_unlock(l);
    return rc;
}

static int spin_try(void *l)
{
    int rc = pthread_spin_trylock(l);
    if (rc == 0)
        pthread_spin_unlock(l);
    return rc;
}

static void init_mutex(pthread_mutex_t *m, int type)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, type);
    int rc = pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
    if (rc)
        die("mutex_init", rc);
}

/* A deadline one second away (so that a wrong answer costs a second, not
 * a hang) with tv_nsec set to `nsec`. */
static struct timespec bad_time(clockid_t clk, long nsec)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    ts.tv_sec += 1;
    ts.tv_nsec = nsec;
    return ts;
}

static struct timespec in_ms(clockid_t clk, long ms)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    long long ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec + ms * 1000000LL;
    ts.tv_sec = ns / 1000000000LL;
    ts.tv_nsec = ns % 1000000000LL;
    return ts;
}

/* ---- mutexes ------------------------------------------------------------ */

static void c_errorcheck(void)
{
    pthread_mutex_t m;
    init_mutex(&m, PTHREAD_MUTEX_ERRORCHECK);
    RC("lock", pthread_mutex_lock(&m));
    RC("relock", pthread_mutex_lock(&m));
    struct timespec abs = in_ms(CLOCK_REALTIME, 1000);
    RC("timedlock by the owner", pthread_mutex_timedlock(&m, &abs));
    RC("trylock by the owner", pthread_mutex_trylock(&m));
    RC("other: trylock", other(m_trylock, &m));
    RC("other: unlock", other(m_unlock, &m));
    RC("destroy while locked", pthread_mutex_destroy(&m));
    RC("unlock", pthread_mutex_unlock(&m));
    RC("unlock when unlocked", pthread_mutex_unlock(&m));
    RC("other: trylock when unlocked", other(m_trylock, &m));
    RC("destroy", pthread_mutex_destroy(&m));
}

static void c_recursive(void)
{
    pthread_mutex_t m;
    init_mutex(&m, PTHREAD_MUTEX_RECURSIVE);
    RC("lock", pthread_mutex_lock(&m));
    RC("lock again", pthread_mutex_lock(&m));
    RC("trylock by the owner", pthread_mutex_trylock(&m));
    struct timespec abs = in_ms(CLOCK_REALTIME, 1000);
    RC("timedlock by the owner", pthread_mutex_timedlock(&m, &abs));
    RC("other: trylock", other(m_trylock, &m));
    RC("other: unlock", other(m_unlock, &m));
    RC("destroy while locked", pthread_mutex_destroy(&m));
    int n = 0, rc;
    while ((rc = pthread_mutex_unlock(&m)) == 0 && n < 10)
        n++;
    say("unlocks that succeeded: %d, then %s", n, en(rc));
    RC("other: trylock when unlocked", other(m_trylock, &m));
    RC("destroy", pthread_mutex_destroy(&m));
}

static void normal_kind(const char *name, pthread_mutex_t *m)
{
    say("%s:", name);
    RC("  lock", pthread_mutex_lock(m));
    RC("  trylock by the owner", pthread_mutex_trylock(m));
    RC("  other: trylock", other(m_trylock, m));
    RC("  other: timedlock, 20 ms", other(m_lock_briefly, m));
    RC("  destroy while locked", pthread_mutex_destroy(m));
    RC("  unlock", pthread_mutex_unlock(m));
    RC("  other: trylock when unlocked", other(m_trylock, m));
    RC("  destroy", pthread_mutex_destroy(m));
}

static void c_normal(void)
{
    pthread_mutex_t m;
    RC("init with no attributes", pthread_mutex_init(&m, NULL));
    normal_kind("default", &m);
    init_mutex(&m, PTHREAD_MUTEX_NORMAL);
    normal_kind("normal", &m);
    init_mutex(&m, PTHREAD_MUTEX_ADAPTIVE_NP);
    normal_kind("adaptive", &m);
}

static void c_timedlock_inval(void)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    struct timespec big = bad_time(CLOCK_REALTIME, 1000000000L);
    struct timespec neg = bad_time(CLOCK_REALTIME, -1);
    struct timespec mbig = bad_time(CLOCK_MONOTONIC, 1000000000L);

    RC("unlocked, tv_nsec 1e9", pthread_mutex_timedlock(&m, &big));
    RC("unlock", pthread_mutex_unlock(&m));
    RC("unlocked, tv_nsec -1", pthread_mutex_timedlock(&m, &neg));
    RC("unlock", pthread_mutex_unlock(&m));
    RC("lock", pthread_mutex_lock(&m));
    RC("locked, tv_nsec 1e9", pthread_mutex_timedlock(&m, &big));
    RC("locked, tv_nsec -1", pthread_mutex_timedlock(&m, &neg));
    RC("locked, clocklock MONOTONIC tv_nsec 1e9", pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &mbig));
    RC("unlock", pthread_mutex_unlock(&m));

    pthread_mutex_t e;
    init_mutex(&e, PTHREAD_MUTEX_ERRORCHECK);
    RC("errorcheck lock", pthread_mutex_lock(&e));
    RC("errorcheck owner, tv_nsec 1e9", pthread_mutex_timedlock(&e, &big));
    RC("errorcheck unlock", pthread_mutex_unlock(&e));
    RC("errorcheck destroy", pthread_mutex_destroy(&e));

    pthread_mutex_t r;
    init_mutex(&r, PTHREAD_MUTEX_RECURSIVE);
    RC("recursive lock", pthread_mutex_lock(&r));
    RC("recursive owner, tv_nsec 1e9", pthread_mutex_timedlock(&r, &big));
    RC("recursive unlock", pthread_mutex_unlock(&r));
    RC("recursive unlock", pthread_mutex_unlock(&r));
    RC("recursive unlock when unlocked", pthread_mutex_unlock(&r));
    RC("recursive destroy", pthread_mutex_destroy(&r));
    RC("destroy", pthread_mutex_destroy(&m));
}

static void c_clocklock_clock(void)
{
    static const struct {
        const char *name;
        clockid_t clk;
    } clocks[] = {
        {"CLOCK_PROCESS_CPUTIME_ID", CLOCK_PROCESS_CPUTIME_ID},
        {"CLOCK_THREAD_CPUTIME_ID", CLOCK_THREAD_CPUTIME_ID},
        {"CLOCK_BOOTTIME", CLOCK_BOOTTIME},
        {"CLOCK_MONOTONIC_RAW", CLOCK_MONOTONIC_RAW},
        {"CLOCK_REALTIME_COARSE", CLOCK_REALTIME_COARSE},
        {"clock 12345", 12345},
        {"clock -1", -1},
    };
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    struct timespec abs = in_ms(CLOCK_MONOTONIC, 1000);
    char label[96];
    for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
        snprintf(label, sizeof label, "unlocked, %s", clocks[i].name);
        int rc = pthread_mutex_clocklock(&m, clocks[i].clk, &abs);
        say("%s: %s", label, en(rc));
        if (rc == 0)
            pthread_mutex_unlock(&m);
    }
    RC("lock", pthread_mutex_lock(&m));
    for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
        snprintf(label, sizeof label, "locked, %s", clocks[i].name);
        RC(label, pthread_mutex_clocklock(&m, clocks[i].clk, &abs));
    }
    RC("unlock", pthread_mutex_unlock(&m));
    RC("destroy", pthread_mutex_destroy(&m));
}

/* ---- condition variables ------------------------------------------------ */

static void c_cond_inval(void)
{
    pthread_mutex_t m;
    init_mutex(&m, PTHREAD_MUTEX_ERRORCHECK);
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    struct timespec big = bad_time(CLOCK_REALTIME, 1000000000L);
    struct timespec neg = bad_time(CLOCK_REALTIME, -1);
    struct timespec mbig = bad_time(CLOCK_MONOTONIC, 1000000000L);
    struct timespec ok = in_ms(CLOCK_MONOTONIC, 1000);

    RC("lock", pthread_mutex_lock(&m));
    RC("timedwait, tv_nsec 1e9", pthread_cond_timedwait(&c, &m, &big));
    RC("timedwait, tv_nsec -1", pthread_cond_timedwait(&c, &m, &neg));
    RC("clockwait MONOTONIC, tv_nsec 1e9", pthread_cond_clockwait(&c, &m, CLOCK_MONOTONIC, &mbig));
    RC("clockwait CLOCK_PROCESS_CPUTIME_ID", pthread_cond_clockwait(&c, &m, CLOCK_PROCESS_CPUTIME_ID, &ok));
    RC("clockwait CLOCK_BOOTTIME", pthread_cond_clockwait(&c, &m, CLOCK_BOOTTIME, &ok));
    RC("clockwait clock 12345", pthread_cond_clockwait(&c, &m, 12345, &ok));
    RC("other: trylock (still held)", other(m_trylock, &m));
    RC("unlock (still ours)", pthread_mutex_unlock(&m));

    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    RC("condattr_setclock CLOCK_PROCESS_CPUTIME_ID",
       pthread_condattr_setclock(&ca, CLOCK_PROCESS_CPUTIME_ID));
    RC("condattr_setclock CLOCK_BOOTTIME", pthread_condattr_setclock(&ca, CLOCK_BOOTTIME));
    RC("condattr_setclock CLOCK_MONOTONIC", pthread_condattr_setclock(&ca, CLOCK_MONOTONIC));
    clockid_t clk = -1;
    RC("condattr_getclock", pthread_condattr_getclock(&ca, &clk));
    say("attribute clock is MONOTONIC: %s", clk == CLOCK_MONOTONIC ? "yes" : "no");
    pthread_condattr_destroy(&ca);
    RC("cond destroy", pthread_cond_destroy(&c));
    RC("mutex destroy", pthread_mutex_destroy(&m));
}

struct eperm {
    pthread_mutex_t *m;
    pthread_cond_t *c;
};

static int cond_wait_unowned(void *a)
{
    struct eperm *e = a;
    struct timespec abs = in_ms(CLOCK_REALTIME, 1000);
    return pthread_cond_timedwait(e->c, e->m, &abs);
}

static void cond_eperm_kind(const char *name, int type)
{
    pthread_mutex_t m;
    init_mutex(&m, type);
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    struct eperm e = {&m, &c};
    struct timespec abs = in_ms(CLOCK_REALTIME, 1000);
    struct timespec mabs = in_ms(CLOCK_MONOTONIC, 1000);
    char label[96];

    snprintf(label, sizeof label, "%s unlocked: cond_wait", name);
    RC(label, pthread_cond_wait(&c, &m));
    snprintf(label, sizeof label, "%s unlocked: cond_timedwait", name);
    RC(label, pthread_cond_timedwait(&c, &m, &abs));
    snprintf(label, sizeof label, "%s unlocked: cond_clockwait", name);
    RC(label, pthread_cond_clockwait(&c, &m, CLOCK_MONOTONIC, &mabs));
    RC("lock", pthread_mutex_lock(&m));
    snprintf(label, sizeof label, "%s held by another: other: cond_timedwait", name);
    RC(label, other(cond_wait_unowned, &e));
    RC("unlock", pthread_mutex_unlock(&m));
    RC("cond destroy", pthread_cond_destroy(&c));
    RC("mutex destroy", pthread_mutex_destroy(&m));
}

static void c_cond_eperm(void)
{
    cond_eperm_kind("errorcheck", PTHREAD_MUTEX_ERRORCHECK);
    cond_eperm_kind("recursive", PTHREAD_MUTEX_RECURSIVE);
}

/* ---- rwlocks ------------------------------------------------------------ */

static void c_rwlock_errors(void)
{
    pthread_rwlock_t l;
    RC("init", pthread_rwlock_init(&l, NULL));
    struct timespec abs = in_ms(CLOCK_REALTIME, 1000);
    struct timespec mabs = in_ms(CLOCK_MONOTONIC, 1000);
    struct timespec big = bad_time(CLOCK_REALTIME, 1000000000L);
    struct timespec neg = bad_time(CLOCK_REALTIME, -1);

    RC("wrlock", pthread_rwlock_wrlock(&l));
    RCRW("wrlock again", &l, pthread_rwlock_wrlock(&l));
    RCRW("rdlock while writing", &l, pthread_rwlock_rdlock(&l));
    RCRW("timedwrlock while writing", &l, pthread_rwlock_timedwrlock(&l, &abs));
    RCRW("timedrdlock while writing", &l, pthread_rwlock_timedrdlock(&l, &abs));
    RCRW("clockwrlock MONOTONIC while writing", &l, pthread_rwlock_clockwrlock(&l, CLOCK_MONOTONIC, &mabs));
    RCRW("clockrdlock MONOTONIC while writing", &l, pthread_rwlock_clockrdlock(&l, CLOCK_MONOTONIC, &mabs));
    RCRW("trywrlock while writing", &l, pthread_rwlock_trywrlock(&l));
    RCRW("tryrdlock while writing", &l, pthread_rwlock_tryrdlock(&l));
    RC("other: tryrdlock while write-locked", other(rw_tryrd, &l));
    RC("other: trywrlock while write-locked", other(rw_trywr, &l));
    RC("unlock", pthread_rwlock_unlock(&l));

    RC("rdlock", pthread_rwlock_rdlock(&l));
    RC("rdlock again", pthread_rwlock_rdlock(&l));
    RCRW("trywrlock while reading", &l, pthread_rwlock_trywrlock(&l));
    RC("tryrdlock while reading", pthread_rwlock_tryrdlock(&l));
    RC("other: trywrlock while read-locked", other(rw_trywr, &l));
    RC("other: tryrdlock while read-locked", other(rw_tryrd, &l));
    RC("unlock", pthread_rwlock_unlock(&l));
    RC("unlock", pthread_rwlock_unlock(&l));
    RC("unlock", pthread_rwlock_unlock(&l));
    RC("other: trywrlock when free", other(rw_trywr, &l));

    /* glibc checks the timespec and clock even when it could lock at once */
    RCRW("free, timedrdlock tv_nsec 1e9", &l, pthread_rwlock_timedrdlock(&l, &big));
    RCRW("free, timedwrlock tv_nsec 1e9", &l, pthread_rwlock_timedwrlock(&l, &big));
    RCRW("free, timedrdlock tv_nsec -1", &l, pthread_rwlock_timedrdlock(&l, &neg));
    RCRW("free, timedwrlock tv_nsec -1", &l, pthread_rwlock_timedwrlock(&l, &neg));
    RCRW("free, clockrdlock CLOCK_PROCESS_CPUTIME_ID", &l,
       pthread_rwlock_clockrdlock(&l, CLOCK_PROCESS_CPUTIME_ID, &mabs));
    RCRW("free, clockwrlock CLOCK_BOOTTIME", &l, pthread_rwlock_clockwrlock(&l, CLOCK_BOOTTIME, &mabs));
    RCRW("free, clockrdlock clock 12345", &l, pthread_rwlock_clockrdlock(&l, 12345, &mabs));
    RC("other: trywrlock when free", other(rw_trywr, &l));
    RC("wrlock", pthread_rwlock_wrlock(&l));
    RCRW("writing, timedrdlock tv_nsec 1e9", &l, pthread_rwlock_timedrdlock(&l, &big));
    RCRW("writing, timedwrlock tv_nsec 1e9", &l, pthread_rwlock_timedwrlock(&l, &big));
    RC("unlock", pthread_rwlock_unlock(&l));
    RC("destroy", pthread_rwlock_destroy(&l));

    pthread_rwlockattr_t a;
    pthread_rwlockattr_init(&a);
    RC("rwlockattr_setkind_np 12345", pthread_rwlockattr_setkind_np(&a, 12345));
    pthread_rwlockattr_destroy(&a);
}

/* ---- barriers ----------------------------------------------------------- */

static void c_barrier_errors(void)
{
    pthread_barrier_t b;
    RC("init count 0", pthread_barrier_init(&b, NULL, 0));
    RC("init count 1", pthread_barrier_init(&b, NULL, 1));
    for (int i = 0; i < 3; i++) {
        int rc = pthread_barrier_wait(&b);
        say("wait %d: %s", i + 1, rc == PTHREAD_BARRIER_SERIAL_THREAD ? "SERIAL_THREAD" : en(rc));
    }
    RC("destroy", pthread_barrier_destroy(&b));
}

/* ---- semaphores --------------------------------------------------------- */

static void c_sem_errors(void)
{
    sem_t s;
    int v;
    struct timespec big = bad_time(CLOCK_REALTIME, 1000000000L);
    struct timespec neg = bad_time(CLOCK_REALTIME, -1);
    struct timespec mabs = in_ms(CLOCK_MONOTONIC, 1000);

    RCE("init SEM_VALUE_MAX + 1", sem_init(&s, 0, (unsigned)SEM_VALUE_MAX + 1));
    RCE("init UINT_MAX", sem_init(&s, 0, UINT_MAX));

    RCE("init 0", sem_init(&s, 0, 0));
    RCE("trywait on 0", sem_trywait(&s));
    RCE("timedwait on 0, tv_nsec 1e9", sem_timedwait(&s, &big));
    RCE("timedwait on 0, tv_nsec -1", sem_timedwait(&s, &neg));
    RCE("clockwait on 0, CLOCK_PROCESS_CPUTIME_ID", sem_clockwait(&s, CLOCK_PROCESS_CPUTIME_ID, &mabs));
    RCE("clockwait on 0, clock 12345", sem_clockwait(&s, 12345, &mabs));
    RCE("post", sem_post(&s));
    /* glibc checks the timespec before it looks at the value */
    RCE("timedwait on 1, tv_nsec 1e9", sem_timedwait(&s, &big));
    RCE("clockwait on 1, CLOCK_BOOTTIME", sem_clockwait(&s, CLOCK_BOOTTIME, &mabs));
    sem_getvalue(&s, &v);
    say("value %d", v);
    RCE("trywait on 1", sem_trywait(&s));
    RCE("trywait on 0", sem_trywait(&s));
    RCE("destroy", sem_destroy(&s));

    RCE("init SEM_VALUE_MAX", sem_init(&s, 0, SEM_VALUE_MAX));
    RCE("post at SEM_VALUE_MAX", sem_post(&s));
    sem_getvalue(&s, &v);
    say("value is SEM_VALUE_MAX: %s", v == SEM_VALUE_MAX ? "yes" : "no");
    RCE("trywait", sem_trywait(&s));
    RCE("post", sem_post(&s));
    RCE("post at SEM_VALUE_MAX again", sem_post(&s));
    RCE("destroy", sem_destroy(&s));
}

/* ---- spin locks --------------------------------------------------------- */

static void c_spin_errors(void)
{
    pthread_spinlock_t l;
    RC("init", pthread_spin_init(&l, PTHREAD_PROCESS_PRIVATE));
    RC("trylock", pthread_spin_trylock(&l));
    RC("trylock while held", pthread_spin_trylock(&l));
    RC("other: trylock while held", other(spin_try, (void *)&l));
    RC("unlock", pthread_spin_unlock(&l));
    RC("other: trylock when free", other(spin_try, (void *)&l));
    RC("lock", pthread_spin_lock(&l));
    RC("trylock while held", pthread_spin_trylock(&l));
    RC("unlock", pthread_spin_unlock(&l));
    RC("destroy", pthread_spin_destroy(&l));
}

/* ---- robust mutexes ------------------------------------------------------ */

static void c_consistent(void)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    RC("normal, unlocked", pthread_mutex_consistent(&m));
    pthread_mutex_lock(&m);
    RC("normal, locked", pthread_mutex_consistent(&m));
    pthread_mutex_unlock(&m);

    pthread_mutex_t r;
    init_mutex(&r, PTHREAD_MUTEX_RECURSIVE);
    RC("recursive, unlocked", pthread_mutex_consistent(&r));
    pthread_mutex_lock(&r);
    RC("recursive, locked", pthread_mutex_consistent(&r));
    pthread_mutex_unlock(&r);

    pthread_mutex_t e;
    init_mutex(&e, PTHREAD_MUTEX_ERRORCHECK);
    RC("errorcheck, locked", (pthread_mutex_lock(&e), pthread_mutex_consistent(&e)));
    pthread_mutex_unlock(&e);

    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_t rb;
    RC("robust init", pthread_mutex_init(&rb, &a));
    pthread_mutexattr_destroy(&a);
    RC("robust, unlocked", pthread_mutex_consistent(&rb));
    RC("robust lock", pthread_mutex_lock(&rb));
    RC("robust, locked by a live owner", pthread_mutex_consistent(&rb));
    RC("robust unlock", pthread_mutex_unlock(&rb));
    RC("destroy", pthread_mutex_destroy(&rb));
    pthread_mutex_destroy(&m);
    pthread_mutex_destroy(&r);
    pthread_mutex_destroy(&e);
}

static int lock_and_exit(void *m)
{
    return pthread_mutex_lock(m);   /* and the thread ends holding it */
}

static void c_robust(void)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_t m;
    RC("init", pthread_mutex_init(&m, &a));
    pthread_mutexattr_destroy(&a);
    RC("other: lock, then exit holding it", other(lock_and_exit, &m));
    /* a bounded wait: a library that misses the owner's death times out
     * instead of hanging */
    struct timespec abs = in_ms(CLOCK_REALTIME, 2000);
    RC("timedlock", pthread_mutex_timedlock(&m, &abs));
    RC("consistent", pthread_mutex_consistent(&m));
    RC("unlock", pthread_mutex_unlock(&m));
    RC("other: trylock", other(m_trylock, &m));
    abs = in_ms(CLOCK_REALTIME, 2000);
    RC("timedlock", pthread_mutex_timedlock(&m, &abs));
    RC("unlock", pthread_mutex_unlock(&m));
    RC("destroy", pthread_mutex_destroy(&m));
}

/* ---- static initialisers ------------------------------------------------- */

/* One set per run (main, thread), so each run meets untouched objects. */
static struct statics {
    pthread_mutex_t normal, recursive, errorcheck, adaptive, cm;
    pthread_cond_t cond;
    pthread_rwlock_t rw, rw_writer;
    int flag;
} st[2] = {
#define STATICS                                                            \
    {PTHREAD_MUTEX_INITIALIZER, PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP,    \
     PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP,                              \
     PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP, PTHREAD_MUTEX_INITIALIZER,     \
     PTHREAD_COND_INITIALIZER, PTHREAD_RWLOCK_INITIALIZER,                 \
     PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP, 0}
    STATICS,
    STATICS,
};

static void *flag_setter(void *arg)
{
    struct statics *s = arg;
    msleep(20);
    pthread_mutex_lock(&s->cm);
    s->flag = 1;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->cm);
    return NULL;
}

static void *writer_waits(void *arg)
{
    int rc = pthread_rwlock_wrlock(arg);
    if (rc == 0)
        pthread_rwlock_unlock(arg);
    return (void *)(intptr_t)rc;
}

/* A reader holds the lock and a writer waits for it: may a new reader
 * come in?  Yes for the default kind, no for the writer-preferring one. */
static void rw_kind(const char *name, pthread_rwlock_t *l, int poll)
{
    char label[96];
    say("%s:", name);
    RC("  rdlock", pthread_rwlock_rdlock(l));
    RC("  other: tryrdlock", other(rw_tryrd, l));
    RC("  other: trywrlock", other(rw_trywr, l));
    pthread_t w = spawn(writer_waits, l);
    /* Give the writer time to wait: 100 ms.  A writer-preferring lock
     * turns new readers away once it does: allow it 2 s to get there. */
    int rc;
    for (int i = 0; i < 200; i++) {
        msleep(poll ? 10 : 100);
        if ((rc = other(rw_tryrd, l)) != 0 || !poll)
            break;
    }
    snprintf(label, sizeof label, "  other: tryrdlock while a writer waits");
    say("%s: %s", label, en(rc));
    RC("  unlock", pthread_rwlock_unlock(l));
    RC("  writer's wrlock", (int)(intptr_t)join(w));
    RC("  other: trywrlock", other(rw_trywr, l));
}

static void c_static_init(void)
{
    struct statics *s = &st[strcmp(where, "main") ? 1 : 0];

    say("PTHREAD_MUTEX_INITIALIZER:");
    RC("  lock", pthread_mutex_lock(&s->normal));
    RC("  trylock by the owner", pthread_mutex_trylock(&s->normal));
    RC("  other: trylock", other(m_trylock, &s->normal));
    RC("  other: timedlock, 20 ms", other(m_lock_briefly, &s->normal));
    RC("  unlock", pthread_mutex_unlock(&s->normal));
    RC("  other: trylock", other(m_trylock, &s->normal));

    say("PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP:");
    RC("  lock", pthread_mutex_lock(&s->recursive));
    RC("  lock again", pthread_mutex_lock(&s->recursive));
    RC("  trylock by the owner", pthread_mutex_trylock(&s->recursive));
    RC("  other: trylock", other(m_trylock, &s->recursive));
    RC("  other: unlock", other(m_unlock, &s->recursive));
    int n = 0, rc;
    while ((rc = pthread_mutex_unlock(&s->recursive)) == 0 && n < 10)
        n++;
    say("  unlocks that succeeded: %d, then %s", n, en(rc));

    say("PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP:");
    RC("  unlock when unlocked", pthread_mutex_unlock(&s->errorcheck));
    RC("  lock", pthread_mutex_lock(&s->errorcheck));
    RC("  relock", pthread_mutex_lock(&s->errorcheck));
    RC("  trylock by the owner", pthread_mutex_trylock(&s->errorcheck));
    RC("  other: unlock", other(m_unlock, &s->errorcheck));
    RC("  other: trylock", other(m_trylock, &s->errorcheck));
    RC("  unlock", pthread_mutex_unlock(&s->errorcheck));
    RC("  unlock again", pthread_mutex_unlock(&s->errorcheck));

    say("PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP:");
    RC("  lock", pthread_mutex_lock(&s->adaptive));
    RC("  trylock by the owner", pthread_mutex_trylock(&s->adaptive));
    RC("  other: trylock", other(m_trylock, &s->adaptive));
    RC("  other: timedlock, 20 ms", other(m_lock_briefly, &s->adaptive));
    RC("  unlock", pthread_mutex_unlock(&s->adaptive));
    RC("  other: trylock", other(m_trylock, &s->adaptive));

    say("PTHREAD_COND_INITIALIZER:");
    RC("  signal with no waiter", pthread_cond_signal(&s->cond));
    RC("  broadcast with no waiter", pthread_cond_broadcast(&s->cond));
    pthread_mutex_lock(&s->cm);
    struct timespec past = in_ms(CLOCK_REALTIME, -1000);
    RC("  timedwait, deadline past", pthread_cond_timedwait(&s->cond, &s->cm, &past));
    pthread_t t = spawn(flag_setter, s);
    rc = 0;
    while (!s->flag && rc == 0)
        rc = pthread_cond_wait(&s->cond, &s->cm);
    say("  wait for a flag set by another thread: %s, flag %d", en(rc), s->flag);
    pthread_mutex_unlock(&s->cm);
    join(t);

    rw_kind("PTHREAD_RWLOCK_INITIALIZER", &s->rw, 0);
    rw_kind("PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP", &s->rw_writer, 1);
}

static const struct tcase cases[] = {
    {"errorcheck", c_errorcheck},
    {"recursive", c_recursive},
    {"normal", c_normal},
    {"timedlock_inval", c_timedlock_inval},
    {"clocklock_clock", c_clocklock_clock},
    {"cond_inval", c_cond_inval},
    {"cond_eperm", c_cond_eperm},
    {"rwlock_errors", c_rwlock_errors},
    {"barrier_errors", c_barrier_errors},
    {"sem_errors", c_sem_errors},
    {"spin_errors", c_spin_errors},
    {"consistent", c_consistent},
    {"robust", c_robust},
    {"static_init", c_static_init},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return run_cases(cases, argc, argv, "sync_misuse");
}
