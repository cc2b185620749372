#!/bin/sh
# govulncheck over the whole module, failing on a vulnerability the code
# can reach. Offline: the database is built from the golang.org/x/vulndb
# module (its reports, pinned in tools/vuln/go.mod; bump it to learn of new
# ones) with its indexdb command, once per version, cached outside the
# repository. The standard library checked is the running Go's: the
# Makefile pins it (GOTOOLCHAIN).
set -eu
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=auto # go.mod's toolchain line, fetched when the machine's Go is older
go=${GO:-go}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/virtual-store
version=$(cd tools/vuln && $go list -m -f '{{.Version}}' golang.org/x/vulndb)
db=$cache/vulndb-$version
if [ ! -f "$db/index/db.json" ]; then
  echo "building the vulnerability database from golang.org/x/vulndb $version" >&2
  src=$(cd tools/vuln && $go mod download -json golang.org/x/vulndb | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  mkdir -p "$cache"
  tmp=$(mktemp -d "$db.XXXXXX") # concurrent runs never share a half-built one
  (cd tools/vuln && $go tool indexdb -vulns "$src/data/osv" -out "$tmp")
  mv -T "$tmp" "$db" 2>/dev/null || rm -rf "$tmp" # another run won: same content
fi
echo "govulncheck with $($go env GOVERSION), database golang.org/x/vulndb $version" >&2
cd tools/vuln && exec $go tool govulncheck -C ../.. -db "file://$db" ./...
