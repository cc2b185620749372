package paymentgw_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/paymentgw"
)

// Every payment belongs to the merchant that made it (its mTLS identity):
// keys, reads, refunds and totals are per merchant, and a request without
// one is refused.

func TestIdempotencyKeysAreScopedPerMerchant(t *testing.T) {
	a, b := serveAs(t, merchantA, "", paymentgw.Chaos{}), serveAs(t, merchantB, "", paymentgw.Chaos{})
	key, body := uuid.NewString(), charge("tok_visa", 1200)
	codeA, pa := a.must("POST", "/payments", key, body)
	codeB, pb := b.must("POST", "/payments", key, body)
	if codeA != http.StatusCreated || codeB != http.StatusCreated || pa["id"] == nil || pa["id"] == pb["id"] {
		t.Fatalf("same key under two merchants: A %d %v, B %d %v; want two payments", codeA, pa, codeB, pb)
	}
	// Each merchant's replay and lookup find its own payment.
	for _, c := range []struct {
		client
		want any
	}{{a, pa["id"]}, {b, pb["id"]}} {
		if code, out := c.must("POST", "/payments", key, body); code != http.StatusCreated || out["id"] != c.want {
			t.Errorf("replay: %d %v, want %v", code, out, c.want)
		}
		if code, out := c.must("GET", "/payments/by-idempotency-key/"+key, "", nil); code != http.StatusOK || out["id"] != c.want {
			t.Errorf("lookup: %d %v, want %v", code, out, c.want)
		}
	}
	// Another body under A's key is no conflict for B: the keys are unrelated.
	key2 := uuid.NewString()
	a.must("POST", "/payments", key2, charge("tok_visa", 100))
	if code, out := b.must("POST", "/payments", key2, charge("tok_chargeDeclined", 999)); code != http.StatusPaymentRequired || out["status"] != "failed" {
		t.Fatalf("B with A's key and another body: %d %v, want B's own decline", code, out)
	}
	// Refund keys are per merchant too.
	refundKey := uuid.NewString()
	for _, c := range []struct {
		client
		payment any
	}{{a, pa["id"]}, {b, pb["id"]}} {
		if code, out := c.must("POST", "/payments/"+c.payment.(string)+"/refunds", refundKey, map[string]any{"amount": 200}); code != http.StatusCreated || out["payment"] != c.payment {
			t.Errorf("refund of %v with a shared refund key: %d %v", c.payment, code, out)
		}
	}
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM payments WHERE idempotency_key = $1", key).Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d payments under the key (%v), want 2", n, err)
	}
}

func TestMerchantsSeeOnlyTheirOwnPayments(t *testing.T) {
	a, b := serveAs(t, merchantA, "", paymentgw.Chaos{}), serveAs(t, merchantB, "", paymentgw.Chaos{})
	key := uuid.NewString()
	_, p := a.must("POST", "/payments", key, charge("tok_visa", 1000))
	id, _ := p["id"].(string)
	if id == "" {
		t.Fatalf("charge: %v", p)
	}
	// B is answered exactly like for a payment that does not exist.
	missing := func(what string, code int, out map[string]any) {
		t.Helper()
		if code != http.StatusNotFound || errCode(out) != "resource_missing" || out["id"] != nil {
			t.Errorf("%s: %d %v, want 404 resource_missing", what, code, out)
		}
	}
	code, out := b.must("GET", "/payments/"+id, "", nil)
	missing("B reads A's payment", code, out)
	code, out = b.must("GET", "/payments/by-idempotency-key/"+key, "", nil)
	if code != http.StatusNotFound || out["id"] != nil {
		t.Errorf("B looks up A's key: %d %v, want 404", code, out)
	}
	code, out = b.must("POST", "/payments/"+id+"/refunds", uuid.NewString(), nil)
	missing("B refunds A's payment", code, out)
	code, out = b.must("POST", "/payments/pay_doesnotexist/refunds", uuid.NewString(), nil)
	missing("B refunds an unknown payment", code, out)

	if code, out := a.must("GET", "/payments/"+id, "", nil); code != http.StatusOK || out["refundedAmount"] != 0.0 {
		t.Fatalf("A's payment after B's attempts: %d %v, want untouched", code, out)
	}
	var refunds int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM refunds WHERE payment_id = $1", id).Scan(&refunds); err != nil || refunds != 0 {
		t.Fatalf("%d refunds of A's payment recorded (%v), want 0", refunds, err)
	}
	// A can still refund it: B's attempts left nothing behind.
	if code, out := a.must("POST", "/payments/"+id+"/refunds", uuid.NewString(), nil); code != http.StatusCreated || out["amount"] != 1000.0 {
		t.Fatalf("A refunds its payment: %d %v", code, out)
	}
}

func TestTotalsArePerMerchant(t *testing.T) {
	// Merchants of their own, so other tests' payments do not count.
	a := serveAs(t, "spiffe://virtual-store/totals-a-"+uuid.NewString(), "", paymentgw.Chaos{})
	b := serveAs(t, "spiffe://virtual-store/totals-b-"+uuid.NewString(), "", paymentgw.Chaos{})
	_, p := a.must("POST", "/payments", uuid.NewString(), charge("tok_visa", 700))
	a.must("POST", "/payments/"+p["id"].(string)+"/refunds", uuid.NewString(), map[string]any{"amount": 200})
	a.must("POST", "/payments", uuid.NewString(), charge("tok_chargeDeclined", 300))
	b.must("POST", "/payments", uuid.NewString(), charge("tok_visa", 50))
	if code, out := a.must("GET", "/totals", "", nil); code != http.StatusOK || out["succeeded"] != 1.0 || out["failed"] != 1.0 || out["captured"] != 700.0 || out["refunded"] != 200.0 {
		t.Errorf("A's totals: %d %v", code, out)
	}
	if code, out := b.must("GET", "/totals", "", nil); code != http.StatusOK || out["succeeded"] != 1.0 || out["failed"] != 0.0 || out["captured"] != 50.0 || out["refunded"] != 0.0 {
		t.Errorf("B's totals: %d %v", code, out)
	}
}

func TestRequestsWithoutMerchantAreRefused(t *testing.T) {
	anon := serveAs(t, "", "", paymentgw.Chaos{})
	key := uuid.NewString()
	for _, r := range []struct{ method, path string }{
		{"POST", "/payments"}, {"GET", "/payments/pay_x"}, {"GET", "/payments/by-idempotency-key/" + key},
		{"POST", "/payments/pay_x/refunds"}, {"GET", "/totals"},
	} {
		var body any
		if r.method == "POST" {
			body = charge("tok_visa", 100)
		}
		code, out := anon.must(r.method, r.path, key, body)
		e, _ := out["error"].(map[string]any)
		if code != http.StatusUnauthorized || e["type"] != "authentication_error" || e["code"] != "merchant_unknown" || e["message"] == "" {
			t.Errorf("%s %s without a merchant: %d %v", r.method, r.path, code, out)
		}
	}
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM payments WHERE idempotency_key = $1", key).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d payments recorded without a merchant (%v)", n, err)
	}
	// The API key is checked first, as before.
	withKey := serveAs(t, "", "sk_test_123", paymentgw.Chaos{})
	withKey.key = "sk_test_wrong"
	if code, out := withKey.must("GET", "/totals", "", nil); code != http.StatusUnauthorized || errCode(out) != "api_key_invalid" {
		t.Fatalf("wrong key, no merchant: %d %v", code, out)
	}
	withKey.key = "sk_test_123"
	if code, out := withKey.must("GET", "/totals", "", nil); code != http.StatusUnauthorized || errCode(out) != "merchant_unknown" {
		t.Fatalf("right key, no merchant: %d %v", code, out)
	}
}

func TestEmptyMerchantIsAnError(t *testing.T) {
	ctx, g := context.Background(), paymentgw.New(pool)
	key := uuid.NewString()
	req := paymentgw.PaymentRequest{Amount: 100, Currency: "EUR", Source: "tok_visa", Reference: "order-" + uuid.NewString()}
	p, err := g.CreatePayment(ctx, merchantA, key, req)
	if err != nil {
		t.Fatal(err)
	}
	var gwErr *paymentgw.Error
	for what, err := range map[string]error{
		"CreatePayment": second(g.CreatePayment(ctx, "", key, req)),
		"PaymentByKey":  second(g.PaymentByKey(ctx, "", key)),
		"PaymentByID":   second(g.PaymentByID(ctx, "", p.ID)),
		"CreateRefund":  second(g.CreateRefund(ctx, "", p.ID, uuid.NewString(), paymentgw.RefundRequest{})),
		"Totals":        second(g.Totals(ctx, "")),
	} {
		// Not a client error (*paymentgw.Error, answered as 4xx): a bug.
		if err == nil || errors.As(err, &gwErr) {
			t.Errorf("%s with an empty merchant: %v, want a plain error", what, err)
		}
	}
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM payments WHERE merchant = ''").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d payments under an empty merchant (%v)", n, err)
	}
	if got, err := g.PaymentByID(ctx, merchantA, p.ID); err != nil || got.RefundedAmount != 0 {
		t.Fatalf("the payment after refund attempts without a merchant: %+v %v", got, err)
	}
}

func second[T any](_ T, err error) error { return err }
