#!/usr/bin/env bash
# Fails when the committed generated code (gqlgen, sqlc, the storefront's
# GraphQL Code Generator output and trusted documents) differs from what
# `make generate` produces. Generation runs in a scratch copy of the inputs,
# so the working tree is never touched and uncommitted work is safe.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

cd "$root"
# Everything generation reads: Go sources (gqlgen loads packages), schemas,
# SQL, configs and the tools module.
git ls-files -z --cached --others --exclude-standard -- \
  go.mod go.sum gqlgen.yml sqlc.yaml Makefile tools graph sql subgraphs internal paymentgw bench \
  router dashboards cmd/dashboards kustomize/components/monitoring/dashboards \
  web cmd/storefront config/trusted-documents.json \
  | xargs -0 -I{} cp --parents {} "$scratch"/ 2>/dev/null || true
# The storefront's code generation (GraphQL Code Generator) runs with the
# npm packages already installed here; without them it installs its own.
if [ -d web/node_modules ]; then
  ln -s "$root/web/node_modules" "$scratch/web/node_modules"
fi

make -C "$scratch" --no-print-directory generate >/dev/null

status=0
for dir in $(make --no-print-directory -s print-generated); do
  if ! diff -ru --exclude='*.resolvers.go' --exclude='resolver.go' "$root/$dir" "$scratch/$dir"; then
    status=1
  fi
done
if [ "$status" -ne 0 ]; then
  echo "generated code is stale: run 'make generate' and commit the result" >&2
  exit 1
fi
echo "generated code is up to date"
