/* Raw system calls for the runtime.
 *
 * The runtime must never reach the program-facing hooks (our own exported
 * read, close, epoll_wait, ...) and must not disturb the caller's errno, so it
 * calls the kernel directly. Every function returns the kernel's raw result:
 * a value >= 0, or -errno. Convert to the libc convention in one place
 * (sysret() in shim/shim.h). x86_64 only, like sched/arch. */
#ifndef SCHED_SYS_H
#define SCHED_SYS_H

#include <stddef.h>
#include <sys/syscall.h>

static inline long sys_call6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define SYS6(n, a, b, c, d, e, f) \
	sys_call6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
#define SYS(n, a, b, c) SYS6(n, a, b, c, 0, 0, 0)
#define SYS4(n, a, b, c, d) SYS6(n, a, b, c, d, 0, 0)

static inline long sys_read(int fd, void *b, size_t n) { return SYS(SYS_read, fd, b, n); }
static inline long sys_write(int fd, const void *b, size_t n) { return SYS(SYS_write, fd, b, n); }
static inline long sys_close(int fd) { return SYS(SYS_close, fd, 0, 0); }
static inline long sys_fcntl(int fd, int cmd, long arg) { return SYS(SYS_fcntl, fd, cmd, arg); }
static inline long sys_gettid(void) { return SYS(SYS_gettid, 0, 0, 0); }
static inline long sys_getpid(void) { return SYS(SYS_getpid, 0, 0, 0); }


/* glibc's pthread_self() on x86_64: the thread control block's self pointer
 * at %fs:16. The runtime cannot call pthread_self(): that name is ours. */
static inline unsigned long sys_thread_self(void)
{
	unsigned long self;
	__asm__("movq %%fs:16, %0" : "=r"(self));
	return self;
}

/* A lock for short cross-thread sections: never held across a park or a
 * system call. If the holder's CPU is taken away (a virtual machine's vCPU
 * descheduled), spinning on cannot help it: after a short while the waiter
 * gives its CPU up. */
static inline void spin_lock(int *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE)) {
		int spins = 0;
		while (__atomic_load_n(l, __ATOMIC_RELAXED)) {
			if (++spins < 256)
				__builtin_ia32_pause();
			else
				SYS(SYS_sched_yield, 0, 0, 0);
		}
	}
}

static inline void spin_unlock(int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

#endif
