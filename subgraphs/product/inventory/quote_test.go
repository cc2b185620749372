package inventory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/subgraphs/product/inventory"
)

func TestQuote(t *testing.T) {
	ctx := context.Background()
	a := newProduct(t, 4, 1999)
	qs, err := inv.Quote(ctx, "EUR", []uuid.UUID{a, uuid.New()})
	if err != nil || len(qs) != 1 || qs[0].Available != 4 || qs[0].UnitPrice.Amount != 1999 || !qs[0].Active {
		t.Fatalf("quote: %+v %v", qs, err)
	}
	qs, err = inv.Quote(ctx, "USD", []uuid.UUID{a})
	if err != nil || qs[0].UnitPrice != nil {
		t.Fatalf("quote without a USD price: %+v %v", qs, err)
	}
	if _, err := inv.Quote(ctx, "XX", nil); !errors.Is(err, inventory.ErrInvalid) {
		t.Fatalf("bad currency: %v", err)
	}
}
