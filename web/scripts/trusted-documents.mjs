// Writes the router's trusted documents (config/trusted-documents.json)
// from the persisted-documents manifest GraphQL Code Generator emitted
// (src/gql/persisted-documents.json), in the Apollo persisted query
// manifest format the router loads (router/persisted): every operation the
// storefront and its server send, by its sha256 id. With
// persisted_queries.safelist (config/router.prod.yaml) the router runs
// nothing else.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(web, 'src', 'gql', 'persisted-documents.json');
const target = join(web, '..', 'config', 'trusted-documents.json');

const documents = JSON.parse(readFileSync(source, 'utf8'));
const operations = Object.entries(documents).map(([key, body]) => {
  const id = createHash('sha256').update(body).digest('hex');
  if (key !== `sha256:${id}`) {
    throw new Error(`persisted document ${key}: its body hashes to ${id}`);
  }
  const match = /(?:^|\s)(query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(body);
  if (!match) {
    throw new Error(`persisted document ${key} is not a named operation`);
  }
  return { id, name: match[2], type: match[1], body };
});
operations.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
// The emitted manifest, in a stable order (by id) so that regenerating it
// never shows a difference that is only order.
const sorted = Object.fromEntries(Object.entries(documents).sort(([a], [b]) => (a < b ? -1 : 1)));
writeFileSync(source, JSON.stringify(sorted, null, 2) + '\n');
const manifest = { format: 'apollo-persisted-query-manifest', version: 1, operations };
writeFileSync(target, JSON.stringify(manifest, null, 2) + '\n');
console.log(`trusted documents: ${operations.length} operations → ${target}`);
