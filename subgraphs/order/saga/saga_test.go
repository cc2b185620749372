package saga_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/internal/money"
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
	"github.com/virtual-store/virtual-store/subgraphs/order/store"
	"github.com/virtual-store/virtual-store/subgraphs/product/catalog"
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
	quiet                               = slog.New(slog.NewTextHandler(io.Discard, nil))
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
	log    *lockedBuffer
}

func newEnv(t *testing.T) env {
	t.Helper()
	logs := &lockedBuffer{}
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

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// errorLogs returns the error-level records about an order.
func (l *lockedBuffer) errorLogs(orderID uuid.UUID) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(l.b.String(), "\n") {
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

var skuSeq atomic.Int64

// newProduct creates a product with stock and a EUR price in the product database.
func newProduct(t *testing.T, stock int, eur int64) uuid.UUID {
	t.Helper()
	p, err := catalog.New(productPool).CreateProduct(context.Background(), catalog.NewProduct{
		SKU: fmt.Sprintf("SAGA-%d-%d", time.Now().UnixNano(), skuSeq.Add(1)), Name: "Saga test product",
		Prices: []money.Money{{Amount: eur, Currency: "EUR"}}, InitialStock: stock,
	}, "test")
	if err != nil {
		t.Fatalf("create product: %v", err)
	}
	return p.ID
}

func stockOf(t *testing.T, product uuid.UUID) (onHand, reserved int) {
	t.Helper()
	if err := productPool.QueryRow(context.Background(), "SELECT on_hand, reserved FROM stock WHERE product_id = $1", product).Scan(&onHand, &reserved); err != nil {
		t.Fatal(err)
	}
	return onHand, reserved
}

// placeOrder records an order the way checkout does (the cart already
// turned into lines and cleared), without running its saga.
func placeOrder(t *testing.T, product uuid.UUID, quantity int32) store.Order {
	t.Helper()
	ctx := context.Background()
	var o store.Order
	err := postgres.InTx(ctx, orderPool, func(tx pgx.Tx) error {
		q := store.New(tx)
		id := uuid.New()
		if _, err := q.InsertOrder(ctx, store.InsertOrderParams{ID: id, UserID: "user-" + uuid.NewString(), IdempotencyKey: uuid.NewString(),
			Currency: "EUR", ShippingAddress: []byte(`{"name":"Ada","line1":"1 Test Street","city":"Berlin","postalCode":"10115","country":"DE"}`),
			PaymentToken: "tok_visa"}); err != nil {
			return err
		}
		if err := q.InsertOrderLine(ctx, store.InsertOrderLineParams{OrderID: id, ProductID: product, Quantity: quantity}); err != nil {
			return err
		}
		var err error
		if o, err = q.OrderByID(ctx, id); err != nil {
			return err
		}
		return saga.RecordCreated(ctx, q, &o, "customer:"+o.UserID)
	})
	if err != nil {
		t.Fatalf("place order: %v", err)
	}
	return o
}

func chargeKey(id uuid.UUID) string { return "order-" + id.String() + "-charge" }

func orderByID(t *testing.T, id uuid.UUID) store.Order {
	t.Helper()
	o, err := store.New(orderPool).OrderByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// finish runs the order's saga to its end, waiting through retry delays.
func (e env) finish(t *testing.T, id uuid.UUID) store.Order {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := e.engine.Advance(ctx, id, true); err != nil {
		t.Fatal(err)
	}
	o := orderByID(t, id)
	if saga.Step(o.SagaStep) != saga.StepDone {
		t.Fatalf("saga not done: step %s, error %q", o.SagaStep, o.SagaError)
	}
	return o
}

// firstAttemptFails runs the order until its charge has failed once with the
// outcome unknown (the gateway in mode), so the next attempt looks the
// payment up by key first.
func (e env) firstAttemptFails(t *testing.T, id uuid.UUID, mode int32) {
	t.Helper()
	setGateway(t, mode)
	if err := e.engine.Advance(context.Background(), id, false); err != nil {
		t.Fatal(err)
	}
	gwSwitch.mode.Store(normal)
	if o := orderByID(t, id); saga.Step(o.SagaStep) != saga.StepCharge || o.SagaAttempts != 1 || o.Status != "AWAITING_PAYMENT" {
		t.Fatalf("after a failed charge: step %s, attempts %d, status %s", o.SagaStep, o.SagaAttempts, o.Status)
	}
}

// plant records a payment under the order service's merchant (or another).
func plant(t *testing.T, merchant, key string, amount int64, currency, reference string) paymentgw.Payment {
	t.Helper()
	p, err := gw.CreatePayment(context.Background(), merchant, key, paymentgw.PaymentRequest{Amount: amount, Currency: currency, Source: "tok_visa", Reference: reference})
	if err != nil || p.Status != "succeeded" {
		t.Fatalf("plant payment: %+v %v", p, err)
	}
	return p
}

// wantFailedSafely checks an order failed for reason without taking a
// payment for its own, with its cart restored and its stock released.
func wantFailedSafely(t *testing.T, e env, o store.Order, reason, kind string, product uuid.UUID, quantity int32, stock int) {
	t.Helper()
	if o.Status != "PAYMENT_FAILED" || o.PaymentStatus != "FAILED" || o.FailureReason != reason || o.PaymentID != "" {
		t.Errorf("order: status %s, payment %s, reason %q, payment id %q; want PAYMENT_FAILED, FAILED, %s, none",
			o.Status, o.PaymentStatus, o.FailureReason, o.PaymentID, reason)
	}
	var inCart int32
	if err := orderPool.QueryRow(context.Background(), "SELECT quantity FROM cart_lines WHERE user_id = $1 AND product_id = $2", o.UserID, product).Scan(&inCart); err != nil || inCart != quantity {
		t.Errorf("cart holds %d (%v), want the order's %d restored", inCart, err, quantity)
	}
	if onHand, reserved := stockOf(t, product); onHand != stock || reserved != 0 {
		t.Errorf("stock on hand %d reserved %d, want %d and 0 (released)", onHand, reserved, stock)
	}
	if got := e.mismatches(t, kind); got != 1 {
		t.Errorf("order_payment_mismatches_total{kind=%q} = %v, want 1", kind, got)
	}
	if logs := e.log.errorLogs(o.ID); len(logs) != 1 {
		t.Errorf("%d error logs about the order, want 1: %v", len(logs), logs)
	}
	var history []string
	rows, _ := orderPool.Query(context.Background(), "SELECT to_status FROM order_status_history WHERE order_id = $1 ORDER BY id", o.ID)
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		history = append(history, s)
	}
	if strings.Join(history, ",") != "PENDING,AWAITING_PAYMENT,PAYMENT_FAILED" {
		t.Errorf("history %v", history)
	}
}

func TestLostReplyIsFoundAndTrusted(t *testing.T) {
	e := newEnv(t)
	product := newProduct(t, 10, 2500)
	o := placeOrder(t, product, 2)
	e.firstAttemptFails(t, o.ID, losing)
	p, err := gw.PaymentByKey(context.Background(), orderMerchant, chargeKey(o.ID))
	if err != nil {
		t.Fatalf("the lost reply's payment was not recorded: %v", err)
	}
	o = e.finish(t, o.ID)
	if o.Status != "PAID" || o.PaymentStatus != "CAPTURED" || o.PaymentID != p.ID || o.Total != 5000 || !o.StockCommitted {
		t.Fatalf("order %s/%s payment %q total %d committed %v; want PAID, CAPTURED, %s, 5000, true", o.Status, o.PaymentStatus, o.PaymentID, o.Total, o.StockCommitted, p.ID)
	}
	if onHand, reserved := stockOf(t, product); onHand != 8 || reserved != 0 {
		t.Fatalf("stock %d/%d, want 8/0", onHand, reserved)
	}
	if o.PaymentToken != "" {
		t.Fatalf("payment token %q kept after the charge, want it forgotten", o.PaymentToken)
	}
	var n int
	if err := gatewayPool.QueryRow(context.Background(), "SELECT count(*) FROM payments WHERE reference = $1", o.ID.String()).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d payments for the order (%v), want 1", n, err)
	}
	if got := e.mismatches(t, saga.MismatchPayment); got != 0 {
		t.Fatalf("mismatches %v, want 0", got)
	}
}

func TestPaymentFoundByKeyMustBeTheOrders(t *testing.T) {
	tests := []struct {
		name     string
		amount   int64 // 0: the order's
		currency string
		ref      string // "": the order's id
	}{
		{name: "amount", amount: 4999},
		{name: "currency", currency: "USD"},
		{name: "reference", ref: "order-" + uuid.NewString()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			product := newProduct(t, 10, 2500)
			o := placeOrder(t, product, 2)
			e.firstAttemptFails(t, o.ID, failing)
			amount, currency, ref := cmp.Or(tt.amount, 5000), cmp.Or(tt.currency, "EUR"), cmp.Or(tt.ref, o.ID.String())
			foreign := plant(t, orderMerchant, chargeKey(o.ID), amount, currency, ref)

			o = e.finish(t, o.ID)
			wantFailedSafely(t, e, o, "PAYMENT_MISMATCH", saga.MismatchPayment, product, 2, 10)
			if o.PaymentID == foreign.ID {
				t.Error("the foreign payment was recorded as the order's")
			}
			logs := e.log.errorLogs(o.ID)
			if len(logs) == 1 && (logs[0]["expected_amount"] != 5000.0 || logs[0]["found_amount"] != float64(amount) ||
				logs[0]["expected_currency"] != "EUR" || logs[0]["found_currency"] != currency ||
				logs[0]["expected_reference"] != o.ID.String() || logs[0]["found_reference"] != ref || logs[0]["payment_id"] != foreign.ID) {
				t.Errorf("mismatch log lacks what was expected and found: %v", logs[0])
			}
			// The saga did not charge anew: the planted payment is the only one under the key.
			var n int
			if err := gatewayPool.QueryRow(context.Background(), "SELECT count(*) FROM payments WHERE merchant = $1 AND (reference = $2 OR idempotency_key = $3)",
				orderMerchant, o.ID.String(), chargeKey(o.ID)).Scan(&n); err != nil || n != 1 {
				t.Errorf("%d payments for the order (%v), want only the planted one", n, err)
			}
		})
	}
}

func TestChargeKeyConflictFailsTheOrder(t *testing.T) {
	e := newEnv(t)
	product := newProduct(t, 10, 2500)
	o := placeOrder(t, product, 2)
	// Another request already sits under the key the order will use.
	foreign := plant(t, orderMerchant, chargeKey(o.ID), 100, "EUR", "someone-else")
	o = e.finish(t, o.ID)
	wantFailedSafely(t, e, o, "PAYMENT_KEY_CONFLICT", saga.MismatchChargeKey, product, 2, 10)
	if o.PaymentToken != "" {
		t.Fatalf("payment token %q kept after a failed charge, want it forgotten", o.PaymentToken)
	}
	if got := e.mismatches(t, saga.MismatchPayment); got != 0 {
		t.Errorf("payment mismatches %v, want 0 (it is a key conflict)", got)
	}
	if p, err := gw.PaymentByID(context.Background(), orderMerchant, foreign.ID); err != nil || p.RefundedAmount != 0 {
		t.Errorf("the foreign payment: %+v %v", p, err)
	}
}

func TestAnotherMerchantsKeyIsNoConcern(t *testing.T) {
	e := newEnv(t)
	product := newProduct(t, 10, 2500)
	o := placeOrder(t, product, 2)
	other := plant(t, "spiffe://virtual-store/other-shop", chargeKey(o.ID), 100, "EUR", "elsewhere")
	o = e.finish(t, o.ID)
	if o.Status != "PAID" || o.PaymentID == "" || o.PaymentID == other.ID {
		t.Fatalf("order %s, payment %q (the other merchant's is %s); want PAID with its own payment", o.Status, o.PaymentID, other.ID)
	}
	p, err := gw.PaymentByID(context.Background(), orderMerchant, o.PaymentID)
	if err != nil || p.Amount != 5000 || p.Reference != o.ID.String() {
		t.Fatalf("the order's payment: %+v %v", p, err)
	}
	if got := e.mismatches(t, saga.MismatchChargeKey) + e.mismatches(t, saga.MismatchPayment); got != 0 {
		t.Fatalf("mismatches %v, want 0", got)
	}
}

func TestRefundKeyConflictKeepsTheRefundDueLoudly(t *testing.T) {
	e := newEnv(t)
	product := newProduct(t, 10, 2500)
	o := placeOrder(t, product, 1)
	o = e.finish(t, o.ID)
	if o.Status != "PAID" {
		t.Fatalf("order %s, want PAID", o.Status)
	}
	// Another payment of the merchant was refunded under the key the
	// order's refund will use.
	refundKey := chargeKey(o.ID) + "-refund"
	otherPayment := plant(t, orderMerchant, uuid.NewString(), 300, "EUR", "elsewhere")
	if _, err := gw.CreateRefund(context.Background(), orderMerchant, otherPayment.ID, refundKey, paymentgw.RefundRequest{}); err != nil {
		t.Fatal(err)
	}

	if _, err := e.orders.Cancel(context.Background(), o.ID, "admin:test", "test", true, ""); err != nil {
		t.Fatal(err)
	}
	o = orderByID(t, o.ID)
	if o.Status != "CANCELLED" || saga.Step(o.SagaStep) != saga.StepRefund || !strings.Contains(o.SagaError, "idempotency key") {
		t.Fatalf("order %s, step %s, saga error %q; want CANCELLED, still REFUND, the conflict recorded", o.Status, o.SagaStep, o.SagaError)
	}
	if p, err := gw.PaymentByID(context.Background(), orderMerchant, o.PaymentID); err != nil || p.RefundedAmount != 0 {
		t.Fatalf("the order's payment: %+v %v", p, err)
	}
	if got := e.mismatches(t, saga.MismatchRefundKey); got < 1 {
		t.Fatalf("refund key conflicts counted %v, want at least 1", got)
	}
	if len(e.log.errorLogs(o.ID)) < 1 {
		t.Fatal("the refund key conflict was not logged at error level")
	}
}

func TestCountMismatchesRegistersOnce(t *testing.T) {
	e, reg := newEnv(t), prometheus.NewRegistry()
	if err := e.engine.CountMismatches(reg); err != nil {
		t.Fatal(err)
	}
	if err := e.engine.CountMismatches(reg); err == nil {
		t.Fatal("registering twice with one registry must fail")
	}
	// All kinds are exported from the start, at zero.
	families, err := reg.Gather()
	if err != nil || len(families) != 1 || len(families[0].GetMetric()) != 3 {
		t.Fatalf("gathered %v, %v; want order_payment_mismatches_total with 3 kinds", families, err)
	}
}
