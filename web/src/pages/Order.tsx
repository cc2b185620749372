import { useEffect, useState } from 'react';
import { useMutation, useQuery, useSubscription, type TypedDocumentNode } from 'urql';
import { useAccount } from '../account';
import { BusyButton, FormErrors, RequestError } from '../forms';
import { CancelOrderDocument, OrderDocument, type OrderStatusFieldsFragment } from '../gql/graphql';
import { liveDocument } from '../gql/live';
import { Link } from '../router';
import { SignInFirst } from './SignInFirst';
import { date, failureText, finalStatuses, paymentText, statusText } from './status';

// The live status: the OrderStatusChanged subscription (graphql-ws), once
// code generation has it (web/src/graphql-live/, generated when the schema
// has Subscription.orderStatusChanged). Without it, until its first event,
// or while it fails, the page re-queries the order every few seconds until
// the order is final.
type Live = { orderStatusChanged: OrderStatusFieldsFragment };
// Paused (never sent) while liveDocument is undefined.
const liveQuery = (liveDocument ?? OrderDocument) as unknown as TypedDocumentNode<Live, { orderId: string }>;
const pollEvery = 4000;

export function Order({ id }: { id: string }) {
  const { signedIn } = useAccount();
  const [{ data, fetching, error }, refetch] = useQuery({ query: OrderDocument, variables: { id }, pause: !signedIn });
  const [{ data: live, error: liveError }] = useSubscription({ query: liveQuery, variables: { orderId: id }, pause: !signedIn || !liveDocument });
  const [cancelled, cancel] = useMutation(CancelOrderDocument);
  const order = data?.order;
  // The newest of what the query, the subscription and a cancellation said.
  const current = [order, live?.orderStatusChanged, cancelled.data?.cancelOrder.order]
    .filter((o): o is OrderStatusFieldsFragment => !!o)
    .reduce<OrderStatusFieldsFragment | undefined>((a, b) => (!a || Date.parse(b.updatedAt) >= Date.parse(a.updatedAt) ? b : a), undefined);
  const final = current ? finalStatuses.includes(current.status) : false;
  // Poll until the subscription has delivered (it sends the order's state
  // first), and again whenever it fails.
  const streaming = !!liveDocument && !liveError && !!live;
  const polling = signedIn && !!order && !final && !streaming;
  const [announce, setAnnounce] = useState('');

  useEffect(() => {
    document.title = 'Order · virtual-store';
  }, []);
  useEffect(() => {
    if (!polling) return;
    const t = setInterval(() => refetch({ requestPolicy: 'network-only' }), pollEvery);
    return () => clearInterval(t);
  }, [polling, refetch]);
  // Announce status changes after the first one shown.
  const status = current?.status;
  const [seen, setSeen] = useState<string | undefined>(undefined);
  useEffect(() => {
    if (!status) return;
    if (seen && seen !== status) setAnnounce(`The order is now ${statusText[status].toLowerCase()}.`);
    setSeen(status);
  }, [status, seen]);

  if (!signedIn) return <SignInFirst title="Order" />;
  if (!order || !current) {
    return (
      <section>
        <h1 tabIndex={-1}>{fetching ? 'Loading…' : 'Order not found'}</h1>
        <RequestError error={error} />
        <p>
          <Link to="/orders">Your orders</Link>
        </p>
      </section>
    );
  }
  const cancellable = current.status === 'PAID' || current.status === 'FULFILLING';
  const a = order.shippingAddress;
  return (
    <section className="order">
      <h1 tabIndex={-1}>Order of {date(order.createdAt)}</h1>
      <p className="order-id">Order number {order.id}</p>
      <div className="status-panel">
        <p>
          Status: <strong className={`status s-${current.status.toLowerCase()}`} data-testid="order-status">{statusText[current.status]}</strong>
        </p>
        <p>Payment: {paymentText[current.paymentStatus]}</p>
        {current.trackingNumber && <p>Tracking number: {current.trackingNumber}</p>}
        {current.failureReason && <p>{failureText(current.failureReason)}</p>}
        <p className="hint">
          {final ? 'This order is complete.' : streaming ? 'Status updates live.' : `Status checked every ${pollEvery / 1000} seconds.`}
        </p>
        <p role="status" className="notice">
          {announce}
        </p>
      </div>
      <h2>Products</h2>
      <ul className="lines compact">
        {order.lines.map((l) => (
          <li key={l.product.id}>
            {l.quantity} × <Link to={`/products/${encodeURIComponent(l.product.id)}`}>{l.product.name}</Link> <span>{l.lineTotal?.formatted}</span>
          </li>
        ))}
      </ul>
      <p className="subtotal">
        Total: <strong>{order.total.formatted}</strong>
      </p>
      <h2>Shipping to</h2>
      <address>
        {a.fullName}
        <br />
        {a.line1}
        {a.line2 && (
          <>
            <br />
            {a.line2}
          </>
        )}
        <br />
        {a.postalCode} {a.city}
        {a.region && `, ${a.region}`}
        <br />
        {a.country}
      </address>
      <h2>History</h2>
      <ol className="history">
        {current.history.map((h, i) => (
          <li key={i}>
            <time dateTime={h.at}>{date(h.at)}</time>: {statusText[h.to]}
            {h.note && ` — ${h.note}`}
          </li>
        ))}
      </ol>
      {cancellable && (
        <p>
          <BusyButton type="button" className="secondary" busy={cancelled.fetching} onClick={() => void cancel({ id: order.id, reason: 'cancelled in the storefront' })}>
            Cancel this order
          </BusyButton>
        </p>
      )}
      <FormErrors errors={cancelled.data?.cancelOrder.userErrors ?? []} />
      <RequestError error={cancelled.error} />
    </section>
  );
}
