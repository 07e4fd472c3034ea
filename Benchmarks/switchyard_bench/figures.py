"""From a run file's raw counts to the figures the report prints: per measured run (requests/s,
latency, CPU µs per request, CPU use, steal, upstream connections, memory per connection), then over
the repetitions of one server and variant (the median of each figure, so one row may mix runs, and
the range of the CPU figure; counts are summed instead)."""

import statistics

# Figures that are counts: summed over the repetitions, never a median.
COUNTS = ("requests", "errors", "non2xx", "non_404", "resumed", "up_requests", "up_opened", "up_reused",
          "up_failures", "seen_conns", "seen_requests")
# Decimals of a median; the rest have none.
DIGITS = {"p50": 2, "p99": 2, "cpu_us": 1, "kernel_us": 1, "kib_per_conn": 1}


def run_figures(record, clk_tck):
    """The figures of one measured run, from what its record holds."""
    figures = {}
    load = record["load"]
    if "wrk" in load:
        wrk = load["wrk"]
        figures.update(requests=wrk["requests"], rps=wrk["requests_per_second"], p50=wrk["latency_ms"].get("50"),
                       p99=wrk["latency_ms"].get("99"), errors=sum(wrk["socket_errors"].values()),
                       non2xx=wrk["non_2xx_3xx"])
    if "newconn" in load:
        newconn = load["newconn"]
        figures.update(requests=newconn.get("requests", 0), rps=newconn.get("rps"), p50=newconn.get("p50_ms"),
                       p99=newconn.get("p99_ms"), resumed=newconn.get("resumed", 0),
                       errors=newconn.get("errors", 0), non_404=newconn.get("non_404", 0))
    before, after = record["before"], record["after"]
    ticks = after["cpu_ticks"] - before["cpu_ticks"]
    wall = after["seconds"] - before["seconds"]
    all_ticks = after["all_ticks"] - before["all_ticks"]
    figures.update(cpu_us=ticks * 1e6 / clk_tck / max(figures.get("requests", 0), 1),
                   cpu_use=ticks * 100 / clk_tck / wall if wall > 0 else None,
                   steal=(after["steal_ticks"] - before["steal_ticks"]) * 100 / max(all_ticks, 1))
    if "kernel_ticks" in after:  # not in the run files of before the split was kept
        figures["kernel_us"] = ((after["kernel_ticks"] - before["kernel_ticks"]) * 1e6 / clk_tck
                                / max(figures.get("requests", 0), 1))
    if "idle" in load:
        idle = load["idle"]
        established = idle["ready"].get("established", 0)
        figures.update(established=established, before=before["rss_kib"], after=after["rss_kib"],
                       kib_per_conn=(after["rss_kib"] - before["rss_kib"]) / max(established, 1),
                       closed=(idle["done"] or {}).get("closed_by_server"), ready_line=idle["ready"]["line"])
    if "upstream" in record:
        figures.update(upstream_figures(record))
    return figures


def upstream_figures(record):
    """What reached the upstream during one run (its stub_status before and after, less the status
    requests themselves) and what the proxy says it sent: switchyard-passthrough's exit line, the
    gateway's /metrics, or for nginx the upstream's own view (reused = requests − connections)."""
    before, after = record["upstream"]["before"], record["upstream"]["after"]
    seen = {"seen_conns": after["accepts"] - before["accepts"] - 1,
            "seen_requests": after["requests"] - before["requests"] - 1}
    counters = record.get("counters", {})
    if "passthrough_counts" in counters:
        counts = counters["passthrough_counts"]
        if counts is None:
            return seen
        return {**seen, "up_requests": counts["requests"], "up_opened": counts["connectionsOpened"],
                "up_reused": counts["connectionsReused"]}
    metrics = counters.get("metrics")
    if metrics:
        return {**seen, "up_requests": metrics.get("http_client_request_duration_seconds_count"),
                "up_opened": metrics.get("switchyard_upstream_connections_opened_total"),
                "up_reused": metrics.get("switchyard_upstream_connections_reused_total"),
                "up_failures": metrics.get("switchyard_upstream_failures_total", 0)}
    return {**seen, "up_requests": seen["seen_requests"], "up_opened": seen["seen_conns"],
            "up_reused": seen["seen_requests"] - seen["seen_conns"]}


def summary(records, clk_tck):
    """One server's (and variant's) figures over its repetitions, formatted as the report prints
    them: medians, sums of counts, the last run's text (idle's ready line), and cpu_us_range, the
    lowest and highest CPU µs per request."""
    per_run = [run_figures(record, clk_tck) for record in records]
    result = {}
    for name in {name for figures in per_run for name in figures}:
        values = [figures[name] for figures in per_run if isinstance(figures.get(name), (int, float))]
        texts = [figures[name] for figures in per_run if isinstance(figures.get(name), str)]
        if not values:
            if texts:
                result[name] = texts[-1]
            continue
        if name in COUNTS:
            result[name] = str(round(sum(values)))
        else:
            result[name] = f"{statistics.median(values):.{DIGITS.get(name, 0)}f}"
        if name == "cpu_us":
            result["cpu_us_range"] = f"{min(values):.1f}–{max(values):.1f}"
    return result


def ratio(value, reference):
    """"1.05×", or "–" when either figure is missing or the reference is zero."""
    try:
        value, reference = float(value), float(reference)
    except (TypeError, ValueError):
        return "–"
    return f"{value / reference:.2f}×" if reference else "–"


def verdict(ratio_text, meets):
    """A target's verdict from its ratio: met, **missed**, or not measured."""
    if ratio_text == "–":
        return "not measured"
    return "met" if meets(float(ratio_text.rstrip("×"))) else "**missed**"
