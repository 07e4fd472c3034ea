"""The five scenarios as data: which servers each compares, what load it puts on them, what it checks
before, in which order its runs alternate, and what it needs around them. measure.py runs any of them
with the same skeleton; report.py renders each from the run file."""

import os
import secrets
from dataclasses import dataclass, field
from typing import Callable, Optional

from loopback_gateway import mint_token

from . import allocations, profile, progress
from .checks import device_answer, problem_answer, upstream_answer
from .loads import IdleConnections, NewConnections, Wrk
from .messages import DEVICE_REQUESTS, device_request
from .servers import (Gateway, NginxLua, NginxProxy, NginxServer, Passthrough, gateway_404_config,
                      gateway_translated_config, started)


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


TRANSLATED_GATEWAY = Gateway("gateway-translated.yaml")


def prepare_translated(bench):
    """The translated gateway's configuration, with an HS256 secret made up for this run (nginx + Lua
    verifies with the same one), and one token per tenant from the gateway's own `switchyard token`,
    valid for the whole run; every server gets the same tokens, so all get the same request bytes.
    When nginx + Lua runs without the gateway, the gateway is started once here all the same: its
    answers are what nginx + Lua's are checked against."""
    config = bench.work / "gateway-translated.yaml"
    config.unlink(missing_ok=True)
    bench.hs256_secret = secrets.token_hex(32)
    with os.fdopen(os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
        f.write(gateway_translated_config(bench, bench.hs256_secret))
    for request in DEVICE_REQUESTS:
        bench.tokens[request.tenant] = mint_token(bench.gateway_bin, str(config), request.tenant,
                                                  "devices:write", ttl=86400)
    if "nginx-lua" in bench.options.servers and (bench.options.gateway_yaml or bench.options.tenant_yaml):
        progress.note("the nginx + Lua gateway does not take --gateway-yaml or --tenant-yaml: it goes on "
                      "with the scenario's own configuration")
    if "nginx-lua" in bench.options.servers and "gateway" not in bench.options.servers:
        with started(bench, TRANSLATED_GATEWAY) as running:
            for request in DEVICE_REQUESTS:
                device_answer(bench, running, "gateway", "gateway (switchyard serve)", request.tenant)


def profile_translated(bench, scenario):
    """Where the time of the server --profile-server names goes, from one more, unmeasured run of
    --profile-vendor's request (when that server is among the servers), and what the gateway allocates per
    request, from one more per vendor (when the gateway is among them)."""
    result = {}
    if bench.options.profile_server in bench.options.servers:
        result["profile"] = profile.run(bench, scenario.servers, device_request(bench.options.profile_vendor))
    if bench.options.allocations and "gateway" in bench.options.servers:
        result["allocations"] = [{"tenant": request.tenant, "vendor": request.label,
                                  **allocations.run(bench, request)} for request in DEVICE_REQUESTS]
    return result


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
                           "gateway (tenants cc and gate), nginx passing the same requests on and the nginx + Lua "
                           f"gateway doing the gateway's job, upstream nginx on CPU {o.client_cpus}, {o.warmup}s "
                           "warm-up"),
        servers={"gateway": TRANSLATED_GATEWAY, "nginx": NginxProxy(), "nginx-lua": NginxLua()},
        labels={"gateway": "gateway (switchyard serve)", "nginx": "nginx (proxy, unchanged)",
                "nginx-lua": "nginx + Lua gateway (OpenResty-style)"},
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
