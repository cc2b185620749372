import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { useAccount } from '../account';
import { useCurrency } from '../currency';
import { BusyButton, Field, FormErrors, RequestError, errorFor, unclaimed, type FieldError } from '../forms';
import { CartDocument, RemoveFromCartDocument, UpdateCartLineDocument, type CartFieldsFragment } from '../gql/graphql';
import { Link } from '../router';
import { SignInFirst } from './SignInFirst';

type Line = CartFieldsFragment['lines'][number];

function CartLine({ line }: { line: Line }) {
  const [quantity, setQuantity] = useState(String(line.quantity));
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [updated, update] = useMutation(UpdateCartLineDocument);
  const [removed, remove] = useMutation(RemoveFromCartDocument);
  const p = line.product;
  useEffect(() => setQuantity(String(line.quantity)), [line.quantity]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const n = Number(quantity);
    if (!Number.isInteger(n) || n < 0) {
      setErrors([{ code: 'INVALID_INPUT', field: ['input', 'quantity'], message: 'Enter a whole number (0 removes the product).' }]);
      return;
    }
    const res = await update({ input: { productId: p.id, quantity: n } });
    setErrors(res.data?.updateCartLine.userErrors ?? []);
  };
  const drop = async () => {
    const res = await remove({ productId: p.id });
    setErrors(res.data?.removeFromCart.userErrors ?? []);
  };

  return (
    <li className="line">
      <div className="thumb small">{p.images[0] && <img src={p.images[0].url} alt="" width={80} height={80} />}</div>
      <div className="line-main">
        <h2>
          <Link to={`/products/${encodeURIComponent(p.id)}`}>{p.name}</Link>
        </h2>
        <p>{line.unitPrice ? `${line.unitPrice.formatted} each` : 'Not sold in this currency any more'}</p>
        {!line.available && <p className="stock out">Only {p.availableQuantity} available now: lower the quantity to check out.</p>}
        <form className="inline-form" onSubmit={submit} noValidate>
          <Field
            label={`Quantity of ${p.name}`}
            type="number"
            inputMode="numeric"
            min={0}
            value={quantity}
            onChange={(e) => setQuantity(e.target.value)}
            error={errorFor(errors, 'input.quantity')}
            className="qty"
          />
          <BusyButton type="submit" busy={updated.fetching}>
            Update
          </BusyButton>
          <BusyButton type="button" className="secondary" onClick={drop} busy={removed.fetching} aria-label={`Remove ${p.name} from the cart`}>
            Remove
          </BusyButton>
        </form>
        <FormErrors errors={unclaimed(errors, ['input.quantity'])} />
        <RequestError error={updated.error ?? removed.error} />
      </div>
      <p className="line-total">{line.lineTotal?.formatted ?? '—'}</p>
    </li>
  );
}

export function Cart() {
  const { signedIn } = useAccount();
  const { currency } = useCurrency();
  const [{ data, fetching, error }] = useQuery({ query: CartDocument, variables: { currency }, pause: !signedIn, requestPolicy: 'cache-and-network' });
  useEffect(() => {
    document.title = 'Cart · virtual-store';
  }, []);
  if (!signedIn) return <SignInFirst title="Your cart" />;

  const cart = data?.cart;
  const ready = cart && cart.lines.length > 0 && cart.lines.every((l) => l.available && l.unitPrice);
  return (
    <section>
      <h1 tabIndex={-1}>Your cart</h1>
      <RequestError error={error} />
      {!cart && fetching && <p role="status">Loading…</p>}
      {cart && cart.lines.length === 0 && (
        <p>
          Your cart is empty. <Link to="/">Browse the catalog</Link>
        </p>
      )}
      {cart && cart.lines.length > 0 && (
        <>
          <ul className="lines">
            {cart.lines.map((l) => (
              <CartLine key={l.product.id} line={l} />
            ))}
          </ul>
          <p className="subtotal">
            Subtotal ({cart.itemCount} {cart.itemCount === 1 ? 'item' : 'items'}): <strong>{cart.subtotal.formatted}</strong>
          </p>
          {ready ? (
            <p>
              <Link to="/checkout" className="button">
                Check out
              </Link>
            </p>
          ) : (
            <p>Some products cannot be ordered as they are: change them to check out.</p>
          )}
        </>
      )}
    </section>
  );
}
