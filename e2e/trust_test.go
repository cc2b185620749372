package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/internal/pki"
	"github.com/virtual-store/virtual-store/internal/pki/pkitest"
)

// The attack on main before mutual TLS: a customer who knows their order id
// looked their payment up at the gateway under its predictable key and
// refunded it while the order stayed PAID. Now the gateway answers only the
// order service's certificate, and that with the merchant key.
func TestPaymentGatewayAnswersOnlyTheOrderService(t *testing.T) {
	s := newShop(t)
	product := s.newProduct(t, 3, 2500)
	data, err := s.buy("gail", product, 1, "tok_visa", "gail-1")
	orderID, _ := data.Dig("checkout", "order", "id").(string)
	if err != nil || data.Dig("checkout", "order", "status") != "PAID" {
		t.Fatalf("checkout: %v %v", data, err)
	}
	lookup := s.gateway.url() + "/v1/payments/by-idempotency-key/order-" + orderID + "-charge"
	var paymentID string
	if err := s.gatewayDB.QueryRow(context.Background(), "SELECT id FROM payments WHERE reference = $1", orderID).Scan(&paymentID); err != nil {
		t.Fatal(err)
	}
	refund := s.gateway.url() + "/v1/payments/" + paymentID + "/refunds"
	foreign := pkitest.New(t)
	callers := []struct {
		name   string
		client *http.Client
		key    string
		want   int // 0: refused in the handshake
	}{
		{"a stranger without a certificate", kit.Plain(t), "sk_test_e2e", 0},
		{"the router", routerClient, "sk_test_e2e", http.StatusForbidden},
		{"the product service", kit.Client(t, pki.Product), "sk_test_e2e", http.StatusForbidden},
		{"order's name from another CA", foreign.Client(t, pki.Order), "sk_test_e2e", 0},
		{"the order service without the merchant key", kit.Client(t, pki.Order), "", http.StatusUnauthorized},
	}
	for _, c := range callers {
		for _, req := range []*http.Request{mustRequest(http.MethodGet, lookup, c.key), mustRequest(http.MethodPost, refund, c.key)} {
			req.Header.Set("Idempotency-Key", "evil-"+uuid.NewString())
			status := 0
			if resp, err := c.client.Do(req); err == nil {
				resp.Body.Close()
				status = resp.StatusCode
			}
			if status != c.want {
				t.Errorf("%s: %s %s answered %d, want %d", c.name, req.Method, req.URL.Path, status, c.want)
			}
		}
	}
	var refunded int64
	if err := s.gatewayDB.QueryRow(context.Background(), "SELECT refunded_amount FROM payments WHERE id = $1", paymentID).Scan(&refunded); err != nil || refunded != 0 {
		t.Fatalf("refunded %d (%v), want nothing", refunded, err)
	}
	// The order service itself, with its key, is served.
	resp, err := kit.Client(t, pki.Order).Do(mustRequest(http.MethodGet, lookup, "sk_test_e2e"))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the order service's lookup: %v %v", resp, err)
	}
	resp.Body.Close()
}

func mustRequest(method, url, key string) *http.Request {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		panic(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return req
}

// Through the router every sign-in used to come from the router's address:
// one client's 20 failures locked out every sign-in. The router now states
// each client's address to the user service.
func TestSignInThrottlingCountsRealClients(t *testing.T) {
	s := newStorefront(t)
	login := func(from, email, password string) (string, string) {
		t.Helper()
		body := `{"query":"mutation($in: LoginInput!) { login(input: $in) { accessToken userErrors { code } } }","variables":{"in":{"email":"` + email + `","password":"` + password + `"}}}`
		req, _ := http.NewRequest(http.MethodPost, s.router.url()+"/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", from) // the test is a trusted proxy (loopback)
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		out := buf.String()
		code := ""
		if i := strings.Index(out, `"code":"`); i >= 0 {
			code = strings.SplitN(out[i+8:], `"`, 2)[0]
		}
		tok := ""
		if i := strings.Index(out, `"accessToken":"`); i >= 0 {
			tok = strings.SplitN(out[i+15:], `"`, 2)[0]
		}
		return tok, code
	}
	for i := range 25 {
		login("203.0.113.66", "nobody-"+uuid.NewString()[:6]+"@example.com", "wrong password "+string(rune('a'+i)))
	}
	if _, code := login("203.0.113.66", e2eAdminEmail, e2eAdminPassword); code != "RATE_LIMITED" {
		t.Fatalf("the guessing client: code %q, want RATE_LIMITED", code)
	}
	if tok, code := login("198.51.100.7", e2eAdminEmail, e2eAdminPassword); tok == "" {
		t.Fatalf("another client's correct sign-in: code %q, want a token", code)
	}
}

// No service ships with a usable default secret: outside development a
// missing key or certificate stops the start with what to set.
func TestNoStartWithoutSecretsOutsideDevelopment(t *testing.T) {
	prod := filepath.Join(t.TempDir(), "router.yaml")
	if err := os.WriteFile(prod, []byte("allow_plaintext_subgraphs: false\nsubgraphs: \"user=http://user:4001/graphql\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		binary string
		env    []string
		want   string
	}{
		{"paymentgw", kit.Env(pki.PaymentGW), "PAYMENTGW_API_KEY is not set"},
		{"order", kit.Env(pki.Order), "ORDER_PAYMENT_API_KEY is not set"},
		{"user", append(kit.Env(pki.User), "USER_MONGO_URI=mongodb://127.0.0.1:1", "USER_DATA_DIR="+t.TempDir()), "USER_SIGNING_KEY_FILE is not set"},
		{"product", nil, "TLS_CA_FILE TLS_CERT_FILE TLS_KEY_FILE"},
		{"product", kit.Env(pki.Order), "speaks for another service"},
		{"router", []string{"ROUTER_CONFIG=" + prod}, "is plain HTTP"},
	}
	for _, c := range cases {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		cmd := exec.CommandContext(ctx, filepath.Join(binDir, c.binary))
		cmd.Env = append(os.Environ(), "ENVIRONMENT=production", "ADMIN_ADDR=127.0.0.1:0")
		cmd.Env = append(cmd.Env, c.env...)
		out, err := cmd.CombinedOutput()
		cancel()
		if err == nil || !strings.Contains(string(out), c.want) {
			t.Errorf("%s %v: err %v, output:\n%s\nwant it to refuse with %q", c.binary, c.env, err, tail(string(out), 5), c.want)
		}
	}
}

// An access token stops working soon after its session ends, not at its
// expiry 15 minutes later: the router polls the user service's revoked
// sessions (every 5 s by default; 200 ms here).
func TestSignOutEndsTheAccessTokenAtTheRouter(t *testing.T) {
	s := newStorefront(t, "ROUTER_REVOKED_SESSIONS_POLL=200ms")
	api := s.router.url()
	email := "leaving-" + uuid.NewString()[:8] + "@example.com"
	if _, err := gql(api, "", `mutation($in: RegisterInput!) { register(input: $in) { user { id } } }`,
		map[string]any{"in": map[string]any{"email": email, "password": "correct horse battery", "name": "Lee"}}); err != nil {
		t.Fatal(err)
	}
	data, err := gql(api, "", `mutation { login(input: {email: "`+email+`", password: "correct horse battery"}) { accessToken refreshToken } }`, nil)
	access, _ := data.Dig("login", "accessToken").(string)
	refresh, _ := data.Dig("login", "refreshToken").(string)
	if err != nil || access == "" {
		t.Fatalf("login: %v %v", data, err)
	}
	other := s.login(t, e2eAdminEmail, e2eAdminPassword) // another user's session
	if _, err := gql(api, "Bearer "+access, `{ me { id } }`, nil); err != nil {
		t.Fatalf("before signing out: %v", err)
	}
	if _, err := gql(api, "", `mutation($t: String!) { logout(refreshToken: $t) { ok } }`, map[string]any{"t": refresh}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "the signed-out token refused", func() (bool, string) {
		_, err := gql(api, "Bearer "+access, `{ me { id } }`, nil)
		return err != nil && strings.Contains(err.Error(), "UNAUTHENTICATED"), fmt.Sprint(err)
	})
	if _, err := gql(api, other, `{ me { id } }`, nil); err != nil {
		t.Fatalf("another session after the sign-out: %v", err)
	}
}
