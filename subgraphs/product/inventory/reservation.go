package inventory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/subgraphs/product/store"
)

// Status of a reservation.
type Status = store.ReservationStatus

// Reservation states: ACTIVE holds stock until it expires; COMMITTED has
// consumed it; RELEASED and EXPIRED gave it back; RETURNED put committed
// units back on the shelf (an order cancelled after payment).
const (
	StatusActive    = store.ReservationStatusACTIVE
	StatusCommitted = store.ReservationStatusCOMMITTED
	StatusReleased  = store.ReservationStatusRELEASED
	StatusExpired   = store.ReservationStatusEXPIRED
	StatusReturned  = store.ReservationStatusRETURNED
)

// ReservedLine is a held quantity with the unit price captured when it was reserved.
type ReservedLine struct {
	ProductID uuid.UUID   `json:"productId"`
	Quantity  int         `json:"quantity"`
	UnitPrice money.Money `json:"unitPrice"`
}

// Reservation is the stock held for one order.
type Reservation struct {
	OrderID   string         `json:"orderId"`
	Status    Status         `json:"status"`
	Currency  string         `json:"currency"`
	ExpiresAt time.Time      `json:"expiresAt"`
	CreatedAt time.Time      `json:"createdAt"`
	Lines     []ReservedLine `json:"lines"`
}

// Get returns the reservation of an order.
func (inv *Inventory) Get(ctx context.Context, orderID string) (Reservation, error) {
	return load(ctx, inv.q, orderID)
}

// Commit turns the reservation into a sale: the units leave on_hand for good.
// Committing a committed reservation returns it unchanged. A reservation past
// its expiry that the sweeper has not yet expired still holds its stock, so
// it commits normally; one that was released or expired cannot.
func (inv *Inventory) Commit(ctx context.Context, orderID string) (Reservation, error) {
	res, _, err := inv.transition(ctx, orderID, StatusActive, StatusCommitted, []Status{StatusReturned}, func(q *store.Queries, l ReservedLine) error {
		if err := q.ConsumeStock(ctx, store.ConsumeStockParams{ProductID: l.ProductID, Quantity: int32(l.Quantity)}); err != nil {
			return fmt.Errorf("consume stock: %w", err)
		}
		return movement(ctx, q, l.ProductID, "COMMITTED", -l.Quantity, -l.Quantity, orderID)
	})
	return res, err
}

// Release gives the reserved stock back. It is idempotent, and releasing an
// order that was never reserved leaves a tombstone so that a reserve arriving
// late for the abandoned order is refused. A committed reservation cannot be
// released (restock returned goods with an adjustment instead).
func (inv *Inventory) Release(ctx context.Context, orderID string) (Reservation, error) {
	if orderID == "" || len(orderID) > 128 {
		return Reservation{}, fmt.Errorf("%w: orderId must be 1-128 characters", ErrInvalid)
	}
	// The tombstone: claims the order id if nobody reserved it yet.
	n, err := inv.q.InsertReservation(ctx, store.InsertReservationParams{
		OrderID: orderID, Status: StatusReleased, ExpiresAt: time.Now(),
	})
	if err != nil {
		return Reservation{}, fmt.Errorf("release %s: %w", orderID, err)
	}
	if n == 1 {
		return load(ctx, inv.q, orderID)
	}
	// An expired reservation has already given its stock back: nothing to do.
	res, _, err := inv.transition(ctx, orderID, StatusActive, StatusReleased, []Status{StatusExpired}, inv.giveBack(ctx, orderID, "RELEASED"))
	return res, err
}

// Return puts the units of a committed reservation back on the shelf, for an
// order cancelled after payment but before it shipped. Idempotent.
func (inv *Inventory) Return(ctx context.Context, orderID string) (Reservation, error) {
	res, changed, err := inv.transition(ctx, orderID, StatusCommitted, StatusReturned, nil, func(q *store.Queries, l ReservedLine) error {
		if err := q.RestockReturned(ctx, store.RestockReturnedParams{ProductID: l.ProductID, Quantity: int32(l.Quantity)}); err != nil {
			return fmt.Errorf("restock: %w", err)
		}
		return movement(ctx, q, l.ProductID, "RETURNED", l.Quantity, 0, orderID)
	})
	if changed && inv.Metrics != nil {
		inv.Metrics.Restocked(RestockReturn)
	}
	return res, err
}

func (inv *Inventory) giveBack(ctx context.Context, orderID, kind string) func(*store.Queries, ReservedLine) error {
	return func(q *store.Queries, l ReservedLine) error {
		if err := q.UnreserveStock(ctx, store.UnreserveStockParams{ProductID: l.ProductID, Quantity: int32(l.Quantity)}); err != nil {
			return fmt.Errorf("unreserve stock: %w", err)
		}
		return movement(ctx, q, l.ProductID, kind, 0, -l.Quantity, orderID)
	}
}

// transition moves a reservation from one state to target, applying perLine
// to each line in the same transaction. A reservation already in target, or
// in one of the equivalent states, is returned as is (idempotency); any other
// state is ErrConflict. changed tells whether this call moved it.
func (inv *Inventory) transition(ctx context.Context, orderID string, from, target Status, equivalent []Status, perLine func(*store.Queries, ReservedLine) error) (res Reservation, changed bool, err error) {
	err = postgres.InTx(ctx, inv.pool, func(tx pgx.Tx) error {
		q := inv.q.WithTx(tx)
		row, err := q.LockReservation(ctx, orderID)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: %s", ErrNotFound, orderID)
		}
		if err != nil {
			return fmt.Errorf("lock reservation: %w", err)
		}
		if res, err = withLines(ctx, q, row); err != nil {
			return err
		}
		switch {
		case res.Status == target || slices.Contains(equivalent, res.Status):
			return nil
		case res.Status != from:
			return fmt.Errorf("%w: order %s is %s", ErrConflict, orderID, res.Status)
		}
		for _, l := range res.Lines {
			if err := perLine(q, l); err != nil {
				return err
			}
		}
		if err := q.SetReservationStatus(ctx, store.SetReservationStatusParams{OrderID: orderID, Status: target}); err != nil {
			return fmt.Errorf("set status: %w", err)
		}
		res.Status = target
		changed = true
		return nil
	})
	return res, changed && err == nil, err
}

func load(ctx context.Context, q *store.Queries, orderID string) (Reservation, error) {
	row, err := q.GetReservation(ctx, orderID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Reservation{}, fmt.Errorf("%w: %s", ErrNotFound, orderID)
	}
	if err != nil {
		return Reservation{}, fmt.Errorf("load reservation: %w", err)
	}
	return withLines(ctx, q, row)
}

func withLines(ctx context.Context, q *store.Queries, row store.Reservation) (Reservation, error) {
	lines, err := q.ReservationLines(ctx, row.OrderID)
	if err != nil {
		return Reservation{}, fmt.Errorf("load reservation lines: %w", err)
	}
	res := Reservation{OrderID: row.OrderID, Status: row.Status, Currency: row.Currency,
		ExpiresAt: row.ExpiresAt, CreatedAt: row.CreatedAt, Lines: make([]ReservedLine, len(lines))}
	for i, l := range lines {
		res.Lines[i] = ReservedLine{ProductID: l.ProductID, Quantity: int(l.Quantity),
			UnitPrice: money.Money{Amount: l.UnitAmount, Currency: row.Currency}}
	}
	return res, nil
}
