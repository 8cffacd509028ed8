/* The descriptor table: what the runtime knows about each descriptor number.
 *
 * Entries are found by number in chunks allocated on first use and never
 * freed, so a pointer to an entry stays valid. Each entry has:
 *   - a generation, bumped whenever the number stops naming what it named
 *     (fd_forget: close, dup2 onto it, a stale entry found); the poller's
 *     events carry it and an event of an old generation is dropped;
 *   - the poller's state: registered (armed), edges nobody waited for
 *     (ready), and the coroutines waiting on it (waiters, oldest first);
 *   - whether it is one of the runtime's own descriptors (rtfd.h);
 *   - the program's view of the descriptor (kind, blocking mode, socket
 *     type and timeouts): the shim learns and changes it; the runtime only
 *     keeps it and copies it on dup.
 * All of it is under the entry's spin lock, except reads of single fields
 * that tolerate a stale value. */
#ifndef SCHED_FDTABLE_H
#define SCHED_FDTABLE_H

#include <stdint.h>

#include "sched/list.h"
#include "sched/worker.h"

enum fd_kind { FD_UNKNOWN, FD_SOCK, FD_PIPE, FD_CHR, FD_REG, FD_OTHER };

struct fdwaiter {
	struct dq_link link;
	struct co *co;            /* NULL once off the list */
	unsigned events;          /* EPOLLIN / EPOLLOUT interest */
};

struct fdent {
	int lock;                 /* spin lock */
	uint32_t gen;
	uint8_t ready;            /* EPOLLIN/EPOLLOUT edges nobody waited for */
	uint8_t armed;            /* registered with a worker's epoll */
	uint8_t runtime;          /* one of the runtime's own descriptors */
	int armed_w;              /* the worker whose epoll holds it */
	struct dq waiters;

	/* The program's view (shim state). */
	uint8_t kind;             /* enum fd_kind */
	uint8_t unpollable;       /* epoll refused it (regular file, ...) */
	int8_t user_nb;           /* O_NONBLOCK as the program set it; -1 unknown */
	uint8_t timeo_known;
	uint8_t nowait_bad;       /* RWF_NOWAIT unsupported here */
	int socktype;             /* SOCK_STREAM, ... for sockets; 0 unknown */
	uint8_t born_here;        /* created by a hooked call of this process */
	unsigned born_share;      /* share_epoch when it was (shim/net.c) */
	int accept_turn;          /* a coroutine is between poll and accept */
	int64_t rcvtimeo, sndtimeo;   /* ns; 0 = none */
};

/* The entry for fd, created on first use; NULL if fd is out of range or
 * memory ran out. */
struct fdent *fd_get(int fd);

/* The entry if its chunk exists; never allocates. */
struct fdent *fd_peek(int fd);

/* Start a fresh entry for a descriptor a hooked call just created. */
struct fdent *fd_new(int fd, enum fd_kind kind, int user_nb);

/* Learn kind and blocking mode of a descriptor we did not see created
 * (inherited, or from a call we do not interpose). */
void fd_classify(int fd, struct fdent *e);

/* The number no longer names what it named: wake its waiters (they see
 * the generation changed) and reset the entry. */
void fd_forget(int fd);

/* fd_forget for every number in [lo, hi] that has an entry; visits only
 * chunks that exist. */
void fd_forget_range(unsigned lo, unsigned hi);

/* Copy what we know of oldfd to newfd (dup). */
void fd_dup(int oldfd, int newfd);

/* Call f(fd, e, arg) on every entry that has waiters or is registered
 * (under no lock). */
void fd_each_waited(void (*f)(int fd, struct fdent *e, void *arg), void *arg);

/* Waiter lists, under e->lock (fd_waiter_add takes it itself). */
int fd_waiter_add(struct fdent *e, struct fdwaiter *wt);
void fd_waiter_del(struct fdent *e, struct fdwaiter *wt);
/* Wake wt and take it off the list; the wake is deferred into k. */
void fd_waiter_wake(struct fdent *e, struct fdwaiter *wt, struct kicks *k);

/* In a forked child: registrations and waiters are gone, the program's view
 * of each descriptor is still true. */
void fdtable_atfork_child(void);

#endif
