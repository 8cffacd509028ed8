/* thread_api: the pthread calls a threaded daemon makes around its
 * threads: create with attributes, join and its variants, detach, exit,
 * identity, names, stacks, thread-specific data, cancellation, yield.
 *
 *   thread_api [--list | CASE...]
 *   thread_api exit_main
 *
 * Each case runs on the main thread, then on a thread of its own.
 * "exit_main" is a mode of its own: main calls pthread_exit while three
 * threads still run; the process must live until the last one ends and
 * exit 0.
 * "cancel_alone" is another: a process that never creates a thread cancels
 * its main thread, then reads from a pipe that has data; the read is the
 * cancellation point, the cleanup handler runs and the process exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define RC(label, call)                                                    \
    do {                                                                   \
        int rc_ = (call);                                                  \
        say("%s: %s", label, en(rc_));                                     \
    } while (0)

/* A thread that blocks reading a pipe until released, then returns 7. */
struct gate {
    int in[2];    /* main writes here to release */
    int out[2];   /* thread writes here when it is about to return */
};

static void gate_open(struct gate *g)
{
    make_pipe(g->in);
    make_pipe(g->out);
}

static void gate_close(struct gate *g)
{
    close2(g->in);
    close2(g->out);
}

static void *gated(void *arg)
{
    struct gate *g = arg;
    char c;
    if (read(g->in[0], &c, 1) != 1)
        die("gated read", errno);
    write(g->out[1], "d", 1);
    return (void *)7;
}

static void release(struct gate *g)
{
    write(g->in[1], "r", 1);
}

static void wait_done(struct gate *g)
{
    char c;
    if (read(g->out[0], &c, 1) != 1)
        die("wait_done read", errno);
}

static void *ret42(void *arg)
{
    return (void *)42;
}

static void exit_deep(int depth)
{
    if (depth <= 0)
        pthread_exit((void *)43);
    if (depth < 100)
        exit_deep(depth - 1);
}

static void *exits43(void *arg)
{
    exit_deep(5);
    return NULL;
}

static void *ret_arg(void *arg)
{
    return arg;
}

static void c_join_values(void)
{
    void *r;
    pthread_t t = spawn(ret42, NULL);
    RC("join", pthread_join(t, &r));
    say("  returned %ld", (long)(intptr_t)r);
    t = spawn(exits43, NULL);
    RC("join a thread that called pthread_exit 5 frames deep",
       pthread_join(t, &r));
    say("  returned %ld", (long)(intptr_t)r);
    t = spawn(ret42, NULL);
    RC("join with NULL retval", pthread_join(t, NULL));
    long bad = 0;
    for (long i = 0; i < 1000; i++) {
        t = spawn(ret_arg, (void *)(intptr_t)i);
        if ((intptr_t)join(t) != i)
            bad++;
    }
    say("1000 create+join in a row: %ld wrong values", bad);
}

/* The end of c_detached and c_detach: detach the (already detached) gated
 * thread again, release it, let it finish, and close its gate. */
static void detach_again_and_finish(struct gate *g, pthread_t t)
{
    RC("detach it again", pthread_detach(t));
    release(g);
    wait_done(g);
    msleep(20);
    say("  it finished");
    gate_close(g);
}

static void c_detached(void)
{
    struct gate g;
    gate_open(&g);
    pthread_attr_t a;
    pthread_attr_init(&a);
    RC("setdetachstate DETACHED",
       pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED));
    int st;
    pthread_attr_getdetachstate(&a, &st);
    say("  getdetachstate: %s",
        st == PTHREAD_CREATE_DETACHED ? "DETACHED" : "JOINABLE");
    pthread_t t;
    RC("create detached", pthread_create(&t, &a, gated, &g));
    pthread_attr_destroy(&a);
    pthread_attr_t got;
    pthread_getattr_np(t, &got);
    pthread_attr_getdetachstate(&got, &st);
    pthread_attr_destroy(&got);
    say("  getattr_np of the running thread: %s",
        st == PTHREAD_CREATE_DETACHED ? "DETACHED" : "JOINABLE");
    RC("join it while it runs", pthread_join(t, NULL));
    detach_again_and_finish(&g, t);
}

static void c_detach(void)
{
    struct gate g;
    gate_open(&g);
    pthread_t t = spawn(gated, &g);
    RC("detach a running thread", pthread_detach(t));
    RC("join it", pthread_join(t, NULL));
    detach_again_and_finish(&g, t);
}

static void c_join_self(void)
{
    RC("join self", pthread_join(pthread_self(), NULL));
    RC("tryjoin self", pthread_tryjoin_np(pthread_self(), NULL));
}

static void c_tryjoin(void)
{
    struct gate g;
    gate_open(&g);
    pthread_t t = spawn(gated, &g);
    void *r = NULL;
    RC("tryjoin while it runs", pthread_tryjoin_np(t, &r));
    release(&g);
    int rc;
    double t0 = now_ms();
    while ((rc = pthread_tryjoin_np(t, &r)) == EBUSY && now_ms() - t0 < 5000)
        usleep(1000);
    say("tryjoin after releasing it, retried while EBUSY: %s, returned %ld",
        en(rc), (long)(intptr_t)r);
    gate_close(&g);
}

static struct timespec abs_rt_ms(int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (ms % 1000) * 1000000L;
    ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

static void c_timedjoin(void)
{
    struct gate g;
    gate_open(&g);
    pthread_t t = spawn(gated, &g);
    /* (Not tested: glibc 2.36 pthread_timedjoin_np with tv_nsec >= 1e9
     * spins forever instead of returning EINVAL.) */
    struct timespec ts = abs_rt_ms(100);
    double t0 = now_ms();
    int rc = pthread_timedjoin_np(t, NULL, &ts);
    say("timedjoin, 100ms, while it runs: %s, %s", en(rc), timing(t0, 100));
    ts = abs_rt_ms(-1000);
    t0 = now_ms();
    rc = pthread_timedjoin_np(t, NULL, &ts);
    say("timedjoin, deadline in the past: %s, %s", en(rc),
        now_ms() - t0 < 500 ? "immediate" : "SLOW");
    struct later l;
    pthread_t rel = later(&l, g.in[1], 50, LATER_WRITE);
    ts = abs_rt_ms(5000);
    void *r = NULL;
    t0 = now_ms();
    rc = pthread_timedjoin_np(t, &r, &ts);
    say("timedjoin, 5s, released after 50ms: %s, returned %ld, %s", en(rc),
        (long)(intptr_t)r, now_ms() - t0 < 4000 ? "early" : "LATE");
    join(rel);
    gate_close(&g);
}

struct stackinfo {
    size_t want;
    void *addr;
    size_t size, guard;
    int contains_local;
    int rc;
};

static void *stack_probe(void *arg)
{
    struct stackinfo *si = arg;
    int local = 1;
    pthread_attr_t a;
    si->rc = pthread_getattr_np(pthread_self(), &a);
    if (si->rc)
        return NULL;
    pthread_attr_getstack(&a, &si->addr, &si->size);
    pthread_attr_getguardsize(&a, &si->guard);
    pthread_attr_destroy(&a);
    char *lo = si->addr;
    si->contains_local = (char *)&local >= lo && (char *)&local < lo + si->size;
    return NULL;
}

static void c_stacks(void)
{
    struct stackinfo si = {0};
    stack_probe(&si);
    say("this thread's own stack contains a local: %s",
        si.contains_local ? "yes" : "NO");

    pthread_attr_t def;
    pthread_attr_init(&def);
    size_t defsize = 0, defguard = 0;
    pthread_attr_getstacksize(&def, &defsize);
    pthread_attr_getguardsize(&def, &defguard);
    pthread_attr_destroy(&def);
    say("default attr: stacksize %zu, guardsize %zu", defsize, defguard);

    memset(&si, 0, sizeof si);
    join(spawn(stack_probe, &si));
    /* (not the exact size: glibc reuses a cached, larger stack of an
     * earlier thread when it has one) */
    say("default thread: getattr_np %s, stacksize %s, guardsize %zu, "
        "contains a local %s", en(si.rc),
        si.size >= defsize ? ">= default" : "SMALLER", si.guard,
        si.contains_local ? "yes" : "NO");

    size_t sizes[] = {65536, 1 << 20, 16 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        pthread_attr_t a;
        pthread_attr_init(&a);
        RC("setstacksize", pthread_attr_setstacksize(&a, sizes[i]));
        memset(&si, 0, sizeof si);
        pthread_t t;
        RC("  create", pthread_create(&t, &a, stack_probe, &si));
        join(t);
        pthread_attr_destroy(&a);
        say("  asked %zu: stacksize %s, contains a local %s", sizes[i],
            si.size >= sizes[i] ? ">= asked" : "SMALLER",
            si.contains_local ? "yes" : "NO");
    }
    pthread_attr_t a;
    pthread_attr_init(&a);
    RC("setstacksize below PTHREAD_STACK_MIN",
       pthread_attr_setstacksize(&a, 1024));
    pthread_attr_destroy(&a);
}

static void c_user_stack(void)
{
    size_t sz = 256 * 1024;
    void *blk = mmap(NULL, sz, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (blk == MAP_FAILED)
        die("mmap", errno);
    pthread_attr_t a;
    pthread_attr_init(&a);
    RC("setstack (mmap'd 256 KiB)", pthread_attr_setstack(&a, blk, sz));
    struct stackinfo si = {0};
    pthread_t t;
    RC("  create", pthread_create(&t, &a, stack_probe, &si));
    join(t);
    say("  getattr_np: %s, stack is exactly the block %s, contains a local %s",
        en(si.rc), si.addr == blk && si.size == sz ? "yes" : "NO",
        si.contains_local ? "yes" : "NO");
    pthread_attr_destroy(&a);
    /* the block is the program's again: reuse it for a second thread */
    pthread_attr_init(&a);
    pthread_attr_setstack(&a, blk, sz);
    memset(&si, 0, sizeof si);
    RC("  create again on the same block", pthread_create(&t, &a, stack_probe, &si));
    join(t);
    say("  contains a local %s", si.contains_local ? "yes" : "NO");
    pthread_attr_destroy(&a);
    munmap(blk, sz);

    void *mal = NULL;
    if (posix_memalign(&mal, 4096, sz))
        die("posix_memalign", ENOMEM);
    pthread_attr_init(&a);
    pthread_attr_setstack(&a, mal, sz);
    memset(&si, 0, sizeof si);
    RC("setstack (malloc'd), create", pthread_create(&t, &a, stack_probe, &si));
    join(t);
    say("  stack is exactly the block %s, contains a local %s",
        si.addr == mal && si.size == sz ? "yes" : "NO",
        si.contains_local ? "yes" : "NO");
    pthread_attr_destroy(&a);
    free(mal);
}

struct ident {
    pthread_t self;
    volatile int known;      /* self is set (a loaded machine may start the
                                thread long after pthread_create returns) */
    struct gate g;
};

static void *who(void *arg)
{
    struct ident *id = arg;
    id->self = pthread_self();
    __atomic_store_n(&id->known, 1, __ATOMIC_RELEASE);
    return gated(&id->g);
}

static void c_self_equal(void)
{
    struct ident id = {0}, id2 = {0};
    gate_open(&id.g);
    gate_open(&id2.g);
    pthread_t t = spawn(who, &id), t2 = spawn(who, &id2);
    while (!__atomic_load_n(&id.known, __ATOMIC_ACQUIRE) ||
           !__atomic_load_n(&id2.known, __ATOMIC_ACQUIRE))
        msleep(5);
    say("pthread_self in the thread equals its id: %s",
        pthread_equal(id.self, t) && pthread_equal(id2.self, t2) ? "yes" : "NO");
    say("differs from the creator's: %s",
        !pthread_equal(id.self, pthread_self()) ? "yes" : "NO");
    say("pthread_self equals itself: %s",
        pthread_equal(pthread_self(), pthread_self()) ? "yes" : "NO");
    say("two live threads differ: %s",
        !pthread_equal(id.self, id2.self) ? "yes" : "NO");
    release(&id.g);
    release(&id2.g);
    join(t);
    join(t2);
    gate_close(&id.g);
    gate_close(&id2.g);
}

struct named {
    struct gate g;
    char got[32];
    int rc_set, rc_get;
    atomic_int named;
};

static void *self_namer(void *arg)
{
    struct named *n = arg;
    n->rc_set = pthread_setname_np(pthread_self(), "self-named");
    n->rc_get = pthread_getname_np(pthread_self(), n->got, sizeof n->got);
    atomic_store(&n->named, 1);
    return gated(&n->g);
}

static void c_names(void)
{
    struct named n;
    memset(&n, 0, sizeof n);
    gate_open(&n.g);
    pthread_t t = spawn(self_namer, &n);
    while (!atomic_load(&n.named)) /* not a fixed sleep: it may start late */
        msleep(1);
    say("thread named itself: %s, reads back %s \"%s\"", en(n.rc_set),
        en(n.rc_get), n.got);
    char buf[32] = "";
    RC("getname from the creator", pthread_getname_np(t, buf, sizeof buf));
    say("  \"%s\"", buf);
    RC("setname \"worker-1\" from the creator", pthread_setname_np(t, "worker-1"));
    memset(buf, 0, sizeof buf);
    RC("getname", pthread_getname_np(t, buf, sizeof buf));
    say("  \"%s\"", buf);
    RC("setname with 16 characters",
       pthread_setname_np(t, "sixteen-chars-xx"));
    RC("setname with 15 characters", pthread_setname_np(t, "fifteen-chars-x"));
    memset(buf, 0, sizeof buf);
    pthread_getname_np(t, buf, sizeof buf);
    say("  \"%s\"", buf);
    char small[8];
    RC("getname into 8 bytes", pthread_getname_np(t, small, sizeof small));
    release(&n.g);
    join(t);
    gate_close(&n.g);

    /* a fresh thread starts with the process's name */
    struct named n2;
    memset(&n2, 0, sizeof n2);
    gate_open(&n2.g);
    t = spawn(gated, &n2.g);
    memset(buf, 0, sizeof buf);
    RC("new thread's name", pthread_getname_np(t, buf, sizeof buf));
    say("  \"%s\"", buf);
    release(&n2.g);
    join(t);
    gate_close(&n2.g);
}

#define PINGPONG 1000
static atomic_int turn;
static atomic_long spins;

static void *pinger(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (int i = 0; i < PINGPONG; i++) {
        while (atomic_load(&turn) != me) {
            sched_yield();
            atomic_fetch_add(&spins, 1);
        }
        atomic_store(&turn, 1 - me);
    }
    return NULL;
}

static void c_yield(void)
{
    atomic_store(&turn, 0);
    atomic_store(&spins, 0);
    pthread_t a = spawn(pinger, (void *)0), b = spawn(pinger, (void *)1);
    join(a);
    join(b);
    say("two threads ping-pong %d rounds through an atomic and sched_yield: "
        "done, turn back at %d", PINGPONG, atomic_load(&turn));
    say("sched_yield: %d", sched_yield());
}

struct errno_pair {
    int ab[2], ba[2];
    int kept;
};

static void *errno_a(void *arg)
{
    struct errno_pair *p = arg;
    char c;
    errno = EIO;
    write(p->ab[1], "a", 1);          /* wake B */
    errno = EIO;
    read(p->ba[0], &c, 1);            /* block until B has run */
    p->kept = errno == EIO;
    return NULL;
}

static void *errno_b(void *arg)
{
    struct errno_pair *p = arg;
    char c;
    read(p->ab[0], &c, 1);
    errno = ENOENT;
    msleep(10);
    errno = ENOENT;
    write(p->ba[1], "b", 1);
    return (void *)(intptr_t)(errno == ENOENT);
}

static void c_errno(void)
{
    struct errno_pair p;
    make_pipe(p.ab);
    make_pipe(p.ba);
    pthread_t a = spawn(errno_a, &p), b = spawn(errno_b, &p);
    join(a);
    void *bk = join(b);
    say("errno per thread: A kept EIO across B setting ENOENT: %s, B kept "
        "ENOENT: %s", p.kept ? "yes" : "NO", bk ? "yes" : "NO");
    errno = EXDEV;
    msleep(5);
    say("this thread's errno across a sleep: %s", en(errno));
    close2(p.ab);
    close2(p.ba);
}

static pthread_key_t key;
static atomic_long dtor_sum, dtor_calls;

static void dtor(void *v)
{
    atomic_fetch_add(&dtor_sum, (long)(intptr_t)v);
    atomic_fetch_add(&dtor_calls, 1);
}

static void *tsd_fn(void *arg)
{
    long v = (long)(intptr_t)arg;
    if (pthread_getspecific(key) != NULL)
        return (void *)0;
    pthread_setspecific(key, (void *)(intptr_t)v);
    msleep(20);   /* let the others set theirs */
    return (void *)(intptr_t)(pthread_getspecific(key) == (void *)(intptr_t)v);
}

static void c_tsd(void)
{
    atomic_store(&dtor_sum, 0);
    atomic_store(&dtor_calls, 0);
    RC("key_create", pthread_key_create(&key, dtor));
    pthread_t t[5];
    for (long i = 0; i < 5; i++)
        t[i] = spawn(tsd_fn, (void *)(intptr_t)(i + 1));
    int ok = 0;
    for (int i = 0; i < 5; i++)
        ok += (int)(intptr_t)join(t[i]);
    say("5 threads each saw their own value: %d", ok);
    say("destructors: %ld calls, values summing to %ld", atomic_load(&dtor_calls),
        atomic_load(&dtor_sum));
    say("this thread's value: %s", pthread_getspecific(key) ? "set" : "NULL");
    RC("key_delete", pthread_key_delete(key));
}

static atomic_int cleanups;

static void cleanup(void *arg)
{
    atomic_fetch_add(&cleanups, 1);
}

static void *cancel_read(void *arg)
{
    int fd = *(int *)arg;
    char c;
    pthread_cleanup_push(cleanup, NULL);
    read(fd, &c, 1);
    pthread_cleanup_pop(0);
    return (void *)1;
}

static void *cancel_sleep(void *arg)
{
    pthread_cleanup_push(cleanup, NULL);
    sleep(10);
    pthread_cleanup_pop(0);
    return (void *)1;
}

static void *cancel_disabled(void *arg)
{
    int fd = *(int *)arg;
    char c;
    int old;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    read(fd, &c, 1);
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
    pthread_testcancel();
    return (void *)1;
}

static void c_cancel(void)
{
    int p[2];
    make_pipe(p);
    atomic_store(&cleanups, 0);
    pthread_t t = spawn(cancel_read, &p[0]);
    msleep(50);
    RC("cancel a thread blocked in read", pthread_cancel(t));
    void *r = join(t);
    say("  joined: %s, cleanup handlers run: %d",
        r == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "returned", cleanups);
    t = spawn(cancel_sleep, NULL);
    msleep(50);
    double t0 = now_ms();
    RC("cancel a thread in sleep(10)", pthread_cancel(t));
    r = join(t);
    say("  joined: %s, %s, cleanup handlers run: %d",
        r == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "returned",
        now_ms() - t0 < 5000 ? "promptly" : "LATE", cleanups);
    t = spawn(cancel_disabled, &p[0]);
    msleep(50);
    RC("cancel a thread with cancellation disabled, blocked in read",
       pthread_cancel(t));
    msleep(50);
    write(p[1], "x", 1);
    r = join(t);
    say("  after it read a byte and re-enabled: %s",
        r == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "returned");
    close2(p);
}

/* ---- exit_main mode ------------------------------------------------------ */

/* Each thread prints after the one before it (thread 1 after main), so
 * the order of the lines does not depend on who runs late. */
static sem_t printed[4];

static void *late_worker(void *arg)
{
    int n = (int)(intptr_t)arg;
    msleep(100 * n);
    while (sem_wait(&printed[n - 1]))
        ;
    printf("thread %d done\n", n);
    sem_post(&printed[n]);
    return NULL;
}

static int exit_main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    for (int i = 0; i < 4; i++)
        sem_init(&printed[i], 0, 0);
    for (int i = 1; i <= 3; i++) {
        pthread_t t;
        if (pthread_create(&t, &a, late_worker, (void *)(intptr_t)i))
            die("pthread_create", errno);
    }
    printf("main calls pthread_exit\n");
    sem_post(&printed[0]);
    pthread_exit(NULL);
}

/* ---- cancel_alone mode --------------------------------------------------- */

static void alone_cleanup(void *arg)
{
    printf("cleanup handler runs: %s\n", (const char *)arg);
}

static int cancel_alone(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int p[2];
    make_pipe(p);
    char c = 'x';
    if (write(p[1], &c, 1) != 1)
        die("write", errno);
    pthread_cleanup_push(alone_cleanup, "cancelled in read");
    printf("pthread_cancel(self): %s\n", en(pthread_cancel(pthread_self())));
    ssize_t n = read(p[0], &c, 1);
    printf("read returned %zd: NOT CANCELLED\n", n);
    pthread_cleanup_pop(0);
    return 1;
}

static const struct tcase cases[] = {
    {"join_values", c_join_values},
    {"detached", c_detached},
    {"detach", c_detach},
    {"join_self", c_join_self},
    {"tryjoin", c_tryjoin},
    {"timedjoin", c_timedjoin},
    {"stacks", c_stacks},
    {"user_stack", c_user_stack},
    {"self_equal", c_self_equal},
    {"names", c_names},
    {"yield", c_yield},
    {"errno", c_errno},
    {"tsd", c_tsd},
    {"cancel", c_cancel},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "exit_main"))
        return exit_main();
    if (argc == 2 && !strcmp(argv[1], "cancel_alone"))
        return cancel_alone();
    return run_cases(cases, argc, argv, "thread_api");
}
