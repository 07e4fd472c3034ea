#!/usr/bin/env python3
"""Reference counting per request, from a callgrind profile of the gateway: how many times a request
calls `swift_retain` and `swift_release`, how many of those calls change a count with an atomic
instruction (`lock cmpxchg`: a static string, an empty collection's storage and a nil take the
other paths), and the functions that call them most.

Callgrind counts instructions alike, but an atomic update costs the processor far more than its one
instruction (some 4.5 ns each here, a dependent chain of them, against 0.2 ns for a plain add), so a
request's reference counting weighs more on the wall clock than in the instruction count.

The profile is the one `Benchmarks/run.sh --profile callgrind` leaves in `.work/logs/`
(`callgrind.translated-cc.out`, or `-gate`), with per-instruction counts; BINARY is the copy of the
gateway it ran (`.work/bin/switchyard-nodebug`). A request is a call of
`HTTPServerConnection.dispatch()`, which the server makes once per request it hands to the gateway.

Standard library, binutils' `objdump` and the toolchain's `swift demangle`.
Usage: refcounts.py CALLGRIND_OUT BINARY [CALLERS]   (CALLERS: how many callers to list, 15 unless told)
"""
import collections
import re
import subprocess
import sys

COUNTING = ("swift_retain", "swift_release")
BRIDGING = ("swift_bridgeObjectRetain", "swift_bridgeObjectRelease")
REQUEST = "HTTPServerConnectionC8dispatch"


def read_profile(path):
    """Per function: the cost of each instruction (by address) and the calls made from it, by callee."""
    names, costs, calls = {}, collections.defaultdict(collections.Counter), collections.defaultdict(collections.Counter)
    function = callee = None
    pending = None
    with open(path) as lines:
        for line in lines:
            named = re.match(r"(c?fn)=\((\d+)\)(?: (.*))?", line)
            if named:
                kind, number, name = named.groups()
                if name:
                    names[number] = name.strip()
                if kind == "fn":
                    function = names.get(number)
                else:
                    callee = names.get(number)
                continue
            if line.startswith("calls="):
                pending = int(line.split()[0][len("calls="):])
                continue
            if line.startswith("0x"):
                if pending is not None:
                    calls[function][callee] += pending
                    pending = None
                else:
                    address, *_, cost = line.split()
                    costs[function][int(address, 16)] += int(cost)
                continue
            pending = None
    if not any(len(addresses) > 1 for addresses in costs.values()):
        sys.exit(f"{path}: no per-instruction counts (callgrind's --dump-instr=yes --compress-pos=no)")
    return costs, calls


def atomic_address(binary, function):
    """The address of the `lock cmpxchg` in the runtime's `function`, from the binary's disassembly."""
    text = subprocess.run(["objdump", "-d", "--no-show-raw-insn", f"--disassemble={function}", binary],
                          capture_output=True, text=True, check=True).stdout
    found = [int(m.group(1), 16) for m in re.finditer(r"^\s*([0-9a-f]+):\s+lock cmpxchg", text, re.M)]
    if len(found) != 1:
        sys.exit(f"{binary}: {function} has {len(found)} `lock cmpxchg` instructions, not one")
    return found[0]


def demangled(names):
    """Swift names as `swift demangle --simplified` writes them (as they are when it is missing)."""
    try:
        text = subprocess.run(["swift", "demangle", "--simplified", "--compact"], input="\n".join(names),
                              capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return list(names)
    lines = text.splitlines()
    return lines if len(lines) == len(names) else list(names)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.strip().splitlines()[-2])
    path, binary = sys.argv[1], sys.argv[2]
    shown = int(sys.argv[3]) if len(sys.argv) == 4 else 15
    costs, calls = read_profile(path)
    requests = sum(count for callees in calls.values() for name, count in callees.items() if name and REQUEST in name)
    if requests == 0:
        sys.exit(f"{path}: no request served (no call of HTTPServerConnection.dispatch())")
    print(f"{requests} requests in the profile\n")
    print("| runtime function | calls/request | atomic updates/request |")
    print("|---|---:|---:|")
    for function in COUNTING:
        made = sum(callees[function] for callees in calls.values())
        atomic = costs[function][atomic_address(binary, function)]
        print(f"| `{function}` | {made / requests:.1f} | {atomic / requests:.1f} |")
    for function in BRIDGING:
        made = sum(callees[function] for callees in calls.values())
        print(f"| `{function}` (a string's or collection's; calls the above) | {made / requests:.1f} | |")
    callers = collections.Counter()
    for caller, callees in calls.items():
        if caller in COUNTING + BRIDGING:
            continue
        callers[caller] = sum(callees[name] for name in COUNTING + BRIDGING)
    print(f"\nThe {shown} callers that call them most (calls/request, retains and releases of either kind):\n")
    print("| calls/request | caller |")
    print("|---:|---|")
    top = callers.most_common(shown)
    for (_, count), name in zip(top, demangled([caller or "?" for caller, _ in top])):
        print(f"| {count / requests:.1f} | `{name}` |")


if __name__ == "__main__":
    main()
