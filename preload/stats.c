/* COEXEC_STATS: a summary of what the runtime did, written at exit. */
#include <stdio.h>
#include <string.h>

#include "preload/log.h"
#include "sched/deadlock.h"
#include "sched/monitor.h"
#include "sched/pool.h"
#include "shim/blocking.h"
#include "sched/worker.h"

void coexec_stats_print(void)
{
	unsigned long long created = 0, switches = 0, polls = 0, parks[PARK__COUNT] = { 0 };
	int n = 0;
	for (int i = 0; i < WORKERS_MAX; i++) {
		struct worker *w = workers[i];
		if (!w)
			continue;
		n++;
		created += w->stats.created;
		switches += w->stats.switches;
		polls += w->stats.polls;
		for (int k = 0; k < PARK__COUNT; k++)
			parks[k] += w->stats.parks[k];
	}
	if (!n)
		return;
	coexec_say("stats: %d workers, %llu threads created as coroutines, peak %u live, "
		   "%llu switches, %llu polls", n, created, co_peak_live, switches, polls);
	char line[256];
	int len = 0;
	/* reasons that share a name (sync, pool) are counted as one */
	for (int i = 0; i < PARK__COUNT; i++)
		for (int k = i + 1; k < PARK__COUNT; k++)
			if (!strcmp(park_reason_name[i], park_reason_name[k])) {
				parks[i] += parks[k];
				parks[k] = 0;
			}
	for (int i = 0; i < PARK__COUNT; i++) {
		if (!parks[i] || i == PARK_IDLE)
			continue;
		/* built by hand: coexec_fmt has no field for a varying list */
		const char *name = park_reason_name[i];
		while (*name && len < (int)sizeof line - 24)
			line[len++] = *name++;
		line[len++] = '=';
		unsigned long long v = parks[i];
		char tmp[24];
		int k = 0;
		do
			tmp[k++] = '0' + v % 10;
		while ((v /= 10));
		while (k && len < (int)sizeof line - 2)
			line[len++] = tmp[--k];
		line[len++] = ' ';
	}
	line[len ? len - 1 : 0] = 0;
	coexec_say("stats: parks by reason: %s", len ? line : "none");
	coexec_say("stats: pool: %lu jobs, %d threads", pool_jobs, pool_threads_peak);
	/* calls that went to the pool, by name: "flock 1, waitpid 2" */
	len = 0;
	for (int i = 0; i < BC__COUNT; i++) {
		unsigned long v = __atomic_load_n(&bcall_count[i], __ATOMIC_RELAXED);
		if (!v)
			continue;
		int n = snprintf(line + len, sizeof line - len, "%s%s %lu", len ? ", " : "",
				 bcall_name[i], v);
		if (n < 0 || n >= (int)sizeof line - len)
			break;
		len += n;
	}
	if (len)
		coexec_say("stats: pool calls: %s", line);
	monitor_finish();
	if (stall_count)
		coexec_say("stats: stalls: %llu (a worker held for %d ms or more; longest %llu ms)",
			   stall_count, stall_ms, stall_longest_ms);
	if (deadlock_reports)
		coexec_say("stats: deadlocks: %u reported (%u of them lock cycles while other threads ran)",
			   deadlock_reports, deadlock_partials);
}
