"""The one skeleton every measured run goes through, and the order of the runs.

Each run starts a fresh server (so no run inherits another's heap or connections), checks its answer,
warms it up, reads its counters, applies the measured load, reads them again, and stops it by its pid;
the servers alternate within each scenario, so a change in machine load hits them all alike."""

import itertools
import time
from contextlib import ExitStack

from . import progress
from .counters import Snapshot
from .figures import run_figures
from .processes import BenchError
from .servers import Upstream, started, upstream_status


def run_scenario(bench, scenario):
    """Every measured run of one scenario, in its order, with the upstream nginx around them when
    the scenario has one; returns the scenario's record for the run file."""
    progress.heading(scenario.heading(bench.options))
    record = {"runs": []}
    with ExitStack() as stack:
        if scenario.upstream:
            stack.enter_context(started(bench, Upstream()))
        if scenario.prepare:
            scenario.prepare(bench)
        for step in schedule(scenario, bench.options.repeat, bench.servers_for(scenario)):
            run = measure(bench, scenario, **step)
            record["runs"].append(run)
            progress.note(describe(scenario, run, run_figures(run, bench.clk_tck)))
        if scenario.finish:
            record.update(scenario.finish(bench, scenario))
    return record


def schedule(scenario, repeat, servers):
    """The runs as (server, variant, repetition), looped in the scenario's order."""
    axes = {"variant": scenario.variants, "repetition": range(1, (repeat if scenario.repeated else 1) + 1),
            "server": servers}
    for values in itertools.product(*(axes[axis] for axis in scenario.order)):
        yield dict(zip(scenario.order, values))


def measure(bench, scenario, server, variant, repetition):
    """One measured run: the skeleton. Returns its record: the answer checked, the server's counters
    before and after the load, what the load generator reported, what the server and the upstream
    counted."""
    record = {"server": server, "variant": variant, "repetition": repetition}
    kind = scenario.servers[server]
    load = scenario.load(bench, variant)
    output = bench.log(scenario.output_name(server, variant, repetition))
    upstream_before = read_upstream(bench) if scenario.upstream else None
    with started(bench, kind, tag=repetition) as running:
        if scenario.check:
            record["response"] = scenario.check(bench, running, server, scenario.labels[server], variant)
        time.sleep(scenario.settle_seconds)
        if scenario.warm_up and bench.options.warmup > 0:
            load.warm_up(bench, running, bench.options.warmup)
        before = Snapshot.take(running.pid, bench.server_cpu_ids)
        with load.applied(bench, running, bench.options.duration, output) as result:
            after = Snapshot.take(running.pid, bench.server_cpu_ids)
            counters = kind.counters_before_stop(bench, running)
    counters.update(kind.counters_after_stop(bench, running))
    record.update(before=before.as_dict(), after=after.as_dict(), load=result, counters=counters,
                  output=bench.relative(output))
    if scenario.upstream:
        record["upstream"] = {"before": upstream_before, "after": read_upstream(bench)}
    return record


def read_upstream(bench):
    """The upstream's stub_status; the run cannot account for the proxies without it."""
    status = upstream_status(bench)
    if status is None:
        raise BenchError("could not read the upstream nginx's stub_status")
    return status


def describe(scenario, run, figures):
    """One line on a finished run, for the progress output."""
    label = scenario.labels[run["server"]]
    name = " ".join(str(part) for part in (scenario.name, run["variant"]) if part)
    if "established" in figures:
        return (f"{label} {name}: {figures['established']} connections, RSS {figures['before']} → "
                f"{figures['after']} KiB, {figures['kib_per_conn']:.1f} KiB/conn, closed by server "
                f"{figures['closed']}")
    text = (f"{label} {name} #{run['repetition']}: {fmt(figures.get('rps'), 0)}/s, "
            f"p50 {fmt(figures.get('p50'), 3)} ms, "
            f"p99 {fmt(figures.get('p99'), 3)} ms, {figures['cpu_us']:.1f} CPU µs each, server CPU "
            f"{fmt(figures['cpu_use'], 0)}%, steal {figures['steal']:.0f}%, errors {figures.get('errors', 0)}")
    if "up_requests" in figures:
        text += (f", upstream: {figures['up_requests']} requests on {figures['up_opened']} connections "
                 f"(upstream saw {figures['seen_requests']} on {figures['seen_conns']})")
    return text


def fmt(value, digits):
    """A figure with `digits` decimals, or "?" when the tool did not report it."""
    return "?" if value is None else f"{value:.{digits}f}"
