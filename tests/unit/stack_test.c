/* Stacks: usable at the requested size, a PROT_NONE guard page directly
 * below, recycled through the cache, unmapped beyond it; past the mapping
 * budget, canaried stacks cut from shared arenas. */
#include <signal.h>
#include <setjmp.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sched/stack.h"
#include "tests/unit/check.h"

static sigjmp_buf jb;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(jb, 1);
}

int main(void)
{
	struct stack_cache c = { .n = 0 };
	struct stack s;
	size_t pg = stack_page();

	CHECK(stack_default_size() >= 16384);
	CHECK(stack_alloc(&c, &s, 100000) == 0);
	CHECK(s.size % pg == 0 && s.size >= 100000);
	CHECK(s.guard == pg);
	memset(s.base, 0xab, s.size); /* all of it is usable */

	/* Touching the guard page faults. */
	struct sigaction sa = { .sa_handler = on_segv };
	sigaction(SIGSEGV, &sa, NULL);
	volatile int faulted = 0;
	if (sigsetjmp(jb, 1) == 0)
		*((volatile char *)s.base - 1) = 1;
	else
		faulted = 1;
	CHECK(faulted);

	/* Recycled: the same mapping comes back for the same size. */
	void *base = s.base;
	stack_free(&c, &s);
	CHECK(c.n == 1);
	struct stack t;
	CHECK(stack_alloc(&c, &t, 100000) == 0);
	CHECK(t.base == base);
	CHECK(c.n == 0);

	/* Beyond the cache bound, stacks are unmapped. */
	struct stack many[STACK_CACHE_MAX + 4];
	for (int i = 0; i < STACK_CACHE_MAX + 4; i++)
		CHECK(stack_alloc(&c, &many[i], 65536) == 0);
	void *last = many[STACK_CACHE_MAX + 3].base;
	for (int i = 0; i < STACK_CACHE_MAX + 4; i++)
		stack_free(&c, &many[i]);
	CHECK(c.n == STACK_CACHE_MAX);
	unsigned char v;
	CHECK(mincore((char *)last - pg, pg, &v) == -1); /* gone */
	stack_cache_term(&c);
	CHECK(c.n == 0);

	/* Past the guarded budget (a quarter of vm.max_map_count, halved),
	 * stacks come from shared arenas: no guard, a canary at the bottom in
	 * the page of the stack below's top, so a new stack touches one page. */
	signal(SIGSEGV, SIG_DFL);
	enum { N = 9000, M = 200 };
	static struct stack g[N], u[M];
	int ng = 0;
	while (ng < N) {
		CHECK(stack_alloc(NULL, &g[ng], 65536) == 0);
		if (!g[ng++].guard)
			break;
	}
	CHECK(g[ng - 1].guard == 0); /* the budget ran out before N */
	for (int i = 0; i < M; i++) {
		CHECK(stack_alloc(NULL, &u[i], 65536) == 0);
		CHECK(u[i].guard == 0 && u[i].size == 65536 + 64);
		CHECK(stack_intact(&u[i]));
	}
	/* neighbours in one arena: each starts where the one below ends */
	int adjacent = 0;
	for (int i = 1; i < M; i++)
		adjacent += (char *)u[i].base == (char *)u[i - 1].base - u[i - 1].size ||
			    (char *)u[i].base == (char *)u[i - 1].base + u[i - 1].size;
	CHECK(adjacent >= M / 2);
	/* an overflow reaching the bottom is seen */
	memset(u[5].base, 0, 8);
	CHECK(!stack_intact(&u[5]));
	/* freed without a cache: pages go back, arenas are unmapped */
	for (int i = 0; i < M; i++)
		stack_free(NULL, &u[i]);
	for (int i = 0; i < ng; i++)
		stack_free(NULL, &g[i]);
	puts("stack ok");
	return 0;
}
