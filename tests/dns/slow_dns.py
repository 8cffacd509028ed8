#!/usr/bin/env python3
"""tests/dns/slow_dns.py - a DNS responder that takes its time.

    slow_dns.py ADDRESS PORT DELAY

Listens on UDP ADDRESS:PORT.  A query for slow.test (any case) is answered
DELAY seconds later: type A with 192.0.2.200 (TTL 60), any other type with
an empty NOERROR answer (NODATA).  So is the reverse name of that address,
200.2.0.192.in-addr.arpa: PTR slow.test.  Every other query is answered at once
with REFUSED, so a resolver that lists this server first moves on to the
next one.  Each delayed answer waits on a timer of its own: queries do not
queue behind each other.  Prints "ready" once it listens; runs until killed.
Used by tests/dns/ns-run --slow.
"""

import socket
import struct
import sys
import threading

SLOW_NAME = "slow.test"
SLOW_ADDR = bytes([192, 0, 2, 200])
SLOW_PTR = "200.2.0.192.in-addr.arpa"
T_A = 1
T_PTR = 12
C_IN = 1


def parse_question(msg):
    """(qname, qtype, qclass, end offset of the question) or None."""
    if len(msg) < 12:
        return None
    qdcount = struct.unpack("!H", msg[4:6])[0]
    if qdcount != 1:
        return None
    labels = []
    off = 12
    while True:
        if off >= len(msg):
            return None
        n = msg[off]
        off += 1
        if n == 0:
            break
        if n & 0xC0 or off + n > len(msg):
            return None
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n
    if off + 4 > len(msg):
        return None
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    return ".".join(labels), qtype, qclass, off + 4


def reply(query, qend, rcode, answers=b"", ancount=0):
    qid, flags = struct.unpack("!HH", query[:4])
    # QR, the query's opcode and RD, RA; AA for our own name
    rflags = 0x8000 | (flags & 0x7900) | 0x0080 | rcode
    if rcode == 0:
        rflags |= 0x0400
    header = struct.pack("!HHHHHH", qid, rflags, 1, ancount, 0, 0)
    return header + query[12:qend] + answers


def main():
    addr, port, delay = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((addr, port))
    lock = threading.Lock()

    def send(data, peer):
        with lock:
            try:
                sock.sendto(data, peer)
            except OSError:
                pass

    print("ready", flush=True)
    while True:
        query, peer = sock.recvfrom(4096)
        q = parse_question(query)
        if q is None:
            continue
        name, qtype, qclass, qend = q
        lname = name.lower().rstrip(".")
        if lname not in (SLOW_NAME, SLOW_PTR):
            send(reply(query, qend, 5), peer)          # REFUSED
            continue
        # an answer's owner: a pointer to the question's name at offset 12
        if lname == SLOW_NAME and qtype == T_A and qclass == C_IN:
            rr = struct.pack("!HHHIH", 0xC00C, T_A, C_IN, 60, 4) + SLOW_ADDR
            data = reply(query, qend, 0, rr, 1)
        elif lname == SLOW_PTR and qtype == T_PTR and qclass == C_IN:
            target = b"".join(bytes([len(l)]) + l.encode()
                              for l in SLOW_NAME.split(".")) + b"\0"
            rr = struct.pack("!HHHIH", 0xC00C, T_PTR, C_IN, 60,
                             len(target)) + target
            data = reply(query, qend, 0, rr, 1)
        else:
            data = reply(query, qend, 0)               # NODATA
        print("query %s type %d: answering in %.1fs" % (name, qtype, delay),
              flush=True)
        t = threading.Timer(delay, send, (data, peer))
        t.daemon = True
        t.start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
