/* Calls that wait where epoll cannot see: they run on the blocking-call
 * pool (sched/pool.h) while the calling coroutine parks.
 *
 * The caller stays until the call has returned, so the call may read and
 * write the program's memory in place (a struct flock, a wait status) and
 * the kernel reports bad pointers itself. What a signal does is what it
 * does to a thread blocked in the call natively: with BC_INTR, a handled
 * signal without SA_RESTART (or any, without BC_RESTART) interrupts the
 * call in the pool thread, and the call returns what the kernel says then
 * (EINTR, a partial count, or its result if it won the race); with
 * BC_CANCEL, a cancellation acts as at a cancellation point once the call
 * has been interrupted, unless it completed first. The debug log's pool
 * category has a line per call, and --stats counts them by name. */
#ifndef SHIM_BLOCKING_H
#define SHIM_BLOCKING_H

#include "sched/worker.h"

enum bcall {
	BC_ACCEPT, BC_CONNECT, BC_SENDFILE,
	BC_FLOCK, BC_FCNTL, BC_LOCKF,
	BC_WAIT, BC_WAITPID, BC_WAIT3, BC_WAIT4, BC_WAITID, BC_SYSTEM, BC_PCLOSE,
	BC_POSIX_SPAWN, BC_POSIX_SPAWNP,
	BC_OPEN, BC_FOPEN,
	BC_READ, BC_WRITE, BC_FSYNC, BC_FDATASYNC, BC_SYNCFS, BC_SYNC, BC_SYNC_FILE_RANGE,
	BC_FALLOCATE, BC_FTRUNCATE, BC_COPY_FILE_RANGE,
	BC_FGETS, BC_GETLINE, BC_GETC, BC_FREAD, BC_SCANF,
	BC_FWRITE, BC_FPUTS, BC_PUTC, BC_PRINTF, BC_FFLUSH, BC_FLOCKFILE, BC_SYSLOG,
	BC_MSGRCV, BC_MSGSND, BC_SEMOP, BC_SEMTIMEDOP,
	BC_MQ_RECEIVE, BC_MQ_TIMEDRECEIVE, BC_MQ_SEND, BC_MQ_TIMEDSEND,
	BC_GETRANDOM, BC_GETENTROPY, BC_MSYNC,
	BC_TCDRAIN, BC_TCSENDBREAK, BC_TCSETATTR, BC_IOCTL,
	BC_URING_GET_CQE, BC_URING_WAIT_CQES, BC_URING_WAIT_CQE_TIMEOUT, BC_URING_SUBMIT_AND_WAIT,
	BC_URING_SUBMIT_AND_WAIT_TIMEOUT, BC_URING_SQRING_WAIT,
	BC_IO_GETEVENTS, BC_IO_PGETEVENTS, BC_IO_DESTROY,
	BC__COUNT
};
extern const char *const bcall_name[BC__COUNT];
extern unsigned long bcall_count[BC__COUNT];

enum {
	BC_INTR = 1,      /* a handled signal interrupts it */
	BC_RESTART = 2,   /* ... except one with SA_RESTART */
	BC_CANCEL = 4,    /* a cancellation point */
};

/* One call: fn(a) runs on a pool thread; ret is its result (-errno for
 * raw system calls). fn starts with the caller's errno and the caller gets
 * errno as fn left it, so a libc function behaves as if called in place.
 * fd or path (or neither: -1, NULL) name it in the log. */
struct bjob {
	long (*fn)(const long *a);
	long a[7];
	long ret;
	int fd;
	const char *path;
	int err;
};

/* Run b on the pool while self parks for why; returns b->ret, or -EINTR
 * for a call a signal stopped before it started. A caller that is not a
 * coroutine, or may block (co_may_block), runs it inline. */
long blocking(struct co *self, enum bcall id, unsigned flags, enum park_reason why,
	      struct bjob *b);

/* A bjob fn for a raw system call: a[0] is its number, a[1..6] its
 * arguments. */
long bjob_syscall(const long *a);

/* The same for a raw system call: syscall(nr, a0..a5) on the pool. */
long blocking_sys(struct co *self, enum bcall id, unsigned flags, enum park_reason why, int fd,
		  long nr, long a0, long a1, long a2, long a3, long a4, long a5);

/* fcntl F_SETLKW / F_OFD_SETLKW for fcntl and lockf (shim/lock.c). */
int lock_wait(int (*real_fcntl)(int, int, ...), int fd, int cmd, void *lk, enum bcall id);

/* ioctl requests that wait on a terminal line (shim/devwait.c): 1 when
 * req is one and the call was made here, *r its result; 0: not ours. */
int tty_ioctl_wait(int fd, unsigned long req, void *arg, int *r);

/* Reserve the signal pool_interrupt sends (the top real-time signal, as
 * glibc reserves two at the bottom): install its handler. At start-up. */
void blocking_init(void);

#endif
