"""The parsers of what the load generators print (wrk, tls_newconn, idle_connections.py) and of what
the servers count (CPU time and RSS from /proc, steal from /proc/stat, the gateway's /metrics, the
upstream nginx's stub_status, switchyard-passthrough's exit line), in one place.

The parsers take text and return plain figures, so that what a run saw can be read back from its
run file without the machine it ran on.
"""

import os
import re
import time
from dataclasses import asdict, dataclass

from loopback_gateway import rss_kib


# --- processes -------------------------------------------------------------------------------------------

def stat_fields(pid):
    """/proc/PID/stat's fields after the command name (which may hold spaces and parentheses, hence
    the split at the last ')'): index 0 is field 3 of proc(5), the state. None when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def process_tree(pid):
    """The pid and all its descendants, parents first: nginx's workers, or whatever a server forks,
    count towards it and are stopped with it."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = stat_fields(entry)
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry))
    tree = [pid]
    for parent in tree:  # grows while it is walked: breadth first
        tree.extend(children.get(parent, ()))
    return tree


def start_time(pid):
    """When the process started (clock ticks since boot): with the pid, what names one process for
    good, so that a pid reused by someone else is never signalled."""
    fields = stat_fields(pid)
    return int(fields[19]) if fields else None


def cpu_ticks(pid):
    """utime + stime, and stime alone (proc(5) fields 14 and 15, in clock ticks), summed over the
    process tree: all the CPU the server used, and the kernel's part of it (its system calls, the
    TCP stack, and on loopback the delivery of what it sends to the peer's socket)."""
    total = kernel = 0
    for p in process_tree(pid):
        fields = stat_fields(p)
        if fields:
            total += int(fields[11]) + int(fields[12])
            kernel += int(fields[12])
    return total, kernel


def tree_rss_kib(pid):
    """VmRSS summed over the process tree (nginx: master and workers)."""
    total = 0
    for p in process_tree(pid):
        try:
            total += max(0, rss_kib(p))
        except OSError:
            pass
    return total


def cpu_ids(spec):
    """A taskset CPU list ("0", "0-1,3") as CPU numbers."""
    ids = set()
    for part in spec.split(","):
        first, _, last = part.partition("-")
        ids.update(range(int(first), int(last or first) + 1))
    return sorted(ids)


def steal_ticks(cpus):
    """(steal, all) ticks of the given CPUs from /proc/stat: how much of their time the hypervisor gave
    to someone else. Process CPU time excludes steal; wall-clock rates do not."""
    names = {f"cpu{i}" for i in cpus}
    steal = total = 0
    with open("/proc/stat") as f:
        for line in f:
            fields = line.split()
            if fields and fields[0] in names:
                values = [int(v) for v in fields[1:]]
                total += sum(values)
                steal += values[7]
    return steal, total


@dataclass(frozen=True)
class Snapshot:
    """A server's counters at one instant; a measured run keeps one from before the load and one
    from after it, and the report works from the differences."""

    seconds: float      # monotonic clock
    cpu_ticks: int      # the server's processes
    rss_kib: int        # the server's processes
    steal_ticks: int    # the server CPUs
    all_ticks: int      # the server CPUs
    kernel_ticks: int   # the server's processes, the part of cpu_ticks spent in the kernel

    @classmethod
    def take(cls, pid, cpus):
        """Steal first and last around the process figures, as the load runs in between."""
        steal, total = steal_ticks(cpus)
        cpu, kernel = cpu_ticks(pid)
        return cls(time.monotonic(), cpu, tree_rss_kib(pid), steal, total, kernel)

    def as_dict(self):
        """As the run file keeps it."""
        return asdict(self)


# --- load generators ---------------------------------------------------------------------------------------

def wrk_duration_ms(text):
    """wrk's "456.00us", "1.23ms", "1.02s", "1.5m" in milliseconds."""
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("m", 60000.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[:-len(unit)]) * factor
    raise ValueError(f"not a wrk duration: {text!r}")


def parse_wrk(text):
    """wrk --latency's summary: requests, seconds, requests/s, the latency percentiles in ms, socket
    errors by kind, and answers other than 2xx/3xx."""
    result = {"requests": 0, "seconds": None, "requests_per_second": None, "latency_ms": {},
              "socket_errors": {}, "non_2xx_3xx": 0}
    for line in text.splitlines():
        fields = line.split()
        if match := re.match(r"\s*(\d+) requests in ([\d.]+\w+)", line):
            result["requests"] = int(match.group(1))
            result["seconds"] = wrk_duration_ms(match.group(2)) / 1000
        elif line.startswith("Requests/sec:"):
            result["requests_per_second"] = float(fields[1])
        elif len(fields) == 2 and re.fullmatch(r"\d+(\.\d+)?%", fields[0]):
            result["latency_ms"][fields[0].rstrip("%")] = wrk_duration_ms(fields[1])
        elif "Socket errors:" in line:
            result["socket_errors"] = {kind: int(count) for kind, count in
                                       re.findall(r"(\w+) (\d+)", line.split(":", 1)[1])}
        elif "Non-2xx or 3xx responses:" in line:
            result["non_2xx_3xx"] = int(fields[-1])
    return result


def parse_key_values(text):
    """tls_newconn's `name=value` lines; numbers as numbers."""
    values = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and re.fullmatch(r"\w+", name):
            values[name] = number(value)
    return values


def parse_status_line(text, word):
    """The first line of idle_connections.py's output that starts with `word` ("ready", "done"), its
    `name=value` fields, and the line itself; None when there is none."""
    for line in text.splitlines():
        if line.startswith(word + " "):
            fields = {name: number(value) for name, value in re.findall(r"(\w+)=(\S+)", line)}
            return {"line": line, **fields}
    return None


def number(text):
    """An int or float when the text is one, else the text."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


# --- servers ---------------------------------------------------------------------------------------------------

def parse_metrics(text):
    """The gateway's upstream counters from its admin listener's Prometheus text, each summed over
    its labels (switchyard_upstream_failures_total comes per kind, the connections per tenant, the
    vendor calls, http_client_request_duration_seconds_count, per tenant, status and outcome)."""
    totals = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0].startswith(("switchyard_upstream_", "http_client_request_duration_seconds_count")):
            name = fields[0].partition("{")[0]
            totals[name] = totals.get(name, 0) + number(fields[1])
    return totals


def parse_stub_status(text):
    """nginx's stub_status: the accepts and requests counters (third line, "accepts handled
    requests"); None when the text is not one."""
    lines = text.splitlines()
    if len(lines) >= 3 and re.fullmatch(r"\s*\d+ \d+ \d+\s*", lines[2]):
        accepts, _, requests = (int(v) for v in lines[2].split())
        return {"accepts": accepts, "requests": requests}
    return None


def parse_passthrough_counts(text):
    """The line switchyard-passthrough prints on SIGTERM, `upstream requests=N connectionsOpened=N
    connectionsReused=N` (the last one); None when it printed none."""
    lines = [line for line in text.splitlines() if line.startswith("upstream requests=")]
    if not lines:
        return None
    return {name: int(value) for name, value in re.findall(r"(\w+)=(\d+)", lines[-1])}
