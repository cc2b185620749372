# shellcheck shell=bash
# Sourced by scripts/bench-gateway.sh and scripts/bench-curves.sh: the gateway
# benchmark's four subgraphs (cmd/benchsubgraphs), its supergraph, and the
# peers measured on it (our router, Hive Gateway), each started on this
# machine and stopped on exit. The sourcing script sets `set -euo pipefail`
# and, before calling these, port (the peer's) and subgraph_port (the first
# subgraph's).
#
# BENCH_BIN takes the binaries from another directory than bin/ (default);
# Hive Gateway is installed from npm outside the repository
# (HIVE_GATEWAY_DIR, default ~/.cache/virtual-store/hive-gateway, version
# HIVE_GATEWAY_VERSION).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${BENCH_BIN:-$root/bin}
hive_dir=${HIVE_GATEWAY_DIR:-$HOME/.cache/virtual-store/hive-gateway}
hive_version=${HIVE_GATEWAY_VERSION:-2.15.1}
me=$(basename "$0" .sh)
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

start_subgraphs() { # start_subgraphs [BENCHSUBGRAPHS FLAG...]: serve, export ROUTER_SUBGRAPHS, compose $tmp/supergraph.graphql; subgraphs_pid
  "$bin/benchsubgraphs" --port "$subgraph_port" "$@" > "$tmp/subgraphs.txt" &
  subgraphs_pid=$!
  pids+=("$subgraphs_pid")
  for _ in $(seq 50); do grep -q ROUTER_SUBGRAPHS "$tmp/subgraphs.txt" 2>/dev/null && break; sleep 0.1; done
  export $(cat "$tmp/subgraphs.txt")
  "$bin/router" compose > "$tmp/supergraph.graphql"
}

stop_pid() { # stop_pid PID: end a process started here and wait for it
  kill "$1"; wait "$1" 2>/dev/null || true
}

wait_for() { # wait_for URL: until it answers a GraphQL query
  for _ in $(seq 300); do
    curl -sf -H 'content-type: application/json' -d '{"query":"{__typename}"}' "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "$me: $1 never answered" >&2
  return 1
}

start_router() { # start_router NAME [ENV...]: our router on $port, defaults except what the benchmark turns off for every gateway; peer_pid
  local name=$1; shift
  env "$@" ROUTER_RATE_LIMIT=false ROUTER_ACCESS_LOG=false ROUTER_MAX_COST=0 ROUTER_ADMIN_LISTEN="127.0.0.1:$((port + 1))" \
    "$bin/router" --supergraph "$tmp/supergraph.graphql" --listen "127.0.0.1:$port" 2> "$tmp/$name.log" &
  peer_pid=$!
  pids+=("$peer_pid")
  wait_for "http://127.0.0.1:$port/graphql"
}

install_hive() {
  [ -x "$hive_dir/node_modules/.bin/hive-gateway" ] && return 0
  command -v npm >/dev/null || { echo "$me: no npm, Hive Gateway skipped" >&2; return 1; }
  mkdir -p "$hive_dir"
  [ -f "$hive_dir/package.json" ] || echo '{"private":true}' > "$hive_dir/package.json"
  npm install --prefix "$hive_dir" --no-audit --no-fund "@graphql-hive/gateway@$hive_version" >&2
}

start_hive() { # start_hive NAME DEDUP: Hive Gateway on $port as the benchmark runs it (after install_hive); peer_pid
  local name=$1 dedup=$2 dir=$tmp/$1
  # From an empty directory with the config passed by -c: the CLI also picks
  # up any gateway.config.* in its working directory.
  mkdir -p "$dir"
  echo "export const gatewayConfig = { inboundInflightRequestDeduplication: $dedup };" > "$dir/gateway.config.mjs"
  (cd "$dir" && NODE_ENV=production exec node "$hive_dir/node_modules/.bin/hive-gateway" supergraph "$tmp/supergraph.graphql" \
    --jit -c "$dir/gateway.config.mjs" --port "$port" > "$tmp/$name.log" 2>&1) &
  peer_pid=$!
  pids+=("$peer_pid")
  wait_for "http://127.0.0.1:$port/graphql"
}

# The peers: our router with its defaults and with inbound dedup; Hive
# Gateway in the benchmark's configuration (dedup on) and with dedup off.
peers_known="router router-dedup hive-dedup hive"
start_peer() { # start_peer NAME: that peer on $port; peer_pid, empty if Hive Gateway cannot be installed
  peer_pid=
  case $1 in
    router) start_router router ;;
    router-dedup) start_router router-dedup ROUTER_DEDUP_INBOUND=true ;;
    hive-dedup) if install_hive; then start_hive hive-dedup true; fi ;;
    hive) if install_hive; then start_hive hive false; fi ;;
    *) echo "$me: unknown peer $1" >&2; exit 2 ;;
  esac
}

peak_rss() { # peak_rss PID: peak resident MB of the process tree (Node runs workers)
  for p in $1 $(pgrep -P "$1" || true); do awk '/VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null; done | awk '{s += $1} END {print int(s / 1024)}'
}
