#!/usr/bin/env bats
# layout: the layering rules of DESIGN.md ("Layers") that a grep can check.
# The runtime (sched/), coroutine-local storage (cls/) and name resolution
# (dns/) know nothing of interposition: they include nothing from shim/ or
# preload/ but the log, and export nothing; real symbols are looked up in
# preload/real.c only; library files stay short.

ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"

@test "layout: sched/, cls/ and dns/ include nothing of shim/ or preload/ but the log" {
    cd "$ROOT"
    run bash -c "grep -rn '#include \"\(shim\|preload\)/' sched cls dns | grep -v 'preload/log.h'"
    [ -z "$output" ] || { echo "$output"; return 1; }
}

@test "layout: no exported symbol outside shim/ and preload/" {
    cd "$ROOT"
    run bash -c "grep -rln 'EXPORT\|visibility(\"default\")' sched cls dns"
    [ -z "$output" ] || { echo "$output"; return 1; }
}

@test "layout: dlsym and dlvsym only in preload/real.c" {
    cd "$ROOT"
    run bash -c "grep -rn 'dlv\?sym *(' sched shim cls dns preload --include='*.c' --include='*.h' | grep -v '^preload/real.c:'"
    [ -z "$output" ] || { echo "$output"; return 1; }
}

@test "layout: no file of the library above 520 lines" {
    cd "$ROOT"
    run bash -c "wc -l sched/*.[ch] sched/arch/*/* shim/*.[ch] cls/*.[ch] dns/*.[ch] preload/*.[ch] | awk '\$2 != \"total\" && \$1 > 520'"
    [ -z "$output" ] || { echo "$output"; return 1; }
}
