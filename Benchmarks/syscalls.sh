#!/usr/bin/env bash
# System calls per translated request (Benchmarks/RESULTS.md, "System calls"): the translated
# control-center scenario for GATEWAY_BIN, with strace attached to the gateway for three seconds
# in the middle of the load, divided by the requests the gateway answered meanwhile (its
# `http_server_request_duration_seconds_count`, read from the admin listener at the start and end of
# the window; the calls counted are those that began between the two readings).
# strace slows the gateway down, which changes how many requests a second it serves, not what a
# request costs in calls.
#
#   Benchmarks/syscalls.sh GATEWAY_BIN
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 GATEWAY_BIN" >&2; exit 2; }
command -v strace >/dev/null || { echo "syscalls.sh needs strace (apt-get install strace)" >&2; exit 2; }
bench_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
out=$(mktemp -d)
load=
trap '[ -n "$load" ] && kill "$load" 2>/dev/null; rm -rf "$out"' EXIT

"$bench_dir/run.sh" --only translated --servers gateway --repeat 1 --duration 10 --profile off \
    --gateway-bin "$1" --results "$out/results.md" > "$out/run.log" 2>&1 &
load=$!
config="$bench_dir/.work/gateway-translated.yaml"
gateway=
for _ in $(seq 240); do
    gateway=$(pgrep -f -- "--config $config" | head -1 || true)
    [ -n "$gateway" ] && break
    sleep 0.5
done
[ -n "$gateway" ] || { echo "the gateway did not start; see $out/run.log" >&2; cat "$out/run.log" >&2; exit 1; }
admin=$(sed -n 's/^admin: "\(.*\)"$/\1/p' "$config")
answered() {
    curl -s "http://$admin/metrics" | awk '/^http_server_request_duration_seconds_count/ { sum += $NF } END { print sum + 0 }'
}
sleep 4 # the handshakes are over and the load is steady
strace -f -ttt -qq -p "$gateway" -o "$out/strace.txt" 2>/dev/null &
tracer=$!
sleep 1 # attached to every thread
from=$(date +%s.%N); before=$(answered)
sleep 3
to=$(date +%s.%N); after=$(answered)
kill -INT "$tracer"; wait "$tracer" 2>/dev/null || true
wait "$load" || true
load=
# Calls that began between the two readings, by name; a call another thread interrupted shows as
# "name(… <unfinished …>" and later "<… name resumed> …": its start counts, its end tells failure.
python3 - "$out/strace.txt" "$from" "$to" "$((after - before))" <<'PY'
import collections, re, sys
path, start, end, requests = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
calls, failed = collections.Counter(), collections.Counter()
line_re = re.compile(r"^\d+\s+(\d+\.\d+)\s+(?:<\.\.\. (\w+) resumed>|(\w+)\()(.*)$")
for line in open(path, errors="replace"):
    match = line_re.match(line)
    if not match or not start <= float(match.group(1)) <= end:
        continue
    resumed, name, rest = match.group(2), match.group(3), match.group(4)
    if name:
        calls[name] += 1
    if "<unfinished" not in rest and re.search(r"= -1 E", rest):
        failed[resumed or name] += 1
# The background threads sleeping and waking once a second are not per request.
for name in ("clock_nanosleep", "futex", "restart_syscall"):
    calls.pop(name, None)
for name, count in calls.most_common():
    print(f"{name:16} {count / requests:6.2f} calls/request  ({count} calls, {failed[name]} failed)")
print(f"{sum(calls.values()) / requests:.2f} calls per request in all, over {requests} requests")
PY
