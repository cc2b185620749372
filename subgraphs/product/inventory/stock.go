package inventory

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/subgraphs/product/store"
)

// Level is a product's stock.
type Level struct {
	OnHand    int `json:"onHand"`
	Reserved  int `json:"reserved"`
	Available int `json:"available"`
}

// Adjust adds delta (negative to remove) to the units on hand, e.g. after a
// delivery or a stock count. It refuses to go below zero or below the units
// reserved for open orders.
func (inv *Inventory) Adjust(ctx context.Context, productID uuid.UUID, delta int, reason, actor string) (Level, error) {
	var lvl Level
	err := postgres.InTx(ctx, inv.pool, func(tx pgx.Tx) error {
		q := inv.q.WithTx(tx)
		row, err := q.AdjustStock(ctx, store.AdjustStockParams{ProductID: productID, Delta: int32(delta)})
		if errors.Is(err, pgx.ErrNoRows) {
			if _, err := q.GetStock(ctx, productID); errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("%w: %s", ErrProductNotFound, productID)
			}
			return ErrStockBelowReserve
		}
		if err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "22003" { // integer overflow
				return fmt.Errorf("%w: delta too large", ErrInvalid)
			}
			return fmt.Errorf("adjust stock: %w", err)
		}
		lvl = Level{OnHand: int(row.OnHand), Reserved: int(row.Reserved), Available: int(row.OnHand - row.Reserved)}
		return q.InsertStockMovement(ctx, store.InsertStockMovementParams{
			ProductID: productID, Kind: "ADJUSTED", OnHandDelta: int32(delta), Reference: "adjustment by " + actor, Reason: reason,
		})
	})
	if err == nil && delta > 0 && inv.Metrics != nil {
		inv.Metrics.Restocked(RestockAdjustment)
	}
	return lvl, err
}

func movement(ctx context.Context, q *store.Queries, productID uuid.UUID, kind string, onHand, reserved int, ref string) error {
	err := q.InsertStockMovement(ctx, store.InsertStockMovementParams{
		ProductID: productID, Kind: kind, OnHandDelta: int32(onHand), ReservedDelta: int32(reserved), Reference: "order " + ref,
	})
	if err != nil {
		return fmt.Errorf("record stock movement: %w", err)
	}
	return nil
}
