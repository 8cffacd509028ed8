#!/usr/bin/env bats
# poll, select and epoll: waiting on pipes, socketpairs and sockets with
# timeouts of 0, finite and infinite, readiness from other threads, errors.
#
# Each test runs one case of a test program natively and under coexec and
# requires identical stdout, stderr and exit status.  Every case runs once
# on the main thread and once on a thread of its own.
#
# The coexec run of each must also prove coexec ran it: its statistics
# (COEXEC_STATS, see "Evidence" in helpers.bash) show at least one thread
# created as a coroutine, and, in EXPECT_STATS, the parks the case cannot
# do without: a wait that must time out, or that another thread ends after
# a sleep, parks in poll (poll, select and epoll alike), and the helper
# thread's sleep in sleep. A park counts only where a coroutine has
# company (the main run of a case, before it starts a thread, makes the
# real calls).

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

@test "poll: every case has a test here" {
    check_case_list poll_user "$BATS_TEST_FILENAME"
}

@test "poll: zero_empty" {
    compare_case poll_user zero_empty
}

@test "poll: zero_ready" {
    compare_case poll_user zero_ready
}

@test "poll: timeout" {
    EXPECT_STATS="poll>=1" compare_case poll_user timeout
}

@test "poll: ppoll_timeout" {
    EXPECT_STATS="poll>=2" compare_case poll_user ppoll_timeout
}

@test "poll: infinite_wake" {
    EXPECT_STATS="poll>=2 sleep>=2" compare_case poll_user infinite_wake
}

@test "poll: ppoll_null_wake" {
    EXPECT_STATS="poll>=2 sleep>=2" compare_case poll_user ppoll_null_wake
}

@test "poll: finite_wake" {
    EXPECT_STATS="poll>=2 sleep>=2" compare_case poll_user finite_wake
}

@test "poll: hup_pipe" {
    compare_case poll_user hup_pipe
}

@test "poll: hup_socketpair" {
    compare_case poll_user hup_socketpair
}

@test "poll: hup_wake" {
    EXPECT_STATS="poll>=2 sleep>=2" compare_case poll_user hup_wake
}

@test "poll: rdhup" {
    compare_case poll_user rdhup
}

@test "poll: nval" {
    compare_case poll_user nval
}

@test "poll: negative_fd" {
    EXPECT_STATS="poll>=1" compare_case poll_user negative_fd
}

@test "poll: pollout_full" {
    EXPECT_STATS="poll>=3 sleep>=2" compare_case poll_user pollout_full
}

@test "poll: multi_waiters" {
    EXPECT_STATS="created>=11 poll>=10 sleep>=2" compare_case poll_user multi_waiters
}

@test "poll: concurrent_timeouts" {
    EXPECT_STATS="created>=21 poll>=20" compare_case poll_user concurrent_timeouts
}

@test "poll: nfds0_sleep" {
    EXPECT_STATS="poll>=1" compare_case poll_user nfds0_sleep
}

@test "poll: errors" {
    compare_case poll_user errors
}

@test "poll: regular_file" {
    compare_case poll_user regular_file
}

@test "poll: eventfd_wake" {
    EXPECT_STATS="poll>=2 sleep>=2" compare_case poll_user eventfd_wake
}

@test "poll: two_fds" {
    EXPECT_STATS="poll>=2 sleep>=2" compare_case poll_user two_fds
}

@test "poll: listen_ready" {
    EXPECT_STATS="poll>=2 sleep>=2" compare_case poll_user listen_ready
}

@test "select: every case has a test here" {
    check_case_list select_user "$BATS_TEST_FILENAME"
}

@test "select: zero_empty" {
    compare_case select_user zero_empty
}

@test "select: zero_ready" {
    compare_case select_user zero_ready
}

@test "select: timeout" {
    EXPECT_STATS="poll>=1" compare_case select_user timeout
}

@test "select: pselect_timeout" {
    EXPECT_STATS="poll>=2" compare_case select_user pselect_timeout
}

@test "select: infinite_wake" {
    EXPECT_STATS="poll>=2 sleep>=2" compare_case select_user infinite_wake
}

@test "select: pselect_wake" {
    EXPECT_STATS="poll>=2 sleep>=2" compare_case select_user pselect_wake
}

@test "select: finite_wake" {
    EXPECT_STATS="poll>=2 sleep>=2" compare_case select_user finite_wake
}

@test "select: ebadf" {
    compare_case select_user ebadf
}

@test "select: einval" {
    compare_case select_user einval
}

@test "select: nfds0_sleep" {
    EXPECT_STATS="poll>=1" compare_case select_user nfds0_sleep
}

@test "select: writable" {
    compare_case select_user writable
}

@test "select: eof" {
    EXPECT_STATS="poll>=2 sleep>=2" compare_case select_user eof
}

@test "select: write_full" {
    EXPECT_STATS="poll>=3 sleep>=2" compare_case select_user write_full
}

@test "select: oob" {
    EXPECT_STATS="poll>=2 sleep>=2" compare_case select_user oob
}

@test "select: multi_waiters" {
    EXPECT_STATS="created>=11 poll>=10 sleep>=2" compare_case select_user multi_waiters
}

@test "select: concurrent_timeouts" {
    EXPECT_STATS="created>=21 poll>=20" compare_case select_user concurrent_timeouts
}

@test "select: listen_ready" {
    EXPECT_STATS="poll>=2 sleep>=2" compare_case select_user listen_ready
}

@test "select: high_fd" {
    EXPECT_STATS="poll>=2 sleep>=2" compare_case select_user high_fd
}

@test "select: mixed" {
    compare_case select_user mixed
}

@test "epoll: every case has a test here" {
    check_case_list epoll_user "$BATS_TEST_FILENAME"
}

@test "epoll: zero_empty" {
    compare_case epoll_user zero_empty
}

@test "epoll: timeout" {
    EXPECT_STATS="poll>=3" compare_case epoll_user timeout
}

@test "epoll: pwait2" {
    EXPECT_STATS="poll>=3 sleep>=2" compare_case epoll_user pwait2
}

@test "epoll: ready" {
    compare_case epoll_user ready
}

@test "epoll: infinite_wake" {
    EXPECT_STATS="poll>=2 sleep>=2" compare_case epoll_user infinite_wake
}

@test "epoll: finite_wake" {
    EXPECT_STATS="poll>=2 sleep>=2" compare_case epoll_user finite_wake
}

@test "epoll: hup" {
    EXPECT_STATS="poll>=2 sleep>=2" compare_case epoll_user hup
}

@test "epoll: rdhup" {
    compare_case epoll_user rdhup
}

@test "epoll: edge_triggered" {
    EXPECT_STATS="poll>=3 sleep>=2" compare_case epoll_user edge_triggered
}

@test "epoll: oneshot" {
    compare_case epoll_user oneshot
}

@test "epoll: ctl_errors" {
    compare_case epoll_user ctl_errors
}

@test "epoll: wait_errors" {
    compare_case epoll_user wait_errors
}

@test "epoll: maxevents" {
    compare_case epoll_user maxevents
}

@test "epoll: multi_waiters" {
    EXPECT_STATS="created>=7 poll>=6 sleep>=6" compare_case epoll_user multi_waiters
}

@test "epoll: concurrent_timeouts" {
    EXPECT_STATS="created>=21 poll>=20" compare_case epoll_user concurrent_timeouts
}

@test "epoll: ctl_add_wakes" {
    EXPECT_STATS="poll>=2 sleep>=2" compare_case epoll_user ctl_add_wakes
}

@test "epoll: nested" {
    EXPECT_STATS="poll>=2 sleep>=2" compare_case epoll_user nested
}

@test "epoll: eventfd" {
    EXPECT_STATS="poll>=2 sleep>=2" compare_case epoll_user eventfd
}

@test "epoll: writable" {
    compare_case epoll_user writable
}
