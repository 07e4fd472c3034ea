"""The five scenarios as data: which servers each compares, what load it puts on them, what it checks
before, in which order its runs alternate, and what it needs around them. measure.py runs any of them
with the same skeleton; report.py renders each from the run file."""

import os
import secrets
from dataclasses import dataclass, field
from typing import Callable, Optional

from loopback_gateway import mint_token

from . import profile
from .checks import device_answer, problem_answer, upstream_answer
from .loads import IdleConnections, NewConnections, Wrk
from .messages import DEVICE_REQUESTS, device_request
from .servers import Gateway, NginxProxy, NginxServer, Passthrough, gateway_404_config, gateway_translated_config


@dataclass(frozen=True)
class Scenario:
    """One scenario: everything the skeleton in measure.py needs to run it."""

    name: str                              # for --only, and the scenario's key in run files
    heading: Callable                      # Options → what the run says when the scenario starts
    servers: dict                          # --servers name → the Server that runs as it
    load: Callable                         # (Bench, variant) → the load of one measured run
    labels: dict = field(default_factory=lambda: {"gateway": "gateway", "nginx": "nginx"})
    variants: tuple = (None,)              # each measured for every server
    order: tuple = ("repetition", "variant", "server")  # the runs' loops, outermost first
    repeated: bool = True                  # --repeat runs per server and variant, else one
    warm_up: bool = True                   # --warmup seconds of unmeasured load first
    settle_seconds: float = 0              # a pause between the start and the first reading
    check: Optional[Callable] = None       # (Bench, Running, server, label, variant) → the answer
    upstream: bool = False                 # runs in front of the upstream nginx
    prepare: Optional[Callable] = None     # Bench → None, before the first run
    finish: Optional[Callable] = None      # (Bench, Scenario) → more of the scenario's record, after the last

    def output_name(self, server, variant, repetition):
        """The load generator's output file for one run, in .work/logs/."""
        parts = [self.name, variant, server, str(repetition) if self.repeated else None]
        return "-".join(part for part in parts if part) + ".txt"


GATEWAY_404 = Gateway("gateway.yaml", write=gateway_404_config)
COMPARED_404 = {"gateway": GATEWAY_404, "nginx": NginxServer()}


def prepare_translated(bench):
    """The translated gateway's configuration, with an HS256 secret made up for this run, and one
    token per tenant from the gateway's own `switchyard token`, valid for the whole run; nginx gets
    the same tokens, so both servers get the same request bytes."""
    config = bench.work / "gateway-translated.yaml"
    config.unlink(missing_ok=True)
    with os.fdopen(os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
        f.write(gateway_translated_config(bench, secrets.token_hex(32)))
    for request in DEVICE_REQUESTS:
        bench.tokens[request.tenant] = mint_token(bench.gateway_bin, str(config), request.tenant,
                                                  "devices:write", ttl=86400)


def profile_translated(bench, scenario):
    """Where the gateway's time goes, from one more, unmeasured control-center run (when the gateway
    is among the servers)."""
    if "gateway" not in bench.options.servers:
        return {}
    return {"profile": profile.run(bench, scenario.servers["gateway"], device_request("cc"))}


SCENARIOS = (
    Scenario(
        name="keepalive",
        heading=lambda o: f"keep-alive: wrk -t1 -c{o.connections} -d{o.duration}s, {o.warmup}s warm-up",
        servers=COMPARED_404,
        load=lambda bench, variant: Wrk(bench.options.connections),
        check=problem_answer,
    ),
    Scenario(
        name="newconn",
        heading=lambda o: (f"new TLS connection per request (full, then resumed handshakes): tls_newconn, "
                           f"{o.newconn_connections} at once, {o.duration}s"),
        servers=COMPARED_404,
        variants=("full", "resumed"),
        order=("variant", "repetition", "server"),
        load=lambda bench, variant: NewConnections(bench.options.newconn_connections, resume=variant == "resumed"),
    ),
    Scenario(
        name="idle",
        heading=lambda o: f"{o.idle_count} idle TLS connections (after the handshake, then after a request)",
        servers=COMPARED_404,
        variants=("handshake", "request"),
        order=("variant", "repetition", "server"),
        repeated=False,
        warm_up=False,
        settle_seconds=1,
        load=lambda bench, variant: IdleConnections(bench.options.idle_count, request=variant == "request"),
    ),
    Scenario(
        name="passthrough",
        heading=lambda o: (f"pass-through: wrk -t1 -c{o.connections} -d{o.duration}s through each proxy to an "
                           f"upstream nginx on CPU {o.client_cpus}, {o.warmup}s warm-up"),
        servers={"gateway": Passthrough(), "nginx": NginxProxy()},
        labels={"gateway": "switchyard-passthrough", "nginx": "nginx"},
        load=lambda bench, variant: Wrk(bench.options.connections),
        check=upstream_answer,
        upstream=True,
    ),
    Scenario(
        name="translated",
        heading=lambda o: (f"translated: wrk -t1 -c{o.connections} -d{o.duration}s -s wrk/device-request.lua, the "
                           "gateway (tenants cc and gate) and nginx passing the same requests on, upstream nginx "
                           f"on CPU {o.client_cpus}, {o.warmup}s warm-up"),
        servers={"gateway": Gateway("gateway-translated.yaml"), "nginx": NginxProxy()},
        labels={"gateway": "gateway (switchyard serve)", "nginx": "nginx (proxy, unchanged)"},
        variants=tuple(request.tenant for request in DEVICE_REQUESTS),
        load=lambda bench, variant: Wrk(bench.options.connections, device_request(variant), bench.tokens[variant]),
        check=device_answer,
        upstream=True,
        prepare=prepare_translated,
        finish=profile_translated,
    ),
)
SCENARIO_NAMES = tuple(scenario.name for scenario in SCENARIOS)
# The scenarios that load the gateway with no tenants (GET /bench, 404), whose answers the report's
# "Response parity" section compares.
PARITY_SCENARIOS = ("keepalive", "newconn", "idle")
