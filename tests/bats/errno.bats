#!/usr/bin/env bats
# errno parity: return values and errno of socket, pipe and descriptor calls
# in their error and edge cases, compared with the native run.
#
# Each test runs one case of a test program natively and under coexec and
# requires identical stdout, stderr and exit status.  Every case runs once
# on the main thread and once on a thread of its own.
#
# The coexec run of each must also prove coexec ran it: its statistics
# (COEXEC_STATS, see "Evidence" in helpers.bash) show at least one thread
# created as a coroutine, and, in EXPECT_STATS, the parks the case cannot
# do without: a blocking read, recv or accept that another thread
# satisfies after a sleep, or that must time out, a connect of a blocking
# socket (connect), a write to a full socket with SO_SNDTIMEO. A park
# counts only where a coroutine has company (the main run of a case,
# before it starts a thread, makes the real calls).

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
    EXPECT_STATS="pooljobs>=2" compare_case errno_parity connect_refused
}

@test "errno: connect_nonblock" {
    EXPECT_STATS="pooljobs>=2" compare_case errno_parity connect_nonblock
}

@test "errno: epipe" {
    EXPECT_STATS="pooljobs>=1 sleep>=1" compare_case errno_parity epipe
}

@test "errno: sigpipe" {
    compare_case errno_parity sigpipe
}

@test "errno: nonblock_flags" {
    EXPECT_STATS="pooljobs>=2" compare_case errno_parity nonblock_flags
}

@test "errno: nonblock_eagain" {
    EXPECT_STATS="pooljobs>=1" compare_case errno_parity nonblock_eagain
}

@test "errno: rcvtimeo" {
    EXPECT_STATS="created>=3 read>=6 accept>=1 pooljobs>=1 sleep>=2" compare_case errno_parity rcvtimeo
}

@test "errno: sndtimeo" {
    EXPECT_STATS="write>=3 pooljobs>=1" compare_case errno_parity sndtimeo
}

@test "errno: accept_errors" {
    EXPECT_STATS="pooljobs>=1 poll>=1" compare_case errno_parity accept_errors
}

@test "errno: efault" {
    EXPECT_STATS="pooljobs>=1" compare_case errno_parity efault
}

@test "errno: iov" {
    compare_case errno_parity iov
}

@test "errno: scm_rights" {
    EXPECT_STATS="created>=3 read>=2 sleep>=2" compare_case errno_parity scm_rights
}

@test "errno: shutdown" {
    EXPECT_STATS="pooljobs>=2" compare_case errno_parity shutdown
}

@test "errno: shutdown_wakes" {
    EXPECT_STATS="created>=5 read>=2 accept>=2 pooljobs>=1 sleep>=4" compare_case errno_parity shutdown_wakes
}

@test "errno: pipe_nonblock" {
    compare_case errno_parity pipe_nonblock
}

@test "errno: udp" {
    EXPECT_STATS="created>=7 read>=6 sleep>=6" compare_case errno_parity udp
}

@test "errno: read_later" {
    EXPECT_STATS="created>=9 read>=8 pooljobs>=1 sleep>=8" compare_case errno_parity read_later
}

@test "errno: zero_len" {
    EXPECT_STATS="pooljobs>=1" compare_case errno_parity zero_len
}

@test "errno: enotconn" {
    compare_case errno_parity enotconn
}

@test "errno: econnreset" {
    EXPECT_STATS="created>=3 read>=2 pooljobs>=2 sleep>=2" compare_case errno_parity econnreset
}

@test "errno: bind_errors" {
    compare_case errno_parity bind_errors
}
