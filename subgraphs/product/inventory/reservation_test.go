package inventory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/subgraphs/product/inventory"
)

func TestReserveCommitLifecycle(t *testing.T) {
	ctx := context.Background()
	a, b := newProduct(t, 5, 1000), newProduct(t, 3, 250)
	id := orderID()

	res, created, err := inv.Reserve(ctx, id, "EUR", []inventory.Line{{ProductID: a, Quantity: 2}, {ProductID: b, Quantity: 1}, {ProductID: a, Quantity: 1}}, 0)
	if err != nil || !created {
		t.Fatalf("reserve: created=%v err=%v", created, err)
	}
	if res.Status != inventory.StatusActive || len(res.Lines) != 2 {
		t.Fatalf("reservation = %+v", res)
	}
	for _, l := range res.Lines {
		want := map[uuid.UUID][2]int64{a: {3, 1000}, b: {1, 250}}[l.ProductID]
		if int64(l.Quantity) != want[0] || l.UnitPrice.Amount != want[1] || l.UnitPrice.Currency != "EUR" {
			t.Errorf("line %+v, want quantity %d at %d", l, want[0], want[1])
		}
	}
	wantLevel(t, a, 5, 3)
	wantLevel(t, b, 3, 1)

	// The same request again is the same reservation, holding nothing more.
	again, created, err := inv.Reserve(ctx, id, "EUR", []inventory.Line{{ProductID: b, Quantity: 1}, {ProductID: a, Quantity: 3}}, 0)
	if err != nil || created || again.OrderID != id {
		t.Fatalf("repeat: created=%v err=%v", created, err)
	}
	wantLevel(t, a, 5, 3)

	// Different lines under the same order id are refused.
	if _, _, err := inv.Reserve(ctx, id, "EUR", []inventory.Line{{ProductID: a, Quantity: 1}}, 0); !errors.Is(err, inventory.ErrConflict) {
		t.Fatalf("different lines: err = %v, want ErrConflict", err)
	}

	for range 2 { // commit is idempotent
		res, err = inv.Commit(ctx, id)
		if err != nil || res.Status != inventory.StatusCommitted {
			t.Fatalf("commit: %+v %v", res, err)
		}
	}
	wantLevel(t, a, 2, 0)
	wantLevel(t, b, 2, 0)

	if _, err := inv.Release(ctx, id); !errors.Is(err, inventory.ErrConflict) {
		t.Fatalf("release after commit: err = %v, want ErrConflict", err)
	}
	wantLevel(t, a, 2, 0)
}

func TestReleaseIsIdempotentAndReturnsStock(t *testing.T) {
	ctx := context.Background()
	a := newProduct(t, 4, 100)
	id := orderID()
	if _, _, err := inv.Reserve(ctx, id, "EUR", []inventory.Line{{ProductID: a, Quantity: 4}}, 0); err != nil {
		t.Fatal(err)
	}
	wantLevel(t, a, 4, 4)
	for range 2 {
		res, err := inv.Release(ctx, id)
		if err != nil || res.Status != inventory.StatusReleased {
			t.Fatalf("release: %+v %v", res, err)
		}
		wantLevel(t, a, 4, 0)
	}
	if _, err := inv.Commit(ctx, id); !errors.Is(err, inventory.ErrConflict) {
		t.Fatalf("commit after release: err = %v, want ErrConflict", err)
	}
	if _, _, err := inv.Reserve(ctx, id, "EUR", []inventory.Line{{ProductID: a, Quantity: 4}}, 0); !errors.Is(err, inventory.ErrConflict) {
		t.Fatalf("reserve after release: err = %v, want ErrConflict", err)
	}
	wantLevel(t, a, 4, 0)
}

func TestReleaseBeforeReserveLeavesTombstone(t *testing.T) {
	ctx := context.Background()
	a := newProduct(t, 2, 100)
	id := orderID()
	res, err := inv.Release(ctx, id)
	if err != nil || res.Status != inventory.StatusReleased || len(res.Lines) != 0 {
		t.Fatalf("release of unknown order: %+v %v", res, err)
	}
	if _, _, err := inv.Reserve(ctx, id, "EUR", []inventory.Line{{ProductID: a, Quantity: 1}}, 0); !errors.Is(err, inventory.ErrConflict) {
		t.Fatalf("late reserve: err = %v, want ErrConflict", err)
	}
	wantLevel(t, a, 2, 0)
	if _, err := inv.Commit(ctx, orderID()); !errors.Is(err, inventory.ErrNotFound) {
		t.Fatalf("commit of unknown order: err = %v, want ErrNotFound", err)
	}
}

func TestReturnPutsCommittedUnitsBack(t *testing.T) {
	ctx := context.Background()
	a := newProduct(t, 5, 100)
	id := orderID()
	if _, _, err := inv.Reserve(ctx, id, "EUR", []inventory.Line{{ProductID: a, Quantity: 2}}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := inv.Return(ctx, id); !errors.Is(err, inventory.ErrConflict) {
		t.Fatalf("return of an uncommitted reservation: %v", err)
	}
	if _, err := inv.Commit(ctx, id); err != nil {
		t.Fatal(err)
	}
	wantLevel(t, a, 3, 0)
	for range 2 { // idempotent
		res, err := inv.Return(ctx, id)
		if err != nil || res.Status != inventory.StatusReturned {
			t.Fatalf("return: %v %v", res.Status, err)
		}
		wantLevel(t, a, 5, 0)
	}
	if res, err := inv.Commit(ctx, id); err != nil || res.Status != inventory.StatusReturned {
		t.Fatalf("commit after return must not consume again: %v %v", res.Status, err)
	}
	wantLevel(t, a, 5, 0)
}
