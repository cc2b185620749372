package inventory

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/subgraphs/product/store"
)

// ExpireDue expires up to limit reservations whose TTL has passed and returns
// how many it expired. Replicas can run it concurrently: rows being expired
// by one are skipped by the others.
func (inv *Inventory) ExpireDue(ctx context.Context, limit int) (int, error) {
	var n int
	err := postgres.InTx(ctx, inv.pool, func(tx pgx.Tx) error {
		q := inv.q.WithTx(tx)
		due, err := q.ExpiredReservations(ctx, int32(limit))
		if err != nil {
			return fmt.Errorf("find expired reservations: %w", err)
		}
		for _, orderID := range due {
			lines, err := q.ReservationLines(ctx, orderID)
			if err != nil {
				return fmt.Errorf("load lines: %w", err)
			}
			giveBack := inv.giveBack(ctx, orderID, "EXPIRED")
			for _, l := range lines {
				if err := giveBack(q, ReservedLine{ProductID: l.ProductID, Quantity: int(l.Quantity)}); err != nil {
					return err
				}
			}
			if err := q.SetReservationStatus(ctx, store.SetReservationStatusParams{OrderID: orderID, Status: StatusExpired}); err != nil {
				return fmt.Errorf("set status: %w", err)
			}
		}
		n = len(due)
		return nil
	})
	if err != nil {
		return 0, err
	}
	if n > 0 && inv.Metrics != nil {
		inv.Metrics.ReservationsExpired(n)
	}
	return n, nil
}

// ActiveReservations counts the reservations holding stock now (expired
// ones the sweeper has not reached yet included).
func (inv *Inventory) ActiveReservations(ctx context.Context) (int64, error) {
	return inv.q.CountActiveReservations(ctx)
}

// RunExpiry expires due reservations every interval until ctx ends.
func (inv *Inventory) RunExpiry(ctx context.Context, interval time.Duration) error {
	return service.Every(ctx, interval, func(ctx context.Context) {
		for {
			n, err := inv.ExpireDue(ctx, 100)
			if err != nil {
				if ctx.Err() == nil {
					inv.log.Error("expire reservations", "err", err)
				}
				return
			}
			if n > 0 {
				inv.log.Info("reservations expired", "count", n)
			}
			if n < 100 {
				return
			}
		}
	})
}
