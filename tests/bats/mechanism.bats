#!/usr/bin/env bats
# mechanism: what coexec does underneath, seen from the kernel's side with
# strace and /proc, where comparing output with the native run cannot see.
# DESIGN.md promises these; each one failing means a real program pays for
# it or can observe it:
#
#  1. Blocking mode: the library never makes a descriptor non-blocking
#     behind the program's back (fcntl F_SETFL O_NONBLOCK, ioctl FIONBIO)
#     while blocking accept, connect, read/write/recv/send and sendfile on
#     blocking sockets park ("Interposition rules": another process sharing
#     the description would see the flag, and a window opens where the
#     program's own view is wrong).
#  2. epoll registration: a descriptor is registered once, edge-triggered;
#     200 reads (or polls) that each park cost O(1) epoll_ctl, not one or
#     two per wait ("Performance principles", and what libco got wrong).
#  3. Idle means asleep: 10,000 parked threads make no system call and use
#     no CPU for 5 s ("Execution model").
#  4. Exports: libcoexec.so exports exactly the names preload/exports.map
#     lists, and every function marked for export is in the map (a name in
#     the map that nothing defines is silently dropped by the linker; an
#     EXPORT function missing from the map is silently hidden, so the
#     program's calls to it never reach us).
#
# Test programs: build/progs/mech (tests/progs/mech.c).  Every run is bounded
# by timeout; background processes are killed in teardown.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

need_strace() {
    command -v strace >/dev/null 2>&1 && return 0
    echo "strace is not installed: run scripts/setup-debian"
    return 1
}

# mech_parks ERRFILE REASON: the count COEXEC_STATS gave for one park reason
# ("coexec: stats: parks by reason: read=3 write=45 ..."), 0 if absent.
mech_parks() {
    local n
    n=$(grep -o "parks by reason:.*" "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1)
    echo "${n:-0}"
}

# mech_strace OUT ERR TRACE SYSCALLS CMD...: run CMD under
# `strace -f -qq -e trace=SYSCALLS -o TRACE`, bounded; sets RC.
mech_strace() {
    local out=$1 err=$2 trace=$3 calls=$4
    shift 4
    RC=0
    timeout -k 5 "$CASE_TIMEOUT" strace -f -qq -e trace="$calls" -o "$trace" "$@" \
        >"$out" 2>"$err" </dev/null 3>&- || RC=$?
}

@test "mechanism: blocking accept, connect, read/write/recv/send and sendfile never set O_NONBLOCK" {
    need_strace
    local d=$BATS_TEST_TMPDIR p
    p=$(prog mech)

    # The workload itself is right natively.
    run_bounded "$d/native.out" "$d/native.err" "$p" blocking
    [ "$RC" = 0 ] || { echo "native mech blocking exited $(describe_rc "$RC")"; cat "$d/native.err"; false; }

    COEXEC_STATS=1 mech_strace "$d/out" "$d/err" "$d/trace" \
        fcntl,fcntl64,ioctl,accept,accept4,connect,sendfile,sendfile64 \
        "$COEXEC" "$p" blocking
    if [ "$RC" != 0 ] || ! cmp -s "$d/native.out" "$d/out"; then
        echo "coexec mech blocking under strace exited $(describe_rc "$RC") (native 0), or its output differs:"
        diff -u "$d/native.out" "$d/out"
        head -20 "$d/err"
        false
    fi

    # The calls happened in the traced process, and they parked: otherwise
    # the test proves nothing about the parking paths. (sendfile waits on
    # the pool and counts as a write park.)
    local call
    for call in 'accept4?' connect 'sendfile(64)?'; do
        if ! grep -qE "^[0-9]+ +$call\(" "$d/trace"; then
            echo "strace saw no $call call: the trace does not cover the workload"
            head -20 "$d/trace"
            false
        fi
    done
    local why
    for why in accept read write; do
        if [ "$(mech_parks "$d/err" "$why")" -lt 1 ]; then
            echo "no '$why' park in COEXEC_STATS: the workload did not wait where it should"
            grep stats "$d/err"
            false
        fi
    done
    grep stats "$d/err"

    # The program makes no descriptor non-blocking itself, so any of these
    # is the library's doing.
    local re='^[0-9]+ +(fcntl(64)?\([0-9]+, F_SETFL, [^)]*O_NONBLOCK|ioctl\([0-9]+, FIONBIO, \[[1-9-])'
    local bad
    bad=$(grep -cE "$re" "$d/trace" || true)
    if [ "$bad" -gt 0 ]; then
        echo "$bad calls made a blocking descriptor non-blocking; by descriptor:"
        grep -E "$re" "$d/trace" | grep -oE '(fcntl(64)?|ioctl)\([0-9]+' | sort | uniq -c
        echo "first of them, with the restores and the calls they surround:"
        grep -E 'F_SETFL|FIONBIO|(accept4?|connect|sendfile(64)?)\(' "$d/trace" | head -16
        false
    fi
}

# mech_epoll_ctl_per_wait CASE REASON: run `mech CASE 200` under coexec and
# strace; each of the 200 waits must have parked, and epoll_ctl must have
# been called at most 5 times in all.
mech_epoll_ctl_per_wait() {
    local d=$BATS_TEST_TMPDIR n=200 max=5
    COEXEC_STATS=1 mech_strace "$d/out" "$d/err" "$d/trace" epoll_ctl \
        "$COEXEC" "$(prog mech)" "$1" "$n"
    if [ "$RC" != 0 ] || [ "$(cat "$d/out")" != "ok $1: $n bytes" ]; then
        echo "coexec mech $1 $n under strace exited $(describe_rc "$RC")"
        cat "$d/out"
        head -20 "$d/err"
        return 1
    fi
    local parks
    parks=$(mech_parks "$d/err" "$2")
    grep stats "$d/err"
    if [ "$parks" -lt $((n / 2)) ]; then
        echo "only $parks of $n ${1%s}s parked: the workload does not exercise the wait"
        return 1
    fi
    # entry lines (a call split by another thread's line counts once)
    local calls
    calls=$(grep -cE '^[0-9]+ +epoll_ctl\(' "$d/trace" || true)
    echo "$calls epoll_ctl calls for $parks parked ${1%s}s"
    if [ "$calls" -gt "$max" ]; then
        echo "more than $max epoll_ctl calls: the runtime registers per wait; first of them:"
        grep -E 'epoll_ctl\(' "$d/trace" | head -12
        return 1
    fi
}

@test "mechanism: 200 parked reads on a pipe cost O(1) epoll_ctl" {
    need_strace
    mech_epoll_ctl_per_wait reads read
}

@test "mechanism: 200 parked polls on a pipe cost O(1) epoll_ctl" {
    need_strace
    mech_epoll_ctl_per_wait polls poll
}

# mech_cpu_ticks PID: utime + stime of the whole process, in clock ticks.
mech_cpu_ticks() {
    # the command name, field 2, is in parentheses and may hold spaces
    sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}

@test "mechanism: 10000 parked threads make no system call and use no CPU for 5 s" {
    need_strace
    local d=$BATS_TEST_TMPDIR n=10000 window=5
    start_bg idle "$COEXEC" "$(prog mech)" idle "$n"
    local pid=$BG_PID
    wait_for_line idle "$pid" "^ready $n\$" 30
    [ "$(cat "/proc/$pid/comm")" = mech ]
    # Parked as coroutines: natively, blocked kernel threads are silent too.
    assert_tasks_at_most "$pid" "$TASK_BOUND" "coexec mech idle $n"

    local t0 t1
    t0=$(mech_cpu_ticks "$pid")
    # SIGINT makes strace detach cleanly at the end of the window.
    timeout -s INT -k 5 "$window" strace -f -p "$pid" -o "$d/trace" \
        2>"$d/strace.err" || true
    t1=$(mech_cpu_ticks "$pid")
    kill -0 "$pid" || { echo "mech idle died during the window"; show_bg idle; false; }
    if ! grep -q 'attached' "$d/strace.err"; then
        echo "strace did not attach:"
        cat "$d/strace.err"
        false
    fi

    # The rule: every line of the trace that reports a result (" = ") is a
    # call that completed within the window and counts, and so does a
    # signal (---).  Not counted: entries of calls still in progress when
    # strace attached or detached ("<unfinished ...>", "<detached ...>":
    # the parked workers' epoll_pwait is one of these), and, once per task,
    # a first completed call that failed with EINTR or ERESTART*: the
    # attach interrupting the wait the task was parked in.  A wait the
    # kernel resumed after the attach (restart_syscall) that then returned
    # is a wake-up in the window and counts.
    awk '
        / <(unfinished|detached) \.\.\.>$/ { next }
        $2 ~ /^---/ { print; next }
        $2 ~ /^\+\+\+/ { next }
        / = / {
            if (!seen[$1]++ && / = (-1 EINTR|\? ERESTART)/) next
            print
        }
    ' "$d/trace" >"$d/calls"
    local calls
    calls=$(wc -l <"$d/calls")
    local hz
    hz=$(getconf CLK_TCK)
    echo "idle window ${window}s: $calls system calls, $((t1 - t0)) ticks of CPU (1 tick = 1/$hz s)"
    echo "strace: $(head -3 "$d/strace.err" | tr '\n' ' ')"
    if [ "$calls" -gt 0 ]; then
        echo "the idle process made system calls; first of them:"
        head -20 "$d/calls"
        false
    fi
    # ~0: tick sampling may charge a tick or two to the ptrace stops
    if [ $((t1 - t0)) -gt 2 ]; then
        echo "the idle process used $((t1 - t0)) ticks of CPU in ${window}s (allowed: 2)"
        false
    fi
}

# mech_map_names MAP: the names of every global: list of a version script,
# one a line (comments removed; every version node; local: lists skipped).
mech_map_names() {
    tr '\n' ' ' <"$1" |
        sed -E 's#/\*([^*]|\*+[^*/])*\*+/# #g' |
        sed -E 's/([{};])/ \1 /g; s/(global|local)[[:space:]]*:/ \1: /g' |
        tr -s ' \t' '\n' |
        awk '
            $0 == "global:" { g = 1; next }
            $0 == "local:" || $0 == "}" { g = 0; next }
            $0 == "{" || $0 == ";" || $0 == "" { next }
            g { print }
        ' | sort -u
}

@test "mechanism: libcoexec.so exports exactly the names of preload/exports.map" {
    local d=$BATS_TEST_TMPDIR lib=$ROOT/build/libcoexec.so map=$ROOT/preload/exports.map
    [ -f "$lib" ] || { echo "no $lib: run make"; false; }
    mech_map_names "$map" >"$d/map"
    [ -s "$d/map" ] || { echo "no names parsed from $map"; false; }
    if grep -E '[*?[]' "$d/map"; then
        echo "wildcards in a global: list: this test compares names and cannot check them"
        false
    fi
    # Version nodes (pthread_cond_wait@@GLIBC_2.3.2) are compared by name;
    # a version definition itself is an absolute (A) symbol, not a name.
    nm -D --defined-only "$lib" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' |
        sort -u >"$d/dyn"
    local bad=0
    if ! cmp -s "$d/map" "$d/dyn"; then
        echo "dynamic symbols defined by libcoexec.so and names in exports.map differ:"
        comm -23 "$d/map" "$d/dyn" | sed 's/^/  in the map, not defined by the library: /'
        comm -13 "$d/map" "$d/dyn" | sed 's/^/  defined by the library, not in the map: /'
        bad=1
    fi

    # What the sources mark for export (visibility default under
    # -fvisibility=hidden) in the objects the library is linked from.
    local objs
    objs=$(make -s -C "$ROOT" --no-print-directory \
        --eval '__mech_lib_obj: ; @echo $(LIB_OBJ)' __mech_lib_obj)
    [ -n "$objs" ] || { echo "could not get LIB_OBJ from the Makefile"; false; }
    local o
    for o in $objs; do
        [ -f "$ROOT/$o" ] || { echo "missing object $o: run make"; false; }
    done
    for o in $objs; do
        readelf -sW "$ROOT/$o" | awk '
            $1 ~ /^[0-9]+:$/ && ($5 == "GLOBAL" || $5 == "WEAK" || $5 == "UNIQUE") &&
            ($6 == "DEFAULT" || $6 == "PROTECTED") && $7 != "UND" && $8 != "" {
                sub(/@.*/, "", $8); print $8
            }'
    done | sort -u >"$d/obj"
    if ! cmp -s "$d/map" "$d/obj"; then
        echo "functions the sources export (default visibility) and names in exports.map differ:"
        comm -23 "$d/map" "$d/obj" | sed 's/^/  in the map, exported by no object: /'
        comm -13 "$d/map" "$d/obj" | sed 's/^/  exported by an object, not in the map (hidden by local: *): /'
        bad=1
    fi
    echo "$(wc -l <"$d/map") names in the map, $(wc -l <"$d/dyn") defined dynamic symbols, $(wc -l <"$d/obj") exported by the objects"
    [ "$bad" = 0 ]
}
