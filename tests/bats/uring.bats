#!/usr/bin/env bats
# uring: libraries that wait with system calls of their own. liburing and
# libaio enter the kernel without libc, so coexec interposes their
# exported waits (shim/uring.c, shim/aio.c). Each case of
# tests/progs/uring_wait and tests/progs/aio_wait runs natively and under
# coexec, with COEXEC_WORKERS=1 and the default, and the outputs must be
# the same; while a call waits, a heartbeat thread of the program must
# keep ticking (with one worker it is a coroutine of the same worker).
# Evidence from --stats: an io_uring wait parks on the ring's descriptor
# (file>=1, and no pool job), an IOPOLL ring's wait goes to the pool
# (pool.io_uring_*), a libaio wait to the pool (pool.io_getevents, ...).

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

# native_beats_ok: no heartbeat of a native run of this test stalled
# (else the comparison proves nothing: a stall under coexec prints the
# same).
native_beats_ok() {
    local d bad=0
    for d in "$BATS_TEST_TMPDIR"/cmp.*; do
        if grep -q STALLED "$d/native.out"; then
            echo "NATIVE heartbeat stalled in $d (machine too loaded?):"
            cat "$d/native.out"
            bad=1
        fi
    done
    return $bad
}

@test "uring: every case of uring_wait has a test here" {
    check_case_list uring_wait "$BATS_TEST_FILENAME"
}

@test "uring: every case of aio_wait has a test here" {
    check_case_list aio_wait "$BATS_TEST_FILENAME"
}

@test "uring: wait_cqe: io_uring_wait_cqe of a pipe read written at 300 ms" {
    EXPECT_STATS="file>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case uring_wait wait_cqe
    EXPECT_STATS="file>=1 pooljobs<=0" compare_case uring_wait wait_cqe
    native_beats_ok
}

@test "uring: wait_cqe_nr: io_uring_wait_cqe_nr(2), reads written at 150 and 300 ms" {
    EXPECT_STATS="file>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case uring_wait wait_cqe_nr
    EXPECT_STATS="file>=1 pooljobs<=0" compare_case uring_wait wait_cqe_nr
    native_beats_ok
}

@test "uring: wait_timeout: io_uring_wait_cqe_timeout(300 ms) with nothing in flight: -ETIME" {
    EXPECT_STATS="file>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case uring_wait wait_timeout
    EXPECT_STATS="file>=1 pooljobs<=0" compare_case uring_wait wait_timeout
    native_beats_ok
}

@test "uring: wait_partial: io_uring_wait_cqes(2, 300 ms) with one completion there" {
    EXPECT_STATS="file>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case uring_wait wait_partial
    EXPECT_STATS="file>=1 pooljobs<=0" compare_case uring_wait wait_partial
    native_beats_ok
}

@test "uring: submit_wait: io_uring_submit_and_wait(1)" {
    EXPECT_STATS="file>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case uring_wait submit_wait
    EXPECT_STATS="file>=1 pooljobs<=0" compare_case uring_wait submit_wait
    native_beats_ok
}

@test "uring: submit_timeout: io_uring_submit_and_wait_timeout(1, 2 s)" {
    EXPECT_STATS="file>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case uring_wait submit_timeout
    EXPECT_STATS="file>=1 pooljobs<=0" compare_case uring_wait submit_timeout
    native_beats_ok
}

@test "uring: submit_expire: io_uring_submit_and_wait_timeout(1, 300 ms) that expires: the count submitted" {
    EXPECT_STATS="file>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case uring_wait submit_expire
    EXPECT_STATS="file>=1 pooljobs<=0" compare_case uring_wait submit_expire
    native_beats_ok
}

@test "uring: intr: SIGALRM (no SA_RESTART) during io_uring_wait_cqe: -EINTR" {
    EXPECT_STATS="file>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case uring_wait intr
    EXPECT_STATS="file>=1 pooljobs<=0" compare_case uring_wait intr
    native_beats_ok
}

@test "uring: intr_restart: SIGALRM with SA_RESTART during io_uring_wait_cqe: -EINTR too" {
    EXPECT_STATS="file>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case uring_wait intr_restart
    EXPECT_STATS="file>=1 pooljobs<=0" compare_case uring_wait intr_restart
    native_beats_ok
}

@test "uring: intr_twice: two signals in io_uring_submit_and_wait_timeout without timeout: liburing waits again once" {
    EXPECT_STATS="file>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case uring_wait intr_twice
    EXPECT_STATS="file>=1 pooljobs<=0" compare_case uring_wait intr_twice
    native_beats_ok
}

@test "uring: cancel: pthread_cancel of a thread in io_uring_wait_cqe acts after it returns" {
    EXPECT_STATS="file>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case uring_wait cancel
    EXPECT_STATS="file>=1 pooljobs<=0" compare_case uring_wait cancel
    native_beats_ok
}

@test "uring: single_issuer: io_uring_wait_cqe on a SINGLE_ISSUER ring" {
    EXPECT_STATS="file>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case uring_wait single_issuer
    EXPECT_STATS="file>=1 pooljobs<=0" compare_case uring_wait single_issuer
    native_beats_ok
}

@test "uring: sqpoll: io_uring_submit_and_wait(1) on an SQPOLL ring" {
    EXPECT_STATS="file>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case uring_wait sqpoll
    EXPECT_STATS="file>=1 pooljobs<=0" compare_case uring_wait sqpoll
    native_beats_ok
}

@test "uring: defer_taskrun: a DEFER_TASKRUN ring: its own thread asks, parked between" {
    EXPECT_STATS="file>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case uring_wait defer_taskrun
    EXPECT_STATS="file>=1 pooljobs<=0" compare_case uring_wait defer_taskrun
    native_beats_ok
}

@test "uring: iopoll: waits on an IOPOLL ring go to the pool" {
    EXPECT_STATS="pool.io_uring_wait_cqe_timeout>=1 pool.io_uring_wait_cqes>=1 pool.io_uring_submit_and_wait_timeout>=1" COEXEC_WORKERS=1 compare_case uring_wait iopoll
    EXPECT_STATS="pool.io_uring_wait_cqe_timeout>=1 pool.io_uring_wait_cqes>=1 pool.io_uring_submit_and_wait_timeout>=1" compare_case uring_wait iopoll
    native_beats_ok
}

@test "uring: bad_args: a bad timeout pointer, a negative timeout, a peek of an empty ring" {
    EXPECT_STATS="pooljobs<=0" COEXEC_WORKERS=1 compare_case uring_wait bad_args
    EXPECT_STATS="pooljobs<=0" compare_case uring_wait bad_args
    native_beats_ok
}

@test "uring: exit_reuse: an eventfd that takes an exited ring's number waits as its own" {
    EXPECT_STATS="file>=1 read>=1" COEXEC_WORKERS=1 compare_case uring_wait exit_reuse
    EXPECT_STATS="file>=1 read>=1" compare_case uring_wait exit_reuse
    native_beats_ok
}

@test "aio: getevents: io_getevents(1, 1) for a poll written at 300 ms" {
    EXPECT_STATS="pool.io_getevents>=1" COEXEC_WORKERS=1 compare_case aio_wait getevents
    EXPECT_STATS="pool.io_getevents>=1" compare_case aio_wait getevents
    native_beats_ok
}

@test "aio: timeout: io_getevents(1, 1, 300 ms) with nothing in flight: 0" {
    EXPECT_STATS="pool.io_getevents>=1" COEXEC_WORKERS=1 compare_case aio_wait timeout
    EXPECT_STATS="pool.io_getevents>=1" compare_case aio_wait timeout
    native_beats_ok
}

@test "aio: partial: io_getevents(2, 2) with one event there: the other from the pool" {
    EXPECT_STATS="pool.io_getevents>=1" COEXEC_WORKERS=1 compare_case aio_wait partial
    EXPECT_STATS="pool.io_getevents>=1" compare_case aio_wait partial
    native_beats_ok
}

@test "aio: partial_timeout: io_getevents(2, 2, 300 ms) with one event there: 1" {
    EXPECT_STATS="pool.io_getevents>=1" COEXEC_WORKERS=1 compare_case aio_wait partial_timeout
    EXPECT_STATS="pool.io_getevents>=1" compare_case aio_wait partial_timeout
    native_beats_ok
}

@test "aio: intr: SIGALRM (no SA_RESTART) during io_getevents: -EINTR" {
    EXPECT_STATS="pool.io_getevents>=1" COEXEC_WORKERS=1 compare_case aio_wait intr
    EXPECT_STATS="pool.io_getevents>=1" compare_case aio_wait intr
    native_beats_ok
}

@test "aio: intr_restart: SIGALRM with SA_RESTART during io_getevents: -EINTR too" {
    EXPECT_STATS="pool.io_getevents>=1" COEXEC_WORKERS=1 compare_case aio_wait intr_restart
    EXPECT_STATS="pool.io_getevents>=1" compare_case aio_wait intr_restart
    native_beats_ok
}

@test "aio: pgetevents: io_pgetevents with an empty mask" {
    EXPECT_STATS="pool.io_pgetevents>=1" COEXEC_WORKERS=1 compare_case aio_wait pgetevents
    EXPECT_STATS="pool.io_pgetevents>=1" compare_case aio_wait pgetevents
    native_beats_ok
}

@test "aio: cancel: pthread_cancel of a thread in io_getevents acts after it returns" {
    EXPECT_STATS="pool.io_getevents>=1" COEXEC_WORKERS=1 compare_case aio_wait cancel
    EXPECT_STATS="pool.io_getevents>=1" compare_case aio_wait cancel
    native_beats_ok
}

@test "aio: destroy: io_destroy with a poll in flight" {
    EXPECT_STATS="pool.io_destroy>=1" COEXEC_WORKERS=1 compare_case aio_wait destroy
    EXPECT_STATS="pool.io_destroy>=1" compare_case aio_wait destroy
    native_beats_ok
}

@test "aio: bad_args: bad arguments give libaio's -errno, errno unchanged" {
    EXPECT_STATS="pool.io_getevents>=1" COEXEC_WORKERS=1 compare_case aio_wait bad_args
    EXPECT_STATS="pool.io_getevents>=1" compare_case aio_wait bad_args
    native_beats_ok
}
