import { StrictMode, useMemo } from 'react';
import { createRoot } from 'react-dom/client';
import { Provider } from 'urql';
import { AccountProvider, useSession } from './account';
import { App } from './App';
import { newClient } from './client';
import { CurrencyProvider } from './currency';
import './styles.css';

function Root() {
  // A fresh client (and cache) whenever who is signed in changes.
  const { generation } = useSession();
  const client = useMemo(() => newClient(), [generation]);
  return (
    <Provider value={client}>
      <CurrencyProvider>
        <AccountProvider>
          <App />
        </AccountProvider>
      </CurrencyProvider>
    </Provider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
