import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { useAccount } from '../account';
import { BusyButton, Field, FormErrors, RequestError, Select, errorFor, unclaimed, type FieldError } from '../forms';
import {
  AdjustStockDocument,
  AdminOrdersDocument,
  AdminStockDocument,
  MarkDeliveredDocument,
  MarkShippedDocument,
  StartFulfillmentDocument,
  type AdminOrdersQuery,
  type AdminStockQuery,
  type OrderStatus,
} from '../gql/graphql';
import { Link } from '../router';
import { SignInFirst } from './SignInFirst';
import { date, statusText } from './status';

const pageSize = 20;
type AdminOrder = AdminOrdersQuery['orders']['edges'][number]['node'];
type StockProduct = AdminStockQuery['products']['edges'][number]['node'];

function OrderRow({ order }: { order: AdminOrder }) {
  const [tracking, setTracking] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [fulfil, startFulfillment] = useMutation(StartFulfillmentDocument);
  const [ship, markShipped] = useMutation(MarkShippedDocument);
  const [deliver, markDelivered] = useMutation(MarkDeliveredDocument);
  const canShip = order.status === 'PAID' || order.status === 'FULFILLING';

  const submitShip = async (e: FormEvent) => {
    e.preventDefault();
    const res = await markShipped({ id: order.id, trackingNumber: tracking.trim() });
    setErrors(res.data?.markShipped.userErrors ?? []);
  };
  return (
    <li className="admin-row">
      <div>
        <Link to={`/orders/${encodeURIComponent(order.id)}`}>{order.id.slice(0, 8)}</Link> · {date(order.createdAt)} · {order.user.name}
        {order.user.email && ` <${order.user.email}>`} · <strong>{order.total.formatted}</strong> ·{' '}
        <span className={`status s-${order.status.toLowerCase()}`}>{statusText[order.status]}</span>
        {order.trackingNumber && ` · tracking ${order.trackingNumber}`}
      </div>
      <div className="actions">
        {order.status === 'PAID' && (
          <BusyButton
            type="button"
            className="secondary"
            busy={fulfil.fetching}
            onClick={async () => setErrors((await startFulfillment({ id: order.id })).data?.startFulfillment.userErrors ?? [])}
          >
            Start packing
          </BusyButton>
        )}
        {canShip && (
          <form className="inline-form" onSubmit={submitShip} noValidate>
            <Field
              label={`Tracking number for order ${order.id.slice(0, 8)}`}
              value={tracking}
              onChange={(e) => setTracking(e.target.value)}
              error={errorFor(errors, 'trackingNumber')}
            />
            <BusyButton type="submit" busy={ship.fetching}>
              Ship
            </BusyButton>
          </form>
        )}
        {order.status === 'SHIPPED' && (
          <BusyButton
            type="button"
            className="secondary"
            busy={deliver.fetching}
            onClick={async () => setErrors((await markDelivered({ id: order.id })).data?.markDelivered.userErrors ?? [])}
          >
            Mark delivered
          </BusyButton>
        )}
      </div>
      <FormErrors errors={unclaimed(errors, ['trackingNumber'])} />
      <RequestError error={fulfil.error ?? ship.error ?? deliver.error} />
    </li>
  );
}

function AdminOrders() {
  const [status, setStatus] = useState<OrderStatus | ''>('PAID');
  const [after, setAfter] = useState<string | null>(null);
  const [{ data, error }] = useQuery({
    query: AdminOrdersDocument,
    variables: { first: pageSize, after, status: status || null },
    requestPolicy: 'cache-and-network',
  });
  const orders = data?.orders;
  return (
    <section aria-labelledby="admin-orders">
      <h2 id="admin-orders">Orders</h2>
      <Select
        label="Show orders"
        value={status}
        onChange={(e) => {
          setStatus(e.target.value as OrderStatus | '');
          setAfter(null);
        }}
      >
        <option value="">All</option>
        {(Object.keys(statusText) as OrderStatus[]).map((s) => (
          <option key={s} value={s}>
            {statusText[s]}
          </option>
        ))}
      </Select>
      <RequestError error={error} />
      {orders && <p role="status">{orders.totalCount === 1 ? '1 order' : `${orders.totalCount} orders`}</p>}
      <ul className="admin-list">
        {orders?.edges.map(({ node }) => (
          <OrderRow key={node.id} order={node} />
        ))}
      </ul>
      <Pager after={after} pageInfo={orders?.pageInfo} onPage={setAfter} />
    </section>
  );
}

function StockRow({ product }: { product: StockProduct }) {
  const [delta, setDelta] = useState('10');
  const [reason, setReason] = useState('delivery');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [done, setDone] = useState('');
  const [adjusted, adjust] = useMutation(AdjustStockDocument);
  const stock = adjusted.data?.adjustStock.product?.stock ?? product.stock;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone('');
    const n = Number(delta);
    if (!Number.isInteger(n) || n === 0) {
      setErrors([{ code: 'INVALID_INPUT', field: ['input', 'delta'], message: 'Enter a whole number of units (negative removes).' }]);
      return;
    }
    const res = await adjust({ input: { productId: product.id, delta: n, reason: reason.trim() } });
    const userErrors = res.data?.adjustStock.userErrors ?? [];
    setErrors(userErrors);
    if (!res.error && userErrors.length === 0) setDone(`${product.sku}: ${n > 0 ? 'added' : 'removed'} ${Math.abs(n)}.`);
  };
  return (
    <li className="admin-row">
      <div>
        <strong>{product.sku}</strong> {product.name} · on hand {stock?.onHand ?? '?'}, reserved {stock?.reserved ?? '?'}, available{' '}
        {stock?.available ?? product.availableQuantity}
      </div>
      <form className="inline-form" onSubmit={submit} noValidate>
        <Field
          label={`Units to add to ${product.sku}`}
          type="number"
          inputMode="numeric"
          value={delta}
          onChange={(e) => setDelta(e.target.value)}
          error={errorFor(errors, 'input.delta')}
          className="qty"
        />
        <Field label={`Reason for ${product.sku}`} value={reason} onChange={(e) => setReason(e.target.value)} error={errorFor(errors, 'input.reason')} />
        <BusyButton type="submit" busy={adjusted.fetching}>
          Restock
        </BusyButton>
      </form>
      <FormErrors errors={unclaimed(errors, ['input.delta', 'input.reason'])} />
      <RequestError error={adjusted.error} />
      <p role="status" className="notice">
        {done}
      </p>
    </li>
  );
}

function AdminStock() {
  const [query, setQuery] = useState('');
  const [search, setSearch] = useState('');
  const [after, setAfter] = useState<string | null>(null);
  const [{ data, error }] = useQuery({ query: AdminStockDocument, variables: { first: pageSize, after, query: search || null }, requestPolicy: 'cache-and-network' });
  const products = data?.products;
  return (
    <section aria-labelledby="admin-stock">
      <h2 id="admin-stock">Stock</h2>
      <form
        role="search"
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setSearch(query.trim());
          setAfter(null);
        }}
      >
        <Field label="Find products" type="search" value={query} onChange={(e) => setQuery(e.target.value)} />
        <button type="submit">Find</button>
      </form>
      <RequestError error={error} />
      <ul className="admin-list">
        {products?.edges.map(({ node }) => (
          <StockRow key={node.id} product={node} />
        ))}
      </ul>
      <Pager after={after} pageInfo={products?.pageInfo} onPage={setAfter} />
    </section>
  );
}

export function Admin() {
  const { signedIn, me, isAdmin } = useAccount();
  useEffect(() => {
    document.title = 'Admin · virtual-store';
  }, []);
  if (!signedIn) return <SignInFirst title="Admin" />;
  if (!isAdmin) {
    return (
      <section>
        <h1 tabIndex={-1}>Admin</h1>
        <p>{me ? 'This page is for the store’s administrators.' : 'Loading…'}</p>
      </section>
    );
  }
  return (
    <section>
      <h1 tabIndex={-1}>Admin</h1>
      <AdminOrders />
      <AdminStock />
    </section>
  );
}

// Pager moves through a Relay connection a page at a time.
function Pager({ after, pageInfo, onPage }: {
  after: string | null;
  pageInfo?: { hasNextPage: boolean; endCursor?: string | null };
  onPage: (cursor: string | null) => void;
}) {
  return (
    <p className="more">
      {after && (
        <button type="button" className="secondary" onClick={() => onPage(null)}>
          First page
        </button>
      )}
      {pageInfo?.hasNextPage && (
        <button type="button" onClick={() => onPage(pageInfo.endCursor ?? null)}>
          Next page
        </button>
      )}
    </p>
  );
}
