package product_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/internal/metricstest"
	"github.com/virtual-store/virtual-store/internal/money"
	"github.com/virtual-store/virtual-store/subgraphs/product/catalog"
	"github.com/virtual-store/virtual-store/subgraphs/product/inventory"
)

func scrape(t *testing.T) metricstest.Samples {
	t.Helper()
	return metricstest.Scrape(t, adminSrv.URL+"/metrics")
}

func TestStockMetrics(t *testing.T) {
	ctx, inv := context.Background(), svc.Inventory
	p, err := svc.Catalog.CreateProduct(ctx, catalog.NewProduct{
		SKU: fmt.Sprintf("MET-%d", time.Now().UnixNano()), Name: "Metrics widget",
		Prices: []money.Money{{Amount: 1000, Currency: "EUR"}}, InitialStock: 5,
	}, "test")
	if err != nil {
		t.Fatal(err)
	}
	line := func(n int) []inventory.Line { return []inventory.Line{{ProductID: p.ID, Quantity: n}} }
	activeInDB := func() float64 {
		var n int64
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM reservations WHERE status = 'ACTIVE'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return float64(n)
	}
	restocks := func(s metricstest.Samples, kind string) float64 {
		return s.Sum("inventory_restocks_total", "kind", kind)
	}
	before := scrape(t)

	// A reservation refused for want of stock is a stockout; holding one is active.
	if _, _, err := inv.Reserve(ctx, uuid.NewString(), "EUR", line(6), 0); !errors.Is(err, inventory.ErrInsufficientStock) {
		t.Fatalf("reserve 6 of 5: %v", err)
	}
	expiring := uuid.NewString()
	if _, _, err := inv.Reserve(ctx, expiring, "EUR", line(2), 0); err != nil {
		t.Fatal(err)
	}
	s := scrape(t)
	if got := s.Sum("stockouts_total") - before.Sum("stockouts_total"); got != 1 {
		t.Errorf("stockouts_total +%v, want +1", got)
	}
	if got, want := s.Sum("reservations_active"), activeInDB(); got != want || got < 1 {
		t.Errorf("reservations_active = %v, want %v (the ACTIVE rows, at least the one held)", got, want)
	}

	// The sweeper expiring it counts, and it is no longer active.
	if _, err := pool.Exec(ctx, "UPDATE reservations SET expires_at = now() - interval '1 minute' WHERE order_id = $1", expiring); err != nil {
		t.Fatal(err)
	}
	n, err := inv.ExpireDue(ctx, 100)
	if err != nil || n < 1 {
		t.Fatalf("expired %d: %v", n, err)
	}
	s = scrape(t)
	if got := s.Sum("reservations_expired_total") - before.Sum("reservations_expired_total"); got != float64(n) {
		t.Errorf("reservations_expired_total +%v, want +%d", got, n)
	}
	if got, want := s.Sum("reservations_active"), activeInDB(); got != want {
		t.Errorf("reservations_active = %v after expiry, want %v", got, want)
	}

	// Units coming back: a paid order's return (once, however often it is
	// asked for) and an admin adding stock (not removing it).
	sold := uuid.NewString()
	if _, _, err := inv.Reserve(ctx, sold, "EUR", line(1), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := inv.Commit(ctx, sold); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := inv.Return(ctx, sold); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := inv.Adjust(ctx, p.ID, 3, "delivery", "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := inv.Adjust(ctx, p.ID, -1, "breakage", "test"); err != nil {
		t.Fatal(err)
	}
	s = scrape(t)
	if got := restocks(s, inventory.RestockReturn) - restocks(before, inventory.RestockReturn); got != 1 {
		t.Errorf("inventory_restocks_total{kind=\"return\"} +%v, want +1", got)
	}
	if got := restocks(s, inventory.RestockAdjustment) - restocks(before, inventory.RestockAdjustment); got != 1 {
		t.Errorf("inventory_restocks_total{kind=\"adjustment\"} +%v, want +1", got)
	}
	if got := s.Sum("stockouts_total") - before.Sum("stockouts_total"); got != 1 {
		t.Errorf("stockouts_total +%v after successful reservations, want still +1", got)
	}
}

func TestDatabaseMetrics(t *testing.T) {
	anon.Do(t, `{ categories { slug } }`, nil)
	s := scrape(t)
	if got := s.Sum("db_query_duration_seconds_count", "system", "postgresql", "query", "AllCategories", "outcome", "ok"); got < 1 {
		t.Errorf("AllCategories timed %v times, want at least 1", got)
	}
	// The query label takes sqlc names, transaction control and "other" only.
	for _, q := range s.LabelValues("db_query_duration_seconds_count", "query") {
		if q == "" || q != "other" && q != "begin" && q != "commit" && q != "rollback" && q != "savepoint" && !(q[0] >= 'A' && q[0] <= 'Z') {
			t.Errorf("query label %q is no sqlc query name", q)
		}
	}
	if got, want := s.Sum("db_pool_connections", "state", "max"), float64(pool.Stat().MaxConns()); got != want {
		t.Errorf("db_pool_connections{state=\"max\"} = %v, want %v", got, want)
	}
	if got := s.Sum("db_pool_acquires_total"); got < 1 {
		t.Errorf("db_pool_acquires_total = %v", got)
	}
}
