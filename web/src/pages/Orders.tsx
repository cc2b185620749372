import { useEffect, useState } from 'react';
import { useQuery } from 'urql';
import { useAccount } from '../account';
import { RequestError } from '../forms';
import { MyOrdersDocument } from '../gql/graphql';
import { Link } from '../router';
import { SignInFirst } from './SignInFirst';
import { date, statusText } from './status';

const pageSize = 10;

function OrdersPage({ after, last, onMore }: { after: string | null; last: boolean; onMore: (cursor: string) => void }) {
  const [{ data, fetching, error }] = useQuery({ query: MyOrdersDocument, variables: { first: pageSize, after }, requestPolicy: 'cache-and-network' });
  const orders = data?.me?.orders;
  return (
    <>
      {after === null && orders && (
        <p role="status">
          {orders.totalCount === 0 ? (
            <>
              No orders yet. <Link to="/">Browse the catalog</Link>
            </>
          ) : (
            `${orders.totalCount} ${orders.totalCount === 1 ? 'order' : 'orders'}`
          )}
        </p>
      )}
      {after === null && !orders && fetching && <p role="status">Loading…</p>}
      <RequestError error={error} />
      <ul className="orders">
        {orders?.edges.map(({ node: o }) => {
          const items = o.lines.reduce((n, l) => n + l.quantity, 0);
          return (
            <li key={o.id}>
              <Link to={`/orders/${encodeURIComponent(o.id)}`}>Order of {date(o.createdAt)}</Link>
              <span className={`status s-${o.status.toLowerCase()}`}>{statusText[o.status]}</span>
              <span>
                {items} {items === 1 ? 'item' : 'items'}: {o.lines.map((l) => l.product.name).join(', ')}
              </span>
              <strong>{o.total.formatted}</strong>
            </li>
          );
        })}
      </ul>
      {last && orders?.pageInfo.hasNextPage && orders.pageInfo.endCursor && (
        <p className="more">
          <button type="button" onClick={() => onMore(orders.pageInfo.endCursor!)}>
            Load more orders
          </button>
        </p>
      )}
    </>
  );
}

export function Orders() {
  const { signedIn } = useAccount();
  const [pages, setPages] = useState<(string | null)[]>([null]);
  useEffect(() => {
    document.title = 'Your orders · virtual-store';
  }, []);
  if (!signedIn) return <SignInFirst title="Your orders" />;
  return (
    <section>
      <h1 tabIndex={-1}>Your orders</h1>
      {pages.map((after, i) => (
        <OrdersPage key={after ?? ''} after={after} last={i === pages.length - 1} onMore={(c) => setPages([...pages, c])} />
      ))}
    </section>
  );
}
