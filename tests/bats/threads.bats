#!/usr/bin/env bats
# threads: the pthread API around threads (create, join variants, detach,
# exit, stacks, names, TSD, cancellation, yield) compared with the native
# run; many threads blocked at once; and the mechanism: threads blocked in
# read() under coexec are coroutines, not kernel threads.
#
# Every coexec run must also prove coexec ran it (statistics, see
# "Evidence" in helpers.bash): the threads created as coroutines, and the
# parks the case cannot do without (a gated thread's read, a join that must
# time out, sleeps).  The mechanism tests check the statistics too: a task
# count within the bound says nothing when the program would fit natively.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

@test "thread_api: every case has a test here" {
    check_case_list thread_api "$BATS_TEST_FILENAME"
}

@test "thread_api: join_values" {
    EXPECT_STATS="created>=2007" compare_case thread_api join_values
}

@test "thread_api: detached" {
    EXPECT_STATS="created>=3 read>=1 sleep>=1" compare_case thread_api detached
}

@test "thread_api: detach" {
    EXPECT_STATS="created>=3 read>=1 sleep>=1" compare_case thread_api detach
}

@test "thread_api: join_self" {
    compare_case thread_api join_self
}

@test "thread_api: tryjoin" {
    EXPECT_STATS="created>=3 sleep>=1" compare_case thread_api tryjoin
}

@test "thread_api: timedjoin" {
    EXPECT_STATS="created>=5 join>=4 read>=2 sleep>=2" compare_case thread_api timedjoin
}

@test "thread_api: stacks" {
    EXPECT_STATS="created>=9" compare_case thread_api stacks
}

@test "thread_api: user_stack" {
    EXPECT_STATS="created>=7" compare_case thread_api user_stack
}

@test "thread_api: self_equal" {
    EXPECT_STATS="created>=5 read>=2 sleep>=2" compare_case thread_api self_equal
}

@test "thread_api: names" {
    EXPECT_STATS="created>=5 read>=1 sleep>=2" compare_case thread_api names
}

@test "thread_api: yield" {
    EXPECT_STATS="created>=5" compare_case thread_api yield
}

@test "thread_api: errno" {
    EXPECT_STATS="created>=5 read>=2 sleep>=3" compare_case thread_api errno
}

@test "thread_api: tsd" {
    EXPECT_STATS="created>=11 sleep>=10" compare_case thread_api tsd
}

@test "thread_api: cancel" {
    EXPECT_STATS="created>=7 read>=4 sleep>=10" compare_case thread_api cancel
}

@test "thread_api: pthread_exit from main, the process lives until the last thread" {
    EXPECT_STATS="created>=3 sleep>=3" compare_native thread_api exit_main
}

@test "thread_api: a process without threads cancels main, read acts on it" {
    compare_native thread_api cancel_alone
    grep -q "cleanup handler runs" "$BATS_TEST_TMPDIR/cmp.1/coexec.out"
}

@test "thread_api: bad arguments give the same usage error" {
    EXPECT_RC=2 compare_native thread_api no_such_case
}

@test "many_threads: 1000 threads blocked in read on one pipe" {
    EXPECT_STATS="created>=1000 parks>=1" compare_native many_threads 1000
}

@test "many_threads: 5000 threads blocked in read on one pipe" {
    EXPECT_STATS="created>=5000 parks>=1" compare_native many_threads 5000
}

@test "many_threads: bad arguments give the same usage error" {
    EXPECT_RC=2 compare_native many_threads
    EXPECT_RC=2 compare_native many_threads 0
}

# The control: natively every blocked thread is a kernel thread, so the
# way we count is sound.
@test "mechanism: native, 100 threads blocked in read are >= 101 kernel threads" {
    start_bg mt "$(prog many_threads)" 100 --pause 1500
    wait_for_line mt "$BG_PID" '^created 100$' 30
    n=$(task_count "$BG_PID")
    echo "native: $n kernel threads"
    [ "$n" -ge 101 ]
    wait_bg "$BG_PID" 30
    [ "$RC" = 0 ]
    grep -qx 'joined 100' "$BATS_TEST_TMPDIR/mt.out"
}

@test "mechanism: coexec, 100 threads blocked in read stay within the task bound" {
    stats_env "$BATS_TEST_TMPDIR/mt.log"
    start_bg mt "${STATS_ENV[@]}" "$COEXEC" "$(prog many_threads)" 100 --pause 1500
    wait_for_line mt "$BG_PID" '^created 100$' 30
    assert_tasks_at_most "$BG_PID" "$TASK_BOUND" "coexec many_threads 100"
    wait_bg "$BG_PID" 30
    [ "$RC" = 0 ] || { show_bg mt; false; }
    grep -qx 'joined 100' "$BATS_TEST_TMPDIR/mt.out"
    # all 100 sat in read for the whole pause
    check_stats "$BATS_TEST_TMPDIR/mt.log" "coexec many_threads 100" "created>=100 read>=100"
}

@test "mechanism: coexec, a program that never creates a thread stays one task" {
    stats_env "$BATS_TEST_TMPDIR/mt.log"
    start_bg mt "${STATS_ENV[@]}" "$COEXEC" "$(prog many_threads)" 1 --pause 1000
    wait_for_line mt "$BG_PID" '^created 1$' 30
    # main plus the one thread it made: both coroutines on one worker
    assert_tasks_at_most "$BG_PID" "$TASK_BOUND" "coexec many_threads 1"
    wait_bg "$BG_PID" 30
    [ "$RC" = 0 ]
    # (natively this is 2 tasks too: only the statistics show coexec ran it)
    check_stats "$BATS_TEST_TMPDIR/mt.log" "coexec many_threads 1" "created>=1 read>=1"
}

@test "parked: 20 threads blocked in each of 13 kinds of call, then released" {
    EXPECT_STATS="created>=280 read>=1 write>=1 accept>=1 poll>=1 sleep>=40" \
        compare_native parked 20
}

@test "mechanism: coexec, 50 threads in each of 13 kinds of blocking call stay within the task bound" {
    stats_env "$BATS_TEST_TMPDIR/pk.log"
    start_bg pk "${STATS_ENV[@]}" "$COEXEC" "$(prog parked)" 50 --pause 1000
    wait_for_line pk "$BG_PID" '^parked 700$' 30
    sleep 0.3   # let the last ones reach their call
    assert_tasks_at_most "$BG_PID" "$TASK_BOUND" "coexec parked 50"
    wait_bg "$BG_PID" 60
    [ "$RC" = 0 ] || { show_bg pk; false; }
    grep -qx 'joined 700' "$BATS_TEST_TMPDIR/pk.out"
    check_stats "$BATS_TEST_TMPDIR/pk.log" "coexec parked 50" \
        "created>=700 read>=1 write>=1 accept>=1 poll>=1 sleep>=100 join>=1"
}
