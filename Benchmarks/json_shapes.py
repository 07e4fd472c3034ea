#!/usr/bin/env python3
"""Times the gateway's answer to 1 MiB JSON bodies of hostile shapes (API.md §2: "a JSON body or vendor
answer of 1 MiB of any shape is parsed in milliseconds, never seconds").

Starts the release gateway (`--binary`, default .build/release/switchyard) on loopback with one
control-center tenant whose upstream nobody listens on, mints a token with `switchyard token`, and
sends each shape `--repeat` times as `PATCH /devices/iccid:...` over one keep-alive TLS connection.
Every shape is refused before any upstream call (422 for unknown members, 400 for everything else), so
the time is the gateway's own: TLS, HTTP, the JSON reader, the device document reader, the problem
document. Prints a Markdown table (median and worst per shape, in ms) and the command.

Standard library only. The gateway is stopped by its pid when the script ends.
"""

import argparse
import json
import os
import re
import tempfile
import time

from loopback_gateway import ROOT, Gateway
LIMIT = 1_048_576


def shapes():
    """Name → body bytes, each just under 1 MiB."""
    def fill(unit, head=b"", tail=b"", sep=b""):
        count = (LIMIT - 64 - len(head) - len(tail)) // (len(unit) + len(sep))
        return head + sep.join([unit] * count) + tail

    members = []
    size = 2
    index = 0
    while True:
        member = b'"m%d":0' % index
        if size + len(member) + 1 > LIMIT - 64:
            break
        members.append(member)
        size += len(member) + 1
        index += 1
    yield "object, %d members" % len(members), b"{" + b",".join(members) + b"}"
    yield "object, %d members, last one a duplicate" % len(members), \
        b"{" + b",".join(members[:-1] + [b'"m0":1']) + b"}"
    yield "array of numbers", fill(b"1", b'{"x":[', b"]}", b",")
    yield "one long string", fill(b"a", b'{"x":"', b'"}')
    yield "string of \\u escapes", fill(b"\\u00e9", b'{"x":"', b'"}')
    yield "string of surrogate pairs", fill(b"\\ud83d\\ude00", b'{"x":"', b'"}')
    yield "objects nested 32 deep, repeated", fill(b'{"a":' * 31 + b"{}" + b"}" * 31, b'{"x":[', b"]}", b",")
    yield "array of empty objects", fill(b"{}", b'{"x":[', b"]}", b",")
    yield "unknown members with long names", b"{" + b",".join(
        b'"%s%06d":0' % (b"n" * 200, i) for i in range((LIMIT - 64) // 212)) + b"}"


def read_response(tls):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = tls.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    while len(rest) < length:
        chunk = tls.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed")
        rest += chunk
    return status, json.loads(rest[:length]) if length else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/switchyard"))
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    gateway = Gateway(args.binary, tempfile.mkdtemp(prefix="switchyard-json-"), limits=f"maxBodyBytes: {LIMIT}")
    try:
        tls = gateway.connect()
        tls.settimeout(None)
        rows = []
        for name, body in shapes():
            head = (f"PATCH /devices/iccid:8988216716970004975 HTTP/1.1\r\nHost: localhost\r\n"
                    f"Authorization: Bearer {gateway.token}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode()
            times = []
            status = code = None
            for _ in range(args.repeat):
                start = time.perf_counter()
                tls.sendall(head + body)
                status, problem = read_response(tls)
                times.append((time.perf_counter() - start) * 1000)
                code = problem.get("code") if problem else None
            times.sort()
            rows.append((name, len(body), status, code, times[len(times) // 2], times[-1]))
        print("| shape | bytes | answer | median ms | worst ms |")
        print("|---|---|---|---|---|")
        for name, size, status, code, median, worst in rows:
            print(f"| {name} | {size} | {status} `{code}` | {median:.1f} | {worst:.1f} |")
        print()
        print(f"Command: `Benchmarks/json_shapes.py --repeat {args.repeat}` (release build, one worker, "
              "one keep-alive TLS connection; each time includes sending the 1 MiB body over loopback TLS).")
    finally:
        gateway.stop()


if __name__ == "__main__":
    main()
