// cxx_harness.h: the case harness of the C++ test programs (cxx_sync,
// tls_cases), like harness.h for the C ones. Header-only.
//
//   say(fmt, ...)  a line prefixed with "main: " or "thread: " (`where`)
//   run_cases(cases, argv..., "prog")  "PROG [--list | CASE...]": each
//                  selected case (all without arguments) runs on the main
//                  thread, then on a std::thread of its own, after a
//                  "== name" line; stdout is line-buffered.
#ifndef TESTS_CXX_HARNESS_H
#define TESTS_CXX_HARNESS_H

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <thread>

static const char *where = "main";

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    std::printf("%s: ", where);
    std::vprintf(fmt, ap);
    std::putchar('\n');
    va_end(ap);
}

struct tcase {
    const char *name;
    void (*fn)();
};

template <size_t N>
static int run_cases(const tcase (&cases)[N], int argc, char **argv, const char *prog)
{
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    if (argc == 2 && !std::strcmp(argv[1], "--list")) {
        for (const auto &c : cases)
            std::printf("%s\n", c.name);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        bool found = false;
        for (const auto &c : cases)
            found = found || !std::strcmp(c.name, argv[i]);
        if (!found) {
            std::fprintf(stderr, "usage: %s [--list | CASE...]\n", prog);
            std::fprintf(stderr, "%s: unknown case '%s'\n", prog, argv[i]);
            return 2;
        }
    }
    for (const auto &c : cases) {
        bool wanted = argc < 2;
        for (int i = 1; i < argc; i++)
            wanted = wanted || !std::strcmp(c.name, argv[i]);
        if (!wanted)
            continue;
        std::printf("== %s\n", c.name);
        where = "main";
        c.fn();
        std::thread t([&c] {
            where = "thread";
            c.fn();
        });
        t.join();
        where = "main";
    }
    return 0;
}

#endif
