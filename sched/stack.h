/* Coroutine stacks.
 *
 * A stack is reserved at the requested size (MAP_NORESERVE: the kernel
 * commits pages as they are touched) with a PROT_NONE guard page below it,
 * while the process's mapping budget allows (see stack.c); beyond that,
 * without a guard but with a canary, many to a mapping.
 * Freed stacks of the common size go to a per-worker cache; beyond its bound
 * they are unmapped. A stack the program supplied (pthread_attr_setstack) is
 * used as given and never freed by us. */
#ifndef SCHED_STACK_H
#define SCHED_STACK_H

#include <stddef.h>

struct stack {
	void *base;      /* lowest usable address (above the guard) */
	size_t size;     /* usable bytes */
	size_t guard;    /* guard bytes below base; 0 for user stacks */
	int user;        /* supplied by the program */
	struct slot *slot;   /* its place in an arena (unguarded stacks) */
};

#define STACK_CACHE_MAX 64

struct stack_cache {
	struct stack s[STACK_CACHE_MAX];
	int n;
};

/* Returns 0 or -errno (-EAGAIN when the address space is exhausted, as
 * pthread_create reports it). */
int stack_alloc(struct stack_cache *c, struct stack *s, size_t size);
void stack_free(struct stack_cache *c, struct stack *s);
void stack_cache_term(struct stack_cache *c);

/* In a forked child: the arenas' lock is free (its holder is gone). */
void stack_atfork_child(void);

/* False when a stack without a guard page has overflowed its canary. */
int stack_intact(const struct stack *s);

/* Page size and the native default thread stack size, read once. */
size_t stack_page(void);
size_t stack_default_size(void);

#endif
