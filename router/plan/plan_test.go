package plan_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/virtual-store/virtual-store/router/compose"
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
	return plannerOf(t, sdl)
}

// plannerOf returns a planner for a supergraph and its API schema.
func plannerOf(t testing.TB, sdl string) (*plan.Planner, *ast.Schema) {
	t.Helper()
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

// A key whose fields come from an entity fetch planned earlier for the
// client's own selection: the dependent fetch must wait for it.
func TestKeyFieldsFromAnEarlierEntityFetchAreWaitedFor(t *testing.T) {
	link := `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
`
	pl := planComposed(t, []compose.Subgraph{
		{Name: "catalog", URL: "http://catalog", SDL: link + `type Query { featured: [Item!]! } type Item @key(fields: "sku") { sku: ID! }`},
		{Name: "codes", URL: "http://codes", SDL: link + `type Item @key(fields: "sku") { sku: ID! code: String! @shareable }`},
		{Name: "prices", URL: "http://prices", SDL: link + `type Item @key(fields: "sku code") { sku: ID! code: String! price: Int! }`},
	}, `{ featured { code price } }`)
	root := pl.Roots[0]
	var codes, prices *plan.Fetch
	for _, c := range root.Children {
		switch c.Graph {
		case "codes":
			codes = c
		case "prices":
			prices = c
		}
	}
	if codes == nil || prices == nil {
		t.Fatalf("plan:\n%s", describe(pl))
	}
	if !slices.Contains(prices.After, codes.ID) {
		t.Fatalf("the prices fetch (key sku code) does not wait for the codes fetch:\n%s", describe(pl))
	}
}

// planComposed composes subgraphs and plans query over them.
func planComposed(t *testing.T, subgraphs []compose.Subgraph, query string) *plan.Plan {
	t.Helper()
	sdl, err := compose.Compose(subgraphs)
	if err != nil {
		t.Fatal(err)
	}
	p, api := plannerOf(t, sdl)
	return planQuery(t, p, api, query)
}

// A value type's key field is only reachable through its parent entity in
// a third subgraph: the key comes from there, then the jump.
func TestKeyOfAValueTypeThroughItsParent(t *testing.T) {
	link := `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
`
	pl := planComposed(t, []compose.Subgraph{
		{Name: "orders", URL: "http://orders", SDL: link + `type Query { order: Order } type Order @key(fields: "id") { id: ID }`},
		{Name: "notes", URL: "http://notes", SDL: link + `type Order @key(fields: "id") { id: ID customer: Customer @shareable } type Customer { note: String }`},
		{Name: "refs", URL: "http://refs", SDL: link + `type Order @key(fields: "id") { id: ID customer: Customer @shareable } type Customer { id: ID @shareable }`},
		{Name: "people", URL: "http://people", SDL: link + `type Customer @key(fields: "id") { id: ID @shareable name: String }`},
	}, `{ order { customer { note name } } }`)
	got := describe(pl)
	for _, want := range []string{"[refs] @order", "customer{id}", "[people] @order.customer"} {
		if !strings.Contains(got, want) {
			t.Fatalf("plan lacks %q:\n%s", want, got)
		}
	}
}

// A union member only some of the subgraphs that may answer a path know is
// not asked for there; where one subgraph alone answers, all its members are.
func TestPartialUnionMembers(t *testing.T) {
	link := `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
`
	subgraphs := []compose.Subgraph{
		{Name: "a", URL: "http://a", SDL: link + `type Query { box: Box @shareable onlyA: Box }
type Box @shareable { items: [Item!]! } union Item = Pen | Cup
type Pen @shareable { ink: String } type Cup { size: Int }`},
		{Name: "b", URL: "http://b", SDL: link + `type Query { box: Box @shareable }
type Box @shareable { items: [Item!]! } union Item = Pen
type Pen @shareable { ink: String }`},
	}
	shared := describe(planComposed(t, subgraphs, `{ box { items { ... on Pen { ink } ... on Cup { size } } } }`))
	if strings.Contains(shared, "Cup") || !strings.Contains(shared, "...on Pen{ink}") {
		t.Errorf("shared path:\n%s", shared)
	}
	own := describe(planComposed(t, subgraphs, `{ onlyA { items { ... on Pen { ink } ... on Cup { size } } } }`))
	if !strings.Contains(own, "...on Cup{size}") {
		t.Errorf("a path only a answers:\n%s", own)
	}
}

// Each subgraph answers one implementation's id only (the other's key is
// @external there): no plan can answer node { id } from one place, and
// mixing two subgraphs' answers to node (each may pick another object) is
// refused; asking for one implementation goes to the subgraph that has it.
func TestExternalKeysAreNotProducedAndSharedAbstractRootsAreNotMixed(t *testing.T) {
	link := `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@external"])
`
	subgraphs := []compose.Subgraph{
		{Name: "a", URL: "http://a", SDL: link + `type Query { node(id: ID!): Node @shareable } interface Node { id: ID! }
type Account implements Node @key(fields: "id") { id: ID! name: String! }
type Chat implements Node @key(fields: "id") { id: ID! @external }`},
		{Name: "b", URL: "http://b", SDL: link + `type Query { node(id: ID!): Node @shareable } interface Node { id: ID! }
type Account implements Node @key(fields: "id") { id: ID! @external }
type Chat implements Node @key(fields: "id") { id: ID! text: String! }`},
	}
	sdl, err := compose.Compose(subgraphs)
	if err != nil {
		t.Fatal(err)
	}
	sg, api, err := schema.Load(sdl)
	if err != nil {
		t.Fatal(err)
	}
	doc, errs := gqlparser.LoadQuery(api.Schema, `{ node(id: "1") { id } }`)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	op, _ := normalize.Normalize(api.Schema, doc, doc.Operations[0], nil)
	if pl, err := plan.New(sg, api.Schema).Plan(op); err == nil {
		t.Fatalf("planned node { id }:\n%s", describe(pl))
	}
	got := describe(planComposed(t, subgraphs, `{ node(id: "1") { ... on Chat { id text } } }`))
	if !strings.HasPrefix(got, "[b]") || strings.Contains(got, "[a]") {
		t.Fatalf("Chat fields:\n%s", got)
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
