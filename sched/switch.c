/* Building a fresh context for sched/arch/x86_64/switch.S. */
#include <stdint.h>
#include <string.h>

#include "sched/switch.h"

void co_trampoline(void);

void co_ctx_make(struct co_ctx *ctx, void *top, void (*fn)(void *), void *arg)
{
	/* After co_switch pops the frame and returns into the trampoline, the
	 * stack pointer must be 16-byte aligned so that the trampoline's call
	 * leaves fn with the ABI's entry alignment. */
	uintptr_t t = ((uintptr_t)top & ~(uintptr_t)15) - 16;
	uint64_t *sp = (uint64_t *)(t - 64);
	uint32_t mxcsr;
	uint16_t fpucw;

	/* A new kernel thread starts with a copy of its creator's floating-point
	 * control state; so does a new coroutine. */
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(fpucw));

	memset(sp, 0, 64);
	memcpy(&sp[0], &mxcsr, 4);
	memcpy((char *)&sp[0] + 4, &fpucw, 2);
	sp[1] = 0;                    /* r15 */
	sp[2] = 0;                    /* r14 */
	sp[3] = (uint64_t)arg;        /* r13 */
	sp[4] = (uint64_t)fn;         /* r12 */
	sp[5] = 0;                    /* rbx */
	sp[6] = 0;                    /* rbp */
	sp[7] = (uint64_t)co_trampoline;
	ctx->sp = sp;
}
