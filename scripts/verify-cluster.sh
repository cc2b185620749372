#!/usr/bin/env bash
# make verify-cluster: the dev overlay on the real cluster of `make
# cluster-up`, and the store working through it.
#
#   1. `kubectl apply -k kustomize/overlays/dev` (certificates from
#      `make k8s-dev-certs` first), Grafana scaled to zero (no Grafana server
#      can be built here), every other Deployment and StatefulSet rolled out,
#      every PersistentVolumeClaim bound;
#   2. the shopper journey (scripts/smoke-journey.sh: register, sign in,
#      browse, cart, checkout, PAID, my orders) through
#      `kubectl port-forward svc/router`;
#   3. Prometheus in the cluster (through its own port-forward) scrapes every
#      target, and each of the five services has one that is up;
#   4. under load (bin/loadgen through the router's Service, 2 routers and 2
#      product replicas), a product pod and a router pod are deleted; the
#      journey runs again meanwhile, and the load's error rate must stay
#      under VERIFY_MAX_ERROR_RATE (default 0.01);
#   5. NetworkPolicy is enforced: from inside a router pod (an ephemeral
#      busybox container, which shares the pod's network), the product
#      service answers and the payment gateway, the order database and
#      MongoDB do not, while each answers the pod the policies let through
#      (order, order, user).
#
# Environment: VERIFY_LOAD (default 60s) how long the load runs,
# VERIFY_USERS (default 8) shoppers.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${VS_CLUSTER_DIR:-/var/lib/virtual-store-cluster}
export KUBECONFIG=$dir/kubeconfig/admin.conf
ns=virtual-store
load=${VERIFY_LOAD:-60s}
users=${VERIFY_USERS:-8}
max_error_rate=${VERIFY_MAX_ERROR_RATE:-0.01}
busybox=localhost/virtual-store-cluster/busybox:1

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'verify-cluster: FAIL: %s\n' "$*" >&2; exit 1; }
k() { kubectl -n "$ns" "$@"; }
# live_pod APP: a pod of APP that runs and is not being deleted.
live_pod() {
  local names
  names=$(k get pods -l "app.kubernetes.io/name=$1" --field-selector status.phase=Running \
    -o go-template='{{range .items}}{{if not .metadata.deletionTimestamp}}{{.metadata.name}}{{"\n"}}{{end}}{{end}}')
  echo "${names%%$'\n'*}" # the first (no head: under pipefail its early exit can fail the pipe)
}
[ -f "$KUBECONFIG" ] || fail "no cluster ($KUBECONFIG missing): make cluster-up first"
kubectl get --raw /readyz > /dev/null || fail "the cluster's API server does not answer: make cluster-up"

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# port_forward SERVICE LOCAL REMOTE: a port-forward in the background, ready.
port_forward() {
  kubectl -n "$ns" port-forward "svc/$1" "$2:$3" > "$work/pf-$1.log" 2>&1 & # not k: $! must be kubectl
  pids+=($!)
  for _ in $(seq 60); do
    grep -q "Forwarding from" "$work/pf-$1.log" && return 0
    sleep 0.5
  done
  cat "$work/pf-$1.log" >&2
  fail "port-forward to svc/$1"
}

rollout() {
  local what
  for what in $(k get deploy,statefulset -o name); do
    [ "$what" = deployment.apps/grafana ] && continue
    k rollout status "$what" --timeout "${1:-600s}" > /dev/null || {
      k get pods -o wide >&2
      k describe "$what" | tail -20 >&2
      fail "$what did not roll out"
    }
  done
}

start=$SECONDS
step "kubectl apply -k kustomize/overlays/dev"
[ -f "$root/kustomize/overlays/dev/pki/router/tls.crt" ] || make -C "$root" --no-print-directory k8s-dev-certs
kubectl apply -k "$root/kustomize/overlays/dev" | sed 's/^/   /'
# No Grafana server can be built on this machine (FACTS: not in Debian, npm
# or the module proxy), so there is no image for it: the one component the
# cluster check runs without.
k scale deploy/grafana --replicas 0 > /dev/null
echo "   grafana: scaled to 0 (no image can be built here); every other workload must roll out"

step "every Deployment and StatefulSet ready"
rollout 900s
k get deploy,statefulset | sed 's/^/   /'
pending=$(k get pvc -o jsonpath='{range .items[?(@.status.phase!="Bound")]}{.metadata.name} {end}')
[ -z "$pending" ] || fail "claims not bound: $pending"
echo "   claims bound: $(k get pvc -o name | wc -l)"
echo "   ready after $((SECONDS - start)) s"

step "the shopper journey through kubectl port-forward svc/router"
port_forward router 14000 4000
"$root/scripts/smoke-journey.sh" http://127.0.0.1:14000 2>&1 | sed 's/^/   /'

step "Prometheus in the cluster scrapes every target"
port_forward prometheus 19090 9090
targets_ok=
for _ in $(seq 90); do
  curl -fsS http://127.0.0.1:19090/api/v1/targets?state=active > "$work/targets.json" 2> /dev/null || true
  if python3 - "$work/targets.json" > "$work/targets.txt" 2>&1 << 'PY'; then targets_ok=1; break; fi
import json, sys
try:
    targets = json.load(open(sys.argv[1]))["data"]["activeTargets"]
except Exception as e:
    print("no answer yet:", e); sys.exit(1)
up = {}
for t in targets:
    name = t["labels"].get("app_kubernetes_io_name") or t["labels"].get("service") or t["labels"].get("job")
    print(f'   {t["health"]:8} {t["labels"].get("job", ""):28} {t["scrapeUrl"]}  {t.get("lastError", "")}')
    up.setdefault(name, []).append(t["health"])
missing = [s for s in ("router", "user", "product", "order", "paymentgw") if "up" not in up.get(s, [])]
down = [t["scrapeUrl"] for t in targets if t["health"] != "up"]
if missing or down:
    print("   not yet: services without an up target:", missing, "targets not up:", down)
    sys.exit(1)
PY
  sleep 2
done
cat "$work/targets.txt"
[ -n "$targets_ok" ] || fail "Prometheus does not scrape every target"

step "pods deleted under load: $users shoppers for $load through the router's Service"
k scale deploy/router deploy/product --replicas 2 > /dev/null
rollout 300s
router_ip=$(k get svc router -o jsonpath='{.spec.clusterIP}')
"$root/bin/loadgen" -url "http://$router_ip:4000/graphql" -users "$users" -duration "$load" -json \
  -max-error-rate "$max_error_rate" > "$work/load.json" 2> "$work/load.txt" &
loadgen=$!
pids+=("$loadgen")
sleep 15
victim=$(live_pod product)
echo "   deleting pod/$victim"
k delete pod "$victim" --wait=false > /dev/null
sleep 10
victim=$(live_pod router)
echo "   deleting pod/$victim"
k delete pod "$victim" --wait=false > /dev/null
echo "   the journey meanwhile, through the Service ($router_ip:4000):"
"$root/scripts/smoke-journey.sh" "http://$router_ip:4000" 2>&1 | sed 's/^/     /'
wait "$loadgen" || true # its verdict is the error-rate gate below
rollout 300s
python3 - "$work/load.json" "$max_error_rate" << 'PY'
import json, sys
s = json.load(open(sys.argv[1]))
rate, limit = s["error_rate"], float(sys.argv[2])
print(f'   {s["requests"]} requests, {s["errors"]} errors ({rate:.2%}), {s["requests_per_second"]:.0f} req/s, outcomes {s["outcomes"]}')
for op, samples in (s.get("error_samples") or {}).items():
    print(f'   errors in {op}: {samples[:3]}')
if rate > limit:
    sys.exit(f"verify-cluster: FAIL: error rate {rate:.2%} above {limit:.2%} while pods were replaced")
if not any(k.startswith("Checkout") and k.endswith(" PAID") for k in s["outcomes"]):
    sys.exit("verify-cluster: FAIL: no checkout was PAID under load")
PY
k scale deploy/router deploy/product --replicas 1 > /dev/null
rollout 300s

step "NetworkPolicy enforced (from inside the pods: each closed path beside its open control)"
# probe APP HOST PORT: "open" or "closed", from a new ephemeral container in
# a pod of APP (not attached: its log is read once it has ended). The
# container shares the pod's network namespace, so the pod's policies apply.
probe() {
  local c=np-$RANDOM$RANDOM state= pod
  pod=$(live_pod "$1")
  shift
  k debug "pod/$pod" -q --image "$busybox" --profile restricted --container "$c" -- \
    sh -c "nc -w 3 $1 $2 -e true 2>/dev/null && echo open || echo closed" > /dev/null
  for _ in $(seq 60); do
    state=$(k get pod "$pod" -o jsonpath="{.status.ephemeralContainerStatuses[?(@.name=='$c')].state.terminated.reason}")
    [ -n "$state" ] && break
    sleep 0.5
  done
  { k logs "$pod" -c "$c" || true; } | tail -1
}
verdicts=()
# Each closed path has its control: the same name and port answer from the
# pod the policies let through.
for check in "router product 4002 open" "router paymentgw 4010 closed" "order paymentgw 4010 open" \
  "router postgres-order 5432 closed" "order postgres-order 5432 open" \
  "router mongodb 27017 closed" "user mongodb 27017 open"; do
  read -r app host port want <<< "$check"
  got=$(probe "$app" "$host" "$port")
  printf '   %-6s -> %-15s %-5s %-6s (want %s)\n' "$app" "$host" "$port" "$got" "$want"
  [ "$got" = "$want" ] || verdicts+=("$app -> $host:$port is ${got:-unknown}, want $want")
done
[ ${#verdicts[@]} = 0 ] || fail "${verdicts[*]}"

step "verify-cluster passed in $((SECONDS - start)) s"
