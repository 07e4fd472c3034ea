#!/usr/bin/env bash
# What metrics and tracing cost per translated request (Benchmarks/RESULTS.md, "Metrics and tracing"):
# the translated control-center scenario under callgrind, whose instruction counts repeat on a noisy
# machine, for a gateway built without them (BASELINE_BIN) and for this one with tracing off, at
# sampleRatio 0.01 and at 1 (spans exported to the upstream nginx, which answers any POST with 200).
# Each variant's cost per request is measured as Benchmarks/marginal_cost.sh describes.
#
#   Benchmarks/telemetry_cost.sh BASELINE_BIN GATEWAY_BIN
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 BASELINE_BIN GATEWAY_BIN" >&2; exit 2; }
# shellcheck source=marginal_cost.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/marginal_cost.sh"
tracing() { echo "observability: {tracing: {otlpEndpoint: \"{upstream}/v1/traces\", sampleRatio: $1}}"; }
run baseline "$1"
run "metrics" "$2"
run "metrics+tracing 0.01" "$2" --gateway-yaml "$(tracing 0.01)"
run "metrics+tracing 1" "$2" --gateway-yaml "$(tracing 1)"
