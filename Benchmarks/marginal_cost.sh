# Functions for the *_cost.sh scripts (sourced, not run): what one more translated request costs the
# gateway, in instructions, from callgrind (whose counts repeat on a noisy machine).
#
# Under valgrind the gateway serves a few hundred requests a second, so the work done once a second
# (the metrics collection, the exporter's timer) would weigh a hundred times more per request than at
# full speed. Each variant is therefore run twice, for 3 and for 9 seconds, and the cost per request is
# the difference of the two totals over the difference of the two request counts: what one more
# request costs, with the per-second work left out (it is reported on its own, per second).
# `run NAME BIN --servers nginx --profile-server nginx` (or nginx-lua) counts the same for the other
# two servers of the translated scenario (Benchmarks/README.md, "Where the time goes").
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
