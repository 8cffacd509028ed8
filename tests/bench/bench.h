/* Shared by the micro-benchmarks in tests/bench/: plain POSIX, nothing
 * coexec-specific. */
#ifndef BENCH_H
#define BENCH_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* A mkstemp template NAME.XXXXXX in $TMPDIR (or /tmp), into buf. */
static inline void tmp_template(char *buf, size_t size, const char *name)
{
    const char *dir = getenv("TMPDIR");
    snprintf(buf, size, "%s/%s.XXXXXX", dir && *dir ? dir : "/tmp", name);
}

/* argv[1], a duration in seconds, or def. */
static inline double arg_seconds(int argc, char **argv, double def)
{
    if (argc < 2)
        return def;
    char *end;
    double v = strtod(argv[1], &end);
    if (*end || v <= 0) {
        fprintf(stderr, "usage: %s [SECONDS]\n", argv[0]);
        exit(2);
    }
    return v;
}

#define CHECK(call) do { int rc_ = (call); if (rc_) { \
    fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, strerror(rc_)); \
    exit(1); } } while (0)

#endif
