/* The timer heap: coroutines wake in deadline order, and removal from the
 * middle keeps the order. Drives timer_add/timer_del/timer_run on a worker
 * without running any coroutine. */
#include <stdlib.h>
#include <string.h>

#include "sched/worker.h"
#include "tests/unit/check.h"

#define N 2000

int main(void)
{
	struct worker *w = worker_adopt(1, NULL);
	CHECK(w);
	static struct co cos[N];
	srand(7);
	for (int i = 0; i < N; i++) {
		cos[i].w = w;
		cos[i].heap_idx = -1;
		cos[i].state = CO_PARKED;
		cos[i].deadline = 1000 + rand() % 100000;
		timer_add(w, &cos[i]);
	}
	/* remove every third one */
	for (int i = 0; i < N; i += 3)
		timer_del(w, &cos[i]);
	CHECK(w->ntimers == N - (N + 2) / 3);

	int64_t next = timer_run(w, 0);
	CHECK(next >= 1000);
	int woken = 0;
	int64_t last = 0;
	for (int64_t t = 0; t <= 200000; t += 997) {
		timer_run(w, t);
		struct sq_link *l;
		while ((l = sq_pop(&w->runq))) {
			struct co *c = container_of(l, struct co, qlink);
			CHECK(c->timed_out);
			CHECK(c->deadline <= t);
			CHECK(c->deadline >= last - 997);
			CHECK((c - cos) % 3 != 0);
			last = c->deadline;
			woken++;
		}
	}
	CHECK(woken == N - (N + 2) / 3);
	CHECK(w->ntimers == 0);
	CHECK(timer_run(w, 0) == -1);
	puts("timer ok");
	return 0;
}
