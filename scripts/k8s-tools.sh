#!/usr/bin/env bash
# Builds Kubernetes binaries from the Go module proxy (no registry, no binary
# download), pinned in tools/k8s/go.mod (its own module: the product's go.mod
# never carries Kubernetes), and prints the directory that holds them.
#
#   scripts/k8s-tools.sh                      kube-apiserver (make verify-k8s)
#   scripts/k8s-tools.sh kubelet kube-proxy   the ones named
#   scripts/k8s-tools.sh cluster              everything `make cluster-up` runs
#   scripts/k8s-tools.sh --cached cluster     fails unless all of it is built
#
# The binaries are cached outside the repository, keyed by the pinned
# versions, so only the first run pays; later runs print the cached path at
# once. Measured cold on 2 cores (2026-12-02): kube-apiserver 7 min with an
# empty module cache (~3 GB), the other five Kubernetes binaries 3.5 min
# together; Prometheus 6.5, CoreDNS 4.5, kube-router 3, FerretDB 1.5 min.
set -euo pipefail
export GOTOOLCHAIN=auto
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${VS_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/virtual-store}
key=$( (cat "$root/tools/k8s/go.mod" "$root/tools/k8s/go.sum"; grep -E '^  \[[a-z-]+\]=' "$0") | sha256sum | cut -c1-16)
out=$cache/k8s-$key
version=$(sed -n 's/^require k8s.io\/kubernetes \(v[0-9.]*\)$/\1/p' "$root/tools/k8s/go.mod")
[ -n "$version" ] || version=$(sed -n 's/^\tk8s.io\/kubernetes \(v[0-9.]*\)$/\1/p' "$root/tools/k8s/go.mod")

# --cached: build nothing; fail unless every binary named is in the cache.
cached_only=
[ "${1:-}" = --cached ] && { cached_only=1; shift; }

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(kube-apiserver)
if [ "${names[0]}" = cluster ]; then
  names=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubeadm local-path-provisioner coredns kube-router ferretdb prometheus)
fi

# The cluster's other parts, each built inside its own Go module at a pinned
# version, with that module's go.mod, go.sum and replace directives (what
# `go install` cannot do for Prometheus). Prometheus is built without its web
# UI's assets (the API and /metrics are whole).
declare -A modules=(
  [coredns]="github.com/coredns/coredns@v1.15.0 ."
  [kube-router]="github.com/cloudnativelabs/kube-router/v2@v2.1.0 ./cmd/kube-router"
  [ferretdb]="github.com/FerretDB/FerretDB@v1.24.2 ./cmd/ferretdb"
  [prometheus]="github.com/prometheus/prometheus@v0.55.1 ./cmd/prometheus"
)

mkdir -p "$out"
for name in "${names[@]}"; do
  [ -x "$out/$name" ] && continue
  [ -z "$cached_only" ] || { echo "$name is not built yet ($out)" >&2; exit 1; }
  if [ -n "${modules[$name]:-}" ]; then
    read -r mod pkg <<<"${modules[$name]}"
    echo "building $name from $mod into $out (first time only)" >&2
    start=$(date +%s)
    src=$(go mod download -json "$mod" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
    if [ "$name" = ferretdb ]; then
      # FerretDB embeds build/version/version.txt, which its release
      # tooling writes and the module zip lacks: a writable copy gets it.
      tmp=$(mktemp -d)
      cp -r "$src/." "$tmp/"
      chmod -R u+w "$tmp"
      echo "${mod#*@}" > "$tmp/build/version/version.txt"
      src=$tmp
    fi
    (cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/$name.tmp" "$pkg")
    [ "$name" != ferretdb ] || rm -rf "$src"
    mv "$out/$name.tmp" "$out/$name"
    echo "built $name in $(( $(date +%s) - start )) s" >&2
    continue
  fi
  case $name in
    local-path-provisioner) pkg=./localpath ;; # ours: tools/k8s/localpath
    *) pkg=k8s.io/kubernetes/cmd/$name ;;
  esac
  echo "building $name $version into $out (first time only)" >&2
  start=$(date +%s)
  (cd "$root/tools/k8s" && CGO_ENABLED=0 go build -trimpath -o "$out/$name.tmp" \
    -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(cut -d. -f2 <<<"$version")" \
    "$pkg")
  mv "$out/$name.tmp" "$out/$name"
  echo "built $name in $(( $(date +%s) - start )) s" >&2
done
echo "$out"
