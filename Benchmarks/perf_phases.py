#!/usr/bin/env python3
"""Where the gateway's time goes, by step of the request's way: reads `perf script` output (Swift
names already demangled, e.g. through `swift demangle --simplified`) on standard input and prints a
Markdown table, the share of samples per step.

Used by Benchmarks/run.sh for the translated scenario's profile (`perf record -g`, frame pointers).
Each sample goes to the innermost frame of its call stack that names a step: a sample in malloc
called from the JSON parser counts as JSON parsing, a sample in the kernel's TCP code under
sendto() as the upstream send. Debian's libc and OpenSSL have no frame pointers, so a sample
inside them often has no callers: it counts by the library (OpenSSL: TLS) or as "caller unknown".

Standard library only. Usage: perf script -i perf.data | swift demangle --simplified | perf_phases.py
"""
import re
import sys

# (step, pattern on one frame's text "symbol+offset (object)"), in the order they are tried on each
# frame; a frame that matches none is skipped and its caller tried.
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
    # String.contains(String) and friends resolve to Foundation's NSString search when Foundation
    # is imported; counted apart wherever it is called from (its callers are often lost).
    ("Foundation string search (String.contains/range(of:) through NSString)", r"CFString|NSString|StringProtocol\.range|_CFIsSwift|CFUniChar"),
    ("JSON parse (client body, vendor answer)", r"JSONParser|JSONValue"),
    ("JSON write (vendor body, client answer)", r"JSONWriter"),
    ("auth: bearer token, JWT verify", r"Authenticat|JWT|HMAC|HS256|Base64|base64"),
    ("tenant rate limit", r"RateLimit|GCRA|RatePolicy"),
    ("content negotiation (Accept, Content-Type)", r"ContentNegotiation"),
    ("device request: route, read and validate the document", r"DeviceDocumentReader|DeviceRequest|FieldRules|\bRoute\b|DeviceIdentifier|DeviceDocument\.|DeviceChange"),
    ("vendor adapter: request translation", r"Adapter\.(request|validate)|Adapter\.[a-z]*[Pp]ath|URLEncoding"),
    ("vendor adapter: answer translation", r"Adapter\.interpret|ErrorCatalogue"),
    ("client answer: device document, headers", r"writeDevice|singleResponse|DeviceCall\.finish|Problem|LoopContext\.compress"),
    ("upstream answer: parse", r"ResponseParser|HTTPClientConnection\.(process|finishAnswer|readAnswer)|ChunkedDecoder"),
    ("upstream client: request write, pool, completion", r"UpstreamClient|HTTPClientConnection|UpstreamRequest|UpstreamCall|DeviceCall|TraceParent|FieldLines"),
    ("HTTP server: request parse, response write", r"RequestParser|HeadScanner|HTTPServerConnection|HTTPRequest|HTTPResponse|HTTPExchange|RequestID|DateCache|HTTPSyntax|KnownField|HTTPFieldSection"),
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
