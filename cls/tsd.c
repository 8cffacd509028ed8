/* Coroutine-local storage for pthread keys; see tsd.h. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "cls/tsd.h"

#define KEYS_MAX 1024   /* glibc's PTHREAD_KEYS_MAX */
#define BLOCK 32

struct slot {
	uintptr_t gen;
	void *value;
};

static struct {
	uintptr_t gen;      /* odd while the key exists */
	void (*dtor)(void *);
} keys[KEYS_MAX];

int tsd_key_new(pthread_key_t key, void (*dtor)(void *))
{
	if (key >= KEYS_MAX)
		return -EAGAIN;
	keys[key].dtor = dtor;
	__atomic_store_n(&keys[key].gen, (keys[key].gen | 1) + 2, __ATOMIC_RELEASE);
	return 0;
}

void tsd_key_delete(pthread_key_t key)
{
	if (key < KEYS_MAX)
		__atomic_store_n(&keys[key].gen, (keys[key].gen + 1) & ~(uintptr_t)1, __ATOMIC_RELEASE);
}

int tsd_key_valid(pthread_key_t key)
{
	return key < KEYS_MAX && (keys[key].gen & 1);
}

static struct slot *slot_of(struct co *co, pthread_key_t key, int create)
{
	struct slot **blocks = co->tsd;
	if (!blocks) {
		if (!create)
			return NULL;
		blocks = co->tsd = calloc(KEYS_MAX / BLOCK, sizeof *blocks);
		if (!blocks)
			return NULL;
	}
	struct slot *b = blocks[key / BLOCK];
	if (!b) {
		if (!create)
			return NULL;
		b = blocks[key / BLOCK] = calloc(BLOCK, sizeof *b);
		if (!b)
			return NULL;
	}
	return &b[key % BLOCK];
}

void *tsd_get(struct co *co, pthread_key_t key)
{
	if (key >= KEYS_MAX)
		return NULL;
	struct slot *s = slot_of(co, key, 0);
	return s && s->gen == keys[key].gen ? s->value : NULL;
}

int tsd_set(struct co *co, pthread_key_t key, const void *value)
{
	struct slot *s = slot_of(co, key, value != NULL);
	if (!s)
		return value ? -ENOMEM : 0;
	s->gen = keys[key].gen;
	s->value = (void *)value;
	return 0;
}

void tsd_exit(struct co *co)
{
	struct slot **blocks = co->tsd;
	if (!blocks)
		return;
	/* Each round: every key with a value and a destructor has its value
	 * cleared and the destructor called; destructors may set values again,
	 * which another round handles, up to PTHREAD_DESTRUCTOR_ITERATIONS. */
	for (int round = 0; round < PTHREAD_DESTRUCTOR_ITERATIONS; round++) {
		int called = 0;
		for (int k = 0; k < KEYS_MAX; k++) {
			struct slot *b = blocks[k / BLOCK];
			if (!b) {
				k += BLOCK - 1;
				continue;
			}
			struct slot *s = &b[k % BLOCK];
			void (*dtor)(void *) = keys[k].dtor;
			if (!s->value || s->gen != keys[k].gen || !dtor)
				continue;
			void *v = s->value;
			s->value = NULL;
			dtor(v);
			called = 1;
		}
		if (!called)
			break;
	}
	for (int i = 0; i < KEYS_MAX / BLOCK; i++)
		free(blocks[i]);
	free(blocks);
	co->tsd = NULL;
}
