#!/usr/bin/env bash
# What the Redis store costs per translated request (Benchmarks/RESULTS.md, "Limits on Redis"): the
# translated control-center scenario under callgrind for GATEWAY_BIN with the bench tenants' rateLimit
# in memory and on a Redis store, each without and with a vendorQuota (which, on Redis, a single change
# decides in the same script as its tenant's limit). Each variant's cost per request is measured as
# Benchmarks/marginal_cost.sh describes. A redis-server of its own runs on a free loopback port for the
# script's duration.
#
#   Benchmarks/store_cost.sh GATEWAY_BIN
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 GATEWAY_BIN" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "store_cost.sh needs redis-server (apt-get install redis-server)" >&2; exit 2; }
# shellcheck source=marginal_cost.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/marginal_cost.sh"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --daemonize yes --pidfile "$out/redis.pid" >/dev/null
trap 'kill "$(cat "$out/redis.pid")" 2>/dev/null; rm -rf "$out"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
store="rateLimit: {store: \"redis://127.0.0.1:$port\", storeTimeoutMilliseconds: 1000}"
quota='vendorQuota: {requests: 1000000, perSeconds: 1}'
run "memory store" "$1"
run "memory store + quota" "$1" --tenant-yaml "$quota"
run "redis store" "$1" --gateway-yaml "$store"
run "redis store + quota" "$1" --gateway-yaml "$store" --tenant-yaml "$quota"
