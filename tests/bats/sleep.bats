#!/usr/bin/env bats
# sleeps: sleep/usleep/nanosleep/clock_nanosleep in many threads, wake order,
# absolute clocks, error returns, EINTR.
#
# Each test runs one case of a test program natively and under coexec and
# requires identical stdout, stderr and exit status.  Every case runs once
# on the main thread and once on a thread of its own.
#
# The coexec run of each must also prove coexec ran it: its statistics
# (COEXEC_STATS, see "Evidence" in helpers.bash) show at least one thread
# created as a coroutine, and, in EXPECT_STATS, the parks the case cannot
# do without: every sleep of a positive time parks in sleep. A park counts
# only where a coroutine has company (the main run of a case, before it
# starts a thread, makes the real calls).

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

@test "sleep: every case has a test here" {
    check_case_list sleepers "$BATS_TEST_FILENAME"
}

@test "sleep: order" {
    EXPECT_STATS="created>=401 sleep>=400" compare_case sleepers order
}

@test "sleep: zero" {
    compare_case sleepers zero
}

@test "sleep: single" {
    EXPECT_STATS="sleep>=10" compare_case sleepers single
}

@test "sleep: sleep1" {
    EXPECT_STATS="created>=3 sleep>=22" compare_case sleepers sleep1
}

@test "sleep: errors" {
    compare_case sleepers errors
}

@test "sleep: eintr" {
    EXPECT_STATS="created>=21 sleep>=40" compare_case sleepers eintr
}
