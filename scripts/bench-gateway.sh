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
# npm the hive peers are skipped. Starting the subgraphs and the peers is
# scripts/bench-lib.sh's, shared with scripts/bench-curves.sh.
#
# GATEWAY_URL measures one other gateway already serving the same supergraph
# (print it with: bin/router compose, ROUTER_SUBGRAPHS from benchsubgraphs).
set -euo pipefail
. "$(dirname "$0")/bench-lib.sh"
query=${BENCH_QUERY:-$root/bench/gateway-benchmark-query.graphql}
duration=${BENCH_DURATION:-30s}
warmup=${BENCH_WARMUP:-5s}
clients=${BENCH_CLIENTS:-50}
peers=${BENCH_PEERS:-router router-dedup hive-dedup hive}
port=${BENCH_ROUTER_PORT:-4300}
subgraph_port=${BENCH_SUBGRAPH_PORT:-4201}

start_subgraphs

bench() { # bench NAME URL PID: warm up, measure, print one table row
  local name=$1 url=$2 pid=$3 ref=()
  [ -f "$tmp/reference.json" ] && ref=(-expect "$tmp/reference.json")
  "$bin/routerbench" -url "$url" -c "$clients" -d "$warmup" -query "@$query" -save "$tmp/first.json" > /dev/null
  [ -f "$tmp/reference.json" ] || cp "$tmp/first.json" "$tmp/reference.json"
  "$bin/routerbench" -url "$url" -c "$clients" -d "$duration" -query "@$query" -tsv "${ref[@]}" > "$tmp/$name.txt"
  local rss="-"
  if [ -n "$pid" ]; then rss=$(peak_rss "$pid"); fi
  awk -v name="$name" -v rss="$rss" -F'\t' '/^RESULT/ {printf "%-14s %8s %9s %9s %8s MB %9s\n", name, $2, $3, $4, rss, $5}' "$tmp/$name.txt" | tee -a "$tmp/table.txt"
}

echo "gateway benchmark query, $clients clients, ${duration} measured after ${warmup} warm-up, $(nproc) cores, $(date -u +%F)"
printf "%-14s %8s %9s %9s %11s %9s\n" gateway "req/s" "p50 ms" "p99 ms" "peak RSS" failures
if [ -n "${GATEWAY_URL:-}" ]; then
  bench other "$GATEWAY_URL" ""
  exit 0
fi
for peer in $peers; do
  start_peer "$peer"
  [ -n "$peer_pid" ] || continue
  bench "$peer" "http://127.0.0.1:$port/graphql" "$peer_pid"
  stop_pid "$peer_pid"
done
ratio() { awk -v a="$1" -v b="$2" '$1 == a {x = $2} $1 == b {y = $2} END { if (x && y) printf "%s / %s: %.1f×\n", a, b, x / y }' "$tmp/table.txt"; }
ratio router-dedup hive-dedup
ratio router hive
