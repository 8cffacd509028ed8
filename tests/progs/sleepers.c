/* sleepers: many threads sleeping with sleep/usleep/nanosleep/
 * clock_nanosleep (relative and absolute, several clocks), and the error
 * cases of those calls.
 *
 *   sleepers [--list | CASE...]
 *
 * Each case runs on the main thread, then on a thread of its own.  Output
 * is deterministic: wake order is checked between groups whose deadlines
 * are 100 ms apart, never printed as times (20 ms proved too tight for
 * native threads on a loaded 2-core machine; 50 ms failed once under
 * coexec on a CI machine, most likely a worker stalled by the host: it
 * delays only its own coroutines while the other worker goes on).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static struct timespec ts_add_ms(struct timespec t, double ms)
{
    long long ns = t.tv_nsec + (long long)(ms * 1e6);
    t.tv_sec += ns / 1000000000LL;
    t.tv_nsec = ns % 1000000000LL;
    if (t.tv_nsec < 0) {
        t.tv_nsec += 1000000000L;
        t.tv_sec--;
    }
    return t;
}

static double ts_ms(struct timespec t)
{
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double clock_ms(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return ts_ms(t);
}

/* ---- order: 200 threads, 10 deadlines 100 ms apart, 5 ways to sleep ---- */

#define NSLEEPERS 200
#define NGROUPS 10
#define NKINDS 5
static const char *kind_name[NKINDS] = {
    "usleep", "nanosleep", "clock_nanosleep(MONOTONIC)",
    "clock_nanosleep(MONOTONIC, ABSTIME)", "clock_nanosleep(REALTIME, ABSTIME)",
};

struct sleeper {
    int group, kind;
    struct timespec target_mono, target_rt;
    int seq;
    int early;
    int err;
};
static atomic_int wake_seq;

static void *sleeper_fn(void *arg)
{
    struct sleeper *s = arg;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double delta = ts_ms(s->target_mono) - ts_ms(now);
    if (delta < 0)
        delta = 0;
    struct timespec rel = ts_add_ms((struct timespec){0, 0}, delta);
    int rc = 0;
    switch (s->kind) {
    case 0:
        rc = usleep((useconds_t)(delta * 1000 + 1)) ? errno : 0;
        break;
    case 1:
        rc = nanosleep(&rel, NULL) ? errno : 0;
        break;
    case 2:
        rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &rel, NULL);
        break;
    case 3:
        rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &s->target_mono,
                             NULL);
        break;
    case 4:
        rc = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &s->target_rt,
                             NULL);
        break;
    }
    s->seq = atomic_fetch_add(&wake_seq, 1);
    s->err = rc;
    if (s->kind == 4)
        s->early = clock_ms(CLOCK_REALTIME) < ts_ms(s->target_rt);
    else
        s->early = clock_ms(CLOCK_MONOTONIC) < ts_ms(s->target_mono);
    return NULL;
}

static void c_order(void)
{
    static struct sleeper s[NSLEEPERS];
    pthread_t t[NSLEEPERS];
    struct timespec mono, rt;
    atomic_store(&wake_seq, 0);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_REALTIME, &rt);
    /* 200 ms to start everybody, then a deadline every 100 ms */
    for (int i = 0; i < NSLEEPERS; i++) {
        s[i].group = i % NGROUPS;
        s[i].kind = (i / NGROUPS) % NKINDS;
        double off = 200 + 100.0 * s[i].group;
        s[i].target_mono = ts_add_ms(mono, off);
        s[i].target_rt = ts_add_ms(rt, off);
        t[i] = spawn(sleeper_fn, &s[i]);
    }
    int late_start = clock_ms(CLOCK_MONOTONIC) > ts_ms(mono) + 200;
    for (int i = 0; i < NSLEEPERS; i++)
        join(t[i]);
    if (late_start)
        say("WARNING: starting %d threads took more than 200 ms", NSLEEPERS);
    int errs = 0, early = 0;
    int kinds_seen[NKINDS] = {0};
    for (int i = 0; i < NSLEEPERS; i++) {
        errs += s[i].err != 0;
        early += s[i].early;
        kinds_seen[s[i].kind]++;
    }
    for (int k = 0; k < NKINDS; k++)
        say("%d threads slept with %s", kinds_seen[k], kind_name[k]);
    say("%d threads: %d errors, %d woke before their deadline", NSLEEPERS,
        errs, early);
    for (int g = 0; g < NGROUPS; g++) {
        int n = 0, minseq = NSLEEPERS, maxseq = -1;
        for (int i = 0; i < NSLEEPERS; i++) {
            if (s[i].group != g)
                continue;
            n++;
            if (s[i].seq < minseq)
                minseq = s[i].seq;
            if (s[i].seq > maxseq)
                maxseq = s[i].seq;
        }
        /* group g must wake exactly in positions [20g, 20g+19] */
        int ok = minseq == g * n && maxseq == g * n + n - 1;
        say("deadline +%d ms: %d threads, woke %s", 200 + 100 * g, n,
            ok ? "in order" : "OUT OF ORDER");
    }
}

/* ---- zero and past deadlines ------------------------------------------- */

static void c_zero(void)
{
    say("sleep(0): %u", sleep(0));
    errno = 0;
    say("usleep(0): %d %s", usleep(0), en(errno));
    struct timespec z = {0, 0};
    say("nanosleep(0): %d", nanosleep(&z, NULL));
    say("clock_nanosleep(MONOTONIC, 0): %d",
        clock_nanosleep(CLOCK_MONOTONIC, 0, &z, NULL));
    struct timespec past;
    clock_gettime(CLOCK_MONOTONIC, &past);
    past = ts_add_ms(past, -1000);
    double t0 = now_ms();
    int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL);
    say("clock_nanosleep(MONOTONIC, ABSTIME, 1 s ago): %d, %s", rc,
        now_ms() - t0 < 500 ? "immediate" : "SLEPT");
    t0 = now_ms();
    rc = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &z, NULL);
    say("clock_nanosleep(REALTIME, ABSTIME, epoch): %d, %s", rc,
        now_ms() - t0 < 500 ? "immediate" : "SLEPT");
}

/* ---- single sleeps with timing ----------------------------------------- */

static void c_single(void)
{
    double t0 = now_ms();
    int rc = usleep(30000);
    say("usleep(30000): %d, %s", rc, timing(t0, 30));
    struct timespec ts = {0, 40 * 1000000L}, rem = {7, 7};
    t0 = now_ms();
    rc = nanosleep(&ts, &rem);
    say("nanosleep(40ms): %d, %s, rem untouched %s", rc, timing(t0, 40),
        rem.tv_sec == 7 && rem.tv_nsec == 7 ? "yes" : "NO");
    static const struct { clockid_t c; const char *n; } clocks[] = {
        {CLOCK_REALTIME, "REALTIME"}, {CLOCK_MONOTONIC, "MONOTONIC"},
        {CLOCK_BOOTTIME, "BOOTTIME"}, {CLOCK_TAI, "TAI"},
    };
    for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
        ts = (struct timespec){0, 30 * 1000000L};
        t0 = now_ms();
        rc = clock_nanosleep(clocks[i].c, 0, &ts, NULL);
        say("clock_nanosleep(%s, 30ms): %d, %s", clocks[i].n, rc,
            timing(t0, 30));
        struct timespec abs;
        clock_gettime(clocks[i].c, &abs);
        abs = ts_add_ms(abs, 30);
        t0 = now_ms();
        rc = clock_nanosleep(clocks[i].c, TIMER_ABSTIME, &abs, NULL);
        say("clock_nanosleep(%s, ABSTIME +30ms): %d, %s", clocks[i].n, rc,
            timing(t0, 30));
    }
}

/* ---- sleep(1) while another thread keeps running ---------------------- */

static atomic_int ticks;
static void *ticker(void *arg)
{
    for (int i = 0; i < 10; i++) {
        usleep(20000);
        atomic_fetch_add(&ticks, 1);
    }
    return NULL;
}

static void c_sleep1(void)
{
    atomic_store(&ticks, 0);
    pthread_t t = spawn(ticker, NULL);
    double t0 = now_ms();
    unsigned r = sleep(1);
    int during = atomic_load(&ticks);
    say("sleep(1): %u, %s, ticker thread ran %d of 10 ticks meanwhile", r,
        timing(t0, 1000), during);
    join(t);
}

/* ---- errors ------------------------------------------------------------- */

static void c_errors(void)
{
    struct timespec bad_ns = {0, 1000000000L}, neg_ns = {0, -1},
                    neg_s = {-1, 0}, ok = {0, 1000};
    errno = 0;
    int r = nanosleep(&bad_ns, NULL);
    say("nanosleep tv_nsec=1e9: %d %s", r, en(errno));
    errno = 0;
    r = nanosleep(&neg_ns, NULL);
    say("nanosleep tv_nsec=-1: %d %s", r, en(errno));
    errno = 0;
    r = nanosleep(&neg_s, NULL);
    say("nanosleep tv_sec=-1: %d %s", r, en(errno));
    errno = 0;
    r = nanosleep(bad_ptr, NULL);
    say("nanosleep bad pointer: %d %s", r, en(errno));

    errno = 0;
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, &bad_ns, NULL);
    say("clock_nanosleep tv_nsec=1e9: returns %s, errno %s", en(r), en(errno));
    errno = 0;
    r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &neg_ns, NULL);
    say("clock_nanosleep ABSTIME tv_nsec=-1: returns %s, errno %s", en(r),
        en(errno));
    errno = 0;
    r = clock_nanosleep((clockid_t)12345, 0, &ok, NULL);
    say("clock_nanosleep bad clock: returns %s, errno %s", en(r), en(errno));
    errno = 0;
    r = clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &ok, NULL);
    say("clock_nanosleep THREAD_CPUTIME_ID: returns %s, errno %s", en(r),
        en(errno));
    errno = 0;
    r = clock_nanosleep(CLOCK_MONOTONIC_RAW, 0, &ok, NULL);
    say("clock_nanosleep MONOTONIC_RAW: returns %s, errno %s", en(r),
        en(errno));
    errno = 0;
    r = clock_nanosleep(CLOCK_MONOTONIC_COARSE, 0, &ok, NULL);
    say("clock_nanosleep MONOTONIC_COARSE: returns %s, errno %s", en(r),
        en(errno));
    errno = 0;
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, bad_ptr, NULL);
    say("clock_nanosleep bad pointer: returns %s, errno %s", en(r), en(errno));
    errno = 0;
    r = usleep(1000000);
    say("usleep(1000000): %d %s", r, en(errno));
}

/* ---- EINTR from a signal handler ---------------------------------------- */

static atomic_int handled;
static void on_usr1(int sig)
{
    atomic_fetch_add(&handled, 1);
}

struct intr {
    int kind;
    int rc, err;
    struct timespec rem;
    unsigned left;
    int started;    /* about to sleep: the signal may come */
    int done;       /* the sleep returned: no more signals */
};

static void *intr_fn(void *arg)
{
    struct intr *in = arg;
    struct timespec ts = {5, 0};
    in->rem = (struct timespec){0, 0};
    errno = 0;
    __atomic_store_n(&in->started, 1, __ATOMIC_RELEASE);
    switch (in->kind) {
    case 0:
        in->rc = nanosleep(&ts, &in->rem);
        in->err = errno;
        break;
    case 1:
        in->rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &in->rem);
        break;
    case 2: {
        struct timespec abs;
        clock_gettime(CLOCK_MONOTONIC, &abs);
        abs.tv_sec += 5;
        in->rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL);
        break;
    }
    case 3:
        in->rc = usleep(5000000 - 1);
        in->err = errno;
        break;
    case 4:
        in->left = sleep(5);
        break;
    }
    __atomic_store_n(&in->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void c_eintr(void)
{
    static const char *names[] = {"nanosleep", "clock_nanosleep",
                                  "clock_nanosleep(ABSTIME)", "usleep",
                                  "sleep"};
    for (int restart = 0; restart < 2; restart++) {
        struct sigaction sa = {.sa_handler = on_usr1,
                               .sa_flags = restart ? SA_RESTART : 0};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, NULL);
        for (int k = 0; k < 5; k++) {
            struct intr in = {.kind = k};
            atomic_store(&handled, 0);
            double t0 = now_ms();
            pthread_t t = spawn(intr_fn, &in);
            /* on a loaded machine the thread may start late, or stall
             * between "started" and its sleep and take the signal before
             * it: signal every 100 ms until the sleep returns */
            while (!__atomic_load_n(&in.started, __ATOMIC_ACQUIRE))
                msleep(5);
            do {
                msleep(100);
                if (!__atomic_load_n(&in.done, __ATOMIC_ACQUIRE))
                    pthread_kill(t, SIGUSR1);
            } while (!__atomic_load_n(&in.done, __ATOMIC_ACQUIRE));
            join(t);
            const char *ran = atomic_load(&handled) ? "yes" : "NO";
            double el = now_ms() - t0;
            double rem_ms = ts_ms(in.rem);
            const char *when = el < 4000 ? "interrupted" : "NOT INTERRUPTED";
            switch (k) {
            case 0:
            case 3:
                say("%s%s: %d %s, %s, handler ran %s%s", names[k],
                    restart ? " (SA_RESTART)" : "", in.rc, en(in.err), when, ran,
                    k == 0 ? (rem_ms > 500 && rem_ms < 5000
                                  ? ", rem holds the time left"
                                  : ", REM WRONG")
                           : "");
                break;
            case 1:
            case 2:
                say("%s%s: returns %s, %s, handler ran %s%s", names[k],
                    restart ? " (SA_RESTART)" : "", en(in.rc), when, ran,
                    k == 1 ? (rem_ms > 500 && rem_ms < 5000
                                  ? ", rem holds the time left"
                                  : ", REM WRONG")
                           : "");
                break;
            case 4:
                say("sleep(5)%s: returns %s, %s, handler ran %s",
                    restart ? " (SA_RESTART)" : "",
                    in.left >= 4 && in.left <= 5 ? "time left" : "WRONG", when, ran);
                break;
            }
        }
    }
    signal(SIGUSR1, SIG_DFL);
}

static const struct tcase cases[] = {
    {"order", c_order},
    {"zero", c_zero},
    {"single", c_single},
    {"sleep1", c_sleep1},
    {"errors", c_errors},
    {"eintr", c_eintr},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return run_cases(cases, argc, argv, "sleepers");
}
