#!/usr/bin/env bash
# The router's own latency: one query answered by one subgraph, measured
# straight at the subgraph and through the router, at 1 and 10 clients —
# first over plain HTTP, then with every hop mutual TLS 1.3 (the store's own
# setup: certificates from `router pki init`, the subgraph requiring the
# router's). The differences are what the router adds (parse/validate and
# plan cached, one subgraph round trip, completion, encoding) and what mutual
# TLS adds per call once keep-alive has amortised the handshake.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/bin
duration=${BENCH_DURATION:-10s}
query='{ topProducts { upc name price weight } }'
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
"$bin/router" pki init --dir "$tmp/pki" > /dev/null

# run MODE SUBGRAPH_PORT ROUTER_PORT: start subgraphs and router, measure, stop.
run() {
  local mode=$1 sport=$2 rport=$3 sub_tls=() bench_tls=() router_env=()
  if [ "$mode" = mtls ]; then
    sub_tls=(--tls-dir "$tmp/pki/product")
    bench_tls=(-tls-dir "$tmp/pki/router")
    router_env=(TLS_DIR="$tmp/pki/router")
  fi
  "$bin/benchsubgraphs" --port "$sport" "${sub_tls[@]}" > "$tmp/subgraphs-$mode.txt" &
  local spid=$!
  for _ in $(seq 50); do grep -q ROUTER_SUBGRAPHS "$tmp/subgraphs-$mode.txt" 2>/dev/null && break; sleep 0.1; done
  local subgraphs products
  subgraphs=$(sed -n 's/^ROUTER_SUBGRAPHS=//p' "$tmp/subgraphs-$mode.txt")
  products=$(tr ',' '\n' <<<"$subgraphs" | sed -n 's/^products=//p')
  env "${router_env[@]}" ROUTER_SUBGRAPHS="$subgraphs" "$bin/router" compose > "$tmp/supergraph-$mode.graphql"
  env "${router_env[@]}" ROUTER_RATE_LIMIT=false ROUTER_ACCESS_LOG=false ROUTER_ADMIN_LISTEN="127.0.0.1:$((rport + 1))" \
    "$bin/router" --supergraph "$tmp/supergraph-$mode.graphql" --listen "127.0.0.1:$rport" 2> "$tmp/router-$mode.log" &
  local rpid=$!
  pids+=("$spid" "$rpid")
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$((rport + 1))/readyz" >/dev/null && break; sleep 0.1; done
  for c in 1 10; do
    for target in "subgraph $products ${bench_tls[*]}" "router http://127.0.0.1:$rport/graphql"; do
      set -- $target
      local what=$1 url=$2; shift 2
      "$bin/routerbench" -url "$url" -c "$c" -d 2s -query "$query" "$@" > /dev/null
      printf '%-5s %-8s c=%-3s ' "$mode" "$what" "$c"
      "$bin/routerbench" -url "$url" -c "$c" -d "$duration" -query "$query" "$@" | tr '\n' ' '
      echo
    done
  done
  kill "$spid" "$rpid" 2>/dev/null || true
  wait "$spid" "$rpid" 2>/dev/null || true
}
run plain "${BENCH_SUBGRAPH_PORT:-4211}" "${BENCH_ROUTER_PORT:-4310}"
run mtls "$(( ${BENCH_SUBGRAPH_PORT:-4211} + 30 ))" "$(( ${BENCH_ROUTER_PORT:-4310} + 30 ))"
