import { useEffect, useRef } from 'react';
import { useQuery } from 'urql';
import { useAccount } from './account';
import { CurrencyPicker, useCurrency } from './currency';
import { CartDocument } from './gql/graphql';
import { Link, match, navigate, useLocation } from './router';
import { logout } from './session';
import { Admin } from './pages/Admin';
import { Cart } from './pages/Cart';
import { Catalog } from './pages/Catalog';
import { Checkout } from './pages/Checkout';
import { Order } from './pages/Order';
import { Orders } from './pages/Orders';
import { Product } from './pages/Product';
import { Register, SignIn } from './pages/SignIn';

function Page({ path }: { path: string }) {
  if (match('/', path)) return <Catalog />;
  let p = match('/products/:id', path);
  if (p) return <Product id={p.id!} />;
  if (match('/signin', path)) return <SignIn />;
  if (match('/register', path)) return <Register />;
  if (match('/cart', path)) return <Cart />;
  if (match('/checkout', path)) return <Checkout />;
  if (match('/orders', path)) return <Orders />;
  p = match('/orders/:id', path);
  if (p) return <Order id={p.id!} />;
  if (match('/admin', path)) return <Admin />;
  return (
    <section>
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        <Link to="/">Back to the catalog</Link>
      </p>
    </section>
  );
}

function CartLink() {
  const { signedIn } = useAccount();
  const { currency } = useCurrency();
  const [{ data }] = useQuery({ query: CartDocument, variables: { currency }, pause: !signedIn });
  const count = signedIn ? (data?.cart.itemCount ?? 0) : 0;
  // The link reads "Cart, 2 items" (an aria-label on the badge, a plain
  // span, would not be read out); the screen shows "Cart" and the badge.
  return (
    <Link to="/cart">
      Cart
      {count > 0 && (
        <span className="badge">
          <span className="visually-hidden">, </span>
          {count}
          <span className="visually-hidden">{count === 1 ? ' item' : ' items'}</span>
        </span>
      )}
    </Link>
  );
}

export function App() {
  const { path } = useLocation();
  const { signedIn, me, isAdmin } = useAccount();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  // After a navigation, focus the new page's heading (screen readers
  // announce it; the keyboard starts from there) and scroll to the top.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    window.scrollTo(0, 0);
    const h1 = main.current?.querySelector<HTMLElement>('h1');
    h1?.focus();
  }, [path]);

  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <div className="bar">
          <Link to="/" className="brand">
            virtual-store
          </Link>
          <nav aria-label="Main">
            <ul>
              <li>
                <Link to="/">Catalog</Link>
              </li>
              <li>
                <CartLink />
              </li>
              {signedIn && (
                <li>
                  <Link to="/orders">Orders</Link>
                </li>
              )}
              {isAdmin && (
                <li>
                  <Link to="/admin">Admin</Link>
                </li>
              )}
              {signedIn ? (
                <li>
                  <button
                    type="button"
                    className="link"
                    onClick={async () => {
                      await logout();
                      navigate('/');
                    }}
                  >
                    Sign out{me ? ` (${me.name})` : ''}
                  </button>
                </li>
              ) : (
                <li>
                  <Link to="/signin">Sign in</Link>
                </li>
              )}
            </ul>
          </nav>
          <CurrencyPicker />
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Page path={path} />
      </main>
      <footer className="site-footer">
        <p>A demonstration store: no real payments. Test cards are listed at checkout.</p>
      </footer>
    </>
  );
}
