/* The library's entry: resolve the real functions, read the configuration,
 * open the log, and adopt the main thread as worker 0 with main() as its
 * first coroutine. Also the process-level hooks: exit when the last thread
 * ends (after main called pthread_exit), statistics at exit, and a fresh
 * runtime in a forked child. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "cls/tls.h"
#include "preload/config.h"
#include "preload/log.h"
#include "preload/real.h"
#include "dns/dns.h"
#include "sched/deadlock.h"
#include "sched/monitor.h"
#include "sched/netpoll.h"
#include "sched/park.h"
#include "sched/rtfd.h"
#include "sched/sys.h"
#include "sched/pool.h"
#include "sched/worker.h"
#include "shim/blocking.h"
#include "shim/fdview.h"

void coexec_stats_print(void);
void key_on_exit(struct co *co);
void sig_atfork_child(void);
void once_atfork_child(void);
void stdio_atfork_child(void);
void syslog_atfork_child(void);
void proc_share(void);

static void last_exit(void)
{
	LOG(LOG_SCHED, "last thread ended: exit(0)");
	exit(0);
}

static void open_log(void)
{
	const char *path = coexec_config.log_file;
	if (!path)
		return;
	long fd = SYS4(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		coexec_say("COEXEC_LOG_FILE: cannot open '%s' (%s); logging to stderr", path,
			   strerror((int)-fd));
		return;
	}
	rtfd_hide(fd, &coexec_log_fd, 1);
}

/* In a forked child only the thread that called fork exists: it keeps its
 * coroutine, the others are gone, like the other threads of a native fork.
 * Every module with process state restores its initial state here, in
 * this order (descriptors before the poller that uses them, the waiters'
 * lists before anything could wake one). */
static void atfork_child(void)
{
	struct worker *w = worker_self();
	park_atfork_child();
	stack_atfork_child();
	pool_atfork_child();
	dns_atfork_child();
	once_atfork_child();
	stdio_atfork_child();
	syslog_atfork_child();
	sig_atfork_child();
	monitor_atfork_child();
	fdtable_atfork_child(view_atfork_child);
	rtfd_atfork_child();
	if (!w)
		return;
	worker_atfork_child();
	LOG(LOG_PROC, "fork: child %d keeps co%u", (int)sys_getpid(), w->cur->id);
}

/* Workers are kernel threads coexec starts with the real pthread_create. */
static int spawn_worker(void *(*fn)(void *), void *arg)
{
	pthread_attr_t a;
	pthread_t t;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	int r = real.pthread_create(&t, &a, fn, arg);
	pthread_attr_destroy(&a);
	return r;
}

__attribute__((constructor(101))) static void coexec_init(void)
{
	real_resolve();
	config_read();
	coexec_log_mask = coexec_config.debug;
	pool_max = coexec_config.pool_max;
	stall_ms = coexec_config.stall_ms;
	deadlock_abort = coexec_config.deadlock_abort;
	coexec_log_start();
	open_log();
	tls_init(!coexec_config.tls_shared, real_private, real_default);
	if (!worker_adopt(coexec_config.workers, spawn_worker)) {
		coexec_say("out of memory at start-up; running natively");
		return;
	}
	blocking_init();
	co_on_last_exit = last_exit;
	co_on_exit = key_on_exit;
	co_never_threaded = 1; /* after real_resolve: REAL_WHILE_UNTHREADED reads the table unchecked */
	pthread_atfork(proc_share, NULL, atfork_child);
	if (coexec_config.stats)
		atexit(coexec_stats_print);
	LOG(LOG_SCHED, "coexec %s: main thread adopted as worker 0 of %d", PACKAGE_VERSION,
	    coexec_config.workers);
}
