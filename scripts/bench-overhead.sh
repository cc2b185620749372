#!/usr/bin/env bash
# The router's own latency: one query answered by one subgraph, measured
# straight at the subgraph and through the router, at 1 and 10 clients.
# The difference is what the router adds (parse/validate cached, plan
# cached, one subgraph round trip, completion, encoding).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/bin
duration=${BENCH_DURATION:-10s}
query='{ topProducts { upc name price weight } }'
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

"$bin/benchsubgraphs" --port "${BENCH_SUBGRAPH_PORT:-4211}" > "$tmp/subgraphs.txt" &
pids+=($!)
for _ in $(seq 50); do grep -q ROUTER_SUBGRAPHS "$tmp/subgraphs.txt" 2>/dev/null && break; sleep 0.1; done
export $(cat "$tmp/subgraphs.txt")
products=$(tr ',' '\n' <<<"$ROUTER_SUBGRAPHS" | sed -n 's/^products=//p')
"$bin/router" compose > "$tmp/supergraph.graphql"
port=${BENCH_ROUTER_PORT:-4310}
ROUTER_RATE_LIMIT=false ROUTER_ACCESS_LOG=false \
  "$bin/router" --supergraph "$tmp/supergraph.graphql" --listen "127.0.0.1:$port" 2> "$tmp/router.log" &
pids+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
for c in 1 10; do
  for target in "subgraph $products" "router http://127.0.0.1:$port/graphql"; do
    set -- $target
    "$bin/routerbench" -url "$2" -c "$c" -d 2s -query "$query" > /dev/null
    printf '%-8s c=%-3s ' "$1" "$c"
    "$bin/routerbench" -url "$2" -c "$c" -d "$duration" -query "$query" | tr '\n' ' '
    echo
  done
done
