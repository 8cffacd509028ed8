#!/usr/bin/env bats
# stall: the stall monitor (COEXEC_STALL_MS, the debug log's "stall"
# category). Each case of tests/progs/stall (its first comment lists them)
# runs natively and under coexec with one worker and must print the same;
# the coexec run's log must then show what the monitor saw: one line per
# thread and call site that held the worker while another thread waited,
# saying what it was doing, and the statistics' count of stalls.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

# stall_run CASE: compare_native with one worker and the stall category
# on; LOG is the coexec run's log.
stall_run() {
    COEXEC_WORKERS=1 COEXEC_DEBUG=stall compare_native stall "$1"
    LOG="$BATS_TEST_TMPDIR/cmp.$CMP_N/coexec.log"
}

stall_lines() {
    grep -c ' stall: co[0-9]* (start routine ' "$LOG" || true
}

@test "stall: spin: 300 ms of computing while another thread waits: one line, computing" {
    stall_run spin
    [ "$(stall_lines)" = 1 ] || { cat "$LOG"; false; }
    grep -q 'has held worker 0 for [0-9]* ms while others wait to run there: computing' "$LOG"
    grep -q 'stats: stalls: 1 (a worker held for 20 ms or more; longest [0-9]* ms)' "$LOG"
}

@test "stall: rawsleep: a 200 ms system call coexec does not park is named" {
    stall_run rawsleep
    [ "$(stall_lines)" = 1 ] || { cat "$LOG"; false; }
    grep -q 'while others wait to run there: in system call 35 (nanosleep), which coexec does not park' "$LOG"
}

@test "stall: repeat: five stalls from one place: one line, all counted" {
    stall_run repeat
    [ "$(stall_lines)" = 1 ] || { cat "$LOG"; false; }
    local n
    n=$(sed -n 's/.*stats: stalls: \([0-9]*\) .*/\1/p' "$LOG")
    # each 60 ms computation is a stall once the ticker is due (10 ms);
    # a machine that delays the monitor by 30 ms may miss one
    [ "${n:-0}" -ge 3 ] && [ "${n:-0}" -le 5 ] || { cat "$LOG"; false; }
}

@test "stall: busy_ok: threads that switch all the time are no stall" {
    # 200 ms: a busy machine that preempts the worker for 20 ms is not
    # what this case is about
    COEXEC_STALL_MS=200 stall_run busy_ok
    [ "$(stall_lines)" = 0 ] || { cat "$LOG"; false; }
    ! grep -q 'stats: stalls:' "$LOG"
}

@test "stall: COEXEC_STALL_MS=0 turns the monitor off" {
    COEXEC_STALL_MS=0 stall_run spin
    [ "$(stall_lines)" = 0 ] || { cat "$LOG"; false; }
    ! grep -q 'stats: stalls:' "$LOG"
}

@test "stall: a bad COEXEC_STALL_MS is one line on stderr, and the run goes on" {
    run --separate-stderr env COEXEC_STALL_MS=soon COEXEC_WORKERS=1 "$COEXEC" "$(prog stall)" spin
    [ "$status" = 0 ]
    [ "$output" = "spin: done, ticker ticked: yes" ]
    [ "$stderr" = "coexec: COEXEC_STALL_MS: 'soon' is not a number of milliseconds from 0 (no monitor) to 60000; using 20" ]
}
