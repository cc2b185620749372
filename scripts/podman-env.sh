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
if ! command -v podman > /dev/null || ! command -v buildah > /dev/null || ! command -v runc > /dev/null || [ ! -x /bin/busybox ]; then
  echo "installing podman, buildah, runc and busybox-static (Debian packages)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman buildah runc busybox-static > /dev/null
fi
