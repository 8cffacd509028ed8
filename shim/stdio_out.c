/* stdio output that would wait: fwrite, fputs, puts, fputc, putc, putchar,
 * fflush, __overflow (where the inline putc_unlocked of <stdio.h> empties
 * its buffer), their _unlocked forms, and the printf family, which we
 * format first (vsnprintf, or __vsnprintf_chk for the _chk forms, so the
 * same checks apply) to learn how much it adds, then write as fwrite would:
 * the same bytes, under one hold of the lock. dprintf formats, then writes
 * through our write(2), which parks. fflush(NULL) stays in place: it takes
 * every stream's lock, which a pool thread cannot do for us.
 * shim/stdio.h says how each call is decided. */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shim/shim.h"
#include "shim/stdio.h"

/* <stdio.h> makes these macros when optimising; we define the functions. */
#undef fwrite_unlocked
#undef fputc_unlocked
#undef putc_unlocked

int __overflow(FILE *, int);
int __vsnprintf_chk(char *, size_t, int, size_t, const char *, va_list);

enum out_op {
	OUT_FWRITE, OUT_PRINTF, OUT_FPUTS, OUT_PUTS, OUT_PUTC, OUT_OVERFLOW, OUT_FFLUSH,
	OUT_VPRINTF, /* the real vfprintf, for what print_out does not write itself */
	OUT_UNLOCKED = 0x100,
};

/* a[0..3]: the arguments, a[4]: the op, a[5]: the FILE, a[6]: use the
 * _unlocked form. */
static long out_run(const long *a)
{
	FILE *f = (FILE *)a[5];
	int op = a[4] & 0xff, unl = (a[4] & OUT_UNLOCKED) || a[6];
	switch (op) {
	case OUT_FWRITE:
	case OUT_PRINTF: /* its formatted text */
		return (unl ? REAL_FN(fwrite_unlocked) : REAL_FN(fwrite))((const void *)a[0], a[1],
									 a[2], f);
	case OUT_FPUTS:
		return (unl ? REAL_FN(fputs_unlocked) : REAL_FN(fputs))((const char *)a[0], f);
	case OUT_PUTS: {
		if (unl)
			sio_lock_skip(f, 1);
		int r = REAL_FN(puts)((const char *)a[0]);
		if (unl)
			sio_lock_skip(f, 0);
		return r;
	}
	case OUT_PUTC:
		return unl ? REAL_FN(fputc_unlocked)(a[0], f) : REAL_FN(fputc)(a[0], f);
	case OUT_OVERFLOW:
		return REAL_FN(__overflow)(f, a[0]);
	case OUT_FFLUSH:
		return unl ? REAL_FN(fflush_unlocked)(f) : REAL_FN(fflush)(f);
	case OUT_VPRINTF: { /* a[0]: the format, a[1]: its va_list, a[2]: the _chk flag or -1 */
		va_list *ap = (va_list *)a[1];
		if (unl)
			sio_lock_skip(f, 1);
		int r = a[2] >= 0 ? REAL_FN(__vfprintf_chk)(f, a[2], (const char *)a[0], *ap)
				  : REAL_FN(vfprintf)(f, (const char *)a[0], *ap);
		if (unl)
			sio_lock_skip(f, 0);
		return r;
	}
	}
	return -1;
}

static const enum bcall out_bcall[] = {
	[OUT_FWRITE] = BC_FWRITE, [OUT_PRINTF] = BC_PRINTF, [OUT_FPUTS] = BC_FPUTS, [OUT_PUTS] = BC_FPUTS,
	[OUT_PUTC] = BC_PUTC, [OUT_OVERFLOW] = BC_PUTC, [OUT_FFLUSH] = BC_FFLUSH,
	[OUT_VPRINTF] = BC_PRINTF,
};

/* The call op on f, which adds data[0..len) as sio_out takes it; fail is
 * what it returns when interrupted before it wrote anything. */
static long out_call(int op, FILE *f, const void *data, size_t len, int how, long fail,
		     long a0, long a1, long a2)
{
	long a[7] = { a0, a1, a2, 0, op, (long)f, 0 };
	struct sio io;
	if (!f || (how != SIO_FLUSH && sio_buffered_out(f, data, len, how == SIO_NEWLINE)) ||
	    !sio_watch(&io, f))
		return sio_run_held(f, out_run, a);
	long r = sio_out(&io, data, len, how) == SIO_POOL
			 ? sio_pool(&io, out_bcall[op & 0xff], out_run, fail, a) : out_run(a);
	sio_done(&io);
	return r;
}

static size_t mul_or_max(size_t a, size_t b)
{
	size_t r;
	return __builtin_mul_overflow(a, b, &r) ? SIZE_MAX : r;
}

EXPORT size_t fwrite(const void *p, size_t size, size_t n, FILE *f)
{
	REAL_WHILE_UNTHREADED(fwrite, p, size, n, f);
	return out_call(OUT_FWRITE, f, p, mul_or_max(size, n), 0, 0, (long)p, size, n);
}

EXPORT size_t fwrite_unlocked(const void *p, size_t size, size_t n, FILE *f)
{
	REAL_WHILE_UNTHREADED(fwrite_unlocked, p, size, n, f);
	return out_call(OUT_FWRITE | OUT_UNLOCKED, f, p, mul_or_max(size, n), 0, 0, (long)p, size,
			n);
}

EXPORT int fputs(const char *s, FILE *f)
{
	REAL_WHILE_UNTHREADED(fputs, s, f);
	return out_call(OUT_FPUTS, f, s, strlen(s), 0, EOF, (long)s, 0, 0);
}

EXPORT int fputs_unlocked(const char *s, FILE *f)
{
	REAL_WHILE_UNTHREADED(fputs_unlocked, s, f);
	return out_call(OUT_FPUTS | OUT_UNLOCKED, f, s, strlen(s), 0, EOF, (long)s, 0, 0);
}

EXPORT int puts(const char *s)
{
	REAL_WHILE_UNTHREADED(puts, s);
	return out_call(OUT_PUTS, stdout, s, strlen(s) + 1, SIO_NEWLINE, EOF, (long)s, 0, 0);
}

EXPORT int fputc(int c, FILE *f)
{
	REAL_WHILE_UNTHREADED(fputc, c, f);
	unsigned char ch = c;
	return out_call(OUT_PUTC, f, &ch, 1, 0, EOF, c, 0, 0);
}

EXPORT int putc(int c, FILE *f)
{
	return fputc(c, f);
}

EXPORT int putchar(int c)
{
	return fputc(c, stdout);
}

EXPORT int fputc_unlocked(int c, FILE *f)
{
	REAL_WHILE_UNTHREADED(fputc_unlocked, c, f);
	unsigned char ch = c;
	return out_call(OUT_PUTC | OUT_UNLOCKED, f, &ch, 1, 0, EOF, c, 0, 0);
}

EXPORT int putc_unlocked(int c, FILE *f)
{
	return fputc_unlocked(c, f);
}

EXPORT int putchar_unlocked(int c)
{
	return fputc_unlocked(c, stdout);
}

EXPORT int __overflow(FILE *f, int c)
{
	REAL_WHILE_UNTHREADED(__overflow, f, c);
	unsigned char ch = c;
	return out_call(OUT_OVERFLOW, f, &ch, c == EOF ? 0 : 1, c == EOF ? SIO_FLUSH : 0, EOF, c, 0, 0);
}

EXPORT int fflush(FILE *f)
{
	REAL_WHILE_UNTHREADED(fflush, f);
	if (!f)
		return REAL_FN(fflush)(f);
	return out_call(OUT_FFLUSH, f, NULL, 0, SIO_FLUSH, EOF, 0, 0, 0);
}

EXPORT int fflush_unlocked(FILE *f)
{
	REAL_WHILE_UNTHREADED(fflush_unlocked, f);
	if (!f)
		return REAL_FN(fflush_unlocked)(f);
	return out_call(OUT_FFLUSH | OUT_UNLOCKED, f, NULL, 0, SIO_FLUSH, EOF, 0, 0, 0);
}

/* printf: format into buf (or, when longer, a block of ours), then write.
 * flag < 0: no _chk checks. */
static int print_out(FILE *f, int fd, int flag, const char *fmt, va_list ap)
{
	char buf[512], *text = buf;
	va_list again;
	va_copy(again, ap);
	int n = flag >= 0 ? __vsnprintf_chk(buf, sizeof buf, flag, sizeof buf, fmt, ap)
			  : vsnprintf(buf, sizeof buf, fmt, ap);
	int by_real = n <= 0;
	if (n >= (int)sizeof buf) {
		text = malloc((size_t)n + 1);
		if (text) {
			n = flag >= 0 ? __vsnprintf_chk(text, n + 1, flag, n + 1, fmt, again)
				      : vsnprintf(text, n + 1, fmt, again);
		} else {
			text = buf;
			n = -1; /* errno is ENOMEM */
			by_real = 1;
		}
	}
	/* Nothing to write, or no text: the real call, which checks the stream
	 * first (EBADF) and, when a conversion fails (EILSEQ), writes what came
	 * before it. For a stream, where that may wait, through out_call, which
	 * sends a call of unknown size to the pool; for a descriptor only when
	 * there is nothing to write. */
	if (by_real && (f || n == 0)) {
		if (f)
			n = out_call(OUT_VPRINTF, f, "", n < 0 ? SIZE_MAX / 2 : 0, 0, -1, (long)fmt,
				     (long)&again, flag);
		else
			n = flag >= 0 ? REAL_FN(__vdprintf_chk)(fd, flag, fmt, again)
				      : REAL_FN(vdprintf)(fd, fmt, again);
		va_end(again);
		return n;
	}
	va_end(again);
	if (n > 0) {
		if (f)
			n = out_call(OUT_PRINTF, f, text, n, 0, 0, (long)text, 1, n) == n
				    ? n : -1;
		else
			for (int done = 0; done < n;) {
				ssize_t w = write(fd, text + done, n - done);
				if (w < 0) {
					n = -1;
					break;
				}
				done += w;
			}
	}
	if (text != buf)
		free(text);
	return n;
}

/* Is this a printf worth formatting ahead: may it wait? (Output to a
 * regular file never does.) */
static int print_watch(FILE *f)
{
	struct sio io;
	return f && sio_watch(&io, f) && !io.file;
}

static int print_fd_watch(int fd)
{
	(void)fd;
	struct co *self = co_self();
	return self && !co_may_block(self->w);
}

EXPORT int vfprintf(FILE *f, const char *fmt, va_list ap)
{
	REAL_WHILE_UNTHREADED(vfprintf, f, fmt, ap);
	if (!print_watch(f)) {
		int held = sio_wait_lock(f);
		int r = REAL_FN(vfprintf)(f, fmt, ap);
		if (held)
			funlockfile(f);
		return r;
	}
	return print_out(f, -1, -1, fmt, ap);
}

EXPORT int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap)
{
	REAL_WHILE_UNTHREADED(__vfprintf_chk, f, flag, fmt, ap);
	if (!print_watch(f)) {
		int held = sio_wait_lock(f);
		int r = REAL_FN(__vfprintf_chk)(f, flag, fmt, ap);
		if (held)
			funlockfile(f);
		return r;
	}
	return print_out(f, -1, flag, fmt, ap);
}

EXPORT int vprintf(const char *fmt, va_list ap)
{
	return vfprintf(stdout, fmt, ap);
}

EXPORT int __vprintf_chk(int flag, const char *fmt, va_list ap)
{
	return __vfprintf_chk(stdout, flag, fmt, ap);
}

EXPORT int vdprintf(int fd, const char *fmt, va_list ap)
{
	REAL_WHILE_UNTHREADED(vdprintf, fd, fmt, ap);
	if (!print_fd_watch(fd))
		return REAL_FN(vdprintf)(fd, fmt, ap);
	return print_out(NULL, fd, -1, fmt, ap);
}

EXPORT int __vdprintf_chk(int fd, int flag, const char *fmt, va_list ap)
{
	REAL_WHILE_UNTHREADED(__vdprintf_chk, fd, flag, fmt, ap);
	if (!print_fd_watch(fd))
		return REAL_FN(__vdprintf_chk)(fd, flag, fmt, ap);
	return print_out(NULL, fd, flag, fmt, ap);
}

#define PRINTF_VIA(call) \
	do { \
		va_list ap; \
		va_start(ap, fmt); \
		int r = call; \
		va_end(ap); \
		return r; \
	} while (0)

EXPORT int fprintf(FILE *f, const char *fmt, ...)
{
	PRINTF_VIA(vfprintf(f, fmt, ap));
}

EXPORT int printf(const char *fmt, ...)
{
	PRINTF_VIA(vfprintf(stdout, fmt, ap));
}

EXPORT int dprintf(int fd, const char *fmt, ...)
{
	PRINTF_VIA(vdprintf(fd, fmt, ap));
}

EXPORT int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
	PRINTF_VIA(__vfprintf_chk(f, flag, fmt, ap));
}

EXPORT int __printf_chk(int flag, const char *fmt, ...)
{
	PRINTF_VIA(__vfprintf_chk(stdout, flag, fmt, ap));
}

EXPORT int __dprintf_chk(int fd, int flag, const char *fmt, ...)
{
	PRINTF_VIA(__vdprintf_chk(fd, flag, fmt, ap));
}
