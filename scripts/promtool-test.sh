#!/usr/bin/env bash
# Checks and unit-tests the store's Prometheus rules with promtool, the same
# rule files the Kubernetes monitoring component ships and `make run`'s local
# Prometheus loads (kustomize/components/monitoring/rules/*.yml):
#   promtool check rules   every rule file
#   promtool test rules    kustomize/components/monitoring/rules_test.yml
#   promtool check config  the local prometheus.yml devstack writes, and the
#                          Kubernetes one where this promtool can read it
# Installs promtool (Debian's prometheus package) when it is missing. Note:
# on a machine with systemd that package also starts a system Prometheus on
# :9090; `make run` then says the port is taken and starts none of its own
# (`systemctl disable --now prometheus` frees it).
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
mon=kustomize/components/monitoring

if ! command -v promtool >/dev/null 2>&1; then
  echo "== promtool is missing (2.42 or newer)"
  . scripts/debian.sh
  debian_install --no-recommends prometheus
fi
echo "== $(promtool --version 2>&1 | head -1)"

echo "== promtool check rules"
promtool check rules "$mon"/rules/*.yml

echo "== promtool test rules"
promtool test rules "$mon/rules_test.yml"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "== promtool check config: the local Prometheus of make run"
$GO run ./cmd/devstack -write-prometheus-config "$tmp/prometheus.yml"
promtool check config "$tmp/prometheus.yml"

echo "== promtool check config: the Kubernetes component's"
if out=$(promtool check config "$mon/prometheus.yml" 2>&1); then
  echo "$out"
elif grep -q 'field kubernetes_sd_configs not found' <<<"$out"; then
  # Debian builds Prometheus without Kubernetes discovery; go test ./kustomize
  # checks this file's structure instead.
  echo "  skipped: this promtool has no Kubernetes service discovery (Debian's build)"
else
  echo "$out" >&2
  exit 1
fi
echo "promtool: rules checked and tested, configs checked"
