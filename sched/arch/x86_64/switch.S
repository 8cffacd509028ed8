/* x86_64 context switch; see sched/switch.h for the contract.
 *
 * Frame on a suspended stack, from the saved stack pointer upwards:
 *   +0  MXCSR (4 bytes), x87 control word (2 bytes), padding
 *   +8  r15, r14, r13, r12, rbx, rbp
 *   +56 return address
 * A fresh context (co_ctx_make) holds the entry trampoline as the return
 * address, the start function in r12 and its argument in r13. */

	.text
	.globl	co_switch
	.hidden	co_switch
	.type	co_switch, @function
co_switch:
	.cfi_startproc
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp
	stmxcsr	(%rsp)
	fnstcw	4(%rsp)
	movq	%rsp, (%rdi)
	movq	(%rsi), %rsp
	ldmxcsr	(%rsp)
	fldcw	4(%rsp)
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.cfi_endproc
	.size	co_switch, .-co_switch

	.globl	co_trampoline
	.hidden	co_trampoline
	.type	co_trampoline, @function
co_trampoline:
	.cfi_startproc
	.cfi_undefined rip
	xorl	%ebp, %ebp
	movq	%r13, %rdi
	callq	*%r12
	ud2
	.cfi_endproc
	.size	co_trampoline, .-co_trampoline

	.section .note.GNU-stack,"",@progbits
