#!/usr/bin/env bats
# foundations: the bugs of the "sound foundations" review (fork, stale
# descriptors, shared blocking modes, yield, once, close_range, the
# runtime's descriptors, the log's stderr, wake order, joiners, futexes,
# EMFILE, the pthread_t family), each a case of tests/progs/foundations
# run natively and under coexec and compared. Each case failed before its
# fix; the case's first comment in foundations.c says what it checks.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

@test "foundations: every case has a test here" {
    check_case_list foundations "$BATS_TEST_FILENAME"
}

@test "foundations: fork_parked (one worker and the default)" {
    COEXEC_WORKERS=1 compare_case foundations fork_parked
    compare_case foundations fork_parked
}

@test "foundations: popen_rounds" {
    compare_case foundations popen_rounds
}

@test "foundations: closefrom_idle" {
    compare_case foundations closefrom_idle
}

@test "foundations: close_range_all" {
    compare_case foundations close_range_all
}

@test "foundations: many_workers (100 workers: more runtime descriptors than the old registry held)" {
    COEXEC_WORKERS=100 compare_case foundations many_workers
}

@test "foundations: accept_shared" {
    compare_case foundations accept_shared
}

@test "foundations: yield_unstarted (one worker)" {
    COEXEC_WORKERS=1 compare_case foundations yield_unstarted
}

@test "foundations: once_cancel" {
    compare_case foundations once_cancel
}

@test "foundations: once_fork" {
    compare_case foundations once_fork
}

@test "foundations: stderr_data: nothing of coexec's lands in the file the program opened as 2" {
    local data="$BATS_TEST_TMPDIR/data"
    FOUNDATIONS_DATA=$data COEXEC_STATS=1 compare_case foundations stderr_data
    # the coexec run was the last to write it
    [ "$(cat "$data")" = "data line" ] || { echo "data file:"; cat "$data"; return 1; }
}

@test "foundations: wake_order" {
    compare_case foundations wake_order
}

# Not compare_case foundations two_joiners: natively glibc 2.36 leaves the
# second concurrent joiner waiting forever (its pthread_join(3) promises
# EINVAL); coexec gives EINVAL.
@test "foundations: two_joiners: the second concurrent joiner gets EINVAL (coexec only)" {
    run_bounded "$BATS_TEST_TMPDIR/o" "$BATS_TEST_TMPDIR/e" "$COEXEC" "$(prog foundations)" two_joiners
    [ "$RC" = 0 ] || { echo "exit $(describe_rc "$RC")"; cat "$BATS_TEST_TMPDIR/o"; return 1; }
    grep -qx 'main: first joiner: 0; second joiner: EINVAL' "$BATS_TEST_TMPDIR/o"
    grep -qx 'thread: first joiner: 0; second joiner: EINVAL' "$BATS_TEST_TMPDIR/o"
}

@test "foundations: futex_restart" {
    compare_case foundations futex_restart
}

@test "foundations: emfile_thread" {
    compare_case foundations emfile_thread
}

@test "foundations: sched_params" {
    compare_case foundations sched_params
}
