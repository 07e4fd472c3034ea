"""What one run works with: its options, paths, free ports, certificates, binaries, CPU pinning and
open-file limit, the tokens of the translated scenario, and the supervisor of its processes. Set up
once, before any scenario, and passed to each."""

import glob
import os
import resource
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from loopback_gateway import make_dev_certs

from . import progress
from .counters import cpu_ids
from .processes import BenchError, Supervisor

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = BENCH_DIR.parent
WORK = BENCH_DIR / ".work"
RUNS = WORK / "runs"

TOOLS = ("openssl", "curl", "wrk", "python3", "cc", "taskset")
# What the nginx + Lua gateway of the translated scenario needs of Debian's packages (nginx-lua/).
LUA_FILES = {
    "libnginx-mod-http-lua": ("/usr/lib/nginx/modules/ngx_http_lua_module.so",
                              "/usr/lib/nginx/modules/ndk_http_module.so"),
    "lua-resty-core": ("/usr/share/lua/5.1/resty/core.lua",),
    "lua-resty-lrucache": ("/usr/share/lua/5.1/resty/lrucache.lua",),
    "lua-cjson": ("/usr/lib/*/lua/5.1/cjson.so",),
}
# The servers the 404 scenarios compare, and the translated scenario's third (--servers).
SERVER_NAMES = ("gateway", "nginx", "nginx-lua")
BUILD_SECONDS = 3600  # a release build takes minutes on two cores


@dataclass(frozen=True)
class Options:
    """The command line, checked (see cli.py for each option's meaning)."""

    command: str
    duration: int = 10
    connections: int = 64
    newconn_connections: int = 16
    idle_count: int = 10000
    only: tuple = ("keepalive", "newconn", "idle", "passthrough", "translated")
    servers: tuple = SERVER_NAMES
    workers: int = 1
    server_cpus: str = "0"
    client_cpus: str = "1"
    warmup: int = 2
    repeat: int = 3
    build: bool = True
    gateway_bin: str = ""
    passthrough_bin: str = ""
    gateway_yaml: tuple = ()
    tenant_yaml: tuple = ()
    profile: str = "auto"
    profile_vendor: str = "cc"
    profile_server: str = "gateway"
    allocations: bool = True
    results: str = str(BENCH_DIR / "RESULTS.md")

    def runs(self, scenario):
        """Whether --only asks for the scenario."""
        return scenario in self.only

    def as_dict(self):
        """The options as the run file records them."""
        return {name: list(value) if isinstance(value, tuple) else value
                for name, value in self.__dict__.items() if name != "command"}


@dataclass(frozen=True)
class Ports:
    """Free ports on 127.0.0.1, one per listener the run may start."""

    gateway: int
    admin: int
    nginx: int
    passthrough: int
    proxy: int
    lua: int
    upstream: int
    upstream_status: int

    @classmethod
    def free(cls):
        """Bound together, then released, so they all differ; a race with another program is possible
        but would show as a failed start, not as wrong numbers."""
        sockets = []
        try:
            for _ in range(len(cls.__dataclass_fields__)):
                s = socket.socket()
                s.bind(("127.0.0.1", 0))
                sockets.append(s)
            return cls(*(s.getsockname()[1] for s in sockets))
        finally:
            for s in sockets:
                s.close()


@dataclass
class Bench:
    """The run's surroundings, which every scenario, server, load and check reads."""

    options: Options
    supervisor: Supervisor
    ports: Ports
    nofile: int
    pin_server: list
    pin_client: list
    gateway_bin: str = ""
    passthrough_bin: str = ""
    tokens: dict = field(default_factory=dict)   # tenant → bearer token (translated scenario)
    hs256_secret: str = ""                       # the translated scenario's, made up per run
    gateway_answers: dict = field(default_factory=dict)  # tenant → the gateway's answer, for nginx-lua's check
    access_log_line: str = ""                    # decided once per run, see gateway_access_log()

    work = WORK
    logs = WORK / "logs"
    certs = WORK / "certs"
    tls_newconn = WORK / "bin" / "tls_newconn"

    @property
    def server_names(self):
        """The gateway and nginx, as asked for: the servers every scenario compares, gateway first, as
        every table lists them."""
        return [name for name in ("gateway", "nginx") if name in self.options.servers]

    def servers_for(self, scenario):
        """The servers of one scenario asked for, in the order its runs alternate: the above, and the
        translated scenario's nginx + Lua gateway after them."""
        return [name for name in SERVER_NAMES if name in self.options.servers and name in scenario.servers]

    @property
    def clk_tck(self):
        """Clock ticks per second, the unit of /proc's CPU times."""
        return os.sysconf("SC_CLK_TCK")

    @property
    def server_cpu_ids(self):
        """The server CPUs by number, whose steal the run counts."""
        return cpu_ids(self.options.server_cpus)

    @property
    def gateway_max_connections(self):
        """Room for the idle connections, never below the gateway's default limits.maxConnections
        (10000; at the cap it stops accepting and connections wait in the backlog)."""
        return max(self.options.idle_count + 1000, 10000)

    @property
    def nginx_worker_connections(self):
        """The same for nginx's worker_connections (16384 here; past it a connection is closed at once)."""
        return max(self.options.idle_count + 1024, 16384)

    def log(self, name):
        """A file in .work/logs/, where every tool's raw output is kept."""
        return self.logs / name

    def relative(self, path):
        """A path as the report names it: from the repository root when it is inside it."""
        path = Path(path)
        return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def set_up(options, supervisor, need_binaries=True):
    """Checks the prerequisites, raises the open-file limit, makes the work directories, compiles
    tls_newconn, writes the dev certificates and builds (or finds) the gateway binaries."""
    missing = [tool for tool in TOOLS if not shutil.which(tool)]
    if uses_nginx(options) and not shutil.which("nginx"):
        missing.append("nginx")
    if missing:
        raise BenchError(f"missing: {' '.join(missing)} (Debian: apt-get install nginx wrk curl python3 gcc "
                         "libssl-dev util-linux)")
    if not Path("/usr/include/openssl/ssl.h").is_file():
        raise BenchError("OpenSSL headers missing (apt-get install libssl-dev)")
    if "nginx-lua" in options.servers and options.runs("translated"):
        packages = [package for package, paths in LUA_FILES.items()
                    if not all(glob.glob(path) for path in paths)]
        if packages:
            raise BenchError(f"the nginx + Lua gateway needs Debian's {', '.join(packages)} (apt-get install "
                             f"{' '.join(packages)}; or leave it out: --servers gateway,nginx)")

    pin_server = ["taskset", "-c", options.server_cpus]
    pin_client = ["taskset", "-c", options.client_cpus]
    cpus = len(os.sched_getaffinity(0))
    if cpus < 2:
        progress.note(f"only {cpus} CPU: servers and load generators share it, numbers are not comparable "
                      "to a 2-core run")
        pin_server = pin_client = []

    nofile = raise_open_file_limit()
    if nofile < options.idle_count + 100:
        raise BenchError(f"open-file limit {nofile} is too low for --idle-connections {options.idle_count}; "
                         "raise ulimit -Hn")

    for directory in ("logs", "bin", "responses", "runs"):
        (WORK / directory).mkdir(parents=True, exist_ok=True)
    # Appended to by every server start in this run, so they measure this run.
    for name in ("gateway.log", "nginx.out"):
        (WORK / "logs" / name).write_text("")

    bench = Bench(options, supervisor, Ports.free(), nofile, pin_server, pin_client)
    compile_tls_newconn(bench)
    with open(bench.log("certs.log"), "w") as log:
        make_dev_certs(str(bench.certs), log=log)
    if need_binaries:
        bench.gateway_bin = gateway_binary(bench)
        bench.passthrough_bin = passthrough_binary(bench)
    return bench


def uses_nginx(options):
    """Whether any scenario asked for starts nginx (the pass-through and translated ones always do:
    their upstream is one)."""
    return "nginx" in options.servers or options.runs("passthrough") or options.runs("translated")


def raise_open_file_limit():
    """65536 open files for this process and so for every server it starts, or the hard limit where
    this user may not raise it (a root without CAP_SYS_RESOURCE, as in some containers, cannot either)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (65536, 65536))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return 65536 if soft == resource.RLIM_INFINITY else soft


def compile_tls_newconn(bench):
    """The new-connection load generator, compiled when missing or older than its source."""
    source = BENCH_DIR / "tls_newconn.c"
    binary = bench.tls_newconn
    if not binary.exists() or source.stat().st_mtime > binary.stat().st_mtime:
        bench.supervisor.run(["cc", "-O2", "-Wall", "-o", str(binary), str(source), "-lssl", "-lcrypto"],
                             seconds=300, stdout=sys.stderr)


def swift_build(bench, product):
    """A release build of one product, its output with the run's progress on standard error; run
    under the supervisor, so that an interrupted run stops the compilers too. Built as the gateway
    ships (scripts/build-release.sh): what is measured is what ships, its calls into the Swift runtime
    (a retain, a release) direct rather than through the dynamic linker's table (0.8% of a translated
    request's instructions), the whole program optimized again at link time (10% of them)."""
    command = [str(REPO_ROOT / "scripts" / "build-release.sh"), "--product", product]
    progress.heading(f"scripts/build-release.sh --product {product}")
    bench.supervisor.run(command, cwd=REPO_ROOT, seconds=BUILD_SECONDS, stdout=sys.stderr)


def gateway_binary(bench):
    """The `switchyard` binary: needed to run the gateway in its scenarios, and in the translated one
    also for `switchyard token`, which mints the bearer tokens both servers get. Empty when unused."""
    options = bench.options
    runs_gateway = "gateway" in options.servers and any(
        options.runs(s) for s in ("keepalive", "newconn", "idle", "translated"))
    if not (runs_gateway or options.runs("translated")):
        return ""
    if options.build:
        swift_build(bench, "switchyard")
    path = options.gateway_bin or os.path.join(subprocess.run(
        ["swift", "build", "-c", "release", "--show-bin-path"], cwd=REPO_ROOT, check=True,
        capture_output=True, text=True, timeout=600).stdout.strip(), "switchyard")
    if not os.access(path, os.X_OK):
        raise BenchError(f"no gateway binary at {path} (drop --no-build, or use --servers nginx)")
    return os.path.abspath(path)


def passthrough_binary(bench):
    """The `switchyard-passthrough` binary when the pass-through scenario runs it; else empty."""
    options = bench.options
    if not ("gateway" in options.servers and options.runs("passthrough")):
        return ""
    if options.build:
        swift_build(bench, "switchyard-passthrough")
    path = options.passthrough_bin or str(REPO_ROOT / ".build/release/switchyard-passthrough")
    if not os.access(path, os.X_OK):
        raise BenchError(f"no switchyard-passthrough binary at {path} (check --passthrough-bin, drop "
                         "--no-build, or leave passthrough out of --only)")
    return os.path.abspath(path)
