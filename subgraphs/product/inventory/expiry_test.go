package inventory_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/virtual-store/virtual-store/subgraphs/product/inventory"
)

func TestExpiryReturnsStock(t *testing.T) {
	ctx := context.Background()
	a := newProduct(t, 3, 100)
	id, kept := orderID(), orderID()
	for _, o := range []string{id, kept} {
		if _, _, err := inv.Reserve(ctx, o, "EUR", []inventory.Line{{ProductID: a, Quantity: 1}}, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	// Age one reservation past its TTL instead of sleeping through it.
	if _, err := pool.Exec(ctx, "UPDATE reservations SET expires_at = now() - interval '1 second' WHERE order_id = $1", id); err != nil {
		t.Fatal(err)
	}
	n, err := inv.ExpireDue(ctx, 100)
	if err != nil || n < 1 {
		t.Fatalf("ExpireDue = %d, %v", n, err)
	}
	wantLevel(t, a, 3, 1)
	if res, _ := inv.Get(ctx, id); res.Status != inventory.StatusExpired {
		t.Fatalf("status = %s, want EXPIRED", res.Status)
	}
	if _, err := inv.Commit(ctx, id); !errors.Is(err, inventory.ErrConflict) {
		t.Fatalf("commit of expired: err = %v, want ErrConflict", err)
	}
	if res, err := inv.Release(ctx, id); err != nil || res.Status != inventory.StatusExpired {
		t.Fatalf("release of expired: %+v %v, want it unchanged", res.Status, err)
	}
	if res, err := inv.Commit(ctx, kept); err != nil || res.Status != inventory.StatusCommitted {
		t.Fatalf("commit of the unexpired one: %v %v", res.Status, err)
	}
	wantLevel(t, a, 2, 0)
}
