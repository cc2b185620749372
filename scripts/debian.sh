# Sourced by make's helpers: Debian packages installed when what they ship is
# missing (this kind of machine reaches Debian's mirror; nothing else).
#
#   debian_install [--no-recommends] PACKAGE...
#                                    install them (apt-get; sudo when not root)
#   need_debian COMMAND:PACKAGE...   install the packages whose command (a name
#                                    on PATH, or a path) is missing

debian_install() {
  local opts=()
  if [ "${1:-}" = --no-recommends ]; then opts=(--no-install-recommends); shift; fi
  command -v apt-get > /dev/null 2>&1 || { echo "no apt-get here: install $* yourself" >&2; return 1; }
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  echo "== installing Debian's $*" >&2
  # The package lists are refreshed only when the install needs it.
  if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${opts[@]}" "$@" > /dev/null 2>&1; then
    "${sudo[@]}" apt-get update -q > /dev/null
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${opts[@]}" "$@" > /dev/null
  fi
}

need_debian() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" > /dev/null 2>&1 || [ -x "${pair%%:*}" ] || missing+=("${pair#*:}")
  done
  [ ${#missing[@]} = 0 ] || debian_install "${missing[@]}"
}
