#!/usr/bin/python3
"""subprocess_run.py: does Python's subprocess.run park only its thread?

    subprocess_run.py [CASE...]      (default: all of them)

Cases that wait, each subprocess.run on a thread of its own, all at once,
while a heartbeat thread ticks every 10 ms:
  plain     sleep 0.5 (CPython: vfork, exec, the read of the close-on-exec
            error pipe that returns at exec, waitpid)
  captured  sh -c 'sleep 0.5; echo out; echo err >&2; exit 3' with
            capture_output (communicate polls and reads two pipes)
  spawned   sleep 0.5 with close_fds=False (CPython: posix_spawn)
  forked    sleep 0.5 with a preexec_fn (CPython: fork, not vfork)
Natively every thread is a kernel thread; under coexec with
COEXEC_WORKERS=1 they share one, so a step that blocks it instead of
parking its coroutine stops the heartbeat.  Each prints its result and
"heartbeat ok" when the heartbeat ticked at least 20 times during its 0.5 s
and never paused 200 ms ("heartbeat STALLED ..." otherwise): nothing that
depends on timing.  Then, one after the other:
  exec_fails      a program that does not exist: the error pipe brings
                  the child's errno back (FileNotFoundError)
  recv_meanwhile  a thread waits in recv while another runs subprocess.run;
                  the child closes every descriptor above 2 before exec,
                  which must not touch the parent's: the thread gets its
                  data
  sigint_after    the child resets the signal handlers before exec; the
                  parent's stay: SIGINT raises KeyboardInterrupt
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time

TICK = 0.01


def plain():
    return "exit %d" % subprocess.run(["sleep", "0.5"]).returncode


def captured():
    r = subprocess.run(["sh", "-c", "sleep 0.5; echo out; echo err >&2; exit 3"],
                       capture_output=True)
    return "exit %d stdout %r stderr %r" % (r.returncode, r.stdout, r.stderr)


def spawned():
    return "exit %d" % subprocess.run(["sleep", "0.5"], close_fds=False).returncode


def forked():
    r = subprocess.run(["sleep", "0.5"], preexec_fn=lambda: None)
    return "exit %d" % r.returncode


def exec_fails():
    try:
        return "exit %d" % subprocess.run(["/nonexistent/program"]).returncode
    except OSError as e:
        return "%s errno %d" % (type(e).__name__, e.errno)


def recv_meanwhile():
    a, b = socket.socketpair()
    got = []

    def rd():
        try:
            got.append(a.recv(16))
        except OSError as e:
            got.append("%s errno %d" % (type(e).__name__, e.errno))

    t = threading.Thread(target=rd)
    t.start()
    time.sleep(0.1)
    r = subprocess.run(["true"])
    time.sleep(0.1)
    b.send(b"after the child")
    t.join(5)
    a.close()
    b.close()
    return "exit %d, the waiting thread got %s" % (
        r.returncode, got[0] if got else "nothing within 5 s")


def sigint_after():
    subprocess.run(["true"])
    try:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)
        return "SIGINT ignored"
    except KeyboardInterrupt:
        return "KeyboardInterrupt"


WAITING = {"plain": plain, "captured": captured, "spawned": spawned,
           "forked": forked}
SERIAL = {"exec_fails": exec_fails, "recv_meanwhile": recv_meanwhile,
          "sigint_after": sigint_after}


class Heartbeat:
    def __init__(self):
        self.stop = threading.Event()
        self.ticks = []
        self.t = threading.Thread(target=self.run)
        self.t.start()

    def run(self):
        while not self.stop.is_set():
            self.ticks.append(time.monotonic())
            time.sleep(TICK)

    def verdict(self, start, end):
        during = [t for t in self.ticks if start <= t <= end]
        marks = [start] + during + [end]
        gap = max(b - a for a, b in zip(marks, marks[1:]))
        if len(during) >= 20 and gap < 0.2:
            return "heartbeat ok"
        return "heartbeat STALLED: %d ticks in %.0f ms, longest pause %.0f ms" % (
            len(during), (end - start) * 1000, gap * 1000)


def run_waiting(names):
    hb = Heartbeat()
    time.sleep(0.05)
    box = {name: {} for name in names}

    def work(name):
        b = box[name]
        b["start"] = time.monotonic()
        b["result"] = WAITING[name]()
        b["end"] = time.monotonic()

    threads = [threading.Thread(target=work, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    hb.stop.set()
    hb.t.join()
    for name in names:
        b = box[name]
        print("%s: %s" % (name, b["result"]))
        print("%s: %s" % (name, hb.verdict(b["start"], b["end"])))


def main():
    names = sys.argv[1:] or list(WAITING) + list(SERIAL)
    for n in names:
        if n not in WAITING and n not in SERIAL:
            print("subprocess_run.py: unknown case %r" % n, file=sys.stderr)
            return 2
    waiting = [n for n in names if n in WAITING]
    if waiting:
        run_waiting(waiting)
    for n in names:
        if n in SERIAL:
            print("%s: %s" % (n, SERIAL[n]()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
