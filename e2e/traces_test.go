package e2e

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
)

// otlpReceiver keeps every OTLP/HTTP trace export it is sent, raw: protobuf
// carries strings as their bytes, so a secret in any span shows in them.
type otlpReceiver struct {
	mu      sync.Mutex
	exports [][]byte
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, _ := io.ReadAll(body)
	o.mu.Lock()
	o.exports = append(o.exports, b)
	o.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
}

func (o *otlpReceiver) all() []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	return bytes.Join(o.exports, nil)
}

// Every service exports its spans to a real OTLP endpoint while a shopper
// registers, signs in, refreshes, changes the password and checks out:
// none of the passwords, tokens or the payment token is in any span, and
// the spans of those operations are there.
func TestNoSecretsInTraces(t *testing.T) {
	rcv := &otlpReceiver{}
	collector := httptest.NewServer(rcv)
	defer collector.Close()
	otlp := "OTEL_EXPORTER_OTLP_ENDPOINT=" + strings.TrimPrefix(collector.URL, "http://")
	s := newStorefrontWith(t, extraEnv{product: []string{otlp}, gateway: []string{otlp}, order: []string{otlp}, user: []string{otlp}, router: []string{otlp}})
	api := s.router.url()

	admin := s.login(t, e2eAdminEmail, e2eAdminPassword)
	data, err := gql(api, admin, `mutation($in: CreateProductInput!) { createProduct(input: $in) { product { id } } }`,
		map[string]any{"in": map[string]any{"sku": "TRACE-" + uuid.NewString()[:8], "name": "Traced lamp", "initialStock": 5,
			"prices": []any{map[string]any{"amount": 1999, "currency": "EUR"}}}})
	productID, _ := data.Dig("createProduct", "product", "id").(string)
	if err != nil || productID == "" {
		t.Fatalf("createProduct: %v %v", data, err)
	}
	email := "trace-" + uuid.NewString()[:8] + "@example.com"
	const pw1, pw2 = "first-Secret-passphrase", "second-Secret-passphrase"
	data, err = gql(api, "", `mutation($in: RegisterInput!) { register(input: $in) { refreshToken } }`,
		map[string]any{"in": map[string]any{"email": email, "password": pw1, "name": "Trace"}})
	refresh1, _ := data.Dig("register", "refreshToken").(string)
	if err != nil || refresh1 == "" {
		t.Fatalf("register: %v %v", data, err)
	}
	// A password as a literal in the document, not only as a variable.
	data, err = gql(api, "", `mutation { login(input: {email: "`+email+`", password: "`+pw1+`"}) { accessToken refreshToken } }`, nil)
	access, _ := data.Dig("login", "accessToken").(string)
	if err != nil || access == "" {
		t.Fatalf("login: %v %v", data, err)
	}
	data, err = gql(api, "", `mutation($t: String!) { refreshToken(token: $t) { refreshToken } }`, map[string]any{"t": refresh1})
	refresh2, _ := data.Dig("refreshToken", "refreshToken").(string)
	if err != nil || refresh2 == "" {
		t.Fatalf("refreshToken: %v %v", data, err)
	}
	bearer := "Bearer " + access
	data, err = gql(api, bearer, `mutation($in: ChangePasswordInput!) { changePassword(input: $in) { userErrors { code } } }`,
		map[string]any{"in": map[string]any{"currentPassword": pw1, "newPassword": pw2}})
	if err != nil || len(data.Dig("changePassword", "userErrors").([]any)) != 0 {
		t.Fatalf("changePassword: %v %v", data, err)
	}
	if _, err := gql(api, bearer, `mutation($p: ID!) { addToCart(input: {productId: $p}) { cart { itemCount } } }`, map[string]any{"p": productID}); err != nil {
		t.Fatal(err)
	}
	const paymentToken = "tok_visa"
	data, err = gql(api, bearer, checkoutMutation, map[string]any{"in": map[string]any{
		"idempotencyKey": uuid.NewString(), "paymentToken": paymentToken,
		"shippingAddress": map[string]any{"fullName": "Trace", "line1": "Road 2", "city": "Berlin", "postalCode": "10115", "country": "DE"},
	}})
	if err != nil || data.Dig("checkout", "order", "status") != "PAID" {
		t.Fatalf("checkout: %v %v", data, err)
	}

	// Stopping flushes each service's batch of spans.
	for _, p := range []*proc{s.router, s.user, s.order, s.product, s.gateway} {
		p.stop()
	}
	spans := rcv.all()
	for _, want := range []string{"Mutation/register", "Mutation/login", "Mutation/changePassword", "Mutation/checkout", "Mutation/refreshToken"} {
		if !bytes.Contains(spans, []byte(want)) {
			t.Fatalf("no span %s among %d bytes exported: the check below would prove nothing", want, len(spans))
		}
	}
	for name, secret := range map[string]string{"the first password": pw1, "the new password": pw2, "a refresh token": refresh1,
		"the rotated refresh token": refresh2, "the access token": access, "the payment token": paymentToken, "the merchant API key": "sk_test_e2e"} {
		if bytes.Contains(spans, []byte(secret)) {
			t.Errorf("%s is in an exported span", name)
		}
	}
}
