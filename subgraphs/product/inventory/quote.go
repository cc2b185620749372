package inventory

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/subgraphs/product/store"
)

// Quote is a product's current price in one currency and what is available.
type Quote struct {
	ProductID uuid.UUID    `json:"productId"`
	Active    bool         `json:"active"`
	Available int          `json:"available"`
	UnitPrice *money.Money `json:"unitPrice"` // nil if not sold in the currency
}

// Quote prices products in currency for a cart; unknown ids are left out.
func (inv *Inventory) Quote(ctx context.Context, currency string, ids []uuid.UUID) ([]Quote, error) {
	if !money.ValidCurrency(currency) {
		return nil, fmt.Errorf("%w: currency %q is not an ISO 4217 code", ErrInvalid, currency)
	}
	if len(ids) > MaxLines {
		return nil, fmt.Errorf("%w: at most %d products", ErrInvalid, MaxLines)
	}
	rows, err := inv.q.QuoteProducts(ctx, store.QuoteProductsParams{Currency: currency, Ids: ids})
	if err != nil {
		return nil, fmt.Errorf("quote: %w", err)
	}
	out := make([]Quote, len(rows))
	for i, r := range rows {
		out[i] = Quote{ProductID: r.ID, Active: r.Active, Available: max(int(r.Available), 0)}
		if r.Amount.Valid {
			out[i].UnitPrice = &money.Money{Amount: r.Amount.Int64, Currency: currency}
		}
	}
	return out, nil
}
