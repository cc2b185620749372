#!/usr/bin/env bash
# Type-checks every generated dashboard (dashboards/*.json) against Grafana's
# published schema, the npm package @grafana/schema, with tsc --noEmit.
# Each dashboard becomes `const d: Json<Dashboard> = (<its JSON as an object
# literal>) satisfies Json<StrictDashboard>;` so excess property checks and
# literal types apply (dashboards/schemacheck/strict.ts says what
# StrictDashboard adds, and why Json<>: the schema's string enums).
# The pinned npm packages (dashboards/schemacheck/package-lock.json) are
# installed with `npm ci` into a cache outside the repository and reused while
# the lock file is unchanged; the .ts files are written there too.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/dashboards/schemacheck"
work="${XDG_CACHE_HOME:-$HOME/.cache}/virtual-store/schemacheck"
mkdir -p "$work"

stamp=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ ! -x "$work/node_modules/.bin/tsc" ] || [ "$(cat "$work/.lock-stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "installing the schema check's npm packages into $work"
  rm -f "$work/.lock-stamp"
  cp "$src/package.json" "$src/package-lock.json" "$work/"
  (cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$stamp" >"$work/.lock-stamp"
fi

cp "$src/tsconfig.json" "$src/strict.ts" "$work/"
rm -rf "$work/gen"
mkdir -p "$work/gen"
shopt -s nullglob
files=("$root"/dashboards/*.json)
[ "${#files[@]}" -gt 0 ] || { echo "no dashboards/*.json" >&2; exit 1; }
for f in "${files[@]}"; do
  name=$(basename "$f" .json)
  {
    echo "import type { Dashboard } from '@grafana/schema';"
    echo "import type { Json, StrictDashboard } from '../strict';"
    echo 'const d: Json<Dashboard> = ('
    cat "$f"
    echo ') satisfies Json<StrictDashboard>;'
    echo 'export default d;'
  } >"$work/gen/$name.ts"
done

cd "$work"
if ! out=$(node_modules/.bin/tsc -p tsconfig.json --noEmit --pretty false 2>&1); then
  # gen/<name>.ts(line,col) -> dashboards/<name>.json(line,col): the JSON
  # starts on line 4 of the .ts file.
  printf '%s\n' "$out" | awk '
    match($0, /^gen\/[^(]+\.ts\(([0-9]+),([0-9]+)\)/) {
      head = substr($0, 1, RLENGTH); rest = substr($0, RLENGTH + 1)
      n = split(head, p, /[(),]/); file = p[1]; sub(/^gen\//, "dashboards/", file); sub(/\.ts$/, ".json", file)
      line = p[2] - 3
      if (line < 1) print file rest; else print file "(" line "," p[3] ")" rest
      next
    }
    { print }' >&2
  echo "dashboards do not match @grafana/schema $(node -p "require('./node_modules/@grafana/schema/package.json').version")" >&2
  exit 1
fi
echo "${#files[@]} dashboards match @grafana/schema $(node -p "require('./node_modules/@grafana/schema/package.json').version") (tsc $(node_modules/.bin/tsc --version | awk '{print $2}'))"
