"""The servers a run starts: the gateway (`switchyard serve`), Debian's nginx as the gateway's
counterpart, nginx as a reverse proxy, switchyard-passthrough, the nginx + Lua gateway of the
translated scenario, and the upstream nginx behind the last four. Each is described by how to
configure and start it; `started()` runs any of them the same way: pinned, with the run's open-file
limit, waited for, and stopped by its pid."""

import http.client
import os
import re
import ssl
import subprocess
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import progress
from .bench import BENCH_DIR, REPO_ROOT
from .counters import parse_metrics, parse_passthrough_counts, parse_stub_status
from .messages import (BENCH_PATH, CC_UPSTREAM_BODY, GATE_UPSTREAM_BODY, PROBLEM_BODY,
                       UPSTREAM_BODY)
from .processes import BenchError, polls

START_SECONDS = 30
# The translated scenario's tenant rate limit (requests, perSeconds), the gateway's and nginx + Lua's:
# 1,000,000 is the most the gateway's configuration takes, far above what any run here reaches.
TENANT_RATE_LIMIT = (1000000, 1)


@dataclass
class Running:
    """A started server: its process, the port it answers on, and the file its output goes to."""

    label: str
    process: object
    port: int
    output: Path

    @property
    def pid(self):
        """The process the counters are read from, with its descendants."""
        return self.process.pid


class Server:
    """How to start one kind of server. `label` names it in messages and in the report."""

    label = ""
    pinned = "server"          # "server" or "client" CPUs (--server-cpus, --client-cpus), or None
    start_seconds = START_SECONDS
    probe_seconds = 2

    def command(self, bench, tag):
        """(argv, working directory, output file, whether to append to it)."""
        raise NotImplementedError

    def port(self, bench):
        """The port it listens on, from the run's free ports."""
        raise NotImplementedError

    def ready(self, bench):
        """Whether it answers: any HTTP answer to GET /bench over TLS will do."""
        return https_status(self.port(bench), BENCH_PATH, self.probe_seconds) is not None

    def counters_before_stop(self, bench, running):
        """Figures only the running server can give, read right after the measured load."""
        return {}

    def counters_after_stop(self, bench, running):
        """Figures the server gives when it stops."""
        return {}


@contextmanager
def started(bench, server, tag=""):
    """Starts `server` and yields it once it answers (within its start_seconds); stops it, by its pid
    and with its descendants, when the block ends for any reason. `tag` names one start where the
    output goes to a file per start."""
    argv, cwd, output, append = server.command(bench, tag)
    pin = {"server": bench.pin_server, "client": bench.pin_client}.get(server.pinned, [])
    with open(output, "a" if append else "w") as out:
        process = bench.supervisor.start(pin + argv, stdout=out, cwd=cwd)
    running = Running(server.label, process, server.port(bench), output)
    try:
        wait_until_ready(bench, server, running)
        yield running
    finally:
        bench.supervisor.stop(process)


def wait_until_ready(bench, server, running):
    """Polls every 0.1 s, at most start_seconds; fails at once when the server exits."""
    for _ in polls(server.start_seconds):
        if running.process.poll() is not None:
            raise BenchError(f"{running.label} exited at start; see {running.output}")
        if server.ready(bench):
            return
    raise BenchError(f"{running.label} did not answer on 127.0.0.1:{running.port} within "
                     f"{server.start_seconds} s; see {running.output}")


def https_status(port, path, seconds):
    """The status of GET `path` over TLS to 127.0.0.1 (certificate not checked), or None. No
    Accept-Encoding: switchyard-passthrough refuses to forward one (502), which would count as a
    request sent that the upstream never saw."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=seconds, context=context)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def http_get(url, seconds=5):
    """The body of a plain-HTTP GET to a loopback URL, or None."""
    try:
        with urllib.request.urlopen(url, timeout=seconds) as answer:
            return answer.read().decode()
    except OSError:
        return None


# --- nginx ---------------------------------------------------------------------------------------------------

def render_template(name, values, directory="nginx"):
    """nginx/NAME (or DIRECTORY/NAME) with its @NAME@ placeholders filled in; a placeholder left over
    (outside comments) is an error, not a broken configuration."""
    text = (BENCH_DIR / directory / name).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", str(value))
    left = sorted(set(re.findall(r"@[A-Z_]+@", "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith("#")))))
    if left:
        raise BenchError(f"{directory}/{name}: placeholders left: {' '.join(left)}")
    return text


class Nginx(Server):
    """One nginx, configured from a template in nginx/ into its own prefix under .work/, in the
    foreground as the run's child."""

    template = ""
    template_dir = "nginx"  # where the template is, under Benchmarks/
    prefix = ""       # directory under .work/
    output = ""       # file under .work/logs/, appended to
    private = False   # the configuration holds a secret: readable by its owner only

    def values(self, bench):
        """The template's placeholders besides PREFIX and NOFILE."""
        raise NotImplementedError

    def command(self, bench, tag):
        prefix = bench.work / self.prefix
        (prefix / "tmp").mkdir(parents=True, exist_ok=True)
        config = prefix / "nginx.conf"
        text = render_template(self.template, {"PREFIX": prefix, "NOFILE": bench.nofile, **self.values(bench)},
                               self.template_dir) + "\n"
        if self.private:
            config.unlink(missing_ok=True)
            with os.fdopen(os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
                f.write(text)
        else:
            config.write_text(text)
        (prefix / "nginx.pid").unlink(missing_ok=True)
        argv = ["nginx", "-p", str(prefix), "-c", str(config), "-e", str(prefix / "error.log")]
        return argv, None, bench.log(self.output), True


class NginxServer(Nginx):
    """nginx in the gateway's place: the same certificate, TLS versions, session tickets and worker
    count, no access log, and the gateway's 404 problem document for every path."""

    label = "nginx"
    template = "nginx.conf.template"
    prefix = "nginx"
    output = "nginx.out"

    def __init__(self, access_log="off", pinned="server"):
        self.access_log = access_log
        self.pinned = pinned

    def port(self, bench):
        return bench.ports.nginx

    def values(self, bench):
        return {"WORKERS": bench.options.workers, "PORT": bench.ports.nginx,
                "CERTIFICATE": bench.certs / "server.crt", "PRIVATE_KEY": bench.certs / "server.key",
                "PROBLEM_BODY": PROBLEM_BODY, "ACCESS_LOG": self.access_log,
                "WORKER_CONNECTIONS": bench.nginx_worker_connections}


class NginxProxy(Nginx):
    """nginx as a reverse proxy to the upstream: TLS as NginxServer, an upstream pool of --connections."""

    label = "nginx"
    template = "proxy.conf.template"
    prefix = "nginx-proxy"
    output = "nginx-proxy.out"

    def port(self, bench):
        return bench.ports.proxy

    def values(self, bench):
        return {"WORKERS": bench.options.workers, "PORT": bench.ports.proxy,
                "CERTIFICATE": bench.certs / "server.crt", "PRIVATE_KEY": bench.certs / "server.key",
                "UPSTREAM_PORT": bench.ports.upstream, "POOL": bench.options.connections}


class NginxLua(Nginx):
    """The translated scenario's third server: nginx + Lua doing the gateway's job for its two tenants,
    the way a Kong plugin does it (nginx-lua/gateway.conf.template and nginx-lua/lua/): TLS as
    NginxProxy, the same upstream pool, the gateway's HS256 secret, tenants and rate limits."""

    label = "nginx + Lua gateway"
    template = "gateway.conf.template"
    template_dir = "nginx-lua"
    prefix = "nginx-lua"
    output = "nginx-lua.out"
    private = True

    def port(self, bench):
        return bench.ports.lua

    def values(self, bench):
        requests, per_seconds = TENANT_RATE_LIMIT
        return {"WORKERS": bench.options.workers, "PORT": bench.ports.lua,
                "CERTIFICATE": bench.certs / "server.crt", "PRIVATE_KEY": bench.certs / "server.key",
                "UPSTREAM_PORT": bench.ports.upstream, "POOL": bench.options.connections,
                "LUA_DIR": BENCH_DIR / "nginx-lua" / "lua", "HS256_SECRET": bench.hs256_secret,
                "RATE_REQUESTS": requests, "RATE_PER_SECONDS": per_seconds}


class Upstream(Nginx):
    """The upstream of the pass-through and translated scenarios: plain HTTP, shared infrastructure,
    pinned beside the load generators and never measured; its stub_status counts what reaches it."""

    label = "the upstream nginx"
    pinned = "client"
    template = "upstream.conf.template"
    prefix = "upstream"
    output = "upstream.out"

    def port(self, bench):
        return bench.ports.upstream

    def values(self, bench):
        return {"PORT": bench.ports.upstream, "STATUS_PORT": bench.ports.upstream_status, "BODY": UPSTREAM_BODY,
                "CC_BODY": CC_UPSTREAM_BODY, "GATE_BODY": GATE_UPSTREAM_BODY}

    def ready(self, bench):
        return upstream_status(bench) is not None


def upstream_status(bench):
    """The upstream's stub_status counters, {"accepts", "requests"}; each read is itself one
    connection and one request, counted in the figures it returns. None when it does not answer."""
    text = http_get(f"http://127.0.0.1:{bench.ports.upstream_status}/status")
    return parse_stub_status(text) if text else None


# --- the gateway -------------------------------------------------------------------------------------------------

class Gateway(Server):
    """`switchyard serve` from the repository root, its log appended to .work/logs/gateway.log. The
    404 scenarios' configuration (no tenants) is written afresh at each start; the translated one's is
    written once per run, before its tokens are minted from it."""

    label = "gateway"

    def __init__(self, config, write=None):
        self.config = config
        self.write = write

    def port(self, bench):
        return bench.ports.gateway

    def argv(self, bench):
        """`switchyard serve` on its configuration."""
        return [bench.gateway_bin, "serve", "--config", str(bench.work / self.config)]

    def command(self, bench, tag):
        if self.write:
            (bench.work / self.config).write_text(self.write(bench))
        return self.argv(bench), REPO_ROOT, bench.log("gateway.log"), True

    def counters_before_stop(self, bench, running):
        """The gateway's own upstream counters from its admin listener (None when unreadable)."""
        text = http_get(f"http://127.0.0.1:{bench.ports.admin}/metrics")
        return {"metrics": parse_metrics(text) if text else None}


def gateway_404_config(bench):
    """No tenants: GET /bench is an unknown path. Idle connections are held for the memory scenario;
    nothing may time them out meanwhile, and the connection cap leaves room for all of them."""
    return "\n".join([
        f"# Written by Benchmarks/run.sh; see Benchmarks/README.md. No tenants: GET {BENCH_PATH} is an unknown path.",
        *gateway_common_lines(bench),
        "# Idle connections are held for the memory scenario; nothing may time them out meanwhile,",
        "# and the connection cap leaves room for all of them (--idle-connections + 1000, at least 10000).",
        "limits: {headerTimeoutSeconds: 300, idleTimeoutSeconds: 300, "
        f"maxConnections: {bench.gateway_max_connections}}}",
        "tenants: {}",
        *optional(bench.access_log_line),
        *bench.options.gateway_yaml,
    ]) + "\n"


def gateway_translated_config(bench, secret):
    """Two tenants, control-center and gate, both pointing at the upstream nginx over plain HTTP to
    loopback (allowed there, API.md §4), an HS256 secret made up for this run, and rate limits no load
    here can reach. The vendor credentials are dummies: the upstream checks none. (nginx-lua's
    configuration repeats these tenants.)"""
    upstream = f"http://127.0.0.1:{bench.ports.upstream}"
    rate = "    rateLimit: {requests: %d, perSeconds: %d}" % TENANT_RATE_LIMIT
    return "\n".join([
        "# Written by Benchmarks/run.sh for the translated scenario; see Benchmarks/README.md.",
        *gateway_common_lines(bench),
        "limits: {headerTimeoutSeconds: 300, idleTimeoutSeconds: 300}",
        "auth:",
        f'  jwt: {{hs256Secret: "{secret}"}}',
        *optional(bench.access_log_line),
        "tenants:",
        "  cc:",
        "    vendor: control-center",
        f'    upstream: "{upstream}"',
        "    credentials: {username: bench-user, apiKey: bench-api-key}",
        rate,
        *(f"    {line.replace('{upstream}', upstream)}" for line in bench.options.tenant_yaml),
        "  gate:",
        "    vendor: gate",
        f'    upstream: "{upstream}/api/v1"',
        "    credentials: {token: bench-gate-token}",
        rate,
        *(f"    {line.replace('{upstream}', upstream)}" for line in bench.options.tenant_yaml),
        *(line.replace("{upstream}", upstream) for line in bench.options.gateway_yaml),
    ]) + "\n"


def gateway_access_log(bench):
    """The gateway's configurations say `accessLog: off`, as nginx has `access_log off`, unless a
    --gateway-yaml line sets accessLog, or the gateway predates the key (which `switchyard check`
    tells). Decided once per run."""
    if any(line.startswith("accessLog:") for line in bench.options.gateway_yaml):
        return ""
    line = "accessLog: off"
    if bench.gateway_bin:
        probe = bench.work / "access-log-probe.yaml"
        probe.write_text(f'tls: {{certificate: "{bench.certs / "server.crt"}", privateKey: '
                         f'"{bench.certs / "server.key"}"}}\n{line}\n')
        check = subprocess.run([bench.gateway_bin, "check", "--config", str(probe)], capture_output=True,
                               text=True, timeout=60)
        if check.returncode != 0 and "accessLog" in check.stdout + check.stderr:
            progress.note("this gateway does not know accessLog; its configurations go without it")
            return ""
    return line


def gateway_common_lines(bench):
    """The lines both gateway configurations start with: listeners, certificate, workers."""
    certs = bench.certs
    return [f'listen: "127.0.0.1:{bench.ports.gateway}"',
            f'tls: {{certificate: "{certs / "server.crt"}", privateKey: "{certs / "server.key"}"}}',
            f'admin: "127.0.0.1:{bench.ports.admin}"',
            f"workers: {bench.options.workers}"]


def optional(line):
    """A configuration line that may be absent (the access-log line)."""
    return [line] if line else []


class Passthrough(Server):
    """switchyard-passthrough, the gateway's I/O core as a plain reverse proxy, in the gateway's place
    in the pass-through scenario. Its output goes to a file per start: the line it prints on SIGTERM
    has its upstream counts."""

    label = "switchyard-passthrough"

    def port(self, bench):
        return bench.ports.passthrough

    def command(self, bench, tag):
        o = bench.options
        argv = [bench.passthrough_bin, str(bench.ports.passthrough), str(bench.certs / "server.crt"),
                str(bench.certs / "server.key"), "127.0.0.1", str(bench.ports.upstream), str(o.workers),
                str(o.connections)]
        return argv, REPO_ROOT, bench.log(f"passthrough-gateway-{tag}.out"), False

    def counters_after_stop(self, bench, running):
        """Its upstream counts, from the line it printed on SIGTERM (None when it printed none)."""
        return {"passthrough_counts": parse_passthrough_counts(running.output.read_text())}
