/* Starting processes: what coexec must know when the program forks or
 * starts another program. Each of these may hand the program's open file
 * descriptions to another process (fork copies them all, a spawned program
 * keeps those without close-on-exec), so share_epoch moves on and every
 * socket created before counts as possibly shared (shim/net.c). The calls
 * themselves are glibc's (system, which also waits, is in shim/child.c).
 * vfork(2) and clone(2) called directly are not
 * seen (coexec.7, LIMITATIONS). */
#include <spawn.h>
#include <stdlib.h>

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
