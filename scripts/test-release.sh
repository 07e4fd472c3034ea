#!/usr/bin/env bash
# Runs the test suite against `switchyard` built as it ships (scripts/build-release.sh): every test
# that starts the binary (the end-to-end tests, the simulators' commands) then drives the code the
# release flags make (Package.swift: no exclusivity checks, values copied in code made for their
# type, lifetimes that end at a value's last use in the translating modules; and the link-time
# optimization), which a debug build never has. The in-process tests stay in debug.
# Not part of scripts/test.sh, to keep CI within its time; run it after changing Package.swift's
# release flags and before a release. Needs what scripts/test.sh installs; arguments go to
# `swift test` (for example `--filter EndToEndTests`).
set -euo pipefail
cd "$(dirname "$0")/.."

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

scripts/build-release.sh
binary="$(swift build -c release --show-bin-path)/switchyard"
swift build --build-tests

SWITCHYARD_TEST_BINARY="$binary" swift test --skip-build --disable-swift-testing "$@"
