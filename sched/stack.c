/* Coroutine stacks; see stack.h. */
#include <errno.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sched/stack.h"

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

int stack_alloc(struct stack_cache *c, struct stack *s, size_t size)
{
	size_t pg = stack_page();

	size = (size + pg - 1) & ~(pg - 1);
	for (int i = c->n - 1; i >= 0; i--) {
		if (c->s[i].size == size) {
			*s = c->s[i];
			c->s[i] = c->s[--c->n];
			return 0;
		}
	}
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
	return 0;
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
	munmap((char *)s->base - s->guard, s->size + s->guard);
	s->base = NULL;
}

void stack_cache_term(struct stack_cache *c)
{
	while (c->n > 0) {
		struct stack *s = &c->s[--c->n];
		munmap((char *)s->base - s->guard, s->size + s->guard);
	}
}
