package inventory

import (
	"cmp"
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

// Limits of a reservation request.
const (
	MaxLines        = 100
	MaxLineQuantity = 10_000
	MaxTTL          = 24 * time.Hour
)

// Line asks for a quantity of one product.
type Line struct {
	ProductID uuid.UUID `json:"productId"`
	Quantity  int       `json:"quantity"`
}

// Shortage tells, for one line that could not be reserved, what was there.
type Shortage struct {
	ProductID uuid.UUID `json:"productId"`
	Requested int       `json:"requested"`
	Available int       `json:"available"`
}

// InsufficientStockError lists every line that could not be reserved.
type InsufficientStockError struct{ Shortages []Shortage }

func (e *InsufficientStockError) Error() string {
	return fmt.Sprintf("insufficient stock for %d product(s)", len(e.Shortages))
}

// Is makes errors.Is(err, ErrInsufficientStock) true.
func (e *InsufficientStockError) Is(target error) bool { return target == ErrInsufficientStock }

// Reserve holds stock for every line of an order, all or nothing, at the
// prices current in currency. It is idempotent by orderID: a repeated call
// with the same lines returns the existing reservation (created=false), a
// call with different lines fails with ErrConflict, and so does a call for an
// order that was already released (its compensation won the race).
func (inv *Inventory) Reserve(ctx context.Context, orderID, currency string, lines []Line, ttl time.Duration) (res Reservation, created bool, err error) {
	if ttl == 0 {
		ttl = inv.DefaultTTL
	}
	lines, err = normalize(orderID, currency, lines, ttl)
	if err != nil {
		return Reservation{}, false, err
	}
	err = postgres.InTx(ctx, inv.pool, func(tx pgx.Tx) error {
		q := inv.q.WithTx(tx)
		n, err := q.InsertReservation(ctx, store.InsertReservationParams{
			OrderID: orderID, Status: StatusActive, Currency: currency, ExpiresAt: time.Now().Add(ttl),
		})
		if err != nil {
			return fmt.Errorf("claim order id: %w", err)
		}
		if n == 0 {
			res, err = load(ctx, q, orderID)
			if err != nil {
				return err
			}
			return sameRequest(res, currency, lines)
		}
		created = true
		return reserveLines(ctx, q, orderID, currency, lines)
	})
	if err != nil {
		if errors.Is(err, ErrInsufficientStock) && inv.Metrics != nil {
			inv.Metrics.Stockout()
		}
		return Reservation{}, false, err
	}
	if created {
		res, err = load(ctx, inv.q, orderID)
	}
	return res, created, err
}

// normalize validates a request and merges repeated products; lines come back
// sorted by product id so that concurrent reservations lock stock rows in one
// global order and cannot deadlock.
func normalize(orderID, currency string, lines []Line, ttl time.Duration) ([]Line, error) {
	switch {
	case orderID == "" || len(orderID) > 128:
		return nil, fmt.Errorf("%w: orderId must be 1-128 characters", ErrInvalid)
	case !money.ValidCurrency(currency):
		return nil, fmt.Errorf("%w: currency %q is not an ISO 4217 code", ErrInvalid, currency)
	case len(lines) == 0 || len(lines) > MaxLines:
		return nil, fmt.Errorf("%w: between 1 and %d lines", ErrInvalid, MaxLines)
	case ttl < time.Second || ttl > MaxTTL:
		return nil, fmt.Errorf("%w: ttl must be between 1s and %s", ErrInvalid, MaxTTL)
	}
	merged := map[uuid.UUID]int{}
	for _, l := range lines {
		if l.Quantity < 1 || l.Quantity > MaxLineQuantity {
			return nil, fmt.Errorf("%w: quantity of %s must be between 1 and %d", ErrInvalid, l.ProductID, MaxLineQuantity)
		}
		merged[l.ProductID] += l.Quantity
	}
	out := make([]Line, 0, len(merged))
	for id, q := range merged {
		if q > MaxLineQuantity {
			return nil, fmt.Errorf("%w: quantity of %s must be at most %d", ErrInvalid, id, MaxLineQuantity)
		}
		out = append(out, Line{ProductID: id, Quantity: q})
	}
	slices.SortFunc(out, func(a, b Line) int { return cmp.Compare(a.ProductID.String(), b.ProductID.String()) })
	return out, nil
}

func reserveLines(ctx context.Context, q *store.Queries, orderID, currency string, lines []Line) error {
	ids := make([]uuid.UUID, len(lines))
	for i, l := range lines {
		ids[i] = l.ProductID
	}
	prices, err := q.ProductPricesForUpdate(ctx, store.ProductPricesForUpdateParams{Currency: currency, Ids: ids})
	if err != nil {
		return fmt.Errorf("load prices: %w", err)
	}
	priceOf := make(map[uuid.UUID]store.ProductPricesForUpdateRow, len(prices))
	for _, p := range prices {
		priceOf[p.ID] = p
	}
	var short []Shortage
	for _, l := range lines {
		p, ok := priceOf[l.ProductID]
		switch {
		case !ok:
			return fmt.Errorf("%w: %s", ErrProductNotFound, l.ProductID)
		case !p.Active:
			return fmt.Errorf("%w: %s is archived", ErrProductUnavailable, l.ProductID)
		case !p.Amount.Valid:
			return fmt.Errorf("%w: %s has no price in %s", ErrProductUnavailable, l.ProductID, currency)
		}
		_, err := q.ReserveStock(ctx, store.ReserveStockParams{ProductID: l.ProductID, Quantity: int32(l.Quantity)})
		if errors.Is(err, pgx.ErrNoRows) {
			lvl, err := q.GetStock(ctx, l.ProductID)
			if err != nil {
				return fmt.Errorf("read stock: %w", err)
			}
			short = append(short, Shortage{ProductID: l.ProductID, Requested: l.Quantity, Available: int(lvl.OnHand - lvl.Reserved)})
			continue
		}
		if err != nil {
			return fmt.Errorf("reserve stock: %w", err)
		}
		if err := q.InsertReservationLine(ctx, store.InsertReservationLineParams{
			OrderID: orderID, ProductID: l.ProductID, Quantity: int32(l.Quantity), UnitAmount: p.Amount.Int64,
		}); err != nil {
			return fmt.Errorf("record line: %w", err)
		}
		if err := movement(ctx, q, l.ProductID, "RESERVED", 0, l.Quantity, orderID); err != nil {
			return err
		}
	}
	if len(short) > 0 {
		// Returning an error rolls back the lines already reserved above.
		return &InsufficientStockError{Shortages: short}
	}
	return nil
}

// sameRequest decides whether a repeated Reserve matches the original.
func sameRequest(res Reservation, currency string, lines []Line) error {
	if res.Status == StatusReleased || res.Status == StatusExpired {
		// The stock is no longer held; the caller must use a new order id.
		return fmt.Errorf("%w: order %s is %s", ErrConflict, res.OrderID, res.Status)
	}
	if res.Currency != currency || len(res.Lines) != len(lines) {
		return fmt.Errorf("%w: order %s is reserved with other lines", ErrConflict, res.OrderID)
	}
	for i, l := range lines {
		if res.Lines[i].ProductID != l.ProductID || res.Lines[i].Quantity != l.Quantity {
			return fmt.Errorf("%w: order %s is reserved with other lines", ErrConflict, res.OrderID)
		}
	}
	return nil
}
