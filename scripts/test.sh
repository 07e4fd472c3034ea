#!/usr/bin/env bash
# Runs every test of the project: installs the system packages the tests use (Debian's), builds,
# then runs the unit and end-to-end suites. This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the build and the tests need from Debian: OpenSSL and zlib headers, the real clients the
# end-to-end tests drive (curl, openssl s_client), and a real Redis for the rate-limit store's tests.
scripts/install-packages.sh libssl-dev zlib1g-dev curl openssl ca-certificates redis-server
# And Prometheus' promtool, which checks that /metrics is valid exposition.
scripts/install-promtool.sh
scripts/install-deploy-tools.sh  # kubectl (kustomize), kubernetes-validate, systemd-analyze: DeployTests on deploy/

# The end-to-end tests start many TLS connections and gateway processes.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

swift build --build-tests

# A short fuzz smoke run: every libFuzzer target of Fuzz/ for FUZZ_SMOKE_SECONDS each (0 skips it),
# from the committed seeds and the working corpus; a crash or a broken invariant fails the run
# here, with the input's path. Built in its own .build-fuzz/, so the build above is untouched.
if [ "${FUZZ_SMOKE_SECONDS:-12}" != 0 ]; then
    FUZZ_QUIET=1 scripts/fuzz.sh all "${FUZZ_SMOKE_SECONDS:-12}" </dev/null
fi

# Every test is XCTest; without this, Swift Testing's empty run ("0 tests") would be the last line.
swift test --skip-build --disable-swift-testing "$@"
