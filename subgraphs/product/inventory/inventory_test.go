package inventory_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/internal/testdb"
	"github.com/virtual-store/virtual-store/sql/productdb"
	"github.com/virtual-store/virtual-store/subgraphs/product/catalog"
	"github.com/virtual-store/virtual-store/subgraphs/product/inventory"
)

var (
	pool  *pgxpool.Pool
	cat   *catalog.Catalog
	inv   *inventory.Inventory
	quiet = slog.New(slog.NewTextHandler(io.Discard, nil))
)

func TestMain(m *testing.M) {
	os.Exit(testdb.RunPackage(m, "inventory", func(url string) (func(), error) {
		cfg, err := pgxpool.ParseConfig(url)
		if err != nil {
			return nil, err
		}
		cfg.MaxConns = 40 // enough for the concurrency tests to contend for real
		pool, err = postgres.OpenConfig(context.Background(), cfg, productdb.Migrations(), quiet)
		if err != nil {
			return nil, err
		}
		cat = catalog.New(pool)
		inv = inventory.New(pool, quiet, 15*time.Minute)
		return pool.Close, nil
	}))
}

var skuSeq int

// newProduct creates an active product with stock and a EUR price.
func newProduct(t *testing.T, stock int, eur int64) uuid.UUID {
	t.Helper()
	skuSeq++
	p, err := cat.CreateProduct(context.Background(), catalog.NewProduct{
		SKU: fmt.Sprintf("T-%s-%d", time.Now().Format("150405"), skuSeq), Name: "Test product",
		Prices: []money.Money{{Amount: eur, Currency: "EUR"}}, InitialStock: stock,
	}, "test")
	if err != nil {
		t.Fatalf("create product: %v", err)
	}
	return p.ID
}

func level(t *testing.T, id uuid.UUID) (onHand, reserved int) {
	t.Helper()
	if err := pool.QueryRow(context.Background(), "SELECT on_hand, reserved FROM stock WHERE product_id = $1", id).Scan(&onHand, &reserved); err != nil {
		t.Fatal(err)
	}
	return onHand, reserved
}

func wantLevel(t *testing.T, id uuid.UUID, onHand, reserved int) {
	t.Helper()
	if o, r := level(t, id); o != onHand || r != reserved {
		t.Fatalf("stock = on hand %d reserved %d, want %d/%d", o, r, onHand, reserved)
	}
}

func orderID() string { return "order-" + uuid.NewString() }

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
