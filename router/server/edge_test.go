package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"

	"github.com/virtual-store/virtual-store/internal/auth"
	"github.com/virtual-store/virtual-store/router/config"
	"github.com/virtual-store/virtual-store/router/persisted"
	"github.com/virtual-store/virtual-store/router/ratelimit"
	"github.com/virtual-store/virtual-store/router/server"
)

func gqlBody(q string) string {
	b, _ := json.Marshal(map[string]any{"query": q})
	return string(b)
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

const productBySKU = `query{product(sku:"X"){name}}`

func TestAuthentication(t *testing.T) {
	s := newStore(t)
	s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`
	q := gqlBody(`{ product(sku: "X") { name } }`)

	// A valid token: the subgraph gets the router's statement addressed to
	// it, and neither the token nor a client-made identity header.
	status, got, _ := s.post(t, q, map[string]string{"Authorization": "Bearer " + s.token, auth.IdentityHeader: "forged.identity"})
	if status != 200 || got != `{"data":{"product":{"name":"Lamp"}}}` {
		t.Fatalf("valid token: %d %s", status, got)
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
	_, got, _ = s.post(t, q, map[string]string{auth.IdentityHeader: "forged.identity"})
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
		status, got, hdr := s.post(t, q, bearer(tok))
		if status != http.StatusUnauthorized || !strings.Contains(got, `"code":"UNAUTHENTICATED"`) || !strings.Contains(hdr.Get("WWW-Authenticate"), "invalid_token") {
			t.Errorf("%s: %d %s %q", name, status, got, hdr.Get("WWW-Authenticate"))
		}
	}
	status, _, _ = s.post(t, q, map[string]string{"Authorization": "Basic YWRtaW46YWRtaW4="})
	if status != http.StatusUnauthorized {
		t.Errorf("Basic auth: %d, want 401", status)
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
	got := s.queryAs(t, "", `{ order(id: "o1") { status } product(sku: "X") { name } }`, nil)
	want := `{"data":{"order":null,"product":{"name":"Lamp"}},"errors":[{"message":"Unauthorized field or type: Query.order","path":["order"],"extensions":{"code":"UNAUTHORIZED"}}]}`
	if got != want {
		t.Fatalf("anonymous:\n got %s\nwant %s", got, want)
	}
	if len(s.order.got) != 0 {
		t.Fatal("a denied field was fetched")
	}

	// A customer lacks catalog:write: FORBIDDEN; the mutation never runs.
	got = s.query(t, `mutation { createProduct(input: {sku: "S", name: "N", prices: [{amount: 1, currency: "EUR"}]}) { product { id } } }`, nil)
	if !strings.Contains(got, `"data":null`) || !strings.Contains(got, `"code":"FORBIDDEN"`) || !strings.Contains(got, `"path":["createProduct"]`) {
		t.Fatalf("customer createProduct: %s", got)
	}
	if len(s.product.got) != 1 {
		t.Fatalf("the product subgraph got %d requests, want 1 (the earlier query)", len(s.product.got))
	}

	// An admin has it.
	admin := s.issuer.Token(t, "root", []string{"catalog:write", "orders:admin"}, nil)
	s.product.responses[`mutation{archiveProduct(id:"p1"){product{id}}}`] = `{"data":{"archiveProduct":{"product":{"id":"p1"}}}}`
	if got := s.queryAs(t, admin, `mutation { archiveProduct(id: "p1") { product { id } } }`, nil); got != `{"data":{"archiveProduct":{"product":{"id":"p1"}}}}` {
		t.Fatalf("admin archiveProduct: %s", got)
	}
	// Scopes are OR-ed sets: cancelOrder takes orders:write or orders:admin.
	s.order.responses[`mutation{cancelOrder(id:"o1"){order{status}}}`] = `{"data":{"cancelOrder":{"order":{"status":"CANCELLED"}}}}`
	if got := s.queryAs(t, admin, `mutation { cancelOrder(id: "o1") { order { status } } }`, nil); !strings.Contains(got, "CANCELLED") {
		t.Fatalf("admin cancelOrder: %s", got)
	}

	// A field nested under an allowed one: User.orders is @authenticated.
	s.user.responses[`query($id:ID!){user(id:$id){name}}`] = `{"data":{"user":{"name":"Dana"}}}`
	got = s.queryAs(t, "", `query($id: ID!) { user(id: $id) { name orders { totalCount } } }`, map[string]any{"id": "u1"})
	if !strings.Contains(got, `"user":null`) || !strings.Contains(got, `"path":["user","orders"]`) || !strings.Contains(got, `"UNAUTHORIZED"`) {
		t.Fatalf("nested denied field: %s", got)
	}
}

func TestRequestLimits(t *testing.T) {
	s := newStore(t, func(c *config.Config) {
		c.Limits = config.Limits{MaxDepth: 4, MaxAliases: 2, MaxRootFields: 2, MaxTokens: 80, MaxDocumentBytes: 400,
			MaxBodyBytes: 1000, MaxCost: 300, DefaultListSize: 10}
	})
	tests := []struct {
		name, query, code string
	}{
		{"depth", `{ order(id: "o") { lines { product { category { name } } } } }`, "MAX_DEPTH_EXCEEDED"},
		{"aliases", `{ a: product(sku: "1") { n: name } b: product(sku: "2") { name } }`, "MAX_ALIASES_EXCEEDED"},
		{"root fields", `{ categories { name } cart { itemCount } me { name } }`, "MAX_ROOT_FIELDS_EXCEEDED"},
		{"tokens", `{ product(sku: "1") { ` + strings.Repeat("n ", 80) + `} }`, "MAX_TOKENS_EXCEEDED"},
		{"document bytes", `{ product(sku: "1") { name } }` + strings.Repeat(" ", 400), "DOCUMENT_TOO_LARGE"},
		{"cost", `{ products(first: 100) { edges { node { name sku } } } }`, "COST_LIMIT_EXCEEDED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, got, _ := s.post(t, gqlBody(tt.query), bearer(s.token))
			if status != 200 || !strings.Contains(got, `"code":"`+tt.code+`"`) || !strings.Contains(got, `"data":null`) {
				t.Fatalf("%d %s, want %s", status, got, tt.code)
			}
		})
	}
	status, got, _ := s.post(t, gqlBody(`{ product(sku: "1") { name } }`+strings.Repeat(" ", 1000)), nil)
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(got, `"code":"REQUEST_TOO_LARGE"`) {
		t.Fatalf("body over the limit: %d %s", status, got)
	}
	if n := len(s.product.got) + len(s.order.got) + len(s.user.got); n != 0 {
		t.Fatalf("%d subgraph requests for refused operations", n)
	}
	// Within every limit it runs.
	s.product.responses[`query{products(first:5){edges{node{name}}}}`] = `{"data":{"products":{"edges":[]}}}`
	if got := s.query(t, `{ products(first: 5) { edges { node { name } } } }`, nil); got != `{"data":{"products":{"edges":[]}}}` {
		t.Fatalf("allowed query: %s", got)
	}
}

func TestRateLimits(t *testing.T) {
	s := newStore(t, func(c *config.Config) {
		c.RateLimit = config.RateLimit{Enabled: true, PerIP: config.Bucket{Rate: 0.01, Burst: 3}, PerUser: config.Bucket{Rate: 0.01, Burst: 2}}
	})
	s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`
	q := gqlBody(`{ product(sku: "X") { name } }`)
	// Per user: two requests, whichever address they come from.
	for i, ip := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"} {
		status, got, hdr := s.post(t, q, map[string]string{"Authorization": "Bearer " + s.token, "X-Forwarded-For": ip})
		if i < 2 && status != 200 {
			t.Fatalf("user request %d: %d %s", i, status, got)
		}
		if i == 2 && (status != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" || !strings.Contains(got, `"code":"RATE_LIMITED"`)) {
			t.Fatalf("third user request: %d %s Retry-After %q", status, got, hdr.Get("Retry-After"))
		}
	}
	// Per IP: the proxy (a trusted peer) says who the client is.
	for i := range 4 {
		status, _, _ := s.post(t, q, map[string]string{"X-Forwarded-For": "10.9.9.9"})
		if want := map[bool]int{true: 200, false: 429}[i < 3]; status != want {
			t.Fatalf("anonymous request %d from one IP: %d, want %d", i, status, want)
		}
	}
	if status, _, _ := s.post(t, q, map[string]string{"X-Forwarded-For": "10.9.9.10"}); status != 200 {
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
	q := gqlBody(`{ product(sku: "X") { name } }`)
	for range 10 { // 2 allowed, 8 refused by the client's bucket
		s.post(t, q, map[string]string{"X-Forwarded-For": "10.1.1.1"})
	}
	if status, got, _ := s.post(t, q, map[string]string{"X-Forwarded-For": "10.1.1.2"}); status != 200 {
		t.Fatalf("another client after one client's flood: %d %s (the global bucket was drained by refused requests)", status, got)
	}
	for i := range 4 {
		status, got, _ := s.post(t, q, map[string]string{"X-Forwarded-For": "10.1.1.3", "Authorization": "Bearer garbage"})
		want := http.StatusUnauthorized
		if i >= 2 {
			want = http.StatusTooManyRequests
		}
		if status != want {
			t.Fatalf("bad token %d: %d %s, want %d", i, status, got, want)
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
		_, _, s.router = serveGateway(t, s.engine.Supergraph.SDL, cfg, server.Deps{RateStore: rs})
		s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`
		stores = append(stores, s)
	}
	ok := 0
	for i := range 8 {
		status, _, _ := stores[i%2].post(t, gqlBody(`{ product(sku: "X") { name } }`), map[string]string{"X-Forwarded-For": "10.7.7.7"})
		if status == 200 {
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
	q := gqlBody(`{ product(sku: "X") { name } }`)
	if status, got, _ := s.post(t, q, nil); status != http.StatusForbidden || !strings.Contains(got, server.CodeIPNotAllowed) {
		t.Fatalf("from loopback: %d %s", status, got)
	}
	if status, got, _ := s.post(t, q, map[string]string{"X-Forwarded-For": "10.1.2.3"}); status != 200 {
		t.Fatalf("from 10.1.2.3 via a trusted proxy: %d %s", status, got)
	}

	// Admin mutations only from the office.
	s = newStore(t, func(c *config.Config) {
		c.IPAllow.Rules = []config.IPRule{{Fields: []string{"Mutation.archiveProduct"}, CIDRs: []string{"192.168.10.0/24"}}}
	})
	admin := s.issuer.Token(t, "root", []string{"catalog:write"}, nil)
	s.product.responses[`mutation{archiveProduct(id:"p1"){product{id}}}`] = `{"data":{"archiveProduct":{"product":{"id":"p1"}}}}`
	mut := gqlBody(`mutation { archiveProduct(id: "p1") { product { id } } }`)
	if _, got, _ := s.post(t, mut, map[string]string{"Authorization": "Bearer " + admin, "X-Forwarded-For": "203.0.113.9"}); !strings.Contains(got, `"code":"IP_NOT_ALLOWED"`) {
		t.Fatalf("admin mutation from outside: %s", got)
	}
	if len(s.product.got) != 0 {
		t.Fatal("a refused mutation reached the subgraph")
	}
	if _, got, _ := s.post(t, mut, map[string]string{"Authorization": "Bearer " + admin, "X-Forwarded-For": "192.168.10.7"}); !strings.Contains(got, `"p1"`) {
		t.Fatalf("admin mutation from the office: %s", got)
	}
	// Fragments do not hide a root field from the rule.
	hidden := gqlBody(`mutation { ...M } fragment M on Mutation { archiveProduct(id: "p1") { product { id } } }`)
	if _, got, _ := s.post(t, hidden, map[string]string{"Authorization": "Bearer " + admin, "X-Forwarded-For": "203.0.113.9"}); !strings.Contains(got, `"code":"IP_NOT_ALLOWED"`) {
		t.Fatalf("admin mutation in a fragment from outside: %s", got)
	}
	// Other operations are not affected.
	s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`
	if _, got, _ := s.post(t, q, map[string]string{"X-Forwarded-For": "203.0.113.9"}); !strings.Contains(got, "Lamp") {
		t.Fatalf("query from outside: %s", got)
	}
}

func TestAutomaticPersistedQueries(t *testing.T) {
	s := newStore(t)
	s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`
	doc := `{ product(sku: "X") { name } }`
	hash := persisted.Hash(doc)
	ext := func(h string) map[string]any {
		return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": h}}
	}
	send := func(body map[string]any) string {
		b, _ := json.Marshal(body)
		_, got, _ := s.post(t, string(b), nil)
		return got
	}
	if got := send(map[string]any{"extensions": ext(hash)}); !strings.Contains(got, `"code":"PERSISTED_QUERY_NOT_FOUND"`) {
		t.Fatalf("unknown hash: %s", got)
	}
	if got := send(map[string]any{"query": doc, "extensions": ext(persisted.Hash("other"))}); !strings.Contains(got, `"code":"PERSISTED_QUERY_HASH_MISMATCH"`) {
		t.Fatalf("mismatched hash: %s", got)
	}
	if got := send(map[string]any{"query": doc, "extensions": ext(hash)}); !strings.Contains(got, "Lamp") {
		t.Fatalf("register: %s", got)
	}
	if got := send(map[string]any{"extensions": ext(hash)}); !strings.Contains(got, "Lamp") {
		t.Fatalf("by hash: %s", got)
	}
	// And over GET, as CDNs like it.
	resp, err := http.Get(s.router.URL + "/graphql?extensions=" + strings.ReplaceAll(fmt.Sprintf(`{"persistedQuery":{"version":1,"sha256Hash":"%s"}}`, hash), `"`, "%22"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "Lamp") {
		t.Fatalf("by hash over GET: %s", b)
	}
}

// A document the router refuses used to be stored under its hash first (the
// cache was filled before the limits ran): it is kept only once it ran.
func TestPersistedQueriesKeepOnlyWhatRuns(t *testing.T) {
	s := newStore(t, func(c *config.Config) { c.Limits.MaxDepth = 3 })
	deep := `{ a { b { c { d { e } } } } }`
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": persisted.Hash(deep)}}
	b, _ := json.Marshal(map[string]any{"query": deep, "extensions": ext})
	if _, got, _ := s.post(t, string(b), nil); !strings.Contains(got, `"code":"MAX_DEPTH_EXCEEDED"`) {
		t.Fatalf("too deep: %s", got)
	}
	b, _ = json.Marshal(map[string]any{"extensions": ext})
	if _, got, _ := s.post(t, string(b), nil); !strings.Contains(got, `"code":"PERSISTED_QUERY_NOT_FOUND"`) {
		t.Fatalf("the refused document was kept: %s", got)
	}
}

func TestSafelist(t *testing.T) {
	allowed := `query Lamp { product(sku: "X") { name } }`
	manifest := filepath.Join(t.TempDir(), "manifest.json")
	m := fmt.Sprintf(`{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id":"lamp-v1","name":"Lamp","type":"query","body":%q}]}`, allowed)
	if err := os.WriteFile(manifest, []byte(m), 0o600); err != nil {
		t.Fatal(err)
	}
	s := newStore(t, func(c *config.Config) { c.Persisted = config.Persisted{Safelist: true, Manifest: manifest} })
	s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`
	if got := s.queryAs(t, "", allowed, nil); !strings.Contains(got, "Lamp") {
		t.Fatalf("listed operation: %s", got)
	}
	if got := s.queryAs(t, "", `{ product(sku: "X") { name } }`, nil); !strings.Contains(got, `"code":"PERSISTED_QUERY_NOT_IN_LIST"`) {
		t.Fatalf("unlisted operation: %s", got)
	}
	_, got, _ := s.post(t, `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"lamp-v1"}}}`, nil)
	if !strings.Contains(got, "Lamp") {
		t.Fatalf("by manifest id: %s", got)
	}
}

func TestPlaygroundHealthAndCORS(t *testing.T) {
	s := newStore(t)
	get := func(path string, header map[string]string) (int, string, http.Header) {
		return s.do(t, http.MethodGet, path, "", header)
	}
	status, page, _ := get("/", nil)
	if status != 200 || !strings.Contains(page, "GraphiQL") || !strings.Contains(page, `/playground/assets/graphiql.min.js`) {
		t.Fatalf("playground: %d %.200s", status, page)
	}
	if status, js, _ := get("/playground/assets/graphiql.min.js", nil); status != 200 || len(js) < 100_000 {
		t.Fatalf("embedded asset: %d, %d bytes", status, len(js))
	}
	if status, page, _ := get("/graphql", map[string]string{"Accept": "text/html,application/xhtml+xml"}); status != 200 || !strings.Contains(page, "GraphiQL") {
		t.Fatalf("browser at /graphql: %d", status)
	}
	if status, _, _ := get("/healthz", nil); status != http.StatusNotFound {
		t.Fatalf("healthz on the public port: %d, want 404 (it is on the admin port)", status)
	}
	admin := httptest.NewServer(s.gateway.Admin())
	defer admin.Close()
	if resp, err := http.Get(admin.URL + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("admin healthz with a supergraph: %v %v", resp, err)
	}
	req, _ := http.NewRequest(http.MethodOptions, s.router.URL+"/graphql", nil)
	req.Header.Set("Origin", "https://shop.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") == "" || !strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "authorization") {
		t.Fatalf("CORS preflight: %d %v", resp.StatusCode, resp.Header)
	}

	off := newStore(t, func(c *config.Config) { c.Playground = false })
	resp, err = http.Get(off.router.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("playground off: %d, want 404", resp.StatusCode)
	}
}

func TestNotReadyWithoutSupergraph(t *testing.T) {
	gw, err := server.NewGateway(config.Default(), server.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw.Routes())
	defer srv.Close()
	admin := httptest.NewServer(gw.Admin())
	defer admin.Close()
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(admin.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s before a supergraph: %d, want 503", path, resp.StatusCode)
		}
	}
	resp, err := http.Post(srv.URL+"/graphql", "application/json", strings.NewReader(gqlBody(`{ __typename }`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("graphql before a supergraph: %d", resp.StatusCode)
	}
}

func TestMetrics(t *testing.T) {
	s := newStore(t)
	s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`
	for range 2 {
		s.query(t, `query Lamp { product(sku: "X") { name } }`, nil)
	}
	s.query(t, `{ a { b { c { d { e { f { g { h { i { j { k { l { m } } } } } } } } } } } } }`, nil)
	s.post(t, gqlBody(`{ __typename }`), bearer("garbage"))
	admin := httptest.NewServer(s.gateway.Admin())
	defer admin.Close()
	resp, err := http.Get(admin.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`router_graphql_requests_total{operation="Lamp",outcome="success",type="query"} 2`,
		`router_plan_cache_lookups_total{result="hit"} 1`,
		`router_rejections_total{reason="MAX_DEPTH_EXCEEDED"} 1`,
		`router_auth_failures_total{reason="invalid_token"} 1`,
		`router_graphql_request_duration_seconds_bucket{operation="Lamp"`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestTraceContextReachesSubgraphs(t *testing.T) {
	otel.SetTextMapPropagator(propagation.TraceContext{})
	s := newStore(t)
	s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	s.post(t, gqlBody(`{ product(sku: "X") { name } }`), map[string]string{"Traceparent": "00-" + traceID + "-00f067aa0ba902b7-01"})
	got := s.product.headers[len(s.product.headers)-1].Get("Traceparent")
	if !strings.Contains(got, traceID) {
		t.Fatalf("subgraph traceparent %q, want trace %s", got, traceID)
	}
}

// IPv6 clients are limited per /64: rotating addresses inside it does not help.
func TestRateLimitIPv6PerPrefix(t *testing.T) {
	s := newStore(t, func(c *config.Config) {
		c.RateLimit = config.RateLimit{Enabled: true, PerIP: config.Bucket{Rate: 0.01, Burst: 2}}
	})
	s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`
	q := gqlBody(`{ product(sku: "X") { name } }`)
	var statuses []int
	for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3", "2001:db8:1:3::1"} {
		status, _, _ := s.post(t, q, map[string]string{"X-Forwarded-For": ip})
		statuses = append(statuses, status)
	}
	if fmt.Sprint(statuses) != "[200 200 429 200]" {
		t.Fatalf("statuses %v, want [200 200 429 200]", statuses)
	}
}

// GraphQL over HTTP: clients that accept application/graphql-response+json
// get it, and a request that never executed is a 400; plain JSON clients
// keep 200.
func TestGraphQLResponseMediaType(t *testing.T) {
	s := newStore(t)
	accept := map[string]string{"Accept": "application/graphql-response+json, application/json;q=0.9"}
	status, body, hdr := s.post(t, gqlBody(`{ nope }`), accept)
	if status != http.StatusBadRequest || !strings.HasPrefix(hdr.Get("Content-Type"), "application/graphql-response+json") || !strings.Contains(body, "GRAPHQL_VALIDATION_FAILED") {
		t.Fatalf("graphql-response+json: %d %s %s", status, hdr.Get("Content-Type"), body)
	}
	s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`
	if status, _, hdr := s.post(t, gqlBody(`{ product(sku: "X") { name } }`), accept); status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/graphql-response+json") {
		t.Fatalf("success: %d %s", status, hdr.Get("Content-Type"))
	}
	if status, _, hdr := s.post(t, gqlBody(`{ nope }`), nil); status != 200 || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("application/json: %d %s", status, hdr.Get("Content-Type"))
	}
}

func TestIntrospectionCanBeTurnedOff(t *testing.T) {
	s := newStore(t, func(c *config.Config) { c.Introspection = false })
	for _, q := range []string{`{ __schema { queryType { name } } }`, `{ __type(name: "Product") { name } }`, `{ ...I } fragment I on Query { __schema { types { name } } }`} {
		if got := s.query(t, q, nil); !strings.Contains(got, `"code":"INTROSPECTION_DISABLED"`) {
			t.Errorf("%s: %s", q, got)
		}
	}
	if got := s.query(t, `{ __typename }`, nil); got != `{"data":{"__typename":"Query"}}` {
		t.Fatalf("__typename: %s", got)
	}
}

// Concurrent identical queries share one subgraph request even when each
// carries its own trace (only the identity decides the answer).
func TestDedupIgnoresTraceContext(t *testing.T) {
	otel.SetTextMapPropagator(propagation.TraceContext{})
	s := newStore(t)
	s.order.delay = 200 * time.Millisecond
	s.order.responses[`query{cart{itemCount}}`] = `{"data":{"cart":{"itemCount":1}}}`
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			tp := fmt.Sprintf("00-4bf92f3577b34da6a3ce929d0e0e473%d-00f067aa0ba902b7-01", i)
			if _, got, _ := s.post(t, gqlBody(`{ cart { itemCount } }`), map[string]string{"Authorization": "Bearer " + s.token, "Traceparent": tp}); got != `{"data":{"cart":{"itemCount":1}}}` {
				t.Errorf("got %s", got)
			}
		})
	}
	wg.Wait()
	if n := len(s.order.got); n != 1 {
		t.Fatalf("%d subgraph requests for 4 identical queries in 4 traces, want 1", n)
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
		status, body, _ := s.post(t, gqlBody(`{ product(sku: "X") { name } }`), map[string]string{"X-Forwarded-For": ip})
		statuses = append(statuses, status)
		if status == http.StatusTooManyRequests && !strings.Contains(body, "global limit") {
			t.Errorf("refusal: %s", body)
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
	outside := map[string]string{"X-Forwarded-For": "203.0.113.9"}
	if _, got, _ := s.post(t, gqlBody(`query StockReport { product(sku: "X") { name } }`), outside); !strings.Contains(got, `"code":"IP_NOT_ALLOWED"`) {
		t.Fatalf("named operation from outside: %s", got)
	}
	if _, got, _ := s.post(t, gqlBody(`query StockReport { product(sku: "X") { name } }`), map[string]string{"X-Forwarded-For": "192.168.10.20"}); !strings.Contains(got, "Lamp") {
		t.Fatalf("named operation from the office: %s", got)
	}
	if _, got, _ := s.post(t, gqlBody(`query Other { product(sku: "X") { name } }`), outside); !strings.Contains(got, "Lamp") {
		t.Fatalf("another operation from outside: %s", got)
	}
}
