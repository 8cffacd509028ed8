/* stdio that would wait: the decision shared by the input (stdio_in.c) and
 * output (stdio_out.c) hooks, made in shim/stdio.c.
 *
 * glibc's FILE functions reach read and write through private aliases, so
 * our read and write hooks never see them: a coroutine in fgets on a socket
 * would wait in the kernel and hold its worker. Before each call we look at
 * the FILE (its buffer, its lock) and at the descriptor (what has arrived,
 * what room there is) and decide:
 *   SIO_INLINE  the call cannot wait (or the stream is one we leave alone:
 *               a stream without a descriptor, a descriptor the program
 *               made non-blocking; output to a regular file, a copy into
 *               the page cache): call the real function;
 *   SIO_POOL    it may wait: run it on the blocking-call pool (sio_pool);
 *   SIO_INTR    a signal ended our wait for input before anything was
 *               consumed: the call fails as natively (error flag, EINTR).
 * An input call with nothing buffered and nothing arrived parks on epoll
 * first, holding no thread: a server with thousands of idle connections in
 * fgets costs no pool threads. Input from a regular file runs in place
 * when the page cache holds what the refill reads (disk_cached), else on
 * the pool.
 *
 * The FILE lock: a pool thread takes it as its own, so other threads (and
 * other coroutines, whose calls then go to the pool too) wait for it as
 * natively. When this worker holds it (the caller's flockfile), the pool
 * thread calls the _unlocked form on the caller's behalf, and the FILE is
 * marked lent: other coroutines' calls on it wait until the call returns. */
#ifndef SHIM_STDIO_H
#define SHIM_STDIO_H

#include <stdio.h>

#include "shim/blocking.h"

enum { SIO_INLINE, SIO_POOL, SIO_INTR };

/* glibc's FILE flag bits we read (they have kept their values since libio
 * began) and its _IO_lock_t. */
#define F_UNBUFFERED 0x0002
#define F_EOF_SEEN 0x0010
#define F_ERR_SEEN 0x0020
#define F_LINE_BUF 0x0200
#define F_PUTTING 0x0800
#define F_USER_LOCK 0x8000

struct file_lock {
	int lock, cnt;
	void *owner;
};

extern int sio_lent_n; /* FILEs lent now (stdio.c) */

enum { SIO_LOCK_FREE, SIO_LOCK_MINE, SIO_LOCK_OTHER };
static inline int sio_lock_state(FILE *f)
{
	struct file_lock *l = f->_lock;
	if (!l || (f->_flags & F_USER_LOCK))
		return SIO_LOCK_FREE;
	unsigned long self;
	__asm__("movq %%fs:16, %0" : "=r"(self)); /* as sys_thread_self() */
	if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED) == (void *)self)
		return SIO_LOCK_MINE;
	return __atomic_load_n(&l->lock, __ATOMIC_RELAXED) ? SIO_LOCK_OTHER : SIO_LOCK_FREE;
}

/* The fast answer, from the FILE alone: what the input call needs is in
 * its buffer, or the output fits its buffer, and nothing keeps us off the
 * stream; then the real call cannot wait, whatever the descriptor. */
static inline int sio_buffered_in(FILE *f, size_t need, int delim)
{
	const char *p = f->_IO_read_ptr;
	if (!p || (f->_flags & F_PUTTING) || __atomic_load_n(&sio_lent_n, __ATOMIC_RELAXED))
		return 0;
	size_t have = f->_IO_read_end > p ? (size_t)(f->_IO_read_end - p) : 0;
	if (have < need && !(delim >= 0 && have && __builtin_memchr(p, delim, have)))
		return 0;
	return have && sio_lock_state(f) != SIO_LOCK_OTHER;
}

static inline int sio_buffered_out(FILE *f, const void *data, size_t len, int newline)
{
	if ((f->_flags & (F_PUTTING | F_UNBUFFERED)) != F_PUTTING ||
	    __atomic_load_n(&sio_lent_n, __ATOMIC_RELAXED) || !f->_IO_write_ptr ||
	    (size_t)(f->_IO_buf_end - f->_IO_write_ptr) < len)
		return 0;
	if ((f->_flags & F_LINE_BUF) && (newline || __builtin_memchr(data, '\n', len)))
		return 0;
	return sio_lock_state(f) != SIO_LOCK_OTHER;
}

struct sio {
	struct co *self;
	FILE *f;
	int fd;
	struct fdent *e;
	int ours;        /* this worker holds the FILE lock */
	int lent;        /* ... and lent it to this call's wait */
	int stream_sock; /* a SOCK_STREAM socket: MSG_PEEK can look ahead */
	int file;        /* a regular file: input asks the page cache */
	enum park_reason why;
};

/* Is f a stream on a descriptor that can make this coroutine wait, with
 * other coroutines to run meanwhile? 0: call the real function. Else fills
 * io for one of the two below. */
int sio_watch(struct sio *io, FILE *f);

/* An input call that needs `need` more bytes (SIZE_MAX: unknown) or, with
 * delim >= 0, the bytes up to delim. */
int sio_in(struct sio *io, size_t need, int delim);

/* An output call that adds data[0..len); how: 0, or SIO_FLUSH (data NULL,
 * len 0: empty the buffer), or SIO_NEWLINE (data[0..len-1) and a newline,
 * as puts writes). */
enum { SIO_FLUSH = 1, SIO_NEWLINE = 2 };
int sio_out(struct sio *io, const void *data, size_t len, int how);

/* Run fn(a) on the pool for a call that sio_in/sio_out sent there: a[0..5]
 * are the caller's; a[6] becomes io->ours: call the _unlocked form (or a
 * locked one between sio_lock_skip(f, 1) and (f, 0), where there is none).
 * Returns fn's result, or `fail` with the error flag and EINTR set when a
 * signal stopped the call before a pool thread took it. */
long sio_pool(struct sio *io, enum bcall id, long (*fn)(const long *a), long fail,
	      const long a[7]);
void sio_lock_skip(FILE *f, int on);

/* After the call that sio_watch let through: a lent FILE comes back. */
void sio_done(struct sio *io);

/* The failure a stdio call reports when a read or write was interrupted
 * with nothing done: the stream's error flag, and errno. */
void sio_fail(FILE *f, int err);

#endif
