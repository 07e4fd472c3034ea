"""The benchmark harness behind Benchmarks/run.sh: the gateway next to nginx on loopback.

    cli        the command line (run.sh's options and --help)
    run        a whole run: set-up, scenarios, parity check, run file, report
    scenarios  the five scenarios as data
    measure    the one warm-up/measure/stop skeleton every measured run goes through
    servers    how each server is configured, started, waited for and stopped
    loads      the load generators: wrk, tls_newconn, idle_connections.py
    checks     each server's answer before the load
    counters   every parser: load generators' output, /proc, /proc/stat, /metrics, stub_status
    figures    from raw counts to the report's figures: per run, medians, ratios
    profile    perf or callgrind on the translated gateway
    runfile    the JSON run files in .work/runs/
    report     RESULTS.md from run files
    bench      what one run works with: options, paths, ports, certificates, binaries
    machine    the machine and versions a run file records
    processes  starting and stopping processes by pid
    handshakes --check-handshakes
    messages   the requests and answers, defined once
    progress   what the run says while it runs

Python 3.11 standard library only. Benchmarks/README.md describes the method.
"""
