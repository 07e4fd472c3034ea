"""Heap allocations per translated request, by phase of the request's way and by allocating site: one
more run per vendor, not measured, with the gateway under malloc_counter.so (LD_PRELOAD). The counter
keeps a count per call stack in a shared file; two snapshots, after the warm-up and after the load,
give what the load allocated, stack by stack, divided by the requests wrk had answered.

Each stack is symbolized from the gateway's /proc/<pid>/maps with llvm-symbolizer (the Swift
toolchain's) and `swift demangle`, then attributed as perf_phases.py attributes a perf sample: to the
innermost phase of the pipeline on it, else to the innermost I/O step. Who allocated is told by the
frame that called the allocator: the Swift runtime (`swift_allocObject`, `swift_slowAlloc`: the
gateway's own code, its packages and the standard library) or a C library (OpenSSL, zlib, libc), counted
apart as the issue asks."""

import json
import os
import re
import shutil
import struct
import subprocess
import sys
from collections import Counter, defaultdict

from . import progress
from .bench import BENCH_DIR
from .checks import device_answer
from .loads import Wrk
from .processes import BenchError
from .servers import Gateway, started

sys.path.insert(0, str(BENCH_DIR))
import perf_phases  # noqa: E402  (Benchmarks/perf_phases.py, a script beside the package)

MAGIC = 0x53594D414C4C4F43
HEADER = struct.Struct("<7Qq")
SLOT_FIELDS = 4  # hash, count, bytes, depth; then the frames


class CountedGateway(Gateway):
    """The translated gateway with malloc_counter.so preloaded, counting into `table`."""

    def __init__(self, library, table):
        super().__init__("gateway-translated.yaml")
        self.library = library
        self.table = table

    def argv(self, bench):
        return ["env", f"LD_PRELOAD={self.library}", f"MALLOC_COUNTER_FILE={self.table}"] + super().argv(bench)

    def command(self, bench, tag):
        return self.argv(bench), BENCH_DIR.parent, bench.log("gateway-allocations.log"), True


def compile_counter(bench):
    """malloc_counter.so, compiled when missing or older than its source."""
    source = BENCH_DIR / "malloc_counter.c"
    library = bench.work / "bin" / "malloc_counter.so"
    if not library.exists() or source.stat().st_mtime > library.stat().st_mtime:
        bench.supervisor.run(["cc", "-O2", "-Wall", "-fPIC", "-shared", "-fno-omit-frame-pointer", "-o",
                              str(library), str(source), "-lpthread"], seconds=120, stdout=sys.stderr)
    return library


def snapshot(path):
    """The table's totals and {stack (return addresses, innermost first): (count, bytes)}."""
    data = path.read_bytes()
    magic, slots, frames, allocations, frees, total_bytes, unrecorded, live = HEADER.unpack_from(data, 0)
    if magic != MAGIC:
        raise BenchError(f"{path}: not a malloc_counter table (was the library preloaded?)")
    size = 8 * (SLOT_FIELDS + frames)
    stacks = {}
    for index in range(slots):
        offset = HEADER.size + index * size
        hash_, count, nbytes, depth = struct.unpack_from("<4Q", data, offset)
        if hash_ and count:
            stack = struct.unpack_from(f"<{min(depth, frames)}Q", data, offset + 8 * SLOT_FIELDS)
            stacks[stack] = (count, nbytes)
    return {"allocations": allocations, "frees": frees, "bytes": total_bytes, "unrecorded": unrecorded,
            "live": live, "stacks": stacks}


def difference(before, after):
    """What happened between two snapshots."""
    stacks = {}
    for stack, (count, nbytes) in after["stacks"].items():
        was = before["stacks"].get(stack, (0, 0))
        if count > was[0]:
            stacks[stack] = (count - was[0], nbytes - was[1])
    return {key: after[key] - before[key] for key in ("allocations", "frees", "bytes", "unrecorded", "live")} | {
        "stacks": stacks}


def mappings(pid):
    """The process's executable mappings: (start, end, file offset, path)."""
    result = []
    with open(f"/proc/{pid}/maps") as maps:
        for line in maps:
            fields = line.split()
            if len(fields) >= 6 and "x" in fields[1] and fields[5].startswith("/"):
                start, end = (int(part, 16) for part in fields[0].split("-"))
                result.append((start, end, int(fields[2], 16), fields[5]))
    return result


def symbolize(pid, addresses):
    """{address: "symbol (object)"}, demangled; "[unknown]" for what no mapping or symbol covers. A
    return address is looked up one byte back, inside the call instruction."""
    maps = mappings(pid)
    by_object = defaultdict(list)
    for address in addresses:
        for start, end, offset, path in maps:
            if start <= address < end:
                by_object[path].append((address, address - 1 - start + offset))
                break
    names = {address: "[unknown]" for address in addresses}
    for path, items in by_object.items():
        queries = "\n".join(f"0x{file_address(path, offset):x}" for _, offset in items) + "\n"
        out = subprocess.run([symbolizer(), f"--obj={path}", "--output-style=JSON", "--no-inlines"],
                             input=queries, capture_output=True, text=True, timeout=300).stdout
        answers = [json.loads(line) for line in out.splitlines() if line.strip()]
        library = path.rsplit("/", 1)[-1]
        for (address, _), answer in zip(items, answers):
            frames = answer.get("Symbol") or []
            function = frames[0].get("FunctionName", "") if frames else ""
            names[address] = f"{function or '??'} ({library})"
    if shutil.which("swift"):
        keys = list(names)
        text = subprocess.run(["swift", "demangle", "--simplified"], input="\n".join(names[k] for k in keys),
                              capture_output=True, text=True, timeout=300).stdout.splitlines()
        if len(text) == len(keys):
            names = dict(zip(keys, text))
    return names


def symbolizer():
    """llvm-symbolizer: the Swift toolchain's, beside `swift`, or one on PATH."""
    swift = shutil.which("swift")
    if swift:
        beside = swift.rsplit("/", 1)[0] + "/llvm-symbolizer"
        if os.path.exists(beside):
            return beside
    found = shutil.which("llvm-symbolizer")
    if not found:
        raise BenchError("--allocations: llvm-symbolizer not found (it comes with the Swift toolchain)")
    return found


_segments = {}


def file_address(path, offset):
    """The virtual address in `path`'s ELF image of a file offset: llvm-symbolizer takes the former."""
    if path not in _segments:
        loads = []
        with open(path, "rb") as elf:
            head = elf.read(64)
            phoff, = struct.unpack_from("<Q", head, 32)
            phentsize, phnum = struct.unpack_from("<HH", head, 54)
            elf.seek(phoff)
            table = elf.read(phentsize * phnum)
            for index in range(phnum):
                p_type, _, p_offset, p_vaddr, _, p_filesz = struct.unpack_from("<IIQQQQ", table, index * phentsize)
                if p_type == 1:  # PT_LOAD
                    loads.append((p_offset, p_offset + p_filesz, p_vaddr))
        _segments[path] = loads
    for start, end, vaddr in _segments[path]:
        if start <= offset < end:
            return offset - start + vaddr
    return offset


OWNERS = [
    ("Swift (the gateway, its packages, the standard library)", re.compile(r"\((switchyard|libswift\w*|libFoundation\w*|libdispatch)\.so|\(switchyard\)")),
    ("OpenSSL", re.compile(r"\(lib(ssl|crypto)\.so")),
    ("zlib", re.compile(r"\(libz\.so")),
    ("libc", re.compile(r"\(libc\.so")),
]


def owner(frames):
    """Who called the allocator: the stack's first frame."""
    first = frames[0] if frames else ""
    for name, pattern in OWNERS:
        if pattern.search(first):
            return name
    return "unknown (no caller)"


# Frames that only say how memory was taken (the runtime's allocators, the standard library's
# collections and strings, specialized into the gateway's binary or not): a site names its caller.
GLUE = re.compile(r"^(\?\?|\[unknown\]|swift_|_swift_|_allocate|(specialized |merged |static |generic )*"
                  r"(_?Contiguous|Array|_ArrayBuffer|Set\b|Dictionary|_Native|String|Substring|_StringGuts|"
                  r"__StringStorage|_StringObject|Unsafe|Range|Sequence|Collection))")


def site(frames):
    """The allocating site worth naming: the innermost frame that is not allocation glue."""
    for frame in frames:
        if not GLUE.search(frame):
            return frame.rsplit(" (", 1)[0]
    return frames[0] if frames else "[no stack]"


def analyse(pid, delta, requests, stacks_path=None):
    """The per-request tables: by phase (and owner), by owner, and the top sites of Swift's; with
    `stacks_path`, every stack of at least one allocation in ten requests written there, by phase."""
    addresses = {address for stack in delta["stacks"] for address in stack}
    names = symbolize(pid, addresses)
    by_phase, by_owner, by_site = Counter(), Counter(), Counter()
    listed = []
    for stack, (count, nbytes) in delta["stacks"].items():
        frames = [names[address] for address in stack]
        if requests and count >= requests / 10:
            listed.append((perf_phases.classify(frames), -count, nbytes // count, frames))
        who = owner(frames)
        by_owner[who] += count
        by_phase[(perf_phases.classify(frames), "Swift" if who.startswith("Swift") else "C")] += count
        if who.startswith("Swift"):
            by_site[site(frames)] += count
    if stacks_path:
        with open(stacks_path, "w") as out:
            for phase, count, size, frames in sorted(listed):
                out.write(f"[{phase}] {-count / requests:.2f} per request, {size} bytes each\n")
                out.writelines(f"    {frame}\n" for frame in frames)
    per = (lambda n: n / requests) if requests else (lambda n: 0.0)
    phases = defaultdict(lambda: [0.0, 0.0])
    for (phase, side), count in by_phase.items():
        phases[phase][0 if side == "Swift" else 1] += per(count)
    return {
        "requests": requests,
        "allocations": per(delta["allocations"]),
        "frees": per(delta["frees"]),
        "bytes": per(delta["bytes"]),
        "unrecorded": delta["unrecorded"],
        "owners": [[name, per(count)] for name, count in by_owner.most_common()],
        "phases": [[phase, swift, c] for phase, (swift, c) in sorted(phases.items(), key=lambda kv: -sum(kv[1]))],
        "sites": [[name, per(count)] for name, count in by_site.most_common(25)],
    }


def run(bench, request):
    """One vendor's count: the gateway under the counter, warmed up, then loaded for --duration s."""
    o = bench.options
    progress.heading(f"allocations per request: malloc_counter.so in the gateway, {request.tenant}, "
                     f"{o.connections} connections, {o.duration}s (not measured)")
    library = compile_counter(bench)
    table = bench.log(f"malloc-counter.{request.tenant}.table")
    load = Wrk(o.connections, request, bench.tokens[request.tenant])
    wrk_output = bench.log(f"allocations-wrk.{request.tenant}.txt")
    with started(bench, CountedGateway(library, table)) as running:
        device_answer(bench, running, "gateway", "gateway (switchyard serve)", request.tenant)
        load.warm_up(bench, running, max(o.warmup, 2))
        before = snapshot(table)
        with load.applied(bench, running, o.duration, wrk_output) as result:
            after = snapshot(table)
        return analyse(running.pid, difference(before, after), result["wrk"]["requests"],
                       bench.log(f"allocations.{request.tenant}.stacks.txt"))
