// cxx_unwind: pthread_exit and cancellation unwind a thread's C++ frames,
// as glibc does: destructors and C cleanup handlers in frame order.
//
//   cxx_unwind [--list | CASE]
//
// Cases (one per run: some end the process):
//   exit_destructors   pthread_exit two calls deep: the destructors of
//                      both frames and a C cleanup handler between them run
//                      innermost first; the exit value arrives
//   cancel_destructors a thread cancelled in a sleep runs its destructors
//   cancel_catch_rethrow  catch (...) { ...; throw; } sees the unwind and
//                      passes it on; the thread ends cancelled
//   once_cancelled     a pthread_once initialiser cancelled in a sleep:
//                      the next caller runs it
//   main_exit          main calls pthread_exit: its destructors run, the
//                      other thread goes on, the process exits 0 after it
//   swallow            catch (...) without rethrow of pthread_exit's
//                      unwind: "FATAL: exception not rethrown", abort (in
//                      a child process, whose end the parent reports)
#include <cstdio>
#include <cstring>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

struct noisy {
    const char *name;
    ~noisy() { std::printf("destructor %s\n", name); }
};

static void handler(void *a) { std::printf("C cleanup handler %s\n", (const char *)a); }

static void deeper()
{
    noisy n{ "inner frame" };
    pthread_exit((void *)7);
}

static void *exit_thread(void *)
{
    noisy n{ "outer frame" };
    pthread_cleanup_push(handler, (void *)"between them");
    deeper();
    pthread_cleanup_pop(0);
    return nullptr;
}

static void c_exit_destructors()
{
    pthread_t t;
    void *r;
    pthread_create(&t, nullptr, exit_thread, nullptr);
    pthread_join(t, &r);
    std::printf("exit value %ld\n", (long)r);
}

static void *sleeper(void *)
{
    noisy n{ "of the sleeper" };
    for (;;)
        usleep(10000);
    return nullptr;
}

static void c_cancel_destructors()
{
    pthread_t t;
    void *r;
    pthread_create(&t, nullptr, sleeper, nullptr);
    usleep(50000);
    pthread_cancel(t);
    pthread_join(t, &r);
    std::printf("ended cancelled: %s\n", r == PTHREAD_CANCELED ? "yes" : "no");
}

static void *rethrower(void *)
{
    try {
        noisy n{ "inside the try" };
        for (;;)
            usleep(10000);
    } catch (...) {
        std::printf("catch (...) saw the unwind\n");
        throw;
    }
    return nullptr;
}

static void c_cancel_catch_rethrow()
{
    pthread_t t;
    void *r;
    pthread_create(&t, nullptr, rethrower, nullptr);
    usleep(50000);
    pthread_cancel(t);
    pthread_join(t, &r);
    std::printf("ended cancelled: %s\n", r == PTHREAD_CANCELED ? "yes" : "no");
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;

static void once_init()
{
    once_runs++;
    if (once_runs == 1) {
        noisy n{ "of the first initialiser" };
        for (;;)
            usleep(10000);
    }
}

static void *once_caller(void *)
{
    pthread_once(&once, once_init);
    return nullptr;
}

static void c_once_cancelled()
{
    pthread_t t;
    void *r;
    pthread_create(&t, nullptr, once_caller, nullptr);
    usleep(50000);
    pthread_cancel(t);
    pthread_join(t, &r);
    pthread_create(&t, nullptr, once_caller, nullptr);
    pthread_join(t, nullptr);
    std::printf("initialiser runs: %d (the first cancelled: %s)\n", once_runs,
                r == PTHREAD_CANCELED ? "yes" : "no");
}

static void *late(void *)
{
    usleep(100000);
    std::printf("the other thread goes on after main's pthread_exit\n");
    return nullptr;
}

static void c_main_exit()
{
    pthread_t t;
    pthread_create(&t, nullptr, late, nullptr);
    noisy n{ "of main" };
    pthread_exit(nullptr);
}

static void *swallower(void *)
{
    try {
        noisy n{ "before the catch" };
        pthread_exit(nullptr);
    } catch (...) {
        std::printf("caught, not rethrown\n");
    }
    return nullptr;
}

// In a child process, so that the parent tells how it ended (a thread of
// the parent forks and waits).
static void *swallow_in_child(void *);

static void c_swallow()
{
    pthread_t t;
    pthread_create(&t, nullptr, swallow_in_child, nullptr);
    pthread_join(t, nullptr);
}

static void *swallow_in_child(void *)
{
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t t;
        pthread_create(&t, nullptr, swallower, nullptr);
        pthread_join(t, nullptr);
        std::printf("not reached\n");
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st))
        std::printf("the child ended by signal %d (%s)\n", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        std::printf("the child exited %d\n", WEXITSTATUS(st));
    return nullptr;
}

struct tcase {
    const char *name;
    void (*fn)();
};

static const tcase cases[] = {
    {"exit_destructors", c_exit_destructors},
    {"cancel_destructors", c_cancel_destructors},
    {"cancel_catch_rethrow", c_cancel_catch_rethrow},
    {"once_cancelled", c_once_cancelled},
    {"main_exit", c_main_exit},
    {"swallow", c_swallow},
};

int main(int argc, char **argv)
{
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    if (argc == 2 && !std::strcmp(argv[1], "--list")) {
        for (const auto &c : cases)
            std::printf("%s\n", c.name);
        return 0;
    }
    for (const auto &c : cases)
        if (argc == 2 && !std::strcmp(c.name, argv[1])) {
            std::printf("== %s\n", c.name);
            c.fn();
            return 0;
        }
    std::fprintf(stderr, "usage: cxx_unwind --list | CASE\n");
    return 2;
}
