/* The blocking-call pool seen from the shim (blocking.h): one way for every
 * call that epoll cannot make wait without a thread. */
#include <signal.h>

#include "shim/blocking.h"
#include "shim/shim.h"
#include "shim/signal.h"
#include "sched/pool.h"
#include "sched/sys.h"

const char *const bcall_name[BC__COUNT] = {
	[BC_ACCEPT] = "accept", [BC_CONNECT] = "connect", [BC_SENDFILE] = "sendfile",
	[BC_FLOCK] = "flock", [BC_FCNTL] = "fcntl", [BC_LOCKF] = "lockf",
	[BC_WAIT] = "wait", [BC_WAITPID] = "waitpid", [BC_WAIT3] = "wait3",
	[BC_WAIT4] = "wait4", [BC_WAITID] = "waitid", [BC_SYSTEM] = "system",
	[BC_PCLOSE] = "pclose", [BC_POSIX_SPAWN] = "posix_spawn",
	[BC_POSIX_SPAWNP] = "posix_spawnp", [BC_OPEN] = "open", [BC_FOPEN] = "fopen",
	[BC_READ] = "read", [BC_WRITE] = "write", [BC_FSYNC] = "fsync", [BC_FDATASYNC] = "fdatasync",
	[BC_SYNCFS] = "syncfs", [BC_SYNC] = "sync", [BC_SYNC_FILE_RANGE] = "sync_file_range",
	[BC_FALLOCATE] = "fallocate", [BC_FTRUNCATE] = "ftruncate",
	[BC_COPY_FILE_RANGE] = "copy_file_range",
	[BC_FGETS] = "fgets", [BC_GETLINE] = "getline", [BC_GETC] = "getc", [BC_FREAD] = "fread",
	[BC_SCANF] = "scanf", [BC_FWRITE] = "fwrite", [BC_FPUTS] = "fputs", [BC_PUTC] = "putc",
	[BC_PRINTF] = "printf", [BC_FFLUSH] = "fflush", [BC_FLOCKFILE] = "flockfile", [BC_SYSLOG] = "syslog",
	[BC_MSGRCV] = "msgrcv", [BC_MSGSND] = "msgsnd", [BC_SEMOP] = "semop",
	[BC_SEMTIMEDOP] = "semtimedop", [BC_MQ_RECEIVE] = "mq_receive",
	[BC_MQ_TIMEDRECEIVE] = "mq_timedreceive", [BC_MQ_SEND] = "mq_send",
	[BC_MQ_TIMEDSEND] = "mq_timedsend", [BC_GETRANDOM] = "getrandom",
	[BC_GETENTROPY] = "getentropy", [BC_MSYNC] = "msync", [BC_TCDRAIN] = "tcdrain",
	[BC_TCSENDBREAK] = "tcsendbreak", [BC_TCSETATTR] = "tcsetattr", [BC_IOCTL] = "ioctl",
	[BC_URING_GET_CQE] = "__io_uring_get_cqe", [BC_URING_WAIT_CQES] = "io_uring_wait_cqes",
	[BC_URING_WAIT_CQE_TIMEOUT] = "io_uring_wait_cqe_timeout",
	[BC_URING_SUBMIT_AND_WAIT] = "io_uring_submit_and_wait",
	[BC_URING_SUBMIT_AND_WAIT_TIMEOUT] = "io_uring_submit_and_wait_timeout",
	[BC_URING_SQRING_WAIT] = "__io_uring_sqring_wait",
	[BC_IO_GETEVENTS] = "io_getevents", [BC_IO_PGETEVENTS] = "io_pgetevents",
	[BC_IO_DESTROY] = "io_destroy",
};
unsigned long bcall_count[BC__COUNT];

static void run(void *p)
{
	struct bjob *b = p;
	errno = b->err;
	b->ret = b->fn(b->a);
	b->err = errno;
}

/* Should the signal that ended the park stop the call? */
static int stops(struct co *self, unsigned flags, int sig)
{
	if (sig == CO_SIG_CANCEL)
		return (flags & BC_CANCEL) && !self->cancel_disabled;
	return (flags & BC_INTR) && !((flags & BC_RESTART) && sig_restarts(sig));
}

long blocking(struct co *self, enum bcall id, unsigned flags, enum park_reason why,
	      struct bjob *b)
{
	if (self && (flags & BC_CANCEL))
		cancel_point(self);
	b->err = errno;
	if (!self || co_may_block(self->w)) {
		run(b);
		return b->ret;
	}
	__atomic_add_fetch(&bcall_count[id], 1, __ATOMIC_RELAXED);
	int64_t t0 = (coexec_log_mask & LOG_POOL) ? now_ns() : 0;
	int stopped = 0;
	struct pool_job *j = pool_submit(run, b, NULL);
	if (j) {
		/* A signal that stops the call stops it first, and its handler
		 * runs once the call is over (below), as the kernel runs one
		 * once the system call has returned. One the call would go on
		 * after (SA_RESTART) runs its handler meanwhile; should that
		 * handler siglongjmp, the call is stopped first (live_job,
		 * shim/sigwait.c): it writes into our stack. A call no signal
		 * interrupts keeps its signals until it is over (sig_hold). */
		int hold = !(flags & BC_INTR);
		self->sig_hold += hold;
		self->live_job = j;
		while (pool_wait(j, why) == -EINTR) {
			int sig = co_intr_sig(self);
			if (sig == CO_SIG_CANCEL) {
				if (!stops(self, flags, sig))
					continue;
			} else if (!co_sig_deliverable(self)) {
				continue;
			} else if (!stops(self, flags, sig)) {
				sig_deliver(self);
				continue;
			}
			stopped = sig;
			pool_interrupt(j, why);
			break;
		}
		self->live_job = NULL;
		self->sig_hold -= hold;
		if (pool_skipped(j))
			b->ret = -EINTR;
		pool_release(j);
	}
	if (t0) {
		int64_t ms = (now_ns() - t0) / 1000000;
		if (b->path)
			LOG(LOG_POOL, "pool: %s %s: %lld ms, result %ld", bcall_name[id], b->path,
			    (long long)ms, b->ret);
		else if (b->fd >= 0)
			LOG(LOG_POOL, "pool: %s fd %d: %lld ms, result %ld", bcall_name[id], b->fd,
			    (long long)ms, b->ret);
		else
			LOG(LOG_POOL, "pool: %s: %lld ms, result %ld", bcall_name[id], (long long)ms,
			    b->ret);
	}
	if (stopped == CO_SIG_CANCEL && b->ret == -EINTR)
		cancel_act(self);
	co_sig_run(self);
	errno = b->err;
	return b->ret;
}

long bjob_syscall(const long *a)
{
	return SYS6(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
}

long blocking_sys(struct co *self, enum bcall id, unsigned flags, enum park_reason why, int fd,
		  long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	struct bjob b = { .fn = bjob_syscall, .a = { nr, a0, a1, a2, a3, a4, a5 }, .fd = fd };
	return blocking(self, id, flags, why, &b);
}

/* The reserved signal: on a pool thread (pool_interrupt) the point is
 * that it arrives, not what it does; on a worker it rings for a signal
 * queued for the coroutine running there (shim/signal.c). */
static void kicked(int sig, siginfo_t *si, void *uc)
{
	if (worker_self()) {
		int e = errno;
		sig_doorbell(uc);
		errno = e;
	}
}

void blocking_init(void)
{
	int sig = _NSIG - 1;
	struct sigaction a = { .sa_sigaction = kicked, .sa_flags = SA_SIGINFO }; /* no SA_RESTART: EINTR */
	sigfillset(&a.sa_mask);
	if (REAL_FN(sigaction)(sig, &a, NULL) == 0)
		pool_intr_sig = sig;
	else
		LOG(LOG_POOL, "pool: cannot reserve signal %d; signals will not interrupt pool calls",
		    sig);
}
