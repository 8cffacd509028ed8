/* Coroutine stacks; see stack.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "preload/log.h"
#include "sched/stack.h"
#include "sched/sys.h"

static int unguarded_said;

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

#define CANARY 0x6f766572666c6f77ull /* "overflow" */

int stack_intact(const struct stack *s)
{
	return !s->base || s->guard || s->user || *(uint64_t *)s->base == CANARY;
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
	if (guarded_limit < 0)
		guarded_limit = read_guard_limit();
	size_t guard = guarded_live < guarded_limit ? pg : 0;
	void *p = mmap(NULL, size + guard, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (p == MAP_FAILED)
		return -EAGAIN;
	if (guard && mprotect(p, pg, PROT_NONE) != 0) {
		munmap(p, size + pg);
		return -EAGAIN;
	}
	s->base = (char *)p + guard;
	s->size = size;
	s->guard = guard;
	s->user = 0;
	if (guard) {
		guarded_live++;
	} else {
		*(uint64_t *)s->base = CANARY;
		if (!unguarded_said) {
			unguarded_said = 1;
			LOG(LOG_SCHED, "%ld guarded stacks in use: further stacks have no guard page "
			    "(vm.max_map_count); overflow is detected by a canary at switch time",
			    guarded_live);
		}
	}
	return 0;
}

static void unmap(struct stack *s)
{
	if (s->guard)
		guarded_live--;
	munmap((char *)s->base - s->guard, s->size + s->guard);
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
