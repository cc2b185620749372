package orders

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/subgraphs/order/productapi"
	"github.com/virtual-store/virtual-store/subgraphs/order/store"
)

// MaxCartLines bounds a cart (and so an order).
const MaxCartLines = 50

// maxQuantity bounds one line's quantity (AddCartLine caps at it too).
const maxQuantity = 100

// CartLine is a cart line priced in one currency.
type CartLine struct {
	ProductID uuid.UUID
	Quantity  int
	UnitPrice *money.Money // nil when the product is not sold in the currency (or gone)
	Available bool         // enough stock for the quantity, now
}

// LineTotal is the line's price, nil when it has none.
func (l CartLine) LineTotal() *money.Money { return lineTotal(l.UnitPrice, l.Quantity) }

// Cart is a user's cart priced in one currency.
type Cart struct {
	Currency string
	Lines    []CartLine
	// Subtotal sums the lines that can be priced in the currency.
	Subtotal money.Money
}

// ItemCount is the number of items (the sum of the quantities).
func (c *Cart) ItemCount() int {
	n := 0
	for _, l := range c.Lines {
		n += l.Quantity
	}
	return n
}

// AddToCart adds quantity of a product that exists, is for sale and is priced in currency.
func (s *Service) AddToCart(ctx context.Context, userID string, productID uuid.UUID, quantity int, currency string) error {
	if quantity < 1 || quantity > maxQuantity {
		return userErr(graph.CodeInvalidInput, fmt.Sprintf("quantity must be between 1 and %d", maxQuantity), "input", "quantity")
	}
	quotes, err := s.quoter.Quote(ctx, currency, []uuid.UUID{productID})
	if rej, ok := productapi.IsRejected(err); ok {
		return userErr(graph.CodeInvalidInput, rej.Message, "input", "currency")
	}
	if err != nil {
		return fmt.Errorf("quote product: %w", err)
	}
	q, ok := quotes[productID]
	switch {
	case !ok:
		return userErr(graph.CodeNotFound, "no such product", "input", "productId")
	case !q.Active || q.UnitPrice == nil:
		return userErr(graph.CodeProductUnavailable, "this product is not for sale", "input", "productId")
	}
	lines, err := s.q.CartLines(ctx, userID)
	if err != nil {
		return fmt.Errorf("load cart: %w", err)
	}
	if len(lines) >= MaxCartLines && !slices.ContainsFunc(lines, func(l store.CartLine) bool { return l.ProductID == productID }) {
		return userErr(graph.CodeConflict, fmt.Sprintf("a cart holds at most %d products", MaxCartLines))
	}
	if _, err := s.q.AddCartLine(ctx, store.AddCartLineParams{UserID: userID, ProductID: productID, Quantity: int32(quantity)}); err != nil {
		return fmt.Errorf("add cart line: %w", err)
	}
	return nil
}

// SetQuantity changes a line's quantity; 0 removes it.
func (s *Service) SetQuantity(ctx context.Context, userID string, productID uuid.UUID, quantity int) error {
	if quantity < 0 || quantity > maxQuantity {
		return userErr(graph.CodeInvalidInput, fmt.Sprintf("quantity must be between 0 and %d", maxQuantity), "input", "quantity")
	}
	var (
		n   int64
		err error
	)
	if quantity == 0 {
		n, err = s.q.RemoveCartLine(ctx, store.RemoveCartLineParams{UserID: userID, ProductID: productID})
	} else {
		n, err = s.q.SetCartLine(ctx, store.SetCartLineParams{UserID: userID, ProductID: productID, Quantity: int32(quantity)})
	}
	if err != nil {
		return fmt.Errorf("change cart line: %w", err)
	}
	if n == 0 {
		return userErr(graph.CodeNotFound, "this product is not in the cart", "input", "productId")
	}
	return nil
}

// ClearCart empties the cart.
func (s *Service) ClearCart(ctx context.Context, userID string) error {
	if err := s.q.ClearCart(ctx, userID); err != nil {
		return fmt.Errorf("clear cart: %w", err)
	}
	return nil
}

// Cart loads and prices the cart (one call to the product service).
func (s *Service) Cart(ctx context.Context, userID, currency string) (*Cart, error) {
	if !money.ValidCurrency(currency) {
		return nil, graph.BadUserInput("%q is not an ISO 4217 currency code", currency)
	}
	rows, err := s.q.CartLines(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("load cart: %w", err)
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

// lineTotal is quantity times unit, nil without a unit price.
func lineTotal(unit *money.Money, quantity int) *money.Money {
	if unit == nil {
		return nil
	}
	return &money.Money{Amount: unit.Amount * int64(quantity), Currency: unit.Currency}
}
