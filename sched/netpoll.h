/* The netpoller and the descriptor table.
 *
 * Contract:
 *   - One epoll instance per worker, with O_CLOEXEC, moved above the
 *     program's descriptor range, holding the worker's kick eventfd.
 *   - A descriptor is registered once, edge-triggered, for input, output and
 *     peer hang-up (fd_arm), with the epoll of the worker that first waits on
 *     it: a connection served by one coroutine gets its events where that
 *     coroutine runs, and waiters on other workers are handed over. Its epoll data word is {fd, generation}; closing
 *     the descriptor through us bumps the generation, so an event for a closed
 *     or reused number is dropped.
 *   - Any number of coroutines may wait on one descriptor (fd_waiter_add);
 *     an event wakes every waiter whose interest it matches, and takes it
 *     off the list (a waiter that waits again adds itself again); error and
 *     hang-up wake them all. Waiters recheck with a non-blocking call: wakes may be
 *     spurious.
 *   - fd_forget() (close, dup2 onto a watched number) wakes the waiters and
 *     resets the entry; a waiter sees fd_gen() changed and reports EBADF.
 *   - An event that finds no waiter for its direction leaves a ready mark;
 *     the next wait on that direction consumes it and returns at once, so an
 *     edge that arrives between a failed attempt and the wait is not lost.
 *   - netpoll_wait() blocks the worker in its epoll until an event, a kick
 *     or the timeout (ns, -1 forever).
 * The table also remembers what the program believes about each descriptor:
 * its blocking mode and socket timeouts, learned from the calls that created
 * or changed them (or asked of the kernel once, for inherited descriptors). */
#ifndef SCHED_NETPOLL_H
#define SCHED_NETPOLL_H

#include <stdint.h>

#include "sched/worker.h"

enum fd_kind { FD_UNKNOWN, FD_SOCK, FD_PIPE, FD_CHR, FD_REG, FD_OTHER };

struct fdwaiter {
	struct fdwaiter *prev, *next;
	struct co *co;
	unsigned events;          /* EPOLLIN / EPOLLOUT interest */
};

struct fdent {
	int lock;                 /* spin lock: waiters, ready, armed, gen */
	uint8_t ready;            /* EPOLLIN/EPOLLOUT edges nobody waited for */
	uint32_t gen;
	uint8_t kind;             /* enum fd_kind */
	uint8_t armed;            /* registered with our epoll */
	uint8_t unpollable;       /* epoll refused it (regular file, ...) */
	int8_t user_nb;           /* O_NONBLOCK as the program set it; -1 unknown */
	uint8_t timeo_known;
	uint8_t nowait_bad;       /* RWF_NOWAIT unsupported here */
	int socktype;             /* SOCK_STREAM, ... for sockets; 0 unknown */
	int nb_holds;             /* calls running with our O_NONBLOCK (shim/net.c) */
	int saved_fl;             /* the file status flags they found */
	int64_t rcvtimeo, sndtimeo;   /* ns; 0 = none */
	struct fdwaiter *waiters;
};

/* The entry for fd, created on first use; NULL if fd is out of range. */
struct fdent *fd_get(int fd);

/* Start a fresh entry for a descriptor a hooked call just created. */
struct fdent *fd_new(int fd, enum fd_kind kind, int user_nb);

/* Learn kind and blocking mode of a descriptor we did not see created
 * (inherited, or from a call we do not interpose). */
void fd_classify(int fd, struct fdent *e);

/* Register with epoll once. 0, or -errno (-EPERM: not pollable). */
int fd_arm(int fd, struct fdent *e);

/* Wait until fd may be ready for events (EPOLLIN/EPOLLOUT) or the deadline.
 * Returns 0, -ETIMEDOUT, or -EBADF when the descriptor was closed meanwhile. */
int fd_wait(int fd, struct fdent *e, unsigned events, int64_t deadline, enum park_reason why);

/* Add a waiter; returns nonzero (and adds nothing) if an unclaimed edge
 * for its events is pending: try the operation again instead of waiting. */
int fd_waiter_add(struct fdent *e, struct fdwaiter *wt);
void fd_waiter_del(struct fdent *e, struct fdwaiter *wt);

void fd_forget(int fd);

/* Copy what we know of oldfd to newfd (dup). */
void fd_dup(int oldfd, int newfd);

/* Is fd one of the runtime's own descriptors? */
int fd_is_runtime(int fd);

/* The program wants a number the runtime holds (dup2 onto it): move ours. */
void fd_evict_runtime(int fd);

/* Move a runtime descriptor above the program's range; returns the new fd
 * (the old one is closed) or the old one if that failed. */
int fd_hide(int fd);

/* A worker's epoll and kick eventfd. 0 or -errno. */
int netpoll_worker_init(struct worker *w);
int netpoll_wait(struct worker *w, int64_t timeout_ns);

/* Wake worker w, blocked in netpoll_wait, from another thread. */
void netpoll_kick(struct worker *w);

/* After fork, in the child: a new epoll, every registration forgotten. */
void netpoll_atfork_child(void);

#endif
