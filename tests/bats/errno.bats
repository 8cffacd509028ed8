#!/usr/bin/env bats
# errno parity: return values and errno of socket, pipe and descriptor calls
# in their error and edge cases, compared with the native run.
#
# Each test runs one case of a test program natively and under coexec and
# requires identical stdout, stderr and exit status.  Every case runs once
# on the main thread and once on a thread of its own.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

@test "errno: every case has a test here" {
    check_case_list errno_parity "$BATS_TEST_FILENAME"
}

@test "errno: badfd" {
    compare_case errno_parity badfd
}

@test "errno: notsock" {
    compare_case errno_parity notsock
}

@test "errno: connect_refused" {
    compare_case errno_parity connect_refused
}

@test "errno: connect_nonblock" {
    compare_case errno_parity connect_nonblock
}

@test "errno: epipe" {
    compare_case errno_parity epipe
}

@test "errno: sigpipe" {
    compare_case errno_parity sigpipe
}

@test "errno: nonblock_flags" {
    compare_case errno_parity nonblock_flags
}

@test "errno: nonblock_eagain" {
    compare_case errno_parity nonblock_eagain
}

@test "errno: rcvtimeo" {
    compare_case errno_parity rcvtimeo
}

@test "errno: sndtimeo" {
    compare_case errno_parity sndtimeo
}

@test "errno: accept_errors" {
    compare_case errno_parity accept_errors
}

@test "errno: efault" {
    compare_case errno_parity efault
}

@test "errno: iov" {
    compare_case errno_parity iov
}

@test "errno: scm_rights" {
    compare_case errno_parity scm_rights
}

@test "errno: shutdown" {
    compare_case errno_parity shutdown
}

@test "errno: shutdown_wakes" {
    compare_case errno_parity shutdown_wakes
}

@test "errno: pipe_nonblock" {
    compare_case errno_parity pipe_nonblock
}

@test "errno: udp" {
    compare_case errno_parity udp
}

@test "errno: read_later" {
    compare_case errno_parity read_later
}

@test "errno: zero_len" {
    compare_case errno_parity zero_len
}

@test "errno: enotconn" {
    compare_case errno_parity enotconn
}

@test "errno: econnreset" {
    compare_case errno_parity econnreset
}

@test "errno: bind_errors" {
    compare_case errno_parity bind_errors
}
