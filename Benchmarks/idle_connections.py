#!/usr/bin/env python3
"""Opens many TLS connections to a server and holds them idle, for Benchmarks/run.sh's memory scenario.

Every connection completes its TLS handshake (non-blocking, at most --parallel handshakes in flight)
and then sends nothing, like a client that connected and went quiet; with --request PATH each one first
makes one keep-alive request and reads the whole response, then goes quiet. When all are up (or
--timeout has passed) it prints one `ready ...` line, and holds them until stdin reaches EOF (when
stdin is a pipe or a terminal), SIGTERM or SIGINT arrives, or --max-hold seconds pass. It then prints
one `done ...` line saying how many the server closed meanwhile, and exits.

Standard library only (ssl, selectors); raises its own RLIMIT_NOFILE.
"""

import argparse
import errno
import os
import resource
import selectors
import signal
import socket
import ssl
import stat
import sys
import time

CONNECT, HANDSHAKE, WRITE, READ, IDLE = "connect", "handshake", "write", "read", "idle"


def say(line):
    print(line, flush=True)


def raise_nofile(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        try:  # root may raise the hard limit too
            resource.setrlimit(resource.RLIMIT_NOFILE, (needed, needed))
            return
        except (ValueError, OSError):
            sys.exit(f"RLIMIT_NOFILE hard limit {hard} < {needed}; raise it (ulimit -Hn) or lower --count")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


class Conn:
    __slots__ = ("sock", "state", "out", "buf", "need")

    def __init__(self, sock):
        self.sock = sock
        self.state = CONNECT
        self.out = b""
        self.buf = b""
        self.need = -1  # total response length once the header block is parsed


def response_complete(conn):
    """True once the whole response (headers and Content-Length body) has arrived."""
    if conn.need < 0:
        end = conn.buf.find(b"\r\n\r\n")
        if end < 0:
            return False
        length = 0
        for line in conn.buf[:end].split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        conn.need = end + 4 + length
    return len(conn.buf) >= conn.need


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--cafile", help="verify the server against this CA (else no verification)")
    ap.add_argument("--sni", default="localhost", help="server name sent and verified")
    ap.add_argument("--request", metavar="PATH", help="make one keep-alive GET PATH on each before going idle")
    ap.add_argument("--parallel", type=int, default=200, help="handshakes in flight at once")
    ap.add_argument("--timeout", type=float, default=120, help="seconds allowed for opening them all")
    ap.add_argument("--max-hold", type=float, default=900, help="seconds to hold them at most")
    args = ap.parse_args()

    raise_nofile(args.count + 64)
    if args.cafile:
        ctx = ssl.create_default_context(cafile=args.cafile)
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    request = b""
    if args.request:
        request = (f"GET {args.request} HTTP/1.1\r\nHost: {args.sni}\r\nUser-Agent: idle_connections\r\n"
                   f"Accept: application/json\r\n\r\n").encode()

    stop = False
    stopped_by = ""

    def on_signal(signum, frame):
        nonlocal stop, stopped_by
        stop = True
        stopped_by = signal.Signals(signum).name

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    sel = selectors.DefaultSelector()
    started = time.monotonic()
    deadline = started + args.timeout
    pending = 0      # opened, not yet idle
    opened = 0
    established = 0  # handshake (and request, if any) done, now idle
    failed = 0
    errors = {}
    closed_by_server = 0

    def note_failure(conn, why):
        nonlocal failed, pending
        failed += 1
        pending -= 1
        errors[why] = errors.get(why, 0) + 1
        try:
            sel.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.sock.close()

    def open_one():
        nonlocal opened, pending
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setblocking(False)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        err = raw.connect_ex((args.host, args.port))
        opened += 1
        pending += 1
        conn = Conn(raw)
        if err not in (0, errno.EINPROGRESS):
            note_failure(conn, os.strerror(err))
            return
        sel.register(raw, selectors.EVENT_WRITE, conn)

    def advance(conn):
        nonlocal established, pending
        try:
            while True:
                if conn.state == CONNECT:
                    err = conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        note_failure(conn, os.strerror(err))
                        return
                    # wrap_socket detaches the plain socket; the selector must follow the new object
                    sel.unregister(conn.sock)
                    conn.sock = ctx.wrap_socket(conn.sock, server_hostname=args.sni,
                                                do_handshake_on_connect=False)
                    sel.register(conn.sock, selectors.EVENT_WRITE, conn)
                    conn.state = HANDSHAKE
                elif conn.state == HANDSHAKE:
                    conn.sock.do_handshake()
                    if not request:
                        break
                    conn.state, conn.out = WRITE, request
                elif conn.state == WRITE:
                    sent = conn.sock.send(conn.out)
                    conn.out = conn.out[sent:]
                    if not conn.out:
                        conn.state = READ
                elif conn.state == READ:
                    data = conn.sock.recv(65536)
                    if not data:
                        note_failure(conn, "closed before the response")
                        return
                    conn.buf += data
                    if response_complete(conn):
                        break
        except ssl.SSLWantReadError:
            sel.modify(conn.sock, selectors.EVENT_READ, conn)
            return
        except ssl.SSLWantWriteError:
            sel.modify(conn.sock, selectors.EVENT_WRITE, conn)
            return
        except (OSError, ssl.SSLError, ValueError) as e:
            note_failure(conn, type(e).__name__ + ": " + str(e).split("(_ssl")[0].strip())
            return
        # Idle from here on. Stay registered for reads only, to notice the server closing it.
        conn.state, conn.buf = IDLE, b""
        sel.modify(conn.sock, selectors.EVENT_READ, conn)
        established += 1
        pending -= 1

    next_report = started + 5
    while not stop and (opened < args.count or pending > 0):
        now = time.monotonic()
        if now > deadline:
            break
        while opened < args.count and pending < args.parallel:
            open_one()
        for key, _ in sel.select(timeout=0.2):
            conn = key.data
            if conn.state != IDLE:
                advance(conn)
            elif drain(conn, sel):  # session tickets arrive after the handshake; read them too
                closed_by_server += 1
        if now >= next_report:
            say(f"progress established={established} failed={failed} pending={pending}")
            next_report = now + 5

    timed_out = pending
    say(f"ready established={established} failed={failed} timed_out={timed_out} "
        f"seconds={time.monotonic() - started:.1f}" + (f" errors={errors}" if errors else "")
        + (f" interrupted_by={stopped_by}" if stopped_by else ""))

    # Hold. Watch stdin only when it can deliver an EOF that means "stop" (a pipe or a terminal);
    # /dev/null would end the hold at once.
    mode = os.fstat(0).st_mode
    watch_stdin = stat.S_ISFIFO(mode) or os.isatty(0)
    if watch_stdin:
        sel.register(sys.stdin.fileno(), selectors.EVENT_READ, None)
    hold_until = time.monotonic() + args.max_hold
    while not stop and time.monotonic() < hold_until:
        for key, _ in sel.select(timeout=0.5):
            if key.data is None:
                if not os.read(0, 4096):
                    stop = True
                continue
            conn = key.data
            if conn.state != IDLE:
                continue  # an unfinished handshake after --timeout: leave it
            if drain(conn, sel):
                closed_by_server += 1
    say(f"done held={established - closed_by_server} closed_by_server={closed_by_server}"
        + (f" stopped_by={stopped_by}" if stopped_by else ""))


def drain(conn, sel):
    """Reads what an idle connection has (session tickets); True when the server closed it."""
    try:
        while True:
            data = conn.sock.recv(65536)
            if not data:
                break
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
        return False
    except (OSError, ssl.SSLError):
        pass
    sel.unregister(conn.sock)
    conn.sock.close()
    return True


if __name__ == "__main__":
    main()
