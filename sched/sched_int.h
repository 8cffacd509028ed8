/* Shared by the files of the scheduler (worker.c, queues.c, steal.c, co.c)
 * and nobody else. */
#ifndef SCHED_SCHED_INT_H
#define SCHED_SCHED_INT_H

#include "sched/worker.h"

#define CO_OF(l) container_of(l, struct co, qlink)

extern int nworkers_wanted;      /* workers coroutines are spread over */
extern uint32_t co_next_id;      /* ids of coroutines, for the log */
extern const uintptr_t co_key_mix;

/* queues.c */
void runq_push(struct worker *w, struct co *co);
struct co *next_runnable(struct worker *w);
void fresh_push(struct worker *w, struct co *co);
void drain_remote(struct worker *w);
void kick(struct worker *w);
void deliver_interrupts(struct worker *w);

/* steal.c */
int steal(struct worker *w, int64_t *wait);
int idle_balance(struct worker *w, int64_t *tmo);
void announce_fresh(struct worker *self);
void steal_atfork_child(void);

/* worker.c */
void switch_to(struct worker *w, struct co *from, struct co *to);
void schedule(struct worker *w);
void start_workers(void);

#endif
