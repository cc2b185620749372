// The trusted documents: the exact text of every operation, as GraphQL Code
// Generator printed and hashed it into the persisted-documents manifest. The
// storefront sends these bodies byte for byte (never urql's own printing of
// the document), so their sha256 is what the router's safelist
// (config/trusted-documents.json) trusts.
import documents from './gql/persisted-documents.json';

const byName = new Map<string, string>();
for (const body of Object.values(documents as Record<string, string>)) {
  const match = /(?:^|\s)(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(body);
  if (match?.[1]) byName.set(match[1], body);
}

/** The trusted body of the named operation; throws for any other. */
export function trustedDocument(operationName: string | null | undefined): string {
  const body = operationName ? byName.get(operationName) : undefined;
  if (!body) {
    throw new Error(`operation ${operationName ?? '(anonymous)'} is not a trusted document (run make web-generate)`);
  }
  return body;
}
