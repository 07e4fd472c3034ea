"""RESULTS.md from run files: the same tables the harness has always printed, rendered from the raw
figures a run file holds and from nothing else, so that a report can be made again, or made from
several runs (each scenario's section from the last run file that has it)."""

from pathlib import Path

from . import progress, runfile
from .bench import REPO_ROOT
from .figures import ratio, summary, verdict
from .scenarios import PARITY_SCENARIOS, SCENARIO_NAMES

DASH = "–"


def write(paths, results):
    """Renders the run files into `results` and prints the report on standard output."""
    text = render([runfile.read(path) for path in paths])
    Path(results).write_text(text)
    path = Path(results).resolve()
    progress.heading(f"results (also in {path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path})")
    print(text, end="")


def render(runs):
    """The report of one or more runs, as Markdown."""
    sources = {name: Source(run) for run in runs for name in run["scenarios"]}
    latest = Source(runs[-1])
    parity = next((Source(run) for run in reversed(runs) if "parity" in run), None)
    lines = header(latest, sources)
    for name in SCENARIO_NAMES:
        if name in sources:
            lines += SECTIONS[name](sources[name])
    lines += targets(sources)
    if parity:
        lines += response_parity(parity)
    return "\n".join(lines) + "\n"


class Source:
    """One run file as the report reads it: its options, and its figures by scenario, server and
    variant, formatted."""

    def __init__(self, run):
        self.run = run
        self.options = run["options"]
        self.servers = run["setup"]["servers"]
        self.clk_tck = run["machine"]["clk_tck"]

    def runs(self, scenario, server, variant=None):
        """The measured runs of a server (and variant) in a scenario, none when it did not run."""
        section = self.run["scenarios"].get(scenario, {"runs": []})
        return [r for r in section["runs"] if r["server"] == server and r["variant"] == variant]

    def figures(self, scenario, server, variant=None):
        """The summary of a server's (and variant's) runs: medians, sums of counts."""
        runs = self.runs(scenario, server, variant)
        return summary(runs, self.clk_tck) if runs else {}

    def last_response(self, scenario, server, variant=None):
        """The answer the last of those runs checked."""
        runs = self.runs(scenario, server, variant)
        return runs[-1].get("response", {}) if runs else {}

    def warnings(self, scenario):
        """What the answers' checks found over the scenario's runs, each once."""
        section = self.run["scenarios"].get(scenario, {"runs": []})
        found = [w for r in section["runs"] for w in r.get("response", {}).get("warnings", [])]
        return list(dict.fromkeys(found))

    @property
    def date(self):
        """The start as "2026-11-21 20:43 UTC"."""
        return self.run["started_at"][:16].replace("T", " ") + " UTC"


def g(values, name):
    """A figure, or a dash when it was not measured."""
    value = values.get(name)
    return DASH if value is None else str(value)


def positive(values, name):
    """Whether a count is there and above zero."""
    return str(values.get(name, "")).isdigit() and int(values[name]) > 0


def header(latest, sources):
    """What the figures were measured with: command, date, machine, versions, binaries, pinning;
    and the other runs that give sections, if any."""
    run, o = latest.run, latest.options
    m, v = run["machine"], run["versions"]
    repository = run["repository"]
    commit = repository["commit"] + (" (with uncommitted changes)" if repository["dirty"] else "")
    lines = ["# Benchmark results", "",
             "Produced by `Benchmarks/run.sh`; how to read it: [README.md](README.md).", "",
             f"- Command: `{run['command']}`",
             f"- Date: {latest.date}; load average at start: {m['load_average']}",
             f"- Machine: {m['cpus']} CPUs, {m['cpu_model']}; Linux {m['kernel']}",
             f"- Versions: {v['nginx']}, {v['openssl']}, {v['swift']}, {v['wrk']}, {v['python']}"]
    if run["gateway"]:
        version = f" ({run['gateway']['version']})" if run["gateway"]["version"] else ""
        lines.append(f"- Gateway: {run['gateway']['path']}{version}, commit {commit}")
    else:
        lines.append("- Gateway: not run")
    if run["passthrough"]:
        lines.append(f"- Pass-through proxy: {run['passthrough']['path']}, commit {commit}")
    lines.append(f"- Servers pinned to CPU {o['server_cpus']}, load generators to CPU {o['client_cpus']}; "
                 f"{o['workers']} worker(s) each; no access log on either; open-file limit {run['setup']['nofile']}")
    if "idle" in sources:
        setup = sources["idle"].run["setup"]
        lines.append(f"- Connection caps: gateway `limits.maxConnections: {setup['gateway_max_connections']}`, "
                     f"nginx `worker_connections {setup['nginx_worker_connections']}`")
    lines.append("- Certificate: ECDSA P-256 leaf from certs/make-dev-certs.sh, the same files for both servers")
    others = {}  # the other runs that give sections, with the sections they give
    for name in SCENARIO_NAMES:
        if name in sources and sources[name].run is not run:
            others.setdefault(id(sources[name].run), (sources[name], []))[1].append(name)
    for source, names in others.values():
        lines.append(f"- {', '.join(names)}: from another run, {source.date}, `{source.run['command']}`")
    return lines + [""]


def cpu_columns(f):
    """The columns every load table shares: CPU per request (range), CPU use, steal."""
    return f"{g(f, 'cpu_us')} ({g(f, 'cpu_us_range')}) | {g(f, 'cpu_use')}% | {g(f, 'steal')}%"


def keepalive(source):
    """The keep-alive table, and what looks wrong in it."""
    o = source.options
    nginx = source.figures("keepalive", "nginx")
    lines = [f"## Keep-alive: wrk, {o['connections']} connections, {o['duration']} s, median of {o['repeat']}", "",
             "| server | req/s | p50 ms | p99 ms | server CPU µs/req (range) | server CPU use | steal "
             "| req/s vs nginx | CPU/req vs nginx |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    figures = {s: source.figures("keepalive", s) for s in source.servers}
    for s, f in figures.items():
        lines.append(f"| {s} | {g(f, 'rps')} | {g(f, 'p50')} | {g(f, 'p99')} | {cpu_columns(f)} | "
                     f"{ratio(g(f, 'rps'), nginx.get('rps'))} | {ratio(g(f, 'cpu_us'), nginx.get('cpu_us'))} |")
    for s, f in figures.items():
        if positive(f, "errors"):
            lines.append(f"- {s}: {f['errors']} socket errors reported by wrk")
        not_404 = int(f.get("requests", 0)) - int(f.get("non2xx", 0))
        if not_404 > 0:
            lines.append(f"- {s}: {not_404} responses were not 404")
    return lines + [""]


def newconn(source):
    """The new-connection table, full and resumed handshakes."""
    o = source.options
    lines = [f"## New TLS connection per request: tls_newconn, {o['newconn_connections']} at once, {o['duration']} s, "
             f"median of {o['repeat']}", "",
             "Full: every connection a full handshake (no session offered). Resumed: each client slot offers",
             "the session ticket of its previous connection; the resumed column says how many the server took.", "",
             "| server | handshakes | conn/s | p50 ms | p99 ms | server CPU µs/conn (range) | server CPU use "
             "| steal | resumed | conn/s vs nginx | CPU/conn vs nginx |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    variants = ("full", "resumed")
    figures = {(v, s): source.figures("newconn", s, v) for v in variants for s in source.servers}
    for (v, s), f in figures.items():
        nginx = figures.get((v, "nginx"), {})
        lines.append(f"| {s} | {v} | {g(f, 'rps')} | {g(f, 'p50')} | {g(f, 'p99')} | {cpu_columns(f)} | "
                     f"{g(f, 'resumed')} of {g(f, 'requests')} | {ratio(g(f, 'rps'), nginx.get('rps'))} | "
                     f"{ratio(g(f, 'cpu_us'), nginx.get('cpu_us'))} |")
    for (v, s), f in figures.items():
        if positive(f, "errors"):
            lines.append(f"- {s} ({v}): {f['errors']} failed connections (see .work/logs/newconn-{v}-{s}-*.txt)")
        if positive(f, "non_404"):
            lines.append(f"- {s} ({v}): {f['non_404']} responses were not 404")
    return lines + ["",
                    "Latency here runs from connect() to the response's last byte, so it includes the handshake.",
                    "When the load generator's CPU is the limit (server CPU use well under 100%), conn/s is the",
                    "client's ceiling and CPU µs/conn is the figure that compares the servers.", ""]


def idle(source):
    """The idle-connection memory table."""
    count = source.options["idle_count"]
    lines = [f"## {count} idle TLS connections: resident memory", "",
             "| server | idle after | connections | RSS before KiB | RSS after KiB | KiB per connection | "
             "closed by server | vs nginx |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    variants = ("handshake", "request")
    figures = {(v, s): source.figures("idle", s, v) for v in variants for s in source.servers}
    for (v, s), f in figures.items():
        nginx = figures.get((v, "nginx"), {})
        lines.append(f"| {s} | {v} | {g(f, 'established')} | {g(f, 'before')} | {g(f, 'after')} | "
                     f"{g(f, 'kib_per_conn')} | {g(f, 'closed')} | "
                     f"{ratio(g(f, 'kib_per_conn'), nginx.get('kib_per_conn'))} |")
    for (v, s), f in figures.items():
        if g(f, "established") != str(count):
            lines.append(f"- {s} ({v}): only {g(f, 'established')} of {count} connections were up: "
                         f"{g(f, 'ready_line')}")
        if positive(f, "closed"):
            lines.append(f"- {s} ({v}): the server closed {f['closed']} of the idle connections while they were held")
    return lines + ["", "RSS is VmRSS summed over the server's processes (nginx: master and workers).", ""]


def requests_per_reconnect(f, o):
    """Requests per upstream connection opened, when far more were opened than the pools hold (more
    than twice --connections per run): then the CPU figure includes reconnects. Else None."""
    if positive(f, "up_opened") and int(f["up_opened"]) > 2 * o["connections"] * o["repeat"]:
        return int(f.get("up_requests", 0)) / int(f["up_opened"])
    return None


def passthrough(source):
    """The pass-through table, the proxies' upstream connection use, and their answers."""
    o = source.options
    run = source.run
    labels = {"gateway": "switchyard-passthrough", "nginx": "nginx"}
    path, body = run["messages"]["bench_path"], run["messages"]["upstream_body"]
    nginx = source.figures("passthrough", "nginx")
    lines = [f"## Pass-through: wrk, {o['connections']} connections, {o['duration']} s, through a proxy to an upstream "
             f"nginx, median of {o['repeat']}", "",
             "Each proxy (TLS in, plain HTTP/1.1 keep-alive out, as many idle upstream connections kept as wrk has "
             f"connections, {o['connections']}) passes",
             f"`GET {path}` unchanged to the same upstream nginx (`return 200 '{body}'`, one worker, on CPU",
             f"{o['client_cpus']} beside wrk). CPU is counted on the proxy's processes only, never the upstream's.", "",
             "| proxy | req/s | p50 ms | p99 ms | proxy CPU µs/req (range) | proxy CPU use | steal "
             "| upstream requests | upstream connections opened | sent on a reused connection | req/s vs nginx "
             "| CPU/req vs nginx |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    figures = {s: source.figures("passthrough", s) for s in source.servers}
    for s, f in figures.items():
        lines.append(f"| {labels[s]} | {g(f, 'rps')} | {g(f, 'p50')} | {g(f, 'p99')} | {cpu_columns(f)} | "
                     f"{g(f, 'up_requests')} | {g(f, 'up_opened')} | {g(f, 'up_reused')} | "
                     f"{ratio(g(f, 'rps'), nginx.get('rps'))} | {ratio(g(f, 'cpu_us'), nginx.get('cpu_us'))} |")
    lines += ["",
              f"Upstream figures are totals over the {o['repeat']} run(s) per proxy, warm-up, readiness poll and "
              "response check",
              "included. switchyard-passthrough's come from the line it prints on SIGTERM (`connectionsReused`: requests",
              "sent on a pooled connection); nginx's from the upstream's stub_status, accepts and requests before and",
              "after each run (less the status request itself), reused = requests − connections.", ""]
    for s, f in figures.items():
        label = labels[s]
        if positive(f, "errors"):
            lines.append(f"- {label}: {f['errors']} socket errors reported by wrk")
        if positive(f, "non2xx"):
            lines.append(f"- {label}: {f['non2xx']} responses were not 2xx (see .work/logs/passthrough-{s}-*.txt)")
        if "up_opened" in f and positive(f, "up_requests") and int(f["up_opened"]) * 2 > int(f["up_requests"]):
            lines.append(f"- **warning**: {label} hardly reused its upstream connections: {f['up_opened']} opened for "
                         f"{f['up_requests']} requests")
        if (per := requests_per_reconnect(f, o)) is not None:
            lines.append(f"- {label} opened {f['up_opened']} upstream connections, one per {per:.1f} requests, though "
                         f"its pool holds {o['connections']}: its CPU figure includes reconnects")
        if s == "gateway" and "up_opened" in f and f["up_opened"] != f.get("seen_conns"):
            lines.append(f"- **warning**: switchyard-passthrough says it opened {f['up_opened']} upstream connections; "
                         f"the upstream accepted {g(f, 'seen_conns')}")
        if s == "gateway" and "up_requests" in f and f["up_requests"] != f.get("seen_requests"):
            lines.append(f"- switchyard-passthrough sent {f['up_requests']} upstream requests; the upstream counted "
                         f"{g(f, 'seen_requests')}")
    warnings = source.warnings("passthrough") + [
        f"switchyard-passthrough run {r['repetition']} printed no upstream counts on SIGTERM (see "
        f".work/logs/passthrough-gateway-{r['repetition']}.out)"
        for r in run["scenarios"]["passthrough"]["runs"]
        if "passthrough_counts" in r["counters"] and r["counters"]["passthrough_counts"] is None]
    lines += [f"- **warning**: {w}" for w in warnings]
    lines += ["", "| proxy | status | Content-Type | header bytes | body bytes |", "|---|---:|---|---:|---:|"]
    for s in source.servers:
        a = source.last_response("passthrough", s)
        lines.append(f"| {labels[s]} | {g(a, 'status')} | {g(a, 'content_type')} | {g(a, 'header_bytes')} | "
                     f"{g(a, 'body_bytes')} |")
    return lines + [""]


def translated(source):
    """The translated table, the requests it sent, the answers, and the profile."""
    o = source.options
    run = source.run
    section = run["scenarios"]["translated"]
    labels = {"gateway": "gateway (switchyard serve)", "nginx": "nginx (proxy, unchanged)",
              "nginx-lua": "nginx + Lua gateway (OpenResty-style)"}
    requests = run["messages"]["device_requests"]
    # The servers this section measured (nginx-lua is the translated scenario's alone).
    servers = [s for s in labels if any(r["server"] == s for r in section["runs"])]
    lines = [f"## Translated: wrk, {o['connections']} connections, {o['duration']} s, the device API through the "
             f"gateway vs nginx passing it on, median of {o['repeat']}", "",
             "The same requests (wrk with `wrk/device-request.lua`, keep-alive, `Authorization: Bearer` a token from",
             "`switchyard token`) to each server. The gateway (`switchyard serve`, tenants `cc`: control-center and `gate`:",
             "gate) checks the token and the tenant's rate limit, translates the request into the vendor's call, sends it",
             "to the upstream nginx over plain HTTP/1.1 keep-alive and translates the answer back. nginx (the pass-through",
             "scenario's proxy) forwards the same bytes unchanged to the same upstream, whose `location /` answers them",
             f"with `{run['messages']['upstream_body']}`: no token check, no translation. The upstream (one worker, on CPU "
             f"{o['client_cpus']} beside",
             "wrk) answers the vendor paths with the vendors' success answers; CPU is counted on the gateway's and",
             "nginx's processes only (and on nginx + Lua's).", ""]
    if "nginx-lua" in servers:
        lines += ["The nginx + Lua gateway (nginx-lua/: Debian's nginx with lua-nginx-module, LuaJIT, lua-resty-core,",
                  "lua-resty-lrucache and lua-cjson) does the gateway's job the way a Kong plugin does: HS256 through",
                  "libcrypto's HMAC() over LuaJIT's FFI with verified tokens cached per worker, the same GCRA limit in a",
                  "shared dict, the body translated with cjson, `proxy_pass` to the same upstream over keep-alive, the",
                  "answer rewritten in a body filter; its answer was checked to be the gateway's byte for byte before",
                  "each load.", ""]
    lines += [f"- {r['label']}: `{r['method']} {r['path']}` `{r['body']}` → gateway → {r['vendor_call']}" for r in requests]
    lines += ["",
              "| request | server | req/s | p50 ms | p99 ms | CPU µs/req (range) | CPU use | steal | of it kernel µs/req | "
              "upstream requests | upstream connections opened | non-2xx | req/s vs nginx | CPU/req vs nginx | CPU/req vs nginx+Lua |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    figures = {(r["tenant"], s): source.figures("translated", s, r["tenant"]) for r in requests for s in servers}
    names = {r["tenant"]: r["label"] for r in requests}
    for (t, s), f in figures.items():
        nginx, lua = figures.get((t, "nginx"), {}), figures.get((t, "nginx-lua"), {})
        lines.append(f"| {names[t]} | {labels[s]} | {g(f, 'rps')} | {g(f, 'p50')} | {g(f, 'p99')} | {cpu_columns(f)} | {g(f, 'kernel_us')} | "
                     f"{g(f, 'up_requests')} | {g(f, 'up_opened')} | {g(f, 'non2xx')} | "
                     f"{ratio(g(f, 'rps'), nginx.get('rps'))} | {ratio(g(f, 'cpu_us'), nginx.get('cpu_us'))} | "
                     f"{ratio(g(f, 'cpu_us'), lua.get('cpu_us'))} |")
    lines += ["",
              f"Upstream figures are totals over the {o['repeat']} run(s) per server and request, warm-up and response check",
              "included: the gateway's from its admin listener's `/metrics` (`http_client_request_duration_seconds_count`,",
              "`…_connections_opened_total`), nginx's (and nginx + Lua's) from the upstream's stub_status.",
              "Of it kernel: the part of the server's CPU time spent in the kernel on its behalf (its system time in",
              "/proc/PID/stat: the system calls, the TCP stack, and on loopback the delivery of what it sends into the",
              "peer's socket); the rest is the server's own code and its libraries.", ""]
    for (t, s), f in figures.items():
        label = f"{labels[s]}, {names[t]}"
        if positive(f, "errors"):
            lines.append(f"- {label}: {f['errors']} socket errors reported by wrk")
        if positive(f, "non2xx"):
            lines.append(f"- **warning**: {label}: {f['non2xx']} responses were not 2xx (see "
                         f".work/logs/translated-{t}-{s}-*.txt)")
        if positive(f, "up_failures"):
            lines.append(f"- **warning**: {label}: {f['up_failures']} upstream calls failed "
                         "(switchyard_upstream_failures_total)")
        if (per := requests_per_reconnect(f, o)) is not None:
            lines.append(f"- {label}: {f['up_opened']} upstream connections opened, one per {per:.1f} requests, for "
                         f"{o['connections']} client connections: its CPU figure includes upstream reconnects")
        if s == "gateway" and "up_requests" in f and "seen_requests" in f and f["up_requests"] != f["seen_requests"]:
            lines.append(f"- {label}: the gateway counted {f['up_requests']} upstream requests; the upstream counted "
                         f"{f['seen_requests']}")
    warnings = source.warnings("translated")
    if any(r["server"] == "gateway" and r["counters"].get("metrics") is None for r in section["runs"]):
        warnings.append("could not read the gateway's /metrics on the admin listener")
    warnings += section.get("profile", {}).get("response", {}).get("warnings", [])
    lines += [f"- **warning**: {w}" for w in dict.fromkeys(warnings)]
    lines += ["", "The answers before the load (the last run's):", "",
              "| request | server | status | Content-Type | header bytes | body bytes | body |",
              "|---|---|---:|---|---:|---:|---|"]
    for r in requests:
        for s in servers:
            a = source.last_response("translated", s, r["tenant"])
            lines.append(f"| {r['label']} | {labels[s]} | {g(a, 'status')} | {g(a, 'content_type')} | "
                         f"{g(a, 'header_bytes')} | {g(a, 'body_bytes')} | `{g(a, 'body')}` |")
    lines.append("")
    if run["gateway_log_bytes"] and not any(name in run["scenarios"] for name in PARITY_SCENARIOS):
        lines += [f"The gateway wrote {run['gateway_log_bytes']} bytes of log during the run (.work/logs/gateway.log); "
                  "a gateway", "that logs every request shows up there.", ""]
    return lines + profile(section.get("profile", {"mode": "off"}), o) + allocations(section.get("allocations"), o)


def profile(p, o):
    """The translated scenario's profile, as tables. Run files from before --profile-vendor name no
    vendor: theirs was control-center."""
    tenant, vendor = p.get("tenant", "cc"), p.get("vendor", "control-center")
    if p["mode"] == "perf":
        samples = next((row[1] for row in p["steps"].get("rows", []) if row and row[0] == "total"), DASH)
        lines = [f"### Where the gateway's time goes: perf, {vendor}", "",
                 f"`perf record -g -F 999 -p <gateway>` for {o['duration']} s during one more, unmeasured {vendor} run",
                 f"({DASH if p['rps'] is None else format(p['rps'], '.0f')} req/s; {samples}). Self time: the share of "
                 "samples in which the function itself",
                 f"was running (kernel included). Full reports: .work/logs/perf-translated-{tenant}.*.txt.", "",
                 "| shared object | self % |", "|---|---:|"]
        lines += [f"| {row['object']} | {row['self']} |" for row in p["shared_objects"]]
        lines += ["", "| self % | shared object | symbol |", "|---:|---|---|"]
        lines += [f"| {row['self']} | {row['object']} | `{escape_bars(row['symbol'])}` |" for row in p["symbols"]]
        lines += ["", "By phase of the request's way (`perf_phases.py`: each sample goes to the innermost pipeline phase on",
                  "its call stack, the `Gateway` methods of Pipeline.swift, else to the I/O step of its innermost frame;",
                  "Debian's libc and OpenSSL have no frame pointers, so their samples often lose their callers and",
                  "count by library):", ""]
        return lines + markdown(p["steps"]) + [""]
    if p["mode"] == "callgrind":
        # Run files from before --profile-server profiled the gateway.
        server, stem = p.get("label", "the gateway"), p.get("stem", f"callgrind.translated-{tenant}")
        return [f"### Where {server}'s time goes: callgrind, {vendor}", "",
                f"`valgrind --tool=callgrind --instr-atstart=no` on {server}, instrumentation switched on after a 2 s",
                f"warm-up, during a short {vendor} run (8 connections, {o['duration']} s, {p['requests']} requests):",
                "inclusive instruction counts of the top functions",
                f"(`callgrind_annotate --inclusive=yes`). Full reports: .work/logs/{stem}.*.txt.", "",
                "```", *p["inclusive"], "```", ""]
    if p["mode"] == "off":
        return []
    return [f"Profile: {p['mode']}.", ""]


def allocations(counts, o):
    """The allocation counts per request (allocations.py), by vendor, phase and site."""
    if not counts:
        return []
    names = [c["vendor"] for c in counts]
    per = lambda value: f"{value:.1f}"
    def owner(c, prefix):
        return sum(n for name, n in c["owners"] if name.startswith(prefix))
    lines = ["### Heap allocations per translated request: malloc_counter.so", "",
             "`Benchmarks/malloc_counter.c` preloaded into the gateway (`LD_PRELOAD`) for one more, unmeasured run per",
             f"vendor ({o['connections']} connections, {o['duration']} s after a warm-up): every malloc, calloc, realloc and",
             "aligned allocation counted by call stack, divided by the requests wrk completed. Swift's are the gateway's own",
             "code with its packages and the standard library (the allocator's caller is the Swift runtime); the C",
             "libraries' own (OpenSSL's record buffers and contexts, zlib) are counted apart. Stacks are attributed as",
             "`perf_phases.py` attributes samples: to the innermost pipeline phase, else to the I/O step.", "",
             "| request | allocations/request | Swift | C libraries | bytes/request | requests counted | stacks not recorded |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for c in counts:
        swift = owner(c, "Swift")
        lines.append(f"| {c['vendor']} | {per(c['allocations'])} | {per(swift)} | {per(c['allocations'] - swift)} | "
                     f"{c['bytes']:.0f} | {c['requests']} | {c['unrecorded']} |")
    phases = []
    for c in counts:
        for phase, _, _ in c["phases"]:
            if phase not in phases:
                phases.append(phase)
    lines += ["", "By phase (Swift / C libraries, per request):", "",
              "| phase | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for phase in phases:
        cells = []
        for c in counts:
            row = next((r for r in c["phases"] if r[0] == phase), None)
            cells.append(DASH if row is None else f"{per(row[1])} / {per(row[2])}")
        lines.append(f"| {phase} | " + " | ".join(cells) + " |")
    for c in counts:
        lines += ["", f"Where Swift's allocations are made, {c['vendor']} (the innermost frame that is not the runtime's or a",
                  f"collection's own; every stack: .work/logs/allocations.{c['tenant']}.stacks.txt):", "",
                  "| per request | site |", "|---:|---|"]
        lines += [f"| {per(n)} | `{escape_bars(site)}` |" for site, n in c["sites"] if n >= 0.05]
    return lines + [""]


def escape_bars(text):
    """A symbol's `|` (Swift's operators) would end its table cell."""
    return text.replace("|", "\\|")


def markdown(table):
    """A table kept as cells (perf_phases.py's), as Markdown again; or the text it printed instead."""
    if "text" in table:
        return [table["text"]]
    def cells(row):
        """One row of cells."""
        return "| " + " | ".join(row) + " |"
    return [cells(table["header"]), "|" + "|".join(table["align"]) + "|", *map(cells, table["rows"])]


TARGETS = (
    ("CPU µs per keep-alive request ≤ 1.2× nginx", "keepalive", None, "cpu_us", lambda r: r <= 1.2),
    ("new TLS connections/s ≥ 0.9× nginx (full handshakes)", "newconn", "full", "rps", lambda r: r >= 0.9),
    ("the same on CPU: µs per new connection ≤ 1/0.9 = 1.11× nginx", "newconn", "full", "cpu_us", lambda r: r <= 1.11),
    ("RSS per idle TLS connection ≤ 1.5× nginx", "idle", "handshake", "kib_per_conn", lambda r: r <= 1.5),
    ("CPU µs per proxied request ≤ 1.2× nginx (switchyard-passthrough)", "passthrough", None, "cpu_us",
     lambda r: r <= 1.2),
    ("moonshot: CPU µs per translated request ≤ 1.0× nginx's pass-through (control-center)", "translated", "cc",
     "cpu_us", lambda r: r <= 1.0),
    ("moonshot: the same for gate", "translated", "gate", "cpu_us", lambda r: r <= 1.0),
    ("CPU µs per translated request ≤ 0.6× the nginx + Lua gateway (control-center)", "translated", "cc", "cpu_us",
     lambda r: r <= 0.6, "nginx-lua"),
    ("the same for gate", "translated", "gate", "cpu_us", lambda r: r <= 0.6, "nginx-lua"),
)


def targets(sources):
    """The targets table: gateway ÷ nginx (or the target's other server) for each target's figure."""
    lines = ["## Targets (gateway vs nginx)", "", "| target | measured | |", "|---|---:|---|"]
    for text, scenario, variant, name, meets, *other in TARGETS:
        source = sources.get(scenario)
        r = DASH
        if source:
            r = ratio(source.figures(scenario, "gateway", variant).get(name),
                      source.figures(scenario, other[0] if other else "nginx", variant).get(name))
        lines.append(f"| {text} | {r} | {verdict(r, meets)} |")
    return lines + [""]


def response_parity(source):
    """Both servers' answers to GET /bench side by side, and whatever differs from the expected one."""
    run = source.run
    # The answer the keep-alive scenario checked last, else the one checked on its own.
    answers = {s: source.last_response("keepalive", s) or run["parity"].get(s, {}) for s in source.servers}
    lines = [f"## Response parity (GET {run['messages']['bench_path']})", "",
             "| server | status | Content-Type | header bytes | body bytes | X-Request-Id | TLS (openssl s_client) |",
             "|---|---:|---|---:|---:|---|---|"]
    for s, a in answers.items():
        lines.append(f"| {s} | {g(a, 'status')} | {g(a, 'content_type')} | {g(a, 'header_bytes')} | {g(a, 'body_bytes')} "
                     f"| {'no' if a.get('request_id_header') == 0 else 'yes'} | {g(a, 'tls')} |")
    lines.append("")
    warnings = source.warnings("keepalive") + [w for a in run["parity"].values() for w in a.get("warnings", [])]
    if warnings:
        lines += [f"- **warning**: {w}" for w in dict.fromkeys(warnings)]
    else:
        lines.append("Both answer 404 with the same problem document (requestId aside).")
    if run["gateway_log_bytes"]:
        lines += ["", f"The gateway wrote {run['gateway_log_bytes']} bytes of log during the run (.work/logs/gateway.log)."]
    return lines


SECTIONS = {"keepalive": keepalive, "newconn": newconn, "idle": idle, "passthrough": passthrough,
            "translated": translated}
