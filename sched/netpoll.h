/* The netpoller: each worker's epoll instance, and waiting on descriptors.
 *
 * Contract:
 *   - netpoll_worker_init(w) gives worker w an epoll instance and a kick
 *     eventfd (runtime descriptors, rtfd.h). 0 or -errno (EMFILE...).
 *   - fd_arm(fd, e) registers a descriptor once, edge-triggered, for input,
 *     output and peer hang-up, with the epoll of the worker that first
 *     waits on it; waiters on other workers are woken across. The event's
 *     data word is {fd, generation}: an event for a closed or reused number
 *     is dropped. -EPERM: epoll refuses the descriptor (regular files).
 *   - fd_wait(fd, e, events, deadline, why) parks the calling coroutine until
 *     the descriptor may be ready (0), the deadline passes (-ETIMEDOUT), a
 *     signal interrupts (-EINTR) or the number is forgotten meanwhile
 *     (-EBADF). Wakes may be spurious: callers retry the operation.
 *   - An event wakes every waiter whose interest it matches, oldest first,
 *     and takes it off the list; error and hang-up wake them all. An event
 *     nobody waited for leaves a ready mark that the next wait consumes, so
 *     an edge between a failed attempt and the wait is not lost.
 *   - netpoll_wait(w, timeout) blocks worker w until an event, a kick
 *     (netpoll_kick, from any thread) or the timeout (ns; -1 forever; 0
 *     polls). If the program closed the epoll instance behind our back (a
 *     raw system call), the poller is rebuilt and every waiter woken to
 *     register again, rather than spinning on EBADF. */
#ifndef SCHED_NETPOLL_H
#define SCHED_NETPOLL_H

#include <stdint.h>

#include "sched/fdtable.h"
#include "sched/worker.h"

int netpoll_worker_init(struct worker *w);
int netpoll_wait(struct worker *w, int64_t timeout_ns);
void netpoll_kick(struct worker *w);

int fd_arm(int fd, struct fdent *e);
int fd_wait(int fd, struct fdent *e, unsigned events, int64_t deadline, enum park_reason why);

#endif
