/* co_switch: control moves back and forth, the floating-point control state
 * is per context, and a fresh context starts with its creator's. */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "sched/switch.h"
#include "tests/unit/check.h"

static struct co_ctx main_ctx, a_ctx;
static int steps;

static uint32_t get_mxcsr(void)
{
	uint32_t v;
	__asm__ volatile("stmxcsr %0" : "=m"(v));
	return v;
}

static void set_mxcsr(uint32_t v)
{
	__asm__ volatile("ldmxcsr %0" : : "m"(v));
}

static void body(void *arg)
{
	CHECK(arg == (void *)0x1234);
	CHECK(get_mxcsr() == 0x1f80); /* the creator's, when the context was made */
	/* The ABI's stack alignment at function entry: rsp + 8 is 16-aligned. */
	CHECK(((uintptr_t)__builtin_frame_address(0) & 15) == 0);
	for (int i = 0; i < 1000; i++) {
		steps++;
		set_mxcsr(0x1f80 | 0x6000); /* round toward zero in this context */
		co_switch(&a_ctx, &main_ctx);
		CHECK(get_mxcsr() == (0x1f80 | 0x6000));
	}
	steps = -1000000;
	co_switch(&a_ctx, &main_ctx);
	CHECK(0); /* never resumed */
}

int main(void)
{
	size_t sz = 256 * 1024;
	char *stk = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(stk != MAP_FAILED);
	set_mxcsr(0x1f80);
	co_ctx_make(&a_ctx, stk + sz, body, (void *)0x1234);
	for (int i = 0; i < 1000; i++) {
		register long keep = 0x5a5a5a5a + i; /* callee-saved registers survive */
		co_switch(&main_ctx, &a_ctx);
		CHECK(steps == i + 1);
		CHECK(keep == 0x5a5a5a5a + i);
		CHECK(get_mxcsr() == 0x1f80);
	}
	co_switch(&main_ctx, &a_ctx);
	CHECK(steps == -1000000);
	puts("switch ok");
	return 0;
}
