/* ipc_wait: calls that wait without bound outside the descriptor world
 * (System V message queues and semaphores, POSIX message queues, reads of
 * kernel event descriptors, getrandom, msync, terminal drains), each
 * waiting about 300 ms while a "heartbeat" thread (beat.h) ticks every
 * 10 ms; run natively and under coexec by tests/bats/ipc.bats and
 * compared, as blocking.c is by blocking.bats. Each case prints results, errno names
 * and "heartbeat ok" or "heartbeat STALLED (n ticks)"; times, ids and pids
 * are never printed (IPC_TIMES=1 writes each wait's ticks and time to
 * stderr).
 *
 *   msgrcv_wait         msgrcv on an empty queue; another thread sends 300 ms later
 *   msgsnd_full         msgsnd on a full queue; another thread receives 300 ms later
 *   msgrcv_rmid         msgrcv; another thread removes the queue 300 ms later: EIDRM
 *   msgrcv_intr         msgrcv, SIGALRM (no SA_RESTART) at 150 ms: EINTR
 *   msgrcv_restart      the same with SA_RESTART: EINTR all the same (signal(7))
 *   msg_ready           msgrcv/msgsnd that need not wait, and their errors
 *   semop_wait          semop(-1) on 0; another thread adds 1 300 ms later; sempid is ours
 *   semop_mixed         operations with and without IPC_NOWAIT in one call
 *   semop_undo          a child process waits in semop(-1, SEM_UNDO); its exit undoes it
 *   semop_intr          semop, SIGALRM with SA_RESTART at 150 ms: EINTR
 *   semop_rmid          semop; another thread removes the set 300 ms later: EIDRM
 *   semtimedop_wait     semtimedop with 2 s; another thread adds 1 300 ms later
 *   semtimedop_timeout  semtimedop with 300 ms, nobody adds: EAGAIN after 300 ms
 *   sem_ready           semop/semtimedop that need not wait, and their errors
 *   mq_receive_wait     mq_receive on an empty queue; another thread sends 300 ms later
 *   mq_send_full        mq_send on a full queue; another thread receives 300 ms later
 *   mq_timedreceive_wait    mq_timedreceive with 2 s; a message 300 ms later
 *   mq_timedreceive_timeout mq_timedreceive with 300 ms: ETIMEDOUT after 300 ms
 *   mq_timedsend_timeout    mq_timedsend on a full queue with 300 ms: ETIMEDOUT
 *   mq_intr             mq_receive, SIGALRM (no SA_RESTART) at 150 ms: EINTR
 *   mq_restart          the same with SA_RESTART: the call goes on, gets a message at 400 ms
 *   mq_nonblock         O_NONBLOCK of a queue description, shared by dup and set by mq_setattr
 *   mq_ready            mq calls that need not wait, and their errors
 *   mq_poll             poll(POLLIN) on a queue; a message 300 ms later
 *   read_inotify        read of an inotify descriptor; another thread creates a file 300 ms later
 *   read_eventfd        read of an eventfd; another thread writes 5 300 ms later
 *   read_timerfd        read of a timerfd armed for 300 ms
 *   read_signalfd       read of a signalfd for SIGUSR1 (blocked); another thread kill()s 300 ms later
 *   getrandom_now       getrandom and getentropy (the pool is seeded: they never wait here)
 *   msync_dirty         msync(MS_SYNC) of a 64 MiB dirty shared file mapping (lenient heartbeat)
 *   tty_pty             tcdrain, tcsendbreak, tcsetattr and the waiting ioctls on a pseudo-terminal
 *   tty_other           the same on /dev/null (ENOTTY)
 *
 * Every object a case makes is removed at its end, and by an atexit and
 * SIGTERM handler if the case dies on the way (die() exits). SIGUSR1 is
 * blocked from the start, in every thread, for read_signalfd.
 *
 *   ipc_wait --undo-child SEMID   semop_undo's child (the program again, by exec)
 *   ipc_wait --mq-gone NAME       prints "NAME exists" or "NAME gone" (for ipc.bats)
 */
#include <mqueue.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/random.h>
#include <sys/sem.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <termios.h>

#include "harness.h"
#define BEAT_TIMES_ENV "IPC_TIMES"
#include "beat.h"

/* ---- IPC objects, removed whatever happens --------------------------------- */

enum { O_MSQ, O_SEM, O_MQ };
#define NOBJ 8
static struct obj {
    int kind, id;   /* id < 0: free */
    char name[64];
} objs[NOBJ] = {[0 ... NOBJ - 1] = {.id = -1}};

static void obj_remove(struct obj *o)
{
    if (o->id < 0)
        return;
    if (o->kind == O_MSQ)
        msgctl(o->id, IPC_RMID, NULL);
    else if (o->kind == O_SEM)
        semctl(o->id, 0, IPC_RMID);
    else
        mq_unlink(o->name);
    o->id = -1;
}

static void objs_remove(void)
{
    for (int i = 0; i < NOBJ; i++)
        obj_remove(&objs[i]);
}

static void on_term(int sig)
{
    objs_remove();
    signal(sig, SIG_DFL);
    raise(sig);
}

static struct obj *obj_add(int kind, int id, const char *name)
{
    for (int i = 0; i < NOBJ; i++)
        if (objs[i].id < 0) {
            objs[i].kind = kind;
            snprintf(objs[i].name, sizeof objs[i].name, "%s", name ? name : "");
            objs[i].id = id;
            return &objs[i];
        }
    die("too many IPC objects", 0);
    return NULL;
}

/* Forget an object something else has removed (IPC_RMID by a case). */
static void obj_gone(int kind, int id)
{
    for (int i = 0; i < NOBJ; i++)
        if (objs[i].id == id && objs[i].kind == kind)
            objs[i].id = -1;
}

static void obj_del(int kind, int id)
{
    for (int i = 0; i < NOBJ; i++)
        if (objs[i].id == id && objs[i].kind == kind)
            obj_remove(&objs[i]);
}

static int msq_new(void)
{
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    if (id < 0)
        die("msgget", errno);
    obj_add(O_MSQ, id, NULL);
    return id;
}

static int sem_new(int n)
{
    int id = semget(IPC_PRIVATE, n, IPC_CREAT | 0600);
    if (id < 0)
        die("semget", errno);
    obj_add(O_SEM, id, NULL);
    return id;
}

static void sem_set(int id, int num, int val)
{
    if (semctl(id, num, SETVAL, val) < 0)
        die("semctl SETVAL", errno);
}

static int sem_get(int id, int num)
{
    int v = semctl(id, num, GETVAL);
    if (v < 0)
        die("semctl GETVAL", errno);
    return v;
}

/* A new queue of maxmsg messages of up to 64 bytes; *name gets its name. */
static mqd_t mq_new(int maxmsg, int flags, const char **name)
{
    static int seq;
    char n[64];
    snprintf(n, sizeof n, "/coexec-ipc-%d-%d", (int)getpid(), __atomic_add_fetch(&seq, 1, __ATOMIC_ACQ_REL));
    struct mq_attr a = {.mq_maxmsg = maxmsg, .mq_msgsize = 64};
    mqd_t q = mq_open(n, O_CREAT | O_EXCL | O_RDWR | flags, 0600, &a);
    if (q < 0)
        die("mq_open", errno);
    struct obj *o = obj_add(O_MQ, q, n);
    if (name)
        *name = o->name;
    return q;
}

static void mq_del(mqd_t q)
{
    obj_del(O_MQ, q);
    mq_close(q);
}

/* ---- helpers --------------------------------------------------------------- */

/* Another thread: after ms, fn(arg). */
struct act {
    int ms;
    void (*fn)(void *);
    void *arg;
    pthread_t t;
};

static void *act_fn(void *p)
{
    struct act *a = p;
    msleep(a->ms);
    a->fn(a->arg);
    return NULL;
}

static void act_start(struct act *a, int ms, void (*fn)(void *), void *arg)
{
    a->ms = ms;
    a->fn = fn;
    a->arg = arg;
    a->t = spawn(act_fn, a);
}

struct msg {
    long type;
    char text[32];
};

static void send_hello(void *p)
{
    struct msg m = {.type = 7};
    strcpy(m.text, "hello");
    if (msgsnd(*(int *)p, &m, 6, 0) < 0)
        die("msgsnd (later)", errno);
}

static void recv_one(void *p)
{
    struct msg m;
    if (msgrcv(*(int *)p, &m, sizeof m.text, 0, 0) < 0)
        die("msgrcv (later)", errno);
}

static void msq_rmid(void *p)
{
    if (msgctl(*(int *)p, IPC_RMID, NULL) < 0)
        die("msgctl IPC_RMID (later)", errno);
}

static void sem_post0(void *p)
{
    struct sembuf op = {0, 1, 0};
    if (semop(*(int *)p, &op, 1) < 0)
        die("semop +1 (later)", errno);
}

static void sem_rmid(void *p)
{
    if (semctl(*(int *)p, 0, IPC_RMID) < 0)
        die("semctl IPC_RMID (later)", errno);
}

static void mq_send_hi(void *p)
{
    if (mq_send(*(mqd_t *)p, "hi", 2, 3) < 0)
        die("mq_send (later)", errno);
}

static void mq_recv_one(void *p)
{
    char buf[64];
    if (mq_receive(*(mqd_t *)p, buf, sizeof buf, NULL) < 0)
        die("mq_receive (later)", errno);
}

/* "r (0)" or "-1 (ENAME)"; a few may be used in one line. */
static const char *ok(long r, int e)
{
    static char bufs[4][64];
    static int next;
    char *buf = bufs[next++ % 4];
    if (r >= 0)
        snprintf(buf, 64, "%ld (0)", r);
    else
        snprintf(buf, 64, "-1 (%s)", en(e));
    return buf;
}

/* ok() of a call, with the errno it left. */
#define OK(call) ({ long r_ = (call); ok(r_, errno); })

/* ---- System V message queues ----------------------------------------------- */

static void c_msgrcv_wait(void)
{
    int q = msq_new();
    struct beat b;
    struct act a;
    beat_start(&b);
    act_start(&a, 300, send_hello, &q);
    beat_begin(&b);
    struct msg m = {0};
    ssize_t r = msgrcv(q, &m, sizeof m.text, 0, 0);
    int e = errno;
    beat_end(&b);
    beat_stop(&b);
    join(a.t);
    say("msgrcv = %s, type %ld '%s', %s", ok(r, e), m.type, m.text, beat_word(&b, 0));
    obj_del(O_MSQ, q);
}

static void c_msgsnd_full(void)
{
    int q = msq_new();
    struct msqid_ds ds;
    if (msgctl(q, IPC_STAT, &ds) < 0)
        die("msgctl IPC_STAT", errno);
    ds.msg_qbytes = 16;
    if (msgctl(q, IPC_SET, &ds) < 0)
        die("msgctl IPC_SET", errno);
    struct msg m = {.type = 1};
    if (msgsnd(q, &m, 16, 0) < 0)
        die("msgsnd (fill)", errno);
    say("full: msgsnd IPC_NOWAIT = %s", OK(msgsnd(q, &m, 8, IPC_NOWAIT)));
    struct beat b;
    struct act a;
    beat_start(&b);
    act_start(&a, 300, recv_one, &q);
    beat_begin(&b);
    strcpy(m.text, "second");
    int r = msgsnd(q, &m, 8, 0);
    int e = errno;
    beat_end(&b);
    beat_stop(&b);
    join(a.t);
    if (msgctl(q, IPC_STAT, &ds) < 0)
        die("msgctl IPC_STAT", errno);
    say("msgsnd = %s, then %lu queued, %s", ok(r, e), (unsigned long)ds.msg_qnum, beat_word(&b, 0));
    obj_del(O_MSQ, q);
}

static void c_msgrcv_rmid(void)
{
    int q = msq_new();
    struct beat b;
    struct act a;
    beat_start(&b);
    act_start(&a, 300, msq_rmid, &q);
    beat_begin(&b);
    struct msg m;
    ssize_t r = msgrcv(q, &m, sizeof m.text, 0, 0);
    int e = errno;
    beat_end(&b);
    beat_stop(&b);
    join(a.t);
    obj_gone(O_MSQ, q);
    say("msgrcv, queue removed meanwhile = %s, %s", ok(r, e), beat_word(&b, 0));
}

static void msgrcv_signal_case(int flags)
{
    struct sigaction old;
    alrm_install(flags, &old);
    int q = msq_new();
    struct beat b;
    beat_start(&b);
    struct shot s = {pthread_self(), 150};
    pthread_t shooter = spawn(shot_fn, &s);
    beat_begin(&b);
    struct msg m;
    ssize_t r = msgrcv(q, &m, sizeof m.text, 0, 0);
    int e = errno;
    beat_end(&b);
    beat_stop(&b);
    alrm_restore(shooter, &old);
    say("msgrcv with SIGALRM at 150 ms%s = %s, handler ran %d, %s",
        flags & SA_RESTART ? " (SA_RESTART)" : "", ok(r, e), alrm_hits, beat_word(&b, 0));
    obj_del(O_MSQ, q);
}

static void c_msgrcv_intr(void)
{
    msgrcv_signal_case(0);
}

static void c_msgrcv_restart(void)
{
    msgrcv_signal_case(SA_RESTART);
}

static void c_msg_ready(void)
{
    int q = msq_new();
    struct msg m = {.type = 5}, in = {0};
    strcpy(m.text, "abcdefgh");
    say("msgsnd = %s", OK(msgsnd(q, &m, 9, 0)));
    m.type = 6;
    say("msgsnd = %s", OK(msgsnd(q, &m, 9, 0)));
    ssize_t r = msgrcv(q, &in, sizeof in.text, 6, 0);
    say("msgrcv(type 6) = %s, type %ld '%s'", OK(r), in.type, in.text);
    say("msgrcv(size 4) = %s", OK(msgrcv(q, &in, 4, 0, 0)));
    memset(&in, 0, sizeof in);
    r = msgrcv(q, &in, 4, 0, MSG_NOERROR);
    say("msgrcv(size 4, MSG_NOERROR) = %s, '%.4s'", OK(r), in.text);
    say("msgrcv(IPC_NOWAIT), empty = %s", OK(msgrcv(q, &in, sizeof in.text, 0, IPC_NOWAIT)));
    say("msgrcv(MSG_COPY) without IPC_NOWAIT = %s", OK(msgrcv(q, &in, sizeof in.text, 0, MSG_COPY)));
    say("msgrcv(id -1) = %s", OK(msgrcv(-1, &in, sizeof in.text, 0, 0)));
    m.type = 0;
    say("msgsnd(type 0) = %s", OK(msgsnd(q, &m, 9, 0)));
    m.type = 1;
    say("msgsnd(bad pointer) = %s", OK(msgsnd(q, bad_ptr, 9, 0)));
    say("msgsnd = %s", OK(msgsnd(q, &m, 9, 0)));
    say("msgrcv(bad pointer) = %s", OK(msgrcv(q, bad_ptr, sizeof in.text, 0, 0)));
    obj_del(O_MSQ, q);
}

/* ---- System V semaphores --------------------------------------------------- */

static void c_semop_wait(void)
{
    int s = sem_new(1);
    struct beat b;
    struct act a;
    beat_start(&b);
    act_start(&a, 300, sem_post0, &s);
    beat_begin(&b);
    struct sembuf op = {0, -1, 0};
    int r = semop(s, &op, 1);
    int e = errno;
    beat_end(&b);
    beat_stop(&b);
    join(a.t);
    int pid = semctl(s, 0, GETPID);
    say("semop(-1) = %s, value %d, last operation by %s, %s", ok(r, e), sem_get(s, 0),
        pid == getpid() ? "this process" : "ANOTHER", beat_word(&b, 0));
    obj_del(O_SEM, s);
}

static void c_semop_mixed(void)
{
    int s = sem_new(2);
    /* the operation that cannot proceed has IPC_NOWAIT: EAGAIN, nothing done */
    sem_set(s, 0, 1);
    struct sembuf ops[2] = {{0, -1, 0}, {1, -1, IPC_NOWAIT}};
    say("semop({0,-1}, {1,-1,IPC_NOWAIT}) on 1, 0 = %s, values %d %d",
        OK(semop(s, ops, 2)), sem_get(s, 0), sem_get(s, 1));
    /* the one without it cannot: the call waits until another thread adds 1 */
    sem_set(s, 0, 0);
    sem_set(s, 1, 1);
    struct beat b;
    struct act a;
    beat_start(&b);
    act_start(&a, 300, sem_post0, &s);
    beat_begin(&b);
    int r = semop(s, ops, 2);
    int e = errno;
    beat_end(&b);
    beat_stop(&b);
    join(a.t);
    say("semop({0,-1}, {1,-1,IPC_NOWAIT}) on 0, 1 = %s, values %d %d, %s", ok(r, e),
        sem_get(s, 0), sem_get(s, 1), beat_word(&b, 0));
    obj_del(O_SEM, s);
}

/* The child of semop_undo: the program itself again (exec), so that it
 * is a process of its own with threads. */
static int undo_child(int s)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    where = "child";
    struct beat b;
    beat_start(&b);
    beat_begin(&b);
    struct sembuf op = {0, -1, SEM_UNDO};
    int r = semop(s, &op, 1);
    int e = errno;
    beat_end(&b);
    beat_stop(&b);
    say("semop(-1, SEM_UNDO) = %s, value %d, %s", ok(r, e), sem_get(s, 0), beat_word(&b, 0));
    return r == 0 ? 0 : 1;
}

static void c_semop_undo(void)
{
    int s = sem_new(1);
    char arg[32];
    snprintf(arg, sizeof arg, "%d", s);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        die("fork", errno);
    if (pid == 0) {
        char *argv[] = {"ipc_wait", "--undo-child", arg, NULL};
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    /* the child waits for the value to become 1 */
    for (int i = 0; i < 5000 && semctl(s, 0, GETNCNT) < 1; i++)
        msleep(1);
    msleep(300);
    struct sembuf op = {0, 1, 0};
    if (semop(s, &op, 1) < 0)
        die("semop +1", errno);
    int st;
    if (waitpid(pid, &st, 0) != pid)
        die("waitpid", errno);
    say("child exited %d; value %d (its SEM_UNDO gave back what it took)",
        WIFEXITED(st) ? WEXITSTATUS(st) : -1, sem_get(s, 0));
    obj_del(O_SEM, s);
}

static void c_semop_intr(void)
{
    struct sigaction old;
    alrm_install(SA_RESTART, &old);
    int s = sem_new(1);
    struct beat b;
    beat_start(&b);
    struct shot sh = {pthread_self(), 150};
    pthread_t shooter = spawn(shot_fn, &sh);
    beat_begin(&b);
    struct sembuf op = {0, -1, 0};
    int r = semop(s, &op, 1);
    int e = errno;
    beat_end(&b);
    beat_stop(&b);
    alrm_restore(shooter, &old);
    say("semop with SIGALRM (SA_RESTART) at 150 ms = %s, handler ran %d, value %d, %s", ok(r, e),
        alrm_hits, sem_get(s, 0), beat_word(&b, 0));
    obj_del(O_SEM, s);
}

static void c_semop_rmid(void)
{
    int s = sem_new(1);
    struct beat b;
    struct act a;
    beat_start(&b);
    act_start(&a, 300, sem_rmid, &s);
    beat_begin(&b);
    struct sembuf op = {0, -1, 0};
    int r = semop(s, &op, 1);
    int e = errno;
    beat_end(&b);
    beat_stop(&b);
    join(a.t);
    obj_gone(O_SEM, s);
    say("semop, set removed meanwhile = %s, %s", ok(r, e), beat_word(&b, 0));
}

static void c_semtimedop_wait(void)
{
    int s = sem_new(1);
    struct beat b;
    struct act a;
    beat_start(&b);
    act_start(&a, 300, sem_post0, &s);
    beat_begin(&b);
    struct sembuf op = {0, -1, 0};
    struct timespec t = {2, 0};
    int r = semtimedop(s, &op, 1, &t);
    int e = errno;
    beat_end(&b);
    beat_stop(&b);
    join(a.t);
    say("semtimedop(-1, 2 s) = %s, %s, %s", ok(r, e), b.ms < 1500 ? "before the timeout" : "LATE",
        beat_word(&b, 0));
    obj_del(O_SEM, s);
}

static void c_semtimedop_timeout(void)
{
    int s = sem_new(1);
    struct beat b;
    beat_start(&b);
    beat_begin(&b);
    double t0 = now_ms();
    struct sembuf op = {0, -1, 0};
    struct timespec t = {0, 300 * 1000000L};
    int r = semtimedop(s, &op, 1, &t);
    int e = errno;
    const char *tm = timing(t0, 300);
    beat_end(&b);
    beat_stop(&b);
    say("semtimedop(-1, 300 ms) = %s, %s, %s", ok(r, e), tm, beat_word(&b, 0));
    obj_del(O_SEM, s);
}

static void c_sem_ready(void)
{
    int s = sem_new(2);
    struct sembuf up = {0, 1, 0}, down = {0, -1, 0}, nw = {1, -1, IPC_NOWAIT};
    struct sembuf zero = {1, 0, 0}, far = {5, 1, 0};
    say("semop(+1) = %s", OK(semop(s, &up, 1)));
    say("semop(-1) = %s", OK(semop(s, &down, 1)));
    say("semop(0 operations) = %s", OK(semop(s, &up, 0)));
    say("semop(semaphore 5 of 2) = %s", OK(semop(s, &far, 1)));
    say("semop(-1, IPC_NOWAIT) on 0 = %s", OK(semop(s, &nw, 1)));
    say("semop(wait for zero) on 0 = %s", OK(semop(s, &zero, 1)));
    say("semop(bad pointer) = %s", OK(semop(s, bad_ptr, 1)));
    say("semop(id -1) = %s", OK(semop(-1, &up, 1)));
    sem_set(s, 0, 32767);
    say("semop(+1) on 32767 = %s", OK(semop(s, &up, 1)));
    struct timespec bad = {0, 2000000000L}, zt = {0, 0}, neg = {-1, 0};
    say("semtimedop(-1, invalid timeout) on 32767 = %s", OK(semtimedop(s, &down, 1, &bad)));
    say("semtimedop(-1, negative timeout) = %s", OK(semtimedop(s, &down, 1, &neg)));
    say("semtimedop(-1, bad timeout pointer) = %s", OK(semtimedop(s, &down, 1, bad_ptr)));
    say("semtimedop(-1, NULL) on 32767 = %s", OK(semtimedop(s, &down, 1, NULL)));
    sem_set(s, 0, 0);
    double t0 = now_ms();
    int r = semtimedop(s, &down, 1, &zt);
    say("semtimedop(-1, zero timeout) on 0 = %s, %s", OK(r),
        now_ms() - t0 < 100 ? "at once" : "SLOW");
    obj_del(O_SEM, s);
}

/* ---- POSIX message queues -------------------------------------------------- */

static void mq_recv_case(int timed)
{
    mqd_t q = mq_new(2, 0, NULL);
    struct beat b;
    struct act a;
    beat_start(&b);
    act_start(&a, 300, mq_send_hi, &q);
    beat_begin(&b);
    char buf[64] = {0};
    unsigned prio = 0;
    ssize_t r;
    if (timed) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_sec += 2;
        r = mq_timedreceive(q, buf, sizeof buf, &prio, &t);
    } else {
        r = mq_receive(q, buf, sizeof buf, &prio);
    }
    int e = errno;
    beat_end(&b);
    beat_stop(&b);
    join(a.t);
    say("%s = %s, '%s' priority %u, %s", timed ? "mq_timedreceive(2 s)" : "mq_receive", ok(r, e),
        buf, prio, beat_word(&b, 0));
    mq_del(q);
}

static void c_mq_receive_wait(void)
{
    mq_recv_case(0);
}

static void c_mq_timedreceive_wait(void)
{
    mq_recv_case(1);
}

static void c_mq_send_full(void)
{
    mqd_t q = mq_new(1, 0, NULL);
    if (mq_send(q, "first", 5, 1) < 0)
        die("mq_send (fill)", errno);
    struct beat b;
    struct act a;
    beat_start(&b);
    act_start(&a, 300, mq_recv_one, &q);
    beat_begin(&b);
    int r = mq_send(q, "second", 6, 2);
    int e = errno;
    beat_end(&b);
    beat_stop(&b);
    join(a.t);
    char buf[64] = {0};
    ssize_t n = mq_receive(q, buf, sizeof buf, NULL);
    say("mq_send on a full queue = %s, then the queue holds '%.*s', %s", ok(r, e),
        n > 0 ? (int)n : 0, buf, beat_word(&b, 0));
    mq_del(q);
}

static void mq_timeout_case(int send)
{
    mqd_t q = mq_new(1, 0, NULL);
    if (send && mq_send(q, "first", 5, 1) < 0)
        die("mq_send (fill)", errno);
    struct beat b;
    beat_start(&b);
    beat_begin(&b);
    double t0 = now_ms();
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_nsec += 300 * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    char buf[64];
    long r = send ? mq_timedsend(q, "second", 6, 1, &t) : mq_timedreceive(q, buf, sizeof buf, NULL, &t);
    int e = errno;
    const char *tm = timing(t0, 299);
    beat_end(&b);
    beat_stop(&b);
    say("%s(300 ms) = %s, %s, %s", send ? "mq_timedsend on a full queue" : "mq_timedreceive",
        ok(r, e), tm, beat_word(&b, 0));
    mq_del(q);
}

static void c_mq_timedreceive_timeout(void)
{
    mq_timeout_case(0);
}

static void c_mq_timedsend_timeout(void)
{
    mq_timeout_case(1);
}

static void mq_signal_case(int flags)
{
    struct sigaction old;
    alrm_install(flags, &old);
    mqd_t q = mq_new(2, 0, NULL);
    struct beat b;
    struct act a;
    beat_start(&b);
    struct shot s = {pthread_self(), 150};
    pthread_t shooter = spawn(shot_fn, &s);
    act_start(&a, 400, mq_send_hi, &q);
    beat_begin(&b);
    char buf[64] = {0};
    ssize_t r = mq_receive(q, buf, sizeof buf, NULL);
    int e = errno;
    beat_end(&b);
    beat_stop(&b);
    alrm_restore(shooter, &old);
    join(a.t);
    say("mq_receive with SIGALRM at 150 ms%s = %s '%s', handler ran %d, %s",
        flags & SA_RESTART ? " (SA_RESTART), a message at 400 ms" : "", ok(r, e), buf, alrm_hits,
        beat_word(&b, 0));
    mq_del(q);
}

static void c_mq_intr(void)
{
    mq_signal_case(0);
}

static void c_mq_restart(void)
{
    mq_signal_case(SA_RESTART);
}

static void c_mq_nonblock(void)
{
    const char *name;
    mqd_t q = mq_new(2, O_NONBLOCK, &name);
    char buf[64] = {0};
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += 1;
    say("O_NONBLOCK: mq_receive = %s", OK(mq_receive(q, buf, sizeof buf, NULL)));
    say("O_NONBLOCK: mq_timedreceive(1 s) = %s", OK(mq_timedreceive(q, buf, sizeof buf, NULL, &t)));
    /* a second description of the queue, and a copy of the first */
    mqd_t other = mq_open(name, O_RDWR | O_NONBLOCK);
    mqd_t copy = dup(q);
    if (other < 0 || copy < 0)
        die("mq_open/dup", errno);
    struct mq_attr at = {.mq_flags = 0}, now;
    if (mq_setattr(copy, &at, NULL) < 0 || mq_getattr(q, &now) < 0)
        die("mq_setattr", errno);
    say("O_NONBLOCK cleared through the copy: the first says %s",
        now.mq_flags & O_NONBLOCK ? "O_NONBLOCK" : "blocking");
    say("the second description: mq_receive = %s", OK(mq_receive(other, buf, sizeof buf, NULL)));
    struct beat b;
    struct act a;
    beat_start(&b);
    act_start(&a, 300, mq_send_hi, &other);
    beat_begin(&b);
    ssize_t r = mq_receive(q, buf, sizeof buf, NULL);
    int e = errno;
    beat_end(&b);
    beat_stop(&b);
    join(a.t);
    say("the first, now blocking: mq_receive = %s '%s', %s", ok(r, e), buf, beat_word(&b, 0));
    at.mq_flags = O_NONBLOCK;
    if (mq_setattr(q, &at, NULL) < 0)
        die("mq_setattr", errno);
    say("O_NONBLOCK again: mq_receive through the copy = %s", OK(mq_receive(copy, buf, sizeof buf, NULL)));
    mq_close(copy);
    mq_close(other);
    mq_del(q);
}

static void c_mq_ready(void)
{
    const char *name;
    mqd_t q = mq_new(2, 0, &name);
    char buf[64] = {0};
    unsigned prio = 0;
    say("mq_send = %s", OK(mq_send(q, "low", 3, 1)));
    say("mq_send = %s", OK(mq_send(q, "high", 4, 9)));
    ssize_t r = mq_receive(q, buf, sizeof buf, &prio);
    say("mq_receive = %s '%.*s' priority %u", OK(r), r > 0 ? (int)r : 0, buf, prio);
    say("mq_receive(buffer of 8) = %s", OK(mq_receive(q, buf, 8, NULL)));
    struct timespec bad = {0, -1}, past = {1, 0};
    say("mq_timedreceive(invalid timeout), a message queued = %s",
        OK(mq_timedreceive(q, buf, sizeof buf, NULL, &bad)));
    say("mq_timedreceive(bad timeout pointer) = %s",
        OK(mq_timedreceive(q, buf, sizeof buf, NULL, bad_ptr)));
    r = mq_timedreceive(q, buf, sizeof buf, &prio, &past);
    say("mq_timedreceive(1970), a message queued = %s '%.*s'", OK(r), r > 0 ? (int)r : 0, buf);
    double t0 = now_ms();
    r = mq_timedreceive(q, buf, sizeof buf, NULL, &past);
    say("mq_timedreceive(1970), empty = %s, %s", OK(r), now_ms() - t0 < 100 ? "at once" : "SLOW");
    say("mq_send(priority 32768) = %s", OK(mq_send(q, "x", 1, 32768)));
    say("mq_send(65 bytes) = %s", OK(mq_send(q, buf, 65, 0)));
    say("mq_send(bad pointer) = %s", OK(mq_send(q, bad_ptr, 1, 0)));
    say("mq_receive(closed descriptor) = %s", OK(mq_receive(CLOSED_FD, buf, sizeof buf, NULL)));
    int p[2];
    make_pipe(p);
    say("mq_receive(a pipe) = %s", OK(mq_receive(p[0], buf, sizeof buf, NULL)));
    close2(p);
    mqd_t wo = mq_open(name, O_WRONLY);
    say("mq_receive(write-only) = %s", OK(mq_receive(wo, buf, sizeof buf, NULL)));
    say("mq_close = %s", OK(mq_close(wo)));
    say("mq_close again = %s", OK(mq_close(wo)));
    mq_del(q);
}

static void c_mq_poll(void)
{
    mqd_t q = mq_new(2, 0, NULL);
    struct beat b;
    struct act a;
    beat_start(&b);
    act_start(&a, 300, mq_send_hi, &q);
    beat_begin(&b);
    struct pollfd p = {q, POLLIN, 0};
    int r = poll(&p, 1, -1);
    int e = errno;
    beat_end(&b);
    beat_stop(&b);
    join(a.t);
    say("poll(queue, POLLIN) = %s, revents %s, %s", ok(r, e),
        p.revents == POLLIN ? "POLLIN" : "OTHER", beat_word(&b, 0));
    p.events = POLLOUT;
    say("poll(queue, POLLOUT, 0) = %s, revents %s", OK(poll(&p, 1, 0)),
        p.revents & POLLOUT ? "POLLOUT" : "OTHER");
    mq_del(q);
}

/* ---- reads of kernel event descriptors ------------------------------------- */


static void make_file(void *p)
{
    int fd = open(path, O_CREAT | O_WRONLY, 0600);
    if (fd < 0)
        die("open (later)", errno);
    close(fd);
}

static void write_five(void *p)
{
    uint64_t v = 5;
    if (write(*(int *)p, &v, sizeof v) != sizeof v)
        die("eventfd write (later)", errno);
}

static void kill_usr1(void *p)
{
    if (kill(getpid(), SIGUSR1) < 0)
        die("kill (later)", errno);
}

/* read(fd) while another thread (or the timer) acts at 300 ms. */
static void read_case(const char *what, int fd, void (*later_fn)(void *), void *arg, char *buf,
                      size_t n, ssize_t *got)
{
    struct beat b;
    struct act a;
    beat_start(&b);
    if (later_fn)
        act_start(&a, 300, later_fn, arg);
    beat_begin(&b);
    ssize_t r = read(fd, buf, n);
    int e = errno;
    beat_end(&b);
    beat_stop(&b);
    if (later_fn)
        join(a.t);
    *got = r;
    say("read(%s) = %s, %s", what, r < 0 ? ok(r, e) : "some bytes", beat_word(&b, 0));
}

static void c_read_inotify(void)
{
    tmp_make("new");
    int fd = inotify_init1(0);
    if (fd < 0 || inotify_add_watch(fd, dir, IN_CREATE) < 0)
        die("inotify", errno);
    char buf[4096] __attribute__((aligned(8)));
    ssize_t r;
    read_case("inotify", fd, make_file, NULL, buf, sizeof buf, &r);
    if (r >= (ssize_t)sizeof(struct inotify_event)) {
        struct inotify_event *ev = (struct inotify_event *)buf;
        say("event: %s '%s'", ev->mask == IN_CREATE ? "IN_CREATE" : "OTHER", ev->len ? ev->name : "");
    }
    close(fd);
    tmp_remove();
}

static void c_read_eventfd(void)
{
    int fd = eventfd(0, 0);
    if (fd < 0)
        die("eventfd", errno);
    uint64_t v = 0;
    ssize_t r;
    read_case("eventfd", fd, write_five, &fd, (char *)&v, sizeof v, &r);
    say("%zd bytes, value %llu", r, (unsigned long long)v);
    close(fd);
}

static void c_read_timerfd(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec it = {.it_value = {0, 300 * 1000000L}};
    if (fd < 0 || timerfd_settime(fd, 0, &it, NULL) < 0)
        die("timerfd", errno);
    uint64_t v = 0;
    ssize_t r;
    read_case("timerfd armed for 300 ms", fd, NULL, NULL, (char *)&v, sizeof v, &r);
    say("%zd bytes, %llu expiration", r, (unsigned long long)v);
    close(fd);
}

static void c_read_signalfd(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    int fd = signalfd(-1, &s, 0);
    if (fd < 0)
        die("signalfd", errno);
    struct signalfd_siginfo si = {0};
    ssize_t r;
    read_case("signalfd", fd, kill_usr1, NULL, (char *)&si, sizeof si, &r);
    say("%zd bytes, %s, from %s", r, si.ssi_signo == SIGUSR1 ? "SIGUSR1" : "OTHER",
        si.ssi_code == SI_USER && si.ssi_pid == (uint32_t)getpid() ? "kill() by this process" : "OTHER");
    close(fd);
}

/* ---- getrandom, msync, terminals ------------------------------------------- */

static void c_getrandom_now(void)
{
    unsigned char buf[300];
    say("getrandom(64, 0) = %s", OK(getrandom(buf, 64, 0)));
    say("getrandom(16, GRND_RANDOM) = %s", OK(getrandom(buf, 16, GRND_RANDOM)));
    say("getrandom(16, GRND_NONBLOCK) = %s", OK(getrandom(buf, 16, GRND_NONBLOCK)));
    say("getrandom(16, 0x100) = %s", OK(getrandom(buf, 16, 0x100)));
    say("getrandom(bad pointer) = %s", OK(getrandom(bad_ptr, 16, 0)));
    say("getentropy(32) = %s", OK(getentropy(buf, 32)));
    say("getentropy(256) = %s", OK(getentropy(buf, 256)));
    say("getentropy(257) = %s", OK(getentropy(buf, 257)));
    say("getentropy(bad pointer) = %s", OK(getentropy(bad_ptr, 16)));
}

#define MAPPED (64 << 20)

static void c_msync_dirty(void)
{
    tmp_make("new");
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, MAPPED) < 0)
        die("open/ftruncate", errno);
    char *m = mmap(NULL, MAPPED, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        die("mmap", errno);
    for (long i = 0; i < MAPPED; i += 4096)
        m[i] = (char)(i >> 12);
    struct beat b;
    beat_start(&b);
    beat_begin(&b);
    int r = msync(m, MAPPED, MS_SYNC);
    int e = errno;
    beat_end(&b);
    beat_stop(&b);
    say("msync(64 MiB dirty, MS_SYNC) = %s, %s", ok(r, e), beat_word(&b, 1));
    say("msync(MS_ASYNC) = %s", OK(msync(m, MAPPED, MS_ASYNC)));
    say("msync(unaligned, MS_SYNC) = %s", OK(msync(m + 1, 4096, MS_SYNC)));
    say("msync(MS_SYNC | MS_ASYNC) = %s", OK(msync(m, 4096, MS_SYNC | MS_ASYNC)));
    munmap(m, MAPPED);
    /* Not m: another thread (a pool thread's malloc arena, say) may map
       there at once. Nothing is ever mapped below vm.mmap_min_addr. */
    say("msync(unmapped, MS_SYNC) = %s", OK(msync((void *)4096, 4096, MS_SYNC)));
    char c;
    say("file content kept: %s", pread(fd, &c, 1, 4096 * 5) == 1 && c == 5 ? "yes" : "NO");
    close(fd);
    tmp_remove();
}

/* The terminal calls that may wait, one after the other on fd. */
static void tty_calls(int fd)
{
    struct termios t;
    memset(&t, 0, sizeof t);
    int have = tcgetattr(fd, &t) == 0;
    say("tcdrain = %s", OK(tcdrain(fd)));
    say("tcsendbreak(0) = %s", OK(tcsendbreak(fd, 0)));
    say("tcsendbreak(1) = %s", OK(tcsendbreak(fd, 1)));
    say("ioctl(TCSBRK, 1) = %s", OK(ioctl(fd, TCSBRK, 1)));
    say("ioctl(TCSBRKP, 1) = %s", OK(ioctl(fd, TCSBRKP, 1)));
    say("ioctl(TIOCMIWAIT, TIOCM_CD) = %s", OK(ioctl(fd, TIOCMIWAIT, TIOCM_CD)));
    say("tcsetattr(TCSADRAIN) = %s", OK(tcsetattr(fd, TCSADRAIN, &t)));
    say("tcsetattr(TCSAFLUSH) = %s", OK(tcsetattr(fd, TCSAFLUSH, &t)));
    say("tcsetattr(TCSANOW) = %s", OK(tcsetattr(fd, TCSANOW, &t)));
    say("ioctl(TCSETSW) = %s (termios %s)", OK(ioctl(fd, TCSETSW, &t)), have ? "read" : "zero");
}

static void c_tty_pty(void)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    char name[64];
    if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof name) != 0)
        die("posix_openpt", errno);
    int s = open(name, O_RDWR | O_NOCTTY);
    if (s < 0)
        die("open pty", errno);
    if (write(s, "out\n", 4) != 4)
        die("write pty", errno);
    say("the slave:");
    tty_calls(s);
    /* the slave's output is the master's input (before TCSAFLUSH on the master discards it) */
    char buf[16] = {0};
    struct pollfd p = {m, POLLIN, 0};
    say("the master reads %s", poll(&p, 1, 0) == 1 && read(m, buf, sizeof buf) > 0 && !strncmp(buf, "out", 3)
                                   ? "the output" : "NOTHING");
    say("the master:");
    tty_calls(m);
    say("tcdrain(closed) = %s", OK(tcdrain(CLOSED_FD)));
    close(s);
    close(m);
}

static void c_tty_other(void)
{
    int fd = open("/dev/null", O_RDWR);
    if (fd < 0)
        die("open /dev/null", errno);
    tty_calls(fd);
    close(fd);
}

static const struct tcase cases[] = {
    {"msgrcv_wait", c_msgrcv_wait},
    {"msgsnd_full", c_msgsnd_full},
    {"msgrcv_rmid", c_msgrcv_rmid},
    {"msgrcv_intr", c_msgrcv_intr},
    {"msgrcv_restart", c_msgrcv_restart},
    {"msg_ready", c_msg_ready},
    {"semop_wait", c_semop_wait},
    {"semop_mixed", c_semop_mixed},
    {"semop_undo", c_semop_undo},
    {"semop_intr", c_semop_intr},
    {"semop_rmid", c_semop_rmid},
    {"semtimedop_wait", c_semtimedop_wait},
    {"semtimedop_timeout", c_semtimedop_timeout},
    {"sem_ready", c_sem_ready},
    {"mq_receive_wait", c_mq_receive_wait},
    {"mq_send_full", c_mq_send_full},
    {"mq_timedreceive_wait", c_mq_timedreceive_wait},
    {"mq_timedreceive_timeout", c_mq_timedreceive_timeout},
    {"mq_timedsend_timeout", c_mq_timedsend_timeout},
    {"mq_intr", c_mq_intr},
    {"mq_restart", c_mq_restart},
    {"mq_nonblock", c_mq_nonblock},
    {"mq_ready", c_mq_ready},
    {"mq_poll", c_mq_poll},
    {"read_inotify", c_read_inotify},
    {"read_eventfd", c_read_eventfd},
    {"read_timerfd", c_read_timerfd},
    {"read_signalfd", c_read_signalfd},
    {"getrandom_now", c_getrandom_now},
    {"msync_dirty", c_msync_dirty},
    {"tty_pty", c_tty_pty},
    {"tty_other", c_tty_other},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--undo-child"))
        return undo_child(atoi(argv[2]));
    if (argc == 3 && !strcmp(argv[1], "--mq-gone")) { /* for ipc.bats: is that queue there? */
        mqd_t q = mq_open(argv[2], O_RDONLY);
        printf("%s %s\n", argv[2], q >= 0 ? "exists" : errno == ENOENT ? "gone" : en(errno));
        return 0;
    }
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigprocmask(SIG_BLOCK, &s, NULL);
    atexit(objs_remove);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    return run_cases(cases, argc, argv, "ipc_wait");
}
