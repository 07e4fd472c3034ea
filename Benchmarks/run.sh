#!/usr/bin/env bash
# Benchmarks the gateway against Debian's nginx, side by side in one run, on loopback.
# What each scenario measures and how to read the numbers: Benchmarks/README.md.
# Results go to Benchmarks/RESULTS.md; everything else (certs, configs, logs, raw tool output) to
# Benchmarks/.work/, which is git-ignored.
set -euo pipefail
shopt -u patsub_replacement 2>/dev/null || true # '&' in a ${x//a/b} replacement stays literal

# The body both servers answer GET /bench with: the gateway's 404 problem document for an unknown path
# (API.md §2 "Errors"), and nginx's `return 404` copy of it. $request_id is nginx's variable; the
# gateway puts its own request id there. If the gateway's body changes, change it here too: the
# "response parity" check compares both servers' answers with requestId blanked out.
PROBLEM_BODY='{"type":"https://switchyard.dev/problems/not-found","title":"Not found","status":404,"detail":"No resource at this path.","code":"not_found","requestId":"$request_id"}'
PROBLEM_CONTENT_TYPE='application/problem+json'
BENCH_PATH=/bench
# The pass-through scenario's upstream (a second nginx, plain HTTP) answers every path with this.
UPSTREAM_BODY='{"ok":true}'
UPSTREAM_CONTENT_TYPE='application/json'
# The translated scenario: the same upstream answers two paths as the vendors do (their documented
# success answers, API.md §3), and the load is one device request per tenant, sent by wrk with
# wrk/device-request.lua. The gateway translates it into the vendor's call and the answer back; nginx
# passes it unchanged to the upstream, whose `location /` answers it with UPSTREAM_BODY.
CC_UPSTREAM_BODY='{"iccid":"8988216716970004975"}'
GATE_UPSTREAM_BODY='{"number":"+1234567890","generic_id":"com.example.app.user123","imei":"123456789012345","imsi":"310120123456789","iccid":"12345678901234567890","username":"john_doe","user_external_id":"ext_user_456","user_class":"gold"}'
# Per request: method, path, body, and the status the gateway answers with (control-center 200
# "applied", gate 201 "registered").
CC_REQUEST_METHOD=PATCH
CC_REQUEST_PATH=/devices/iccid:8988216716970004975
CC_REQUEST_BODY='{"sim":{"status":"ACTIVATED","ratePlan":"Standard 5GB"}}'
CC_EXPECTED_STATUS=200
GATE_REQUEST_METHOD=POST
GATE_REQUEST_PATH=/devices
GATE_REQUEST_BODY='{"imei":"123456789012345","user":{"class":"gold"}}'
GATE_EXPECTED_STATUS=201

usage() {
    cat <<'EOF'
Usage: Benchmarks/run.sh [options]

Loads the gateway and nginx one after the other, with the same certificate and the same 404 answer,
server pinned to one core and load generator to the other; writes Benchmarks/RESULTS.md. The
pass-through scenario does the same with switchyard-passthrough and nginx as reverse proxies in front
of a third, unmeasured nginx. The translated scenario puts the real gateway (token check, rate limit,
translation to control-center's and gate's wire formats, upstream call, translation back) in front of
that upstream, beside nginx passing the same requests unchanged.

  --duration S             seconds per measured load run (default 10)
  --connections N          keep-alive connections for wrk (default 64)
  --newconn-connections N  concurrent connections for the new-connection scenario (default 16)
  --idle-connections N     idle TLS connections for the memory scenario (default 10000; the
                           gateway's limits.maxConnections and nginx's worker_connections are
                           raised to fit; --idle-count is the same option)
  --only LIST              keepalive, newconn, idle, passthrough, translated, comma-separated
                           (default: all five)
  --servers LIST           gateway, nginx, comma-separated (default: both); in the pass-through
                           scenario "gateway" is switchyard-passthrough; in the translated one,
                           the gateway with two tenants and nginx as a reverse proxy
  --workers N              gateway `workers` and nginx `worker_processes` (default 1)
  --server-cpus LIST       taskset CPU list for the servers (default 0)
  --client-cpus LIST       taskset CPU list for the load generators (default 1)
  --warmup S               unmeasured load before each measured run (default 2)
  --repeat N               measured runs per server in the load scenarios, alternating servers;
                           the report gives medians (default 3)
  --no-build               use the existing release build instead of `swift build -c release`
  --gateway-bin PATH       benchmark this gateway binary (implies --no-build)
  --passthrough-bin PATH   use this switchyard-passthrough binary (implies --no-build; default
                           .build/release/switchyard-passthrough)
  --gateway-yaml LINE      extra top-level line for the gateway's config (repeatable)
  --profile WHAT           translated scenario: where the gateway's time goes, from one extra,
                           unmeasured control-center run: perf (perf record -g), callgrind
                           (valgrind --tool=callgrind, a short run), off; default auto: perf if it
                           can record here, else callgrind if valgrind is installed, else off
  --results FILE           where to write the report (default Benchmarks/RESULTS.md)
  --check-handshakes       only count TLS handshakes and resumptions per client tool against nginx
                           (how the new-connection tool was chosen), then exit
  -h, --help               this text
EOF
}

die() { echo "run.sh: $*" >&2; exit 1; }
log() { printf '\n== %s\n' "$*" >&2; }
note() { printf '   %s\n' "$*" >&2; }

bench_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd -- "$bench_dir/.." && pwd)
work="$bench_dir/.work"
command_line="Benchmarks/run.sh"
for a in "$@"; do command_line+=" $(printf '%q' "$a")"; done

duration=10
connections=64
newconn_connections=16
idle_count=10000
only="keepalive,newconn,idle,passthrough,translated"
servers="gateway,nginx"
workers=1
server_cpus=0
client_cpus=1
warmup=2
repeat=3
build=1
results="$bench_dir/RESULTS.md"
check_handshakes=0
gateway_yaml=()
gateway_bin=""
passthrough_bin=""
profile=auto

need_arg() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value (see --help)"; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --duration)            need_arg "$@"; duration=$2; shift 2 ;;
        --connections)         need_arg "$@"; connections=$2; shift 2 ;;
        --newconn-connections) need_arg "$@"; newconn_connections=$2; shift 2 ;;
        --idle-connections|--idle-count) need_arg "$@"; idle_count=$2; shift 2 ;;
        --only)                need_arg "$@"; only=$2; shift 2 ;;
        --servers)             need_arg "$@"; servers=$2; shift 2 ;;
        --workers)             need_arg "$@"; workers=$2; shift 2 ;;
        --server-cpus)         need_arg "$@"; server_cpus=$2; shift 2 ;;
        --client-cpus)         need_arg "$@"; client_cpus=$2; shift 2 ;;
        --warmup)              need_arg "$@"; warmup=$2; shift 2 ;;
        --repeat)              need_arg "$@"; repeat=$2; shift 2 ;;
        --gateway-yaml)        need_arg "$@"; gateway_yaml+=("$2"); shift 2 ;;
        --profile)             need_arg "$@"; profile=$2; shift 2 ;;
        --results)             need_arg "$@"; results=$2; shift 2 ;;
        --no-build)            build=0; shift ;;
        --gateway-bin)         need_arg "$@"; gateway_bin=$2; build=0; shift 2 ;;
        --passthrough-bin)     need_arg "$@"; passthrough_bin=$2; build=0; shift 2 ;;
        --check-handshakes)    check_handshakes=1; shift ;;
        -h|--help)             usage; exit 0 ;;
        *)                     die "unknown argument $1 (see --help)" ;;
    esac
done

for n in duration connections newconn_connections idle_count workers warmup repeat; do
    [[ "${!n}" =~ ^[0-9]+$ ]] || die "--${n//_/-} must be a whole number"
done
(( duration >= 1 && connections >= 1 && newconn_connections >= 1 && idle_count >= 1 && workers >= 1 && repeat >= 1 )) \
    || die "--duration, --connections, --newconn-connections, --idle-connections, --workers and --repeat must be at least 1"
has() { [[ ",$1," == *",$2,"* ]]; }
for s in ${only//,/ }; do [[ $s =~ ^(keepalive|newconn|idle|passthrough|translated)$ ]] || die "--only: unknown scenario '$s'"; done
[[ $profile =~ ^(auto|perf|callgrind|off)$ ]] || die "--profile: one of auto, perf, callgrind, off"
# gateway_scenarios: the three that load the gateway with no tenants (GET /bench, 404), whose answers
# the "response parity" section compares. The pass-through scenario runs its own binary; the
# translated one runs the gateway too, with its own configuration.
gateway_scenarios=0
for s in keepalive newconn idle; do has "$only" "$s" && gateway_scenarios=1; done
need_gateway=$gateway_scenarios
has "$only" translated && need_gateway=1
for s in ${servers//,/ }; do [[ $s =~ ^(gateway|nginx)$ ]] || die "--servers: unknown server '$s'"; done

# --- prerequisites -----------------------------------------------------------------------------------
missing=()
for tool in openssl curl wrk python3 cc taskset; do command -v "$tool" >/dev/null || missing+=("$tool"); done
{ has "$servers" nginx || has "$only" passthrough || has "$only" translated; } && ! command -v nginx >/dev/null && missing+=(nginx)
(( ${#missing[@]} == 0 )) || die "missing: ${missing[*]} (Debian: apt-get install nginx wrk curl python3 gcc libssl-dev util-linux)"
[[ -f /usr/include/openssl/ssl.h ]] || die "OpenSSL headers missing (apt-get install libssl-dev)"

pin_server=(taskset -c "$server_cpus")
pin_client=(taskset -c "$client_cpus")
if (( $(nproc) < 2 )); then
    note "only $(nproc) CPU: servers and load generators share it, numbers are not comparable to a 2-core run"
    pin_server=()
    pin_client=()
fi
clk_tck=$(getconf CLK_TCK)
# Open files for the servers: 65536, or the hard limit where this user may not raise it (a root
# without CAP_SYS_RESOURCE, as in some containers, cannot either).
nofile=$( (ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; ulimit -n) )
[[ "$nofile" == unlimited ]] && nofile=65536
(( nofile >= idle_count + 100 )) || die "open-file limit $nofile is too low for --idle-connections $idle_count; raise ulimit -Hn"
# Room for the idle connections on both servers, never below either one's own default: the gateway's
# limits.maxConnections (default 10000; at the cap it stops accepting and connections wait in the
# backlog) and nginx's worker_connections (16384 here; a connection past it is closed at once).
gateway_max_connections=$(( idle_count + 1000 > 10000 ? idle_count + 1000 : 10000 ))
nginx_worker_connections=$(( idle_count + 1024 > 16384 ? idle_count + 1024 : 16384 ))

mkdir -p "$work"/{logs,bin,responses}
: >"$work/logs/gateway.log" # appended to by every server start in this run, so it measures this run
: >"$work/logs/nginx.out"
children=()

# Stops what this script started, and nothing else: the pids it recorded and their descendants.
descendants() {
    local p=$1 c
    echo "$p"
    for c in $(pgrep -P "$p" 2>/dev/null || true); do descendants "$c"; done
}
stop_pid() {
    local pid=$1 tree i
    kill -0 "$pid" 2>/dev/null || return 0
    tree=$(descendants "$pid")
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    # shellcheck disable=SC2086
    kill -KILL $tree 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local pid
    for pid in "${children[@]+"${children[@]}"}"; do stop_pid "$pid"; done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Ports: bound together then released, so they all differ; a race with another program is possible
# but would show as a failed start, not as wrong numbers.
read -r gateway_port admin_port nginx_port passthrough_port proxy_port upstream_port upstream_status_port < <(python3 - <<'EOF'
import socket
socks = []
for _ in range(7):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(*(s.getsockname()[1] for s in socks))
EOF
)

# --- per-process accounting --------------------------------------------------------------------------
# utime + stime (fields 14 and 15 of /proc/PID/stat, in clock ticks) over the server's process tree;
# the fields are counted after the ')' that ends the command name, which may contain spaces.
cpu_ticks() {
    local total=0 p s f
    for p in $(descendants "$1"); do
        s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        s=${s##*) }
        read -r -a f <<<"$s"
        total=$(( total + f[11] + f[12] ))
    done
    echo "$total"
}
rss_kib() {
    local total=0 p v
    for p in $(descendants "$1"); do
        v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
        total=$(( total + ${v:-0} ))
    done
    echo "$total"
}
now_s() { date +%s.%N; }
# Steal and total ticks of the server's CPUs from /proc/stat: how much of the time the hypervisor
# gave those CPUs to someone else. Process CPU time excludes steal; wall-clock rates do not.
server_cpu_ids=$(python3 -c 'import sys
ids = set()
for part in sys.argv[1].split(","):
    a, _, b = part.partition("-")
    ids.update(range(int(a), int(b or a) + 1))
print(" ".join(f"cpu{i}" for i in sorted(ids)))' "$server_cpus")
steal_ticks() { # -> "steal total"
    awk -v ids=" $server_cpu_ids " 'index(ids, " " $1 " ") {
        for (i = 2; i <= NF; i++) total += $i; steal += $9 }
        END { print steal + 0, total + 0 }' /proc/stat
}
calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }

# --- build and inputs ------------------------------------------------------------------------------------
if [[ ! -x "$work/bin/tls_newconn" || "$bench_dir/tls_newconn.c" -nt "$work/bin/tls_newconn" ]]; then
    cc -O2 -Wall -o "$work/bin/tls_newconn" "$bench_dir/tls_newconn.c" -lssl -lcrypto
fi
"$repo_root/certs/make-dev-certs.sh" --out "$work/certs" >"$work/logs/certs.log"
cert="$work/certs/server.crt"
key="$work/certs/server.key"
cafile="$work/certs/ca.crt"

if has "$servers" gateway && (( need_gateway && ! check_handshakes )); then
    if (( build )); then
        log "swift build -c release --product switchyard"
        (cd "$repo_root" && swift build -c release --product switchyard) >&2
    fi
    [[ -n "$gateway_bin" ]] || gateway_bin="$(cd "$repo_root" && swift build -c release --show-bin-path)/switchyard"
    [[ -x "$gateway_bin" ]] || die "no gateway binary at $gateway_bin (drop --no-build, or use --servers nginx)"
    gateway_bin=$(cd -- "$(dirname -- "$gateway_bin")" && pwd)/$(basename -- "$gateway_bin")
else
    gateway_bin=""
fi
if has "$servers" gateway && has "$only" passthrough && (( ! check_handshakes )); then
    if (( build )); then
        log "swift build -c release --product switchyard-passthrough"
        (cd "$repo_root" && swift build -c release --product switchyard-passthrough) >&2
    fi
    [[ -n "$passthrough_bin" ]] || passthrough_bin="$repo_root/.build/release/switchyard-passthrough"
    [[ -x "$passthrough_bin" ]] || die "no switchyard-passthrough binary at $passthrough_bin (check --passthrough-bin, drop --no-build, or leave passthrough out of --only)"
    passthrough_bin=$(cd -- "$(dirname -- "$passthrough_bin")" && pwd)/$(basename -- "$passthrough_bin")
else
    passthrough_bin=""
fi

render_template() { # TEMPLATE NAME=VALUE...
    local text kv
    text=$(<"$1"); shift
    for kv in "$@"; do text=${text//"@${kv%%=*}@"/"${kv#*=}"}; done
    if grep -v '^[[:space:]]*#' <<<"$text" | grep -qE '@[A-Z_]+@'; then
        die "$1: placeholders left: $(grep -v '^[[:space:]]*#' <<<"$text" | grep -oE '@[A-Z_]+@' | sort -u | tr '\n' ' ')"
    fi
    printf '%s\n' "$text"
}

write_nginx_conf() { # ACCESS_LOG
    mkdir -p "$work/nginx/tmp"
    render_template "$bench_dir/nginx/nginx.conf.template" \
        "PREFIX=$work/nginx" "WORKERS=$workers" "PORT=$nginx_port" "CERTIFICATE=$cert" \
        "PRIVATE_KEY=$key" "PROBLEM_BODY=$PROBLEM_BODY" "ACCESS_LOG=$1" "NOFILE=$nofile" \
        "WORKER_CONNECTIONS=$nginx_worker_connections" >"$work/nginx/nginx.conf"
}

write_upstream_conf() {
    mkdir -p "$work/upstream/tmp"
    render_template "$bench_dir/nginx/upstream.conf.template" \
        "PREFIX=$work/upstream" "PORT=$upstream_port" "STATUS_PORT=$upstream_status_port" \
        "BODY=$UPSTREAM_BODY" "CC_BODY=$CC_UPSTREAM_BODY" "GATE_BODY=$GATE_UPSTREAM_BODY" \
        "NOFILE=$nofile" >"$work/upstream/nginx.conf"
}

write_proxy_conf() {
    mkdir -p "$work/nginx-proxy/tmp"
    render_template "$bench_dir/nginx/proxy.conf.template" \
        "PREFIX=$work/nginx-proxy" "WORKERS=$workers" "PORT=$proxy_port" "CERTIFICATE=$cert" \
        "PRIVATE_KEY=$key" "UPSTREAM_PORT=$upstream_port" "NOFILE=$nofile" "POOL=$connections" \
        >"$work/nginx-proxy/nginx.conf"
}

write_gateway_conf() {
    decide_access_log
    {
        echo "# Written by Benchmarks/run.sh; see Benchmarks/README.md. No tenants: GET $BENCH_PATH is an unknown path."
        echo "listen: \"127.0.0.1:$gateway_port\""
        echo "tls: {certificate: \"$cert\", privateKey: \"$key\"}"
        echo "admin: \"127.0.0.1:$admin_port\""
        echo "workers: $workers"
        echo "# Idle connections are held for the memory scenario; nothing may time them out meanwhile,"
        echo "# and the connection cap leaves room for all of them (--idle-connections + 1000, at least 10000)."
        echo "limits: {headerTimeoutSeconds: 300, idleTimeoutSeconds: 300, maxConnections: $gateway_max_connections}"
        echo "tenants: {}"
        access_log_line
        local line
        for line in "${gateway_yaml[@]+"${gateway_yaml[@]}"}"; do echo "$line"; done
    } >"$work/gateway.yaml"
}

# Both gateway configurations say `accessLog: off`, as nginx has `access_log off`, unless a --gateway-yaml
# line sets accessLog, or the gateway predates the key (which `switchyard check` tells; asked once).
gateway_access_log=unknown
decide_access_log() {
    if [[ "$gateway_access_log" == unknown ]]; then
        gateway_access_log="accessLog: off"
        local line out
        for line in "${gateway_yaml[@]+"${gateway_yaml[@]}"}"; do [[ "$line" == accessLog:* ]] && gateway_access_log=""; done
        if [[ -n "$gateway_bin" && -n "$gateway_access_log" ]]; then
            printf 'tls: {certificate: "%s", privateKey: "%s"}\n%s\n' "$cert" "$key" "$gateway_access_log" >"$work/access-log-probe.yaml"
            if ! out=$("$gateway_bin" check --config "$work/access-log-probe.yaml" 2>&1) && grep -q accessLog <<<"$out"; then
                note "this gateway does not know accessLog; its configurations go without it"
                gateway_access_log=""
            fi
        fi
    fi
}
access_log_line() { [[ -z "$gateway_access_log" ]] || echo "$gateway_access_log"; }

# The translated scenario's gateway: two tenants, control-center and gate, both pointing at the upstream
# nginx over plain HTTP to loopback (allowed there, API.md §4), an HS256 secret made up for this run, and
# rate limits no load here can reach. The vendor credentials are dummies: the upstream checks none.
write_translated_conf() {
    decide_access_log
    write_translated_yaml "$(openssl rand -hex 32)"
}
write_translated_yaml() { # secret
    local line
    (
        umask 077
        {
            echo "# Written by Benchmarks/run.sh for the translated scenario; see Benchmarks/README.md."
            echo "listen: \"127.0.0.1:$gateway_port\""
            echo "tls: {certificate: \"$cert\", privateKey: \"$key\"}"
            echo "admin: \"127.0.0.1:$admin_port\""
            echo "workers: $workers"
            echo "limits: {headerTimeoutSeconds: 300, idleTimeoutSeconds: 300}"
            echo "auth:"
            echo "  jwt: {hs256Secret: \"$1\"}"
            access_log_line
            echo "tenants:"
            echo "  cc:"
            echo "    vendor: control-center"
            echo "    upstream: \"http://127.0.0.1:$upstream_port\""
            echo "    credentials: {username: bench-user, apiKey: bench-api-key}"
            echo "    rateLimit: {requests: 1000000, perSeconds: 1}"
            echo "  gate:"
            echo "    vendor: gate"
            echo "    upstream: \"http://127.0.0.1:$upstream_port/api/v1\""
            echo "    credentials: {token: bench-gate-token}"
            echo "    rateLimit: {requests: 1000000, perSeconds: 1}"
            for line in "${gateway_yaml[@]+"${gateway_yaml[@]}"}"; do echo "$line"; done
        } >"$work/gateway-translated.yaml"
    )
}

# --- servers --------------------------------------------------------------------------------------------
server_pid=""
server_port=""

start_server() { # gateway|nginx [gateway configuration, else .work/gateway.yaml written afresh]
    local name=$1 i code
    case "$name" in
        nginx)
            write_nginx_conf off
            rm -f "$work/nginx/nginx.pid"
            (ulimit -n "$nofile"
             exec "${pin_server[@]}" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log") \
                >>"$work/logs/nginx.out" 2>&1 &
            server_pid=$!
            server_port=$nginx_port
            ;;
        gateway)
            local config=${2:-}
            [[ -n "$config" ]] || { write_gateway_conf; config="$work/gateway.yaml"; }
            (ulimit -n "$nofile"
             cd "$repo_root" && exec "${pin_server[@]}" "$gateway_bin" serve --config "$config") \
                >>"$work/logs/gateway.log" 2>&1 &
            server_pid=$!
            server_port=$gateway_port
            ;;
    esac
    children+=("$server_pid")
    for i in $(seq 1 300); do # up to 30 s
        kill -0 "$server_pid" 2>/dev/null || die "$name exited at start; see $work/logs/"
        code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 "https://127.0.0.1:$server_port$BENCH_PATH" || true)
        [[ "$code" != 000 ]] && return 0
        sleep 0.1
    done
    die "$name did not answer on 127.0.0.1:$server_port within 30 s; see $work/logs/"
}

# Stops one process this script started and forgets it.
stop_child() { # PID
    stop_pid "$1"
    local keep=() p
    for p in "${children[@]}"; do [[ "$p" == "$1" ]] || keep+=("$p"); done
    children=("${keep[@]+"${keep[@]}"}")
}

stop_server() {
    stop_child "$server_pid"
    server_pid=""
}

# --- the pass-through scenario's upstream and proxies ------------------------------------------------------
# The upstream nginx is shared infrastructure: started once for the scenario, pinned with the load
# generators, never measured. The proxies reuse server_pid/server_port, so stop_server stops them.
upstream_pid=""

start_upstream() {
    local i
    write_upstream_conf
    rm -f "$work/upstream/nginx.pid"
    (ulimit -n "$nofile"
     exec "${pin_client[@]}" nginx -p "$work/upstream" -c "$work/upstream/nginx.conf" -e "$work/upstream/error.log") \
        >>"$work/logs/upstream.out" 2>&1 &
    upstream_pid=$!
    children+=("$upstream_pid")
    for i in $(seq 1 300); do # up to 30 s
        kill -0 "$upstream_pid" 2>/dev/null || die "the upstream nginx exited at start; see $work/upstream/error.log"
        upstream_status >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "the upstream nginx did not answer on 127.0.0.1:$upstream_status_port within 30 s; see $work/upstream/error.log"
}

stop_upstream() {
    stop_child "$upstream_pid"
    upstream_pid=""
}

# The upstream's stub_status counters: "accepts requests". Each call is itself one connection and one
# request, counted in the figures it returns.
upstream_status() {
    curl -sf --max-time 5 "http://127.0.0.1:$upstream_status_port/status" \
        | awk 'NR == 3 && NF == 3 { print $1, $3; ok = 1 } END { exit !ok }'
}

start_proxy() { # gateway|nginx repetition
    local name=$1 i code
    case "$name" in
        nginx)
            write_proxy_conf
            rm -f "$work/nginx-proxy/nginx.pid"
            (ulimit -n "$nofile"
             exec "${pin_server[@]}" nginx -p "$work/nginx-proxy" -c "$work/nginx-proxy/nginx.conf" -e "$work/nginx-proxy/error.log") \
                >>"$work/logs/nginx-proxy.out" 2>&1 &
            server_pid=$!
            server_port=$proxy_port
            ;;
        gateway)
            # Its own output file per run: the line it prints on SIGTERM has the upstream counts.
            (ulimit -n "$nofile"
             cd "$repo_root" && exec "${pin_server[@]}" "$passthrough_bin" "$passthrough_port" "$cert" "$key" \
                127.0.0.1 "$upstream_port" "$workers" "$connections") \
                >"$work/logs/passthrough-gateway-$2.out" 2>&1 &
            server_pid=$!
            server_port=$passthrough_port
            ;;
    esac
    children+=("$server_pid")
    for i in $(seq 1 300); do # up to 30 s
        kill -0 "$server_pid" 2>/dev/null || die "$(proxy_label "$name") exited at start; see $work/logs/"
        code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 "https://127.0.0.1:$server_port$BENCH_PATH" || true)
        [[ "$code" != 000 ]] && return 0
        sleep 0.1
    done
    die "$(proxy_label "$name") did not answer on 127.0.0.1:$server_port within 30 s; see $work/logs/"
}

proxy_label() { [[ "$1" == gateway ]] && echo switchyard-passthrough || echo "$1"; }

# --- response parity ---------------------------------------------------------------------------------------
declare -A R # results: R[scenario.server.key]=value
parity_warnings=()
passthrough_warnings=()

check_response() { # server
    local name=$1 out="$work/responses/$1"
    curl -s --max-time 10 --http1.1 --cacert "$cafile" --resolve "localhost:$server_port:127.0.0.1" \
        -H 'Accept: application/json' -D "$out.headers" -o "$out.body" \
        "https://localhost:$server_port$BENCH_PATH" || die "$name: GET $BENCH_PATH failed"
    R[resp.$name.status]=$(awk 'NR==1 { print $2 }' "$out.headers")
    R[resp.$name.type]=$(awk -F': *' 'tolower($1)=="content-type" { sub(/\r$/, "", $2); print $2 }' "$out.headers")
    R[resp.$name.header_bytes]=$(wc -c <"$out.headers")
    R[resp.$name.body_bytes]=$(wc -c <"$out.body")
    sed 's/"requestId":"[^"]*"/"requestId":"*"/' "$out.body" >"$out.normalized"
    R[resp.$name.request_id_header]=$(grep -ci '^x-request-id:' "$out.headers" || true)
    local session
    session=$(timeout --foreground 10 openssl s_client -connect "127.0.0.1:$server_port" -servername localhost \
        -CAfile "$cafile" -verify_return_error </dev/null 2>&1 || true)
    R[resp.$name.tls]="$(sed -n 's/^New, \(.*\), Cipher is \(.*\)/\1 \2/p' <<<"$session" | head -1)$(sed -n 's/^\(Server \)\{0,1\}Temp Key: \([^,]*\).*/, \2/p' <<<"$session" | head -1)"
    grep -q 'Verify return code: 0 (ok)' <<<"$session" \
        || parity_warnings+=("$name: openssl s_client could not verify the certificate against the dev CA")
    local expected
    expected=$(sed 's/"requestId":"[^"]*"/"requestId":"*"/' <<<"$PROBLEM_BODY")
    if [[ "${R[resp.$name.status]}" != 404 ]]; then
        parity_warnings+=("$name answers GET $BENCH_PATH with ${R[resp.$name.status]}, not 404: the comparison is not like for like")
    fi
    if [[ "${R[resp.$name.type]}" != "$PROBLEM_CONTENT_TYPE" ]]; then
        parity_warnings+=("$name's Content-Type is '${R[resp.$name.type]}', not $PROBLEM_CONTENT_TYPE")
    fi
    if [[ "$(<"$out.normalized")" != "$expected" ]]; then
        parity_warnings+=("$name's body differs from PROBLEM_BODY in run.sh (requestId aside): $(head -c 300 "$out.body")")
    fi
    if [[ "${R[resp.$name.request_id_header]}" == 0 ]]; then
        parity_warnings+=("$name sends no X-Request-Id header")
    fi
}

check_proxy_response() { # proxy
    local name=$1 label out="$work/responses/passthrough-$1"
    label=$(proxy_label "$name")
    curl -s --max-time 10 --http1.1 --cacert "$cafile" --resolve "localhost:$server_port:127.0.0.1" \
        -H 'Accept: application/json' -D "$out.headers" -o "$out.body" \
        "https://localhost:$server_port$BENCH_PATH" || die "$label: GET $BENCH_PATH failed"
    R[presp.$name.status]=$(awk 'NR==1 { print $2 }' "$out.headers")
    R[presp.$name.type]=$(awk -F': *' 'tolower($1)=="content-type" { sub(/\r$/, "", $2); print $2 }' "$out.headers")
    R[presp.$name.header_bytes]=$(wc -c <"$out.headers")
    R[presp.$name.body_bytes]=$(wc -c <"$out.body")
    if [[ "${R[presp.$name.status]}" != 200 ]]; then
        passthrough_warnings+=("$label answers GET $BENCH_PATH with ${R[presp.$name.status]}, not the upstream's 200: $(head -c 300 "$out.body")")
    fi
    if [[ "${R[presp.$name.type]}" != "$UPSTREAM_CONTENT_TYPE" ]]; then
        passthrough_warnings+=("$label's Content-Type is '${R[presp.$name.type]}', not the upstream's $UPSTREAM_CONTENT_TYPE")
    fi
    if [[ "$(<"$out.body")" != "$UPSTREAM_BODY" ]]; then
        passthrough_warnings+=("$label's body is not the upstream's $UPSTREAM_BODY: $(head -c 300 "$out.body")")
    fi
}

# --- scenarios ---------------------------------------------------------------------------------------------
to_ms() { # wrk's "1.23ms" / "456.00us" / "1.02s" / "1.5m"
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
        else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
        else print "?" }'
}

record_cpu() { # key ticks_before ticks_after t_before t_after requests steal_before steal_after
    local k=$1 dt=$(( $3 - $2 )) wall
    wall=$(calc "$5 - $4" 3)
    local s0 s1 a0 a1
    read -r s0 a0 <<<"$7"
    read -r s1 a1 <<<"$8"
    R[$k.steal]=$(calc "($s1 - $s0) * 100 / (($a1 - $a0) > 0 ? ($a1 - $a0) : 1)" 0)
    R[$k.cpu_us]=$(calc "$dt * 1000000 / $clk_tck / ($6 > 0 ? $6 : 1)" 1)
    R[$k.cpu_use]=$(calc "$dt * 100 / $clk_tck / $wall" 0)
}

# One wrk run's figures under R[KEY.*]: requests, rps, p50, p99 (ms), socket errors, non-2xx answers.
record_wrk() { # key wrk-output-file
    local k=$1 out=$2 requests non2xx
    requests=$(awk '/ requests in / { print $1 }' "$out")
    R[$k.requests]=${requests:-0}
    R[$k.rps]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
    R[$k.p50]=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
    R[$k.p99]=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
    R[$k.errors]=$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$out")
    R[$k.errors]=${R[$k.errors]:-0}
    non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
    R[$k.non2xx]=${non2xx:-0}
}

# The upstream's view of a run, for any proxy: its stub_status counters ("accepts requests") moved by
# the run, less the status request itself.
record_upstream_seen() { # key before after
    local a0 q0 a1 q1
    read -r a0 q0 <<<"$2"
    read -r a1 q1 <<<"$3"
    R[$1.seen_conns]=$(( a1 - a0 - 1 ))
    R[$1.seen_requests]=$(( q1 - q0 - 1 ))
}

run_keepalive() { # server repetition
    local name=$1 out="$work/logs/keepalive-$1-$2.txt" c0 c1 t0 t1 st0 st1
    start_server "$name"
    check_response "$name"
    local wrk_cmd=(wrk -t1 "-c$connections" --latency -H 'Accept: application/json' "https://127.0.0.1:$server_port$BENCH_PATH")
    if (( warmup > 0 )); then
        timeout --foreground $(( warmup + 30 )) "${pin_client[@]}" "${wrk_cmd[@]}" "-d${warmup}s" >/dev/null
    fi
    st0=$(steal_ticks); c0=$(cpu_ticks "$server_pid"); t0=$(now_s)
    timeout --foreground $(( duration + 60 )) "${pin_client[@]}" "${wrk_cmd[@]}" "-d${duration}s" >"$out"
    c1=$(cpu_ticks "$server_pid"); t1=$(now_s); st1=$(steal_ticks)
    stop_server
    local k="keepalive.$name.$2"
    record_wrk "$k" "$out"
    R[$k.non404]=$(( ${R[$k.requests]} - ${R[$k.non2xx]} ))
    record_cpu "$k" "$c0" "$c1" "$t0" "$t1" "${R[$k.requests]}" "$st0" "$st1"
    note "$name keep-alive #$2: ${R[$k.rps]} req/s, p50 ${R[$k.p50]} ms, p99 ${R[$k.p99]} ms, ${R[$k.cpu_us]} CPU µs/req, server CPU ${R[$k.cpu_use]}%, steal ${R[$k.steal]}%"
}

# Through a proxy to the upstream: the keep-alive load, with CPU counted on the proxy only, and the
# upstream connections it opened for the requests it passed on.
run_passthrough() { # proxy repetition
    local name=$1 label out="$work/logs/passthrough-$1-$2.txt" c0 c1 t0 t1 st0 st1 u0 u1
    label=$(proxy_label "$name")
    u0=$(upstream_status) || die "could not read the upstream nginx's stub_status"
    start_proxy "$name" "$2"
    check_proxy_response "$name"
    local wrk_cmd=(wrk -t1 "-c$connections" --latency -H 'Accept: application/json' "https://127.0.0.1:$server_port$BENCH_PATH")
    if (( warmup > 0 )); then
        timeout --foreground $(( warmup + 30 )) "${pin_client[@]}" "${wrk_cmd[@]}" "-d${warmup}s" >/dev/null
    fi
    st0=$(steal_ticks); c0=$(cpu_ticks "$server_pid"); t0=$(now_s)
    timeout --foreground $(( duration + 60 )) "${pin_client[@]}" "${wrk_cmd[@]}" "-d${duration}s" >"$out"
    c1=$(cpu_ticks "$server_pid"); t1=$(now_s); st1=$(steal_ticks)
    stop_server
    u1=$(upstream_status) || die "could not read the upstream nginx's stub_status"
    local k="passthrough.$name.$2"
    record_wrk "$k" "$out"
    R[$k.non200]=${R[$k.non2xx]}
    record_cpu "$k" "$c0" "$c1" "$t0" "$t1" "${R[$k.requests]}" "$st0" "$st1"
    record_upstream_seen "$k" "$u0" "$u1"
    if [[ "$name" == gateway ]]; then
        local line
        line=$(grep '^upstream requests=' "$work/logs/passthrough-gateway-$2.out" | tail -1 || true)
        if [[ -n "$line" ]]; then
            R[$k.up_requests]=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$line")
            R[$k.up_opened]=$(sed -n 's/.*connectionsOpened=\([0-9]*\).*/\1/p' <<<"$line")
            R[$k.up_reused]=$(sed -n 's/.*connectionsReused=\([0-9]*\).*/\1/p' <<<"$line")
        else
            passthrough_warnings+=("switchyard-passthrough run $2 printed no upstream counts on SIGTERM (see .work/logs/passthrough-gateway-$2.out)")
        fi
    else
        R[$k.up_requests]=${R[$k.seen_requests]}
        R[$k.up_opened]=${R[$k.seen_conns]}
        R[$k.up_reused]=$(( R[$k.seen_requests] - R[$k.seen_conns] ))
    fi
    note "$label pass-through #$2: ${R[$k.rps]} req/s, p50 ${R[$k.p50]} ms, p99 ${R[$k.p99]} ms, ${R[$k.cpu_us]} CPU µs/req, proxy CPU ${R[$k.cpu_use]}%, steal ${R[$k.steal]}%, upstream: ${R[$k.up_requests]:-?} requests on ${R[$k.up_opened]:-?} connections (${R[$k.up_reused]:-?} reused; upstream saw ${R[$k.seen_requests]} on ${R[$k.seen_conns]}), wrk errors ${R[$k.errors]}, non-2xx ${R[$k.non200]}"
}

# --- the translated scenario ----------------------------------------------------------------------------------
# The gateway's whole path for one device request (token check, tenant rate limit, the adapter's
# translation, the upstream call, the answer translated back) next to nginx passing the same request
# unchanged. Both in front of the pass-through scenario's upstream nginx; wrk sends the requests with
# wrk/device-request.lua. The gateway runs as `switchyard serve` with .work/gateway-translated.yaml.
declare -A TOKENS # request (cc|gate) -> bearer token
translated_warnings=()
translated_requests=(cc gate)

translated_label() { [[ "$1" == gateway ]] && echo "gateway (switchyard serve)" || echo "nginx (proxy, unchanged)"; }
request_label() { [[ "$1" == cc ]] && echo "control-center" || echo "gate"; }
# CC_REQUEST_METHOD etc. for "cc METHOD"
request_field() { local v="${1^^}_$2"; printf '%s' "${!v}"; }
warn_translated() { # message, once
    local w
    for w in "${translated_warnings[@]+"${translated_warnings[@]}"}"; do [[ "$w" == "$1" ]] && return 0; done
    translated_warnings+=("$1")
}

# One token per tenant from the gateway's own minter, valid for the whole run. With nginx alone (no
# gateway binary) a token of the same form is made here, so nginx still gets the same header.
mint_tokens() {
    local t
    for t in "${translated_requests[@]}"; do
        if [[ -n "$gateway_bin" ]]; then
            TOKENS[$t]=$("$gateway_bin" token --config "$work/gateway-translated.yaml" --tenant "$t" \
                --scope devices:write --ttl 86400) || die "switchyard token --tenant $t failed"
        else
            TOKENS[$t]=$(python3 - "$t" <<'PY'
import base64, hashlib, hmac, json, os, sys, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")
now = int(time.time())
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
body = b64(json.dumps({"tenant": sys.argv[1], "scope": "devices:write", "iat": now, "exp": now + 86400},
                      separators=(",", ":")).encode())
sig = b64(hmac.new(os.urandom(32), head + b"." + body, hashlib.sha256).digest())
print((head + b"." + body + b"." + sig).decode())
PY
)
        fi
    done
}

# wrk with the scenario's request: REQUEST SECONDS, output on stdout.
translated_wrk() {
    local req=$1 seconds=$2
    DEVICE_METHOD=$(request_field "$req" REQUEST_METHOD) DEVICE_PATH=$(request_field "$req" REQUEST_PATH) \
    DEVICE_BODY=$(request_field "$req" REQUEST_BODY) BENCH_TOKEN=${TOKENS[$req]} \
        timeout --foreground $(( seconds + 30 )) "${pin_client[@]}" wrk -t1 "-c${3:-$connections}" --latency \
        -s "$bench_dir/wrk/device-request.lua" "https://127.0.0.1:$server_port" "-d${seconds}s"
}

# The answer to one request, before the load: the gateway must answer with the vendor's success
# status and a JSON device document, nginx with a 2xx (the upstream's `location /` answer).
check_translated_response() { # server request
    local name=$1 req=$2 out="$work/responses/translated-$2-$1" k="tresp.$1.$2" label expected
    label="$(translated_label "$name"), $(request_label "$req")"
    expected=$(request_field "$req" EXPECTED_STATUS)
    curl -s --max-time 10 --http1.1 --cacert "$cafile" --resolve "localhost:$server_port:127.0.0.1" \
        -X "$(request_field "$req" REQUEST_METHOD)" -H "Authorization: Bearer ${TOKENS[$req]}" \
        -H 'Content-Type: application/json' -H 'Accept: application/json' \
        --data-binary "$(request_field "$req" REQUEST_BODY)" -D "$out.headers" -o "$out.body" \
        "https://localhost:$server_port$(request_field "$req" REQUEST_PATH)" || die "$label: the request failed"
    R[$k.status]=$(awk 'NR==1 { print $2 }' "$out.headers")
    R[$k.type]=$(awk -F': *' 'tolower($1)=="content-type" { sub(/\r$/, "", $2); print $2 }' "$out.headers")
    R[$k.header_bytes]=$(wc -c <"$out.headers")
    R[$k.body_bytes]=$(wc -c <"$out.body")
    R[$k.body]=$(head -c 400 "$out.body" | tr -d '\r\n|')
    if [[ "$name" == gateway ]]; then
        [[ "${R[$k.status]}" == "$expected" ]] \
            || warn_translated "$label: answered ${R[$k.status]}, not $expected: $(head -c 300 "$out.body")"
        [[ "${R[$k.type]}" == application/json ]] \
            || warn_translated "$label: Content-Type '${R[$k.type]}', not application/json"
        python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if isinstance(d, dict) and isinstance(d.get("id"), str) else 1)' "$out.body" 2>/dev/null \
            || warn_translated "$label: the body is not a JSON device document with an id: $(head -c 300 "$out.body")"
    else
        [[ "${R[$k.status]}" =~ ^2[0-9][0-9]$ ]] \
            || warn_translated "$label: answered ${R[$k.status]}, not 2xx: $(head -c 300 "$out.body")"
    fi
}

# The gateway's own upstream counters from the admin listener's /metrics: "requests opened reused failures".
gateway_upstream_metrics() {
    curl -sf --max-time 5 "http://127.0.0.1:$admin_port/metrics" | awk '
        $1 == "switchyard_upstream_requests_total" { r = $2 }
        $1 == "switchyard_upstream_connections_opened_total" { o = $2 }
        $1 == "switchyard_upstream_connections_reused_total" { u = $2 }
        $1 ~ /^switchyard_upstream_failures_total/ { f += $2 }
        END { if (r == "") exit 1; print r, o, u, f + 0 }'
}

run_translated() { # server request(cc|gate) repetition
    local name=$1 req=$2 rep=$3 label out="$work/logs/translated-$2-$1-$3.txt" c0 c1 t0 t1 st0 st1 u0 u1 m=""
    label="$(translated_label "$name"), $(request_label "$req")"
    u0=$(upstream_status) || die "could not read the upstream nginx's stub_status"
    if [[ "$name" == gateway ]]; then
        start_server gateway "$work/gateway-translated.yaml"
    else
        start_proxy nginx "$rep"
    fi
    check_translated_response "$name" "$req"
    if (( warmup > 0 )); then translated_wrk "$req" "$warmup" >/dev/null; fi
    st0=$(steal_ticks); c0=$(cpu_ticks "$server_pid"); t0=$(now_s)
    translated_wrk "$req" "$duration" >"$out"
    c1=$(cpu_ticks "$server_pid"); t1=$(now_s); st1=$(steal_ticks)
    if [[ "$name" == gateway ]]; then
        m=$(gateway_upstream_metrics) || warn_translated "could not read the gateway's /metrics on the admin listener"
    fi
    stop_server
    u1=$(upstream_status) || die "could not read the upstream nginx's stub_status"
    local k="translated-$req.$name.$rep"
    record_wrk "$k" "$out"
    R[$k.non200]=${R[$k.non2xx]}
    record_cpu "$k" "$c0" "$c1" "$t0" "$t1" "${R[$k.requests]}" "$st0" "$st1"
    record_upstream_seen "$k" "$u0" "$u1"
    if [[ -n "$m" ]]; then
        read -r R[$k.up_requests] R[$k.up_opened] R[$k.up_reused] R[$k.up_failures] <<<"$m"
    else
        R[$k.up_requests]=${R[$k.seen_requests]}
        R[$k.up_opened]=${R[$k.seen_conns]}
        R[$k.up_reused]=$(( R[$k.seen_requests] - R[$k.seen_conns] ))
    fi
    note "$label #$rep: ${R[$k.rps]} req/s, p50 ${R[$k.p50]} ms, p99 ${R[$k.p99]} ms, ${R[$k.cpu_us]} CPU µs/req, CPU ${R[$k.cpu_use]}%, steal ${R[$k.steal]}%, upstream: ${R[$k.up_requests]} requests on ${R[$k.up_opened]} connections (upstream saw ${R[$k.seen_requests]} on ${R[$k.seen_conns]}), wrk errors ${R[$k.errors]}, non-2xx ${R[$k.non200]}"
}

# Where the gateway's time goes: one more control-center run, not measured, with a profiler on it.
# perf samples the running gateway (all its threads, kernel included) for --duration seconds; callgrind
# runs it under valgrind (single worker, 8 connections, --duration seconds: slow, but exact counts).
profile_translated() {
    local mode=$profile
    if [[ "$mode" == auto ]]; then
        if command -v perf >/dev/null && perf record -o "$work/logs/perf-probe.data" -- true >/dev/null 2>&1; then
            mode=perf
        elif command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
            mode=callgrind
        else
            mode=off
        fi
        rm -f "$work/logs/perf-probe.data"
    fi
    R[profile.mode]=$mode
    case "$mode" in
        perf) profile_perf ;;
        callgrind) profile_callgrind ;;
    esac
}

# Swift symbols demangled (simplified) when the toolchain's demangler is there.
demangle_all() {
    if command -v swift >/dev/null && swift demangle --help >/dev/null 2>&1; then swift demangle --simplified; else cat; fi
}
# The same, long names cut, for tables.
demangle() {
    # (perf report pads its lines and ends them with empty columns, "-      -".)
    demangle_all | awk '{ sub(/([ \t]+-)*[ \t]*$/, ""); if (length($0) > 200) print substr($0, 1, 197) "..."; else print }'
}

profile_perf() {
    command -v perf >/dev/null || die "--profile perf: perf is not installed (Debian: apt-get install linux-perf)"
    local data="$work/logs/perf-translated-cc.data" wrk_pid
    log "where the time goes: perf record -g on the gateway, control-center, ${duration}s (not measured)"
    start_server gateway "$work/gateway-translated.yaml"
    check_translated_response gateway cc
    if (( warmup > 0 )); then translated_wrk cc "$warmup" >/dev/null; fi
    translated_wrk cc $(( duration + 2 )) >"$work/logs/profile-wrk.txt" &
    wrk_pid=$!
    children+=("$wrk_pid")
    sleep 1
    timeout --foreground $(( duration + 30 )) perf record -g -F 999 -p "$server_pid" -o "$data" -- sleep "$duration" \
        >"$work/logs/perf-record.log" 2>&1 || note "perf record failed; see .work/logs/perf-record.log"
    wait "$wrk_pid" 2>/dev/null || true
    stop_child "$wrk_pid"
    stop_server
    [[ -s "$data" ]] || { R[profile.mode]="perf (failed: $(tail -1 "$work/logs/perf-record.log"))"; return 0; }
    # Self time per symbol, and per shared object; the full reports stay in .work/logs/.
    perf report -i "$data" --stdio --no-children -g none --sort dso,symbol --percent-limit 0.3 2>/dev/null \
        | demangle >"$work/logs/perf-translated-cc.self.txt" || true
    perf report -i "$data" --stdio --no-children -g none --sort dso 2>/dev/null >"$work/logs/perf-translated-cc.dso.txt" || true
    perf report -i "$data" --stdio --children -g none --sort symbol --percent-limit 2 2>/dev/null \
        | demangle >"$work/logs/perf-translated-cc.children.txt" || true
    # Each sample by the step of the request's way it belongs to (perf_phases.py says how).
    perf script -i "$data" 2>/dev/null | demangle_all | python3 "$bench_dir/perf_phases.py" \
        >"$work/logs/perf-translated-cc.steps.md" || true
    R[profile.samples]="$(awk -F'|' '$2 ~ /^ *total *$/ { gsub(/^ +| +$/, "", $3); print $3 }' "$work/logs/perf-translated-cc.steps.md")"
    R[profile.rps]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$work/logs/profile-wrk.txt")
}

profile_callgrind() {
    command -v valgrind >/dev/null || die "--profile callgrind: valgrind is not installed"
    local out="$work/logs/callgrind.translated-cc.out" i code binary="$work/bin/switchyard-nodebug"
    log "where the time goes: valgrind --tool=callgrind on the gateway, control-center, 8 connections, ${duration}s (not measured)"
    rm -f "$out"
    # Valgrind (3.19, Debian 12) cannot read the DWARF 5 that Swift 6 writes and gives up at start; a
    # copy without debug information still has its symbol table, which is all the profile needs.
    objcopy --strip-debug "$gateway_bin" "$binary" || die "objcopy --strip-debug $gateway_bin failed (binutils)"
    (ulimit -n "$nofile"
     cd "$repo_root" && exec "${pin_server[@]}" valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
        "$binary" serve --config "$work/gateway-translated.yaml") >>"$work/logs/gateway-callgrind.log" 2>&1 &
    server_pid=$!
    server_port=$gateway_port
    children+=("$server_pid")
    for i in $(seq 1 1200); do # up to 120 s: everything runs some 50 times slower under valgrind
        kill -0 "$server_pid" 2>/dev/null || die "the gateway exited at start under valgrind; see .work/logs/gateway-callgrind.log"
        code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 5 "https://127.0.0.1:$server_port$BENCH_PATH" || true)
        [[ "$code" != 000 ]] && break
        sleep 0.1
    done
    check_translated_response gateway cc
    # Start-up, the TLS handshakes and the first requests are left out: collection starts after a
    # warm-up (the connections wrk opens for the run are still handshaken inside it).
    translated_wrk cc 2 8 >/dev/null
    callgrind_control -i on "$server_pid" >>"$work/logs/gateway-callgrind.log" 2>&1 \
        || note "callgrind_control -i on failed; the profile may be empty"
    translated_wrk cc "$duration" 8 >"$work/logs/profile-wrk.txt"
    stop_server
    [[ -s "$out" ]] || { R[profile.mode]="callgrind (failed: no output)"; return 0; }
    callgrind_annotate --inclusive=yes "$out" 2>/dev/null | demangle >"$work/logs/callgrind.translated-cc.inclusive.txt" || true
    callgrind_annotate "$out" 2>/dev/null | demangle >"$work/logs/callgrind.translated-cc.self.txt" || true
    R[profile.requests]=$(awk '/ requests in / { print $1 }' "$work/logs/profile-wrk.txt")
}

run_newconn() { # server variant(full|resumed) repetition
    local name=$1 variant=$2 out="$work/logs/newconn-$2-$1-$3.txt" c0 c1 t0 t1 st0 st1 extra=()
    [[ "$variant" == resumed ]] && extra=(--resume)
    start_server "$name"
    local tool=("$work/bin/tls_newconn" --port "$server_port" --path "$BENCH_PATH" --sni localhost
                --connections "$newconn_connections" "${extra[@]+"${extra[@]}"}")
    if (( warmup > 0 )); then
        timeout --foreground $(( warmup + 30 )) "${pin_client[@]}" "${tool[@]}" --duration "$warmup" >/dev/null || true
    fi
    st0=$(steal_ticks); c0=$(cpu_ticks "$server_pid"); t0=$(now_s)
    timeout --foreground $(( duration + 60 )) "${pin_client[@]}" "${tool[@]}" --duration "$duration" >"$out" || true
    c1=$(cpu_ticks "$server_pid"); t1=$(now_s); st1=$(steal_ticks)
    stop_server
    local k="newconn-$variant.$name.$3" field
    for field in requests rps p50_ms p99_ms resumed errors non_404; do
        R[$k.$field]=$(awk -F= -v f="$field" '$1 == f { print $2 }' "$out")
        R[$k.$field]=${R[$k.$field]:-0}
    done
    R[$k.rps]=$(calc "${R[$k.rps]}" 0)
    record_cpu "$k" "$c0" "$c1" "$t0" "$t1" "${R[$k.requests]}" "$st0" "$st1"
    note "$name new connection ($variant) #$3: ${R[$k.rps]} conn/s, p50 ${R[$k.p50_ms]} ms, p99 ${R[$k.p99_ms]} ms, ${R[$k.cpu_us]} CPU µs/conn, server CPU ${R[$k.cpu_use]}%, steal ${R[$k.steal]}%, resumed ${R[$k.resumed]}, errors ${R[$k.errors]}"
    [[ -n "$(awk -F= '$1 == "last_error" { print $2 }' "$out")" ]] && note "last error: $(awk -F= '$1 == "last_error" { print $2 }' "$out")"
    return 0
}

run_idle() { # server variant(handshake|request)
    local name=$1 variant=$2 out="$work/logs/idle-$2-$1.txt" before after i idle_pid extra=()
    [[ "$variant" == request ]] && extra=(--request "$BENCH_PATH")
    start_server "$name"
    sleep 1
    before=$(rss_kib "$server_pid")
    "${pin_client[@]}" python3 "$bench_dir/idle_connections.py" --port "$server_port" --count "$idle_count" \
        --cafile "$cafile" --sni localhost --timeout 180 --max-hold 600 "${extra[@]+"${extra[@]}"}" \
        </dev/null >"$out" 2>&1 &
    idle_pid=$!
    children+=("$idle_pid")
    for i in $(seq 1 2000); do # up to 200 s; the client gives up after 180
        grep -q '^ready' "$out" && break
        kill -0 "$idle_pid" 2>/dev/null || break
        sleep 0.1
    done
    grep -q '^ready' "$out" || { cat "$out" >&2; die "idle connections to $name never became ready"; }
    sleep 2 # let the server finish whatever each new connection set off
    after=$(rss_kib "$server_pid")
    local k="idle-$variant.$name"
    R[$k.established]=$(sed -n 's/^ready established=\([0-9]*\).*/\1/p' "$out")
    R[$k.ready_line]=$(grep '^ready' "$out" | head -1)
    R[$k.before]=$before
    R[$k.after]=$after
    R[$k.kib_per_conn]=$(calc "($after - $before) / (${R[$k.established]} > 0 ? ${R[$k.established]} : 1)" 1)
    stop_pid "$idle_pid"
    R[$k.closed]=$(sed -n 's/^done .*closed_by_server=\([0-9]*\).*/\1/p' "$out")
    R[$k.closed]=${R[$k.closed]:-?}
    stop_server
    note "$name idle ($variant): ${R[$k.established]} connections, RSS $before → $after KiB, ${R[$k.kib_per_conn]} KiB/conn, closed by server ${R[$k.closed]}"
}

# The median of each figure over the repetitions (per figure, so one row may mix runs), plus the
# range of the CPU figure; counts (requests, errors...) are summed instead.
merge_repetitions() { # key-prefix fields...
    local k=$1 f values; shift
    for f in "$@"; do
        values=$(for r in $(seq 1 "$repeat"); do echo "${R[$k.$r.$f]:-}"; done | grep -E '^[0-9.]+$' | sort -g || true)
        [[ -n "$values" ]] || continue
        case "$f" in
            requests|errors|non404|non_404|resumed|non200|up_requests|up_opened|up_reused|up_failures|seen_conns|seen_requests)
                R[$k.$f]=$(awk '{ s += $1 } END { print s }' <<<"$values") ;;
            *)
                local digits=0
                case "$f" in p50*|p99*) digits=2 ;; cpu_us) digits=1 ;; esac
                R[$k.$f]=$(awk -v d="$digits" '{ v[NR] = $1 }
                    END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.*f", d, m }' <<<"$values")
                if [[ "$f" == cpu_us ]]; then
                    R[$k.cpu_us_range]="$(head -1 <<<"$values")–$(tail -1 <<<"$values")"
                fi ;;
        esac
    done
}

# --- how many handshakes does each client tool make? --------------------------------------------------
if (( check_handshakes )); then
    log "counting TLS handshakes and resumptions with nginx's access log (\$ssl_session_reused)"
    write_nginx_conf "$work/nginx/access.log handshakes"
    (ulimit -n "$nofile"; exec nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log") \
        >>"$work/logs/nginx.out" 2>&1 &
    server_pid=$!; children+=("$server_pid"); server_port=$nginx_port
    sleep 0.5
    count() { # label command...
        local label=$1; shift
        : >"$work/nginx/access.log"
        timeout --foreground 60 "$@" >"$work/logs/check.txt" 2>&1 || true
        sleep 0.5
        awk -v label="$label" '{ n++; conns[$1] = 1; if ($3 == "r") r++ }
            END { c = 0; for (x in conns) c++
                  printf "   %-58s %6d requests, %6d TLS connections, %6d resumed\n", label, n, c, r }' \
            "$work/nginx/access.log" >&2
    }
    url="https://127.0.0.1:$nginx_port$BENCH_PATH"
    count "tls_newconn (16 slots, 2 s)" "$work/bin/tls_newconn" --port "$nginx_port" --path "$BENCH_PATH" --connections 16 --duration 2
    count "tls_newconn --resume" "$work/bin/tls_newconn" --port "$nginx_port" --path "$BENCH_PATH" --connections 16 --duration 2 --resume
    count "wrk -c16 -H 'Connection: close'" wrk -t1 -c16 -d2s -H 'Connection: close' "$url"
    if command -v h2load >/dev/null; then
        count "h2load --h1 -c16 -n2000 -H 'Connection: close'" h2load --h1 -c16 -n2000 -H 'Connection: close' "$url"
    fi
    count "wrk -c16 (keep-alive)" wrk -t1 -c16 -d2s "$url"
    exit 0
fi

# --- the run -------------------------------------------------------------------------------------------------
started_at=$(date -u '+%Y-%m-%d %H:%M UTC')
loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)
server_list=()
has "$servers" gateway && server_list+=(gateway)
has "$servers" nginx && server_list+=(nginx)

# Each measurement starts a fresh server, so no run inherits another's heap or connections; the
# servers alternate within each scenario, so a change in machine load hits both alike.
if has "$only" keepalive; then
    log "keep-alive: wrk -t1 -c$connections -d${duration}s, ${warmup}s warm-up"
    for rep in $(seq 1 "$repeat"); do
        for s in "${server_list[@]}"; do run_keepalive "$s" "$rep"; done
    done
    for s in "${server_list[@]}"; do merge_repetitions "keepalive.$s" rps p50 p99 cpu_us cpu_use steal requests errors non404; done
fi
if has "$only" newconn; then
    for v in full resumed; do
        log "new TLS connection per request ($v handshakes): tls_newconn, $newconn_connections at once, ${duration}s"
        for rep in $(seq 1 "$repeat"); do
            for s in "${server_list[@]}"; do run_newconn "$s" "$v" "$rep"; done
        done
        for s in "${server_list[@]}"; do
            merge_repetitions "newconn-$v.$s" rps p50_ms p99_ms cpu_us cpu_use steal requests resumed errors non_404
        done
    done
fi
if has "$only" idle; then
    for v in handshake request; do
        log "$idle_count idle TLS connections (after the $v)"
        for s in "${server_list[@]}"; do run_idle "$s" "$v"; done
    done
fi
if has "$only" passthrough && (( ${#server_list[@]} )); then
    log "pass-through: wrk -t1 -c$connections -d${duration}s through each proxy to an upstream nginx on CPU $client_cpus, ${warmup}s warm-up"
    start_upstream
    for rep in $(seq 1 "$repeat"); do
        for s in "${server_list[@]}"; do run_passthrough "$s" "$rep"; done
    done
    stop_upstream
    for s in "${server_list[@]}"; do
        merge_repetitions "passthrough.$s" rps p50 p99 cpu_us cpu_use steal requests errors non200 \
            up_requests up_opened up_reused seen_conns seen_requests
    done
fi
if has "$only" translated && (( ${#server_list[@]} )); then
    log "translated: wrk -t1 -c$connections -d${duration}s -s wrk/device-request.lua, the gateway (tenants cc and gate) and nginx passing the same requests on, upstream nginx on CPU $client_cpus, ${warmup}s warm-up"
    write_translated_conf
    mint_tokens
    start_upstream
    for rep in $(seq 1 "$repeat"); do
        for req in "${translated_requests[@]}"; do
            for s in "${server_list[@]}"; do run_translated "$s" "$req" "$rep"; done
        done
    done
    if has "$servers" gateway; then profile_translated; fi
    stop_upstream
    for req in "${translated_requests[@]}"; do
        for s in "${server_list[@]}"; do
            merge_repetitions "translated-$req.$s" rps p50 p99 cpu_us cpu_use steal requests errors non200 \
                up_requests up_opened up_reused up_failures seen_conns seen_requests
        done
    done
fi
# A server that was never asked anything still gets its answer checked (the gateway's scenarios only).
if (( gateway_scenarios )); then
    for s in "${server_list[@]}"; do
        if [[ -z "${R[resp.$s.status]:-}" ]]; then start_server "$s"; check_response "$s"; stop_server; fi
    done
fi

# --- report -----------------------------------------------------------------------------------------------
g() { printf '%s' "${R[$1]:-–}"; }  # a result, or a dash when it was not measured
ge() { printf '%s' "${R[$1]:-}"; }
positive() { [[ "${R[$1]:-0}" =~ ^[0-9]+$ ]] && (( ${R[$1]:-0} > 0 )); }
ratio() { # value nginx_value -> "1.05×" or "–"
    local v=${1:-} n=${2:-}
    if [[ ! "$v" =~ ^[0-9.]+$ || ! "$n" =~ ^[0-9.]+$ || "$n" =~ ^[0.]+$ ]]; then echo "–"; else calc "$v / $n" 2 | sed 's/$/×/'; fi
}
verdict() { # ratio_text op limit
    local r=${1%×}
    [[ "$r" == "–" ]] && { echo "not measured"; return; }
    if awk "BEGIN { exit !($r $2 $3) }"; then echo "met"; else echo "**missed**"; fi
}

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
swift_version=$( (swift --version 2>&1 || true) | head -1)
gateway_version=""
[[ -n "$gateway_bin" ]] && gateway_version=$( ("$gateway_bin" --version 2>/dev/null || true) | head -1)
commit=$(cd "$repo_root" && git rev-parse --short HEAD 2>/dev/null || echo "no commit")
dirty=$(cd "$repo_root" && git status --porcelain 2>/dev/null | grep -q . && echo " (with uncommitted changes)" || true)

# The profile of the translated scenario's extra run, as tables for the report.
report_profile() {
    local mode=${R[profile.mode]:-off}
    case "$mode" in
        perf)
            echo "### Where the gateway's time goes: perf, control-center"
            echo
            echo "\`perf record -g -F 999 -p <gateway>\` for ${duration} s during one more, unmeasured control-center run"
            echo "($(g profile.rps) req/s; $(g profile.samples)). Self time: the share of samples in which the function itself"
            echo "was running (kernel included). Full reports: .work/logs/perf-translated-cc.*.txt."
            echo
            echo "| shared object | self % |"
            echo "|---|---:|"
            awk '/^ +[0-9.]+%/ { n++; if (n <= 10) { p = $1; $1 = ""; sub(/^ +/, ""); printf "| %s | %s |\n", $0, p } }' \
                "$work/logs/perf-translated-cc.dso.txt"
            echo
            echo "| self % | shared object | symbol |"
            echo "|---:|---|---|"
            awk '/^ +[0-9.]+%/ { n++; if (n <= 15) { p = $1; d = $2; $1 = ""; $2 = ""; $3 = ""; sub(/^ +/, "");
                    gsub(/\|/, "\\|"); printf "| %s | %s | `%s` |\n", p, d, $0 } }' "$work/logs/perf-translated-cc.self.txt"
            echo
            echo "By step of the request's way (\`perf_phases.py\`: each sample goes to the innermost frame of its call"
            echo "stack that names a step; Debian's libc and OpenSSL have no frame pointers, so their samples often"
            echo "lose their callers and count by library):"
            echo
            cat "$work/logs/perf-translated-cc.steps.md" 2>/dev/null || echo "(not available)"
            echo
            ;;
        callgrind)
            echo "### Where the gateway's time goes: callgrind, control-center"
            echo
            echo "\`valgrind --tool=callgrind --instr-atstart=no\` on the gateway, instrumentation switched on after a 2 s"
            echo "warm-up, during a short control-center run (8 connections, ${duration} s, $(g profile.requests) requests):"
            echo "inclusive instruction counts of the top functions"
            echo "(\`callgrind_annotate --inclusive=yes\`). Full reports: .work/logs/callgrind.translated-cc.*.txt."
            echo
            echo '```'
            awk '/^-+$/ { d++; next } d >= 3 && NF { print; if (++n >= 30) exit }' "$work/logs/callgrind.translated-cc.inclusive.txt"
            echo '```'
            echo
            ;;
        off) ;;
        *)
            echo "Profile: $mode."
            echo
            ;;
    esac
}

report() {
    local s k
    echo "# Benchmark results"
    echo
    echo "Produced by \`Benchmarks/run.sh\`; how to read it: [README.md](README.md)."
    echo
    echo "- Command: \`$command_line\`"
    echo "- Date: $started_at; load average at start: $loadavg_start"
    echo "- Machine: $(nproc) CPUs, $cpu_model; Linux $(uname -r)"
    echo "- Versions: $(nginx -v 2>&1 | sed 's/^nginx version: //'), $(openssl version), $swift_version, $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), $(python3 --version)"
    if [[ -n "$gateway_bin" ]]; then
        echo "- Gateway: ${gateway_bin#"$repo_root/"}${gateway_version:+ ($gateway_version)}, commit $commit$dirty"
    else
        echo "- Gateway: not run"
    fi
    if [[ -n "$passthrough_bin" ]]; then
        echo "- Pass-through proxy: ${passthrough_bin#"$repo_root/"}, commit $commit$dirty"
    fi
    echo "- Servers pinned to CPU $server_cpus, load generators to CPU $client_cpus; $workers worker(s) each; no access log on either; open-file limit $nofile"
    if has "$only" idle; then
        echo "- Connection caps: gateway \`limits.maxConnections: $gateway_max_connections\`, nginx \`worker_connections $nginx_worker_connections\`"
    fi
    echo "- Certificate: ECDSA P-256 leaf from certs/make-dev-certs.sh, the same files for both servers"
    echo
    if has "$only" keepalive; then
        echo "## Keep-alive: wrk, $connections connections, ${duration} s, median of $repeat"
        echo
        echo "| server | req/s | p50 ms | p99 ms | server CPU µs/req (range) | server CPU use | steal | req/s vs nginx | CPU/req vs nginx |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
        for s in "${server_list[@]}"; do
            k="keepalive.$s"
            echo "| $s | $(g "$k.rps") | $(g "$k.p50") | $(g "$k.p99") | $(g "$k.cpu_us") ($(g "$k.cpu_us_range")) | $(g "$k.cpu_use")% | $(g "$k.steal")% | $(ratio "$(g "$k.rps")" "$(ge "keepalive.nginx.rps")") | $(ratio "$(g "$k.cpu_us")" "$(ge "keepalive.nginx.cpu_us")") |"
        done
        for s in "${server_list[@]}"; do
            k="keepalive.$s"
            positive "$k.errors" && echo "- $s: $(g "$k.errors") socket errors reported by wrk"
            positive "$k.non404" && echo "- $s: $(g "$k.non404") responses were not 404"
        done
        echo
    fi
    if has "$only" newconn; then
        echo "## New TLS connection per request: tls_newconn, $newconn_connections at once, ${duration} s, median of $repeat"
        echo
        echo "Full: every connection a full handshake (no session offered). Resumed: each client slot offers"
        echo "the session ticket of its previous connection; the resumed column says how many the server took."
        echo
        echo "| server | handshakes | conn/s | p50 ms | p99 ms | server CPU µs/conn (range) | server CPU use | steal | resumed | conn/s vs nginx | CPU/conn vs nginx |"
        echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        local v
        for v in full resumed; do
            for s in "${server_list[@]}"; do
                k="newconn-$v.$s"
                echo "| $s | $v | $(g "$k.rps") | $(g "$k.p50_ms") | $(g "$k.p99_ms") | $(g "$k.cpu_us") ($(g "$k.cpu_us_range")) | $(g "$k.cpu_use")% | $(g "$k.steal")% | $(g "$k.resumed") of $(g "$k.requests") | $(ratio "$(g "$k.rps")" "$(ge "newconn-$v.nginx.rps")") | $(ratio "$(g "$k.cpu_us")" "$(ge "newconn-$v.nginx.cpu_us")") |"
            done
        done
        for v in full resumed; do
            for s in "${server_list[@]}"; do
                k="newconn-$v.$s"
                positive "$k.errors" && echo "- $s ($v): $(g "$k.errors") failed connections (see .work/logs/newconn-$v-$s-*.txt)"
                positive "$k.non_404" && echo "- $s ($v): $(g "$k.non_404") responses were not 404"
            done
        done
        echo
        echo "Latency here runs from connect() to the response's last byte, so it includes the handshake."
        echo "When the load generator's CPU is the limit (server CPU use well under 100%), conn/s is the"
        echo "client's ceiling and CPU µs/conn is the figure that compares the servers."
        echo
    fi
    if has "$only" idle; then
        echo "## $idle_count idle TLS connections: resident memory"
        echo
        echo "| server | idle after | connections | RSS before KiB | RSS after KiB | KiB per connection | closed by server | vs nginx |"
        echo "|---|---|---:|---:|---:|---:|---:|---:|"
        local v
        for v in handshake request; do
            for s in "${server_list[@]}"; do
                k="idle-$v.$s"
                echo "| $s | $v | $(g "$k.established") | $(g "$k.before") | $(g "$k.after") | $(g "$k.kib_per_conn") | $(g "$k.closed") | $(ratio "$(g "$k.kib_per_conn")" "$(ge "idle-$v.nginx.kib_per_conn")") |"
            done
        done
        for v in handshake request; do
            for s in "${server_list[@]}"; do
                k="idle-$v.$s"
                if [[ "$(g "$k.established")" != "$idle_count" ]]; then
                    echo "- $s ($v): only $(g "$k.established") of $idle_count connections were up: $(g "$k.ready_line")"
                fi
                if positive "$k.closed"; then
                    echo "- $s ($v): the server closed $(g "$k.closed") of the idle connections while they were held"
                fi
            done
        done
        echo
        echo "RSS is VmRSS summed over the server's processes (nginx: master and workers)."
        echo
    fi
    if has "$only" passthrough; then
        echo "## Pass-through: wrk, $connections connections, ${duration} s, through a proxy to an upstream nginx, median of $repeat"
        echo
        echo "Each proxy (TLS in, plain HTTP/1.1 keep-alive out, as many idle upstream connections kept as wrk has connections, $connections) passes"
        echo "\`GET $BENCH_PATH\` unchanged to the same upstream nginx (\`return 200 '$UPSTREAM_BODY'\`, one worker, on CPU"
        echo "$client_cpus beside wrk). CPU is counted on the proxy's processes only, never the upstream's."
        echo
        echo "| proxy | req/s | p50 ms | p99 ms | proxy CPU µs/req (range) | proxy CPU use | steal | upstream requests | upstream connections opened | sent on a reused connection | req/s vs nginx | CPU/req vs nginx |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        for s in "${server_list[@]}"; do
            k="passthrough.$s"
            echo "| $(proxy_label "$s") | $(g "$k.rps") | $(g "$k.p50") | $(g "$k.p99") | $(g "$k.cpu_us") ($(g "$k.cpu_us_range")) | $(g "$k.cpu_use")% | $(g "$k.steal")% | $(g "$k.up_requests") | $(g "$k.up_opened") | $(g "$k.up_reused") | $(ratio "$(g "$k.rps")" "$(ge "passthrough.nginx.rps")") | $(ratio "$(g "$k.cpu_us")" "$(ge "passthrough.nginx.cpu_us")") |"
        done
        echo
        echo "Upstream figures are totals over the $repeat run(s) per proxy, warm-up, readiness poll and response check"
        echo "included. switchyard-passthrough's come from the line it prints on SIGTERM (\`connectionsReused\`: requests"
        echo "sent on a pooled connection); nginx's from the upstream's stub_status, accepts and requests before and"
        echo "after each run (less the status request itself), reused = requests − connections."
        echo
        for s in "${server_list[@]}"; do
            k="passthrough.$s"
            positive "$k.errors" && echo "- $(proxy_label "$s"): $(g "$k.errors") socket errors reported by wrk"
            positive "$k.non200" && echo "- $(proxy_label "$s"): $(g "$k.non200") responses were not 2xx (see .work/logs/passthrough-$s-*.txt)"
            if [[ -n "$(ge "$k.up_opened")" ]] && positive "$k.up_requests" \
                && (( R[$k.up_opened] * 2 > R[$k.up_requests] )); then
                echo "- **warning**: $(proxy_label "$s") hardly reused its upstream connections: $(g "$k.up_opened") opened for $(g "$k.up_requests") requests"
            fi
            if [[ -n "$(ge "$k.up_opened")" ]] && positive "$k.up_opened" && (( R[$k.up_opened] > 2 * connections * repeat )); then
                echo "- $(proxy_label "$s") opened $(g "$k.up_opened") upstream connections, one per $(calc "${R[$k.up_requests]:-0} / ${R[$k.up_opened]}" 1) requests, though its pool holds $connections: its CPU figure includes reconnects"
            fi
            if [[ "$s" == gateway && -n "$(ge "$k.up_opened")" && "$(ge "$k.up_opened")" != "$(ge "$k.seen_conns")" ]]; then
                echo "- **warning**: switchyard-passthrough says it opened $(g "$k.up_opened") upstream connections; the upstream accepted $(g "$k.seen_conns")"
            fi
            if [[ "$s" == gateway && -n "$(ge "$k.up_requests")" && "$(ge "$k.up_requests")" != "$(ge "$k.seen_requests")" ]]; then
                echo "- switchyard-passthrough sent $(g "$k.up_requests") upstream requests; the upstream counted $(g "$k.seen_requests")"
            fi
        done
        local w
        for w in "${passthrough_warnings[@]+"${passthrough_warnings[@]}"}"; do echo "- **warning**: $w"; done
        echo
        echo "| proxy | status | Content-Type | header bytes | body bytes |"
        echo "|---|---:|---|---:|---:|"
        for s in "${server_list[@]}"; do
            echo "| $(proxy_label "$s") | $(g "presp.$s.status") | $(g "presp.$s.type") | $(g "presp.$s.header_bytes") | $(g "presp.$s.body_bytes") |"
        done
        echo
    fi
    if has "$only" translated; then
        echo "## Translated: wrk, $connections connections, ${duration} s, the device API through the gateway vs nginx passing it on, median of $repeat"
        echo
        echo "The same requests (wrk with \`wrk/device-request.lua\`, keep-alive, \`Authorization: Bearer\` a token from"
        echo "\`switchyard token\`) to each server. The gateway (\`switchyard serve\`, tenants \`cc\`: control-center and \`gate\`:"
        echo "gate) checks the token and the tenant's rate limit, translates the request into the vendor's call, sends it"
        echo "to the upstream nginx over plain HTTP/1.1 keep-alive and translates the answer back. nginx (the pass-through"
        echo "scenario's proxy) forwards the same bytes unchanged to the same upstream, whose \`location /\` answers them"
        echo "with \`$UPSTREAM_BODY\`: no token check, no translation. The upstream (one worker, on CPU $client_cpus beside"
        echo "wrk) answers the vendor paths with the vendors' success answers; CPU is counted on the gateway's and"
        echo "nginx's processes only."
        echo
        echo "- control-center: \`$CC_REQUEST_METHOD $CC_REQUEST_PATH\` \`$CC_REQUEST_BODY\` → gateway → \`PUT /rws/api/v1/devices/8988216716970004975\` → 200 \`$CC_UPSTREAM_BODY\`"
        echo "- gate: \`$GATE_REQUEST_METHOD $GATE_REQUEST_PATH\` \`$GATE_REQUEST_BODY\` → gateway → \`POST /api/v1/device_app_user_update/\` \`{\"data\":\"…\"}\` → 201 with the user record"
        echo
        echo "| request | server | req/s | p50 ms | p99 ms | CPU µs/req (range) | CPU use | steal | upstream requests | upstream connections opened | non-2xx | req/s vs nginx | CPU/req vs nginx |"
        echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        local req
        for req in "${translated_requests[@]}"; do
            for s in "${server_list[@]}"; do
                k="translated-$req.$s"
                echo "| $(request_label "$req") | $(translated_label "$s") | $(g "$k.rps") | $(g "$k.p50") | $(g "$k.p99") | $(g "$k.cpu_us") ($(g "$k.cpu_us_range")) | $(g "$k.cpu_use")% | $(g "$k.steal")% | $(g "$k.up_requests") | $(g "$k.up_opened") | $(g "$k.non200") | $(ratio "$(g "$k.rps")" "$(ge "translated-$req.nginx.rps")") | $(ratio "$(g "$k.cpu_us")" "$(ge "translated-$req.nginx.cpu_us")") |"
            done
        done
        echo
        echo "Upstream figures are totals over the $repeat run(s) per server and request, warm-up and response check"
        echo "included: the gateway's from its admin listener's \`/metrics\` (\`switchyard_upstream_requests_total\`,"
        echo "\`…_connections_opened_total\`), nginx's from the upstream's stub_status."
        echo
        for req in "${translated_requests[@]}"; do
            for s in "${server_list[@]}"; do
                k="translated-$req.$s"
                local label
                label="$(translated_label "$s"), $(request_label "$req")"
                positive "$k.errors" && echo "- $label: $(g "$k.errors") socket errors reported by wrk"
                positive "$k.non200" && echo "- **warning**: $label: $(g "$k.non200") responses were not 2xx (see .work/logs/translated-$req-$s-*.txt)"
                positive "$k.up_failures" && echo "- **warning**: $label: $(g "$k.up_failures") upstream calls failed (switchyard_upstream_failures_total)"
                if [[ -n "$(ge "$k.up_opened")" ]] && positive "$k.up_opened" && (( R[$k.up_opened] > 2 * connections * repeat )); then
                    echo "- $label: $(g "$k.up_opened") upstream connections opened, one per $(calc "${R[$k.up_requests]:-0} / ${R[$k.up_opened]}" 1) requests, for $connections client connections: its CPU figure includes upstream reconnects"
                fi
                if [[ "$s" == gateway && -n "$(ge "$k.up_requests")" && -n "$(ge "$k.seen_requests")" ]] \
                    && (( R[$k.up_requests] != R[$k.seen_requests] )); then
                    echo "- $label: the gateway counted $(g "$k.up_requests") upstream requests; the upstream counted $(g "$k.seen_requests")"
                fi
            done
        done
        local w
        for w in "${translated_warnings[@]+"${translated_warnings[@]}"}"; do echo "- **warning**: $w"; done
        echo
        echo "The answers before the load (the last run's):"
        echo
        echo "| request | server | status | Content-Type | header bytes | body bytes | body |"
        echo "|---|---|---:|---|---:|---:|---|"
        for req in "${translated_requests[@]}"; do
            for s in "${server_list[@]}"; do
                k="tresp.$s.$req"
                echo "| $(request_label "$req") | $(translated_label "$s") | $(g "$k.status") | $(g "$k.type") | $(g "$k.header_bytes") | $(g "$k.body_bytes") | \`$(g "$k.body")\` |"
            done
        done
        echo
        if [[ -s "$work/logs/gateway.log" ]] && (( ! gateway_scenarios )); then
            echo "The gateway wrote $(wc -c <"$work/logs/gateway.log") bytes of log during the run (.work/logs/gateway.log); a gateway"
            echo "that logs every request shows up there."
            echo
        fi
        report_profile
    fi
    echo "## Targets (gateway vs nginx)"
    echo
    echo "| target | measured | |"
    echo "|---|---:|---|"
    local r
    r=$(ratio "$(ge "keepalive.gateway.cpu_us")" "$(ge "keepalive.nginx.cpu_us")")
    echo "| CPU µs per keep-alive request ≤ 1.2× nginx | $r | $(verdict "$r" '<=' 1.2) |"
    r=$(ratio "$(ge "newconn-full.gateway.rps")" "$(ge "newconn-full.nginx.rps")")
    echo "| new TLS connections/s ≥ 0.9× nginx (full handshakes) | $r | $(verdict "$r" '>=' 0.9) |"
    r=$(ratio "$(ge "newconn-full.gateway.cpu_us")" "$(ge "newconn-full.nginx.cpu_us")")
    echo "| the same on CPU: µs per new connection ≤ 1/0.9 = 1.11× nginx | $r | $(verdict "$r" '<=' 1.11) |"
    r=$(ratio "$(ge "idle-handshake.gateway.kib_per_conn")" "$(ge "idle-handshake.nginx.kib_per_conn")")
    echo "| RSS per idle TLS connection ≤ 1.5× nginx | $r | $(verdict "$r" '<=' 1.5) |"
    r=$(ratio "$(ge "passthrough.gateway.cpu_us")" "$(ge "passthrough.nginx.cpu_us")")
    echo "| CPU µs per proxied request ≤ 1.2× nginx (switchyard-passthrough) | $r | $(verdict "$r" '<=' 1.2) |"
    r=$(ratio "$(ge "translated-cc.gateway.cpu_us")" "$(ge "translated-cc.nginx.cpu_us")")
    echo "| moonshot: CPU µs per translated request ≤ 1.0× nginx's pass-through (control-center) | $r | $(verdict "$r" '<=' 1.0) |"
    r=$(ratio "$(ge "translated-gate.gateway.cpu_us")" "$(ge "translated-gate.nginx.cpu_us")")
    echo "| moonshot: the same for gate | $r | $(verdict "$r" '<=' 1.0) |"
    echo
    (( gateway_scenarios )) || return 0
    echo "## Response parity (GET $BENCH_PATH)"
    echo
    echo "| server | status | Content-Type | header bytes | body bytes | X-Request-Id | TLS (openssl s_client) |"
    echo "|---|---:|---|---:|---:|---|---|"
    for s in "${server_list[@]}"; do
        echo "| $s | $(g "resp.$s.status") | $(g "resp.$s.type") | $(g "resp.$s.header_bytes") | $(g "resp.$s.body_bytes") | $([[ $(g "resp.$s.request_id_header") != 0 ]] && echo yes || echo no) | $(g "resp.$s.tls") |"
    done
    echo
    if (( ${#parity_warnings[@]} )); then
        local w
        for w in "${parity_warnings[@]}"; do echo "- **warning**: $w"; done
    else
        echo "Both answer 404 with the same problem document (requestId aside)."
    fi
    if [[ -s "$work/logs/gateway.log" ]]; then
        echo
        echo "The gateway wrote $(wc -c <"$work/logs/gateway.log") bytes of log during the run (.work/logs/gateway.log)."
    fi
}

report >"$work/RESULTS.md"
cp "$work/RESULTS.md" "$results"
cp "$work/RESULTS.md" "$work/logs/RESULTS-$(date -u +%Y%m%dT%H%M%SZ).md"
log "results (also in ${results#"$repo_root/"})"
cat "$results"
