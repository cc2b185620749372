package order_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/metricstest"
	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/internal/pki/pkitest"
	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/internal/testdb"
	"github.com/virtual-store/virtual-store/subgraphs/order"
)

// TestAdminPortServesTheOrderMetrics wires the service as the binary does
// and reads its admin port: database, pool, checkout and order metrics.
func TestAdminPortServesTheOrderMetrics(t *testing.T) {
	ctx := context.Background()
	kit := pkitest.New(t)
	svc, err := order.New(ctx, order.Config{
		DatabaseURL: testdb.New(t), DBMaxConns: 7,
		ProductURL: "https://localhost:1", PaymentURL: "https://localhost:1", // not called here
		CheckoutWait: time.Second, WorkerInterval: time.Second, WorkerParallel: 1, ComplexityLimit: 3000,
	}, service.Common{Environment: service.EnvDevelopment}, gqltest.Quiet(), service.NewRegistry(), kit.Source(t, pki.Order))
	if err != nil {
		t.Fatal(err)
	}
	admin := httptest.NewServer(svc.Admin)
	t.Cleanup(admin.Close)
	t.Cleanup(svc.Pool.Close)

	// Orders in some statuses, as the saga and the admins leave them.
	for status, n := range map[string]int{"PAID": 3, "PAYMENT_FAILED": 2, "SHIPPED": 1} {
		for range n {
			if _, err := svc.Pool.Exec(ctx, `INSERT INTO orders (id, user_id, idempotency_key, status, payment_status, currency, shipping_address, payment_token, saga_step)
				VALUES ($1, 'user-1', $2, $3, 'NONE', 'EUR', '{}', 'tok_visa', 'DONE')`, uuid.New(), uuid.NewString(), status); err != nil {
				t.Fatal(err)
			}
		}
	}
	s := metricstest.Scrape(t, admin.URL+"/metrics")
	for status, want := range map[string]float64{"paid": 3, "payment_failed": 2, "shipped": 1, "pending": 0, "refunded": 0} {
		if !s.Has("orders", "status", status) || s.Sum("orders", "status", status) != want {
			t.Errorf("orders{status=%q} = %v (present %v), want %v", status, s.Sum("orders", "status", status), s.Has("orders", "status", status), want)
		}
	}
	if got := len(s.Find("orders")); got != 9 {
		t.Errorf("%d orders series, want one per status (9)", got)
	}
	for _, want := range [][]string{
		{"checkouts_total", "outcome", "paid"}, {"checkouts_total", "outcome", "payment_failed"}, {"checkouts_total", "outcome", "cancelled"},
		{"payment_declines_total", "reason", "CARD_DECLINED"}, {"order_payment_mismatches_total", "kind", "payment_mismatch"},
		{"db_pool_connections", "state", "idle"}, {"db_pool_connections", "state", "in_use"}, {"db_pool_acquire_wait_seconds_total"},
	} {
		if !s.Has(want[0], want[1:]...) {
			t.Errorf("no %v on /metrics", want)
		}
	}
	if got := s.Sum("db_pool_connections", "state", "max"); got != 7 {
		t.Errorf("db_pool_connections{state=\"max\"} = %v, want ORDER_DB_MAX_CONNS (7)", got)
	}
	// The scrape's own count ran through the instrumented pool.
	s = metricstest.Scrape(t, admin.URL+"/metrics")
	if got := s.Sum("db_query_duration_seconds_count", "system", "postgresql", "query", "CountOrdersByStatus", "outcome", "ok"); got < 1 {
		t.Errorf("CountOrdersByStatus timed %v times", got)
	}

	// Without a database the gauge is left out, and the rest still scrapes.
	svc.Pool.Close()
	s = metricstest.Scrape(t, admin.URL+"/metrics")
	if s.Has("orders") {
		t.Error("orders exported without a database")
	}
	if !s.Has("checkouts_total") || !s.Has("db_pool_connections") {
		t.Error("a failing gauge took other metrics down with it")
	}
}
