#!/usr/bin/env bash
# A real single-node Kubernetes cluster on this machine, for `make cluster-up`,
# `make verify-cluster` (scripts/verify-cluster.sh) and `make cluster-down`.
#
#   scripts/cluster.sh up      build what is missing, start the cluster, print the KUBECONFIG line
#   scripts/cluster.sh down    stop everything and remove the cluster's state
#   scripts/cluster.sh status  what runs
#   scripts/cluster.sh images  import the images again (after `make images`)
#
# Built only from what this machine reaches (no registry, no binary download):
#   - kube-apiserver, kube-controller-manager, kube-scheduler, kubelet,
#     kube-proxy and kubeadm from the Go module proxy (tools/k8s, the same
#     module set as `make verify-k8s`'s API server), and our own local-path
#     provisioner (tools/k8s/localpath); CoreDNS, kube-router (NetworkPolicy)
#     and FerretDB (the stand-in MongoDB) from their Go modules, pinned below;
#     all cached in ~/.cache/virtual-store (scripts/k8s-tools.sh);
#   - etcd, containerd, runc, the CNI plugins, iptables, ipset and conntrack
#     from Debian;
#   - certificates and kubeconfigs by kubeadm's phases (`kubeadm init phase
#     certs|kubeconfig`, `kubeadm kubeconfig user`), nothing else of kubeadm.
#
# Everything runs in a network namespace of its own (vs-node, 10.250.0.2),
# joined to the host by a veth pair (the host is 10.250.0.1); the host routes
# the Service and pod ranges to it, so kube-proxy's and kube-router's rules
# never touch the host's own tables. The control plane, containerd and the
# node agents are host processes in that namespace (as kubeadm's static pods
# would be); CoreDNS runs as a Deployment. Pods use the CNI bridge plugin;
# kube-router (firewall only) enforces NetworkPolicies, which the bridge
# plugin alone does not.
#
# Images: `make images` builds ours (podman); scripts/cluster-images.sh makes
# test-only stand-ins for the public images the dev overlay names (postgres,
# mongo, redis, prometheus), under those same names, and imports all of them
# into the cluster's containerd. Grafana's server cannot be built here, so
# its Deployment is scaled to zero by verify-cluster.
#
# Needs root (network namespaces, containerd, kubelet) and a machine of this
# project's kind: cgroup v1 with the cgroupfs driver (kubelet failCgroupV1:
# false), containerd with runc and restrict_oom_score_adj (see the README).
set -euo pipefail
export GOTOOLCHAIN=auto
root=$(cd "$(dirname "$0")/.." && pwd)

dir=${VS_CLUSTER_DIR:-/var/lib/virtual-store-cluster}
dir=${dir%/}
case $dir in
  /?*/?*) ;; # absolute, at least two levels down: `down` removes it
  *) echo "cluster: VS_CLUSTER_DIR must be an absolute path like /var/lib/virtual-store-cluster (got '$dir')" >&2; exit 2 ;;
esac
umask 077 # client keys, kubeconfigs, the volumes' parent: root's only
netns=vs-node
node=vs-node
host_ip=10.250.0.1
node_ip=10.250.0.2
service_cidr=10.96.0.0/16
pod_cidr=10.244.0.0/16
node_pod_cidr=10.244.0.0/24
dns_ip=10.96.0.10
k8s_version=v1.36.3 # tools/k8s/go.mod

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'cluster: %s\n' "$*" >&2; exit 1; }
in_node() { nsenter --net="/var/run/netns/$netns" "$@"; }
export KUBECONFIG=$dir/kubeconfig/admin.conf

# until SECONDS DESCRIPTION COMMAND...: retry COMMAND every half second.
until_ok() {
  local limit=$1 what=$2
  shift 2
  local end=$((SECONDS + limit))
  until "$@" > /dev/null 2>&1; do
    [ $SECONDS -lt $end ] || { echo "cluster: timed out after ${limit}s waiting for $what" >&2; return 1; }
    sleep 0.5
  done
}

# daemon NAME COMMAND...: a process of the node's, in its network namespace,
# appending to $dir/logs/NAME.log (a restarted daemon keeps its predecessor's
# last words). No pid files: every daemon names a path
# under $dir in its arguments, so `pattern NAME` finds it (also after a
# reboot lost everything else).
daemon() {
  local name=$1
  shift
  # The daemons with the usual umask: containerd's snapshots under 077
  # would make a container's / unreadable to its non-root user.
  (umask 022 && exec nsenter --net="/var/run/netns/$netns" setsid "$@" >> "$dir/logs/$name.log" 2>&1 < /dev/null) &
}

pattern() { echo "(^|/)$1 .*$dir/"; }
running() { pgrep -f "$(pattern "$1")" > /dev/null; }

# stop NAME: TERM, then KILL after 10 s.
stop() {
  local p
  p=$(pattern "$1")
  pkill -f "$p" 2> /dev/null || return 0
  for _ in $(seq 50); do pgrep -f "$p" > /dev/null || return 0; sleep 0.2; done
  pkill -9 -f "$p" 2> /dev/null || true
  sleep 0.5
}

. "$root/scripts/debian.sh"

# The network: a namespace for the node, a veth pair to the host, the
# host's routes to the Service and pod ranges. Forwarding and bridge
# netfilter are switched on inside the namespace only.
network_up() {
  # A namespace from an `up` that stopped half-way is made again.
  if [ -e "/var/run/netns/$netns" ] && ! in_node ip -4 addr show vs-node0 2> /dev/null | grep -q "$node_ip/"; then
    ip netns delete "$netns"
    ip link delete vs-host 2> /dev/null || true
  fi
  if [ ! -e "/var/run/netns/$netns" ]; then
    ip netns add "$netns"
    ip link add vs-host type veth peer name vs-node0
    ip link set vs-node0 netns "$netns"
    ip addr add "$host_ip/30" dev vs-host
    ip link set vs-host up
    in_node ip addr add "$node_ip/30" dev vs-node0
    in_node ip link set vs-node0 up
    in_node ip link set lo up
    in_node ip route add default via "$host_ip"
  fi
  ip route replace "$service_cidr" via "$node_ip"
  ip route replace "$pod_cidr" via "$node_ip"
  modprobe br_netfilter 2> /dev/null || true # built in on this kind of machine
  in_node sysctl -qw net.ipv4.ip_forward=1
  in_node sysctl -qw net.bridge.bridge-nf-call-iptables=1
  in_node sysctl -qw net.ipv4.conf.all.route_localnet=1
}

# Certificates and kubeconfigs, kubeadm's way (its phases only).
pki_up() {
  local bin=$1
  [ -f "$dir/kubeconfig/local-path.conf" ] && return # the last file written
  cat > "$dir/kubeadm.yaml" << EOF
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: $node_ip
  bindPort: 6443
nodeRegistration:
  name: $node
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: $k8s_version
clusterName: virtual-store
certificatesDir: $dir/pki
controlPlaneEndpoint: $node_ip:6443
networking:
  serviceSubnet: $service_cidr
  podSubnet: $pod_cidr
  dnsDomain: cluster.local
etcd:
  external:
    endpoints: [http://127.0.0.1:2379]
apiServer:
  certSANs: [127.0.0.1, localhost, $node_ip]
EOF
  "$bin/kubeadm" init phase certs all --config "$dir/kubeadm.yaml" > /dev/null
  "$bin/kubeadm" init phase kubeconfig all --config "$dir/kubeadm.yaml" --kubeconfig-dir "$dir/kubeconfig" > /dev/null
  # The node agents that kubeadm would run as pods, with identities of their
  # own (bound to their roles in addons_up).
  "$bin/kubeadm" kubeconfig user --config "$dir/kubeadm.yaml" --client-name system:kube-proxy > "$dir/kubeconfig/kube-proxy.conf"
  "$bin/kubeadm" kubeconfig user --config "$dir/kubeadm.yaml" --client-name virtual-store-cluster:kube-router > "$dir/kubeconfig/kube-router.conf"
  "$bin/kubeadm" kubeconfig user --config "$dir/kubeadm.yaml" --client-name virtual-store-cluster:local-path > "$dir/kubeconfig/local-path.conf"
  chmod 600 "$dir"/kubeconfig/*.conf
}

control_plane_up() {
  local bin=$1 pki=$dir/pki kc=$dir/kubeconfig
  running etcd || daemon etcd etcd --name "$node" --data-dir "$dir/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster "$node=http://127.0.0.1:2380" --quota-backend-bytes 2147483648
  until_ok 30 etcd in_node curl -fsS http://127.0.0.1:2379/health
  running kube-apiserver || daemon kube-apiserver "$bin/kube-apiserver" \
    --advertise-address "$node_ip" --secure-port 6443 --allow-privileged=true \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --client-ca-file "$pki/ca.crt" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --etcd-servers http://127.0.0.1:2379 \
    --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP \
    --proxy-client-cert-file "$pki/front-proxy-client.crt" --proxy-client-key-file "$pki/front-proxy-client.key" \
    --requestheader-client-ca-file "$pki/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
    --requestheader-extra-headers-prefix X-Remote-Extra- --requestheader-group-headers X-Remote-Group \
    --requestheader-username-headers X-Remote-User \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-cluster-ip-range "$service_cidr"
  until_ok 90 kube-apiserver kubectl --kubeconfig "$kc/super-admin.conf" get --raw /readyz
  # kubeadm's admin.conf is a member of kubeadm:cluster-admins, a group
  # `kubeadm init` binds to cluster-admin (we run its phases only).
  kubectl --kubeconfig "$kc/super-admin.conf" apply -f - > /dev/null << 'EOF'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "kubeadm:cluster-admins"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "kubeadm:cluster-admins"}]
EOF
  running kube-controller-manager || daemon kube-controller-manager "$bin/kube-controller-manager" \
    --kubeconfig "$kc/controller-manager.conf" --authentication-kubeconfig "$kc/controller-manager.conf" \
    --authorization-kubeconfig "$kc/controller-manager.conf" --bind-address 127.0.0.1 --leader-elect=false \
    --client-ca-file "$pki/ca.crt" --requestheader-client-ca-file "$pki/front-proxy-ca.crt" --root-ca-file "$pki/ca.crt" \
    --cluster-name virtual-store --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
    --service-account-private-key-file "$pki/sa.key" --use-service-account-credentials=true \
    --controllers '*,bootstrapsigner,tokencleaner' \
    --allocate-node-cidrs=true --cluster-cidr "$pod_cidr" --node-cidr-mask-size 24 --service-cluster-ip-range "$service_cidr"
  running kube-scheduler || daemon kube-scheduler "$bin/kube-scheduler" \
    --kubeconfig "$kc/scheduler.conf" --authentication-kubeconfig "$kc/scheduler.conf" \
    --authorization-kubeconfig "$kc/scheduler.conf" --bind-address 127.0.0.1 --leader-elect=false
}

containerd_up() {
  mkdir -p "$dir/containerd" "$dir/cni/net.d" "$dir/cni/ipam"
  # restrict_oom_score_adj: this VM lacks CAP_SYS_RESOURCE; without it every
  # sandbox fails ("can't get final child's PID from pipe"). The CNI plugins
  # are Debian's (/usr/lib/cni). The pause image is a local one.
  cat > "$dir/containerd/config.toml" << EOF
version = 2
root = "$dir/containerd/root"
state = "$dir/containerd/state"
[grpc]
  address = "$dir/containerd/containerd.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/virtual-store-cluster/pause:1"
  restrict_oom_score_adj = true
  # The pods' network namespaces and runc's state under $dir, not in the
  # host's /var/run/netns and /run/containerd/runc (other runtimes' too).
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$dir/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/cni/net.d"
EOF
  # One bridge for the node's pods (the range the controller manager gives
  # the first node); hairpin so a pod reaches itself through its Service.
  cat > "$dir/cni/net.d/10-virtual-store.conflist" << EOF
{"cniVersion": "1.0.0", "name": "virtual-store", "plugins": [
  {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "dataDir": "$dir/cni/ipam", "ranges": [[{"subnet": "$node_pod_cidr"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}
]}
EOF
  running containerd || daemon containerd containerd --config "$dir/containerd/config.toml"
  until_ok 30 containerd ctr --address "$dir/containerd/containerd.sock" version
}

node_up() {
  local bin=$1 kc=$dir/kubeconfig
  mkdir -p "$dir/kubelet"
  printf 'search cluster.local\noptions ndots:1\n' > "$dir/resolv.conf"
  # cgroupfs and failCgroupV1: false for this machine's cgroup v1 hierarchy.
  # Image garbage collection off: the images were imported, not pulled, and
  # could not come back.
  cat > "$dir/kubelet/config.yaml" << EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $dir/pki/ca.crt}
authorization: {mode: Webhook}
address: $node_ip
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$dir/containerd/containerd.sock
clusterDNS: [$dns_ip]
clusterDomain: cluster.local
resolvConf: $dir/resolv.conf
podLogsDir: $dir/pod-logs
rotateCertificates: false
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 200Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2%}
EOF
  running kubelet || daemon kubelet "$bin/kubelet" --config "$dir/kubelet/config.yaml" \
    --kubeconfig "$kc/kubelet.conf" --root-dir "$dir/kubelet" --cert-dir "$dir/kubelet/pki" \
    --node-ip "$node_ip" --hostname-override "$node"
  cat > "$dir/kube-proxy.yaml" << EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $kc/kube-proxy.conf}
hostnameOverride: $node
clusterCIDR: $pod_cidr
mode: iptables
conntrack: {maxPerCore: 0}
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
nodePortAddresses: [primary]
EOF
  running kube-proxy || daemon kube-proxy "$bin/kube-proxy" --config "$dir/kube-proxy.yaml"
  until_ok 120 "node $node to register" kubectl get node "$node"
  # The firewall half of kube-router: NetworkPolicy as iptables and ipsets.
  running kube-router || daemon kube-router "$bin/kube-router" --kubeconfig "$kc/kube-router.conf" \
    --hostname-override "$node" --run-firewall=true --run-router=false --run-service-proxy=false \
    --enable-cni=false --enable-ipv6=false --metrics-port 0 --health-port 20244 \
    --service-cluster-ip-range "$service_cidr"
  running local-path-provisioner || daemon local-path-provisioner "$bin/local-path-provisioner" \
    -kubeconfig "$kc/local-path.conf" -root "$dir/volumes" -node "$node"
}

addons_up() {
  kubectl apply -f "$root/scripts/cluster/addons.yaml" > /dev/null
}

cmd_up() {
  [ "$(id -u)" = 0 ] || die "needs root (network namespaces, containerd, the kubelet)"
  need_debian etcd:etcd-server containerd:containerd runc:runc iptables:iptables ipset:ipset conntrack:conntrack \
    /usr/lib/cni/bridge:containernetworking-plugins nsenter:util-linux ip:iproute2 openssl:openssl
  local bin start=$SECONDS
  bin=$("$root/scripts/k8s-tools.sh" cluster)
  mkdir -p "$dir/logs" "$dir/kubeconfig" "$dir/volumes"
  touch "$dir/.virtual-store-cluster"
  network_up
  log "certificates and kubeconfigs (kubeadm phases) in $dir"
  pki_up "$bin"
  log "etcd, kube-apiserver $k8s_version, controller manager, scheduler (network namespace $netns, $node_ip)"
  control_plane_up "$bin"
  log "containerd (runc, CNI bridge $node_pod_cidr)"
  containerd_up
  log "images: ours from podman, stand-ins for the public ones (scripts/cluster-images.sh)"
  "$root/scripts/cluster-images.sh" "$dir/containerd/containerd.sock" "$bin"
  log "CoreDNS, the local-path StorageClass, node agents' RBAC"
  addons_up
  log "kubelet, kube-proxy (iptables), kube-router (NetworkPolicy), local-path provisioner"
  node_up "$bin"
  until_ok 180 "node $node Ready" kubectl wait --for condition=Ready "node/$node" --timeout 5s
  kubectl -n kube-system rollout status deploy/coredns --timeout 180s > /dev/null
  log "cluster up in $((SECONDS - start)) s: node $node Ready, CoreDNS ready"
  echo "export KUBECONFIG=$KUBECONFIG"
}

cmd_down() {
  # Node agents first, then every container (their shims), then containerd,
  # the control plane and etcd.
  for name in local-path-provisioner kube-router kube-proxy kubelet; do stop "$name"; done
  for id in $(runc --root "$dir/runc" list -q 2> /dev/null); do
    runc --root "$dir/runc" delete --force "$id" 2> /dev/null || true
  done
  pkill -f "containerd-shim-runc-v2 .*-address $dir/containerd/containerd.sock" 2> /dev/null || true
  sleep 1
  for name in containerd kube-scheduler kube-controller-manager kube-apiserver etcd; do stop "$name"; done
  # Mounts the kubelet and containerd left (volumes, rootfs, sandboxes).
  { grep -F " $dir/" /proc/mounts || true; } | cut -d' ' -f2 | sort -r | while read -r m; do umount -l "$m" 2> /dev/null || true; done
  if [ -e "/var/run/netns/$netns" ]; then ip netns delete "$netns"; fi
  ip route del "$service_cidr" 2> /dev/null || true
  ip route del "$pod_cidr" 2> /dev/null || true
  # The pods' cgroups (kubepods) in every hierarchy.
  for h in /sys/fs/cgroup/*/kubepods; do
    [ -d "$h" ] && find "$h" -depth -type d -exec rmdir {} + 2> /dev/null || true
  done
  rm -f /var/lib/cni/results/virtual-store-* # the CNI plugins' cache (its place is fixed)
  # Only a directory `up` made (it holds the marker) is removed.
  if [ -f "$dir/.virtual-store-cluster" ]; then
    rm -rf --one-file-system "$dir"
    log "cluster removed ($dir)"
  elif [ -e "$dir" ]; then
    log "left $dir alone: no .virtual-store-cluster marker in it"
  fi
}

cmd_status() {
  for name in etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy kube-router local-path-provisioner; do
    if running "$name"; then echo "$name: running ($(pgrep -f "$(pattern "$name")"))"; else echo "$name: stopped"; fi
  done
  [ -f "$KUBECONFIG" ] && kubectl get nodes -o wide 2> /dev/null || true
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  images)
    tools=$("$root/scripts/k8s-tools.sh" --cached cluster) || die "the cluster's binaries are not built: make cluster-up"
    "$root/scripts/cluster-images.sh" "$dir/containerd/containerd.sock" "$tools"
    ;;
  *) echo "usage: $0 up|down|status|images" >&2; exit 2 ;;
esac
