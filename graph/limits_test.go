package graph_test

import (
	"bytes"
	"encoding/json"
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
	"github.com/virtual-store/virtual-store/router/config"
	"github.com/virtual-store/virtual-store/router/limits"
)

// serveWith serves the test schema with cfg (logger and registry filled in).
func serveWith(t *testing.T, cfg graph.HandlerConfig) *httptest.Server {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg.Registry = prometheus.NewRegistry()
	srv := httptest.NewServer(graph.NewHandler(graphtest.NewExecutableSchema(graphtest.Config{Resolvers: graphtest.Resolver{}}), cfg))
	t.Cleanup(srv.Close)
	return srv
}

// refusal is a request answered before it ran: its status and its one code.
func refusal(t *testing.T, resp *http.Response) (int, string, string) {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r response
	if err := json.Unmarshal(b, &r); err != nil || len(r.Errors) != 1 {
		t.Fatalf("status %d, body %s: want one GraphQL error", resp.StatusCode, b)
	}
	code, _ := r.Errors[0].Extensions["code"].(string)
	return resp.StatusCode, code, string(b)
}

// The same refusals carry the router's codes, and the defaults let through
// whatever the router's defaults do.
func TestLimitsMatchTheRouters(t *testing.T) {
	for ours, routers := range map[string]string{
		graph.CodeTooDeep:        limits.CodeTooDeep,
		graph.CodeTooManyAliases: limits.CodeTooManyAliases,
		graph.CodeTooCostly:      limits.CodeTooCostly,
	} {
		if ours != routers {
			t.Errorf("code %s, the router's %s", ours, routers)
		}
	}
	router := config.Default().Limits
	if graph.DefaultMaxDepth < router.MaxDepth || graph.DefaultMaxAliases < router.MaxAliases {
		t.Errorf("defaults depth %d, aliases %d; the router's %d, %d", graph.DefaultMaxDepth, graph.DefaultMaxAliases, router.MaxDepth, router.MaxAliases)
	}
}

func TestBodyOverTheCapIsRefusedWith413(t *testing.T) {
	const max = 4 << 10
	srv := serveWith(t, graph.HandlerConfig{Limits: graph.Limits{MaxBodyBytes: max}})
	query := func(n int) string { // a valid request of about n bytes
		return `{"query":"{ when }` + strings.Repeat(" ", n-20) + `"}`
	}
	if r := post(t, srv.URL, `{ when }`+strings.Repeat(" ", max-100)); len(r.Errors) > 0 || r.Data["when"] == nil {
		t.Fatalf("a body under the cap: %+v", r)
	}
	// Announced by Content-Length, or found while reading a chunked body.
	for _, chunked := range []bool{false, true} {
		var body io.Reader = strings.NewReader(query(max + 1))
		if chunked {
			body = io.MultiReader(body) // hides the length: sent chunked
		}
		resp, err := http.Post(srv.URL, "application/json", body)
		if err != nil {
			t.Fatal(err)
		}
		if status, code, _ := refusal(t, resp); status != http.StatusRequestEntityTooLarge || code != graph.CodeRequestTooLarge {
			t.Errorf("chunked %v: %d %s, want 413 %s", chunked, status, code, graph.CodeRequestTooLarge)
		}
	}
	// Without a configured cap the default holds.
	srv = serveWith(t, graph.HandlerConfig{})
	resp, err := http.Post(srv.URL, "application/json", io.MultiReader(strings.NewReader(query(graph.DefaultMaxBodyBytes+1))))
	if err != nil {
		t.Fatal(err)
	}
	if status, code, _ := refusal(t, resp); status != http.StatusRequestEntityTooLarge || code != graph.CodeRequestTooLarge {
		t.Errorf("default cap: %d %s", status, code)
	}
}

// gqlgen's POST transport answers a body it cannot decode with the
// decoder's error and the whole body quoted back (here, building that
// answer outside an operation even panicked: a stack in the log and an
// INTERNAL_SERVER_ERROR for a client's mistake).
func TestUndecodableBodyIsRefusedWithoutEcho(t *testing.T) {
	var logs bytes.Buffer
	srv := serveWith(t, graph.HandlerConfig{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for _, body := range []string{
		`not json, token=s3cr3t`,
		`{"query": 1, "note": "s3cr3t"}`,
		`{"query": "{ when }", "variables": "s3cr3t"}`,
		`{"query": "{ when }", "extensions": ["s3cr3t"]}`,
	} {
		resp, err := http.Post(srv.URL, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		status, code, answer := refusal(t, resp)
		if status != http.StatusBadRequest || code != graph.CodeBadRequest || strings.Contains(answer, "s3cr3t") {
			t.Errorf("%s: %d %s %s; want 400 %s and no echo", body, status, code, answer, graph.CodeBadRequest)
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
	srv := serveWith(t, graph.HandlerConfig{})
	if r := post(t, srv.URL, nested(graph.DefaultMaxDepth)); len(r.Errors) > 0 {
		t.Fatalf("depth %d: %+v", graph.DefaultMaxDepth, r.Errors)
	}
	fragments := `{ items(first: 1) { ...A } } fragment A on Item { children(first: 1) { ... on Item { ...B } } }
		fragment B on Item { children(first: 1) {` + strings.Repeat(" children(first: 1) {", graph.DefaultMaxDepth-3) + " id" + strings.Repeat(" }", graph.DefaultMaxDepth-2) + " }"
	for name, q := range map[string]string{"fields": nested(graph.DefaultMaxDepth + 1), "through fragments": fragments} {
		if r := post(t, srv.URL, q); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != graph.CodeTooDeep {
			t.Errorf("%s, depth %d: %+v, want %s", name, graph.DefaultMaxDepth+1, r.Errors, graph.CodeTooDeep)
		}
	}
	// Introspection is answered from the schema and not counted (GraphiQL's
	// type references nest deeply).
	deep := "{ __schema { types { fields { type" + strings.Repeat(" { ofType", graph.DefaultMaxDepth) + " { name }" + strings.Repeat(" }", graph.DefaultMaxDepth+4)
	if r := post(t, srv.URL, deep); len(r.Errors) > 0 {
		t.Errorf("introspection: %+v", r.Errors)
	}
	srv = serveWith(t, graph.HandlerConfig{Limits: graph.Limits{MaxDepth: 3}})
	if r := post(t, srv.URL, nested(4)); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != graph.CodeTooDeep {
		t.Errorf("configured depth 3: %+v", r.Errors)
	}
}

func TestAliasLimit(t *testing.T) {
	srv := serveWith(t, graph.HandlerConfig{})
	aliases := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, " a%d: when", i)
		}
		return b.String()
	}
	if r := post(t, srv.URL, "{"+aliases(graph.DefaultMaxAliases)+" }"); len(r.Errors) > 0 {
		t.Fatalf("%d aliases: %+v", graph.DefaultMaxAliases, r.Errors)
	}
	half := graph.DefaultMaxAliases/2 + 1
	for name, q := range map[string]string{
		"fields": "{" + aliases(graph.DefaultMaxAliases+1) + " }",
		// A fragment's aliases count at each spread.
		"through fragments": "{ ...F ... on Query { ...F } } fragment F on Query {" + aliases(half) + " }",
	} {
		if r := post(t, srv.URL, q); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != graph.CodeTooManyAliases {
			t.Errorf("%s: %+v, want %s", name, r.Errors, graph.CodeTooManyAliases)
		}
	}
}

// A fragment bomb (each fragment spreading the next ten times) expands to
// 10^6 fields from a few hundred bytes; it is refused without being expanded.
func TestFragmentBombIsRefusedUnexpanded(t *testing.T) {
	srv := serveWith(t, graph.HandlerConfig{ComplexityLimit: 1000})
	q := "{ ...F0 }"
	for i := range 6 {
		q += fmt.Sprintf(" fragment F%d on Query {%s }", i, strings.Repeat(fmt.Sprintf(" ...F%d", i+1), 10))
	}
	q += " fragment F6 on Query { when }"
	start := time.Now()
	r := post(t, srv.URL, q)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != graph.CodeTooCostly {
		t.Fatalf("errors %+v, want %s", r.Errors, graph.CodeTooCostly)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("refusing took %v", d)
	}
}

// Fragment cycles and long fragment chains are refused before gqlgen
// validates them: a chain of 3,000 fragments costs a validator 4.5 million
// fields' walking (seconds of CPU and a gigabyte at the router).
func TestFragmentChainsAndCyclesAreRefusedBeforeValidation(t *testing.T) {
	srv := serveWith(t, graph.HandlerConfig{})
	var chain strings.Builder
	chain.WriteString("{ ...F0 }")
	for i := range 3000 {
		fmt.Fprintf(&chain, " fragment F%d on Query { when ...F%d }", i, i+1)
	}
	chain.WriteString(" fragment F3000 on Query { when }")
	for name, c := range map[string]struct{ query, code string }{
		"chain": {chain.String(), graph.CodeTooCostly},
		"cycle": {`{ ...A } fragment A on Query { when ...B } fragment B on Query { ...A }`, "GRAPHQL_VALIDATION_FAILED"},
	} {
		r := post(t, srv.URL, c.query)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != c.code {
			t.Errorf("%s: errors %+v, want %s", name, r.Errors, c.code)
		}
	}
	if r := post(t, srv.URL, `{ ...A } fragment A on Query { when ...B } fragment B on Query { when }`); len(r.Errors) != 0 {
		t.Errorf("ordinary fragments: %+v", r.Errors)
	}
}

// The cost counts a list's selection once per item its size argument asks
// for, as the router's does; gqlgen's default counted it once.
func TestCostCountsListSizes(t *testing.T) {
	srv, _, _ := serve(t) // ComplexityLimit 50
	for q, refused := range map[string]bool{
		`{ items(first: 5) { children(first: 5) { id } } }`:   false, // 1 + 5 × (1 + 5 × 1) = 31
		`{ items { children { id } } }`:                       false, // the defaults, 10 and 2: 31
		`{ items { children(first: 5) { id } } }`:             true,  // 61
		`{ items(first: 10) { children(first: 10) { id } } }`: true,  // 111
		`{ items(first: 60) { id } }`:                         true,  // 61
		`{ items(first: 0) { children(first: 99) { id } } }`:  false, // 1
	} {
		r := post(t, srv.URL, q)
		if got := len(r.Errors) == 1 && r.Errors[0].Extensions["code"] == graph.CodeTooCostly; got != refused {
			t.Errorf("%s: errors %+v, refused %v, want %v", q, r.Errors, got, refused)
		}
	}
	// Sizes given in variables count the same.
	body, _ := json.Marshal(map[string]any{"query": `query($n: Int) { items(first: $n) { id } }`, "variables": map[string]any{"n": 100}})
	resp, err := http.Post(srv.URL, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if _, code, _ := refusal(t, resp); code != graph.CodeTooCostly {
		t.Errorf("first: $n = 100: %s, want %s", code, graph.CodeTooCostly)
	}
}
