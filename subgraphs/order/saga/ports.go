package saga

import (
	"context"

	"github.com/virtual-store/virtual-store/subgraphs/order/paymentapi"
	"github.com/virtual-store/virtual-store/subgraphs/order/productapi"
)

// The saga's ports: what it needs of the other services, so that tests can
// stand in for them. Every call is keyed by the order (its id, or keys
// derived from it), so that repeating one after a crash or a lost reply has
// the effect of making it once.

// Inventory is what the saga needs of the product service.
type Inventory interface {
	Reserve(ctx context.Context, orderID, currency string, lines []productapi.Line) (productapi.Reservation, error)
	Commit(ctx context.Context, orderID string) error
	Release(ctx context.Context, orderID string) error
	Return(ctx context.Context, orderID string) error
}

// Payments is what the saga needs of the payment gateway.
type Payments interface {
	Charge(ctx context.Context, key string, amount int64, currency, source, reference string) (paymentapi.Payment, error)
	PaymentByKey(ctx context.Context, key string) (paymentapi.Payment, error)
	Refund(ctx context.Context, paymentID, key string) error
}
