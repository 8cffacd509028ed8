/* The debug log; see log.h. Formatting is ours so that a line can be written
 * from a signal handler, a half-initialised process or the scheduler itself. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "preload/log.h"
#include "sched/sys.h"
#include "sched/worker.h"

unsigned coexec_log_mask;
int coexec_log_fd = -1;

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
	int fd = coexec_log_fd >= 0 ? coexec_log_fd : 2;
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
	struct worker *w = worker_self();
	int n = fmt(line, sizeof line, "coexec[%d] +%ld.%06ld w%d co%u ", (int)sys_getpid(),
		    (long)(us / 1000000), (long)(us % 1000000), w ? w->id : -1,
		    w && w->cur ? w->cur->id : 0);
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
	clock_gettime(CLOCK_MONOTONIC, &log_t0);
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
	long r;
	do
		r = sys_write(2, line, n);
	while (r == -EINTR);
	if (coexec_log_fd >= 0 && coexec_log_fd != 2)
		emit(line, n);
	errno = saved;
}
