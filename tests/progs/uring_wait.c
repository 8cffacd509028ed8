/* uring_wait: liburing's waits, each for a completion that comes about
 * 300 ms later (a read of a pipe whose writer writes then) or for a
 * timeout, while a heartbeat thread ticks every 10 ms; run natively and
 * under coexec by tests/bats/uring.bats and compared. liburing enters the
 * kernel with its own system calls, so under coexec the wait must park its
 * caller for the heartbeat, a coroutine of the same worker with
 * COEXEC_WORKERS=1, to go on. Each case prints results, errno names of
 * -errno returns, completion data, "timeout ok" and "heartbeat ok" or
 * "heartbeat STALLED (n ticks)"; never times.
 *
 *   wait_cqe        io_uring_wait_cqe for a pipe read, written at 300 ms
 *   wait_cqe_nr     io_uring_wait_cqe_nr(2) for two reads, written at 150 and 300 ms
 *   wait_timeout    io_uring_wait_cqe_timeout(300 ms) with nothing in flight: -ETIME
 *   wait_partial    io_uring_wait_cqes(2, 300 ms) with one completion there: 0 at the timeout
 *   submit_wait     io_uring_submit_and_wait(1) of a read written at 300 ms
 *   submit_timeout  io_uring_submit_and_wait_timeout(1, 2 s) of a read written at 300 ms
 *   submit_expire   the same with 300 ms and the write at 600 ms: the count submitted, no completion
 *   intr            io_uring_wait_cqe, SIGALRM (no SA_RESTART) at 150 ms: -EINTR
 *   intr_restart    the same with SA_RESTART: -EINTR too (io_uring never restarts)
 *   intr_twice      io_uring_submit_and_wait_timeout without timeout, SIGALRM at 150 and
 *                   300 ms: liburing waits again after the first, returns 1 after the second
 *   cancel          a thread in io_uring_wait_cqe cancelled at 100 ms: the wait is no
 *                   cancellation point; it returns at 300 ms, the next one acts
 *   single_issuer   io_uring_wait_cqe on an IORING_SETUP_SINGLE_ISSUER ring
 *   sqpoll          io_uring_submit_and_wait(1) on an IORING_SETUP_SQPOLL ring
 *   defer_taskrun   a DEFER_TASKRUN ring: a read written at 300 ms, a 200 ms timeout
 *   iopoll          waits on an IORING_SETUP_IOPOLL ring (the pool; the kernel returns at once)
 *   bad_args        a bad timeout pointer, a negative timeout, a peek of an empty ring
 *   exit_reuse      a ring waited on and exited; an eventfd takes its number and a read
 *                   of it waits for a write at 200 ms
 */
#include <liburing.h>
#include <stdint.h>
#include <sys/eventfd.h>

#include "harness.h"
#include "beat.h"

static void ring_init(struct io_uring *ring, unsigned flags)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    p.flags = flags;
    p.sq_thread_idle = 10; /* ms: an SQPOLL thread sleeps soon */
    int r = io_uring_queue_init_params(8, ring, &p);
    if (r < 0)
        die("io_uring_queue_init_params", -r);
}

static void prep_read(struct io_uring *ring, int fd, char *buf, unsigned long data)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (!sqe)
        die("io_uring_get_sqe", ENOSPC);
    io_uring_prep_read(sqe, fd, buf, 1, -1);
    io_uring_sqe_set_data64(sqe, data);
}

static void prep_nop(struct io_uring *ring, unsigned long data)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (!sqe)
        die("io_uring_get_sqe", ENOSPC);
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, data);
}

static void submit(struct io_uring *ring, int want)
{
    int r = io_uring_submit(ring);
    if (r != want)
        die("io_uring_submit", r < 0 ? -r : EIO);
}

/* "-ETIME" style names for liburing's -errno returns; counts as numbers. */
static const char *rn(int r)
{
    static char buf[4][32];
    static int i;
    i = (i + 1) % 4;
    if (r < 0)
        snprintf(buf[i], sizeof buf[i], "-%s", en(-r));
    else
        snprintf(buf[i], sizeof buf[i], "%d", r);
    return buf[i];
}

/* Say what the completion is, and consume it. */
static void show_cqe(struct io_uring *ring, struct io_uring_cqe *cqe)
{
    if (!cqe) {
        say("  no completion");
        return;
    }
    say("  completion data %llu res %s", (unsigned long long)cqe->user_data, rn(cqe->res));
    io_uring_cqe_seen(ring, cqe);
}

/* Take every completion still there, waiting for `n` of them. */
static void drain(struct io_uring *ring, int n)
{
    for (int i = 0; i < n; i++) {
        struct io_uring_cqe *cqe;
        int r = io_uring_wait_cqe(ring, &cqe);
        if (r < 0)
            die("io_uring_wait_cqe (drain)", -r);
        show_cqe(ring, cqe);
    }
}

/* One read of a pipe written at `ms`, waited for by io_uring_wait_cqe. */
static void read_case(unsigned flags, const char *what)
{
    struct io_uring ring;
    ring_init(&ring, flags);
    int p[2];
    char buf[2];
    make_pipe(p);
    prep_read(&ring, p[0], buf, 7);
    submit(&ring, 1);
    struct beat b;
    beat_start(&b);
    struct later l;
    pthread_t w = later(&l, p[1], 300, LATER_WRITE);
    struct io_uring_cqe *cqe = NULL;
    beat_begin(&b);
    int r = io_uring_wait_cqe(&ring, &cqe);
    beat_end(&b);
    beat_stop(&b);
    join(w);
    say("%s: io_uring_wait_cqe = %s, %s", what, rn(r), beat_word(&b, 0));
    show_cqe(&ring, r == 0 ? cqe : NULL);
    close2(p);
    io_uring_queue_exit(&ring);
}

static void c_wait_cqe(void)
{
    read_case(0, "plain ring");
}

static void c_single_issuer(void)
{
    read_case(IORING_SETUP_SINGLE_ISSUER, "SINGLE_ISSUER ring");
}

static void c_wait_cqe_nr(void)
{
    struct io_uring ring;
    ring_init(&ring, 0);
    int p[2], q[2];
    char b1[2], b2[2];
    make_pipe(p);
    make_pipe(q);
    prep_read(&ring, p[0], b1, 1);
    prep_read(&ring, q[0], b2, 2);
    submit(&ring, 2);
    struct beat b;
    beat_start(&b);
    struct later l1, l2;
    pthread_t w1 = later(&l1, p[1], 150, LATER_WRITE), w2 = later(&l2, q[1], 300, LATER_WRITE);
    struct io_uring_cqe *cqe = NULL;
    beat_begin(&b);
    double t0 = now_ms();
    int r = io_uring_wait_cqe_nr(&ring, &cqe, 2);
    beat_end(&b);
    beat_stop(&b);
    join(w1);
    join(w2);
    say("io_uring_wait_cqe_nr(2) = %s, %u ready, %s, %s", rn(r), io_uring_cq_ready(&ring),
        timing(t0, 300), beat_word(&b, 0));
    drain(&ring, 2);
    close2(p);
    close2(q);
    io_uring_queue_exit(&ring);
}

static void c_wait_timeout(void)
{
    struct io_uring ring;
    ring_init(&ring, 0);
    struct beat b;
    beat_start(&b);
    struct __kernel_timespec ts = {0, 300 * 1000000L};
    struct io_uring_cqe *cqe = (void *)1;
    beat_begin(&b);
    double t0 = now_ms();
    int r = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
    beat_end(&b);
    beat_stop(&b);
    say("io_uring_wait_cqe_timeout(300 ms) = %s, %s, %s", rn(r), timing(t0, 300), beat_word(&b, 0));
    io_uring_queue_exit(&ring);
}

static void c_wait_partial(void)
{
    struct io_uring ring;
    ring_init(&ring, 0);
    int p[2];
    char buf[2];
    make_pipe(p);
    prep_nop(&ring, 3);
    prep_read(&ring, p[0], buf, 4);
    submit(&ring, 2);
    struct beat b;
    beat_start(&b);
    struct __kernel_timespec ts = {0, 300 * 1000000L};
    struct io_uring_cqe *cqe = NULL;
    beat_begin(&b);
    double t0 = now_ms();
    int r = io_uring_wait_cqes(&ring, &cqe, 2, &ts, NULL);
    beat_end(&b);
    beat_stop(&b);
    say("io_uring_wait_cqes(2, 300 ms) with one there = %s, %s, %s", rn(r), timing(t0, 300),
        beat_word(&b, 0));
    show_cqe(&ring, r == 0 ? cqe : NULL);
    if (write(p[1], "x", 1) != 1)
        die("write", errno);
    drain(&ring, 1);
    close2(p);
    io_uring_queue_exit(&ring);
}

/* io_uring_submit_and_wait(1) of a read written at 300 ms. */
static void submit_wait_case(unsigned flags, const char *what)
{
    struct io_uring ring;
    ring_init(&ring, flags);
    int p[2];
    char buf[2];
    make_pipe(p);
    prep_read(&ring, p[0], buf, 5);
    struct beat b;
    beat_start(&b);
    struct later l;
    pthread_t w = later(&l, p[1], 300, LATER_WRITE);
    beat_begin(&b);
    int r = io_uring_submit_and_wait(&ring, 1);
    beat_end(&b);
    beat_stop(&b);
    join(w);
    say("%s: io_uring_submit_and_wait(1) = %s, %u ready, %s", what, rn(r),
        io_uring_cq_ready(&ring), beat_word(&b, 0));
    drain(&ring, 1);
    close2(p);
    io_uring_queue_exit(&ring);
}

static void c_submit_wait(void)
{
    submit_wait_case(0, "plain ring");
}

static void c_sqpoll(void)
{
    submit_wait_case(IORING_SETUP_SQPOLL, "SQPOLL ring");
}

static void c_submit_timeout(void)
{
    struct io_uring ring;
    ring_init(&ring, 0);
    int p[2];
    char buf[2];
    make_pipe(p);
    prep_read(&ring, p[0], buf, 6);
    struct beat b;
    beat_start(&b);
    struct later l;
    pthread_t w = later(&l, p[1], 300, LATER_WRITE);
    struct __kernel_timespec ts = {2, 0};
    struct io_uring_cqe *cqe = NULL;
    beat_begin(&b);
    int r = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, NULL);
    beat_end(&b);
    beat_stop(&b);
    join(w);
    say("io_uring_submit_and_wait_timeout(1, 2 s) = %s, %s", rn(r), beat_word(&b, 0));
    show_cqe(&ring, r >= 0 ? cqe : NULL);
    close2(p);
    io_uring_queue_exit(&ring);
}

static void c_submit_expire(void)
{
    struct io_uring ring;
    ring_init(&ring, 0);
    int p[2];
    char buf[2];
    make_pipe(p);
    prep_read(&ring, p[0], buf, 8);
    struct beat b;
    beat_start(&b);
    struct later l;
    pthread_t w = later(&l, p[1], 600, LATER_WRITE);
    struct __kernel_timespec ts = {0, 300 * 1000000L};
    struct io_uring_cqe *cqe = (void *)1;
    beat_begin(&b);
    double t0 = now_ms();
    int r = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, NULL);
    beat_end(&b);
    beat_stop(&b);
    say("io_uring_submit_and_wait_timeout(1, 300 ms) = %s, %s, %s, %s", rn(r),
        cqe ? "a completion" : "no completion", timing(t0, 300), beat_word(&b, 0));
    drain(&ring, 1);
    join(w);
    close2(p);
    io_uring_queue_exit(&ring);
}

/* ---- signals ------------------------------------------------------------- */

static void intr_case(int flags)
{
    struct sigaction old;
    alrm_install(flags, &old);
    struct io_uring ring;
    ring_init(&ring, 0);
    int p[2];
    char buf[2];
    make_pipe(p);
    prep_read(&ring, p[0], buf, 9);
    submit(&ring, 1);
    struct beat b;
    beat_start(&b);
    struct later l;
    pthread_t w = later(&l, p[1], 500, LATER_WRITE);
    struct shot s = {pthread_self(), 150, 0};
    pthread_t shooter = spawn(shot_fn, &s);
    struct io_uring_cqe *cqe = NULL;
    beat_begin(&b);
    int r = io_uring_wait_cqe(&ring, &cqe);
    beat_end(&b);
    beat_stop(&b);
    alrm_restore(shooter, &old);
    say("io_uring_wait_cqe with SIGALRM at 150 ms%s = %s, handler ran %d, %s",
        flags & SA_RESTART ? " (SA_RESTART)" : "", rn(r), alrm_hits, beat_word(&b, 0));
    if (r == 0)
        show_cqe(&ring, cqe);
    else
        drain(&ring, 1);
    join(w);
    close2(p);
    io_uring_queue_exit(&ring);
}

static void c_intr(void)
{
    intr_case(0);
}

static void c_intr_restart(void)
{
    intr_case(SA_RESTART);
}

static void c_intr_twice(void)
{
    struct sigaction old;
    alrm_install(0, &old);
    struct io_uring ring;
    ring_init(&ring, 0);
    int p[2];
    char buf[2];
    make_pipe(p);
    prep_read(&ring, p[0], buf, 10);
    struct beat b;
    beat_start(&b);
    struct later l;
    pthread_t w = later(&l, p[1], 600, LATER_WRITE);
    struct shot s = {pthread_self(), 150, 300};
    pthread_t shooter = spawn(shot_fn, &s);
    struct io_uring_cqe *cqe = (void *)1;
    beat_begin(&b);
    int r = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, NULL, NULL);
    beat_end(&b);
    beat_stop(&b);
    alrm_restore(shooter, &old);
    say("io_uring_submit_and_wait_timeout(1, none), SIGALRM at 150 and 300 ms = %s, %s, "
        "handler ran %d, %s", rn(r), cqe ? "a completion" : "no completion", alrm_hits,
        beat_word(&b, 0));
    drain(&ring, 1);
    join(w);
    close2(p);
    io_uring_queue_exit(&ring);
}

/* ---- cancellation ---------------------------------------------------------- */

struct waiter {
    struct io_uring *ring;
    int r;
    unsigned long data;
};

static void *waiter_fn(void *arg)
{
    struct waiter *wt = arg;
    struct io_uring_cqe *cqe = NULL;
    wt->r = io_uring_wait_cqe(wt->ring, &cqe);
    if (wt->r == 0) {
        wt->data = cqe->user_data;
        io_uring_cqe_seen(wt->ring, cqe);
    }
    pthread_testcancel();
    return NULL;
}

static void c_cancel(void)
{
    struct io_uring ring;
    ring_init(&ring, 0);
    int p[2];
    char buf[2];
    make_pipe(p);
    prep_read(&ring, p[0], buf, 11);
    submit(&ring, 1);
    struct later l;
    pthread_t w = later(&l, p[1], 300, LATER_WRITE);
    struct waiter wt = {&ring, 99, 0};
    pthread_t t = spawn(waiter_fn, &wt);
    msleep(100);
    int rc = pthread_cancel(t);
    void *ret = join(t);
    join(w);
    say("cancel at 100 ms = %s; the wait returned %s with data %lu; the thread %s", en(rc),
        rn(wt.r), wt.data, ret == PTHREAD_CANCELED ? "was cancelled" : "returned");
    close2(p);
    io_uring_queue_exit(&ring);
}

/* ---- rings the descriptor cannot speak for ---------------------------------- */

static void c_defer_taskrun(void)
{
    read_case(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, "DEFER_TASKRUN ring");
    struct io_uring ring;
    ring_init(&ring, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
    struct beat b;
    beat_start(&b);
    struct __kernel_timespec ts = {0, 200 * 1000000L};
    struct io_uring_cqe *cqe = NULL;
    beat_begin(&b);
    double t0 = now_ms();
    int r = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
    beat_end(&b);
    beat_stop(&b);
    say("DEFER_TASKRUN ring: io_uring_wait_cqe_timeout(200 ms) = %s, %s, %s", rn(r),
        timing(t0, 200), beat_word(&b, 0));
    io_uring_queue_exit(&ring);
}

/* An IOPOLL ring finds completions by polling devices: with nothing to
 * poll, the kernel's wait returns at once (a timeout is not waited out). */
static void c_iopoll(void)
{
    struct io_uring ring;
    ring_init(&ring, IORING_SETUP_IOPOLL);
    struct __kernel_timespec ts = {0, 300 * 1000000L};
    struct io_uring_cqe *cqe = NULL;
    int r = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
    say("IOPOLL ring: io_uring_wait_cqe_timeout(300 ms) = %s", rn(r));
    r = io_uring_wait_cqes(&ring, &cqe, 2, &ts, NULL);
    say("IOPOLL ring: io_uring_wait_cqes(2, 300 ms) = %s", rn(r));
    prep_nop(&ring, 13);
    r = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, NULL);
    say("IOPOLL ring: io_uring_submit_and_wait_timeout(1, 300 ms) of a nop = %s", rn(r));
    show_cqe(&ring, r >= 0 ? cqe : NULL);
    io_uring_queue_exit(&ring);
}

static void c_bad_args(void)
{
    struct io_uring ring;
    ring_init(&ring, 0);
    struct io_uring_cqe *cqe = NULL;
    int r = io_uring_wait_cqes(&ring, &cqe, 1, (struct __kernel_timespec *)bad_ptr, NULL);
    say("io_uring_wait_cqes with a bad timeout pointer = %s", rn(r));
    struct __kernel_timespec neg = {-1, 0};
    double t0 = now_ms();
    r = io_uring_wait_cqe_timeout(&ring, &cqe, &neg);
    say("io_uring_wait_cqe_timeout(-1 s) = %s, %s", rn(r),
        now_ms() - t0 < 100 ? "at once" : "LATE");
    r = io_uring_peek_cqe(&ring, &cqe);
    say("io_uring_peek_cqe of an empty ring = %s", rn(r));
    r = io_uring_submit_and_wait(&ring, 0);
    say("io_uring_submit_and_wait(0) with nothing queued = %s", rn(r));
    io_uring_queue_exit(&ring);
}

static void *event_later(void *arg)
{
    int fd = *(int *)arg;
    msleep(200);
    uint64_t one = 1;
    if (write(fd, &one, sizeof one) != sizeof one)
        die("eventfd write", errno);
    return NULL;
}

/* A ring's descriptor number, once it is closed, may name anything:
 * waits for what it names then must not meet the ring's traces. */
static void c_exit_reuse(void)
{
    struct io_uring ring;
    ring_init(&ring, 0);
    int ringfd = ring.ring_fd;
    struct __kernel_timespec ts = {0, 50 * 1000000L};
    struct io_uring_cqe *cqe;
    int r = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
    io_uring_queue_exit(&ring);
    int efd = eventfd(0, 0);
    if (efd < 0)
        die("eventfd", errno);
    say("a 50 ms wait = %s; the eventfd %s the ring's number", rn(r),
        efd == ringfd ? "takes" : "does not take");
    struct beat b;
    beat_start(&b);
    pthread_t w = spawn(event_later, &efd);
    uint64_t v = 0;
    beat_begin(&b);
    ssize_t n = read(efd, &v, sizeof v);
    int e = n < 0 ? errno : 0;
    beat_end(&b);
    beat_stop(&b);
    join(w);
    say("read of the eventfd = %zd (%s), value %llu, %s", n, en(e), (unsigned long long)v,
        beat_word(&b, 0));
    close(efd);
}

static const struct tcase cases[] = {
    {"wait_cqe", c_wait_cqe},
    {"wait_cqe_nr", c_wait_cqe_nr},
    {"wait_timeout", c_wait_timeout},
    {"wait_partial", c_wait_partial},
    {"submit_wait", c_submit_wait},
    {"submit_timeout", c_submit_timeout},
    {"submit_expire", c_submit_expire},
    {"intr", c_intr},
    {"intr_restart", c_intr_restart},
    {"intr_twice", c_intr_twice},
    {"cancel", c_cancel},
    {"single_issuer", c_single_issuer},
    {"sqpoll", c_sqpoll},
    {"defer_taskrun", c_defer_taskrun},
    {"iopoll", c_iopoll},
    {"bad_args", c_bad_args},
    {"exit_reuse", c_exit_reuse},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return run_cases(cases, argc, argv, "uring_wait");
}
