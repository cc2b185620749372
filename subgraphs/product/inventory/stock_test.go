package inventory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/subgraphs/product/inventory"
)

func TestAdjustNeverGoesBelowReserved(t *testing.T) {
	ctx := context.Background()
	a := newProduct(t, 5, 100)
	if _, _, err := inv.Reserve(ctx, orderID(), "EUR", []inventory.Line{{ProductID: a, Quantity: 3}}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := inv.Adjust(ctx, a, -3, "count", "test"); !errors.Is(err, inventory.ErrStockBelowReserve) {
		t.Fatalf("adjust below reserved: err = %v", err)
	}
	lvl, err := inv.Adjust(ctx, a, -2, "damaged", "test")
	if err != nil || lvl != (inventory.Level{OnHand: 3, Reserved: 3, Available: 0}) {
		t.Fatalf("adjust: %+v %v", lvl, err)
	}
	if _, err := inv.Adjust(ctx, uuid.New(), 1, "delivery", "test"); !errors.Is(err, inventory.ErrProductNotFound) {
		t.Fatalf("adjust unknown: err = %v", err)
	}
}
