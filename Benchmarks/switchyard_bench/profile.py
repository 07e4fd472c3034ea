"""Where a server's time goes in the translated scenario: one more run of one vendor's request
(--profile-vendor; control-center unless told), not measured, with a profiler on the server
(--profile-server; the gateway unless told). perf samples the running gateway (all its threads, kernel
included) for --duration seconds; callgrind runs the gateway, or either nginx, under valgrind (8
connections, --duration seconds: slow, but exact counts, which is what compares the servers on a noisy
machine). The raw data and full reports stay in .work/logs/; the run file keeps the tables the report
shows."""

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import progress
from .bench import BENCH_DIR
from .checks import device_answer
from .counters import parse_wrk
from .loads import Wrk
from .processes import BenchError
from .servers import Gateway, Server, started

REPORT_SECONDS = 300


def run(bench, servers, request):
    """The profile as --profile asks (auto: perf if it can record here, else callgrind if valgrind is
    installed, else none), of the scenario's server that --profile-server names."""
    mode = bench.options.profile
    if mode == "auto":
        mode = "perf" if perf_works(bench) else "callgrind" if shutil.which("valgrind") and shutil.which(
            "callgrind_annotate") else "off"
    if mode == "perf":
        return perf(bench, servers["gateway"], request)
    if mode == "callgrind":
        return callgrind(bench, bench.options.profile_server, servers[bench.options.profile_server], request)
    return {"mode": "off"}


def perf_works(bench):
    """Whether `perf record` may record here (perf_event_paranoid, containers)."""
    if not shutil.which("perf"):
        return False
    probe = bench.log("perf-probe.data")
    try:
        return bench.supervisor.run(["perf", "record", "-o", str(probe), "--", "true"], seconds=30,
                                    check=False) == 0
    finally:
        probe.unlink(missing_ok=True)


def perf(bench, gateway, request):
    """`perf record -g -F 999` on the gateway under the vendor's load, then the self time per
    shared object and per symbol, and the samples by step of the request's way (perf_phases.py)."""
    if not shutil.which("perf"):
        raise BenchError("--profile perf: perf is not installed (Debian: apt-get install linux-perf)")
    o = bench.options
    progress.heading(f"where the time goes: perf record -g on the gateway, {request.label}, {o.duration}s "
                     "(not measured)")
    data = bench.log(f"perf-translated-{request.tenant}.data")
    record_log = bench.log("perf-record.log")
    wrk_output = bench.log("profile-wrk.txt")
    load = Wrk(o.connections, request, bench.tokens[request.tenant])
    with started(bench, gateway) as running:
        response = device_answer(bench, running, "gateway", "gateway (switchyard serve)", request.tenant)
        if o.warmup > 0:
            load.warm_up(bench, running, o.warmup)
        argv, env = load.command(bench, running.port, o.duration + 2)
        with open(wrk_output, "w") as out:
            wrk = bench.supervisor.start(argv, stdout=out, env=env)
        try:
            time.sleep(1)
            with open(record_log, "w") as out:
                status = bench.supervisor.run(
                    ["perf", "record", "-g", "-F", "999", "-p", str(running.pid), "-o", str(data), "--",
                     "sleep", str(o.duration)], seconds=o.duration + 30, stdout=out, check=False)
            if status != 0:
                progress.note("perf record failed; see .work/logs/perf-record.log")
            wrk.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        finally:
            bench.supervisor.stop(wrk)
    if not data.exists() or data.stat().st_size == 0:
        last = (record_log.read_text().strip().splitlines() or [""])[-1]
        return {"mode": f"perf (failed: {last})", "response": response}
    report = ["perf", "report", "-i", str(data), "--stdio", "-g", "none"]
    self_text = demangle(bench, tool_output(bench, report + ["--no-children", "--sort", "dso,symbol",
                                                             "--percent-limit", "0.3"]))
    dso_text = tool_output(bench, report + ["--no-children", "--sort", "dso"])
    children_text = demangle(bench, tool_output(bench, report + ["--children", "--sort", "symbol",
                                                                 "--percent-limit", "2"]))
    for name, text in (("self", self_text), ("dso", dso_text), ("children", children_text)):
        bench.log(f"perf-translated-{request.tenant}.{name}.txt").write_text(text)
    script = demangle(bench, tool_output(bench, ["perf", "script", "-i", str(data)]), trim=False)
    steps = tool_output(bench, [sys.executable, str(BENCH_DIR / "perf_phases.py")], stdin_text=script)
    bench.log(f"perf-translated-{request.tenant}.steps.md").write_text(steps)
    return {"mode": "perf", "tenant": request.tenant, "vendor": request.label, "response": response,
            "rps": parse_wrk(wrk_output.read_text())["requests_per_second"],
            "shared_objects": [{"self": f[0], "object": " ".join(f[1:])} for f in percent_lines(dso_text, 10)],
            "symbols": [{"self": f[0], "object": f[1], "symbol": " ".join(f[3:])}
                        for f in percent_lines(self_text, 15)],
            "steps": markdown_table(steps)}


def valgrind(out):
    """callgrind's command line, instrumentation off until `callgrind_control -i on`; counts kept per
    instruction, at plain addresses, for `refcounts.py` (which counts the runtime's atomic updates)."""
    return ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--dump-instr=yes", "--compress-pos=no",
            f"--callgrind-out-file={out}"]


class CallgrindGateway(Gateway):
    """The translated gateway under valgrind --tool=callgrind, instrumentation off until switched on.
    Everything runs some 50 times slower there, so it gets 120 s to answer."""

    start_seconds = 120
    probe_seconds = 5

    def __init__(self, binary, out):
        super().__init__("gateway-translated.yaml")
        self.binary = binary
        self.out = out

    def argv(self, bench):
        """The stripped copy of the gateway under valgrind, on the translated configuration."""
        return valgrind(self.out) + [str(self.binary), "serve", "--config", str(bench.work / self.config)]

    def command(self, bench, tag):
        """Its own log, so that valgrind's output stays out of the measured gateway's."""
        return self.argv(bench), BENCH_DIR.parent, bench.log("callgrind-server.log"), True


class CallgrindNginx(Server):
    """One of the run's nginx servers (the proxy or the nginx + Lua gateway) under valgrind --tool=callgrind,
    on its own configuration but with `master_process off`: the process valgrind starts is then the one
    that serves (a master's forked worker would need --trace-children and its own output file), and the
    work it does per request is the same as a worker's."""

    start_seconds = 120
    probe_seconds = 5

    def __init__(self, nginx, out):
        self.nginx = nginx
        self.out = out
        self.label = nginx.label
        self.pinned = nginx.pinned

    def port(self, bench):
        return self.nginx.port(bench)

    def command(self, bench, tag):
        argv, cwd, _, _ = self.nginx.command(bench, tag)
        config = Path(argv[argv.index("-c") + 1])
        text = config.read_text()
        if text.count("\nmaster_process on;\n") != 1:
            raise BenchError(f"{config}: no single `master_process on;` line to turn off for callgrind")
        config.write_text(text.replace("\nmaster_process on;\n", "\nmaster_process off;\n"))
        return valgrind(self.out) + argv, cwd, bench.log("callgrind-server.log"), True


def callgrind_server(bench, name, server, out):
    """The server to profile, as callgrind runs it: the gateway from a copy of its binary that valgrind
    can read, an nginx as it is."""
    if name != "gateway":
        return CallgrindNginx(server, out)
    # Valgrind (3.19, Debian 12) cannot read the DWARF 5 that Swift 6 writes and gives up at start; a
    # copy without debug information still has its symbol table, which is all the profile needs.
    binary = bench.work / "bin" / "switchyard-nodebug"
    if bench.supervisor.run(["objcopy", "--strip-debug", bench.gateway_bin, str(binary)], seconds=120,
                            check=False) != 0:
        raise BenchError(f"objcopy --strip-debug {bench.gateway_bin} failed (binutils)")
    return CallgrindGateway(binary, out)


def callgrind(bench, name, server, request):
    """callgrind on the server `name` for a short run of the vendor's request (8 connections), switched on
    after a 2 s warm-up so that start-up is left out; the report shows the top inclusive counts."""
    if not shutil.which("valgrind"):
        raise BenchError("--profile callgrind: valgrind is not installed")
    o = bench.options
    profiled = server.label if name == "nginx" else f"the {server.label}"
    progress.heading(f"where the time goes: valgrind --tool=callgrind on {profiled}, {request.label}, "
                     f"8 connections, {o.duration}s (not measured)")
    stem = f"callgrind.translated-{request.tenant}{'' if name == 'gateway' else '-' + name}"
    out = bench.log(f"{stem}.out")
    out.unlink(missing_ok=True)
    load = Wrk(8, request, bench.tokens[request.tenant])
    wrk_output = bench.log("profile-wrk.txt")
    with started(bench, callgrind_server(bench, name, server, out)) as running:
        response = device_answer(bench, running, name, server.label, request.tenant)
        load.warm_up(bench, running, 2)
        with open(bench.log("callgrind-server.log"), "a") as log:
            if bench.supervisor.run(["callgrind_control", "-i", "on", str(running.pid)], seconds=30, stdout=log,
                                    check=False) != 0:
                progress.note("callgrind_control -i on failed; the profile may be empty")
        with load.applied(bench, running, o.duration, wrk_output) as result:
            requests = result["wrk"]["requests"]
    if not out.exists() or out.stat().st_size == 0:
        return {"mode": "callgrind (failed: no output)", "response": response}
    inclusive = demangle(bench, tool_output(bench, ["callgrind_annotate", "--inclusive=yes", str(out)]))
    bench.log(f"{stem}.inclusive.txt").write_text(inclusive)
    bench.log(f"{stem}.self.txt").write_text(demangle(bench, tool_output(bench, ["callgrind_annotate", str(out)])))
    return {"mode": "callgrind", "tenant": request.tenant, "vendor": request.label, "response": response,
            "server": name, "label": profiled, "requests": requests, "stem": stem,
            "inclusive": after_third_rule(inclusive, 30)}


def tool_output(bench, argv, stdin_text=None):
    """A report tool's standard output (its errors dropped), through a file under .work/logs/ so that
    a large output never fills a pipe; bounded like every other process of the run."""
    out_path = bench.log("profile-tool.out")
    in_path = bench.log("profile-tool.in")
    if stdin_text is not None:
        in_path.write_text(stdin_text)
    with open(out_path, "w") as out, open(in_path if stdin_text is not None else "/dev/null") as stdin:
        bench.supervisor.run(argv, seconds=REPORT_SECONDS, stdin=stdin, stdout=out, stderr=subprocess.DEVNULL,
                             check=False)
    text = out_path.read_text(errors="replace")
    out_path.unlink()
    in_path.unlink(missing_ok=True)
    return text


def demangle(bench, text, trim=True):
    """Swift symbols demangled (simplified) when the toolchain's demangler is there; with `trim`, for
    tables: perf report's padding and empty trailing columns ("-      -") dropped, long names cut."""
    if shutil.which("swift"):
        text = tool_output(bench, ["swift", "demangle", "--simplified"], stdin_text=text) or text
    if not trim:
        return text
    lines = [re.sub(r"([ \t]+-)*[ \t]*$", "", line) for line in text.splitlines()]
    return "\n".join(line if len(line) <= 200 else line[:197] + "..." for line in lines) + "\n"


def percent_lines(text, count):
    """The first `count` lines of a perf report that start with a percentage, split into fields."""
    lines = [line.split() for line in text.splitlines() if re.match(r" +[0-9.]+%", line)]
    return lines[:count]


def markdown_table(text):
    """perf_phases.py's Markdown table as {"header", "align", "rows"} of cells, or {"text"} when it
    printed no table (such as "(no samples)")."""
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in text.splitlines() if line.startswith("|")]
    if len(rows) < 2:
        return {"text": text.strip() or "(not available)"}
    return {"header": rows[0], "align": rows[1], "rows": rows[2:]}


def after_third_rule(text, count):
    """callgrind_annotate's function lines: the first `count` non-empty lines after its third rule
    of dashes."""
    rules, lines = 0, []
    for line in text.splitlines():
        if re.fullmatch(r"-+", line):
            rules += 1
        elif rules >= 3 and line.strip():
            lines.append(line)
            if len(lines) >= count:
                break
    return lines
