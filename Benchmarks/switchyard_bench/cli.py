"""Benchmarks/run.sh's command line: the options, their checks, and what they ask for (a run, a
report from run files, or the handshake count)."""

import argparse
import re
import shlex
import signal
import subprocess
import sys

from . import handshakes, progress, report, run
from .bench import SERVER_NAMES, Options
from .processes import BenchError, exit_on_sigterm
from .scenarios import SCENARIO_NAMES

USAGE = """\
Usage: Benchmarks/run.sh [options]

Loads the gateway and nginx one after the other, with the same certificate and the same 404 answer,
server pinned to one core and load generator to the other; writes every raw figure to a run file,
Benchmarks/.work/runs/<time>.json, and the report made from it to Benchmarks/RESULTS.md. The
pass-through scenario does the same with switchyard-passthrough and nginx as reverse proxies in front
of a third, unmeasured nginx. The translated scenario puts the real gateway (token check, rate limit,
translation to control-center's and gate's wire formats, upstream call, translation back) in front of
that upstream, beside nginx passing the same requests unchanged and an nginx + Lua gateway doing the
gateway's job the way a Kong plugin does (nginx-lua/).

  --duration S             seconds per measured load run (default 10)
  --connections N          keep-alive connections for wrk (default 64)
  --newconn-connections N  concurrent connections for the new-connection scenario (default 16)
  --idle-connections N     idle TLS connections for the memory scenario (default 10000; the
                           gateway's limits.maxConnections and nginx's worker_connections are
                           raised to fit; --idle-count is the same option)
  --only LIST              keepalive, newconn, idle, passthrough, translated, comma-separated
                           (default: all five)
  --servers LIST           gateway, nginx, nginx-lua, comma-separated (default: all three); in the
                           pass-through scenario "gateway" is switchyard-passthrough; in the
                           translated one, the gateway with two tenants, nginx as a reverse proxy,
                           and nginx-lua, the nginx + Lua translating gateway (translated only;
                           needs Debian's libnginx-mod-http-lua lua-resty-core lua-resty-lrucache
                           lua-cjson)
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
  --gateway-yaml LINE      extra top-level line for the gateway's config (repeatable); in the translated
                           scenario {upstream} stands for the upstream nginx's URL, which answers any
                           POST with 200: e.g. 'observability: {tracing: {otlpEndpoint:
                           "{upstream}/v1/traces", sampleRatio: 0.01}}' exports spans to it
  --tenant-yaml KEY        extra key for each tenant of the translated scenario (repeatable): e.g.
                           'vendorQuota: {requests: 1000000, perSeconds: 1}'; {upstream} as above
  --profile WHAT           translated scenario: where the gateway's time goes, from one extra,
                           unmeasured run (see --profile-vendor): perf (perf record -g), callgrind
                           (valgrind --tool=callgrind, a short run), off; default auto: perf if it
                           can record here, else callgrind if valgrind is installed, else off
  --profile-vendor NAME    whose request the profile runs: cc (control-center, the default) or gate
  --profile-server NAME    which server callgrind profiles: gateway (the default), nginx (passing the
                           request on) or nginx-lua (the nginx + Lua gateway), each nginx in one process
                           (master_process off); perf profiles the gateway only
  --allocations WHAT       translated scenario: heap allocations per request, by phase and by site,
                           from one more unmeasured run per vendor with malloc_counter.so preloaded
                           in the gateway: on or off (default on; needs cc and llvm-symbolizer,
                           which comes with Swift)
  --results FILE           where to write the report (default Benchmarks/RESULTS.md)
  --report FILE...         measure nothing: render the report from run files (with several, each
                           scenario's section from the last file that has it)
  --check-handshakes       only count TLS handshakes and resumptions per client tool against nginx
                           (how the new-connection tool was chosen), then exit
  -h, --help               this text
"""

WHOLE_NUMBERS = ("duration", "connections", "newconn_connections", "idle_count", "workers", "warmup", "repeat")
AT_LEAST_ONE = ("duration", "connections", "newconn_connections", "idle_count", "workers", "repeat")


class Parser(argparse.ArgumentParser):
    """argparse with run.sh's own usage text and its way of refusing an argument."""

    def error(self, message):
        """argparse's complaints in run.sh's words."""
        unknown = re.match(r"unrecognized arguments: (.*)", message)
        missing = re.match(r"argument (\S+?)(/\S+)?: expected", message)
        if unknown:
            message = f"unknown argument {unknown.group(1)}"
        elif missing:
            message = f"{missing.group(1)} needs a value"
        fail(f"{message} (see --help)")

    def print_help(self, file=None):
        """The usage text as written above, not argparse's."""
        print(USAGE, end="", file=file or sys.stdout)


def fail(message):
    """Ends the run as run.sh always has: its name, the reason, exit status 1."""
    print(f"run.sh: {message}", file=sys.stderr)
    sys.exit(1)


def parse(argv):
    """The checked options, whether to check handshakes, and the run files to render (if any)."""
    p = Parser(prog="run.sh", allow_abbrev=False)
    value = {"type": nonempty}
    for name in WHOLE_NUMBERS:
        flag = "--idle-connections" if name == "idle_count" else "--" + name.replace("_", "-")
        aliases = ["--idle-count"] if name == "idle_count" else []
        p.add_argument(flag, *aliases, dest=name, **value)
    p.add_argument("--only", **value)
    p.add_argument("--servers", **value)
    p.add_argument("--server-cpus", **value)
    p.add_argument("--client-cpus", **value)
    p.add_argument("--gateway-yaml", action="append", default=[], **value)
    p.add_argument("--tenant-yaml", action="append", default=[], **value)
    p.add_argument("--profile", **value)
    p.add_argument("--profile-vendor", **value)
    p.add_argument("--profile-server", **value)
    p.add_argument("--allocations", **value)
    p.add_argument("--results", **value)
    p.add_argument("--no-build", action="store_true")
    p.add_argument("--gateway-bin", **value)
    p.add_argument("--passthrough-bin", **value)
    p.add_argument("--report", nargs="+", metavar="FILE")
    p.add_argument("--check-handshakes", action="store_true")
    args = p.parse_args(argv)

    given = {}
    for name in WHOLE_NUMBERS:
        text = getattr(args, name)
        if text is not None:
            if not text.isdigit():
                fail(f"--{name.replace('_', '-')} must be a whole number")
            given[name] = int(text)
    options = Options(command=" ".join(["Benchmarks/run.sh", *map(shlex.quote, argv)]), **given)
    if any(getattr(options, name) < 1 for name in AT_LEAST_ONE):
        fail("--duration, --connections, --newconn-connections, --idle-connections, --workers and --repeat must be "
             "at least 1")
    changes = {"gateway_yaml": tuple(args.gateway_yaml), "tenant_yaml": tuple(args.tenant_yaml),
               "build": not (args.no_build or args.gateway_bin or args.passthrough_bin)}
    if args.only:
        changes["only"] = listed(args.only, SCENARIO_NAMES, "--only", "scenario")
    if args.servers:
        changes["servers"] = listed(args.servers, SERVER_NAMES, "--servers", "server")
    if args.profile:
        if args.profile not in ("auto", "perf", "callgrind", "off"):
            fail("--profile: one of auto, perf, callgrind, off")
        changes["profile"] = args.profile
    if args.profile_vendor:
        if args.profile_vendor not in ("cc", "gate"):
            fail("--profile-vendor: cc or gate")
        changes["profile_vendor"] = args.profile_vendor
    if args.profile_server:
        if args.profile_server not in ("gateway", "nginx", "nginx-lua"):
            fail("--profile-server: gateway, nginx or nginx-lua")
        if args.profile_server != "gateway" and args.profile != "callgrind":
            fail("--profile-server nginx and nginx-lua need --profile callgrind")
        changes["profile_server"] = args.profile_server
    if args.allocations:
        if args.allocations not in ("on", "off"):
            fail("--allocations: on or off")
        changes["allocations"] = args.allocations == "on"
    for name in ("server_cpus", "client_cpus", "gateway_bin", "passthrough_bin", "results"):
        if getattr(args, name):
            changes[name] = getattr(args, name)
    return Options(**{**options.__dict__, **changes}), args.check_handshakes, args.report


def nonempty(text):
    """An option's value, which may not be empty."""
    if not text:
        raise argparse.ArgumentTypeError("needs a value")
    return text


def listed(text, known, option, what):
    """A comma-separated list, each item one of `known`."""
    items = tuple(item for item in text.split(",") if item)
    for item in items:
        if item not in known:
            fail(f"{option}: unknown {what} '{item}'")
    return items


def main(argv=None):
    """run.sh's entry: exits 1 with the reason when the run cannot go on, 130 on Ctrl-C."""
    options, check_handshakes, report_files = parse(sys.argv[1:] if argv is None else argv)
    exit_on_sigterm()
    try:
        if report_files:
            report.write(report_files, options.results)
        elif check_handshakes:
            handshakes.check(options)
        else:
            run.run(options)
    except BenchError as error:
        fail(str(error))
    except subprocess.CalledProcessError as error:
        fail(f"{' '.join(map(str, error.cmd))} exited with status {error.returncode}")
    except KeyboardInterrupt:
        progress.note("interrupted; every process the run started is stopped")
        sys.exit(128 + signal.SIGINT)
