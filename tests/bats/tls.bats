#!/usr/bin/env bats
# tls: thread-local storage per thread (cls/tls.c): __thread variables,
# errno, C++ exception state, thread_local objects and their destructors,
# the locale, stdio locks, and a library loaded later, compared with the
# native run (tls_cases, a C++ program). Each case runs on the main thread
# and on a thread of its own, with the default workers and with one (where
# every coroutine shares one kernel thread, so nothing per kernel thread
# can pass for per thread).

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

@test "tls_cases: every case has a test here" {
    check_case_list tls_cases "$BATS_TEST_FILENAME"
}

@test "tls: thread_vars: 3 threads keep their own __thread int, string and errno across a sleep" {
    EXPECT_STATS="created>=7 sleep>=6" compare_case tls_cases thread_vars
    EXPECT_STATS="created>=7 sleep>=6" COEXEC_WORKERS=1 compare_case tls_cases thread_vars
}

@test "tls: errno_address: &errno is another address in every thread" {
    EXPECT_STATS="created>=7" compare_case tls_cases errno_address
    EXPECT_STATS="created>=7" COEXEC_WORKERS=1 compare_case tls_cases errno_address
}

@test "tls: rethrow: each of 2 threads rethrows its own exception after sleeping in its catch" {
    EXPECT_STATS="created>=5 sync>=1" compare_case tls_cases rethrow
    EXPECT_STATS="created>=5 sync>=1" COEXEC_WORKERS=1 compare_case tls_cases rethrow
}

@test "tls: uncaught_in_dtor: std::uncaught_exceptions() is 1 in a destructor that sleeps while 2 threads unwind" {
    EXPECT_STATS="created>=5" compare_case tls_cases uncaught_in_dtor
    EXPECT_STATS="created>=5" COEXEC_WORKERS=1 compare_case tls_cases uncaught_in_dtor
}

@test "tls: uselocale: uselocale in one thread leaves the other on the global locale" {
    EXPECT_STATS="created>=5" compare_case tls_cases uselocale
    EXPECT_STATS="created>=5" COEXEC_WORKERS=1 compare_case tls_cases uselocale
}

@test "tls: flockfile_lines: lines printed under flockfile stay together; ftrylockfile sees the lock" {
    EXPECT_STATS="created>=5" compare_case tls_cases flockfile_lines
    EXPECT_STATS="created>=5" COEXEC_WORKERS=1 compare_case tls_cases flockfile_lines
}

@test "tls: flockfile_wait: flockfile of a FILE another thread holds across a sleep waits for it" {
    EXPECT_STATS="created>=5 pool.flockfile>=2" compare_case tls_cases flockfile_wait
    EXPECT_STATS="created>=5 pool.flockfile>=2" COEXEC_WORKERS=1 compare_case tls_cases flockfile_wait
}

@test "tls: thread_local_dtors: thread_local destructors run at thread exit in reverse order, before key destructors" {
    EXPECT_STATS="created>=7" compare_case tls_cases thread_local_dtors
    EXPECT_STATS="created>=7" COEXEC_WORKERS=1 compare_case tls_cases thread_local_dtors
}

@test "tls: exceptions_100: 100 threads throw and catch their own exceptions across sleeps" {
    EXPECT_STATS="created>=201" compare_case tls_cases exceptions_100
    EXPECT_STATS="created>=201" COEXEC_WORKERS=1 compare_case tls_cases exceptions_100
}

@test "tls: std_async: std::thread, std::async and the caller each see their own thread_local" {
    EXPECT_STATS="created>=5" compare_case tls_cases std_async
    EXPECT_STATS="created>=5" COEXEC_WORKERS=1 compare_case tls_cases std_async
}

@test "tls: dlopen_tls: a library with __thread and thread_local objects, loaded while 1000 threads exist" {
    EXPECT_STATS="created>=2001" compare_case tls_cases dlopen_tls
    EXPECT_STATS="created>=2001" COEXEC_WORKERS=1 compare_case tls_cases dlopen_tls
}

@test "tls: per_connection: 1000 connections, a thread each, its connection in a thread-local pointer" {
    EXPECT_STATS="created>=2001" compare_case tls_cases per_connection
    EXPECT_STATS="created>=2001" COEXEC_WORKERS=1 compare_case tls_cases per_connection
}

@test "tls: malloc_per_thread: 2000 threads malloc and end: malloc's memory in use comes back" {
    EXPECT_STATS="created>=4001" compare_case tls_cases malloc_per_thread
    EXPECT_STATS="created>=4001" COEXEC_WORKERS=1 compare_case tls_cases malloc_per_thread
}

@test "tls: setxid: setuid and friends from a thread while others sleep (every thread applies them)" {
    EXPECT_STATS="created>=9" compare_case tls_cases setxid
    EXPECT_STATS="created>=9" COEXEC_WORKERS=1 compare_case tls_cases setxid
}

@test "tls: COEXEC_TLS=worker shares thread-local storage among the threads of a worker, as documented" {
    p=$(prog tls_cases)
    COEXEC_TLS=worker COEXEC_WORKERS=1 run "$COEXEC" "$p" thread_vars
    [ "$status" -eq 0 ]
    echo "$output"
    # the three threads read back the value of the last one to write
    [ "$(grep -c "thread [123]: int 3, string 'thread 3'" <<<"$output")" -eq 6 ]
}

@test "tls: COEXEC_TLS with a bad value: one line, the default used" {
    p=$(prog tls_cases)
    COEXEC_TLS=bogus COEXEC_WORKERS=1 run "$COEXEC" "$p" thread_vars
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "coexec: COEXEC_TLS: 'bogus' is not 'thread' or 'worker'; using thread" ]
    [ "$(grep -c "int 2, string 'thread 2', errno 102" <<<"$output")" -eq 2 ]
}

# ---- cxx_unwind: pthread_exit and cancellation unwind C++ frames ----------

@test "cxx_unwind: every case has a test here" {
    check_case_list cxx_unwind "$BATS_TEST_FILENAME"
}

@test "cxx_unwind: exit_destructors: pthread_exit runs destructors and a C handler in frame order" {
    EXPECT_STATS="created>=1 join>=1" compare_case cxx_unwind exit_destructors
    EXPECT_STATS="created>=1" COEXEC_WORKERS=1 compare_case cxx_unwind exit_destructors
}

@test "cxx_unwind: cancel_destructors: a thread cancelled in a sleep runs its destructors" {
    EXPECT_STATS="created>=1 sleep>=1" compare_case cxx_unwind cancel_destructors
    EXPECT_STATS="created>=1" COEXEC_WORKERS=1 compare_case cxx_unwind cancel_destructors
}

@test "cxx_unwind: cancel_catch_rethrow: catch (...) with throw; passes the unwind on" {
    EXPECT_STATS="created>=1" compare_case cxx_unwind cancel_catch_rethrow
    EXPECT_STATS="created>=1" COEXEC_WORKERS=1 compare_case cxx_unwind cancel_catch_rethrow
}

@test "cxx_unwind: once_cancelled: a cancelled pthread_once initialiser runs again for the next caller" {
    EXPECT_STATS="created>=2" compare_case cxx_unwind once_cancelled
    EXPECT_STATS="created>=2" COEXEC_WORKERS=1 compare_case cxx_unwind once_cancelled
}

@test "cxx_unwind: main_exit: main's pthread_exit runs its destructors, the process ends after the last thread" {
    EXPECT_STATS="created>=1" compare_case cxx_unwind main_exit
    EXPECT_STATS="created>=1" COEXEC_WORKERS=1 compare_case cxx_unwind main_exit
}

@test "cxx_unwind: swallow: catch (...) without rethrow aborts as natively" {
    EXPECT_STATS="child>=1" compare_case cxx_unwind swallow
    EXPECT_STATS="child>=1" COEXEC_WORKERS=1 compare_case cxx_unwind swallow
}
