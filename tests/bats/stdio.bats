#!/usr/bin/env bats
# stdio: FILE calls that wait on a pipe or a socket (a line half come, a
# write that does not fit), each a case of tests/progs/stdio_wait run
# natively and under coexec and compared (stdio_wait.c's first comment
# lists them). glibc's FILE functions reach the kernel through private
# entries, so under coexec the call itself must go to the blocking-call
# pool, or park on the descriptor when nothing has come, for the heartbeat
# (a coroutine of the same worker with COEXEC_WORKERS=1) to keep ticking.
# The statistics show which: pool.NAME>=1, or a read park and no pool job.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

@test "stdio: every case has a test here" {
    check_case_list stdio_wait "$BATS_TEST_FILENAME"
}

@test "stdio: fgets_sock: fgets() on a socket with half a line" {
    EXPECT_STATS="pool.fgets>=1" COEXEC_WORKERS=1 compare_case stdio_wait fgets_sock
    EXPECT_STATS="pool.fgets>=1" compare_case stdio_wait fgets_sock
    heartbeats_ok
}

@test "stdio: getline_pipe: getline() on a pipe with half a line" {
    EXPECT_STATS="pool.getline>=1" COEXEC_WORKERS=1 compare_case stdio_wait getline_pipe
    EXPECT_STATS="pool.getline>=1" compare_case stdio_wait getline_pipe
    heartbeats_ok
}

@test "stdio: fread_sock: fread() of 10 bytes when 4 have come" {
    EXPECT_STATS="pool.fread>=1" COEXEC_WORKERS=1 compare_case stdio_wait fread_sock
    EXPECT_STATS="pool.fread>=1" compare_case stdio_wait fread_sock
    heartbeats_ok
}

@test "stdio: scanf_pipe: fscanf(\"%d %d\") when one number has come" {
    EXPECT_STATS="pool.scanf>=1" COEXEC_WORKERS=1 compare_case stdio_wait scanf_pipe
    EXPECT_STATS="pool.scanf>=1" compare_case stdio_wait scanf_pipe
    heartbeats_ok
}

@test "stdio: fgetc_wait: fgetc() on an empty pipe parks on the descriptor, no pool" {
    EXPECT_STATS="read>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case stdio_wait fgetc_wait
    EXPECT_STATS="read>=1 pooljobs<=0" compare_case stdio_wait fgetc_wait
    heartbeats_ok
}

@test "stdio: fgets_same: a line another thread completes (inline on the only worker: a hang)" {
    EXPECT_STATS="pool.fgets>=1" COEXEC_WORKERS=1 compare_case stdio_wait fgets_same
    EXPECT_STATS="pool.fgets>=1" compare_case stdio_wait fgets_same
    heartbeats_ok
}

@test "stdio: fprintf_pipe: fprintf() + fflush() of 300 KB into a pipe nobody reads yet" {
    EXPECT_STATS="pool.printf>=1" COEXEC_WORKERS=1 compare_case stdio_wait fprintf_pipe
    EXPECT_STATS="pool.printf>=1" compare_case stdio_wait fprintf_pipe
    heartbeats_ok
}

@test "stdio: fwrite_sock: fwrite() of 1 MiB into a socket nobody reads yet" {
    EXPECT_STATS="pool.fwrite>=1" COEXEC_WORKERS=1 compare_case stdio_wait fwrite_sock
    EXPECT_STATS="pool.fwrite>=1" compare_case stdio_wait fwrite_sock
    heartbeats_ok
}

@test "stdio: fgetc_intr: fgetc() on an empty pipe, SIGALRM: EOF, EINTR, ferror" {
    EXPECT_STATS="read>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case stdio_wait fgetc_intr
    EXPECT_STATS="read>=1 pooljobs<=0" compare_case stdio_wait fgetc_intr
    heartbeats_ok
}

@test "stdio: fgets_intr: fgets() with half a line, SIGALRM: NULL, EINTR, ferror" {
    EXPECT_STATS="pool.fgets>=1" COEXEC_WORKERS=1 compare_case stdio_wait fgets_intr
    EXPECT_STATS="pool.fgets>=1" compare_case stdio_wait fgets_intr
    heartbeats_ok
}

@test "stdio: fgets_restart: the same with SA_RESTART: the whole line" {
    EXPECT_STATS="pool.fgets>=1" COEXEC_WORKERS=1 compare_case stdio_wait fgets_restart
    EXPECT_STATS="pool.fgets>=1" compare_case stdio_wait fgets_restart
    heartbeats_ok
}

@test "stdio: flockfile_lent: another thread's fgetc waits for the flockfile() holder" {
    EXPECT_STATS="read>=1" COEXEC_WORKERS=1 compare_case stdio_wait flockfile_lent
    EXPECT_STATS="read>=1" compare_case stdio_wait flockfile_lent
    heartbeats_ok
}

@test "stdio: fgets_unget: fgets() after ungetc() reads the rest of the line from the buffer" {
    EXPECT_STATS="pooljobs<=0" COEXEC_WORKERS=1 compare_case stdio_wait fgets_unget
    EXPECT_STATS="pooljobs<=0" compare_case stdio_wait fgets_unget
}

@test "stdio: fgetc_two: two threads' fgetc() on one pipe both return when \"ab\" comes" {
    EXPECT_STATS="read>=1" COEXEC_WORKERS=1 compare_case stdio_wait fgetc_two
    EXPECT_STATS="read>=1" compare_case stdio_wait fgetc_two
}

@test "stdio: getline_error: getline() on a stream with the error flag fails at once" {
    EXPECT_STATS="pooljobs<=0" COEXEC_WORKERS=1 compare_case stdio_wait getline_error
    EXPECT_STATS="pooljobs<=0" compare_case stdio_wait getline_error
}

@test "stdio: fgetc_wronly: fgetc() on a write-only stream fails at once (EBADF)" {
    EXPECT_STATS="pooljobs<=0" COEXEC_WORKERS=1 compare_case stdio_wait fgetc_wronly
    EXPECT_STATS="pooljobs<=0" compare_case stdio_wait fgetc_wronly
}

@test "stdio: fgetc_eof_flush: fgetc() at end of file on an \"r+\" socket flushes its output first" {
    EXPECT_STATS="pool.getc>=1" COEXEC_WORKERS=1 compare_case stdio_wait fgetc_eof_flush
    EXPECT_STATS="pool.getc>=1" compare_case stdio_wait fgetc_eof_flush
    heartbeats_ok
}

@test "stdio: fread_eof_tty: fread() past its buffer after end of file reads the terminal again" {
    EXPECT_STATS="read>=1 pool.fread>=1" COEXEC_WORKERS=1 compare_case stdio_wait fread_eof_tty
    EXPECT_STATS="read>=1 pool.fread>=1" compare_case stdio_wait fread_eof_tty
    heartbeats_ok
}

@test "stdio: fgetc_stdout: refilling an unbuffered stream first flushes a line-buffered stdout" {
    EXPECT_STATS="pool.getc>=1" COEXEC_WORKERS=1 compare_case stdio_wait fgetc_stdout
    EXPECT_STATS="pool.getc>=1" compare_case stdio_wait fgetc_stdout
    heartbeats_ok
}

@test "stdio: fgets_cancel_lent: a flockfile() holder cancelled in fgets() leaves the stream usable" {
    EXPECT_STATS="read>=1" COEXEC_WORKERS=1 compare_case stdio_wait fgets_cancel_lent
    EXPECT_STATS="read>=1" compare_case stdio_wait fgets_cancel_lent
}

@test "stdio: fgets_cancel: a thread cancelled in an fgets() on the pool does not return from it" {
    EXPECT_STATS="pool.fgets>=1" COEXEC_WORKERS=1 compare_case stdio_wait fgets_cancel
    EXPECT_STATS="pool.fgets>=1" compare_case stdio_wait fgets_cancel
}

@test "stdio: fprintf_error: fprintf() that fails writes what came before, and checks the stream" {
    EXPECT_STATS="pool.printf>=1" COEXEC_WORKERS=1 compare_case stdio_wait fprintf_error
    EXPECT_STATS="pool.printf>=1" compare_case stdio_wait fprintf_error
}

@test "stdio: fprintf_room: a full buffer's write into a pipe with a free slot runs in place" {
    EXPECT_STATS="pooljobs<=0" COEXEC_WORKERS=1 compare_case stdio_wait fprintf_room
    EXPECT_STATS="pooljobs<=0" compare_case stdio_wait fprintf_room
}

@test "stdio: fgets_lines: lines that come whole into a pipe are read in place, no pool" {
    EXPECT_STATS="read>=1 pooljobs<=0" COEXEC_WORKERS=1 compare_case stdio_wait fgets_lines
    EXPECT_STATS="read>=1 pooljobs<=0" compare_case stdio_wait fgets_lines
}
