#!/usr/bin/env bash
# Builds the gateway as it ships: the container image (deploy/container/Dockerfile), the systemd
# install (deploy/README.md), the benchmarks and scripts/test-release.sh all build it with this.
# A release build with
# - the Swift runtime and Foundation linked in (--static-swift-stdlib): the machine that runs it needs
#   no Swift toolchain, only OpenSSL 3, zlib and libstdc++;
# - the whole program optimized again when it is linked (--experimental-lto-mode=full, LLVM's
#   link-time optimization): 10% fewer instructions a translated request for a clean build about 75 s
#   longer on 2 cores (Benchmarks/RESULTS.md, "The twenty-sixth pass"). SwiftPM marks the option
#   experimental; should a later SwiftPM drop it, take it out here and the same gateway builds, slower.
# Arguments go to `swift build` (default: --product switchyard); the binary is then in
# `swift build -c release --show-bin-path`.
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -gt 0 ] || set -- --product switchyard
exec swift build -c release --static-swift-stdlib --experimental-lto-mode=full "$@"
