/* aio_wait: libaio's waits for events that come about 300 ms later (an
 * IOCB_CMD_POLL of a pipe whose writer writes then) or for a timeout,
 * while a heartbeat thread ticks every 10 ms; run natively and under
 * coexec by tests/bats/uring.bats and compared. Linux AIO has no
 * descriptor to wait on, so under coexec the wait must go to the
 * blocking-call pool for the heartbeat, a coroutine of the same worker
 * with COEXEC_WORKERS=1, to go on. Each case prints results (libaio
 * returns -errno), event data, "timeout ok" and "heartbeat ok" or
 * "heartbeat STALLED (n ticks)"; never times.
 *
 *   getevents        io_getevents(1, 1, no timeout) for a poll written at 300 ms
 *   timeout          io_getevents(1, 1, 300 ms) with nothing in flight: 0
 *   partial          io_getevents(2, 2) with one event there and one at 300 ms: 2
 *   partial_timeout  io_getevents(2, 2, 300 ms) with one event there: 1 at the timeout
 *   intr             io_getevents, SIGALRM (no SA_RESTART) at 150 ms: -EINTR
 *   intr_restart     the same with SA_RESTART: -EINTR too
 *   pgetevents       io_pgetevents with an empty signal mask, written at 300 ms
 *   cancel           a thread in io_getevents cancelled at 100 ms: no cancellation
 *                    point; it returns at 300 ms, the next one acts
 *   destroy          io_destroy of a context with a poll in flight
 *   bad_args         a null context, min_nr > nr, a bad event pointer; errno unchanged
 */
#include <libaio.h>
#include <poll.h>

#include "harness.h"
#include "beat.h"

static void ctx_init(io_context_t *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    int r = io_setup(8, ctx);
    if (r < 0)
        die("io_setup", -r);
}

/* An IOCB_CMD_POLL for POLLIN on fd, submitted. */
static void submit_poll(io_context_t ctx, struct iocb *cb, int fd, unsigned long data)
{
    io_prep_poll(cb, fd, POLLIN);
    cb->data = (void *)data;
    struct iocb *list[1] = {cb};
    int r = io_submit(ctx, 1, list);
    if (r != 1)
        die("io_submit", r < 0 ? -r : EIO);
}

static const char *rn(long r)
{
    static char buf[4][32];
    static int i;
    i = (i + 1) % 4;
    if (r < 0)
        snprintf(buf[i], sizeof buf[i], "-%s", en((int)-r));
    else
        snprintf(buf[i], sizeof buf[i], "%ld", r);
    return buf[i];
}

static void show_events(struct io_event *ev, int n)
{
    for (int i = 0; i < n; i++)
        say("  event data %lu res %s", (unsigned long)ev[i].data, rn((long)ev[i].res));
}

static void c_getevents(void)
{
    io_context_t ctx;
    ctx_init(&ctx);
    int p[2];
    make_pipe(p);
    struct iocb cb;
    submit_poll(ctx, &cb, p[0], 1);
    struct beat b;
    beat_start(&b);
    struct later l;
    pthread_t w = later(&l, p[1], 300, LATER_WRITE);
    struct io_event ev[1];
    beat_begin(&b);
    int r = io_getevents(ctx, 1, 1, ev, NULL);
    beat_end(&b);
    beat_stop(&b);
    join(w);
    say("io_getevents(1, 1, none) = %s, %s", rn(r), beat_word(&b, 0));
    show_events(ev, r);
    close2(p);
    io_destroy(ctx);
}

static void c_timeout(void)
{
    io_context_t ctx;
    ctx_init(&ctx);
    struct beat b;
    beat_start(&b);
    struct timespec ts = {0, 300 * 1000000L};
    struct io_event ev[1];
    beat_begin(&b);
    double t0 = now_ms();
    int r = io_getevents(ctx, 1, 1, ev, &ts);
    beat_end(&b);
    beat_stop(&b);
    say("io_getevents(1, 1, 300 ms) = %s, %s, %s", rn(r), timing(t0, 300), beat_word(&b, 0));
    io_destroy(ctx);
}

/* One poll on a pipe with a byte in it (its event is there at once), one
 * on a pipe written at `ms`; wait for both. */
static void partial_case(int ms, const struct timespec *tmo)
{
    io_context_t ctx;
    ctx_init(&ctx);
    int p[2], q[2];
    make_pipe(p);
    make_pipe(q);
    if (write(p[1], "x", 1) != 1)
        die("write", errno);
    struct iocb c1, c2;
    submit_poll(ctx, &c1, p[0], 1);
    submit_poll(ctx, &c2, q[0], 2);
    struct beat b;
    beat_start(&b);
    struct later l;
    pthread_t w = later(&l, q[1], ms, LATER_WRITE);
    struct timespec ts;
    if (tmo)
        ts = *tmo;
    struct io_event ev[2];
    beat_begin(&b);
    double t0 = now_ms();
    int r = io_getevents(ctx, 2, 2, ev, tmo ? &ts : NULL);
    beat_end(&b);
    beat_stop(&b);
    say("io_getevents(2, 2, %s) = %s, %s, %s", tmo ? "300 ms" : "none", rn(r),
        timing(t0, 300), beat_word(&b, 0));
    show_events(ev, r);
    join(w);
    if (r == 1) {
        r = io_getevents(ctx, 1, 1, ev, NULL);
        say("then io_getevents(1, 1, none) = %s", rn(r));
        show_events(ev, r);
    }
    close2(p);
    close2(q);
    io_destroy(ctx);
}

static void c_partial(void)
{
    partial_case(300, NULL);
}

static void c_partial_timeout(void)
{
    struct timespec ts = {0, 300 * 1000000L};
    partial_case(600, &ts);
}

/* ---- signals ------------------------------------------------------------- */

static void intr_case(int flags)
{
    struct sigaction old;
    alrm_install(flags, &old);
    io_context_t ctx;
    ctx_init(&ctx);
    int p[2];
    make_pipe(p);
    struct iocb cb;
    submit_poll(ctx, &cb, p[0], 3);
    struct beat b;
    beat_start(&b);
    struct later l;
    pthread_t w = later(&l, p[1], 500, LATER_WRITE);
    struct shot s = {pthread_self(), 150, 0};
    pthread_t shooter = spawn(shot_fn, &s);
    struct io_event ev[1];
    beat_begin(&b);
    int r = io_getevents(ctx, 1, 1, ev, NULL);
    beat_end(&b);
    beat_stop(&b);
    alrm_restore(shooter, &old);
    say("io_getevents with SIGALRM at 150 ms%s = %s, handler ran %d, %s",
        flags & SA_RESTART ? " (SA_RESTART)" : "", rn(r), alrm_hits, beat_word(&b, 0));
    if (r < 0)
        r = io_getevents(ctx, 1, 1, ev, NULL);
    show_events(ev, r);
    join(w);
    close2(p);
    io_destroy(ctx);
}

static void c_intr(void)
{
    intr_case(0);
}

static void c_intr_restart(void)
{
    intr_case(SA_RESTART);
}

static void c_pgetevents(void)
{
    io_context_t ctx;
    ctx_init(&ctx);
    int p[2];
    make_pipe(p);
    struct iocb cb;
    submit_poll(ctx, &cb, p[0], 4);
    struct beat b;
    beat_start(&b);
    struct later l;
    pthread_t w = later(&l, p[1], 300, LATER_WRITE);
    sigset_t none;
    sigemptyset(&none);
    struct timespec ts = {2, 0};
    struct io_event ev[1];
    beat_begin(&b);
    int r = io_pgetevents(ctx, 1, 1, ev, &ts, &none);
    beat_end(&b);
    beat_stop(&b);
    join(w);
    say("io_pgetevents(1, 1, 2 s, empty mask) = %s, %s", rn(r), beat_word(&b, 0));
    show_events(ev, r);
    close2(p);
    io_destroy(ctx);
}

struct waiter {
    io_context_t ctx;
    int r;
    unsigned long data;
};

static void *waiter_fn(void *arg)
{
    struct waiter *wt = arg;
    struct io_event ev[1];
    wt->r = io_getevents(wt->ctx, 1, 1, ev, NULL);
    if (wt->r == 1)
        wt->data = (unsigned long)ev[0].data;
    pthread_testcancel();
    return NULL;
}

static void c_cancel(void)
{
    io_context_t ctx;
    ctx_init(&ctx);
    int p[2];
    make_pipe(p);
    struct iocb cb;
    submit_poll(ctx, &cb, p[0], 5);
    struct later l;
    pthread_t w = later(&l, p[1], 300, LATER_WRITE);
    struct waiter wt = {ctx, 99, 0};
    pthread_t t = spawn(waiter_fn, &wt);
    msleep(100);
    int rc = pthread_cancel(t);
    void *ret = join(t);
    join(w);
    say("cancel at 100 ms = %s; io_getevents returned %s with data %lu; the thread %s", en(rc),
        rn(wt.r), wt.data, ret == PTHREAD_CANCELED ? "was cancelled" : "returned");
    close2(p);
    io_destroy(ctx);
}

static void c_destroy(void)
{
    io_context_t ctx;
    ctx_init(&ctx);
    int p[2];
    make_pipe(p);
    struct iocb cb;
    submit_poll(ctx, &cb, p[0], 6);
    int r = io_destroy(ctx);
    say("io_destroy with a poll in flight = %s", rn(r));
    close2(p);
}

static void c_bad_args(void)
{
    io_context_t ctx;
    ctx_init(&ctx);
    struct io_event ev[2];
    struct timespec ts = {0, 100 * 1000000L};
    errno = 1234;
    int r = io_getevents(NULL, 1, 1, ev, &ts);
    say("io_getevents(null context) = %s, errno %s", rn(r), errno == 1234 ? "unchanged" : "CHANGED");
    r = io_getevents(ctx, 2, 1, ev, &ts);
    say("io_getevents(min_nr 2 > nr 1) = %s", rn(r));
    errno = 1234;
    r = io_getevents(ctx, 1, 1, (struct io_event *)bad_ptr, &ts);
    say("io_getevents(bad event pointer) = %s, errno %s", rn(r),
        errno == 1234 ? "unchanged" : "CHANGED");
    r = io_getevents(ctx, 0, 1, ev, NULL);
    say("io_getevents(min_nr 0, none) = %s", rn(r));
    io_destroy(ctx);
}

static const struct tcase cases[] = {
    {"getevents", c_getevents},
    {"timeout", c_timeout},
    {"partial", c_partial},
    {"partial_timeout", c_partial_timeout},
    {"intr", c_intr},
    {"intr_restart", c_intr_restart},
    {"pgetevents", c_pgetevents},
    {"cancel", c_cancel},
    {"destroy", c_destroy},
    {"bad_args", c_bad_args},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return run_cases(cases, argc, argv, "aio_wait");
}
