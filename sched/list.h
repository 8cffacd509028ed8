/* Intrusive queues: the one list implementation of the runtime.
 *
 * sq: a singly linked FIFO (run queues, fresh queues, remote wakes, pool
 * jobs): push at the tail, pop at the head, splice a whole queue.
 * dq: a doubly linked FIFO whose members can leave from the middle
 * (descriptor waiters, address waiters): push at the tail, remove any.
 * Both are all-zero when empty, so static and calloc'd ones need no set-up,
 * and both keep arrival order: the oldest waiter is woken first. The caller
 * provides the locking. */
#ifndef SCHED_LIST_H
#define SCHED_LIST_H

#include <stddef.h>

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

struct sq_link {
	struct sq_link *next;
};
struct sq {
	struct sq_link *head, *tail;
};

static inline int sq_empty(const struct sq *q) { return !q->head; }

static inline void sq_push(struct sq *q, struct sq_link *l)
{
	l->next = NULL;
	if (q->tail)
		q->tail->next = l;
	else
		q->head = l;
	q->tail = l;
}

static inline struct sq_link *sq_pop(struct sq *q)
{
	struct sq_link *l = q->head;
	if (l && !(q->head = l->next))
		q->tail = NULL;
	return l;
}

/* Take every member of q, in order; q is left empty. */
static inline struct sq_link *sq_take_all(struct sq *q)
{
	struct sq_link *l = q->head;
	q->head = q->tail = NULL;
	return l;
}

struct dq_link {
	struct dq_link *prev, *next;
};
struct dq {
	struct dq_link *head, *tail;
};

static inline int dq_empty(const struct dq *q) { return !q->head; }

static inline void dq_push(struct dq *q, struct dq_link *l)
{
	l->next = NULL;
	l->prev = q->tail;
	if (q->tail)
		q->tail->next = l;
	else
		q->head = l;
	q->tail = l;
}

static inline void dq_remove(struct dq *q, struct dq_link *l)
{
	if (l->prev)
		l->prev->next = l->next;
	else
		q->head = l->next;
	if (l->next)
		l->next->prev = l->prev;
	else
		q->tail = l->prev;
	l->prev = l->next = NULL;
}

#endif
