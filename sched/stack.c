/* Coroutine stacks; see stack.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "preload/log.h"
#include "sched/list.h"
#include "sched/stack.h"
#include "sched/sys.h"

static int unguarded_said;
#define CANARY 0x6f766572666c6f77ull /* "overflow" */

static size_t page_size;

size_t stack_page(void)
{
	if (!page_size)
		page_size = sysconf(_SC_PAGESIZE);
	return page_size;
}

/* glibc's rule for the default: RLIMIT_STACK if it is set and not
 * unlimited, else 2 MiB on x86_64 (ARCH_STACK_DEFAULT_SIZE is 32 MiB there,
 * but the "unlimited" case uses 2 MiB). */
size_t stack_default_size(void)
{
	static size_t def;
	if (!def) {
		struct rlimit rl;
		if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
		    rl.rlim_cur >= 16384)
			def = rl.rlim_cur & ~(stack_page() - 1);
		else
			def = 2 << 20;
	}
	return def;
}

/* Each guarded stack costs the process two memory mappings, and the kernel
 * caps mappings per process (vm.max_map_count, 65530 by default). Guard
 * pages are used for the first stacks, up to a quarter of that cap; beyond
 * it, stacks are mapped without a guard, next to each other, where the
 * kernel merges them into few mappings, and overflow is caught by a canary
 * at the bottom of the stack, checked at every switch (stack_intact). */
static long guarded_live;
static long guarded_limit = -1;

static long read_guard_limit(void)
{
	long max = 65530;
	char buf[32];
	long fd = SYS4(SYS_openat, AT_FDCWD, "/proc/sys/vm/max_map_count", O_RDONLY | O_CLOEXEC, 0);
	if (fd >= 0) {
		long n = sys_read(fd, buf, sizeof buf - 1);
		sys_close(fd);
		if (n > 0) {
			buf[n] = 0;
			max = strtol(buf, NULL, 10);
		}
	}
	return max / 4 / 2;
}

int stack_intact(const struct stack *s)
{
	return !s->base || s->guard || s->user || *(uint64_t *)s->base == CANARY;
}

/* Stacks without a guard page live in arenas: one mapping cut into
 * ARENA_SLOTS slots of the stack size plus SLOT_PAD bytes. The padding
 * moves slot boundaries off page boundaries (but for every 64th), so the
 * canary at the bottom of one stack shares its page with the top of the
 * stack below it, a page that stack touches anyway: a stack costs the pages
 * it uses and no more, which matters at a million threads. A freed slot
 * beyond the per-worker caches gives its pages back (MADV_DONTNEED, all
 * but the top page, which holds the canary of the slot above) and waits for
 * reuse in a free list per size; an arena whose slots are all free is
 * unmapped, which also frees its page tables. */
#define SLOT_PAD 64
#define ARENA_SLOTS 64

struct arena;
struct slot {
	struct dq_link link;        /* in its size's free list while free */
	struct arena *arena;
	char *base;
};
struct arena {
	char *mem;
	size_t len, size;           /* mapping length; slot size */
	int nfree;
	struct arena *next_class;   /* the size classes, one arena list each */
	struct slot slots[ARENA_SLOTS];
};
struct size_class {
	size_t size;
	struct dq free;             /* newest last: reuse the warmest stack */
	struct size_class *next;
};

static int arena_lock;
static struct size_class *classes;

static struct size_class *class_of(size_t size, struct size_class *fresh)
{
	struct size_class *c;
	for (c = classes; c; c = c->next)
		if (c->size == size)
			return c;
	if (!fresh)
		return NULL;
	fresh->size = size;
	fresh->free = (struct dq){ 0 };
	fresh->next = classes;
	classes = fresh;
	return fresh;
}

static void slot_push(struct size_class *c, struct slot *sl)
{
	dq_push(&c->free, &sl->link);
}

static void slot_unlink(struct size_class *c, struct slot *sl)
{
	dq_remove(&c->free, &sl->link);
}

static void slot_take(struct slot *sl, struct stack *s, size_t slot_size)
{
	s->base = sl->base;
	s->size = slot_size;
	s->guard = 0;
	s->user = 0;
	s->slot = sl;
	*(uint64_t *)s->base = CANARY;
}

static int arena_alloc(struct stack *s, size_t size)
{
	size_t slot_size = size + SLOT_PAD;
	struct size_class *spare = NULL, *c;
	struct slot *sl = NULL;
	for (;;) {
		spin_lock(&arena_lock);
		c = class_of(slot_size, spare);
		if (c && c->free.tail) {
			sl = container_of(c->free.tail, struct slot, link);
			slot_unlink(c, sl);
			sl->arena->nfree--;
		}
		spin_unlock(&arena_lock);
		if (c || spare)
			break;
		/* a size never seen: allocate its class outside the lock */
		if (!(spare = malloc(sizeof *spare)))
			return -EAGAIN;
	}
	if (spare && c != spare)
		free(spare);
	if (!c)
		return -EAGAIN;
	if (sl) {
		slot_take(sl, s, slot_size);
		return 0;
	}
	/* A new arena: its first slot is ours, the others go to the list. */
	struct arena *a = malloc(sizeof *a);
	size_t pg = stack_page(), len = (ARENA_SLOTS * slot_size + pg - 1) & ~(pg - 1);
	void *mem = a ? mmap(NULL, len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0)
		      : MAP_FAILED;
	if (mem == MAP_FAILED) {
		free(a);
		return -EAGAIN;
	}
	a->mem = mem;
	a->len = len;
	a->size = slot_size;
	a->nfree = ARENA_SLOTS - 1;
	for (int i = 0; i < ARENA_SLOTS; i++) {
		a->slots[i].arena = a;
		a->slots[i].base = a->mem + i * slot_size;
	}
	spin_lock(&arena_lock);
	for (int i = ARENA_SLOTS - 1; i >= 1; i--)
		slot_push(c, &a->slots[i]);
	spin_unlock(&arena_lock);
	if (!__atomic_exchange_n(&unguarded_said, 1, __ATOMIC_RELAXED))
		LOG(LOG_SCHED, "%ld guarded stacks in use: further stacks have no guard page "
		    "(vm.max_map_count); overflow is detected by a canary at switch time",
		    guarded_limit);
	slot_take(&a->slots[0], s, slot_size);
	return 0;
}

static void arena_free(struct stack *s)
{
	struct slot *sl = s->slot;
	struct arena *a = sl->arena;
	size_t pg = stack_page();
	/* the pages wholly inside this stack, but its top page (the canary of
	 * the slot above lives there) */
	uintptr_t lo = ((uintptr_t)sl->base + sizeof(uint64_t) + pg - 1) & ~(pg - 1);
	uintptr_t hi = ((uintptr_t)sl->base + a->size) & ~(pg - 1);
	if (hi > lo + pg)
		madvise((void *)lo, hi - pg - lo, MADV_DONTNEED);
	spin_lock(&arena_lock);
	struct size_class *c = class_of(a->size, NULL);
	int empty = ++a->nfree == ARENA_SLOTS;
	if (empty) {
		for (int i = 0; i < ARENA_SLOTS; i++)
			if (&a->slots[i] != sl)
				slot_unlink(c, &a->slots[i]);
	} else {
		slot_push(c, sl);
	}
	spin_unlock(&arena_lock);
	if (empty) {
		munmap(a->mem, a->len);
		free(a);
	}
}

int stack_alloc(struct stack_cache *c, struct stack *s, size_t size)
{
	size_t pg = stack_page();

	size = (size + pg - 1) & ~(pg - 1);
	for (int i = c ? c->n - 1 : -1; i >= 0; i--) {
		if (c->s[i].size == size || (c->s[i].slot && c->s[i].size == size + SLOT_PAD)) {
			*s = c->s[i];
			c->s[i] = c->s[--c->n];
			return 0;
		}
	}
	if (guarded_limit < 0)
		guarded_limit = read_guard_limit();
	if (__atomic_load_n(&guarded_live, __ATOMIC_RELAXED) >= guarded_limit)
		return arena_alloc(s, size);
	void *p = mmap(NULL, size + pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (p == MAP_FAILED)
		return -EAGAIN;
	if (mprotect(p, pg, PROT_NONE) != 0) {
		munmap(p, size + pg);
		return -EAGAIN;
	}
	s->base = (char *)p + pg;
	s->size = size;
	s->guard = pg;
	s->user = 0;
	s->slot = NULL;
	__atomic_add_fetch(&guarded_live, 1, __ATOMIC_RELAXED);
	return 0;
}

static void unmap(struct stack *s)
{
	if (s->slot) {
		arena_free(s);
	} else {
		__atomic_sub_fetch(&guarded_live, 1, __ATOMIC_RELAXED);
		munmap((char *)s->base - s->guard, s->size + s->guard);
	}
	s->base = NULL;
}

void stack_free(struct stack_cache *c, struct stack *s)
{
	if (s->user || !s->base)
		return;
	if (c && c->n < STACK_CACHE_MAX) {
		/* Keep the mapping and the pages it touched: the next thread
		 * of the same size reuses them without a fault. The cache is
		 * small, so what it holds back is bounded. */
		c->s[c->n++] = *s;
		return;
	}
	unmap(s);
}

void stack_cache_term(struct stack_cache *c)
{
	while (c->n > 0) {
		unmap(&c->s[--c->n]);
	}
}

void stack_atfork_child(void)
{
	/* Another thread may have held it at the fork. */
	arena_lock = 0;
}
