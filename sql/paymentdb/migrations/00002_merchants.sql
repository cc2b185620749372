-- +goose Up
-- Every ledger row belongs to a merchant: the caller that created it, named
-- by its mTLS identity (e.g. spiffe://virtual-store/order). Idempotency keys
-- are scoped per merchant, so two callers that happen to choose the same key
-- get two independent payments instead of one replaying the other's outcome,
-- and no merchant can read or refund another's payments by guessing a key or
-- an id.

-- Every existing row was written by checkout, the gateway's only client so
-- far. The default labels those rows and is dropped at once: from now on a
-- row without a merchant is refused.
ALTER TABLE payments ADD COLUMN merchant text NOT NULL DEFAULT 'spiffe://virtual-store/order'
    CHECK (length(merchant) BETWEEN 1 AND 2048);
ALTER TABLE payments ALTER COLUMN merchant DROP DEFAULT;
ALTER TABLE refunds ADD COLUMN merchant text NOT NULL DEFAULT 'spiffe://virtual-store/order'
    CHECK (length(merchant) BETWEEN 1 AND 2048);
ALTER TABLE refunds ALTER COLUMN merchant DROP DEFAULT;

-- A key is unique within its merchant only; these indexes also serve the
-- lookups by key.
ALTER TABLE payments DROP CONSTRAINT payments_idempotency_key_key;
ALTER TABLE payments ADD CONSTRAINT payments_merchant_idempotency_key_key UNIQUE (merchant, idempotency_key);
ALTER TABLE refunds DROP CONSTRAINT refunds_idempotency_key_key;
ALTER TABLE refunds ADD CONSTRAINT refunds_merchant_idempotency_key_key UNIQUE (merchant, idempotency_key);

-- (merchant, id) is unique because id is; the constraint is there for the
-- foreign key, which makes a refund recorded under another merchant than its
-- payment's impossible in the database itself, not only in the queries.
ALTER TABLE payments ADD CONSTRAINT payments_merchant_id_key UNIQUE (merchant, id);
ALTER TABLE refunds DROP CONSTRAINT refunds_payment_id_fkey;
ALTER TABLE refunds ADD CONSTRAINT refunds_merchant_payment_fkey
    FOREIGN KEY (merchant, payment_id) REFERENCES payments (merchant, id);

-- Lookups by reference are a merchant's own too.
DROP INDEX payments_reference_idx;
CREATE INDEX payments_merchant_reference_idx ON payments (merchant, reference);

-- +goose Down
-- Fails if two merchants used the same idempotency key: the global keys
-- cannot hold both rows, and which one to give up is not a migration's call.
DROP INDEX payments_merchant_reference_idx;
CREATE INDEX payments_reference_idx ON payments (reference);
ALTER TABLE refunds DROP CONSTRAINT refunds_merchant_payment_fkey;
ALTER TABLE refunds ADD CONSTRAINT refunds_payment_id_fkey FOREIGN KEY (payment_id) REFERENCES payments (id);
ALTER TABLE payments DROP CONSTRAINT payments_merchant_id_key;
ALTER TABLE refunds DROP CONSTRAINT refunds_merchant_idempotency_key_key;
ALTER TABLE refunds ADD CONSTRAINT refunds_idempotency_key_key UNIQUE (idempotency_key);
ALTER TABLE payments DROP CONSTRAINT payments_merchant_idempotency_key_key;
ALTER TABLE payments ADD CONSTRAINT payments_idempotency_key_key UNIQUE (idempotency_key);
ALTER TABLE refunds DROP COLUMN merchant;
ALTER TABLE payments DROP COLUMN merchant;
