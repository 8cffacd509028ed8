/* Message queues and semaphores that wait: System V msgrcv, msgsnd, semop
 * and semtimedop, POSIX mq_receive, mq_timedreceive, mq_send and
 * mq_timedsend (and mq_open and mq_close, which keep the descriptor table
 * true for them).
 *
 * System V objects have no descriptor. Each call first tries its
 * non-waiting form on the worker (IPC_NOWAIT added), so a queued message
 * or a free semaphore costs one system call, as natively; only a call that
 * has to wait runs on the blocking-call pool, with the caller's own
 * arguments. As natively, a handled signal interrupts them with EINTR,
 * SA_RESTART or not (signal(7)); msgrcv and msgsnd are cancellation
 * points, semop is not.
 *
 * A POSIX queue is a descriptor epoll can watch, so no thread waits for
 * one. A call first asks with an absolute timeout already past: the kernel
 * then answers at once with the message, ETIMEDOUT for an empty or full
 * queue, or EAGAIN when the queue description is O_NONBLOCK (the program's
 * setting, shared with whoever shares the description: coexec never
 * changes it). On ETIMEDOUT the coroutine parks on the descriptor until it
 * is ready, the caller's timeout passes or a signal comes (restarted under
 * SA_RESTART, as natively), and asks again. */
#include <mqueue.h>
#include <stdarg.h>
#include <sys/msg.h>
#include <sys/sem.h>

#include "shim/blocking.h"
#include "shim/shim.h"
#include "sched/sys.h"

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

/* The caller of a System V call that may wait, or NULL: the real call. */
static struct co *sysv_waiter(void)
{
	struct co *self = co_self();
	return self && !co_may_block(self->w) ? self : NULL;
}

EXPORT ssize_t msgrcv(int id, void *msg, size_t size, long type, int flags)
{
	REAL_WHILE_UNTHREADED(msgrcv, id, msg, size, type, flags);
	struct co *self = sysv_waiter();
	/* MSG_COPY without IPC_NOWAIT is EINVAL: no try may add the flag */
	if (!self || (flags & (IPC_NOWAIT | MSG_COPY)))
		return REAL_FN(msgrcv)(id, msg, size, type, flags);
	cancel_point(self);
	long r = SYS6(SYS_msgrcv, id, msg, size, type, flags | IPC_NOWAIT, 0);
	if (r != -ENOMSG)
		return sysret(r);
	return sysret(blocking_sys(self, BC_MSGRCV, BC_INTR | BC_CANCEL, PARK_IPC, -1, SYS_msgrcv,
				   id, (long)msg, size, type, flags, 0));
}

EXPORT int msgsnd(int id, const void *msg, size_t size, int flags)
{
	REAL_WHILE_UNTHREADED(msgsnd, id, msg, size, flags);
	struct co *self = sysv_waiter();
	if (!self || (flags & IPC_NOWAIT))
		return REAL_FN(msgsnd)(id, msg, size, flags);
	cancel_point(self);
	long r = SYS4(SYS_msgsnd, id, msg, size, flags | IPC_NOWAIT);
	if (r != -EAGAIN)
		return sysret(r);
	return sysret(blocking_sys(self, BC_MSGSND, BC_INTR | BC_CANCEL, PARK_IPC, -1, SYS_msgsnd,
				   id, (long)msg, size, flags, 0, 0));
}

/* semop and semtimedop. The kernel applies a set of operations all at once
 * or not at all, so the first try, on the worker, is the caller's own
 * operations with a zero timeout: they complete at once exactly when the
 * call would not wait, with the same effect and the same SEM_UNDO record;
 * otherwise the kernel gives up at once with EAGAIN, having changed
 * nothing. (Adding IPC_NOWAIT to every operation would do the same, but
 * only on a copy of the array, which costs a system call to make safely.)
 * Then, if every operation has IPC_NOWAIT, EAGAIN is the native answer;
 * otherwise the caller's operations, which may mix waiting and non-waiting
 * ones, go to the pool, where the kernel decides as it would have. Pool
 * threads share the process's undo list (they are threads of it), so
 * SEM_UNDO adjustments made there are undone when the process exits, as
 * natively. */
struct semcall {
	int id;
	struct sembuf *sops;
	size_t n;
	int64_t until;  /* the timeout as a monotonic deadline, or -1 */
};

/* On the pool: the operations with what is left of the timeout, so that
 * the time spent trying and queueing is not added to it. */
static long run_semtimedop(const long *a)
{
	struct semcall *c = (struct semcall *)a[0];
	if (c->until < 0)
		return SYS4(SYS_semtimedop, c->id, c->sops, c->n, 0);
	int64_t left = c->until - now_ns();
	if (left < 0)
		left = 0;
	struct timespec t = { left / 1000000000, left % 1000000000 };
	return SYS4(SYS_semtimedop, c->id, c->sops, c->n, &t);
}

static const struct timespec sem_zero;

/* *tmo, when given, is valid: the kernel checks it before anything else. */
static long sem_core(struct co *self, enum bcall id, int semid, struct sembuf *sops, size_t n,
		     const struct timespec *tmo)
{
	int64_t t0 = now_ns();
	long r = SYS4(SYS_semtimedop, semid, sops, n, &sem_zero);
	if (r != -EAGAIN)
		return r;
	/* the kernel has just read the operations: so may we */
	size_t i = 0;
	while (i < n && (sops[i].sem_flg & IPC_NOWAIT))
		i++;
	if (i == n)
		return -EAGAIN;
	struct semcall c = { semid, sops, n, tmo ? t0 + ts_ns(tmo) : -1 };
	if (tmo && c.until <= now_ns())
		return -EAGAIN; /* a timeout already over: what the kernel says then */
	struct bjob b = { .fn = run_semtimedop, .a = { (long)&c }, .fd = -1 };
	return blocking(self, id, BC_INTR, PARK_IPC, &b);
}

EXPORT int semop(int semid, struct sembuf *sops, size_t n)
{
	REAL_WHILE_UNTHREADED(semop, semid, sops, n);
	struct co *self = sysv_waiter();
	if (!self)
		return REAL_FN(semop)(semid, sops, n);
	return sysret(sem_core(self, BC_SEMOP, semid, sops, n, NULL));
}

EXPORT int semtimedop(int semid, struct sembuf *sops, size_t n, const struct timespec *tmo)
{
	REAL_WHILE_UNTHREADED(semtimedop, semid, sops, n, tmo);
	struct co *self = sysv_waiter();
	struct timespec t;
	/* a bad or invalid timeout fails at once: the real call says how */
	if (!self || (tmo && (copy_in(&t, tmo, sizeof t) < 0 || t.tv_sec < 0 ||
			      (unsigned long)t.tv_nsec >= 1000000000UL)))
		return REAL_FN(semtimedop)(semid, sops, n, tmo);
	return sysret(sem_core(self, BC_SEMTIMEDOP, semid, sops, n, tmo ? &t : NULL));
}

/* ---- POSIX message queues ------------------------------------------------ */

/* A queue is a file of the mqueue file system, and fstat calls it a
 * regular file: what coexec would learn of it by itself would make it a
 * descriptor epoll cannot watch (so poll on it would never wait). It can:
 * say what it is the moment it exists. */
static mqd_t mq_known(mqd_t q, int oflag)
{
	if (q >= 0)
		view_new(q, FD_REG, oflag & O_NONBLOCK);
	return q;
}

EXPORT mqd_t mq_open(const char *name, int oflag, ...)
{
	mode_t mode = 0;
	struct mq_attr *attr = NULL;
	if (oflag & O_CREAT) {
		va_list ap;
		va_start(ap, oflag);
		mode = va_arg(ap, mode_t);
		attr = va_arg(ap, struct mq_attr *);
		va_end(ap);
	}
	return mq_known(REAL_FN(mq_open)(name, oflag, mode, attr), oflag);
}

/* _FORTIFY_SOURCE's form, for calls without O_CREAT. */
EXPORT mqd_t __mq_open_2(const char *name, int oflag)
{
	return mq_known(REAL_FN(__mq_open_2)(name, oflag), oflag);
}

/* glibc closes the descriptor inside itself: forget the number first. */
EXPORT int mq_close(mqd_t q)
{
	if (rtfd_is(q)) {
		errno = EBADF;
		return -1;
	}
	fd_forget(q);
	return REAL_FN(mq_close)(q);
}

struct mqcall {
	int send;
	mqd_t q;
	char *buf;
	size_t len;
	unsigned prio;          /* send */
	unsigned *rprio;        /* receive */
	const struct timespec *abs;
};

static const struct timespec mq_past; /* 1970: a deadline already gone */

static long mq_call(const struct mqcall *c, const struct timespec *abs)
{
	if (c->send)
		return SYS6(SYS_mq_timedsend, c->q, c->buf, c->len, c->prio, abs, 0);
	return SYS6(SYS_mq_timedreceive, c->q, c->buf, c->len, c->rprio, abs, 0);
}

/* The entry for a call that may park, with *deadline its timeout on the
 * monotonic clock (-1: none); NULL: make the real call, which will not
 * wait (a bad or invalid timeout fails at once, as the kernel checks it
 * first) or which we cannot help. */
static struct fdent *mq_waiter(struct co *self, mqd_t q, const struct timespec *abs,
			       int64_t *deadline)
{
	if (!self)
		return NULL;
	cancel_point(self);
	if (co_may_block(self->w) || q < 0)
		return NULL;
	*deadline = -1;
	if (abs) {
		struct timespec t;
		if (copy_in(&t, abs, sizeof t) < 0 || t.tv_sec < 0 ||
		    (unsigned long)t.tv_nsec >= 1000000000UL)
			return NULL;
		*deadline = deadline_at(CLOCK_REALTIME, &t);
	}
	return fd_get(q);
}

static long mq_core(struct co *self, enum bcall id, struct fdent *e, int64_t deadline,
		    const struct mqcall *c)
{
	int last = 0;
	for (;;) {
		long r = mq_call(c, &mq_past);
		if (r != -ETIMEDOUT || last)
			return r;
		if (deadline >= 0 && now_ns() >= deadline)
			return -ETIMEDOUT;
		int w = fd_wait(c->q, e, c->send ? EPOLLOUT : EPOLLIN, deadline, PARK_IPC);
		if (w == -ETIMEDOUT)
			last = 1; /* one more look: a message that came at the deadline counts */
		else if (w == -EINTR && !intr_restart(self, 1))
			return -EINTR;
		else if (w < 0 && w != -EINTR && w != -EBADF)
			/* epoll refuses it (learnt as a regular file before mq_open was
			 * seen): the pool waits, with the caller's own timeout */
			return blocking_sys(self, id, BC_INTR | BC_RESTART | BC_CANCEL, PARK_IPC,
					    c->q, c->send ? SYS_mq_timedsend : SYS_mq_timedreceive,
					    c->q, (long)c->buf, c->len,
					    c->send ? (long)c->prio : (long)c->rprio, (long)c->abs, 0);
		/* 0, -EBADF (closed meanwhile), a restart: ask again */
	}
}

static ssize_t mq_recv_entry(enum bcall id, mqd_t q, char *buf, size_t len, unsigned *prio,
			     const struct timespec *abs)
{
	struct co *self = co_self();
	int64_t deadline;
	struct fdent *e = mq_waiter(self, q, abs, &deadline);
	if (!e)
		return REAL_FN(mq_timedreceive)(q, buf, len, prio, abs);
	struct mqcall c = { .q = q, .buf = buf, .len = len, .rprio = prio, .abs = abs };
	return sysret(mq_core(self, id, e, deadline, &c));
}

static int mq_send_entry(enum bcall id, mqd_t q, const char *buf, size_t len, unsigned prio,
			 const struct timespec *abs)
{
	struct co *self = co_self();
	int64_t deadline;
	struct fdent *e = mq_waiter(self, q, abs, &deadline);
	if (!e)
		return REAL_FN(mq_timedsend)(q, buf, len, prio, abs);
	struct mqcall c = { .send = 1, .q = q, .buf = (char *)buf, .len = len, .prio = prio,
			    .abs = abs };
	return sysret(mq_core(self, id, e, deadline, &c));
}

EXPORT ssize_t mq_receive(mqd_t q, char *buf, size_t len, unsigned *prio)
{
	REAL_WHILE_UNTHREADED(mq_receive, q, buf, len, prio);
	return mq_recv_entry(BC_MQ_RECEIVE, q, buf, len, prio, NULL);
}

EXPORT ssize_t mq_timedreceive(mqd_t q, char *buf, size_t len, unsigned *prio,
			       const struct timespec *abs)
{
	REAL_WHILE_UNTHREADED(mq_timedreceive, q, buf, len, prio, abs);
	return mq_recv_entry(BC_MQ_TIMEDRECEIVE, q, buf, len, prio, abs);
}

EXPORT int mq_send(mqd_t q, const char *buf, size_t len, unsigned prio)
{
	REAL_WHILE_UNTHREADED(mq_send, q, buf, len, prio);
	return mq_send_entry(BC_MQ_SEND, q, buf, len, prio, NULL);
}

EXPORT int mq_timedsend(mqd_t q, const char *buf, size_t len, unsigned prio,
			const struct timespec *abs)
{
	REAL_WHILE_UNTHREADED(mq_timedsend, q, buf, len, prio, abs);
	return mq_send_entry(BC_MQ_TIMEDSEND, q, buf, len, prio, abs);
}
