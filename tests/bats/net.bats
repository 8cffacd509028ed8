#!/usr/bin/env bats
# net: what a thread-per-connection daemon does (scatter/gather, large
# transfers, MSG_WAITALL, MSG_PEEK, IPv6, dual stack, UDP server thread,
# acceptor pool, sendfile, stdio on sockets, half-close), and the echo
# server driven by echo_client from another process, native vs coexec.
#
# Every coexec run must also prove coexec ran it (statistics, see
# "Evidence" in helpers.bash): the threads it creates as coroutines, a
# blocking connect parked (connect), a read that waits for the peer
# (read), acceptors waiting for clients (accept), sleeps (sleep).  The
# single-threaded epoll client can only show that the library ran.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

@test "net_extra: every case has a test here" {
    check_case_list net_extra "$BATS_TEST_FILENAME"
}

@test "net_extra: large" {
    EXPECT_STATS="created>=9 pooljobs>=4" compare_case net_extra large
}

@test "net_extra: waitall" {
    EXPECT_STATS="created>=5 read>=2 pooljobs>=1 sleep>=22" compare_case net_extra waitall
}

@test "net_extra: peek" {
    EXPECT_STATS="created>=3 read>=2 pooljobs>=1 sleep>=3" compare_case net_extra peek
}

@test "net_extra: ipv6" {
    EXPECT_STATS="created>=35 pooljobs>=1 read>=1" compare_case net_extra ipv6
}

@test "net_extra: dual_stack" {
    EXPECT_STATS="created>=19 pooljobs>=1 read>=1" compare_case net_extra dual_stack
}

@test "net_extra: cloexec" {
    EXPECT_STATS="pooljobs>=1" compare_case net_extra cloexec
}

@test "net_extra: udp_server" {
    EXPECT_STATS="created>=29 read>=1" compare_case net_extra udp_server
}

@test "net_extra: mmsg" {
    EXPECT_STATS="created>=3 read>=2 sleep>=2" compare_case net_extra mmsg
}

@test "net_extra: acceptor_pool" {
    EXPECT_STATS="created>=49 accept>=1 pooljobs>=1 read>=1" compare_case net_extra acceptor_pool
}

@test "net_extra: sendfile" {
    EXPECT_STATS="created>=3 pooljobs>=1" compare_case net_extra sendfile
}

@test "net_extra: stdio" {
    EXPECT_STATS="created>=5 read>=6 pooljobs>=1 sleep>=8" compare_case net_extra stdio
}

@test "net_extra: half_close" {
    EXPECT_STATS="created>=3 pooljobs>=1 read>=1" compare_case net_extra half_close
}

@test "net_extra: many_conns" {
    EXPECT_STATS="created>=259 pooljobs>=1 read>=1" compare_case net_extra many_conns
}

# echo_round MODE NAME SERVER-ARGS -- CLIENT-ARGS: run echo_server (MODE
# native or coexec) with --max, drive it with a native echo_client, wait for
# the server to exit; leaves NAME.out / NAME-client.out and SRV_RC, CLI_RC.
echo_round() {
    local mode=$1 name=$2
    shift 2
    local sargs=() cargs=()
    while [ "$1" != -- ]; do sargs+=("$1"); shift; done
    shift
    cargs=("$@")
    if [ "$mode" = coexec ]; then
        start_server "$name" --coexec "${sargs[@]}"
    else
        start_server "$name" "${sargs[@]}"
    fi
    run_bounded "$BATS_TEST_TMPDIR/$name-client.out" \
        "$BATS_TEST_TMPDIR/$name-client.err" \
        "$(prog echo_client)" "${cargs[@]}" "$SERVER_PORT"
    CLI_RC=$RC
    wait_bg "$SERVER_PID" 30
    SRV_RC=$RC
}

# compare_echo_results [EXPECTATION...]: after echo_round native nat ...
# and echo_round coexec cx ...: both exit 0, every output is identical
# (the coexec server's statistics lines taken out of its stderr), and its
# statistics (cx.log) show EXPECTATION (see helpers.bash).
compare_echo_results() {
    local d=$BATS_TEST_TMPDIR bad=0
    mv "$d/cx.err" "$d/cx.err.all"
    strip_stats "$d/cx.err.all" "$d/cx.log" >"$d/cx.err"
    echo "native: server exit $SRV_RC_NAT, client exit $CLI_RC_NAT"
    [ "$CLI_RC" = 0 ] || { echo "client against coexec server exited $CLI_RC"; bad=1; }
    [ "$SRV_RC" = 0 ] || { echo "coexec server exited $(describe_rc "$SRV_RC")"; bad=1; }
    for f in nat.out nat.err nat-client.out nat-client.err; do
        local g=cx${f#nat}
        # the ephemeral port differs from run to run
        sed 's/^listening on [0-9]*$/listening on PORT/' "$d/$f" >"$d/$f.norm"
        sed 's/^listening on [0-9]*$/listening on PORT/' "$d/$g" >"$d/$g.norm"
        if ! cmp -s "$d/$f.norm" "$d/$g.norm"; then
            echo "$f vs $g differ (- native, + coexec):"
            diff -u "$d/$f.norm" "$d/$g.norm" | tail -n +3 | head -40
            bad=1
        fi
    done
    check_stats "$d/cx.log" "coexec echo_server" "$@" || bad=1
    if [ "$bad" = 1 ]; then
        show_bg nat; show_bg nat-client; show_bg cx; show_bg cx-client
        return 1
    fi
}

@test "echo: 50 connections x 3 rounds of 10000 bytes, server native vs coexec" {
    echo_round native nat --max 50 -- -c 50 -b 10000 -r 3
    SRV_RC_NAT=$SRV_RC CLI_RC_NAT=$CLI_RC
    [ "$SRV_RC" = 0 ] && [ "$CLI_RC" = 0 ] || { show_bg nat; show_bg nat-client; false; }
    grep -qx 'served 50 connections, 1500000 bytes' "$BATS_TEST_TMPDIR/nat.out"
    echo_round coexec cx --max 50 -- -c 50 -b 10000 -r 3
    compare_echo_results "created>=50 accept>=1 read>=1"
}

@test "echo: 20 connections over [::1] with 1 MiB each, server native vs coexec" {
    echo_round native nat --max 20 --bind ::1 -- --host ::1 -c 20 -b 1048576
    SRV_RC_NAT=$SRV_RC CLI_RC_NAT=$CLI_RC
    [ "$SRV_RC" = 0 ] && [ "$CLI_RC" = 0 ] || { show_bg nat; show_bg nat-client; false; }
    echo_round coexec cx --max 20 --bind ::1 -- --host ::1 -c 20 -b 1048576
    compare_echo_results "created>=20 accept>=1 read>=1"
}

@test "echo: 500 connections at once, 5 rounds of 100 bytes, server native vs coexec" {
    echo_round native nat --max 500 -- -c 500 -b 100 -r 5 --parallel 500
    SRV_RC_NAT=$SRV_RC CLI_RC_NAT=$CLI_RC
    [ "$SRV_RC" = 0 ] && [ "$CLI_RC" = 0 ] || { show_bg nat; show_bg nat-client; false; }
    echo_round coexec cx --max 500 -- -c 500 -b 100 -r 5 --parallel 500
    compare_echo_results "created>=500 accept>=1 read>=1"
}

@test "echo: the epoll client itself under coexec, against a native server" {
    start_server srv
    local c
    c=$(prog echo_client)
    run_bounded "$BATS_TEST_TMPDIR/n.out" "$BATS_TEST_TMPDIR/n.err" \
        "$c" -c 300 -b 3000 -r 2 "$SERVER_PORT"
    local nrc=$RC
    stats_env "$BATS_TEST_TMPDIR/x.log"
    run_bounded "$BATS_TEST_TMPDIR/x.out" "$BATS_TEST_TMPDIR/x.err.all" \
        "${STATS_ENV[@]}" "$COEXEC" "$c" -c 300 -b 3000 -r 2 "$SERVER_PORT"
    strip_stats "$BATS_TEST_TMPDIR/x.err.all" "$BATS_TEST_TMPDIR/x.log" >"$BATS_TEST_TMPDIR/x.err"
    echo "native client exit $nrc, coexec client exit $(describe_rc "$RC")"
    cat "$BATS_TEST_TMPDIR/x.out" "$BATS_TEST_TMPDIR/x.err"
    [ "$nrc" = 0 ]
    [ "$RC" = 0 ]
    cmp "$BATS_TEST_TMPDIR/n.out" "$BATS_TEST_TMPDIR/x.out"
    cmp "$BATS_TEST_TMPDIR/n.err" "$BATS_TEST_TMPDIR/x.err"
    # single-threaded: coexec passes its calls through (nothing to park
    # for), so the statistics can only show that coexec ran it
    check_stats "$BATS_TEST_TMPDIR/x.log" "coexec echo_client"
}

@test "echo: bad arguments give the same usage errors" {
    EXPECT_RC=2 compare_native echo_server
    EXPECT_RC=2 compare_native echo_server --max 0 0
    EXPECT_RC=2 compare_native echo_client
    EXPECT_RC=2 compare_native echo_client -c x 1
}

@test "echo: client reports a refused connection the same way" {
    # a port nobody listens on: bind an ephemeral one and let it go
    # a port nobody listens on any more: a server's, after it is gone
    start_server gone
    kill -TERM "$SERVER_PID"
    wait_bg "$SERVER_PID" 10
    EXPECT_RC=1 compare_native echo_client -c 1 "$SERVER_PORT"
}
