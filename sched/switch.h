/* Context switch between coroutines.
 *
 * A context is one saved stack pointer. co_switch() pushes the callee-saved
 * registers, the SSE control/status word (MXCSR) and the x87 control word on
 * the current stack, stores the stack pointer in *from, loads *to and pops the
 * same set from there. Everything else is caller-saved by the ABI, so the
 * compiler has already spilled it. Per-architecture code lives in
 * sched/arch/ARCH/switch.S; only x86_64 exists. */
#ifndef SCHED_SWITCH_H
#define SCHED_SWITCH_H

#include <stddef.h>

struct co_ctx {
	void *sp;
};

/* Save the current context in from, resume to. Returns when something
 * switches back to from. */
void co_switch(struct co_ctx *from, struct co_ctx *to);

/* Prepare ctx so that the first co_switch() to it calls fn(arg) on the stack
 * whose highest usable address is top. fn must never return. */
void co_ctx_make(struct co_ctx *ctx, void *top, void (*fn)(void *), void *arg);

#endif
