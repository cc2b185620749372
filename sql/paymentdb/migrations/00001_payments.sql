-- +goose Up
-- The mock payment gateway's ledger. The unique idempotency keys make every
-- request safe to retry: a repeat replays the stored outcome.

CREATE TABLE payments (
    id              text PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    -- SHA-256 of the request body: the same key with another body is refused.
    request_hash    text NOT NULL,
    amount          bigint NOT NULL CHECK (amount > 0),
    currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    source          text NOT NULL,
    reference       text NOT NULL,
    status          text NOT NULL CHECK (status IN ('succeeded', 'failed')),
    failure_code    text NOT NULL DEFAULT '',
    failure_message text NOT NULL DEFAULT '',
    -- The HTTP status the outcome was first answered with, replayed on repeats.
    http_status     integer NOT NULL,
    refunded_amount bigint NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (refunded_amount BETWEEN 0 AND amount),
    CHECK (status = 'succeeded' OR refunded_amount = 0)
);
CREATE INDEX payments_reference_idx ON payments (reference);

CREATE TABLE refunds (
    id              text PRIMARY KEY,
    payment_id      text NOT NULL REFERENCES payments (id),
    idempotency_key text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    request_hash    text NOT NULL,
    amount          bigint NOT NULL CHECK (amount > 0),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_payment_idx ON refunds (payment_id);

-- +goose Down
DROP TABLE refunds, payments;
