-- +goose Up
-- Goods of a committed reservation can come back (an order cancelled after
-- payment, before shipping): the reservation moves to RETURNED and the units
-- return to on_hand.
ALTER TYPE reservation_status ADD VALUE IF NOT EXISTS 'RETURNED';
ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_kind_check;
ALTER TABLE stock_movements ADD CONSTRAINT stock_movements_kind_check
    CHECK (kind IN ('ADJUSTED', 'RESERVED', 'RELEASED', 'COMMITTED', 'EXPIRED', 'RETURNED'));

-- +goose Down
ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_kind_check;
ALTER TABLE stock_movements ADD CONSTRAINT stock_movements_kind_check
    CHECK (kind IN ('ADJUSTED', 'RESERVED', 'RELEASED', 'COMMITTED', 'EXPIRED'));
