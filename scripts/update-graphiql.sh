#!/usr/bin/env bash
# Refreshes the GraphiQL playground assets the router embeds (so the
# playground works with no internet). Versions are pinned here; the files are
# committed, so builds never download anything.
set -euo pipefail
cd "$(dirname "$0")/.."
GRAPHIQL=3.9.0
REACT=18.3.1
dest=router/playground/assets
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null)
for p in graphiql-$GRAPHIQL react-$REACT react-dom-$REACT; do
  mkdir -p "$tmp/$p" && tar xzf "$tmp/$p.tgz" -C "$tmp/$p" --strip-components=1
done
cp "$tmp/graphiql-$GRAPHIQL/graphiql.min.js" "$tmp/graphiql-$GRAPHIQL/graphiql.min.css" "$dest/"
cp "$tmp/react-$REACT/umd/react.production.min.js" "$tmp/react-dom-$REACT/umd/react-dom.production.min.js" "$dest/"
{
  echo "GraphiQL $GRAPHIQL, React $REACT, ReactDOM $REACT (npm), MIT licensed:"
  echo
  cat "$tmp/graphiql-$GRAPHIQL/LICENSE"
  echo
  cat "$tmp/react-$REACT/LICENSE"
} > "$dest/LICENSES.txt"
echo "updated $dest"
