/* stdio on sockets and pipes. glibc's FILE functions call read and write
 * through private aliases, never through our hooks, so a coroutine in
 * fgets on a socket would block its worker. Before a read that must go to
 * the descriptor (the FILE's buffer is empty) we park until the descriptor
 * is readable; before a write, until it is writable. The real function then
 * finds data or room at once. What this cannot cover: a read that needs more
 * than what has arrived (the rest of a line) still waits in the kernel
 * (coexec.7, LIMITATIONS). */
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>

#include "shim/shim.h"

static void stdio_wait(FILE *f, unsigned ev)
{
	struct co *self = co_self();
	if (!self || co_may_block(self->w) || !f)
		return;
	if (ev == EPOLLIN && f->_IO_read_ptr < f->_IO_read_end)
		return;
	int fd = f->_fileno;
	struct fdent *e = fd >= 0 ? fd_known(fd) : NULL;
	struct fdview *v = e ? view(e) : NULL;
	if (!e || v->user_nb || e->unpollable || v->kind == FD_REG || v->kind == FD_UNKNOWN)
		return;
	for (;;) {
		struct pollfd p = { fd, ev == EPOLLIN ? POLLIN : POLLOUT, 0 };
		if (REAL_FN(poll)(&p, 1, 0) != 0)
			return;
		int w = fd_wait(fd, e, ev, -1, ev == EPOLLIN ? PARK_READ : PARK_WRITE);
		if (w < 0 && w != -EINTR)
			return;
		if (w == -EINTR)
			cancel_point(self);
	}
}

EXPORT char *fgets(char *s, int n, FILE *f)
{
	REAL_WHILE_UNTHREADED(fgets, s, n, f);
	stdio_wait(f, EPOLLIN);
	return REAL_FN(fgets)(s, n, f);
}

EXPORT int fgetc(FILE *f)
{
	REAL_WHILE_UNTHREADED(fgetc, f);
	stdio_wait(f, EPOLLIN);
	return REAL_FN(fgetc)(f);
}

EXPORT int getc(FILE *f)
{
	REAL_WHILE_UNTHREADED(getc, f);
	stdio_wait(f, EPOLLIN);
	return REAL_FN(getc)(f);
}

EXPORT size_t fread(void *p, size_t size, size_t n, FILE *f)
{
	REAL_WHILE_UNTHREADED(fread, p, size, n, f);
	stdio_wait(f, EPOLLIN);
	return REAL_FN(fread)(p, size, n, f);
}

EXPORT ssize_t getdelim(char **line, size_t *n, int delim, FILE *f)
{
	REAL_WHILE_UNTHREADED(getdelim, line, n, delim, f);
	stdio_wait(f, EPOLLIN);
	return REAL_FN(getdelim)(line, n, delim, f);
}

EXPORT ssize_t getline(char **line, size_t *n, FILE *f)
{
	REAL_WHILE_UNTHREADED(getdelim, line, n, '\n', f);
	stdio_wait(f, EPOLLIN);
	return REAL_FN(getdelim)(line, n, '\n', f);
}

EXPORT int fflush(FILE *f)
{
	REAL_WHILE_UNTHREADED(fflush, f);
	if (f && f->_IO_write_ptr > f->_IO_write_base)
		stdio_wait(f, EPOLLOUT);
	return REAL_FN(fflush)(f);
}
