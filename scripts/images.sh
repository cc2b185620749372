#!/usr/bin/env bash
# make images: builds every Dockerfile target with podman, as
# virtual-store/<name>:<tag> (tag: IMAGE_TAG, default "dev").
#
# This machine reaches no container registry and runs no Docker engine, so
# the build stage's Go image is made locally when it is missing (golang:<version>): the
# machine's own Go toolchain, a static busybox for the RUN steps, the CA
# certificates — nothing downloaded. Modules come from the host's module
# cache (a file:// proxy, read-only), falling back to the Go module proxy.
set -euo pipefail
export GOTOOLCHAIN=auto # go.mod's toolchain line (see the Makefile), also when run directly
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/podman-env.sh"
tag=${IMAGE_TAG:-dev}
targets=${IMAGE_TARGETS:-router user product order paymentgw}
version=$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)

# The base is tagged with the exact Go version (go.mod's toolchain, which the
# Makefile's GOTOOLCHAIN=auto fetches when the machine's Go is older), so a
# patch release of Go makes a new base and images carry its fixes.
gover=$(go env GOVERSION)
base=localhost/golang:${gover#go}
if ! podman image exists "$base"; then
  goroot=$(go env GOROOT)
  echo "== making a local $base base image from $goroot"
  rootfs=$(mktemp -d)
  trap 'chmod -R u+w "$rootfs"; rm -rf "$rootfs"' EXIT # the module cache's toolchain is read-only
  mkdir -p "$rootfs"/{bin,usr/local,etc/ssl/certs,tmp,root,go}
  chmod 1777 "$rootfs/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in sh mkdir cp echo chmod cat ls rm mv ln env true; do ln -s busybox "$rootfs/bin/$applet"; done
  cp -a "$goroot" "$rootfs/usr/local/go"
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
  echo 'root:x:0:0:root:/root:/bin/sh' > "$rootfs/etc/passwd"
  echo 'root:x:0:' > "$rootfs/etc/group"
  ctr=$(buildah from scratch)
  buildah copy --quiet "$ctr" "$rootfs/" / > /dev/null
  buildah config --env PATH=/go/bin:/usr/local/go/bin:/bin --env GOROOT=/usr/local/go --env GOPATH=/go --env GOTOOLCHAIN=local \
    --workingdir /go --label org.opencontainers.image.description="$base made locally from the host's Go toolchain" "$ctr"
  buildah commit --quiet "$ctr" "$base" > /dev/null
  buildah rm "$ctr" > /dev/null
fi

modcache=$(go env GOMODCACHE)/cache/download
for t in $targets; do
  echo "== virtual-store/$t:$tag"
  podman build --quiet --pull=never --layers --target "$t" -t "virtual-store/$t:$tag" \
    --build-arg VERSION="$version" --build-arg GO_IMAGE="$base" \
    --build-arg TARGETOS="$(go env GOOS)" --build-arg TARGETARCH="$(go env GOARCH)" \
    --build-arg GOPROXY="file:///hostproxy|https://proxy.golang.org" \
    --volume "$modcache:/hostproxy:ro" "$root" > /dev/null
  printf '   %s MB\n' "$(( $(podman image inspect --format '{{.Size}}' "virtual-store/$t:$tag") / 1000000 ))"
done
