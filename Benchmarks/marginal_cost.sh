# Functions for the *_cost.sh scripts (sourced, not run): what one more translated request costs the
# gateway, in instructions, from callgrind (whose counts repeat on a noisy machine).
#
# Under valgrind the gateway serves a few hundred requests a second, so the work done once a second
# (the metrics collection, the exporter's timer) would weigh a hundred times more per request than at
# full speed. Each variant is therefore run twice, for 3 and for 9 seconds, and the cost per request is
# the difference of the two totals over the difference of the two request counts: what one more
# request costs, with the per-second work left out (it is reported on its own, per second).
# `run NAME BIN --servers nginx --profile-server nginx` (or nginx-lua) counts the same for the other
# two servers of the translated scenario (Benchmarks/README.md, "Where the time goes"). `by_object NAME
# BIN [the same options]` splits the figure by the object the instructions ran in: the server's own code,
# libcrypto, libssl, libc, and Swift's retains and releases apart.
bench_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
measure() { # name seconds binary [run.sh options] → "requests total" on stdout
    local name=$1 seconds=$2 binary=$3
    shift 3
    "$bench_dir/run.sh" --only translated --servers gateway --repeat 1 --duration "$seconds" --profile callgrind \
        --gateway-bin "$binary" --results "$out/$name-$seconds.md" "$@" > "$out/$name-$seconds.log" 2>&1
    local requests total
    requests=$(grep -o "$seconds s, [0-9]* requests" "$out/$name-$seconds.md" | grep -o '[0-9]* requests' | grep -o '[0-9]*')
    total=$(grep 'PROGRAM TOTALS' "$out/$name-$seconds.md" | head -1 | awk '{gsub(",", "", $1); print $1}')
    echo "$requests $total"
}
run() { # name binary [run.sh options]
    local name=$1 binary=$2
    shift 2
    read -r short_requests short_total < <(measure "$name" 3 "$binary" "$@")
    read -r long_requests long_total < <(measure "$name" 9 "$binary" "$@")
    awk -v name="$name" -v r1="$short_requests" -v t1="$short_total" -v r2="$long_requests" -v t2="$long_total" 'BEGIN {
        per = (t2 - t1) / (r2 - r1)
        printf "%-22s %9.0f instructions/request  (%d and %d requests; %.0f instructions/s besides)\n",
            name, per, r1, r2, (t1 - r1 * per) / 3 }'
}
by_object() { # name binary [run.sh options]: `run`'s figure split by the object the instructions ran in
    local name=$1 binary=$2 seconds
    shift 2
    for seconds in 3 9; do
        measure "$name" "$seconds" "$binary" "$@" > "$out/$name-$seconds.counts"
        cp "$(ls -t "$bench_dir"/.work/logs/callgrind.translated-*.out | head -1)" "$out/$name-$seconds.out"
    done
    python3 - "$out/$name" "$name" <<'PY'
import re, subprocess, sys
from collections import Counter
stem, name = sys.argv[1], sys.argv[2]
def by_object(seconds):
    # Self cost per function, summed by the object named after it; Swift's retains and releases apart.
    annotated = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", f"{stem}-{seconds}.out"],
                               capture_output=True, text=True, check=True).stdout
    costs = Counter()
    for line in annotated.splitlines():
        match = re.match(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)", line)
        if not match or match.group(2).startswith("PROGRAM TOTALS"):
            continue
        function = match.group(2)
        obj = re.search(r"\[([^\]]*)\]\s*$", function)
        key = obj.group(1).rsplit("/", 1)[-1] if obj else "?"
        if re.search(r"swift_(retain|release)\b", function):
            key = "Swift retain/release"
        costs[key] += int(match.group(1).replace(",", ""))
    return costs
requests = {s: int(open(f"{stem}-{s}.counts").read().split()[0]) for s in (3, 9)}
short, long = by_object(3), by_object(9)
extra = requests[9] - requests[3]
print(f"{name}: instructions per request by object ({requests[3]} and {requests[9]} requests)")
for key in sorted(set(short) | set(long), key=lambda k: short[k] - long[k]):
    per = (long[key] - short[key]) / extra
    if abs(per) >= 1:
        print(f"  {per:9.0f}  {key}")
PY
}
