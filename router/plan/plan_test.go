package plan_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/virtual-store/virtual-store/router/internal/storegraph"
	"github.com/virtual-store/virtual-store/router/normalize"
	"github.com/virtual-store/virtual-store/router/plan"
	"github.com/virtual-store/virtual-store/router/schema"
)

func planner(t testing.TB) (*plan.Planner, *ast.Schema) {
	t.Helper()
	sdl, err := storegraph.Supergraph(nil)
	if err != nil {
		t.Fatal(err)
	}
	sg, api, err := schema.Load(sdl)
	if err != nil {
		t.Fatal(err)
	}
	return plan.New(sg, api.Schema), api.Schema
}

func planQuery(t testing.TB, p *plan.Planner, api *ast.Schema, query string) *plan.Plan {
	t.Helper()
	doc, errs := gqlparser.LoadQuery(api, query)
	if len(errs) > 0 {
		t.Fatalf("invalid query: %v", errs)
	}
	op, err := normalize.Normalize(api, doc, doc.Operations[0], map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := p.Plan(op)
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

// describe renders a plan as indented lines: [subgraph] @path operation.
func describe(pl *plan.Plan) string {
	var b strings.Builder
	var walk func(f *plan.Fetch, depth int)
	walk = func(f *plan.Fetch, depth int) {
		at := ""
		if f.Entity {
			at = " @" + strings.Join(f.Path, ".")
		}
		fmt.Fprintf(&b, "%s[%s]%s %s\n", strings.Repeat("  ", depth), f.Graph, at, f.Operation)
		for _, c := range f.Children {
			walk(c, depth+1)
		}
	}
	for _, r := range pl.Roots {
		walk(r, 0)
	}
	return b.String()
}

// Golden plans of the store's federated queries.
func TestStorePlans(t *testing.T) {
	p, api := planner(t)
	tests := []struct {
		name, query, want string
	}{
		{
			"one subgraph",
			`{ products(first: 2) { edges { node { name price { formatted } } } } }`,
			`[product] query{products(first:2){edges{node{name price{formatted}}}}}
`,
		},
		{
			"order lines resolved by the product subgraph, batched",
			`query($id: ID!) { order(id: $id) { status lines { quantity product { name sku } } } }`,
			`[order] query($id:ID!){order(id:$id){status lines{quantity product{__typename id}}}}
  [product] @order.lines.product query($representations:[_Any!]!){_entities(representations:$representations){...on Product{name sku}}}
`,
		},
		{
			"user with orders from another subgraph",
			`{ me { name orders(first: 5) { totalCount edges { node { total { formatted } } } } } }`,
			`[user] query{me{name __typename id}}
  [order] @me query($representations:[_Any!]!){_entities(representations:$representations){...on User{orders(first:5){totalCount edges{node{total{formatted}}}}}}}
`,
		},
		{
			"parallel roots and aliases",
			`{ a: product(sku: "X") { name } cart { itemCount } }`,
			`[product] query{a:product(sku:"X"){name}}
[order] query{cart{itemCount}}
`,
		},
		{
			"three subgraphs in a chain",
			`{ me { orders { edges { node { lines { product { category { name } } } } } } } }`,
			`[user] query{me{__typename id}}
  [order] @me query($representations:[_Any!]!){_entities(representations:$representations){...on User{orders{edges{node{lines{product{__typename id}}}}}}}}
    [product] @me.orders.edges.node.lines.product query($representations:[_Any!]!){_entities(representations:$representations){...on Product{category{name}}}}
`,
		},
		{
			"mutation",
			`mutation { addToCart(input: {productId: "p"}) { cart { itemCount lines { product { name } } } } }`,
			`[order] mutation{addToCart(input:{productId:"p"}){cart{itemCount lines{product{__typename id}}}}}
  [product] @addToCart.cart.lines.product query($representations:[_Any!]!){_entities(representations:$representations){...on Product{name}}}
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describe(planQuery(t, p, api, tt.query)); got != tt.want {
				t.Errorf("plan:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestMutationRootsRunInOrder(t *testing.T) {
	p, api := planner(t)
	pl := planQuery(t, p, api, `mutation { a: clearCart { cart { itemCount } } b: setPrice(input: {productId: "00000000-0000-0000-0000-000000000000", price: {amount: 1, currency: "EUR"}}) { userErrors { code } } c: clearCart { cart { itemCount } } }`)
	if !pl.Sequential || len(pl.Roots) != 3 || pl.Roots[0].Graph != "order" || pl.Roots[1].Graph != "product" || pl.Roots[2].Graph != "order" {
		t.Fatalf("mutation plan:\n%s", describe(pl))
	}
}

func BenchmarkPlan(b *testing.B) {
	p, api := planner(b)
	doc, _ := gqlparser.LoadQuery(api, `{ me { orders { edges { node { lines { product { name category { name } } } } } } } }`)
	op, err := normalize.Normalize(api, doc, doc.Operations[0], nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Plan(op); err != nil {
			b.Fatal(err)
		}
	}
}

// The text form of a plan, as `router plan` prints it.
func TestFormat(t *testing.T) {
	p, api := planner(t)
	got := plan.Format(planQuery(t, p, api, `{ me { name orders { edges { node { lines { product { name } } } } } } }`))
	want := `QueryPlan {
  Sequence {
    Fetch(service: "user") {
      query{me{name __typename id}}
    },
    Flatten(path: "me") {
      Fetch(service: "order") {
        {...on User{__typename id}} =>
        query($representations:[_Any!]!){_entities(representations:$representations){...on User{orders{edges{node{lines{product{__typename id}}}}}}}}
      }
    },
    Flatten(path: "me.orders.edges.node.lines.product") {
      Fetch(service: "product") {
        {...on Product{__typename id}} =>
        query($representations:[_Any!]!){_entities(representations:$representations){...on Product{name}}}
      }
    }
  }
}
`
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}
