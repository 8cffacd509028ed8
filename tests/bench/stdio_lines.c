/* stdio_lines MODE [LINES]: what stdio costs per short line (about 40
 * bytes) on pipes and sockets, where coexec looks at each call before it
 * runs (shim/stdio.c). One thread more than the case needs waits idle on a
 * condition variable throughout, so that under coexec a call never finds
 * itself alone on its worker (alone, it would run unexamined).
 *
 *   fgets-sock     a reader thread fgets() LINES lines (default 1000000) from
 *                  a socketpair that a writer thread fills with write(2) in
 *                  64 KiB chunks
 *   fgets-pipe     the same from a pipe
 *   printf         printf() of LINES lines to stdout, a pipe that a child
 *                  `cat >/dev/null` drains
 *   fprintf-stderr fprintf(stderr) of LINES lines (default 100000): an
 *                  unbuffered stream, a write(2) per line, into the same pipe
 *
 * Prints "ns/line N (MODE, LINES lines)" on the original stdout. */
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define LINE_FMT "line %07ld of the benchmark, 40 bytes\n"
#define LINE_LEN 40
#define CHUNK (64 << 10)

static long lines;

/* ---- the idle thread ------------------------------------------------------ */
static pthread_mutex_t idle_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cv = PTHREAD_COND_INITIALIZER;
static int idle_stop;

static void *idle_fn(void *arg)
{
    pthread_mutex_lock(&idle_mu);
    while (!idle_stop)
        pthread_cond_wait(&idle_cv, &idle_mu);
    pthread_mutex_unlock(&idle_mu);
    return NULL;
}

/* ---- fgets ------------------------------------------------------------------ */
static int wfd;

static void *writer_fn(void *arg)
{
    char *buf = malloc(CHUNK + LINE_LEN + 1);
    size_t have = 0;
    for (long i = 0; i < lines; i++) {
        have += snprintf(buf + have, LINE_LEN + 1, LINE_FMT, i);
        if (have >= CHUNK || i == lines - 1) {
            size_t n = have < CHUNK ? have : CHUNK;
            for (size_t done = 0; done < n;) {
                ssize_t w = write(wfd, buf + done, n - done);
                if (w < 0) {
                    perror("stdio_lines: write");
                    exit(1);
                }
                done += w;
            }
            memmove(buf, buf + n, have - n);
            have -= n;
        }
    }
    free(buf);
    close(wfd);
    return NULL;
}

static FILE *rf;
static long got;

static void *reader_fn(void *arg)
{
    char line[100];
    while (fgets(line, sizeof line, rf))
        got++;
    return NULL;
}

static double fgets_case(int sock)
{
    int p[2];
    if (sock ? socketpair(AF_UNIX, SOCK_STREAM, 0, p) : pipe(p)) {
        perror("stdio_lines");
        exit(1);
    }
    wfd = p[1];
    rf = fdopen(p[0], "r");
    double t0 = now();
    pthread_t r, w;
    CHECK(pthread_create(&r, NULL, reader_fn, NULL));
    CHECK(pthread_create(&w, NULL, writer_fn, NULL));
    CHECK(pthread_join(w, NULL));
    CHECK(pthread_join(r, NULL));
    double dt = now() - t0;
    fclose(rf);
    if (got != lines) {
        fprintf(stderr, "stdio_lines: read %ld lines of %ld\n", got, lines);
        exit(1);
    }
    return dt;
}

/* ---- printf ------------------------------------------------------------------ */

/* Point descriptor fd at a pipe that a child `cat >/dev/null` drains;
 * returns the child. */
static pid_t drain_into(int fd)
{
    int p[2];
    if (pipe(p) < 0) {
        perror("stdio_lines: pipe");
        exit(1);
    }
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(p[0], 0);
        dup2(null, 1);
        close(p[0]);
        close(p[1]);
        execlp("cat", "cat", (char *)NULL);
        _exit(127);
    }
    if (pid < 0 || dup2(p[1], fd) < 0) {
        perror("stdio_lines: fork");
        exit(1);
    }
    close(p[0]);
    close(p[1]);
    return pid;
}

static void *print_fn(void *arg)
{
    FILE *f = arg;
    for (long i = 0; i < lines; i++)
        if ((f == stdout ? printf(LINE_FMT, i) : fprintf(f, LINE_FMT, i)) != LINE_LEN) {
            perror("stdio_lines: fprintf");
            exit(1);
        }
    if (fflush(f)) {
        perror("stdio_lines: fflush");
        exit(1);
    }
    return NULL;
}

static double print_case(FILE *f)
{
    int fd = fileno(f), saved = dup(fd);
    fflush(f);
    pid_t pid = drain_into(fd);
    double t0 = now();
    pthread_t t;
    CHECK(pthread_create(&t, NULL, print_fn, f));
    CHECK(pthread_join(t, NULL));
    double dt = now() - t0;
    dup2(saved, fd); /* end of file for cat */
    close(saved);
    int st;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st)) {
        fprintf(stderr, "stdio_lines: cat failed\n");
        exit(1);
    }
    return dt;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    int err = !strcmp(mode, "fprintf-stderr");
    lines = argc > 2 ? atol(argv[2]) : err ? 100000 : 1000000;
    if (lines < 1 || (strcmp(mode, "fgets-sock") && strcmp(mode, "fgets-pipe") &&
                      strcmp(mode, "printf") && !err)) {
        fprintf(stderr, "usage: stdio_lines fgets-sock|fgets-pipe|printf|fprintf-stderr [LINES]\n");
        return 2;
    }
    int out = dup(1); /* for the result: stdout may be the measured pipe */
    pthread_t idle;
    CHECK(pthread_create(&idle, NULL, idle_fn, NULL));
    double dt;
    if (!strncmp(mode, "fgets", 5))
        dt = fgets_case(!strcmp(mode, "fgets-sock"));
    else
        dt = print_case(err ? stderr : stdout);
    pthread_mutex_lock(&idle_mu);
    idle_stop = 1;
    pthread_cond_signal(&idle_cv);
    pthread_mutex_unlock(&idle_mu);
    CHECK(pthread_join(idle, NULL));
    dprintf(out, "ns/line %.1f (%s, %ld lines)\n", dt * 1e9 / lines, mode, lines);
    return 0;
}
