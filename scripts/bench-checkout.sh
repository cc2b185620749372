#!/usr/bin/env bash
# The store's own capacity, measured through the router: checkouts that end
# PAID per second (and the p99 of the whole checkout mutation), browse and
# search requests per second, the memory of every process; anchored by
# pgbench (TPC-B-like) on the same PostgreSQL server in the same run.
#
# It starts a private PostgreSQL (pg_stat_statements loaded, so the queries
# per checkout can be counted; trust auth on loopback), runs pgbench on it,
# then the whole store on it with `bin/devstack` (rate limits off, as every
# load test of one address needs), and drives it with `bin/loadgen`:
#   1. checkouts (and an admin restocking now and then), at each of BENCH_SHOPPERS closed-model shoppers with
#      no think time (cart, add to cart, checkout, wait until paid);
#   2. browse/search/product pages at the last level.
# Per level it prints PAID/s, the checkout mutation's p50/p99, requests/s,
# commits and HTTP requests between services per checkout, and at the end
# the top statements per checkout and the peak memory (PSS) per process.
#
#   scripts/bench-checkout.sh                  # after make build
#   BENCH_SHOPPERS="8 32" BENCH_DURATION=20s scripts/bench-checkout.sh
#   BENCH_PPROF=/tmp/prof scripts/bench-checkout.sh   # + CPU profiles of every service at the last level
#
# The store's ports (4000-4110) must be free: stop `make run` first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BENCH_BIN:-$root/bin}
duration=${BENCH_DURATION:-30s}
warmup=${BENCH_WARMUP:-10s}
shoppers=${BENCH_SHOPPERS:-"8 16 32 64"}
pgbench_clients=${PGBENCH_CLIENTS:-16}
pgbench_scale=${PGBENCH_SCALE:-16}
pg_port=${BENCH_PG_PORT:-5499}
me=$(basename "$0" .sh)
tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()
pgctl=
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -n "$pgctl" ] && $pgctl stop -m fast >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

for port in 4000 4001 4002 4003 4010; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "$me: port $port is taken (a \`make run\`?); the store's ports must be free" >&2
    exit 1
  fi
done

# --- a private PostgreSQL ---------------------------------------------------
pgbin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)")
[ -x "$pgbin/initdb" ] || { echo "$me: no PostgreSQL server binaries (Debian's postgresql package)" >&2; exit 1; }
as_pg=()
if [ "$(id -u)" = 0 ]; then as_pg=(runuser -u postgres --); fi
mkdir -p "$tmp/pg"
[ "$(id -u)" = 0 ] && chown postgres "$tmp/pg"
"${as_pg[@]}" "$pgbin/initdb" -D "$tmp/pg" -U postgres --auth=trust -E UTF8 --no-instructions >/dev/null
pgctl="${as_pg[*]} $pgbin/pg_ctl -D $tmp/pg -w"
$pgctl -l "$tmp/pg/server.log" -o "-c listen_addresses=127.0.0.1 -c port=$pg_port -c unix_socket_directories=$tmp/pg \
  -c max_connections=300 -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all" start >/dev/null
pg_url="postgres://postgres@127.0.0.1:$pg_port/postgres?sslmode=disable"
psql_() { psql -X -q -At -h 127.0.0.1 -p "$pg_port" -U postgres "$@"; }

echo "== pgbench: TPC-B-like, $pgbench_clients clients, scale $pgbench_scale, $duration (PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}'), defaults but max_connections=300)"
psql_ -c "create database pgbench"
pgbench -q -i -s "$pgbench_scale" -h 127.0.0.1 -p "$pg_port" -U postgres pgbench >/dev/null 2>&1
pgbench -n -c "$pgbench_clients" -j 2 -T "${duration%s}" -h 127.0.0.1 -p "$pg_port" -U postgres pgbench > "$tmp/pgbench.txt" 2>&1
pgbench_tps=$(awk '/^tps/ {print int($3); exit}' "$tmp/pgbench.txt")
psql_ -c "drop database pgbench"
echo "pgbench: $pgbench_tps TPS"

# --- the store ----------------------------------------------------------------
# With BENCH_PPROF each service runs through a wrapper that gives it a pprof
# listener of its own (devstack passes one environment to all of them).
services="router user product order paymentgw"
run_bin=$bin
if [ -n "${BENCH_PPROF:-}" ]; then
  run_bin=$tmp/bin
  mkdir -p "$run_bin" "$BENCH_PPROF"
  for f in "$bin"/*; do ln -s "$f" "$run_bin/"; done
  i=0
  for name in $services; do
    var=PPROF_ADDR; [ "$name" = router ] && var=ROUTER_PPROF_ADDR
    rm "$run_bin/$name"
    printf '#!/bin/sh\nexec env %s=127.0.0.1:%d "%s" "$@"\n' "$var" $((6060 + i)) "$bin/$name" > "$run_bin/$name"
    chmod +x "$run_bin/$name"
    i=$((i + 1))
  done
fi
profile() { # profile SECONDS: a CPU profile of every service into $BENCH_PPROF/<name>.pprof
  local i=0 name curls=()
  for name in $services; do
    curl -sf -o "$BENCH_PPROF/$name.pprof" "http://127.0.0.1:$((6060 + i))/debug/pprof/profile?seconds=$1" &
    curls+=("$!")
    i=$((i + 1))
  done
  wait "${curls[@]}" || true
}
mkdir -p "$tmp/run"
(cd "$tmp/run" && exec env ROUTER_RATE_LIMIT=false ROUTER_ACCESS_LOG=false \
  "$run_bin/devstack" -bin "$run_bin" -pki "$tmp/run/pki" -postgres "$pg_url" -prometheus "" > "$tmp/devstack.log" 2>&1) &
devstack_pid=$!
pids+=("$devstack_pid")
for _ in $(seq 600); do
  curl -sf -H 'content-type: application/json' -d '{"query":"{__typename}"}' http://127.0.0.1:4000/graphql >/dev/null 2>&1 && break
  kill -0 "$devstack_pid" 2>/dev/null || { tail -30 "$tmp/devstack.log" >&2; echo "$me: the store did not start" >&2; exit 1; }
  sleep 0.5
done

psql_ -d virtual_store_order -c "create extension if not exists pg_stat_statements"

declare -A pid_of
for name in $services; do
  pid_of[$name]=$(pgrep -f "^$bin/$name( |\$)" | head -1)
done

pss_kb() { # pss_kb PID...: the processes' proportional set size, in kB
  local total=0 p v
  for p in "$@"; do
    v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}
sample_memory() { # every second, each process's PSS, the maximum kept in $tmp/mem.<name>
  for name in "${!pid_of[@]}" postgres; do echo 0 > "$tmp/mem.$name"; done
  while :; do
    for name in "${!pid_of[@]}"; do
      v=$(pss_kb "${pid_of[$name]}"); [ "$v" -gt "$(cat "$tmp/mem.$name")" ] && echo "$v" > "$tmp/mem.$name"
    done
    # shellcheck disable=SC2046
    v=$(pss_kb $(pgrep -u postgres -f "postgres" | tr '\n' ' ')); [ "$v" -gt "$(cat "$tmp/mem.postgres")" ] && echo "$v" > "$tmp/mem.postgres"
    sleep 1
  done
}

cpu_ticks() { # cpu_ticks PID...: user+system CPU time of the processes (and their reaped children), in clock ticks
  local total=0 p
  for p in "$@"; do
    total=$((total + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
cpu_all() { # one line: name=ticks for every process and PostgreSQL's backends together
  local name
  for name in router user product order paymentgw; do
    # shellcheck disable=SC2046
    printf '%s=%s ' "$name" "$(cpu_ticks $(pgrep -f "^$bin/$name( |\$)" | tr '\n' ' '))"
  done
  # shellcheck disable=SC2046
  printf 'postgres=%s\n' "$(cpu_ticks $(pgrep -u postgres -f postgres | tr '\n' ' '))"
}

commits() { psql_ -c "select coalesce(sum(xact_commit),0) from pg_stat_database where datname like 'virtual_store_%'"; }
served() { # the HTTP requests every service has served (its http_requests_total), summed
  local total=0 port v
  for port in 4101 4102 4103 4110; do
    v=$(curl -sf "http://127.0.0.1:$port/metrics" | awk '/^http_requests_total/ {s += $2} END {printf "%d", s}')
    total=$((total + v))
  done
  echo "$total"
}

loadgen() { # loadgen OUT MIX USERS DURATION
  "$bin/loadgen" -url http://127.0.0.1:4000/graphql -mix "$2" -users "$3" -think 0 -duration "$4" \
    -max-error-rate 1 -json > "$1" 2> "$1.log" || true
}

echo "== warm-up: checkouts, 8 shoppers, $warmup"
loadgen "$tmp/warm.json" "*=0,checkout=30,restock=1" 8 "$warmup"

sample_memory &
pids+=("$!")

rows=()
cpu_rows=()
for n in $shoppers; do
  psql_ -d virtual_store_order -c "select pg_stat_statements_reset()" >/dev/null
  c0=$(commits); s0=$(served); cpu0=$(cpu_all)
  "$bin/loadgen" -url http://127.0.0.1:4000/graphql -mix "*=0,checkout=30,restock=1" -users "$n" -think 0 -duration "$duration" \
    -max-error-rate 1 -json > "$tmp/checkout-$n.json" 2> "$tmp/checkout-$n.log" &
  lg=$!
  if [ -n "${BENCH_PPROF:-}" ] && [ "$n" = "${shoppers##* }" ]; then sleep 2; profile $(( ${duration%s} - 4 )); fi
  wait "$lg" || true
  c1=$(commits); s1=$(served)
  cpu1=$(cpu_all)
  checkouts=$(jq '[.operations[] | select(.operation == "Checkout") | .count] | add // 0' "$tmp/checkout-$n.json")
  cpu_rows+=("$(paste <(echo "$cpu0" | tr ' ' '\n') <(echo "$cpu1" | tr ' ' '\n') | awk -v n="$n" -v c="$checkouts" -v hz="$(getconf CLK_TCK)" -F'[=\t]' '
    NF == 4 { d = ($4 - $2) * 1000 / hz; printf "%s%s %.1f", sep, $1, (c > 0 ? d / c : 0); sep = ", " } END { printf "\n" }')")
  rows+=("$(jq -r --arg n "$n" --argjson commits $((c1 - c0)) --argjson served $((s1 - s0)) '
    (.operations | map(select(.operation == "Checkout")) | first) as $c
    | ([.outcomes | to_entries[] | select(.key | test("PAID$")) | .value] | add // 0) as $paid
    | [$n, ($paid / .duration_s * 10 | round / 10), $c.count, ($c.p50_ms | round), ($c.p99_ms | round),
       (.requests_per_second | round), .error_rate * 1000 / 10,
       (if $c.count > 0 then ($commits / $c.count * 10 | round / 10) else "-" end),
       (if $c.count > 0 then ($served / $c.count * 10 | round / 10) else "-" end)] | @tsv' "$tmp/checkout-$n.json")")
  cp "$tmp/checkout-$n.json" "$tmp/last-checkout.json"
  psql_ -d virtual_store_order -c "
    select calls, round(total_exec_time::numeric, 0) as ms, left(regexp_replace(query, '\s+', ' ', 'g'), 110)
    from pg_stat_statements order by calls desc limit 12" > "$tmp/statements-$n.txt"
done

last=${shoppers##* }
echo "== browse, search and product pages, $last shoppers"
loadgen "$tmp/browse.json" "*=0,browse=2,search=1,product=2" "$last" "$duration"

kill "${pids[-1]}" 2>/dev/null || true

echo
echo "pgbench (TPC-B-like, $pgbench_clients clients, same server, same run): $pgbench_tps TPS; goal PAID/s >= $((pgbench_tps / 10))"
echo
{
  printf 'shoppers\tPAID/s\tcheckouts\tcheckout p50 ms\tcheckout p99 ms\treq/s\terrors %%\tcommits/checkout\tHTTP between services/checkout\n'
  printf '%s\n' "${rows[@]}"
} | column -t -s $'\t'
echo
jq -r '"browse/search/product pages: \(.requests_per_second | round) req/s, p50 \(.total.p50_ms) ms, p99 \(.total.p99_ms) ms, errors \(.error_rate * 100)%"' "$tmp/browse.json"
echo
echo "peak memory (PSS) under load:"
total=0
for name in router user product order paymentgw postgres; do
  v=$(cat "$tmp/mem.$name"); total=$((total + v))
  printf '  %-10s %6d MB\n' "$name" $((v / 1024))
done
printf '  %-10s %6d MB\n' "whole" $((total / 1024))
echo
echo "CPU ms per checkout scenario, by process:"
for i in "${!cpu_rows[@]}"; do echo "  $(echo $shoppers | cut -d' ' -f$((i + 1))) shoppers: ${cpu_rows[$i]}"; done
echo
echo "statements at $last shoppers (order database and the others on this server), by calls:"
cat "$tmp/statements-$last.txt"
[ -n "${BENCH_PPROF:-}" ] && echo "CPU profiles in $BENCH_PPROF: go tool pprof -top $BENCH_PPROF/order.pprof"
if [ -n "${BENCH_KEEP:-}" ]; then cp -r "$tmp" "$BENCH_KEEP"; echo "raw files kept in $BENCH_KEEP"; fi
