#!/usr/bin/env bash
# Profile-guided optimization with Swift 6.3.1 (Benchmarks/RESULTS.md, "The thirty-ninth pass"): builds the
# gateway as scripts/build-release.sh does with the compiler's counters in (`-profile-generate`), runs the
# translated scenario's load for both vendors against that build, keeps the functions the compiler can
# build with (Benchmarks/pgo_profile.py says which and why), and builds the gateway again with the profile
# (`-profile-use`), into OUT.
#
#   Benchmarks/pgo.sh OUT
#
# Not how the gateway ships: a profile belongs to the source it was made from, and Swift 6.3.1 writes every
# function's hash as 0, so it cannot tell a profile made before a change from one of the changed code. The
# two builds use scratch folders of their own (.build-pgo-generate, .build-pgo-use), about 7 minutes each on
# 2 cores; the load needs what Benchmarks/run.sh needs.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUT" >&2; exit 2; }
output=$1
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# The toolchain's own: Debian's llvm-profdata does not read the format Swift's runtime writes.
profdata="$(dirname -- "$(readlink -f -- "$(command -v swift)")")/llvm-profdata"
[ -x "$profdata" ] || { echo "pgo.sh: no llvm-profdata beside swift ($profdata)" >&2; exit 2; }
generate="$root/.build-pgo-generate"
use="$root/.build-pgo-use"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/load"

echo "pgo.sh: building with counters ($generate)"
scripts/build-release.sh --product switchyard --scratch-path "$generate" -Xswiftc -profile-generate > "$work/generate.log" 2>&1 \
    || { tail -20 "$work/generate.log" >&2; exit 1; }
counting="$generate/release/switchyard"

echo "pgo.sh: the translated load against it"
LLVM_PROFILE_FILE="$work/load/%p.profraw" Benchmarks/run.sh --only translated --servers gateway --repeat 1 --duration 8 \
    --profile off --allocations off --gateway-bin "$counting" --results "$work/load.md" > "$work/load.log" 2>&1 \
    || { tail -20 "$work/load.log" >&2; exit 1; }
"$profdata" merge -o "$work/merged.profdata" "$work"/load/*.profraw
"$profdata" merge --text -o "$work/merged.proftext" "$work/merged.profdata"
python3 Benchmarks/pgo_profile.py "$work/merged.proftext" "$work/kept.proftext" --rename "$generate/" "$use/"
"$profdata" merge -o "$work/kept.profdata" "$work/kept.proftext"

echo "pgo.sh: building with the profile ($use)"
# The compiler names every function the profile leaves out, a line each: those lines go to the log.
scripts/build-release.sh --product switchyard --scratch-path "$use" -Xswiftc -profile-use="$work/kept.profdata" > "$work/use.log" 2>&1 \
    || { grep -v "^no profile data available" "$work/use.log" | tail -20 >&2; exit 1; }
cp "$use/release/switchyard" "$output"
echo "pgo.sh: $output"
