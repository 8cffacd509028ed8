/* dns_atfork_child. A fork copies the resolver's locks as they are: when a
 * thread of the parent was in the middle of rereading nsswitch.conf or
 * gai.conf, the child's first lookup would spin on a lock nobody will ever
 * release. Here the parent plays that thread (it sets the locks held and
 * keeps a reference to the gai.conf tables), then forks twice: a child that
 * calls dns_atfork_child must look up and sort as usual, with the tables'
 * references dropped; a child that does not must hang (killed after 1 s),
 * which shows the test reaches the locks at all. */
#include "dns/file.c"
#include "dns/gaiconf.c"
#include "dns/setup.c"
#include "dns/sources.c"

#include <dlfcn.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/check.h"

static void *next_sym(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

/* The child's lookups: the status it exits with, 0 when all went well. */
static int child(int reset, int native, struct gaiconf *cf)
{
	alarm(reset ? 10 : 1);
	if (reset) {
		dns_atfork_child();
		if (nss.loaded || conf_lock || cf->refs != 0)
			return 2;
	}
	if (dns_native() != native)
		return 3;
	struct gaiconf *c = conf_get();
	if (c != cf || c->refs != 1)
		return 4;
	conf_put(c);
	return c->refs == 0 ? 0 : 5;
}

static int run(int reset, int native, struct gaiconf *cf)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(child(reset, native, cf));
	int st;
	CHECK(waitpid(pid, &st, 0) == pid);
	return st;
}

int main(void)
{
	dns_set_libc(&(struct dns_libc){ .sym = next_sym });
	int native = dns_native();
	CHECK(nss.loaded);

	/* tables of our own, whatever this machine's gai.conf says */
	char text[] = "label ::1/128 9\n";
	conf_cur = conf_parse(text, strlen(text), &(int){ 0 }, &(int){ 0 });
	CHECK(conf_cur && conf_cur->refs == 0);
	struct gaiconf *held = conf_get();
	CHECK(held == conf_cur && held->refs == 1);

	nss.lock = 1;
	conf_lock = 1;
	int st = run(1, native, held);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = run(0, native, held);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM);
	printf("dns_fork ok\n");
	return 0;
}
