/* syslog_wait: syslog() to a /dev/log that is not read for a moment, while
 * a heartbeat thread ticks (beat.h); run natively and under coexec by
 * tests/bats/syslog.bats and compared. A datagram socket's queue holds
 * ten messages, so natively the logging thread waits in glibc's send
 * until the reader comes back; under coexec that wait must not hold the
 * worker the heartbeat shares with COEXEC_WORKERS=1.
 *
 * The program gives itself a private /dev (a mount namespace with a tmpfs
 * on /dev, the usual devices bound in), so it never touches the machine's
 * log socket; without root or namespaces it exits 77 (skip).
 *
 *   burst     2,000 syslog() calls while the log reader sleeps 400 ms, then all received
 *   prompt    200 syslog() calls, paced, to a reader that keeps up (under coexec: mostly in place)
 *   early     one syslog() before the first thread (glibc opens its socket then), then as prompt
 *   perror    openlog(LOG_PERROR): each message also goes to standard error
 *
 * The log reader is a child that binds /dev/log, sleeps, then counts the
 * messages up to an end marker and reports the count through a pipe.
 */
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>

#include "harness.h"
#include "beat.h"

#define END_MARK "syslog_wait end"

static void skip(const char *why)
{
    printf("SKIP: %s (%s)\n", why, strerror(errno));
    exit(77);
}

/* A /dev of our own: the devices the program and coexec use, and room for
 * a log socket. */
static void private_dev(void)
{
    static const char *const dev[] = {"null", "zero", "full", "random", "urandom", "tty"};
    char old[256];
    if (geteuid() != 0)
        skip("needs root for a private /dev");
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        skip("cannot make a mount namespace");
    tmp_dir(old, sizeof old);
    if (mount("/dev", old, NULL, MS_BIND | MS_REC, NULL) < 0 ||
        mount("tmpfs", "/dev", "tmpfs", 0, "mode=755") < 0)
        skip("cannot mount a private /dev");
    for (size_t i = 0; i < sizeof dev / sizeof dev[0]; i++) {
        char from[300], to[64];
        snprintf(from, sizeof from, "%s/%s", old, dev[i]);
        snprintf(to, sizeof to, "/dev/%s", dev[i]);
        int fd = open(to, O_CREAT | O_WRONLY, 0666);
        if (fd < 0)
            die("create a device node", errno);
        close(fd);
        if (mount(from, to, NULL, MS_BIND, NULL) < 0)
            die("bind a device", errno);
    }
    if (symlink("/proc/self/fd", "/dev/fd") < 0)
        die("symlink /dev/fd", errno);
    if (umount2(old, MNT_DETACH) < 0 || rmdir(old) < 0)
        die("remove the old /dev's mount point", errno);
}

struct reader {
    pid_t pid;
    int report;
};

/* The log reader: binds /dev/log, says so, sleeps `ms`, then counts
 * messages up to the end marker. Async-signal-safe calls only. */
static void reader_start(struct reader *r, int ms)
{
    int ready[2], rep[2];
    make_pipe(ready);
    make_pipe(rep);
    unlink(_PATH_LOG);
    r->pid = fork_or_die();
    if (r->pid == 0) {
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        strcpy(a.sun_path, _PATH_LOG);
        int s = socket(AF_UNIX, SOCK_DGRAM, 0);
        if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0)
            _exit(98);
        if (write(ready[1], "r", 1) != 1)
            _exit(97);
        child_sleep(ms);
        long n = 0;
        char buf[2048];
        for (;;) {
            ssize_t k = recv(s, buf, sizeof buf - 1, 0);
            if (k < 0)
                _exit(96);
            buf[k] = 0;
            if (strstr(buf, END_MARK))
                break;
            n++;
        }
        if (write(rep[1], &n, sizeof n) != sizeof n)
            _exit(95);
        _exit(0);
    }
    close(ready[1]);
    close(rep[1]);
    char c;
    if (read(ready[0], &c, 1) != 1)
        die("log reader did not start", errno);
    close(ready[0]);
    r->report = rep[0];
}

/* The end marker, the count, and the reader's exit. */
static long reader_end(struct reader *r)
{
    syslog(LOG_INFO, "%s", END_MARK);
    long n = -1;
    if (read(r->report, &n, sizeof n) != sizeof n)
        die("read the count", errno);
    close(r->report);
    say("log reader exited %d", reap(r->pid));
    closelog();
    unlink(_PATH_LOG);
    return n;
}

/* n messages while the heartbeat ticks, to the reader r (started); with
 * lenient, paced (a pause of 2 ms after every 5) so that a reader that
 * keeps up has its turns on a loaded machine too. */
static void log_many(struct reader *r, int n, int lenient)
{
    struct beat b;
    beat_start(&b);
    beat_begin(&b);
    int changed = 0;
    for (int i = 0; i < n; i++) {
        errno = EDOM; /* syslog leaves errno alone */
        syslog(LOG_INFO, "message %d of %d", i, n);
        changed += errno != EDOM;
        if (lenient && i % 5 == 4)
            msleep(2);
    }
    beat_end(&b);
    beat_stop(&b);
    long got = reader_end(r);
    say("%d syslog calls, the reader got %ld, errno changed %d times, %s", n, got, changed,
        beat_word(&b, lenient));
}

static void c_burst(void)
{
    struct reader r;
    reader_start(&r, 400);
    openlog("syslog_wait", 0, LOG_USER);
    log_many(&r, 2000, 0);
}

static void c_prompt(void)
{
    struct reader r;
    reader_start(&r, 0);
    openlog("syslog_wait", 0, LOG_USER);
    log_many(&r, 200, 1);
}

/* On main this runs before any thread exists, so glibc opens its socket
 * unwatched; the messages after the heartbeat starts must still find it. */
static void c_early(void)
{
    struct reader r;
    reader_start(&r, 0);
    openlog("syslog_wait", 0, LOG_USER);
    syslog(LOG_INFO, "before the heartbeat");
    log_many(&r, 200, 1);
}

static void c_perror(void)
{
    struct reader r;
    reader_start(&r, 0);
    openlog("syslog_wait", LOG_PERROR, LOG_USER);
    log_many(&r, 50, 1);
}

static const struct tcase cases[] = {
    {"early", c_early},
    {"burst", c_burst},
    {"prompt", c_prompt},
    {"perror", c_perror},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--list"))
        private_dev();
    return run_cases(cases, argc, argv, "syslog_wait");
}
