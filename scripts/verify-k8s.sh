#!/usr/bin/env bash
# make verify-k8s: a real API server judges the manifests. Starts etcd
# (Debian's etcd-server) and kube-apiserver (built from the Go module proxy by
# scripts/k8s-tools.sh, cached outside the repository) on loopback, installs
# cert-manager's CRDs (from its Go module, pinned below), then runs
# `kubectl apply --dry-run=server -k` on both overlays: any object the API
# server rejects (schema, validation, admission) fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
certmanager=v1.16.2
etcd_port=${VERIFY_ETCD_PORT:-12379}
api_port=${VERIFY_APISERVER_PORT:-16443}

. "$root/scripts/debian.sh"
need_debian etcd:etcd-server openssl:openssl
apiserver=$("$root/scripts/k8s-tools.sh")/kube-apiserver

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

etcd --data-dir "$tmp/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
  --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
  > "$tmp/etcd.log" 2>&1 &
pids+=($!)

openssl genrsa -out "$tmp/sa.key" 2048 2> /dev/null
token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$token,admin,admin,system:masters" > "$tmp/tokens.csv"
"$apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" --bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
  --secure-port "$api_port" --cert-dir "$tmp/certs" --token-auth-file "$tmp/tokens.csv" \
  --authorization-mode RBAC --service-cluster-ip-range 10.96.0.0/16 \
  --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$tmp/sa.key" \
  --service-account-signing-key-file "$tmp/sa.key" > "$tmp/apiserver.log" 2>&1 &
pids+=($!)

export KUBECONFIG=$tmp/kubeconfig
kubectl config set-cluster verify --server "https://127.0.0.1:$api_port" --insecure-skip-tls-verify=true > /dev/null
kubectl config set-credentials admin --token "$token" > /dev/null
kubectl config set-context verify --cluster verify --user admin > /dev/null
kubectl config use-context verify > /dev/null
for i in $(seq 120); do
  kubectl get --raw /readyz --request-timeout 2s > /dev/null 2>&1 && break
  if [ "$i" = 120 ]; then echo "kube-apiserver did not become ready:" >&2; tail -20 "$tmp/apiserver.log" >&2; exit 1; fi
  sleep 0.5
done
echo "== kube-apiserver $(kubectl version -o json 2>/dev/null | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -1) ready on 127.0.0.1:$api_port"

# cert-manager's own CRDs (the prod overlay's Certificates and Issuer),
# from its Go module; the Helm template lines are dropped.
crds=$(go mod download -json "github.com/cert-manager/cert-manager@$certmanager" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
for f in issuers clusterissuers certificates; do
  sed "/'{{/d" "$crds/deploy/crds/crd-$f.yaml" | kubectl apply -f - > /dev/null
done
kubectl wait --for condition=established --timeout 60s crd/certificates.cert-manager.io crd/issuers.cert-manager.io > /dev/null

# The dev overlay reads its certificates from kustomize/overlays/dev/pki.
[ -d "$root/kustomize/overlays/dev/pki/router" ] || "$root/bin/router" pki init --dir "$root/kustomize/overlays/dev/pki" --namespace virtual-store > /dev/null
kubectl create namespace virtual-store --save-config > /dev/null
status=0
for overlay in dev prod; do
  echo "== kubectl apply --dry-run=server -k kustomize/overlays/$overlay"
  if ! out=$(kubectl apply --dry-run=server -k "$root/kustomize/overlays/$overlay" 2>&1); then
    status=1
  fi
  echo "$out" | sed 's/^/   /'
  if grep -qiE "^(error|warning)" <<<"$out"; then status=1; fi
done
[ "$status" = 0 ] && echo "== both overlays accepted by the API server" || echo "== rejected (see above)" >&2
exit "$status"
