package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/internal/metricstest"
	"github.com/virtual-store/virtual-store/router/authn"
	"github.com/virtual-store/virtual-store/router/config"
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
	// stream answers subscriptions (requests for text/event-stream).
	stream func(w http.ResponseWriter, r *http.Request)
}

func (f *fakeSubgraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.stream != nil && strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		f.stream(w, r)
		return
	}
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
	server               *server.Server
	router               *httptest.Server
	user, product, order *fakeSubgraph
	productSrv           *httptest.Server
	issuer               *testjwt.Issuer
	verifier             *authn.Verifier
	// token is a customer's access token: s.as(s.token).
	token string
	// sdl is the supergraph served (over the fake subgraphs).
	sdl string
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
	s.sdl, s.verifier = sdl, verifier
	s.server, s.router = serve(t, sdl, cfg, server.Deps{Authenticator: verifier})
	s.token = s.issuer.Token(t, "dana", customerScopes, nil)
	return s
}

// serve serves sdl (as the supergraph file of cfg) through a router that
// server.New builds from cfg and deps (quiet log and a fresh registry
// filled in) and server.Load loads, as cmd/router runs it; the public port
// is an httptest server.
func serve(t testing.TB, sdl string, cfg config.Config, deps server.Deps) (*server.Server, *httptest.Server) {
	t.Helper()
	deps.Log = gqltest.Quiet()
	deps.Registry = prometheus.NewRegistry()
	cfg.Supergraph = filepath.Join(t.TempDir(), "supergraph.graphql")
	if err := os.WriteFile(cfg.Supergraph, []byte(sdl), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.SubgraphTimeout = 5 * time.Second
	srv, err := server.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	public := httptest.NewServer(srv.Handler())
	t.Cleanup(public.Close)
	return srv, public
}

// anon is a client of the router's GraphQL endpoint that sends no
// credentials. It follows s.router, which a test may replace.
func (s *store) anon() gqltest.Client { return gqltest.Client{URL: s.router.URL + "/graphql"} }

// as is anon sending token as a bearer token; s.as(s.token) is the store's
// customer.
func (s *store) as(token string) gqltest.Client {
	return s.anon().With("Authorization", "Bearer "+token)
}

// send sends method path (with its query string) to the router with c's
// headers. The answer need not be GraphQL: a page, a 404, a preflight's.
func (s *store) send(t testing.TB, c gqltest.Client, method, path string) gqltest.Response {
	t.Helper()
	req, err := http.NewRequest(method, s.router.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Send(req)
	if err != nil && !errors.Is(err, gqltest.ErrNotGraphQL) {
		t.Fatal(err)
	}
	return r
}

// text is an answer's body as the router wrote it, less the newline that
// ends it: what the tests compare.
func text(r gqltest.Response) string { return strings.TrimSpace(string(r.Raw)) }

const orderQuery = `query{order(id:"o1"){status lines{product{__typename id}}}}`
const productEntities = `query($representations:[_Any!]!){_entities(representations:$representations){...on Product{name}}}`

func TestFederatedQueryMergesInSelectionOrder(t *testing.T) {
	s := newStore(t)
	s.order.responses[`query{order(id:"o1"){lines{product{__typename id} quantity} status}}`] = `{"data":{"order":{"status":"PAID","lines":[
		{"quantity":1,"product":{"__typename":"Product","id":"p1"}},
		{"quantity":2,"product":{"__typename":"Product","id":"p2"}},
		{"quantity":3,"product":{"__typename":"Product","id":"p1"}}]}}}`
	s.product.responses[productEntities] = `{"data":{"_entities":[{"name":"Lamp"},{"name":"Desk"}]}}`
	got := text(s.as(s.token).Do(t, `{ order(id: "o1") { lines { product { name } quantity } status } }`, nil))
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
	got := text(s.as(s.token).Do(t, `{ order(id: "o1") { status lines { product { name } } } }`, nil))
	// OrderLine.product is non-null: the null goes up to the nullable list item... which is non-null too, up to order.lines (non-null) and order (nullable).
	if !strings.Contains(got, `"data":{"order":null}`) || !strings.Contains(got, `"message":"product p1 is gone"`) || !strings.Contains(got, `"path":["order","lines",0,"product"]`) {
		t.Fatalf("got %s", got)
	}
}

func TestSubgraphDownGivesPartialData(t *testing.T) {
	s := newStore(t)
	s.productSrv.Close()
	s.order.responses[`query{cart{itemCount}}`] = `{"data":{"cart":{"itemCount":3}}}`
	got := text(s.as(s.token).Do(t, `{ cart { itemCount } product(sku: "X") { name } }`, nil))
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
		if got := text(s.as(s.token).Do(t, q, nil)); !strings.Contains(got, `"code":"`+code+`"`) {
			t.Errorf("%s: got %s, want %s", q, got, code)
		}
	}
}

func TestIntrospectionShowsOnlyThePublicSchema(t *testing.T) {
	s := newStore(t)
	got := text(s.as(s.token).Do(t, `{ __schema { queryType { name } types { name } } __type(name: "Order") { fields { name } } }`, nil))
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
	got := text(s.as(s.token).Do(t, `query($n: Int) { __typename products(first: $n) { __typename totalCount } }`, map[string]any{"n": 3}))
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
	// Plain net/http rather than gqltest: decoding each answer would count
	// as the router's cost.
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
			r, err := s.as(s.token).Post(context.Background(), `{ cart { itemCount } }`, nil)
			if got := text(r); err != nil || got != `{"data":{"cart":{"itemCount":1}}}` {
				t.Errorf("got %s (%v)", got, err)
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
		wg.Go(func() {
			if _, err := s.as(s.token).Post(context.Background(), `mutation { clearCart { cart { itemCount } } }`, nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(s.order.got) - before; n != 3 {
		t.Fatalf("%d mutation requests for 3 mutations", n)
	}
}

// Inbound dedup decides by the parsed operation type (this document starts
// with a comment and a fragment, as the gateway benchmark's does), shares
// one execution and its encoded answer among identical queries of the same
// caller, never across callers, and the execution outlives the client that
// started it.
func TestInboundDeduplication(t *testing.T) {
	s := newStore(t, func(c *config.Config) { c.DedupInbound = true })
	s.order.delay = 300 * time.Millisecond
	s.order.responses[`query{cart{itemCount}}`] = `{"data":{"cart":{"itemCount":7}}}`
	const doc = "# the cart badge\nfragment Badge on Cart { itemCount }\n{ cart { ...Badge } }"
	const want = `{"data":{"cart":{"itemCount":7}}}`
	other := s.issuer.Token(t, "erin", customerScopes, nil)

	// The first client leaves early: the execution it started goes on.
	leaver, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, err := s.as(s.token).Post(leaver, doc, nil); err == nil {
			t.Error("the client that left got an answer")
		}
	})
	time.Sleep(20 * time.Millisecond) // the leaver's execution is under way
	for _, token := range []string{s.token, s.token, s.token, other} {
		wg.Go(func() {
			r, err := s.as(token).Post(context.Background(), doc, nil)
			if got := text(r); err != nil || got != want {
				t.Errorf("got %s (%v)", got, err)
			}
		})
	}
	wg.Wait()
	admin := httptest.NewServer(s.server.Admin())
	defer admin.Close()
	// Three of dana's four queries were answered by the leaver's execution;
	// erin's ran on its own (its subgraph request may still share a round
	// trip below, by its own identity).
	if n := metricstest.Scrape(t, admin.URL+"/metrics").Sum("router_inbound_dedup_shared_total"); n != 3 {
		t.Fatalf("%v queries answered by a shared execution, want 3", n)
	}
}

func TestMutationsOverGETAreRefusedBeforeRunning(t *testing.T) {
	s := newStore(t)
	for _, q := range []string{`mutation { clearCart { cart { itemCount } } }`, `  mutation M { clearCart { cart { itemCount } } }`, `# comment
mutation { clearCart { cart { itemCount } } }`} {
		if got := text(s.send(t, s.anon(), http.MethodGet, "/graphql?query="+url.QueryEscape(q))); !strings.Contains(got, `"code":"BAD_REQUEST"`) {
			t.Errorf("%q over GET: %s", q, got)
		}
	}
	if len(s.order.got) != 0 {
		t.Fatalf("a mutation sent over GET reached the subgraph %d times", len(s.order.got))
	}
	s.product.responses[`query{product(sku:"X"){name}}`] = `{"data":{"product":{"name":"Lamp"}}}`
	if got := text(s.send(t, s.anon(), http.MethodGet, "/graphql?query="+url.QueryEscape(`{ product(sku: "X") { name } }`))); got != `{"data":{"product":{"name":"Lamp"}}}` {
		t.Fatalf("query over GET: %s", got)
	}
}
