#!/usr/bin/python3
"""sig_python.py: do Python's signals reach its main thread under coexec?

    sig_python.py            (no arguments: every stage, in this order)

CPython runs a Python signal handler only in the main thread, after its C
handler has set a flag and the main thread's blocking call (a lock's
sem_wait, a sleep, a recv) has returned EINTR; natively the kernel gives a
signal sent to the process to the main thread when it does not block it.
Four "server" threads echo a byte over their own socketpair all along, so
that the process has other threads busy while main waits.  Stages:
  sigint_event   another thread os.kill()s the process SIGINT 200 ms on;
                 main waits in threading.Event().wait(): KeyboardInterrupt
  usr1_join      a SIGUSR1 handler that raises; main waits in the join of a
                 server thread (which never ends by itself)
  sleep_alarm    signal.setitimer(ITIMER_REAL, 0.2) with a SIGALRM handler
                 that raises, main in time.sleep(5)
  recv_alarm     the same while main waits in recv() on a socket nobody
                 writes to
  sigwait_thread every thread blocks SIGHUP (main's pthread_sigmask before
                 it starts any), a thread waits in signal.sigwait, main
                 os.kill()s the process SIGHUP
Then the servers stop; "served: yes" when each echoed at least once.
Only main prints, stage after stage: the output is fixed.  A stage whose
signal never arrives hangs; the suite's time limit ends it.
"""

import os
import signal
import socket
import sys
import threading
import time

stop = threading.Event()
counts = [0, 0, 0, 0]


class Interrupted(Exception):
    pass


def raiser(signum, frame):
    raise Interrupted(signal.Signals(signum).name)


def serve(i):
    a, b = socket.socketpair()
    with a, b:
        while not stop.is_set():
            a.sendall(b"x")
            b.recv(1)
            counts[i] += 1
            time.sleep(0.001)


def kill_later(sig, delay=0.2):
    def fn():
        time.sleep(delay)
        os.kill(os.getpid(), sig)
    t = threading.Thread(target=fn)
    t.start()
    return t


def main():
    # before any thread exists, so that every thread inherits it and only
    # the sigwait() can take the SIGHUP
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP})
    servers = [threading.Thread(target=serve, args=(i,)) for i in range(4)]
    for t in servers:
        t.start()
    print("main: 4 server threads started")

    k = kill_later(signal.SIGINT)
    try:
        threading.Event().wait()
        print("sigint_event: the wait returned")
    except KeyboardInterrupt:
        print("sigint_event: KeyboardInterrupt in main")
    k.join()

    signal.signal(signal.SIGUSR1, raiser)
    k = kill_later(signal.SIGUSR1)
    try:
        servers[0].join()
        print("usr1_join: the join returned")
    except Interrupted as e:
        print("usr1_join: %s raised in main" % e)
    k.join()

    signal.signal(signal.SIGALRM, raiser)
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    try:
        time.sleep(5)
        print("sleep_alarm: slept 5 s")
    except Interrupted as e:
        print("sleep_alarm: %s raised in main" % e)

    a, b = socket.socketpair()
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    try:
        a.recv(1)
        print("recv_alarm: recv returned")
    except Interrupted as e:
        print("recv_alarm: %s raised in main" % e)
    a.close()
    b.close()

    got = []
    w = threading.Thread(target=lambda: got.append(signal.sigwait({signal.SIGHUP})))
    w.start()
    time.sleep(0.1)
    os.kill(os.getpid(), signal.SIGHUP)
    w.join()
    print("sigwait_thread: the thread got %s" % ", ".join(signal.Signals(s).name for s in got))

    stop.set()
    for t in servers:
        t.join()
    print("main: served: %s" % ("yes" if all(c > 0 for c in counts) else "no"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
