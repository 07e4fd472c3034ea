"""The release gateway on loopback for a benchmark script: fresh dev certificates, one worker, no
access log, and one control-center tenant whose upstream nobody listens on (every request the
scripts send is answered by the gateway itself). Shared by attacks.py and json_shapes.py; the
helpers (dev certificates, `switchyard token`, RSS) also serve run.sh's switchyard_bench.

Standard library only; `stop()` ends the gateway by its pid.
"""

import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rss_kib(pid):
    """VmRSS of one process in KiB (-1 when it has none, as a zombie); OSError when it is gone."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def make_dev_certs(out, log=subprocess.DEVNULL):
    """Fresh dev CA and ECDSA P-256 leaf for localhost in `out`, from the project's own script, so
    every benchmark serves the same kind of certificate as the README's setup."""
    subprocess.run([os.path.join(ROOT, "certs/make-dev-certs.sh"), "--out", out], check=True, stdout=log)


def mint_token(binary, config, tenant, scope, ttl=None):
    """A bearer token from the gateway's own `switchyard token`, so the benchmarks never carry a JWT
    minter of their own that could drift from what the gateway accepts."""
    argv = [binary, "token", "--config", config, "--tenant", tenant, "--scope", scope]
    if ttl is not None:
        argv += ["--ttl", str(ttl)]
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip()


class Gateway:
    """`limits` is the configuration's `limits` flow mapping, without braces."""

    def __init__(self, binary, work, limits):
        self.work = work
        make_dev_certs(work + "/certs")
        config = os.path.join(work, "gateway.yaml")
        with open(config, "w") as f:
            f.write(f"""listen: "127.0.0.1:0"
tls: {{certificate: "{work}/certs/server.crt", privateKey: "{work}/certs/server.key"}}
admin: off
workers: 1
accessLog: off
limits: {{{limits}}}
auth:
  jwt: {{hs256Secret: "{os.urandom(24).hex()}"}}
tenants:
  acme: {{vendor: control-center, upstream: "https://127.0.0.1:9", credentials: {{username: u, apiKey: k}}}}
""")
        self.token = mint_token(binary, config, "acme", "devices:write")
        self.process = subprocess.Popen([binary, "serve", "--config", config], stderr=subprocess.PIPE, text=True)
        self.port = None
        deadline = time.time() + 20
        while self.port is None and time.time() < deadline:
            match = re.search(r"listening on https://127\.0\.0\.1:(\d+)", self.process.stderr.readline())
            if match:
                self.port = int(match.group(1))
        if self.port is None:
            self.stop()
            sys.exit("the gateway did not start")
        self.context = ssl.create_default_context(cafile=work + "/certs/ca.crt")

    def connect(self, timeout=10):
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        return self.context.wrap_socket(raw, server_hostname="localhost")

    @property
    def rss(self):
        return rss_kib(self.process.pid)

    def served(self):
        """Whether a new client gets its 404 within 5 s."""
        try:
            tls = self.connect(timeout=5)
            tls.sendall(b"GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            answer = tls.recv(100)
            tls.close()
            return answer.startswith(b"HTTP/1.1 404")
        except OSError:
            return False

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
