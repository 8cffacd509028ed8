/* mech: workloads for tests/bats/mechanism.bats, which watches the system
 * calls the runtime makes underneath them (strace) rather than their
 * output.  Every case also checks its own results and prints one "ok" line,
 * so the output is the same natively and under coexec.
 *
 *   mech blocking      a server and a client thread on blocking TCP
 *                      sockets: accept() waits for a client that connects
 *                      100 ms later; read/write/recv/send each wait for the
 *                      peer; sendfile() of a file through a socket whose
 *                      peer reads slowly (small buffers, 2 ms per read).
 *                      The program makes no descriptor non-blocking.
 *   mech reads N       N read()s of one byte from a pipe; a writer thread
 *                      sleeps 1 ms before each byte, so each read waits.
 *   mech polls N       the same with poll(POLLIN, -1) on the pipe before
 *                      each read, so each poll waits.
 *   mech idle N        N threads that wait forever: half in read() on a
 *                      pipe nobody writes, half in pthread_cond_wait on a
 *                      condition never signalled.  Prints "ready" once all
 *                      have started and had time to block, then main
 *                      waits too (pthread_join); the test kills it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "mech: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void fail(const char *what)
{
	fprintf(stderr, "mech: %s\n", what);
	exit(1);
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static pthread_t spawn(void *(*fn)(void *), void *arg, size_t stack)
{
	pthread_attr_t a;
	pthread_attr_init(&a);
	if (stack)
		pthread_attr_setstacksize(&a, stack);
	pthread_t t;
	int e = pthread_create(&t, &a, fn, arg);
	pthread_attr_destroy(&a);
	if (e) {
		errno = e;
		die("pthread_create");
	}
	return t;
}

static void join(pthread_t t)
{
	void *r;
	int e = pthread_join(t, &r);
	if (e) {
		errno = e;
		die("pthread_join");
	}
	if (r)
		fail((const char *)r);
}

/* ---- blocking ---------------------------------------------------------- */

#define FILE_SIZE (192 * 1024)
#define SMALL_BUF 4096

static int lfd, filefd;
static struct sockaddr_in laddr;

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + i / 251);
}

static int full_read(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

static void *server(void *arg)
{
	int c = accept(lfd, NULL, NULL);
	if (c < 0)
		die("accept");
	int small = SMALL_BUF;
	if (setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof small) < 0)
		die("setsockopt SO_SNDBUF");
	char buf[8];
	if (full_read(c, buf, 4) < 0 || memcmp(buf, "ping", 4))
		return "server: read ping";
	if (write(c, "pong", 4) != 4)
		return "server: write pong";
	if (recv(c, buf, 4, MSG_WAITALL) != 4 || memcmp(buf, "file", 4))
		return "server: recv file request";
	off_t off = 0;
	ssize_t s = sendfile(c, filefd, &off, FILE_SIZE);
	if (s != FILE_SIZE || off != FILE_SIZE)
		return "server: sendfile short";
	close(c); /* last: a wait for room can only be sendfile's */
	return NULL;
}

static void *client(void *arg)
{
	msleep(100); /* the server is in accept() by now */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		die("socket");
	int small = SMALL_BUF;
	if (setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof small) < 0)
		die("setsockopt SO_RCVBUF");
	if (connect(s, (struct sockaddr *)&laddr, sizeof laddr) < 0)
		die("connect");
	msleep(50); /* the server waits in read() */
	if (write(s, "ping", 4) != 4)
		return "client: write ping";
	char buf[SMALL_BUF];
	if (full_read(s, buf, 4) < 0 || memcmp(buf, "pong", 4))
		return "client: read pong";
	msleep(50); /* the server waits in recv() */
	if (send(s, "file", 4, 0) != 4)
		return "client: send file request";
	/* Read slowly: the server's sendfile fills the small buffers and
	 * must wait for room again and again. */
	size_t got = 0;
	for (;;) {
		msleep(2);
		ssize_t r = recv(s, buf, sizeof buf, 0);
		if (r < 0)
			die("recv");
		if (r == 0)
			break;
		for (ssize_t i = 0; i < r; i++, got++) {
			if (got >= FILE_SIZE || (unsigned char)buf[i] != pattern(got))
				return "client: wrong byte from sendfile";
		}
	}
	if (got != FILE_SIZE)
		return "client: short transfer";
	close(s);
	return NULL;
}

static int c_blocking(void)
{
	/* A file of our own, in $TMPDIR (bats gives each test one), gone at exit. */
	const char *dir = getenv("TMPDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/mech.XXXXXX", dir && *dir ? dir : "/tmp");
	filefd = mkstemp(path);
	if (filefd < 0)
		die("mkstemp");
	unlink(path);
	static unsigned char data[FILE_SIZE];
	for (size_t i = 0; i < FILE_SIZE; i++)
		data[i] = pattern(i);
	if (write(filefd, data, FILE_SIZE) != FILE_SIZE)
		die("write file");

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	laddr.sin_family = AF_INET;
	laddr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof laddr;
	if (bind(lfd, (struct sockaddr *)&laddr, sizeof laddr) < 0 || listen(lfd, 8) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&laddr, &len) < 0)
		die("listen");

	pthread_t st = spawn(server, NULL, 0), ct = spawn(client, NULL, 0);
	join(st);
	join(ct);
	close(lfd);
	close(filefd);
	printf("ok blocking: accept connect read write recv send sendfile %d bytes\n", FILE_SIZE);
	return 0;
}

/* ---- reads, polls -------------------------------------------------------- */

static int pfd[2];
static long nbytes;

static void *slow_writer(void *arg)
{
	for (long i = 0; i < nbytes; i++) {
		msleep(1);
		if (write(pfd[1], "x", 1) != 1)
			die("write pipe");
	}
	return NULL;
}

static int c_pipe(int use_poll)
{
	if (pipe(pfd) < 0)
		die("pipe");
	pthread_t w = spawn(slow_writer, NULL, 0);
	for (long i = 0; i < nbytes; i++) {
		if (use_poll) {
			struct pollfd p = { pfd[0], POLLIN, 0 };
			if (poll(&p, 1, -1) != 1 || !(p.revents & POLLIN))
				die("poll");
		}
		char c;
		if (read(pfd[0], &c, 1) != 1 || c != 'x')
			die("read pipe");
	}
	join(w);
	printf("ok %s: %ld bytes\n", use_poll ? "polls" : "reads", nbytes);
	return 0;
}

/* ---- idle ------------------------------------------------------------------ */

static int idle_pipe[2];
static atomic_long started;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int never;

static void *idle_reader(void *arg)
{
	char c;
	atomic_fetch_add(&started, 1);
	if (read(idle_pipe[0], &c, 1) < 0)
		die("idle read");
	return "idle reader returned";
}

static void *idle_waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	atomic_fetch_add(&started, 1);
	while (!never)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return "idle waiter returned";
}

static int c_idle(long n)
{
	if (pipe(idle_pipe) < 0)
		die("pipe");
	pthread_t first = 0;
	for (long i = 0; i < n; i++) {
		pthread_t t = spawn(i % 2 ? idle_waiter : idle_reader, NULL, 64 * 1024);
		if (i == 0)
			first = t;
		else
			pthread_detach(t);
	}
	while (atomic_load(&started) < n)
		msleep(10);
	/* Every thread has reached its wait; give the last ones time to
	 * block in it. */
	msleep(300);
	printf("ready %ld\n", n);
	fflush(stdout);
	join(first); /* forever */
	return 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *c = argc > 1 ? argv[1] : "";
	long n = argc > 2 ? atol(argv[2]) : 0;
	if (!strcmp(c, "blocking"))
		return c_blocking();
	if ((!strcmp(c, "reads") || !strcmp(c, "polls")) && n > 0) {
		nbytes = n;
		return c_pipe(c[0] == 'p');
	}
	if (!strcmp(c, "idle") && n > 0)
		return c_idle(n);
	fprintf(stderr, "usage: mech blocking | reads N | polls N | idle N\n");
	return 2;
}
