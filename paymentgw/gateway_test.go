package paymentgw_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/postgres"
	"github.com/virtual-store/virtual-store/internal/testdb"
	"github.com/virtual-store/virtual-store/paymentgw"
	"github.com/virtual-store/virtual-store/sql/paymentdb"
)

var (
	pool  *pgxpool.Pool
	dbURL string // the package's database
)

func TestMain(m *testing.M) {
	os.Exit(testdb.RunPackage(m, "paymentgw", func(url string) (func(), error) {
		var err error
		dbURL = url
		pool, err = postgres.Open(context.Background(), url, paymentdb.Migrations(), gqltest.Quiet())
		if err != nil {
			return nil, err
		}
		return pool.Close, nil
	}))
}

// Merchants of the tests; in production the name is the caller's mTLS identity.
const (
	merchantA = "spiffe://virtual-store/order"
	merchantB = "spiffe://virtual-store/other-shop"
)

type client struct {
	t   *testing.T
	url string
	key string
}

// serve runs the gateway's API for merchantA.
func serve(t *testing.T, apiKey string, chaos paymentgw.Chaos) client {
	return serveAs(t, merchantA, apiKey, chaos)
}

// serveAs runs the gateway's API with every request made by merchant ("" for
// none), as the TLS middleware in front of it would.
func serveAs(t *testing.T, merchant, apiKey string, chaos paymentgw.Chaos) client {
	h := paymentgw.New(pool).Handler(apiKey, chaos, gqltest.Quiet())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if merchant != "" {
			r = r.WithContext(paymentgw.WithMerchant(r.Context(), merchant))
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return client{t: t, url: srv.URL, key: apiKey}
}

func (c client) do(method, path, idemKey string, body any) (int, map[string]any, error) {
	c.t.Helper()
	var buf bytes.Buffer
	if body != nil {
		_ = json.NewEncoder(&buf).Encode(body)
	}
	req, _ := http.NewRequest(method, c.url+path, &buf)
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, nil
}

func (c client) must(method, path, idemKey string, body any) (int, map[string]any) {
	c.t.Helper()
	code, out, err := c.do(method, path, idemKey, body)
	if err != nil {
		c.t.Fatal(err)
	}
	return code, out
}

func charge(token string, amount int) map[string]any {
	return map[string]any{"amount": amount, "currency": "EUR", "source": token, "reference": "order-" + uuid.NewString()}
}

func errCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func TestPaymentIdempotency(t *testing.T) {
	c := serve(t, "", paymentgw.Chaos{})
	key, body := uuid.NewString(), charge("tok_visa", 1999)
	code, first := c.must("POST", "/payments", key, body)
	if code != http.StatusCreated || first["status"] != "succeeded" || first["amount"] != 1999.0 {
		t.Fatalf("charge: %d %v", code, first)
	}
	code, again := c.must("POST", "/payments", key, body)
	if code != http.StatusCreated || again["id"] != first["id"] {
		t.Fatalf("replay: %d %v, want the first outcome", code, again)
	}
	other := charge("tok_visa", 2000)
	if code, out := c.must("POST", "/payments", key, other); code != http.StatusConflict || errCode(out) != "idempotency_key_reused" {
		t.Fatalf("same key, other body: %d %v", code, out)
	}
	if code, out := c.must("POST", "/payments", "", body); code != http.StatusBadRequest || errCode(out) != "idempotency_key_missing" {
		t.Fatalf("no key: %d %v", code, out)
	}
	if code, out := c.must("GET", "/payments/by-idempotency-key/"+key, "", nil); code != http.StatusOK || out["id"] != first["id"] {
		t.Fatalf("lookup: %d %v", code, out)
	}
	if code, _ := c.must("GET", "/payments/by-idempotency-key/"+uuid.NewString(), "", nil); code != http.StatusNotFound {
		t.Fatalf("lookup of unknown key: %d", code)
	}
}

func TestConcurrentSameKeyChargesOnce(t *testing.T) {
	c := serve(t, "", paymentgw.Chaos{})
	key, body := uuid.NewString(), charge("tok_visa", 500)
	ids := map[any]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_, out := c.must("POST", "/payments", key, body)
			mu.Lock()
			ids[out["id"]]++
			mu.Unlock()
		})
	}
	wg.Wait()
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM payments WHERE merchant = $1 AND idempotency_key = $2", merchantA, key).Scan(&n); err != nil || n != 1 || len(ids) != 1 {
		t.Fatalf("%d payments recorded, %d distinct ids answered; want 1 and 1", n, len(ids))
	}
}

func TestCardOutcomes(t *testing.T) {
	c := serve(t, "", paymentgw.Chaos{})
	tests := []struct {
		token, status, failure string
		http                   int
	}{
		{"tok_visa", "succeeded", "", 201},
		{"tok_chargeDeclined", "failed", "card_declined", 402},
		{"tok_insufficientFunds", "failed", "insufficient_funds", 402},
		{"tok_processingError", "failed", "processing_error", 500},
	}
	for _, tt := range tests {
		key := uuid.NewString()
		code, out := c.must("POST", "/payments", key, charge(tt.token, 100))
		if code != tt.http || out["status"] != tt.status || (tt.failure != "" && out["failureCode"] != tt.failure) {
			t.Errorf("%s: %d %v", tt.token, code, out)
		}
		if code2, out2 := c.must("POST", "/payments", key, charge(tt.token, 100)); code2 != http.StatusConflict && (code2 != code || out2["id"] != out["id"]) {
			t.Errorf("%s replay: %d", tt.token, code2)
		}
	}
	key := uuid.NewString()
	if code, out := c.must("POST", "/payments", key, charge("tok_unknown", 100)); code != http.StatusBadRequest || errCode(out) != "token_invalid" {
		t.Fatalf("unknown token: %d %v", code, out)
	}
	if code, _ := c.must("GET", "/payments/by-idempotency-key/"+key, "", nil); code != http.StatusNotFound {
		t.Fatal("a refused request was recorded")
	}
	for _, bad := range []map[string]any{
		{"amount": 0, "currency": "EUR", "source": "tok_visa", "reference": "x"},
		{"amount": 100, "currency": "EURO", "source": "tok_visa", "reference": "x"},
		{"amount": 100, "currency": "EUR", "source": "tok_visa", "reference": ""},
	} {
		if code, _ := c.must("POST", "/payments", uuid.NewString(), bad); code != http.StatusBadRequest {
			t.Errorf("%v: %d", bad, code)
		}
	}
}

func TestRefunds(t *testing.T) {
	c := serve(t, "", paymentgw.Chaos{})
	_, p := c.must("POST", "/payments", uuid.NewString(), charge("tok_visa", 1000))
	path := "/payments/" + p["id"].(string) + "/refunds"
	key := uuid.NewString()
	if code, out := c.must("POST", path, key, map[string]any{"amount": 300}); code != http.StatusCreated || out["amount"] != 300.0 {
		t.Fatalf("partial refund: %d %v", code, out)
	}
	if code, out := c.must("POST", path, key, map[string]any{"amount": 300}); code != http.StatusCreated || out["amount"] != 300.0 {
		t.Fatalf("refund replay: %d %v", code, out)
	}
	if code, out := c.must("POST", path, uuid.NewString(), map[string]any{"amount": 800}); code != http.StatusBadRequest || errCode(out) != "amount_too_large" {
		t.Fatalf("over-refund: %d %v", code, out)
	}
	if code, out := c.must("POST", path, uuid.NewString(), nil); code != http.StatusCreated || out["amount"] != 700.0 {
		t.Fatalf("refund the rest: %d %v", code, out)
	}
	if _, out := c.must("GET", "/payments/"+p["id"].(string), "", nil); out["refundedAmount"] != 1000.0 {
		t.Fatalf("refunded amount: %v", out)
	}
	if code, out := c.must("POST", path, uuid.NewString(), nil); code != http.StatusBadRequest || errCode(out) != "charge_already_refunded" {
		t.Fatalf("refund again: %d %v", code, out)
	}
	_, declined := c.must("POST", "/payments", uuid.NewString(), charge("tok_chargeDeclined", 1000))
	if code, out := c.must("POST", "/payments/"+declined["id"].(string)+"/refunds", uuid.NewString(), nil); code != http.StatusBadRequest || errCode(out) != "charge_not_refundable" {
		t.Fatalf("refund of a decline: %d %v", code, out)
	}
}

func TestChaos(t *testing.T) {
	failing := serve(t, "", paymentgw.Chaos{FailureRate: 1})
	key := uuid.NewString()
	if code, out := failing.must("POST", "/payments", key, charge("tok_visa", 100)); code != http.StatusServiceUnavailable || errCode(out) != "service_unavailable" {
		t.Fatalf("injected failure: %d %v", code, out)
	}
	if code, _ := failing.must("GET", "/payments/by-idempotency-key/"+key, "", nil); code != http.StatusNotFound {
		t.Fatal("an injected failure recorded the payment")
	}
	losing := serve(t, "", paymentgw.Chaos{TimeoutRate: 1})
	if _, _, err := losing.do("POST", "/payments", key, charge("tok_visa", 100)); err == nil {
		t.Fatal("the reply was not lost")
	}
	if code, out := losing.must("GET", "/payments/by-idempotency-key/"+key, "", nil); code != http.StatusOK || out["status"] != "succeeded" {
		t.Fatalf("a lost reply's payment must be recorded: %d %v", code, out)
	}
}

func TestAPIKey(t *testing.T) {
	c := serve(t, "sk_test_123", paymentgw.Chaos{})
	if code, _ := c.must("POST", "/payments", uuid.NewString(), charge("tok_visa", 100)); code != http.StatusCreated {
		t.Fatalf("with key: %d", code)
	}
	c.key = "sk_test_wrong"
	if code, out := c.must("POST", "/payments", uuid.NewString(), charge("tok_visa", 100)); code != http.StatusUnauthorized || errCode(out) != "api_key_invalid" {
		t.Fatalf("wrong key: %d %v", code, out)
	}
}
