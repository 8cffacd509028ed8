#!/usr/bin/env bats
# blocking: calls epoll cannot make non-blocking (file locks, waiting for
# children, opening a FIFO, system, pclose, a posix_spawn that opens a
# FIFO, fsync, a cold read), each a case of tests/progs/blocking run
# natively and under coexec and compared (blocking.c's first comment lists
# them), and python3's subprocess.run (tests/progs/subprocess_run.py). While the call waits, a
# heartbeat thread of the program must keep ticking: with COEXEC_WORKERS=1
# it is a coroutine of the same worker, so the call must park its caller
# and run on the blocking-call pool. The coexec run must show that in its
# statistics: pooljobs>=1 and pool.FUNC>=1 for the function the case calls
# (helpers.bash, "Evidence"); fsync_big and read_cold need no pool evidence.

load helpers

# The program's files go to the test's own directory, which bats removes:
# a run killed by the time limit (a hang) cannot leave them behind.
setup() {
    common_setup
    export TMPDIR="$BATS_TEST_TMPDIR"
}
teardown() { common_teardown; }

@test "blocking: every case has a test here" {
    check_case_list blocking "$BATS_TEST_FILENAME"
}

@test "blocking: check_stats reads the pool calls line" {
    local log="$BATS_TEST_TMPDIR/stats.log"
    cat >"$log" <<'EOF'
coexec: stats: 1 workers, 3 threads created as coroutines, peak 2 live, 10 switches, 4 polls
coexec: stats: parks by reason: sleep=5
coexec: stats: pool: 3 jobs, 1 threads
coexec: stats: pool calls: flock 1, waitpid 2
coexec: stats: 1 workers, 0 threads created as coroutines, peak 1 live, 0 switches, 0 polls
coexec: stats: parks by reason: none
coexec: stats: pool: 0 jobs, 0 threads
coexec: stats: pool calls: waitpid 5
EOF
    check_stats "$log" synthetic "pooljobs>=3 pool.flock>=1 pool.waitpid>=5 pool.open<=0"
    # the largest of the two processes; a call not named counts 0
    run check_stats "$log" synthetic "pool.waitpid>=6"
    [ "$status" = 1 ]
    run check_stats "$log" synthetic "pool.open>=1"
    [ "$status" = 1 ]
    run check_stats "$log" synthetic "pool.flock<=0"
    [ "$status" = 1 ]
    run check_stats "$log" synthetic "pool.>=1"
    [ "$status" = 1 ]
    # a malformed pool calls line is an unknown statistics line
    echo 'coexec: stats: pool calls: flock 1,waitpid 2' >>"$log"
    run check_stats "$log" synthetic
    [ "$status" = 1 ]
}

@test "blocking: fifo_open: open(O_RDONLY) of a FIFO until a child opens it for writing" {
    EXPECT_STATS="pooljobs>=1 pool.open>=1" COEXEC_WORKERS=1 compare_case blocking fifo_open
    EXPECT_STATS="pooljobs>=1 pool.open>=1" compare_case blocking fifo_open
    heartbeats_ok
}

@test "blocking: flock_other: flock(LOCK_EX) against a child's lock" {
    EXPECT_STATS="pooljobs>=1 pool.flock>=1" COEXEC_WORKERS=1 compare_case blocking flock_other
    EXPECT_STATS="pooljobs>=1 pool.flock>=1" compare_case blocking flock_other
    heartbeats_ok
}

@test "blocking: flock_same: flock(LOCK_EX) against another thread's description (inline on the only worker: a hang)" {
    EXPECT_STATS="pooljobs>=1 pool.flock>=1" COEXEC_WORKERS=1 compare_case blocking flock_same
    EXPECT_STATS="pooljobs>=1 pool.flock>=1" compare_case blocking flock_same
    heartbeats_ok
}

@test "blocking: fcntl_setlkw: fcntl(F_SETLKW) against a child's F_SETLK lock" {
    EXPECT_STATS="pooljobs>=1 pool.fcntl>=1" COEXEC_WORKERS=1 compare_case blocking fcntl_setlkw
    EXPECT_STATS="pooljobs>=1 pool.fcntl>=1" compare_case blocking fcntl_setlkw
    heartbeats_ok
}

@test "blocking: ofd_setlkw: fcntl(F_OFD_SETLKW) against another thread's OFD lock (inline on the only worker: a hang)" {
    EXPECT_STATS="pooljobs>=1 pool.fcntl>=1" COEXEC_WORKERS=1 compare_case blocking ofd_setlkw
    EXPECT_STATS="pooljobs>=1 pool.fcntl>=1" compare_case blocking ofd_setlkw
    heartbeats_ok
}

@test "blocking: lockf_lock: lockf(F_LOCK) against a child's lock" {
    EXPECT_STATS="pooljobs>=1 pool.lockf>=1" COEXEC_WORKERS=1 compare_case blocking lockf_lock
    EXPECT_STATS="pooljobs>=1 pool.lockf>=1" compare_case blocking lockf_lock
    heartbeats_ok
}

@test "blocking: waitpid_child: waitpid(pid) for a child that exits 7 after 400 ms" {
    EXPECT_STATS="child>=1 pool.waitpid<=0" COEXEC_WORKERS=1 compare_case blocking waitpid_child
    EXPECT_STATS="child>=1 pool.waitpid<=0" compare_case blocking waitpid_child
    heartbeats_ok
}

@test "blocking: wait_child: wait()" {
    EXPECT_STATS="pooljobs>=1 pool.wait>=1" COEXEC_WORKERS=1 compare_case blocking wait_child
    EXPECT_STATS="pooljobs>=1 pool.wait>=1" compare_case blocking wait_child
    heartbeats_ok
}

@test "blocking: wait4_child: wait4() with rusage" {
    EXPECT_STATS="child>=1 pool.wait4<=0" COEXEC_WORKERS=1 compare_case blocking wait4_child
    EXPECT_STATS="child>=1 pool.wait4<=0" compare_case blocking wait4_child
    heartbeats_ok
}

@test "blocking: waitid_child: waitid(P_PID, WEXITED)" {
    EXPECT_STATS="pooljobs>=1 pool.waitid>=1" COEXEC_WORKERS=1 compare_case blocking waitid_child
    EXPECT_STATS="pooljobs>=1 pool.waitid>=1" compare_case blocking waitid_child
    heartbeats_ok
}

@test "blocking: waitpid_any: waitpid(-1)" {
    EXPECT_STATS="pooljobs>=1 pool.waitpid>=1" COEXEC_WORKERS=1 compare_case blocking waitpid_any
    EXPECT_STATS="pooljobs>=1 pool.waitpid>=1" compare_case blocking waitpid_any
    heartbeats_ok
}

@test "blocking: system_sleep: system() of sleep 0.4; exit 3" {
    EXPECT_STATS="pooljobs>=1 pool.system>=1" COEXEC_WORKERS=1 compare_case blocking system_sleep
    EXPECT_STATS="pooljobs>=1 pool.system>=1" compare_case blocking system_sleep
    heartbeats_ok
}

@test "blocking: pclose_sleep: pclose() waits for sleep 0.4; exit 5" {
    EXPECT_STATS="pooljobs>=1 pool.pclose>=1" COEXEC_WORKERS=1 compare_case blocking pclose_sleep
    EXPECT_STATS="pooljobs>=1 pool.pclose>=1" compare_case blocking pclose_sleep
    heartbeats_ok
}

@test "blocking: fsync_big: fsync() of 64 MiB (no pool evidence: a quick fsync may stay inline)" {
    COEXEC_WORKERS=1 compare_case blocking fsync_big
    compare_case blocking fsync_big
    heartbeats_ok
}

@test "blocking: read_cold: read() of 64 MiB dropped from the page cache (no pool evidence: a cached read may stay inline)" {
    COEXEC_WORKERS=1 compare_case blocking read_cold
    compare_case blocking read_cold
    heartbeats_ok
}

@test "blocking: fread_cold: fread() of a 64 MiB file dropped from the page cache goes to the pool" {
    EXPECT_STATS="pool.fread>=1" COEXEC_WORKERS=1 compare_case blocking fread_cold
    EXPECT_STATS="pool.fread>=1" compare_case blocking fread_cold
    heartbeats_ok
}

# The copy happens inside glibc and cannot give way: the heartbeat is not
# judged (it stalled under coexec whenever this machine took over 50 ms).
@test "blocking: fread_cached: fread() of a file in the page cache stays in place" {
    EXPECT_STATS="pool.fread<=0" COEXEC_WORKERS=1 compare_case blocking fread_cached
    EXPECT_STATS="pool.fread<=0" compare_case blocking fread_cached
}

@test "blocking: flock_intr: flock() interrupted by SIGALRM without SA_RESTART: EINTR" {
    EXPECT_STATS="pooljobs>=1 pool.flock>=1" COEXEC_WORKERS=1 compare_case blocking flock_intr
    EXPECT_STATS="pooljobs>=1 pool.flock>=1" compare_case blocking flock_intr
    heartbeats_ok
}

@test "blocking: flock_restart: flock() and SIGALRM under SA_RESTART: succeeds" {
    EXPECT_STATS="pooljobs>=1 pool.flock>=1" COEXEC_WORKERS=1 compare_case blocking flock_restart
    EXPECT_STATS="pooljobs>=1 pool.flock>=1" compare_case blocking flock_restart
    heartbeats_ok
}

@test "blocking: waitpid_intr: waitpid() interrupted by SIGALRM: EINTR, then reaped" {
    EXPECT_STATS="child>=1 pool.waitpid<=0" COEXEC_WORKERS=1 compare_case blocking waitpid_intr
    EXPECT_STATS="child>=1 pool.waitpid<=0" compare_case blocking waitpid_intr
    heartbeats_ok
}

@test "blocking: setlkw_cancel: a thread cancelled in fcntl(F_SETLKW): PTHREAD_CANCELED" {
    EXPECT_STATS="pooljobs>=1 pool.fcntl>=1" COEXEC_WORKERS=1 compare_case blocking setlkw_cancel
    EXPECT_STATS="pooljobs>=1 pool.fcntl>=1" compare_case blocking setlkw_cancel
    heartbeats_ok
}

# posix_spawnp 2: the FIFO spawn of each run; the dup2-and-close spawn
# stays on the worker (on main it is made before any thread exists).
@test "blocking: spawn_fifo: posix_spawn whose file action opens a FIFO another thread writes (inline on the only worker: a hang)" {
    EXPECT_STATS="pooljobs>=1 pool.posix_spawnp>=2 pool.posix_spawnp<=2" COEXEC_WORKERS=1 compare_case blocking spawn_fifo
    EXPECT_STATS="pooljobs>=1 pool.posix_spawnp>=2 pool.posix_spawnp<=2" compare_case blocking spawn_fifo
    heartbeats_ok
}

# python3 (the system's: a version manager's shim would start processes of
# its own) runs tests/progs/subprocess_run.py, whose first comment lists
# its cases: subprocess.run by vfork, posix_spawn and fork while a
# heartbeat ticks, then what the child does between vfork and exec must
# leave the parent alone (a thread's recv, the SIGINT handler).  Three
# waits for a child (its pidfd) at least, in every run: the three that
# sleep; the captured child may be gone before its parent waits.
@test "blocking: python3 subprocess.run on a thread (vfork, posix_spawn, fork) keeps the heartbeat and leaves the parent alone" {
    [ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is not installed"
    PROGS="$ROOT/tests/progs" RUN_TIMEOUT=$CASE_TIMEOUT EXPECT_STATS="created>=6 child>=3" \
        COEXEC_WORKERS=1 compare_native subprocess_run.py
    PROGS="$ROOT/tests/progs" RUN_TIMEOUT=$CASE_TIMEOUT EXPECT_STATS="created>=6 child>=3" \
        compare_native subprocess_run.py
    local d
    for d in "$BATS_TEST_TMPDIR"/cmp.*; do
        if [ "$(grep -c ': heartbeat ok$' "$d/native.out")" != 4 ] ||
            ! grep -q '^recv_meanwhile: exit 0, the waiting thread got b.after the child.$' "$d/native.out" ||
            ! grep -q '^sigint_after: KeyboardInterrupt$' "$d/native.out"; then
            echo "NATIVE run not as expected in $d (machine too loaded?):"
            cat "$d/native.out"
            return 1
        fi
    done
}

@test "blocking: COEXEC_SLOW_FS naming the test directory's file system sends its opens to the pool" {
    local fs
    fs=$(findmnt -no FSTYPE -T "$BATS_TEST_TMPDIR")
    [ -n "$fs" ]
    COEXEC_SLOW_FS="$fs" EXPECT_STATS="pool.open>=1" compare_case blocking flock_other
    # and by default a local file system's opens stay inline
    case ",nfs,nfs4,cifs,smb3,9p,ceph,afs,glusterfs,lustre,gpfs," in
        *",$fs,"*) return 0 ;;
    esac
    [[ "$fs" == fuse* ]] && return 0
    EXPECT_STATS="pool.open<=0" compare_case blocking flock_other
}

@test "blocking: COEXEC_SLOW_FS: a bad value is one line on stderr, and the run goes on" {
    run_bounded "$BATS_TEST_TMPDIR/o" "$BATS_TEST_TMPDIR/e" env COEXEC_SLOW_FS='nfs,,9p' "$COEXEC" sh -c 'echo ran'
    [ "$(cat "$BATS_TEST_TMPDIR/o")" = ran ]
    grep -q "COEXEC_SLOW_FS: 'nfs,,9p' is not a comma list" "$BATS_TEST_TMPDIR/e"
    [ "$(wc -l <"$BATS_TEST_TMPDIR/e")" = 1 ]
}
