/* Starting processes: what coexec must know when the program forks or
 * starts another program. Each of these may hand the program's open file
 * descriptions to another process (fork copies them all, a spawned program
 * keeps those without close-on-exec), so share_epoch moves on and every
 * socket created before counts as possibly shared (shim/net.c). The calls
 * themselves are glibc's (system, which also waits, is in shim/child.c);
 * a posix_spawn that may wait for a file action runs on the pool, and
 * vfork is fork here (both below); the vfork(2) and clone(2) system calls
 * made directly are not seen (coexec.7, LIMITATIONS). */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim/blocking.h"
#include "shim/shim.h"
#include "sched/sys.h"

extern unsigned share_epoch;

void proc_share(void)
{
	__atomic_add_fetch(&share_epoch, 1, __ATOMIC_ACQ_REL);
}

/* glibc's posix_spawn returns once the child has exec'd (clone with
 * CLONE_VFORK), with every signal blocked: a file action that opens a FIFO
 * waits there for the other end, which may be another coroutine of this
 * worker (a hang no signal but SIGKILL ends). Such a spawn runs on the
 * pool, with the caller's signal mask, which the child inherits. Which
 * actions a posix_spawn_file_actions_t holds is glibc's own business
 * (struct __spawn_action in spawn_int.h, not installed): the layout below
 * is checked once against actions made here, and if it does not match,
 * any file action sends the spawn to the pool. A spawn without an open
 * (or without file actions) runs inline. (coexec.7, "Children".) */
struct spawn_action {
	int tag;
	union {
		struct { int fd; char *path; int oflag; mode_t mode; } open;
	} u;
};
enum { SPAWN_DO_CLOSE = 0, SPAWN_DO_OPEN = 2 };

static int layout_known(void)
{
	static int known; /* 0: not checked yet, 1: matches, 2: does not */
	int k = __atomic_load_n(&known, __ATOMIC_ACQUIRE);
	if (k)
		return k == 1;
	posix_spawn_file_actions_t fa;
	k = 2;
	if (posix_spawn_file_actions_init(&fa) == 0) {
		if (posix_spawn_file_actions_addclose(&fa, 9) == 0 &&
		    posix_spawn_file_actions_addopen(&fa, 7, "/coexec", O_RDWR | O_APPEND, 0640) == 0) {
			struct spawn_action *a = (struct spawn_action *)fa.__actions;
			if (fa.__used == 2 && a[0].tag == SPAWN_DO_CLOSE && a[1].tag == SPAWN_DO_OPEN &&
			    a[1].u.open.fd == 7 && a[1].u.open.path && !strcmp(a[1].u.open.path, "/coexec") &&
			    a[1].u.open.oflag == (O_RDWR | O_APPEND) && a[1].u.open.mode == 0640)
				k = 1;
		}
		posix_spawn_file_actions_destroy(&fa);
	}
	__atomic_store_n(&known, k, __ATOMIC_RELEASE);
	return k == 1;
}

static int may_wait(const posix_spawn_file_actions_t *fa)
{
	if (!fa || fa->__used <= 0)
		return 0;
	if (!layout_known())
		return 1;
	const struct spawn_action *a = (const struct spawn_action *)fa->__actions;
	for (int i = 0; i < fa->__used; i++)
		if (a[i].tag == SPAWN_DO_OPEN)
			return 1;
	return 0;
}

typedef int spawn_fn(pid_t *, const char *, const posix_spawn_file_actions_t *,
		     const posix_spawnattr_t *, char *const[], char *const[]);

struct spawn {
	spawn_fn *fn;
	pid_t *pid;
	const char *path;
	const posix_spawn_file_actions_t *fa;
	const posix_spawnattr_t *attr;
	char *const *argv, *const *envp;
	uint64_t mask; /* the caller's signal mask */
};

static long run_spawn(const long *a)
{
	struct spawn *c = (struct spawn *)a[0];
	uint64_t pool_mask;
	SYS4(SYS_rt_sigprocmask, SIG_SETMASK, &c->mask, &pool_mask, 8);
	int r = c->fn(c->pid, c->path, c->fa, c->attr, c->argv, c->envp);
	SYS4(SYS_rt_sigprocmask, SIG_SETMASK, &pool_mask, 0, 8);
	return r;
}

static int spawn_call(enum bcall id, struct spawn *c)
{
	struct co *self = co_self();
	if (!self || co_may_block(self->w) || !may_wait(c->fa))
		return c->fn(c->pid, c->path, c->fa, c->attr, c->argv, c->envp);
	struct bjob b = { .fn = run_spawn, .a = { (long)c }, .fd = -1, .path = c->path };
	SYS4(SYS_rt_sigprocmask, SIG_BLOCK, 0, &c->mask, 8);
	return blocking(self, id, 0, PARK_CHILD, &b);
}

EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		       const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	proc_share();
	REAL_WHILE_UNTHREADED(posix_spawn, pid, path, fa, attr, argv, envp);
	struct spawn c = { REAL_FN(posix_spawn), pid, path, fa, attr, argv, envp, 0 };
	return spawn_call(BC_POSIX_SPAWN, &c);
}

EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	proc_share();
	REAL_WHILE_UNTHREADED(posix_spawnp, pid, file, fa, attr, argv, envp);
	struct spawn c = { REAL_FN(posix_spawnp), pid, file, fa, attr, argv, envp, 0 };
	return spawn_call(BC_POSIX_SPAWNP, &c);
}

/* A vfork child shares the parent's memory until it execs, and what it
 * does meanwhile goes through our hooks: CPython's subprocess closes every
 * descriptor above 2 (close_range, which would forget the parent's
 * descriptors and fail the parent's waits on them with EBADF) and resets
 * each caught signal to SIG_DFL (which would drop the parent's handlers
 * from the wrapper's table). So vfork is fork, as POSIX allows: the child
 * changes its own copy. glibc's posix_spawn needs no such care: its child
 * calls glibc's internal functions, never ours. */
EXPORT pid_t vfork(void)
{
	return fork();
}

EXPORT pid_t __vfork(void)
{
	return vfork();
}
