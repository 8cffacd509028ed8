/* Starting processes: what coexec must know when the program forks or
 * starts another program. Each of these may hand the program's open file
 * descriptions to another process (fork copies them all, a spawned program
 * keeps those without close-on-exec), so share_epoch moves on and every
 * socket created before counts as possibly shared (shim/net.c). The calls
 * themselves are glibc's (system, which also waits, is in shim/child.c).
 * vfork is fork here (below); the vfork(2) and clone(2) system calls made
 * directly are not seen (coexec.7, LIMITATIONS). */
#include <spawn.h>
#include <stdlib.h>
#include <unistd.h>

#include "shim/shim.h"

extern unsigned share_epoch;

void proc_share(void)
{
	__atomic_add_fetch(&share_epoch, 1, __ATOMIC_ACQ_REL);
}

EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		       const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	proc_share();
	return REAL_FN(posix_spawn)(pid, path, fa, attr, argv, envp);
}

EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	proc_share();
	return REAL_FN(posix_spawnp)(pid, file, fa, attr, argv, envp);
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
