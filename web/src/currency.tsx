// The currency prices are shown, carts priced and orders paid in. The
// catalog sells in EUR and USD; the choice is remembered (it is no secret).
import { createContext, useContext, useState, type ReactNode } from 'react';

export const currencies = ['EUR', 'USD'] as const;
export type Currency = (typeof currencies)[number];

const key = 'virtual-store.currency';

function initial(): Currency {
  const saved = localStorage.getItem(key);
  return (currencies as readonly string[]).includes(saved ?? '') ? (saved as Currency) : 'EUR';
}

const Context = createContext<{ currency: Currency; setCurrency: (c: Currency) => void }>({
  currency: 'EUR',
  setCurrency: () => {},
});

export function CurrencyProvider({ children }: { children: ReactNode }) {
  const [currency, set] = useState<Currency>(initial);
  const setCurrency = (c: Currency) => {
    localStorage.setItem(key, c);
    set(c);
  };
  return <Context.Provider value={{ currency, setCurrency }}>{children}</Context.Provider>;
}

export const useCurrency = () => useContext(Context);

export function CurrencyPicker() {
  const { currency, setCurrency } = useCurrency();
  return (
    <div className="currency">
      <label htmlFor="currency">Currency</label>
      <select id="currency" value={currency} onChange={(e) => setCurrency(e.target.value as Currency)}>
        {currencies.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </div>
  );
}
