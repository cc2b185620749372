# Sourced by the image scripts: podman settings that work on this kind of
# machine (no systemd, cgroup v1, crun unable to set rlimits; see the README).
conf=${XDG_CONFIG_HOME:-$HOME/.config}/virtual-store/containers.conf
if [ ! -f "$conf" ]; then
  mkdir -p "$(dirname "$conf")"
  cat > "$conf" <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
fi
export CONTAINERS_CONF=$conf
. "$(dirname "${BASH_SOURCE[0]}")/debian.sh"
need_debian podman:podman buildah:buildah runc:runc /bin/busybox:busybox-static
