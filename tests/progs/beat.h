/* beat.h: what the programs that test waiting calls share (blocking,
 * stdio_wait, uring_wait, aio_wait, disk_rw, ipc_wait): a heartbeat thread that
 * ticks every 10 ms while a call waits, a signal shot at a waiting thread,
 * and children that only make async-signal-safe calls. Header-only, like
 * harness.h, which it follows.
 */
#ifndef TESTS_BEAT_H
#define TESTS_BEAT_H

#include <sys/wait.h>

/* The variable that, set, makes beat_word write each call's ticks and time
 * to stderr; a program may name its own before including this file. */
#ifndef BEAT_TIMES_ENV
#define BEAT_TIMES_ENV "BLOCKING_TIMES"
#endif

/* ---- the heartbeat ------------------------------------------------------ */

static int hb_stop, hb_ticks;

HARNESS void *hb_fn(void *arg)
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

/* Start the heartbeat and wait until it has ticked once (it runs). */
HARNESS void beat_start(struct beat *b)
{
    __atomic_store_n(&hb_stop, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&hb_ticks, 0, __ATOMIC_RELEASE);
    b->t = spawn(hb_fn, NULL);
    while (__atomic_load_n(&hb_ticks, __ATOMIC_ACQUIRE) < 1)
        msleep(1);
}

/* Just before the blocking call. */
HARNESS void beat_begin(struct beat *b)
{
    b->ticks0 = __atomic_load_n(&hb_ticks, __ATOMIC_ACQUIRE);
    b->t0 = now_ms();
}

/* Just after it. */
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

/* "heartbeat ok" when it ticked at least 5 times during the call (natively
 * about 40 in a 400 ms wait). Lenient, for calls that may legitimately be
 * quick (fsync on tmpfs, a read from a fast disk): a call of under 50 ms
 * is fine whatever the heartbeat did, and a longer one needs a tick per
 * 20 ms up to 5 (so that a native call of 55 ms, with its 5 ticks, is not
 * judged by a threshold it barely reaches). */
HARNESS const char *beat_word(const struct beat *b, int lenient)
{
    static char buf[64];
    if (getenv(BEAT_TIMES_ENV)) /* for a person looking at the margins */
        fprintf(stderr, "%s: %d ticks in %.0f ms\n", where, b->ticks, b->ms);
    int need = 5;
    if (lenient) {
        if (b->ms < 50)
            return "heartbeat ok";
        if (b->ms / 20 < need)
            need = (int)(b->ms / 20);
    }
    if (b->ticks >= need)
        return "heartbeat ok";
    snprintf(buf, sizeof buf, "heartbeat STALLED (%d ticks)", b->ticks);
    return buf;
}

/* ---- the case's file ------------------------------------------------------ */

/* tmp_dir: a fresh directory of $TMPDIR (or /tmp) named after the program;
 * tmp_make(name): the case's file `path`, alone in one; tmp_remove(). */
static char dir[256], path[300];

HARNESS void tmp_dir(char *d, size_t n)
{
    const char *t = getenv("TMPDIR");
    snprintf(d, n, "%s/%s.XXXXXX", t && *t ? t : "/tmp", program_invocation_short_name);
    if (!mkdtemp(d))
        die("mkdtemp", errno);
}

HARNESS void tmp_make(const char *name)
{
    tmp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/%s", dir, name);
}

HARNESS void tmp_remove(void)
{
    unlink(path);
    if (rmdir(dir) < 0)
        die("rmdir", errno);
}

/* ---- children ------------------------------------------------------------ */

/* In a child: async-signal-safe sleep. */
HARNESS void child_sleep(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

HARNESS pid_t fork_or_die(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        die("fork", errno);
    return pid;
}

/* Reap a child; its exit status, or -1 if it did not exit normally. */
HARNESS int reap(pid_t pid)
{
    int st;
    pid_t r;
    while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    if (r != pid)
        die("waitpid (reap)", errno);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

HARNESS void kill_reap(pid_t pid)
{
    kill(pid, SIGKILL);
    reap(pid);
}

/* ---- a signal at a waiting thread ------------------------------------------ */

static int alrm_hits, alrm_fired;

HARNESS void on_alrm(int sig)
{
    __atomic_add_fetch(&alrm_hits, 1, __ATOMIC_ACQ_REL);
}

/* SIGALRM to target after ms, and again at ms2 (0: once). */
struct shot {
    pthread_t target;
    int ms, ms2;
};

/* Another thread: the shot (or two) at the waiting thread. */
HARNESS void *shot_fn(void *arg)
{
    struct shot *s = arg;
    for (int i = 0, at = 0; i < 2; i++) {
        int when = i ? s->ms2 : s->ms;
        if (i && !when)
            break;
        msleep(when - at);
        at = when;
        __atomic_add_fetch(&alrm_fired, 1, __ATOMIC_ACQ_REL);
        int rc = pthread_kill(s->target, SIGALRM);
        if (rc)
            die("pthread_kill", rc);
    }
    return NULL;
}

HARNESS void alrm_install(int flags, struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alrm;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    __atomic_store_n(&alrm_hits, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&alrm_fired, 0, __ATOMIC_RELEASE);
    if (sigaction(SIGALRM, &sa, old) < 0)
        die("sigaction", errno);
}

/* The shots have been fired (joined) and handled before the old action
 * comes back: a SIGALRM still pending then would kill the program. */
HARNESS void alrm_restore(pthread_t shooter, struct sigaction *old)
{
    join(shooter);
    for (int i = 0; i < 2000 && __atomic_load_n(&alrm_hits, __ATOMIC_ACQUIRE) <
                                    __atomic_load_n(&alrm_fired, __ATOMIC_ACQUIRE);
         i++)
        msleep(1);
    if (sigaction(SIGALRM, old, NULL) < 0)
        die("sigaction", errno);
}

#endif /* TESTS_BEAT_H */
