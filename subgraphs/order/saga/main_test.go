package saga_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/internal/testdb"
	"github.com/virtual-store/virtual-store/paymentgw"
	"github.com/virtual-store/virtual-store/sql/orderdb"
	"github.com/virtual-store/virtual-store/sql/paymentdb"
	"github.com/virtual-store/virtual-store/sql/productdb"
	"github.com/virtual-store/virtual-store/subgraphs/order/metrics"
	"github.com/virtual-store/virtual-store/subgraphs/order/orders"
	"github.com/virtual-store/virtual-store/subgraphs/order/paymentapi"
	"github.com/virtual-store/virtual-store/subgraphs/order/productapi"
	"github.com/virtual-store/virtual-store/subgraphs/order/saga"
	"github.com/virtual-store/virtual-store/subgraphs/product/inventory"
)

// The saga against real services: the order database, the product service's
// inventory API over HTTP on its own database, and the payment gateway's API
// over HTTP on its own database, with the order service as its merchant.

const orderMerchant = "spiffe://virtual-store/order"

var (
	orderPool, productPool, gatewayPool *pgxpool.Pool
	gw                                  *paymentgw.Gateway
	gwSwitch                            = &gatewaySwitch{}
	inventoryURL, gatewayURL            string
	quiet                               = gqltest.Quiet()
)

func TestMain(m *testing.M) {
	os.Exit(testdb.RunPackage(m, "saga", func(orderURL string) (func(), error) {
		ctx := context.Background()
		var cleanups []func()
		teardown := func() {
			for i := len(cleanups) - 1; i >= 0; i-- {
				cleanups[i]()
			}
		}
		var err error
		if orderPool, err = postgres.Open(ctx, orderURL, orderdb.Migrations(), quiet); err != nil {
			return nil, err
		}
		cleanups = append(cleanups, orderPool.Close)
		for _, db := range []struct {
			label string
			pool  **pgxpool.Pool
			open  func(url string) (*pgxpool.Pool, error)
		}{
			{"saga_product", &productPool, func(url string) (*pgxpool.Pool, error) { return postgres.Open(ctx, url, productdb.Migrations(), quiet) }},
			{"saga_paymentgw", &gatewayPool, func(url string) (*pgxpool.Pool, error) { return postgres.Open(ctx, url, paymentdb.Migrations(), quiet) }},
		} {
			url, drop, err := testdb.Create(ctx, db.label)
			if err != nil {
				teardown()
				return nil, err
			}
			cleanups = append(cleanups, func() { _ = drop() })
			if *db.pool, err = db.open(url); err != nil {
				teardown()
				return nil, err
			}
			cleanups = append(cleanups, (*db.pool).Close)
		}

		inv := inventory.New(productPool, quiet, 15*time.Minute)
		mux := http.NewServeMux()
		mux.Handle("/internal/v1/", http.StripPrefix("/internal/v1", inv.Handler(quiet)))
		invSrv := httptest.NewServer(mux)
		cleanups = append(cleanups, invSrv.Close)
		inventoryURL = invSrv.URL

		gw = paymentgw.New(gatewayPool)
		gwSwitch.modes = [...]http.Handler{
			normal:  gw.Handler("", paymentgw.Chaos{}, quiet),
			failing: gw.Handler("", paymentgw.Chaos{FailureRate: 1}, quiet),
			losing:  gw.Handler("", paymentgw.Chaos{TimeoutRate: 1}, quiet),
		}
		gwSrv := httptest.NewServer(http.StripPrefix("/v1", gwSwitch))
		cleanups = append(cleanups, gwSrv.Close)
		gatewayURL = gwSrv.URL
		return teardown, nil
	}))
}

// Gateway behaviours the tests switch between.
const (
	normal  = iota
	failing // 503 before anything is recorded
	losing  // recorded, then the connection is dropped without a reply
)

// gatewaySwitch serves the real gateway, as the order service's merchant
// (what the mTLS middleware does in production), in the current mode.
type gatewaySwitch struct {
	mode  atomic.Int32
	modes [3]http.Handler
}

func (s *gatewaySwitch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.modes[s.mode.Load()].ServeHTTP(w, r.WithContext(paymentgw.WithMerchant(r.Context(), orderMerchant)))
}

func setGateway(t *testing.T, mode int32) {
	gwSwitch.mode.Store(mode)
	t.Cleanup(func() { gwSwitch.mode.Store(normal) })
}

// env is one test's engine, with its log and metrics.
type env struct {
	engine *saga.Engine
	orders *orders.Service
	reg    *prometheus.Registry
	log    *gqltest.LogBuffer
}

func newEnv(t *testing.T) env {
	t.Helper()
	logs := &gqltest.LogBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	products := productapi.New(inventoryURL, nil)
	payments := paymentapi.New(gatewayURL, "", nil)
	e := saga.New(orderPool, products, payments, log)
	reg := prometheus.NewRegistry()
	if err := e.CountMismatches(reg); err != nil {
		t.Fatal(err)
	}
	// The order service's business metrics, wired as server.go does.
	m, err := metrics.NewCheckout(reg)
	if err != nil {
		t.Fatal(err)
	}
	e.Metrics, payments.Metrics = m, m
	return env{engine: e, orders: orders.New(orderPool, e, products, time.Second), reg: reg, log: logs}
}

// errorLogs returns the error-level records about an order in logs.
func errorLogs(logs *gqltest.LogBuffer, orderID uuid.UUID) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["level"] == "ERROR" && rec["order_id"] == orderID.String() {
			out = append(out, rec)
		}
	}
	return out
}

// mismatches reads order_payment_mismatches_total{kind}.
func (e env) mismatches(t *testing.T, kind string) float64 {
	t.Helper()
	families, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "order_payment_mismatches_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" && l.GetValue() == kind {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no order_payment_mismatches_total{kind=%q}", kind)
	return 0
}
