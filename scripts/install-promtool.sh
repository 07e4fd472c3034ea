#!/usr/bin/env bash
# Puts Prometheus' `promtool` on the PATH (/usr/local/bin) for the metrics tests, unless one is
# there. Only the tool is taken from Debian's `prometheus` package: installing the package would
# also start a Prometheus server on :9090 wherever systemd runs, which is the gateway's default
# admin port and no business of a test run.
set -euo pipefail
command -v promtool >/dev/null && exit 0
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
work=$(mktemp -d)
chmod 755 "$work" # apt-get download runs as _apt where it can
trap 'rm -rf "$work"' EXIT
echo "installing: promtool (from Debian's prometheus package)"
$sudo_cmd apt-get update -qq
(cd "$work" && apt-get download -qq prometheus)
dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
$sudo_cmd install -m 0755 "$work/root/usr/bin/promtool" /usr/local/bin/promtool
