/* The debug log; see log.h. Formatting is ours so that a line can be written
 * from a signal handler, a half-initialised process or the scheduler itself. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <sys/stat.h>

#include "preload/log.h"
#include "sched/sys.h"

unsigned coexec_log_mask;
int coexec_log_fd = -1;
void (*coexec_log_who)(int *worker, unsigned *co);

/* What descriptor 2 was at start-up. The program may close its stderr and
 * open something else as 2 (a daemon's data file): a line then goes
 * nowhere rather than into that file. */
static struct { unsigned long dev, ino; int ok, started; } stderr_id;

static int stderr_same(void)
{
	struct stat st;
	return stderr_id.ok && SYS(SYS_fstat, 2, &st, 0) == 0 && st.st_dev == stderr_id.dev &&
	       st.st_ino == stderr_id.ino;
}

static void write_all(int fd, const char *line, int n)
{
	while (n > 0) {
		long r = sys_write(fd, line, n);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			break;
		line += r;
		n -= r;
	}
}

struct out {
	char *p, *end;
};

static void put(struct out *o, char c)
{
	if (o->p < o->end)
		*o->p++ = c;
}

static void puts_(struct out *o, const char *s)
{
	if (!s)
		s = "(null)";
	while (*s)
		put(o, *s++);
}

static void putu(struct out *o, unsigned long long v, unsigned base, int width, char pad)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (width-- > n)
		put(o, pad);
	while (n)
		put(o, tmp[--n]);
}

int coexec_fmt(char *buf, int size, const char *fmt, va_list ap)
{
	struct out o = { buf, buf + size - 1 };

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0, lng = 0;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			lng++, fmt++;
		switch (*fmt) {
		case 'd':
		case 'i': {
			long long v = lng ? va_arg(ap, long) : va_arg(ap, int);
			if (v < 0) {
				put(&o, '-');
				putu(&o, -(unsigned long long)v, 10, width, pad);
			} else {
				putu(&o, v, 10, width, pad);
			}
			break;
		}
		case 'u':
		case 'x': {
			unsigned long long v = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			putu(&o, v, *fmt == 'x' ? 16 : 10, width, pad);
			break;
		}
		case 'p':
			puts_(&o, "0x");
			putu(&o, (uintptr_t)va_arg(ap, void *), 16, 0, ' ');
			break;
		case 's':
			puts_(&o, va_arg(ap, const char *));
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case '%':
			put(&o, '%');
			break;
		case 0:
			fmt--;
			break;
		default:
			put(&o, '?');
		}
	}
	*o.p = 0;
	return o.p - buf;
}

static int fmt(char *buf, int size, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = coexec_fmt(buf, size, f, ap);
	va_end(ap);
	return n;
}

static struct timespec log_t0;

static void emit(const char *line, int n)
{
	int fd = __atomic_load_n(&coexec_log_fd, __ATOMIC_ACQUIRE);
	if (fd >= 0)
		write_all(fd, line, n);
	else if (stderr_same())
		write_all(2, line, n);
}

void coexec_log(const char *f, ...)
{
	int saved = errno;
	char line[512];
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!log_t0.tv_sec && !log_t0.tv_nsec)
		log_t0 = now;
	long long us = (now.tv_sec - log_t0.tv_sec) * 1000000LL +
		       (now.tv_nsec - log_t0.tv_nsec) / 1000;
	int wid = -1;
	unsigned coid = 0;
	if (coexec_log_who)
		coexec_log_who(&wid, &coid);
	int n = fmt(line, sizeof line, "coexec[%d] +%ld.%06ld w%d co%u ", (int)sys_getpid(),
		    (long)(us / 1000000), (long)(us % 1000000), wid, coid);
	va_list ap;
	va_start(ap, f);
	n += coexec_fmt(line + n, sizeof line - n - 1, f, ap);
	va_end(ap);
	line[n++] = '\n';
	emit(line, n);
	errno = saved;
}

void coexec_log_start(void)
{
	struct stat st;
	clock_gettime(CLOCK_MONOTONIC, &log_t0);
	stderr_id.started = 1;
	if (SYS(SYS_fstat, 2, &st, 0) == 0)
		stderr_id.dev = st.st_dev, stderr_id.ino = st.st_ino, stderr_id.ok = 1;
}

void coexec_say(const char *f, ...)
{
	int saved = errno;
	char line[512];
	int n = fmt(line, sizeof line, "coexec: ");
	va_list ap;
	va_start(ap, f);
	n += coexec_fmt(line + n, sizeof line - n - 1, f, ap);
	va_end(ap);
	line[n++] = '\n';
	/* Messages the user must see go to stderr, and to the log file too
	 * when there is one, so a daemon's closed stderr does not hide them. */
	if (!stderr_id.started || stderr_same())
		write_all(2, line, n); /* before start-up, stderr is what it is */
	if (coexec_log_fd >= 0)
		write_all(coexec_log_fd, line, n);
	errno = saved;
}
