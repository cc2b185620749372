package graph_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/graph/internal/graphtest"
	"github.com/virtual-store/virtual-store/internal/errcode"
	"github.com/virtual-store/virtual-store/internal/gqltest"
	"github.com/virtual-store/virtual-store/router/config"
)

// serveWith serves the test schema with cfg (a quiet logger and a fresh
// registry unless it has its own) and returns a client of it.
func serveWith(t *testing.T, cfg graph.HandlerConfig) gqltest.Client {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = gqltest.Quiet()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	srv := httptest.NewServer(graph.NewHandler(graphtest.NewExecutableSchema(graphtest.Config{Resolvers: graphtest.Resolver{}}), cfg))
	t.Cleanup(srv.Close)
	return gqltest.Client{URL: srv.URL}
}

// refusal is a request answered before it ran: its status and its one code.
func refusal(t *testing.T, r gqltest.Response) (int, string, string) {
	t.Helper()
	if len(r.Errors) != 1 {
		t.Fatalf("status %d, body %s: want one GraphQL error", r.Status, r.Raw)
	}
	return r.Status, r.Codes()[0], string(r.Raw)
}

// The defaults let through whatever the router's defaults do (the codes are
// the router's by construction: both use internal/errcode).
func TestLimitsMatchTheRouters(t *testing.T) {
	router := config.Default().Limits
	if graph.DefaultMaxDepth < router.MaxDepth || graph.DefaultMaxAliases < router.MaxAliases {
		t.Errorf("defaults depth %d, aliases %d; the router's %d, %d", graph.DefaultMaxDepth, graph.DefaultMaxAliases, router.MaxDepth, router.MaxAliases)
	}
}

func TestBodyOverTheCapIsRefusedWith413(t *testing.T) {
	const max = 4 << 10
	c := serveWith(t, graph.HandlerConfig{Limits: graph.Limits{MaxBodyBytes: max}})
	query := func(n int) string { // a valid request of about n bytes
		return `{"query":"{ when }` + strings.Repeat(" ", n-20) + `"}`
	}
	if r := c.Do(t, `{ when }`+strings.Repeat(" ", max-100), nil); len(r.Errors) > 0 || r.Data["when"] == nil {
		t.Fatalf("a body under the cap: %+v", r)
	}
	// Announced by Content-Length, or found while reading a chunked body.
	for _, chunked := range []bool{false, true} {
		var body io.Reader = strings.NewReader(query(max + 1))
		if chunked {
			body = io.MultiReader(body) // hides the length: sent chunked
		}
		if status, code, _ := refusal(t, c.DoRaw(t, body)); status != http.StatusRequestEntityTooLarge || code != errcode.RequestTooLarge {
			t.Errorf("chunked %v: %d %s, want 413 %s", chunked, status, code, errcode.RequestTooLarge)
		}
	}
	// Without a configured cap the default holds.
	c = serveWith(t, graph.HandlerConfig{})
	if status, code, _ := refusal(t, c.DoRaw(t, io.MultiReader(strings.NewReader(query(graph.DefaultMaxBodyBytes+1))))); status != http.StatusRequestEntityTooLarge || code != errcode.RequestTooLarge {
		t.Errorf("default cap: %d %s", status, code)
	}
}

// gqlgen's POST transport answers a body it cannot decode with the
// decoder's error and the whole body quoted back (here, building that
// answer outside an operation even panicked: a stack in the log and an
// INTERNAL_SERVER_ERROR for a client's mistake).
func TestUndecodableBodyIsRefusedWithoutEcho(t *testing.T) {
	var logs bytes.Buffer
	c := serveWith(t, graph.HandlerConfig{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for _, body := range []string{
		`not json, token=s3cr3t`,
		`{"query": 1, "note": "s3cr3t"}`,
		`{"query": "{ when }", "variables": "s3cr3t"}`,
		`{"query": "{ when }", "extensions": ["s3cr3t"]}`,
	} {
		status, code, answer := refusal(t, c.DoRaw(t, strings.NewReader(body)))
		if status != http.StatusBadRequest || code != errcode.BadRequest || strings.Contains(answer, "s3cr3t") {
			t.Errorf("%s: %d %s %s; want 400 %s and no echo", body, status, code, answer, errcode.BadRequest)
		}
	}
	if strings.Contains(logs.String(), "s3cr3t") {
		t.Errorf("the body was logged: %s", logs.String())
	}
}

// nested is `{ items(first: 1) { children(first: 1) { ... { id } } } }`, depth levels deep.
func nested(depth int) string {
	return "{ items(first: 1) {" + strings.Repeat(" children(first: 1) {", depth-2) + " id" + strings.Repeat(" }", depth-1) + " }"
}

func TestDepthLimit(t *testing.T) {
	c := serveWith(t, graph.HandlerConfig{})
	if r := c.Do(t, nested(graph.DefaultMaxDepth), nil); len(r.Errors) > 0 {
		t.Fatalf("depth %d: %+v", graph.DefaultMaxDepth, r.Errors)
	}
	fragments := `{ items(first: 1) { ...A } } fragment A on Item { children(first: 1) { ... on Item { ...B } } }
		fragment B on Item { children(first: 1) {` + strings.Repeat(" children(first: 1) {", graph.DefaultMaxDepth-3) + " id" + strings.Repeat(" }", graph.DefaultMaxDepth-2) + " }"
	for name, q := range map[string]string{"fields": nested(graph.DefaultMaxDepth + 1), "through fragments": fragments} {
		if r := c.Do(t, q, nil); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.TooDeep {
			t.Errorf("%s, depth %d: %+v, want %s", name, graph.DefaultMaxDepth+1, r.Errors, errcode.TooDeep)
		}
	}
	// Introspection is answered from the schema and not counted (GraphiQL's
	// type references nest deeply).
	deep := "{ __schema { types { fields { type" + strings.Repeat(" { ofType", graph.DefaultMaxDepth) + " { name }" + strings.Repeat(" }", graph.DefaultMaxDepth+4)
	if r := c.Do(t, deep, nil); len(r.Errors) > 0 {
		t.Errorf("introspection: %+v", r.Errors)
	}
	c = serveWith(t, graph.HandlerConfig{Limits: graph.Limits{MaxDepth: 3}})
	if r := c.Do(t, nested(4), nil); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.TooDeep {
		t.Errorf("configured depth 3: %+v", r.Errors)
	}
}

func TestAliasLimit(t *testing.T) {
	c := serveWith(t, graph.HandlerConfig{})
	aliases := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, " a%d: when", i)
		}
		return b.String()
	}
	if r := c.Do(t, "{"+aliases(graph.DefaultMaxAliases)+" }", nil); len(r.Errors) > 0 {
		t.Fatalf("%d aliases: %+v", graph.DefaultMaxAliases, r.Errors)
	}
	half := graph.DefaultMaxAliases/2 + 1
	for name, q := range map[string]string{
		"fields": "{" + aliases(graph.DefaultMaxAliases+1) + " }",
		// A fragment's aliases count at each spread.
		"through fragments": "{ ...F ... on Query { ...F } } fragment F on Query {" + aliases(half) + " }",
	} {
		if r := c.Do(t, q, nil); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.TooManyAliases {
			t.Errorf("%s: %+v, want %s", name, r.Errors, errcode.TooManyAliases)
		}
	}
}

// A fragment bomb (each fragment spreading the next ten times) expands to
// 10^6 fields from a few hundred bytes; it is refused without being expanded.
func TestFragmentBombIsRefusedUnexpanded(t *testing.T) {
	c := serveWith(t, graph.HandlerConfig{ComplexityLimit: 1000})
	q := "{ ...F0 }"
	for i := range 6 {
		q += fmt.Sprintf(" fragment F%d on Query {%s }", i, strings.Repeat(fmt.Sprintf(" ...F%d", i+1), 10))
	}
	q += " fragment F6 on Query { when }"
	start := time.Now()
	r := c.Do(t, q, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.TooCostly {
		t.Fatalf("errors %+v, want %s", r.Errors, errcode.TooCostly)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("refusing took %v", d)
	}
}

// Fragment cycles and long fragment chains are refused before gqlgen
// validates them: a chain of 3,000 fragments costs a validator 4.5 million
// fields' walking (seconds of CPU and a gigabyte at the router).
func TestFragmentChainsAndCyclesAreRefusedBeforeValidation(t *testing.T) {
	c := serveWith(t, graph.HandlerConfig{})
	var chain strings.Builder
	chain.WriteString("{ ...F0 }")
	for i := range 3000 {
		fmt.Fprintf(&chain, " fragment F%d on Query { when ...F%d }", i, i+1)
	}
	chain.WriteString(" fragment F3000 on Query { when }")
	for name, tc := range map[string]struct{ query, code string }{
		"chain": {chain.String(), errcode.TooCostly},
		"cycle": {`{ ...A } fragment A on Query { when ...B } fragment B on Query { ...A }`, "GRAPHQL_VALIDATION_FAILED"},
	} {
		r := c.Do(t, tc.query, nil)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != tc.code {
			t.Errorf("%s: errors %+v, want %s", name, r.Errors, tc.code)
		}
	}
	if r := c.Do(t, `{ ...A } fragment A on Query { when ...B } fragment B on Query { when }`, nil); len(r.Errors) != 0 {
		t.Errorf("ordinary fragments: %+v", r.Errors)
	}
}

// The cost counts a list's selection once per item its size argument asks
// for, as the router's does; gqlgen's default counted it once.
func TestCostCountsListSizes(t *testing.T) {
	c, _, _ := serve(t) // ComplexityLimit 50
	for q, refused := range map[string]bool{
		`{ items(first: 5) { children(first: 5) { id } } }`:   false, // 1 + 5 × (1 + 5 × 1) = 31
		`{ items { children { id } } }`:                       false, // the defaults, 10 and 2: 31
		`{ items { children(first: 5) { id } } }`:             true,  // 61
		`{ items(first: 10) { children(first: 10) { id } } }`: true,  // 111
		`{ items(first: 60) { id } }`:                         true,  // 61
		`{ items(first: 0) { children(first: 99) { id } } }`:  false, // 1
	} {
		r := c.Do(t, q, nil)
		if got := len(r.Errors) == 1 && r.Errors[0].Extensions["code"] == errcode.TooCostly; got != refused {
			t.Errorf("%s: errors %+v, refused %v, want %v", q, r.Errors, got, refused)
		}
	}
	// Sizes given in variables count the same.
	if _, code, _ := refusal(t, c.Do(t, `query($n: Int) { items(first: $n) { id } }`, map[string]any{"n": 100})); code != errcode.TooCostly {
		t.Errorf("first: $n = 100: %s, want %s", code, errcode.TooCostly)
	}
}
