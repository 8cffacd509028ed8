// cxx_sync: the C++17 standard library's threads and synchronisation, as
// a C++ daemon uses them, with deterministic output (counts, results,
// "timeout ok"; never a time).
//
//   cxx_sync [--list | CASE...]
//
// Cases (each runs on the main thread, then on a std::thread of its own,
// after a "== name" line, like the C programs' harness.h):
//   mutex             std::mutex, 100 threads x 200 increments with a yield
//                     inside the critical section
//   recursive_mutex   std::recursive_mutex held three deep; another thread's
//                     try_lock fails until the last unlock
//   timed_mutex       std::timed_mutex::try_lock_for / try_lock_until time
//                     out while another thread holds it, succeed once it
//                     lets go
//   condition_variable  bounded queue with wait(lock, predicate); wait_for
//                     and wait_until (steady and system clocks) time out
//   shared_mutex      std::shared_mutex shared by readers, exclusive for
//                     writers; std::shared_timed_mutex timeouts
//   call_once         std::call_once from 1000 threads; the function
//                     sleeps 20 ms and runs once
//   call_once_throw   100 threads in call_once; the first call of the
//                     function throws: it is not done, a waiting caller runs
//                     it
//   static_guard      a function-local static whose constructor sleeps
//                     50 ms, reached by 100 threads at once: constructed
//                     once, everybody sees it constructed
//                     (__cxa_guard_acquire / __cxa_guard_release)
//   static_guard_throw  100 threads reach a static whose constructor throws
//                     the first time: a waiting thread constructs it
//                     (__cxa_guard_abort)
//   future            std::promise / std::future / std::async between
//                     threads: 100 threads wait on one shared_future
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

#include "cxx_harness.h"

static int run_index()
{
    return std::strcmp(where, "main") ? 1 : 0;
}

static double ms_since(steady::time_point start)
{
    return std::chrono::duration<double, std::milli>(steady::now() - start).count();
}

// "timeout ok" when the wait took at least `ms` and less than ms + 1 s.
static const char *timing(steady::time_point start, double ms)
{
    double el = ms_since(start);
    if (el < ms)
        return "timeout EARLY";
    if (el > ms + 1000)
        return "timeout LATE";
    return "timeout ok";
}

static const char *in_time(steady::time_point start)
{
    return ms_since(start) < 2000 ? "before the deadline" : "AFTER THE DEADLINE";
}

static const char *yes(bool b)
{
    return b ? "yes" : "no";
}

// Run fn on another thread and return its result.
template <typename F> static auto other(F fn) -> decltype(fn())
{
    decltype(fn()) r{};
    std::thread t([&] { r = fn(); });
    t.join();
    return r;
}

// A thread that holds a lock until released (or for `ms`).
template <typename L> class Holder {
  public:
    Holder(L &l, int ms = -1) : l_(l), ms_(ms)
    {
        t_ = std::thread([this] { run(); });
        std::unique_lock<std::mutex> g(m_);
        cv_.wait(g, [this] { return held_; });
    }
    void release()
    {
        {
            std::lock_guard<std::mutex> g(m_);
            go_ = true;
        }
        cv_.notify_all();
        t_.join();
    }

  private:
    void run()
    {
        l_.lock();
        {
            std::lock_guard<std::mutex> g(m_);
            held_ = true;
        }
        cv_.notify_all();
        if (ms_ >= 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(ms_));
        } else {
            std::unique_lock<std::mutex> g(m_);
            cv_.wait(g, [this] { return go_; });
        }
        l_.unlock();
    }
    L &l_;
    int ms_;
    std::mutex m_;
    std::condition_variable cv_;
    bool held_ = false, go_ = false;
    std::thread t_;
};

// ---- std::mutex ---------------------------------------------------------

static void c_mutex()
{
    std::mutex m;
    long counter = 0;
    std::vector<std::thread> ts;
    for (int i = 0; i < 100; i++)
        ts.emplace_back([&] {
            for (int k = 0; k < 200; k++) {
                std::lock_guard<std::mutex> g(m);
                long v = counter;
                std::this_thread::yield();
                counter = v + 1;
            }
        });
    for (auto &t : ts)
        t.join();
    say("100 threads x 200: counter %ld", counter);
    m.lock();
    say("try_lock by another thread while held: %s", yes(other([&] {
            bool ok = m.try_lock();
            if (ok)
                m.unlock();
            return ok;
        })));
    m.unlock();
}

// ---- std::recursive_mutex -----------------------------------------------

static void c_recursive_mutex()
{
    std::recursive_mutex m;
    auto try_other = [&] {
        return other([&] {
            bool ok = m.try_lock();
            if (ok)
                m.unlock();
            return ok;
        });
    };
    m.lock();
    m.lock();
    say("try_lock by the owner: %s", yes(m.try_lock()));
    say("held 3 deep, try_lock by another thread: %s", yes(try_other()));
    m.unlock();
    m.unlock();
    say("held 1 deep, try_lock by another thread: %s", yes(try_other()));
    m.unlock();
    say("released, try_lock by another thread: %s", yes(try_other()));

    // nested locking from many threads
    long counter = 0;
    std::vector<std::thread> ts;
    for (int i = 0; i < 50; i++)
        ts.emplace_back([&] {
            for (int k = 0; k < 100; k++) {
                std::lock_guard<std::recursive_mutex> a(m);
                std::lock_guard<std::recursive_mutex> b(m);
                long v = counter;
                std::this_thread::yield();
                counter = v + 1;
            }
        });
    for (auto &t : ts)
        t.join();
    say("50 threads x 100 nested: counter %ld", counter);
}

// ---- std::timed_mutex ---------------------------------------------------

static void c_timed_mutex()
{
    std::timed_mutex m;
    {
        Holder<std::timed_mutex> h(m);
        auto start = steady::now();
        bool ok = m.try_lock_for(100ms);
        say("try_lock_for 100 ms, held: %s, %s", yes(ok), timing(start, 100));
        if (ok)
            m.unlock();
        start = steady::now();
        ok = m.try_lock_until(steady::now() + 100ms);
        say("try_lock_until steady + 100 ms, held: %s, %s", yes(ok), timing(start, 100));
        if (ok)
            m.unlock();
        start = steady::now();
        ok = m.try_lock_until(std::chrono::system_clock::now() + 100ms);
        say("try_lock_until system + 100 ms, held: %s, %s", yes(ok), timing(start, 100));
        if (ok)
            m.unlock();
        h.release();
    }
    {
        Holder<std::timed_mutex> h(m, 50);
        auto start = steady::now();
        bool ok = m.try_lock_for(2s);
        say("try_lock_for 2 s, freed after 50 ms: %s, %s", yes(ok), in_time(start));
        if (ok)
            m.unlock();
        h.release();
    }
    say("try_lock when free: %s", yes(m.try_lock()));
    m.unlock();
}

// ---- std::condition_variable --------------------------------------------

static void c_condition_variable()
{
    std::mutex m;
    std::condition_variable not_full, not_empty;
    std::deque<long> q;
    const size_t cap = 8;
    const long per = 5000;
    bool done = false;
    std::atomic<long> sum{0}, got{0};

    std::vector<std::thread> cons, prod;
    for (int c = 0; c < 4; c++)
        cons.emplace_back([&] {
            for (;;) {
                std::unique_lock<std::mutex> g(m);
                not_empty.wait(g, [&] { return !q.empty() || done; });
                if (q.empty())
                    return;
                long v = q.front();
                q.pop_front();
                g.unlock();
                not_full.notify_one();
                sum += v;
                got++;
            }
        });
    for (int p = 0; p < 4; p++)
        prod.emplace_back([&, p] {
            for (long i = 0; i < per; i++) {
                std::unique_lock<std::mutex> g(m);
                not_full.wait(g, [&] { return q.size() < cap; });
                q.push_back(p * per + i + 1);
                g.unlock();
                not_empty.notify_one();
            }
        });
    for (auto &t : prod)
        t.join();
    {
        std::lock_guard<std::mutex> g(m);
        done = true;
    }
    not_empty.notify_all();
    for (auto &t : cons)
        t.join();
    long n = 4 * per;
    say("queue: consumed %ld of %ld, sum %s", got.load(), n,
        sum == n * (n + 1) / 2 ? "matches" : "WRONG");

    std::unique_lock<std::mutex> g(m);
    auto start = steady::now();
    auto st = not_empty.wait_for(g, 100ms);
    say("wait_for 100 ms, no notify: %s, %s",
        st == std::cv_status::timeout ? "timeout" : "no_timeout", timing(start, 100));
    start = steady::now();
    bool r = not_empty.wait_for(g, 100ms, [] { return false; });
    say("wait_for 100 ms with a predicate never true: %s, %s", yes(r), timing(start, 100));
    start = steady::now();
    st = not_empty.wait_until(g, steady::now() + 100ms);
    say("wait_until steady + 100 ms: %s, %s",
        st == std::cv_status::timeout ? "timeout" : "no_timeout", timing(start, 100));
    start = steady::now();
    st = not_empty.wait_until(g, std::chrono::system_clock::now() + 100ms);
    say("wait_until system + 100 ms: %s, %s",
        st == std::cv_status::timeout ? "timeout" : "no_timeout", timing(start, 100));
    say("mutex held after the waits: %s", yes(g.owns_lock()));

    bool flag = false;
    std::thread t([&] {
        std::this_thread::sleep_for(50ms);
        std::lock_guard<std::mutex> lg(m);
        flag = true;
        not_empty.notify_one();
    });
    start = steady::now();
    r = not_empty.wait_for(g, 2s, [&] { return flag; });
    say("wait_for 2 s, notified after 50 ms: %s, %s", yes(r), in_time(start));
    g.unlock();
    t.join();
}

// ---- std::shared_mutex --------------------------------------------------

static void c_shared_mutex()
{
    std::shared_mutex sm;
    auto other_shared = [&] {
        return other([&] {
            bool ok = sm.try_lock_shared();
            if (ok)
                sm.unlock_shared();
            return ok;
        });
    };
    auto other_excl = [&] {
        return other([&] {
            bool ok = sm.try_lock();
            if (ok)
                sm.unlock();
            return ok;
        });
    };
    sm.lock_shared();
    say("shared held: another try_lock_shared %s, try_lock %s", yes(other_shared()),
        yes(other_excl()));
    sm.unlock_shared();
    sm.lock();
    say("exclusive held: another try_lock_shared %s, try_lock %s", yes(other_shared()),
        yes(other_excl()));
    sm.unlock();
    say("free: another try_lock_shared %s, try_lock %s", yes(other_shared()), yes(other_excl()));

    // readers check what writers keep: b == -a
    long a = 0, b = 0;
    std::atomic<long> bad{0}, reads{0};
    std::atomic<int> writers_in{0};
    std::vector<std::thread> ts;
    for (int w = 0; w < 4; w++)
        ts.emplace_back([&] {
            for (int k = 0; k < 100; k++) {
                std::unique_lock<std::shared_mutex> g(sm);
                if (++writers_in != 1)
                    bad++;
                a++;
                std::this_thread::yield();
                b = -a;
                writers_in--;
            }
        });
    for (int r = 0; r < 100; r++)
        ts.emplace_back([&] {
            for (int k = 0; k < 100; k++) {
                std::shared_lock<std::shared_mutex> g(sm);
                long x = a;
                std::this_thread::yield();
                if (b != -x || a != x || writers_in != 0)
                    bad++;
                reads++;
            }
        });
    for (auto &t : ts)
        t.join();
    say("4 writers x 100, 100 readers x 100: value %ld, reads %ld, violations %ld", a,
        reads.load(), bad.load());

    std::shared_timed_mutex stm;
    {
        Holder<std::shared_timed_mutex> h(stm);
        auto start = steady::now();
        bool ok = stm.try_lock_shared_for(100ms);
        say("shared_timed_mutex exclusive held: try_lock_shared_for 100 ms %s, %s", yes(ok),
            timing(start, 100));
        if (ok)
            stm.unlock_shared();
        start = steady::now();
        ok = stm.try_lock_for(100ms);
        say("shared_timed_mutex exclusive held: try_lock_for 100 ms %s, %s", yes(ok),
            timing(start, 100));
        if (ok)
            stm.unlock();
        start = steady::now();
        ok = stm.try_lock_shared_until(std::chrono::system_clock::now() + 100ms);
        say("shared_timed_mutex exclusive held: try_lock_shared_until system + 100 ms %s, %s",
            yes(ok), timing(start, 100));
        if (ok)
            stm.unlock_shared();
        h.release();
    }
    {
        Holder<std::shared_timed_mutex> h(stm, 50);
        auto start = steady::now();
        bool ok = stm.try_lock_shared_for(2s);
        say("shared_timed_mutex freed after 50 ms: try_lock_shared_for 2 s %s, %s", yes(ok),
            in_time(start));
        if (ok)
            stm.unlock_shared();
        h.release();
    }
}

// ---- std::call_once -----------------------------------------------------

static void c_call_once()
{
    auto flag = std::make_unique<std::once_flag>();
    std::atomic<int> runs{0}, value{0};
    std::atomic<long> unfinished{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < 1000; i++)
        ts.emplace_back([&] {
            std::call_once(*flag, [&] {
                runs++;
                std::this_thread::sleep_for(20ms);
                value = 42;
            });
            if (value != 42)
                unfinished++;
        });
    for (auto &t : ts)
        t.join();
    say("1000 threads: the function ran %d time(s), returned before it finished %ld",
        runs.load(), unfinished.load());
}

static void c_call_once_throw()
{
    auto flag = std::make_unique<std::once_flag>();
    std::atomic<int> attempts{0}, thrown{0}, value{0};
    std::atomic<long> unfinished{0};
    auto body = [&] {
        try {
            std::call_once(*flag, [&] {
                int n = ++attempts;
                std::this_thread::sleep_for(20ms);
                if (n == 1)
                    throw std::runtime_error("first attempt");
                value = 42;
            });
            if (value != 42)
                unfinished++;
        } catch (const std::runtime_error &) {
            thrown++;
        }
    };
    // 100 threads at once: the first attempt throws while the others wait
    std::vector<std::thread> ts;
    for (int i = 0; i < 100; i++)
        ts.emplace_back(body);
    for (auto &t : ts)
        t.join();
    say("100 threads: attempts %d, thrown %d, value %d, returned early %ld",
        attempts.load(), thrown.load(), value.load(), unfinished.load());
}

// ---- function-local statics (__cxa_guard_*) -----------------------------

static std::atomic<int> ctor_runs[2], ctor_attempts[2];

struct Slow {
    int value;
    explicit Slow(int run)
    {
        ctor_runs[run]++;
        std::this_thread::sleep_for(50ms);
        value = 42;
    }
};

// One function (so one guard) per run: main's run and the thread's run
// each meet a static that is not constructed yet.
template <int RUN> static Slow &slow()
{
    static Slow s(RUN);
    return s;
}

static void c_static_guard()
{
    int run = run_index();
    std::atomic<long> seen42{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < 100; i++)
        ts.emplace_back([&] {
            Slow &s = run ? slow<1>() : slow<0>();
            if (s.value == 42)
                seen42++;
        });
    for (auto &t : ts)
        t.join();
    say("100 threads: constructor ran %d time(s), %ld saw the constructed value",
        ctor_runs[run].load(), seen42.load());
}

struct Flaky {
    int value;
    explicit Flaky(int run)
    {
        int n = ++ctor_attempts[run];
        std::this_thread::sleep_for(20ms);
        if (n == 1)
            throw std::runtime_error("first construction");
        value = 7;
    }
};

template <int RUN> static Flaky &flaky()
{
    static Flaky f(RUN);
    return f;
}

static void c_static_guard_throw()
{
    int run = run_index();
    std::atomic<long> seen7{0}, thrown{0};
    auto body = [&] {
        try {
            Flaky &f = run ? flaky<1>() : flaky<0>();
            if (f.value == 7)
                seen7++;
        } catch (const std::runtime_error &) {
            thrown++;
        }
    };
    // 100 threads at once: the first construction throws while the others
    // wait on the guard
    std::vector<std::thread> ts;
    for (int i = 0; i < 100; i++)
        ts.emplace_back(body);
    for (auto &t : ts)
        t.join();
    say("constructor attempts %d, thrown %ld, %ld of 100 threads saw the value",
        ctor_attempts[run].load(), thrown.load(), seen7.load());
}

// ---- std::future --------------------------------------------------------

static void c_future()
{
    std::promise<int> p;
    std::shared_future<int> f = p.get_future().share();
    std::atomic<long> sum{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < 100; i++)
        ts.emplace_back([&] { sum += f.get(); });
    std::this_thread::sleep_for(50ms);
    p.set_value(3);
    for (auto &t : ts)
        t.join();
    say("100 threads waited on a shared_future: sum %ld", sum.load());

    std::promise<int> p2;
    std::future<int> f2 = p2.get_future();
    auto start = steady::now();
    auto st = f2.wait_for(100ms);
    say("wait_for 100 ms, no value: %s, %s",
        st == std::future_status::timeout ? "timeout" : "ready", timing(start, 100));
    std::thread t([&] {
        std::this_thread::sleep_for(50ms);
        p2.set_value(5);
    });
    start = steady::now();
    st = f2.wait_for(2s);
    say("wait_for 2 s, value after 50 ms: %s, %s, value %d",
        st == std::future_status::ready ? "ready" : "timeout", in_time(start), f2.get());
    t.join();

    auto a = std::async(std::launch::async, [] {
        std::this_thread::sleep_for(20ms);
        return 11;
    });
    say("std::async result %d", a.get());
}

// ---- the cases (cxx_harness.h runs them) ---------------------------------

static const tcase cases[] = {
    {"mutex", c_mutex},
    {"recursive_mutex", c_recursive_mutex},
    {"timed_mutex", c_timed_mutex},
    {"condition_variable", c_condition_variable},
    {"shared_mutex", c_shared_mutex},
    {"call_once", c_call_once},
    {"call_once_throw", c_call_once_throw},
    {"static_guard", c_static_guard},
    {"static_guard_throw", c_static_guard_throw},
    {"future", c_future},
};

int main(int argc, char **argv)
{
    return run_cases(cases, argc, argv, "cxx_sync");
}
