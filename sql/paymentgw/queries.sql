-- Queries of the mock payment gateway; `make generate` turns them into Go.

-- name: InsertPayment :one
-- Zero rows when the idempotency key exists: a concurrent request with the
-- same key waits on the unique index, then finds the first one's row.
INSERT INTO payments (id, idempotency_key, request_hash, amount, currency, source, reference,
                      status, failure_code, failure_message, http_status)
VALUES (@id, @idempotency_key, @request_hash, @amount, @currency, @source, @reference,
        @status, @failure_code, @failure_message, @http_status)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING *;

-- name: PaymentByKey :one
SELECT * FROM payments WHERE idempotency_key = @idempotency_key;

-- name: PaymentByID :one
SELECT * FROM payments WHERE id = @id;

-- name: LockPayment :one
SELECT * FROM payments WHERE id = @id FOR UPDATE;

-- name: InsertRefund :one
INSERT INTO refunds (id, payment_id, idempotency_key, request_hash, amount)
VALUES (@id, @payment_id, @idempotency_key, @request_hash, @amount)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING *;

-- name: RefundByKey :one
SELECT * FROM refunds WHERE idempotency_key = @idempotency_key;

-- name: AddRefunded :exec
UPDATE payments SET refunded_amount = refunded_amount + @amount WHERE id = @id;

-- name: PaymentsByReference :many
SELECT * FROM payments WHERE reference = @reference ORDER BY created_at;

-- name: PaymentTotals :one
-- What the gateway has captured and refunded, for reconciliation in tests and ops.
SELECT count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       coalesce(sum(amount) FILTER (WHERE status = 'succeeded'), 0)::bigint AS captured,
       coalesce(sum(refunded_amount), 0)::bigint AS refunded
FROM payments;
