#!/usr/bin/env bash
# Builds the Kubernetes binaries `make verify-k8s` needs from the Go module
# proxy (no registry, no binary download): kube-apiserver, pinned in
# tools/k8s/go.mod (its own module: the product's go.mod never carries
# Kubernetes). The binary is cached outside the repository, keyed by the
# pinned versions, so only the first run pays (~20 min and ~3 GB of module
# cache on 2 cores); later runs print the cached path at once.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${VS_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/virtual-store}
key=$(cat "$root/tools/k8s/go.mod" "$root/tools/k8s/go.sum" | sha256sum | cut -c1-16)
out=$cache/k8s-$key
if [ ! -x "$out/kube-apiserver" ]; then
  mkdir -p "$out"
  version=$(sed -n 's/^require k8s.io\/kubernetes \(v[0-9.]*\)$/\1/p' "$root/tools/k8s/go.mod")
  echo "building kube-apiserver $version into $out (first time only; ~20 min cold)" >&2
  (cd "$root/tools/k8s" && CGO_ENABLED=0 go build -trimpath -o "$out/kube-apiserver.tmp" \
    -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(cut -d. -f2 <<<"$version")" \
    k8s.io/kubernetes/cmd/kube-apiserver)
  mv "$out/kube-apiserver.tmp" "$out/kube-apiserver"
fi
echo "$out"
