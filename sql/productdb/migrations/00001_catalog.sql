-- +goose Up
-- The product catalog: a category tree, products with full-text search,
-- multi-currency prices with their history, stock levels and reservations.

CREATE TABLE categories (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    parent_id   uuid REFERENCES categories (id) ON DELETE RESTRICT,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 80),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '',
    position    integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS DISTINCT FROM id)
);
CREATE INDEX categories_parent_idx ON categories (parent_id);

CREATE TABLE products (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    sku         text NOT NULL UNIQUE CHECK (sku ~ '^[A-Z0-9][A-Z0-9-]{1,63}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
    category_id uuid REFERENCES categories (id) ON DELETE RESTRICT,
    -- [{"url": "...", "altText": "..."}], in display order.
    images      jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(images) = 'array'),
    -- {"colour": "red", ...}: free-form string attributes.
    attributes  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    search      tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', sku), 'A') ||
        setweight(to_tsvector('english', name), 'A') ||
        setweight(to_tsvector('english', description), 'B')
    ) STORED
);
CREATE INDEX products_search_idx ON products USING gin (search);
CREATE INDEX products_category_idx ON products (category_id);
CREATE INDEX products_newest_idx ON products (created_at DESC, id DESC);
CREATE INDEX products_name_idx ON products (name, id);

-- The current price of a product per currency, in minor units.
CREATE TABLE product_prices (
    product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    currency   text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount     bigint NOT NULL CHECK (amount >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (product_id, currency)
);
CREATE INDEX product_prices_sort_idx ON product_prices (currency, amount, product_id);

-- Every price change, for audits and for customers' "was" prices.
CREATE TABLE price_changes (
    id         bigserial PRIMARY KEY,
    product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    currency   text NOT NULL,
    old_amount bigint,
    new_amount bigint NOT NULL,
    changed_by text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX price_changes_product_idx ON price_changes (product_id, changed_at DESC, id DESC);

-- Units physically on hand and units promised to unfinished orders. The CHECKs
-- are the last line of defence against overselling: no code path can make
-- reserved exceed on_hand, whatever the interleaving.
CREATE TABLE stock (
    product_id uuid PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    on_hand    integer NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved   integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (reserved <= on_hand)
);

-- An append-only ledger of every stock change, for audits and reconciliation.
CREATE TABLE stock_movements (
    id             bigserial PRIMARY KEY,
    product_id     uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    kind           text NOT NULL CHECK (kind IN ('ADJUSTED', 'RESERVED', 'RELEASED', 'COMMITTED', 'EXPIRED')),
    on_hand_delta  integer NOT NULL,
    reserved_delta integer NOT NULL,
    reference      text NOT NULL,
    reason         text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stock_movements_product_idx ON stock_movements (product_id, id DESC);

CREATE TYPE reservation_status AS ENUM ('ACTIVE', 'COMMITTED', 'RELEASED', 'EXPIRED');

-- One reservation per order. A release that arrives before its reserve leaves
-- a RELEASED row with no lines (a tombstone), so the late reserve is refused
-- instead of holding stock for an order that was already given up.
CREATE TABLE reservations (
    order_id   text PRIMARY KEY CHECK (length(order_id) BETWEEN 1 AND 128),
    status     reservation_status NOT NULL,
    currency   text NOT NULL DEFAULT '',
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reservations_expiry_idx ON reservations (expires_at) WHERE status = 'ACTIVE';

CREATE TABLE reservation_lines (
    order_id    text NOT NULL REFERENCES reservations (order_id) ON DELETE CASCADE,
    product_id  uuid NOT NULL REFERENCES products (id),
    quantity    integer NOT NULL CHECK (quantity > 0),
    -- The unit price when the stock was reserved: what the order is charged.
    unit_amount bigint NOT NULL CHECK (unit_amount >= 0),
    PRIMARY KEY (order_id, product_id)
);

-- Everything a product page shows, in one row: its stock and its prices in
-- every currency (parallel arrays ordered by currency).
CREATE VIEW product_view AS
SELECT p.id, p.sku, p.name, p.description, p.category_id, p.images, p.attributes,
       p.active, p.created_at, p.updated_at,
       s.on_hand, s.reserved,
       ARRAY(SELECT pp.currency FROM product_prices pp WHERE pp.product_id = p.id ORDER BY pp.currency)::text[] AS price_currencies,
       ARRAY(SELECT pp.amount FROM product_prices pp WHERE pp.product_id = p.id ORDER BY pp.currency)::bigint[] AS price_amounts
FROM products p
JOIN stock s ON s.product_id = p.id;

-- +goose Down
DROP VIEW product_view;
DROP TABLE reservation_lines, reservations, stock_movements, stock, price_changes, product_prices, products, categories;
DROP TYPE reservation_status;
