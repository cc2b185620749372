package product_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/graph"
)

// post sends body to GraphQL as the router and returns the status and the
// answer.
func post(t *testing.T, body io.Reader) (int, gqlResponse, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", body)
	req.Header.Set("Content-Type", "application/json")
	resp, err := router.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out gqlResponse
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out, string(b)
}

// A caller that reaches the subgraph without the router meets the router's
// limits, with the router's codes.
func TestSubgraphRefusesWhatTheRouterWould(t *testing.T) {
	children := func(n int) string { // `children { ... { id } }`, n levels
		return strings.Repeat("children { ", n) + "id" + strings.Repeat(" }", n)
	}
	for _, tt := range []struct {
		name  string
		query string
		vars  map[string]any
		code  string // "" = answered
	}{
		// The deepest operation the router lets through (max_depth 12), as
		// it sends it: at the root, or below `_entities` and a fragment.
		{"router's deepest", "{ categories { " + children(10) + " } }", nil, ""},
		{"router's deepest entity fetch", `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { category { ` + children(9) + ` } } } }`,
			map[string]any{"r": []any{map[string]any{"__typename": "Product", "id": uuid.NewString()}}}, ""},
		{"too deep", "{ categories { " + children(graph.DefaultMaxDepth-1) + " } }", nil, graph.CodeTooDeep},
		{"too many aliases", "{" + aliased(graph.DefaultMaxAliases+1) + " }", nil, graph.CodeTooManyAliases},
		// 1 + 100 × (1 + 1 + (1 + 100 × 1)): gqlgen alone counted 5.
		{"nested list sizes", `{ products(first: 100) { edges { node { priceHistory(first: 100) { currency } } } } }`, nil, graph.CodeTooCostly},
		// Each representation costs its selection: 1 + 2,000 × 3 (the
		// test's limit is 5,000); one field each fits.
		{"many representations", `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id sku name } } }`, reps(2000), graph.CodeTooCostly},
		{"many representations, one field", `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id } } }`, reps(2000), ""},
	} {
		body, _ := json.Marshal(map[string]any{"query": tt.query, "variables": tt.vars})
		_, r, answer := post(t, bytes.NewReader(body))
		switch {
		case tt.code == "" && (len(r.Errors) > 0 || r.Data == nil):
			t.Errorf("%s: refused: %.300s", tt.name, answer)
		case tt.code != "" && (len(r.Errors) != 1 || r.codes()[0] != tt.code):
			t.Errorf("%s: %.300s, want %s", tt.name, answer, tt.code)
		}
	}

	status, r, _ := post(t, io.MultiReader(strings.NewReader(`{"query":"{ categories { id } }`+strings.Repeat(" ", graph.DefaultMaxBodyBytes)+`"}`)))
	if status != http.StatusRequestEntityTooLarge || len(r.Errors) != 1 || r.codes()[0] != graph.CodeRequestTooLarge {
		t.Errorf("a body over %d bytes: %d %v", graph.DefaultMaxBodyBytes, status, r.codes())
	}
	status, r, answer := post(t, strings.NewReader(`{"query": {"s3cr3t": 1}}`))
	if status != http.StatusBadRequest || len(r.Errors) != 1 || r.codes()[0] != graph.CodeBadRequest || strings.Contains(answer, "s3cr3t") {
		t.Errorf("an undecodable body: %d %s", status, answer)
	}
}

func aliased(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, " c%d: categories { id }", i)
	}
	return b.String()
}

func reps(n int) map[string]any {
	r := make([]any, n)
	for i := range r {
		r[i] = map[string]any{"__typename": "Product", "id": uuid.NewString()}
	}
	return map[string]any{"r": r}
}
