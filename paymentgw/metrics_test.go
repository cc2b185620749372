package paymentgw_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/metricstest"
	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/internal/pki/pkitest"
	"github.com/virtual-store/virtual-store/internal/service"
	"github.com/virtual-store/virtual-store/paymentgw"
)

func TestLedgerCountsNewPaymentsAndRefundsOnce(t *testing.T) {
	ctx, reg := context.Background(), prometheus.NewRegistry()
	g := paymentgw.New(pool)
	var err error
	if g.Metrics, err = paymentgw.NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	pay := func(key, token string) paymentgw.Payment {
		t.Helper()
		p, err := g.CreatePayment(ctx, merchantA, key, paymentgw.PaymentRequest{Amount: 1000, Currency: "EUR", Source: token, Reference: "ref-" + key})
		if err != nil {
			t.Fatalf("%s: %v", token, err)
		}
		return p
	}
	key := uuid.NewString()
	paid := pay(key, "tok_visa")
	pay(key, "tok_visa") // the same request again: answered from the ledger
	pay(uuid.NewString(), "tok_chargeDeclined")
	pay(uuid.NewString(), "tok_processingError")
	if _, err := g.CreatePayment(ctx, merchantA, uuid.NewString(), paymentgw.PaymentRequest{Amount: 1000, Currency: "EUR", Source: "tok_nope", Reference: "x"}); err == nil {
		t.Fatal("an unknown token was accepted")
	}
	refundKey := uuid.NewString()
	for range 2 {
		if _, err := g.CreateRefund(ctx, merchantA, paid.ID, refundKey, paymentgw.RefundRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := g.CreateRefund(ctx, merchantA, paid.ID, uuid.NewString(), paymentgw.RefundRequest{}); err == nil {
		t.Fatal("refunded twice")
	}
	s := metricstest.Gather(t, reg)
	for _, want := range []struct {
		series []string
		n      float64
	}{
		{[]string{"paymentgw_payments_total", "status", "succeeded"}, 1},
		{[]string{"paymentgw_payments_total", "status", "failed"}, 2},
		{[]string{"paymentgw_refunds_total"}, 1},
	} {
		if got := s.Sum(want.series[0], want.series[1:]...); got != want.n {
			t.Errorf("%v = %v, want %v", want.series, got, want.n)
		}
	}
}

// TestAdminPortServesTheGatewayMetrics wires the gateway as the binary
// does, pays through its API as the order service, and reads its admin port.
func TestAdminPortServesTheGatewayMetrics(t *testing.T) {
	svc, err := paymentgw.NewService(context.Background(), paymentgw.Config{DatabaseURL: dbURL},
		service.Common{Environment: service.EnvDevelopment}, gqltest.Quiet(), service.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Pool.Close)
	kit := pkitest.New(t)
	srv := kit.Serve(t, pki.PaymentGW, svc.Handler)
	admin := httptest.NewServer(svc.Admin)
	t.Cleanup(admin.Close)

	body, _ := json.Marshal(charge("tok_visa", 1500))
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/payments", bytes.NewReader(body))
	req.Header.Set("Idempotency-Key", uuid.NewString())
	req.Header.Set("Content-Type", "application/json")
	resp, err := kit.Client(t, pki.Order, pki.PaymentGW).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("charge: %d", resp.StatusCode)
	}

	s := metricstest.Scrape(t, admin.URL+"/metrics")
	for _, want := range []struct {
		series []string
		n      float64
	}{
		{[]string{"paymentgw_payments_total", "status", "succeeded"}, 1},
		{[]string{"paymentgw_payments_total", "status", "failed"}, 0},
		{[]string{"paymentgw_refunds_total"}, 0},
		{[]string{"db_query_duration_seconds_count", "system", "postgresql", "query", "InsertPayment", "outcome", "ok"}, 1},
		{[]string{"db_pool_connections", "state", "max"}, float64(svc.Pool.Stat().MaxConns())},
	} {
		if !s.Has(want.series[0], want.series[1:]...) || s.Sum(want.series[0], want.series[1:]...) != want.n {
			t.Errorf("%v = %v, want %v", want.series, s.Sum(want.series[0], want.series[1:]...), want.n)
		}
	}
	if !s.Has("db_pool_acquire_wait_seconds_total") || !s.Has("http_requests_total", "code", "201", "method", "POST") {
		t.Error("pool wait or HTTP metrics missing")
	}
}
