#!/usr/bin/env bash
# The workload of the public GraphQL gateway benchmark: four subgraphs
# (accounts, inventory, products, reviews; cmd/benchsubgraphs), one nested
# query with fragments, 50 concurrent clients. Starts the subgraphs and the
# router on loopback, prints throughput and latency, stops everything.
# GATEWAY_URL measures another gateway already serving the same supergraph
# (print it with: bin/router compose, ROUTER_SUBGRAPHS from benchsubgraphs).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/bin
query=${BENCH_QUERY:-$root/bench/gateway-benchmark-query.graphql}
duration=${BENCH_DURATION:-10s}
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

"$bin/benchsubgraphs" --port "${BENCH_SUBGRAPH_PORT:-4201}" > "$tmp/subgraphs.txt" &
pids+=($!)
for _ in $(seq 50); do grep -q ROUTER_SUBGRAPHS "$tmp/subgraphs.txt" 2>/dev/null && break; sleep 0.1; done
export $(cat "$tmp/subgraphs.txt")
"$bin/router" compose > "$tmp/supergraph.graphql"
url=${GATEWAY_URL:-}
if [ -z "$url" ]; then
  port=${BENCH_ROUTER_PORT:-4300}
  # Measured as the other gateways are: no rate limit, no access log, and no
  # static cost limit (the benchmark's schema has unbounded nested lists,
  # which the default estimate of 10 items per list prices at ~10^5).
  ROUTER_RATE_LIMIT=false ROUTER_ACCESS_LOG=false ROUTER_MAX_COST=0 ROUTER_ADMIN_LISTEN="127.0.0.1:$((port + 1))" \
    "$bin/router" --supergraph "$tmp/supergraph.graphql" --listen "127.0.0.1:$port" 2> "$tmp/router.log" &
  pids+=($!)
  url=http://127.0.0.1:$port/graphql
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$((port + 1))/healthz" >/dev/null && break; sleep 0.1; done
fi
echo "warm-up"; "$bin/routerbench" -url "$url" -c 50 -d 2s -query "@$query" > /dev/null
echo "gateway benchmark query, $url:"
"$bin/routerbench" -url "$url" -c 50 -d "$duration" -query "@$query"
if [ -z "${GATEWAY_URL:-}" ]; then
  echo "router memory (RSS): $(( $(ps -o rss= -p "${pids[1]}") / 1024 )) MB"
fi
