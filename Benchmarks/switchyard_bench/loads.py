"""The load generators, each on the client CPUs: wrk on keep-alive connections, tls_newconn for a new
TLS connection per request, and idle_connections.py holding idle TLS connections. Each offers
`applied()`, the measured load as a `with` block whose body runs while the load's effect is there to
sample (after wrk has finished; while the idle connections are held); the first two also `warm_up()`.
Every one runs for a bounded time and is stopped by its pid."""

import sys
import time
from contextlib import contextmanager

from .bench import BENCH_DIR
from .counters import parse_key_values, parse_status_line, parse_wrk
from .messages import BENCH_PATH
from .processes import BenchError, polls


class Wrk:
    """`wrk -t1 -cN --latency`: GET /bench with `Accept: application/json`, or, with `request`, the
    translated scenario's device request through wrk/device-request.lua."""

    def __init__(self, connections, request=None, token=None):
        self.connections = connections
        self.request = request
        self.token = token

    def command(self, bench, port, seconds):
        """(argv, environment) for one wrk run."""
        argv = bench.pin_client + ["wrk", "-t1", f"-c{self.connections}", "--latency"]
        if self.request is None:
            return argv + ["-H", "Accept: application/json", f"https://127.0.0.1:{port}{BENCH_PATH}",
                           f"-d{seconds}s"], None
        return argv + ["-s", str(BENCH_DIR / "wrk" / "device-request.lua"), f"https://127.0.0.1:{port}",
                       f"-d{seconds}s"], self.request.wrk_environment(self.token)

    def warm_up(self, bench, running, seconds):
        """Unmeasured load, so that the measured run finds connections, caches and heap settled."""
        argv, env = self.command(bench, running.port, seconds)
        bench.supervisor.run(argv, seconds=seconds + 30, env=env)

    @contextmanager
    def applied(self, bench, running, seconds, output):
        """The measured wrk run, to its end; yields its parsed summary."""
        argv, env = self.command(bench, running.port, seconds)
        with open(output, "w") as out:
            bench.supervisor.run(argv, seconds=seconds + 60, stdout=out, env=env)
        yield {"wrk": parse_wrk(output.read_text())}


class NewConnections:
    """tls_newconn: each of --newconn-connections slots connects, handshakes (full, or resuming its
    previous session with `resume`), sends GET /bench with Connection: close and reads the answer,
    again and again. A failing run still counts what it did, so its exit status is not checked."""

    def __init__(self, connections, resume):
        self.connections = connections
        self.resume = resume

    def command(self, bench, port, seconds):
        """The argv for one run."""
        return bench.pin_client + [
            str(bench.tls_newconn), "--port", str(port), "--path", BENCH_PATH, "--sni", "localhost",
            "--connections", str(self.connections), *(["--resume"] if self.resume else []),
            "--duration", str(seconds)]

    def warm_up(self, bench, running, seconds):
        """As Wrk.warm_up."""
        bench.supervisor.run(self.command(bench, running.port, seconds), seconds=seconds + 30, check=False)

    @contextmanager
    def applied(self, bench, running, seconds, output):
        """The measured run, to its end; yields its figures (`name=value` lines)."""
        with open(output, "w") as out:
            bench.supervisor.run(self.command(bench, running.port, seconds), seconds=seconds + 60, stdout=out,
                                 check=False)
        yield {"newconn": parse_key_values(output.read_text())}


class IdleConnections:
    """idle_connections.py: --idle-connections TLS connections opened (with `request`, one keep-alive
    GET /bench answered on each first) and held idle while the block runs; the server's memory is what
    the scenario reads meanwhile."""

    READY_SECONDS = 200  # the client itself gives up opening them after 180
    SETTLE_SECONDS = 2   # for the server to finish whatever each new connection set off

    def __init__(self, count, request):
        self.count = count
        self.request = request

    @contextmanager
    def applied(self, bench, running, seconds, output):
        """Yields once all connections are up (their `ready` line) and settled, and holds them until
        the block ends; then stops the client, whose `done` line says how many the server closed."""
        argv = bench.pin_client + [
            sys.executable, str(BENCH_DIR / "idle_connections.py"), "--port", str(running.port),
            "--count", str(self.count), "--cafile", str(bench.certs / "ca.crt"), "--sni", "localhost",
            "--timeout", "180", "--max-hold", "600", *(["--request", BENCH_PATH] if self.request else [])]
        with open(output, "w") as out:
            client = bench.supervisor.start(argv, stdout=out)
        result = {"idle": {"ready": None, "done": None}}
        try:
            for _ in polls(self.READY_SECONDS):
                if parse_status_line(output.read_text(), "ready") or client.poll() is not None:
                    break
            result["idle"]["ready"] = parse_status_line(output.read_text(), "ready")
            if not result["idle"]["ready"]:
                raise BenchError(f"idle connections to {running.label} never became ready:\n{output.read_text()}")
            time.sleep(self.SETTLE_SECONDS)
            yield result
        finally:
            bench.supervisor.stop(client)
            result["idle"]["done"] = parse_status_line(output.read_text(), "done")
