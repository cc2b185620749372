import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { useAccount } from '../account';
import { useCurrency } from '../currency';
import { BusyButton, Field, FormErrors, RequestError, errorFor, unclaimed, type FieldError } from '../forms';
import { CartDocument, CheckoutDocument, type ShippingAddressInput } from '../gql/graphql';
import { Link, navigate } from '../router';
import { failureText } from './status';
import { SignInFirst } from './SignInFirst';

// The mock payment gateway's test cards (paymentgw/gateway.go).
const cards = [
  { token: 'tok_visa', label: 'Visa (succeeds)' },
  { token: 'tok_mastercard', label: 'Mastercard (succeeds)' },
  { token: 'tok_chargeDeclined', label: 'Declined card' },
  { token: 'tok_insufficientFunds', label: 'Insufficient funds' },
  { token: 'tok_chargeDeclinedExpired', label: 'Expired card' },
  { token: 'tok_processingError', label: 'Processing error' },
];

/** A random UUID, also where crypto.randomUUID is missing (plain HTTP on a LAN address). */
function uuid(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const addressFields: { key: keyof ShippingAddressInput; label: string; autoComplete: string; required?: boolean; hint?: string }[] = [
  { key: 'fullName', label: 'Full name', autoComplete: 'name', required: true },
  { key: 'line1', label: 'Address', autoComplete: 'address-line1', required: true },
  { key: 'line2', label: 'Address line 2 (optional)', autoComplete: 'address-line2' },
  { key: 'postalCode', label: 'Postal code', autoComplete: 'postal-code', required: true },
  { key: 'city', label: 'City', autoComplete: 'address-level2', required: true },
  { key: 'region', label: 'Region (optional)', autoComplete: 'address-level1' },
  { key: 'country', label: 'Country code', autoComplete: 'country', required: true, hint: 'Two letters, e.g. DE, FR, US.' },
  { key: 'phone', label: 'Phone (optional)', autoComplete: 'tel' },
];

const empty: ShippingAddressInput = { fullName: '', line1: '', line2: '', city: '', postalCode: '', region: '', country: '', phone: '' };

export function Checkout() {
  const { signedIn, me } = useAccount();
  const { currency } = useCurrency();
  const [{ data }] = useQuery({ query: CartDocument, variables: { currency }, pause: !signedIn, requestPolicy: 'cache-and-network' });
  const [result, checkout] = useMutation(CheckoutDocument);
  const [address, setAddress] = useState<ShippingAddressInput>(empty);
  const [card, setCard] = useState('tok_visa');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [failedOrder, setFailedOrder] = useState<string | null>(null);
  // One key per attempt: resubmitting after a lost answer cannot charge twice.
  const [key, setKey] = useState(uuid);

  useEffect(() => {
    document.title = 'Checkout · virtual-store';
  }, []);
  // Prefill the default shipping address once it is known.
  const saved = me?.defaultShippingAddress;
  useEffect(() => {
    if (saved) setAddress((a) => (a.fullName || a.line1 ? a : { ...empty, ...saved }));
    else if (me) setAddress((a) => (a.fullName ? a : { ...a, fullName: me.name }));
  }, [saved, me]);

  if (!signedIn) return <SignInFirst title="Checkout" />;
  const cart = data?.cart;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFailedOrder(null);
    const res = await checkout(
      { input: { idempotencyKey: key, paymentToken: card, currency, shippingAddress: { ...address, country: (address.country ?? '').trim().toUpperCase() } } },
      // Checkout empties the cart (or restores it): its queries refetch.
      { additionalTypenames: ['Cart'] },
    );
    if (res.error) return; // network or authorization: the same key retries safely
    setKey(uuid());
    const payload = res.data?.checkout;
    const order = payload?.order;
    setErrors(payload?.userErrors ?? []);
    if (order && (payload?.userErrors.length ?? 0) === 0) {
      navigate(`/orders/${encodeURIComponent(order.id)}`);
    } else if (order) {
      setFailedOrder(order.id);
    }
  };

  const order = result.data?.checkout.order;
  // A refused card in the payment gateway's own words (the note of the
  // failing step), else the reason's; the userError's message (written for
  // API clients, with the reason's code) only when neither is known. That
  // the cart was restored is said below the form.
  const note = order?.history.findLast((h) => h.to === 'PAYMENT_FAILED')?.note;
  const decline = order?.failureReason ? note || failureText(order.failureReason) : undefined;
  const paymentError = decline || errorFor(errors, 'input.paymentToken');
  const claimed = ['input.paymentToken', ...addressFields.map((f) => `input.shippingAddress.${f.key}`)];

  return (
    <section>
      <h1 tabIndex={-1}>Checkout</h1>
      {cart && cart.lines.length === 0 && !failedOrder ? (
        <p>
          Your cart is empty. <Link to="/">Browse the catalog</Link>
        </p>
      ) : (
        <form className="checkout" onSubmit={submit} noValidate>
          <fieldset>
            <legend>Shipping address</legend>
            {addressFields.map((f) => (
              <Field
                key={f.key}
                label={f.label}
                autoComplete={f.autoComplete}
                required={f.required}
                hint={f.hint}
                value={address[f.key] ?? ''}
                onChange={(e) => setAddress({ ...address, [f.key]: e.target.value })}
                error={errorFor(errors, `input.shippingAddress.${f.key}`)}
              />
            ))}
          </fieldset>
          <fieldset aria-describedby={paymentError ? 'payment-error' : undefined}>
            <legend>Payment: test card</legend>
            {cards.map((c) => (
              <div className="field check" key={c.token}>
                <input type="radio" id={c.token} name="card" value={c.token} checked={card === c.token} onChange={() => setCard(c.token)} />
                <label htmlFor={c.token}>
                  {c.label} <code>{c.token}</code>
                </label>
              </div>
            ))}
            {paymentError && (
              <p className="error" id="payment-error" role="alert">
                {paymentError}
              </p>
            )}
          </fieldset>
          <div className="summary">
            <h2>Order summary</h2>
            <ul>
              {cart?.lines.map((l) => (
                <li key={l.product.id}>
                  {l.quantity} × {l.product.name} <span>{l.lineTotal?.formatted}</span>
                </li>
              ))}
            </ul>
            <p className="subtotal">
              Total: <strong>{cart?.subtotal.formatted ?? '…'}</strong> (prices include tax; free shipping)
            </p>
          </div>
          <FormErrors errors={unclaimed(errors, claimed)} />
          <RequestError error={result.error} />
          {failedOrder && (
            <p>
              The order was recorded as not paid and your cart was restored: <Link to={`/orders/${encodeURIComponent(failedOrder)}`}>see the order</Link>, or
              choose another card and pay again.
            </p>
          )}
          <BusyButton type="submit" busy={result.fetching} disabled={!cart || cart.lines.length === 0}>
            {result.fetching ? 'Paying…' : `Pay ${cart?.subtotal.formatted ?? ''}`}
          </BusyButton>
        </form>
      )}
    </section>
  );
}
