import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { useAccount } from '../account';
import { useCurrency } from '../currency';
import { BusyButton, Field, FormErrors, RequestError, errorFor, unclaimed, type FieldError } from '../forms';
import { AddToCartDocument, ProductDocument } from '../gql/graphql';
import { Link } from '../router';

export function Product({ id }: { id: string }) {
  const { currency } = useCurrency();
  const { signedIn } = useAccount();
  const [{ data, fetching, error }] = useQuery({ query: ProductDocument, variables: { id, currency }, requestPolicy: 'cache-and-network' });
  const [added, add] = useMutation(AddToCartDocument);
  const [quantity, setQuantity] = useState('1');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [done, setDone] = useState('');
  const p = data?.product;

  useEffect(() => {
    document.title = `${p?.name ?? 'Product'} · virtual-store`;
  }, [p?.name]);

  if (!p) {
    return (
      <section>
        <h1 tabIndex={-1}>{fetching ? 'Loading…' : 'Product not found'}</h1>
        <RequestError error={error} />
        <p>
          <Link to="/">Back to the catalog</Link>
        </p>
      </section>
    );
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone('');
    const n = Number(quantity);
    if (!Number.isInteger(n) || n < 1) {
      setErrors([{ code: 'INVALID_INPUT', field: ['input', 'quantity'], message: 'Enter a whole number of at least 1.' }]);
      return;
    }
    const res = await add({ input: { productId: p.id, quantity: n, currency } });
    const userErrors = res.data?.addToCart.userErrors ?? [];
    setErrors(userErrors);
    if (!res.error && userErrors.length === 0) {
      setDone(`Added ${n} × ${p.name} to your cart.`);
    }
  };

  const breadcrumbs = p.category?.path ?? [];
  return (
    <article className="product">
      {breadcrumbs.length > 0 && (
        <nav aria-label="Breadcrumb" className="breadcrumbs">
          <ol>
            <li>
              <Link to="/">Catalog</Link>
            </li>
            {breadcrumbs.map((c) => (
              <li key={c.id}>
                <Link to={`/?category=${encodeURIComponent(c.id)}`}>{c.name}</Link>
              </li>
            ))}
          </ol>
        </nav>
      )}
      <div className="product-layout">
        <div className="gallery">
          {p.images.map((img, i) => (
            <img key={img.url} src={img.url} alt={img.altText ?? `${p.name}, picture ${i + 1}`} width={800} height={i === 0 ? 800 : 600} />
          ))}
        </div>
        <div className="details">
          <h1 tabIndex={-1}>{p.name}</h1>
          <p className="sku">SKU {p.sku}</p>
          <p className="price big">{p.price ? p.price.formatted : `Not sold in ${currency}`}</p>
          {p.prices.length > 1 && (
            <p className="other-prices">Also priced: {p.prices.filter((m) => m.currency !== currency).map((m) => m.formatted).join(', ')}</p>
          )}
          <p className={p.inStock ? 'stock in' : 'stock out'}>
            {!p.active ? 'No longer sold' : p.inStock ? `In stock: ${p.availableQuantity} available` : 'Out of stock'}
          </p>
          {p.active && p.inStock && p.price && (
            signedIn ? (
              <form className="add" onSubmit={submit} noValidate>
                <Field
                  label="Quantity"
                  type="number"
                  inputMode="numeric"
                  min={1}
                  max={p.availableQuantity}
                  value={quantity}
                  onChange={(e) => setQuantity(e.target.value)}
                  error={errorFor(errors, 'input.quantity')}
                />
                <FormErrors errors={unclaimed(errors, ['input.quantity'])} />
                <RequestError error={added.error} />
                <BusyButton type="submit" busy={added.fetching}>
                  {added.fetching ? 'Adding…' : 'Add to cart'}
                </BusyButton>
              </form>
            ) : (
              <p>
                <Link to={`/signin?next=${encodeURIComponent(`/products/${p.id}`)}`}>Sign in</Link> to add it to your cart.
              </p>
            )
          )}
          <p role="status" className="notice">
            {done && (
              <>
                {done} <Link to="/cart">View cart</Link>
              </>
            )}
          </p>
          <p className="description">{p.description}</p>
          {p.attributes.length > 0 && (
            <dl className="attributes">
              {p.attributes.map((a) => (
                <div key={a.name}>
                  <dt>{a.name}</dt>
                  <dd>{a.value}</dd>
                </div>
              ))}
            </dl>
          )}
        </div>
      </div>
    </article>
  );
}
