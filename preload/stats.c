/* COEXEC_STATS: a summary of what the runtime did, written at exit. */
#include "preload/log.h"
#include "sched/worker.h"

void coexec_stats_print(void)
{
	struct worker *w = worker_self();
	if (!w)
		return;
	coexec_say("stats: %llu threads created as coroutines, peak %u live, %llu switches, %llu polls",
		   w->stats.created, w->stats.peak_live, w->stats.switches, w->stats.polls);
	char line[256];
	int n = 0;
	for (int i = 0; i < PARK__COUNT; i++) {
		if (!w->stats.parks[i])
			continue;
		/* built by hand: coexec_fmt has no field for a varying list */
		const char *name = park_reason_name[i];
		while (*name && n < (int)sizeof line - 24)
			line[n++] = *name++;
		line[n++] = '=';
		unsigned long long v = w->stats.parks[i];
		char tmp[24];
		int k = 0;
		do
			tmp[k++] = '0' + v % 10;
		while ((v /= 10));
		while (k && n < (int)sizeof line - 2)
			line[n++] = tmp[--k];
		line[n++] = ' ';
	}
	line[n ? n - 1 : 0] = 0;
	coexec_say("stats: parks by reason: %s", n ? line : "none");
}
