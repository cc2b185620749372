package plan_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/virtual-store/virtual-store/router/config"
	"github.com/virtual-store/virtual-store/router/limits"
	"github.com/virtual-store/virtual-store/router/normalize"
	"github.com/virtual-store/virtual-store/router/plan"
	"github.com/virtual-store/virtual-store/router/plan/optimize"
)

// planSeeds are operations and variables of the store's supergraph: the
// shapes clients send (federated joins, fragments, @skip/@include,
// mutations, introspection) and some the router must refuse.
var planSeeds = []struct{ query, vars string }{
	{`{ products(first: 2) { edges { node { name price { formatted } } } } }`, ``},
	{`query($id: ID!) { order(id: $id) { status lines { quantity product { name sku } } } }`, `{"id":"o1"}`},
	{`{ me { name orders(first: 5) { totalCount edges { node { total { formatted } } } } } }`, ``},
	{`{ a: product(sku: "X") { name } cart { itemCount } }`, ``},
	{`{ me { orders { edges { node { lines { product { category { name } } } } } } } }`, ``},
	{`mutation { addToCart(input: {productId: "p"}) { cart { itemCount lines { product { name } } } } }`, ``},
	{`mutation { a: clearCart { cart { itemCount } } b: setPrice(input: {productId: "p", price: {amount: 1, currency: "EUR"}}) { userErrors { code } } }`, ``},
	{`query Q($s: Boolean!, $n: Int) { me @skip(if: $s) { name orders(first: $n) { totalCount } } products(first: $n) { totalCount } }`, `{"s":false,"n":3}`},
	{`query($i: Boolean = true) { me { ...U } } fragment U on User { id name orders @include(if: $i) { edges { node { id } } } }`, `{}`},
	{`query($f: ProductFilter, $c: String) { products(filter: $f, currency: $c, sort: PRICE_ASC) { edges { cursor node { ... on Product { id price(currency: $c) { amount } } } } } }`, `{"f":{"query":"lamp","inStock":true},"c":"USD"}`},
	{`{ categories { name children { slug products(first: 1) { edges { node { name } } } } } __typename }`, ``},
	{`{ __schema { queryType { name } } __type(name: "Product") { fields { name } } }`, ``},
	{`mutation($in: CheckoutInput!) { checkout(input: $in) { order { id user { name } lines { product { name } } } userErrors { code } } }`, `{"in":{"idempotencyKey":"k","paymentToken":"tok_visa","shippingAddress":{"fullName":"A","line1":"B","city":"C","postalCode":"1","country":"DE"}}}`},
	{`{ ...F } fragment F on Query { ...G } fragment G on Query { ...F }`, ``},
	{`{ a { a { a { a { a { a { a { a { a { a { a { a { a } } } } } } } } } } } } }`, ``},
	{`{ products(first: [[[1]]]) { totalCount } }`, ``},
	{`query($n: Int) { products(first: $n) { totalCount } }`, `{"n":1e999}`},
	{`{ nope }`, ``},
	{`{`, `[`},
}

// FuzzPlan feeds operation text and variables through the router's request
// path — source limits, parse, shape limits, validation, variable coercion,
// cost, normalization, planning, optimization — against the store's real
// composed supergraph. Whatever passes the limits and validation must plan
// without error (the store's supergraph answers every valid operation), and
// every plan must be well formed and deterministic.
func FuzzPlan(f *testing.F) {
	for _, s := range planSeeds {
		f.Add(s.query, s.vars)
	}
	p, api := planner(f)
	graphs := map[string]bool{"user": true, "product": true, "order": true}
	chk := limits.Checker{Limits: config.Default().Limits, Schema: api}
	f.Fuzz(func(t *testing.T, query, varsJSON string) {
		// A request must not hang the router: report an input that takes
		// seconds (go test -fuzz has no timeout of its own per input).
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				panic(fmt.Sprintf("planning has not finished after 10s:\n%s\nvariables %s", query, varsJSON))
			}
		}()
		if chk.CheckSource(query) != nil {
			return
		}
		doc, err := parser.ParseQuery(&ast.Source{Input: query})
		if err != nil {
			return
		}
		for _, op := range doc.Operations {
			if chk.CheckShape(doc, op) != nil {
				return // validating what the limits refuse is what they prevent
			}
		}
		if errs := validator.ValidateWithRules(api, doc, rules.NewDefaultRules()); len(errs) > 0 {
			return
		}
		var raw map[string]any
		dec := json.NewDecoder(strings.NewReader(varsJSON))
		dec.UseNumber() // as the router reads request bodies
		if dec.Decode(&raw) != nil {
			raw = nil
		}
		for _, opDef := range doc.Operations {
			vars, err := validator.VariableValues(api, opDef, raw)
			if err != nil || chk.CheckCost(opDef, vars) != nil {
				continue
			}
			op, err := normalize.Normalize(api, doc, opDef, vars)
			if err != nil {
				t.Fatalf("a valid operation does not normalize: %v\n%s\nvariables %s", err, query, varsJSON)
			}
			pl, err := p.Plan(op)
			if err != nil {
				t.Fatalf("a valid operation does not plan: %v\n%s\nvariables %s", err, query, varsJSON)
			}
			checkPlan(t, pl, op, api, graphs)
			// The plan cache shares one plan between equal operations:
			// planning must not depend on anything but the operation.
			again, err := p.Plan(op)
			if err != nil || plan.Format(again) != plan.Format(pl) {
				t.Fatalf("planning twice differs (%v):\n%s\nvs\n%s", err, plan.Format(pl), plan.Format(again))
			}
			optimize.Apply(pl)
			checkPlan(t, pl, op, api, graphs)
		}
	})
}

// checkPlan asserts what the executor relies on: every fetch names a
// subgraph of the supergraph and carries a parseable operation using only
// the operation's variables; entity fetches have a path and types; root
// fetches are valid against the API schema; "after" dependencies exist; and
// only an operation of nothing but introspection has no fetch.
func checkPlan(t *testing.T, pl *plan.Plan, op *normalize.Operation, api *ast.Schema, graphs map[string]bool) {
	t.Helper()
	if pl == nil {
		t.Fatal("nil plan without an error")
	}
	if pl.Sequential != (op.Kind == ast.Mutation) {
		t.Fatalf("a %s planned with Sequential=%v", op.Kind, pl.Sequential)
	}
	declared := map[string]bool{}
	for _, v := range op.Variables {
		declared[v.Variable] = true
	}
	ids := map[int]bool{}
	var fetches []*plan.Fetch
	var walk func(fs []*plan.Fetch, entity bool)
	walk = func(fs []*plan.Fetch, entity bool) {
		for _, f := range fs {
			if f == nil {
				t.Fatalf("nil fetch in\n%s", plan.Format(pl))
			}
			if ids[f.ID] {
				t.Fatalf("fetch %d appears twice in\n%s", f.ID, plan.Format(pl))
			}
			ids[f.ID] = true
			fetches = append(fetches, f)
			if f.Entity != entity {
				t.Fatalf("fetch %d: entity %v at the wrong level of\n%s", f.ID, f.Entity, plan.Format(pl))
			}
			walk(f.Children, true)
		}
	}
	walk(pl.Roots, false)
	for _, f := range fetches {
		if !graphs[f.Graph] || f.URL == "" {
			t.Fatalf("fetch %d goes to %q at %q", f.ID, f.Graph, f.URL)
		}
		doc, err := parser.ParseQuery(&ast.Source{Input: f.Operation})
		if err != nil || len(doc.Operations) != 1 {
			t.Fatalf("fetch %d renders an unparseable operation (%v): %s", f.ID, err, f.Operation)
		}
		for _, v := range f.Variables {
			if !declared[v] {
				t.Fatalf("fetch %d uses $%s, which the operation does not declare: %s", f.ID, v, f.Operation)
			}
		}
		for _, a := range f.After {
			if !ids[a] || a == f.ID {
				t.Fatalf("fetch %d waits on fetch %d, which is not in the plan", f.ID, a)
			}
		}
		if f.Entity {
			if len(f.Path) == 0 || len(f.Types) == 0 || !strings.Contains(f.Operation, "_entities(representations:$representations)") {
				t.Fatalf("entity fetch %d without path, types or _entities: %+v", f.ID, f)
			}
			continue
		}
		if doc.Operations[0].Operation != op.Kind {
			t.Fatalf("root fetch %d is a %s in a %s", f.ID, doc.Operations[0].Operation, op.Kind)
		}
		if errs := validator.ValidateWithRules(api, doc, rules.NewDefaultRules()); len(errs) > 0 {
			t.Fatalf("root fetch %d is not valid against the API schema: %v\n%s", f.ID, errs, f.Operation)
		}
	}
	onlyIntrospection := !slices.ContainsFunc(op.SelectionSet, func(s ast.Selection) bool {
		f, ok := s.(*ast.Field)
		return !ok || !strings.HasPrefix(f.Name, "__")
	})
	if (len(pl.Roots) == 0) != onlyIntrospection {
		t.Fatalf("%d root fetches for an operation selecting %d root fields:\n%s", len(pl.Roots), len(op.SelectionSet), plan.Format(pl))
	}
}
