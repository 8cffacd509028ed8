#!/usr/bin/env bats
# signals: coexec's signal model (issue 12). Each case of
# tests/progs/signals (its first comment lists them) runs natively and
# under coexec, once with COEXEC_WORKERS=1 and once with the default
# number of workers, and the two runs must print the same and exit alike:
# which thread a signal lands on (the target of pthread_kill, the one
# thread that does not block a process signal, the thread a timer names),
# what it interrupts (EINTR, or a restart under SA_RESTART), masks and
# alternate stacks per thread, sigwait and its kin on a thread, siglongjmp
# out of a handler, kernel-made signals (SIGPIPE, SIGCHLD, SIGSEGV,
# SIGABRT), the order of queued real-time signals, and a daemon's signal
# thread among 100 busy ones. Then python3's signals reach its main
# thread (tests/progs/sig_python.py). A case takes a second at most
# natively, so a run gets SIG_TIMEOUT (10 s) before it counts as hung.

load helpers

SIG_TIMEOUT=${COEXEC_TEST_SIG_TIMEOUT:-10}

setup() { common_setup; }
teardown() { common_teardown; }

# sig_case CASE: compare_native signals CASE with the short time limit;
# the coexec run made at least the case's thread a coroutine. A native
# run whose checked times or heartbeat went wrong (EARLY, LATE, STALLED:
# a loaded machine) fails here, since a coexec run as wrong would pass.
sig_case() {
    local first=$((CMP_N + 1)) i bad=0
    RUN_TIMEOUT=$SIG_TIMEOUT EXPECT_STATS="created>=1 ${EXPECT_STATS:-}" \
        compare_native signals "$1" || return 1
    for ((i = first; i <= CMP_N; i++)); do
        if grep -qE 'EARLY|LATE|STALLED' "$BATS_TEST_TMPDIR/cmp.$i/native.out"; then
            echo "NATIVE run of signals $1 not as expected (machine too loaded?):"
            cat "$BATS_TEST_TMPDIR/cmp.$i/native.out"
            bad=1
        fi
    done
    return $bad
}

# sig_both CASE: sig_case with one worker, then with the default.
sig_both() {
    COEXEC_WORKERS=1 sig_case "$1"
    sig_case "$1"
}

@test "signals: every case has a test here" {
    check_case_list signals "$BATS_TEST_FILENAME" sig_both
}

# ---- waiting for signals ----------------------------------------------------

@test "signals: sigwait_thread: a thread's sigwait takes SIGHUP, then SIGTERM, kill()ed to the process" {
    sig_both sigwait_thread
}

@test "signals: sigwaitinfo_thread: the same with sigwaitinfo (SI_USER, our si_pid)" {
    sig_both sigwaitinfo_thread
}

@test "signals: main_sigwait: main's sigwait takes a SIGTERM a thread sends" {
    sig_both main_sigwait
}

@test "signals: sigtimedwait_ok: a thread's sigtimedwait (2 s) returns the signal promptly, nothing stays pending" {
    sig_both sigtimedwait_ok
}

@test "signals: sigtimedwait_timeout: 200 ms, nothing sent: EAGAIN on time, the heartbeat ticks meanwhile" {
    sig_both sigtimedwait_timeout
}

@test "signals: pause_kill: pthread_kill ends a thread's pause() with EINTR, the handler in that thread" {
    sig_both pause_kill
}

@test "signals: sigsuspend_kill: sigsuspend returns EINTR, handler in the thread, its mask back" {
    sig_both sigsuspend_kill
}

@test "signals: pending_thread: pthread_kill at a blocking thread: pending there, not in main; kill(): in both" {
    sig_both pending_thread
}

@test "signals: mask_per_thread: a thread inherits the mask, changes its own, keeps it across a wait" {
    sig_both mask_per_thread
}

# ---- interrupting waits ---------------------------------------------------------

@test "signals: kill_read_self: pthread_kill at read() of an empty pipe: EINTR, handler in the reader" {
    sig_both kill_read_self
}

@test "signals: kill_read_longjmp: the handler siglongjmps into the reader, which reads again" {
    sig_both kill_read_longjmp
}

@test "signals: kill_restart: SA_RESTART: the read goes on, the handler had run" {
    sig_both kill_restart
}

@test "signals: kill_condwait: pthread_kill at pthread_cond_wait: handler in the waiter, the wait goes on" {
    sig_both kill_condwait
}

@test "signals: masks_process: kill(getpid()) lands on the one thread that does not block it" {
    sig_both masks_process
}

@test "signals: alarm_reader: setitimer's SIGALRM interrupts the one reader that takes it" {
    sig_both alarm_reader
}

@test "signals: alarm_one: the same with alarm(1)" {
    sig_both alarm_one
}

@test "signals: handler_calls_hooked: a handler on main (parked in read) calls nanosleep and write" {
    sig_both handler_calls_hooked
}

@test "signals: sigaltstack_thread: SA_ONSTACK runs the handler on the target thread's alternate stack" {
    sig_both sigaltstack_thread
}

# ---- kernel-made signals -----------------------------------------------------------

@test "signals: sigpipe_partial: a socket write whose peer closes returns a partial count, no SIGPIPE" {
    sig_both sigpipe_partial
}

# Natively a pipe raises SIGPIPE when its readers go, even after part of
# the write went through: the default action kills the process. The case
# runs in a child of the program, which prints how the child ended and
# exits 0 (a killed process writes no coexec statistics).
@test "signals: sigpipe_pipe: the same on a pipe: SIGPIPE kills the (child) process" {
    sig_both sigpipe_pipe
}

@test "signals: sigpipe_handler: the pipe with a SIGPIPE handler: partial count, handler in the writer" {
    sig_both sigpipe_handler
}

@test "signals: sigchld_waitpid: SIGCHLD handled in the waiting thread before waitpid returns 7" {
    sig_both sigchld_waitpid
}

@test "signals: segv_longjmp: siglongjmp out of SIGSEGV on a PROT_NONE page, three times" {
    sig_both segv_longjmp
}

@test "signals: abort_handler: a SIGABRT handler siglongjmps out of a thread's abort()" {
    sig_both abort_handler
}

# In a child too: _exit writes no statistics.
@test "signals: abort_exit: a SIGABRT handler _exit(3)s a thread's abort() (in a child process)" {
    sig_both abort_exit
}

# ---- sending ---------------------------------------------------------------------------

@test "signals: raise_handler: raise() in a thread runs the handler there before it returns" {
    sig_both raise_handler
}

@test "signals: sigqueue_values: queued real-time signals: lowest first, FIFO within one, values kept" {
    sig_both sigqueue_values
}

@test "signals: pthread_sigqueue_thread: pthread_sigqueue's value reaches the thread's sigwaitinfo" {
    sig_both pthread_sigqueue_thread
}

@test "signals: rt_order_handler: handlers masking each other run lowest first" {
    sig_both rt_order_handler
}

# Natively the kernel sets up a frame for every deliverable signal before
# it returns to user space, so with an empty sa_mask the last one set up
# (the highest) runs first: SIGRTMIN+2, +1, SIGRTMIN 1, then SIGRTMIN 4.
@test "signals: rt_nested_handler: handlers not masking each other nest: highest first" {
    sig_both rt_nested_handler
}

# ---- timers -------------------------------------------------------------------------------

@test "signals: timer_signal: a periodic POSIX timer's SIGUSR1 taken three times by sigwaitinfo (SI_TIMER)" {
    sig_both timer_signal
}

@test "signals: timer_thread_id: SIGEV_THREAD_ID at a thread's gettid(): the handler runs in it" {
    sig_both timer_thread_id
}

@test "signals: setitimer_real: ITIMER_REAL interrupts a thread's nanosleep three times" {
    sig_both setitimer_real
}

# ---- a server ---------------------------------------------------------------------------------

@test "signals: daemon_pattern: a sigwait thread reloads twice and stops 100 busy threads" {
    EXPECT_STATS="created>=101" sig_both daemon_pattern
}

# ---- python3 --------------------------------------------------------------------------------------

# The system's python3 (a version manager's shim would start processes of
# its own), as blocking.bats runs it.
@test "signals: python3: SIGINT, handlers that raise and sigwait reach main and a thread while 4 threads serve" {
    [ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is not installed"
    PROGS="$ROOT/tests/progs" RUN_TIMEOUT=$SIG_TIMEOUT EXPECT_STATS="created>=5" \
        COEXEC_WORKERS=1 compare_native sig_python.py
    PROGS="$ROOT/tests/progs" RUN_TIMEOUT=$SIG_TIMEOUT EXPECT_STATS="created>=5" \
        compare_native sig_python.py
    local d
    for d in "$BATS_TEST_TMPDIR"/cmp.*; do
        if ! grep -q '^sigint_event: KeyboardInterrupt in main$' "$d/native.out" ||
            ! grep -q '^main: served: yes$' "$d/native.out"; then
            echo "NATIVE run not as expected in $d:"
            cat "$d/native.out"
            return 1
        fi
    done
}
