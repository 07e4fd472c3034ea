#!/usr/bin/env python3
"""Soak run: the gateway under mixed, partly hostile traffic for a long time, watching its memory.

Starts the five vendor simulators (`switchyard simulate VENDOR --port 0`, one process each) and the
gateway (`switchyard serve`) on a configuration that mirrors routes/demo.yaml (what `switchyard demo`
serves: the same five tenants, vendors, rate limits, vendor quotas, limits, JWT issuer and audience;
free loopback ports, a made-up HS256 secret, certificates in Benchmarks/.work/soak/certs). It does not
run `switchyard demo` itself: the demo hosts the simulators in the gateway's own process, so its RSS
would mix the gateway's memory with the simulators' (and its ports default to 8443/9090).

For --duration seconds it sends, from several threads at once:

- valid device requests for each tenant (PATCH /devices/{id}, POST /devices where the vendor has it,
  bulk PATCH /devices), paced under the tenants' limits, on keep-alive connections;
- invalid ones on a new connection each (bad JSON, no or a bad credential, wrong scope, unknown
  path, wrong method, oversized bodies declared or chunked, a gzip bomb, deep nesting, a big body
  with a duplicate member, a bad request line, a huge header, wrong Content-Type or Accept);
- slow clients: a head or a body dribbled a byte at a time, some finishing in time, some never;
- non-reading clients: many pipelined requests sent and never read, held, then closed;
- vendor faults through the simulators' control API (reset, garbage, 5xx, 429, delay, closeMidBody);
- configuration reloads, alternately POST /-/reload and SIGHUP, every --reload-interval seconds.

It samples the gateway's VmRSS every --sample-interval seconds and reports the least-squares slope after
--warmup, requests by kind and status, and unexpected answers (each judged against what its kind should
get). Then a flood-and-rest check: RSS at rest, a --flood-seconds flood, --rest-seconds of quiet, RSS
again, within --rest-tolerance of the rest level. Writes a Markdown report to stdout and to
Benchmarks/.work/soak-report.md; exits 1 when a check fails, 2 when the setup fails.

Python 3 standard library only. Benchmarks/README.md, "Soak", says more.
"""

import argparse
import collections
import datetime
import gzip
import json
import os
import platform
import random
import re
import resource
import secrets
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
WORK = os.path.join(BENCH_DIR, ".work")
SOAK_WORK = os.path.join(WORK, "soak")

# tenant -> vendor, as routes/demo.yaml binds them
TENANTS = {
    "acme": "control-center",
    "globex": "gate",
    "initech": "mobilefirst-push",
    "umbrella": "vodlix",
    "hooli": "iot-security",
}

CONFIG_TEMPLATE = """\
# Written by Benchmarks/soak.py: routes/demo.yaml with free loopback ports, a made-up JWT secret and
# the soak's certificates. maxBulkDevices alternates 1000/999 so that every reload applies a change.
listen: "127.0.0.1:{port}"
admin: "127.0.0.1:{admin_port}"
workers: {workers}
tls:
  certificate: "{cert}"
  privateKey: "{key}"
limits:
  maxBulkDevices: {max_bulk}
  shutdownGraceSeconds: 5
auth:
  jwt:
    issuer: "https://demo.switchyard.local/"
    audience: switchyard
    hs256Secret: "{secret}"
rateLimit: {{store: memory}}
{extra}tenants:
  acme:
    vendor: control-center
    upstream: "https://127.0.0.1:{sim_control_center}"
    caFile: "{ca}"
    credentials: {{username: sim-cc-user, apiKey: sim-cc-api-key}}
    rateLimit: {{requests: 600, perSeconds: 60, burst: 50}}
    vendorQuota: {{requests: 5, perSeconds: 1}}
  globex:
    vendor: gate
    upstream: "https://127.0.0.1:{sim_gate}/api/v1"
    caFile: "{ca}"
    credentials: {{token: sim-gate-token}}
    rateLimit: {{requests: 600, perSeconds: 60}}
  initech:
    vendor: mobilefirst-push
    upstream: "https://127.0.0.1:{sim_mobilefirst_push}"
    caFile: "{ca}"
    applicationId: myapp
    credentials: {{clientId: sim-push-client, clientSecret: sim-push-secret}}
    rateLimit: {{requests: 600, perSeconds: 60}}
  umbrella:
    vendor: vodlix
    upstream: "https://127.0.0.1:{sim_vodlix}"
    caFile: "{ca}"
    credentials: {{cookie: "PHPSESSID=sim-vodlix-session"}}
    rateLimit: {{requests: 600, perSeconds: 60}}
  hooli:
    vendor: iot-security
    upstream: "https://127.0.0.1:{sim_iot_security}"
    caFile: "{ca}"
    customerId: sim-tenant
    updateSource: cellular
    credentials: {{keyId: sim-iot-key-id, accessKey: sim-iot-access-key}}
    rateLimit: {{requests: 600, perSeconds: 60}}
    vendorQuota: {{requests: 180, perSeconds: 60}}
"""

VODLIX_FIELDS = {"platform": {"os": "tvOS", "osVersion": "17.1", "type": "STB"}, "app": {"name": "MyApp", "version": "2.1"}}

# Valid operations per tenant: (operation, method, path, body). Each must succeed against the seeded
# simulators however often it is repeated (no state change that a repeat would refuse).
VALID_OPS = {
    "acme": [
        ("PATCH /devices/{id}", "PATCH", "/devices/iccid:8988216716970004975", {"sim": {"ratePlan": "Standard 5GB"}}),
        ("PATCH /devices/{id}", "PATCH", "/devices/8988216716970004975", {"sim": {"ratePlan": "Standard 1GB"}}),
        ("PATCH /devices", "PATCH", "/devices", {"devices": [
            {"id": "iccid:8988216716970004975", "sim": {"ratePlan": "Standard 5GB"}},
            {"id": "iccid:9088217871987000001", "custom": {"operatorCustom1": "soak"}}]}),
    ],
    "globex": [
        ("POST /devices", "POST", "/devices", {"imei": "123456789012345", "user": {"class": "gold"}}),
        ("PATCH /devices/{id}", "PATCH", "/devices/imei:123456789012345", {"user": {"class": "silver"}}),
        ("PATCH /devices", "PATCH", "/devices", {"devices": [
            {"id": "imei:123456789012345", "user": {"class": "gold"}},
            {"id": "imei:356938035643809", "user": {"class": "basic"}}]}),
    ],
    "initech": [
        ("PATCH /devices/{id}", "PATCH", "/devices/12345-6789", {"user": {"id": "alice"}, "push": {"token": "fcm-1234"}}),
        ("PATCH /devices", "PATCH", "/devices", {"devices": [
            {"id": "deviceId:12345-6789", "user": {"id": "bob"}},
            {"id": "deviceId:android-0001", "push": {"token": "fcm-5678"}}]}),
    ],
    "umbrella": [
        ("POST /devices", "POST", "/devices", dict(mac="a1:b2:c3:d4:e5:f6", **VODLIX_FIELDS)),
        ("PATCH /devices/{id}", "PATCH", "/devices/mac:A1B2C3D4E5F6", VODLIX_FIELDS),
        ("PATCH /devices", "PATCH", "/devices", {"devices": [
            dict(id="mac:A1B2C3D4E5F6", **VODLIX_FIELDS), dict(id="mac:00:11:22:33:44:55", **VODLIX_FIELDS)]}),
    ],
    "hooli": [
        ("PATCH /devices/{id}", "PATCH", "/devices/imei:356938035643809", {"session": {"event": "Start"}}),
        ("PATCH /devices", "PATCH", "/devices", {"devices": [
            {"id": "imei:356938035643809", "apn": "iot.example"},
            {"id": "iccid:89014103211118510720", "session": {"event": "Stop"}}]}),
    ],
}
# Requests per second per tenant, under each one's limits: 600/min everywhere, and acme's vendor
# quota of 5 calls/s (a bulk of 2 costs 2), hooli's of 180/min.
VALID_RATES = {"acme": 2.0, "globex": 5.0, "initech": 5.0, "umbrella": 5.0, "hooli": 2.0}
VALID_OK = {200, 201, 202, 207}
FAULT_STATUSES = {429, 502, 503, 504}

# Vendor faults, injected round-robin (docs/SIMULATORS.md "Faults"); each fault is for COUNT requests.
FAULTS = [
    {"kind": "reset"},
    {"kind": "garbage", "bytes": 200},
    {"kind": "vendorError", "status": 500},
    {"kind": "vendorError", "status": 503},
    {"kind": "vendorError", "status": 429},
    {"kind": "delay", "seconds": 12},  # past upstreamTimeoutSeconds (10): 504
    {"kind": "closeMidBody"},
    {"kind": "delay", "seconds": 1},   # late but in time: the normal answer
]


def now():
    return time.monotonic()


# --------------------------------------------------------------------------------------------------
# A small blocking HTTP/1.1-over-TLS client

class Transport(Exception):
    """A request that got no complete answer: category is what the report counts."""

    def __init__(self, category, detail=""):
        super().__init__(category + (": " + detail if detail else ""))
        self.category = category
        self.detail = detail


def classify(exc):
    if isinstance(exc, Transport):
        return exc
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return Transport("timeout")
    if isinstance(exc, ConnectionResetError):
        return Transport("connection reset")
    if isinstance(exc, BrokenPipeError):
        return Transport("broken pipe")
    if isinstance(exc, ConnectionRefusedError):
        return Transport("connection refused")
    if isinstance(exc, ssl.SSLEOFError):
        return Transport("closed without close_notify")
    if isinstance(exc, ssl.SSLError):
        return Transport("TLS error", str(exc).split("(_ssl")[0].strip())
    if isinstance(exc, OSError):
        return Transport("socket error", exc.strerror or str(exc))
    return Transport("client error", f"{type(exc).__name__}: {exc}")


class Response:
    __slots__ = ("status", "headers", "body", "close")

    def __init__(self, status, headers, body, close):
        self.status, self.headers, self.body, self.close = status, headers, body, close


class Client:
    def __init__(self, env, timeout=10.0, rcvbuf=None, sndbuf=None):
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if rcvbuf:
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            if sndbuf:
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            raw.settimeout(timeout)
            raw.connect(("127.0.0.1", env.port))
            self.sock = env.ctx.wrap_socket(raw, server_hostname="localhost")
        except BaseException:
            raw.close()
            raise
        self.buf = b""
        self.used = 0

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data, timeout=10.0):
        self.sock.settimeout(timeout)
        self.sock.sendall(data)

    def _fill(self, deadline):
        remaining = deadline - now()
        if remaining <= 0:
            raise Transport("timeout")
        self.sock.settimeout(remaining)
        data = self.sock.recv(65536)
        if data:
            self.buf += data
        return data

    def response(self, timeout=10.0, method="GET"):
        deadline = now() + timeout
        while True:
            while b"\r\n\r\n" not in self.buf:
                if not self._fill(deadline):
                    raise Transport("closed without an answer" if not self.buf else "closed mid-head")
            head, _, rest = self.buf.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            try:
                status = int(lines[0].split(b" ")[1])
            except (IndexError, ValueError):
                raise Transport("unparsable answer", repr(lines[0][:80]))
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
            self.buf = rest
            if 100 <= status < 200:
                continue
            break
        if method == "HEAD" or status in (204, 304):
            body = b""
        elif "content-length" in headers:
            n = int(headers["content-length"])
            while len(self.buf) < n:
                if not self._fill(deadline):
                    raise Transport("closed mid-body")
            body, self.buf = self.buf[:n], self.buf[n:]
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                while b"\r\n" not in self.buf:
                    if not self._fill(deadline):
                        raise Transport("closed mid-body")
                size_line, _, self.buf = self.buf.partition(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                while len(self.buf) < size + 2:
                    if not self._fill(deadline):
                        raise Transport("closed mid-body")
                body += self.buf[:size]
                self.buf = self.buf[size + 2:]
                if size == 0:
                    break
        else:
            while self._fill(deadline):
                pass
            body, self.buf = self.buf, b""
        self.used += 1
        return Response(status, headers, body, headers.get("connection", "").lower() == "close")


def request_bytes(method, path, headers=(), body=None, content_length=None):
    out = [f"{method} {path} HTTP/1.1", "Host: localhost", "User-Agent: switchyard-soak"]
    out += [f"{k}: {v}" for k, v in headers]
    if body is not None or content_length is not None:
        out.append(f"Content-Length: {len(body) if content_length is None else content_length}")
    data = ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")
    return data + (body or b"")


def device_request(method, path, token, body, extra=()):
    headers = [("Accept", "application/json")]
    if token:
        headers.append(("Authorization", f"Bearer {token}"))
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
        headers.append(("Content-Type", "application/json"))
    headers += list(extra)
    return request_bytes(method, path, headers, data)


# --------------------------------------------------------------------------------------------------
# Bookkeeping

class Stats:
    def __init__(self, max_examples):
        self.lock = threading.Lock()
        self.by_kind = collections.defaultdict(collections.Counter)  # kind -> outcome -> n
        self.unexpected = collections.Counter()                       # (kind, what) -> n
        self.examples = collections.defaultdict(list)                 # (kind, what) -> [text]
        self.max_examples = max_examples
        self.notes = collections.defaultdict(list)                    # free-form per topic

    def count(self, kind, outcome):
        with self.lock:
            self.by_kind[kind][outcome] += 1

    def bad(self, kind, what, example):
        with self.lock:
            self.unexpected[(kind, what)] += 1
            if len(self.examples[(kind, what)]) < self.max_examples:
                stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%H:%M:%S")
                self.examples[(kind, what)].append(f"{stamp} {example}")

    def note(self, topic, text):
        with self.lock:
            self.notes[topic].append(text)

    def unexpected_total(self):
        with self.lock:
            return sum(self.unexpected.values())


def outcome_text(r_or_exc):
    if isinstance(r_or_exc, Response):
        return str(r_or_exc.status)
    return r_or_exc.category


def short_body(r):
    text = r.body[:300].decode("utf-8", "replace")
    return text.replace("\n", " ")


class FaultWindows:
    """When each vendor had a fault pending (plus a grace): answers then may be 429/502/503/504."""

    def __init__(self):
        self.lock = threading.Lock()
        self.windows = collections.defaultdict(list)  # vendor -> [[start, end or None]]

    def open(self, vendor):
        w = [time.time(), None]
        with self.lock:
            self.windows[vendor].append(w)
        return w

    def close(self, w, grace):
        with self.lock:
            w[1] = time.time() + grace

    def overlaps(self, vendor, t0, t1):
        with self.lock:
            for start, end in self.windows.get(vendor, ()):
                if start <= t1 and (end is None or end >= t0):
                    return True
        return False


# --------------------------------------------------------------------------------------------------
# The environment: processes, ports, tokens

class Env:
    def __init__(self, args):
        self.args = args
        self.procs = {}          # name -> Popen
        self.sim_ports = {}      # vendor -> port
        self.port = None
        self.admin_port = None
        self.tokens = {}
        self.write_only_token = None
        self.secret = secrets.token_hex(32)
        self.stop = threading.Event()
        self.stats = Stats(args.examples)
        self.faults = FaultWindows()
        self.certs = os.path.join(SOAK_WORK, "certs")
        self.config_path = os.path.join(SOAK_WORK, "gateway.yaml")
        self.max_bulk = 1000
        self.ctx = None
        self.samples = []        # (t since start, rss KiB, hwm, threads, fds, simulators' rss)
        self.t0 = None
        self.gateway_exit = None

    # --- processes
    def start_process(self, name, argv, stdout, stderr):
        p = subprocess.Popen(argv, cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                             start_new_session=True)
        self.procs[name] = p
        return p

    def stop_all(self):
        order = ["gateway"] + [n for n in self.procs if n != "gateway"]
        for name in order:
            p = self.procs.get(name)
            if p is None or p.poll() is not None:
                continue
            p.send_signal(signal.SIGTERM)
        for name in order:
            p = self.procs.get(name)
            if p is None:
                continue
            try:
                code = p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                code = p.wait()
            if name == "gateway" and self.gateway_exit is None:
                self.gateway_exit = code

    def gateway_pid(self):
        return self.procs["gateway"].pid

    def gateway_alive(self):
        return self.procs["gateway"].poll() is None

    # --- setup
    def setup(self):
        a = self.args
        os.makedirs(SOAK_WORK, exist_ok=True)
        subprocess.run([os.path.join(REPO_ROOT, "certs/make-dev-certs.sh"), "--out", self.certs],
                       check=True, stdout=subprocess.DEVNULL)
        self.ctx = ssl.create_default_context(cafile=os.path.join(self.certs, "ca.crt"))
        for vendor in TENANTS.values():
            log_path = os.path.join(SOAK_WORK, f"sim-{vendor}.log")
            out = open(log_path, "w")
            self.start_process(f"sim-{vendor}", [a.binary, "simulate", vendor, "--port", "0",
                                                 "--cert", os.path.join(self.certs, "server.crt"),
                                                 "--key", os.path.join(self.certs, "server.key")], out, out)
            deadline = now() + 20
            while vendor not in self.sim_ports:
                m = re.search(r"listening on https://[^:]+:(\d+)", open(log_path).read())
                if m:
                    self.sim_ports[vendor] = int(m.group(1))
                elif self.procs[f"sim-{vendor}"].poll() is not None or now() > deadline:
                    raise SystemExit(f"soak: the {vendor} simulator did not start; see {log_path}")
                else:
                    time.sleep(0.1)
        self.port, self.admin_port = free_ports(2)
        self.write_config()
        check = subprocess.run([a.binary, "check", "--config", self.config_path], cwd=REPO_ROOT,
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise SystemExit(f"soak: switchyard check refused {self.config_path}:\n{check.stdout}{check.stderr}")
        access = open(os.path.join(SOAK_WORK, "gateway-access.log"), "w") if a.keep_access_log else subprocess.DEVNULL
        self.gateway_log = os.path.join(SOAK_WORK, "gateway.log")
        self.start_process("gateway", [a.binary, "serve", "--config", self.config_path],
                           access, open(self.gateway_log, "w"))
        deadline = now() + 30
        while True:
            if not self.gateway_alive():
                raise SystemExit(f"soak: the gateway exited at start; see {self.gateway_log}")
            try:
                if self.admin("GET", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            if now() > deadline:
                raise SystemExit("soak: the gateway's /readyz did not answer 200 within 30 s")
            time.sleep(0.2)
        for tenant in TENANTS:
            self.tokens[tenant] = self.mint(tenant, "devices:write devices:bulk")
        self.write_only_token = self.mint("acme", "devices:write")

    def write_config(self):
        extra = "".join(line + "\n" for line in self.args.gateway_yaml)
        text = CONFIG_TEMPLATE.format(
            port=self.port, admin_port=self.admin_port, workers=self.args.workers,
            cert=os.path.join(self.certs, "server.crt"), key=os.path.join(self.certs, "server.key"),
            ca=os.path.join(self.certs, "ca.crt"), secret=self.secret, max_bulk=self.max_bulk, extra=extra,
            **{f"sim_{v.replace('-', '_')}": p for v, p in self.sim_ports.items()})
        tmp = self.config_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.config_path)

    def mint(self, tenant, scope):
        out = subprocess.run([self.args.binary, "token", "--config", self.config_path, "--tenant", tenant,
                              "--scope", scope, "--ttl", str(max(86400, int(self.args.duration) * 3))],
                             cwd=REPO_ROOT, capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def admin(self, method, path, timeout=10):
        req = urllib.request.Request(f"http://127.0.0.1:{self.admin_port}{path}", method=method,
                                     data=b"" if method == "POST" else None)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def simulator(self, vendor, method, path, body=None, timeout=10):
        req = urllib.request.Request(f"https://127.0.0.1:{self.sim_ports[vendor]}/_simulator{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
        ctx = ssl.create_default_context(cafile=os.path.join(self.certs, "ca.crt"))
        try:
            with urllib.request.urlopen(req, timeout=timeout, context=ctx) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, e.read()


def free_ports(n):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def proc_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.strip()
    except OSError:
        return None
    return out


def rss_kib(pid):
    st = proc_status(pid)
    if not st or "VmRSS" not in st:
        return None
    return int(st["VmRSS"].split()[0])


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


# --------------------------------------------------------------------------------------------------
# Traffic

def sleep_until(env, t):
    while not env.stop.is_set():
        d = t - now()
        if d <= 0:
            return True
        env.stop.wait(min(d, 0.5))
    return False


def judge_valid(env, kind, vendor, result, t0, t1):
    """Valid requests: 2xx, or 429 (the tenant's limit or vendor quota); 502/503/504 only while a
    fault was pending at that tenant's vendor; never a transport failure, never slow outside faults."""
    st = env.stats
    st.count(kind, outcome_text(result))
    in_fault = env.faults.overlaps(vendor, t0, t1)
    if isinstance(result, Transport):
        st.bad(kind, result.category, f"{result}{' (fault pending)' if in_fault else ''}")
        return
    r = result
    if r.status in VALID_OK or r.status == 429 or (in_fault and r.status in FAULT_STATUSES):
        if r.status in VALID_OK:
            try:
                doc = json.loads(r.body)
                if not isinstance(doc, dict) or not ("id" in doc or "results" in doc):
                    st.bad(kind, "2xx without a device document", short_body(r))
            except ValueError:
                st.bad(kind, "2xx body not JSON", short_body(r))
        if not in_fault and t1 - t0 > env.args.slow_answer:
            st.bad(kind, f"answer took over {env.args.slow_answer:g} s", f"{r.status} after {t1 - t0:.1f} s")
        return
    st.bad(kind, f"status {r.status}" + (" (fault pending)" if in_fault else ""), short_body(r))


def valid_worker(env, tenant):
    vendor = TENANTS[tenant]
    ops = VALID_OPS[tenant]
    interval = 1.0 / (VALID_RATES[tenant] * env.args.valid_rate_scale)
    client = None
    n = random.randrange(len(ops))
    next_t = now()
    while sleep_until(env, next_t):
        next_t += interval
        op, method, path, body = ops[n % len(ops)]
        n += 1
        kind = f"valid {tenant} ({vendor}) {op}"
        t0 = time.time()
        try:
            if client is None:
                client = Client(env, timeout=env.args.request_timeout)
            client.send(device_request(method, path, env.tokens[tenant], body))
            result = client.response(timeout=env.args.request_timeout)
        except Exception as e:  # noqa: BLE001 - every failure is counted
            result = classify(e)
        t1 = time.time()
        judge_valid(env, kind, vendor, result, t0, t1)
        if isinstance(result, Transport) or result.close or client.used >= env.args.requests_per_connection:
            if client is not None:
                client.close()
            client = None
    if client is not None:
        client.close()


def deep_json(depth):
    return b'{"sim":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"


def duplicate_member_json(members):
    parts = [f'"k{i}":{i}' for i in range(members)]
    return ("{" + ",".join(parts) + ',"k0":0}').encode()


def gzip_bomb(size):
    return gzip.compress(b"\0" * size, 9)


class Invalid:
    """The invalid kinds: name -> (builder of the request bytes, expected statuses)."""

    def __init__(self, env):
        t = env.tokens
        big_dup = duplicate_member_json(40000)  # ~400 KiB, one duplicate member at the very end
        bomb = gzip_bomb(8 * 1024 * 1024)
        gate_patch = "/devices/imei:123456789012345"
        self.kinds = {
            "bad JSON": (lambda: device_request("PATCH", gate_patch, t["globex"], b'{"user": {"class": "gold"'), {400}),
            "no credential": (lambda: device_request("PATCH", gate_patch, None, {"user": {"class": "gold"}}), {401}),
            "bad token": (lambda: device_request("PATCH", gate_patch, "e30.e30.c2ln", {"user": {"class": "gold"}}), {401}),
            "wrong scope (write token on bulk)": (lambda: device_request(
                "PATCH", "/devices", env.write_only_token, {"devices": [{"id": "iccid:8988216716970004975"}]}), {403}),
            "unknown path": (lambda: device_request("GET", "/nope/" + secrets.token_hex(4), None, None), {404}),
            "wrong method": (lambda: device_request("DELETE", gate_patch, t["globex"], None), {405}),
            "oversized body (Content-Length 2 MiB)": (lambda: request_bytes(
                "PATCH", gate_patch, [("Authorization", f"Bearer {t['globex']}"), ("Content-Type", "application/json"),
                                      ("Accept", "application/json")], b"{" + b" " * 1023, content_length=2 * 1024 * 1024),
                {413}),
            "gzip bomb (8 MiB inflated)": (lambda: device_request(
                "PATCH", gate_patch, t["globex"], bomb, extra=[("Content-Encoding", "gzip")]), {413}),
            "nesting 40 deep": (lambda: device_request("PATCH", gate_patch, t["globex"], deep_json(40)), {400}),
            "100k open brackets": (lambda: device_request("PATCH", gate_patch, t["globex"], b"[" * 100000), {400}),
            "400 KiB body, duplicate member": (lambda: device_request("PATCH", gate_patch, t["globex"], big_dup), {400}),
            "bad request line": (lambda: b"PATCH  /devices HTTP/1.1\r\nHost: localhost\r\n\r\n", {400}),
            "20 KiB header": (lambda: request_bytes("GET", "/devices", [("X-Big", "a" * 20000)]), {431}),
            "wrong Content-Type": (lambda: request_bytes(
                "PATCH", gate_patch, [("Authorization", f"Bearer {t['globex']}"), ("Content-Type", "text/plain"),
                                      ("Accept", "application/json")], b'{"user":{"class":"gold"}}'), {415}),
            "wrong Accept": (lambda: request_bytes(
                "PATCH", gate_patch, [("Authorization", f"Bearer {t['globex']}"), ("Content-Type", "application/json"),
                                      ("Accept", "text/html")], b'{"user":{"class":"gold"}}'), {406}),
            "oversized chunked body": (None, {413}),
        }


def send_chunked_oversize(env, client, token):
    """Sends a chunked body past maxBodyBytes 64 KiB at a time, stopping as soon as an answer is readable."""
    head = request_bytes("PATCH", "/devices/imei:123456789012345",
                         [("Authorization", f"Bearer {token}"), ("Content-Type", "application/json"),
                          ("Accept", "application/json"), ("Transfer-Encoding", "chunked")])
    client.send(head)
    chunk = b"%x\r\n" % 65536 + b" " * 65536 + b"\r\n"
    # at most maxBodyBytes + 512 KiB (1.5 MiB): less than the 1 MiB the gateway drains after its answer, so
    # the answer must arrive (docs/HTTP.md); a client that kept sending past that could be reset
    for _ in range(24):
        if answer_waiting(client, 0):
            break
        client.send(chunk)
    return client.response(timeout=env.args.request_timeout)


def answer_waiting(client, wait):
    """True when the server has sent application data or closed: readable for more than a TLS session
    ticket (which TLS 1.3 servers send after the handshake and which makes the socket readable too)."""
    import select
    r, _, _ = select.select([client.sock], [], [], wait)
    if not r and not client.sock.pending():
        return bool(client.buf)
    client.sock.settimeout(0.05)
    try:
        data = client.sock.recv(65536)
    except (socket.timeout, TimeoutError, ssl.SSLWantReadError):
        return bool(client.buf)
    except OSError:
        return True  # reset: the server cut it
    if not data:
        return True
    client.buf += data
    return True


def invalid_worker(env, index):
    inv = Invalid(env)
    names = list(inv.kinds)
    interval = env.args.invalid_workers / env.args.invalid_rate
    n = index * 7
    next_t = now()
    while sleep_until(env, next_t):
        next_t += interval
        name = names[n % len(names)]
        n += 1
        build, expected = inv.kinds[name]
        kind = f"invalid: {name}"
        t0 = now()
        client = None
        try:
            client = Client(env, timeout=env.args.request_timeout)
            if build is None:
                result = send_chunked_oversize(env, client, env.tokens["globex"])
            else:
                client.send(build())
                result = client.response(timeout=env.args.request_timeout)
        except Exception as e:  # noqa: BLE001
            result = classify(e)
        finally:
            if client is not None:
                client.close()
        took = now() - t0
        env.stats.count(kind, outcome_text(result))
        if isinstance(result, Transport):
            env.stats.bad(kind, result.category, str(result))
        elif result.status not in expected:
            env.stats.bad(kind, f"status {result.status} (expected {'/'.join(map(str, sorted(expected)))})",
                          short_body(result))
        elif took > env.args.slow_answer:
            env.stats.bad(kind, f"answer took over {env.args.slow_answer:g} s", f"{result.status} after {took:.1f} s")


# --- slow clients

def dribble(env, client, data, gap, give_up):
    """Sends data a byte at a time, `gap` seconds apart; returns the seconds it took, or raises when the
    server closed the connection (or give_up seconds passed: Transport('still open'))."""
    start = now()
    for i in range(len(data)):
        if env.stop.is_set():
            raise Transport("stopped")
        if now() - start > give_up:
            raise Transport("still open")
        client.send(data[i:i + 1])
        time.sleep(gap)
    return now() - start


def wait_closed(client, timeout):
    """Reads until the server closes (or answers): returns (seconds, status or None)."""
    start = now()
    try:
        r = client.response(timeout=timeout)
        return now() - start, r.status
    except Transport as e:
        if e.category == "timeout":
            raise
        return now() - start, None
    except Exception as e:  # noqa: BLE001
        t = classify(e)
        if t.category == "timeout":
            raise t
        return now() - start, None


def slow_worker(env, index):
    a = env.args
    kinds = ["slow head, in time", "slowloris head", "slow body, in time", "slowloris body"]
    n = index
    while not env.stop.is_set():
        name = kinds[n % len(kinds)]
        n += 1
        kind = f"slow: {name}"
        client = None
        t0 = time.time()
        start = now()
        try:
            client = Client(env, timeout=a.request_timeout)
            if name == "slow head, in time":
                # a valid gate PATCH whose head takes ~40 % of headerTimeoutSeconds
                req = device_request("PATCH", "/devices/imei:123456789012345", env.tokens["globex"],
                                     {"user": {"class": "gold"}})
                head, sep, body = req.partition(b"\r\n\r\n")
                gap = a.header_timeout * 0.4 / len(head)
                dribble(env, client, head + sep, gap, a.header_timeout)
                client.send(body)
                result = client.response(timeout=a.request_timeout)
                judge_valid(env, kind, "gate", result, t0, time.time())
            elif name == "slow body, in time":
                req = device_request("PATCH", "/devices/12345-6789", env.tokens["initech"],
                                     {"user": {"id": "alice"}, "push": {"token": "fcm-slow"}})
                head, sep, body = req.partition(b"\r\n\r\n")
                client.send(head + sep)
                dribble(env, client, body, min(0.05, a.header_timeout * 0.3 / len(body)), a.header_timeout)
                result = client.response(timeout=a.request_timeout)
                judge_valid(env, kind, "mobilefirst-push", result, t0, time.time())
            elif name == "slowloris head":
                # a head that never ends, a byte every 0.25 s: the header timeout must cut it
                client.send(b"GET /nope HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
                limit = a.header_timeout + a.cutoff_grace
                outcome = slowloris(env, client, b"a", 0.25, start, limit, a.header_timeout * 2 + 15)
                record_slowloris(env, kind, outcome, limit)
            else:
                # a valid head, then a body of 8 KiB at a byte a second: limits.bodyTimeoutSeconds
                # (API.md: the whole body within 30 s of the head; --body-timeout) must cut it
                head = request_bytes("PATCH", "/devices/12345-6789",
                                     [("Authorization", f"Bearer {env.tokens['initech']}"),
                                      ("Content-Type", "application/json"), ("Accept", "application/json")],
                                     None, content_length=8192)
                client.send(head + b'{"user": {"id": "')
                limit = a.body_timeout + a.cutoff_grace
                outcome = slowloris(env, client, b"x", 1.0, start, limit, a.body_timeout * 2 + 15)
                record_slowloris(env, kind, outcome, limit)
        except Exception as e:  # noqa: BLE001
            t = classify(e)
            if t.category != "stopped":
                env.stats.count(kind, t.category)
                env.stats.bad(kind, t.category, str(t))
        finally:
            if client is not None:
                client.close()


def slowloris(env, client, byte, gap, start, limit, give_up):
    """Dribbles until the server closes or answers; returns ('cut', seconds, status) or ('open', seconds)."""
    while not env.stop.is_set():
        elapsed = now() - start
        if elapsed > give_up:
            return ("open", elapsed, None)
        if answer_waiting(client, gap):
            try:
                secs, status = wait_closed(client, 5)
            except Transport:
                status = None  # bytes but no complete answer within 5 s
            return ("cut", now() - start, status)
        try:
            client.send(byte, timeout=5)
        except Exception:  # noqa: BLE001 - a reset or broken pipe: the server cut it
            return ("cut", now() - start, None)
    return ("stopped", now() - start, None)


def record_slowloris(env, kind, outcome, limit):
    what, secs, status = outcome
    if what == "stopped":
        return
    if what == "open":
        env.stats.count(kind, "never cut off")
        env.stats.bad(kind, "never cut off", f"still open after {secs:.0f} s (limit {limit:g} s); the soak gave up")
        return
    env.stats.count(kind, f"cut{' with ' + str(status) if status else ''}")
    env.stats.note(kind, secs)
    if secs > limit:
        env.stats.bad(kind, f"cut off late (over {limit:g} s)", f"after {secs:.1f} s")


# --- non-reading clients

def nonreading_worker(env, index):
    """Pipelines requests and never reads: how much does the gateway take before it stops reading?"""
    a = env.args
    req = device_request("PATCH", "/devices/imei:123456789012345", env.tokens["globex"], b'{"user": ')
    batch = req * 64
    env.stop.wait(5 + index * a.nonreading_hold / 2)
    while not env.stop.is_set():
        kind = "non-reading: pipelined bad JSON, never read"
        client = None
        start = now()
        sent = 0
        blocked_at = None
        try:
            client = Client(env, timeout=10, rcvbuf=16384, sndbuf=16384)
            rss0 = rss_kib(env.gateway_pid())
            client.sock.settimeout(3)
            while not env.stop.is_set() and now() - start < a.nonreading_hold and sent < a.nonreading_max_bytes:
                try:
                    n = client.sock.send(batch)
                    sent += n
                except (socket.timeout, TimeoutError, ssl.SSLWantWriteError):
                    blocked_at = now() - start
                    break
            while not env.stop.is_set() and now() - start < a.nonreading_hold:
                env.stop.wait(0.5)
            rss1 = rss_kib(env.gateway_pid())
            env.stats.count(kind, "held and closed")
            mib = sent / 1048576
            env.stats.note("nonreading", {
                "sent_mib": mib, "requests": sent // len(req), "blocked_after_s": blocked_at,
                "rss_before": rss0, "rss_after": rss1})
            if blocked_at is None and sent >= a.nonreading_max_bytes:
                env.stats.bad(kind, f"never pushed back (took {a.nonreading_max_bytes // 1048576} MiB)",
                              f"the gateway read {mib:.0f} MiB ({sent // len(req)} requests) without stopping; "
                              f"RSS {rss0} -> {rss1} KiB")
        except Exception as e:  # noqa: BLE001
            t = classify(e)
            env.stats.count(kind, t.category)
            env.stats.note("nonreading", {"sent_mib": sent / 1048576, "requests": sent // len(req),
                                          "blocked_after_s": blocked_at, "error": t.category})
            # A non-reading client may be closed by the gateway (that is its defence); only a failure
            # before anything was sent counts as unexpected.
            if sent == 0:
                env.stats.bad(kind, t.category, str(t))
        finally:
            if client is not None:
                client.close()
        env.stop.wait(a.nonreading_pause)


# --- faults, reloads, sampling

def fault_worker(env):
    a = env.args
    vendors = list(TENANTS.values())
    n = 0
    env.stop.wait(min(20, a.fault_interval))
    while not env.stop.is_set():
        vendor = vendors[n % len(vendors)]
        fault = dict(FAULTS[(n // len(vendors) + n) % len(FAULTS)])
        n += 1
        fault["count"] = a.fault_count
        w = env.faults.open(vendor)
        try:
            status, body = env.simulator(vendor, "POST", "/faults", fault)
        except OSError as e:
            status, body = None, str(e)
        if status not in (200, 201):
            env.stats.bad("fault injection", "control API refused", f"{vendor} {fault}: {status} {body!r}"[:300])
            env.faults.close(w, 0)
        else:
            deadline = now() + 90
            drained = False
            while not env.stop.is_set() and now() < deadline:
                try:
                    _, state = env.simulator(vendor, "GET", "/faults")
                    if isinstance(state, dict) and not state.get("faults"):
                        drained = True
                        break
                except OSError:
                    pass
                env.stop.wait(0.5)
            if not drained:
                try:
                    env.simulator(vendor, "DELETE", "/faults")
                except OSError:
                    pass
            env.faults.close(w, float(fault.get("seconds", 0)) + a.fault_grace)
            env.stats.note("faults", f"{vendor}: {json.dumps(fault)} "
                           + ("drained" if drained else "not drained (cleared)"))
        env.stats.count("fault injected", fault["kind"] + (f" {fault['status']}" if "status" in fault else "")
                        + (f" {fault['seconds']} s" if "seconds" in fault else ""))
        env.stop.wait(a.fault_interval)


def reload_worker(env):
    a = env.args
    n = 0
    env.stop.wait(a.reload_interval)
    while not env.stop.is_set():
        env.max_bulk = 999 if env.max_bulk == 1000 else 1000
        env.write_config()
        if n % 2 == 0:
            kind = "reload: POST /-/reload"
            try:
                status, body = env.admin("POST", "/-/reload", timeout=20)
                env.stats.count(kind, str(status))
                if status != 200:
                    env.stats.bad(kind, f"status {status}", body[:300].decode("utf-8", "replace"))
            except OSError as e:
                env.stats.count(kind, "error")
                env.stats.bad(kind, "admin listener failed", str(e))
        else:
            kind = "reload: SIGHUP"
            before = reload_lines(env)
            os.kill(env.gateway_pid(), signal.SIGHUP)
            deadline = now() + 10
            while now() < deadline and reload_lines(env) == before:
                time.sleep(0.2)
            after = reload_lines(env)
            if after == before:
                env.stats.count(kind, "no log line")
                env.stats.bad(kind, "no reload logged within 10 s", "gateway.log has no new reload line")
            else:
                env.stats.count(kind, "logged")
        n += 1
        env.stop.wait(a.reload_interval)


def reload_lines(env):
    try:
        with open(env.gateway_log, errors="replace") as f:
            return sum(1 for line in f if "reload" in line.lower())
    except OSError:
        return 0


def sample(env):
    pid = env.gateway_pid()
    st = proc_status(pid)
    if st is None:
        return None
    sims = 0
    for name, p in env.procs.items():
        if name.startswith("sim-"):
            sims += rss_kib(p.pid) or 0
    row = (round(time.time() - env.t0, 1), int(st["VmRSS"].split()[0]), int(st["VmHWM"].split()[0]),
           int(st["Threads"]), fd_count(pid), sims)
    env.samples.append(row)
    return row


def sampler_worker(env, csv_path):
    with open(csv_path, "w") as f:
        f.write("seconds,rss_kib,hwm_kib,threads,fds,simulators_rss_kib\n")
        next_t = now()
        while True:
            row = sample(env)
            if row is None:
                break
            f.write(",".join(map(str, row)) + "\n")
            f.flush()
            if env.args.verbose:
                print(f"soak: t={row[0]:.0f}s rss={row[1]} KiB fds={row[4]} unexpected={env.stats.unexpected_total()}",
                      file=sys.stderr, flush=True)
            next_t += env.args.sample_interval
            if not sleep_until(env, next_t):
                break


def watchdog(env):
    while not env.stop.is_set():
        if not env.gateway_alive():
            env.gateway_exit = env.procs["gateway"].returncode
            env.stats.bad("gateway process", "exited during the run", f"exit status {env.gateway_exit}")
            env.stop.set()
            return
        env.stop.wait(1)


# --------------------------------------------------------------------------------------------------
# Flood and rest

def flood(env):
    a = env.args
    stop = threading.Event()
    counts = collections.Counter()
    lock = threading.Lock()
    peak = [0]

    def count(what):
        with lock:
            counts[what] += 1

    tenants = list(TENANTS)
    big_valid_json = json.dumps({"custom": {"operatorCustom1": "x" * 250000}}).encode()
    bad_64k = b'{"user": {"class": "' + b"x" * 65536

    def requester(i):
        rnd = random.Random(i)
        while not stop.is_set():
            try:
                c = Client(env, timeout=10)
            except Exception as e:  # noqa: BLE001
                count("connect: " + classify(e).category)
                continue
            try:
                for _ in range(50):
                    if stop.is_set():
                        break
                    pick = rnd.random()
                    if pick < 0.4:
                        tenant = rnd.choice(tenants)
                        _, method, path, body = rnd.choice(VALID_OPS[tenant])
                        req = device_request(method, path, env.tokens[tenant], body)
                    elif pick < 0.6:
                        req = device_request("PATCH", "/devices/imei:123456789012345", env.tokens["globex"], bad_64k)
                    elif pick < 0.75:
                        req = device_request("PATCH", "/devices/8988216716970004975", env.tokens["acme"], big_valid_json)
                    elif pick < 0.9:
                        req = device_request("PATCH", "/devices/imei:1", None, {"a": 1})
                    else:
                        req = device_request("GET", "/nope", None, None)
                    c.send(req)
                    r = c.response(timeout=15)
                    count(str(r.status))
                    if r.close:
                        break
            except Exception as e:  # noqa: BLE001
                count(classify(e).category)
            finally:
                c.close()

    def half_body(i):
        # half of a 1 MiB body, then nothing: memory the gateway holds for an unfinished body
        while not stop.is_set():
            c = None
            try:
                c = Client(env, timeout=10)
                c.send(request_bytes("PATCH", "/devices/imei:123456789012345",
                                     [("Authorization", f"Bearer {env.tokens['globex']}"),
                                      ("Content-Type", "application/json"), ("Accept", "application/json")],
                                     b'{"user": {"class": "' + b"y" * (512 * 1024), content_length=1024 * 1024))
                count("half body sent")
                try:
                    r = c.response(timeout=a.flood_seconds)
                    count(f"half body answered {r.status}")
                except Transport as t:
                    if t.category != "timeout":
                        count("half body: " + t.category)
            except Exception as e:  # noqa: BLE001
                count("half body: " + classify(e).category)
            finally:
                if c is not None:
                    c.close()

    idle = None
    if a.flood_idle:
        idle = subprocess.Popen([sys.executable, os.path.join(BENCH_DIR, "idle_connections.py"), "--port", str(env.port),
                                 "--count", str(a.flood_idle), "--cafile", os.path.join(env.certs, "ca.crt"),
                                 "--max-hold", str(a.flood_seconds + 60), "--timeout", str(a.flood_seconds)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    threads = [threading.Thread(target=requester, args=(i,), daemon=True) for i in range(a.flood_connections)]
    threads += [threading.Thread(target=half_body, args=(i,), daemon=True) for i in range(a.flood_half_bodies)]
    start = now()
    for t in threads:
        t.start()
    while now() - start < a.flood_seconds and env.gateway_alive():
        r = rss_kib(env.gateway_pid()) or 0
        peak[0] = max(peak[0], r)
        time.sleep(1)
    stop.set()
    idle_out = ""
    if idle is not None:
        try:
            idle_out, _ = idle.communicate(input="", timeout=30)
        except subprocess.TimeoutExpired:
            idle.kill()
            idle_out, _ = idle.communicate()
    for t in threads:
        t.join(timeout=20)
    ready = [line for line in idle_out.splitlines() if line.startswith(("ready", "done"))]
    return counts, peak[0], ready


def rss_at_rest(env, n=3):
    values = []
    for _ in range(n):
        values.append(rss_kib(env.gateway_pid()) or 0)
        time.sleep(1)
    return round(sum(values) / len(values))


# --------------------------------------------------------------------------------------------------
# The report

def slope_kib_per_min(points):
    if len(points) < 3:
        return None
    xs = [p[0] / 60 for p in points]
    ys = [p[1] for p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx


def git_description():
    """The repository's HEAD when the soak started (and whether Sources/ differed from it): the binary's
    source only when it was built from this tree at that state, which the binary's time helps judge."""
    try:
        commit = subprocess.run(["git", "-C", REPO_ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO_ROOT, "status", "--porcelain", "--", "Sources", "Package.swift"],
                               capture_output=True, text=True).stdout.strip()
        return (commit or "unknown") + (" with uncommitted changes under Sources/" if dirty else "")
    except OSError:
        return "unknown"


def report(env, command, flood_result, checks, started_at, ran_for):
    a = env.args
    st = env.stats
    out = []
    w = out.append
    w("# Soak run")
    w("")
    w(f"- Command: `{command}`")
    w(f"- Date: {started_at} UTC; traffic for {ran_for:.0f} s of {a.duration:g} s asked")
    built = datetime.datetime.fromtimestamp(os.path.getmtime(a.binary), datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    w(f"- Gateway: `{a.binary}` (built {built} UTC; the repository was at {env.repo_state} when the soak "
      f"started); `switchyard serve` on "
      f"{os.path.relpath(env.config_path, REPO_ROOT)} (routes/demo.yaml's tenants, limits and quotas; "
      f"workers: {a.workers}); pid {env.gateway_pid()}, exit status {env.gateway_exit}")
    w(f"- Simulators: five `switchyard simulate` processes, ports "
      + ", ".join(f"{v} {p}" for v, p in env.sim_ports.items()))
    w(f"- Machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}")
    w("")
    w("## Checks")
    w("")
    w("| check | measured | threshold | |")
    w("|---|---:|---:|---|")
    for name, measured, threshold, ok in checks:
        w(f"| {name} | {measured} | {threshold} | {'pass' if ok else '**FAIL**'} |")
    w("")

    w("## Memory (VmRSS of the gateway process)")
    w("")
    samples = env.samples
    soak_samples = [s for s in samples if s[0] <= ran_for + a.sample_interval]
    if soak_samples:
        rss = [s[1] for s in soak_samples]
        after = [s for s in soak_samples if s[0] >= a.warmup]
        slope = slope_kib_per_min([(s[0], s[1]) for s in after])
        w(f"- samples: {len(soak_samples)}, every {a.sample_interval:g} s; warm-up {a.warmup:g} s "
          f"({len(after)} samples after it)")
        w(f"- first {rss[0]} KiB, last {rss[-1]} KiB, min {min(rss)} KiB, max {max(rss)} KiB; "
          f"VmHWM at the end {soak_samples[-1][2]} KiB")
        w(f"- slope after warm-up: **{fmt(slope, 1)} KiB/min** (least squares)")
        w(f"- threads {soak_samples[-1][3]}, open fds first {soak_samples[0][4]} / last {soak_samples[-1][4]} / "
          f"max {max(s[4] or 0 for s in soak_samples)}; simulators' RSS (five processes, not the gateway's) "
          f"{soak_samples[0][5]} → {soak_samples[-1][5]} KiB")
        csv = os.path.relpath(env.csv_path, REPO_ROOT)
        w(f"- every sample: {env.csv_path if csv.startswith('..') else csv}")
        w("")
        step = max(1, len(soak_samples) // 20)
        w("| s | RSS KiB | fds |")
        w("|---:|---:|---:|")
        for s in soak_samples[::step] + ([soak_samples[-1]] if (len(soak_samples) - 1) % step else []):
            w(f"| {s[0]:.0f} | {s[1]} | {s[4]} |")
        w("")

    w("## Unexpected answers")
    w("")
    total_unexpected = st.unexpected_total()
    if not total_unexpected:
        w("None.")
    else:
        w(f"{total_unexpected} in all.")
        w("")
        w("| kind | what | count |")
        w("|---|---|---:|")
        for (kind, what), n in sorted(st.unexpected.items(), key=lambda kv: -kv[1]):
            w(f"| {kind} | {what} | {n} |")
        w("")
        w("Examples:")
        w("")
        for (kind, what), exs in sorted(st.examples.items(), key=lambda kv: -st.unexpected[kv[0]]):
            for ex in exs:
                w(f"- {kind} — {what}: `{ex.replace('`', chr(39))}`")
    w("")

    w("## Requests by kind")
    w("")
    w("Valid requests may get 2xx or 429 (tenant limit, vendor quota); 429/502/503/504 also while a fault was")
    w("pending at their vendor. Invalid ones must get the status in the table's kind. Slowloris kinds must be")
    w(f"cut off within the header timeout ({a.header_timeout:g} s) or the body timeout ({a.body_timeout:g} s), "
      f"plus {a.cutoff_grace:g} s.")
    w("")
    w("| kind | requests | outcomes |")
    w("|---|---:|---|")
    for kind in sorted(st.by_kind):
        c = st.by_kind[kind]
        w(f"| {kind} | {sum(c.values())} | {', '.join(f'{k} ×{v}' for k, v in c.most_common())} |")
    w("")
    by_status = collections.Counter()
    for kind, c in st.by_kind.items():
        if kind.startswith(("valid", "invalid", "slow", "non-reading")):
            for k, v in c.items():
                by_status[k] += v
    w("By status (all client requests): " + ", ".join(f"{k} ×{v}" for k, v in sorted(by_status.items())))
    w("")
    for kind in sorted(k for k in st.notes if k.startswith("slow")):
        secs = st.notes[kind]
        w(f"- {kind}: cut off after {min(secs):.1f}–{max(secs):.1f} s ({len(secs)} times)")
    nr = st.notes.get("nonreading", [])
    if nr:
        blocked = [x for x in nr if x.get("blocked_after_s") is not None]
        sent = [x["sent_mib"] for x in nr]
        w(f"- non-reading clients: {len(nr)} episodes of {a.nonreading_hold:g} s; the gateway took "
          f"{min(sent):.2f}–{max(sent):.2f} MiB of pipelined requests from each before it stopped reading "
          f"({len(blocked)} of {len(nr)} pushed back within {a.nonreading_max_bytes // 1048576} MiB)")
        for x in nr[:6]:
            w(f"  - {x}")
    faults = st.notes.get("faults", [])
    if faults:
        w(f"- vendor faults injected ({len(faults)}): " + "; ".join(faults[:12]) + (" …" if len(faults) > 12 else ""))
    w("")

    if flood_result:
        w("## Flood and rest")
        w("")
        fr = flood_result
        w(f"- at rest before: {fr['rest']} KiB (mean of 3 readings, {a.rest_seconds:g} s after the soak's traffic stopped)")
        w(f"- flood: {a.flood_seconds:g} s, {a.flood_connections} request threads (keep-alive, a mix of valid, "
          f"64 KiB bad JSON, 250 KiB field, no credential, unknown path), {a.flood_half_bodies} half-sent 1 MiB "
          f"bodies, {a.flood_idle} idle TLS connections; peak RSS {fr['peak']} KiB")
        w(f"- answers: " + ", ".join(f"{k} ×{v}" for k, v in fr["counts"].most_common()))
        if fr["idle"]:
            w(f"- idle connections: " + "; ".join(fr["idle"]))
        w(f"- {a.rest_seconds:g} s after the flood: {fr['after']} KiB = {fr['ratio']:.2f}× the rest level "
          f"(limit {1 + a.rest_tolerance:.2f}×)")
        w("")
    try:
        with open(env.gateway_log, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        lines = []
    w(f"## The gateway's log ({len(lines)} lines, {os.path.relpath(env.gateway_log, REPO_ROOT)})")
    w("")
    interesting = [l for l in lines if re.search(r"error|warning|critical|fatal|panic", l, re.I)]
    w(f"{len(interesting)} lines with error/warning/critical. Last ones:")
    w("")
    w("```")
    for line in (interesting or lines)[-8:]:
        w(line[:300])
    w("```")
    return "\n".join(out) + "\n"


def fmt(v, digits):
    return "n/a" if v is None else f"{v:.{digits}f}"


# --------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=".build/release/switchyard", help="the switchyard binary (default %(default)s; "
                    "relative to the repository root); the soak builds nothing")
    ap.add_argument("--duration", type=float, default=1800, help="seconds of mixed traffic (default %(default)s)")
    ap.add_argument("--warmup", type=float, default=None,
                    help="seconds left out of the slope (default a quarter of --duration, at most 300)")
    ap.add_argument("--sample-interval", type=float, default=10, help="seconds between RSS samples (default %(default)s)")
    ap.add_argument("--max-slope", type=float, default=64,
                    help="fail when RSS grows faster than this, KiB per minute after warm-up (default %(default)s)")
    ap.add_argument("--max-unexpected", type=int, default=0,
                    help="fail when more unexpected answers than this (default %(default)s)")
    ap.add_argument("--rest-tolerance", type=float, default=0.25,
                    help="fail when RSS after the flood is above (1 + this) × the rest level (default %(default)s)")
    ap.add_argument("--workers", default="auto", help="the gateway's workers (default auto, as the demo)")
    ap.add_argument("--gateway-yaml", action="append", default=[], metavar="LINE",
                    help="an extra top-level line for the gateway's configuration (repeatable)")
    ap.add_argument("--valid-rate-scale", type=float, default=1.0,
                    help="multiplies the valid requests' per-tenant rates (default 1: acme 2/s, hooli 2/s, others 5/s)")
    ap.add_argument("--invalid-rate", type=float, default=40, help="invalid requests per second in all (default %(default)s)")
    ap.add_argument("--invalid-workers", type=int, default=2, help="threads sending them (default %(default)s)")
    ap.add_argument("--slow-clients", type=int, default=4, help="concurrent slow clients (default %(default)s)")
    ap.add_argument("--nonreading-clients", type=int, default=2, help="concurrent non-reading clients (default %(default)s)")
    ap.add_argument("--nonreading-hold", type=float, default=30, help="seconds each holds its connection (default %(default)s)")
    ap.add_argument("--nonreading-pause", type=float, default=15, help="seconds between episodes (default %(default)s)")
    ap.add_argument("--nonreading-max-bytes", type=int, default=64 * 1048576,
                    help="stop sending after this many bytes; reaching it means no back pressure (default 64 MiB)")
    ap.add_argument("--fault-interval", type=float, default=30, help="seconds between vendor faults (default %(default)s)")
    ap.add_argument("--fault-count", type=int, default=3, help="vendor requests each fault applies to (default %(default)s)")
    ap.add_argument("--fault-grace", type=float, default=3,
                    help="seconds after a fault drained during which 5xx are still expected (default %(default)s)")
    ap.add_argument("--reload-interval", type=float, default=60, help="seconds between reloads (default %(default)s)")
    ap.add_argument("--header-timeout", type=float, default=10, help="the gateway's limits.headerTimeoutSeconds (default %(default)s)")
    ap.add_argument("--body-timeout", type=float, default=30,
                    help="the whole body's deadline after the head, API.md's limits.bodyTimeoutSeconds (default %(default)s)")
    ap.add_argument("--cutoff-grace", type=float, default=5,
                    help="seconds past a timeout before a slowloris counts as cut off late (default %(default)s)")
    ap.add_argument("--slow-answer", type=float, default=5,
                    help="an answer slower than this (outside vendor faults) is unexpected (default %(default)s)")
    ap.add_argument("--request-timeout", type=float, default=30, help="client timeout per request (default %(default)s)")
    ap.add_argument("--requests-per-connection", type=int, default=100,
                    help="valid clients reconnect after this many requests (default %(default)s)")
    ap.add_argument("--flood-seconds", type=float, default=30, help="length of the flood (default %(default)s; 0 skips it)")
    ap.add_argument("--flood-connections", type=int, default=100, help="flood request threads (default %(default)s)")
    ap.add_argument("--flood-half-bodies", type=int, default=32, help="flood connections holding half a 1 MiB body (default %(default)s)")
    ap.add_argument("--flood-idle", type=int, default=2000, help="idle TLS connections held during the flood (default %(default)s)")
    ap.add_argument("--rest-seconds", type=float, default=15, help="quiet before each rest reading (default %(default)s)")
    ap.add_argument("--examples", type=int, default=3, help="examples kept per kind of unexpected answer (default %(default)s)")
    ap.add_argument("--keep-access-log", action="store_true",
                    help="keep the gateway's access log (stdout) in .work/soak/gateway-access.log (default: discarded)")
    ap.add_argument("--report", default=os.path.join(WORK, "soak-report.md"), help="report file (default %(default)s)")
    ap.add_argument("-v", "--verbose", action="store_true", help="a progress line per RSS sample on stderr")
    a = ap.parse_args()
    if a.warmup is None:
        a.warmup = min(300.0, a.duration / 4)
    if not os.path.isabs(a.binary):
        a.binary = os.path.join(REPO_ROOT, a.binary)
    if not os.access(a.binary, os.X_OK):
        sys.exit(f"soak: no executable at {a.binary}; build it with `scripts/build-release.sh`")
    command = "Benchmarks/soak.py" + "".join(" " + shlex.quote(x) for x in sys.argv[1:])

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 65536) if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))  # children (the gateway) inherit it

    env = Env(a)
    env.repo_state = git_description()
    started_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")

    def on_signal(signum, frame):
        env.stop.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    exit_code = 0
    try:
        try:
            env.setup()
        except (subprocess.CalledProcessError, OSError) as e:
            print(f"soak: setup failed: {e}", file=sys.stderr)
            return 2
        env.t0 = time.time()
        print(f"soak: gateway pid {env.gateway_pid()} on 127.0.0.1:{env.port} (admin {env.admin_port}); "
              f"{a.duration:g} s of traffic, then the flood", file=sys.stderr, flush=True)
        # beside the report: .work/soak-report.md -> .work/soak-report-rss.csv
        env.csv_path = os.path.splitext(os.path.abspath(a.report))[0] + "-rss.csv"
        os.makedirs(os.path.dirname(env.csv_path), exist_ok=True)
        sampler = threading.Thread(target=sampler_worker, args=(env, env.csv_path), daemon=True)
        sampler.start()
        threads = [threading.Thread(target=watchdog, args=(env,), daemon=True)]
        threads += [threading.Thread(target=valid_worker, args=(env, t), daemon=True) for t in TENANTS]
        threads += [threading.Thread(target=invalid_worker, args=(env, i), daemon=True) for i in range(a.invalid_workers)]
        threads += [threading.Thread(target=slow_worker, args=(env, i), daemon=True) for i in range(a.slow_clients)]
        threads += [threading.Thread(target=nonreading_worker, args=(env, i), daemon=True)
                    for i in range(a.nonreading_clients)]
        threads += [threading.Thread(target=fault_worker, args=(env,), daemon=True),
                    threading.Thread(target=reload_worker, args=(env,), daemon=True)]
        for t in threads:
            t.start()
        start = now()
        try:
            while now() - start < a.duration and not env.stop.is_set():
                time.sleep(0.5)
        except KeyboardInterrupt:
            print("soak: interrupted; reporting what ran", file=sys.stderr)
        ran_for = now() - start
        env.stop.set()
        for t in threads:
            t.join(timeout=a.request_timeout + 20)
        sample(env)  # one last reading for the slope, with the traffic just stopped
        sampler.join(timeout=a.sample_interval + 5)

        flood_result = None
        if a.flood_seconds > 0 and env.gateway_alive():
            print("soak: traffic stopped; flood-and-rest check", file=sys.stderr, flush=True)
            time.sleep(a.rest_seconds)
            rest = rss_at_rest(env)
            counts, peak, idle = flood(env)
            time.sleep(a.rest_seconds)
            after = rss_at_rest(env) if env.gateway_alive() else None
            if after is None:
                env.stats.bad("gateway process", "exited during the flood", str(env.procs["gateway"].returncode))
            flood_result = {"rest": rest, "peak": peak, "after": after or 0, "counts": counts, "idle": idle,
                            "ratio": (after or 0) / rest if rest else 0}

        after_warm = [(s[0], s[1]) for s in env.samples if a.warmup <= s[0] <= ran_for + a.sample_interval]
        slope = slope_kib_per_min(after_warm)
        unexpected = env.stats.unexpected_total()
        checks = [
            ("RSS slope after warm-up, KiB/min", fmt(slope, 1), f"≤ {a.max_slope:g}",
             slope is not None and slope <= a.max_slope),
            ("unexpected answers", str(unexpected), f"≤ {a.max_unexpected}", unexpected <= a.max_unexpected),
        ]
        if flood_result:
            checks.append(("RSS 15 s after the flood ÷ RSS at rest".replace("15", f"{a.rest_seconds:g}"),
                           f"{flood_result['ratio']:.2f}× ({flood_result['after']} / {flood_result['rest']} KiB)",
                           f"≤ {1 + a.rest_tolerance:.2f}×", 0 < flood_result["ratio"] <= 1 + a.rest_tolerance))
        env.stop_all()
        if env.gateway_exit not in (0, None):
            env.stats.bad("gateway process", "non-zero exit status after SIGTERM", str(env.gateway_exit))
            checks[1] = ("unexpected answers", str(env.stats.unexpected_total()), f"≤ {a.max_unexpected}",
                         env.stats.unexpected_total() <= a.max_unexpected)
        text = report(env, command, flood_result, checks, started_at, ran_for)
        os.makedirs(os.path.dirname(os.path.abspath(a.report)), exist_ok=True)
        with open(a.report, "w") as f:
            f.write(text)
        sys.stdout.write(text)
        exit_code = 0 if all(c[3] for c in checks) else 1
    finally:
        env.stop.set()
        env.stop_all()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
