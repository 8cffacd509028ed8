/* stdio that would wait: the decision shared by the input (stdio_in.c) and
 * output (stdio_out.c) hooks, made in shim/stdio.c.
 *
 * glibc's FILE functions reach read and write through private aliases, so
 * our read and write hooks never see them: a coroutine in fgets on a socket
 * would wait in the kernel and hold its worker. Before each call we look at
 * the FILE (its buffer, its lock) and at the descriptor (what has arrived,
 * what room there is) and decide:
 *   SIO_INLINE  the call cannot wait (or the stream is one we leave alone:
 *               a regular file, a stream without a descriptor, a descriptor
 *               the program made non-blocking): call the real function;
 *   SIO_POOL    it may wait: run it on the blocking-call pool (sio_pool);
 *   SIO_INTR    a signal ended our wait for input before anything was
 *               consumed: the call fails as natively (error flag, EINTR).
 * An input call with nothing buffered and nothing arrived parks on epoll
 * first, holding no thread: a server with thousands of idle connections in
 * fgets costs no pool threads.
 *
 * The FILE lock: a pool thread takes it as its own, so other threads (and
 * other coroutines, whose calls then go to the pool too) wait for it as
 * natively. When the caller holds it (its flockfile), the pool
 * thread calls the _unlocked form on the caller's behalf, and the FILE is
 * marked lent: other coroutines' calls on it wait until the call returns. */
#ifndef SHIM_STDIO_H
#define SHIM_STDIO_H

#include <stdio.h>

#include "shim/blocking.h"

enum { SIO_INLINE, SIO_POOL, SIO_INTR };

struct sio {
	struct co *self;
	FILE *f;
	int fd;
	struct fdent *e;
	int ours;        /* the caller holds the FILE lock */
	int lent;        /* ... and lent it to this call's wait */
	int stream_sock; /* a SOCK_STREAM socket: MSG_PEEK can look ahead */
	int pipe;        /* a pipe or FIFO: a read of what FIONREAD counts cannot wait */
	int err_stops;   /* set by the caller: the error flag ends the call at once (getdelim) */
	int direct;      /* ... the call may read into the caller's memory (fread) */
	int file;        /* a regular file: input asks the page cache */
	enum park_reason why;
};

/* Before a call that runs in place (the real function): when another
 * thread holds f's lock, wait for it as flockfile does, parked, so that the
 * call's own locking cannot hold up the worker; 1: the caller unlocks
 * after. sio_run_held does the three steps for fn(a). */
int sio_wait_lock(FILE *f);
long sio_run_held(FILE *f, long (*fn)(const long *a), const long *a);

/* Is f a stream on a descriptor that can make this coroutine wait, with
 * other coroutines to run meanwhile? 0: call the real function. Else fills
 * io for one of the two below. */
int sio_watch(struct sio *io, FILE *f);

/* Does f's buffer hold what an input call needs (as sio_in takes it), and
 * nobody else holds or borrowed its lock? Then the call cannot wait, on
 * whatever f reads: the common case, answered before sio_watch. */
int sio_buffered(FILE *f, size_t need, int delim);

/* The same for output: data[0..len) fits the buffer without emptying it
 * (newline: a newline follows, as puts writes), nothing keeps us off. */
int sio_buffered_out(FILE *f, const void *data, size_t len, int newline);

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
