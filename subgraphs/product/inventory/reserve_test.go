package inventory_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/subgraphs/product/catalog"
	"github.com/virtual-store/virtual-store/subgraphs/product/inventory"
)

func TestReserveIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	a, b := newProduct(t, 5, 100), newProduct(t, 1, 100)
	_, _, err := inv.Reserve(ctx, orderID(), "EUR", []inventory.Line{{ProductID: a, Quantity: 2}, {ProductID: b, Quantity: 2}}, 0)
	var short *inventory.InsufficientStockError
	if !errors.As(err, &short) || len(short.Shortages) != 1 || short.Shortages[0].ProductID != b || short.Shortages[0].Available != 1 {
		t.Fatalf("err = %v (%+v), want a shortage of b with 1 available", err, short)
	}
	wantLevel(t, a, 5, 0) // a's units were not kept
	wantLevel(t, b, 1, 0)
}

func TestReserveRefusesBadRequests(t *testing.T) {
	ctx := context.Background()
	a := newProduct(t, 5, 100)
	archived := newProduct(t, 5, 100)
	f := false
	if _, err := cat.UpdateProduct(ctx, catalog.ProductUpdate{ID: archived, Active: &f}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		orderID  string
		currency string
		lines    []inventory.Line
		want     error
	}{
		{"no lines", orderID(), "EUR", nil, inventory.ErrInvalid},
		{"zero quantity", orderID(), "EUR", []inventory.Line{{ProductID: a}}, inventory.ErrInvalid},
		{"negative quantity", orderID(), "EUR", []inventory.Line{{ProductID: a, Quantity: -1}}, inventory.ErrInvalid},
		{"bad currency", orderID(), "EURO", []inventory.Line{{ProductID: a, Quantity: 1}}, inventory.ErrInvalid},
		{"empty order id", "", "EUR", []inventory.Line{{ProductID: a, Quantity: 1}}, inventory.ErrInvalid},
		{"unknown product", orderID(), "EUR", []inventory.Line{{ProductID: uuid.New(), Quantity: 1}}, inventory.ErrProductNotFound},
		{"archived product", orderID(), "EUR", []inventory.Line{{ProductID: archived, Quantity: 1}}, inventory.ErrProductUnavailable},
		{"no price in currency", orderID(), "USD", []inventory.Line{{ProductID: a, Quantity: 1}}, inventory.ErrProductUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := inv.Reserve(ctx, tt.orderID, tt.currency, tt.lines, 0); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	wantLevel(t, a, 5, 0)
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM reservation_lines WHERE product_id = $1", a).Scan(&n); err != nil || n != 0 {
		t.Fatalf("refused requests left %d lines (%v)", n, err)
	}
}

func TestReservationCapturesPriceAtReservationTime(t *testing.T) {
	ctx := context.Background()
	a := newProduct(t, 5, 1999)
	id := orderID()
	if _, _, err := inv.Reserve(ctx, id, "EUR", []inventory.Line{{ProductID: a, Quantity: 1}}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.SetPrice(ctx, a, money.Money{Amount: 2999, Currency: "EUR"}, "test"); err != nil {
		t.Fatal(err)
	}
	res, err := inv.Get(ctx, id)
	if err != nil || res.Lines[0].UnitPrice.Amount != 1999 {
		t.Fatalf("reservation price = %+v (%v), want the 1999 of reservation time", res.Lines, err)
	}
}

// TestConcurrentReservationsNeverOversell is the proof the issue asks for:
// 100 buyers race for 10 units; exactly 10 win and the stock never goes negative.
func TestConcurrentReservationsNeverOversell(t *testing.T) {
	ctx := context.Background()
	a := newProduct(t, 10, 500)
	const buyers = 100
	var (
		wg         sync.WaitGroup
		mu         sync.Mutex
		won, short int
		unexpected []error
		winners    []string
		start      = make(chan struct{})
	)
	for range buyers {
		wg.Go(func() {
			<-start
			id := orderID()
			_, _, err := inv.Reserve(ctx, id, "EUR", []inventory.Line{{ProductID: a, Quantity: 1}}, 0)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
				winners = append(winners, id)
			case errors.Is(err, inventory.ErrInsufficientStock):
				short++
			default:
				unexpected = append(unexpected, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(unexpected) > 0 {
		t.Fatalf("unexpected errors: %v", unexpected)
	}
	if won != 10 || short != buyers-10 {
		t.Fatalf("won %d, short %d; want exactly 10 winners", won, short)
	}
	wantLevel(t, a, 10, 10)
	// Committing every winner empties the shelf exactly.
	for _, id := range winners {
		if _, err := inv.Commit(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	wantLevel(t, a, 0, 0)
}

// TestConcurrentMixedOrdersNeverOversell races multi-line orders over two
// products in both line orders (the deadlock-prone pattern).
func TestConcurrentMixedOrdersNeverOversell(t *testing.T) {
	ctx := context.Background()
	a, b := newProduct(t, 15, 100), newProduct(t, 15, 100)
	var wg sync.WaitGroup
	var mu sync.Mutex
	reservedA, reservedB := 0, 0
	for i := range 60 {
		wg.Go(func() {
			qa, qb := 1+i%3, 1+(i/3)%2
			lines := []inventory.Line{{ProductID: a, Quantity: qa}, {ProductID: b, Quantity: qb}}
			if i%2 == 1 {
				lines[0], lines[1] = lines[1], lines[0]
			}
			_, _, err := inv.Reserve(ctx, orderID(), "EUR", lines, 0)
			if err != nil && !errors.Is(err, inventory.ErrInsufficientStock) {
				t.Errorf("reserve: %v", err)
				return
			}
			if err == nil {
				mu.Lock()
				reservedA, reservedB = reservedA+qa, reservedB+qb
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if reservedA > 15 || reservedB > 15 {
		t.Fatalf("oversold: %d of a, %d of b from 15 each", reservedA, reservedB)
	}
	wantLevel(t, a, 15, reservedA)
	wantLevel(t, b, 15, reservedB)
}

// TestConcurrentSameOrderReservesOnce: retries of one checkout racing each
// other hold the stock once.
func TestConcurrentSameOrderReservesOnce(t *testing.T) {
	ctx := context.Background()
	a := newProduct(t, 10, 100)
	id := orderID()
	var wg sync.WaitGroup
	var mu sync.Mutex
	creators := 0
	for range 20 {
		wg.Go(func() {
			_, created, err := inv.Reserve(ctx, id, "EUR", []inventory.Line{{ProductID: a, Quantity: 3}}, 0)
			if err != nil {
				t.Errorf("reserve: %v", err)
				return
			}
			if created {
				mu.Lock()
				creators++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if creators != 1 {
		t.Fatalf("%d calls created the reservation, want 1", creators)
	}
	wantLevel(t, a, 10, 3)
}
