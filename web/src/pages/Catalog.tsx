import { useEffect, useState, type FormEvent } from 'react';
import { useQuery } from 'urql';
import { useCurrency } from '../currency';
import { RequestError, Select } from '../forms';
import { CatalogDocument, CategoriesDocument, type ProductSort } from '../gql/graphql';
import { Link, navigate, useLocation } from '../router';

const pageSize = 12;

const sorts: { value: ProductSort; label: string }[] = [
  { value: 'RELEVANCE', label: 'Relevance' },
  { value: 'NEWEST', label: 'Newest' },
  { value: 'NAME', label: 'Name' },
  { value: 'PRICE_ASC', label: 'Price: low to high' },
  { value: 'PRICE_DESC', label: 'Price: high to low' },
];

type Filters = { q: string; category: string; sort: ProductSort; inStock: boolean };

function readFilters(search: URLSearchParams): Filters {
  const sort = search.get('sort') as ProductSort | null;
  return {
    q: search.get('q') ?? '',
    category: search.get('category') ?? '',
    sort: sorts.some((s) => s.value === sort) ? sort! : 'RELEVANCE',
    inStock: search.get('stock') === '1',
  };
}

function writeFilters(f: Filters) {
  const s = new URLSearchParams();
  if (f.q) s.set('q', f.q);
  if (f.category) s.set('category', f.category);
  if (f.sort !== 'RELEVANCE') s.set('sort', f.sort);
  if (f.inStock) s.set('stock', '1');
  const qs = s.toString();
  navigate(qs ? `/?${qs}` : '/', { replace: true });
}

/** One page of results; the last page offers the next (Relay cursors). */
function ResultPage({ filters, after, last, onMore }: { filters: Filters; after: string | null; last: boolean; onMore: (cursor: string) => void }) {
  const { currency } = useCurrency();
  const [{ data, fetching, error }] = useQuery({
    query: CatalogDocument,
    variables: {
      first: pageSize,
      after,
      currency,
      sort: filters.sort,
      filter: { query: filters.q || null, categoryId: filters.category || null, inStock: filters.inStock || null },
    },
  });
  const products = data?.products;
  return (
    <>
      {after === null && (
        <p className="result-count" role="status">
          {products ? `${products.totalCount} ${products.totalCount === 1 ? 'product' : 'products'}` : fetching ? 'Loading…' : ''}
        </p>
      )}
      <RequestError error={error} />
      <ul className="grid">
        {products?.edges.map(({ node: p }) => (
          <li key={p.id} className="card">
            <div className="thumb">
              {p.images[0] && <img src={p.images[0].url} alt={p.images[0].altText ?? p.name} loading="lazy" width={400} height={400} />}
            </div>
            <h2>
              <Link to={`/products/${encodeURIComponent(p.id)}`}>{p.name}</Link>
            </h2>
            <p className="price">{p.price ? p.price.formatted : `Not sold in ${currency}`}</p>
            <p className={p.inStock ? 'stock in' : 'stock out'}>{p.inStock ? `In stock (${p.availableQuantity})` : 'Out of stock'}</p>
          </li>
        ))}
      </ul>
      {last && products?.pageInfo.hasNextPage && products.pageInfo.endCursor && (
        <p className="more">
          <button type="button" onClick={() => onMore(products.pageInfo.endCursor!)}>
            Load more products
          </button>
        </p>
      )}
    </>
  );
}

export function Catalog() {
  const { search } = useLocation();
  const filters = readFilters(search);
  const [query, setQuery] = useState(filters.q);
  const [{ data: cats }] = useQuery({ query: CategoriesDocument });
  const key = JSON.stringify(filters);
  // The cursors of the pages loaded so far; new filters start from the first.
  const [loaded, setLoaded] = useState<{ key: string; pages: (string | null)[] }>({ key, pages: [null] });
  const pages = loaded.key === key ? loaded.pages : [null];

  useEffect(() => {
    document.title = 'Catalog · virtual-store';
  }, []);
  // Back and forward change the URL's query: show it in the box.
  useEffect(() => setQuery(filters.q), [filters.q]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    writeFilters({ ...filters, q: query.trim() });
  };

  return (
    <section>
      <h1 tabIndex={-1}>Catalog</h1>
      <form className="filters" role="search" onSubmit={submit}>
        <div className="field search">
          <label htmlFor="q">Search products</label>
          <div className="inline">
            <input id="q" type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="e.g. headphones" />
            <button type="submit">Search</button>
          </div>
        </div>
        <Select label="Category" value={filters.category} onChange={(e) => writeFilters({ ...filters, category: e.target.value })}>
          <option value="">All categories</option>
          {cats?.categories.map((c) => [
            <option key={c.id} value={c.id}>
              {c.name}
            </option>,
            ...c.children.map((child) => (
              <option key={child.id} value={child.id}>
                {`\u2003${child.name}`}
              </option>
            )),
          ])}
        </Select>
        <Select label="Sort by" value={filters.sort} onChange={(e) => writeFilters({ ...filters, sort: e.target.value as ProductSort })}>
          {sorts.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </Select>
        <div className="field check">
          <input id="in-stock" type="checkbox" checked={filters.inStock} onChange={(e) => writeFilters({ ...filters, inStock: e.target.checked })} />
          <label htmlFor="in-stock">In stock only</label>
        </div>
      </form>
      {pages.map((after, i) => (
        <ResultPage key={`${key}:${after ?? ''}`} filters={filters} after={after} last={i === pages.length - 1} onMore={(c) => setLoaded({ key, pages: [...pages, c] })} />
      ))}
    </section>
  );
}
