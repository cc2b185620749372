package product_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/virtual-store/virtual-store/graph"
	"github.com/virtual-store/virtual-store/internal/errcode"
)

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
		{"too deep", "{ categories { " + children(graph.DefaultMaxDepth-1) + " } }", nil, errcode.TooDeep},
		{"too many aliases", "{" + aliased(graph.DefaultMaxAliases+1) + " }", nil, errcode.TooManyAliases},
		// 1 + 100 × (1 + 1 + (1 + 100 × 1)): gqlgen alone counted 5.
		{"nested list sizes", `{ products(first: 100) { edges { node { priceHistory(first: 100) { currency } } } } }`, nil, errcode.TooCostly},
		// Each representation costs its selection: 1 + 2,000 × 3 (the
		// test's limit is 5,000); one field each fits.
		{"many representations", `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id sku name } } }`, reps(2000), errcode.TooCostly},
		{"many representations, one field", `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id } } }`, reps(2000), ""},
	} {
		r := anon.Do(t, tt.query, tt.vars)
		answer := r.Raw
		switch {
		case tt.code == "" && (len(r.Errors) > 0 || r.Data == nil):
			t.Errorf("%s: refused: %.300s", tt.name, answer)
		case tt.code != "" && (len(r.Errors) != 1 || r.Codes()[0] != tt.code):
			t.Errorf("%s: %.300s, want %s", tt.name, answer, tt.code)
		}
	}

	r := anon.DoRaw(t, io.MultiReader(strings.NewReader(`{"query":"{ categories { id } }`+strings.Repeat(" ", graph.DefaultMaxBodyBytes)+`"}`)))
	if r.Status != http.StatusRequestEntityTooLarge || len(r.Errors) != 1 || r.Codes()[0] != errcode.RequestTooLarge {
		t.Errorf("a body over %d bytes: %d %v", graph.DefaultMaxBodyBytes, r.Status, r.Codes())
	}
	r = anon.DoRaw(t, strings.NewReader(`{"query": {"s3cr3t": 1}}`))
	if r.Status != http.StatusBadRequest || len(r.Errors) != 1 || r.Codes()[0] != errcode.BadRequest || strings.Contains(string(r.Raw), "s3cr3t") {
		t.Errorf("an undecodable body: %d %s", r.Status, r.Raw)
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
