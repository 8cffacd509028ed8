/* stdio input that would wait: fgets, getline, getc, fread, fscanf and
 * their _unlocked, _chk and C99 forms, and __uflow/__underflow, where the
 * inline getc_unlocked of <stdio.h> refills. shim/stdio.h says how each
 * call is decided; this file names what each needs and how to run it. */
#include <stdarg.h>
#include <stdint.h>

#include "shim/shim.h"
#include "shim/stdio.h"

/* <stdio.h> makes these macros when optimising; we define the functions. */
#undef fread_unlocked


enum in_op {
	IN_FGETS, IN_FGETS_CHK, IN_GETDELIM, IN_GETC, IN_UFLOW, IN_UNDERFLOW, IN_FREAD,
	IN_FREAD_CHK, IN_SCANF, IN_SCANF99,
	IN_UNLOCKED = 0x100, /* the program called the _unlocked form */
};

/* a[0..3]: the arguments, a[4]: the op, a[5]: the FILE, a[6]: use the
 * _unlocked form. */
static long in_run(const long *a)
{
	FILE *f = (FILE *)a[5];
	int op = a[4] & 0xff, unl = (a[4] & IN_UNLOCKED) || a[6];
	switch (op) {
	case IN_FGETS:
		return (long)(unl ? REAL_FN(fgets_unlocked) : REAL_FN(fgets))((char *)a[0], a[1], f);
	case IN_FGETS_CHK:
		return (long)(unl ? REAL_FN(__fgets_unlocked_chk) : REAL_FN(__fgets_chk))(
			(char *)a[0], a[1], a[2], f);
	case IN_GETDELIM:
		if (unl)
			sio_lock_skip(f, 1);
		long n = REAL_FN(getdelim)((char **)a[0], (size_t *)a[1], a[2], f);
		if (unl)
			sio_lock_skip(f, 0);
		return n;
	case IN_GETC:
		return unl ? REAL_FN(fgetc_unlocked)(f) : REAL_FN(fgetc)(f);
	case IN_UFLOW:
		return REAL_FN(__uflow)(f);
	case IN_UNDERFLOW:
		return REAL_FN(__underflow)(f);
	case IN_FREAD:
		return (unl ? REAL_FN(fread_unlocked) : REAL_FN(fread))((void *)a[0], a[1], a[2], f);
	case IN_FREAD_CHK:
		return (unl ? REAL_FN(__fread_unlocked_chk) : REAL_FN(__fread_chk))(
			(void *)a[0], a[3], a[1], a[2], f);
	case IN_SCANF:
	case IN_SCANF99: {
		if (unl)
			sio_lock_skip(f, 1);
		int r = (op == IN_SCANF ? REAL_FN(vfscanf) : REAL_FN(__isoc99_vfscanf))(
			f, (const char *)a[0], *(va_list *)a[1]);
		if (unl)
			sio_lock_skip(f, 0);
		return r;
	}
	}
	return -1;
}

static const enum bcall in_bcall[] = {
	[IN_FGETS] = BC_FGETS, [IN_FGETS_CHK] = BC_FGETS, [IN_GETDELIM] = BC_GETLINE,
	[IN_GETC] = BC_GETC, [IN_UFLOW] = BC_GETC, [IN_UNDERFLOW] = BC_GETC,
	[IN_FREAD] = BC_FREAD, [IN_FREAD_CHK] = BC_FREAD, [IN_SCANF] = BC_SCANF,
	[IN_SCANF99] = BC_SCANF,
};

/* The call op on f, which needs what sio_in takes; fail is what it returns
 * when interrupted before it read anything. */
static long in_call(int op, FILE *f, size_t need, int delim, long fail, long a0, long a1,
		    long a2, long a3)
{
	long a[7] = { a0, a1, a2, a3, op, (long)f, 0 };
	struct sio io;
	if ((f && sio_buffered(f, need, delim)) || !sio_watch(&io, f))
		return sio_run_held(f, in_run, a);
	io.err_stops = (op & 0xff) == IN_GETDELIM;
	io.direct = (op & 0xff) == IN_FREAD || (op & 0xff) == IN_FREAD_CHK;
	long r;
	switch (sio_in(&io, need, delim)) {
	case SIO_INTR:
		r = fail;
		break;
	case SIO_POOL:
		r = sio_pool(&io, in_bcall[op & 0xff], in_run, fail, a);
		break;
	default:
		r = in_run(a);
	}
	sio_done(&io);
	return r;
}

static size_t mul_or_max(size_t a, size_t b)
{
	size_t r;
	return __builtin_mul_overflow(a, b, &r) ? SIZE_MAX : r;
}

#define FGETS_NEED(n) ((n) > 0 ? (size_t)(n) - 1 : 0)

EXPORT char *fgets(char *s, int n, FILE *f)
{
	REAL_WHILE_UNTHREADED(fgets, s, n, f);
	return (char *)in_call(IN_FGETS, f, FGETS_NEED(n), '\n', 0, (long)s, n, 0, 0);
}

EXPORT char *fgets_unlocked(char *s, int n, FILE *f)
{
	REAL_WHILE_UNTHREADED(fgets_unlocked, s, n, f);
	return (char *)in_call(IN_FGETS | IN_UNLOCKED, f, FGETS_NEED(n), '\n', 0, (long)s, n, 0,
			       0);
}

EXPORT char *__fgets_chk(char *s, size_t size, int n, FILE *f)
{
	REAL_WHILE_UNTHREADED(__fgets_chk, s, size, n, f);
	return (char *)in_call(IN_FGETS_CHK, f, FGETS_NEED(n), '\n', 0, (long)s, size, n, 0);
}

EXPORT char *__fgets_unlocked_chk(char *s, size_t size, int n, FILE *f)
{
	REAL_WHILE_UNTHREADED(__fgets_unlocked_chk, s, size, n, f);
	return (char *)in_call(IN_FGETS_CHK | IN_UNLOCKED, f, FGETS_NEED(n), '\n', 0, (long)s,
			       size, n, 0);
}

EXPORT ssize_t getdelim(char **line, size_t *n, int delim, FILE *f)
{
	REAL_WHILE_UNTHREADED(getdelim, line, n, delim, f);
	if (!line || !n)
		return REAL_FN(getdelim)(line, n, delim, f); /* EINVAL at once */
	return in_call(IN_GETDELIM, f, SIZE_MAX, (unsigned char)delim, -1, (long)line, (long)n,
		       delim, 0);
}

EXPORT ssize_t __getdelim(char **line, size_t *n, int delim, FILE *f)
{
	return getdelim(line, n, delim, f);
}

EXPORT ssize_t getline(char **line, size_t *n, FILE *f)
{
	return getdelim(line, n, '\n', f);
}

EXPORT int fgetc(FILE *f)
{
	REAL_WHILE_UNTHREADED(fgetc, f);
	return in_call(IN_GETC, f, 1, -1, EOF, 0, 0, 0, 0);
}

EXPORT int getc(FILE *f)
{
	return fgetc(f);
}

EXPORT int getchar(void)
{
	return fgetc(stdin);
}

EXPORT int fgetc_unlocked(FILE *f)
{
	REAL_WHILE_UNTHREADED(fgetc_unlocked, f);
	return in_call(IN_GETC | IN_UNLOCKED, f, 1, -1, EOF, 0, 0, 0, 0);
}

EXPORT int getc_unlocked(FILE *f)
{
	return fgetc_unlocked(f);
}

EXPORT int getchar_unlocked(void)
{
	return fgetc_unlocked(stdin);
}

EXPORT int __uflow(FILE *f)
{
	REAL_WHILE_UNTHREADED(__uflow, f);
	return in_call(IN_UFLOW, f, 1, -1, EOF, 0, 0, 0, 0);
}

EXPORT int __underflow(FILE *f)
{
	REAL_WHILE_UNTHREADED(__underflow, f);
	return in_call(IN_UNDERFLOW, f, 1, -1, EOF, 0, 0, 0, 0);
}

EXPORT size_t fread(void *p, size_t size, size_t n, FILE *f)
{
	REAL_WHILE_UNTHREADED(fread, p, size, n, f);
	return in_call(IN_FREAD, f, mul_or_max(size, n), -1, 0, (long)p, size, n, 0);
}

EXPORT size_t fread_unlocked(void *p, size_t size, size_t n, FILE *f)
{
	REAL_WHILE_UNTHREADED(fread_unlocked, p, size, n, f);
	return in_call(IN_FREAD | IN_UNLOCKED, f, mul_or_max(size, n), -1, 0, (long)p, size, n,
		       0);
}

EXPORT size_t __fread_chk(void *p, size_t room, size_t size, size_t n, FILE *f)
{
	REAL_WHILE_UNTHREADED(__fread_chk, p, room, size, n, f);
	return in_call(IN_FREAD_CHK, f, mul_or_max(size, n), -1, 0, (long)p, size, n, room);
}

EXPORT size_t __fread_unlocked_chk(void *p, size_t room, size_t size, size_t n, FILE *f)
{
	REAL_WHILE_UNTHREADED(__fread_unlocked_chk, p, room, size, n, f);
	return in_call(IN_FREAD_CHK | IN_UNLOCKED, f, mul_or_max(size, n), -1, 0, (long)p, size,
		       n, room);
}

/* How much a conversion will read is unknown: scanf goes to the pool
 * whenever the input it has is not the end of the stream. */
static int scan(int op, FILE *f, const char *fmt, va_list ap)
{
	va_list cp; /* a va_list object of our own: a parameter is only a pointer */
	va_copy(cp, ap);
	int r = in_call(op, f, SIZE_MAX, -1, EOF, (long)fmt, (long)&cp, 0, 0);
	va_end(cp);
	return r;
}

/* In C99 mode <stdio.h> renames fscanf & co. to their __isoc99_ forms; the
 * GNU ones (%a as an allocation flag) keep their names through asm labels. */
EXPORT int gnu_vfscanf(FILE *, const char *, va_list) __asm__("vfscanf");
EXPORT int gnu_vscanf(const char *, va_list) __asm__("vscanf");
EXPORT int gnu_fscanf(FILE *, const char *, ...) __asm__("fscanf");
EXPORT int gnu_scanf(const char *, ...) __asm__("scanf");

int gnu_vfscanf(FILE *f, const char *fmt, va_list ap)
{
	REAL_WHILE_UNTHREADED(vfscanf, f, fmt, ap);
	return scan(IN_SCANF, f, fmt, ap);
}

EXPORT int __isoc99_vfscanf(FILE *f, const char *fmt, va_list ap)
{
	REAL_WHILE_UNTHREADED(__isoc99_vfscanf, f, fmt, ap);
	return scan(IN_SCANF99, f, fmt, ap);
}

int gnu_vscanf(const char *fmt, va_list ap)
{
	return gnu_vfscanf(stdin, fmt, ap);
}

EXPORT int __isoc99_vscanf(const char *fmt, va_list ap)
{
	return __isoc99_vfscanf(stdin, fmt, ap);
}

#define SCANF_VIA(vfn, f, fmt) \
	do { \
		va_list ap; \
		va_start(ap, fmt); \
		int r = vfn(f, fmt, ap); \
		va_end(ap); \
		return r; \
	} while (0)

int gnu_fscanf(FILE *f, const char *fmt, ...)
{
	SCANF_VIA(gnu_vfscanf, f, fmt);
}

int gnu_scanf(const char *fmt, ...)
{
	SCANF_VIA(gnu_vfscanf, stdin, fmt);
}

EXPORT int __isoc99_fscanf(FILE *f, const char *fmt, ...)
{
	SCANF_VIA(__isoc99_vfscanf, f, fmt);
}

EXPORT int __isoc99_scanf(const char *fmt, ...)
{
	SCANF_VIA(__isoc99_vfscanf, stdin, fmt);
}
