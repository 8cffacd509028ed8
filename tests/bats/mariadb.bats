#!/usr/bin/env bats
# mariadb: Debian's MariaDB server, a real thread-per-connection server
# whose per-connection state (THD) lives in a thread-local pointer, under
# coexec: 200 concurrent clients each get their own session back (a user
# variable set, a sleep, the variable read), every connection id distinct,
# then SIGTERM ends it with status 0 and "Shutdown complete". Natively,
# and under coexec with the default workers and with one.

load helpers

setup() {
    common_setup
    command -v mariadbd >/dev/null || command -v /usr/sbin/mariadbd >/dev/null ||
        skip "mariadbd is not installed (scripts/setup-debian installs it)"
    MARIADBD=$(command -v mariadbd || echo /usr/sbin/mariadbd)
    W="$BATS_TEST_TMPDIR/maria"
    mkdir -p "$W/out"
    run timeout 120 mariadb-install-db --no-defaults --datadir="$W/data" \
        --auth-root-authentication-method=normal --skip-test-db --user=root
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

teardown() {
    [ -n "${SPID:-}" ] && kill -KILL "$SPID" 2>/dev/null
    common_teardown
}

client() {
    timeout 60 mariadb --no-defaults -S "$W/sock" -uroot -N "$@"
}

# maria_run [coexec]: start the server (under coexec if asked), serve 200
# clients at once, check every reply, stop it with SIGTERM.
maria_run() {
    local server=("$MARIADBD" --no-defaults --datadir="$W/data" --socket="$W/sock"
        --skip-networking --user=root --log-error="$W/err.log" --pid-file="$W/pid"
        --max-connections=300)
    [ "${1:-}" = coexec ] && server=("$COEXEC" "${server[@]}")
    "${server[@]}" </dev/null >"$W/server.out" 2>&1 &
    SPID=$!
    local i up=0
    for ((i = 0; i < 300; i++)); do
        kill -0 "$SPID" 2>/dev/null || break
        client -e 'SELECT 1' >/dev/null 2>&1 && { up=1; break; }
        sleep 0.1
    done
    [ "$up" = 1 ] || { echo "server did not answer"; cat "$W/err.log"; return 1; }
    if [ "${1:-}" = coexec ]; then
        grep -q libcoexec /proc/$SPID/maps || { echo "coexec is not in the server"; return 1; }
    fi
    local pids=()
    for ((i = 1; i <= 200; i++)); do
        client -e "SET @c=$i; SELECT SLEEP(0.2); SELECT @c, CONNECTION_ID()" \
            >"$W/out/$i" 2>"$W/out/$i.err" &
        pids+=($!)
    done
    local bad=0
    for i in "${pids[@]}"; do wait "$i" || bad=$((bad + 1)); done
    [ "$bad" = 0 ] || { echo "$bad clients failed"; cat "$W"/out/*.err | sort | uniq -c | head; return 1; }
    local wrong=0
    : >"$W/ids"
    for ((i = 1; i <= 200; i++)); do
        if [ "$(sed -n 1p "$W/out/$i")" != 0 ] || [ "$(sed -n 2p "$W/out/$i" | cut -f1)" != "$i" ]; then
            wrong=$((wrong + 1))
            continue
        fi
        sed -n 2p "$W/out/$i" | cut -f2 >>"$W/ids"
    done
    [ "$wrong" = 0 ] || { echo "$wrong replies named another session"; return 1; }
    [ "$(sort -u "$W/ids" | wc -l)" = 200 ] || { echo "connection ids not distinct"; return 1; }
    kill -TERM "$SPID"
    local rc=0
    wait "$SPID" || rc=$?
    SPID=
    [ "$rc" = 0 ] || { echo "server exited $rc after SIGTERM"; tail -5 "$W/err.log"; return 1; }
    grep -q 'Shutdown complete' "$W/err.log"
    ! grep -q '\[ERROR\]' "$W/err.log" || { grep '\[ERROR\]' "$W/err.log"; return 1; }
}

@test "mariadb: natively, 200 concurrent sessions each keep their own state; SIGTERM exits 0" {
    maria_run
}

@test "mariadb: under coexec, 200 concurrent sessions each keep their own state; SIGTERM exits 0" {
    maria_run coexec
}

@test "mariadb: under coexec with one worker, the same" {
    COEXEC_WORKERS=1 maria_run coexec
}
