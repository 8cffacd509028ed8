/* Coroutine-local storage for pthread keys.
 *
 * Key numbers come from glibc (the shim creates a real key), so a key means
 * the same to coroutines and to kernel threads coexec does not run, and the
 * limit and EAGAIN are glibc's. Each coroutine keeps its values in blocks of
 * 32 allocated on first use; each slot remembers the key's generation, so a
 * value left behind by a deleted key is never seen under a reused number. */
#ifndef CLS_TSD_H
#define CLS_TSD_H

#include <pthread.h>

#include "sched/worker.h"

/* Record a new key (0) or -EAGAIN when the number is out of our range. */
int tsd_key_new(pthread_key_t key, void (*dtor)(void *));
void tsd_key_delete(pthread_key_t key);
int tsd_key_valid(pthread_key_t key);

void *tsd_get(struct co *co, pthread_key_t key);
/* 0, or -ENOMEM. */
int tsd_set(struct co *co, pthread_key_t key, const void *value);

/* Run the destructors with POSIX's repetition rules, then free the storage.
 * Called on the exiting coroutine. */
void tsd_exit(struct co *co);

#endif
