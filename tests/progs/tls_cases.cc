// tls_cases: thread-local state as each thread keeps it natively, with
// deterministic output (what each thread saw, printed after the joins).
//
//   tls_cases [--list | CASE...]
//
// Cases (each runs on the main thread, then on a std::thread of its own,
// after a "== name" line):
//   thread_vars       3 threads write a __thread int, a __thread char[32]
//                     and errno, wait for each other, sleep, read back
//   errno_address     &errno is another address in every thread
//   rethrow           2 threads each catch their own exception, sleep in
//                     the catch, then `throw;`: each rethrows its own
//   uncaught_in_dtor  2 threads unwind through a destructor that sleeps:
//                     std::uncaught_exceptions() there is 1 in each
//   uselocale         uselocale() in one thread; the other keeps the
//                     global locale (nl_langinfo(CODESET) tells them apart)
//   flockfile_lines   A holds stdout with flockfile across a sleep; B's
//                     printf and ftrylockfile wait for or see A's lock
//   flockfile_wait    B's own flockfile on the stream A holds waits until
//                     A lets go (one worker: B must not hold it up)
//   thread_local_dtors  thread_local objects constructed on first use and
//                     destroyed at thread exit in reverse order, before the
//                     thread's pthread key destructors
//   exceptions_100    100 threads throw and catch across sleeps, each its own
//   std_async         std::thread, std::async and the caller each see
//                     their own thread_local
//   dlopen_tls        a library with __thread and thread_local objects,
//                     loaded while threads exist, used from 1000 threads
//   per_connection    a thread per connection keeps its connection in a
//                     thread-local pointer; every reply names its own
//   malloc_per_thread 2000 threads, 100 at a time, each mallocs and frees:
//                     malloc's memory in use is back where it was (no
//                     thread's per-thread cache outlives it)
//   setxid            setgid, setuid, seteuid and setgroups from a thread
//                     while others sleep (glibc has every thread apply
//                     them, each on its own descriptor)
#include <atomic>
#include <cerrno>
#include <chrono>
#include <clocale>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <future>
#include <grp.h>
#include <langinfo.h>
#include <locale.h>
#include <malloc.h>
#include <dlfcn.h>
#include <mutex>
#include <pthread.h>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "cxx_harness.h"

static void msleep(int ms) { usleep(ms * 1000); }

// A barrier for n threads (pthread's, so it parks under coexec).
struct barrier {
    pthread_barrier_t b;
    explicit barrier(unsigned n) { pthread_barrier_init(&b, nullptr, n); }
    ~barrier() { pthread_barrier_destroy(&b); }
    void wait() { pthread_barrier_wait(&b); }
};

// ---- __thread variables and errno ---------------------------------------

static __thread int tv_int;
static __thread char tv_str[32];

static void c_thread_vars()
{
    barrier b(3);
    std::string out[3];
    std::vector<std::thread> ts;
    for (int i = 0; i < 3; i++)
        ts.emplace_back([&, i] {
            tv_int = i + 1;
            std::snprintf(tv_str, sizeof tv_str, "thread %d", i + 1);
            errno = 101 + i;
            b.wait();
            msleep(20 + 10 * i);
            int e = errno;
            char line[96];
            std::snprintf(line, sizeof line, "int %d, string '%s', errno %d", tv_int, tv_str, e);
            out[i] = line;
        });
    for (auto &t : ts)
        t.join();
    for (int i = 0; i < 3; i++)
        say("thread %d: %s", i + 1, out[i].c_str());
    say("this thread's own: int %d, string '%s'", tv_int, tv_str);
}

static void c_errno_address()
{
    barrier b(3);
    int *addr[3];
    std::vector<std::thread> ts;
    for (int i = 0; i < 3; i++)
        ts.emplace_back([&, i] {
            addr[i] = &errno;
            b.wait(); // all alive at once
        });
    for (auto &t : ts)
        t.join();
    int distinct = 1;
    int *mine = &errno;
    for (int i = 0; i < 3; i++) {
        bool seen = addr[i] == mine;
        for (int j = 0; j < i; j++)
            seen = seen || addr[j] == addr[i];
        distinct += !seen;
    }
    say("errno addresses of this thread and 3 others: %d distinct", distinct);
}

// ---- C++ exception state ------------------------------------------------

static void c_rethrow()
{
    barrier b(2);
    std::string out[2];
    std::vector<std::thread> ts;
    for (int i = 0; i < 2; i++)
        ts.emplace_back([&, i] {
            const char *name = i ? "B" : "A";
            try {
                throw std::runtime_error(name);
            } catch (...) {
                b.wait(); // both inside their catch
                msleep(20 + 20 * i);
                try {
                    throw;
                } catch (const std::exception &e) {
                    out[i] = std::string(name) + " rethrows " + e.what();
                }
            }
        });
    for (auto &t : ts)
        t.join();
    for (auto &s : out)
        say("%s", s.c_str());
}

static void c_uncaught_in_dtor()
{
    barrier b(2);
    int seen[2] = { -1, -1 };
    struct parker {
        barrier &b;
        int &seen;
        int ms;
        ~parker()
        {
            b.wait(); // both unwinding at once
            msleep(ms);
            seen = std::uncaught_exceptions();
        }
    };
    std::vector<std::thread> ts;
    for (int i = 0; i < 2; i++)
        ts.emplace_back([&, i] {
            try {
                parker p{ b, seen[i], 20 + 20 * i };
                throw i;
            } catch (int) {
            }
        });
    for (auto &t : ts)
        t.join();
    for (int i = 0; i < 2; i++)
        say("thread %d: uncaught_exceptions() in the destructor: %d", i + 1, seen[i]);
    say("after the catch: %d", std::uncaught_exceptions());
}

static void c_exceptions_100()
{
    std::atomic<int> ok{ 0 };
    std::vector<std::thread> ts;
    for (int i = 0; i < 100; i++)
        ts.emplace_back([&, i] {
            std::string mine = "exception " + std::to_string(i);
            try {
                msleep(1 + i % 5);
                throw std::runtime_error(mine);
            } catch (const std::exception &e) {
                msleep(1 + i % 3);
                try {
                    throw;
                } catch (const std::exception &again) {
                    msleep(1);
                    if (mine == again.what() && &e == &again)
                        ok++;
                }
            }
        });
    for (auto &t : ts)
        t.join();
    say("%d of 100 threads caught and rethrew their own exception", ok.load());
}

// ---- the locale ---------------------------------------------------------

static void c_uselocale()
{
    barrier b(2);
    std::string out[2];
    std::thread a([&] {
        locale_t loc = newlocale(LC_ALL_MASK, "C.UTF-8", nullptr);
        if (!loc) {
            out[0] = "A: newlocale(C.UTF-8) failed";
            b.wait();
            b.wait();
            return;
        }
        uselocale(loc);
        b.wait();
        msleep(20);
        out[0] = std::string("A: codeset ") + nl_langinfo(CODESET) +
                 ", own locale " + (uselocale(nullptr) == loc ? "yes" : "no");
        b.wait();
        uselocale(LC_GLOBAL_LOCALE);
        freelocale(loc);
    });
    std::thread bt([&] {
        b.wait(); // A has switched its locale
        out[1] = std::string("B: codeset ") + nl_langinfo(CODESET) + ", global locale " +
                 (uselocale(nullptr) == LC_GLOBAL_LOCALE ? "yes" : "no");
        b.wait();
    });
    a.join();
    bt.join();
    for (auto &s : out)
        say("%s", s.c_str());
}

// ---- stdio locks --------------------------------------------------------

static void c_flockfile_lines()
{
    std::fflush(stdout);
    barrier b(2);
    int busy = -1;
    std::thread a([&] {
        flockfile(stdout);
        b.wait();
        say("A line 1");
        msleep(100);
        say("A line 2");
        funlockfile(stdout);
    });
    std::thread bt([&] {
        b.wait();
        msleep(20);
        busy = ftrylockfile(stdout) != 0;
        say("B line");
    });
    a.join();
    bt.join();
    say("B's ftrylockfile while A held stdout: %s", busy == 1 ? "busy" : "taken");
}

static void c_flockfile_wait()
{
    std::fflush(stdout);
    barrier b(2);
    std::thread a([&] {
        flockfile(stdout);
        b.wait();
        msleep(100);
        say("A holds stdout");
        funlockfile(stdout);
    });
    std::thread bt([&] {
        b.wait();
        flockfile(stdout);
        say("B has it after A");
        flockfile(stdout); // recursive, as natively
        funlockfile(stdout);
        funlockfile(stdout);
    });
    a.join();
    bt.join();
}

// ---- thread_local objects -----------------------------------------------

static std::mutex log_lock;
static std::vector<std::string> tl_log[3];
static thread_local int tl_index = -1;

static void note(const std::string &s)
{
    std::lock_guard<std::mutex> g(log_lock);
    tl_log[tl_index].push_back(s);
}

struct traced {
    std::string name;
    explicit traced(const char *n) : name(n) { note("construct " + name); }
    ~traced() { note("destroy " + name); }
};

static traced &first() { static thread_local traced t("first"); return t; }
static traced &second() { static thread_local traced t("second"); return t; }

static pthread_key_t tl_key;

static void key_dtor(void *p)
{
    tl_index = (int)(long)p - 1;
    note("key destructor");
}

static void c_thread_local_dtors()
{
    static std::once_flag once;
    std::call_once(once, [] { pthread_key_create(&tl_key, key_dtor); });
    for (auto &l : tl_log)
        l.clear();
    barrier b(3);
    std::vector<std::thread> ts;
    for (int i = 0; i < 3; i++)
        ts.emplace_back([&, i] {
            tl_index = i;
            pthread_setspecific(tl_key, (void *)(long)(i + 1));
            b.wait();
            if (i != 1)
                first();
            msleep(10 + 10 * i);
            second();
            msleep(10);
        });
    for (auto &t : ts)
        t.join();
    for (int i = 0; i < 3; i++) {
        std::string all;
        for (auto &s : tl_log[i])
            all += (all.empty() ? "" : ", ") + s;
        say("thread %d: %s", i + 1, all.c_str());
    }
}

static thread_local int tl_value = 5;

static void c_std_async()
{
    barrier b(3);
    int seen_thread = 0, seen_async = 0;
    std::thread t([&] {
        tl_value = 1;
        b.wait();
        msleep(20);
        seen_thread = tl_value;
    });
    auto f = std::async(std::launch::async, [&] {
        int start = tl_value;
        tl_value = 2;
        b.wait();
        msleep(30);
        return start * 10 + tl_value;
    });
    int start = tl_value;
    tl_value = 3;
    b.wait();
    msleep(10);
    int mine = tl_value;
    t.join();
    seen_async = f.get();
    say("std::thread sees %d, std::async started with %d and sees %d, the caller sees %d",
        seen_thread, seen_async / 10, seen_async % 10, mine);
    tl_value = start;
}

// ---- a library loaded later ---------------------------------------------

static void c_dlopen_tls()
{
    const int n = 1000;
    barrier b(n + 1);
    std::atomic<int> fresh{ 0 }, good{ 0 };
    std::vector<std::thread> ts;
    typedef int (*swap_fn)(int, const char *);
    typedef int (*check_fn)(int, const char *);
    swap_fn swap = nullptr;
    check_fn check = nullptr;
    for (int i = 0; i < n; i++)
        ts.emplace_back([&, i] {
            b.wait(); // the library is loaded now
            char name[16];
            std::snprintf(name, sizeof name, "t%d", i);
            if (swap(i, name) == 7)
                fresh++;
            msleep(i % 7);
            if (check(i, name))
                good++;
        });
    char path[4096];
    ssize_t k = readlink("/proc/self/exe", path, sizeof path - 32);
    path[k > 0 ? k : 0] = 0;
    std::strcpy(std::strrchr(path, '/') + 1, "libtls_mod.so");
    void *h = dlopen(path, RTLD_NOW);
    if (!h) {
        say("dlopen: %s", dlerror());
        std::exit(1);
    }
    swap = (swap_fn)dlsym(h, "mod_swap");
    check = (check_fn)dlsym(h, "mod_check");
    int (*built)() = (int (*)())dlsym(h, "mod_built");
    int (*destroyed)() = (int (*)())dlsym(h, "mod_destroyed");
    int built0 = built(), destroyed0 = destroyed();
    b.wait();
    for (auto &t : ts)
        t.join();
    say("%d threads: %d started from the library's initial values, %d kept their own", n,
        fresh.load(), good.load());
    say("thread_local objects: %d constructed, %d destroyed", built() - built0,
        destroyed() - destroyed0);
}

// ---- per-connection state -----------------------------------------------

struct conn {
    int id;
    int fd;
};
static thread_local conn *current;

static void serve()
{
    char req[64], reply[64];
    ssize_t r = read(current->fd, req, sizeof req - 1);
    if (r <= 0)
        return;
    req[r] = 0;
    msleep(1 + current->id % 4);
    int k = std::snprintf(reply, sizeof reply, "conn %d answers '%s'", current->id, req);
    (void)!write(current->fd, reply, k);
}

static void c_per_connection()
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rlim_t want = rl.rlim_max < 2200 ? rl.rlim_max : 2200;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = want;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    int n = want >= 2200 ? 1000 : (int)(want - 100) / 2;
    std::vector<int> client(n);
    std::vector<std::thread> ts;
    for (int i = 0; i < n; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
            say("socketpair: %s", std::strerror(errno));
            std::exit(1);
        }
        client[i] = sv[0];
        ts.emplace_back([i, fd = sv[1]] {
            conn c{ i, fd };
            current = &c;
            serve();
            close(fd);
        });
    }
    for (int i = 0; i < n; i++) {
        char req[32];
        int k = std::snprintf(req, sizeof req, "request %d", i);
        (void)!write(client[i], req, k);
    }
    int own = 0;
    for (int i = 0; i < n; i++) {
        char buf[80], want_s[80];
        ssize_t r = read(client[i], buf, sizeof buf - 1);
        buf[r > 0 ? r : 0] = 0;
        std::snprintf(want_s, sizeof want_s, "conn %d answers 'request %d'", i, i);
        own += !std::strcmp(buf, want_s);
        close(client[i]);
    }
    for (auto &t : ts)
        t.join();
    say("%d connections: %s", n,
        own == n ? "every reply named its own connection" : "some replies named another");
}

// ---- malloc's per-thread state ------------------------------------------

static void c_malloc_per_thread()
{
    size_t before = mallinfo2().uordblks;
    for (int round = 0; round < 20; round++) {
        std::vector<std::thread> ts;
        for (int i = 0; i < 100; i++)
            ts.emplace_back([i] {
                void *volatile p = std::malloc(64 + i);
                msleep(1);
                std::free(p);
            });
        for (auto &t : ts)
            t.join();
    }
    long grew = (long)mallinfo2().uordblks - (long)before;
    say("2000 threads: memory in use grew by %s", grew < 256 * 1024 ? "less than 256 KiB" : "more");
}

// ---- setuid and friends -------------------------------------------------

static void c_setxid()
{
    std::vector<std::thread> sleepers;
    for (int i = 0; i < 3; i++)
        sleepers.emplace_back([] { msleep(100); });
    int r[4] = { -1, -1, -1, -1 };
    std::thread t([&] {
        msleep(10);
        gid_t g = getgid();
        r[0] = setgid(g);
        r[1] = setuid(getuid());
        r[2] = seteuid(geteuid());
        r[3] = geteuid() == 0 ? setgroups(1, &g) : 0;
    });
    t.join();
    for (auto &s : sleepers)
        s.join();
    say("setgid %d, setuid %d, seteuid %d, setgroups %d", r[0], r[1], r[2], r[3]);
}

// ---- the cases (cxx_harness.h runs them) ---------------------------------

static const tcase cases[] = {
    {"thread_vars", c_thread_vars},
    {"errno_address", c_errno_address},
    {"rethrow", c_rethrow},
    {"uncaught_in_dtor", c_uncaught_in_dtor},
    {"uselocale", c_uselocale},
    {"flockfile_lines", c_flockfile_lines},
    {"flockfile_wait", c_flockfile_wait},
    {"thread_local_dtors", c_thread_local_dtors},
    {"exceptions_100", c_exceptions_100},
    {"std_async", c_std_async},
    {"dlopen_tls", c_dlopen_tls},
    {"per_connection", c_per_connection},
    {"malloc_per_thread", c_malloc_per_thread},
    {"setxid", c_setxid},
};

int main(int argc, char **argv)
{
    return run_cases(cases, argc, argv, "tls_cases");
}
