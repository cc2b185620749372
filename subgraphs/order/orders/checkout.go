package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/text/language"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/subgraphs/order/lifecycle"
	"github.com/virtual-store/virtual-store/subgraphs/order/saga"
	"github.com/virtual-store/virtual-store/subgraphs/order/store"
)

// Address is where an order ships to.
type Address struct {
	FullName   string `json:"fullName"`
	Line1      string `json:"line1"`
	Line2      string `json:"line2"`
	City       string `json:"city"`
	PostalCode string `json:"postalCode"`
	Region     string `json:"region"`
	Country    string `json:"country"`
	Phone      string `json:"phone"`
}

// CheckoutInput is what checkout needs besides the cart.
type CheckoutInput struct {
	IdempotencyKey  string
	Currency        string
	ShippingAddress Address
	PaymentToken    string
}

func (in *CheckoutInput) validate() error {
	var fe graph.UserErrors
	bad := func(msg string, path ...string) {
		fe = append(fe, graph.NewUserError(graph.CodeInvalidInput, msg, append([]string{"input"}, path...)...))
	}
	in.IdempotencyKey = strings.TrimSpace(in.IdempotencyKey)
	if in.IdempotencyKey == "" || len(in.IdempotencyKey) > 255 {
		bad("idempotencyKey must be 1-255 characters (a fresh UUID per checkout attempt)", "idempotencyKey")
	}
	if !money.ValidCurrency(in.Currency) {
		fe = append(fe, graph.NewUserError(graph.CodeInvalidCurrency, "currency must be an ISO 4217 code", "input", "currency"))
	}
	if in.PaymentToken == "" || len(in.PaymentToken) > 255 {
		bad("paymentToken is required", "paymentToken")
	}
	a := &in.ShippingAddress
	for _, f := range []struct {
		v         *string
		name      string
		min, maxN int
	}{{&a.FullName, "fullName", 1, 200}, {&a.Line1, "line1", 1, 200}, {&a.Line2, "line2", 0, 200}, {&a.City, "city", 1, 100},
		{&a.PostalCode, "postalCode", 1, 20}, {&a.Region, "region", 0, 100}, {&a.Phone, "phone", 0, 30}} {
		*f.v = strings.TrimSpace(*f.v)
		if len(*f.v) < f.min || len(*f.v) > f.maxN {
			bad(fmt.Sprintf("%s must be %d-%d characters", f.name, f.min, f.maxN), "shippingAddress", f.name)
		}
	}
	a.Country = strings.ToUpper(strings.TrimSpace(a.Country))
	if r, err := language.ParseRegion(a.Country); err != nil || !r.IsCountry() || len(a.Country) != 2 {
		bad("country must be an ISO 3166-1 alpha-2 code such as DE", "shippingAddress", "country")
	}
	if len(fe) > 0 {
		return fe
	}
	return nil
}

// Checkout turns the cart into an order and runs the saga until it finishes
// or the checkout wait passes. The same idempotency key returns the same
// order, also when two requests race. created tells whether this call made it.
func (s *Service) Checkout(ctx context.Context, userID string, in CheckoutInput) (order *Order, created bool, err error) {
	if err := in.validate(); err != nil {
		return nil, false, err
	}
	id, created, err := s.placeOrder(ctx, userID, in)
	if err != nil {
		return nil, false, err
	}
	if err := s.advance(ctx, id); err != nil {
		return nil, false, err
	}
	order, err = s.OrderByID(ctx, id)
	return order, created, err
}

// placeOrder turns the cart into an order in one transaction and returns
// its id: the new order's, or the one placed earlier with the same key.
func (s *Service) placeOrder(ctx context.Context, userID string, in CheckoutInput) (id uuid.UUID, created bool, err error) {
	addr, err := json.Marshal(in.ShippingAddress)
	if err != nil {
		return uuid.Nil, false, fmt.Errorf("encode shipping address: %w", err)
	}
	key := store.OrderByKeyParams{UserID: userID, IdempotencyKey: in.IdempotencyKey}
	err = postgres.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		// Locking the cart lines serializes this user's checkouts, so a racing
		// request with the same key sees the order once this one commits.
		lines, err := q.LockCart(ctx, userID)
		if err != nil {
			return fmt.Errorf("lock cart: %w", err)
		}
		existing, err := q.OrderByKey(ctx, key)
		if err == nil {
			id = existing.ID
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("look up the idempotency key: %w", err)
		}
		if len(lines) == 0 {
			return userErr(graph.CodeCartEmpty, "the cart is empty")
		}
		id = uuid.New()
		n, err := q.InsertOrder(ctx, store.InsertOrderParams{ID: id, UserID: userID, IdempotencyKey: in.IdempotencyKey,
			Currency: in.Currency, ShippingAddress: addr, PaymentToken: in.PaymentToken})
		if err != nil {
			return fmt.Errorf("insert order: %w", err)
		}
		if n == 0 { // a concurrent checkout with this key and an empty-cart race
			existing, err := q.OrderByKey(ctx, key)
			if err != nil {
				return fmt.Errorf("load the racing checkout's order: %w", err)
			}
			id = existing.ID
			return nil
		}
		for _, l := range lines {
			if err := q.InsertOrderLine(ctx, store.InsertOrderLineParams{OrderID: id, ProductID: l.ProductID, Quantity: l.Quantity}); err != nil {
				return fmt.Errorf("insert order line: %w", err)
			}
		}
		if err := q.ClearCart(ctx, userID); err != nil {
			return fmt.Errorf("clear cart: %w", err)
		}
		o, err := q.OrderByID(ctx, id)
		if err != nil {
			return fmt.Errorf("reload order: %w", err)
		}
		created = true
		return saga.RecordCreated(ctx, q, &o, Actor{UserID: userID}.String())
	})
	return id, created, err
}

// advance runs the order's saga until it is done or the checkout wait
// passes; the worker carries on with whatever is left.
func (s *Service) advance(ctx context.Context, id uuid.UUID) error {
	wctx, cancel := context.WithTimeout(ctx, s.checkoutWait)
	defer cancel()
	if err := s.engine.Advance(wctx, id, true); err != nil {
		return fmt.Errorf("advance order %s: %w", id, err)
	}
	return nil
}

// CheckoutErrors explains a checkout that placed an order which then
// failed: the order is kept (PAYMENT_FAILED or CANCELLED) and the cart
// restored, and the customer is told why. Empty for any other order.
func CheckoutErrors(o *Order) []*graph.UserError {
	switch o.Status {
	case lifecycle.PaymentFailed:
		return []*graph.UserError{graph.NewUserError(graph.CodePaymentDeclined, "the payment did not go through ("+o.FailureReason+"); your cart was restored", "input", "paymentToken")}
	case lifecycle.Cancelled:
		code := graph.CodeInsufficientStock
		if o.FailureReason == lifecycle.ReasonProductUnavailable {
			code = graph.CodeProductUnavailable
		}
		return []*graph.UserError{graph.NewUserError(code, "some products could not be reserved ("+o.FailureReason+"); your cart was restored")}
	}
	return []*graph.UserError{}
}
