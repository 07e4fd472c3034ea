"""A whole run: set up, every scenario asked for, the response-parity check, the run file, and the
report rendered from it."""

import dataclasses
import time

from . import machine, progress, report, runfile
from .bench import RUNS, set_up
from .checks import problem_answer
from .measure import run_scenario
from .messages import BENCH_PATH, DEVICE_REQUESTS, PROBLEM_BODY, UPSTREAM_BODY
from .processes import Supervisor
from .scenarios import COMPARED_404, PARITY_SCENARIOS, SCENARIOS
from .servers import gateway_access_log, started


def run(options):
    """Measures what the options ask for, writes the run file and renders the report from it."""
    with Supervisor() as supervisor:
        bench = set_up(options, supervisor)
        bench.access_log_line = gateway_access_log(bench)
        started_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        record = {
            "format": runfile.FORMAT,
            "command": options.command,
            "started_at": started_at,
            "options": options.as_dict(),
            "machine": machine.machine(),
            "versions": machine.versions(),
            "repository": machine.commit(),
            # The gateway's binary also mints the translated scenario's tokens; it counts as run when
            # it is among the servers.
            "gateway": {"path": bench.relative(bench.gateway_bin),
                        "version": machine.gateway_version(bench.gateway_bin)}
                       if bench.gateway_bin and "gateway" in bench.server_names else None,
            "passthrough": {"path": bench.relative(bench.passthrough_bin)} if bench.passthrough_bin else None,
            "setup": {"nofile": bench.nofile, "gateway_max_connections": bench.gateway_max_connections,
                      "nginx_worker_connections": bench.nginx_worker_connections,
                      "access_log": bench.access_log_line, "servers": bench.server_names},
            "messages": {"bench_path": BENCH_PATH, "problem_body": PROBLEM_BODY, "upstream_body": UPSTREAM_BODY,
                         "device_requests": [dataclasses.asdict(request) for request in DEVICE_REQUESTS]},
            "scenarios": {},
        }
        for scenario in SCENARIOS:
            if options.runs(scenario.name) and bench.servers_for(scenario):
                record["scenarios"][scenario.name] = run_scenario(bench, scenario)
        if any(options.runs(name) for name in PARITY_SCENARIOS):
            record["parity"] = parity(bench, record["scenarios"].get("keepalive"))
    record["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    record["gateway_log_bytes"] = bench.log("gateway.log").stat().st_size
    path = runfile.write(record, RUNS)
    progress.heading(f"run file {bench.relative(path)}")
    report.write([path], options.results)


def parity(bench, keepalive):
    """The 404 answer of each server that the keep-alive scenario did not already check (a server
    that was never asked anything still gets its answer checked)."""
    checked = {run["server"] for run in (keepalive or {}).get("runs", [])}
    answers = {}
    for server in bench.server_names:
        if server not in checked:
            with started(bench, COMPARED_404[server]) as running:
                answers[server] = problem_answer(bench, running, server, server, None)
    return answers
