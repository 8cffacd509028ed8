/* The scheduler end to end, without preloading: coroutines run in creation
 * order, yield round-robins, a park with a deadline times out, errno is per
 * coroutine, and a coroutine waiting for a pipe through the netpoller is
 * woken by another one's write. */
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <string.h>
#include <unistd.h>

#include "sched/netpoll.h"
#include "sched/worker.h"
#include "tests/unit/check.h"

static char order[64];
static int pos;

static void *yielder(void *arg)
{
	for (int i = 0; i < 3; i++) {
		order[pos++] = (char)(long)arg;
		co_yield();
	}
	return arg;
}

static void *errno_keeper(void *arg)
{
	errno = (int)(long)arg;
	co_yield();
	co_yield();
	CHECK(errno == (int)(long)arg);
	return NULL;
}

static int pfd[2];
static int got;

static void *reader(void *arg)
{
	struct fdent *e = fd_fresh(pfd[0]);
	char c;
	while (read(pfd[0], &c, 1) < 0) { /* the descriptor is non-blocking underneath */
		CHECK(errno == EAGAIN);
		CHECK(fd_wait(pfd[0], e, EPOLLIN, -1, PARK_READ) == 0);
	}
	got = c;
	return NULL;
}

static void *writer(void *arg)
{
	CHECK(co_park(PARK_SLEEP, now_ns() + 20 * 1000000) == -ETIMEDOUT);
	CHECK(write(pfd[1], "x", 1) == 1);
	return NULL;
}

static void join_all(struct co **cs, int n)
{
	for (int i = 0; i < n; i++) {
		while (!cs[i]->exited)
			co_yield();
		co_destroy(cs[i]);
	}
}

int main(void)
{
	struct worker *w = worker_adopt(1, NULL);
	CHECK(w && co_self() == w->main_co);

	struct co *cs[4];
	CHECK(co_create(&cs[0], yielder, (void *)'a', 65536, NULL, 0, 0) == 0);
	co_start(cs[0]);
	CHECK(co_create(&cs[1], yielder, (void *)'b', 65536, NULL, 0, 0) == 0);
	co_start(cs[1]);
	CHECK(co_create(&cs[2], yielder, (void *)'c', 65536, NULL, 0, 0) == 0);
	co_start(cs[2]);
	join_all(cs, 3);
	CHECK(strcmp(order, "abcabcabc") == 0);

	CHECK(co_create(&cs[0], errno_keeper, (void *)11, 65536, NULL, 0, 0) == 0);
	co_start(cs[0]);
	CHECK(co_create(&cs[1], errno_keeper, (void *)22, 65536, NULL, 0, 0) == 0);
	co_start(cs[1]);
	errno = 33;
	join_all(cs, 2);
	CHECK(errno == 33);

	int64_t t0 = now_ns();
	CHECK(co_park(PARK_SLEEP, t0 + 10 * 1000000) == -ETIMEDOUT);
	CHECK(now_ns() - t0 >= 10 * 1000000);

	CHECK(pipe2(pfd, O_NONBLOCK) == 0);
	CHECK(co_create(&cs[0], reader, NULL, 65536, NULL, 0, 0) == 0);
	co_start(cs[0]);
	CHECK(co_create(&cs[1], writer, NULL, 65536, NULL, 0, 0) == 0);
	co_start(cs[1]);
	join_all(cs, 2);
	CHECK(got == 'x');
	CHECK(w->stats.parks[PARK_READ] >= 1);
	puts("sched ok");
	return 0;
}
