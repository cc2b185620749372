-- +goose Up
-- Carts, orders with the state of their checkout saga, the status history,
-- and the outbox of order events.

CREATE TABLE cart_lines (
    user_id    text NOT NULL,
    product_id uuid NOT NULL,
    quantity   integer NOT NULL CHECK (quantity BETWEEN 1 AND 100),
    added_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, product_id)
);

CREATE TABLE orders (
    id               uuid PRIMARY KEY,
    user_id          text NOT NULL,
    -- The client's key for this checkout: the same key returns the same order.
    idempotency_key  text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    status           text NOT NULL CHECK (status IN ('PENDING', 'AWAITING_PAYMENT', 'PAID', 'FULFILLING',
                         'SHIPPED', 'DELIVERED', 'CANCELLED', 'PAYMENT_FAILED', 'REFUNDED')),
    payment_status   text NOT NULL CHECK (payment_status IN ('NONE', 'PENDING', 'CAPTURED', 'DECLINED', 'FAILED', 'REFUNDED')),
    currency         text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    subtotal         bigint NOT NULL DEFAULT 0 CHECK (subtotal >= 0),
    total            bigint NOT NULL DEFAULT 0 CHECK (total >= 0),
    shipping_address jsonb NOT NULL,
    payment_token    text NOT NULL,
    payment_id       text NOT NULL DEFAULT '',
    tracking_number  text NOT NULL DEFAULT '',
    failure_reason   text NOT NULL DEFAULT '',
    -- The checkout saga: the next step to run, and when. A worker resumes
    -- every order whose step is not DONE, so a crash at any point only delays.
    saga_step        text NOT NULL CHECK (saga_step IN ('RESERVE', 'CHARGE', 'COMMIT', 'RELEASE', 'REFUND', 'RETURN_STOCK', 'DONE')),
    saga_attempts    integer NOT NULL DEFAULT 0,
    saga_next_at     timestamptz NOT NULL DEFAULT now(),
    saga_error       text NOT NULL DEFAULT '',
    -- True once the reservation was committed (the goods left stock).
    stock_committed  boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, idempotency_key)
);
CREATE INDEX orders_saga_due_idx ON orders (saga_next_at) WHERE saga_step <> 'DONE';
CREATE INDEX orders_user_idx ON orders (user_id, created_at DESC, id DESC);
CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC);

CREATE TABLE order_lines (
    order_id    uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id  uuid NOT NULL,
    quantity    integer NOT NULL CHECK (quantity > 0),
    -- Captured when the stock was reserved; NULL before.
    unit_amount bigint CHECK (unit_amount >= 0),
    PRIMARY KEY (order_id, product_id)
);

CREATE TABLE order_status_history (
    id             bigserial PRIMARY KEY,
    order_id       uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_status    text,
    to_status      text NOT NULL,
    payment_status text NOT NULL,
    actor          text NOT NULL,
    note           text NOT NULL DEFAULT '',
    at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_status_history_order_idx ON order_status_history (order_id, id);

-- Every status change, written in the same transaction as the change itself
-- (a transactional outbox): consumers read it in id order and remember the
-- last id they handled; NOTIFY on channel order_events wakes them up.
CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    topic        text NOT NULL,
    aggregate_id uuid NOT NULL,
    payload      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_aggregate_idx ON outbox (aggregate_id, id);

-- +goose Down
DROP TABLE outbox, order_status_history, order_lines, orders, cart_lines;
