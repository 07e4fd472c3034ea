#!/usr/bin/env python3
"""Where the gateway's time goes, by phase of the request's way: reads `perf script` output (Swift
names already demangled, e.g. through `swift demangle --simplified`) on standard input and prints a
Markdown table, the share of samples per phase, and per I/O step for what happens outside them.

Used by Benchmarks/run.sh for the translated scenario's profile (`perf record -g`, frame pointers).
Each sample goes to the innermost pipeline phase on its call stack (the phases are `Gateway` methods
named after them, never inlined): a sample in malloc called from the JSON parser under `readBody`
counts as reading the body. Samples under no phase go to the I/O step of their innermost frame that
names one (a sample in the kernel's TCP code under sendto() as the upstream send). Debian's libc and
OpenSSL have no frame pointers, so a sample inside them often has no callers: it counts by the
library (OpenSSL: TLS) or as "caller unknown".

Standard library only. Usage: perf script -i perf.data | swift demangle --simplified | perf_phases.py
"""
import re
import sys

# The pipeline's phases (Sources/Switchyard/Pipeline/Pipeline.swift): each is a `Gateway` method of
# that name, never inlined, so one pattern finds them all. A sample goes to the innermost phase on its
# stack: JSON parsing under readBody is readBody, the vendor's answer read under DeviceCall (the phase's
# own type, whose completions the upstream client calls) is callVendor.
PHASE = re.compile(r"Gateway\.(route|authenticate|authorize|readBody|rateLimit|translate|callVendor|translateBack|respond)\(")
VENDOR_CALL = re.compile(r"\bDeviceCall\b|AccessTokenCache")
PHASE_NAMES = {
    "route": "1 route", "authenticate": "2 authenticate", "authorize": "3 authorize", "readBody": "4 read body",
    "rateLimit": "5 rate limit", "translate": "6 translate", "callVendor": "7 call the vendor (and read its answer)",
    "translateBack": "8 translate back", "respond": "9 respond (headers, gzip, access log)",
}

# (step, pattern on one frame's text "symbol+offset (object)") for samples outside the pipeline's
# phases: the I/O around them, tried in order on each frame.
STEPS = [
    # System calls, by what the gateway uses each for (SwitchyardIO: read() for every socket, OpenSSL's
    # write() for TLS records, send() for plain upstream sockets, recv(MSG_PEEK) to check a pooled one).
    ("kernel: send() of upstream requests (with loopback delivery to the upstream)", r"__sys_sendto\b|__x64_sys_sendto"),
    ("kernel: write() of TLS records to the client (with loopback delivery)", r"\bksys_write\b|__x64_sys_write\b"),
    ("kernel: read() from client and upstream sockets", r"\bksys_read\b|__x64_sys_read\b"),
    ("kernel: recv(MSG_PEEK), the liveness check of a pooled upstream connection", r"__sys_recvfrom|__x64_sys_recvfrom"),
    ("kernel: epoll", r"do_epoll_wait|do_epoll_ctl|__x64_sys_epoll"),
    ("kernel: upstream connect, close, socket setup", r"__sys_connect|__x64_sys_close|__sys_socket|__x64_sys_setsockopt|__x64_sys_shutdown"),
    # OpenSSL, by library (its own frames have no frame pointers).
    ("TLS (OpenSSL: records, AES-GCM)", r"\(\S*lib(ssl|crypto)\.so|TLSConnection\.|\bSSL_"),
    ("upstream client: pool, connections (outside a call)", r"UpstreamClient|HTTPClientConnection|ResponseParser"),
    ("HTTP server: request parse, response write", r"RequestParser|HeadScanner|HTTPServerConnection|HTTPExchange|DateCache"),
    ("event loop, channels, timers", r"EventLoop|Channel\.|TimerWheel|ByteBuffer"),
]
COMPILED = [(name, re.compile(pattern)) for name, pattern in STEPS]
# A sample that matched no step, by the object of its innermost frame.
FALLBACK = [
    ("kernel, other (interrupts, scheduler)", re.compile(r"\[kernel")),
    ("libc, caller unknown (malloc/free, memcpy)", re.compile(r"libc\.so")),
    ("Swift runtime, caller unknown", re.compile(r"libswift|libFoundation|libdispatch")),
]


def samples(text):
    """Each sample's frames, innermost first."""
    for block in re.split(r"\n\s*\n", text):
        lines = [line.strip() for line in block.strip().split("\n")]
        if len(lines) < 2:
            continue
        # The first line is the header (command, pid, time, event); the rest are frames.
        yield [re.sub(r"^[0-9a-f]+\s+", "", line) for line in lines[1:]]


def classify(frames):
    """The innermost phase of the pipeline on the stack; else the innermost I/O step; else the
    object of the innermost frame."""
    for frame in frames:
        phase = PHASE.search(frame)
        if phase:
            return PHASE_NAMES[phase.group(1)]
        if VENDOR_CALL.search(frame):
            return PHASE_NAMES["callVendor"]
    for frame in frames:
        for name, pattern in COMPILED:
            if pattern.search(frame):
                return name
    leaf = frames[0] if frames else ""
    for name, pattern in FALLBACK:
        if pattern.search(leaf):
            return name
    return "other"


def main():
    counts = {}
    total = 0
    for frames in samples(sys.stdin.read()):
        step = classify(frames)
        counts[step] = counts.get(step, 0) + 1
        total += 1
    if total == 0:
        print("(no samples)")
        return
    print("| step | share of samples |")
    print("|---|---:|")
    for step, count in sorted(counts.items(), key=lambda item: -item[1]):
        print(f"| {step} | {100 * count / total:.1f}% |")
    print(f"| total | {total} samples |")


if __name__ == "__main__":
    main()
