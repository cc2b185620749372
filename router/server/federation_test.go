package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virtual-store/virtual-store/router/compose"
	"github.com/virtual-store/virtual-store/router/config"
	"github.com/virtual-store/virtual-store/router/server"
)

const fed25 = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable", "@external", "@requires", "@inaccessible"])
`

// newGraph serves a supergraph composed from sdls (name → SDL) over fake
// subgraphs, through the gateway with default settings; it returns the
// store-like harness and the fakes by name.
func newGraph(t *testing.T, sdls map[string]string) (*store, map[string]*fakeSubgraph) {
	t.Helper()
	fakes := map[string]*fakeSubgraph{}
	var subgraphs []compose.Subgraph
	names := make([]string, 0, len(sdls))
	for n := range sdls {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f := &fakeSubgraph{t: t, responses: map[string]string{}}
		srv := httptest.NewServer(f)
		t.Cleanup(srv.Close)
		fakes[n] = f
		subgraphs = append(subgraphs, compose.Subgraph{Name: n, URL: srv.URL, SDL: sdls[n]})
	}
	return serveComposed(t, subgraphs), fakes
}

// serveComposed serves the composition of subgraphs through a router with
// default settings (no auth, no rate limit) that configure may change.
func serveComposed(t *testing.T, subgraphs []compose.Subgraph, configure ...func(*config.Config)) *store {
	t.Helper()
	sdl, err := compose.Compose(subgraphs)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Auth.JWKSURL, cfg.RateLimit.Enabled, cfg.AccessLog = "", false, false
	for _, c := range configure {
		c(&cfg)
	}
	s := &store{}
	s.server, s.router = serve(t, sdl, cfg, server.Deps{})
	return s
}

func TestObjectsOfInaccessibleTypesAreNull(t *testing.T) {
	s, fakes := newGraph(t, map[string]string{
		"a": fed25 + `type Query { item: Item } interface Item { name: String! }
type Hidden implements Item @inaccessible { name: String! } type Shown implements Item { name: String! }`,
	})
	fakes["a"].responses[`query{item{__typename}}`] = `{"data":{"item":{"__typename":"Hidden"}}}`
	if got := text(s.anon().Do(t, `{ item { __typename } }`, nil)); got != `{"data":{"item":null}}` {
		t.Fatalf("got %s", got)
	}
}

func TestRequiresThroughAFragmentOnTheFieldsInterface(t *testing.T) {
	s, fakes := newGraph(t, map[string]string{
		"a": fed25 + `type Query { thing: Thing } type Thing @key(fields: "id") { id: ID! part: Part }
interface Part { label: String! } type Wheel implements Part @shareable { label: String! }`,
		"b": fed25 + `type Thing @key(fields: "id") { id: ID! part: Part @external
  summary: String! @requires(fields: "part { ... on Part { label } }") }
interface Part { label: String! } type Wheel implements Part @shareable { label: String! }`,
	})
	fakes["a"].responses[`query{thing{__typename id part{__typename ...on Part{label}}}}`] = `{"data":{"thing":{"__typename":"Thing","id":"t1","part":{"__typename":"Wheel","label":"front"}}}}`
	fakes["a"].responses[`query{thing{__typename id part{__typename label}}}`] = `{"data":{"thing":{"__typename":"Thing","id":"t1","part":{"__typename":"Wheel","label":"front"}}}}`
	fakes["b"].responses[`query($representations:[_Any!]!){_entities(representations:$representations){...on Thing{summary}}}`] = `{"data":{"_entities":[{"summary":"ok"}]}}`
	if got := text(s.anon().Do(t, `{ thing { summary } }`, nil)); got != `{"data":{"thing":{"summary":"ok"}}}` {
		t.Fatalf("got %s", got)
	}
	reps := fakes["b"].got[0]["variables"].(map[string]any)["representations"].([]any)
	part, _ := reps[0].(map[string]any)["part"].(map[string]any)
	if part["label"] != "front" {
		t.Fatalf("representation %v lacks part.label", reps[0])
	}
}

// @override moves a field; with a label the router picks per request:
// percent(100) always the new owner, percent(0) never.
func TestOverrideAndProgressiveOverride(t *testing.T) {
	link := `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@override"])
`
	s, fakes := newGraph(t, map[string]string{
		"old": link + `type Query { item: Item } type Item @key(fields: "id") { id: ID! name: String price: Int stock: Int }`,
		"new": link + `type Item @key(fields: "id") { id: ID! name: String @override(from: "old")
  price: Int @override(from: "old", label: "percent(100)") stock: Int @override(from: "old", label: "percent(0)") }`,
	})
	sdl := s.server.Engine().Supergraph.SDL
	if !strings.Contains(sdl, `price: Int @join__field(graph: NEW, override: "old", overrideLabel: "percent(100)") @join__field(graph: OLD, overrideLabel: "percent(100)")`) {
		t.Fatalf("supergraph:\n%s", sdl)
	}
	if !strings.Contains(sdl, `name: String @join__field(graph: NEW, override: "old")`+"\n") {
		t.Fatalf("the overridden graph still resolves name:\n%s", sdl)
	}
	fakes["old"].responses[`query{item{__typename id stock}}`] = `{"data":{"item":{"__typename":"Item","id":"1","stock":7}}}`
	fakes["new"].responses[`query($representations:[_Any!]!){_entities(representations:$representations){...on Item{name price}}}`] = `{"data":{"_entities":[{"name":"New","price":5}]}}`
	for range 5 {
		if got := text(s.anon().Do(t, `{ item { name price stock } }`, nil)); got != `{"data":{"item":{"name":"New","price":5,"stock":7}}}` {
			t.Fatalf("got %s", got)
		}
	}
}

// flaky drops its first n connections without answering (a subgraph
// restarting under a rolling deploy), then answers.
type flaky struct {
	drops    atomic.Int32
	attempts atomic.Int32
	answer   string
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.attempts.Add(1)
	if f.drops.Add(-1) >= 0 {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, f.answer)
}

// A query whose subgraph dropped the connection is sent once more; a
// mutation never is (it may have run).
func TestUnreachableSubgraphQueriesAreRetriedOnce(t *testing.T) {
	f := &flaky{answer: `{"data":{"n":1}}`}
	srv := httptest.NewServer(f)
	defer srv.Close()
	s := serveComposed(t, []compose.Subgraph{{Name: "a", URL: srv.URL, SDL: fed25 + `type Query { n: Int } type Mutation { bump: Int }`}})

	f.drops.Store(1)
	if got := text(s.anon().Do(t, `{ n }`, nil)); got != `{"data":{"n":1}}` || f.attempts.Load() != 2 {
		t.Fatalf("query: %s after %d attempts, want data after 2", got, f.attempts.Load())
	}
	f.drops.Store(1)
	f.attempts.Store(0)
	f.answer = `{"data":{"bump":2}}`
	if got := text(s.anon().Do(t, `mutation { bump }`, nil)); !strings.Contains(got, "SUBREQUEST_HTTP_ERROR") || f.attempts.Load() != 1 {
		t.Fatalf("mutation: %s after %d attempts, want an error after 1", got, f.attempts.Load())
	}
}

// A per-subgraph timeout cuts a slow subgraph short; the others answer.
func TestPerSubgraphTimeout(t *testing.T) {
	slow := &fakeSubgraph{t: t, responses: map[string]string{`query{slow}`: `{"data":{"slow":1}}`}, delay: 500 * time.Millisecond}
	fast := &fakeSubgraph{t: t, responses: map[string]string{`query{fast}`: `{"data":{"fast":2}}`}}
	slowSrv, fastSrv := httptest.NewServer(slow), httptest.NewServer(fast)
	defer slowSrv.Close()
	defer fastSrv.Close()
	s := serveComposed(t, []compose.Subgraph{
		{Name: "slow", URL: slowSrv.URL, SDL: fed25 + `type Query { slow: Int }`},
		{Name: "fast", URL: fastSrv.URL, SDL: fed25 + `type Query { fast: Int }`},
	}, func(c *config.Config) { c.SubgraphTimeouts = map[string]time.Duration{"slow": 50 * time.Millisecond} })
	got := text(s.anon().Do(t, `{ slow fast }`, nil))
	// With the 5 s default the slow subgraph's answer (after 0.5 s) would be here.
	if !strings.Contains(got, `"slow":null`) || !strings.Contains(got, `"fast":2`) {
		t.Fatalf("got %s", got)
	}
}
