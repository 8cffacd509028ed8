/* The stall monitor: a thread of the runtime's that notices a worker
 * which has run one coroutine for COEXEC_STALL_MS or longer while other
 * coroutines wait to run on it, and says so in the debug log ("stall"):
 * which coroutine, its start routine, how long, and what it is doing (a
 * system call the hooks do not park, by number and name, or computing).
 * Natively the other threads would have run on other CPUs meanwhile.
 *
 * It looks every quarter of the threshold, only while some worker is
 * running something: when every worker waits in its poller it sleeps on a
 * futex, and the first worker to leave its poller wakes it (one load per
 * poll when it is awake, one system call when it is not). A stall is
 * reported once per coroutine and call site; every stall is counted for
 * the statistics. */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "preload/log.h"
#include "sched/deadlock.h"
#include "sched/monitor.h"
#include "sched/rtfd.h"
#include "sched/sys.h"
#include "sched/worker.h"

int stall_ms = 20;
unsigned long long stall_count;
unsigned long long stall_longest_ms;
int monitor_asleep;
static int started;

/* What the looks saw of each worker. */
static struct look {
	unsigned long long switches;
	int64_t since;
	int reported;
	int sysfd;                /* /proc/self/task/TID/syscall, opened on need */
} looks[WORKERS_MAX];

/* Reported (coroutine, call site) pairs: a small open-addressed set. */
#define SEEN 512
static struct { unsigned co; unsigned long pc; } seen[SEEN];

static int seen_before(unsigned co, unsigned long pc)
{
	unsigned h = (co * 2654435761u ^ (unsigned)(pc >> 4)) % SEEN;
	for (int i = 0; i < SEEN; i++, h = (h + 1) % SEEN) {
		if (!seen[h].co) {
			seen[h].co = co;
			seen[h].pc = pc;
			return 0;
		}
		if (seen[h].co == co && seen[h].pc == pc)
			return 1;
	}
	return 1; /* full: say no more */
}

static const struct { int nr; const char *name; } sysnames[] = {
	{ 0, "read" }, { 1, "write" }, { 2, "open" }, { 7, "poll" }, { 16, "ioctl" },
	{ 17, "pread64" }, { 18, "pwrite64" }, { 19, "readv" }, { 20, "writev" },
	{ 23, "select" }, { 34, "pause" }, { 35, "nanosleep" }, { 42, "connect" },
	{ 43, "accept" }, { 44, "sendto" }, { 45, "recvfrom" }, { 46, "sendmsg" },
	{ 47, "recvmsg" }, { 61, "wait4" }, { 64, "semget" }, { 65, "semop" },
	{ 69, "msgsnd" }, { 70, "msgrcv" }, { 72, "fcntl" }, { 73, "flock" },
	{ 74, "fsync" }, { 75, "fdatasync" }, { 130, "rt_sigsuspend" },
	{ 128, "rt_sigtimedwait" }, { 202, "futex" }, { 230, "clock_nanosleep" },
	{ 232, "epoll_wait" }, { 247, "waitid" }, { 257, "openat" }, { 270, "pselect6" },
	{ 271, "ppoll" }, { 281, "epoll_pwait" }, { 288, "accept4" }, { 426, "io_uring_enter" },
	{ 441, "epoll_pwait2" },
};

static const char *sysname(long nr)
{
	for (size_t i = 0; i < sizeof sysnames / sizeof sysnames[0]; i++)
		if (sysnames[i].nr == nr)
			return sysnames[i].name;
	return "?";
}

/* What the worker's thread does: its system call's number (-1 running,
 * -2 unknown) and the user address it will return to. */
static long doing(struct worker *w, struct look *l, unsigned long *pc)
{
	*pc = 0;
	if (l->sysfd <= 0) {
		char path[64] = "/proc/self/task/", digits[24];
		int k = 0, len = (int)strlen(path);
		for (long t = w->tid; k == 0 || t; t /= 10)
			digits[k++] = (char)('0' + t % 10);
		while (k)
			path[len++] = digits[--k];
		memcpy(path + len, "/syscall", 9);
		long fd = SYS4(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
		if (fd < 0)
			return -2;
		l->sysfd = (int)fd;
		rtfd_hide(l->sysfd, &l->sysfd, 0);
	}
	char buf[256];
	long n = SYS4(SYS_pread64, l->sysfd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return -2;
	buf[n] = 0;
	if (!strncmp(buf, "running", 7))
		return -1;
	char *end;
	long nr = strtol(buf, &end, 10);
	if (end == buf)
		return -2;
	/* "nr a1 ... a6 sp pc": the last field */
	char *last = strrchr(buf, ' ');
	if (last)
		*pc = strtoul(last + 1, NULL, 16);
	return nr;
}

/* The stall of l's worker has lasted ns, the threshold: say who and what,
 * once per coroutine and call site (a stall may outlive the process, so
 * this is said now rather than at its end). */
static void stall_seen(struct worker *w, struct look *l, int64_t ns)
{
	__atomic_add_fetch(&stall_count, 1, __ATOMIC_RELAXED);
	if (!(coexec_log_mask & LOG_STALL))
		return;
	struct co *co = __atomic_load_n(&w->cur, __ATOMIC_ACQUIRE);
	unsigned id = co ? co->id : 0;
	unsigned long pc;
	long nr = doing(w, l, &pc);
	if (seen_before(id ? id : ~0u, pc))
		return;
	char sym[128] = "?";
	if (co)
		co_routine_name(co, sym, sizeof sym);
	unsigned long long ms = ns / 1000000;
	if (nr >= 0)
		LOG(LOG_STALL, "stall: co%u (start routine %s) has held worker %d for %llu ms "
		    "while others wait to run there: in system call %ld (%s), which coexec does "
		    "not park", id, sym, w->id, ms, nr, sysname(nr));
	else
		LOG(LOG_STALL, "stall: co%u (start routine %s) has held worker %d for %llu ms "
		    "while others wait to run there: %s", id, sym, w->id, ms,
		    nr == -1 ? "computing, without a call coexec sees" : "doing what /proc cannot say");
}

/* Do coroutines wait to run on w? Queued, a sleeper whose time has come,
 * or a descriptor event its poller has not taken yet. */
static int others_wait(struct worker *w, int64_t now)
{
	if (co_others_runnable(w) || __atomic_load_n(&w->next_due, __ATOMIC_RELAXED) <= now)
		return 1;
	struct pollfd p = { .fd = __atomic_load_n(&w->wepfd, __ATOMIC_RELAXED), .events = POLLIN };
	return p.fd >= 0 && SYS(SYS_poll, &p, 1, 0) > 0;
}

static void note_longest(int64_t ns)
{
	if (ns / 1000000 > (int64_t)stall_longest_ms)
		stall_longest_ms = ns / 1000000;
}

/* At exit: stalls that last until now, or ended since the last look. */
void monitor_finish(void)
{
	int64_t now = now_ns();
	for (int i = 0; i < WORKERS_MAX; i++)
		if (looks[i].reported)
			note_longest(now - looks[i].since);
}

/* Every worker waits in its poller: sleep until one leaves it. */
static void sleep_if_idle(void)
{
	__atomic_store_n(&monitor_asleep, 1, __ATOMIC_SEQ_CST);
	struct worker_iter it = WORKER_ITER;
	struct worker *w;
	while ((w = worker_next(&it))) {
		if (!__atomic_load_n(&w->in_poll, __ATOMIC_SEQ_CST)) {
			__atomic_store_n(&monitor_asleep, 0, __ATOMIC_SEQ_CST);
			return;
		}
	}
	while (__atomic_load_n(&monitor_asleep, __ATOMIC_SEQ_CST))
		SYS4(SYS_futex, &monitor_asleep, FUTEX_WAIT_PRIVATE, 1, 0);
}

void monitor_wake(void)
{
	int one = 1;
	if (__atomic_compare_exchange_n(&monitor_asleep, &one, 0, 0, __ATOMIC_SEQ_CST,
					__ATOMIC_SEQ_CST))
		SYS(SYS_futex, &monitor_asleep, FUTEX_WAKE_PRIVATE, 1);
}

static void *monitor_main(void *arg)
{
	/* all but glibc's own two, which no thread may block (setuid waits
	 * for every thread to take its SIGSETXID) */
	uint64_t all = ~0ull & ~(1ull << 31) & ~(1ull << 32);
	SYS4(SYS_rt_sigprocmask, SIG_SETMASK, &all, 0, 8);
	int64_t limit = stall_ms * 1000000LL;
	struct timespec tick = { 0, limit / 4 };
	for (;;) {
		int busy = 0;
		int64_t now = now_ns();
		struct worker_iter it = WORKER_ITER;
		struct worker *w;
		while ((w = worker_next(&it))) {
			struct look *l = &looks[w->id];
			unsigned long long sw = __atomic_load_n(&w->stats.switches, __ATOMIC_RELAXED);
			int idle = __atomic_load_n(&w->in_poll, __ATOMIC_RELAXED);
			busy |= !idle;
			if (sw != l->switches || idle || !others_wait(w, now)) {
				if (l->reported)
					note_longest(now - l->since);
				l->switches = sw;
				l->since = now;
				l->reported = 0;
				continue;
			}
			if (!l->reported && now - l->since >= limit) {
				l->reported = 1;
				stall_seen(w, l, now - l->since);
			}
		}
		deadlock_tick(now);
		if (!busy) {
			deadlock_check();
			sleep_if_idle();
		}
		else
			SYS(SYS_nanosleep, &tick, 0, 0);
	}
	return NULL;
}

void monitor_start(void)
{
	if (stall_ms <= 0 || __atomic_load_n(&started, __ATOMIC_RELAXED) ||
	    __atomic_exchange_n(&started, 1, __ATOMIC_ACQ_REL))
		return;
	if (worker_spawn_thread(monitor_main, NULL) != 0)
		__atomic_store_n(&started, 0, __ATOMIC_RELEASE);
}

void monitor_atfork_child(void)
{
	/* the monitor thread is the parent's: the child starts its own when
	 * it makes a thread */
	started = 0;
	monitor_asleep = 0;
	for (int i = 0; i < WORKERS_MAX; i++)
		looks[i] = (struct look){ 0 };
}
