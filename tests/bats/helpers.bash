# Shared setup for the bats suites.  Load with `load helpers` and call
# `common_setup` from setup() and `common_teardown` from teardown().
#
# The suites run each test program natively and under coexec and compare
# the two runs, and check the mechanism (how many kernel threads the
# process really has).  Every run is bounded by `timeout`; every background
# process is killed in teardown.
#
# A comparison also proves that coexec did its job in the coexec run:
# that run has COEXEC_STATS=1 and a COEXEC_LOG_FILE, and the statistics
# the library writes at exit must show what the case must cause (see
# "Evidence" below).  A preload that failed to load, or that passed every
# call through, makes every comparison fail.

ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
COEXEC="$ROOT/scripts/coexec"
PROGS="$ROOT/build/progs"

# Most kernel threads (tasks) a coexec process may have: the workers (one
# per CPU by default, 2 here) and a couple of runtime threads (monitor,
# offload pool).  The native program needs one per thread.
TASK_BOUND=${COEXEC_TEST_TASK_BOUND:-$(($(nproc) + 2))}

# Seconds any single program run may take before it counts as hung.
RUN_TIMEOUT=${COEXEC_TEST_TIMEOUT:-60}
# The same for one case of a scenario program (natively each takes a few
# seconds at most); short, so that a hang costs little.
CASE_TIMEOUT=${COEXEC_TEST_CASE_TIMEOUT:-20}

common_setup() {
    BG_PIDS=()
    CMP_N=0
    [ -x "$COEXEC" ] || skip "no $COEXEC"
    [ -d "$PROGS" ] || { echo "no $PROGS: run 'make progs'" >&2; return 1; }
}

common_teardown() {
    local pid
    for pid in "${BG_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${BG_PIDS[@]}"; do
        # give it a moment, then insist
        local i
        for i in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    BG_PIDS=()
}

# prog NAME: absolute path of a test program, failing clearly if missing.
prog() {
    local p="$PROGS/$1"
    if [ ! -x "$p" ]; then
        echo "missing test program $p (run 'make progs')" >&2
        return 1
    fi
    printf '%s\n' "$p"
}

# run_bounded OUTFILE ERRFILE CMD...: run CMD with a time limit; sets RC.
# A run that hits the limit gets RC 124 (SIGKILL after 5 more seconds).
run_bounded() {
    local out=$1 err=$2
    shift 2
    RC=0
    timeout -k 5 "$RUN_TIMEOUT" "$@" >"$out" 2>"$err" </dev/null 3>&- || RC=$?
}

# describe_rc RC: human words for an exit status from run_bounded.
describe_rc() {
    case $1 in
    124) echo "124 (TIMED OUT after ${RUN_TIMEOUT}s: hung?)" ;;
    137) echo "137 (killed by SIGKILL after the time limit)" ;;
    *)
        if [ "$1" -gt 128 ]; then
            echo "$1 (killed by signal $(kill -l "$(($1 - 128))" 2>/dev/null || echo $(($1 - 128))))"
        else
            echo "$1"
        fi
        ;;
    esac
}

# ---- Evidence: what the statistics of a coexec run must show ------------
#
# With COEXEC_STATS=1 the library writes at exit (preload/stats.c)
#
#   coexec: stats: W workers, C threads created as coroutines, peak P live, S switches, L polls
#   coexec: stats: parks by reason: read=R sleep=S ...      (or "none")
#
# to COEXEC_LOG_FILE and, today, to stderr as well (coexec_say writes
# both).  Only a process in which the library loaded and adopted main as
# worker 0 writes them; a forked child that exits writes its own pair.
#
# An expectation is a word NAME>=N or NAME<=N, NAME one of
#   workers created peak switches polls   the numbers of the first line
#   parks                                 parks of every reason together
#   yield read write connect accept poll sleep join sync
#                                         parks of one reason (the two
#                                         "sync" entries added up)
#   stalls                                stalls the monitor counted, from
#     coexec: stats: stalls: 2 (a worker held for 20 ms or more; longest 301 ms)
#                                         (absent when there were none)
#   deadlocks                             deadlock reports, from
#     coexec: stats: deadlocks: 1 reported (1 of them lock cycles while other threads ran)
#                                         (absent when there were none)
#   pool.FUNC                             calls of FUNC (a libc function
#                                         name) run on the blocking-call
#                                         pool, from the line
#     coexec: stats: pool calls: flock 1, waitpid 2
#                                         (calls of count 0 left out, the
#                                         line absent when there were
#                                         none: a FUNC not named is 0)
# Over several processes a NAME's value is its largest.  Every coexec run
# must show statistics at all and STATS_ALWAYS; with COEXEC_WORKERS=N in
# the environment, workers<=N too.  A case states more in EXPECT_STATS:
#
#   EXPECT_STATS="created>=1000 read>=1000" compare_native many_threads 1000
#
# compare_case adds created>=1 (every case runs on a thread of its own).
STATS_ALWAYS="workers>=1 peak>=1"
STATS_NAMES="workers created peak switches polls parks yield read write connect accept poll sleep join sync pool lock child file open ipc signal pooljobs poolthreads stalls deadlocks"

# stats_env LOG: sets STATS_ENV, the words that go before "$COEXEC" so that
# the run writes its statistics to LOG (removed first).
stats_env() {
    rm -f "$1"
    STATS_ENV=(env COEXEC_STATS=1 "COEXEC_LOG_FILE=$1")
}

# strip_stats FILE LOG: FILE on stdout without the statistics lines that
# LOG holds (each line of LOG taken out once): what the program itself
# wrote.  A statistics line that is not in LOG stays, so it shows in the
# comparison.  Byte for byte otherwise, a last line without newline too.
strip_stats() {
    local f=$1 log=$2
    if [ ! -s "$log" ] || ! grep -q '^coexec: stats: ' "$log"; then
        cat "$f"
        return
    fi
    awk -v logf="$log" '
        BEGIN { while ((getline l < logf) > 0) if (l ~ /^coexec: stats: /) want[l]++ }
        ($0 in want) && want[$0] > 0 { want[$0]--; next }
        { print }
    ' "$f" >"$f.stripped"
    # awk ends every line with a newline; the file's last byte may not be one
    if [ -s "$f" ] && [ "$(tail -c 1 "$f" | od -An -tx1 | tr -d ' ')" != 0a ] &&
       [ -s "$f.stripped" ]; then
        head -c -1 "$f.stripped"
    else
        cat "$f.stripped"
    fi
    rm -f "$f.stripped"
}

# check_stats LOG WHAT [EXPECTATION...]: the statistics in LOG (of the
# coexec run WHAT) exist and show STATS_ALWAYS, workers<=$COEXEC_WORKERS
# when that is set, and every EXPECTATION (words; one argument may hold
# several).  Prints what they show; on failure, what is missing.
check_stats() {
    local log=$1 what=$2
    shift 2
    local want="$STATS_ALWAYS ${COEXEC_WORKERS:+workers<=$COEXEC_WORKERS} $*"
    if [ ! -f "$log" ] || ! grep -qE '^coexec: stats: [0-9]+ workers, ' "$log"; then
        echo "NO COEXEC EVIDENCE: $what wrote no statistics to $log, so coexec did" \
             "not run there (library not loaded, or main not adopted)"
        [ -f "$log" ] && { echo "---- $log:"; head -20 "$log"; }
        return 1
    fi
    awk -v want="$want" -v what="$what" -v names="$STATS_NAMES" '
        function put(k, v) { if (!(k in val) || v + 0 > val[k] + 0) val[k] = v + 0 }
        /^coexec: stats: [0-9]+ workers, [0-9]+ threads created as coroutines, peak [0-9]+ live, [0-9]+ switches, [0-9]+ polls$/ {
            procs++
            put("workers", $3); put("created", $5); put("peak", $11)
            put("switches", $13); put("polls", $15)
            next
        }
        /^coexec: stats: parks by reason: / {
            split("", cur)
            total = 0
            for (i = 6; i <= NF; i++) {
                if ($i == "none")
                    continue
                split($i, kv, "=")
                cur[kv[1]] += kv[2]
                total += kv[2]
            }
            for (k in cur)
                put(k, cur[k])
            put("parks", total)
            next
        }
        /^coexec: stats: pool: [0-9]+ jobs, [0-9]+ threads$/ {
            put("pooljobs", $4); put("poolthreads", $6)
            next
        }
        /^coexec: stats: stalls: [0-9]+ \(a worker held for [0-9]+ ms or more; longest [0-9]+ ms\)$/ {
            put("stalls", $4)
            next
        }
        /^coexec: stats: deadlocks: [0-9]+ reported \([0-9]+ of them lock cycles while other threads ran\)$/ {
            put("deadlocks", $4)
            next
        }
        /^coexec: stats: pool calls: [a-z_][a-z0-9_]* [0-9]+(, [a-z_][a-z0-9_]* [0-9]+)*$/ {
            n = split(substr($0, 28), calls, ", ")
            for (i = 1; i <= n; i++) {
                split(calls[i], kv, " ")
                put("pool." kv[1], kv[2])
            }
            next
        }
        /^coexec: stats: / { print what ": unknown statistics line: " $0; bad = 1 }
        END {
            n = split(names, nm, " ")
            for (i = 1; i <= n; i++) {
                known[nm[i]] = 1
                put(nm[i], 0)
            }
            line = ""
            for (i = 1; i <= n; i++)
                line = line " " nm[i] "=" val[nm[i]]
            for (k in val)
                if (k ~ /^pool\./)
                    line = line " " k "=" val[k]
            printf "coexec evidence of %s (%d process%s):%s\n", what, procs,
                procs == 1 ? "" : "es", line
            m = split(want, w, " ")
            for (i = 1; i <= m; i++) {
                if (!match(w[i], /^([a-z]+|pool\.[a-z_][a-z0-9_]*)(>=|<=)[0-9]+$/)) {
                    print "bad expectation \"" w[i] "\" (NAME>=N or NAME<=N, NAME a statistic or pool.FUNC)"
                    bad = 1
                    continue
                }
                op = index(w[i], ">=") ? ">=" : "<="
                k = substr(w[i], 1, index(w[i], op) - 1)
                lim = substr(w[i], index(w[i], op) + 2) + 0
                if (k ~ /^pool\./)
                    put(k, 0)
                else if (!(k in known)) {
                    print "bad expectation \"" w[i] "\": no statistic " k " (one of: " names ")"
                    bad = 1
                    continue
                }
                if (op == ">=" ? val[k] < lim : val[k] > lim) {
                    print "COEXEC EVIDENCE MISSING: " what " must show " w[i] \
                          ", its statistics show " k "=" val[k]
                    bad = 1
                }
            }
            exit bad
        }
    ' "$log" || { echo "---- $log:"; head -20 "$log"; return 1; }
}

# compare_native PROG ARGS...: run build/progs/PROG ARGS natively and under
# coexec; stdout, stderr and exit status must be identical, the native run
# must have exited 0 (unless EXPECT_RC says otherwise), and the coexec
# run's statistics must show the evidence (STATS_ALWAYS and EXPECT_STATS,
# see above).  The statistics lines are taken out of the coexec stderr
# before it is compared.
compare_native() {
    local name=$1
    shift
    local p
    p=$(prog "$name") || return 1
    CMP_N=$((CMP_N + 1))
    local d="$BATS_TEST_TMPDIR/cmp.$CMP_N"
    mkdir -p "$d"

    run_bounded "$d/native.out" "$d/native.err" "$p" "$@"
    local nrc=$RC
    stats_env "$d/coexec.log"
    run_bounded "$d/coexec.out" "$d/coexec.err.all" "${STATS_ENV[@]}" "$COEXEC" "$p" "$@"
    local crc=$RC
    strip_stats "$d/coexec.err.all" "$d/coexec.log" >"$d/coexec.err"

    local bad=0
    local want_rc=${EXPECT_RC:-0}
    if [ "$nrc" != "$want_rc" ]; then
        echo "NATIVE run of $name $* exited $(describe_rc "$nrc"), expected $want_rc" \
             "(test program or environment problem)"
        bad=1
    fi
    if [ "$nrc" != "$crc" ]; then
        echo "exit status differs: native $(describe_rc "$nrc"), coexec $(describe_rc "$crc")"
        bad=1
    fi
    if ! cmp -s "$d/native.out" "$d/coexec.out"; then
        echo "stdout differs (- native, + coexec):"
        diff -u "$d/native.out" "$d/coexec.out" | tail -n +3 | head -100
        bad=1
    fi
    if ! cmp -s "$d/native.err" "$d/coexec.err"; then
        echo "stderr differs (- native, + coexec):"
        diff -u "$d/native.err" "$d/coexec.err" | tail -n +3 | head -60
        bad=1
    fi
    # shellcheck disable=SC2086  # EXPECT_STATS is several words
    check_stats "$d/coexec.log" "coexec $name $*" ${EXPECT_STATS:-} || bad=1
    if [ "$bad" = 1 ]; then
        echo "---- command: $name $*"
        echo "---- native stdout:"; head -60 "$d/native.out"
        echo "---- native stderr:"; head -20 "$d/native.err"
        echo "---- coexec stdout:"; head -60 "$d/coexec.out"
        echo "---- coexec stderr:"; head -40 "$d/coexec.err"
        return 1
    fi
    return 0
}

# compare_case PROG CASE: one case of a scenario program.  Every case runs
# on the main thread and then on a thread of its own, so the coexec run
# made at least one coroutine besides main.
compare_case() {
    RUN_TIMEOUT=$CASE_TIMEOUT EXPECT_STATS="created>=1 ${EXPECT_STATS:-}" \
        compare_native "$1" "$2"
}

# check_case_list PROG BATSFILE [WORD]: every case PROG --list names has a
# `compare_case PROG CASE` line in BATSFILE (or `WORD CASE`, for a suite
# with a runner of its own), and no line names a case PROG does not have.
check_case_list() {
    local p words=${3:-compare_case $1}
    p=$(prog "$1") || return 1
    local have want
    want=$("$p" --list | sort)
    [ -n "$want" ] || { echo "$1 --list names no case"; return 1; }
    have=$(grep -oE "$words [a-z0-9_]+" "$2" | awk '{print $NF}' | sort -u)
    if [ "$want" != "$have" ]; then
        echo "cases of $1 and tests in $(basename "$2") differ (- program, + tests):"
        diff -u <(echo "$want") <(echo "$have") | tail -n +3
        return 1
    fi
}

# heartbeats_ok: for the programs of beat.h (blocking, stdio_wait...): in
# every native run of this test the heartbeat ticked
# during the call, on main and on the thread ("heartbeat ok" twice, no
# STALLED); otherwise the comparison proves nothing, since a heartbeat
# stalled under coexec prints the same.
heartbeats_ok() {
    local d n bad=0
    for d in "$BATS_TEST_TMPDIR"/cmp.*; do
        n=$(grep -c 'heartbeat ok' "$d/native.out")
        if [ "$n" != 2 ] || grep -q STALLED "$d/native.out"; then
            echo "NATIVE heartbeat not ok twice in $d (machine too loaded?):"
            cat "$d/native.out"
            bad=1
        fi
    done
    return $bad
}

# task_count PID: kernel threads of a process.
task_count() {
    ls "/proc/$1/task" 2>/dev/null | wc -l
}

# start_bg NAME CMD...: start CMD in the background, stdout and stderr to
# $BATS_TEST_TMPDIR/NAME.out and NAME.err.  The process keeps CMD's pid
# (exec), so /proc/PID is the program itself; sets BG_PID.  Killed in
# teardown.
start_bg() {
    local name=$1
    shift
    (exec "$@" >"$BATS_TEST_TMPDIR/$name.out" 2>"$BATS_TEST_TMPDIR/$name.err" \
        </dev/null 3>&-) &
    BG_PID=$!
    BG_PIDS+=("$BG_PID")
}

# wait_for_line NAME PID REGEX [SECONDS]: wait until NAME.out has a line
# matching REGEX; fails if PID dies first or time runs out.
wait_for_line() {
    local name=$1 pid=$2 re=$3 secs=${4:-30}
    local f="$BATS_TEST_TMPDIR/$name.out"
    local end=$((SECONDS + secs))
    while [ "$SECONDS" -le "$end" ]; do
        if grep -qE "$re" "$f" 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            grep -qE "$re" "$f" 2>/dev/null && return 0
            echo "$name (pid $pid) exited before printing /$re/"
            show_bg "$name"
            return 1
        fi
        sleep 0.05
    done
    echo "$name (pid $pid) printed no /$re/ within ${secs}s"
    show_bg "$name"
    return 1
}

# wait_bg PID [SECONDS]: wait for a background process to end; sets RC.
wait_bg() {
    local pid=$1 secs=${2:-$RUN_TIMEOUT}
    local end=$((SECONDS + secs))
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$SECONDS" -gt "$end" ]; then
            echo "pid $pid still running after ${secs}s"
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
            RC=124
            return 1
        fi
        sleep 0.05
    done
    RC=0
    wait "$pid" 2>/dev/null || RC=$?
    return 0
}

show_bg() {
    echo "---- $1 stdout:"
    head -40 "$BATS_TEST_TMPDIR/$1.out" 2>/dev/null
    echo "---- $1 stderr:"
    head -40 "$BATS_TEST_TMPDIR/$1.err" 2>/dev/null
}

# start_server NAME [--coexec] ARGS...: start echo_server on an ephemeral
# port (ARGS come before the port), wait for "listening on PORT"; sets
# SERVER_PID and SERVER_PORT.  Under coexec the server writes its
# statistics to NAME.log (and NAME.err) when it exits (not when killed).
start_server() {
    local name=$1
    shift
    local pre=()
    if [ "${1:-}" = --coexec ]; then
        stats_env "$BATS_TEST_TMPDIR/$name.log"
        pre=("${STATS_ENV[@]}" "$COEXEC")
        shift
    fi
    local p
    p=$(prog echo_server) || return 1
    start_bg "$name" "${pre[@]}" "$p" "$@" 0
    SERVER_PID=$BG_PID
    wait_for_line "$name" "$SERVER_PID" '^listening on [0-9]+$' 30 || return 1
    SERVER_PORT=$(awk '/^listening on/ {print $3; exit}' "$BATS_TEST_TMPDIR/$name.out")
}

# proc_alive PID: the process exists and has a live thread (not only a
# zombie: a process that has exited but is not reaped yet still has a
# /proc entry, and a leader that called pthread_exit is a zombie while
# its other threads run).  Sets PROC_STATE to the leader's state letter,
# empty when there is no such process.
proc_alive() {
    local st t
    PROC_STATE=
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    st=${st##*) }
    PROC_STATE=${st%% *}
    case $PROC_STATE in
    Z | X | x) ;;
    *) return 0 ;;
    esac
    for t in "/proc/$1/task/"*; do
        st=$(cat "$t/stat" 2>/dev/null) || continue
        st=${st##*) }
        case ${st%% *} in
        Z | X | x) ;;
        *) return 0 ;;
        esac
    done
    return 1
}

# assert_tasks_at_most PID MAX WHAT: the process is alive and has at most
# MAX tasks.  A process that is gone, or has exited and is only a zombie,
# fails: there is nothing to count.
assert_tasks_at_most() {
    local n
    if ! proc_alive "$1"; then
        if [ -z "$PROC_STATE" ]; then
            echo "$3: process $1 is gone: cannot count its kernel threads"
        else
            echo "$3: process $1 has exited (state $PROC_STATE): cannot count its kernel threads"
        fi
        return 1
    fi
    n=$(task_count "$1")
    if ! proc_alive "$1"; then
        echo "$3: process $1 exited while its kernel threads were counted ($n): the count says nothing"
        return 1
    fi
    echo "$3: $n kernel threads (bound $2)"
    if [ "$n" -lt 1 ]; then
        echo "$3: no kernel thread listed in /proc/$1/task: cannot count"
        return 1
    fi
    if [ "$n" -gt "$2" ]; then
        echo "$3 has $n kernel threads, more than $2: threads did not become coroutines"
        ls -l "/proc/$1/task" 2>/dev/null | head -20
        return 1
    fi
}
