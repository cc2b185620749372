// Who is signed in, for every page: the session (session.ts) and the user
// (the Me query), once the start-up refresh has answered.
import { createContext, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import { useQuery } from 'urql';
import { MeDocument, type MeQuery } from './gql/graphql';
import { getSnapshot, restored, subscribe } from './session';

type Account = {
  /** The start-up refresh has answered: signedIn is known. */
  ready: boolean;
  signedIn: boolean;
  me: MeQuery['me'] | null;
  isAdmin: boolean;
};

const Context = createContext<Account>({ ready: false, signedIn: false, me: null, isAdmin: false });

export function useSession() {
  return useSyncExternalStore(subscribe, getSnapshot);
}

export function AccountProvider({ children }: { children: ReactNode }) {
  const { signedIn } = useSession();
  const [ready, setReady] = useState(false);
  useEffect(() => {
    void restored.finally(() => setReady(true));
  }, []);
  const [{ data }] = useQuery({ query: MeDocument, pause: !signedIn });
  const me = signedIn ? (data?.me ?? null) : null;
  const isAdmin = !!me?.roles?.includes('ADMIN');
  return <Context.Provider value={{ ready, signedIn, me, isAdmin }}>{children}</Context.Provider>;
}

export const useAccount = () => useContext(Context);
