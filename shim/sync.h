/* Shared by the synchronisation shims (mutex.c, cond.c, ...), all built on
 * addr_wait/addr_wake (sched/park.h). */
#ifndef SHIM_SYNC_H
#define SHIM_SYNC_H

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "sched/deadlock.h"

/* Who is asking, as stored in an owner field: coroutines and other threads
 * never collide. */
int sync_self_id(void);

int sync_bad_time(const struct timespec *abs);

/* The mutex operations, for cond.c (error numbers, like pthread_*). */
int sync_mutex_lock(pthread_mutex_t *m, clockid_t clk, const struct timespec *abs, int try);
int sync_mutex_unlock(pthread_mutex_t *m);

#endif
