/* signals: coexec's signal model (issue 12), one case per run, so that
 * tests/bats/signals.bats can compare a native run of each case with its
 * coexec run. Natively every thread is a kernel thread and the kernel
 * decides which thread takes a signal, what it interrupts, which mask and
 * alternate stack apply and in which order queued signals arrive; under
 * coexec the threads are coroutines on a few workers, and each case
 * checks one of those decisions where a program can see it.
 *
 *   signals CASE      run one case
 *   signals --list    print the case names
 *
 * Every case prints only deterministic lines (no pids, tids, addresses or
 * times: a time is checked and printed as "ok", "EARLY" or "LATE" with
 * bounds of hundreds of milliseconds) and exits with a deterministic
 * status; natively each takes about a second at most. A thread prints
 * only while the others wait for it (a join, a flag), so the order of
 * lines is fixed. "after 200 ms" below always means 200 ms after the
 * waiting thread said it is about to wait (ready()), which leaves it that
 * long to get into the call. Handlers only store into atomics and static
 * buffers.
 *
 * Waiting for signals
 *   sigwait_thread       main blocks SIGHUP+SIGTERM; a thread sigwait()s; main
 *                        kill()s itself SIGHUP, then SIGTERM
 *   sigwaitinfo_thread   the same with sigwaitinfo: si_code SI_USER, si_pid ours
 *   main_sigwait         main sigwait()s; a thread kill()s the process SIGTERM
 *   sigtimedwait_ok      a thread's sigtimedwait (2 s) gets SIGUSR1 at 200 ms;
 *                        nothing stays pending
 *   sigtimedwait_timeout sigtimedwait of 200 ms, nothing sent: EAGAIN, with a
 *                        heartbeat (beat.h) ticking meanwhile
 *   pause_kill           a thread's pause() ends with EINTR by pthread_kill
 *   sigsuspend_kill      sigsuspend: the handler runs in that thread, the mask
 *                        comes back
 *   pending_thread       a signal pthread_kill()ed to a thread that blocks it is
 *                        pending there and not in main; one kill()ed to the
 *                        process is pending in both
 *   mask_per_thread      masks are per thread and survive a wait
 * Interrupting waits
 *   kill_read_self       pthread_kill at a read() of an empty pipe: EINTR, the
 *                        handler ran in the reader
 *   kill_read_longjmp    the handler siglongjmp()s back into the reader, which
 *                        then reads again
 *   kill_restart         SA_RESTART: the read goes on and gets the byte
 *   kill_condwait        a signal at pthread_cond_wait: handler in the waiter,
 *                        the wait goes on
 *   masks_process        kill(getpid()) goes to the one thread that does not
 *                        block it (B, in read()), not to A or main
 *   alarm_reader         setitimer's SIGALRM, blocked by all but a reader thread
 *   alarm_one            the same with alarm(1)
 *   handler_calls_hooked a handler on main, parked in read(), calls nanosleep
 *                        and write() to the pipe main reads (SA_RESTART)
 *   sigaltstack_thread   SA_ONSTACK: a thread's handler runs on its own
 *                        alternate stack; main has none
 * Kernel-made signals
 *   sigpipe_partial      a 1 MiB write to a socket whose peer closes: partial
 *                        count, no SIGPIPE, the process lives
 *   sigpipe_pipe         the same on a pipe: SIGPIPE even so (default: the
 *                        process dies; a child process, see in_child)
 *   sigpipe_handler      the pipe with a SIGPIPE handler: partial count, the
 *                        handler ran in the writer
 *   sigchld_waitpid      SIGCHLD handled (SA_RESTART) before a thread's waitpid
 *                        returns status 7
 *   segv_longjmp         a thread siglongjmp()s out of SIGSEGV on a PROT_NONE
 *                        page, three times
 *   abort_handler        abort() in a thread; the SIGABRT handler siglongjmp()s
 *   abort_exit           abort() in a thread; the handler _exit(3)s (a child
 *                        process)
 * Sending
 *   raise_handler        raise() runs the handler in the raising thread before
 *                        it returns
 *   sigqueue_values      four queued real-time signals taken by sigwaitinfo:
 *                        lowest number first, one number in FIFO order
 *   pthread_sigqueue_thread  pthread_sigqueue's value reaches the waiting thread
 *   rt_order_handler     the same four through handlers whose sa_mask holds all
 *                        three: one after the other, lowest first
 *   rt_nested_handler    the same with an empty sa_mask: the kernel builds
 *                        every frame before returning, so the highest runs first
 * Timers
 *   timer_signal         timer_create SIGEV_SIGNAL, 100 ms periodic, taken 3
 *                        times by sigwaitinfo: SI_TIMER; a heartbeat ticks
 *   timer_thread_id      SIGEV_THREAD_ID at a thread's gettid(): it interrupts
 *                        that thread's read(), the handler runs there
 *   setitimer_real       ITIMER_REAL every 100 ms interrupts a thread's
 *                        nanosleep three times
 * A server
 *   daemon_pattern       a sigwait() thread and 100 busy "connection" threads:
 *                        SIGHUP twice (reload), SIGTERM (stop, join all)
 */
#include <setjmp.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>

#include "harness.h"
#include "beat.h"

/* ---- shared bits ------------------------------------------------------------ */

/* "SIGHUP", "SIGRTMIN+2": real-time signals by their distance from SIGRTMIN,
 * which is the same natively and under coexec (SIGRTMAX is not). */
static const char *signame(int sig)
{
    static __thread char buf[32];
    if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
        if (sig == SIGRTMIN)
            return "SIGRTMIN";
        snprintf(buf, sizeof buf, "SIGRTMIN+%d", sig - SIGRTMIN);
        return buf;
    }
    const char *a = sigabbrev_np(sig);
    snprintf(buf, sizeof buf, "SIG%s", a ? a : "?");
    return buf;
}

static const char *yesno(int b)
{
    return b ? "yes" : "no";
}

static sigset_t set_of(int a, int b, int c)
{
    sigset_t s;
    sigemptyset(&s);
    if (a)
        sigaddset(&s, a);
    if (b)
        sigaddset(&s, b);
    if (c)
        sigaddset(&s, c);
    return s;
}

static void block(sigset_t s)
{
    int rc = pthread_sigmask(SIG_BLOCK, &s, NULL);
    if (rc)
        die("pthread_sigmask", rc);
}

static void unblock(sigset_t s)
{
    int rc = pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    if (rc)
        die("pthread_sigmask", rc);
}

static int is_blocked(int sig)
{
    sigset_t cur;
    int rc = pthread_sigmask(SIG_BLOCK, NULL, &cur);
    if (rc)
        die("pthread_sigmask", rc);
    return sigismember(&cur, sig);
}

static int is_pending(int sig)
{
    sigset_t p;
    if (sigpending(&p) < 0)
        die("sigpending", errno);
    return sigismember(&p, sig);
}

static void install(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) < 0)
        die("sigaction", errno);
}

static void install_info(int sig, void (*fn)(int, siginfo_t *, void *), int flags,
                         const sigset_t *mask)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = flags | SA_SIGINFO;
    if (mask)
        sa.sa_mask = *mask;
    else
        sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) < 0)
        die("sigaction", errno);
}

/* The thread that should take the signal, set by itself before it waits;
 * the handler's record: how often it ran, and whether always there. */
static pthread_t target;
static int hits, hits_elsewhere;

static void on_sig(int sig)
{
    if (!pthread_equal(pthread_self(), __atomic_load_n(&target, __ATOMIC_ACQUIRE)))
        __atomic_add_fetch(&hits_elsewhere, 1, __ATOMIC_ACQ_REL);
    __atomic_add_fetch(&hits, 1, __ATOMIC_ACQ_REL);
}

static void set_target(void)
{
    __atomic_store_n(&target, pthread_self(), __ATOMIC_RELEASE);
}

static int n_hits(void)
{
    return __atomic_load_n(&hits, __ATOMIC_ACQUIRE);
}

/* "ran 1 time(s), in the target thread: yes": every run in the target */
static const char *hit_words(void)
{
    static char buf[80];
    snprintf(buf, sizeof buf, "ran %d time(s), in the target thread: %s", n_hits(),
             yesno(n_hits() > 0 && __atomic_load_n(&hits_elsewhere, __ATOMIC_ACQUIRE) == 0));
    return buf;
}

/* A flag another thread waits for: ready() says "about to wait". */
static int ready_n, go_n;

static void ready(void)
{
    __atomic_add_fetch(&ready_n, 1, __ATOMIC_ACQ_REL);
}

/* Until n threads said ready() (5 s at most: then the case goes on and
 * its output shows what did not happen). */
static void wait_flag(int *flag, int n)
{
    for (int i = 0; i < 5000 && __atomic_load_n(flag, __ATOMIC_ACQUIRE) < n; i++)
        msleep(1);
}

static void wait_ready(int n)
{
    wait_flag(&ready_n, n);
}

static void go(void)
{
    __atomic_add_fetch(&go_n, 1, __ATOMIC_ACQ_REL);
}

static void wait_go(int n)
{
    wait_flag(&go_n, n);
}

static void kill_thread(pthread_t t, int sig)
{
    int rc = pthread_kill(t, sig);
    if (rc)
        die("pthread_kill", rc);
}

static void kill_self(int sig)
{
    if (kill(getpid(), sig) < 0)
        die("kill", errno);
}

/* "read returned -1 EINTR", "read returned 1" */
static const char *ret_words(ssize_t n, int e)
{
    static __thread char buf[64];
    if (n < 0)
        snprintf(buf, sizeof buf, "-1 %s", en(e));
    else
        snprintf(buf, sizeof buf, "%zd", n);
    return buf;
}

/* "ok" when an elapsed time is within [lo, hi] ms. */
static const char *within(double ms, double lo, double hi)
{
    return ms < lo ? "EARLY" : ms > hi ? "LATE" : "ok";
}

static int pipe_fd[2];

/* A case whose process ends by a signal or _exit runs in a child, and the
 * program itself exits 0 after it printed how the child ended: coexec
 * writes its statistics (the suite's evidence that it ran) only from a
 * process that exits, and a thread of the parent reaps the child, so that
 * the parent made a coroutine too. */
static pid_t child_pid;

static void *reap_fn(void *arg)
{
    int st;
    pid_t r;
    while ((r = waitpid(child_pid, &st, 0)) < 0 && errno == EINTR)
        ;
    if (r != child_pid)
        die("waitpid", errno);
    if (WIFEXITED(st))
        printf("parent: the case's process exited with status %d\n", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("parent: the case's process was killed by %s\n", signame(WTERMSIG(st)));
    else
        printf("parent: the case's process ended oddly\n");
    return NULL;
}

static void in_child(void (*body)(void))
{
    child_pid = fork_or_die();
    if (child_pid == 0) {
        body();
        exit(0);
    }
    join(spawn(reap_fn, NULL));
}

/* ---- waiting for signals --------------------------------------------------- */

static sigset_t hup_term;

static void *sigwait_fn(void *arg)
{
    int info = arg != NULL;
    ready();
    for (int i = 0; i < 2; i++) {
        int sig;
        if (info) {
            siginfo_t si;
            sig = sigwaitinfo(&hup_term, &si);
            if (sig < 0) {
                printf("thread: sigwaitinfo returned -1 %s\n", en(errno));
                return NULL;
            }
            printf("thread: sigwaitinfo got %s, si_signo right: %s, SI_USER: %s, "
                   "si_pid ours: %s\n", signame(sig), yesno(si.si_signo == sig),
                   yesno(si.si_code == SI_USER), yesno(si.si_pid == getpid()));
        } else {
            int rc = sigwait(&hup_term, &sig);
            if (rc) {
                printf("thread: sigwait returned %s\n", en(rc));
                return NULL;
            }
            printf("thread: sigwait got %s\n", signame(sig));
        }
    }
    return NULL;
}

static void sigwait_common(int info)
{
    hup_term = set_of(SIGHUP, SIGTERM, 0);
    block(hup_term);
    pthread_t t = spawn(sigwait_fn, info ? (void *)1 : NULL);
    wait_ready(1);
    msleep(200);
    kill_self(SIGHUP);
    msleep(100);
    kill_self(SIGTERM);
    join(t);
    printf("main: SIGHUP or SIGTERM still pending: %s\n",
           yesno(is_pending(SIGHUP) || is_pending(SIGTERM)));
    printf("main: done\n");
}

static void c_sigwait_thread(void)
{
    sigwait_common(0);
}

static void c_sigwaitinfo_thread(void)
{
    sigwait_common(1);
}

static void *term_later_fn(void *arg)
{
    wait_go(1);
    msleep(200);
    kill_self(SIGTERM);
    printf("thread: sent SIGTERM\n");
    return NULL;
}

static void c_main_sigwait(void)
{
    sigset_t s = set_of(SIGTERM, 0, 0);
    block(s);
    pthread_t t = spawn(term_later_fn, NULL);
    go();
    int sig = 0;
    int rc = sigwait(&s, &sig);
    /* the thread printed before it could be joined; main's line waits */
    join(t);
    if (rc)
        printf("main: sigwait returned %s\n", en(rc));
    else
        printf("main: sigwait got %s\n", signame(sig));
}

static void *timedwait_fn(void *arg)
{
    int timeout_case = arg != NULL;
    sigset_t s = set_of(SIGUSR1, 0, 0);
    struct timespec ts = {timeout_case ? 0 : 2, timeout_case ? 200 * 1000000L : 0};
    siginfo_t si;
    struct beat b;
    double t0 = now_ms();
    ready();
    beat_begin(&b);
    int sig = sigtimedwait(&s, &si, &ts);
    int e = errno;
    beat_end(&b);
    double el = now_ms() - t0;
    if (timeout_case) {
        printf("thread: sigtimedwait returned %s\n", ret_words(sig, e));
        printf("thread: after the timeout: %s\n", within(el, 150, 1000));
        printf("thread: %s\n", beat_word(&b, 0));
    } else {
        printf("thread: sigtimedwait returned %s\n", sig < 0 ? ret_words(sig, e) : signame(sig));
        printf("thread: promptly: %s\n", within(el, 150, 1000));
        printf("thread: SIGUSR1 pending here after: %s\n", yesno(is_pending(SIGUSR1)));
    }
    return NULL;
}

static void c_sigtimedwait_ok(void)
{
    block(set_of(SIGUSR1, 0, 0));
    pthread_t t = spawn(timedwait_fn, NULL);
    wait_ready(1);
    msleep(200);
    kill_self(SIGUSR1);
    join(t);
    printf("main: SIGUSR1 pending after: %s\n", yesno(is_pending(SIGUSR1)));
}

static void c_sigtimedwait_timeout(void)
{
    block(set_of(SIGUSR1, 0, 0));
    struct beat hb;
    beat_start(&hb);
    pthread_t t = spawn(timedwait_fn, (void *)1);
    join(t);
    beat_stop(&hb);
    printf("main: done\n");
}

static void *pause_fn(void *arg)
{
    set_target();
    ready();
    int r = pause();
    int e = errno;
    printf("thread: pause returned %s\n", ret_words(r, e));
    printf("thread: handler %s\n", hit_words());
    return NULL;
}

static void c_pause_kill(void)
{
    install(SIGUSR1, on_sig, 0);
    pthread_t t = spawn(pause_fn, NULL);
    wait_ready(1);
    msleep(200);
    kill_thread(t, SIGUSR1);
    join(t);
    printf("main: done\n");
}

static void *sigsuspend_fn(void *arg)
{
    set_target();
    block(set_of(SIGUSR1, 0, 0));
    sigset_t during;
    pthread_sigmask(SIG_BLOCK, NULL, &during);
    sigdelset(&during, SIGUSR1);
    ready();
    int r = sigsuspend(&during);
    int e = errno;
    printf("thread: sigsuspend returned %s\n", ret_words(r, e));
    printf("thread: handler %s\n", hit_words());
    printf("thread: SIGUSR1 blocked again after: %s\n", yesno(is_blocked(SIGUSR1)));
    return NULL;
}

static void c_sigsuspend_kill(void)
{
    install(SIGUSR1, on_sig, 0);
    pthread_t t = spawn(sigsuspend_fn, NULL);
    wait_ready(1);
    msleep(200);
    kill_thread(t, SIGUSR1);
    join(t);
    printf("main: done\n");
}

static void *pending_fn(void *arg)
{
    ready();
    wait_go(1);
    printf("thread: SIGUSR1 pending here: %s\n", yesno(is_pending(SIGUSR1)));
    int sig = 0;
    sigset_t s = set_of(SIGUSR1, 0, 0);
    sigwait(&s, &sig);
    printf("thread: sigwait took %s\n", signame(sig));
    printf("thread: SIGUSR1 pending here after: %s\n", yesno(is_pending(SIGUSR1)));
    ready();
    wait_go(2);
    printf("thread: SIGUSR2 (sent to the process) pending here: %s\n",
           yesno(is_pending(SIGUSR2)));
    return NULL;
}

static void c_pending_thread(void)
{
    block(set_of(SIGUSR1, SIGUSR2, 0));
    pthread_t t = spawn(pending_fn, NULL);
    wait_ready(1);
    kill_thread(t, SIGUSR1);
    printf("main: SIGUSR1 (sent to the thread) pending here: %s\n", yesno(is_pending(SIGUSR1)));
    go();
    wait_ready(2);
    kill_self(SIGUSR2);
    printf("main: SIGUSR2 (sent to the process) pending here: %s\n", yesno(is_pending(SIGUSR2)));
    go();
    join(t);
    int sig = 0;
    sigset_t s = set_of(SIGUSR2, 0, 0);
    sigwait(&s, &sig);
    printf("main: sigwait took %s\n", signame(sig));
    printf("main: anything pending after: %s\n", yesno(is_pending(SIGUSR1) || is_pending(SIGUSR2)));
}

static void *mask_fn(void *arg)
{
    printf("thread: inherited SIGUSR1 blocked: %s\n", yesno(is_blocked(SIGUSR1)));
    unblock(set_of(SIGUSR1, 0, 0));
    block(set_of(SIGUSR2, 0, 0));
    ready();
    char c;
    ssize_t n = read(pipe_fd[0], &c, 1);
    printf("thread: read returned %s\n", ret_words(n, errno));
    printf("thread: after the wait SIGUSR1 blocked: %s, SIGUSR2 blocked: %s\n",
           yesno(is_blocked(SIGUSR1)), yesno(is_blocked(SIGUSR2)));
    return NULL;
}

static void c_mask_per_thread(void)
{
    make_pipe(pipe_fd);
    block(set_of(SIGUSR1, 0, 0));
    pthread_t t = spawn(mask_fn, NULL);
    wait_ready(1);
    msleep(100);
    printf("main: while the thread waits SIGUSR1 blocked: %s, SIGUSR2 blocked: %s\n",
           yesno(is_blocked(SIGUSR1)), yesno(is_blocked(SIGUSR2)));
    if (write(pipe_fd[1], "x", 1) != 1)
        die("write", errno);
    join(t);
    printf("main: after the join SIGUSR1 blocked: %s, SIGUSR2 blocked: %s\n",
           yesno(is_blocked(SIGUSR1)), yesno(is_blocked(SIGUSR2)));
}

/* ---- interrupting waits -------------------------------------------------------- */

/* kill_read_self: the handler's verdict, written without stdio. */
static char verdict[64];

static void on_usr1_verdict(int sig)
{
    int in = pthread_equal(pthread_self(), __atomic_load_n(&target, __ATOMIC_ACQUIRE));
    strcpy(verdict, in ? "handler in the reader: yes" : "handler in the reader: no");
    __atomic_add_fetch(&hits, 1, __ATOMIC_ACQ_REL);
}

static void *reader_fn(void *arg)
{
    set_target();
    if (arg) /* the thread opens a signal the others block */
        unblock(*(sigset_t *)arg);
    ready();
    char c;
    ssize_t n = read(pipe_fd[0], &c, 1);
    int e = errno;
    printf("reader: read returned %s\n", ret_words(n, e));
    return NULL;
}

static void c_kill_read_self(void)
{
    make_pipe(pipe_fd);
    strcpy(verdict, "handler did not run");
    install(SIGUSR1, on_usr1_verdict, 0);
    pthread_t t = spawn(reader_fn, NULL);
    wait_ready(1);
    msleep(200);
    kill_thread(t, SIGUSR1);
    join(t);
    printf("main: %s\n", verdict);
}

static sigjmp_buf jenv;
static volatile sig_atomic_t armed;

static void on_jump(int sig)
{
    __atomic_add_fetch(&hits, 1, __ATOMIC_ACQ_REL);
    if (armed) {
        armed = 0;
        siglongjmp(jenv, 1);
    }
}

static int jumped;

static void *longjmp_reader_fn(void *arg)
{
    char c;
    set_target();
    if (sigsetjmp(jenv, 1) == 0) {
        armed = 1;
        ready();
        ssize_t n = read(pipe_fd[0], &c, 1);
        int e = errno;
        armed = 0;
        printf("reader: read returned %s without a jump\n", ret_words(n, e));
    } else {
        printf("reader: back from handler\n");
        printf("reader: SIGUSR1 blocked after the jump: %s\n", yesno(is_blocked(SIGUSR1)));
    }
    __atomic_store_n(&jumped, 1, __ATOMIC_RELEASE);
    ssize_t n = read(pipe_fd[0], &c, 1);
    int e = errno;
    printf("reader: read again returned %s%s\n", ret_words(n, e),
           n == 1 && c == 'x' ? ", the byte main wrote" : "");
    return NULL;
}

static void c_kill_read_longjmp(void)
{
    make_pipe(pipe_fd);
    install(SIGUSR1, on_jump, 0);
    pthread_t t = spawn(longjmp_reader_fn, NULL);
    wait_ready(1);
    msleep(200);
    kill_thread(t, SIGUSR1);
    wait_flag(&jumped, 1);
    msleep(50);
    if (write(pipe_fd[1], "x", 1) != 1)
        die("write", errno);
    join(t);
    printf("main: handler ran %d time(s)\n", n_hits());
}

static int restart_flag;

static void on_restart(int sig)
{
    __atomic_store_n(&restart_flag, 1, __ATOMIC_RELEASE);
    on_sig(sig);
}

static void *restart_reader_fn(void *arg)
{
    set_target();
    ready();
    char c = 0;
    ssize_t n = read(pipe_fd[0], &c, 1);
    int e = errno;
    printf("reader: read returned %s%s\n", ret_words(n, e), n == 1 && c == 'x' ? " (the byte)" : "");
    printf("reader: handler flag seen after the read: %d\n",
           __atomic_load_n(&restart_flag, __ATOMIC_ACQUIRE));
    printf("reader: handler %s\n", hit_words());
    return NULL;
}

static void c_kill_restart(void)
{
    make_pipe(pipe_fd);
    install(SIGUSR1, on_restart, SA_RESTART);
    pthread_t t = spawn(restart_reader_fn, NULL);
    wait_ready(1);
    msleep(100);
    kill_thread(t, SIGUSR1);
    msleep(100);
    if (write(pipe_fd[1], "x", 1) != 1)
        die("write", errno);
    join(t);
    printf("main: done\n");
}

static pthread_mutex_t cw_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cw_cond = PTHREAD_COND_INITIALIZER;
static int cw_pred;

static void *condwait_fn(void *arg)
{
    set_target();
    pthread_mutex_lock(&cw_mu);
    ready();
    while (!cw_pred)
        pthread_cond_wait(&cw_cond, &cw_mu);
    int seen = n_hits();
    pthread_mutex_unlock(&cw_mu);
    printf("waiter: woke with the predicate set; handler had run before: %s\n", yesno(seen == 1));
    printf("waiter: handler %s\n", hit_words());
    return NULL;
}

static void c_kill_condwait(void)
{
    install(SIGUSR1, on_sig, 0);
    pthread_t t = spawn(condwait_fn, NULL);
    wait_ready(1);
    msleep(200);
    kill_thread(t, SIGUSR1);
    wait_flag(&hits, 1);
    msleep(100);
    pthread_mutex_lock(&cw_mu);
    cw_pred = 1;
    pthread_cond_signal(&cw_cond);
    pthread_mutex_unlock(&cw_mu);
    join(t);
    printf("main: done\n");
}

/* masks_process */
static pthread_t th_a, th_b, th_main;
static pthread_t took;
static int stop_a;

static void on_took(int sig)
{
    __atomic_store_n(&took, pthread_self(), __ATOMIC_RELEASE);
    __atomic_add_fetch(&hits, 1, __ATOMIC_ACQ_REL);
}

static const char *who(pthread_t t)
{
    if (pthread_equal(t, th_a))
        return "A";
    if (pthread_equal(t, th_b))
        return "B";
    if (pthread_equal(t, th_main))
        return "main";
    return "another thread";
}

static void *a_fn(void *arg)
{
    printf("A: SIGUSR2 blocked: %s\n", yesno(is_blocked(SIGUSR2)));
    ready();
    while (!__atomic_load_n(&stop_a, __ATOMIC_ACQUIRE)) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void *b_fn(void *arg)
{
    unblock(set_of(SIGUSR2, 0, 0));
    wait_ready(1); /* after A's line */
    printf("B: SIGUSR2 blocked: %s\n", yesno(is_blocked(SIGUSR2)));
    ready();
    char c;
    ssize_t n = read(pipe_fd[0], &c, 1);
    int e = errno;
    printf("B: read returned %s\n", ret_words(n, e));
    return NULL;
}

static void c_masks_process(void)
{
    make_pipe(pipe_fd);
    install(SIGUSR2, on_took, 0);
    block(set_of(SIGUSR2, 0, 0));
    th_main = pthread_self();
    th_a = spawn(a_fn, NULL);
    th_b = spawn(b_fn, NULL);
    wait_ready(2);
    msleep(200);
    kill_self(SIGUSR2);
    join(th_b);
    __atomic_store_n(&stop_a, 1, __ATOMIC_RELEASE);
    join(th_a);
    printf("main: handler ran %d time(s), in %s\n", n_hits(),
           n_hits() ? who(__atomic_load_n(&took, __ATOMIC_ACQUIRE)) : "none");
}

static void alarm_common(int use_alarm)
{
    make_pipe(pipe_fd);
    strcpy(verdict, "handler did not run");
    install(SIGALRM, on_usr1_verdict, 0);
    sigset_t s = set_of(SIGALRM, 0, 0);
    block(s);
    pthread_t t = spawn(reader_fn, &s);
    wait_ready(1);
    if (use_alarm) {
        alarm(1);
    } else {
        struct itimerval it = {{0, 0}, {0, 200 * 1000}};
        if (setitimer(ITIMER_REAL, &it, NULL) < 0)
            die("setitimer", errno);
    }
    join(t);
    printf("main: %s\n", verdict);
}

static void c_alarm_reader(void)
{
    alarm_common(0);
}

static void c_alarm_one(void)
{
    alarm_common(1);
}

/* handler_calls_hooked: the handler's own calls and what they returned. */
static int hk_sleep_rc = 99, hk_write_rc = 99;

static void on_hooked(int sig)
{
    int saved = errno;
    struct timespec ts = {0, 1000000L};
    hk_sleep_rc = nanosleep(&ts, NULL);
    hk_write_rc = write(pipe_fd[1], "h", 1);
    __atomic_add_fetch(&hits, 1, __ATOMIC_ACQ_REL);
    errno = saved;
}

static void *kill_main_fn(void *arg)
{
    wait_go(1);
    msleep(200);
    kill_thread(th_main, SIGUSR1);
    return NULL;
}

static void c_handler_calls_hooked(void)
{
    make_pipe(pipe_fd);
    install(SIGUSR1, on_hooked, SA_RESTART);
    th_main = pthread_self();
    pthread_t t = spawn(kill_main_fn, NULL);
    go();
    char c = 0;
    ssize_t n = read(pipe_fd[0], &c, 1);
    int e = errno;
    join(t);
    printf("main: read returned %s%s\n", ret_words(n, e), n == 1 && c == 'h' ? ", the handler's byte" : "");
    printf("main: in the handler nanosleep returned %d, write returned %d; it ran %d time(s)\n",
           hk_sleep_rc, hk_write_rc, n_hits());
}

/* sigaltstack_thread */
#define ALT_SIZE (64 * 1024)
static char *alt_lo;
static int on_alt, alt_flag_onstack;

static void on_altcheck(int sig)
{
    char here;
    uintptr_t p = (uintptr_t)&here, lo = (uintptr_t)alt_lo;
    on_alt = p >= lo && p < lo + ALT_SIZE;
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0)
        alt_flag_onstack = (cur.ss_flags & SS_ONSTACK) != 0;
    on_sig(sig);
}

static void *alt_fn(void *arg)
{
    set_target();
    alt_lo = malloc(ALT_SIZE);
    if (!alt_lo)
        die("malloc", ENOMEM);
    stack_t ss = {.ss_sp = alt_lo, .ss_size = ALT_SIZE, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) < 0)
        die("sigaltstack", errno);
    ready();
    char c;
    ssize_t n = read(pipe_fd[0], &c, 1);
    int e = errno;
    printf("thread: read returned %s\n", ret_words(n, e));
    printf("thread: handler %s\n", hit_words());
    printf("thread: handler on this thread's alternate stack: %s, SS_ONSTACK there: %s\n",
           yesno(on_alt), yesno(alt_flag_onstack));
    stack_t cur;
    sigaltstack(NULL, &cur);
    printf("thread: after it the alternate stack still set: %s, not on it: %s\n",
           yesno(cur.ss_sp == alt_lo && !(cur.ss_flags & SS_DISABLE)), yesno(!(cur.ss_flags & SS_ONSTACK)));
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    return NULL;
}

static void c_sigaltstack_thread(void)
{
    make_pipe(pipe_fd);
    install(SIGUSR1, on_altcheck, SA_ONSTACK);
    pthread_t t = spawn(alt_fn, NULL);
    wait_ready(1);
    msleep(200);
    stack_t cur;
    sigaltstack(NULL, &cur);
    printf("main: no alternate stack of its own: %s\n", yesno(cur.ss_flags & SS_DISABLE));
    kill_thread(t, SIGUSR1);
    join(t);
    free(alt_lo);
}

/* ---- kernel-made signals ------------------------------------------------------- */

#define BIG (1 << 20)
static int wr_fd, rd_fd;

static void *big_writer_fn(void *arg)
{
    set_target();
    char *buf = calloc(1, BIG);
    if (!buf)
        die("calloc", ENOMEM);
    printf("writer: writing 1 MiB\n");
    ready();
    ssize_t n = write(wr_fd, buf, BIG);
    int e = errno;
    if (n > 0 && n < BIG)
        printf("writer: write returned partial\n");
    else if (n == BIG)
        printf("writer: write returned all of it\n");
    else
        printf("writer: write returned %s\n", ret_words(n, e));
    free(buf);
    return NULL;
}

/* main: read 64 KiB after 50 ms, close after 100 more. */
static void read_then_close(void)
{
    static char buf[65536];
    wait_ready(1);
    msleep(50);
    size_t got = 0;
    while (got < sizeof buf) {
        ssize_t n = read(rd_fd, buf, sizeof buf - got);
        if (n <= 0)
            die("read", n < 0 ? errno : 0);
        got += n;
    }
    printf("main: read %zu bytes\n", got);
    msleep(100);
    printf("main: closing the reading end\n");
    close(rd_fd);
}

static void c_sigpipe_partial(void)
{
    int sv[2];
    make_socketpair(sv);
    wr_fd = sv[0];
    rd_fd = sv[1];
    pthread_t t = spawn(big_writer_fn, NULL);
    read_then_close();
    join(t);
    printf("main: alive\n");
}

static void sigpipe_pipe_body(void)
{
    make_pipe(pipe_fd);
    wr_fd = pipe_fd[1];
    rd_fd = pipe_fd[0];
    pthread_t t = spawn(big_writer_fn, NULL);
    read_then_close();
    join(t);
    printf("main: alive\n");
}

static void c_sigpipe_pipe(void)
{
    in_child(sigpipe_pipe_body);
}

static void c_sigpipe_handler(void)
{
    install(SIGPIPE, on_sig, 0);
    make_pipe(pipe_fd);
    wr_fd = pipe_fd[1];
    rd_fd = pipe_fd[0];
    pthread_t t = spawn(big_writer_fn, NULL);
    read_then_close();
    join(t);
    printf("main: SIGPIPE handler %s\n", hit_words());
}

static void *waitpid_fn(void *arg)
{
    pid_t pid = *(pid_t *)arg;
    set_target();
    unblock(set_of(SIGCHLD, 0, 0));
    int st;
    pid_t r;
    while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    int seen = n_hits();
    if (r != pid)
        printf("thread: waitpid returned %s\n", ret_words(r, errno));
    else if (WIFEXITED(st))
        printf("thread: child exited with status %d\n", WEXITSTATUS(st));
    else
        printf("thread: child did not exit normally\n");
    printf("thread: SIGCHLD handled before waitpid returned: %d time(s)\n", seen);
    printf("thread: handler %s\n", hit_words());
    go();
    return NULL;
}

/* main keeps running (1 ms sleeps) while the thread waits, so that the
 * last thread to run when SIGCHLD comes is not the waiting one. */
static void c_sigchld_waitpid(void)
{
    install(SIGCHLD, on_sig, SA_RESTART);
    block(set_of(SIGCHLD, 0, 0));
    pid_t pid = fork_or_die();
    if (pid == 0) {
        child_sleep(200);
        _exit(7);
    }
    pthread_t t = spawn(waitpid_fn, &pid);
    wait_go(1);
    join(t);
    printf("main: done\n");
}

/* segv_longjmp */
static void *fault_page;
static void *fault_addr;
static int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    fault_addr = si->si_addr;
    fault_code = si->si_code;
    on_sig(sig);
    siglongjmp(jenv, 1);
}

static void *segv_fn(void *arg)
{
    set_target();
    install_info(SIGSEGV, on_segv, 0, NULL);
    long pg = sysconf(_SC_PAGESIZE);
    fault_page = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (fault_page == MAP_FAILED)
        die("mmap", errno);
    for (int i = 1; i <= 3; i++) {
        fault_addr = NULL;
        if (sigsetjmp(jenv, 1) == 0) {
            *(volatile char *)fault_page = 1;
            printf("thread: write %d did not fault\n", i);
        } else {
            printf("thread: fault %d: si_addr the page: %s, SEGV_ACCERR: %s\n", i,
                   yesno(fault_addr == fault_page), yesno(fault_code == SEGV_ACCERR));
        }
    }
    printf("thread: continued; SIGSEGV blocked: %s\n", yesno(is_blocked(SIGSEGV)));
    printf("thread: handler %s\n", hit_words());
    munmap(fault_page, pg);
    return NULL;
}

static void c_segv_longjmp(void)
{
    join(spawn(segv_fn, NULL));
    printf("main: done\n");
}

static int abort_exits;

static void on_abort(int sig)
{
    on_sig(sig);
    if (abort_exits) {
        const char *m = pthread_equal(pthread_self(), target)
            ? "handler: SIGABRT in the aborting thread: yes\n"
            : "handler: SIGABRT in the aborting thread: no\n";
        if (write(1, m, strlen(m)) < 0)
            _exit(4);
        _exit(3);
    }
    if (armed) {
        armed = 0;
        siglongjmp(jenv, 1);
    }
}

static void *abort_fn(void *arg)
{
    set_target();
    install(SIGABRT, on_abort, 0);
    if (sigsetjmp(jenv, 1) == 0) {
        armed = 1;
        printf("thread: calling abort\n");
        abort();
    }
    printf("thread: back from the SIGABRT handler\n");
    printf("thread: handler %s\n", hit_words());
    return NULL;
}

static void c_abort_handler(void)
{
    join(spawn(abort_fn, NULL));
    printf("main: done\n");
}

static void abort_exit_body(void)
{
    abort_exits = 1;
    join(spawn(abort_fn, NULL));
    printf("main: abort returned?\n");
}

static void c_abort_exit(void)
{
    in_child(abort_exit_body);
}

/* ---- sending -------------------------------------------------------------------- */

static void *raise_fn(void *arg)
{
    set_target();
    install(SIGUSR1, on_sig, 0);
    int r = raise(SIGUSR1);
    int seen = n_hits();
    printf("thread: raise returned %d; the handler had run by then: %s\n", r, yesno(seen == 1));
    printf("thread: handler %s\n", hit_words());
    return NULL;
}

static void c_raise_handler(void)
{
    join(spawn(raise_fn, NULL));
    printf("main: done\n");
}

static void queue(int sig, int value)
{
    union sigval v = {.sival_int = value};
    if (sigqueue(getpid(), sig, v) < 0)
        die("sigqueue", errno);
}

/* The four of sigqueue_values and the rt_*_handler cases, sent to the
 * process while every thread blocks them. */
static sigset_t rt3;

static void queue_four(void)
{
    rt3 = set_of(SIGRTMIN, SIGRTMIN + 1, SIGRTMIN + 2);
    block(rt3);
    queue(SIGRTMIN + 2, 3);
    queue(SIGRTMIN, 1);
    queue(SIGRTMIN + 1, 2);
    queue(SIGRTMIN, 4);
    printf("main: queued SIGRTMIN+2 3, SIGRTMIN 1, SIGRTMIN+1 2, SIGRTMIN 4\n");
}

static void *sigwaitinfo4_fn(void *arg)
{
    int n = *(int *)arg;
    for (int i = 0; i < n; i++) {
        siginfo_t si;
        int sig = sigwaitinfo(&rt3, &si);
        if (sig < 0) {
            printf("thread: sigwaitinfo returned %s\n", ret_words(sig, errno));
            return NULL;
        }
        printf("thread: %s value %d, SI_QUEUE: %s, si_pid ours: %s\n", signame(sig),
               si.si_value.sival_int, yesno(si.si_code == SI_QUEUE), yesno(si.si_pid == getpid()));
    }
    return NULL;
}

static void c_sigqueue_values(void)
{
    queue_four();
    int n = 4;
    join(spawn(sigwaitinfo4_fn, &n));
    printf("main: any of them pending after: %s\n",
           yesno(is_pending(SIGRTMIN) || is_pending(SIGRTMIN + 1) || is_pending(SIGRTMIN + 2)));
}

static void *pthread_sigqueue_fn(void *arg)
{
    ready(); /* then into sigwaitinfo, for 200 ms */
    siginfo_t si;
    int sig = sigwaitinfo(&rt3, &si);
    if (sig < 0)
        printf("thread: sigwaitinfo returned %s\n", ret_words(sig, errno));
    else
        printf("thread: %s value %d, SI_QUEUE: %s, si_pid ours: %s\n", signame(sig),
               si.si_value.sival_int, yesno(si.si_code == SI_QUEUE), yesno(si.si_pid == getpid()));
    return NULL;
}

static void c_pthread_sigqueue_thread(void)
{
    rt3 = set_of(SIGRTMIN, SIGRTMIN + 1, SIGRTMIN + 2);
    block(rt3);
    pthread_t t = spawn(pthread_sigqueue_fn, NULL);
    wait_ready(1);
    msleep(200);
    union sigval v = {.sival_int = 5};
    int rc = pthread_sigqueue(t, SIGRTMIN + 1, v);
    if (rc)
        die("pthread_sigqueue", rc);
    join(t);
    printf("main: SIGRTMIN+1 pending here after: %s\n", yesno(is_pending(SIGRTMIN + 1)));
}

/* What the real-time handlers saw, in the order they started. */
static int rt_seen[8][2], rt_n;

static void on_rt(int sig, siginfo_t *si, void *uc)
{
    int i = __atomic_fetch_add(&rt_n, 1, __ATOMIC_ACQ_REL);
    if (i < 8) {
        rt_seen[i][0] = sig;
        rt_seen[i][1] = si->si_value.sival_int;
    }
    on_sig(sig);
}

static void *rt_unblock_fn(void *arg)
{
    set_target();
    unblock(rt3);
    int seen = __atomic_load_n(&rt_n, __ATOMIC_ACQUIRE);
    printf("thread: handlers run before the unblock returned: %d\n", seen);
    for (int i = 0; i < seen && i < 8; i++)
        printf("thread: handler %d: %s value %d\n", i + 1, signame(rt_seen[i][0]), rt_seen[i][1]);
    printf("thread: handler %s\n", hit_words());
    return NULL;
}

static void rt_handler_common(int serial)
{
    sigset_t all3 = set_of(SIGRTMIN, SIGRTMIN + 1, SIGRTMIN + 2);
    for (int s = SIGRTMIN; s <= SIGRTMIN + 2; s++)
        install_info(s, on_rt, 0, serial ? &all3 : NULL);
    queue_four();
    join(spawn(rt_unblock_fn, NULL));
    printf("main: done\n");
}

static void c_rt_order_handler(void)
{
    rt_handler_common(1);
}

static void c_rt_nested_handler(void)
{
    rt_handler_common(0);
}

/* ---- timers ------------------------------------------------------------------------- */

static void *timer_wait_fn(void *arg)
{
    sigset_t s = set_of(SIGUSR1, 0, 0);
    int got = 0, timer_code = 0;
    struct beat b;
    beat_begin(&b);
    for (int i = 0; i < 3; i++) {
        siginfo_t si;
        int sig = sigwaitinfo(&s, &si);
        if (sig < 0) {
            printf("thread: sigwaitinfo returned %s\n", ret_words(sig, errno));
            break;
        }
        got++;
        timer_code += si.si_code == SI_TIMER;
    }
    beat_end(&b);
    printf("thread: took %d SIGUSR1, SI_TIMER in %d\n", got, timer_code);
    printf("thread: %s\n", beat_word(&b, 0));
    return NULL;
}

static void c_timer_signal(void)
{
    block(set_of(SIGUSR1, 0, 0));
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    timer_t tm;
    if (timer_create(CLOCK_MONOTONIC, &ev, &tm) < 0)
        die("timer_create", errno);
    struct beat hb;
    beat_start(&hb);
    pthread_t t = spawn(timer_wait_fn, NULL);
    struct itimerspec its = {{0, 100 * 1000000L}, {0, 100 * 1000000L}};
    if (timer_settime(tm, 0, &its, NULL) < 0)
        die("timer_settime", errno);
    join(t);
    beat_stop(&hb);
    timer_delete(tm);
    printf("main: done\n");
}

static pid_t tid_of_thread;

static void *tid_fn(void *arg)
{
    set_target();
    unblock(set_of(SIGUSR1, 0, 0));
    __atomic_store_n(&tid_of_thread, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
    ready();
    char c;
    ssize_t n = read(pipe_fd[0], &c, 1);
    int e = errno;
    printf("thread: read returned %s\n", ret_words(n, e));
    printf("thread: handler %s\n", hit_words());
    return NULL;
}

/* The thread waits in read(); main keeps running (1 ms sleeps) until the
 * handler ran, so that the last thread to run before the signal is not
 * the target; then it writes a byte, so that the reader ends even if the
 * timer never interrupts it. */
static void c_timer_thread_id(void)
{
    make_pipe(pipe_fd);
    install(SIGUSR1, on_sig, 0);
    block(set_of(SIGUSR1, 0, 0));
    pthread_t t = spawn(tid_fn, NULL);
    wait_ready(1);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGUSR1;
    ev._sigev_un._tid = __atomic_load_n(&tid_of_thread, __ATOMIC_ACQUIRE);
    timer_t tm;
    if (timer_create(CLOCK_MONOTONIC, &ev, &tm) < 0)
        die("timer_create", errno);
    struct itimerspec its = {{0, 0}, {0, 200 * 1000000L}};
    if (timer_settime(tm, 0, &its, NULL) < 0)
        die("timer_settime", errno);
    for (int i = 0; i < 2000 && !n_hits(); i++)
        msleep(1);
    if (write(pipe_fd[1], "x", 1) != 1)
        die("write", errno);
    join(t);
    timer_delete(tm);
    printf("main: SIGUSR1 pending here: %s\n", yesno(is_pending(SIGUSR1)));
}

static void *itimer_fn(void *arg)
{
    set_target();
    unblock(set_of(SIGALRM, 0, 0));
    ready();
    int intr = 0;
    for (int i = 0; i < 3; i++) {
        struct timespec ts = {2, 0};
        if (nanosleep(&ts, NULL) < 0 && errno == EINTR)
            intr++;
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    printf("thread: nanosleeps interrupted: %d of 3\n", intr);
    printf("thread: at least 3 alarms: %s, all in this thread: %s\n", yesno(n_hits() >= 3),
           yesno(__atomic_load_n(&hits_elsewhere, __ATOMIC_ACQUIRE) == 0));
    return NULL;
}

static void c_setitimer_real(void)
{
    install(SIGALRM, on_sig, 0);
    block(set_of(SIGALRM, 0, 0));
    pthread_t t = spawn(itimer_fn, NULL);
    wait_ready(1);
    struct itimerval it = {{0, 100 * 1000}, {0, 100 * 1000}};
    if (setitimer(ITIMER_REAL, &it, NULL) < 0)
        die("setitimer", errno);
    join(t);
    printf("main: done\n");
}

/* ---- a server -------------------------------------------------------------------------- */

#define CONNS 100
static int conn_stop, reloads;
static long conn_iters[CONNS];

static void *conn_fn(void *arg)
{
    int i = (int)(intptr_t)arg;
    int sv[2];
    make_socketpair(sv);
    while (!__atomic_load_n(&conn_stop, __ATOMIC_ACQUIRE)) {
        char c = 'x';
        if (write(sv[0], &c, 1) != 1)
            die("conn write", errno);
        if (read(sv[1], &c, 1) != 1)
            die("conn read", errno);
        __atomic_add_fetch(&conn_iters[i], 1, __ATOMIC_ACQ_REL);
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    close2(sv);
    return NULL;
}

static void *sig_thread_fn(void *arg)
{
    for (;;) {
        int sig = 0;
        int rc = sigwait(&hup_term, &sig);
        if (rc) {
            printf("signal thread: sigwait returned %s\n", en(rc));
            break;
        }
        if (sig == SIGHUP) {
            printf("signal thread: reload %d\n", reloads + 1);
            __atomic_add_fetch(&reloads, 1, __ATOMIC_ACQ_REL);
        } else {
            printf("signal thread: %s, stopping\n", signame(sig));
            break;
        }
    }
    __atomic_store_n(&conn_stop, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void c_daemon_pattern(void)
{
    hup_term = set_of(SIGHUP, SIGTERM, 0);
    block(hup_term);
    pthread_t st = spawn(sig_thread_fn, NULL);
    static pthread_t conns[CONNS];
    for (int i = 0; i < CONNS; i++)
        conns[i] = spawn(conn_fn, (void *)(intptr_t)i);
    msleep(100);
    for (int r = 1; r <= 2; r++) {
        kill_self(SIGHUP);
        wait_flag(&reloads, r); /* a second SIGHUP before the first is taken would merge */
        msleep(50);
    }
    kill_self(SIGTERM);
    join(st);
    int served = 0;
    for (int i = 0; i < CONNS; i++) {
        join(conns[i]);
        served += __atomic_load_n(&conn_iters[i], __ATOMIC_ACQUIRE) > 0;
    }
    printf("main: joined %d connection threads, served: %s\n", CONNS, yesno(served == CONNS));
}

/* ---- the table ------------------------------------------------------------------------- */

static const struct tcase cases[] = {
    {"sigwait_thread", c_sigwait_thread},
    {"sigwaitinfo_thread", c_sigwaitinfo_thread},
    {"main_sigwait", c_main_sigwait},
    {"sigtimedwait_ok", c_sigtimedwait_ok},
    {"sigtimedwait_timeout", c_sigtimedwait_timeout},
    {"pause_kill", c_pause_kill},
    {"sigsuspend_kill", c_sigsuspend_kill},
    {"pending_thread", c_pending_thread},
    {"mask_per_thread", c_mask_per_thread},
    {"kill_read_self", c_kill_read_self},
    {"kill_read_longjmp", c_kill_read_longjmp},
    {"kill_restart", c_kill_restart},
    {"kill_condwait", c_kill_condwait},
    {"masks_process", c_masks_process},
    {"alarm_reader", c_alarm_reader},
    {"alarm_one", c_alarm_one},
    {"handler_calls_hooked", c_handler_calls_hooked},
    {"sigaltstack_thread", c_sigaltstack_thread},
    {"sigpipe_partial", c_sigpipe_partial},
    {"sigpipe_pipe", c_sigpipe_pipe},
    {"sigpipe_handler", c_sigpipe_handler},
    {"sigchld_waitpid", c_sigchld_waitpid},
    {"segv_longjmp", c_segv_longjmp},
    {"abort_handler", c_abort_handler},
    {"abort_exit", c_abort_exit},
    {"raise_handler", c_raise_handler},
    {"sigqueue_values", c_sigqueue_values},
    {"pthread_sigqueue_thread", c_pthread_sigqueue_thread},
    {"rt_order_handler", c_rt_order_handler},
    {"rt_nested_handler", c_rt_nested_handler},
    {"timer_signal", c_timer_signal},
    {"timer_thread_id", c_timer_thread_id},
    {"setitimer_real", c_setitimer_real},
    {"daemon_pattern", c_daemon_pattern},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 2 && !strcmp(argv[1], "--list")) {
        for (const struct tcase *c = cases; c->name; c++)
            printf("%s\n", c->name);
        return 0;
    }
    if (argc == 2)
        for (const struct tcase *c = cases; c->name; c++)
            if (!strcmp(c->name, argv[1])) {
                printf("== %s\n", c->name);
                c->fn();
                return 0;
            }
    fprintf(stderr, "usage: signals --list | signals CASE\n");
    return 2;
}
