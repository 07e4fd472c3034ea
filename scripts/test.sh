#!/usr/bin/env bash
# Runs every test of the project: installs the system packages the tests use (Debian's), builds,
# then runs the unit and end-to-end suites. This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the build and the tests need from Debian: OpenSSL and zlib headers, the real clients the
# end-to-end tests drive (curl, openssl s_client), and a real Redis for the rate-limit store's tests.
packages=(libssl-dev zlib1g-dev curl openssl ca-certificates redis-server)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The end-to-end tests start many TLS connections and gateway processes.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

swift build --build-tests
# Every test is XCTest; without this, Swift Testing's empty run ("0 tests") would be the last line.
swift test --skip-build --disable-swift-testing "$@"
