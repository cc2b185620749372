#!/usr/bin/env bash
# Runs the public federation gateway audit (graphql-hive/federation-gateway-audit)
# against bin/router, when a copy of the suite is present. The suite is never
# part of this repository: bring it next to the project (see README, "Router"),
# `npm install` it there, and point AUDIT_DIR at it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
audit=${AUDIT_DIR:-$root/../federation-gateway-audit}
port=${AUDIT_GATEWAY_PORT:-4555}

if [ ! -d "$audit/src/test-suites" ] || [ ! -d "$audit/node_modules" ]; then
  echo "audit: no installed suite at $audit (set AUDIT_DIR); nothing to run"
  exit 0
fi
audit=$(cd "$audit" && pwd)

# The gateway adapter is generated here, outside both repositories.
adapter=$(mktemp -d)
trap 'rm -rf "$adapter"' EXIT
cat > "$adapter/run.sh" <<RUN
npm --prefix "$audit" start supergraph -- --cwd "$adapter" --test \$1
ROUTER_ADMIN_LISTEN=127.0.0.1:$((port + 1)) exec "$root/bin/router" --supergraph "$adapter/supergraph.graphql" --listen 127.0.0.1:$port
RUN

# Node 20 lacks Promise.withResolvers, which the suite's CLI uses.
cat > "$adapter/polyfill.cjs" <<'JS'
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function () {
    let resolve, reject;
    const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}
JS
export NODE_OPTIONS="--require $adapter/polyfill.cjs ${NODE_OPTIONS:-}"

cd "$audit"
npm start -- test --cwd "$adapter" --run-script ./run.sh --reporter dot \
  --graphql "http://127.0.0.1:$port/graphql" --healthcheck "http://127.0.0.1:$((port + 1))/healthz" | tee "$adapter/output.txt"
