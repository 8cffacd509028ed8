#!/usr/bin/env bats
# sleeps: sleep/usleep/nanosleep/clock_nanosleep in many threads, wake order,
# absolute clocks, error returns, EINTR.
#
# Each test runs one case of a test program natively and under coexec and
# requires identical stdout, stderr and exit status.  Every case runs once
# on the main thread and once on a thread of its own.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

@test "sleep: every case has a test here" {
    check_case_list sleepers "$BATS_TEST_FILENAME"
}

@test "sleep: order" {
    compare_case sleepers order
}

@test "sleep: zero" {
    compare_case sleepers zero
}

@test "sleep: single" {
    compare_case sleepers single
}

@test "sleep: sleep1" {
    compare_case sleepers sleep1
}

@test "sleep: errors" {
    compare_case sleepers errors
}

@test "sleep: eintr" {
    compare_case sleepers eintr
}
