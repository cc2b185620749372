// Package orders is the order service's domain: carts, checkout (handing the
// order to the saga), cancellations and the admin's fulfilment steps.
// Expected failures are graph.UserErrors with stable codes.
package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/text/language"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/subgraphs/order/lifecycle"
	"github.com/virtual-store/virtual-store/subgraphs/order/productapi"
	"github.com/virtual-store/virtual-store/subgraphs/order/saga"
	"github.com/virtual-store/virtual-store/subgraphs/order/store"
)

// Quoter prices carts (the product service).
type Quoter interface {
	Quote(ctx context.Context, currency string, ids []uuid.UUID) (map[uuid.UUID]productapi.Quote, error)
}

// Service is the order domain.
type Service struct {
	pool   *pgxpool.Pool
	Q      *store.Queries
	Saga   *saga.Engine
	quoter Quoter
	// CheckoutWait is how long checkout waits for the saga to finish before
	// answering with the order as it is (the worker completes it).
	CheckoutWait time.Duration
}

// New returns a Service.
func New(pool *pgxpool.Pool, engine *saga.Engine, quoter Quoter, checkoutWait time.Duration) *Service {
	return &Service{pool: pool, Q: store.New(pool), Saga: engine, quoter: quoter, CheckoutWait: checkoutWait}
}

func userErr(code graph.UserErrorCode, msg string, path ...string) error {
	return graph.UserErrors{graph.NewUserError(code, msg, path...)}
}

// MaxCartLines bounds a cart (and so an order).
const MaxCartLines = 50

// AddToCart adds quantity of a product that exists, is for sale and is priced in currency.
func (s *Service) AddToCart(ctx context.Context, userID string, productID uuid.UUID, quantity int, currency string) error {
	if quantity < 1 || quantity > 100 {
		return userErr(graph.CodeInvalidInput, "quantity must be between 1 and 100", "input", "quantity")
	}
	quotes, err := s.quoter.Quote(ctx, currency, []uuid.UUID{productID})
	if rej, ok := productapi.IsRejected(err); ok {
		return userErr(graph.CodeInvalidInput, rej.Message, "input", "currency")
	}
	if err != nil {
		return err
	}
	q, ok := quotes[productID]
	switch {
	case !ok:
		return userErr(graph.CodeNotFound, "no such product", "input", "productId")
	case !q.Active || q.UnitPrice == nil:
		return userErr(graph.CodeProductUnavailable, "this product is not for sale", "input", "productId")
	}
	lines, err := s.Q.CartLines(ctx, userID)
	if err != nil {
		return err
	}
	if len(lines) >= MaxCartLines && !slices.ContainsFunc(lines, func(l store.CartLine) bool { return l.ProductID == productID }) {
		return userErr(graph.CodeConflict, fmt.Sprintf("a cart holds at most %d products", MaxCartLines))
	}
	_, err = s.Q.AddCartLine(ctx, store.AddCartLineParams{UserID: userID, ProductID: productID, Quantity: int32(quantity)})
	return err
}

// SetQuantity changes a line's quantity; 0 removes it.
func (s *Service) SetQuantity(ctx context.Context, userID string, productID uuid.UUID, quantity int) error {
	if quantity < 0 || quantity > 100 {
		return userErr(graph.CodeInvalidInput, "quantity must be between 0 and 100", "input", "quantity")
	}
	var (
		n   int64
		err error
	)
	if quantity == 0 {
		n, err = s.Q.RemoveCartLine(ctx, store.RemoveCartLineParams{UserID: userID, ProductID: productID})
	} else {
		n, err = s.Q.SetCartLine(ctx, store.SetCartLineParams{UserID: userID, ProductID: productID, Quantity: int32(quantity)})
	}
	if err != nil {
		return err
	}
	if n == 0 {
		return userErr(graph.CodeNotFound, "this product is not in the cart", "input", "productId")
	}
	return nil
}

// ClearCart empties the cart.
func (s *Service) ClearCart(ctx context.Context, userID string) error {
	return s.Q.ClearCart(ctx, userID)
}

// CartLine is a cart line priced in one currency.
type CartLine struct {
	ProductID uuid.UUID
	Quantity  int
	UnitPrice *money.Money // nil when the product is not sold in the currency (or gone)
	Available bool         // enough stock for the quantity, now
}

// Cart is a user's cart priced in one currency.
type Cart struct {
	Currency string
	Lines    []CartLine
	Subtotal money.Money
}

// Cart loads and prices the cart (one call to the product service).
func (s *Service) Cart(ctx context.Context, userID, currency string) (*Cart, error) {
	if !money.ValidCurrency(currency) {
		return nil, graph.BadUserInput("%q is not an ISO 4217 currency code", currency)
	}
	rows, err := s.Q.CartLines(ctx, userID)
	if err != nil {
		return nil, err
	}
	c := &Cart{Currency: currency, Lines: make([]CartLine, len(rows)), Subtotal: money.Money{Currency: currency}}
	if len(rows) == 0 {
		return c, nil
	}
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.ProductID
	}
	quotes, err := s.quoter.Quote(ctx, currency, ids)
	if err != nil {
		return nil, fmt.Errorf("price cart: %w", err)
	}
	for i, r := range rows {
		l := CartLine{ProductID: r.ProductID, Quantity: int(r.Quantity)}
		if q, ok := quotes[r.ProductID]; ok && q.Active && q.UnitPrice != nil {
			l.UnitPrice = q.UnitPrice
			l.Available = q.Available >= l.Quantity
			c.Subtotal.Amount += q.UnitPrice.Amount * int64(l.Quantity)
		}
		c.Lines[i] = l
	}
	return c, nil
}

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
// or CheckoutWait passes. The same idempotency key returns the same order,
// also when two requests race. created tells whether this call made it.
func (s *Service) Checkout(ctx context.Context, userID string, in CheckoutInput) (order *store.Order, created bool, err error) {
	if err := in.validate(); err != nil {
		return nil, false, err
	}
	addr, _ := json.Marshal(in.ShippingAddress)
	id := uuid.New()
	err = postgres.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := s.Q.WithTx(tx)
		// Locking the cart lines serializes this user's checkouts, so a racing
		// request with the same key sees the order once this one commits.
		lines, err := q.LockCart(ctx, userID)
		if err != nil {
			return err
		}
		existing, err := q.OrderByKey(ctx, store.OrderByKeyParams{UserID: userID, IdempotencyKey: in.IdempotencyKey})
		if err == nil {
			order = &existing
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if len(lines) == 0 {
			return userErr(graph.CodeCartEmpty, "the cart is empty")
		}
		n, err := q.InsertOrder(ctx, store.InsertOrderParams{ID: id, UserID: userID, IdempotencyKey: in.IdempotencyKey,
			Currency: in.Currency, ShippingAddress: addr, PaymentToken: in.PaymentToken})
		if err != nil {
			return err
		}
		if n == 0 { // a concurrent checkout with this key and an empty-cart race
			existing, err := q.OrderByKey(ctx, store.OrderByKeyParams{UserID: userID, IdempotencyKey: in.IdempotencyKey})
			order = &existing
			return err
		}
		for _, l := range lines {
			if err := q.InsertOrderLine(ctx, store.InsertOrderLineParams{OrderID: id, ProductID: l.ProductID, Quantity: l.Quantity}); err != nil {
				return err
			}
		}
		if err := q.ClearCart(ctx, userID); err != nil {
			return err
		}
		o, err := q.OrderByID(ctx, id)
		if err != nil {
			return err
		}
		order, created = &o, true
		return saga.RecordCreated(ctx, q, &o, "customer:"+userID)
	})
	if err != nil {
		return nil, false, err
	}
	wctx, cancel := context.WithTimeout(ctx, s.CheckoutWait)
	defer cancel()
	if err := s.Saga.Advance(wctx, order.ID, true); err != nil {
		return nil, false, err
	}
	o, err := s.Q.OrderByID(ctx, order.ID)
	return &o, created, err
}

// Cancel cancels an order: by its customer until it ships, by an admin too.
// A paid order is refunded and its stock returned (by the saga).
func (s *Service) Cancel(ctx context.Context, id uuid.UUID, actor, reason string, byAdmin bool, ownerID string) (*store.Order, error) {
	o, err := s.transition(ctx, id, func(q *store.Queries, o *store.Order) error {
		if !byAdmin && o.UserID != ownerID {
			return errNotFound
		}
		st := lifecycle.Status(o.Status)
		if !lifecycle.CustomerCancellable(st) {
			return userErr(graph.CodeConflict, fmt.Sprintf("an order that is %s cannot be cancelled", st), "id")
		}
		if err := saga.ChangeStatus(ctx, q, o, lifecycle.Cancelled, lifecycle.PaymentStatus(o.PaymentStatus), actor, reason, func(p *store.SetStatusParams) {
			p.FailureReason = "CANCELLED_BY_" + strings.ToUpper(strings.SplitN(actor, ":", 2)[0])
		}); err != nil {
			return err
		}
		return saga.SetStep(ctx, q, o, saga.StepRefund)
	})
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, s.CheckoutWait)
	defer cancel()
	if err := s.Saga.Advance(wctx, id, true); err != nil {
		return nil, err
	}
	return s.reload(ctx, o)
}

// StartFulfillment marks a paid order as being picked and packed (admin).
func (s *Service) StartFulfillment(ctx context.Context, id uuid.UUID, actor string) (*store.Order, error) {
	return s.transition(ctx, id, func(q *store.Queries, o *store.Order) error {
		return saga.ChangeStatus(ctx, q, o, lifecycle.Fulfilling, lifecycle.PaymentStatus(o.PaymentStatus), actor, "", nil)
	})
}

// MarkShipped records the carrier's tracking number (admin).
func (s *Service) MarkShipped(ctx context.Context, id uuid.UUID, tracking, actor string) (*store.Order, error) {
	tracking = strings.TrimSpace(tracking)
	if tracking == "" || len(tracking) > 100 {
		return nil, userErr(graph.CodeInvalidInput, "trackingNumber must be 1-100 characters", "trackingNumber")
	}
	return s.transition(ctx, id, func(q *store.Queries, o *store.Order) error {
		return saga.ChangeStatus(ctx, q, o, lifecycle.Shipped, lifecycle.PaymentStatus(o.PaymentStatus), actor, "tracking "+tracking, func(p *store.SetStatusParams) {
			p.TrackingNumber = tracking
		})
	})
}

// MarkDelivered closes a shipped order (admin).
func (s *Service) MarkDelivered(ctx context.Context, id uuid.UUID, actor string) (*store.Order, error) {
	return s.transition(ctx, id, func(q *store.Queries, o *store.Order) error {
		return saga.ChangeStatus(ctx, q, o, lifecycle.Delivered, lifecycle.PaymentStatus(o.PaymentStatus), actor, "", nil)
	})
}

var errNotFound = userErr(graph.CodeNotFound, "no such order", "id")

// transition applies change to an order whose checkout saga is finished,
// under its row lock, turning state machine refusals into CONFLICT.
func (s *Service) transition(ctx context.Context, id uuid.UUID, change func(*store.Queries, *store.Order) error) (*store.Order, error) {
	var out *store.Order
	err := postgres.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := s.Q.WithTx(tx)
		o, err := q.LockOrderWait(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		if saga.Step(o.SagaStep) != saga.StepDone {
			return userErr(graph.CodeConflict, "the order is still being processed; try again in a moment", "id")
		}
		if err := change(q, &o); err != nil {
			var te *lifecycle.TransitionError
			if errors.As(err, &te) {
				return userErr(graph.CodeConflict, te.Error(), "id")
			}
			return err
		}
		out = &o
		return nil
	})
	return out, err
}

func (s *Service) reload(ctx context.Context, o *store.Order) (*store.Order, error) {
	fresh, err := s.Q.OrderByID(ctx, o.ID)
	return &fresh, err
}
