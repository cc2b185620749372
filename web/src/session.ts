// The signed-in session. The access token lives in this module's memory
// only (never localStorage or sessionStorage); the refresh token is an
// HttpOnly cookie the storefront's server (cmd/storefront, /auth/*) sets
// and reads, so no script can read it. A reload restores the session by
// asking /auth/refresh, which rotates the cookie.
//
// A refresh token works once (the user service revokes the whole sign-in
// when one is used twice), so refreshes never overlap: one at a time in a
// tab (a shared promise) and across tabs (the Web Locks API, when present).

export type UserError = { code: string; field: string[] | null; message: string };
export type AuthResult = { ok: true } | { ok: false; userErrors: UserError[] };

type State = { accessToken: string; expiresAt: number } | null;

let state: State = null;
// Changes when who is signed in changes (not on a refresh): the GraphQL
// client's cache is per identity.
let generation = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
let inflight: Promise<boolean> | null = null;
const listeners = new Set<() => void>();
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('virtual-store-session') : null;

export type Snapshot = { signedIn: boolean; generation: number };
let snapshot: Snapshot = { signedIn: false, generation };

function publish() {
  snapshot = { signedIn: state !== null, generation };
  listeners.forEach((l) => l());
}

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function getSnapshot(): Snapshot {
  return snapshot;
}

export function getAccessToken(): string | null {
  return state?.accessToken ?? null;
}

function set(next: State, identityChanged: boolean) {
  state = next;
  if (identityChanged) generation++;
  clearTimeout(timer);
  if (next) {
    // Refresh a minute before the access token expires.
    const delay = Math.max(5_000, next.expiresAt - Date.now() - 60_000);
    timer = setTimeout(() => void refresh(), delay);
  }
  publish();
}

type Answer = { accessToken?: string; expiresAt?: string; userErrors?: UserError[]; error?: string };

async function post(path: string, body: unknown): Promise<{ status: number; answer: Answer }> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      // The custom header and the JSON type are the server's CSRF check.
      headers: { 'Content-Type': 'application/json', 'X-Storefront-CSRF': '1' },
      body: JSON.stringify(body),
    });
  } catch {
    return { status: 0, answer: { error: 'The store cannot be reached. Check your connection and try again.' } };
  }
  let answer: Answer = {};
  try {
    answer = (await res.json()) as Answer;
  } catch {
    answer = { error: `The store answered ${res.status}.` };
  }
  return { status: res.status, answer };
}

function signedIn(answer: Answer): State {
  if (!answer.accessToken || !answer.expiresAt) return null;
  return { accessToken: answer.accessToken, expiresAt: Date.parse(answer.expiresAt) };
}

function failure(answer: Answer): AuthResult {
  if (answer.userErrors?.length) return { ok: false, userErrors: answer.userErrors };
  return { ok: false, userErrors: [{ code: 'ERROR', field: null, message: answer.error ?? 'Something went wrong.' }] };
}

async function signIn(path: string, body: unknown): Promise<AuthResult> {
  const { answer } = await post(path, body);
  const next = signedIn(answer);
  if (!next) return failure(answer);
  set(next, true);
  channel?.postMessage('signed-in');
  return { ok: true };
}

export function login(email: string, password: string): Promise<AuthResult> {
  return signIn('/auth/login', { email, password });
}

export function register(name: string, email: string, password: string): Promise<AuthResult> {
  return signIn('/auth/register', { name, email, password });
}

export async function logout(): Promise<void> {
  await post('/auth/logout', {});
  set(null, true);
  channel?.postMessage('signed-out');
}

async function rotate(): Promise<boolean> {
  const { status, answer } = await post('/auth/refresh', {});
  const next = signedIn(answer);
  if (next) {
    set(next, state === null);
    return true;
  }
  // 401: no cookie, or the token expired or was revoked. Anything else
  // (the store unreachable) keeps the session until the token expires.
  if (status === 401 || (state && state.expiresAt <= Date.now())) {
    set(null, state !== null);
  }
  return false;
}

/**
 * Exchanges the refresh cookie for a new access token (the cookie rotates).
 * Concurrent callers share one exchange; tabs take turns.
 */
export function refresh(): Promise<boolean> {
  if (!inflight) {
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    // request() resolves with what rotate() resolves with.
    const run: Promise<boolean> = locks ? locks.request('virtual-store-refresh', rotate).then((ok) => ok) : rotate();
    const shared = run.finally(() => {
      inflight = null;
    });
    inflight = shared;
    return shared;
  }
  return inflight;
}

// Another tab signed in or out: follow it (the cookie is shared).
channel?.addEventListener('message', (e: MessageEvent) => {
  if (e.data === 'signed-out') set(null, state !== null);
  if (e.data === 'signed-in') void refresh();
});

/** On start: a refresh cookie from an earlier visit restores the session. */
export const restored: Promise<boolean> = refresh();
