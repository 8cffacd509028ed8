/* heartbeat.h: a thread that ticks every 10 ms while a test program's
 * other thread waits in a call (uring_wait, aio_wait). Under coexec with
 * COEXEC_WORKERS=1 it is a coroutine of the same worker, so it keeps
 * ticking only if the call parked its caller. Include after harness.h.
 *
 *   struct beat b; beat_start(&b); beat_begin(&b); CALL; beat_end(&b);
 *   beat_stop(&b); say("... %s", beat_word(&b));
 *
 * beat_word gives "heartbeat ok" (5 ticks or more during the call;
 * natively about 30 in a 300 ms wait) or "heartbeat STALLED (n ticks)";
 * HEARTBEAT_TIMES=1 in the environment writes ticks and times to stderr. */
#ifndef TESTS_HEARTBEAT_H
#define TESTS_HEARTBEAT_H

static int hb_stop, hb_ticks;

static void *hb_fn(void *arg)
{
    while (!__atomic_load_n(&hb_stop, __ATOMIC_ACQUIRE)) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
        __atomic_add_fetch(&hb_ticks, 1, __ATOMIC_ACQ_REL);
    }
    return NULL;
}

struct beat {
    pthread_t t;
    int ticks0, ticks;
    double t0, ms;
};

/* Start the heartbeat; return once it has ticked (it runs). */
HARNESS void beat_start(struct beat *b)
{
    __atomic_store_n(&hb_stop, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&hb_ticks, 0, __ATOMIC_RELEASE);
    b->t = spawn(hb_fn, NULL);
    while (__atomic_load_n(&hb_ticks, __ATOMIC_ACQUIRE) < 1)
        msleep(1);
}

HARNESS void beat_begin(struct beat *b)
{
    b->ticks0 = __atomic_load_n(&hb_ticks, __ATOMIC_ACQUIRE);
    b->t0 = now_ms();
}

HARNESS void beat_end(struct beat *b)
{
    b->ticks = __atomic_load_n(&hb_ticks, __ATOMIC_ACQUIRE) - b->ticks0;
    b->ms = now_ms() - b->t0;
}

HARNESS void beat_stop(struct beat *b)
{
    __atomic_store_n(&hb_stop, 1, __ATOMIC_RELEASE);
    join(b->t);
}

HARNESS const char *beat_word(const struct beat *b)
{
    static char buf[64];
    if (getenv("HEARTBEAT_TIMES"))
        fprintf(stderr, "%s: %d ticks in %.0f ms\n", where, b->ticks, b->ms);
    if (b->ticks >= 5)
        return "heartbeat ok";
    snprintf(buf, sizeof buf, "heartbeat STALLED (%d ticks)", b->ticks);
    return buf;
}

#endif /* TESTS_HEARTBEAT_H */
