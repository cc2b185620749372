#!/usr/bin/env bash
# Puts every image the dev overlay and the cluster's add-ons run into the test
# cluster's containerd (scripts/cluster.sh up calls it):
#
#   scripts/cluster-images.sh CONTAINERD_SOCKET TOOLS_DIR
#
# - ours, virtual-store/<name>:dev, from podman's store (`make images`);
# - the cluster's own: a pause image and a busybox (both Debian's static
#   busybox), CoreDNS (the binary scripts/k8s-tools.sh built);
# - TEST-ONLY STAND-INS for the public images the dev overlay names, which no
#   registry can serve here, under those same names so the overlay runs
#   unchanged. The overlays keep the real images; these exist only inside
#   this cluster's containerd:
#     postgres:16.6            Debian's PostgreSQL 15 (the host's packages, with
#                              their libraries) and an entrypoint that does
#                              what the official one does with POSTGRES_USER,
#                              POSTGRES_PASSWORD, POSTGRES_DB and PGDATA;
#     mongo:7.0                FerretDB 1.24 over SQLite with SCRAM users (the
#                              root user from MONGO_INITDB_ROOT_*), and a
#                              `mongosh` that answers the probes' ping only
#                              (e2e/standin/mongosh);
#     redis:7.4                Debian's redis-server and redis-cli (7.0);
#     prom/prometheus:v2.55.1  Prometheus v2.55.1 built from its Go module
#                              (Debian's 2.42 lacks Kubernetes discovery),
#                              without the web UI's assets.
#   Grafana has no stand-in: its server cannot be built here.
set -euo pipefail
export GOTOOLCHAIN=auto
# The images' files must be readable by their non-root users, whatever
# umask the caller has (scripts/cluster.sh keeps its own state at 077).
umask 022
root=$(cd "$(dirname "$0")/.." && pwd)
sock=$1
tools=$2
. "$root/scripts/podman-env.sh"
ctr() { command ctr --address "$sock" --namespace k8s.io "$@"; }

key=$( (cat "$0" "$root"/e2e/standin/mongosh/*.go; sha256sum "$tools"/coredns "$tools"/ferretdb "$tools"/prometheus 2> /dev/null || true) | sha256sum | cut -c1-12)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# rootfs DIR: an empty root with a static busybox and the usual applets.
rootfs() {
  local d=$work/$1
  mkdir -p "$d"/{bin,etc,tmp,usr/bin,usr/local/bin}
  chmod 1777 "$d/tmp"
  cp /bin/busybox "$d/bin/busybox"
  for a in sh cat echo mkdir chmod rm ls sleep nc wget env printf id true false grep sed mktemp; do ln -sf busybox "$d/bin/$a"; done
  echo "$d"
}

# with_libs DIR FILE...: copies FILEs into DIR at the same paths, with the
# shared libraries each one loads (ldd), so Debian's binaries run as they do
# on the host.
with_libs() {
  local d=$1
  shift
  for f in "$@"; do
    put "$d" "$f"
    { ldd "$f" 2> /dev/null || true; } | { grep -oE '/[^ ]+' || true; } | while read -r lib; do
      [ -e "$d$lib" ] || put "$d" "$lib"
    done
  done
}

# put DIR PATH: copies PATH (a file or a tree, symlinks followed at the top)
# to DIR/PATH.
put() {
  mkdir -p "$1$(dirname "$2")"
  cp -RL "$2" "$1$2"
}

# image NAME DIR BUILDAH-CONFIG-ARGS...: commits DIR as podman image NAME.
image() {
  local name=$1 d=$2 c
  shift 2
  c=$(buildah from scratch)
  buildah copy --quiet "$c" "$d/" / > /dev/null
  buildah config "$@" "$c"
  buildah commit --quiet "$c" "$name" > /dev/null
  buildah rm "$c" > /dev/null
}

users() { # DIR UID NAME: /etc/passwd and /etc/group with root and NAME
  printf 'root:x:0:0:root:/root:/bin/sh\n%s:x:%s:%s:%s:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' "$3" "$2" "$2" "$3" > "$1/etc/passwd"
  printf 'root:x:0:\n%s:x:%s:\nnogroup:x:65534:\n' "$3" "$2" > "$1/etc/group"
}

build_pause() {
  local d
  d=$(rootfs pause)
  image "$1" "$d" --entrypoint '["/bin/busybox","sleep","2147483647"]' --stop-signal KILL
}

build_busybox() {
  local d
  d=$(rootfs busybox)
  users "$d" 65534 nobody
  image "$1" "$d" --entrypoint '["/bin/sh"]' --user 65534
}

build_coredns() {
  local d=$work/coredns
  mkdir -p "$d/etc"
  cp "$tools/coredns" "$d/coredns"
  users "$d" 65534 nobody
  image "$1" "$d" --entrypoint '["/coredns"]'
}

build_postgres() {
  local d pg=/usr/lib/postgresql/15
  [ -x "$pg/bin/postgres" ] || { echo "cluster-images: $pg/bin/postgres missing (Debian postgresql-15)" >&2; exit 1; }
  d=$(rootfs postgres)
  with_libs "$d" "$pg"/bin/* "$pg"/lib/*.so
  put "$d" /usr/share/postgresql/15
  put "$d" /usr/share/zoneinfo
  mkdir -p "$d/var/run/postgresql" "$d/var/lib/postgresql/data"
  users "$d" 999 postgres
  cat > "$d/usr/local/bin/docker-entrypoint.sh" << 'EOF'
#!/bin/sh
# Test-only stand-in for the official image's entrypoint: initialise PGDATA
# once with POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB, then serve.
set -eu
PGDATA=${PGDATA:-/var/lib/postgresql/data}
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
[ "${1:-postgres}" = postgres ] && [ $# -gt 0 ] && shift
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  pw=$(mktemp)
  printf '%s\n' "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}" > "$pw"
  initdb -D "$PGDATA" -U "$user" --pwfile="$pw" --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C > /dev/null
  rm -f "$pw"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=/var/run/postgresql" -w start > /dev/null
  if [ "$db" != postgres ]; then
    psql -v ON_ERROR_STOP=1 -h /var/run/postgresql -U "$user" -d postgres -q -c "CREATE DATABASE \"$db\""
  fi
  pg_ctl -D "$PGDATA" -m fast -w stop > /dev/null
  echo "initialised $PGDATA (user $user, database $db)"
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/var/run/postgresql "$@"
EOF
  chmod 755 "$d/usr/local/bin/docker-entrypoint.sh"
  image "$1" "$d" --entrypoint '["/usr/local/bin/docker-entrypoint.sh"]' --cmd postgres \
    --env PATH=$pg/bin:/usr/local/bin:/bin --env PGDATA=/var/lib/postgresql/data --user 999 --stop-signal INT
}

build_mongo() {
  local d
  d=$(rootfs mongo)
  cp "$tools/ferretdb" "$d/usr/local/bin/ferretdb"
  (cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$d/usr/bin/mongosh" ./e2e/standin/mongosh)
  mkdir -p "$d/data/db" "$d/data/configdb"
  users "$d" 999 mongodb
  cat > "$d/usr/local/bin/docker-entrypoint.sh" << 'EOF'
#!/bin/sh
# Test-only stand-in for the mongo image: FerretDB over SQLite in /data/db,
# with SCRAM authentication and the root user from MONGO_INITDB_ROOT_*.
# mongod's own flags (--bind_ip_all, --wiredTigerCacheSizeGB) mean nothing
# to FerretDB and are ignored.
set -eu
exec ferretdb --handler=sqlite --sqlite-url=file:/data/db/ --state-dir=/data/db \
  --listen-addr=:27017 --debug-addr=127.0.0.1:8088 --telemetry=disable --log-level=warn \
  --test-enable-new-auth --setup-database=admin \
  --setup-username="${MONGO_INITDB_ROOT_USERNAME:?}" --setup-password="${MONGO_INITDB_ROOT_PASSWORD:?}"
EOF
  chmod 755 "$d/usr/local/bin/docker-entrypoint.sh"
  image "$1" "$d" --entrypoint '["/usr/local/bin/docker-entrypoint.sh"]' --cmd mongod \
    --env PATH=/usr/local/bin:/usr/bin:/bin --user 999
}

build_redis() {
  local d
  d=$(rootfs redis)
  with_libs "$d" /usr/bin/redis-server /usr/bin/redis-cli
  mkdir -p "$d/data"
  users "$d" 999 redis
  # The official image builds Redis with protected mode off (a container's
  # clients are never on its loopback); Debian's binary needs the flag.
  printf '#!/bin/sh\nexec /usr/bin/redis-server "$@" --protected-mode no\n' > "$d/usr/local/bin/redis-server"
  chmod 755 "$d/usr/local/bin/redis-server"
  image "$1" "$d" --cmd redis-server --env PATH=/usr/local/bin:/usr/bin:/bin --workingdir /data --user 999
}

build_prometheus() {
  local d
  d=$(rootfs prometheus)
  cp "$tools/prometheus" "$d/bin/prometheus"
  mkdir -p "$d/prometheus" "$d/etc/prometheus"
  users "$d" 65534 nobody
  image "$1" "$d" --entrypoint '["/bin/prometheus"]' --workingdir /prometheus --user 65534
}

need_debian redis-server:redis-server

# podman name (built here when missing) -> the name pods use.
declare -A images=(
  [pause]=localhost/virtual-store-cluster/pause:1
  [busybox]=localhost/virtual-store-cluster/busybox:1
  [coredns]=localhost/virtual-store-cluster/coredns:v1.15.0
  [postgres]=docker.io/library/postgres:16.6
  [mongo]=docker.io/library/mongo:7.0
  [redis]=docker.io/library/redis:7.4
  [prometheus]=docker.io/prom/prometheus:v2.55.1
)
for what in ${CLUSTER_IMAGES_ONLY:-pause busybox coredns postgres mongo redis prometheus}; do
  local_name=localhost/virtual-store-cluster/$what:$key
  if ! podman image exists "$local_name"; then
    echo "   building $what (stand-in)" >&2
    "build_$what" "$local_name"
  fi
  # CLUSTER_IMAGES_ONLY="postgres": build that one into podman, print its name.
  [ -n "${CLUSTER_IMAGES_ONLY:-}" ] && { echo "$local_name"; continue; }
  podman save --quiet --format docker-archive -o "$work/$what.tar" "$local_name"
  ctr images import "$work/$what.tar" > /dev/null
  ctr images tag --force "$local_name" "${images[$what]}" > /dev/null
  rm -f "$work/$what.tar"
done

[ -n "${CLUSTER_IMAGES_ONLY:-}" ] && exit 0
for name in router user product order paymentgw; do
  src=localhost/virtual-store/$name:${IMAGE_TAG:-dev}
  podman image exists "$src" || { echo "cluster-images: $src missing: run make images first" >&2; exit 1; }
  podman save --quiet --format docker-archive -o "$work/$name.tar" "$src"
  ctr images import "$work/$name.tar" > /dev/null
  ctr images tag --force "$src" "docker.io/virtual-store/$name:${IMAGE_TAG:-dev}" > /dev/null
  rm -f "$work/$name.tar"
done
echo "   $(ctr images ls -q | grep -vc '^sha256:') image names in containerd" >&2
