#!/usr/bin/env python3
"""tests/dns/dns_relay.py - a DNS front end that absorbs bursts.

    dns_relay.py LISTEN-ADDRESS PORT UPSTREAM-ADDRESS UPSTREAM-PORT

Listens on UDP and TCP LISTEN-ADDRESS:PORT and relays every query to the
server at UPSTREAM (dnsmasq in tests/dns/ns-run), every answer back.

Why: a thousand threads resolving at once send a thousand or two datagrams
within a few milliseconds.  dnsmasq reads them from a socket with the
default receive buffer (net.core.rmem_default, about 200 KiB, some 300
small datagrams on loopback, and not settable from a network namespace),
so most of the burst is dropped and the resolvers time out.  This relay's
socket gets a buffer of 16 MiB (SO_RCVBUFFORCE: root in its own network
namespace may), and it hands the queries to dnsmasq one at a time, so
dnsmasq never sees more than one.

UDP queries are relayed in arrival order, each answer awaited (up to 2 s;
a query dnsmasq ignores gets no answer, as it would directly).  Each TCP
connection gets a thread and a TCP connection to the upstream of its own.
Prints "ready" once it listens; runs until killed.
"""

import socket
import struct
import sys
import threading

BUF = 16 * 1024 * 1024


def big_buffers(sock):
    for opt, force in ((socket.SO_RCVBUF, 33), (socket.SO_SNDBUF, 32)):
        try:
            sock.setsockopt(socket.SOL_SOCKET, force, BUF)   # *BUFFORCE
        except OSError:
            try:
                sock.setsockopt(socket.SOL_SOCKET, opt, BUF)
            except OSError:
                pass


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def tcp_client(conn, upstream):
    try:
        up = socket.create_connection(upstream, timeout=5)
    except OSError:
        conn.close()
        return
    try:
        while True:
            head = recv_exact(conn, 2)
            if head is None:
                break
            msg = recv_exact(conn, struct.unpack("!H", head)[0])
            if msg is None:
                break
            up.sendall(head + msg)
            rhead = recv_exact(up, 2)
            if rhead is None:
                break
            reply = recv_exact(up, struct.unpack("!H", rhead)[0])
            if reply is None:
                break
            conn.sendall(rhead + reply)
    except OSError:
        pass
    finally:
        up.close()
        conn.close()


def tcp_server(lsock, upstream):
    while True:
        conn, _ = lsock.accept()
        t = threading.Thread(target=tcp_client, args=(conn, upstream))
        t.daemon = True
        t.start()


def main():
    laddr, lport = sys.argv[1], int(sys.argv[2])
    upstream = (sys.argv[3], int(sys.argv[4]))

    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    big_buffers(udp)
    udp.bind((laddr, lport))
    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    big_buffers(up)
    up.connect(upstream)
    up.settimeout(2.0)

    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((laddr, lport))
    tcp.listen(128)
    t = threading.Thread(target=tcp_server, args=(tcp, upstream))
    t.daemon = True
    t.start()

    print("ready", flush=True)
    while True:
        query, peer = udp.recvfrom(65535)
        if len(query) < 12:
            continue
        try:
            up.send(query)
            while True:
                reply = up.recv(65535)
                if reply[:2] == query[:2]:
                    break
        except OSError:        # no answer in time: the client retries
            continue
        try:
            udp.sendto(reply, peer)
        except OSError:
            pass


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
