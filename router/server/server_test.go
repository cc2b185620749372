package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/router/authn"
	"github.com/virtual-store/virtual-store/router/config"
	"github.com/virtual-store/virtual-store/router/execute"
	"github.com/virtual-store/virtual-store/router/internal/storegraph"
	"github.com/virtual-store/virtual-store/router/internal/testjwt"
	"github.com/virtual-store/virtual-store/router/server"
)

// fakeSubgraph answers the exact subgraph queries a test expects with
// canned responses, and records what it was sent.
type fakeSubgraph struct {
	t         testing.TB
	mu        sync.Mutex
	responses map[string]string // operation -> response body
	got       []map[string]any
	headers   []http.Header
	delay     time.Duration
}

func (f *fakeSubgraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	time.Sleep(f.delay)
	var req map[string]any
	_ = json.NewDecoder(r.Body).Decode(&req)
	f.mu.Lock()
	f.got = append(f.got, req)
	f.headers = append(f.headers, r.Header.Clone())
	body, ok := f.responses[req["query"].(string)]
	f.mu.Unlock()
	if !ok {
		f.t.Errorf("unexpected subgraph query %q", req["query"])
		body = `{"errors":[{"message":"unexpected query"}]}`
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, body)
}

type store struct {
	engine               *server.Engine
	gateway              *server.Gateway
	router               *httptest.Server
	user, product, order *fakeSubgraph
	productSrv           *httptest.Server
	issuer               *testjwt.Issuer
	// token is a customer's access token, sent by query.
	token string
}

// customerScopes are what the user service grants the CUSTOMER role.
var customerScopes = []string{"profile:read", "profile:write", "cart:write", "orders:read", "orders:write"}

// newStore serves the store's composed supergraph through the whole
// gateway (edge middleware included) over fake subgraphs; configure may
// change the configuration first.
func newStore(t testing.TB, configure ...func(*config.Config)) *store {
	t.Helper()
	s := &store{user: &fakeSubgraph{t: t, responses: map[string]string{}}, product: &fakeSubgraph{t: t, responses: map[string]string{}}, order: &fakeSubgraph{t: t, responses: map[string]string{}}}
	urls := map[string]string{}
	for name, h := range map[string]*fakeSubgraph{"user": s.user, "product": s.product, "order": s.order} {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		urls[name] = srv.URL
		if name == "product" {
			s.productSrv = srv
		}
	}
	sdl, err := storegraph.Supergraph(urls)
	if err != nil {
		t.Fatal(err)
	}
	s.issuer = testjwt.New(t)
	cfg := config.Default()
	cfg.Auth.JWKSURL, cfg.Auth.Issuers = s.issuer.JWKSURL(), []string{testjwt.IssuerName}
	cfg.RateLimit.Enabled = false
	cfg.AccessLog = false
	for _, c := range configure {
		c(&cfg)
	}
	verifier, err := authn.New(cfg.Auth, http.DefaultClient, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	s.engine, s.gateway, s.router = serveGateway(t, sdl, cfg, server.Deps{Authenticator: verifier})
	s.token = s.issuer.Token(t, "dana", customerScopes, nil)
	return s
}

// serveGateway serves sdl through a gateway configured by cfg and deps
// (quiet log and a fresh registry filled in), as cmd/router wires it.
func serveGateway(t testing.TB, sdl string, cfg config.Config, deps server.Deps) (*server.Engine, *server.Gateway, *httptest.Server) {
	t.Helper()
	deps.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	deps.Registry = prometheus.NewRegistry()
	gw, err := server.NewGateway(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	transport := execute.NewTransport(5*time.Second, nil)
	transport.Header = gw.SubgraphHeaders
	transport.Caller = server.Caller
	e, err := server.NewEngine(sdl, server.Options{Transport: transport, Limits: cfg.Limits, NoIntrospection: !cfg.Introspection})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, g := range e.Supergraph.Graphs {
		names[g.URL] = g.Name
	}
	gw.SetSubgraphs(names)
	e.OnPlanCache = gw.Metrics.PlanCache
	gw.GraphQL.Swap(e)
	srv := httptest.NewServer(gw.Routes())
	t.Cleanup(srv.Close)
	return e, gw, srv
}

// post sends a GraphQL request with the given headers and returns the
// status and body.
func (s *store) post(t testing.TB, body string, header map[string]string) (int, string, http.Header) {
	t.Helper()
	h := map[string]string{"Content-Type": "application/json"}
	for k, v := range header {
		h[k] = v
	}
	return s.do(t, http.MethodPost, "/graphql", body, h)
}

// do sends any request to the router.
func (s *store) do(t testing.TB, method, path, body string, header map[string]string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, s.router.URL+path, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b)), resp.Header
}

// query runs an operation as the store's customer.
func (s *store) query(t testing.TB, q string, vars map[string]any) string {
	t.Helper()
	return s.queryAs(t, s.token, q, vars)
}

// queryAs runs an operation with a bearer token ("" for anonymous).
func (s *store) queryAs(t testing.TB, token, q string, vars map[string]any) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	h := map[string]string{}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	_, got, _ := s.post(t, string(body), h)
	return got
}

const orderQuery = `query{order(id:"o1"){status lines{product{__typename id}}}}`
const productEntities = `query($representations:[_Any!]!){_entities(representations:$representations){...on Product{name}}}`

func TestFederatedQueryMergesInSelectionOrder(t *testing.T) {
	s := newStore(t)
	s.order.responses[`query{order(id:"o1"){lines{product{__typename id} quantity} status}}`] = `{"data":{"order":{"status":"PAID","lines":[
		{"quantity":1,"product":{"__typename":"Product","id":"p1"}},
		{"quantity":2,"product":{"__typename":"Product","id":"p2"}},
		{"quantity":3,"product":{"__typename":"Product","id":"p1"}}]}}}`
	s.product.responses[productEntities] = `{"data":{"_entities":[{"name":"Lamp"},{"name":"Desk"}]}}`
	got := s.query(t, `{ order(id: "o1") { lines { product { name } quantity } status } }`, nil)
	want := `{"data":{"order":{"lines":[{"product":{"name":"Lamp"},"quantity":1},{"product":{"name":"Desk"},"quantity":2},{"product":{"name":"Lamp"},"quantity":3}],"status":"PAID"}}}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// Three lines, two distinct products: one batched request, deduplicated.
	if len(s.product.got) != 1 {
		t.Fatalf("%d product requests, want 1", len(s.product.got))
	}
	reps := s.product.got[0]["variables"].(map[string]any)["representations"].([]any)
	if len(reps) != 2 {
		t.Fatalf("representations %v, want 2 distinct", reps)
	}
}

func TestNullPropagationAndRepathedErrors(t *testing.T) {
	s := newStore(t)
	s.order.responses[orderQuery] = `{"data":{"order":{"status":"PAID","lines":[{"product":{"__typename":"Product","id":"p1"}}]}}}`
	s.product.responses[productEntities] = `{"data":{"_entities":[null]},"errors":[{"message":"product p1 is gone","path":["_entities",0]}]}`
	got := s.query(t, `{ order(id: "o1") { status lines { product { name } } } }`, nil)
	// OrderLine.product is non-null: the null goes up to the nullable list item... which is non-null too, up to order.lines (non-null) and order (nullable).
	if !strings.Contains(got, `"data":{"order":null}`) || !strings.Contains(got, `"message":"product p1 is gone"`) || !strings.Contains(got, `"path":["order","lines",0,"product"]`) {
		t.Fatalf("got %s", got)
	}
}

func TestSubgraphDownGivesPartialData(t *testing.T) {
	s := newStore(t)
	s.productSrv.Close()
	s.order.responses[`query{cart{itemCount}}`] = `{"data":{"cart":{"itemCount":3}}}`
	got := s.query(t, `{ cart { itemCount } product(sku: "X") { name } }`, nil)
	if !strings.Contains(got, `"cart":{"itemCount":3}`) || !strings.Contains(got, `"SUBREQUEST_HTTP_ERROR"`) || !strings.Contains(got, `"product":null`) {
		t.Fatalf("got %s", got)
	}
	// How it failed, but nothing of the network behind the router.
	host := strings.TrimPrefix(s.productSrv.URL, "http://")
	if !strings.Contains(got, `"reason":"connection refused"`) || strings.Contains(got, host) || strings.Contains(got, "127.0.0.1") {
		t.Fatalf("the error leaks the subgraph's address or lacks the reason: %s", got)
	}
}

func TestRequestErrors(t *testing.T) {
	s := newStore(t)
	for q, code := range map[string]string{
		`{ nope }`:      "GRAPHQL_VALIDATION_FAILED",
		`{ products { `: "GRAPHQL_PARSE_FAILED",
		`{ _entities(representations: []) { __typename } }`:      "GRAPHQL_VALIDATION_FAILED",
		`query($n: Int!) { products(first: $n) { totalCount } }`: "BAD_USER_INPUT",
	} {
		if got := s.query(t, q, nil); !strings.Contains(got, `"code":"`+code+`"`) {
			t.Errorf("%s: got %s, want %s", q, got, code)
		}
	}
}

func TestIntrospectionShowsOnlyThePublicSchema(t *testing.T) {
	s := newStore(t)
	got := s.query(t, `{ __schema { queryType { name } types { name } } __type(name: "Order") { fields { name } } }`, nil)
	for _, want := range []string{`"queryType":{"name":"Query"}`, `{"name":"Product"}`, `{"name":"history"}`} {
		if !strings.Contains(got, want) {
			t.Errorf("introspection lacks %s", want)
		}
	}
	for _, hidden := range []string{"join__", "_Entity", "_Any", "link__"} {
		if strings.Contains(got, hidden) {
			t.Errorf("introspection shows %s", hidden)
		}
	}
}

func TestTypenameAndVariables(t *testing.T) {
	s := newStore(t)
	s.product.responses[`query($n:Int){products(first:$n){__typename totalCount}}`] = `{"data":{"products":{"totalCount":68}}}`
	got := s.query(t, `query($n: Int) { __typename products(first: $n) { __typename totalCount } }`, map[string]any{"n": 3})
	if got != `{"data":{"__typename":"Query","products":{"__typename":"ProductConnection","totalCount":68}}}` {
		t.Fatalf("got %s", got)
	}
	if v := s.product.got[0]["variables"].(map[string]any)["n"]; v != 3.0 {
		t.Fatalf("variable n = %v", v)
	}
}

// BenchmarkFederatedQuery measures the router's own cost for a query over
// two subgraphs (one root fetch, one batched entity fetch) against
// in-process subgraphs answering instantly: parse/validate (cached), plan
// (cached), two subgraph round trips on loopback, merge and completion.
func BenchmarkFederatedQuery(b *testing.B) {
	s := newStore(b)
	s.order.responses[`query{order(id:"o1"){status lines{quantity product{__typename id}}}}`] = `{"data":{"order":{"status":"PAID","lines":[{"quantity":1,"product":{"__typename":"Product","id":"p1"}},{"quantity":2,"product":{"__typename":"Product","id":"p2"}}]}}}`
	s.product.responses[`query($representations:[_Any!]!){_entities(representations:$representations){...on Product{name sku}}}`] = `{"data":{"_entities":[{"name":"Lamp","sku":"L-1"},{"name":"Desk","sku":"D-1"}]}}`
	body := []byte(`{"query":"{ order(id: \"o1\") { status lines { quantity product { name sku } } } }"}`)
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, s.router.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+s.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func TestIdenticalConcurrentQueriesShareOneSubgraphRequest(t *testing.T) {
	s := newStore(t)
	s.order.delay = 200 * time.Millisecond
	s.order.responses[`query{cart{itemCount}}`] = `{"data":{"cart":{"itemCount":1}}}`
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			if got := s.query(t, `{ cart { itemCount } }`, nil); got != `{"data":{"cart":{"itemCount":1}}}` {
				t.Errorf("got %s", got)
			}
		})
	}
	wg.Wait()
	if n := len(s.order.got); n != 1 {
		t.Fatalf("the order subgraph got %d requests for 5 identical concurrent queries, want 1", n)
	}
	// Mutations are never deduplicated.
	s.order.delay = 50 * time.Millisecond
	s.order.responses[`mutation{clearCart{cart{itemCount}}}`] = `{"data":{"clearCart":{"cart":{"itemCount":0}}}}`
	before := len(s.order.got)
	for range 3 {
		wg.Go(func() { s.query(t, `mutation { clearCart { cart { itemCount } } }`, nil) })
	}
	wg.Wait()
	if n := len(s.order.got) - before; n != 3 {
		t.Fatalf("%d mutation requests for 3 mutations", n)
	}
}

func TestInboundDeduplication(t *testing.T) {
	s := newStore(t)
	s.order.delay = 200 * time.Millisecond
	s.order.responses[`query{cart{itemCount}}`] = `{"data":{"cart":{"itemCount":7}}}`
	// The store's gateway is built without inbound dedup; a second one with it.
	s.gateway.GraphQL.DedupInbound = true
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if got := s.query(t, `{ cart { itemCount } }`, nil); got != `{"data":{"cart":{"itemCount":7}}}` {
				t.Errorf("got %s", got)
			}
		})
	}
	wg.Wait()
	if n := len(s.order.got); n != 1 {
		t.Fatalf("%d subgraph requests for 4 identical inbound queries", n)
	}
}

func TestMutationsOverGETAreRefusedBeforeRunning(t *testing.T) {
	s := newStore(t)
	for _, q := range []string{`mutation { clearCart { cart { itemCount } } }`, `  mutation M { clearCart { cart { itemCount } } }`, `# comment
mutation { clearCart { cart { itemCount } } }`} {
		resp, err := http.Get(s.router.URL + "/graphql?query=" + url.QueryEscape(q))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `"code":"BAD_REQUEST"`) {
			t.Errorf("%q over GET: %s", q, b)
		}
	}
	if len(s.order.got) != 0 {
		t.Fatalf("a mutation sent over GET reached the subgraph %d times", len(s.order.got))
	}
	s.product.responses[`query{product(sku:"X"){name}}`] = `{"data":{"product":{"name":"Lamp"}}}`
	resp, err := http.Get(s.router.URL + "/graphql?query=" + url.QueryEscape(`{ product(sku: "X") { name } }`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(b)) != `{"data":{"product":{"name":"Lamp"}}}` {
		t.Fatalf("query over GET: %s", b)
	}
}
