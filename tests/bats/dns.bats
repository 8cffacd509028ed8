#!/usr/bin/env bats
# dns: name lookups (getaddrinfo, getnameinfo, gethostbyname*, gethostbyaddr*,
# res_*) against a private DNS world: tests/dns/ns-run runs each program in
# fresh network, mount and UTS namespaces with dnsmasq serving an invented
# zone, a private /etc/hosts, resolv.conf and nsswitch.conf (see the comment
# at its top), and, with --slow, a responder that answers slow.test after
# 2 s.
#
#   - parity: every case of dns_table (every lookup function, flag and
#     error) and dns_cls (per-thread h_errno, errno, _res; 1,000 threads in
#     the _r functions) prints the same natively, under coexec and under
#     coexec with one worker;
#   - slow server: with COEXEC_WORKERS=1, a ping-pong between two threads of
#     the process keeps going while a third waits 2 s for an answer (max
#     latency < 1000 ms): the lookup parks its coroutine, not the worker;
#   - 1,000 lookups at once all succeed within the task bound;
#   - COEXEC_DNS=native: a burst of 20 lookups of a 300 ms answer takes
#     one delay, not 20 (the pool gives each its own thread);
#   - real programs: curl fetches http://http.cx.test:8080/ from a
#     python3 http.server under coexec; python3's socket.getaddrinfo & co.
#     print the same natively and under coexec.
#
# The parity runs happen once, in one namespace, in setup_file (the zone
# answers the same whatever was asked before); each test then compares the
# runs of its case.  Every test skips, saying why, when the namespaces
# cannot be made here (ns-run exits 77: not root, unshare forbidden,
# dnsmasq missing).
#
# Every coexec run must also prove coexec ran it (statistics, see
# "Evidence" in helpers.bash): threads created as coroutines, sleeps, a
# lookup that waits for the slow answer parked in poll (c-ares), or on the
# pool (sync) with COEXEC_DNS=native; with -w 1, one worker.  (dnsmasq on
# loopback may answer before c-ares polls, so a fast lookup need not park.)
# The slow-server tests need it most: their native control passes the same
# latency check.

load helpers

# Seconds for all the parity runs together (each run gets CASE_TIMEOUT).
BATCH_TIMEOUT=${COEXEC_TEST_DNS_BATCH_TIMEOUT:-300}
# Seconds for one run of a slow-server program: the lookups take 2 s each;
# a worker blocked by each of them in turn takes 2 s times their number.
SLOW_TIMEOUT=${COEXEC_TEST_SLOW_TIMEOUT:-40}
NS_RUN="$ROOT/tests/dns/ns-run"

# find_python: the system's python3 first (a version manager's shim may
# take seconds to start); exported for ns-run too.
find_python() {
    PYTHON=${COEXEC_TEST_PYTHON:-}
    [ -n "$PYTHON" ] || { [ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3; }
    [ -n "$PYTHON" ] || PYTHON=$(command -v python3 2>/dev/null || true)
    export COEXEC_TEST_PYTHON=$PYTHON
}

# The parity runs: every case of dns_table and dns_cls, natively, under
# coexec and under coexec -w 1, in one private DNS world.  Leaves
# PROG.CASE.{native,coexec,coexec-w1}.{out,err,rc} in $BATCH (the coexec
# runs' stderr as .err.all, with their statistics also in .log) and ns-run's
# own output and exit status in ns.{out,err,rc}.
setup_file() {
    local batch="$BATS_FILE_TMPDIR/batch" progs=() p
    mkdir -p "$batch"
    find_python
    [ -x "$COEXEC" ] || return 0            # the tests skip (common_setup)
    for p in dns_table dns_cls; do
        [ -x "$PROGS/$p" ] && progs+=("$PROGS/$p")
    done
    [ ${#progs[@]} -gt 0 ] || return 0      # the tests say so
    local rc=0
    # shellcheck disable=SC2016  # expanded by the inner shell
    timeout -k 5 "$BATCH_TIMEOUT" "$NS_RUN" bash -c '
        d=$1 t=$2 coexec=$3
        shift 3
        one() {         # PROG CASE VARIANT PREFIX...
            local p=$1 c=$2 v=$3 rc=0 f=$d/${1##*/}.$2.$3 err
            shift 3
            err=$f.err
            if [ "$v" != native ]; then
                err=$f.err.all
                set -- env COEXEC_STATS=1 "COEXEC_LOG_FILE=$f.log" "$@"
            fi
            timeout -k 5 "$t" "$@" "$p" "$c" >"$f.out" 2>"$err" </dev/null || rc=$?
            echo "$rc" >"$f.rc"
        }
        for p in "$@"; do
            for c in $("$p" --list); do
                # the three runs of a case at once: the answers do not
                # depend on who asks when
                one "$p" "$c" native &
                one "$p" "$c" coexec "$coexec" &
                one "$p" "$c" coexec-w1 "$coexec" -w 1 &
                wait
            done
        done
    ' ns-batch "$batch" "$CASE_TIMEOUT" "$COEXEC" "${progs[@]}" \
        >"$batch/ns.out" 2>"$batch/ns.err" </dev/null 3>&- || rc=$?
    echo "$rc" >"$batch/ns.rc"
}

setup() {
    common_setup
    find_python
    BATCH="$BATS_FILE_TMPDIR/batch"
}
teardown() { common_teardown; }

# ns_status RC ERRFILE: after an ns-run: skip the test when the namespaces
# cannot be made here, fail (return 1) when ns-run's setup broke.
ns_status() {
    if [ "$1" = 77 ] && grep -q '^ns-run: SKIP: ' "$2"; then
        skip "$(sed -n 's/^ns-run: SKIP: //p' "$2" | head -1)"
    fi
    if [ "$1" = 78 ] && grep -q '^ns-run: ERROR: ' "$2"; then
        echo "tests/dns/ns-run could not set up the DNS world:"
        cat "$2"
        return 1
    fi
    return 0
}

# ns_bounded OUT ERR [--slow] CMD...: run_bounded through ns-run, then
# ns_status.  Sets RC.
ns_bounded() {
    local out=$1 err=$2
    shift 2
    run_bounded "$out" "$err" "$NS_RUN" "$@"
    ns_status "$RC" "$err"
}

# ns_case PROG CASE [EXPECTATION...]: the parity runs of one case (made in
# setup_file): stdout, stderr and exit status the same natively, under
# coexec and under coexec -w 1, and the native run exited 0; the
# statistics of both coexec runs show created>=1 (the case runs on a
# thread of its own too) and EXPECTATION, and the -w 1 one workers<=1.
ns_case() {
    local name=$1 c=$2
    shift 2
    prog "$name" >/dev/null || return 1
    local nsrc
    nsrc=$(cat "$BATCH/ns.rc" 2>/dev/null) || {
        echo "the parity runs did not happen (setup_file)"
        return 1
    }
    ns_status "$nsrc" "$BATCH/ns.err" || return 1
    local f="$BATCH/$name.$c"
    if [ ! -f "$f.coexec-w1.rc" ]; then
        echo "case $c of $name was not run: the batch in ns-run ended with" \
             "$(describe_rc "$nsrc") (limit ${BATCH_TIMEOUT}s)"
        cat "$BATCH/ns.out" "$BATCH/ns.err"
        return 1
    fi
    local bad=0 nrc crc tag
    nrc=$(cat "$f.native.rc")
    if [ "$nrc" != 0 ]; then
        echo "NATIVE run of $name $c exited $(describe_rc "$nrc"), expected 0" \
             "(test program or environment problem)"
        bad=1
    fi
    for tag in coexec coexec-w1; do
        strip_stats "$f.$tag.err.all" "$f.$tag.log" >"$f.$tag.err"
        crc=$(cat "$f.$tag.rc")
        if [ "$nrc" != "$crc" ]; then
            echo "$tag: exit status differs: native $(describe_rc "$nrc"), $tag $(describe_rc "$crc")"
            bad=1
        fi
        if ! cmp -s "$f.native.out" "$f.$tag.out"; then
            echo "$tag: stdout differs (- native, + $tag):"
            diff -u "$f.native.out" "$f.$tag.out" | tail -n +3 | head -100
            bad=1
        fi
        if ! cmp -s "$f.native.err" "$f.$tag.err"; then
            echo "$tag: stderr differs (- native, + $tag):"
            diff -u "$f.native.err" "$f.$tag.err" | tail -n +3 | head -40
            bad=1
        fi
    done
    check_stats "$f.coexec.log" "coexec $name $c" "created>=1" "$@" || bad=1
    check_stats "$f.coexec-w1.log" "coexec -w 1 $name $c" "workers<=1 created>=1" "$@" || bad=1
    if [ "$bad" = 1 ]; then
        echo "---- command: $name $c"
        echo "---- native stdout:"; head -40 "$f.native.out"
        echo "---- native stderr:"; head -20 "$f.native.err"
        for tag in coexec coexec-w1; do
            echo "---- $tag stderr:"; head -20 "$f.$tag.err"
        done
        return 1
    fi
}

# check_ns_cases PROG: every case PROG --list names has an `ns_case PROG
# CASE` line in this file, and no such line names a case PROG lacks.
check_ns_cases() {
    local p want have
    p=$(prog "$1") || return 1
    want=$("$p" --list | sort)
    have=$(grep -oE "^ +ns_case $1 [a-z0-9_]+" "$BATS_TEST_FILENAME" | awk '{print $3}' | sort -u)
    if [ "$want" != "$have" ]; then
        echo "cases of $1 and tests in $(basename "$BATS_TEST_FILENAME") differ (- program, + tests):"
        diff -u <(echo "$want") <(echo "$have") | tail -n +3
        return 1
    fi
}

# ---- dns_table: every lookup function, natively and under coexec ----------

@test "dns_table: every case has a test here" {
    check_ns_cases dns_table
}

@test "dns_table: gai_names (files, DNS, both; CNAME, search list, NXDOMAIN, NODATA)" {
    ns_case dns_table gai_names
}

@test "dns_table: gai_numeric (numeric hosts, scope ids, NULL host, AI_PASSIVE)" {
    ns_case dns_table gai_numeric
}

@test "dns_table: gai_flags (AI_V4MAPPED, AI_ALL, AI_ADDRCONFIG, bad flags)" {
    ns_case dns_table gai_flags
}

@test "dns_table: gai_services (services, socket types, protocols, families)" {
    ns_case dns_table gai_services
}

@test "dns_table: gni (getnameinfo flags, short buffers, bad addresses)" {
    ns_case dns_table gni
}

@test "dns_table: ghbn (gethostbyname, gethostbyname2, h_errno)" {
    ns_case dns_table ghbn
}

@test "dns_table: ghbn_r (gethostbyname_r, gethostbyname2_r, ERANGE)" {
    ns_case dns_table ghbn_r
}

@test "dns_table: ghba (gethostbyaddr, gethostbyaddr_r)" {
    ns_case dns_table ghba
}

@test "dns_table: res (res_query, res_search, res_querydomain, res_send)" {
    ns_case dns_table res
}

@test "dns_table: resn (res_ninit'd state: res_nquery & co., RES_DNSRCH, TCP)" {
    ns_case dns_table resn
}

@test "dns_table: res_compat (__res_query@GLIBC_2.2.5 & co., as old binaries call them)" {
    ns_case dns_table res_compat
}

# ---- dns_cls: per-thread state, many threads -----------------------------

@test "dns_cls: every case has a test here" {
    check_ns_cases dns_cls
}

@test "dns_cls: h_errno (each thread keeps its own)" {
    ns_case dns_cls h_errno "created>=81 sleep>=120"
}

@test "dns_cls: errno (each thread keeps its own)" {
    ns_case dns_cls errno "created>=81 sleep>=40"
}

@test "dns_cls: r_many (1,000 threads in the _r functions, own buffers)" {
    ns_case dns_cls r_many "created>=2001 sleep>=2000"
}

@test "dns_cls: serial (gethostbyname's static result, under the program's lock)" {
    ns_case dns_cls serial "created>=201 sleep>=200"
}

@test "dns_cls: res_state (_res options per thread)" {
    ns_case dns_cls res_state "created>=41 sleep>=120"
}

# ---- the slow server: a lookup parks its coroutine, not the worker ------

# slow_run NAME [coexec] API...: dns_slow slow API... in ns-run --slow,
# natively or under coexec with one worker (statistics in NAME.log); leaves
# NAME.out / NAME.err and RC, and sets ROUNDS, P50, P99 and MAX (empty when
# not printed).
slow_run() {
    local name=$1
    shift
    local pre=()
    if [ "${1:-}" = coexec ]; then
        stats_env "$BATS_TEST_TMPDIR/$name.log"
        pre=("${STATS_ENV[@]}" "$COEXEC" -w 1)
        shift
    fi
    local p
    p=$(prog dns_slow) || return 1
    RUN_TIMEOUT=$SLOW_TIMEOUT ns_bounded "$BATS_TEST_TMPDIR/$name.out" \
        "$BATS_TEST_TMPDIR/$name.err" --slow "${pre[@]}" "$p" slow "$@" || return 1
    local f="$BATS_TEST_TMPDIR/$name.out"
    ROUNDS=$(awk -F': ' '/^round trips during the lookups:/ {print $2}' "$f")
    P50='' P99='' MAX=''
    read -r P50 P99 MAX < <(sed -n 's/^latency during the lookups: p50 \([0-9.]*\) ms, p99 \([0-9.]*\) ms, max \([0-9.]*\) ms$/\1 \2 \3/p' "$f") || true
    echo "---- dns_slow slow $* ${pre[*]:+(under coexec -w 1)}: exit $(describe_rc "$RC")"
    cat "$f"
    head -20 "$BATS_TEST_TMPDIR/$name.err"
}

# check_slow: every lookup resolved and took the responder's 2 s (else the
# test proves nothing), and round trips went on meanwhile with a maximum
# latency below 1000 ms (a worker blocked by the lookup shows ~2000 ms).
check_slow() {
    local f="$BATS_TEST_TMPDIR/$1.out" bad=0
    if [ "$RC" != 0 ]; then
        echo "FAIL: dns_slow exited $(describe_rc "$RC"): a lookup did not resolve (see above)"
        bad=1
    fi
    if ! grep -q '^lookup ' "$f"; then
        echo "FAIL: no lookup reported"
        return 1
    fi
    local short
    short=$(sed -n 's/^lookup .* (\([0-9]*\) ms)\( WRONG\)*$/\1 &/p' "$f" |
        awk '$1 < 1500 { sub(/^[0-9]+ /, ""); print }')
    if [ -n "$short" ]; then
        echo "FAIL: these lookups took less than 1.5 s, so the slow responder did not delay them:"
        echo "$short"
        bad=1
    fi
    if [ -z "$ROUNDS" ] || [ "$ROUNDS" -lt 1 ] || [ -z "$MAX" ]; then
        echo "FAIL: no round trip completed while the lookups were pending: the ping-pong stalled"
        bad=1
    elif awk -v m="$MAX" 'BEGIN { exit !(m >= 1000) }'; then
        echo "FAIL: a round trip took $MAX ms while a lookup was pending: the lookup blocked the worker instead of parking its coroutine"
        if [ "$(grep -c '^lookup ' "$f")" -gt 1 ]; then
            echo "(to see which API blocks: tests/dns/ns-run --slow scripts/coexec -w 1 build/progs/dns_slow slow API, for each API above)"
        fi
        bad=1
    fi
    return "$bad"
}

@test "slow server: native control (every API; the ping-pong goes on, lookups take 2 s)" {
    slow_run nat all
    echo "# native: $ROUNDS round trips during 2 s lookups, p50 $P50 ms, p99 $P99 ms, max $MAX ms" >&3
    check_slow nat
}

# The native control shows the ping-pong goes on when the threads are
# kernel threads, so under coexec the statistics must show that they were
# not: one worker, the ping-pong's and the lookups' threads coroutines, the
# ping-pong parked in read and sleep, and each lookup (c-ares waiting for
# the slow answer) parked in poll.
@test "slow server: getaddrinfo with COEXEC_WORKERS=1 parks only its coroutine (max latency < 1000 ms)" {
    slow_run cx coexec getaddrinfo
    echo "# coexec -w 1, getaddrinfo: $ROUNDS round trips during the lookup, p50 $P50 ms, p99 $P99 ms, max $MAX ms" >&3
    check_slow cx
    check_stats "$BATS_TEST_TMPDIR/cx.log" "coexec -w 1 dns_slow slow getaddrinfo" \
        "workers<=1 created>=3 read>=1 sleep>=1 poll>=1"
}

@test "slow server: every lookup API with COEXEC_WORKERS=1 parks only its coroutine" {
    slow_run cxall coexec all
    echo "# coexec -w 1, every API at once: $ROUNDS round trips during the lookups, p50 $P50 ms, p99 $P99 ms, max $MAX ms" >&3
    check_slow cxall
    # 12 APIs, a thread each
    check_stats "$BATS_TEST_TMPDIR/cxall.log" "coexec -w 1 dns_slow slow all" \
        "workers<=1 created>=14 read>=1 sleep>=1 poll>=12"
}

# ---- 1,000 lookups at once ------------------------------------------------

# many_run NAME [coexec]: dns_slow many 1000 (under coexec, statistics in
# NAME.log); sets RC, RESOLVED, PEAK.
many_run() {
    local name=$1 pre=()
    if [ "${2:-}" = coexec ]; then
        stats_env "$BATS_TEST_TMPDIR/$name.log"
        pre=("${STATS_ENV[@]}" "$COEXEC")
    fi
    local p
    p=$(prog dns_slow) || return 1
    ns_bounded "$BATS_TEST_TMPDIR/$name.out" "$BATS_TEST_TMPDIR/$name.err" \
        "${pre[@]}" "$p" many 1000 || return 1
    RESOLVED=$(sed -n 's/^resolved \([0-9]*\) of 1000$/\1/p' "$BATS_TEST_TMPDIR/$name.out")
    PEAK=$(sed -n 's/^peak kernel threads \([0-9]*\)$/\1/p' "$BATS_TEST_TMPDIR/$name.out")
    echo "---- dns_slow many 1000 ${pre[*]:+under coexec}: exit $(describe_rc "$RC")"
    cat "$BATS_TEST_TMPDIR/$name.out"
    head -20 "$BATS_TEST_TMPDIR/$name.err"
}

@test "many: native control, 1000 threads resolving at once are >= 1000 kernel threads" {
    many_run nat
    [ "$RC" = 0 ]
    [ "$RESOLVED" = 1000 ]
    [ "$PEAK" -ge 1000 ]
}

@test "many: coexec, 1000 threads resolving at once all succeed within the task bound" {
    many_run cx coexec
    echo "# coexec: 1000 concurrent lookups, peak $PEAK kernel threads (bound $TASK_BOUND)" >&3
    [ "$RC" = 0 ]
    [ "$RESOLVED" = 1000 ]
    if [ "$PEAK" -gt "$TASK_BOUND" ]; then
        echo "coexec dns_slow many had $PEAK kernel threads, more than $TASK_BOUND"
        false
    fi
    # 1000 lookup threads and the sampler; 999 of them waited at the barrier
    check_stats "$BATS_TEST_TMPDIR/cx.log" "coexec dns_slow many 1000" \
        "created>=1001 sync>=999 poll>=1"
}

# ---- real programs ---------------------------------------------------------

@test "curl under coexec fetches http://http.cx.test:8080/ from python3 -m http.server" {
    command -v curl >/dev/null || skip "curl is not installed (scripts/setup-debian installs it)"
    [ -n "$PYTHON" ] || skip "python3 is not installed"
    local d=$BATS_TEST_TMPDIR
    mkdir -p "$d/www"
    echo "hello from http.cx.test" >"$d/www/hello.txt"
    # shellcheck disable=SC2016  # expanded by the inner shell
    ns_bounded "$d/curl.out" "$d/curl.err" bash -c '
        d=$1 coexec=$2 python=$3
        "$python" -m http.server 8080 --bind 127.0.0.80 --directory "$d/www" \
            >"$d/server.log" 2>&1 </dev/null &
        srv=$!
        trap "kill $srv 2>/dev/null; wait $srv 2>/dev/null" EXIT
        for _ in $(seq 200); do
            (exec 3<>/dev/tcp/127.0.0.80/8080) 2>/dev/null && break
            sleep 0.05
        done
        get() {
            timeout -k 5 20 "$@" curl -sS --noproxy "*" --max-time 15 \
                http://http.cx.test:8080/hello.txt
        }
        echo "native: $(get)"
        echo "coexec: $(get env COEXEC_STATS=1 COEXEC_LOG_FILE="$d/curl-cx.log" "$coexec")"
        echo "coexec -w 1: $(get env COEXEC_STATS=1 COEXEC_LOG_FILE="$d/curl-cx1.log" "$coexec" -w 1)"
    ' curl-test "$d" "$COEXEC" "$PYTHON"
    cat "$d/curl.out" "$d/curl.err"
    [ "$RC" = 0 ]
    [ "$(cat "$d/curl.out")" = "native: hello from http.cx.test
coexec: hello from http.cx.test
coexec -w 1: hello from http.cx.test" ]
    # curl's resolver thread, and curl waiting for the server's answer
    check_stats "$d/curl-cx.log" "coexec curl" "created>=1 poll>=1"
    check_stats "$d/curl-cx1.log" "coexec -w 1 curl" "workers<=1 created>=1 poll>=1"
}

@test "python3 socket.getaddrinfo & co. print the same natively and under coexec" {
    [ -n "$PYTHON" ] || skip "python3 is not installed"
    local d=$BATS_TEST_TMPDIR
    cat >"$d/lookups.py" <<'EOF'
import socket

def show(what, f, *args):
    try:
        print(what, f(*args))
    except OSError as e:
        print(what, type(e).__name__, e.args)

show("getaddrinfo dual 80", socket.getaddrinfo, "dual.cx.test", 80)
show("getaddrinfo www http tcp canon", socket.getaddrinfo, "www.cx.test", "http",
     0, socket.SOCK_STREAM, 0, socket.AI_CANONNAME)
show("getaddrinfo multi v4", socket.getaddrinfo, "multi.cx.test", 443,
     socket.AF_INET, socket.SOCK_STREAM)
show("getaddrinfo short", socket.getaddrinfo, "short", None)
show("getaddrinfo files v6", socket.getaddrinfo, "files.cx.test", 22, socket.AF_INET6)
show("getaddrinfo nx", socket.getaddrinfo, "nx.cx.test", 80)
show("getaddrinfo v6-only as v4", socket.getaddrinfo, "v6.cx.test", 80, socket.AF_INET)
show("gethostbyname", socket.gethostbyname, "www.cx.test")
show("gethostbyname_ex", socket.gethostbyname_ex, "www.cx.test")
show("gethostbyname_ex nx", socket.gethostbyname_ex, "nx.cx.test")
show("gethostbyaddr", socket.gethostbyaddr, "192.0.2.10")
show("gethostbyaddr v6", socket.gethostbyaddr, "2001:db8::20")
show("gethostbyaddr none", socket.gethostbyaddr, "192.0.2.99")
show("getnameinfo", socket.getnameinfo, ("192.0.2.40", 80), 0)
show("getnameinfo nofqdn", socket.getnameinfo, ("192.0.2.40", 53),
     socket.NI_NOFQDN | socket.NI_DGRAM)
show("getfqdn", socket.getfqdn, "short")
EOF
    # shellcheck disable=SC2016  # expanded by the inner shell
    ns_bounded "$d/py.out" "$d/py.err" bash -c '
        d=$1 coexec=$2 python=$3
        timeout -k 5 20 "$python" "$d/lookups.py" >"$d/py-native.out" 2>&1; echo "native exit $?"
        timeout -k 5 20 env COEXEC_STATS=1 COEXEC_LOG_FILE="$d/py-coexec.log" "$coexec" \
            "$python" "$d/lookups.py" >"$d/py-coexec.all" 2>&1; echo "coexec exit $?"
    ' py-test "$d" "$COEXEC" "$PYTHON"
    # stdout and stderr together: the statistics lines are in it too
    strip_stats "$d/py-coexec.all" "$d/py-coexec.log" >"$d/py-coexec.out"
    cat "$d/py.out" "$d/py.err"
    echo "---- native:"
    cat "$d/py-native.out"
    [ "$RC" = 0 ]
    [ "$(cat "$d/py.out")" = "native exit 0
coexec exit 0" ]
    grep -q "^getaddrinfo dual 80 \[(<AddressFamily.AF_INET6" "$d/py-native.out"
    if ! cmp -s "$d/py-native.out" "$d/py-coexec.out"; then
        echo "output differs (- native, + coexec):"
        diff -u "$d/py-native.out" "$d/py-coexec.out" | tail -n +3
        false
    fi
    # python3 here makes no thread: the statistics can only show coexec ran
    check_stats "$d/py-coexec.log" "coexec python3 lookups.py"
}

# ---- COEXEC_DNS=native: glibc's own functions on the blocking-call pool ----

@test "COEXEC_DNS=native: every lookup of dns_table matches native (run on the pool)" {
    local p log="$BATS_TEST_TMPDIR/pool.log"
    p=$(prog dns_table) || return 1
    ns_bounded "$BATS_TEST_TMPDIR/n.out" "$BATS_TEST_TMPDIR/n.err" "$p" || return 1
    [ "$RC" = 0 ] || { echo "native run exited $(describe_rc "$RC")"; cat "$BATS_TEST_TMPDIR/n.err"; return 1; }
    COEXEC_DNS=native COEXEC_DEBUG=pool COEXEC_STATS=1 COEXEC_LOG_FILE=$log \
        ns_bounded "$BATS_TEST_TMPDIR/c.out" "$BATS_TEST_TMPDIR/c.err" "$COEXEC" "$p" || return 1
    [ "$RC" = 0 ] || { echo "coexec run exited $(describe_rc "$RC")"; cat "$BATS_TEST_TMPDIR/c.err"; return 1; }
    diff -u "$BATS_TEST_TMPDIR/n.out" "$BATS_TEST_TMPDIR/c.out" | head -60
    cmp -s "$BATS_TEST_TMPDIR/n.out" "$BATS_TEST_TMPDIR/c.out"
    # the thread's lookups really went to the pool
    grep -q 'pool: thread 1 started' "$log" || { echo "no pool thread in the log:"; head "$log"; return 1; }
    # and the coroutine waited for the pool (an address wait)
    check_stats "$log" "coexec dns_table, COEXEC_DNS=native" "created>=1 pool>=1"
}

@test "COEXEC_DNS=native: a 2 s lookup on the pool does not stall the worker (COEXEC_WORKERS=1)" {
    COEXEC_DNS=native slow_run cxnat coexec getaddrinfo
    echo "# coexec -w 1, COEXEC_DNS=native: $ROUNDS round trips during the lookup, max $MAX ms" >&3
    check_slow cxnat
    # the lookup's coroutine waited for the pool thread (an address wait)
    check_stats "$BATS_TEST_TMPDIR/cxnat.log" "coexec -w 1 dns_slow slow getaddrinfo, COEXEC_DNS=native" \
        "workers<=1 created>=3 read>=1 sleep>=1 pool>=1"
}

# A burst of 20 lookups at once on the pool: the responder answers each
# after 300 ms (ns-run --slow=0.3), on a timer of its own, so the burst
# takes one delay when 20 pool threads serve it, and 20 delays (6 s) when
# one thread serves it in turn: the pool once started a thread only when
# none was idle, and counted as idle a thread woken but not yet at the
# queue, so a burst arriving while one thread idled (dns_slow's warm-up
# lookup leaves one) queued behind it in some runs.  Ten runs, each a
# process of its own (a pool with one idle thread), natively and under
# coexec at the same time; every run must take less than 3 delays.
@test "COEXEC_DNS=native: a burst of 20 lookups takes one server delay, not 20, in each of 10 runs" {
    local p d=$BATS_TEST_TMPDIR
    p=$(prog dns_slow) || return 1
    # shellcheck disable=SC2016  # expanded by the inner shell
    RUN_TIMEOUT=$SLOW_TIMEOUT ns_bounded "$d/burst.out" "$d/burst.err" --slow=0.3 bash -c '
        d=$1 coexec=$2 p=$3
        # a run gets 5 s (a serialised burst takes 6); the first that
        # fails ends its series
        for i in $(seq 10); do
            rc=0
            timeout -k 2 5 "$p" burst 20 1 >"$d/nat.$i.out" 2>"$d/nat.$i.err" || rc=$?
            echo $rc >"$d/nat.$i.rc"
            [ $rc = 0 ] || break
        done &
        for i in $(seq 10); do
            rc=0
            timeout -k 2 5 env COEXEC_DNS=native COEXEC_STATS=1 \
                COEXEC_LOG_FILE="$d/cx.$i.log" "$coexec" "$p" burst 20 1 \
                >"$d/cx.$i.out" 2>"$d/cx.$i.err" || rc=$?
            echo $rc >"$d/cx.$i.rc"
            [ $rc = 0 ] || break
        done
        wait
    ' burst-test "$d" "$COEXEC" "$p" || return 1
    cat "$d/burst.out" "$d/burst.err"
    [ "$RC" = 0 ] || { echo "ns-run exited $(describe_rc "$RC")"; return 1; }
    local tag i t bad=0 times label
    for tag in nat cx; do
        times=
        label=native
        [ "$tag" = cx ] && label="coexec, COEXEC_DNS=native"
        for i in $(seq 10); do
            if [ ! -f "$d/$tag.$i.rc" ]; then
                echo "FAIL: $tag run $i did not happen (an earlier run failed)"
                bad=1
                break
            fi
            t=$(sed -n 's/^round 1: 20 of 20 resolved in \([0-9]*\) ms$/\1/p' "$d/$tag.$i.out")
            times="$times ${t:-?}"
            if [ "$(cat "$d/$tag.$i.rc")" != 0 ] || [ -z "$t" ]; then
                echo "FAIL: $tag run $i exited $(RUN_TIMEOUT=5 describe_rc "$(cat "$d/$tag.$i.rc")"):"
                cat "$d/$tag.$i.out"; head -20 "$d/$tag.$i.err"
                bad=1
            elif [ "$t" -lt 290 ]; then
                echo "FAIL: $tag run $i took $t ms: the responder did not delay the lookups"
                bad=1
            elif [ "$t" -ge 900 ]; then
                echo "FAIL: $tag run $i took $t ms for 20 lookups of 300 ms each: they did not run side by side"
                bad=1
            fi
        done
        echo "# burst of 20 lookups of 300 ms, $label, 10 runs (ms):$times" >&3
    done
    # every coexec run: 21 calls on the pool (the warm-up and the burst),
    # 20 threads there at once, and the coroutines waited for them
    [ "$bad" = 0 ] || return 1
    for i in $(seq 10); do
        check_stats "$d/cx.$i.log" "coexec run $i of dns_slow burst 20 1, COEXEC_DNS=native" \
            "created>=21 pool>=20 pooljobs>=21 poolthreads>=20" || bad=1
    done
    [ "$bad" = 0 ]
}

@test "COEXEC_DNS and COEXEC_POOL_MAX: a bad value is one line on stderr, and the run goes on" {
    run_bounded "$BATS_TEST_TMPDIR/o" "$BATS_TEST_TMPDIR/e" env COEXEC_DNS=bogus COEXEC_POOL_MAX=0 "$COEXEC" sh -c 'echo ran'
    cat "$BATS_TEST_TMPDIR/e"
    [ "$RC" = 0 ]
    [ "$(cat "$BATS_TEST_TMPDIR/o")" = ran ]
    [ "$(grep -c 'COEXEC_DNS' "$BATS_TEST_TMPDIR/e")" = 1 ]
    [ "$(grep -c 'COEXEC_POOL_MAX' "$BATS_TEST_TMPDIR/e")" = 1 ]
    [ "$(wc -l < "$BATS_TEST_TMPDIR/e")" = 2 ]
}
