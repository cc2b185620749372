-- Queries of the order service; `make generate` turns them into Go with sqlc.

-- ---------------------------------------------------------------- cart

-- name: CartLines :many
SELECT * FROM cart_lines WHERE user_id = @user_id ORDER BY added_at, product_id;

-- name: AddCartLine :one
-- Adding a product already in the cart adds to its quantity (capped at 100).
INSERT INTO cart_lines (user_id, product_id, quantity)
VALUES (@user_id, @product_id, @quantity)
ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = LEAST(cart_lines.quantity + EXCLUDED.quantity, 100)
RETURNING *;

-- name: SetCartLine :execrows
UPDATE cart_lines SET quantity = @quantity WHERE user_id = @user_id AND product_id = @product_id;

-- name: RemoveCartLine :execrows
DELETE FROM cart_lines WHERE user_id = @user_id AND product_id = @product_id;

-- name: ClearCart :exec
DELETE FROM cart_lines WHERE user_id = @user_id;

-- name: LockCart :many
-- Serializes checkouts of one user's cart.
SELECT * FROM cart_lines WHERE user_id = @user_id ORDER BY product_id FOR UPDATE;

-- ---------------------------------------------------------------- orders

-- name: InsertOrder :execrows
-- Zero rows: this user already checked out with this key.
INSERT INTO orders (id, user_id, idempotency_key, status, payment_status, currency, shipping_address, payment_token, saga_step)
VALUES (@id, @user_id, @idempotency_key, 'PENDING', 'NONE', @currency, @shipping_address, @payment_token, 'RESERVE')
ON CONFLICT (user_id, idempotency_key) DO NOTHING;

-- name: OrderByKey :one
SELECT * FROM orders WHERE user_id = @user_id AND idempotency_key = @idempotency_key;

-- name: InsertOrderLine :exec
INSERT INTO order_lines (order_id, product_id, quantity) VALUES (@order_id, @product_id, @quantity);

-- name: OrderByID :one
SELECT * FROM orders WHERE id = @id;

-- name: OrdersByIDs :many
SELECT * FROM orders WHERE id = ANY(@ids::uuid[]);

-- name: LockOrder :one
-- The saga's mutual exclusion: a step runs while holding this row lock, so
-- two workers never run one order's step at once; a crash releases it.
SELECT * FROM orders WHERE id = @id FOR UPDATE SKIP LOCKED;

-- name: LockOrderWait :one
SELECT * FROM orders WHERE id = @id FOR UPDATE;

-- name: OrderLines :many
SELECT * FROM order_lines WHERE order_id = @order_id ORDER BY product_id;

-- name: OrderLinesForOrders :many
SELECT * FROM order_lines WHERE order_id = ANY(@order_ids::uuid[]) ORDER BY order_id, product_id;

-- name: SetLinePrice :exec
UPDATE order_lines SET unit_amount = @unit_amount WHERE order_id = @order_id AND product_id = @product_id;

-- name: SetTotals :exec
UPDATE orders SET subtotal = @subtotal, total = @total, updated_at = now() WHERE id = @id;

-- name: SetStatus :exec
UPDATE orders SET status = @status, payment_status = @payment_status, failure_reason = @failure_reason,
    tracking_number = @tracking_number, payment_id = @payment_id, stock_committed = @stock_committed, updated_at = now()
WHERE id = @id;

-- name: SetSagaStep :exec
UPDATE orders SET saga_step = @saga_step, saga_attempts = 0, saga_next_at = now(), saga_error = '', updated_at = now()
WHERE id = @id;

-- name: ScheduleRetry :exec
UPDATE orders SET saga_attempts = saga_attempts + 1, saga_next_at = @next_at, saga_error = @error
WHERE id = @id;

-- name: DueOrders :many
-- Orders whose saga has a step due, oldest first.
SELECT id FROM orders WHERE saga_step <> 'DONE' AND saga_next_at <= now()
ORDER BY saga_next_at LIMIT @row_limit;

-- name: UserOrders :many
-- A user's orders, optionally of one status, newest first, after a keyset
-- cursor. Kept apart from AllOrders so that it always uses orders_user_idx
-- (an optional user_id in one query would not, under a generic plan).
SELECT * FROM orders
WHERE user_id = @user_id
  AND (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status')::text)
  AND (NOT @after::boolean OR (created_at, id) < (@after_time::timestamptz, @after_id::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @row_limit;

-- name: CountUserOrders :one
SELECT count(*) FROM orders
WHERE user_id = @user_id AND (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status')::text);

-- name: AllOrders :many
-- Every order (admins), optionally of one status, newest first.
SELECT * FROM orders
WHERE (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status')::text)
  AND (NOT @after::boolean OR (created_at, id) < (@after_time::timestamptz, @after_id::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @row_limit;

-- name: CountOrders :one
SELECT count(*) FROM orders WHERE (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status')::text);

-- name: CountOrdersByStatus :many
-- Orders per status (the orders{status} gauge, read at every scrape).
SELECT status, count(*) AS orders FROM orders GROUP BY status;

-- ---------------------------------------------------------------- history and events

-- name: RecordStatus :one
-- A status change's history entry, its outbox event and the NOTIFY of that
-- event (with its id) in one round trip; the notification is delivered
-- when the transaction commits, never before.
WITH history AS (
  INSERT INTO order_status_history (order_id, from_status, to_status, payment_status, actor, note)
  VALUES (@order_id, @from_status, @to_status, @payment_status, @actor, @note)
), event AS (
  INSERT INTO outbox (topic, aggregate_id, payload) VALUES (@topic, @order_id, @payload) RETURNING id
)
SELECT event.id, pg_notify('order_events', jsonb_set(@payload::jsonb, '{eventId}', to_jsonb(event.id))::text) IS NOT NULL AS notified
FROM event;

-- name: HistoryForOrders :many
-- The status histories of a batch of orders (a page, an entity request).
SELECT * FROM order_status_history WHERE order_id = ANY(@order_ids::uuid[]) ORDER BY order_id, id;

-- name: LastEventID :one
SELECT coalesce(max(id), 0)::bigint FROM outbox;

-- name: EventsAfter :many
SELECT * FROM outbox WHERE id > @after_id ORDER BY id LIMIT @row_limit;

-- name: ForgetPaymentToken :exec
-- Once the charge has a final outcome the card token is of no more use:
-- it is not kept.
UPDATE orders SET payment_token = '' WHERE id = @id;
