#!/usr/bin/env bats
# scale: what coexec is for.  A thread-per-connection echo server holds
# 10,000 client connections at once on a handful of kernel threads, and a
# program starts 50,000 threads that block at once (pid_max here is 32768,
# so natively it cannot).  Native runs with fewer clients serve as the
# control for the way kernel threads are counted.  (The 10,000-connection
# server is killed, not ended, so it writes no statistics: there the task
# bound is the only evidence, and natively the test cannot pass it.)

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

CONNS=10000

@test "scale: native control, a server holding 200 connections has >= 201 kernel threads" {
    start_server srv
    start_bg cli "$(prog echo_client)" -c 200 -b 100 --hold 2 "$SERVER_PORT"
    local cli=$BG_PID
    wait_for_line cli "$cli" '^holding$' 60
    n=$(task_count "$SERVER_PID")
    echo "native server: $n kernel threads"
    [ "$n" -ge 201 ]
    wait_bg "$cli" 60
    [ "$RC" = 0 ]
    grep -qx 'ok 200 connections, 20000 bytes' "$BATS_TEST_TMPDIR/cli.out"
}

@test "scale: coexec echo server holds 10000 connections within the task bound" {
    start_server srv --coexec
    start_bg cli "$(prog echo_client)" -c "$CONNS" -b 100 -r 2 --hold 3 \
        --timeout 150 "$SERVER_PORT"
    local cli=$BG_PID
    wait_for_line cli "$cli" '^holding$' 160
    # every connection is open in the server at this moment
    local fds
    fds=$(ls "/proc/$SERVER_PID/fd" | wc -l)
    echo "coexec server: $fds open descriptors"
    assert_tasks_at_most "$SERVER_PID" "$TASK_BOUND" "coexec echo_server with $CONNS clients"
    [ "$fds" -ge "$CONNS" ]
    wait_bg "$cli" 60
    [ "$RC" = 0 ] || { show_bg cli; show_bg srv; false; }
    grep -qx "ok $CONNS connections, $((CONNS * 200)) bytes" "$BATS_TEST_TMPDIR/cli.out"
    # and it still serves afterwards
    run_bounded "$BATS_TEST_TMPDIR/after.out" "$BATS_TEST_TMPDIR/after.err" \
        "$(prog echo_client)" -c 10 -b 5000 "$SERVER_PORT"
    [ "$RC" = 0 ]
    kill -0 "$SERVER_PID"
}

@test "scale: coexec many_threads 50000: all block in read at once, all joined" {
    stats_env "$BATS_TEST_TMPDIR/mt.log"
    start_bg mt "${STATS_ENV[@]}" "$COEXEC" "$(prog many_threads)" 50000 --pause 500
    wait_for_line mt "$BG_PID" '^created 50000$' 150
    assert_tasks_at_most "$BG_PID" "$TASK_BOUND" "coexec many_threads 50000"
    wait_bg "$BG_PID" 150
    [ "$RC" = 0 ] || { show_bg mt; false; }
    [ "$(cat "$BATS_TEST_TMPDIR/mt.out")" = "$(printf 'created 50000\njoined 50000')" ]
    # every one of them sat in read during the pause
    check_stats "$BATS_TEST_TMPDIR/mt.log" "coexec many_threads 50000" "created>=50000 read>=50000"
}
