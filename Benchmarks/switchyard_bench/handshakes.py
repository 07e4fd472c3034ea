"""--check-handshakes: how many TLS handshakes and resumptions each candidate load generator makes
against nginx, counted from nginx's access log ($ssl_session_reused). It is how tls_newconn was chosen
for the new-connection scenario: wrk and h2load resume the session on every reconnect."""

import shutil
import sys
import time

from . import progress
from .bench import set_up
from .messages import BENCH_PATH
from .processes import Supervisor
from .servers import NginxServer, started

TOOL_SECONDS = 60


def check(options):
    """Runs each client tool for about 2 s against an nginx with a handshake log and prints the counts."""
    with Supervisor() as supervisor:
        bench = set_up(options, supervisor, need_binaries=False)
        progress.heading("counting TLS handshakes and resumptions with nginx's access log ($ssl_session_reused)")
        access_log = bench.work / "nginx" / "access.log"
        with started(bench, NginxServer(access_log=f"{access_log} handshakes", pinned=None)) as running:
            url = f"https://127.0.0.1:{running.port}{BENCH_PATH}"
            newconn = [str(bench.tls_newconn), "--port", str(running.port), "--path", BENCH_PATH, "--connections", "16",
                       "--duration", "2"]
            tools = [("tls_newconn (16 slots, 2 s)", newconn),
                     ("tls_newconn --resume", newconn + ["--resume"]),
                     ("wrk -c16 -H 'Connection: close'",
                      ["wrk", "-t1", "-c16", "-d2s", "-H", "Connection: close", url])]
            if shutil.which("h2load"):
                tools.append(("h2load --h1 -c16 -n2000 -H 'Connection: close'",
                              ["h2load", "--h1", "-c16", "-n2000", "-H", "Connection: close", url]))
            tools.append(("wrk -c16 (keep-alive)", ["wrk", "-t1", "-c16", "-d2s", url]))
            for label, argv in tools:
                count(bench, label, argv, access_log)


def count(bench, label, argv, access_log):
    """One tool's requests, distinct TLS connections and resumed sessions, from the access log's
    `$connection $connection_requests $ssl_session_reused ...` lines."""
    access_log.write_text("")
    with open(bench.log("check.txt"), "w") as out:
        bench.supervisor.run(argv, seconds=TOOL_SECONDS, stdout=out, check=False)
    time.sleep(0.5)  # for nginx to write the last lines
    entries = [line.split() for line in access_log.read_text().splitlines() if line.strip()]
    connections = len({fields[0] for fields in entries})
    resumed = sum(1 for fields in entries if len(fields) > 2 and fields[2] == "r")
    print(f"   {label:<58} {len(entries):6d} requests, {connections:6d} TLS connections, {resumed:6d} resumed",
          file=sys.stderr, flush=True)
