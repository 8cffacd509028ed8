#!/usr/bin/env bats
# ipc: calls that wait without bound outside sockets, pipes and files
# (System V message queues and semaphores, POSIX message queues, reads of
# inotify, eventfd, timerfd and signalfd descriptors, getrandom, msync,
# terminal drains), each a case of tests/progs/ipc_wait run natively and
# under coexec and compared (ipc_wait.c's first comment lists them), as
# blocking.bats does for blocking.c. While the call waits, a heartbeat
# thread of the program must keep ticking: with COEXEC_WORKERS=1 it is a
# coroutine of the same worker, so the call must park its caller. The
# statistics show how: System V calls on the blocking-call pool
# (pool.FUNC>=1), POSIX queues and event descriptors parked on epoll with
# no pool job at all (ipc>=1 or read>=1, pooljobs<=0). Without those
# hooks, a System V or POSIX queue case hangs on the only worker (its
# sender cannot run), semtimedop_timeout stalls the heartbeat, and
# mq_poll hangs (a queue looks like a regular file).

load helpers

setup() {
    common_setup
    export TMPDIR="$BATS_TEST_TMPDIR"
}
teardown() { common_teardown; }

@test "ipc: every case has a test here" {
    check_case_list ipc_wait "$BATS_TEST_FILENAME"
}

# ---- System V message queues: the pool, after an IPC_NOWAIT try ----------

@test "ipc: msgrcv_wait: msgrcv until another thread sends" {
    EXPECT_STATS="pooljobs>=1 pool.msgrcv>=1 ipc>=1" COEXEC_WORKERS=1 compare_case ipc_wait msgrcv_wait
    EXPECT_STATS="pooljobs>=1 pool.msgrcv>=1 ipc>=1" compare_case ipc_wait msgrcv_wait
    heartbeats_ok
}

@test "ipc: msgsnd_full: msgsnd on a full queue until another thread receives" {
    EXPECT_STATS="pooljobs>=1 pool.msgsnd>=1 ipc>=1" COEXEC_WORKERS=1 compare_case ipc_wait msgsnd_full
    EXPECT_STATS="pooljobs>=1 pool.msgsnd>=1 ipc>=1" compare_case ipc_wait msgsnd_full
    heartbeats_ok
}

@test "ipc: msgrcv_rmid: msgrcv on a queue removed meanwhile: EIDRM" {
    EXPECT_STATS="pool.msgrcv>=1" COEXEC_WORKERS=1 compare_case ipc_wait msgrcv_rmid
    EXPECT_STATS="pool.msgrcv>=1" compare_case ipc_wait msgrcv_rmid
    heartbeats_ok
}

@test "ipc: msgrcv_intr: msgrcv interrupted by SIGALRM: EINTR" {
    EXPECT_STATS="pool.msgrcv>=1" COEXEC_WORKERS=1 compare_case ipc_wait msgrcv_intr
    EXPECT_STATS="pool.msgrcv>=1" compare_case ipc_wait msgrcv_intr
    heartbeats_ok
}

@test "ipc: msgrcv_restart: msgrcv and SIGALRM under SA_RESTART: EINTR all the same" {
    EXPECT_STATS="pool.msgrcv>=1" COEXEC_WORKERS=1 compare_case ipc_wait msgrcv_restart
    EXPECT_STATS="pool.msgrcv>=1" compare_case ipc_wait msgrcv_restart
    heartbeats_ok
}

@test "ipc: msg_ready: msgrcv/msgsnd that need not wait stay on the worker, errors native" {
    EXPECT_STATS="pool.msgrcv<=0 pool.msgsnd<=0" COEXEC_WORKERS=1 compare_case ipc_wait msg_ready
    EXPECT_STATS="pool.msgrcv<=0 pool.msgsnd<=0" compare_case ipc_wait msg_ready
}

# ---- System V semaphores ----------------------------------------------------

@test "ipc: semop_wait: semop(-1) until another thread adds 1" {
    EXPECT_STATS="pooljobs>=1 pool.semop>=1 ipc>=1" COEXEC_WORKERS=1 compare_case ipc_wait semop_wait
    EXPECT_STATS="pooljobs>=1 pool.semop>=1 ipc>=1" compare_case ipc_wait semop_wait
    heartbeats_ok
}

@test "ipc: semop_mixed: operations with and without IPC_NOWAIT in one call" {
    EXPECT_STATS="pool.semop>=1" COEXEC_WORKERS=1 compare_case ipc_wait semop_mixed
    EXPECT_STATS="pool.semop>=1" compare_case ipc_wait semop_mixed
    heartbeats_ok
}

@test "ipc: semop_undo: a child's semop(SEM_UNDO) waits on the pool and is undone at its exit" {
    EXPECT_STATS="pool.semop>=1" COEXEC_WORKERS=1 compare_case ipc_wait semop_undo
    EXPECT_STATS="pool.semop>=1" compare_case ipc_wait semop_undo
    heartbeats_ok
}

@test "ipc: semop_intr: semop and SIGALRM under SA_RESTART: EINTR" {
    EXPECT_STATS="pool.semop>=1" COEXEC_WORKERS=1 compare_case ipc_wait semop_intr
    EXPECT_STATS="pool.semop>=1" compare_case ipc_wait semop_intr
    heartbeats_ok
}

@test "ipc: semop_rmid: semop on a set removed meanwhile: EIDRM" {
    EXPECT_STATS="pool.semop>=1" COEXEC_WORKERS=1 compare_case ipc_wait semop_rmid
    EXPECT_STATS="pool.semop>=1" compare_case ipc_wait semop_rmid
    heartbeats_ok
}

@test "ipc: semtimedop_wait: semtimedop(2 s) until another thread adds 1" {
    EXPECT_STATS="pool.semtimedop>=1" COEXEC_WORKERS=1 compare_case ipc_wait semtimedop_wait
    EXPECT_STATS="pool.semtimedop>=1" compare_case ipc_wait semtimedop_wait
    heartbeats_ok
}

@test "ipc: semtimedop_timeout: semtimedop(300 ms): EAGAIN on time" {
    EXPECT_STATS="pool.semtimedop>=1" COEXEC_WORKERS=1 compare_case ipc_wait semtimedop_timeout
    EXPECT_STATS="pool.semtimedop>=1" compare_case ipc_wait semtimedop_timeout
    heartbeats_ok
}

@test "ipc: sem_ready: semop/semtimedop that need not wait stay on the worker, errors native" {
    EXPECT_STATS="pool.semop<=0 pool.semtimedop<=0" COEXEC_WORKERS=1 compare_case ipc_wait sem_ready
    EXPECT_STATS="pool.semop<=0 pool.semtimedop<=0" compare_case ipc_wait sem_ready
}

# ---- POSIX message queues: parked on epoll, no thread waits ----------------

@test "ipc: mq_receive_wait: mq_receive until another thread sends" {
    EXPECT_STATS="ipc>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case ipc_wait mq_receive_wait
    EXPECT_STATS="ipc>=1 pooljobs<=0" compare_case ipc_wait mq_receive_wait
    heartbeats_ok
}

@test "ipc: mq_send_full: mq_send on a full queue until another thread receives" {
    EXPECT_STATS="ipc>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case ipc_wait mq_send_full
    EXPECT_STATS="ipc>=1 pooljobs<=0" compare_case ipc_wait mq_send_full
    heartbeats_ok
}

@test "ipc: mq_timedreceive_wait: mq_timedreceive(2 s), a message at 300 ms" {
    EXPECT_STATS="ipc>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case ipc_wait mq_timedreceive_wait
    EXPECT_STATS="ipc>=1 pooljobs<=0" compare_case ipc_wait mq_timedreceive_wait
    heartbeats_ok
}

@test "ipc: mq_timedreceive_timeout: mq_timedreceive(300 ms): ETIMEDOUT on time" {
    EXPECT_STATS="ipc>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case ipc_wait mq_timedreceive_timeout
    EXPECT_STATS="ipc>=1 pooljobs<=0" compare_case ipc_wait mq_timedreceive_timeout
    heartbeats_ok
}

@test "ipc: mq_timedsend_timeout: mq_timedsend(300 ms) on a full queue: ETIMEDOUT on time" {
    EXPECT_STATS="ipc>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case ipc_wait mq_timedsend_timeout
    EXPECT_STATS="ipc>=1 pooljobs<=0" compare_case ipc_wait mq_timedsend_timeout
    heartbeats_ok
}

@test "ipc: mq_intr: mq_receive interrupted by SIGALRM: EINTR" {
    EXPECT_STATS="ipc>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case ipc_wait mq_intr
    EXPECT_STATS="ipc>=1 pooljobs<=0" compare_case ipc_wait mq_intr
    heartbeats_ok
}

@test "ipc: mq_restart: mq_receive and SIGALRM under SA_RESTART: goes on, gets the message" {
    EXPECT_STATS="ipc>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case ipc_wait mq_restart
    EXPECT_STATS="ipc>=1 pooljobs<=0" compare_case ipc_wait mq_restart
    heartbeats_ok
}

@test "ipc: mq_nonblock: O_NONBLOCK is the queue description's, shared and changed by the program" {
    EXPECT_STATS="ipc>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case ipc_wait mq_nonblock
    EXPECT_STATS="ipc>=1 pooljobs<=0" compare_case ipc_wait mq_nonblock
    heartbeats_ok
}

@test "ipc: mq_ready: mq calls that need not wait, errors native" {
    EXPECT_STATS="ipc<=0 pooljobs<=0" COEXEC_WORKERS=1 compare_case ipc_wait mq_ready
    EXPECT_STATS="ipc<=0 pooljobs<=0" compare_case ipc_wait mq_ready
}

@test "ipc: mq_poll: poll on a queue waits for its message (inline on the only worker: a hang)" {
    EXPECT_STATS="poll>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case ipc_wait mq_poll
    EXPECT_STATS="poll>=1 pooljobs<=0" compare_case ipc_wait mq_poll
    heartbeats_ok
}

# ---- reads of kernel event descriptors (shim/io.c, as pipes) ----------------

@test "ipc: read_inotify: read of an inotify descriptor until another thread creates a file" {
    EXPECT_STATS="read>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case ipc_wait read_inotify
    EXPECT_STATS="read>=1 pooljobs<=0" compare_case ipc_wait read_inotify
    heartbeats_ok
}

@test "ipc: read_eventfd: read of an eventfd until another thread writes" {
    EXPECT_STATS="read>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case ipc_wait read_eventfd
    EXPECT_STATS="read>=1 pooljobs<=0" compare_case ipc_wait read_eventfd
    heartbeats_ok
}

@test "ipc: read_timerfd: read of a timerfd until it expires" {
    EXPECT_STATS="read>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case ipc_wait read_timerfd
    EXPECT_STATS="read>=1 pooljobs<=0" compare_case ipc_wait read_timerfd
    heartbeats_ok
}

@test "ipc: read_signalfd: read of a signalfd until another thread sends the signal" {
    EXPECT_STATS="read>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case ipc_wait read_signalfd
    EXPECT_STATS="read>=1 pooljobs<=0" compare_case ipc_wait read_signalfd
    heartbeats_ok
}

# ---- getrandom, msync, terminals --------------------------------------------

@test "ipc: getrandom_now: getrandom and getentropy (seeded here: inline only, no pool to show)" {
    EXPECT_STATS="pool.getrandom<=0 pool.getentropy<=0" COEXEC_WORKERS=1 compare_case ipc_wait getrandom_now
    EXPECT_STATS="pool.getrandom<=0 pool.getentropy<=0" compare_case ipc_wait getrandom_now
}

@test "ipc: msync_dirty: msync(MS_SYNC) of 64 MiB runs on the pool (lenient heartbeat: ~40 ms here)" {
    EXPECT_STATS="pool.msync>=1" COEXEC_WORKERS=1 compare_case ipc_wait msync_dirty
    EXPECT_STATS="pool.msync>=1" compare_case ipc_wait msync_dirty
    heartbeats_ok
}

@test "ipc: tty_pty: drains and breaks on a pseudo-terminal never wait: inline" {
    EXPECT_STATS="pooljobs<=0" COEXEC_WORKERS=1 compare_case ipc_wait tty_pty
    EXPECT_STATS="pooljobs<=0" compare_case ipc_wait tty_pty
}

@test "ipc: tty_other: drains and breaks on another character device go to the pool (ENOTTY here)" {
    EXPECT_STATS="pool.tcdrain>=1 pool.tcsendbreak>=1 pool.tcsetattr>=1 pool.ioctl>=1" COEXEC_WORKERS=1 compare_case ipc_wait tty_other
    EXPECT_STATS="pool.tcdrain>=1 pool.tcsendbreak>=1 pool.tcsetattr>=1 pool.ioctl>=1" compare_case ipc_wait tty_other
}

# ---- objects left behind ------------------------------------------------------

# msgq_count: System V message queues in the system now.
msgq_count() {
    tail -n +2 /proc/sysvipc/msg | wc -l
}

# stop_in HOW CASE CHECK: run CASE (native or coexec), SIGTERM it while it
# waits, and CHECK before and after: its objects exist, then are gone.
stop_in() {
    local how=$1 case=$2 check=$3 p
    p=$(prog ipc_wait) || return 1
    local pre=()
    [ "$how" = coexec ] && pre=(env COEXEC_WORKERS=1 "$COEXEC")
    local before
    before=$(msgq_count)
    start_bg "stop.$how.$case" "${pre[@]}" "$p" "$case"
    wait_for_line "stop.$how.$case" "$BG_PID" "^== $case\$" 20 || return 1
    sleep 0.15
    "$check" "$before" exists || return 1
    kill -TERM "$BG_PID"
    wait_bg "$BG_PID" 10
    if [ "$RC" != 143 ]; then
        echo "$how $case: exit status $RC, not 143 (SIGTERM)"
        show_bg "stop.$how.$case"
        return 1
    fi
    "$check" "$before" gone
}

# msgq_is BEFORE exists|gone: one more message queue than BEFORE, or none.
msgq_is() {
    local n
    n=$(msgq_count)
    if [ "$2" = exists ] && [ "$n" != $(($1 + 1)) ]; then
        echo "the case's message queue: $n queues, $1 before"
        return 1
    fi
    if [ "$2" = gone ] && [ "$n" -gt "$1" ]; then
        echo "a message queue is left behind: $n queues, $1 before"
        return 1
    fi
}

# mq_is BEFORE exists|gone: the case's POSIX queue (named after its pid).
mq_is() {
    local name="/coexec-ipc-$BG_PID-1" out
    out=$("$(prog ipc_wait)" --mq-gone "$name")
    if [ "$out" != "$name $2" ]; then
        echo "expected $name $2, found: $out"
        return 1
    fi
}

@test "ipc: a run stopped by SIGTERM in the middle of a wait removes its objects" {
    local how
    for how in native coexec; do
        stop_in "$how" msgrcv_wait msgq_is
        stop_in "$how" mq_receive_wait mq_is
    done
}
