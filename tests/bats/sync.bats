#!/usr/bin/env bats
# sync: mutexes, condition variables, rwlocks, barriers, semaphores,
# pthread_once, spin locks and C++ static-init guards, compared with the
# native run: the hangs that motivate parking on them (sync_hang), exact
# results under load (sync_stress), timed waits (sync_timed), error returns
# of misuse (sync_misuse) and the C++17 library (cxx_sync); then real
# multi-threaded programs (pigz, xz) whose output must be byte-identical.
#
# Each case test runs one case of a program natively and under coexec and
# requires identical stdout, stderr and exit status; every case runs once
# on the main thread and once on a thread of its own.  COEXEC_WORKERS=1
# runs put every coroutine on one kernel thread, so a lock's owner and its
# waiter are neighbours there.  A hang shows as "TIMED OUT".

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

# Seconds for the big counter runs of sync_stress (natively several
# seconds each, more on a loaded machine); other cases get CASE_TIMEOUT.
STRESS_TIMEOUT=${COEXEC_TEST_STRESS_TIMEOUT:-60}

# compare_stress CASE [OPTION N]...: one case of sync_stress with sizes,
# bounded by CASE_TIMEOUT.
compare_stress() {
    local c=$1
    shift
    RUN_TIMEOUT=$CASE_TIMEOUT compare_native sync_stress "$@" "$c"
}

# Like check_case_list, for the lines that call compare_stress.
check_stress_list() {
    local p want have
    p=$(prog sync_stress) || return 1
    want=$("$p" --list | sort)
    have=$(grep -oE "compare_stress [a-z0-9_]+" "$BATS_TEST_FILENAME" | awk '{print $2}' | sort -u)
    if [ "$want" != "$have" ]; then
        echo "cases of sync_stress and tests in $(basename "$BATS_TEST_FILENAME") differ (- program, + tests):"
        diff -u <(echo "$want") <(echo "$have") | tail -n +3
        return 1
    fi
}

# need_cmd CMD...: skip unless every command is installed.
need_cmd() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 ||
            skip "$c is not installed (scripts/setup-debian installs pigz and xz-utils)"
    done
}

# make_input: a deterministic, compressible 64 MiB text file, made once per
# run of this file (a few seconds); sets INPUT.  Lines of pseudo-words
# drawn, skewed, from a fixed vocabulary with a fixed seed.
make_input() {
    INPUT="$BATS_FILE_TMPDIR/input-64M.txt"
    [ -s "$INPUT" ] && return 0
    awk 'BEGIN {
        srand(12345)
        for (i = 0; i < 4096; i++) {
            w = ""
            l = 2 + int(rand() * 9)
            for (j = 0; j < l; j++)
                w = w sprintf("%c", 97 + int(rand() * 26))
            voc[i] = w
        }
        target = 64 * 1024 * 1024
        size = 0
        line = 0
        while (size < target) {
            s = sprintf("%08d", line++)
            k = 6 + int(rand() * 12)
            for (j = 0; j < k; j++)
                s = s " " voc[int(rand() * rand() * 4096)]
            s = s "\n"
            if (size + length(s) > target)
                s = substr(s, 1, target - size)
            printf "%s", s
            size += length(s)
        }
    }' >"$INPUT.tmp" || return 1
    mv "$INPUT.tmp" "$INPUT"
    local n
    n=$(stat -c %s "$INPUT")
    [ "$n" = 67108864 ] || { echo "input is $n bytes, not 64 MiB"; return 1; }
}

# run_sampled NAME SECONDS CMD...: run CMD in the background (stdout and
# stderr to NAME.out and NAME.err in $BATS_TEST_TMPDIR), counting its
# kernel threads until it exits; sets RC and MAX_TASKS.
run_sampled() {
    local name=$1 secs=$2
    shift 2
    start_bg "$name" "$@"
    local pid=$BG_PID end=$((SECONDS + secs)) n
    MAX_TASKS=0
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -le "$end" ]; do
        n=$(task_count "$pid")
        [ "$n" -gt "$MAX_TASKS" ] && MAX_TASKS=$n
        sleep 0.02
    done
    wait_bg "$pid" 5 || true
}

# real_program NAME SUFFIX DECOMPRESS_ARGS -- COMPRESS_CMD...: compress
# $INPUT natively and under coexec (outputs must be byte-identical, and
# coexec must stay within the task bound), then decompress the coexec
# output (saved as NAME.SUFFIX) under coexec with DECOMPRESS_ARGS (split on
# blanks) and get $INPUT back.
real_program() {
    local name=$1 suffix=$2 dargs=$3
    shift 4
    local d=$BATS_TEST_TMPDIR
    run_sampled "$name-native" "$RUN_TIMEOUT" "$@" "$INPUT"
    local nrc=$RC ntasks=$MAX_TASKS
    echo "native $*: exit $(describe_rc "$nrc"), up to $ntasks kernel threads"
    if [ "$nrc" != 0 ]; then
        show_bg "$name-native"
        return 1
    fi
    run_sampled "$name-coexec" "$RUN_TIMEOUT" "$COEXEC" "$@" "$INPUT"
    local crc=$RC ctasks=$MAX_TASKS
    echo "coexec $*: exit $(describe_rc "$crc"), up to $ctasks kernel threads"
    if [ "$crc" != 0 ]; then
        show_bg "$name-coexec"
        return 1
    fi
    if ! cmp "$d/$name-native.out" "$d/$name-coexec.out"; then
        echo "the compressed outputs differ ($(stat -c %s "$d/$name-native.out") bytes native," \
             "$(stat -c %s "$d/$name-coexec.out") bytes under coexec)"
        return 1
    fi
    if ! cmp -s "$d/$name-native.err" "$d/$name-coexec.err"; then
        echo "stderr differs (- native, + coexec):"
        diff -u "$d/$name-native.err" "$d/$name-coexec.err" | tail -n +3 | head -20
        return 1
    fi
    if [ "$ctasks" -gt "$TASK_BOUND" ]; then
        echo "coexec $1 had $ctasks kernel threads, more than $TASK_BOUND: threads did not become coroutines"
        return 1
    fi
    mv "$d/$name-coexec.out" "$d/$name.$suffix"
    # shellcheck disable=SC2086  # DECOMPRESS_ARGS are several words
    run_bounded "$d/$name.back" "$d/$name.back.err" "$COEXEC" "$1" $dargs -c "$d/$name.$suffix"
    if [ "$RC" != 0 ]; then
        echo "coexec $1 $dargs exited $(describe_rc "$RC")"
        head -20 "$d/$name.back.err"
        return 1
    fi
    if ! cmp "$INPUT" "$d/$name.back"; then
        echo "decompressing under coexec did not restore the input"
        return 1
    fi
}

# ---- sync_hang: the hangs ------------------------------------------------

@test "sync_hang: every case has a test here" {
    check_case_list sync_hang "$BATS_TEST_FILENAME"
}

@test "sync_hang: mutex_sleep" {
    compare_case sync_hang mutex_sleep
}

@test "sync_hang: mutex_pipe" {
    compare_case sync_hang mutex_pipe
}

@test "sync_hang: cond_many" {
    compare_case sync_hang cond_many
}

@test "sync_hang: recursive_neighbour" {
    compare_case sync_hang recursive_neighbour
}

@test "sync_hang: errorcheck_neighbour" {
    compare_case sync_hang errorcheck_neighbour
}

@test "sync_hang: every case with one worker (owner and waiters on one kernel thread)" {
    COEXEC_WORKERS=1 compare_native sync_hang
}

@test "mechanism: native, 50 threads blocked on a mutex and 50 on a condvar are >= 101 kernel threads" {
    start_bg sp "$(prog sync_hang)" --park 50 1500
    wait_for_line sp "$BG_PID" '^parked 100$' 30
    n=$(task_count "$BG_PID")
    echo "native: $n kernel threads"
    [ "$n" -ge 101 ]
    wait_bg "$BG_PID" 30
    [ "$RC" = 0 ] || { show_bg sp; false; }
    grep -qx 'joined 100' "$BATS_TEST_TMPDIR/sp.out"
}

@test "mechanism: coexec, 500 threads blocked on a mutex and 500 on a condvar stay within the task bound" {
    start_bg sp "$COEXEC" "$(prog sync_hang)" --park 500 1500
    wait_for_line sp "$BG_PID" '^parked 1000$' 30
    sleep 0.3   # let the last ones reach their call
    assert_tasks_at_most "$BG_PID" "$TASK_BOUND" "coexec sync_hang --park 500"
    wait_bg "$BG_PID" 60
    [ "$RC" = 0 ] || { show_bg sp; false; }
    grep -qx 'joined 1000' "$BATS_TEST_TMPDIR/sp.out"
}

# ---- sync_stress: exact results under load ---------------------------------

@test "sync_stress: every case has a test here" {
    check_stress_list
}

# 10000 threads; 10 increments each rather than the program's default 100,
# which natively takes 10 s or more per run (every unlock hands the mutex
# to a sleeping kernel thread).  The full size runs under coexec below.
@test "sync_stress: counter_yield, 10000 threads x 10 with sched_yield in the critical section" {
    CASE_TIMEOUT=$STRESS_TIMEOUT compare_stress counter_yield --iters 10
}

@test "sync_stress: counter_yield at full size (10000 threads x 100) under coexec gives the exact count" {
    local d=$BATS_TEST_TMPDIR
    RUN_TIMEOUT=$STRESS_TIMEOUT run_bounded "$d/out" "$d/err" "$COEXEC" "$(prog sync_stress)" counter_yield
    local want='== counter_yield
main: 10000 threads x 100: counter 1000000 (expected 1000000)
thread: 10000 threads x 100: counter 1000000 (expected 1000000)'
    if [ "$RC" != 0 ] || [ "$(cat "$d/out")" != "$want" ] || [ -s "$d/err" ]; then
        echo "coexec sync_stress counter_yield exited $(describe_rc "$RC")"
        echo "---- expected:"; echo "$want"
        echo "---- stdout:"; head -20 "$d/out"
        echo "---- stderr:"; head -20 "$d/err"
        return 1
    fi
}

# Natively each 1 us nanosleep costs some 100 us (timer slack), all of them
# in the critical section: 2000 threads x 20 keep it to a few seconds.
@test "sync_stress: counter_sleep, 2000 threads x 20 with a 1 us nanosleep in the critical section" {
    CASE_TIMEOUT=$STRESS_TIMEOUT compare_stress counter_sleep --threads 2000 --iters 20
}

@test "sync_stress: queue, 4 producers and 4 consumers on 8 slots" {
    compare_stress queue
}

@test "sync_stress: rwlock, 200 readers and 4 writers" {
    compare_stress rwlock
}

@test "sync_stress: rwlock_prefer_writer" {
    compare_stress rwlock_prefer_writer
}

@test "sync_stress: barrier, 1000 threads x 5 rounds" {
    compare_stress barrier
}

@test "sync_stress: sem_pool, 100 threads sharing 4 permits" {
    compare_stress sem_pool
}

@test "sync_stress: sem_handoff, 1000 waiters" {
    compare_stress sem_handoff
}

@test "sync_stress: once, 1000 threads" {
    compare_stress once
}

@test "sync_stress: spin, sched_yield inside the critical section" {
    compare_stress spin
}

@test "sync_stress: several cases with one worker" {
    COEXEC_WORKERS=1 RUN_TIMEOUT=$STRESS_TIMEOUT compare_native sync_stress \
        --threads 2000 --iters 10 counter_yield queue rwlock barrier sem_pool once
}

@test "sync_stress: bad arguments give the same usage error" {
    EXPECT_RC=2 compare_native sync_stress --threads
    EXPECT_RC=2 compare_native sync_stress --threads 0 once
    EXPECT_RC=2 compare_native sync_stress no_such_case
}

# ---- sync_timed: timed waits -----------------------------------------------

@test "sync_timed: every case has a test here" {
    check_case_list sync_timed "$BATS_TEST_FILENAME"
}

@test "sync_timed: mutex_timedlock" {
    compare_case sync_timed mutex_timedlock
}

@test "sync_timed: mutex_clocklock" {
    compare_case sync_timed mutex_clocklock
}

@test "sync_timed: cond_timedwait" {
    compare_case sync_timed cond_timedwait
}

@test "sync_timed: cond_monotonic" {
    compare_case sync_timed cond_monotonic
}

@test "sync_timed: cond_clockwait" {
    compare_case sync_timed cond_clockwait
}

@test "sync_timed: rwlock_timed" {
    compare_case sync_timed rwlock_timed
}

@test "sync_timed: rwlock_clock" {
    compare_case sync_timed rwlock_clock
}

@test "sync_timed: sem_timed" {
    compare_case sync_timed sem_timed
}

@test "sync_timed: timedjoin" {
    compare_case sync_timed timedjoin
}

@test "sync_timed: clockjoin" {
    compare_case sync_timed clockjoin
}

# ---- sync_misuse: error returns --------------------------------------------

@test "sync_misuse: every case has a test here" {
    check_case_list sync_misuse "$BATS_TEST_FILENAME"
}

@test "sync_misuse: errorcheck" {
    compare_case sync_misuse errorcheck
}

@test "sync_misuse: recursive" {
    compare_case sync_misuse recursive
}

@test "sync_misuse: normal" {
    compare_case sync_misuse normal
}

@test "sync_misuse: timedlock_inval" {
    compare_case sync_misuse timedlock_inval
}

@test "sync_misuse: clocklock_clock" {
    compare_case sync_misuse clocklock_clock
}

@test "sync_misuse: cond_inval" {
    compare_case sync_misuse cond_inval
}

@test "sync_misuse: cond_eperm" {
    compare_case sync_misuse cond_eperm
}

@test "sync_misuse: rwlock_errors" {
    compare_case sync_misuse rwlock_errors
}

@test "sync_misuse: barrier_errors" {
    compare_case sync_misuse barrier_errors
}

@test "sync_misuse: sem_errors" {
    compare_case sync_misuse sem_errors
}

@test "sync_misuse: spin_errors" {
    compare_case sync_misuse spin_errors
}

@test "sync_misuse: consistent" {
    compare_case sync_misuse consistent
}

@test "sync_misuse: robust" {
    compare_case sync_misuse robust
}

@test "sync_misuse: static_init" {
    compare_case sync_misuse static_init
}

@test "sync_misuse: lock cases with one worker (the other thread is a neighbour)" {
    COEXEC_WORKERS=1 compare_native sync_misuse errorcheck recursive normal \
        cond_eperm rwlock_errors spin_errors static_init
}

# ---- cxx_sync: the C++17 library -------------------------------------------

@test "cxx_sync: every case has a test here" {
    check_case_list cxx_sync "$BATS_TEST_FILENAME"
}

@test "cxx_sync: mutex" {
    compare_case cxx_sync mutex
}

@test "cxx_sync: recursive_mutex" {
    compare_case cxx_sync recursive_mutex
}

@test "cxx_sync: timed_mutex" {
    compare_case cxx_sync timed_mutex
}

@test "cxx_sync: condition_variable" {
    compare_case cxx_sync condition_variable
}

@test "cxx_sync: shared_mutex" {
    compare_case cxx_sync shared_mutex
}

@test "cxx_sync: call_once" {
    compare_case cxx_sync call_once
}

@test "cxx_sync: call_once_throw" {
    compare_case cxx_sync call_once_throw
}

@test "cxx_sync: static_guard" {
    compare_case cxx_sync static_guard
}

@test "cxx_sync: static_guard_throw" {
    compare_case cxx_sync static_guard_throw
}

@test "cxx_sync: future" {
    compare_case cxx_sync future
}

@test "cxx_sync: statics, call_once and recursive_mutex with one worker" {
    COEXEC_WORKERS=1 compare_native cxx_sync recursive_mutex call_once static_guard \
        static_guard_throw
}

@test "cxx_sync: bad arguments give the same usage error" {
    EXPECT_RC=2 compare_native cxx_sync no_such_case
}

# ---- real programs ----------------------------------------------------------

@test "real program: pigz -p 8 output under coexec is byte-identical, pigz -d under coexec restores 64 MiB" {
    need_cmd pigz
    make_input
    real_program pigz gz "-p 8 -d" -- pigz -p 8 -c
}

# xz -T4 at the default preset takes about a minute here; -1 keeps it to a
# few seconds with the same threading (blocks of 3 MiB, four encoders).
@test "real program: xz -T4 -1 output under coexec is byte-identical, xz -d -T4 under coexec restores 64 MiB" {
    need_cmd xz
    make_input
    real_program xz xz "-d -T4" -- xz -T4 -1 -c
}
