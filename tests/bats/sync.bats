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
#
# Every coexec run must also prove coexec ran it (statistics, see
# "Evidence" in helpers.bash): the threads created as coroutines (exact
# counts, the programs are deterministic), waits on locks, condvars,
# semaphores and barriers that must wait (sync), sleeps and yields; with
# COEXEC_WORKERS=1, one worker.

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
# blanks) and get $INPUT back.  The statistics of the compressing run must
# show EXPECT_STATS, those of the decompressing one created>=1.
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
    stats_env "$d/$name-coexec.log"
    run_sampled "$name-coexec" "$RUN_TIMEOUT" "${STATS_ENV[@]}" "$COEXEC" "$@" "$INPUT"
    local crc=$RC ctasks=$MAX_TASKS
    mv "$d/$name-coexec.err" "$d/$name-coexec.err.all"
    strip_stats "$d/$name-coexec.err.all" "$d/$name-coexec.log" >"$d/$name-coexec.err"
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
    # shellcheck disable=SC2086  # EXPECT_STATS is several words
    check_stats "$d/$name-coexec.log" "coexec $*" ${EXPECT_STATS:-} || return 1
    mv "$d/$name-coexec.out" "$d/$name.$suffix"
    # shellcheck disable=SC2086  # DECOMPRESS_ARGS are several words
    stats_env "$d/$name.back.log"
    run_bounded "$d/$name.back" "$d/$name.back.err" "${STATS_ENV[@]}" "$COEXEC" "$1" $dargs -c "$d/$name.$suffix"
    if [ "$RC" != 0 ]; then
        echo "coexec $1 $dargs exited $(describe_rc "$RC")"
        head -20 "$d/$name.back.err"
        return 1
    fi
    if ! cmp "$INPUT" "$d/$name.back"; then
        echo "decompressing under coexec did not restore the input"
        return 1
    fi
    check_stats "$d/$name.back.log" "coexec $1 $dargs" "created>=1"
}

# ---- sync_hang: the hangs ------------------------------------------------

@test "sync_hang: every case has a test here" {
    check_case_list sync_hang "$BATS_TEST_FILENAME"
}

@test "sync_hang: mutex_sleep" {
    EXPECT_STATS="created>=203 sync>=200 sleep>=2" compare_case sync_hang mutex_sleep
}

@test "sync_hang: mutex_pipe" {
    EXPECT_STATS="created>=203 sync>=200 read>=2" compare_case sync_hang mutex_pipe
}

@test "sync_hang: cond_many" {
    EXPECT_STATS="created>=203 sync>=400 sleep>=4" compare_case sync_hang cond_many
}

@test "sync_hang: recursive_neighbour" {
    EXPECT_STATS="created>=3 sync>=2 sleep>=2" compare_case sync_hang recursive_neighbour
}

@test "sync_hang: errorcheck_neighbour" {
    EXPECT_STATS="created>=3 sync>=2 sleep>=2" compare_case sync_hang errorcheck_neighbour
}

@test "sync_hang: every case with one worker (owner and waiters on one kernel thread)" {
    COEXEC_WORKERS=1 EXPECT_STATS="created>=615 sync>=804 read>=2 sleep>=10" \
        compare_native sync_hang
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
    stats_env "$BATS_TEST_TMPDIR/sp.log"
    start_bg sp "${STATS_ENV[@]}" "$COEXEC" "$(prog sync_hang)" --park 500 1500
    wait_for_line sp "$BG_PID" '^parked 1000$' 30
    sleep 0.3   # let the last ones reach their call
    assert_tasks_at_most "$BG_PID" "$TASK_BOUND" "coexec sync_hang --park 500"
    wait_bg "$BG_PID" 60
    [ "$RC" = 0 ] || { show_bg sp; false; }
    grep -qx 'joined 1000' "$BATS_TEST_TMPDIR/sp.out"
    check_stats "$BATS_TEST_TMPDIR/sp.log" "coexec sync_hang --park 500" "created>=1000 sync>=1000"
}

# ---- sync_stress: exact results under load ---------------------------------

@test "sync_stress: every case has a test here" {
    check_stress_list
}

# 10000 threads; 10 increments each rather than the program's default 100,
# which natively takes 10 s or more per run (every unlock hands the mutex
# to a sleeping kernel thread).  The full size runs under coexec below.
@test "sync_stress: counter_yield, 10000 threads x 10 with sched_yield in the critical section" {
    CASE_TIMEOUT=$STRESS_TIMEOUT EXPECT_STATS="created>=20001 sync>=1 yield>=1" \
        compare_stress counter_yield --iters 10
}

@test "sync_stress: counter_yield at full size (10000 threads x 100) under coexec gives the exact count" {
    local d=$BATS_TEST_TMPDIR
    stats_env "$d/log"
    RUN_TIMEOUT=$STRESS_TIMEOUT run_bounded "$d/out" "$d/err.all" "${STATS_ENV[@]}" "$COEXEC" \
        "$(prog sync_stress)" counter_yield
    strip_stats "$d/err.all" "$d/log" >"$d/err"
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
    check_stats "$d/log" "coexec sync_stress counter_yield" "created>=20001 sync>=1 yield>=1"
}

# Natively each 1 us nanosleep costs some 100 us (timer slack), all of them
# in the critical section: 2000 threads x 20 keep it to a few seconds.
@test "sync_stress: counter_sleep, 2000 threads x 20 with a 1 us nanosleep in the critical section" {
    CASE_TIMEOUT=$STRESS_TIMEOUT EXPECT_STATS="created>=4001 sync>=1 sleep>=1" \
        compare_stress counter_sleep --threads 2000 --iters 20
}

@test "sync_stress: queue, 4 producers and 4 consumers on 8 slots" {
    EXPECT_STATS="created>=17 sync>=1" compare_stress queue
}

@test "sync_stress: rwlock, 200 readers and 4 writers" {
    EXPECT_STATS="created>=409 sync>=1" compare_stress rwlock
}

@test "sync_stress: rwlock_prefer_writer" {
    EXPECT_STATS="created>=409 sync>=1" compare_stress rwlock_prefer_writer
}

@test "sync_stress: barrier, 1000 threads x 5 rounds" {
    EXPECT_STATS="created>=2001 sync>=9990" compare_stress barrier
}

@test "sync_stress: sem_pool, 100 threads sharing 4 permits" {
    EXPECT_STATS="created>=201 sync>=1 sleep>=1" compare_stress sem_pool
}

@test "sync_stress: sem_handoff, 1000 waiters" {
    EXPECT_STATS="created>=2001 sync>=2000 sleep>=2" compare_stress sem_handoff
}

@test "sync_stress: once, 1000 threads" {
    EXPECT_STATS="created>=2001 sync>=1 sleep>=2" compare_stress once
}

@test "sync_stress: spin, sched_yield inside the critical section" {
    EXPECT_STATS="created>=9 yield>=1" compare_stress spin
}

@test "sync_stress: several cases with one worker" {
    COEXEC_WORKERS=1 RUN_TIMEOUT=$STRESS_TIMEOUT EXPECT_STATS="created>=8630 sync>=1 yield>=1" \
        compare_native sync_stress \
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
    EXPECT_STATS="created>=5 sync>=4 read>=2 sleep>=2" compare_case sync_timed mutex_timedlock
}

@test "sync_timed: mutex_clocklock" {
    EXPECT_STATS="created>=9 sync>=8 read>=4 sleep>=4" compare_case sync_timed mutex_clocklock
}

@test "sync_timed: cond_timedwait" {
    EXPECT_STATS="created>=5 sync>=6 sleep>=4" compare_case sync_timed cond_timedwait
}

@test "sync_timed: cond_monotonic" {
    EXPECT_STATS="created>=3 sync>=3 sleep>=2" compare_case sync_timed cond_monotonic
}

@test "sync_timed: cond_clockwait" {
    EXPECT_STATS="created>=9 sync>=12 sleep>=8" compare_case sync_timed cond_clockwait
}

@test "sync_timed: rwlock_timed" {
    EXPECT_STATS="created>=13 sync>=12 read>=6 sleep>=6" compare_case sync_timed rwlock_timed
}

@test "sync_timed: rwlock_clock" {
    EXPECT_STATS="created>=25 sync>=24 read>=12 sleep>=12" compare_case sync_timed rwlock_clock
}

@test "sync_timed: sem_timed" {
    EXPECT_STATS="created>=7 sync>=9 sleep>=6" compare_case sync_timed sem_timed
}

@test "sync_timed: timedjoin" {
    EXPECT_STATS="created>=5 join>=4 read>=2 sleep>=2" compare_case sync_timed timedjoin
}

@test "sync_timed: clockjoin" {
    EXPECT_STATS="created>=9 join>=8 read>=4 sleep>=4" compare_case sync_timed clockjoin
}

# ---- sync_misuse: error returns --------------------------------------------

@test "sync_misuse: every case has a test here" {
    check_case_list sync_misuse "$BATS_TEST_FILENAME"
}

@test "sync_misuse: errorcheck" {
    EXPECT_STATS="created>=7" compare_case sync_misuse errorcheck
}

@test "sync_misuse: recursive" {
    EXPECT_STATS="created>=7" compare_case sync_misuse recursive
}

@test "sync_misuse: normal" {
    EXPECT_STATS="created>=19" compare_case sync_misuse normal
}

@test "sync_misuse: timedlock_inval" {
    compare_case sync_misuse timedlock_inval
}

@test "sync_misuse: clocklock_clock" {
    compare_case sync_misuse clocklock_clock
}

@test "sync_misuse: cond_inval" {
    EXPECT_STATS="created>=3" compare_case sync_misuse cond_inval
}

@test "sync_misuse: cond_eperm" {
    EXPECT_STATS="created>=5" compare_case sync_misuse cond_eperm
}

@test "sync_misuse: rwlock_errors" {
    EXPECT_STATS="created>=13" compare_case sync_misuse rwlock_errors
}

@test "sync_misuse: barrier_errors" {
    compare_case sync_misuse barrier_errors
}

@test "sync_misuse: sem_errors" {
    compare_case sync_misuse sem_errors
}

@test "sync_misuse: spin_errors" {
    EXPECT_STATS="created>=5" compare_case sync_misuse spin_errors
}

@test "sync_misuse: consistent" {
    compare_case sync_misuse consistent
}

@test "sync_misuse: robust" {
    EXPECT_STATS="created>=5" compare_case sync_misuse robust
}

@test "sync_misuse: static_init" {
    EXPECT_STATS="created>=43" compare_case sync_misuse static_init
}

@test "sync_misuse: lock cases with one worker (the other thread is a neighbour)" {
    COEXEC_WORKERS=1 EXPECT_STATS="created>=99" compare_native sync_misuse errorcheck recursive normal \
        cond_eperm rwlock_errors spin_errors static_init
}

# ---- cxx_sync: the C++17 library -------------------------------------------

@test "cxx_sync: every case has a test here" {
    check_case_list cxx_sync "$BATS_TEST_FILENAME"
}

@test "cxx_sync: mutex" {
    EXPECT_STATS="created>=203 sync>=1 yield>=1" compare_case cxx_sync mutex
}

@test "cxx_sync: recursive_mutex" {
    EXPECT_STATS="created>=107" compare_case cxx_sync recursive_mutex
}

@test "cxx_sync: timed_mutex" {
    EXPECT_STATS="created>=5 sync>=2" compare_case cxx_sync timed_mutex
}

@test "cxx_sync: condition_variable" {
    EXPECT_STATS="created>=19 sync>=2" compare_case cxx_sync condition_variable
}

@test "cxx_sync: shared_mutex" {
    EXPECT_STATS="created>=225 sync>=2" compare_case cxx_sync shared_mutex
}

@test "cxx_sync: call_once" {
    EXPECT_STATS="created>=2001 sync>=2 sleep>=2" compare_case cxx_sync call_once
}

@test "cxx_sync: call_once_throw" {
    EXPECT_STATS="created>=201 sync>=1" compare_case cxx_sync call_once_throw
}

@test "cxx_sync: static_guard" {
    EXPECT_STATS="created>=201 sync>=2 sleep>=2" compare_case cxx_sync static_guard
}

@test "cxx_sync: static_guard_throw" {
    EXPECT_STATS="created>=201 sync>=1" compare_case cxx_sync static_guard_throw
}

@test "cxx_sync: future" {
    EXPECT_STATS="created>=205 sync>=1" compare_case cxx_sync future
}

@test "cxx_sync: statics, call_once and recursive_mutex with one worker" {
    COEXEC_WORKERS=1 EXPECT_STATS="created>=2510 sync>=1" compare_native cxx_sync recursive_mutex call_once static_guard \
        static_guard_throw
}

@test "cxx_sync: bad arguments give the same usage error" {
    EXPECT_RC=2 compare_native cxx_sync no_such_case
}

# ---- real programs ----------------------------------------------------------

@test "real program: pigz -p 8 output under coexec is byte-identical, pigz -d under coexec restores 64 MiB" {
    need_cmd pigz
    make_input
    EXPECT_STATS="created>=8 sync>=1" real_program pigz gz "-p 8 -d" -- pigz -p 8 -c
}

# xz -T4 at the default preset takes about a minute here; -1 keeps it to a
# few seconds with the same threading (blocks of 3 MiB, up to four
# encoders). xz starts an encoder only when every one it has is busy, so
# how many it starts depends on timing: with the input read in 4 MiB steps
# that give way to the encoders (shim/disk.c), three are often enough.
@test "real program: xz -T4 -1 output under coexec is byte-identical, xz -d -T4 under coexec restores 64 MiB" {
    need_cmd xz
    make_input
    EXPECT_STATS="created>=2 sync>=1" real_program xz xz "-d -T4" -- xz -T4 -1 -c
}
