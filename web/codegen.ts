// GraphQL Code Generator: types every operation under src/graphql/ against
// the router's public API schema (schema.graphql, written by
// `go run ./cmd/storefront schema` from the subgraph SDLs in the repository:
// `make web-generate`), and emits the persisted-documents manifest, the
// router's trusted documents in production (scripts/trusted-documents.mjs).
//
// An operation that does not validate against the schema (a field a
// subgraph removed or retyped, an argument that changed) fails generation
// with a non-zero exit, so `make generate` and `make check-generated` fail.
import { readFileSync } from 'node:fs';
import type { CodegenConfig } from '@graphql-codegen/cli';
import { addTypenameSelectionDocumentTransform } from '@graphql-codegen/client-preset';

const schema = 'schema.graphql';

// The live order status is a subscription the order subgraph adds
// (Subscription.orderStatusChanged). Until the schema has it, its document
// stays out of generation and the order page polls instead.
const live = /\borderStatusChanged\s*\(/.test(readFileSync(schema, 'utf8'));
if (!live) {
  console.warn('codegen: Subscription.orderStatusChanged is not in the schema yet; src/graphql-live/ is left out (the order page polls)');
}

const config: CodegenConfig = {
  schema,
  documents: ['src/graphql/**/*.graphql', ...(live ? ['src/graphql-live/**/*.graphql'] : [])],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        // Each operation's sha256 in the document (__meta__.hash) and
        // persisted-documents.json ({"<sha256:hash>": "<document>"}).
        persistedDocuments: { hashAlgorithm: 'sha256' },
      },
      // __typename on every selection: urql's document cache invalidates
      // queries by the types a mutation returns, and the document sent is
      // exactly the trusted one (no client-side rewriting).
      documentTransforms: [addTypenameSelectionDocumentTransform],
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        strictScalars: true,
        scalars: { DateTime: 'string' },
      },
    },
    // The order page imports liveDocument from here: the subscription's
    // document once the schema has it, undefined (the page polls) before.
    'src/gql/live.ts': {
      plugins: [
        {
          add: {
            content: live
              ? "export { OrderStatusChangedDocument as liveDocument } from './graphql';"
              : [
                  "import type { TypedDocumentNode } from '@graphql-typed-document-node/core';",
                  "import type { OrderStatusFieldsFragment } from './graphql';",
                  '',
                  '// Subscription.orderStatusChanged is not in the schema yet.',
                  'export const liveDocument: TypedDocumentNode<{ orderStatusChanged: OrderStatusFieldsFragment }, { orderId: string }> | undefined = undefined;',
                ].join('\n'),
          },
        },
      ],
    },
  },
};

export default config;
