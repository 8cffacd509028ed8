/*
 * demo_client - load generator for demo_server: one process, one thread, one
 * epoll set.  It opens N keep-alive connections at once and sends M requests
 * on each, one at a time per connection; the second request on any connection
 * waits until every connection has had its first answer, so that the server
 * really holds all N at once.  It checks every response (status 200 and the
 * expected body) and prints the request rate:
 *
 *   demo_client --port P [--host ADDR] [--conns N] [--requests M]
 *               [--path /] [--timeout SECONDS]
 *
 * Exit status 0 when every request got the expected answer, 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BODY "Hello from demo_server, one thread per connection.\n"
#define BUF_MAX 2048

enum state { CONNECTING, SENDING, RECEIVING, HELD, DONE };

struct conn {
	long id;	/* 1..N */
	int fd;
	enum state state;
	int done;	/* requests answered on this connection */
	size_t sent;	/* bytes of the current request sent */
	size_t len;	/* bytes of the current response received */
	char buf[BUF_MAX];
};

static char request[512];
static size_t request_len;
static int requests_per_conn = 10;
static long ok, failed, finished_conns, held_conns;
static int released;
static const char *program = "demo_client";

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(struct conn *c, const char *what)
{
	if (failed < 5)
		fprintf(stderr, "%s: connection %ld, request %d: %s\n", program,
			c->id, c->done + 1, what);
	else if (failed == 5)
		fprintf(stderr, "%s: more errors...\n", program);
	failed++;
	close(c->fd);
	c->state = DONE;
	finished_conns++;
}

/* Is the response in c->buf complete?  1 yes, 0 not yet, -1 malformed. */
static int check_response(struct conn *c, const char **why)
{
	char *hend = memmem(c->buf, c->len, "\r\n\r\n", 4);
	if (!hend) {
		if (c->len == sizeof c->buf) {
			*why = "response headers too long";
			return -1;
		}
		return 0;
	}
	if (c->len < 12 || memcmp(c->buf, "HTTP/1.1 ", 9) != 0) {
		*why = "not an HTTP/1.1 response";
		return -1;
	}
	long clen = -1;
	for (char *p = memmem(c->buf, c->len, "\r\n", 2) + 2; p < hend;) {
		char *eol = memmem(p, hend + 2 - p, "\r\n", 2);
		if (strncasecmp(p, "Content-Length:", 15) == 0)
			clen = strtol(p + 15, NULL, 10);
		p = eol + 2;
	}
	if (clen < 0) {
		*why = "no Content-Length";
		return -1;
	}
	size_t total = hend + 4 - c->buf + clen;
	if (total > sizeof c->buf) {
		*why = "response too long";
		return -1;
	}
	if (c->len < total)
		return 0;
	if (c->len > total) {
		*why = "more data than one response";
		return -1;
	}
	if (memcmp(c->buf + 9, "200 ", 4) != 0) {
		*why = "status is not 200";
		return -1;
	}
	if ((size_t)clen != strlen(BODY) || memcmp(hend + 4, BODY, clen) != 0) {
		*why = "unexpected body";
		return -1;
	}
	return 1;
}

/* Move connection c as far as it can go without blocking. */
static void drive(struct conn *c)
{
	for (;;) {
		switch (c->state) {
		case CONNECTING: {
			int err = 0;
			socklen_t l = sizeof err;
			getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
			if (err == EINPROGRESS || err == EALREADY)
				return;
			if (err) {
				fail(c, strerror(err));
				return;
			}
			/* connect() completes with EPOLLOUT; no error yet may also
			 * mean not connected yet. */
			struct sockaddr_storage ss;
			socklen_t sl = sizeof ss;
			if (getpeername(c->fd, (struct sockaddr *)&ss, &sl) < 0) {
				if (errno == ENOTCONN)
					return;
				fail(c, strerror(errno));
				return;
			}
			c->state = SENDING;
			c->sent = 0;
			break;
		}
		case SENDING: {
			ssize_t n = send(c->fd, request + c->sent,
					 request_len - c->sent, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					return;
				fail(c, strerror(errno));
				return;
			}
			c->sent += n;
			if (c->sent == request_len) {
				c->state = RECEIVING;
				c->len = 0;
			}
			break;
		}
		case RECEIVING: {
			ssize_t n = recv(c->fd, c->buf + c->len,
					 sizeof c->buf - c->len, 0);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					return;
				fail(c, strerror(errno));
				return;
			}
			if (n == 0) {
				fail(c, "connection closed by the server");
				return;
			}
			c->len += n;
			const char *why = NULL;
			int r = check_response(c, &why);
			if (r < 0) {
				fail(c, why);
				return;
			}
			if (r == 0)
				break;
			ok++;
			if (++c->done == requests_per_conn) {
				close(c->fd);
				c->state = DONE;
				finished_conns++;
				return;
			}
			if (c->done == 1 && !released) {
				/* Hold the second request until every connection
				 * has had its first answer, so that the server
				 * really holds them all at once. */
				c->state = HELD;
				held_conns++;
				return;
			}
			c->state = SENDING;
			c->sent = 0;
			break;
		}
		case HELD:
		case DONE:
			return;
		}
	}
}

static long number(const char *opt, const char *s, long min, long max)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "%s: invalid value '%s' for %s (%ld..%ld)\n",
			program, s, opt, min, max);
		exit(2);
	}
	return v;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: demo_client --port P [--host ADDR] [--conns N] "
		   "[--requests M] [--path /] [--timeout SECONDS]\n");
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1", *path = "/";
	long port = -1, nconns = 100, timeout = 60;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (i + 1 >= argc) {
			usage(stderr);
			return 2;
		}
		const char *v = argv[++i];
		if (strcmp(a, "--host") == 0)
			host = v;
		else if (strcmp(a, "--port") == 0)
			port = number(a, v, 1, 65535);
		else if (strcmp(a, "--conns") == 0)
			nconns = number(a, v, 1, 1000000);
		else if (strcmp(a, "--requests") == 0)
			requests_per_conn = number(a, v, 1, 1000000);
		else if (strcmp(a, "--path") == 0)
			path = v;
		else if (strcmp(a, "--timeout") == 0)
			timeout = number(a, v, 1, 86400);
		else {
			usage(stderr);
			return 2;
		}
	}
	if (port < 0) {
		usage(stderr);
		return 2;
	}

	struct sockaddr_storage ss;
	socklen_t sslen;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sslen = sizeof *sin;
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sslen = sizeof *sin6;
	} else {
		fprintf(stderr, "%s: invalid address '%s'\n", program, host);
		return 2;
	}

	/* One descriptor per connection: make sure there are enough. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)nconns + 16) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < (rlim_t)nconns + 16) {
			fprintf(stderr, "%s: %ld connections need %ld descriptors, "
				"the limit is %ld (ulimit -n)\n", program, nconns,
				nconns + 16, (long)rl.rlim_cur);
			return 2;
		}
	}

	request_len = snprintf(request, sizeof request,
			       "GET %s HTTP/1.1\r\nHost: %s:%ld\r\n"
			       "User-Agent: demo_client\r\n\r\n",
			       path, host, port);
	if (request_len >= sizeof request) {
		fprintf(stderr, "%s: path too long\n", program);
		return 2;
	}

	struct conn *conns = calloc(nconns, sizeof *conns);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (!conns || ep < 0) {
		perror(program);
		return 1;
	}

	double start = now();
	for (long i = 0; i < nconns; i++) {
		struct conn *c = &conns[i];
		c->id = i + 1;
		c->fd = socket(ss.ss_family,
			       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (c->fd < 0) {
			perror("demo_client: socket");
			return 1;
		}
		int one = 1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		struct epoll_event ev = {
			.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
			.data.ptr = c,
		};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
			perror("demo_client: epoll_ctl");
			return 1;
		}
		c->state = CONNECTING;
		if (connect(c->fd, (struct sockaddr *)&ss, sslen) < 0 &&
		    errno != EINPROGRESS) {
			fail(c, strerror(errno));
			continue;
		}
		drive(c);
	}

	struct epoll_event evs[256];
	double deadline = start + timeout;
	while (finished_conns < nconns) {
		if (!released && held_conns + finished_conns == nconns) {
			released = 1;
			for (long i = 0; i < nconns; i++) {
				if (conns[i].state != HELD)
					continue;
				conns[i].state = SENDING;
				conns[i].sent = 0;
				drive(&conns[i]);
			}
			continue;
		}
		if (now() > deadline) {
			fprintf(stderr, "%s: timed out after %ld s: %ld of %ld "
				"connections answered once, %ld of %ld requests "
				"answered\n", program, timeout, held_conns, nconns, ok,
				nconns * requests_per_conn);
			return 1;
		}
		int n = epoll_wait(ep, evs, 256, 1000);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("demo_client: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++)
			drive(evs[i].data.ptr);
	}
	double secs = now() - start;

	printf("%ld connections x %d requests: %ld ok, %ld connections failed, %.2f s, "
	       "%.0f requests/s\n", nconns, requests_per_conn, ok, failed, secs,
	       ok / (secs > 0 ? secs : 1e-9));
	close(ep);
	free(conns);
	return failed ? 1 : 0;
}
