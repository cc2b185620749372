package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"

	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/router/config"
	"github.com/virtual-store/virtual-store/router/persisted"
	"github.com/virtual-store/virtual-store/router/server"
)

// persistedQuery is the body of an automatic persisted query naming hash,
// with doc as its query unless doc is "" (a request by hash alone).
func persistedQuery(doc, hash string) io.Reader {
	body := map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}}
	if doc != "" {
		body["query"] = doc
	}
	b, _ := json.Marshal(body)
	return bytes.NewReader(b)
}

const productBySKU = `query{product(sku:"X"){name}}`

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
			r := s.as(s.token).Do(t, tt.query, nil)
			if status, got := r.Status, text(r); status != 200 || !strings.Contains(got, `"code":"`+tt.code+`"`) || !strings.Contains(got, `"data":null`) {
				t.Fatalf("%d %s, want %s", status, got, tt.code)
			}
		})
	}
	r := s.anon().Do(t, `{ product(sku: "1") { name } }`+strings.Repeat(" ", 1000), nil)
	if status, got := r.Status, text(r); status != http.StatusRequestEntityTooLarge || !strings.Contains(got, `"code":"REQUEST_TOO_LARGE"`) {
		t.Fatalf("body over the limit: %d %s", status, got)
	}
	if n := len(s.product.got) + len(s.order.got) + len(s.user.got); n != 0 {
		t.Fatalf("%d subgraph requests for refused operations", n)
	}
	// Within every limit it runs.
	s.product.responses[`query{products(first:5){edges{node{name}}}}`] = `{"data":{"products":{"edges":[]}}}`
	if got := text(s.as(s.token).Do(t, `{ products(first: 5) { edges { node { name } } } }`, nil)); got != `{"data":{"products":{"edges":[]}}}` {
		t.Fatalf("allowed query: %s", got)
	}
}

func TestAutomaticPersistedQueries(t *testing.T) {
	s := newStore(t)
	s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`
	doc := `{ product(sku: "X") { name } }`
	hash := persisted.Hash(doc)
	apq := func(doc, hash string) string { return text(s.anon().DoRaw(t, persistedQuery(doc, hash))) }
	if got := apq("", hash); !strings.Contains(got, `"code":"PERSISTED_QUERY_NOT_FOUND"`) {
		t.Fatalf("unknown hash: %s", got)
	}
	if got := apq(doc, persisted.Hash("other")); !strings.Contains(got, `"code":"PERSISTED_QUERY_HASH_MISMATCH"`) {
		t.Fatalf("mismatched hash: %s", got)
	}
	if got := apq(doc, hash); !strings.Contains(got, "Lamp") {
		t.Fatalf("register: %s", got)
	}
	if got := apq("", hash); !strings.Contains(got, "Lamp") {
		t.Fatalf("by hash: %s", got)
	}
	// And over GET, as CDNs like it.
	got := text(s.send(t, s.anon(), http.MethodGet, "/graphql?extensions="+strings.ReplaceAll(fmt.Sprintf(`{"persistedQuery":{"version":1,"sha256Hash":"%s"}}`, hash), `"`, "%22")))
	if !strings.Contains(got, "Lamp") {
		t.Fatalf("by hash over GET: %s", got)
	}
}

// A document the router refuses used to be stored under its hash first (the
// cache was filled before the limits ran): it is kept only once it ran.
func TestPersistedQueriesKeepOnlyWhatRuns(t *testing.T) {
	s := newStore(t, func(c *config.Config) { c.Limits.MaxDepth = 3 })
	deep := `{ a { b { c { d { e } } } } }`
	if got := text(s.anon().DoRaw(t, persistedQuery(deep, persisted.Hash(deep)))); !strings.Contains(got, `"code":"MAX_DEPTH_EXCEEDED"`) {
		t.Fatalf("too deep: %s", got)
	}
	if got := text(s.anon().DoRaw(t, persistedQuery("", persisted.Hash(deep)))); !strings.Contains(got, `"code":"PERSISTED_QUERY_NOT_FOUND"`) {
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
	if got := text(s.anon().Do(t, allowed, nil)); !strings.Contains(got, "Lamp") {
		t.Fatalf("listed operation: %s", got)
	}
	if got := text(s.anon().Do(t, `{ product(sku: "X") { name } }`, nil)); !strings.Contains(got, `"code":"PERSISTED_QUERY_NOT_IN_LIST"`) {
		t.Fatalf("unlisted operation: %s", got)
	}
	if got := text(s.anon().DoRaw(t, persistedQuery("", "lamp-v1"))); !strings.Contains(got, "Lamp") {
		t.Fatalf("by manifest id: %s", got)
	}
}

func TestPlaygroundHealthAndCORS(t *testing.T) {
	s := newStore(t)
	get := func(c gqltest.Client, path string) (int, string) {
		r := s.send(t, c, http.MethodGet, path)
		return r.Status, text(r)
	}
	status, page := get(s.anon(), "/")
	if status != 200 || !strings.Contains(page, "GraphiQL") || !strings.Contains(page, `/playground/assets/graphiql.min.js`) {
		t.Fatalf("playground: %d %.200s", status, page)
	}
	if status, js := get(s.anon(), "/playground/assets/graphiql.min.js"); status != 200 || len(js) < 100_000 {
		t.Fatalf("embedded asset: %d, %d bytes", status, len(js))
	}
	if status, page := get(s.anon().With("Accept", "text/html,application/xhtml+xml"), "/graphql"); status != 200 || !strings.Contains(page, "GraphiQL") {
		t.Fatalf("browser at /graphql: %d", status)
	}
	if status, _ := get(s.anon(), "/healthz"); status != http.StatusNotFound {
		t.Fatalf("healthz on the public port: %d, want 404 (it is on the admin port)", status)
	}
	admin := httptest.NewServer(s.server.Admin())
	defer admin.Close()
	if resp, err := http.Get(admin.URL + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("admin healthz with a supergraph: %v %v", resp, err)
	}
	preflight := s.anon().With("Origin", "https://shop.example").With("Access-Control-Request-Method", "POST").With("Access-Control-Request-Headers", "authorization,content-type")
	r := s.send(t, preflight, http.MethodOptions, "/graphql")
	if r.Header.Get("Access-Control-Allow-Origin") == "" || !strings.Contains(strings.ToLower(r.Header.Get("Access-Control-Allow-Headers")), "authorization") {
		t.Fatalf("CORS preflight: %d %v", r.Status, r.Header)
	}

	off := newStore(t, func(c *config.Config) { c.Playground = false })
	if r := off.send(t, off.anon(), http.MethodGet, "/"); r.Status != http.StatusNotFound {
		t.Fatalf("playground off: %d, want 404", r.Status)
	}
}

func TestNotReadyWithoutSupergraph(t *testing.T) {
	router, err := server.New(config.Default(), server.Deps{Log: gqltest.Quiet(), Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(router.Handler())
	defer srv.Close()
	admin := httptest.NewServer(router.Admin())
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
	r := gqltest.Client{URL: srv.URL + "/graphql"}.Do(t, `{ __typename }`, nil)
	if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Fatalf("graphql before a supergraph: %d", r.Status)
	}
}

// A router whose authenticator has not read the revoked sessions yet (it
// would refuse every token) is alive but not ready, and ready once it has.
func TestNotReadyUntilTheRevokedSessionsAreRead(t *testing.T) {
	s := newStore(t)
	admin := httptest.NewServer(s.server.Admin())
	defer admin.Close()
	status := func(path string) int {
		resp, err := http.Get(admin.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := status("/healthz"); got != http.StatusOK {
		t.Fatalf("healthz before the revoked sessions were read: %d, want 200", got)
	}
	if got := status("/readyz"); got != http.StatusServiceUnavailable {
		t.Fatalf("readyz before the revoked sessions were read: %d, want 503", got)
	}
	s.verifier.PollRevoked(context.Background())
	if got := status("/readyz"); got != http.StatusOK {
		t.Fatalf("readyz once they were read: %d, want 200", got)
	}
}

func TestMetrics(t *testing.T) {
	s := newStore(t)
	s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`
	for range 2 {
		s.as(s.token).Do(t, `query Lamp { product(sku: "X") { name } }`, nil)
	}
	s.as(s.token).Do(t, `{ a { b { c { d { e { f { g { h { i { j { k { l { m } } } } } } } } } } } } }`, nil)
	s.as("garbage").Do(t, `{ __typename }`, nil)
	admin := httptest.NewServer(s.server.Admin())
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
	s.anon().With("Traceparent", "00-"+traceID+"-00f067aa0ba902b7-01").Do(t, `{ product(sku: "X") { name } }`, nil)
	got := s.product.headers[len(s.product.headers)-1].Get("Traceparent")
	if !strings.Contains(got, traceID) {
		t.Fatalf("subgraph traceparent %q, want trace %s", got, traceID)
	}
}

// GraphQL over HTTP: clients that accept application/graphql-response+json
// get it, and a request that never executed is a 400; plain JSON clients
// keep 200.
func TestGraphQLResponseMediaType(t *testing.T) {
	s := newStore(t)
	accept := s.anon().With("Accept", "application/graphql-response+json, application/json;q=0.9")
	r := accept.Do(t, `{ nope }`, nil)
	if r.Status != http.StatusBadRequest || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/graphql-response+json") || !strings.Contains(text(r), "GRAPHQL_VALIDATION_FAILED") {
		t.Fatalf("graphql-response+json: %d %s %s", r.Status, r.Header.Get("Content-Type"), text(r))
	}
	s.product.responses[productBySKU] = `{"data":{"product":{"name":"Lamp"}}}`
	if r := accept.Do(t, `{ product(sku: "X") { name } }`, nil); r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/graphql-response+json") {
		t.Fatalf("success: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	if r := s.anon().Do(t, `{ nope }`, nil); r.Status != 200 || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("application/json: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
}

func TestIntrospectionCanBeTurnedOff(t *testing.T) {
	s := newStore(t, func(c *config.Config) { c.Introspection = false })
	for _, q := range []string{`{ __schema { queryType { name } } }`, `{ __type(name: "Product") { name } }`, `{ ...I } fragment I on Query { __schema { types { name } } }`} {
		if got := text(s.as(s.token).Do(t, q, nil)); !strings.Contains(got, `"code":"INTROSPECTION_DISABLED"`) {
			t.Errorf("%s: %s", q, got)
		}
	}
	if got := text(s.as(s.token).Do(t, `{ __typename }`, nil)); got != `{"data":{"__typename":"Query"}}` {
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
			r, err := s.as(s.token).With("Traceparent", tp).Post(context.Background(), `{ cart { itemCount } }`, nil)
			if got := text(r); err != nil || got != `{"data":{"cart":{"itemCount":1}}}` {
				t.Errorf("got %s (%v)", got, err)
			}
		})
	}
	wg.Wait()
	if n := len(s.order.got); n != 1 {
		t.Fatalf("%d subgraph requests for 4 identical queries in 4 traces, want 1", n)
	}
}
