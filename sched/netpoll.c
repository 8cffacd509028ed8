/* The netpoller on epoll and the descriptor table; see netpoll.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "preload/log.h"
#include "sched/netpoll.h"
#include "sched/sys.h"

#define CHUNK_BITS 6
#define CHUNK (1 << CHUNK_BITS)
#define NCHUNKS (1 << 18)         /* 16M descriptors; beyond: pass-through */
#define KICK_DATA UINT64_MAX

static struct fdent *chunks[NCHUNKS];
static int runtime_fds[2 + 2 * 64];
static int nruntime_fds;
static int table_lock;

struct fdent *fd_get(int fd)
{
	if (fd < 0 || (unsigned)fd >= (unsigned)NCHUNKS * CHUNK)
		return NULL;
	struct fdent *c = __atomic_load_n(&chunks[fd >> CHUNK_BITS], __ATOMIC_ACQUIRE);
	if (__builtin_expect(!c, 0)) {
		c = calloc(CHUNK, sizeof *c);
		if (!c)
			return NULL;
		for (int i = 0; i < CHUNK; i++)
			c[i].user_nb = -1;
		struct fdent *prev = NULL;
		if (!__atomic_compare_exchange_n(&chunks[fd >> CHUNK_BITS], &prev, c, 0,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			free(c);
			c = prev;
		}
	}
	return &c[fd & (CHUNK - 1)];
}

/* Forget everything about the descriptor; its waiters are woken and find
 * the generation changed. */
static void waiter_wake(struct fdent *e, struct fdwaiter *wt, struct kicks *k);

static void reset(struct fdent *e)
{
	struct kicks k = { .n = 0 };
	spin_lock(&e->lock);
	while (e->waiters) {
		struct fdwaiter *wt = e->waiters;
		waiter_wake(e, wt, &k);
	}
	uint32_t gen = e->gen + 1;
	memset((char *)e + sizeof e->lock, 0, sizeof *e - sizeof e->lock);
	e->gen = gen;
	e->user_nb = -1;
	spin_unlock(&e->lock);
	kicks_flush(&k);
}

struct fdent *fd_new(int fd, enum fd_kind kind, int user_nb)
{
	struct fdent *e = fd_get(fd);
	if (!e)
		return NULL;
	reset(e);
	e->kind = kind;
	e->user_nb = user_nb;
	e->timeo_known = 1;   /* a new socket has no timeouts */
	return e;
}

void fd_forget(int fd)
{
	struct fdent *e = fd_get(fd);
	if (e && (e->kind != FD_UNKNOWN || e->waiters || e->armed || e->ready)) {
		LOG(LOG_NET, "fd %d forget", fd);
		reset(e);
	}
}

void fd_dup(int oldfd, int newfd)
{
	struct fdent *o = fd_get(oldfd), *n = fd_get(newfd);
	if (!n)
		return;
	reset(n);
	if (!o)
		return;
	n->kind = o->kind;
	n->user_nb = o->user_nb;
	n->timeo_known = o->timeo_known;
	n->socktype = o->socktype;
	n->rcvtimeo = o->rcvtimeo;
	n->sndtimeo = o->sndtimeo;
	n->unpollable = o->unpollable;
	n->nowait_bad = o->nowait_bad;
}

void fd_classify(int fd, struct fdent *e)
{
	struct stat st;
	long r = SYS(SYS_fstat, fd, &st, 0);

	if (r < 0) {
		e->kind = FD_UNKNOWN;
		return;
	}
	if (S_ISSOCK(st.st_mode)) {
		int type = 0;
		socklen_t len = sizeof type;
		e->kind = FD_SOCK;
		if (SYS6(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &type, &len, 0) == 0)
			e->socktype = type;
	} else if (S_ISFIFO(st.st_mode)) {
		e->kind = FD_PIPE;
	} else if (S_ISCHR(st.st_mode)) {
		e->kind = FD_CHR;
	} else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)) {
		e->kind = FD_REG;
		e->unpollable = 1;
	} else {
		e->kind = FD_OTHER;
	}
	long fl = sys_fcntl(fd, F_GETFL, 0);
	e->user_nb = fl >= 0 ? !!(fl & O_NONBLOCK) : 0;
	LOG(LOG_NET, "fd %d classified kind=%d nonblock=%d", fd, e->kind, e->user_nb);
}

int fd_is_runtime(int fd)
{
	for (int i = 0; i < nruntime_fds; i++)
		if (runtime_fds[i] == fd)
			return 1;
	return 0;
}

int fd_hide(int fd)
{
	struct rlimit rl;
	long base = 1000;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		base = rl.rlim_cur > 128 ? (long)rl.rlim_cur - 64 : 64;
	if (base > 1 << 20)
		base = 1 << 20;
	long nfd = sys_fcntl(fd, F_DUPFD_CLOEXEC, base);
	if (nfd < 0)
		nfd = sys_fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (nfd >= 0) {
		sys_close(fd);
		fd = nfd;
	}
	spin_lock(&table_lock);
	if (nruntime_fds < (int)(sizeof runtime_fds / sizeof runtime_fds[0]))
		runtime_fds[nruntime_fds++] = fd;
	spin_unlock(&table_lock);
	return fd;
}

int netpoll_worker_init(struct worker *w)
{
	if (w->wepfd >= 0)
		return 0;
	long fd = SYS(SYS_epoll_create1, EPOLL_CLOEXEC, 0, 0);
	if (fd < 0)
		return fd;
	w->wepfd = fd_hide(fd);
	fd = SYS(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	w->kickfd = fd_hide(fd);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = KICK_DATA };
	long r = SYS4(SYS_epoll_ctl, w->wepfd, EPOLL_CTL_ADD, w->kickfd, &ev);
	LOG(LOG_SCHED, "worker %d polls epoll fd %d", w->id, w->wepfd);
	return (int)r;
}

void netpoll_atfork_child(void)
{
	for (int i = 0; i < nruntime_fds; i++)
		if (runtime_fds[i] != coexec_log_fd)
			sys_close(runtime_fds[i]);
	nruntime_fds = 0;
	if (coexec_log_fd >= 0)
		runtime_fds[nruntime_fds++] = coexec_log_fd;
	table_lock = 0;
	/* The child's descriptors are the parent's, with the parent's
	 * knowledge of them; only the registrations are gone. */
	for (int c = 0; c < NCHUNKS; c++) {
		if (!chunks[c])
			continue;
		for (int i = 0; i < CHUNK; i++) {
			chunks[c][i].armed = 0;
			chunks[c][i].ready = 0;
			chunks[c][i].lock = 0;
			chunks[c][i].waiters = NULL;
		}
	}
}

int fd_arm(int fd, struct fdent *e)
{
	if (__atomic_load_n(&e->armed, __ATOMIC_ACQUIRE))
		return 0;
	if (e->unpollable)
		return -EPERM;
	struct worker *w = worker_tls;
	if (!w)
		return -EPERM;
	int r = netpoll_worker_init(w);
	if (r < 0)
		return r;
	spin_lock(&e->lock);
	if (e->armed) {
		spin_unlock(&e->lock);
		return 0;
	}
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.u64 = (uint64_t)(uint32_t)fd | (uint64_t)e->gen << 32,
	};
	long rc = SYS4(SYS_epoll_ctl, w->wepfd, EPOLL_CTL_ADD, fd, &ev);
	if (rc == -EEXIST) /* same file, same number, registered under an old generation */
		rc = SYS4(SYS_epoll_ctl, w->wepfd, EPOLL_CTL_MOD, fd, &ev);
	if (rc < 0) {
		if (rc == -EPERM)
			e->unpollable = 1;
		spin_unlock(&e->lock);
		LOG(LOG_NET, "fd %d cannot be polled (error %ld)", fd, -rc);
		return rc;
	}
	__atomic_store_n(&e->armed, 1, __ATOMIC_RELEASE);
	spin_unlock(&e->lock);
	LOG(LOG_NET, "fd %d registered with worker %d", fd, w->id);
	return 0;
}

int fd_waiter_add(struct fdent *e, struct fdwaiter *wt)
{
	spin_lock(&e->lock);
	if (e->ready & wt->events) {
		e->ready &= ~wt->events;
		spin_unlock(&e->lock);
		wt->prev = wt->next = NULL;
		wt->co = NULL; /* not on the list */
		return 1;
	}
	wt->prev = NULL;
	wt->next = e->waiters;
	if (e->waiters)
		e->waiters->prev = wt;
	e->waiters = wt;
	spin_unlock(&e->lock);
	return 0;
}

/* Take a waiter off the list, under e->lock. A waiter is unlinked by
 * whoever wakes it, so a wake walks only the coroutines still waiting (a
 * million readers of one pipe made every event walk them all); wt->co
 * cleared says it is off the list. */
static void list_remove(struct fdent *e, struct fdwaiter *wt)
{
	if (wt->prev)
		wt->prev->next = wt->next;
	else if (e->waiters == wt)
		e->waiters = wt->next;
	if (wt->next)
		wt->next->prev = wt->prev;
	wt->prev = wt->next = NULL;
}

static void waiter_unlink(struct fdent *e, struct fdwaiter *wt)
{
	list_remove(e, wt);
	__atomic_store_n(&wt->co, NULL, __ATOMIC_RELEASE);
}

/* Wake a waiter and take it off the list, under e->lock. Its co is
 * cleared last: a waiter that finds it set waits for e->lock, so it cannot
 * end (and its coroutine be freed) while the wake is still going on. */
static void waiter_wake(struct fdent *e, struct fdwaiter *wt, struct kicks *k)
{
	struct co *co = wt->co;
	list_remove(e, wt);
	co_wake_deferred(co, k);
	__atomic_store_n(&wt->co, NULL, __ATOMIC_RELEASE);
}

void fd_waiter_del(struct fdent *e, struct fdwaiter *wt)
{
	if (!__atomic_load_n(&wt->co, __ATOMIC_ACQUIRE))
		return;
	spin_lock(&e->lock);
	if (wt->co)
		waiter_unlink(e, wt);
	spin_unlock(&e->lock);
}

int fd_wait(int fd, struct fdent *e, unsigned events, int64_t deadline, enum park_reason why)
{
	int r = fd_arm(fd, e);
	if (r < 0)
		return r;
	uint32_t gen = e->gen;
	struct fdwaiter wt = { .co = co_self(), .events = events };
	if (fd_waiter_add(e, &wt))
		return 0; /* an edge came before we waited: try again */
	r = co_park(why, deadline);
	fd_waiter_del(e, &wt);
	if (__atomic_load_n(&e->gen, __ATOMIC_ACQUIRE) != gen)
		return -EBADF;
	return r;
}

void netpoll_kick(struct worker *w)
{
	uint64_t one = 1;
	if (w->kickfd > 0)
		sys_write(w->kickfd, &one, sizeof one);
}

static void dispatch(struct epoll_event *evs, long n, struct worker *w)
{
	struct kicks k = { .n = 0 };
	for (long i = 0; i < n; i++) {
		uint64_t d = evs[i].data.u64;
		if (d == KICK_DATA) {
			uint64_t v;
			sys_read(w->kickfd, &v, sizeof v);
			continue;
		}
		int fd = (int)(uint32_t)d;
		struct fdent *e = fd_get(fd);
		if (!e)
			continue;
		unsigned ev = evs[i].events;
		unsigned want = 0;
		if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLPRI))
			want |= EPOLLIN;
		if (ev & EPOLLOUT)
			want |= EPOLLOUT;
		if (ev & (EPOLLERR | EPOLLHUP))
			want |= EPOLLIN | EPOLLOUT;
		spin_lock(&e->lock);
		if (e->gen == (uint32_t)(d >> 32)) {
			unsigned woken = 0;
			for (struct fdwaiter *wt = e->waiters, *next; wt; wt = next) {
				next = wt->next;
				if (wt->events & want) {
					woken |= wt->events & want;
					waiter_wake(e, wt, &k);
				}
			}
			e->ready |= want & ~woken;
		}
		spin_unlock(&e->lock);
	}
	kicks_flush(&k);
}

int netpoll_wait(struct worker *w, int64_t timeout_ns)
{
	struct epoll_event evs[128];
	long n;

	w->stats.polls++;
	if (w->wepfd < 0 && netpoll_worker_init(w) < 0)
		return -1;
	if (timeout_ns < 0) {
		n = SYS6(SYS_epoll_pwait, w->wepfd, evs, 128, -1, 0, 8);
	} else {
		struct timespec ts = { timeout_ns / 1000000000, timeout_ns % 1000000000 };
		n = SYS6(SYS_epoll_pwait2, w->wepfd, evs, 128, &ts, 0, 8);
		if (n == -ENOSYS)
			n = SYS6(SYS_epoll_pwait, w->wepfd, evs, 128,
				 (timeout_ns + 999999) / 1000000, 0, 8);
	}
	if (n > 0)
		dispatch(evs, n, w);
	return (int)n;
}

/* The runtime's descriptors are found by number in a few places (the
 * workers, the log): an evicted number is duplicated elsewhere under the
 * same open file and every holder updated. */
void fd_evict_runtime(int fd)
{
	spin_lock(&table_lock);
	for (int i = 0; i < nruntime_fds; i++) {
		if (runtime_fds[i] != fd)
			continue;
		long nfd = sys_fcntl(fd, F_DUPFD_CLOEXEC, fd + 1);
		if (nfd < 0)
			break;
		runtime_fds[i] = nfd;
		if (fd == coexec_log_fd)
			coexec_log_fd = nfd;
		for (int k = 0; k < WORKERS_MAX; k++) {
			struct worker *w = workers[k];
			if (!w)
				continue;
			if (w->wepfd == fd)
				w->wepfd = nfd;
			if (w->kickfd == fd) {
				w->kickfd = nfd;
				struct epoll_event ev = { .events = EPOLLIN, .data.u64 = KICK_DATA };
				SYS4(SYS_epoll_ctl, w->wepfd, EPOLL_CTL_ADD, nfd, &ev);
			}
		}
		sys_close(fd);
		break;
	}
	spin_unlock(&table_lock);
}
