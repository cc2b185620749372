package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/subgraphs/order/lifecycle"
	"github.com/virtual-store/virtual-store/subgraphs/order/store"
)

// ErrNotFound is a read's answer for an order that does not exist.
var ErrNotFound = errors.New("no such order")

// Order is an order as its customer and the admins read it. How far its
// checkout saga got (its step, attempts, payment token) is the saga's
// business and not part of it.
type Order struct {
	ID            uuid.UUID
	UserID        string
	Status        lifecycle.Status
	PaymentStatus lifecycle.PaymentStatus
	Currency      string
	// Subtotal sums the lines at the prices captured when the stock was
	// reserved; Total is what was charged: the subtotal (prices include
	// tax; shipping is free). Both are zero before the reservation.
	Subtotal        money.Money
	Total           money.Money
	ShippingAddress Address
	TrackingNumber  string // "" until shipped
	FailureReason   string // "" unless failed or cancelled: a lifecycle.Reason…
	CreatedAt       time.Time
	UpdatedAt       time.Time

	// batch is the orders loaded with this one, whose lines and history
	// load together (see batch.go).
	batch *batch
}

// IsEntity marks Order as a federation entity for gqlgen.
func (Order) IsEntity() {}

// Line is a quantity of a product in an order.
type Line struct {
	ProductID uuid.UUID
	Quantity  int
	// UnitPrice is the price when the stock was reserved; nil before that.
	UnitPrice *money.Money
}

// LineTotal is the line's price, nil before the stock was reserved.
func (l Line) LineTotal() *money.Money { return lineTotal(l.UnitPrice, l.Quantity) }

// StatusChange is an entry of an order's status history.
type StatusChange struct {
	From          *lifecycle.Status // nil for the order's creation
	To            lifecycle.Status
	PaymentStatus lifecycle.PaymentStatus
	// Actor made the change: customer:<id>, admin:<id> or system:checkout.
	Actor string
	Note  string
	At    time.Time
}

// OrderByID returns an order, or ErrNotFound.
func (s *Service) OrderByID(ctx context.Context, id uuid.UUID) (*Order, error) {
	row, err := s.q.OrderByID(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load order %s: %w", id, err)
	}
	return s.loadedAlone(row)
}

// OrdersByIDs returns the orders in the order of ids, with nil where an id
// is unknown (the representations of an entity request). It costs one
// query however many ids are asked for, and the orders' lines and history
// are then loaded together too.
func (s *Service) OrdersByIDs(ctx context.Context, ids []uuid.UUID) ([]*Order, error) {
	rows, err := s.q.OrdersByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load orders: %w", err)
	}
	loaded, err := s.loadedTogether(rows)
	if err != nil {
		return nil, err
	}
	byID := make(map[uuid.UUID]*Order, len(loaded))
	for _, o := range loaded {
		byID[o.ID] = o
	}
	out := make([]*Order, len(ids))
	for i, id := range ids {
		out[i] = byID[id]
	}
	return out, nil
}

// Lines returns an order's lines, ordered by product. The first order of a
// batch asked loads the lines of all of them with one query.
func (s *Service) Lines(ctx context.Context, o *Order) ([]*Line, error) {
	rows, err := s.loadedWith(o).lines.of(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	out := make([]*Line, len(rows))
	for i, l := range rows {
		out[i] = &Line{ProductID: l.ProductID, Quantity: int(l.Quantity)}
		if l.UnitAmount.Valid {
			out[i].UnitPrice = &money.Money{Amount: l.UnitAmount.Int64, Currency: o.Currency}
		}
	}
	return out, nil
}

// History returns an order's status changes, oldest first. Like Lines, it
// costs one query for the whole batch.
func (s *Service) History(ctx context.Context, o *Order) ([]*StatusChange, error) {
	rows, err := s.loadedWith(o).history.of(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	out := make([]*StatusChange, len(rows))
	for i, h := range rows {
		out[i] = &StatusChange{To: lifecycle.Status(h.ToStatus), PaymentStatus: lifecycle.PaymentStatus(h.PaymentStatus),
			Actor: h.Actor, Note: h.Note, At: h.At}
		if h.FromStatus.Valid {
			from := lifecycle.Status(h.FromStatus.String)
			out[i].From = &from
		}
	}
	return out, nil
}

// orderFromRow reads an order row.
func orderFromRow(r store.Order) (*Order, error) {
	o := &Order{
		ID:             r.ID,
		UserID:         r.UserID,
		Status:         lifecycle.Status(r.Status),
		PaymentStatus:  lifecycle.PaymentStatus(r.PaymentStatus),
		Currency:       r.Currency,
		Subtotal:       money.Money{Amount: r.Subtotal, Currency: r.Currency},
		Total:          money.Money{Amount: r.Total, Currency: r.Currency},
		TrackingNumber: r.TrackingNumber,
		FailureReason:  r.FailureReason,
		CreatedAt:      r.CreatedAt,
		UpdatedAt:      r.UpdatedAt,
	}
	if err := json.Unmarshal(r.ShippingAddress, &o.ShippingAddress); err != nil {
		return nil, fmt.Errorf("decode shipping address of order %s: %w", r.ID, err)
	}
	return o, nil
}
