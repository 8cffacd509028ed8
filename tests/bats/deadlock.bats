#!/usr/bin/env bats
# deadlock: the report coexec prints when every thread waits for another
# (sched/deadlock.c), on programs that hang natively (tests/progs/deadlock):
# who waits on what, and which thread holds each mutex; then it keeps
# waiting as natively, or aborts with COEXEC_DEADLOCK=abort. Waits that a
# descriptor or a timer can end are never reported.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

# dl_case CASE: natively CASE hangs (killed after 1 s); under coexec with
# COEXEC_DEADLOCK=abort it ends with SIGABRT after one report. Sets OUT
# (coexec's stdout) and ERR (its stderr, the report).
dl_case() {
    local p
    p=$(prog deadlock) || return 1
    run timeout 1 "$p" "$1"
    [ "$status" -eq 124 ] || { echo "NATIVE $1 did not hang: status $status"; return 1; }
    local d="$BATS_TEST_TMPDIR/$1"
    mkdir -p "$d"
    COEXEC_DEADLOCK=abort timeout 20 "$COEXEC" "$p" "$1" >"$d/out" 2>"$d/err" || RC=$?
    OUT=$(cat "$d/out")
    ERR=$(cat "$d/err")
    echo "$ERR"
    [ "${RC:-0}" -eq 134 ] || { echo "coexec $1: status ${RC:-0}, expected 134 (abort)"; return 1; }
    [ "$(grep -c '^coexec: all threads are asleep: deadlock$' <<<"$ERR")" -eq 1 ]
    grep -q '^coexec:   co1 "deadlock": main(): waits in pthread_join for co2 to end$' <<<"$ERR"
}

@test "deadlock: every case has a test here" {
    check_case_list deadlock "$BATS_TEST_FILENAME" "(dl_case|compare_case deadlock|quiet_hang|\"[$]p\")"
}

@test "deadlock: abba: two threads, two mutexes in opposite order: both named, each mutex's holder the other" {
    dl_case abba
    read -r _ m1 _ m2 <<<"$OUT"
    local w1 w2
    w1=$(grep "waits on mutex $m1, held by co" <<<"$ERR" | sed 's/^coexec:   co\([0-9]*\) .*held by co\([0-9]*\)$/\1 \2/')
    w2=$(grep "waits on mutex $m2, held by co" <<<"$ERR" | sed 's/^coexec:   co\([0-9]*\) .*held by co\([0-9]*\)$/\1 \2/')
    read -r a ha <<<"$w1"
    read -r b hb <<<"$w2"
    [ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ]
    [ "$ha" = "$b" ] && [ "$hb" = "$a" ]
    grep -q "start routine deadlock+0x[0-9a-f]*, stack [0-9]* KiB: waits on mutex" <<<"$ERR"
}

@test "deadlock: ring: 50 threads each holding the mutex the next wants: 50 waits, the holders are the waiters" {
    dl_case ring
    [ "$(grep -c 'waits on mutex' <<<"$ERR")" -eq 50 ]
    waiters=$(grep 'waits on mutex' <<<"$ERR" | sed 's/^coexec:   co\([0-9]*\) .*/\1/' | sort -n)
    holders=$(grep 'waits on mutex' <<<"$ERR" | sed 's/.*held by co\([0-9]*\)$/\1/' | sort -n)
    [ "$waiters" = "$holders" ]
}

@test "deadlock: cond: 3 threads wait on a condition variable nobody signals" {
    dl_case cond
    [ "$(grep -c 'waits on condition variable 0x' <<<"$ERR")" -eq 3 ]
    [ "$(grep 'waits on condition variable' <<<"$ERR" | sed 's/.* //' | sort -u | wc -l)" -eq 1 ]
}

@test "deadlock: without COEXEC_DEADLOCK=abort the report comes once and the program keeps waiting, as natively" {
    p=$(prog deadlock)
    run timeout 3 "$COEXEC" "$p" abba
    [ "$status" -eq 124 ]
    [ "$(grep -c 'all threads are asleep: deadlock' <<<"$output")" -eq 1 ]
}

@test "deadlock: sleeper: waits a sleeping thread will end are no deadlock" {
    EXPECT_STATS="created>=3 sync>=1 sleep>=1" compare_case deadlock sleeper
}

@test "deadlock: alarm: a wait a signal handler will end (alarm(1), sem_post) is no deadlock" {
    EXPECT_STATS="created>=1 sync>=1" compare_case deadlock alarm
}

@test "deadlock: partial: two threads in a lock cycle while a third runs: the cycle reported, the program goes on" {
    p=$(prog deadlock)
    run timeout 20 "$p" partial
    [ "$status" -eq 0 ]
    native=$output
    d="$BATS_TEST_TMPDIR/partial"
    mkdir -p "$d"
    rc=0
    COEXEC_STATS=1 timeout 20 "$COEXEC" "$p" partial >"$d/out" 2>"$d/err" || rc=$?
    cat "$d/err"
    [ "$rc" -eq 0 ]
    # the same ticks (the first line, addresses, differs from run to run)
    [ "$(tail -n +2 "$d/out")" = "$(tail -n +2 <<<"$native")" ]
    err=$(cat "$d/err")
    [ "$(grep -c '^coexec: threads in a cycle of lock waits: deadlock (other threads still run)$' <<<"$err")" -eq 1 ]
    [ "$(grep -c 'waits on mutex 0x[0-9a-f]*, held by co' <<<"$err")" -eq 2 ]
    ! grep -q 'all threads are asleep' <<<"$err"
    grep -q '^coexec: stats: deadlocks: 1 reported (1 of them lock cycles while other threads ran)$' <<<"$err"
    read -r _ m1 _ m2 < "$d/out"
    grep -q "waits on mutex $m1, held by co" <<<"$err"
    grep -q "waits on mutex $m2, held by co" <<<"$err"
}

# quiet_hang CASE: natively and under coexec (COEXEC_DEADLOCK=abort) CASE
# hangs; coexec reports nothing.
quiet_hang() {
    p=$(prog deadlock)
    run timeout 1 "$p" "$1"
    [ "$status" -eq 124 ]
    COEXEC_DEADLOCK=abort run timeout 2 "$COEXEC" "$p" "$1"
    echo "$output"
    [ "$status" -eq 124 ]
    ! grep -q 'deadlock' <<<"$output"
}

@test "deadlock: reader: a read nobody will answer is a hang a descriptor can end, not reported" {
    quiet_hang reader
}

@test "deadlock: COEXEC_DEADLOCK with a bad value: one line, the default used" {
    p=$(prog deadlock)
    COEXEC_DEADLOCK=bogus run timeout 3 "$COEXEC" "$p" abba
    [ "$status" -eq 124 ]
    [ "${lines[0]}" = "coexec: COEXEC_DEADLOCK: 'bogus' is not 'report' or 'abort'; using report" ]
    grep -q 'all threads are asleep: deadlock' <<<"$output"
}
