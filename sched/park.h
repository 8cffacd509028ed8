/* Parking on an address: the one primitive under every synchronisation
 * object (shim/sync.c and friends), like a futex in user space.
 *
 *   addr_wait(addr, expected, deadline, intr): if *addr still equals
 *     expected, sleep until addr_wake on addr, the deadline (CLOCK_MONOTONIC
 *     ns, -1 none), or (intr, coroutines only) a signal or cancellation.
 *     Returns 0 (woken, or the value had changed: recheck), -ETIMEDOUT or
 *     -EINTR. Spurious returns are allowed; callers loop.
 *   addr_wake(addr, n): wake up to n waiters on addr; returns how many
 *     coroutines it woke.
 *
 * A coroutine parks; a thread that is not a coroutine (a pool thread, a
 * thread coexec does not run) sleeps in a real futex on the same address,
 * and wakes reach both kinds. The caller changes *addr before waking, so a
 * sleeper can never miss it. Waiters hash by address into buckets, each
 * with a spin lock held only to link and unlink. */
#ifndef SCHED_PARK_H
#define SCHED_PARK_H

#include <stdint.h>

#include "sched/worker.h"

int addr_wait(const int *addr, int expected, int64_t deadline, int intr);
/* The same, parked for the given reason (statistics, the log); the wait is
 * interruptible when the reason is (see co_park). */
int addr_wait_as(const int *addr, int expected, int64_t deadline, enum park_reason why);
int addr_wake(const int *addr, int n);

/* In a forked child: every waiter belonged to a thread that is gone. */
void park_atfork_child(void);

#endif
