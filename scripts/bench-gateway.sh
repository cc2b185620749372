#!/usr/bin/env bash
# The workload of the public GraphQL gateway benchmark: four subgraphs
# (accounts, inventory, products, reviews; cmd/benchsubgraphs), one nested
# query with fragments, 50 concurrent clients. Runs each gateway in turn on
# the same machine, against the same subgraphs and supergraph, and prints one
# table; every answer counted is status 200, no "errors", and each client's
# first answer equal (as JSON) to the router's.
#
# Gateways (BENCH_PEERS, in this order by default):
#   router         our router, defaults except what the benchmark turns off
#                  for every gateway (rate limit, access log, static cost)
#   router-dedup   the same with ROUTER_DEDUP_INBOUND=true
#   hive-dedup     Hive Gateway in the benchmark's own configuration:
#                  `hive-gateway supergraph … --jit`, NODE_ENV=production,
#                  inboundInflightRequestDeduplication: true
#   hive           Hive Gateway the same, dedup off
# Hive Gateway is installed from npm outside the repository
# (HIVE_GATEWAY_DIR, default ~/.cache/virtual-store/hive-gateway); without
# npm the hive peers are skipped.
#
# GATEWAY_URL measures one other gateway already serving the same supergraph
# (print it with: bin/router compose, ROUTER_SUBGRAPHS from benchsubgraphs).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/bin
query=${BENCH_QUERY:-$root/bench/gateway-benchmark-query.graphql}
duration=${BENCH_DURATION:-30s}
warmup=${BENCH_WARMUP:-5s}
clients=${BENCH_CLIENTS:-50}
peers=${BENCH_PEERS:-router router-dedup hive-dedup hive}
hive_dir=${HIVE_GATEWAY_DIR:-$HOME/.cache/virtual-store/hive-gateway}
hive_version=${HIVE_GATEWAY_VERSION:-2.15.1}
port=${BENCH_ROUTER_PORT:-4300}
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

"$bin/benchsubgraphs" --port "${BENCH_SUBGRAPH_PORT:-4201}" > "$tmp/subgraphs.txt" &
pids+=($!)
for _ in $(seq 50); do grep -q ROUTER_SUBGRAPHS "$tmp/subgraphs.txt" 2>/dev/null && break; sleep 0.1; done
export $(cat "$tmp/subgraphs.txt")
"$bin/router" compose > "$tmp/supergraph.graphql"

bench() { # bench NAME URL PID: warm up, measure, print one table row
  local name=$1 url=$2 pid=$3 ref=()
  [ -f "$tmp/reference.json" ] && ref=(-expect "$tmp/reference.json")
  "$bin/routerbench" -url "$url" -c "$clients" -d "$warmup" -query "@$query" -save "$tmp/first.json" > /dev/null
  [ -f "$tmp/reference.json" ] || cp "$tmp/first.json" "$tmp/reference.json"
  "$bin/routerbench" -url "$url" -c "$clients" -d "$duration" -query "@$query" -tsv "${ref[@]}" > "$tmp/$name.txt"
  local rss="-"
  if [ -n "$pid" ]; then
    # Peak resident memory of the gateway's process tree (Node runs workers).
    rss=$(for p in $pid $(pgrep -P "$pid" || true); do awk '/VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null; done | awk '{s += $1} END {print int(s / 1024)}')
  fi
  awk -v name="$name" -v rss="$rss" -F'\t' '/^RESULT/ {printf "%-14s %8s %9s %9s %8s MB %9s\n", name, $2, $3, $4, rss, $5}' "$tmp/$name.txt" | tee -a "$tmp/table.txt"
}

wait_for() { # wait_for URL: until it answers a GraphQL query
  for _ in $(seq 300); do
    curl -sf -H 'content-type: application/json' -d '{"query":"{__typename}"}' "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "bench-gateway: $1 never answered" >&2
  return 1
}

run_router() { # run_router NAME [ENV...]
  local name=$1; shift
  env "$@" ROUTER_RATE_LIMIT=false ROUTER_ACCESS_LOG=false ROUTER_MAX_COST=0 ROUTER_ADMIN_LISTEN="127.0.0.1:$((port + 1))" \
    "$bin/router" --supergraph "$tmp/supergraph.graphql" --listen "127.0.0.1:$port" 2> "$tmp/$name.log" &
  local pid=$!
  pids+=("$pid")
  wait_for "http://127.0.0.1:$port/graphql"
  bench "$name" "http://127.0.0.1:$port/graphql" "$pid"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

install_hive() {
  [ -x "$hive_dir/node_modules/.bin/hive-gateway" ] && return 0
  command -v npm >/dev/null || { echo "bench-gateway: no npm, Hive Gateway skipped" >&2; return 1; }
  mkdir -p "$hive_dir"
  [ -f "$hive_dir/package.json" ] || echo '{"private":true}' > "$hive_dir/package.json"
  npm install --prefix "$hive_dir" --no-audit --no-fund "@graphql-hive/gateway@$hive_version" >&2
}

run_hive() { # run_hive NAME DEDUP
  local name=$1 dedup=$2 dir=$tmp/$1
  install_hive || return 0
  # From an empty directory with the config passed by -c: the CLI also picks
  # up any gateway.config.* in its working directory.
  mkdir -p "$dir"
  echo "export const gatewayConfig = { inboundInflightRequestDeduplication: $dedup };" > "$dir/gateway.config.mjs"
  (cd "$dir" && NODE_ENV=production exec node "$hive_dir/node_modules/.bin/hive-gateway" supergraph "$tmp/supergraph.graphql" \
    --jit -c "$dir/gateway.config.mjs" --port "$port" > "$tmp/$name.log" 2>&1) &
  local pid=$!
  pids+=("$pid")
  wait_for "http://127.0.0.1:$port/graphql"
  bench "$name" "http://127.0.0.1:$port/graphql" "$pid"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

echo "gateway benchmark query, $clients clients, ${duration} measured after ${warmup} warm-up, $(nproc) cores, $(date -u +%F)"
printf "%-14s %8s %9s %9s %11s %9s\n" gateway "req/s" "p50 ms" "p99 ms" "peak RSS" failures
if [ -n "${GATEWAY_URL:-}" ]; then
  bench other "$GATEWAY_URL" ""
  exit 0
fi
for peer in $peers; do
  case $peer in
    router) run_router router ;;
    router-dedup) run_router router-dedup ROUTER_DEDUP_INBOUND=true ;;
    hive-dedup) run_hive hive-dedup true ;;
    hive) run_hive hive false ;;
    *) echo "bench-gateway: unknown peer $peer" >&2; exit 2 ;;
  esac
done
ratio() { awk -v a="$1" -v b="$2" '$1 == a {x = $2} $1 == b {y = $2} END { if (x && y) printf "%s / %s: %.1f×\n", a, b, x / y }' "$tmp/table.txt"; }
ratio router-dedup hive-dedup
ratio router hive
