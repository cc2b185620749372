-- Queries of the mock payment gateway; `make generate` turns them into Go.
--
-- Every row belongs to a merchant (the caller), and every query that finds
-- rows names it: a merchant never sees or touches another's payments, whose
-- ids and keys answer exactly like unknown ones.

-- name: InsertPayment :one
-- Zero rows when the merchant already used the idempotency key: a concurrent
-- request with the same key waits on the unique index, then finds the first
-- one's row.
INSERT INTO payments (id, merchant, idempotency_key, request_hash, amount, currency, source, reference,
                      status, failure_code, failure_message, http_status)
VALUES (@id, @merchant, @idempotency_key, @request_hash, @amount, @currency, @source, @reference,
        @status, @failure_code, @failure_message, @http_status)
ON CONFLICT (merchant, idempotency_key) DO NOTHING
RETURNING *;

-- name: PaymentByKey :one
SELECT * FROM payments WHERE merchant = @merchant AND idempotency_key = @idempotency_key;

-- name: PaymentByID :one
SELECT * FROM payments WHERE merchant = @merchant AND id = @id;

-- name: LockPayment :one
SELECT * FROM payments WHERE merchant = @merchant AND id = @id FOR UPDATE;

-- name: InsertRefund :one
INSERT INTO refunds (id, merchant, payment_id, idempotency_key, request_hash, amount)
VALUES (@id, @merchant, @payment_id, @idempotency_key, @request_hash, @amount)
ON CONFLICT (merchant, idempotency_key) DO NOTHING
RETURNING *;

-- name: RefundByKey :one
SELECT * FROM refunds WHERE merchant = @merchant AND idempotency_key = @idempotency_key;

-- name: AddRefunded :exec
-- Runs on the row LockPayment found and locked for the merchant, in the same
-- transaction.
UPDATE payments SET refunded_amount = refunded_amount + @amount WHERE merchant = @merchant AND id = @id;

-- name: PaymentsByReference :many
SELECT * FROM payments WHERE merchant = @merchant AND reference = @reference ORDER BY created_at;

-- name: PaymentTotals :one
-- What the gateway has captured and refunded for one merchant, for
-- reconciliation in tests and ops: a merchant reconciles its own orders
-- against its own share of the ledger, and others' volumes are none of its
-- business.
SELECT count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       coalesce(sum(amount) FILTER (WHERE status = 'succeeded'), 0)::bigint AS captured,
       coalesce(sum(refunded_amount), 0)::bigint AS refunded
FROM payments
WHERE merchant = @merchant;
