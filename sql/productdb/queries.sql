-- Queries of the product service; `make generate` turns them into Go with sqlc.

-- ---------------------------------------------------------------- products

-- name: ProductsByIDs :many
-- One query for any number of ids: federation entity batches and loaders.
SELECT * FROM product_view WHERE id = ANY(@ids::uuid[]);

-- name: ProductBySKU :one
SELECT * FROM product_view WHERE sku = @sku;

-- name: SearchProducts :many
-- Filters, full-text relevance, one of five sort orders and keyset pagination
-- in one statement. The sort order is a parameter, so ORDER BY and the keyset
-- condition pick their key with CASE; every order ends with the id to be total.
-- total counts every match (before the keyset and the limit) for totalCount.
WITH matches AS (
    SELECT v.id, v.name, v.created_at, pr.amount AS price,
           CASE WHEN sqlc.narg('query')::text IS NULL THEN 0::float8
                ELSE ts_rank(p.search, websearch_to_tsquery('english', sqlc.narg('query')::text))::float8
           END AS rank,
           count(*) OVER () AS total
    FROM product_view v
    JOIN products p ON p.id = v.id
    JOIN product_prices pr ON pr.product_id = v.id AND pr.currency = @currency::text
    WHERE (@include_inactive::boolean OR v.active)
      AND (sqlc.narg('query')::text IS NULL OR p.search @@ websearch_to_tsquery('english', sqlc.narg('query')::text))
      AND (sqlc.narg('category_ids')::uuid[] IS NULL OR v.category_id = ANY(sqlc.narg('category_ids')::uuid[]))
      AND (sqlc.narg('min_price')::bigint IS NULL OR pr.amount >= sqlc.narg('min_price')::bigint)
      AND (sqlc.narg('max_price')::bigint IS NULL OR pr.amount <= sqlc.narg('max_price')::bigint)
      AND (NOT @in_stock_only::boolean OR v.on_hand - v.reserved > 0)
)
SELECT sqlc.embed(product_view), m.price, m.rank, m.total
FROM matches m
JOIN product_view ON product_view.id = m.id
WHERE NOT @after::boolean OR CASE @sort::text
    WHEN 'NAME'       THEN (m.name, m.id) > (@after_text::text, @after_id::uuid)
    WHEN 'NEWEST'     THEN (m.created_at, m.id) < (@after_time::timestamptz, @after_id::uuid)
    WHEN 'PRICE_ASC'  THEN (m.price, m.id) > (@after_int::bigint, @after_id::uuid)
    WHEN 'PRICE_DESC' THEN (m.price, m.id) < (@after_int::bigint, @after_id::uuid)
    ELSE                   (m.rank, m.id) < (@after_float::float8, @after_id::uuid)
END
ORDER BY
    CASE WHEN @sort::text = 'NAME' THEN m.name END ASC,
    CASE WHEN @sort::text = 'NEWEST' THEN m.created_at END DESC,
    CASE WHEN @sort::text = 'PRICE_ASC' THEN m.price END ASC,
    CASE WHEN @sort::text = 'PRICE_DESC' THEN m.price END DESC,
    CASE WHEN @sort::text NOT IN ('NAME', 'NEWEST', 'PRICE_ASC', 'PRICE_DESC') THEN m.rank END DESC,
    CASE WHEN @sort::text IN ('NAME', 'PRICE_ASC') THEN m.id END ASC,
    m.id DESC
LIMIT @row_limit;

-- name: CountProducts :one
SELECT count(*) FROM products;

-- name: InsertProduct :one
INSERT INTO products (sku, name, description, category_id, images, attributes, active)
VALUES (@sku, @name, @description, @category_id, @images, @attributes, @active)
RETURNING id;

-- name: InsertStock :exec
INSERT INTO stock (product_id, on_hand) VALUES (@product_id, @on_hand);

-- name: UpdateProduct :execrows
-- Each field changes only when given (NULL keeps the current value);
-- clear_category sets the category to none.
UPDATE products SET
    name        = coalesce(sqlc.narg('name'), name),
    description = coalesce(sqlc.narg('description'), description),
    category_id = CASE WHEN @clear_category::boolean THEN NULL ELSE coalesce(sqlc.narg('category_id'), category_id) END,
    images      = coalesce(sqlc.narg('images'), images),
    attributes  = coalesce(sqlc.narg('attributes'), attributes),
    active      = coalesce(sqlc.narg('active'), active),
    updated_at  = now()
WHERE id = @id;

-- ---------------------------------------------------------------- prices

-- name: LockPrice :one
-- The current price, locked so that concurrent changes record a true history.
SELECT amount FROM product_prices WHERE product_id = @product_id AND currency = @currency FOR UPDATE;

-- name: UpsertPrice :exec
INSERT INTO product_prices (product_id, currency, amount)
VALUES (@product_id, @currency, @amount)
ON CONFLICT (product_id, currency) DO UPDATE SET amount = EXCLUDED.amount, updated_at = now();

-- name: InsertPriceChange :exec
INSERT INTO price_changes (product_id, currency, old_amount, new_amount, changed_by)
VALUES (@product_id, @currency, @old_amount, @new_amount, @changed_by);

-- name: PriceChangesOfProducts :many
-- The latest row_limit changes of each product, for a whole page or entity
-- batch in one query; the lateral LIMIT walks price_changes_product_idx per
-- product instead of reading every product's whole history.
SELECT h.*
FROM unnest(@product_ids::uuid[]) AS p(id)
CROSS JOIN LATERAL (
    SELECT * FROM price_changes c
    WHERE c.product_id = p.id
      AND (sqlc.narg('currency')::text IS NULL OR c.currency = sqlc.narg('currency')::text)
    ORDER BY c.changed_at DESC, c.id DESC
    LIMIT @row_limit
) h
ORDER BY h.product_id, h.changed_at DESC, h.id DESC;

-- name: TouchProduct :exec
UPDATE products SET updated_at = now() WHERE id = @id;

-- ---------------------------------------------------------------- categories

-- name: AllCategories :many
SELECT * FROM categories ORDER BY position, name;

-- name: InsertCategory :one
INSERT INTO categories (parent_id, slug, name, description, position)
VALUES (@parent_id, @slug, @name, @description, @position)
RETURNING *;

-- name: CategorySubtree :many
-- A category and all its descendants, for "products in this category".
WITH RECURSIVE tree AS (
    SELECT c.id FROM categories c WHERE c.id = @id
    UNION ALL
    SELECT c.id FROM categories c JOIN tree t ON c.parent_id = t.id
)
SELECT id FROM tree;

-- ---------------------------------------------------------------- stock

-- name: AdjustStock :one
-- Adds delta to on_hand unless that would drop below zero or below what is
-- reserved; no row comes back in that case.
UPDATE stock SET on_hand = on_hand + @delta, updated_at = now()
WHERE product_id = @product_id AND on_hand + @delta >= reserved
RETURNING on_hand, reserved;

-- name: GetStock :one
SELECT on_hand, reserved FROM stock WHERE product_id = @product_id;

-- name: ReserveStock :one
-- The heart of "never oversell": a conditional increment. Under READ COMMITTED
-- a concurrent reserver blocks on the row lock, then re-checks the condition
-- against the committed row, so two buyers can never both take the last unit.
UPDATE stock SET reserved = reserved + @quantity, updated_at = now()
WHERE product_id = @product_id AND on_hand - reserved >= @quantity
RETURNING on_hand, reserved;

-- name: UnreserveStock :exec
UPDATE stock SET reserved = reserved - @quantity, updated_at = now()
WHERE product_id = @product_id;

-- name: ConsumeStock :exec
-- A committed reservation: the units leave the warehouse.
UPDATE stock SET on_hand = on_hand - @quantity, reserved = reserved - @quantity, updated_at = now()
WHERE product_id = @product_id;

-- name: InsertStockMovement :exec
INSERT INTO stock_movements (product_id, kind, on_hand_delta, reserved_delta, reference, reason)
VALUES (@product_id, @kind, @on_hand_delta, @reserved_delta, @reference, @reason);

-- name: StockMovements :many
SELECT * FROM stock_movements WHERE product_id = @product_id ORDER BY id DESC LIMIT @row_limit;

-- ---------------------------------------------------------------- reservations

-- name: InsertReservation :execrows
-- Claims the order id; zero rows means a reservation for it already exists.
-- A concurrent insert of the same id waits here until the first commits or
-- rolls back, which makes reserve idempotent under concurrency.
INSERT INTO reservations (order_id, status, currency, expires_at)
VALUES (@order_id, @status, @currency, @expires_at)
ON CONFLICT (order_id) DO NOTHING;

-- name: LockReservation :one
SELECT * FROM reservations WHERE order_id = @order_id FOR UPDATE;

-- name: GetReservation :one
SELECT * FROM reservations WHERE order_id = @order_id;

-- name: ReservationLines :many
SELECT * FROM reservation_lines WHERE order_id = @order_id ORDER BY product_id;

-- name: InsertReservationLine :exec
INSERT INTO reservation_lines (order_id, product_id, quantity, unit_amount)
VALUES (@order_id, @product_id, @quantity, @unit_amount);

-- name: SetReservationStatus :exec
UPDATE reservations SET status = @status, updated_at = now() WHERE order_id = @order_id;

-- name: ProductPricesForUpdate :many
-- Active products with their price in one currency, for a reservation; the
-- row locks keep a concurrent price change from slipping between read and use.
SELECT p.id, p.active, pp.amount
FROM products p
LEFT JOIN product_prices pp ON pp.product_id = p.id AND pp.currency = @currency
WHERE p.id = ANY(@ids::uuid[])
FOR SHARE OF p;

-- name: ExpiredReservations :many
-- Due reservations, oldest first, skipping rows another replica is expiring.
SELECT order_id FROM reservations
WHERE status = 'ACTIVE' AND expires_at <= now()
ORDER BY expires_at
LIMIT @row_limit
FOR UPDATE SKIP LOCKED;

-- name: CountActiveReservations :one
-- Reservations holding stock now (the reservations_active gauge, read at
-- every scrape; the partial expiry index covers it).
SELECT count(*) FROM reservations WHERE status = 'ACTIVE';

-- name: RestockReturned :exec
-- Units of a committed reservation come back to the shelf.
UPDATE stock SET on_hand = on_hand + @quantity, updated_at = now()
WHERE product_id = @product_id;

-- name: QuoteProducts :many
-- Current prices and availability for a cart, in one currency.
SELECT p.id, p.active, pp.amount, s.on_hand - s.reserved AS available
FROM products p
JOIN stock s ON s.product_id = p.id
LEFT JOIN product_prices pp ON pp.product_id = p.id AND pp.currency = @currency
WHERE p.id = ANY(@ids::uuid[]);
