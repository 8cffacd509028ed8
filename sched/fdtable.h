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
 *   - room for the program's view of the descriptor (its kind, blocking
 *     mode, socket type, timeouts): the shim's (shim/fdview.h); the table
 *     zeroes it when the number is forgotten, copies it on dup and never
 *     reads it.
 * All of it is under the entry's spin lock, except reads of single fields
 * that tolerate a stale value. */
#ifndef SCHED_FDTABLE_H
#define SCHED_FDTABLE_H

#include <stdint.h>

#include "sched/list.h"
#include "sched/worker.h"

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

	uint8_t unpollable;       /* epoll refuses it (regular file, ...) */
	_Alignas(8) unsigned char view[40];   /* the shim's; see above */
};

/* The entry for fd, created on first use; NULL if fd is out of range or
 * memory ran out. */
struct fdent *fd_get(int fd);

/* The entry if its chunk exists; never allocates. */
struct fdent *fd_peek(int fd);

/* A fresh entry for a descriptor just created (the number's old state,
 * if any, is forgotten first). */
struct fdent *fd_fresh(int fd);

/* epoll will refuse it: never try to register it. */
void fd_unpollable(struct fdent *e);

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

/* In a forked child: registrations and waiters are gone; the program's view
 * of each descriptor is still true, and view_reset(view) clears from it
 * what only the parent's threads were doing. */
void fdtable_atfork_child(void (*view_reset)(void *view));

#endif
