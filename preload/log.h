/* The debug log: one line per event, written with a raw write(2).
 *
 *   coexec[PID] +SECONDS wN coN event details
 *
 * No stdio, no allocation, errno preserved, safe from any thread and from
 * inside the runtime. Categories are bits; LOG() tests the bit before it
 * evaluates its arguments, so a disabled category costs one load and branch.
 * The format understands %d %i %u %ld %lu %lld %llu %x %lx %p %s %c %%. */
#ifndef PRELOAD_LOG_H
#define PRELOAD_LOG_H

enum {
	LOG_SCHED  = 1 << 0,
	LOG_NET    = 1 << 1,
	LOG_DNS    = 1 << 2,
	LOG_SYNC   = 1 << 3,
	LOG_POOL   = 1 << 4,
	LOG_PROC   = 1 << 5,
	LOG_SIGNAL = 1 << 6,
	LOG_STALL  = 1 << 7,
	LOG_ALL    = (1 << 8) - 1,
};

extern unsigned coexec_log_mask;

#define LOG(cat, ...)                                                        \
	do {                                                                 \
		if (__builtin_expect(coexec_log_mask & (cat), 0))            \
			coexec_log(__VA_ARGS__);                             \
	} while (0)

/* Write one event line (the prefix is added). */
void coexec_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write one message line "coexec: ..." to stderr, whatever the debug mask:
 * configuration errors and failures the user must see. */
void coexec_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Format into buf (always NUL-terminated); returns the length. */
int coexec_fmt(char *buf, int size, const char *fmt, __builtin_va_list ap);

/* Where lines go: the COEXEC_LOG_FILE descriptor, or -1 for stderr (the
 * descriptor 2 of start-up, while 2 still names that file). */
extern int coexec_log_fd;

/* Set by the runtime: the worker and coroutine to name in a line. Keeps
 * the log a leaf that every layer may use. */
extern void (*coexec_log_who)(int *worker, unsigned *co);

/* Start the clock of "+SECONDS" and note what stderr is. */
void coexec_log_start(void);

#endif
