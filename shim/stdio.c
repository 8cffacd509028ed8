/* Will this stdio call wait? (stdio.h says what follows from the answer.)
 *
 * We read glibc's FILE: the public struct _IO_FILE fields, its lock
 * (_IO_lock_t: lock word, count, owner) and the flag bits below, which have
 * kept their values since libio began. Everything is a read, except the
 * error flag (sio_fail sets it as glibc would; sio_pool takes back the one
 * a cancelled call's interruption set), and a pipe's empty buffer, which
 * sio_in has glibc's own __underflow refill. */
#include <fcntl.h>
#include <linux/futex.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>

#include "shim/shim.h"
#include "shim/stdio.h"
#include "sched/park.h"
#include "sched/sys.h"

#define F_UNBUFFERED 0x0002
#define F_NO_READS 0x0004
#define F_NO_WRITES 0x0008
#define F_EOF_SEEN 0x0010
#define F_ERR_SEEN 0x0020
#define F_LINKED 0x0080
#define F_IN_BACKUP 0x0100
#define F_LINE_BUF 0x0200
#define F_PUTTING 0x0800
#define F_USER_LOCK 0x8000

struct file_lock {
	int lock, cnt;
	void *owner;
};

/* FILEs whose lock the caller holds and lent to a pool call, so that
 * other coroutines (to whom the lock looks like their own while
 * thread-local storage is shared per worker, cls/tls.h)
 * keep off them until it returns. Rarely more than one. */
#define LENT_MAX 64
static FILE *lent[LENT_MAX];
static int lent_n, lent_lock, lent_gen;

static int is_lent(FILE *f)
{
	for (int i = 0; i < LENT_MAX; i++)
		if (__atomic_load_n(&lent[i], __ATOMIC_ACQUIRE) == f)
			return 1;
	return 0;
}

static void lent_wait(FILE *f)
{
	while (__atomic_load_n(&lent_n, __ATOMIC_ACQUIRE)) {
		int g = __atomic_load_n(&lent_gen, __ATOMIC_ACQUIRE);
		if (!is_lent(f))
			return;
		addr_wait(&lent_gen, g, -1, 0);
	}
}

/* Mark f lent (0), or find no room (-1: the call then runs in place). */
static int lend(FILE *f)
{
	int r = -1;
	spin_lock(&lent_lock);
	for (int i = 0; i < LENT_MAX && r; i++)
		if (!lent[i]) {
			__atomic_store_n(&lent[i], f, __ATOMIC_RELEASE);
			lent_n++;
			r = 0;
		}
	spin_unlock(&lent_lock);
	return r;
}

static void give_back(FILE *f)
{
	spin_lock(&lent_lock);
	for (int i = 0; i < LENT_MAX; i++)
		if (lent[i] == f) {
			__atomic_store_n(&lent[i], NULL, __ATOMIC_RELEASE);
			lent_n--;
			break;
		}
	spin_unlock(&lent_lock);
	__atomic_add_fetch(&lent_gen, 1, __ATOMIC_RELEASE);
	addr_wake(&lent_gen, INT_MAX);
}

/* In a forked child: the lenders are gone with their threads. */
void stdio_atfork_child(void)
{
	memset(lent, 0, sizeof lent);
	lent_n = lent_lock = 0;
}

int sio_watch(struct sio *io, FILE *f)
{
	struct co *self = co_self();
	if (!self || co_may_block(self->w) || !f || f->_fileno < 0 || f->_mode > 0)
		return 0;
	struct fdent *e = fd_known(f->_fileno);
	if (!e)
		return 0;
	struct fdview *v = view(e);
	if (v->user_nb || v->kind == FD_UNKNOWN || (e->unpollable && v->kind != FD_REG))
		return 0;
	lent_wait(f);
	*io = (struct sio){ .self = self, .f = f, .fd = f->_fileno, .e = e, .why = PARK_READ,
			    .file = v->kind == FD_REG,
			    .stream_sock = v->kind == FD_SOCK && v->socktype == SOCK_STREAM,
			    .pipe = v->kind == FD_PIPE };
	return 1;
}

/* Another thread holds f's lock: taking it would wait. */
static int lock_elsewhere(struct sio *io)
{
	struct file_lock *l = io->f->_lock;
	if (!l || (io->f->_flags & F_USER_LOCK))
		return 0;
	void *owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
	if (owner == (void *)sys_thread_self()) {
		io->ours = 1;
		return 0;
	}
	return __atomic_load_n(&l->lock, __ATOMIC_RELAXED) != 0;
}

/* glibc's lll_lock of a FILE lock word, on a pool thread for the caller:
 * 2 says someone waits, so whoever lets go wakes the next. */
static long take_lock_word(const long *a)
{
	int *word = (int *)a[0];
	while (__atomic_exchange_n(word, 2, __ATOMIC_ACQUIRE) != 0)
		SYS6(SYS_futex, word, FUTEX_WAIT_PRIVATE, 2, 0, 0, 0);
	return 0;
}

/* flockfile: a FILE held by another thread (a coroutine parked holding
 * it, say) is waited for on the pool, so the holder, perhaps on this
 * worker, runs meanwhile and can let go. With thread-local storage per
 * coroutine, the lock's owner is the coroutine (glibc compares it with the
 * thread pointer); shared per worker, every coroutine of the worker owns
 * it, as before. */
EXPORT void flockfile(FILE *f)
{
	struct co *self = co_self();
	struct file_lock *l = f ? f->_lock : NULL;
	if (!self || !l || (f->_flags & F_USER_LOCK) || co_may_block(self->w)) {
		REAL_FN(flockfile)(f);
		return;
	}
	void *me = (void *)sys_thread_self();
	int free_word = 0;
	if (l->owner != me &&
	    !__atomic_compare_exchange_n(&l->lock, &free_word, 1, 0, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED)) {
		struct bjob b = { .fn = take_lock_word, .a = { (long)&l->lock }, .fd = f->_fileno };
		blocking(self, BC_FLOCKFILE, 0, PARK_LOCK, &b);
	} else if (l->owner == me) {
		l->cnt++;
		return;
	}
	l->owner = me;
	l->cnt = 1;
}

EXPORT void _IO_flockfile(FILE *f)
{
	flockfile(f);
}

int sio_wait_lock(FILE *f)
{
	struct sio io = { .f = f };
	if (!f || !co_self() || !lock_elsewhere(&io))
		return 0;
	flockfile(f);
	return 1;
}

long sio_run_held(FILE *f, long (*fn)(const long *a), const long *a)
{
	int held = sio_wait_lock(f);
	long r = fn(a);
	if (held) {
		int e = errno;
		funlockfile(f);
		errno = e;
	}
	return r;
}

static short poll_now(int fd, short ev)
{
	struct pollfd p = { fd, ev, 0 };
	return SYS(SYS_poll, &p, 1, 0) == 1 ? p.revents : 0;
}

/* Bytes the kernel holds for reading (input) or holds unsent (output);
 * -1 when the descriptor cannot say. */
static long queued(int fd, unsigned long req)
{
	int n = 0;
	return SYS(SYS_ioctl, fd, req, &n) == 0 ? n : -1;
}

/* Does what has arrived on a stream socket hold delim? */
static int peek_has(int fd, long k, int delim)
{
	char buf[1024];
	long r = SYS6(SYS_recvfrom, fd, buf, k < (long)sizeof buf ? k : (long)sizeof buf,
		      MSG_PEEK | MSG_DONTWAIT, 0, 0);
	return r > 0 && memchr(buf, delim, r);
}

/* Does f's buffer hold `need` bytes, or delim? *have: the bytes it holds.
 * While f reads back what ungetc pushed (the backup area), the rest of the
 * main get area follows it: glibc swaps the two, so that rest lies between
 * _IO_save_base and _IO_save_end. */
static int in_buffer(FILE *f, size_t need, int delim, size_t *have)
{
	size_t n1 = f->_IO_read_ptr ? f->_IO_read_end - f->_IO_read_ptr : 0, n2 = 0;
	if ((f->_flags & F_IN_BACKUP) && f->_IO_save_base)
		n2 = f->_IO_save_end - f->_IO_save_base;
	*have = n1 + n2;
	if (*have >= need)
		return 1;
	return delim >= 0 && ((n1 && memchr(f->_IO_read_ptr, delim, n1)) ||
			      (n2 && memchr(f->_IO_save_base, delim, n2)));
}

int sio_buffered(FILE *f, size_t need, int delim)
{
	size_t have;
	struct sio io = { .f = f };
	return !(f->_flags & F_PUTTING) && in_buffer(f, need, delim, &have) &&
	       !lock_elsewhere(&io) && !(lent_n && is_lent(f));
}

int sio_buffered_out(FILE *f, const void *data, size_t len, int newline)
{
	if ((f->_flags & (F_PUTTING | F_UNBUFFERED)) != F_PUTTING || !f->_IO_write_ptr ||
	    (size_t)(f->_IO_buf_end - f->_IO_write_ptr) < len ||
	    ((f->_flags & F_LINE_BUF) && (newline || memchr(data, '\n', len))))
		return 0;
	struct sio io = { .f = f };
	return !lock_elsewhere(&io) && !(lent_n && is_lent(f));
}

/* fread reads what its buffer cannot hold straight into the caller's
 * memory (_IO_file_xsgetn), without the checks of a refill: at least a
 * buffer's worth. A stream yet without one gets BUFSIZ, or the file's block
 * size when smaller (_IO_file_doallocate). */
static size_t read_block(FILE *f)
{
	if (f->_IO_buf_base)
		return f->_IO_buf_end - f->_IO_buf_base;
	struct stat st;
	if (SYS(SYS_fstat, f->_fileno, &st, 0) == 0 && st.st_blksize > 0 && st.st_blksize < BUFSIZ)
		return st.st_blksize;
	return BUFSIZ;
}

/* Will this call read `want` bytes past the buffer that way? */
static int reads_direct(struct sio *io, size_t want)
{
	return io->direct && want >= read_block(io->f);
}

static int room_for(struct sio *io, size_t amount);

/* Refilling a line-buffered or unbuffered stream takes stdout's lock, and
 * empties stdout first when that is line-buffered (_IO_new_file_underflow):
 * may that wait? Then the call goes to the pool. */
static int refill(struct sio *io)
{
	FILE *f = io->f, *o = stdout;
	if (!(f->_flags & (F_LINE_BUF | F_UNBUFFERED)) || !o || o == f)
		return SIO_INLINE;
	struct sio out = { .f = o, .fd = o->_fileno };
	if (lock_elsewhere(&out) || (lent_n && is_lent(o)))
		return SIO_POOL;
	if ((o->_flags & (F_LINKED | F_NO_WRITES | F_LINE_BUF)) != (F_LINKED | F_LINE_BUF) ||
	    !(o->_flags & F_PUTTING) || o->_IO_write_ptr <= o->_IO_write_base || out.fd < 0 ||
	    !(out.e = fd_known(out.fd)))
		return SIO_INLINE;
	struct fdview *v = view(out.e);
	if (v->user_nb || out.e->unpollable || v->kind == FD_REG || v->kind == FD_UNKNOWN ||
	    room_for(&out, o->_IO_write_ptr - o->_IO_write_base))
		return SIO_INLINE;
	return SIO_POOL;
}

int sio_in(struct sio *io, size_t need, int delim)
{
	FILE *f = io->f;
	int refilled = 0;
	/* Each turn looks again: while we were parked, another thread may
	 * have taken the lock, or read what came into the buffer. */
	for (;;) {
		if (lock_elsewhere(io))
			return SIO_POOL;
		if (io->err_stops && (f->_flags & F_ERR_SEEN))
			return SIO_INLINE; /* getdelim fails at once */
		size_t have = 0;
		if (f->_flags & F_PUTTING) {
			if (f->_IO_write_ptr > f->_IO_write_base)
				return SIO_POOL; /* output to flush first, even at end of file */
		} else if (in_buffer(f, need, delim, &have)) {
			return SIO_INLINE;
		}
		/* End of file is sticky: no read, but for fread past its buffer
		 * (a terminal then reads again). */
		if ((f->_flags & (F_EOF_SEEN | F_NO_READS)) && !reads_direct(io, need - have))
			return SIO_INLINE; /* ... as a stream not open for reading: EBADF */
		/* From here on the call reads the descriptor. */
		if (io->file) {
			/* a refill of the buffer, or a read straight into the
			 * caller's memory when it wants more than a buffer */
			size_t buf = read_block(f);
			size_t look = need != SIZE_MAX && need - have > buf ? need - have : buf;
			return disk_cached(io->fd, io->e, look) ? refill(io) : SIO_POOL;
		}
		long k = queued(io->fd, FIONREAD);
		if (k < 0)
			return refill(io);
		if (k > 0 && (have + k >= need || (delim >= 0 && io->stream_sock &&
						   peek_has(io->fd, k, delim))))
			return refill(io);
		if (k > 0 && !have && delim >= 0 && io->pipe && !refilled &&
		    refill(io) == SIO_INLINE && ftrylockfile(f) == 0) {
			/* A pipe cannot be looked into: bring what has come into
			 * the empty buffer, the refill the call would make first
			 * (a read of what is there cannot wait), then look again.
			 * A line written whole is then found in the buffer. */
			REAL_FN(__underflow)(f);
			funlockfile(f);
			refilled = 1;
			continue;
		}
		short ev = poll_now(io->fd, POLLIN | POLLRDHUP);
		if (ev & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL))
			return refill(io); /* the rest, then end of file or an error */
		if (k > 0 || have > 0)
			return SIO_POOL; /* a part has come: the read must wait for more */
		if (ev & POLLIN)
			return refill(io);
		/* Nothing buffered, nothing arrived: wait without a thread. An
		 * interruption here fails the call exactly as natively, since it
		 * has consumed nothing yet. */
		if (io->ours && !io->lent)
			io->lent = lend(f) == 0;
		int w = fd_wait(io->fd, io->e, EPOLLIN, -1, PARK_READ);
		if (w == -EINTR) {
			/* A cancellation acts in intr_restart and does not come
			 * back: the FILE must not stay lent. The next turn lends
			 * it again. */
			if (io->lent) {
				give_back(f);
				io->lent = 0;
			}
			if (!intr_restart(io->self, 1)) {
				sio_fail(f, EINTR);
				return SIO_INTR;
			}
		}
		if (w < 0 && w != -EINTR)
			return SIO_INLINE; /* closed meanwhile: the real call says so */
	}
}

/* Can the kernel take `amount` bytes now without waiting? */
static int room_for(struct sio *io, size_t amount)
{
	short ev = poll_now(io->fd, POLLOUT);
	if (ev & (POLLERR | POLLHUP | POLLNVAL))
		return 1; /* the write fails at once */
	if (!(ev & POLLOUT))
		return 0;
	if (amount <= PIPE_BUF)
		return 1; /* one free pipe slot, or a writable socket, takes it */
	enum fd_kind kind = view(io->e)->kind;
	if (kind == FD_PIPE) {
		long cap = sys_fcntl(io->fd, F_GETPIPE_SZ, 0);
		return queued(io->fd, FIONREAD) == 0 && cap > 0 && amount <= (size_t)cap;
	}
	if (kind == FD_CHR) {
		struct termios t;
		return SYS(SYS_ioctl, io->fd, TCGETS, &t) != 0; /* /dev/null and such */
	}
	if (kind == FD_SOCK) {
		int sndbuf = 0;
		socklen_t len = sizeof sndbuf;
		long out = queued(io->fd, TIOCOUTQ);
		if (out < 0 || SYS6(SYS_getsockopt, io->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len, 0))
			return 0;
		/* the kernel charges buffers with their overhead: allow half */
		return sndbuf > out && amount <= (size_t)(sndbuf - out) / 2;
	}
	return 0;
}

int sio_out(struct sio *io, const void *data, size_t len, int how)
{
	FILE *f = io->f;
	io->why = PARK_WRITE;
	if (lock_elsewhere(io))
		return SIO_POOL;
	if (io->file)
		return SIO_INLINE; /* a copy into the page cache, as write(2) is here */
	if (f->_flags & F_NO_WRITES)
		return SIO_INLINE; /* a stream not open for writing: EBADF */
	size_t pending = 0, room = 0;
	if (f->_flags & F_PUTTING) {
		pending = f->_IO_write_ptr - f->_IO_write_base;
		room = f->_IO_buf_end - f->_IO_write_ptr;
	} else if (f->_IO_buf_base && f->_IO_read_ptr == f->_IO_read_end) {
		room = f->_IO_buf_end - f->_IO_read_ptr;
	}
	int kernel;
	if (how == SIO_FLUSH)
		kernel = pending > 0;
	else if (f->_flags & F_UNBUFFERED)
		kernel = len > 0;
	else if (len > room)
		kernel = 1;
	else
		kernel = (f->_flags & F_LINE_BUF) &&
			 (how == SIO_NEWLINE || memchr(data, '\n', len));
	if (!kernel)
		return SIO_INLINE;
	size_t amount = pending + len;
	if (how != SIO_FLUSH && len > room && (f->_flags & F_PUTTING) &&
	    !(f->_flags & (F_LINE_BUF | F_UNBUFFERED))) {
		/* A fully buffered stream fills its buffer, writes it, writes
		 * whole blocks of the rest straight from data and keeps what
		 * is left (_IO_new_file_xsputn): for a short text, one write of
		 * a buffer's worth, which a pipe takes whole when it has a free
		 * slot. */
		size_t block = f->_IO_buf_end - f->_IO_buf_base, rest = len - room;
		amount = pending + room + (block >= 128 ? rest - rest % block : rest);
	}
	return room_for(io, amount) ? SIO_INLINE : SIO_POOL;
}

void sio_done(struct sio *io)
{
	if (io->lent) {
		give_back(io->f);
		io->lent = 0;
		cancel_point(io->self);
	}
}

void sio_fail(FILE *f, int err)
{
	f->_flags |= F_ERR_SEEN;
	errno = err;
}

/* The pool thread acts for a caller that holds f's lock: glibc's locked
 * functions skip the lock on a FILE with the user-lock flag. Only while f
 * is lent, so nobody else looks. */
void sio_lock_skip(FILE *f, int on)
{
	if (on)
		f->_flags |= F_USER_LOCK;
	else
		f->_flags &= ~F_USER_LOCK;
}

long sio_pool(struct sio *io, enum bcall id, long (*fn)(const long *a), long fail,
	      const long a[7])
{
	struct bjob b = { .fn = fn, .fd = io->fd };
	memcpy(b.a, a, sizeof b.a);
	b.a[6] = io->ours;
	unsigned flags = BC_INTR | BC_RESTART | BC_CANCEL;
	long r;
	if (io->ours) {
		/* A lent FILE must come back: a cancellation waits for the
		 * call's end, then acts (sio_done). */
		cancel_point(io->self);
		if (!io->lent && !(io->lent = lend(io->f) == 0))
			return fn(b.a); /* no room to mark it: rather wait here than race */
		r = blocking(io->self, id, flags & ~BC_CANCEL, io->why, &b);
	} else {
		int had_err = io->f->_flags & F_ERR_SEEN;
		r = blocking(io->self, id, flags, io->why, &b);
		/* A cancellation interrupted the read or write in the pool
		 * thread: natively it acts there, so the call neither returns
		 * nor marks the stream. */
		if (r != -EINTR && errno == EINTR && !had_err && (io->f->_flags & F_ERR_SEEN) &&
		    io->self->cancel_pending && !io->self->cancel_disabled) {
			__atomic_and_fetch(&io->f->_flags, ~F_ERR_SEEN, __ATOMIC_RELAXED);
			cancel_act(io->self);
		}
	}
	if (r == -EINTR) {
		sio_fail(io->f, EINTR);
		return fail;
	}
	return r;
}
