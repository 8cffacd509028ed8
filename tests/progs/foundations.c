/* foundations: the bugs of the "sound foundations" review, one case each,
 * run natively and under coexec by tests/bats/foundations.bats and
 * compared. Each case prints only what the native run prints too; times
 * are checked, never printed.
 *
 *   fork_parked     a thread parked in the parent does not run in the child
 *   popen_rounds    popen/pclose five times (pclose closes inside glibc)
 *   closefrom_idle  closefrom(3), then a sleep costs no CPU
 *   close_range_all close_range(3, ~0U, 0) returns at once
 *   many_workers    close() of numbers the program never opened: EBADF
 *                   (run with COEXEC_WORKERS=100 by the suite)
 *   accept_shared   a sibling process's blocking accept never sees EAGAIN
 *   yield_unstarted create; while (!started) sched_yield();
 *   once_cancel     a cancelled pthread_once initialiser: the next caller runs it
 *   once_fork       an initialiser running in another thread at fork: the
 *                   child's caller runs it again
 *   stderr_data     stderr closed, a data file opened as 2: nothing else in it
 *   wake_order      five condvar waiters are woken in arrival order
 *   two_joiners     a second concurrent pthread_join gets EINVAL
 *   futex_restart   an untimed futex wait restarts under SA_RESTART
 *   emfile_thread   thread creation and sleeps with no descriptor left
 *   sched_params    pthread_{get,set}schedparam, cpuclockid, affinity on a thread
 */
#include <linux/futex.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "harness.h"

/* Keep a second thread alive for the length of a case, so that the case
 * is never the process's only thread (coexec calls the real function for a
 * thread alone, which would hide what the case is about). */
static int company_stop;
static void *company_fn(void *arg)
{
    while (!__atomic_load_n(&company_stop, __ATOMIC_ACQUIRE))
        msleep(5);
    return NULL;
}
static pthread_t company(void)
{
    __atomic_store_n(&company_stop, 0, __ATOMIC_RELEASE);
    return spawn(company_fn, NULL);
}
static void company_end(pthread_t t)
{
    __atomic_store_n(&company_stop, 1, __ATOMIC_RELEASE);
    join(t);
}

static void *brief(void *arg)
{
    msleep(10);
    return NULL;
}

/* ---- fork_parked ---------------------------------------------------- */
static pthread_mutex_t fp_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fp_c = PTHREAD_COND_INITIALIZER;
static int fp_go, fp_waiting;
static volatile int fp_ran_in_child;
static pid_t fp_parent;

static void *fp_waiter(void *arg)
{
    pthread_mutex_lock(&fp_m);
    fp_waiting = 1;
    while (!fp_go)
        pthread_cond_wait(&fp_c, &fp_m);
    pthread_mutex_unlock(&fp_m);
    if (getpid() != fp_parent)
        fp_ran_in_child = 1;
    return NULL;
}

static void c_fork_parked(void)
{
    fp_go = fp_waiting = 0;
    fp_parent = getpid();
    pthread_t t = spawn(fp_waiter, NULL);
    for (;;) {
        pthread_mutex_lock(&fp_m);
        int w = fp_waiting;
        pthread_mutex_unlock(&fp_m);
        if (w)
            break;
        msleep(1);
    }
    msleep(20); /* it is inside pthread_cond_wait now */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        /* Only this thread exists here. Waking the condition must find
         * nobody; the child then finishes its own work. */
        pthread_mutex_lock(&fp_m);
        fp_go = 1;
        pthread_cond_broadcast(&fp_c);
        pthread_mutex_unlock(&fp_m);
        join(spawn(brief, NULL)); /* this thread parks: anything runnable runs */
        msleep(100);
        say("child: parked thread ran in child: %s", fp_ran_in_child ? "yes" : "no");
        say("child: main finished");
        fflush(stdout);
        _exit(7);
    }
    int st;
    waitpid(pid, &st, 0);
    say("child exit status %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    pthread_mutex_lock(&fp_m);
    fp_go = 1;
    pthread_cond_broadcast(&fp_c);
    pthread_mutex_unlock(&fp_m);
    join(t);
    say("parent's thread ended");
}

/* ---- popen_rounds ---------------------------------------------------- */
static void c_popen_rounds(void)
{
    pthread_t t = company();
    for (int i = 1; i <= 5; i++) {
        char cmd[64], line[64] = "";
        snprintf(cmd, sizeof cmd, "sleep 0.02; echo round %d", i);
        FILE *f = popen(cmd, "r");
        if (!f)
            die("popen", errno);
        if (!fgets(line, sizeof line, f))
            strcpy(line, "(nothing)\n");
        int st = pclose(f);
        say("%.*s, pclose status %d", (int)strcspn(line, "\n"), line, WEXITSTATUS(st));
    }
    company_end(t);
}

/* ---- closefrom_idle, close_range_all ----------------------------------- */
static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void *sleeper300(void *arg)
{
    msleep(300);
    return NULL;
}

static void c_closefrom_idle(void)
{
    pthread_t t = company();
    closefrom(3);
    double c0 = cpu_seconds();
    join(spawn(sleeper300, NULL));
    double used = cpu_seconds() - c0;
    say("closefrom(3), then a 300 ms sleep: %s", used < 0.15 ? "idle" : "BUSY");
    if (used >= 0.15)
        say("cpu used %.3f s", used);
    company_end(t);
    join(spawn(sleeper300, NULL)); /* and the runtime still sleeps and wakes */
    say("still sleeps");
}

static void c_close_range_all(void)
{
    pthread_t t = company();
    int p[2];
    if (pipe(p) < 0)
        die("pipe", errno);
    long t0 = now_ms();
    int r = close_range(3, ~0U, 0);
    long took = now_ms() - t0;
    say("close_range(3, ~0U, 0) = %d, %s", r, took < 1000 ? "quick" : "SLOW");
    say("the pipe is closed: %s", fcntl(p[0], F_GETFD) < 0 && errno == EBADF ? "yes" : "no");
    company_end(t);
    join(spawn(sleeper300, NULL));
    say("still sleeps");
}

/* ---- many_workers ------------------------------------------------------ */

static void c_many_workers(void)
{
    pthread_t ts[100];
    for (int i = 0; i < 100; i++)
        ts[i] = spawn(brief, NULL);
    for (int i = 0; i < 100; i++)
        join(ts[i]);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    long top = rl.rlim_cur > 1 << 16 ? 1 << 16 : (long)rl.rlim_cur;
    int closed = 0;
    for (long fd = 3; fd < top; fd++)
        if (close(fd) == 0)
            closed++;
    say("close() succeeded on %d numbers the program never opened", closed);
    join(spawn(sleeper300, NULL));
    say("still sleeps");
}

/* ---- accept_shared --------------------------------------------------- */
static int as_port;
static void *as_client(void *arg)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(as_port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    for (int i = 0; i < 200; i++) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&sa, sizeof sa) < 0)
            die("connect", errno);
        char b = 'x';
        write(c, &b, 1);
        read(c, &b, 1); /* until the acceptor closes it */
        close(c);
    }
    return NULL;
}

/* This process accepts too, in a thread's blocking accept, until the
 * listener is shut down. */
static int as_listener;
static void *as_acceptor(void *arg)
{
    for (;;) {
        int s = accept(as_listener, NULL, NULL);
        if (s < 0)
            return NULL;
        char b;
        read(s, &b, 1);
        close(s);
    }
}

static void c_accept_shared(void)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof sa;
    if (bind(l, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(l, 64) < 0)
        die("listen", errno);
    getsockname(l, (struct sockaddr *)&sa, &sl);
    as_port = ntohs(sa.sin_port);
    int rep[2];
    if (pipe(rep) < 0)
        die("pipe", errno);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        /* The sibling: a plain blocking accept loop, one thread. */
        close(rep[0]);
        int eagain = 0;
        for (;;) {
            int s = accept(l, NULL, NULL);
            if (s < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    eagain++;
                    continue;
                }
                break;
            }
            char b;
            read(s, &b, 1);
            close(s);
        }
        write(rep[1], &eagain, sizeof eagain);
        _exit(0);
    }
    close(rep[1]);
    as_listener = l;
    pthread_t t = company();
    pthread_t acc = spawn(as_acceptor, NULL);
    join(spawn(as_client, NULL));
    shutdown(l, SHUT_RD); /* both processes' accept fail with EINVAL */
    join(acc);
    int eagain = -1;
    read(rep[0], &eagain, sizeof eagain);
    waitpid(pid, NULL, 0);
    say("200 connections served; the sibling's blocking accept saw EAGAIN %s",
        eagain == 0 ? "never" : "(some times)");
    if (eagain)
        say("EAGAINs: %d", eagain);
    close(rep[0]);
    close(l);
    company_end(t);
}

/* ---- yield_unstarted ------------------------------------------------- */
static int yu_started;
static void *yu_fn(void *arg)
{
    __atomic_store_n(&yu_started, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void c_yield_unstarted(void)
{
    yu_started = 0;
    pthread_t t = spawn(yu_fn, NULL);
    while (!__atomic_load_n(&yu_started, __ATOMIC_ACQUIRE))
        sched_yield();
    join(t);
    say("the new thread ran while this one yielded");
}

/* ---- once_cancel ----------------------------------------------------- */
static pthread_once_t oc_once;
static int oc_runs, oc_inside;
static void oc_init(void)
{
    oc_runs++;
    if (oc_runs == 1) {
        __atomic_store_n(&oc_inside, 1, __ATOMIC_RELEASE);
        for (;;)
            sleep(1); /* a cancellation point */
    }
}
static void *oc_first(void *arg)
{
    pthread_once(&oc_once, oc_init);
    return (void *)1;
}

static void c_once_cancel(void)
{
    oc_once = (pthread_once_t)PTHREAD_ONCE_INIT;
    oc_runs = oc_inside = 0;
    pthread_t t = spawn(oc_first, NULL);
    while (!__atomic_load_n(&oc_inside, __ATOMIC_ACQUIRE))
        msleep(1);
    pthread_cancel(t);
    void *ret;
    pthread_join(t, &ret);
    say("first caller cancelled: %s", ret == PTHREAD_CANCELED ? "yes" : "no");
    pthread_once(&oc_once, oc_init);
    say("the next caller ran the initialiser: %s (runs %d)", oc_runs == 2 ? "yes" : "no",
        oc_runs);
}

/* ---- once_fork ------------------------------------------------------ */
static pthread_once_t of_once;
static int of_release, of_inside, of_child_ran;
static void of_init(void)
{
    if (getpid() != fp_parent) {
        of_child_ran = 1;
        return;
    }
    __atomic_store_n(&of_inside, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&of_release, __ATOMIC_ACQUIRE))
        msleep(2);
}
static void *of_first(void *arg)
{
    pthread_once(&of_once, of_init);
    return NULL;
}

static void c_once_fork(void)
{
    of_once = (pthread_once_t)PTHREAD_ONCE_INIT;
    of_release = of_inside = of_child_ran = 0;
    fp_parent = getpid();
    pthread_t t = spawn(of_first, NULL);
    while (!__atomic_load_n(&of_inside, __ATOMIC_ACQUIRE))
        msleep(1);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_once(&of_once, of_init);
        say("child: initialiser ran in the child: %s", of_child_ran ? "yes" : "no");
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    __atomic_store_n(&of_release, 1, __ATOMIC_RELEASE);
    join(t);
    say("child exited %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* ---- stderr_data ----------------------------------------------------- */
static void c_stderr_data(void)
{
    const char *path = getenv("FOUNDATIONS_DATA");
    if (!path || strcmp(where, "main")) {
        say("skipped (no FOUNDATIONS_DATA, or not on main)");
        return;
    }
    pthread_t t = company();
    close(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    say("data file opened as %d", fd);
    dprintf(fd, "data line\n");
    join(spawn(sleeper300, NULL));
    company_end(t);
    /* left open: exit-time output of anyone writing to 2 would land in it */
}

/* ---- wake_order ------------------------------------------------------ */
static pthread_mutex_t wo_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wo_c = PTHREAD_COND_INITIALIZER;
static int wo_waiting, wo_tokens;
static char wo_order[8];
static int wo_n;

static void *wo_fn(void *arg)
{
    pthread_mutex_lock(&wo_m);
    wo_waiting++;
    while (!wo_tokens)
        pthread_cond_wait(&wo_c, &wo_m);
    wo_tokens--;
    wo_order[wo_n++] = (char)(long)arg;
    pthread_mutex_unlock(&wo_m);
    return NULL;
}

static void c_wake_order(void)
{
    pthread_t ts[5];
    wo_waiting = wo_tokens = wo_n = 0;
    memset(wo_order, 0, sizeof wo_order);
    for (int i = 0; i < 5; i++) {
        ts[i] = spawn(wo_fn, (void *)(long)('A' + i));
        for (;;) { /* the next one starts once this one waits */
            pthread_mutex_lock(&wo_m);
            int w = wo_waiting;
            pthread_mutex_unlock(&wo_m);
            if (w == i + 1)
                break;
            msleep(1);
        }
    }
    for (int i = 0; i < 5; i++) {
        pthread_mutex_lock(&wo_m);
        wo_tokens++;
        pthread_cond_signal(&wo_c);
        pthread_mutex_unlock(&wo_m);
        for (;;) {
            pthread_mutex_lock(&wo_m);
            int n = wo_n;
            pthread_mutex_unlock(&wo_m);
            if (n == i + 1)
                break;
            msleep(1);
        }
    }
    for (int i = 0; i < 5; i++)
        join(ts[i]);
    say("woken in the order %s", wo_order);
}

/* ---- two_joiners ----------------------------------------------------- */
static pthread_t tj_target;
static int tj_results[2], tj_started;
static void *tj_sleepy(void *arg)
{
    msleep(300);
    return NULL;
}
static void *tj_joiner(void *arg)
{
    long i = (long)arg;
    __atomic_add_fetch(&tj_started, 1, __ATOMIC_ACQ_REL);
    tj_results[i] = pthread_join(tj_target, NULL);
    return NULL;
}

static void c_two_joiners(void)
{
    tj_started = 0;
    tj_target = spawn(tj_sleepy, NULL);
    pthread_t a = spawn(tj_joiner, (void *)0);
    while (__atomic_load_n(&tj_started, __ATOMIC_ACQUIRE) < 1)
        msleep(1);
    msleep(50); /* the first joiner waits */
    pthread_t b = spawn(tj_joiner, (void *)1);
    join(a);
    join(b);
    say("first joiner: %s; second joiner: %s", en(tj_results[0]), en(tj_results[1]));
}

/* ---- futex_restart --------------------------------------------------- */
static int fr_word, fr_handled;
static void fr_handler(int sig)
{
    fr_handled = 1;
}
static void *fr_waiter(void *arg)
{
    long r = syscall(SYS_futex, &fr_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    return (void *)(r == 0 ? 0L : (long)errno);
}

static void c_futex_restart(void)
{
    struct sigaction sa = { .sa_handler = fr_handler, .sa_flags = SA_RESTART };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    fr_word = fr_handled = 0;
    pthread_t t = spawn(fr_waiter, NULL);
    msleep(100);
    pthread_kill(t, SIGUSR1);
    msleep(200);
    __atomic_store_n(&fr_word, 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &fr_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    void *ret;
    pthread_join(t, &ret);
    say("untimed futex wait under SA_RESTART: handler ran %s, wait returned %s",
        fr_handled ? "yes" : "no", ret ? en((int)(long)ret) : "0");
    signal(SIGUSR1, SIG_DFL);
}

/* ---- emfile_thread --------------------------------------------------- */
static void c_emfile_thread(void)
{
    if (strcmp(where, "main")) {
        say("skipped (main only: the first creation is the one that counts)");
        return;
    }
    struct rlimit old, rl;
    getrlimit(RLIMIT_NOFILE, &old);
    rl = old;
    rl.rlim_cur = 64;
    setrlimit(RLIMIT_NOFILE, &rl);
    int fds[64], n = 0;
    while (n < 64 && (fds[n] = open("/dev/null", O_RDONLY)) >= 0)
        n++;
    pthread_t t;
    int r = pthread_create(&t, NULL, sleeper300, NULL);
    say("pthread_create with no descriptor left: %s", en(r));
    if (r == 0)
        join(t);
    say("joined");
    while (n > 0)
        close(fds[--n]);
    setrlimit(RLIMIT_NOFILE, &old);
}

/* ---- sched_params ---------------------------------------------------- */
static void *idle_wait(void *arg)
{
    while (!__atomic_load_n((int *)arg, __ATOMIC_ACQUIRE))
        msleep(5);
    return NULL;
}

static void c_sched_params(void)
{
    int stop = 0;
    pthread_t t = spawn(idle_wait, &stop);
    struct sched_param sp = { 0 };
    int policy = -1;
    int r = pthread_getschedparam(t, &policy, &sp);
    say("getschedparam: %s, policy %d, priority %d", en(r), policy, sp.sched_priority);
    sp.sched_priority = 0;
    r = pthread_setschedparam(t, SCHED_BATCH, &sp);
    say("setschedparam(SCHED_BATCH): %s", en(r));
    r = pthread_getschedparam(t, &policy, &sp);
    say("getschedparam: %s, policy is SCHED_BATCH: %s", en(r), policy == SCHED_BATCH ? "yes" : "no");
    sp.sched_priority = 5;
    say("setschedparam(SCHED_OTHER, priority 5): %s", en(pthread_setschedparam(t, SCHED_OTHER, &sp)));
    say("setschedparam(policy 77): %s", en(pthread_setschedparam(t, 77, &sp)));
    say("setschedprio(0): %s", en(pthread_setschedprio(t, 0)));
    clockid_t clk;
    struct timespec ts;
    r = pthread_getcpuclockid(t, &clk);
    say("getcpuclockid: %s, clock readable: %s", en(r),
        r == 0 && clock_gettime(clk, &ts) == 0 ? "yes" : "no");
    cpu_set_t set, got;
    CPU_ZERO(&set);
    sched_getaffinity(0, sizeof set, &set);
    int first = -1;
    for (int c = 0; c < CPU_SETSIZE && first < 0; c++)
        if (CPU_ISSET(c, &set))
            first = c;
    CPU_ZERO(&set);
    CPU_SET(first, &set);
    say("setaffinity(one CPU): %s", en(pthread_setaffinity_np(t, sizeof set, &set)));
    r = pthread_getaffinity_np(t, sizeof got, &got);
    say("getaffinity: %s, the same CPU: %s", en(r),
        r == 0 && CPU_EQUAL(&set, &got) ? "yes" : "no");
    CPU_ZERO(&set);
    say("setaffinity(no CPU): %s", en(pthread_setaffinity_np(t, sizeof set, &set)));
    union sigval v = { .sival_int = 3 };
    say("sigqueue(signal 0): %s", en(pthread_sigqueue(t, 0, v)));
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    join(t);
}

static const struct tcase cases[] = {
    {"fork_parked", c_fork_parked},
    {"popen_rounds", c_popen_rounds},
    {"closefrom_idle", c_closefrom_idle},
    {"close_range_all", c_close_range_all},
    {"many_workers", c_many_workers},
    {"accept_shared", c_accept_shared},
    {"yield_unstarted", c_yield_unstarted},
    {"once_cancel", c_once_cancel},
    {"once_fork", c_once_fork},
    {"stderr_data", c_stderr_data},
    {"wake_order", c_wake_order},
    {"two_joiners", c_two_joiners},
    {"futex_restart", c_futex_restart},
    {"emfile_thread", c_emfile_thread},
    {"sched_params", c_sched_params},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return run_cases(cases, argc, argv, "foundations");
}
