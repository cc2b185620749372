#!/usr/bin/env bash
# How the router's cost grows: curves, not points. On the gateway
# benchmark's subgraphs (scripts/bench-gateway.sh), each point warmed up for
# BENCH_WARMUP (3s) then measured for BENCH_DURATION (10s) by cmd/routerbench,
# rows appended as measured to three TSV files in BENCH_OUT (docs/bench),
# drawn by cmd/benchplot into PNGs beside them:
#
#   clients.tsv            the benchmark's query and data at 1, 10, 50 and 200
#                          clients (BENCH_CLIENT_COUNTS), for each of BENCH_PEERS
#                          (bench-gateway.sh's: router, router-dedup, hive-dedup,
#                          hive), every client's first answer equal to the
#                          first peer's
#                          → throughput-vs-clients.png, p99-vs-clients.png
#   size.tsv               the router, the benchmark query's topProducts part with
#                          topProducts(first: N) for N in BENCH_FIRSTS, the answer
#                          from ~1 KB to ~1 MB (the subgraphs serve generated
#                          products: benchsubgraphs -generate)
#                          → latency-vs-response-size.png
#   representations.tsv    the router, { topProducts(first: N) { upc inStock } }:
#                          one _entities fetch of N representations to inventory,
#                          N in BENCH_REPRESENTATIONS; and that fetch sent to the
#                          inventory subgraph alone ("subgraph")
#                          → latency-vs-representations.png
#
# The size and representation sweeps run BENCH_SWEEP_CLIENTS (1) clients:
# latency as such, not queueing, and no concurrent identical fetches for the
# router to share (its outbound dedup), so that the subgraph alone is a fair
# baseline. They record the CPU time the router and the subgraphs spent per
# answer: what the router costs, whatever the subgraphs do ("-" where the
# router is not asked).
# Ports: BENCH_ROUTER_PORT (4350, and the next for the router's admin),
# BENCH_SUBGRAPH_PORT (4251 and the three next); BENCH_BIN, HIVE_GATEWAY_DIR
# as in scripts/bench-lib.sh.
set -euo pipefail
. "$(dirname "$0")/bench-lib.sh"
query=${BENCH_QUERY:-$root/bench/gateway-benchmark-query.graphql}
duration=${BENCH_DURATION:-10s}
warmup=${BENCH_WARMUP:-3s}
peers=${BENCH_PEERS:-router router-dedup hive-dedup hive}
client_counts=${BENCH_CLIENT_COUNTS:-1 10 50 200}
sweep_clients=${BENCH_SWEEP_CLIENTS:-1}
firsts=${BENCH_FIRSTS:-1 4 16 64 256 1150}
representations=${BENCH_REPRESENTATIONS:-1 10 100 1000 5000}
out=${BENCH_OUT:-$root/docs/bench}
port=${BENCH_ROUTER_PORT:-4350}
subgraph_port=${BENCH_SUBGRAPH_PORT:-4251}
url=http://127.0.0.1:$port/graphql
for peer in $peers; do
  [[ " $peers_known " == *" $peer "* ]] || { echo "$me: unknown peer $peer" >&2; exit 2; }
done
mkdir -p "$out"
note="# $(date -u +%F), $(nproc) cores, ${duration} per point after ${warmup} warm-up"

cpu_pids=() # processes point reports the CPU time of ("-": none)
cpu_ticks() { # cpu_ticks PID...: user and system CPU ticks of each, one a line
  local p
  for p in "$@"; do if [ "$p" = - ]; then echo -; else awk '{print $14 + $15}' "/proc/$p/stat"; fi; done
}

point() { # point URL CLIENTS QUERY [ROUTERBENCH FLAG...]: warm up, measure; prints rps p50 p99 failures bytes, then each of cpu_pids' CPU ms per answer
  local url=$1 c=$2 q=$3 before after; shift 3
  "$bin/routerbench" -url "$url" -c "$c" -d "$warmup" -query "$q" "$@" > /dev/null
  before=$(cpu_ticks "${cpu_pids[@]}")
  "$bin/routerbench" -url "$url" -c "$c" -d "$duration" -query "$q" -tsv "$@" > "$tmp/point.txt" || return 1
  after=$(cpu_ticks "${cpu_pids[@]}")
  awk -F'\t' -v OFS='\t' -v hz="$(getconf CLK_TCK)" -v before="$before" -v after="$after" '
    /^requests / {split($0, w, " "); n = w[2]}
    /^RESULT/ {out = $2 OFS $3 OFS $4 OFS $5 OFS $6}
    END {
      k = split(before, b, "\n"); split(after, a, "\n")
      for (i = 1; i <= k; i++) out = out OFS (b[i] == "-" ? "-" : sprintf("%.3f", (a[i] - b[i]) * 1000 / hz / n))
      print out
    }' "$tmp/point.txt"
}

row() { # row FILE FIELD...: append one tab-separated row and show it
  local file=$1; shift
  (IFS=$'\t'; echo "$*") | tee -a "$file"
}

# Throughput and p99 against clients: the benchmark itself.
start_subgraphs
printf '%s\npeer\tclients\trps\tp50_ms\tp99_ms\tfailures\tbytes\n' "$note" > "$out/clients.tsv"
for peer in $peers; do
  start_peer "$peer"
  [ -n "$peer_pid" ] || continue
  [ -f "$tmp/reference.json" ] || "$bin/routerbench" -url "$url" -c 1 -d 1s -query "@$query" -save "$tmp/reference.json" > /dev/null
  for c in $client_counts; do
    r=$(point "$url" "$c" "@$query" -expect "$tmp/reference.json")
    row "$out/clients.tsv" "$peer" "$c" "$r"
  done
  stop_pid "$peer_pid"
done
stop_pid "$subgraphs_pid"

# Latency against the answer's size and against representations per fetch:
# the router alone, on as many generated products as the largest N needs.
start_subgraphs -generate "$(printf '%s\n' $firsts $representations | sort -n | tail -1)"
start_router router
# The benchmark query without its users part, topProducts given first: $first.
awk '/^query / {skip = 1; print "query Sized($first: Int) {"; next}
  /^  topProducts \{/ {skip = 0; sub(/topProducts/, "topProducts(first: $first)")}
  !skip' "$query" > "$tmp/size.graphql"
cpu_pids=("$peer_pid" "$subgraphs_pid")
head='rps\tp50_ms\tp99_ms\tfailures\tbytes\trouter_cpu_ms\tsubgraphs_cpu_ms'
printf "%s\npeer\tclients\tfirst\t$head\n" "$note" > "$out/size.tsv"
for n in $firsts; do
  r=$(point "$url" "$sweep_clients" "@$tmp/size.graphql" -variables "{\"first\": $n}")
  row "$out/size.tsv" router "$sweep_clients" "$n" "$r"
done

inventory=$(tr ',' '\n' <<<"$ROUTER_SUBGRAPHS" | sed -n 's/^inventory=//p')
printf "%s\npeer\tclients\trepresentations\t$head\n" "$note" > "$out/representations.tsv"
for n in $representations; do
  cpu_pids=("$peer_pid" "$subgraphs_pid")
  r=$(point "$url" "$sweep_clients" 'query Reps($first: Int) { topProducts(first: $first) { upc inStock } }' -variables "{\"first\": $n}")
  row "$out/representations.tsv" router "$sweep_clients" "$n" "$r"
  # The fetch the router sends, straight to the subgraph.
  seq "$n" | awk 'BEGIN {printf "{\"r\": ["} {printf "%s{\"__typename\": \"Product\", \"upc\": \"%d\"}", (NR > 1 ? ", " : ""), $1} END {print "]}"}' > "$tmp/representations.json"
  cpu_pids=(- "$subgraphs_pid")
  r=$(point "$inventory" "$sweep_clients" 'query Reps($r: [_Any!]!) { _entities(representations: $r) { ... on Product { inStock } } }' -variables "@$tmp/representations.json")
  row "$out/representations.tsv" subgraph "$sweep_clients" "$n" "$r"
done
stop_pid "$peer_pid"

cd "$root" && "${GO:-go}" run ./cmd/benchplot -in "$out" -out "$out"
