#!/usr/bin/env python3
"""Turns a merged instrumentation profile (llvm-profdata's text form) into one Swift 6.3.1 can build with.

`Benchmarks/pgo.sh` runs it between the profiled load and the build that uses the profile. Two things stand
in the way of using the profile as llvm-profdata writes it, both the compiler's, not the profile's:

- Swift 6.3.1's SIL analysis of cold blocks (`ColdBlockInfo::inferFromEdgeProfile`) divides a branch's
  count by its block's and asserts the result is a probability: in a region that never ran both are 0 and
  the frontend stops (swiftlang/swift pull request 84432 handles it; not in 6.3.1). A function is kept
  only if it ran and at most `--max-zero-counters` of its counters are 0: a single region that never ran
  holds no counted branch, as a counted branch inside it would be a second zero. Making the zeros 1
  instead is no way out: the compiler derives an `else` count by subtracting a branch's from its
  region's, which then goes below zero, wraps, and trips the same function's assertion that the counts'
  sum does not overflow. Adding the test suite's runs to the profile (the error paths taken) tripped
  it as well, in a function that throws (`JSONParser`'s `readName`): the profile is of the benchmark's
  load only, one loop and no errors, whose counts add up.
- The text form marks a record's bitmap count with a leading `$`, which every Swift name begins with:
  read back, a record followed by a Swift name is taken for one with bitmap bytes. Each record is written
  with its bitmap count stated (`$0`).

A file-private function's name begins with its file's absolute path: `--rename OLD NEW` (repeatable) moves
the names of the packages' checkouts from the instrumented build's scratch path to the profiled build's.

    pgo_profile.py IN.proftext OUT.proftext [--max-zero-counters N] [--rename OLD NEW]...
"""

import argparse
import sys


def records(lines):
    """(name, hash, counters) for each function of a text profile, in its order."""
    index = 0

    def numbers(count):
        nonlocal index
        values = []
        while len(values) < count:
            line = lines[index].strip()
            index += 1
            if line.isdigit():
                values.append(int(line))
            elif not line.startswith("#"):
                raise ValueError(f"line {index}: expected a number, found {line!r}")
        return values

    while index < len(lines):
        line = lines[index]
        if not line.strip() or line.startswith("#"):
            index += 1
            continue
        if line.startswith(":"):
            raise ValueError(f"line {index + 1}: {line} profiles are not what the Swift frontend writes")
        index += 1
        function_hash, count = numbers(2)
        counters = numbers(count)
        # What may follow the counters (bitmap bytes, value profiles) is not written by Swift's
        # instrumentation; stop rather than misread it.
        if index < len(lines) and lines[index].strip():
            raise ValueError(f"line {index + 1}: unexpected {lines[index]!r} after {line}'s counters")
        yield line, function_hash, counters


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--max-zero-counters", type=int, default=1)
    parser.add_argument("--rename", nargs=2, action="append", default=[], metavar=("OLD", "NEW"))
    arguments = parser.parse_args()

    with open(arguments.source) as source:
        lines = source.read().split("\n")
    kept, dropped, written = 0, 0, []
    for name, function_hash, counters in records(lines):
        if counters[0] == 0 or counters.count(0) > arguments.max_zero_counters:
            dropped += 1
            continue
        kept += 1
        for old, new in arguments.rename:
            name = name.replace(old, new, 1)
        written += [name, "# Func Hash:", str(function_hash), "# Num Counters:", str(len(counters)),
                    "# Counter Values:", *map(str, counters), "# Num Bitmap Bytes:", "$0", ""]
    with open(arguments.target, "w") as target:
        target.write("\n".join(written))
    print(f"pgo_profile.py: kept {kept} functions, left out {dropped} (not run, or more than "
          f"{arguments.max_zero_counters} counter(s) at 0)", file=sys.stderr)


if __name__ == "__main__":
    main()
