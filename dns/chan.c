/* c-ares channels driven by the calling coroutine (see internal.h).
 *
 * c-ares makes its sockets through the functions we hand it, so they are
 * raw system calls that never enter our own hooks, and each socket is
 * entered in the descriptor table as non-blocking: the wait below parks on
 * it like on any other. The few plain libc calls c-ares makes on them
 * (fcntl, setsockopt) are non-blocking and our hooks pass them through.
 * Waiting goes through our poll(), which parks a coroutine and simply
 * blocks any other thread (blocking is what the native call does there). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "dns/internal.h"
#include "preload/log.h"
#include "sched/netpoll.h"
#include "sched/sys.h"

static ares_socket_t chan_socket(int dom, int type, int proto, void *u)
{
	long fd = SYS(SYS_socket, dom, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0) {
		errno = -fd;
		return ARES_SOCKET_BAD;
	}
	fd_fresh(fd); /* a stale entry of the number goes; the shim learns the rest */
	return fd;
}

static int chan_close(ares_socket_t fd, void *u)
{
	fd_forget(fd);
	long r = sys_close(fd);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

static int chan_connect(ares_socket_t fd, const struct sockaddr *sa, ares_socklen_t len, void *u)
{
	long r = SYS(SYS_connect, fd, sa, len);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

static ares_ssize_t chan_recvfrom(ares_socket_t fd, void *buf, size_t n, int flags,
				  struct sockaddr *from, ares_socklen_t *fromlen, void *u)
{
	long r = SYS6(SYS_recvfrom, fd, buf, n, flags, from, fromlen);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return r;
}

static ares_ssize_t chan_sendv(ares_socket_t fd, const struct iovec *iov, int n, void *u)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = n };
	long r = SYS(SYS_sendmsg, fd, &m, MSG_NOSIGNAL);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return r;
}

static const struct ares_socket_functions chan_funcs = {
	chan_socket, chan_close, chan_connect, chan_recvfrom, chan_sendv,
};

static int library_ready;

int dns_chan_open(struct dns_chan *c)
{
	/* /etc/hosts is read through glibc's own backend (lookup.c): c-ares
	 * only ever asks the DNS. */
	struct ares_options o = { .lookups = (char *)"b" };
	return dns_chan_open_options(c, &o, ARES_OPT_LOOKUPS);
}

int dns_chan_open_options(struct dns_chan *c, struct ares_options *o, int mask)
{
	if (!__atomic_load_n(&library_ready, __ATOMIC_ACQUIRE)) {
		int r = ares_library_init(ARES_LIB_INIT_ALL);
		if (r != ARES_SUCCESS)
			return r;
		__atomic_store_n(&library_ready, 1, __ATOMIC_RELEASE);
	}
	c->pending = 0;
	int r = ares_init_options(&c->ch, o, mask);
	if (r != ARES_SUCCESS) {
		LOG(LOG_DNS, "dns: c-ares channel: %s", ares_strerror(r));
		return r;
	}
	ares_set_socket_functions(c->ch, &chan_funcs, NULL);
	return ARES_SUCCESS;
}

void dns_chan_close(struct dns_chan *c)
{
	ares_destroy(c->ch);
}

static void answered(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_answer *a = arg;
	a->status = status;
	a->buf = NULL;
	a->len = 0;
	if (abuf && alen > 0 && (a->buf = malloc(alen))) {
		memcpy(a->buf, abuf, alen);
		a->len = alen;
	}
}

struct pend {
	struct dns_chan *c;
	struct dns_answer *a;
};

static void answered_pend(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct pend *p = arg;
	answered(p->a, status, timeouts, abuf, alen);
	p->c->pending--;
	free(p);
}

static struct pend *pend_new(struct dns_chan *c, struct dns_answer *a)
{
	struct pend *p = malloc(sizeof *p);
	a->status = ARES_ENOMEM;
	a->buf = NULL;
	a->len = 0;
	if (!p)
		return NULL;
	p->c = c;
	p->a = a;
	c->pending++;
	return p;
}

void dns_query(struct dns_chan *c, const char *name, int type, int search, struct dns_answer *a)
{
	struct pend *p = pend_new(c, a);
	if (!p)
		return;
	LOG(LOG_DNS, "dns: %s %s type %d", search ? "search" : "query", name, type);
	if (search)
		ares_search(c->ch, name, 1 /* C_IN */, type, answered_pend, p);
	else
		ares_query(c->ch, name, 1 /* C_IN */, type, answered_pend, p);
}

void dns_send(struct dns_chan *c, const unsigned char *q, int qlen, struct dns_answer *a)
{
	struct pend *p = pend_new(c, a);
	if (p)
		ares_send(c->ch, q, qlen, answered_pend, p);
}

void dns_chan_run(struct dns_chan *c)
{
	while (c->pending > 0) {
		ares_socket_t socks[ARES_GETSOCK_MAXNUM];
		struct pollfd p[ARES_GETSOCK_MAXNUM];
		int bits = ares_getsock(c->ch, socks, ARES_GETSOCK_MAXNUM), n = 0;
		for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			short ev = (ARES_GETSOCK_READABLE(bits, i) ? POLLIN : 0) |
				   (ARES_GETSOCK_WRITABLE(bits, i) ? POLLOUT : 0);
			if (ev)
				p[n++] = (struct pollfd){ .fd = socks[i], .events = ev };
		}
		struct timeval tv, *tvp = ares_timeout(c->ch, NULL, &tv);
		if (!n && !tvp)
			break;   /* nothing can make progress: ares_destroy ends them */
		int ms = tvp ? (int)(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000) : -1;
		int saved = errno;
		int r = poll(p, n, ms);
		errno = saved;
		if (r <= 0) {
			ares_process_fd(c->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
			continue;
		}
		for (int i = 0; i < n; i++) {
			short re = p[i].revents;
			if (re)
				ares_process_fd(c->ch,
						re & (POLLIN | POLLERR | POLLHUP) ? p[i].fd : ARES_SOCKET_BAD,
						re & (POLLOUT | POLLERR | POLLHUP) ? p[i].fd : ARES_SOCKET_BAD);
		}
	}
}

void dns_answer_free(struct dns_answer *a)
{
	free(a->buf);
	a->buf = NULL;
	a->len = 0;
}

enum nss_status dns_status_nss(int st, int *herr)
{
	switch (st) {
	case ARES_SUCCESS:     /* *herr untouched, as glibc's backend leaves it */
		return NSS_STATUS_SUCCESS;
	case ARES_ENODATA:
		*herr = NO_DATA;
		return NSS_STATUS_NOTFOUND;
	case ARES_ENOTFOUND:
		*herr = HOST_NOT_FOUND;
		return NSS_STATUS_NOTFOUND;
	case ARES_EFORMERR:
	case ARES_ENOTIMP:
	case ARES_EREFUSED:
	case ARES_EBADRESP:
	case ARES_EBADNAME:
		*herr = NO_RECOVERY;
		return NSS_STATUS_NOTFOUND;
	case ARES_ENOMEM:
		*herr = NETDB_INTERNAL;
		errno = ENOMEM;
		return NSS_STATUS_TRYAGAIN;
	default:        /* timeouts, SERVFAIL, refused connections */
		*herr = TRY_AGAIN;
		return NSS_STATUS_TRYAGAIN;
	}
}
