#!/usr/bin/env bats
# Reads and writes of regular files (shim/disk.c): tests/progs/disk_rw run
# natively and under coexec and compared. Results, errno names, file
# positions and content must be the native ones; the heartbeat cases show
# that a read from the disk, a write behind a held inode lock or an
# O_DSYNC write parks its coroutine (COEXEC_WORKERS=1: the heartbeat is a
# coroutine of the same worker), and the statistics that it went to the
# pool. One test counts system calls: small reads of a file the page
# cache holds whole are plain pread64, not preadv2.

load helpers

setup() {
    common_setup
    export TMPDIR="$BATS_TEST_TMPDIR"
}
teardown() { common_teardown; }

@test "disk: every case has a test here" {
    check_case_list disk_rw "$BATS_TEST_FILENAME"
}

@test "disk: rw_calls: write, pwrite, writev, pwritev, then the reads: counts, positions, EOF, a hole" {
    compare_case disk_rw rw_calls
    COEXEC_WORKERS=1 compare_case disk_rw rw_calls
}

@test "disk: errors: EBADF, EFAULT, EINVAL, EISDIR of every read and write call" {
    compare_case disk_rw errors
}

@test "disk: append: O_APPEND pwrite appends; 4 threads' appended records stay whole" {
    compare_case disk_rw append
    COEXEC_WORKERS=1 compare_case disk_rw append
}

@test "disk: fsize: a write across RLIMIT_FSIZE is partial, the next EFBIG, inline and on the pool" {
    EXPECT_STATS="pool.write>=1" compare_case disk_rw fsize
}

@test "disk: sync_direct: O_DSYNC, O_SYNC and O_DIRECT I/O on the pool; F_SETFL O_DIRECT" {
    EXPECT_STATS="pool.write>=6 pool.read>=2" compare_case disk_rw sync_direct
}

@test "disk: hot_reads: a wholly cached file read while rewritten, cut, grown and evicted" {
    compare_case disk_rw hot_reads
    COEXEC_WORKERS=1 compare_case disk_rw hot_reads
}

@test "disk: hot_reads: small reads of a wholly cached file are plain pread64" {
    command -v strace >/dev/null 2>&1 || { echo "strace is not installed: run scripts/setup-debian"; false; }
    local d=$BATS_TEST_TMPDIR p
    p=$(prog disk_rw)
    RC=0
    timeout -k 5 "$CASE_TIMEOUT" strace -f -qq -c -e trace=pread64,preadv2 -o "$d/count" \
        "$COEXEC" "$p" hot_reads >"$d/out" 2>"$d/err" </dev/null 3>&- || RC=$?
    [ "$RC" = 0 ] || { echo "exited $(describe_rc "$RC")"; cat "$d/err"; false; }
    ! grep -q WRONG "$d/out" || { cat "$d/out"; false; }
    local plain nowait
    plain=$(awk '$NF == "pread64" { print $4 }' "$d/count")
    nowait=$(awk '$NF == "preadv2" { print $4 }' "$d/count")
    echo "pread64 ${plain:-0}, preadv2 ${nowait:-0}"
    cat "$d/count"
    # 10240 reads by the reader threads: a look every ~1040 reads, 16
    # RWF_NOWAIT reads before each
    [ "${plain:-0}" -gt $((4 * ${nowait:-0})) ]
    [ "${plain:-0}" -gt 8000 ]
}

@test "disk: cold_small: 16 KiB preads of an evicted 64 MiB file read on the pool" {
    EXPECT_STATS="pool.read>=1" COEXEC_WORKERS=1 compare_case disk_rw cold_small
    EXPECT_STATS="pool.read>=1" compare_case disk_rw cold_small
    heartbeats_ok
}

@test "disk: write_locked: after one slow write, a write behind a held inode lock parks" {
    local p
    p=$(prog disk_rw)
    if "$p" write_locked | grep -q 'userfaultfd unavailable'; then
        skip "no userfaultfd for kernel faults here (root or vm.unprivileged_userfaultfd=1)"
    fi
    EXPECT_STATS="pool.write>=1" COEXEC_WORKERS=1 compare_case disk_rw write_locked
    EXPECT_STATS="pool.write>=1" compare_case disk_rw write_locked
    heartbeats_ok
}

@test "disk: dsync_big: a 32 MiB write to an O_DSYNC file runs on the pool" {
    EXPECT_STATS="pool.write>=1" COEXEC_WORKERS=1 compare_case disk_rw dsync_big
    heartbeats_ok
}
