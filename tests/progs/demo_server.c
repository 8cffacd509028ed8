/*
 * demo_server - a tiny HTTP/1.1 keep-alive server written the old way: one
 * thread per connection, default thread attributes, blocking read and write.
 * It is the program `make demo` runs under coexec (and natively) to show how
 * many kernel threads the same code needs in each case.
 *
 *   demo_server [--host ADDR] [--port N] [--max-requests N] [--max-conns N]
 *
 * GET / answers a small fixed body; other paths get 404, other methods 405.
 * The server prints "listening on PORT" once it accepts connections, and
 * stops after --max-requests requests, after --max-conns connections have
 * come and gone, or on SIGTERM/SIGINT.  It then prints what it served and the
 * peak number of kernel threads of its own process, read from
 * /proc/self/status by every connection thread, for example:
 *
 *   served 2000 connections (at most 2000 at once), 20000 requests,
 *   2.7 MB with at most 2 kernel threads
 *
 * No mutex or condvar is held across I/O: shared counters are atomics, and the
 * main thread learns that it should stop through a self-pipe.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define BODY "Hello from demo_server, one thread per connection.\n"
#define REQ_MAX 8192

static atomic_long conns_total, conns_active, conns_peak;
static atomic_long requests, bytes_out, threads_peak;
static atomic_int accept_done;
static long max_requests = -1, max_conns = -1;
static int stop_pipe[2] = { -1, -1 };

/* Wake the main thread: from a signal handler or from a connection thread.
 * The pipe is non-blocking: if it is full, main is awake already. */
static void notify_stop(void)
{
	int saved = errno;
	ssize_t rc = write(stop_pipe[1], "x", 1);
	(void)rc;
	errno = saved;
}

static void on_signal(int sig)
{
	(void)sig;
	notify_stop();
}

static void atomic_max(atomic_long *a, long v)
{
	long cur = atomic_load(a);
	while (v > cur && !atomic_compare_exchange_weak(a, &cur, v))
		;
}

/* Number of kernel threads of this process, from /proc/self/status. */
static long kernel_threads(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *p = strstr(buf, "\nThreads:");
	return p ? strtol(p + 9, NULL, 10) : -1;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
		atomic_fetch_add(&bytes_out, n);
	}
	return 0;
}

/* Value of header NAME in the header block [p, end), or NULL. */
static const char *header(const char *p, const char *end, const char *name,
			  size_t *len)
{
	size_t nl = strlen(name);
	while (p < end) {
		const char *eol = memmem(p, end - p, "\r\n", 2);
		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > nl && p[nl] == ':' &&
		    strncasecmp(p, name, nl) == 0) {
			const char *v = p + nl + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			const char *ve = eol;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			*len = ve - v;
			return v;
		}
		p = eol + 2;
	}
	return NULL;
}

static int value_is(const char *v, size_t len, const char *word)
{
	return v && len == strlen(word) && strncasecmp(v, word, len) == 0;
}

/* Answer one request held in [req, req + len), the empty line included.
 * Returns 1 to keep the connection open, 0 to close it, -1 on error. */
static int answer(int fd, const char *req, size_t len)
{
	const char *end = req + len;
	const char *eol = memmem(req, len, "\r\n", 2);
	const char *hdr = eol + 2;
	char method[16], target[256], version[16];
	int status = 200, keep;
	const char *reason = "OK", *body = BODY;
	char line[320];

	size_t ll = eol - req;
	if (ll >= sizeof line)
		ll = sizeof line - 1;
	memcpy(line, req, ll);
	line[ll] = 0;
	if (sscanf(line, "%15s %255s %15s", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7) != 0) {
		status = 400, reason = "Bad Request", body = "bad request\n";
		keep = 0;
	} else {
		size_t vl = 0;
		const char *conn = header(hdr, end, "Connection", &vl);
		if (strcmp(version, "HTTP/1.0") == 0)
			keep = value_is(conn, vl, "keep-alive");
		else
			keep = !value_is(conn, vl, "close");
		size_t cl = 0, tl = 0;
		const char *clv = header(hdr, end, "Content-Length", &cl);
		const char *te = header(hdr, end, "Transfer-Encoding", &tl);
		if (te || (clv && !(cl == 1 && *clv == '0'))) {
			/* A demo: no request bodies. */
			status = 400, reason = "Bad Request";
			body = "request bodies are not supported\n";
			keep = 0;
		} else if (strcmp(method, "GET") != 0 &&
			   strcmp(method, "HEAD") != 0) {
			status = 405, reason = "Method Not Allowed";
			body = "only GET is supported\n";
			keep = 0;
		} else if (strcmp(target, "/") != 0) {
			status = 404, reason = "Not Found", body = "not found\n";
		}
	}

	char resp[512];
	int n = snprintf(resp, sizeof resp,
			 "HTTP/1.1 %d %s\r\n"
			 "Server: demo_server\r\n"
			 "Content-Type: text/plain\r\n"
			 "Content-Length: %zu\r\n"
			 "%s"
			 "\r\n%s",
			 status, reason, strlen(body),
			 keep ? "" : "Connection: close\r\n",
			 strncmp(req, "HEAD ", 5) == 0 ? "" : body);
	if (write_all(fd, resp, n) < 0)
		return -1;
	return keep;
}

static void *serve(void *arg)
{
	int fd = (int)(long)arg;
	char buf[REQ_MAX];
	size_t len = 0;

	atomic_max(&threads_peak, kernel_threads());
	for (;;) {
		char *end = len ? memmem(buf, len, "\r\n\r\n", 4) : NULL;
		if (!end) {
			if (len == sizeof buf) {
				static const char too_big[] =
					"HTTP/1.1 431 Request Header Fields Too Large\r\n"
					"Content-Length: 0\r\nConnection: close\r\n\r\n";
				write_all(fd, too_big, sizeof too_big - 1);
				break;
			}
			ssize_t n = read(fd, buf + len, sizeof buf - len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break; /* EOF or error: the client went away */
			len += n;
			continue;
		}
		size_t reqlen = end + 4 - buf;
		int keep = answer(fd, buf, reqlen);
		if (keep < 0)
			break;
		long done = atomic_fetch_add(&requests, 1) + 1;
		if (done == max_requests)
			notify_stop();
		if (!keep)
			break;
		memmove(buf, buf + reqlen, len - reqlen);
		len -= reqlen;
	}
	close(fd);
	if (atomic_fetch_sub(&conns_active, 1) == 1 && atomic_load(&accept_done))
		notify_stop();
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: demo_server [--host ADDR] [--port N] "
		   "[--max-requests N] [--max-conns N]\n");
}

static long number(const char *opt, const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0) {
		fprintf(stderr, "demo_server: invalid value '%s' for %s\n", s, opt);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1";
	long port = 0;

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
		if (strcmp(a, "--host") == 0)
			host = argv[++i];
		else if (strcmp(a, "--port") == 0)
			port = number(a, argv[++i]);
		else if (strcmp(a, "--max-requests") == 0)
			max_requests = number(a, argv[++i]);
		else if (strcmp(a, "--max-conns") == 0)
			max_conns = number(a, argv[++i]);
		else {
			usage(stderr);
			return 2;
		}
	}
	if (port > 65535) {
		fprintf(stderr, "demo_server: invalid port %ld\n", port);
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
		fprintf(stderr, "demo_server: invalid address '%s'\n", host);
		return 2;
	}

	int lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(lfd, (struct sockaddr *)&ss, sslen) < 0 ||
	    listen(lfd, SOMAXCONN) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&ss, &sslen) < 0) {
		perror("demo_server: listen");
		return 1;
	}
	if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		perror("demo_server: pipe2");
		return 1;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	printf("listening on %d\n",
	       ntohs(ss.ss_family == AF_INET ? sin->sin_port : sin6->sin6_port));
	fflush(stdout);

	long threads_main = kernel_threads();
	atomic_max(&threads_peak, threads_main);
	int accepting = 1;
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = stop_pipe[0], .events = POLLIN },
			{ .fd = lfd, .events = POLLIN },
		};
		int n = poll(pfd, accepting ? 2 : 1, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("demo_server: poll");
			return 1;
		}
		if (pfd[0].revents)
			break;
		if (!accepting || !pfd[1].revents)
			continue;

		int fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE) {
				/* Out of descriptors: wait for some to close. */
				perror("demo_server: accept");
				usleep(100000);
				continue;
			}
			perror("demo_server: accept");
			return 1;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

		long active = atomic_fetch_add(&conns_active, 1) + 1;
		atomic_max(&conns_peak, active);
		long total = atomic_fetch_add(&conns_total, 1) + 1;

		pthread_t t;
		int rc = pthread_create(&t, NULL, serve, (void *)(long)fd);
		if (rc) {
			fprintf(stderr, "demo_server: pthread_create: %s\n",
				strerror(rc));
			close(fd);
			atomic_fetch_sub(&conns_active, 1);
		} else {
			pthread_detach(t);
		}

		if (total == max_conns) {
			accepting = 0;
			close(lfd);
			atomic_store(&accept_done, 1);
			if (atomic_load(&conns_active) == 0)
				break;
		}
	}

	long conns = atomic_load(&conns_total), peak = atomic_load(&threads_peak);
	long out = atomic_load(&bytes_out);
	char volume[32];
	if (out >= 1000000)
		snprintf(volume, sizeof volume, "%.1f MB", out / 1e6);
	else
		snprintf(volume, sizeof volume, "%ld bytes", out);
	printf("served %ld connection%s (at most %ld at once), %ld requests, "
	       "%s with at most %ld kernel thread%s\n",
	       conns, conns == 1 ? "" : "s", atomic_load(&conns_peak),
	       atomic_load(&requests), volume, peak, peak == 1 ? "" : "s");
	fflush(stdout);
	/* Connection threads may still be blocked in read(): leave without
	 * waiting for them, as a daemon told to stop would. */
	exit(0);
}
