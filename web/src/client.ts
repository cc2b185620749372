// The GraphQL client: urql with its document cache, HTTP for queries and
// mutations, graphql-ws (the graphql-transport-ws protocol) for
// subscriptions, all to /graphql on the storefront's own origin (its server
// proxies to the router). Every operation goes out as its trusted document.
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from 'urql';
import { createClient as createWSClient } from 'graphql-ws';
import { getAccessToken, refresh, subscribe } from './session';
import { trustedDocument } from './trusted';

type Body = { operationName?: string; query?: string; variables?: unknown; extensions?: unknown };

function headersWith(init: HeadersInit | undefined, token: string | null): Headers {
  const h = new Headers(init);
  if (token) h.set('Authorization', `Bearer ${token}`);
  else h.delete('Authorization');
  return h;
}

// urql's fetch: the body's document becomes the trusted one, the access
// token goes in the header, and a 401 (expired or revoked token) is tried
// once more after a refresh.
async function trustedFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  const body = JSON.parse(String(init.body ?? '{}')) as Body;
  const payload = JSON.stringify({
    operationName: body.operationName,
    query: trustedDocument(body.operationName),
    variables: body.variables ?? {},
    ...(body.extensions ? { extensions: body.extensions } : {}),
  });
  const send = (token: string | null) => fetch(input, { ...init, headers: headersWith(init.headers, token), body: payload });
  const token = getAccessToken();
  const res = await send(token);
  if (res.status === 401 && token) {
    await refresh();
    return send(getAccessToken());
  }
  return res;
}

let socket: WebSocket | null = null;
let restartWhenOpen = false;

const ws = createWSClient({
  url: () => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
  lazy: true,
  retryAttempts: 5,
  // The router authenticates the connection at init.
  connectionParams: () => {
    const token = getAccessToken();
    return token ? { Authorization: `Bearer ${token}` } : {};
  },
  on: {
    opened: (s) => {
      socket = s as WebSocket;
      if (restartWhenOpen) {
        restartWhenOpen = false;
        socket.close(4205, 'Client Restart');
      }
    },
    closed: () => {
      socket = null;
    },
  },
});

// A new token (sign-in, refresh, sign-out) reconnects an open socket, so
// that live subscriptions carry the current identity; graphql-ws
// reconnects and resubscribes them on its own.
let lastToken = getAccessToken();
subscribe(() => {
  const token = getAccessToken();
  if (token === lastToken) return;
  lastToken = token;
  if (!socket) return;
  if (socket.readyState === WebSocket.OPEN) socket.close(4205, 'Client Restart');
  else restartWhenOpen = true;
});

/** A client with an empty cache: one per signed-in identity. */
export function newClient(): Client {
  return new Client({
    url: '/graphql',
    fetch: trustedFetch,
    preferGetMethod: false,
    fetchOptions: { credentials: 'omit' },
    exchanges: [
      cacheExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = {
            operationName: request.operationName,
            query: trustedDocument(request.operationName),
            variables: request.variables as Record<string, unknown> | undefined,
          };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
      fetchExchange,
    ],
  });
}
