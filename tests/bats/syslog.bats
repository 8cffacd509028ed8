#!/usr/bin/env bats
# syslog: syslog() to a /dev/log whose reader pauses, each a case of
# tests/progs/syslog_wait run natively and under coexec and compared
# (syslog_wait.c's first comment lists them). The program makes a private
# /dev in a mount namespace for its log socket; where that needs what the
# machine lacks (root, namespaces) it exits 77 and the tests skip.
# Evidence: a burst goes to the pool while the reader sleeps; messages to
# a reader that keeps up go out in place: at most 40 of 400 on the pool
# (the first of each run, which opens glibc's socket, the end marker after
# closelog, and those a reader late for its turn left no room for), where
# a socket never found sends them all there.

load helpers

setup() {
    common_setup
    export TMPDIR="$BATS_TEST_TMPDIR"
    local p rc=0
    p=$(prog syslog_wait)
    "$p" prompt >/dev/null 2>&1 || rc=$?
    [ "$rc" != 77 ] || skip "syslog_wait needs root and mount namespaces for a private /dev"
}
teardown() { common_teardown; }

@test "syslog: every case has a test here" {
    check_case_list syslog_wait "$BATS_TEST_FILENAME"
}

@test "syslog: burst: 2,000 messages while the log reader sleeps 400 ms" {
    EXPECT_STATS="pool.syslog>=1" COEXEC_WORKERS=1 compare_case syslog_wait burst
    EXPECT_STATS="pool.syslog>=1" compare_case syslog_wait burst
    heartbeats_ok
}

@test "syslog: prompt: a reader that keeps up: in place" {
    EXPECT_STATS="pool.syslog<=40" COEXEC_WORKERS=1 compare_case syslog_wait prompt
    EXPECT_STATS="pool.syslog<=40" compare_case syslog_wait prompt
}

@test "syslog: early: a socket glibc opened before the first thread is found" {
    EXPECT_STATS="pool.syslog<=40" COEXEC_WORKERS=1 compare_case syslog_wait early
    EXPECT_STATS="pool.syslog<=40" compare_case syslog_wait early
}

@test "syslog: perror: LOG_PERROR copies to standard error, through the pool" {
    EXPECT_STATS="pool.syslog>=50" COEXEC_WORKERS=1 compare_case syslog_wait perror
    EXPECT_STATS="pool.syslog>=50" compare_case syslog_wait perror
}
