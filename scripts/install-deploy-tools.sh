#!/usr/bin/env bash
# Installs what DeployTests (Tests/EndToEndTests/DeployTests.swift) runs on deploy/, unless it is
# there: kubectl for `kubectl kustomize` (Debian's kubernetes-client: kubectl 1.20 with kustomize v2,
# which the base is kept compatible with), kubernetes-validate (PyPI; it carries the Kubernetes
# schemas, so validating needs no cluster and no network), promtool (scripts/install-promtool.sh)
# and systemd-analyze (Debian's systemd, which installs without starting anything in a container).
# Called by scripts/test.sh; uses sudo when not root.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v kubectl >/dev/null || scripts/install-packages.sh kubernetes-client
command -v systemd-analyze >/dev/null || scripts/install-packages.sh systemd
scripts/install-promtool.sh

command -v python3 >/dev/null || scripts/install-packages.sh python3 python3-pip
if ! python3 -c 'import kubernetes_validate' 2>/dev/null; then
    echo "installing: kubernetes-validate (PyPI)"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    python3 -m pip --version >/dev/null 2>&1 || scripts/install-packages.sh python3-pip
    # Debian's own Python refuses pip installs outside a virtual environment (PEP 668); the tests
    # run `python3 -m kubernetes_validate`, so it goes where that python3 finds it.
    $sudo_cmd python3 -m pip install --quiet --disable-pip-version-check kubernetes-validate 2>/dev/null \
        || $sudo_cmd python3 -m pip install --quiet --disable-pip-version-check --break-system-packages kubernetes-validate
fi
