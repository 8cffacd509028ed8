/* launch COUNT PROGRAM [ARG...]: start PROGRAM COUNT times, one after the
 * other, its output thrown away, and print the mean wall time from spawn
 * to exit. With CHILD_PRELOAD=LIB in the environment the children (only)
 * get LD_PRELOAD=LIB. The start-up benchmark runs it on a program that
 * does nothing: natively, through the coexec wrapper (what coexec adds to
 * every process it starts) and with the library preloaded directly (the
 * library's own share). */
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

int main(int argc, char **argv)
{
    char *end;
    long count = argc > 2 ? strtol(argv[1], &end, 10) : 0;
    if (argc < 3 || *end || count <= 0) {
        fprintf(stderr, "usage: launch COUNT PROGRAM [ARG...]\n");
        return 2;
    }
    char **env = environ;
    const char *lib = getenv("CHILD_PRELOAD");
    if (lib) {
        size_t n = 0;
        while (environ[n])
            n++;
        env = calloc(n + 2, sizeof *env);
        char *pre = malloc(strlen(lib) + sizeof "LD_PRELOAD=");
        if (!env || !pre)
            return 1;
        sprintf(pre, "LD_PRELOAD=%s", lib);
        env[0] = pre;
        for (size_t i = 0, k = 1; i < n; i++)
            if (strncmp(environ[i], "LD_PRELOAD=", 11) && strncmp(environ[i], "CHILD_PRELOAD=", 14))
                env[k++] = environ[i];
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    double t0 = now();
    for (long i = 0; i < count; i++) {
        pid_t pid;
        int st, rc = posix_spawnp(&pid, argv[2], &fa, NULL, argv + 2, env);
        if (rc) {
            fprintf(stderr, "launch: %s: %s\n", argv[2], strerror(rc));
            return 1;
        }
        if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
            fprintf(stderr, "launch: %s did not exit 0\n", argv[2]);
            return 1;
        }
    }
    printf("ms/launch %.3f\n", (now() - t0) * 1000 / count);
    return 0;
}
