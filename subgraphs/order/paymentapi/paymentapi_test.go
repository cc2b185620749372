package paymentapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/virtual-store/virtual-store/internal/jsonhttp"
	"github.com/virtual-store/virtual-store/subgraphs/order/paymentapi"
)

// answer serves one canned gateway answer and records the request.
type answer struct {
	status int
	body   string
	got    *http.Request
}

func (a *answer) serve(t *testing.T) *paymentapi.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.got = r
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(a.body))
	}))
	t.Cleanup(srv.Close)
	return paymentapi.New(srv.URL, "", nil)
}

const (
	paymentBody  = `{"id":"pay_1","object":"payment","amount":1999,"currency":"EUR","source":"tok_visa","reference":"order-1","status":"succeeded","refundedAmount":0}`
	declinedBody = `{"id":"pay_2","object":"payment","amount":1999,"currency":"EUR","source":"tok_chargeDeclined","reference":"order-1","status":"failed","failureCode":"card_declined","failureMessage":"Your card was declined."}`
	reusedBody   = `{"error":{"type":"idempotency_error","code":"idempotency_key_reused","message":"this idempotency key was used with a different request"}}`
	progressBody = `{"error":{"type":"idempotency_error","code":"request_in_progress","message":"a request with this key is being processed; retry"}}`
	// A 409 whose body also looks like a payment must not be taken for one.
	reusedWithPaymentBody = `{"id":"pay_3","status":"succeeded","amount":1999,"currency":"EUR","reference":"order-1","error":{"code":"idempotency_key_reused","message":"reused"}}`
	conflictPaymentBody   = `{"id":"pay_4","status":"succeeded","amount":1999,"currency":"EUR","reference":"order-1"}`
)

// outcome classifies an error the way the saga does.
func outcome(err error) string {
	var conflict *paymentapi.KeyConflictError
	var refused *paymentapi.RefusedError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &conflict):
		if errors.Is(err, jsonhttp.ErrUnavailable) {
			return "conflict, yet retryable"
		}
		return "key conflict"
	case errors.Is(err, jsonhttp.ErrUnavailable):
		return "retry"
	case errors.Is(err, paymentapi.ErrNotFound):
		return "not found"
	case errors.As(err, &refused):
		return "refused " + refused.Code
	}
	return "error"
}

func TestCharge(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string
		id     string // of the payment returned, when want is "ok"
	}{
		{"succeeded", http.StatusCreated, paymentBody, "ok", "pay_1"},
		{"declined", http.StatusPaymentRequired, declinedBody, "ok", "pay_2"},
		{"409 idempotency_key_reused", http.StatusConflict, reusedBody, "key conflict", ""},
		{"409 request_in_progress", http.StatusConflict, progressBody, "retry", ""},
		{"409 reused with a payment in the body", http.StatusConflict, reusedWithPaymentBody, "key conflict", ""},
		{"409 with only a payment in the body", http.StatusConflict, conflictPaymentBody, "retry", ""},
		{"409 without a body", http.StatusConflict, "", "retry", ""},
		{"400 refused", http.StatusBadRequest, `{"error":{"type":"invalid_request_error","code":"token_invalid","message":"no such card token"}}`, "refused token_invalid", ""},
		{"401 no merchant: our configuration, not the card", http.StatusUnauthorized, `{"error":{"type":"authentication_error","code":"merchant_unknown","message":"?"}}`, "retry", ""},
		{"503", http.StatusServiceUnavailable, `{"error":{"code":"service_unavailable"}}`, "retry", ""},
		{"500 without a payment", http.StatusInternalServerError, `{"error":{"code":"internal"}}`, "retry", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &answer{status: tt.status, body: tt.body}
			p, err := a.serve(t).Charge(context.Background(), "order-1-charge", 1999, "EUR", "tok_visa", "order-1")
			if got := outcome(err); got != tt.want {
				t.Fatalf("outcome %q (%v), want %q", got, err, tt.want)
			}
			if p.ID != tt.id {
				t.Fatalf("payment %+v, want id %q", p, tt.id)
			}
			if a.got.Method != http.MethodPost || a.got.URL.Path != "/v1/payments" || a.got.Header.Get("Idempotency-Key") != "order-1-charge" {
				t.Fatalf("request %s %s key %q", a.got.Method, a.got.URL.Path, a.got.Header.Get("Idempotency-Key"))
			}
		})
	}
	// The payment's fields are decoded, so the caller can check it is its own.
	a := &answer{status: http.StatusCreated, body: paymentBody}
	p, err := a.serve(t).Charge(context.Background(), "k", 1999, "EUR", "tok_visa", "order-1")
	if err != nil || p.Amount != 1999 || p.Currency != "EUR" || p.Reference != "order-1" || !p.Succeeded() {
		t.Fatalf("decoded %+v, %v", p, err)
	}
}

func TestPaymentByKey(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"found", http.StatusOK, paymentBody, "ok"},
		{"missing", http.StatusNotFound, `{"error":{"code":"resource_missing","message":"no such payment"}}`, "not found"},
		{"409 idempotency_key_reused", http.StatusConflict, reusedBody, "key conflict"},
		{"409 request_in_progress", http.StatusConflict, progressBody, "retry"},
		{"503", http.StatusServiceUnavailable, "", "retry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &answer{status: tt.status, body: tt.body}
			p, err := a.serve(t).PaymentByKey(context.Background(), "order-1-charge")
			if got := outcome(err); got != tt.want {
				t.Fatalf("outcome %q (%v), want %q", got, err, tt.want)
			}
			if (tt.want == "ok") != (p.ID == "pay_1" && p.Reference == "order-1") {
				t.Fatalf("payment %+v", p)
			}
			if a.got.Method != http.MethodGet || a.got.URL.Path != "/v1/payments/by-idempotency-key/order-1-charge" {
				t.Fatalf("request %s %s", a.got.Method, a.got.URL.Path)
			}
		})
	}
}

func TestRefund(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"created", http.StatusCreated, `{"id":"re_1","object":"refund","payment":"pay_1","amount":1999}`, "ok"},
		{"already refunded", http.StatusBadRequest, `{"error":{"code":"charge_already_refunded","message":"refunded in full"}}`, "ok"},
		{"409 idempotency_key_reused", http.StatusConflict, reusedBody, "key conflict"},
		{"409 request_in_progress", http.StatusConflict, progressBody, "retry"},
		{"500", http.StatusInternalServerError, `{"error":{"code":"internal"}}`, "retry"},
		{"503", http.StatusServiceUnavailable, "", "retry"},
		{"404 missing", http.StatusNotFound, `{"error":{"code":"resource_missing","message":"no such payment"}}`, "error"},
		{"400 not refundable", http.StatusBadRequest, `{"error":{"code":"charge_not_refundable","message":"only succeeded payments"}}`, "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &answer{status: tt.status, body: tt.body}
			err := a.serve(t).Refund(context.Background(), "pay_1", "order-1-charge-refund")
			if got := outcome(err); got != tt.want {
				t.Fatalf("outcome %q (%v), want %q", got, err, tt.want)
			}
			if a.got.Method != http.MethodPost || a.got.URL.Path != "/v1/payments/pay_1/refunds" || a.got.Header.Get("Idempotency-Key") != "order-1-charge-refund" {
				t.Fatalf("request %s %s key %q", a.got.Method, a.got.URL.Path, a.got.Header.Get("Idempotency-Key"))
			}
		})
	}
}

// timings records what the client reports to its Metrics.
type timings []string

func (m *timings) PaymentRequest(operation, outcome string, _ time.Duration) {
	*m = append(*m, operation+" "+outcome)
}

func TestEveryRequestIsTimedWithItsOutcome(t *testing.T) {
	refused := `{"error":{"type":"invalid_request_error","code":"token_invalid","message":"no such card token"}}`
	tests := []struct {
		status int
		body   string
		call   func(*paymentapi.Client) error
		want   string
	}{
		{http.StatusCreated, paymentBody, charge, "charge ok"},
		{http.StatusPaymentRequired, declinedBody, charge, "charge declined"},
		{http.StatusBadRequest, refused, charge, "charge refused"},
		{http.StatusConflict, reusedBody, charge, "charge refused"},
		{http.StatusConflict, progressBody, charge, "charge unavailable"},
		{http.StatusServiceUnavailable, "", charge, "charge unavailable"},
		{http.StatusOK, declinedBody, lookup, "lookup ok"}, // an answer, whatever the payment's status
		{http.StatusNotFound, `{"error":{"code":"resource_missing"}}`, lookup, "lookup ok"},
		{http.StatusBadGateway, "", lookup, "lookup unavailable"},
		{http.StatusCreated, `{"id":"re_1"}`, refund, "refund ok"},
		{http.StatusConflict, reusedBody, refund, "refund refused"},
		{http.StatusBadRequest, `{"error":{"code":"charge_not_refundable"}}`, refund, "refund refused"},
		{http.StatusInternalServerError, "", refund, "refund unavailable"},
	}
	for _, tt := range tests {
		c := (&answer{status: tt.status, body: tt.body}).serve(t)
		var got timings
		c.Metrics = &got
		_ = tt.call(c)
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("%d %s: timed %v, want [%s]", tt.status, tt.body, got, tt.want)
		}
	}
}

func charge(c *paymentapi.Client) error {
	_, err := c.Charge(context.Background(), "k", 1999, "EUR", "tok_visa", "order-1")
	return err
}

func lookup(c *paymentapi.Client) error {
	_, err := c.PaymentByKey(context.Background(), "k")
	return err
}

func refund(c *paymentapi.Client) error { return c.Refund(context.Background(), "pay_1", "k") }
