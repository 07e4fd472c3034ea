#!/usr/bin/env python3
"""Replays the security review's resource attacks (issue "Hostile clients and hostile vendors") against
the release gateway and reports what each costs it now: resident memory, time to the answer, whether
new clients are still served.

Starts `--binary` (default .build/release/switchyard) on loopback with one worker, a 300-connection cap
(as in the review), `bodyTimeoutSeconds: 5` (the default 30 would only make the run longer), and one
control-center tenant whose upstream nobody listens on. Attacks, one after the other:

  1. one TLS connection pipelining `GET /x` for 5 s without reading;
  2. 300 connections without a credential, each sending a head announcing a 1 MiB body, then one
     byte every 4 s;
  3. 250 authenticated connections each sending 1 MiB minus one byte of a 1 MiB body and stalling
     (the pending-body budget is lowered to 64 MiB so the 65th is refused);
  4. one TLS connection pipelining 100,000 `GET /x` and reading the answers as fast as they come, while a
     new client connects and asks 20 times;
  5. one connection pipelining 3,000 `GET /x` one byte to a TLS record (108,000 records), while another
     client asks 30 times;
  6. RSS at rest, right after the attacks, and after the heap trimmer's period;
  7. on a second gateway with `idleTimeoutSeconds: 3`, a client that pipelines 20,000 `GET /x` and reads
     the answers at 300 KB/s for 10 s, then as fast as it can.

Every phase checks that a new client gets its answer meanwhile. Standard library only; every
connection is closed and the gateway stopped by its pid at the end. Prints a Markdown report.
"""

import argparse
import os
import socket
import ssl
import statistics
import tempfile
import threading
import time

from loopback_gateway import ROOT, Gateway


LOOKUP = b"GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n"


class AnswerCounter:
    """Counts the 404 answers in a stream read in pieces, a status line straddling two included."""
    MARK = b"HTTP/1.1 404"

    def __init__(self):
        self.count = 0
        self.tail = b""

    def feed(self, chunk):
        window = self.tail + chunk
        self.count += window.count(self.MARK)
        self.tail = window[-(len(self.MARK) - 1):]


def count_answers(tls, count, rate=None, slow_seconds=0):
    """Reads until `count` 404s arrived, the connection ends or 10 s pass without a byte; at `rate`
    bytes a second for the first `slow_seconds`. Returns how many arrived."""
    tls.settimeout(10)
    answers, received, started = AnswerCounter(), 0, time.time()
    while answers.count < count:
        try:
            chunk = tls.recv(16384)
        except OSError:
            break
        if not chunk:
            break
        received += len(chunk)
        answers.feed(chunk)
        if rate and time.time() - started < slow_seconds:
            ahead = received / rate - (time.time() - started)
            if ahead > 0:
                time.sleep(ahead)
    return answers.count


def latencies(gateway, count, pause=0):
    """A new client's handshake time and its `count` requests' times, in ms, one after another."""
    started = time.time()
    tls = gateway.connect()
    handshake = (time.time() - started) * 1000
    times = []
    for _ in range(count):
        started = time.time()
        tls.sendall(b"GET /y HTTP/1.1\r\nHost: localhost\r\n\r\n")
        answer = b""
        while not answer.endswith(b"}"):
            answer += tls.recv(65536)
        times.append((time.time() - started) * 1000)
        time.sleep(pause)
    tls.close()
    return handshake, times


def one_byte_records(gateway, payload):
    """A connection whose TLS records each carry one byte of `payload`, and those records' bytes."""
    raw = socket.create_connection(("127.0.0.1", gateway.port), timeout=10)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = gateway.context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            raw.sendall(outgoing.read())
            incoming.write(raw.recv(65536))
    raw.sendall(outgoing.read())
    for i in range(len(payload)):
        tls.write(payload[i:i + 1])
    return raw, incoming, tls, outgoing.read()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/switchyard"))
    args = parser.parse_args()
    gateway = Gateway(args.binary, tempfile.mkdtemp(prefix="switchyard-attacks-"),
                      limits="maxConnections: 300, bodyTimeoutSeconds: 5, maxPendingBodyBytes: 67108864")
    rows = []
    try:
        time.sleep(1)
        rest = gateway.rss
        rows.append(("at rest", f"{rest} KiB", ""))

        # 1. A client that never reads.
        tls = gateway.connect()
        tls.settimeout(0.5)
        request = LOOKUP * 1000
        sent = 0
        deadline = time.time() + 5
        while time.time() < deadline:
            try:
                sent += tls.send(request)
            except (socket.timeout, ssl.SSLWantWriteError):
                pass
        grown = gateway.rss - rest
        rows.append(("1. one client pipelining GET /x for 5 s, never reading",
                     f"+{grown} KiB RSS ({sent // 37} requests sent)", "served" if gateway.served() else "NOT SERVED"))
        tls.close()

        # 2. No credential, a 1 MiB body announced, one byte every 4 s.
        head = b"PATCH /devices/iccid:8988216716970004975 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1048576\r\n\r\n"
        slow = []
        answered = 0
        started = time.time()
        for _ in range(300):
            try:
                conn = gateway.connect()
                conn.settimeout(5)
                conn.sendall(head)
                if conn.recv(12).startswith(b"HTTP/1.1 401"):
                    answered += 1
                slow.append(conn)
            except OSError:
                break
        elapsed = (time.time() - started) * 1000 / max(1, len(slow))
        rows.append(("2. 300 connections without a credential announcing 1 MiB bodies",
                     f"{answered}/300 answered 401 from the head, {elapsed:.1f} ms each (handshake included)",
                     "served" if gateway.served() else "NOT SERVED"))
        for conn in slow:
            conn.close()

        # 3. Authenticated 1 MiB bodies, all but one byte, then a stall.
        auth = (f"PATCH /devices/iccid:8988216716970004975 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {gateway.token}\r\n"
                "Content-Type: application/json\r\nContent-Length: 1048576\r\n\r\n").encode()
        body = b" " * (1048576 - 1)
        conns = []
        for _ in range(80):
            conn = gateway.connect()
            conn.sendall(auth)
            conns.append(conn)
        time.sleep(0.5)  # a refusal comes right after the head; an admitted body gets no answer until it ends
        held, overloaded = [], 0
        for conn in conns:
            conn.setblocking(False)
            try:
                answer = conn.recv(200)
                if answer.startswith(b"HTTP/1.1 503 "):
                    overloaded += 1
                conn.close()
                continue
            except (ssl.SSLWantReadError, BlockingIOError):
                pass
            conn.setblocking(True)
            conn.settimeout(5)
            conn.sendall(body)
            held.append(conn)
        peak = gateway.rss
        rows.append(("3. 80 authenticated 1 MiB bodies, one byte short, stalled (budget 64 MiB)",
                     f"{len(held)} held, {overloaded} answered 503 overloaded; RSS {peak} KiB",
                     "served" if gateway.served() else "NOT SERVED"))
        started = time.time()
        timed_out = 0
        for conn in held:
            try:
                conn.settimeout(max(0.1, 15 - (time.time() - started)))
                if b" 408 " in conn.recv(200):
                    timed_out += 1
            except OSError:
                pass
        rows.append(("   ... their bodies' deadline (bodyTimeoutSeconds: 5)",
                     f"{timed_out}/{len(held)} answered 408 request_timeout within {time.time() - started:.1f} s", ""))
        for conn in held:
            conn.close()

        # 4. A pipeline read as fast as it comes: all of it sent first (the kernels' buffers hold it),
        # then read by a thread of its own (one thread at a time on an SSL object), while a new
        # client connects and asks.
        pipeliner = gateway.connect()
        count = 100_000
        pipeliner.sendall(LOOKUP * count)
        result = {}

        def read_pipeline():
            started = time.time()
            result["answered"] = count_answers(pipeliner, count)
            result["seconds"] = time.time() - started
        reader = threading.Thread(target=read_pipeline)
        reader.start()
        time.sleep(0.05)
        handshake, times = latencies(gateway, 20)
        reader.join()
        pipeliner.close()
        rows.append(("4. one client pipelining 100,000 GET /x, reading as fast as they come",
                     f"{result['answered']} answered in {result['seconds']:.2f} s",
                     f"handshake {handshake:.1f} ms; its 20 requests: median {statistics.median(times):.1f} ms, "
                     f"max {max(times):.1f} ms"))

        # 5. A pipeline one byte to a TLS record.
        count = 3_000
        raw, incoming, tls, records = one_byte_records(gateway, LOOKUP * count)
        times = []
        other = threading.Thread(target=lambda: times.extend(latencies(gateway, 30, pause=0.01)[1]))
        other.start()
        time.sleep(0.1)
        started = time.time()
        sender = threading.Thread(target=lambda: raw.sendall(records))
        sender.start()
        answers = AnswerCounter()
        while answers.count < count:
            chunk = raw.recv(65536)
            if not chunk:
                break
            incoming.write(chunk)
            while True:
                try:
                    answers.feed(tls.read(1 << 20))
                except ssl.SSLWantReadError:
                    break
        elapsed = time.time() - started
        sender.join()
        other.join()
        raw.close()
        rows.append((f"5. one client pipelining 3,000 GET /x one byte to a TLS record ({len(records) // 1000} KB)",
                     f"{answers.count} answered in {elapsed:.2f} s",
                     f"30 requests: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms"))

        # 6. Memory after.
        after = gateway.rss
        time.sleep(12)
        trimmed = gateway.rss
        rows.append(("6. RSS right after the attacks / 12 s later (one trim period)",
                     f"{after} KiB / {trimmed} KiB ({100 * (trimmed - rest) / rest:+.0f} % of rest)", ""))
    finally:
        gateway.stop()

    # 7. A slow reader, on a gateway whose idle timeout is short enough to matter.
    gateway = Gateway(args.binary, tempfile.mkdtemp(prefix="switchyard-attacks-"), limits="idleTimeoutSeconds: 3")
    try:
        tls = gateway.connect()
        count = 20_000
        tls.sendall(LOOKUP * count)
        answered = count_answers(tls, count, rate=300_000, slow_seconds=10)
        tls.close()
        rows.append(("7. one client reading its 20,000 pipelined answers at 300 KB/s for 10 s (idle timeout 3 s)",
                     f"{answered} of {count} answered", "served" if gateway.served() else "NOT SERVED"))
    finally:
        gateway.stop()

    print("| attack | cost to the gateway | a new client meanwhile |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print("Command: `Benchmarks/attacks.py` (release build, one worker).")


if __name__ == "__main__":
    main()
