#!/usr/bin/env bash
# What metrics and tracing cost per translated request (issue "Operations", Benchmarks/RESULTS.md):
# the translated control-center scenario under callgrind, whose instruction counts repeat on a noisy
# machine, for a gateway built without them (BASELINE_BIN) and for this one with tracing off, at
# sampleRatio 0.01 and at 1 (spans exported to the upstream nginx, which answers any POST with 200).
# Each line: instructions per request (callgrind's total over the requests wrk made while it was
# on) and the gateway's CPU µs per request from the unprofiled wrk run before it (noisy; one run).
#
#   Benchmarks/telemetry_cost.sh BASELINE_BIN GATEWAY_BIN
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 BASELINE_BIN GATEWAY_BIN" >&2; exit 2; }
bench_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run() { # name binary [--gateway-yaml line]
    local name=$1 binary=$2
    shift 2
    "$bench_dir/run.sh" --only translated --servers gateway --repeat 1 --duration 5 --profile callgrind \
        --gateway-bin "$binary" --results "$out/$name.md" "$@" > "$out/$name.log" 2>&1
    local requests total cpu
    requests=$(grep -o '5 s, [0-9]* requests' "$out/$name.md" | grep -o '[0-9]* requests' | grep -o '[0-9]*')
    total=$(grep 'PROGRAM TOTALS' "$out/$name.md" | head -1 | awk '{gsub(",", "", $1); print $1}')
    cpu=$(grep -o 'translated cc #1: .*' "$out/$name.log" | grep -o '[0-9.]* CPU µs each' | awk '{print $1}')
    awk -v name="$name" -v requests="$requests" -v total="$total" -v cpu="$cpu" 'BEGIN {
        printf "%-22s %8d requests  %9.0f instructions/request  %6s CPU µs/request (wrk)\n", name, requests, total / requests, cpu }'
}
tracing() { echo "observability: {tracing: {otlpEndpoint: \"{upstream}/v1/traces\", sampleRatio: $1}}"; }
run baseline "$1"
run "metrics" "$2"
run "metrics+tracing 0.01" "$2" --gateway-yaml "$(tracing 0.01)"
run "metrics+tracing 1" "$2" --gateway-yaml "$(tracing 1)"
