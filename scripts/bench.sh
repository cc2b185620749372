#!/usr/bin/env bash
# make bench: every performance figure of the README in one run, then one
# table of them with the goals. It runs, one after the other (never two at
# once: they share the machine):
#   scripts/bench-gateway.sh   the public gateway benchmark, our router and
#                              Hive Gateway side by side, dedup on and off
#   scripts/bench-overhead.sh  the router's own latency at 1 client, plain
#                              and mutual TLS
#   scripts/bench-checkout.sh  the store's capacity: PAID checkouts/s against
#                              pgbench, browse/search req/s, memory
# and, with BENCH_CURVES=1, scripts/bench-curves.sh (the PNGs of docs/bench).
# Each one's full output is printed as it runs and kept in BENCH_OUT (a
# temporary directory by default). The Go micro-benchmarks are
# `make bench-go`. Stop `make run` first: the checkout benchmark runs its
# own store.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${BENCH_OUT:-$(mktemp -d)}
mkdir -p "$out"

run() { # run NAME SCRIPT: run it, its output shown and kept
  echo "=== $1"
  "$root/scripts/$2" 2>&1 | tee "$out/$1.txt"
}
run gateway bench-gateway.sh
run overhead bench-overhead.sh
run checkout bench-checkout.sh
if [ -n "${BENCH_CURVES:-}" ]; then run curves bench-curves.sh; fi

# --- the table ------------------------------------------------------------------
row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4"; }
verdict() { awk -v v="$1" -v g="$2" -v dir="$3" 'BEGIN { if (v == "" || v == "-") print "not measured"; else if ((dir == ">=" && v + 0 >= g + 0) || (dir == "<" && v + 0 < g + 0)) print "met"; else print "NOT met" }'; }
gw() { awk -v p="$1" -v f="$2" '$1 == p && NF >= 7 && $2 ~ /^[0-9]+$/ {print $f}' "$out/gateway.txt"; }
ratio() { awk -v a="$(gw "$1" 2)" -v b="$(gw "$2" 2)" 'BEGIN { if (a && b) printf "%.1f", a / b; else print "-" }'; }
# bench-overhead: the router's p50/p99 minus the subgraph's alone, at 1 client.
overhead() { # overhead MODE FIELD(p50|p99)
  awk -v mode="$1" -v f="$2" '
    function ms(s) { if (s ~ /µs$/) return s / 1000; if (s ~ /ms$/) return s + 0; if (s ~ /s$/) return s * 1000; return s + 0 }
    $1 == mode && $3 == "c=1" { for (i = 4; i <= NF; i++) if ($i == f) v[$2] = ms($(i + 1)) }
    END { if (("router" in v) && ("subgraph" in v)) printf "%.2f", v["router"] - v["subgraph"]; else print "-" }' "$out/overhead.txt"
}
pgbench=$(awk '/^pgbench: [0-9]+ TPS/ {print $2}' "$out/checkout.txt")
# The best level whose checkout p99 is under 250 ms.
paid=$(awk '/^shoppers +PAID/ {t = 1; next} t && NF == 0 {t = 0} t && $5 + 0 < 250 && $2 + 0 > best {best = $2; at = $1} END {if (best) printf "%s (at %s shoppers)", best, at}' "$out/checkout.txt")
browse=$(awk -F'[: ]+' '/^browse\/search\/product pages/ {print $3 " (p99 " $9 " ms)"}' "$out/checkout.txt")
whole=$(awk '$1 == "whole" {print $2}' "$out/checkout.txt")
routerRSS=$(gw router 5)

echo
echo "=== virtual-store performance, $(date -u +%F), $(nproc) cores (full outputs in $out)"
echo
row measure value goal verdict
row --- --- --- ---
row "gateway benchmark, router (inbound dedup off), req/s" "$(gw router 2) (p99 $(gw router 4) ms)" "" ""
row "gateway benchmark, router with ROUTER_DEDUP_INBOUND, req/s" "$(gw router-dedup 2) (p99 $(gw router-dedup 4) ms)" "" ""
row "Hive Gateway, its benchmark configuration (dedup on), req/s" "$(gw hive-dedup 2) (p99 $(gw hive-dedup 4) ms)" "" ""
row "Hive Gateway, dedup off, req/s" "$(gw hive 2) (p99 $(gw hive 4) ms)" "" ""
r=$(ratio router-dedup hive-dedup); row "dedup on in both: router / Hive Gateway" "${r}×" "≥ 3×" "$(verdict "$r" 3 ">=")"
r=$(ratio router hive); row "dedup off in both: router / Hive Gateway" "${r}×" "≥ 15×" "$(verdict "$r" 15 ">=")"
row "router peak RSS under the benchmark (defaults)" "$routerRSS MB" "< 60 MB" "$(verdict "$routerRSS" 60 "<")"
for mode in plain mtls; do
  o=$(overhead $mode p99)
  row "router overhead at 1 client ($mode), p50 / p99" "+$(overhead $mode p50) / +$o ms" "p99 < 1 ms" "$(verdict "$o" 1 "<")"
done
row "pgbench, TPC-B-like, 16 clients (same server, same run)" "$pgbench TPS" "" ""
p=${paid%% *}; row "checkouts PAID/s, checkout p99 < 250 ms" "${paid:--}" "≥ $((${pgbench:-0} / 10)) (pgbench/10)" "$(verdict "$p" $((${pgbench:-0} / 10)) ">=")"
row "browse, search and product pages, req/s" "${browse:--}" "" ""
row "whole stack peak memory (PSS) under checkout load" "${whole:--} MB" "< 1024 MB" "$(verdict "$whole" 1024 "<")"
