#!/usr/bin/env bash
# Benchmarks the gateway against Debian's nginx, side by side in one run, on loopback.
# What each scenario measures and how to read the numbers: Benchmarks/README.md. The harness is the
# Python package beside this file, switchyard_bench/ (standard library only); `run.sh --help` lists
# the options. Each run writes its raw figures to Benchmarks/.work/runs/<time>.json and renders
# Benchmarks/RESULTS.md from it; `run.sh --report FILE...` renders it again from run files.
set -euo pipefail
bench_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
python=python3
command -v python3.11 >/dev/null && python=python3.11
PYTHONPATH="$bench_dir${PYTHONPATH:+:$PYTHONPATH}" exec "$python" -m switchyard_bench "$@"
