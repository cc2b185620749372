package server_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/router/config"
	"github.com/virtual-store/virtual-store/router/ratelimit"
	"github.com/virtual-store/virtual-store/router/server"
)

// Who may call the router: authentication, authorization, rate limits, IP
// allow-lists.

func TestAuthentication(t *testing.T) {
	s := newStore(t)
	s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`
	const q = `{ product(sku: "X") { name } }`

	// A valid token: the subgraph gets the router's statement addressed to
	// it, and neither the token nor a client-made identity header.
	r := s.as(s.token).With(auth.IdentityHeader, "forged.identity").Do(t, q, nil)
	if r.Status != 200 || text(r) != `{"data":{"product":{"name":"Lamp"}}}` {
		t.Fatalf("valid token: %d %s", r.Status, text(r))
	}
	h := s.product.headers[len(s.product.headers)-1]
	if h.Get("Authorization") != "" {
		t.Error("the client's token was forwarded to the subgraph")
	}
	st, err := auth.ParseStatement(h.Get(auth.IdentityHeader), "product", time.Now())
	if err != nil || st.Subject != "dana" || len(st.Scopes) != len(customerScopes) || st.ClientAddr != "127.0.0.1" {
		t.Fatalf("statement at the subgraph: %+v %v", st, err)
	}
	if exp := time.Unix(st.Expires, 0); time.Until(exp) > time.Minute+time.Second {
		t.Errorf("statement holds until %v, want at most the identity TTL", exp)
	}
	if _, err := auth.ParseStatement(h.Get(auth.IdentityHeader), "order", time.Now()); err == nil {
		t.Error("the statement for product is accepted by order")
	}

	// Anonymous: the statement names nobody (only the client's address), a
	// forged one is dropped.
	got := text(s.anon().With(auth.IdentityHeader, "forged.identity").Do(t, q, nil))
	st, err = auth.ParseStatement(s.product.headers[len(s.product.headers)-1].Get(auth.IdentityHeader), "product", time.Now())
	if got != `{"data":{"product":{"name":"Lamp"}}}` || err != nil || st.Subject != "" || len(st.Roles) != 0 || st.ClientAddr != "127.0.0.1" {
		t.Fatalf("anonymous: %s, statement %+v %v", got, st, err)
	}

	before := len(s.product.got)
	bad := map[string]string{
		"expired":        s.issuer.Token(t, "dana", nil, func(b *jwt.Builder) { b.Expiration(time.Now().Add(-time.Hour)) }),
		"other issuer":   s.issuer.Token(t, "dana", nil, func(b *jwt.Builder) { b.Issuer("http://evil.test") }),
		"other audience": s.issuer.Token(t, "dana", nil, func(b *jwt.Builder) { b.Audience([]string{"x"}) }),
		"alg none":       "eyJhbGciOiJub25lIiwia2lkIjoieCJ9.eyJzdWIiOiJhZG1pbiJ9.",
		"garbage":        "garbage",
	}
	for name, tok := range bad {
		r := s.as(tok).Do(t, q, nil)
		if got := text(r); r.Status != http.StatusUnauthorized || !strings.Contains(got, `"code":"UNAUTHENTICATED"`) || !strings.Contains(r.Header.Get("WWW-Authenticate"), "invalid_token") {
			t.Errorf("%s: %d %s %q", name, r.Status, got, r.Header.Get("WWW-Authenticate"))
		}
	}
	if r := s.anon().With("Authorization", "Basic YWRtaW46YWRtaW4=").Do(t, q, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("Basic auth: %d, want 401", r.Status)
	}
	if len(s.product.got) != before {
		t.Fatal("a request with bad credentials reached a subgraph")
	}
}

func TestAuthorizationDirectives(t *testing.T) {
	s := newStore(t)
	s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`

	// Anonymous: @authenticated Query.order is null with UNAUTHORIZED at its
	// path, the rest answers, and the order subgraph is never asked.
	got := text(s.anon().Do(t, `{ order(id: "o1") { status } product(sku: "X") { name } }`, nil))
	want := `{"data":{"order":null,"product":{"name":"Lamp"}},"errors":[{"message":"Unauthorized field or type: Query.order","path":["order"],"extensions":{"code":"UNAUTHORIZED"}}]}`
	if got != want {
		t.Fatalf("anonymous:\n got %s\nwant %s", got, want)
	}
	if len(s.order.got) != 0 {
		t.Fatal("a denied field was fetched")
	}

	// A customer lacks catalog:write: FORBIDDEN; the mutation never runs.
	got = text(s.as(s.token).Do(t, `mutation { createProduct(input: {sku: "S", name: "N", prices: [{amount: 1, currency: "EUR"}]}) { product { id } } }`, nil))
	if !strings.Contains(got, `"data":null`) || !strings.Contains(got, `"code":"FORBIDDEN"`) || !strings.Contains(got, `"path":["createProduct"]`) {
		t.Fatalf("customer createProduct: %s", got)
	}
	if len(s.product.got) != 1 {
		t.Fatalf("the product subgraph got %d requests, want 1 (the earlier query)", len(s.product.got))
	}

	// An admin has it.
	admin := s.issuer.Token(t, "root", []string{"catalog:write", "orders:admin"}, nil)
	s.product.responses[`mutation{archiveProduct(id:"p1"){product{id}}}`] = `{"data":{"archiveProduct":{"product":{"id":"p1"}}}}`
	if got := text(s.as(admin).Do(t, `mutation { archiveProduct(id: "p1") { product { id } } }`, nil)); got != `{"data":{"archiveProduct":{"product":{"id":"p1"}}}}` {
		t.Fatalf("admin archiveProduct: %s", got)
	}
	// Scopes are OR-ed sets: cancelOrder takes orders:write or orders:admin.
	s.order.responses[`mutation{cancelOrder(id:"o1"){order{status}}}`] = `{"data":{"cancelOrder":{"order":{"status":"CANCELLED"}}}}`
	if got := text(s.as(admin).Do(t, `mutation { cancelOrder(id: "o1") { order { status } } }`, nil)); !strings.Contains(got, "CANCELLED") {
		t.Fatalf("admin cancelOrder: %s", got)
	}

	// A field nested under an allowed one: User.orders is @authenticated.
	s.user.responses[`query($id:ID!){user(id:$id){name}}`] = `{"data":{"user":{"name":"Dana"}}}`
	got = text(s.anon().Do(t, `query($id: ID!) { user(id: $id) { name orders { totalCount } } }`, map[string]any{"id": "u1"}))
	if !strings.Contains(got, `"user":null`) || !strings.Contains(got, `"path":["user","orders"]`) || !strings.Contains(got, `"UNAUTHORIZED"`) {
		t.Fatalf("nested denied field: %s", got)
	}
}

func TestRateLimits(t *testing.T) {
	s := newStore(t, func(c *config.Config) {
		c.RateLimit = config.RateLimit{Enabled: true, PerIP: config.Bucket{Rate: 0.01, Burst: 3}, PerUser: config.Bucket{Rate: 0.01, Burst: 2}}
	})
	s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`
	const q = `{ product(sku: "X") { name } }`
	// Per user: two requests, whichever address they come from.
	for i, ip := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"} {
		r := s.as(s.token).With("X-Forwarded-For", ip).Do(t, q, nil)
		if i < 2 && r.Status != 200 {
			t.Fatalf("user request %d: %d %s", i, r.Status, text(r))
		}
		if i == 2 && (r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !strings.Contains(text(r), `"code":"RATE_LIMITED"`)) {
			t.Fatalf("third user request: %d %s Retry-After %q", r.Status, text(r), r.Header.Get("Retry-After"))
		}
	}
	// Per IP: the proxy (a trusted peer) says who the client is.
	for i := range 4 {
		status := s.anon().With("X-Forwarded-For", "10.9.9.9").Do(t, q, nil).Status
		if want := map[bool]int{true: 200, false: 429}[i < 3]; status != want {
			t.Fatalf("anonymous request %d from one IP: %d, want %d", i, status, want)
		}
	}
	if status := s.anon().With("X-Forwarded-For", "10.9.9.10").Do(t, q, nil).Status; status != 200 {
		t.Fatalf("another IP: %d", status)
	}
}

// One client's refused requests used to spend the global bucket (it was
// drawn first), and requests with bad tokens were never rate limited
// (authentication ran first). Per-client buckets come first now, the
// global one last, and the client's bucket before any token is verified.
func TestRateLimitOrder(t *testing.T) {
	s := newStore(t, func(c *config.Config) {
		c.RateLimit = config.RateLimit{Enabled: true, PerIP: config.Bucket{Rate: 0.01, Burst: 2}, Global: config.Bucket{Rate: 0.01, Burst: 4}}
	})
	s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`
	const q = `{ product(sku: "X") { name } }`
	for range 10 { // 2 allowed, 8 refused by the client's bucket
		s.anon().With("X-Forwarded-For", "10.1.1.1").Do(t, q, nil)
	}
	if r := s.anon().With("X-Forwarded-For", "10.1.1.2").Do(t, q, nil); r.Status != 200 {
		t.Fatalf("another client after one client's flood: %d %s (the global bucket was drained by refused requests)", r.Status, text(r))
	}
	for i := range 4 {
		r := s.as("garbage").With("X-Forwarded-For", "10.1.1.3").Do(t, q, nil)
		want := http.StatusUnauthorized
		if i >= 2 {
			want = http.StatusTooManyRequests
		}
		if r.Status != want {
			t.Fatalf("bad token %d: %d %s, want %d", i, r.Status, text(r), want)
		}
	}
}

func TestRateLimitsSharedThroughRedis(t *testing.T) {
	prefix := fmt.Sprintf("test:%d:", time.Now().UnixNano())
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	limited := func(c *config.Config) {
		c.RateLimit = config.RateLimit{Enabled: true, PerIP: config.Bucket{Rate: 0.01, Burst: 4}}
	}
	// Two routers (replicas) with one Redis.
	var stores []*store
	for range 2 {
		s := newStore(t, limited)
		rs, err := ratelimit.NewRedis(context.Background(), url, prefix)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rs.Close() })
		cfg := config.Default()
		limited(&cfg)
		cfg.AccessLog = false
		_, s.router = serve(t, s.server.Engine().Supergraph.SDL, cfg, server.Deps{RateStore: rs})
		s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`
		stores = append(stores, s)
	}
	ok := 0
	for i := range 8 {
		if stores[i%2].anon().With("X-Forwarded-For", "10.7.7.7").Do(t, `{ product(sku: "X") { name } }`, nil).Status == 200 {
			ok++
		}
	}
	if ok != 4 {
		t.Fatalf("%d of 8 requests passed two replicas sharing a burst of 4", ok)
	}
}

func TestIPAllowLists(t *testing.T) {
	// The whole router only from 10.0.0.0/8 (loopback is a trusted proxy).
	s := newStore(t, func(c *config.Config) { c.IPAllow.Router = []string{"10.0.0.0/8"} })
	s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`
	const q = `{ product(sku: "X") { name } }`
	if r := s.anon().Do(t, q, nil); r.Status != http.StatusForbidden || !strings.Contains(text(r), `"code":"IP_NOT_ALLOWED"`) {
		t.Fatalf("from loopback: %d %s", r.Status, text(r))
	}
	if r := s.anon().With("X-Forwarded-For", "10.1.2.3").Do(t, q, nil); r.Status != 200 {
		t.Fatalf("from 10.1.2.3 via a trusted proxy: %d %s", r.Status, text(r))
	}

	// Admin mutations only from the office.
	s = newStore(t, func(c *config.Config) {
		c.IPAllow.Rules = []config.IPRule{{Fields: []string{"Mutation.archiveProduct"}, CIDRs: []string{"192.168.10.0/24"}}}
	})
	admin := s.issuer.Token(t, "root", []string{"catalog:write"}, nil)
	s.product.responses[`mutation{archiveProduct(id:"p1"){product{id}}}`] = `{"data":{"archiveProduct":{"product":{"id":"p1"}}}}`
	const mut = `mutation { archiveProduct(id: "p1") { product { id } } }`
	outside, office := s.as(admin).With("X-Forwarded-For", "203.0.113.9"), s.as(admin).With("X-Forwarded-For", "192.168.10.7")
	if got := text(outside.Do(t, mut, nil)); !strings.Contains(got, `"code":"IP_NOT_ALLOWED"`) {
		t.Fatalf("admin mutation from outside: %s", got)
	}
	if len(s.product.got) != 0 {
		t.Fatal("a refused mutation reached the subgraph")
	}
	if got := text(office.Do(t, mut, nil)); !strings.Contains(got, `"p1"`) {
		t.Fatalf("admin mutation from the office: %s", got)
	}
	// Fragments do not hide a root field from the rule.
	const hidden = `mutation { ...M } fragment M on Mutation { archiveProduct(id: "p1") { product { id } } }`
	if got := text(outside.Do(t, hidden, nil)); !strings.Contains(got, `"code":"IP_NOT_ALLOWED"`) {
		t.Fatalf("admin mutation in a fragment from outside: %s", got)
	}
	// Other operations are not affected.
	s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`
	if got := text(s.anon().With("X-Forwarded-For", "203.0.113.9").Do(t, q, nil)); !strings.Contains(got, "Lamp") {
		t.Fatalf("query from outside: %s", got)
	}
}

// IPv6 clients are limited per /64: rotating addresses inside it does not help.
func TestRateLimitIPv6PerPrefix(t *testing.T) {
	s := newStore(t, func(c *config.Config) {
		c.RateLimit = config.RateLimit{Enabled: true, PerIP: config.Bucket{Rate: 0.01, Burst: 2}}
	})
	s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`
	var statuses []int
	for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3", "2001:db8:1:3::1"} {
		statuses = append(statuses, s.anon().With("X-Forwarded-For", ip).Do(t, `{ product(sku: "X") { name } }`, nil).Status)
	}
	if fmt.Sprint(statuses) != "[200 200 429 200]" {
		t.Fatalf("statuses %v, want [200 200 429 200]", statuses)
	}
}

// The global bucket limits the router as a whole, whoever asks.
func TestGlobalRateLimit(t *testing.T) {
	s := newStore(t, func(c *config.Config) {
		c.RateLimit = config.RateLimit{Enabled: true, Global: config.Bucket{Rate: 0.01, Burst: 2}}
	})
	s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`
	var statuses []int
	for _, ip := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"} {
		r := s.anon().With("X-Forwarded-For", ip).Do(t, `{ product(sku: "X") { name } }`, nil)
		statuses = append(statuses, r.Status)
		if r.Status == http.StatusTooManyRequests && !strings.Contains(text(r), "global limit") {
			t.Errorf("refusal: %s", text(r))
		}
	}
	if fmt.Sprint(statuses) != "[200 200 429]" {
		t.Fatalf("statuses %v, want [200 200 429]", statuses)
	}
}

// A rule can name operations too.
func TestIPAllowByOperationName(t *testing.T) {
	s := newStore(t, func(c *config.Config) {
		c.IPAllow.Rules = []config.IPRule{{Operations: []string{"StockReport"}, CIDRs: []string{"192.168.10.0/24"}}}
	})
	s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`
	outside := s.anon().With("X-Forwarded-For", "203.0.113.9")
	if got := text(outside.Do(t, `query StockReport { product(sku: "X") { name } }`, nil)); !strings.Contains(got, `"code":"IP_NOT_ALLOWED"`) {
		t.Fatalf("named operation from outside: %s", got)
	}
	if got := text(s.anon().With("X-Forwarded-For", "192.168.10.20").Do(t, `query StockReport { product(sku: "X") { name } }`, nil)); !strings.Contains(got, "Lamp") {
		t.Fatalf("named operation from the office: %s", got)
	}
	if got := text(outside.Do(t, `query Other { product(sku: "X") { name } }`, nil)); !strings.Contains(got, "Lamp") {
		t.Fatalf("another operation from outside: %s", got)
	}
}
