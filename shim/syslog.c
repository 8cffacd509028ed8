/* syslog on a log socket that is not being read. glibc's syslog sends to
 * /dev/log through private entries under a lock of its own, so a coroutine
 * whose send waits (the reader is slow: a datagram socket's queue holds a
 * handful of messages) holds its worker, and any other coroutine that logs
 * meanwhile blocks on glibc's lock.
 *
 * So every syslog of a coroutine goes through one lock of ours, which
 * parks: glibc's lock is then never contended by our threads. Under it, a
 * message goes out in place when the log socket takes it now, and on the
 * pool when it does not or when we cannot tell. glibc opens the socket
 * itself, as the lowest free descriptor: we note that number before a call
 * that may open it and afterwards keep it if it is a Unix socket connected
 * to the path /dev/log leads to, checking its inode at each call since
 * glibc may close and reopen it. With LOG_PERROR the message also goes to
 * standard error, which we do not watch: such calls always use the pool. */
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <fcntl.h>

#include "shim/blocking.h"
#include "shim/shim.h"
#include "sched/park.h"
#include "sched/sys.h"

static int log_lock;         /* 0 free, 1 held */
static int log_fd = -1;      /* glibc's log socket, when we know it */
static unsigned long log_ino;
static int log_perror;       /* openlog asked for LOG_PERROR */

static void take(void)
{
	while (__atomic_exchange_n(&log_lock, 1, __ATOMIC_ACQUIRE))
		addr_wait(&log_lock, 1, -1, 0);
}

static void give(void)
{
	__atomic_store_n(&log_lock, 0, __ATOMIC_RELEASE);
	addr_wake(&log_lock, 1);
}

/* Is fd a Unix socket connected to what /dev/log names? Its inode, or 0. */
static unsigned long log_socket(int fd)
{
	struct stat st;
	struct sockaddr_un peer;
	socklen_t len = sizeof peer;
	char want[PATH_MAX];
	if (fd < 0 || SYS(SYS_fstat, fd, &st, 0) < 0 || !S_ISSOCK(st.st_mode) ||
	    SYS(SYS_getpeername, fd, &peer, &len) < 0 || peer.sun_family != AF_UNIX ||
	    len <= offsetof(struct sockaddr_un, sun_path) || !realpath(_PATH_LOG, want))
		return 0;
	size_t n = len - offsetof(struct sockaddr_un, sun_path);
	if (n >= sizeof peer.sun_path)
		n = sizeof peer.sun_path - 1;
	peer.sun_path[n] = 0;
	return strcmp(peer.sun_path, want) == 0 ? st.st_ino : 0;
}

/* Is the socket we know still the log socket (the number may have been
 * closed and reused)? Else forget it, unless glibc reopened it there. */
static int log_known(void)
{
	struct stat st;
	if (log_fd >= 0 && SYS(SYS_fstat, log_fd, &st, 0) == 0 && st.st_ino == log_ino)
		return 1;
	log_ino = log_socket(log_fd);
	if (!log_ino)
		log_fd = -1;
	return log_fd >= 0;
}

/* The number glibc's next socket would get. */
static int lowest_free(void)
{
	long fd = SYS(SYS_openat, AT_FDCWD, "/", O_PATH | O_CLOEXEC);
	if (fd >= 0)
		SYS(SYS_close, fd, 0, 0);
	return fd;
}

static void learn(int fd)
{
	if (log_fd < 0 && (log_ino = log_socket(fd)))
		log_fd = fd;
}

/* A socket glibc opened before we watched (a daemon that logged before its
 * first thread): look among the open descriptors, at most once a second. */
static void search(void)
{
	static int64_t next;
	int64_t now = now_ns();
	if (log_fd >= 0 || now < next)
		return;
	next = now + 1000000000LL;
	struct stat st;
	for (int fd = 0, misses = 0; fd < 4096 && misses < 64 && log_fd < 0; fd++) {
		if (SYS(SYS_fstat, fd, &st, 0) < 0) {
			misses++;
			continue;
		}
		misses = 0;
		if (S_ISSOCK(st.st_mode))
			learn(fd);
	}
}

struct msg {
	int pri, flag;
	const char *fmt;
	va_list ap;
};

static long send_msg(const long *a)
{
	struct msg *m = (struct msg *)a[0];
	if (m->flag >= 0)
		REAL_FN(__vsyslog_chk)(m->pri, m->flag, m->fmt, m->ap);
	else
		REAL_FN(vsyslog)(m->pri, m->fmt, m->ap);
	return 0;
}

/* glibc's syslog leaves errno as it found it; so does this, whatever our
 * look at the socket (realpath) did to it. */
static void log_msg(int pri, int flag, const char *fmt, va_list ap)
{
	int err = errno;
	struct co *self = co_self();
	struct msg m = { .pri = pri, .flag = flag, .fmt = fmt };
	va_copy(m.ap, ap);
	struct bjob b = { .fn = send_msg, .a = { (long)&m }, .fd = -1, .path = _PATH_LOG };
	if (!self || co_may_block(self->w)) {
		send_msg(b.a);
	} else {
		take();
		int probe = -1;
		if (!log_known()) {
			search();
			probe = log_fd < 0 ? lowest_free() : -1;
		}
		struct pollfd p = { log_fd, POLLOUT, 0 };
		if (log_fd >= 0 && !log_perror && SYS(SYS_poll, &p, 1, 0) == 1 &&
		    (p.revents & POLLOUT))
			send_msg(b.a);
		else
			blocking(self, BC_SYSLOG, 0, PARK_WRITE, &b);
		learn(probe);
		give();
	}
	va_end(m.ap);
	errno = err;
}

/* glibc's own entries take its lock; ours keeps our threads from meeting
 * there (REAL_WHILE_UNTHREADED: nobody else can hold it then). */
EXPORT void vsyslog(int pri, const char *fmt, va_list ap)
{
	REAL_WHILE_UNTHREADED(vsyslog, pri, fmt, ap);
	log_msg(pri, -1, fmt, ap);
}

EXPORT void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{
	REAL_WHILE_UNTHREADED(__vsyslog_chk, pri, flag, fmt, ap);
	log_msg(pri, flag, fmt, ap);
}

EXPORT void syslog(int pri, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsyslog(pri, fmt, ap);
	va_end(ap);
}

EXPORT void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	__vsyslog_chk(pri, flag, fmt, ap);
	va_end(ap);
}

/* openlog connects at once with LOG_NDELAY: it may be a connect that
 * waits, on a stream socket, but it is rare; it runs in place. */
EXPORT void openlog(const char *ident, int opt, int facility)
{
	int threaded = !co_never_threaded;
	if (threaded)
		take();
	int probe = log_fd < 0 ? lowest_free() : -1;
	REAL_FN(openlog)(ident, opt, facility);
	int err = errno; /* as openlog left it */
	log_perror = !!(opt & LOG_PERROR);
	learn(probe);
	errno = err;
	if (threaded)
		give();
}

EXPORT void closelog(void)
{
	int threaded = !co_never_threaded;
	if (threaded)
		take();
	REAL_FN(closelog)();
	log_fd = -1;
	if (threaded)
		give();
}

EXPORT int setlogmask(int mask)
{
	int threaded = !co_never_threaded;
	if (threaded)
		take();
	int r = REAL_FN(setlogmask)(mask);
	if (threaded)
		give();
	return r;
}

void syslog_atfork_child(void)
{
	log_lock = 0;
}
