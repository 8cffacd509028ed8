/* The stall monitor (monitor.c): a runtime thread that reports, in the
 * debug log's "stall" category, a worker that has run one coroutine for
 * stall_ms or longer while others waited to run on it. */
#ifndef SCHED_MONITOR_H
#define SCHED_MONITOR_H

extern int stall_ms;                       /* COEXEC_STALL_MS; 0: no monitor */
extern unsigned long long stall_count;     /* stalls seen (statistics) */
extern unsigned long long stall_longest_ms;
extern int monitor_asleep;

/* Start the monitor (once; the first thread the program makes does). */
void monitor_start(void);

/* A worker leaves its poller: wake the monitor if it sleeps. */
void monitor_wake(void);
static inline void monitor_poke(void)
{
	if (__builtin_expect(__atomic_load_n(&monitor_asleep, __ATOMIC_RELAXED), 0))
		monitor_wake();
}

/* For the statistics at exit: take stalls still going into account. */
void monitor_finish(void);

void monitor_atfork_child(void);

#endif
